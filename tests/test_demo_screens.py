"""Every demo's screen at 60, 80 and 120 columns with NO_COLOR: its charts keep their labels and values."""

import pytest
from rich.console import Console, Group

from mlquiz import charts
from mlquiz.demokit import registry

DEMOS = sorted(registry.all_demos())
WIDTHS = (60, 80, 120)


def parts(renderable):
    """The charts and tables inside a demo's render() result."""
    if isinstance(renderable, Group):
        for inner in renderable.renderables:
            yield from parts(inner)
    else:
        yield renderable


def must_show(part) -> list[str]:
    if isinstance(part, charts._Bars):
        return part.labels + [charts._format(v, part.value_format) for v in part.values]
    if isinstance(part, charts._Lines):
        return [s.name for s in part.figure.series] + [part.figure.x_label]
    return []


def rendered(name: str, width: int):
    """A demo's screen at its defaults, and the text it shows at ``width`` columns."""
    spec = registry.get_demo(name)
    screen = registry.render(spec, registry.compute(spec, spec.defaults()))
    console = Console(width=width, no_color=True, force_terminal=False, record=True)
    console.print(screen)
    return screen, console.export_text()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", DEMOS)
def test_demo_screen_keeps_its_labels(name, width):
    screen, shown = rendered(name, width)
    flat = " ".join(shown.split())
    assert max(len(line) for line in shown.splitlines()) <= width
    for part in parts(screen):
        for label in must_show(part):
            assert " ".join(label.split()) in flat, f"{name} at {width} columns lost {label!r}"


@pytest.mark.parametrize("name", [n for n in DEMOS if registry.get_demo(n).has_figure])
def test_demo_figures_are_complete(name):
    spec = registry.get_demo(name)
    figure = registry.figure(spec, registry.compute(spec, spec.defaults()))
    assert isinstance(figure, charts.Figure) and figure.title and figure.y_label
    assert figure.series and all(len(s.x) == len(s.y) > 1 for s in figure.series)
    if figure.categories:  # bars: one value per labelled category
        assert len(figure.series) == 1 and len(figure.series[0].y) == len(figure.categories)
    else:
        assert figure.x_label


# ----- the same screens in Chinese (mlquiz --lang zh demo NAME)
ZH_WIDTHS = (60, 100)


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


@pytest.fixture
def chinese():
    from mlquiz import i18n

    i18n.use("zh")
    yield
    i18n.use("en")


@pytest.mark.parametrize("width", ZH_WIDTHS)
@pytest.mark.parametrize("name", DEMOS)
def test_demo_screen_in_chinese_fits_and_keeps_its_labels(name, width, chinese):
    from rich.cells import cell_len

    screen, shown = rendered(name, width)
    flat = " ".join(shown.split())
    assert max(cell_len(line) for line in shown.splitlines()) <= width
    assert has_chinese(shown), f"{name}: no Chinese label under --lang zh"
    for part in parts(screen):
        for label in must_show(part):
            assert " ".join(label.split()) in flat, f"{name} at {width} columns lost {label!r}"


@pytest.mark.parametrize("name", [n for n in DEMOS if registry.get_demo(n).has_figure])
def test_demo_figures_in_chinese_are_complete(name, chinese):
    spec = registry.get_demo(name)
    figure = registry.figure(spec, registry.compute(spec, spec.defaults()))
    assert isinstance(figure, charts.Figure) and figure.title and figure.y_label
    assert has_chinese(figure.title), f"{name}: the chart's title is not translated"


@pytest.mark.parametrize("args, env", [
    (["--lang", "zh", "demo", "dead-relu"], {}),
    (["demo", "dead-relu", "--lang", "zh"], {}),
    (["demo", "dead-relu"], {"MLQUIZ_LANG": "zh"}),
    (["demo", "dead-relu"], {"LANG": "zh_CN.UTF-8"}),
])
def test_the_demo_command_prints_in_the_chosen_language(args, env):
    from typer.testing import CliRunner

    from mlquiz.cli.app import app

    result = CliRunner().invoke(app, args, env={"COLUMNS": "100", **env})
    assert result.exit_code == 0, result.output
    assert result.output.startswith("死亡 ReLU  mlquiz demo dead-relu"), result.output[:200]
    assert "Traceback" not in result.output


def test_the_demo_command_in_english_and_its_json_stay_english():
    from typer.testing import CliRunner

    from mlquiz.cli.app import app

    runner = CliRunner()
    english = runner.invoke(app, ["demo", "dead-relu"], env={"COLUMNS": "100"})
    assert english.exit_code == 0 and english.output.startswith("Dead ReLUs  mlquiz demo dead-relu")
    assert not has_chinese(english.output)
    en_json = runner.invoke(app, ["demo", "dead-relu", "--json"]).output
    zh_json = runner.invoke(app, ["--lang", "zh", "demo", "dead-relu", "--json"]).output
    assert en_json == zh_json


@pytest.mark.parametrize("args, env", [
    (["--lang", "zh", "demo", "lstm-gradient"], {}),
    (["demo", "lstm-gradient", "--lang", "zh"], {}),
    (["demo", "lstm-gradient", "--lang=zh", "--seq-len", "3"], {}),
    (["demo", "lstm-gradient"], {"MLQUIZ_LANG": "zh"}),
])
def test_an_unknown_demo_is_one_line_in_the_chosen_language(args, env):
    """The name is checked before any demo command (which would choose the language) exists."""
    from typer.testing import CliRunner

    from mlquiz.cli.app import app

    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 1
    assert result.stderr == "错误：未知的演示 'lstm-gradient'；你是不是想写 'lstm-gradients'？\n"
    english = CliRunner().invoke(app, ["demo", "lstm-gradient"], env={"MLQUIZ_LANG": "en"})
    assert english.stderr == "error: unknown demo 'lstm-gradient'; did you mean 'lstm-gradients'?\n"


def test_a_bad_plot_file_is_one_line_in_the_chosen_language():
    from typer.testing import CliRunner

    from mlquiz.cli.app import app

    result = CliRunner().invoke(app, ["demo", "dead-relu", "--plot", "chart.txt", "--lang", "zh"])
    assert result.exit_code == 1
    assert result.stderr == "错误：--plot chart.txt：请使用以 .png, .svg, .pdf 结尾的文件名\n"


def test_the_demo_list_shows_each_summary_in_the_chosen_language():
    from typer.testing import CliRunner

    from mlquiz.cli.app import app
    from mlquiz.demokit import registry

    runner = CliRunner()
    english = " ".join(runner.invoke(app, ["demo"], env={"COLUMNS": "200", "MLQUIZ_LANG": "en"}).output.split())
    chinese = runner.invoke(app, ["--lang", "zh", "demo"], env={"COLUMNS": "200"}).output
    flat = " ".join(chinese.split())
    for demo in registry.all_demos().values():
        assert demo.summary in english
        assert demo.summary not in flat, f"{demo.name}: its summary is English under --lang zh"
        row = next(line for line in chinese.splitlines() if f" {demo.name} " in line)
        assert has_chinese(row), row
