"""Claim: on a batch of shape (N, D), LayerNorm and RMSNorm normalise each row (one example's D
features) and BatchNorm1d each column (one feature over the N examples). So LayerNorm gives an
example the same output whatever else is in its batch, computes the same thing in training and
in eval mode, and keeps no running statistics: LayerNorm(D) has 2D parameters (weight, bias) and
no buffers, RMSNorm(D) D parameters, BatchNorm1d(D) 2D parameters and 2D + 1 buffer values. The
default row (1, 1, 3, 3) has mean 2 and variance 1 and becomes (-1, -1, 1, 1) up to eps.

Conventions are PyTorch's (>= 2.4 for nn.RMSNorm), computed in float64:

- ``nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True)``: statistics
  over the last len(normalized_shape) dimensions (here the D features), biased variance
  (``torch.var(x, correction=0)``), y = (x - mean) / sqrt(var + eps) * weight + bias; weight and
  bias have shape normalized_shape; no buffers; the same statistics in train and eval mode.
- ``nn.RMSNorm(normalized_shape, eps=None, elementwise_affine=True)``: y = x / sqrt(mean(x^2) + eps)
  * weight, no mean subtracted, no bias; eps=None means ``torch.finfo(x.dtype).eps``
  (1.1920929e-07 for float32, this demo's default; 2.220446049250313e-16 for float64).
- ``nn.BatchNorm1d(D, eps=1e-5, momentum=0.1)``: statistics per feature over the batch (see the
  batchnorm demo); train mode uses the batch's, eval mode the running statistics, which here
  have seen one update from their initial 0 and 1.

The backward passes are written by hand (dx, dweight, dbias for L = sum(y * g), g a seeded random
upstream gradient) and checked against finite differences in the tests. LayerNorm's dx sums to 0
over each row, as BatchNorm's does over each column: shifting a row by a constant changes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlquiz.demos.batchnorm import batchnorm_backward, batchnorm_forward, update_running_stats

META = {
    "title": "LayerNorm and RMSNorm vs BatchNorm",
    "summary": "LayerNorm/RMSNorm normalise each example's features, BatchNorm each feature over the batch",
    "topics": ["layernorm", "batchnorm", "transformer"],
    "params": {
        "x": {"type": "matrix", "default": "1,1,3,3;0,0,0,8;2,4,6,8", "min": -1000.0, "max": 1000.0,
              "help": "input batch, one row per example (N >= 2 rows) and one column per feature (D)"},
        "eps": {"type": "float", "default": 1e-5, "min": 0.0, "max": 1.0,
                "help": "LayerNorm and BatchNorm eps, added to the variance (PyTorch default 1e-5)"},
        "rms_eps": {"type": "float", "default": 1.1920929e-07, "min": 0.0, "max": 1.0,
                    "help": "RMSNorm eps added to mean(x^2); PyTorch's eps=None is finfo(dtype).eps "
                            "(float32 1.1920929e-07; float64 2.220446049250313e-16)"},
        "no_affine": {"type": "flag", "default": False,
                      "help": "elementwise_affine=False: no weight or bias in LayerNorm and RMSNorm"},
        "no_bias": {"type": "flag", "default": False, "help": "LayerNorm bias=False (weight only)"},
        "weight": {"type": "float", "default": 1.0, "min": -100.0, "max": 100.0,
                   "help": "value of every weight (gamma) entry; PyTorch initialises it to 1"},
        "bias": {"type": "float", "default": 0.0, "min": -100.0, "max": 100.0,
                 "help": "value of every bias (beta) entry; PyTorch initialises it to 0"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295,
                 "help": "seed of the random upstream gradient for the backward pass"},
    },
    "outputs": {
        "shape": "(N, D)",
        "reduced_axes": "which values each method's statistics are taken over",
        "ln_mean": "LayerNorm: mean of each row",
        "ln_var": "LayerNorm: biased variance of each row (divide by D), the one it uses",
        "ln_var_unbiased": "each row's unbiased variance (divide by D - 1), which LayerNorm does not use",
        "ln_output": "LayerNorm output (N, D)",
        "ln_output_row_mean": "mean of each LayerNorm output row (the bias value)",
        "ln_output_row_var": "biased variance of each output row (weight^2 * var / (var + eps))",
        "rms": "RMSNorm: sqrt(mean(x^2) + eps) of each row",
        "rms_output": "RMSNorm output (N, D)",
        "rms_output_row_mean": "mean of each RMSNorm output row (not 0: the mean is not removed)",
        "bn_mean": "BatchNorm1d: mean of each column over the batch",
        "bn_var": "BatchNorm1d: biased variance of each column",
        "bn_output": "BatchNorm1d train-mode output (N, D), weight 1 and bias 0",
        "train_eval_max_diff": "largest |train-mode output - eval-mode output| per method (0 for LayerNorm, RMSNorm)",
        "batch_dependence": "largest change of row 0's output when the other rows change, per method",
        "params": "learnable parameters per method: LayerNorm 2D (D without bias), RMSNorm D, BatchNorm1d 2D",
        "buffers": "buffer values per method: BatchNorm1d's running_mean, running_var, num_batches_tracked",
        "ln_dx": "LayerNorm dL/dx (N, D)",
        "ln_dweight": "LayerNorm dL/dweight (D,) (null without affine)",
        "ln_dbias": "LayerNorm dL/dbias (D,) (null without a bias)",
        "ln_dx_row_sum_max_abs": "largest |sum of a LayerNorm dx row| (0: the row mean is removed)",
        "rms_dx": "RMSNorm dL/dx (N, D)",
        "rms_dweight": "RMSNorm dL/dweight (D,) (null without affine)",
        "rms_dx_row_sum_max_abs": "largest |sum of an RMSNorm dx row| (not 0 in general)",
        "bn_dx_col_sum_max_abs": "largest |sum of a BatchNorm dx column| in train mode (0)",
    },
}

EPS = 1e-5  # nn.LayerNorm and nn.BatchNorm1d default
RMS_EPS_FLOAT32 = 1.1920929e-07  # torch.finfo(torch.float32).eps: nn.RMSNorm's eps=None for float32
BN_MOMENTUM = 0.1  # nn.BatchNorm1d default; one update from running_mean 0, running_var 1
SHIFT = 10.0  # added to the other rows to test whether row 0's output depends on them


@dataclass(frozen=True)
class LayerNormDemo:
    shape: tuple[int, int]
    reduced_axes: dict[str, str]
    ln_mean: np.ndarray
    ln_var: np.ndarray
    ln_var_unbiased: np.ndarray
    ln_output: np.ndarray
    ln_output_row_mean: np.ndarray
    ln_output_row_var: np.ndarray
    rms: np.ndarray
    rms_output: np.ndarray
    rms_output_row_mean: np.ndarray
    bn_mean: np.ndarray
    bn_var: np.ndarray
    bn_output: np.ndarray
    train_eval_max_diff: dict[str, float]
    batch_dependence: dict[str, float]
    params: dict[str, int]
    buffers: dict[str, int]
    ln_dx: np.ndarray
    ln_dweight: np.ndarray | None
    ln_dbias: np.ndarray | None
    ln_dx_row_sum_max_abs: float
    rms_dx: np.ndarray
    rms_dweight: np.ndarray | None
    rms_dx_row_sum_max_abs: float
    bn_dx_col_sum_max_abs: float


def _axes(x: np.ndarray, normalized_ndim: int) -> tuple[int, ...]:
    """The last ``normalized_ndim`` axes: where LayerNorm and RMSNorm take their statistics."""
    return tuple(range(x.ndim - normalized_ndim, x.ndim))


def layernorm_forward(x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None, eps: float = EPS,
                      normalized_ndim: int = 1):
    """LayerNorm forward over the last ``normalized_ndim`` axes.

    Parameters
    ----------
    x : (*, *normalized_shape)
    weight, bias : normalized_shape, or None (elementwise_affine=False / bias=False)

    Returns
    -------
    y : same shape as x
    cache : for ``layernorm_backward``

    Notes
    -----
    :math:`\\hat x = (x - \\mu) / \\sqrt{\\sigma^2 + \\epsilon}` with :math:`\\mu, \\sigma^2` the mean and
    biased variance over the normalised axes of each example; :math:`y = w \\hat x + b`.
    """
    axes = _axes(x, normalized_ndim)
    mean = x.mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    x_hat = (x - mean) * inv_std
    y = x_hat if weight is None else x_hat * weight
    if bias is not None:
        y = y + bias
    return y, (x_hat, inv_std, weight, bias is not None, axes)


def layernorm_backward(dy: np.ndarray, cache):
    """Gradients of LayerNorm given dL/dy: (dx, dweight or None, dbias or None).

    Notes
    -----
    With m normalised values per example and :math:`g = w\\, dy`, per example
    :math:`dx = \\frac{1}{m\\sqrt{\\sigma^2+\\epsilon}}(m g - \\sum g - \\hat x \\sum g \\hat x)`:
    BatchNorm's formula, summed over an example's features instead of a channel's batch.
    """
    x_hat, inv_std, weight, has_bias, axes = cache
    batch_axes = tuple(range(dy.ndim - len(axes)))
    dweight = None if weight is None else (dy * x_hat).sum(axis=batch_axes)
    dbias = dy.sum(axis=batch_axes) if has_bias else None
    g = dy if weight is None else dy * weight
    m = math.prod(dy.shape[a] for a in axes)
    # mu and sigma depend on every value of the example: remove g's mean (through mu) and its
    # projection on x_hat (through sigma)
    dx = inv_std / m * (m * g - g.sum(axis=axes, keepdims=True) - x_hat * (g * x_hat).sum(axis=axes, keepdims=True))
    return dx, dweight, dbias


def rmsnorm_forward(x: np.ndarray, weight: np.ndarray | None, eps: float = RMS_EPS_FLOAT32,
                    normalized_ndim: int = 1):
    """RMSNorm forward: y = x / sqrt(mean(x^2) + eps) * weight over the last ``normalized_ndim`` axes.

    Returns
    -------
    y : same shape as x
    cache : for ``rmsnorm_backward``
    """
    axes = _axes(x, normalized_ndim)
    rms = np.sqrt((x**2).mean(axis=axes, keepdims=True) + eps)
    x_hat = x / rms
    return (x_hat if weight is None else x_hat * weight), (x, x_hat, rms, weight, axes)


def rmsnorm_backward(dy: np.ndarray, cache):
    """Gradients of RMSNorm given dL/dy: (dx, dweight or None).

    Notes
    -----
    With :math:`r = \\sqrt{\\overline{x^2} + \\epsilon}`, m values per example and :math:`g = w\\, dy`:
    :math:`dx = g / r - x \\sum(g x) / (m r^3)`. There is no mean term, so dx need not sum to 0.
    """
    x, x_hat, rms, weight, axes = cache
    batch_axes = tuple(range(dy.ndim - len(axes)))
    dweight = None if weight is None else (dy * x_hat).sum(axis=batch_axes)
    g = dy if weight is None else dy * weight
    m = math.prod(dy.shape[a] for a in axes)
    # rms depends on every x of the example: the second term is the path through rms
    dx = g / rms - x * (g * x).sum(axis=axes, keepdims=True) / (m * rms**3)
    return dx, dweight


def compute(x=((1, 1, 3, 3), (0, 0, 0, 8), (2, 4, 6, 8)), eps: float = EPS, rms_eps: float = RMS_EPS_FLOAT32,
            no_affine: bool = False, no_bias: bool = False, weight: float = 1.0, bias: float = 0.0,
            seed: int = 0) -> LayerNormDemo:
    """LayerNorm, RMSNorm and BatchNorm1d on the same (N, D) batch, forward and backward."""
    from mlquiz.errors import DemoInputError
    from mlquiz.i18n import msg

    X = np.asarray(x, dtype=np.float64)
    N, D = X.shape
    if N < 2:
        raise DemoInputError(msg("give at least 2 rows: BatchNorm1d needs more than 1 value per feature in "
                                 "train mode (PyTorch raises the same); LayerNorm would work on one row"))
    affine = not no_affine
    w = np.full(D, weight) if affine else None
    b = np.full(D, bias) if affine and not no_bias else None
    gamma, beta = np.ones(D), np.zeros(D)  # BatchNorm1d at its initial affine parameters

    ln, ln_cache = layernorm_forward(X, w, b, eps)
    rms_out, rms_cache = rmsnorm_forward(X, w, rms_eps)
    bn, bn_cache = batchnorm_forward(X, gamma, beta, eps)
    running_mean, running_var = update_running_stats(np.zeros(D), np.ones(D), X, BN_MOMENTUM)
    bn_eval, _bn_eval_cache = batchnorm_forward(X, gamma, beta, eps, running=(running_mean, running_var))

    # row 0 with different companions: only BatchNorm's output for it changes
    other = X.copy()
    other[1:] += SHIFT
    changed = {
        "layernorm": layernorm_forward(other, w, b, eps)[0][0] - ln[0],
        "rmsnorm": rmsnorm_forward(other, w, rms_eps)[0][0] - rms_out[0],
        "batchnorm": batchnorm_forward(other, gamma, beta, eps)[0][0] - bn[0],
    }

    upstream = np.random.default_rng(seed).standard_normal((N, D))
    ln_dx, ln_dw, ln_db = layernorm_backward(upstream, ln_cache)
    rms_dx, rms_dw = rmsnorm_backward(upstream, rms_cache)
    bn_dx, _dgamma, _dbeta = batchnorm_backward(upstream, bn_cache)

    ln_params = 0 if not affine else (D if no_bias else 2 * D)
    return LayerNormDemo(
        shape=(N, D),
        reduced_axes={"layernorm": f"each row: the D = {D} features of one example",
                      "rmsnorm": f"each row: the D = {D} features of one example (no mean removed)",
                      "batchnorm": f"each column: one feature over the N = {N} examples"},
        ln_mean=X.mean(axis=1),
        ln_var=X.var(axis=1),
        ln_var_unbiased=X.var(axis=1, ddof=1) if D > 1 else np.full(N, np.nan),
        ln_output=ln,
        ln_output_row_mean=ln.mean(axis=1),
        ln_output_row_var=ln.var(axis=1),
        rms=rms_cache[2][:, 0],
        rms_output=rms_out,
        rms_output_row_mean=rms_out.mean(axis=1),
        bn_mean=X.mean(axis=0),
        bn_var=X.var(axis=0),
        bn_output=bn,
        # LayerNorm and RMSNorm have no mode: eval runs the same function on the same input
        train_eval_max_diff={"layernorm": float(np.max(np.abs(ln - layernorm_forward(X, w, b, eps)[0]))),
                             "rmsnorm": float(np.max(np.abs(rms_out - rmsnorm_forward(X, w, rms_eps)[0]))),
                             "batchnorm": float(np.max(np.abs(bn - bn_eval)))},
        batch_dependence={name: float(np.max(np.abs(diff))) for name, diff in changed.items()},
        params={"layernorm": ln_params, "rmsnorm": D if affine else 0, "batchnorm": 2 * D},
        buffers={"layernorm": 0, "rmsnorm": 0, "batchnorm": 2 * D + 1},
        ln_dx=ln_dx,
        ln_dweight=ln_dw,
        ln_dbias=ln_db,
        ln_dx_row_sum_max_abs=float(np.max(np.abs(ln_dx.sum(axis=1)))),
        rms_dx=rms_dx,
        rms_dweight=rms_dw,
        rms_dx_row_sum_max_abs=float(np.max(np.abs(rms_dx.sum(axis=1)))),
        bn_dx_col_sum_max_abs=float(np.max(np.abs(bn_dx.sum(axis=0)))),
    )


SHOWN = 6  # rows and columns that fit the screen


def _rows_table(title: str, names: list[str], columns: list[tuple[str, np.ndarray]]):
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("", style="cyan")
    for name, _values in columns:
        table.add_column(name, justify="right", no_wrap=True)
    for i, name in enumerate(names[:SHOWN]):
        table.add_row(name, *(_cell(values[i]) for _name, values in columns))
    return table


def _cell(value) -> str:
    if isinstance(value, np.ndarray):
        return " ".join(f"{v:+.2f}" for v in value[:SHOWN])
    return f"{value:.4g}"


def render(result: LayerNormDemo):
    from rich.console import Group

    from mlquiz.charts import key_values
    from mlquiz.i18n import _

    r = result
    N, D = r.shape
    rows = [f"x{i}" for i in range(N)]
    per_row = _rows_table(_("per example (row): LayerNorm and RMSNorm, D = {d}").format(d=D), rows, [
        (_("mean"), r.ln_mean), (_("var"), r.ln_var), ("LayerNorm(x)", r.ln_output), ("rms", r.rms),
        ("RMSNorm(x)", r.rms_output)])
    per_col = _rows_table(_("per feature (column): BatchNorm1d, N = {n}").format(n=N), [f"f{j}" for j in range(D)], [
        (_("mean"), r.bn_mean), (_("var"), r.bn_var), (_("BatchNorm1d column"), r.bn_output.T)])
    methods = ("layernorm", "rmsnorm", "batchnorm")
    facts = key_values("LayerNorm / RMSNorm / BatchNorm1d", [
        (_("parameters"), " / ".join(str(r.params[m]) for m in methods)),
        (_("buffer values"), " / ".join(str(r.buffers[m]) for m in methods)),
        (_("max |train - eval output|"), " / ".join(f"{r.train_eval_max_diff[m]:.3g}" for m in methods)),
        (_("row 0 changes with the batch by"), " / ".join(f"{r.batch_dependence[m]:.3g}" for m in methods)),
        (_("max |sum of dx| (row, row, column)"),
         f"{r.ln_dx_row_sum_max_abs:.1e} / {r.rms_dx_row_sum_max_abs:.3g} / {r.bn_dx_col_sum_max_abs:.1e}"),
    ])
    return Group(per_row, per_col, facts)
