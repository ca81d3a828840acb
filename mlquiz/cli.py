"""The command line: argument parsing only. Each command calls the library and prints one result.

Imports stay light here (typer and our error types); everything else is imported inside the
command that needs it, so ``mlquiz --help`` starts fast and never imports numpy.
"""

from __future__ import annotations

from pathlib import Path

import typer
from typer.core import TyperGroup

from mlquiz import __version__
from mlquiz.cli_demo import demo_app
from mlquiz.errors import MlquizError


class MlquizGroup(TyperGroup):
    """Turns a user's mistake (MlquizError) into one line on stderr and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MlquizError as exc:
            from mlquiz.render import print_error

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


def _version(value: bool):
    if value:
        typer.echo(f"mlquiz {__version__}")
        raise typer.Exit()


@app.callback()
def root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Show the version and exit.")):
    """Machine-learning interview practice whose answers are proven by NumPy demos."""


@app.command("list")
def list_banks(bank: list[Path] = BankOption, json: bool = JsonOption):
    """List the question banks with their topics and question counts.

    Example: mlquiz list --json
    """
    from mlquiz import catalog, render

    render.bank_list(catalog.load(bank or []), json)


@app.command()
def verify(paths: list[Path] = typer.Argument(None, help="Bank files or folders (default: the shipped banks)."),
           strict: bool = typer.Option(False, "--strict", help="Also fail on numeric answers no demo backs."),
           json: bool = JsonOption):
    """Check banks: schema, ids, templates, and every demo-backed number recomputed.

    Example: mlquiz verify questions/gradients.yaml
    """
    from mlquiz import render
    from mlquiz.verify import verify as run_verify

    report = render.with_progress("verifying", lambda progress: run_verify(paths or None, strict=strict,
                                                                           progress=progress), quiet=json)
    render.verify_report(report, json)
    if not report.ok:
        raise typer.Exit(1)


def main() -> None:
    app()
