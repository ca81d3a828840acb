"""softmax-stability: the max trick and log-sum-exp against independent formulas, dCE/dz against
finite differences, and the overflow/underflow thresholds against the float formats."""

import math
import warnings

import numpy as np
import pytest
from gradcheck import assert_gradients_match
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlquiz.demokit import registry
from mlquiz.demos import softmax_stability as sm
from mlquiz.errors import DemoInputError


@pytest.mark.parametrize("seed", range(4))
def test_cross_entropy_gradient_matches_finite_differences(seed):
    rng = np.random.default_rng(seed)
    K = int(rng.integers(2, 7))
    z = rng.standard_normal(K)  # no probability below ~1e-3, so relative errors stay meaningful
    t = int(rng.integers(0, K))

    def cross_entropy():  # the definition, written out: -log(e^{z_t} / sum e^{z_j})
        return -math.log(math.exp(z[t]) / sum(math.exp(v) for v in z))

    assert_gradients_match(sm.cross_entropy_grad(z.copy(), t), cross_entropy, z, name="z")


def test_demo_gradient_matches_finite_differences_of_its_cross_entropy():
    result = sm.compute(logits="0.5,-1.25,2,0.1", target=1)
    z = np.array([0.5, -1.25, 2, 0.1])
    assert_gradients_match(result.grad_logits,
                           lambda: np.log(np.exp(z).sum()) - z[1], z, name="z")


@settings(max_examples=40, deadline=None)
@given(z=hnp.arrays(np.float64, st.integers(2, 8), elements=st.floats(-30, 30)),
       shift=st.floats(-1000, 1000))
def test_shift_invariance_and_agreement_with_naive(z, shift):
    naive = np.exp(z) / np.exp(z).sum()  # safe for |z| <= 30
    np.testing.assert_allclose(sm.softmax_stable(z), naive, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(sm.softmax_stable(z + shift), naive, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(sm.log_sum_exp(z + shift), np.log(np.exp(z).sum()) + shift,
                               rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(sm.log_softmax(z + shift), np.log(naive), rtol=1e-9, atol=1e-9)
    # ERRATA 16: after subtracting the max the denominator is in [1, K]
    denominator = np.exp(z - z.max()).sum()
    assert 1.0 <= denominator <= len(z)
    assert sm.compute(logits=",".join(repr(float(v)) for v in z)).stable_denominator >= 1.0


@settings(max_examples=25, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
def test_batched_shapes(shape):
    z = np.random.default_rng(0).standard_normal(shape)
    assert sm.softmax_stable(z).shape == shape
    assert sm.softmax_naive(z).shape == shape
    assert sm.log_softmax(z).shape == shape
    assert sm.log_sum_exp(z).shape == shape[:-1]
    np.testing.assert_allclose(sm.softmax_stable(z).sum(axis=-1), 1.0)


def test_errata_numbers_at_defaults():
    out = registry.run_json("softmax-stability", {})
    # naive overflows: inf / inf = nan (null in JSON), inf in JSON as "inf"
    assert out["naive_exp"][:3] == ["inf", "inf", "inf"]
    assert out["naive_softmax"][:3] == [None, None, None] and out["naive_nan_count"] == 3
    assert out["naive_log_sum_exp"] == "inf"
    # the max trick: (1, 2, 3) - 3 gives e^-2, e^-1, e^0 over their sum
    e = [math.exp(-2), math.exp(-1), 1.0]
    np.testing.assert_allclose(out["stable_softmax"][:3], [v / math.fsum(e) for v in e], rtol=1e-14)
    assert [round(p, 3) for p in out["stable_softmax"][:3]] == [0.09, 0.245, 0.665]
    assert out["stable_denominator"] == pytest.approx(math.fsum(e), rel=1e-15)
    # log(0): the fourth probability underflows; only log-softmax gives the finite answer
    assert out["stable_softmax"][3] == 0.0 and out["underflow_zeros"] == 1
    assert out["cross_entropy_softmax_then_log"] == "inf"
    assert out["cross_entropy"] == pytest.approx(1002 + math.log(math.fsum(e)), rel=1e-15)
    assert out["cross_entropy_per_class"][0] == pytest.approx(2 + math.log(math.fsum(e)), rel=1e-14)
    np.testing.assert_allclose(out["grad_logits"], out["stable_softmax"][:3] + [-1.0], atol=1e-16)
    assert out["grad_target"] == -1.0 and abs(out["grad_sum"]) < 1e-15
    assert out["target"] == 3  # -1 means the last class


@pytest.mark.parametrize("dtype,overflow,underflow", [
    ("float64", math.log(np.finfo(np.float64).max), -1075 * math.log(2)),  # 2**-1075 rounds to 0
    ("float32", math.log(float(np.finfo(np.float32).max)), -150 * math.log(2)),  # 2**-150 rounds to 0
])
def test_exp_thresholds(dtype, overflow, underflow):
    result = sm.compute(dtype=dtype)
    assert result.exp_overflow_threshold == pytest.approx(overflow, rel=1e-6)
    assert result.exp_underflow_threshold == pytest.approx(underflow, rel=1e-6)
    t = np.asarray(result.exp_underflow_threshold, dtype=dtype)
    with np.errstate(under="ignore"):
        assert np.exp(t) == 0
        assert np.exp(np.asarray(result.exp_underflow_threshold * (1 - 1e-5), dtype=dtype)) > 0
    with np.errstate(over="ignore"):
        assert np.isinf(np.exp(np.asarray(result.exp_overflow_threshold * (1 + 1e-5), dtype=dtype)))
    assert round(sm.compute(dtype="float64").exp_overflow_threshold, 2) == 709.78
    assert round(sm.compute(dtype="float32").exp_overflow_threshold, 2) == 88.72


def test_float32_overflows_earlier():
    assert not sm.compute(logits="100,101", target=0).naive_overflows
    assert sm.compute(logits="100,101", target=0, dtype="float32").naive_overflows


@pytest.mark.parametrize("logits,target,match", [
    ("abc", 0, "not a list of numbers"), ("5", 0, "between 2"), ("1,nan", 0, "not finite"),
    ("1,2e7", 0, "not finite"), (",".join(["1"] * 101), 0, "between 2"), ("1,2", 2, "--target"),
])
def test_bad_input_is_refused(logits, target, match):
    with pytest.raises(DemoInputError, match=match):
        sm.compute(logits=logits, target=target)


@pytest.mark.parametrize("logits,dtype", [("1000,1001,1002,0", "float64"), ("-200,300,0", "float32")])
def test_computation_emits_no_warnings(logits, dtype):
    with warnings.catch_warnings(), np.errstate(all="warn"):
        warnings.simplefilter("error")  # a leaked overflow/underflow/invalid/divide warning fails here
        sm.compute(logits=logits, dtype=dtype)
