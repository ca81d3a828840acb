"""Claim: self-attention over T positions costs O(T^2 d) for the scores and their weighted sum plus
O(T d^2) for the projections, and stores a T x T weight matrix per head: doubling T quadruples both
the score FLOPs and that memory (8 heads x 4096^2 float32 scores = 512 MiB per layer and example).
A recurrent layer costs O(T d^2), linear in T, but its T steps run one after another and a signal
from step 1 passes through T - 1 steps to reach step T, where attention needs one. At d = 512 the
score terms overtake the projections at T = 2d = 1024, the same T at which one attention layer
starts to cost more FLOPs than one LSTM layer.

Conventions (Vaswani et al. 2017, Table 1, made exact): one self-attention layer of width d with
h heads (the Q, K, V and output projections of ``nn.MultiheadAttention``, no feed-forward block)
against one recurrent layer with input and hidden size d (``nn.RNN``/``nn.GRU``/``nn.LSTM``: G = 1,
3, 4 weight blocks, each step multiplies x_t by W_ih and h_(t-1) by W_hh). A FLOP count is twice
the multiply-accumulates of the matrix products; biases, softmax, masking and gate nonlinearities
are lower-order and not counted. The score memory is batch x h x T x T elements of the dtype, as
the math implementation of ``scaled_dot_product_attention`` materialises them (fused
FlashAttention-style kernels avoid storing the matrix, but the FLOPs stay quadratic). A causal mask
does not shrink the dense computation. MiB = 2^20 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlquiz.demos._rnn_layout import N_GATES

META = {
    "title": "Cost of attention vs a recurrent layer by sequence length",
    "summary": "attention's T x T scores: FLOPs and memory grow as T^2 (x4 when T doubles); an RNN grows as T",
    "topics": ["attention", "transformer", "rnn"],
    "params": {
        "seq_lens": {"type": "floats", "default": "128,256,512,1024,2048,4096,8192", "min": 1.0,
                     "max": 10000000.0, "help": "sequence lengths T to compare (whole numbers)"},
        "d_model": {"type": "int", "default": 512, "min": 1, "max": 65536, "help": "model width d"},
        "num_heads": {"type": "int", "default": 8, "min": 1, "max": 1024, "help": "attention heads h (divide d)"},
        "batch": {"type": "int", "default": 1, "min": 1, "max": 4096, "help": "sequences per batch"},
        "dtype": {"type": "choice", "default": "float32", "choices": ["float32", "float16", "bfloat16"],
                  "help": "element type of the stored scores and states (4, 2, 2 bytes)"},
        "cell": {"type": "choice", "default": "lstm", "choices": ["rnn", "lstm", "gru"],
                 "help": "the recurrent layer compared"},
    },
    "outputs": {
        "seq_lens": "the sequence lengths T",
        "d_model": "d",
        "num_heads": "h",
        "head_dim": "d / h",
        "bytes_per_element": "4 for float32, 2 for float16 and bfloat16",
        "cell": "the recurrent cell",
        "attn_projection_flops": "by T: 2 x 4 T d^2 x batch, the Q, K, V and output projections",
        "attn_score_flops": "by T: 2 x 2 T^2 d x batch, QK^T and weights @ V over all heads",
        "attn_flops": "by T: attention total",
        "score_share": "by T: share of the attention FLOPs in the T^2 terms, T / (T + 2d)",
        "score_elements": "by T: batch x h x T^2 scores in one layer",
        "score_bytes": "by T: bytes of that score matrix",
        "score_mib": "by T: the same in MiB",
        "rnn_flops": "by T: 2 x G x 2 d^2 x T x batch for the recurrent layer",
        "rnn_step_flops": "FLOPs of one recurrent step, independent of T",
        "rnn_state_bytes": "by T: bytes of the states kept for backprop (h, and c for the LSTM)",
        "attn_to_rnn_flops": "by T: attention FLOPs / recurrent FLOPs",
        "sequential_steps": "steps that must run one after another: attention 1, recurrent T (for the last T)",
        "max_path_length": "steps between position 1 and position T: attention 1, recurrent T - 1 (last T)",
        "growth_when_doubling": "factor by which each cost grows when T doubles (at the largest T)",
        "crossover_scores_vs_projections": "T = 2d at which the T^2 terms equal the projections",
        "crossover_vs_rnn": "T = (G - 2) d above which attention costs more FLOPs than the cell (null: always)",
    },
}

BYTES = {"float32": 4, "float16": 2, "bfloat16": 2}
MIB = 2**20


@dataclass(frozen=True)
class AttentionCost:
    seq_lens: list[int]
    d_model: int
    num_heads: int
    head_dim: int
    bytes_per_element: int
    cell: str
    attn_projection_flops: dict[int, int]
    attn_score_flops: dict[int, int]
    attn_flops: dict[int, int]
    score_share: dict[int, float]
    score_elements: dict[int, int]
    score_bytes: dict[int, int]
    score_mib: dict[int, float]
    rnn_flops: dict[int, int]
    rnn_step_flops: int
    rnn_state_bytes: dict[int, int]
    attn_to_rnn_flops: dict[int, float]
    sequential_steps: dict[str, int]
    max_path_length: dict[str, int]
    growth_when_doubling: dict[str, float]
    crossover_scores_vs_projections: int
    crossover_vs_rnn: int | None


def attention_macs(T: int, d: int, num_heads: int, batch: int = 1) -> dict[str, int]:
    """Multiply-accumulates of one self-attention layer: projections and the two T x T products.

    Notes
    -----
    Each of Q, K, V, O is a (T, d) @ (d, d) product: :math:`4 T d^2`. Per head, :math:`Q_h K_h^\\top`
    is (T, d/h) @ (d/h, T) and :math:`A_h V_h` is (T, T) @ (T, d/h): :math:`T^2 d / h` each, so
    :math:`2 T^2 d` over the h heads.
    """
    head_dim = d // num_heads
    return {"projections": batch * 4 * T * d * d,
            "scores": batch * num_heads * 2 * T * T * head_dim}


def rnn_macs(T: int, d: int, gates: int, batch: int = 1) -> int:
    """Multiply-accumulates of one recurrent layer: G (d x d) blocks for x_t and for h_(t-1), T steps."""
    return batch * T * gates * (d * d + d * d)


def compute(seq_lens=(128, 256, 512, 1024, 2048, 4096, 8192), d_model: int = 512, num_heads: int = 8,
            batch: int = 1, dtype: str = "float32", cell: str = "lstm") -> AttentionCost:
    """Exact FLOP and memory counts of attention and of a recurrent layer for each T."""
    from mlquiz.errors import DemoInputError

    if any(not float(t).is_integer() for t in seq_lens):
        raise DemoInputError("--seq-lens must be whole numbers, e.g. 512,1024,2048")
    if d_model % num_heads:
        raise DemoInputError(f"--num-heads {num_heads} must divide --d-model {d_model}")
    lens = sorted({int(t) for t in seq_lens})
    nbytes, gates = BYTES[dtype], N_GATES[cell]
    states_per_step = 2 if cell == "lstm" else 1  # the LSTM keeps h and c
    proj, score, total, share, elements, sbytes, mib, rnn, state, ratio = ({} for _ in range(10))
    for T in lens:
        macs = attention_macs(T, d_model, num_heads, batch)
        proj[T], score[T] = 2 * macs["projections"], 2 * macs["scores"]
        total[T] = proj[T] + score[T]
        share[T] = score[T] / total[T]
        elements[T] = batch * num_heads * T * T
        sbytes[T] = elements[T] * nbytes
        mib[T] = sbytes[T] / MIB
        rnn[T] = 2 * rnn_macs(T, d_model, gates, batch)
        state[T] = batch * T * d_model * states_per_step * nbytes
        ratio[T] = total[T] / rnn[T]
    T = lens[-1]
    doubled = attention_macs(2 * T, d_model, num_heads, batch)
    return AttentionCost(
        seq_lens=lens,
        d_model=d_model,
        num_heads=num_heads,
        head_dim=d_model // num_heads,
        bytes_per_element=nbytes,
        cell=cell,
        attn_projection_flops=proj,
        attn_score_flops=score,
        attn_flops=total,
        score_share=share,
        score_elements=elements,
        score_bytes=sbytes,
        score_mib=mib,
        rnn_flops=rnn,
        rnn_step_flops=2 * rnn_macs(1, d_model, gates, batch),
        rnn_state_bytes=state,
        attn_to_rnn_flops=ratio,
        sequential_steps={"attention": 1, "recurrent": T},
        max_path_length={"attention": 1, "recurrent": T - 1},
        growth_when_doubling={
            "attn_score_flops": 2 * doubled["scores"] / score[T],
            "score_bytes": batch * num_heads * (2 * T) ** 2 * nbytes / sbytes[T],
            "attn_projection_flops": 2 * doubled["projections"] / proj[T],
            "rnn_flops": 2 * rnn_macs(2 * T, d_model, gates, batch) / rnn[T],
        },
        # 2 x 2 T^2 d = 2 x 4 T d^2  <=>  T = 2d
        crossover_scores_vs_projections=2 * d_model,
        # 8 T d^2 + 4 T^2 d = 4 G T d^2  <=>  T = (G - 2) d
        crossover_vs_rnn=(gates - 2) * d_model if gates > 2 else None,
    )


def _short(n: float) -> str:
    for unit, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:.3g}"


def render(result: AttentionCost):
    from rich import box
    from rich.console import Group
    from rich.table import Table

    from mlquiz.charts import bar_chart
    from mlquiz.i18n import _

    r = result
    table = Table(title=_("one layer, d={d}, h={h}, {cell} for comparison").format(d=r.d_model, h=r.num_heads,
                                                                                  cell=r.cell.upper()),
                  caption=_("FLOPs = 2 x MACs; scores in {bytes}-byte elements; crossover with the {cell}: T = {t}").format(
                      bytes=r.bytes_per_element, cell=r.cell.upper(), t=r.crossover_vs_rnn or _("none")),
                  box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("T", _("attn FLOPs"), _("T^2 share"), _("scores MiB"), _("{cell} FLOPs").format(cell=r.cell),
                   "attn/rnn", _("path")):
        table.add_column(column, justify="right", no_wrap=True)
    for T in r.seq_lens:
        table.add_row(str(T), _short(r.attn_flops[T]), f"{r.score_share[T]:.0%}", f"{r.score_mib[T]:.4g}",
                      _short(r.rnn_flops[T]), f"{r.attn_to_rnn_flops[T]:.2f}", _("1 vs {steps}").format(steps=T - 1))
    labels = [str(T) for T in r.seq_lens]
    memory = bar_chart(_("score matrix memory by T (MiB, log scale)"), labels,
                       [r.score_mib[T] for T in r.seq_lens], log=True, value_format="{:.4g}")
    flops = bar_chart(_("attention FLOPs / {cell} FLOPs by T").format(cell=r.cell), labels,
                      [r.attn_to_rnn_flops[T] for T in r.seq_lens], value_format="{:.2f}")
    return Group(table, memory, flops)
