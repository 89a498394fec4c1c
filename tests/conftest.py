"""Check runs in tests are plain subprocesses unless a test asks for the grading worker
(qbank/grading/worker.py) with the `grading_worker` fixture: then they are forked from one
worker per test process, which the session stops at its end. No test leaves one running."""

import os

import pytest

from qbank.grading import worker

os.environ["QBANK_WORKER"] = "0"  # inherited by every `qbank` a test starts


@pytest.fixture(scope="session")
def worker_cache(tmp_path_factory):
    """The cache folder of this test process's grading worker; the worker is stopped at the end."""
    cache = tmp_path_factory.mktemp("worker-cache")
    yield cache
    worker.stop(cache)


@pytest.fixture
def grading_worker(monkeypatch, worker_cache):
    """Runs checks as a learner's machine does: through the worker (not CI), with its cache."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("QBANK_WORKER", "1")
    monkeypatch.setenv("QBANK_CACHE", str(worker_cache))
    return worker_cache
