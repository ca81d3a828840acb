"""init-bounds: the bounds against their formulas for any layer size, fan_in as the number of terms
one output actually sums (a NumPy conv2d of ones), kaiming_uniform_(a=sqrt(5)) reducing to
1/sqrt(fan_in), Monte Carlo checks (the std of U(-b, b) is b/sqrt(3); the default keeps a third of
the input variance, He doubles it), and the hand-worked defaults."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import _conv
from mlquiz.demos import init_bounds as demo
from mlquiz.errors import DemoInputError

NAME = "init-bounds"
Z_TOLERANCE = 5  # standard errors: a correct sample lands outside with probability ~6e-7


@settings(max_examples=100, deadline=None)
@given(layer=st.sampled_from(["linear", "conv2d"]), n_in=st.integers(1, 5000), n_out=st.integers(1, 5000),
       kh=st.integers(1, 7), kw=st.integers(1, 7))
def test_bounds_follow_the_formulas(layer, n_in, n_out, kh, kw):
    r = demo.compute(layer, n_in, n_out, (kh, kw))
    field = kh * kw if layer == "conv2d" else 1
    fan_in, fan_out = n_in * field, n_out * field
    assert (r.fan_in, r.fan_out, r.receptive_field) == (fan_in, fan_out, field)
    assert r.weights == n_out * n_in * field and r.biases == n_out
    assert r.default_weight_bound == pytest.approx(1 / math.sqrt(fan_in), rel=1e-12)
    assert r.default_bias_bound == pytest.approx(1 / math.sqrt(fan_in), rel=1e-15)
    assert r.default_weight_std == pytest.approx(1 / math.sqrt(3 * fan_in), rel=1e-12)
    assert r.xavier_uniform_bound == pytest.approx(math.sqrt(6 / (fan_in + fan_out)), rel=1e-15)
    assert r.xavier_std == pytest.approx(r.xavier_uniform_bound / math.sqrt(3), rel=1e-12)
    assert r.he_normal_std == pytest.approx(math.sqrt(2 / fan_in), rel=1e-12)
    assert r.he_normal_std_fan_out == pytest.approx(math.sqrt(2 / fan_out), rel=1e-12)
    assert r.he_uniform_bound == pytest.approx(math.sqrt(6 / fan_in), rel=1e-12)
    assert r.he_over_default_std == pytest.approx(math.sqrt(6), rel=1e-12)


@pytest.mark.parametrize("n_in, n_out, kernel", [(3, 2, (3, 3)), (4, 5, (2, 3)), (1, 1, (1, 1))])
def test_fan_in_is_the_number_of_terms_each_conv_output_sums(n_in, n_out, kernel):
    r = demo.compute("conv2d", n_in, n_out, kernel)
    x = np.ones((1, n_in, kernel[0] + 2, kernel[1] + 2))
    y = _conv.conv2d(x, np.ones(tuple(r.weight_shape)))  # PyTorch's (out, in, kH, kW) layout
    assert y.shape[1] == n_out
    assert np.all(y == r.fan_in)
    # fan_out: how many (output, weight) pairs read one interior input value
    kh, kw = kernel
    x = np.zeros((1, n_in, 2 * kh - 1, 2 * kw - 1))
    x[0, 0, kh - 1, kw - 1] = 1.0  # reached by every kernel offset of every output channel
    assert _conv.conv2d(x, np.ones(tuple(r.weight_shape))).sum() == r.fan_out


def test_default_call_is_kaiming_uniform_with_a_sqrt5():
    for fan in (1, 3, 100, 144, 4608):
        assert demo.kaiming_uniform_bound(fan, math.sqrt(5)) == pytest.approx(1 / math.sqrt(fan), rel=1e-14)
        assert demo.kaiming_uniform_bound(fan) == pytest.approx(math.sqrt(6 / fan), rel=1e-14)


@pytest.mark.parametrize("bound", [0.1, 1 / 12, 2.0])
def test_uniform_std_is_bound_over_sqrt3_by_monte_carlo(bound):
    n = 200_000
    sample = np.random.default_rng(0).uniform(-bound, bound, n)
    sigma = bound / math.sqrt(3)
    # the sample std's standard error: sigma * sqrt((kurtosis - 1) / (4n)), kurtosis 9/5 for a uniform
    se = sigma * math.sqrt((9 / 5 - 1) / (4 * n))
    assert abs(sample.std() - sigma) < Z_TOLERANCE * se


def test_forward_variance_by_monte_carlo():
    """y = W x with x ~ N(0, 1): Var(y) = fan_in Var(w), 1/3 with PyTorch's default, 2 with He."""
    r = demo.compute("linear", 100, 50)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2000, 100))
    for weights, expected in ((rng.uniform(-r.default_weight_bound, r.default_weight_bound, (50, 100)), 1 / 3),
                              (rng.normal(0, r.he_normal_std, (50, 100)), 2.0)):
        y = x @ weights.T
        # per draw of W the row norms vary; 50 rows x 2000 inputs keep the estimate within a few percent
        assert y.var() == pytest.approx(expected, rel=0.08)


def test_defaults_by_hand():
    out = registry.run_json(NAME, {})
    assert out["weight_shape"] == [50, 100]
    assert out["default_weight_bound"] == pytest.approx(0.1)
    assert out["xavier_uniform_bound"] == pytest.approx(0.2)
    assert out["he_normal_std"] == pytest.approx(math.sqrt(0.02))
    conv = registry.run_json(NAME, {"layer": "conv2d", "in_features": 16, "out_features": 32})
    assert (conv["fan_in"], conv["fan_out"], conv["weight_shape"]) == (144, 288, [32, 16, 3, 3])
    assert conv["default_weight_bound"] == pytest.approx(1 / 12)
    assert conv["he_normal_std"] == pytest.approx(conv["xavier_uniform_bound"])  # sqrt(2/144) = sqrt(6/432)
    assert conv["torch_layer"] == "nn.Conv2d(16, 32, 3)"
    assert registry.run_json(NAME, {"layer": "conv2d", "kernel": "3x5"})["torch_layer"] == "nn.Conv2d(100, 50, (3, 5))"


def test_rejects_bad_inputs():
    with pytest.raises(DemoInputError, match="out of range"):
        registry.run_json(NAME, {"in_features": 0})
    with pytest.raises(DemoInputError, match="one of linear, conv2d"):
        registry.run_json(NAME, {"layer": "conv1d"})
