"""The kill matrix: every check that grades an implementation can fail.

`tests/broken_impls/<component>/<bug>.py` each hold one classic bug: the component's names, all
right but one, and `MUST_FAIL`, the checks that bug must fail. One pytest run
(`pytest checks --impl-each tests/broken_impls`) grades every file on the checks its MUST_FAIL
names (~1,100 runs that each stop at the first failing example: ~40 s). This proves that each
broken implementation fails the checks it should, and that every check reading `impl` is in
some file's MUST_FAIL: a check no plausible bug can fail would grade nothing. The reference
implementation passing every check is `pytest checks` itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from qbank.bank.checks import check_functions
from tests.proof_runs import BROKEN, must_fail, run_kill_matrix

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted(p for p in BROKEN.rglob("*.py") if p.name != "__init__.py")


@pytest.fixture(scope="module")
def matrix() -> dict[str, dict]:
    """'checks/test_x.py::test_y @ tests/broken_impls/c/bug.py' -> verdict. (A fixture: if the run
    fails, pytest reports that once for the module instead of running it again for each file.)"""
    return run_kill_matrix()["checks"]  # tests/proof_runs.py: written to build/kill-matrix.json


def test_every_broken_implementation_declares_the_checks_it_must_fail():
    missing = [str(p.relative_to(ROOT)) for p in FILES if not must_fail(p)]
    assert FILES and not missing, f"no MUST_FAIL in {missing}"
    for path in FILES:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc, f"{path.relative_to(ROOT)}: say in a docstring which classic bug it is"


@pytest.mark.parametrize("path", FILES, ids=[p.relative_to(BROKEN).with_suffix("").as_posix() for p in FILES])
def test_each_broken_implementation_fails_the_checks_it_must(path, matrix):
    where = path.relative_to(ROOT).as_posix()
    verdicts = {key.split(" @ ")[0]: v for key, v in matrix.items() if key.endswith(f" @ {where}")}
    for node in sorted(must_fail(path)):
        assert node in verdicts, (f"{where}: {node} did not run against it: no such check, or the check "
                                  f"reads no contract name the file defines itself")
        verdict = verdicts[node]
        assert verdict["outcome"] == "failed", f"{where}: {node} {verdict['outcome']} ({verdict['message'][:300]})"


def test_every_check_that_grades_an_implementation_fails_for_some_classic_bug():
    killed = set().union(*(must_fail(p) for p in FILES))
    graders = {node for node, reads in check_functions(ROOT).items() if reads}
    survivors = sorted(graders - killed)
    assert not survivors, (f"{len(survivors)} of {len(graders)} checks that read `impl` are in no broken "
                           f"implementation's MUST_FAIL (add the classic bug that fails each, or make it a "
                           f"fact):\n" + "\n".join(survivors))
