"""Whole practice sessions: CliRunner with piped answers, real subprocesses, SIGKILL, two at once."""

import os
import random
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from mlquiz.content import catalog
from mlquiz.practice import scheduler
from mlquiz.practice import session
from mlquiz.content.loading import load_bank_file
from mlquiz.cli.app import app
from mlquiz.content.items import make_item
from mlquiz.practice.session import PracticeOptions
from mlquiz.practice.store import MIGRATIONS, Store

FIXTURES = Path(__file__).parent / "fixtures" / "practice"
DRILL = FIXTURES / "drill.yaml"
FLAGS = FIXTURES / "flags.yaml"
runner = CliRunner()

# choices are answered by their text: the letters depend on the shuffled order shown
RIGHT = {"drill-numeric": "13780.6", "drill-truefalse": "t", "drill-choice": "Sigmoid", "drill-multi": "tanh; ReLU",
         "drill-text": "Gradient Clipping", "drill-recall": "3"}
WRONG = {"drill-numeric": "1", "drill-truefalse": "f", "drill-choice": "ReLU", "drill-multi": "BatchNorm",
         "drill-text": "dropout", "drill-recall": "1", "drill-variant": "wrong"}
GRADED = ("numeric", "truefalse", "choice", "multi", "text")


def home() -> Path:
    return Path(os.environ["MLQUIZ_HOME"])


def predicted(seed, count=7, mode="due", bank=DRILL, topics=("drill",), now=None):
    """What the session will ask, from the library: (question, variant) pairs."""
    # the fixture bank alone: its topic is in no other bank, so the session's pool is the same
    questions = list(load_bank_file(bank)[0].questions)
    path = home() / "progress.db"
    store = Store(path, save=False)
    try:
        cards, last = store.cards(), store.last_results()
    finally:
        store.close()
    options = PracticeOptions(count=count, topics=topics, mode=mode, seed=seed)
    return session.select(questions, cards, last, options, now or scheduler.utc_now(), random.Random(seed))


def answer(question, variant, right=True) -> str:
    if question.id == "drill-variant" and right:
        return make_item(question, variant).answer
    return (RIGHT if right else WRONG)[question.id]


def seed_where(condition, count=7, **kwargs) -> int:
    """The first seed whose selection satisfies ``condition`` (so tests need not pin shuffles)."""
    for seed in range(200):
        if condition(predicted(seed, count, **kwargs)):
            return seed
    raise AssertionError("no seed gives that selection")


def practise(*args, input="", bank=DRILL, topic="drill"):
    return runner.invoke(app, ["practice", "--bank", str(bank), "--topic", topic, *args], input=input)


def rows(path=None):
    path = path or home() / "progress.db"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        return db.execute("SELECT question_id, variant, rating, correct, response, overruled, session "
                          "FROM reviews ORDER BY id").fetchall()


def lines(*answers) -> str:
    return "".join(f"{a}\n" for a in answers)


# ----- whole sessions through CliRunner
def test_a_whole_session_records_every_answer():
    picks = predicted(3)
    assert len(picks) == 7
    result = practise("-n", "7", "--seed", "3", input=lines(*(answer(q, v) for q, v in picks), ""))
    assert result.exit_code == 0, result.output
    assert "7 answered, 0 skipped" in result.output
    assert "end of input" not in result.output and "you quit" not in result.output
    stored = rows()
    assert [(r[0], r[1]) for r in stored] == [(q.id, v) for q, v in picks]
    for (qid, _variant, rating, correct, _response, overruled, _session), (q, _v) in zip(stored, picks):
        assert rating == 3 and overruled == 0
        assert correct == (None if q.type == "recall" else 1), qid
    assert len({r[6] for r in stored}) == 1  # one session id


def test_wrong_answers_are_stored_as_again_with_feedback():
    picks = predicted(3)
    result = practise("-n", "7", "--seed", "3", input=lines(*(answer(q, v, right=False) for q, v in picks), ""))
    assert result.exit_code == 0, result.output
    assert result.output.count("✗ wrong") == 6 and "✓ right" not in result.output
    assert "the answer is 13780.6" in result.output
    assert re.search(r"missed: [a-d]\) tanh", result.output) and re.search(r"not right: [a-d]\) BatchNorm",
                                                                          result.output)
    stored = rows()
    assert len(stored) == 7
    assert all(r[2] == 1 for r in stored)
    assert sorted(r[3] for r in stored if r[3] is not None) == [0] * 6


def test_q_quits_and_keeps_the_answers_given():
    picks = predicted(4)
    result = practise("-n", "7", "--seed", "4", input=lines(answer(*picks[0]), answer(*picks[1]), "q", "t", "t"))
    assert result.exit_code == 0, result.output
    assert "2 answered, 0 skipped" in result.output and "you quit" in result.output
    assert [r[0] for r in rows()] == [picks[0][0].id, picks[1][0].id]


def test_s_skips_without_storing():
    picks = predicted(5)
    given = ["s", answer(*picks[1]), "S", answer(*picks[3]), "s", "s", "s", ""]
    result = practise("-n", "7", "--seed", "5", input=lines(*given))
    assert result.exit_code == 0, result.output
    assert "2 answered, 5 skipped" in result.output
    assert [r[0] for r in rows()] == [picks[1][0].id, picks[3][0].id]


def test_question_mark_shows_the_hint_and_asks_again():
    picks = predicted(6)
    given = [a for q, v in picks for a in ("?", answer(q, v))]
    result = practise("-n", "7", "--seed", "6", input=lines(*given, ""))
    assert result.exit_code == 0, result.output
    assert "hint: Multiply 1.1 by itself a hundred times." in result.output
    assert "hint: It caps the norm." in result.output
    assert result.output.count("no hint for this one") == 5
    stored = rows()
    assert len(stored) == 7 and "?" not in [r[4] for r in stored]
    assert all(r[3] in (1, None) for r in stored)


MALFORMED = {"numeric": ("abc", "use numbers"), "truefalse": ("maybe", "answer t (true) or f (false)"),
             "choice": ("z", "'z' is not an option; use a to c"), "multi": ("a,z", "'z' is not an option"),
             "text": ("...", "type an answer"), "recall": ("5", "rate 1 again, 2 hard, 3 good or 4 easy")}


def test_malformed_answers_are_asked_again_not_graded():
    picks = predicted(7)
    given = [a for q, v in picks for a in (MALFORMED[q.type][0], MALFORMED[q.type][0], answer(q, v))]
    result = practise("-n", "7", "--seed", "7", input=lines(*given, ""))
    assert result.exit_code == 0, result.output
    for _bad, message in MALFORMED.values():
        assert message in result.output
    stored = rows()
    assert len(stored) == 7
    assert all(r[3] in (1, None) and r[2] == 3 for r in stored), stored


def test_end_of_input_mid_session_exits_0_and_keeps_earlier_answers():
    picks = predicted(8)
    result = practise("-n", "7", "--seed", "8", input=lines(*(answer(q, v) for q, v in picks[:3])))
    assert result.exit_code == 0, result.output
    assert "3 answered" in result.output and "end of input" in result.output
    assert [r[0] for r in rows()] == [q.id for q, _ in picks[:3]]


def test_o_overrules_the_previous_grading():
    seed = seed_where(lambda p: p[0][0].type in GRADED and p[1][0].type in GRADED, count=2)
    (q1, v1), (q2, v2) = predicted(seed, 2)
    result = practise("-n", "2", "--seed", str(seed), input=lines(answer(q1, v1, right=False), "o",
                                                                   answer(q2, v2), ""))
    assert result.exit_code == 0, result.output
    assert f"overruled: {q1.id} now counts as right" in result.output
    stored = rows()
    assert [(r[0], r[2], r[3], r[5]) for r in stored] == [(q1.id, 3, 1, 1), (q2.id, 3, 1, 0)]
    store = Store(save=False)
    card = scheduler.card_from_json(store.card_json(q1.id))
    assert store.last_results()[q1.id] is True
    store.close()
    # recomputed from the new card as a GOOD: graduated to FSRS's first interval (the quiz's one
    # learning step), not the 10-minute step an AGAIN gives
    assert card.state.name == "Review"
    assert card.due - card.last_review == timedelta(days=2)


def test_o_at_the_last_prompt_overrules_the_last_question():
    seed = seed_where(lambda p: p[0][0].type in GRADED, count=1)
    ((q, v),) = predicted(seed, 1)
    result = practise("-n", "1", "--seed", str(seed), input=lines(answer(q, v), "o"))
    assert result.exit_code == 0, result.output
    assert f"overruled: {q.id} now counts as wrong" in result.output
    assert [(r[2], r[3], r[5]) for r in rows()] == [(1, 0, 1)]


def test_o_before_any_graded_answer_changes_nothing():
    ((q, v),) = predicted(9, 1)
    result = practise("-n", "1", "--seed", "9", input=lines("o", answer(q, v), ""))
    assert result.exit_code == 0, result.output
    assert "there is no graded answer to overrule yet" in result.output
    assert [(r[0], r[5]) for r in rows()] == [(q.id, 0)]


def test_exam_mode_gives_no_feedback_until_the_report():
    picks = predicted(10)
    wrong = {q.id for q, _ in picks if q.type in GRADED and q.id in ("drill-choice", "drill-numeric")}
    given = [answer(q, v, right=q.id not in wrong) for q, v in picks]
    result = practise("-n", "7", "--seed", "10", "--exam", input=lines(*given))
    assert result.exit_code == 0, result.output
    for word in ("✓ right", "✗ wrong", "disagree with the grading", "Equal factors compound, so"):
        assert word not in result.output.split("exam report")[0], word
    assert "exam report" in result.output
    assert "5 answered" not in result.output and "7 answered, 0 skipped" in result.output
    report = result.output.split("exam report")[1]
    assert "drill-choice" in report and "The sigmoid flattens" in report
    assert "Equal factors compound" in report
    assert "BatchNorm is a normalisation layer" not in report  # only wrong answers are explained
    stored = rows()
    assert len(stored) == 7 and sorted(r[0] for r in stored if r[3] == 0) == sorted(wrong)


def test_new_asks_only_questions_never_seen():
    first = predicted(11, 3)
    result = practise("-n", "3", "--seed", "11", input=lines(*(answer(q, v) for q, v in first), ""))
    assert result.exit_code == 0, result.output
    second = predicted(12, 10, mode="new")
    assert {q.id for q, _ in second}.isdisjoint({q.id for q, _ in first}) and len(second) == 4
    result = practise("--new", "-n", "10", "--seed", "12", input=lines(*(answer(q, v) for q, v in second), ""))
    assert result.exit_code == 0, result.output
    stored = rows()
    assert [r[0] for r in stored[3:]] == [q.id for q, _ in second]
    assert len({r[0] for r in stored}) == 7
    result = practise("--new", "-n", "10", input="")
    assert result.exit_code == 0, result.output
    assert "You have seen every matching question" in result.output
    assert len(rows()) == 7


def test_mistakes_asks_only_questions_last_answered_wrong():
    picks = predicted(13)
    missed = {"drill-numeric", "drill-choice", "drill-variant"}
    result = practise("-n", "7", "--seed", "13",
                      input=lines(*(answer(q, v, right=q.id not in missed) for q, v in picks), ""))
    assert result.exit_code == 0, result.output
    retry = predicted(14, 10, mode="mistakes")
    assert {q.id for q, _ in retry} == missed
    still_wrong = "drill-choice"
    given = [answer(q, v, right=q.id != still_wrong) for q, v in retry]
    result = practise("--mistakes", "-n", "10", "--seed", "14", input=lines(*given, ""))
    assert result.exit_code == 0, result.output
    assert sorted(r[0] for r in rows()[7:]) == sorted(missed)
    assert [q.id for q, _ in predicted(15, 10, mode="mistakes")] == [still_wrong]
    result = practise("--mistakes", "-n", "10", "--seed", "15", input=lines(RIGHT["drill-choice"], ""))
    assert result.exit_code == 0, result.output
    assert rows()[-1][:4] == ("drill-choice", 0, 3, 1)
    result = practise("--mistakes", input="")
    assert result.exit_code == 0, result.output
    assert "No mistakes to review" in result.output


def test_new_and_mistakes_together_is_a_one_line_error():
    result = practise("--new", "--mistakes")
    assert result.exit_code == 1
    assert "--new and --mistakes exclude each other" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_a_missed_question_comes_back_first_the_next_day():
    picks = predicted(16)
    missed = next(q.id for q, _ in picks[2:] if q.type in GRADED)  # not the first asked: order must change
    result = practise("-n", "7", "--seed", "16",
                      input=lines(*(answer(q, v, right=q.id != missed) for q, v in picks), ""))
    assert result.exit_code == 0, result.output
    now = scheduler.utc_now()
    assert predicted(17, 7, now=now) == []  # straight after the session nothing is due and nothing is new
    tomorrow = predicted(17, 7, now=now + timedelta(days=1))
    assert tomorrow[0][0].id == missed
    store = Store(save=False)
    assert store.cards()[missed][2] <= (now + timedelta(minutes=10)).isoformat()  # the one learning step
    store.close()


def test_seed_makes_order_and_variants_reproducible(tmp_path, monkeypatch):
    runs = {}
    for name, seed in (("a", 21), ("b", 21), ("c", 22)):
        monkeypatch.setenv("MLQUIZ_HOME", str(tmp_path / name))
        picks = predicted(seed)
        result = practise("-n", "7", "--seed", str(seed), input=lines(*(answer(q, v) for q, v in picks), ""))
        assert result.exit_code == 0, result.output
        word = next(make_item(q, v).variables["word"] for q, v in picks if q.id == "drill-variant")
        assert f"Type the word {word}." in result.output
        runs[name] = [(r[0], r[1], r[3]) for r in rows()]
        assert [(q, v) for q, v, _ in runs[name]] == [(q.id, v) for q, v in picks]
    assert runs["a"] == runs["b"]
    assert runs["a"] != runs["c"]


def test_unknown_topic_is_one_line_with_did_you_mean():
    result = practise(topic="dril")
    assert result.exit_code == 1
    assert "--topic 'dril': no topic of that name; did you mean 'drill'?" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output
    result = practise(topic="zzzzzz")
    assert result.exit_code == 1
    assert "--topic 'zzzzzz': no topic" in result.stderr and "did you mean" not in result.stderr
    assert not (home() / "progress.db").exists()


# ----- real subprocesses
def command(*args):
    return [sys.executable, "-m", "mlquiz", "practice", *args]


def wait_for_reviews(path: Path, count: int, process, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    found = -1
    while time.monotonic() < deadline:
        if path.exists():
            try:
                with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
                    found = db.execute("SELECT count(*) FROM reviews").fetchone()[0]
            except sqlite3.OperationalError:  # not migrated yet
                found = -1
            if found >= count:
                return found
        assert process.poll() is None, f"session ended early with {process.returncode}"
        time.sleep(0.02)
    raise AssertionError(f"{path}: {found} reviews after {timeout}s, expected {count}")


def test_printf_piped_into_a_real_session():
    # "1" is a valid answer to every type (recall: again; true/false: true; choice and multi: option a;
    # numeric: one; text: "1"), so this holds whatever questions seed 1 picks from the shipped banks
    answers = r"1\n" * 60 + r"\n"  # a derivation takes one line per step
    pipeline = f"printf {shlex.quote(answers)} | {shlex.quote(sys.executable)} -m mlquiz practice --count 5 --seed 1"
    result = subprocess.run(pipeline, shell=True, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "5 answered, 0 skipped" in result.stdout and "end of input" not in result.stdout
    assert "Traceback" not in result.stderr
    stored = rows()
    assert len(stored) == 5 and len({r[0] for r in stored}) == 5 and len({r[6] for r in stored}) == 1
    shipped = {q.id for q in catalog.load([]).questions}
    assert {r[0] for r in stored} <= shipped


def test_sigkill_mid_session_keeps_every_answered_question(tmp_path):
    path = home() / "progress.db"
    log = (tmp_path / "stdout.txt").open("w")
    process = subprocess.Popen(command("--count", "5", "--seed", "1"), stdin=subprocess.PIPE, stdout=log,
                               stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        for number in (1, 2, 3):
            process.stdin.write("1\n")  # valid for every question type
            process.stdin.flush()
            assert wait_for_reviews(path, number, process) == number
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    stored = rows()
    assert len(stored) == 3 and len({r[0] for r in stored}) == 3 and len({r[6] for r in stored}) == 1
    assert all(r[4] == "1" for r in stored)
    store = Store()  # opens cleanly after the kill, and migrates nothing twice
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.db.execute("SELECT count(*) FROM _mlquiz_migrations").fetchone()[0] == len(MIGRATIONS)
    assert store.review_count() == 3 and set(store.cards()) == {r[0] for r in stored}
    store.close()


def test_two_sessions_writing_at_once(tmp_path):
    # the store exists already; two sessions creating a brand-new one at once is test_store's
    # test_opening_a_new_database_while_another_session_writes_waits_instead_of_failing
    Store().close()
    a_picks, b_picks = (predicted(s, 5, mode="new", bank=FLAGS, topics=("flags",)) for s in (1, 2))
    shared = {q.id for q, _ in a_picks} & {q.id for q, _ in b_picks}
    assert shared, "the two selections should overlap so both sessions update the same cards"
    args = ["--bank", str(FLAGS), "--topic", "flags", "--new", "--count", "5"]
    processes = [subprocess.Popen(command(*args, "--seed", str(seed)), stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  env={**os.environ, "PYTHONUNBUFFERED": "1"})
                 for seed in (1, 2)]
    try:
        for process in processes:  # both have chosen their questions before either records an answer
            for line in process.stdout:
                if "1/5 · " in line and "flags" in line:
                    break
            else:
                raise AssertionError(f"no first question; exit {process.wait()}")
        for process in processes:
            process.stdin.write("t\n" * 5 + "\n")
            process.stdin.flush()
        for process in processes:
            process.stdin.close()
        outputs = [process.stdout.read() for process in processes]
        codes = [process.wait(timeout=60) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert codes == [0, 0], outputs
    assert all("5 answered, 0 skipped" in output for output in outputs), outputs
    stored = rows()
    assert len(stored) == 10
    by_session = {}
    for qid, *_rest, sess in stored:
        by_session.setdefault(sess, []).append(qid)
    assert sorted(sorted(v) for v in by_session.values()) == sorted(
        sorted(q.id for q, _ in picks) for picks in (a_picks, b_picks))
    with sqlite3.connect(home() / "progress.db") as db:
        for qid in shared:
            befores = [r[0] for r in db.execute(
                "SELECT card_before FROM reviews WHERE question_id = ? ORDER BY id", (qid,))]
            assert befores[0] is None and befores[1] is not None, qid  # the second saw the first's card
        assert db.execute("SELECT count(*) FROM cards").fetchone()[0] == len(
            {q.id for q, _ in a_picks} | {q.id for q, _ in b_picks})

