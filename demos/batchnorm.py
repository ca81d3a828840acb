"""Claim: BatchNorm standardises each channel's mean and variance, not its distribution: a skewed
input (exponential, skew 2) leaves the layer with per-channel mean 0 and variance 1 but the same
skew (1.98 on average over the 8 channels at the defaults); after gamma and beta the output is not
N(0, 1) either. At inference the layer uses running statistics instead of the batch's.

Train mode (as ``torch.nn.BatchNorm1d/2d``): statistics over N (and H, W) per channel, normalised
with the biased batch variance and eps = 1e-5; running_mean and running_var follow
``running = (1 - momentum) * running + momentum * batch`` with momentum 0.1, running_var taking the
unbiased batch variance (times m / (m - 1), m values per channel); num_batches_tracked counts the
updates. Starting from running_mean 0 and running_var 1, after k steps the running mean holds only
1 - 0.9**k of the batch means (0.651 after 10 steps), so eval-mode outputs are not yet centred.
Eval mode normalises with the running statistics. A layer with C channels has 2C trainable
parameters (gamma, beta) and 2C + 1 buffer values (running_mean, running_var, num_batches_tracked).
Keras's momentum is the weight of the old value, so Keras 0.99 is PyTorch 0.01 and PyTorch 0.1 is Keras 0.9.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

META = {
    "title": "BatchNorm: train and eval mode, forward and backward",
    "summary": "BatchNorm fixes each channel's mean and variance, not its shape (skew ~2 stays); running stats",
    "topics": ["batchnorm", "regularization", "cnn"],
    "params": {
        "layout": {"type": "choice", "default": "nchw", "choices": ["nc", "nchw"],
                   "help": "nc: BatchNorm1d on (N, C); nchw: BatchNorm2d on (N, C, H, W)"},
        "n_batch": {"type": "int", "default": 32, "min": 1, "max": 4096, "help": "examples per batch (N)"},
        "channels": {"type": "int", "default": 8, "min": 1, "max": 512, "help": "channels or features (C)"},
        "size": {"type": "pair", "default": "16x16", "min": 1, "max": 256,
                 "help": "feature-map height x width for nchw (ignored for nc)"},
        "distribution": {"type": "choice", "default": "exponential",
                         "choices": ["exponential", "lognormal", "normal", "uniform"],
                         "help": "shape of the input values (each channel then shifted and scaled)"},
        "gamma": {"type": "float", "default": 1.0, "min": -10.0, "max": 10.0,
                  "help": "initial scale gamma of every channel"},
        "beta": {"type": "float", "default": 0.0, "min": -10.0, "max": 10.0,
                 "help": "initial shift beta of every channel"},
        "momentum": {"type": "float", "default": 0.1, "min": 0.0, "max": 1.0,
                     "help": "weight of the batch statistic in the running update (PyTorch convention)"},
        "eps": {"type": "float", "default": 1e-5, "min": 1e-12, "max": 1.0,
                "help": "added to the variance before the square root"},
        "steps": {"type": "int", "default": 10, "min": 1, "max": 1000,
                  "help": "training batches that update the running statistics"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295, "help": "random seed"},
    },
    "outputs": {
        "layout": "nc or nchw",
        "shape": "shape of one batch",
        "values_per_channel": "m = N*H*W values each channel's statistics are taken over",
        "distribution": "shape of the input values",
        "skew_theory": "skewness of that distribution (exponential 2)",
        "mean_before": "per-channel mean of the last training batch",
        "var_before": "per-channel biased variance of the last training batch",
        "skew_before": "per-channel sample skewness of the last training batch",
        "mean_after": "per-channel mean of the train-mode output",
        "var_after": "per-channel biased variance of the train-mode output (gamma**2 * var / (var + eps))",
        "skew_after": "per-channel sample skewness of the train-mode output (equal to skew_before for gamma > 0)",
        "skew_before_avg": "skew_before averaged over channels",
        "skew_after_avg": "skew_after averaged over channels",
        "mean_after_max_abs": "largest |mean_after - beta| over channels (0 up to rounding)",
        "var_after_avg": "var_after averaged over channels (gamma**2 less an eps effect)",
        "trainable_params": "learnable parameters: gamma and beta, 2C",
        "buffer_values": "buffer values: running_mean, running_var (C each) and num_batches_tracked, 2C + 1",
        "unbiased_factor": "m / (m - 1), turning the biased batch variance into the unbiased one",
        "running_mean": "running_mean after the training steps",
        "running_var": "running_var after the training steps",
        "num_batches_tracked": "training batches counted by the layer",
        "running_mean_fraction": "1 - (1 - momentum)**steps: weight of the batch means in running_mean",
        "eval_mean_after": "per-channel mean of the eval-mode output on a fresh batch",
        "eval_var_after": "per-channel variance of the eval-mode output on a fresh batch",
        "eval_mean_after_max_abs": "largest |eval_mean_after - beta| over channels",
        "dx_channel_sum_max_abs": "largest |sum of dx| over a channel in train mode (0: the mean is removed)",
        "dgamma": "dL/dgamma for L = sum(y * g) with a random upstream gradient g",
        "dbeta": "dL/dbeta for the same loss (the per-channel sum of g)",
        "hist_edges": "bin edges of the histogram of channel 0's train-mode output",
        "hist_counts": "counts of channel 0's train-mode output per bin",
    },
}

EPS = 1e-5  # PyTorch's default
CHANNEL_MEAN_STEP = 2.0  # channel c has mean 2c + 1 and standard deviation 1 + c/2: every channel
CHANNEL_STD_STEP = 0.5  # starts elsewhere, so the layer visibly aligns them
LOGNORMAL_SIGMA = 0.5  # skew (e^s2 + 2) sqrt(e^s2 - 1) = 1.75: skewed, yet not as much as exponential
MAX_VALUES = 2_000_000  # values per batch: 16 MB of float64 per array
MAX_WORK = 20_000_000  # values over all training steps, so the demo stays under a few seconds
HIST_BINS = 12  # histogram rows; fits the screen beside the tables
SHOWN_CHANNELS = 4  # rows of each per-channel table that fit the screen; further channels follow the same pattern


@dataclass(frozen=True)
class BatchNormDemo:
    layout: str
    shape: tuple[int, ...]
    values_per_channel: int
    distribution: str
    skew_theory: float
    mean_before: np.ndarray
    var_before: np.ndarray
    skew_before: np.ndarray
    mean_after: np.ndarray
    var_after: np.ndarray
    skew_after: np.ndarray
    skew_before_avg: float
    skew_after_avg: float
    mean_after_max_abs: float
    var_after_avg: float
    trainable_params: int
    buffer_values: int
    unbiased_factor: float
    running_mean: np.ndarray
    running_var: np.ndarray
    num_batches_tracked: int
    running_mean_fraction: float
    eval_mean_after: np.ndarray
    eval_var_after: np.ndarray
    eval_mean_after_max_abs: float
    dx_channel_sum_max_abs: float
    dgamma: np.ndarray
    dbeta: np.ndarray
    hist_edges: np.ndarray
    hist_counts: np.ndarray


def channel_axes(x: np.ndarray) -> tuple[int, ...]:
    """Axes a channel's statistics are taken over: N, and H, W for (N, C, H, W)."""
    return (0,) + tuple(range(2, x.ndim))


def _per_channel(v: np.ndarray, ndim: int) -> np.ndarray:
    """(C,) reshaped to broadcast against (N, C) or (N, C, H, W)."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = EPS,
                      running: tuple[np.ndarray, np.ndarray] | None = None):
    """BatchNorm forward: train mode (batch statistics) or eval mode (``running`` statistics).

    Parameters
    ----------
    x : (N, C) or (N, C, H, W)
    gamma, beta : (C,)
    running : (running_mean, running_var), each (C,), for eval mode; None for train mode.

    Returns
    -------
    y : same shape as x
    cache : what ``batchnorm_backward`` needs

    Notes
    -----
    :math:`\\hat x = (x - \\mu) / \\sqrt{\\sigma^2 + \\epsilon}`, :math:`y = \\gamma \\hat x + \\beta`,
    with :math:`\\mu, \\sigma^2` the per-channel batch mean and biased variance in train mode and the
    running statistics in eval mode.
    """
    axes = channel_axes(x)
    if running is None:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
    else:
        mean, var = running
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - _per_channel(mean, x.ndim)) * _per_channel(inv_std, x.ndim)
    y = _per_channel(gamma, x.ndim) * x_hat + _per_channel(beta, x.ndim)
    return y, (x_hat, inv_std, gamma, running is None)


def batchnorm_backward(dy: np.ndarray, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of BatchNorm given dL/dy.

    Parameters
    ----------
    dy : same shape as x
    cache : from ``batchnorm_forward``

    Returns
    -------
    dx : same shape as x
    dgamma, dbeta : (C,)

    Notes
    -----
    With m values per channel and :math:`g = \\gamma\\, dy`, train mode gives
    :math:`dx = \\frac{1}{m\\sqrt{\\sigma^2+\\epsilon}}(m g - \\sum g - \\hat x \\sum g \\hat x)`;
    in eval mode the statistics are constants and :math:`dx = g / \\sqrt{\\sigma^2+\\epsilon}`.
    """
    x_hat, inv_std, gamma, train = cache
    axes = channel_axes(dy)
    dbeta = dy.sum(axis=axes)
    dgamma = (dy * x_hat).sum(axis=axes)
    dx_hat = dy * _per_channel(gamma, dy.ndim)
    inv_std_b = _per_channel(inv_std, dy.ndim)
    if not train:
        return dx_hat * inv_std_b, dgamma, dbeta
    m = dy.size // dy.shape[1]
    # mu and sigma depend on every x of the channel: subtract the gradient's mean (through mu) and
    # its projection on x_hat (through sigma).
    dx = inv_std_b / m * (m * dx_hat - dx_hat.sum(axis=axes, keepdims=True)
                          - x_hat * (dx_hat * x_hat).sum(axis=axes, keepdims=True))
    return dx, dgamma, dbeta


def update_running_stats(running_mean: np.ndarray, running_var: np.ndarray, x: np.ndarray,
                         momentum: float) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's running-statistics update after one train-mode batch.

    Parameters
    ----------
    running_mean, running_var : (C,)
    x : (N, C) or (N, C, H, W), the batch

    Returns
    -------
    new running_mean, running_var : (C,)

    Notes
    -----
    With momentum :math:`\\alpha`: :math:`r_\\mu \\leftarrow (1-\\alpha) r_\\mu + \\alpha \\mu_B`,
    :math:`r_{\\sigma^2} \\leftarrow (1-\\alpha) r_{\\sigma^2} + \\alpha \\frac{n}{n-1}\\sigma_B^2`
    (unbiased variance, n values per channel).
    """
    axes = channel_axes(x)
    var_unbiased = x.var(axis=axes, ddof=1)
    return ((1 - momentum) * running_mean + momentum * x.mean(axis=axes),
            (1 - momentum) * running_var + momentum * var_unbiased)


def skewness(x: np.ndarray) -> np.ndarray:
    """Per-channel sample skewness m3 / m2**1.5 (NaN for a constant channel), shape (C,)."""
    axes = channel_axes(x)
    centred = x - x.mean(axis=axes, keepdims=True)
    m2, m3 = (centred**2).mean(axis=axes), (centred**3).mean(axis=axes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(m2 > 0, m3 / np.where(m2 > 0, m2, 1.0) ** 1.5, np.nan)


def distribution_skew(distribution: str) -> float:
    """Exact skewness of an input distribution: exponential 2, lognormal (e^s2 + 2) sqrt(e^s2 - 1)."""
    if distribution == "exponential":
        return 2.0
    if distribution == "lognormal":
        s2 = LOGNORMAL_SIGMA**2
        return float((np.exp(s2) + 2) * np.sqrt(np.exp(s2) - 1))
    return 0.0  # normal and uniform are symmetric


def _standard_sample(rng: np.random.Generator, distribution: str, shape) -> np.ndarray:
    """Values with mean 0 and variance 1 from ``distribution``."""
    if distribution == "exponential":
        return rng.exponential(1.0, shape) - 1.0
    if distribution == "lognormal":
        s2 = LOGNORMAL_SIGMA**2
        mean, var = np.exp(s2 / 2), (np.exp(s2) - 1) * np.exp(s2)
        return (rng.lognormal(0.0, LOGNORMAL_SIGMA, shape) - mean) / np.sqrt(var)
    if distribution == "uniform":
        return rng.uniform(-np.sqrt(3), np.sqrt(3), shape)
    return rng.standard_normal(shape)


def compute(layout: str = "nchw", n_batch: int = 32, channels: int = 8, size: tuple[int, int] = (16, 16),
            distribution: str = "exponential", gamma: float = 1.0, beta: float = 0.0, momentum: float = 0.1,
            eps: float = EPS, steps: int = 10, seed: int = 0) -> BatchNormDemo:
    """Train a BatchNorm layer's running statistics on ``steps`` batches, then run it in eval mode."""
    from mlquiz.errors import DemoInputError

    shape = (n_batch, channels) if layout == "nc" else (n_batch, channels, size[0], size[1])
    n_values = int(np.prod(shape))
    per_channel = n_values // channels
    if per_channel < 2:
        raise DemoInputError("BatchNorm needs more than 1 value per channel in train mode; raise --n-batch")
    if n_values > MAX_VALUES or n_values * steps > MAX_WORK:
        raise DemoInputError(
            f"{n_values:,} values per batch x {steps} steps is too much work; keep a batch under "
            f"{MAX_VALUES:,} values and batch x steps under {MAX_WORK:,}")

    rng = np.random.default_rng(seed)
    chan = np.arange(channels)
    true_mean = _per_channel(CHANNEL_MEAN_STEP * chan + 1.0, len(shape))
    true_std = _per_channel(1.0 + CHANNEL_STD_STEP * chan, len(shape))

    def draw() -> np.ndarray:
        return true_mean + true_std * _standard_sample(rng, distribution, shape)

    gamma_c, beta_c = np.full(channels, gamma), np.full(channels, beta)
    running_mean, running_var = np.zeros(channels), np.ones(channels)  # PyTorch's initial buffers
    num_batches_tracked = 0
    for _ in range(steps):
        x = draw()
        y, cache = batchnorm_forward(x, gamma_c, beta_c, eps)
        running_mean, running_var = update_running_stats(running_mean, running_var, x, momentum)
        num_batches_tracked += 1

    # Backward through the last train-mode batch with a random upstream gradient.
    dx, dgamma, dbeta = batchnorm_backward(rng.standard_normal(shape), cache)

    x_eval = draw()
    y_eval, _ = batchnorm_forward(x_eval, gamma_c, beta_c, eps, running=(running_mean, running_var))

    axes = channel_axes(x)
    mean_after, var_after = y.mean(axis=axes), y.var(axis=axes)
    skew_before, skew_after = skewness(x), skewness(y)
    eval_mean = y_eval.mean(axis=axes)
    counts, edges = np.histogram(y[:, 0], bins=HIST_BINS)
    return BatchNormDemo(
        layout=layout,
        shape=shape,
        values_per_channel=per_channel,
        distribution=distribution,
        skew_theory=distribution_skew(distribution),
        mean_before=x.mean(axis=axes),
        var_before=x.var(axis=axes),
        skew_before=skew_before,
        mean_after=mean_after,
        var_after=var_after,
        skew_after=skew_after,
        skew_before_avg=float(np.mean(skew_before)),
        skew_after_avg=float(np.mean(skew_after)),
        mean_after_max_abs=float(np.max(np.abs(mean_after - beta))),
        var_after_avg=float(np.mean(var_after)),
        trainable_params=2 * channels,
        buffer_values=2 * channels + 1,
        unbiased_factor=per_channel / (per_channel - 1),
        running_mean=running_mean,
        running_var=running_var,
        num_batches_tracked=num_batches_tracked,
        running_mean_fraction=1.0 - (1.0 - momentum) ** steps,
        eval_mean_after=eval_mean,
        eval_var_after=y_eval.var(axis=axes),
        eval_mean_after_max_abs=float(np.max(np.abs(eval_mean - beta))),
        dx_channel_sum_max_abs=float(np.max(np.abs(dx.sum(axis=axes)))),
        dgamma=dgamma,
        dbeta=dbeta,
        hist_edges=edges,
        hist_counts=counts,
    )



def render(result: BatchNormDemo):
    from rich import box
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import draw, key_values
    from mlquiz.i18n import _

    r = result
    summary = key_values(
        _("BatchNorm {layout} {shape}, {distribution} input").format(layout=r.layout, shape=r.shape,
                                                                    distribution=r.distribution),
        [
            (_("values per channel (m)"), f"{r.values_per_channel:,}"),
            (_("skew before / after BN (avg)"), f"{r.skew_before_avg:.4f} / {r.skew_after_avg:.4f}"),
            (_("skew of the {distribution} distribution").format(distribution=r.distribution), f"{r.skew_theory:.4g}"),
            (_("max |mean after - beta|"), f"{r.mean_after_max_abs:.2e}"),
            (_("var after (avg)"), f"{r.var_after_avg:.6f}"),
            (_("trainable (gamma, beta) / buffers"), f"{r.trainable_params} / {r.buffer_values}"),
            (_("running mean weight after {steps} steps").format(steps=r.num_batches_tracked), f"{r.running_mean_fraction:.4f}"),
            (_("eval mode: max |mean out - beta|"), f"{r.eval_mean_after_max_abs:.4f}"),
        ],
    )
    # two tables of five columns, not one of nine: each fits a 60-column terminal
    before = Table(title=_("per channel: x = the last training batch"), box=box.SIMPLE_HEAD, pad_edge=False)
    after = Table(title=_("y = BN(x) in train mode"),
                  caption=_("run mean: running_mean; eval: mean of the eval-mode output on a fresh batch"),
                  box=box.SIMPLE_HEAD, pad_edge=False)
    for table, columns in ((before, ("c", _("x mean"), _("x var"), _("x skew"))),
                           (after, ("c", _("y mean"), _("y var"), _("y skew"), _("run mean"), _("eval")))):
        for column in columns:
            table.add_column(column, justify="right", no_wrap=True)
    for c in range(min(len(r.mean_before), SHOWN_CHANNELS)):
        before.add_row(str(c), f"{r.mean_before[c]:.3f}", f"{r.var_before[c]:.3f}", f"{r.skew_before[c]:.3f}")
        after.add_row(str(c), f"{r.mean_after[c]:+.1e}", f"{r.var_after[c]:.4f}", f"{r.skew_after[c]:.3f}",
                      f"{r.running_mean[c]:.3f}", f"{r.eval_mean_after[c]:.3f}")
    table = Group(before, after)
    return Group(summary, table, draw(figure(r)))


def figure(result: BatchNormDemo):
    """Channel 0 after BatchNorm: mean 0 and variance 1, but the input's skewed shape is still there."""
    from mlquiz.charts import Figure
    from mlquiz.i18n import _

    edges = result.hist_edges
    return Figure.bars(_("Channel 0 after BN: the skewed shape remains"),
                       [f"{edges[i]:+.2f}..{edges[i + 1]:+.2f}" for i in range(len(edges) - 1)],
                       [int(v) for v in result.hist_counts], y_label=_("values in the bin"), value_format="{:d}")
