import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mlquiz.demokit import registry
from mlquiz.demos import gradient_clipping as demo
from mlquiz.errors import DemoInputError

NAME = "gradient-clipping"
finite = st.floats(-1e6, 1e6, allow_nan=False)


def _torch_clip_grad_norm(g, max_norm):
    """PyTorch's rule written out with a loop (torch/nn/utils/clip_grad.py): the total 2-norm,
    clip_coef = max_norm / (total_norm + 1e-6), clamped to at most 1, then multiplied in."""
    total_norm = math.sqrt(sum(float(v) * float(v) for v in g))
    clip_coef = min(max_norm / (total_norm + 1e-6), 1.0)
    return [float(v) * clip_coef for v in g]


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 30), elements=finite), st.floats(1e-6, 1e6))
def test_clip_by_norm_matches_pytorchs_rule(g, max_norm):
    clipped, coef = demo.clip_by_norm(g, max_norm)
    assert clipped.shape == g.shape
    np.testing.assert_allclose(clipped, _torch_clip_grad_norm(g, max_norm), rtol=1e-12, atol=1e-300)
    assert np.linalg.norm(clipped) <= max_norm * (1 + 1e-12)
    assert 0 < coef <= 1
    if np.linalg.norm(g) + 1e-6 <= max_norm:
        np.testing.assert_array_equal(clipped, g)  # below the threshold nothing changes


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 30), elements=finite), st.floats(1e-9, 1e6))
def test_clip_by_value_caps_each_component(g, clip_value):
    clipped = demo.clip_by_value(g, clip_value)
    assert clipped.shape == g.shape
    assert np.all(np.abs(clipped) <= clip_value)
    small = np.abs(g) <= clip_value
    np.testing.assert_array_equal(clipped[small], g[small])
    np.testing.assert_array_equal(clipped[~small], np.sign(g[~small]) * clip_value)


def test_cosine_by_hand():
    assert demo.cosine(np.array([1.0, 0.0]), np.array([1.0, 1.0])) == pytest.approx(1 / math.sqrt(2))
    assert demo.cosine(np.array([3.0, 4.0]), np.array([0.3, 0.4])) == pytest.approx(1.0)
    # Value clipping of (10, 1) at 1 gives (1, 1): the direction turns by 45 - atan(1/10) degrees.
    g = np.array([10.0, 1.0])
    angle = math.degrees(math.acos(demo.cosine(g, demo.clip_by_value(g, 1.0))))
    assert angle == pytest.approx(45 - math.degrees(math.atan(0.1)))


def test_defaults_norm_clipping_keeps_direction_value_clipping_turns_it():
    result = demo.compute()
    assert result.norm_before == pytest.approx(100.0)
    # max_norm * total / (total + 1e-6): 1 less a hair, from PyTorch's 1e-6 guard.
    assert result.norm_after_norm_clip == pytest.approx(100.0 / (100.0 + 1e-6))
    assert result.norm_clip_coef == pytest.approx(1.0 / (100.0 + 1e-6))
    assert result.cosine_norm_clip == pytest.approx(1.0, abs=1e-12)
    assert result.cosine_value_clip < 0.9
    assert result.max_abs_after_value_clip == 1.0
    assert result.angle_value_clip_deg == pytest.approx(math.degrees(math.acos(result.cosine_value_clip)))


def test_value_clipping_fraction_against_the_normal_distribution():
    """Components are scale * z / |z| ~ N(0, (scale/sqrt(dim))^2) for large dim; P(|g_i| > c) = erfc(c sqrt(dim) / (scale sqrt 2))."""
    dim, scale, clip_value = 200_000, 100.0, 0.2
    result = demo.compute(dim=dim, scale=scale, clip_value=clip_value)
    t = clip_value * math.sqrt(dim) / scale  # the threshold in units of z
    p = math.erfc(t / math.sqrt(2))
    binomial_var = p * (1 - p) / dim
    # Normalising by |z| / sqrt(dim) = 1 +- 1/sqrt(2 dim) moves the threshold; dp/dt = -2 phi(t).
    phi = math.exp(-t * t / 2) / math.sqrt(2 * math.pi)
    norm_var = (2 * phi * t) ** 2 / (2 * dim)
    assert abs(result.fraction_components_clipped - p) < 5 * math.sqrt(binomial_var + norm_var)


@pytest.mark.parametrize("seed", [0, 1])
def test_value_clipping_of_everything_tends_to_sqrt_2_over_pi(seed):
    """cos(g, sign g) = ||g||_1 / (sqrt(d) ||g||_2) -> E|z| / sqrt(E z^2) = sqrt(2/pi); by the delta method
    its standard error is sqrt((1 - 3/pi) / d)."""
    dim = 1_000_000
    result = demo.compute(dim=dim, clip_value=1e-9, seed=seed)
    assert result.fraction_components_clipped == 1.0
    assert result.cosine_value_clip == pytest.approx(result.cosine_sign, abs=1e-12)
    se = math.sqrt((1 - 3 / math.pi) / dim)
    assert abs(result.cosine_value_clip - math.sqrt(2 / math.pi)) < 5 * se


@settings(max_examples=40, deadline=None)
@given(
    vanishing_scale=st.floats(1e-100, 1e-3),
    max_norm=st.floats(1e-2, 1e3),
    clip_value=st.floats(1e-2, 1e3),
    dim=st.integers(1, 200),
)
def test_clipping_never_changes_a_vanishing_gradient(vanishing_scale, max_norm, clip_value, dim):
    """ERRATA 25: clipping caps gradients above a threshold; a small gradient passes through unchanged."""
    result = demo.compute(dim=dim, vanishing_scale=vanishing_scale, max_norm=max_norm, clip_value=clip_value)
    assert result.vanishing_unchanged
    assert result.vanishing_norm_after_norm_clip == result.vanishing_norm_before
    assert result.vanishing_norm_after_value_clip == result.vanishing_norm_before
    assert result.vanishing_norm_before == pytest.approx(vanishing_scale, rel=1e-12, abs=1e-300)


def test_one_dimension_value_clipping_keeps_direction():
    result = demo.compute(dim=1)
    assert result.cosine_value_clip == pytest.approx(1.0)
    assert result.norm_after_value_clip == 1.0


def test_parameters_are_validated():
    with pytest.raises(DemoInputError, match="out of range"):
        registry.run_json(NAME, {"dim": 10**9})
    with pytest.raises(DemoInputError, match="out of range"):
        registry.run_json(NAME, {"max_norm": 0})
    with pytest.raises(DemoInputError):
        registry.run_json(NAME, {"scale": "inf"})
    with pytest.raises(DemoInputError, match="out of range"):
        registry.run_json(NAME, {"vanishing_scale": 1e-300})


def test_json_keys_through_the_registry():
    data = registry.run_json(NAME, {})
    assert registry.lookup(data, "cosine_norm_clip") == pytest.approx(1.0)
    assert registry.lookup(data, "vanishing_unchanged") is True
