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
from mlquiz.i18n import _
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
    tags: tuple[str, ...] = ()
    only: tuple[str, ...] = ()  # bank ids (or files/folders) to practise alone
    now: datetime | None = None  # the session's time (--now / MLQUIZ_NOW); None: the clock
    settings: object = None  # mlquiz.settings.Settings; None: the defaults


@dataclass
class Answer:
    item: Item
    verdict: Verdict | None  # None for self-rated recall and skips
    rating: int | None
    skipped: bool = False
    review_id: int | None = None
    hinted: bool = False  # a hint was shown: a right answer counts as "hard"
    steps: tuple[int, int] | None = None  # a derivation: (steps right, steps)


@dataclass
class Summary:
    answers: list[Answer] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0
    ended_by: str = "done"  # done, quit, eof, interrupt
    next_due: datetime | None = None
    due_next_day: int = 0
    saved: bool = True  # False under --no-save: nothing was recorded
    reviews: int = 0  # the plan: how many picks were due reviews
    new: int = 0  # and how many never seen
    notice: str | None = None  # e.g. the store was moved to the data folder

    @property
    def score(self) -> tuple[int, int]:
        """(right, answered) so far."""
        answered = self.reviewed
        return sum(1 for a in answered if _is_right(a)), len(answered)

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
    from mlquiz.content.filters import Filters

    filters = Filters(topics=options.topics, difficulties=options.difficulties, tags=options.tags,
                      banks=options.only)
    return [q for q in questions if filters.matches(q)]


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
        raise MlquizError(_("--new and --mistakes exclude each other; choose one"))
    return "new" if new else "mistakes" if mistakes else "due"


class Quit(Exception):
    """The candidate typed q."""


class Session:
    def __init__(self, picks: list[tuple[Question, int]], store, ui, options: PracticeOptions, *, clock=None,
                 rng: random.Random | None = None, seen: set[str] | frozenset = frozenset()):
        self.picks = picks
        self.rng = rng or random.Random(options.seed)  # option order; --seed makes it reproducible
        self.store = store
        self.ui = ui
        self.options = options
        self.clock = clock or scheduler.shifted_clock(options.now)
        self._fsrs = None  # made at the first answer: fsrs's import is not on the way to the first question
        self.session_id = uuid.uuid4().hex[:12]
        self.summary = Summary(saved=getattr(store, "save", True))
        self.summary.reviews = sum(1 for q, _ in picks if q.id in seen)
        self.summary.new = len(picks) - self.summary.reviews
        self.seen = seen
        self.last_graded: Answer | None = None
        self.last_shown: Item | None = None  # the item whose feedback was shown last: ``d`` runs its demo
        self._current = None  # (item, number, total, context) of the question being asked

    def run(self) -> Summary:
        self.summary.started = time.monotonic()
        try:
            show_plan = getattr(self.ui, "show_plan", None)
            if show_plan:
                show_plan(self.summary, self.options)
            for index, (question, variant) in enumerate(self.picks):
                try:
                    item = shuffled(make_item(question, variant, self.options.lang), self.rng)
                except MlquizError as exc:  # one broken demo reference costs one question, not the session
                    self.ui.problem(_("skipped {id}: {reason}").format(id=question.id, reason=exc))
                    continue
                self._current = (item, index + 1, len(self.picks), self._question_context(question))
                self.ui.show_question(*self._current[:3], **self._current[3])
                self.summary.answers.append(self.ask(item))
            self._current = None
            self.ui.wait_for_end(self)
        except Quit:
            self.summary.ended_by = "quit"
        except EOFError:
            self.summary.ended_by = "eof"
        except KeyboardInterrupt:
            self.summary.ended_by = "interrupt"
        self.summary.finished = time.monotonic()
        try:
            if self.summary.saved:
                self._next_due()
        except KeyboardInterrupt:  # a second Ctrl-C: skip the look-ahead, keep the summary
            self.summary.ended_by = "interrupt"
        return self.summary

    def _question_context(self, question: Question) -> dict:
        """What the header shows besides the question: review or new, and the score so far."""
        if not getattr(self.ui, "wants_context", False):
            return {}
        right, answered = self.summary.score
        return {"review": question.id in self.seen, "score": None if self.options.exam else (right, answered)}

    def command(self, command: str) -> bool:
        """Handle ``o`` and ``d`` (which act on the previous question); True if ``command`` was one."""
        if command == "o":
            if self.options.exam:
                self.ui.problem(_("no overruling in an exam: the report at the end shows every grading"))
            else:
                self.overrule()
            return True
        if command == "d":
            if self.options.exam:
                self.ui.problem(_("demos run after the exam: the report names them"))
            elif self.last_shown is None or self.last_shown.question.proof is None:
                self.ui.problem(_("no demo to run: d runs the \"see why\" demo shown after an answer"))
            else:
                self.ui.run_demo(self.last_shown)
                if self._current is not None:  # the demo pushed the question up: show it again
                    self.ui.show_question(*self._current[:3], **self._current[3])
            return True
        return False

    def ask(self, item: Item) -> Answer:
        if item.steps:
            return self.ask_steps(item)
        from mlquiz.practice.grading import AnswerFormatError, grade  # not needed to show the first question

        started = time.monotonic()
        recall = item.question.type == "recall"
        revealed = False
        hinted = False
        while True:
            response = typed(self.ui.ask(item, revealed))  # invalid UTF-8 must not cost the answer
            command = keyed(response)
            if command == "?":
                self.ui.show_hint(item)
                hinted = hinted or bool(item.hint)
                continue
            if command == "q":
                raise Quit
            if command == "s":
                return Answer(item, None, None, skipped=True)
            if self.command(command):
                continue
            if recall:
                if command == "" and not revealed:
                    revealed = True
                    self.ui.reveal(item)
                    self.last_shown = item
                    continue
                rating = scheduler.RATING_WORDS.get(command)
                if rating is None:
                    self.ui.problem(_("rate 1 again, 2 hard, 3 good or 4 easy (Enter reveals the answer)"))
                    continue
                if not revealed:
                    self.ui.reveal(item)
                    self.last_shown = item
                answer = Answer(item, None, int(rating), hinted=hinted)
                answer.review_id = self._record(item, rating, None, response, started)
                return answer
            try:
                verdict = grade(item, response)
            except AnswerFormatError as exc:
                self.ui.problem(str(exc))
                continue
            rating = self._rating(verdict.correct, hinted)
            answer = Answer(item, verdict, int(rating), hinted=hinted)
            answer.review_id = self._record(item, rating, verdict.correct, response, started)
            self.last_graded = answer
            if self.options.exam:
                if verdict.note:  # what was understood, never whether it was right
                    self.ui.understood(verdict.note)
            else:
                self.ui.show_feedback(item, verdict, hinted=hinted)
                self.last_shown = item
            return answer

    def ask_steps(self, item: Item) -> Answer:
        """A derivation: each step graded in turn, with its feedback; one card, rated by the share right
        (all right: good, or hard after a hint; at least half: hard; fewer: again)."""
        from mlquiz.practice.grading import AnswerFormatError, grade

        started = time.monotonic()
        right, hinted, given = 0, False, []
        for number, step in enumerate(item.steps, 1):
            self.ui.show_step(step, number, len(item.steps))
            while True:
                response = typed(self.ui.ask(step, False))
                command = keyed(response)
                if command == "?":
                    self.ui.show_hint(step)
                    hinted = hinted or bool(step.hint)
                    continue
                if command == "q":
                    raise Quit
                if command == "s":  # a skipped step counts as a wrong one; the derivation goes on
                    given.append("-")
                    break
                if command in ("o", "d"):
                    self.ui.problem(_("o and d act after the whole derivation is graded"))
                    continue
                try:
                    verdict = grade(step, response)
                except AnswerFormatError as exc:
                    self.ui.problem(str(exc))
                    continue
                right += verdict.correct
                given.append(response.strip()[:40])
                if not self.options.exam:
                    self.ui.show_feedback(step, verdict, hinted=False)
                break
        total = len(item.steps)
        correct = right == total
        if correct:
            rating = scheduler.Rating.HARD if hinted else scheduler.Rating.GOOD
        else:
            rating = scheduler.Rating.HARD if 2 * right >= total else scheduler.Rating.AGAIN
        from mlquiz.practice.grading import Verdict

        answer = Answer(item, Verdict(correct, _("{right} of {total} steps right").format(right=right, total=total)),
                        int(rating), hinted=hinted,
                        steps=(right, total))
        now = self.clock()
        answer.review_id = self.store.record(
            question_id=item.id, topic=item.question.topic, variant=item.variant, rating=int(rating),
            correct=correct, response=" | ".join(given)[:200], now=now,
            duration_ms=int((time.monotonic() - started) * 1000), session=self.session_id,
            apply_review=self._reviewer(item.id, rating, now), steps=(right, total))
        self.last_graded = answer
        if not self.options.exam:
            self.ui.show_derivation_result(item, right, total)
            self.last_shown = item
        return answer

    @staticmethod
    def _rating(correct: bool, hinted: bool):
        if not correct:
            return scheduler.Rating.AGAIN
        return scheduler.Rating.HARD if hinted else scheduler.Rating.GOOD

    def overrule(self) -> None:
        from mlquiz.practice.grading import Verdict

        answer = self.last_graded
        if answer is None or answer.verdict is None:
            self.ui.problem(_("there is no graded answer to overrule yet"))
            return
        correct = not answer.verdict.correct
        rating = self._rating(correct, answer.hinted)
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
            self._fsrs = scheduler.make_scheduler(self.options.settings)
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


def resolve_options(options: PracticeOptions, questions, banks) -> PracticeOptions:
    """The options with every filter value checked and named as the banks name it (``LSTM`` -> ``lstm``)."""
    from dataclasses import replace

    from mlquiz.content.filters import make_filters

    filters = make_filters(questions, banks, topics=options.topics, difficulties=options.difficulties,
                           tags=options.tags, only=options.only)
    return replace(options, topics=filters.topics, difficulties=filters.difficulties, tags=filters.tags,
                   only=filters.banks)


def keyed(response: str) -> str:
    """What was typed, as a command key: ``？`` and ``ｑ`` from a Chinese input method are ``?`` and ``q``."""
    import unicodedata

    return unicodedata.normalize("NFKC", response).strip().casefold()


def untranslated_note(picks, lang: str) -> str | None:
    """One line when some picked questions have no ``lang`` text and will be shown in English."""
    from mlquiz.content.model import question_languages
    from mlquiz.i18n import ngettext

    if lang == "en":
        return None
    missing = sum(1 for question, _variant in picks if lang not in question_languages(question))
    if not missing:
        return None
    return ngettext("{missing} of {total} question has no {lang} text yet and is shown in English",
                    "{missing} of {total} questions have no {lang} text yet and are shown in English",
                    missing).format(missing=missing, total=len(picks), lang=lang)


def practice(options: PracticeOptions, extra_banks, *, save: bool, ui) -> Summary:
    """Load the banks and progress, pick questions and run a session with ``ui``."""
    from mlquiz.content import catalog
    from mlquiz.practice.store import Store

    loaded = catalog.load_with_only(list(extra_banks), options.only)  # --only my-bank.yaml also loads it
    if loaded.problems:
        ui.skipped(loaded.problems)
    options = resolve_options(options, loaded.questions, loaded.banks)
    store = Store(save=save)
    try:
        if store.notice:
            ui.problem(store.notice)
        now = options.now or scheduler.utc_now()
        rng = random.Random(options.seed)
        cards = store.cards()
        picks = select(loaded.questions, cards, store.last_results(), options, now, rng)
        for note in filter(None, (store.warning, store.corrupt_note())):
            ui.problem(note)
        fallback = untranslated_note(picks, options.lang)
        if fallback:
            ui.problem(fallback)
        if not picks:
            ui.problem({"new": _("You have seen every matching question: try the default mode for due reviews."),
                        "mistakes": _("No mistakes to review: every question you answered last was right."),
                        "due": _("Nothing is due and nothing is new here; come back later or use --mistakes.")}
                       [options.mode])
            return Summary(saved=save)
        return Session(picks, store, ui, options, rng=rng, seen=set(cards)).run()
    finally:
        store.close()
