"""The documented JSON of ``mlquiz show`` and ``mlquiz search`` (docs/show-and-search.md), checked against
every shipped question, and the commands themselves."""

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlquiz.cli.app import app
from mlquiz.content import catalog
from mlquiz.content.describe import question_record, search

ROOT = Path(__file__).parents[1]
DOC = (ROOT / "docs" / "show-and-search.md").read_text(encoding="utf-8")
DRILL = ROOT / "tests" / "fixtures" / "practice" / "drill.yaml"
runner = CliRunner()

STR, INT, NUM, BOOL, LIST, DICT, NONE = str, int, (int, float), bool, list, dict, type(None)
SHOW = {"schema": STR, "id": STR, "bank": STR, "file": STR, "line": INT, "topic": STR, "tags": LIST,
        "difficulty": STR, "type": STR, "source": (STR, NONE), "variants": LIST}
VARIANT = {"variant": INT, "variables": DICT, "shown_variables": DICT, "prompt": STR, "options": LIST, "answer": (STR, LIST, BOOL, NUM),
           "answer_text": STR, "accept": LIST, "tolerance": (DICT, NONE), "tolerance_text": (STR, NONE),
           "unit": (STR, NONE), "hint": (STR, NONE), "explanation": STR, "demo": (DICT, NONE),
           "code": (STR, NONE), "chart": (DICT, NONE), "steps": LIST}
ANSWER = {"choice": STR, "multi": LIST, "truefalse": BOOL, "numeric": NUM, "text": STR, "recall": STR,
          "steps": LIST}
HISTORY = {"reviews": LIST, "due": (STR, NONE), "last_right": (BOOL, NONE)}
REVIEW = {"reviewed_at": STR, "variant": INT, "rating": INT, "correct": (BOOL, NONE), "response": STR,
          "overruled": BOOL}
RESULT = {"id": STR, "bank": STR, "topic": STR, "tags": LIST, "difficulty": STR, "type": STR, "prompt": STR,
          "variants": INT, "matched": LIST}


def documented(section: str) -> set[str]:
    """The field names in the first column of the doc's tables under ``section``."""
    part = DOC.split(section, 1)[1].split("\n## ", 1)[0]
    return {name for row in re.findall(r"^\| (.+?) \|", part, re.M) for name in re.findall(r"`(\w+)`", row)}


def check(data: dict, fields: dict) -> None:
    assert set(data) == set(fields), set(data) ^ set(fields)
    for name, kind in fields.items():
        assert isinstance(data[name], kind), (name, data[name])


def test_the_doc_names_every_field():
    show = documented("schema `mlquiz.show/1`")
    assert set(SHOW) | set(VARIANT) | set(HISTORY) | {"history"} <= show
    assert set(RESULT) - {"id", "bank", "topic", "tags", "difficulty", "type", "prompt", "variants", "matched"} == set()
    assert {"schema", "query", "count", "results"} <= documented("schema `mlquiz.search/1`")


@pytest.fixture(scope="module")
def shipped():
    loaded = catalog.load([])
    assert not loaded.problems
    return loaded.questions


def test_show_schema_holds_for_every_shipped_question(shipped):
    for question in shipped:
        record = question_record(question)
        check(record, SHOW)
        assert record["schema"] == "mlquiz.show/1"
        assert len(record["variants"]) == question.variant_count
        json.dumps(record)  # JSON-ready
        for variant in record["variants"]:
            check(variant, VARIANT)
            assert isinstance(variant["answer"], ANSWER[question.type]), (question.id, variant["answer"])
            if question.type == "numeric":
                assert set(variant["tolerance"]) == {"rel", "abs"} and variant["tolerance_text"]
            else:
                assert variant["tolerance"] is None
            if question.type in ("choice", "multi"):
                answers = variant["answer"] if question.type == "multi" else [variant["answer"]]
                assert set(answers) <= set(variant["options"]), question.id
            if variant["demo"]:
                assert set(variant["demo"]) == {"name", "params", "key", "command", "value"}
                assert variant["demo"]["command"].startswith("mlquiz demo ")
            assert (variant["code"] is not None) == (question.code is not None)
            assert (variant["chart"] is not None) == (question.chart is not None)
            assert len(variant["steps"]) == len(question.steps)
            for step, record in zip(question.steps, variant["steps"]):
                check(record, VARIANT)
                assert isinstance(record["answer"], ANSWER[step.type]) and record["steps"] == [], question.id
            if question.type == "steps":
                assert variant["answer"] == [step["answer"] for step in variant["steps"]]


def test_search_schema_holds_for_every_shipped_question(shipped):
    found = search(shipped, "")
    assert found["schema"] == "mlquiz.search/1" and found["count"] == len(shipped)
    for result in found["results"]:
        check(result, RESULT)


def test_show_json_with_history():
    result = runner.invoke(app, ["practice", "--bank", str(DRILL), "-t", "drill", "--tag", "numeric", "-n", "1"],
                           input="2\n\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["show", "drill-numeric", "--bank", str(DRILL), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    check(data["history"], HISTORY)
    (review,) = data["history"]["reviews"]
    check(review, REVIEW)
    assert review["correct"] is False and review["response"] == "2" and data["history"]["last_right"] is False
    assert data["variants"][0]["tolerance"] == {"rel": 0.001, "abs": 0.0}


def test_show_text_and_unknown_id():
    result = runner.invoke(app, ["show", "drill-numeric", "--bank", str(DRILL)])
    assert result.exit_code == 0, result.output
    assert "answer: 13780.6 (within 0.1%)" in result.output and "not answered it yet" in result.output
    result = runner.invoke(app, ["show", "drill-numerc", "--bank", str(DRILL)])
    assert result.exit_code == 1 and "did you mean 'drill-numeric'?" in result.stderr


def test_search_filters_and_json():
    result = runner.invoke(app, ["search", "activation", "--bank", str(DRILL), "--topic", "DRILL", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {r["id"] for r in data["results"]} == {"drill-choice", "drill-multi"}
    result = runner.invoke(app, ["search", "activation", "--bank", str(DRILL), "--type", "multi", "--json"])
    assert [r["id"] for r in json.loads(result.stdout)["results"] if r["topic"] == "drill"] == ["drill-multi"]
    result = runner.invoke(app, ["search", "--bank", str(DRILL), "--tag", "recall", "--json"])
    assert [r["id"] for r in json.loads(result.stdout)["results"]] == ["drill-recall"]
    result = runner.invoke(app, ["search", "x", "--type", "essay"])
    assert result.exit_code == 1 and "--type 'essay'" in result.stderr
