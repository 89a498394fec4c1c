"""Spaced repetition: the FSRS scheduler (py-fsrs, Anki's algorithm) over plain dicts.

The store keeps cards and review logs as the dicts of `fsrs.Card.to_dict()` and
`fsrs.ReviewLog.to_dict()`; this module is the only one that turns them into fsrs
objects. The scheduler uses fsrs's defaults (FSRS-6 parameters, 90 % desired retention,
learning steps of 1 and 10 minutes, interval fuzzing). Times are UTC.

`preview` says what each rating would do to a card without saving anything: the quiz
labels its rating keys with those intervals, as Anki labels its buttons. Interval fuzzing
(a few percent of random spread on intervals of three days or more, so cards reviewed
together drift apart) draws from a generator seeded by the card's id and its last review,
so the interval a key shows is the interval that rating then gives.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Graded:
    card: dict  # the card after the review (saved)
    review_id: int  # its row in the review log
    previous: dict | None  # the card before it (None: the question's first review); what undo restores
    rating: int


@contextmanager
def _fuzz_seeded(card) -> None:
    """py-fsrs fuzzes with the module `random`'s global generator: seed it from the card's
    state for the duration, and give the caller's generator state back afterwards."""
    import random

    state = random.getstate()
    random.seed(f"{card.card_id}:{card.last_review.isoformat() if card.last_review else '-'}")
    try:
        yield
    finally:
        random.setstate(state)


def _card(saved: dict | None, question_id: str, when: datetime):
    from fsrs import Card

    return Card.from_dict(saved) if saved else Card(card_id=card_id(question_id), due=when)


def _check(rating: int) -> None:
    if rating not in RATINGS:
        raise ValueError(f"rating must be 1-4 ({', '.join(f'{k} {v}' for k, v in RATINGS.items())}), got {rating!r}")


def preview(saved: dict | None, question_id: str, when: datetime | None = None) -> dict[int, dict]:
    """rating -> the card that rating would give at `when`, for a card saved as `saved`
    (None: never reviewed). Nothing is saved."""
    from fsrs import Rating

    when = when or now()
    out = {}
    for rating in RATINGS:
        card = _card(saved, question_id, when)
        with _fuzz_seeded(card):
            new, _ = scheduler().review_card(card, Rating(rating), review_datetime=when)
        out[rating] = new.to_dict()
    return out


def grade(store: Store, question_id: str, rating: int, when: datetime | None = None,
          duration_ms: int | None = None) -> Graded:
    """Apply one self-grade to the question's card and save both at once (one transaction)."""
    from fsrs import Rating

    _check(rating)
    when = when or now()
    saved = store.cards().get(question_id)
    card = _card(saved, question_id, when)
    with _fuzz_seeded(card):
        card, log = scheduler().review_card(card, Rating(rating), review_datetime=when,
                                            review_duration=duration_ms)
    new = card.to_dict()
    review_id = store.record(question_id, new, log.to_dict())
    return Graded(new, review_id, saved, rating)


def review(store: Store, question_id: str, rating: int, when: datetime | None = None,
           duration_ms: int | None = None) -> dict:
    """`grade`, returning only the new card."""
    return grade(store, question_id, rating, when, duration_ms).card


def undo(store: Store, graded: Graded, question_id: str) -> None:
    """Take a grade back: its review-log row goes and the card is as it was, in one transaction."""
    store.undo(graded.review_id, question_id, graded.previous)


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


def short_interval(delta: timedelta) -> str:
    """An interval as Anki writes it on its buttons: '<1m', '10m', '3h', '6d', '1.5mo', '2.1y'."""
    seconds = max(0.0, delta.total_seconds())
    if seconds < 60:
        return "<1m"
    if seconds < 3600:
        return f"{round(seconds / 60)}m"
    if seconds < 86400:
        return f"{round(seconds / 3600)}h"
    days = seconds / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}".removesuffix(".0") + "mo"
    return f"{days / 365:.1f}".removesuffix(".0") + "y"
