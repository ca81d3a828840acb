"""Claim: a gradient that passes through L layers is multiplied by one factor per layer, so it
scales like factor**L: 1.1**100 = 13780.61 explodes, 0.9**100 = 2.656e-5 vanishes.

Backpropagation multiplies the local derivatives of every layer on the path (the chain rule).
If each layer contributes the same factor, the product is geometric in depth; only a factor of
exactly 1 keeps the gradient's scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

META = {
    "title": "Gradient through a chain of layers",
    "summary": "factor**layers: why per-layer factors above 1 explode and below 1 vanish (1.1**100, 0.9**100)",
    "topics": ["gradients"],
    "params": {
        "factor": {"type": "float", "default": 1.1, "min": 0.0, "max": 10.0,
                   "help": "the local derivative each layer multiplies the gradient by"},
        "layers": {"type": "int", "default": 100, "min": 1, "max": 10000,
                   "help": "how many layers the gradient passes through"},
    },
    "outputs": {
        "factor": "the per-layer factor",
        "layers": "the number of layers",
        "product": "factor ** layers, the gradient's scale after all layers",
        "log10_product": "log10 of the product (finite even when the product overflows)",
        "depths": "depths at which the chart samples the product",
        "products": "factor ** depth at each sampled depth",
        "layers_to_double": "layers until the scale doubles or halves (null when factor is 1 or 0)",
    },
}

CHART_POINTS = 10  # depths shown in the chart; more rows would not fit a terminal screen


@dataclass(frozen=True)
class GradientChain:
    factor: float
    layers: int
    product: float
    log10_product: float
    depths: np.ndarray
    products: np.ndarray
    layers_to_double: float | None


def compute(factor: float = 1.1, layers: int = 100) -> GradientChain:
    """The product ``factor**depth`` for depth 1..layers, sampled for a chart.

    Notes
    -----
    With per-layer Jacobian factor :math:`a`, :math:`\\partial L/\\partial x_0 = a^L \\, \\partial L/\\partial x_L`.
    """
    depths = np.unique(np.linspace(1, layers, num=min(CHART_POINTS, layers)).round().astype(int))
    # Powers of float64: an overflow to inf is the honest answer for, say, 10**10000.
    with np.errstate(over="ignore", under="ignore"):
        products = np.float64(factor) ** depths
        product = float(np.float64(factor) ** layers)
    log10_product = float(layers * np.log10(factor)) if factor > 0 else float("-inf")
    # factor**n = 2 (or 1/2)  <=>  n = log 2 / |log factor|
    layers_to_double = None if factor in (0.0, 1.0) else float(np.log(2) / abs(np.log(factor)))
    return GradientChain(factor, layers, product, log10_product, depths, products, layers_to_double)


def render(result: GradientChain):
    from rich.console import Group

    from mlquiz.charts import draw, key_values
    from mlquiz.i18n import _

    if result.factor > 1:
        title = _("factor {factor} over {layers} layers: the gradient explodes")
    elif result.factor < 1:
        title = _("factor {factor} over {layers} layers: the gradient vanishes")
    else:
        title = _("factor {factor} over {layers} layers: the gradient stays at 1")
    summary = key_values(
        title.format(factor=result.factor, layers=result.layers),
        [
            (_("factor ** layers"), f"{result.product:.10g}"),
            (_("log10 of it"), f"{result.log10_product:.4f}"),
            (_("layers to double/halve"),
             _("never") if result.layers_to_double is None else f"{result.layers_to_double:.2f}"),
        ],
    )
    return Group(summary, draw(figure(result)))


def figure(result: GradientChain):
    """The gradient's scale by depth, on a log axis: a straight line whose slope is log10(factor)."""
    from mlquiz.charts import Figure, Series
    from mlquiz.i18n import _

    return Figure(_("Gradient scale by depth: factor {factor:g} per layer").format(factor=result.factor),
                  _("layers passed"), _("gradient scale"),
                  (Series(f"{result.factor:g}**depth", tuple(result.depths), tuple(float(p) for p in result.products)),),
                  log_y=True)
