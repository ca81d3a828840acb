"""training-curves: every hand-written gradient against centred finite differences, and each case's curves
show the pattern a candidate is asked to diagnose, from real training at the defaults (and other seeds)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gradcheck import assert_gradients_match

from mlquiz.demokit import registry
from mlquiz.demos import training_curves as demo
from mlquiz.errors import DemoInputError

NAME = "training-curves"
CASES = list(demo.CASE_LR)


@pytest.fixture(scope="module")
def runs():
    return {case: demo.compute(case=case) for case in CASES}


# ----------------------------------------------------------------------------- gradients

def _check(loss_and_grads, params, *data):
    grads = loss_and_grads(params, *data)[1]
    assert set(grads) == set(params)
    for name in params:
        assert grads[name].shape == np.shape(params[name]), name
        assert_gradients_match(grads[name], lambda: loss_and_grads(params, *data)[0], params[name], name=name)


def test_linear_regression_gradients():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((7, 3)), rng.standard_normal(7)
    _check(demo.linear_loss_and_grads, {"w": rng.standard_normal(3), "b": np.array(0.3)}, X, y)


def test_mlp_gradients():
    rng = np.random.default_rng(2)
    params = {"W1": rng.standard_normal((1, 5)), "b1": rng.standard_normal(5), "W2": rng.standard_normal(5),
              "b2": np.array(-0.2)}
    x, y = rng.uniform(-1, 1, (6, 1)), rng.standard_normal(6)
    _check(demo.mlp_loss_and_grads, params, x, y)
    assert demo.mlp_loss(params, x, y) == demo.mlp_loss_and_grads(params, x, y)[0]


@pytest.mark.parametrize("radius", [0.7, 1.3])
def test_rnn_bptt_gradients(radius):
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    params = {"W": radius * q, "U": rng.standard_normal((4, 2)), "v": rng.standard_normal(4)}
    X, y = rng.standard_normal((6, 3, 2)), rng.standard_normal(3)
    _check(demo.rnn_loss_and_grads, params, X, y)


def test_rnn_state_gradient_norms_grow_exactly_by_the_radius():
    """For W = rho Q (Q orthogonal), dL/dh_(t-1) = dL/dh_t W has exactly rho times the norm."""
    rng = np.random.default_rng(0)
    params, X, y = demo.make_rnn(rng, 1.2)
    _, _, norms = demo.rnn_loss_and_grads(params, X, y)
    np.testing.assert_allclose(norms, norms[0] * 1.2 ** np.arange(len(norms)), rtol=1e-12)
    # and against finite differences of the loss in h_(T-k), via an extra input added at step T-k+1
    k = 5
    t = len(X) - k  # dL/dh_t for t = T - k
    bump = np.zeros((X.shape[1], params["W"].shape[0]))

    def loss():
        hs = np.zeros_like(bump)
        for step in range(len(X)):
            hs = hs @ params["W"].T + X[step] @ params["U"].T + (bump if step == t - 1 else 0)
        r = hs @ params["v"] - y
        return 0.5 * float(r @ r) / len(y)

    from gradcheck import numerical_gradient

    assert np.linalg.norm(numerical_gradient(loss, bump)) == pytest.approx(norms[k], rel=1e-6)


def test_relu_gradients_and_dead_units():
    rng = np.random.default_rng(4)
    params = {"W": rng.standard_normal((3, 5)), "b": rng.uniform(-0.5, 0.5, 5), "v": rng.standard_normal(5),
              "c": np.array(0.1)}
    X, y = rng.uniform(0, 1, (8, 3)), rng.standard_normal(8)
    params["b"][0] = -10.0  # unit 0 is dead for every input in [0, 1]^3
    z = X @ params["W"] + params["b"]
    assert np.min(np.abs(z)) > 1e-3  # far from the kink compared with the finite-difference step
    _check(lambda p, *d: demo.relu_loss_and_grads(p, *d)[:2], params, X, y)
    _, grads, dead = demo.relu_loss_and_grads(params, X, y)
    assert dead[0] and np.array_equal(dead, [all(z[:, j] <= 0) for j in range(5)])
    assert np.all(grads["W"][:, 0] == 0) and grads["b"][0] == 0 and grads["v"][0] == 0


def test_adam_step_against_the_formula():
    params, state = {"w": np.array([1.0, -2.0])}, {}
    grad = {"w": np.array([0.5, -0.1])}
    demo.adam_step(params, grad, state, 0.1, 1)
    # step 1: m_hat = g, v_hat = g^2, so the update is lr * g / (|g| + eps) = lr * sign(g)
    np.testing.assert_allclose(params["w"], [1.0 - 0.1, -2.0 + 0.1], rtol=1e-7)


def test_regression_features_have_the_stated_curvature():
    X, _ = demo.make_regression(np.random.default_rng(7))
    np.testing.assert_allclose(X.T @ X / len(X), np.diag(demo.FEATURE_VARIANCES), atol=1e-12)
    np.testing.assert_allclose(X.sum(axis=0), 0, atol=1e-10)


# ----------------------------------------------------------------------------- the patterns

def test_series_lengths_and_nulls(runs):
    for case, result in runs.items():
        n = result.epochs + 1
        assert len(result.train_loss) == len(result.grad_norm) == n, case
        assert (result.val_loss is not None) == (case == "overfitting")
        assert (result.dead_fraction is not None) == (case == "dead-relu")
        assert (result.grad_norm_by_step is not None) == (case == "exploding-rnn")
        if result.val_loss is not None:
            assert len(result.val_loss) == n
        assert result.diagnosis and result.pattern


def test_diverging_learning_rate(runs):
    result = runs["diverging-lr"]
    assert result.lr == 0.55 and result.curvature == pytest.approx(4.0) and result.critical_lr == pytest.approx(0.5)
    assert result.train_loss[-1] > 100 * result.train_loss[0]
    # along the steepest direction the error is multiplied by |1 - lr L| = 1.2 each step; the loss by 1.44
    assert result.loss_growth_per_epoch == pytest.approx((0.55 * 4 - 1) ** 2, rel=1e-4)
    assert result.pattern == "diverging" and "2/L = 0.5" in result.diagnosis


def test_good_learning_rate(runs):
    result = runs["good-lr"]
    losses = np.array(result.train_loss)
    assert np.all(np.diff(losses) <= 1e-12)  # below 2/L gradient descent on a quadratic never goes up
    assert result.final_train_loss < result.first_train_loss / 10
    assert result.final_train_loss == pytest.approx(demo.REG_NOISE**2 / 2, rel=0.5)
    assert result.pattern == "converging"


@pytest.mark.parametrize("lr, pattern", [(0.45, "converging"), (0.49, "converging"), (0.52, "diverging"),
                                         (0.7, "diverging")])
def test_two_over_l_is_the_boundary(lr, pattern):
    assert demo.compute(case="good-lr", lr=lr, epochs=200).pattern == pattern


def test_overfitting(runs):
    result = runs["overfitting"]
    assert result.best_epoch < result.epochs / 4  # the validation minimum comes well before the end
    assert result.val_rise > 2
    assert result.final_val_loss == result.val_loss[-1] and result.min_val_loss == min(result.val_loss)
    assert result.final_train_loss < result.train_loss_at_best / 3  # while training loss kept falling
    assert result.pattern == "overfitting" and f"epoch {result.best_epoch}" in result.diagnosis


@pytest.mark.parametrize("seed", range(1, 8))
def test_overfitting_at_other_seeds(seed):
    result = demo.compute(case="overfitting", seed=seed)
    assert result.pattern == "overfitting"
    assert result.best_epoch < result.epochs / 2 and result.val_rise > 1.3
    assert result.final_train_loss < result.train_loss_at_best


def test_exploding_rnn(runs):
    result = runs["exploding-rnn"]
    assert result.spectral_radius == pytest.approx(1.2)
    norms = result.grad_norm_by_step
    ratios = [b / a for a, b in zip(norms, norms[1:])]
    assert min(ratios) > 1 and result.grad_growth_per_step == pytest.approx(1.2)
    # without clipping the run overflows; with clipping every loss stays finite and it falls
    assert result.first_nonfinite_epoch is not None and result.first_nonfinite_epoch <= 5
    clipped = result.clipped_train_loss
    assert all(math.isfinite(v) for v in clipped) and max(clipped) <= clipped[0] * (1 + 1e-9)
    assert result.clipped_final_loss < clipped[0] / 100
    assert all(math.isfinite(v) for v in result.clipped_grad_norm)
    assert result.pattern == "exploding gradients"


def test_rnn_with_a_small_radius_vanishes():
    result = demo.compute(case="exploding-rnn", spectral_radius=0.9)
    assert result.grad_growth_per_step == pytest.approx(0.9) and result.pattern == "vanishing gradients"


def test_dead_relu(runs):
    result = runs["dead-relu"]
    dead = result.dead_fraction
    assert dead[0] < 0.1 and result.final_dead_fraction > 0.5
    assert all(b >= a for a, b in zip(dead, dead[1:]))  # zero gradient: a dead unit never comes back
    tail = result.train_loss[demo.NO_WARMUP_EPOCHS + 10:]
    assert max(tail) - min(tail) < 0.01  # flat
    assert result.mean_predictor_loss == pytest.approx(0.5)
    assert result.final_train_loss == pytest.approx(result.mean_predictor_loss, rel=0.02)
    assert result.pattern == "dead units"


def test_dead_fraction_against_a_loop():
    result = demo.compute(case="dead-relu", epochs=3)
    rng = np.random.default_rng(0)
    X = rng.uniform(0.0, 1.0, (demo.RELU_SAMPLES, demo.RELU_INPUTS))
    y = X @ rng.standard_normal(demo.RELU_INPUTS) + 0.5 * np.sin(3 * X[:, 0])
    W = rng.standard_normal((demo.RELU_INPUTS, demo.RELU_HIDDEN)) * np.sqrt(2 / demo.RELU_INPUTS)
    dead = sum(all(X[i] @ W[:, j] <= 0 for i in range(len(X))) for j in range(demo.RELU_HIDDEN))
    assert result.dead_fraction[0] == dead / demo.RELU_HIDDEN


def test_a_small_learning_rate_keeps_the_units_alive():
    result = demo.compute(case="dead-relu", lr=0.01)
    assert result.final_dead_fraction == result.initial_dead_fraction and result.pattern == "healthy units"


def test_low_learning_rate(runs):
    result = runs["low-lr"]
    losses = np.array(result.train_loss)
    assert result.lr == 0.01 and np.all(np.diff(losses) < 0)  # falling at every epoch ...
    assert result.final_train_loss > 5 * result.optimum_loss  # ... and nowhere near the optimum
    # still falling at the end: the last 10 epochs take off more than 5% of the loss
    assert losses[-11] - losses[-1] > 0.05 * losses[-1]
    # the same problem at 1/L gets to the optimum in the same epochs
    assert runs["good-lr"].final_train_loss == pytest.approx(result.optimum_loss, rel=0.01)
    assert result.pattern == "too slow"


def test_optimum_loss_against_the_normal_equations():
    X, y = demo.make_regression(np.random.default_rng(0))
    design = np.hstack([X, np.ones((len(y), 1))])
    coef = np.linalg.solve(design.T @ design, design.T @ y)
    r = design @ coef - y
    assert demo.optimum_loss(X, y) == pytest.approx(0.5 * float(r @ r) / len(y), rel=1e-12)


def test_lr_decay(runs):
    result = runs["lr-decay"]
    a, b, decay = result.train_loss, result.decayed_train_loss, result.decay_epoch
    assert decay == 50 and len(b) == len(a) == 101
    assert a[:decay + 1] == b[:decay + 1]  # the same run until the decay takes effect
    # run A keeps bouncing well above the optimum; run B settles next to it
    assert result.late_loss_max > 2 * result.optimum_loss
    assert result.late_loss_max / result.late_loss_min > 2
    assert result.decayed_late_loss_max < 1.1 * result.optimum_loss
    assert result.decayed_final_loss < 1.05 * result.optimum_loss
    assert result.late_loss_max == max(a[decay:]) and result.late_loss_min == min(a[decay:])
    assert result.pattern == "noisy plateau"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lr_decay_at_other_seeds(seed):
    result = demo.compute(case="lr-decay", seed=seed)
    assert result.late_loss_max > 2 * result.optimum_loss
    assert result.decayed_late_loss_max < 1.1 * result.optimum_loss


def test_sgd_steps_against_a_loop():
    """One pass of batch-1 SGD equals updating on each example in the shuffled order by hand."""
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((5, 3)), rng.standard_normal(5)
    losses, _ = demo._sgd_run(X, y, 1, 0.1, None, 11)
    order = np.random.default_rng(11).permutation(5)
    w, b = np.zeros(3), 0.0
    for i in order:
        r = X[i] @ w + b - y[i]
        w, b = w - 0.1 * r * X[i], b - 0.1 * r
    assert losses[1] == pytest.approx(0.5 * float(np.mean((X @ w + b - y) ** 2)), rel=1e-12)


# ----------------------------------------------------------------------------- interface

def test_json_with_overflowed_values():
    data = registry.run_json(NAME, {"case": "exploding-rnn"})
    assert data["train_loss"][-1] is None  # nan becomes null
    assert registry.lookup(registry.run(NAME, {"case": "exploding-rnn"}), "first_nonfinite_epoch") == 2
    assert registry.run_json(NAME, {"case": "overfitting"})["val_loss"][0] > 0


def test_parameters_are_validated():
    with pytest.raises(DemoInputError, match="is not valid"):
        registry.run_json(NAME, {"case": "diverging"})
    with pytest.raises(DemoInputError, match="too much work"):
        registry.run_json(NAME, {"case": "exploding-rnn", "epochs": 2000})
    with pytest.raises(DemoInputError, match="too much work"):
        registry.run_json(NAME, {"case": "lr-decay", "epochs": 1001})
    with pytest.raises(DemoInputError, match="out of range"):
        registry.run_json(NAME, {"lr": -1})


def test_figure_names_and_scales(runs):
    from mlquiz.charts import Figure

    for case, result in runs.items():
        figure = demo.figure(result)
        assert isinstance(figure, Figure)
        names = [s.name for s in figure.series]
        assert case not in figure.title  # shown with a question, the case's name would be the answer
        if case == "exploding-rnn":
            assert figure.log_y and figure.x_label == "steps back from the loss"
        elif case == "lr-decay":
            assert names == ["run A", "run B"] and figure.log_y and figure.series[0].x[0] == 1
        else:
            assert names[0] == "train loss" and figure.x_label == "epoch"
    assert demo.figure(runs["diverging-lr"]).log_y
    assert demo.figure(runs["dead-relu"]).title == "Training curves (lr 1 for 5 epochs, then 0.1)"
    assert demo.figure(runs["good-lr"]).title == "Training curves (lr 0.25)"
    assert not demo.figure(runs["good-lr"]).log_y
    assert [s.name for s in demo.figure(runs["overfitting"]).series] == ["train loss", "validation loss"]


def test_scenarios_reproduce_the_cases():
    spec = registry.get_demo(NAME)
    for scenario in spec.scenarios:
        assert spec.resolve({}, scenario.name)["case"] in CASES


# the branches the default cases do not reach: a small lr, a small or neutral radius, a lr-decay run that settles
EXTRA_RUNS = [("dead-relu", {"lr": 0.001}), ("overfitting", {"epochs": 3}), ("low-lr", {"lr": 0.4}),
              ("exploding-rnn", {"spectral_radius": 0.8}), ("exploding-rnn", {"spectral_radius": 1.0}),
              ("lr-decay", {"lr": 0.00001})]


def _numbers(text: str) -> list[str]:
    import re

    return sorted(re.findall(r"\d+(?:\.\d+)?(?:e[+-]?\d+)?", text))


def test_the_diagnosis_on_a_chinese_screen_is_chinese_with_the_same_numbers(runs):
    """The caption is rebuilt in the interface language; the result's data (and --json) keeps the English sentence."""
    from mlquiz import i18n

    results = list(runs.values()) + [demo.compute(case=case, **params) for case, params in EXTRA_RUNS]
    patterns = {result.pattern for result in results}
    assert {"converging", "no overfitting", "vanishing gradients", "stable gradients", "healthy units",
            "settled"} <= patterns  # every sentence of _pattern_and_diagnosis is reached
    for result in results:
        assert demo.figure(result).caption == result.diagnosis  # English screen: the data's own sentence
        i18n.use("zh")
        try:
            shown = demo.figure(result).caption
        finally:
            i18n.use("en")
        assert shown != result.diagnosis and not any(word in shown for word in ("The loss", "epoch", "clipping")), shown
        assert _numbers(shown) == _numbers(result.diagnosis), (result.case, shown, result.diagnosis)
