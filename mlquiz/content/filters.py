"""Filters on questions (topic, difficulty, tag, type, bank), checked against what is loaded.

A value that matches nothing is a one-line error with a did-you-mean, never an empty session.
Topics, tags and types match whatever their case (``-t LSTM`` is ``lstm``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from mlquiz.content.model import DIFFICULTIES, QUESTION_TYPES, Question
from mlquiz.errors import MlquizError
from mlquiz.i18n import N_, _

# what --topic, --difficulty, --tag, --type and --only name, singular and plural, for the messages
WHAT = {"topic": (N_("topic"), N_("topics")), "difficulty": (N_("difficulty"), N_("difficulties")),
        "tag": (N_("tag"), N_("tags")), "type": (N_("type"), N_("types")), "bank": (N_("bank"), N_("banks"))}


@dataclass(frozen=True)
class Filters:
    topics: tuple[str, ...] = ()
    difficulties: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    banks: tuple[str, ...] = ()  # bank ids: only questions from these banks

    def matches(self, question: Question) -> bool:
        return ((not self.topics or question.topic in self.topics)
                and (not self.difficulties or question.difficulty in self.difficulties)
                and (not self.tags or any(tag in self.tags for tag in question.tags))
                and (not self.types or question.type in self.types)
                and (not self.banks or question.bank in self.banks))


def resolve(values, known, what: str, option: str) -> tuple[str, ...]:
    """Each of ``values`` as the known value it names, ignoring case; MlquizError for one that names none."""
    by_fold = {k.casefold(): k for k in known}
    resolved = []
    for value in values or ():
        match = by_fold.get(value.strip().casefold())
        if match is None:
            close = difflib.get_close_matches(value.strip().casefold(), list(by_fold), n=1, cutoff=0.6)
            hint = _("did you mean {name}? ").format(name=repr(by_fold[close[0]])) if close else ""
            listed = sorted(known)
            shown = ", ".join(listed) if len(listed) <= 30 else ", ".join(listed[:30]) + ", …"
            one, many = WHAT.get(what, (what, what + "s"))
            raise MlquizError(_("{option} {value}: no {what} of that name; {hint}{whats}: {shown}").format(
                option=option, value=repr(value), what=_(one), hint=hint, whats=_(many), shown=shown))
        resolved.append(match)
    return tuple(dict.fromkeys(resolved))


def bank_ids(values, banks) -> tuple[str, ...]:
    """``--only`` values (a bank id, or a bank file or folder that was loaded) as bank ids."""
    ids = []
    for value in values or ():
        path = Path(value)
        if path.exists():
            target = path.resolve()
            found = [b.id for b in banks if Path(b.path).resolve() == target or target in Path(b.path).resolve().parents]
            if not found:
                raise MlquizError(_("--only {path}: no bank loaded from there; check the file with mlquiz verify "
                                    "{path}").format(path=value))
            ids.extend(found)
        else:
            ids.extend(resolve([value], [b.id for b in banks], "bank", "--only"))
    return tuple(dict.fromkeys(ids))


def make_filters(questions, banks=(), *, topics=(), difficulties=(), tags=(), types=(), only=()) -> Filters:
    """Filters from what a user typed, every value checked against the loaded questions."""
    return Filters(
        topics=resolve(topics, {q.topic for q in questions}, "topic", "--topic"),
        difficulties=resolve(difficulties, DIFFICULTIES, "difficulty", "--difficulty"),
        tags=resolve(tags, {t for q in questions for t in q.tags}, "tag", "--tag"),
        types=resolve(types, QUESTION_TYPES, "type", "--type"),
        banks=bank_ids(only, banks),
    )
