"""Claim: plotted layer by layer, the gradient of a deep sigmoid net with Xavier init falls by a
constant factor per layer (a straight line on a log axis), while a ReLU net with He init keeps it
at one level, so a chart of per-layer gradient norms tells the two apart at a glance.

Two MLPs of the same shape (seed 0: 10 hidden layers of width 64, batch 32, random targets; the
network of deep-mlp-gradients) each take one forward and backward pass, and ||dL/dh_l|| is recorded
at every layer l (0 = the input, 10 = the top hidden layer). Net A, sigmoid + Xavier, goes from
0.19 at the top to 9e-8 at the input, 0.23 per layer (sigmoid' is at most 0.25); its norm is below
1e-3 from layer 6 down. Net B, ReLU + He, stays between 0.13 and 0.21 at every layer: He's
variance 2/fan_in makes each layer's Jacobian preserve the norm on average, as ReLU passes half of
the units with slope 1.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlquiz.demos import deep_mlp_gradients

META = {
    "title": "Per-layer gradient norms of two deep MLPs",
    "summary": "||dL/dh|| at every layer of two same-shaped MLPs: sigmoid + Xavier vanishes, ReLU + He holds",
    "topics": ["gradients", "fundamentals"],
    "params": {
        "net_a": {"type": "choice", "default": "sigmoid-xavier",
                  "choices": ["sigmoid-xavier", "tanh-xavier", "relu-he", "relu-xavier", "relu-large",
                              "sigmoid-residual"],
                  "help": "net A: activation and initialisation (relu-large: N(0, 0.5^2) weights; "
                          "sigmoid-residual: sigmoid + Xavier with residual connections)"},
        "net_b": {"type": "choice", "default": "relu-he",
                  "choices": ["sigmoid-xavier", "tanh-xavier", "relu-he", "relu-xavier", "relu-large",
                              "sigmoid-residual"],
                  "help": "net B, the same choices"},
        "depth": {"type": "int", "default": 10, "min": 1, "max": 50, "help": "hidden layers"},
        "width": {"type": "int", "default": 64, "min": 2, "max": 256, "help": "units per hidden layer"},
        "threshold": {"type": "float", "default": 0.001, "min": 1e-30, "max": 1e6,
                      "help": "the norm below which a layer counts as starved"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295,
                 "help": "seed for weights, inputs and targets (the same for both nets)"},
        "view": {"type": "choice", "default": "lines", "choices": ["lines", "bars"],
                 "help": "the chart: both nets as lines, or net A's norm per layer as labelled bars (top layer first)"},
    },
    "outputs": {
        "view": "the chart drawn",
        "net_a": "net A's activation and initialisation",
        "net_b": "net B's",
        "depth": "hidden layers",
        "norms_a": "net A's ||dL/dh_l|| for l = 0..depth (0 = the input, last = the top hidden layer)",
        "norms_b": "net B's",
        "ratio_a": "net A: ||dL/dx|| / ||dL/dh_depth||, the input's gradient over the top layer's",
        "ratio_b": "net B's",
        "per_layer_factor_a": "net A: ratio_a ** (1 / depth)",
        "per_layer_factor_b": "net B's",
        "regime_a": "net A: vanishing (ratio < 1e-2), exploding (> 1e2) or stable",
        "regime_b": "net B's",
        "threshold": "the threshold",
        "layer_below_a": "net A: going down from the top, the first layer whose norm is below the threshold (null if none)",
        "layer_below_b": "net B's",
        "layers_below_a": "net A: how many of the depth + 1 layers have a norm below the threshold",
        "layers_below_b": "net B's",
    },
}

NETS = {  # name -> deep-mlp-gradients parameters
    "sigmoid-xavier": {"activation": "sigmoid", "init": "xavier"},
    "tanh-xavier": {"activation": "tanh", "init": "xavier"},
    "relu-he": {"activation": "relu", "init": "he"},
    "relu-xavier": {"activation": "relu", "init": "xavier"},
    "relu-large": {"activation": "relu", "init": "normal", "init_scale": 0.5},
    "sigmoid-residual": {"activation": "sigmoid", "init": "xavier", "residual": True},
}


@dataclass(frozen=True)
class GradientNormsCompare:
    view: str
    net_a: str
    net_b: str
    depth: int
    norms_a: list
    norms_b: list
    ratio_a: float
    ratio_b: float
    per_layer_factor_a: float
    per_layer_factor_b: float
    regime_a: str
    regime_b: str
    threshold: float
    layer_below_a: int | None
    layer_below_b: int | None
    layers_below_a: int
    layers_below_b: int


def first_below_from_top(norms, threshold: float) -> int | None:
    """The highest layer index whose norm is below ``threshold`` (None if none is)."""
    return next((layer for layer in range(len(norms) - 1, -1, -1) if norms[layer] < threshold), None)


def compute(net_a: str = "sigmoid-xavier", net_b: str = "relu-he", depth: int = 10, width: int = 64,
            threshold: float = 0.001, seed: int = 0, view: str = "lines") -> GradientNormsCompare:
    """One backward pass of each net; the gradient norm at every layer."""
    runs = [deep_mlp_gradients.compute(depth=depth, width=width, seed=seed, **NETS[net]) for net in (net_a, net_b)]
    norms = [[float(v) for v in run.act_grad_norms] for run in runs]
    return GradientNormsCompare(
        view=view, net_a=net_a, net_b=net_b, depth=depth, norms_a=norms[0], norms_b=norms[1],
        ratio_a=runs[0].act_grad_ratio, ratio_b=runs[1].act_grad_ratio,
        per_layer_factor_a=runs[0].per_layer_factor, per_layer_factor_b=runs[1].per_layer_factor,
        regime_a=runs[0].regime, regime_b=runs[1].regime, threshold=threshold,
        layer_below_a=first_below_from_top(norms[0], threshold), layer_below_b=first_below_from_top(norms[1], threshold),
        layers_below_a=sum(v < threshold for v in norms[0]), layers_below_b=sum(v < threshold for v in norms[1]),
    )


def _regime(regime: str) -> str:
    """A regime word of deep_mlp_gradients (English in the result) in the user's language."""
    from mlquiz.i18n import pgettext

    return {"vanishing": pgettext("gradient regime", "vanishing"),
            "exploding": pgettext("gradient regime", "exploding"),
            "stable": pgettext("gradient regime", "stable")}.get(regime, regime)


def figure(result: GradientNormsCompare):
    """Both nets' ||dL/dh|| by layer on a log axis, named only A and B (which is which is the question)."""
    from mlquiz.charts import Figure, Series
    from mlquiz.i18n import _

    if result.view == "bars":  # the values printed: a layer's norm is read exactly
        order = range(result.depth, -1, -1)
        return Figure.bars(_("||dL/dh|| by layer of a {depth}-layer MLP").format(depth=result.depth),
                           [_("layer {layer}").format(layer=layer) for layer in order],
                           [result.norms_a[layer] for layer in order], y_label="||dL/dh||", log_y=True,
                           value_format="{:.2e}",
                           caption=_("{net}: {regime}, {factor:.3g} per layer.").format(
                               net=result.net_a, regime=_regime(result.regime_a), factor=result.per_layer_factor_a))
    layers = tuple(float(layer) for layer in range(result.depth + 1))
    return Figure(_("||dL/dh|| by layer: two {depth}-layer MLPs").format(depth=result.depth),
                  _("layer (0 = input)"), "||dL/dh||",
                  (Series(_("net A"), layers, tuple(result.norms_a)), Series(_("net B"), layers, tuple(result.norms_b))),
                  log_y=True,
                  caption=_("Net A ({net_a}) {regime_a}, {factor_a:.3g} per layer; "
                            "net B ({net_b}) {regime_b}, {factor_b:.3g} per layer.").format(
                      net_a=result.net_a, regime_a=_regime(result.regime_a), factor_a=result.per_layer_factor_a,
                      net_b=result.net_b, regime_b=_regime(result.regime_b), factor_b=result.per_layer_factor_b))


def render(result: GradientNormsCompare):
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import draw
    from mlquiz.i18n import _

    table = Table(title=_("net A = {net_a}, net B = {net_b}").format(net_a=result.net_a, net_b=result.net_b),
                  box=None)
    for column in (_("layer"), _("net A"), _("net B")):
        table.add_column(column, justify="right")
    for layer in range(result.depth, -1, -1):
        table.add_row(str(layer), f"{result.norms_a[layer]:.2e}", f"{result.norms_b[layer]:.2e}")
    table.caption = _("below {threshold:g} from layer {layer_a} (A), {layer_b} (B) down").format(
        threshold=result.threshold, layer_a=result.layer_below_a, layer_b=result.layer_below_b)
    return Group(draw(figure(result)), table)
