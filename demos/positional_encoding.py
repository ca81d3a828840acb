"""Claim: the sinusoidal encoding PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] =
cos(pos / 10000^(2i/d)) gives every position a vector of the same norm sqrt(d/2) (each sin/cos pair
has norm 1), with wavelengths from 2 pi up to nearly 10000 * 2 pi. The dot product of two
positions depends only on their offset k, and PE[pos + k] is a fixed rotation of PE[pos] (one 2 x 2
rotation by k * omega_i per pair), so relative positions are a linear function of the encoding. It
has no parameters; a learned table nn.Embedding(max_len, d) would have max_len * d.

Conventions: Vaswani et al. (2017), section 3.5, with sin in the even and cos in the odd
dimensions (interleaved, as in the PyTorch tutorial's ``PositionalEncoding``, which computes the
same frequencies as ``exp(arange(0, d, 2) * (-log(10000) / d))``; the demo reports the largest
difference between the two ways of computing them). Positions count from 0; d must be even.
PyTorch's ``nn.Transformer`` adds no positional encoding itself: the model must add one to its
input embeddings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

META = {
    "title": "Sinusoidal positional encodings",
    "summary": "PE[pos,2i]=sin(pos/10000^(2i/d)), PE[pos,2i+1]=cos: norm sqrt(d/2), offsets as rotations, 0 params",
    "topics": ["attention", "transformer"],
    "params": {
        "d_model": {"type": "int", "default": 16, "min": 2, "max": 4096, "help": "encoding width d (even)"},
        "max_len": {"type": "int", "default": 64, "min": 2, "max": 100000, "help": "positions 0 .. max_len - 1"},
        "base": {"type": "float", "default": 10000.0, "min": 2.0, "max": 1000000000.0,
                 "help": "the 10000 of the formula: wavelengths run from 2 pi to base * 2 pi"},
        "pos": {"type": "int", "default": 10, "min": 0, "max": 99999, "help": "a position to report"},
        "dim": {"type": "int", "default": 0, "min": 0, "max": 4095, "help": "a dimension to report at pos"},
        "offset": {"type": "int", "default": 5, "min": 1, "max": 99999,
                   "help": "offset k for the rotation check PE[p + k] = R_k PE[p]"},
    },
    "outputs": {
        "d_model": "d",
        "max_len": "number of positions",
        "base": "the base of the frequencies (10000)",
        "frequencies": "omega_i = base^(-2i/d) for i = 0 .. d/2 - 1 (angle per position of pair i)",
        "wavelengths": "2 pi / omega_i, in positions",
        "min_wavelength": "2 pi, of the first pair",
        "max_wavelength": "2 pi * base^((d-2)/d), of the last pair",
        "pe": "the encoding matrix, (max_len, d)",
        "pe_at_pos": "PE[pos], a row of d values",
        "value_at_pos_dim": "PE[pos, dim]",
        "row_norm_theory": "sqrt(d/2), the norm of every row",
        "row_norm_max_dev": "largest |norm of a row - sqrt(d/2)|",
        "dot_by_offset": "PE[0] . PE[k] for k = 0 .. min(max_len - 1, 32): sum_i cos(k omega_i)",
        "dot_shift_invariance_error": "largest |PE[p] . PE[p + k] - dot_by_offset[k]| over p and k",
        "rotation_error": "largest |PE[p + offset] - R PE[p]| over p, R the block rotation by offset * omega_i",
        "tutorial_max_abs_diff": "largest |PE - PE computed with exp(-log(base) 2i/d)| (rounding only)",
        "sinusoidal_params": "learnable parameters of the sinusoidal encoding (0)",
        "learned_embedding_params": "parameters of a learned nn.Embedding(max_len, d) instead",
    },
}

MAX_VALUES = 2_000_000  # max_len x d: the matrix goes into --json
MAX_OFFSETS = 32  # entries of dot_by_offset


@dataclass(frozen=True)
class PositionalEncoding:
    d_model: int
    max_len: int
    base: float
    frequencies: np.ndarray
    wavelengths: np.ndarray
    min_wavelength: float
    max_wavelength: float
    pe: np.ndarray
    pe_at_pos: np.ndarray
    value_at_pos_dim: float
    row_norm_theory: float
    row_norm_max_dev: float
    dot_by_offset: np.ndarray
    dot_shift_invariance_error: float
    rotation_error: float
    tutorial_max_abs_diff: float
    sinusoidal_params: int
    learned_embedding_params: int


def sinusoidal_encoding(max_len: int, d_model: int, base: float = 10000.0) -> np.ndarray:
    """PE of shape (max_len, d_model): sin in even dimensions, cos in odd ones.

    Notes
    -----
    :math:`PE_{p, 2i} = \\sin(p\\, \\omega_i)`, :math:`PE_{p, 2i+1} = \\cos(p\\, \\omega_i)`,
    :math:`\\omega_i = \\mathrm{base}^{-2i/d}`.
    """
    omega = base ** (-np.arange(0, d_model, 2) / d_model)  # (d/2,)
    angles = np.arange(max_len)[:, None] * omega[None, :]  # (max_len, d/2)
    pe = np.empty((max_len, d_model))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe


def tutorial_encoding(max_len: int, d_model: int, base: float = 10000.0) -> np.ndarray:
    """The same matrix computed as the PyTorch tutorial does: div_term = exp(2i * (-log(base) / d))."""
    position = np.arange(max_len, dtype=np.float64)[:, None]
    div_term = np.exp(np.arange(0, d_model, 2) * (-math.log(base) / d_model))
    pe = np.zeros((max_len, d_model))
    pe[:, 0::2] = np.sin(position * div_term)
    pe[:, 1::2] = np.cos(position * div_term)
    return pe


def rotate(pe_rows: np.ndarray, angle_per_pair: np.ndarray) -> np.ndarray:
    """Rotate each (sin, cos) pair of ``pe_rows`` (n, d) forward by ``angle_per_pair`` (d/2,).

    sin(a + b) = sin a cos b + cos a sin b and cos(a + b) = cos a cos b - sin a sin b: a linear map
    that depends only on b, i.e. on the offset, not on the position.
    """
    s, c = pe_rows[:, 0::2], pe_rows[:, 1::2]
    cos_b, sin_b = np.cos(angle_per_pair), np.sin(angle_per_pair)
    out = np.empty_like(pe_rows)
    out[:, 0::2] = s * cos_b + c * sin_b
    out[:, 1::2] = c * cos_b - s * sin_b
    return out


def compute(d_model: int = 16, max_len: int = 64, base: float = 10000.0, pos: int = 10, dim: int = 0,
            offset: int = 5) -> PositionalEncoding:
    """The encoding matrix and the checks of its norm, shift and rotation properties."""
    from mlquiz.errors import DemoInputError

    from mlquiz.i18n import _

    if d_model % 2:
        raise DemoInputError(_("--d-model {d_model} is odd; the encoding pairs sin and cos, so use an even width").format(
            d_model=d_model))
    if max_len * d_model > MAX_VALUES:
        raise DemoInputError(_("max_len x d_model = {values:,} values; keep it under {limit:,}").format(
            values=max_len * d_model, limit=MAX_VALUES))
    if pos >= max_len or dim >= d_model:
        raise DemoInputError(_("--pos must be below --max-len ({max_len}) and --dim below --d-model ({d_model})").format(
            max_len=max_len, d_model=d_model))
    if offset >= max_len:
        raise DemoInputError(_("--offset must be below --max-len ({max_len})").format(max_len=max_len))

    pe = sinusoidal_encoding(max_len, d_model, base)
    omega = base ** (-np.arange(0, d_model, 2) / d_model)
    norm_theory = math.sqrt(d_model / 2)
    offsets = np.arange(min(max_len - 1, MAX_OFFSETS) + 1)
    dots = pe[offsets] @ pe[0]
    # every pair (p, p + k) with k in offsets
    shift_error = max(float(np.max(np.abs(np.sum(pe[: max_len - k] * pe[k:], axis=1) - dots[k])))
                      for k in offsets)
    rotated = rotate(pe[: max_len - offset], offset * omega)
    return PositionalEncoding(
        d_model=d_model,
        max_len=max_len,
        base=base,
        frequencies=omega,
        wavelengths=2 * np.pi / omega,
        min_wavelength=float(2 * np.pi / omega[0]),
        max_wavelength=float(2 * np.pi / omega[-1]),
        pe=pe,
        pe_at_pos=pe[pos],
        value_at_pos_dim=float(pe[pos, dim]),
        row_norm_theory=norm_theory,
        row_norm_max_dev=float(np.max(np.abs(np.linalg.norm(pe, axis=1) - norm_theory))),
        dot_by_offset=dots,
        dot_shift_invariance_error=shift_error,
        rotation_error=float(np.max(np.abs(pe[offset:] - rotated))),
        tutorial_max_abs_diff=float(np.max(np.abs(pe - tutorial_encoding(max_len, d_model, base)))),
        sinusoidal_params=0,
        learned_embedding_params=max_len * d_model,
    )


SHOWN_POSITIONS = 6  # rows of the matrix shown
SHOWN_DIMS = 8  # columns of the matrix shown
SHOWN_OFFSETS = 12  # bars of the dot-product chart


def render(result: PositionalEncoding):
    from rich import box
    from rich.console import Group
    from rich.markup import escape
    from rich.table import Table

    from mlquiz.charts import bar_chart, key_values
    from mlquiz.i18n import _

    r = result
    summary = key_values(_("sinusoidal PE, d = {d}, positions 0..{last}, base {base:g}").format(
        d=r.d_model, last=r.max_len - 1, base=r.base), [
        (_("wavelengths (positions)"), f"{r.min_wavelength:.4g} .. {r.max_wavelength:.4g}"),
        (_("norm of every row: sqrt(d/2)"), _("{norm:.4g} (max dev {dev:.1e})").format(
            norm=r.row_norm_theory, dev=r.row_norm_max_dev)),
        (escape(_("{formula} depends on k only").format(formula="PE[p].PE[p+k]")), _("max error {error:.1e}").format(
            error=r.dot_shift_invariance_error)),
        (escape(_("{formula} (rotation)").format(formula="PE[p+k] = R_k PE[p]")), _("max error {error:.1e}").format(error=r.rotation_error)),
        (_("parameters: sinusoidal / learned"), f"{r.sinusoidal_params} / {r.learned_embedding_params:,}"),
    ])
    table = Table(title=escape(_("{formula} (even dims sin, odd dims cos)").format(
        formula="PE[pos, dim]")), box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("pos", style="cyan", justify="right")
    dims = min(r.d_model, SHOWN_DIMS)
    for j in range(dims):
        table.add_column(f"{'sin' if j % 2 == 0 else 'cos'}{j}", justify="right")
    for p in range(min(r.max_len, SHOWN_POSITIONS)):
        table.add_row(str(p), *(f"{v:+.3f}" for v in r.pe[p, :dims]))
    shown = r.dot_by_offset[:SHOWN_OFFSETS]
    chart = bar_chart(escape(_("{formula} by offset k (bar: |value|)").format(formula="PE[0] . PE[k]")), [f"k={k}" for k in range(len(shown))],
                      [float(v) for v in shown], value_format="{:+.3f}")
    return Group(summary, table, chart)
