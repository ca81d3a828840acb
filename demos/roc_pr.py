"""Claim: ROC-AUC is the probability that a random positive is scored above a random negative
(ties count 1/2); the trapezoids under scikit-learn's ROC curve give exactly that number. At the
defaults (5 positives, 5 negatives) 17 of the 25 pairs are ranked correctly and 2 are tied, so the
AUC is (17 + 2/2) / 25 = 0.72. Average precision sums precision times each step in recall, 0.728 here. Repeating every
negative 10 times leaves the ROC curve and its AUC unchanged but drops the average precision to 0.34:
on imbalanced data the precision-recall view shows what ROC hides.

Conventions are scikit-learn's (>= 1.3), with pos_label = 1:

- roc_curve: one threshold per distinct score, in decreasing order, so tied scores move the curve
  diagonally at once; ``thresholds[0] = inf`` adds the point (0, 0); drop_intermediate=True (the
  default; ``--keep-intermediate`` turns it off) drops collinear points, which changes neither the
  curve's shape nor the AUC. roc_auc_score = the trapezoidal area under that curve.
- precision_recall_curve: thresholds increasing; precision and recall end with the point (1, 0),
  which has no threshold; drop_intermediate=False (its default). Precision 0/0 (never at a real
  threshold) would be 0.
- average_precision_score = sum_n (R_n - R_{n-1}) P_n over those points: a step function, not
  interpolated and not the trapezoidal area (which sklearn warns is too optimistic; reported as
  ``pr_auc_trapezoid``).
- log_loss: natural log, probabilities clipped to [eps, 1 - eps] with eps = float64 machine
  epsilon, 2.2e-16 (sklearn >= 1.2's "auto"; the only behaviour since 1.5; older versions used
  1e-15). brier_score_loss = mean (p - y)^2.
- calibration_curve: n_bins (default 5) over [0, 1]; "uniform" bins of equal width, "quantile"
  bins of equal count; a probability on an inner edge goes to the lower bin (np.searchsorted,
  side='left'); empty bins are left out. ECE (not in sklearn) = sum over bins of count / n times
  |fraction of positives - mean predicted probability|.
- at ``threshold``: a score >= threshold counts as positive, as in roc_curve (a classifier's
  predict() uses p > 0.5 strictly; they differ only for a score exactly at the threshold).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlquiz.errors import DemoInputError
from mlquiz.i18n import msg

META = {
    "title": "ROC and precision-recall curves, log loss, Brier score and calibration",
    "summary": "ROC-AUC = P(positive ranked above negative), average precision, log loss, Brier, calibration",
    "topics": ["evaluation"],
    "params": {
        "labels": {"type": "floats", "default": "1,1,0,1,0,1,0,0,1,0", "min": 0, "max": 1,
                   "help": "true labels, 0 or 1 (pos_label = 1); at least one of each"},
        "scores": {"type": "floats", "default": "0.95,0.85,0.85,0.7,0.6,0.6,0.4,0.3,0.2,0.1", "min": 0, "max": 1,
                   "help": "predicted probability of class 1 per example; ROC and PR curves use only their order"},
        "threshold": {"type": "float", "default": 0.5, "min": 0.0, "max": 1.0,
                      "help": "decision threshold: score >= threshold predicts 1 (roc_curve's convention)"},
        "n_bins": {"type": "int", "default": 5, "min": 1, "max": 100,
                   "help": "calibration bins (calibration_curve's default 5)"},
        "strategy": {"type": "choice", "default": "uniform", "choices": ["uniform", "quantile"],
                     "help": "calibration bins of equal width (uniform) or equal count (quantile)"},
        "keep_intermediate": {"type": "flag",
                              "help": "roc_curve with drop_intermediate=False (keep collinear points)"},
        "negative_copies": {"type": "int", "default": 1, "min": 1, "max": 10000,
                            "help": "repeat every negative this many times (a larger negative class with the "
                                    "same scores): ROC-AUC stays, precision and AP fall"},
    },
    "outputs": {
        "n_positive": "positives (label 1)",
        "n_negative": "negatives (label 0), after negative_copies",
        "prevalence": "n_positive / n: the precision of predicting everything positive, and AP of random scores",
        "fpr": "roc_curve false positive rates (increasing)",
        "tpr": "roc_curve true positive rates (recall)",
        "roc_thresholds": "roc_curve thresholds (decreasing; the first is inf)",
        "roc_auc": "roc_auc_score: trapezoidal area under the ROC curve",
        "pairs_total": "n_positive * n_negative (positive, negative) pairs",
        "pairs_correct": "pairs whose positive scores strictly higher",
        "pairs_tied": "pairs with equal scores",
        "auc_from_ranks": "(pairs_correct + pairs_tied / 2) / pairs_total, from average ranks (Mann-Whitney U)",
        "gini": "2 AUC - 1",
        "precision_curve": "precision_recall_curve precision (last point 1)",
        "recall_curve": "precision_recall_curve recall (decreasing; last point 0)",
        "pr_thresholds": "precision_recall_curve thresholds (increasing)",
        "average_precision": "average_precision_score: sum (R_n - R_{n-1}) P_n",
        "pr_auc_trapezoid": "trapezoidal area under the PR points (auc(recall, precision)), not AP",
        "log_loss": "log_loss: mean of -log p(true class), clipped at machine epsilon",
        "log_loss_prevalence": "log loss of predicting the prevalence for everyone (the entropy of the labels)",
        "brier_score": "brier_score_loss: mean (p - y)^2",
        "brier_prevalence": "Brier score of predicting the prevalence for everyone: prevalence (1 - prevalence)",
        "calibration_prob_true": "calibration_curve: fraction of positives in each non-empty bin",
        "calibration_prob_pred": "calibration_curve: mean predicted probability in each non-empty bin",
        "calibration_counts": "examples in each non-empty bin",
        "calibration_edges": "the bin edges",
        "ece": "expected calibration error: count-weighted mean |prob_true - prob_pred| (not in sklearn)",
        "threshold": "the decision threshold",
        "tp": "true positives at the threshold",
        "fp": "false positives at the threshold",
        "fn": "false negatives at the threshold",
        "tn": "true negatives at the threshold",
        "precision_at_threshold": "tp / (tp + fp) (0 when nothing is predicted positive)",
        "recall_at_threshold": "tp / (tp + fn)",
        "fpr_at_threshold": "fp / (fp + tn)",
        "f1_at_threshold": "2 tp / (2 tp + fp + fn)",
        "accuracy_at_threshold": "(tp + tn) / n",
        "best_f1": "largest F1 over the precision-recall curve's thresholds",
        "best_f1_threshold": "the threshold where it is reached (the highest, if several)",
        "youden_j": "largest tpr - fpr over the ROC thresholds (Youden's J)",
        "youden_threshold": "the threshold where it is reached (the highest, if several)",
    },
}

EPS = float(np.finfo(np.float64).eps)  # log_loss clipping since sklearn 1.2 ("auto" for float64 input)


@dataclass(frozen=True)
class RocPr:
    n_positive: int
    n_negative: int
    prevalence: float
    fpr: np.ndarray
    tpr: np.ndarray
    roc_thresholds: np.ndarray
    roc_auc: float
    pairs_total: int
    pairs_correct: int
    pairs_tied: int
    auc_from_ranks: float
    gini: float
    precision_curve: np.ndarray
    recall_curve: np.ndarray
    pr_thresholds: np.ndarray
    average_precision: float
    pr_auc_trapezoid: float
    log_loss: float
    log_loss_prevalence: float
    brier_score: float
    brier_prevalence: float
    calibration_prob_true: np.ndarray
    calibration_prob_pred: np.ndarray
    calibration_counts: np.ndarray
    calibration_edges: np.ndarray
    ece: float
    threshold: float
    tp: int
    fp: int
    fn: int
    tn: int
    precision_at_threshold: float
    recall_at_threshold: float
    fpr_at_threshold: float
    f1_at_threshold: float
    accuracy_at_threshold: float
    best_f1: float
    best_f1_threshold: float
    youden_j: float
    youden_threshold: float


def binary_clf_curve(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False and true positives when predicting 1 for score >= t, for each distinct score t.

    Parameters
    ----------
    y : ndarray, shape (n,), labels 0/1
    s : ndarray, shape (n,), scores

    Returns
    -------
    fps, tps : ndarray, shape (m,), cumulative counts; m = number of distinct scores
    thresholds : ndarray, shape (m,), the distinct scores, decreasing

    Notes
    -----
    Sort by decreasing score; a threshold ends each run of tied scores, so ties enter together.
    """
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    ends = np.r_[np.nonzero(np.diff(s))[0], y.size - 1]  # last index of each tie group
    tps = np.cumsum(y)[ends].astype(float)
    fps = 1.0 + ends - tps
    return fps, tps, s[ends]


def roc_curve(y: np.ndarray, s: np.ndarray, drop_intermediate: bool = True):
    """sklearn.metrics.roc_curve(y, s, drop_intermediate=...): fpr, tpr, thresholds (first inf)."""
    fps, tps, thresholds = binary_clf_curve(y, s)
    if drop_intermediate and fps.size > 2:
        # a point whose neighbours lie on one line with it is no corner (second differences 0)
        keep = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    fps, tps = np.r_[0.0, fps], np.r_[0.0, tps]
    return fps / fps[-1], tps / tps[-1], np.r_[np.inf, thresholds]


def auc(x: np.ndarray, y: np.ndarray) -> float:
    """Trapezoidal area under (x, y) with x monotonic (sklearn.metrics.auc)."""
    dx = np.diff(x)
    direction = -1.0 if np.all(dx <= 0) and np.any(dx < 0) else 1.0
    return float(direction * np.sum(dx * (y[1:] + y[:-1]) / 2.0))


def precision_recall_curve(y: np.ndarray, s: np.ndarray):
    """sklearn.metrics.precision_recall_curve(y, s): precision, recall (ending 1, 0), thresholds increasing."""
    fps, tps, thresholds = binary_clf_curve(y, s)
    predicted = tps + fps
    precision = np.divide(tps, predicted, out=np.zeros_like(tps), where=predicted != 0)
    recall = tps / tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thresholds[::-1]


def average_precision(y: np.ndarray, s: np.ndarray) -> float:
    """sum_n (R_n - R_{n-1}) P_n over precision_recall_curve (average_precision_score)."""
    precision, recall, _ = precision_recall_curve(y, s)
    return max(0.0, float(-np.sum(np.diff(recall) * precision[:-1])))


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing the mean of the ranks they span (scipy's rankdata 'average')."""
    _, inverse, group_counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(group_counts)  # rank of each group's last member
    return (ends - (group_counts - 1) / 2.0)[inverse]


def pair_counts(y: np.ndarray, s: np.ndarray) -> tuple[int, int, int]:
    """(pairs, correctly ordered, tied) over all (positive, negative) pairs."""
    negatives = np.sort(s[y == 0])
    positives = s[y == 1]
    below = np.searchsorted(negatives, positives, side="left")  # negatives strictly lower
    not_above = np.searchsorted(negatives, positives, side="right")
    return positives.size * negatives.size, int(below.sum()), int((not_above - below).sum())


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    """Mean -[y log p + (1 - y) log(1 - p)], p clipped to [EPS, 1 - EPS]."""
    p = np.clip(p, EPS, 1.0 - EPS)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p)))


def calibration_curve(y: np.ndarray, p: np.ndarray, n_bins: int = 5, strategy: str = "uniform"):
    """sklearn.calibration.calibration_curve, plus the counts and edges: prob_true, prob_pred, counts, edges."""
    if strategy == "quantile":
        edges = np.percentile(p, np.linspace(0.0, 1.0, n_bins + 1) * 100)
    else:
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.searchsorted(edges[1:-1], p)  # side='left': a value on an inner edge joins the lower bin
    total = np.bincount(bins, minlength=len(edges))
    positives = np.bincount(bins, weights=y, minlength=len(edges))
    score_sums = np.bincount(bins, weights=p, minlength=len(edges))
    used = total != 0
    return positives[used] / total[used], score_sums[used] / total[used], total[used], edges


def check_inputs(labels, scores, negative_copies: int = 1) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels, dtype=float)
    s = np.asarray(scores, dtype=float)
    if y.shape != s.shape:
        raise DemoInputError(msg("--labels has {n_labels} values and --scores {n_scores}; give one score per label",
                                 n_labels=y.size, n_scores=s.size))
    if not np.all((y == 0) | (y == 1)):
        raise DemoInputError(msg("--labels must be 0 or 1 (1 is the positive class)"))
    if y.sum() == 0 or y.sum() == y.size:
        raise DemoInputError(msg("--labels needs at least one 0 and one 1: ROC-AUC is undefined for one class "
                                 "(recent sklearn warns and returns nan; older versions raise)"))
    if negative_copies > 1:
        repeat = np.where(y == 0, negative_copies, 1)
        y, s = np.repeat(y, repeat), np.repeat(s, repeat)
    return y, s


def compute(labels: tuple = (1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0),
            scores: tuple = (0.95, 0.85, 0.85, 0.7, 0.6, 0.6, 0.4, 0.3, 0.2, 0.1), threshold: float = 0.5,
            n_bins: int = 5, strategy: str = "uniform", keep_intermediate: bool = False,
            negative_copies: int = 1) -> RocPr:
    """Ranking, threshold and probability metrics of ``scores`` against ``labels``."""
    y, s = check_inputs(labels, scores, negative_copies)
    n = y.size
    n_pos = int(y.sum())
    n_neg = n - n_pos
    prevalence = n_pos / n

    fpr, tpr, roc_thresholds = roc_curve(y, s, drop_intermediate=not keep_intermediate)
    ranks = average_ranks(s)
    u_statistic = ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2.0
    pairs, correct, tied = pair_counts(y, s)
    roc_auc = auc(fpr, tpr)

    precision, recall, pr_thresholds = precision_recall_curve(y, s)
    prob_true, prob_pred, bin_counts, edges = calibration_curve(y, s, n_bins, strategy)

    predicted = s >= threshold
    tp = int(np.sum(predicted & (y == 1)))
    fp = int(np.sum(predicted & (y == 0)))
    fn, tn = n_pos - tp, n_neg - fp

    p_real, r_real = precision[:-1], recall[:-1]  # points that have a threshold
    f1_curve = np.divide(2 * p_real * r_real, p_real + r_real, out=np.zeros_like(p_real), where=p_real + r_real > 0)
    best = int(np.flatnonzero(f1_curve == f1_curve.max())[-1])  # thresholds increase: the last is the highest
    j = tpr[1:] - fpr[1:]
    best_j = int(np.flatnonzero(j == j.max())[0]) + 1  # roc thresholds decrease: the first is the highest

    return RocPr(
        n_positive=n_pos,
        n_negative=n_neg,
        prevalence=prevalence,
        fpr=fpr,
        tpr=tpr,
        roc_thresholds=roc_thresholds,
        roc_auc=roc_auc,
        pairs_total=pairs,
        pairs_correct=correct,
        pairs_tied=tied,
        auc_from_ranks=float(u_statistic / (n_pos * n_neg)),
        gini=2.0 * roc_auc - 1.0,
        precision_curve=precision,
        recall_curve=recall,
        pr_thresholds=pr_thresholds,
        average_precision=average_precision(y, s),
        pr_auc_trapezoid=auc(recall, precision),
        log_loss=log_loss(y, s),
        log_loss_prevalence=log_loss(y, np.full(n, prevalence)),
        brier_score=float(np.mean((s - y) ** 2)),
        brier_prevalence=prevalence * (1.0 - prevalence),
        calibration_prob_true=prob_true,
        calibration_prob_pred=prob_pred,
        calibration_counts=bin_counts,
        calibration_edges=edges,
        ece=float(np.sum(bin_counts / n * np.abs(prob_true - prob_pred))),
        threshold=threshold,
        tp=tp,
        fp=fp,
        fn=fn,
        tn=tn,
        precision_at_threshold=tp / (tp + fp) if tp + fp else 0.0,
        recall_at_threshold=tp / n_pos,
        fpr_at_threshold=fp / n_neg,
        f1_at_threshold=2 * tp / (2 * tp + fp + fn),
        accuracy_at_threshold=(tp + tn) / n,
        best_f1=float(f1_curve[best]),
        best_f1_threshold=float(pr_thresholds[best]),
        youden_j=float(j[best_j - 1]),
        youden_threshold=float(roc_thresholds[best_j]),
    )


def render(result: RocPr):
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import bar_chart, key_values
    from mlquiz.i18n import _

    roc = Table(title=_("ROC curve (sklearn roc_curve)"), box=None)
    for column in (_("threshold"), "FPR", "TPR"):
        roc.add_column(column, justify="right")
    points = list(zip(result.roc_thresholds, result.fpr, result.tpr))
    if len(points) > 12:
        points = points[:6] + [(None, None, None)] + points[-5:]
    for t, f, r in points:
        roc.add_row("..." if t is None else ("inf" if math.isinf(t) else f"{t:.3g}"),
                    "" if f is None else f"{f:.3f}", "" if r is None else f"{r:.3f}")
    summary = key_values(_("{pos} positives, {neg} negatives").format(pos=result.n_positive, neg=result.n_negative), [
        (_("ROC-AUC (trapezoids)"), f"{result.roc_auc:.4f}"),
        (_("pairs right + ties/2, of all"), _("{correct} + {tied}/2 of {total} = {auc:.4f}").format(
            correct=result.pairs_correct, tied=result.pairs_tied, total=result.pairs_total, auc=result.auc_from_ranks)),
        (_("average precision (prevalence)"), f"{result.average_precision:.4f} ({result.prevalence:.3f})"),
        (_("log loss (predict prevalence)"), f"{result.log_loss:.4f} ({result.log_loss_prevalence:.4f})"),
        (_("Brier score (predict prevalence)"), f"{result.brier_score:.4f} ({result.brier_prevalence:.4f})"),
        (_("at threshold {threshold:g}: precision, recall").format(threshold=result.threshold),
         f"{result.precision_at_threshold:.3f}, {result.recall_at_threshold:.3f}"),
        (_("best F1 (threshold); Youden J (threshold)"),
         f"{result.best_f1:.3f} ({result.best_f1_threshold:.3g}); {result.youden_j:.3f} ({result.youden_threshold:.3g})"),
    ])
    calibration = bar_chart(_("calibration: fraction positive per bin (ECE {ece:.3f})").format(ece=result.ece),
                            [_("mean p {p:.2f} (n={c})").format(p=p, c=c) for p, c in zip(result.calibration_prob_pred,
                                                                        result.calibration_counts)],
                            list(result.calibration_prob_true), value_format="{:.3f}")
    return Group(roc, summary, calibration)
