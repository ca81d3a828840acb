"""lstm-step: the same h and c as the shared cell ``_rnn_cells.lstm_step`` when weights produce the
given pre-activations (identity input weights, and random weights with a real h_prev), gate values
as an alternative input, dc/dc_prev and dh/dc_prev against finite differences and against
``lstm_backward``, the hand-worked defaults and the input checks."""

import numpy as np
import pytest
from gradcheck import assert_gradients_match
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import _rnn_cells as rc
from mlquiz.demos import lstm_step as demo
from mlquiz.errors import DemoInputError

NAME = "lstm-step"


def _blocks(a, n_hidden):
    return {name: tuple(float(v) for v in a[k * n_hidden:(k + 1) * n_hidden]) for k, name in enumerate("ifgo")}


@settings(max_examples=40, deadline=None)
@given(n_hidden=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_identity_weights_reproduce_the_shared_cell(n_hidden, seed):
    """x = the pre-activations, W_ih = I, W_hh = 0, biases 0: lstm_step sees exactly the given gates."""
    rng = np.random.default_rng(seed)
    pre = rng.uniform(-4, 4, 4 * n_hidden)
    c_prev, h_prev = rng.uniform(-2, 2, n_hidden), rng.uniform(-1, 1, n_hidden)
    shapes = rc.param_shapes("lstm", 4 * n_hidden, n_hidden)
    h, c = rc.lstm_step(pre[None], h_prev[None], c_prev[None], np.eye(4 * n_hidden), np.zeros(shapes["weight_hh"]),
                        np.zeros(shapes["bias_ih"]), np.zeros(shapes["bias_hh"]))
    result = demo.compute(c_prev=tuple(c_prev), **_blocks(pre, n_hidden))
    np.testing.assert_allclose(result.h, h[0], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(result.c, c[0], rtol=1e-13, atol=1e-15)


@settings(max_examples=40, deadline=None)
@given(n_input=st.integers(1, 4), n_hidden=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_random_weights_and_state_reproduce_the_shared_cell(n_input, n_hidden, seed):
    """With any weights and a real h_prev, the pre-activations W_ih x + b_ih + W_hh h + b_hh are all the
    step needs."""
    rng = np.random.default_rng(seed)
    params = {k: rng.standard_normal(s) for k, s in rc.param_shapes("lstm", n_input, n_hidden).items()}
    x, h_prev, c_prev = rng.standard_normal(n_input), rng.standard_normal(n_hidden), rng.standard_normal(n_hidden)
    pre = params["weight_ih"] @ x + params["bias_ih"] + params["weight_hh"] @ h_prev + params["bias_hh"]
    h, c = rc.lstm_step(x[None], h_prev[None], c_prev[None], **params)
    result = demo.compute(c_prev=tuple(c_prev), **_blocks(pre, n_hidden))
    np.testing.assert_allclose(result.h, h[0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.c, c[0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.c, result.forget_part + result.input_part, rtol=1e-15)


def test_gate_values_give_the_same_step_as_their_preactivations():
    pre = demo.compute()
    values = demo.compute(given="activations", i=tuple(pre.i_gate), f=tuple(pre.f_gate), g=tuple(pre.g_gate),
                          o=tuple(pre.o_gate))
    np.testing.assert_allclose(values.h, pre.h, rtol=1e-15)
    np.testing.assert_allclose(values.c, pre.c, rtol=1e-15)


def _as_function_of_c_prev(c_prev, output):
    def loss():
        return float(np.sum(getattr(demo.compute(c_prev=tuple(c_prev)), output)))
    return loss


def test_dc_dc_prev_and_dh_dc_prev_match_finite_differences():
    """Each unit's c and h depend only on its own c_prev, so d(sum)/dc_prev is the elementwise derivative."""
    c_prev = np.array([2.0, -1.0])
    result = demo.compute(c_prev=tuple(c_prev))
    assert_gradients_match(result.dc_dc_prev, _as_function_of_c_prev(c_prev, "c"), c_prev, name="c_prev (c)")
    assert_gradients_match(result.dh_dc_prev, _as_function_of_c_prev(c_prev, "h"), c_prev, name="c_prev (h)")
    np.testing.assert_array_equal(result.dc_dc_prev, result.f_gate)


@settings(max_examples=30, deadline=None)
@given(n_hidden=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_dh_dc_prev_equals_lstm_backward_with_no_recurrent_weights(n_hidden, seed):
    """One step, loss sum(h), W_hh = 0: lstm_backward's dc0 is the derivative along the cell path alone."""
    rng = np.random.default_rng(seed)
    pre, c_prev = rng.uniform(-3, 3, 4 * n_hidden), rng.uniform(-2, 2, n_hidden)
    shapes = rc.param_shapes("lstm", 4 * n_hidden, n_hidden)
    _, _, trace = rc.lstm_forward(pre[None, None], np.zeros((1, n_hidden)), c_prev[None], np.eye(4 * n_hidden),
                                  np.zeros(shapes["weight_hh"]), np.zeros(shapes["bias_ih"]),
                                  np.zeros(shapes["bias_hh"]))
    grads = rc.lstm_backward(np.ones((1, 1, n_hidden)), trace)
    result = demo.compute(c_prev=tuple(c_prev), **_blocks(pre, n_hidden))
    np.testing.assert_allclose(result.dh_dc_prev, grads.dc0[0], rtol=1e-12, atol=1e-15)


def test_defaults_by_hand():
    out = registry.run_json(NAME, {})
    s1 = 1 / (1 + np.exp(-1.0))  # sigmoid(1) = 0.73106
    assert out["i_gate"] == pytest.approx([0.5, s1])
    assert out["f_gate"] == pytest.approx([s1, 0.5])
    assert out["g_gate"] == pytest.approx([np.tanh(0.5), np.tanh(-1.0)])
    c = [s1 * 2 + 0.5 * np.tanh(0.5), 0.5 * -1 + s1 * np.tanh(-1.0)]
    assert out["c"] == pytest.approx(c)
    assert out["h"] == pytest.approx([0.5 * np.tanh(c[0]), 1 / (1 + np.exp(-2.0)) * np.tanh(c[1])])
    assert [round(v, 4) for v in out["c"]] == [1.6932, -1.0568]
    assert registry.lookup(registry.run(NAME, {}), "h.1") == pytest.approx(out["h"][1])


@pytest.mark.parametrize("params, message", [
    ({"f": "1"}, "--f has 1 number but --i has 2 numbers; give every gate and --c-prev one number per hidden unit"),
    ({"c_prev": "1,2,3"}, "--c-prev has 3 numbers"),
    ({"given": "activations", "f": "1.5, 0.5"}, "--f 1.5 is not a sigmoid value"),
    ({"given": "activations", "i": "0.5,0.5", "f": "0.5,0.5", "o": "0.5,0.5", "g": "-2, 0"}, "--g -2 is not a tanh"),
    ({"i": "0, 100"}, "out of range"),
    ({"i": "0, x"}, "not valid"),
])
def test_rejects_bad_inputs(params, message):
    with pytest.raises(DemoInputError, match=message):
        registry.run_json(NAME, params)
