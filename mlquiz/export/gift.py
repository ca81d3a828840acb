"""Moodle GIFT: one question per block, categories by bank and topic.

Numeric tolerance is converted to GIFT's absolute form ``{#value:tolerance}``; the characters
``~ = # { } :`` and the backslash are escaped. Recall cards become essay questions whose answer is
in the general feedback.
"""

from __future__ import annotations

from mlquiz.content.numbers import format_number

SPECIAL = "\\~=#{}:"


def escape(text: str) -> str:
    out = "".join("\\" + c if c in SPECIAL else c for c in text)
    return out.replace("\n", "\\n")


def absolute_tolerance(item) -> float:
    tolerance = item.tolerance
    return max(tolerance.abs, tolerance.rel * abs(item.answer))


def question_gift(item) -> str:
    q = item.question
    title = f"{q.id}" + (f" v{item.variant + 1}" if q.vary else "")
    feedback = f"####{escape(item.explanation)}"
    head = f"::{escape(title)}::{escape(item.prompt)} "
    if q.type == "choice":
        body = " ".join(("=" if o == item.answer else "~") + escape(o) for o in item.options)
    elif q.type == "multi":
        right = set(item.answer)
        good = 100 / len(right)
        bad = -100 / max(1, len(item.options) - len(right))
        body = " ".join(f"~%{_weight(good if o in right else bad)}%{escape(o)}" for o in item.options)
    elif q.type == "truefalse":
        body = "TRUE" if item.answer else "FALSE"
    elif q.type == "numeric":
        body = f"#{item.answer!r}:{format_number(absolute_tolerance(item), 6)}"
    elif q.type == "text":
        body = " ".join("=" + escape(a) for a in (item.answer, *item.accept))
    else:  # recall: an essay question; the answer shows as feedback
        body = ""
        feedback = f"####{escape(item.answer_text + ' — ' + item.explanation)}"
    return f"{head}{{{body} {feedback}}}"


def _weight(value: float) -> str:
    # Moodle accepts only its own list of percentages; 5 decimals match e.g. 33.33333
    return f"{value:.5f}".rstrip("0").rstrip(".")


def write_gift(groups, out) -> None:
    lines = []
    for bank, items in groups:
        topic = None
        for item in items:
            if item.question.topic != topic:
                topic = item.question.topic
                lines.append(f"$CATEGORY: mlquiz/{bank.id}/{topic}\n")
            lines.append(question_gift(item) + "\n")
    out.write_text("\n".join(lines), encoding="utf-8")
