import math

import numpy as np
import pytest
from gradcheck import assert_gradients_match
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import dead_relu as demo
from mlquiz.errors import DemoInputError

NAME = "dead-relu"


def _tiny_net(seed, n_samples=6, n_in=3, n_units=4, dead_unit=False):
    rng = np.random.default_rng(seed)
    params = {
        "W": rng.standard_normal((n_in, n_units)),
        "b": rng.uniform(-0.5, 0.5, n_units),
        "v": rng.standard_normal(n_units),
        "c": np.array(0.3),
    }
    X = rng.uniform(0.0, 1.0, (n_samples, n_in))
    if dead_unit:
        params["b"][0] = -10.0  # z <= -10 + |W| < 0 for every input in [0, 1]^n_in
    t = rng.standard_normal(n_samples)
    return params, X, t


@pytest.mark.parametrize("slope", [0.0, 0.01, 0.2])
@pytest.mark.parametrize("dead_unit", [False, True])
def test_backward_matches_finite_differences(slope, dead_unit):
    params, X, t = _tiny_net(seed=4, dead_unit=dead_unit)
    z = X @ params["W"] + params["b"]
    assert np.min(np.abs(z)) > 1e-3  # far from the kink compared with the 1e-6 step
    _, grads = demo.loss_and_grads(params, X, t, slope)
    for name in ("W", "b", "v", "c"):
        assert_gradients_match(grads[name], lambda: demo.loss_and_grads(params, X, t, slope)[0], params[name], name=name)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 8), st.integers(1, 5), st.integers(1, 6), st.floats(-3, 3), st.integers(0, 10_000))
def test_dead_units_against_a_loop(n_samples, n_in, n_units, shift, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_in))
    W = rng.standard_normal((n_in, n_units))
    b = rng.standard_normal(n_units) - shift
    dead = demo.dead_units(X, W, b)
    assert dead.shape == (n_units,)
    for j in range(n_units):
        never_positive = all(sum(X[i, k] * W[k, j] for k in range(n_in)) + b[j] <= 0 for i in range(n_samples))
        assert dead[j] == never_positive


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 8), st.integers(1, 5), st.integers(1, 6), st.floats(0.0, 0.5))
def test_gradient_shapes(n_samples, n_in, n_units, slope):
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal((n_in, n_units)), "b": np.zeros(n_units), "v": np.ones(n_units),
              "c": np.zeros(())}
    _, grads = demo.loss_and_grads(params, rng.standard_normal((n_samples, n_in)), np.zeros(n_samples), slope)
    for name, value in params.items():
        assert np.shape(grads[name]) == value.shape, name


def test_a_dead_unit_gets_exactly_zero_gradient_under_relu_and_some_under_leaky():
    params, X, t = _tiny_net(seed=4, dead_unit=True)
    _, relu = demo.loss_and_grads(params, X, t, 0.0)
    _, leaky = demo.loss_and_grads(params, X, t, 0.01)
    assert np.all(relu["W"][:, 0] == 0) and relu["b"][0] == 0 and relu["v"][0] == 0
    assert np.all(leaky["W"][:, 0] != 0) and leaky["b"][0] != 0 and leaky["v"][0] != 0
    assert np.all(params["W"][:, 0] != 0)  # the dead unit's weights are not zero


@pytest.mark.parametrize("cause", ["big_step", "shift"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dead_units_are_frozen_not_zero(cause, seed):
    """ERRATA 17: a dead ReLU's parameters stop updating; they are not 0. Leaky ReLU's still move."""
    result = demo.compute(cause=cause, seed=seed)
    assert result.n_dead_after > result.n_dead_before
    assert result.dead_grad_norm_relu_max == 0.0
    assert result.dead_param_change_relu_max == 0.0
    assert result.n_revived_relu == 0
    assert result.n_dead_after_further_step >= result.n_dead_after
    assert result.dead_weight_norm_min > 0
    assert result.dead_bias_mean < 0
    assert result.dead_grad_norm_leaky_min > 0
    assert result.dead_param_change_leaky_min > 0
    assert result.n_zero_grad_units_leaky == 0
    assert result.live_grad_norm_relu_mean > 0


def test_defaults():
    result = demo.compute()
    assert (result.n_dead_before, result.n_dead_after) == (3, 42)
    assert result.dead_fraction_after == 0.42
    shifted = demo.compute(cause="shift")
    assert shifted.n_dead_after == 44
    assert shifted.dead_bias_mean == -1.0


def test_no_units_die_without_a_push():
    assert demo.compute(cause="shift", shift=0.0).n_dead_after == demo.compute().n_dead_before
    assert demo.compute(cause="big_step", lr=0.0).n_dead_after == demo.compute().n_dead_before


@settings(max_examples=15, deadline=None)
@given(st.floats(0.0, 5.0), st.floats(0.0, 5.0))
def test_a_larger_shift_never_revives_a_unit(a, b):
    small = demo.compute(cause="shift", shift=min(a, b), n_units=50, n_samples=200)
    large = demo.compute(cause="shift", shift=max(a, b), n_units=50, n_samples=200)
    assert large.n_dead_after >= small.n_dead_after


def test_dead_at_initialisation_against_the_exact_probability():
    """Inputs fill [0, 1]^n_in, so with many samples a unit is dead iff all its weights are <= 0:
    probability 2**-n_in for zero-mean normal weights. Monte Carlo over units, 5 standard errors.
    (With 1000 samples in 2-d, a live unit is missed only if its positive region has area < ~1/500:
    about 3e-4 of units, far inside the tolerance of 0.05.)"""
    n_units, n_in = 2000, 2
    result = demo.compute(n_units=n_units, n_in=n_in, n_samples=1000)
    p = 2.0**-n_in
    assert abs(result.dead_fraction_before - p) < 5 * math.sqrt(p * (1 - p) / n_units)


def test_dead_after_a_shift_against_the_exact_probability():
    """One input x in [0, 1]: after the shift z = x w - s, dead iff max(w, 0) <= s, i.e. w <= s with
    w ~ N(0, 2) (He init, fan-in 1): probability Phi(s / sqrt 2). (The largest of 1000 samples is
    1 - O(1e-3), which moves the probability by ~2e-4.)"""
    n_units, shift = 2000, 1.0
    result = demo.compute(cause="shift", shift=shift, n_units=n_units, n_in=1, n_samples=1000)
    p = 0.5 * (1 + math.erf(shift / math.sqrt(2) / math.sqrt(2)))
    assert abs(result.dead_fraction_after - p) < 5 * math.sqrt(p * (1 - p) / n_units)


def test_parameters_are_validated():
    with pytest.raises(DemoInputError, match="too large"):
        registry.run_json(NAME, {"n_samples": 100000, "n_units": 2000, "n_in": 1000})
    with pytest.raises(DemoInputError, match="too large"):
        registry.run_json(NAME, {"n_samples": 1000, "n_units": 1000, "n_in": 100})
    with pytest.raises(DemoInputError, match="out of range"):
        registry.run_json(NAME, {"n_units": 0})
    with pytest.raises(DemoInputError):
        registry.run_json(NAME, {"lr": "nan"})


def test_json_keys_through_the_registry():
    data = registry.run_json(NAME, {})
    assert registry.lookup(data, "dead_grad_norm_relu_max") == 0.0
    assert registry.lookup(data, "n_dead_after") == 42


def test_no_dead_units_gives_nulls():
    data = registry.run_json(NAME, {"cause": "shift", "shift": 0.0, "n_units": 1})
    assert data["n_dead_after"] == 0
    assert data["dead_grad_norm_relu_max"] is None and data["dead_weight_norm_min"] is None
