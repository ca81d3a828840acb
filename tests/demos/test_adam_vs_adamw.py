"""adam-vs-adamw: AdamW's decay is the same for every weight and equals (1 - lr*wd)^t up to the Adam
step's wobble; Adam's L2 decay is scaled by 1/sqrt(v_hat); both agree exactly without decay."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import adam_vs_adamw as demo
from mlquiz.demos import optimizers as opt
from mlquiz.errors import DemoInputError

NAME = "adam-vs-adamw"


def test_defaults_give_the_numbers_the_quiz_cites():
    data = registry.run_json(NAME, {})
    assert data["adamw_decay_factor"] == pytest.approx(0.999**1000)
    assert round(data["adamw_decay_factor"], 3) == 0.368
    quiet, unit, noisy = data["adam_kept"]
    assert quiet < 1e-3  # gradients of size 0.01: the L2 term dominates and Adam drives the weight to ~0
    assert round(noisy, 3) == 0.889
    assert unit == pytest.approx(data["adamw_kept"][1], abs=0.01)  # s = 1: sqrt(v_hat) ~ 1, the two agree
    # AdamW leaves the same share of every weight, whatever its gradient size
    assert max(data["adamw_kept"]) - min(data["adamw_kept"]) < 1e-6


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.floats(0.0, 100.0), min_size=1, max_size=4), lr=st.floats(1e-4, 0.05),
       steps=st.integers(1, 300))
def test_without_decay_adam_and_adamw_are_the_same_optimizer(sizes, lr, steps):
    out = demo.compute(grad_sizes=tuple(sizes), lr=lr, weight_decay=0.0, steps=steps)
    for adam, adamw in zip(out.adam_trajectories, out.adamw_trajectories):
        np.testing.assert_array_equal(adam, adamw)


@pytest.mark.parametrize("size", [1.0, 10.0, 100.0])
def test_adamw_tracks_the_decoupled_factor(size):
    """The Adam step on +s, -s, ... moves the weight by about lr, back and forth; the decay compounds."""
    out = demo.compute(grad_sizes=(size,))
    assert abs(out.adamw_kept[0] - out.adamw_decay_factor) < 2 * 0.01
    assert out.adam_decay_scale[0] == pytest.approx(1 / size, rel=0.01)


def test_adam_decay_weakens_as_the_gradient_noise_grows():
    out = demo.compute(grad_sizes=(1.0, 3.0, 10.0, 30.0, 100.0))
    assert list(out.adam_kept) == sorted(out.adam_kept)
    # the L2 pull per step is lr * wd * p / sqrt(v_hat) ~ lr * wd * p / s: for s = 100 about e^(-0.01)
    assert out.adam_kept[-1] == pytest.approx(math.exp(-0.01 * 0.1 * 1000 / 100), abs=0.03)


def test_one_step_by_hand():
    out = demo.compute(grad_sizes=(2.0,), steps=1, lr=0.1, weight_decay=0.5, theta0=3.0)
    # AdamW: 3 * (1 - 0.05), then the Adam step lr * sign(+2)
    assert out.adamw_final[0] == pytest.approx(3.0 * 0.95 - 0.1 * 2 / (2 + 1e-8))
    # Adam: the gradient is 2 + 0.5 * 3 = 3.5; its first step is still lr * sign
    assert out.adam_final[0] == pytest.approx(3.0 - 0.1 * 3.5 / (3.5 + 1e-8))


def test_trajectories_are_the_optimizers_own():
    out = demo.compute(grad_sizes=(5.0,), steps=50)
    grads = demo.alternating(5.0, 50)
    np.testing.assert_array_equal(out.adam_trajectories[0],
                                  opt.run_sequence(opt.adam_step, grads, 1.0, lr=0.01, weight_decay=0.1))
    assert list(out.kept_steps) == list(range(51))
    long = demo.compute(steps=5000)
    assert len(long.kept_steps) == demo.MAX_POINTS and long.kept_steps[-1] == 5000


def test_parameters_are_validated():
    with pytest.raises(DemoInputError, match="two numbers"):
        registry.run_json(NAME, {"betas": [0.9]})
    with pytest.raises(DemoInputError, match="at most 8"):
        registry.run_json(NAME, {"grad_sizes": list(range(1, 10))})
    with pytest.raises(DemoInputError, match="nothing to decay"):
        registry.run_json(NAME, {"theta0": 0})
