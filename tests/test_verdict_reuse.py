"""`make test` reuses the checks' verdicts from `make verify` only when they prove what running
the checks again would (root conftest.py `--reuse-verdicts`, qbank.grading.verification.reusable):
a run of every check, all passed, with the same profile, on the very files, packages and Python
a run would read now. Anything else runs them, and the summary says why."""

import json

import pytest

from qbank.grading.verification import profile_name, reusable
from qbank.site import digest
from tests.pytest_fork import ROOT, run_pytest

GOOD = {"inputs": "abc", "profile": "fast", "markexpr": "", "keyword": "", "exitstatus": 0,
        "items": {"passed": 583, "skipped": 0, "failed": 0, "error": 0}, "undeclared": []}


def _report(tmp_path, run):
    path = tmp_path / "verification.json"
    path.write_text(json.dumps({"checks": {}, **({"run": run} if run is not None else {})}), encoding="utf-8")
    return path


@pytest.fixture
def same_inputs(monkeypatch):
    monkeypatch.delenv("QBANK_TEST_CACHE", raising=False)
    monkeypatch.setattr(digest, "check_run_digest", lambda root: "abc")


@pytest.mark.parametrize("change, why", [
    ({"inputs": "abd"}, "changed since"),
    ({"exitstatus": 1}, "exit status 1"),
    ({"items": {"passed": 582, "failed": 1}}, "not every check passed"),
    ({"items": {"passed": 582, "error": 1}}, "not every check passed"),
    ({"items": {"passed": 0}}, "not every check passed"),  # a collect-only run proves nothing
    ({"profile": "grade"}, "profile 'grade'"),
    ({"keyword": "softmax"}, "-k"),
    ({"markexpr": "statistical"}, "-m 'statistical'"),
    ({"undeclared": ["/repo/scripts/x.py"]}, "imported /repo/scripts/x.py"),
])
def test_a_run_that_cannot_stand_for_running_the_checks_again_is_not_reused_and_says_why(
        tmp_path, same_inputs, change, why):
    assert reusable(_report(tmp_path, GOOD), ROOT, "fast", "not slow").ok  # the unchanged run stands
    reuse = reusable(_report(tmp_path, {**GOOD, **change}), ROOT, "fast", "not slow")
    assert not reuse.ok and why in reuse.why, reuse


def test_no_report_an_old_one_or_qbank_test_cache_0_runs_the_checks(tmp_path, same_inputs, monkeypatch):
    assert "no readable report" in reusable(tmp_path / "missing.json", ROOT, "fast").why
    assert "not from a run of the whole bank" in reusable(_report(tmp_path, None), ROOT, "fast").why
    assert reusable(_report(tmp_path, GOOD), ROOT, "fast").ok
    monkeypatch.setenv("QBANK_TEST_CACHE", "0")
    assert reusable(_report(tmp_path, GOOD), ROOT, "fast").why == "QBANK_TEST_CACHE=0"


def test_the_profile_is_fast_unless_asked_and_derandomized_under_ci():
    assert profile_name(None, {}) == "fast"
    assert profile_name(None, {"CI": "true"}) == "fast-ci"
    assert profile_name("thorough", {"CI": "1", "HYPOTHESIS_PROFILE": "grade"}) == "thorough-ci"
    assert profile_name(None, {"HYPOTHESIS_PROFILE": "kill", "CI": "1"}) == "kill"  # no twin: as registered


def test_a_run_of_the_whole_bank_records_its_inputs_and_a_run_of_some_checks_does_not(tmp_path):
    whole, some = tmp_path / "whole.json", tmp_path / "some.json"
    env = {"QBANK_TEST_CACHE": "1", "PATH": "/usr/bin:/bin"}
    run_pytest(["checks", "--collect-only", "-q", "-p", "no:cacheprovider", "--qbank-report", str(whole)], ROOT, env)
    run_pytest(["checks/test_softmax.py", "--collect-only", "-q", "-p", "no:cacheprovider",
                "--qbank-report", str(some)], ROOT, env)
    run = json.loads(whole.read_text())["run"]
    assert run["inputs"] == digest.check_run_digest(ROOT) and run["undeclared"] == [] and run["exitstatus"] == 0
    assert run["profile"] == "fast" and run["items"]["passed"] == 0  # collected, not run: nothing to reuse
    assert "run" not in json.loads(some.read_text())
    assert "not every check passed" in reusable(whole, ROOT, "fast").why


def _collect(report, env_extra=()):
    env = {"PATH": "/usr/bin:/bin", **dict(env_extra)}
    # "=": a path after a space would be taken for a test path before the root conftest adds the option
    # testpaths: checks/ and this file alone (the rest of tests/ would only slow the collection down)
    run = run_pytest(["--collect-only", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-o",
                      "testpaths=checks tests/test_verdict_reuse.py", "-k", "a_masked_key_gets or leaves_checks_out",
                      f"--reuse-verdicts={report}"], ROOT, env)
    return run.stdout


def test_make_test_leaves_checks_out_when_the_report_stands_and_says_so(tmp_path):
    report = _report(tmp_path, {**GOOD, "inputs": digest.check_run_digest(ROOT)})
    out = _collect(report)
    assert "checks/ not run again" in out and "583 passed" in out, out[-2000:]
    assert "tests/test_verdict_reuse.py::test_make_test" in out and "checks/test_attention.py::" not in out, out
    out = _collect(report, {"QBANK_TEST_CACHE": "0"})
    assert "checks/ ran:" in out and "QBANK_TEST_CACHE=0" in out, out[-2000:]
    assert "checks/test_attention.py::test_a_masked_key_gets" in out  # collected again
