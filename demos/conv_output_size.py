"""Claim: a convolution's output size is floor((n + 2p - d(k-1) - 1)/s) + 1, PyTorch floors
rather than rounds up, and pooling differs only through ceil_mode and its default stride.

Each answer is computed twice: from the formula, and from the shape an actual NumPy
convolution (or transposed convolution, or pooling) produces on an input of that size. Expected:
224 with a 3x3 kernel, stride 2, no padding gives 111 (the quotient is 111.5; the last input
column is never read), not 112 (112 = ceil(224/2) is TensorFlow's padding='SAME'); a 28x28 map
with 2x2 pooling gives 27 with stride 1 and 14 with the default stride 2; a 1x1 convolution from
128 to 32 channels has 32 kernels of 1x1x128 and 4,128 parameters with bias.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlquiz.demos import _conv

META = {
    "title": "Convolution and pooling output size",
    "summary": "Output size, parameters and MACs of conv/transposed/pool layers, checked by running the op",
    "topics": ["cnn"],
    "params": {
        "op": {"type": "choice", "default": "conv", "choices": ["conv", "transposed", "maxpool", "avgpool"],
               "help": "layer type: Conv2d, ConvTranspose2d, MaxPool2d or AvgPool2d"},
        "input": {"type": "pair", "default": 28, "min": 1, "max": 4096,
                  "help": "input height and width (N or HxW)"},
        "kernel": {"type": "pair", "default": 3, "min": 1, "max": 64,
                   "help": "kernel (window) size, K or KHxKW"},
        "stride": {"type": "pair", "default": 0, "min": 0, "max": 64,
                   "help": "stride; 0 means the layer's default: 1 for convolutions, the kernel for pooling"},
        "padding": {"type": "text", "default": "0",
                    "help": "zero padding per side: a number, HxW, or for conv 'same' (stride 1) or 'valid'"},
        "dilation": {"type": "pair", "default": 1, "min": 1, "max": 64,
                     "help": "spacing between kernel taps (conv, transposed, maxpool)"},
        "output_padding": {"type": "pair", "default": 0, "min": 0, "max": 63,
                           "help": "rows/columns added at the bottom/right (transposed only)"},
        "ceil_mode": {"type": "flag", "default": False,
                      "help": "pooling: round the window count up (a window starting in the right padding is dropped)"},
        "in_channels": {"type": "int", "default": 1, "min": 1, "max": 4096,
                        "help": "input channels (pooling keeps them)"},
        "out_channels": {"type": "int", "default": 8, "min": 1, "max": 4096,
                         "help": "output channels = number of kernels (ignored by pooling)"},
        "groups": {"type": "int", "default": 1, "min": 1, "max": 4096,
                   "help": "channel groups; must divide both channel counts (ignored by pooling)"},
        "no_bias": {"type": "flag", "default": False,
                    "help": "leave out the bias (ignored by pooling, which has no parameters)"},
    },
    "outputs": {
        "op": "the layer type: conv, transposed, maxpool or avgpool",
        "torch_layer": "the equivalent PyTorch constructor call",
        "input": "input [height, width]",
        "kernel": "kernel [height, width]",
        "stride": "stride [height, width] actually used (pooling's default is the kernel)",
        "padding": "padding [top, bottom, left, right] actually used ('same' puts the odd one at the bottom/right)",
        "padding_mode": "explicit, same or valid",
        "dilation": "dilation [height, width]",
        "output_padding": "output_padding [height, width] (transposed only)",
        "ceil_mode": "whether pooling rounds the window count up",
        "effective_kernel": "dilated kernel extent d*(k-1)+1 [height, width]",
        "output": "output [height, width] from PyTorch's formula",
        "output_exact": "the formula's value before rounding [height, width] (111.5 for 224, k3, s2)",
        "ceil_dropped_last": "[height, width]: ceil mode dropped a last window that would start in the right padding",
        "tf_same_output": "what TensorFlow padding='SAME' would give: ceil(n/s), or n*s for transposed [height, width]",
        "in_channels": "input channels",
        "out_channels": "output channels (pooling: equal to in_channels)",
        "groups": "channel groups used (1 for pooling)",
        "output_shape": "output [channels, height, width] of one sample",
        "output_elements": "channels*height*width of one sample's output",
        "kernels": "number of kernels (filters) = out_channels; 0 for pooling",
        "filter_shape": "shape of one output channel's kernel [in_channels/groups, kh, kw]; [] for pooling",
        "weight_shape": "PyTorch weight shape: (out, in/groups, kh, kw), transposed (in, out/groups, kh, kw)",
        "weights": "number of weights",
        "biases": "number of biases (0 with --no-bias or for pooling)",
        "params": "weights + biases",
        "macs": "multiply-accumulates for one sample (conv: outputs*in/groups*kh*kw; transposed: "
                "inputs*out/groups*kh*kw; pooling: 0)",
        "pool_ops": "pooling: comparisons (max) or additions (avg), (kh*kw - 1) per output; 0 for convolutions",
        "numpy_checked": "whether the NumPy operation was run (false when it would exceed the work cap)",
        "numpy_shape": "shape [N, C, H, W] the NumPy operation produced (null if not run)",
        "numpy_output": "[height, width] the NumPy operation produced (null if not run)",
        "numpy_matches": "whether the NumPy shape equals the formula (null if not run)",
        "numpy_note": "how the NumPy check was run (channels used, or why it was skipped)",
        "unused_input": "[rows, columns] of the input that no output reads, found by back-propagating "
                        "ones through the windows (null for transposed or when not run)",
    },
}

WORK_CAP = 20_000_000  # multiply-adds (or window reads) of the NumPy check: about 0.1 s on a laptop
ELEMENT_CAP = 4_000_000  # largest input or output array of the check: 32 MB in float64


@dataclass(frozen=True)
class ConvOutputSize:
    op: str
    torch_layer: str
    input: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int, int, int]
    padding_mode: str
    dilation: tuple[int, int]
    output_padding: tuple[int, int]
    ceil_mode: bool
    effective_kernel: tuple[int, int]
    output: tuple[int, int]
    output_exact: tuple[float, float]
    ceil_dropped_last: tuple[bool, bool]
    tf_same_output: tuple[int, int]
    in_channels: int
    out_channels: int
    groups: int
    output_shape: tuple[int, int, int]
    output_elements: int
    kernels: int
    filter_shape: tuple[int, ...]
    weight_shape: tuple[int, ...]
    weights: int
    biases: int
    params: int
    macs: int
    pool_ops: int
    numpy_checked: bool
    numpy_shape: tuple[int, ...] | None
    numpy_output: tuple[int, int] | None
    numpy_matches: bool | None
    numpy_note: str
    unused_input: tuple[int, int] | None


def compute(op: str = "conv", input: tuple[int, int] = (28, 28), kernel: tuple[int, int] = (3, 3),
            stride: tuple[int, int] = (0, 0), padding: str = "0", dilation: tuple[int, int] = (1, 1),
            output_padding: tuple[int, int] = (0, 0), ceil_mode: bool = False, in_channels: int = 1,
            out_channels: int = 8, groups: int = 1, no_bias: bool = False) -> ConvOutputSize:
    """Output size, parameter and MAC counts of one layer, and the shape NumPy actually produces.

    Notes
    -----
    Per axis, with padding :math:`p_t, p_b` (``2p`` in total when symmetric):

    - conv: :math:`\\lfloor (n + p_t + p_b - d(k-1) - 1)/s \\rfloor + 1`;
    - transposed: :math:`(n-1)s - 2p + d(k-1) + \\text{output\\_padding} + 1`;
    - pooling: the conv formula, or with ``ceil_mode`` :math:`\\lceil\\cdot\\rceil` instead of
      :math:`\\lfloor\\cdot\\rfloor`, minus one window if the last would start at or after
      :math:`n + p` (inside the right padding).
    """
    geom = _conv.resolve_geometry(op, tuple(kernel), tuple(stride), padding, tuple(dilation),
                                  tuple(output_padding), ceil_mode)
    pooled = op in _conv.POOLS
    if pooled:
        out_channels, groups, bias = in_channels, 1, False
    else:
        _conv.check_channels(op, in_channels, out_channels, groups)
        bias = not no_bias
    output = _conv.output_hw(geom, tuple(input))
    (kh, kw), (sh, sw) = geom.kernel, geom.stride
    top, bottom, left, right = geom.padding

    if op == "transposed":
        output_exact = tuple(float(o) for o in output)
    else:
        output_exact = ((input[0] + top + bottom - geom.span[0]) / sh + 1,
                        (input[1] + left + right - geom.span[1]) / sw + 1)
    ceil_dropped = tuple(
        bool(pooled and ceil_mode and _conv.ceil_drops_last(n, k, s_, p, d))
        for n, k, s_, p, d in zip(input, geom.kernel, geom.stride, (top, left), geom.dilation)
    )
    # TensorFlow's 'SAME' keeps ceil(n/s) positions (n*s when transposed), whatever the kernel
    tf_same = tuple(n * s_ if op == "transposed" else math.ceil(n / s_) for n, s_ in zip(input, geom.stride))

    output_elements = out_channels * output[0] * output[1]
    if pooled:
        filter_shape, w_shape, weights, biases, macs = (), (), 0, 0, 0
        pool_ops = output_elements * (kh * kw - 1)
    else:
        filter_shape = (in_channels // groups, kh, kw)
        w_shape = _conv.weight_shape(op, in_channels, out_channels, groups, geom.kernel)
        weights = int(np.prod(w_shape))
        biases = out_channels if bias else 0
        if op == "conv":
            macs = output_elements * (in_channels // groups) * kh * kw
        else:
            # each input value is multiplied by every weight of its group's out/groups kernels
            macs = in_channels * input[0] * input[1] * (out_channels // groups) * kh * kw
        pool_ops = 0

    check = _numpy_check(geom, tuple(input), in_channels, out_channels, groups, output, macs, pool_ops)
    return ConvOutputSize(
        op=op, torch_layer=_torch_layer(geom, in_channels, out_channels, groups, bias),
        input=tuple(input), kernel=geom.kernel, stride=geom.stride, padding=geom.padding,
        padding_mode=geom.padding_mode, dilation=geom.dilation, output_padding=geom.output_padding,
        ceil_mode=geom.ceil_mode, effective_kernel=geom.span, output=output, output_exact=output_exact,
        ceil_dropped_last=ceil_dropped, tf_same_output=tf_same, in_channels=in_channels,
        out_channels=out_channels, groups=groups, output_shape=(out_channels, *output),
        output_elements=output_elements, kernels=0 if pooled else out_channels, filter_shape=filter_shape,
        weight_shape=w_shape, weights=weights, biases=biases, params=weights + biases, macs=macs,
        pool_ops=pool_ops, **check,
    )


def run_op(geom: _conv.Geometry, x: np.ndarray, out_channels: int, groups: int) -> np.ndarray:
    """Run the naive NumPy operation of ``geom`` on ``x`` (N, C_in, H, W) with zero weights.

    The values do not matter here; the shape is what the windows produce.
    """
    c_in = x.shape[1]
    if geom.op == "conv":
        w = np.zeros((out_channels, c_in // groups, *geom.kernel), dtype=x.dtype)
        return _conv.conv2d(x, w, None, geom.stride, geom.padding, geom.dilation, groups)
    if geom.op == "transposed":
        w = np.zeros((c_in, out_channels // groups, *geom.kernel), dtype=x.dtype)
        return _conv.conv_transpose2d(x, w, None, geom.stride, geom.pad_hw, geom.output_padding,
                                      geom.dilation, groups)
    if geom.op == "maxpool":
        return _conv.max_pool2d(x, geom.kernel, geom.stride, geom.pad_hw, geom.dilation, geom.ceil_mode)
    return _conv.avg_pool2d(x, geom.kernel, geom.stride, geom.pad_hw, geom.ceil_mode)


def _check_plan(op, input_hw, kernel, output, in_channels, out_channels, macs, pool_ops) -> str:
    """How the NumPy check runs: "full" (the real channels), "one" (one channel) or "none" (too large)."""
    (h, w), (kh, kw) = input_hw, kernel
    spatial_out = output[0] * output[1]
    # the transposed op scatters every input pixel over kh*kw outputs; its buffer is about the output
    spatial_work = (h * w if op == "transposed" else spatial_out) * kh * kw
    full_work = max(macs, pool_ops, spatial_work * in_channels)
    full_elements = max(in_channels * h * w, out_channels * spatial_out)
    if full_work <= WORK_CAP and full_elements <= ELEMENT_CAP:
        return "full"
    if spatial_work <= WORK_CAP and max(h * w, spatial_out) <= ELEMENT_CAP:
        return "one"
    return "none"


def _numpy_note(plan, op, in_channels, out_channels, _=lambda message: message) -> str:
    """The check's note: English in the result (``_`` leaves it as it is), translated on screen."""
    if plan == "full":
        if op in _conv.POOLS:
            return _("ran with batch 1 and all {channels} channels").format(channels=in_channels)
        return _("ran with batch 1 and all {c_in} -> {c_out} channels").format(c_in=in_channels, c_out=out_channels)
    if plan == "one":
        return _("ran with batch 1 and one channel (the full channel count exceeds the work cap)")
    return _("not run: even one channel would exceed {work_cap:,} multiply-adds or {element_cap:,} elements "
             "per array").format(work_cap=WORK_CAP, element_cap=ELEMENT_CAP)


def _numpy_check(geom, input_hw, in_channels, out_channels, groups, output, macs, pool_ops) -> dict:
    """Run the operation with the real channels if cheap, else with one channel, else not at all.

    The spatial output size does not depend on the channel counts, so one channel still checks it.
    """
    plan = _check_plan(geom.op, input_hw, geom.kernel, output, in_channels, out_channels, macs, pool_ops)
    note = _numpy_note(plan, geom.op, in_channels, out_channels)
    if plan == "full":
        c_in, c_out, g = in_channels, out_channels, groups
    elif plan == "one":
        c_in, c_out, g = 1, 1, 1
    else:
        return dict(numpy_checked=False, numpy_shape=None, numpy_output=None, numpy_matches=None,
                    numpy_note=note, unused_input=None)
    (h, w) = input_hw
    y = run_op(geom, np.zeros((1, c_in, h, w)), c_out, g)
    unused = None
    if geom.op != "transposed":
        # which input pixels feed some output: back-propagate ones through every window
        reads = _conv.window_adjoint(np.ones(output), input_hw, geom.kernel, geom.stride, geom.padding,
                                     geom.dilation)
        unused = (int(np.sum(~reads.any(axis=1))), int(np.sum(~reads.any(axis=0))))
    return dict(numpy_checked=True, numpy_shape=tuple(int(n) for n in y.shape),
                numpy_output=(int(y.shape[2]), int(y.shape[3])),
                numpy_matches=bool(y.shape[2:] == output and y.shape[1] == c_out),
                numpy_note=note, unused_input=unused)


def _torch_layer(geom: _conv.Geometry, in_channels: int, out_channels: int, groups: int, bias: bool) -> str:
    def one(pair):
        return str(pair[0]) if pair[0] == pair[1] else f"({pair[0]}, {pair[1]})"

    name = _conv.TORCH_NAMES[geom.op]
    padding = f"'{geom.padding_mode}'" if geom.padding_mode != "explicit" else one(geom.pad_hw)
    args = [f"kernel_size={one(geom.kernel)}", f"stride={one(geom.stride)}", f"padding={padding}"]
    if geom.op == "transposed" and geom.output_padding != (0, 0):
        args.append(f"output_padding={one(geom.output_padding)}")
    if geom.op != "avgpool" and geom.dilation != (1, 1):
        args.append(f"dilation={one(geom.dilation)}")
    if geom.op in _conv.POOLS:
        if geom.ceil_mode:
            args.append("ceil_mode=True")
        return f"nn.{name}({', '.join(args)})"
    if groups != 1:
        args.append(f"groups={groups}")
    if not bias:
        args.append("bias=False")
    return f"nn.{name}({in_channels}, {out_channels}, {', '.join(args)})"


def _axis_formula(r: ConvOutputSize, axis: int, _=lambda message: message) -> str:
    n, k, s, d = r.input[axis], r.kernel[axis], r.stride[axis], r.dilation[axis]
    pad = r.padding[2 * axis] + r.padding[2 * axis + 1]
    if r.op == "transposed":
        p, o = r.padding[2 * axis], r.output_padding[axis]
        return f"({n}-1)*{s} - 2*{p} + {d}*({k}-1) + {o} + 1 = {r.output[axis]}"
    rounding = "ceil" if r.ceil_mode else "floor"
    text = f"{rounding}(({n} + {pad} - {d}*({k}-1) - 1)/{s}) + 1 = {rounding}({r.output_exact[axis]:g})"
    return text + (_(" - 1 (last window dropped)") if r.ceil_dropped_last[axis] else "") + f" = {r.output[axis]}"


def render(result: ConvOutputSize):
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import key_values
    from mlquiz.i18n import _

    r = result
    shape = Table(title=r.torch_layer, show_header=False)
    shape.add_column(style="cyan")
    shape.add_column()
    mode = {"explicit": _("explicit")}.get(r.padding_mode, r.padding_mode)  # same and valid are PyTorch's words
    for name, value in [
        (_("input"), f"{r.in_channels} x {r.input[0]} x {r.input[1]}"),
        (_("height"), _axis_formula(r, 0, _)),
        (_("width"), _axis_formula(r, 1, _)),
        (_("output"), f"{r.output_shape[0]} x {r.output[0]} x {r.output[1]}"),
        (_("padding t,b,l,r"), _("{padding}  ({mode})").format(padding=", ".join(map(str, r.padding)), mode=mode)),
        (_("effective kernel"), f"{r.effective_kernel[0]} x {r.effective_kernel[1]}  (d*(k-1)+1)"),
        (_("TF 'SAME' gives"), _("{height} x {width}  (another framework's rule)").format(
            height=r.tf_same_output[0], width=r.tf_same_output[1])),
    ]:
        shape.add_row(name, value)
    plan = _check_plan(r.op, r.input, r.kernel, r.output, r.in_channels, r.out_channels, r.macs, r.pool_ops)
    note = (_numpy_note(plan, r.op, r.in_channels, r.out_channels, _)
            if _numpy_note(plan, r.op, r.in_channels, r.out_channels) == r.numpy_note else r.numpy_note)
    if r.numpy_checked:
        verdict = _("matches the formula") if r.numpy_matches else _("DIFFERS from the formula")
        numpy_rows = [(_("NumPy produced"), _("{shape}: {verdict}").format(shape=tuple(r.numpy_shape), verdict=verdict)),
                      (_("how"), note)]
        if r.unused_input is not None:
            numpy_rows.append((_("input rows, cols never read"), f"{r.unused_input[0]}, {r.unused_input[1]}"))
    else:
        numpy_rows = [(_("NumPy check"), note)]
    if r.op in _conv.POOLS:
        cost_rows = [(_("parameters"), _("0 (pooling has none)")),
                     ("MACs", "0"),
                     (_("comparisons") if r.op == "maxpool" else _("additions"), f"{r.pool_ops:,}")]
    else:
        cost_rows = [
            (_("kernels"), _("{kernels}, each {shape}").format(kernels=r.kernels,
                                                               shape=" x ".join(map(str, r.filter_shape)))),
            (_("weight shape"), " x ".join(map(str, r.weight_shape))),
            (_("parameters"), _("{weights:,} weights + {biases:,} biases = {params:,}").format(
                weights=r.weights, biases=r.biases, params=r.params)),
            (_("MACs per sample"), f"{r.macs:,}"),
        ]
    return Group(shape, key_values(_("checked by running it"), numpy_rows), key_values(_("cost"), cost_rows))
