"""Terminal charts: labels survive 60 columns and NO_COLOR, log axes sit on whole decades."""

import math

import pytest
from hypothesis import given, settings, strategies as st
from rich.console import Console

from mlquiz.charts import Figure, Series, axis_ticks, bar_chart, line_chart

WIDTHS = (60, 80, 120)


def text(renderable, width: int) -> str:
    console = Console(width=width, no_color=True, force_terminal=False, record=True)
    console.print(renderable)
    return console.export_text()


def decay(name: str, start: float, factor: float, n: int = 30) -> Series:
    return Series(name, tuple(range(n)), tuple(start * factor**k for k in range(n)))


FIGURE = Figure("gradient by lag", "steps back", "||g||", (decay("rnn", 1.0, 0.5), decay("lstm", 1.0, 0.9)),
                log_y=True, caption="The LSTM's curve stays above the RNN's.")


@pytest.mark.parametrize("width", WIDTHS)
def test_line_chart_keeps_labels_legend_and_caption_at_every_width(width):
    shown = text(line_chart(FIGURE), width)
    assert max(len(line) for line in shown.splitlines()) <= width
    for label in ("gradient by lag", "steps back", "● rnn", "▲ lstm", "(log scale)", "1e0", "The LSTM's curve"):
        assert label in shown, (label, shown)


def test_series_are_told_apart_without_colour():
    shown = text(line_chart(FIGURE), 80)
    assert "●" in shown and "▲" in shown  # markers, not only colours


def test_log_axis_ticks_are_whole_decades():
    ticks, low, high = axis_ticks([math.log10(3e-9), math.log10(0.2)], True, 6)
    assert high == 0 and low in (-9, -10)  # -10 when ticks go every second decade
    assert all(float(label[2:]).is_integer() for _, label in ticks)
    assert [v for v, _ in ticks] == sorted((v for v, _ in ticks), reverse=True)


@settings(max_examples=50, deadline=None)
@given(st.floats(-200, 200), st.integers(1, 40))
def test_log_axis_always_spans_whole_decades_around_the_data(top, decades):
    ys = [top, top - decades + 0.5]
    ticks, low, high = axis_ticks(ys, True, 6)
    assert low <= min(ys) and high >= max(ys) and float(low).is_integer() and float(high).is_integer()
    assert 2 <= len(ticks) <= 8


def test_the_same_decline_looks_the_same_wherever_it_starts():
    """A fall of two decades covers the same rows whether it starts at 1 or at 1e-30."""
    def rows(start):
        shown = text(line_chart(Figure("t", "x", "y", (Series("s", (0, 1), (start, start / 100)),), log_y=True)), 60)
        plot = [line for line in shown.splitlines() if "┤" in line or "│" in line]
        return [i for i, line in enumerate(plot) if "●" in line]
    assert rows(1.0) == rows(1e-30)


@pytest.mark.parametrize("width", WIDTHS)
def test_bar_chart_keeps_labels_and_values_at_every_width(width):
    labels = ["before clipping", "after clip by norm", "after clip by value"]
    shown = text(bar_chart("gradient norm", labels, [123.4, 1.0, 10.5], log=True), width)
    assert max(len(line) for line in shown.splitlines()) <= width
    for label in labels + ["123.4", "10.5", "1e0 to 1e3"]:
        assert label in shown, (label, shown)


def test_log_bars_follow_whole_decades():
    shown = text(bar_chart("t", ["a", "b"], [1.0, 1e4], log=True, width=41), 80)
    a, b = (line.count("█") for line in shown.splitlines() if line.strip().startswith(("a ", "b ")))
    assert (a, b) == (1, 41)  # 1e0 is the bottom of the axis, 1e4 the top: 10 characters a decade


def test_nothing_finite_says_so():
    shown = text(line_chart(Figure("t", "x", "y", (Series("s", (0, 1), (float("nan"), 0.0)),), log_y=True)), 60)
    assert "nothing to plot" in shown
