"""attention: SDPA against a loop-by-loop oracle of PyTorch's reference code (scores, boolean mask
True = attend, is_causal = tril top-left, scale None = 1/sqrt(E)), the mask conventions, and what
a mask guarantees (masked keys get weight 0 and cannot change the output)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import attention
from mlquiz.errors import DemoInputError


def _oracle(Q, K, V, allowed, scale):
    """PyTorch's documented reference, written with explicit loops over queries and keys."""
    L, S = len(Q), len(K)
    out, weights = [], []
    for i in range(L):
        scores = [sum(Q[i][e] * K[j][e] for e in range(len(Q[i]))) * scale if allowed[i][j] else -math.inf
                  for j in range(S)]
        top = max(scores)
        exps = [math.exp(s - top) if s != -math.inf else 0.0 for s in scores]
        total = sum(exps)
        row = [x / total for x in exps]
        weights.append(row)
        out.append([sum(row[j] * V[j][v] for j in range(S)) for v in range(len(V[0]))])
    return np.array(out), np.array(weights)


def _mask_text(mask):
    return ";".join(",".join("1" if v else "0" for v in row) for row in mask)


@st.composite
def cases(draw):
    L, S, E, Ev = (draw(st.integers(1, 5)) for _ in range(4))
    numbers = st.integers(-4, 4).map(float)
    Q = [[draw(numbers) for _ in range(E)] for _ in range(L)]
    K = [[draw(numbers) for _ in range(E)] for _ in range(S)]
    V = [[draw(numbers) for _ in range(Ev)] for _ in range(S)]
    kind = draw(st.sampled_from(["none", "causal", "mask"]))
    mask = None
    if kind == "mask":
        mask = [[draw(st.booleans()) for _ in range(S)] for _ in range(L)]
        for row in mask:
            row[draw(st.integers(0, S - 1))] = True  # every query sees at least one key
    scale = draw(st.sampled_from([0.0, 1.0, 0.25]))
    return Q, K, V, kind, mask, scale


@settings(max_examples=150, deadline=None)
@given(case=cases())
def test_matches_the_reference_loops(case):
    Q, K, V, kind, mask, scale = case
    L, S = len(Q), len(K)
    result = attention.compute(Q, K, V, attn_mask=_mask_text(mask) if mask else "none",
                               is_causal=kind == "causal", scale=scale)
    if kind == "causal":
        allowed = [[j <= i for j in range(S)] for i in range(L)]  # tril(diagonal=0), top-left aligned
    else:
        allowed = mask or [[True] * S for _ in range(L)]
    used_scale = 1 / math.sqrt(len(Q[0])) if scale == 0.0 else scale
    out, weights = _oracle(Q, K, V, allowed, used_scale)
    np.testing.assert_allclose(result.attn_weight, weights, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(result.output, out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result.row_sums, 1.0, rtol=1e-12)
    assert result.scale == used_scale
    assert result.shapes == {"query": (L, len(Q[0])), "key": (S, len(Q[0])), "value": (S, len(V[0])),
                             "attn_weight": (L, S), "output": (L, len(V[0]))}
    np.testing.assert_array_equal(result.allowed, np.array(allowed))
    np.testing.assert_array_equal(result.mha_bool_mask, ~np.array(allowed))  # MHA: True = not allowed
    assert (result.attn_weight[~np.array(allowed)] == 0).all()
    assert result.masked_weight_max == 0.0


def test_defaults_are_a_hand_checkable_example():
    """q0 = (1,0,1,0) scores (2, 0, 1) * 0.5 = (1, 0, 0.5) against the three keys."""
    r = registry.run_json("attention", {})
    assert r["scale"] == 0.5 == r["default_scale"]
    assert r["scores"][0] == [1.0, 0.0, 0.5]
    expected = math.e / (math.e + 1 + math.exp(0.5))
    assert r["attn_weight"][0][0] == pytest.approx(expected, rel=1e-12)
    assert round(r["attn_weight"][0][0], 3) == 0.506
    assert r["attn_weight"][2] == pytest.approx([1 / 3] * 3)  # equal scores, uniform weights
    assert r["entropy"][2] == pytest.approx(math.log(3))


def test_causal_equals_an_explicit_lower_triangular_mask_and_ignores_the_future():
    Q = np.random.default_rng(0).integers(-3, 4, (4, 3)).astype(float)
    K = np.random.default_rng(1).integers(-3, 4, (4, 3)).astype(float)
    V = np.random.default_rng(2).integers(-3, 4, (4, 2)).astype(float)
    causal = attention.compute(Q, K, V, is_causal=True)
    tril = attention.compute(Q, K, V, attn_mask="1,0,0,0;1,1,0,0;1,1,1,0;1,1,1,1")
    np.testing.assert_array_equal(causal.attn_weight, tril.attn_weight)
    assert causal.future_weight_total == 0.0
    np.testing.assert_array_equal(causal.float_mask, np.triu(np.full((4, 4), -np.inf), k=1))  # generate_square_subsequent_mask
    # changing the keys and values of later positions changes nothing for earlier queries
    K2, V2 = K.copy(), V.copy()
    K2[3], V2[3] = 50.0, -50.0
    again = attention.compute(Q, K2, V2, is_causal=True)
    np.testing.assert_array_equal(again.output[:3], causal.output[:3])
    assert not np.allclose(again.output[3], causal.output[3])


def test_causal_with_more_keys_than_queries_is_top_left_aligned():
    r = attention.compute(np.ones((2, 2)), np.ones((4, 2)), np.eye(4), is_causal=True)
    np.testing.assert_array_equal(r.allowed, [[True, False, False, False], [True, True, False, False]])
    np.testing.assert_allclose(r.output, [[1, 0, 0, 0], [0.5, 0.5, 0, 0]])


def test_a_masked_key_cannot_change_the_output():
    Q, K, V = np.ones((2, 2)), np.array([[1.0, 0], [0, 1], [5, 5]]), np.array([[1.0], [2], [3]])
    mask = "1,1,0;1,1,0"
    base = attention.compute(Q, K, V, attn_mask=mask)
    K[2], V[2] = 99.0, -99.0
    np.testing.assert_array_equal(attention.compute(Q, K, V, attn_mask=mask).output, base.output)


def test_scale_one_gives_the_unscaled_weights():
    r = attention.compute(scale=1.0)
    np.testing.assert_allclose(r.attn_weight, r.unscaled_attn_weight)
    default = attention.compute()
    # the unscaled scores are twice as spread, so the weights are more peaked
    assert (default.unscaled_entropy <= default.entropy + 1e-12).all()


def test_functional_form_accepts_batched_inputs():
    rng = np.random.default_rng(4)
    Q, K, V = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((2, 3, 6, 4)), rng.standard_normal((2, 3, 6, 7))
    out, weight = attention.scaled_dot_product_attention(Q, K, V, is_causal=True)
    assert out.shape == (2, 3, 5, 7) and weight.shape == (2, 3, 5, 6)
    single, _ = attention.scaled_dot_product_attention(Q[1, 2], K[1, 2], V[1, 2], is_causal=True)
    np.testing.assert_allclose(out[1, 2], single)
    with pytest.raises(ValueError):
        attention.scaled_dot_product_attention(Q, K, V, attn_mask=np.ones((5, 6), bool), is_causal=True)


@pytest.mark.parametrize("params, message", [
    ({"attn_mask": "1,1,1;1,1,1;1,1,1", "is_causal": True}, "cannot both"),
    ({"key": "1,0;0,1;1,1"}, "need one E"),
    ({"value": "1,0;0,1"}, "one value row per key"),
    ({"attn_mask": "1,1,1;0,0,0;1,1,1"}, "may attend no key"),
    ({"attn_mask": "1,1;1,1"}, "L = 3 rows"),
    ({"attn_mask": "yes,no,maybe;1,1,1;1,1,1"}, "rows of 0/1"),
    ({"query": ";".join(["1"] * 17), "key": ";".join(["1"] * 3), "value": "1;1;1"}, "at most 16"),
])
def test_rejects_invalid_inputs(params, message):
    with pytest.raises(DemoInputError, match=message):
        registry.run_json("attention", params)
