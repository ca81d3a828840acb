"""Grading: pure functions from (item, what the candidate typed) to a Verdict.

Numeric answers are read by ``content.numbers.parse_number`` (plain arithmetic, never eval-ed).
What is typed goes through Unicode NFKC first, so a Chinese input method's full-width forms
(``１２３``, ``０．５``, ``５０％``, ``ａ，ｃ``) read as their ASCII twins; 对/错, 是/否 and 正确/错误 answer
true/false, and 。 、 work as a decimal point and a list separator.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

from mlquiz.content.items import LETTERS, Item
from mlquiz.content.numbers import MAX_INPUT, AnswerFormatError, parse_number
from mlquiz.i18n import _

__all__ = ["AnswerFormatError", "Verdict", "grade", "parse_number", "choose", "parse_bool", "normalize_text"]


@dataclass(frozen=True)
class Verdict:
    correct: bool
    given: str  # the answer as understood, for display
    missed: tuple[str, ...] = field(default=())  # multi: correct options not chosen
    extra: tuple[str, ...] = field(default=())  # multi: chosen options that are wrong
    note: str = ""


# ----- input from any keyboard
END_PUNCTUATION = " .,;:!?\"'()。、“”‘’「」『』【】《》"  # ASCII and the CJK marks NFKC keeps


def fold_width(text: str) -> str:
    """Full-width letters, digits and punctuation as ASCII (NFKC); 、 (the enumeration comma) as ``,``."""
    return unicodedata.normalize("NFKC", text).replace("、", ",")


def numeric_input(text: str) -> str:
    """A number typed with a Chinese input method, in ASCII: ``１２．５％`` -> ``12.5%``, ``0。5`` -> ``0.5``."""
    folded = fold_width(text).strip().rstrip("。")
    return re.sub(r"(?<=\d)。(?=\d)", ".", folded).replace("÷", "/")


# ----- text
def normalize_text(text: str) -> str:
    """Case, width, spacing, and punctuation at the ends do not matter; hyphens and spaces are alike."""
    folded = " ".join(fold_width(text).replace("-", " ").replace("_", " ").split()).casefold()
    return folded.strip(END_PUNCTUATION)


# ----- grading by type
def grade(item: Item, response: str) -> Verdict:
    """Grade one response. Raises AnswerFormatError for input that is not an answer at all."""
    kind = item.question.type
    if len(response) > MAX_INPUT:  # one cap for every type: an answer is a number or a short phrase
        raise AnswerFormatError(_("that is longer than {count} characters; type just the answer").format(
            count=MAX_INPUT))
    if kind == "numeric":
        value = parse_number(numeric_input(response))
        tolerance = item.tolerance
        correct = math.isclose(value, item.answer, rel_tol=tolerance.rel, abs_tol=tolerance.abs)
        return Verdict(correct, _show(value))
    if kind == "truefalse":
        value = parse_bool(response)
        return Verdict(value == item.answer, "true" if value else "false")
    response = fold_width(response)  # full-width letters and separators: ａ，ｃ reads a,c
    if kind == "choice":
        indexes, note = understand(response, item.options, single=True)
        chosen = item.options[indexes[0]]
        return Verdict(chosen == item.answer, f"{LETTERS[indexes[0]]}) {chosen}", note=note)
    if kind == "multi":
        indexes, note = understand(response, item.options, single=False)
        picked = {item.options[i] for i in indexes}
        right = set(item.answer)
        order = list(item.options)
        return Verdict(picked == right, ", ".join(LETTERS[order.index(o)] for o in order if o in picked),
                       missed=tuple(o for o in order if o in right - picked),
                       extra=tuple(o for o in order if o in picked - right), note=note)
    if kind == "text":
        given = normalize_text(response)
        if not given:
            raise AnswerFormatError(_("type an answer (or ? for a hint, s to skip)"))
        accepted = {normalize_text(a) for a in (item.answer, *item.accept)}
        return Verdict(given in accepted, response.strip())
    raise ValueError(f"{kind} questions are not graded; they are self-rated")


TRUE_WORDS = ("t", "true", "y", "yes", "1", "对", "是", "正确", "真", "对的", "是的")
FALSE_WORDS = ("f", "false", "n", "no", "0", "错", "否", "错误", "假", "不对", "不是", "错的")


def parse_bool(text: str) -> bool:
    word = fold_width(text).strip().strip(END_PUNCTUATION).casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise AnswerFormatError(_("answer t (true) or f (false)"))


def choose(text: str, options, *, single: bool) -> list[int]:
    """Chosen options as 0-based indexes; see ``understand``."""
    return understand(text, options, single=single)[0]


MIN_PARTIAL = 3  # characters: a shorter fragment of an option's text is too easy to mistake for a letter


def understand(text: str, options, *, single: bool) -> tuple[list[int], str]:
    """Chosen options and, when it is not obvious, how the input was read (for the candidate to see).

    Read in this order, so that each input has one meaning:

    1. the whole input is an option's text (``111``, ``gradient clipping``): that option. Text
       wins, so typing an option that reads ``1`` picks it, not the first option;
    2. letters or option numbers separated by ``,`` ``;`` or spaces (``b``, ``a,c``, ``1 3``);
       several letters typed as one run only in alphabetical order (``ac``), so that a word
       (``bad``) is never read as letters;
    3. texts separated by ``;`` or ``,``, each the whole or a part (at least three characters) of
       exactly one option's text (``gates read``, ``tanh, ReLU``).
    """
    text = fold_width(text)
    by_text = {normalize_text(option): i for i, option in enumerate(options)}
    whole = normalize_text(text)
    if whole in by_text:
        return [by_text[whole]], ""
    letters = _letters(text, len(options))
    if letters is not None:
        indexes, note = letters
        if single and len(indexes) != 1:
            raise AnswerFormatError(_("choose exactly one option"))
        return indexes, note
    separator = ";" if ";" in text else ","
    parts = [part for part in text.split(separator) if normalize_text(part)] if not single else [text]
    if single and ";" in text:
        parts = [part for part in text.split(";") if normalize_text(part)]
    indexes = [_by_text(part, options, by_text) for part in parts]
    if not indexes:
        raise AnswerFormatError(_format_hint(len(options), single))
    indexes = list(dict.fromkeys(indexes))
    if single and len(indexes) != 1:
        raise AnswerFormatError(_("choose exactly one option"))
    partial = any(normalize_text(part) not in by_text for part in parts)
    note = (_("read as") + " " + ", ".join(f"{LETTERS[i]}) {options[i]}" for i in sorted(indexes))) if partial else ""
    return indexes, note


def _by_text(part: str, options, by_text: dict) -> int:
    given = normalize_text(part)
    if given in by_text:
        return by_text[given]
    found = [i for i, option in enumerate(options) if len(given) >= MIN_PARTIAL and given in normalize_text(option)]
    if len(found) == 1:
        return found[0]
    last = LETTERS[len(options) - 1]
    if found:
        named = ", ".join(f"{LETTERS[i]})" for i in found)
        raise AnswerFormatError(_("{text} is part of {options}; type more of it, or the letter").format(
            text=repr(part.strip()), options=named))
    if re.fullmatch(r"[a-z]+", given or "-") and all(c in LETTERS[:len(options)] for c in given):
        raise AnswerFormatError(_("{text} is not an option's text; to choose several letters separate them: "
                                  "{letters}").format(text=repr(part.strip()), letters=",".join(given)))
    if re.fullmatch(r"[a-z0-9]", given or "-"):
        raise AnswerFormatError(_("{text} is not an option; use a to {last}").format(text=repr(part.strip()),
                                                                                      last=last))
    raise AnswerFormatError(_("{text} is not an option's text; answer with a letter from a to {last}, or type (part "
                              "of) the option").format(text=repr(part.strip()), last=last))


def _format_hint(count: int, single: bool) -> str:
    return (_("answer with a letter from a to {last}") if single
            else _("answer with a letter from a to {last}, e.g. a,c")).format(last=LETTERS[count - 1])


def _letters(text: str, count: int) -> tuple[list[int], str] | None:
    """Letters/numbers as indexes, or None if the input is not written as letters at all."""
    raw = text.strip().casefold()
    if not raw or not re.fullmatch(r"[a-z0-9]+(?:\s*[,;\s]\s*[a-z0-9]+)*[,;\s]*", raw):
        return None
    tokens = [t for t in re.split(r"[,;\s]+", raw) if t]
    valid = LETTERS[:count]
    indexes, note = [], ""
    for token in tokens:
        if token.isdigit():
            index = int(token) - 1
            if not 0 <= index < count:
                raise AnswerFormatError(_("{text} is not an option; use a to {last}").format(text=repr(token),
                                                                                          last=valid[-1]))
            indexes.append(index)
        elif len(token) == 1:
            if token not in valid:
                raise AnswerFormatError(_("{text} is not an option; use a to {last}").format(text=repr(token),
                                                                                          last=valid[-1]))
            indexes.append(valid.index(token))
        elif len(tokens) == 1 and all(c in valid for c in token) and list(token) == sorted(set(token)):
            indexes.extend(valid.index(c) for c in token)  # "ac": a run of letters in order
            note = _("read as") + " " + ", ".join(token)
        else:
            return None  # a word: read it as text
    return list(dict.fromkeys(indexes)), note


def parse_letters(text: str, count: int, *, single: bool) -> list[int]:
    """Option letters (``b``; ``a,c``; ``a c``; ``ac``) or numbers (``2``) as 0-based indexes."""
    raw = text.strip().casefold()
    tokens = re.findall(r"\d+|[a-z]", raw) if re.fullmatch(r"[a-z0-9,;\s]+", raw or "-") else None
    valid = LETTERS[:count]
    if not tokens:
        raise AnswerFormatError(_format_hint(count, single))
    indexes = []
    for token in tokens:
        index = (int(token) - 1 if len(token) <= 3 else count) if token.isdigit() else valid.find(token)
        if not 0 <= index < count:
            raise AnswerFormatError(_("{text} is not an option; use a to {last}").format(text=repr(token),
                                                                                      last=valid[-1]))
        indexes.append(index)
    indexes = list(dict.fromkeys(indexes))
    if single and len(indexes) != 1:
        raise AnswerFormatError(_("choose exactly one option"))
    return indexes


def _show(value: float) -> str:
    from mlquiz.content.numbers import format_number

    if float(value).is_integer() and abs(value) < 1e15:  # 3072*4704+4704 reads 14,455,392, not 1.44554e+07
        return format_number(int(value))
    return format_number(value)
