"""Numbers as text: how they are shown to candidates, and how what a candidate types is read.

Shown: enough significant digits to check an answer, no noise. Read: plain arithmetic (``13780.6``,
``1.378e4``, ``13,780``, ``1/e``, ``0.25**10``, ``36.8%``, ``sqrt(2)/2``), parsed with ``ast`` and
evaluated by a small walker that knows numbers, + - * / ** and a few named constants and functions.
Nothing is ever ``eval``-ed, and exponents and results are bounded so ``9**9**9`` is refused.
"""

from __future__ import annotations

import ast
import math
import re
import sys
import warnings

from mlquiz.i18n import N_, _

DEFAULT_DIGITS = 6  # 1.1**100 shows as 13780.6, 1/e as 0.367879: enough to grade at 1e-4 relative


def format_number(value: object, digits: int | None = None) -> str:
    """``13780.6``, ``2.65614e-05``, ``4,128``; non-numbers are returned as str()."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    digits = digits or DEFAULT_DIGITS
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    if -4 <= exponent < 6:  # 822277970.0 reads better as 8.22278e+08
        decimals = max(0, digits - 1 - exponent)
        text = f"{value:.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa = f"{value:.{digits - 1}e}"
    head, _sep, tail = mantissa.partition("e")
    head = head.rstrip("0").rstrip(".") if "." in head else head
    return f"{head}e{tail}"


MAX_INPUT = 200  # characters; an answer is a number or a short phrase
MAX_EXPONENT = 1000  # 10**1000 overflows a float anyway; refusing early keeps ints small
MAX_MAGNITUDE = sys.float_info.max  # beyond float range we refuse rather than compare infinities
CONSTANTS = {"e": math.e, "pi": math.pi, "π": math.pi}
FUNCTIONS = {"sqrt": math.sqrt, "exp": math.exp, "log": math.log, "ln": math.log, "log10": math.log10,
             "log2": math.log2}


class AnswerFormatError(ValueError):
    """The input is not an answer of the expected form; the candidate is asked again."""


def parse_number(text: str) -> float:
    """The value of a plain arithmetic expression; AnswerFormatError if it is not one."""
    source = text.strip()
    if not source:
        raise AnswerFormatError(_("type a number, like 0.25, 1/e or 1.1**100"))
    if len(source) > MAX_INPUT:
        raise AnswerFormatError(_("that is longer than {count} characters; type just the number").format(
            count=MAX_INPUT))
    source = source.replace("×", "*").replace("^", "**").replace("−", "-")
    source = re.sub(r"(?<=\d),(?=\d{3}\b)", "", source)  # 13,780 -> 13780 (thousands separators)
    comma = re.search(r"\d,\d", source)
    if comma:  # 0,5: a decimal comma (13,780 was read as thousands above)
        dotted = re.sub(r"(?<=\d),(?=\d)", ".", source)
        raise AnswerFormatError(_("{text}: use a decimal point ({dotted}); a comma only separates thousands, as in "
                                  "13,780").format(text=repr(text.strip()), dotted=dotted))
    if _underflowing_literal(source):
        raise AnswerFormatError(_(_UNDERFLOW))
    percent = source.endswith("%")
    if percent:
        source = source[:-1]
    try:
        with warnings.catch_warnings():  # "invalid escape sequence" and the like must not reach the screen
            warnings.simplefilter("ignore")
            tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError):
        raise AnswerFormatError(_("{text} is not a number or arithmetic expression").format(
            text=repr(text.strip()))) from None
    value = _evaluate(tree.body, depth=0)
    if isinstance(value, complex) or not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise AnswerFormatError(_("{text} is not a finite real number").format(text=repr(text.strip())))
    return value / 100 if percent else float(value)


def _evaluate(node: ast.AST, depth: int) -> float:
    if depth > 50:
        raise AnswerFormatError(_("that expression is nested too deeply"))
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
                return _not_underflowed(_bounded(left * right), left != 0 and right != 0)
            if isinstance(node.op, ast.Div):
                return _not_underflowed(left / right, left != 0)
            if abs(right) > MAX_EXPONENT:
                raise AnswerFormatError(_("an exponent above {limit} is out of range").format(limit=MAX_EXPONENT))
            if left < 0 and not float(right).is_integer():
                raise AnswerFormatError(_("a negative number to a fractional power has no real value here; for the "
                                          "real root write {root}").format(
                    root=f"-({format_number(-left)}**({ast.unparse(node.right)}))"))
            return _not_underflowed(_bounded(float(left) ** float(right)), left != 0)
        except ZeroDivisionError:
            raise AnswerFormatError(_("division by zero")) from None
        except OverflowError:
            raise AnswerFormatError(_("that number is too large")) from None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
            and len(node.args) == 1 and not node.keywords):
        try:
            return FUNCTIONS[node.func.id](_evaluate(node.args[0], depth + 1))
        except (ValueError, OverflowError):
            raise AnswerFormatError(_("{function} of that value is undefined").format(function=node.func.id)) from None
    raise AnswerFormatError(_("use numbers, + - * / ** ( ), e, pi and sqrt/exp/log only"))


_UNDERFLOW = N_("that number is too small for a float (below about 1e-308) and would read as 0; "
              "type a larger value, or 0 if you mean 0")


def _underflowing_literal(source: str) -> bool:
    """A literal written with a nonzero digit that a float reads as 0 (``1e-400``)."""
    for match in re.finditer(r"(\d*\.?\d+)[eE][+-]?\d+", source):
        if re.search(r"[1-9]", match.group(1)) and float(match.group(0)) == 0:
            return True
    return False


def _not_underflowed(value, inputs_nonzero: bool):
    if value == 0 and inputs_nonzero:
        raise AnswerFormatError(_(_UNDERFLOW))
    return value


def _bounded(value):
    if isinstance(value, complex) or (isinstance(value, float) and not math.isfinite(value)) or abs(value) > MAX_MAGNITUDE:
        raise AnswerFormatError(_("that number is too large"))
    return value
