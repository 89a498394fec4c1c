"""Which questions a quiz session asks, and in what order. Pure functions: no I/O, no clock.

- `select` applies the filters: within one filter any value matches (`--topic a --topic b`),
  across filters all must (`--topic a --difficulty easy`).
- `order` puts the cards that are due first (the most overdue first), then the new ones in
  curriculum order (topic as listed, easy before hard), then, only if asked, the cards
  not due yet (soonest first). `shuffle` is the plain random order of `--random`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from qbank.bank.catalog import DIFFICULTIES, TOPICS, Entry
from qbank.errors import QbankError

if TYPE_CHECKING:
    import random


class FilterError(QbankError, ValueError):
    """A filter names a topic, difficulty or tag the bank does not have."""


@dataclass(frozen=True)
class Filters:
    topics: tuple[str, ...] = ()
    difficulties: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def check(self, known_tags: Iterable[str]) -> None:
        """Raise FilterError naming the first unknown value and the valid ones."""
        known_tags = set(known_tags)
        for kind, values, valid in (("topic", self.topics, list(TOPICS)),
                                    ("difficulty", self.difficulties, list(DIFFICULTIES)),
                                    ("tag", self.tags, sorted(known_tags))):
            for value in values:
                if value not in valid:
                    raise FilterError(f"unknown {kind} {value!r}; choose from: {', '.join(valid)}")

    def matches(self, e: Entry) -> bool:
        return ((not self.topics or e.topic in self.topics)
                and (not self.difficulties or e.difficulty in self.difficulties)
                and (not self.tags or any(t in e.tags for t in self.tags)))


def select(entries: Iterable[Entry], filters: Filters) -> list[Entry]:
    return [e for e in entries if filters.matches(e)]


@dataclass(frozen=True)
class Slot:
    entry: Entry
    kind: str  # "due", "new" or "ahead" (not due yet); "learning": back in the same session
    last_rating: int | None = None  # for "learning": the grade that brought it back


def order(entries: Sequence[Entry], due: dict[str, datetime], now: datetime,
          limit: int | None = None, ahead: bool = False) -> list[Slot]:
    """Due cards (most overdue first), then new ones (curriculum order), then, with
    `ahead`, the others (soonest first); at most `limit`."""
    seen = [e for e in entries if e.id in due]
    slots = [Slot(e, "due") for e in sorted((e for e in seen if due[e.id] <= now), key=lambda e: due[e.id])]
    slots += [Slot(e, "new") for e in sorted((e for e in entries if e.id not in due), key=lambda e: e.sort_key)]
    if ahead:
        slots += [Slot(e, "ahead") for e in sorted((e for e in seen if due[e.id] > now), key=lambda e: due[e.id])]
    return slots[:limit] if limit is not None else slots


def shuffle(entries: Sequence[Entry], due: dict[str, datetime], now: datetime,
            limit: int | None = None, rng: random.Random | None = None) -> list[Slot]:
    """Every selected question in random order, whatever its schedule."""
    import random

    picked = list(entries)
    (rng or random.Random()).shuffle(picked)
    slots = [Slot(e, "new" if e.id not in due else "due" if due[e.id] <= now else "ahead") for e in picked]
    return slots[:limit] if limit is not None else slots


def next_due(entries: Iterable[Entry], due: dict[str, datetime], now: datetime) -> datetime | None:
    """When the next of these cards falls due, if none is due now."""
    future = [due[e.id] for e in entries if e.id in due and due[e.id] > now]
    return min(future, default=None)


RATING_WORDS = {"1": 1, "a": 1, "again": 1, "2": 2, "h": 2, "hard": 2, "3": 3, "g": 3, "good": 3,
                "4": 4, "e": 4, "easy": 4}


def parse_rating(text: str) -> int | None:
    """'3', 'g' or 'good' -> 3; anything else -> None."""
    return RATING_WORDS.get(text.strip().lower())
