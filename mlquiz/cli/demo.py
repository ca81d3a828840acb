"""``mlquiz demo``: a command group whose subcommands are built from each demo's metadata.

Every demo parameter becomes a real option (``--seq-len``) with its help, default and range.
Values arrive as text and are checked by ``Param.coerce``, so a bad value gets our one-line
message (including NaN and out-of-range numbers, which a plain float option would let through).
A demo's command is built only when that demo is named, so ``mlquiz --help`` reads no demo.
"""

from __future__ import annotations

import inspect

import typer
from typer.core import TyperGroup

from mlquiz.demokit.spec import DemoSpec, Param

METAVARS = {"int": "INT", "float": "NUMBER", "choice": "CHOICE", "choices": "LIST", "pair": "N|HxW", "floats": "X,Y,...",
            "matrix": "A,B;C,D", "text": "TEXT"}


class DemoGroup(TyperGroup):
    def list_commands(self, ctx) -> list[str]:
        from mlquiz.demokit import registry

        return list(registry.demo_sources())

    def get_command(self, ctx, name: str):
        from mlquiz.demokit import registry

        if name not in registry.demo_sources():
            return None
        return demo_command(registry.get_demo(name))

    def resolve_command(self, ctx, args):
        from mlquiz.demokit import registry

        if args and not args[0].startswith("-") and args[0] not in registry.demo_sources():
            from mlquiz.cli.language import choose_language

            choose_language(_lang_flag(args[1:]))  # the error is printed before any demo command runs to choose it
            registry.get_demo(args[0])  # raises UnknownDemoError with a did-you-mean
        return super().resolve_command(ctx, args)


def _lang_flag(args: list[str]) -> str | None:
    """The value of a ``--lang LANG`` or ``--lang=LANG`` among a demo command's arguments."""
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--lang="):
            return arg.removeprefix("--lang=")
    return None


def demo_command(spec: DemoSpec):
    """A typer command for one demo: its options come from ``spec.params``."""

    def run(**options):
        from mlquiz.cli import render
        from mlquiz.cli.language import choose_language

        choose_language(options.pop("lang"))
        as_json = options.pop("json")
        plot = options.pop("plot", None)
        scenario = options.pop("scenario", None)
        values = spec.resolve({k: v for k, v in options.items() if v is not None}, scenario)
        render.demo_result(spec, values, as_json, plot, spec.scenario(scenario) if scenario else None)

    parameters = [_option(p) for p in spec.params]
    parameters.append(inspect.Parameter("json", inspect.Parameter.KEYWORD_ONLY, annotation=bool,
                                        default=typer.Option(False, "--json", help="Print the result as JSON.")))
    parameters.append(inspect.Parameter(
        "lang", inspect.Parameter.KEYWORD_ONLY, annotation=str | None,
        default=typer.Option(None, "--lang", metavar="LANG", show_default=False,
                             help="Language of the labels: en or zh [default: MLQUIZ_LANG, else the settings, "
                                  "else the locale].")))
    if spec.scenarios:
        names = ", ".join(s.name for s in spec.scenarios)
        parameters.append(inspect.Parameter(
            "scenario", inspect.Parameter.KEYWORD_ONLY, annotation=str | None,
            default=typer.Option(None, "--scenario", metavar="NAME", show_default=False,
                                 help=f"Start from a named setting that shows one effect: {names}. "
                                      "Options given as well override it.")))
    if spec.has_figure:
        parameters.append(inspect.Parameter(
            "plot", inspect.Parameter.KEYWORD_ONLY, annotation=str | None,
            default=typer.Option(None, "--plot", metavar="FILE",
                                 help="Also draw the chart to FILE (.png, .svg or .pdf; needs pip install 'mlquiz[plot]').")))
    run.__signature__ = inspect.Signature(parameters)
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    run.__doc__ = _help(spec)
    app = typer.Typer(add_completion=False, rich_markup_mode=None)
    app.command(name=spec.name)(run)
    command = typer.main.get_command(app)
    command.name = spec.name
    command.short_help = spec.summary
    return command


def _option(param: Param) -> inspect.Parameter:
    if param.type == "flag":
        default = typer.Option(False, param.option, help=param.help)
        annotation = bool
    else:
        extra = f" [{param.describe_range()}]" if param.describe_range() else ""
        default = typer.Option(None, param.option, help=f"{param.help}{extra} (default: {_show(param)})",
                               metavar=METAVARS[param.type], show_default=False)
        annotation = str | None
    return inspect.Parameter(param.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def _show(param: Param) -> str:
    value = param.coerce(param.default)
    if param.type == "pair":
        return f"{value[0]}x{value[1]}"
    if param.type in ("choices", "floats"):
        return ",".join(map(str, value))
    if param.type == "matrix":
        return ";".join(",".join(map(str, row)) for row in value)
    return str(value)


def _help(spec: DemoSpec) -> str:
    example = spec.command({})
    claim = spec.claim.strip().split("\n\n")[0].replace("\n", " ") if spec.claim else spec.summary
    claim = claim.removeprefix("Claim:").strip()
    plot = f"\n\nPlot: {example} --plot {spec.name}.png" if spec.has_figure else ""
    scenarios = "".join(f"\n\n--scenario {s.name}: {s.look}" for s in spec.scenarios)
    return f"{spec.title}. {claim}\n\nExample: {example} --json{plot}{scenarios}"


demo_app = typer.Typer(
    cls=DemoGroup,
    invoke_without_command=True,
    add_completion=False,
    help="Run a NumPy demo that shows why an answer is true. Without a name, list the demos.\n\n"
         "Example: mlquiz demo gradient-chain --factor 0.9 --layers 100",
)


@demo_app.callback()
def demos(ctx: typer.Context, json: bool = typer.Option(False, "--json", help="List the demos as JSON."),
          lang: str = typer.Option(None, "--lang", metavar="LANG", show_default=False,
                                   help="Language of the list: en or zh [default: MLQUIZ_LANG, else the settings, "
                                        "else the locale].")):
    """List the demos, or run one: mlquiz demo NAME [OPTIONS]."""
    if ctx.invoked_subcommand is None:
        from mlquiz.cli import render
        from mlquiz.cli.language import choose_language

        choose_language(lang)
        render.demo_list(json)
