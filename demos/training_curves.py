"""Claim: the curves a candidate is asked to diagnose come from really training tiny NumPy models, so the
diagnosis is true of real dynamics. Expected at the defaults (seed 0):

- diverging-lr: linear regression whose loss has curvature L = 4 along its steepest direction (features
  with variances 4, 1, 0.25 and a bias). Gradient descent is stable only for lr < 2/L = 0.5; at lr 0.55
  the error along that direction is multiplied by |1 - lr L| = 1.2 each epoch, so the loss grows by
  1.44 per epoch: 4e7 times its first value after 50 epochs.
- good-lr: the same problem at lr 0.25 = 1/L: the loss falls to the noise floor (0.10).
- overfitting: a 1-64-1 tanh MLP trained with Adam on 10 noisy points of sin(pi x): the training loss
  keeps falling while the validation loss is lowest at epoch 45 and then climbs to about 4 times that.
- exploding-rnn: a linear RNN whose recurrent matrix has spectral radius 1.2: ||dL/dh|| grows by 1.2
  per step back (32 times over 20 steps). Without clipping one SGD step sends the loss from 547 to about
  5e76 and the next to nan; clipping the gradient norm at 1 keeps every step bounded and the loss falls.
- dead-relu: a ReLU MLP trained without warm-up (its first 5 epochs at 10 times the learning rate):
  most hidden units die (6% dead at initialisation, 84% after), their gradients are 0 so they
  never recover, and the loss sits flat at 0.5, the loss of predicting the mean.
- low-lr: the regression of good-lr at lr 0.01, 25 times too small: after 50 epochs the loss is
  still falling in a smooth, nearly straight line, at 0.94, nine times the least-squares optimum
  (0.10); the direction of curvature 0.25 shrinks its error by only 0.25% per epoch.
- lr-decay: the same regression by SGD with batch size 1 (40 steps per epoch). Run A keeps lr 0.1:
  after the fast early fall its loss bounces between about 0.11 and 0.25 for the rest of training,
  because single-example gradients stay noisy at the optimum. Run B, identical until epoch 50, then
  divides the lr by 10: its steps shrink with it and the loss settles at 0.104, next to the optimum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlquiz.errors import DemoInputError
from mlquiz.i18n import N_, msg

META = {
    "title": "Training curves to diagnose",
    "summary": "tiny NumPy models trained for real: diverging lr, overfitting, exploding RNN gradients, dead ReLUs",
    "topics": ["fundamentals", "gradients", "rnn", "regularization"],
    "params": {
        "case": {"type": "choice", "default": "overfitting",
                 "choices": ["diverging-lr", "good-lr", "overfitting", "exploding-rnn", "dead-relu", "low-lr",
                             "lr-decay"],
                 "help": "which training run to show"},
        "epochs": {"type": "int", "default": 0, "min": 0, "max": 5000,
                   "help": "full-batch epochs (one step each; lr-decay: one pass of batch-1 SGD); 0: the case's own "
                           "(50, 50, 600, 100, 100, 50, 100)"},
        "lr": {"type": "float", "default": 0.0, "min": 0.0, "max": 100.0,
               "help": "learning rate; 0: the case's own (diverging-lr 0.55, good-lr 0.25, overfitting 0.03 "
                       "with Adam, exploding-rnn 0.01, dead-relu 0.1, low-lr 0.01, lr-decay 0.1 before the decay)"},
        "clip_norm": {"type": "float", "default": 1.0, "min": 1e-06, "max": 1000000.0,
                      "help": "exploding-rnn: the clipped run rescales the gradient to at most this L2 norm"},
        "spectral_radius": {"type": "float", "default": 1.2, "min": 0.1, "max": 3.0,
                            "help": "exploding-rnn: spectral radius of the initial recurrent matrix (scaled orthogonal)"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295,
                 "help": "seed for the data and the initial weights"},
    },
    "outputs": {
        "case": "the training run",
        "epochs": "epochs run (index 0 of every series is before the first update)",
        "lr": "the learning rate used",
        "train_loss": "training loss (half mean squared error) per epoch, epochs + 1 values "
                      "(exploding-rnn: without clipping; inf or null once it overflows)",
        "val_loss": "validation loss per epoch (overfitting; null otherwise)",
        "grad_norm": "L2 norm of the full gradient at each epoch, before any clipping",
        "dead_fraction": "share of hidden ReLU units that no training input activates, per epoch (dead-relu; null otherwise)",
        "clipped_train_loss": "exploding-rnn: training loss per epoch of the same run with gradient clipping",
        "clipped_grad_norm": "exploding-rnn: gradient norm per epoch of the clipped run, before clipping",
        "grad_norm_by_step": "exploding-rnn: ||dL/dh|| k steps before the loss at initialisation (index 0: the last state)",
        "first_train_loss": "train_loss at epoch 0",
        "final_train_loss": "train_loss after the last epoch",
        "min_train_loss": "smallest finite train_loss",
        "loss_ratio": "final_train_loss / first_train_loss (inf once the loss overflows)",
        "loss_growth_per_epoch": "geometric mean of train_loss[e+1] / train_loss[e] over the last 10 finite epochs",
        "first_nonfinite_epoch": "first epoch whose train_loss is inf or nan (null if it stays finite)",
        "best_epoch": "overfitting: epoch of the smallest validation loss",
        "min_val_loss": "overfitting: the smallest validation loss",
        "final_val_loss": "overfitting: validation loss after the last epoch",
        "val_rise": "overfitting: final_val_loss / min_val_loss (> 1: validation loss turned up)",
        "train_loss_at_best": "overfitting: training loss at best_epoch (it keeps falling after it)",
        "curvature": "diverging-lr, good-lr: largest eigenvalue L of the loss's Hessian (4)",
        "critical_lr": "diverging-lr, good-lr: 2 / L, above which gradient descent diverges",
        "spectral_radius": "exploding-rnn: largest |eigenvalue| of the initial recurrent matrix",
        "grad_growth_per_step": "exploding-rnn: geometric-mean factor by which ||dL/dh|| grows per step back",
        "clip_norm": "exploding-rnn: the clipping threshold",
        "clipped_final_loss": "exploding-rnn: final training loss of the clipped run",
        "initial_dead_fraction": "dead-relu: dead_fraction at initialisation",
        "final_dead_fraction": "dead-relu: dead_fraction after the last epoch",
        "mean_predictor_loss": "training loss of predicting the mean target (where a model that learned nothing sits)",
        "optimum_loss": "diverging-lr, good-lr, low-lr, lr-decay: training loss at the least-squares solution",
        "decay_epoch": "lr-decay: run B divides the lr by 10 from this epoch on (half the epochs)",
        "decayed_train_loss": "lr-decay: training loss per epoch of run B (the lr divided by 10 from decay_epoch)",
        "decayed_final_loss": "lr-decay: run B's training loss after the last epoch",
        "late_loss_max": "lr-decay: run A's largest training loss from decay_epoch on",
        "late_loss_min": "lr-decay: run A's smallest training loss from decay_epoch on",
        "decayed_late_loss_max": "lr-decay: run B's largest training loss after decay_epoch",
        "pattern": "what the curves show: diverging, converging, too slow, noisy plateau, settled, overfitting, "
                   "no overfitting, exploding gradients, vanishing gradients, stable gradients, dead units or "
                   "healthy units",
        "diagnosis": "the diagnosis in one or two sentences, from the numbers",
    },
    "scenarios": {
        "diverging": {"params": {"case": "diverging-lr"},
                      "look": "lr 0.55 is above 2/L = 0.5: the loss rises by a constant factor (1.44) each epoch, "
                              "a straight line on the log axis"},
        "good": {"params": {"case": "good-lr"}, "look": "lr 0.25 = 1/L: the loss falls fast, then flattens at the noise"},
        "overfitting": {"params": {"case": "overfitting"},
                        "look": "the training loss keeps falling; the validation loss bottoms out early and climbs"},
        "exploding": {"params": {"case": "exploding-rnn"},
                      "look": "||dL/dh|| rises by the spectral radius per step back: a straight line on the log axis"},
        "dead": {"params": {"case": "dead-relu"},
                 "look": "the dead fraction jumps during the too-large first steps and never comes back; the "
                         "loss is flat at the mean predictor's"},
        "slow": {"params": {"case": "low-lr"}, "look": "lr 0.01 is 25 times below 1/L: a slow, steady, unfinished fall"},
        "decay": {"params": {"case": "lr-decay"},
                  "look": "constant-lr SGD bounces around the optimum; dividing the lr by 10 settles it"},
    },
}

CASE_LR = {"diverging-lr": 0.55, "good-lr": 0.25, "overfitting": 0.03, "exploding-rnn": 0.01, "dead-relu": 0.1,
           "low-lr": 0.01, "lr-decay": 0.1}
# 0.55 is 10% above 2/L = 0.5, 0.25 = 1/L, 0.01 = 1/(25 L); the others are rates these small nets train well at.
CASE_EPOCHS = {"diverging-lr": 50, "good-lr": 50, "overfitting": 600, "exploding-rnn": 100, "dead-relu": 100,
               "low-lr": 50, "lr-decay": 100}
# Adam needs ~600 epochs to fit the noise of 10 points; the others show their pattern well within 100.

# Linear regression (diverging-lr, good-lr)
FEATURE_VARIANCES = (4.0, 1.0, 0.25)  # exact, with the bias: Hessian diag(4, 1, 0.25, 1), so L = 4 and 2/L = 0.5
REG_SAMPLES = 40
REG_WEIGHTS = (1.0, -1.0, 2.0)  # the true weights and bias
REG_BIAS = 1.0
REG_NOISE = 0.5  # noise std: the loss floor is about REG_NOISE**2 / 2

# Overfitting MLP
MLP_HIDDEN = 64  # 193 parameters for 10 points: it can fit the noise
MLP_TRAIN = 10
MLP_VAL = 100
MLP_NOISE = 0.4
MLP_INIT_SCALE = 2.0  # first-layer weights N(0, 2^2), biases U(-2, 2): tanh kinks spread over [-1, 1]
ADAM_BETAS = (0.9, 0.999)  # PyTorch's defaults
ADAM_EPS = 1e-8

# Exploding RNN
RNN_HIDDEN = 8
RNN_INPUTS = 2
RNN_STEPS = 20
RNN_BATCH = 32
CLIP_EPS = 1e-6  # as torch.nn.utils.clip_grad_norm_

# Dead ReLU
RELU_HIDDEN = 32
RELU_SAMPLES = 200
RELU_INPUTS = 5
NO_WARMUP_EPOCHS = 5  # the first epochs run at NO_WARMUP_FACTOR times the learning rate: a skipped warm-up
NO_WARMUP_FACTOR = 10.0

# lr-decay
DECAY_FACTOR = 10.0  # run B divides the lr by this from half-way
SGD_BATCH = 1  # single-example gradients: their noise does not vanish at the optimum
MAX_SGD_EPOCHS = 1000  # 2 x 40 steps per epoch

SLOW_RATIO = 2.0  # low-lr: a final loss over twice the optimum has not converged
NOISY_SPREAD = 1.3  # lr-decay: late max / min over 1.3 reads as bouncing

GROWTH_WINDOW = 10  # epochs over which loss_growth_per_epoch is averaged
DIVERGED_RATIO = 10.0  # a final loss 10 times the first counts as diverging
MAX_RNN_EPOCHS = 1000  # two BPTT runs of RNN_STEPS steps per epoch: 1000 epochs take about a second


@dataclass(frozen=True)
class TrainingCurves:
    case: str
    epochs: int
    lr: float
    train_loss: list
    val_loss: list | None
    grad_norm: list
    dead_fraction: list | None
    clipped_train_loss: list | None
    clipped_grad_norm: list | None
    grad_norm_by_step: list | None
    first_train_loss: float
    final_train_loss: float
    min_train_loss: float
    loss_ratio: float
    loss_growth_per_epoch: float | None
    first_nonfinite_epoch: int | None
    best_epoch: int | None
    min_val_loss: float | None
    final_val_loss: float | None
    val_rise: float | None
    train_loss_at_best: float | None
    curvature: float | None
    critical_lr: float | None
    spectral_radius: float | None
    grad_growth_per_step: float | None
    clip_norm: float | None
    clipped_final_loss: float | None
    initial_dead_fraction: float | None
    final_dead_fraction: float | None
    mean_predictor_loss: float
    optimum_loss: float | None
    decay_epoch: int | None
    decayed_train_loss: list | None
    decayed_final_loss: float | None
    late_loss_max: float | None
    late_loss_min: float | None
    decayed_late_loss_max: float | None
    pattern: str
    diagnosis: str


# ----------------------------------------------------------------------------- models and their gradients

def _norm(grads: dict) -> float:
    return math.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))


def make_regression(rng):
    """Features whose covariance is exactly diag(FEATURE_VARIANCES) and which are orthogonal to the bias.

    Returns X (n, 3) and y (n,) with X.T @ X / n = diag(4, 1, 0.25) and X.sum(axis=0) = 0.
    """
    raw = rng.standard_normal((REG_SAMPLES, len(FEATURE_VARIANCES)))
    raw -= raw.mean(axis=0)
    q, _ = np.linalg.qr(raw)  # orthonormal columns, still orthogonal to the ones vector
    X = q * np.sqrt(REG_SAMPLES * np.array(FEATURE_VARIANCES))
    y = X @ np.array(REG_WEIGHTS) + REG_BIAS + REG_NOISE * rng.standard_normal(REG_SAMPLES)
    return X, y


def linear_loss_and_grads(params: dict, X: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    """L = 1/(2n) ||X w + b - y||^2 and its gradients.

    Parameters
    ----------
    params : ``w`` (d,), ``b`` (shape ()).  X : (n, d).  y : (n,).

    Notes
    -----
    :math:`\\partial L/\\partial w = X^\\top r / n`, :math:`\\partial L/\\partial b = \\bar r`, with
    :math:`r = Xw + b - y`; the Hessian is :math:`[X, 1]^\\top [X, 1] / n`.
    """
    r = X @ params["w"] + params["b"] - y
    n = len(y)
    return 0.5 * float(r @ r) / n, {"w": X.T @ r / n, "b": np.array(r.mean())}


def mlp_loss_and_grads(params: dict, x: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    """Half mean squared error of the 1-H-1 tanh MLP and its gradients.

    Parameters
    ----------
    params : ``W1`` (1, H), ``b1`` (H,), ``W2`` (H,), ``b2`` (shape ()).  x : (n, 1).  y : (n,).

    Notes
    -----
    :math:`a = \\tanh(xW_1 + b_1)`, :math:`\\hat y = aW_2 + b_2`, :math:`L = \\frac{1}{2n}\\sum (\\hat y - y)^2`;
    backward: :math:`\\delta = r/n`, :math:`dW_2 = a^\\top\\delta`, :math:`dz = \\delta W_2^\\top \\odot (1 - a^2)`.
    """
    a = np.tanh(x @ params["W1"] + params["b1"])
    r = a @ params["W2"] + params["b2"] - y
    n = len(y)
    delta = r / n
    dz = np.outer(delta, params["W2"]) * (1 - a * a)  # tanh' = 1 - tanh^2
    grads = {"W1": x.T @ dz, "b1": dz.sum(axis=0), "W2": a.T @ delta, "b2": np.array(delta.sum())}
    return 0.5 * float(r @ r) / n, grads


def mlp_loss(params: dict, x: np.ndarray, y: np.ndarray) -> float:
    r = np.tanh(x @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"] - y
    return 0.5 * float(r @ r) / len(y)


def rnn_loss_and_grads(params: dict, X: np.ndarray, y: np.ndarray) -> tuple[float, dict, np.ndarray]:
    """Linear RNN h_t = W h_(t-1) + U x_t (h_0 = 0), prediction v . h_T, half mean squared error; BPTT.

    Parameters
    ----------
    params : ``W`` (H, H), ``U`` (H, I), ``v`` (H,).  X : (T, N, I).  y : (N,).

    Returns
    -------
    loss, gradients (same keys and shapes), and ||dL/dh_(T-k)|| for k = 0..T-1 (Frobenius over the batch).

    Notes
    -----
    :math:`\\partial L/\\partial h_{t-1} = (\\partial L/\\partial h_t) W`: each step back multiplies by
    :math:`W^\\top`, so the norm grows like :math:`\\rho(W)^k`; for :math:`W = \\rho Q` (Q orthogonal) exactly.
    """
    n_steps, n_batch, _ = X.shape
    W, U, v = params["W"], params["U"], params["v"]
    hs = [np.zeros((n_batch, W.shape[0]))]
    for t in range(n_steps):
        hs.append(hs[-1] @ W.T + X[t] @ U.T)
    r = hs[-1] @ v - y
    loss = 0.5 * float(r @ r) / n_batch
    dh = np.outer(r / n_batch, v)  # dL/dh_T
    dW, dU = np.zeros_like(W), np.zeros_like(U)
    norms = np.empty(n_steps)
    for k in range(n_steps):
        t = n_steps - k  # dh is dL/dh_t
        norms[k] = np.linalg.norm(dh)
        dW += dh.T @ hs[t - 1]
        dU += dh.T @ X[t - 1]
        dh = dh @ W  # back through h_t = W h_(t-1) + ...
    return loss, {"W": dW, "U": dU, "v": hs[-1].T @ r / n_batch}, norms


def relu_loss_and_grads(params: dict, X: np.ndarray, y: np.ndarray) -> tuple[float, dict, np.ndarray]:
    """Half mean squared error of Linear -> ReLU -> Linear, its gradients, and which units are dead.

    Parameters
    ----------
    params : ``W`` (d, H), ``b`` (H,), ``v`` (H,), ``c`` (shape ()).  X : (n, d).  y : (n,).

    Returns
    -------
    loss, gradients, and (H,) bool: True where z = XW + b <= 0 for every row (the unit's gradients are 0).
    """
    z = X @ params["W"] + params["b"]
    a = np.maximum(z, 0.0)
    r = a @ params["v"] + params["c"] - y
    n = len(y)
    delta = r / n
    dz = np.outer(delta, params["v"]) * (z > 0)  # ReLU' = 1 above 0, 0 at and below it
    grads = {"W": X.T @ dz, "b": dz.sum(axis=0), "v": a.T @ delta, "c": np.array(delta.sum())}
    return 0.5 * float(r @ r) / n, grads, np.max(z, axis=0) <= 0


def adam_step(params: dict, grads: dict, state: dict, lr: float, step: int) -> None:
    """One Adam update in place (PyTorch's defaults); ``step`` counts from 1."""
    beta1, beta2 = ADAM_BETAS
    for name, grad in grads.items():
        m, v = state.setdefault(name, (np.zeros_like(grad), np.zeros_like(grad)))
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad * grad
        state[name] = (m, v)
        params[name] = params[name] - lr * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + ADAM_EPS)


# ----------------------------------------------------------------------------- the runs

def _regression(rng, epochs, lr):
    X, y = make_regression(rng)
    params = {"w": np.zeros(X.shape[1]), "b": np.array(0.0)}
    losses, norms = [], []
    for _ in range(epochs + 1):
        loss, grads = linear_loss_and_grads(params, X, y)
        losses.append(loss)
        norms.append(_norm(grads))
        params = {k: params[k] - lr * grads[k] for k in params}
    design = np.hstack([X, np.ones((len(y), 1))])
    curvature = float(np.max(np.linalg.eigvalsh(design.T @ design / len(y))))
    return {"train_loss": losses, "grad_norm": norms, "curvature": curvature,
            "mean_predictor_loss": 0.5 * float(np.var(y)), "optimum_loss": optimum_loss(X, y)}


def optimum_loss(X, y) -> float:
    """The training loss at the least-squares solution: the floor gradient descent converges to."""
    design = np.hstack([X, np.ones((len(y), 1))])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    r = design @ coef - y
    return 0.5 * float(r @ r) / len(y)


def _sgd_run(X, y, epochs, lr, decay_epoch, shuffle_seed):
    """Batch-1 SGD, reshuffled each epoch; from ``decay_epoch`` on the lr is divided by DECAY_FACTOR.

    Returns the full training loss and gradient norm before each epoch (index e: after e passes).
    Both runs of lr-decay take the same ``shuffle_seed``, so they are identical until the decay.
    """
    rng = np.random.default_rng(shuffle_seed)
    params = {"w": np.zeros(X.shape[1]), "b": np.array(0.0)}
    losses, norms = [], []
    for epoch in range(epochs + 1):
        loss, grads = linear_loss_and_grads(params, X, y)
        losses.append(loss)
        norms.append(_norm(grads))
        step = lr / DECAY_FACTOR if decay_epoch is not None and epoch >= decay_epoch else lr
        order = rng.permutation(len(y))
        for start in range(0, len(y), SGD_BATCH):
            rows = order[start:start + SGD_BATCH]
            _, grads = linear_loss_and_grads(params, X[rows], y[rows])
            params = {k: params[k] - step * grads[k] for k in params}
    return losses, norms


def _lr_decay(rng, epochs, lr):
    X, y = make_regression(rng)
    shuffle_seed = int(rng.integers(2**32))
    decay_epoch = epochs // 2
    losses, norms = _sgd_run(X, y, epochs, lr, None, shuffle_seed)
    decayed, _ = _sgd_run(X, y, epochs, lr, decay_epoch, shuffle_seed)
    design = np.hstack([X, np.ones((len(y), 1))])
    curvature = float(np.max(np.linalg.eigvalsh(design.T @ design / len(y))))
    late = losses[decay_epoch:]
    return {"train_loss": losses, "grad_norm": norms, "curvature": curvature,
            "mean_predictor_loss": 0.5 * float(np.var(y)), "optimum_loss": optimum_loss(X, y),
            "decay_epoch": decay_epoch, "decayed_train_loss": [float(v) for v in decayed],
            "decayed_final_loss": float(decayed[-1]), "late_loss_max": float(max(late)),
            "late_loss_min": float(min(late)), "decayed_late_loss_max": float(max(decayed[decay_epoch + 1:]))}


def _overfitting(rng, epochs, lr):
    x = rng.uniform(-1, 1, (MLP_TRAIN, 1))
    y = np.sin(np.pi * x[:, 0]) + MLP_NOISE * rng.standard_normal(MLP_TRAIN)
    x_val = rng.uniform(-1, 1, (MLP_VAL, 1))
    y_val = np.sin(np.pi * x_val[:, 0]) + MLP_NOISE * rng.standard_normal(MLP_VAL)
    params = {"W1": MLP_INIT_SCALE * rng.standard_normal((1, MLP_HIDDEN)),
              "b1": rng.uniform(-MLP_INIT_SCALE, MLP_INIT_SCALE, MLP_HIDDEN),
              "W2": rng.standard_normal(MLP_HIDDEN) / np.sqrt(MLP_HIDDEN), "b2": np.array(0.0)}
    state: dict = {}
    losses, val, norms = [], [], []
    for epoch in range(epochs + 1):
        loss, grads = mlp_loss_and_grads(params, x, y)
        losses.append(loss)
        val.append(mlp_loss(params, x_val, y_val))
        norms.append(_norm(grads))
        adam_step(params, grads, state, lr, epoch + 1)
    return {"train_loss": losses, "val_loss": val, "grad_norm": norms,
            "mean_predictor_loss": 0.5 * float(np.var(y))}


def make_rnn(rng, spectral_radius):
    """Weights (W = spectral_radius x a random orthogonal matrix), inputs (T, N, I) and targets (N,).

    The target is a fixed linear read of the sum of the inputs, which a linear RNN with W = I can fit.
    """
    q, _ = np.linalg.qr(rng.standard_normal((RNN_HIDDEN, RNN_HIDDEN)))
    params = {"W": spectral_radius * q,
              "U": rng.standard_normal((RNN_HIDDEN, RNN_INPUTS)) / np.sqrt(RNN_INPUTS),
              "v": rng.standard_normal(RNN_HIDDEN) / np.sqrt(RNN_HIDDEN)}
    X = rng.standard_normal((RNN_STEPS, RNN_BATCH, RNN_INPUTS))
    y = (X @ rng.standard_normal(RNN_INPUTS)).sum(axis=0) / np.sqrt(RNN_STEPS)
    return params, X, y


def _rnn_run(params, X, y, epochs, lr, clip_norm):
    losses, norms = [], []
    for _ in range(epochs + 1):
        loss, grads, _ = rnn_loss_and_grads(params, X, y)
        norm = _norm(grads)
        losses.append(loss)
        norms.append(norm)
        if not math.isfinite(norm):  # nan from here on: record it and stop doing arithmetic on it
            losses += [math.nan] * (epochs + 1 - len(losses))
            norms += [math.nan] * (epochs + 1 - len(norms))
            break
        coef = min(1.0, clip_norm / (norm + CLIP_EPS)) if clip_norm is not None else 1.0
        params = {k: params[k] - lr * coef * grads[k] for k in params}
    return losses, norms


def _exploding(rng, epochs, lr, clip_norm, spectral_radius):
    params, X, y = make_rnn(rng, spectral_radius)
    _, _, by_step = rnn_loss_and_grads(params, X, y)
    losses, norms = _rnn_run(dict(params), X, y, epochs, lr, None)
    clipped_losses, clipped_norms = _rnn_run(dict(params), X, y, epochs, lr, clip_norm)
    growth = (by_step[-1] / by_step[0]) ** (1 / (len(by_step) - 1)) if by_step[0] > 0 else math.nan
    return {"train_loss": losses, "grad_norm": norms, "clipped_train_loss": clipped_losses,
            "clipped_grad_norm": clipped_norms, "grad_norm_by_step": by_step.tolist(),
            "spectral_radius": float(np.max(np.abs(np.linalg.eigvals(params["W"])))),
            "grad_growth_per_step": float(growth), "clip_norm": clip_norm,
            "mean_predictor_loss": 0.5 * float(np.var(y))}


def _dead_relu(rng, epochs, lr):
    X = rng.uniform(0.0, 1.0, (RELU_SAMPLES, RELU_INPUTS))  # non-negative, like pixels or ReLU outputs
    y = X @ rng.standard_normal(RELU_INPUTS) + 0.5 * np.sin(3 * X[:, 0])
    y = (y - y.mean()) / y.std()  # standardised: predicting the mean gives loss exactly 0.5
    params = {"W": rng.standard_normal((RELU_INPUTS, RELU_HIDDEN)) * np.sqrt(2 / RELU_INPUTS),  # He init
              "b": np.zeros(RELU_HIDDEN), "v": rng.standard_normal(RELU_HIDDEN) / np.sqrt(RELU_HIDDEN),
              "c": np.array(0.0)}
    losses, norms, dead = [], [], []
    for epoch in range(epochs + 1):
        loss, grads, dead_units = relu_loss_and_grads(params, X, y)
        losses.append(loss)
        norms.append(_norm(grads))
        dead.append(float(dead_units.mean()))
        step = lr * (NO_WARMUP_FACTOR if epoch < NO_WARMUP_EPOCHS else 1.0)
        params = {k: params[k] - step * grads[k] for k in params}
    return {"train_loss": losses, "grad_norm": norms, "dead_fraction": dead,
            "mean_predictor_loss": 0.5 * float(np.var(y))}


# ----------------------------------------------------------------------------- summary and diagnosis

def _first_nonfinite(series) -> int | None:
    return next((i for i, v in enumerate(series) if not math.isfinite(v)), None)


def _growth_per_epoch(losses) -> float | None:
    finite = [v for v in losses if math.isfinite(v) and v > 0]
    window = finite[-(GROWTH_WINDOW + 1):]
    if len(window) < 2:
        return None
    return (window[-1] / window[0]) ** (1 / (len(window) - 1))


def _sci(value) -> str:
    if value is None or not math.isfinite(value):
        return str(value)
    return f"{value:.3g}" if 1e-3 <= abs(value) < 1e5 or value == 0 else f"{value:.1e}"


def _pattern_and_diagnosis(case: str, s: dict, _=N_) -> tuple[str, str]:
    """The pattern (an English name; the screen translates it) and the diagnosis sentence, built from the summary
    ``s``: in English for the result's data (``N_`` leaves a message as it is), or with ``_`` = i18n's ``_`` in the
    interface language, from the same numbers."""
    if case in ("diverging-lr", "good-lr"):
        bound = _("lr {lr} {relation} 2/L = {critical} (L = {curvature}, the largest curvature)").format(
            lr=f"{s['lr']:g}", relation=">" if s["lr"] > s["critical_lr"] else "<=", critical=f"{s['critical_lr']:.3g}",
            curvature=f"{s['curvature']:.3g}")
        if s["first_nonfinite_epoch"] is not None or s["loss_ratio"] > DIVERGED_RATIO:
            return N_("diverging"), _("The loss grows by a factor {growth} per epoch, to {ratio} times its start: "
                                      "{bound}, so every step overshoots along the steepest direction. Lower the "
                                      "learning rate below 2/L.").format(
                growth=_sci(s["loss_growth_per_epoch"]), ratio=_sci(s["loss_ratio"]), bound=bound)
        return N_("converging"), _("The loss falls from {first} to {final} (the noise floor): {bound}.").format(
            first=_sci(s["first_train_loss"]), final=_sci(s["final_train_loss"]), bound=bound)
    if case == "low-lr":
        ratio = s["final_train_loss"] / s["optimum_loss"]
        if ratio > SLOW_RATIO:
            return N_("too slow"), _("The loss is still falling steadily after {epochs} epochs, at {final}, {ratio} "
                                     "times the optimum {optimum}: lr {lr} is far below 1/L = {inverse}. Raise the "
                                     "learning rate.").format(
                epochs=s["epochs"], final=_sci(s["final_train_loss"]), ratio=f"{ratio:.3g}",
                optimum=_sci(s["optimum_loss"]), lr=f"{s['lr']:g}", inverse=f"{1 / s['curvature']:.3g}")
        return N_("converging"), _("The loss reaches {final}, within {slow} times the optimum {optimum}.").format(
            final=_sci(s["final_train_loss"]), slow=f"{SLOW_RATIO:g}", optimum=_sci(s["optimum_loss"]))
    if case == "lr-decay":
        spread = s["late_loss_max"] / s["late_loss_min"]
        shape = N_("noisy plateau") if spread > NOISY_SPREAD else N_("settled")
        return shape, _("At a constant lr {lr} the batch-1 SGD loss bounces between {low} and {high} from epoch "
                        "{epoch} on (optimum {optimum}): single-example gradients stay noisy at the optimum. Dividing "
                        "the lr by {factor} at epoch {epoch} settles it at {decayed}.").format(
            lr=f"{s['lr']:g}", low=_sci(s["late_loss_min"]), high=_sci(s["late_loss_max"]), epoch=s["decay_epoch"],
            optimum=_sci(s["optimum_loss"]), factor=f"{DECAY_FACTOR:g}", decayed=_sci(s["decayed_final_loss"]))
    if case == "overfitting":
        if s["val_rise"] > 1.1 and s["best_epoch"] < s["epochs"]:
            return N_("overfitting"), _("Training loss keeps falling (to {final}) while validation loss is lowest at "
                                        "epoch {best} ({minimum}) and then rises {rise} times: the network is fitting "
                                        "the noise of {points} points. Stop early, regularise or get more data.").format(
                final=_sci(s["final_train_loss"]), best=s["best_epoch"], minimum=_sci(s["min_val_loss"]),
                rise=f"{s['val_rise']:.2f}", points=MLP_TRAIN)
        return N_("no overfitting"), _("Validation loss ends within 10% of its minimum ({minimum} at epoch {best}): "
                                       "no sign of overfitting yet.").format(minimum=_sci(s["min_val_loss"]),
                                                                             best=s["best_epoch"])
    if case == "exploding-rnn":
        growth = s["grad_growth_per_step"]
        if s["first_nonfinite_epoch"] is not None:
            end = _("inf or nan at epoch {epoch}").format(epoch=s["first_nonfinite_epoch"])
        else:
            end = _sci(s["final_train_loss"])
        run = _("without clipping the loss goes from {first} to {end}; clipped at {clip} it ends at {clipped}.").format(
            first=_sci(s["first_train_loss"]), end=end, clip=f"{s['clip_norm']:g}", clipped=_sci(s["clipped_final_loss"]))
        total = growth ** (RNN_STEPS - 1)
        if growth > 1.05:
            return N_("exploding gradients"), _("||dL/dh|| grows {growth} times per step back (spectral radius "
                                                "{radius}), {total} times over {steps} steps: exploding gradients; "
                                                "{run}").format(
                growth=f"{growth:.3g}", radius=f"{s['spectral_radius']:.3g}", total=_sci(total), steps=RNN_STEPS,
                run=run)
        if growth < 0.95:
            return N_("vanishing gradients"), _("||dL/dh|| shrinks to {growth} per step back ({total} over {steps} "
                                                "steps): vanishing gradients, which clipping cannot fix; {run}").format(
                growth=f"{growth:.3g}", total=_sci(total), steps=RNN_STEPS, run=run)
        return N_("stable gradients"), _("||dL/dh|| holds ({growth} per step back); {run}").format(
            growth=f"{growth:.3g}", run=run)
    # dead-relu
    if s["final_dead_fraction"] >= 0.5:
        return N_("dead units"), _("{dead} of the ReLU units are dead at the end ({initial} at initialisation): no "
                                   "input activates them, so their gradients are 0 and they never recover. The loss "
                                   "ends at {final}, next to the mean predictor's {mean}.").format(
            dead=f"{s['final_dead_fraction']:.0%}", initial=f"{s['initial_dead_fraction']:.0%}",
            final=_sci(s["final_train_loss"]), mean=_sci(s["mean_predictor_loss"]))
    return N_("healthy units"), _("{dead} of the ReLU units are dead; the loss falls to {final} (mean predictor "
                                  "{mean}).").format(dead=f"{s['final_dead_fraction']:.0%}",
                                                     final=_sci(s["final_train_loss"]),
                                                     mean=_sci(s["mean_predictor_loss"]))


def _diagnosis_shown(result) -> str:
    """The diagnosis in the interface language, rebuilt from the result's numbers (``result.diagnosis``, the data,
    stays English like every key and value of ``--json``)."""
    from dataclasses import asdict

    from mlquiz.i18n import _

    return _pattern_and_diagnosis(result.case, asdict(result), _)[1]


def compute(case: str = "overfitting", epochs: int = 0, lr: float = 0.0, clip_norm: float = 1.0,
            spectral_radius: float = 1.2, seed: int = 0) -> TrainingCurves:
    """Train the case's model full-batch for ``epochs`` epochs and summarise its curves.

    Notes
    -----
    Every series has ``epochs + 1`` entries: index e is measured at the parameters after e updates.
    """
    if case not in CASE_LR:
        raise DemoInputError(msg("--case {case} is unknown; use one of {cases}", case=repr(case), cases=", ".join(CASE_LR)))
    epochs = epochs or CASE_EPOCHS[case]
    lr = lr or CASE_LR[case]
    if case == "lr-decay" and epochs > MAX_SGD_EPOCHS:
        raise DemoInputError(msg("--epochs {epochs} is too much work for {case}; use at most {limit}", epochs=epochs,
                                 case="lr-decay", limit=MAX_SGD_EPOCHS))
    if case == "exploding-rnn" and epochs > MAX_RNN_EPOCHS:
        raise DemoInputError(msg("--epochs {epochs} is too much work for {case}; use at most {limit}", epochs=epochs,
                                 case="exploding-rnn", limit=MAX_RNN_EPOCHS))
    rng = np.random.default_rng(seed)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run overflows to inf and nan: that is the data
        if case in ("diverging-lr", "good-lr", "low-lr"):
            run = _regression(rng, epochs, lr)
        elif case == "lr-decay":
            run = _lr_decay(rng, epochs, lr)
        elif case == "overfitting":
            run = _overfitting(rng, epochs, lr)
        elif case == "exploding-rnn":
            run = _exploding(rng, epochs, lr, clip_norm, spectral_radius)
        else:
            run = _dead_relu(rng, epochs, lr)

    train = [float(v) for v in run["train_loss"]]
    finite = [v for v in train if math.isfinite(v)]
    first_nonfinite = _first_nonfinite(train)
    final = train[-1]
    summary = {
        "case": case, "epochs": epochs, "lr": lr,
        "first_train_loss": train[0], "final_train_loss": final, "min_train_loss": min(finite),
        "loss_ratio": final / train[0] if math.isfinite(final) else math.inf,
        "loss_growth_per_epoch": _growth_per_epoch(train), "first_nonfinite_epoch": first_nonfinite,
        "best_epoch": None, "min_val_loss": None, "final_val_loss": None, "val_rise": None, "train_loss_at_best": None,
        "curvature": run.get("curvature"), "critical_lr": 2 / run["curvature"] if "curvature" in run else None,
        "spectral_radius": run.get("spectral_radius"), "grad_growth_per_step": run.get("grad_growth_per_step"),
        "clip_norm": run.get("clip_norm"),
        "clipped_final_loss": float(run["clipped_train_loss"][-1]) if "clipped_train_loss" in run else None,
        "initial_dead_fraction": run["dead_fraction"][0] if "dead_fraction" in run else None,
        "final_dead_fraction": run["dead_fraction"][-1] if "dead_fraction" in run else None,
        "mean_predictor_loss": run["mean_predictor_loss"],
        **{key: run.get(key) for key in ("optimum_loss", "decay_epoch", "decayed_train_loss", "decayed_final_loss",
                                         "late_loss_max", "late_loss_min", "decayed_late_loss_max")},
    }
    if "val_loss" in run:
        val = run["val_loss"]
        best = int(np.argmin(val))
        summary.update(best_epoch=best, min_val_loss=float(val[best]), final_val_loss=float(val[-1]),
                       val_rise=float(val[-1] / val[best]), train_loss_at_best=train[best])
    pattern, diagnosis = _pattern_and_diagnosis(case, summary)
    return TrainingCurves(
        case=case, epochs=epochs, lr=lr, train_loss=train, val_loss=run.get("val_loss"),
        grad_norm=[float(v) for v in run["grad_norm"]], dead_fraction=run.get("dead_fraction"),
        clipped_train_loss=run.get("clipped_train_loss"), clipped_grad_norm=run.get("clipped_grad_norm"),
        grad_norm_by_step=run.get("grad_norm_by_step"),
        **{k: v for k, v in summary.items() if k not in ("case", "epochs", "lr")},
        pattern=pattern, diagnosis=diagnosis,
    )


# ----------------------------------------------------------------------------- drawing

def _spans_decades(series, decades: float = 2.0) -> bool:
    values = [v for s in series for v in s if math.isfinite(v) and v > 0]
    return bool(values) and math.log10(max(values) / min(values)) > decades


def figure(result: TrainingCurves):
    """The curves to read: losses by epoch (exploding-rnn: ||dL/dh|| by steps back), on a log axis
    when they span more than two decades."""
    from mlquiz.charts import Figure, Series
    from mlquiz.i18n import _, pgettext

    def line(name, values, x=None):
        x = tuple(range(len(values))) if x is None else x
        return Series(name, tuple(float(v) for v in x), tuple(float(v) for v in values))

    if result.case == "exploding-rnn":
        steps = result.grad_norm_by_step
        series = (line(_("||dL/dh|| at initialisation"), steps),)
        return Figure(title=_("Gradient reaching each hidden state (linear RNN, T={steps})").format(steps=len(steps)),
                      x_label=_("steps back from the loss"), y_label="||dL/dh||", series=series,
                      log_y=_spans_decades([steps], 1.0), caption=_diagnosis_shown(result))
    if result.case == "lr-decay":  # neutral names: which run was decayed is for the candidate to read
        # from epoch 1: the loss at initialisation (3.4) would squeeze the bouncing into two rows
        epochs = tuple(range(1, len(result.train_loss)))
        return Figure(title=_("Training loss of two SGD runs (batch {batch})").format(batch=SGD_BATCH),
                      x_label=pgettext("chart axis", "epoch"), y_label=_("train loss"),
                      series=(line(_("run A"), result.train_loss[1:], epochs),
                              line(_("run B"), result.decayed_train_loss[1:], epochs)),
                      log_y=True, caption=_diagnosis_shown(result))
    series = [line(_("train loss"), result.train_loss)]
    if result.val_loss is not None:
        series.append(line(_("validation loss"), result.val_loss))
    if result.dead_fraction is not None:  # in percent, so that it does not sit on the loss of 0.5 at 0.84
        series.append(line(_("dead units (%)"), [100 * v for v in result.dead_fraction]))
    log_y = _spans_decades([s.y for s in series])
    # the title names no case: shown with a question, "overfitting" or "diverging-lr" would be the answer
    lr_text = f"lr {result.lr:g}"
    if result.dead_fraction is not None:  # the first epochs ran at a larger rate: a title of the later lr alone misleads
        lr_text = _("lr {first} for {epochs} epochs, then {lr}").format(
            first=f"{NO_WARMUP_FACTOR * result.lr:g}", epochs=NO_WARMUP_EPOCHS, lr=f"{result.lr:g}")
    return Figure(title=_("Training curves ({lr})").format(lr=lr_text), x_label=pgettext("chart axis", "epoch"),
                  y_label=_("loss") if result.dead_fraction is None else _("loss; dead units (%)"),
                  series=tuple(series), log_y=log_y, caption=_diagnosis_shown(result))


def render(result: TrainingCurves):
    from rich.console import Group

    from mlquiz.charts import draw, key_values
    from mlquiz.i18n import _

    rows = [(_("pattern"), _(result.pattern)), (_("epochs, lr"), f"{result.epochs}, {result.lr:g}"),
            (_("train loss first, final"), f"{_sci(result.first_train_loss)}, {_sci(result.final_train_loss)}")]
    if result.critical_lr is not None:
        rows.append((_("curvature L, 2/L"), f"{result.curvature:.4g}, {result.critical_lr:.4g}"))
        rows.append((_("loss growth per epoch"), _sci(result.loss_growth_per_epoch)))
    if result.best_epoch is not None:
        rows.append((_("best epoch (min validation)"), f"{result.best_epoch} ({_sci(result.min_val_loss)})"))
        rows.append((_("validation final / min"), f"{result.val_rise:.3g}"))
    if result.grad_growth_per_step is not None:
        rows.append((_("growth per step back"), f"{result.grad_growth_per_step:.4g}"))
        rows.append((_("loss nan/inf from epoch"), str(result.first_nonfinite_epoch)))
        rows.append((_("clipped at {norm}: final loss").format(norm=f"{result.clip_norm:g}"), _sci(result.clipped_final_loss)))
    if result.decay_epoch is not None:
        rows.append((_("run A late min, max"), f"{_sci(result.late_loss_min)}, {_sci(result.late_loss_max)}"))
        rows.append((_("run B (lr / {factor} from {epoch}) final").format(factor=f"{DECAY_FACTOR:g}", epoch=result.decay_epoch), _sci(result.decayed_final_loss)))
    if result.optimum_loss is not None:
        rows.append((_("least-squares optimum"), _sci(result.optimum_loss)))
    if result.final_dead_fraction is not None:
        rows.append((_("dead fraction start, end"), f"{result.initial_dead_fraction:.2f}, {result.final_dead_fraction:.2f}"))
        rows.append((_("mean predictor's loss"), _sci(result.mean_predictor_loss)))
    return Group(draw(figure(result)), key_values(f"training-curves: {result.case}", rows))
