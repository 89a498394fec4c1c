"""Spaced repetition: the FSRS scheduler (py-fsrs, Anki's algorithm) over plain dicts.

The store keeps cards and review logs as the dicts of `fsrs.Card.to_dict()` and
`fsrs.ReviewLog.to_dict()`; this module is the only one that turns them into fsrs
objects. The scheduler uses fsrs's defaults (FSRS-6 parameters, 90 % desired retention,
learning steps of 1 and 10 minutes, interval fuzzing). Times are UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import cache

from qbank.progress.store import Store, card_id

RATINGS = {1: "again", 2: "hard", 3: "good", 4: "easy"}


@cache
def scheduler():
    from fsrs import Scheduler

    return Scheduler()


def now() -> datetime:
    return datetime.now(timezone.utc)


def review(store: Store, question_id: str, rating: int, when: datetime | None = None,
           duration_ms: int | None = None) -> dict:
    """Apply one self-grade to the question's card and save both at once; returns the new card."""
    from fsrs import Card, Rating

    if rating not in RATINGS:
        raise ValueError(f"rating must be 1-4 ({', '.join(f'{k} {v}' for k, v in RATINGS.items())}), got {rating!r}")
    when = when or now()
    saved = store.cards().get(question_id)
    card = Card.from_dict(saved) if saved else Card(card_id=card_id(question_id), due=when)
    card, log = scheduler().review_card(card, Rating(rating), review_datetime=when, review_duration=duration_ms)
    new = card.to_dict()
    store.record(question_id, new, log.to_dict())
    return new


def retrievability(card: dict, when: datetime | None = None) -> float:
    """The predicted probability of recalling the card at `when` (0 for a card never reviewed)."""
    from fsrs import Card

    return scheduler().get_card_retrievability(Card.from_dict(card), when or now())


def describe_interval(delta: timedelta) -> str:
    """'in 10 minutes', 'in 3 days', 'in 4 months'."""
    seconds = max(0, delta.total_seconds())
    for unit, size in (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600),
                       ("minute", 60)):
        if seconds >= size or unit == "minute":
            n = max(1, round(seconds / size))
            return f"in {n} {unit}{'s' if n != 1 else ''}"
    raise AssertionError("unreachable")
