"""The command line: argument parsing only. Each command calls the library and prints one result.

Imports stay light here (typer and our error types); everything else is imported inside the
command that needs it, so ``mlquiz --help`` starts fast and never imports numpy.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer
from typer.core import TyperGroup

from mlquiz import __version__
from mlquiz.cli.demo import demo_app
from mlquiz.cli.language import choose_language
from mlquiz.errors import MlquizError
from mlquiz.i18n import _, label, ngettext


class MlquizGroup(TyperGroup):
    """Turns a user's mistake (MlquizError) into one line on stderr and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MlquizError as exc:
            from mlquiz.cli.render import print_error

            print_error(exc)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=MlquizGroup,
    add_completion=False,
    no_args_is_help=True,
    help="Machine-learning interview practice whose answers are proven by NumPy demos.",
)
app.add_typer(demo_app, name="demo")

BankOption = typer.Option(None, "--bank", "-b", help="Extra bank file or folder (repeatable).")
JsonOption = typer.Option(False, "--json", help="Print JSON instead of tables.")
LangOption = typer.Option(None, "--lang", help="Language of the questions and the interface: en or zh [default: "
                                               "MLQUIZ_LANG, else language in the settings, else the locale].")


def _language(flag: str | None) -> str:
    """Choose the language (mlquiz.i18n.choose) and print the interface in it; returns it."""
    return choose_language(flag)


def _version(value: bool):
    if value:
        typer.echo(f"mlquiz {__version__}")
        raise typer.Exit()


@app.callback()
def root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Show the version and exit."),
         lang: str = typer.Option(None, "--lang", help="Language for every command: en or zh (a command's own "
                                                        "--lang wins).")):
    """Machine-learning interview practice whose answers are proven by NumPy demos."""
    from mlquiz.cli import language

    language.GLOBAL["lang"] = None  # a CliRunner runs many invocations in one process
    if lang is not None:
        from mlquiz import i18n

        # checked here, so `mlquiz --lang tlh practice` is one line naming the languages; then it is what
        # MLQUIZ_LANG would be for the command
        from mlquiz.cli import language

        language.GLOBAL["lang"] = i18n.check(lang, "--lang")


@app.command("list")
def list_banks(bank: list[Path] = BankOption, json: bool = JsonOption, lang: str = LangOption):
    """List the question banks with their topics, question counts and languages (the share translated).

    Example: mlquiz list --json
    """
    language = _language(lang)
    from mlquiz.content import catalog
    from mlquiz.cli import render

    render.bank_list(catalog.load(bank or []), json, language)


@app.command()
def verify(paths: list[Path] = typer.Argument(None, help="Bank files or folders (default: the shipped banks)."),
           bank: list[Path] = typer.Option(None, "--bank", "-b", help="A bank file or folder to check, like PATHS "
                                                                     "(repeatable)."),
           strict: bool = typer.Option(False, "--strict", help="Also fail on numeric answers no demo backs."),
           json: bool = JsonOption, lang: str = LangOption):
    """Check banks: schema, ids, templates, translations, and every demo-backed number recomputed.

    Example: mlquiz verify questions/gradients.yaml
    """
    _language(lang)
    from mlquiz.cli import render
    from mlquiz.content.verify import verify as run_verify

    targets = [*(paths or []), *(bank or [])] or None
    report = render.with_progress(_("verifying"), lambda progress: run_verify(targets, strict=strict,
                                                                           progress=progress), quiet=json)
    render.verify_report(report, json)
    if not report.ok:
        raise typer.Exit(1)


NowOption = typer.Option(None, "--now", envvar="MLQUIZ_NOW", show_envvar=False,
                         help="Act as if it were this time: 2026-12-04T09:00 (local), a date, or +1d, -2h "
                              "(also MLQUIZ_NOW).")
OnlyOption = typer.Option(None, "--only", help="Only this bank: a bank id, or a file or folder, which is then "
                                                "loaded too (repeatable).")


@app.command()
def practice(
    topic: list[str] = typer.Option(None, "--topic", "-t", help="Only this topic (repeatable; any case)."),
    count: int = typer.Option(None, "--count", "-n", min=1, max=500,
                              help="How many questions [default: session_length in the settings, else 10]."),
    bank: list[Path] = BankOption,
    only: list[str] = OnlyOption,
    difficulty: list[str] = typer.Option(None, "--difficulty", "-d", help="easy, medium or hard (repeatable)."),
    tag: list[str] = typer.Option(None, "--tag", help="Only questions with this tag (repeatable)."),
    new: bool = typer.Option(False, "--new", help="Only questions you have never seen."),
    mistakes: bool = typer.Option(False, "--mistakes", help="Only questions you last answered wrong."),
    seed: int = typer.Option(None, "--seed", help="Reproducible order and variants."),
    exam: bool = typer.Option(False, "--exam", help="No feedback until the end, then a scored report."),
    no_save: bool = typer.Option(False, "--no-save", help="Do not record progress."),
    lang: str = LangOption,
    now: str = NowOption,
):
    """Practice: due reviews first, then new questions, scheduled by spaced repetition.

    At a prompt: ? hint, s skip, q quit; after an answer, d runs its demo and o overrules the grading.
    Answers can be piped, one per line.

    Example: mlquiz practice -t lstm -n 5
    """
    from mlquiz import settings as config
    from mlquiz.cli import render
    from mlquiz.practice import session

    lang = _language(lang)
    prefs = config.load()
    options = session.PracticeOptions(count=count or prefs.session_length, topics=tuple(topic or ()),
                                      difficulties=tuple(difficulty or ()), tags=tuple(tag or ()),
                                      only=tuple(only or ()), mode=session.mode_from_flags(new, mistakes), seed=seed,
                                      exam=exam, lang=lang, now=_now(now), settings=prefs)
    try:
        summary = session.practice(options, bank or [], save=not no_save, ui=render.TerminalUI(exam=exam))
        render.practice_summary(summary, exam)
    except KeyboardInterrupt:  # outside a question (loading, the summary): answers are already committed
        render.print_error(_("interrupted; every answer given is saved") if not no_save else _("interrupted"))
        raise typer.Exit(130) from None
    if summary.ended_by == "interrupt":
        raise typer.Exit(130)


def _now(text: str | None):
    from mlquiz.practice.scheduler import parse_now

    if not text:
        return None
    try:
        return parse_now(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--now / MLQUIZ_NOW") from None


@app.command()
def stats(bank: list[Path] = BankOption, json: bool = JsonOption, now: str = NowOption, lang: str = LangOption):
    """Progress per topic: seen, known (last answer right), accuracy, due now and within 7 days; 30 days of activity.

    Example: mlquiz stats --json
    """
    _language(lang)
    from mlquiz.cli import render
    from mlquiz.practice.stats import load_stats

    render.stats_report(load_stats(bank or [], _now(now)), json)


@app.command()
def where(json: bool = JsonOption):
    """Where mlquiz keeps your progress, its caches and its settings.

    Example: mlquiz where
    """
    _language(None)  # the global --lang, MLQUIZ_LANG, the settings or the locale
    from mlquiz import paths
    from mlquiz.cli import render

    render.locations(paths.locations(), json)


@app.command()
def config(json: bool = JsonOption):
    """Show the settings in force and the file they come from (docs/settings.md explains each).

    Example: mlquiz config
    """
    _language(None)
    from mlquiz import settings
    from mlquiz.cli import render

    render.settings_report(settings.load(), json)


@app.command()
def show(question_id: str = typer.Argument(..., help="The question's id, as in mlquiz search or an exam report."),
         bank: list[Path] = BankOption, json: bool = JsonOption,
         lang: str = LangOption):
    """One question in full: answer, explanation, every variant, its demo, and your history with it.

    --json follows the mlquiz.show/1 schema (docs/show-and-search.md).

    Example: mlquiz show cnn-output-size --json
    """
    lang = _language(lang)
    from mlquiz.cli import render
    from mlquiz.practice.lookup import show as lookup

    render.question_card(lookup(question_id, bank or [], lang), json)


@app.command()
def search(text: list[str] = typer.Argument(None, help="Words that must all appear (id, prompt, options, "
                                                        "explanation, tags); none lists every question."),
           topic: list[str] = typer.Option(None, "--topic", "-t", help="Only this topic (repeatable)."),
           tag: list[str] = typer.Option(None, "--tag", help="Only questions with this tag (repeatable)."),
           type: list[str] = typer.Option(None, "--type", help="Only this question type (repeatable)."),
           bank: list[Path] = BankOption, only: list[str] = OnlyOption, json: bool = JsonOption,
           lang: str = LangOption):
    """Find questions by text; --json follows the mlquiz.search/1 schema (docs/show-and-search.md).

    Example: mlquiz search "forget gate" --topic lstm
    """
    lang = _language(lang)
    from mlquiz.cli import render
    from mlquiz.content.describe import search as run_search
    from mlquiz.content import catalog
    from mlquiz.content.filters import make_filters

    loaded = catalog.load_with_only(bank or [], only or [])
    filters = make_filters(loaded.questions, loaded.banks, topics=topic, tags=tag, types=type, only=only)
    render.search_results(run_search(loaded.questions, " ".join(text or []), filters, lang=lang), json)


@app.command()
def reset(topic: list[str] = typer.Option(None, "--topic", "-t", help="Only this topic's progress (repeatable)."),
          question: list[str] = typer.Option(None, "--question", "-q", help="Only this question (repeatable)."),
          yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
          bank: list[Path] = BankOption):
    """Forget progress: all of it, a topic's or a question's. Asks first; keeps a copy of the store.

    Example: mlquiz reset --topic lstm
    """
    _language(None)
    from mlquiz.cli import render
    from mlquiz.practice import lookup, scheduler

    plan = lookup.plan_reset(bank or [], topic or (), question or ())
    if not plan.reviews and not plan.questions:
        typer.echo(_("nothing to forget for {what}").format(what=plan.what))
        return
    if not yes and not render.confirm_reset(plan):
        typer.echo(_("nothing was changed"))
        raise typer.Exit(1)
    backup = lookup.reset(plan, scheduler.utc_now())
    typer.echo(_("forgot {reviews} reviews of {questions} questions ({what}); a copy of the store before is at "
                 "{backup}").format(reviews=plan.reviews, questions=plan.questions, what=plan.what, backup=backup))


bank_app = typer.Typer(help="Create question banks.", no_args_is_help=True)
app.add_typer(bank_app, name="bank")


@bank_app.command("new")
def bank_new(name: str = typer.Argument(..., help="Bank id, e.g. my-course."),
             dir: Path = typer.Option(Path("."), "--dir", help="Folder to write NAME.yaml in.")):
    """Write a commented starter bank with one working example of every question type.

    Example: mlquiz bank new my-course --dir banks/
    """
    _language(None)
    from mlquiz.content.scaffold import new_bank

    path = new_bank(name, dir)
    typer.echo(_("wrote {path}; check it with: mlquiz verify {path}").format(path=path))


export_app = typer.Typer(help="Export banks to Anki, Moodle (GIFT) or Markdown.", no_args_is_help=True)
app.add_typer(export_app, name="export")
TopicOption = typer.Option(None, "--topic", "-t", help="Only this topic (repeatable).")
ExportOnlyOption = typer.Option(None, "--only", help="Only this bank: a bank id, or a file or folder, which is then "
                                                    "loaded too (repeatable). Without it every loaded bank is exported.")
VariantsOption = typer.Option(1, "--variants", min=1, max=100, help="Concrete variants per parameterized question.")


def _export(fmt: str, out: Path, bank, only, topic, variants, deck_by: str = "bank", lang: str | None = None) -> None:
    lang = _language(lang)
    from mlquiz.cli import render
    from mlquiz.export import export

    result = export(fmt, out, extra_banks=bank or [], only=only or [], topics=topic or [], variants=variants,
                    deck_by=deck_by, lang=lang,
                    warn=lambda problems: render.print_problems(problems, heading=label("skipped:")))
    line = _("wrote {path}: {items} items from {questions} questions").format(
        path=result.path, items=result.items, questions=result.questions)
    if result.figures:
        line += ", " + ngettext("{count} figure", "{count} figures", result.figures).format(count=result.figures)
    typer.echo(line + "".join(f"; {note}" for note in result.notes))


@export_app.command("anki")
def export_anki(out: Path = typer.Argument(..., help="The .apkg file to write."), bank: list[Path] = BankOption,
                only: list[str] = ExportOnlyOption,
                topic: list[str] = TopicOption, variants: int = VariantsOption,
                deck_by: str = typer.Option("bank", "--deck-by", help="One deck per 'bank' or per 'topic'."),
                lang: str = LangOption):
    """Write an Anki package; re-importing an edited bank updates notes instead of duplicating them.

    Example: mlquiz export anki mlquiz.apkg --topic lstm
    """
    if deck_by not in ("bank", "topic"):
        raise typer.BadParameter("use bank or topic", param_hint="--deck-by")
    _export("anki", out, bank, only, topic, variants, deck_by, lang)


@export_app.command("gift")
def export_gift(out: Path = typer.Argument(..., help="The GIFT text file to write."), bank: list[Path] = BankOption,
                only: list[str] = ExportOnlyOption,
                topic: list[str] = TopicOption, variants: int = VariantsOption, lang: str = LangOption):
    """Write Moodle GIFT, with numeric tolerances in GIFT's absolute form.

    Example: mlquiz export gift quiz.txt --only my-course.yaml
    """
    _export("gift", out, bank, only, topic, variants, lang=lang)


@export_app.command("markdown")
def export_markdown(out: Path = typer.Argument(..., help="The Markdown file to write."),
                    bank: list[Path] = BankOption, only: list[str] = ExportOnlyOption, topic: list[str] = TopicOption,
                    variants: int = VariantsOption, lang: str = LangOption):
    """Write a study sheet by topic: answers, explanations and the demo behind each number.

    Example: mlquiz export markdown study.md -t cnn
    """
    _export("markdown", out, bank, only, topic, variants, lang=lang)


@export_app.command("html")
def export_html(out: Path = typer.Argument(..., help="The .html file to write."),
                bank: list[Path] = BankOption, only: list[str] = ExportOnlyOption, topic: list[str] = TopicOption,
                variants: int = VariantsOption, lang: str = LangOption):
    """Write one self-contained HTML study sheet by topic, with each demo's figure as inline SVG;
    it opens offline and prints as a handout.

    Example: mlquiz export html sheet.html -t lstm
    """
    _export("html", out, bank, only, topic, variants, lang=lang)


def main() -> None:
    app()
