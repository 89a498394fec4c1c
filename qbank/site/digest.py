"""What a piece of work was made from, as one hash: the files it reads, any extra inputs (a report),
the Python version and every installed package's version. Equal hashes, equal results.

The site's hook writes the hash of a full build into the site (`qbank-build.txt`), so a later
reader (the browser test) can tell whether `build/site/` is still what a build would make now;
tests/pytest_fork.py keys the test runs it reuses the same way.
"""

from __future__ import annotations

import hashlib
import os
import sys
import sysconfig
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

# build output, caches and bytecode: never inputs
EXCLUDED = {"build", ".git", ".venv", "mutants", ".hypothesis", ".pytest_cache", "qbank.egg-info", "__pycache__"}
# what a build of the site reads: its configuration, the hand-written pages and assets, the bank,
# and the checks and solutions its pages show (pymdownx.snippets)
SITE_SOURCES = ("mkdocs.yml", "pyproject.toml", "site", "questions", "qbank", "checks", "solutions")
STAMP = "qbank-build.txt"  # in a built site: the site_digest it was built from
# What a run of the checks in a pytest session of its own can read from this repository (the kill
# matrix, the library runs: tests/proof_runs.py, tests/pytest_fork.py): the checks and what they
# grade, and the parts of qbank a check run loads (not the CLI, the site or the progress store);
# tests/conftest.py too: pytest loads it when an option's value is a folder under tests/.
CHECK_RUN_INPUTS = ("checks", "solutions", "qbank/__init__.py", "qbank/errors.py", "qbank/contract", "qbank/grading",
                    "qbank/adapters", "qbank/site/__init__.py", "qbank/site/digest.py", "qbank/bank/__init__.py",
                    "qbank/bank/checks.py", "qbank/bank/loader.py", "tests/__init__.py", "tests/conftest.py",
                    "tests/broken_impls", "tests/capability_impls", "tests/unloadable_impls", "tests/pytest_fork.py",
                    "tests/proof_runs.py", "conftest.py", "pyproject.toml")


def digest(root: Path, entries: Iterable[str], *extra: bytes) -> str:
    """A hash of the files under `entries` (relative to `root`), `extra`, the Python version and
    the installed distributions' versions."""
    h = hashlib.sha256(sys.version.encode())
    for entry in entries:
        path = root / entry
        files = sorted(p for p in path.rglob("*") if p.is_file() and not EXCLUDED & set(p.relative_to(root).parts)) \
            if path.is_dir() else [path] if path.is_file() else []
        for f in files:
            h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    for blob in extra:
        h.update(len(blob).to_bytes(8, "little") + blob)
    # the environment's packages (not whatever sys.path holds now: pytest adds folders as it imports)
    site_packages = sorted({sysconfig.get_paths()[k] for k in ("purelib", "platlib")})
    for name, version in sorted((d.metadata["Name"] or "", d.version)
                                for d in metadata.distributions(path=site_packages)):
        h.update(f"{name}={version}\n".encode())
    return h.hexdigest()


def declared(root: Path, file: Path, entries: Iterable[str] = CHECK_RUN_INPUTS) -> bool:
    """Whether an imported file is an input of a check run (under `entries`), or not part of the
    repository at all (installed packages count through their versions)."""
    try:
        parts = file.resolve().relative_to(root.resolve()).parts
    except ValueError:
        return True  # outside the repository
    if EXCLUDED & set(parts):
        return True
    return any(parts[:len(Path(entry).parts)] == Path(entry).parts for entry in entries)


def imported_files() -> list[str]:
    """The files of the modules this process has imported (some of torch's are bare names: left out)."""
    files = {getattr(m, "__file__", None) for m in list(sys.modules.values())}
    return sorted(f for f in files if isinstance(f, str) and os.path.isabs(f))


def undeclared_imports(root: Path) -> list[str]:
    """The files of this repository that this process has imported and CHECK_RUN_INPUTS lacks: a
    change to them would not change `check_run_digest`."""
    return [f for f in imported_files() if not declared(root, Path(f))]


def reuse_enabled() -> bool:
    """Whether results kept under these hashes may stand for running again (QBANK_TEST_CACHE=0 says no)."""
    return os.environ.get("QBANK_TEST_CACHE", "1") != "0"


def check_run_digest(root: Path) -> str:
    """The hash of everything a run of the checks depends on (what build/check-proofs.json records)."""
    return digest(root, CHECK_RUN_INPUTS)


def site_digest(root: Path, report: Path, proofs: Path) -> str:
    """The hash of a full build of the site showing `report` and `proofs` (either may be missing)."""
    return digest(root, SITE_SOURCES, *(p.read_bytes() if p.is_file() else b"<none>" for p in (report, proofs)))
