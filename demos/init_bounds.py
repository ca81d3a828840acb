"""Claim: PyTorch's default initialisation of nn.Linear and nn.Conv2d draws weights and biases from
U(-1/sqrt(fan_in), 1/sqrt(fan_in)), where fan_in = in_features for Linear and in_channels * kH * kW
for Conv2d; the call is kaiming_uniform_(weight, a=sqrt(5)), whose bound sqrt(6 / ((1 + a**2) fan_in))
works out to 1/sqrt(fan_in). That is not He initialisation: its standard deviation 1/sqrt(3 fan_in)
is sqrt(6) = 2.45 times smaller than He's sqrt(2 / fan_in). Xavier (Glorot) uses fan_in and fan_out
together, so for a non-square layer it differs from both.

Conventions (``torch.nn.init``): fan_in and fan_out as ``_calculate_fan_in_and_fan_out`` computes
them from the weight's shape, (out, in) for Linear and (out, in, kH, kW) for Conv2d (groups 1):
fan_in = in * kH * kW, fan_out = out * kH * kW. xavier_uniform_ bound sqrt(6 / (fan_in + fan_out)),
xavier_normal_ std sqrt(2 / (fan_in + fan_out)); kaiming_normal_(nonlinearity="relu") std
sqrt(2 / fan), fan_in by default (mode="fan_out" uses fan_out), kaiming_uniform_ bound sqrt(6 / fan_in).
U(-b, b) has standard deviation b / sqrt(3). Keras's Dense and Conv2D default to glorot_uniform
weights and zero biases. Expected at the defaults (Linear(100, 50)): default bound 0.1 for weights
and biases, Xavier uniform bound 0.2, He normal std 0.14142; Conv2d(16, 32, 3) gives fan_in 144,
fan_out 288 and default bound 1/12 = 0.083333.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

META = {
    "title": "Default, Xavier and He initialisation bounds for Linear and Conv2d",
    "summary": "PyTorch's default init is U(+-1/sqrt(fan_in)), not He; Xavier and He bounds with fan_in, fan_out",
    "topics": ["fundamentals", "gradients", "cnn"],
    "params": {
        "layer": {"type": "choice", "default": "linear", "choices": ["linear", "conv2d"],
                  "help": "nn.Linear(in, out) or nn.Conv2d(in, out, kernel)"},
        "in_features": {"type": "int", "default": 100, "min": 1, "max": 1000000,
                        "help": "in_features of Linear, or in_channels of Conv2d"},
        "out_features": {"type": "int", "default": 50, "min": 1, "max": 1000000,
                         "help": "out_features of Linear, or out_channels of Conv2d"},
        "kernel": {"type": "pair", "default": 3, "min": 1, "max": 64,
                   "help": "Conv2d kernel size, K or KHxKW (ignored for Linear)"},
    },
    "outputs": {
        "layer": "linear or conv2d",
        "torch_layer": "the PyTorch constructor",
        "weight_shape": "the weight's shape as PyTorch stores it: (out, in) or (out, in, kH, kW)",
        "weights": "number of weights",
        "biases": "number of biases (out)",
        "receptive_field": "kH * kW for Conv2d, 1 for Linear",
        "fan_in": "in * receptive_field",
        "fan_out": "out * receptive_field",
        "default_weight_bound": "PyTorch's default: kaiming_uniform_(a=sqrt(5)) bound, = 1/sqrt(fan_in)",
        "default_weight_std": "its standard deviation, bound / sqrt(3) = 1/sqrt(3 fan_in)",
        "default_bias_bound": "PyTorch's default bias bound, 1/sqrt(fan_in)",
        "xavier_uniform_bound": "xavier_uniform_ bound sqrt(6 / (fan_in + fan_out))",
        "xavier_std": "standard deviation of both Xavier forms, sqrt(2 / (fan_in + fan_out))",
        "he_normal_std": "kaiming_normal_(nonlinearity='relu') std, sqrt(2 / fan_in)",
        "he_normal_std_fan_out": "the same with mode='fan_out', sqrt(2 / fan_out)",
        "he_uniform_bound": "kaiming_uniform_(nonlinearity='relu') bound, sqrt(6 / fan_in)",
        "he_over_default_std": "He std / PyTorch default std: sqrt(6) for every layer",
    },
}

DEFAULT_A = math.sqrt(5)  # the negative slope PyTorch's reset_parameters passes to kaiming_uniform_
RELU_GAIN = math.sqrt(2)  # calculate_gain("relu")


@dataclass(frozen=True)
class InitBounds:
    layer: str
    torch_layer: str
    weight_shape: tuple[int, ...]
    weights: int
    biases: int
    receptive_field: int
    fan_in: int
    fan_out: int
    default_weight_bound: float
    default_weight_std: float
    default_bias_bound: float
    xavier_uniform_bound: float
    xavier_std: float
    he_normal_std: float
    he_normal_std_fan_out: float
    he_uniform_bound: float
    he_over_default_std: float


def fans(weight_shape: tuple[int, ...]) -> tuple[int, int]:
    """fan_in, fan_out of a weight as ``torch.nn.init._calculate_fan_in_and_fan_out``: dimension 1 and 0
    times the product of the remaining (kernel) dimensions."""
    receptive_field = math.prod(weight_shape[2:])
    return weight_shape[1] * receptive_field, weight_shape[0] * receptive_field


def kaiming_uniform_bound(fan: int, a: float = 0.0) -> float:
    """kaiming_uniform_(nonlinearity="leaky_relu", a): gain sqrt(2 / (1 + a**2)), bound sqrt(3) * gain / sqrt(fan)."""
    gain = math.sqrt(2.0 / (1.0 + a * a))
    return math.sqrt(3.0) * gain / math.sqrt(fan)


def compute(layer: str = "linear", in_features: int = 100, out_features: int = 50,
            kernel: tuple[int, int] = (3, 3)) -> InitBounds:
    """Initialisation bounds and standard deviations of one layer's weight."""
    if layer == "linear":
        shape = (out_features, in_features)
        torch_layer = f"nn.Linear({in_features}, {out_features})"
    else:
        shape = (out_features, in_features, kernel[0], kernel[1])
        size = kernel[0] if kernel[0] == kernel[1] else f"({kernel[0]}, {kernel[1]})"
        torch_layer = f"nn.Conv2d({in_features}, {out_features}, {size})"
    fan_in, fan_out = fans(shape)
    default_bound = kaiming_uniform_bound(fan_in, DEFAULT_A)  # sqrt(3) * sqrt(1/3) / sqrt(fan_in)
    he_std = RELU_GAIN / math.sqrt(fan_in)
    default_std = default_bound / math.sqrt(3.0)  # U(-b, b) has variance b**2 / 3
    return InitBounds(
        layer=layer,
        torch_layer=torch_layer,
        weight_shape=shape,
        weights=math.prod(shape),
        biases=out_features,
        receptive_field=math.prod(shape[2:]),
        fan_in=fan_in,
        fan_out=fan_out,
        default_weight_bound=default_bound,
        default_weight_std=default_std,
        default_bias_bound=1.0 / math.sqrt(fan_in),
        xavier_uniform_bound=math.sqrt(6.0 / (fan_in + fan_out)),
        xavier_std=math.sqrt(2.0 / (fan_in + fan_out)),
        he_normal_std=he_std,
        he_normal_std_fan_out=RELU_GAIN / math.sqrt(fan_out),
        he_uniform_bound=kaiming_uniform_bound(fan_in),
        he_over_default_std=he_std / default_std,
    )


def render(result: InitBounds):
    from rich.console import Group

    from mlquiz.charts import draw, key_values
    from mlquiz.i18n import _

    r = result
    summary = key_values(
        _("{layer}: weight {shape}").format(layer=r.torch_layer, shape=tuple(r.weight_shape)),
        [("fan_in / fan_out", f"{r.fan_in:,} / {r.fan_out:,}"),
         (_("PyTorch default weight bound 1/sqrt(fan_in)"), f"{r.default_weight_bound:.6g}"),
         (_("PyTorch default bias bound 1/sqrt(fan_in)"), f"{r.default_bias_bound:.6g}"),
         (_("Xavier uniform bound sqrt(6/(fan_in+fan_out))"), f"{r.xavier_uniform_bound:.6g}"),
         (_("He normal std sqrt(2/fan_in)"), f"{r.he_normal_std:.6g}"),
         (_("He std / default std"), f"{r.he_over_default_std:.6g}")],
    )
    return Group(summary, draw(figure(r)))


def figure(result: InitBounds):
    """The standard deviation each scheme gives this layer's weights."""
    from mlquiz.charts import Figure
    from mlquiz.i18n import _

    r = result
    return Figure.bars(_("Weight standard deviation, {layer}").format(layer=r.torch_layer),
                       [_("PyTorch default"), "Xavier", "He (fan_in)", "He (fan_out)"],
                       [r.default_weight_std, r.xavier_std, r.he_normal_std, r.he_normal_std_fan_out],
                       y_label=_("std of the weights"))
