"""Claim: the interview derivations, worked on numbers you give. sigma'(x) = sigma(x)(1 - sigma(x))
(0.25 at x = 0) and tanh'(x) = 1 - tanh(x)**2 (1 at x = 0), with tanh(x) = 2 sigma(2x) - 1; the
L2 (weight-decay) step w <- (1 - lr*lam) w - lr*g, and the L1 proximal step, soft thresholding
sign(u) max(|u| - lr*lam, 0) of u = w - lr*g; the MSE gradient through a linear layer y = W x + b
(dL/dW = (y - t) x^T); folding an eval-mode BatchNorm into that layer, W' = W * s and
b' = (b - mean) * s + beta with s = gamma / sqrt(var + eps) per output; W**k = Q Lambda**k Q^T for
a symmetric W, so ||W**k|| = rho**k; and the BPTT Jacobian dh_T/dh_0 = prod_t diag(tanh'(a_t)) W
of h_t = tanh(W h_{t-1} + x_t), bounded by (gamma ||W||)**T, beside the LSTM cell path's product of
forget gates.

Conventions: the L2 penalty is (lam/2) ||w||**2, so its gradient is lam*w (PyTorch's
weight_decay); the L1 penalty is lam ||w||_1. The MSE is L = 1/2 ||y - t||**2 (no mean). The
BatchNorm is PyTorch's eval mode with the given running mean and variance, eps inside the square
root; the weight matrix is (out, in) as in nn.Linear, and each output channel is one BatchNorm
feature (a conv's output channel folds the same way). ReLU'(0) = 0 as in PyTorch's autograd.
At the defaults: sigma'(0) = 0.25, tanh'(0) = 1; w = (0.5, -0.03, 0.2) with lr 0.1 and lam 0.5
decays by 0.95 and soft-thresholds by 0.05 to (0.45, 0, 0.15); W = (2, 1; 1, 2) has eigenvalues
3 and 1, so W**3 = (14, 13; 13, 14) and ||W**3|| = 27.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

META = {
    "title": "Derivations on given numbers: activations, weight decay, BN folding, W^k, BPTT",
    "summary": "sigma', tanh', L2 and L1 (soft-threshold) steps, MSE and BN folding of a linear layer, W^k, BPTT Jacobian",
    "topics": ["gradients", "regularization", "batchnorm", "rnn", "lstm", "fundamentals"],
    "params": {
        "x": {"type": "floats", "default": "0, 2", "min": -50.0, "max": 50.0,
              "help": "points where sigmoid, tanh, their derivatives and ReLU' are reported, e.g. 0,2"},
        "w": {"type": "floats", "default": "0.5, -0.03, 0.2", "min": -1000000.0, "max": 1000000.0,
              "help": "weights for the L2 and L1 steps, e.g. 0.5,-0.03,0.2"},
        "g": {"type": "floats", "default": "0", "min": -1000000.0, "max": 1000000.0,
              "help": "the data-loss gradient at w, one per weight or one for all (0: the penalty alone)"},
        "lr": {"type": "float", "default": 0.1, "min": 0.0, "max": 100.0,
               "help": "learning rate of the L2 and L1 steps"},
        "lam": {"type": "float", "default": 0.5, "min": 0.0, "max": 1000.0,
                "help": "penalty strength lambda: (lam/2)||w||^2 for L2, lam ||w||_1 for L1"},
        "weight": {"type": "matrix", "default": "1, 2; -1, 0.5", "min": -1000000.0, "max": 1000000.0,
                   "help": "the linear layer's weight W, (out, in) as in nn.Linear, e.g. '1,2;-1,0.5'"},
        "bias": {"type": "floats", "default": "0.5, -1", "min": -1000000.0, "max": 1000000.0,
                 "help": "the linear layer's bias b, one per output, or one for all"},
        "inputs": {"type": "floats", "default": "1, 2", "min": -1000000.0, "max": 1000000.0,
                   "help": "the linear layer's input x, one per input feature"},
        "target": {"type": "floats", "default": "1, 0", "min": -1000000.0, "max": 1000000.0,
                   "help": "the MSE target t, one per output, or one for all"},
        "bn_gamma": {"type": "floats", "default": "2, 3", "min": -1000.0, "max": 1000.0,
                     "help": "BatchNorm gamma after the layer, one per output, or one for all"},
        "bn_beta": {"type": "floats", "default": "1, 0", "min": -1000.0, "max": 1000.0,
                    "help": "BatchNorm beta, one per output, or one for all"},
        "bn_mean": {"type": "floats", "default": "1", "min": -1000000.0, "max": 1000000.0,
                    "help": "BatchNorm running_mean, one per output, or one for all"},
        "bn_var": {"type": "floats", "default": "16, 1", "min": 0.0, "max": 1000000000000.0,
                   "help": "BatchNorm running_var, one per output, or one for all"},
        "eps": {"type": "float", "default": 1e-05, "min": 0.0, "max": 1.0,
                "help": "BatchNorm eps inside the square root (PyTorch: 1e-5)"},
        "matrix": {"type": "matrix", "default": "2, 1; 1, 2", "min": -1000.0, "max": 1000.0,
                   "help": "a symmetric square matrix W for W^k = Q Lambda^k Q^T, e.g. '2,1;1,2'"},
        "power": {"type": "int", "default": 3, "min": 0, "max": 1000,
                  "help": "the power k of W^k"},
        "rnn_w": {"type": "matrix", "default": "0.5", "min": -100.0, "max": 100.0,
                  "help": "recurrent weight W (H, H) of h_t = tanh(W h_(t-1) + x_t); one number for H = 1"},
        "rnn_h0": {"type": "floats", "default": "0", "min": -100.0, "max": 100.0,
                   "help": "initial state h_0, H numbers, or one for all"},
        "rnn_x": {"type": "matrix", "default": "1; 0; 0", "min": -100.0, "max": 100.0,
                  "help": "inputs x_1..x_T added to W h_(t-1), one row per step of H numbers (or one per row for all)"},
        "gamma": {"type": "float", "default": 1.0, "min": 0.0, "max": 100.0,
                  "help": "the bound on |f'| in (gamma ||W||)^T: 1 for tanh, 0.25 for sigmoid"},
        "forget": {"type": "floats", "default": "0.9, 0.8, 0.5", "min": 0.0, "max": 1.0,
                   "help": "LSTM forget gates f_1..f_T along the cell path (scalars in [0, 1])"},
    },
    "outputs": {
        "x": "the points given",
        "sigmoid": "sigma(x) at each point (list: sigmoid.0 is the first point)",
        "sigmoid_grad": "sigma'(x) = sigma(x)(1 - sigma(x)) at each point",
        "tanh": "tanh(x) at each point",
        "tanh_grad": "tanh'(x) = 1 - tanh(x)^2 at each point",
        "tanh_from_sigmoid": "2 sigma(2x) - 1 at each point (equals tanh(x))",
        "relu_grad": "ReLU'(x) at each point, 0 at x = 0 (PyTorch)",
        "w": "the weights given",
        "l2_factor": "1 - lr*lam, the factor weight decay multiplies w by",
        "l2_step": "(1 - lr*lam) w - lr*g, one SGD step on the loss plus (lam/2)||w||^2",
        "l2_step_without_lr": "(1 - lam) w - lr*g, the step with the learning rate left out of the decay (a common slip)",
        "l1_threshold": "lr*lam, the soft threshold",
        "l1_prox_step": "sign(u) max(|u| - lr*lam, 0) for u = w - lr*g: the proximal (ISTA) step",
        "l1_hard_threshold": "u where |u| > lr*lam, else 0: hard thresholding, not the L1 step",
        "l1_subgradient_step": "w - lr (g + lam sign(w)): the plain subgradient step, which overshoots zero",
        "l1_zeros": "weights the proximal step sets exactly to 0",
        "linear_output": "y = W x + b",
        "mse_loss": "1/2 ||y - t||^2",
        "grad_output": "dL/dy = y - t",
        "grad_weight": "dL/dW = (y - t) x^T, rows by output: grad_weight.0.1 is output 0, input 1",
        "grad_bias": "dL/db = y - t",
        "grad_inputs": "dL/dx = W^T (y - t)",
        "bn_scale": "gamma / sqrt(running_var + eps), one per output",
        "folded_weight": "W' = W * scale (row i times scale_i), rows by output",
        "folded_bias": "b' = (b - running_mean) * scale + beta",
        "folded_output": "W' x + b', the folded layer's output on the input given",
        "bn_output": "BatchNorm (eval) of W x + b: the same numbers as folded_output",
        "eigenvalues": "eigenvalues of the symmetric matrix, largest magnitude first",
        "eigenvectors": "Q: column j is the unit eigenvector of eigenvalue j (eigenvectors.0.1 is row 0 of column 1)",
        "spectral_radius": "rho = largest |eigenvalue|",
        "matrix_norm": "||W||_2, the largest singular value (rho for a symmetric matrix)",
        "power_eig": "Q Lambda^k Q^T, rows: power_eig.0.1 is row 0, column 1",
        "power_direct": "W multiplied by itself k times (the brute-force check of power_eig)",
        "power_norm": "||W^k||_2",
        "power_norm_theory": "rho^k (equal to ||W^k||_2 for a symmetric matrix)",
        "rnn_states": "h_1..h_T, rows by step",
        "rnn_tanh_grads": "tanh'(a_t) = 1 - h_t^2, rows by step",
        "rnn_jacobian": "dh_T/dh_0 = prod over t of diag(tanh'(a_t)) W (later steps on the left)",
        "rnn_jacobian_norm": "||dh_T/dh_0||_2",
        "rnn_w_norm": "||W||_2 of the recurrent weight",
        "rnn_bound": "(gamma ||W||_2)^T, the bound on ||dh_T/dh_0||",
        "rnn_steps": "T, the number of steps",
        "forget_product": "prod of the forget gates: dc_T/dc_0 along the cell path",
        "forget_log10": "log10 of the forget product",
    },
}


@dataclass(frozen=True)
class Derivations:
    x: np.ndarray
    sigmoid: np.ndarray
    sigmoid_grad: np.ndarray
    tanh: np.ndarray
    tanh_grad: np.ndarray
    tanh_from_sigmoid: np.ndarray
    relu_grad: np.ndarray
    w: np.ndarray
    l2_factor: float
    l2_step: np.ndarray
    l2_step_without_lr: np.ndarray
    l1_threshold: float
    l1_prox_step: np.ndarray
    l1_hard_threshold: np.ndarray
    l1_subgradient_step: np.ndarray
    l1_zeros: int
    linear_output: np.ndarray
    mse_loss: float
    grad_output: np.ndarray
    grad_weight: np.ndarray
    grad_bias: np.ndarray
    grad_inputs: np.ndarray
    bn_scale: np.ndarray
    folded_weight: np.ndarray
    folded_bias: np.ndarray
    folded_output: np.ndarray
    bn_output: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    spectral_radius: float
    matrix_norm: float
    power_eig: np.ndarray
    power_direct: np.ndarray
    power_norm: float
    power_norm_theory: float
    rnn_states: np.ndarray
    rnn_tanh_grads: np.ndarray
    rnn_jacobian: np.ndarray
    rnn_jacobian_norm: float
    rnn_w_norm: float
    rnn_bound: float
    rnn_steps: int
    forget_product: float
    forget_log10: float


def broadcast(values: tuple[float, ...], size: int, option: str, what: str) -> np.ndarray:
    """``values`` as given when there are ``size`` of them, its single value repeated, or DemoInputError."""
    from mlquiz.errors import DemoInputError
    from mlquiz.i18n import N_, _

    if len(values) == 1:
        return np.full(size, float(values[0]))
    if len(values) != size:
        # what and its singular (English: what less its last letter), translated as a pair
        shown = {"outputs (rows of --weight)": (N_("outputs (rows of --weight)"), N_("outputs (rows of --weight")),
                 "hidden units": (N_("hidden units"), N_("hidden unit"))}.get(what, (what, what[:-1]))
        raise DemoInputError(_("{option} has {count} numbers but there are {size} {what}; "
                               "give one number per {one}, or one for all").format(
            option=option, count=len(values), size=size, what=_(shown[0]), one=_(shown[1])))
    return np.asarray(values, dtype=float)


def soft_threshold(u: np.ndarray, threshold: float) -> np.ndarray:
    """sign(u) max(|u| - threshold, 0): the proximal map of threshold * ||.||_1."""
    return np.sign(u) * np.maximum(np.abs(u) - threshold, 0.0) + 0.0  # + 0.0 turns -0.0 into 0.0


def linear_mse(weight: np.ndarray, bias: np.ndarray, x: np.ndarray, target: np.ndarray):
    """y = W x + b and L = 1/2 ||y - t||^2 with its gradients (dL/dW, dL/db, dL/dx)."""
    y = weight @ x + bias
    dy = y - target  # dL/dy of 1/2 ||y - t||^2
    return y, 0.5 * float(dy @ dy), dy, np.outer(dy, x), dy.copy(), weight.T @ dy


def fold_batchnorm(weight, bias, gamma, beta, mean, var, eps):
    """(W', b', scale) with W' x + b' = gamma (W x + b - mean) / sqrt(var + eps) + beta."""
    scale = gamma / np.sqrt(var + eps)
    return weight * scale[:, None], (bias - mean) * scale + beta, scale


def rnn_jacobian(weight: np.ndarray, h0: np.ndarray, inputs: np.ndarray):
    """States of h_t = tanh(W h_(t-1) + x_t), their tanh' and dh_T/dh_0 = prod diag(1 - h_t^2) W."""
    h, states, grads = h0, [], []
    jacobian = np.eye(len(h0))
    for x_t in inputs:
        h = np.tanh(weight @ h + x_t)
        local = 1.0 - h * h  # tanh'(a_t) written with h_t = tanh(a_t)
        jacobian = (local[:, None] * weight) @ jacobian  # dh_t/dh_(t-1) = diag(tanh'(a_t)) W, on the left
        states.append(h)
        grads.append(local)
    return np.array(states), np.array(grads), jacobian


def compute(x: tuple[float, ...] = (0.0, 2.0), w: tuple[float, ...] = (0.5, -0.03, 0.2), g: tuple[float, ...] = (0.0,),
            lr: float = 0.1, lam: float = 0.5,
            weight: tuple[tuple[float, ...], ...] = ((1.0, 2.0), (-1.0, 0.5)), bias: tuple[float, ...] = (0.5, -1.0),
            inputs: tuple[float, ...] = (1.0, 2.0), target: tuple[float, ...] = (1.0, 0.0),
            bn_gamma: tuple[float, ...] = (2.0, 3.0), bn_beta: tuple[float, ...] = (1.0, 0.0),
            bn_mean: tuple[float, ...] = (1.0,), bn_var: tuple[float, ...] = (16.0, 1.0), eps: float = 1e-05,
            matrix: tuple[tuple[float, ...], ...] = ((2.0, 1.0), (1.0, 2.0)), power: int = 3,
            rnn_w: tuple[tuple[float, ...], ...] = ((0.5,),), rnn_h0: tuple[float, ...] = (0.0,),
            rnn_x: tuple[tuple[float, ...], ...] = ((1.0,), (0.0,), (0.0,)), gamma: float = 1.0,
            forget: tuple[float, ...] = (0.9, 0.8, 0.5)) -> Derivations:
    """Every derivation on its own inputs; see the module docstring for the formulas and conventions."""
    from mlquiz.demos._activations import relu_grad, sigmoid, sigmoid_grad, tanh, tanh_grad
    from mlquiz.errors import DemoInputError

    xs = np.asarray(x, dtype=float)

    w_arr = np.asarray(w, dtype=float)
    g_arr = broadcast(g, len(w_arr), "--g", "weights")
    u = w_arr - lr * g_arr  # the data-gradient step before the L1 proximal map
    threshold = lr * lam
    prox = soft_threshold(u, threshold)

    from mlquiz.i18n import _

    W = np.asarray(weight, dtype=float)
    n_out, n_in = W.shape
    if len(inputs) != n_in:
        raise DemoInputError(_("--inputs has {count} numbers but --weight has {n_in} columns (inputs); "
                               "give one input per column").format(count=len(inputs), n_in=n_in))
    b = broadcast(bias, n_out, "--bias", "outputs (rows of --weight)")
    t = broadcast(target, n_out, "--target", "outputs (rows of --weight)")
    xin = np.asarray(inputs, dtype=float)
    y, loss, dy, d_w, d_b, d_x = linear_mse(W, b, xin, t)
    gam = broadcast(bn_gamma, n_out, "--bn-gamma", "outputs (rows of --weight)")
    bet = broadcast(bn_beta, n_out, "--bn-beta", "outputs (rows of --weight)")
    mu = broadcast(bn_mean, n_out, "--bn-mean", "outputs (rows of --weight)")
    var = broadcast(bn_var, n_out, "--bn-var", "outputs (rows of --weight)")
    if np.any(var + eps <= 0):
        raise DemoInputError(_("--bn-var is 0 and --eps is 0, so BatchNorm divides by 0; use --eps 1e-5 or a positive "
                               "variance"))
    folded_w, folded_b, scale = fold_batchnorm(W, b, gam, bet, mu, var, eps)

    M = np.asarray(matrix, dtype=float)
    if M.shape[0] != M.shape[1]:
        raise DemoInputError(_("--matrix is {rows}x{cols}; W^k needs a square matrix").format(
            rows=M.shape[0], cols=M.shape[1]))
    if not np.allclose(M, M.T, rtol=0.0, atol=1e-12):
        raise DemoInputError(_("--matrix is not symmetric, so it has no W = Q Lambda Q^T with orthogonal Q; "
                               "give a symmetric matrix, e.g. '2,1;1,2'"))
    lams, Q = np.linalg.eigh(M)
    order = np.argsort(-np.abs(lams), kind="stable")  # largest magnitude first
    lams, Q = lams[order], Q[:, order]
    Q = Q * np.where(Q[np.argmax(np.abs(Q), axis=0), np.arange(Q.shape[1])] < 0, -1.0, 1.0)  # largest entry positive
    rho = float(np.max(np.abs(lams)))
    power_eig = (Q * lams**power) @ Q.T
    power_direct = np.linalg.matrix_power(M, power)

    R = np.asarray(rnn_w, dtype=float)
    if R.shape[0] != R.shape[1]:
        raise DemoInputError(_("--rnn-w is {rows}x{cols}; a recurrent weight is square (H, H)").format(
            rows=R.shape[0], cols=R.shape[1]))
    hidden = R.shape[0]
    h0 = broadcast(rnn_h0, hidden, "--rnn-h0", "hidden units")
    steps = np.array([broadcast(row, hidden, "--rnn-x", "hidden units") for row in rnn_x])
    states, local, jac = rnn_jacobian(R, h0, steps)
    r_norm = float(np.linalg.norm(R, 2))

    f = np.asarray(forget, dtype=float)
    f_prod = float(np.prod(f))
    return Derivations(
        x=xs,
        sigmoid=sigmoid(xs),
        sigmoid_grad=sigmoid_grad(xs),
        tanh=tanh(xs),
        tanh_grad=tanh_grad(xs),
        tanh_from_sigmoid=2.0 * sigmoid(2.0 * xs) - 1.0,
        relu_grad=relu_grad(xs),
        w=w_arr,
        l2_factor=1.0 - lr * lam,
        l2_step=(1.0 - lr * lam) * w_arr - lr * g_arr,
        l2_step_without_lr=(1.0 - lam) * w_arr - lr * g_arr,
        l1_threshold=threshold,
        l1_prox_step=prox,
        l1_hard_threshold=np.where(np.abs(u) > threshold, u, 0.0),
        l1_subgradient_step=w_arr - lr * (g_arr + lam * np.sign(w_arr)),
        l1_zeros=int(np.sum(prox == 0.0)),
        linear_output=y,
        mse_loss=loss,
        grad_output=dy,
        grad_weight=d_w,
        grad_bias=d_b,
        grad_inputs=d_x,
        bn_scale=scale,
        folded_weight=folded_w,
        folded_bias=folded_b,
        folded_output=folded_w @ xin + folded_b,
        bn_output=gam * (y - mu) / np.sqrt(var + eps) + bet,
        eigenvalues=lams,
        eigenvectors=Q,
        spectral_radius=rho,
        matrix_norm=float(np.linalg.norm(M, 2)),
        power_eig=power_eig,
        power_direct=power_direct,
        power_norm=float(np.linalg.norm(power_direct, 2)),
        power_norm_theory=rho**power,
        rnn_states=states,
        rnn_tanh_grads=local,
        rnn_jacobian=jac,
        rnn_jacobian_norm=float(np.linalg.norm(jac, 2)),
        rnn_w_norm=r_norm,
        rnn_bound=(gamma * r_norm) ** len(steps),
        rnn_steps=len(steps),
        forget_product=f_prod,
        forget_log10=float(np.log10(f_prod)) if f_prod > 0 else float("-inf"),
    )


def _vec(values, fmt: str = "{:.4g}") -> str:
    return "(" + ", ".join(fmt.format(float(v)) for v in np.ravel(values)[:6]) + ")"


def _mat(m) -> str:
    m = np.atleast_2d(m)
    return "; ".join(_vec(row)[1:-1] for row in m[:4])


def render(result: Derivations):
    from mlquiz.charts import key_values
    from mlquiz.i18n import _

    r = result
    rows = []
    for i in range(min(len(r.x), 4)):
        rows.append((f"x = {r.x[i]:g}: sigma, sigma', tanh, tanh'",
                     _vec((r.sigmoid[i], r.sigmoid_grad[i], r.tanh[i], r.tanh_grad[i]))))
    rows += [
        ("2 sigma(2x) - 1 (= tanh x)", _vec(r.tanh_from_sigmoid)),
        ("ReLU'(x)", _vec(r.relu_grad)),
        ("w", _vec(r.w)),
        (_("L2: (1 - lr*lam) = {factor:.4g}, step").format(factor=r.l2_factor), _vec(r.l2_step)),
        (_("L2 with lr left out of the decay"), _vec(r.l2_step_without_lr)),
        (_("L1 prox, soft threshold {threshold:.4g}").format(threshold=r.l1_threshold), _vec(r.l1_prox_step)),
        (_("hard threshold / subgradient step"), _vec(r.l1_hard_threshold) + " " + _vec(r.l1_subgradient_step)),
        (_("linear y = W x + b; L = 1/2||y - t||^2"), f"{_vec(r.linear_output)}; {r.mse_loss:.4g}"),
        ("dL/dW = (y - t) x^T", _mat(r.grad_weight)),
        ("dL/db, dL/dx", f"{_vec(r.grad_bias)} {_vec(r.grad_inputs)}"),
        (_("BN fold: scale gamma/sqrt(var+eps)"), _vec(r.bn_scale)),
        ("W' = W * scale", _mat(r.folded_weight)),
        ("b' = (b - mean) * scale + beta", _vec(r.folded_bias)),
        ("W'x + b' / BN(Wx + b)", f"{_vec(r.folded_output)} {_vec(r.bn_output)}"),
        (_("eigenvalues, rho"), f"{_vec(r.eigenvalues)}, {r.spectral_radius:.4g}"),
        ("Q Lambda^k Q^T", _mat(r.power_eig)),
        ("||W^k||, rho^k", f"{r.power_norm:.6g}, {r.power_norm_theory:.6g}"),
        (f"RNN h_1..h_{r.rnn_steps}", _mat(r.rnn_states.T)),
        ("dh_T/dh_0", _mat(r.rnn_jacobian)),
        ("||dh_T/dh_0|| <= (gamma ||W||)^T", f"{r.rnn_jacobian_norm:.4g} <= {r.rnn_bound:.4g}"),
        (_("LSTM cell path: prod f_t"), f"{r.forget_product:.6g}"),
    ]
    return key_values(_("Derivations on the numbers given"), rows)
