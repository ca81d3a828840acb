"""Claim: convolution is translation-equivariant, not invariant. Shift the input by s pixels and
a stride-1 convolution's output shifts by the same s (error ~1e-16 away from the border), but
compared position by position the output changes completely (relative change 1.4 to 1.6). Invariance
comes from pooling: a 2x2 max pool keeps only part of its outputs under a 1-pixel shift, and
global average pooling keeps the feature almost unchanged. A stride-2 convolution is equivariant
only to shifts by a multiple of its stride.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlquiz.demos._conv import conv2d, max_pool2d
from mlquiz.errors import DemoInputError

META = {
    "title": "Translation equivariance of convolution",
    "summary": "shift the input, the conv output shifts with it (equivariance); pooling buys approximate invariance",
    "topics": ["cnn"],
    "params": {
        "size": {"type": "int", "default": 32, "min": 8, "max": 256, "help": "height and width of the input image"},
        "kernel": {"type": "int", "default": 3, "min": 1, "max": 15, "help": "kernel size k of the k x k filter"},
        "shift": {"type": "int", "default": 1, "min": 1, "max": 8, "help": "pixels the input is shifted to the right"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295, "help": "random seed"},
    },
    "outputs": {
        "size": "input height and width",
        "kernel": "kernel size",
        "shift": "shift in pixels",
        "equivariance_error": "max |conv(shift(x)) - shift(conv(x))| away from the border (0 up to rounding)",
        "positionwise_change": "||conv(shift(x)) - conv(x)|| / ||conv(x)||: the output is not invariant",
        "maxpool_unchanged_fraction": "share of 2x2/2 max-pool outputs (after ReLU) left exactly unchanged",
        "gap_relative_change": "relative change of the global-average-pooled feature (after ReLU)",
        "strided_equivariance_error": "with stride 2: error of the best whole-output shift (0 only for even shifts)",
        "equivariant": "equivariance_error < 1e-9",
    },
}

TOLERANCE = 1e-9  # float64 rounding of a k*k sum stays near 1e-15; anything above this is real


@dataclass(frozen=True)
class ConvEquivariance:
    size: int
    kernel: int
    shift: int
    equivariance_error: float
    positionwise_change: float
    maxpool_unchanged_fraction: float
    gap_relative_change: float
    strided_equivariance_error: float
    equivariant: bool


def compute(size: int = 32, kernel: int = 3, shift: int = 1, seed: int = 0) -> ConvEquivariance:
    """Compare conv(shift(x)) with shift(conv(x)) for a random image and filter.

    Notes
    -----
    The shift is circular (``np.roll``) on the width axis; columns whose window wraps around are
    excluded, so away from the border :math:`(w * S_s x)[i, j] = (w * x)[i, j - s]`.
    """
    if kernel + shift >= size:
        from mlquiz.i18n import _
        raise DemoInputError(_("--kernel {kernel} plus --shift {shift} must be less than --size {size}; "
                               "use a larger --size").format(kernel=kernel, shift=shift, size=size))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 1, size, size))
    w = rng.standard_normal((1, 1, kernel, kernel))
    x_shifted = np.roll(x, shift, axis=-1)
    y, y_shifted = conv2d(x, w), conv2d(x_shifted, w)
    # ys[..., j] sees x columns j-s .. j-s+k-1, unwrapped for j >= s: it equals y[..., j - s]
    equivariance_error = float(np.max(np.abs(y_shifted[..., shift:] - y[..., : y.shape[-1] - shift])))
    positionwise_change = float(np.linalg.norm(y_shifted - y) / np.linalg.norm(y))
    relu, relu_shifted = np.maximum(y, 0), np.maximum(y_shifted, 0)
    pooled, pooled_shifted = max_pool2d(relu, (2, 2)), max_pool2d(relu_shifted, (2, 2))
    maxpool_unchanged_fraction = float(np.mean(np.abs(pooled - pooled_shifted) < TOLERANCE))
    gap, gap_shifted = relu.mean(), relu_shifted.mean()
    gap_relative_change = float(abs(gap_shifted - gap) / abs(gap))
    strided_equivariance_error = _strided_error(x, x_shifted, w, shift)
    return ConvEquivariance(size, kernel, shift, equivariance_error, positionwise_change, maxpool_unchanged_fraction,
                            gap_relative_change, strided_equivariance_error, equivariance_error < TOLERANCE)


def _strided_error(x, x_shifted, w, shift: int) -> float:
    """Smallest error over whole-output shifts t of the stride-2 outputs (t = shift/2 works only if even)."""
    y2, ys2 = conv2d(x, w, stride=(2, 2)), conv2d(x_shifted, w, stride=(2, 2))
    errors = []
    for t in {shift // 2, (shift + 1) // 2}:
        # start at column ceil(shift/2) or later, where no window of the shifted input wraps
        first = max(t, (shift + 1) // 2)
        errors.append(np.max(np.abs(ys2[..., first:] - y2[..., first - t: y2.shape[-1] - t])))
    return float(min(errors))


def render(result: ConvEquivariance):
    from mlquiz.charts import key_values
    from mlquiz.i18n import _

    return key_values(
        _("shift a {size}x{size} input by {shift} px, {kernel}x{kernel} conv").format(
            size=result.size, shift=result.shift, kernel=result.kernel),
        [
            (_("conv(shift x) vs shift(conv x)"), _("{error:.2e}  (equivariant)").format(error=result.equivariance_error)),
            (_("conv(shift x) vs conv(x), same positions"),
             _("{change:.3f}  (not invariant)").format(change=result.positionwise_change)),
            (_("2x2 max-pool outputs unchanged"), f"{result.maxpool_unchanged_fraction:.1%}"),
            (_("global average pool, relative change"), f"{result.gap_relative_change:.2e}"),
            (_("stride 2: best shifted match error"), f"{result.strided_equivariance_error:.2e}"),
        ],
    )
