"""``mlquiz stats``: counts from known reviews recorded at fixed times, and the CLI's JSON."""

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlquiz.content import catalog
from mlquiz.practice import scheduler
from mlquiz.content.loading import load_bank_file
from mlquiz.cli.app import app
from mlquiz.practice.scheduler import Rating
from mlquiz.practice.session import PracticeOptions, Session
from mlquiz.practice.stats import ACTIVITY_DAYS, compute_stats
from mlquiz.practice.store import Store

DRILL = Path(__file__).parent / "fixtures" / "practice" / "drill.yaml"
NOW = datetime(2024, 5, 10, 12, 0, tzinfo=timezone.utc)
runner = CliRunner()

from mlquiz.settings import from_dict

# the due dates pinned below were computed with FSRS's own learning steps (1 and 10 minutes)
FSRS_DEFAULT_STEPS = from_dict({"learning_steps": ["1m", "10m"]})


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def record(store, question_id, rating, correct, when, topic="drill"):
    """One answer as the session records it, with the session's own reviewer at a fixed time."""
    apply = Session([], None, None, PracticeOptions(settings=FSRS_DEFAULT_STEPS))._reviewer(question_id, rating, when)
    return store.record(question_id=question_id, topic=topic, variant=0, rating=int(rating), correct=correct,
                        response="", now=when, duration_ms=1, session="test", apply_review=apply)


# (question, rating, correct, time). Due afterwards, from fsrs: AGAIN on a new card +1 min, GOOD +10 min,
# EASY +8 days; a second GOOD 10 minutes or more later graduates the card (+2 days).
HISTORY = [
    ("drill-text", Rating.AGAIN, False, utc(2024, 3, 1, 8, 0)),  # before the 30-day window; due long ago
    ("drill-numeric", Rating.AGAIN, False, utc(2024, 5, 1, 9, 0)),  # due 05-01 09:01: due now
    ("drill-choice", Rating.GOOD, True, utc(2024, 5, 9, 11, 50)),
    ("drill-choice", Rating.GOOD, True, utc(2024, 5, 9, 12, 0)),  # due 05-11 12:00: within 7 days
    ("drill-recall", Rating.EASY, None, utc(2024, 5, 10, 11, 0)),  # due 05-18 11:00: beyond 7 days
    ("drill-truefalse", Rating.GOOD, True, utc(2024, 5, 10, 11, 30)),  # due 11:40: due now
]


@pytest.fixture
def drill_questions():
    bank, problems = load_bank_file(DRILL)
    assert not problems
    return list(bank.questions)


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "progress.db")
    for qid, rating, correct, when in HISTORY:
        record(store, qid, rating, correct, when)
    yield store
    store.close()


def test_topic_counts_from_known_reviews(drill_questions, store):
    stats = compute_stats(drill_questions, store, NOW)
    assert [t.topic for t in stats.topics] == ["drill"]
    drill = stats.topics[0]
    assert drill.questions == 7
    assert drill.seen == 5
    assert (drill.graded, drill.correct) == (5, 3)  # the recall rating is not graded
    assert drill.accuracy == pytest.approx(0.6)
    assert drill.due_now == 3  # text, numeric, truefalse
    assert drill.due_7_days == 4  # and choice; not recall
    assert stats.reviews == 6
    assert 0 < drill.recall_probability < 1


def test_due_dates_behind_the_counts(store):
    dues = {qid: due for qid, (_topic, _card, due) in store.cards().items()}
    assert dues == {
        "drill-text": "2024-03-01T08:01:00+00:00",
        "drill-numeric": "2024-05-01T09:01:00+00:00",
        "drill-choice": "2024-05-11T12:00:00+00:00",
        "drill-recall": "2024-05-18T11:00:00+00:00",
        "drill-truefalse": "2024-05-10T11:40:00+00:00",
    }


def test_activity_counts_per_day(drill_questions, store):
    activity = compute_stats(drill_questions, store, NOW).activity
    assert len(activity) == ACTIVITY_DAYS
    assert activity[0][0] == "2024-04-11" and activity[-1][0] == "2024-05-10"
    assert {day: n for day, n in activity if n} == {"2024-05-01": 1, "2024-05-09": 2, "2024-05-10": 2}
    assert sum(n for _, n in activity) == 5  # the March review is outside the window


def test_counts_move_with_now(drill_questions, store):
    later = compute_stats(drill_questions, store, NOW + timedelta(days=3)).topics[0]
    assert later.due_now == 4  # choice has fallen due
    assert later.due_7_days == 5  # and recall is within the week
    assert compute_stats(drill_questions, store, NOW + timedelta(days=3)).activity[-1] == ("2024-05-13", 0)


def test_overruled_review_counts_as_corrected(drill_questions, store):
    review_id = record(store, "drill-multi", Rating.AGAIN, False, utc(2024, 5, 10, 11, 45))
    before = compute_stats(drill_questions, store, NOW).topics[0]
    assert (before.graded, before.correct) == (6, 3)
    apply = Session([], None, None, PracticeOptions(settings=FSRS_DEFAULT_STEPS))._reviewer("drill-multi", Rating.GOOD, NOW)
    store.overrule(review_id, rating=int(Rating.GOOD), correct=True, now=NOW, apply_review=apply)
    after = compute_stats(drill_questions, store, NOW).topics[0]
    assert (after.graded, after.correct) == (6, 4)
    assert after.due_now == before.due_now - 1  # multi moved from +1 min to +10 min


def test_progress_on_a_question_no_longer_in_any_bank_keeps_its_stored_topic(drill_questions, store):
    record(store, "retired-question", Rating.GOOD, True, utc(2024, 5, 10, 9, 0), topic="history")
    stats = compute_stats(drill_questions, store, NOW)
    retired = next(t for t in stats.topics if t.topic == "history")
    assert (retired.questions, retired.seen, retired.graded, retired.correct) == (0, 1, 1, 1)


def stats_json(*args):
    result = runner.invoke(app, ["stats", "--json", "--bank", str(DRILL), *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def topic(data, name):
    return next(t for t in data["topics"] if t["topic"] == name)


def test_stats_json_from_the_store_under_mlquiz_home():
    now = scheduler.utc_now().replace(microsecond=0)
    ago = now - timedelta(days=2)
    store = Store()
    record(store, "drill-numeric", Rating.AGAIN, False, ago)  # due 2 days ago
    record(store, "drill-choice", Rating.GOOD, True, ago)  # due 2 days ago (+10 min)
    record(store, "drill-truefalse", Rating.GOOD, True, now)  # due in 10 minutes
    record(store, "drill-recall", Rating.EASY, None, now)  # due in 8 days
    store.close()
    data = stats_json()
    drill = topic(data, "drill")
    assert drill == {**drill, "questions": 7, "seen": 4, "graded_reviews": 3, "due_now": 2, "due_7_days": 3}
    assert drill["accuracy"] == pytest.approx(2 / 3)
    assert data["reviews"] == 4
    assert topic(data, "gradients")["seen"] == 0 and topic(data, "gradients")["accuracy"] is None
    days = {d["date"]: d["reviews"] for d in data["activity"]}
    assert len(days) == ACTIVITY_DAYS
    assert days[ago.date().isoformat()] == 2 and days[now.date().isoformat()] == 2
    assert sum(days.values()) == 4


def test_stats_after_a_practice_session():
    bank_questions = [q for q in catalog.load([DRILL]).questions if q.topic == "drill"]
    assert len(bank_questions) == 7
    result = runner.invoke(app, ["practice", "--bank", str(DRILL), "-t", "drill", "-n", "4", "--seed", "2"],
                           input="s\n" + "1\n" * 3 + "\n")  # whatever the questions, "1" is valid for each
    assert result.exit_code == 0, result.output
    data = stats_json()
    drill = topic(data, "drill")
    assert data["reviews"] == 3 and drill["seen"] == 3
    today = scheduler.utc_now().date().isoformat()
    assert data["activity"][-1] == {"date": today, "reviews": 3}


def test_stats_with_no_progress_creates_nothing():
    data = stats_json()
    assert data["reviews"] == 0
    assert all(t["seen"] == 0 and t["due_now"] == 0 for t in data["topics"])
    assert all(d["reviews"] == 0 for d in data["activity"])
    assert not (Path(os.environ["MLQUIZ_HOME"]) / "progress.db").exists()


def test_stats_table_output():
    store = Store()
    record(store, "drill-numeric", Rating.GOOD, True, scheduler.utc_now())
    store.close()
    result = runner.invoke(app, ["stats", "--bank", str(DRILL)])
    assert result.exit_code == 0, result.output
    assert "progress: 1 reviews" in result.output
    assert "activity," in result.output and "(max 1/day)" in result.output
    assert "drill" in result.output and "100%" in result.output
