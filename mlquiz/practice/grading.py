"""Grading: pure functions from (item, what the candidate typed) to a Verdict.

Numeric answers accept plain arithmetic (``13780.6``, ``1.378e4``, ``13,780``, ``1/e``,
``0.25**10``, ``36.8%``, ``sqrt(2)/2``), parsed with ``ast`` and evaluated by a small walker that
knows numbers, + - * / ** and a few named constants and functions. Nothing is ever ``eval``-ed,
and exponents and results are bounded so ``9**9**9`` is refused, not computed.
"""

from __future__ import annotations

import ast
import math
import re
import sys
import warnings
from dataclasses import dataclass, field

from mlquiz.content.items import LETTERS, Item

MAX_INPUT = 200  # characters; an answer is a number or a short phrase
MAX_EXPONENT = 1000  # 10**1000 overflows a float anyway; refusing early keeps ints small
MAX_MAGNITUDE = sys.float_info.max  # beyond float range we refuse rather than compare infinities

CONSTANTS = {"e": math.e, "pi": math.pi, "π": math.pi}
FUNCTIONS = {"sqrt": math.sqrt, "exp": math.exp, "log": math.log, "ln": math.log, "log10": math.log10,
             "log2": math.log2}


class AnswerFormatError(ValueError):
    """The input is not an answer of the expected form; the candidate is asked again."""


@dataclass(frozen=True)
class Verdict:
    correct: bool
    given: str  # the answer as understood, for display
    missed: tuple[str, ...] = field(default=())  # multi: correct options not chosen
    extra: tuple[str, ...] = field(default=())  # multi: chosen options that are wrong
    note: str = ""


# ----- numbers
def parse_number(text: str) -> float:
    """The value of a plain arithmetic expression; AnswerFormatError if it is not one."""
    source = text.strip()
    if not source:
        raise AnswerFormatError("type a number, like 0.25, 1/e or 1.1**100")
    if len(source) > MAX_INPUT:
        raise AnswerFormatError(f"that is longer than {MAX_INPUT} characters; type just the number")
    source = source.replace("×", "*").replace("^", "**").replace("−", "-")
    source = re.sub(r"(?<=\d),(?=\d{3}\b)", "", source)  # 13,780 -> 13780 (thousands separators)
    percent = source.endswith("%")
    if percent:
        source = source[:-1]
    try:
        with warnings.catch_warnings():  # "invalid escape sequence" and the like must not reach the screen
            warnings.simplefilter("ignore")
            tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError):
        raise AnswerFormatError(f"{text.strip()!r} is not a number or arithmetic expression") from None
    value = _evaluate(tree.body, depth=0)
    if isinstance(value, complex) or not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise AnswerFormatError(f"{text.strip()!r} is not a finite real number")
    return value / 100 if percent else float(value)


def _evaluate(node: ast.AST, depth: int) -> float:
    if depth > 50:
        raise AnswerFormatError("that expression is nested too deeply")
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name) and node.id in CONSTANTS:
        return CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        value = _evaluate(node.operand, depth + 1)
        return value if isinstance(node.op, ast.UAdd) else -value
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
        left = _evaluate(node.left, depth + 1)
        right = _evaluate(node.right, depth + 1)
        try:
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return _bounded(left * right)
            if isinstance(node.op, ast.Div):
                return left / right
            if abs(right) > MAX_EXPONENT:
                raise AnswerFormatError(f"an exponent above {MAX_EXPONENT} is out of range")
            return _bounded(float(left) ** float(right))
        except ZeroDivisionError:
            raise AnswerFormatError("division by zero") from None
        except OverflowError:
            raise AnswerFormatError("that number is too large") from None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
            and len(node.args) == 1 and not node.keywords):
        try:
            return FUNCTIONS[node.func.id](_evaluate(node.args[0], depth + 1))
        except (ValueError, OverflowError):
            raise AnswerFormatError(f"{node.func.id} of that value is undefined") from None
    raise AnswerFormatError("use numbers, + - * / ** ( ), e, pi and sqrt/exp/log only")


def _bounded(value):
    if isinstance(value, complex) or (isinstance(value, float) and not math.isfinite(value)) or abs(value) > MAX_MAGNITUDE:
        raise AnswerFormatError("that number is too large")
    return value


# ----- text
def normalize_text(text: str) -> str:
    """Case, spacing, and punctuation at the ends do not matter; hyphens and spaces are alike."""
    folded = " ".join(text.replace("-", " ").replace("_", " ").split()).casefold()
    return folded.strip(" .,;:!?\"'()")


# ----- grading by type
def grade(item: Item, response: str) -> Verdict:
    """Grade one response. Raises AnswerFormatError for input that is not an answer at all."""
    kind = item.question.type
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
        index = int(token) - 1 if token.isdigit() else valid.find(token)
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
