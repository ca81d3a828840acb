"""batchnorm: the hand-written backward against finite differences (train and eval mode, (N, C) and
(N, C, H, W)), the train-mode invariants, the running-statistics update against a plain loop, and
the numbers the quiz cites (skew kept, 2C parameters against 2C + 1 buffer values)."""

import math

import numpy as np
import pytest
from gradcheck import assert_gradients_match
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import batchnorm
from mlquiz.errors import DemoInputError

Z_TOLERANCE = 5  # standard errors: a correct sample lands outside with probability ~6e-7


def _case(shape, seed):
    rng = np.random.default_rng(seed)
    channels = shape[1]
    x = rng.standard_normal(shape) * 2 + 1
    gamma, beta = rng.standard_normal(channels), rng.standard_normal(channels)
    upstream = rng.standard_normal(shape)
    running = (rng.standard_normal(channels), rng.uniform(0.5, 2.0, channels))
    return x, gamma, beta, upstream, running


@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 2, 2), (3, 2, 1, 3)])
@pytest.mark.parametrize("train", [True, False])
def test_backward_matches_finite_differences(shape, train):
    x, gamma, beta, upstream, running = _case(shape, seed=7)
    stats = None if train else running

    def loss():
        y, _ = batchnorm.batchnorm_forward(x, gamma, beta, running=stats)
        return float(np.sum(y * upstream))

    _, cache = batchnorm.batchnorm_forward(x, gamma, beta, running=stats)
    dx, dgamma, dbeta = batchnorm.batchnorm_backward(upstream, cache)
    assert_gradients_match(dx, loss, x, name="x")
    assert_gradients_match(dgamma, loss, gamma, name="gamma")
    assert_gradients_match(dbeta, loss, beta, name="beta")


def _naive_channel_stats(x, c):
    """Mean, biased and unbiased variance of channel c by explicit loops."""
    values = [float(v) for v in np.moveaxis(x, 1, 0)[c].ravel()]
    m = len(values)
    mean = sum(values) / m
    squares = sum((v - mean) ** 2 for v in values)
    return mean, squares / m, squares / (m - 1)


shapes = st.one_of(
    st.tuples(st.integers(2, 6), st.integers(1, 4)),
    st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(2, 4)),
)


@settings(max_examples=50, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**32 - 1), scale=st.floats(0.1, 100.0), eps=st.sampled_from([1e-5, 1e-3]))
def test_train_output_is_standardised_per_channel(shape, seed, scale, eps):
    rng = np.random.default_rng(seed)
    x = rng.exponential(scale, shape) + rng.normal(0, scale, shape[1]).reshape((1, -1) + (1,) * (len(shape) - 2))
    C = shape[1]
    y, _ = batchnorm.batchnorm_forward(x, np.ones(C), np.zeros(C), eps)
    assert y.shape == x.shape
    for c in range(C):
        _, var, _ = _naive_channel_stats(x, c)
        mean_y, var_y, _ = _naive_channel_stats(y, c)
        assert abs(mean_y) < 1e-9
        # biased variance var / (var + eps): 1 less the eps effect
        assert var_y == pytest.approx(var / (var + eps), rel=1e-9, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**32 - 1), momentum=st.floats(0.0, 1.0), steps=st.integers(1, 5))
def test_running_stats_follow_the_pytorch_rule(shape, seed, momentum, steps):
    rng = np.random.default_rng(seed)
    C = shape[1]
    running_mean, running_var = np.zeros(C), np.ones(C)
    expected_mean, expected_var = [0.0] * C, [1.0] * C
    for _ in range(steps):
        x = rng.standard_normal(shape) * 3 + 2
        running_mean, running_var = batchnorm.update_running_stats(running_mean, running_var, x, momentum)
        for c in range(C):
            mean, _, unbiased = _naive_channel_stats(x, c)
            expected_mean[c] = (1 - momentum) * expected_mean[c] + momentum * mean
            expected_var[c] = (1 - momentum) * expected_var[c] + momentum * unbiased
    np.testing.assert_allclose(running_mean, expected_mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(running_var, expected_var, rtol=1e-12, atol=1e-12)


def test_running_mean_fraction_is_the_ema_weight():
    """Feeding one batch k times from running_mean 0 gives (1 - (1 - m)**k) * batch mean."""
    x = np.random.default_rng(3).standard_normal((8, 2, 3, 3)) + 5
    running_mean, running_var = np.zeros(2), np.ones(2)
    for _ in range(10):
        running_mean, running_var = batchnorm.update_running_stats(running_mean, running_var, x, 0.1)
    out = registry.run_json("batchnorm", {})
    assert out["running_mean_fraction"] == pytest.approx(1 - 0.9**10, rel=1e-12)
    assert round(out["running_mean_fraction"], 3) == 0.651
    np.testing.assert_allclose(running_mean, out["running_mean_fraction"] * x.mean(axis=(0, 2, 3)), rtol=1e-12)
    assert out["num_batches_tracked"] == 10


def test_eval_mode_uses_running_statistics():
    x, gamma, beta, _, (running_mean, running_var) = _case((4, 3, 2, 2), seed=11)
    y, _ = batchnorm.batchnorm_forward(x, gamma, beta, 1e-5, running=(running_mean, running_var))
    for c in range(3):
        by_hand = (x[:, c] - running_mean[c]) / math.sqrt(running_var[c] + 1e-5) * gamma[c] + beta[c]
        np.testing.assert_allclose(y[:, c], by_hand, rtol=1e-12)


def test_skew_is_kept_and_near_two():
    """ERRATA 9: BN does not make the data normal; exponential input keeps its skew (1.98 here)."""
    out = registry.run_json("batchnorm", {})
    np.testing.assert_allclose(out["skew_after"], out["skew_before"], rtol=1e-9)
    assert round(out["skew_before_avg"], 2) == 1.98
    assert out["mean_after_max_abs"] < 1e-12
    assert out["var_after_avg"] == pytest.approx(1.0, abs=1e-4)
    # a negative gamma mirrors the distribution
    flipped = registry.run_json("batchnorm", {"gamma": -2.0})
    np.testing.assert_allclose(flipped["skew_after"], -np.asarray(flipped["skew_before"]), rtol=1e-9)


def test_sample_skew_of_many_channels_is_within_standard_errors_of_two():
    channels = 64
    out = batchnorm.compute(channels=channels, steps=1, seed=5)
    skews = np.asarray(out.skew_before)
    # channels are independent samples of the sample skewness: their spread gives the standard error
    standard_error = skews.std(ddof=1) / math.sqrt(channels)
    assert abs(skews.mean() - out.skew_theory) < Z_TOLERANCE * standard_error
    assert out.skew_theory == 2.0


def test_parameters_against_buffers():
    """BatchNorm2d(C): 2C parameters (gamma, beta); buffers running_mean, running_var (C each) and
    num_batches_tracked (one value)."""
    out = registry.run_json("batchnorm", {"channels": 64, "size": 4})
    assert out["trainable_params"] == 128
    assert out["buffer_values"] == 129
    assert out["values_per_channel"] == 32 * 4 * 4
    assert out["unbiased_factor"] == 512 / 511


def test_train_gradient_has_zero_channel_sum():
    out = registry.run_json("batchnorm", {"layout": "nc", "n_batch": 16})
    assert out["dx_channel_sum_max_abs"] < 1e-10  # dx is orthogonal to a per-channel constant
    assert out["shape"] == [16, 8]


@pytest.mark.parametrize("params, message", [
    ({"layout": "nc", "n_batch": 1}, "more than 1 value per channel"),
    ({"n_batch": 4096, "channels": 512}, "too much work"),
    ({"momentum": 1.5}, "out of range"),
])
def test_rejects_invalid_configurations(params, message):
    with pytest.raises(DemoInputError, match=message):
        registry.run_json("batchnorm", params)

