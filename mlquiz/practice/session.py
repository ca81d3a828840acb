"""A practice session: which questions to ask, and the loop that asks them.

Selection is pure (questions, progress, options, time and a seeded RNG in; a list out). The loop
talks to a ``ui`` object (render.TerminalUI in the CLI, a fake in tests) and records each answer in
the store the moment it is graded. At any prompt: ``?`` hint, ``s`` skip, ``q`` quit, ``o``
overrule the previous grading. End of input and Ctrl-C end the session; nothing answered is lost.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from mlquiz.practice import scheduler
from mlquiz.content.model import Question
from mlquiz.content.items import Item, make_item, shuffled
from mlquiz.errors import MlquizError
from mlquiz.safetext import typed

if TYPE_CHECKING:
    from mlquiz.practice.grading import Verdict

MODES = ("due", "new", "mistakes")


@dataclass(frozen=True)
class PracticeOptions:
    count: int = 10
    topics: tuple[str, ...] = ()
    difficulties: tuple[str, ...] = ()
    mode: str = "due"
    seed: int | None = None
    exam: bool = False
    lang: str = "en"


@dataclass
class Answer:
    item: Item
    verdict: Verdict | None  # None for self-rated recall and skips
    rating: int | None
    skipped: bool = False
    review_id: int | None = None


@dataclass
class Summary:
    answers: list[Answer] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0
    ended_by: str = "done"  # done, quit, eof, interrupt
    next_due: datetime | None = None
    due_next_day: int = 0

    @property
    def reviewed(self) -> list[Answer]:
        return [a for a in self.answers if not a.skipped]

    def by_topic(self) -> dict[str, tuple[int, int]]:
        """topic -> (answered, right), counting recall rated good or easy as right."""
        scores: dict[str, list[int]] = {}
        for answer in self.reviewed:
            score = scores.setdefault(answer.item.question.topic, [0, 0])
            score[0] += 1
            score[1] += int(_is_right(answer))
        return {topic: (n, right) for topic, (n, right) in sorted(scores.items())}

    @property
    def weakest_topic(self) -> str | None:
        scored = [(right / n, -n, topic) for topic, (n, right) in self.by_topic().items() if n]
        return min(scored)[2] if scored and min(scored)[0] < 1 else None


def _is_right(answer: Answer) -> bool:
    if answer.verdict is not None:
        return answer.verdict.correct
    return (answer.rating or 0) >= scheduler.Rating.GOOD


def matching(questions: list[Question], options: PracticeOptions) -> list[Question]:
    return [q for q in questions
            if (not options.topics or q.topic in options.topics)
            and (not options.difficulties or q.difficulty in options.difficulties)]


def select(questions: list[Question], cards: dict[str, tuple[str, str, str]], last: dict[str, bool | None],
           options: PracticeOptions, now: datetime, rng: random.Random) -> list[tuple[Question, int]]:
    """Pick up to ``options.count`` (question, variant) pairs.

    ``due``: cards due by ``now`` (most overdue first), then questions never seen, shuffled.
    ``new``: only never-seen questions. ``mistakes``: questions last answered wrong.
    """
    pool = matching(questions, options)
    unseen = [q for q in pool if q.id not in cards]
    rng.shuffle(unseen)
    if options.mode == "new":
        chosen = unseen
    elif options.mode == "mistakes":
        chosen = [q for q in pool if last.get(q.id) is False]
        rng.shuffle(chosen)
    else:
        due = sorted((q for q in pool if q.id in cards and cards[q.id][2] <= now.isoformat()),
                     key=lambda q: cards[q.id][2])
        chosen = due + unseen
    return [(q, rng.randrange(q.variant_count)) for q in chosen[: options.count]]


def mode_from_flags(new: bool, mistakes: bool) -> str:
    from mlquiz.errors import MlquizError

    if new and mistakes:
        raise MlquizError("--new and --mistakes exclude each other; choose one")
    return "new" if new else "mistakes" if mistakes else "due"


class Quit(Exception):
    """The candidate typed q."""


class Session:
    def __init__(self, picks: list[tuple[Question, int]], store, ui, options: PracticeOptions, *, clock=None,
                 rng: random.Random | None = None):
        self.picks = picks
        self.rng = rng or random.Random(options.seed)  # option order; --seed makes it reproducible
        self.store = store
        self.ui = ui
        self.options = options
        self.clock = clock or scheduler.utc_now
        self._fsrs = None  # made at the first answer: fsrs's import is not on the way to the first question
        self.session_id = uuid.uuid4().hex[:12]
        self.summary = Summary()
        self.last_graded: Answer | None = None

    def run(self) -> Summary:
        self.summary.started = time.monotonic()
        try:
            for index, (question, variant) in enumerate(self.picks):
                try:
                    item = shuffled(make_item(question, variant, self.options.lang), self.rng)
                except MlquizError as exc:  # one broken demo reference costs one question, not the session
                    self.ui.problem(f"skipped {question.id}: {exc}")
                    continue
                self.ui.show_question(item, index + 1, len(self.picks))
                self.summary.answers.append(self.ask(item))
            self.ui.wait_for_end(self)
        except Quit:
            self.summary.ended_by = "quit"
        except EOFError:
            self.summary.ended_by = "eof"
        except KeyboardInterrupt:
            self.summary.ended_by = "interrupt"
        self.summary.finished = time.monotonic()
        try:
            self._next_due()
        except KeyboardInterrupt:  # a second Ctrl-C: skip the look-ahead, keep the summary
            self.summary.ended_by = "interrupt"
        return self.summary

    def ask(self, item: Item) -> Answer:
        from mlquiz.practice.grading import AnswerFormatError, grade  # not needed to show the first question

        started = time.monotonic()
        recall = item.question.type == "recall"
        revealed = False
        while True:
            response = typed(self.ui.ask(item, revealed))  # invalid UTF-8 must not cost the answer
            command = response.strip().casefold()
            if command == "?":
                self.ui.show_hint(item)
                continue
            if command == "q":
                raise Quit
            if command == "s":
                return Answer(item, None, None, skipped=True)
            if command == "o":
                self.overrule()
                continue
            if recall:
                if command == "" and not revealed:
                    revealed = True
                    self.ui.reveal(item)
                    continue
                rating = scheduler.RATING_WORDS.get(command)
                if rating is None:
                    self.ui.problem("rate 1 again, 2 hard, 3 good or 4 easy (Enter reveals the answer)")
                    continue
                if not revealed:
                    self.ui.reveal(item)
                answer = Answer(item, None, int(rating))
                answer.review_id = self._record(item, rating, None, response, started)
                return answer
            try:
                verdict = grade(item, response)
            except AnswerFormatError as exc:
                self.ui.problem(str(exc))
                continue
            rating = scheduler.Rating.GOOD if verdict.correct else scheduler.Rating.AGAIN
            answer = Answer(item, verdict, int(rating))
            answer.review_id = self._record(item, rating, verdict.correct, response, started)
            self.last_graded = answer
            if not self.options.exam:
                self.ui.show_feedback(item, verdict)
            return answer

    def overrule(self) -> None:
        from mlquiz.practice.grading import Verdict

        answer = self.last_graded
        if answer is None or answer.verdict is None:
            self.ui.problem("there is no graded answer to overrule yet")
            return
        correct = not answer.verdict.correct
        rating = scheduler.Rating.GOOD if correct else scheduler.Rating.AGAIN
        self.store.overrule(answer.review_id, rating=int(rating), correct=correct, now=self.clock(),
                            apply_review=self._reviewer(answer.item.id, rating, self.clock()))
        answer.verdict = Verdict(correct, answer.verdict.given, note="overruled")
        answer.rating = int(rating)
        self.ui.overruled(answer.item, correct)

    def _record(self, item: Item, rating, correct, response: str, started: float) -> int | None:
        now = self.clock()
        return self.store.record(
            question_id=item.id, topic=item.question.topic, variant=item.variant, rating=int(rating),
            correct=correct, response=response.strip()[:200], now=now,
            duration_ms=int((time.monotonic() - started) * 1000), session=self.session_id,
            apply_review=self._reviewer(item.id, rating, now),
        )

    @property
    def fsrs(self):
        if self._fsrs is None:
            self._fsrs = scheduler.make_scheduler()
        return self._fsrs

    def _reviewer(self, question_id: str, rating, now: datetime):
        def apply(card_json: str | None):
            card = scheduler.read_card(card_json) or scheduler.new_card(question_id, now)  # damaged: start anew
            updated, _log = scheduler.review(self.fsrs, card, rating, now)
            return scheduler.card_to_json(updated), updated.due.isoformat()

        return apply

    def _next_due(self) -> None:
        now = self.clock()
        dues = sorted(due for _topic, _card, due in self.store.cards().values())
        upcoming = [d for d in dues if d > now.isoformat()]
        self.summary.next_due = datetime.fromisoformat(upcoming[0]) if upcoming else None
        horizon = (now + timedelta(days=1)).isoformat()
        self.summary.due_next_day = sum(1 for d in dues if d <= horizon)


def practice(options: PracticeOptions, extra_banks, *, save: bool, ui) -> Summary:
    """Load the banks and progress, pick questions and run a session with ``ui``."""
    import difflib

    from mlquiz.content import catalog
    from mlquiz.errors import MlquizError
    from mlquiz.practice.store import Store

    loaded = catalog.load(list(extra_banks))
    if loaded.problems:
        ui.skipped(loaded.problems)
    known = sorted({q.topic for q in loaded.questions})
    for topic in options.topics:
        if topic not in known:
            close = difflib.get_close_matches(topic, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise MlquizError(f"no questions on topic {topic!r}; {hint}topics: {', '.join(known)}")
    store = Store(save=save)
    try:
        now = scheduler.utc_now()
        rng = random.Random(options.seed)
        picks = select(loaded.questions, store.cards(), store.last_results(), options, now, rng)
        for note in filter(None, (store.warning, store.corrupt_note())):
            ui.problem(note)
        if not picks:
            ui.problem({"new": "You have seen every matching question: try the default mode for due reviews.",
                        "mistakes": "No mistakes to review: every question you answered last was right.",
                        "due": "Nothing is due and nothing is new here; come back later or use --mistakes."}
                       [options.mode])
            return Summary()
        return Session(picks, store, ui, options, rng=rng).run()
    finally:
        store.close()
