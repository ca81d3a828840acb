"""Grading: pure functions from (item, what the candidate typed) to a Verdict.

Numeric answers are read by ``content.numbers.parse_number`` (plain arithmetic, never eval-ed).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from mlquiz.content.items import LETTERS, Item
from mlquiz.content.numbers import MAX_INPUT, AnswerFormatError, parse_number

__all__ = ["AnswerFormatError", "Verdict", "grade", "parse_number", "choose", "parse_bool", "normalize_text"]


@dataclass(frozen=True)
class Verdict:
    correct: bool
    given: str  # the answer as understood, for display
    missed: tuple[str, ...] = field(default=())  # multi: correct options not chosen
    extra: tuple[str, ...] = field(default=())  # multi: chosen options that are wrong
    note: str = ""


# ----- text
def normalize_text(text: str) -> str:
    """Case, spacing, and punctuation at the ends do not matter; hyphens and spaces are alike."""
    folded = " ".join(text.replace("-", " ").replace("_", " ").split()).casefold()
    return folded.strip(" .,;:!?\"'()")


# ----- grading by type
def grade(item: Item, response: str) -> Verdict:
    """Grade one response. Raises AnswerFormatError for input that is not an answer at all."""
    kind = item.question.type
    if len(response) > MAX_INPUT:  # one cap for every type: an answer is a number or a short phrase
        raise AnswerFormatError(f"that is longer than {MAX_INPUT} characters; type just the answer")
    if kind == "numeric":
        value = parse_number(response)
        tolerance = item.tolerance
        correct = math.isclose(value, item.answer, rel_tol=tolerance.rel, abs_tol=tolerance.abs)
        return Verdict(correct, _show(value))
    if kind == "truefalse":
        value = parse_bool(response)
        return Verdict(value == item.answer, "true" if value else "false")
    if kind == "choice":
        index = choose(response, item.options, single=True)[0]
        chosen = item.options[index]
        return Verdict(chosen == item.answer, f"{LETTERS[index]}) {chosen}")
    if kind == "multi":
        picked = {item.options[i] for i in choose(response, item.options, single=False)}
        right = set(item.answer)
        order = list(item.options)
        return Verdict(picked == right, ", ".join(LETTERS[order.index(o)] for o in order if o in picked),
                       missed=tuple(o for o in order if o in right - picked),
                       extra=tuple(o for o in order if o in picked - right))
    if kind == "text":
        given = normalize_text(response)
        if not given:
            raise AnswerFormatError("type an answer (or ? for a hint, s to skip)")
        accepted = {normalize_text(a) for a in (item.answer, *item.accept)}
        return Verdict(given in accepted, response.strip())
    raise ValueError(f"{kind} questions are not graded; they are self-rated")


def parse_bool(text: str) -> bool:
    word = text.strip().casefold()
    if word in ("t", "true", "y", "yes", "1", "对", "是"):
        return True
    if word in ("f", "false", "n", "no", "0", "错", "否"):
        return False
    raise AnswerFormatError("answer t (true) or f (false)")


def choose(text: str, options, *, single: bool) -> list[int]:
    """Chosen options as 0-based indexes: by the option's own text (``111``; for several,
    ``tanh; ReLU``) or by letter or number (``b``, ``a,c``, ``2``). Text wins, so typing an
    option that reads ``1`` picks that option, not the first one."""
    by_text = {normalize_text(option): i for i, option in enumerate(options)}
    whole = normalize_text(text)
    if whole in by_text:
        return [by_text[whole]]
    parts = [normalize_text(part) for part in text.split(";") if part.strip()]
    if not single and len(parts) > 1 and all(part in by_text for part in parts):
        return list(dict.fromkeys(by_text[part] for part in parts))
    return parse_letters(text, len(options), single=single)


def parse_letters(text: str, count: int, *, single: bool) -> list[int]:
    """Option letters (``b``; ``a,c``; ``a c``; ``ac``) or numbers (``2``) as 0-based indexes."""
    raw = text.strip().casefold()
    tokens = re.findall(r"\d+|[a-z]", raw) if re.fullmatch(r"[a-z0-9,;\s]+", raw or "-") else None
    valid = LETTERS[:count]
    if not tokens:
        raise AnswerFormatError(f"answer with a letter from a to {valid[-1]}" + ("" if single else ", e.g. a,c"))
    indexes = []
    for token in tokens:
        index = (int(token) - 1 if len(token) <= 3 else count) if token.isdigit() else valid.find(token)
        if not 0 <= index < count:
            raise AnswerFormatError(f"{token!r} is not an option; use a to {valid[-1]}")
        indexes.append(index)
    indexes = list(dict.fromkeys(indexes))
    if single and len(indexes) != 1:
        raise AnswerFormatError("choose exactly one option")
    return indexes


def _show(value: float) -> str:
    from mlquiz.content.numbers import format_number

    return format_number(value)
