"""optimizers: each torch.optim update rule against steps worked by hand and against a second,
independent scalar implementation written from the algorithm boxes of the PyTorch docs (bias-corrected
m_hat and v_hat, not torch's folded step size); then the step sizes the quiz cites."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import optimizers as opt
from mlquiz.errors import DemoInputError

NAME = "optimizers"


# ----- an independent oracle: plain floats, textbook order, no state dicts
def oracle(name, grads, theta, **h):
    """Parameter values of ``name`` on ``grads`` from ``theta``, written from the documented algorithms."""
    out = [theta]
    m = v = v_max = s = b = g_avg = 0.0
    have_buffer = False
    for t, g in enumerate(grads, start=1):
        if name == "adamw":
            theta = theta - h["lr"] * h.get("weight_decay", 0.01) * theta
        elif h.get("weight_decay", 0.0):
            g = g + h["weight_decay"] * theta
        if name == "sgd":
            mu = h.get("momentum", 0.0)
            if mu:
                b = g if not have_buffer else mu * b + (1 - h.get("dampening", 0.0)) * g
                have_buffer = True
                g = g + mu * b if h.get("nesterov") else b
            theta = theta - h["lr"] * g
        elif name == "adagrad":
            if t == 1:
                s = h.get("initial_accumulator_value", 0.0)
            s += g * g
            lr_t = h["lr"] / (1 + (t - 1) * h.get("lr_decay", 0.0))
            theta = theta - lr_t * g / (math.sqrt(s) + h.get("eps", 1e-10))
        elif name == "rmsprop":
            a = h.get("alpha", 0.99)
            v = a * v + (1 - a) * g * g
            v_tilde = v
            if h.get("centered"):
                g_avg = a * g_avg + (1 - a) * g
                v_tilde = v - g_avg * g_avg
            step = g / (math.sqrt(v_tilde) + h.get("eps", 1e-8))
            if h.get("momentum", 0.0) > 0:
                b = h["momentum"] * b + step
                step = b
            theta = theta - h["lr"] * step
        else:  # adam, adamw
            b1, b2 = h.get("betas", (0.9, 0.999))
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_hat = m / (1 - b1**t)
            if h.get("amsgrad"):
                v_max = max(v_max, v)  # torch's code takes the max of the raw v
                v_hat = v_max / (1 - b2**t)
            else:
                v_hat = v / (1 - b2**t)
            theta = theta - h["lr"] * m_hat / (math.sqrt(v_hat) + h.get("eps", 1e-8))
        out.append(theta)
    return np.array(out)


CASES = [
    ("sgd", opt.sgd_step, dict(lr=0.1)),
    ("sgd", opt.sgd_step, dict(lr=0.1, momentum=0.9)),
    ("sgd", opt.sgd_step, dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1)),
    ("sgd", opt.sgd_step, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("adagrad", opt.adagrad_step, dict(lr=0.1)),
    ("adagrad", opt.adagrad_step, dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("rmsprop", opt.rmsprop_step, dict(lr=0.01)),
    ("rmsprop", opt.rmsprop_step, dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1)),
    ("adam", opt.adam_step, dict(lr=0.01)),
    ("adam", opt.adam_step, dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    ("adamw", opt.adamw_step, dict(lr=0.01)),
    ("adamw", opt.adamw_step, dict(lr=0.01, weight_decay=0.5, amsgrad=True)),
]


@pytest.mark.parametrize("name, step_fn, hyper", CASES)
def test_update_rules_match_the_independent_oracle(name, step_fn, hyper):
    grads = np.random.default_rng(3).normal(0.5, 2.0, 40)
    ours = opt.run_sequence(step_fn, grads, 1.5, **hyper)
    np.testing.assert_allclose(ours, oracle(name, grads, 1.5, **hyper), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name, step_fn, hyper", CASES)
def test_arrays_update_elementwise_like_scalars(name, step_fn, hyper):
    """A vector parameter is a set of scalar parameters that share only the hyperparameters."""
    rng = np.random.default_rng(5)
    grads, start = rng.normal(size=(12, 3)), np.array([1.0, -2.0, 0.5])
    p, state = start, None
    for g in grads:
        p, state = step_fn(p, g, state, **hyper)
    for i in range(3):
        assert p[i] == pytest.approx(opt.run_sequence(step_fn, grads[:, i], start[i], **hyper)[-1], rel=1e-12)


def test_sgd_momentum_by_hand():
    """lr 0.1, momentum 0.9, gradients 1, 2, 3: buffers 1, 2.9, 5.61; parameter 1 -> 0.9 -> 0.61 -> 0.049."""
    values = opt.run_sequence(opt.sgd_step, [1.0, 2.0, 3.0], 1.0, lr=0.1, momentum=0.9)
    np.testing.assert_allclose(values, [1.0, 0.9, 0.61, 0.049], rtol=1e-12)
    # Nesterov uses g + momentum * b: 1.9, 2 + 0.9*2.9 = 4.61, 3 + 0.9*5.61 = 8.049
    nesterov = opt.run_sequence(opt.sgd_step, [1.0, 2.0, 3.0], 1.0, lr=0.1, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(np.diff(nesterov), [-0.19, -0.461, -0.8049], rtol=1e-12)
    # dampening is not applied to the first buffer (torch: b_1 = g)
    damped = opt.run_sequence(opt.sgd_step, [1.0, 1.0], 0.0, lr=1.0, momentum=0.5, dampening=0.5)
    np.testing.assert_allclose(np.diff(damped), [-1.0, -1.0], rtol=1e-12)


def test_adagrad_by_hand():
    """Constant gradient 2, lr 0.1: sum 4t, so step t is 0.1 * 2 / (2 sqrt t) = 0.1 / sqrt(t)."""
    values = opt.run_sequence(opt.adagrad_step, [2.0] * 4, 0.0, lr=0.1)
    np.testing.assert_allclose(-np.diff(values), 0.1 / np.sqrt([1, 2, 3, 4]), rtol=1e-9)


def test_adam_first_step_by_hand():
    """m_1 = 0.1 g, v_1 = 0.001 g^2; corrected: g and g^2, so the step is lr g / (|g| + eps)."""
    for g in (3.0, -0.02):
        new, state = opt.adam_step(1.0, g, lr=0.01)
        assert state["exp_avg"] == pytest.approx(0.1 * g) and state["exp_avg_sq"] == pytest.approx(0.001 * g * g)
        assert 1.0 - new == pytest.approx(0.01 * g / (abs(g) + 1e-8), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(g=st.floats(1e-4, 1e6), sign=st.sampled_from([1.0, -1.0]), lr=st.floats(1e-5, 1.0),
       b1=st.floats(0.0, 0.99), b2=st.floats(0.5, 0.9999))
def test_adam_first_step_is_lr_times_sign_at_any_gradient_scale(g, sign, lr, b1, b2):
    new, _ = opt.adam_step(0.0, sign * g, lr=lr, betas=(b1, b2))
    assert -new == pytest.approx(lr * sign * g / (g + 1e-8), rel=1e-9)
    assert abs(new) == pytest.approx(lr, rel=1e-4)  # eps = 1e-8 against |g| >= 1e-4


@settings(max_examples=40, deadline=None)
@given(grads=st.lists(st.floats(-100, 100), min_size=1, max_size=30), lr=st.floats(1e-4, 0.1),
       amsgrad=st.booleans())
def test_adamw_equals_adam_without_weight_decay(grads, lr, amsgrad):
    adam = opt.run_sequence(opt.adam_step, grads, 0.7, lr=lr, amsgrad=amsgrad)
    adamw = opt.run_sequence(opt.adamw_step, grads, 0.7, lr=lr, weight_decay=0.0, amsgrad=amsgrad)
    np.testing.assert_array_equal(adam, adamw)


def test_adamw_decays_before_the_adam_step_and_adam_adds_l2_to_the_gradient():
    new, _ = opt.adamw_step(2.0, 0.5, lr=0.1, weight_decay=0.2)
    assert new == pytest.approx(2.0 * (1 - 0.1 * 0.2) - 0.1 * 0.5 / (0.5 + 1e-8), rel=1e-12)
    # Adam with L2: the gradient becomes 0.5 + 0.2 * 2 = 0.9, and the first step is still lr * sign
    new, state = opt.adam_step(2.0, 0.5, lr=0.1, weight_decay=0.2)
    assert state["exp_avg"] == pytest.approx(0.1 * 0.9)
    assert new == pytest.approx(2.0 - 0.1 * 0.9 / (0.9 + 1e-8), rel=1e-12)


def test_amsgrad_keeps_the_largest_second_moment():
    grads = [10.0, 0.1, 0.1, 0.1]
    _, ams = opt.adam_step(0.0, grads[0], amsgrad=True)
    plain = ams
    for g in grads[1:]:
        _, ams = opt.adam_step(0.0, g, ams, amsgrad=True)
        _, plain = opt.adam_step(0.0, g, plain)
    assert ams["max_exp_avg_sq"] == pytest.approx(0.001 * 100.0)  # v after the first step
    assert plain["exp_avg_sq"] < ams["max_exp_avg_sq"]


def test_rmsprop_first_step_is_lr_over_sqrt_one_minus_alpha():
    new, _ = opt.rmsprop_step(0.0, 5.0, lr=0.01, alpha=0.99)
    assert -new == pytest.approx(0.01 / math.sqrt(0.01), rel=1e-6)


@pytest.mark.parametrize("momentum, dampening", [(0.9, 0.0), (0.5, 0.0), (0.9, 0.5), (0.99, 0.0)])
def test_momentum_steady_state_is_lr_times_one_minus_dampening_over_one_minus_momentum(momentum, dampening):
    steps = 3000
    data = registry.run_json(NAME, {"momentum": momentum, "dampening": dampening, "steps": steps})
    gain = (1 - dampening) / (1 - momentum)
    assert data["momentum_gain_theory"] == pytest.approx(gain)
    assert data["last_step_over_lr"]["sgd_momentum"] == pytest.approx(gain, rel=1e-9)
    # the transient, by hand: b_t = mu^(t-1) g + (1 - tau) g (1 - mu^(t-1)) / (1 - mu)
    t = 10
    b_t = momentum ** (t - 1) + (1 - dampening) * (1 - momentum ** (t - 1)) / (1 - momentum)
    assert -data["updates"]["sgd_momentum"][t - 1] / data["lr"] == pytest.approx(b_t, rel=1e-9)


def test_defaults_give_the_numbers_the_quiz_cites():
    data = registry.run_json(NAME, {})
    lr = 0.001
    assert data["adam_first_step"] == pytest.approx(lr * 1 / (1 + 1e-8), rel=1e-12)
    assert data["bias_correction_gain"] == pytest.approx(0.1 / math.sqrt(0.001))
    assert round(data["bias_correction_gain"], 2) == 3.16
    assert data["adam_first_step_no_bias_correction"] == pytest.approx(lr * 3.16228, rel=1e-5)
    assert data["rmsprop_first_step_theory"] == pytest.approx(10 * lr, rel=1e-6)
    assert data["first_step_over_lr"]["rmsprop"] == pytest.approx(10.0, rel=1e-6)
    assert data["momentum_last_step_ratio"] == pytest.approx((1 - 0.9**100) / 0.1, rel=1e-9)
    assert data["last_step_over_lr"]["adagrad"] == pytest.approx(0.1, rel=1e-8)
    assert data["adagrad_last_step_theory"] == pytest.approx(lr * 0.1, rel=1e-8)
    assert data["final_param"]["sgd"] == pytest.approx(0.9)
    assert len(data["params"]["adam"]) == 101 and len(data["grads"]) == 100


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e4])
def test_adam_is_scale_free_and_sgd_is_not(scale):
    data = registry.run_json(NAME, {"grads": [scale], "steps": 20})
    assert data["adam_first_step"] == pytest.approx(0.001, rel=1e-4)
    assert data["first_step_over_lr"]["sgd"] == pytest.approx(scale)


def test_the_sequence_repeats_and_alternating_gradients_cancel_momentum():
    data = registry.run_json(NAME, {"grads": [1, -1], "steps": 1000})
    assert data["grads"][:4] == [1.0, -1.0, 1.0, -1.0]
    # alternating gradients: b settles at +-1/(1 + momentum), so momentum shrinks the steps
    assert data["last_step_over_lr"]["sgd_momentum"] == pytest.approx(1 / 1.9, rel=1e-6)


def test_parameters_are_validated():
    with pytest.raises(DemoInputError, match="Nesterov|nesterov"):
        registry.run_json(NAME, {"nesterov": True, "momentum": 0})
    with pytest.raises(DemoInputError, match="two numbers"):
        registry.run_json(NAME, {"betas": [0.9, 0.99, 0.9]})
    with pytest.raises(DemoInputError, match="overflowed"):
        registry.run_json(NAME, {"lr": 100, "weight_decay": 10, "steps": 10000})
    with pytest.raises(DemoInputError, match="out of range"):
        registry.run_json(NAME, {"momentum": 1.0})
    with pytest.raises(DemoInputError):
        opt.sgd_step(1.0, 1.0, nesterov=True, momentum=0.9, dampening=0.1)
