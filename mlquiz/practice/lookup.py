"""``mlquiz show`` (a question with the candidate's history on it) and ``mlquiz reset`` (forget progress)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mlquiz.errors import MlquizError
from mlquiz.i18n import _


def show(question_id: str, extra_banks, lang: str = "en") -> dict:
    """The question in the ``mlquiz.show/1`` schema, with ``history``: every review and when it is due."""
    from mlquiz.content import catalog
    from mlquiz.content.describe import find, question_record
    from mlquiz.practice.store import Store

    loaded = catalog.load(list(extra_banks))
    record = question_record(find(loaded.questions, question_id), lang)
    store = Store(save=False)
    try:
        card = store.cards().get(record["id"])
        reviews = store.history(record["id"])
    finally:
        store.close()
    last = reviews[-1] if reviews else None
    record["history"] = {"reviews": reviews, "due": card[2] if card else None,
                         "last_right": None if last is None else (last["correct"] if last["correct"] is not None
                                                                  else last["rating"] > 1)}
    return record


@dataclass
class ResetPlan:
    question_ids: list[str] | None  # None: everything
    questions: int  # questions with progress that would be forgotten
    reviews: int
    what: str  # "all progress", "topic lstm", ...
    store: str


def plan_reset(extra_banks, topics=(), question_ids=()) -> ResetPlan:
    """What ``mlquiz reset`` would forget; nothing is changed."""
    from mlquiz.content import catalog
    from mlquiz.content.describe import find
    from mlquiz.content.filters import resolve
    from mlquiz.practice.store import Store

    store = Store(save=False)
    try:
        ids: list[str] | None = None
        parts = []
        if topics or question_ids:
            loaded = catalog.load(list(extra_banks))
            stored_topics = {topic: None for topic, _card, _due in store.cards().values()}
            known_topics = {q.topic for q in loaded.questions} | set(stored_topics)
            wanted = resolve(topics, known_topics, "topic", "--topic")
            ids = sorted({qid for qid, (topic, _c, _d) in store.cards().items() if topic in wanted}
                         | {q.id for q in loaded.questions if q.topic in wanted}
                         | {find(loaded.questions, qid).id for qid in question_ids})
            parts = [_("topic {name}").format(name=t) for t in wanted] + \
                    [_("question {id}").format(id=q) for q in question_ids]
        questions, reviews = store.counts(ids)
        return ResetPlan(ids, questions, reviews, _(", ").join(parts) or _("all progress"), str(store.path))
    finally:
        store.close()


def reset(plan: ResetPlan, now: datetime) -> Path | None:
    """Forget what ``plan`` names; the store is first copied beside itself. Returns the copy's path."""
    from mlquiz.practice.store import Store

    if plan.reviews == 0 and plan.questions == 0:
        return None
    store = Store()
    try:
        backup = store.path.with_name(f"progress-before-reset-{now.strftime('%Y%m%dT%H%M%S')}.db")
        store.forget(plan.question_ids, backup)
    except OSError as exc:
        raise MlquizError(_("{path}: cannot reset ({reason}); nothing was forgotten").format(path=store.path,
                                                                                             reason=exc)) from None
    finally:
        store.close()
    return backup
