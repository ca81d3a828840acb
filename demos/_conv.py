"""Shared by conv-output-size and cnn-stack: PyTorch's size rules for convolution, transposed
convolution and pooling, and naive NumPy versions of those operations.

The size functions follow PyTorch exactly (``torch.nn.Conv2d``, ``ConvTranspose2d``,
``MaxPool2d``, ``AvgPool2d``), including which settings it rejects. The NumPy operations do not
use the size formulas: their output size is whatever the enumerated windows produce, so a test
(and the demos' own check) can compare the two.

Conventions: 1-D functions take one axis; 2-D settings are ``(height, width)`` pairs; padding
of a 2-D operation is ``(top, bottom, left, right)`` because ``padding='same'`` with an even
kernel pads one more row/column at the bottom/right, as PyTorch does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from mlquiz.errors import DemoInputError
from mlquiz.i18n import msg

OPS = ("conv", "transposed", "maxpool", "avgpool")
POOLS = ("maxpool", "avgpool")
TORCH_NAMES = {"conv": "Conv2d", "transposed": "ConvTranspose2d", "maxpool": "MaxPool2d", "avgpool": "AvgPool2d"}
_PAD_PAIR = re.compile(r"^(-?[0-9]{1,9})(?:[xX×](-?[0-9]{1,9}))?$")  # sizes, not 5,000 digits


# ---------------------------------------------------------------------------------------------
# Size formulas, one axis
# ---------------------------------------------------------------------------------------------

def dilated_span(k: int, d: int) -> int:
    """Extent of a kernel of size ``k`` with dilation ``d``: ``d*(k-1) + 1`` input positions."""
    return d * (k - 1) + 1


def conv_out(n: int, k: int, s: int = 1, pad_total: int = 0, d: int = 1) -> int:
    """Output length of a convolution along one axis (PyTorch floors).

    Notes
    -----
    :math:`n_{out} = \\lfloor (n + p_{total} - d(k-1) - 1) / s \\rfloor + 1`, where
    :math:`p_{total}` is the padding on both sides together (``2p`` when symmetric).
    """
    return (n + pad_total - dilated_span(k, d)) // s + 1


def transposed_out(n: int, k: int, s: int = 1, p: int = 0, d: int = 1, output_padding: int = 0) -> int:
    """Output length of a transposed convolution along one axis.

    Notes
    -----
    :math:`n_{out} = (n-1)s - 2p + d(k-1) + \\text{output\\_padding} + 1`.
    """
    return (n - 1) * s - 2 * p + d * (k - 1) + output_padding + 1


def pool_out(n: int, k: int, s: int, p: int = 0, d: int = 1, ceil_mode: bool = False) -> int:
    """Output length of max/average pooling along one axis, as ATen's ``pooling_output_shape``.

    Notes
    -----
    :math:`n_{out} = \\lfloor (n + 2p - d(k-1) - 1 + [\\text{ceil}](s-1)) / s \\rfloor + 1`; in
    ceil mode the last window is dropped when it would start inside the right padding, i.e. when
    :math:`(n_{out}-1)s \\ge n + p`.
    """
    out = (n + 2 * p - dilated_span(k, d) + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def pool_out_exact(n: int, k: int, s: int, p: int = 0, d: int = 1) -> float:
    """The quotient before rounding, ``(n + 2p - d(k-1) - 1)/s + 1`` (111.5 for 224, k3, s2)."""
    return (n + 2 * p - dilated_span(k, d)) / s + 1


def ceil_drops_last(n: int, k: int, s: int, p: int = 0, d: int = 1) -> bool:
    """True when ceil mode's extra window would start in the right padding, so PyTorch drops it."""
    out = (n + 2 * p - dilated_span(k, d) + s - 1) // s + 1
    return (out - 1) * s >= n + p


def same_padding(k: int, d: int = 1) -> tuple[int, int]:
    """(before, after) padding of ``padding='same'``: ``d*(k-1)`` split with the extra one after."""
    total = d * (k - 1)
    return total // 2, total - total // 2


# ---------------------------------------------------------------------------------------------
# Settings of one 2-D layer, validated as PyTorch validates them
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Geometry:
    """Resolved spatial settings of one layer.

    ``padding`` is ``(top, bottom, left, right)``; ``padding_mode`` is ``"same"``, ``"valid"`` or
    ``"explicit"``; ``stride`` has pooling's default (the kernel) already filled in.
    """

    op: str
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int, int, int]
    dilation: tuple[int, int]
    output_padding: tuple[int, int] = (0, 0)
    ceil_mode: bool = False
    padding_mode: str = "explicit"

    @property
    def span(self) -> tuple[int, int]:
        """The dilated kernel's extent (its receptive field on its own input)."""
        return dilated_span(self.kernel[0], self.dilation[0]), dilated_span(self.kernel[1], self.dilation[1])

    @property
    def pad_hw(self) -> tuple[int, int]:
        """Symmetric padding per axis (only meaningful when top == bottom and left == right)."""
        return self.padding[0], self.padding[2]


def parse_padding(text: object) -> tuple[str, tuple[int, int]]:
    """``"1"``, ``"1x2"``, ``"same"`` or ``"valid"`` -> (mode, (pad_h, pad_w)); pad is (0, 0) for modes."""
    if isinstance(text, (tuple, list)) and len(text) == 2:
        pads = (int(text[0]), int(text[1]))
        mode = "explicit"
    elif isinstance(text, int) and not isinstance(text, bool):
        pads = (text, text)
        mode = "explicit"
    else:
        word = str(text).strip().lower().replace(" ", "")
        if word in ("same", "valid"):
            return word, (0, 0)
        match = _PAD_PAIR.match(word)
        if not match:
            raise DemoInputError(msg("padding {value} is not valid; use a number, HxW (e.g. 1x2), same or valid",
                                     value=repr(text)))
        pads = (int(match.group(1)), int(match.group(2) or match.group(1)))
        mode = "explicit"
    if min(pads) < 0:
        raise DemoInputError(msg("padding {height}x{width}: negative padding is not supported (PyTorch "
                                 "rejects it); use 0 or more", height=pads[0], width=pads[1]))
    return mode, pads


def _axis_name(axis: int):
    """'height' or 'width' in an error message, in the user's language (English kept for --json)."""
    return msg("height") if axis == 0 else msg("width")


def resolve_geometry(op: str, kernel: tuple[int, int], stride: tuple[int, int], padding: object,
                     dilation: tuple[int, int] = (1, 1), output_padding: tuple[int, int] = (0, 0),
                     ceil_mode: bool = False) -> Geometry:
    """Check one layer's settings the way PyTorch does and fill in defaults.

    A stride of 0 means the layer's default along that axis: 1 for convolutions, the kernel size
    for pooling (PyTorch's ``stride=None``). Raises DemoInputError for every combination that
    PyTorch rejects, and for options the layer type does not have.
    """
    if op not in OPS:
        raise DemoInputError(msg("unknown operation {op}; use one of {ops}", op=repr(op), ops=", ".join(OPS)))
    name = TORCH_NAMES[op]
    for label, pair, low in (("kernel", kernel, 1), ("dilation", dilation, 1), ("stride", stride, 0),
                             ("output_padding", output_padding, 0)):
        if min(pair) < low:
            raise DemoInputError(msg("{option} {height}x{width} must be at least {low}", option=label,
                                     height=pair[0], width=pair[1], low=low))
    pooled = op in POOLS
    stride = tuple(st if st > 0 else (k if pooled else 1) for st, k in zip(stride, kernel))
    mode, pads = parse_padding(padding)
    if op != "transposed" and max(output_padding) > 0:
        raise DemoInputError(msg("output_padding applies only to transposed convolutions, not {name}; leave it at 0",
                                 name=name))
    if not pooled and ceil_mode:
        raise DemoInputError(msg("ceil_mode applies only to pooling, not {name}; drop it or use maxpool/avgpool",
                                 name=name))
    if op == "avgpool" and dilation != (1, 1):
        raise DemoInputError(msg("AvgPool2d has no dilation; use dilation 1 or maxpool"))
    if mode != "explicit" and op != "conv":
        raise DemoInputError(msg("padding '{mode}' exists only for Conv2d; give {name} a number of pixels",
                                 mode=mode, name=name))
    if mode == "same":
        if stride != (1, 1):
            raise DemoInputError(msg("padding 'same' is not supported for strided convolutions (stride "
                                     "{height}x{width}), as in PyTorch; use stride 1 or a number padding",
                                     height=stride[0], width=stride[1]))
        top, bottom = same_padding(kernel[0], dilation[0])
        left, right = same_padding(kernel[1], dilation[1])
        padding4 = (top, bottom, left, right)
    else:
        padding4 = (pads[0], pads[0], pads[1], pads[1])  # 'valid' is 0
    if pooled:
        # ATen's pool2d_shape_check: padding at most half the (undilated) kernel
        for axis, (p, k) in enumerate(zip(pads, kernel)):
            if p > k // 2:
                raise DemoInputError(msg("pooling padding {p} is more than half the kernel {k} ({axis}); PyTorch "
                                         "needs padding <= kernel // 2 = {half}", p=p, k=k, axis=_axis_name(axis),
                                         half=k // 2))
    if op == "transposed":
        for axis, (o, st, d) in enumerate(zip(output_padding, stride, dilation)):
            if o >= st and o >= d:
                raise DemoInputError(msg("output_padding {o} must be smaller than either stride ({st}) or dilation "
                                         "({d}) ({axis}), as in PyTorch; lower it", o=o, st=st, d=d,
                                         axis=_axis_name(axis)))
    return Geometry(op, tuple(kernel), stride, padding4, tuple(dilation), tuple(output_padding),
                    bool(ceil_mode), mode)


def output_hw(geom: Geometry, input_hw: tuple[int, int]) -> tuple[int, int]:
    """Output (height, width) for an input of ``input_hw``; DemoInputError if PyTorch would reject it."""
    (kh, kw), (sh, sw), (dh, dw) = geom.kernel, geom.stride, geom.dilation
    top, bottom, left, right = geom.padding
    h, w = input_hw
    if geom.op == "conv":
        padded = (h + top + bottom, w + left + right)
        span = geom.span
        if padded[0] < span[0] or padded[1] < span[1]:
            raise DemoInputError(msg("padded input {height}x{width} is smaller than the dilated kernel "
                                     "{kh}x{kw}, so no window fits; use a larger input or padding, "
                                     "or a smaller kernel or dilation", height=padded[0], width=padded[1],
                                     kh=span[0], kw=span[1]))
        return conv_out(h, kh, sh, top + bottom, dh), conv_out(w, kw, sw, left + right, dw)
    if geom.op == "transposed":
        out = (transposed_out(h, kh, sh, top, dh, geom.output_padding[0]),
               transposed_out(w, kw, sw, left, dw, geom.output_padding[1]))
        if min(out) < 1:
            raise DemoInputError(msg("transposed convolution output {height}x{width} is too small (PyTorch needs "
                                     "at least 1x1); lower the padding or raise the stride or kernel",
                                     height=out[0], width=out[1]))
        return out
    out = (pool_out(h, kh, sh, top, dh, geom.ceil_mode), pool_out(w, kw, sw, left, dw, geom.ceil_mode))
    if min(out) < 1:
        raise DemoInputError(msg("pooling output {height}x{width} is too small (PyTorch needs at least 1x1); "
                                 "use a larger input or padding, or a smaller kernel", height=out[0], width=out[1]))
    return out


def check_channels(op: str, in_channels: int, out_channels: int, groups: int) -> None:
    """PyTorch's channel checks for Conv2d and ConvTranspose2d."""
    if groups < 1:
        raise DemoInputError(msg("groups {groups} must be a positive integer", groups=groups))
    if in_channels % groups:
        raise DemoInputError(msg("in_channels {channels} must be divisible by groups {groups}; pick a divisor",
                                 channels=in_channels, groups=groups))
    if out_channels % groups:
        raise DemoInputError(msg("out_channels {channels} must be divisible by groups {groups}; pick a divisor",
                                 channels=out_channels, groups=groups))


def weight_shape(op: str, in_channels: int, out_channels: int, groups: int,
                 kernel: tuple[int, int]) -> tuple[int, int, int, int]:
    """PyTorch's weight shape: (out, in/groups, kh, kw) for Conv2d, (in, out/groups, kh, kw) transposed."""
    if op == "transposed":
        return (in_channels, out_channels // groups, *kernel)
    return (out_channels, in_channels // groups, *kernel)


# ---------------------------------------------------------------------------------------------
# Naive NumPy operations (N, C, H, W). Their output sizes come from the windows, not the formulas.
# ---------------------------------------------------------------------------------------------

def _pad4(padding) -> tuple[int, int, int, int]:
    padding = tuple(int(p) for p in padding)
    return padding if len(padding) == 4 else (padding[0], padding[0], padding[1], padding[1])


def _windows(xp: np.ndarray, kernel, stride, dilation) -> np.ndarray:
    """Every dilated window that lies wholly inside ``xp``'s last two axes.

    Returns a view of shape (..., n_rows, n_cols, kh, kw): window starts step by the stride and
    stop when the next window would run past the array's end.
    """
    span = (dilated_span(kernel[0], dilation[0]), dilated_span(kernel[1], dilation[1]))
    if xp.shape[-2] < span[0] or xp.shape[-1] < span[1]:
        raise ValueError(f"window {span} does not fit in the padded input {xp.shape[-2:]}")
    view = np.lib.stride_tricks.sliding_window_view(xp, span, axis=(-2, -1))
    return view[..., ::stride[0], ::stride[1], ::dilation[0], ::dilation[1]]


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride=(1, 1), padding=(0, 0),
           dilation=(1, 1), groups: int = 1) -> np.ndarray:
    """Cross-correlation as ``torch.nn.functional.conv2d``, with zero padding.

    Parameters
    ----------
    x : (N, C_in, H, W)
    w : (C_out, C_in / groups, kh, kw)
    b : (C_out,) or None
    padding : (ph, pw) or (top, bottom, left, right)

    Returns
    -------
    (N, C_out, H_out, W_out), with one output per window that fits in the padded input.

    Notes
    -----
    :math:`y[n,o,i,j] = b_o + \\sum_{c,u,v} w[o,c,u,v]\\, x_p[n, g(o)\\,C_g + c, i s_h + u d_h, j s_w + v d_w]`.
    """
    n_batch, c_in, _, _ = x.shape
    c_out, c_group, kh, kw = w.shape
    if c_in != c_group * groups or c_out % groups:
        raise ValueError(f"channels {c_in} -> {c_out} do not fit weight {w.shape} with groups {groups}")
    top, bottom, left, right = _pad4(padding)
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    patches = _windows(xp.reshape(n_batch, groups, c_group, *xp.shape[2:]), (kh, kw), stride, dilation)
    # patches: (N, groups, C_in/groups, H_out, W_out, kh, kw), a view; loop over the kernel offsets
    # so memory stays at one output instead of an im2col matrix kh*kw times larger
    w_grouped = w.reshape(groups, c_out // groups, c_group, kh, kw)
    out = np.zeros((n_batch, groups, c_out // groups, *patches.shape[3:5]), dtype=np.result_type(x, w))
    for u in range(kh):
        for v in range(kw):
            out += np.einsum("ngchw,goc->ngohw", patches[..., u, v], w_grouped[..., u, v])
    out = out.reshape(n_batch, c_out, *out.shape[3:])
    return out if b is None else out + b[None, :, None, None]


def _scatter_windows(values: np.ndarray, kernel, stride, dilation, extent: tuple[int, int],
                     weight_fn) -> np.ndarray:
    """Add ``weight_fn(u, v)`` applied to ``values`` at every kernel offset of every window.

    The transpose of "read one window per output position": output position (i, j) with kernel
    offset (u, v) lands on row ``i*s_h + u*d_h`` and column ``j*s_w + v*d_w`` of a buffer that is
    at least ``extent`` large (and large enough for every window).
    """
    n_rows, n_cols = values.shape[-2:]
    kh, kw = kernel
    rows = max(extent[0], (n_rows - 1) * stride[0] + dilated_span(kh, dilation[0]))
    cols = max(extent[1], (n_cols - 1) * stride[1] + dilated_span(kw, dilation[1]))
    buf = None
    for u in range(kh):
        for v in range(kw):
            contribution = weight_fn(u, v)
            if buf is None:
                buf = np.zeros((*contribution.shape[:-2], rows, cols), dtype=contribution.dtype)
            r0, c0 = u * dilation[0], v * dilation[1]
            buf[..., r0:r0 + (n_rows - 1) * stride[0] + 1:stride[0],
                c0:c0 + (n_cols - 1) * stride[1] + 1:stride[1]] += contribution
    return buf


def conv_transpose2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride=(1, 1),
                     padding=(0, 0), output_padding=(0, 0), dilation=(1, 1), groups: int = 1) -> np.ndarray:
    """Transposed convolution as ``torch.nn.functional.conv_transpose2d``.

    Parameters
    ----------
    x : (N, C_in, H, W)
    w : (C_in, C_out / groups, kh, kw)
    b : (C_out,) or None
    padding : (ph, pw), removed from both ends of the full result
    output_padding : (oh, ow), extra rows/columns added at the bottom/right

    Returns
    -------
    (N, C_out, H_out, W_out)

    Notes
    -----
    Every input pixel scatters its kernel-weighted copy onto the full output at stride ``s``; then
    ``p`` rows are cropped from each end and ``output_padding`` rows appended at the end. This is
    the adjoint of :func:`conv2d` with the same weight: :math:`\\langle conv(x), y\\rangle =
    \\langle x, conv^T(y)\\rangle`.
    """
    n_batch, c_in, h, wd = x.shape
    c_in_w, c_out_group, kh, kw = w.shape
    if c_in != c_in_w or c_in % groups:
        raise ValueError(f"input channels {c_in} do not fit weight {w.shape} with groups {groups}")
    c_in_group = c_in // groups
    xg = x.reshape(n_batch, groups, c_in_group, h, wd)
    wg = w.reshape(groups, c_in_group, c_out_group, kh, kw)
    full = _scatter_windows(xg, (kh, kw), stride, dilation, (0, 0),
                            lambda u, v: np.einsum("ngchw,gco->ngohw", xg, wg[..., u, v]))
    rows, cols = full.shape[-2:]
    # output_padding extends the full result at the bottom/right before the padding is cropped
    buf = np.zeros((*full.shape[:-2], rows + output_padding[0], cols + output_padding[1]), dtype=full.dtype)
    buf[..., :rows, :cols] = full
    ph, pw = padding
    out = buf[..., ph:buf.shape[-2] - ph, pw:buf.shape[-1] - pw]
    out = out.reshape(n_batch, groups * c_out_group, *out.shape[-2:])
    return out if b is None else out + b[None, :, None, None]


def pool_starts(n: int, k: int, s: int, p: int = 0, d: int = 1, ceil_mode: bool = False) -> list[int]:
    """Window start offsets along one axis, in padded coordinates, enumerated one by one.

    Floor mode keeps a window while it fits inside the padded input. Ceil mode also keeps a
    partial last window as long as the previous one stopped short of the end, except one that
    would start inside the right padding.
    """
    padded, span = n + 2 * p, dilated_span(k, d)
    starts, start = [], 0
    while True:
        if ceil_mode:
            previous_stopped_short = start - s + span < padded
            keep = previous_stopped_short and start < p + n
        else:
            keep = start + span <= padded
        if not keep:
            return starts
        starts.append(start)
        start += s


def _pool_layout(hw, kernel, stride, padding, dilation, ceil_mode):
    """Number of windows per axis and how far ceil mode's last window overhangs the padded input."""
    counts, overhang = [], []
    for n, k, s, p, d in zip(hw, kernel, stride, padding, dilation):
        starts = pool_starts(n, k, s, p, d, ceil_mode)
        if not starts:
            raise ValueError("no pooling window fits")
        counts.append(len(starts))
        overhang.append(max(0, starts[-1] + dilated_span(k, d) - (n + 2 * p)))
    return tuple(counts), tuple(overhang)


def _pool_windows(xp: np.ndarray, counts, kernel, stride, dilation) -> np.ndarray:
    """The first counts[0] x counts[1] windows of an already padded and extended input."""
    return _windows(xp, kernel, stride, dilation)[:, :, :counts[0], :counts[1]]


def max_pool2d(x: np.ndarray, kernel, stride=None, padding=(0, 0), dilation=(1, 1),
               ceil_mode: bool = False) -> np.ndarray:
    """Max pooling as ``torch.nn.functional.max_pool2d``: padding never wins (it is -inf).

    Parameters
    ----------
    x : (N, C, H, W)

    Returns
    -------
    (N, C, H_out, W_out), one output per window listed by :func:`pool_starts`.
    """
    stride = kernel if stride is None else stride
    (ph, pw) = padding
    counts, (extra_h, extra_w) = _pool_layout(x.shape[-2:], kernel, stride, padding, dilation, ceil_mode)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph + extra_h), (pw, pw + extra_w)), constant_values=-np.inf)
    return _pool_windows(xp, counts, kernel, stride, dilation).max(axis=(-2, -1))


def avg_pool2d(x: np.ndarray, kernel, stride=None, padding=(0, 0), ceil_mode: bool = False,
               count_include_pad: bool = True) -> np.ndarray:
    """Average pooling as ``torch.nn.functional.avg_pool2d``.

    Parameters
    ----------
    x : (N, C, H, W)

    Returns
    -------
    (N, C, H_out, W_out), one output per window listed by :func:`pool_starts`.

    Notes
    -----
    The divisor counts the window's positions inside the padded input (``count_include_pad``,
    PyTorch's default) or inside the input only; the part of a ceil-mode window that runs past
    the padded input never counts.
    """
    stride = kernel if stride is None else stride
    (ph, pw), (h, w) = padding, x.shape[-2:]
    counts, (extra_h, extra_w) = _pool_layout((h, w), kernel, stride, padding, (1, 1), ceil_mode)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph + extra_h), (pw, pw + extra_w)))
    sums = _pool_windows(xp, counts, kernel, stride, (1, 1)).sum(axis=(-2, -1))
    # 1 where a position counts towards the divisor, 0 elsewhere (always 0 in the overhang)
    mask = np.zeros((1, 1, h + 2 * ph + extra_h, w + 2 * pw + extra_w))
    if count_include_pad:
        mask[..., :h + 2 * ph, :w + 2 * pw] = 1.0
    else:
        mask[..., ph:ph + h, pw:pw + w] = 1.0
    divisors = _pool_windows(mask, counts, kernel, stride, (1, 1)).sum(axis=(-2, -1))
    return sums / divisors


def window_adjoint(grad_out: np.ndarray, input_hw: tuple[int, int], kernel, stride, padding,
                   dilation=(1, 1)) -> np.ndarray:
    """Back-propagate through "sum every window" with all weights 1: (..., H_out, W_out) -> (..., H, W).

    This is the gradient of a one-channel convolution whose weights are all 1, and it gives a
    max-pool window's dependency pattern (any element of the window can be the max). Output
    windows may overhang the padded input (ceil mode); the overhang is dropped.
    """
    top, bottom, left, right = _pad4(padding)
    h, w = input_hw
    buf = _scatter_windows(grad_out, kernel, stride, dilation, (h + top + bottom, w + left + right),
                           lambda u, v: grad_out)
    return buf[..., top:top + h, left:left + w]
