"""attention-cost: the FLOP formulas against the multiply-accumulates a NumPy forward pass actually
performs (every matrix product counted), the score memory against the bytes of an allocated array,
and the growth factors and crossovers the quiz cites."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import attention_cost
from mlquiz.errors import DemoInputError


class Counter:
    """A matmul that adds up m * n * k multiply-accumulates for each (m, k) @ (k, n) product."""

    def __init__(self):
        self.macs = 0

    def mm(self, a, b):
        *batch, m, k = a.shape
        n = b.shape[-1]
        assert b.shape[-2] == k
        self.macs += int(np.prod(batch, dtype=np.int64)) * m * n * k if batch else m * n * k
        return a @ b


def _attention_forward(T, d, heads, batch, rng, mm):
    """Multi-head self-attention on (batch, T, d), every product through ``mm``."""
    x = rng.standard_normal((batch, T, d))
    Wq, Wk, Wv, Wo = (rng.standard_normal((d, d)) for _ in range(4))
    q, k, v = mm(x, Wq), mm(x, Wk), mm(x, Wv)
    split = lambda t: t.reshape(batch, T, heads, d // heads).transpose(0, 2, 1, 3)  # noqa: E731
    q, k, v = split(q), split(k), split(v)
    scores = mm(q, k.transpose(0, 1, 3, 2)) / np.sqrt(d // heads)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    out = mm(weights, v).transpose(0, 2, 1, 3).reshape(batch, T, d)
    return mm(out, Wo), scores


def _recurrent_forward(T, d, gates, batch, rng, mm):
    W_ih, W_hh = rng.standard_normal((d, gates * d)), rng.standard_normal((d, gates * d))
    h = np.zeros((batch, d))
    for _ in range(T):  # the T steps run one after another
        z = mm(rng.standard_normal((batch, d)), W_ih) + mm(h, W_hh)
        h = np.tanh(z[:, :d])
    return h


@settings(max_examples=40, deadline=None)
@given(T=st.integers(1, 12), heads=st.sampled_from([1, 2, 4]), width=st.integers(1, 4), batch=st.integers(1, 3),
       cell=st.sampled_from(["rnn", "lstm", "gru"]))
def test_formulas_count_the_products_of_a_real_forward_pass(T, heads, width, batch, cell):
    d = heads * width
    r = attention_cost.compute(seq_lens=(T,), d_model=d, num_heads=heads, batch=batch, cell=cell)
    counter = Counter()
    _, scores = _attention_forward(T, d, heads, batch, np.random.default_rng(0), counter.mm)
    assert r.attn_flops[T] == 2 * counter.macs
    assert scores.shape == (batch, heads, T, T) and r.score_elements[T] == scores.size
    gates = {"rnn": 1, "gru": 3, "lstm": 4}[cell]
    counter = Counter()
    _recurrent_forward(T, d, gates, batch, np.random.default_rng(1), counter.mm)
    assert r.rnn_flops[T] == 2 * counter.macs
    assert r.rnn_step_flops * T == r.rnn_flops[T]


@pytest.mark.parametrize("dtype, numpy_type", [("float32", np.float32), ("float16", np.float16),
                                               ("bfloat16", np.uint16)])  # numpy has no bfloat16: same 2 bytes
def test_score_memory_is_the_size_of_the_array(dtype, numpy_type):
    r = attention_cost.compute(seq_lens=(64, 256), num_heads=8, batch=2, dtype=dtype)
    for T in (64, 256):
        assert r.score_bytes[T] == np.zeros((2, 8, T, T), dtype=numpy_type).nbytes
        assert r.score_mib[T] == r.score_bytes[T] / 2**20


def test_known_values_and_growth():
    r = registry.run_json("attention-cost", {})
    assert r["score_mib"]["4096"] == 512  # 8 heads x 4096^2 x 4 bytes
    assert r["growth_when_doubling"] == {"attn_score_flops": 4.0, "score_bytes": 4.0,
                                         "attn_projection_flops": 2.0, "rnn_flops": 2.0}
    assert r["crossover_scores_vs_projections"] == 1024
    assert r["attn_score_flops"]["1024"] == r["attn_projection_flops"]["1024"]
    assert r["crossover_vs_rnn"] == 1024 and r["attn_to_rnn_flops"]["1024"] == 1.0
    assert r["max_path_length"] == {"attention": 1, "recurrent": 8191}
    assert r["sequential_steps"] == {"attention": 1, "recurrent": 8192}
    assert r["score_share"]["1024"] == 0.5
    gru = registry.run_json("attention-cost", {"cell": "gru", "seq_lens": "512"})
    assert gru["crossover_vs_rnn"] == 512 and gru["attn_to_rnn_flops"]["512"] == 1.0
    assert registry.run_json("attention-cost", {"cell": "rnn"})["crossover_vs_rnn"] is None


@pytest.mark.parametrize("params, message", [
    ({"seq_lens": "100.5"}, "whole numbers"),
    ({"d_model": 100, "num_heads": 8}, "must divide"),
])
def test_rejects_invalid_configurations(params, message):
    with pytest.raises(DemoInputError, match=message):
        registry.run_json("attention-cost", params)
