"""Run order for `make test` (pytest -n auto --dist loadfile): longest files first.

xdist hands each test file to one worker, in collection order. A minute-long file handed out
last keeps one core busy while the other idles; handed out first, the short files fill in
around it. The files below take 5-70 s each (measured; they drive a browser, or run pytest
sessions of their own); every other file keeps its place after them. Only the order changes.
"""

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
