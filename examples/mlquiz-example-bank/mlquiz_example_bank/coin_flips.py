"""Claim: the chance of at least one head in n independent flips is 1 - (1 - p)**n, not n * p:
0.875 for three fair flips, 0.5177 for a six in four rolls of a die (p = 1/6), and a simulation
of many trials agrees with the formula to within its standard error.

"At least one" is the complement of "none", and "none" needs every flip to miss, so the
probabilities of missing multiply. Adding n * p instead counts overlapping outcomes twice and
exceeds 1 once n > 1/p.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# mlquiz reads this literal with ast, without importing the module: no names, calls or numpy here.
META = {
    "title": "At least one head in n flips",
    "summary": "1 - (1 - p)**n, exactly and by simulation: why 'at least one' is not n * p",
    "topics": ["probability", "sampling"],
    "params": {
        "flips": {"type": "int", "default": 3, "min": 1, "max": 1000,
                  "help": "how many independent flips (or rolls, or trials) make one experiment"},
        "p_heads": {"type": "float", "default": 0.5, "min": 0.0, "max": 1.0,
                    "help": "the probability of heads (a success) on one flip"},
        "trials": {"type": "int", "default": 100_000, "min": 100, "max": 1_000_000,
                   "help": "how many experiments the simulation runs"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4_294_967_295,
                 "help": "seed of the simulation's random generator"},
    },
    "outputs": {
        "flips": "the number of flips",
        "p_heads": "the probability of heads on one flip",
        "trials": "the number of simulated experiments",
        "no_heads": "(1 - p)**flips, the chance that every flip misses",
        "at_least_one": "1 - (1 - p)**flips, the chance of at least one head",
        "naive_sum": "flips * p, the wrong answer that adds the chances (can exceed 1)",
        "expected_heads": "flips * p, the mean number of heads",
        "simulated": "the share of simulated experiments with at least one head",
        "std_error": "the simulation's standard error, sqrt(q (1 - q) / trials) with q = at_least_one",
        "flips_for_half": "the fewest flips that make at least one head 50% likely (null when p is 0)",
        "heads": "head counts k = 0 .. min(flips, 10) for the two distributions below",
        "pmf_exact": "P(k heads), the binomial probabilities",
        "pmf_simulated": "the share of simulated experiments with k heads",
    },
}

MAX_SHOWN_HEADS = 10  # rows in the distribution chart; more would not fit a terminal screen


@dataclass(frozen=True)
class CoinFlips:
    flips: int
    p_heads: float
    trials: int
    no_heads: float
    at_least_one: float
    naive_sum: float
    expected_heads: float
    simulated: float
    std_error: float
    flips_for_half: int | None
    heads: np.ndarray  # (n_shown,) int
    pmf_exact: np.ndarray  # (n_shown,) float
    pmf_simulated: np.ndarray  # (n_shown,) float


def compute(flips: int = 3, p_heads: float = 0.5, trials: int = 100_000, seed: int = 0) -> CoinFlips:
    """Exact and simulated chances of at least one head in ``flips`` flips.

    Notes
    -----
    :math:`P(\\text{at least one}) = 1 - (1-p)^n`, computed as ``-expm1(n log1p(-p))`` so that a
    tiny ``p`` keeps its digits. The simulation draws ``trials`` binomial head counts.
    """
    no_heads = (1.0 - p_heads) ** flips
    at_least_one = 1.0 if p_heads == 1.0 else -math.expm1(flips * math.log1p(-p_heads))
    rng = np.random.default_rng(seed)
    head_counts = rng.binomial(flips, p_heads, size=trials)  # (trials,)
    simulated = float(np.mean(head_counts > 0))
    heads = np.arange(min(flips, MAX_SHOWN_HEADS) + 1)
    pmf_exact = np.array([math.comb(flips, k) * p_heads**k * (1 - p_heads) ** (flips - k) for k in heads])
    pmf_simulated = np.bincount(head_counts, minlength=flips + 1)[: len(heads)] / trials
    return CoinFlips(
        flips=flips, p_heads=p_heads, trials=trials, no_heads=no_heads, at_least_one=at_least_one,
        naive_sum=flips * p_heads, expected_heads=flips * p_heads, simulated=simulated,
        std_error=math.sqrt(at_least_one * (1 - at_least_one) / trials),
        flips_for_half=_flips_for_half(p_heads), heads=heads, pmf_exact=pmf_exact, pmf_simulated=pmf_simulated,
    )


def _flips_for_half(p_heads: float) -> int | None:
    if p_heads == 0.0:
        return None
    if p_heads >= 0.5:
        return 1
    # 1 - (1-p)**n >= 1/2  <=>  n >= log(1/2) / log(1-p); step back if rounding overshot
    n = math.ceil(math.log(0.5) / math.log1p(-p_heads))
    while n > 1 and -math.expm1((n - 1) * math.log1p(-p_heads)) >= 0.5:
        n -= 1
    return n


def render(result: CoinFlips):
    from rich.console import Group
    from rich.table import Table

    summary = Table(title=f"{result.flips} flips with P(heads) = {result.p_heads:g}", show_header=False)
    summary.add_column(style="cyan")
    summary.add_column(justify="right")
    summary.add_row("P(at least one head) = 1 - (1-p)**n", f"{result.at_least_one:.6g}")
    summary.add_row(f"simulated over {result.trials:,} experiments", f"{result.simulated:.6g}")
    summary.add_row("standard error of the simulation", f"{result.std_error:.2g}")
    summary.add_row("n * p (wrong: adds overlapping chances)", f"{result.naive_sum:.6g}")
    half = "never" if result.flips_for_half is None else str(result.flips_for_half)
    summary.add_row("flips needed for 50%", half)
    chart = Table(title="P(k heads): exact vs simulated", box=None)
    for column in ("k", "exact", "simulated", ""):
        chart.add_column(column, justify="right" if column != "" else "left")
    for k, exact, simulated in zip(result.heads, result.pmf_exact, result.pmf_simulated):
        chart.add_row(str(k), f"{exact:.4f}", f"{simulated:.4f}", "█" * round(40 * float(exact)))
    return Group(summary, chart)
