"""batchnorm-step: every output against a plain per-feature loop (train and eval mode), the
train-mode invariants (output mean beta, variance gamma**2 var/(var + eps)), eval mode as the fixed
affine map of the running statistics, the hand-worked defaults and the input checks."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import batchnorm_step as demo
from mlquiz.errors import DemoInputError

NAME = "batchnorm-step"


def _loop_batchnorm(rows, gamma, beta, run_mean, run_var, mode, momentum=0.1, eps=1e-5):
    """BatchNorm1d written one feature at a time with Python floats, from PyTorch's documentation."""
    n = len(rows)
    out = {"mean": [], "var": [], "var_unbiased": [], "x_hat": [[0.0] * len(rows[0]) for _ in rows],
           "output": [[0.0] * len(rows[0]) for _ in rows], "running_mean": [], "running_var": []}
    for c in range(len(rows[0])):
        column = [row[c] for row in rows]
        mean = sum(column) / n
        squares = sum((v - mean) ** 2 for v in column)
        var = squares / n
        out["mean"].append(mean)
        out["var"].append(var)
        out["var_unbiased"].append(squares / (n - 1) if n > 1 else math.nan)
        used_mean, used_var = (mean, var) if mode == "train" else (run_mean[c], run_var[c])
        for k, v in enumerate(column):
            x_hat = (v - used_mean) / math.sqrt(used_var + eps)
            out["x_hat"][k][c] = x_hat
            out["output"][k][c] = gamma[c] * x_hat + beta[c]
        if mode == "train":
            out["running_mean"].append((1 - momentum) * run_mean[c] + momentum * mean)
            out["running_var"].append((1 - momentum) * run_var[c] + momentum * squares / (n - 1))
        else:
            out["running_mean"].append(run_mean[c])
            out["running_var"].append(run_var[c])
    return out


batches = st.integers(2, 6).flatmap(lambda n: st.integers(1, 4).flatmap(
    lambda c: st.lists(st.lists(st.floats(-100, 100), min_size=c, max_size=c), min_size=n, max_size=n)))


@settings(max_examples=60, deadline=None)
@given(rows=batches, mode=st.sampled_from(["train", "eval"]), seed=st.integers(0, 2**32 - 1),
       momentum=st.floats(0.0, 1.0))
def test_matches_a_per_feature_loop(rows, mode, seed, momentum):
    rng = np.random.default_rng(seed)
    c = len(rows[0])
    gamma, beta = rng.uniform(-3, 3, c).tolist(), rng.uniform(-3, 3, c).tolist()
    run_mean, run_var = rng.uniform(-5, 5, c).tolist(), rng.uniform(0.1, 10, c).tolist()
    result = demo.compute(batch=tuple(map(tuple, rows)), mode=mode, gamma=tuple(gamma), beta=tuple(beta),
                          running_mean=tuple(run_mean), running_var=tuple(run_var), momentum=momentum)
    expected = _loop_batchnorm(rows, gamma, beta, run_mean, run_var, mode, momentum)
    for key, values in expected.items():
        np.testing.assert_allclose(getattr(result, key), values, rtol=1e-9, atol=1e-9, err_msg=key)
    assert (result.n_batch, result.features) == (len(rows), c)


@settings(max_examples=60, deadline=None)
@given(rows=batches, seed=st.integers(0, 2**32 - 1), eps=st.sampled_from([1e-5, 1e-3, 0.1]))
def test_train_output_has_mean_beta_and_shrunk_variance(rows, seed, eps):
    rng = np.random.default_rng(seed)
    c = len(rows[0])
    gamma, beta = rng.uniform(-3, 3, c), rng.uniform(-3, 3, c)
    result = demo.compute(batch=tuple(map(tuple, rows)), gamma=tuple(gamma), beta=tuple(beta), eps=eps)
    np.testing.assert_allclose(result.output_mean, beta, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(result.output_var, gamma**2 * result.var / (result.var + eps), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(result.norm_mean, result.mean)
    np.testing.assert_allclose(result.norm_var, result.var)


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 5).flatmap(lambda n: st.lists(st.lists(st.floats(-100, 100), min_size=3, max_size=3),
                                                         min_size=n, max_size=n)),
       seed=st.integers(0, 2**32 - 1))
def test_eval_mode_is_the_affine_map_of_the_running_statistics(rows, seed):
    rng = np.random.default_rng(seed)
    gamma, beta = rng.uniform(-3, 3, 3), rng.uniform(-3, 3, 3)
    run_mean, run_var = rng.uniform(-5, 5, 3), rng.uniform(0, 10, 3)
    result = demo.compute(batch=tuple(map(tuple, rows)), mode="eval", gamma=tuple(gamma), beta=tuple(beta),
                          running_mean=tuple(run_mean), running_var=tuple(run_var))
    scale = gamma / np.sqrt(run_var + 1e-5)
    np.testing.assert_allclose(result.output, np.asarray(rows) * scale + (beta - scale * run_mean),
                               rtol=1e-9, atol=1e-9)
    # eval mode reads the buffers and never writes them
    np.testing.assert_array_equal(result.running_mean, run_mean)
    np.testing.assert_array_equal(result.running_var, run_var)


def test_defaults_by_hand():
    """Batch (1, 2), (3, 6), (5, 4): means 3 and 4, squares 8 and 8, biased var 8/3, unbiased 4."""
    out = registry.run_json(NAME, {})
    assert out["mean"] == [3.0, 4.0]
    assert out["var"] == pytest.approx([8 / 3, 8 / 3])
    assert out["var_unbiased"] == pytest.approx([4.0, 4.0])
    z = 2 / math.sqrt(8 / 3 + 1e-5)  # 1.22474, a hair under sqrt(3/2)
    np.testing.assert_allclose(out["x_hat"], [[-z, -z], [0, z], [z, 0]], rtol=1e-12, atol=1e-15)
    assert registry.lookup(registry.run(NAME, {}), "output.0.1") == pytest.approx(-z)
    assert out["running_mean"] == pytest.approx([0.3, 0.4])
    assert out["running_var"] == pytest.approx([0.9 + 0.4, 0.9 + 0.4])  # 0.9 * 1 + 0.1 * 4
    assert round(out["x_hat"][2][0], 4) == 1.2247
    assert out["running_var_if_biased"] == pytest.approx([0.9 + 0.8 / 3] * 2)  # the mistake: 0.1 * 8/3


def test_running_var_if_biased_is_the_update_with_the_biased_variance():
    batch = ((1.0, 2.0), (1.0, 6.0), (3.0, 2.0), (3.0, 6.0))
    train = demo.compute(batch=batch, running_var=(2.0, 3.0), momentum=0.25)
    x = np.asarray(batch)
    np.testing.assert_allclose(train.running_var_if_biased, 0.75 * np.array([2.0, 3.0]) + 0.25 * x.var(axis=0))
    np.testing.assert_allclose(train.running_var, 0.75 * np.array([2.0, 3.0]) + 0.25 * x.var(axis=0, ddof=1))
    evaluated = demo.compute(batch=batch, mode="eval", running_var=(2.0, 3.0))
    np.testing.assert_array_equal(evaluated.running_var_if_biased, [2.0, 3.0])


def test_one_number_applies_to_every_feature():
    one = demo.compute(gamma=(2.0,), beta=(0.5,))
    every = demo.compute(gamma=(2.0, 2.0), beta=(0.5, 0.5))
    np.testing.assert_array_equal(one.output, every.output)


def test_eval_mode_accepts_a_single_example():
    result = demo.compute(batch=((3.0, 4.0),), mode="eval", running_mean=(1.0, 2.0), running_var=(4.0, 1.0), eps=0.0)
    np.testing.assert_allclose(result.output, [[1.0, 2.0]])


@pytest.mark.parametrize("params, message", [
    ({"gamma": "1,2,3"}, "--gamma has 3 numbers but --batch has 2 features"),
    ({"running_var": "1,1,1"}, "--running-var has 3 numbers"),
    ({"batch": "1,2"}, "train mode needs at least 2 rows"),
    ({"batch": "1,2;3"}, "rows have different lengths"),
    ({"batch": "1,1;1,2", "eps": 0.0}, "variance 0 and --eps is 0"),
    ({"running_var": "-1"}, "out of range"),
    ({"mode": "test"}, "one of train, eval"),
])
def test_rejects_bad_inputs(params, message):
    with pytest.raises(DemoInputError, match=message):
        registry.run_json(NAME, params)


def test_cli_matrix_and_yaml_list_are_the_same_batch():
    as_text = registry.run_json(NAME, {"batch": "1, 2; 3, 6; 5, 4", "mode": "eval"})
    as_list = registry.run_json(NAME, {"batch": [[1, 2], [3, 6], [5, 4]], "mode": "eval"})
    assert as_text == as_list
