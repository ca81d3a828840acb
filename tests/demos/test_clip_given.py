"""clip-given: hand-computed cases ([3, 4] by norm and by value, the 1e-6 guard, the 1- and
inf-norms), PyTorch's rule by Hypothesis (norm after <= max_norm, direction kept, components within
the clip value, agreement with the gradient-clipping demo), Keras's global_clipnorm factor and the
input checks."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import clip_given as demo
from mlquiz.demos import gradient_clipping
from mlquiz.errors import DemoInputError

NAME = "clip-given"
vectors = st.lists(st.floats(-1e4, 1e4), min_size=1, max_size=20)


def test_three_four_by_hand():
    r = demo.compute((3.0, 4.0), max_norm=1.0, clip_value=1.0)
    assert r.norm_before == 5.0
    assert r.coefficient == pytest.approx(1 / (5 + 1e-6), rel=1e-15)
    np.testing.assert_allclose(r.by_norm, [0.6, 0.8], rtol=3e-7)  # 5 / (5 + 1e-6): 2e-7 short
    assert r.by_norm[0] < 0.6 and r.norm_by_norm < 1.0
    np.testing.assert_array_equal(r.by_value, [1.0, 1.0])
    assert r.cosine_by_norm == pytest.approx(1.0)
    assert r.cosine_by_value == pytest.approx(7 / (5 * math.sqrt(2)))
    assert round(r.angle_by_value_deg, 2) == 8.13
    assert r.components_capped == 2 and r.norm_clipped
    assert r.keras_coefficient == 0.2  # min(1, 1 / 5) exactly: Keras adds no 1e-6


def test_other_norm_types_by_hand():
    inf = demo.compute((3.0, -4.0), max_norm=2.0, norm_type="inf")
    assert inf.norm_before == 4.0 and inf.coefficient == pytest.approx(0.5)
    np.testing.assert_allclose(inf.by_norm, [1.5, -2.0], rtol=1e-6)
    one = demo.compute((3.0, -4.0), max_norm=3.5, norm_type="1")
    assert one.norm_before == 7.0
    np.testing.assert_allclose(one.by_norm, [1.5, -2.0], rtol=1e-6)


def test_under_the_threshold_nothing_changes():
    r = demo.compute((0.3, -0.4), max_norm=1.0, clip_value=1.0)
    assert r.coefficient == 1.0 and not r.norm_clipped and r.clip_coef > 1
    np.testing.assert_array_equal(r.by_norm, [0.3, -0.4])
    np.testing.assert_array_equal(r.by_value, [0.3, -0.4])
    assert r.components_capped == 0 and r.angle_by_value_deg == 0.0


@settings(max_examples=150, deadline=None)
@given(g=vectors, max_norm=st.floats(1e-6, 1e4), clip_value=st.floats(1e-9, 1e4),
       norm_type=st.sampled_from(["2", "1", "inf"]))
def test_pytorch_rule_invariants(g, max_norm, clip_value, norm_type):
    r = demo.compute(tuple(g), max_norm, clip_value, norm_type)
    assert r.norm_by_norm <= max_norm + 1e-6
    assert np.all(np.abs(r.by_value) <= clip_value)
    small = np.abs(r.grad) <= clip_value
    np.testing.assert_array_equal(r.by_value[small], r.grad[small])
    assert r.components_capped == int(np.sum(~small))
    assert 0 < r.coefficient <= 1
    if np.any(r.grad):
        assert r.cosine_by_norm == pytest.approx(1.0, abs=1e-9)  # a positive multiple: same direction
    if r.norm_before + 1e-6 <= max_norm:
        np.testing.assert_array_equal(r.by_norm, r.grad)


@settings(max_examples=60, deadline=None)
@given(g=vectors, max_norm=st.floats(1e-6, 1e4))
def test_agrees_with_the_gradient_clipping_demo(g, max_norm):
    grad = np.asarray(g)
    clipped, coef = gradient_clipping.clip_by_norm(grad, max_norm)
    r = demo.compute(tuple(g), max_norm)
    np.testing.assert_array_equal(r.by_norm, clipped)
    assert r.coefficient == coef


def test_keys_index_components():
    data = registry.run(NAME, {"grad": "3, 4"})
    assert registry.lookup(data, "by_norm.1") == pytest.approx(0.8, rel=1e-6)
    assert registry.lookup(data, "by_value.0") == 1.0


@pytest.mark.parametrize("params, message", [
    ({"grad": ""}, "not valid"),
    ({"grad": "3, inf"}, "finite"),
    ({"max_norm": 0}, "out of range"),
    ({"norm_type": "3"}, "one of 2, 1, inf"),
])
def test_rejects_bad_inputs(params, message):
    with pytest.raises(DemoInputError, match=message):
        registry.run_json(NAME, params)
