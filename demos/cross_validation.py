"""Claim: k-fold cross-validation uses every example for testing once and averages k scores, so
its estimate varies less from one data set to the next than a single hold-out split's; stratified
folds keep each class's share in every fold within one example of its average. At the defaults
(22 examples, 17 of class 0 then 5 of class 1, as in a file sorted by label; 5 folds) unshuffled
KFold gives folds of 5, 5, 4, 4, 4 and puts four of the five positives in the last fold, while
StratifiedKFold gives every fold exactly one. Over 400 simulated data sets of the same shape the
hold-out estimate's standard deviation is 1.6 times that of 5-fold cross-validation (0.21
against 0.13). The unshuffled hold-out split is worse still: its test set is the last 6 examples, 5 of
them positive.

Splits follow scikit-learn exactly (``mlquiz demo cross-validation ... --json`` against
sklearn.model_selection on ``np.arange(n)`` and the labels):

- KFold(n_splits, shuffle=False): consecutive folds in index order; the first n % n_splits folds
  have n // n_splits + 1 examples, the rest n // n_splits. sklearn raises if n_splits > n.
- StratifiedKFold: classes in order of first appearance; fold i takes the i-th, (i + k)-th, ...
  entries of the labels sorted by class (a round robin), which fixes how many of each class each
  fold gets (floor or ceil of count / k); within a class, examples go to folds in index order.
  sklearn raises if every class has fewer than n_splits members and warns if one has.
- train_test_split(test_size, shuffle=False): n_test = ceil(test_size * n), n_train = n - n_test;
  the first n_train indices train, the next n_test test. sklearn's train_test_split shuffles by
  default (shuffle=True); KFold and StratifiedKFold do not.
- With ``--shuffle`` each splitter draws from np.random.RandomState(seed), which is what sklearn
  does with random_state=seed: KFold shuffles the indices, StratifiedKFold shuffles each class's
  fold labels, train_test_split takes a permutation's first n_test entries as the test set. Test
  indices are reported sorted, as KFold.split yields them; hold-out indices in sklearn's order.

The simulation (exactly two classes) redraws the features many times, keeping the class counts:
x ~ N(mean of its class, I) in two dimensions with the class means ``separation`` apart. A
nearest-centroid classifier is scored by a shuffled hold-out split, shuffled 5-fold KFold and
StratifiedKFold (mean of the fold accuracies, as cross_val_score(...).mean()), and, exactly through
the normal CDF, on the population by the model fitted to all the data (its true accuracy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlquiz.errors import DemoInputError
from mlquiz.i18n import msg

META = {
    "title": "Hold-out, KFold and StratifiedKFold: fold order and the variance of the estimate",
    "summary": "sklearn's KFold and StratifiedKFold folds, hold-out sizes, and how much the estimates vary",
    "topics": ["evaluation"],
    "params": {
        "class_counts": {"type": "floats", "default": "17,5", "min": 1, "max": 100000,
                         "help": "examples per class; labels are sorted by class (all of class 0 first), "
                                 "as in a file sorted by label"},
        "n_splits": {"type": "int", "default": 5, "min": 2, "max": 1000,
                     "help": "folds k (sklearn's default 5)"},
        "test_size": {"type": "float", "default": 0.25, "min": 0.001, "max": 0.999,
                      "help": "hold-out share (train_test_split's default 0.25): n_test = ceil(test_size * n)"},
        "shuffle": {"type": "flag", "help": "shuffle with np.random.RandomState(seed), as sklearn's random_state"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295,
                 "help": "random_state for --shuffle, and the simulation's seed"},
        "mc_trials": {"type": "int", "default": 400, "min": 0, "max": 100000,
                      "help": "simulated data sets for the variance of the estimates (0 skips; needs two classes)"},
        "separation": {"type": "float", "default": 1.0, "min": 0.0, "max": 10.0,
                       "help": "distance between the two class means in the simulation, in standard deviations"},
    },
    "outputs": {
        "n_samples": "n, the sum of class_counts",
        "class_counts": "examples per class",
        "n_splits": "folds k",
        "kfold_fold_sizes": "KFold test-fold sizes, in fold order",
        "kfold_test_folds": "KFold test indices per fold (sorted)",
        "kfold_fold_class_counts": "examples of each class in each KFold test fold",
        "kfold_max_class_gap": "largest |count of a class in a fold - class count / k| over KFold folds",
        "stratified_fold_sizes": "StratifiedKFold test-fold sizes",
        "stratified_test_folds": "StratifiedKFold test indices per fold (sorted)",
        "stratified_fold_class_counts": "examples of each class in each StratifiedKFold test fold",
        "stratified_max_class_gap": "the same gap for StratifiedKFold (always below 1)",
        "holdout_n_train": "train_test_split training size: n - ceil(test_size * n)",
        "holdout_n_test": "train_test_split test size: ceil(test_size * n)",
        "holdout_train": "training indices in sklearn's order",
        "holdout_test": "test indices in sklearn's order",
        "holdout_test_class_counts": "examples of each class in the hold-out test set",
        "mc_trials": "simulated data sets (null outputs below if 0 or not two classes)",
        "true_accuracy": "mean over data sets of the all-data model's exact population accuracy",
        "true_accuracy_std": "its standard deviation over data sets",
        "holdout_mean": "mean hold-out estimate (one shuffled split)",
        "holdout_std": "its standard deviation over data sets",
        "holdout_rmse": "root mean squared error against each data set's true accuracy",
        "kfold_mean": "mean shuffled KFold estimate (mean of the fold accuracies)",
        "kfold_std": "its standard deviation over data sets",
        "kfold_rmse": "root mean squared error against the true accuracy",
        "stratified_mean": "mean shuffled StratifiedKFold estimate",
        "stratified_std": "its standard deviation over data sets",
        "stratified_rmse": "root mean squared error against the true accuracy",
        "std_ratio_holdout_to_kfold": "holdout_std / kfold_std",
    },
}

MAX_MC_VALUES = 2_000_000  # mc_trials * n examples simulated: ~0.3 s; more adds digits, not insight
N_FEATURES = 2  # the simulation's dimension: enough for a non-trivial nearest-centroid boundary


@dataclass(frozen=True)
class CrossValidation:
    n_samples: int
    class_counts: list
    n_splits: int
    kfold_fold_sizes: list
    kfold_test_folds: list
    kfold_fold_class_counts: list
    kfold_max_class_gap: float
    stratified_fold_sizes: list
    stratified_test_folds: list
    stratified_fold_class_counts: list
    stratified_max_class_gap: float
    holdout_n_train: int
    holdout_n_test: int
    holdout_train: list
    holdout_test: list
    holdout_test_class_counts: list
    mc_trials: int
    true_accuracy: float | None
    true_accuracy_std: float | None
    holdout_mean: float | None
    holdout_std: float | None
    holdout_rmse: float | None
    kfold_mean: float | None
    kfold_std: float | None
    kfold_rmse: float | None
    stratified_mean: float | None
    stratified_std: float | None
    stratified_rmse: float | None
    std_ratio_holdout_to_kfold: float | None


# ----- the splitters, as scikit-learn builds them
def kfold_fold_sizes(n_samples: int, n_splits: int) -> np.ndarray:
    """n // k per fold, plus one for the first n % k folds."""
    sizes = np.full(n_splits, n_samples // n_splits, dtype=np.int64)
    sizes[: n_samples % n_splits] += 1
    return sizes


def kfold_test_indices(n_samples: int, n_splits: int, shuffle: bool = False, seed: int = 0) -> list[np.ndarray]:
    """KFold(n_splits, shuffle, random_state=seed).split: each fold's test indices, sorted."""
    if n_splits > n_samples:
        raise DemoInputError(msg("--n-splits {splits} is more than the {n} examples; lower it", splits=n_splits, n=n_samples))
    indices = np.arange(n_samples)
    if shuffle:
        np.random.RandomState(seed).shuffle(indices)
    bounds = np.r_[0, np.cumsum(kfold_fold_sizes(n_samples, n_splits))]
    return [np.sort(indices[bounds[i]:bounds[i + 1]]) for i in range(n_splits)]


def stratified_fold_ids(y: np.ndarray, n_splits: int, shuffle: bool = False, seed: int = 0) -> np.ndarray:
    """StratifiedKFold._make_test_folds: the test fold of each example, shape (n,).

    Notes
    -----
    Classes are numbered by first appearance. Sorting the labels and dealing them round robin to
    the k folds fixes how many of each class go to each fold; each class then hands out its fold
    labels in index order (shuffled per class with --shuffle).
    """
    y = np.asarray(y)
    _, first, inverse = np.unique(y, return_index=True, return_inverse=True)
    _, by_appearance = np.unique(first, return_inverse=True)
    encoded = by_appearance[inverse]
    n_classes = first.size
    class_sizes = np.bincount(encoded)
    if np.all(n_splits > class_sizes):
        raise DemoInputError(msg("--n-splits {splits} is more than every class's count; sklearn refuses this: "
                                 "lower --n-splits", splits=n_splits))
    dealt = np.sort(encoded)
    allocation = np.array([np.bincount(dealt[i::n_splits], minlength=n_classes) for i in range(n_splits)])
    rng = np.random.RandomState(seed) if shuffle else None
    fold_ids = np.empty(y.size, dtype=np.int64)
    for k in range(n_classes):
        labels = np.repeat(np.arange(n_splits), allocation[:, k])
        if rng is not None:
            rng.shuffle(labels)
        fold_ids[encoded == k] = labels
    return fold_ids


def stratified_test_indices(y: np.ndarray, n_splits: int, shuffle: bool = False, seed: int = 0) -> list[np.ndarray]:
    """StratifiedKFold(n_splits, shuffle, random_state=seed).split(X, y): test indices per fold, sorted."""
    fold_ids = stratified_fold_ids(y, n_splits, shuffle, seed)
    return [np.flatnonzero(fold_ids == i) for i in range(n_splits)]


def holdout_sizes(n_samples: int, test_size: float) -> tuple[int, int]:
    """train_test_split's (n_train, n_test) for a float test_size: the test size is rounded up."""
    n_test = math.ceil(test_size * n_samples)
    n_train = n_samples - n_test
    if n_train <= 0 or n_test <= 0:
        raise DemoInputError(msg("with {n} examples, --test-size {size} leaves an empty set; change it", n=n_samples,
                                 size=f"{test_size:g}"))
    return n_train, n_test


def holdout_indices(n_samples: int, test_size: float, shuffle: bool = False, seed: int = 0):
    """train_test_split(np.arange(n), test_size=..., shuffle=..., random_state=seed): (train, test)."""
    n_train, n_test = holdout_sizes(n_samples, test_size)
    if not shuffle:
        return np.arange(n_train), np.arange(n_train, n_samples)
    permutation = np.random.RandomState(seed).permutation(n_samples)
    return permutation[n_test:], permutation[:n_test]


def class_gap(folds: list[np.ndarray], y: np.ndarray, class_sizes: np.ndarray) -> tuple[list, float]:
    """Per-fold class counts and the largest |count - class size / k|."""
    k = len(folds)
    per_fold = np.array([np.bincount(y[f], minlength=class_sizes.size) for f in folds])
    return per_fold.tolist(), float(np.max(np.abs(per_fold - class_sizes / k)))


# ----- the simulation
def normal_cdf(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.vectorize(math.erf)(np.asarray(x, dtype=float) / math.sqrt(2.0)))


def centroids(X: np.ndarray, y: np.ndarray, train: np.ndarray) -> np.ndarray:
    """Class means over each data set's training examples; nan for a class with none there.

    X : (trials, n, d), y : (n,) labels 0/1, train : (trials, n) bool. Returns (trials, 2, d).
    """
    out = np.empty((X.shape[0], 2, X.shape[2]))
    for c in (0, 1):
        member = (train & (y == c)).astype(float)
        total = member.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, c] = np.einsum("tn,tnd->td", member, X) / total[:, None]
    return out


def nearest_centroid_accuracy(X, y, train, test) -> np.ndarray:
    """Accuracy on ``test`` of the nearest-centroid rule fitted on ``train``, per data set (trials,).

    A class missing from the training part is never predicted (its distance is inf); ties go to class 0
    as with argmin (sklearn's NearestCentroid).
    """
    means = centroids(X, y, train)
    d2 = np.nan_to_num(((X[:, :, None, :] - means[:, None, :, :]) ** 2).sum(axis=3), nan=np.inf)  # (t, n, 2)
    predicted = (d2[:, :, 1] < d2[:, :, 0]).astype(int)
    correct = (predicted == y) & test
    return correct.sum(axis=1) / test.sum(axis=1)


def population_accuracy(means: np.ndarray, class_means: np.ndarray, priors: np.ndarray) -> np.ndarray:
    """Exact accuracy of the nearest-centroid rule with fitted ``means`` (trials, 2, d) on
    x ~ N(class_means[c], I) with class probabilities ``priors``: the rule is w.x > b with
    w = m1 - m0, b = (|m1|^2 - |m0|^2) / 2, and w.x is normal."""
    w = means[:, 1] - means[:, 0]
    b = 0.5 * ((means[:, 1] ** 2).sum(axis=1) - (means[:, 0] ** 2).sum(axis=1))
    norm = np.sqrt((w**2).sum(axis=1))
    right_1 = normal_cdf((w @ class_means[1] - b) / norm)
    right_0 = normal_cdf((b - w @ class_means[0]) / norm)
    return priors[0] * right_0 + priors[1] * right_1


def simulate(class_sizes: np.ndarray, n_splits: int, test_size: float, separation: float, trials: int,
             rng: np.random.Generator) -> dict:
    """Hold-out, KFold and StratifiedKFold estimates and the true accuracy over ``trials`` data sets."""
    y = np.repeat(np.arange(2), class_sizes)
    n = y.size
    class_means = np.zeros((2, N_FEATURES))
    class_means[1, 0] = separation
    X = class_means[y] + rng.standard_normal((trials, n, N_FEATURES))

    everything = np.ones((trials, n), dtype=bool)
    truth = population_accuracy(centroids(X, y, everything), class_means, class_sizes / n)

    n_train, n_test = holdout_sizes(n, test_size)
    is_test = rng.permuted(np.tile(np.r_[np.ones(n_test, bool), np.zeros(n_train, bool)], (trials, 1)), axis=1)
    holdout = nearest_centroid_accuracy(X, y, ~is_test, is_test)

    # shuffled folds: a random permutation of each splitter's fold labels in every data set
    kfold_ids = rng.permuted(np.tile(np.repeat(np.arange(n_splits), kfold_fold_sizes(n, n_splits)), (trials, 1)),
                             axis=1)
    strat_ids = np.empty((trials, n), dtype=np.int64)
    base = stratified_fold_ids(y, n_splits)
    for c in (0, 1):
        strat_ids[:, y == c] = rng.permuted(np.tile(base[y == c], (trials, 1)), axis=1)

    def cv(ids):
        return np.mean([nearest_centroid_accuracy(X, y, ids != i, ids == i) for i in range(n_splits)], axis=0)

    estimates = {"holdout": holdout, "kfold": cv(kfold_ids), "stratified": cv(strat_ids)}
    out = {"true_accuracy": float(truth.mean()), "true_accuracy_std": float(truth.std(ddof=1))}
    for name, values in estimates.items():
        out[f"{name}_mean"] = float(values.mean())
        out[f"{name}_std"] = float(values.std(ddof=1))
        out[f"{name}_rmse"] = float(np.sqrt(np.mean((values - truth) ** 2)))
    out["std_ratio_holdout_to_kfold"] = out["holdout_std"] / out["kfold_std"] if out["kfold_std"] > 0 else None
    return out


def compute(class_counts: tuple = (17.0, 5.0), n_splits: int = 5, test_size: float = 0.25, shuffle: bool = False,
            seed: int = 0, mc_trials: int = 400, separation: float = 1.0) -> CrossValidation:
    """sklearn's splits of the sorted labels, and the simulated spread of the three estimates."""
    if any(c != int(c) for c in class_counts):
        raise DemoInputError(msg("--class-counts are numbers of examples: use whole numbers"))
    class_sizes = np.array([int(c) for c in class_counts], dtype=np.int64)
    y = np.repeat(np.arange(class_sizes.size), class_sizes)
    n = int(y.size)
    kfold = kfold_test_indices(n, n_splits, shuffle, seed)
    stratified = stratified_test_indices(y, n_splits, shuffle, seed)
    train, test = holdout_indices(n, test_size, shuffle, seed)
    kfold_counts, kfold_gap = class_gap(kfold, y, class_sizes)
    strat_counts, strat_gap = class_gap(stratified, y, class_sizes)

    mc = dict.fromkeys(["true_accuracy", "true_accuracy_std", "holdout_mean", "holdout_std", "holdout_rmse",
                        "kfold_mean", "kfold_std", "kfold_rmse", "stratified_mean", "stratified_std",
                        "stratified_rmse", "std_ratio_holdout_to_kfold"])
    if mc_trials and class_sizes.size == 2:
        if mc_trials * n > MAX_MC_VALUES:
            raise DemoInputError(msg("--mc-trials {trials} x {n} examples is more than {limit}; lower --mc-trials to "
                                     "{most} or fewer (0 skips the simulation)", trials=mc_trials, n=n,
                                     limit=f"{MAX_MC_VALUES:,}", most=MAX_MC_VALUES // n))
        if mc_trials < 2:
            raise DemoInputError(msg("--mc-trials needs at least 2 data sets for a standard deviation (0 skips)"))
        mc.update(simulate(class_sizes, n_splits, test_size, separation, mc_trials, np.random.default_rng(seed)))

    return CrossValidation(
        n_samples=n,
        class_counts=class_sizes.tolist(),
        n_splits=n_splits,
        kfold_fold_sizes=[len(f) for f in kfold],
        kfold_test_folds=[f.tolist() for f in kfold],
        kfold_fold_class_counts=kfold_counts,
        kfold_max_class_gap=kfold_gap,
        stratified_fold_sizes=[len(f) for f in stratified],
        stratified_test_folds=[f.tolist() for f in stratified],
        stratified_fold_class_counts=strat_counts,
        stratified_max_class_gap=strat_gap,
        holdout_n_train=int(train.size),
        holdout_n_test=int(test.size),
        holdout_train=train.tolist(),
        holdout_test=test.tolist(),
        holdout_test_class_counts=np.bincount(y[test], minlength=class_sizes.size).tolist(),
        mc_trials=mc_trials if mc["true_accuracy"] is not None else 0,
        **mc,
    )


def _ranges(indices: list[int], width: int = 30) -> str:
    """0-4,9,12-13: consecutive runs joined, cut to ``width`` characters."""
    runs, start = [], None
    for i, v in enumerate(indices):
        if start is None:
            start = v
        if i + 1 == len(indices) or indices[i + 1] != v + 1:
            runs.append(str(start) if start == v else f"{start}-{v}")
            start = None
    text = ",".join(runs)
    return text if len(text) <= width else text[: width - 3] + "..."


def render(result: CrossValidation):
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import key_values
    from mlquiz.i18n import _

    folds = Table(title=_("{n} examples sorted by class {counts}, {k} folds").format(
        n=result.n_samples, counts=result.class_counts, k=result.n_splits), box=None)
    for column, justify in ((_("fold"), "right"), (_("KFold test"), "left"), (_("classes"), "right"),
                            (_("Stratified test"), "left"), (_("classes"), "right")):
        folds.add_column(column, justify=justify)
    shown = min(result.n_splits, 10)
    for i in range(shown):
        folds.add_row(str(i), _ranges(result.kfold_test_folds[i], 20), str(result.kfold_fold_class_counts[i]),
                      _ranges(result.stratified_test_folds[i], 20), str(result.stratified_fold_class_counts[i]))
    if result.n_splits > shown:
        folds.add_row("...", "", "", "", "")
    folds.caption = _("largest class gap |count - class/k|: KFold {kfold:.2f}, stratified {stratified:.2f}").format(
        kfold=result.kfold_max_class_gap, stratified=result.stratified_max_class_gap)
    rows = [(_("hold-out train / test sizes"), f"{result.holdout_n_train} / {result.holdout_n_test}"),
            (_("hold-out test classes"), str(result.holdout_test_class_counts))]
    if result.mc_trials:
        rows += [
            (_("simulated data sets"), str(result.mc_trials)),
            (_("true accuracy (mean, sd)"), f"{result.true_accuracy:.3f}, {result.true_accuracy_std:.3f}"),
            (_("hold-out: mean, sd, rmse"), f"{result.holdout_mean:.3f}, {result.holdout_std:.3f}, "
                                         f"{result.holdout_rmse:.3f}"),
            (_("KFold: mean, sd, rmse"), f"{result.kfold_mean:.3f}, {result.kfold_std:.3f}, {result.kfold_rmse:.3f}"),
            (_("Stratified: mean, sd, rmse"), f"{result.stratified_mean:.3f}, {result.stratified_std:.3f}, "
                                           f"{result.stratified_rmse:.3f}"),
            (_("sd ratio hold-out / KFold"), f"{result.std_ratio_holdout_to_kfold:.2f}"),
        ]
    return Group(folds, key_values(_("hold-out and the spread of the estimates"), rows))
