"""Hostile input and faults (issue #12): one test per defect D1-D27 of the review
(../shared/reviews/hostile-inputs.md), grouped by the class of fix. The slow cases (time and memory
bounds, 30 random SIGKILLs) are benchmarks/hostile.py."""

import io
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlquiz.cli.app import app
from mlquiz.content.loading import load_bank_file

runner = CliRunner()
HEADER = """\
format_version: 1
id: hostile
title: T
description: D
questions:
"""


def question(qid="hostile-1", **fields) -> str:
    """One question as YAML; values are inserted as written (quote them yourself)."""
    body = {"id": qid, "topic": "hostile", "difficulty": "easy", "type": "truefalse", "prompt": "P?",
            "answer": "true", "explanation": "E."}
    body.update(fields)
    body = {k: v for k, v in body.items() if v is not None}  # None drops a key
    lines = [f"  - id: {body.pop('id')}"] + [f"    {k}: {v}" for k, v in body.items()]
    return "\n".join(lines) + "\n"


def write_bank(tmp_path, *questions: str, header: str = HEADER, name: str = "hostile.yaml") -> Path:
    path = tmp_path / name
    path.write_text(header + "".join(questions or (question(),)), encoding="utf-8")
    return path


def load(tmp_path, *questions, **kw):
    return load_bank_file(write_bank(tmp_path, *questions, **kw))


def one_line_problems(problems) -> list[str]:
    lines = [str(p) for p in problems]
    assert lines and all("\n" not in line for line in lines), lines
    return lines


def cli(*args, input=None):
    result = runner.invoke(app, list(args), input=input)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def terminal_ui():
    from rich.console import Console

    from mlquiz.cli.render import TerminalUI

    out = io.StringIO()
    return TerminalUI(out=Console(file=out, force_terminal=True, width=200, highlight=False)), out


# ----- D1, D2, D3: bank text reaches the terminal as text, never as markup or escape sequences
def test_d1_shipped_hints_keep_their_brackets(tmp_path):
    from mlquiz.content import catalog
    from mlquiz.content.items import make_item

    questions = {q.id: q for q in catalog.load([]).questions}
    ui, out = terminal_ui()
    ui.show_hint(make_item(questions["grad-clip-sign-cosine"]))
    assert "E[g**2]" in out.getvalue()


@pytest.mark.parametrize("hint", ["[/]", "[link=https://evil.example]click me[/link]", "[bold red]shout"])
def test_d1_a_hostile_hint_prints_as_written(tmp_path, hint):
    from mlquiz.content.items import make_item

    bank, problems = load(tmp_path, question(hint=f"'{hint}'"))
    assert not problems
    ui, out = terminal_ui()
    ui.show_hint(make_item(bank.questions[0]))
    assert hint in out.getvalue() and "\x1b]8" not in out.getvalue()


@pytest.mark.parametrize("escape", [r"\e]2;PWNED\e\\", r"\e[2J", r"\e]8;;https://evil\e\\click\e]8;;\e\\", r"\x9b31m",
                                    r"\0", r"\u202e"])
@pytest.mark.parametrize("field", ["prompt", "explanation", "hint"])
def test_d2_control_characters_in_bank_text_are_rejected_with_their_line(tmp_path, field, escape):
    bank, problems = load(tmp_path, question(**{field: f'"text {escape} more"'}))
    lines = one_line_problems(problems)
    assert bank is None
    line = {"prompt": 10, "explanation": 12, "hint": 13}[field]
    assert any(f"hostile.yaml:{line}:" in p and "control character U+" in p for p in lines), lines


def test_d2_control_characters_in_options_title_and_vary_are_rejected(tmp_path):
    header = HEADER.replace("title: T", 'title: "T\\e]2;x\\a"')
    bank, problems = load(tmp_path, question(type="choice", options='["a\\e[2J", b]', answer="b"), header=header)
    lines = one_line_problems(problems)
    assert any(":3:" in line and "U+001B (ESC)" in line for line in lines), lines
    assert sum("control character" in line for line in lines) == 2
    bank, problems = load(tmp_path, question(type="numeric", prompt="'{n}'", vary='{n: ["\\e[2J", b]}',
                                             answer=None,
                                             answer_from="{demo: gradient-chain, key: product}").replace(
        'vary: {n: ["\\e[2J", b]}', 'vary: {n: ["\\e[2J", "b"]}'))
    assert any("control character" in line for line in one_line_problems(problems))


def test_d2_terminal_text_shows_controls_visibly():
    from mlquiz.safetext import terminal

    assert terminal("a\x1b]2;PWNED\x07b\x9b31m[/]") == "a\\x1b]2;PWNED\\x07b\\x9b31m\\[/]"
    assert terminal("tab\tand\nnewline") == "tab\tand\nnewline"


def test_d2_prompt_and_feedback_never_emit_bank_escapes():
    from mlquiz.content.items import Item
    from mlquiz.content.model import Question
    from mlquiz.practice.grading import Verdict

    evil = "x\x1b]2;PWNED\x1b\\y\x1b[2J[link=https://evil]z[/link]"
    q = Question(id="q", bank="b", file="f", line=1, topic="t", tags=(), difficulty="easy", type="choice",
                 prompt={"en": evil}, explanation={"en": evil})
    item = Item(q, 0, {}, evil, (evil, "b"), evil, evil, (), None, None, evil, evil)
    ui, out = terminal_ui()
    ui.show_question(item, 1, 1)
    ui.show_hint(item)
    ui.show_feedback(item, Verdict(False, evil, missed=(evil,)))
    ui.problem(evil)
    text = out.getvalue()
    assert "\x1b]" not in text and "\x1b[2J" not in text and "PWNED" in text


@pytest.mark.parametrize("title", ["'[/]'", "'[bold red]shout'"])
def test_d3_bank_title_is_text_in_list(tmp_path, title):
    path = write_bank(tmp_path, header=HEADER.replace("title: T", f"title: {title}"))
    result = cli("list", "--bank", str(path))
    assert result.exit_code == 0, result.output
    assert title.strip("'") in result.output


# ----- D8: options are lettered a to z
def test_d8_more_than_26_options_is_a_load_problem(tmp_path):
    options = "[" + ", ".join(f"o{i}" for i in range(30)) + "]"
    bank, problems = load(tmp_path, question(type="choice", options=options, answer="o29"))
    assert bank is None
    assert any("at most 26" in line for line in one_line_problems(problems))


# ----- D4, D5, D6, D7, D19: one boundary; whatever a bank file holds, it costs a Problem for that file only
@pytest.mark.parametrize("text", [
    "x: &r [*r]\n",  # D4a: a cycle
    "x: &r {a: *r}\n",
    "questions:\n  - id: x-1\n    prompt: !!int abc\n",  # D4b: PyYAML's constructors
    "x: !!int ''\n", "x: !!float abc\n", "x: !!bool maybe\n", "x: !!int 0x\n", "x: !!float ''\n",
    "x: 1" + "0" * 5000 + "\n",  # D4c
    "x: 1" + "0" * 400 + "\n",  # D4d
    "x: 1" + ":59" * 200_000 + "\n",  # D5: sexagesimal
])
def test_d4_d5_loader_failures_are_one_line_problems(tmp_path, text):
    import time

    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    bank, problems = load_bank_file(path)
    assert time.perf_counter() - start < 1.0
    assert bank is None
    assert all(line.startswith(str(path)) for line in one_line_problems(problems))


def test_d4_a_broken_file_in_mlquiz_banks_costs_only_itself(tmp_path, monkeypatch):
    bad = tmp_path / "bad.yaml"
    bad.write_text("x: &r [*r]\n", encoding="utf-8")
    monkeypatch.setenv("MLQUIZ_BANKS", str(bad))
    for command in (["list"], ["stats"], ["export", "gift", str(tmp_path / "out.txt")]):
        result = cli(*command)
        assert result.exit_code == 0, result.output
        assert "bad.yaml" in result.output and "cycle" in result.output


@pytest.mark.parametrize("field,value", [
    ("tolerance", "{abs: 1" + "0" * 400 + "}"),  # D4d
    ("answer", "1" + "0" * 400),
])
def test_d4d_huge_integers_are_problems(tmp_path, field, value):
    fields = {"type": "numeric", "answer": "1", field: value}
    bank, problems = load(tmp_path, question(**fields))
    assert bank is None and one_line_problems(problems)


@pytest.mark.parametrize("params", [
    "{input: '" + "9" * 5000 + "'}",  # D4e: a pair
    "{padding: '" + "9" * 5000 + "'}",  # D4g: text parsed by the demo
    "{input: " + "9" * 39 + "}",
])
def test_d4e_d4g_huge_digit_strings_in_params(tmp_path, params):
    from mlquiz.content.verify import verify

    ref = f"{{demo: conv-output-size, params: {params}, key: output.0}}"
    path = write_bank(tmp_path, question(type="numeric", answer=None, answer_from=ref))
    report = verify([path])
    assert not report.ok and all("\n" not in str(p) for p in report.problems)
    result = cli("practice", "--bank", str(path), "-t", "hostile", "-n", "1", "--no-save", input="1\n")
    assert result.exit_code in (0, 1)


@pytest.mark.parametrize("option,value", [("--input", "9" * 5000), ("--padding", "9" * 5000), ("--input", "²")])
def test_d4e_d4g_huge_digit_strings_on_the_command_line(option, value):
    result = cli("demo", "conv-output-size", option, value)
    assert result.exit_code != 0 and "not valid" in result.output, result.output


@pytest.mark.parametrize("key", ["output.²", "output." + "9" * 5000, "output.٣"])
def test_d4f_odd_digits_in_keys(tmp_path, key):
    from mlquiz.content.verify import verify

    ref = f"{{demo: conv-output-size, key: '{key}'}}"
    path = write_bank(tmp_path, question(type="numeric", answer=None, answer_from=ref))
    report = verify([path])
    assert not report.ok and any("no value at key" in p.message for p in report.problems), report.problems


def test_d6_a_long_multi_answer_is_refused_quickly(tmp_path):
    import time

    options = "[" + ", ".join(f"option number {i}" for i in range(26)) + "]"
    answer = "[" + ", ".join(f"answer text {i}" for i in range(10_000)) + "]"
    start = time.perf_counter()
    bank, problems = load(tmp_path, question(type="multi", options=options, answer=answer))
    assert time.perf_counter() - start < 1.0
    assert bank is None and len(one_line_problems(problems)) <= 3


def test_d6_problems_per_file_are_capped(tmp_path):
    from mlquiz.content.checks import MAX_PROBLEMS

    keys = "".join(f"    unknown_key_{i}: 1\n" for i in range(5000))
    bank, problems = load(tmp_path, question() + keys)
    lines = one_line_problems(problems)
    assert len(lines) == MAX_PROBLEMS + 1 and "more problems not listed" in lines[-1]


@pytest.mark.parametrize("shape", ["flow-list", "many-questions", "nested-brackets"])
def test_d5_a_file_past_the_entry_cap_is_refused_before_libyaml_builds_it(tmp_path, monkeypatch, shape):
    # a 2 MB "[1,1,...]" took 6 s and 570 MB to refuse after libyaml had built a million values
    import yaml

    from mlquiz.content.yamlsrc import MAX_ENTRIES

    class Unused(yaml.SafeLoader):
        def get_single_node(self):
            raise AssertionError("the file was parsed")

    monkeypatch.setattr(yaml, "CSafeLoader", Unused, raising=False)
    monkeypatch.setattr(yaml, "SafeLoader", Unused)
    if shape == "flow-list":
        path = tmp_path / "flow.yaml"
        path.write_text("x: [" + ",".join(["1"] * (MAX_ENTRIES + 10)) + "]\n", encoding="utf-8")
        where = f"{path}:1:{4 + 2 * MAX_ENTRIES}:"  # the "[" and MAX_ENTRIES - 1 commas come before it
    elif shape == "nested-brackets":  # 20,000 lines of this took 24 s and 800 MB
        path = tmp_path / "nested.yaml"
        path.write_text("".join(f"x{i}: " + "[" * 40 + "]" * 40 + "\n" for i in range(MAX_ENTRIES // 40)),
                        encoding="utf-8")
        where = f"{path}:{MAX_ENTRIES // 41 + 1}:"
    else:
        path = write_bank(tmp_path, *(question(f"hostile-{i}") for i in range(MAX_ENTRIES // 7 + 10)))
        where = f"{path}:"
    bank, problems = load_bank_file(path)
    assert bank is None and one_line_problems(problems)[0].startswith(where), problems
    assert f"more than {MAX_ENTRIES:,} lines, commas, brackets and list dashes" in problems[0].message


def test_d5_the_largest_shipped_bank_is_far_under_the_entry_cap():
    from mlquiz.content.yamlsrc import MAX_ENTRIES

    largest = max(sum(text.count(mark) for mark in ("\n", ",", "[", "{", "- ")) for text in
                  (path.read_text(encoding="utf-8") for path in (Path(__file__).parents[1] / "questions").glob("*.yaml")))
    assert largest * 5 < MAX_ENTRIES, largest  # room for banks five times the largest


def test_d7_size_is_checked_before_reading(tmp_path):
    from mlquiz.content.yamlsrc import MAX_BYTES

    big = tmp_path / "big.yaml"
    with open(big, "wb") as handle:
        handle.truncate(3 * 1024**3)  # sparse: 3 GB on paper, nothing on disk
    # under a 1 GB address-space limit: reading the file before checking its size would fail
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30)); "
            "from mlquiz.content.loading import load_bank_file; print(load_bank_file(__import__('pathlib').Path("
            "sys.argv[1]))[1][0])")
    result = subprocess.run([sys.executable, "-c", code, str(big)], capture_output=True, text=True, timeout=60)
    assert f"at most {MAX_BYTES:,}" in result.stdout and "Traceback" not in result.stderr, result.stderr[-500:]


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_d7_non_regular_files_are_refused(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "fifo.yaml"
        os.mkfifo(path)
    elif kind == "device":
        path = Path("/dev/zero")
    else:
        path = tmp_path / "folder.yaml"
        path.mkdir()
    bank, problems = load_bank_file(path)
    assert bank is None and "not a regular file" in one_line_problems(problems)[0]


def test_d7_a_fifo_given_with_bank_does_not_hang(tmp_path):
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    result = subprocess.run([sys.executable, "-m", "mlquiz", "list", "--bank", str(fifo)], capture_output=True,
                            text=True, timeout=30, env={**os.environ})
    assert result.returncode == 0 and "not a regular file" in result.stderr, result.stderr


def test_d19_a_bad_character_after_multibyte_text_has_its_line(tmp_path):
    text = HEADER + question(prompt="'" + "漢" * 2000 + "'") + "\n" * 7 + "# \x00\n"
    path = tmp_path / "nul.yaml"
    path.write_text(text, encoding="utf-8")
    bank, problems = load_bank_file(path)
    line = text[: text.index("\x00")].count("\n") + 1
    assert one_line_problems(problems)[0].startswith(f"{path}:{line}:3:"), problems
    assert "U+0000 (NUL)" in str(problems[0])


def test_d22_a_huge_prompt_is_a_problem(tmp_path):
    bank, problems = load(tmp_path, question(prompt="'" + "x" * 1_000_000 + "'"))
    assert bank is None and "at most 10,000" in one_line_problems(problems)[0]


# ----- D9, D10, D22, D24: one cap and one decoding for every answer
def run_mlquiz(*args, input: bytes = b"", env=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "mlquiz", *args], input=input, capture_output=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def reviews(home=None) -> list[tuple]:
    path = Path(home or os.environ["MLQUIZ_HOME"]) / "progress.db"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        return db.execute("SELECT question_id, correct, response FROM reviews ORDER BY id").fetchall()


ANSWER_KINDS = {
    "choice": question("ans-1", type="choice", options="[alpha, beta]", answer="beta"),
    "multi": question("ans-1", type="multi", options="[alpha, beta, gamma]", answer="[alpha, gamma]"),
    "numeric": question("ans-1", type="numeric", answer="0.25"),
    "text": question("ans-1", type="text", answer="relu"),
    "truefalse": question("ans-1"),
}


@pytest.mark.parametrize("kind", sorted(ANSWER_KINDS))
@pytest.mark.parametrize("huge", ["9" * 5000, "a" * 10_000_000, "1," * 3000])
def test_d9_d22_one_input_cap_for_every_answer_type(tmp_path, kind, huge):
    import time

    from mlquiz.content.items import make_item
    from mlquiz.practice.grading import AnswerFormatError, grade

    bank, problems = load(tmp_path, ANSWER_KINDS[kind])
    item = make_item(bank.questions[0])
    start = time.perf_counter()
    with pytest.raises(AnswerFormatError, match="longer than 200"):
        grade(item, huge)
    assert time.perf_counter() - start < 0.5


def test_d9_a_long_choice_answer_is_asked_again(tmp_path):
    path = write_bank(tmp_path, ANSWER_KINDS["choice"])
    result = run_mlquiz("practice", "--bank", str(path), "-t", "hostile", "-n", "1",
                        input=("9" * 5000 + "\nbeta\n").encode())
    assert result.returncode == 0, result.stderr.decode()
    assert b"longer than 200" in result.stdout and reviews()[0][1] == 1


@pytest.mark.parametrize("encoding", [None, "utf-8:strict"])
@pytest.mark.parametrize("kind", ["text", "numeric"])
def test_d10_invalid_utf8_answers_are_kept(tmp_path, encoding, kind):
    path = write_bank(tmp_path, ANSWER_KINDS[kind])
    env = {"PYTHONIOENCODING": encoding} if encoding else {}
    result = run_mlquiz("practice", "--bank", str(path), "-t", "hostile", "-n", "1", input=b"\xff\xfe0.25\n0.25\n",
                        env=env)
    stderr = result.stderr.decode()
    assert result.returncode == 0 and "Traceback" not in stderr, stderr
    stored = reviews()
    assert len(stored) == 1, stored
    # text: graded (wrong) as typed; numeric: not a number, asked again
    assert stored[0][2] == ("\ufffd\ufffd0.25" if kind == "text" else "0.25")


def test_d22_a_text_answer_longer_than_the_cap_is_a_bank_problem(tmp_path):
    bank, problems = load(tmp_path, question(type="text", answer="'" + "x" * 300 + "'"))
    assert bank is None and "cannot be typed" in one_line_problems(problems)[0]


def test_d24_a_complex_power_is_not_called_too_large():
    from mlquiz.content.numbers import AnswerFormatError, parse_number

    with pytest.raises(AnswerFormatError, match="no real value"):
        parse_number("(-8)**(1/3)")


# ----- D11-D16, D25: the store
def can_bind_mount() -> bool:
    try:
        return subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


needs_mounts = pytest.mark.skipif(not can_bind_mount(), reason="needs unshare -m (root) for read-only bind mounts")


def read_only_run(target: Path, *args, input: bytes = b"", env=None):
    """``mlquiz ARGS`` with ``target`` (a file or folder) bind-mounted read-only: real EROFS, also for root."""
    script = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"'
    return subprocess.run(["unshare", "-m", "sh", "-c", script, str(target), sys.executable, "-m", "mlquiz", *args],
                          input=input, capture_output=True, timeout=60, env={**os.environ, **(env or {})})


def practise_once(home: Path, bank: Path, answer: bytes = b"t\n", *extra):
    return run_mlquiz("practice", "--bank", str(bank), "-t", "hostile", "-n", "1", *extra, input=answer,
                      env={"MLQUIZ_HOME": str(home)})


@pytest.mark.parametrize("name", ["hash#dir", "what?mode=memory", "pct%41", "space and ünïcode"])
def test_d11_uri_characters_in_mlquiz_home_stay_in_the_path(tmp_path, name):
    home = tmp_path / name
    result = practise_once(home, write_bank(tmp_path))
    assert result.returncode == 0, result.stderr.decode()
    assert [p.name for p in tmp_path.iterdir() if p.name != "hostile.yaml"] == [name]  # nothing written beside
    assert len(reviews(home)) == 1
    stats = run_mlquiz("stats", "--json", "--bank", str(tmp_path / "hostile.yaml"), env={"MLQUIZ_HOME": str(home)})
    assert json.loads(stats.stdout)["reviews"] == 1


def test_d12_a_failed_commit_keeps_its_own_message(tmp_path):
    import resource
    import signal

    bank = write_bank(tmp_path, question("hostile-1"), question("hostile-2"), question("hostile-3"))
    home = tmp_path / "h"
    assert practise_once(home, bank).returncode == 0
    with sqlite3.connect(home / "progress.db") as db:  # so that the next write crosses the limit below
        db.execute("CREATE TABLE padding (x BLOB)")
        db.execute("INSERT INTO padding VALUES (zeroblob(70000))")

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    result = subprocess.run([sys.executable, "-m", "mlquiz", "practice", "--bank", str(bank), "-t", "hostile", "-n",
                             "3", "--new"], input=b"t\nt\n", capture_output=True, timeout=60, preexec_fn=limit,
                            env={**os.environ, "MLQUIZ_HOME": str(home)})
    stderr = result.stderr.decode()
    assert result.returncode == 1 and "Traceback" not in stderr
    assert "no transaction is active" not in stderr
    assert "answers before this one are saved" in stderr, stderr
    assert len(reviews(home)) == 1


@needs_mounts
def test_d13_a_read_only_database_is_reported_before_the_first_question(tmp_path):
    bank = write_bank(tmp_path)
    home = tmp_path / "h"
    assert practise_once(home, bank).returncode == 0
    result = read_only_run(home / "progress.db", "practice", "--bank", str(bank), "-t", "hostile", "-n", "1",
                           input=b"t\n", env={"MLQUIZ_HOME": str(home)})
    stderr = result.stderr.decode()
    assert result.returncode == 1 and "Traceback" not in stderr
    assert "cannot write progress" in stderr and "--no-save" in stderr, stderr
    assert b"P?" not in result.stdout  # the question was never shown, so no answer was lost


@needs_mounts
def test_d14_a_read_only_home_can_still_be_read(tmp_path):
    bank = write_bank(tmp_path, question("hostile-1"), question("hostile-2"))
    home = tmp_path / "h"
    assert practise_once(home, bank).returncode == 0
    for leftover in ("progress.db-shm", "progress.db-wal"):
        (home / leftover).unlink(missing_ok=True)
    env = {"MLQUIZ_HOME": str(home), "MLQUIZ_NO_CACHE": "1"}
    stats = read_only_run(home, "stats", "--json", "--bank", str(bank), env=env)
    assert stats.returncode == 0, stats.stderr.decode()
    assert json.loads(stats.stdout)["reviews"] == 1
    again = read_only_run(home, "practice", "--bank", str(bank), "-t", "hostile", "-n", "1", "--no-save",
                          input=b"t\n", env=env)
    assert again.returncode == 0 and b"right" in again.stdout, again.stderr.decode()


def future_database(home: Path) -> None:
    from mlquiz.practice.store import Store

    Store(home / "progress.db").close()
    with sqlite3.connect(home / "progress.db") as db:
        db.execute("INSERT INTO _mlquiz_migrations VALUES ('m002_future', datetime('now'))")
        db.execute("ALTER TABLE cards RENAME TO cards_v2")
        db.execute("CREATE TABLE cards (x)")


def test_d15_a_newer_database_is_refused_when_reading_too(tmp_path):
    home = tmp_path / "h"
    future_database(home)
    for command in (["stats"], ["practice", "--no-save", "-n", "1"]):
        result = run_mlquiz(*command, input=b"q\n", env={"MLQUIZ_HOME": str(home)})
        stderr = result.stderr.decode()
        assert result.returncode == 1 and "Traceback" not in stderr
        assert "newer mlquiz" in stderr, stderr


@pytest.mark.parametrize("damage", ["card = '{not json'", "card = '[1]'", "card = '{\"due\": 3}'",
                                    "card = x'00ff'", "due = 'soon'"])
def test_d16_damaged_card_rows_are_reported_not_tracebacks(tmp_path, damage):
    bank = write_bank(tmp_path)
    home = tmp_path / "h"
    assert practise_once(home, bank).returncode == 0
    with sqlite3.connect(home / "progress.db") as db:
        db.execute("UPDATE cards SET due = '2000-01-01T00:00:00+00:00'")  # due now, so practice asks it
        db.execute(f"UPDATE cards SET {damage}")
    stats = run_mlquiz("stats", "--bank", str(bank), env={"MLQUIZ_HOME": str(home)})
    out = (stats.stdout + stats.stderr).decode()
    assert stats.returncode == 0 and "Traceback" not in out and "damaged card rows" in out, out
    result = practise_once(home, bank)
    out = (result.stdout + result.stderr).decode()
    assert result.returncode == 0 and "Traceback" not in out, out
    assert len(reviews(home)) == 2  # the answer was stored, with a fresh card


def test_d16_a_missing_table_is_reported(tmp_path):
    bank = write_bank(tmp_path)
    home = tmp_path / "h"
    assert practise_once(home, bank).returncode == 0
    with sqlite3.connect(home / "progress.db") as db:
        db.execute("DROP TABLE reviews")
    for command in (["stats"], ["practice", "--bank", str(bank), "-t", "hostile", "-n", "1"]):
        result = run_mlquiz(*command, input=b"t\n", env={"MLQUIZ_HOME": str(home)})
        stderr = result.stderr.decode()
        assert result.returncode == 1 and "Traceback" not in stderr and "no table reviews" in stderr, stderr


def test_d16_a_damaged_page_is_reported_before_the_session(tmp_path):
    """A database whose header is intact but one of whose pages is garbage was used without a word."""
    bank = write_bank(tmp_path)
    home = tmp_path / "h"
    assert practise_once(home, bank).returncode == 0
    path = home / "progress.db"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA journal_mode = DELETE")
        db.execute("CREATE TABLE filler (x)")
        db.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,)] * 200)  # pages past the schema's
        page = db.execute("PRAGMA page_size").fetchone()[0]
        pages = db.execute("PRAGMA page_count").fetchone()[0]
    raw = bytearray(path.read_bytes())
    middle = (pages // 2) * page
    raw[middle:middle + page] = b"\xa5" * page  # one page of garbage; the header still says SQLite
    path.write_bytes(bytes(raw))
    before = path.read_bytes()
    for command in (["stats"], ["practice", "--bank", str(bank), "-t", "hostile", "-n", "1"],
                    ["practice", "--no-save", "--bank", str(bank), "-t", "hostile", "-n", "1"]):
        result = run_mlquiz(*command, input=b"t\n", env={"MLQUIZ_HOME": str(home)})
        stderr = result.stderr.decode()
        assert result.returncode == 1 and "Traceback" not in stderr, stderr
        assert "damaged" in stderr and len(stderr.strip().splitlines()) == 1, stderr
        assert "Question" not in result.stdout.decode()  # refused before the first question
    assert path.read_bytes() == before  # left untouched


def test_d25_store_messages_say_what_is_wrong(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    result = practise_once(loop / "home", write_bank(tmp_path))
    assert b"symbolic link loop" in result.stderr, result.stderr
    home = tmp_path / "h"
    (home / "progress.db").mkdir(parents=True)
    result = practise_once(home, write_bank(tmp_path))
    assert b"is a folder, not a progress database" in result.stderr, result.stderr
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_mlquiz("stats", env={"MLQUIZ_HOME": str(blocker / "home")})
    assert result.returncode == 0 and b"is a file, not a folder" in result.stderr, result.stderr


def test_d25_a_disk_io_error_says_the_disk_may_be_full():
    from mlquiz.practice.store import _explain

    assert "may be full" in _explain("db", sqlite3.OperationalError("disk I/O error"))


# ----- D17, D18, D20, D21, D27: a bad plugin or demo reference costs only itself
DEMO_SOURCE = '''"""A plugin demo that misbehaves on purpose."""
META = {{"title": {title!r}, "summary": "misbehaves", "topics": ["hostile"],
        "params": {{"mode": {{"type": "text", "default": "ok", "help": "how to misbehave"}}}},
        "outputs": {{"value": "a number", "thing": "an object"}}}}


def compute(mode="ok"):
    if mode == "raise":
        raise RuntimeError("boom")
    if mode == "nan":
        return {{"value": float("nan"), "thing": 1}}
    return {{"value": 1.5, "thing": object() if mode == "object" else 2}}


def render(result):
    return "[bold red]shout[/] [link=https://evil.example]x[/link] \\x1b]2;PWNED\\x07"
'''


def plugin_site(tmp_path, entry_points: str, *, init: str = "", demo_title="Boom") -> dict:
    """A site folder holding a package ``hostile_plugin`` (a bank folder and a demo module) and an
    installed distribution whose entry points are ``entry_points``; returns the env that uses it."""
    site = tmp_path / "site"
    package = site / "hostile_plugin"
    (package / "banks").mkdir(parents=True)
    (package / "__init__.py").write_text(init, encoding="utf-8")
    (package / "boom.py").write_text(DEMO_SOURCE.format(title=demo_title), encoding="utf-8")
    info = site / "hostile_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hostile-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(entry_points)
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}


def commands_work(env, *commands):
    for command in commands:
        result = run_mlquiz(*command, input=b"q\n", env=env)
        stderr = result.stderr.decode()
        assert result.returncode == 0 and "Traceback" not in stderr, (command, stderr[-800:])
        yield command, result.stdout.decode(), stderr


@pytest.mark.parametrize("entry_points", [
    "[mlquiz.banks]\nmissing = no_such_pkg.banks\n",
    "[mlquiz.demos]\nmissing = no_such_pkg.demo\n",
    "[mlquiz.demos]\ngradient-chain = hostile_plugin.boom\n",  # clashes with a built-in demo
])
def test_d17_a_broken_entry_point_costs_only_itself(tmp_path, entry_points):
    env = plugin_site(tmp_path, entry_points)
    seen = list(commands_work(env, ["list"], ["stats"], ["practice", "-n", "1", "--no-save"],
                              ["demo", "gradient-chain", "--json"], ["demo"]))
    for command, _out, stderr in seen[:3]:
        assert len([line for line in stderr.splitlines() if "entry point" in line]) == 1, (command, stderr)
    verify = run_mlquiz("verify", env=env)
    stdout, stderr = verify.stdout.decode(), verify.stderr.decode()
    assert verify.returncode == 1 and "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "entry point" in errors[0], errors  # one problem, not one per demo reference


def test_d17_bank_packages_are_found_without_running_them(tmp_path):
    marker = tmp_path / "ran"
    init = f"open({str(marker)!r}, 'a').write('x')\nraise RuntimeError('import me and fail')\n"
    env = plugin_site(tmp_path, "[mlquiz.banks]\nhostile = hostile_plugin.banks\n", init=init)
    write_bank(tmp_path / "site" / "hostile_plugin" / "banks")
    seen = list(commands_work(env, ["list", "--json"], ["stats"]))
    assert "hostile" in {b["id"] for b in json.loads(seen[0][1])["banks"]}
    assert not marker.exists()


def test_d17_verify_checks_installed_plugin_banks(tmp_path):
    env = plugin_site(tmp_path, "[mlquiz.banks]\nhostile = hostile_plugin.banks\n")
    write_bank(tmp_path / "site" / "hostile_plugin" / "banks", question(difficulty="trivial"))
    result = run_mlquiz("verify", env=env)
    assert result.returncode == 1 and b"difficulty 'trivial'" in result.stderr, result.stderr


PLUGIN_DEMO = "[mlquiz.demos]\nboom = hostile_plugin.boom\n"


@pytest.mark.parametrize("args", [["--mode", "raise"], ["--mode", "object", "--json"], ["--mode", "raise", "--json"]])
def test_d18_a_failing_plugin_demo_is_one_line(tmp_path, args):
    env = plugin_site(tmp_path, PLUGIN_DEMO)
    result = run_mlquiz("demo", "boom", *args, env=env)
    stderr = result.stderr.decode()
    assert result.returncode == 1 and "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert "bug in the demo" in stderr


def test_d18_plugin_render_and_meta_are_text(tmp_path):
    env = plugin_site(tmp_path, PLUGIN_DEMO, demo_title="[/] [bold]T")
    (_, out, _), (_, listing, _) = commands_work(env, ["demo", "boom"], ["demo"])
    assert "[bold red]shout[/]" in out and "\x1b" not in out and "[/] [bold]T" in out
    assert "boom" in listing


@pytest.mark.parametrize("mode,expected", [("raise", "failed in compute()"), ("object", "not JSON data"),
                                           ("nan", "NaN")])
def test_d18_d20_a_bad_demo_value_skips_one_question_not_the_session(tmp_path, mode, expected):
    env = plugin_site(tmp_path, PLUGIN_DEMO)
    bad = question("hostile-1", type="numeric", answer=None,
                   answer_from=f"{{demo: boom, params: {{mode: {mode}}}, key: {'thing' if mode == 'object' else 'value'}}}")
    bank = write_bank(tmp_path, bad, question("hostile-2"))
    result = run_mlquiz("practice", "--bank", str(bank), "-t", "hostile", "-n", "2", input=b"t\n", env=env)
    out = (result.stdout + result.stderr).decode()
    assert result.returncode == 0 and "Traceback" not in out, out
    assert "skipped hostile-1" in out and expected in out, out
    assert [r[0] for r in reviews()] == ["hostile-2"]
    verify = run_mlquiz("verify", str(bank), env=env)
    assert verify.returncode == 1 and expected.encode() in verify.stderr and b"Traceback" not in verify.stderr


def test_d18_a_non_json_value_never_breaks_the_cache_flush(tmp_path):
    from mlquiz.demokit import cache

    cache.put_value("fp-test", "boom", {}, "thing", object())
    cache._flush_values("fp-test")  # ignored, not a TypeError at exit


def test_d21_key_placeholders_use_plain_integers(tmp_path):
    from mlquiz.content.verify import verify

    q = question(type="numeric", answer=None, prompt="'n = {n}?'", vary="{n: [10, 10000]}",
                 answer_from="{demo: bootstrap-oob, params: {n: '{n}', trials: 1}, key: 'exact_oob_by_n.{n}'}")
    report = verify([write_bank(tmp_path, q)])
    assert report.ok, report.problems


def test_d27_verify_file_checks_ids_against_installed_banks(tmp_path):
    from mlquiz.content import catalog

    shipped = catalog.load([]).banks[0]
    path = write_bank(tmp_path, question(shipped.questions[0].id), header=HEADER.replace("id: hostile", f"id: {shipped.id}"))
    result = cli("verify", str(path))
    assert result.exit_code == 1 and "also used" in result.output, result.output


def test_d23_verify_has_a_total_budget(tmp_path, monkeypatch):
    from mlquiz.content.verify import verify

    monkeypatch.setenv("MLQUIZ_VERIFY_BUDGET", "0")
    report = verify([write_bank(tmp_path, question(type="numeric", answer=None, answer_from="{demo: gradient-chain, "
                                                   "key: product}"))])
    assert not report.ok and any("budget" in p.message for p in report.problems)


# ----- D26: caches hold data, not code
def test_d26_a_tampered_bank_cache_cannot_run_code_and_is_remade(tmp_path, monkeypatch):
    import pickle

    from mlquiz.content import catalog
    from mlquiz.content.loading import shipped_banks_dir
    from mlquiz.demokit import cache, registry

    monkeypatch.setenv("MLQUIZ_HOME", str(tmp_path / "home"))
    bank = sorted(shipped_banks_dir().glob("*.yaml"))[0]
    fresh = catalog.load_cached(bank)
    key = catalog.bank_cache_key(bank, bank.read_bytes())
    planted = cache.cache_dir() / "banks" / f"{key}.json"
    assert planted.is_file()  # the cache is JSON
    marker = tmp_path / "ran"

    class Boom:
        def __reduce__(self):
            return (open, (str(marker), "w"))
    planted.write_bytes(pickle.dumps(Boom()))  # what an attacker would plant in a pickle cache
    again = catalog.load_cached(bank)
    assert not marker.exists() and again[0].questions == fresh[0].questions
    planted.write_text('{"$": "Popen", "args": ["touch", "x"]}', encoding="utf-8")  # a class not allowed
    assert catalog.load_cached(bank)[0].questions == fresh[0].questions


def test_d26_no_cache_module_uses_pickle():
    import ast
    from pathlib import Path

    root = Path(__file__).parents[1] / "mlquiz"
    for path in root.rglob("*.py"):
        names = {a.name for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
        modules = {n.module for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                   if isinstance(n, ast.ImportFrom)}
        assert "pickle" not in names | modules, path


def test_d26_the_codec_round_trips_every_shipped_bank():
    from mlquiz import datacodec
    from mlquiz.content import catalog
    from mlquiz.content.loading import load_bank_file, shipped_banks_dir

    for path in sorted(shipped_banks_dir().glob("*.yaml")):
        result = load_bank_file(path)
        assert datacodec.loads(datacodec.dumps(result), catalog.CACHED_CLASSES) == result, path


def test_d23_a_deep_wide_mlp_is_refused_before_it_allocates():
    from mlquiz.demokit import registry
    from mlquiz.errors import DemoInputError

    with pytest.raises(DemoInputError, match=r"width\^2\*depth"):
        registry.run("deep-mlp-gradients", {"width": 512, "depth": 200, "n_batch": 1})
