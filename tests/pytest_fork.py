"""A pytest session of its own, forked from a process that has already imported torch.

Some tests grade an implementation in a separate pytest session (the kill matrix, the library
runs, the capability and plugin tests): each `python -m pytest` paid ~2.5 s of imports (torch,
numpy, pytest) before collecting anything, about a dozen times per `make test`. Here each
run is forked from multiprocessing's fork server, which imported those libraries once per test
process. A run is still a process of its own: its own pytest session, conftest, check modules,
implementation under test, working folder, environment, output and exit code.

    run = run_pytest(["checks/test_attention.py", "-q", "--impl", FILE], cwd=ROOT)
    run.returncode, run.stdout, run.stderr
    run_python("import sys; print('torch._dynamo' in sys.modules)", cwd=ROOT)  # likewise `python -c`

`run_reported` is for the long runs that grade an implementation with a fixed seed (the kill
matrix, the library runs): their verdicts (the --qbank-report) are a function of the files
they can import, the installed packages and their arguments alone, so a run whose inputs have
not changed since it last ran is not run again: its exit code, output and report are read
from build/.cache/test-runs/. Any change to checks/, solutions/, the parts of qbank/ a check
run imports, the implementations under tests/, the conftests, pyproject.toml, an installed
package's version or the Python version runs it afresh (QBANK_TEST_CACHE=0 always does). A run
that imports a file of the repository not among those inputs (INPUTS) fails, naming it. Such
runs are derandomized and keep no example database (as with $CI), so running them again would
give the same verdicts.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from qbank.site.digest import CHECK_RUN_INPUTS, declared, digest, imported_files, reuse_enabled

# Not Hypothesis: pytest rewrites its plugin's asserts, and warns when it was imported before.
PRELOAD = ["torch", "numpy", "pytest"]
_context = None


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    imported: list[str] = field(default_factory=list)  # the files of the modules it had imported when it ended


def fork_context():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def _child(argv: list[str], cwd: str, env: dict[str, str], out: str, err: str, imported: str) -> None:
    """The forked child: `python -m pytest ARGS` (argv ["pytest", *ARGS]) or `python -c CODE`
    (argv ["-c", CODE]) run in `cwd` with `env`, output to files."""
    for fd, path in ((1, out), (2, err)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(target, fd)
        os.close(target)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    sys.dont_write_bytecode = bool(env.get("PYTHONDONTWRITEBYTECODE"))
    sys.path.insert(0, cwd)  # as `python -m` and `python -c` do
    sys.argv = list(argv)
    code = 0
    if argv[0] == "pytest":
        import pytest

        code = pytest.main(argv[1:])
    else:
        try:
            exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__"})
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
    Path(imported).write_text("\n".join(imported_files()), encoding="utf-8")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(code))  # no interpreter teardown: torch's costs about a second


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None, timeout: float) -> Run:
    with tempfile.TemporaryDirectory(prefix="qbank-pytest-") as tmp:
        out, err, imported = Path(tmp) / "stdout", Path(tmp) / "stderr", Path(tmp) / "imported"
        child = fork_context().Process(target=_child,
                                        args=(argv, str(cwd), dict(os.environ if env is None else env),
                                              str(out), str(err), str(imported)))
        child.start()
        child.join(timeout)
        if child.exitcode is None:
            child.kill()
            child.join()
            raise TimeoutError(f"{' '.join(argv)[:200]} ran longer than {timeout} s")
        return Run(child.exitcode, _text(out), _text(err), _text(imported).split())


def run_pytest(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> Run:
    """Run pytest with `args` in a fresh forked process; its exit code and output."""
    return _run(["pytest", *args], cwd, env, timeout)


def run_python(code: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> Run:
    """`python -c CODE` in a fresh forked process (torch, numpy and pytest already imported, and
    nothing else: torch._dynamo is not); its exit code and output."""
    return _run(["-c", code], cwd, env, timeout)


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


# -- runs reused while their inputs are unchanged ----------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "build" / ".cache" / "test-runs"
# What the runs import from this repository (qbank.site.digest.CHECK_RUN_INPUTS). A run that
# imports a file of the repository outside these is an error.
INPUTS = list(CHECK_RUN_INPUTS)
REPORT = "<report>"


@cache
def inputs_digest(*entries: str) -> str:
    """A hash of everything a run can depend on: the files under `entries` (default INPUTS; build
    output, caches and bytecode left out), the installed distributions and the Python version."""
    return digest(ROOT, entries or INPUTS)


def prune(pattern: str, keep: int) -> None:
    """Leave only the `keep` newest entries matching `pattern` in the cache."""
    entries = sorted(CACHE.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[keep:]:
        shutil.rmtree(old) if old.is_dir() else old.unlink(missing_ok=True)


def run_reported(args: list[str], report: Path, cwd: Path = ROOT, env: dict[str, str] | None = None,
                 timeout: float = 600) -> Run:
    """`run_pytest(args)` for a run that writes its verdicts to `report` (its --qbank-report):
    derandomized, and read back from the cache when nothing it depends on changed."""
    env = {**(os.environ if env is None else env), "CI": "true"}  # derandomized, no example database
    shown = [REPORT if a == str(report) else a for a in args]
    key = hashlib.sha256(json.dumps([inputs_digest(), shown, str(cwd)]).encode()).hexdigest()[:24]
    cached = CACHE / f"{key}.json"
    if reuse_enabled():
        try:
            entry = json.loads(cached.read_text(encoding="utf-8"))
            report.write_text(entry["report"], encoding="utf-8")
            cached.touch()  # recently used: pruned last
            return Run(**entry["run"])
        except (OSError, ValueError, KeyError, TypeError):
            pass  # not run yet, or an unreadable entry: run it
    run = run_pytest(args, cwd, env, timeout)
    undeclared = [f for f in run.imported if not declared(ROOT, Path(f), INPUTS)]
    assert not undeclared, (f"pytest {' '.join(shown)[:300]} imported {undeclared} from the repository: add them to "
                            f"CHECK_RUN_INPUTS in qbank/site/digest.py, or a change to them would not run it again")
    # a run that finished (0, 1) or that the checks' conftest stopped, saying why in the report (4: the
    # implementation did not load, or defines no contract name); not a crash or a timeout
    if run.returncode in (0, 1, 4) and report.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"run": asdict(run), "report": report.read_text(encoding="utf-8")}),
                       encoding="utf-8")
        os.replace(tmp, cached)
        prune("*.json", keep=40)
    return run
