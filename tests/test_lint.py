"""The question-quality linter: each check fires on its fixture bank, and only there."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from mlquiz.content import lint
from mlquiz.content.loading import load_bank_file
from mlquiz.content.verify import verify

FIXTURES = Path(__file__).parent / "fixtures" / "lint"
CHECKED = sorted(p.stem for p in FIXTURES.glob("*.yaml") if p.stem != "allowed")


def findings(path: Path) -> list[str]:
    report = verify([path])
    assert not report.problems, [str(p) for p in report.problems]  # lint findings are warnings ...
    return [re.search(r"\[([a-z-]+)\]", str(w)).group(1) for w in report.warnings]


def test_there_is_a_fixture_for_every_check():
    assert set(CHECKED) == set(lint.CHECKS)


@pytest.mark.parametrize("check", CHECKED)
def test_each_fixture_triggers_exactly_its_check(check):
    assert findings(FIXTURES / f"{check}.yaml") == [check]


@pytest.mark.parametrize("check", CHECKED)
def test_strict_turns_findings_into_errors(check):
    report = verify([FIXTURES / f"{check}.yaml"], strict=True)
    assert not report.ok and all(f"[{check}]" in str(p) for p in report.problems)


def test_allow_with_a_reason_silences_one_check():
    assert findings(FIXTURES / "allowed.yaml") == []
    bank, problems = load_bank_file(FIXTURES / "allowed.yaml")
    assert problems == [] and bank.questions[0].allow == {"long-key": "the fixture shows that a reason silences the check"}


@pytest.mark.parametrize("allow, message", [
    ("{long-kee: typo}", "quality check 'long-kee' is unknown; did you mean 'long-key'?"),
    ("{long-key: ''}", "allow 'long-key' needs a reason"),
    ("[long-key]", "allow maps a quality check to why"),
])
def test_allow_is_checked(tmp_path, allow, message):
    text = (FIXTURES / "allowed.yaml").read_text(encoding="utf-8")
    path = tmp_path / "bank.yaml"
    path.write_text(re.sub(r"allow: .*", f"allow: {allow}", text), encoding="utf-8")
    _, problems = load_bank_file(path)
    assert len(problems) == 1 and message in problems[0].message, problems


def test_findings_name_file_line_question_and_fix():
    report = verify([FIXTURES / "long-key.yaml"])
    (warning,) = report.warnings
    assert str(warning).startswith(f"{FIXTURES / 'long-key.yaml'}:6:1: lk-1: [long-key] ")
    assert "trim it to the bare claim" in str(warning)


def test_the_cli_fails_strict_and_passes_plain_on_a_fixture():
    path = str(FIXTURES / "option-in-key.yaml")
    plain = subprocess.run([sys.executable, "-m", "mlquiz", "verify", path], capture_output=True, text=True)
    strict = subprocess.run([sys.executable, "-m", "mlquiz", "verify", "--strict", path], capture_output=True, text=True)
    assert plain.returncode == 0, plain.stderr
    assert strict.returncode == 1 and "[option-in-key]" in strict.stderr + strict.stdout


# ----- the small functions, on the cases that decide them
def test_long_key_needs_both_ratio_and_slack():
    assert lint.long_key(["abcdefghij", "abc", "abd"], ["abcdefghij"]) == []  # 3.3x but only 7 characters more
    assert [f.check for f in lint.long_key(["x" * 40, "y" * 20, "z" * 20], ["x" * 40])] == ["long-key"]
    assert lint.long_key(["x" * 29, "y" * 20, "z" * 20], ["x" * 29]) == []  # 1.45x


def test_option_in_key_ignores_duplicates_and_short_words():
    assert lint.option_in_key(["ReLU and tanh", "ReLU", "GELU"], "ReLU and tanh")[0].check == "option-in-key"
    assert lint.option_in_key(["a b", "a", "c"], "a b") == []  # one-letter parts are not a giveaway
    assert lint.option_in_key(["Weight decay", "weight-decay"], "Weight decay") == []


def test_code_options_differ_by_their_operators_but_words_not_by_punctuation():
    assert lint.duplicate_options(["return h * mask / (1 - p)", "return h * mask * (1 - p)"]) == []
    assert lint.duplicate_options(["x[:, 0]", "x[0, :]"]) == []
    assert lint.duplicate_options(["np.exp(z-z.max())", "np.exp(z - z.max())"])[0].check == "duplicate-options"
    assert lint.duplicate_options(["ReLU.", "relu"])[0].check == "duplicate-options"
    assert lint.duplicate_options(["tanh, ReLU", "tanh ReLU"])[0].check == "duplicate-options"


def test_longest_key_share_measures_options_as_shown(tmp_path):
    """A key written as a placeholder ({v}, 3 characters) is as long as the text the demo fills in."""
    from mlquiz.content.items import make_item

    questions = "".join(f"""
  - id: filled-{i}
    topic: t
    difficulty: easy
    type: choice
    prompt: Which of these is the product number {i}?
    values:
      v: {{demo: gradient-chain, params: {{factor: 1.123456789, layers: 3}}, key: product}}
    options: ["{{v}}", "abcd", "abcde"]
    answer: "{{v}}"
    explanation: Because.""" for i in range(6))
    bank_file = tmp_path / "filled.yaml"
    bank_file.write_text("format_version: 1\nid: filled\ntitle: T\ndescription: D\nquestions:" + questions + "\n",
                         encoding="utf-8")
    bank, problems = load_bank_file(bank_file)
    assert not problems
    assert lint.longest_key_share(bank) == []  # "{v}" is shorter than "abcde"
    items = {q.id: [make_item(q)] for q in bank.questions}
    assert len(items["filled-0"][0].answer) > len("abcde")  # as shown: 1.41793
    assert [f.check for f in lint.longest_key_share(bank, items)] == ["longest-key-share"]


def test_a_key_that_stands_out_only_in_chinese_is_found(tmp_path):
    """Balanced in English, but the Chinese key is twice as wide as its distractors: both the question's
    long-key check and the bank's longest-key share look at every language the bank declares."""
    from mlquiz.content.items import make_item

    def bank(zh_key):
        questions = "".join(f"""
  - id: wide-{i}
    topic: t
    difficulty: easy
    type: choice
    prompt: {{en: "Which one, number {i}?", zh: "第 {i} 题选哪个？"}}
    options:
      - {{en: "the first answer here", zh: "{zh_key}"}}
      - {{en: "the second one listed", zh: "第二个选项"}}
      - {{en: "another answer choice", zh: "另一个选项"}}
    answer: the first answer here
    explanation: {{en: Because., zh: 因为。}}""" for i in range(6))
        path = tmp_path / "wide.yaml"
        path.write_text("format_version: 1\nid: wide\ntitle: T\ndescription: D\nlanguages: [en, zh]\nquestions:"
                        + questions + "\n", encoding="utf-8")
        loaded, problems = load_bank_file(path)
        assert not problems, problems
        return loaded

    for zh_key, expected in (("第一个选项", set()), ("第一个选项，而且它说得更长更详细一些", {"long-key", "longest-key-share"})):
        loaded = bank(zh_key)
        items = {q.id: [make_item(q)] for q in loaded.questions}
        found = {p.message.split("]")[0].strip("[") for p in lint.lint_bank(loaded, items) if "in zh:" in p.message}
        assert found == expected, (zh_key, found)


@pytest.mark.parametrize("statement, guess", [
    ("ReLU always avoids vanishing gradients.", False),
    ("Dropout can hurt a small model.", True),
    ("Although slower, SGD usually generalises well; it never diverges.", None),  # both cues: no guess
    ("The LSTM cell state is updated additively.", None),
])
def test_cue_guess(statement, guess):
    assert lint.cue_guess(statement) is guess



def test_the_shipped_banks_pass_strict():
    report = verify(strict=True)
    assert report.ok, "\n".join(map(str, report.problems[:20]))


@pytest.mark.parametrize("prompt, states", [
    ("Give a decimal number.", False),
    ("What fraction of the units survive?", False),
    ("Round to two decimal places.", True),
    ("Give the answer to four significant digits.", True),
    ("Give the exact fraction.", True),
])
def test_only_a_stated_precision_lifts_the_three_digit_rule(prompt, states):
    assert bool(lint.STATES_PRECISION.search(prompt)) is states


def test_shipped_banks_meet_the_test_wise_guesser_bounds():
    """The issue's bounds, measured directly on the shipped banks (not through the linter's own thresholds)."""
    from collections import Counter

    from mlquiz.content.loading import load_banks, shipped_banks_dir

    questions = [q for b in load_banks([shipped_banks_dir()]).banks for q in b.questions]
    choice = [q for q in questions if q.type == "choice"]
    longest = [q for q in choice if all(len(q.answer) > len(o["en"]) for o in q.options if o["en"] != q.answer)]
    assert len(longest) / len(choice) <= 0.35
    multi = [q for q in questions if q.type == "multi"]
    assert Counter(len(q.options) - len(q.answer) for q in multi).most_common(1)[0][1] / len(multi) <= 0.5
    tf = [q for q in questions if q.type == "truefalse"]
    assert 0.4 <= sum(q.answer is True for q in tf) / len(tf) <= 0.6
    for default in (True, False):  # a cue-word guesser, whatever it answers when there is no cue
        right = sum((lint.cue_guess(q.prompt["en"]) if lint.cue_guess(q.prompt["en"]) is not None else default)
                    == q.answer for q in tf)
        assert right / len(tf) <= 0.65
