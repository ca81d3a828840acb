"""Scheduling with fixed datetimes: golden due dates from FSRS (they are the spec) and invariants."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.practice import scheduler
from mlquiz.practice.scheduler import Rating

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)
FSRS = scheduler.make_scheduler()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


# Computed once from fsrs 6 (enable_fuzzing=False, desired retention 0.9, mlquiz's learning steps:
# one of 10 minutes) and pinned: each review happens exactly when the card falls due.
# (rating, review time, due afterwards, state afterwards)
GOLDEN = [
    (Rating.GOOD, utc(2024, 3, 1, 9, 0), utc(2024, 3, 3, 9, 0), "Review"),
    (Rating.GOOD, utc(2024, 3, 3, 9, 0), utc(2024, 3, 14, 9, 0), "Review"),
    (Rating.AGAIN, utc(2024, 3, 14, 9, 0), utc(2024, 3, 14, 9, 10), "Relearning"),
    (Rating.GOOD, utc(2024, 3, 14, 9, 10), utc(2024, 3, 16, 9, 10), "Review"),
    (Rating.HARD, utc(2024, 3, 16, 9, 10), utc(2024, 3, 20, 9, 10), "Review"),
    (Rating.EASY, utc(2024, 3, 20, 9, 10), utc(2024, 4, 1, 9, 10), "Review"),
    (Rating.GOOD, utc(2024, 4, 1, 9, 10), utc(2024, 4, 28, 9, 10), "Review"),
]


def test_due_dates_for_a_sequence_of_ratings():
    card = scheduler.new_card("drill-numeric", T0)
    got = []
    for rating, when, _due, _state in GOLDEN:
        card, log = scheduler.review(FSRS, card, rating, when)
        assert log.review_datetime == when and int(log.rating) == int(rating)
        got.append((rating, when, card.due, card.state.name))
    assert got == GOLDEN


@pytest.mark.parametrize("rating, due", [
    (Rating.AGAIN, T0 + timedelta(minutes=10)),  # due again by the next session
    (Rating.HARD, T0 + timedelta(minutes=15)),  # a hinted right answer too
    (Rating.GOOD, T0 + timedelta(days=2)),  # not ten minutes: a second session the same hour skips it
    (Rating.EASY, T0 + timedelta(days=8)),
])
def test_first_review_of_a_new_card(rating, due):
    card, _log = scheduler.review(FSRS, scheduler.new_card("q", T0), rating, T0)
    assert card.due == due


def test_learning_steps_are_a_setting():
    from mlquiz.settings import from_dict

    anki_like = scheduler.make_scheduler(from_dict({"learning_steps": ["1m", "10m"]}))
    card, _log = scheduler.review(anki_like, scheduler.new_card("q", T0), Rating.GOOD, T0)
    assert card.due == T0 + timedelta(minutes=10)  # FSRS's own default steps
    stricter = scheduler.make_scheduler(from_dict({"desired_retention": 0.95}))
    card, _log = scheduler.review(stricter, scheduler.new_card("q", T0), Rating.GOOD, T0)
    assert card.due == T0 + timedelta(days=1)


def test_a_lapse_comes_back_before_a_success():
    card = scheduler.new_card("q", T0)
    for rating, when, _due, _state in GOLDEN[:2]:
        card, _ = scheduler.review(FSRS, card, rating, when)
    when = card.due
    again, _ = scheduler.review(FSRS, card, Rating.AGAIN, when)
    good, _ = scheduler.review(FSRS, card, Rating.GOOD, when)
    assert again.due - when == timedelta(minutes=10)
    assert good.due - when == timedelta(days=46)


def test_review_does_not_change_the_card_it_is_given():
    card = scheduler.new_card("q", T0)
    before = scheduler.card_to_json(card)
    updated, _ = scheduler.review(FSRS, card, Rating.GOOD, T0)
    assert scheduler.card_to_json(card) == before
    assert updated.due != card.due


def test_card_json_round_trip():
    card, _ = scheduler.review(FSRS, scheduler.new_card("q", T0), Rating.GOOD, T0)
    text = scheduler.card_to_json(card)
    again = scheduler.card_from_json(text)
    assert scheduler.card_to_json(again) == text
    assert again.due == utc(2024, 3, 3, 9, 0)


def test_card_id_is_stable_per_question():
    assert scheduler.card_id("drill-numeric") == scheduler.card_id("drill-numeric") == 61217308651891
    assert scheduler.card_id("drill-text") != scheduler.card_id("drill-numeric")
    assert scheduler.new_card("drill-numeric", T0).card_id == 61217308651891


@pytest.mark.parametrize("when", [
    datetime(2024, 3, 1, 9, 0),
    datetime(2024, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=2))),
])
def test_naive_or_non_utc_datetime_is_rejected(when):
    card = scheduler.new_card("q", T0)
    with pytest.raises(ValueError, match="UTC-aware"):
        scheduler.new_card("q", when)
    with pytest.raises(ValueError, match="UTC-aware"):
        scheduler.review(FSRS, card, Rating.GOOD, when)
    with pytest.raises(ValueError, match="UTC-aware"):
        scheduler.recall_probability(FSRS, card, when)


def test_recall_probability_falls_with_time():
    card, _ = scheduler.review(FSRS, scheduler.new_card("q", T0), Rating.EASY, T0)
    p = [scheduler.recall_probability(FSRS, card, T0 + timedelta(days=d)) for d in (0, 1, 8, 60)]
    assert p[0] == pytest.approx(1.0)
    assert p == sorted(p, reverse=True) and p[-1] < p[2] < 1
    assert p[2] == pytest.approx(scheduler.DESIRED_RETENTION, abs=0.02)  # due when recall falls to 90%


def test_rating_words():
    assert scheduler.RATING_WORDS["1"] is Rating.AGAIN
    assert scheduler.RATING_WORDS["hard"] is Rating.HARD
    assert scheduler.RATING_WORDS["g"] is Rating.GOOD
    assert scheduler.RATING_WORDS["4"] is Rating.EASY
    assert set(scheduler.RATING_WORDS.values()) == set(Rating)


def test_utc_now_is_aware_utc():
    now = scheduler.utc_now()
    assert now.utcoffset() == timedelta(0)


ratings = st.sampled_from(list(Rating))
gaps = st.integers(min_value=0, max_value=200 * 24 * 60)  # minutes, up to 200 days


@settings(max_examples=150, deadline=None)
@given(history=st.lists(st.tuples(ratings, gaps, st.booleans()), max_size=12), final_gap=gaps)
def test_intervals_are_non_negative_and_again_is_never_later_than_good(history, final_gap):
    card = scheduler.new_card("q", T0)
    when = T0
    for rating, gap, on_time in history:
        # review either exactly when due or after an arbitrary gap (early or late)
        when = max(when, card.due) if on_time else when + timedelta(minutes=gap)
        card, _ = scheduler.review(FSRS, card, rating, when)
        assert card.due >= when
    when = when + timedelta(minutes=final_gap)
    due = {rating: scheduler.review(FSRS, card, rating, when)[0].due for rating in Rating}
    assert all(d >= when for d in due.values()), due
    assert due[Rating.AGAIN] <= due[Rating.GOOD], due
