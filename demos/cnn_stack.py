"""Claim: a CNN's shapes, parameters, receptive fields and multiply-accumulates follow layer by
layer from a few formulas, and stacking small kernels beats one large kernel on weights.

The default network is LeNet-5 on a 1x28x28 image (conv6k5p2, pool2, conv16k5, pool2, fc120,
fc84, fc10): feature maps 6x28x28, 6x14x14, 16x10x10, 16x5x5, then 400 -> 120 -> 84 -> 10;
61,706 parameters of which 95.8% sit in the fully connected layers; 416,520 multiply-accumulates;
the last pooling unit sees a 16x16 patch of the image. Each receptive field is also measured by
back-propagating a 1 from the layer's centre unit through the actual windows (all weights equal).

n stacked 3x3 convolutions (stride 1, C channels in and out) see 2n+1 pixels, like one
(2n+1)x(2n+1) kernel, with n*9*C^2 weights instead of (2n+1)^2*C^2: two 3x3 = 18C^2 against
5x5 = 25C^2 (0.72 times), three 3x3 = 27C^2 against 7x7 = 49C^2 (0.55 times), and with n
nonlinearities instead of one. Their input gradient is not flat over the field: for three layers
the rows weigh 1:3:6:7:6:3:1 (27 in all), so the centre row carries 7/27 = 0.26 against 1/7.

Spec grammar (comma-separated tokens, case and spaces ignored; numbers are whole):

- ``conv<C>k<K>[s<S>][p<P>|psame|pvalid][d<D>][g<G>]``: Conv2d to C channels, KxK kernel,
  stride S (1), padding P (0), dilation D (1), groups G (1), with bias;
- ``pool<K>[s<S>][p<P>][d<D>][ceil]`` (also ``maxpool``) and ``avgpool<K>[s<S>][p<P>][ceil]``:
  pooling with stride S (default K) and PyTorch's ceil_mode;
- ``fc<N>``: flatten, then Linear to N units with bias;
- ``relu``, ``tanh``, ``sigmoid``: elementwise, no parameters, no change in shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from mlquiz.demos import _conv
from mlquiz.errors import DemoInputError
from mlquiz.i18n import msg

META = {
    "title": "A CNN layer by layer",
    "summary": "Shapes, parameters, receptive fields and MACs of a small CNN; 3x3 stacks vs one big kernel",
    "topics": ["cnn"],
    "params": {
        "spec": {"type": "text", "default": "conv6k5p2,pool2,conv16k5,pool2,fc120,fc84,fc10",
                 "help": "layers, comma-separated: conv<C>k<K>[s<S>][p<P>|psame|pvalid][d<D>][g<G>], "
                         "pool<K>[s<S>][p<P>][d<D>][ceil], avgpool<K>[s<S>][p<P>][ceil], fc<N>, relu"},
        "input": {"type": "pair", "default": 28, "min": 1, "max": 512,
                  "help": "input height and width (N or HxW)"},
        "in_channels": {"type": "int", "default": 1, "min": 1, "max": 2048,
                        "help": "input channels (1 for MNIST, 3 for RGB)"},
        "stack_depth": {"type": "int", "default": 3, "min": 1, "max": 8,
                        "help": "compare 1..n stacked 3x3 convolutions with one (2n+1)x(2n+1) kernel"},
        "stack_channels": {"type": "int", "default": 64, "min": 1, "max": 4096,
                           "help": "channels C in and out of every layer of that comparison"},
    },
    "outputs": {
        "spec": "the layer spec, normalised (lower case, no spaces)",
        "input_shape": "input [channels, height, width]",
        "layers": "per layer: name, type, output_shape, params, macs, receptive_field [h, w] (the whole "
                  "input for fc), receptive_field_measured (null for fc, elementwise or too large to "
                  "measure), jump [h, w] (input pixels between neighbouring units)",
        "output_shape": "shape of the network's output",
        "flatten_size": "features entering the first fc layer (null without fc)",
        "total_params": "parameters of the whole network (weights and biases)",
        "conv_params": "parameters in convolution layers",
        "fc_params": "parameters in fully connected layers",
        "fc_param_fraction": "fc_params / total_params",
        "largest_layer": "name of the layer with the most parameters",
        "total_macs": "multiply-accumulates for one sample (pooling and elementwise layers count 0)",
        "final_receptive_field": "receptive field [h, w] of the last convolution or pooling layer",
        "receptive_fields_verified": "whether every measured receptive field equals the formula (null when a "
                                     "field is too large to measure)",
        "numpy_checked": "whether the network was run in NumPy to confirm the shapes",
        "numpy_shapes_match": "whether every shape NumPy produced equals the formula (null if not run)",
        "numpy_note": "how the NumPy run was done (channels used, or why it was skipped)",
        "stack_channels": "channels C of the stacked-3x3 comparison",
        "stack_depths": "numbers n of stacked 3x3 convolutions compared, 1..stack_depth",
        "stack_rf": "receptive field 2n+1 of n stacked 3x3 convolutions (formula)",
        "stack_rf_measured": "the same, measured by back-propagation through the n convolutions",
        "single_rf_measured": "receptive field measured through one (2n+1)x(2n+1) convolution",
        "stack_weights": "weights of n stacked 3x3 convolutions, n*9*C^2 (no biases)",
        "single_weights": "weights of one (2n+1)x(2n+1) convolution, (2n+1)^2*C^2 (no biases)",
        "stack_weights_per_c2": "n*9: stack weights divided by C^2",
        "single_weights_per_c2": "(2n+1)^2: single-kernel weights divided by C^2",
        "weight_ratio": "stack_weights / single_weights for each n",
        "stack_profile": "share of the input gradient in each row of the field of the deepest stack "
                         "(all weights 1); one big kernel would give 1/(2n+1) each",
        "stack_center_share": "the centre row's share in stack_profile (7/27 for n=3)",
    },
}

MAX_LAYERS = 32  # longer specs are not "small networks" and would make the table unreadable
LIMITS = {"channels": 4096, "kernel": 64, "stride": 64, "padding": 64, "dilation": 64, "groups": 4096,
          "units": 100_000}  # per-token ranges, as wide as conv-output-size's options
WORK_CAP = 20_000_000  # multiply-adds of the NumPy run: about 0.1 s
ELEMENT_CAP = 4_000_000  # largest activation or fc weight matrix of the NumPy run (32 MB)
CANVAS_MAX = 512  # largest square input tried when measuring receptive fields (VGG-16 needs 303)
RF_WORK_CAP = 60_000_000  # element additions allowed for one back-propagation over the canvas: ~0.2 s
ELEMENTWISE = ("relu", "tanh", "sigmoid")

_CONV = re.compile(r"conv(\d+)k(\d+)(?:s(\d+))?(?:p(\d+|same|valid))?(?:d(\d+))?(?:g(\d+))?")
_POOL = re.compile(r"(max|avg)?pool(\d+)(?:s(\d+))?(?:p(\d+))?(?:d(\d+))?(ceil)?")
_FC = re.compile(r"fc(\d+)")
GRAMMAR = ("conv<C>k<K>[s<S>][p<P>|psame|pvalid][d<D>][g<G>], pool<K>[s<S>][p<P>][d<D>][ceil], "
           "avgpool<K>[s<S>][p<P>][ceil], fc<N>, relu, tanh or sigmoid")


@dataclass(frozen=True)
class LayerSpec:
    """One parsed token: ``kind`` is conv, maxpool, avgpool, fc or an elementwise name."""

    name: str
    kind: str
    out_channels: int = 0  # conv channels or fc units
    geometry: _conv.Geometry | None = None
    groups: int = 1


@dataclass(frozen=True)
class CnnStack:
    spec: str
    input_shape: tuple[int, int, int]
    layers: list[dict]
    output_shape: tuple[int, ...]
    flatten_size: int | None
    total_params: int
    conv_params: int
    fc_params: int
    fc_param_fraction: float
    largest_layer: str
    total_macs: int
    final_receptive_field: tuple[int, int] | None
    receptive_fields_verified: bool | None
    numpy_checked: bool
    numpy_shapes_match: bool | None
    numpy_note: str
    stack_channels: int
    stack_depths: np.ndarray
    stack_rf: np.ndarray
    stack_rf_measured: np.ndarray
    single_rf_measured: np.ndarray
    stack_weights: np.ndarray
    single_weights: np.ndarray
    stack_weights_per_c2: np.ndarray
    single_weights_per_c2: np.ndarray
    weight_ratio: np.ndarray
    stack_profile: np.ndarray
    stack_center_share: float


def parse_spec(spec: str) -> list[LayerSpec]:
    """Parse the layer spec; DemoInputError naming the first bad token."""
    tokens = [t for t in re.sub(r"\s+", "", spec.lower()).split(",")]
    if not spec.strip() or any(not t for t in tokens):
        raise DemoInputError(msg("spec {spec} has an empty layer; separate layers with single commas, e.g. "
                                 "conv6k5,pool2,fc10", spec=repr(spec)))
    if len(tokens) > MAX_LAYERS:
        raise DemoInputError(msg("spec has {count} layers; use at most {limit}", count=len(tokens), limit=MAX_LAYERS))
    layers, seen_fc = [], False
    for index, token in enumerate(tokens, start=1):
        where = msg("spec layer {index} {token}", index=index, token=repr(token))
        conv, pool, fc = _CONV.fullmatch(token), _POOL.fullmatch(token), _FC.fullmatch(token)
        if conv or pool:
            if seen_fc:
                raise DemoInputError(msg("{where}: convolution or pooling after fc; put fc layers last", where=where))
            try:
                layers.append(_spatial_layer(token, conv, pool))
            except DemoInputError as exc:
                raise DemoInputError(msg("{where}: {error}", where=where, error=exc)) from None
        elif fc:
            layers.append(LayerSpec(token, "fc", _bounded(fc.group(1), "units", 1, where)))
            seen_fc = True
        elif token in ELEMENTWISE:
            layers.append(LayerSpec(token, token))
        else:
            raise DemoInputError(msg("{where} is not understood; use {grammar}", where=where, grammar=GRAMMAR))
    return layers


def _bounded(text: str | None, what: str, low: int, where: str = "", default: int | None = None) -> int:
    if text is None:
        return default
    value = int(text)
    if not low <= value <= LIMITS[what]:
        prefix = msg("{where}: ", where=where) if where else ""
        raise DemoInputError(msg("{prefix}{what} {value} is out of range; use {low} to {high}", prefix=prefix,
                                 what=what, value=value, low=low, high=LIMITS[what]))
    return value


def _spatial_layer(token: str, conv, pool) -> LayerSpec:
    if conv:
        channels, kernel, stride, padding, dilation, groups = conv.groups()
        k = _bounded(kernel, "kernel", 1)
        pad = padding if padding in ("same", "valid") else _bounded(padding, "padding", 0, default=0)
        geom = _conv.resolve_geometry("conv", (k, k), (_bounded(stride, "stride", 1, default=1),) * 2, pad,
                                      (_bounded(dilation, "dilation", 1, default=1),) * 2)
        return LayerSpec(token, "conv", _bounded(channels, "channels", 1), geom,
                         _bounded(groups, "groups", 1, default=1))
    kind, kernel, stride, padding, dilation, ceil = pool.groups()
    op = "avgpool" if kind == "avg" else "maxpool"
    k = _bounded(kernel, "kernel", 1)
    geom = _conv.resolve_geometry(op, (k, k), (_bounded(stride, "stride", 1, default=0),) * 2,
                                  _bounded(padding, "padding", 0, default=0),
                                  (_bounded(dilation, "dilation", 1, default=1),) * 2, ceil_mode=bool(ceil))
    return LayerSpec(token, op, geometry=geom)


def compute(spec: str = "conv6k5p2,pool2,conv16k5,pool2,fc120,fc84,fc10", input: tuple[int, int] = (28, 28),
            in_channels: int = 1, stack_depth: int = 3, stack_channels: int = 64) -> CnnStack:
    """Walk the network layer by layer, then compare stacked 3x3 convolutions with one big kernel.

    Notes
    -----
    Receptive field and jump (distance between neighbouring units, in input pixels), starting
    from :math:`r_0 = 1, j_0 = 1`: :math:`r_l = r_{l-1} + (d_l(k_l - 1))\\, j_{l-1}`,
    :math:`j_l = j_{l-1} s_l`. Parameters: conv :math:`C_{out} C_{in}/g\\, k^2 + C_{out}`,
    fc :math:`n_{in} n_{out} + n_{out}`. MACs: conv :math:`C_{out} H_{out} W_{out} \\cdot C_{in}/g\\, k^2`,
    fc :math:`n_{in} n_{out}`.
    """
    parsed = parse_spec(spec)
    shape: tuple[int, ...] = (in_channels, *input)
    rf, jump = (1, 1), (1, 1)
    layers, shapes, flatten_size = [], [shape], None
    for index, layer in enumerate(parsed, start=1):
        where = msg("spec layer {index} {token}", index=index, token=repr(layer.name))
        params = macs = 0
        if layer.kind == "conv":
            try:
                _conv.check_channels("conv", shape[0], layer.out_channels, layer.groups)
                out_hw = _conv.output_hw(layer.geometry, shape[1:])
            except DemoInputError as exc:
                raise DemoInputError(msg("{where} on input {shape}: {error}", where=where, shape="x".join(map(str, shape)),
                                         error=exc)) from None
            kh, kw = layer.geometry.kernel
            params = layer.out_channels * (shape[0] // layer.groups) * kh * kw + layer.out_channels
            macs = layer.out_channels * out_hw[0] * out_hw[1] * (shape[0] // layer.groups) * kh * kw
            shape = (layer.out_channels, *out_hw)
        elif layer.kind in _conv.POOLS:
            try:
                shape = (shape[0], *_conv.output_hw(layer.geometry, shape[1:]))
            except DemoInputError as exc:
                raise DemoInputError(msg("{where} on input {shape}: {error}", where=where, shape="x".join(map(str, shape)),
                                         error=exc)) from None
        elif layer.kind == "fc":
            n_in = int(np.prod(shape))
            flatten_size = n_in if flatten_size is None else flatten_size
            params, macs, shape = n_in * layer.out_channels + layer.out_channels, n_in * layer.out_channels, \
                (layer.out_channels,)
        if layer.geometry is not None:
            span = layer.geometry.span
            rf = (rf[0] + (span[0] - 1) * jump[0], rf[1] + (span[1] - 1) * jump[1])
            jump = (jump[0] * layer.geometry.stride[0], jump[1] * layer.geometry.stride[1])
        layers.append({"name": layer.name, "type": layer.kind, "output_shape": list(shape), "params": params,
                       "macs": macs, "receptive_field": list(input) if layer.kind == "fc" else list(rf),
                       "receptive_field_measured": None, "jump": None if layer.kind == "fc" else list(jump)})
        shapes.append(shape)

    spatial = [i for i, layer in enumerate(parsed) if layer.geometry is not None]
    measured = measure_receptive_fields([parsed[i].geometry for i in spatial])
    for i, field in zip(spatial, measured):
        layers[i]["receptive_field_measured"] = None if field is None else list(field)
    pairs = [(layers[i]["receptive_field_measured"], layers[i]["receptive_field"]) for i in spatial]
    if any(m is not None and m != f for m, f in pairs):
        verified = False
    else:
        verified = None if any(m is None for m, _ in pairs) else True

    total_params = sum(layer["params"] for layer in layers)
    conv_params = sum(layer["params"] for layer in layers if layer["type"] == "conv")
    fc_params = sum(layer["params"] for layer in layers if layer["type"] == "fc")
    largest = max(layers, key=lambda layer: layer["params"])["name"]
    check = _numpy_check(parsed, shapes, sum(layer["macs"] for layer in layers))
    stack = compare_stacks(stack_depth, stack_channels)
    return CnnStack(
        spec=",".join(layer.name for layer in parsed), input_shape=(in_channels, *input), layers=layers,
        output_shape=shape, flatten_size=flatten_size, total_params=total_params, conv_params=conv_params,
        fc_params=fc_params, fc_param_fraction=fc_params / total_params if total_params else 0.0,
        largest_layer=largest, total_macs=sum(layer["macs"] for layer in layers),
        final_receptive_field=tuple(layers[spatial[-1]]["receptive_field"]) if spatial else None,
        receptive_fields_verified=verified, **check, stack_channels=stack_channels, **stack,
    )


def measure_receptive_fields(geoms: list[_conv.Geometry]) -> list[tuple[int, int] | None]:
    """Receptive field of each layer's centre unit, measured by back-propagation.

    A 1 at the centre unit of layer l is propagated back to the input through every window with
    all weights 1/(kh*kw) (a max-pool window counts as an average: any element can be the max);
    the field is the height and width of the input region with a nonzero gradient. The input is
    a square canvas, grown by half until no field is clipped: with these weights the gradient
    keeps a total of exactly 1 unless part of a window falls on padding or past the input.

    Returns
    -------
    One (height, width) per layer, or None for all when a field would need a canvas larger than
    CANVAS_MAX or more than RF_WORK_CAP additions.
    """
    canvas = 8
    while geoms and canvas <= CANVAS_MAX:
        sizes = [(canvas, canvas)]
        try:
            for geom in geoms:
                sizes.append(_conv.output_hw(geom, sizes[-1]))
        except DemoInputError:
            canvas = canvas * 3 // 2  # a layer has no output on this canvas yet
            continue
        # one channel per layer still being propagated, each spread over kh*kw offsets
        work = sum(g.kernel[0] * g.kernel[1] * (len(geoms) - i) * size[0] * size[1]
                   for i, (g, size) in enumerate(zip(geoms, sizes[1:])))
        if work > RF_WORK_CAP:
            break
        # channel i of `grad` carries the centre unit of layer len(geoms)-1-i; deeper layers first
        grad = np.zeros((0, *sizes[-1]))
        for layer in reversed(range(len(geoms))):
            centre = np.zeros((1, *sizes[layer + 1]))
            centre[0, sizes[layer + 1][0] // 2, sizes[layer + 1][1] // 2] = 1.0
            grad = np.concatenate([grad, centre])
            geom = geoms[layer]
            grad = _conv.window_adjoint(grad, sizes[layer], geom.kernel, geom.stride, geom.padding,
                                        geom.dilation) / (geom.kernel[0] * geom.kernel[1])
        grad = grad[::-1]  # back in layer order
        if np.any(np.abs(grad.sum(axis=(1, 2)) - 1.0) > 1e-9):
            canvas = canvas * 3 // 2  # some gradient fell on padding: a field is clipped
            continue
        rows, cols = (grad > 0).any(axis=2), (grad > 0).any(axis=1)
        return [(_extent(r), _extent(c)) for r, c in zip(rows, cols)]
    return [None] * len(geoms)


def _extent(mask: np.ndarray) -> int:
    index = np.flatnonzero(mask)
    return int(index[-1] - index[0] + 1)


def compare_stacks(depth: int, channels: int) -> dict:
    """n stacked 3x3 convolutions against one (2n+1)x(2n+1) convolution, n = 1..depth."""
    n = np.arange(1, depth + 1)
    conv3 = _conv.resolve_geometry("conv", (3, 3), (1, 1), 0)
    stack_measured, single_measured = [], []
    for layers in n:
        stack_measured.append(measure_receptive_fields([conv3] * int(layers))[-1][0])
        big = _conv.resolve_geometry("conv", (2 * layers + 1,) * 2, (1, 1), 0)
        single_measured.append(measure_receptive_fields([big])[0][0])
    # gradient of the deepest stack's centre unit, by row: counts of paths through the 3x3 windows
    size = 2 * depth + 1
    grad = np.ones((1, 1))
    for _ in range(depth):
        size_in = grad.shape[-1] + 2
        grad = _conv.window_adjoint(grad, (size_in, size_in), (3, 3), (1, 1), (0, 0))
    profile = grad.sum(axis=1) / grad.sum()
    c2 = channels * channels
    stack_per_c2, single_per_c2 = 9 * n, (2 * n + 1) ** 2
    return dict(
        stack_depths=n, stack_rf=2 * n + 1, stack_rf_measured=np.array(stack_measured),
        single_rf_measured=np.array(single_measured), stack_weights=stack_per_c2 * c2,
        single_weights=single_per_c2 * c2, stack_weights_per_c2=stack_per_c2,
        single_weights_per_c2=single_per_c2, weight_ratio=stack_per_c2 / single_per_c2,
        stack_profile=profile, stack_center_share=float(profile[size // 2]),
    )


def run_network(parsed: list[LayerSpec], x: np.ndarray, one_channel: bool = False) -> list[tuple[int, ...]]:
    """Run the network in NumPy on ``x`` (1, C, H, W) with zero weights; the shape after each layer.

    With ``one_channel`` every convolution maps 1 channel to 1 (the spatial sizes do not depend on
    channels) and fc layers are skipped.
    """
    shapes = []
    for layer in parsed:
        geom = layer.geometry
        if layer.kind == "conv":
            c_out, groups = (1, 1) if one_channel else (layer.out_channels, layer.groups)
            w = np.zeros((c_out, x.shape[1] // groups, *geom.kernel))
            x = _conv.conv2d(x, w, np.zeros(c_out), geom.stride, geom.padding, geom.dilation, groups)
        elif layer.kind == "maxpool":
            x = _conv.max_pool2d(x, geom.kernel, geom.stride, geom.pad_hw, geom.dilation, geom.ceil_mode)
        elif layer.kind == "avgpool":
            x = _conv.avg_pool2d(x, geom.kernel, geom.stride, geom.pad_hw, geom.ceil_mode)
        elif layer.kind == "fc":
            if one_channel:
                break
            flat = x.reshape(x.shape[0], -1)
            x = flat @ np.zeros((flat.shape[1], layer.out_channels)) + np.zeros(layer.out_channels)
        else:
            x = {"relu": lambda v: np.maximum(v, 0), "tanh": np.tanh, "sigmoid": lambda v: 1 / (1 + np.exp(-v))}[
                layer.kind](x)
        shapes.append(tuple(int(n) for n in x.shape[1:]))
    return shapes


def _numpy_check(parsed, shapes, total_macs) -> dict:
    """Run with the real channels when cheap, else with one channel up to the first fc, else skip."""
    spatial_work = sum(
        int(np.prod(shape[1:])) * int(np.prod(layer.geometry.kernel))
        for layer, shape in zip(parsed, shapes[1:]) if layer.geometry is not None
    )
    biggest = max(int(np.prod(shape)) for shape in shapes)
    fc_weights = max([int(np.prod(before)) * len(after) * after[0]
                      for layer, before, after in zip(parsed, shapes, shapes[1:]) if layer.kind == "fc"] or [0])
    pool_work = sum(int(np.prod(shape)) * int(np.prod(layer.geometry.kernel))
                    for layer, shape in zip(parsed, shapes[1:]) if layer.kind in _conv.POOLS)
    if total_macs + pool_work <= WORK_CAP and max(biggest, fc_weights) <= ELEMENT_CAP:
        produced = run_network(parsed, np.zeros((1, *shapes[0])))
        expected, note = shapes[1:], "ran the whole network with batch 1 and all channels"
    elif spatial_work <= WORK_CAP and max(int(np.prod(s[1:])) for s in shapes if len(s) == 3) <= ELEMENT_CAP:
        produced = run_network(parsed, np.zeros((1, 1, *shapes[0][1:])), one_channel=True)
        expected = [s[1:] for s in shapes[1:len(produced) + 1]]
        produced = [s[1:] for s in produced]
        note = "ran the conv and pooling layers with one channel (all channels exceed the work cap)"
    else:
        return dict(numpy_checked=False, numpy_shapes_match=None,
                    numpy_note=(f"not run: even one channel would exceed {WORK_CAP:,} multiply-adds or "
                                f"{ELEMENT_CAP:,} elements per array"))
    return dict(numpy_checked=True, numpy_shapes_match=[tuple(s) for s in expected] == produced, numpy_note=note)


def render(result: CnnStack):
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import draw
    from mlquiz.i18n import _, pgettext

    r = result
    table = Table(title=_("{spec} on {shape}").format(spec=r.spec, shape="x".join(map(str, r.input_shape))),
                  title_style="bold")
    for column, justify in ((_("layer"), "left"), (_("output"), "right"), (_("params"), "right"), ("MACs", "right"),
                            (_("RF"), "right"), (_("measured"), "right")):
        table.add_column(column, justify=justify)

    def field(value):
        return "-" if value is None else f"{value[0]}x{value[1]}"

    for layer in r.layers:
        table.add_row(layer["name"], "x".join(map(str, layer["output_shape"])), f"{layer['params']:,}",
                      f"{layer['macs']:,}", pgettext("receptive field", "all") if layer["type"] == "fc" else field(layer["receptive_field"]),
                      field(layer["receptive_field_measured"]))
    table.add_row(_("total"), "", f"{r.total_params:,}", f"{r.total_macs:,}", "", "", style="bold")
    numpy = (_("shapes confirmed by NumPy") if r.numpy_shapes_match else
             _("NumPy shapes DIFFER") if r.numpy_checked else r.numpy_note)
    fields = {True: _("receptive fields match back-propagation"),
              False: _("receptive fields DIFFER from back-propagation"),
              None: _("receptive fields are too large for back-propagation")}[r.receptive_fields_verified]
    table.caption = _("fc layers hold {share:.1%} of the parameters; {fields}; {numpy}").format(
        share=r.fc_param_fraction, fields=fields, numpy=numpy)

    stack = Table(title=_("n stacked 3x3 convs vs one (2n+1)x(2n+1), C = {channels}").format(channels=r.stack_channels))
    for column in ("n", _("RF (measured)"), _("3x3 stack weights"), _("one kernel"), _("ratio")):
        stack.add_column(column, justify="right")
    for i, n in enumerate(r.stack_depths):
        stack.add_row(str(n), f"{r.stack_rf[i]} ({r.stack_rf_measured[i]} vs {r.single_rf_measured[i]})",
                      f"{r.stack_weights_per_c2[i]}C² = {r.stack_weights[i]:,}",
                      f"{r.single_weights_per_c2[i]}C² = {r.single_weights[i]:,}", f"{r.weight_ratio[i]:.3f}")
    return Group(table, stack, draw(figure(r)))


def figure(result: CnnStack):
    """How the stacked 3x3 convolutions weight the rows of their receptive field: the centre counts most."""
    from mlquiz.charts import Figure
    from mlquiz.i18n import _

    half = len(result.stack_profile) // 2
    return Figure.bars(_("Gradient share by row of the field, {n} stacked 3x3 (one kernel: {each:.3f} each)").format(
                           n=result.stack_depths[-1], each=1 / len(result.stack_profile)),
                       [_("row {offset}").format(offset=f"{i - half:+d}") for i in range(len(result.stack_profile))],
                       [float(v) for v in result.stack_profile], y_label=_("share of the gradient"),
                       value_format="{:.3f}")
