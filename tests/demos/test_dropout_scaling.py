"""dropout-scaling: Monte Carlo means of inverted dropout within a few standard errors (derived
from the number of masks) of the exact expectation, eval mode as the identity, the older variant's
test-time factor, and the quoted scales."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import dropout_scaling
from mlquiz.errors import DemoInputError

Z_TOLERANCE = 5  # standard errors: a correct simulation lands outside with probability ~6e-7


@settings(max_examples=25, deadline=None)
# p in [0.1, 0.9] with 200+ masks: at least 20 expected drops and keeps per unit, where the normal
# approximation behind 5 standard errors holds
@given(p=st.floats(0.1, 0.9), n_units=st.integers(1, 50), trials=st.integers(200, 2000),
       seed=st.integers(0, 2**32 - 1))
def test_inverted_dropout_keeps_the_expectation(p, n_units, trials, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, n_units)
    keep = rng.random((trials, n_units)) >= p
    y = dropout_scaling.dropout_forward(x, p, train=True, keep=keep)
    assert y.shape == (trials, n_units)
    # each y_i = x_i * Bernoulli(1 - p) / (1 - p): mean x_i, variance x_i**2 * p / (1 - p)
    se_units = np.abs(x) * math.sqrt(p / (1 - p) / trials)
    assert np.all(np.abs(y.mean(axis=0) - x) <= Z_TOLERANCE * se_units + 1e-12)
    # second moment: y_i**2 = x_i**2 * B / (1 - p)**2 has mean x_i**2 / (1 - p), variance x_i**4 p / (1 - p)**3
    ratio = np.mean(y**2) / np.mean(x**2)
    se_ratio = math.sqrt(np.sum(x**4) * p / (1 - p) ** 3 / trials) / np.sum(x**2)
    assert abs(ratio - 1 / (1 - p)) <= Z_TOLERANCE * se_ratio


@settings(max_examples=15, deadline=None)
@given(p=st.floats(0.0, 0.99), n_units=st.integers(1, 300), trials=st.integers(50, 1000),
       seed=st.integers(0, 2**32 - 1))
def test_demo_monte_carlo_within_standard_errors(p, n_units, trials, seed):
    # at least ~20 expected drops and keeps, so the normal approximation behind 5 standard errors
    # holds (with 0.01 expected drops, a single drop would be a 10-sigma event); p = 0 is tested below
    assume(n_units * trials * min(p, 1 - p) >= 20)
    r = dropout_scaling.compute(p=p, n_units=n_units, trials=trials, seed=seed)
    assert abs(r.mc_mean_inverted - r.input_mean) <= Z_TOLERANCE * r.mc_standard_error + 1e-12
    # each unit is zeroed with probability p: binomial standard error over all draws
    se_zeroed = math.sqrt(p * (1 - p) / (n_units * trials))
    assert abs(r.fraction_zeroed - p) <= Z_TOLERANCE * se_zeroed + 1e-15
    # the older variant trains with expectation (1 - p) x and tests with exactly (1 - p) x
    assert r.classic_test_mean == pytest.approx((1 - p) * r.input_mean, rel=1e-12)
    assert abs(r.classic_train_mc_mean - r.classic_test_mean) <= Z_TOLERANCE * (1 - p) * r.mc_standard_error + 1e-12
    assert r.eval_max_abs_diff == 0.0
    assert r.keep_prob * r.scale == pytest.approx(1.0, rel=1e-15)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_reported_standard_error_matches_the_spread_of_mask_means(p):
    """The demo's x ~ U(0, 2) has E[x**2] = 4/3, so its standard error should be close to
    sqrt(4/3 p / (1 - p) / (n trials)); the spread of independent mask means must agree too."""
    n_units, trials = 2000, 2000
    r = dropout_scaling.compute(p=p, n_units=n_units, trials=trials, seed=1)
    expected = math.sqrt(4 / 3 * p / (1 - p) / n_units / trials)
    # drawing x adds relative noise sd(x**2) / (2 E[x**2] sqrt(n)) = 0.45 / sqrt(n)
    assert r.mc_standard_error == pytest.approx(expected, rel=Z_TOLERANCE * 0.45 / math.sqrt(n_units))
    # our own masks over a fresh U(0, 2) layer: the sample spread of mask means, whose relative
    # error is 1 / sqrt(2 trials), must match the formula
    rng = np.random.default_rng(2)
    x = rng.uniform(0.0, 2.0, n_units)
    y = dropout_scaling.dropout_forward(x, p, train=True, keep=rng.random((trials, n_units)) >= p)
    spread = y.mean(axis=1).std(ddof=1) / math.sqrt(trials)
    formula = math.sqrt(p / (1 - p) * np.mean(x**2) / (n_units * trials))
    assert spread == pytest.approx(formula, rel=Z_TOLERANCE / math.sqrt(2 * trials))


def test_eval_mode():
    x = np.random.default_rng(0).standard_normal((4, 5))
    assert dropout_scaling.dropout_forward(x, 0.3, train=False) is x  # inverted: the identity
    np.testing.assert_array_equal(dropout_scaling.dropout_forward(x, 0.3, train=False, inverted=False), 0.7 * x)
    keep = np.zeros_like(x, dtype=bool)
    keep[0] = True
    y = dropout_scaling.dropout_forward(x, 0.3, train=True, keep=keep)
    np.testing.assert_array_equal(y[1:], 0.0)
    np.testing.assert_allclose(y[0], x[0] / 0.7, rtol=1e-15)


@pytest.mark.parametrize("p, scale, wrong", [(0.5, 2.0, 1.0), (0.2, 1.25, 4.0), (0.1, 1 / 0.9, 9.0), (0.8, 5.0, 0.25)])
def test_quoted_scales(p, scale, wrong):
    """ERRATA 18: p is the drop probability, so divide by 1 - p; dividing by p is wrong except at 0.5."""
    out = registry.run_json("dropout-scaling", {"p": p, "trials": 10, "n_units": 10})
    assert out["scale"] == pytest.approx(scale, rel=1e-12)
    assert out["keep_prob"] == pytest.approx(1 - p, rel=1e-12)
    assert out["wrong_divisor_ratio"] == pytest.approx(wrong, rel=1e-12)
    assert out["no_test_scaling_ratio"] == pytest.approx(scale, rel=1e-12)
    assert out["second_moment_ratio"] == pytest.approx(scale, rel=1e-12)


def test_no_dropout():
    out = registry.run_json("dropout-scaling", {"p": 0.0})
    assert out["scale"] == 1.0 and out["fraction_zeroed"] == 0.0
    assert out["wrong_divisor_ratio"] is None and out["mc_z"] is None
    assert out["mc_mean_inverted"] == pytest.approx(out["input_mean"], rel=1e-12)


@pytest.mark.parametrize("params, message", [
    ({"p": 1.0}, "out of range"),
    ({"trials": 1}, "out of range"),
    ({"n_units": 100000, "trials": 1000}, "too many"),
])
def test_rejects_invalid_configurations(params, message):
    with pytest.raises(DemoInputError, match=message):
        registry.run_json("dropout-scaling", params)

