"""Progress: one SQLite file holding each question's FSRS card and every review ever given.

Layout (schema version 2, the current one):

    cards    question_id TEXT PRIMARY KEY, card TEXT (fsrs Card JSON), due TEXT (ISO, UTC)
    reviews  id INTEGER PRIMARY KEY, question_id, rating 1-4, reviewed_at TEXT (ISO, UTC),
             duration_ms INTEGER NULL, log TEXT (fsrs ReviewLog JSON)   -- append-only

Cards are keyed by the question's id, never by its content, so correcting an answer keeps
the progress. The file is marked as ours in SQLite's own header: `PRAGMA application_id`
is QBANK_APP_ID and `PRAGMA user_version` the schema version. A file that is not SQLite,
is SQLite but not ours, or is damaged is refused with a clear `StoreError` and left
byte-for-byte untouched (it is inspected read-only before anything is written). A file of
an older schema version is migrated in one transaction. A missing file, an empty one (what
`touch` makes) and an SQLite database without a single table are all a new database: the
quiz initialises it, and the commands that only read (`stats`, `list`, `show`) see no
progress and never write to it.

Every review is one transaction (`record`): the review row and the card's new state are
committed together, before the next question is shown, so Ctrl-C, a closed terminal or a
killed process loses no review already given. `undo` takes the latest review of a question
back the same way: its row is deleted and the card restored in one transaction.

Version 1 (the first release) kept the card in columns and the reviews without the
scheduler's log:

    progress  question_id TEXT PRIMARY KEY, state INTEGER, step INTEGER, stability REAL,
              difficulty REAL, due TEXT, last_review TEXT
    history   question_id TEXT, rating INTEGER, reviewed_at TEXT
"""

from __future__ import annotations

import json
import os
import sys
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from qbank.errors import QbankError

QBANK_APP_ID = 0x71626E6B  # "qbnk"
SCHEMA_VERSION = 2
SQLITE_MAGIC = b"SQLite format 3\x00"
ENV_VAR = "QBANK_DB"

SCHEMA_V2 = """
CREATE TABLE cards (
    question_id TEXT PRIMARY KEY,
    card TEXT NOT NULL,
    due TEXT NOT NULL
);
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    question_id TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    reviewed_at TEXT NOT NULL,
    duration_ms INTEGER,
    log TEXT NOT NULL
);
CREATE INDEX reviews_by_question ON reviews (question_id, reviewed_at);
"""

SCHEMA_V1 = """
CREATE TABLE progress (
    question_id TEXT PRIMARY KEY,
    state INTEGER NOT NULL,
    step INTEGER,
    stability REAL,
    difficulty REAL,
    due TEXT NOT NULL,
    last_review TEXT
);
CREATE TABLE history (
    question_id TEXT NOT NULL,
    rating INTEGER NOT NULL,
    reviewed_at TEXT NOT NULL
);
"""


class StoreError(QbankError):
    """The progress database cannot be used. The message says why and what to do."""


@dataclass(frozen=True)
class Review:
    question_id: str
    rating: int  # 1 again, 2 hard, 3 good, 4 easy
    reviewed_at: datetime  # UTC
    duration_ms: int | None


def default_path() -> Path:
    """`$QBANK_DB`, else `progress.sqlite3` in the user's data directory for qbank."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    return user_dir("data") / "progress.sqlite3"


def user_dir(kind: str) -> Path:
    """qbank's folder for user data ("data") or caches ("cache"), where platformdirs puts it.
    On Linux it is computed here (the XDG rule: $XDG_DATA_HOME or ~/.local/share, $XDG_CACHE_HOME
    or ~/.cache), which spares the start-up platformdirs' import (~10 ms); elsewhere platformdirs."""
    if sys.platform.startswith("linux"):
        variable, fallback = {"data": ("XDG_DATA_HOME", ".local/share"), "cache": ("XDG_CACHE_HOME", ".cache")}[kind]
        base = os.environ.get(variable, "").strip()
        return Path(base if base else os.path.expanduser(f"~/{fallback}")) / "qbank"
    import platformdirs

    return Path({"data": platformdirs.user_data_dir, "cache": platformdirs.user_cache_dir}[kind](
        "qbank", appauthor=False))


def cache_folder() -> Path:
    """qbank's cache folder: $QBANK_CACHE, else the user's (~/.cache/qbank on Linux)."""
    return Path(os.environ["QBANK_CACHE"]) if os.environ.get("QBANK_CACHE") else user_dir("cache")


def card_id(question_id: str) -> int:
    """A stable positive integer for a question id (the fsrs card id, also used by Anki export)."""
    import hashlib

    return int.from_bytes(hashlib.blake2b(question_id.encode(), digest_size=6).digest(), "big")


def utc(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def inspect(path: Path) -> int:
    """The schema version of the qbank database at `path` (0 for an empty file), reading
    only its 100-byte header. Raises StoreError for anything that is not ours."""
    try:
        with open(path, "rb") as f:
            header = f.read(100)
    except IsADirectoryError:
        raise StoreError(f"{path} is a folder, not a progress database") from None
    except OSError as e:
        raise StoreError(f"cannot read the progress database {path}: {e.strerror or e}") from None
    if not header:
        return 0  # an empty file (`touch progress.sqlite3`): a new database
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        what = "a truncated SQLite header" if SQLITE_MAGIC.startswith(header[:16]) else "not an SQLite file"
        raise StoreError(f"{path} is not a qbank progress database ({what}); it was left "
                         f"untouched. Point --db or ${ENV_VAR} elsewhere, or move the file away.")
    app_id = int.from_bytes(header[68:72], "big")
    version = int.from_bytes(header[60:64], "big")
    if app_id == 0 and version == 0 and _holds_nothing(path):
        return 0  # an SQLite database without a single table (`sqlite3 FILE "VACUUM"`): a new database
    if app_id != QBANK_APP_ID:
        raise StoreError(f"{path} is an SQLite database of another application (application_id "
                         f"{app_id:#x}, expected {QBANK_APP_ID:#x}); it was left untouched. Point --db or "
                         f"${ENV_VAR} elsewhere.")
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path} was written by a newer qbank (schema version {version}; this one "
                         f"knows up to {SCHEMA_VERSION}); it was left untouched. Upgrade qbank.")
    if version < 1:
        raise StoreError(f"{path} is marked as qbank's but has no schema version; it was left untouched.")
    return version


class Store:
    """An open progress database. Use `Store.open(path)`; close it (or use `with`)."""

    def __init__(self, path: Path, conn: sqlite3.Connection | None):
        self.path = path
        self._conn = conn  # None: read-only view of a database that does not exist yet

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, create: bool = True) -> Store:
        """Open (creating or migrating as needed) the database at `path`. With
        `create=False` a missing file is not created: the store is empty and read-only."""
        path = Path(path)
        exists = path.exists()
        version = inspect(path) if exists else 0
        if version == 0 and not create:
            return cls(path, None)  # missing or empty: nothing to read, and reading never creates it
        if version:
            _quick_check(path)
        if not create and version < SCHEMA_VERSION:
            # reading an old database: migrate a copy in memory, never the file itself
            return cls(path, _migrated_in_memory(path, version))
        if not exists:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(f"cannot create the folder for the progress database {path}: "
                                 f"{e.strerror or e}") from None
        try:
            conn = sqlite3.connect(path, isolation_level=None, timeout=10)
        except sqlite3.Error as e:
            raise StoreError(f"cannot open the progress database {path}: {e}") from None
        try:
            if version == 0:
                _create(conn)
            elif version < SCHEMA_VERSION:
                migrate(conn, version)
        except (sqlite3.Error, ValueError, TypeError) as e:
            conn.close()
            if version:
                raise StoreError(f"cannot migrate the progress database {path} from schema version {version} "
                                 f"({type(e).__name__}: {e}); it was left as it was.") from None
            raise StoreError(f"cannot write the progress database {path}: {e}") from None
        return cls(path, conn)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------------

    def _rows(self, sql: str, *args) -> list[tuple]:
        if self._conn is None:
            return []
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.Error as e:
            raise StoreError(f"cannot read the progress database {self.path}: {e}") from None

    def cards(self) -> dict[str, dict]:
        """question id -> its fsrs Card as a dict (`fsrs.Card.from_dict` turns it back)."""
        return {qid: json.loads(card) for qid, card in self._rows("SELECT question_id, card FROM cards")}

    def due_dates(self) -> dict[str, datetime]:
        """question id -> when it is next due (UTC); a question absent here is new."""
        return {qid: utc(due) for qid, due in self._rows("SELECT question_id, due FROM cards")}

    def review_count(self) -> int:
        return self._rows("SELECT COUNT(*) FROM reviews")[0][0] if self._conn is not None else 0

    def reviews(self, question_id: str | None = None) -> list[Review]:
        """Every review, oldest first (of one question if given)."""
        sql = "SELECT question_id, rating, reviewed_at, duration_ms FROM reviews"
        rows = (self._rows(sql + " WHERE question_id = ? ORDER BY id", question_id) if question_id
                else self._rows(sql + " ORDER BY id"))
        return [Review(qid, rating, utc(at), ms) for qid, rating, at, ms in rows]

    # -- writing ---------------------------------------------------------------------------

    @property
    def is_new(self) -> bool:
        """No database yet (missing or empty file), opened for reading only."""
        return self._conn is None

    def record(self, question_id: str, card: dict, log: dict) -> int:
        """Save one review and the card it produced, in one transaction; returns the review's id."""
        if self._conn is None:
            raise StoreError(f"{self.path} was opened read-only")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            cursor = self._conn.execute(
                "INSERT INTO reviews (question_id, rating, reviewed_at, duration_ms, log) VALUES (?, ?, ?, ?, ?)",
                (question_id, int(log["rating"]), log["review_datetime"], log.get("review_duration"),
                 json.dumps(log)))
            self._conn.execute(
                "INSERT INTO cards (question_id, card, due) VALUES (?, ?, ?) "
                "ON CONFLICT (question_id) DO UPDATE SET card = excluded.card, due = excluded.due",
                (question_id, json.dumps(card), card["due"]))
            self._conn.execute("COMMIT")
            return cursor.lastrowid
        except sqlite3.Error as e:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise StoreError(f"cannot save the review to {self.path}: {e}") from None

    def undo(self, review_id: int, question_id: str, previous: dict | None) -> None:
        """Take back one review, in one transaction: delete its row from the log and put the
        card back as it was before (`previous`; None: the question had never been reviewed, so
        its card goes). Only the latest review of a question can be taken back."""
        if self._conn is None:
            raise StoreError(f"{self.path} was opened read-only")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            latest = self._conn.execute("SELECT MAX(id) FROM reviews WHERE question_id = ?",
                                        (question_id,)).fetchone()[0]
            if latest != review_id:
                self._conn.execute("ROLLBACK")
                raise StoreError(f"cannot undo review {review_id} of {question_id}: it is not the latest "
                                 f"review of that question in {self.path}")
            self._conn.execute("DELETE FROM reviews WHERE id = ?", (review_id,))
            if previous is None:
                self._conn.execute("DELETE FROM cards WHERE question_id = ?", (question_id,))
            else:
                self._conn.execute("UPDATE cards SET card = ?, due = ? WHERE question_id = ?",
                                   (json.dumps(previous), previous["due"], question_id))
            self._conn.execute("COMMIT")
        except sqlite3.Error as e:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise StoreError(f"cannot undo the review in {self.path}: {e}") from None


def _holds_nothing(path: Path) -> bool:
    """Whether the SQLite database at `path` has no table, index or view at all."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def _quick_check(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as e:
        raise StoreError(f"the progress database {path} is damaged ({e}); it was left untouched. "
                         f"Move it away to start afresh, or restore a backup.") from None
    if result != "ok":
        raise StoreError(f"the progress database {path} is damaged ({result}); it was left untouched. "
                         f"Move it away to start afresh, or restore a backup.")


def _create(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    for statement in filter(str.strip, SCHEMA_V2.split(";")):
        conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {QBANK_APP_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.execute("COMMIT")


def migrate(conn: sqlite3.Connection, version: int) -> None:
    """Bring a database of schema `version` up to SCHEMA_VERSION, in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if version == 1:
            _migrate_1_to_2(conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    for statement in filter(str.strip, SCHEMA_V2.split(";")):
        conn.execute(statement)
    for qid, state, step, stability, difficulty, due, last_review in conn.execute(
            "SELECT question_id, state, step, stability, difficulty, due, last_review FROM progress").fetchall():
        card = {"card_id": card_id(qid), "state": state, "step": step, "stability": stability,
                "difficulty": difficulty, "due": utc(due).isoformat(),
                "last_review": utc(last_review).isoformat() if last_review else None}
        conn.execute("INSERT INTO cards (question_id, card, due) VALUES (?, ?, ?)",
                     (qid, json.dumps(card), card["due"]))
    for qid, rating, at in conn.execute(
            "SELECT question_id, rating, reviewed_at FROM history ORDER BY rowid").fetchall():
        log = {"card_id": card_id(qid), "rating": rating, "review_datetime": utc(at).isoformat(),
               "review_duration": None}
        conn.execute("INSERT INTO reviews (question_id, rating, reviewed_at, duration_ms, log) "
                     "VALUES (?, ?, ?, NULL, ?)", (qid, rating, log["review_datetime"], json.dumps(log)))
    conn.execute("DROP TABLE progress")
    conn.execute("DROP TABLE history")


def _migrated_in_memory(path: Path, version: int) -> sqlite3.Connection:
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        memory = sqlite3.connect(":memory:", isolation_level=None)
        source.backup(memory)
    except sqlite3.Error as e:
        raise StoreError(f"cannot read the progress database {path}: {e}") from None
    finally:
        source.close()
    try:
        migrate(memory, version)
    except (sqlite3.Error, ValueError, TypeError) as e:
        raise StoreError(f"cannot read the progress database {path}: migrating it from schema version "
                         f"{version} failed ({type(e).__name__}: {e})") from None
    return memory


def create_v1(path: Path) -> None:
    """An empty database in the version-1 layout (for migration tests)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.executescript(SCHEMA_V1)
        conn.execute(f"PRAGMA application_id = {QBANK_APP_ID}")
        conn.execute("PRAGMA user_version = 1")
    finally:
        conn.close()
