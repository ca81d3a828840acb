"""Moodle GIFT: one question per block, categories by bank and topic.

Numeric tolerance is converted to GIFT's absolute form ``{#value:tolerance}``; the characters
``~ = # { } :`` and the backslash are escaped. Recall cards become essay questions whose answer is
in the general feedback. A question that shows code or data is written in GIFT's ``[html]`` format
(the code in ``<pre>``, the series as a table). GIFT has no multi-step question, so a derivation
becomes one question per step, each repeating the derivation's prompt; the export says so.
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


def question_gift(item, *, title: str | None = None, context: str = "") -> str:
    q = item.question
    if item.steps:
        count = len(item.steps)
        from mlquiz.i18n import _

        return "\n\n".join(question_gift(step, title=_("{id} step {number} of {count}").format(
                                               id=q.id, number=n, count=count), context=item.prompt + "\n\n"
                                           + (_html_parts(item) if _shows(item) else ""))
                             for n, step in enumerate(item.steps, 1))
    title = title or f"{q.id}" + (f" v{item.variant + 1}" if q.vary else "")
    feedback = f"####{escape(item.explanation)}"
    if _shows(item) or context:
        import html

        text = (html.escape(context, quote=False) + html.escape(item.prompt, quote=False)).replace("\n", "<br>")
        head = f"::{escape(title)}::[html]{escape(text + (_html_parts(item) if _shows(item) else ''))} "
    else:
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


def _shows(item) -> bool:
    return bool(item.code) or item.question.chart is not None


def _html_parts(item) -> str:
    from mlquiz.export.anki import shown_with_html

    return shown_with_html(item)


def _weight(value: float) -> str:
    # Moodle accepts only its own list of percentages; 5 decimals match e.g. 33.33333
    return f"{value:.5f}".rstrip("0").rstrip(".")


def write_gift(groups, out) -> list[str]:
    """Write the GIFT file; returns notes on what GIFT could not express as it is."""
    lines = []
    for bank, items in groups:
        topic = None
        for item in items:
            if item.question.topic != topic:
                topic = item.question.topic
                lines.append(f"$CATEGORY: mlquiz/{bank.id}/{topic}\n")
            lines.append(question_gift(item) + "\n")
    out.write_text("\n".join(lines), encoding="utf-8")
    derivations = [item for _, items in groups for item in items if item.steps]
    if not derivations:
        return []
    from mlquiz.i18n import ngettext

    steps = sum(len(item.steps) for item in derivations)
    return [ngettext("{count} derivation written as {steps} separate questions, one per step (GIFT has no "
                     "multi-step question)",
                     "{count} derivations written as {steps} separate questions, one per step (GIFT has no "
                     "multi-step question)", len(derivations)).format(count=len(derivations), steps=steps)]
