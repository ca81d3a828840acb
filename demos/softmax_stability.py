"""Claim: softmax(z)_i = e^{z_i} / sum_j e^{z_j} computed as written overflows once a logit passes
log(max float) = 709.78 (float64; 88.72 in float32): for logits (1000, 1001, 1002, 0) every e^{z_i}
but the last is inf and the result is nan. Subtracting max(z) first changes nothing mathematically,
makes every exponent <= 0 and the denominator >= 1 (it holds e^0 = 1), giving (0.090, 0.245, 0.665,
0). The remaining risk is not the denominator but log(0): the fourth probability underflows to
exactly 0, so cross-entropy computed as -log(softmax) is inf, while log-softmax
z_i - logsumexp(z) = z_i - (max + log sum e^{z - max}) gives the finite answer 1002.41. Adding a
small constant to the denominator, as some notes suggest, fixes neither problem.

The gradient of the cross-entropy -log softmax(z)_t with respect to the logits is
softmax(z) - onehot(t): bounded, summing to 0, and free of exponent overflow when softmax is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlquiz.errors import DemoInputError

META = {
    "title": "Softmax overflow, the max trick and log-sum-exp",
    "summary": "naive softmax of (1000, 1001, 1002) is nan; subtract the max; log-softmax avoids log(0)",
    "topics": ["fundamentals", "gradients"],
    "params": {
        "logits": {"type": "text", "default": "1000,1001,1002,0",
                   "help": "comma-separated logits z (2 to 100 finite numbers, |z| <= 1e6)"},
        "target": {"type": "int", "default": -1, "min": -1, "max": 99,
                   "help": "index of the true class for the cross-entropy (-1: the last class)"},
        "dtype": {"type": "choice", "default": "float64", "choices": ["float64", "float32"],
                  "help": "floating-point type of the computation"},
    },
    "outputs": {
        "logits": "the logits z",
        "dtype": "float64 or float32",
        "target": "index of the true class (-1 resolved to the last class)",
        "exp_overflow_threshold": "log(largest float): e^z is inf above it (709.78 float64, 88.72 float32)",
        "exp_underflow_threshold": "e^z is exactly 0 below it (-745.13 float64, -103.97 float32)",
        "naive_exp": "e^z as written (inf where z passes the threshold)",
        "naive_denominator": "sum of e^z (inf once any term overflows)",
        "naive_softmax": "e^z / sum e^z (nan where inf / inf; null in JSON)",
        "naive_overflows": "whether any e^z overflowed",
        "naive_nan_count": "entries of the naive softmax that are nan",
        "shifted_logits": "z - max(z): every entry <= 0",
        "stable_denominator": "sum of e^(z - max): >= 1 because the max contributes e^0 = 1",
        "stable_softmax": "e^(z - max) / sum e^(z - max)",
        "stable_softmax_sum": "sum of the stable softmax (1 up to rounding)",
        "underflow_zeros": "stable softmax probabilities that are exactly 0 (their log is -inf)",
        "log_sum_exp": "max + log sum e^(z - max): logsumexp(z)",
        "naive_log_sum_exp": "log(sum e^z) as written (inf on overflow)",
        "log_softmax": "z - logsumexp(z): finite for every class",
        "cross_entropy": "-log_softmax[target]: the cross-entropy, computed stably",
        "cross_entropy_softmax_then_log": "-log(stable_softmax[target]): inf if that probability underflowed",
        "cross_entropy_naive": "-log(naive_softmax[target]) (nan or inf on overflow)",
        "cross_entropy_per_class": "the stable cross-entropy for each choice of target",
        "grad_logits": "dCE/dz = softmax - onehot(target)",
        "grad_sum": "sum of dCE/dz (0: a shift of all logits changes nothing)",
        "grad_target": "dCE/dz at the target: p_target - 1, in [-1, 0]",
    },
}

MAX_LOGITS = 100  # classes; the table would not fit a screen anyway
MAX_ABS_LOGIT = 1e6  # far past every overflow threshold; keeps z - max exact enough to be meaningful


@dataclass(frozen=True)
class SoftmaxStability:
    logits: np.ndarray
    dtype: str
    target: int
    exp_overflow_threshold: float
    exp_underflow_threshold: float
    naive_exp: np.ndarray
    naive_denominator: float
    naive_softmax: np.ndarray
    naive_overflows: bool
    naive_nan_count: int
    shifted_logits: np.ndarray
    stable_denominator: float
    stable_softmax: np.ndarray
    stable_softmax_sum: float
    underflow_zeros: int
    log_sum_exp: float
    naive_log_sum_exp: float
    log_softmax: np.ndarray
    cross_entropy: float
    cross_entropy_softmax_then_log: float
    cross_entropy_naive: float
    cross_entropy_per_class: np.ndarray
    grad_logits: np.ndarray
    grad_sum: float
    grad_target: float


def softmax_naive(z: np.ndarray) -> np.ndarray:
    """e^z / sum e^z over the last axis, as written; overflows to nan. Shape of z, (..., K)."""
    with np.errstate(all="ignore"):  # inf and nan are the honest answer here
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)


def softmax_stable(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis with the max subtracted first, shape (..., K).

    Notes
    -----
    :math:`\\mathrm{softmax}(z) = \\mathrm{softmax}(z - c)` for any constant c; with
    :math:`c = \\max_j z_j` every exponent is :math:`\\le 0` (no overflow) and the denominator
    is :math:`\\ge 1`.
    """
    with np.errstate(under="ignore"):
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)


def log_sum_exp(z: np.ndarray) -> np.ndarray:
    """log sum_j e^{z_j} over the last axis, shape (...,).

    Notes
    -----
    :math:`\\mathrm{lse}(z) = m + \\log \\sum_j e^{z_j - m}`, :math:`m = \\max_j z_j`; the sum is in
    :math:`[1, K]` so its log is finite.
    """
    m = z.max(axis=-1)
    with np.errstate(under="ignore"):
        return m + np.log(np.exp(z - m[..., None]).sum(axis=-1))


def log_softmax(z: np.ndarray) -> np.ndarray:
    """z - logsumexp(z) over the last axis, shape (..., K): finite wherever z is."""
    return z - log_sum_exp(z)[..., None]


def cross_entropy_grad(z: np.ndarray, target: int) -> np.ndarray:
    """d/dz of CE(z) = -log softmax(z)[target], shape (K,).

    Notes
    -----
    :math:`CE = \\mathrm{lse}(z) - z_t`;
    :math:`\\partial \\mathrm{lse}/\\partial z_i = \\mathrm{softmax}(z)_i`
    and :math:`\\partial z_t / \\partial z_i = [i = t]`, so :math:`\\nabla_z CE = p - e_t`.
    """
    grad = softmax_stable(z)
    grad[target] -= 1.0
    return grad


def exp_underflow_threshold(dtype: np.dtype) -> float:
    """The largest x (to the dtype's precision) with exp(x) == 0 in that dtype, found by bisection."""
    lo, hi = -2000.0, 0.0  # exp(-2000) is 0 and exp(0) is 1 in every float type
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        with np.errstate(under="ignore"):
            zero = np.exp(np.asarray(mid, dtype=dtype)) == 0
        lo, hi = (mid, hi) if zero else (lo, mid)
    return float(lo)


def parse_logits(text: str) -> list[float]:
    """Comma-separated logits from --logits, or DemoInputError."""
    from mlquiz.i18n import _

    parts = [part.strip() for part in text.split(",")]
    try:
        values = [float(part) for part in parts]
    except ValueError:
        raise DemoInputError(_("--logits {text!r} is not a list of numbers; "
                               "use e.g. 1000,1001,1002,0").format(text=text)) from None
    if not 2 <= len(values) <= MAX_LOGITS:
        raise DemoInputError(_("--logits has {count} values; give between 2 and {most}").format(
            count=len(values), most=MAX_LOGITS))
    if not all(math.isfinite(v) and abs(v) <= MAX_ABS_LOGIT for v in values):
        raise DemoInputError(_("--logits {text!r} has a value that is not finite or beyond "
                               "±{limit:g}; use finite numbers such as 1000 or -50").format(
            text=text, limit=MAX_ABS_LOGIT))
    return values


def compute(logits: str = "1000,1001,1002,0", target: int = -1, dtype: str = "float64") -> SoftmaxStability:
    """Naive softmax, max-subtracted softmax, log-sum-exp and the cross-entropy gradient for one vector."""
    from mlquiz.i18n import _

    values = parse_logits(logits)
    if target >= len(values):
        raise DemoInputError(_("--target {target} is not a class of {count} logits; "
                               "use 0 to {last}, or -1 for the last").format(
            target=target, count=len(values), last=len(values) - 1))
    target = target % len(values)  # -1 -> the last class
    float_type = np.dtype(dtype)
    z = np.array(values, dtype=float_type)

    naive = softmax_naive(z)
    with np.errstate(all="ignore"):  # overflow, inf / inf and log(0) are what this part shows
        naive_exp = np.exp(z)
        naive_denominator = naive_exp.sum()
        naive_lse = np.log(naive_denominator)
        ce_naive = -np.log(naive[target])
    with np.errstate(under="ignore"):
        shifted_exp = np.exp(z - z.max())
    stable = softmax_stable(z)
    with np.errstate(divide="ignore"):
        ce_softmax_then_log = -np.log(stable[target])  # log(0) = -inf when p underflowed
    log_probs = log_softmax(z)
    grad = cross_entropy_grad(z, target)
    return SoftmaxStability(
        logits=z,
        dtype=dtype,
        target=target,
        exp_overflow_threshold=float(np.log(np.finfo(float_type).max)),
        exp_underflow_threshold=exp_underflow_threshold(float_type),
        naive_exp=naive_exp,
        naive_denominator=float(naive_denominator),
        naive_softmax=naive,
        naive_overflows=bool(np.isinf(naive_exp).any()),
        naive_nan_count=int(np.isnan(naive).sum()),
        shifted_logits=z - z.max(),
        stable_denominator=float(shifted_exp.sum()),
        stable_softmax=stable,
        stable_softmax_sum=float(stable.sum()),
        underflow_zeros=int(np.sum(stable == 0)),
        log_sum_exp=float(log_sum_exp(z)),
        naive_log_sum_exp=float(naive_lse),
        log_softmax=log_probs,
        cross_entropy=float(-log_probs[target]),
        cross_entropy_softmax_then_log=float(ce_softmax_then_log),
        cross_entropy_naive=float(ce_naive),
        cross_entropy_per_class=-log_probs,
        grad_logits=grad,
        grad_sum=float(grad.sum()),
        grad_target=float(grad[target]),
    )


def render(result: SoftmaxStability):
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import key_values
    from mlquiz.i18n import _

    table = Table(title=_("softmax of {count} logits in {dtype}").format(count=len(result.logits), dtype=result.dtype),
                  box=None)
    for column in (_("class"), "z", "e^z", _("naive"), _("stable"), "log-softmax", "dCE/dz"):
        table.add_column(column, justify="right")
    for i, z in enumerate(result.logits):
        mark = " *" if i == result.target else ""
        table.add_row(f"{i}{mark}", f"{z:g}", f"{result.naive_exp[i]:.4g}", f"{result.naive_softmax[i]:.4g}",
                      f"{result.stable_softmax[i]:.4g}", f"{result.log_softmax[i]:.6g}",
                      f"{result.grad_logits[i]:+.4f}")
    table.caption = _("* the target class; dCE/dz = softmax - onehot")
    facts = key_values(_("overflow, underflow and the cross-entropy"), [
        (_("e^z overflows above / is 0 below"), f"{result.exp_overflow_threshold:.2f} / "
         f"{result.exp_underflow_threshold:.2f}"),
        (_("naive denominator, log of it"), f"{result.naive_denominator:.6g}, {result.naive_log_sum_exp:.6g}"),
        (_("denominator after subtracting the max"), f"{result.stable_denominator:.6g} (>= 1)"),
        ("logsumexp(z)", f"{result.log_sum_exp:.6g}"),
        (_("probabilities that underflow to 0"), str(result.underflow_zeros)),
        (_("CE: naive / -log(stable softmax)"), f"{result.cross_entropy_naive:.6g} / "
         f"{result.cross_entropy_softmax_then_log:.6g}"),
        (_("CE from log-softmax"), f"{result.cross_entropy:.6g}"),
        (_("sum of dCE/dz"), f"{result.grad_sum:.2g}"),
    ])
    return Group(table, facts)
