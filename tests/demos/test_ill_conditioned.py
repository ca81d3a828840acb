"""ill-conditioned: step counts against closed forms (GD is a geometric sequence per eigen-direction,
momentum a 2x2 linear recursion taken to powers), the rates against measured contraction, Adam's
independence of kappa on an axis-aligned valley, and GD's indifference to rotation."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import ill_conditioned as demo
from mlquiz.errors import DemoInputError

NAME = "ill-conditioned"


def first_below(distances, tol):
    """First t >= 1 with distances[t] <= tol * distances[0]."""
    hits = np.nonzero(distances[1:] <= tol * distances[0])[0]
    return int(hits[0]) + 1 if len(hits) else None


def gd_closed_form(kappa, lr, start, tol, steps):
    t = np.arange(steps + 1)
    x = start[0] * (1 - lr) ** t
    y = start[1] * (1 - lr / kappa) ** t
    return first_below(np.hypot(x, y), tol)


def heavy_ball_closed_form(kappa, lr, momentum, start, tol, steps):
    """Per eigen-direction: [e_t, e_{t-1}] evolves by M = [[1 + mu - lr*lam, -mu], [1, 0]] after the first
    step, which is plain GD (torch's first buffer is the gradient itself)."""
    distances = [math.hypot(*start)]
    coords = []
    for lam, e0 in zip((1.0, 1.0 / kappa), start):
        M = np.array([[1 + momentum - lr * lam, -momentum], [1.0, 0.0]])
        e1 = (1 - lr * lam) * e0
        series, state = [e0, e1], np.array([e1, e0])
        for _ in range(steps - 1):
            state = M @ state
            series.append(state[0])
        coords.append(np.array(series))
    distances = np.hypot(*coords)
    return first_below(distances, tol)


@pytest.mark.parametrize("kappa", [10.0, 100.0, 1000.0])
@pytest.mark.parametrize("lr", [0.5, 1.0, 1.5])
def test_gd_steps_match_the_geometric_closed_form(kappa, lr):
    out = demo.compute(kappa=kappa, lr=lr)
    assert out.steps["sgd"] == gd_closed_form(kappa, lr, (1.0, 0.5), 1e-3, 200000)


@pytest.mark.parametrize("kappa, momentum", [(100.0, 0.9), (1000.0, 0.5), (30.0, 0.99)])
def test_momentum_steps_match_the_linear_recursion(kappa, momentum):
    out = demo.compute(kappa=kappa, momentum=momentum)
    assert out.steps["sgd_momentum"] == heavy_ball_closed_form(kappa, 1.0, momentum, (1.0, 0.5), 1e-3, 20000)
    tuned = heavy_ball_closed_form(kappa, out.tuned_lr, out.tuned_momentum, (1.0, 0.5), 1e-3, 20000)
    assert out.steps["heavy_ball_tuned"] == tuned


def test_rates_match_the_measured_contraction():
    out = demo.compute(kappa=100.0, max_steps=400, tol=1e-300)
    for name, rate in (("sgd", out.gd_rate), ("sgd_momentum", out.momentum_rate),
                       ("heavy_ball_tuned", out.tuned_momentum_rate)):
        points = out.trajectories[name]
        d = np.linalg.norm(points, axis=1)
        measured = (d[400] / d[200]) ** (1 / 200)
        assert measured == pytest.approx(rate, rel=0.02), name
    assert out.gd_rate == pytest.approx(0.99) and out.tuned_gd_rate == pytest.approx(99 / 101)
    assert out.tuned_momentum_rate == pytest.approx(9 / 11)


@settings(max_examples=40, deadline=None)
@given(kappa=st.floats(100.0, 1e5))
def test_tuned_momentum_saves_a_factor_of_about_sqrt_kappa(kappa):
    out = demo.compute(kappa=kappa, max_steps=1)
    assert 1.0 <= out.tuned_speedup / math.sqrt(kappa) < 1.01


def test_adam_ignores_kappa_only_when_the_valley_is_axis_aligned():
    aligned = [demo.compute(kappa=k).steps["adam"] for k in (10.0, 100.0, 10000.0)]
    assert len(set(aligned)) == 1 and aligned[0] == 266
    rotated = [demo.compute(kappa=k, angle=45.0).steps["adam"] for k in (10.0, 100.0, 1000.0)]
    assert rotated[0] < rotated[1] < rotated[2]
    assert rotated[1] == 3250


@pytest.mark.parametrize("angle", [20.0, 45.0, -70.0])
def test_gd_and_momentum_do_not_care_about_rotation(angle):
    """Rotating the valley and the start together is a change of coordinates; GD and momentum are
    linear in the gradient, so their step counts stay; Adam's per-coordinate scaling does not."""
    a = math.radians(angle)
    rotated_start = (math.cos(a) * 1.0 - math.sin(a) * 0.5, math.sin(a) * 1.0 + math.cos(a) * 0.5)
    base = demo.compute(kappa=100.0)
    turned = demo.compute(kappa=100.0, angle=angle, start=rotated_start)
    for name in ("sgd", "sgd_momentum", "nesterov", "heavy_ball_tuned"):
        assert turned.steps[name] == base.steps[name], name
    assert turned.steps["adam"] != base.steps["adam"]


def test_defaults_give_the_numbers_the_quiz_cites():
    data = registry.run_json(NAME, {})
    assert data["steps"] == {"sgd": 608, "sgd_momentum": 121, "nesterov": 61, "heavy_ball_tuned": 58, "adam": 266}
    assert data["momentum_speedup"] == pytest.approx(608 / 121)
    big = registry.run_json(NAME, {"kappa": 10000})
    assert big["steps"]["sgd"] == 61028 and big["steps"]["adam"] == 266
    np.testing.assert_allclose(data["hessian"], [[1.0, 0.0], [0.0, 0.01]], atol=1e-15)
    assert len(data["loss_curves"]["sgd"]) == demo.RECORD_STEPS + 1


def test_too_large_a_learning_rate_diverges_and_is_reported():
    out = demo.compute(lr=2.5)
    assert out.diverged["sgd"] and out.steps["sgd"] is None
    assert out.momentum_speedup is None
    assert out.gd_rate == pytest.approx(1.5)


def test_parameters_are_validated():
    with pytest.raises(DemoInputError, match="two numbers"):
        registry.run_json(NAME, {"start": [1, 2, 3]})
    with pytest.raises(DemoInputError, match="minimum itself"):
        registry.run_json(NAME, {"start": [0, 0]})
    with pytest.raises(DemoInputError, match="out of range"):
        registry.run_json(NAME, {"kappa": 0.5})
