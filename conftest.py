"""`make test`'s own plumbing: the run order, and the reuse of the checks' verdicts.

Run order (pytest -n auto --dist loadfile): longest files first.

xdist hands each test file to one worker, in collection order. A minute-long file handed out
last keeps one core busy while the other idles; handed out first, the short files fill in
around it. The files below take 5-70 s each (measured; they drive a browser, or run pytest
sessions of their own); every other file keeps its place after them. Only the order changes.

`--reuse-verdicts REPORT` (make test: build/verification.json, which `make verify` writes): when
pytest collects its testpaths (no paths given) and the report's run proves what running checks/
again would (qbank.grading.verification.reusable: every check passed, on the very files,
packages and Python a run would read now), checks/ is not collected again; the summary says so,
or why the checks ran. `pytest checks`, any path given, or QBANK_TEST_CACHE=0 always runs them.
"""

from pathlib import Path

LONGEST_FIRST = [
    "tests/test_site.py",
    "tests/test_broken_impls.py",
    "tests/test_impl_plugin.py",
    "tests/test_cli_grading.py",
    "tests/test_adapter_huggingface_attention.py",
    "tests/test_adapter_huggingface.py",
    "tests/test_capabilities.py",
    "tests/test_adapter_hf_generation.py",
    "tests/test_grade_speed.py",
    "tests/test_adapter_hf_schedules.py",
]


def pytest_collection_modifyitems(items) -> None:
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable: the rest keep their order


def pytest_addoption(parser) -> None:
    parser.addoption("--reuse-verdicts", default=None, metavar="REPORT",
                     help="leave checks/ out when REPORT (from `make verify`) holds a passing run of every check "
                          "on the same files, packages and Python (only when no paths are given)")


def _reuse(config):
    """The decision about checks/ for this session (None: the option was not given), made once."""
    if not hasattr(config, "_qbank_reuse"):
        config._qbank_reuse = None
        path = config.getoption("reuse_verdicts")
        if path:
            import os

            from qbank.grading.verification import Reuse, profile_name, reusable

            root = Path(config.rootpath)
            testpaths = [str(root / p) for p in config.getini("testpaths")]
            if [str(Path(config.invocation_params.dir, a).resolve()) for a in config.args] != testpaths:
                config._qbank_reuse = Reuse(False, "paths were given")
            else:
                profile = profile_name(config.getoption("hypothesis_profile", None), os.environ)
                config._qbank_reuse = reusable(root / path, root, profile, config.getoption("markexpr", ""))
    return config._qbank_reuse


def pytest_ignore_collect(collection_path, config):
    reuse = _reuse(config)
    # everything inside checks/ (pytest collects a folder given as an argument, testpaths too, without asking)
    if reuse and reuse.ok and Path(config.rootpath) / "checks" in collection_path.parents:
        return True
    return None


def pytest_terminal_summary(terminalreporter, config) -> None:
    reuse = _reuse(config)
    if reuse is None:
        return
    report = config.getoption("reuse_verdicts")
    if reuse.ok:
        terminalreporter.write_line(
            f"checks/ not run again: {report} holds a run of all of them ({reuse.passed} passed) on these same "
            "checks, solutions, packages and Python (QBANK_TEST_CACHE=0 runs them)")
    else:
        terminalreporter.write_line(f"checks/ ran: {report} cannot stand for them ({reuse.why})")
