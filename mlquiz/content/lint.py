"""The question-quality linter: patterns that let a test-wise candidate score without knowing anything.

The schema checks (bank.py) make sure a bank is well formed; these checks make sure its score means
something. Each check is one small function named by its entry in ``CHECKS``; a question silences one
check with ``allow: {check-name: why it is deliberate}``. Findings are warnings in ``verify`` and
errors under ``verify --strict``. docs/authoring.md ("Writing good questions") explains each check.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlquiz.i18n import msg

if TYPE_CHECKING:
    from mlquiz.content.model import Bank, Problem, Question
    from mlquiz.content.items import Item

# What each check finds; the key is what `allow:` names.
CHECKS = {
    "long-key": "the correct option is much longer than the distractors",
    "longest-key-share": "in too many of a bank's choice questions the correct option is the longest",
    "multi-wrong-count": "a bank's multi-select questions nearly all have the same number of wrong options",
    "tf-balance": "a bank's true/false answers are mostly true or mostly false",
    "tf-cues": "absolutes and hedges in true/false statements give their answers away",
    "tolerance-too-tight": "a numeric answer rounded to three significant digits is marked wrong",
    "tolerance-too-loose": "a numeric answer off by a factor of 2 (a count off by one) is marked right",
    "answer-in-prompt": "the answer, or an expression that evaluates to it, is in the prompt",
    "duplicate-options": "two options are the same after normalising case, spaces and punctuation",
    "option-in-key": "a distractor's text is contained in the correct option",
}

LONG_KEY_RATIO = 1.5  # the key may be half as long again as the mean distractor ...
LONG_KEY_SLACK = 15  # ... or 15 characters longer: short options differ by a word without giving anything away
MAX_LONGEST_SHARE = 0.35  # chance with four options is 25%
MAX_SAME_WRONG_COUNT = 0.5  # no single number of wrong options for more than half of the multi questions
TF_TRUE_RANGE = (0.4, 0.6)
MAX_CUE_ACCURACY = 0.65  # a guesser reading only absolutes and hedges
MIN_FOR_SHARE = 5  # bank-level shares are noise below this many questions

ABSOLUTES = re.compile(
    r"\b(always|never|all|none|every|only|exactly|guarantees?|guaranteed|completely|entirely|must|cannot|"
    r"impossible|any|fully|perfectly|no|nothing|whatever|regardless|solely|purely|identical|eliminates?)\b", re.I)
HEDGES = re.compile(
    r"\b(although|though|despite|usually|typically|often|generally|can|could|may|might|tends?|roughly|"
    r"approximately|some|mostly|largely|partly|partially|likely|somewhat|sometimes|in practice|"
    r"strictly speaking|not necessarily|unless|except)\b", re.I)
# a prompt that states the precision it wants may ask for more than three significant digits
STATES_PRECISION = re.compile(
    r"significant (digit|figure)s?|decimal places?|\b\d+ decimals\b|\bto (the nearest|\d+ (digits|places))|"
    r"exact (value|fraction|answer)|as an? (exact )?fraction|precision of|\d+ s\.?f\.?\b|\bd\.p\.", re.I)
NUMBER = r"\d+(?:\.\d+)?(?:e-?\d+)?"
EXPRESSION = re.compile(rf"(?<![\w.])\(?-?{NUMBER}(?:\s*(?:\*\*|\^|[*/×])\s*\(?-?{NUMBER}\)?)+")


@dataclass(frozen=True)
class Finding:
    check: str
    message: str  # what is wrong; how to fix it


def lint_bank(bank: Bank, items: dict[str, list[Item]] | None = None) -> list[Problem]:
    """Every finding for ``bank``; ``items`` holds each question's variants where verify made them."""
    from mlquiz.content.model import Problem

    problems = []
    for question in bank.questions:
        for finding in question_findings(question, (items or {}).get(question.id, ())):
            if finding.check not in question.allow:
                problems.append(Problem(question.file, question.line, 1, question.id,
                                        msg("{check} {message}", check=f"[{finding.check}]", message=finding.message)))
    for finding in bank_findings(bank, items):
        problems.append(Problem(bank.path, 1, 1, None, msg("{check} {message}", check=f"[{finding.check}]",
                                                              message=finding.message)))
    return problems


def question_findings(question: Question, items) -> list[Finding]:
    """Option checks on the first variant as shown (placeholders filled), numeric checks on every variant."""
    findings = []
    first = items[0] if items else None
    options = list(first.options) if first else [o["en"] for o in question.options]
    answer = first.answer if first else question.answer
    if question.type == "choice" and options:
        findings += long_key(options, [answer])
        findings += option_in_key(options, answer)
    if question.type == "multi" and options:
        findings += long_key(options, list(answer))
    if options:
        findings += duplicate_options(options)
    if first is not None and question.type in ("choice", "multi"):
        # the key must not stand out by length in any language a candidate reads it in
        for lang, shown in translated_items(question, first.variant):
            keys = [shown.answer] if question.type == "choice" else list(shown.answer)
            findings += [Finding(f.check, msg("in {lang}: {message}", lang=lang, message=f.message))
                         for f in long_key(list(shown.options), keys, measure=display_width)
                         if not any(mine.check == f.check for mine in findings)]
    seen = set()
    for item in [step for item in items for step in (item.steps or (item,))]:  # a derivation's steps one by one
        for finding in item_findings(item):
            if finding.check not in seen:  # one finding per check, not one per variant
                seen.add(finding.check)
                findings.append(finding)
    return findings


def item_findings(item: Item) -> list[Finding]:
    if item.question.type == "numeric":
        return tolerance_too_tight(item) + tolerance_too_loose(item) + numeric_answer_in_prompt(item)
    if item.question.type in ("text", "choice"):
        return text_answer_in_prompt(item)
    return []


# ----- option checks
def translated_items(question: Question, variant: int = 0) -> list[tuple[str, Item]]:
    """(language, the variant as shown in it) for each language other than English the question has."""
    from mlquiz.content.items import make_item
    from mlquiz.content.model import question_languages

    return [(lang, make_item(question, variant, lang)) for lang in sorted(question_languages(question) - {"en"})]


def display_width(text: str) -> int:
    """Terminal cells: a Chinese character is as wide as two Latin letters, and carries about as much."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def long_key(options: list[str], keys: list[str], measure=len) -> list[Finding]:
    wrong = [measure(o) for o in options if o not in keys]
    right = [measure(k) for k in keys]
    if not wrong or not right:
        return []
    key, mean = sum(right) / len(right), sum(wrong) / len(wrong)
    if key > LONG_KEY_RATIO * mean and key - mean > LONG_KEY_SLACK:
        what = msg("the correct option is") if len(keys) == 1 else msg("the correct options are on average")
        return [Finding("long-key", msg("{what} {ratio}x as long as the distractors ({key} vs {mean} characters); "
                                        "trim it to the bare claim and move the reason to the explanation, or give "
                                        "the distractors the same detail", what=what, ratio=f"{key / mean:.1f}",
                                        key=f"{key:.0f}", mean=f"{mean:.0f}"))]
    return []


# an option that reads as code: its operators and brackets are what tells two options apart
CODE_LIKE = re.compile(r"[()\[\]=*/+<>]|\w\.\w")


def normalise(text: str) -> str:
    """Case, spacing and punctuation removed, so "ReLU." and "relu" read the same; code keeps its
    punctuation (``x * p`` and ``x / p`` are different fixes), and only its spacing is ignored."""
    if CODE_LIKE.search(text):
        return " ".join(re.sub(r"\s*([^\w\s])\s*", r"\1", text.casefold()).split())
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def duplicate_options(options: list[str]) -> list[Finding]:
    counts = Counter(normalise(o) for o in options)
    same = [o for o in options if counts[normalise(o)] > 1]
    if same:
        return [Finding("duplicate-options", msg("options {option} and another read the same once case, spaces and "
                                                 "punctuation are ignored; reword or remove one", option=repr(same[0])))]
    return []


def option_in_key(options: list[str], key: str) -> list[Finding]:
    whole = f" {normalise(key)} "
    for option in options:
        part = normalise(option)
        if part != whole.strip() and len(part) >= 3 and f" {part} " in whole:  # equal ones are duplicates
            return [Finding("option-in-key", msg("distractor {option} is part of the correct option, which gives the "
                                                 "key away; make the distractor a claim of its own", option=repr(option)))]
    return []


# ----- numeric checks
def _accepts(item: Item, value: float) -> bool:
    tolerance = item.tolerance
    return math.isclose(value, item.answer, rel_tol=tolerance.rel, abs_tol=tolerance.abs)


def _is_count(value) -> bool:
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 1)


def tolerance_too_tight(item: Item) -> list[Finding]:
    answer = item.answer
    if _is_count(answer) or answer == 0 or STATES_PRECISION.search(item.prompt):
        return []
    rounded = float(f"{answer:.3g}")
    if not _accepts(item, rounded):
        return [Finding("tolerance-too-tight", msg("{rounded} (the answer {answer} to three significant digits) is "
                                                   "marked wrong; widen the tolerance (the default is 1% relative) or "
                                                   "say in the prompt what precision is wanted", rounded=f"{rounded:g}",
                                                   answer=f"{answer:.6g}"))]
    return []


def tolerance_too_loose(item: Item) -> list[Finding]:
    answer = item.answer
    if _is_count(answer):
        near = [answer - 1, answer + 1]
        what = msg("a count off by one")
    elif answer != 0:
        near = [answer * 2, answer / 2]
        what = msg("an answer off by a factor of 2")
    else:
        return []
    accepted = [v for v in near if _accepts(item, v)]
    if accepted:
        return [Finding("tolerance-too-loose", msg("{what} ({accepted} for {answer}) is marked right; narrow the "
                                                   "tolerance", what=what, accepted=f"{accepted[0]:g}", answer=f"{answer:g}"))]
    return []


def numeric_answer_in_prompt(item: Item) -> list[Finding]:
    from mlquiz.content.numbers import AnswerFormatError, parse_number

    answer = item.answer
    prompt = item.prompt
    for match in EXPRESSION.finditer(prompt):
        try:
            value = parse_number(match.group(0))
        except (AnswerFormatError, ValueError, ZeroDivisionError, OverflowError):
            continue
        if _accepts(item, value):
            return [Finding("answer-in-prompt", msg("the prompt's {expression} evaluates to the answer; let the "
                                                    "candidate build the expression",
                                                    expression=repr(match.group(0).strip())))]
    if _is_count(answer) or answer == 0:
        return []  # a count often equals a size the prompt gives (the output size is H): that is the question
    for shown in {item.answer_text, f"{answer:.3g}"}:
        if re.search(rf"(?<![\w.]){re.escape(shown)}(?![\w]|\.\d)", prompt):
            return [Finding("answer-in-prompt", msg("the answer {answer} is written in the prompt; ask for something the "
                                                    "prompt does not state", answer=shown))]
    return []


def text_answer_in_prompt(item: Item) -> list[Finding]:
    answer = normalise(item.answer_text)
    if len(answer) < (4 if item.question.type == "text" else 12):
        return []
    if f" {answer} " in f" {normalise(item.prompt)} ":
        return [Finding("answer-in-prompt", msg("the answer's words appear in the prompt; rephrase the prompt"))]
    return []


# ----- bank-level checks
def bank_findings(bank: Bank, items: dict | None = None) -> list[Finding]:
    """``items``: each question's variants as verify made them, so options are measured as shown."""
    return longest_key_share(bank, items) + multi_wrong_count(bank) + tf_balance(bank) + tf_cues(bank)


def lint_banks(banks: list[Bank], items: dict | None = None) -> list[Problem]:
    """The bank-level checks over all ``banks`` together: a candidate practises across banks, and a
    small bank's few questions can hide a pattern that the whole set shows."""
    from mlquiz.content.model import Bank, Problem

    if len(banks) < 2:
        return []
    union = Bank("all", "all banks", "", banks[0].path, tuple(q for b in banks for q in b.questions))
    return [Problem(banks[0].path, 1, 1, None, msg("{check} across all {count} banks: {message}", check=f"[{f.check}]",
                                                   count=len(banks), message=f.message))
            for f in bank_findings(union, items)]


def _counted(bank: Bank, qtype: str, check: str) -> list[Question]:
    return [q for q in bank.questions if q.type == qtype and check not in q.allow]


def _options(question: Question) -> list[str]:
    return [o["en"] if isinstance(o, dict) else o for o in question.options]


def longest_key_share(bank: Bank, items: dict | None = None) -> list[Finding]:
    questions = _counted(bank, "choice", "longest-key-share")
    if len(questions) < MIN_FOR_SHARE:
        return []

    def shown(question):  # options filled from the demo (``{fix}`` is as long as the fix it shows)
        first = (items or {}).get(question.id)
        return (list(first[0].options), first[0].answer) if first else (_options(question), question.answer)

    def shown_in(lang):
        def shown_lang(question):
            first = (items or {}).get(question.id)
            translated = dict(translated_items(question, first[0].variant if first else 0))
            return (list(translated[lang].options), translated[lang].answer) if lang in translated else None
        return shown_lang

    findings = _longest_share(questions, shown, len, "")
    for lang in bank.declared_languages:
        if lang != "en":
            findings += _longest_share(questions, shown_in(lang), display_width, msg("in {lang}: ", lang=lang))
    return findings


def _longest_share(questions: list[Question], shown, measure, where: str) -> list[Finding]:
    counted = [(q, pair) for q in questions if (pair := shown(q)) is not None]
    if len(counted) < MIN_FOR_SHARE:
        return []
    longest = [q for q, (options, key) in counted if _strictly_longest(options, key, measure)]
    share = len(longest) / len(counted)
    if share > MAX_LONGEST_SHARE:
        return [Finding("longest-key-share", msg("{where}the correct option is strictly the longest in {count} of "
                                                 "{total} choice questions ({share}; at most {limit}), so 'pick the "
                                                 "longest' scores; shorten keys in: {names}", where=where,
                                                 count=len(longest), total=len(counted), share=f"{share:.0%}",
                                                 limit=f"{MAX_LONGEST_SHARE:.0%}", names=_names(longest)))]
    return []


def _strictly_longest(options: list[str], key: str, measure=len) -> bool:
    return all(measure(key) > measure(o) for o in options if o != key)


def multi_wrong_count(bank: Bank) -> list[Finding]:
    questions = _counted(bank, "multi", "multi-wrong-count")
    if len(questions) < MIN_FOR_SHARE - 1:
        return []
    counts = Counter(len(q.options) - len(q.answer) for q in questions)
    wrong, how_many = counts.most_common(1)[0]
    if how_many / len(questions) > MAX_SAME_WRONG_COUNT:
        return [Finding("multi-wrong-count", msg("{count} of {total} multi-select questions have exactly {wrong} "
                                                 "wrong {options}; vary how many options are correct (from one to "
                                                 "all but one)", count=how_many, total=len(questions), wrong=wrong,
                                                 options=msg("options") if wrong != 1 else msg("option")))]
    return []


def tf_balance(bank: Bank) -> list[Finding]:
    questions = _counted(bank, "truefalse", "tf-balance")
    if len(questions) < MIN_FOR_SHARE:
        return []
    true = sum(1 for q in questions if q.answer is True)
    share = true / len(questions)
    low, high = TF_TRUE_RANGE
    if not low <= share <= high:
        return [Finding("tf-balance", msg("{true} of {total} true/false answers are true ({share}; keep between "
                                          "{low} and {high}); state some misconceptions in their true form or the "
                                          "reverse", true=true, total=len(questions), share=f"{share:.0%}",
                                          low=f"{low:.0%}", high=f"{high:.0%}"))]
    return []


def cue_guess(statement: str) -> bool | None:
    """What a test-wise candidate guesses from wording alone: absolutes are false, hedges true."""
    absolute, hedge = bool(ABSOLUTES.search(statement)), bool(HEDGES.search(statement))
    if absolute == hedge:
        return None
    return hedge


def tf_cues(bank: Bank) -> list[Finding]:
    questions = _counted(bank, "truefalse", "tf-cues")
    guessed = [(q, cue_guess(q.prompt["en"])) for q in questions]
    cued = [(q, guess) for q, guess in guessed if guess is not None]
    if len(cued) < MIN_FOR_SHARE:
        return []
    right = [q for q, guess in cued if guess == q.answer]
    share = len(right) / len(cued)
    if share > MAX_CUE_ACCURACY:
        return [Finding("tf-cues", msg("reading only absolutes (always, never, exactly ...) as false and hedges "
                                       "(usually, can, although ...) as true answers {count} of {total} cued "
                                       "statements right ({share}; at most {limit}); write true statements with "
                                       "absolutes that hold and false ones hedged, e.g. in: {names}", count=len(right),
                                       total=len(cued), share=f"{share:.0%}", limit=f"{MAX_CUE_ACCURACY:.0%}",
                                       names=_names(right)))]
    return []


def _names(questions: list[Question], most: int = 8) -> str:
    names = ", ".join(q.id for q in questions[:most])
    return msg("{names} and {count} more", names=names, count=len(questions) - most) \
        if len(questions) > most else names
