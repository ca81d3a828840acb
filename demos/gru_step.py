"""Claim: one GRU step by hand: r and z are sigmoids of their pre-activations, the candidate is
n = tanh(x_n + r * h_n), where x_n = W_in x + b_in and h_n = W_hn h_prev + b_hn, and the new state
is h = (1 - z) * n + z * h_prev. The reset gate scales the hidden side of n (bias b_hn included)
but not the input side, and z close to 1 keeps the old state: with the gates held fixed, dh/dh_prev = z.

Conventions (PyTorch ``nn.GRUCell``, gate order r, z, n; Keras's GRU with its default
reset_after=True computes the same n). The hidden-side n pre-activation is its own parameter
because r multiplies it; r's and z's pre-activations already contain W x + b + W_h h_prev + b_h.
Some texts swap the roles of z and 1 - z (h = (1 - z) * h_prev + z * n); ``h_swapped_z`` gives
that value, which is not what PyTorch computes. ``--given activations`` takes r and z as gate values in
[0, 1]. Expected at the defaults (r = (0, 2), z = (0, -1), x_n = (1, 0.5), h_n = (2, -1),
h_prev = (1, -0.5)): r = (0.5, 0.88080), z = (0.5, 0.26894), n = tanh(2) = 0.96403 and
tanh(-0.38080) = -0.36340, h = (0.98201, -0.40014); dh/dh_prev = z.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

META = {
    "title": "One GRU cell step on given gate pre-activations",
    "summary": "One GRU step by hand: r, z from pre-activations, n = tanh(x_n + r*h_n), h = (1-z)*n + z*h_prev",
    "topics": ["rnn", "gru"],
    "params": {
        "given": {"type": "choice", "default": "preactivations", "choices": ["preactivations", "activations"],
                  "help": "preactivations: --r --z are W x + b + W_h h_prev + b_h, before the sigmoid; "
                          "activations: they are the gate values (x_n and h_n stay pre-activations)"},
        "r": {"type": "floats", "default": "0, 2", "min": -50.0, "max": 50.0,
              "help": "reset gate r, one number per hidden unit (PyTorch's first row block)"},
        "z": {"type": "floats", "default": "0, -1", "min": -50.0, "max": 50.0,
              "help": "update gate z, one per unit (second block); z near 1 keeps h_prev"},
        "x_n": {"type": "floats", "default": "1, 0.5", "min": -50.0, "max": 50.0,
                "help": "input side of the candidate, W_in x + b_in, one per unit"},
        "h_n": {"type": "floats", "default": "2, -1", "min": -50.0, "max": 50.0,
                "help": "hidden side of the candidate, W_hn h_prev + b_hn, one per unit (r multiplies it)"},
        "h_prev": {"type": "floats", "default": "1, -0.5", "min": -1000.0, "max": 1000.0,
                   "help": "previous hidden state h_prev, one per unit"},
    },
    "outputs": {
        "given": "whether r and z were given as pre-activations or as values",
        "units": "hidden units H",
        "r_gate": "reset gate sigmoid(r) per unit (list: r_gate.0 is unit 0)",
        "z_gate": "update gate sigmoid(z) per unit",
        "n_pre": "candidate pre-activation x_n + r * h_n per unit",
        "n": "candidate n = tanh(x_n + r * h_n) per unit",
        "new_part": "(1 - z) * n per unit: what the candidate contributes",
        "keep_part": "z * h_prev per unit: what is kept of the old state",
        "h": "new hidden state h = (1 - z) * n + z * h_prev per unit",
        "dh_dh_prev": "dh/dh_prev per unit along the direct path, gates held fixed: z",
        "dh_dh_n": "dh/dh_n per unit: (1 - z) * (1 - n**2) * r (the reset gate scales the hidden side)",
        "h_swapped_z": "(1 - z) * h_prev + z * n per unit: the other texts' convention, not PyTorch's",
    },
}

SHOWN_UNITS = 8  # table rows that fit the screen; further units follow the same equations


@dataclass(frozen=True)
class GruStep:
    given: str
    units: int
    r_gate: np.ndarray
    z_gate: np.ndarray
    n_pre: np.ndarray
    n: np.ndarray
    new_part: np.ndarray
    keep_part: np.ndarray
    h: np.ndarray
    dh_dh_prev: np.ndarray
    dh_dh_n: np.ndarray
    h_swapped_z: np.ndarray


def compute(given: str = "preactivations", r: tuple[float, ...] = (0.0, 2.0), z: tuple[float, ...] = (0.0, -1.0),
            x_n: tuple[float, ...] = (1.0, 0.5), h_n: tuple[float, ...] = (2.0, -1.0),
            h_prev: tuple[float, ...] = (1.0, -0.5)) -> GruStep:
    """One GRU step from the gates' pre-activations (or values), the two sides of n, and h_prev.

    Notes
    -----
    :math:`r = \\sigma(a_r), z = \\sigma(a_z)`, :math:`n = \\tanh(x_n + r \\odot h_n)`,
    :math:`h = (1 - z) \\odot n + z \\odot h_{prev}`; with the pre-activations held fixed
    :math:`\\partial h/\\partial h_{prev} = z` and :math:`\\partial h/\\partial h_n = (1-z)(1-n^2) r`.
    """
    from mlquiz.demos._given import check_gate_values, same_length
    from mlquiz.demos._rnn_cells import sigmoid

    same_length({"--r": r, "--z": z, "--x-n": x_n, "--h-n": h_n, "--h-prev": h_prev},
                "--r, --z, --x-n, --h-n and --h-prev")
    a_r, a_z, side_x, side_h, h_old = (np.asarray(v, dtype=float) for v in (r, z, x_n, h_n, h_prev))
    if given == "activations":
        check_gate_values("--r", a_r, 0.0, 1.0)
        check_gate_values("--z", a_z, 0.0, 1.0)
        r_gate, z_gate = a_r, a_z
    else:
        r_gate, z_gate = sigmoid(a_r), sigmoid(a_z)
    n_pre = side_x + r_gate * side_h  # r gates the hidden side only, b_hn included
    n = np.tanh(n_pre)
    new_part, keep_part = (1.0 - z_gate) * n, z_gate * h_old
    return GruStep(
        given=given,
        units=len(n),
        r_gate=r_gate,
        z_gate=z_gate,
        n_pre=n_pre,
        n=n,
        new_part=new_part,
        keep_part=keep_part,
        h=new_part + keep_part,
        dh_dh_prev=z_gate,  # h is linear in h_prev with slope z once the gates are fixed
        dh_dh_n=(1.0 - z_gate) * (1.0 - n**2) * r_gate,
        h_swapped_z=(1.0 - z_gate) * h_old + z_gate * n,
    )


def render(result: GruStep):
    from rich import box
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import key_values
    from mlquiz.i18n import _, pgettext

    r = result
    given = {"preactivations": pgettext("given", "preactivations"), "activations": pgettext("given", "activations")}.get(r.given, r.given)
    summary = key_values(_("GRU step, {units} units ({given})").format(units=r.units, given=given),
                         [("n", "tanh(x_n + r * h_n)"), ("h", "(1 - z) * n + z * h_prev"), ("dh/dh_prev", "z")])
    gates = Table(title=_("gates and candidate"), box=box.SIMPLE_HEAD, pad_edge=False)
    state = Table(title=_("new state"), box=box.SIMPLE_HEAD, pad_edge=False)
    for table, columns in ((gates, (_("unit"), "r", "z", "x_n + r*h_n", "n")),
                           (state, (_("unit"), "(1-z)*n", "z*h_prev", "h", "dh/dh_n"))):
        for column in columns:
            table.add_column(column, justify="right", no_wrap=True)
    for u in range(min(r.units, SHOWN_UNITS)):
        gates.add_row(str(u), *(f"{v[u]:+.5f}" for v in (r.r_gate, r.z_gate, r.n_pre, r.n)))
        state.add_row(str(u), *(f"{v[u]:+.5f}" for v in (r.new_part, r.keep_part, r.h, r.dh_dh_n)))
    return Group(summary, gates, state)
