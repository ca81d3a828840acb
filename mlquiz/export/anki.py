"""Anki decks with genanki: one deck per bank (or per topic), one note per question variant.

Note GUIDs come from the question id and variant, so re-importing an edited bank updates the
notes instead of duplicating them; model and deck ids are fixed or derived from names for the
same reason.
"""

from __future__ import annotations

import hashlib
import html

MODEL_ID = 1_607_392_319  # fixed forever: Anki matches note types by this id
FIELDS = ["Question", "Answer", "Explanation", "Demo", "QuestionId"]
CSS = (".card { font-family: sans-serif; font-size: 18px; text-align: left; } "
       ".options { margin-top: 1em; } .demo { color: #666; font-size: 14px; } .step { margin-top: 1em; } "
       "pre { background: #f4f4f4; padding: .5em; font-size: 15px; } td, th { padding: 0 .6em; text-align: right; }")


def stable_id(*parts: str) -> int:
    """A positive 31-bit id from names (Anki ids must fit a signed 64-bit int; we stay small)."""
    return int.from_bytes(hashlib.sha256("/".join(parts).encode()).digest()[:4], "big") >> 1


def note_guid(question_id: str, variant: int) -> str:
    import genanki

    return genanki.guid_for("mlquiz", question_id, variant)


def note_fields(item) -> list[str]:
    from mlquiz.export.markdown import answer_text
    from mlquiz.i18n import _

    prompt = _html(item.prompt) + shown_with_html(item)
    answer = _html(answer_text(item))
    if item.steps:
        prompt += "".join(f'<div class="step"><b>{_html(_("Step {number}.").format(number=n))}</b> '
                          f'{_html(step.prompt)}{_options(step)}</div>' for n, step in enumerate(item.steps, 1))
        answer = "<br>".join(f"{n}. {_html(answer_text(step))} — {_html(step.explanation)}"
                             for n, step in enumerate(item.steps, 1))
    else:
        prompt += _options(item)
    demo = ""
    if item.proof_command:
        demo = html.escape(item.proof_command) + (f" → {html.escape(item.proof_value)}" if item.proof_value else "")
    variant_id = f"{item.id}#{item.variant}" if item.question.vary else item.id
    return [prompt, answer, _html(item.explanation), demo, variant_id]


def _options(item) -> str:
    from mlquiz.content.items import LETTERS

    if not item.options:
        return ""
    options = "<br>".join(f"{LETTERS[i]}) {_html(o)}" for i, o in enumerate(item.options))
    return f'<div class="options">{options}</div>'


def shown_with_html(item) -> str:
    """The code (in <pre>) and the data (a table) a question shows, as HTML."""
    parts = []
    if item.code:
        parts.append(f"<pre><code>{html.escape(item.code)}</code></pre>")
    if item.figure is not None:
        from mlquiz.charts import figure_rows

        headers, rows = figure_rows(item.figure)
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
        parts.append(f"<table><caption>{html.escape(item.figure.title)}</caption><tr>{head}</tr>{body}</table>")
    return "".join(parts)


def _html(text: str) -> str:
    """Anki fields are HTML: escape the text and keep its line breaks."""
    return html.escape(text).replace("\n", "<br>")


def write_apkg(groups, out, *, deck_by: str = "bank") -> None:
    import genanki

    model = genanki.Model(
        MODEL_ID, "mlquiz question", fields=[{"name": f} for f in FIELDS],
        templates=[{
            "name": "Card 1",
            "qfmt": "{{Question}}",
            "afmt": "{{FrontSide}}<hr id=answer><b>{{Answer}}</b><br><br>{{Explanation}}"
                    "<div class=demo>{{Demo}}</div>",
        }],
        css=CSS,
    )
    decks: dict[str, genanki.Deck] = {}
    for bank, items in groups:
        for item in items:
            name = f"mlquiz::{bank.title}" if deck_by == "bank" else f"mlquiz::{item.question.topic}"
            deck = decks.get(name)
            if deck is None:
                deck = decks[name] = genanki.Deck(stable_id("deck", name), name)
            deck.add_note(genanki.Note(model=model, fields=note_fields(item),
                                       guid=note_guid(item.id, item.variant),
                                       tags=[item.question.topic, *item.question.tags]))
    genanki.Package(list(decks.values())).write_to_file(str(out))
