"""Grading a library's own implementation (PyTorch's, Hugging Face's) through an adapter.

A library is graded as a learner's file is: only the checks that read the implementation
(checks of facts and of library behaviour do not depend on it), with `qbank grade`'s
Hypothesis profile (each check's explicit examples first, then 20 drawn ones)."""

from __future__ import annotations

import json
from importlib.util import find_spec
from pathlib import Path

import pytest

from qbank.bank.checks import check_functions
from tests.pytest_fork import run_reported

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ("--hypothesis-profile", "grade")


def requires(module: str) -> pytest.MarkDecorator:
    """Skip a test file when `module` is not installed, without importing it while collecting
    (transformers takes ~1.3 s to import, in every pytest-xdist worker that collects the file)."""
    return pytest.mark.skipif(find_spec(module) is None,
                              reason=f"{module} is not installed: it is in the `oracles` extra (make setup)")


def graded_nodes(*files: str) -> list[str]:
    """The checks in `files` (all check files if none) that call a contract name on `impl`."""
    return [node for node, reads in check_functions(ROOT).items()
            if reads and (not files or node.split("::")[0] in files)]


def run_library(adapter: str, files: list[str], report: Path, timeout: int = 600) -> dict:
    """Run the graded checks of `files` against `adapter` in one pytest session of its own
    (tests/pytest_fork.py: derandomized, reused while nothing it depends on changed): {'returncode', 'stdout', 'checks': the --qbank-report verdicts}."""
    nodes = graded_nodes(*files)
    assert nodes, f"no check in {files} reads the implementation"
    proc = run_reported([*nodes, "-q", "-p", "no:cacheprovider", *PROFILE, "--impl", adapter,
                         "--qbank-report", str(report)], report, timeout=timeout)
    assert report.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return {"returncode": proc.returncode, "stdout": proc.stdout, "checks": json.loads(report.read_text())["checks"]}
