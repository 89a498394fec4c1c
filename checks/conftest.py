"""The plumbing every check shares: the implementation under test, Hypothesis profiles,
and the verification report.

- `impl`: the implementation under test. `pytest checks` grades `solutions/`;
  `pytest checks --impl FILE_OR_MODULE` grades any other (a learner's file or package,
  `qbank.adapters.pytorch`, ...). `impl.NAME` returns the contract name NAME, and skips the
  check, naming NAME, when the implementation does not provide it. An implementation given
  with --impl that defines no contract name at all, or one that misspells a name
  (`MultiheadAttention`), stops the run at once with exit code 4 and a message naming the
  near-miss, instead of skipping every check and passing.
- Hypothesis profiles: `fast` (default, 40 examples), `thorough` (1000, with Hypothesis's
  explain phase) and `grade` (`fast` with 20 examples, for `qbank grade`), picked with
  `--hypothesis-profile` or `$HYPOTHESIS_PROFILE`; with `$CI` set they are derandomized and
  keep no example database, so CI never flakes. No deadline: torch's first call on a new
  shape can take longer than any sensible deadline. `fast` skips the explain phase, which
  can spend half a minute on a check that fails every example (a learner's starter) and
  adds only a hint about which lines ran.
- A failed `torch.testing.assert_close(actual, expected)` says where the two differ most and
  their values there ("largest difference 1 at index (1, 0, 0): got 0, expected 1"), and
  both in full when they are small: conftest wraps the function before the check files import
  it, so the checks read as plain torch. `actual` is what was computed, `expected` the
  oracle, as torch documents.
- `--qbank-report PATH`: write a JSON verdict per check (outcome, duration, torch
  version; for a failure the message, every input by name including the values drawn with
  `data.draw(..., label=...)`, the comparison above, the `@reproduce_failure` blob and where
  the exception was raised) for the site and the CLI. `--qbank-progress PATH` appends a line
  per finished check while the run goes on; `--qbank-exit` ends the process as soon as the
  report is written (the CLI's subprocess: the interpreter's teardown with torch loaded
  costs about a second).

Nothing here writes beside the checks: Hypothesis's patch files (`git apply` hints, which
also cost ~2 s of libcst import on every failing run) are not produced.
"""

from __future__ import annotations

import ast
import json
import os
import platform
import re
import sys
import time
from functools import cache
from importlib import metadata
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, Phase, settings

from qbank.contract import NAMES
from qbank.grading.failure import BANK_EXAMPLES, GRADE_EXAMPLES, comparison, failure_details
from qbank.grading.impl import ImplementationError, contract_problem, load_implementation
from qbank.grading.verification import CI_PROFILES, profile_name
from qbank.site.digest import check_run_digest, undeclared_imports

DEFAULT_IMPL = "solutions"
STAT_SEED = 0  # the one seed every statistical check uses in a normal run

_common = dict(deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow])
_no_explain = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
settings.register_profile("fast", max_examples=BANK_EXAMPLES, phases=_no_explain, **_common)
settings.register_profile("thorough", max_examples=1000, **_common)
# `qbank grade`: a learner's edit-grade loop. Half the examples halves the cost of the checks that
# hold (~3 s of ~10 for attention's 36 checks); the classic bugs fail within a few examples (every
# MUST_FAIL of tests/broken_impls still fails at 10). `qbank grade --thorough`, `qbank verify` and
# `pytest checks` run the bank's 40.
settings.register_profile("grade", settings.get_profile("fast"), max_examples=GRADE_EXAMPLES)
# The kill matrix (`--impl-each`) only asks whether a broken implementation fails: no shrinking,
# no database, the same examples every run.
settings.register_profile("kill", settings.get_profile("fast"), phases=[Phase.explicit, Phase.generate],
                          derandomize=True, database=None)
for _name in CI_PROFILES:
    settings.register_profile(f"{_name}-ci", settings.get_profile(_name), derandomize=True, database=None)


# -- assert_close says what it got and what it expected ------------------------------------

_torch_assert_close = None  # torch's own, once install_torch_hooks has run


def assert_close(actual, expected, *args, **kwargs):
    """torch.testing.assert_close, whose failure also carries where `actual` and `expected`
    differ most and their values there (see qbank.grading.failure.comparison)."""
    __tracebackhide__ = True
    try:
        _torch_assert_close(actual, expected, *args, **kwargs)
    except AssertionError as e:
        found = comparison(actual, expected)
        if found:
            e._qbank_comparison = found
            lines = [found["summary"]] if found.get("summary") else []
            if "got" in found:
                lines += [f"got      {found['got']}", f"expected {found['expected']}"]
            e.add_note("qbank: " + "\n       ".join(lines))
        raise


def install_torch_hooks() -> None:
    """Import torch and set it up for the checks (once per process, before any check file is
    imported): one intra-op thread, assert_close wrapped, torch._dynamo left unloaded. Not at
    import: pytest-xdist's controller loads this file too, runs no check, and would pay ~2.5 s
    of torch import before starting its workers."""
    global _torch_assert_close
    import torch
    import torch.testing

    if _torch_assert_close is not None:
        return
    _torch_assert_close = assert_close.__wrapped__ = torch.testing.assert_close
    torch.testing.assert_close = assert_close  # before any check file does `from torch.testing import assert_close`
    # The checks' tensors are small, so one intra-op thread costs little; with two, when the other
    # core is busy, torch's thread pool waits for it (nn.BatchNorm1d: ~65 ms a call, not 50 µs).
    torch.set_num_threads(1)
    # assert_close imports torch.distributed.tensor on its first call to look for DTensors
    # (~1 s); no check compares DTensors.
    import torch.testing._comparison as comparing

    if hasattr(comparing, "_HAS_DTENSOR"):
        comparing._HAS_DTENSOR = False
    _defer_dynamo_import()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("qbank")
    group.addoption("--impl", default=DEFAULT_IMPL, metavar="FILE_OR_MODULE",
                    help="implementation under test: a module name, a .py file or a package folder "
                         f"(default: {DEFAULT_IMPL})")
    group.addoption("--qbank-report", default=None, metavar="PATH",
                    help="write each check's verdict to PATH as JSON")
    group.addoption("--qbank-progress", default=None, metavar="PATH",
                    help="append a line to PATH for each check as it finishes (the CLI's progress count)")
    group.addoption("--qbank-exit", action="store_true",
                    help="end the process as soon as the run is reported, skipping the interpreter's teardown")
    group.addoption("--impl-each", default=None, metavar="DIR",
                    help="run each check against every implementation file under DIR whose MUST_FAIL "
                         "names it (without a MUST_FAIL: that defines a contract name the check reads; "
                         "tests/broken_impls: the kill matrix); "
                         "with --qbank-report, one verdict per check and file")
    group.addoption("--stat-seeds", default=None, metavar="FIRST:STOP",
                    help="run every statistical check once per seed in range(FIRST, STOP) instead of "
                         f"with its fixed seed {STAT_SEED} (tests/test_reseed.py)")


def pytest_configure(config: pytest.Config) -> None:
    if not (config.getoption("numprocesses", None) and not hasattr(config, "workerinput")):
        install_torch_hooks()  # not in pytest-xdist's controller (-n N), which runs no check
    settings.load_profile(profile_name(config.getoption("hypothesis_profile", None), os.environ))
    config._qbank_error = None
    if config.getoption("qbank_report"):
        config.pluginmanager.register(_Report(config), "qbank-report")
    if config.getoption("qbank_progress"):
        config.pluginmanager.register(_Progress(config.getoption("qbank_progress")), "qbank-progress")


def _defer_dynamo_import() -> None:
    """Keep torch._dynamo (the compiler, ~1.6 s to import) unloaded unless something compiles.

    Torch marks some functions as never to be compiled with `torch._disable_dynamo`: every
    `__torch_dispatch__` of a TorchDispatchMode (FlopCounterMode's included), optimizers'
    `zero_grad` and `add_param_group`, ... The mark imports torch._dynamo on the function's first
    call, only to wrap it in `torch._dynamo.disable`, which matters only while dynamo traces; no
    check compiles. So each such function (those already made, and those made later, e.g. by
    a check file's own dispatch mode) gets a wrapper that calls it directly while torch._dynamo
    is not loaded (nothing can be tracing then) and defers to torch's own disable once it is:
    what each call computes is unchanged. Relies on two torch internals (`torch._disable_dynamo`,
    its closure reading `fn.__dynamo_disable`); without them nothing is changed."""
    import functools
    import gc

    import torch._compile
    import torch.utils.flop_counter  # noqa: F401 - its dispatch mode is marked as it is defined

    original = torch._compile._disable_dynamo
    inner = next((c for c in original.__code__.co_consts if getattr(c, "co_name", "") == "inner"), None)
    if inner is None or "fn" not in inner.co_freevars or getattr(torch, "_disable_dynamo", None) is not original:
        return

    def defer(fn, recursive: bool) -> None:
        if getattr(fn, "__dynamo_disable", None) is not None:
            return

        def call(*args, **kwargs):
            dynamo = sys.modules.get("torch._dynamo")
            if dynamo is None or not hasattr(dynamo, "disable"):
                return fn(*args, **kwargs)  # dynamo is not loaded: nothing is being compiled
            fn.__dynamo_disable = dynamo.disable(fn, recursive, wrapping=False)
            return fn.__dynamo_disable(*args, **kwargs)

        try:
            fn.__dynamo_disable = call
        except (AttributeError, TypeError):  # a function that takes no attributes keeps torch's path
            pass

    for marked in gc.get_referrers(inner):  # the functions torch has marked so far
        if callable(marked) and getattr(marked, "__code__", None) is inner and marked.__closure__:
            cells = dict(zip(inner.co_freevars, marked.__closure__))
            defer(cells["fn"].cell_contents, cells["recursive"].cell_contents if "recursive" in cells else True)

    @functools.wraps(original)
    def disable_dynamo(fn=None, recursive: bool = True):
        if fn is None:
            return functools.partial(disable_dynamo, recursive=recursive)
        defer(fn, recursive)
        return original(fn, recursive)

    torch._disable_dynamo = torch._compile._disable_dynamo = disable_dynamo


def pytest_report_header(config: pytest.Config) -> str:
    return f"qbank: implementation under test = {config.getoption('impl')}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    spec = metafunc.config.getoption("stat_seeds")
    if spec and "stat_seed" in metafunc.fixturenames:
        first, stop = (int(x) for x in spec.split(":"))
        metafunc.parametrize("stat_seed", range(first, stop), indirect=True)
    folder = metafunc.config.getoption("impl_each")
    if folder and "impl" in metafunc.fixturenames:
        node = f"checks/{Path(metafunc.definition.fspath).name}::{metafunc.definition.originalname}"
        reads = _check_reads(metafunc.config).get(node, set())
        files = [f for f in _impl_files(folder)
                 if (node in declared_must_fail(f) if declared_must_fail(f) is not None else _own_names(f) & reads)]
        metafunc.parametrize("impl", [str(f) for f in files], indirect=True,
                             ids=[f.relative_to(Path(folder).resolve()).with_suffix("").as_posix() for f in files])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("impl_each"):  # a check no file under DIR concerns: nothing to run
        keep = [i for i in items if isinstance(getattr(getattr(i, "callspec", None), "params", {}).get("impl"), str)]
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


def pytest_collection_finish(session: pytest.Session) -> None:
    """Load the implementation under test before any check runs: one that does not import, or
    that was given with --impl and defines no contract name (or misspells one), ends the run
    here with exit code 4 and one line saying why."""
    config = session.config
    if config.getoption("impl_each") or not any("impl" in getattr(i, "fixturenames", ()) for i in session.items):
        return
    spec = config.getoption("impl")
    try:
        module = load_implementation(spec)
    except ImplementationError as e:
        _stop(config, f"cannot load the implementation under test: {e}")
    if spec != DEFAULT_IMPL and (problem := contract_problem(module, spec)):
        _stop(config, problem)
    config._qbank_impl = Implementation(module, spec)


def _stop(config: pytest.Config, message: str):
    config._qbank_error = message
    pytest.exit(message, returncode=4)


@cache
def _impl_files(folder: str) -> list[Path]:
    return sorted(p for p in Path(folder).resolve().rglob("*.py") if p.name != "__init__.py")


@cache
def _own_names(path: Path) -> frozenset[str]:
    """The contract names a file defines itself (not those it imports from elsewhere)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    names |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    return frozenset(names & set(NAMES))


@cache
def declared_must_fail(path: Path) -> frozenset[str] | None:
    """A broken implementation's MUST_FAIL (the checks its bug must fail), None if it has none:
    the kill matrix runs a file with a MUST_FAIL on those checks only (they fail within a few
    examples), a file without one on every check that reads a name it defines itself."""
    for n in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(n, ast.Assign) and any(getattr(t, "id", None) == "MUST_FAIL" for t in n.targets):
            return frozenset(ast.literal_eval(n.value))
    return None


def _check_reads(config: pytest.Config) -> dict[str, set[str]]:
    if not hasattr(config, "_qbank_reads"):
        from qbank.bank.checks import check_functions

        config._qbank_reads = check_functions(Path(config.rootpath))
    return config._qbank_reads


@pytest.fixture
def stat_seed(request: pytest.FixtureRequest) -> int:
    """The seed of a statistical check (`@pytest.mark.statistical`): always STAT_SEED, so the
    check gives the same verdict on every run and never flakes. Its thresholds sit >= 5
    standard errors from the value expected, and `--stat-seeds 1:201` (the slow re-seeding
    test) shows they hold for 200 other seeds too, so no threshold was tuned to one seed."""
    return getattr(request, "param", STAT_SEED)


class Implementation:
    """The implementation under test, seen through the contract."""

    def __init__(self, module: ModuleType, label: str):
        self._module = module
        self._label = label

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in NAMES:
            raise AttributeError(f"{name!r} is not part of the implementation contract (qbank/contract/__init__.py)")
        try:
            return getattr(self._module, name)
        except AttributeError:
            pytest.skip(f"{self._label} does not provide {name!r} "
                        f"(contract component {NAMES[name].component!r})")

    def __repr__(self) -> str:
        return f"<implementation {self._label}>"


@pytest.fixture(scope="session")
def impl(request: pytest.FixtureRequest) -> Implementation:
    spec = getattr(request, "param", None)
    if spec is None and getattr(request.config, "_qbank_impl", None) is not None:
        return request.config._qbank_impl
    spec = spec or request.config.getoption("impl")
    try:
        module = load_implementation(spec)
    except ImplementationError as e:
        _stop(request.config, f"cannot load the implementation under test: {e}")
    return Implementation(module, spec)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    # Hypothesis turns each failing example into a patch file under .hypothesis/patches (for
    # `git apply`), importing libcst to do it (~2 s per run with a failure): neither is wanted.
    item.__dict__.pop("_hypothesis_failing_examples", None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if isinstance(spec := getattr(getattr(item, "callspec", None), "params", {}).get("impl"), str):
        report.user_properties.append(("impl", spec))
    if report.failed and call.excinfo is not None and call.when == "call":
        try:
            details = failure_details(call.excinfo.value)
            details["where"] = _raised_at(call.excinfo)
            impl_spec = spec if isinstance(spec, str) else item.config.getoption("impl")
            if where := innermost_in(call.excinfo.value, impl_spec):
                details["in_impl"] = where
            report.user_properties.append(("qbank_failure", details))
        except Exception as e:  # noqa: BLE001 - the verdict stands without the details
            report.user_properties.append(("qbank_failure", {"notes": [f"(no details: {e!r})"]}))
    return report


def _raised_at(excinfo: pytest.ExceptionInfo) -> str:
    """'file:line' where the failure was raised, as pytest reports it: frames that hide
    themselves (`__tracebackhide__`, like torch's assert_close) left out."""
    entries = excinfo.traceback.filter(excinfo)
    return f"{entries[-1].path}:{entries[-1].lineno + 1}" if len(entries) else ""


def innermost_in(error: BaseException, spec: str) -> str:
    """'file:line' of the innermost frame of `error`'s traceback inside the implementation
    under test (a file, or any file of a package folder), '' if none: where in the learner's
    code a failure started, even when torch raised it deeper down."""
    from qbank.grading.impl import is_path

    if not is_path(spec):
        return ""
    target = Path(spec).resolve()
    found, tb = "", error.__traceback__
    while tb is not None:
        path = Path(tb.tb_frame.f_code.co_filename)
        if path == target or (target.is_dir() and target in path.parents):
            found = f"{path}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if config.getoption("qbank_exit", False):
        status = getattr(config, "_qbank_status", 0)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(status))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config._qbank_status = exitstatus


RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}  # the worst wins; "error": setup or teardown failed


class _Progress:
    """One line per check as it finishes ('passed checks/test_x.py::test_y'), after a first
    line 'checks N'; a parametrized check finishes with its last case."""


    def __init__(self, path: str):
        self.file = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - closed at unconfigure
        self.left: dict[str, int] = {}
        self.worst: dict[str, str] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            key = item.nodeid.split("[")[0]
            self.left[key] = self.left.get(key, 0) + 1
        self.file.write(f"checks {len(self.left)}\n")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or not report.passed:
            key = report.nodeid.split("[")[0]
            if RANK[report.outcome] >= RANK[self.worst.get(key, "passed")]:
                self.worst[key] = report.outcome
        if report.when == "teardown":
            key = report.nodeid.split("[")[0]
            self.left[key] = self.left.get(key, 1) - 1
            if self.left[key] == 0:
                self.file.write(f"{self.worst.get(key, 'passed')} {key}\n")

    def pytest_unconfigure(self) -> None:
        self.file.close()


def _whole_bank(config: pytest.Config) -> bool:
    """Whether this run proves the bank itself: every check of checks/ against solutions/ (the run
    `make verify` makes), whose verdicts `make test` may reuse (qbank.grading.verification.reusable)."""
    if config.getoption("impl") != DEFAULT_IMPL or config.getoption("impl_each"):
        return False
    root, here = Path(config.rootpath).resolve(), Path(config.invocation_params.dir)
    folders = {(here / arg).resolve() for arg in config.args if "::" not in arg}
    return bool(folders & {root, root / "checks"})


class _Report:
    """Collects one verdict per check function (a parametrized check fails if any case fails).
    A run of the whole bank also records what it ran on (`run`: the hash of everything a check
    run reads, the profile, the selection, each item's outcome counted, the exit status)."""


    def __init__(self, config: pytest.Config):
        self.config = config
        self.path = Path(config.getoption("qbank_report"))
        self.impl = config.getoption("impl_each") or config.getoption("impl")
        self.root = Path(config.rootpath)
        self.checks: dict[str, dict] = {}
        self.items: dict[str, str] = {}  # node id -> its worst outcome ("error": its setup or teardown failed)
        self.inputs = check_run_digest(self.root) if _whole_bank(config) else None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        worst = "error" if report.failed and report.when != "call" else report.outcome
        if report.when == "call" or not report.passed:
            if RANK[worst] >= RANK[self.items.get(report.nodeid, "passed")]:
                self.items[report.nodeid] = worst
        if report.when != "call" and report.passed:
            return
        key = report.nodeid.split("[")[0]
        properties = dict(report.user_properties)
        if each := properties.get("impl"):  # --impl-each: one verdict per file
            key += f" @ {Path(each).relative_to(self.root).as_posix()}"
        entry = self.checks.setdefault(key, {"outcome": "passed", "duration": 0.0, "message": ""})
        entry["duration"] = round(entry["duration"] + report.duration, 4)
        outcome = report.outcome
        if RANK[outcome] > RANK[entry["outcome"]]:
            entry["outcome"] = outcome
            details = properties.get("qbank_failure") or {}
            entry["message"] = details.get("message") or _short_message(report)
            if report.failed:
                entry["where"] = _crash_location(report)

                if "[" in report.nodeid:
                    entry["case"] = _unescaped(report.nodeid[report.nodeid.index("["):])
                entry.update({k: v for k, v in details.items() if v})

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "implementation": self.impl,
                "torch": metadata.version("torch"), "python": platform.python_version(),
                "seed": self.config.getoption("hypothesis_seed", None),
                "checks": dict(sorted(self.checks.items()))}
        if self.config._qbank_error:
            data["error"] = self.config._qbank_error
        if self.inputs is not None and check_run_digest(self.root) == self.inputs:  # nothing changed meanwhile
            counts = {outcome: 0 for outcome in RANK}
            for outcome in self.items.values():
                counts[outcome] += 1
            data["run"] = {"inputs": self.inputs, "profile": settings.get_current_profile_name(),
                           "markexpr": self.config.getoption("markexpr", ""),
                           "keyword": self.config.getoption("keyword", ""),
                           "exitstatus": int(exitstatus), "items": counts,
                           "undeclared": undeclared_imports(self.root)}
        self.path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def _error_lines(report: pytest.TestReport) -> list[str]:
    text = getattr(report, "longreprtext", "") or ""
    return [line[1:] for line in text.splitlines() if line.startswith("E ")]


# Hypothesis and conftest append notes after the error: the failing input ("Failing test case:",
# "Falsifying example:" before 6.1xx), "Draw N (label):", the reproduce hint, our comparison;
# the message stops at the first of them (they are reported apart).
_NOTE_STARTS = ("Falsifying example:", "Failing test case:", "Falsifying explicit example:",
                "Failing explicit example:", "Draw 1", "qbank: ", "You can reproduce", "Explanation:")


def _short_message(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    lines = _error_lines(report)
    end = next((i for i, line in enumerate(lines) if line.strip().startswith(_NOTE_STARTS)), len(lines))
    text = getattr(report, "longreprtext", "") or ""
    return "\n".join(line.strip() for line in lines[:min(end, 12)]).strip() or text[-800:]


_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})")


def _unescaped(case: str) -> str:
    """A parameter id as the check wrote it: pytest escapes non-ASCII in node ids ("scores \\xb11")."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1)[1:], 16)), case)


def _crash_location(report: pytest.TestReport) -> str:
    """'file:line' where the failing exception was raised."""
    crash = getattr(report.longrepr, "reprcrash", None)
    return f"{crash.path}:{crash.lineno}" if crash is not None else ""
