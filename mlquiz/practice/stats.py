"""``mlquiz stats``: progress per topic and recent activity, computed from the store.

SQL does the counting (fast with 100,000 reviews). Two measures of "how well I know it":

- ``known``: of the questions seen, the share whose last answer was right. What a candidate means
  by it; the table shows this one.
- ``recall_probability``: FSRS's estimate, from each card's state at ``now``, that you would recall
  it now, averaged. Right after *any* review it is near 100% (the card was just seen) and a
  missed card is simply due again soon, so it says when to review, not what you know; it is in
  ``--json`` only, as ``recall_now``.

Days in the activity line are the user's local days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mlquiz.i18n import _
from mlquiz.practice import scheduler

ACTIVITY_DAYS = 30


@dataclass
class TopicStats:
    topic: str
    questions: int = 0
    seen: int = 0
    graded: int = 0
    correct: int = 0
    due_now: int = 0
    due_7_days: int = 0
    recall_sum: float = 0.0
    last_right: int = 0  # seen questions whose last answer was right
    steps_right: int = 0  # derivations: graded steps right, over all their reviews (partial credit)
    steps_total: int = 0

    @property
    def step_credit(self) -> float | None:
        return self.steps_right / self.steps_total if self.steps_total else None

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.graded if self.graded else None

    @property
    def known(self) -> float | None:
        return self.last_right / self.seen if self.seen else None

    @property
    def recall_probability(self) -> float | None:
        return self.recall_sum / self.seen if self.seen else None

    def to_dict(self) -> dict:
        return {"topic": self.topic, "questions": self.questions, "seen": self.seen, "accuracy": self.accuracy,
                "due_now": self.due_now, "due_7_days": self.due_7_days,
                "known": self.known, "recall_probability": self.recall_probability, "recall_now": self.recall_probability,
                "graded_reviews": self.graded, "step_credit": self.step_credit}


@dataclass
class Stats:
    topics: list[TopicStats]
    activity: list[tuple[str, int]] = field(default_factory=list)  # (YYYY-MM-DD, reviews), oldest first
    reviews: int = 0
    skipped: list = field(default_factory=list)  # Problems of banks that did not load
    notes: list = field(default_factory=list)  # what the store could not read, in a sentence each
    store_path: str | None = None

    def to_dict(self) -> dict:
        return {"topics": [t.to_dict() for t in self.topics], "reviews": self.reviews, "store": self.store_path,
                "activity": [{"date": d, "reviews": n} for d, n in self.activity],
                "skipped": [p.to_dict() for p in self.skipped], "warnings": list(self.notes)}


def compute_stats(questions, store, now: datetime) -> Stats:
    topic_of = {q.id: q.topic for q in questions}
    by_topic: dict[str, TopicStats] = {}

    def entry(topic: str) -> TopicStats:
        return by_topic.setdefault(topic, TopicStats(topic))

    for question in questions:
        entry(question.topic).questions += 1
    fsrs = scheduler.make_scheduler()
    week = (now + timedelta(days=7)).isoformat()
    last = store.last_results()
    for qid, (stored_topic, card_json, due) in store.cards().items():
        card = scheduler.read_card(card_json)
        if card is None:
            store.corrupt.append(qid)
            continue
        stats = entry(topic_of.get(qid, stored_topic))
        stats.seen += 1
        stats.last_right += bool(last.get(qid))
        stats.due_now += due <= now.isoformat()
        stats.due_7_days += due <= week
        stats.recall_sum += scheduler.recall_probability(fsrs, card, now)
    rows = store.db.execute("SELECT question_id, topic, count(correct), coalesce(sum(correct), 0), "
                            "coalesce(sum(steps_right), 0), coalesce(sum(steps_total), 0) FROM reviews "
                            "GROUP BY question_id")
    for qid, stored_topic, graded, correct, steps_right, steps_total in rows:
        stats = entry(topic_of.get(qid, stored_topic))
        stats.graded += graded
        stats.correct += correct
        stats.steps_right += steps_right
        stats.steps_total += steps_total
    # local days: shift the stored UTC times by the local offset now (a DST change inside the window
    # moves at most an hour's reviews across midnight)
    offset = now.astimezone().utcoffset() or timedelta(0)
    local_now = now + offset
    start = (local_now - timedelta(days=ACTIVITY_DAYS - 1)).date()
    shift = f"{int(offset.total_seconds())} seconds"
    counts = dict(store.db.execute(
        "SELECT substr(datetime(reviewed_at, ?), 1, 10) AS day, count(*) FROM reviews WHERE reviewed_at >= ? "
        "GROUP BY day", (shift, (datetime.combine(start, datetime.min.time()) - offset).isoformat())))
    activity = [((start + timedelta(days=i)).isoformat(), counts.get((start + timedelta(days=i)).isoformat(), 0))
                for i in range(ACTIVITY_DAYS)]
    return Stats(sorted(by_topic.values(), key=lambda t: t.topic), activity, store.review_count())


def load_stats(extra_banks, now: datetime | None = None) -> Stats:
    import sqlite3

    from mlquiz.content import catalog
    from mlquiz.errors import StoreError
    from mlquiz.practice.store import Store

    loaded = catalog.load(list(extra_banks))
    store = Store(save=False)
    try:
        try:
            stats = compute_stats(loaded.questions, store, now or scheduler.utc_now())
        except sqlite3.DatabaseError as exc:  # a damaged page, a table edited by hand
            raise StoreError(_("{where}: the progress database cannot be read ({reason}); it has been left "
                               "untouched").format(where=store.path, reason=exc)) from None
        stats.skipped = list(loaded.problems)
        stats.notes = [n for n in (store.warning, store.corrupt_note()) if n]
        stats.store_path = str(store.path)
        return stats
    finally:
        store.close()
