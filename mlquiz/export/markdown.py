"""A Markdown study sheet: by topic, each question with its answer, explanation and the demo
command (and value) behind it."""

from __future__ import annotations

import re

from mlquiz.content.items import LETTERS
from mlquiz.i18n import _, difficulty_name, type_name

_INLINE = re.compile(r"([\\`*_\[\]<>&#|~])")  # emphasis, code, links, raw HTML, entities, headings, tables
_LINE_START = re.compile(r"^([ \t]*)([-+=]|\d+[.)])", re.M)  # a list item or a heading underline


def md(text: str) -> str:
    """``text`` as Markdown that renders as written, its line breaks kept."""
    text = _INLINE.sub(r"\\\1", text)
    text = _LINE_START.sub(lambda m: f"{m.group(1)}{m.group(2)[:-1]}\\{m.group(2)[-1]}", text)
    return text.replace("\n", "\\\n")  # a backslash at the end of a line is a hard line break


def write_markdown(groups, out) -> None:
    by_topic: dict[str, list] = {}
    for _bank, items in groups:
        for item in items:
            by_topic.setdefault(item.question.topic, []).append(item)
    lines = ["# " + _("mlquiz study sheet"), "",
             _("{count} questions. Every number below is computed by the demo named with it; run the command to "
               "see why.").format(count=sum(len(v) for v in by_topic.values())), ""]
    for topic, items in sorted(by_topic.items()):
        lines += [f"## {topic}", ""]
        for item in items:
            q = item.question
            variant = " " + _("(variant {number})").format(number=item.variant + 1) if q.vary else ""
            lines += [f"### {q.id}{variant}", "", f"*{difficulty_name(q.difficulty)} · {type_name(q.type)}*", "",
                      md(item.prompt), ""]
            lines += _shown_with(item)
            if item.steps:
                for n, step in enumerate(item.steps, 1):
                    lines += [f"**{_('Step {number}.').format(number=n)}** {md(step.prompt)}", ""] + _options(step)
                    lines += [f"*{_('Answer:')}* {md(answer_text(step))}{_unit(step)} — {md(step.explanation)}", ""]
            else:
                lines += _options(item)
                lines += [f"**{_('Answer:')}** {md(answer_text(item))}{_unit(item)}", ""]
            lines += [md(item.explanation), ""]
            if item.proof_command:
                value = f" → `{item.proof_value}`" if item.proof_value else ""
                lines += [f"{_('Demo:')} `{item.proof_command}`{value}", ""]
    out.write_text("\n".join(lines), encoding="utf-8")


def answer_text(item) -> str:
    """The answer as written in the sheet's language: a true/false answer in words."""
    if item.question.type == "truefalse":
        return _("true") if item.answer else _("false")
    return item.answer_text


def _options(item) -> list[str]:
    lines = [f"- {LETTERS[i]}) {md(option)}" for i, option in enumerate(item.options)]
    return lines + [""] if lines else []


def _unit(item) -> str:
    return f" {md(item.unit)}" if item.unit else ""


def _shown_with(item) -> list[str]:
    """The code and the data a question shows: fenced Python, and the series as a table."""
    lines = []
    if item.code:
        fence = "````" if "```" in item.code else "```"
        lines += [f"{fence}python", item.code, fence, ""]
    if item.figure is not None:
        from mlquiz.charts import figure_rows

        headers, rows = figure_rows(item.figure)
        cell = lambda text: _INLINE.sub(r"\\\1", text)  # noqa: E731  (a table cell is never a list item)
        lines += [f"*{md(item.figure.title)}*", "", "| " + " | ".join(cell(h) for h in headers) + " |",
                  "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows] + [""]
    return lines
