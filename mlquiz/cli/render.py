"""Everything the CLI prints: tables, JSON, errors. The library returns data; this draws it.

Text from outside (banks, plugins, file names, the database, what was typed) goes through
``mlquiz.safetext.terminal`` (imported as ``escape``): markup escaped, control characters shown.
"""

from __future__ import annotations

import json as jsonlib
import sys

from mlquiz.i18n import _, difficulty_name, label, ngettext, type_name


def console(stderr: bool = False):
    from mlquiz.cli.cjkwrap import Console  # breaks Chinese lines between characters, not only at spaces

    return Console(stderr=stderr, highlight=False)


def print_json(data) -> None:
    sys.stdout.write(jsonlib.dumps(data, indent=2, ensure_ascii=False) + "\n")


def print_error(exc: Exception | str) -> None:
    """One line per problem on stderr; never a traceback."""
    from mlquiz.safetext import terminal as escape

    err = console(stderr=True)
    problems = getattr(exc, "problems", None)
    lines = [str(p) for p in problems] if problems else [str(exc)]
    for line in lines:
        err.print(f"[bold red]{label('error:')}[/]{escape(line)}", soft_wrap=True)


def print_problems(problems, *, heading: str, style: str = "yellow") -> None:
    """One line per problem on stderr after ``heading``, a ``label`` such as ``label("warning:")``."""
    from mlquiz.safetext import terminal as escape

    err = console(stderr=True)
    for problem in problems:
        err.print(f"[{style}]{heading}[/]{escape(str(problem))}", soft_wrap=True)


def with_progress(label: str, work, *, quiet: bool = False):
    """Run ``work(progress)``, showing a spinner on a terminal while it calls ``progress(item)``."""
    err = console(stderr=True)
    if quiet or not err.is_terminal:
        return work(None)
    with err.status(label) as status:
        return work(lambda item: status.update(f"{label} {getattr(item, 'id', item)}"))


def bank_list(catalog, as_json: bool, lang: str = "en") -> None:
    from rich.table import Table

    from mlquiz.safetext import terminal as escape

    banks = [
        {"id": b.id, "title": b.title, "path": b.path, "questions": len(b.questions),
         "variants": sum(q.variant_count for q in b.questions), "topics": b.topics,
         "languages": list(b.languages), "declared_languages": bool(b.declared_languages),
         "translated": {code: round(share, 4) for code, share in b.translated().items()}}
        for b in catalog.banks
    ]
    from mlquiz.content.model import KINDS, question_kinds
    from mlquiz.demokit import registry

    explicit = {(spec.name, p.name) for spec in registry.all_demos().values() for p in spec.params
                if p.type in ("floats", "matrix")}
    topics: dict[str, int] = {}
    by_type: dict[str, int] = {}
    by_kind = dict.fromkeys(KINDS, 0)
    for question in catalog.questions:
        topics[question.topic] = topics.get(question.topic, 0) + 1
        by_type[question.type] = by_type.get(question.type, 0) + 1
        for kind in question_kinds(question, explicit):
            by_kind[kind] += 1
    total = sum(b["questions"] for b in banks)
    if catalog.problems:
        print_problems(catalog.problems, heading=label("skipped:"))
    if as_json:
        print_json({"banks": banks, "topics": dict(sorted(topics.items())), "types": dict(sorted(by_type.items())),
                    "kinds": by_kind,
                    "questions": total, "parameterized": sum(1 for q in catalog.questions if q.vary),
                    "skipped": [p.to_dict() for p in catalog.problems]})
        return
    table = Table(title=ngettext("{count} bank", "{count} banks", len(banks)).format(count=len(banks)) + _(", ")
                  + ngettext("{count} question", "{count} questions", total).format(count=total))
    for column, justify in ((_("bank"), "left"), (_("title"), "left"), (_("questions"), "right"),
                            (_("languages"), "left"), (_("topics"), "left")):
        table.add_column(column, justify=justify)
    for bank in banks:
        table.add_row(escape(bank["id"]), escape(bank["title"]), str(bank["questions"]),
                      escape(languages_cell(bank["translated"])),
                      escape(", ".join(f"{t} ({n})" for t, n in bank["topics"].items())))
    console().print(table)


def languages_cell(translated: dict) -> str:
    """``en, zh 40%``: each language of a bank, with the share of its questions translated when not all."""
    return ", ".join(code if share >= 1 else f"{code} {share:.0%}" for code, share in translated.items())


def verify_report(report, as_json: bool) -> None:
    from rich.table import Table

    from mlquiz.safetext import terminal as escape

    if as_json:
        print_json(report.to_dict())
        return
    print_problems(report.warnings, heading=label("warning:"))
    print_problems(report.problems, heading=label("error:"), style="bold red")
    table = Table(title="mlquiz verify", caption=_("checks: demo values recomputed; unverified: numeric "
                                                    "literals no demo backs"))
    for column in (_("bank"), _("questions"), _("variants"), _("checks"), _("unverified"), _("problems")):
        table.add_column(column, justify="left" if column == _("bank") else "right", overflow="fold")
    for s in report.summaries:
        # a file that did not load has no bank id: show where it is instead
        table.add_row(escape(s.bank or _short_path(s.path)), str(s.questions), str(s.variants), str(s.demo_checks),
                      str(s.unverified), f"[red]{s.problems}[/]" if s.problems else "0")
    out = console()
    out.print(table)
    if report.ok:
        out.print(f"[green]{label('ok:')}[/]" + ngettext(
            "{count} bank file, every demo-backed number recomputed",
            "{count} bank files, every demo-backed number recomputed", len(report.summaries)).format(
            count=len(report.summaries)))
    else:
        out.print(f"[red]{label('failed:')}[/]" + ngettext("{count} problem", "{count} problems",
                                                         len(report.problems)).format(count=len(report.problems)))


def _short_path(path: str) -> str:
    """A path relative to the working folder when it is inside it; otherwise as given."""
    from pathlib import Path

    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        parts = Path(path).parts
        return path if len(parts) <= 3 else "…/" + "/".join(parts[-2:])


def demo_list(as_json: bool) -> None:
    from rich.table import Table

    from mlquiz.demokit import registry
    from mlquiz.safetext import terminal as escape

    demos = registry.all_demos()
    print_problems([message for _name, message in registry.plugin_problems()], heading=label("skipped:"))
    if as_json:
        print_json([{"name": d.name, "title": d.title, "summary": d.summary, "topics": list(d.topics),
                     "params": [p.name for p in d.params], "outputs": list(d.outputs)} for d in demos.values()])
        return
    table = Table(title=ngettext("{n} demo: {usage}  (NAME --help for its options)",
                                 "{n} demos: {usage}  (NAME --help for its options)",
                                 len(demos)).format(n=len(demos), usage="mlquiz demo NAME [--json]"))
    table.add_column(_("demo"), style="cyan", no_wrap=True)
    table.add_column(_("shows"))
    for demo in demos.values():  # a built-in demo's summary is in the catalog; a plugin's shows as written
        table.add_row(escape(demo.name), escape(_(demo.summary)))
    console().print(table)


def demo_result(spec, values: dict, as_json: bool, plot: str | None = None, scenario=None) -> None:
    from mlquiz.demokit import registry
    from mlquiz.safetext import terminal as escape

    if plot:
        from mlquiz.demokit.plot import check_target

        check_target(plot)  # a bad file name or a missing matplotlib fails before the demo runs
    result = registry.compute(spec, values)
    if plot:
        from mlquiz.demokit.plot import save_figure

        path = save_figure(registry.figure(spec, result), plot, made_by=spec.command(values))
        console(stderr=True).print(_("wrote {path}").format(path=escape(str(path))))
    if as_json:
        print_json({"demo": spec.name, "params": registry.to_jsonable(values),
                    "result": registry.to_jsonable(result)})
        return
    out = console()
    out.print(f"[bold]{escape(_(spec.title))}[/]  [dim]{escape(spec.command(values))}[/]")
    if scenario is not None:
        out.print(f"[bold]{escape(_('scenario {name}:').format(name=scenario.name))}[/] {escape(scenario.look)}")
    out.print(registry.render(spec, result))


# ----- practice
def shown_answer(item) -> str:
    """The answer as the candidate saw it: options with the letters on screen, in screen order."""
    from mlquiz.content.items import LETTERS

    kind = item.question.type
    if kind == "truefalse":
        return _("true") if item.answer else _("false")
    if kind == "choice" and item.answer in item.options:
        return f"{LETTERS[item.options.index(item.answer)]}) {item.answer}"
    if kind == "multi":
        return ", ".join(f"{LETTERS[i]}) {o}" for i, o in enumerate(item.options) if o in item.answer)
    return item.answer_text


def shown_given(item, verdict) -> str:
    """What the candidate answered, with option texts for multi-select letters."""
    from mlquiz.content.items import LETTERS

    if item.question.type == "truefalse":
        return {"true": _("true"), "false": _("false")}.get(verdict.given, verdict.given)
    if item.question.type == "multi" and verdict.given:
        letters = [part.strip() for part in verdict.given.split(",")]
        return ", ".join(f"{l}) {item.options[LETTERS.index(l)]}" for l in letters if l in LETTERS[:len(item.options)])
    return verdict.given


def shown_letters(verdict) -> str:
    """``c)`` or ``a), c)``: the letters of a choice or multi-select answer."""
    if ")" in verdict.given and "," not in verdict.given.split(")")[0]:
        return verdict.given.split(")")[0] + ")"  # choice: "c) text"
    return ", ".join(f"{part.strip()})" for part in verdict.given.split(",") if part.strip())


def first_paragraph(text: str) -> tuple[str, bool]:
    """The explanation's first paragraph, and whether more follows."""
    paragraphs = [p.strip() for p in text.strip().split("\n\n") if p.strip()]
    return (paragraphs[0] if paragraphs else ""), len(paragraphs) > 1


def short_prompt(text: str, limit: int = 90) -> str:
    """A question's prompt in one line of at most ``limit`` characters, cut at a word."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    return line[: limit - 1].rsplit(" ", 1)[0] + "…"


class TerminalUI:
    """The practice session's screen: rich output, one input line per prompt."""

    wants_context = True  # the session passes review/new and the score to show_question

    def __init__(self, out=None, exam: bool = False):
        self.out = out or console()
        self.exam = exam
        try:  # bytes that are not UTF-8 arrive as surrogate escapes instead of ending the session
            sys.stdin.reconfigure(errors="surrogateescape")
        except (AttributeError, ValueError, OSError):
            pass

        self._after = None  # after feedback: (graded wrong, has a demo), for the next prompt's keys
        self._readline = _setup_readline()

    def show_plan(self, summary, options) -> None:
        total = summary.reviews + summary.new
        parts = [ngettext("{count} review due", "{count} reviews due", summary.reviews).format(count=summary.reviews),
                 _("{count} new").format(count=summary.new)]
        line = _("{questions}: {plan}").format(
            questions=f"[bold]{ngettext('{count} question', '{count} questions', total).format(count=total)}[/]",
            plan=_(", ").join(parts))
        if options.exam:
            line += " · " + _("exam: no feedback until the report")
        self.out.print(line)

    def show_question(self, item, number: int, total: int, review: bool | None = None,
                      score: tuple[int, int] | None = None) -> None:
        from mlquiz.safetext import terminal as escape
        from rich.panel import Panel

        from mlquiz.content.items import LETTERS

        from rich.console import Group
        from rich.table import Table

        q = item.question
        parts = [escape(item.prompt)] + shown_with(item)
        if item.steps:
            parts += ["", f"[dim]{_('{count} steps, each graded; the card counts them all').format(count=len(item.steps))}[/]"]
        if item.options:
            # a grid gives wrapped option lines a hanging indent under the option's text
            options = Table.grid(padding=(0, 1, 0, 0))
            options.add_column(width=4, justify="right")
            options.add_column(ratio=1)
            for i, option in enumerate(item.options):
                options.add_row(f"[bold]{LETTERS[i]})[/]", escape(option))
            parts += ["", options]
        if q.type == "numeric" and item.unit:
            parts += ["", f"[dim]{label('unit:')}{escape(item.unit)}[/]"]
        body = Group(*parts) if len(parts) > 1 else parts[0]
        mark = "" if review is None else (f" · [yellow]{_('review')}[/]" if review else f" · [green]{_('new')}[/]")
        title = f"{number}/{total}{mark} · {escape(q.topic)} · {difficulty_name(q.difficulty)} · {type_name(q.type)}"
        subtitle = _("{right}/{answered} right").format(right=score[0], answered=score[1]) if score and score[1] \
            else None
        self.out.print(Panel(body, title=title, title_align="left", subtitle=subtitle, subtitle_align="right",
                             border_style="cyan"))

    def _input(self, markup: str) -> str:
        if not self._readline:
            line = self.out.input(markup)
            if not sys.stdin.isatty():  # piped answers: show each after its prompt, as a terminal would
                from mlquiz.safetext import terminal

                # a piped line may hold bytes that are not UTF-8 (kept as surrogate escapes): show them escaped
                self.out.print(terminal(line), markup=False, highlight=False)
            return line
        with self.out.capture() as captured:
            self.out.print(markup, end="")
        # readline must know which characters take no room, or editing a long line garbles it
        import re

        prompt = re.sub(r"(\x1b\[[0-9;]*m)", "\x01\\1\x02", captured.get())
        return input(prompt)

    def show_step(self, step, number: int, total: int) -> None:
        """One step of a derivation: its prompt and options under the derivation's panel."""
        from rich.console import Group
        from rich.panel import Panel
        from rich.table import Table

        from mlquiz.content.items import LETTERS
        from mlquiz.safetext import terminal as escape

        parts = [escape(step.prompt)]
        if step.options:
            options = Table.grid(padding=(0, 1, 0, 0))
            options.add_column(width=4, justify="right")
            options.add_column(ratio=1)
            for i, option in enumerate(step.options):
                options.add_row(f"[bold]{LETTERS[i]})[/]", escape(option))
            parts += ["", options]
        self.out.print(Panel(Group(*parts), title=_("step {number}/{total}").format(number=number, total=total)
                             + f" · {type_name(step.question.type)}",
                             title_align="left", border_style="blue"))

    def show_derivation_result(self, item, right: int, total: int) -> None:
        from mlquiz.safetext import terminal as escape

        style = "green" if right == total else ("yellow" if 2 * right >= total else "red")
        self.out.print(f"[bold {style}]" + _("derivation: {right} of {total} steps right").format(
            right=right, total=total) + "[/]")
        text, more = first_paragraph(item.explanation)
        self.out.print(escape(text) + (f" [dim][…] mlquiz show {item.id}[/]" if more else ""))
        self._after = (right < total, item.question.proof is not None)

    def ask(self, item, revealed: bool) -> str:
        kind = item.question.type
        hints = {
            "choice": _("letter or text"), "multi": _("letters, e.g. a,c"), "truefalse": _("t/f"),
            "numeric": _("number"), "text": _("answer"),
            "recall": _("1 again · 2 hard · 3 good · 4 easy") + ("" if revealed else " · " + _("Enter reveals")),
        }
        keys = _("? hint · s skip · q quit")
        if self._after:
            wrong, demo = self._after
            keys += (" · " + _("d demo") if demo else "") + (" · " + _("o overrule") if wrong else "")
        try:
            return self._input(f"[bold cyan]{hints[kind]}[/] [dim]({keys})[/] > ")
        finally:
            self._after = None

    def problem(self, message: str) -> None:
        from mlquiz.safetext import terminal as escape

        self.out.print(f"[yellow]{escape(message)}[/]")

    def understood(self, note: str) -> None:
        from rich.markup import escape

        self.out.print(f"[dim]{escape(note)}[/]")

    def skipped(self, problems) -> None:
        print_problems(problems, heading=label("skipped:"))

    def show_hint(self, item) -> None:
        from mlquiz.safetext import terminal as escape

        if item.hint:
            self.out.print(f"[magenta]{label('hint:')}[/]{escape(item.hint)} "
                           f"[dim]{_('(a right answer now counts as hard)')}[/]")
        else:
            self.out.print(f"[dim]{_('no hint for this one')}[/]")

    def reveal(self, item) -> None:
        from mlquiz.safetext import terminal as escape

        self.out.print(f"[bold]{label('answer:')}[/]{escape(item.answer_text)}")
        if not self.exam:
            self._explain(item)
            self._after = (False, item.question.proof is not None)
        self.out.print()

    def show_feedback(self, item, verdict, hinted: bool = False) -> None:
        from mlquiz.safetext import terminal as escape

        from mlquiz.content.items import LETTERS, tolerance_text

        if verdict.note and verdict.note != "overruled":
            self.understood(verdict.note)
        if verdict.correct:
            extra = f" [dim]{_('(with a hint: counts as hard)')}[/]" if hinted else ""
            # a choice's text is on screen just above: its letter is enough
            given = shown_letters(verdict) if item.options else shown_given(item, verdict)
            self.out.print(f"[bold green]{_('✓ right')}[/]  {escape(given)}{extra}")
        else:
            within = ""
            if item.question.type == "numeric" and item.tolerance is not None:
                within = "[dim]" + _(" ({text})").format(text=escape(tolerance_text(item.tolerance))) + "[/]"
            self.out.print(f"[bold red]{_('✗ wrong')}[/]  " + _("you said {given}; the answer is {answer}").format(
                given=escape(shown_given(item, verdict)), answer=f"[bold]{escape(shown_answer(item))}[/]") + within)
        order = list(item.options)
        marks = [f"[red]{label('missed:')}[/]{escape(f'{LETTERS[order.index(m)]}) {m}')}" for m in verdict.missed
                 if m in order]
        marks += [f"[red]{label('not right:')}[/]{escape(f'{LETTERS[order.index(e)]}) {e}')}" for e in verdict.extra
                  if e in order]
        if marks:
            self.out.print("  " + " · ".join(marks))
        self._explain(item)
        step = "/" in item.id  # a derivation's step: o and d act once the whole derivation is graded
        self._after = None if step else (not verdict.correct, item.question.proof is not None)
        if not verdict.correct and not step:
            self.out.print(f"[dim]{_('(think the grading is wrong? type o at the next prompt)')}[/]")
        self.out.print()

    def _explain(self, item) -> None:
        from mlquiz.safetext import terminal as escape

        from mlquiz.errors import MlquizError

        text, more = first_paragraph(item.explanation)
        self.out.print(escape(text) + (f" [dim][…] mlquiz show {item.id}[/]" if more else ""))
        try:
            command, shown = item.proof_command, item.proof_value
        except MlquizError as exc:  # the answer is already saved: a broken demo only loses the "see why" line
            self.out.print(f"[dim]{_('see why: unavailable ({reason})').format(reason=escape(exc))}[/]")
            command = None
        if command:
            value = f"  → {escape(shown)}" if shown else ""
            keys = "" if "/" in item.id else f"  [dim]{_('(d runs it)')}[/]"  # a step: d waits for the derivation
            self.out.print(f"[dim]{label('see why:')}[/][cyan]{escape(command)}[/]{value}{keys}")

    def run_demo(self, item) -> None:
        """The question's "see why" demo, run here with its parameters; the session goes on after it."""
        from mlquiz.content.model import resolve_params
        from mlquiz.demokit import registry
        from mlquiz.errors import MlquizError
        from mlquiz.safetext import terminal as escape

        proof = item.question.proof
        try:
            spec = registry.get_demo(proof.demo)
            values = spec.resolve(resolve_params(proof, item.variables))
            result = registry.compute(spec, values)
            self.out.print(f"[bold]{escape(spec.title)}[/]  [dim]{escape(spec.command(values))}[/]")
            self.out.print(registry.render(spec, result))
        except MlquizError as exc:
            self.problem(_("the demo did not run: {reason}").format(reason=exc))
        self.out.print(f"[dim]{_('(back to the session)')}[/]")

    def overruled(self, item, correct: bool) -> None:
        verdict = _("{id} now counts as right") if correct else _("{id} now counts as wrong")
        self.out.print(f"[yellow]{label('overruled:')}[/]{verdict.format(id=item.id)}")

    def wait_for_end(self, session) -> None:
        """After the last question, one more prompt so the last grading can be overruled or its demo run."""
        while session.last_shown is not None and not session.options.exam:
            wrong, demo = self._after or (False, False)
            keys = _(", ").join(k for k, on in ((_("d runs the demo"), demo), (_("o overrules the last grading"), wrong))
                                if on)
            self._after = None
            response = self._input(f"[dim]{_('Enter for your summary')}{f' ({keys})' if keys else ''}[/] > ")
            response = response.strip().casefold()
            if response == "d":
                session.command("d")
                self._after = (wrong, demo)
                continue
            if response == "o":
                session.overrule()
            return


def _setup_readline() -> bool:
    """Line editing and history at the prompt, where the platform has readline and this is a terminal."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False
    try:
        import readline  # noqa: F401  (importing it is what makes input() edit lines)
    except ImportError:  # Windows without pyreadline: plain input
        return False
    return True


def practice_summary(summary, exam: bool) -> None:
    from mlquiz.safetext import terminal as escape
    from rich.table import Table

    out = console()
    if exam and summary.reviewed:
        report = Table(title=_("exam report"))
        for column in ("#", _("question"), _("you"), _("answer"), ""):
            report.add_column(column, overflow="fold")
        for number, answer in enumerate(summary.reviewed, 1):
            right = answer.verdict.correct if answer.verdict else (answer.rating or 0) >= 3
            given = shown_given(answer.item, answer.verdict) if answer.verdict else _("rated {rating}").format(
                rating=answer.rating)
            report.add_row(str(number), escape(short_prompt(answer.item.prompt)) + f"\n[dim]{answer.item.id}[/]",
                           escape(given), escape(shown_answer(answer.item)), "[green]✓[/]" if right else "[red]✗[/]")
        out.print(report)
        for number, answer in enumerate(summary.reviewed, 1):
            if answer.verdict and not answer.verdict.correct:
                text, _more = first_paragraph(answer.item.explanation)
                demo = f"\n  [dim]{label('see why:')}[/][cyan]{escape(answer.item.proof_command)}[/]" \
                    if answer.item.proof_command else ""
                out.print(f"[bold]{number}.[/] {escape(text)}{demo}")
    table = Table(title=_("session summary"))
    for column in (_("topic"), _("answered"), _("right"), _("score")):
        table.add_column(column, justify="left" if column == _("topic") else "right")
    total = right_total = 0
    for topic, (n, right) in summary.by_topic().items():
        table.add_row(escape(topic), str(n), str(right), f"{right / n:.0%}")
        total, right_total = total + n, right_total + right
    skipped = sum(1 for a in summary.answers if a.skipped)
    if total:
        table.add_row(f"[bold]{_('all')}[/]", str(total), str(right_total), f"[bold]{right_total / total:.0%}[/]")
        out.print(table)
    for answer in summary.reviewed:
        if answer.steps:  # partial credit: a derivation is right only when every step is
            out.print(_("derivation {id}: {right} of {total} steps right").format(
                id=escape(answer.item.id), right=answer.steps[0], total=answer.steps[1]))
    minutes, seconds = divmod(int(summary.finished - summary.started), 60)
    ended = {"quit": _("you quit"), "eof": _("end of input"), "interrupt": _("interrupted")}.get(summary.ended_by)
    line = _("{answered} answered, {skipped} skipped in {minutes}m {seconds}s").format(
        answered=total, skipped=skipped, minutes=minutes, seconds=f"{seconds:02d}")
    kept = _("every answer is saved") if summary.saved else _("--no-save: nothing was recorded")
    if ended:
        out.print(_("{line} ({ended}; {kept})").format(line=line, ended=ended, kept=kept))
    else:
        out.print(line if summary.saved else _("{line} ({kept})").format(line=line, kept=kept))
    if summary.weakest_topic:
        out.print(_("weakest topic: {topic}").format(topic=f"[bold]{summary.weakest_topic}[/]")
                  + f"  (mlquiz practice -t {summary.weakest_topic})")
    if summary.saved and summary.next_due:
        out.print(_("due in the next 24 hours: {count}; next review {when}").format(
            count=summary.due_next_day, when=local_time(summary.next_due)))


def local_time(when) -> str:
    """A time as the user's clock shows it: local time zone, with its name."""
    return when.astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()


def question_card(record: dict, as_json: bool) -> None:
    """``mlquiz show``: the question, each variant's answer and explanation, its demo, the history."""
    from rich.markup import escape

    from mlquiz.content.items import LETTERS

    if as_json:
        print_json(record)
        return
    out = console()
    out.print(f"[bold]{record['id']}[/]  [dim]{record['topic']} · {difficulty_name(record['difficulty'])} · "
              f"{type_name(record['type'])} · {', '.join(record['tags']) or _('no tags')} · "
              f"{_short_path(record['file'])}:{record['line']}[/]")
    variants = record["variants"]
    for variant in variants[:3]:
        if len(variants) > 1:
            shown = ", ".join(f"{k}={v}" for k, v in variant["shown_variables"].items())
            out.print("\n[cyan]" + _("variant {number} of {count}").format(number=variant["variant"] + 1,
                                                                           count=len(variants))
                      + f"[/] [dim]({escape(shown)})[/]")
        out.print(escape(variant["prompt"]))
        if variant["code"] and variant is variants[0]:
            from rich.syntax import Syntax

            out.print(Syntax(variant["code"], "python", line_numbers=True, word_wrap=True, theme="ansi_light"))
        if variant["chart"] and variant is variants[0]:
            chart = variant["chart"]
            params = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in chart["params"].items())
            out.print(f"[dim]{label('chart:')}[/]" + escape(f"mlquiz demo {chart['demo']} {params}".strip()))
        for i, option in enumerate(variant["options"]):
            out.print(f"  {LETTERS[i]}) {escape(option)}")
        for n, step in enumerate(variant["steps"], 1):
            out.print(f"[cyan]{_('step {number}/{count}').format(number=n, count=len(variant['steps']))}[/] "
                      + escape(step["prompt"]))
            for i, option in enumerate(step["options"]):
                out.print(f"    {LETTERS[i]}) {escape(option)}")
            within = _(" ({text})").format(text=step["tolerance_text"]) if step["tolerance_text"] else ""
            out.print(f"    [bold]{label('answer:')}[/]{escape(step['answer_text'])}{within}")
        within = _(" ({text})").format(text=variant["tolerance_text"]) if variant["tolerance_text"] else ""
        out.print(f"[bold]{label('answer:')}[/]{escape(variant['answer_text'])}{within}")
        if variant["accept"]:
            out.print(f"[dim]{label('also accepted:')}[/]{escape('; '.join(variant['accept']))}")
        if variant is variants[0]:
            if variant["hint"]:
                out.print(f"[magenta]{label('hint:')}[/]{escape(variant['hint'])}")
            out.print(escape(variant["explanation"]))
        if variant["demo"]:
            value = f"  → {escape(variant['demo']['value'])}" if variant["demo"]["value"] else ""
            out.print(f"[dim]{label('see why:')}[/][cyan]{escape(variant['demo']['command'])}[/]{value}")
    if len(variants) > 3:
        out.print("[dim]… " + _("{count} more variants:").format(count=len(variants) - 3)
                  + f" mlquiz show {record['id']} --json[/]")
    history = record["history"]
    if not history["reviews"]:
        out.print(f"\n[dim]{_('you have not answered it yet')}[/]")
        return
    marks = " ".join("✓" if (r["correct"] if r["correct"] is not None else r["rating"] > 1) else "✗"
                     for r in history["reviews"])
    first = datetime_local(history["reviews"][0]["reviewed_at"])
    due = datetime_local(history["due"]) if history["due"] else "-"
    out.print(f"\n[bold]{label('your history:')}[/]" + _("{count} answers since {first}: {marks}; next due {due}").format(
        count=len(history["reviews"]), first=first, marks=marks, due=due))


def datetime_local(iso: str) -> str:
    from datetime import datetime

    return local_time(datetime.fromisoformat(iso))


def search_results(found: dict, as_json: bool) -> None:
    from rich.markup import escape
    from rich.table import Table

    if as_json:
        print_json(found)
        return
    out = console()
    if not found["count"]:
        out.print(_("no question matches {query}").format(query=repr(found["query"])))
        return
    title = ngettext("{count} question", "{count} questions", found["count"]).format(count=found["count"])
    if found["query"]:
        title = ngettext("{count} question matching {query}", "{count} questions matching {query}",
                         found["count"]).format(count=found["count"], query=repr(found["query"]))
    table = Table(title=title, caption=_("mlquiz show ID for one in full"), caption_justify="left")
    table.add_column("id", style="cyan", overflow="fold")
    table.add_column(_("topic"))
    table.add_column(_("type"))
    table.add_column(_("prompt"), ratio=1)
    for result in found["results"]:
        table.add_row(result["id"], result["topic"], type_name(result["type"]),
                      escape(short_prompt(result["prompt"], 120)))
    out.print(table)


def confirm_reset(plan) -> bool:
    from mlquiz.safetext import terminal as escape
    out = console()
    out.print(_("This forgets {reviews} reviews of {questions} questions ({what}) in {store}; a copy is kept "
                "beside it.").format(reviews=plan.reviews, questions=plan.questions, what=plan.what,
                                     store=escape(plan.store)), soft_wrap=True)
    try:
        answer = out.input(_("Type {yes} to go on > ").format(yes="[bold]yes[/]"))
    except EOFError:
        return False
    return answer.strip().casefold() in ("yes", "y", "是")


def locations(where: dict, as_json: bool) -> None:
    from rich.cells import cell_len

    from mlquiz.safetext import terminal as escape
    if as_json:
        print_json(where)
        return
    out = console()
    note = lambda exists: "" if exists else "  [dim]" + _("(not created yet)") + "[/]"  # noqa: E731
    rows = [(_("progress"), where["progress"], note(where["progress_exists"])),
            (_("cache"), where["cache"], "  [dim]" + _("(safe to delete)") + "[/]"),
            (_("settings"), where["config"], note(where["config_exists"]))]
    width = max(cell_len(name) for name, _path, _note in rows) + 2  # Chinese names are two columns a character
    for name, path, after in rows:
        out.print(name + " " * (width - cell_len(name)) + escape(path) + after, soft_wrap=True)
    if where["legacy_progress"]:
        out.print("[yellow]" + _("old progress") + "[/] " + _("{path}: moved to the data folder by the next practice "
                  "session").format(path=escape(where["legacy_progress"])), soft_wrap=True)
    if where["overridden_by"]:
        out.print("[dim]" + _("(all under {folder}, set by {source})").format(
            folder=escape(where["data"]), source=escape(where["overridden_by"])) + "[/]", soft_wrap=True)


def settings_report(prefs, as_json: bool) -> None:
    from mlquiz.safetext import terminal as escape
    from mlquiz.paths import config_path

    data = prefs.to_dict()
    data["source"] = prefs.source
    if as_json:
        print_json(data)
        return
    out = console()
    where = prefs.source or _("{path} (not created: these are the defaults)").format(path=config_path())
    out.print("[dim]# " + _("settings from {source}").format(source=escape(str(where))) + "[/]", soft_wrap=True)
    for key in ("desired_retention", "learning_steps", "relearning_steps", "session_length", "language"):
        value = data[key]
        if value is None:
            out.print(f"# {key} = " + _("(not set: --lang, MLQUIZ_LANG or the locale decide)"), highlight=False)
            continue
        shown = "[" + ", ".join(f'"{v}"' for v in value) + "]" if isinstance(value, list) else (
            f'"{value}"' if isinstance(value, str) else str(value))
        out.print(f"{key} = {shown}", highlight=False)
    out.print("[dim]# " + _("edit the file to change them; docs/settings.md explains each") + "[/]")


def stats_report(stats, as_json: bool) -> None:
    from rich.console import Group
    from rich.table import Table

    from mlquiz.safetext import terminal as escape

    if stats.skipped:
        print_problems(stats.skipped, heading=label("skipped:"))
    print_problems(stats.notes, heading=label("warning:"))
    if as_json:
        print_json(stats.to_dict())
        return
    table = Table(title=_("progress: {count} reviews").format(count=stats.reviews),
                  caption=_("known: seen questions whose last answer was right · accuracy: all graded answers"),
                  caption_justify="left")
    for column in (_("topic"), _("questions"), _("seen"), _("known"), _("accuracy"), _("due now"), _("due 7d")):
        table.add_column(column, justify="left" if column == _("topic") else "right")
    for t in stats.topics:
        table.add_row(escape(t.topic), str(t.questions), str(t.seen), "-" if t.known is None else f"{t.known:.0%}",
                      "-" if t.accuracy is None else f"{t.accuracy:.0%}", str(t.due_now), str(t.due_7_days))
    parts = [table, activity_chart(stats.activity)]
    credit = [f"{escape(t.topic)} {t.steps_right}/{t.steps_total} ({t.step_credit:.0%})" for t in stats.topics
              if t.steps_total]
    if credit:
        from rich.text import Text

        parts.append(Text(_("derivation steps right:") + " " + ", ".join(credit)))
    if stats.store_path:
        from rich.text import Text

        parts.append(Text(_("progress is kept in {path}").format(path=stats.store_path), style="dim"))
    console().print(Group(*parts))


def activity_chart(activity):
    """Reviews per day over the last 30 days as one line of block characters."""
    from rich.text import Text

    blocks = " ▁▂▃▄▅▆▇█"
    top = max((n for _, n in activity), default=0)
    bars = "".join(blocks[0 if n == 0 else max(1, round(8 * n / top))] for _, n in activity) if top else \
        "·" * len(activity)
    first, last = (activity[0][0], activity[-1][0]) if activity else ("", "")
    text = Text(_("activity, {first} .. {last} (max {top}/day)").format(first=first, last=last, top=top) + "\n")
    text.append(bars, style="green")
    return text


def shown_with(item) -> list:
    """What a question shows besides its text: a code snippet (highlighted) and a chart of real data."""
    parts = []
    if item.code:
        from rich.syntax import Syntax

        parts += ["", Syntax(item.code, "python", line_numbers=True, word_wrap=True, theme="ansi_light")]
    if item.question.chart is not None:
        from mlquiz.charts import draw

        parts += ["", draw(item.figure)]
    return parts
