import math

import numpy as np
import pytest
from gradcheck import assert_gradients_match
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from mlquiz.demokit import registry
from mlquiz.demos import _activations as act
from mlquiz.demos import activation_gradients as demo
from mlquiz.errors import DemoInputError

NAME = "activation-gradients"


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_derivatives_match_finite_differences(name):
    rng = np.random.default_rng(1)
    x = rng.uniform(-5, 5, size=(4, 3))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink of ReLU at 0
    weights = rng.standard_normal(x.shape)  # a scalar loss sum(w * f(x)) so every entry matters
    f, df = act.ACTIVATIONS[name]
    assert_gradients_match(weights * df(x), lambda: float(np.sum(weights * f(x))), x, name=name)


def test_leaky_slope_parameter_matches_finite_differences():
    x = np.array([-3.0, -0.2, 0.4, 2.5])
    fns = demo.functions(0.2)
    f, df = fns["leaky_relu"]
    assert_gradients_match(df(x), lambda: float(np.sum(f(x))), x)
    np.testing.assert_array_equal(df(x), [0.2, 0.2, 1.0, 1.0])


def test_identities_against_textbook_forms():
    x = np.linspace(-20, 20, 4001)
    naive_sigmoid = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(act.sigmoid(x), naive_sigmoid, rtol=1e-12, atol=1e-300)
    # sigma' = sigma (1 - sigma) and tanh' = 1 - tanh^2 = sech^2
    np.testing.assert_allclose(act.sigmoid_grad(x), naive_sigmoid * (1 - naive_sigmoid), rtol=1e-6, atol=1e-15)
    np.testing.assert_allclose(act.tanh_grad(x), 1 / np.cosh(x) ** 2, rtol=1e-6, atol=1e-15)
    result = demo.compute()
    assert result.identity_error["sigmoid"] < 1e-15
    assert result.identity_error["tanh"] < 1e-15
    assert max(result.fd_max_abs_error.values()) < 1e-8


def test_maxima_against_closed_form_and_a_finer_brute_force_search():
    result = demo.compute()
    # Closed form: sigma'(0) = 1/2 * 1/2, tanh'(0) = 1 - 0^2.
    assert result.grad_max["sigmoid"] == pytest.approx(0.25, abs=1e-15)
    assert result.grad_max["tanh"] == pytest.approx(1.0, abs=1e-15)
    assert result.grad_max["relu"] == 1.0 and result.grad_max["leaky_relu"] == 1.0
    assert result.grad_argmax == {"sigmoid": 0.0, "tanh": 0.0}
    # Brute force on an independent, finer grid with the textbook formulas.
    x = np.linspace(-3, 3, 600_001)
    e = np.exp(-x)
    sigmoid_grad = e / (1 + e) ** 2
    tanh_grad = 1 / np.cosh(x) ** 2
    assert abs(x[np.argmax(sigmoid_grad)]) < 1e-5 and abs(x[np.argmax(tanh_grad)]) < 1e-5
    assert sigmoid_grad.max() == pytest.approx(result.grad_max["sigmoid"], abs=1e-12)
    assert tanh_grad.max() == pytest.approx(result.grad_max["tanh"], abs=1e-12)


def test_minima_on_the_grid():
    result = demo.compute(x_max=6.0, leaky_slope=0.05)
    assert result.grad_min["sigmoid"] == pytest.approx(math.exp(-6) / (1 + math.exp(-6)) ** 2, rel=1e-12)
    assert result.grad_min["tanh"] == pytest.approx(1 / math.cosh(6) ** 2, rel=1e-9)
    assert result.grad_min["relu"] == 0.0
    assert result.grad_min["leaky_relu"] == 0.05


def test_relu_gradient_is_zero_below_zero_and_never_amplifies():
    """ERRATA 28-29: ReLU' is 0 for x < 0 (not always 1) and takes only the values 0 and 1."""
    result = demo.compute()
    assert result.relu_grad_values == [0.0, 1.0]
    assert result.relu_never_amplifies is True
    assert result.grad_at_minus_probe["relu"] == 0.0 and result.grad_at_probe["relu"] == 1.0
    assert result.grad_at_minus_probe["leaky_relu"] == 0.01


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, array_shapes(max_dims=3, max_side=5), elements=st.floats(-1e6, 1e6)))
def test_derivatives_keep_shape_and_bounds(x):
    for name, (f, df) in act.ACTIVATIONS.items():
        assert f(x).shape == x.shape and df(x).shape == x.shape, name
    assert set(np.unique(act.relu_grad(x))) <= {0.0, 1.0}
    assert np.all(act.relu_grad(x)[x < 0] == 0)
    assert np.all((act.sigmoid_grad(x) >= 0) & (act.sigmoid_grad(x) <= 0.25))
    assert np.all((act.tanh_grad(x) >= 0) & (act.tanh_grad(x) <= 1))


@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 30.0), st.floats(0.0, 30.0))
def test_sigmoid_and_tanh_derivatives_fall_with_abs_x_on_both_sides(a, b):
    """ERRATA 30: symmetric, and smaller for larger |x| on either side of 0."""
    small, large = min(a, b), max(a, b)
    for df in (act.sigmoid_grad, act.tanh_grad):
        assert df(np.float64(small)) == df(np.float64(-small))
        assert df(np.float64(large)) <= df(np.float64(small))
        assert df(np.float64(-large)) <= df(np.float64(-small))


def test_symmetry_outputs_and_probe_values():
    result = demo.compute(probe_x=2.0)
    assert result.symmetry_error == {"sigmoid": 0.0, "tanh": 0.0}
    assert result.decreasing_in_abs_x == {"sigmoid": True, "tanh": True}
    expected = math.exp(-2) / (1 + math.exp(-2)) ** 2  # sigma'(2) = 0.104994
    assert result.grad_at_probe["sigmoid"] == pytest.approx(expected, rel=1e-12)
    assert result.grad_at_minus_probe["sigmoid"] == pytest.approx(expected, rel=1e-12)
    assert result.grad_at_probe["tanh"] == pytest.approx(1 / math.cosh(2) ** 2, rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_monte_carlo_relu_share_within_five_standard_errors(seed):
    n = 200_000
    result = demo.compute(n_samples=n, seed=seed)
    assert result.relu_zero_share_exact == 0.5
    assert result.relu_zero_share_se == pytest.approx(math.sqrt(0.25 / n))
    assert abs(result.relu_zero_share_mc - 0.5) < 5 * result.relu_zero_share_se


def test_mean_derivative_under_normal_inputs_against_monte_carlo():
    n = 400_000
    z = np.random.default_rng(123).standard_normal(n)
    result = demo.compute()
    for name, (f, df) in act.ACTIVATIONS.items():
        values = df(z)
        se = values.std() / math.sqrt(n)
        assert abs(values.mean() - result.mean_grad_normal[name]) < 5 * se + 1e-12, name
    # ReLU' averages to P(z > 0) = 1/2 exactly, leaky to 1/2 + slope/2.
    assert result.mean_grad_normal["relu"] == pytest.approx(0.5, abs=1e-12)
    assert result.mean_grad_normal["leaky_relu"] == pytest.approx(0.505, abs=1e-12)


def test_best_case_through_layers():
    result = demo.compute(layers=10)
    assert result.sigmoid_best_case == 2.0**-20  # 0.25**10 = 9.5367e-7
    assert result.sigmoid_best_case == pytest.approx(9.54e-7, rel=1e-3)
    assert result.sigmoid_best_case_log10 == pytest.approx(-20 * math.log10(2))
    assert result.sigmoid_mean_case == pytest.approx(result.mean_grad_normal["sigmoid"] ** 10)
    assert result.tanh_best_case == 1.0
    deep = demo.compute(layers=10000)
    assert deep.sigmoid_best_case == 0.0  # underflows; the log stays finite
    assert deep.sigmoid_best_case_log10 == pytest.approx(-6020.599913279624)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 400).map(lambda k: 2 * k + 1), st.floats(0.5, 50.0))
def test_grid_contains_zero_and_is_symmetric(grid_points, x_max):
    x = demo._symmetric_grid(x_max, grid_points)
    assert x.shape == (grid_points,)
    assert x[grid_points // 2] == 0.0
    np.testing.assert_array_equal(x, -x[::-1])
    assert x[0] == -x_max and x[-1] == x_max
    assert np.all(np.diff(x) > 0)


def test_invalid_parameters_are_rejected():
    with pytest.raises(DemoInputError, match="odd"):
        registry.run_json(NAME, {"grid_points": 1000})
    with pytest.raises(DemoInputError, match="out of range"):
        registry.run_json(NAME, {"layers": 10**9})
    with pytest.raises(DemoInputError):
        registry.run_json(NAME, {"x_max": "nan"})


def test_json_keys_through_the_registry():
    data = registry.run_json(NAME, {"layers": 10})
    assert registry.lookup(data, "grad_max.sigmoid") == pytest.approx(0.25)
    assert registry.lookup(data, "sigmoid_best_case") == pytest.approx(9.5367431640625e-07)
    assert len(registry.lookup(data, "chart_grads.tanh")) == demo.CHART_POINTS
