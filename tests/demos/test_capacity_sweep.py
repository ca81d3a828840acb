"""capacity-sweep: k-NN and the tree against direct loops, and the bias-variance reading the
data-reading questions rely on (flexible end: low train, high validation error)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from mlquiz.demokit import registry
from mlquiz.demos import capacity_sweep as demo
from mlquiz.errors import DemoInputError

NAME = "capacity-sweep"


@pytest.fixture(scope="module")
def knn():
    return demo.compute(model="knn")


@pytest.fixture(scope="module")
def tree():
    return demo.compute(model="tree")


def _knn_loop(X_train, y_train, x, k):
    distances = sorted((float(np.sum((x - p) ** 2)), i) for i, p in enumerate(X_train))
    ones = sum(int(y_train[i]) for _, i in distances[:k])
    return int(ones > k / 2)


def test_knn_predictions_against_a_loop():
    rng = np.random.default_rng(5)
    X_train, y_train, _ = demo.make_data(40, 0.2, rng)
    X = rng.uniform(-1, 1, (15, 2))
    ks = [1, 3, 7, 39]
    pred = demo.knn_predict(X_train, y_train, X, ks)
    for row, k in enumerate(ks):
        assert pred[row].tolist() == [_knn_loop(X_train, y_train, x, k) for x in X], k


def test_one_nn_on_its_own_training_set_is_perfect():
    rng = np.random.default_rng(6)
    X, y, _ = demo.make_data(50, 0.3, rng)
    assert np.array_equal(demo.knn_predict(X, y, X, [1])[0], y)


def _gini(labels):
    if not labels:
        return 0.0
    p = sum(labels) / len(labels)
    return 2 * p * (1 - p)


def test_the_best_split_against_every_threshold():
    rng = np.random.default_rng(7)
    x, y = rng.uniform(-1, 1, 30), (rng.random(30) < 0.4).astype(int)
    best = min((len(left := [int(b) for a, b in zip(x, y) if a <= t]) * _gini(left)
                + len(right := [int(b) for a, b in zip(x, y) if a > t]) * _gini(right)) / len(x)
               for t in np.sort(x)[:-1])
    impurity, threshold = demo.gini_split(x, y)
    assert impurity == pytest.approx(best, abs=1e-12)
    assert np.sort(x)[0] < threshold < np.sort(x)[-1]


def test_tree_truncation_is_a_depth_limited_tree():
    """The full tree cut at depth d predicts what a tree grown with max_depth d predicts."""
    rng = np.random.default_rng(8)
    X, y, _ = demo.make_data(80, 0.1, rng)
    full = demo.grow_tree(X, y, 10)
    for depth in (1, 2, 4):
        limited = demo.grow_tree(X, y, depth)
        assert np.array_equal(demo.tree_predict(full, X, depth), demo.tree_predict(limited, X, depth))


def test_knn_reads_as_a_bias_variance_knob(knn):
    assert knn.values[0] == 1 and knn.most_flexible == 1 and knn.simplest == knn.values[-1]
    assert knn.train_error[0] == 0.0
    assert knn.val_error_most_flexible > knn.best_val_error + 0.04  # k = 1 overfits
    assert knn.val_error_simplest > knn.best_val_error + 0.1  # the largest k underfits
    assert knn.train_error_simplest > 0.2
    assert 1 < knn.best_value < knn.simplest
    assert knn.best_value == 9 and "k 9" in knn.reading


def test_tree_reads_as_a_bias_variance_knob(tree):
    assert tree.values == list(range(1, 9))
    errors = tree.train_error
    assert all(b <= a for a, b in zip(errors, errors[1:]))  # a split never adds training mistakes
    assert errors[-1] == 0.0 and tree.train_error_simplest > 0.2
    assert tree.val_error_most_flexible > tree.best_val_error + 0.03
    assert tree.val_error_simplest > tree.best_val_error + 0.1
    assert tree.best_value == 4


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_reading_holds_at_other_seeds(seed):
    for model in ("knn", "tree"):
        result = demo.compute(model=model, seed=seed)
        assert result.best_value not in (result.most_flexible, result.simplest)
        assert result.train_error_most_flexible < result.val_error_most_flexible - 0.1


def test_noise_rate_is_the_floor(knn):
    assert knn.val_error_clean_labels == pytest.approx(0.1, abs=0.03)
    assert knn.best_val_error > knn.val_error_clean_labels - 0.03


@pytest.mark.parametrize("model", ["knn", "tree"])
def test_runs_fast(model):
    start = time.perf_counter()
    demo.compute(model=model)
    assert time.perf_counter() - start < 1.0


def test_parameters_are_validated():
    with pytest.raises(DemoInputError, match="is not valid"):
        registry.run_json(NAME, {"model": "svm"})
    with pytest.raises(DemoInputError, match="out of range"):
        registry.run_json(NAME, {"label_noise": 0.6})
    with pytest.raises(DemoInputError, match="distances"):
        registry.run_json(NAME, {"n_train": 1000, "n_val": 5000})


def test_figure_gives_no_reading_away(knn, tree):
    for result in (knn, tree):
        figure = demo.figure(result)
        assert [s.name for s in figure.series] == ["train error", "validation error"]
        assert "overfit" not in figure.title.lower() and "best" not in figure.title.lower()


def test_bars_view_prints_the_validation_errors():
    result = demo.compute(model="tree", view="bars")
    figure = demo.figure(result)
    assert figure.categories == tuple(f"depth {d}" for d in result.values)
    assert figure.series[0].y == tuple(result.val_error)
    assert result.val_error == demo.compute(model="tree").val_error  # the view changes the drawing only
