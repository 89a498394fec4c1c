"""A pytest session of its own, forked from a process that has already imported torch.

Some tests grade an implementation in a separate pytest session (the kill matrix, the library
runs, the capability and plugin tests): each `python -m pytest` paid ~2.5 s of imports (torch,
numpy, pytest) before collecting anything, about a dozen times per `make test`. Here each
run is forked from multiprocessing's fork server, which imported those libraries once per test
process. A run is still a process of its own: its own pytest session, conftest, check modules,
implementation under test, working folder, environment, output and exit code.

    run = run_pytest(["checks/test_attention.py", "-q", "--impl", FILE], cwd=ROOT)
    run.returncode, run.stdout, run.stderr
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Not Hypothesis: pytest rewrites its plugin's asserts, and warns when it was imported before.
PRELOAD = ["torch", "numpy", "pytest"]
_context = None


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def _fork_context():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def _session(args: list[str], cwd: str, env: dict[str, str], out: str, err: str) -> None:
    """The forked child: `python -m pytest ARGS` run in `cwd` with `env`, output to files."""
    for fd, path in ((1, out), (2, err)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(target, fd)
        os.close(target)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    sys.dont_write_bytecode = bool(env.get("PYTHONDONTWRITEBYTECODE"))
    sys.path.insert(0, cwd)  # as `python -m` does
    sys.argv = ["pytest", *args]
    import pytest

    code = pytest.main(args)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(code))  # no interpreter teardown: torch's costs about a second


def run_pytest(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> Run:
    """Run pytest with `args` in a fresh forked process; its exit code and output."""
    with tempfile.TemporaryDirectory(prefix="qbank-pytest-") as tmp:
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        child = _fork_context().Process(target=_session,
                                        args=(list(args), str(cwd), dict(os.environ if env is None else env),
                                              str(out), str(err)))
        child.start()
        child.join(timeout)
        if child.exitcode is None:
            child.kill()
            child.join()
            raise TimeoutError(f"pytest {' '.join(args)} ran longer than {timeout} s")
        read = lambda p: p.read_text(encoding="utf-8", errors="replace") if p.exists() else ""  # noqa: E731
        return Run(child.exitcode, read(out), read(err))
