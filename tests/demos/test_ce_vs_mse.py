"""ce-vs-mse: both sigmoid-output gradients against finite differences of the losses written out,
the quoted numbers against closed forms, and the descent step counts against each other."""

import math

import numpy as np
import pytest
from gradcheck import assert_gradients_match
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import ce_vs_mse


def _sigma(z):
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("y", [0, 1])
def test_gradients_match_finite_differences(seed, y):
    # one point at a time, so that no other point's rounding enters a small derivative
    for z0 in np.random.default_rng(seed).uniform(-4, 4, size=4):
        z = np.array([z0])
        # the losses written out directly
        assert_gradients_match(ce_vs_mse.grad_mse(z.copy(), y), lambda: 0.5 * (_sigma(z[0]) - y) ** 2, z)
        assert_gradients_match(ce_vs_mse.grad_ce(z.copy(), y),
                               lambda: -y * np.log(_sigma(z[0])) - (1 - y) * np.log(1 - _sigma(z[0])), z)


def test_losses_match_their_definitions_and_stay_finite():
    z = np.linspace(-8, 8, 17)
    for y in (0, 1):
        np.testing.assert_allclose(ce_vs_mse.ce_loss(z, y),
                                   -y * np.log(_sigma(z)) - (1 - y) * np.log(1 - _sigma(z)), rtol=1e-10)
        np.testing.assert_allclose(ce_vs_mse.mse_loss(z, y), 0.5 * (_sigma(z) - y) ** 2, rtol=1e-12)
    assert ce_vs_mse.ce_loss(-800.0, 1) == pytest.approx(800.0)  # -log(sigma(-800)) = softplus(800)
    assert np.isfinite(ce_vs_mse.sigmoid(np.array([-1000.0, 1000.0]))).all()


def test_quoted_numbers_at_defaults():
    out = registry.run_json("ce-vs-mse", {})
    a = 1 / (1 + math.exp(5))
    assert out["a_quote"] == pytest.approx(a, rel=1e-14)
    assert out["grad_mse_quote"] == pytest.approx((a - 1) * a * (1 - a), rel=1e-12)
    assert out["grad_ce_quote"] == pytest.approx(a - 1, rel=1e-14)
    # |a - y| / |(a - y) a (1 - a)| = 1 / (a (1 - a)) = e^z + 2 + e^-z
    assert out["grad_ratio_ce_over_mse"] == pytest.approx(math.exp(5) + 2 + math.exp(-5), rel=1e-12)
    assert round(out["grad_ratio_ce_over_mse"], 1) == 150.4
    assert out["loss_ce_quote"] == pytest.approx(math.log(1 + math.exp(5)), rel=1e-14)
    assert out["max_sigmoid_derivative"] == 0.25


@pytest.mark.parametrize("y,z_peak", [(1, -math.log(2)), (0, math.log(2))])
def test_largest_mse_gradient_is_4_over_27(y, z_peak):
    result = ce_vs_mse.compute(target=y)
    # maximise (1 - a)^2 a (y = 1): derivative (1 - a)(1 - 3a) = 0 at a = 1/3, z = -ln 2
    assert result.max_abs_grad_mse == pytest.approx(4 / 27, rel=1e-12)
    assert result.z_at_max_abs_grad_mse == pytest.approx(z_peak, abs=1e-6)
    grid = np.linspace(-20, 20, 400001)
    assert result.max_abs_grad_mse >= np.abs(ce_vs_mse.grad_mse(grid, y)).max()


def _steps_numpy(z0, y, lr, grad, cap=10**6):
    z, sign = np.float64(z0), 1 if y == 1 else -1
    for step in range(cap):
        if sign * z > 0:
            return step
        z = z - lr * grad(z, y)
    return None


@pytest.mark.parametrize("z0,lr", [(-5.0, 1.0), (-3.0, 0.5), (-8.0, 2.0), (0.0, 1.0)])
def test_step_counts_match_a_numpy_descent(z0, lr):
    result = ce_vs_mse.compute(z_quote=z0, learning_rate=lr)
    assert result.steps_to_correct_ce == _steps_numpy(z0, 1, lr, ce_vs_mse.grad_ce)
    assert result.steps_to_correct_mse == _steps_numpy(z0, 1, lr, ce_vs_mse.grad_mse)


def test_errata_step_counts():
    out = registry.run_json("ce-vs-mse", {})
    assert (out["steps_to_correct_ce"], out["steps_to_correct_mse"]) == (6, 168)
    assert out["steps_ratio_mse_over_ce"] == 28.0
    assert ce_vs_mse.compute(z_quote=-14.0).steps_to_correct_mse is None  # beyond the 10**6 cap


@settings(max_examples=25, deadline=None)
@given(z0=st.floats(-9, 9), lr=st.floats(0.1, 4.0), y=st.integers(0, 1))
def test_mse_never_recovers_faster_than_cross_entropy(z0, lr, y):
    """|MSE gradient| <= |CE gradient| / 4 and the CE step map is monotone for lr <= 4."""
    result = ce_vs_mse.compute(z_quote=z0, target=y, learning_rate=lr)
    assert result.steps_to_correct_mse is None or result.steps_to_correct_mse >= result.steps_to_correct_ce
    assert np.all(np.abs(result.grad_mse) <= np.abs(result.grad_ce) / 4 + 1e-300)


@settings(max_examples=20, deadline=None)
@given(n_points=st.integers(3, 101), z_range=st.floats(1, 30))
def test_table_shapes(n_points, z_range):
    result = ce_vs_mse.compute(n_points=n_points, z_range=z_range)
    for name in ("z", "a", "sigmoid_derivative", "grad_mse", "grad_ce"):
        assert getattr(result, name).shape == (n_points,)
    assert result.z[0] == -z_range and result.z[-1] == z_range
