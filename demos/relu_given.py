"""Claim: ReLU's backward pass on given inputs multiplies the upstream gradient by 1 where x > 0 and
by 0 where x <= 0, including x = 0 itself: ReLU has no derivative at 0, and PyTorch, TensorFlow and
JAX all use 0 there. So for x = (-1, 0, 2) and an upstream gradient of (5, 5, 5) the input gradient
is (0, 0, 5); leaky ReLU with slope 0.01 gives (0.05, 0.05, 5), using the slope at 0 as well.

Conventions: PyTorch's ``threshold_backward`` passes the gradient only where x > 0; TensorFlow's
ReluGrad does the same (``features > 0``); ``torch.nn.functional.leaky_relu`` uses the slope for
x <= 0 (its backward tests ``x > 0``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

META = {
    "title": "ReLU forward and backward on given inputs",
    "summary": "ReLU and leaky ReLU outputs and input gradients on inputs you give; the derivative at 0 is 0",
    "topics": ["gradients", "fundamentals"],
    "params": {
        "x": {"type": "floats", "default": "-1, 0, 2", "min": -1000000.0, "max": 1000000.0,
              "help": "the pre-activations fed to ReLU, e.g. -1,0,2"},
        "upstream": {"type": "floats", "default": "1", "min": -1000000.0, "max": 1000000.0,
                     "help": "dL/d(output), one per input or one for all"},
        "leaky_slope": {"type": "float", "default": 0.01, "min": 0.0, "max": 1.0,
                        "help": "leaky ReLU's slope for x <= 0 (PyTorch default 0.01)"},
    },
    "outputs": {
        "x": "the inputs given",
        "upstream": "the upstream gradient, one per input",
        "output": "relu(x) = max(0, x)",
        "local_grad": "ReLU's derivative as frameworks use it: 1 where x > 0, else 0 (0 at x = 0)",
        "grad_input": "dL/dx = upstream * local_grad",
        "grad_input_sum": "the sum of grad_input",
        "grad_input_if_one_at_zero": "dL/dx had the derivative at 0 been taken as 1 (the common mistake)",
        "zeros_in_x": "how many inputs are exactly 0",
        "leaky_output": "leaky_relu(x): x where x > 0, else slope * x",
        "leaky_local_grad": "1 where x > 0, else the slope (the slope at x = 0)",
        "leaky_grad_input": "dL/dx through leaky ReLU",
    },
}

SHOWN = 12  # rows of the table that fit the screen


@dataclass(frozen=True)
class ReluGiven:
    x: np.ndarray
    upstream: np.ndarray
    output: np.ndarray
    local_grad: np.ndarray
    grad_input: np.ndarray
    grad_input_sum: float
    grad_input_if_one_at_zero: np.ndarray
    zeros_in_x: int
    leaky_output: np.ndarray
    leaky_local_grad: np.ndarray
    leaky_grad_input: np.ndarray


def compute(x: tuple[float, ...] = (-1.0, 0.0, 2.0), upstream: tuple[float, ...] = (1.0,),
            leaky_slope: float = 0.01) -> ReluGiven:
    """ReLU and leaky ReLU forward and backward on ``x`` with upstream gradient ``upstream``.

    Notes
    -----
    :math:`y = \\max(0, x)`, :math:`\\partial L/\\partial x = g \\cdot [x > 0]`.
    """
    from mlquiz.errors import DemoInputError
    from mlquiz.i18n import _

    v = np.asarray(x, dtype=float)
    if len(upstream) not in (1, len(v)):
        raise DemoInputError(_("--upstream has {upstream} numbers but --x has {x}; "
                               "give one upstream gradient per input, or one for all").format(
            upstream=len(upstream), x=len(v)))
    g = np.broadcast_to(np.asarray(upstream, dtype=float), v.shape).copy()
    positive = v > 0
    local = positive.astype(float)
    leaky_local = np.where(positive, 1.0, leaky_slope)
    grad = g * local
    return ReluGiven(
        x=v,
        upstream=g,
        output=np.maximum(v, 0.0),
        local_grad=local,
        grad_input=grad,
        grad_input_sum=float(grad.sum()),
        grad_input_if_one_at_zero=g * (v >= 0),
        zeros_in_x=int(np.sum(v == 0)),
        leaky_output=np.where(positive, v, leaky_slope * v),
        leaky_local_grad=leaky_local,
        leaky_grad_input=g * leaky_local,
    )


def render(result: ReluGiven):
    from rich import box
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import key_values
    from mlquiz.i18n import _

    r = result
    summary = key_values(
        _("ReLU on {n} inputs").format(n=len(r.x)),
        [(_("sum of dL/dx"), f"{r.grad_input_sum:.6g}"),
         (_("inputs exactly 0 (derivative taken as 0)"), str(r.zeros_in_x))],
    )
    table = Table(title=_("inputs"), box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("x", "relu", "relu'", "dL/dx", _("leaky"), _("leaky dL/dx")):
        table.add_column(column, justify="right", no_wrap=True)
    for k in range(min(len(r.x), SHOWN)):
        table.add_row(f"{r.x[k]:.6g}", f"{r.output[k]:.6g}", f"{r.local_grad[k]:g}", f"{r.grad_input[k]:.6g}",
                      f"{r.leaky_output[k]:.6g}", f"{r.leaky_grad_input[k]:.6g}")
    return Group(summary, table)
