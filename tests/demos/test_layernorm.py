"""layernorm: the hand-written LayerNorm and RMSNorm backward passes against finite differences
(with and without affine parameters, over one and two normalised axes), the forward passes against
loop-by-loop oracles, LayerNorm as BatchNorm on the transpose, and the batch and mode independence
the quiz cites."""

import math

import numpy as np
import pytest
from gradcheck import assert_gradients_match
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import batchnorm, layernorm
from mlquiz.errors import DemoInputError


def _case(shape, normalized_ndim, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 2 + 0.5
    norm_shape = shape[len(shape) - normalized_ndim:]
    return x, rng.standard_normal(norm_shape), rng.standard_normal(norm_shape), rng.standard_normal(shape)


# not D = 2: LayerNorm maps any two distinct values to about (-1, +1), so its gradient is of the
# order of eps and finite differences measure only their own rounding
CASES = [((4, 5), 1), ((2, 3, 4), 1), ((2, 3, 4), 2), ((3, 1, 2, 3), 3), ((6, 3), 1)]


@pytest.mark.parametrize("shape, normalized_ndim", CASES)
@pytest.mark.parametrize("affine", ["weight_and_bias", "weight_only", "none"])
def test_layernorm_backward_matches_finite_differences(shape, normalized_ndim, affine):
    x, w, b, upstream = _case(shape, normalized_ndim, seed=3)
    w = None if affine == "none" else w
    b = b if affine == "weight_and_bias" else None

    def loss():
        return float(np.sum(layernorm.layernorm_forward(x, w, b, 1e-5, normalized_ndim)[0] * upstream))

    _, cache = layernorm.layernorm_forward(x, w, b, 1e-5, normalized_ndim)
    dx, dw, db = layernorm.layernorm_backward(upstream, cache)
    assert_gradients_match(dx, loss, x, name="x")
    if w is not None:
        assert_gradients_match(dw, loss, w, name="weight")
    else:
        assert dw is None
    if b is not None:
        assert_gradients_match(db, loss, b, name="bias")
    else:
        assert db is None


@pytest.mark.parametrize("shape, normalized_ndim", CASES)
@pytest.mark.parametrize("affine", [True, False])
def test_rmsnorm_backward_matches_finite_differences(shape, normalized_ndim, affine):
    x, w, _, upstream = _case(shape, normalized_ndim, seed=5)
    w = w if affine else None

    def loss():
        return float(np.sum(layernorm.rmsnorm_forward(x, w, 1.1920929e-07, normalized_ndim)[0] * upstream))

    _, cache = layernorm.rmsnorm_forward(x, w, 1.1920929e-07, normalized_ndim)
    dx, dw = layernorm.rmsnorm_backward(upstream, cache)
    assert_gradients_match(dx, loss, x, name="x")
    if affine:
        assert_gradients_match(dw, loss, w, name="weight")
    else:
        assert dw is None


def _naive_row_stats(row):
    values = [float(v) for v in row]
    mean = sum(values) / len(values)
    return mean, sum((v - mean) ** 2 for v in values) / len(values), math.sqrt(sum(v * v for v in values) / len(values))


matrices = st.integers(2, 5).flatmap(lambda d: st.lists(
    st.lists(st.integers(-20, 20).map(float), min_size=d, max_size=d), min_size=2, max_size=5))


@settings(max_examples=80, deadline=None)
@given(x=matrices, weight=st.sampled_from([1.0, -0.5, 2.0]), bias=st.sampled_from([0.0, 1.5]),
       eps=st.sampled_from([1e-5, 1e-3]))
def test_forward_passes_match_loop_oracles(x, weight, bias, eps):
    r = layernorm.compute(x, eps=eps, weight=weight, bias=bias, rms_eps=1e-6)
    for i, row in enumerate(x):
        mean, var, rms = _naive_row_stats(row)
        assert r.ln_mean[i] == pytest.approx(mean, abs=1e-12)
        assert r.ln_var[i] == pytest.approx(var, abs=1e-9)  # biased: divide by D
        expected = [(v - mean) / math.sqrt(var + eps) * weight + bias for v in row]
        np.testing.assert_allclose(r.ln_output[i], expected, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(r.rms_output[i], [v / math.sqrt(rms**2 + 1e-6) * weight for v in row],
                                   rtol=1e-10, atol=1e-12)
    cols = np.asarray(x).T
    for j, col in enumerate(cols):
        mean, var, _ = _naive_row_stats(col)
        np.testing.assert_allclose(r.bn_output[:, j], (col - mean) / math.sqrt(var + eps), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r.ln_output_row_mean, bias, atol=1e-9)


def test_layernorm_is_batchnorm_on_the_transpose():
    """Same statistics along the other axis: LayerNorm(x) = BatchNorm1d(x.T).T (unit weight, no bias)."""
    x, _, _, upstream = _case((5, 7), 1, seed=11)
    D = x.shape[1]
    ln, ln_cache = layernorm.layernorm_forward(x, np.ones(D), np.zeros(D))
    bn, bn_cache = batchnorm.batchnorm_forward(x.T.copy(), np.ones(5), np.zeros(5))
    np.testing.assert_allclose(ln, bn.T, rtol=1e-12)
    np.testing.assert_allclose(layernorm.layernorm_backward(upstream, ln_cache)[0],
                               batchnorm.batchnorm_backward(upstream.T.copy(), bn_cache)[0].T, rtol=1e-10, atol=1e-14)


def test_rmsnorm_equals_layernorm_on_centred_rows():
    x, w, _, _ = _case((4, 6), 1, seed=2)
    x -= x.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(layernorm.rmsnorm_forward(x, w, 1e-5)[0], layernorm.layernorm_forward(x, w, None, 1e-5)[0],
                               rtol=1e-12)


def test_defaults_and_counts():
    r = registry.run_json("layernorm", {})
    assert r["ln_mean"][0] == 2 and r["ln_var"][0] == 1 and r["ln_var_unbiased"][0] == pytest.approx(4 / 3)
    np.testing.assert_allclose(r["ln_output"][0], np.array([-1, -1, 1, 1]) / math.sqrt(1 + 1e-5))
    assert r["params"] == {"layernorm": 8, "rmsnorm": 4, "batchnorm": 8}
    assert r["buffers"] == {"layernorm": 0, "rmsnorm": 0, "batchnorm": 9}
    assert registry.run_json("layernorm", {"no_bias": True})["params"]["layernorm"] == 4
    assert registry.run_json("layernorm", {"no_affine": True})["params"] == {"layernorm": 0, "rmsnorm": 0, "batchnorm": 8}
    assert r["ln_dbias"] is not None and registry.run_json("layernorm", {"no_bias": True})["ln_dbias"] is None


def test_only_batchnorm_depends_on_the_batch_and_the_mode():
    r = layernorm.compute()
    assert r.batch_dependence["layernorm"] == 0.0 and r.batch_dependence["rmsnorm"] == 0.0
    assert r.batch_dependence["batchnorm"] > 0.1
    assert r.train_eval_max_diff["layernorm"] == 0.0 and r.train_eval_max_diff["rmsnorm"] == 0.0
    assert r.train_eval_max_diff["batchnorm"] > 0.1
    # a single example normalised alone gets the same LayerNorm output as inside the batch
    x = np.asarray(((1, 1, 3, 3), (0, 0, 0, 8), (2, 4, 6, 8)), dtype=float)
    alone, _ = layernorm.layernorm_forward(x[1:2], np.ones(4), np.zeros(4))
    np.testing.assert_array_equal(alone[0], r.ln_output[1])


def test_gradient_sums():
    r = layernorm.compute(seed=4)
    assert r.ln_dx_row_sum_max_abs < 1e-12  # dx is orthogonal to a per-row constant
    assert r.bn_dx_col_sum_max_abs < 1e-12
    assert r.rms_dx_row_sum_max_abs > 1e-3  # RMSNorm does not remove the mean


def test_rejects_a_single_row():
    with pytest.raises(DemoInputError, match="at least 2 rows"):
        registry.run_json("layernorm", {"x": "1,2,3"})
