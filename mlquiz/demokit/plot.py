"""Image plots of demo figures with matplotlib, the optional ``plot`` extra.

matplotlib is imported here only, and only when a plot is asked for: it costs half a second to
import and most users never need it. The figure is drawn from the same ``mlquiz.charts.Figure``
the terminal chart uses, so the two can never disagree.
"""

from __future__ import annotations

from pathlib import Path

from mlquiz.errors import MlquizError
from mlquiz.i18n import msg

FORMATS = (".png", ".svg", ".pdf")
INSTALL = "pip install 'mlquiz[plot]'"


def check_target(path: str | Path) -> Path:
    """The plot file to write, checked before any work is done; MlquizError with the fix if unusable."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise MlquizError(msg("--plot {path}: use a file ending in {formats}", path=path, formats=", ".join(FORMATS)))
    if not path.parent.is_dir():
        raise MlquizError(msg("--plot {path}: folder {folder} does not exist; create it or choose another", path=path,
                               folder=path.parent))
    _pyplot()
    return path


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: never open a window or need a display
        import matplotlib.pyplot as plt
    except ImportError:
        raise MlquizError(msg("--plot needs matplotlib, which is not installed; install it with: {command}",
                               command=INSTALL)) from None
    return plt


def save_figure(figure, path: str | Path, *, made_by: str) -> Path:
    """Draw ``figure`` to ``path`` (PNG, SVG or PDF by its suffix); the caption names ``made_by``."""
    import textwrap

    path = check_target(path)
    if figure is None:
        raise MlquizError(msg("this demo has no chart to plot"))
    plt = _pyplot()

    plt.rcParams["svg.fonttype"] = "none"  # SVG text stays text: searchable, selectable, smaller
    fig, ax = plt.subplots(figsize=(7.5, 4.5), layout="constrained")
    markers = "os^Dv<>p"
    if figure.categories:  # a bar chart: one bar per category, labels on the axis
        values = [v if v is not None and (v > 0 or not figure.log_y) else float("nan") for v in figure.series[0].y]
        ax.barh(range(len(values)), values, color="#2ca02c")
        ax.set_yticks(range(len(values)), figure.categories)
        ax.invert_yaxis()  # the first category on top, as in the terminal
        if figure.log_y:
            ax.set_xscale("log")
        ax.set_xlabel(figure.y_label + (" (log scale)" if figure.log_y else ""))
    for index, series in enumerate(figure.series if not figure.categories else ()):
        pairs = [(x, y) for x, y in zip(series.x, series.y) if y is not None and (y > 0 or not figure.log_y)]
        if pairs:
            xs, ys = zip(*pairs)
            ax.plot(xs, ys, marker=markers[index % len(markers)], markersize=3, linewidth=1.5, label=series.name)
    if not figure.categories:
        if figure.log_y:
            ax.set_yscale("log")
        ax.set_xlabel(figure.x_label)
        ax.set_ylabel(figure.y_label + (" (log scale)" if figure.log_y else ""))
    ax.set_title(figure.title)
    ax.grid(True, which="major", alpha=0.3)
    if len(figure.series) > 1:
        ax.legend()
    caption = "\n".join(textwrap.wrap(figure.caption, 140) + [f"made by: {made_by}"])
    fig.text(0.01, 0.005, caption, fontsize=7, color="0.35", ha="left", va="bottom")
    lines = caption.count("\n") + 1
    fig.get_layout_engine().set(rect=(0, 0.03 * lines + 0.01, 1, 1 - 0.03 * lines - 0.01))  # room for the caption
    try:
        # no creation date in SVG/PDF: the same figure gives the same bytes (the README's figures diff cleanly)
        fig.savefig(path, dpi=120, metadata={"Software": "mlquiz"} if path.suffix.lower() == ".png" else {"Date": None})
    except OSError as exc:
        raise MlquizError(msg("--plot {path}: cannot write: {reason}", path=path, reason=exc.strerror)) from None
    finally:
        plt.close(fig)
    return path
