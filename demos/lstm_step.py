"""Claim: one LSTM step is a few lines of arithmetic per unit: sigmoid the i, f, o pre-activations,
tanh the g one, then c = f * c_prev + i * g and h = o * tanh(c). The new cell state is the old one
scaled by the forget gate plus a gated candidate, so dc/dc_prev = f exactly: the cell path is
additive, and only the forget gate scales a gradient that travels along it.

Conventions (PyTorch ``nn.LSTMCell``, gate order i, f, g, o): each gate's pre-activation is
W_i* x + b_i* + W_h* h_prev + b_h*, so h_prev enters the step only through the four pre-activations
you give here (Keras's LSTM has the same equations and order i, f, c, o). ``--given activations``
takes the gate values themselves instead (i, f, o in [0, 1], g in [-1, 1]). Expected at the
defaults (pre-activations i = (0, 1), f = (1, 0), g = (0.5, -1), o = (0, 2), c_prev = (2, -1)):
gates i = (0.5, 0.73106), f = (0.73106, 0.5), g = (0.46212, -0.76159), o = (0.5, 0.88080);
c = (1.69318, -1.05677), h = (0.46728, -0.69092); dc/dc_prev = f = (0.73106, 0.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

META = {
    "title": "One LSTM cell step on given gate pre-activations",
    "summary": "One LSTM step by hand: gates from pre-activations, c = f*c_prev + i*g, h = o*tanh(c), dc/dc_prev = f",
    "topics": ["rnn", "lstm"],
    "params": {
        "given": {"type": "choice", "default": "preactivations", "choices": ["preactivations", "activations"],
                  "help": "preactivations: --i --f --g --o are W x + b + W_h h_prev + b_h, before sigmoid/tanh; "
                          "activations: they are the gate values themselves"},
        "i": {"type": "floats", "default": "0, 1", "min": -50.0, "max": 50.0,
              "help": "input gate i, one number per hidden unit (PyTorch's first row block)"},
        "f": {"type": "floats", "default": "1, 0", "min": -50.0, "max": 50.0,
              "help": "forget gate f, one per unit (second block)"},
        "g": {"type": "floats", "default": "0.5, -1", "min": -50.0, "max": 50.0,
              "help": "cell candidate g (tanh), one per unit (third block)"},
        "o": {"type": "floats", "default": "0, 2", "min": -50.0, "max": 50.0,
              "help": "output gate o, one per unit (fourth block)"},
        "c_prev": {"type": "floats", "default": "2, -1", "min": -1000.0, "max": 1000.0,
                   "help": "previous cell state c_prev, one per unit"},
    },
    "outputs": {
        "given": "whether the gates were given as pre-activations or as values",
        "units": "hidden units H",
        "i_gate": "input gate sigmoid(i) per unit (list: i_gate.0 is unit 0)",
        "f_gate": "forget gate sigmoid(f) per unit",
        "g_gate": "cell candidate tanh(g) per unit",
        "o_gate": "output gate sigmoid(o) per unit",
        "forget_part": "f * c_prev per unit: what the cell keeps",
        "input_part": "i * g per unit: what the cell writes",
        "c": "new cell state c = f * c_prev + i * g per unit",
        "tanh_c": "tanh(c) per unit",
        "h": "new hidden state h = o * tanh(c) per unit",
        "dc_dc_prev": "dc/dc_prev per unit: the forget gate f (the additive cell path)",
        "dh_dc": "dh/dc per unit: o * (1 - tanh(c)**2)",
        "dh_dc_prev": "dh/dc_prev per unit with the gates held fixed: o * (1 - tanh(c)**2) * f",
    },
}

GATES = ("i", "f", "g", "o")  # PyTorch's row-block order in weight_ih / weight_hh
SHOWN_UNITS = 8  # table rows that fit the screen; further units follow the same equations


@dataclass(frozen=True)
class LstmStep:
    given: str
    units: int
    i_gate: np.ndarray
    f_gate: np.ndarray
    g_gate: np.ndarray
    o_gate: np.ndarray
    forget_part: np.ndarray
    input_part: np.ndarray
    c: np.ndarray
    tanh_c: np.ndarray
    h: np.ndarray
    dc_dc_prev: np.ndarray
    dh_dc: np.ndarray
    dh_dc_prev: np.ndarray


def compute(given: str = "preactivations", i: tuple[float, ...] = (0.0, 1.0), f: tuple[float, ...] = (1.0, 0.0),
            g: tuple[float, ...] = (0.5, -1.0), o: tuple[float, ...] = (0.0, 2.0),
            c_prev: tuple[float, ...] = (2.0, -1.0)) -> LstmStep:
    """One LSTM step from the gates' pre-activations (or values) and the previous cell state.

    Notes
    -----
    :math:`i = \\sigma(a_i), f = \\sigma(a_f), g = \\tanh(a_g), o = \\sigma(a_o)`,
    :math:`c = f \\odot c_{prev} + i \\odot g`, :math:`h = o \\odot \\tanh(c)`;
    :math:`\\partial c/\\partial c_{prev} = f` and :math:`\\partial h/\\partial c_{prev} = o (1 - \\tanh^2 c) f`,
    elementwise, with the pre-activations held fixed.
    """
    from mlquiz.demos._given import check_gate_values, same_length
    from mlquiz.demos._rnn_cells import sigmoid

    same_length({"--i": i, "--f": f, "--g": g, "--o": o, "--c-prev": c_prev}, "every gate and --c-prev")
    a_i, a_f, a_g, a_o = (np.asarray(v, dtype=float) for v in (i, f, g, o))
    if given == "activations":
        for option, values in (("--i", a_i), ("--f", a_f), ("--o", a_o)):
            check_gate_values(option, values, 0.0, 1.0)
        check_gate_values("--g", a_g, -1.0, 1.0)
        i_gate, f_gate, g_gate, o_gate = a_i, a_f, a_g, a_o
    else:
        i_gate, f_gate, g_gate, o_gate = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c_old = np.asarray(c_prev, dtype=float)
    forget_part, input_part = f_gate * c_old, i_gate * g_gate
    c = forget_part + input_part
    tanh_c = np.tanh(c)
    dh_dc = o_gate * (1.0 - tanh_c**2)
    return LstmStep(
        given=given,
        units=len(c),
        i_gate=i_gate,
        f_gate=f_gate,
        g_gate=g_gate,
        o_gate=o_gate,
        forget_part=forget_part,
        input_part=input_part,
        c=c,
        tanh_c=tanh_c,
        h=o_gate * tanh_c,
        dc_dc_prev=f_gate,  # c = f c_prev + i g: linear in c_prev with slope f
        dh_dc=dh_dc,
        dh_dc_prev=dh_dc * f_gate,  # through c only: the gates do not see c_prev
    )


def render(result: LstmStep):
    from rich import box
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import key_values
    from mlquiz.i18n import _, pgettext

    r = result
    given = {"preactivations": pgettext("given", "preactivations"), "activations": pgettext("given", "activations")}.get(r.given, r.given)
    summary = key_values(_("LSTM step, {units} units ({given})").format(units=r.units, given=given),
                         [("c", "f * c_prev + i * g"), ("h", "o * tanh(c)"), ("dc/dc_prev", "f")])
    gates = Table(title=_("gates"), box=box.SIMPLE_HEAD, pad_edge=False)
    state = Table(title=_("state"), box=box.SIMPLE_HEAD, pad_edge=False)
    for table, columns in ((gates, (_("unit"), "i", "f", "g", "o")),
                           (state, (_("unit"), "f*c_prev", "i*g", "c", "h", "dh/dc_prev"))):
        for column in columns:
            table.add_column(column, justify="right", no_wrap=True)
    for u in range(min(r.units, SHOWN_UNITS)):
        gates.add_row(str(u), *(f"{v[u]:.5f}" for v in (r.i_gate, r.f_gate, r.g_gate, r.o_gate)))
        state.add_row(str(u), *(f"{v[u]:+.5f}" for v in (r.forget_part, r.input_part, r.c, r.h, r.dh_dc_prev)))
    return Group(summary, gates, state)
