"""Claim: clipping by norm rescales an exploding gradient to the threshold and keeps its direction
(cosine 1); clipping by value caps each component, which changes the direction (cosine 0.85 at the
defaults, tending to sqrt(2/pi) = 0.80 when every component is capped). Neither can fix a vanishing
gradient: both only shrink gradients above a threshold, so a gradient of norm 1e-6 comes out unchanged.

The rules are PyTorch's: clip_grad_norm_ multiplies by max_norm / (total_norm + 1e-6) when that is
below 1; clip_grad_value_ clamps every component to [-clip_value, clip_value].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

META = {
    "title": "Gradient clipping: by norm vs by value",
    "summary": "clip-by-norm keeps the direction (cosine 1), clip-by-value turns it; neither fixes vanishing",
    "topics": ["gradients", "rnn", "fundamentals"],
    "params": {
        "dim": {"type": "int", "default": 1000, "min": 1, "max": 1000000,
                "help": "number of gradient components (all parameters flattened)"},
        "scale": {"type": "float", "default": 100.0, "min": 1e-100, "max": 1e12,
                  "help": "L2 norm of the exploding gradient (its direction is random)"},
        "max_norm": {"type": "float", "default": 1.0, "min": 1e-06, "max": 1e12,
                     "help": "clip_grad_norm_ threshold on the total L2 norm"},
        "clip_value": {"type": "float", "default": 1.0, "min": 1e-09, "max": 1e12,
                       "help": "clip_grad_value_ threshold on each component's magnitude"},
        "vanishing_scale": {"type": "float", "default": 1e-06, "min": 1e-100, "max": 1.0,
                            "help": "L2 norm of the vanishing gradient in the second case"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295,
                 "help": "seed for the gradient's direction"},
    },
    "outputs": {
        "dim": "number of gradient components",
        "max_norm": "the norm-clipping threshold",
        "clip_value": "the value-clipping threshold",
        "norm_before": "L2 norm of the exploding gradient before clipping (= scale)",
        "norm_clip_coef": "factor clip_grad_norm_ multiplies by: min(1, max_norm / (norm + 1e-6))",
        "norm_after_norm_clip": "L2 norm after clip_grad_norm_ (max_norm, minus the 1e-6 guard's effect)",
        "norm_after_value_clip": "L2 norm after clip_grad_value_",
        "cosine_norm_clip": "cosine similarity of the norm-clipped gradient with the original (1: same direction)",
        "cosine_value_clip": "cosine similarity of the value-clipped gradient with the original (< 1: turned)",
        "angle_value_clip_deg": "angle between the value-clipped gradient and the original, in degrees",
        "fraction_components_clipped": "share of components with |g_i| > clip_value (capped by value clipping)",
        "max_abs_after_value_clip": "largest |g_i| after value clipping (<= clip_value)",
        "cosine_sign": "cosine of g with sign(g): the limit of value clipping when every component is capped",
        "vanishing_norm_before": "L2 norm of the vanishing gradient",
        "vanishing_norm_after_norm_clip": "its norm after clip_grad_norm_ (unchanged: the scale factor is 1)",
        "vanishing_norm_after_value_clip": "its norm after clip_grad_value_ (unchanged: no component is capped)",
        "vanishing_unchanged": "true when both clippings return the vanishing gradient exactly as it was",
    },
}

NORM_EPS = 1e-6  # PyTorch clip_grad_norm_ adds 1e-6 to the total norm before dividing
# Norms are sqrt(sum g_i^2): below ~1e-154 the squares underflow, so the declared ranges stop at 1e-100.


@dataclass(frozen=True)
class GradientClipping:
    dim: int
    max_norm: float
    clip_value: float
    norm_before: float
    norm_clip_coef: float
    norm_after_norm_clip: float
    norm_after_value_clip: float
    cosine_norm_clip: float
    cosine_value_clip: float
    angle_value_clip_deg: float
    fraction_components_clipped: float
    max_abs_after_value_clip: float
    cosine_sign: float
    vanishing_norm_before: float
    vanishing_norm_after_norm_clip: float
    vanishing_norm_after_value_clip: float
    vanishing_unchanged: bool


def clip_by_norm(g: np.ndarray, max_norm: float) -> tuple[np.ndarray, float]:
    """Like ``torch.nn.utils.clip_grad_norm_`` (L2): the clipped copy of ``g`` and the factor used.

    Parameters
    ----------
    g : (dim,) gradient.  max_norm : threshold on its L2 norm.

    Notes
    -----
    :math:`c = \\min(1, \\text{max\\_norm} / (\\|g\\|_2 + 10^{-6}))`, :math:`g' = c\\,g`. Only a norm above
    the threshold changes; the direction never does.
    """
    coef = min(1.0, max_norm / (float(np.linalg.norm(g)) + NORM_EPS))
    return g * coef, coef


def clip_by_value(g: np.ndarray, clip_value: float) -> np.ndarray:
    """Like ``torch.nn.utils.clip_grad_value_``: every component clamped to [-clip_value, clip_value]."""
    return np.clip(g, -clip_value, clip_value)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """a.b / (|a| |b|), clamped to [-1, 1] against rounding; 1.0 for a zero vector (nothing was turned)."""
    denominator = float(np.linalg.norm(a) * np.linalg.norm(b))
    return min(1.0, max(-1.0, float(a @ b) / denominator)) if denominator > 0 else 1.0


def compute(dim: int = 1000, scale: float = 100.0, max_norm: float = 1.0, clip_value: float = 1.0,
            vanishing_scale: float = 1e-06, seed: int = 0) -> GradientClipping:
    """Clip a random gradient of norm ``scale`` by norm and by value; then a gradient of norm ``vanishing_scale``.

    Notes
    -----
    The direction is uniform on the sphere (a normalised Gaussian), so each component is about
    :math:`\\text{scale}/\\sqrt{\\text{dim}}` in size. When all are capped, value clipping returns
    :math:`c\\,\\mathrm{sign}(g)`, whose cosine with :math:`g` is :math:`\\|g\\|_1/(\\sqrt{d}\\|g\\|_2) \\to \\sqrt{2/\\pi}`.
    """
    rng = np.random.default_rng(seed)
    direction = rng.standard_normal(dim)
    direction /= np.linalg.norm(direction)
    g = scale * direction
    g_norm, coef = clip_by_norm(g, max_norm)
    g_value = clip_by_value(g, clip_value)
    cos_value = cosine(g, g_value)

    tiny = vanishing_scale * direction
    tiny_norm, _ = clip_by_norm(tiny, max_norm)
    tiny_value = clip_by_value(tiny, clip_value)
    return GradientClipping(
        dim=dim,
        max_norm=max_norm,
        clip_value=clip_value,
        norm_before=float(np.linalg.norm(g)),
        norm_clip_coef=coef,
        norm_after_norm_clip=float(np.linalg.norm(g_norm)),
        norm_after_value_clip=float(np.linalg.norm(g_value)),
        cosine_norm_clip=cosine(g, g_norm),
        cosine_value_clip=cos_value,
        angle_value_clip_deg=math.degrees(math.acos(cos_value)),
        fraction_components_clipped=float(np.mean(np.abs(g) > clip_value)),
        max_abs_after_value_clip=float(np.max(np.abs(g_value))),
        cosine_sign=cosine(g, np.sign(g)),
        vanishing_norm_before=float(np.linalg.norm(tiny)),
        vanishing_norm_after_norm_clip=float(np.linalg.norm(tiny_norm)),
        vanishing_norm_after_value_clip=float(np.linalg.norm(tiny_value)),
        vanishing_unchanged=bool(np.array_equal(tiny_norm, tiny) and np.array_equal(tiny_value, tiny)),
    )


def render(result: GradientClipping):
    from rich.console import Group

    from mlquiz.charts import draw, key_values
    from mlquiz.i18n import _

    chart = draw(figure(result))
    exploding = key_values(
        _("exploding gradient, {dim} components").format(dim=result.dim),
        [
            (_("cosine with original, by norm"), f"{result.cosine_norm_clip:.6f}"),
            (_("cosine with original, by value"), f"{result.cosine_value_clip:.6f}"),
            (_("angle turned by value clipping"), f"{result.angle_value_clip_deg:.2f}°"),
            (_("components capped by value"), f"{result.fraction_components_clipped:.1%}"),
        ],
    )
    vanishing = key_values(
        _("vanishing gradient: clipping leaves it alone"),
        [
            (_("norm before"), f"{result.vanishing_norm_before:.4g}"),
            (_("after clip by norm"), f"{result.vanishing_norm_after_norm_clip:.4g}"),
            (_("after clip by value"), f"{result.vanishing_norm_after_value_clip:.4g}"),
            (_("unchanged"), _("yes") if result.vanishing_unchanged else _("no")),
        ],
    )
    return Group(chart, exploding, vanishing)


def figure(result: GradientClipping):
    from mlquiz.charts import Figure
    from mlquiz.i18n import _

    return Figure.bars(_("Exploding gradient's norm before and after clipping"),
                       [_("before"), _("by norm ({max_norm:g})").format(max_norm=result.max_norm),
                        _("by value ({clip_value:g})").format(clip_value=result.clip_value)],
                       [result.norm_before, result.norm_after_norm_clip, result.norm_after_value_clip],
                       y_label=_("L2 norm"), log_y=True)
