"""build/check-proofs.json, as `make setup`'s main job writes it (tests/proof_runs.py): the
verdicts of the kill matrix and the library runs, turned into what each check is proven to do."""

from tests.proof_runs import BROKEN, LIBRARIES, ROOT, bug_of, must_fail, summarize

UNSCALED = "tests/broken_impls/attention/unscaled.py"
A = "checks/test_attention.py::"


def _run(**verdicts: str) -> dict:
    return {"checks": {node: {"outcome": outcome, "message": f"{outcome} here"} for node, outcome in verdicts.items()}}


def test_a_check_fails_for_the_bugs_it_failed_and_passes_with_the_libraries_it_passed():
    must = sorted(must_fail(ROOT / UNSCALED))
    other = A + "test_not_in_the_files_must_fail"
    kill = _run(**{f"{must[0]} @ {UNSCALED}": "failed", f"{other} @ {UNSCALED}": "passed"})
    summary = summarize(kill, {"pytorch": _run(**{must[0]: "passed", other: "skipped"})}, {})
    assert summary["checks"][must[0]] == {"fails_for": [UNSCALED], "passes_with": ["pytorch"]}
    assert other not in summary["checks"]  # skipped for the library, and not a bug it must fail: nothing proven
    assert summary["sources"] == {UNSCALED: bug_of(ROOT / UNSCALED), "pytorch": LIBRARIES["pytorch"].label}
    assert not summary["problems"]


def test_a_bug_a_check_must_fail_but_passed_and_a_library_it_rejects_are_problems():
    must = sorted(must_fail(ROOT / UNSCALED))
    summary = summarize(_run(**{f"{must[0]} @ {UNSCALED}": "passed"}), {"pytorch": _run(**{must[0]: "failed"})}, {})
    assert summary["problems"] == [f"{must[0]} passed for {UNSCALED}, whose bug it must fail",
                                   f"{must[0]} failed for the library pytorch: failed here"]


def test_each_bug_reads_as_the_first_sentence_of_its_docstring():
    for path in sorted(BROKEN.rglob("*.py")):
        if path.name != "__init__.py":
            bug = bug_of(path)
            assert 10 < len(bug) <= 300 and bug.endswith((".", ")")), (path, bug)
            assert "tests/" not in bug, (path, bug)  # the site shows it to learners: the bug, not our plumbing
