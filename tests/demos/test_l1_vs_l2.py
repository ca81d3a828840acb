"""l1-vs-l2: lasso coordinate descent against a brute-force search over sign patterns and the
subgradient conditions, ridge's closed form against gradient descent, the update steps against
finite differences, and the errata's (1.9, 0) against (0.952, 0.952)."""

import itertools

import numpy as np
import pytest
from gradcheck import numerical_gradient, rel_error
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import l1_vs_l2
from mlquiz.errors import DemoInputError


def _lasso_objective(X, y, w, lam):
    return 0.5 * np.mean((y - X @ w) ** 2) + lam * np.abs(w).sum()


def _brute_force_lasso(X, y, lam):
    """Try every sign pattern s: on S = {s != 0}, X_S'X_S w_S / n = X_S'y / n - lam s_S; keep the best."""
    n, d = X.shape
    best_w, best_value = np.zeros(d), _lasso_objective(X, y, np.zeros(d), lam)
    for signs in itertools.product((-1.0, 0.0, 1.0), repeat=d):
        s = np.array(signs)
        S = s != 0
        if not S.any():
            continue
        XS = X[:, S]
        try:
            wS = np.linalg.solve(XS.T @ XS / n, XS.T @ y / n - lam * s[S])
        except np.linalg.LinAlgError:
            continue
        if not np.all(np.sign(wS) == s[S]):
            continue
        w = np.zeros(d)
        w[S] = wS
        value = _lasso_objective(X, y, w, lam)
        if value < best_value:
            best_w, best_value = w, value
    return best_w, best_value


def _gram(X, y):
    return X.T @ X / len(y), X.T @ y / len(y)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 4), log_lam=st.floats(-3, 0.5))
def test_lasso_matches_brute_force_and_subgradient_conditions(seed, d, log_lam):
    rng = np.random.default_rng(seed)
    n = 15
    X = rng.standard_normal((n, d)) * rng.uniform(0.3, 3.0, size=d)  # unequal column scales
    y = X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n)
    lam = 10.0**log_lam
    w = l1_vs_l2.lasso_coordinate_descent(*_gram(X, y), lam)
    best_w, best_value = _brute_force_lasso(X, y, lam)
    assert _lasso_objective(X, y, w, lam) == pytest.approx(best_value, rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(w, best_w, atol=1e-8)
    # subgradient (KKT) conditions, computed here from X and y
    g = X.T @ (y - X @ w) / n
    active = w != 0
    np.testing.assert_allclose(g[active], lam * np.sign(w[active]), atol=1e-9)
    assert np.all(np.abs(g[~active]) <= lam + 1e-9)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 5), log_lam=st.floats(-3, 1))
def test_ridge_closed_form_matches_gradient_descent(seed, d, log_lam):
    rng = np.random.default_rng(seed)
    n = 20
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    lam = 10.0**log_lam
    G, c = _gram(X, y)
    # gradient descent on (1/2n)||y - Xw||^2 + (lam/2)||w||^2 with step 1/L
    L = np.linalg.eigvalsh(X.T @ X / n).max() + lam
    w = np.zeros(d)
    for _ in range(20000):
        grad = -X.T @ (y - X @ w) / n + lam * w
        w -= grad / L
        if np.abs(grad).max() < 1e-13:
            break
    np.testing.assert_allclose(l1_vs_l2.ridge_closed_form(G, c, lam), w, rtol=1e-9, atol=1e-11)


def test_step_views_against_finite_differences():
    params = dict(n_samples=40, n_irrelevant=2, correlation=0.9, noise=0.5, lam=0.3, eta=0.2, seed=3)
    result = l1_vs_l2.compute(**params)
    X, y, _ = l1_vs_l2.make_data(40, 2, 0.9, 0.5, np.random.default_rng(3))
    lam, eta = 0.3, 0.2
    w = result.step_w.copy()

    def data_loss():
        return 0.5 * np.mean((y - X @ w) ** 2)

    def ridge_objective():
        return data_loss() + 0.5 * lam * np.sum(w**2)

    def lasso_objective():
        return data_loss() + lam * np.sum(np.abs(w))  # differentiable here: no weight is 0

    assert rel_error(result.step_data_grad, numerical_gradient(data_loss, w)) < 1e-6
    assert rel_error(result.l2_step_decay_form, w - eta * numerical_gradient(ridge_objective, w)) < 1e-6
    assert rel_error(result.l2_step_gradient_form, result.l2_step_decay_form) < 1e-12
    assert rel_error(result.l1_step, w - eta * numerical_gradient(lasso_objective, w)) < 1e-6
    # the misprint (no eta on dE/dw) is off by (1 - eta) dE/dw
    np.testing.assert_allclose(result.l2_step_decay_form - result.l2_step_missing_eta,
                               (1 - eta) * result.step_data_grad, atol=1e-12)
    # penalty parts: L1 the same for every weight, L2 proportional to the weight
    np.testing.assert_allclose(result.l1_penalty_move, -eta * lam * np.ones_like(w))
    np.testing.assert_allclose(result.l2_penalty_move / w, -eta * lam)
    assert result.decay_factor == pytest.approx(1 - 0.06)


def test_ideal_pair_on_an_exactly_uncorrelated_design():
    """Duplicate standardised column, other columns orthogonal, no noise: closed forms hold exactly."""
    n, lam = 50, 0.1
    A = np.random.default_rng(0).standard_normal((n, 3))
    Q, _ = np.linalg.qr(A - A.mean(axis=0))  # orthonormal columns, centred because A's are
    x, x3, z = (np.sqrt(n) * Q[:, i] for i in range(3))  # mean 0, variance 1
    X = np.column_stack([x, x, x3, z])
    y = 2 * x + 0.5 * x3
    G, c = _gram(X, y)
    lasso = l1_vs_l2.lasso_coordinate_descent(G, c, lam)
    ridge = l1_vs_l2.ridge_closed_form(G, c, lam)
    np.testing.assert_allclose(lasso, [2 - lam, 0, 0.5 - lam, 0], atol=1e-10)
    assert lasso[1] == 0.0 and lasso[3] == 0.0
    np.testing.assert_allclose(ridge[:3], [2 / (2 + lam), 2 / (2 + lam), 0.5 / (1 + lam)], rtol=1e-10)
    result = l1_vs_l2.compute(lam=lam, correlation=1.0)
    assert result.ideal_lasso_pair_total == pytest.approx(2 - lam)
    assert result.ideal_ridge_pair_weight == pytest.approx(2 / (2 + lam))


def test_errata_numbers_at_defaults():
    """ERRATA 4: L1 keeps one copy (about 1.9, 0), arbitrarily; L2 shrinks both (0.952, 0.952)."""
    out = registry.run_json("l1-vs-l2", {})
    assert out["lasso_pair"][1] == 0.0
    assert round(out["lasso_pair"][0], 1) == 1.9
    assert out["lasso_pair_swapped"] == [0.0, out["lasso_pair"][0]]
    assert out["ridge_pair"][0] == pytest.approx(out["ridge_pair"][1], abs=1e-12)
    assert round(out["ridge_pair"][0], 3) == 0.952
    assert out["ridge_zeros"] == 0 and out["lasso_zeros"] >= 1
    assert round(out["ideal_lasso_pair_total"], 3) == 1.9 and round(out["ideal_ridge_pair_weight"], 3) == 0.952
    assert out["decay_factor"] == pytest.approx(0.99) and out["l1_shift"] == pytest.approx(0.01)
    assert out["lasso_max_kkt_violation"] < 1e-10
    # with exact copies the lasso is indifferent to the split: the equal split scores the same
    X, y, _ = l1_vs_l2.make_data(200, 3, 1.0, 0.5, np.random.default_rng(0))
    w = np.array(out["lasso_weights"])
    split = w.copy()
    split[:2] = w[:2].sum() / 2
    assert _lasso_objective(X, y, split, 0.1) == pytest.approx(_lasso_objective(X, y, w, 0.1), rel=1e-14)


def test_defaults_lasso_against_brute_force_on_the_demo_data():
    result = l1_vs_l2.compute()
    X, y, _ = l1_vs_l2.make_data(200, 3, 1.0, 0.5, np.random.default_rng(0))
    keep = [0, 2, 3, 4, 5]  # x2 copies x1: drop it so that the brute force has a unique answer
    best_w, _ = _brute_force_lasso(X[:, keep], y, 0.1)
    np.testing.assert_allclose(result.lasso_weights[keep], best_w, atol=1e-9)


@settings(max_examples=12, deadline=None)
@given(lam=st.floats(0.001, 10.0), correlation=st.sampled_from([0.0, 0.5, 0.9, 0.99, 1.0]),
       n_irrelevant=st.integers(0, 5), seed=st.integers(0, 1000))
def test_lasso_has_at_least_as_many_zeros_as_ridge(lam, correlation, n_irrelevant, seed):
    result = l1_vs_l2.compute(lam=lam, correlation=correlation, n_irrelevant=n_irrelevant, seed=seed)
    d = 3 + n_irrelevant
    assert result.ridge_zeros == 0
    assert result.lasso_zeros >= result.ridge_zeros
    assert result.lasso_zeros == int(np.sum(result.lasso_weights == 0))
    assert result.path_lasso_weights.shape == (l1_vs_l2.N_LAMBDAS, d)
    assert result.path_ridge_weights.shape == (l1_vs_l2.N_LAMBDAS, d)
    assert result.lasso_weights.shape == result.ridge_weights.shape == (d,)
    assert np.all(result.path_lasso_zeros >= result.path_ridge_zeros)
    assert result.path_lasso_zeros[0] == d  # at lambda_max every lasso weight is 0
    assert result.lasso_max_kkt_violation < 1e-9


def test_lambda_max_is_where_the_first_weight_enters():
    X, y, _ = l1_vs_l2.make_data(60, 1, 0.5, 0.5, np.random.default_rng(5))
    G, c = _gram(X, y)
    lam_max = l1_vs_l2.compute(n_samples=60, n_irrelevant=1, correlation=0.5, seed=5).lambda_max
    assert np.all(l1_vs_l2.lasso_coordinate_descent(G, c, lam_max) == 0)
    assert np.any(l1_vs_l2.lasso_coordinate_descent(G, c, lam_max * 0.999) != 0)


def test_too_few_samples_is_refused_with_a_fix():
    with pytest.raises(DemoInputError, match="--n-samples"):
        l1_vs_l2.compute(n_samples=20, n_irrelevant=10)
