"""A question made concrete: one variant, one language, every number computed by its demo.

This is where demos run for questions (``answer_from``, ``values``, a ``demo`` with a ``key``);
a question without them never imports numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property

from mlquiz.content.model import DEFAULT_REL_TOL, DemoRef, Question, Tolerance, question_languages, resolve_params
from mlquiz.errors import MlquizError
from mlquiz.i18n import msg
from mlquiz.content.numbers import format_number
from mlquiz.content.templates import fill


LETTERS = "abcdefghijklmnopqrstuvwxyz"  # options are shown, typed and exported as a), b), c) ...


class DemoValueError(MlquizError):
    """A demo reference that runs but does not give a usable value."""


@dataclass(frozen=True)
class Item:
    question: Question
    variant: int
    variables: dict
    prompt: str
    options: tuple[str, ...]
    answer: object  # choice: str; multi: tuple[str]; truefalse: bool; numeric: float|int; text/recall: str
    answer_text: str  # the answer as shown to the candidate
    accept: tuple[str, ...]
    tolerance: Tolerance | None
    unit: str | None
    explanation: str
    hint: str | None
    cached: bool = field(default=True, repr=False, compare=False)  # may demo values come from the cache?
    code: str | None = None  # the snippet shown with the prompt (the demo runs exactly this text)
    steps: tuple["Item", ...] = ()  # a derivation's graded steps, each a concrete item of its own kind
    shown_variables: dict = field(default_factory=dict)  # the vary values as this item's language writes them

    @property
    def id(self) -> str:
        return self.question.id

    # The proof is worked out only when shown (feedback, exports): the first question appears
    # without reading any demo's metadata.
    @cached_property
    def proof_command(self) -> str | None:
        """The demo command that shows why."""
        from mlquiz.demokit import registry

        proof = self.question.proof
        if proof is None:
            return None
        return registry.get_demo(proof.demo).command(resolve_params(proof, self.variables))

    @cached_property
    def figure(self):
        """The chart shown with the prompt (an ``mlquiz.charts.Figure`` from a real demo run), or None."""
        from mlquiz.demokit import registry

        chart = self.question.chart
        if chart is None:
            return None
        spec = registry.get_demo(chart.demo)
        figure = registry.figure(spec, registry.run(chart.demo, resolve_params(chart, self.variables)))
        # the demo's caption is its reading of the data: shown with the prompt it would be the answer
        return replace(figure, caption="")

    @cached_property
    def proof_value(self) -> str | None:
        """``key = value`` of the number the proof computes, where the question names one."""
        proof = self.question.proof
        if proof is None or not proof.key:
            return None
        value = demo_value(proof, self.variables, cached=self.cached)
        shown_key = fill(proof.key, {name: key_text(v) for name, v in self.variables.items()})
        shown = format_number(value, proof.digits) if isinstance(value, (int, float)) else value
        return f"{shown_key} = {shown}"


def shuffled(item: Item, rng) -> Item:
    """The item with its options in a random order. Authors tend to write the right option first;
    grading compares option text, so the order shown is free."""
    if item.steps:
        return replace(item, steps=tuple(shuffled(step, rng) for step in item.steps))
    if len(item.options) < 2:
        return item
    options = list(item.options)
    rng.shuffle(options)
    return replace(item, options=tuple(options))


def stable_rng(item: Item):
    """A generator seeded by the question and variant, for reproducible orders in exports."""
    import random

    return random.Random(f"{item.id}/{item.variant}")


def pick(text: dict | None, lang: str) -> str | None:
    if text is None:
        return None
    return text.get(lang) or text["en"]


def demo_value(ref: DemoRef, variant: dict, *, cached: bool = True):
    """The value at ``ref.key`` of the demo run with ``ref.params`` filled from ``variant``.

    With ``cached`` a value computed by an earlier run is reused (see demokit/cache.py), so showing a
    question does not import numpy; ``verify`` passes ``cached=False`` to recompute everything.
    """
    from mlquiz.demokit import cache, registry

    params = resolve_params(ref, variant)
    key = fill(ref.key, {name: key_text(value) for name, value in variant.items()})
    use_cache = cached and cache.enabled()
    if use_cache:
        value = cache.get_value(registry.demo_fingerprint(), ref.demo, params, key)
        if value is not cache.MISSING:
            return value
    result = registry.run(ref.demo, params)
    try:
        value = registry.lookup(result, key)
    except KeyError:
        raise DemoValueError(msg("demo {demo} gives no value at key {key}", demo=repr(ref.demo), key=repr(key))) from None
    if use_cache:
        cache.put_value(registry.demo_fingerprint(), ref.demo, params, key, value)
    return value


def key_text(value) -> str:
    """A vary value as it appears in a result key: ``10000``, never the display form ``10,000``."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else format_number(value)


def numeric_value(ref: DemoRef, variant: dict, *, cached: bool = True) -> float | int:
    value = demo_value(ref, variant, cached=cached)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(min(
            abs(value), 1e309) if isinstance(value, int) else value)):
        shown = msg("NaN (or no value)") if value is None else repr(value)[:80]
        raise DemoValueError(msg("demo {demo} key {key} is {value}, not a finite number", demo=repr(ref.demo),
                                 key=repr(ref.key), value=shown))
    return value


def make_item(question: Question, variant: int = 0, lang: str = "en", *, cached: bool = True) -> Item:
    """``question``'s variant made concrete in ``lang``, or wholly in English if a text of it lacks ``lang``
    (a question half in one language and half in another reads worse than one in English)."""
    if lang != "en" and lang not in question_languages(question):
        lang = "en"
    row = question.vary[variant] if question.vary else {}
    # a vary value may be text per language: demos, answers and English see its English form
    variables = {name: value["en"] if isinstance(value, dict) else value for name, value in row.items()}
    shown = {name: format_number(pick(value, lang) if isinstance(value, dict) else value) for name, value in row.items()}
    for name, ref in question.values.items():
        value = demo_value(ref, variables, cached=cached)
        shown[name] = format_number(value, ref.digits)
    shown_en = {**shown, **{name: format_number(value) for name, value in variables.items()}}
    answer = question.answer
    answer_text = ""
    tolerance = question.tolerance
    if question.type == "numeric":
        if question.answer_from is not None:
            answer = numeric_value(question.answer_from, variables, cached=cached)
            digits = question.answer_from.digits
        else:
            digits = None
        if tolerance is None:
            # counts are exact; measured quantities get a relative tolerance
            tolerance = Tolerance(0.0, 0.0) if isinstance(answer, int) else Tolerance(DEFAULT_REL_TOL, 0.0)
        answer_text = format_number(answer, digits)
    elif question.type in ("text", "recall"):
        answer = fill(pick(answer, lang), shown)
        answer_text = answer
    elif question.type == "truefalse":
        answer_text = "true" if answer else "false"
    elif question.type == "choice":
        answer = fill(answer, shown_en)
        answer_text = answer
    elif question.type == "multi":
        answer = tuple(fill(a, shown_en) for a in answer)
        answer_text = "; ".join(answer)
    steps = ()
    if question.type == "steps":
        steps = tuple(make_item(step, variant, lang, cached=cached) for step in question.steps)
        answer = tuple(step.answer for step in steps)
        answer_text = "; ".join(f"{n}. {step.answer_text}" for n, step in enumerate(steps, 1))
    shown["answer"] = answer_text

    def text(value: dict | None) -> str | None:
        return None if value is None else fill(pick(value, lang), shown)

    options = tuple(fill(pick(o, lang), shown) for o in question.options)
    if question.type in ("choice", "multi") and lang != "en":
        # answers name English options; map them to the chosen language's wording
        english = [fill(o["en"], shown_en) for o in question.options]
        mapping = dict(zip(english, options))
        answer = mapping.get(answer, answer) if question.type == "choice" else tuple(mapping.get(a, a) for a in answer)
        answer_text = answer if question.type == "choice" else "; ".join(answer)
    return Item(
        question=question, variant=variant, variables=variables, prompt=text(question.prompt),
        options=options, answer=answer, answer_text=answer_text,
        accept=_accepted(question, lang, shown), tolerance=tolerance,
        unit=text(question.unit), explanation=text(question.explanation), hint=text(question.hint), cached=cached,
        code=_snippet(question.code), steps=steps,
        shown_variables={name: shown[name] for name in row},
    )


def _accepted(question: Question, lang: str, shown: dict) -> tuple[str, ...]:
    """Other accepted answers: each one's form in ``lang``, and in another language also the English
    answer and forms (a candidate may well type the English term)."""
    forms = [fill(pick(a, lang), shown) for a in question.accept]
    if lang != "en" and question.type in ("text", "recall"):
        forms += [fill(text, shown) for text in (question.answer["en"], *(a["en"] for a in question.accept))]
    return tuple(dict.fromkeys(forms))


def _snippet(ref) -> str | None:
    """The snippet's text as the demo will run it; reading it needs the demo's metadata only."""
    if ref is None:
        return None
    from mlquiz.demokit import registry

    return registry.get_demo(ref.demo).snippets[ref.snippet]
def tolerance_text(tolerance: Tolerance) -> str:
    """How close a numeric answer must be, in words: ``within 1%``, ``within ±0.05``, ``exact``."""
    from mlquiz.i18n import _

    parts = []
    if tolerance.rel:
        parts.append(_("within {percent}%").format(percent=format_number(tolerance.rel * 100)))
    if tolerance.abs:
        parts.append(_("within ±{amount}").format(amount=format_number(tolerance.abs)))
    return _(" or ").join(parts) if parts else _("exact")
