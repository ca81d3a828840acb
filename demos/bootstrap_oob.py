"""Claim: a bootstrap sample (n draws with replacement from n points) misses each point with
probability (1 - 1/n)**n, which rises towards 1/e = 36.79% as n grows: 34.87% for n = 10,
36.60% for n = 100. Those never-drawn points are the out-of-bag set; the in-bag share of distinct
points tends to 1 - 1/e = 63.21%.

The bootstrap draws one training set of n points with replacement; it is not mini-batching (which
draws batches of m points per iteration). A Monte Carlo run over many bootstrap samples agrees with
the exact fraction within a few standard errors; the standard error is exact, from the variance of
the number of out-of-bag points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlquiz.errors import DemoInputError

META = {
    "title": "Bootstrap: the out-of-bag fraction and 1/e",
    "summary": "share of n points never drawn in n draws with replacement: (1-1/n)**n -> 1/e = 36.8%",
    "topics": ["fundamentals"],
    "params": {
        "n": {"type": "int", "default": 100, "min": 1, "max": 1000000,
              "help": "dataset size; one bootstrap sample draws n points with replacement"},
        "trials": {"type": "int", "default": 10000, "min": 1, "max": 1000000,
                   "help": "bootstrap samples simulated (n * trials is capped at 20 million draws)"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295, "help": "random seed"},
    },
    "outputs": {
        "n": "dataset size",
        "trials": "bootstrap samples simulated",
        "exact_oob_fraction": "(1 - 1/n)**n: probability a given point is never drawn (out of bag)",
        "exact_in_bag_fraction": "1 - (1 - 1/n)**n: expected share of distinct points in one sample",
        "simulated_oob_fraction": "out-of-bag share averaged over the simulated bootstrap samples",
        "simulated_in_bag_fraction": "1 - simulated_oob_fraction",
        "standard_error": "exact standard error of simulated_oob_fraction for this n and trials",
        "z_score": "(simulated - exact) / standard_error (null when n = 1: no randomness)",
        "limit": "1/e = 0.367879, the out-of-bag fraction as n grows",
        "in_bag_limit": "1 - 1/e = 0.632121, the in-bag fraction as n grows",
        "gap_to_limit": "1/e - (1 - 1/n)**n (positive: the exact fraction is below its limit)",
        "expected_oob_count": "n * (1 - 1/n)**n: expected number of out-of-bag points",
        "simulated_oob_count_min": "fewest out-of-bag points in any simulated sample",
        "simulated_oob_count_max": "most out-of-bag points in any simulated sample",
        "exact_oob_by_n": "exact out-of-bag fraction by n (keys 1, 2, 3, 5, 10, ..., 1000000)",
    },
}

MAX_DRAWS = 20_000_000  # n * trials: about half a second of sampling; larger runs add no insight
CHUNK_DRAWS = 1_000_000  # draws per vectorised chunk: ~8 MB of int64 indices, bounded memory
TABLE_NS = (1, 2, 3, 5, 10, 20, 50, 100, 1000, 10000, 1000000)  # from n = 1 (0%) to the limit


@dataclass(frozen=True)
class BootstrapOob:
    n: int
    trials: int
    exact_oob_fraction: float
    exact_in_bag_fraction: float
    simulated_oob_fraction: float
    simulated_in_bag_fraction: float
    standard_error: float
    z_score: float | None
    limit: float
    in_bag_limit: float
    gap_to_limit: float
    expected_oob_count: float
    simulated_oob_count_min: int
    simulated_oob_count_max: int
    exact_oob_by_n: dict


def exact_oob_fraction(n: int) -> float:
    """Probability that one of n points is never picked in n draws with replacement.

    Notes
    -----
    Each draw misses the point with probability :math:`1 - 1/n`, independently, so
    :math:`P(\\text{out of bag}) = (1 - 1/n)^n \\to e^{-1}`. Computed as
    ``exp(n * log1p(-1/n))`` so that large n keeps full precision.
    """
    if n == 1:
        return 0.0  # the only point is always drawn
    return math.exp(n * math.log1p(-1.0 / n))


def oob_count_std(n: int) -> float:
    """Standard deviation of the number of out-of-bag points in one bootstrap sample.

    Notes
    -----
    With indicators :math:`I_i` (point i never drawn), :math:`p = (1-1/n)^n` and
    :math:`P(I_i I_j) = (1-2/n)^n` for :math:`i \\ne j`:
    :math:`\\mathrm{Var}(\\sum_i I_i) = n p (1-p) + n (n-1) ((1-2/n)^n - p^2)`.
    """
    p = exact_oob_fraction(n)
    both_missed = (1.0 - 2.0 / n) ** n if n >= 2 else 0.0
    variance = n * p * (1.0 - p) + n * (n - 1) * (both_missed - p * p)
    return math.sqrt(max(variance, 0.0))  # rounding can leave -1e-17 when the variance is 0


def count_out_of_bag(draws: np.ndarray, n: int) -> np.ndarray:
    """Points of ``range(n)`` missing from each row of ``draws`` (shape (m, k)), shape (m,)."""
    m = draws.shape[0]
    drawn = np.zeros((m, n), dtype=bool)
    drawn[np.arange(m)[:, None], draws] = True  # a point drawn twice is marked once
    return n - drawn.sum(axis=1)


def simulate_oob_counts(n: int, trials: int, rng: np.random.Generator) -> np.ndarray:
    """Out-of-bag counts of ``trials`` bootstrap samples of size n, shape (trials,)."""
    counts = np.empty(trials, dtype=np.int64)
    chunk = max(1, CHUNK_DRAWS // n)
    for start in range(0, trials, chunk):
        m = min(chunk, trials - start)
        counts[start:start + m] = count_out_of_bag(rng.integers(0, n, size=(m, n)), n)
    return counts


def compute(n: int = 100, trials: int = 10000, seed: int = 0) -> BootstrapOob:
    """Exact and simulated out-of-bag fractions for bootstrap samples of size n."""
    if n * trials > MAX_DRAWS:
        raise DemoInputError(
            f"n * trials = {n * trials:,} draws is more than {MAX_DRAWS:,}; "
            f"lower --trials to {max(1, MAX_DRAWS // n):,} or fewer, or lower --n"
        )
    counts = simulate_oob_counts(n, trials, np.random.default_rng(seed))
    exact = exact_oob_fraction(n)
    simulated = float(counts.mean() / n)
    standard_error = oob_count_std(n) / n / math.sqrt(trials)
    z_score = (simulated - exact) / standard_error if standard_error > 0 else None
    limit = math.exp(-1.0)
    return BootstrapOob(
        n=n,
        trials=trials,
        exact_oob_fraction=exact,
        exact_in_bag_fraction=1.0 - exact,
        simulated_oob_fraction=simulated,
        simulated_in_bag_fraction=1.0 - simulated,
        standard_error=standard_error,
        z_score=z_score,
        limit=limit,
        in_bag_limit=1.0 - limit,
        gap_to_limit=limit - exact,
        expected_oob_count=n * exact,
        simulated_oob_count_min=int(counts.min()),
        simulated_oob_count_max=int(counts.max()),
        exact_oob_by_n={str(k): exact_oob_fraction(k) for k in TABLE_NS},
    )


def render(result: BootstrapOob):
    from rich.console import Group

    from mlquiz.charts import draw, key_values
    from mlquiz.i18n import _

    summary = key_values(
        _("bootstrap of n = {n}: {trials} simulated samples").format(n=result.n, trials=result.trials),
        [
            (_("exact out-of-bag (1-1/n)**n"), f"{result.exact_oob_fraction:.4%}"),
            (_("simulated out-of-bag"), f"{result.simulated_oob_fraction:.4%} ± {result.standard_error:.2%}"),
            (_("z-score of the simulation"), "-" if result.z_score is None else f"{result.z_score:+.2f}"),
            (_("exact in-bag share"), f"{result.exact_in_bag_fraction:.4%}"),
            (_("limit 1/e (in-bag 1 - 1/e)"), f"{result.limit:.4%} ({result.in_bag_limit:.4%})"),
            (_("below the limit by"), f"{result.gap_to_limit:.4%}"),
            (_("out-of-bag points: expected, range"), _("{expected:.2f}, {low} to {high}").format(
                expected=result.expected_oob_count, low=result.simulated_oob_count_min,
                high=result.simulated_oob_count_max)),
        ],
    )
    return Group(summary, draw(figure(result)))


def figure(result: BootstrapOob):
    from mlquiz.charts import Figure
    from mlquiz.i18n import _

    return Figure.bars(_("Exact out-of-bag fraction by n (rises to 1/e = 36.79%)"),
                       [f"n = {k}" for k in result.exact_oob_by_n], list(result.exact_oob_by_n.values()),
                       y_label=_("out-of-bag fraction"), value_format="{:.4%}")
