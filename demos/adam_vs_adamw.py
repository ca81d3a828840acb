"""Claim: Adam's weight_decay (an L2 term added to the gradient) is divided by sqrt(v) with the rest of
the gradient, so how much a weight decays depends on its gradients: after 1,000 steps (lr 0.01,
weight_decay 0.1) a weight whose gradients are noise of size 10 keeps 0.889 of its value, one with
gradients of size 0.01 is driven to about 0, while AdamW's decoupled decay shrinks every weight alike
to about (1 - lr * weight_decay)^steps = 0.368 (0.361 with the Adam step's own wobble).

Each weight starts at ``--theta0`` and gets a gradient with no signal: +s, -s, +s, ... for its size s
in ``--grad-sizes`` (mean 0, variance s^2), so any drift is the decay's. Adam (torch.optim.Adam) adds
weight_decay * p to the gradient before the moments; AdamW (torch.optim.AdamW) multiplies p by
1 - lr * weight_decay, then takes the Adam step on the raw gradient. Both use ``--betas`` and
``--eps`` (torch's defaults 0.9, 0.999 and 1e-8); the update rules are those of the ``optimizers``
demo. Adam's L2 pull lr * weight_decay * p / (sqrt(v_hat) + eps) is weaker than AdamW's lr *
weight_decay * p by the factor sqrt(v_hat) (about s) when s > 1, and stronger when s < 1, where it
behaves like a step of about lr towards 0. With weight_decay = 0 the two optimizers are identical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlquiz.demos.optimizers import adam_step, adamw_step, run_sequence
from mlquiz.errors import DemoInputError

META = {
    "title": "Adam's L2 weight_decay against AdamW's decoupled decay",
    "summary": "Adam's L2 decay is divided by sqrt(v): noisy weights barely decay; AdamW shrinks all by (1-lr*wd)^t",
    "topics": ["optimization", "regularization"],
    "params": {
        "grad_sizes": {"type": "floats", "default": [0.01, 1.0, 10.0], "min": 0.0, "max": 1e6,
                       "help": "one weight per size s: its gradients alternate +s, -s (mean 0, variance s^2)"},
        "lr": {"type": "float", "default": 0.01, "min": 0.0, "max": 1.0, "help": "learning rate of both"},
        "weight_decay": {"type": "float", "default": 0.1, "min": 0.0, "max": 10.0,
                         "help": "Adam: L2 coefficient added to the gradient; AdamW: decoupled decay"},
        "steps": {"type": "int", "default": 1000, "min": 1, "max": 100000, "help": "optimizer steps"},
        "theta0": {"type": "float", "default": 1.0, "min": -1000.0, "max": 1000.0,
                   "help": "starting value of every weight"},
        "betas": {"type": "floats", "default": [0.9, 0.999], "min": 0.0, "max": 0.9999,
                  "help": "beta1,beta2 of both optimizers"},
        "eps": {"type": "float", "default": 1e-08, "min": 1e-30, "max": 1.0,
                "help": "added to the root of the second moment"},
    },
    "outputs": {
        "grad_sizes": "the gradient size s of each weight",
        "steps": "optimizer steps",
        "adam_final": "per weight: the value after the steps under Adam with L2 weight_decay",
        "adamw_final": "per weight: the value after the steps under AdamW",
        "adam_kept": "per weight: adam_final / theta0",
        "adamw_kept": "per weight: adamw_final / theta0",
        "adamw_decay_factor": "(1 - lr * weight_decay)^steps: what AdamW's decay alone leaves",
        "adam_decay_scale": "per weight: 1 / (sqrt(v_hat) + eps) at the end, the factor on Adam's L2 pull",
        "adam_trajectories": "per weight: the values under Adam, steps 0..steps (at most 1001 kept, evenly)",
        "adamw_trajectories": "per weight: the values under AdamW, the same steps",
        "kept_steps": "the step numbers of the kept trajectory points",
    },
}

MAX_POINTS = 1001  # trajectory points kept per weight; enough for a chart


@dataclass(frozen=True)
class AdamVsAdamW:
    grad_sizes: tuple[float, ...]
    steps: int
    adam_final: tuple[float, ...]
    adamw_final: tuple[float, ...]
    adam_kept: tuple[float, ...]
    adamw_kept: tuple[float, ...]
    adamw_decay_factor: float
    adam_decay_scale: tuple[float, ...]
    adam_trajectories: tuple[np.ndarray, ...]
    adamw_trajectories: tuple[np.ndarray, ...]
    kept_steps: np.ndarray


def alternating(size: float, steps: int) -> np.ndarray:
    """+s, -s, +s, ...: a gradient of mean 0 and variance s^2 that carries no signal."""
    return size * np.where(np.arange(steps) % 2 == 0, 1.0, -1.0)


def _final_v_hat(grads: np.ndarray, values: np.ndarray, weight_decay: float, betas) -> float:
    """Adam's bias-corrected second moment after the run, from the gradients it saw (g + wd * p)."""
    beta2 = betas[1]
    seen = grads + weight_decay * values[:-1]
    v = 0.0
    for g in seen:
        v = beta2 * v + (1 - beta2) * g * g
    return v / (1 - beta2 ** len(seen))


def compute(grad_sizes: tuple[float, ...] = (0.01, 1.0, 10.0), lr: float = 0.01, weight_decay: float = 0.1,
            steps: int = 1000, theta0: float = 1.0, betas: tuple[float, ...] = (0.9, 0.999),
            eps: float = 1e-08) -> AdamVsAdamW:
    """Adam (L2) and AdamW on one weight per gradient size, from the same start."""
    if len(betas) != 2:
        raise DemoInputError(f"--betas takes two numbers, beta1,beta2 (e.g. 0.9,0.999); got {len(betas)}")
    if len(grad_sizes) > 8:
        raise DemoInputError(f"--grad-sizes has {len(grad_sizes)} sizes; give at most 8")
    if theta0 == 0:
        raise DemoInputError("--theta0 0 leaves nothing to decay; start elsewhere, e.g. 1")
    hyper = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
    adam, adamw, scales = [], [], []
    for size in grad_sizes:
        grads = alternating(size, steps)
        adam.append(run_sequence(adam_step, grads, theta0, **hyper))
        adamw.append(run_sequence(adamw_step, grads, theta0, **hyper))
        scales.append(1 / (math.sqrt(_final_v_hat(grads, adam[-1], weight_decay, betas)) + eps))
    kept = np.unique(np.linspace(0, steps, min(MAX_POINTS, steps + 1)).round().astype(int))
    return AdamVsAdamW(
        grad_sizes=tuple(grad_sizes),
        steps=steps,
        adam_final=tuple(float(v[-1]) for v in adam),
        adamw_final=tuple(float(v[-1]) for v in adamw),
        adam_kept=tuple(float(v[-1]) / theta0 for v in adam),
        adamw_kept=tuple(float(v[-1]) / theta0 for v in adamw),
        adamw_decay_factor=(1 - lr * weight_decay) ** steps,
        adam_decay_scale=tuple(scales),
        adam_trajectories=tuple(v[kept] for v in adam),
        adamw_trajectories=tuple(v[kept] for v in adamw),
        kept_steps=kept,
    )


def render(result: AdamVsAdamW):
    from rich.console import Group

    from mlquiz.charts import bar_chart, key_values
    from mlquiz.i18n import _

    labels = []
    values = []
    for size, adam, adamw in zip(result.grad_sizes, result.adam_kept, result.adamw_kept):
        labels += [f"s = {size:g}, Adam + L2", f"s = {size:g}, AdamW"]
        values += [adam, adamw]
    chart = bar_chart(_("share of the weight left after {steps} steps (gradients +s, -s, ...)").format(steps=result.steps),
                      labels, values, value_format="{:.4f}")
    summary = key_values(_("decay"), [
        (_("AdamW's factor (1 - lr*wd)^steps"), f"{result.adamw_decay_factor:.4g}"),
        (_("Adam's L2 pull is scaled by 1/sqrt(v_hat)"),
         ", ".join(f"{scale:.3g}" for scale in result.adam_decay_scale)),
    ])
    return Group(chart, summary)
