"""The plumbing every check shares: the implementation under test, Hypothesis profiles,
and the verification report.

- `impl`: the implementation under test. `pytest checks` grades `solutions/`;
  `pytest checks --impl FILE_OR_MODULE` grades any other (a learner's file or package,
  `qbank.torch_adapter`, ...). `impl.NAME` returns the contract name NAME, and skips the
  check, naming NAME, when the implementation does not provide it.
- Hypothesis profiles: `fast` (default) and `thorough`, picked with
  `--hypothesis-profile` or `$HYPOTHESIS_PROFILE`; with `$CI` set they are derandomized
  and keep no example database, so CI never flakes. No deadline: torch's first call on a
  new shape can take longer than any sensible deadline.
- `--qbank-report PATH`: write a JSON verdict per check (outcome, duration, torch
  version) for the site and the CLI.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

from qbank.contract import NAMES
from qbank.impl import ImplementationError, load_implementation

DEFAULT_IMPL = "solutions"

_common = dict(deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fast", max_examples=40, **_common)
settings.register_profile("thorough", max_examples=1000, **_common)
for _name in ("fast", "thorough"):
    settings.register_profile(f"{_name}-ci", settings.get_profile(_name), derandomize=True, database=None)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("qbank")
    group.addoption("--impl", default=DEFAULT_IMPL, metavar="FILE_OR_MODULE",
                    help="implementation under test: a module name, a .py file or a package folder "
                         f"(default: {DEFAULT_IMPL})")
    group.addoption("--qbank-report", default=None, metavar="PATH",
                    help="write each check's verdict to PATH as JSON")


def pytest_configure(config: pytest.Config) -> None:
    profile = config.getoption("hypothesis_profile", None) or os.environ.get("HYPOTHESIS_PROFILE", "fast")
    if os.environ.get("CI") and not profile.endswith("-ci") and f"{profile}-ci" in settings._profiles:
        profile = f"{profile}-ci"
    settings.load_profile(profile)
    if config.getoption("qbank_report"):
        config.pluginmanager.register(_Report(config), "qbank-report")


def pytest_report_header(config: pytest.Config) -> str:
    return f"qbank: implementation under test = {config.getoption('impl')}"


class Implementation:
    """The implementation under test, seen through the contract."""

    def __init__(self, module: ModuleType, label: str):
        self._module = module
        self._label = label

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in NAMES:
            raise AttributeError(f"{name!r} is not part of the implementation contract (qbank/contract.py)")
        try:
            return getattr(self._module, name)
        except AttributeError:
            pytest.skip(f"{self._label} does not provide {name!r} "
                        f"(contract component {NAMES[name].component!r})")

    def __repr__(self) -> str:
        return f"<implementation {self._label}>"


@pytest.fixture(scope="session")
def impl(request: pytest.FixtureRequest) -> Implementation:
    spec = request.config.getoption("impl")
    try:
        module = load_implementation(spec)
    except ImplementationError as e:
        pytest.exit(f"cannot load the implementation under test: {e}", returncode=4)
    return Implementation(module, spec)


class _Report:
    """Collects one verdict per check function (a parametrized check fails if any case fails)."""

    RANK = {"passed": 0, "skipped": 1, "failed": 2}

    def __init__(self, config: pytest.Config):
        self.path = Path(config.getoption("qbank_report"))
        self.impl = config.getoption("impl")
        self.checks: dict[str, dict] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" and report.passed:
            return
        key = report.nodeid.split("[")[0]
        entry = self.checks.setdefault(key, {"outcome": "passed", "duration": 0.0, "message": ""})
        entry["duration"] = round(entry["duration"] + report.duration, 4)
        outcome = report.outcome
        if self.RANK[outcome] > self.RANK[entry["outcome"]]:
            entry["outcome"] = outcome
            entry["message"] = _short_message(report)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        import torch

        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "implementation": self.impl,
                "torch": torch.__version__, "python": platform.python_version(),
                "checks": dict(sorted(self.checks.items()))}
        self.path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def _short_message(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    text = getattr(report, "longreprtext", "") or ""
    lines = [line for line in text.splitlines() if line.startswith("E ")]
    return "\n".join(line[1:].strip() for line in lines[:12]) or text[-800:]
