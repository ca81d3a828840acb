"""Claim: BatchNorm on a batch you can work by hand. In train mode each feature (column) is
normalised with its batch mean and its biased variance (divide by N), so every output column has
mean beta and variance gamma**2 * var / (var + eps); the running statistics then move 10% of the way
to the batch's mean and its UNBIASED variance (divide by N - 1). In eval mode the layer is the fixed
affine map gamma * (x - running_mean) / sqrt(running_var + eps) + beta, and nothing is updated.

Conventions (PyTorch ``nn.BatchNorm1d`` on an (N, C) input): eps = 1e-5 inside the square root;
``running = (1 - momentum) * running + momentum * batch`` with momentum 0.1, running_var taking the
batch variance times N / (N - 1); initial buffers running_mean 0 and running_var 1, initial
gamma 1 and beta 0. Train mode needs N > 1 (PyTorch refuses one value per channel). Expected at
the defaults (batch rows 1, 2; 3, 6; 5, 4): feature means 3 and 4, biased variances 8/3 and 8/3
(unbiased 4 and 4), normalised column (-1.22474, 0, 1.22474) for feature 0, and new running_mean
(0.3, 0.4), running_var (1.3, 1.3). Keras's momentum is the weight of the old value (0.99 there is
PyTorch's 0.01) and its epsilon defaults to 1e-3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

META = {
    "title": "BatchNorm step on a given batch: train and eval mode",
    "summary": "BatchNorm1d on a batch you give: batch mean, biased variance, outputs, running-stat update (unbiased)",
    "topics": ["batchnorm"],
    "params": {
        "batch": {"type": "matrix", "default": "1, 2; 3, 6; 5, 4", "min": -1000000.0, "max": 1000000.0,
                  "help": "the (N, C) input of BatchNorm1d: rows are examples, columns are features, "
                          "e.g. '1,2;3,6;5,4'"},
        "mode": {"type": "choice", "default": "train", "choices": ["train", "eval"],
                 "help": "train: normalise with the batch statistics and update the running ones; "
                         "eval: normalise with the given running statistics"},
        "gamma": {"type": "floats", "default": "1", "min": -1000.0, "max": 1000.0,
                  "help": "scale gamma, one per feature or one for all (PyTorch starts at 1)"},
        "beta": {"type": "floats", "default": "0", "min": -1000.0, "max": 1000.0,
                 "help": "shift beta, one per feature or one for all (PyTorch starts at 0)"},
        "running_mean": {"type": "floats", "default": "0", "min": -1000000.0, "max": 1000000.0,
                         "help": "running_mean before this batch, one per feature or one for all (PyTorch starts at 0)"},
        "running_var": {"type": "floats", "default": "1", "min": 0.0, "max": 1000000000000.0,
                        "help": "running_var before this batch, one per feature or one for all (PyTorch starts at 1)"},
        "momentum": {"type": "float", "default": 0.1, "min": 0.0, "max": 1.0,
                     "help": "weight of the batch statistic in the running update (PyTorch convention: 0.1)"},
        "eps": {"type": "float", "default": 1e-05, "min": 0.0, "max": 1.0,
                "help": "added to the variance inside the square root (PyTorch: 1e-5)"},
    },
    "outputs": {
        "mode": "train or eval",
        "n_batch": "examples N (rows of the batch)",
        "features": "features C (columns of the batch)",
        "mean": "per-feature batch mean (list by feature: mean.0 is feature 0)",
        "var": "per-feature biased batch variance, sum of squares / N",
        "var_unbiased": "per-feature unbiased batch variance, sum of squares / (N - 1) (what running_var takes)",
        "norm_mean": "per-feature mean the normalisation subtracts: the batch mean in train, running_mean in eval",
        "norm_var": "per-feature variance the normalisation divides by (its square root plus eps): biased "
                    "batch variance in train, running_var in eval",
        "norm_std": "per-feature sqrt(norm_var + eps), the denominator",
        "x_hat": "normalised values (x - norm_mean) / norm_std, rows by example: x_hat.0.1 is example 0, feature 1",
        "output": "gamma * x_hat + beta, rows by example: output.0.1 is example 0, feature 1",
        "output_mean": "per-feature mean of the output (beta in train mode)",
        "output_var": "per-feature biased variance of the output (gamma**2 * var / (var + eps) in train mode)",
        "running_mean": "per-feature running_mean after the step (unchanged in eval mode)",
        "running_var": "per-feature running_var after the step (unchanged in eval mode)",
        "gamma": "per-feature gamma used",
        "beta": "per-feature beta used",
        "running_var_if_biased": "what running_var would be after a train step that took the BIASED variance (the "
                                 "common mistake; PyTorch uses the unbiased one); running_var in eval mode",
    },
}

SHOWN_ROWS = 8  # rows of the per-example table that fit the screen; further rows follow the same rule
SHOWN_FEATURES = 4  # features whose x_hat and output columns fit 80 columns side by side


@dataclass(frozen=True)
class BatchNormStep:
    mode: str
    n_batch: int
    features: int
    mean: np.ndarray
    var: np.ndarray
    var_unbiased: np.ndarray
    norm_mean: np.ndarray
    norm_var: np.ndarray
    norm_std: np.ndarray
    x_hat: np.ndarray
    output: np.ndarray
    output_mean: np.ndarray
    output_var: np.ndarray
    running_mean: np.ndarray
    running_var: np.ndarray
    gamma: np.ndarray
    beta: np.ndarray
    running_var_if_biased: np.ndarray


def per_feature(values: tuple[float, ...], features: int, option: str) -> np.ndarray:
    """One value per feature: ``values`` as given, or its single value repeated; DemoInputError otherwise."""
    from mlquiz.errors import DemoInputError

    if len(values) == 1:
        return np.full(features, float(values[0]))
    if len(values) != features:
        raise DemoInputError(f"{option} has {len(values)} numbers but --batch has {features} features (columns); "
                             f"give one number per feature, or one for all")
    return np.asarray(values, dtype=float)


def compute(batch: tuple[tuple[float, ...], ...] = ((1.0, 2.0), (3.0, 6.0), (5.0, 4.0)), mode: str = "train",
            gamma: tuple[float, ...] = (1.0,), beta: tuple[float, ...] = (0.0,),
            running_mean: tuple[float, ...] = (0.0,), running_var: tuple[float, ...] = (1.0,),
            momentum: float = 0.1, eps: float = 1e-05) -> BatchNormStep:
    """One BatchNorm1d forward pass on ``batch`` (N, C), in train or eval mode.

    Notes
    -----
    Train: :math:`\\mu_c = \\frac1N\\sum_n x_{nc}`, :math:`\\sigma_c^2 = \\frac1N\\sum_n (x_{nc}-\\mu_c)^2`,
    :math:`y = \\gamma (x - \\mu)/\\sqrt{\\sigma^2+\\epsilon} + \\beta`;
    :math:`r_\\mu \\leftarrow (1-m) r_\\mu + m\\mu`, :math:`r_{\\sigma^2} \\leftarrow (1-m) r_{\\sigma^2} + m \\frac{N}{N-1}\\sigma^2`.
    Eval: the same affine map with :math:`r_\\mu, r_{\\sigma^2}` in place of :math:`\\mu, \\sigma^2`.
    """
    from mlquiz.demos.batchnorm import batchnorm_forward, update_running_stats
    from mlquiz.errors import DemoInputError

    x = np.asarray(batch, dtype=float)
    n_batch, features = x.shape
    if mode == "train" and n_batch < 2:
        raise DemoInputError("train mode needs at least 2 rows in --batch (one value per feature has no variance); "
                             "add an example or use --mode eval")
    gamma_c = per_feature(gamma, features, "--gamma")
    beta_c = per_feature(beta, features, "--beta")
    run_mean = per_feature(running_mean, features, "--running-mean")
    run_var = per_feature(running_var, features, "--running-var")

    mean, var = x.mean(axis=0), x.var(axis=0)
    var_unbiased = x.var(axis=0, ddof=1) if n_batch > 1 else np.full(features, np.nan)
    norm_mean, norm_var = (mean, var) if mode == "train" else (run_mean, run_var)
    if np.any(norm_var + eps <= 0):
        raise DemoInputError("a feature has variance 0 and --eps is 0, so it cannot be normalised; "
                             "use --eps 1e-5 or give that feature different values")
    y, (x_hat, _, _, _) = batchnorm_forward(x, gamma_c, beta_c, eps,
                                            running=None if mode == "train" else (run_mean, run_var))
    run_var_if_biased = (1 - momentum) * run_var + momentum * var if mode == "train" else run_var
    if mode == "train":
        run_mean, run_var = update_running_stats(run_mean, run_var, x, momentum)
    return BatchNormStep(
        mode=mode,
        n_batch=n_batch,
        features=features,
        mean=mean,
        var=var,
        var_unbiased=var_unbiased,
        norm_mean=norm_mean,
        norm_var=norm_var,
        norm_std=np.sqrt(norm_var + eps),
        x_hat=x_hat,
        output=y,
        output_mean=y.mean(axis=0),
        output_var=y.var(axis=0),
        running_mean=run_mean,
        running_var=run_var,
        gamma=gamma_c,
        beta=beta_c,
        running_var_if_biased=run_var_if_biased,
    )


def render(result: BatchNormStep):
    from rich import box
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import key_values
    from mlquiz.i18n import _

    r = result
    uses = _("batch mean and biased variance") if r.mode == "train" else _("running_mean and running_var")
    summary = key_values(_("BatchNorm1d, {mode} mode, batch {n} x {features}").format(
                             mode=_("train") if r.mode == "train" else _("eval"), n=r.n_batch, features=r.features),
                         [(_("normalises with"), uses),
                          (_("running stats"), _("updated (unbiased variance)") if r.mode == "train"
                           else _("unchanged"))])
    stats = Table(title=_("per feature (denom = sqrt(variance used + eps))"), box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("c", _("mean"), _("var"), _("var N-1"), _("denom"), _("out var"), _("run mean"), _("run var")):
        stats.add_column(column, justify="right", no_wrap=True)
    for c in range(min(r.features, SHOWN_ROWS)):
        stats.add_row(str(c), *(f"{v:.4g}" for v in (r.mean[c], r.var[c], r.var_unbiased[c], r.norm_std[c],
                                                     r.output_var[c], r.running_mean[c], r.running_var[c])))
    shown = range(min(r.features, SHOWN_FEATURES))
    values = Table(title=_("per example: x_hat, gamma * x_hat + beta"), box=box.SIMPLE_HEAD, pad_edge=False)
    values.add_column("n", justify="right")
    for c in shown:
        values.add_column(f"x_hat {c}", justify="right", no_wrap=True)
        values.add_column(_("out {c}").format(c=c), justify="right", no_wrap=True)
    for n in range(min(r.n_batch, SHOWN_ROWS)):
        values.add_row(str(n), *[text for c in shown for text in (f"{r.x_hat[n, c]:+.5f}", f"{r.output[n, c]:+.5f}")])
    return Group(summary, stats, values)
