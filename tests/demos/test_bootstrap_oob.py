"""bootstrap-oob: exact (1 - 1/n)**n against brute-force enumeration, the Monte Carlo run within
a few standard errors of it, and the 1/e limit."""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import bootstrap_oob
from mlquiz.errors import DemoInputError

Z_TOLERANCE = 5  # standard errors: a correct simulation lands outside with probability ~6e-7


def _enumerate_oob_counts(n):
    """Out-of-bag count of every one of the n**n equally likely bootstrap samples."""
    return [n - len(set(sample)) for sample in itertools.product(range(n), repeat=n)]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_exact_fraction_and_std_match_enumeration(n):
    counts = _enumerate_oob_counts(n)
    mean = Fraction(sum(counts), len(counts))
    variance = Fraction(sum(c * c for c in counts), len(counts)) - mean**2
    assert bootstrap_oob.exact_oob_fraction(n) == pytest.approx(float(mean / n), rel=1e-12, abs=1e-15)
    assert bootstrap_oob.oob_count_std(n) == pytest.approx(math.sqrt(variance), rel=1e-12, abs=1e-12)


def test_errata_numbers():
    """ERRATA 8: n = 10 -> 34.9%, n = 100 -> 36.6%, limit 36.8%, in-bag 63.2%."""
    out = registry.run_json("bootstrap-oob", {})
    assert round(out["exact_oob_by_n"]["10"], 3) == 0.349
    assert round(out["exact_oob_fraction"], 3) == 0.366
    assert round(out["limit"], 3) == 0.368
    assert round(out["in_bag_limit"], 3) == 0.632
    assert out["limit"] == pytest.approx(1 / math.e, rel=1e-15)
    # independent: (9/10)**10 exactly
    assert registry.lookup(out, "exact_oob_by_n.10") == pytest.approx(0.9**10, rel=1e-13)


@settings(max_examples=30, deadline=None)
@given(n1=st.integers(1, 1_000_000), n2=st.integers(1, 1_000_000))
def test_exact_fraction_increases_towards_1_over_e(n1, n2):
    if n1 == n2:
        return
    lo, hi = sorted((n1, n2))
    f_lo, f_hi = bootstrap_oob.exact_oob_fraction(lo), bootstrap_oob.exact_oob_fraction(hi)
    assert f_lo < f_hi < math.exp(-1)
    # independent check of the value: the plain power, accurate to ~n * 1e-16
    assert f_hi == pytest.approx((1 - 1 / hi) ** hi, rel=1e-9)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 300), trials=st.integers(200, 3000), seed=st.integers(0, 2**32 - 1))
def test_simulation_within_standard_errors(n, trials, seed):
    result = bootstrap_oob.compute(n=n, trials=trials, seed=seed)
    exact = (Fraction(n - 1, n) ** n) if n <= 50 else (1 - 1 / n) ** n
    # the standard error comes from the number of trials (checked against enumeration above)
    assert abs(result.simulated_oob_fraction - float(exact)) <= Z_TOLERANCE * result.standard_error + 1e-15
    assert result.simulated_in_bag_fraction == pytest.approx(1 - result.simulated_oob_fraction)
    assert 0 <= result.simulated_oob_count_min <= result.simulated_oob_count_max <= n - 1


def test_standard_error_matches_spread_of_simulated_counts():
    n, trials = 50, 20000
    counts = bootstrap_oob.simulate_oob_counts(n, trials, np.random.default_rng(1))
    # the sample std of a normal-ish count has relative standard error ~ 1/sqrt(2 * trials) = 0.5%
    assert counts.std(ddof=1) == pytest.approx(bootstrap_oob.oob_count_std(n), rel=5 / math.sqrt(2 * trials))


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_count_out_of_bag_matches_sets(data):
    n = data.draw(st.integers(1, 12))
    m = data.draw(st.integers(1, 6))
    rows = data.draw(st.lists(st.lists(st.integers(0, n - 1), min_size=n, max_size=n), min_size=m, max_size=m))
    draws = np.array(rows, dtype=np.int64)
    counts = bootstrap_oob.count_out_of_bag(draws, n)
    assert counts.shape == (m,)
    assert counts.tolist() == [n - len(set(row)) for row in rows]


def test_chunked_simulation_uses_every_trial(monkeypatch):
    monkeypatch.setattr(bootstrap_oob, "CHUNK_DRAWS", 70)  # 7 trials per chunk for n = 10
    counts = bootstrap_oob.simulate_oob_counts(10, 23, np.random.default_rng(0))
    assert counts.shape == (23,)
    assert ((counts >= 0) & (counts <= 9)).all()
    assert len(set(counts.tolist())) > 1  # not one chunk's value copied


def test_too_much_work_is_refused_with_a_fix():
    with pytest.raises(DemoInputError, match="--trials"):
        bootstrap_oob.compute(n=1_000_000, trials=21)


def test_n_equal_1_has_no_randomness():
    result = bootstrap_oob.compute(n=1, trials=5)
    assert result.exact_oob_fraction == 0.0 and result.simulated_oob_fraction == 0.0
    assert result.standard_error == 0.0 and result.z_score is None
