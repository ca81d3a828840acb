"""Terminal charts for demos: horizontal bars, optionally on a log10 scale.

Demos return numbers; their render() functions use these to draw them. Plain rich, no numpy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

BAR_WIDTH = 40  # characters for the longest bar; fits an 80-column terminal beside labels and values


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], *, log: bool = False,
              value_format: str = "{:.4g}", width: int = BAR_WIDTH):
    """A rich Table with one bar per value. With ``log=True`` bar length follows log10(value)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, show_header=False, box=None, pad_edge=False)
    table.add_column(justify="right", style="cyan")
    table.add_column()
    table.add_column(justify="right")
    lengths = _bar_lengths(values, log=log, width=width)
    for label, value, length in zip(labels, values, lengths):
        bar = Text("█" * length, style="green" if length else "dim")
        table.add_row(str(label), bar, _format(value, value_format))
    if log:
        table.caption = "bar length ~ log10(value)"
    return table


def _bar_lengths(values: Sequence[float], *, log: bool, width: int) -> list[int]:
    finite = [v for v in values if v is not None and math.isfinite(v) and (v > 0 or not log)]
    if not finite:
        return [0] * len(values)
    if log:
        logs = [math.log10(v) for v in finite]
        low, high = min(logs), max(logs)
        span = (high - low) or 1.0
        return [
            0 if v is None or not math.isfinite(v) or v <= 0 else 1 + round((width - 1) * (math.log10(v) - low) / span)
            for v in values
        ]
    top = max(abs(v) for v in finite) or 1.0
    return [0 if v is None or not math.isfinite(v) else round(width * abs(v) / top) for v in values]


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
