"""relu-given: the hand case (-1, 0, 2), finite differences away from 0, the derivative at 0 taken
as 0 (one-sided differences disagree there, so no convention is forced by the math), leaky ReLU's
slope, and the input checks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import relu_given as demo
from mlquiz.errors import DemoInputError

NAME = "relu-given"


def test_default_by_hand():
    r = demo.compute()
    np.testing.assert_array_equal(r.output, [0, 0, 2])
    np.testing.assert_array_equal(r.local_grad, [0, 0, 1])
    np.testing.assert_array_equal(r.grad_input, [0, 0, 1])
    np.testing.assert_array_equal(r.grad_input_if_one_at_zero, [0, 1, 1])
    np.testing.assert_allclose(r.leaky_grad_input, [0.01, 0.01, 1])
    np.testing.assert_allclose(r.leaky_output, [-0.01, 0, 2])
    assert r.zeros_in_x == 1 and r.grad_input_sum == 1


def test_upstream_per_input():
    r = demo.compute((-2.0, 0.0, 3.0, 0.5), (1.0, 2.0, 3.0, 4.0), 0.1)
    np.testing.assert_array_equal(r.grad_input, [0, 0, 3, 4])
    np.testing.assert_allclose(r.leaky_grad_input, [0.1, 0.2, 3, 4])
    assert r.grad_input_sum == 7


def test_one_sided_differences_at_zero_disagree():
    h = 1e-6
    right = (max(h, 0) - 0) / h
    left = (0 - max(-h, 0)) / h
    assert (left, right) == (0.0, 1.0)  # no derivative at 0; frameworks pick the left one
    assert demo.compute((0.0,)).local_grad[0] == left


@settings(max_examples=100, deadline=None)
@given(x=st.lists(st.floats(-100, 100).filter(lambda v: abs(v) > 1e-3), min_size=1, max_size=10),
       slope=st.floats(0, 1))
def test_matches_finite_differences_away_from_zero(x, slope):
    r = demo.compute(tuple(x), (1.0,), slope)
    v = np.asarray(x)
    h = 1e-5

    def leaky(u):
        return np.where(u > 0, u, slope * u)

    np.testing.assert_allclose(r.grad_input, (np.maximum(v + h, 0) - np.maximum(v - h, 0)) / (2 * h), atol=1e-6)
    np.testing.assert_allclose(r.leaky_grad_input, (leaky(v + h) - leaky(v - h)) / (2 * h), atol=1e-6)


def test_keys_index_components():
    data = registry.run(NAME, {"x": "-1, 0, 2", "upstream": "5"})
    assert registry.lookup(data, "grad_input.2") == 5.0
    assert registry.lookup(data, "grad_input.1") == 0.0


@pytest.mark.parametrize("params, message", [
    ({"x": ""}, "not valid"),
    ({"x": "1, 2", "upstream": "1, 2, 3"}, "one upstream gradient per input"),
    ({"leaky_slope": 2}, "out of range"),
])
def test_rejects_bad_inputs(params, message):
    with pytest.raises(DemoInputError, match=message):
        registry.run_json(NAME, params)
