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


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", DEMOS)
def test_demo_screen_keeps_its_labels(name, width):
    spec = registry.get_demo(name)
    screen = registry.render(spec, registry.compute(spec, spec.defaults()))
    console = Console(width=width, no_color=True, force_terminal=False, record=True)
    console.print(screen)
    shown = console.export_text()
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
