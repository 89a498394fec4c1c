"""The progress database: marked as ours, one transaction per review, foreign or damaged
files refused and left byte-for-byte untouched, the version-1 layout migrated."""

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from qbank.progress import srs
from qbank.progress.store import QBANK_APP_ID, SCHEMA_VERSION, Store, StoreError, card_id, create_v1, default_path

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pragmas(path: Path) -> tuple[int, int]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA application_id").fetchone()[0], conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def test_a_new_database_is_created_with_our_marker_and_the_current_schema(tmp_path):
    db = tmp_path / "deep" / "folder" / "progress.sqlite3"
    with Store.open(db) as store:
        assert store.cards() == {} and store.reviews() == []
    assert pragmas(db) == (QBANK_APP_ID, SCHEMA_VERSION)


def test_reading_a_missing_database_does_not_create_it(tmp_path):
    db = tmp_path / "none.sqlite3"
    with Store.open(db, create=False) as store:
        assert store.due_dates() == {}
    assert not db.exists()


def test_an_empty_file_is_initialised(tmp_path):
    db = tmp_path / "empty.sqlite3"
    db.touch()
    Store.open(db).close()
    assert pragmas(db) == (QBANK_APP_ID, SCHEMA_VERSION)


def test_each_review_is_committed_at_once_and_keyed_by_question_id(tmp_path):
    db = tmp_path / "p.sqlite3"
    with Store.open(db) as store:
        card = srs.review(store, "why-scale", 3, T0, duration_ms=4200)
        # a second connection sees it while the first is still open: it is committed
        other = sqlite3.connect(db)
        rows = other.execute("SELECT question_id, rating, duration_ms, log FROM reviews").fetchall()
        saved = dict(other.execute("SELECT question_id, card FROM cards").fetchall())
        other.close()
    assert [r[:3] for r in rows] == [("why-scale", 3, 4200)]
    assert json.loads(rows[0][3])["card_id"] == card_id("why-scale")
    assert json.loads(saved["why-scale"]) == card
    assert card["card_id"] == card_id("why-scale") and datetime.fromisoformat(card["due"]) > T0


def test_card_ids_are_stable_and_distinct():
    assert card_id("why-scale") == card_id("why-scale")
    assert card_id("why-scale") != card_id("why-scale-2")
    assert 0 < card_id("x") < 2**63


def test_a_review_survives_the_process_being_killed_right_after(tmp_path):
    db = tmp_path / "p.sqlite3"
    code = ("import os, signal, sys; from qbank.progress.store import Store; from qbank.progress import srs; "
            "store = Store.open(sys.argv[1]); srs.review(store, 'alpha', 4); "
            "os.kill(os.getpid(), signal.SIGKILL)")
    proc = subprocess.run([sys.executable, "-c", code, str(db)], cwd=ROOT)
    assert proc.returncode == -9
    with Store.open(db, create=False) as store:
        assert [r.question_id for r in store.reviews()] == ["alpha"]
        assert "alpha" in store.cards()


def test_a_file_that_is_not_sqlite_is_refused_and_untouched(tmp_path):
    db = tmp_path / "notes.txt"
    db.write_text("my precious notes\n" * 20)
    before = digest(db)
    with pytest.raises(StoreError, match="not a qbank progress database.*untouched"):
        Store.open(db)
    assert digest(db) == before


def test_an_sqlite_database_of_another_application_is_refused_and_untouched(tmp_path):
    db = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE cards (x)")
    conn.execute("INSERT INTO cards VALUES (1)")
    conn.commit()
    conn.close()
    before = digest(db)
    with pytest.raises(StoreError, match="another application.*untouched"):
        Store.open(db)
    with pytest.raises(StoreError, match="another application"):
        Store.open(db, create=False)
    assert digest(db) == before


def test_a_database_of_a_newer_version_is_refused_and_untouched(tmp_path):
    db = tmp_path / "new.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA application_id = {QBANK_APP_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.execute("CREATE TABLE future (x)")
    conn.commit()
    conn.close()
    before = digest(db)
    with pytest.raises(StoreError, match="newer qbank"):
        Store.open(db)
    assert digest(db) == before


def test_a_damaged_database_is_refused_and_untouched(tmp_path):
    db = tmp_path / "p.sqlite3"
    with Store.open(db) as store:
        srs.review(store, "question-0", 3, T0)
    conn = sqlite3.connect(db)  # grow it to a few dozen pages in one transaction
    conn.executemany("INSERT INTO reviews (question_id, rating, reviewed_at, log) VALUES (?, 3, ?, '{}')",
                     [(f"question-{i}", T0.isoformat()) for i in range(2000)])
    conn.commit()
    conn.close()
    data = bytearray(db.read_bytes())
    assert len(data) > 8 * 4096
    data[2 * 4096:6 * 4096] = b"\xa5" * (4 * 4096)  # scribble over a few pages, header intact
    db.write_bytes(bytes(data))
    before = digest(db)
    with pytest.raises(StoreError, match="damaged.*untouched"):
        Store.open(db)
    assert digest(db) == before


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(StoreError, match="is a folder"):
        Store.open(tmp_path)


def write_v1(db: Path) -> None:
    create_v1(db)
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO progress VALUES ('alpha', 2, NULL, 12.5, 4.2, '2026-01-20T09:30:00+00:00', "
                 "'2026-01-08T09:30:00+00:00')")
    conn.execute("INSERT INTO progress VALUES ('beta', 1, 1, 2.3, 6.0, '2026-01-08T09:40:00', "
                 "'2026-01-08T09:30:00')")
    conn.executemany("INSERT INTO history VALUES (?, ?, ?)", [
        ("alpha", 3, "2026-01-05T09:30:00+00:00"), ("alpha", 4, "2026-01-08T09:30:00+00:00"),
        ("beta", 1, "2026-01-08T09:30:00")])
    conn.commit()
    conn.close()


def test_a_version_1_database_is_migrated_keeping_every_card_and_review(tmp_path):
    from fsrs import Card, State

    db = tmp_path / "v1.sqlite3"
    write_v1(db)
    with Store.open(db) as store:
        cards = store.cards()
        reviews = store.reviews()
        due = store.due_dates()
    assert pragmas(db) == (QBANK_APP_ID, SCHEMA_VERSION)
    alpha = Card.from_dict(cards["alpha"])  # the migrated card is a valid fsrs card
    assert alpha.card_id == card_id("alpha") and alpha.state == State.Review and alpha.stability == 12.5
    assert Card.from_dict(cards["beta"]).step == 1
    assert due["beta"] == datetime(2026, 1, 8, 9, 40, tzinfo=timezone.utc)  # naive times were UTC
    assert [(r.question_id, r.rating) for r in reviews] == [("alpha", 3), ("alpha", 4), ("beta", 1)]
    conn = sqlite3.connect(db)
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert {"cards", "reviews"} <= tables and not {"progress", "history"} & tables
    # and the scheduler carries on from the migrated state
    with Store.open(db) as store:
        card = srs.review(store, "alpha", 3, datetime(2026, 1, 20, 10, tzinfo=timezone.utc))
    assert datetime.fromisoformat(card["due"]) > datetime(2026, 2, 1, tzinfo=timezone.utc)


def test_reading_a_version_1_database_does_not_modify_it(tmp_path):
    db = tmp_path / "v1.sqlite3"
    write_v1(db)
    before = digest(db)
    with Store.open(db, create=False) as store:
        assert set(store.cards()) == {"alpha", "beta"} and len(store.reviews()) == 3
    assert digest(db) == before


def test_a_failed_migration_leaves_the_file_as_it_was(tmp_path):
    db = tmp_path / "v1.sqlite3"
    write_v1(db)
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO progress VALUES ('bad', 2, NULL, 1.0, 1.0, 'not a date', NULL)")
    conn.commit()
    conn.close()
    before = digest(db)
    with pytest.raises(StoreError, match="cannot migrate.*version 1"):
        Store.open(db)
    assert digest(db) == before
    assert pragmas(db) == (QBANK_APP_ID, 1)


def test_the_default_location_is_the_user_data_folder_unless_overridden(monkeypatch, tmp_path):
    from platformdirs import user_data_dir

    monkeypatch.delenv("QBANK_DB", raising=False)
    assert default_path() == Path(user_data_dir("qbank", appauthor=False)) / "progress.sqlite3"
    monkeypatch.setenv("QBANK_DB", str(tmp_path / "mine.db"))
    assert default_path() == tmp_path / "mine.db"


def test_a_past_review_makes_the_card_due_later(tmp_path):
    with Store.open(tmp_path / "p.sqlite3") as store:
        srs.review(store, "alpha", 3, T0 - timedelta(days=30))
        due = store.due_dates()["alpha"]
    assert T0 - timedelta(days=30) < due < T0


def test_environment_is_not_touched(tmp_path):
    # opening a store must not change the process environment (typer, pydantic and
    # the subprocess runner all read it)
    before = dict(os.environ)
    Store.open(tmp_path / "p.sqlite3").close()
    assert dict(os.environ) == before


# -- new, empty and partial files ------------------------------------------------------------


def empty_sqlite(db: Path) -> None:
    """An SQLite database without a single table (what `sqlite3 FILE "VACUUM"` leaves)."""
    conn = sqlite3.connect(db)
    conn.execute("VACUUM")
    conn.close()
    assert db.stat().st_size > 0


@pytest.mark.parametrize("make", [Path.touch, empty_sqlite], ids=["zero-bytes", "sqlite-without-tables"])
def test_an_empty_file_is_a_new_database_read_without_writing_and_initialised_by_the_quiz(tmp_path, make):
    db = tmp_path / "progress.sqlite3"
    make(db)
    before = digest(db)
    with Store.open(db, create=False) as store:  # stats, list, show
        assert store.is_new and store.cards() == {} and store.reviews() == [] and store.review_count() == 0
    assert digest(db) == before  # reading never writes
    with Store.open(db) as store:  # the quiz
        srs.review(store, "alpha", 3, T0)
    assert pragmas(db) == (QBANK_APP_ID, SCHEMA_VERSION)
    with Store.open(db, create=False) as store:
        assert [r.question_id for r in store.reviews()] == ["alpha"]


def test_a_partial_file_is_refused_by_reading_and_writing_alike_and_untouched(tmp_path):
    good = tmp_path / "good.sqlite3"
    with Store.open(good) as store:
        srs.review(store, "alpha", 3, T0)
    for size in (10, 60, 150, good.stat().st_size // 2):
        db = tmp_path / f"cut-{size}.sqlite3"
        db.write_bytes(good.read_bytes()[:size])
        before = digest(db)
        for create in (False, True):
            with pytest.raises(StoreError) as refused:
                Store.open(db, create=create)
            message = str(refused.value)
            assert str(db) in message and "untouched" in message, message
        assert digest(db) == before


# -- undo ------------------------------------------------------------------------------------


def test_undo_deletes_the_review_and_restores_the_card_in_one_transaction(tmp_path):
    db = tmp_path / "p.sqlite3"
    with Store.open(db) as store:
        first = srs.grade(store, "alpha", 3, T0)
        before = store.cards()["alpha"]
        second = srs.grade(store, "alpha", 1, T0 + timedelta(days=3))
        assert second.previous == before and store.cards()["alpha"] == second.card
        srs.undo(store, second, "alpha")
        assert store.cards()["alpha"] == before  # the card as it was
        assert [(r.question_id, r.rating) for r in store.reviews()] == [("alpha", 3)]
        srs.undo(store, first, "alpha")  # the question's first review: no card at all any more
        assert store.cards() == {} and store.reviews() == []


def test_only_the_latest_review_of_a_question_can_be_undone(tmp_path):
    with Store.open(tmp_path / "p.sqlite3") as store:
        first = srs.grade(store, "alpha", 3, T0)
        srs.grade(store, "alpha", 3, T0 + timedelta(days=1))
        with pytest.raises(StoreError, match="not the latest review"):
            srs.undo(store, first, "alpha")
        assert len(store.reviews()) == 2


def test_a_failed_undo_changes_nothing(tmp_path):
    db = tmp_path / "p.sqlite3"
    with Store.open(db) as store:
        graded = srs.grade(store, "alpha", 3, T0)
        store._conn.execute("CREATE TRIGGER no_delete BEFORE DELETE ON cards BEGIN "
                            "SELECT RAISE(ABORT, 'cards are kept'); END")
        with pytest.raises(StoreError, match="cannot undo"):
            srs.undo(store, graded, "alpha")  # the review row went first, then the card failed
        assert len(store.reviews()) == 1 and "alpha" in store.cards()  # rolled back together


# -- the intervals the quiz shows ------------------------------------------------------------


def test_the_preview_of_each_rating_is_what_grading_then_saves_fuzz_included(tmp_path):
    # cards in review state with intervals long enough to be fuzzed (>= 3 days): the interval a
    # key is labelled with must be the one that grade saves, a few seconds later
    with Store.open(tmp_path / "p.sqlite3") as store:
        for i in range(12):
            qid = f"q{i}"
            for days, rating in ((0, 3), (2, 3), (9, 4), (40 + i, 3)):
                srs.review(store, qid, rating, T0 + timedelta(days=days))
            when = T0 + timedelta(days=120 + i)
            saved = store.cards()[qid]
            preview = srs.preview(saved, qid, when)
            assert len({p["due"] for p in preview.values()}) == 4  # four different outcomes
            rating = 1 + i % 4
            graded = srs.grade(store, qid, rating, when + timedelta(seconds=20))
            shown = datetime.fromisoformat(preview[rating]["due"]) - when
            got = datetime.fromisoformat(graded.card["due"]) - (when + timedelta(seconds=20))
            assert srs.short_interval(shown) == srs.short_interval(got), (qid, rating, shown, got)
            assert abs(shown - got) < timedelta(minutes=1)


def test_fuzz_still_spreads_cards_and_leaves_the_callers_random_state_alone(tmp_path):
    import random

    random.seed(5)
    expected = random.random()
    random.seed(5)
    with Store.open(tmp_path / "p.sqlite3") as store:
        dues = set()
        for i in range(20):
            for days, rating in ((0, 3), (2, 3), (9, 4)):
                srs.review(store, f"q{i}", rating, T0 + timedelta(days=days))
            dues.add(store.cards()[f"q{i}"]["due"])
    assert random.random() == expected
    assert len(dues) > 1  # identical histories, different cards: fuzz still spreads them


@pytest.mark.parametrize("seconds, text", [(5, "<1m"), (60, "1m"), (600, "10m"), (3 * 3600, "3h"),
                                           (6 * 86400, "6d"), (45 * 86400, "1.5mo"), (400 * 86400, "1.1y")])
def test_intervals_are_written_as_anki_writes_them(seconds, text):
    assert srs.short_interval(timedelta(seconds=seconds)) == text


@pytest.mark.parametrize("xdg", [None, "custom"])
def test_the_user_folders_are_where_platformdirs_puts_them(monkeypatch, tmp_path, xdg):
    import platformdirs

    from qbank.progress.store import user_dir

    for variable in ("XDG_DATA_HOME", "XDG_CACHE_HOME"):
        if xdg:
            monkeypatch.setenv(variable, str(tmp_path / variable))
        else:
            monkeypatch.delenv(variable, raising=False)
    assert user_dir("data") == Path(platformdirs.user_data_dir("qbank", appauthor=False))
    assert user_dir("cache") == Path(platformdirs.user_cache_dir("qbank", appauthor=False))
