"""Spaced repetition with FSRS (the ``fsrs`` package): one card per question id.

Pure: every function takes the time as an argument and never reads the clock, so scheduling is
testable with fixed datetimes. All variants of a parameterized question share one card.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from enum import IntEnum

DESIRED_RETENTION = 0.9  # FSRS's default: review when recall probability falls to 90%


class Rating(IntEnum):
    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


RATING_WORDS = {"1": Rating.AGAIN, "again": Rating.AGAIN, "a": Rating.AGAIN,
                "2": Rating.HARD, "hard": Rating.HARD, "h": Rating.HARD,
                "3": Rating.GOOD, "good": Rating.GOOD, "g": Rating.GOOD,
                "4": Rating.EASY, "easy": Rating.EASY, "e": Rating.EASY}


def make_scheduler(settings=None):
    """An FSRS scheduler with the retention and learning steps of ``settings`` (mlquiz.settings)."""
    from fsrs import Scheduler

    from mlquiz.settings import Settings

    settings = settings or Settings()
    # No fuzzing: intervals are reproducible, which tests and --seed rely on.
    return Scheduler(desired_retention=settings.desired_retention, learning_steps=settings.steps("learning_steps"),
                     relearning_steps=settings.steps("relearning_steps"), enable_fuzzing=False)


def card_id(question_id: str) -> int:
    """A stable integer id per question (fsrs would otherwise use the clock and sleep 1 ms)."""
    return int.from_bytes(hashlib.sha256(question_id.encode()).digest()[:6], "big")


def new_card(question_id: str, now: datetime):
    from fsrs import Card

    _require_utc(now)
    return Card(card_id=card_id(question_id), due=now)


def review(scheduler, card, rating: Rating, now: datetime):
    """The card after a review at ``now``, and fsrs's review log. ``card`` is not changed."""
    from fsrs import Rating as FsrsRating

    _require_utc(now)
    return scheduler.review_card(card, FsrsRating(int(rating)), review_datetime=now)


def recall_probability(scheduler, card, now: datetime) -> float:
    _require_utc(now)
    return scheduler.get_card_retrievability(card, current_datetime=now)


def card_to_json(card) -> str:
    return card.to_json()


def card_from_json(text: str):
    from fsrs import Card

    return Card.from_json(text)


def read_card(text: str | None):
    """The card stored as ``text``, or None when there is none or it is damaged."""
    if not text:
        return None
    try:
        return card_from_json(text)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _require_utc(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() != timedelta(0):
        raise ValueError(f"scheduling needs a UTC-aware datetime, got {now!r}")


def utc_now() -> datetime:
    """The one place the clock is read; callers pass the result in."""
    return datetime.now(timezone.utc)


def shifted_clock(start: datetime | None):
    """A clock that reads ``start`` now and runs on from it (``--now``); the real clock for None."""
    if start is None:
        return utc_now
    offset = start - utc_now()
    return lambda: utc_now() + offset


def parse_now(text: str) -> datetime:
    """``--now`` / ``MLQUIZ_NOW``: an ISO date or time (local time if it names no zone), or an offset
    from the real clock such as ``+1d``, ``+36h`` or ``-2d``; returned as UTC."""
    import re

    raw = text.strip()
    offset = re.fullmatch(r"([+-])(\d+(?:\.\d+)?)([mhd])", raw)
    if offset:
        sign = 1 if offset.group(1) == "+" else -1
        unit = {"m": "minutes", "h": "hours", "d": "days"}[offset.group(3)]
        return utc_now() + sign * timedelta(**{unit: float(offset.group(2))})
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{text!r} is not a time: use an ISO time such as 2026-12-04T09:00, a date, "
                         "or an offset such as +1d or +36h") from None
    if when.tzinfo is None:
        when = when.astimezone()  # a time without a zone is the user's local time
    return when.astimezone(timezone.utc)
