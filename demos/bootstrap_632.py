"""Claim: the .632 bootstrap estimate 0.368 x training error + 0.632 x out-of-bag error mixes a
pessimistic estimate (each bootstrap model sees only about 63.2% of the distinct examples, the
in-bag share of the bootstrap-oob demo) with an optimistic one, but for a model that fits its
training data perfectly it is far too optimistic; the .632+ estimate corrects that. At the
defaults (1-nearest-neighbour, 50 examples, two classes one standard deviation apart, 50 data
sets) the true error is 0.40; the leave-one-out bootstrap error says 0.41 and 10-fold
cross-validation 0.41, but .632 says 0.26 (the training error of 1-NN is 0) and .632+ 0.38. For a
stable model (nearest centroid: true error 0.32, training error 0.30) the leave-one-out bootstrap,
.632, .632+ and cross-validation are all within 0.01 of the truth.

Definitions (Efron 1983; Efron and Tibshirani 1997; Hastie, Tibshirani and Friedman, ESL 7.11),
for 0-1 loss with B bootstrap samples of the n examples:

- training (apparent) error err: the model fitted to all n examples, scored on them.
- leave-one-out bootstrap error Err1 = (1/n) sum_i (mean loss on example i over the bootstrap
  samples that miss it); an example in every sample (probability 0.632^B) is left out of the mean.
  ``oob_average_error``, the mean over samples of each sample's out-of-bag error rate, is the
  simpler variant some libraries report.
- Err.632 = 0.368 err + 0.632 Err1 (the weights are the estimator's, 1 - 1/e rounded).
- no-information error gamma = sum_k p_k (1 - q_k), p_k the share of class k among the labels,
  q_k the share of predictions of class k by the all-data model on the n examples.
- relative overfitting R = (Err1' - err) / (gamma - err) with Err1' = min(Err1, gamma), 0 unless
  Err1' > err and gamma > err; w = 0.632 / (1 - 0.368 R); Err.632+ = (1 - w) err + w Err1'.

Data: labels alternate 0, 1; x ~ N(mean of its class, I) in two dimensions, the class means
``separation`` apart (0 = pure noise, true error 0.5). The true error of each data set's all-data
model is measured on ``n_test`` fresh examples; 10-fold cross-validation uses stratified shuffled
folds. Classifiers: 1-nearest-neighbour (Euclidean) or nearest centroid (a duplicated example
counts twice in its class mean).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlquiz.demos.bootstrap_oob import exact_oob_fraction
from mlquiz.errors import DemoInputError

META = {
    "title": "The .632 and .632+ bootstrap estimates of prediction error",
    "summary": "Err.632 = 0.368 train error + 0.632 out-of-bag error; optimistic for 1-NN, which .632+ fixes",
    "topics": ["evaluation", "fundamentals"],
    "params": {
        "n": {"type": "int", "default": 50, "min": 10, "max": 400, "help": "examples per data set"},
        "classifier": {"type": "choice", "default": "1-nn", "choices": ["1-nn", "nearest-centroid"],
                       "help": "1-nearest-neighbour (training error 0) or nearest centroid (a simple, stable model)"},
        "separation": {"type": "float", "default": 1.0, "min": 0.0, "max": 10.0,
                       "help": "distance between the two class means in standard deviations (0 = pure noise)"},
        "n_bootstrap": {"type": "int", "default": 100, "min": 10, "max": 2000, "help": "bootstrap samples B"},
        "trials": {"type": "int", "default": 50, "min": 2, "max": 5000, "help": "simulated data sets"},
        "n_test": {"type": "int", "default": 1000, "min": 100, "max": 100000,
                   "help": "fresh examples that measure each data set's true error"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295, "help": "random seed"},
        "example": {"type": "floats", "default": "0.1,0.3,0.5", "min": 0.0, "max": 1.0,
                    "help": "a worked example: training error, leave-one-out bootstrap error, no-information error"},
    },
    "outputs": {
        "n": "examples per data set",
        "classifier": "the model",
        "separation": "distance between the class means",
        "n_bootstrap": "bootstrap samples per data set",
        "trials": "data sets",
        "exact_oob_fraction": "(1 - 1/n)**n, from the bootstrap-oob demo",
        "mean_oob_fraction": "out-of-bag share averaged over every simulated bootstrap sample",
        "in_bag_weight": "0.632, the weight of the out-of-bag error",
        "true_error": "mean true error of the all-data model (on fresh data)",
        "true_error_se": "its standard error over the data sets",
        "apparent_error": "mean training error err",
        "loo_bootstrap_error": "mean leave-one-out bootstrap error Err1",
        "oob_average_error": "mean of the per-sample out-of-bag error rates",
        "b632_error": "mean .632 estimate",
        "b632plus_error": "mean .632+ estimate",
        "cv10_error": "mean 10-fold cross-validation error",
        "no_information_error": "mean gamma",
        "relative_overfitting": "mean R of the .632+ estimate",
        "bias": "mean estimate - mean true error, per estimator",
        "rmse": "root mean squared difference from each data set's true error, per estimator",
        "example_b632": "the worked example's .632 estimate: 0.368 err + 0.632 Err1",
        "example_relative_overfitting": "the worked example's R",
        "example_weight": "the worked example's .632+ weight w = 0.632 / (1 - 0.368 R)",
        "example_b632plus": "the worked example's .632+ estimate",
    },
}

CV_FOLDS = 10  # the usual k for comparing with the bootstrap (Efron and Tibshirani 1997 compare 10-fold)
N_FEATURES = 2  # enough dimensions for a boundary that 1-NN can overfit
OOB_WEIGHT = 0.632  # the estimator's constant: 1 - 1/e to three digits
MAX_WORK = 100_000_000  # trials * n_bootstrap * n^2 distance lookups for 1-NN: about a second
ESTIMATORS = ("apparent", "loo_bootstrap", "b632", "b632plus", "cv10")


@dataclass(frozen=True)
class Bootstrap632:
    n: int
    classifier: str
    separation: float
    n_bootstrap: int
    trials: int
    exact_oob_fraction: float
    mean_oob_fraction: float
    in_bag_weight: float
    true_error: float
    true_error_se: float
    apparent_error: float
    loo_bootstrap_error: float
    oob_average_error: float
    b632_error: float
    b632plus_error: float
    cv10_error: float
    no_information_error: float
    relative_overfitting: float
    bias: dict
    rmse: dict
    example_b632: float
    example_relative_overfitting: float
    example_weight: float
    example_b632plus: float


def make_data(n: int, separation: float, rng: np.random.Generator, labels: np.ndarray | None = None):
    """Features (n, 2) and labels (n,): alternating 0/1 unless ``labels`` is given."""
    y = np.arange(n) % 2 if labels is None else labels
    X = rng.standard_normal((y.size, N_FEATURES))
    X[:, 0] += separation * y
    return X, y


def predict(classifier: str, X_train, y_train, weights, X_query) -> np.ndarray:
    """Predictions for X_query (m, d) of a model fitted to the rows of X_train with ``weights`` > 0.

    For many fits at once ``weights`` is (B, n) and the result (B, m): bootstrap multiplicities.
    """
    weights = np.atleast_2d(weights).astype(float)
    if classifier == "1-nn":
        d2 = ((X_query[:, None, :] - X_train[None, :, :]) ** 2).sum(axis=2)  # (m, n)
        masked = np.where(weights[:, None, :] > 0, d2[None], np.inf)  # (B, m, n)
        return y_train[np.argmin(masked, axis=2)]
    distances = []
    for c in (0, 1):
        w = weights * (y_train == c)
        total = w.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = (w @ X_train) / total  # (B, d); nan if the class is missing
        d = ((X_query[None, :, :] - centre[:, None, :]) ** 2).sum(axis=2)
        distances.append(np.nan_to_num(d, nan=np.inf))
    return (distances[1] < distances[0]).astype(int)


def loo_bootstrap_error(losses: np.ndarray, out_of_bag: np.ndarray) -> float:
    """Err1: per example, the mean loss over the samples that miss it; then the mean over examples.

    losses, out_of_bag : (B, n). Examples that no sample misses are left out.
    """
    misses = out_of_bag.sum(axis=0)
    seen = misses > 0
    per_example = (losses * out_of_bag).sum(axis=0)[seen] / misses[seen]
    return float(per_example.mean())


def estimate_632plus(err: float, err1: float, gamma: float) -> tuple[float, float]:
    """(Err.632+, R) from the training error, Err1 and the no-information error."""
    err1_clipped = min(err1, gamma)
    r = (err1_clipped - err) / (gamma - err) if err1_clipped > err and gamma > err else 0.0
    w = OOB_WEIGHT / (1.0 - (1.0 - OOB_WEIGHT) * r)
    return (1.0 - w) * err + w * err1_clipped, r


def no_information_error(y: np.ndarray, predicted: np.ndarray) -> float:
    """gamma = sum_k p_k (1 - q_k) for the two classes."""
    return float(sum(np.mean(y == k) * (1.0 - np.mean(predicted == k)) for k in (0, 1)))


def stratified_folds(y: np.ndarray, n_splits: int, rng: np.random.Generator) -> np.ndarray:
    ids = np.empty(y.size, dtype=np.int64)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        ids[members] = rng.permutation(np.arange(members.size) % n_splits)
    return ids


def one_data_set(classifier: str, n: int, separation: float, n_bootstrap: int, n_test: int,
                 rng: np.random.Generator) -> dict:
    """Every estimate and the true error for one simulated data set."""
    X, y = make_data(n, separation, rng)
    everyone = np.ones(n)
    fitted = predict(classifier, X, y, everyone, X)[0]
    err = float(np.mean(fitted != y))
    X_new, y_new = make_data(n_test, separation, rng, labels=rng.integers(0, 2, n_test))
    truth = float(np.mean(predict(classifier, X, y, everyone, X_new)[0] != y_new))

    draws = rng.integers(0, n, size=(n_bootstrap, n))
    multiplicity = np.zeros((n_bootstrap, n))
    np.add.at(multiplicity, (np.arange(n_bootstrap)[:, None], draws), 1.0)
    out_of_bag = multiplicity == 0
    losses = (predict(classifier, X, y, multiplicity, X) != y).astype(float)  # (B, n)
    err1 = loo_bootstrap_error(losses, out_of_bag)
    per_sample = (losses * out_of_bag).sum(axis=1) / np.maximum(out_of_bag.sum(axis=1), 1)
    gamma = no_information_error(y, fitted)
    plus, r = estimate_632plus(err, err1, gamma)

    folds = stratified_folds(y, CV_FOLDS, rng)
    cv = np.mean([np.mean(predict(classifier, X, y, (folds != i).astype(float), X[folds == i])[0] != y[folds == i])
                  for i in range(CV_FOLDS)])
    return {"truth": truth, "apparent": err, "loo_bootstrap": err1, "oob_average": float(per_sample.mean()),
            "b632": (1.0 - OOB_WEIGHT) * err + OOB_WEIGHT * err1, "b632plus": plus, "cv10": float(cv),
            "gamma": gamma, "r": r, "oob_fraction": float(out_of_bag.mean())}


def compute(n: int = 50, classifier: str = "1-nn", separation: float = 1.0, n_bootstrap: int = 100,
            trials: int = 50, n_test: int = 1000, seed: int = 0,
            example: tuple = (0.1, 0.3, 0.5)) -> Bootstrap632:
    """Mean, bias and RMSE of each error estimate over ``trials`` simulated data sets, and a worked example."""
    if len(example) != 3:
        raise DemoInputError("--example takes three numbers: training error, Err1 and the no-information error")
    example_err, example_err1, example_gamma = example
    example_plus, example_r = estimate_632plus(example_err, example_err1, example_gamma)
    if classifier == "1-nn" and trials * n_bootstrap * n * n > MAX_WORK:
        raise DemoInputError(f"--trials x --n-bootstrap x n^2 is more than {MAX_WORK:,}; lower --trials to "
                             f"{max(2, MAX_WORK // (n_bootstrap * n * n))} or fewer")
    if n < 2 * CV_FOLDS:
        raise DemoInputError(f"--n {n} is too small for {CV_FOLDS}-fold cross-validation; use at least {2 * CV_FOLDS}")
    rng = np.random.default_rng(seed)
    rows = [one_data_set(classifier, n, separation, n_bootstrap, n_test, rng) for _ in range(trials)]
    column = {key: np.array([row[key] for row in rows]) for key in rows[0]}
    truth = column["truth"]
    return Bootstrap632(
        n=n,
        classifier=classifier,
        separation=separation,
        n_bootstrap=n_bootstrap,
        trials=trials,
        exact_oob_fraction=exact_oob_fraction(n),
        mean_oob_fraction=float(column["oob_fraction"].mean()),
        in_bag_weight=OOB_WEIGHT,
        true_error=float(truth.mean()),
        true_error_se=float(truth.std(ddof=1) / math.sqrt(trials)),
        apparent_error=float(column["apparent"].mean()),
        loo_bootstrap_error=float(column["loo_bootstrap"].mean()),
        oob_average_error=float(column["oob_average"].mean()),
        b632_error=float(column["b632"].mean()),
        b632plus_error=float(column["b632plus"].mean()),
        cv10_error=float(column["cv10"].mean()),
        no_information_error=float(column["gamma"].mean()),
        relative_overfitting=float(column["r"].mean()),
        bias={name: float(column[name].mean() - truth.mean()) for name in ESTIMATORS},
        rmse={name: float(np.sqrt(np.mean((column[name] - truth) ** 2))) for name in ESTIMATORS},
        example_b632=(1.0 - OOB_WEIGHT) * example_err + OOB_WEIGHT * example_err1,
        example_relative_overfitting=example_r,
        example_weight=OOB_WEIGHT / (1.0 - (1.0 - OOB_WEIGHT) * example_r),
        example_b632plus=example_plus,
    )


def render(result: Bootstrap632):
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import bar_chart
    from mlquiz.i18n import _

    names = {"apparent": _("training error"), "loo_bootstrap": _("leave-one-out bootstrap"),
             "b632": ".632", "b632plus": ".632+", "cv10": _("{folds}-fold CV").format(folds=CV_FOLDS)}
    means = {"apparent": result.apparent_error, "loo_bootstrap": result.loo_bootstrap_error,
             "b632": result.b632_error, "b632plus": result.b632plus_error, "cv10": result.cv10_error}
    table = Table(title=_("{classifier}, n = {n}, separation {separation:g}: true error {error:.3f} ± {se:.3f}").format(
        classifier=result.classifier, n=result.n, separation=result.separation, error=result.true_error,
        se=result.true_error_se), box=None)
    for column in (_("estimate"), _("mean"), _("bias"), "rmse"):
        table.add_column(column, justify="right")
    for key in ESTIMATORS:
        table.add_row(names[key], f"{means[key]:.3f}", f"{result.bias[key]:+.3f}", f"{result.rmse[key]:.3f}")
    table.caption = _("{trials} data sets, B = {b}; out-of-bag share {oob:.3f} (exact {exact:.3f}); "
                      "no-information error {gamma:.3f}; worked example: .632 = {b632:.4f}, R = {r:.3f}, "
                      ".632+ = {b632plus:.4f}").format(
        trials=result.trials, b=result.n_bootstrap, oob=result.mean_oob_fraction, exact=result.exact_oob_fraction,
        gamma=result.no_information_error, b632=result.example_b632, r=result.example_relative_overfitting,
        b632plus=result.example_b632plus)
    chart = bar_chart(_("mean estimate against the true error"), [_("true error")] + [names[k] for k in ESTIMATORS],
                      [result.true_error] + [means[k] for k in ESTIMATORS], value_format="{:.3f}")
    return Group(table, chart)
