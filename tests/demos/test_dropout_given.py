"""dropout-given: the hand case, the expectation over every mask by brute force (inverted dropout's
training mean equals the input; classic dropout's equals its test output), and the input checks."""

import itertools

import numpy as np
import pytest

from mlquiz.demokit import registry
from mlquiz.demos import dropout_given as demo
from mlquiz.errors import DemoInputError

NAME = "dropout-given"


def test_default_by_hand():
    r = demo.compute()
    np.testing.assert_array_equal(r.train_output, [4, 0, 12, 0])
    np.testing.assert_array_equal(r.eval_output, [2, 4, 6, 8])
    np.testing.assert_array_equal(r.classic_train_output, [2, 0, 6, 0])
    np.testing.assert_array_equal(r.classic_eval_output, [1, 2, 3, 4])
    assert r.scale == 2 and r.kept == 2 and r.train_sum == 16


def test_p_point_two_scales_by_one_point_two_five():
    r = demo.compute((1.0, 2.0), (1.0, 1.0), 0.2)
    np.testing.assert_allclose(r.train_output, [1.25, 2.5])
    assert r.scale == pytest.approx(1.25) and r.wrong_scale == pytest.approx(5.0)


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.75])
def test_expectation_over_every_mask(p):
    x = (3.0, -1.0, 2.0)
    mean_inverted = np.zeros(3)
    mean_classic = np.zeros(3)
    for mask in itertools.product((0.0, 1.0), repeat=3):
        weight = np.prod([(1 - p) if m else p for m in mask])
        r = demo.compute(x, mask, p)
        mean_inverted += weight * r.train_output
        mean_classic += weight * r.classic_train_output
    np.testing.assert_allclose(mean_inverted, x)
    np.testing.assert_allclose(mean_classic, demo.compute(x, (1.0, 1.0, 1.0), p).classic_eval_output)


def test_keys_index_components():
    data = registry.run(NAME, {"x": "2, 4, 6, 8", "mask": "0, 1, 1, 0", "p": 0.5})
    assert registry.lookup(data, "train_output.1") == 8.0


@pytest.mark.parametrize("params, message", [
    ({"mask": "1, 0"}, "one 0 or 1 per activation"),
    ({"mask": "1, 0.5, 1, 0"}, "only 0"),
    ({"p": 1.0}, "out of range"),
])
def test_rejects_bad_inputs(params, message):
    with pytest.raises(DemoInputError, match=message):
        registry.run_json(NAME, params)
