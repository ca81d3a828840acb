"""Claim: clipping a gradient you can work by hand. Clipping by norm multiplies the whole vector by
max_norm / (norm + 1e-6) when that is below 1, so [3, 4] with max_norm 1 becomes [0.6, 0.8] (less
a hair from the 1e-6) and keeps its direction; clipping by value clamps each component to
[-clip_value, clip_value], so [3, 4] with clip_value 1 becomes [1, 1], which turns it by 8.13
degrees (cosine 0.98995). A gradient already under the threshold passes either clipping unchanged.

Conventions (PyTorch): ``torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)`` computes the
total norm over all gradients together (here one vector), multiplies by
clip_coef = max_norm / (total_norm + 1e-6) clamped to at most 1, and returns the norm BEFORE
clipping; norm_type 2 by default, 1 and inf (largest |g_i|) also allowed.
``torch.nn.utils.clip_grad_value_(params, clip_value)`` clamps every component. Keras's
``clipnorm`` clips each gradient tensor by its own norm and ``global_clipnorm`` all of them together
(PyTorch's rule for the L2 norm, without the 1e-6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

META = {
    "title": "Clipping a given gradient: by norm and by value",
    "summary": "clip_grad_norm_ and clip_grad_value_ on a gradient you give: coefficient, clipped vectors, norms, cosine",
    "topics": ["gradients", "rnn"],
    "params": {
        "grad": {"type": "floats", "default": "3, 4", "min": -1000000000.0, "max": 1000000000.0,
                 "help": "the gradient, all parameters' gradients flattened into one vector, e.g. 3,4"},
        "max_norm": {"type": "float", "default": 1.0, "min": 1e-06, "max": 1000000000000.0,
                     "help": "clip_grad_norm_ threshold on the total norm"},
        "clip_value": {"type": "float", "default": 1.0, "min": 1e-09, "max": 1000000000000.0,
                       "help": "clip_grad_value_ threshold on each component's magnitude"},
        "norm_type": {"type": "choice", "default": "2", "choices": ["2", "1", "inf"],
                      "help": "the norm clip_grad_norm_ measures: 2 (PyTorch's default), 1, or inf (largest |g_i|)"},
    },
    "outputs": {
        "grad": "the gradient given",
        "norm_type": "the norm used: 2, 1 or inf",
        "norm_before": "its total norm (what clip_grad_norm_ returns)",
        "clip_coef": "max_norm / (norm_before + 1e-6), before clamping",
        "coefficient": "the factor applied: min(1, clip_coef)",
        "keras_coefficient": "Keras's global_clipnorm factor for the same threshold: min(1, max_norm / L2 norm), no 1e-6",
        "norm_clipped": "true when clip_grad_norm_ changed the gradient (coefficient < 1)",
        "by_norm": "the gradient after clip_grad_norm_ (list: by_norm.0 is component 0)",
        "by_value": "the gradient after clip_grad_value_",
        "norm_by_norm": "norm (of norm_type) after clipping by norm: max_norm less the 1e-6 guard's effect when clipped",
        "norm_by_value": "norm (of norm_type) after clipping by value",
        "cosine_by_norm": "cosine of the norm-clipped gradient with the original (1: same direction)",
        "cosine_by_value": "cosine of the value-clipped gradient with the original",
        "angle_by_value_deg": "angle between the value-clipped gradient and the original, in degrees",
        "components_capped": "components with |g_i| > clip_value, which value clipping changed",
    },
}

NORM_EPS = 1e-6  # clip_grad_norm_ adds 1e-6 to the total norm before dividing
ORDERS = {"2": 2.0, "1": 1.0, "inf": math.inf}  # numpy's ord for each norm_type
SHOWN_COMPONENTS = 12  # rows of the component table that fit the screen beside the summary


@dataclass(frozen=True)
class ClipGiven:
    grad: np.ndarray
    norm_type: str
    norm_before: float
    clip_coef: float
    coefficient: float
    keras_coefficient: float
    norm_clipped: bool
    by_norm: np.ndarray
    by_value: np.ndarray
    norm_by_norm: float
    norm_by_value: float
    cosine_by_norm: float
    cosine_by_value: float
    angle_by_value_deg: float
    components_capped: int


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """a.b / (|a| |b|), clamped to [-1, 1] against rounding; 1.0 when either is zero (nothing was turned)."""
    denominator = float(np.linalg.norm(a) * np.linalg.norm(b))
    return min(1.0, max(-1.0, float(a @ b) / denominator)) if denominator > 0 else 1.0


def compute(grad: tuple[float, ...] = (3.0, 4.0), max_norm: float = 1.0, clip_value: float = 1.0,
            norm_type: str = "2") -> ClipGiven:
    """Clip ``grad`` by its total norm (clip_grad_norm_) and by value (clip_grad_value_).

    Notes
    -----
    :math:`c = \\min(1, \\text{max\\_norm} / (\\|g\\|_p + 10^{-6}))`, :math:`g' = c g`;
    :math:`g''_i = \\min(\\max(g_i, -v), v)`.
    """
    g = np.asarray(grad, dtype=float)
    order = ORDERS[norm_type]
    norm_before = float(np.linalg.norm(g, ord=order))
    clip_coef = max_norm / (norm_before + NORM_EPS)
    coefficient = min(1.0, clip_coef)
    by_norm = g * coefficient  # PyTorch multiplies by the clamped coefficient, 1 when under the threshold
    by_value = np.clip(g, -clip_value, clip_value)
    cos_value = cosine(g, by_value)
    l2 = float(np.linalg.norm(g))
    return ClipGiven(
        grad=g,
        norm_type=norm_type,
        norm_before=norm_before,
        clip_coef=clip_coef,
        coefficient=coefficient,
        keras_coefficient=min(1.0, max_norm / l2) if l2 > 0 else 1.0,
        norm_clipped=coefficient < 1.0,
        by_norm=by_norm,
        by_value=by_value,
        norm_by_norm=float(np.linalg.norm(by_norm, ord=order)),
        norm_by_value=float(np.linalg.norm(by_value, ord=order)),
        cosine_by_norm=cosine(g, by_norm),
        cosine_by_value=cos_value,
        angle_by_value_deg=math.degrees(math.acos(cos_value)),
        components_capped=int(np.sum(np.abs(g) > clip_value)),
    )


def render(result: ClipGiven):
    from rich import box
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import draw, key_values
    from mlquiz.i18n import _

    r = result
    summary = key_values(
        _("clip a {n}-component gradient ({norm_type}-norm)").format(n=len(r.grad), norm_type=r.norm_type),
        [(_("norm before"), f"{r.norm_before:.6g}"),
         (_("coefficient min(1, max_norm/(norm+1e-6))"), f"{r.coefficient:.6g}"),
         (_("cosine with original: by norm / by value"), f"{r.cosine_by_norm:.5f} / {r.cosine_by_value:.5f}"),
         (_("angle turned by value clipping"), _("{angle:.2f} deg").format(angle=r.angle_by_value_deg)),
         (_("components capped by value"), str(r.components_capped))],
    )
    table = Table(title=_("components"), box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("i", "g", _("by norm"), _("by value")):
        table.add_column(column, justify="right", no_wrap=True)
    for k in range(min(len(r.grad), SHOWN_COMPONENTS)):
        table.add_row(str(k), f"{r.grad[k]:.6g}", f"{r.by_norm[k]:.6g}", f"{r.by_value[k]:.6g}")
    return Group(summary, table, draw(figure(r)))


def figure(result: ClipGiven):
    from mlquiz.charts import Figure
    from mlquiz.i18n import _

    return Figure.bars(_("{norm_type}-norm before and after clipping").format(norm_type=result.norm_type),
                       [_("before"), _("by norm"), _("by value")],
                       [result.norm_before, result.norm_by_norm, result.norm_by_value], y_label=_("norm"))
