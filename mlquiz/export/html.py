"""A self-contained HTML study sheet: by topic, each question with its answer, explanation, the demo
command behind it and that demo's figure as inline SVG.

One file that needs nothing else to view: inline CSS, inline SVG, no scripts, no fonts, no network.
A print stylesheet keeps each question on one page for handouts. A demo run that several questions
share is drawn once; later questions link to it.
"""

from __future__ import annotations

from html import escape

from mlquiz.content.items import LETTERS
from mlquiz.export.markdown import answer_text
from mlquiz.i18n import _, difficulty_name, type_name

CSS = """
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 52rem;
       margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { border-bottom: 2px solid #ddd; margin-top: 2.5rem; }
nav a { margin-right: .8rem; white-space: nowrap; }
article { border: 1px solid #e2e2e2; border-radius: 6px; padding: .6rem 1rem; margin: 1rem 0; }
article h3 { font-size: .95rem; margin: 0; color: #555; font-weight: 600; }
.meta { color: #777; font-size: .85rem; }
.prompt { white-space: pre-wrap; margin: .5rem 0; }
ol.options { list-style: none; padding-left: 1rem; } ol.options li::before { content: attr(data-letter) ") "; font-weight: 600; }
.answer { font-weight: 600; } .explanation { white-space: pre-wrap; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em;
       background: #f4f4f4; padding: 0 .25em; border-radius: 3px; }
figure { margin: .8rem 0; } figure svg { width: 100%; height: auto; max-width: 640px; display: block; }
figcaption { font-size: .85rem; color: #555; }
pre.code { background: #f6f6f6; border: 1px solid #e2e2e2; padding: .5rem .8rem; overflow-x: auto; }
ol.steps > li { margin-bottom: .6rem; }
@media print {
  body { max-width: none; margin: 0; font-size: 11pt; } nav { display: none; }
  article { break-inside: avoid; border-color: #bbb; } h2 { break-before: page; } h2:first-of-type { break-before: auto; }
  a { color: inherit; text-decoration: none; }
}
"""


def write_html(groups, out, lang: str = "en") -> int:
    """Write the sheet; returns how many figures it draws."""
    by_topic: dict[str, list] = {}
    for _bank, items in groups:
        for item in items:
            by_topic.setdefault(item.question.topic, []).append(item)
    figures: dict[tuple, str] = {}  # demo run -> the id of the figure drawn for it
    body = []
    for topic, items in sorted(by_topic.items()):
        body.append(f'<section id="topic-{escape(topic)}"><h2>{escape(topic)}</h2>')
        body += [_article(item, figures) for item in items]
        body.append("</section>")
    count = sum(len(v) for v in by_topic.values())
    nav = " ".join(f'<a href="#topic-{escape(t)}">{escape(t)} ({len(v)})</a>' for t, v in sorted(by_topic.items()))
    title = escape(_("mlquiz study sheet"))
    intro = escape(_("{count} questions, {figures} figures. Every number is computed by the demo named with it; "
                     "run the command to see why.").format(count=count, figures=len(figures)))
    page = (f'<!doctype html>\n<html lang="{escape(lang)}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>{CSS}</style></head><body>"
            f"<header><h1>{title}</h1><p>{intro}</p><nav>{nav}</nav></header>"
            f"<main>{''.join(body)}</main></body></html>\n")
    out.write_text(page, encoding="utf-8")
    return len(figures)


def _article(item, figures: dict) -> str:
    q = item.question
    variant = " " + _("(variant {number})").format(number=item.variant + 1) if q.vary else ""
    anchor = f"q-{q.id}-{item.variant + 1}"
    parts = [f'<article id="{escape(anchor)}"><h3>{escape(q.id)}{escape(variant)}</h3>',
             f'<div class="meta">{escape(difficulty_name(q.difficulty))} · {escape(type_name(q.type))}</div>',
             f'<div class="prompt">{escape(item.prompt)}</div>']
    if item.code:
        parts.append(f'<pre class="code"><code>{escape(item.code)}</code></pre>')
    if item.figure is not None:
        from mlquiz.demokit.svg import figure_svg

        # the data a question asks about: counted with the demos' figures, never shared between questions
        figure_id = figures[("data", anchor)] = f"fig-{len(figures) + 1}"
        parts.append(f'<figure class="data" id="{figure_id}">{figure_svg(item.figure)}</figure>')
    if item.steps:
        parts.append('<ol class="steps">' + "".join(
            f'<li><div class="prompt">{escape(step.prompt)}</div>{_options(step)}'
            f'<p><span class="answer">{escape(_("Answer:"))}</span> {escape(answer_text(step))}{_unit(step)} — '
            f'{escape(step.explanation)}</p></li>' for step in item.steps) + "</ol>")
    else:
        parts.append(_options(item))
        parts.append(f'<p><span class="answer">{escape(_("Answer:"))}</span> {escape(answer_text(item))}'
                     f'{_unit(item)}</p>')
    parts.append(f'<p class="explanation">{escape(item.explanation)}</p>')
    if item.proof_command:
        value = f" → <code>{escape(item.proof_value)}</code>" if item.proof_value else ""
        parts.append(f"<p>{escape(_('Demo:'))} <code>{escape(item.proof_command)}</code>{value}</p>")
        parts.append(_figure(item, figures))
    parts.append("</article>")
    return "".join(parts)


def _options(item) -> str:
    if not item.options:
        return ""
    return '<ol class="options">' + "".join(
        f'<li data-letter="{LETTERS[i]}">{escape(o)}</li>' for i, o in enumerate(item.options)) + "</ol>"


def _unit(item) -> str:
    return f" {escape(item.unit)}" if item.unit else ""


def _figure(item, figures: dict) -> str:
    from mlquiz.content.model import resolve_params
    from mlquiz.demokit import registry
    from mlquiz.demokit.svg import figure_svg

    proof = item.question.proof
    spec = registry.get_demo(proof.demo)
    if not spec.has_figure:
        return ""
    values = spec.resolve(resolve_params(proof, item.variables))
    run = (spec.name, tuple(sorted((k, repr(v)) for k, v in values.items())))
    if run in figures:
        return (f'<p class="meta">{escape(_("Figure:"))} <a href="#{figures[run]}">'
                f'{escape(_("the same demo run, drawn above"))}</a></p>')
    figures[run] = f"fig-{len(figures) + 1}"
    figure = registry.figure(spec, registry.run(spec.name, values))
    caption = escape(figure.caption + " " if figure.caption else "") + escape(_("Made by {command}.")).format(
        command=f"<code>{escape(spec.command(values))}</code>")
    return (f'<figure id="{figures[run]}">{figure_svg(figure)}<figcaption>{caption}</figcaption></figure>')
