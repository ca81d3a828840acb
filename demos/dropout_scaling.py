"""Claim: inverted dropout (PyTorch, Keras) zeroes each unit with the DROP probability p and divides
the survivors by the keep probability 1 - p, so the expected activation in training equals the
input and eval mode is the identity. With p = 0.5 the survivors are doubled (scale 2); with p = 0.2
they are scaled by 1.25, not by 1/0.2 = 5 (dividing by the drop probability would make the expected
activation (1 - p) / p = 4 times the input).

The older variant (Srivastava et al. 2014) trains without scaling, so the training expectation is
(1 - p) x, and multiplies by 1 - p at test time to match it; forgetting that test-time factor makes
test activations 1 / (1 - p) times their training expectation. Either way only the mean is kept:
the second moment of an inverted-dropout unit is x**2 / (1 - p), twice x**2 at p = 0.5.

A Monte Carlo run over ``trials`` masks estimates the training mean; it matches the input mean
within a few standard errors, and the fraction of zeroed units is p.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

META = {
    "title": "Dropout: inverted scaling 1/(1-p)",
    "summary": "inverted dropout divides by the keep probability 1-p: same expected activation, eval = identity",
    "topics": ["regularization", "fundamentals"],
    "params": {
        "p": {"type": "float", "default": 0.5, "min": 0.0, "max": 0.99,
              "help": "drop probability (PyTorch p, Keras rate), not the keep probability"},
        "n_units": {"type": "int", "default": 1000, "min": 1, "max": 100000,
                    "help": "units in the layer (activations dropped independently)"},
        "trials": {"type": "int", "default": 1000, "min": 2, "max": 100000,
                   "help": "Monte Carlo masks drawn in training mode"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295, "help": "random seed"},
    },
    "outputs": {
        "p": "drop probability",
        "keep_prob": "keep probability 1 - p",
        "scale": "factor applied to the kept units in training, 1 / (1 - p)",
        "n_units": "units in the layer",
        "trials": "Monte Carlo masks",
        "input_mean": "mean activation of the input x (eval-mode output of inverted dropout)",
        "mc_mean_inverted": "Monte Carlo mean of the training-mode output of inverted dropout",
        "mc_standard_error": "standard error of mc_mean_inverted, sqrt(p / (1 - p) * mean(x**2) / (n_units * trials))",
        "mc_z": "(mc_mean_inverted - input_mean) / mc_standard_error; null when p = 0",
        "fraction_zeroed": "fraction of units the masks zeroed (about p)",
        "eval_max_abs_diff": "max |eval-mode output - x| of inverted dropout (0: the identity)",
        "classic_train_mc_mean": "MC mean of the older variant's unscaled training output, about (1 - p) * input_mean",
        "classic_test_mean": "mean test output of the older variant, (1 - p) * input_mean",
        "no_test_scaling_ratio": "test / training expectation if the older variant omits its test factor: 1 / (1 - p)",
        "wrong_divisor_ratio": "expected output / input if dividing by p instead of 1 - p: (1 - p) / p; null for p = 0",
        "second_moment_ratio": "E[y**2] / x**2 of inverted dropout in training, 1 / (1 - p)",
        "mc_second_moment_ratio": "Monte Carlo mean(y**2) / mean(x**2)",
    },
}

MAX_DRAWS = 5_000_000  # n_units * trials: 40 MB of float64, well under a second


@dataclass(frozen=True)
class DropoutScaling:
    p: float
    keep_prob: float
    scale: float
    n_units: int
    trials: int
    input_mean: float
    mc_mean_inverted: float
    mc_standard_error: float
    mc_z: float | None
    fraction_zeroed: float
    eval_max_abs_diff: float
    classic_train_mc_mean: float
    classic_test_mean: float
    no_test_scaling_ratio: float
    wrong_divisor_ratio: float | None
    second_moment_ratio: float
    mc_second_moment_ratio: float


def dropout_forward(x: np.ndarray, p: float, *, train: bool, keep: np.ndarray | None = None,
                    inverted: bool = True) -> np.ndarray:
    """Dropout with drop probability ``p``.

    Parameters
    ----------
    x : (..., n_units) activations
    train : training mode (apply the mask) or eval mode
    keep : boolean mask broadcastable with x, True where a unit is kept (P = 1 - p); for training
    inverted : True for inverted dropout (PyTorch, Keras); False for the older variant

    Returns
    -------
    y : shaped like x

    Notes
    -----
    Inverted: :math:`y = m \\odot x / (1-p)` in training, :math:`y = x` in eval, so
    :math:`E[y] = x` in both. Older variant: :math:`y = m \\odot x` in training and
    :math:`y = (1-p)\\,x` at test time, :math:`m_i \\sim \\mathrm{Bernoulli}(1-p)`.
    """
    if not train:
        return x if inverted else (1.0 - p) * x
    y = np.where(keep, x, 0.0)
    return y / (1.0 - p) if inverted else y


def compute(p: float = 0.5, n_units: int = 1000, trials: int = 1000, seed: int = 0) -> DropoutScaling:
    """Monte Carlo check of inverted dropout's expectation against the exact values."""
    from mlquiz.errors import DemoInputError
    from mlquiz.i18n import _

    if n_units * trials > MAX_DRAWS:
        raise DemoInputError(
            _("--n-units x --trials = {draws:,} draws is too many; keep it under {limit:,}").format(
                draws=n_units * trials, limit=MAX_DRAWS))
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 2.0, n_units)  # positive activations, as after a ReLU, mean about 1
    keep = rng.random((trials, n_units)) >= p  # kept with probability 1 - p

    y = dropout_forward(x, p, train=True, keep=keep)
    mc_mean = float(y.mean())
    # Each y_i = x_i * Bernoulli(1 - p) / (1 - p) has variance x_i**2 * p / (1 - p), independently
    # over units and masks. Exact rather than estimated from the masks: with p near 0 almost no
    # unit is dropped and an estimated spread would be 0.
    standard_error = float(np.sqrt(p / (1 - p) * np.mean(x**2) / (n_units * trials)))
    input_mean = float(x.mean())

    classic_train = dropout_forward(x, p, train=True, keep=keep, inverted=False)
    classic_test = dropout_forward(x, p, train=False, inverted=False)
    return DropoutScaling(
        p=p,
        keep_prob=1.0 - p,
        scale=1.0 / (1.0 - p),
        n_units=n_units,
        trials=trials,
        input_mean=input_mean,
        mc_mean_inverted=mc_mean,
        mc_standard_error=standard_error,
        mc_z=(mc_mean - input_mean) / standard_error if standard_error > 0 else None,
        fraction_zeroed=float(1.0 - keep.mean()),
        eval_max_abs_diff=float(np.max(np.abs(dropout_forward(x, p, train=False) - x))),
        classic_train_mc_mean=float(classic_train.mean()),
        classic_test_mean=float(classic_test.mean()),
        no_test_scaling_ratio=1.0 / (1.0 - p),
        wrong_divisor_ratio=(1.0 - p) / p if p > 0 else None,
        second_moment_ratio=1.0 / (1.0 - p),
        mc_second_moment_ratio=float(np.mean(y**2) / np.mean(x**2)),
    )


def render(result: DropoutScaling):
    from rich.console import Group

    from mlquiz.charts import draw, key_values
    from mlquiz.i18n import _

    r = result
    summary = key_values(
        _("dropout, drop probability p = {p:g}").format(p=r.p),
        [
            (_("keep probability 1 - p"), f"{r.keep_prob:.4g}"),
            (_("training scale 1 / (1 - p)"), f"{r.scale:.6g}"),
            (_("fraction zeroed"), f"{r.fraction_zeroed:.4f}"),
            (_("input mean"), f"{r.input_mean:.5f}"),
            (_("Monte Carlo training mean"), f"{r.mc_mean_inverted:.5f} ± {r.mc_standard_error:.5f}"),
            ("z = (MC - input) / SE", "-" if r.mc_z is None else f"{r.mc_z:+.2f}"),
            (_("eval mode: max |y - x|"), f"{r.eval_max_abs_diff:g}"),
            (_("mean y² / x² in training"), f"{r.second_moment_ratio:.4g} (MC {r.mc_second_moment_ratio:.4g})"),
        ],
    )
    summary.caption = _("{trials} random masks over {units} units").format(trials=r.trials, units=r.n_units)
    return Group(summary, draw(figure(result)))


def figure(result: DropoutScaling):
    from mlquiz.charts import Figure
    from mlquiz.i18n import _

    r = result
    labels = [_("input x"), _("inverted, train"), _("inverted, eval"), _("older, train"), _("older, test"),
              _("older, test, no factor"), _("divided by p")]
    values = [r.input_mean, r.mc_mean_inverted, r.input_mean, r.classic_train_mc_mean, r.classic_test_mean,
              r.input_mean, None if r.wrong_divisor_ratio is None else r.wrong_divisor_ratio * r.input_mean]
    return Figure.bars(_("Mean activation by dropout variant and mode"), labels, values,
                       y_label=_("mean activation"))
