"""Claim: backpropagated through time, a tanh RNN's gradient shrinks or grows geometrically with the
distance to the loss; the LSTM's additive cell path carries it further, scaled by the product of its
forget gates, which still vanishes (0.9**50 = 0.00515) and does not stop explosion.

We run a tanh RNN, an LSTM and a GRU (PyTorch's equations and weight layout, see ``_rnn_cells``)
over the same random input sequence, take the loss L = u·h_T (u a fixed random unit vector) at the
last step, and backpropagate by hand. For each cell we report ||dL/dx_t|| for every input by lag
(steps between the input and the loss), ||dL/dh_t|| for every state, and for the LSTM the product
of forget gates along the cell path.

Expected, seed 0 (ratio = ||dL/dx_1|| / ||dL/dx_T||):

- defaults (50 steps, 32 units, recurrent weights N(0, 1/H), forget bias 1): every cell vanishes:
  RNN 1.9e-10, LSTM 8.0e-05, GRU 1.2e-10. The LSTM's mean forget gate is 0.698 and the product
  of its 50 forget gates 1.7e-08; the gradient also reaches x_1 through h, so it is larger.
- ``--forget-bias 3``: mean forget gate 0.928, LSTM 0.049; ``--forget-bias 0``: LSTM 8.1e-10,
  no better than the RNN. An untrained LSTM is only as good as its forget gates.
- ``--weight-scale 3``: the RNN is chaotic and explodes (449) while LSTM (0.36) and GRU (0.35) hold.
- ``--input-scale 0 --weight-scale 2``: every state stays 0, the cells are linear and the RNN
  (3.8e+14) and the LSTM (8.0e+05) both explode: the LSTM mitigates vanishing, not explosion.
- ``--input-scale 10 --weight-scale 3``: strong input saturates tanh, so large weights vanish
  (RNN 6.6e-14). PyTorch's default init (``--weight-scale 0.577``) gives RNN 1.3e-20.
- An LSTM whose forget gates all equal 0.9 and whose W_hh is 0, backpropagated through its full
  equations: dc_T/dc_0 = 0.00515378 = 0.9**50 (``--seq-len 100``: 2.6561e-05 = 0.9**100).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlquiz.demos._rnn_cells import N_GATES, gru_backward, gru_forward, lstm_backward, lstm_forward
from mlquiz.demos._rnn_cells import rnn_backward, rnn_forward
from mlquiz.errors import DemoInputError
from mlquiz.i18n import N_

META = {
    "title": "Gradients through time: tanh RNN vs LSTM vs GRU",
    "summary": "hand-written BPTT: how ||dL/dx_t|| vanishes or explodes with lag, and the LSTM's forget-gate product",
    "topics": ["gradients", "rnn", "lstm", "gru"],
    "params": {
        "seq_len": {"type": "int", "default": 50, "min": 2, "max": 2000,
                    "help": "time steps T; the loss reads the last hidden state"},
        "hidden": {"type": "int", "default": 32, "min": 1, "max": 512,
                   "help": "hidden units H of every cell"},
        "input_size": {"type": "int", "default": 8, "min": 1, "max": 256,
                       "help": "features per input step"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295,
                 "help": "seed for the inputs, the weights and the loss's readout vector"},
        "weight_scale": {"type": "float", "default": 1.0, "min": 0.0, "max": 10.0,
                         "help": "recurrent weights are N(0, (scale^2)/H), so ~ the RNN's spectral radius "
                                 "(PyTorch's default init is 0.577)"},
        "input_scale": {"type": "float", "default": 1.0, "min": 0.0, "max": 10.0,
                        "help": "std of the N(0, s^2) inputs; 0 keeps every state at 0 (the linear regime)"},
        "forget_bias": {"type": "float", "default": 1.0, "min": -10.0, "max": 10.0,
                        "help": "added to the LSTM's forget-gate bias b_if (1 is a common practice)"},
        "cells": {"type": "choices", "default": "rnn,lstm,gru", "choices": ["rnn", "lstm", "gru"],
                  "help": "which cells to run"},
        "fixed_forget": {"type": "float", "default": 0.9, "min": 0.0, "max": 1.0,
                         "help": "forget-gate value of the closed-form check: dc_T/dc_0 = value**seq_len"},
    },
    "outputs": {
        "seq_len": "time steps T",
        "hidden": "hidden units H",
        "cells": "the cells run, in the order rnn, lstm, gru",
        "input_grad_norms": "per cell, ||dL/dx|| by lag: index k is the input k steps before the loss (0 = last input)",
        "log10_input_grad_norms": "per cell, log10 of input_grad_norms (finite where the norms over- or underflow)",
        "state_grad_norms": "per cell, ||dL/dh|| by lag: index k is the state k steps before h_T "
                            "(0 = h_T, whose gradient is the unit readout; T = the initial state h_0)",
        "input_grad_ratio": "per cell, ||dL/dx_1|| / ||dL/dx_T||: the first input's gradient over the last one's",
        "log10_input_grad_ratio": "per cell, log10 of input_grad_ratio (finite when the ratio over- or underflows)",
        "per_step_factor": "per cell, input_grad_ratio ** (1/(T-1)): the geometric-mean factor per step back",
        "trend": "per cell, 'explodes' (ratio > 10), 'vanishes' (< 0.1), 'holds', "
                 "or 'undefined' (the last input's gradient is 0)",
        "state_grad_ratio": "per cell, ||dL/dh_0|| / ||dL/dh_T||, the gradient reaching the initial state",
        "rnn_spectral_radius": "largest |eigenvalue| of the RNN's W_hh (null without the rnn cell)",
        "forget_gate_mean": "LSTM: mean forget gate over all steps and units (null without the lstm cell)",
        "forget_products": "LSTM: by lag k, the mean over units of the product of the last k forget gates, "
                           "the direct cell-path gradient dc_T/dc_(T-k) (index 0 is 1)",
        "forget_product": "LSTM: forget_products at lag T, the direct-path dc_T/dc_0",
        "log10_forget_product": "LSTM: log10 of forget_product (finite when it underflows)",
        "fixed_forget": "the forget-gate value of the closed-form check",
        "fixed_forget_gradient": "||dc_T/dc_0|| by full BPTT through an LSTM whose forget gates all equal "
                                 "fixed_forget and whose W_hh is 0",
        "fixed_forget_closed_form": "fixed_forget ** seq_len, the product of the forget gates",
        "update_gate_mean": "GRU: mean update gate z over all steps and units; PyTorch's h = (1-z)*n + z*h_prev "
                            "keeps z of the old state (null without the gru cell)",
    },
    "scenarios": {
        "vanishing": {"params": {},
                      "look": "the defaults: the tanh RNN's curve falls fastest; the LSTM's, with forget bias 1, "
                              "stays orders of magnitude above it; the GRU, whose update gate starts near 0.5, "
                              "falls like the RNN"},
        "forget-bias-0": {"params": {"forget_bias": 0.0},
                          "look": "with forget bias 0 the forget gates start near 0.5 and the LSTM's curve falls "
                                  "as fast as the RNN's: an untrained LSTM is only as good as its forget gates"},
        "long-memory": {"params": {"forget_bias": 3.0},
                        "look": "forget bias 3 puts the forget gates near 0.95: the LSTM's curve stays nearly flat "
                                "over 50 steps"},
        "exploding": {"params": {"weight_scale": 3.0},
                      "look": "recurrent weights 3x too large: the RNN's curve rises (it explodes), while the "
                              "gated cells' saturating gates hold theirs"},
        "linear": {"params": {"input_scale": 0.0, "weight_scale": 2.0},
                   "look": "no input keeps every state at 0, so tanh is linear: the RNN and the LSTM both "
                           "explode; the LSTM fixes vanishing, not explosion"},
        "pytorch-init": {"params": {"weight_scale": 0.577},
                         "look": "PyTorch's default initialisation U(-1/sqrt(H), 1/sqrt(H)) has spectral radius "
                                 "about 0.58: the RNN's gradient vanishes far faster than at the defaults"},
    },
}

CELL_ORDER = ("rnn", "lstm", "gru")  # fixed order, so results do not depend on how --cells was typed
SEGMENT = 64  # BPTT is linear in its seed, so we rescale it every SEGMENT steps. One step multiplies
# the norm by at most ~50 (||W_hh||_2 ~ 3 * weight_scale <= 30 for the LSTM's 4H x H, times gates),
# and 50**64 ~ 1e109 stays far inside float64's 1e308; 2000 steps unscaled would overflow.
MAX_STEP_UNITS = 256_000  # seq_len * hidden: 1000 x 256 or 500 x 512 takes ~1-2 s of CPU for all three cells
TREND_FACTOR = 10.0  # one decade either way counts as exploding or vanishing; less is seed noise


@dataclass(frozen=True)
class LstmGradients:
    seq_len: int
    hidden: int
    cells: tuple[str, ...]
    input_grad_norms: dict
    log10_input_grad_norms: dict
    state_grad_norms: dict
    input_grad_ratio: dict
    log10_input_grad_ratio: dict
    per_step_factor: dict
    trend: dict
    state_grad_ratio: dict
    rnn_spectral_radius: float | None
    forget_gate_mean: float | None
    forget_products: np.ndarray | None
    forget_product: float | None
    log10_forget_product: float | None
    fixed_forget: float
    fixed_forget_gradient: float
    fixed_forget_closed_form: float
    update_gate_mean: float | None


def init_params(rng, cell, n_input, n_hidden, weight_scale=1.0, forget_bias=0.0):
    """Random weights in PyTorch's layout for one cell.

    Parameters
    ----------
    rng : numpy.random.Generator
    cell : {"rnn", "lstm", "gru"}
    n_input, n_hidden : int
    weight_scale : float
        Multiplies the recurrent weights.
    forget_bias : float
        Put in the LSTM's ``bias_ih`` forget block (the effective bias is ``b_if + b_hf``).

    Returns
    -------
    dict
        ``weight_ih (G*H, I)`` entries N(0, 1/I), ``weight_hh (G*H, H)`` entries
        N(0, weight_scale**2 / H), ``bias_ih`` and ``bias_hh (G*H,)`` zero but for the forget block.

    Notes
    -----
    An H x H matrix of N(0, s^2/H) entries has spectral radius close to s (circular law), so
    ``weight_scale`` is the tanh RNN's linearised per-step gain. PyTorch's default
    U(-1/sqrt(H), 1/sqrt(H)) has std 1/sqrt(3H), i.e. weight_scale 0.577.
    """
    n_rows = N_GATES[cell] * n_hidden
    # W_hh first, so that changing input_size leaves the recurrent weights as they were.
    weight_hh = weight_scale / np.sqrt(n_hidden) * rng.standard_normal((n_rows, n_hidden))
    weight_ih = rng.standard_normal((n_rows, n_input)) / np.sqrt(n_input)
    bias_ih, bias_hh = np.zeros(n_rows), np.zeros(n_rows)
    if cell == "lstm":
        bias_ih[n_hidden:2 * n_hidden] = forget_bias  # rows i, f, g, o: block 1 is the forget gate
    return {"weight_ih": weight_ih, "weight_hh": weight_hh, "bias_ih": bias_ih, "bias_hh": bias_hh}


def make_problem(seed, seq_len, hidden, input_size, weight_scale, input_scale, forget_bias):
    """The demo's inputs, readout and weights for every cell.

    Returns
    -------
    xs : (seq_len, 1, input_size)
        N(0, input_scale**2) inputs, one sequence.
    readout : (1, hidden)
        Unit vector u of the loss L = u · h_T.
    params : dict
        ``{cell: init_params(...)}`` for rnn, lstm and gru.
    """
    # Independent streams: the inputs stay the same whichever cells run, and each cell's weights
    # stay the same whatever seq_len is.
    rng_x, rng_u, *rng_cells = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5))
    xs = input_scale * rng_x.standard_normal((seq_len, 1, input_size))
    readout = rng_u.standard_normal((1, hidden))
    readout /= np.linalg.norm(readout)
    params = {
        cell: init_params(rng, cell, input_size, hidden, weight_scale, forget_bias)
        for cell, rng in zip(CELL_ORDER, rng_cells)
    }
    return xs, readout, params


def _log10_norms(arrays: np.ndarray) -> np.ndarray:
    """log10 of the Euclidean norm over the last axis; -inf for an exact zero."""
    with np.errstate(divide="ignore"):
        return np.log10(np.linalg.norm(arrays, axis=-1))


def _gradients_by_step(cell, params, xs, readout):
    """BPTT of L = readout · h_T, renormalised every SEGMENT steps.

    Returns log10 ||dL/dx_t|| for t = 0..T-1 (0-based inputs), log10 ||dL/dh_j|| for the states
    j = 0..T (h_0 the initial state), and the LSTM's forget gates or the GRU's update gates (T, H),
    or None for the RNN.
    """
    n_steps, n_batch, _ = xs.shape
    n_hidden = readout.shape[-1]
    h = c = np.zeros((n_batch, n_hidden))
    traces = []
    for start in range(0, n_steps, SEGMENT):
        # A segment started from the previous segment's final state continues the same sequence exactly.
        if cell == "lstm":
            hs, cs, trace = lstm_forward(xs[start:start + SEGMENT], h, c, **params)
            h, c = hs[-1], cs[-1]
        else:
            hs, trace = (rnn_forward if cell == "rnn" else gru_forward)(xs[start:start + SEGMENT], h, **params)
            h = hs[-1]
        traces.append((start, trace))

    log10_dx = np.empty(n_steps)
    log10_dh = np.empty(n_steps + 1)
    dh_last, dc_last = readout, np.zeros_like(readout)
    log10_scale = 0.0
    for start, trace in reversed(traces):
        dhs = np.zeros_like(trace.hs)
        dhs[-1] = dh_last  # this segment's final state feeds the next segment (or the loss)
        if cell == "lstm":
            grads = lstm_backward(dhs, trace, dc_last=dc_last)
            dc_last = grads.dc0
        else:
            grads = (rnn_backward if cell == "rnn" else gru_backward)(dhs, trace)
        stop = start + len(trace.xs)
        log10_dx[start:stop] = _log10_norms(grads.dxs[:, 0]) + log10_scale
        log10_dh[start + 1:stop + 1] = _log10_norms(grads.dh_total[:, 0]) + log10_scale
        dh_last = grads.dh0
        scale = max(np.linalg.norm(dh_last), np.linalg.norm(dc_last))
        if scale > 0:  # an exact zero stays zero (tanh can saturate to a derivative of 0)
            dh_last, dc_last = dh_last / scale, dc_last / scale
            log10_scale += np.log10(scale)
    log10_dh[0] = _log10_norms(dh_last[0]) + log10_scale
    gate = {"lstm": "f", "gru": "z"}.get(cell)  # the gate that decides how much of the old state is kept
    kept = np.concatenate([t.acts[gate][:, 0] for _, t in traces]) if gate else None
    return log10_dx, log10_dh, kept


def _log10_mean_forget_products(forget: np.ndarray) -> np.ndarray:
    """log10 of mean over units of prod of the last k forget gates, for k = 0..T (shape (T+1,))."""
    with np.errstate(divide="ignore"):
        log_f = np.log(forget[::-1])  # most recent step first
    log_prods = np.concatenate([np.zeros((1, forget.shape[1])), np.cumsum(log_f, axis=0)])
    top = log_prods.max(axis=1, keepdims=True)  # log-sum-exp over units: products can underflow
    with np.errstate(divide="ignore", invalid="ignore"):
        log_mean = top[:, 0] + np.log(np.mean(np.exp(log_prods - top), axis=1))
    log_mean[np.isneginf(top[:, 0])] = -np.inf
    return log_mean / np.log(10)


def _fixed_forget_gradient(params, xs, readout, fixed_forget):
    """||dc_T/dc_0 · readout|| by full BPTT through an LSTM whose forget gates all equal fixed_forget.

    W_hh = 0 cuts every path from c_{t-1} to step t except the additive one, and the forget rows of
    W_ih are 0 with bias logit(fixed_forget), so every f_t = fixed_forget whatever the input.
    """
    n_hidden = readout.shape[-1]
    forget_rows = slice(n_hidden, 2 * n_hidden)
    weight_ih = params["weight_ih"].copy()
    weight_ih[forget_rows] = 0.0
    bias_ih = np.zeros(4 * n_hidden)
    with np.errstate(divide="ignore"):  # logit(0) = -inf and logit(1) = inf give sigmoid 0 and 1 exactly
        bias_ih[forget_rows] = np.log(fixed_forget) - np.log1p(-fixed_forget)
    zeros = np.zeros_like(readout)
    _, _, trace = lstm_forward(xs, zeros, zeros, weight_ih, np.zeros((4 * n_hidden, n_hidden)), bias_ih,
                               np.zeros(4 * n_hidden))
    grads = lstm_backward(np.zeros_like(trace.hs), trace, dc_last=readout)
    return float(np.linalg.norm(grads.dc0) / np.linalg.norm(readout))


def compute(seq_len: int = 50, hidden: int = 32, input_size: int = 8, seed: int = 0,
            weight_scale: float = 1.0, input_scale: float = 1.0, forget_bias: float = 1.0,
            cells: tuple[str, ...] = ("rnn", "lstm", "gru"), fixed_forget: float = 0.9) -> LstmGradients:
    """Gradient norms through time for each cell, the LSTM's forget-gate products and a closed-form check.

    Notes
    -----
    With L = u·h_T and ||u|| = 1, dL/dh_T = u, and for an earlier state
    :math:`\\partial L/\\partial h_t = (\\prod_{k=t+1}^{T} J_k)^\\top u`, with
    :math:`J_k = \\partial h_k/\\partial h_{k-1}`; for the RNN :math:`J_k = \\mathrm{diag}(1 - h_k^2) W_{hh}`.
    Along the LSTM's cell path alone, :math:`\\partial c_T/\\partial c_t = \\mathrm{diag}(\\prod_{k=t+1}^{T} f_k)`.
    """
    if not cells or any(cell not in CELL_ORDER for cell in cells):
        from mlquiz.i18n import _

        raise DemoInputError(_("--cells {cells!r} is not valid; use a comma-separated list of rnn, lstm, gru").format(
            cells=",".join(cells)))
    if seq_len * hidden > MAX_STEP_UNITS:
        from mlquiz.i18n import _

        raise DemoInputError(_("--seq-len {seq_len} x --hidden {hidden} = {product} is too much work; "
                               "keep their product at most {limit} (e.g. 1000 x 256)").format(
            seq_len=seq_len, hidden=hidden, product=seq_len * hidden, limit=MAX_STEP_UNITS))
    if not 0.0 <= fixed_forget <= 1.0:
        from mlquiz.i18n import _

        raise DemoInputError(_("--fixed-forget {value} is not a gate value; use 0 to 1").format(value=fixed_forget))
    cells = tuple(cell for cell in CELL_ORDER if cell in cells)
    xs, readout, all_params = make_problem(seed, seq_len, hidden, input_size, weight_scale, input_scale, forget_bias)

    # by lag: index 0 is next to the loss
    log10_dx, log10_dh, gates = {}, {}, {}
    for cell in cells:
        by_step_dx, by_step_dh, gates[cell] = _gradients_by_step(cell, all_params[cell], xs, readout)
        log10_dx[cell], log10_dh[cell] = by_step_dx[::-1], by_step_dh[::-1]
    forget = gates.get("lstm")
    # nan when the last input's gradient is exactly 0 (tanh saturated to tanh' = 0): then there is no ratio
    with np.errstate(invalid="ignore"):
        log_ratios = {cell: float(log10_dx[cell][-1] - log10_dx[cell][0]) for cell in cells}
    trends = {cell: _trend(log_ratio) for cell, log_ratio in log_ratios.items()}

    radius = float(np.max(np.abs(np.linalg.eigvals(all_params["rnn"]["weight_hh"])))) if "rnn" in cells else None
    if forget is not None:
        log10_products = _log10_mean_forget_products(forget)
        forget_stats = (float(forget.mean()), _pow10(log10_products), float(_pow10(log10_products[-1])),
                        float(log10_products[-1]))
    else:
        forget_stats = (None, None, None, None)
    return LstmGradients(
        seq_len, hidden, cells,
        input_grad_norms={cell: _pow10(v) for cell, v in log10_dx.items()},
        log10_input_grad_norms=log10_dx,
        state_grad_norms={cell: _pow10(v) for cell, v in log10_dh.items()},
        input_grad_ratio={cell: float(_pow10(v)) for cell, v in log_ratios.items()},
        log10_input_grad_ratio=log_ratios,
        per_step_factor={cell: float(_pow10(v / (seq_len - 1))) for cell, v in log_ratios.items()},
        trend=trends,
        state_grad_ratio={cell: float(_pow10(v[-1] - v[0])) for cell, v in log10_dh.items()},
        rnn_spectral_radius=radius,
        forget_gate_mean=forget_stats[0],
        forget_products=forget_stats[1],
        forget_product=forget_stats[2],
        log10_forget_product=forget_stats[3],
        fixed_forget=fixed_forget,
        fixed_forget_gradient=_fixed_forget_gradient(all_params["lstm"], xs, readout, fixed_forget),
        fixed_forget_closed_form=float(fixed_forget**seq_len),
        update_gate_mean=float(gates["gru"].mean()) if "gru" in gates else None,
    )


def _pow10(log10_value):
    """10**x that overflows to inf (an honest answer for 1e2000) instead of raising."""
    with np.errstate(over="ignore"):
        return np.power(10.0, log10_value)


def _trend(log10_ratio: float) -> str:
    if np.isnan(log10_ratio):
        return "undefined"
    if log10_ratio > np.log10(TREND_FACTOR):
        return "explodes"
    return "vanishes" if log10_ratio < -np.log10(TREND_FACTOR) else "holds"


def _sci(log10_value: float) -> str:
    """1.2e-05 style text from a log10, also beyond float64's range."""
    if np.isnan(log10_value):
        return "n/a"
    if not np.isfinite(log10_value):
        return "0" if log10_value < 0 else "inf"
    exponent = int(np.floor(log10_value))
    mantissa = 10.0 ** (log10_value - exponent)
    if mantissa >= 9.95:  # rounding to one decimal would print 10.0e..
        mantissa, exponent = 1.0, exponent + 1
    return f"{mantissa:.1f}e{exponent:+03d}"


def figure(result: LstmGradients):
    """||dL/dx|| by steps back for each cell on a log axis, and the LSTM's forget-gate product."""
    from mlquiz.charts import Figure, Series
    from mlquiz.i18n import _

    lags = tuple(range(result.seq_len))
    series = [Series(cell, lags, tuple(float(v) for v in result.input_grad_norms[cell])) for cell in result.cells]
    if result.forget_products is not None:
        series.append(Series(_("∏f (LSTM cell path only)"), lags, tuple(float(v) for v in result.forget_products[:-1])))
    return Figure(
        title=_("Gradient reaching each input: ||dL/dx|| by steps back (T={t}, H={h})").format(
            t=result.seq_len, h=result.hidden),
        x_label=_("steps back from the loss"), y_label="||dL/dx||", series=tuple(series), log_y=True,
        caption=reading(result, _))


TRENDS = {"explodes": N_("explodes"), "vanishes": N_("vanishes"), "holds": N_("holds"),
          "undefined": N_("undefined")}


def _shown_trend(trend: str, _=lambda message: message) -> str:
    return _(TRENDS[trend]) if trend in TRENDS else trend


def reading(result: LstmGradients, _=lambda message: message) -> str:
    """One sentence on what the chart shows, from the numbers themselves (``_`` translates it on screen)."""
    ratio = result.log10_input_grad_ratio
    trend = {cell: _shown_trend(value, _) for cell, value in result.trend.items()}
    back = result.seq_len - 1
    parts = []
    if "rnn" in ratio and "lstm" in ratio and np.isfinite(ratio["rnn"]) and np.isfinite(ratio["lstm"]):
        gap = ratio["lstm"] - ratio["rnn"]
        if result.trend["rnn"] == "explodes":
            parts.append(_("{back} steps back the tanh RNN's gradient has grown to {rnn} (it explodes); "
                           "the LSTM's gradient {trend} ({lstm})").format(
                back=back, rnn=_sci(ratio["rnn"]), trend=trend["lstm"], lstm=_sci(ratio["lstm"])))
        elif gap >= 1:
            parts.append(_("{back} steps back the LSTM keeps {lstm} of its gradient and the tanh RNN "
                           "{rnn}: the LSTM's cell path carries it {gap:.0f} orders of magnitude further").format(
                back=back, lstm=_sci(ratio["lstm"]), rnn=_sci(ratio["rnn"]), gap=gap))
        else:
            parts.append(_("{back} steps back the LSTM ({lstm}) does no better than the tanh RNN "
                           "({rnn})").format(back=back, lstm=_sci(ratio["lstm"]), rnn=_sci(ratio["rnn"])))
    if "gru" in ratio and result.update_gate_mean is not None and np.isfinite(ratio["gru"]):
        if result.trend["gru"] == "vanishes" and result.update_gate_mean < 0.8:
            parts.append(_("the GRU vanishes too ({gru}): its update gate z averages "
                           "{z:.2f}, so its direct path keeps only that share per step, and "
                           "no bias pushes z towards keeping as the forget bias does for the LSTM").format(
                gru=_sci(ratio["gru"]), z=result.update_gate_mean))
        else:
            parts.append(_("the GRU {trend} ({gru})").format(trend=trend["gru"], gru=_sci(ratio["gru"])))
    text = _("; ").join(parts)
    return _("{sentence}.").format(sentence=text[0].upper() + text[1:]) if text else ""


def render(result: LstmGradients):
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from mlquiz.charts import line_chart
    from mlquiz.i18n import _

    summary = Table(title=_("ratio = ||dL/dx_1|| / ||dL/dx_T|| (first input over last)"))
    for name, justify in ((_("cell"), "left"), (_("ratio"), "right"), (_("per step"), "right"), (_("trend"), "left")):
        summary.add_column(name, justify=justify, no_wrap=True)
    for cell in result.cells:
        summary.add_row(cell, _sci(result.log10_input_grad_ratio[cell]), f"{result.per_step_factor[cell]:.4g}",
                        _shown_trend(result.trend[cell], _))
    notes = []
    if result.rnn_spectral_radius is not None:
        notes.append(_("RNN W_hh spectral radius {radius:.3f}").format(radius=result.rnn_spectral_radius))
    if result.forget_gate_mean is not None:
        notes.append(_("LSTM mean forget gate {mean:.3f}; ∏f over all {steps} steps {product}. ∏f is the cell path "
                       "alone; the LSTM's gradient also reaches x_t through h (gates and candidate), so its curve "
                       "lies above ∏f.").format(mean=result.forget_gate_mean, steps=result.seq_len,
                                                product=_sci(result.log10_forget_product)))
    notes.append(_("all f = {f:g}, full BPTT: dc_T/dc_0 = {gradient:.6g}; {f:g}**{steps} = {closed:.6g}").format(
        f=result.fixed_forget, gradient=result.fixed_forget_gradient, steps=result.seq_len,
        closed=result.fixed_forget_closed_form))
    return Group(line_chart(figure(result)), summary, *(Text(note) for note in notes))
