"""The shared RNN/LSTM/GRU cells: forward against PyTorch's documented equations, every BPTT gradient
against centred finite differences, shapes against the layout, and closed forms of the gradient paths."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import assert_gradients_match
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demos import _rnn_cells as rc

CELLS = ("rnn", "lstm", "gru")
PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _random_problem(cell, n_steps=4, n_batch=2, n_input=3, n_hidden=3, scale=0.8, seed=0):
    """Random weights (large enough to leave the linear regime), inputs, states and upstream gradients."""
    rng = np.random.default_rng(seed)
    shapes = rc.param_shapes(cell, n_input, n_hidden)
    params = {name: scale * rng.standard_normal(shape) for name, shape in shapes.items()}
    return dict(
        params=params,
        xs=rng.standard_normal((n_steps, n_batch, n_input)),
        h0=0.5 * rng.standard_normal((n_batch, n_hidden)),
        c0=0.5 * rng.standard_normal((n_batch, n_hidden)),
        dhs=rng.standard_normal((n_steps, n_batch, n_hidden)),  # a loss on every output, not only the last
        dc_last=rng.standard_normal((n_batch, n_hidden)),
    )


def _forward(cell, xs, h0, c0, params):
    if cell == "lstm":
        return rc.lstm_forward(xs, h0, c0, **params)
    hs, trace = getattr(rc, f"{cell}_forward")(xs, h0, **params)
    return hs, None, trace


def _backward(cell, dhs, trace, dc_last):
    if cell == "lstm":
        return rc.lstm_backward(dhs, trace, dc_last=dc_last)
    return getattr(rc, f"{cell}_backward")(dhs, trace)


def _loss(cell, p):
    """L = sum(dhs * hs) (+ sum(dc_last * c_T) for the LSTM), so that dL/dhs = dhs."""
    hs, cs, _ = _forward(cell, p["xs"], p["h0"], p["c0"], p["params"])
    loss = np.sum(p["dhs"] * hs)
    return loss + np.sum(p["dc_last"] * cs[-1]) if cell == "lstm" else loss


# ----------------------------------------------------------------------------- forward: the documented equations

def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def _naive_step(cell, x, h, c, params):
    """One step written from PyTorch's documentation, one gate at a time, with explicit row blocks."""
    n_hidden = h.shape[-1]
    W_i, W_h, b_i, b_h = (params[name] for name in PARAM_NAMES)

    def block(k):
        rows = slice(k * n_hidden, (k + 1) * n_hidden)
        return W_i[rows], W_h[rows], b_i[rows], b_h[rows]

    if cell == "rnn":
        Wx, Wh, bx, bh = block(0)
        return np.tanh(x @ Wx.T + bx + h @ Wh.T + bh), None
    if cell == "lstm":
        gates = []
        for k, act in enumerate((_sig, _sig, np.tanh, _sig)):  # i, f, g, o
            Wx, Wh, bx, bh = block(k)
            gates.append(act(x @ Wx.T + bx + h @ Wh.T + bh))
        i, f, g, o = gates
        c_new = f * c + i * g
        return o * np.tanh(c_new), c_new
    (Wir, Whr, bir, bhr), (Wiz, Whz, biz, bhz), (Win, Whn, bin_, bhn) = block(0), block(1), block(2)
    r = _sig(x @ Wir.T + bir + h @ Whr.T + bhr)
    z = _sig(x @ Wiz.T + biz + h @ Whz.T + bhz)
    n = np.tanh(x @ Win.T + bin_ + r * (h @ Whn.T + bhn))
    return (1 - z) * n + z * h, None


@pytest.mark.parametrize("cell", CELLS)
def test_forward_matches_the_documented_equations(cell):
    p = _random_problem(cell, n_steps=6, n_hidden=5, n_input=4, scale=1.5)
    hs, cs, _ = _forward(cell, p["xs"], p["h0"], p["c0"], p["params"])
    h, c = p["h0"], p["c0"]
    for t, x in enumerate(p["xs"]):
        h, c_new = _naive_step(cell, x, h, c, p["params"])
        np.testing.assert_allclose(hs[t], h, rtol=1e-12, atol=1e-14)
        if cell == "lstm":
            np.testing.assert_allclose(cs[t], c_new, rtol=1e-12, atol=1e-14)
            c = c_new


@pytest.mark.parametrize("cell", CELLS)
def test_step_functions_agree_with_the_sequence(cell):
    p = _random_problem(cell, n_steps=5)
    hs, cs, _ = _forward(cell, p["xs"], p["h0"], p["c0"], p["params"])
    h, c = p["h0"], p["c0"]
    for t, x in enumerate(p["xs"]):
        if cell == "lstm":
            h, c = rc.lstm_step(x, h, c, **p["params"])
            np.testing.assert_allclose(c, cs[t], rtol=1e-13)
        else:
            h = getattr(rc, f"{cell}_step")(x, h, **p["params"])
        np.testing.assert_allclose(h, hs[t], rtol=1e-13)


def test_gru_update_gate_near_one_keeps_the_old_state():
    """PyTorch's convention h' = (1 - z) n + z h (ERRATA 15): z -> 1 copies h, z -> 0 takes n."""
    p = _random_problem("gru")
    params = {k: v.copy() for k, v in p["params"].items()}
    n_hidden = p["h0"].shape[1]
    x = p["xs"][0]
    params["bias_ih"][n_hidden:2 * n_hidden] = 40.0
    np.testing.assert_allclose(rc.gru_step(x, p["h0"], **params), p["h0"], atol=1e-15)
    params["bias_ih"][n_hidden:2 * n_hidden] = -40.0
    _, _, trace = _forward("gru", p["xs"][:1], p["h0"], None, params)
    np.testing.assert_allclose(rc.gru_step(x, p["h0"], **params), trace.acts["n"][0], atol=1e-15)


def test_sigmoid_is_stable_and_exact():
    a = np.array([-1000.0, -30.0, 0.0, 2.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is the right answer
        s = rc.sigmoid(a)
    np.testing.assert_allclose(s, [0.0, 1 / (1 + np.exp(30.0)), 0.5, 1 / (1 + np.exp(-2.0)), 1.0], rtol=1e-14, atol=0)


# ----------------------------------------------------------------------------- backward: finite differences

# every cell's inputs and parameters, and the LSTM's initial cell state (only it has one)
GRADIENT_CASES = [(cell, wrt) for cell in CELLS for wrt in ["xs", "h0", *PARAM_NAMES]] + [("lstm", "c0")]


@pytest.mark.parametrize("cell, wrt", GRADIENT_CASES)
def test_bptt_matches_finite_differences(cell, wrt):
    p = _random_problem(cell)
    _, _, trace = _forward(cell, p["xs"], p["h0"], p["c0"], p["params"])
    grads = _backward(cell, p["dhs"], trace, p["dc_last"])
    if wrt in PARAM_NAMES:
        array, analytic = p["params"][wrt], getattr(grads, "d" + wrt)
    else:
        array, analytic = p[wrt], {"xs": grads.dxs, "h0": grads.dh0, "c0": grads.dc0}[wrt]
    assert_gradients_match(analytic, lambda: _loss(cell, p), array, name=f"{cell}.{wrt}")


@pytest.mark.parametrize("cell", CELLS)
def test_dh_total_is_the_gradient_of_every_state(cell):
    """dh_total[t] = dL/dh_t (and dc_total[t] = dL/dc_t): perturbing the state after step t and running
    the rest of the sequence from it must agree."""
    p = _random_problem(cell, n_steps=5)
    _, _, trace = _forward(cell, p["xs"], p["h0"], p["c0"], p["params"])
    grads = _backward(cell, p["dhs"], trace, p["dc_last"])
    t = 2
    h_t = trace.hs[t].copy()
    c_t = trace.cs[t].copy() if cell == "lstm" else None

    def rest_loss(h, c):
        hs, cs, _ = _forward(cell, p["xs"][t + 1:], h, c, p["params"])
        loss = np.sum(p["dhs"][t] * h) + np.sum(p["dhs"][t + 1:] * hs)
        return loss + np.sum(p["dc_last"] * cs[-1]) if cell == "lstm" else loss

    assert_gradients_match(grads.dh_total[t], lambda: rest_loss(h_t, c_t), h_t, name=f"{cell}.h_{t}")
    if cell == "lstm":  # c_t also reaches the loss through h_t = o_t tanh(c_t)
        o_t = trace.acts["o"][t]
        assert_gradients_match(grads.dc_total[t], lambda: rest_loss(o_t * np.tanh(c_t), c_t), c_t, name="lstm.c_2")


# ----------------------------------------------------------------------------- closed forms of the paths

def test_lstm_cell_path_is_the_product_of_forget_gates():
    """With W_hh = 0 the only way from c_0 to c_T is c_t = f_t c_{t-1} + ..., so dc_T/dc_0 = prod f_t (ERRATA 14)."""
    p = _random_problem("lstm", n_steps=30, n_hidden=4, scale=1.0)
    params = dict(p["params"], weight_hh=np.zeros_like(p["params"]["weight_hh"]))
    _, _, trace = rc.lstm_forward(p["xs"], p["h0"], p["c0"], **params)
    grads = rc.lstm_backward(np.zeros_like(trace.hs), trace, dc_last=p["dc_last"])
    forget = trace.acts["f"]
    assert forget.std() > 0.05  # the gates really vary, so this is not a constant's power
    np.testing.assert_allclose(grads.dc0, np.prod(forget, axis=0) * p["dc_last"], rtol=1e-12)


def test_lstm_constant_forget_gate_gives_the_power():
    n_steps, n_hidden = 50, 3
    p = _random_problem("lstm", n_steps=n_steps, n_hidden=n_hidden)
    params = {k: np.zeros_like(v) for k, v in p["params"].items()}
    params["bias_ih"][n_hidden:2 * n_hidden] = np.log(0.9 / 0.1)  # sigmoid(logit 0.9) = 0.9
    _, _, trace = rc.lstm_forward(p["xs"], p["h0"], p["c0"], **params)
    grads = rc.lstm_backward(np.zeros_like(trace.hs), trace, dc_last=np.ones((2, n_hidden)))
    np.testing.assert_allclose(grads.dc0, 0.9**50, rtol=1e-12)
    assert round(0.9**50, 5) == 0.00515


def test_gru_direct_path_is_the_product_of_update_gates():
    p = _random_problem("gru", n_steps=20, n_hidden=4, scale=1.0)
    params = dict(p["params"], weight_hh=np.zeros_like(p["params"]["weight_hh"]))
    _, trace = rc.gru_forward(p["xs"], p["h0"], **params)
    dhs = np.zeros_like(trace.hs)
    dhs[-1] = p["dc_last"]
    grads = rc.gru_backward(dhs, trace)
    np.testing.assert_allclose(grads.dh0, np.prod(trace.acts["z"], axis=0) * p["dc_last"], rtol=1e-12)


def test_linear_rnn_gradient_is_a_matrix_power():
    """At x = 0, h0 = 0 and zero biases every state is 0, tanh' = 1, and dL/dh_0 = u W_hh^T."""
    rng = np.random.default_rng(1)
    n_steps, n_hidden = 25, 6
    params = {name: np.zeros(shape) for name, shape in rc.param_shapes("rnn", 2, n_hidden).items()}
    params["weight_hh"] = 1.3 * rng.standard_normal((n_hidden, n_hidden)) / np.sqrt(n_hidden)
    params["weight_ih"] = rng.standard_normal((n_hidden, 2))
    u = rng.standard_normal((1, n_hidden))
    _, trace = rc.rnn_forward(np.zeros((n_steps, 1, 2)), np.zeros((1, n_hidden)), **params)
    dhs = np.zeros_like(trace.hs)
    dhs[-1] = u
    grads = rc.rnn_backward(dhs, trace)
    np.testing.assert_allclose(grads.dh0, u @ np.linalg.matrix_power(params["weight_hh"], n_steps), rtol=1e-10)
    np.testing.assert_allclose(grads.dxs[0], u @ np.linalg.matrix_power(params["weight_hh"], n_steps - 1)
                               @ params["weight_ih"], rtol=1e-10)


# ----------------------------------------------------------------------------- shapes

def test_param_count_formula_matches_pytorch():
    """G*H*(I + H + 2); nn.LSTM(128, 256) has 395,264 parameters and nn.GRU(128, 256) is 3/4 of it."""
    sizes = {cell: sum(np.prod(s) for s in rc.param_shapes(cell, 128, 256).values()) for cell in CELLS}
    assert sizes == {"rnn": 98816, "lstm": 395264, "gru": 296448}
    assert sizes["gru"] / sizes["lstm"] == 0.75


@settings(max_examples=25, deadline=None)
@given(cell=st.sampled_from(CELLS), n_steps=st.integers(1, 5), n_batch=st.integers(1, 3),
       n_input=st.integers(1, 4), n_hidden=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_shapes_follow_the_layout(cell, n_steps, n_batch, n_input, n_hidden, seed):
    p = _random_problem(cell, n_steps, n_batch, n_input, n_hidden, seed=seed)
    shapes = rc.param_shapes(cell, n_input, n_hidden)
    assert sum(int(np.prod(s)) for s in shapes.values()) == rc.N_GATES[cell] * n_hidden * (n_input + n_hidden + 2)
    hs, cs, trace = _forward(cell, p["xs"], p["h0"], p["c0"], p["params"])
    assert hs.shape == (n_steps, n_batch, n_hidden)
    grads = _backward(cell, p["dhs"], trace, p["dc_last"])
    for name in PARAM_NAMES:
        assert getattr(grads, "d" + name).shape == shapes[name]
    assert grads.dxs.shape == p["xs"].shape and grads.dh0.shape == p["h0"].shape
    assert grads.dh_total.shape == hs.shape
    if cell == "lstm":
        assert cs.shape == hs.shape and grads.dc0.shape == p["c0"].shape and grads.dc_total.shape == hs.shape
        assert all(trace.acts[k].shape == hs.shape for k in ("i", "f", "g", "o", "tanh_c"))
    if cell == "gru":
        assert all(trace.acts[k].shape == hs.shape for k in ("r", "z", "n", "gh_n"))


def test_wrong_shapes_are_rejected():
    p = _random_problem("lstm")
    with pytest.raises(ValueError, match="want"):
        rc.gru_forward(p["xs"], p["h0"], **p["params"])  # LSTM weights have 4H rows, the GRU needs 3H
