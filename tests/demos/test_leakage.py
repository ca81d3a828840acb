"""leakage: the selection and the classifier against direct computations, and the simulated scores
against chance (0.5, exactly, on pure noise with balanced folds) within a few standard errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import leakage
from mlquiz.errors import DemoInputError

Z = 5  # standard errors allowed to a Monte Carlo estimate


@settings(max_examples=30, deadline=None)
@given(n=st.integers(6, 40), p=st.integers(1, 60), top=st.integers(1, 60), seed=st.integers(0, 10**6))
def test_feature_order_ranks_by_absolute_correlation(n, p, top, seed):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, p)), np.arange(n) % 2
    r = np.array([np.corrcoef(X[:, j], y)[0, 1] for j in range(p)])
    expected = np.argsort(-np.abs(r), kind="stable")
    assert leakage.feature_order(X, y).tolist() == expected.tolist()
    assert leakage.feature_order(X, y, top).tolist() == expected[:top].tolist()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), ks=st.lists(st.integers(1, 15), min_size=1, max_size=4, unique=True))
def test_nearest_centroid_matches_a_loop(seed, ks):
    rng = np.random.default_rng(seed)
    X_train, X_test = rng.standard_normal((12, 15)), rng.standard_normal((7, 15))
    y_train = np.arange(12) % 2
    order = rng.permutation(15)
    got = leakage.nearest_centroid_by_k(X_train, y_train, X_test, order, ks)
    for row, k in zip(got, ks):
        cols = order[:k]
        for i, x in enumerate(X_test[:, cols]):
            d = [np.sum((x - X_train[y_train == c][:, cols].mean(axis=0)) ** 2) for c in (0, 1)]
            assert row[i] == int(d[1] < d[0])


def test_stratified_folds_are_balanced_partitions():
    rng = np.random.default_rng(0)
    y = np.arange(50) % 2
    folds = leakage.stratified_folds(y, 5, rng)
    for i in range(5):
        assert np.sum((folds == i) & (y == 0)) == 5 and np.sum((folds == i) & (y == 1)) == 5


def test_selection_before_cv_inflates_and_inside_cv_does_not():
    out = leakage.compute(n_samples=40, n_features=400, n_selected=10, n_splits=4, trials=120, seed=3)
    assert abs(out.proper_selection - 0.5) <= Z * out.proper_selection_se
    assert out.leaky_selection - 0.5 > 10 * out.leaky_selection_se and out.leaky_selection > 0.75
    assert abs(out.nested_score - 0.5) <= Z * out.nested_score_se
    # scaling never sees a label: both versions stay at chance
    assert abs(out.leaky_scaling - 0.5) <= Z * out.scaling_se
    assert abs(out.proper_scaling - 0.5) <= Z * out.scaling_se
    # the best of several CV scores is biased upwards
    assert out.tuned_best_score - 0.5 > 3 * out.tuned_best_score_se


def test_best_score_is_at_least_the_score_of_any_candidate():
    out = leakage.compute(n_features=200, n_selected=20, trials=8, candidates=("5", "20", "50"))
    assert out.tuned_best_score >= out.proper_selection  # 20 is a candidate
    assert out.candidates == [5, 20, 50]


def test_claims_at_defaults():
    out = registry.run_json("leakage", {})
    assert out["leaky_selection"] > 0.9 and out["leaky_selection_min"] > 0.75
    assert abs(out["proper_selection"] - 0.5) < Z * out["proper_selection_se"]
    assert out["tuned_best_score"] > out["nested_score"]
    assert abs(out["scaling_inflation"]) < 0.02


def test_candidates_above_the_feature_count_are_dropped_and_bad_inputs_refused():
    assert leakage.compute(n_features=30, n_selected=5, trials=2).candidates == [1, 2, 5, 10, 20]
    with pytest.raises(DemoInputError, match="n-selected"):
        leakage.compute(n_features=10, n_selected=20)
    with pytest.raises(DemoInputError, match="--trials"):
        leakage.compute(n_samples=1000, n_features=20000, trials=100)
