"""What every qbank command shares: errors and warnings, the bank, the filters, the progress
database. Nothing here imports typer: `list`, `show` and `stats` run without it
(qbank/cli/entry.py), and the typer commands of qbank/cli/main.py use the same helpers.

Errors go to stderr as one `qbank: error: ...` line and a non-zero exit code (SystemExit,
which typer and click pass through unchanged), never a traceback.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, Optional

if TYPE_CHECKING:
    from qbank.bank.catalog import Catalog, Entry
    from qbank.cli.quiz import Filters
    from qbank.progress.store import Store

EXIT_FAILED = 1  # a claim or a check failed
EXIT_ERROR = 2  # the command could not do its job (bad input, unreadable file)
EXIT_INTERRUPTED = 130


def warn(message: str) -> None:
    print(f"qbank: warning: {message}", file=sys.stderr)


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """Print an error to stderr and exit non-zero, without a traceback."""
    print(f"qbank: error: {message}", file=sys.stderr)
    raise SystemExit(code)


@contextmanager
def errors():
    """Turn the package's expected errors into `fail`."""
    from qbank.bank.loader import BankNotFound
    from qbank.errors import QbankError

    try:
        yield
    except (BankNotFound, QbankError) as e:
        fail(str(e))


def catalog() -> Catalog:
    """The bank's questions (remembered between runs: qbank/cli/catalog_cache.py); its
    warnings printed."""
    from qbank.cli.catalog_cache import load_catalog
    from qbank.cli.views import use_bank

    with errors():
        result = load_catalog()
    use_bank(result.root)
    for warning in result.warnings:
        warn(warning)
    return result


def filters(bank: Catalog, topic, difficulty, tag) -> Filters:
    from qbank.cli.quiz import Filters

    result = Filters(tuple(topic or ()), tuple(difficulty or ()), tuple(tag or ()))
    with errors():
        result.check(bank.tags)
    return result


def selected(topic, difficulty, tag) -> tuple[Catalog, list[Entry]]:
    from qbank.cli.quiz import select

    bank = catalog()
    return bank, select(bank.entries, filters(bank, topic, difficulty, tag))


def db_path(db: Optional[Path]) -> Path:
    from qbank.progress.store import default_path

    return db if db is not None else default_path()


def open_store(db: Optional[Path], create: bool) -> Store:
    from qbank.progress.store import Store

    with errors():
        return Store.open(db_path(db), create=create)


def entry(bank: Catalog, question_id: str) -> Entry:
    """The question with this id, or an error with the closest ids."""
    found = bank.get(question_id)
    if found is None:
        import difflib

        close = difflib.get_close_matches(question_id, [e.id for e in bank.entries], n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(close)}?" if close else "; `qbank list` shows them all"
        fail(f"unknown question id {question_id!r}{hint}")
    return found
