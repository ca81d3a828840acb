"""roc-pr: AUC against the fraction of correctly ranked (positive, negative) pairs, the curves and average
precision against direct counts at every threshold, sklearn's documented examples, and invariants."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import roc_pr
from mlquiz.errors import DemoInputError


def _pairs_auc(y, s):
    """P(score of a positive > score of a negative), ties counting 1/2, by looping over the pairs."""
    pos = [b for a, b in zip(y, s) if a == 1]
    neg = [b for a, b in zip(y, s) if a == 0]
    total = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg)
    return total / (len(pos) * len(neg))


def _curve_points(y, s):
    """(threshold, fpr, tpr, precision, recall) for each distinct score, highest first, by counting."""
    y, s = list(y), list(s)
    n_pos, n_neg = sum(y), len(y) - sum(y)
    points = []
    for t in sorted(set(s), reverse=True):
        tp = sum(1 for a, b in zip(y, s) if b >= t and a == 1)
        fp = sum(1 for a, b in zip(y, s) if b >= t and a == 0)
        points.append((t, fp / n_neg, tp / n_pos, tp / (tp + fp), tp / n_pos))
    return points


def _brute_ap(y, s):
    """sum over thresholds (highest first) of (R_n - R_{n-1}) P_n, starting from R = 0."""
    total, previous = 0.0, 0.0
    for _, _, _, precision, recall in _curve_points(y, s):
        total += (recall - previous) * precision
        previous = recall
    return total


data = st.integers(2, 30).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 1), min_size=n, max_size=n),
    st.lists(st.integers(0, 10).map(lambda v: v / 10), min_size=n, max_size=n),  # coarse: many ties
)).filter(lambda d: 0 < sum(d[0]) < len(d[0]))


@settings(max_examples=80, deadline=None)
@given(d=data)
def test_auc_is_the_share_of_correctly_ranked_pairs(d):
    y, s = np.array(d[0], float), np.array(d[1], float)
    result = roc_pr.compute(labels=tuple(y), scores=tuple(s))
    expected = _pairs_auc(d[0], d[1])
    assert result.roc_auc == pytest.approx(expected, abs=1e-12)
    assert result.auc_from_ranks == pytest.approx(expected, abs=1e-12)
    assert (result.pairs_correct + result.pairs_tied / 2) / result.pairs_total == pytest.approx(expected, abs=1e-12)
    assert 0.0 <= result.roc_auc <= 1.0
    assert result.gini == pytest.approx(2 * expected - 1, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(d=data)
def test_auc_symmetries(d):
    y, s = np.array(d[0], float), np.array(d[1], float)
    fpr, tpr, _ = roc_pr.roc_curve(y, s)
    auc = roc_pr.auc(fpr, tpr)
    assert roc_pr.auc(*roc_pr.roc_curve(y, -s)[:2]) == pytest.approx(1 - auc, abs=1e-12)  # reversed ranking
    assert roc_pr.auc(*roc_pr.roc_curve(1 - y, s)[:2]) == pytest.approx(1 - auc, abs=1e-12)  # swapped classes
    assert roc_pr.auc(*roc_pr.roc_curve(y, 3 * s**3 + 1)[:2]) == pytest.approx(auc, abs=1e-12)  # monotone map
    # repeating the negatives changes neither the curve nor the area, but it does change precision
    bigger = roc_pr.compute(labels=tuple(y), scores=tuple(s), negative_copies=7)
    assert bigger.roc_auc == pytest.approx(auc, abs=1e-12)
    assert bigger.prevalence < y.mean()


@settings(max_examples=60, deadline=None)
@given(d=data)
def test_curves_match_counts_at_every_threshold(d):
    y, s = np.array(d[0], float), np.array(d[1], float)
    points = _curve_points(d[0], d[1])
    fpr, tpr, thresholds = roc_pr.roc_curve(y, s, drop_intermediate=False)
    assert thresholds[0] == np.inf and fpr[0] == 0 and tpr[0] == 0
    np.testing.assert_allclose(thresholds[1:], [p[0] for p in points])
    np.testing.assert_allclose(fpr[1:], [p[1] for p in points])
    np.testing.assert_allclose(tpr[1:], [p[2] for p in points])
    # drop_intermediate keeps a subset that includes both ends and removes only collinear points
    fpr_d, tpr_d, thr_d = roc_pr.roc_curve(y, s, drop_intermediate=True)
    assert set(thr_d) <= set(thresholds) and thr_d[0] == np.inf and thr_d[-1] == thresholds[-1]
    assert roc_pr.auc(fpr_d, tpr_d) == pytest.approx(roc_pr.auc(fpr, tpr), abs=1e-12)
    precision, recall, pr_thresholds = roc_pr.precision_recall_curve(y, s)
    assert precision[-1] == 1.0 and recall[-1] == 0.0
    np.testing.assert_allclose(pr_thresholds, [p[0] for p in points][::-1])
    np.testing.assert_allclose(precision[:-1], [p[3] for p in points][::-1])
    np.testing.assert_allclose(recall[:-1], [p[4] for p in points][::-1])


@settings(max_examples=60, deadline=None)
@given(d=data)
def test_average_precision_is_the_uninterpolated_step_sum(d):
    y, s = np.array(d[0], float), np.array(d[1], float)
    ap = roc_pr.average_precision(y, s)
    assert ap == pytest.approx(_brute_ap(d[0], d[1]), abs=1e-12)
    assert 0.0 <= ap <= 1.0


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 25), data=st.data())
def test_without_ties_ap_is_the_mean_precision_at_each_positive(n, data):
    y = data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    assume(0 < sum(y) < n)
    s = data.draw(st.permutations(list(range(n))))  # distinct scores
    ranked = [label for _, label in sorted(zip(s, y), reverse=True)]
    precisions = [sum(ranked[: i + 1]) / (i + 1) for i, label in enumerate(ranked) if label == 1]
    assert roc_pr.average_precision(np.array(y, float), np.array(s, float)) == pytest.approx(
        sum(precisions) / len(precisions), abs=1e-12)


def test_sklearn_documented_examples():
    # roc_curve docs: y = [1, 1, 2, 2] with pos_label=2, scores [0.1, 0.4, 0.35, 0.8]
    y, s = np.array([0.0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])
    fpr, tpr, thresholds = roc_pr.roc_curve(y, s)
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 0.5, 0.5, 1, 1])
    np.testing.assert_allclose(thresholds, [np.inf, 0.8, 0.4, 0.35, 0.1])
    assert roc_pr.auc(fpr, tpr) == pytest.approx(0.75)
    # precision_recall_curve and average_precision_score docs, same data
    precision, recall, thresholds = roc_pr.precision_recall_curve(y, s)
    np.testing.assert_allclose(precision, [0.5, 2 / 3, 0.5, 1, 1])
    np.testing.assert_allclose(recall, [1, 1, 0.5, 0.5, 0])
    np.testing.assert_allclose(thresholds, [0.1, 0.35, 0.4, 0.8])
    assert round(roc_pr.average_precision(y, s), 2) == 0.83
    # log_loss docs: ["spam", "ham", "ham", "spam"] with P(spam) = .9, .1, .2, .65 -> 0.21616
    assert roc_pr.log_loss(np.array([1.0, 0, 0, 1]), np.array([0.9, 0.1, 0.2, 0.65])) == pytest.approx(0.21616, abs=1e-5)
    # brier_score_loss docs: y = [0, 1, 1, 0], p = [0.1, 0.9, 0.8, 0.3] -> 0.0375
    r = roc_pr.compute(labels=(0, 1, 1, 0), scores=(0.1, 0.9, 0.8, 0.3))
    assert r.brier_score == pytest.approx(0.0375)
    # calibration_curve docs: 9 examples, n_bins=3 -> prob_true [0, 0.5, 1], prob_pred [0.2, 0.525, 0.85]
    prob_true, prob_pred, counts, _ = roc_pr.calibration_curve(
        np.array([0.0, 0, 0, 0, 1, 1, 1, 1, 1]), np.array([0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1.0]), n_bins=3)
    np.testing.assert_allclose(prob_true, [0, 0.5, 1])
    np.testing.assert_allclose(prob_pred, [0.2, 0.525, 0.85])
    assert counts.tolist() == [3, 2, 4]


@settings(max_examples=50, deadline=None)
@given(d=data, n_bins=st.integers(1, 10))
def test_calibration_bins_match_a_direct_assignment(d, n_bins):
    y, p = np.array(d[0], float), np.array(d[1], float)
    prob_true, prob_pred, counts, edges = roc_pr.calibration_curve(y, p, n_bins)
    rows = []
    for b in range(n_bins):  # bin b holds edges[b] < p <= edges[b + 1]; the first bin also holds its left edge
        inside = [(a, q) for a, q in zip(y, p) if (q > edges[b] or b == 0) and q <= edges[b + 1]]
        if inside:
            rows.append((sum(a for a, _ in inside) / len(inside), sum(q for _, q in inside) / len(inside), len(inside)))
    np.testing.assert_allclose(prob_true, [r[0] for r in rows])
    np.testing.assert_allclose(prob_pred, [r[1] for r in rows])
    assert counts.tolist() == [r[2] for r in rows]
    result = roc_pr.compute(labels=tuple(y), scores=tuple(p), n_bins=n_bins)
    assert result.ece == pytest.approx(sum(r[2] / len(y) * abs(r[0] - r[1]) for r in rows), abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(d=data, threshold=st.integers(0, 10).map(lambda v: v / 10))
def test_probability_and_threshold_metrics_by_direct_count(d, threshold):
    y, p = d
    r = roc_pr.compute(labels=tuple(map(float, y)), scores=tuple(p), threshold=threshold)
    eps = np.finfo(float).eps
    losses = [-math.log(min(max(q, eps), 1 - eps)) if a == 1 else -math.log(1 - min(max(q, eps), 1 - eps))
              for a, q in zip(y, p)]
    assert r.log_loss == pytest.approx(sum(losses) / len(y), rel=1e-9)
    assert r.brier_score == pytest.approx(sum((q - a) ** 2 for a, q in zip(y, p)) / len(y), rel=1e-12, abs=1e-15)
    tp = sum(1 for a, q in zip(y, p) if q >= threshold and a == 1)
    fp = sum(1 for a, q in zip(y, p) if q >= threshold and a == 0)
    assert (r.tp, r.fp, r.fn, r.tn) == (tp, fp, sum(y) - tp, len(y) - sum(y) - fp)
    assert r.precision_at_threshold == pytest.approx(tp / (tp + fp) if tp + fp else 0.0)
    # best F1 and Youden's J over every distinct score, by brute force
    f1s = [2 * pr * rc / (pr + rc) if pr + rc else 0.0 for _, _, _, pr, rc in _curve_points(y, p)]
    assert r.best_f1 == pytest.approx(max(f1s))
    assert r.youden_j == pytest.approx(max(t - f for _, f, t, _, _ in _curve_points(y, p)))


def test_log_loss_clips_a_certain_mistake_at_machine_epsilon():
    r = roc_pr.compute(labels=(1, 0), scores=(0.0, 0.0))
    assert r.log_loss == pytest.approx(-math.log(np.finfo(float).eps) / 2)  # 36.04 for the positive, 0 for the other
    assert r.log_loss_prevalence == pytest.approx(math.log(2))
    assert r.brier_prevalence == pytest.approx(0.25)


def test_claims_at_defaults():
    out = registry.run_json("roc-pr", {})
    assert out["roc_auc"] == pytest.approx(0.72) and (out["pairs_correct"], out["pairs_tied"]) == (17, 2)
    assert round(out["average_precision"], 3) == 0.728
    many = registry.run_json("roc-pr", {"negative_copies": 10})
    assert many["roc_auc"] == pytest.approx(0.72) and round(many["average_precision"], 2) == 0.34
    assert many["fpr"] == out["fpr"] and many["tpr"] == out["tpr"]


def test_keep_intermediate_keeps_every_threshold():
    kept = roc_pr.compute(keep_intermediate=True)
    assert len(kept.roc_thresholds) == 1 + len(set(roc_pr.compute().pr_thresholds))
    assert len(roc_pr.compute().roc_thresholds) < len(kept.roc_thresholds)
    assert kept.roc_auc == pytest.approx(roc_pr.compute().roc_auc)


def test_bad_inputs_are_refused():
    with pytest.raises(DemoInputError, match="one score per label"):
        roc_pr.compute(labels=(0, 1), scores=(0.5,))
    with pytest.raises(DemoInputError, match="at least one 0 and one 1"):
        roc_pr.compute(labels=(1, 1), scores=(0.5, 0.6))
    with pytest.raises(DemoInputError, match="0 or 1"):
        roc_pr.compute(labels=(0, 0.5), scores=(0.5, 0.6))
