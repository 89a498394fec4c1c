"""What `qbank stats` reports, computed from the bank and the progress database. Pure.

- due today: seen questions whose next review falls before the end of the local day.
- retention: the share of recalls that succeeded (graded hard, good or easy rather than
  again), counting every review of a question except its first, which is a first
  encounter rather than a recall. Anki's "true retention" follows the same idea.
- mature: a card whose FSRS stability is at least 21 days (Anki's threshold).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from qbank.bank.catalog import TOPICS, Entry
from qbank.progress.store import Review

MATURE_DAYS = 21.0


@dataclass(frozen=True)
class Line:
    label: str
    questions: int = 0
    seen: int = 0
    due_now: int = 0
    due_today: int = 0
    mature: int = 0
    recalls: int = 0
    recalled: int = 0

    @property
    def retention(self) -> float | None:
        return self.recalled / self.recalls if self.recalls else None


@dataclass(frozen=True)
class Stats:
    total: Line
    topics: list[Line]  # in the bank's topic order, topics with questions only
    reviews: int
    reviews_today: int
    next_due: datetime | None


def end_of_day(now: datetime) -> datetime:
    """The next local midnight after `now`, in `now`'s time zone."""
    local = now.astimezone()
    return (local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)).astimezone(now.tzinfo)


def compute(entries: Iterable[Entry], cards: dict[str, dict], reviews: list[Review], now: datetime) -> Stats:
    entries = list(entries)
    midnight = end_of_day(now)
    start_of_day = midnight - timedelta(days=1)
    first_seen: set[str] = set()
    recalls: dict[str, list[int]] = {}
    for r in reviews:  # oldest first
        if r.question_id in first_seen:
            recalls.setdefault(r.question_id, []).append(r.rating)
        first_seen.add(r.question_id)

    def line(label: str, group: list[Entry]) -> Line:
        seen = [e for e in group if e.id in cards]
        due = [datetime.fromisoformat(cards[e.id]["due"]) for e in seen]
        ratings = [x for e in group for x in recalls.get(e.id, [])]
        return Line(label, len(group), len(seen), sum(d <= now for d in due), sum(d < midnight for d in due),
                    sum((cards[e.id].get("stability") or 0) >= MATURE_DAYS for e in seen),
                    len(ratings), sum(x >= 2 for x in ratings))

    topics = [line(topic, [e for e in entries if e.topic == topic]) for topic in TOPICS]
    future = [datetime.fromisoformat(cards[e.id]["due"]) for e in entries if e.id in cards]
    future = [d for d in future if d > now]
    return Stats(line("all", entries), [t for t in topics if t.questions], len(reviews),
                 sum(r.reviewed_at >= start_of_day for r in reviews), min(future, default=None))
