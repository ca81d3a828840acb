"""attention-scale: every Monte Carlo mean is checked within a few standard errors, against theory
(Var(q.k) = d_k, Var(q.k / sqrt(d_k)) = 1) or against an independent simulation written with plain
loops and another seed; the softmax statistics against their definitions."""

import math

import numpy as np
import pytest

from mlquiz.demokit import registry
from mlquiz.demos import attention_scale
from mlquiz.errors import DemoInputError

Z = 5  # standard errors: a correct estimate lands outside with probability ~6e-7


@pytest.fixture(scope="module")
def default():
    return attention_scale.compute()


def test_score_variance_grows_as_d_k(default):
    for d in default.dims:
        assert abs(default.dot_var[d] - d) < Z * default.dot_var_se[d], d
        assert default.dot_var_theory[d] == d
        assert abs(default.scaled_dot_var[d] - 1) < Z * default.scaled_dot_var_se[d], d


def _independent_estimate(d, keys, samples, seed, scale):
    """Mean entropy and largest weight of softmax(q.k_j * scale), one draw at a time."""
    rng = np.random.default_rng(seed)
    entropies, maxima = [], []
    for _ in range(samples):
        q = rng.normal(size=d)
        scores = [float(q @ rng.normal(size=d)) * scale for _ in range(keys)]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        p = [e / total for e in exps]
        entropies.append(-sum(x * math.log(x) for x in p if x > 0))
        maxima.append(max(p))
    se = lambda v: np.std(v, ddof=1) / math.sqrt(len(v))  # noqa: E731
    return (np.mean(entropies), se(entropies)), (np.mean(maxima), se(maxima))


@pytest.mark.parametrize("d", [4, 64, 512])
@pytest.mark.parametrize("scaled", [True, False])
def test_softmax_statistics_agree_with_an_independent_simulation(default, d, scaled):
    tag = "scaled" if scaled else "unscaled"
    (ent, ent_se), (mx, mx_se) = _independent_estimate(d, default.keys, 1500, seed=12345,
                                                       scale=1 / math.sqrt(d) if scaled else 1.0)
    entropy, entropy_se = getattr(default, f"entropy_{tag}")[d], getattr(default, f"entropy_{tag}_se")[d]
    top, top_se = getattr(default, f"max_weight_{tag}")[d], getattr(default, f"max_weight_{tag}_se")[d]
    assert abs(entropy - ent) < Z * math.hypot(entropy_se, ent_se)
    assert abs(top - mx) < Z * math.hypot(top_se, mx_se)


def test_without_the_scale_the_softmax_saturates(default):
    dims = default.dims
    # each step up in d_k makes the unscaled softmax more peaked, beyond the noise
    for small, large in zip(dims, dims[1:]):
        assert default.max_weight_unscaled[large] - default.max_weight_unscaled[small] > Z * math.hypot(
            default.max_weight_unscaled_se[large], default.max_weight_unscaled_se[small])
        assert default.entropy_unscaled[small] - default.entropy_unscaled[large] > Z * math.hypot(
            default.entropy_unscaled_se[large], default.entropy_unscaled_se[small])
    assert default.max_weight_unscaled[1024] > 0.9 and default.entropy_unscaled[1024] < 0.2
    assert default.jacobian_norm_unscaled[1024] < 0.5 * default.jacobian_norm_scaled[1024]
    # with the scale, large d_k all look alike: scores are close to iid N(0, 1)
    for a, b in ((256, 512), (512, 1024)):
        assert abs(default.entropy_scaled[a] - default.entropy_scaled[b]) < Z * math.hypot(
            default.entropy_scaled_se[a], default.entropy_scaled_se[b])
    # at d_k = 1 the scale is 1: both columns are the same draws
    assert default.entropy_scaled[1] == default.entropy_unscaled[1]
    assert default.uniform_entropy == math.log(32) and default.uniform_weight == 1 / 32


def test_scaled_large_d_matches_iid_standard_normal_scores(default):
    rng = np.random.default_rng(99)
    stats = attention_scale.softmax_stats(rng.standard_normal((20000, default.keys)))
    mean, se = stats["entropy"].mean(), stats["entropy"].std(ddof=1) / math.sqrt(20000)
    assert abs(default.entropy_scaled[1024] - mean) < Z * math.hypot(default.entropy_scaled_se[1024], se)


def test_softmax_stats_follow_their_definitions():
    rng = np.random.default_rng(1)
    scores = rng.normal(0, 3, (50, 7))
    stats = attention_scale.softmax_stats(scores)
    for row, entropy, top, jac in zip(scores, stats["entropy"], stats["max_weight"], stats["jacobian_norm"]):
        p = np.exp(row - row.max()) / np.exp(row - row.max()).sum()
        assert entropy == pytest.approx(-(p * np.log(p)).sum(), rel=1e-12)
        assert top == pytest.approx(p.max(), rel=1e-12)
        assert jac == pytest.approx(np.linalg.norm(np.diag(p) - np.outer(p, p)), rel=1e-9)
    one_hot = attention_scale.softmax_stats(np.array([[0.0, -1e4, -1e4]]))
    assert one_hot["entropy"][0] == pytest.approx(0, abs=1e-12) and one_hot["jacobian_norm"][0] < 1e-12


def test_seeded_runs_repeat():
    a = registry.run_json("attention-scale", {"dims": "8,32", "samples": 50, "seed": 3})
    b = attention_scale.compute(dims=(32, 8), samples=50, seed=3)
    assert a["dims"] == [8, 32]
    assert a["max_weight_unscaled"]["32"] == b.max_weight_unscaled[32]


@pytest.mark.parametrize("params, message", [
    ({"dims": "1.5,4"}, "whole numbers"),
    ({"dims": "4096", "keys": 1024, "samples": 100000}, "too much work"),
    ({"keys": 1}, "out of range"),
])
def test_rejects_invalid_configurations(params, message):
    with pytest.raises(DemoInputError, match=message):
        registry.run_json("attention-scale", params)
