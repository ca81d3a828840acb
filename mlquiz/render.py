"""Everything the CLI prints: tables, JSON, errors. The library returns data; this draws it."""

from __future__ import annotations

import json as jsonlib
import sys


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def print_json(data) -> None:
    sys.stdout.write(jsonlib.dumps(data, indent=2, ensure_ascii=False) + "\n")


def print_error(exc: Exception) -> None:
    """One line per problem on stderr; never a traceback."""
    from rich.markup import escape

    err = console(stderr=True)
    problems = getattr(exc, "problems", None)
    lines = [str(p) for p in problems] if problems else [str(exc)]
    for line in lines:
        err.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True)


def print_problems(problems, *, heading: str, style: str = "yellow") -> None:
    from rich.markup import escape

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
        table.add_row(bank["id"], bank["title"], str(bank["questions"]),
                      ", ".join(f"{t} ({n})" for t, n in bank["topics"].items()))
    console().print(table)


def verify_report(report, as_json: bool) -> None:
    from rich.table import Table

    if as_json:
        print_json(report.to_dict())
        return
    print_problems(report.warnings, heading="warning")
    print_problems(report.problems, heading="error", style="bold red")
    table = Table(title="mlquiz verify")
    for column in ("bank", "file", "questions", "variants", "demo checks", "unverified", "problems"):
        table.add_column(column, justify="left" if column in ("bank", "file") else "right")
    for s in report.summaries:
        table.add_row(s.bank or "-", s.path, str(s.questions), str(s.variants), str(s.demo_checks),
                      str(s.unverified), f"[red]{s.problems}[/]" if s.problems else "0")
    out = console()
    out.print(table)
    if report.ok:
        out.print(f"[green]ok[/]: {len(report.summaries)} bank files, every demo-backed number recomputed")
    else:
        out.print(f"[red]failed[/]: {len(report.problems)} problems")


def demo_list(as_json: bool) -> None:
    from rich.table import Table

    from mlquiz import registry

    demos = registry.all_demos()
    if as_json:
        print_json([{"name": d.name, "title": d.title, "summary": d.summary, "topics": list(d.topics),
                     "params": [p.name for p in d.params], "outputs": list(d.outputs)} for d in demos.values()])
        return
    table = Table(title=f"{len(demos)} demos: mlquiz demo NAME [--json]  (NAME --help for its options)")
    table.add_column("demo", style="cyan", no_wrap=True)
    table.add_column("shows")
    for demo in demos.values():
        table.add_row(demo.name, demo.summary)
    console().print(table)


def demo_result(spec, values: dict, as_json: bool) -> None:
    from mlquiz import registry

    result = registry.compute(spec, values)
    if as_json:
        print_json({"demo": spec.name, "params": registry.to_jsonable(values),
                    "result": registry.to_jsonable(result)})
        return
    out = console()
    out.print(f"[bold]{spec.title}[/]  [dim]{spec.command(values)}[/]")
    out.print(registry.render(spec, result))
