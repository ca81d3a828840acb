"""gru-step: the same h as the shared cell ``_rnn_cells.gru_step`` when the given pre-activations come
from real weights and a real h_prev (r multiplying W_hn h + b_hn, bias included), dh/dh_prev = z and
dh/dh_n against finite differences and ``gru_backward``, the convention PyTorch does not use, the
hand-worked defaults and the input checks."""

import numpy as np
import pytest
from gradcheck import assert_gradients_match
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import _rnn_cells as rc
from mlquiz.demos import gru_step as demo
from mlquiz.errors import DemoInputError

NAME = "gru-step"


def _given_from_weights(x, h_prev, params, n_hidden):
    """The demo's inputs from PyTorch-layout weights: r and z see both sides, n's two sides stay apart."""
    gi = params["weight_ih"] @ x + params["bias_ih"]
    gh = params["weight_hh"] @ h_prev + params["bias_hh"]
    block = lambda a, k: tuple(float(v) for v in a[k * n_hidden:(k + 1) * n_hidden])  # noqa: E731
    return dict(r=block(gi + gh, 0), z=block(gi + gh, 1), x_n=block(gi, 2), h_n=block(gh, 2),
                h_prev=tuple(float(v) for v in h_prev))


@settings(max_examples=50, deadline=None)
@given(n_input=st.integers(1, 4), n_hidden=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_reproduces_the_shared_cell(n_input, n_hidden, seed):
    rng = np.random.default_rng(seed)
    params = {k: rng.standard_normal(s) for k, s in rc.param_shapes("gru", n_input, n_hidden).items()}
    x, h_prev = rng.standard_normal(n_input), rng.standard_normal(n_hidden)
    h = rc.gru_step(x[None], h_prev[None], **params)[0]
    result = demo.compute(**_given_from_weights(x, h_prev, params, n_hidden))
    np.testing.assert_allclose(result.h, h, rtol=1e-12, atol=1e-14)


def test_reset_gate_scales_the_hidden_bias_too():
    """Only b_hn set: with r = 0 the candidate loses it, with r = 1 it keeps it; b_in is never gated."""
    closed = demo.compute(given="activations", r=(0.0,), z=(0.0,), x_n=(0.0,), h_n=(2.0,), h_prev=(0.0,))
    open_ = demo.compute(given="activations", r=(1.0,), z=(0.0,), x_n=(0.0,), h_n=(2.0,), h_prev=(0.0,))
    input_side = demo.compute(given="activations", r=(0.0,), z=(0.0,), x_n=(2.0,), h_n=(0.0,), h_prev=(0.0,))
    assert closed.h[0] == 0.0
    assert open_.h[0] == pytest.approx(np.tanh(2.0))
    assert input_side.h[0] == pytest.approx(np.tanh(2.0))


def _sum_of_h(**fixed):
    def loss(name, values):
        return lambda: float(np.sum(demo.compute(**{**fixed, name: tuple(values)}).h))
    return loss


def test_dh_dh_prev_and_dh_dh_n_match_finite_differences():
    fixed = dict(r=(0.3, -1.0, 2.0), z=(0.5, -0.5, 1.5), x_n=(0.2, 1.0, -0.7), h_n=(1.0, -2.0, 0.4),
                 h_prev=(0.5, -1.0, 0.8))
    result = demo.compute(**fixed)
    loss = _sum_of_h(**fixed)
    h_prev, h_n = np.array(fixed["h_prev"]), np.array(fixed["h_n"])
    assert_gradients_match(result.dh_dh_prev, loss("h_prev", h_prev), h_prev, name="h_prev")
    assert_gradients_match(result.dh_dh_n, loss("h_n", h_n), h_n, name="h_n")
    np.testing.assert_array_equal(result.dh_dh_prev, result.z_gate)


@settings(max_examples=30, deadline=None)
@given(n_hidden=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_dh_dh_prev_is_gru_backwards_direct_path(n_hidden, seed):
    """W_hh = 0 leaves only the direct path h = ... + z h_prev: gru_backward's dh0 for loss sum(h) is z."""
    rng = np.random.default_rng(seed)
    params = {k: rng.standard_normal(s) for k, s in rc.param_shapes("gru", 2, n_hidden).items()}
    params["weight_hh"] = np.zeros_like(params["weight_hh"])
    x, h_prev = rng.standard_normal(2), rng.standard_normal(n_hidden)
    _, trace = rc.gru_forward(x[None, None], h_prev[None], **params)
    grads = rc.gru_backward(np.ones((1, 1, n_hidden)), trace)
    result = demo.compute(**_given_from_weights(x, h_prev, params, n_hidden))
    np.testing.assert_allclose(result.dh_dh_prev, grads.dh0[0], rtol=1e-12, atol=1e-15)


def test_swapped_convention_differs_unless_z_is_one_half():
    result = demo.compute()
    assert result.z_gate[0] == 0.5 and result.h_swapped_z[0] == pytest.approx(result.h[0])
    assert abs(result.h_swapped_z[1] - result.h[1]) > 0.05  # z = 0.269: the two conventions disagree
    h_prev = np.array([1.0, -0.5])  # the default
    np.testing.assert_allclose(result.h_swapped_z, result.z_gate * result.n + (1 - result.z_gate) * h_prev, rtol=1e-12)


def test_defaults_by_hand():
    out = registry.run_json(NAME, {})
    s2, sm1 = 1 / (1 + np.exp(-2.0)), 1 / (1 + np.exp(1.0))
    assert out["r_gate"] == pytest.approx([0.5, s2])
    assert out["z_gate"] == pytest.approx([0.5, sm1])
    n = [np.tanh(1 + 0.5 * 2), np.tanh(0.5 + s2 * -1)]
    assert out["n"] == pytest.approx(n)
    assert out["h"] == pytest.approx([0.5 * n[0] + 0.5 * 1, (1 - sm1) * n[1] + sm1 * -0.5])
    assert [round(v, 4) for v in out["h"]] == [0.982, -0.4001]


@pytest.mark.parametrize("params, message", [
    ({"h_prev": "1"}, "--h-prev has 1 number but --r has 2"),
    ({"h_n": "1,2,3"}, "--h-n has 3 numbers"),
    ({"given": "activations", "r": "0.5, 0.5", "z": "0.5, 1.2"}, "--z 1.2 is not a sigmoid value"),
    ({"given": "activations", "r": "-0.1, 0.5"}, "--r -0.1 is not a sigmoid value"),
])
def test_rejects_bad_inputs(params, message):
    with pytest.raises(DemoInputError, match=message):
        registry.run_json(NAME, params)
