"""The plumbing every check shares: the implementation under test, Hypothesis profiles,
and the verification report.

- `impl`: the implementation under test. `pytest checks` grades `solutions/`;
  `pytest checks --impl FILE_OR_MODULE` grades any other (a learner's file or package,
  `qbank.adapters.pytorch`, ...). `impl.NAME` returns the contract name NAME, and skips the
  check, naming NAME, when the implementation does not provide it.
- Hypothesis profiles: `fast` (default), `thorough` and `grade` (`fast` without the
  explain phase, for `qbank grade` and `qbank verify --impl`), picked with
  `--hypothesis-profile` or `$HYPOTHESIS_PROFILE`; with `$CI` set they are derandomized
  and keep no example database, so CI never flakes. No deadline: torch's first call on a
  new shape can take longer than any sensible deadline.
- `--qbank-report PATH`: write a JSON verdict per check (outcome, duration, torch
  version; for a failure the message, Hypothesis's falsifying example and where the
  exception was raised) for the site and the CLI.
"""

from __future__ import annotations

import ast
import json
import os
import platform
import textwrap
import time
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
import torch
from hypothesis import HealthCheck, Phase, settings

from qbank.bank.checks import check_functions
from qbank.contract import NAMES
from qbank.grading.impl import ImplementationError, load_implementation

DEFAULT_IMPL = "solutions"
STAT_SEED = 0  # the one seed every statistical check uses in a normal run

_common = dict(deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fast", max_examples=40, **_common)
settings.register_profile("thorough", max_examples=1000, **_common)
# `qbank grade` (and `qbank verify --impl`) run code that may fail every example (a starter
# raises NotImplementedError): skip Hypothesis's explain phase there, which can spend half a
# minute per failing check and adds nothing the CLI shows.
settings.register_profile("grade", settings.get_profile("fast"),
                          phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink])
# The kill matrix (`--impl-each`) only asks whether a broken implementation fails: no shrinking,
# no database, the same examples every run.
settings.register_profile("kill", settings.get_profile("fast"), phases=[Phase.explicit, Phase.generate],
                          derandomize=True, database=None)
for _name in ("fast", "thorough", "grade"):
    settings.register_profile(f"{_name}-ci", settings.get_profile(_name), derandomize=True, database=None)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("qbank")
    group.addoption("--impl", default=DEFAULT_IMPL, metavar="FILE_OR_MODULE",
                    help="implementation under test: a module name, a .py file or a package folder "
                         f"(default: {DEFAULT_IMPL})")
    group.addoption("--qbank-report", default=None, metavar="PATH",
                    help="write each check's verdict to PATH as JSON")
    group.addoption("--impl-each", default=None, metavar="DIR",
                    help="run each check against every implementation file under DIR that itself "
                         "defines a contract name the check reads (tests/broken_impls: the kill matrix); "
                         "with --qbank-report, one verdict per check and file")
    group.addoption("--stat-seeds", default=None, metavar="FIRST:STOP",
                    help="run every statistical check once per seed in range(FIRST, STOP) instead of "
                         f"with its fixed seed {STAT_SEED} (tests/test_reseed.py)")


def pytest_configure(config: pytest.Config) -> None:
    # The checks' tensors are small, so one intra-op thread costs little; with two, when the other
    # core is busy, torch's thread pool waits for it (nn.BatchNorm1d: ~65 ms a call, not 50 µs).
    torch.set_num_threads(1)
    profile = config.getoption("hypothesis_profile", None) or os.environ.get("HYPOTHESIS_PROFILE", "fast")
    if os.environ.get("CI") and not profile.endswith("-ci") and f"{profile}-ci" in settings._profiles:
        profile = f"{profile}-ci"
    settings.load_profile(profile)
    if config.getoption("qbank_report"):
        config.pluginmanager.register(_Report(config), "qbank-report")


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
        files = [f for f in _impl_files(folder) if _own_names(f) & reads]
        metafunc.parametrize("impl", [str(f) for f in files], indirect=True,
                             ids=[f.relative_to(Path(folder).resolve()).with_suffix("").as_posix() for f in files])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("impl_each"):  # a check no file under DIR concerns: nothing to run
        keep = [i for i in items if isinstance(getattr(getattr(i, "callspec", None), "params", {}).get("impl"), str)]
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


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


def _check_reads(config: pytest.Config) -> dict[str, set[str]]:
    if not hasattr(config, "_qbank_reads"):
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
    spec = getattr(request, "param", None) or request.config.getoption("impl")
    try:
        module = load_implementation(spec)
    except ImplementationError as e:
        pytest.exit(f"cannot load the implementation under test: {e}", returncode=4)
    return Implementation(module, spec)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if isinstance(spec := getattr(getattr(item, "callspec", None), "params", {}).get("impl"), str):
        report.user_properties.append(("impl", spec))
    return report


class _Report:
    """Collects one verdict per check function (a parametrized check fails if any case fails)."""

    RANK = {"passed": 0, "skipped": 1, "failed": 2}

    def __init__(self, config: pytest.Config):
        self.path = Path(config.getoption("qbank_report"))
        self.impl = config.getoption("impl_each") or config.getoption("impl")
        self.root = Path(config.rootpath)
        self.checks: dict[str, dict] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" and report.passed:
            return
        key = report.nodeid.split("[")[0]
        if each := dict(report.user_properties).get("impl"):  # --impl-each: one verdict per file
            key += f" @ {Path(each).relative_to(self.root).as_posix()}"
        entry = self.checks.setdefault(key, {"outcome": "passed", "duration": 0.0, "message": ""})
        entry["duration"] = round(entry["duration"] + report.duration, 4)
        outcome = report.outcome
        if self.RANK[outcome] > self.RANK[entry["outcome"]]:
            entry["outcome"] = outcome
            entry["message"] = _short_message(report)
            if report.failed:
                entry["example"] = _falsifying_example(report)
                entry["where"] = _crash_location(report)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        import torch

        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "implementation": self.impl,
                "torch": torch.__version__, "python": platform.python_version(),
                "checks": dict(sorted(self.checks.items()))}
        self.path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


# Hypothesis appends the smallest failing input after the error ("Falsifying example:" up
# to 6.1xx, "Failing test case:" since; "... explicit example:" for an @example); `message`
# stops there and `example` keeps it.
_EXAMPLE_HEADERS = ("Falsifying example:", "Failing test case:", "Falsifying explicit example:",
                    "Failing explicit example:")


def _error_lines(report: pytest.TestReport) -> list[str]:
    text = getattr(report, "longreprtext", "") or ""
    return [line[1:] for line in text.splitlines() if line.startswith("E ")]


def _short_message(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    lines = _error_lines(report)
    end = next((i for i, line in enumerate(lines) if line.strip().startswith(_EXAMPLE_HEADERS)), len(lines))
    text = getattr(report, "longreprtext", "") or ""
    return "\n".join(line.strip() for line in lines[:min(end, 12)]).strip() or text[-800:]


def _falsifying_example(report: pytest.TestReport) -> str:
    """Hypothesis's smallest failing input, one argument per line, without the `impl`
    argument or the reproduction hints; "" if the check is not a Hypothesis test."""
    lines = _error_lines(report)
    start = next((i for i, line in enumerate(lines) if line.strip().startswith(_EXAMPLE_HEADERS)), None)
    if start is None:
        return ""
    body = []
    for line in lines[start + 1:]:
        if line.strip() == ")" and len(line) - len(line.lstrip()) <= len(lines[start]) - len(lines[start].lstrip()):
            break  # the closing parenthesis of the call
        body.append(line)
    body = [line for line in textwrap.dedent("\n".join(body)).splitlines() if not line.startswith("impl=")]
    return "\n".join(body[:30]).rstrip(",")


def _crash_location(report: pytest.TestReport) -> str:
    """'file:line' where the failing exception was raised."""
    crash = getattr(report.longrepr, "reprcrash", None)
    return f"{crash.path}:{crash.lineno}" if crash is not None else ""
