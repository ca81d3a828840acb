"""Claim: a ReLU unit whose pre-activation is <= 0 for every input is dead: its output is 0, so the
gradient of each of its parameters is exactly 0 and they stop changing. They are not 0 (the
source note's "parameters stay 0" is wrong); they are frozen, so the unit stays dead. Leaky ReLU
keeps a slope of 0.01 below zero, so the same units still receive gradient.

The network: x (n_samples, n_in) with non-negative inputs (like pixels, or the outputs of a
previous ReLU layer) -> Linear(n_in, n_units) -> ReLU -> Linear(n_units, 1), squared loss on a
linear teacher's targets. At the defaults (seed 0), one SGD step with a too-large learning
rate (100) leaves 42 of 100 units dead (3 were dead at initialisation); --cause shift (every
bias lowered by 1) leaves 44 dead. A further step with a sensible learning rate (0.1) moves none
of the dead units' parameters under ReLU and revives none (in the net wrecked by the big step,
its huge gradients kill 47 more); under leaky ReLU every dead unit's parameters move.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlquiz.errors import DemoInputError

META = {
    "title": "Dead ReLUs",
    "summary": "a big negative shift or a too-large SGD step kills ReLU units: zero gradient, frozen weights",
    "topics": ["gradients", "fundamentals"],
    "params": {
        "cause": {"type": "choice", "default": "big_step", "choices": ["big_step", "shift"],
                  "help": "what kills units: one SGD step with learning rate --lr, or biases lowered by --shift"},
        "lr": {"type": "float", "default": 100.0, "min": 0.0, "max": 1000000.0,
               "help": "learning rate of the one big SGD step (--cause big_step)"},
        "shift": {"type": "float", "default": 1.0, "min": 0.0, "max": 1000000.0,
                  "help": "amount subtracted from every hidden bias (--cause shift)"},
        "n_units": {"type": "int", "default": 100, "min": 1, "max": 2000,
                    "help": "ReLU units in the hidden layer"},
        "n_in": {"type": "int", "default": 10, "min": 1, "max": 1000,
                 "help": "input features"},
        "n_samples": {"type": "int", "default": 1000, "min": 1, "max": 100000,
                      "help": "examples in the dataset (a unit is dead if no example activates it)"},
        "leaky_slope": {"type": "float", "default": 0.01, "min": 0.0001, "max": 0.5,
                        "help": "leaky ReLU's slope below zero (PyTorch default 0.01)"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295,
                 "help": "seed for the data, the teacher and the initial weights"},
    },
    "outputs": {
        "cause": "what killed the units",
        "n_units": "hidden units",
        "dead_fraction_before": "share of units dead at initialisation (no input gives z > 0)",
        "n_dead_before": "number of units dead at initialisation",
        "dead_fraction_after": "share of units dead after the big step or the shift",
        "n_dead_after": "number of units dead after it",
        "dead_grad_norm_relu_max": "largest gradient norm (W column, bias, readout weight) of a dead unit, ReLU: 0",
        "dead_grad_norm_leaky_min": "smallest gradient norm of the same units with leaky ReLU: > 0",
        "live_grad_norm_relu_mean": "mean gradient norm of the live units with ReLU, for scale",
        "dead_weight_norm_min": "smallest ||W[:, j]|| among dead units: > 0, the weights are not zero",
        "dead_bias_mean": "mean bias of the dead units (pushed below zero)",
        "dead_param_change_relu_max": "largest parameter change of a dead unit in a further SGD step, ReLU: 0",
        "dead_param_change_leaky_min": "smallest parameter change of a dead unit in that step, leaky ReLU: > 0",
        "n_dead_after_further_step": "dead units after the further ReLU step (more if the big step wrecked the net)",
        "n_revived_relu": "units dead before the further ReLU step and alive after it: 0, a dead unit stays dead",
        "n_zero_grad_units_leaky": "units with an all-zero gradient under leaky ReLU: 0",
        "loss_before": "loss at initialisation",
        "loss_after": "loss after the big step or the shift",
    },
}

MAX_ACTIVATIONS = 2_000_000  # n_samples * n_units floats per array (z, a, dz): ~16 MB each
MAX_FLOPS = 50_000_000  # n_samples * n_units * n_in multiply-adds per matmul: well under a second
FURTHER_LR = 0.1  # a sensible learning rate for this problem: the further step shows who still learns


@dataclass(frozen=True)
class DeadRelu:
    cause: str
    n_units: int
    dead_fraction_before: float
    n_dead_before: int
    dead_fraction_after: float
    n_dead_after: int
    dead_grad_norm_relu_max: float | None
    dead_grad_norm_leaky_min: float | None
    live_grad_norm_relu_mean: float | None
    dead_weight_norm_min: float | None
    dead_bias_mean: float | None
    dead_param_change_relu_max: float | None
    dead_param_change_leaky_min: float | None
    n_dead_after_further_step: int
    n_revived_relu: int
    n_zero_grad_units_leaky: int
    loss_before: float
    loss_after: float


def dead_units(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n_units,) bool: True where z = X W + b is <= 0 for every row of X, so ReLU outputs 0 everywhere.

    Parameters
    ----------
    X : (n_samples, n_in).  W : (n_in, n_units).  b : (n_units,).
    """
    return np.max(X @ W + b, axis=0) <= 0


def loss_and_grads(params: dict, X: np.ndarray, t: np.ndarray, slope: float) -> tuple[float, dict]:
    """Squared loss of the two-layer net and its gradients; ``slope`` 0 is ReLU, > 0 leaky ReLU.

    Parameters
    ----------
    params : ``W`` (n_in, n_units), ``b`` (n_units,), ``v`` (n_units,), ``c`` (scalar array, shape ()).
    X : (n_samples, n_in).  t : (n_samples,) targets.

    Returns
    -------
    loss, and gradients with the same keys and shapes as ``params``.

    Notes
    -----
    :math:`z = XW + b`, :math:`a = \\max(z, s z)`, :math:`\\hat y = a v + c`,
    :math:`L = \\frac{1}{2N}\\sum_i (\\hat y_i - t_i)^2`. For a unit with :math:`z_{ij} \\le 0` for all
    :math:`i` and :math:`s = 0`: :math:`a_{\\cdot j} = 0` and :math:`f'(z_{\\cdot j}) = 0`, so
    :math:`\\partial L/\\partial W_{\\cdot j}`, :math:`\\partial L/\\partial b_j` and
    :math:`\\partial L/\\partial v_j` are all exactly 0.
    """
    n_samples = X.shape[0]
    z = X @ params["W"] + params["b"]
    a = np.where(z > 0, z, slope * z)
    diff = a @ params["v"] + params["c"] - t
    loss = 0.5 * float(np.mean(diff**2))
    dy = diff / n_samples  # dL / d y_hat
    dz = np.outer(dy, params["v"]) * np.where(z > 0, 1.0, slope)  # through the readout, then the activation
    grads = {"W": X.T @ dz, "b": dz.sum(axis=0), "v": a.T @ dy, "c": dy.sum()}
    return loss, grads


def _unit_norms(grads: dict) -> np.ndarray:
    """(n_units,) norm of each unit's own parameters: its W column, its bias and its readout weight."""
    return np.sqrt(np.sum(grads["W"] ** 2, axis=0) + grads["b"] ** 2 + grads["v"] ** 2)


def _sgd(params: dict, grads: dict, lr: float) -> dict:
    return {name: params[name] - lr * grads[name] for name in params}


def compute(cause: str = "big_step", lr: float = 100.0, shift: float = 1.0, n_units: int = 100, n_in: int = 10,
            n_samples: int = 1000, leaky_slope: float = 0.01, seed: int = 0) -> DeadRelu:
    """Kill ReLU units by a big SGD step or a bias shift; show their gradients are 0 and leaky ReLU's are not."""
    if n_samples * n_units > MAX_ACTIVATIONS or n_samples * n_units * n_in > MAX_FLOPS:
        from mlquiz.i18n import _

        raise DemoInputError(
            _("n_samples * n_units = {activations} (times n_in: {flops}) is too large to run quickly; keep "
              "n_samples*n_units <= {max_activations} and n_samples*n_units*n_in <= {max_flops}").format(
                activations=n_samples * n_units, flops=n_samples * n_units * n_in,
                max_activations=MAX_ACTIVATIONS, max_flops=MAX_FLOPS)
        )
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 1.0, (n_samples, n_in))  # non-negative, like pixels or a previous ReLU's outputs
    t = X @ rng.standard_normal(n_in)  # a linear teacher
    params = {
        "W": rng.standard_normal((n_in, n_units)) * math.sqrt(2.0 / n_in),  # He init
        "b": np.zeros(n_units),
        "v": rng.standard_normal(n_units) / math.sqrt(n_units),
        "c": np.zeros(()),
    }
    dead_before = dead_units(X, params["W"], params["b"])
    loss_before, grads = loss_and_grads(params, X, t, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        if cause == "big_step":
            params = _sgd(params, grads, lr)
        else:
            params = dict(params, b=params["b"] - shift)
        dead = dead_units(X, params["W"], params["b"])
        loss_after, grads_relu = loss_and_grads(params, X, t, 0.0)
        _, grads_leaky = loss_and_grads(params, X, t, leaky_slope)
    if not (math.isfinite(loss_after) and all(np.all(np.isfinite(g)) for g in grads_leaky.values())):
        from mlquiz.i18n import _

        raise DemoInputError(_("the big step overflowed float64; lower --lr"))

    relu_norms, leaky_norms = _unit_norms(grads_relu), _unit_norms(grads_leaky)
    # The further step with a sensible learning rate; each unit's change is measured, not inferred.
    after_relu, after_leaky = _sgd(params, grads_relu, FURTHER_LR), _sgd(params, grads_leaky, FURTHER_LR)
    change_relu = _unit_norms({k: after_relu[k] - params[k] for k in ("W", "b", "v")})
    change_leaky = _unit_norms({k: after_leaky[k] - params[k] for k in ("W", "b", "v")})
    dead_further = dead_units(X, after_relu["W"], after_relu["b"])
    any_dead, any_live = bool(dead.any()), bool((~dead).any())
    return DeadRelu(
        cause=cause,
        n_units=n_units,
        dead_fraction_before=float(dead_before.mean()),
        n_dead_before=int(dead_before.sum()),
        dead_fraction_after=float(dead.mean()),
        n_dead_after=int(dead.sum()),
        dead_grad_norm_relu_max=float(relu_norms[dead].max()) if any_dead else None,
        dead_grad_norm_leaky_min=float(leaky_norms[dead].min()) if any_dead else None,
        live_grad_norm_relu_mean=float(relu_norms[~dead].mean()) if any_live else None,
        dead_weight_norm_min=float(np.linalg.norm(params["W"][:, dead], axis=0).min()) if any_dead else None,
        dead_bias_mean=float(params["b"][dead].mean()) if any_dead else None,
        dead_param_change_relu_max=float(change_relu[dead].max()) if any_dead else None,
        dead_param_change_leaky_min=float(change_leaky[dead].min()) if any_dead else None,
        n_dead_after_further_step=int(dead_further.sum()),
        n_revived_relu=int(np.sum(dead & ~dead_further)),
        n_zero_grad_units_leaky=int(np.sum(leaky_norms == 0)),
        loss_before=loss_before,
        loss_after=loss_after,
    )


def render(result: DeadRelu):
    from rich.console import Group

    from mlquiz.charts import draw, key_values
    from mlquiz.i18n import _

    def fmt(value):
        return "-" if value is None else f"{value:.4g}"

    chart = draw(figure(result))
    table = key_values(
        _("the dead units"),
        [
            (_("share dead before -> after"), f"{result.dead_fraction_before:.0%} -> {result.dead_fraction_after:.0%}"),
            (_("max gradient norm, ReLU"), fmt(result.dead_grad_norm_relu_max)),
            (_("min gradient norm, leaky ReLU"), fmt(result.dead_grad_norm_leaky_min)),
            (_("mean gradient norm of live units"), fmt(result.live_grad_norm_relu_mean)),
            (_("min weight norm (not zero)"), fmt(result.dead_weight_norm_min)),
            (_("mean bias"), fmt(result.dead_bias_mean)),
            (_("change in a further step, ReLU"), fmt(result.dead_param_change_relu_max)),
            (_("change in a further step, leaky"), fmt(result.dead_param_change_leaky_min)),
            (_("revived by the further step, ReLU"), str(result.n_revived_relu)),
        ],
    )
    return Group(chart, table)


def figure(result: DeadRelu):
    from mlquiz.charts import Figure
    from mlquiz.i18n import _

    event = _("one too-large SGD step") if result.cause == "big_step" else _("a negative bias shift")
    return Figure.bars(_("Dead units out of {n}").format(n=result.n_units), [_("at initialisation"), _("after {event}").format(event=event)],
                       [result.n_dead_before, result.n_dead_after], y_label=_("dead units"), value_format="{:d}")
