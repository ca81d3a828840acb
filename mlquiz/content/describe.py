"""One question in full (``mlquiz show``) and a text search over questions (``mlquiz search``).

Both return plain data, JSON-ready, in the schemas docs/show-and-search.md documents
(``mlquiz.show/1``, ``mlquiz.search/1``). Adding a field is compatible; renaming or removing one
bumps the number.
"""

from __future__ import annotations

import difflib

from mlquiz.content.filters import Filters
from mlquiz.content.items import Item, make_item, pick, tolerance_text
from mlquiz.content.model import Question, question_languages, resolve_params
from mlquiz.errors import MlquizError
from mlquiz.i18n import _

SHOW_SCHEMA = "mlquiz.show/1"
SEARCH_SCHEMA = "mlquiz.search/1"


def find(questions, question_id: str) -> Question:
    by_id = {q.id: q for q in questions}
    wanted = question_id.strip().casefold()
    if wanted in by_id:
        return by_id[wanted]
    close = difflib.get_close_matches(wanted, list(by_id), n=1, cutoff=0.6)
    hint = _("did you mean {name}? ").format(name=repr(close[0])) if close else ""
    raise MlquizError(_("no question has the id {id}; {hint}mlquiz search TEXT finds ids").format(
        id=repr(question_id), hint=hint))


def _answer(item: Item):
    answer = item.answer
    return list(answer) if isinstance(answer, tuple) else answer


def variant_record(item: Item) -> dict:
    tolerance = item.tolerance if item.question.type == "numeric" else None
    proof = item.question.proof
    return {
        "variant": item.variant,
        "variables": dict(item.variables),
        "shown_variables": dict(item.shown_variables),  # as the prompt shows them (a vary value may be per language)
        "prompt": item.prompt,
        "options": list(item.options),  # in the bank's order; a session shuffles them
        "answer": _answer(item),
        "answer_text": item.answer_text,
        "accept": list(item.accept),
        "tolerance": None if tolerance is None else {"rel": tolerance.rel, "abs": tolerance.abs},
        "tolerance_text": None if tolerance is None else tolerance_text(tolerance),
        "unit": item.unit,
        "hint": item.hint,
        "explanation": item.explanation,
        "demo": None if proof is None else {"name": proof.demo, "params": resolve_params(proof, item.variables),
                                           "key": proof.key, "command": item.proof_command,
                                           "value": item.proof_value},
        "code": item.code,
        "chart": None if item.question.chart is None else {
            "demo": item.question.chart.demo, "params": resolve_params(item.question.chart, item.variables)},
        "steps": [variant_record(step) for step in item.steps],
    }


def question_record(question: Question, lang: str = "en") -> dict:
    """A question with every variant made concrete (demo values from the cache where possible)."""
    return {
        "schema": SHOW_SCHEMA,
        "id": question.id, "bank": question.bank, "file": question.file, "line": question.line,
        "topic": question.topic, "tags": list(question.tags), "difficulty": question.difficulty,
        "type": question.type, "source": question.source,
        "variants": [variant_record(make_item(question, v, lang)) for v in range(question.variant_count)],
    }


def _fields(question: Question) -> dict[str, str]:
    def texts(value) -> str:
        return " ".join(value.values()) if isinstance(value, dict) else ""

    return {
        "id": question.id,
        "prompt": texts(question.prompt) + " " + " ".join(texts(o) for o in question.options),
        "explanation": texts(question.explanation),
        "tags": " ".join(question.tags),
    }


def _first_prompt(question: Question, lang: str = "en") -> str:
    """The first variant's prompt in ``lang`` (or English), numbers filled in (from the demo cache where it can)."""
    try:
        return make_item(question, 0, lang).prompt
    except MlquizError:  # a demo that cannot run here: the template is still searchable
        return pick(question.prompt, lang if lang in question_languages(question) else "en")


def search(questions, text: str, filters: Filters = Filters(), lang: str = "en") -> dict:
    """Questions whose id, prompt (with options), explanation or tags contain every word of ``text``."""
    words = text.casefold().split()
    results = []
    for question in questions:
        if not filters.matches(question):
            continue
        fields = {name: value.casefold() for name, value in _fields(question).items()}
        if not all(any(word in value for value in fields.values()) for word in words):
            continue
        matched = [name for name, value in fields.items() if any(word in value for word in words)]
        results.append({"id": question.id, "bank": question.bank, "topic": question.topic,
                        "tags": list(question.tags), "difficulty": question.difficulty, "type": question.type,
                        "prompt": _first_prompt(question, lang), "variants": question.variant_count,
                        "matched": matched})
    return {"schema": SEARCH_SCHEMA, "query": text, "count": len(results), "results": results}
