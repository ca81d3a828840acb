"""Claim: inverted dropout on a vector you can work by hand: with drop probability p, training keeps
the units where the mask is 1 and divides them by the KEEP probability 1 - p, and eval mode returns
the input unchanged. So x = (2, 4, 6, 8) with mask (1, 0, 1, 0) and p = 0.5 gives (4, 0, 12, 0) in
training and (2, 4, 6, 8) in eval. Classic (non-inverted) dropout instead leaves the survivors as
they are in training and multiplies every unit by 1 - p at test time.

Conventions: PyTorch's ``nn.Dropout(p)`` and Keras's ``Dropout(rate)`` take the drop probability
and scale in training; the mask here is given so the arithmetic is fixed (a real layer draws it,
each unit kept with probability 1 - p).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

META = {
    "title": "Dropout on a given vector and mask",
    "summary": "inverted dropout's train and eval outputs on a vector and keep-mask you give, and the classic variant",
    "topics": ["regularization"],
    "params": {
        "x": {"type": "floats", "default": "2, 4, 6, 8", "min": -1000000.0, "max": 1000000.0,
              "help": "the activations entering dropout, e.g. 2,4,6,8"},
        "mask": {"type": "floats", "default": "1, 0, 1, 0", "min": 0.0, "max": 1.0,
                 "help": "which units are kept (1) or dropped (0), one per activation"},
        "p": {"type": "float", "default": 0.5, "min": 0.0, "max": 0.99,
              "help": "drop probability (PyTorch p, Keras rate), not the keep probability"},
    },
    "outputs": {
        "x": "the activations given",
        "mask": "the keep mask (1 kept, 0 dropped)",
        "p": "the drop probability",
        "keep_prob": "1 - p",
        "scale": "1 / (1 - p), the factor applied to kept units in training",
        "wrong_scale": "1 / p, what dividing by the drop probability would use (p > 0; else 0)",
        "train_output": "inverted dropout in training: x * mask / (1 - p)",
        "train_sum": "the sum of train_output",
        "eval_output": "inverted dropout in eval mode: x unchanged",
        "classic_train_output": "classic dropout in training: x * mask, no scaling",
        "classic_eval_output": "classic dropout at test time: x * (1 - p)",
        "kept": "how many units the mask keeps",
    },
}


@dataclass(frozen=True)
class DropoutGiven:
    x: np.ndarray
    mask: np.ndarray
    p: float
    keep_prob: float
    scale: float
    wrong_scale: float
    train_output: np.ndarray
    train_sum: float
    eval_output: np.ndarray
    classic_train_output: np.ndarray
    classic_eval_output: np.ndarray
    kept: int


def compute(x: tuple[float, ...] = (2.0, 4.0, 6.0, 8.0), mask: tuple[float, ...] = (1.0, 0.0, 1.0, 0.0),
            p: float = 0.5) -> DropoutGiven:
    """Inverted and classic dropout on ``x`` with the given keep ``mask``.

    Notes
    -----
    Training: :math:`y = x \\odot m / (1 - p)`; eval: :math:`y = x`.
    """
    from mlquiz.errors import DemoInputError
    from mlquiz.i18n import _

    v = np.asarray(x, dtype=float)
    m = np.asarray(mask, dtype=float)
    if len(m) != len(v):
        raise DemoInputError(_("--mask has {mask} numbers but --x has {x}; give one 0 or 1 per activation").format(
            mask=len(m), x=len(v)))
    if np.any((m != 0) & (m != 1)):
        raise DemoInputError(_("--mask must hold only 0 (dropped) and 1 (kept)"))
    keep = 1.0 - p
    train = v * m / keep
    return DropoutGiven(
        x=v,
        mask=m,
        p=p,
        keep_prob=keep,
        scale=1.0 / keep,
        wrong_scale=1.0 / p if p > 0 else 0.0,
        train_output=train,
        train_sum=float(train.sum()),
        eval_output=v.copy(),
        classic_train_output=v * m,
        classic_eval_output=v * keep,
        kept=int(m.sum()),
    )


def render(result: DropoutGiven):
    from rich import box
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import key_values
    from mlquiz.i18n import _

    r = result
    summary = key_values(
        _("dropout p = {p:g} on {n} units").format(p=r.p, n=len(r.x)),
        [(_("scale of kept units 1/(1-p)"), f"{r.scale:.6g}"),
         (_("units kept"), str(r.kept)),
         (_("sum in training / in eval"), f"{r.train_sum:.6g} / {float(r.eval_output.sum()):.6g}")],
    )
    table = Table(title=_("units"), box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("x", _("mask"), _("train"), _("eval"), _("classic train"), _("classic eval")):
        table.add_column(column, justify="right", no_wrap=True)
    for k in range(min(len(r.x), 12)):
        table.add_row(f"{r.x[k]:.6g}", f"{r.mask[k]:g}", f"{r.train_output[k]:.6g}", f"{r.eval_output[k]:.6g}",
                      f"{r.classic_train_output[k]:.6g}", f"{r.classic_eval_output[k]:.6g}")
    return Group(summary, table)
