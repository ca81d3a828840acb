"""Claim: k in k-NN and the maximum depth of a decision tree are bias-variance knobs. A flexible
model (k = 1, a deep tree) fits its training set almost perfectly and has a high validation error
(high variance, overfitting); a rigid one (k near n, depth 1) has high error on both (high bias,
underfitting); the validation error is lowest in between.

Setup (seed 0): 200 training and 1000 validation points drawn from U(-1, 1)^2, labelled 1 inside
the box |x1| < 0.5, |x2| < 0.6 and 0 outside it, then 10% of the labels flipped at random in both
sets, so no classifier can get a validation error much below 0.1. Errors are misclassification rates.

- k-NN (Euclidean distance, majority vote, odd k so there are no ties): the training error counts
  each training point as its own nearest neighbour, so it is 0 at k = 1, where the validation
  error is 0.174; the validation error is lowest (0.117) at k = 9; at k = 151 both are near 0.3,
  the share of the minority class.
- Decision tree (CART: greedy axis-aligned splits minimising the weighted Gini impurity, grown
  until the leaves are pure): a tree limited to depth d is the depth-d truncation of the full
  greedy tree, each node predicting its majority. The validation error is lowest (0.116) at depth
  4; the training error reaches 0 at depth 7, where the validation error has risen to 0.159 as
  the tree memorises the flipped labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlquiz.errors import DemoInputError

META = {
    "title": "Capacity sweep: k-NN's k and a tree's depth",
    "summary": "train vs validation error of k-NN against k and of a decision tree against its depth",
    "topics": ["fundamentals", "regularization"],
    "params": {
        "model": {"type": "choice", "default": "knn", "choices": ["knn", "tree"],
                  "help": "k-NN swept over k, or a decision tree swept over its maximum depth"},
        "n_train": {"type": "int", "default": 200, "min": 10, "max": 1000, "help": "training points"},
        "n_val": {"type": "int", "default": 1000, "min": 10, "max": 5000, "help": "validation points"},
        "label_noise": {"type": "float", "default": 0.1, "min": 0.0, "max": 0.45,
                        "help": "share of labels flipped at random (in both sets)"},
        "max_depth": {"type": "int", "default": 8, "min": 1, "max": 20,
                      "help": "tree: the depths swept are 1 .. max-depth"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295, "help": "seed for the data"},
        "view": {"type": "choice", "default": "lines", "choices": ["lines", "bars"],
                 "help": "the chart: train and validation error as lines, or the validation error as labelled bars"},
    },
    "outputs": {
        "view": "the chart drawn",
        "model": "knn or tree",
        "knob": "the capacity knob swept: k or max depth",
        "values": "the values of the knob, in the order swept (k: 1, 3, 5 ... up to n_train; depth: 1 .. max_depth)",
        "train_error": "training misclassification rate at each value",
        "val_error": "validation misclassification rate at each value",
        "best_value": "the value with the lowest validation error (ties: the simpler model, larger k or smaller depth)",
        "best_val_error": "the lowest validation error",
        "train_error_at_best": "training error at best_value",
        "most_flexible": "the most flexible setting swept (k = 1, or the largest depth)",
        "train_error_most_flexible": "training error at the most flexible setting",
        "val_error_most_flexible": "validation error at the most flexible setting",
        "simplest": "the most rigid setting swept (the largest k, or depth 1)",
        "train_error_simplest": "training error at the most rigid setting",
        "val_error_simplest": "validation error at the most rigid setting",
        "val_error_clean_labels": "validation error of the true boundary itself: the share of flipped validation labels",
        "reading": "where the sweep underfits, where it overfits and where it is best",
    },
}

KS = (1, 3, 5, 7, 9, 15, 21, 31, 45, 65, 99, 151, 301, 501, 999)  # odd: a two-class vote never ties
MAX_DISTANCES = 2_000_000  # n_val x n_train distances (and twice as many differences): 48 MB at most


@dataclass(frozen=True)
class CapacitySweep:
    view: str
    model: str
    knob: str
    values: list
    train_error: list
    val_error: list
    best_value: int
    best_val_error: float
    train_error_at_best: float
    most_flexible: int
    train_error_most_flexible: float
    val_error_most_flexible: float
    simplest: int
    train_error_simplest: float
    val_error_simplest: float
    val_error_clean_labels: float
    reading: str


def make_data(n: int, label_noise: float, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X (n, 2) from U(-1, 1)^2, noisy labels y (n,) and which labels were flipped (n,)."""
    X = rng.uniform(-1.0, 1.0, (n, 2))
    clean = ((np.abs(X[:, 0]) < 0.5) & (np.abs(X[:, 1]) < 0.6)).astype(int)
    flipped = rng.random(n) < label_noise
    return X, np.where(flipped, 1 - clean, clean), flipped


# ----------------------------------------------------------------------------- k-NN

def knn_predict(X_train, y_train, X, ks) -> np.ndarray:
    """Majority vote of the k nearest training points (Euclidean), for each k: (len(ks), len(X)).

    A point of X that is also in X_train is its own nearest neighbour (distance 0). Distances are
    ordered by a stable sort, so equal distances keep the training order.
    """
    d2 = ((X[:, None, :] - X_train[None, :, :]) ** 2).sum(axis=2)
    order = np.argsort(d2, axis=1, kind="stable")
    votes = np.cumsum(y_train[order], axis=1)  # votes[i, j]: ones among the j + 1 nearest
    return np.stack([(2 * votes[:, k - 1] > k).astype(int) for k in ks])


# ----------------------------------------------------------------------------- decision tree

def gini_split(x: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
    """The best threshold on one feature: (weighted Gini of the two sides, threshold), or None.

    Notes
    -----
    Gini of a node with a share p of ones is :math:`2p(1-p)`; a split's impurity is the
    size-weighted mean over the two sides. Thresholds are midpoints between consecutive distinct
    values; points with x <= threshold go left.
    """
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    n = len(ys)
    left_n = np.arange(1, n)
    left_ones = np.cumsum(ys)[:-1]
    right_n = n - left_n
    right_ones = ys.sum() - left_ones
    p_l, p_r = left_ones / left_n, right_ones / right_n
    impurity = (left_n * 2 * p_l * (1 - p_l) + right_n * 2 * p_r * (1 - p_r)) / n
    valid = xs[1:] > xs[:-1]
    if not valid.any():
        return None
    impurity = np.where(valid, impurity, np.inf)
    i = int(np.argmin(impurity))
    return float(impurity[i]), float((xs[i] + xs[i + 1]) / 2)


def majority(y: np.ndarray) -> int:
    return int(2 * y.sum() > len(y))  # a tie goes to class 0


def grow_tree(X: np.ndarray, y: np.ndarray, max_depth: int, depth: int = 0) -> dict:
    """The greedy CART tree to ``max_depth``: nested dicts with the node's majority ``label`` and,
    where it splits, ``feature``, ``threshold``, ``left`` and ``right``."""
    node = {"label": majority(y)}
    if depth == max_depth or y.min() == y.max():
        return node
    best = None
    for feature in range(X.shape[1]):
        split = gini_split(X[:, feature], y)
        if split is not None and (best is None or split[0] < best[0]):
            best = (split[0], split[1], feature)
    if best is None:
        return node
    _, threshold, feature = best
    go_left = X[:, feature] <= threshold
    node.update(feature=feature, threshold=threshold,
                left=grow_tree(X[go_left], y[go_left], max_depth, depth + 1),
                right=grow_tree(X[~go_left], y[~go_left], max_depth, depth + 1))
    return node


def tree_predict(tree: dict, X: np.ndarray, depth: int) -> np.ndarray:
    """Predictions of the tree truncated to ``depth`` (a node at that depth answers its majority)."""
    out = np.empty(len(X), dtype=int)
    for i, x in enumerate(X):
        node, level = tree, 0
        while "feature" in node and level < depth:
            node = node["left"] if x[node["feature"]] <= node["threshold"] else node["right"]
            level += 1
        out[i] = node["label"]
    return out


# ----------------------------------------------------------------------------- the sweep

def compute(model: str = "knn", n_train: int = 200, n_val: int = 1000, label_noise: float = 0.1,
            max_depth: int = 8, seed: int = 0, view: str = "lines") -> CapacitySweep:
    """Train and validation error over the capacity knob."""
    if model == "knn" and n_train * n_val > MAX_DISTANCES:
        raise DemoInputError(f"--n-train {n_train} x --n-val {n_val} is more than {MAX_DISTANCES:,} distances; "
                             "lower one of them")
    rng = np.random.default_rng(seed)
    X_train, y_train, _ = make_data(n_train, label_noise, rng)
    X_val, y_val, flipped_val = make_data(n_val, label_noise, rng)
    if model == "knn":
        values = [k for k in KS if k <= n_train]
        train_pred = knn_predict(X_train, y_train, X_train, values)
        val_pred = knn_predict(X_train, y_train, X_val, values)
        knob, flexible, simple = "k", values[0], values[-1]
    else:
        values = list(range(1, max_depth + 1))
        tree = grow_tree(X_train, y_train, max_depth)
        train_pred = np.stack([tree_predict(tree, X_train, d) for d in values])
        val_pred = np.stack([tree_predict(tree, X_val, d) for d in values])
        knob, flexible, simple = "max depth", values[-1], values[0]
    train_error = [float(np.mean(p != y_train)) for p in train_pred]
    val_error = [float(np.mean(p != y_val)) for p in val_pred]
    # ties go to the simpler model: the largest k, the smallest depth
    order = range(len(values) - 1, -1, -1) if model == "knn" else range(len(values))
    best = min(order, key=lambda i: val_error[i])
    i_flex, i_simple = values.index(flexible), values.index(simple)
    reading = _reading(model, flexible, train_error[i_flex], val_error[i_flex], simple, train_error[i_simple],
                       val_error[i_simple], values[best], val_error[best])
    return CapacitySweep(
        view=view, model=model, knob=knob, values=values, train_error=train_error, val_error=val_error,
        best_value=values[best], best_val_error=val_error[best], train_error_at_best=train_error[best],
        most_flexible=flexible, train_error_most_flexible=train_error[i_flex],
        val_error_most_flexible=val_error[i_flex], simplest=simple, train_error_simplest=train_error[i_simple],
        val_error_simplest=val_error[i_simple], val_error_clean_labels=float(flipped_val.mean()), reading=reading,
    )


# ----------------------------------------------------------------------------- drawing

def _reading(model, flexible, train_flexible, val_flexible, simple, train_simple, val_simple, best, val_best,
             _=lambda message: message):
    """The sweep's one-line reading: English in the result (``_`` leaves it as it is), translated on screen."""
    name = "k" if model == "knn" else _("depth")
    return _("At {name} {flexible} (most flexible) the training error is {train_flexible:.2f} but the validation "
             "error {val_flexible:.2f}: overfitting, high variance. At {name} {simple} (most rigid) both are high "
             "({train_simple:.2f}, {val_simple:.2f}): underfitting, high bias. The validation error is lowest at "
             "{name} {best} ({val_best:.3f}).").format(
        name=name, flexible=flexible, train_flexible=train_flexible, val_flexible=val_flexible, simple=simple,
        train_simple=train_simple, val_simple=val_simple, best=best, val_best=val_best)


def _shown_reading(result: CapacitySweep) -> str:
    from mlquiz.i18n import _

    return _reading(result.model, result.most_flexible, result.train_error_most_flexible,
                    result.val_error_most_flexible, result.simplest, result.train_error_simplest,
                    result.val_error_simplest, result.best_value, result.best_val_error, _)


def figure(result: CapacitySweep):
    """Train and validation error against the knob."""
    from mlquiz.charts import Figure, Series
    from mlquiz.i18n import _

    reading = _shown_reading(result)
    if result.view == "bars":  # the values printed: the minimum is read exactly
        name = "k" if result.model == "knn" else _("depth")
        return Figure.bars(_("k-NN: validation error") if result.model == "knn" else _("Decision tree: validation error"),
                           [f"{name} {v}" for v in result.values], result.val_error, y_label=_("validation error"),
                           value_format="{:.3f}", caption=reading)
    x = tuple(float(v) for v in result.values)
    title = (_("k-NN classifier: error against k") if result.model == "knn"
             else _("Decision tree: error against maximum depth"))
    return Figure(title, _("k (neighbours)") if result.model == "knn" else _("max depth"), _("error rate"),
                  (Series(_("train error"), x, tuple(result.train_error)),
                   Series(_("validation error"), x, tuple(result.val_error))), caption=reading)


def render(result: CapacitySweep):
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import draw
    from mlquiz.i18n import _

    knob = {"k": "k", "max depth": _("max depth")}.get(result.knob, result.knob)
    table = Table(title=_("{model}: error by {knob}").format(model=result.model, knob=knob), box=None)
    for column in (knob, _("train error"), _("validation error")):
        table.add_column(column, justify="right")
    for value, train, val in zip(result.values, result.train_error, result.val_error):
        table.add_row(str(value), f"{train:.3f}", f"{val:.3f}" + (_(" best") if value == result.best_value else ""))
    return Group(draw(figure(result)), table)
