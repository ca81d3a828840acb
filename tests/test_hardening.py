"""Hostile banks, hostile input, interrupted sessions and failing disks: clean messages, nothing lost."""

import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mlquiz.content.loading import load_bank_file

FIXTURES = Path(__file__).parent / "fixtures"
KINDS = FIXTURES / "hardening" / "kinds.yaml"
GOOD = (FIXTURES / "bank_ok" / "tiny.yaml").read_text(encoding="utf-8")
# an answer that is valid for each kind of prompt
VALID = {"choice": "b", "multi": "a,c", "truefalse": "t", "numeric": "0.9**10", "text": "relu", "recall": "3"}


def load_text(tmp_path, text, name="bank.yaml"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return load_bank_file(path)


# ----- the loader under generated and mutated input
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_random_bytes_give_problems_not_exceptions(tmp_path, data):
    bank, problems = load_text(tmp_path, data)
    assert bank is not None or problems
    for problem in problems:
        assert "\n" not in str(problem) and str(problem).startswith(str(tmp_path))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, len(GOOD)), st.integers(0, 8),
                          st.text(alphabet=":-[]{}&*!|>'\"#\n\t ab1", max_size=6)), min_size=1, max_size=4))
def test_mutated_banks_give_one_line_problems(tmp_path, edits):
    text = GOOD
    for position, cut, insert in edits:
        position = min(position, len(text))
        text = text[:position] + insert + text[position + cut:]
    bank, problems = load_text(tmp_path, text)
    assert bank is not None or problems
    assert all("\n" not in str(p) and ":" in str(p) for p in problems)


# ----- hostile banks
def quickly(fn, limit=5.0):
    start = time.perf_counter()
    result = fn()
    assert time.perf_counter() - start < limit, "took too long to reject"
    return result


def test_alias_bomb_is_refused_quickly(tmp_path):
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for index, name in enumerate("bcdefgh"):
        prev = "abcdefgh"[index]
        levels.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    text = "format_version: 1\nid: bomb\n" + "\n".join(levels) + "\nquestions: [*h]\n"
    _, problems = quickly(lambda: load_text(tmp_path, text))
    assert "alias bomb" in problems[0].message


@pytest.mark.parametrize("text, expected", [
    ("x: " + "[" * 5000 + "]" * 5000, "brackets nested more than"),
    ("x:\n" + "".join(" " * (2 * i) + f"k{i}:\n" for i in range(300)), "nested more than"),
    ("- " * 2000 + "deep", "nested more than"),
])
def test_deep_nesting_is_refused_before_parsing(tmp_path, text, expected):
    _, problems = quickly(lambda: load_text(tmp_path, text))
    assert expected in problems[0].message


def test_multi_megabyte_file_is_refused(tmp_path):
    text = "format_version: 1\ndescription: '" + "x" * (17 * 1024 * 1024) + "'\n"
    _, problems = quickly(lambda: load_text(tmp_path, text))
    assert "split it" in problems[0].message


def test_huge_vary_table_is_refused_without_expanding(tmp_path):
    values = ", ".join(str(i) for i in range(1, 1001))
    text = GOOD + f"""  - id: tiny-vary
    topic: gradients
    difficulty: easy
    type: numeric
    prompt: "{{a}} {{b}} {{c}} {{d}}"
    vary: {{a: [{values}], b: [{values}], c: [{values}], d: [{values}]}}
    answer_from: {{demo: gradient-chain, params: {{layers: "{{a}}"}}, key: product}}
    explanation: Too many.
"""
    _, problems = quickly(lambda: load_text(tmp_path, text), limit=3)
    assert any("combinations; at most 1000" in p.message for p in problems)


@pytest.mark.parametrize("template", [
    "{x.__class__}", "{0.__globals__}", "{x[0]}", "{x!r}", "{x:>999999999}", "{x:{y}}", "{__import__}x}",
])
def test_template_injection_is_refused(tmp_path, template):
    text = GOOD.replace("prompt: ReLU's derivative is 0 for negative inputs.", f'prompt: "{template}"')
    _, problems = load_text(tmp_path, text)
    assert problems and any("placeholder" in p.message or "brace" in p.message for p in problems)


def test_non_utf8_bytes_are_a_clear_problem(tmp_path):
    _, problems = load_text(tmp_path, GOOD.encode("utf-8").replace(b"ReLU's", b"ReLU\xff\xfe"))
    assert "not UTF-8" in problems[0].message and problems[0].line == 10


@pytest.mark.parametrize("tag", [
    '!!python/object/apply:os.system ["touch {marker}"]',
    '!!python/object/new:subprocess.Popen [["touch", "{marker}"]]',
    '!!python/name:os.system',
    '!!binary aGk=',
    '!custom {{a: 1}}',
])
def test_object_tags_run_no_code(tmp_path, tag):
    marker = tmp_path / "pwned"
    text = GOOD.replace("answer: true", "answer: " + tag.format(marker=marker))
    _, problems = load_text(tmp_path, text)
    assert problems and "is not allowed" in problems[0].message
    assert not marker.exists()


# ----- demo parameters at and beyond their ranges
def run_cli(*args, env=None, input=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "mlquiz", *args], capture_output=True, text=True, input=input,
                          env={**os.environ, **(env or {})}, timeout=timeout)


@pytest.mark.parametrize("args", [
    ["lstm-gradients", "--seq-len", "1000000000"],
    ["lstm-gradients", "--hidden", "-1"],
    ["gradient-chain", "--factor", "nan"],
    ["gradient-chain", "--factor", "inf"],
    ["gradient-chain", "--layers", "1e400"],
    ["conv-output-size", "--input", "-5"],
    ["bootstrap-oob", "--n", "1000000", "--trials", "1000000"],
    ["lstm-gradients", "--seq-len", "2000", "--hidden", "512"],
])
def test_absurd_demo_parameters_are_refused_by_their_ranges(args):
    start = time.perf_counter()
    result = run_cli("demo", *args)
    assert time.perf_counter() - start < 10
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr


# ----- practice under interruption
def practice_process(home: Path, *extra):
    env = {**os.environ, "MLQUIZ_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "mlquiz", "practice", "--bank", str(KINDS), "-t", "kinds",
                             "--seed", "3", "-n", "6", *extra], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def kinds_in_order():
    """The question types in the order --seed 3 asks them."""
    from mlquiz.content import catalog
    from mlquiz.practice import session

    loaded = catalog.load([KINDS])
    options = session.PracticeOptions(count=6, topics=("kinds",), seed=3)
    picks = session.select(loaded.questions, {}, {}, options, datetime.now(timezone.utc), random.Random(3))
    return [q.type for q, _ in picks]


def reviews(home: Path) -> list[str]:
    db = home / "progress.db"
    if not db.exists():
        return []
    try:
        with sqlite3.connect(db) as conn:
            return [row[0] for row in conn.execute("SELECT question_id FROM reviews ORDER BY id")]
    except sqlite3.OperationalError:  # the session is still creating its tables
        return []


def store_is_open(home: Path) -> bool:
    try:
        with sqlite3.connect(home / "progress.db") as conn:
            conn.execute("SELECT 1 FROM reviews LIMIT 1").fetchall()
        return True
    except sqlite3.OperationalError:
        return False


def wait_for_reviews(home: Path, count: int, timeout=30):
    # the store being open also means Python is past start-up, so a SIGINT becomes KeyboardInterrupt
    # (a signal sent earlier, on a loaded machine, kills the interpreter before it has a handler)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if (home / "progress.db").exists() and store_is_open(home) and len(reviews(home)) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"expected {count} reviews, have {reviews(home)}")


@pytest.mark.parametrize("answered", range(6))
def test_ctrl_c_at_each_kind_of_prompt_keeps_every_answer(tmp_path, answered):
    kinds = kinds_in_order()
    home = tmp_path / "home"
    proc = practice_process(home)
    for kind in kinds[:answered]:
        proc.stdin.write(VALID[kind] + "\n")
        proc.stdin.flush()
    wait_for_reviews(home, answered)
    time.sleep(0.3)  # let it reach the next prompt
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted" in out + err or answered == 0
    assert len(reviews(home)) == answered


@pytest.mark.parametrize("answered", range(7))
def test_end_of_input_at_each_prompt_ends_cleanly(tmp_path, answered):
    kinds = kinds_in_order()
    home = tmp_path / "home"
    proc = practice_process(home)
    lines = "".join(VALID[k] + "\n" for k in kinds[:answered])
    out, err = proc.communicate(lines, timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert len(reviews(home)) == min(answered, 6)


# ----- a data folder that cannot be written
def test_unwritable_data_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run_cli("practice", "-n", "1", env={"MLQUIZ_HOME": str(blocker / "home")}, input="t\n")
    assert result.returncode == 1
    assert "cannot create the progress folder" in result.stderr and "--no-save" in result.stderr
    assert "Traceback" not in result.stderr


def _limit_file_size():
    # a "full disk": writes past 64 KiB fail with EFBIG instead of killing the process
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_full_disk_keeps_earlier_answers_and_says_so(tmp_path):
    home = tmp_path / "home"
    subprocess.run([sys.executable, "-m", "mlquiz", "practice", "--bank", str(KINDS), "-t", "kinds", "-n", "1",
                    "--seed", "3"], input=VALID[kinds_in_order()[0]] + "\n", text=True, capture_output=True,
                   env={**os.environ, "MLQUIZ_HOME": str(home)}, timeout=60)
    before = reviews(home)
    assert len(before) == 1
    # pad the database so that the next write crosses the limit
    with sqlite3.connect(home / "progress.db") as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS padding (x BLOB)")
        conn.execute("INSERT INTO padding VALUES (zeroblob(70000))")
    answers = "".join(VALID[k] + "\n" for k in kinds_in_order())
    result = subprocess.run([sys.executable, "-m", "mlquiz", "practice", "--bank", str(KINDS), "-t", "kinds",
                             "--new", "-n", "5", "--seed", "3"], input=answers, text=True, capture_output=True,
                            env={**os.environ, "MLQUIZ_HOME": str(home)}, preexec_fn=_limit_file_size, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    # not just "full" anywhere: pytest's tmp_path for this test contains that word (D12)
    assert "answers before this one are saved" in result.stderr, result.stderr
    assert "no transaction is active" not in result.stderr
    assert reviews(home)[: len(before)] == before


def test_corrupt_database_is_reported_and_never_touched(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    garbage = bytes(random.Random(1).randrange(256) for _ in range(8192))
    (home / "progress.db").write_bytes(garbage)
    for command in (["practice", "-n", "1"], ["stats"]):
        result = run_cli(*command, env={"MLQUIZ_HOME": str(home)}, input="t\n")
        assert result.returncode == 1
        assert "progress.db" in result.stderr and "left untouched" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert (home / "progress.db").read_bytes() == garbage
    assert {p.name for p in home.iterdir()} <= {"progress.db", "cache"}  # no replacement db, no backup shuffle
