"""`qbank list`, `show` and `stats`: the commands that read the bank and your progress and
never write. Plain functions of plain values, so that qbank/cli/entry.py runs them without
typer; qbank/cli/main.py declares them as typer commands for their --help and errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from qbank.cli import common


def stats(db: Optional[Path]) -> None:
    from qbank.cli.terminal import Plain
    from qbank.cli.views import progress_table

    bank = common.catalog()
    store = common.open_store(db, create=False)
    with common.errors(), store:
        progress_table(Plain(), bank, store)


def _progress_or_none(db: Optional[Path], doing: str, read):
    """`read(store)` for a command that does not need the progress database: a missing or
    empty one reads as no progress, and one that cannot be read is a warning (the command goes
    on without progress), never an error. It is never written to."""
    from qbank.errors import QbankError
    from qbank.progress.store import Store

    try:
        with Store.open(common.db_path(db), create=False) as store:
            return read(store)
    except QbankError as e:
        common.warn(f"{e} ({doing} without your progress)")
        return None


def list_questions(topic: Optional[list[str]], difficulty: Optional[list[str]], tag: Optional[list[str]],
                   db: Optional[Path]) -> None:
    from qbank.cli.terminal import Plain
    from qbank.cli.views import question_table

    _, entries = common.selected(topic, difficulty, tag)
    due = _progress_or_none(db, "listing the questions", lambda store: store.due_dates())
    question_table(Plain(), entries, due or {}, progress=due is not None)


def show(question_id: str, db: Optional[Path], pager: bool) -> None:
    from qbank.cli.terminal import Plain, page
    from qbank.cli.views import show_lines

    entry = common.entry(common.catalog(), question_id)
    progress = _progress_or_none(db, "showing the question",
                                 lambda store: (store.cards().get(entry.id), len(store.reviews(entry.id))))
    card, reviews = progress or (None, 0)
    note = None if progress is not None else "unknown (the progress database cannot be read)"
    out = Plain()
    page(out, show_lines(entry, out, card, reviews, note), use_pager=pager)
