"""The bank data model: what a validated bank is, as frozen dataclasses, and the format's constants.

Nothing here reads files or checks YAML: ``checks`` builds these from YAML data, ``loading`` from
files. docs/bank-format.md documents the format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FORMAT_VERSION = 1
ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
MAX_ID_LENGTH = 64  # ids are typed in commands and stored as progress keys: keep them short
LANG_PATTERN = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?\Z")
QUESTION_TYPES = ("choice", "multi", "truefalse", "numeric", "text", "recall", "steps")
STEP_TYPES = ("choice", "multi", "truefalse", "numeric", "text")  # graded kinds a derivation step can be
MAX_STEPS = 12  # a derivation longer than this is several questions
DIFFICULTIES = ("easy", "medium", "hard")
MAX_VARIANTS = 1000  # a vary table beyond this is a mistake (or an attack), not a question
MAX_OPTIONS = 26  # options are lettered a to z, in practice and in every export
MAX_TEXT = 10_000  # characters in one text field: the longest shipped one has 642; a screen holds ~2,000
DEFAULT_REL_TOL = 0.01  # 1%: forgives rounding a candidate does in their head, not a wrong formula

BANK_KEYS = {"format_version", "id", "title", "description", "author", "license", "questions", "retired",
             "languages"}
BANK_REQUIRED = ("format_version", "id", "title", "description", "questions")
COMMON_KEYS = {"id", "topic", "tags", "difficulty", "type", "prompt", "explanation", "hint", "demo", "source",
               "vary", "values", "allow", "code", "chart"}
STEP_KEYS = {"prompt", "type", "explanation", "hint", "options", "answer", "answer_from", "tolerance", "unit",
             "accept"}
COMMON_REQUIRED = ("id", "topic", "difficulty", "type", "prompt", "explanation")
TYPE_KEYS = {
    "choice": {"options", "answer"},
    "multi": {"options", "answer"},
    "truefalse": {"answer"},
    "numeric": {"answer", "answer_from", "tolerance", "unit"},
    "text": {"answer", "accept"},
    "recall": {"answer"},
    "steps": {"steps"},
}
TEMPLATE_FIELDS = ("prompt", "explanation", "hint", "options", "answer", "accept", "unit")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    question: str | None
    message: str  # in the language it was found in (what the screen shows)
    english: str | None = None  # the same in English, where ``message`` is in another language
    question_english: str | None = None  # a question without an id is named by its place: "question 3", 第 3 题

    def __post_init__(self) -> None:
        # a Message (i18n.msg) carries its English: keep both as plain strings, which the caches can store
        for shown, english in (("message", "english"), ("question", "question_english")):
            value = getattr(self, shown)
            if value is None:
                continue
            if getattr(self, english) is None and getattr(value, "english", None) not in (None, str(value)):
                object.__setattr__(self, english, value.english)
            object.__setattr__(self, shown, str(value))

    def __str__(self) -> str:
        who = f"{self.question}: " if self.question else ""
        return f"{self.file}:{self.line}:{self.column}: {who}{self.message}"

    def to_dict(self) -> dict:
        """For ``--json``: the message in English whatever the language, so a script can match on it."""
        return {"file": self.file, "line": self.line, "column": self.column,
                "question": self.question_english or self.question, "message": self.english or self.message}


@dataclass(frozen=True)
class DemoRef:
    """A demo run: its name, parameters (values may be ``"{var}"`` placeholders) and a result key."""

    demo: str
    params: dict = field(default_factory=dict, hash=False)
    key: str | None = None
    digits: int | None = None


@dataclass(frozen=True)
class CodeRef:
    """A snippet a question shows: one of a demo's ``SNIPPETS``, which that demo runs to prove the answer."""

    demo: str
    snippet: str


@dataclass(frozen=True)
class Tolerance:
    rel: float
    abs: float


@dataclass(frozen=True)
class Question:
    id: str
    bank: str
    file: str
    line: int
    topic: str
    tags: tuple[str, ...]
    difficulty: str
    type: str
    prompt: dict  # language -> template text; "en" always present
    explanation: dict
    hint: dict | None = None
    options: tuple[dict, ...] = ()
    answer: object = None  # choice: option text; multi: tuple of them; truefalse: bool; numeric: number|None
    accept: tuple[dict, ...] = ()
    answer_from: DemoRef | None = None
    tolerance: Tolerance | None = None
    unit: dict | None = None
    demo: DemoRef | None = None
    source: str | None = None
    vary: tuple[dict, ...] = ()
    values: dict = field(default_factory=dict, hash=False)  # name -> DemoRef
    allow: dict = field(default_factory=dict, hash=False)  # quality check -> why this question is deliberate
    code: CodeRef | None = None  # a snippet shown with the prompt
    chart: DemoRef | None = None  # a demo whose figure (a real series) is shown with the prompt
    steps: tuple[Question, ...] = ()  # a derivation: graded steps sharing the prompt as context

    @property
    def variant_count(self) -> int:
        return max(1, len(self.vary))

    @property
    def proof(self) -> DemoRef | None:
        """The demo that shows why the answer is true."""
        return self.demo or self.answer_from


@dataclass(frozen=True)
class Bank:
    id: str
    title: str
    description: str
    path: str
    questions: tuple[Question, ...]
    author: str | None = None
    license: str | None = None
    # ids removed from this bank, with why: progress is keyed by id, so none may come back
    retired: tuple[tuple[str, str], ...] = ()
    declared_languages: tuple[str, ...] = ()  # ``languages: [en, zh]``; () when the bank does not say

    @property
    def languages(self) -> tuple[str, ...]:
        """The declared languages, else English and every language some text of the bank has."""
        if self.declared_languages:
            return self.declared_languages
        found = set().union(*(present_languages(q) for q in self.questions)) - {"en"}
        return ("en", *sorted(found))

    def translated(self) -> dict[str, float]:
        """language -> the share of questions whose every text is in that language."""
        total = len(self.questions) or 1
        return {lang: sum(lang in question_languages(q) for q in self.questions) / total for lang in self.languages}

    @property
    def topics(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for question in self.questions:
            counts[question.topic] = counts.get(question.topic, 0) + 1
        return dict(sorted(counts.items()))


@dataclass
class LoadResult:
    banks: list[Bank]
    problems: list[Problem]
    files: list[str]


def placeholder_ref(value) -> str | None:
    """``"{layers}"`` as a whole parameter value refers to a vary name (keeping its type)."""
    if isinstance(value, str):
        match = re.fullmatch(r"\{([a-z_][a-z0-9_]*)\}", value.strip())
        if match:
            return match.group(1)
    return None


def resolve_params(ref: DemoRef, variant: dict) -> dict:
    """A DemoRef's parameters with ``"{name}"`` placeholders replaced by the variant's values."""
    resolved = {}
    for name, value in ref.params.items():
        var = placeholder_ref(value)
        value = variant[var] if var is not None else value
        resolved[name] = value["en"] if isinstance(value, dict) else value  # text per language: demos get English
    return resolved


def localized_texts(question: Question) -> list[tuple[str, dict]]:
    """(field, {language: text}) for every text a candidate reads in ``question`` and its steps.
    ``accept`` is not among them: accepted forms are alternatives, each language has its own."""
    texts = [("prompt", question.prompt), ("explanation", question.explanation)]
    texts += [(name, value) for name, value in (("hint", question.hint), ("unit", question.unit)) if value]
    texts += [("options", option) for option in question.options]
    if question.type in ("text", "recall") and isinstance(question.answer, dict):
        texts.append(("answer", question.answer))
    for step in question.steps:
        texts += [(f"steps.{name}", value) for name, value in localized_texts(step)]
    texts += [("vary", value) for row in question.vary for value in row.values() if isinstance(value, dict)]
    return texts


def neutral(text: dict) -> bool:
    """An English-only text with no letters outside placeholders (``0.632``, ``{share}``, ``2**10``)
    reads the same in every language."""
    return set(text) == {"en"} and not re.search(r"[^\W\d_]", re.sub(r"\{[a-z_][a-z0-9_]*\}", "", text["en"]))


def question_languages(question: Question) -> frozenset[str]:
    """The languages every text of ``question`` has (numbers and formulas count as every language's):
    it can be shown whole in each of them."""
    found = None
    for _name, text in localized_texts(question):
        if neutral(text):
            continue
        found = set(text) if found is None else found & set(text)
    return frozenset(found or {"en"})


def present_languages(question: Question) -> frozenset[str]:
    """The languages some text of ``question`` has."""
    return frozenset().union(*(set(text) for _name, text in localized_texts(question)))


KINDS = ("worked-example", "code-reading", "data-reading", "derivation")


def question_kinds(question: Question, explicit_params: set[tuple[str, str]]) -> tuple[str, ...]:
    """What kind of interview question this is, read from its structure: a derivation has steps,
    code reading shows a snippet, data reading shows a chart, and a worked example runs a demo on
    numbers the question gives (a ``floats`` or ``matrix`` parameter, named in ``explicit_params``
    as (demo, parameter)). A question tagged with a kind's name that its structure allows is that kind
    only: a worked example laid out in steps is a worked example, not a derivation (and an older
    question tagged "derivation" without steps is not counted as one)."""
    refs = [question.answer_from, question.demo, *question.values.values(),
            *(step.answer_from for step in question.steps)]
    possible = {"worked-example": any(ref is not None for ref in refs), "code-reading": question.code is not None,
                "data-reading": question.chart is not None, "derivation": bool(question.steps)}
    tagged = tuple(kind for kind in KINDS if kind in question.tags and possible[kind])
    if tagged:
        return tagged
    kinds = []
    if any(ref is not None and any((ref.demo, name) in explicit_params for name in ref.params) for ref in refs):
        kinds.append("worked-example")
    if question.code is not None:
        kinds.append("code-reading")
    if question.chart is not None:
        kinds.append("data-reading")
    if question.steps:
        kinds.append("derivation")
    return tuple(kinds)
