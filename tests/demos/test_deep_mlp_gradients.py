import math

import numpy as np
import pytest
from gradcheck import assert_gradients_match
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import deep_mlp_gradients as demo
from mlquiz.errors import DemoInputError

NAME = "deep-mlp-gradients"
ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu"]


def _tiny(activation, batchnorm, residual, seed=0, depth=3, width=4, n_batch=5):
    rng = np.random.default_rng(seed)
    params = demo._init_params(rng, depth, width, "normal", 0.7, batchnorm)
    if batchnorm:  # move gamma, beta off 1 and 0 so their gradients are exercised in general position
        params["gamma"] = [rng.uniform(0.5, 1.5, width) for _ in range(depth)]
        params["beta"] = [rng.uniform(-0.5, 0.5, width) for _ in range(depth)]
    else:
        params["b"] = [rng.uniform(-0.5, 0.5, width) for _ in range(depth)]
    params["b_out"] = rng.uniform(-0.5, 0.5, 1)
    X = rng.standard_normal((n_batch, width))
    # Targets near the prediction keep the loss small, and with it the rounding noise of finite differences.
    _, cache = demo._forward(params, X, np.zeros((n_batch, 1)), activation, batchnorm, residual)
    y = cache["diff"] + 0.01 * rng.standard_normal((n_batch, 1))
    return params, X, y


KINK_MARGIN = 1e-3  # |pre-activation| above this: a 1e-6 finite-difference step is far from ReLU's kink
# Finite differences carry ~1e-13 of rounding noise; an entry below this floor would be measured as noise.
# Exact zeros (dead ReLU units) are fine: both sides are then exactly 0.
GRAD_FLOOR = 1e-6


def _param_arrays(params, batchnorm):
    names = ["W", "gamma", "beta"] if batchnorm else ["W", "b"]
    arrays = [(f"{name}[{l}]", name, l) for name in names for l in range(len(params[name]))]
    return arrays + [("W_out", "W_out", None), ("b_out", "b_out", None)]


def _well_conditioned_case(activation, batchnorm, residual):
    """The first seed whose tiny net has no pre-activation near a kink and no gradient entry in the rounding
    noise of finite differences. The choice looks only at the analytic gradients' size, never at their
    agreement with finite differences, so it cannot hide a wrong backward pass."""
    for seed in range(200):
        params, X, y = _tiny(activation, batchnorm, residual, seed=seed)
        _, cache = demo._forward(params, X, y, activation, batchnorm, residual)
        grads = demo._backward(params, cache, activation, batchnorm, residual)
        smallest_u = min(np.min(np.abs(layer["u"])) for layer in cache["layers"])
        entries = [grads[name] if l is None else grads[name][l] for _, name, l in _param_arrays(params, batchnorm)]
        magnitudes = np.concatenate([np.abs(g).ravel() for g in entries + [grads["X"]]])
        nonzero = magnitudes[magnitudes > 0]
        if smallest_u > KINK_MARGIN and nonzero.size and nonzero.min() > GRAD_FLOOR:
            return params, X, y, grads
    pytest.fail(f"no seed gives a well-conditioned tiny net for {activation}, {batchnorm=}, {residual=}")


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("batchnorm", [False, True])
@pytest.mark.parametrize("residual", [False, True])
def test_backward_matches_finite_differences(activation, batchnorm, residual):
    params, X, y, grads = _well_conditioned_case(activation, batchnorm, residual)

    def loss():
        return demo._forward(params, X, y, activation, batchnorm, residual)[0]

    for label, name, l in _param_arrays(params, batchnorm):
        value = params[name] if l is None else params[name][l]
        analytic = grads[name] if l is None else grads[name][l]
        assert_gradients_match(analytic, loss, value, name=label)
    assert_gradients_match(grads["X"], loss, X, name="X")


@settings(max_examples=25, deadline=None)
@given(
    depth=st.integers(1, 4),
    width=st.integers(1, 6),
    n_batch=st.integers(2, 6),
    activation=st.sampled_from(ACTIVATIONS),
    batchnorm=st.booleans(),
    residual=st.booleans(),
)
def test_gradient_shapes_and_parameter_count(depth, width, n_batch, activation, batchnorm, residual):
    rng = np.random.default_rng(0)
    params = demo._init_params(rng, depth, width, "he", 1.0, batchnorm)
    X = rng.standard_normal((n_batch, width))
    y = rng.standard_normal((n_batch, 1))
    _, cache = demo._forward(params, X, y, activation, batchnorm, residual)
    grads = demo._backward(params, cache, activation, batchnorm, residual)
    total = 0
    for name, value in params.items():
        arrays = value if isinstance(value, list) else [value]
        grad_arrays = grads[name] if isinstance(value, list) else [grads[name]]
        assert len(arrays) == len(grad_arrays)
        for p, g in zip(arrays, grad_arrays):
            assert g.shape == p.shape, name
            total += p.size
    assert total == demo.n_params(depth, width, batchnorm)
    assert grads["X"].shape == X.shape
    assert len(grads["h"]) == depth + 1
    result = demo.compute(depth=depth, width=width, activation=activation, init="he", batchnorm=batchnorm,
                          residual=residual, n_batch=n_batch)
    assert result.weight_grad_norms.shape == (depth,)
    assert result.act_grad_norms.shape == (depth + 1,)
    assert result.act_stds.shape == (depth + 1,)


@settings(max_examples=20, deadline=None)
@given(n_batch=st.integers(2, 40), width=st.integers(1, 8), scale=st.floats(0.1, 10.0))
def test_batchnorm_standardises_every_unit(n_batch, width, scale):
    rng = np.random.default_rng(1)
    params = demo._init_params(rng, 2, width, "normal", scale, True)
    X = rng.standard_normal((n_batch, width)) * 3 + 1
    _, cache = demo._forward(params, X, np.zeros((n_batch, 1)), "relu", True, False)
    for layer in cache["layers"]:
        z_hat = layer["z_hat"]
        np.testing.assert_allclose(z_hat.mean(axis=0), 0.0, atol=1e-9)
        var = z_hat.var(axis=0)
        # var = s^2 / (s^2 + eps): 1 unless the column is (almost) constant
        assert np.all(var <= 1 + 1e-9)


@pytest.mark.parametrize("init, expected", [("xavier", 1 / 16), ("he", math.sqrt(2 / 256)), ("normal", 0.3)])
def test_initial_weight_scale(init, expected):
    assert demo.init_std(init, 256, 0.3) == pytest.approx(expected)
    params = demo._init_params(np.random.default_rng(0), 2, 256, init, 0.3, False)
    W = np.concatenate([w.ravel() for w in params["W"]])
    # The sample standard deviation of n normals has standard error sigma / sqrt(2 n).
    assert abs(W.std() - expected) < 5 * expected / math.sqrt(2 * W.size)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sigmoid_xavier_vanishes_by_orders_of_magnitude(seed):
    result = demo.compute(seed=seed)  # defaults: 20 sigmoid layers, width 64, Xavier
    assert result.regime == "vanishing"
    assert result.log10_act_grad_ratio < -10
    assert result.weight_grad_ratio < 1e-9
    # Each layer scales the gradient by about E|sigma'| * gain, at most 0.25 * ||W||: between 0.1 and 0.3.
    assert 0.1 < result.per_layer_factor < 0.3
    # The norms shrink at every layer going down.
    assert np.all(np.diff(result.act_grad_norms) > 0)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_relu_he_stays_healthy(seed):
    result = demo.compute(activation="relu", init="he", seed=seed)
    assert result.regime == "stable"
    assert 0.1 < result.act_grad_ratio < 10
    assert 0.1 < result.weight_grad_ratio < 10


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_large_normal_scale_explodes_at_the_predicted_rate(seed):
    scale, width, depth = 0.5, 64, 20
    result = demo.compute(activation="relu", init="normal", init_scale=scale, width=width, depth=depth, seed=seed)
    assert result.regime == "exploding"
    assert result.act_grad_ratio > 1e6
    # A ReLU layer keeps half the units; each row of W^T has norm ~ scale * sqrt(width):
    # the gradient's norm grows by scale * sqrt(width / 2) per layer (wide-network limit).
    assert result.per_layer_factor == pytest.approx(scale * math.sqrt(width / 2), rel=0.1)
    # ReLU is positively homogeneous: activations grow forward as gradients grow backward, so dW_l = h^T dz
    # stays within an order of magnitude across layers, while every dW is huge.
    assert 0.05 < result.weight_grad_ratio < 20
    assert result.last_weight_grad_norm > 1e6 * demo.compute(activation="relu", init="he", seed=seed).last_weight_grad_norm


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_residual_connections_rescue_sigmoid(seed):
    plain = demo.compute(seed=seed)
    residual = demo.compute(residual=True, seed=seed)
    assert plain.act_grad_ratio < 1e-10
    assert residual.regime == "stable"
    # The identity path alone carries the gradient: the input gradient is at least as large as the top's.
    assert residual.act_grad_ratio > 0.5


def test_residual_rescues_a_100_layer_sigmoid_net():
    assert demo.compute(depth=100, residual=True).regime == "stable"
    assert demo.compute(depth=100).log10_act_grad_ratio < -50


def test_batchnorm_tames_a_large_weight_scale():
    plain = demo.compute(activation="relu", init="normal", init_scale=0.5)
    bn = demo.compute(activation="relu", init="normal", init_scale=0.5, batchnorm=True)
    assert plain.act_grad_ratio > 1e6
    assert bn.act_grad_ratio < 1e3
    assert bn.act_stds[-1] < 10 < plain.act_stds[-1]


def test_ratios_follow_from_the_norms():
    result = demo.compute(activation="tanh")
    assert result.act_grad_ratio == pytest.approx(result.act_grad_norms[0] / result.act_grad_norms[-1])
    assert result.weight_grad_ratio == pytest.approx(result.first_weight_grad_norm / result.last_weight_grad_norm)
    assert result.per_layer_factor ** result.depth == pytest.approx(result.act_grad_ratio)


def test_invalid_parameters_are_rejected():
    with pytest.raises(DemoInputError, match="n-batch"):
        demo.compute(batchnorm=True, n_batch=1)
    with pytest.raises(DemoInputError, match="too large"):
        registry.run_json(NAME, {"depth": 100, "width": 128, "n_batch": 1024})
    with pytest.raises(DemoInputError, match="overflowed"):
        registry.run_json(NAME, {"depth": 200, "activation": "relu", "init": "normal", "init_scale": 100})
    with pytest.raises(DemoInputError, match="out of range"):
        registry.run_json(NAME, {"depth": 10**9})
    with pytest.raises(DemoInputError):
        registry.run_json(NAME, {"init_scale": -1})


def test_json_keys_through_the_registry():
    data = registry.run_json(NAME, {})
    assert registry.lookup(data, "regime") == "vanishing"
    assert len(registry.lookup(data, "act_grad_norms")) == 21
    assert registry.lookup(data, "act_grad_norms.0") == pytest.approx(data["act_grad_ratio"] * data["act_grad_norms"][-1])
