"""bootstrap-632: the estimators against loops over examples and bootstrap samples, the .632+ formula
in Efron and Tibshirani's own form, the out-of-bag share against the bootstrap-oob demo's exact
value, and the simulated errors against known limits within a few standard errors."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import bootstrap_632 as b632
from mlquiz.demos import bootstrap_oob

Z = 5  # standard errors allowed to a Monte Carlo estimate


def test_loo_bootstrap_error_matches_a_loop():
    rng = np.random.default_rng(0)
    losses = rng.integers(0, 2, size=(30, 12)).astype(float)
    out_of_bag = rng.random((30, 12)) < 0.4
    out_of_bag[:, 3] = False  # an example in every sample is left out
    per_example = []
    for i in range(12):
        samples = [b for b in range(30) if out_of_bag[b, i]]
        if samples:
            per_example.append(sum(losses[b, i] for b in samples) / len(samples))
    assert b632.loo_bootstrap_error(losses, out_of_bag) == pytest.approx(sum(per_example) / len(per_example))


@settings(max_examples=200, deadline=None)
@given(err=st.floats(0, 1), err1=st.floats(0, 1), gamma=st.floats(0, 1))
def test_632plus_in_efron_tibshirani_form(err, err1, gamma):
    plus, r = b632.estimate_632plus(err, err1, gamma)
    err1_c = min(err1, gamma)
    r_expected = (err1_c - err) / (gamma - err) if err1_c > err and gamma > err else 0.0
    b632_c = 0.368 * err + 0.632 * err1_c
    # Efron and Tibshirani (1997), eq. 32: Err.632+ = Err.632 + (Err1' - err) * .368 * .632 * R' / (1 - .368 R')
    expected = b632_c + (err1_c - err) * 0.368 * 0.632 * r_expected / (1 - 0.368 * r_expected)
    assert r == pytest.approx(r_expected, abs=1e-12)
    assert plus == pytest.approx(expected, abs=1e-12)
    assert 0 <= r <= 1
    assert min(err, err1_c) - 1e-12 <= plus <= max(err, err1_c) + 1e-12  # a mix of the two


def test_632plus_limits():
    assert b632.estimate_632plus(0.0, 0.5, 0.5)[0] == pytest.approx(0.5)  # R = 1: all weight on Err1
    assert b632.estimate_632plus(0.2, 0.1, 0.5)[0] == pytest.approx(0.368 * 0.2 + 0.632 * 0.1)  # R = 0: plain .632


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10**6), classifier=st.sampled_from(["1-nn", "nearest-centroid"]))
def test_predict_matches_a_loop(seed, classifier):
    rng = np.random.default_rng(seed)
    X, y = b632.make_data(14, 1.0, rng)
    query = rng.standard_normal((6, 2))
    weights = rng.integers(0, 3, size=(4, 14)).astype(float)
    weights[:, :2] = 1  # both classes present
    got = b632.predict(classifier, X, y, weights, query)
    for b in range(4):
        for i, q in enumerate(query):
            if classifier == "1-nn":
                inside = [j for j in range(14) if weights[b, j] > 0]
                nearest = min(inside, key=lambda j: np.sum((q - X[j]) ** 2))
                expected = y[nearest]
            else:  # each copy of an example counts in its class mean
                means = [sum(weights[b, j] * X[j] for j in range(14) if y[j] == c)
                         / sum(weights[b, j] for j in range(14) if y[j] == c) for c in (0, 1)]
                expected = int(np.sum((q - means[1]) ** 2) < np.sum((q - means[0]) ** 2))
            assert got[b, i] == expected


def test_no_information_error():
    y = np.array([0, 0, 0, 1])
    assert b632.no_information_error(y, np.array([0, 1, 1, 1])) == pytest.approx(0.75 * 0.75 + 0.25 * 0.25)
    assert b632.no_information_error(np.array([0, 1, 0, 1]), np.array([0, 1, 0, 1])) == pytest.approx(0.5)


def test_out_of_bag_share_matches_the_bootstrap_oob_demo():
    n, B, trials = 30, 200, 40
    out = b632.compute(n=n, n_bootstrap=B, trials=trials, classifier="nearest-centroid", seed=2)
    assert out.exact_oob_fraction == pytest.approx(bootstrap_oob.exact_oob_fraction(n))
    se = bootstrap_oob.oob_count_std(n) / n / math.sqrt(B * trials)
    assert abs(out.mean_oob_fraction - out.exact_oob_fraction) <= Z * se


def test_pure_noise_limits():
    out = b632.compute(separation=0.0, trials=200, n=40, n_bootstrap=60, seed=4)
    assert abs(out.true_error - 0.5) <= Z * out.true_error_se
    assert out.apparent_error == 0.0  # 1-NN memorises its training set
    assert out.b632_error == pytest.approx(0.632 * out.loo_bootstrap_error)  # so .632 is 0.632 Err1
    assert out.no_information_error == pytest.approx(0.5)  # it predicts its own balanced labels
    assert out.b632_error < 0.4 < out.b632plus_error


def test_claims_at_defaults():
    out = registry.run_json("bootstrap-632", {})
    assert out["bias"]["b632"] < -0.1  # far too optimistic for 1-NN
    assert abs(out["bias"]["b632plus"]) < abs(out["bias"]["b632"]) / 3
    assert abs(out["bias"]["cv10"]) < 0.03 and abs(out["bias"]["loo_bootstrap"]) < 0.03
    stable = registry.run_json("bootstrap-632", {"classifier": "nearest-centroid"})
    for name in ("loo_bootstrap", "b632", "b632plus", "cv10"):
        assert abs(stable["bias"][name]) < 0.015


def test_worked_example():
    out = b632.compute(trials=2, n_bootstrap=10, example=(0.1, 0.3, 0.5))
    assert out.example_b632 == pytest.approx(0.368 * 0.1 + 0.632 * 0.3)
    assert out.example_relative_overfitting == pytest.approx(0.2 / 0.4)
    assert out.example_weight == pytest.approx(0.632 / (1 - 0.368 * 0.5))
    assert out.example_b632plus == pytest.approx(0.1 + out.example_weight * 0.2)
