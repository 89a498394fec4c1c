"""Statistical checks never flip: each passes with its fixed seed in every run, and, to show
that no threshold was tuned to that one seed, for 200 other seeds too (slow: `make test-slow`).

A statistical check is a plain function marked `@pytest.mark.statistical` that takes the `stat_seed`
fixture of checks/conftest.py; this file also holds the two to each other.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _statistical_checks() -> dict[str, tuple[bool, bool]]:
    """check node -> (marked statistical, takes the seed fixture)."""
    found = {}
    for path in sorted((ROOT / "checks").glob("test_*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                marked = any("statistical" in ast.unparse(d) for d in node.decorator_list)
                seeded = "stat_seed" in {a.arg for a in node.args.args}
                if marked or seeded:
                    found[f"checks/{path.name}::{node.name}"] = (marked, seeded)
    return found


def test_a_check_takes_the_seed_fixture_exactly_when_it_is_marked_statistical():
    wrong = {node: f"marked statistical: {m}, takes `stat_seed`: {s}" for node, (m, s) in _statistical_checks().items()
             if m != s}
    assert not wrong, wrong


@pytest.mark.slow
def test_every_statistical_check_passes_for_200_other_seeds(tmp_path):
    nodes = sorted(_statistical_checks())
    assert nodes, "no statistical check found"
    proc = subprocess.run([sys.executable, "-m", "pytest", *nodes, "-q", "-p", "no:cacheprovider",
                           "--stat-seeds", "1:201", "-x"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:]
    passed = int(re.search(r"(\d+) passed", proc.stdout).group(1))  # parametrized checks run once per case
    assert passed >= 200 * len(nodes), proc.stdout[-1000:]
