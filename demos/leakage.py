"""Claim: a preprocessing step that looks at the labels must be fitted inside each training fold.
On pure noise (labels independent of 1000 features, 50 examples, balanced classes) choosing the 20
features most correlated with the labels on ALL the data and then cross-validating a classifier on
them scores 0.94, although nothing can beat chance (0.5); doing the selection inside each fold
scores 0.52, chance within its standard error of 0.02. Reporting the best cross-validated score
over several choices of how many features to keep is optimistic too (0.58); nested
cross-validation, which makes that choice inside each outer training fold, is back at 0.50.
Standardising with statistics of all the data never sees a label, so on noise it inflates nothing
(0.53 both ways, within the standard error of chance); it still breaks the protocol (the test rows
shaped the scaler), which matters under drift or a time order.

Setup, per simulated data set (``trials`` of them): X ~ N(0, 1) of shape (n_samples, n_features),
labels alternating 0, 1 (balanced), independent of X. Folds are stratified and shuffled (as
StratifiedKFold(shuffle=True)), so every test fold is balanced and the chance score is exactly 0.5.
Selection keeps the ``n_selected`` features of largest |Pearson correlation| with the labels (for
two classes the same ranking as SelectKBest(f_classif)). The classifier is nearest centroid
(Euclidean, sklearn's NearestCentroid); a fold's score is its accuracy and a data set's score the
mean over folds, as cross_val_score(...).mean(). "Leaky" fits the step on all n examples before
the split; "proper" fits it on the training part of each fold only (a Pipeline inside the CV).
Tuning chooses the number of features among ``candidates`` by the (proper) CV score, ties going
to the first candidate as in GridSearchCV; its "best score" is GridSearchCV's best_score_, and the
nested score runs that whole search inside each outer training fold with inner folds of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlquiz.errors import DemoInputError
from mlquiz.i18n import msg

META = {
    "title": "Leakage: feature selection or tuning outside the cross-validation",
    "summary": "on pure noise, feature selection fitted before CV scores ~0.94 against chance 0.5; inside CV 0.5",
    "topics": ["evaluation"],
    "params": {
        "n_samples": {"type": "int", "default": 50, "min": 10, "max": 1000, "help": "examples per data set"},
        "n_features": {"type": "int", "default": 1000, "min": 1, "max": 20000, "help": "pure-noise features"},
        "n_selected": {"type": "int", "default": 20, "min": 1, "max": 20000,
                       "help": "features kept by the selection (at most n_features)"},
        "n_splits": {"type": "int", "default": 5, "min": 2, "max": 20, "help": "folds of the cross-validation"},
        "candidates": {"type": "choices", "default": "1,2,5,10,20,50,100",
                       "choices": ["1", "2", "5", "10", "20", "50", "100", "200", "500", "1000"],
                       "help": "numbers of features the tuning chooses among (those above n_features are dropped)"},
        "trials": {"type": "int", "default": 30, "min": 2, "max": 2000, "help": "simulated data sets"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295, "help": "random seed"},
    },
    "outputs": {
        "n_samples": "examples per data set",
        "n_features": "noise features",
        "n_selected": "features kept by the selection",
        "n_splits": "folds",
        "trials": "simulated data sets",
        "chance": "the best accuracy any classifier can have on these labels: 0.5",
        "leaky_selection": "mean CV accuracy with the features selected on all the data first",
        "proper_selection": "mean CV accuracy with the selection redone in each training fold",
        "selection_inflation": "leaky_selection - proper_selection",
        "leaky_selection_se": "standard error of leaky_selection over the data sets",
        "proper_selection_se": "standard error of proper_selection",
        "leaky_selection_min": "lowest leaky CV accuracy of any data set",
        "leaky_scaling": "mean CV accuracy (all features) after standardising with all-data statistics",
        "proper_scaling": "the same with each training fold's statistics",
        "scaling_inflation": "leaky_scaling - proper_scaling",
        "scaling_se": "standard error of proper_scaling",
        "candidates": "the numbers of features the tuning chose among",
        "tuned_best_score": "mean best CV score over the candidates (GridSearchCV.best_score_), not nested",
        "nested_score": "mean nested-CV accuracy: the choice made inside each outer training fold",
        "tuning_optimism": "tuned_best_score - nested_score",
        "tuned_best_score_se": "standard error of tuned_best_score",
        "nested_score_se": "standard error of nested_score",
    },
}

MAX_VALUES = 50_000_000  # trials * n_samples * n_features drawn: ~0.4 s of work per 10 million


@dataclass(frozen=True)
class Leakage:
    n_samples: int
    n_features: int
    n_selected: int
    n_splits: int
    trials: int
    chance: float
    leaky_selection: float
    proper_selection: float
    selection_inflation: float
    leaky_selection_se: float
    proper_selection_se: float
    leaky_selection_min: float
    leaky_scaling: float
    proper_scaling: float
    scaling_inflation: float
    scaling_se: float
    candidates: list
    tuned_best_score: float
    nested_score: float
    tuning_optimism: float
    tuned_best_score_se: float
    nested_score_se: float


def stratified_folds(y: np.ndarray, n_splits: int, rng: np.random.Generator) -> np.ndarray:
    """A fold id per example: each class dealt round robin to the folds, then shuffled within the class."""
    ids = np.empty(y.size, dtype=np.int64)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        ids[members] = rng.permutation(np.arange(members.size) % n_splits)
    return ids


def feature_order(X: np.ndarray, y: np.ndarray, top: int | None = None) -> np.ndarray:
    """Feature indices by decreasing |corr(x_j, y)|: all p of them, or only the first ``top``.

    Notes
    -----
    sum (x - mean x)(y - mean y) = sum x (y - mean y), so X needs no centring; only the ``top`` largest
    are sorted. For two classes |r| is monotone in the F statistic of f_classif
    (F = (n - 2) r^2 / (1 - r^2)), so the first k are SelectKBest(f_classif, k)'s.
    """
    n = X.shape[0]
    yc = y - y.mean()
    spread = np.sqrt(np.maximum((X * X).sum(axis=0) - n * X.mean(axis=0) ** 2, 0.0)) + 1e-300
    strength = np.abs(yc @ X) / spread  # |r| up to the constant factor ||yc||
    if top is None or top >= strength.size:
        return np.argsort(-strength, kind="stable")
    first = np.argpartition(-strength, top - 1)[:top]
    return first[np.argsort(-strength[first], kind="stable")]


def nearest_centroid_by_k(X_train, y_train, X_test, order, ks) -> np.ndarray:
    """Predictions of nearest centroid on the first k features of ``order``, for every k in ``ks``.

    Returns shape (len(ks), n_test). Squared distances over the ordered features are cumulated once,
    so each k costs nothing extra.
    """
    cols = order[: max(ks)]
    Xtr, Xte = X_train[:, cols], X_test[:, cols]
    d0 = np.cumsum((Xte - Xtr[y_train == 0].mean(axis=0)) ** 2, axis=1)
    d1 = np.cumsum((Xte - Xtr[y_train == 1].mean(axis=0)) ** 2, axis=1)
    index = np.asarray(ks) - 1
    return (d1[:, index] < d0[:, index]).T.astype(int)


def cv_scores_by_k(X, y, folds, ks, order=None) -> np.ndarray:
    """Mean-over-folds accuracy for each k; the ranking is redone per training fold unless ``order`` is given."""
    n_splits = int(folds.max()) + 1
    scores = np.zeros(len(ks))
    for i in range(n_splits):
        train, test = folds != i, folds == i
        fold_order = order if order is not None else feature_order(X[train], y[train], max(ks))
        predicted = nearest_centroid_by_k(X[train], y[train], X[test], fold_order, ks)
        scores += (predicted == y[test]).mean(axis=1)
    return scores / n_splits


def scaled_cv_score(X, y, folds, leaky: bool) -> float:
    """CV accuracy of nearest centroid on all features after z-scoring (all-data or training-fold statistics)."""
    n_splits = int(folds.max()) + 1
    all_mean, all_std = X.mean(axis=0), X.std(axis=0)
    total = 0.0
    for i in range(n_splits):
        train, test = folds != i, folds == i
        mean, std = (all_mean, all_std) if leaky else (X[train].mean(axis=0), X[train].std(axis=0))
        scale = np.where(std > 0, std, 1.0)  # StandardScaler leaves a constant feature unscaled
        Z_train, Z_test, y_train = (X[train] - mean) / scale, (X[test] - mean) / scale, y[train]
        d0 = ((Z_test - Z_train[y_train == 0].mean(axis=0)) ** 2).sum(axis=1)
        d1 = ((Z_test - Z_train[y_train == 1].mean(axis=0)) ** 2).sum(axis=1)
        total += float(((d1 < d0).astype(int) == y[test]).mean())
    return total / n_splits


def nested_score(X, y, folds, ks, rng: np.random.Generator) -> float:
    """Outer CV whose every training part runs its own inner CV to choose k, then refits with it."""
    n_splits = int(folds.max()) + 1
    total = 0.0
    for i in range(n_splits):
        train, test = folds != i, folds == i
        X_train, y_train = X[train], y[train]
        inner = stratified_folds(y_train, n_splits, rng)
        best_k = ks[int(np.argmax(cv_scores_by_k(X_train, y_train, inner, ks)))]  # first of the ties
        predicted = nearest_centroid_by_k(X_train, y_train, X[test], feature_order(X_train, y_train, best_k), [best_k])[0]
        total += float((predicted == y[test]).mean())
    return total / n_splits


def _se(values: np.ndarray) -> float:
    return float(values.std(ddof=1) / math.sqrt(values.size))


def compute(n_samples: int = 50, n_features: int = 1000, n_selected: int = 20, n_splits: int = 5,
            candidates: tuple = ("1", "2", "5", "10", "20", "50", "100"), trials: int = 30,
            seed: int = 0) -> Leakage:
    """Leaky and proper CV scores of selection, scaling and tuning on pure-noise data."""
    if n_selected > n_features:
        raise DemoInputError(msg("--n-selected {n_selected} is more than --n-features {n_features}; lower it",
                                 n_selected=n_selected, n_features=n_features))
    if n_samples < 2 * n_splits:
        raise DemoInputError(msg("--n-samples {n_samples} gives some class fewer than {n_splits} examples; "
                                 "use at least {least} or fewer --n-splits",
                                 n_samples=n_samples, n_splits=n_splits, least=2 * n_splits))
    if trials * n_samples * n_features > MAX_VALUES:
        raise DemoInputError(msg("--trials x --n-samples x --n-features is more than {limit}; lower --trials "
                                 "to {trials} or fewer", limit=f"{MAX_VALUES:,}",
                                 trials=max(2, MAX_VALUES // (n_samples * n_features))))
    ks = sorted(int(c) for c in candidates if int(c) <= n_features) or [1]
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % 2
    results = {name: np.empty(trials) for name in ("leaky", "proper", "leaky_scale", "proper_scale", "best", "nested")}
    for t in range(trials):
        X = rng.standard_normal((n_samples, n_features))
        folds = stratified_folds(y, n_splits, rng)
        results["leaky"][t] = cv_scores_by_k(X, y, folds, [n_selected], order=feature_order(X, y, n_selected))[0]
        by_k = cv_scores_by_k(X, y, folds, sorted(set(ks) | {n_selected}))
        lookup = dict(zip(sorted(set(ks) | {n_selected}), by_k))
        results["proper"][t] = lookup[n_selected]
        results["best"][t] = max(lookup[k] for k in ks)
        results["leaky_scale"][t] = scaled_cv_score(X, y, folds, leaky=True)
        results["proper_scale"][t] = scaled_cv_score(X, y, folds, leaky=False)
        results["nested"][t] = nested_score(X, y, folds, ks, rng)
    mean = {name: float(values.mean()) for name, values in results.items()}
    return Leakage(
        n_samples=n_samples,
        n_features=n_features,
        n_selected=n_selected,
        n_splits=n_splits,
        trials=trials,
        chance=0.5,
        leaky_selection=mean["leaky"],
        proper_selection=mean["proper"],
        selection_inflation=mean["leaky"] - mean["proper"],
        leaky_selection_se=_se(results["leaky"]),
        proper_selection_se=_se(results["proper"]),
        leaky_selection_min=float(results["leaky"].min()),
        leaky_scaling=mean["leaky_scale"],
        proper_scaling=mean["proper_scale"],
        scaling_inflation=mean["leaky_scale"] - mean["proper_scale"],
        scaling_se=_se(results["proper_scale"]),
        candidates=ks,
        tuned_best_score=mean["best"],
        nested_score=mean["nested"],
        tuning_optimism=mean["best"] - mean["nested"],
        tuned_best_score_se=_se(results["best"]),
        nested_score_se=_se(results["nested"]),
    )


def render(result: Leakage):
    from rich.console import Group

    from mlquiz.charts import bar_chart, key_values
    from mlquiz.i18n import _

    summary = key_values(
        _("pure noise: {samples} examples, {features} features, {splits}-fold CV, {trials} data sets").format(
            samples=result.n_samples, features=result.n_features, splits=result.n_splits, trials=result.trials),
        [
            (_("chance (the true accuracy)"), f"{result.chance:.2f}"),
            (_("select {k} on all data, then CV").format(k=result.n_selected),
             f"{result.leaky_selection:.3f} ± {result.leaky_selection_se:.3f}"),
            (_("select {k} inside each fold").format(k=result.n_selected),
             f"{result.proper_selection:.3f} ± {result.proper_selection_se:.3f}"),
            (_("scale with all-data stats / fold stats"), f"{result.leaky_scaling:.3f} / {result.proper_scaling:.3f}"),
            (_("best CV score over k (not nested)"), f"{result.tuned_best_score:.3f} ± {result.tuned_best_score_se:.3f}"),
            (_("nested CV"), f"{result.nested_score:.3f} ± {result.nested_score_se:.3f}"),
        ],
    )
    chart = bar_chart(_("mean CV accuracy (chance is 0.5)"),
                      [_("selection before CV"), _("selection inside CV"), _("scaling before CV"),
                       _("scaling inside CV"), _("best over k, not nested"), _("nested CV")],
                      [result.leaky_selection, result.proper_selection, result.leaky_scaling, result.proper_scaling,
                       result.tuned_best_score, result.nested_score], value_format="{:.3f}")
    return Group(summary, chart)
