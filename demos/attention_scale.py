"""Claim: for a query q and a key k whose d_k entries are independent with mean 0 and variance 1,
q.k has mean 0 and variance d_k, so raw scores spread out as sqrt(d_k) and the softmax saturates:
over 32 keys at d_k = 512 the largest weight averages 0.94 and the entropy 0.15 nats (seed 0,
5000 draws), where dividing by sqrt(d_k) (SDPA's default scale) keeps the scores at variance 1, the
largest weight near 0.17 and the entropy near 3.0 nats (log 32 = 3.47) for every d_k. A saturated softmax also has
a vanishing Jacobian, so the scores get almost no gradient.

Monte Carlo, seeded: for each d_k, ``samples`` independent draws of one query q ~ N(0, I) and
``keys`` keys k_j ~ N(0, I) (float64; the scores q.k_j are drawn from their exact distribution given q,
N(0, ||q||^2), rather than through the keys); scores q.k_j unscaled and times 1/sqrt(d_k), as in
``torch.nn.functional.scaled_dot_product_attention`` with ``scale=None`` (1/sqrt(E)) and with
``scale=1``. Each statistic is a mean over the draws with its standard error (standard deviation
over draws / sqrt(samples)); the keys of one draw share its query, so a draw, not a score, is the
independent unit. Reported per d_k: the score variance (theory d_k, and 1 after scaling), the
softmax entropy in nats, the largest weight, and the Frobenius norm of the softmax Jacobian
diag(p) - p p^T (0 when p is one-hot).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

META = {
    "title": "Why attention scores are divided by sqrt(d_k)",
    "summary": "var(q.k) = d_k: unscaled scores saturate the softmax (max weight -> 1, entropy -> 0); Monte Carlo",
    "topics": ["attention", "transformer"],
    "params": {
        "dims": {"type": "floats", "default": "1,4,16,64,256,512,1024", "min": 1.0, "max": 4096.0,
                 "help": "the d_k values to simulate (whole numbers)"},
        "keys": {"type": "int", "default": 32, "min": 2, "max": 1024,
                 "help": "keys per query (S): the softmax runs over this many scores"},
        "samples": {"type": "int", "default": 5000, "min": 10, "max": 100000,
                    "help": "independent draws of a query and its keys per d_k"},
        "seed": {"type": "int", "default": 0, "min": 0, "max": 4294967295, "help": "random seed"},
    },
    "outputs": {
        "dims": "the d_k values",
        "keys": "keys per query S",
        "samples": "independent draws per d_k",
        "uniform_entropy": "log S, the entropy of uniform weights (the largest possible)",
        "uniform_weight": "1/S, every weight when the scores are equal",
        "dot_var_theory": "by d_k: Var(q.k) = d_k for unit-variance entries",
        "dot_var": "by d_k: Monte Carlo mean of (q.k)^2, the score variance without scaling",
        "dot_var_se": "by d_k: its standard error",
        "scaled_dot_var": "by d_k: the variance of q.k / sqrt(d_k) (1)",
        "scaled_dot_var_se": "by d_k: its standard error",
        "entropy_scaled": "by d_k: mean softmax entropy in nats with scale 1/sqrt(d_k)",
        "entropy_scaled_se": "by d_k: its standard error",
        "entropy_unscaled": "by d_k: mean softmax entropy in nats with scale 1",
        "entropy_unscaled_se": "by d_k: its standard error",
        "max_weight_scaled": "by d_k: mean largest softmax weight with scale 1/sqrt(d_k)",
        "max_weight_scaled_se": "by d_k: its standard error",
        "max_weight_unscaled": "by d_k: mean largest softmax weight with scale 1",
        "max_weight_unscaled_se": "by d_k: its standard error",
        "jacobian_norm_scaled": "by d_k: mean Frobenius norm of the softmax Jacobian, scale 1/sqrt(d_k)",
        "jacobian_norm_scaled_se": "by d_k: its standard error",
        "jacobian_norm_unscaled": "by d_k: mean Frobenius norm of the softmax Jacobian, scale 1",
        "jacobian_norm_unscaled_se": "by d_k: its standard error",
    },
}

CHUNK_VALUES = 2_000_000  # key entries drawn at once: 16 MB of float64
MAX_WORK = 300_000_000  # numbers drawn, samples x (sum(d_k) + keys x len(d_k)): a few seconds at most


@dataclass(frozen=True)
class AttentionScale:
    dims: list[int]
    keys: int
    samples: int
    uniform_entropy: float
    uniform_weight: float
    dot_var_theory: dict[int, float]
    dot_var: dict[int, float]
    dot_var_se: dict[int, float]
    scaled_dot_var: dict[int, float]
    scaled_dot_var_se: dict[int, float]
    entropy_scaled: dict[int, float]
    entropy_scaled_se: dict[int, float]
    entropy_unscaled: dict[int, float]
    entropy_unscaled_se: dict[int, float]
    max_weight_scaled: dict[int, float]
    max_weight_scaled_se: dict[int, float]
    max_weight_unscaled: dict[int, float]
    max_weight_unscaled_se: dict[int, float]
    jacobian_norm_scaled: dict[int, float]
    jacobian_norm_scaled_se: dict[int, float]
    jacobian_norm_unscaled: dict[int, float]
    jacobian_norm_unscaled_se: dict[int, float]


def softmax_stats(scores: np.ndarray) -> dict[str, np.ndarray]:
    """Per row of ``scores`` (n, S): softmax entropy (nats), largest weight, Jacobian Frobenius norm.

    Notes
    -----
    The Jacobian of p = softmax(z) is :math:`J = \\mathrm{diag}(p) - p p^\\top`, so
    :math:`\\|J\\|_F^2 = \\sum_i p_i^2 - 2 \\sum_i p_i^3 + (\\sum_i p_i^2)^2`.
    """
    z = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    log_p = z - np.log(e.sum(axis=1, keepdims=True))  # log-softmax: finite even where p underflows
    s2, s3 = (p**2).sum(axis=1), (p**3).sum(axis=1)
    return {
        "entropy": -(p * log_p).sum(axis=1),
        "max_weight": p.max(axis=1),
        "jacobian_norm": np.sqrt(np.maximum(s2 - 2 * s3 + s2**2, 0.0)),
    }


def _mean_se(values: np.ndarray) -> tuple[float, float]:
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values)))


def simulate(d: int, keys: int, samples: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per draw: mean squared raw score, mean squared scaled score, and the softmax statistics."""
    chunk = max(1, CHUNK_VALUES // (keys + d))
    parts: dict[str, list[np.ndarray]] = {}
    for start in range(0, samples, chunk):
        n = min(chunk, samples - start)
        q = rng.standard_normal((n, d))
        # given q, the scores q.k_j of independent keys k_j ~ N(0, I) are independent N(0, ||q||^2): drawing
        # them as ||q|| z_j is the same distribution as drawing the keys, at 1/d_k of the cost
        dots = np.linalg.norm(q, axis=1, keepdims=True) * rng.standard_normal((n, keys))  # (n, S): q . k_j
        per_draw = {"dot_sq": (dots**2).mean(axis=1), "scaled_sq": (dots**2 / d).mean(axis=1)}
        for tag, scale in (("scaled", 1 / math.sqrt(d)), ("unscaled", 1.0)):
            for name, values in softmax_stats(dots * scale).items():
                per_draw[f"{name}_{tag}"] = values
        for name, values in per_draw.items():
            parts.setdefault(name, []).append(values)
    return {name: np.concatenate(values) for name, values in parts.items()}


def compute(dims=(1, 4, 16, 64, 256, 512, 1024), keys: int = 32, samples: int = 5000,
            seed: int = 0) -> AttentionScale:
    """Simulate softmax(q.K / sqrt(d_k)) and softmax(q.K) for each d_k."""
    from mlquiz.errors import DemoInputError

    if any(not float(d).is_integer() for d in dims):
        raise DemoInputError("--dims must be whole numbers, e.g. 1,16,256")
    dims = sorted({int(d) for d in dims})
    work = samples * (sum(dims) + keys * len(dims))  # numbers drawn: each query, and each draw's scores
    if work > MAX_WORK:
        raise DemoInputError(f"samples x (sum(dims) + keys x len(dims)) = {work:,} is too much work; "
                             f"keep it under {MAX_WORK:,} (fewer --samples, --keys or --dims)")
    rng = np.random.default_rng(seed)
    out: dict[str, dict[int, float]] = {}
    for d in dims:
        draws = simulate(d, keys, samples, rng)
        for name, source in (("dot_var", "dot_sq"), ("scaled_dot_var", "scaled_sq"),
                             ("entropy_scaled", "entropy_scaled"), ("entropy_unscaled", "entropy_unscaled"),
                             ("max_weight_scaled", "max_weight_scaled"),
                             ("max_weight_unscaled", "max_weight_unscaled"),
                             ("jacobian_norm_scaled", "jacobian_norm_scaled"),
                             ("jacobian_norm_unscaled", "jacobian_norm_unscaled")):
            mean, se = _mean_se(draws[source])
            out.setdefault(name, {})[d] = mean
            out.setdefault(name + "_se", {})[d] = se
    return AttentionScale(
        dims=dims,
        keys=keys,
        samples=samples,
        uniform_entropy=math.log(keys),
        uniform_weight=1.0 / keys,
        dot_var_theory={d: float(d) for d in dims},
        **out,
    )


def render(result: AttentionScale):
    from rich import box
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import bar_chart
    from mlquiz.i18n import _

    r = result
    table = Table(title=_("softmax over S={keys} keys, {samples:,} draws per d_k (means)").format(
                      keys=r.keys, samples=r.samples),
                  caption=_("uniform weights: entropy log S = {entropy:.3f}, weight 1/S = {weight:.3f}").format(
                      entropy=r.uniform_entropy, weight=r.uniform_weight), box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("d_k", "Var(q.k)", _("entropy /sqrt"), _("entropy raw"), _("max w /sqrt"), _("max w raw")):
        table.add_column(column, justify="right", no_wrap=True)
    for d in r.dims:
        table.add_row(str(d), f"{r.dot_var[d]:.4g}",
                      f"{r.entropy_scaled[d]:.3f}", f"{r.entropy_unscaled[d]:.3f}",
                      f"{r.max_weight_scaled[d]:.3f}", f"{r.max_weight_unscaled[d]:.3f}")
    labels = [f"d_k={d}" for d in r.dims]
    raw = bar_chart(_("entropy without the scale (nats): the softmax saturates"), labels,
                    [r.entropy_unscaled[d] for d in r.dims], value_format="{:.3f}")
    jac = bar_chart(_("softmax Jacobian norm without the scale: gradients vanish"), labels,
                    [r.jacobian_norm_unscaled[d] for d in r.dims], value_format="{:.3f}")
    return Group(table, raw, jac)
