"""Claim: under squared loss the expected test error of a fitted model splits exactly into
bias^2 + variance + noise (not "bias + variance + noise"). A simple model has high bias and low
variance (it underfits); a flexible one has low bias and high variance (it overfits).

Setup: f(x) = sin(2 pi x) on [0, 1]; each of ``n_datasets`` training sets has ``n_train`` points,
evenly spaced (design "fixed": only the noise is resampled) or drawn from U(0, 1) (design "random"),
with y = f(x) + N(0, noise^2). A least-squares polynomial of each degree is fitted to every set and
evaluated on a grid of ``n_test`` points, where each set also gets fresh noisy targets. With
fhat_D(x) the fit on set D and fbar(x) = E_D fhat_D(x):

    bias^2   = mean_x (fbar(x) - f(x))^2
    variance = mean_x E_D (fhat_D(x) - fbar(x))^2
    noise    = E (y - f(x))^2                       (sigma^2 = 0.09 at noise 0.3)
    expected test error = E_D E_y (y - fhat_D(x))^2 = bias^2 + variance + noise

The last line is measured directly and compared with the sum; they differ only by the Monte Carlo
cross term 2 E[(y - f)(f - fhat)], whose expectation is 0. For the fixed design the expectations
have closed forms (least squares is linear in y: fhat = H y), reported beside the estimates.

At the defaults (degrees 1, 3, 9; 30 points; noise 0.3) the exact bias^2 is 0.196, 0.0044 and
2e-11 and the variance 0.0060, 0.0121 and 0.0334: degree 1 underfits, degree 3 has the best test
error (0.106), degree 9 fits the training points best (0.059, below the noise 0.09) but pays in
variance. With the random design, fits of high degree extrapolate wildly wherever a training set
leaves a gap near 0 or 1, so their variance is large and heavy-tailed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import legendre

from mlquiz.errors import DemoInputError

META = {
    "title": "Bias-variance decomposition of polynomial fits",
    "summary": "expected test error = bias^2 + variance + noise, for polynomial fits of degree 1, 3, 9",
    "topics": ["fundamentals", "regularization"],
    "params": {
        "degrees": {"type": "choices", "default": "1,3,9",
                    "choices": ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"],
                    "help": "polynomial degrees to fit, comma-separated"},
        "n_train": {"type": "int", "default": 30, "min": 2, "max": 1000,
                    "help": "training points per data set (at least the largest degree + 1)"},
        "n_datasets": {"type": "int", "default": 500, "min": 10, "max": 20000,
                       "help": "resampled training sets"},
        "design": {"type": "choice", "default": "fixed", "choices": ["fixed", "random"],
                   "help": "training x evenly spaced in every set (fixed) or drawn from U(0, 1) (random)"},
        "noise": {"type": "float", "default": 0.3, "min": 0.0, "max": 5.0,
                  "help": "standard deviation of the noise on y"},
        "n_test": {"type": "int", "default": 100, "min": 1, "max": 1000,
                   "help": "test points, evenly spaced in [0, 1]"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295, "help": "random seed"},
    },
    "outputs": {
        "degrees": "fitted polynomial degrees",
        "design": "fixed or random training x",
        "noise_variance": "sigma^2, the true noise variance",
        "noise": "noise term estimated from the fresh test targets: mean (y - f(x))^2",
        "bias_squared": "bias^2 per degree (keys are degrees; unbiased estimate, can dip below 0 by noise)",
        "variance": "variance per degree (unbiased estimate, n_datasets - 1 in the denominator)",
        "decomposition_sum": "bias^2 + variance + noise per degree",
        "expected_test_error": "test error measured directly: mean (y - fhat(x))^2 over sets and test points",
        "test_error_standard_error": "Monte Carlo standard error of expected_test_error (over data sets)",
        "decomposition_gap": "expected_test_error - decomposition_sum (0 up to Monte Carlo error)",
        "gap_standard_error": "Monte Carlo standard error of that gap",
        "bias_squared_exact": "fixed design: bias^2 in closed form, mean_x (H f - f)^2 (null for random)",
        "variance_exact": "fixed design: variance in closed form, sigma^2 mean_x ||H_x||^2 (null for random)",
        "expected_test_error_exact": "fixed design: bias^2 + variance + sigma^2, all exact (null for random)",
        "train_error": "mean squared error on the training points per degree",
        "best_degree": "degree with the smallest expected test error",
    },
}

MAX_TRAIN_VALUES = 1_000_000  # n_datasets * n_train: batched random-design fits of 13 degrees in a few s
MAX_TEST_VALUES = 1_000_000  # n_datasets * n_test predictions held per degree


@dataclass(frozen=True)
class BiasVariance:
    degrees: tuple
    design: str
    noise_variance: float
    noise: float
    bias_squared: dict
    variance: dict
    decomposition_sum: dict
    expected_test_error: dict
    test_error_standard_error: dict
    decomposition_gap: dict
    gap_standard_error: dict
    bias_squared_exact: dict | None
    variance_exact: dict | None
    expected_test_error_exact: dict | None
    train_error: dict
    best_degree: int


def true_function(x: np.ndarray) -> np.ndarray:
    """f(x) = sin(2 pi x), shape of x."""
    return np.sin(2.0 * np.pi * x)


def grid(n: int) -> np.ndarray:
    """Midpoints of n equal cells of [0, 1], shape (n,)."""
    return (np.arange(n) + 0.5) / n


def make_data(n_datasets: int, n_train: int, n_test: int, noise: float, design: str,
              rng: np.random.Generator):
    """Training sets, the test grid and fresh noisy test targets.

    Returns
    -------
    x_train : ndarray, shape (n_train,) for the fixed design (shared), (n_datasets, n_train) for random
    y_train : ndarray, shape (n_datasets, n_train)
    x_test : ndarray, shape (n_test,), midpoints of n_test equal cells of [0, 1]
    y_test : ndarray, shape (n_datasets, n_test), f(x_test) plus fresh noise for each data set
    """
    x_train = grid(n_train) if design == "fixed" else rng.uniform(0.0, 1.0, size=(n_datasets, n_train))
    y_train = true_function(x_train) + noise * rng.standard_normal((n_datasets, n_train))
    x_test = grid(n_test)
    y_test = true_function(x_test) + noise * rng.standard_normal((n_datasets, n_test))
    return x_train, y_train, x_test, y_test


def fit_predict(x_train: np.ndarray, y_train: np.ndarray, x_eval: np.ndarray,
                degree: int) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares polynomial of ``degree`` fitted to each data set.

    Parameters
    ----------
    x_train : ndarray, shape (n_train,) shared by all data sets, or (n_datasets, n_train)
    y_train : ndarray, shape (n_datasets, n_train)
    x_eval : ndarray, shape (n_eval,)
    degree : int

    Returns
    -------
    train_pred : ndarray, shape (n_datasets, n_train)
    eval_pred : ndarray, shape (n_datasets, n_eval)

    Notes
    -----
    Legendre polynomials of t = 2x - 1 span the same space as 1, x, ..., x^degree but keep the
    design matrix well conditioned. Coefficients minimise :math:`\\|V_D c - y_D\\|^2`: for a shared x,
    :math:`c_D = V^+ y_D` with one pseudo-inverse; for x drawn per set, the normal equations
    :math:`V_D^T V_D c_D = V_D^T y_D` batched over sets (Legendre columns are near-orthogonal for
    uniform x, and a batched SVD would be ten times slower).
    """
    V = legendre.legvander(2.0 * x_train - 1.0, degree)  # ([n_datasets,] n_train, degree + 1)
    if V.ndim == 2:
        coef = np.linalg.pinv(V) @ y_train[..., None]  # (n_datasets, degree + 1, 1)
    else:
        Vt = np.swapaxes(V, -1, -2)
        coef = np.linalg.solve(Vt @ V, Vt @ y_train[..., None])
    V_eval = legendre.legvander(2.0 * x_eval - 1.0, degree)  # (n_eval, degree + 1)
    return (V @ coef)[..., 0], (V_eval @ coef)[..., 0]


def exact_bias_variance(x_train: np.ndarray, x_eval: np.ndarray, degree: int,
                        noise: float) -> tuple[float, float]:
    """bias^2 and variance of the least-squares polynomial for a fixed design, in closed form.

    Parameters
    ----------
    x_train : ndarray, shape (n_train,)
    x_eval : ndarray, shape (n_eval,)

    Notes
    -----
    The fit is linear in y: :math:`\\hat f(x) = H_x y` with :math:`H = V_{eval} V^+`, shape (n_eval, n_train).
    So :math:`E\\hat f = H f(x_{train})` and :math:`\\mathrm{Var}\\,\\hat f(x) = \\sigma^2 \\|H_x\\|^2`;
    both are averaged over the evaluation points.
    """
    V = legendre.legvander(2.0 * x_train - 1.0, degree)
    H = legendre.legvander(2.0 * x_eval - 1.0, degree) @ np.linalg.pinv(V)
    bias_squared = float(np.mean((H @ true_function(x_train) - true_function(x_eval)) ** 2))
    variance = float(noise**2 * np.mean(np.sum(H**2, axis=1)))
    return bias_squared, variance


def decompose(pred: np.ndarray, f_test: np.ndarray, y_test: np.ndarray) -> dict:
    """bias^2, variance, the measured test error and the gap's standard error for one model.

    Parameters
    ----------
    pred : ndarray, shape (n_datasets, n_test), predictions of each data set's fit
    f_test : ndarray, shape (n_test,), the true function at the test points
    y_test : ndarray, shape (n_datasets, n_test), fresh noisy targets

    Notes
    -----
    Per test point, with D data sets, sample mean :math:`\\bar f` and :math:`s^2` the variance of
    :math:`\\hat f` with divisor D: :math:`\\frac1D \\sum_D (\\hat f - f)^2 = (\\bar f - f)^2 + s^2` exactly.
    :math:`(\\bar f - f)^2` overstates the bias^2 by :math:`\\mathrm{Var}/D` on average, so we report
    the unbiased :math:`(\\bar f - f)^2 - s^2/(D-1)` and :math:`s^2 D/(D-1)`, whose sum is the same.
    The noise adds :math:`E(y - f)^2` and a cross term of mean 0. Data sets are independent, so
    standard errors use the spread of per-set averages.
    """
    n_datasets = pred.shape[0]
    mean_pred = pred.mean(axis=0)
    spread = pred.var(axis=0)  # divisor D
    per_set_error = np.mean((y_test - pred) ** 2, axis=1)  # (n_datasets,)
    per_set_cross = np.mean(2.0 * (y_test - f_test) * (f_test - pred), axis=1)
    return {
        "bias_squared": float(np.mean((mean_pred - f_test) ** 2 - spread / (n_datasets - 1))),
        "variance": float(np.mean(spread) * n_datasets / (n_datasets - 1)),
        "test_error": float(per_set_error.mean()),
        "test_error_se": float(per_set_error.std(ddof=1) / math.sqrt(n_datasets)),
        "gap_se": float(per_set_cross.std(ddof=1) / math.sqrt(n_datasets)),
    }


def compute(degrees: tuple[str, ...] = ("1", "3", "9"), n_train: int = 30, n_datasets: int = 500,
            design: str = "fixed", noise: float = 0.3, n_test: int = 100, seed: int = 0) -> BiasVariance:
    """Bias^2, variance and noise of polynomial fits, and the directly measured expected test error."""
    degree_list = sorted(int(d) for d in degrees)
    if n_train < degree_list[-1] + 1:
        top = degree_list[-1]
        raise DemoInputError(f"degree {top} needs at least {top + 1} training points; "
                             "raise --n-train or drop that degree")
    for name, size, cap in (("n-train", n_train, MAX_TRAIN_VALUES), ("n-test", n_test, MAX_TEST_VALUES)):
        if n_datasets * size > cap:
            raise DemoInputError(f"--n-datasets {n_datasets} x --{name} {size} is more than {cap:,} values; "
                                 f"lower --n-datasets to {cap // size} or fewer")
    x_train, y_train, x_test, y_test = make_data(n_datasets, n_train, n_test, noise, design,
                                                 np.random.default_rng(seed))
    f_test = true_function(x_test)
    noise_estimate = float(np.mean((y_test - f_test) ** 2))

    results, train_errors, exact = {}, {}, {}
    for degree in degree_list:
        train_pred, test_pred = fit_predict(x_train, y_train, x_test, degree)
        results[degree] = decompose(test_pred, f_test, y_test)
        train_errors[str(degree)] = float(np.mean((y_train - train_pred) ** 2))
        if design == "fixed":
            exact[str(degree)] = exact_bias_variance(x_train, x_test, degree, noise)

    def per_degree(key):
        return {str(d): r[key] for d, r in results.items()}

    sums = {str(d): r["bias_squared"] + r["variance"] + noise_estimate for d, r in results.items()}
    return BiasVariance(
        degrees=tuple(degree_list),
        design=design,
        noise_variance=noise**2,
        noise=noise_estimate,
        bias_squared=per_degree("bias_squared"),
        variance=per_degree("variance"),
        decomposition_sum=sums,
        expected_test_error=per_degree("test_error"),
        test_error_standard_error=per_degree("test_error_se"),
        decomposition_gap={str(d): r["test_error"] - sums[str(d)] for d, r in results.items()},
        gap_standard_error=per_degree("gap_se"),
        bias_squared_exact={k: b for k, (b, v) in exact.items()} if exact else None,
        variance_exact={k: v for k, (b, v) in exact.items()} if exact else None,
        expected_test_error_exact={k: b + v + noise**2 for k, (b, v) in exact.items()} if exact else None,
        train_error=train_errors,
        best_degree=min(results, key=lambda d: results[d]["test_error"]),
    )


def render(result: BiasVariance):
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import draw
    from mlquiz.i18n import _

    table = Table(title=_("sin(2 pi x) + noise, {design} x (sigma^2 = {variance:.4g}, estimated {noise:.4g})").format(
        design={"fixed": _("fixed"), "random": _("random")}.get(result.design, result.design),
         variance=result.noise_variance, noise=result.noise), box=None)
    for column in (_("degree"), _("train err"), "bias^2", _("variance"), _("sum + noise"), _("test error")):
        table.add_column(column, justify="right")
    for d in result.degrees:
        k = str(d)
        table.add_row(k, f"{result.train_error[k]:.4g}", f"{result.bias_squared[k]:.4g}",
                      f"{result.variance[k]:.4g}", f"{result.decomposition_sum[k]:.4g}",
                      f"{result.expected_test_error[k]:.4g} ± {result.test_error_standard_error[k]:.2g}")
    table.caption = _("Monte Carlo estimates (bias^2 unbiased, so it can dip below 0); sum + noise = "
                      "bias^2 + variance + noise; best degree {degree}").format(degree=result.best_degree)
    return Group(table, draw(figure(result)))


def figure(result: BiasVariance):
    """Bias^2 falls and variance rises with the polynomial degree (exact values where the design allows)."""
    from mlquiz.charts import Figure, Series
    from mlquiz.i18n import _, pgettext

    exact = result.bias_squared_exact is not None
    bias = result.bias_squared_exact if exact else result.bias_squared
    variance = result.variance_exact if exact else result.variance
    degrees = tuple(result.degrees)
    return Figure(_("Bias^2 and variance by polynomial degree ({how})").format(how=pgettext("value", "exact") if exact
                                                                              else pgettext("value", "estimated")),
                  _("polynomial degree"), pgettext("chart axis", "error"), (
                      Series("bias^2", degrees, tuple(float(bias[str(d)]) for d in degrees)),
                      Series(_("variance"), degrees, tuple(float(variance[str(d)]) for d in degrees)),
                      Series(_("test error"), degrees, tuple(float(result.expected_test_error[str(d)]) for d in degrees)),
                  ), log_y=True, caption=_("Bias^2 falls and variance rises with the degree; the test error is "
                                           "lowest at degree {degree}.").format(degree=result.best_degree))
