"""cross-validation: fold sizes and order against direct constructions of sklearn's rules, sklearn's
documented examples, partition and stratification invariants, and the simulation against an independent
scalar loop."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import cross_validation as cv
from mlquiz.errors import DemoInputError

Z = 5  # standard errors allowed to a Monte Carlo comparison


@settings(max_examples=100, deadline=None)
@given(n=st.integers(2, 300), k=st.integers(2, 40), shuffle=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_kfold_matches_consecutive_blocks(n, k, shuffle, seed):
    if k > n:
        with pytest.raises(DemoInputError):
            cv.kfold_test_indices(n, k)
        return
    folds = cv.kfold_test_indices(n, k, shuffle, seed)
    order = np.random.RandomState(seed).permutation(n) if shuffle else np.arange(n)
    # np.array_split gives the first n % k blocks one extra element: sklearn's fold sizes
    expected = [np.sort(block) for block in np.array_split(order, k)]
    assert [f.tolist() for f in folds] == [e.tolist() for e in expected]
    assert [len(f) for f in folds] == [n // k + 1] * (n % k) + [n // k] * (k - n % k)
    assert sorted(np.concatenate(folds).tolist()) == list(range(n))  # a partition


class_counts = st.lists(st.integers(1, 40), min_size=1, max_size=5)


@settings(max_examples=100, deadline=None)
@given(counts=class_counts, k=st.integers(2, 12), shuffle=st.booleans(), seed=st.integers(0, 2**32 - 1),
       data=st.data())
def test_stratified_folds_partition_and_keep_proportions(counts, k, shuffle, seed, data):
    y = np.repeat(np.arange(len(counts)), counts)
    y = y[data.draw(st.permutations(list(range(y.size))))]  # any label order
    if all(c < k for c in counts):
        with pytest.raises(DemoInputError):
            cv.stratified_test_indices(y, k)
        return
    folds = cv.stratified_test_indices(y, k, shuffle, seed)
    assert sorted(np.concatenate(folds).tolist()) == list(range(y.size))
    for fold in folds:
        for c, count in enumerate(counts):
            assert abs(np.sum(y[fold] == c) - count / k) < 1  # each class within one example of its share
    sizes = [len(f) for f in folds]
    assert max(sizes) - min(sizes) <= 1


@settings(max_examples=100, deadline=None)
@given(counts=class_counts, k=st.integers(2, 12), data=st.data())
def test_stratified_allocation_is_a_round_robin_over_the_sorted_labels(counts, k, data):
    if all(c < k for c in counts):
        return
    y = np.repeat(np.arange(len(counts)), counts)
    y = y[data.draw(st.permutations(list(range(y.size))))]
    appearance = list(dict.fromkeys(y.tolist()))  # classes in order of first appearance
    start = 0
    ids = cv.stratified_fold_ids(y, k)
    for c in appearance:
        size = int(np.sum(y == c))
        # positions start .. start + size - 1 of the sorted labels belong to class c; fold i takes those = i mod k
        expected = [sum(1 for j in range(start, start + size) if j % k == i) for i in range(k)]
        members = np.flatnonzero(y == c)
        assert np.bincount(ids[members], minlength=k).tolist() == expected
        assert np.all(np.diff(ids[members]) >= 0)  # without shuffle, in index order
        start += size


def test_sklearn_documented_examples():
    # KFold(n_splits=2) on 4 samples: TEST [0 1], [2 3]
    assert [f.tolist() for f in cv.kfold_test_indices(4, 2)] == [[0, 1], [2, 3]]
    # StratifiedKFold(n_splits=2), y = [0, 0, 1, 1]: TEST [0 2], [1 3]
    assert [f.tolist() for f in cv.stratified_test_indices(np.array([0, 0, 1, 1]), 2)] == [[0, 2], [1, 3]]
    # KFold notes: the first n % k folds have n // k + 1 samples
    assert cv.kfold_fold_sizes(10, 3).tolist() == [4, 3, 3]


def test_holdout_rounds_the_test_size_up():
    assert cv.holdout_sizes(10, 0.25) == (7, 3)  # ceil(2.5) = 3
    assert cv.holdout_sizes(100, 0.2) == (80, 20)
    train, test = cv.holdout_indices(10, 0.25)
    assert train.tolist() == list(range(7)) and test.tolist() == [7, 8, 9]
    permutation = np.random.RandomState(42).permutation(10)
    train, test = cv.holdout_indices(10, 0.25, shuffle=True, seed=42)
    assert test.tolist() == permutation[:3].tolist() and train.tolist() == permutation[3:].tolist()
    with pytest.raises(DemoInputError, match="empty"):
        cv.holdout_sizes(3, 0.999)


def test_claims_at_defaults():
    out = registry.run_json("cross-validation", {})
    assert out["kfold_fold_sizes"] == [5, 5, 4, 4, 4]
    assert [c[1] for c in out["kfold_fold_class_counts"]] == [0, 0, 0, 1, 4]
    assert [c[1] for c in out["stratified_fold_class_counts"]] == [1, 1, 1, 1, 1]
    assert out["stratified_max_class_gap"] < 1 < out["kfold_max_class_gap"]
    assert (out["holdout_n_train"], out["holdout_n_test"]) == (16, 6)
    assert out["holdout_test_class_counts"] == [1, 5]
    # the hold-out estimate varies more than 5-fold CV's; F-test-like margin for 400 data sets
    assert out["holdout_std"] > 1.3 * out["kfold_std"]


def test_population_accuracy_matches_a_large_fresh_sample():
    rng = np.random.default_rng(3)
    means = np.array([[[0.2, -0.1], [0.9, 0.3]]])  # a fitted model: (1 data set, 2 classes, 2 features)
    class_means = np.array([[0.0, 0.0], [1.0, 0.0]])
    priors = np.array([0.7, 0.3])
    exact = cv.population_accuracy(means, class_means, priors)[0]
    m = 400_000
    y = (rng.random(m) < priors[1]).astype(int)
    x = class_means[y] + rng.standard_normal((m, 2))
    predicted = (((x - means[0, 1]) ** 2).sum(axis=1) < ((x - means[0, 0]) ** 2).sum(axis=1)).astype(int)
    accuracy = np.mean(predicted == y)
    assert abs(accuracy - exact) <= Z * math.sqrt(exact * (1 - exact) / m)


def _holdout_truth_by_loop(counts, test_size, separation, trials, seed):
    """Expected true accuracy of a model fitted on a random hold-out training part, scalar code."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], counts)
    n_test = math.ceil(test_size * y.size)
    values = []
    for _ in range(trials):
        x = rng.standard_normal((y.size, 2))
        x[:, 0] += separation * y
        train = rng.permutation(y.size)[n_test:]
        m0, m1 = x[train][y[train] == 0].mean(axis=0), x[train][y[train] == 1].mean(axis=0)
        w, b = m1 - m0, (m1 @ m1 - m0 @ m0) / 2
        norm = math.sqrt(w @ w)
        right1 = 0.5 * (1 + math.erf((w[0] * separation - b) / norm / math.sqrt(2)))
        right0 = 0.5 * (1 + math.erf(b / norm / math.sqrt(2)))
        values.append((counts[0] * right0 + counts[1] * right1) / y.size)
    values = np.array(values)
    return values.mean(), values.std(ddof=1) / math.sqrt(trials)


def test_holdout_estimate_is_unbiased_for_its_smaller_training_set():
    counts, trials = (30, 30), 3000
    out = cv.compute(class_counts=counts, mc_trials=trials, separation=1.5, seed=5)
    expected, expected_se = _holdout_truth_by_loop(counts, 0.25, 1.5, 3000, seed=11)
    se = math.hypot(out.holdout_std / math.sqrt(trials), expected_se)
    assert abs(out.holdout_mean - expected) <= Z * se
    # and it is pessimistic for the model trained on everything, which has more data
    assert out.true_accuracy > expected


def test_simulation_is_skipped_unless_two_classes():
    assert cv.compute(class_counts=(103,), mc_trials=400).true_accuracy is None
    assert cv.compute(class_counts=(5, 5, 5), n_splits=3).holdout_mean is None
    assert cv.compute(mc_trials=0).mc_trials == 0
    with pytest.raises(DemoInputError, match="--mc-trials"):
        cv.compute(class_counts=(50000, 50000), mc_trials=400)


def test_bad_inputs_are_refused():
    with pytest.raises(DemoInputError, match="whole"):
        cv.compute(class_counts=(2.5, 3))
    with pytest.raises(DemoInputError, match="n-splits"):
        cv.compute(class_counts=(2, 1), n_splits=5)
