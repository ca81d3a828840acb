"""Claim: L1 (lasso) sets weights exactly to zero and, given a group of correlated features, keeps
one of them arbitrarily; L2 (ridge) zeroes nothing and shrinks correlated features together. With
two identical standardised features whose true weights add to 2 and lambda = 0.1, the lasso gives
about (1.9, 0) (or (0, 1.9) if the columns are swapped) and ridge about (0.952, 0.952). So L2 (or
the elastic net), not L1, is the regulariser that suits correlated features.

Setup: n samples of standardised features [x1, x2, x3, z1..zk]; x2 has correlation ``correlation``
with x1 (1 = an exact copy), x3 is independent, the z are irrelevant. y = x1 + x2 + 0.5 x3 + noise,
centred; no intercept. Objectives (glmnet's convention; the lasso one is scikit-learn's Lasso):

    lasso:  (1/2n) ||y - X w||^2 + lambda ||w||_1        (coordinate descent, soft thresholding)
    ridge:  (1/2n) ||y - X w||^2 + (lambda/2) ||w||^2    (closed form (X'X/n + lambda I)^-1 X'y/n)

(scikit-learn's Ridge alpha equals n * lambda here.) Without noise and with the other features
exactly uncorrelated in the sample, the lasso's pair total is 2 - 2 lambda / (1 + rho) and ridge
gives each of the pair (1 + rho) / (1 + rho + lambda): 1.9 and 0.952 for rho = 1, lambda = 0.1. At
the defaults (noise 0.5, seed 0) the data give lasso (1.893, 0) and ridge (0.952, 0.952). For rho < 1
the lasso solution is unique; with equal true weights it keeps both of the pair at small lambda, in a
split that noise decides. With exact copies the lasso's minimisers form a segment: any split of the
total between the two with one sign has the same objective. Coordinate descent (the solver of
scikit-learn and glmnet) lands on an end, (1.893, 0) or (0, 1.893) by column order; a proximal
gradient solver started at 0 lands on the equal split. Ridge's objective is strictly convex, so its
one answer is the equal split. On x3 the lasso subtracts about lambda (0.5 -> 0.4) while ridge divides
by about 1 + lambda (0.5 -> 0.4545).

One gradient step shows the same: L1 subtracts eta * lambda * sign(w) from every weight; L2
multiplies w by 1 - eta * lambda (weight decay, w' = (1 - eta lambda) w - eta dE/dw). With the
notes' penalty (lambda / 2n) sum w^2 the factor reads 1 - eta lambda / n; the learning rate eta
multiplies dE/dw as well (the notes drop it). When the lasso's constraint region, a diamond, is
touched at its corner on the w1 axis, the other weight is the one that is zero (here w2 = 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlquiz.errors import DemoInputError
from mlquiz.i18n import msg

META = {
    "title": "L1 against L2 regularisation: sparsity and correlated features",
    "summary": "lasso zeroes weights and keeps one of two copies (1.9, 0); ridge shrinks both (0.952, 0.952)",
    "topics": ["regularization", "fundamentals"],
    "params": {
        "n_samples": {"type": "int", "default": 200, "min": 12, "max": 20000,
                      "help": "training examples (at least 4 per feature)"},
        "n_irrelevant": {"type": "int", "default": 3, "min": 0, "max": 20,
                         "help": "features with true weight 0"},
        "correlation": {"type": "float", "default": 1.0, "min": 0.0, "max": 1.0,
                        "help": "population correlation of x2 with x1 (1: x2 is a copy of x1)"},
        "noise": {"type": "float", "default": 0.5, "min": 0.0, "max": 10.0,
                  "help": "standard deviation of the noise added to y"},
        "lam": {"type": "float", "default": 0.1, "min": 0.001, "max": 10.0,
                "help": "regularisation strength lambda for the weights shown"},
        "eta": {"type": "float", "default": 0.1, "min": 0.0, "max": 1.0,
                "help": "learning rate of the one-step update views"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295, "help": "random seed"},
    },
    "outputs": {
        "feature_names": "x1, x2 (the correlated pair), x3 (independent), z1.. (irrelevant)",
        "true_weights": "weights that generated y",
        "lam": "the lambda of the weights shown",
        "sample_correlation": "correlation of x1 and x2 in the sample",
        "lasso_weights": "lasso weights at lam (coordinate descent)",
        "ridge_weights": "ridge weights at lam (closed form)",
        "lasso_zeros": "weights exactly 0 in the lasso solution",
        "ridge_zeros": "weights exactly 0 in the ridge solution (0: ridge shrinks, never zeroes)",
        "lasso_pair": "lasso weights of x1 and x2",
        "ridge_pair": "ridge weights of x1 and x2",
        "lasso_pair_swapped": "lasso weights of x1 and x2 when the two columns are given in the other order",
        "lasso_pair_total": "sum of the lasso pair weights",
        "ridge_pair_total": "sum of the ridge pair weights",
        "ideal_lasso_pair_total": "noise-free value of the lasso pair total: 2 - 2 lam / (1 + correlation)",
        "ideal_ridge_pair_weight": "noise-free value of each ridge pair weight: (1 + rho) / (1 + rho + lam)",
        "lasso_x3": "lasso weight of the independent feature x3 (true 0.5; about 0.5 - lam)",
        "ridge_x3": "ridge weight of x3 (about 0.5 / (1 + lam))",
        "lasso_max_kkt_violation": "largest violation of the lasso optimality conditions at lam",
        "path_lambdas": "lambdas of the path, from lambda_max (all lasso weights 0) down 1000-fold",
        "lambda_max": "smallest lambda at which every lasso weight is 0: max |X'y| / n",
        "path_lasso_zeros": "exact zeros of the lasso at each path lambda",
        "path_ridge_zeros": "exact zeros of ridge at each path lambda",
        "path_lasso_weights": "lasso weights at each path lambda, shape (lambdas, features)",
        "path_ridge_weights": "ridge weights at each path lambda, shape (lambdas, features)",
        "eta": "learning rate of the step views",
        "step_w": "weights before the step: 2, 1, 0.5, ... (halving, to show shift against scale)",
        "step_data_grad": "dE/dw at step_w, E = (1/2n) ||y - X w||^2",
        "l2_step_gradient_form": "w - eta (dE/dw + lam w): gradient step on the ridge objective",
        "l2_step_decay_form": "(1 - eta lam) w - eta dE/dw: the same step as weight decay",
        "l2_step_missing_eta": "(1 - eta lam) w - dE/dw: the notes' misprint without eta",
        "l2_forms_max_diff": "largest |gradient form - decay form| (0 up to rounding)",
        "l1_step": "w - eta (dE/dw + lam sign(w)): gradient step on the lasso objective",
        "l1_penalty_move": "-eta lam sign(w): the L1 part of the step, the same size for every weight",
        "l2_penalty_move": "-eta lam w: the L2 part of the step, proportional to the weight",
        "decay_factor": "1 - eta lam: what L2 multiplies every weight by per step",
        "l1_shift": "eta lam: what L1 subtracts from |w| per step",
    },
}

TRUE_PAIR_WEIGHT = 1.0  # each of x1, x2: the pair's total is 2, as in the errata's (1.9, 0) example
TRUE_X3_WEIGHT = 0.5  # an independent relevant feature, to show shift (L1) against scale (L2)
STEP_W_FIRST = 2.0  # step views start from w = 2, 1, 0.5, ...: L2's move halves with w, L1's does not
N_LAMBDAS = 10  # path points: enough to see zeros appear, few enough for one screen
PATH_DECADES = 3.0  # path spans lambda_max down to lambda_max / 10**3
CD_TOL = 1e-12  # coordinate descent stops when no weight moves more than this
SAMPLES_PER_FEATURE = 4  # n >= 4d keeps X'X well conditioned enough for the solver to finish in < 1 s
CD_MAX_SWEEPS = 20000  # a safety cap; the support solve below ends the sweeps long before
KKT_SLACK = 1e-12  # relative room for rounding in |gradient| <= lambda (a zero weight's condition)


@dataclass(frozen=True)
class L1VsL2:
    feature_names: tuple
    true_weights: np.ndarray
    lam: float
    sample_correlation: float
    lasso_weights: np.ndarray
    ridge_weights: np.ndarray
    lasso_zeros: int
    ridge_zeros: int
    lasso_pair: np.ndarray
    ridge_pair: np.ndarray
    lasso_pair_swapped: np.ndarray
    lasso_pair_total: float
    ridge_pair_total: float
    ideal_lasso_pair_total: float
    ideal_ridge_pair_weight: float
    lasso_x3: float
    ridge_x3: float
    lasso_max_kkt_violation: float
    path_lambdas: np.ndarray
    lambda_max: float
    path_lasso_zeros: np.ndarray
    path_ridge_zeros: np.ndarray
    path_lasso_weights: np.ndarray
    path_ridge_weights: np.ndarray
    eta: float
    step_w: np.ndarray
    step_data_grad: np.ndarray
    l2_step_gradient_form: np.ndarray
    l2_step_decay_form: np.ndarray
    l2_step_missing_eta: np.ndarray
    l2_forms_max_diff: float
    l1_step: np.ndarray
    l1_penalty_move: np.ndarray
    l2_penalty_move: np.ndarray
    decay_factor: float
    l1_shift: float


def make_data(n_samples: int, n_irrelevant: int, correlation: float, noise: float,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standardised features, centred targets and the true weights.

    Returns
    -------
    X : ndarray, shape (n_samples, 3 + n_irrelevant)
        Columns [x1, x2, x3, z1..zk], each with mean 0 and variance 1 (1/n convention).
    y : ndarray, shape (n_samples,)
        ``X @ w_true + noise * eps``, centred.
    w_true : ndarray, shape (3 + n_irrelevant,)
    """
    latent = rng.standard_normal((n_samples, 3 + n_irrelevant))
    X = latent.copy()
    # x2 = rho x1 + sqrt(1 - rho^2) u has correlation rho with x1; rho = 1 makes an exact copy
    X[:, 1] = correlation * latent[:, 0] + math.sqrt(1.0 - correlation**2) * latent[:, 1]
    X -= X.mean(axis=0)
    X /= X.std(axis=0)
    w_true = np.zeros(X.shape[1])
    w_true[:3] = (TRUE_PAIR_WEIGHT, TRUE_PAIR_WEIGHT, TRUE_X3_WEIGHT)
    y = X @ w_true + noise * rng.standard_normal(n_samples)
    return X, y - y.mean(), w_true


def soft_threshold(value: float, threshold: float) -> float:
    """sign(value) * max(|value| - threshold, 0): the lasso's one-coordinate solution."""
    return math.copysign(max(abs(value) - threshold, 0.0), value)


def lasso_coordinate_descent(G: np.ndarray, c: np.ndarray, lam: float,
                             w0: np.ndarray | None = None) -> np.ndarray:
    """Minimise (1/2n) ||y - X w||^2 + lam ||w||_1 by cyclic coordinate descent.

    Parameters
    ----------
    G : ndarray, shape (d, d), the Gram matrix X'X / n
    c : ndarray, shape (d,), X'y / n
    lam : float, lambda >= 0
    w0 : ndarray, shape (d,), optional warm start (zeros by default)

    Returns
    -------
    w : ndarray, shape (d,), with exact zeros where the soft threshold cuts.

    Notes
    -----
    Up to a constant the objective is :math:`\\tfrac12 w^T G w - c^T w + \\lambda \\|w\\|_1`. Restricted
    to :math:`w_j` it is minimised by :math:`w_j = S(c_j - \\sum_{k \\ne j} G_{jk} w_k, \\lambda) / G_{jj}`,
    :math:`S(a, t) = \\mathrm{sign}(a) \\max(|a| - t, 0)`. Coordinates are visited in column order,
    so of two identical columns the first takes the whole weight and the second stays at 0. After
    every sweep the exact solution on the current support is tried (``_solve_on_support``).
    """
    d = len(c)
    w = np.zeros(d) if w0 is None else np.array(w0, dtype=np.float64)
    for _ in range(CD_MAX_SWEEPS):
        largest_move = 0.0
        for j in range(d):
            if G[j, j] == 0.0:
                w[j] = 0.0  # an all-zero column: any weight gives the same fit, the penalty wants 0
                continue
            partial = c[j] - G[j] @ w + G[j, j] * w[j]  # correlation of x_j with the residual without j
            # |partial| = lam up to rounding is the boundary case (an exact copy of a fitted column): 0
            new = 0.0 if abs(partial) <= lam * (1.0 + KKT_SLACK) else soft_threshold(partial, lam) / G[j, j]
            largest_move = max(largest_move, abs(new - w[j]))
            w[j] = new
        if largest_move <= CD_TOL:
            break
        exact = _solve_on_support(G, c, lam, w)
        if exact is not None:
            return exact
    return w + 0.0  # turns -0.0 into 0.0


def _solve_on_support(G: np.ndarray, c: np.ndarray, lam: float, w: np.ndarray) -> np.ndarray | None:
    """The exact lasso solution near w's support and signs, or None if that support is not yet right.

    On a support S with signs s the optimality conditions read G_SS w_S = c_S - lam s_S. A weight whose
    solved sign disagrees with s is on its way to 0, so it leaves S and S is solved again. The answer
    is returned only if it passes the remaining condition |c_j - G_j w| <= lam off S. Correlated
    features make coordinate descent itself converge slowly (rate ~ rho^2 per sweep).
    """
    support = w != 0.0
    signs = np.sign(w)
    for _ in range(len(w)):
        if not support.any():
            return None
        try:
            w_support = np.linalg.solve(G[np.ix_(support, support)], c[support] - lam * signs[support])
        except np.linalg.LinAlgError:
            return None  # two identical columns both in the support: keep sweeping
        crossed = np.sign(w_support) != signs[support]
        if not crossed.any():
            break
        support[np.flatnonzero(support)[crossed]] = False
    else:
        return None
    candidate = np.zeros_like(w)
    candidate[support] = w_support
    if np.any(np.abs(c - G @ candidate)[~support] > lam * (1.0 + KKT_SLACK)):
        return None
    return candidate


def lasso_kkt_violation(G: np.ndarray, c: np.ndarray, w: np.ndarray, lam: float) -> float:
    """Largest violation of the lasso's subgradient conditions (0 at an exact minimiser).

    Notes
    -----
    With :math:`g = X^T (y - X w) / n = c - G w`: :math:`g_j = \\lambda\\,\\mathrm{sign}(w_j)` where
    :math:`w_j \\ne 0`, and :math:`|g_j| \\le \\lambda` where :math:`w_j = 0`.
    """
    g = c - G @ w
    active = w != 0
    on_support = np.abs(g[active] - lam * np.sign(w[active]))
    off_support = np.maximum(np.abs(g[~active]) - lam, 0.0)
    return float(np.concatenate([on_support, off_support, [0.0]]).max())


def ridge_closed_form(G: np.ndarray, c: np.ndarray, lam: float) -> np.ndarray:
    """Minimiser of (1/2n) ||y - X w||^2 + (lam/2) ||w||^2 given G = X'X/n and c = X'y/n, shape (d,).

    Notes
    -----
    Setting the gradient :math:`-X^T (y - X w)/n + \\lambda w = G w - c + \\lambda w` to zero gives
    :math:`w = (G + \\lambda I)^{-1} c`, unique for :math:`\\lambda > 0`.
    """
    return np.linalg.solve(G + lam * np.eye(len(c)), c)


def compute(n_samples: int = 200, n_irrelevant: int = 3, correlation: float = 1.0, noise: float = 0.5,
            lam: float = 0.1, eta: float = 0.1, seed: int = 0) -> L1VsL2:
    """Lasso and ridge weights at ``lam`` and along a path of lambdas, and one update step of each."""
    d = 3 + n_irrelevant
    if n_samples < SAMPLES_PER_FEATURE * d:
        raise DemoInputError(msg("--n-samples {count} is too few for {features} features; use at least "
                                 "{needed} or lower --n-irrelevant", count=n_samples, features=d,
                                 needed=SAMPLES_PER_FEATURE * d))
    X, y, w_true = make_data(n_samples, n_irrelevant, correlation, noise, np.random.default_rng(seed))
    names = ("x1", "x2", "x3") + tuple(f"z{i + 1}" for i in range(n_irrelevant))

    G = X.T @ X / n_samples  # formed once: every solver below needs only G and c
    c = X.T @ y / n_samples
    lasso = lasso_coordinate_descent(G, c, lam)
    ridge = ridge_closed_form(G, c, lam)
    swap = np.arange(d)
    swap[[0, 1]] = [1, 0]
    lasso_swapped = lasso_coordinate_descent(G[np.ix_(swap, swap)], c[swap], lam)[swap]  # x2 first, map back

    lambda_max = float(np.max(np.abs(c)))
    path = lambda_max * np.logspace(0.0, -PATH_DECADES, N_LAMBDAS)
    path_lasso = np.empty((N_LAMBDAS, d))
    w = np.zeros(d)
    for i, path_lam in enumerate(path):
        w = lasso_coordinate_descent(G, c, path_lam, w0=w)  # warm start from the previous lambda
        path_lasso[i] = w
    path_ridge = np.array([ridge_closed_form(G, c, path_lam) for path_lam in path])

    step_w = STEP_W_FIRST * 0.5 ** np.arange(d)
    grad = G @ step_w - c  # dE/dw = -X'(y - X w)/n
    l2_gradient_form = step_w - eta * (grad + lam * step_w)
    l2_decay_form = (1.0 - eta * lam) * step_w - eta * grad
    rho = correlation
    return L1VsL2(
        feature_names=names,
        true_weights=w_true,
        lam=lam,
        sample_correlation=float(np.mean(X[:, 0] * X[:, 1])),  # columns are standardised
        lasso_weights=lasso,
        ridge_weights=ridge,
        lasso_zeros=int(np.sum(lasso == 0.0)),
        ridge_zeros=int(np.sum(ridge == 0.0)),
        lasso_pair=lasso[:2],
        ridge_pair=ridge[:2],
        lasso_pair_swapped=lasso_swapped[:2],
        lasso_pair_total=float(lasso[0] + lasso[1]),
        ridge_pair_total=float(ridge[0] + ridge[1]),
        ideal_lasso_pair_total=max(0.0, 2.0 * TRUE_PAIR_WEIGHT - 2.0 * lam / (1.0 + rho)),
        ideal_ridge_pair_weight=TRUE_PAIR_WEIGHT * (1.0 + rho) / (1.0 + rho + lam),
        lasso_x3=float(lasso[2]),
        ridge_x3=float(ridge[2]),
        lasso_max_kkt_violation=lasso_kkt_violation(G, c, lasso, lam),
        path_lambdas=path,
        lambda_max=lambda_max,
        path_lasso_zeros=np.sum(path_lasso == 0.0, axis=1),
        path_ridge_zeros=np.sum(path_ridge == 0.0, axis=1),
        path_lasso_weights=path_lasso,
        path_ridge_weights=path_ridge,
        eta=eta,
        step_w=step_w,
        step_data_grad=grad,
        l2_step_gradient_form=l2_gradient_form,
        l2_step_decay_form=l2_decay_form,
        l2_step_missing_eta=(1.0 - eta * lam) * step_w - grad,
        l2_forms_max_diff=float(np.max(np.abs(l2_gradient_form - l2_decay_form))),
        l1_step=step_w - eta * (grad + lam * np.sign(step_w)),
        l1_penalty_move=-eta * lam * np.sign(step_w),
        l2_penalty_move=-eta * lam * step_w,
        decay_factor=1.0 - eta * lam,
        l1_shift=eta * lam,
    )


def render(result: L1VsL2):
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import key_values
    from mlquiz.i18n import _, pgettext

    weights = Table(title=_("weights at lambda = {lam:g} (sample corr(x1, x2) = {corr:.3f})").format(
        lam=result.lam, corr=result.sample_correlation), box=None)
    for column in (_("feature"), pgettext("weight", "true"), _("lasso (L1)"), _("ridge (L2)"), "w", _("L1 move"), _("L2 move")):
        weights.add_column(column, justify="right")
    for i, name in enumerate(result.feature_names):
        weights.add_row(name, f"{result.true_weights[i]:g}", f"{result.lasso_weights[i]:.4f}",
                        f"{result.ridge_weights[i]:.4f}", f"{result.step_w[i]:.4g}",
                        f"{result.l1_penalty_move[i]:+.4g}", f"{result.l2_penalty_move[i]:+.4g}")
    weights.caption = _("penalty part of one step with eta = {eta:g}: L1 moves every weight by {shift:g} "
                        "towards 0, L2 multiplies it by {factor:g}").format(
        eta=result.eta, shift=result.l1_shift, factor=result.decay_factor)

    facts = key_values(_("the correlated pair and one update step"), [
        (_("lasso (x1, x2); columns swapped"), f"({result.lasso_pair[0]:.3f}, {result.lasso_pair[1]:.3f}); "
         f"({result.lasso_pair_swapped[0]:.3f}, {result.lasso_pair_swapped[1]:.3f})"),
        (_("ridge (x1, x2)"), f"({result.ridge_pair[0]:.3f}, {result.ridge_pair[1]:.3f})"),
        (_("noise-free: lasso total, ridge each"), f"{result.ideal_lasso_pair_total:.3f}, "
         f"{result.ideal_ridge_pair_weight:.3f}"),
        (_("exact zeros: lasso, ridge"), f"{result.lasso_zeros}, {result.ridge_zeros}"),
        (_("x1 after an L2 step: decay, gradient form"), f"{result.l2_step_decay_form[0]:.6f}, "
         f"{result.l2_step_gradient_form[0]:.6f}"),
        (_("the same without eta on dE/dw (wrong)"), f"{result.l2_step_missing_eta[0]:.6f}"),
    ])

    path = Table(title=_("regularisation path"), box=None)
    for column in ("lambda", _("L1 zeros"), _("L2 zeros"), _("lasso x1, x2"), _("ridge x1, x2")):
        path.add_column(column, justify="right")
    for i, path_lam in enumerate(result.path_lambdas):
        lw, rw = result.path_lasso_weights[i], result.path_ridge_weights[i]
        path.add_row(f"{path_lam:.4g}", str(result.path_lasso_zeros[i]), str(result.path_ridge_zeros[i]),
                     f"{lw[0]:.3f}, {lw[1]:.3f}", f"{rw[0]:.3f}, {rw[1]:.3f}")
    return Group(weights, facts, path)
