"""feature-scaling: scaled statistics exact, condition numbers against numpy and the closed form
for z-scored features, and the closed-form step counts against running gradient descent."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import feature_scaling as fs


def _gd_steps_by_running(A, y, tol, cap=200000):
    """Run w <- w - (1/L)(A'A w - A'y)/n from 0 until L(w) - L* <= tol (L(0) - L*)."""
    n = len(y)
    H, c = A.T @ A / n, A.T @ y / n
    L = np.linalg.eigvalsh(H).max()
    w_star = np.linalg.lstsq(A, y, rcond=None)[0]

    def excess(w):  # L(w) - L* = 1/2 (w - w*)' H (w - w*) for a quadratic
        e = w - w_star
        return 0.5 * e @ H @ e

    start = excess(np.zeros(A.shape[1]))
    w = np.zeros(A.shape[1])
    for step in range(cap + 1):
        if excess(w) <= tol * start:
            return step
        w = w - (H @ w - c) / L
    raise AssertionError("did not converge")


@settings(max_examples=20, deadline=None)
@given(n=st.integers(10, 80), scale=st.floats(1, 5), correlation=st.floats(-0.9, 0.9),
       tol=st.sampled_from([1e-2, 1e-4, 1e-6]), seed=st.integers(0, 1000),
       version=st.sampled_from(["raw", "zscore", "minmax"]))
def test_closed_form_steps_match_running_gradient_descent(n, scale, correlation, tol, seed, version):
    X, y = fs.make_data(n, scale, correlation, np.random.default_rng(seed))
    M = {"raw": X, "zscore": fs.zscore(X), "minmax": fs.minmax(X)}[version]
    A = fs.with_intercept(M)
    if np.linalg.cond(A.T @ A) > 1e5:
        return  # keep the loop short; larger kappa is covered by the bound test
    result = fs.compute(n_samples=n, scale=scale, correlation=correlation, tolerance=tol, seed=seed)
    steps = getattr(result, f"steps_{version}")
    # the loop rounds; a count whose excess sits within rounding of tol may differ by one
    assert abs(steps - _gd_steps_by_running(A, y, tol)) <= 1


@settings(max_examples=30, deadline=None)
@given(n=st.integers(10, 500), scale=st.floats(1, 1e5), correlation=st.floats(-0.99, 0.99),
       tol=st.floats(1e-12, 0.5), seed=st.integers(0, 1000))
def test_steps_never_exceed_the_bound(n, scale, correlation, tol, seed):
    r = fs.compute(n_samples=n, scale=scale, correlation=correlation, tolerance=tol, seed=seed)
    for version in ("raw", "zscore", "minmax"):
        kappa, steps, bound = (getattr(r, f"{k}_{version}") for k in ("cond", "steps", "bound"))
        assert 1 <= steps <= bound
        if kappa > 1:  # the bound itself: (1 - 1/kappa)^(2 bound) <= tol, one step fewer is not enough
            def contraction(k):  # (1 - 1/kappa)^(2k) via log1p: the plain power loses digits at kappa ~1e10
                return math.exp(2 * k * math.log1p(-1 / kappa))

            assert contraction(bound) <= tol * (1 + 1e-9)
            assert bound == 1 or contraction(bound - 1) > tol * (1 - 1e-9)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(20, 500), scale=st.floats(10, 1e5), correlation=st.floats(-0.5, 0.5), seed=st.integers(0, 1000))
def test_steps_follow_the_condition_number(n, scale, correlation, seed):
    r = fs.compute(n_samples=n, scale=scale, correlation=correlation, seed=seed)
    assert r.cond_raw > r.cond_minmax > r.cond_zscore
    assert r.steps_raw > r.steps_minmax > r.steps_zscore


@settings(max_examples=20, deadline=None)
@given(n=st.integers(10, 300), scale=st.floats(1, 1e5), correlation=st.floats(-0.99, 0.99), seed=st.integers(0, 1000))
def test_scaled_statistics_and_zscore_condition_number(n, scale, correlation, seed):
    r = fs.compute(n_samples=n, scale=scale, correlation=correlation, seed=seed)
    assert np.all(r.minmax_mins == 0.0) and np.all(r.minmax_maxs == 1.0)
    np.testing.assert_allclose(r.zscore_means, 0.0, atol=1e-12)
    np.testing.assert_allclose(r.zscore_stds, 1.0, rtol=1e-12)
    np.testing.assert_allclose(r.zscore_stds_ddof1, math.sqrt(n / (n - 1)), rtol=1e-12)
    # z-scored: X'X/n = [[1, 0, 0], [0, 1, r], [0, r, 1]], eigenvalues 1 and 1 +- r
    rho = abs(r.sample_correlation)
    assert r.cond_zscore == pytest.approx((1 + rho) / (1 - rho), rel=1e-9)
    X, _ = fs.make_data(n, scale, correlation, np.random.default_rng(seed))
    assert r.sample_correlation == pytest.approx(np.corrcoef(X.T)[0, 1], abs=1e-12)
    assert r.max_prediction_gap < 1e-9 * max(1.0, r.cond_raw**0.5)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(10, 60), d=st.integers(1, 4), seed=st.integers(0, 1000))
def test_scaler_shapes(n, d, seed):
    X = np.random.default_rng(seed).uniform(-5, 5, size=(n, d)) * np.arange(1, d + 1)
    assert fs.zscore(X).shape == fs.minmax(X).shape == (n, d)
    assert fs.with_intercept(X).shape == (n, d + 1)
    eigenvalues, Q = fs.hessian_eigen(fs.with_intercept(X))
    assert eigenvalues.shape == (d + 1,) and Q.shape == (d + 1, d + 1)


def test_condition_numbers_match_numpy():
    r = fs.compute(scale=10.0)
    X, _ = fs.make_data(200, 10.0, 0.0, np.random.default_rng(0))
    for version, M in (("raw", X), ("zscore", fs.zscore(X)), ("minmax", fs.minmax(X))):
        A = fs.with_intercept(M)
        assert getattr(r, f"cond_{version}") == pytest.approx(np.linalg.cond(A.T @ A), rel=1e-6)
        assert getattr(r, f"lr_{version}") == pytest.approx(len(A) / np.linalg.eigvalsh(A.T @ A).max(), rel=1e-12)


def test_quoted_numbers_at_defaults():
    out = registry.run_json("feature-scaling", {})
    assert (out["steps_raw"], out["steps_zscore"], out["steps_minmax"]) == (383027288, 3, 400)
    assert round(out["cond_zscore"], 2) == 1.13 and round(out["cond_minmax"]) == 93
    assert 1e8 < out["cond_raw"] < 1.2e8
    assert out["speedup_zscore"] == out["steps_raw"] / 3
    assert out["minmax_mins"] == [0.0, 0.0] and out["minmax_maxs"] == [1.0, 1.0]
    assert round(out["zscore_stds_ddof1"][0], 4) == 1.0025
