"""bias-variance: the Monte Carlo decomposition against an independent loop of np.polyfit fits,
against closed forms built from np.polyfit's hat matrix, and the sum against the measured error."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import bias_variance as bv
from mlquiz.errors import DemoInputError

Z = 5  # standard errors allowed to a Monte Carlo estimate


def _f(x):
    return np.sin(2 * np.pi * x)


def _hat_matrix(x_train, x_test, degree):
    """Fitted values at x_test are H @ y: np.polyfit of each unit vector (monomial basis)."""
    coef = np.polyfit(x_train, np.eye(len(x_train)), degree)  # (degree + 1, n_train)
    return np.vander(x_test, degree + 1) @ coef  # (n_test, n_train)


@pytest.mark.parametrize("design", ["fixed", "random"])
def test_estimates_match_an_independent_polyfit_loop(design):
    params = dict(degrees=("1", "3", "5"), n_train=12, n_datasets=40, design=design, noise=0.4, n_test=9, seed=7)
    result = bv.compute(**params)
    x_train, y_train, x_test, y_test = bv.make_data(40, 12, 9, 0.4, design, np.random.default_rng(7))
    f_test = _f(x_test)
    for degree in (1, 3, 5):
        xs = np.broadcast_to(x_train, y_train.shape)
        pred = np.array([np.polyval(np.polyfit(xs[i], y_train[i], degree), x_test) for i in range(40)])
        train = np.array([np.polyval(np.polyfit(xs[i], y_train[i], degree), xs[i]) for i in range(40)])
        D = 40
        mean_pred = pred.mean(axis=0)
        var_unbiased = ((pred - mean_pred) ** 2).sum(axis=0) / (D - 1)
        bias_unbiased = (mean_pred - f_test) ** 2 - var_unbiased / D
        errors = ((y_test - pred) ** 2).mean(axis=1)
        k = str(degree)
        assert result.bias_squared[k] == pytest.approx(bias_unbiased.mean(), rel=1e-7, abs=1e-12)
        assert result.variance[k] == pytest.approx(var_unbiased.mean(), rel=1e-7)
        assert result.expected_test_error[k] == pytest.approx(errors.mean(), rel=1e-9)
        assert result.test_error_standard_error[k] == pytest.approx(errors.std(ddof=1) / math.sqrt(D), rel=1e-7)
        assert result.train_error[k] == pytest.approx(((y_train - train) ** 2).mean(), rel=1e-9)
        # the algebraic identity behind the decomposition: bias^2 + variance = mean (fhat - f)^2
        assert result.bias_squared[k] + result.variance[k] == pytest.approx(((pred - f_test) ** 2).mean(), rel=1e-9)
    assert result.noise == pytest.approx(((y_test - f_test) ** 2).mean(), rel=1e-12)


def test_exact_values_match_polyfit_hat_matrix():
    result = bv.compute(degrees=tuple(str(d) for d in range(10)))
    x_train, x_test = bv.grid(30), bv.grid(100)
    for degree in range(10):
        H = _hat_matrix(x_train, x_test, degree)
        k = str(degree)
        assert result.bias_squared_exact[k] == pytest.approx(np.mean((H @ _f(x_train) - _f(x_test)) ** 2),
                                                             rel=1e-6, abs=1e-13)
        assert result.variance_exact[k] == pytest.approx(0.09 * np.mean(np.sum(H**2, axis=1)), rel=1e-8)


def test_monte_carlo_agrees_with_exact_within_standard_errors():
    D = 500
    result = bv.compute(degrees=tuple(str(d) for d in range(13)), n_datasets=D)
    x_train, x_test = bv.grid(30), bv.grid(100)
    for degree in range(13):
        k = str(degree)
        H = _hat_matrix(x_train, x_test, min(degree, 12))
        bias_x = H @ _f(x_train) - _f(x_test)
        var_x = 0.09 * np.sum(H**2, axis=1)
        # predictions are Gaussian (linear in Gaussian noise): sd of the per-point unbiased bias^2
        # estimate ~ sqrt(4 b^2 V / D + 2 V^2 / (D (D - 1))); the mean over x has at most the mean sd
        bias_se = np.mean(np.sqrt(4 * bias_x**2 * var_x / D + 2 * var_x**2 / (D * (D - 1))))
        assert abs(result.bias_squared[k] - result.bias_squared_exact[k]) <= Z * bias_se
        # sample variance of D Gaussians has relative sd sqrt(2 / (D - 1))
        assert abs(result.variance[k] / result.variance_exact[k] - 1) <= Z * math.sqrt(2 / (D - 1))
        assert abs(result.expected_test_error[k] - result.expected_test_error_exact[k]) <= \
            Z * result.test_error_standard_error[k]
        # the decomposition adds up to the directly measured error
        assert abs(result.decomposition_gap[k]) <= Z * result.gap_standard_error[k]
    assert abs(result.noise - 0.09) <= Z * 0.09 * math.sqrt(2 / (D * 100))  # chi-square, D * n_test draws


def test_errata_claims_at_defaults():
    """ERRATA 5-6: error = bias^2 + variance + noise; the simple model has the high bias."""
    out = registry.run_json("bias-variance", {})
    b, v = out["bias_squared_exact"], out["variance_exact"]
    assert b["1"] > b["3"] > b["9"]
    assert v["1"] < v["3"] < v["9"]
    assert out["bias_squared"]["1"] > out["bias_squared"]["3"]
    assert out["variance"]["1"] < out["variance"]["3"] < out["variance"]["9"]
    assert out["best_degree"] == 3
    assert out["train_error"]["1"] > out["train_error"]["3"] > out["train_error"]["9"]
    for k in ("1", "3", "9"):
        assert out["expected_test_error_exact"][k] == pytest.approx(b[k] + v[k] + 0.09, rel=1e-12)
    assert round(b["1"], 3) == 0.196 and round(v["9"], 4) == 0.0334


@settings(max_examples=15, deadline=None)
@given(n_train=st.integers(13, 60), noise=st.floats(0.05, 2.0), n_test=st.integers(5, 50))
def test_variance_grows_with_degree_for_nested_fits(n_train, noise, n_test):
    result = bv.compute(degrees=tuple(str(d) for d in range(13)), n_train=n_train, noise=noise,
                        n_test=n_test, n_datasets=10)
    variances = [result.variance_exact[str(d)] for d in range(13)]
    assert all(a < b * (1 + 1e-9) for a, b in zip(variances, variances[1:]))
    assert result.bias_squared_exact["1"] > result.bias_squared_exact["3"]


@settings(max_examples=15, deadline=None)
@given(n_datasets=st.integers(10, 30), n_train=st.integers(4, 20), n_test=st.integers(1, 20),
       degree=st.integers(0, 3), design=st.sampled_from(["fixed", "random"]))
def test_shapes(n_datasets, n_train, n_test, degree, design):
    x_train, y_train, x_test, y_test = bv.make_data(n_datasets, n_train, n_test, 0.3, design,
                                                    np.random.default_rng(0))
    assert x_train.shape == ((n_train,) if design == "fixed" else (n_datasets, n_train))
    assert y_train.shape == (n_datasets, n_train) and y_test.shape == (n_datasets, n_test)
    train_pred, test_pred = bv.fit_predict(x_train, y_train, x_test, degree)
    assert train_pred.shape == (n_datasets, n_train) and test_pred.shape == (n_datasets, n_test)


def test_bad_sizes_are_refused_with_a_fix():
    with pytest.raises(DemoInputError, match="--n-train"):
        bv.compute(degrees=("9",), n_train=9)
    with pytest.raises(DemoInputError, match="--n-datasets"):
        bv.compute(n_datasets=20000, n_train=100)


def test_random_design_has_no_closed_form():
    result = bv.compute(design="random", n_datasets=50)
    assert result.bias_squared_exact is None and result.variance_exact is None
    assert registry.run_json("bias-variance", {"design": "random", "n_datasets": 50})["variance_exact"] is None
