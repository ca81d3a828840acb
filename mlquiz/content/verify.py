"""``mlquiz verify``: every bank valid, every demo-backed number recomputed, nothing orphaned.

Like ``rustlings dev check`` it reports *all* problems, then fails. Validation (bank.py) runs no
demo; here every variant of every question is made concrete, which runs each demo it names.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from mlquiz.content.model import LoadResult, Problem, Question
from mlquiz.content.loading import bank_files, cross_bank_problems, load_banks, shipped_banks_dir
from mlquiz.errors import MlquizError
from mlquiz.i18n import msg, said
from mlquiz.content.lint import lint_bank, lint_banks

VERIFY_BUDGET = 120.0  # seconds in all; the shipped banks take ~3, a bank that needs more is too expensive


@dataclass
class BankSummary:
    path: str
    bank: str | None
    questions: int = 0
    variants: int = 0
    demo_checks: int = 0
    unverified: int = 0  # numeric literals that no demo backs
    problems: int = 0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Report:
    summaries: list[BankSummary]
    problems: list[Problem]
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "banks": [s.to_dict() for s in self.summaries],
            "problems": [p.to_dict() for p in self.problems],
            "warnings": [w.to_dict() for w in self.warnings],
        }


def budget_seconds() -> float:
    """verify's total time budget: ``MLQUIZ_VERIFY_BUDGET`` seconds, else VERIFY_BUDGET."""
    try:
        return max(0.0, float(os.environ.get("MLQUIZ_VERIFY_BUDGET", VERIFY_BUDGET)))
    except ValueError:
        return VERIFY_BUDGET


def verify(paths: list[Path] | None = None, *, strict: bool = False, progress=None) -> Report:
    """Validate and recompute the banks under ``paths`` (default: the shipped banks and installed
    plugins' banks). Files named by ``paths`` are also checked against every other loaded bank's ids."""
    from mlquiz.content import catalog

    shipped = paths is None
    plugin_problems: list[Problem] = []
    if shipped:
        plugin_problems = catalog.plugin_problems()
        paths = [shipped_banks_dir(), *catalog.plugin_bank_dirs([])]
    result: LoadResult = load_banks(paths)
    summaries = {f: BankSummary(f, None) for f in result.files}
    problems = list(result.problems) + plugin_problems
    if not shipped:
        problems.extend(installed_clashes(result))
    warnings: list[Problem] = []
    deadline = time.monotonic() + budget_seconds()
    every_item: dict[str, list] = {}  # for the checks across banks
    for bank in result.banks:
        summary = summaries[bank.path]
        summary.bank = bank.id
        summary.questions = len(bank.questions)
        items: dict[str, list] = {}
        for question in bank.questions:
            if time.monotonic() > deadline:
                problems.append(Problem(question.file, question.line, 1, question.id,
                                        msg("verify stopped here: its {seconds} s budget is spent, so this and "
                                            "the questions after it were not checked; use fewer or cheaper variants "
                                            "(or set MLQUIZ_VERIFY_BUDGET)", seconds=f"{budget_seconds():g}")))
                break
            if progress:
                progress(question)
            found, checks, unverified, items[question.id] = check_question(question, deadline)
            problems.extend(found)
            summary.variants += question.variant_count
            summary.demo_checks += checks
            if unverified:
                summary.unverified += 1
                note = Problem(question.file, question.line, 1, question.id,
                               msg("numeric answer is a literal that no demo backs (unverified); use answer_from, or "
                                   "add a demo with a key so verify can check it"))
                (problems if strict else warnings).append(note)
        # quality findings: warnings, errors under --strict
        (problems if strict else warnings).extend(lint_bank(bank, items))
        (problems if strict else warnings).extend(untranslated(bank))
        every_item.update(items)
    (problems if strict else warnings).extend(lint_banks(result.banks, every_item))
    if shipped:
        problems.extend(orphan_problems())
    for problem in problems:
        if problem.file in summaries:
            summaries[problem.file].problems += 1
    return Report(list(summaries.values()), problems, warnings)


def untranslated(bank) -> list[Problem]:
    """A question without a language its bank declares (``languages: [en, zh]``): it shows in English there."""
    from mlquiz.content.model import localized_texts, neutral, question_languages

    found = []
    for question in bank.questions:
        for lang in bank.declared_languages:
            if lang not in question_languages(question):
                fields = list(dict.fromkeys(name for name, text in localized_texts(question)
                                               if lang not in text and not neutral(text)))
                found.append(Problem(question.file, question.line, 1, question.id,
                                     msg("no {lang} text for {fields}, though the bank declares languages: {languages}; "
                                         "translate it (it is shown in English)", lang=lang, fields=", ".join(fields),
                                         languages=f"[{', '.join(bank.declared_languages)}]")))
    return found


def installed_clashes(result: LoadResult) -> list[Problem]:
    """Problems of the verified files against every other bank that practice would load with them
    (shipped, MLQUIZ_BANKS, plugins): an id they share would make practice skip one of them."""
    from mlquiz.content import catalog

    mine = {Path(f).resolve() for f in result.files}
    others = []
    for source in catalog.bank_sources([], []):
        try:
            files = bank_files([source])
        except MlquizError:  # a missing MLQUIZ_BANKS path: nothing there to clash with
            continue
        # through the caches (and the install's prebuilt banks): checking one file should not parse them all
        for path in files:
            if path.resolve() not in mine:
                bank, _found = catalog.load_cached(path)
                if bank is not None:
                    others.append(bank)
    return [p for p in cross_bank_problems(others + result.banks) if Path(p.file).resolve() in mine]


def check_question(question: Question, deadline: float | None = None) -> tuple[list[Problem], int, bool, list]:
    """Make every variant concrete; returns (problems, demo values checked, unverified literal?, items)."""
    from mlquiz.content.items import DemoValueError, demo_value, make_item
    from mlquiz.content.templates import TemplateError

    problems: list[Problem] = []
    checks = 0
    items = []

    def report(message: str) -> None:
        problems.append(Problem(question.file, question.line, 1, question.id, message))

    # proof is answer_from when there is no separate demo: count that value once
    refs = (len(question.values) + (question.answer_from is not None) + bool(question.demo and question.demo.key)
            + sum(step.answer_from is not None for step in question.steps))
    for variant in range(question.variant_count):
        where = msg(" (variant {number}: {values})", number=variant + 1, values=question.vary[variant]) \
            if question.vary else ""
        if deadline is not None and time.monotonic() > deadline:
            report(msg("verify's time budget ran out at variant {number} of {count}; the rest were not checked",
                       number=variant + 1, count=question.variant_count))
            break
        try:
            item = make_item(question, variant, cached=False)
            item.proof_command, item.proof_value, item.figure  # worked out lazily: make them run here
            run_snippet(question)
        except (MlquizError, TemplateError, KeyError) as exc:
            report(msg("{error}{where}", error=exc, where=where))
            continue
        items.append(item)
        checks += refs
        if question.type == "numeric" and question.answer_from is None and question.demo and question.demo.key:
            try:
                expected = demo_value(question.demo, item.variables, cached=False)
            except DemoValueError as exc:
                report(said(exc))
                continue
            if not isinstance(expected, (int, float)) or not _close(question.answer, expected, item.tolerance):
                report(msg("answer {answer} disagrees with demo {demo} {key} = {expected}; use answer_from to take "
                           "the demo's value", answer=repr(question.answer), demo=repr(question.demo.demo),
                           key=question.demo.key, expected=repr(expected)))
    unverified = question.type == "numeric" and question.answer_from is None and not (
        question.demo and question.demo.key)
    return problems, checks, unverified, items


def run_snippet(question: Question) -> None:
    """Execute the snippet a question shows, through its demo: a snippet that no longer runs fails verify."""
    from mlquiz.demokit import registry

    if question.code is not None and registry.get_demo(question.code.demo).param("snippet") is not None:
        registry.run(question.code.demo, {"snippet": question.code.snippet})


def _close(answer, expected, tolerance) -> bool:
    return math.isclose(answer, expected, rel_tol=max(tolerance.rel, 1e-9), abs_tol=tolerance.abs)


def orphan_problems() -> list[Problem]:
    """Files in the shipped questions/ and demos/ folders that are neither banks nor demos."""
    from mlquiz.demokit import registry

    problems = []
    for path in sorted(shipped_banks_dir().iterdir()):
        if path.suffix not in (".yaml", ".yml") and path.name not in ("README.md", "__pycache__"):
            problems.append(Problem(str(path), 1, 1, None, msg("not a bank (*.yaml); move it out of questions/")))
    for folder in registry.builtin_demo_dirs():
        for path in sorted(folder.iterdir()):
            if path.suffix != ".py" and path.name not in ("__pycache__", "README.md"):
                problems.append(Problem(str(path), 1, 1, None, msg("not a demo module (*.py); move it out of demos/")))
    return problems
