"""Issue #13, "practice as a daily habit": one test per defect a new user hit, then the friction items.

Each defect test failed before its fix (run against the tree before issue #13's branch).
"""

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlquiz.cli.app import app
from mlquiz.content.items import make_item
from mlquiz.content.loading import load_bank_file
from mlquiz.content.numbers import AnswerFormatError, parse_number
from mlquiz.practice.grading import grade

ROOT = Path(__file__).parents[1]
DRILL = ROOT / "tests" / "fixtures" / "practice" / "drill.yaml"
runner = CliRunner()
QUESTIONS = {q.id: q for q in load_bank_file(DRILL)[0].questions}


def home() -> Path:
    return Path(os.environ["MLQUIZ_HOME"])


def rows():
    path = home() / "progress.db"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        return db.execute("SELECT question_id, rating, correct, overruled FROM reviews ORDER BY id").fetchall()


def only(*qids) -> Path:
    """A bank of just these drill questions (so the defect tests need no new filter option)."""
    head, *questions = DRILL.read_text(encoding="utf-8").split("  - id: ")
    kept = [q for q in questions if q.split("\n", 1)[0] in qids]
    path = home().parent / ("-".join(qids) + ".yaml")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(head + "".join("  - id: " + q for q in kept), encoding="utf-8")
    return path


def one(qid, *args, input=""):
    """A session of the one drill question ``qid``."""
    return runner.invoke(app, ["practice", "--bank", str(only(qid)), "-t", "drill", "-n", "1", "--seed", "1",
                               *args], input=input)


def item(qid, options=None):
    made = make_item(QUESTIONS[qid])
    if options is not None:
        from dataclasses import replace

        made = replace(made, options=tuple(options))
    return made


# ----- 1. exam mode: o must not overrule a grading never shown, nor reveal it
def test_1_exam_mode_refuses_overrule_and_reveals_nothing():
    result = runner.invoke(app, ["practice", "--bank", str(only("drill-numeric", "drill-truefalse")), "-t", "drill",
                                 "-n", "2", "--seed", "1", "--exam"], input="1\no\n0\n")
    assert result.exit_code == 0, result.output
    before_report = result.output.split("exam report")[0]
    assert "overruled" not in before_report and "counts as right" not in before_report
    assert "no overruling in an exam" in before_report
    assert [r[3] for r in rows()] == [0, 0]


# ----- 2. --no-save says nothing was recorded and shows no due counts
@pytest.mark.parametrize("tail", ["q\n", ""])
def test_2_no_save_says_nothing_was_recorded(tail):
    result = one("drill-truefalse", "--no-save", input="t\n" + tail)
    assert result.exit_code == 0, result.output
    assert "every answer is saved" not in result.output
    assert "nothing was recorded" in result.output
    assert "due in the next 24 hours" not in result.output
    assert not (home() / "progress.db").exists()


# ----- 3. filter values are checked, with did-you-mean; topics match whatever their case
def test_3_unknown_difficulty_is_an_error():
    result = runner.invoke(app, ["practice", "-d", "impossible"])
    assert result.exit_code == 1
    assert "--difficulty 'impossible': no difficulty of that name" in result.stderr
    assert "easy, hard, medium" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    result = runner.invoke(app, ["practice", "-d", "hrad"])
    assert result.exit_code == 1 and "did you mean 'hard'?" in result.stderr


def test_3_topics_ignore_case_and_suggest():
    result = runner.invoke(app, ["practice", "-t", "LSTM", "-n", "1", "--no-save"], input="s\n")
    assert result.exit_code == 0, result.output
    assert "· lstm ·" in result.output
    result = runner.invoke(app, ["practice", "-t", "LSMT"])
    assert result.exit_code == 1 and "did you mean 'lstm'?" in result.stderr


def test_3_unknown_tag_is_an_error():
    result = runner.invoke(app, ["practice", "--bank", str(DRILL), "--tag", "numerc"])
    assert result.exit_code == 1 and "--tag 'numerc'" in result.stderr and "did you mean 'numeric'?" in result.stderr


# ----- 4. choices by letter or text, one meaning each, and what was understood
OPTIONS = ("Identity", "Sigmoid, the logistic function", "ReLU")


def test_4_a_part_of_an_option_text_chooses_it():
    verdict = grade(item("drill-choice", OPTIONS), "sigmoid, the log")
    assert verdict.correct is False or verdict.given.startswith("b)")
    verdict = grade(item("drill-choice", ("ReLU", "Sigmoid", "Identity")), "sigm")
    assert verdict.correct and verdict.given == "b) Sigmoid" and verdict.note == "read as b) Sigmoid"


def test_4_an_ambiguous_part_says_which_options_it_matches():
    with pytest.raises(AnswerFormatError, match=r"is part of a\), c\)"):
        grade(item("drill-choice", ("gradient clipping", "Sigmoid", "gradient noise")), "gradient")


def test_4_texts_separated_by_commas():
    verdict = grade(item("drill-multi", ("tanh", "BatchNorm", "ReLU", "Adam")), "tanh, ReLU")
    assert verdict.correct and verdict.given == "a, c"


def test_4_a_word_is_never_read_as_letters():
    with pytest.raises(AnswerFormatError, match="separate them: b,a,d"):
        grade(item("drill-multi", ("tanh", "BatchNorm", "ReLU", "Adam")), "bad")
    verdict = grade(item("drill-multi", ("tanh", "BatchNorm", "ReLU", "Adam")), "ac")
    assert verdict.correct and verdict.note == "read as a, c"


def test_4_the_session_says_what_it_understood():
    result = one("drill-choice", input="sigm\n\n")
    assert result.exit_code == 0, result.output
    assert re.search(r"read as [a-c]\) Sigmoid", result.output) and "✓ right" in result.output


# ----- 6. multi-select feedback with the letters on screen; the exam report with the question's text
def test_6_multi_feedback_uses_the_letters_on_screen():
    result = one("drill-multi", input="BatchNorm\n\n")
    assert result.exit_code == 0, result.output
    shown = dict(re.findall(r"([a-d])\) (tanh|BatchNorm|ReLU|Adam)", result.output.split("✗ wrong")[0]))
    letter = {text: l for l, text in shown.items()}
    expected = ", ".join(f"{letter[t]}) {t}" for t in sorted(("tanh", "ReLU"), key=lambda t: letter[t]))
    assert f"the answer is {expected}" in result.output
    assert f"you said {letter['BatchNorm']}) BatchNorm" in result.output


def test_6_exam_report_shows_the_question_and_the_answer_given_in_words():
    result = one("drill-multi", "--exam", input="BatchNorm\n")
    assert result.exit_code == 0, result.output
    report = result.output.split("exam report")[1]
    assert "Which of these are" in report and "BatchNorm" in report
    assert re.search(r"[a-d]\) BatchNorm", report)


# ----- 7. stats: the column says what it shows
def test_7_stats_shows_known_not_a_recall_that_reads_100_after_a_miss():
    result = one("drill-truefalse", input="f\n\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["stats", "--bank", str(only("drill-truefalse"))])
    assert result.exit_code == 0, result.output
    drill = next(line for line in result.output.splitlines() if line.startswith("│ drill"))
    assert "100%" not in drill and "0%" in drill
    assert "known: seen questions whose last answer was right" in result.output
    assert " recall " not in result.output


# ----- 8. times in the user's time zone
def test_8_next_review_in_local_time():
    env = {**os.environ, "TZ": "Asia/Tokyo", "MLQUIZ_HOME": str(home())}
    done = subprocess.run([sys.executable, "-m", "mlquiz", "practice", "--bank", str(only("drill-truefalse")), "-t",
                           "drill", "-n", "1"], input="f\n\n", text=True, capture_output=True,
                          env=env, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    line = next(l for l in done.stdout.splitlines() if "next review" in l)
    assert line.endswith("JST") and "UTC" not in line


# ----- 9. answers
def test_9_a_negative_base_to_a_fractional_power_is_explained():
    with pytest.raises(AnswerFormatError, match=r"no real value.*-\(8\*\*"):
        parse_number("(-8)**(1/3)")
    assert parse_number("-(8**(1/3))") == pytest.approx(-2)


def test_9_a_decimal_comma_gets_a_hint():
    with pytest.raises(AnswerFormatError, match=r"use a decimal point \(0\.5\)"):
        parse_number("0,5")
    assert parse_number("13,780") == 13780


@pytest.mark.parametrize("text", ["1e-400", "0.1**400", "1e-200*1e-200", "1/1e400"])
def test_9_underflow_is_refused_not_read_as_zero(text):
    with pytest.raises(AnswerFormatError):
        parse_number(text)
    assert parse_number("0") == 0 and parse_number("0e5") == 0


# ----- 10. the README's piped example shows what a reader gets
def test_10_readme_piped_example_is_reproducible():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"^\$ (printf '[^']*' \| mlquiz practice .*)$", readme, re.M).group(1)
    assert "--seed" in command and " -t " in command
    answers, args = command.split(" | mlquiz ")
    env = {**os.environ, "MLQUIZ_HOME": str(home())}
    given = answers.removeprefix("printf '").removesuffix("'").replace("\\n", "\n")
    done = subprocess.run([sys.executable, "-m", "mlquiz", *args.split()], input=given, text=True,
                          capture_output=True, env=env, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    count = int(re.search(r"-n (\d+)", command).group(1))
    assert f"{count} answered, 0 skipped" in done.stdout, done.stdout
    assert "is not" not in done.stdout and "use numbers" not in done.stdout  # every line was an answer
    shown = readme.split(command)[1].split("```")[0]
    for line in shown.splitlines():
        if line.startswith(("✓", "✗")):
            assert line.strip() in done.stdout, line  # the README's feedback is what the reader sees


# ----- 11. data in the XDG data folder, caches in the cache folder, an old store moved safely
def xdg_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_") and k != "MLQUIZ_HOME"}
    return {**env, "HOME": str(tmp_path / "user")}


def test_11_data_cache_and_settings_follow_xdg(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mlquiz", "where", "--json"], text=True, capture_output=True,
                          env=xdg_env(tmp_path), cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    import json

    where = json.loads(done.stdout)
    user = tmp_path / "user"
    assert where["progress"] == str(user / ".local/share/mlquiz/progress.db")
    assert where["cache"] == str(user / ".cache/mlquiz")
    assert where["config"] == str(user / ".config/mlquiz/config.toml")


def test_11_an_old_store_is_moved_and_kept(tmp_path):
    from mlquiz.practice.store import Store

    old = tmp_path / "user/.config/mlquiz/progress.db"
    store = Store(old)
    store.db.execute("INSERT INTO reviews (question_id, topic, rating, reviewed_at) VALUES ('q', 't', 3, 'x')")
    store.close()
    env = xdg_env(tmp_path)
    done = subprocess.run([sys.executable, "-m", "mlquiz", "stats", "--json"], text=True, capture_output=True,
                          env=env, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '"reviews": 1' in done.stdout  # a read-only command reads the old store where it is
    assert old.exists()
    done = subprocess.run([sys.executable, "-m", "mlquiz", "practice", "-n", "1", "--seed", "1"], input="s\n",
                          text=True, capture_output=True, env=env, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    new = tmp_path / "user/.local/share/mlquiz/progress.db"
    assert "moved your progress" in done.stdout
    assert new.exists() and not old.exists() and old.with_name("progress.db.moved").exists()
    with sqlite3.connect(new) as db:
        assert db.execute("SELECT count(*) FROM reviews").fetchone()[0] == 1
    done = subprocess.run([sys.executable, "-m", "mlquiz", "where"], text=True, capture_output=True, env=env,
                          cwd=ROOT, timeout=60)
    assert str(new) in done.stdout.replace("\n", "")


# ----- 5. line editing at the prompt (readline), through a real pseudo-terminal
def read_until(fd, marker: str, timeout: float = 30) -> str:
    import select
    import time

    seen, deadline = b"", time.time() + timeout
    while marker.encode() not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.time()))
        if not ready:
            raise AssertionError(f"no {marker!r} within {timeout}s; screen: {seen[-600:]!r}")
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return seen.decode(errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_5_arrow_keys_edit_the_answer():
    import pty

    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100", "MLQUIZ_HOME": str(home()), "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "mlquiz", "practice", "--bank", str(only("drill-numeric")),
                             "-t", "drill", "-n", "1", "--seed", "1"],
                            stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, close_fds=True)
    os.close(slave)
    try:
        read_until(master, "> ")
        # the end of the answer, then the left arrow back to the start, then its first digit: 13780.6 - 13780.6
        os.write(master, ("3780.6" + "\x1b[D" * 6 + "1" + "\x1b[C" * 6 + "-13780.6\r").encode())
        screen = read_until(master, "> ")
        assert "\\x1b" not in screen and "is not a number" not in screen, screen
        assert "✗ wrong" in screen and "you said 0" in screen, screen  # read as 13780.6-13780.6
        os.write(master, b"q\r")
        read_until(master, "answered")
    finally:
        proc.wait(timeout=30)
        os.close(master)
    assert [r[2] for r in rows()] == [0]


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_5_up_arrow_recalls_an_earlier_answer():
    import pty

    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100", "MLQUIZ_HOME": str(home()), "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "mlquiz", "practice", "--bank", str(only("drill-numeric")),
                             "-t", "drill", "-n", "1", "--seed", "1"],
                            stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, close_fds=True)
    os.close(slave)
    try:
        read_until(master, "> ")
        os.write(master, b"1.1**\r")  # not yet a number: asked again
        read_until(master, "not a number")
        os.write(master, b"\x1b[A100\r")  # up recalls 1.1** ; 100 completes it
        screen = read_until(master, "Enter for your summary")
        assert "✓ right" in screen, screen
        os.write(master, b"q\r")
    finally:
        proc.wait(timeout=30)
        os.close(master)
    assert rows()[0][2] == 1


# ----- friction: compact feedback, plan line, review/new mark, score, hint counts as hard
def test_plan_line_marks_and_running_score():
    result = runner.invoke(app, ["practice", "--bank", str(DRILL), "-t", "drill", "--tag", "numeric", "--tag",
                                 "truefalse", "-n", "2", "--seed", "1"], input="1\n1\n\n")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2 questions: 0 reviews due, 2 new")
    assert result.output.count("· new ·") == 2
    tomorrow = runner.invoke(app, ["practice", "--bank", str(DRILL), "-t", "drill", "-n", "3", "--seed", "1",
                                   "--now", "+1d", "--no-save"], input="s\ns\ns\n")
    assert tomorrow.exit_code == 0, tomorrow.output
    # the wrong answer is due (10 minutes), the right one is not (2 days)
    assert "3 questions: 1 review due, 2 new" in tomorrow.output
    assert tomorrow.output.count("· review ·") == 1
    assert re.search(r"[01]/1 right", result.output)  # the second question's header has the score so far


def test_overrule_hint_only_after_a_wrong_grading_and_tolerance_shown():
    right = one("drill-numeric", "--no-save", input="1.1**100\n\n")
    assert "✓ right" in right.output and "type o" not in right.output and "o overrule" not in right.output
    wrong = one("drill-numeric", input="13000\n\n")
    assert "the answer is 13780.6 (within 0.1%)" in wrong.output
    assert "type o at the next prompt" in wrong.output


def test_feedback_shows_only_the_explanations_first_paragraph(tmp_path):
    bank = tmp_path / "long.yaml"
    bank.write_text(DRILL.read_text(encoding="utf-8").replace(
        "    explanation: ReLU is flat below zero, so its slope there is 0.",
        '    explanation: "ReLU is flat below zero, so its slope there is 0.\\n\\nA second paragraph."'),
        encoding="utf-8")
    result = runner.invoke(app, ["practice", "--bank", str(bank), "-t", "drill", "--tag", "truefalse", "-n", "1"],
                           input="t\n\n")
    assert result.exit_code == 0, result.output
    assert "ReLU is flat below zero" in result.output and "A second paragraph" not in result.output
    assert re.search(r"mlquiz show\s+drill-truefalse", result.output)


def test_a_hint_makes_a_right_answer_hard():
    result = one("drill-numeric", input="?\n1.1**100\n\n")
    assert result.exit_code == 0, result.output
    assert "counts as hard" in result.output
    assert rows() == [("drill-numeric", 2, 1, 0)]


def test_d_runs_the_demo_inline_and_the_session_goes_on(tmp_path):
    bank = tmp_path / "demo.yaml"
    bank.write_text("""format_version: 1
id: demo-drill
title: Demo drill
description: Two questions, the first with a demo behind it.
questions:
  - id: demo-drill-chain
    topic: demodrill
    difficulty: easy
    type: truefalse
    prompt: Twenty layers that each multiply the gradient by 1.1 multiply it by more than 6.
    answer: true
    explanation: 1.1**20 is about 6.73.
    demo: {name: gradient-chain, params: {layers: 20, factor: 1.1}}
  - id: demo-drill-plain
    topic: demodrill
    difficulty: easy
    type: truefalse
    prompt: Zero is a number.
    answer: true
    explanation: It is.
""", encoding="utf-8")
    args = ["practice", "--bank", str(bank), "-t", "demodrill", "--no-save", "-n", "2"]
    seed = next(seed for seed in range(1, 20)
                if "Twenty layers" in runner.invoke(app, [*args, "--seed", str(seed)], input="").output)
    result = runner.invoke(app, [*args, "--seed", str(seed)], input="t\nd\nt\n\n")
    assert result.exit_code == 0, result.output
    assert "Twenty layers" in result.output.split("2/2")[0], "the seed should put the demo question first"
    before, after = result.output.split("(back to the session)")
    assert "mlquiz demo gradient-chain" in before.split("see why:")[1]
    assert "2/2" in after and "Zero is a number" in after  # the question being asked is shown again
    assert "2 answered, 0 skipped" in after  # and the session went on


# ----- features: config, reset, --now, --only
def test_config_file_is_read_and_shown():
    home().mkdir(parents=True, exist_ok=True)
    (home() / "config.toml").write_text('session_length = 2\nlearning_steps = ["1m", "10m"]\n', encoding="utf-8")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert 'learning_steps = ["1m", "10m"]' in result.output and "session_length = 2" in result.output
    result = runner.invoke(app, ["practice", "--bank", str(DRILL), "-t", "drill", "--no-save"], input="s\ns\n")
    assert "2 questions:" in result.output
    (home() / "config.toml").write_text("session_lenght = 2\n", encoding="utf-8")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 1 and "did you mean 'session_length'?" in result.stderr


def test_reset_asks_first_and_keeps_a_copy():
    one("drill-numeric", input="1\n\n")
    one("drill-truefalse", input="t\n\n")
    result = runner.invoke(app, ["reset", "--topic", "DRILL", "--bank", str(DRILL)], input="no\n")
    assert result.exit_code == 1 and "This forgets 2 reviews of 2 questions (topic drill)" in result.output
    assert len(rows()) == 2
    result = runner.invoke(app, ["reset", "--question", "drill-numeric", "--bank", str(DRILL)], input="yes\n")
    assert result.exit_code == 0, result.output
    assert [r[0] for r in rows()] == ["drill-truefalse"]
    assert list(home().glob("progress-before-reset-*.db"))
    result = runner.invoke(app, ["reset", "--question", "drill-numeric", "--bank", str(DRILL)])
    assert "nothing to forget" in result.output


def test_now_runs_a_session_at_another_time():
    one("drill-truefalse", input="t\n\n")  # right: due in 2 days
    soon = runner.invoke(app, ["practice", "--bank", str(DRILL), "-t", "drill", "--tag", "truefalse", "--now",
                               "+1d"], input="")
    assert "Nothing is due" in soon.output
    later = runner.invoke(app, ["practice", "--bank", str(DRILL), "-t", "drill", "--tag", "truefalse"],
                          input="t\n\n", env={"MLQUIZ_NOW": "+3d"})
    assert "1 questions: 1 review due" in later.output.replace("1 question:", "1 questions:")
    bad = runner.invoke(app, ["practice", "--now", "tomorrow"])
    assert bad.exit_code == 2 and "+1d" in bad.output


def test_only_practises_only_the_named_bank():
    result = runner.invoke(app, ["practice", "--only", str(DRILL), "-n", "20", "--no-save"], input="s\n" * 20)
    assert result.exit_code == 0, result.output
    assert "7 questions:" in result.output and "· drill ·" in result.output
    assert not re.search(r"· (lstm|cnn|rnn|gru|gradients) ·", result.output)
    result = runner.invoke(app, ["practice", "--only", "practise-drill", "--bank", str(DRILL)])
    assert result.exit_code == 1 and "did you mean 'practice-drill'?" in result.stderr
