"""positional-encoding: the matrix against the formula evaluated element by element with math.sin
and math.cos, and the properties the quiz cites (norm sqrt(d/2), dot products that depend only on
the offset, offsets as rotations, no parameters)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import positional_encoding
from mlquiz.errors import DemoInputError


@settings(max_examples=40, deadline=None)
@given(half=st.integers(1, 12), max_len=st.integers(2, 40), base=st.sampled_from([10000.0, 100.0, 2.0]))
def test_matrix_matches_the_formula_element_by_element(half, max_len, base):
    d = 2 * half
    r = positional_encoding.compute(d_model=d, max_len=max_len, base=base, pos=max_len - 1, offset=1)
    for pos in range(max_len):
        for i in range(half):
            angle = pos / base ** (2 * i / d)
            assert r.pe[pos, 2 * i] == pytest.approx(math.sin(angle), abs=1e-12)
            assert r.pe[pos, 2 * i + 1] == pytest.approx(math.cos(angle), abs=1e-12)
    assert r.row_norm_max_dev < 1e-12
    assert r.row_norm_theory == math.sqrt(d / 2)
    assert r.dot_shift_invariance_error < 1e-10
    assert r.rotation_error < 1e-10
    assert r.tutorial_max_abs_diff < 1e-10
    assert r.learned_embedding_params == max_len * d and r.sinusoidal_params == 0


def test_dot_products_are_sums_of_cosines_of_the_offset():
    r = positional_encoding.compute(d_model=8, max_len=40)
    for k, dot in enumerate(r.dot_by_offset):
        assert dot == pytest.approx(sum(math.cos(k * w) for w in r.frequencies), abs=1e-12)
    assert r.dot_by_offset[0] == 4  # d/2 pairs, each sin^2 + cos^2 = 1


def test_known_values():
    r = registry.run_json("positional-encoding", {"d_model": 4, "max_len": 200, "pos": 100, "dim": 2})
    assert r["frequencies"] == pytest.approx([1.0, 0.01])
    assert r["value_at_pos_dim"] == pytest.approx(math.sin(1.0))  # 100 / 10000^(2/4) = 1
    assert r["min_wavelength"] == pytest.approx(2 * math.pi)
    assert r["max_wavelength"] == pytest.approx(200 * math.pi)
    one = registry.run_json("positional-encoding", {"pos": 1, "dim": 1})
    assert one["value_at_pos_dim"] == pytest.approx(math.cos(1.0))
    assert registry.run_json("positional-encoding", {"d_model": 512, "max_len": 16, "pos": 1})["max_wavelength"] == \
        pytest.approx(2 * math.pi * 10000 ** (510 / 512))


def test_rotation_maps_one_position_to_another():
    pe = positional_encoding.sinusoidal_encoding(30, 6)
    omega = 10000.0 ** (-np.arange(0, 6, 2) / 6)
    np.testing.assert_allclose(positional_encoding.rotate(pe[:20], 7 * omega), pe[7:27], atol=1e-12)


@pytest.mark.parametrize("params, message", [
    ({"d_model": 7}, "odd"),
    ({"pos": 64}, "below --max-len"),
    ({"offset": 64}, "below --max-len"),
    ({"d_model": 4096, "max_len": 1000}, "keep it under"),
])
def test_rejects_invalid_configurations(params, message):
    with pytest.raises(DemoInputError, match=message):
        registry.run_json("positional-encoding", params)
