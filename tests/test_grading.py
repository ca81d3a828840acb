"""Grading: the safe numeric parser (with hostile input) and grading of every question type."""

import math
import sys
import time
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mlquiz.content.loading import load_bank_file
from mlquiz.practice.grading import AnswerFormatError, grade, normalize_text, parse_bool, parse_letters, parse_number
from mlquiz.content.items import make_item

DRILL = Path(__file__).parent / "fixtures" / "practice" / "drill.yaml"


@pytest.fixture(scope="module")
def items():
    bank, problems = load_bank_file(DRILL)
    assert not problems, problems
    return {q.id: make_item(q, 0) for q in bank.questions}


# ----- the numeric parser
@pytest.mark.parametrize("text, value", [
    ("13780.6", 13780.6),
    ("1.378e4", 13780.0),
    ("13,780", 13780.0),
    ("1,000,000", 1e6),
    ("1/e", 1 / math.e),
    ("0.25**10", 0.25**10),
    ("0.25^10", 0.25**10),
    ("36.8%", 0.368),
    ("sqrt(2)/2", math.sqrt(2) / 2),
    ("  -3 ", -3.0),
    ("2×3", 6.0),
    ("−1.5", -1.5),
    ("1 - 1/e", 1 - 1 / math.e),
    ("log(2)/log(1.1)", math.log(2) / math.log(1.1)),
    ("exp(-1)", math.exp(-1)),
    ("pi", math.pi),
    ("1.1**100", 1.1**100),
    ("(1/2)**(1/2)", 0.5**0.5),
    ("1_000", 1000.0),
])
def test_parse_number_accepts_plain_arithmetic(text, value):
    result = parse_number(text)
    assert type(result) is float
    assert result == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("text", [
    "",
    "   ",
    "abc",
    "__import__('os')",
    "__import__('os').system('true')",
    "open('/etc/passwd').read()",
    "().__class__.__bases__[0].__subclasses__()",
    "9**9**9",
    "10**10000",
    "1e999",
    "-1e999",
    "1e999 - 1e999",
    "1e200 * 1e200",
    "2.0**5000",
    "(((((",
    "(" * 150 + "1" + ")" * 150,
    "-" * 150 + "1",
    "1" * 10_000,
    "1+" * 5000 + "1",
    "(" * 10_000,
    "lambda: 1",
    "[1]",
    "(1, 2)",
    "{1: 2}",
    "'a'",
    "b'1'",
    "f'{1}'",
    "1j",
    "(-8)**(1/3)",
    "True",
    "None",
    "x",
    "sqrt",
    "sqrt(-1)",
    "log(0)",
    "exp(1000)",
    "sqrt(2, 3)",
    "sqrt(x=2)",
    "1/0",
    "0**-1",
    "1 % 2",
    "1 // 2",
    "5 if 1 else 2",
    "1 < 2",
    "1; 2",
    "a = 1",
    "%",
    "5%%",
    "\x00",
    "1\x002",
    "import os",
    "__builtins__",
])
def test_parse_number_refuses_malformed_and_hostile_input(text):
    started = time.monotonic()
    with pytest.raises(AnswerFormatError):
        parse_number(text)
    assert time.monotonic() - started < 1.0, "refusing must not compute the value first"


def test_parse_number_never_runs_code(tmp_path):
    target = tmp_path / "pwned"
    for attack in (f"__import__('pathlib').Path({str(target)!r}).touch()",
                   f"open({str(target)!r}, 'w')",
                   "exec('import os')"):
        with pytest.raises(AnswerFormatError):
            parse_number(attack)
    assert not target.exists()


def test_parse_number_error_message_quotes_the_input():
    with pytest.raises(AnswerFormatError, match="'12 apples' is not a number"):
        parse_number(" 12 apples ")


@settings(max_examples=400, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
@example(sys.float_info.max)
@example(-1e301)
@example(5e-324)
@example(-0.0)
def test_repr_of_any_finite_float_parses_back_exactly(x):
    assert parse_number(repr(x)) == x


HOSTILE = "0123456789.,eE+-*/^%()[]{}'\"_ ×−πjx:;=<>!&|~@#\\\n\t" + "sqrtlogexpinlambdaimport"


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=HOSTILE, max_size=60),
                 st.text(alphabet=HOSTILE, min_size=190, max_size=260)))
def test_parse_number_gives_a_finite_float_or_answer_format_error(text):
    try:
        value = parse_number(text)
    except AnswerFormatError:
        return
    assert type(value) is float and math.isfinite(value)


# ----- grading by type
@pytest.mark.parametrize("response", ["13780.6", "1.378e4", "13,780", "1.1**100", "1.1^100", " 13780.61234 "])
def test_numeric_within_tolerance_is_right(items, response):
    verdict = grade(items["drill-numeric"], response)
    assert verdict.correct, verdict


@pytest.mark.parametrize("response", ["13700", "1.3e4", "1.1*100", "-13780.6", "0.25**10"])
def test_numeric_outside_tolerance_is_wrong(items, response):
    assert not grade(items["drill-numeric"], response).correct


def test_numeric_verdict_shows_the_value_as_understood(items):
    assert grade(items["drill-numeric"], "1.1**100").given == "13780.6"


def test_numeric_malformed_answer_raises_not_wrong(items):
    with pytest.raises(AnswerFormatError):
        grade(items["drill-numeric"], "about thirteen thousand")


@pytest.mark.parametrize("response", ["gradient clipping", "  GRADIENT   Clipping  ", "Gradient-Clipping.",
                                      "gradient_clipping", "clip by norm", "Clip-By-Norm!"])
def test_text_ignores_case_spacing_and_end_punctuation(items, response):
    assert grade(items["drill-text"], response).correct


@pytest.mark.parametrize("response", ["dropout", "gradient", "clipping gradient"])
def test_text_wrong_answer(items, response):
    assert not grade(items["drill-text"], response).correct


@pytest.mark.parametrize("response", ["", "   ", "...", "?!"])
def test_text_empty_answer_is_asked_again(items, response):
    with pytest.raises(AnswerFormatError):
        grade(items["drill-text"], response)


def test_normalize_text():
    assert normalize_text("  Clip-By_Norm.  ") == "clip by norm"


@pytest.mark.parametrize("response", ["a,c", "c a", "ac", "A; C", "1,3", "3 1", "a,a,c"])
def test_multi_exact_set_is_right(items, response):
    verdict = grade(items["drill-multi"], response)
    assert verdict.correct and verdict.missed == () and verdict.extra == ()
    assert verdict.given == "a, c"


@pytest.mark.parametrize("response, missed, extra", [
    ("a", ("ReLU",), ()),
    ("a,b,c", (), ("BatchNorm",)),
    ("b,d", ("tanh", "ReLU"), ("BatchNorm", "Adam")),
    ("a b", ("ReLU",), ("BatchNorm",)),
    ("abcd", (), ("BatchNorm", "Adam")),
])
def test_multi_reports_missed_and_extra(items, response, missed, extra):
    verdict = grade(items["drill-multi"], response)
    assert not verdict.correct
    assert verdict.missed == missed
    assert verdict.extra == extra


@pytest.mark.parametrize("response", ["", "e", "5", "0", "a,e", "softmax", "tanh; softmax", "a-c"])
def test_multi_malformed_raises(items, response):
    with pytest.raises(AnswerFormatError):
        grade(items["drill-multi"], response)


@pytest.mark.parametrize("response", ["b", "B", " b ", "2"])
def test_choice_by_letter_or_number(items, response):
    verdict = grade(items["drill-choice"], response)
    assert verdict.correct
    assert verdict.given == "b) Sigmoid"


@pytest.mark.parametrize("response", ["a", "3", "c"])
def test_choice_wrong_option(items, response):
    assert not grade(items["drill-choice"], response).correct


@pytest.mark.parametrize("response", ["", "d", "4", "0", "a,b", "ab", "tanh"])
def test_choice_malformed_raises(items, response):
    with pytest.raises(AnswerFormatError):
        grade(items["drill-choice"], response)


@pytest.mark.parametrize("response, value", [
    ("t", True), ("T", True), ("true", True), ("yes", True), ("YES", True), ("y", True),
    ("f", False), ("false", False), ("no", False), ("No", False), ("n", False),
])
def test_truefalse_words(items, response, value):
    assert parse_bool(response) is value
    assert grade(items["drill-truefalse"], response).correct is value  # the answer is true


@pytest.mark.parametrize("response", ["", "maybe", "tru", "yess", "2"])
def test_truefalse_malformed_raises(items, response):
    with pytest.raises(AnswerFormatError):
        grade(items["drill-truefalse"], response)


def test_parse_letters_indexes():
    assert parse_letters("c, a", 4, single=False) == [2, 0]
    assert parse_letters("4", 4, single=True) == [3]


def test_recall_is_self_rated_not_graded(items):
    with pytest.raises(ValueError, match="self-rated"):
        grade(items["drill-recall"], "anything")


def test_choices_can_be_answered_by_their_text():
    from mlquiz.practice.grading import choose

    options = ("0.25", "1", "tanh", "Gradient clipping")
    assert choose("1", options, single=True) == [1]  # the option reading 1, not the first option
    assert choose("  GRADIENT   clipping. ", options, single=True) == [3]
    assert choose("c", options, single=True) == [2]
    assert choose("tanh; 0.25", options, single=False) == [2, 0]
    assert choose("a,c", options, single=False) == [0, 2]
    assert choose("A; C", options, single=False) == [0, 2]  # letters may be separated by ';' too
    with pytest.raises(AnswerFormatError):
        choose("tanh; sigmoid", options, single=False)
