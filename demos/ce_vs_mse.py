"""Claim: with a sigmoid output a = sigma(z), the gradient of the loss with respect to z is
(a - y) a (1 - a) under MSE (the 1/2 (a - y)^2 convention) but a - y under cross-entropy. The
factor sigma'(z) = a (1 - a) <= 1/4 makes the MSE gradient vanish whenever the unit saturates,
including when it is confidently wrong: at z = -5 with y = 1, a = 0.0067, the MSE gradient is
-0.0066 while the cross-entropy gradient is -0.9933, 150 times larger. MSE's gradient never exceeds
4/27 = 0.148 in size (at a = 1/3 for y = 1); cross-entropy's approaches 1 the more wrong the unit is.

Gradient descent on z alone (a bias, learning rate 1) from z = -5 with y = 1 needs 6 steps under
cross-entropy to reach a > 0.5 and 168 under MSE (from z = -10: 11 against 22,063): the wrong,
saturated unit learns slowly, about e^|z| steps under MSE against |z| under cross-entropy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

META = {
    "title": "Cross-entropy against MSE with a sigmoid output",
    "summary": "dL/dz = (a-y)a(1-a) for MSE but a-y for cross-entropy: why MSE learns slowly when wrong",
    "topics": ["gradients", "fundamentals"],
    "params": {
        "z_quote": {"type": "float", "default": -5.0, "min": -30.0, "max": 30.0,
                    "help": "the pre-activation z at which the scalar answers are quoted"},
        "target": {"type": "int", "default": 1, "min": 0, "max": 1, "help": "the label y, 0 or 1"},
        "z_range": {"type": "float", "default": 10.0, "min": 1.0, "max": 30.0,
                    "help": "the table and chart cover z from -z_range to z_range"},
        "n_points": {"type": "int", "default": 11, "min": 3, "max": 101,
                     "help": "values of z in the table"},
        "learning_rate": {"type": "float", "default": 1.0, "min": 0.001, "max": 100.0,
                          "help": "step size of the gradient descent on z from z_quote"},
    },
    "outputs": {
        "target": "the label y",
        "z": "pre-activations of the table",
        "a": "sigmoid(z)",
        "sigmoid_derivative": "a (1 - a), at most 1/4",
        "grad_mse": "dL/dz for L = 1/2 (a - y)^2: (a - y) a (1 - a)",
        "grad_ce": "dL/dz for L = -y log a - (1 - y) log(1 - a): a - y",
        "z_quote": "the quoted pre-activation",
        "a_quote": "sigmoid(z_quote)",
        "loss_mse_quote": "1/2 (a - y)^2 at z_quote",
        "loss_ce_quote": "cross-entropy at z_quote",
        "grad_mse_quote": "MSE gradient at z_quote",
        "grad_ce_quote": "cross-entropy gradient at z_quote",
        "abs_grad_mse_quote": "|MSE gradient| at z_quote",
        "abs_grad_ce_quote": "|cross-entropy gradient| at z_quote",
        "grad_ratio_ce_over_mse": "|CE gradient| / |MSE gradient| at z_quote = 1 / (a (1 - a))",
        "max_abs_grad_mse": "largest |MSE gradient| over z: 4/27 = 0.148",
        "z_at_max_abs_grad_mse": "where it is reached: z = -ln 2 for y = 1 (a = 1/3), +ln 2 for y = 0",
        "max_sigmoid_derivative": "largest a (1 - a): 1/4 at z = 0",
        "learning_rate": "step size on z",
        "steps_to_correct_ce": "gradient steps on z from z_quote until a is on y's side of 0.5 (cross-entropy)",
        "steps_to_correct_mse": "the same under MSE (null if not within 1,000,000 steps)",
        "steps_ratio_mse_over_ce": "steps_to_correct_mse / steps_to_correct_ce (null if either is 0 or null)",
    },
}

MAX_STEPS = 1_000_000  # the descent loop's cap (~0.5 s): from z = -14, lr 1, MSE needs ~10**6 steps
SEARCH_ITERATIONS = 200  # ternary search for the largest |MSE gradient|: shrinks [-20, 20] to ~1e-34


@dataclass(frozen=True)
class CeVsMse:
    target: int
    z: np.ndarray
    a: np.ndarray
    sigmoid_derivative: np.ndarray
    grad_mse: np.ndarray
    grad_ce: np.ndarray
    z_quote: float
    a_quote: float
    loss_mse_quote: float
    loss_ce_quote: float
    grad_mse_quote: float
    grad_ce_quote: float
    abs_grad_mse_quote: float
    abs_grad_ce_quote: float
    grad_ratio_ce_over_mse: float
    max_abs_grad_mse: float
    z_at_max_abs_grad_mse: float
    max_sigmoid_derivative: float
    learning_rate: float
    steps_to_correct_ce: int
    steps_to_correct_mse: int | None
    steps_ratio_mse_over_ce: float | None


def sigmoid(z):
    """1 / (1 + e^-z), written so that neither branch overflows. Shape of z."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))  # in (0, 1]
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def mse_loss(z, y):
    """1/2 (sigmoid(z) - y)^2, shape of z."""
    return 0.5 * (sigmoid(z) - y) ** 2


def ce_loss(z, y):
    """-y log a - (1 - y) log(1 - a) with a = sigmoid(z), shape of z.

    Notes
    -----
    :math:`-\\log \\sigma(z) = \\mathrm{softplus}(-z)` and
    :math:`-\\log(1 - \\sigma(z)) = \\mathrm{softplus}(z)`, computed as
    :math:`\\max(x, 0) + \\log(1 + e^{-|x|})` so that neither overflows.
    """
    z = np.asarray(z, dtype=np.float64)

    def softplus(x):
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))

    return y * softplus(-z) + (1 - y) * softplus(z)


def grad_mse(z, y):
    """dL/dz for L = 1/2 (a - y)^2: (a - y) * a (1 - a), shape of z.

    Notes
    -----
    Chain rule: :math:`\\partial L/\\partial a = a - y`, :math:`\\partial a/\\partial z = a(1-a)`.
    """
    a = sigmoid(z)
    return (a - y) * a * (1.0 - a)


def grad_ce(z, y):
    """dL/dz for the binary cross-entropy: a - y, shape of z.

    Notes
    -----
    :math:`\\partial L/\\partial a = (a - y) / (a (1 - a))`; the sigmoid's :math:`a(1-a)` cancels it.
    """
    return sigmoid(z) - y


def steps_to_correct(z0: float, y: int, learning_rate: float, loss: str) -> int | None:
    """Gradient steps z <- z - lr * dL/dz until sigmoid(z) is on y's side of 0.5 (z > 0 for y = 1).

    ``loss`` is "ce" or "mse". Plain floats and ``math``: a million numpy scalar calls would take 10 s.
    Returns None if the output is still wrong after MAX_STEPS steps.
    """
    sign = 1.0 if y == 1 else -1.0  # for y = 0 mirror the problem: correct means z < 0
    z = float(z0)
    for step in range(MAX_STEPS + 1):
        if sign * z > 0.0:
            return step
        a = 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
        dz = a - y if loss == "ce" else (a - y) * a * (1.0 - a)
        z -= learning_rate * dz
    return None


def _argmax_abs_grad_mse(y: int) -> float:
    """The z where |(a - y) a (1 - a)| peaks, by ternary search (the function is unimodal in z)."""
    lo, hi = -20.0, 20.0
    for _ in range(SEARCH_ITERATIONS):
        left, right = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        if abs(grad_mse(left, y)) < abs(grad_mse(right, y)):
            lo = left
        else:
            hi = right
    return 0.5 * (lo + hi)


def compute(z_quote: float = -5.0, target: int = 1, z_range: float = 10.0, n_points: int = 11,
            learning_rate: float = 1.0) -> CeVsMse:
    """Both gradients over a grid of z and at z_quote, their maxima, and steps to recover from z_quote."""
    y = target
    z = np.linspace(-z_range, z_range, n_points)
    a = sigmoid(z)
    z_peak = _argmax_abs_grad_mse(y)
    a_quote = float(sigmoid(z_quote))
    g_mse, g_ce = float(grad_mse(z_quote, y)), float(grad_ce(z_quote, y))
    steps_ce = steps_to_correct(z_quote, y, learning_rate, "ce")
    steps_mse = steps_to_correct(z_quote, y, learning_rate, "mse")
    return CeVsMse(
        target=y,
        z=z,
        a=a,
        sigmoid_derivative=a * (1.0 - a),
        grad_mse=grad_mse(z, y),
        grad_ce=grad_ce(z, y),
        z_quote=z_quote,
        a_quote=a_quote,
        loss_mse_quote=float(mse_loss(z_quote, y)),
        loss_ce_quote=float(ce_loss(z_quote, y)),
        grad_mse_quote=g_mse,
        grad_ce_quote=g_ce,
        abs_grad_mse_quote=abs(g_mse),
        abs_grad_ce_quote=abs(g_ce),
        grad_ratio_ce_over_mse=abs(g_ce) / abs(g_mse) if g_mse != 0 else math.inf,
        max_abs_grad_mse=float(abs(grad_mse(z_peak, y))),
        z_at_max_abs_grad_mse=z_peak,
        max_sigmoid_derivative=float(sigmoid(0.0) * (1.0 - sigmoid(0.0))),  # a(1-a) peaks where a = 1/2
        learning_rate=learning_rate,
        steps_to_correct_ce=steps_ce,
        steps_to_correct_mse=steps_mse,
        steps_ratio_mse_over_ce=steps_mse / steps_ce if steps_mse and steps_ce else None,
    )


def render(result: CeVsMse):
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import key_values
    from mlquiz.i18n import _

    table = Table(title=_("dL/dz with a sigmoid output, y = {target}").format(target=result.target), box=None)
    for column in ("z", "a", "a(1-a)", "MSE", "CE", "CE / MSE"):
        table.add_column(column, justify="right")
    rows = zip(result.z, result.a, result.sigmoid_derivative, result.grad_mse, result.grad_ce)
    for z, a, d, gm, gc in rows:
        ratio = f"{abs(gc) / abs(gm):.4g}" if gm != 0 else "-"
        table.add_row(f"{z:.3g}", f"{a:.4g}", f"{d:.4g}", f"{gm:+.4g}", f"{gc:+.4g}", ratio)
    table.caption = _("MSE = 1/2 (a - y)^2 gives (a - y) a (1 - a); cross-entropy gives a - y")

    def steps(value):
        return _("more than 1,000,000") if value is None else str(value)

    facts = key_values(_("at z = {z:g}, y = {target}").format(z=result.z_quote, target=result.target), [
        ("a = sigmoid(z)", f"{result.a_quote:.6g}"),
        (_("MSE gradient / CE gradient"), f"{result.grad_mse_quote:+.6g} / {result.grad_ce_quote:+.6g}"),
        (_("CE gradient is larger by"), f"{result.grad_ratio_ce_over_mse:.6g} x"),
        (_("largest |MSE gradient| (at z)"),
         f"{result.max_abs_grad_mse:.6g} ({result.z_at_max_abs_grad_mse:.4g})"),
        (_("steps to a correct output, lr {lr:g}: CE").format(lr=result.learning_rate), steps(result.steps_to_correct_ce)),
        (_("... and MSE"), steps(result.steps_to_correct_mse)),
    ])
    return Group(table, facts)
