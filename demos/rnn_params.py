"""Claim: a recurrent layer has one weight block per gate, so for the same sizes an LSTM (4 blocks)
has 4x the parameters of a vanilla RNN and a GRU (3 blocks) 3/4 of an LSTM's (ratio 0.75 under
the PyTorch convention). PyTorch keeps two bias vectors per gate, Keras one.

PyTorch, per layer and direction, with G gate blocks (RNN 1, GRU 3, LSTM 4), input size I and
hidden size H: weight_ih (G*H, I), weight_hh (G*H, H), bias_ih (G*H), bias_hh (G*H), so
G*(H*(I+H) + 2H) parameters; an LSTM with input 128 and hidden 256 has 4*(256*384 + 512) = 395264.
Keras keeps one bias (kernel (I, G*H), recurrent_kernel (H, G*H), bias (G*H,)): 394240 for the
same LSTM, 1024 fewer. Keras's GRU with ``reset_after=True`` (the TF2 default) has a (2, 3H) bias,
as many parameters as PyTorch's GRU; ``reset_after=False`` has 3H fewer.

Stacking: layer k > 0 reads the previous layer's output, of size H * directions (proj_size *
directions for an LSTM with a projection). ``proj_size`` (LSTM only) adds weight_hr (P, H) and
shrinks weight_hh to (4H, P). The Keras equivalent counted is ``layers`` stacked layers with
``return_sequences=True`` (each built on the previous layer's output size), each wrapped in
``Bidirectional`` (``merge_mode='concat'``, two copies of the layer) when bidirectional; Keras has
no projection, so its totals are null when ``proj_size > 0``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlquiz.demos._rnn_layout import N_GATES

META = {
    "title": "Parameters of RNN, LSTM and GRU layers",
    "summary": "parameter counts and weight shapes of RNN/LSTM/GRU layers, PyTorch vs Keras (GRU/LSTM = 0.75)",
    "topics": ["rnn", "lstm", "gru", "fundamentals"],
    "params": {
        "cell": {"type": "choice", "default": "lstm", "choices": ["rnn", "lstm", "gru"],
                 "help": "recurrent cell: rnn (tanh RNN), lstm or gru"},
        "input_size": {"type": "int", "default": 128, "min": 1, "max": 100000,
                       "help": "features per time step fed to the first layer (I)"},
        "hidden_size": {"type": "int", "default": 256, "min": 1, "max": 100000,
                        "help": "units of the hidden state (H)"},
        "layers": {"type": "int", "default": 1, "min": 1, "max": 100,
                   "help": "stacked layers (PyTorch num_layers)"},
        "bidirectional": {"type": "flag", "default": False,
                          "help": "a forward and a reverse direction per layer"},
        "no_bias": {"type": "flag", "default": False,
                    "help": "no bias vectors (PyTorch bias=False, Keras use_bias=False)"},
        "proj_size": {"type": "int", "default": 0, "min": 0, "max": 99999,
                      "help": "LSTM output projection size P (0 = none; needs P < hidden size)"},
    },
    "outputs": {
        "cell": "the recurrent cell",
        "input_size": "input size I of the first layer",
        "hidden_size": "hidden size H",
        "layers": "number of stacked layers",
        "num_directions": "2 when bidirectional, else 1",
        "bias": "whether the layer has bias vectors",
        "proj_size": "LSTM projection size (0 = none)",
        "gates": "weight blocks per layer and direction: rnn 1, gru 3, lstm 4",
        "layer_input_sizes": "input size of each layer: I, then H (or P) times num_directions",
        "shapes_pytorch": "PyTorch parameter name (as in named_parameters) -> shape, in PyTorch's order",
        "total_pytorch": "PyTorch parameter count (two bias vectors per gate)",
        "layer_totals_pytorch": "PyTorch parameters of each layer, both directions",
        "bias_params_pytorch": "PyTorch parameters in bias vectors",
        "shapes_keras": "Keras weight -> shape per layer (suffix _reverse: backward copy); null without a Keras layer",
        "total_keras": "Keras parameter count (GRU with reset_after=True, the TF2 default); null for proj_size > 0",
        "total_keras_reset_after_false": "Keras GRU parameter count with reset_after=False; null for other cells",
        "bias_params_keras": "Keras parameters in bias vectors (GRU: reset_after=True); null without a Keras layer",
        "pytorch_minus_keras": "total_pytorch - total_keras: PyTorch's second bias vector; null without a Keras layer",
        "keras_equivalent": "the Keras model whose parameters total_keras counts",
        "totals_by_cell_pytorch": "PyTorch totals of rnn, lstm and gru at these sizes (no projection)",
        "totals_by_cell_keras": "Keras totals of rnn, lstm, gru (reset_after=True) and gru_reset_after_false",
        "ratio_gru_to_lstm_pytorch": "GRU / LSTM parameters at these sizes, PyTorch convention (always 0.75)",
        "ratio_rnn_to_lstm_pytorch": "RNN / LSTM parameters at these sizes, PyTorch convention (always 0.25)",
        "ratio_gru_to_lstm_keras": "GRU (reset_after=True) / LSTM parameters at these sizes, Keras convention",
        "ratio_keras_to_pytorch": "total_keras / total_pytorch; null without a Keras layer",
    },
}

GATES = N_GATES  # weight blocks: tanh RNN 1; LSTM i, f, g, o; GRU r, z, n


@dataclass(frozen=True)
class RnnParams:
    cell: str
    input_size: int
    hidden_size: int
    layers: int
    num_directions: int
    bias: bool
    proj_size: int
    gates: int
    layer_input_sizes: list[int]
    shapes_pytorch: dict[str, tuple[int, ...]]
    total_pytorch: int
    layer_totals_pytorch: list[int]
    bias_params_pytorch: int
    shapes_keras: dict[str, tuple[int, ...]] | None
    total_keras: int | None
    total_keras_reset_after_false: int | None
    bias_params_keras: int | None
    pytorch_minus_keras: int | None
    keras_equivalent: str
    totals_by_cell_pytorch: dict[str, int]
    totals_by_cell_keras: dict[str, int]
    ratio_gru_to_lstm_pytorch: float
    ratio_rnn_to_lstm_pytorch: float
    ratio_gru_to_lstm_keras: float
    ratio_keras_to_pytorch: float | None


def _suffix(direction: int) -> str:
    return "_reverse" if direction else ""


def layer_input_sizes(input_size: int, hidden_size: int, layers: int, num_directions: int,
                      proj_size: int = 0) -> list[int]:
    """Input size of each stacked layer.

    Layer 0 reads the data; layer k > 0 reads the concatenated outputs of both directions of layer
    k - 1, whose size is the LSTM projection size when there is one, else the hidden size.
    """
    out_size = proj_size if proj_size > 0 else hidden_size
    return [input_size] + [out_size * num_directions] * (layers - 1)


def pytorch_shapes(cell: str, input_size: int, hidden_size: int, layers: int = 1,
                   bidirectional: bool = False, bias: bool = True,
                   proj_size: int = 0) -> dict[str, tuple[int, ...]]:
    """Parameter shapes of ``torch.nn.RNN/LSTM/GRU``, keyed and ordered as ``named_parameters()``.

    Returns
    -------
    dict
        ``weight_ih_l{k}`` (G*H, I_k), ``weight_hh_l{k}`` (G*H, R), ``bias_ih_l{k}`` (G*H,),
        ``bias_hh_l{k}`` (G*H,), ``weight_hr_l{k}`` (P, H) with projection; suffix ``_reverse``
        for the reverse direction. R is P with a projection, else H.

    Notes
    -----
    LSTM: :math:`i, f, g, o = \\sigma/\\tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`, stacked
    in that order along the first axis of ``weight_ih``; with projection :math:`h_t = W_{hr}(o \\odot \\tanh c_t)`.
    """
    gate_rows = GATES[cell] * hidden_size
    recurrent_size = proj_size if proj_size > 0 else hidden_size
    num_directions = 2 if bidirectional else 1
    shapes: dict[str, tuple[int, ...]] = {}
    for k, layer_in in enumerate(layer_input_sizes(input_size, hidden_size, layers, num_directions, proj_size)):
        for direction in range(num_directions):
            tag = f"_l{k}{_suffix(direction)}"
            shapes["weight_ih" + tag] = (gate_rows, layer_in)
            shapes["weight_hh" + tag] = (gate_rows, recurrent_size)
            if bias:
                shapes["bias_ih" + tag] = (gate_rows,)
                shapes["bias_hh" + tag] = (gate_rows,)
            if proj_size > 0:
                shapes["weight_hr" + tag] = (proj_size, hidden_size)
    return shapes


def keras_shapes(cell: str, input_size: int, hidden_size: int, layers: int = 1,
                 bidirectional: bool = False, bias: bool = True,
                 reset_after: bool = True) -> dict[str, tuple[int, ...]]:
    """Weight shapes of stacked Keras ``SimpleRNN/LSTM/GRU`` layers (optionally ``Bidirectional``).

    Returns
    -------
    dict
        ``kernel_l{k}`` (I_k, G*H), ``recurrent_kernel_l{k}`` (H, G*H) and ``bias_l{k}``: (G*H,),
        or (2, 3H) for a GRU with ``reset_after=True``; suffix ``_reverse`` for the backward copy
        that ``Bidirectional`` makes.

    Notes
    -----
    Keras multiplies ``x_t @ kernel`` (inputs on the left), so its matrices are the transposes of
    PyTorch's. One bias vector per gate, except GRU ``reset_after=True``, whose recurrent bias sits
    inside :math:`r \\odot (h_{t-1} W_{hn} + b_{hn})` and so cannot be merged with the input bias.
    """
    gate_cols = GATES[cell] * hidden_size
    num_directions = 2 if bidirectional else 1
    bias_shape = (2, gate_cols) if cell == "gru" and reset_after else (gate_cols,)
    shapes: dict[str, tuple[int, ...]] = {}
    for k, layer_in in enumerate(layer_input_sizes(input_size, hidden_size, layers, num_directions)):
        for direction in range(num_directions):
            tag = f"_l{k}{_suffix(direction)}"
            shapes["kernel" + tag] = (layer_in, gate_cols)
            shapes["recurrent_kernel" + tag] = (hidden_size, gate_cols)
            if bias:
                shapes["bias" + tag] = bias_shape
    return shapes


def count(shapes: dict[str, tuple[int, ...]], prefix: str = "") -> int:
    """Number of parameters in the tensors whose name starts with ``prefix``."""
    return sum(math.prod(shape) for name, shape in shapes.items() if name.startswith(prefix))


def _layer_of(name: str) -> int:
    """The layer index in a tensor name such as ``weight_hh_l3_reverse``."""
    return int(name.rsplit("_l", 1)[1].removesuffix("_reverse"))


def _keras_equivalent(cell: str, hidden_size: int, layers: int, bidirectional: bool, bias: bool,
                      proj_size: int) -> str:
    if proj_size > 0:
        return "none: Keras LSTM has no projection (proj_size)"
    name = {"rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}[cell]
    args = f"{hidden_size}" + ("" if bias else ", use_bias=False")
    if layers > 1:
        args += ", return_sequences=True"
    layer = f"{name}({args})"
    if bidirectional:
        layer = f"Bidirectional({layer})"
    return layer if layers == 1 else f"{layers} x {layer}"


def compute(cell: str = "lstm", input_size: int = 128, hidden_size: int = 256, layers: int = 1,
            bidirectional: bool = False, no_bias: bool = False, proj_size: int = 0) -> RnnParams:
    """Shapes and parameter counts of a recurrent layer under the PyTorch and Keras conventions."""
    from mlquiz.errors import DemoInputError

    if proj_size > 0 and cell != "lstm":
        from mlquiz.i18n import _

        raise DemoInputError(_("--proj-size applies only to --cell lstm (got --cell {cell}); drop --proj-size").format(
            cell=cell))
    if proj_size >= hidden_size:
        from mlquiz.i18n import _

        raise DemoInputError(_("--proj-size {proj} must be smaller than --hidden-size {hidden} (as in PyTorch); "
                               "lower it").format(proj=proj_size, hidden=hidden_size))
    bias = not no_bias
    num_directions = 2 if bidirectional else 1
    sizes = dict(input_size=input_size, hidden_size=hidden_size, layers=layers,
                 bidirectional=bidirectional, bias=bias)

    shapes_pt = pytorch_shapes(cell, proj_size=proj_size, **sizes)
    total_pt = count(shapes_pt)
    layer_totals = [0] * layers
    for name, shape in shapes_pt.items():
        layer_totals[_layer_of(name)] += math.prod(shape)

    by_cell_pt = {c: count(pytorch_shapes(c, **sizes)) for c in GATES}
    by_cell_keras = {c: count(keras_shapes(c, **sizes)) for c in GATES}
    by_cell_keras["gru_reset_after_false"] = count(keras_shapes("gru", reset_after=False, **sizes))

    has_keras = proj_size == 0
    shapes_keras = keras_shapes(cell, **sizes) if has_keras else None
    total_keras = count(shapes_keras) if has_keras else None
    return RnnParams(
        cell=cell,
        input_size=input_size,
        hidden_size=hidden_size,
        layers=layers,
        num_directions=num_directions,
        bias=bias,
        proj_size=proj_size,
        gates=GATES[cell],
        layer_input_sizes=layer_input_sizes(input_size, hidden_size, layers, num_directions, proj_size),
        shapes_pytorch=shapes_pt,
        total_pytorch=total_pt,
        layer_totals_pytorch=layer_totals,
        bias_params_pytorch=count(shapes_pt, "bias_"),
        shapes_keras=shapes_keras,
        total_keras=total_keras,
        total_keras_reset_after_false=by_cell_keras["gru_reset_after_false"] if cell == "gru" else None,
        bias_params_keras=count(shapes_keras, "bias_") if has_keras else None,
        pytorch_minus_keras=total_pt - total_keras if has_keras else None,
        keras_equivalent=_keras_equivalent(cell, hidden_size, layers, bidirectional, bias, proj_size),
        totals_by_cell_pytorch=by_cell_pt,
        totals_by_cell_keras=by_cell_keras,
        ratio_gru_to_lstm_pytorch=by_cell_pt["gru"] / by_cell_pt["lstm"],
        ratio_rnn_to_lstm_pytorch=by_cell_pt["rnn"] / by_cell_pt["lstm"],
        ratio_gru_to_lstm_keras=by_cell_keras["gru"] / by_cell_keras["lstm"],
        ratio_keras_to_pytorch=total_keras / total_pt if has_keras else None,
    )


def render(result: RnnParams):
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import draw, key_values
    from mlquiz.i18n import _

    r = result
    setup = _("{cell} I={i} H={h} layers={layers}").format(cell=r.cell.upper(), i=r.input_size, h=r.hidden_size,
                                                           layers=r.layers) + (
        _(" bidirectional") if r.num_directions == 2 else "") + ("" if r.bias else _(" no bias")) + (
        f" proj={r.proj_size}" if r.proj_size else "")
    rows = [
        (_("PyTorch parameters"), f"{r.total_pytorch:,}"),
        (_("Keras parameters"), _("n/a (no projection)") if r.total_keras is None else f"{r.total_keras:,}"),
        (_("PyTorch - Keras (second bias)"), "-" if r.pytorch_minus_keras is None else f"{r.pytorch_minus_keras:,}"),
    ]
    if r.total_keras_reset_after_false is not None:
        rows.append(("Keras GRU reset_after=False", f"{r.total_keras_reset_after_false:,}"))
    rows += [
        ("GRU / LSTM (PyTorch)", f"{r.ratio_gru_to_lstm_pytorch:.4g}"),
        ("GRU / LSTM (Keras)", f"{r.ratio_gru_to_lstm_keras:.4g}"),
    ]
    summary = key_values(setup, rows)
    summary.caption = f"Keras: {r.keras_equivalent}"

    # Layer 0 and, when stacked, layer 1 show every shape rule; deeper layers repeat layer 1.
    tensors = Table(title=_("weight shapes, forward direction (reverse: same shapes)"))
    for column in ("PyTorch", _("shape"), "Keras", _("shape")):
        tensors.add_column(column)
    keras = r.shapes_keras or {}
    pairs = [("weight_ih", "kernel"), ("weight_hh", "recurrent_kernel"), ("bias_ih", "bias"),
             ("bias_hh", None), ("weight_hr", None)]
    for k in range(min(r.layers, 2)):
        for pt_name, keras_name in pairs:
            pt_key = f"{pt_name}_l{k}"
            keras_key = f"{keras_name}_l{k}" if keras_name else None
            if pt_key not in r.shapes_pytorch and keras_key not in keras:
                continue
            tensors.add_row(pt_key if pt_key in r.shapes_pytorch else "-",
                            str(r.shapes_pytorch.get(pt_key, "-")),
                            keras_key if keras_key in keras else "-", str(keras.get(keras_key, "-")))
    chart = draw(figure(r))
    return Group(summary, tensors, chart)


def figure(result: RnnParams):
    from mlquiz.charts import Figure
    from mlquiz.i18n import _

    return Figure.bars(_("PyTorch parameters by cell (same sizes, no projection)"),
                       list(result.totals_by_cell_pytorch), list(result.totals_by_cell_pytorch.values()),
                       y_label=_("parameters"), value_format="{:,}")
