"""Claim: features on very different scales make least squares ill-conditioned, and gradient descent
then needs on the order of kappa * ln(1/tol) steps, kappa the condition number of X'X. Standardising
the features (z-score: mean 0, standard deviation 1) brings kappa down to (1 + |r|) / (1 - |r|) for
two features with correlation r, so a handful of steps suffice; min-max scaling to [0, 1] helps a
lot but leaves the features uncentred, so the intercept stays coupled to them. At the defaults (x1
with mean 3 and sd 1, x2 with mean 2000 and sd 500): kappa(X'X) is 1.1e8 raw, 1.13 after z-scoring
and 93 after min-max, and gradient descent needs 383,027,288, 3 and 400 steps. Even at scale 1 the
raw kappa is 418 (uncentred features). Scaling cannot repair correlation: with --correlation 0.9
the z-scored kappa is still 18.8.

Setup: X = [1, x1, x2] (an intercept column, then the features), loss L(w) = (1/2n) ||y - X w||^2,
gradient descent from w = 0 with learning rate 1/L_max, L_max the largest eigenvalue of X'X / n,
stopped at the first step k with L(w_k) - L* <= tol (L(w_0) - L*). That criterion means the same
for every version, because all three fit the same predictions. The error obeys
w_k - w* = (I - X'X / (n L_max))^k (w_0 - w*), so k is found in closed form from the
eigen-decomposition (the test checks it against running the loop) and never exceeds the bound
ln(tol) / (2 ln(1 - 1/kappa)). The z-score here divides by the standard deviation with divisor n
(scikit-learn's StandardScaler); the notes' s uses n - 1, which gives a standard deviation of
sqrt(n / (n - 1)) = 1.0025 at n = 200 instead of 1. Scaling changes neither the least-squares
predictions nor the attainable loss, only the path to them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

META = {
    "title": "Feature scaling: z-score, min-max and gradient-descent steps",
    "summary": "unscaled features: kappa(X'X) ~1e8 and 383 million GD steps; z-scored: kappa 1.13, 3 steps",
    "topics": ["fundamentals"],
    "params": {
        "n_samples": {"type": "int", "default": 200, "min": 10, "max": 100000, "help": "training examples"},
        "scale": {"type": "float", "default": 1000.0, "min": 1.0, "max": 100000.0,
                  "help": "units of x2 relative to x1 (x2 has mean 2 * scale and sd 0.5 * scale)"},
        "correlation": {"type": "float", "default": 0.0, "min": -0.99, "max": 0.99,
                        "help": "population correlation of x1 and x2"},
        "tolerance": {"type": "float", "default": 1e-6, "min": 1e-12, "max": 0.5,
                      "help": "stop when the excess loss L(w) - L* falls below tolerance times its start"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295, "help": "random seed"},
    },
    "outputs": {
        "n_samples": "training examples",
        "scale": "units of x2 relative to x1",
        "tolerance": "relative excess-loss tolerance",
        "raw_means": "means of x1, x2 before scaling",
        "raw_stds": "standard deviations (divisor n) of x1, x2 before scaling",
        "raw_mins": "minima of x1, x2",
        "raw_maxs": "maxima of x1, x2",
        "zscore_means": "means after z-scoring (0 up to rounding)",
        "zscore_stds": "standard deviations (divisor n) after z-scoring (1 up to rounding)",
        "zscore_stds_ddof1": "the same with divisor n - 1: sqrt(n / (n - 1))",
        "minmax_mins": "minima after min-max scaling (exactly 0)",
        "minmax_maxs": "maxima after min-max scaling (exactly 1)",
        "minmax_means": "means after min-max scaling (not 0: min-max does not centre)",
        "sample_correlation": "correlation of x1 and x2 in the sample (scaling leaves it unchanged)",
        "cond_raw": "condition number of X'X, X = [1, x1, x2] unscaled",
        "cond_zscore": "condition number of X'X after z-scoring",
        "cond_minmax": "condition number of X'X after min-max scaling",
        "lr_raw": "learning rate 1/L for the raw features",
        "lr_zscore": "learning rate 1/L after z-scoring",
        "lr_minmax": "learning rate 1/L after min-max scaling",
        "steps_raw": "gradient-descent steps to reach the tolerance, raw features",
        "steps_zscore": "the same after z-scoring",
        "steps_minmax": "the same after min-max scaling",
        "bound_raw": "ceil(ln tol / (2 ln(1 - 1/kappa))): the worst case for this kappa, raw",
        "bound_zscore": "the same bound after z-scoring",
        "bound_minmax": "the same bound after min-max scaling",
        "speedup_zscore": "steps_raw / steps_zscore",
        "speedup_minmax": "steps_raw / steps_minmax",
        "max_prediction_gap": "largest difference between the three versions' least-squares predictions",
    },
}

X1_MEAN, X1_SD = 3.0, 1.0  # like a count of rooms
X2_MEAN, X2_SD = 2.0, 0.5  # times scale: like a floor area, 2000 +- 500 at scale 1000
TRUE_W = (1.0, 0.5, 1.5)  # intercept, x1, x2 / scale: y stays O(1) whatever the scale
NOISE = 0.1  # a little noise so the least-squares fit is not exact


@dataclass(frozen=True)
class FeatureScaling:
    n_samples: int
    scale: float
    tolerance: float
    raw_means: np.ndarray
    raw_stds: np.ndarray
    raw_mins: np.ndarray
    raw_maxs: np.ndarray
    zscore_means: np.ndarray
    zscore_stds: np.ndarray
    zscore_stds_ddof1: np.ndarray
    minmax_mins: np.ndarray
    minmax_maxs: np.ndarray
    minmax_means: np.ndarray
    sample_correlation: float
    cond_raw: float
    cond_zscore: float
    cond_minmax: float
    lr_raw: float
    lr_zscore: float
    lr_minmax: float
    steps_raw: int
    steps_zscore: int
    steps_minmax: int
    bound_raw: int
    bound_zscore: int
    bound_minmax: int
    speedup_zscore: float
    speedup_minmax: float
    max_prediction_gap: float


def make_data(n_samples: int, scale: float, correlation: float, rng: np.random.Generator):
    """Features X, shape (n_samples, 2), and targets y, shape (n_samples,).

    x1 ~ N(3, 1) and x2 ~ scale * N(2, 0.5^2), with correlation ``correlation``.
    """
    z1, noise = rng.standard_normal(n_samples), rng.standard_normal(n_samples)
    z2 = correlation * z1 + math.sqrt(1.0 - correlation**2) * rng.standard_normal(n_samples)
    X = np.column_stack([X1_MEAN + X1_SD * z1, scale * (X2_MEAN + X2_SD * z2)])
    y = TRUE_W[0] + TRUE_W[1] * X[:, 0] + TRUE_W[2] * X[:, 1] / scale + NOISE * noise
    return X, y


def zscore(X: np.ndarray) -> np.ndarray:
    """(x - mean) / std per column, std with divisor n. X shape (n, d) -> (n, d)."""
    return (X - X.mean(axis=0)) / X.std(axis=0)


def minmax(X: np.ndarray) -> np.ndarray:
    """(x - min) / (max - min) per column, into [0, 1]. X shape (n, d) -> (n, d)."""
    low = X.min(axis=0)
    return (X - low) / (X.max(axis=0) - low)


def with_intercept(X: np.ndarray) -> np.ndarray:
    """[1, X], shape (n, d + 1)."""
    return np.column_stack([np.ones(len(X)), X])


def hessian_eigen(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and eigenvectors of H = A'A / n from the SVD of A / sqrt(n).

    The SVD gives the small eigenvalues of an ill-conditioned A'A far more accurately than
    eigvalsh(A'A), whose rounding error is eps * lambda_max.
    """
    _, s, Vt = np.linalg.svd(A / math.sqrt(len(A)), full_matrices=False)
    return (s**2)[::-1], Vt[::-1].T


def steps_to_tolerance(eigenvalues: np.ndarray, error0_coords: np.ndarray, tol: float) -> int:
    """Smallest k with L(w_k) - L* <= tol (L(w_0) - L*) for gradient descent with step 1/L_max.

    Parameters
    ----------
    eigenvalues : ndarray, shape (d,), eigenvalues of H = A'A / n, ascending
    error0_coords : ndarray, shape (d,), w_0 - w* in H's eigenbasis
    tol : float, in (0, 1)

    Notes
    -----
    On a quadratic the error maps as :math:`e_{k+1} = (I - H/L) e_k` and
    :math:`L(w_k) - L^* = \\tfrac12 \\sum_i \\lambda_i (1 - \\lambda_i/L)^{2k} (q_i^T e_0)^2`, which decreases
    in k and is at most :math:`(1 - 1/\\kappa)^{2k}` times its start: hence the bound
    :math:`k \\le \\lceil \\ln \\mathrm{tol} / (2 \\ln(1 - 1/\\kappa)) \\rceil`; a bisection below it finds k.
    """
    shares = eigenvalues * error0_coords**2
    shares = shares / shares.sum()  # each eigendirection's share of the starting excess loss
    with np.errstate(divide="ignore"):  # the top eigenvalue's factor is 0: log 0 = -inf, e^-inf = 0
        log_ratios = np.log1p(-np.minimum(eigenvalues / eigenvalues[-1], 1.0))  # accurate for lambda << L

    def relative_excess(k: int) -> float:
        with np.errstate(under="ignore"):  # tiny powers are honest zeros
            return float(np.sum(shares * np.exp(2 * k * log_ratios)))

    lo, hi = 0, gd_step_bound(eigenvalues[-1] / eigenvalues[0], tol)  # k = 0 fails because tol < 1
    while hi - lo > 1:  # invariant: lo fails, hi meets the tolerance
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if relative_excess(mid) <= tol else (mid, hi)
    return hi


def gd_step_bound(kappa: float, tol: float) -> int:
    """ceil(ln tol / (2 ln(1 - 1/kappa))): steps that suffice from any start when the step is 1/L."""
    if kappa <= 1.0:
        return 1  # H = L I: one step lands on the minimum
    return max(1, math.ceil(math.log(tol) / (2.0 * math.log1p(-1.0 / kappa))))


def _gd_summary(A: np.ndarray, y: np.ndarray, tol: float) -> dict:
    eigenvalues, Q = hessian_eigen(A)
    w_star = np.linalg.lstsq(A, y, rcond=None)[0]
    kappa = float(eigenvalues[-1] / eigenvalues[0])
    return {
        "cond": kappa,
        "lr": float(1.0 / eigenvalues[-1]),
        "steps": steps_to_tolerance(eigenvalues, Q.T @ (0.0 - w_star), tol),  # start at w = 0
        "bound": gd_step_bound(kappa, tol),
        "predictions": A @ w_star,
    }


def compute(n_samples: int = 200, scale: float = 1000.0, correlation: float = 0.0, tolerance: float = 1e-6,
            seed: int = 0) -> FeatureScaling:
    """Scaled feature statistics, condition numbers and gradient-descent step counts."""
    X, y = make_data(n_samples, scale, correlation, np.random.default_rng(seed))
    Xz, Xm = zscore(X), minmax(X)
    raw, zs, mm = (_gd_summary(with_intercept(M), y, tolerance) for M in (X, Xz, Xm))
    gap = max(np.max(np.abs(raw["predictions"] - zs["predictions"])),
              np.max(np.abs(raw["predictions"] - mm["predictions"])))
    return FeatureScaling(
        n_samples=n_samples,
        scale=scale,
        tolerance=tolerance,
        raw_means=X.mean(axis=0),
        raw_stds=X.std(axis=0),
        raw_mins=X.min(axis=0),
        raw_maxs=X.max(axis=0),
        zscore_means=Xz.mean(axis=0),
        zscore_stds=Xz.std(axis=0),
        zscore_stds_ddof1=Xz.std(axis=0, ddof=1),
        minmax_mins=Xm.min(axis=0),
        minmax_maxs=Xm.max(axis=0),
        minmax_means=Xm.mean(axis=0),
        sample_correlation=float(np.mean(Xz[:, 0] * Xz[:, 1])),
        cond_raw=raw["cond"],
        cond_zscore=zs["cond"],
        cond_minmax=mm["cond"],
        lr_raw=raw["lr"],
        lr_zscore=zs["lr"],
        lr_minmax=mm["lr"],
        steps_raw=raw["steps"],
        steps_zscore=zs["steps"],
        steps_minmax=mm["steps"],
        bound_raw=raw["bound"],
        bound_zscore=zs["bound"],
        bound_minmax=mm["bound"],
        speedup_zscore=raw["steps"] / zs["steps"] if zs["steps"] else math.inf,
        speedup_minmax=raw["steps"] / mm["steps"] if mm["steps"] else math.inf,
        max_prediction_gap=float(gap),
    )


def render(result: FeatureScaling):
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import draw
    from mlquiz.i18n import _

    table = Table(title=_("least squares on {design}, n = {n}, tol = {tol:g}").format(
        design="[1, x1, x2]", n=result.n_samples, tol=result.tolerance), box=None)
    for column in (_("features"), _("x1 range"), _("x2 range"), "kappa(X'X)", _("GD steps"), _("bound")):
        table.add_column(column, justify="right")
    rows = (
        (_("raw"), result.raw_mins, result.raw_maxs, result.cond_raw, result.steps_raw, result.bound_raw),
        ("z-score", None, None, result.cond_zscore, result.steps_zscore, result.bound_zscore),
        ("min-max", result.minmax_mins, result.minmax_maxs, result.cond_minmax, result.steps_minmax,
         result.bound_minmax),
    )
    for name, lows, highs, cond, steps, bound in rows:
        if lows is None:
            ranges = [_("mean 0, sd 1")] * 2
        else:
            ranges = [f"{lows[i]:.3g}..{highs[i]:.3g}" for i in range(2)]
        table.add_row(name, *ranges, f"{cond:.3g}", f"{steps:,}", f"{bound:,}")
    table.caption = _("learning rate 1/L; steps until L(w) - L* <= tol (L(w0) - L*); bound "
                      "ceil(ln tol / 2 ln(1 - 1/kappa)); predictions agree to {gap:.1g}").format(
        gap=result.max_prediction_gap)
    return Group(table, draw(figure(result)))


def figure(result: FeatureScaling):
    from mlquiz.charts import Figure
    from mlquiz.i18n import _

    return Figure.bars(_("Gradient-descent steps to converge, by feature scaling"), [_("raw"), "z-score", "min-max"],
                       [result.steps_raw, result.steps_zscore, result.steps_minmax], y_label=_("steps"), log_y=True,
                       value_format="{:,}")
