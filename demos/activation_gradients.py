"""Claim: sigmoid' never exceeds 0.25 and tanh' never exceeds 1, both reached only at x = 0 and
both falling with |x| on either side; so through n sigmoid layers the gradient shrinks by at
least 0.25**n (0.25**10 = 9.54e-7) even in the best case. ReLU' is 1 for x > 0 and 0 for x < 0:
it never amplifies (its derivative is in {0, 1}), but it is 0 for half of N(0, 1) inputs.

Identities checked on a grid: sigma' = sigma (1 - sigma), tanh' = 1 - tanh^2 (against the
direct forms e^-x / (1 + e^-x)^2 and 1 / cosh^2 x, and against finite differences). Leaky ReLU
keeps a small slope (0.01) below zero, so its derivative is never 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlquiz.demos._activations import (
    leaky_relu,
    leaky_relu_grad,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    tanh_grad,
)
from mlquiz.errors import DemoInputError

META = {
    "title": "Activation functions and their derivatives",
    "summary": "sigmoid' <= 0.25, tanh' <= 1, ReLU' in {0, 1} (0 for half of N(0,1)); 0.25**n through n sigmoids",
    "topics": ["gradients", "fundamentals"],
    "params": {
        "layers": {"type": "int", "default": 10, "min": 1, "max": 10000,
                   "help": "number of sigmoid layers for the best case 0.25**layers"},
        "x_max": {"type": "float", "default": 6.0, "min": 0.5, "max": 50.0,
                  "help": "the grid runs over [-x_max, x_max]"},
        "grid_points": {"type": "int", "default": 1201, "min": 3, "max": 200001,
                        "help": "points on the grid (odd, so that x = 0 is on it)"},
        "leaky_slope": {"type": "float", "default": 0.01, "min": 0.0, "max": 0.5,
                        "help": "leaky ReLU's slope for x < 0 (PyTorch default 0.01)"},
        "probe_x": {"type": "float", "default": 2.0, "min": -50.0, "max": 50.0,
                    "help": "a point where every derivative is reported, at x and at -x"},
        "n_samples": {"type": "int", "default": 100000, "min": 1, "max": 2000000,
                      "help": "N(0, 1) draws for the Monte Carlo share of inputs with ReLU' = 0"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295,
                 "help": "seed for the Monte Carlo draws"},
    },
    "outputs": {
        "layers": "the number of layers for the best case",
        "leaky_slope": "leaky ReLU's slope below zero",
        "grad_max": "maximum of each derivative on the grid {sigmoid: 0.25, tanh: 1, relu: 1, leaky_relu: 1}",
        "grad_argmax": "x where sigmoid' and tanh' reach their maximum on the grid (0 for both)",
        "grad_min": "minimum of each derivative on the grid (relu: 0, leaky_relu: the slope)",
        "relu_grad_values": "the distinct values ReLU' takes on the grid ([0, 1]: it never amplifies)",
        "relu_never_amplifies": "true when ReLU' <= 1 everywhere on the grid",
        "relu_zero_share_exact": "P(ReLU'(z) = 0) for z ~ N(0, 1), exactly: P(z <= 0) = 0.5",
        "relu_zero_share_mc": "the same share estimated from n_samples seeded N(0, 1) draws",
        "relu_zero_share_se": "standard error of the Monte Carlo share, sqrt(p (1 - p) / n_samples)",
        "mean_grad_normal": "E[f'(z)] for z ~ N(0, 1) per activation (Gauss-Hermite quadrature)",
        "grad_at_probe": "each derivative at x = probe_x",
        "grad_at_minus_probe": "each derivative at x = -probe_x (equal to the above for sigmoid and tanh)",
        "symmetry_error": "max |f'(x) - f'(-x)| on the grid for sigmoid and tanh (0: symmetric)",
        "decreasing_in_abs_x": "true when sigmoid' / tanh' never rise as |x| grows, on both sides of 0",
        "identity_error": "max |sigma(1-sigma) - e^-x/(1+e^-x)^2| and |(1-tanh^2) - 1/cosh^2| on the grid",
        "fd_max_abs_error": "max |f'(x) - centred finite difference| on the grid (absolute: for tiny f' only rounding is left)",
        "sigmoid_best_case": "0.25 ** layers: the largest factor n sigmoid layers can give a gradient",
        "sigmoid_best_case_log10": "log10 of the best case (finite even when the power underflows)",
        "sigmoid_mean_case": "mean_grad_normal.sigmoid ** layers: E[product of sigma'] for independent N(0,1) inputs",
        "tanh_best_case": "1 ** layers: tanh's best case, reached only when every input is exactly 0",
        "chart_x": "x values sampled for the chart",
        "chart_grads": "each derivative at chart_x",
    },
}

FD_STEP = 1e-6  # centred differences: O(h^2) truncation, far below float64 rounding at this h
HERMITE_DEGREE = 80  # Gauss-Hermite nodes; E[sigma'(z)] is converged to ~1e-15 well before 80
CHART_POINTS = 49  # odd, so the chart has a column at x = 0; fits 80 columns beside the labels
NAMES = ("sigmoid", "tanh", "relu", "leaky_relu")


@dataclass(frozen=True)
class ActivationGradients:
    layers: int
    leaky_slope: float
    grad_max: dict
    grad_argmax: dict
    grad_min: dict
    relu_grad_values: list
    relu_never_amplifies: bool
    relu_zero_share_exact: float
    relu_zero_share_mc: float
    relu_zero_share_se: float
    mean_grad_normal: dict
    grad_at_probe: dict
    grad_at_minus_probe: dict
    symmetry_error: dict
    decreasing_in_abs_x: dict
    identity_error: dict
    fd_max_abs_error: dict
    sigmoid_best_case: float
    sigmoid_best_case_log10: float
    sigmoid_mean_case: float
    tanh_best_case: float
    chart_x: np.ndarray
    chart_grads: dict


def functions(leaky_slope: float) -> dict:
    """name -> (f, f') for the four activations, leaky ReLU with ``leaky_slope``."""
    return {
        "sigmoid": (sigmoid, sigmoid_grad),
        "tanh": (np.tanh, tanh_grad),
        "relu": (relu, relu_grad),
        "leaky_relu": (lambda x: leaky_relu(x, leaky_slope), lambda x: leaky_relu_grad(x, leaky_slope)),
    }


def _symmetric_grid(x_max: float, n_points: int) -> np.ndarray:
    """``n_points`` (odd) evenly spaced x in [-x_max, x_max] with x[i] = -x[-1-i] and 0 in the middle, exactly."""
    positive = np.linspace(0.0, x_max, n_points // 2 + 1)[1:]
    return np.concatenate([-positive[::-1], [0.0], positive])


def finite_difference(f, x: np.ndarray, step: float = FD_STEP) -> np.ndarray:
    """Centred difference (f(x + h) - f(x - h)) / 2h, elementwise; ``x`` of any shape."""
    return (f(x + step) - f(x - step)) / (2 * step)


def compute(layers: int = 10, x_max: float = 6.0, grid_points: int = 1201, leaky_slope: float = 0.01,
            probe_x: float = 2.0, n_samples: int = 100000, seed: int = 0) -> ActivationGradients:
    """Derivatives of sigmoid, tanh, ReLU and leaky ReLU on a grid, their maxima and the N(0,1) shares.

    Notes
    -----
    :math:`\\sigma'(x) = \\sigma(x)(1-\\sigma(x)) \\le 1/4` with equality at 0;
    :math:`\\tanh'(x) = 1-\\tanh^2 x \\le 1`; :math:`\\mathrm{ReLU}'(x) = [x > 0]`.
    Through :math:`n` sigmoid layers (ignoring weights) the gradient is scaled by
    :math:`\\prod_l \\sigma'(z_l) \\le 0.25^n`.
    """
    if grid_points % 2 == 0:
        raise DemoInputError(f"--grid-points {grid_points} is even; use an odd number so that x = 0 is on the grid")
    x = _symmetric_grid(x_max, grid_points)
    fns = functions(leaky_slope)
    grads = {name: df(x) for name, (f, df) in fns.items()}

    grad_max = {name: float(g.max()) for name, g in grads.items()}
    grad_min = {name: float(g.min()) for name, g in grads.items()}
    grad_argmax = {name: float(x[np.argmax(grads[name])]) for name in ("sigmoid", "tanh")}
    relu_values = [float(v) for v in np.unique(grads["relu"])]

    # Symmetry: reversing the grid maps x to -x exactly.
    symmetry_error = {name: float(np.max(np.abs(grads[name] - grads[name][::-1]))) for name in ("sigmoid", "tanh")}
    half = grid_points // 2
    decreasing = {
        name: bool(np.all(np.diff(grads[name][half:]) <= 0) and np.all(np.diff(grads[name][: half + 1]) >= 0))
        for name in ("sigmoid", "tanh")
    }
    # The identities against the textbook direct forms (exp(-x) overflows only beyond |x| = 709).
    e = np.exp(-x)
    identity_error = {
        "sigmoid": float(np.max(np.abs(grads["sigmoid"] - e / (1 + e) ** 2))),
        "tanh": float(np.max(np.abs(grads["tanh"] - 1 / np.cosh(x) ** 2))),
    }
    # Finite differences straddling the kink at 0 measure neither side's slope; leave those points out.
    # Absolute error: where tanh' ~ 1e-9 the difference tanh(x+h) - tanh(x-h) is all rounding noise.
    smooth = np.abs(x) > 2 * FD_STEP
    fd_max_abs_error = {
        name: float(np.max(np.abs(grads[name][smooth] - finite_difference(f, x[smooth])))) for name, (f, df) in fns.items()
    }

    # P(z <= 0) for z ~ N(0, 1) is Phi(0) = (1 + erf(0)) / 2.
    share_exact = 0.5 * (1 + math.erf(0.0))
    z = np.random.default_rng(seed).standard_normal(n_samples)
    share_mc = float(np.mean(relu_grad(z) == 0))
    share_se = math.sqrt(share_exact * (1 - share_exact) / n_samples)

    # E[f'(z)] = sum_i w_i f'(t_i) / sum_i w_i with probabilists' Hermite nodes t_i (sum_i w_i = sqrt(2 pi)).
    # The nodes are symmetric and avoid 0, so the step functions ReLU' and leaky' come out exact too.
    nodes, weights = np.polynomial.hermite_e.hermegauss(HERMITE_DEGREE)
    mean_grad = {name: float(weights @ df(nodes) / weights.sum()) for name, (f, df) in fns.items()}

    probe = np.array([probe_x, -probe_x])
    at_probe = {name: df(probe) for name, (f, df) in fns.items()}

    with np.errstate(under="ignore"):
        best = float(np.float64(0.25) ** layers)
        mean_case = float(np.float64(mean_grad["sigmoid"]) ** layers)
    chart_x = _symmetric_grid(x_max, CHART_POINTS)
    return ActivationGradients(
        layers=layers,
        leaky_slope=leaky_slope,
        grad_max=grad_max,
        grad_argmax=grad_argmax,
        grad_min=grad_min,
        relu_grad_values=relu_values,
        relu_never_amplifies=bool(np.all(grads["relu"] <= 1.0)),
        relu_zero_share_exact=share_exact,
        relu_zero_share_mc=share_mc,
        relu_zero_share_se=share_se,
        mean_grad_normal=mean_grad,
        grad_at_probe={name: float(v[0]) for name, v in at_probe.items()},
        grad_at_minus_probe={name: float(v[1]) for name, v in at_probe.items()},
        symmetry_error=symmetry_error,
        decreasing_in_abs_x=decreasing,
        identity_error=identity_error,
        fd_max_abs_error=fd_max_abs_error,
        sigmoid_best_case=best,
        sigmoid_best_case_log10=layers * math.log10(0.25),
        sigmoid_mean_case=mean_case,
        tanh_best_case=1.0**layers,
        chart_x=chart_x,
        chart_grads={name: df(chart_x) for name, (f, df) in fns.items()},
    )


SPARK = " ▁▂▃▄▅▆▇█"  # 9 heights for values 0..1 on a shared scale, so sigmoid's 0.25 looks small


def _sparkline(values) -> str:
    top = len(SPARK) - 1
    return "".join(SPARK[min(top, max(0, round(float(v) * top)))] for v in values)


def render(result: ActivationGradients):
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import key_values
    from mlquiz.i18n import _

    names = {"sigmoid": "sigmoid'", "tanh": "tanh'", "relu": "ReLU'", "leaky_relu": "leaky ReLU'"}
    chart = Table(title=_("derivatives over x (bar height 0..1, same scale for all)"), show_header=False, box=None)
    chart.add_column(style="cyan", justify="right")
    chart.add_column()
    for name, label in names.items():
        chart.add_row(label, _sparkline(result.chart_grads[name]))
    x0, x1 = float(result.chart_x[0]), float(result.chart_x[-1])
    width = len(result.chart_x)
    left, mid, right = f"{x0:g}", "0", f"{x1:g}"
    axis = left + mid.center(width - len(left) - len(right)) + right
    chart.add_row("x", axis)

    rows = [
        (_("max sigmoid' (at x)"), f"{result.grad_max['sigmoid']:.6g} (x = {result.grad_argmax['sigmoid']:g})"),
        (_("max tanh' (at x)"), f"{result.grad_max['tanh']:.6g} (x = {result.grad_argmax['tanh']:g})"),
        (_("ReLU' takes the values"), ", ".join(f"{v:g}" for v in result.relu_grad_values)),
        (_("share of N(0,1) with ReLU' = 0"),
         _("{exact:g} exact, {mc:.4f} ± {se:.4f} MC").format(exact=result.relu_zero_share_exact,
                                                           mc=result.relu_zero_share_mc, se=result.relu_zero_share_se)),
        (_("mean sigmoid'(z), z ~ N(0,1)"), f"{result.mean_grad_normal['sigmoid']:.4f}"),
        (_("mean tanh'(z), z ~ N(0,1)"), f"{result.mean_grad_normal['tanh']:.4f}"),
        (_("best case through {layers} sigmoids").format(layers=result.layers), f"0.25**{result.layers} = {result.sigmoid_best_case:.4g}"),
        (_("sigmoid', tanh' fall with |x|"), _("yes, both sides") if all(result.decreasing_in_abs_x.values()) else _("no")),
    ]
    return Group(chart, key_values(_("activation derivatives"), rows))
