"""Claim: on imbalanced data accuracy hides a poor minority class; precision, recall and F1 per
class, and their macro average, expose it. At the defaults (100 samples: 80, 15 and 5 per class)
accuracy is 0.86 against 0.80 for always predicting the majority class, yet the smallest class has
recall 0.2; macro F1 is 0.61, weighted F1 0.85, and micro F1 equals the accuracy, 0.86, as it
always does for single-label classification.

Conventions are scikit-learn's, so every number can be checked with sklearn.metrics on labels
that reproduce the matrix (with ``labels=range(k)``):

- ``confusion[i][j]`` counts samples of true class i predicted as class j (rows are the truth, as
  in sklearn.metrics.confusion_matrix); for two classes ``tn, fp, fn, tp = C.ravel()``.
- precision = tp / (tp + fp), recall = tp / (tp + fn), and F-beta = (1 + b^2) tp /
  ((1 + b^2) tp + b^2 fn + fp), computed from the counts as sklearn >= 1.4 does, so F is 0/0 only
  when tp = fp = fn = 0 (sklearn 1.3 with zero_division=1 also gave 1 when tp = 0, a bug fixed in
  1.4). A 0/0 takes the value ``zero_division``: sklearn's default "warn" gives 0 (with a
  warning); "nan" (sklearn >= 1.3, zero_division=np.nan) leaves the class out of the macro and
  weighted averages, as sklearn does.
- macro = unweighted mean over classes; weighted = mean weighted by support (true count); micro =
  the metric of the summed counts, which for single-label data equals the accuracy. sklearn's
  macro F1 is the mean of per-class F1 scores, not the F1 of macro precision and macro recall
  (``f1_of_macro_pr`` shows the difference).
- ``pos_*`` are the one-vs-rest scores of class ``pos_label``: for two classes with pos_label=1
  that is sklearn's average='binary'.
- balanced accuracy = mean recall over classes present in the truth (balanced_accuracy_score);
  MCC is matthews_corrcoef's multiclass formula, 0 when undefined.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlquiz.errors import DemoInputError

META = {
    "title": "Classification metrics from a confusion matrix",
    "summary": "precision, recall, F1 (macro, micro, weighted), accuracy and MCC of a confusion matrix, as sklearn",
    "topics": ["evaluation"],
    "params": {
        "confusion": {"type": "matrix", "default": "76,3,1;5,9,1;3,1,1", "min": 0, "max": 1000000000,
                      "help": "counts, row i = true class i, column j = predicted class j (sklearn's "
                              "confusion_matrix layout); whole numbers, at least one nonzero"},
        "pos_label": {"type": "int", "default": 1, "min": 0, "max": 15,
                      "help": "class whose one-vs-rest scores are pos_* (sklearn's pos_label=1, "
                              "average='binary' for two classes)"},
        "beta": {"type": "float", "default": 2.0, "min": 0.0, "max": 100.0,
                 "help": "beta of pos_fbeta: F-beta weighs recall beta times as much as precision"},
        "zero_division": {"type": "choice", "default": "0", "choices": ["0", "1", "nan"],
                          "help": "value of a 0/0 precision, recall or F (sklearn's default 'warn' acts "
                                  "as 0); nan leaves the class out of macro and weighted averages"},
    },
    "outputs": {
        "confusion": "the confusion matrix, rows = true class, columns = predicted class",
        "n_classes": "number of classes k",
        "n_samples": "total count",
        "support": "samples of each true class (row sums)",
        "predicted": "predictions of each class (column sums)",
        "tp": "true positives per class, one-vs-rest (the diagonal)",
        "fp": "false positives per class (column sum - diagonal)",
        "fn": "false negatives per class (row sum - diagonal)",
        "tn": "true negatives per class (everything else)",
        "precision": "per class: tp / (tp + fp)",
        "recall": "per class: tp / (tp + fn), the true positive rate",
        "f1": "per class: 2 tp / (2 tp + fp + fn), the harmonic mean of precision and recall",
        "accuracy": "trace / n_samples",
        "majority_accuracy": "accuracy of always predicting the most frequent true class",
        "balanced_accuracy": "mean recall over the classes present in the truth",
        "precision_macro": "unweighted mean of per-class precision",
        "recall_macro": "unweighted mean of per-class recall",
        "f1_macro": "unweighted mean of per-class F1 (sklearn's average='macro')",
        "precision_weighted": "support-weighted mean of per-class precision",
        "recall_weighted": "support-weighted mean of per-class recall (equals the accuracy)",
        "f1_weighted": "support-weighted mean of per-class F1",
        "precision_micro": "sum tp / sum (tp + fp) (equals the accuracy)",
        "recall_micro": "sum tp / sum (tp + fn) (equals the accuracy)",
        "f1_micro": "F1 of the summed counts (equals the accuracy)",
        "f1_of_macro_pr": "harmonic mean of macro precision and macro recall (not what sklearn calls macro F1)",
        "mcc": "Matthews correlation coefficient (sklearn's multiclass formula; 0 if undefined)",
        "pos_label": "the class of the pos_* scores",
        "pos_precision": "precision of class pos_label",
        "pos_recall": "recall (sensitivity) of class pos_label",
        "pos_f1": "F1 of class pos_label",
        "beta": "the beta of pos_fbeta",
        "pos_fbeta": "F-beta of class pos_label",
        "pos_specificity": "tn / (tn + fp) of class pos_label, the true negative rate",
        "pos_false_positive_rate": "fp / (fp + tn) of class pos_label = 1 - specificity",
        "undefined": "per-class metrics that were 0/0 and took zero_division, as 'precision 2' etc.",
    },
}


@dataclass(frozen=True)
class ClassificationMetrics:
    confusion: tuple
    n_classes: int
    n_samples: int
    support: list
    predicted: list
    tp: list
    fp: list
    fn: list
    tn: list
    precision: list
    recall: list
    f1: list
    accuracy: float
    majority_accuracy: float
    balanced_accuracy: float
    precision_macro: float
    recall_macro: float
    f1_macro: float
    precision_weighted: float
    recall_weighted: float
    f1_weighted: float
    precision_micro: float
    recall_micro: float
    f1_micro: float
    f1_of_macro_pr: float
    mcc: float
    pos_label: int
    pos_precision: float
    pos_recall: float
    pos_f1: float
    beta: float
    pos_fbeta: float
    pos_specificity: float
    pos_false_positive_rate: float
    undefined: list


def check_confusion(confusion) -> np.ndarray:
    """The matrix as int64, shape (k, k); DemoInputError unless square, whole and not all zero."""
    C = np.asarray(confusion, dtype=float)
    if C.ndim != 2 or C.shape[0] != C.shape[1] or C.shape[0] < 2:
        raise DemoInputError(f"--confusion must be square with at least 2 classes (k rows of k counts); "
                             f"got {C.shape[0]} rows of {C.shape[1] if C.ndim == 2 else '?'}")
    if np.any(C != np.round(C)) or np.any(C < 0):
        raise DemoInputError("--confusion holds counts: use whole numbers >= 0")
    if C.sum() == 0:
        raise DemoInputError("--confusion is all zeros; give at least one count")
    return C.astype(np.int64)


def counts(C: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One-vs-rest tp, fp, fn, tn per class, each shape (k,), from C[true, predicted]."""
    tp = np.diag(C)
    fp = C.sum(axis=0) - tp
    fn = C.sum(axis=1) - tp
    tn = C.sum() - tp - fp - fn
    return tp, fp, fn, tn


def divide(numerator: np.ndarray, denominator: np.ndarray, zero_division: float) -> np.ndarray:
    """numerator / denominator elementwise, ``zero_division`` where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    out = np.full(numerator.shape, zero_division, dtype=float)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def fbeta(tp, fp, fn, beta: float, zero_division: float) -> np.ndarray:
    """(1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp); beta = 0 gives precision, as in sklearn."""
    b2 = beta * beta
    return divide((1 + b2) * np.asarray(tp, float), (1 + b2) * np.asarray(tp, float) + b2 * np.asarray(fn, float)
                  + np.asarray(fp, float), zero_division)


def nan_average(values: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Mean (weighted or not) over the entries that are not nan; nan if all are (sklearn's _nanaverage)."""
    keep = ~np.isnan(values)
    if not keep.any():
        return math.nan
    if weights is None:
        return float(values[keep].mean())
    w = np.asarray(weights, dtype=float)[keep]
    return float(np.average(values[keep], weights=w)) if w.sum() > 0 else float(values[keep].mean())


def mcc(C: np.ndarray) -> float:
    """(c s - sum p_k t_k) / sqrt((s^2 - sum p_k^2)(s^2 - sum t_k^2)) with c = trace, s = total, p = column
    sums, t = row sums (sklearn's matthews_corrcoef); 0 when the denominator is 0."""
    C = C.astype(float)
    t, p = C.sum(axis=1), C.sum(axis=0)
    c, s = np.trace(C), C.sum()
    denominator = (s * s - p @ p) * (s * s - t @ t)
    return 0.0 if denominator == 0 else float((c * s - p @ t) / math.sqrt(denominator))


def compute(confusion: tuple = ((76.0, 3.0, 1.0), (5.0, 9.0, 1.0), (3.0, 1.0, 1.0)), pos_label: int = 1,
            beta: float = 2.0, zero_division: str = "0") -> ClassificationMetrics:
    """Every metric of ``confusion`` by sklearn's definitions."""
    C = check_confusion(confusion)
    k = C.shape[0]
    if pos_label >= k:
        raise DemoInputError(f"--pos-label {pos_label} is not a class of a {k}-class matrix; use 0 to {k - 1}")
    zd = {"0": 0.0, "1": 1.0, "nan": math.nan}[zero_division]
    tp, fp, fn, tn = counts(C)
    support, predicted, n = tp + fn, tp + fp, int(C.sum())
    precision = divide(tp, tp + fp, zd)
    recall = divide(tp, tp + fn, zd)
    f1 = fbeta(tp, fp, fn, 1.0, zd)
    undefined = ([f"precision {i}" for i in range(k) if tp[i] + fp[i] == 0]
                 + [f"recall {i}" for i in range(k) if tp[i] + fn[i] == 0]
                 + [f"f1 {i}" for i in range(k) if 2 * tp[i] + fp[i] + fn[i] == 0])
    p_macro, r_macro = nan_average(precision), nan_average(recall)
    micro_tp, micro_fp, micro_fn = tp.sum(), fp.sum(), fn.sum()
    present = support > 0
    pos = pos_label
    return ClassificationMetrics(
        confusion=tuple(tuple(int(v) for v in row) for row in C),
        n_classes=k,
        n_samples=n,
        support=support.tolist(),
        predicted=predicted.tolist(),
        tp=tp.tolist(),
        fp=fp.tolist(),
        fn=fn.tolist(),
        tn=tn.tolist(),
        precision=precision.tolist(),
        recall=recall.tolist(),
        f1=f1.tolist(),
        accuracy=float(np.trace(C) / n),
        majority_accuracy=float(support.max() / n),
        balanced_accuracy=float(np.mean(tp[present] / support[present])),
        precision_macro=p_macro,
        recall_macro=r_macro,
        f1_macro=nan_average(f1),
        precision_weighted=nan_average(precision, support),
        recall_weighted=nan_average(recall, support),
        f1_weighted=nan_average(f1, support),
        precision_micro=float(divide(micro_tp, micro_tp + micro_fp, zd)),
        recall_micro=float(divide(micro_tp, micro_tp + micro_fn, zd)),
        f1_micro=float(fbeta(micro_tp, micro_fp, micro_fn, 1.0, zd)),
        f1_of_macro_pr=(2 * p_macro * r_macro / (p_macro + r_macro) if p_macro + r_macro > 0 else 0.0),
        mcc=mcc(C),
        pos_label=pos,
        pos_precision=float(precision[pos]),
        pos_recall=float(recall[pos]),
        pos_f1=float(f1[pos]),
        beta=beta,
        pos_fbeta=float(fbeta(tp[pos], fp[pos], fn[pos], beta, zd)),
        pos_specificity=float(divide(tn[pos], tn[pos] + fp[pos], zd)),
        pos_false_positive_rate=float(divide(fp[pos], fp[pos] + tn[pos], zd)),
        undefined=undefined,
    )


def _fmt(value: float) -> str:
    return "nan" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4f}"


def render(result: ClassificationMetrics):
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import bar_chart, key_values
    from mlquiz.i18n import _, pgettext

    k = result.n_classes
    matrix = Table(title=_("confusion matrix (rows: true class, columns: predicted)"), box=None)
    matrix.add_column(_("true \\ pred"), justify="right", style="cyan")
    for j in range(k):
        matrix.add_column(str(j), justify="right")
    matrix.add_column(_("support"), justify="right")
    for i, row in enumerate(result.confusion):
        matrix.add_row(str(i), *(str(v) for v in row), str(result.support[i]))
    per_class = Table(title=_("per class (one-vs-rest)"), box=None)
    for column in (_("class"), "tp", "fp", "fn", _("precision"), pgettext("metric", "recall"), "F1"):
        per_class.add_column(column, justify="right")
    for i in range(k):
        per_class.add_row(str(i), str(result.tp[i]), str(result.fp[i]), str(result.fn[i]),
                          _fmt(result.precision[i]), _fmt(result.recall[i]), _fmt(result.f1[i]))
    summary = key_values(_("averages"), [
        (_("accuracy (always-majority baseline)"), f"{_fmt(result.accuracy)} ({_fmt(result.majority_accuracy)})"),
        (_("balanced accuracy, MCC"), f"{_fmt(result.balanced_accuracy)}, {_fmt(result.mcc)}"),
        (_("precision macro / weighted / micro"),
         f"{_fmt(result.precision_macro)} / {_fmt(result.precision_weighted)} / {_fmt(result.precision_micro)}"),
        (_("recall macro / weighted / micro"),
         f"{_fmt(result.recall_macro)} / {_fmt(result.recall_weighted)} / {_fmt(result.recall_micro)}"),
        (_("F1 macro / weighted / micro"),
         f"{_fmt(result.f1_macro)} / {_fmt(result.f1_weighted)} / {_fmt(result.f1_micro)}"),
        (_("class {label}: F1, F{beta:g}, specificity").format(label=result.pos_label, beta=result.beta),
         f"{_fmt(result.pos_f1)}, {_fmt(result.pos_fbeta)}, {_fmt(result.pos_specificity)}"),
    ])
    chart = bar_chart(_("recall by class"), [_("class {i} ({support})").format(i=i, support=result.support[i]) for i in range(k)],
                      [0.0 if v is None or math.isnan(v) else v for v in result.recall], value_format="{:.3f}")
    return Group(matrix, per_class, summary, chart)
