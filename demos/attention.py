"""Claim: scaled dot-product attention is softmax(Q K^T * scale + mask) V with scale = 1/sqrt(E) by
default: each of the L queries gets a probability distribution over the S keys (rows of the L x S
weight matrix sum to 1) and returns that mixture of the value rows, shape (L, Ev). A boolean mask
removes keys before the softmax; a causal mask lets query i see only keys j <= i, so the weight on
every future key is exactly 0. With the default inputs (E = 4, scale 0.5) query 0 puts 0.506 on key 0.

Conventions are those of ``torch.nn.functional.scaled_dot_product_attention(query, key, value,
attn_mask=None, dropout_p=0.0, is_causal=False, scale=None)``, unbatched (one head, shapes (L, E),
(S, E), (S, Ev)):

- ``scale=None`` means 1/sqrt(E), E = query.size(-1);
- a boolean ``attn_mask`` of shape (L, S) is True where the query MAY attend (False entries become
  -inf before the softmax); a float mask would be added to the scores instead;
- ``is_causal=True`` applies ``torch.ones(L, S).tril(diagonal=0)`` (aligned to the top-left corner
  when L != S) and may not be combined with ``attn_mask``;
- no dropout (dropout_p = 0).

``torch.nn.MultiheadAttention`` and ``nn.Transformer`` use the OPPOSITE boolean convention: there a
True entry of ``attn_mask`` (or ``key_padding_mask``) is a position that is NOT allowed to attend,
and ``nn.Transformer.generate_square_subsequent_mask(T)`` is a float mask with -inf above the
diagonal and 0 elsewhere. The demo reports both forms of its mask. A query row whose keys are all
masked is refused: PyTorch's backends disagree there (NaN or 0 depending on version and kernel).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

META = {
    "title": "Scaled dot-product attention with masks",
    "summary": "softmax(QK^T/sqrt(E) + mask) V as in PyTorch's SDPA: scores, weights (rows sum to 1), causal masks",
    "topics": ["attention", "transformer"],
    "params": {
        "query": {"type": "matrix", "default": "1,0,1,0;0,1,0,1;1,1,1,1", "min": -100.0, "max": 100.0,
                  "help": "queries Q, one row per query position: shape (L, E)"},
        "key": {"type": "matrix", "default": "1,0,1,0;0,1,0,1;1,1,0,0", "min": -100.0, "max": 100.0,
                "help": "keys K, one row per key position: shape (S, E), same E as the queries"},
        "value": {"type": "matrix", "default": "1,0;0,1;1,1", "min": -100.0, "max": 100.0,
                  "help": "values V, one row per key position: shape (S, Ev)"},
        "attn_mask": {"type": "text", "default": "none",
                      "help": "none, or an L x S boolean mask as rows of 0/1 ('1,0;1,1'): 1 = True = may "
                              "attend (SDPA's convention; nn.MultiheadAttention's True means masked)"},
        "is_causal": {"type": "flag", "default": False,
                      "help": "SDPA is_causal=True: query i attends keys j <= i (tril, top-left aligned)"},
        "scale": {"type": "float", "default": 0.0, "min": 0.0, "max": 1000.0,
                  "help": "SDPA scale; 0 means scale=None, i.e. 1/sqrt(E)"},
    },
    "outputs": {
        "shapes": "shapes of query (L, E), key (S, E), value (S, Ev), attn_weight (L, S) and output (L, Ev)",
        "scale": "the factor the scores are multiplied by (1/sqrt(E) unless given)",
        "default_scale": "1/sqrt(E), SDPA's scale when scale=None",
        "scores": "Q K^T * scale before masking, (L, S)",
        "allowed": "the boolean mask used, SDPA convention: True = the query may attend this key, (L, S)",
        "mha_bool_mask": "the same mask in nn.MultiheadAttention's convention: True = NOT allowed",
        "float_mask": "the additive float mask: 0 where allowed, -inf where masked",
        "masked_scores": "scores + float_mask (-inf where masked)",
        "attn_weight": "softmax over keys of masked_scores, (L, S)",
        "row_sums": "sum of each attn_weight row (1)",
        "output": "attn_weight @ V, (L, Ev)",
        "masked_weight_max": "largest weight on a masked key (0)",
        "future_weight_total": "sum of the weights on keys j > i (0 under a causal mask)",
        "unscaled_attn_weight": "the same softmax with scale 1 (no 1/sqrt(E)), for comparison",
        "entropy": "entropy of each attn_weight row, in nats (log S when uniform)",
        "unscaled_entropy": "entropy of each unscaled_attn_weight row, in nats",
    },
}

MAX_SIZE = 16  # L, S, E and Ev: a worked example a person can check by hand


@dataclass(frozen=True)
class Attention:
    shapes: dict[str, tuple[int, int]]
    scale: float
    default_scale: float
    scores: np.ndarray
    allowed: np.ndarray
    mha_bool_mask: np.ndarray
    float_mask: np.ndarray
    masked_scores: np.ndarray
    attn_weight: np.ndarray
    row_sums: np.ndarray
    output: np.ndarray
    masked_weight_max: float
    future_weight_total: float
    unscaled_attn_weight: np.ndarray
    entropy: np.ndarray
    unscaled_entropy: np.ndarray


def causal_mask(L: int, S: int) -> np.ndarray:
    """SDPA's is_causal mask: ``torch.ones(L, S, dtype=torch.bool).tril(diagonal=0)``, True = may attend."""
    return np.tril(np.ones((L, S), dtype=bool))


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis`` with the max subtracted; -inf entries get weight 0."""
    shifted = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def scaled_dot_product_attention(query: np.ndarray, key: np.ndarray, value: np.ndarray,
                                 attn_mask: np.ndarray | None = None, is_causal: bool = False,
                                 scale: float | None = None):
    """SDPA forward, PyTorch's reference semantics (no dropout).

    Parameters
    ----------
    query : (..., L, E)
    key : (..., S, E)
    value : (..., S, Ev)
    attn_mask : bool (L, S) or broadcastable, True = may attend; or None
    is_causal : lower-triangular mask (may not be combined with attn_mask)
    scale : None for 1/sqrt(E)

    Returns
    -------
    output : (..., L, Ev)
    attn_weight : (..., L, S)

    Notes
    -----
    :math:`A = \\mathrm{softmax}(Q K^\\top s + M)`, :math:`O = A V`, with :math:`M_{ij} = 0` where
    attention is allowed and :math:`-\\infty` where it is not.
    """
    if is_causal and attn_mask is not None:
        raise ValueError("is_causal and attn_mask cannot both be set (as in PyTorch)")
    L, S = query.shape[-2], key.shape[-2]
    s = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    bias = np.zeros((L, S))
    allowed = causal_mask(L, S) if is_causal else attn_mask
    if allowed is not None:
        bias = np.where(allowed, 0.0, -np.inf)
    weight = softmax(query @ np.swapaxes(key, -2, -1) * s + bias)
    return weight @ value, weight


def entropy(p: np.ndarray, axis: int = -1) -> np.ndarray:
    """Shannon entropy in nats along ``axis`` (0 log 0 = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return 0.0 - terms.sum(axis=axis) + 0.0  # + 0.0 turns -0.0 into 0.0


def parse_bool_mask(text: str, L: int, S: int) -> np.ndarray | None:
    """'none' -> None; '1,0;1,1' -> an (L, S) boolean array (True = may attend)."""
    from mlquiz.errors import DemoInputError

    if text.strip().lower() in ("", "none"):
        return None
    words = {"1": True, "true": True, "0": False, "false": False}
    try:
        rows = [[words[v.strip().lower()] for v in row.split(",")] for row in text.split(";")]
    except KeyError:
        raise DemoInputError(f"--attn-mask {text!r}: use rows of 0/1 such as '1,0;1,1' "
                             "(1 = may attend), or none") from None
    if len(rows) != L or any(len(row) != S for row in rows):
        raise DemoInputError(f"--attn-mask must have L = {L} rows of S = {S} entries (one per query and key)")
    return np.array(rows, dtype=bool)


def compute(query=((1, 0, 1, 0), (0, 1, 0, 1), (1, 1, 1, 1)), key=((1, 0, 1, 0), (0, 1, 0, 1), (1, 1, 0, 0)),
            value=((1, 0), (0, 1), (1, 1)), attn_mask: str = "none", is_causal: bool = False,
            scale: float = 0.0) -> Attention:
    """Run SDPA on explicit Q, K, V and report every intermediate."""
    from mlquiz.errors import DemoInputError

    Q, K, V = (np.asarray(m, dtype=np.float64) for m in (query, key, value))
    (L, E), (S, E_k), (S_v, Ev) = Q.shape, K.shape, V.shape
    if E_k != E:
        raise DemoInputError(f"--key rows have {E_k} numbers but --query rows have {E}: queries and keys need one E")
    if S_v != S:
        raise DemoInputError(f"--value has {S_v} rows but --key has {S}: one value row per key")
    if max(L, S, E, Ev) > MAX_SIZE:
        raise DemoInputError(f"keep L, S, E and Ev at most {MAX_SIZE}: this demo is a worked example")
    mask = parse_bool_mask(attn_mask, L, S)
    if is_causal and mask is not None:
        raise DemoInputError("--is-causal and --attn-mask cannot both be given (PyTorch asserts the same)")
    allowed = causal_mask(L, S) if is_causal else (mask if mask is not None else np.ones((L, S), dtype=bool))
    if not allowed.any(axis=1).all():
        rows = [int(i) for i in np.flatnonzero(~allowed.any(axis=1))]
        raise DemoInputError(f"query rows {rows} may attend no key; PyTorch's kernels disagree on such rows "
                             "(NaN or 0), so give every query at least one key")

    s = 1.0 / math.sqrt(E) if scale == 0.0 else scale
    output, weight = scaled_dot_product_attention(Q, K, V, attn_mask=allowed, scale=s)
    _, unscaled = scaled_dot_product_attention(Q, K, V, attn_mask=allowed, scale=1.0)
    future = np.triu(np.ones((L, S), dtype=bool), k=1)
    float_mask = np.where(allowed, 0.0, -np.inf)
    scores = Q @ K.T * s
    return Attention(
        shapes={"query": (L, E), "key": (S, E), "value": (S, Ev), "attn_weight": (L, S), "output": (L, Ev)},
        scale=s,
        default_scale=1.0 / math.sqrt(E),
        scores=scores,
        allowed=allowed,
        mha_bool_mask=~allowed,
        float_mask=float_mask,
        masked_scores=scores + float_mask,
        attn_weight=weight,
        row_sums=weight.sum(axis=1),
        output=output,
        masked_weight_max=float(weight[~allowed].max()) if (~allowed).any() else 0.0,
        future_weight_total=float(weight[future].sum()),
        unscaled_attn_weight=unscaled,
        entropy=entropy(weight),
        unscaled_entropy=entropy(unscaled),
    )


def _matrix_table(title: str, matrix: np.ndarray, row: str, col: str, caption: str | None = None):
    from rich import box
    from rich.table import Table

    table = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("", style="cyan")
    for j in range(matrix.shape[1]):
        table.add_column(f"{col}{j}", justify="right")
    for i, values in enumerate(matrix):
        table.add_row(f"{row}{i}", *("-inf" if v == -np.inf else f"{v:.3f}" for v in values))
    return table


def render(result: Attention):
    from rich.columns import Columns
    from rich.console import Group

    from mlquiz.charts import key_values
    from mlquiz.i18n import _

    r = result
    L, E = r.shapes["query"]
    S, Ev = r.shapes["value"]
    summary = key_values(
        _("SDPA: L={L} queries, S={S} keys, E={E}, Ev={Ev}").format(L=L, S=S, E=E, Ev=Ev),
        [
            (_("scale (default 1/sqrt(E))"), f"{r.scale:.4g} ({r.default_scale:.4g})"),
            (_("masked entries"), _("{masked} of {total}").format(masked=int((~r.allowed).sum()), total=L * S)),
            (_("largest weight on a masked key"), f"{r.masked_weight_max:.3g}"),
            (_("weight on future keys (j > i)"), f"{r.future_weight_total:.3g}"),
            (_("row sums of the weights"), ", ".join(f"{v:.3f}" for v in r.row_sums)),
            (_("entropy per row, scaled / scale 1"),
             ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(r.entropy, r.unscaled_entropy))),
        ],
    )
    scores = _matrix_table("QK^T*scale + mask", r.masked_scores, "q", "k")
    weights = _matrix_table("attn_weight", r.attn_weight, "q", "k")
    output = _matrix_table("output = A V", r.output, "q", "v")
    return Group(summary, Columns([scores, weights, output]))
