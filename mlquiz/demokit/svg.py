"""Demo figures as inline SVG, for the HTML study sheet: no matplotlib, no network, same bytes every run.

Draws the same ``mlquiz.charts.Figure`` as the terminal chart and ``--plot``: one polyline per
series, a legend, whole-decade ticks on a log axis, and the figure's caption under it.
"""

from __future__ import annotations

import math
from html import escape

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 34, 46  # margins for tick labels, title and the x label
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
DASHES = ("", "6 3", "2 2", "8 3 2 3")  # told apart in print, too


def figure_svg(figure, *, made_by: str = "") -> str:
    """An ``<svg>`` element (a string) drawing ``figure``: bars for categories, lines otherwise."""
    if figure.categories:
        return _bars_svg(figure)
    from mlquiz.charts import axis_ticks, plottable

    log = figure.log_y
    series = [[(x, y) for x, y in zip(s.x, s.y) if plottable(y, log) and plottable(x, False)] for s in figure.series]
    ys = [math.log10(y) if log else y for points in series for _, y in points]
    xs = [x for points in series for x, _ in points]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(figure.title)}" class="figure">',
             f'<title>{escape(figure.title)}</title>',
             f'<text x="{WIDTH / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">'
             f'{escape(figure.title)}</text>']
    if not ys:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">no finite values</text></svg>')
        return "".join(parts)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    ticks, low, high = axis_ticks(ys, log, 6)
    x_low, x_high = min(xs), max(xs)
    x_span = (x_high - x_low) or 1.0

    def px(x: float) -> float:
        return LEFT + plot_w * (x - x_low) / x_span

    def py(value: float) -> float:
        return TOP + plot_h * (high - value) / (high - low)

    parts.append(f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#888"/>')
    for value, label in ticks:
        y = py(value)
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
                     f'{_tick(label, log)}</text>')
    for x in (x_low, x_high):
        parts.append(f'<text x="{px(x):.1f}" y="{TOP + plot_h + 15}" text-anchor="middle" font-size="11">'
                     f'{escape(_number(x))}</text>')
    parts.append(f'<text x="{LEFT + plot_w / 2}" y="{TOP + plot_h + 32}" text-anchor="middle" font-size="12">'
                 f'{escape(figure.x_label)}</text>')
    parts.append(f'<text transform="translate(14 {TOP + plot_h / 2}) rotate(-90)" text-anchor="middle" '
                 f'font-size="12">{escape(figure.y_label + (" (log scale)" if log else ""))}</text>')
    for index, points in enumerate(series):
        color, dash = COLORS[index % len(COLORS)], DASHES[index % len(DASHES)]
        coords = " ".join(f"{px(x):.1f},{py(math.log10(y) if log else y):.1f}" for x, y in points)
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"{dashed}>'
                     f'<title>{escape(figure.series[index].name)}</title></polyline>')
        legend_y = TOP + 14 + 16 * index
        parts.append(f'<line x1="{LEFT + plot_w - 170}" x2="{LEFT + plot_w - 146}" y1="{legend_y - 4}" '
                     f'y2="{legend_y - 4}" stroke="{color}" stroke-width="2"{dashed}/>'
                     f'<text x="{LEFT + plot_w - 140}" y="{legend_y}" font-size="11">'
                     f'{escape(figure.series[index].name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _tick(label: str, log: bool) -> str:
    if log and label.startswith("1e"):
        return f'10<tspan dy="-5" font-size="8">{escape(label[2:])}</tspan>'
    return escape(label)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3g}"


def _bars_svg(figure) -> str:
    """One horizontal bar per category, labelled with its value; log bars over whole decades."""
    from mlquiz.charts import _bar_lengths, _format

    values = list(figure.series[0].y)
    label_w = 8 + 7 * max(len(c) for c in figure.categories)
    bar_w = WIDTH - label_w - 90
    lengths, scale = _bar_lengths(values, log=figure.log_y, width=1000)
    row = 22
    height = TOP + row * len(values) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'aria-label="{escape(figure.title)}" class="figure">',
             f'<title>{escape(figure.title)}</title>',
             f'<text x="{WIDTH / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">'
             f'{escape(figure.title)}</text>']
    for index, (category, value, length) in enumerate(zip(figure.categories, values, lengths)):
        y = TOP + row * index
        width = bar_w * length / 1000
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12">{escape(category)}</text>'
                     f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{width:.1f}" height="{row - 6}" '
                     f'fill="{COLORS[2]}"><title>{escape(category)}: {escape(_format(value, figure.value_format))}'
                     f'</title></rect>'
                     f'<text x="{label_w + width + 6:.1f}" y="{y + 14}" font-size="11">'
                     f'{escape(_format(value, figure.value_format))}</text>')
    note = (figure.y_label + (f"; {scale}" if scale else "")).strip("; ")
    parts.append(f'<text x="{label_w}" y="{height - 8}" font-size="11" fill="#555">{escape(note)}</text></svg>')
    return "".join(parts)
