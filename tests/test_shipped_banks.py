"""The shipped banks keep the promises of the product: coverage, numbers from demos, errata."""

import re
from collections import Counter
from pathlib import Path

import pytest

from mlquiz.content.loading import load_banks, shipped_banks_dir

ERRATA = Path(__file__).parents[2] / "shared" / "seeds" / "ERRATA.md"
CORE_AREAS = ("gradients", "lstm", "gru", "regularization", "batchnorm", "cnn")


@pytest.fixture(scope="module")
def questions():
    result = load_banks([shipped_banks_dir()])
    assert result.problems == [], "\n".join(map(str, result.problems))
    return [q for bank in result.banks for q in bank.questions]


def test_size_and_coverage(questions):
    topics = Counter(q.topic for q in questions)
    assert len(questions) >= 240
    assert all(topics[area] >= 25 for area in CORE_AREAS), topics
    assert {"rnn", "fundamentals"} <= set(topics)
    assert set(Counter(q.type for q in questions)) == {"choice", "multi", "truefalse", "numeric", "text", "recall",
                                                          "steps"}
    assert set(Counter(q.difficulty for q in questions)) == {"easy", "medium", "hard"}


def test_numbers_come_from_demos(questions):
    # a worked example in steps asks for numbers too: it counts when one of its steps is numeric
    numeric = [q for q in questions if q.type == "numeric"]
    worked = [q for q in questions if any(step.type == "numeric" for step in q.steps)]  # derivations with numbers
    assert len(numeric) + len(worked) >= 0.3 * len(questions)
    numeric_steps = [step for q in questions for step in q.steps if step.type == "numeric"]
    literal = [q.id for q in numeric + numeric_steps if q.answer_from is None and not (q.demo and q.demo.key)]
    assert literal == [], f"numeric answers no demo backs: {literal}"


def test_parameterized_questions(questions):
    parameterized = [q for q in questions if q.variant_count >= 4]
    assert len(parameterized) >= 40


def test_answers_are_not_guessable_from_patterns(questions):
    truefalse = Counter(q.answer for q in questions if q.type == "truefalse")
    assert min(truefalse.values()) >= 0.4 * sum(truefalse.values()), truefalse


ERRATA_ITEMS = 34  # items in shared/seeds/ERRATA.md when the banks were written


def test_every_erratum_has_a_misconception_question(questions):
    # read the list itself where it is beside the repository (the workplace and CI), so new items show up
    if ERRATA.is_file():
        items = {int(n) for n in re.findall(r"(?m)^(\d+)\. ", ERRATA.read_text(encoding="utf-8"))}
    else:
        items = set(range(1, ERRATA_ITEMS + 1))
    covered = {int(tag.split("-")[1]) for q in questions if "misconception" in q.tags
               for tag in q.tags if re.fullmatch(r"errata-\d+", tag)}
    assert items - covered == set(), f"errata items without a misconception question: {sorted(items - covered)}"


def test_the_interview_kinds_are_there_in_number(questions):
    """Worked examples, code reading, data reading and derivations: each new question is tagged with
    its kind, and what the tag says is what its structure shows."""
    from mlquiz.content.model import question_kinds

    tagged = {kind: [q for q in questions if kind in q.tags and kind in question_kinds(q, set())]
              for kind in ("worked-example", "code-reading", "data-reading", "derivation")}
    counts = {kind: len(found) for kind, found in tagged.items()}
    assert counts["worked-example"] >= 25 and counts["code-reading"] >= 20, counts
    assert counts["data-reading"] >= 15 and counts["derivation"] >= 15, counts
    assert sum(counts.values()) >= 90, counts
    assert all(q.code is not None for q in tagged["code-reading"])
    assert all(q.chart is not None for q in tagged["data-reading"])
    assert all(q.type == "steps" for q in tagged["derivation"])
    demo_runs = lambda q: [q.answer_from, *q.values.values(), *(s.answer_from for s in q.steps)]  # noqa: E731
    assert all(any(ref is not None for ref in demo_runs(q)) for q in tagged["worked-example"])  # numbers proven
