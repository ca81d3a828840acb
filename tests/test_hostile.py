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
