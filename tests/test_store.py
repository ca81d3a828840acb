"""The progress store: migrations from blank, record and overrule, unreadable files, concurrency."""

import json
import os
import random
import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mlquiz.practice import scheduler
from mlquiz.cli.app import app
from mlquiz.errors import StoreError
from mlquiz.practice.scheduler import Rating
from mlquiz.practice.session import PracticeOptions, Session
from mlquiz.practice.store import MIGRATIONS, Store, default_path

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)
DRILL = Path(__file__).parent / "fixtures" / "practice" / "drill.yaml"
runner = CliRunner()

from mlquiz.settings import from_dict

# the due dates pinned below were computed with FSRS's own learning steps (1 and 10 minutes)
FSRS_DEFAULT_STEPS = from_dict({"learning_steps": ["1m", "10m"]})


def reviewer(question_id: str, rating: Rating, now: datetime):
    """The session's own apply_review: fsrs review of the stored card (or a new one) at ``now``."""
    return Session([], None, None, PracticeOptions(settings=FSRS_DEFAULT_STEPS))._reviewer(question_id, rating, now)


def record(store, question_id="drill-numeric", rating=Rating.GOOD, correct=True, now=T0, response="r", topic="drill"):
    return store.record(question_id=question_id, topic=topic, variant=0, rating=int(rating), correct=correct,
                        response=response, now=now, duration_ms=5, session="test",
                        apply_review=reviewer(question_id, rating, now))


def tables(path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def migrations(path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT name, applied_at FROM _mlquiz_migrations ORDER BY name").fetchall()


# ----- migrations
def test_migrates_a_blank_database(tmp_path):
    path = tmp_path / "new" / "progress.db"
    store = Store(path)
    store.close()
    assert {"cards", "reviews", "_mlquiz_migrations"} <= tables(path)
    assert [name for name, _ in migrations(path)] == [m.__name__ for m in MIGRATIONS] == ["m001_initial", "m002_step_scores"]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = {row[1] for row in db.execute("PRAGMA table_info(reviews)")}
    assert {"question_id", "rating", "correct", "response", "reviewed_at", "card_before", "overruled"} <= columns


def test_opening_twice_applies_nothing_twice(tmp_path):
    path = tmp_path / "progress.db"
    Store(path).close()
    first = migrations(path)
    store = Store(path)
    record(store)
    store.close()
    Store(path).close()
    assert migrations(path) == first
    assert len(first) == len(MIGRATIONS)
    assert Store(path).review_count() == 1  # reopening keeps the data


def test_default_path_follows_mlquiz_home(tmp_path, monkeypatch):
    monkeypatch.setenv("MLQUIZ_HOME", str(tmp_path / "elsewhere"))
    assert default_path() == tmp_path / "elsewhere" / "progress.db"
    Store().close()
    assert (tmp_path / "elsewhere" / "progress.db").is_file()


def test_a_database_from_a_newer_mlquiz_is_refused(tmp_path):
    path = tmp_path / "progress.db"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO _mlquiz_migrations VALUES ('m999_future', datetime('now'))")
    with pytest.raises(StoreError, match="newer mlquiz") as info:
        Store(path)
    assert str(path) in str(info.value)


# ----- record and overrule
def test_record_writes_the_review_and_the_card(tmp_path):
    store = Store(tmp_path / "progress.db")
    first = record(store, rating=Rating.GOOD, correct=True, now=T0, response="13780.6")
    later = T0 + timedelta(minutes=10)
    second = record(store, rating=Rating.GOOD, correct=True, now=later)
    rows = store.db.execute("SELECT id, question_id, topic, rating, correct, response, reviewed_at, card_before, "
                            "overruled FROM reviews ORDER BY id").fetchall()
    assert [r[0] for r in rows] == [first, second]
    assert rows[0][1:7] == ("drill-numeric", "drill", 3, 1, "13780.6", T0.isoformat())
    assert rows[0][7] is None and rows[0][8] == 0  # a new card has no state before
    card_after_first, _ = scheduler.review(FSRS, scheduler.new_card("drill-numeric", T0), Rating.GOOD, T0)
    assert json.loads(rows[1][7]) == json.loads(card_after_first.to_json())
    topic, card, due = store.cards()["drill-numeric"]
    assert topic == "drill" and due == "2024-03-03T09:10:00+00:00"  # the golden second GOOD
    assert scheduler.card_from_json(card).due.isoformat() == due
    assert store.review_count() == 2
    assert store.last_results() == {"drill-numeric": True}


FSRS = scheduler.make_scheduler(FSRS_DEFAULT_STEPS)


def test_overrule_recomputes_the_card_from_the_state_before(tmp_path):
    store = Store(tmp_path / "progress.db")
    record(store, rating=Rating.GOOD, correct=True, now=T0)
    t1 = T0 + timedelta(minutes=10)
    wrong = record(store, rating=Rating.AGAIN, correct=False, now=t1, response="1")
    assert store.last_results() == {"drill-numeric": False}
    assert store.cards()["drill-numeric"][2] == (t1 + timedelta(minutes=1)).isoformat()  # back to step 1

    store.overrule(wrong, rating=int(Rating.GOOD), correct=True, now=t1,
                   apply_review=reviewer("drill-numeric", Rating.GOOD, t1))
    rows = store.db.execute("SELECT rating, correct, overruled, response FROM reviews ORDER BY id").fetchall()
    assert rows == [(3, 1, 0, "r"), (3, 1, 1, "1")]
    assert store.review_count() == 2
    assert store.last_results() == {"drill-numeric": True}
    # the card is as if the second review had been GOOD all along: the golden due date
    assert store.cards()["drill-numeric"][2] == "2024-03-03T09:10:00+00:00"


def test_overrule_of_a_first_review_starts_from_a_new_card(tmp_path):
    store = Store(tmp_path / "progress.db")
    review_id = record(store, rating=Rating.GOOD, correct=True, now=T0)
    store.overrule(review_id, rating=int(Rating.AGAIN), correct=False, now=T0,
                   apply_review=reviewer("drill-numeric", Rating.AGAIN, T0))
    assert store.cards()["drill-numeric"][2] == (T0 + timedelta(minutes=1)).isoformat()
    assert store.last_results() == {"drill-numeric": False}


def test_a_failing_apply_review_leaves_nothing_behind(tmp_path):
    store = Store(tmp_path / "progress.db")
    record(store)

    def broken(card_json):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.record(question_id="drill-text", topic="drill", variant=0, rating=3, correct=True, response="x",
                     now=T0, duration_ms=1, session="s", apply_review=broken)
    assert store.review_count() == 1 and set(store.cards()) == {"drill-numeric"}
    record(store, question_id="drill-text")  # the connection is usable afterwards
    assert store.review_count() == 2


def test_store_without_save_records_nothing(tmp_path):
    path = tmp_path / "progress.db"
    store = Store(path, save=False)
    assert record(store) is None
    assert store.review_count() == 0
    store.close()
    assert not path.exists() and not tmp_path.joinpath("progress.db-wal").exists()


def test_store_without_save_reads_existing_progress(tmp_path):
    path = tmp_path / "progress.db"
    writer = Store(path)
    record(writer)
    writer.close()
    reader = Store(path, save=False)
    assert reader.review_count() == 1 and set(reader.cards()) == {"drill-numeric"}
    assert record(reader, question_id="drill-text") is None
    reader.close()
    assert Store(path).review_count() == 1


def test_no_save_practice_never_creates_the_database(tmp_path):
    home = Path(os.environ["MLQUIZ_HOME"])
    result = runner.invoke(app, ["practice", "--no-save", "--bank", str(DRILL), "-t", "drill", "-n", "3",
                                 "--seed", "1"], input="1\n1\n1\n\n")
    assert result.exit_code == 0, result.output
    assert "3 answered" in result.output
    assert not (home / "progress.db").exists()


# ----- unreadable and unwritable
@pytest.mark.parametrize("save", [True, False])
def test_a_corrupt_database_is_reported_and_left_untouched(tmp_path, save):
    path = tmp_path / "progress.db"
    garbage = random.Random(7).randbytes(4096)
    path.write_bytes(garbage)
    with pytest.raises(StoreError) as info:
        Store(path, save=save)
    message = str(info.value)
    assert str(path) in message and "unreadable" in message and "left untouched" in message
    assert path.read_bytes() == garbage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.db"]


@pytest.mark.parametrize("size", [1, 2, 15, 99, 100, 512])
def test_a_short_garbage_file_is_never_overwritten(tmp_path, size):
    path = tmp_path / "progress.db"
    garbage = bytes([0x25]) * size  # "%%%…": not SQLite, and not empty
    path.write_bytes(garbage)
    with pytest.raises(StoreError, match="unreadable"):
        Store(path).close()
    assert path.read_bytes() == garbage


@pytest.mark.parametrize("command", [["practice", "-n", "1"], ["stats"]])
def test_cli_reports_a_corrupt_database_in_one_line(command):
    path = Path(os.environ["MLQUIZ_HOME"]) / "progress.db"
    path.parent.mkdir(parents=True)
    garbage = random.Random(8).randbytes(2048)
    path.write_bytes(garbage)
    result = runner.invoke(app, command, input="\n")
    assert result.exit_code == 1, result.output
    assert str(path) in result.stderr and "unreadable" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output
    assert path.read_bytes() == garbage


def _unwritable_home(tmp_path) -> Path:
    if os.geteuid() == 0:
        # root ignores folder permissions, so make mkdir fail instead: the home would be inside a file
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("a regular file\n")
        return blocker / "mlquiz"
    locked = tmp_path / "read-only"
    locked.mkdir()
    locked.chmod(0o500)
    return locked


def test_an_unwritable_location_is_a_clear_store_error(tmp_path, monkeypatch):
    home = _unwritable_home(tmp_path)
    monkeypatch.setenv("MLQUIZ_HOME", str(home))
    try:
        with pytest.raises(StoreError) as info:
            Store()
        message = str(info.value)
        assert str(home / "progress.db") in message
        assert "MLQUIZ_HOME" in message and "--no-save" in message
        result = runner.invoke(app, ["practice", "-n", "1"], input="\n")
        assert result.exit_code == 1, result.output
        assert "MLQUIZ_HOME" in result.stderr and "Traceback" not in result.output
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        # --no-save still works there
        result = runner.invoke(app, ["practice", "--no-save", "--bank", str(DRILL), "-t", "drill", "-n", "1"],
                               input="s\n")
        assert result.exit_code == 0, result.output
    finally:
        if home.is_dir():
            home.chmod(0o700)


# ----- round trips
def test_responses_round_trip_through_the_store(tmp_path):
    store = Store(tmp_path / "progress.db")

    @settings(max_examples=150, deadline=None)
    @given(response=st.text(), question_id=st.text(min_size=1, max_size=80))
    def check(response, question_id):
        review_id = store.record(question_id=question_id, topic="t", variant=0, rating=3, correct=True,
                                 response=response, now=T0, duration_ms=0, session="s",
                                 apply_review=lambda before: (before or "{}", T0.isoformat()))
        row = store.db.execute("SELECT question_id, response FROM reviews WHERE id = ?", (review_id,)).fetchone()
        assert row == (question_id, response)
        assert question_id in store.cards()

    check()


# ----- two writers
def test_two_stores_recording_the_same_question_lose_no_update(tmp_path):
    path = tmp_path / "progress.db"
    Store(path).close()
    per_writer = 25
    start = threading.Barrier(2)
    errors = []

    def count_up(before):
        n = json.loads(before)["n"] if before else 0
        time.sleep(0.001)  # widen the read-modify-write window: a lost update would show
        return json.dumps({"n": n + 1}), T0.isoformat()

    def writer(name):
        try:
            store = Store(path)
            start.wait()
            for i in range(per_writer):
                store.record(question_id="same", topic="t", variant=0, rating=3, correct=True,
                             response=f"{name}-{i}", now=T0, duration_ms=0, session=name, apply_review=count_up)
            store.close()
        except Exception as exc:  # surfaced below with the thread's name
            errors.append((name, exc))

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    store = Store(path)
    assert store.review_count() == 2 * per_writer
    assert json.loads(store.card_json("same")) == {"n": 2 * per_writer}
    befores = [row[0] for row in store.db.execute("SELECT card_before FROM reviews ORDER BY id")]
    # each review saw the card the previous one wrote, whichever session wrote it
    assert [json.loads(b)["n"] if b else 0 for b in befores] == list(range(2 * per_writer))
    sessions = [row[0] for row in store.db.execute("SELECT session FROM reviews ORDER BY id")]
    assert sessions.count("a") == sessions.count("b") == per_writer


def test_two_stores_recording_real_reviews_of_the_same_question(tmp_path):
    path = tmp_path / "progress.db"
    a, b = Store(path), Store(path)
    t1 = T0 + timedelta(minutes=10)
    record(a, rating=Rating.GOOD, now=T0)
    record(b, rating=Rating.GOOD, now=t1)  # b sees a's card: the golden second GOOD
    assert a.cards()["drill-numeric"][2] == "2024-03-03T09:10:00+00:00"
    assert a.review_count() == b.review_count() == 2


def test_opening_a_new_database_while_another_session_writes_waits_instead_of_failing(tmp_path):
    # Two sessions started at once on a fresh install: one is switching the new file to WAL (a write)
    # while the other opens it. The store promises to wait for a busy database, not to fail.
    path = tmp_path / "progress.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    release.start()
    try:
        store = Store(path)
        assert store.review_count() == 0
        store.close()
    finally:
        release.join()
        other.close()
    assert [name for name, _ in migrations(path)] == [m.__name__ for m in MIGRATIONS]


def test_last_results_count_recall_rated_again_as_a_mistake(tmp_path):
    store = Store(tmp_path / "p.db")
    record(store, "drill-recall", rating=Rating.AGAIN, correct=None)
    record(store, "drill-remember", rating=Rating.HARD, correct=None)
    record(store, "drill-numeric", rating=Rating.AGAIN, correct=False)
    record(store, "drill-choice", rating=Rating.GOOD, correct=True)
    assert store.last_results() == {"drill-recall": False, "drill-remember": True, "drill-numeric": False,
                                    "drill-choice": True}


def test_a_version_1_store_gains_the_step_columns_and_keeps_its_reviews(tmp_path):
    """m002 on a database made by the first migration only: old reviews stay, new ones keep step scores."""
    import sqlite3

    from mlquiz.practice import store as store_module

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    store_module.m001_initial(db)
    db.execute("CREATE TABLE _mlquiz_migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    db.execute("INSERT INTO _mlquiz_migrations VALUES ('m001_initial', '2026-01-01')")
    db.execute("INSERT INTO reviews (question_id, topic, rating, reviewed_at) VALUES ('q', 't', 3, '2026-01-01')")
    db.commit()
    db.close()
    migrated = sqlite3.connect(Store(path).path)
    assert migrated.execute("SELECT question_id, steps_right, steps_total FROM reviews").fetchall() == [("q", None, None)]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from([None, 0, 1]), st.integers(1, 4)),
                max_size=30))
def test_last_results_is_each_questions_latest_review(tmp_path_factory, reviews):
    """Against a direct walk over the rows in id order: the latest review of each question decides."""
    store = Store(tmp_path_factory.mktemp("last") / "progress.db")
    store.db.executemany("INSERT INTO reviews (question_id, topic, variant, rating, correct, response, reviewed_at, "
                         "duration_ms, session, card_before) VALUES (?, 't', 0, ?, ?, 'x', ?, 1, 's', NULL)",
                         [(qid, rating, correct, (T0 + timedelta(minutes=i)).isoformat())
                          for i, (qid, correct, rating) in enumerate(reviews)])
    expected = {}
    for qid, correct, rating in reviews:
        expected[qid] = bool(correct) if correct is not None else rating > 1
    assert store.last_results() == expected
    store.close()
