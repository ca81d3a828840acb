"""classification-metrics: every metric against a direct count over label pairs, sklearn's documented
examples as golden values, and invariants over random confusion matrices."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import classification_metrics as cm
from mlquiz.errors import DemoInputError


def _labels(matrix):
    """y_true, y_pred lists that reproduce the confusion matrix (row = truth, column = prediction)."""
    y_true, y_pred = [], []
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            y_true += [i] * int(count)
            y_pred += [j] * int(count)
    return y_true, y_pred


def _brute(matrix, zero_division=0.0):
    """Precision, recall and F1 per class by counting (true, predicted) pairs one by one."""
    y_true, y_pred = _labels(matrix)
    k = len(matrix)
    out = {"precision": [], "recall": [], "f1": [], "support": []}
    for c in range(k):
        tp = sum(1 for t, p in zip(y_true, y_pred) if t == c and p == c)
        fp = sum(1 for t, p in zip(y_true, y_pred) if t != c and p == c)
        fn = sum(1 for t, p in zip(y_true, y_pred) if t == c and p != c)
        out["precision"].append(tp / (tp + fp) if tp + fp else zero_division)
        out["recall"].append(tp / (tp + fn) if tp + fn else zero_division)
        out["f1"].append(2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else zero_division)
        out["support"].append(tp + fn)
    out["accuracy"] = sum(1 for t, p in zip(y_true, y_pred) if t == p) / len(y_true)
    return out


def _mean(values, weights=None):
    pairs = [(v, 1 if weights is None else w) for v, w in zip(values, weights or values) if not math.isnan(v)]
    return sum(v * w for v, w in pairs) / sum(w for _, w in pairs)


matrices = st.integers(2, 4).flatmap(
    lambda k: st.lists(st.lists(st.integers(0, 12), min_size=k, max_size=k), min_size=k, max_size=k)
).filter(lambda m: sum(map(sum, m)) > 0)


@settings(max_examples=60, deadline=None)
@given(matrix=matrices, zero_division=st.sampled_from(["0", "1", "nan"]))
def test_every_metric_matches_a_direct_count(matrix, zero_division):
    zd = {"0": 0.0, "1": 1.0, "nan": math.nan}[zero_division]
    result = cm.compute(confusion=tuple(tuple(float(v) for v in row) for row in matrix), pos_label=1,
                        zero_division=zero_division)
    brute = _brute(matrix, zd)
    for name in ("precision", "recall", "f1"):
        np.testing.assert_allclose(getattr(result, name), brute[name], rtol=1e-12, equal_nan=True)
        macro, weighted = getattr(result, f"{name}_macro"), getattr(result, f"{name}_weighted")
        if all(math.isnan(v) for v in brute[name]):
            assert math.isnan(macro) and math.isnan(weighted)
            continue
        assert macro == pytest.approx(_mean(brute[name]), rel=1e-12)  # nan classes are left out, as in sklearn
        if any(not math.isnan(v) and s > 0 for v, s in zip(brute[name], brute["support"])):
            assert weighted == pytest.approx(_mean(brute[name], brute["support"]), rel=1e-12)
    assert result.accuracy == pytest.approx(brute["accuracy"], rel=1e-12)
    assert result.support == brute["support"]
    # single-label data: micro precision = micro recall = micro F1 = accuracy, and weighted recall too
    for value in (result.precision_micro, result.recall_micro, result.f1_micro):
        assert value == pytest.approx(result.accuracy, rel=1e-12)
    if not math.isnan(result.recall_weighted):
        assert result.recall_weighted == pytest.approx(result.accuracy, rel=1e-12)
    present = [r for r, s in zip(brute["recall"], brute["support"]) if s > 0]
    assert result.balanced_accuracy == pytest.approx(sum(present) / len(present), rel=1e-12)
    assert result.majority_accuracy == pytest.approx(max(brute["support"]) / sum(brute["support"]))
    for value in (result.accuracy, result.balanced_accuracy, result.pos_specificity, result.pos_fbeta):
        assert math.isnan(value) or -1e-12 <= value <= 1 + 1e-12
    assert -1 - 1e-12 <= result.mcc <= 1 + 1e-12
    tp, fp, fn, tn = (np.array(getattr(result, a)) for a in ("tp", "fp", "fn", "tn"))
    assert np.all(tp + fp + fn + tn == result.n_samples)


@settings(max_examples=40, deadline=None)
@given(matrix=matrices)
def test_f1_is_the_harmonic_mean_and_lies_between_precision_and_recall(matrix):
    result = cm.compute(confusion=tuple(tuple(float(v) for v in row) for row in matrix))
    for p, r, f, tp in zip(result.precision, result.recall, result.f1, result.tp):
        if tp > 0:  # both defined and nonzero
            assert f == pytest.approx(2 * p * r / (p + r), rel=1e-12)
            assert min(p, r) - 1e-12 <= f <= max(p, r) + 1e-12


@settings(max_examples=40, deadline=None)
@given(matrix=matrices)
def test_mcc_is_the_correlation_of_one_hot_labels(matrix):
    y_true, y_pred = _labels(matrix)
    k = len(matrix)
    T, P = np.eye(k)[y_true], np.eye(k)[y_pred]
    cov = lambda A, B: np.sum((A - A.mean(axis=0)) * (B - B.mean(axis=0)))  # noqa: E731
    denominator = math.sqrt(cov(T, T) * cov(P, P))
    expected = cov(T, P) / denominator if denominator > 0 else 0.0
    result = cm.compute(confusion=tuple(tuple(float(v) for v in row) for row in matrix))
    assert result.mcc == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_sklearn_documented_examples():
    # precision_recall_fscore_support docs: cat/dog/pig -> macro (0.22, 0.33, 0.27), micro 0.33, weighted (0.22, 0.33, 0.27)
    r = cm.compute(confusion=((2, 0, 0), (1, 0, 1), (0, 2, 0)))
    assert (round(r.precision_macro, 2), round(r.recall_macro, 2), round(r.f1_macro, 2)) == (0.22, 0.33, 0.27)
    assert (round(r.precision_micro, 2), round(r.recall_micro, 2), round(r.f1_micro, 2)) == (0.33, 0.33, 0.33)
    assert (round(r.precision_weighted, 2), round(r.recall_weighted, 2), round(r.f1_weighted, 2)) == (0.22, 0.33, 0.27)
    assert r.f1 == pytest.approx([0.8, 0.0, 0.0])
    # precision_score docs: y_true = [0, 1, 2, 0, 1, 2], y_pred all 0, with zero_division 0 / 1 / nan
    matrix = ((2, 0, 0), (2, 0, 0), (2, 0, 0))
    assert cm.compute(confusion=matrix, zero_division="0").precision == pytest.approx([1 / 3, 0, 0])
    assert cm.compute(confusion=matrix, zero_division="1").precision == pytest.approx([1 / 3, 1, 1])
    nan = cm.compute(confusion=matrix, zero_division="nan")
    assert nan.precision[0] == pytest.approx(1 / 3) and math.isnan(nan.precision[1]) and math.isnan(nan.precision[2])
    assert nan.precision_macro == pytest.approx(1 / 3)  # the nan classes are left out of the mean
    assert "precision 1" in nan.undefined and "precision 2" in nan.undefined
    # matthews_corrcoef docs: y_true = [+1, +1, +1, -1], y_pred = [+1, -1, +1, +1] -> -0.33
    assert round(cm.compute(confusion=((0, 1), (1, 2))).mcc, 2) == -0.33


def test_binary_conventions():
    # tn, fp, fn, tp = C.ravel(); pos_label = 1 is the second row and column
    r = cm.compute(confusion=((50, 10), (5, 35)), beta=2.0)
    assert (r.tn[1], r.fp[1], r.fn[1], r.tp[1]) == (50, 10, 5, 35)
    assert r.pos_precision == pytest.approx(35 / 45) and r.pos_recall == pytest.approx(35 / 40)
    assert r.pos_f1 == pytest.approx(70 / 85)
    assert r.pos_fbeta == pytest.approx(5 * 35 / (5 * 35 + 4 * 5 + 10))
    assert r.pos_specificity == pytest.approx(50 / 60) and r.pos_false_positive_rate == pytest.approx(10 / 60)
    # beta = 0 is precision, as in sklearn
    assert cm.compute(confusion=((50, 10), (5, 35)), beta=0.0).pos_fbeta == pytest.approx(r.pos_precision)
    # pos_label = 0 swaps the roles
    r0 = cm.compute(confusion=((50, 10), (5, 35)), pos_label=0)
    assert r0.pos_precision == pytest.approx(50 / 55) and r0.pos_recall == pytest.approx(50 / 60)


def test_macro_f1_is_not_the_f1_of_macro_precision_and_recall():
    r = cm.compute()
    assert r.f1_of_macro_pr == pytest.approx(2 * r.precision_macro * r.recall_macro
                                             / (r.precision_macro + r.recall_macro))
    assert abs(r.f1_of_macro_pr - r.f1_macro) > 0.005


def test_accuracy_paradox_at_defaults():
    out = registry.run_json("classification-metrics", {})
    assert out["accuracy"] == pytest.approx(0.86) and out["majority_accuracy"] == pytest.approx(0.80)
    assert out["recall"][2] == pytest.approx(0.2)
    assert out["f1_macro"] < 0.65 < out["f1_weighted"]
    assert out["f1_micro"] == pytest.approx(out["accuracy"])


def test_bad_matrices_are_refused():
    for bad in (((1, 2, 3), (4, 5, 6)), ((1.5, 0), (0, 1)), ((0, 0), (0, 0)), ((5,),)):
        with pytest.raises(DemoInputError):
            cm.compute(confusion=bad)
    with pytest.raises(DemoInputError, match="pos-label"):
        cm.compute(confusion=((1, 0), (0, 1)), pos_label=2)
