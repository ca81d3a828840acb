"""Everything the CLI prints: tables, JSON, errors. The library returns data; this draws it.

Text from outside (banks, plugins, file names, the database, what was typed) goes through
``mlquiz.safetext.terminal`` (imported as ``escape``): markup escaped, control characters shown.
"""

from __future__ import annotations

import json as jsonlib
import sys


def console(stderr: bool = False):
    from rich.console import Console

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
        err.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True)


def print_problems(problems, *, heading: str, style: str = "yellow") -> None:
    from mlquiz.safetext import terminal as escape

    err = console(stderr=True)
    for problem in problems:
        err.print(f"[{style}]{heading}:[/] {escape(str(problem))}", soft_wrap=True)


def with_progress(label: str, work, *, quiet: bool = False):
    """Run ``work(progress)``, showing a spinner on a terminal while it calls ``progress(item)``."""
    err = console(stderr=True)
    if quiet or not err.is_terminal:
        return work(None)
    with err.status(label) as status:
        return work(lambda item: status.update(f"{label} {getattr(item, 'id', item)}"))


def bank_list(catalog, as_json: bool) -> None:
    from rich.table import Table

    from mlquiz.safetext import terminal as escape

    banks = [
        {"id": b.id, "title": b.title, "path": b.path, "questions": len(b.questions),
         "variants": sum(q.variant_count for q in b.questions), "topics": b.topics}
        for b in catalog.banks
    ]
    topics: dict[str, int] = {}
    by_type: dict[str, int] = {}
    for question in catalog.questions:
        topics[question.topic] = topics.get(question.topic, 0) + 1
        by_type[question.type] = by_type.get(question.type, 0) + 1
    total = sum(b["questions"] for b in banks)
    if catalog.problems:
        print_problems(catalog.problems, heading="skipped")
    if as_json:
        print_json({"banks": banks, "topics": dict(sorted(topics.items())), "types": dict(sorted(by_type.items())),
                    "questions": total, "parameterized": sum(1 for q in catalog.questions if q.vary),
                    "skipped": [p.to_dict() for p in catalog.problems]})
        return
    table = Table(title=f"{len(banks)} banks, {total} questions")
    for column in ("bank", "title", "questions", "topics"):
        table.add_column(column, justify="right" if column == "questions" else "left")
    for bank in banks:
        table.add_row(escape(bank["id"]), escape(bank["title"]), str(bank["questions"]),
                      escape(", ".join(f"{t} ({n})" for t, n in bank["topics"].items())))
    console().print(table)


def verify_report(report, as_json: bool) -> None:
    from rich.table import Table

    from mlquiz.safetext import terminal as escape

    if as_json:
        print_json(report.to_dict())
        return
    print_problems(report.warnings, heading="warning")
    print_problems(report.problems, heading="error", style="bold red")
    table = Table(title="mlquiz verify", caption="checks: demo values recomputed; unverified: numeric "
                                                  "literals no demo backs")
    for column in ("bank", "questions", "variants", "checks", "unverified", "problems"):
        table.add_column(column, justify="left" if column == "bank" else "right", overflow="fold")
    for s in report.summaries:
        # a file that did not load has no bank id: show where it is instead
        table.add_row(escape(s.bank or _short_path(s.path)), str(s.questions), str(s.variants), str(s.demo_checks),
                      str(s.unverified), f"[red]{s.problems}[/]" if s.problems else "0")
    out = console()
    out.print(table)
    if report.ok:
        out.print(f"[green]ok[/]: {len(report.summaries)} bank files, every demo-backed number recomputed")
    else:
        out.print(f"[red]failed[/]: {len(report.problems)} problems")


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
    print_problems([message for _name, message in registry.plugin_problems()], heading="skipped")
    if as_json:
        print_json([{"name": d.name, "title": d.title, "summary": d.summary, "topics": list(d.topics),
                     "params": [p.name for p in d.params], "outputs": list(d.outputs)} for d in demos.values()])
        return
    table = Table(title=f"{len(demos)} demos: mlquiz demo NAME [--json]  (NAME --help for its options)")
    table.add_column("demo", style="cyan", no_wrap=True)
    table.add_column("shows")
    for demo in demos.values():
        table.add_row(escape(demo.name), escape(demo.summary))
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
        console(stderr=True).print(f"wrote {escape(str(path))}")
    if as_json:
        print_json({"demo": spec.name, "params": registry.to_jsonable(values),
                    "result": registry.to_jsonable(result)})
        return
    out = console()
    out.print(f"[bold]{escape(spec.title)}[/]  [dim]{escape(spec.command(values))}[/]")
    if scenario is not None:
        out.print(f"[bold]scenario {escape(scenario.name)}:[/] {escape(scenario.look)}")
    out.print(registry.render(spec, result))


# ----- practice
class TerminalUI:
    """The practice session's screen: rich output, one input line per prompt."""

    def __init__(self, out=None, exam: bool = False):
        self.out = out or console()
        self.exam = exam
        try:  # bytes that are not UTF-8 arrive as surrogate escapes instead of ending the session
            sys.stdin.reconfigure(errors="surrogateescape")
        except (AttributeError, ValueError, OSError):
            pass

    def show_question(self, item, number: int, total: int) -> None:
        from mlquiz.safetext import terminal as escape
        from rich.panel import Panel

        from mlquiz.content.items import LETTERS

        q = item.question
        body = escape(item.prompt)
        if item.options:
            body += "\n\n" + "\n".join(f"  [bold]{LETTERS[i]})[/] {escape(o)}" for i, o in enumerate(item.options))
        if q.type == "numeric" and item.unit:
            body += f"\n\n[dim]unit: {escape(item.unit)}[/]"
        title = f"{number}/{total} · {q.topic} · {q.difficulty} · {q.type}"
        self.out.print(Panel(body, title=title, title_align="left", border_style="cyan"))

    def ask(self, item, revealed: bool) -> str:
        kind = item.question.type
        hints = {
            "choice": "letter or text", "multi": "letters, e.g. a,c", "truefalse": "t/f", "numeric": "number",
            "text": "answer", "recall": "1 again · 2 hard · 3 good · 4 easy" + ("" if revealed else " · Enter reveals"),
        }
        return self.out.input(f"[bold cyan]{hints[kind]}[/] [dim](? hint · s skip · q quit)[/] > ")

    def problem(self, message: str) -> None:
        from mlquiz.safetext import terminal as escape

        self.out.print(f"[yellow]{escape(message)}[/]")

    def skipped(self, problems) -> None:
        print_problems(problems, heading="skipped")

    def show_hint(self, item) -> None:
        from mlquiz.safetext import terminal as escape

        self.out.print(f"[magenta]hint:[/] {escape(item.hint)}" if item.hint else "[dim]no hint for this one[/]")

    def reveal(self, item) -> None:
        from mlquiz.safetext import terminal as escape

        self.out.print(f"[bold]answer:[/] {escape(item.answer_text)}")
        if not self.exam:
            self._explain(item)

    def show_feedback(self, item, verdict) -> None:
        from mlquiz.safetext import terminal as escape

        if verdict.correct:
            self.out.print(f"[bold green]✓ right[/]  [dim]({escape(verdict.given)})[/]")
        else:
            self.out.print(f"[bold red]✗ wrong[/]  you said {escape(verdict.given)}; "
                           f"the answer is [bold]{escape(item.answer_text)}[/]{escape(tolerance_note(item))}")
        for missed in verdict.missed:
            self.out.print(f"  [red]missed:[/] {escape(missed)}")
        for extra in verdict.extra:
            self.out.print(f"  [red]not right:[/] {escape(extra)}")
        self._explain(item)
        self.out.print("[dim](disagree with the grading? type o at the next prompt)[/]")

    def _explain(self, item) -> None:
        from mlquiz.safetext import terminal as escape

        from mlquiz.errors import MlquizError

        self.out.print(escape(item.explanation))
        try:
            command, shown = item.proof_command, item.proof_value
        except MlquizError as exc:  # the answer is already saved: a broken demo only loses the "see why" line
            self.out.print(f"[dim]see why: unavailable ({escape(exc)})[/]")
            command = None
        if command:
            value = f"  → {escape(shown)}" if shown else ""
            self.out.print(f"[dim]see why:[/] [cyan]{escape(command)}[/]{value}")
        self.out.print()

    def overruled(self, item, correct: bool) -> None:
        self.out.print(f"[yellow]overruled:[/] {item.id} now counts as {'right' if correct else 'wrong'}")

    def wait_for_end(self, session) -> None:
        """After the last question, one more prompt so the last grading can be overruled too."""
        while session.last_graded is not None and not session.options.exam:
            response = self.out.input("[dim]Enter for your summary (o overrules the last grading)[/] > ")
            if response.strip().casefold() != "o":
                return
            session.overrule()
            return


def practice_summary(summary, exam: bool) -> None:
    from mlquiz.safetext import terminal as escape
    from rich.table import Table

    out = console()
    if exam and summary.reviewed:
        report = Table(title="exam report")
        for column in ("#", "question", "you", "answer", ""):
            report.add_column(column)
        for number, answer in enumerate(summary.reviewed, 1):
            right = answer.verdict.correct if answer.verdict else (answer.rating or 0) >= 3
            given = answer.verdict.given if answer.verdict else f"rated {answer.rating}"
            report.add_row(str(number), answer.item.id, escape(given), escape(answer.item.answer_text),
                           "[green]✓[/]" if right else "[red]✗[/]")
        out.print(report)
        for answer in summary.reviewed:
            if answer.verdict and not answer.verdict.correct:
                out.print(f"[bold]{answer.item.id}[/]: {escape(answer.item.explanation)}")
    table = Table(title="session summary")
    for column in ("topic", "answered", "right", "score"):
        table.add_column(column, justify="left" if column == "topic" else "right")
    total = right_total = 0
    for topic, (n, right) in summary.by_topic().items():
        table.add_row(escape(topic), str(n), str(right), f"{right / n:.0%}")
        total, right_total = total + n, right_total + right
    skipped = sum(1 for a in summary.answers if a.skipped)
    if total:
        table.add_row("[bold]all[/]", str(total), str(right_total), f"[bold]{right_total / total:.0%}[/]")
        out.print(table)
    minutes, seconds = divmod(int(summary.finished - summary.started), 60)
    ended = {"quit": "you quit", "eof": "end of input", "interrupt": "interrupted"}.get(summary.ended_by)
    line = f"{total} answered, {skipped} skipped in {minutes}m {seconds:02d}s"
    out.print(line + (f" ({ended}; every answer is saved)" if ended else ""))
    if summary.weakest_topic:
        out.print(f"weakest topic: [bold]{summary.weakest_topic}[/]  (mlquiz practice -t {summary.weakest_topic})")
    if summary.next_due:
        out.print(f"due in the next 24 hours: {summary.due_next_day}; next review "
                  f"{summary.next_due.strftime('%Y-%m-%d %H:%M')} UTC")


def stats_report(stats, as_json: bool) -> None:
    from rich.console import Group
    from rich.table import Table

    from mlquiz.safetext import terminal as escape

    if stats.skipped:
        print_problems(stats.skipped, heading="skipped")
    print_problems(stats.notes, heading="warning")
    if as_json:
        print_json(stats.to_dict())
        return
    table = Table(title=f"progress: {stats.reviews} reviews")
    for column in ("topic", "questions", "seen", "accuracy", "due now", "due 7d", "recall"):
        table.add_column(column, justify="left" if column == "topic" else "right")
    for t in stats.topics:
        table.add_row(escape(t.topic), str(t.questions), str(t.seen),
                      "-" if t.accuracy is None else f"{t.accuracy:.0%}", str(t.due_now), str(t.due_7_days),
                      "-" if t.recall_probability is None else f"{t.recall_probability:.0%}")
    console().print(Group(table, activity_chart(stats.activity)))


def activity_chart(activity):
    """Reviews per day over the last 30 days as one line of block characters."""
    from rich.text import Text

    blocks = " ▁▂▃▄▅▆▇█"
    top = max((n for _, n in activity), default=0)
    bars = "".join(blocks[0 if n == 0 else max(1, round(8 * n / top))] for _, n in activity) if top else \
        "·" * len(activity)
    first, last = (activity[0][0], activity[-1][0]) if activity else ("", "")
    text = Text(f"activity, {first} .. {last} (max {top}/day)\n")
    text.append(bars, style="green")
    return text


def tolerance_note(item) -> str:
    """' (within 1%)' for a numeric answer, so a candidate sees how close counts as right."""
    tolerance = item.tolerance
    if item.question.type != "numeric" or tolerance is None:
        return ""
    if tolerance.rel == 0 and tolerance.abs == 0:
        return " (exactly)"
    parts = [f"{tolerance.rel * 100:g}%"] if tolerance.rel else []
    parts += [f"±{tolerance.abs:g}"] if tolerance.abs else []
    return f" (within {' or '.join(parts)})"
