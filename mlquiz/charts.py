"""Terminal charts for demos: labelled bars and line charts, linear or on a log10 scale.

Demos return numbers; their ``render()`` functions use these to draw them, and their ``figure()``
functions describe a curve once as a ``Figure`` (plain data) that the terminal (``line_chart``),
``--plot`` (matplotlib) and the HTML study sheet (SVG) all draw. Plain rich, no numpy.

Charts measure the width they are given when they are printed, so their labels survive a
60-column terminal; series are told apart by marker as well as colour, so ``NO_COLOR`` loses
nothing. Log axes run over whole decades with a tick at each one (or every second, third ...), so
the same decline always spans the same share of the axis.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

from mlquiz.i18n import _

BAR_WIDTH = 40  # characters for the longest bar; fits an 80-column terminal beside labels and values
MARKERS = "●▲■◆✚○△□"  # one per series: distinct without colour
COLORS = ("green", "magenta", "cyan", "yellow", "red", "blue", "bright_green", "bright_magenta")
CHART_HEIGHT = 12  # rows of plot area: a decline reads at a glance and the chart fits beside a table


@dataclass(frozen=True)
class Series:
    name: str
    x: tuple[float, ...]
    y: tuple[float, ...]


@dataclass(frozen=True)
class Figure:
    """A chart as data: what ``draw``, ``--plot`` and the HTML export draw.

    With ``categories`` it is a bar chart: one series whose ``y`` holds a value per category (``x``
    is then 0, 1, 2 ...); otherwise a line chart of every series over a shared numeric ``x``.
    """

    title: str
    x_label: str
    y_label: str
    series: tuple[Series, ...]
    log_y: bool = False
    caption: str = ""  # one sentence: what to look at
    categories: tuple[str, ...] = ()
    value_format: str = "{:.4g}"  # how a bar's value is printed beside it

    @classmethod
    def bars(cls, title: str, labels, values, *, y_label: str = "", log_y: bool = False, caption: str = "",
             value_format: str = "{:.4g}") -> "Figure":
        labels = tuple(str(label) for label in labels)
        return cls(title, "", y_label, (Series(y_label or title, tuple(range(len(labels))), tuple(values)),),
                   log_y, caption, labels, value_format)


def draw(figure: Figure):
    """The terminal chart of a figure: bars for categories, lines otherwise, with its caption."""
    if not figure.categories:
        return line_chart(figure)
    bars = bar_chart(figure.title, figure.categories, figure.series[0].y, log=figure.log_y,
                     value_format=figure.value_format)
    if not figure.caption:
        return bars
    from rich.console import Group
    from rich.text import Text

    return Group(bars, Text(figure.caption, style="italic"))


def figure_rows(figure: Figure, *, most: int = 12) -> tuple[list[str], list[list[str]]]:
    """A figure as a table (headers, rows) for formats that cannot draw: at most ``most`` rows, evenly
    spaced along x and always including the first and the last."""
    if figure.categories:
        values = figure.series[0].y
        return [figure.y_label or "category", "value"], [[c, _format(v, figure.value_format)]
                                                         for c, v in zip(figure.categories, values)]
    xs = sorted({x for s in figure.series for x in s.x})
    if len(xs) > most:
        xs = [xs[round(i * (len(xs) - 1) / (most - 1))] for i in range(most)]
    lookup = [dict(zip(s.x, s.y)) for s in figure.series]
    rows = [[_short(x)] + [_format(table.get(x), "{:.3g}") for table in lookup] for x in xs]
    return [figure.x_label] + [s.name for s in figure.series], rows


# ----- bars
def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], *, log: bool = False,
              value_format: str = "{:.4g}", width: int = BAR_WIDTH):
    """One bar per value, fitted to the terminal. With ``log=True`` bar length follows log10(value)
    over whole decades, and the caption says which."""
    return _Bars(title, [str(label) for label in labels], list(values), log, value_format, width)


@dataclass
class _Bars:
    title: str
    labels: list[str]
    values: list
    log: bool
    value_format: str
    width: int

    def __rich_console__(self, console, options):
        from rich.cells import cell_len
        from rich.table import Table
        from rich.text import Text

        shown = [_format(v, self.value_format) for v in self.values]
        label_width = max((cell_len(label) for label in self.labels), default=0)  # a Chinese character is 2 cells
        value_width = max((cell_len(text) for text in shown), default=0)
        room = options.max_width - label_width - value_width - 4  # two gaps of two spaces between the columns
        width = max(4, min(self.width, room))
        lengths, scale = _bar_lengths(self.values, log=self.log, width=width)
        table = Table(title=self.title, show_header=False, box=None, pad_edge=False)
        table.add_column(justify="right", style="cyan", no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(justify="right", no_wrap=True)
        for label, text, length in zip(self.labels, shown, lengths):
            table.add_row(label, Text("█" * length, style="green" if length else "dim"), text)
        if scale:
            table.caption = scale
        yield table


def _bar_lengths(values: Sequence[float], *, log: bool, width: int) -> tuple[list[int], str]:
    usable = [v for v in values if plottable(v, log)]
    if not usable:
        return [0] * len(values), ""
    if log:
        low, high = _decades([math.log10(v) for v in usable])
        return ([1 + round((width - 1) * (math.log10(v) - low) / (high - low)) if plottable(v, True) else 0
                 for v in values],
                _("log scale: 1e{low} to 1e{high}, {per_decade:.2g} characters a decade").format(
                    low=low, high=high, per_decade=width / (high - low)))
    top = max(abs(v) for v in usable) or 1.0
    return [round(width * abs(v) / top) if plottable(v, False) else 0 for v in values], ""


def plottable(value, log: bool) -> bool:
    # numbers.Real takes numpy's scalars too: demos hand over np.int64 depths and np.float64 norms
    return (isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
            and (value > 0 or not log))


def _decades(logs: Sequence[float]) -> tuple[int, int]:
    """Whole decades around ``logs``: at least one decade wide."""
    low, high = math.floor(min(logs)), math.ceil(max(logs))
    return (low, high) if high > low else (low, low + 1)


def _format(value, value_format: str) -> str:
    if value is None:
        return "-"
    try:
        return value_format.format(value)
    except (ValueError, TypeError):
        return str(value)


def key_values(title: str, rows: Sequence[tuple[str, object]]):
    """A two-column table of named values."""
    from rich.table import Table

    table = Table(title=title, show_header=False)
    table.add_column(style="cyan")
    table.add_column(justify="right")
    for name, value in rows:
        table.add_row(name, value if isinstance(value, str) else _format(value, "{:.6g}"))
    return table


# ----- lines
def line_chart(figure: Figure, *, height: int = CHART_HEIGHT):
    """The figure's curves on one set of axes, with a legend; fitted to the terminal's width."""
    return _Lines(figure, height)


@dataclass
class _Lines:
    figure: Figure
    height: int

    def __rich_console__(self, console, options):
        from rich.cells import cell_len
        from rich.text import Text

        figure = self.figure
        points = [[(x, y) for x, y in zip(s.x, s.y) if plottable(y, figure.log_y) and plottable(x, False)]
                  for s in figure.series]
        ys = [_y(y, figure.log_y) for series in points for _, y in series]
        xs = [x for series in points for x, _ in series]
        yield Text(figure.title, style="bold", justify="center")
        if not ys:
            yield Text(_("(nothing to plot: no finite values)"), style="dim")
            return
        ticks, low, high = axis_ticks(ys, figure.log_y, self.height // 2)
        tick_labels = {round((self.height - 1) * (high - value) / (high - low)): label for value, label in ticks}
        gutter = max(len(label) for _, label in ticks) + 1
        width = max(10, options.max_width - gutter - 1)
        x_low, x_high = min(xs), max(xs)
        x_span = (x_high - x_low) or 1.0
        grid: list[list[tuple[str, str] | None]] = [[None] * width for _ in range(self.height)]

        def cell(x: float, y: float) -> tuple[int, int]:
            column = round((width - 1) * (x - x_low) / x_span)
            row = round((self.height - 1) * (high - _y(y, figure.log_y)) / (high - low))
            return row, column

        for index, series in reversed(list(enumerate(points))):  # the first series is drawn on top
            mark = (MARKERS[index % len(MARKERS)], COLORS[index % len(COLORS)])
            cells = [cell(x, y) for x, y in series]
            for (r0, c0), (r1, c1) in zip(cells, cells[1:]):  # join neighbours so a curve reads as one
                for column in range(c0 + 1, c1):
                    row = round(r0 + (r1 - r0) * (column - c0) / (c1 - c0))
                    grid[row][column] = grid[row][column] or ("·", mark[1])
            for row, column in cells:
                grid[row][column] = mark
        yield Text(f"{figure.y_label}" + (_(" (log scale)") if figure.log_y else ""), style="dim")
        for row in range(self.height):
            line = Text(tick_labels.get(row, "").rjust(gutter - 1) + ("┤" if row in tick_labels else "│"),
                        style="cyan")
            for entry in grid[row]:
                line.append(entry[0] if entry else " ", style=entry[1] if entry else None)
            yield line
        yield Text(" " * (gutter - 1) + "└" + "─" * width, style="cyan")
        left, right = _short(x_low), _short(x_high)
        middle = figure.x_label
        pad = max(1, width - len(left) - len(right) - cell_len(middle))
        yield Text(" " * gutter + left + " " * (pad // 2) + middle + " " * (pad - pad // 2) + right)
        legend = Text(" " * gutter)
        for index, series in enumerate(figure.series):
            legend.append(f"{MARKERS[index % len(MARKERS)]} {series.name}", style=COLORS[index % len(COLORS)])
            legend.append("   ")
        yield legend
        if figure.caption:
            yield Text(figure.caption, style="italic")


def _y(value: float, log: bool) -> float:
    return math.log10(value) if log else value


def axis_ticks(ys: Sequence[float], log: bool, most: int) -> tuple[list[tuple[float, str]], float, float]:
    """At most about ``most`` (value, label) ticks and the axis range, in axis units (log10 on a log
    axis). Log: whole decades, every one or every n-th; linear: round steps."""
    if log:
        low, high = _decades(ys)
        step = max(1, math.ceil((high - low) / max(1, most)))
        low = high - step * math.ceil((high - low) / step)  # the bottom tick is a whole step down
        values = list(range(high, low - 1, -step))
        label = lambda v: f"1e{v}"  # noqa: E731
    else:
        low, high = min(ys), max(ys)
        if high == low:
            low, high = low - 1, high + 1
        raw = (high - low) / max(1, most * 2 // 3)
        step = 10 ** math.floor(math.log10(raw))
        step *= next(m for m in (1, 2, 5, 10) if m * step >= raw)
        low, high = math.floor(low / step) * step, math.ceil(high / step) * step
        values = [high - i * step for i in range(round((high - low) / step) + 1)]
        label = _short
    return [(v, label(v)) for v in values], low, high


def _short(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e6:
        value = int(value)
    return f"{value:.3g}" if isinstance(value, float) else str(value)
