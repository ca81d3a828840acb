import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from mlquiz.demos import conv_equivariance as demo
from mlquiz.errors import DemoInputError


def brute_conv(x, w):
    """Valid cross-correlation by explicit loops, the oracle for the shift identity."""
    n, k = x.shape[0], w.shape[0]
    out = np.zeros((n - k + 1, n - k + 1))
    for i in range(n - k + 1):
        for j in range(n - k + 1):
            out[i, j] = np.sum(x[i:i + k, j:j + k] * w)
    return out


@settings(max_examples=40, deadline=None)
@given(size=st.integers(9, 24), kernel=st.integers(1, 5), shift=st.integers(1, 3), seed=st.integers(0, 1000))
def test_convolution_commutes_with_shifts(size, kernel, shift, seed):
    result = demo.compute(size, kernel, shift, seed)
    assert result.equivariant and result.equivariance_error < 1e-12


@settings(max_examples=40, deadline=None)
@given(size=st.integers(10, 24), kernel=st.integers(2, 5), shift=st.integers(1, 4), seed=st.integers(0, 1000))
def test_stride_two_is_equivariant_only_to_even_shifts(size, kernel, shift, seed):
    result = demo.compute(size, kernel, shift, seed)
    assert (result.strided_equivariance_error < 1e-12) == (shift % 2 == 0)


def test_the_shift_identity_by_explicit_loops():
    rng = np.random.default_rng(3)
    x, w, s = rng.standard_normal((9, 9)), rng.standard_normal((3, 3)), 2
    y, y_shifted = brute_conv(x, w), brute_conv(np.roll(x, s, axis=1), w)
    assert np.allclose(y_shifted[:, s:], y[:, :-s])
    assert not np.allclose(y_shifted, y)  # equivariant, not invariant


def test_pooling_buys_invariance_that_convolution_lacks():
    result = demo.compute()
    assert result.positionwise_change > 1.0  # same positions, different values
    assert 0 < result.maxpool_unchanged_fraction < 1  # some max-pool outputs survive a 1-px shift
    assert result.gap_relative_change < 0.05 * result.positionwise_change


def test_kernel_and_shift_must_fit():
    with pytest.raises(DemoInputError, match="use a larger --size"):
        demo.compute(size=8, kernel=5, shift=3)
