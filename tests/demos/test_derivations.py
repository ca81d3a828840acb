"""derivations: every hand-written gradient against centred finite differences (sigma', tanh', the
L2 penalty, the linear layer's MSE gradients, the BPTT Jacobian) and every formula against brute
force (the L1 proximal step against a grid search, BatchNorm folding against the layer followed by
BatchNorm on random inputs, Q Lambda^k Q^T against repeated multiplication), the defaults by hand and
the input checks."""

import numpy as np
import pytest

from gradcheck import assert_gradients_match, numerical_gradient
from mlquiz.demokit import registry
from mlquiz.demos import derivations as demo
from mlquiz.demos._activations import sigmoid, tanh
from mlquiz.demos.batchnorm import batchnorm_forward
from mlquiz.errors import DemoInputError

NAME = "derivations"


def test_defaults_by_hand():
    r = demo.compute()
    assert r.sigmoid_grad[0] == 0.25 and r.tanh_grad[0] == 1.0 and r.relu_grad[0] == 0.0
    assert r.l2_factor == pytest.approx(0.95)
    np.testing.assert_allclose(r.l2_step, [0.475, -0.0285, 0.19])
    np.testing.assert_allclose(r.l1_prox_step, [0.45, 0.0, 0.15])
    assert r.l1_zeros == 1 and not np.signbit(r.l1_prox_step[1])  # a zero, not -0.0
    np.testing.assert_allclose(r.l1_hard_threshold, [0.5, 0.0, 0.2])
    np.testing.assert_allclose(r.linear_output, [5.5, -1.0])
    np.testing.assert_allclose(r.grad_weight, [[4.5, 9.0], [-1.0, -2.0]])
    np.testing.assert_allclose(r.bn_scale, [0.5, 3.0], rtol=1e-5)
    np.testing.assert_allclose(r.eigenvalues, [3.0, 1.0])
    np.testing.assert_allclose(r.power_eig, [[14.0, 13.0], [13.0, 14.0]])
    assert r.power_norm == pytest.approx(27.0) and r.power_norm_theory == pytest.approx(27.0)
    assert r.rnn_bound == 0.125 and r.rnn_steps == 3
    assert r.forget_product == pytest.approx(0.36)


@pytest.mark.parametrize("seed", range(3))
def test_activation_derivatives_match_finite_differences(seed):
    x = np.random.default_rng(seed).normal(0, 2, 7)
    r = demo.compute(x=tuple(x))
    for fn, grad in ((sigmoid, r.sigmoid_grad), (tanh, r.tanh_grad)):
        for i in range(len(x)):
            point = x[i:i + 1].copy()
            assert_gradients_match(grad[i:i + 1], lambda: float(fn(point)[0]), point, name=f"x{i}")
    np.testing.assert_allclose(r.tanh_from_sigmoid, np.tanh(x), atol=1e-14)
    assert r.sigmoid_grad.max() <= 0.25 and r.tanh_grad.max() <= 1.0


@pytest.mark.parametrize("seed", range(3))
def test_l2_step_is_sgd_on_the_penalised_loss(seed):
    rng = np.random.default_rng(seed)
    w, g = rng.normal(size=5), rng.normal(size=5)
    lr, lam = 0.05, 0.3
    r = demo.compute(w=tuple(w), g=tuple(g), lr=lr, lam=lam)
    point = w.copy()
    total = lambda: float(g @ point + lam / 2 * point @ point)  # a linear data loss whose gradient is g
    numeric = numerical_gradient(total, point)
    np.testing.assert_allclose(r.l2_step, w - lr * numeric, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(r.l2_step_without_lr, (1 - lam) * w - lr * g)


@pytest.mark.parametrize("seed", range(3))
def test_l1_prox_step_minimises_the_proximal_objective(seed):
    rng = np.random.default_rng(seed)
    w, g = rng.normal(0, 0.2, 6), rng.normal(size=6)
    lr, lam = 0.1, 1.0
    r = demo.compute(w=tuple(w), g=tuple(g), lr=lr, lam=lam)
    u = w - lr * g
    for i in range(len(w)):
        grid = np.linspace(u[i] - 1, u[i] + 1, 200_001)
        grid = np.append(grid, 0.0)
        objective = (grid - u[i]) ** 2 / (2 * lr) + lam * np.abs(grid)
        assert r.l1_prox_step[i] == pytest.approx(grid[np.argmin(objective)], abs=2e-5)
    small = np.abs(u) <= lr * lam
    assert np.all(r.l1_prox_step[small] == 0) and r.l1_zeros == int(small.sum())
    np.testing.assert_array_equal(r.l1_hard_threshold[~small], u[~small])


@pytest.mark.parametrize("seed", range(3))
def test_linear_mse_gradients_match_finite_differences(seed):
    rng = np.random.default_rng(seed)
    W, b, x, t = rng.normal(size=(3, 4)), rng.normal(size=3), rng.normal(size=4), rng.normal(size=3)
    r = demo.compute(weight=tuple(map(tuple, W)), bias=tuple(b), inputs=tuple(x), target=tuple(t),
                     bn_gamma=(1.0,), bn_beta=(0.0,), bn_mean=(0.0,), bn_var=(1.0,))
    loss = lambda: 0.5 * float(np.sum((W @ x + b - t) ** 2))
    assert r.mse_loss == pytest.approx(loss())
    assert_gradients_match(r.grad_weight, loss, W, name="W")
    assert_gradients_match(r.grad_bias, loss, b, name="b")
    assert_gradients_match(r.grad_inputs, loss, x, name="x")


@pytest.mark.parametrize("seed", range(4))
def test_folded_layer_equals_layer_then_batchnorm(seed):
    rng = np.random.default_rng(seed)
    out, n_in = 3, 4
    W, b = rng.normal(size=(out, n_in)), rng.normal(size=out)
    gamma, beta = rng.normal(size=out), rng.normal(size=out)
    mean, var = rng.normal(size=out), rng.uniform(0.1, 5, out)
    r = demo.compute(weight=tuple(map(tuple, W)), bias=tuple(b), inputs=tuple(rng.normal(size=n_in)), target=(0.0,),
                     bn_gamma=tuple(gamma), bn_beta=tuple(beta), bn_mean=tuple(mean), bn_var=tuple(var), eps=1e-5)
    batch = rng.normal(size=(50, n_in))
    expected, _ = batchnorm_forward(batch @ W.T + b, gamma, beta, 1e-5, running=(mean, var))
    np.testing.assert_allclose(batch @ r.folded_weight.T + r.folded_bias, expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(r.folded_output, r.bn_output, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_matrix_power_by_eigendecomposition_equals_repeated_multiplication(seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(3, 3))
    M = (a + a.T) / 2
    k = int(rng.integers(0, 8))
    r = demo.compute(matrix=tuple(map(tuple, M)), power=k)
    brute = np.eye(3)
    for _ in range(k):
        brute = brute @ M
    np.testing.assert_allclose(r.power_eig, brute, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(r.power_direct, brute, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(r.eigenvectors @ np.diag(r.eigenvalues) @ r.eigenvectors.T, M, atol=1e-12)
    assert r.power_norm == pytest.approx(r.power_norm_theory, rel=1e-9)
    assert r.matrix_norm == pytest.approx(r.spectral_radius, rel=1e-12)
    assert np.all(np.diff(np.abs(r.eigenvalues)) <= 1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_bptt_jacobian_matches_finite_differences_and_its_bound(seed):
    rng = np.random.default_rng(seed)
    H, T = 3, 5
    R, h0, xs = rng.normal(0, 0.8, (H, H)), rng.normal(size=H), rng.normal(size=(T, H))
    r = demo.compute(rnn_w=tuple(map(tuple, R)), rnn_h0=tuple(h0), rnn_x=tuple(map(tuple, xs)))
    for j in range(H):
        def last(j=j):
            h = h0_var
            for x_t in xs:
                h = np.tanh(R @ h + x_t)
            return float(h[j])
        h0_var = h0.copy()
        assert_gradients_match(r.rnn_jacobian[j], last, h0_var, name=f"h0 (row {j})")
    assert r.rnn_jacobian_norm <= r.rnn_bound * (1 + 1e-12)
    np.testing.assert_allclose(r.rnn_tanh_grads, 1 - r.rnn_states ** 2)


def test_zero_state_rnn_jacobian_is_the_matrix_power():
    """With h_0 = 0 and no input every tanh' is 1, so dh_T/dh_0 = W^T exactly."""
    r = demo.compute(rnn_w=((0.5, 0.2), (0.2, 0.5)), rnn_h0=(0.0,), rnn_x=((0.0,),) * 4,
                     matrix=((0.5, 0.2), (0.2, 0.5)), power=4)
    np.testing.assert_allclose(r.rnn_jacobian, r.power_direct, atol=1e-15)
    assert r.rnn_jacobian_norm == pytest.approx(0.7 ** 4) and r.rnn_bound == pytest.approx(0.7 ** 4)


def test_keys_index_entries():
    data = registry.run(NAME, {"x": "0, 1", "matrix": "0.6, 0.2; 0.2, 0.6", "power": 2})
    assert registry.lookup(data, "sigmoid_grad.0") == 0.25
    assert registry.lookup(data, "power_eig.0.1") == pytest.approx(0.24)
    assert registry.lookup(data, "eigenvalues.0") == pytest.approx(0.8)


@pytest.mark.parametrize("params, message", [
    ({"matrix": "1, 2; 3, 4"}, "not symmetric"),
    ({"matrix": "1, 2"}, "square"),
    ({"inputs": "1, 2, 3"}, "one input per column"),
    ({"bias": "1, 2, 3"}, "one number per output"),
    ({"g": "1, 2"}, "one number per weight"),
    ({"bn_var": "0", "eps": 0}, "divides by 0"),
    ({"rnn_w": "1, 2"}, "square"),
    ({"rnn_x": "1, 2; 0, 0"}, "one number per hidden unit"),
    ({"forget": "1.5"}, "out of range"),
])
def test_rejects_bad_inputs(params, message):
    with pytest.raises(DemoInputError, match=message):
        registry.run_json(NAME, params)
