"""tests/pytest_fork.py: a reused run is one whose inputs did not change, and only that.

The pytest runs themselves are faked here (a counter writing a report): what is under test is
when a run is reused, run again, or not kept."""

from __future__ import annotations

import json

import pytest

from tests import pytest_fork
from tests.pytest_fork import Run, inputs_digest, run_reported


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A small working tree standing in for the repository, and a fake pytest that counts its runs."""
    root = tmp_path / "repo"
    (root / "checks").mkdir(parents=True)
    (root / "checks" / "test_a.py").write_text("def test_a(): pass\n")
    (root / "checks" / "__pycache__").mkdir()
    (root / "build").mkdir()
    monkeypatch.setattr(pytest_fork, "ROOT", root)
    monkeypatch.setattr(pytest_fork, "CACHE", root / "build" / ".cache" / "test-runs")
    monkeypatch.setattr(pytest_fork, "INPUTS", ["checks"])
    monkeypatch.delenv("QBANK_TEST_CACHE", raising=False)
    runs: list[list[str]] = []

    def fake_run(args, cwd, env, timeout):
        runs.append(args)
        imported = [str(root / "checks" / "test_a.py"), pytest.__file__]  # an input, and an installed package
        if "--import-cli" in args:
            imported.append(str(root / "qbank" / "cli" / "main.py"))
        # 3: pytest's internal error (a crash); 4: stopped by the checks' conftest (an implementation
        # that does not load), which says why in the report
        code = 3 if "--crash" in args else 4 if "--stop" in args else 1
        report = args[args.index("--qbank-report") + 1]
        with open(report, "w") as f:  # a stopped run writes its report too (the error in it)
            json.dump({"checks": {"checks/test_a.py::test_a": {"outcome": "failed", "run": len(runs)}}}, f)
        assert env["CI"] == "true"  # derandomized, no example database
        return Run(code, f"run {len(runs)}", "", imported)

    monkeypatch.setattr(pytest_fork, "run_pytest", fake_run)
    inputs_digest.cache_clear()
    yield root, runs
    inputs_digest.cache_clear()


def run_once(root, tmp_path, *extra):
    """One run_reported call, writing its report to a path of its own."""
    report = tmp_path / f"report-{len(list(tmp_path.glob('report-*')))}.json"
    run = run_reported(["checks", *extra, "--qbank-report", str(report)], report, cwd=root)
    return run, (json.loads(report.read_text()) if report.exists() else None)


def test_an_unchanged_tree_reuses_the_run_with_its_exit_code_output_and_report(tree, tmp_path):
    root, runs = tree
    first = run_once(root, tmp_path)
    again = run_once(root, tmp_path)  # another report path: the same run
    assert len(runs) == 1
    assert again == first and again[0].returncode == 1 and again[1]["checks"]["checks/test_a.py::test_a"]["run"] == 1


def test_a_changed_input_file_or_new_arguments_run_again(tree, tmp_path):
    root, runs = tree
    run_once(root, tmp_path)
    (root / "checks" / "__pycache__" / "x.pyc").write_bytes(b"bytecode")  # not an input
    inputs_digest.cache_clear()
    run_once(root, tmp_path)
    assert len(runs) == 1
    (root / "checks" / "test_a.py").write_text("def test_a(): assert False\n")
    inputs_digest.cache_clear()
    run_once(root, tmp_path)
    run_once(root, tmp_path, "-k", "a")
    assert len(runs) == 3


def test_an_installed_package_of_another_version_runs_again(tree, tmp_path, monkeypatch):
    root, runs = tree
    run_once(root, tmp_path)
    from qbank.site import digest

    real = digest.metadata.distributions
    monkeypatch.setattr(digest.metadata, "distributions",
                        lambda **kw: [*real(**kw), type("D", (), {"metadata": {"Name": "torch-next"}, "version": "9"})()])
    inputs_digest.cache_clear()
    run_once(root, tmp_path)
    assert len(runs) == 2


def test_a_run_that_did_not_finish_is_not_kept_and_qbank_test_cache_0_always_runs(tree, tmp_path, monkeypatch):
    root, runs = tree
    run_once(root, tmp_path, "--crash")
    run_once(root, tmp_path, "--crash")
    assert len(runs) == 2
    run_once(root, tmp_path)
    monkeypatch.setenv("QBANK_TEST_CACHE", "0")
    run_once(root, tmp_path)
    assert len(runs) == 4


def test_a_run_stopped_by_an_implementation_that_does_not_load_is_kept_with_its_report(tree, tmp_path):
    root, runs = tree
    first = run_once(root, tmp_path, "--stop")
    again = run_once(root, tmp_path, "--stop")
    assert len(runs) == 1 and again == first and again[0].returncode == 4


def test_an_unreadable_cache_entry_is_run_again(tree, tmp_path):
    root, runs = tree
    run_once(root, tmp_path)
    for entry in pytest_fork.CACHE.glob("*.json"):
        entry.write_text("{not json")
    run_once(root, tmp_path)
    assert len(runs) == 2


def test_the_key_does_not_depend_on_what_sys_path_holds_meanwhile(tree, tmp_path, monkeypatch):
    """pytest prepends folders to sys.path as it imports test modules, so two workers see
    different ones: a package found only through such a folder must not change the key."""
    before = inputs_digest()
    extra = tmp_path / "on-sys-path"
    (extra / "stray-1.0.dist-info").mkdir(parents=True)
    (extra / "stray-1.0.dist-info" / "METADATA").write_text("Name: stray\nVersion: 1.0\n")
    monkeypatch.syspath_prepend(str(extra))
    inputs_digest.cache_clear()
    assert inputs_digest() == before


def test_a_run_that_imports_a_repository_file_outside_its_inputs_fails_naming_it(tree, tmp_path):
    """The inputs are listed by hand (editing the CLI or the site leaves the long runs reused):
    a run that imports anything else of the repository must say so, or a change to that file
    would be answered with a stale verdict."""
    root, runs = tree
    with pytest.raises(AssertionError, match=r"qbank/cli/main\.py.*add them to CHECK_RUN_INPUTS"):
        run_once(root, tmp_path, "--import-cli")
    assert not list(pytest_fork.CACHE.glob("*.json"))  # and it is not kept
