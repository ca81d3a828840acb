"""conv-output-size: PyTorch's size formulas against the shapes the naive NumPy operations
produce, the operations' values against brute-force loops, the transposed convolution as the
adjoint (and input gradient) of the convolution, golden cases recorded from PyTorch 2.13, the
settings PyTorch rejects, and the ERRATA numbers."""

import dataclasses
import inspect
import itertools

import numpy as np
import pytest
from gradcheck import assert_gradients_match
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import _conv, conv_output_size
from mlquiz.errors import DemoInputError

# Settings tuples: (op, input, kernel, stride, padding, dilation, output_padding, ceil_mode,
#                   in_channels, out_channels, groups, no_bias)
FIELDS = ("op", "input", "kernel", "stride", "padding", "dilation", "output_padding", "ceil_mode",
          "in_channels", "out_channels", "groups", "no_bias")

# Recorded by hand with torch 2.13.0+cpu (nn.Conv2d / ConvTranspose2d / MaxPool2d / AvgPool2d on a
# zeros input; MACs = torch.utils.flop_counter FLOPs / 2). Stride (0, 0) means PyTorch's stride=None.
TORCH_VALID = [  # (settings, (C, H_out, W_out), params, MACs)
    (("conv", (224, 224), (3, 3), (2, 2), "0", (1, 1), (0, 0), False, 3, 64, 1, False), (64, 111, 111), 1792, 21290688),
    (("conv", (28, 28), (1, 1), (1, 1), "0", (1, 1), (0, 0), False, 128, 32, 1, False), (32, 28, 28), 4128, 3211264),
    (("conv", (28, 28), (4, 4), (1, 1), "same", (1, 1), (0, 0), False, 2, 4, 1, False), (4, 28, 28), 132, 100352),
    (("conv", (13, 9), (4, 2), (1, 1), "same", (3, 2), (0, 0), False, 4, 6, 2, True), (6, 13, 9), 96, 11232),
    (("conv", (17, 17), (3, 3), (1, 1), "valid", (2, 2), (0, 0), False, 3, 3, 3, False), (3, 13, 13), 30, 4563),
    (("conv", (32, 20), (5, 3), (3, 2), "2x1", (2, 1), (0, 0), False, 4, 8, 4, False), (8, 10, 10), 128, 12000),
    (("conv", (7, 7), (7, 7), (1, 1), "0", (1, 1), (0, 0), False, 1, 1, 1, False), (1, 1, 1), 50, 49),
    (("conv", (10, 11), (3, 3), (4, 3), "1", (3, 1), (0, 0), False, 6, 9, 3, True), (9, 2, 4), 162, 1296),
    (("transposed", (14, 14), (3, 3), (2, 2), "1", (1, 1), (1, 1), False, 8, 4, 1, False), (4, 28, 28), 292, 56448),
    (("transposed", (7, 5), (4, 4), (2, 2), "1", (1, 1), (0, 0), False, 2, 6, 2, False), (6, 14, 10), 102, 3360),
    (("transposed", (5, 5), (3, 3), (1, 1), "0", (3, 3), (2, 2), False, 1, 2, 1, True), (2, 13, 13), 18, 450),
    (("transposed", (8, 8), (3, 3), (1, 1), "3", (1, 1), (0, 0), False, 3, 3, 1, False), (3, 4, 4), 84, 5184),
    (("transposed", (6, 4), (2, 3), (3, 2), "0x1", (2, 1), (1, 1), False, 4, 4, 4, False), (4, 19, 8), 28, 576),
    (("maxpool", (28, 28), (2, 2), (1, 1), "0", (1, 1), (0, 0), False, 1, 1, 1, False), (1, 27, 27), 0, 0),
    (("maxpool", (28, 28), (2, 2), (0, 0), "0", (1, 1), (0, 0), False, 1, 1, 1, False), (1, 14, 14), 0, 0),
    (("maxpool", (5, 5), (2, 2), (0, 0), "1", (1, 1), (0, 0), True, 3, 3, 1, False), (3, 3, 3), 0, 0),
    (("maxpool", (6, 6), (1, 1), (2, 2), "0", (1, 1), (0, 0), True, 1, 1, 1, False), (1, 3, 3), 0, 0),
    (("maxpool", (9, 10), (3, 3), (0, 0), "1", (2, 2), (0, 0), True, 2, 2, 1, False), (2, 3, 4), 0, 0),
    (("maxpool", (112, 112), (3, 3), (2, 2), "1", (1, 1), (0, 0), False, 64, 64, 1, False), (64, 56, 56), 0, 0),
    (("maxpool", (7, 8), (3, 2), (2, 3), "1x1", (1, 2), (0, 0), True, 1, 1, 1, False), (1, 4, 3), 0, 0),
    (("avgpool", (5, 5), (2, 2), (0, 0), "1", (1, 1), (0, 0), True, 1, 1, 1, False), (1, 3, 3), 0, 0),
    (("avgpool", (7, 7), (3, 3), (2, 2), "1", (1, 1), (0, 0), True, 2, 2, 1, False), (2, 4, 4), 0, 0),
    (("avgpool", (11, 6), (4, 2), (3, 0), "2x1", (1, 1), (0, 0), False, 1, 1, 1, False), (1, 4, 4), 0, 0),
    (("avgpool", (4, 4), (5, 5), (2, 2), "2", (1, 1), (0, 0), True, 1, 1, 1, False), (1, 3, 3), 0, 0),
]
TORCH_REJECTED = [  # settings PyTorch 2.13 rejects, with the start of its message
    (("conv", (8, 8), (3, 3), (2, 2), "same", (1, 1), (0, 0), False, 1, 1, 1, False), "padding='same' is not supported for strided convolutions"),
    (("conv", (4, 4), (5, 5), (1, 1), "0", (1, 1), (0, 0), False, 1, 1, 1, False), "Kernel size can't be greater than actual input size"),
    (("conv", (5, 5), (3, 3), (1, 1), "0", (3, 3), (0, 0), False, 1, 1, 1, False), "Kernel size can't be greater than actual input size"),
    (("conv", (8, 8), (3, 3), (1, 1), "0", (1, 1), (0, 0), False, 3, 6, 2, False), "in_channels must be divisible by groups"),
    (("conv", (8, 8), (3, 3), (1, 1), "0", (1, 1), (0, 0), False, 4, 6, 4, False), "out_channels must be divisible by groups"),
    (("conv", (8, 8), (3, 3), (1, 1), "-1", (1, 1), (0, 0), False, 1, 1, 1, False), "negative padding is not supported"),
    (("transposed", (8, 8), (3, 3), (2, 2), "0", (1, 1), (2, 2), False, 1, 1, 1, False), "output padding must be smaller than either stride or dilation"),
    (("transposed", (8, 8), (3, 3), (1, 1), "0", (1, 1), (1, 0), False, 1, 1, 1, False), "output padding must be smaller than either stride or dilation"),
    (("transposed", (1, 1), (1, 1), (1, 1), "1", (1, 1), (0, 0), False, 1, 1, 1, False), "Output size is too small"),
    (("transposed", (2, 2), (1, 1), (1, 1), "1", (1, 1), (0, 0), False, 1, 1, 1, False), "Output size is too small"),
    (("transposed", (8, 8), (3, 3), (1, 1), "same", (1, 1), (0, 0), False, 1, 1, 1, False), "argument 'padding' must be tuple of ints"),
    (("maxpool", (8, 8), (3, 3), (0, 0), "2", (1, 1), (0, 0), False, 1, 1, 1, False), "pad should be at most half of effective kernel size"),
    (("maxpool", (8, 8), (3, 3), (0, 0), "2", (2, 2), (0, 0), False, 1, 1, 1, False), "pad should be smaller than or equal to half of kernel size"),
    (("maxpool", (4, 4), (5, 5), (0, 0), "0", (1, 1), (0, 0), False, 1, 1, 1, False), "Output size is too small"),
    (("maxpool", (8, 8), (2, 2), (0, 0), "same", (1, 1), (0, 0), False, 1, 1, 1, False), "argument 'padding' must be tuple of ints"),
    (("avgpool", (8, 8), (3, 3), (0, 0), "2", (1, 1), (0, 0), False, 1, 1, 1, False), "pad should be at most half of effective kernel size"),
    (("avgpool", (4, 4), (5, 5), (0, 0), "0", (1, 1), (0, 0), False, 1, 1, 1, False), "Output size is too small"),
    (("avgpool", (2, 2), (5, 5), (1, 1), "0", (1, 1), (0, 0), True, 1, 1, 1, False), "Output size is too small"),
]


def _params(settings_tuple):
    return dict(zip(FIELDS, settings_tuple))


def _padding_text(geom):
    """The --padding text that gives back ``geom``'s padding."""
    return "same" if geom.padding_mode == "same" else f"{geom.padding[0]}x{geom.padding[2]}"


def _demo(geom, hw, **channels):
    """conv-output-size run with a resolved geometry's settings."""
    return conv_output_size.compute(op=geom.op, input=hw, kernel=geom.kernel, stride=geom.stride,
                                    padding=_padding_text(geom), dilation=geom.dilation,
                                    output_padding=geom.output_padding, ceil_mode=geom.ceil_mode, **channels)


# --- metadata --------------------------------------------------------------------------------

def test_outputs_match_result_fields_and_defaults_match_meta():
    spec = registry.get_demo("conv-output-size")
    fields = [f.name for f in dataclasses.fields(conv_output_size.ConvOutputSize)]
    assert list(spec.outputs) == fields
    signature = inspect.signature(conv_output_size.compute)
    assert list(signature.parameters) == [p.name for p in spec.params]
    for param in spec.params:
        assert signature.parameters[param.name].default == param.coerce(param.default), param.name


# --- ERRATA and golden values ----------------------------------------------------------------

def test_errata_pooling_28_window_2():
    """ERRATA 1: 28 input, 2x2 window: stride 1 gives 27, stride 2 (the default) gives 14."""
    assert registry.run_json("conv-output-size", {"op": "maxpool", "kernel": "2", "stride": "1"})["output"] == [27, 27]
    default_stride = registry.run_json("conv-output-size", {"op": "maxpool", "kernel": "2"})
    assert default_stride["output"] == [14, 14] and default_stride["stride"] == [2, 2]
    # independent arithmetic: windows starting at 0..26 vs at 0, 2, ..., 26
    assert len(range(0, 28 - 2 + 1, 1)) == 27 and len(range(0, 28 - 2 + 1, 2)) == 14


def test_errata_conv_224_floors_to_111():
    """ERRATA 2: 224, k3, s2, p0 -> 111 (111.5 floored), not 112; TF 'SAME' gives ceil(224/2) = 112."""
    out = registry.run_json("conv-output-size", {"input": "224", "kernel": "3", "stride": "2",
                                                 "in_channels": 3, "out_channels": 64})
    assert out["output"] == [111, 111] and out["numpy_output"] == [111, 111]
    assert out["output_exact"] == [111.5, 111.5]
    assert out["tf_same_output"] == [112, 112]
    # 111 windows starting at 0, 2, ..., 220 cover columns 0..222: column 223 is never read
    assert out["unused_input"] == [1, 1]
    assert max(range(0, 224 - 3 + 1, 2)) + 2 == 222


def test_errata_1x1_conv_128_to_32():
    """ERRATA 10: 32 kernels, each 1x1x128; 32*128 + 32 = 4,128 parameters."""
    out = registry.run_json("conv-output-size", {"kernel": "1", "in_channels": 128, "out_channels": 32})
    assert out["kernels"] == 32 and out["filter_shape"] == [128, 1, 1]
    assert out["weight_shape"] == [32, 128, 1, 1]
    assert out["params"] == 32 * 128 + 32 == 4128
    assert out["output_shape"] == [32, 28, 28]


@pytest.mark.parametrize("case", TORCH_VALID, ids=lambda c: str(c[0][:5]) if isinstance(c, tuple) else str(c))
def test_matches_pytorch_golden_values(case):
    settings_tuple, torch_shape, torch_params, torch_macs = case
    result = conv_output_size.compute(**_params(settings_tuple))
    assert tuple(result.output_shape) == torch_shape
    assert result.params == torch_params
    assert result.macs == torch_macs
    assert result.numpy_checked and result.numpy_matches


@pytest.mark.parametrize("case", TORCH_REJECTED, ids=lambda c: c[1][:40] if isinstance(c, tuple) else str(c))
def test_rejects_what_pytorch_rejects(case):
    settings_tuple, torch_message = case
    with pytest.raises(DemoInputError) as info:
        conv_output_size.compute(**_params(settings_tuple))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("bad, fragment", [
    ({"output_padding": (1, 1)}, "only to transposed"),
    ({"ceil_mode": True}, "only to pooling"),
    ({"op": "avgpool", "dilation": (2, 2)}, "no dilation"),
    ({"padding": "full"}, "not valid"),
    ({"op": "transposed", "padding": "valid"}, "only for Conv2d"),
])
def test_rejects_options_the_layer_does_not_have(bad, fragment):
    with pytest.raises(DemoInputError, match=fragment):
        conv_output_size.compute(**bad)


def test_out_of_range_values_are_rejected_by_meta_before_compute():
    with pytest.raises(DemoInputError):
        registry.run_json("conv-output-size", {"input": "100000"})
    with pytest.raises(DemoInputError):
        registry.run_json("conv-output-size", {"kernel": "-3"})


# --- the formula against the NumPy operations ------------------------------------------------

@st.composite
def layer_settings(draw, op):
    h, w = draw(st.integers(1, 14)), draw(st.integers(1, 14))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    dh, dw = (1, 1) if op == "avgpool" else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    sh, sw = draw(st.integers(0 if op in _conv.POOLS else 1, 4)), draw(st.integers(0 if op in _conv.POOLS else 1, 4))
    if op == "conv" and draw(st.booleans()):
        padding, sh, sw = draw(st.sampled_from(["same", "valid"])), 1, 1
    elif op in _conv.POOLS:
        padding = f"{draw(st.integers(0, kh // 2))}x{draw(st.integers(0, kw // 2))}"
    else:
        padding = f"{draw(st.integers(0, 3))}x{draw(st.integers(0, 3))}"
    output_padding = (0, 0)
    if op == "transposed":
        output_padding = (draw(st.integers(0, max(sh, dh) - 1)), draw(st.integers(0, max(sw, dw) - 1)))
    ceil_mode = op in _conv.POOLS and draw(st.booleans())
    return (h, w), _conv.resolve_geometry(op, (kh, kw), (sh, sw), padding, (dh, dw), output_padding, ceil_mode)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), op=st.sampled_from(_conv.OPS), groups=st.integers(1, 3), per_group=st.integers(1, 2))
def test_formula_equals_shape_numpy_produces(data, op, groups, per_group):
    (h, w), geom = data.draw(layer_settings(op))
    try:
        expected = _conv.output_hw(geom, (h, w))
    except DemoInputError:
        # rejected: then no window fits (or the transposed output is empty) when we try
        if op == "conv":
            top, bottom, left, right = geom.padding
            assert h + top + bottom < geom.span[0] or w + left + right < geom.span[1]
        elif op in _conv.POOLS:
            rows, cols = (_conv.pool_starts(n, k, s_, p, d, geom.ceil_mode) for n, k, s_, p, d in
                          zip((h, w), geom.kernel, geom.stride, geom.pad_hw, geom.dilation))
            assert not rows or not cols
        return
    c_in = c_out = groups * per_group if op not in _conv.POOLS else per_group
    x = np.zeros((2, c_in, h, w))
    y = conv_output_size.run_op(geom, x, c_out, groups if op not in _conv.POOLS else 1)
    assert y.shape == (2, c_out, *expected)
    # and the demo reports the same
    result = _demo(geom, (h, w), in_channels=c_in, out_channels=c_out,
                   groups=groups if op not in _conv.POOLS else 1)
    assert result.output == expected and result.numpy_output == expected and result.numpy_matches


def _brute_conv(x, w, b, stride, pad4, dilation, groups):
    """Cross-correlation by explicit loops; also counts the multiplications it does."""
    n_batch, c_in, h, wd = x.shape
    c_out, c_group, kh, kw = w.shape
    top, bottom, left, right = pad4
    rows = _starts(h + top + bottom, (kh - 1) * dilation[0] + 1, stride[0])
    cols = _starts(wd + left + right, (kw - 1) * dilation[1] + 1, stride[1])
    y = np.zeros((n_batch, c_out, len(rows), len(cols)))
    products = 0
    for n, o, (i, r0), (j, c0) in itertools.product(range(n_batch), range(c_out), enumerate(rows), enumerate(cols)):
        group = o // (c_out // groups)
        total = b[o]
        for c, u, v in itertools.product(range(c_group), range(kh), range(kw)):
            r, q = r0 + u * dilation[0] - top, c0 + v * dilation[1] - left
            value = x[n, group * c_group + c, r, q] if 0 <= r < h and 0 <= q < wd else 0.0
            total += w[o, c, u, v] * value
            products += 1
        y[n, o, i, j] = total
    return y, products


def _starts(length, span, step):
    """Window starts 0, step, 2*step, ... while the window fits in `length`."""
    starts, start = [], 0
    while start + span <= length:
        starts.append(start)
        start += step
    return starts


@settings(max_examples=40, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_naive_conv_values_equal_brute_force_sum(data, seed):
    (h, w), geom = data.draw(layer_settings("conv"))
    groups, per_in, per_out = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    top, bottom, left, right = geom.padding
    assume(h + top + bottom >= geom.span[0] and w + left + right >= geom.span[1])
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, groups * per_in, h, w))
    wt = rng.standard_normal((groups * per_out, per_in, *geom.kernel))
    b = rng.standard_normal(groups * per_out)
    mine = _conv.conv2d(x, wt, b, geom.stride, geom.padding, geom.dilation, groups)
    brute, products = _brute_conv(x, wt, b, geom.stride, geom.padding, geom.dilation, groups)
    np.testing.assert_allclose(mine, brute, rtol=1e-12, atol=1e-12)
    # the demo's MACs (per sample) are the multiplications the loops did
    result = _demo(geom, (h, w), in_channels=groups * per_in, out_channels=groups * per_out, groups=groups)
    assert result.macs * 2 == products


def _brute_transposed(x, w, b, stride, padding, output_padding, dilation, groups):
    """Scatter every input pixel through its kernel by loops, crop, pad; count the products."""
    n_batch, c_in, h, wd = x.shape
    _, c_out_group, kh, kw = w.shape
    rows = (h - 1) * stride[0] + (kh - 1) * dilation[0] + 1 + output_padding[0]
    cols = (wd - 1) * stride[1] + (kw - 1) * dilation[1] + 1 + output_padding[1]
    full = np.zeros((n_batch, groups * c_out_group, rows, cols))
    products = 0
    for n, c, i, j, o, u, v in itertools.product(range(n_batch), range(c_in), range(h), range(wd),
                                                 range(c_out_group), range(kh), range(kw)):
        group = c // (c_in // groups)
        full[n, group * c_out_group + o, i * stride[0] + u * dilation[0], j * stride[1] + v * dilation[1]] += \
            x[n, c, i, j] * w[c, o, u, v]
        products += 1
    out = full[:, :, padding[0]:rows - padding[0], padding[1]:cols - padding[1]]
    return out + b[None, :, None, None], products


@settings(max_examples=30, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_naive_transposed_conv_equals_brute_force_scatter(data, seed):
    (h, w), geom = data.draw(layer_settings("transposed"))
    h, w = min(h, 6), min(w, 6)
    try:
        expected = _conv.output_hw(geom, (h, w))
    except DemoInputError:
        return
    groups, per_in, per_out = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, groups * per_in, h, w))
    wt = rng.standard_normal((groups * per_in, per_out, *geom.kernel))
    b = rng.standard_normal(groups * per_out)
    mine = _conv.conv_transpose2d(x, wt, b, geom.stride, geom.pad_hw, geom.output_padding, geom.dilation, groups)
    brute, products = _brute_transposed(x, wt, b, geom.stride, geom.pad_hw, geom.output_padding, geom.dilation, groups)
    assert mine.shape[2:] == expected
    np.testing.assert_allclose(mine, brute, rtol=1e-12, atol=1e-12)
    result = _demo(geom, (h, w), in_channels=groups * per_in, out_channels=groups * per_out, groups=groups)
    assert result.macs == products


@settings(max_examples=40, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_transposed_conv_is_the_adjoint_and_input_gradient_of_conv(data, seed):
    """<conv(x), y> == <x, conv_transpose(y)> with the same weight; and it is d<conv(x), y>/dx."""
    (h, w), geom = data.draw(layer_settings("conv"))
    assume(geom.padding_mode == "explicit")
    assume(h + 2 * geom.pad_hw[0] >= geom.span[0] and w + 2 * geom.pad_hw[1] >= geom.span[1])
    groups, per_in, per_out = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, groups * per_in, h, w))
    wt = rng.standard_normal((groups * per_out, per_in, *geom.kernel))
    y_shape = _conv.conv2d(x, wt, None, geom.stride, geom.pad_hw, geom.dilation, groups).shape
    y = rng.standard_normal(y_shape)
    # output_padding restores the rows the forward floor dropped, so conv^T(y) has x's shape
    output_padding = tuple((n + 2 * p - s_) % st_ for n, p, s_, st_ in zip((h, w), geom.pad_hw, geom.span, geom.stride))
    xt = _conv.conv_transpose2d(y, wt, None, geom.stride, geom.pad_hw, output_padding, geom.dilation, groups)
    assert xt.shape == x.shape
    forward = _conv.conv2d(x, wt, None, geom.stride, geom.pad_hw, geom.dilation, groups)
    assert np.sum(forward * y) == pytest.approx(np.sum(x * xt), rel=1e-10, abs=1e-10)
    if x.size <= 150:  # finite differences cost two forward passes per input element
        # positive whole-number weights and y: gradient entries are 0 exactly or at least 1
        w_int, y_int = rng.integers(1, 4, wt.shape).astype(float), rng.integers(1, 4, y.shape).astype(float)
        dx = _conv.conv_transpose2d(y_int, w_int, None, geom.stride, geom.pad_hw, output_padding, geom.dilation,
                                    groups)
        assert_gradients_match(dx, lambda: np.sum(_conv.conv2d(x, w_int, None, geom.stride, geom.pad_hw,
                                                               geom.dilation, groups) * y_int), x)


def _brute_pool(x, kernel, stride, padding, dilation, ceil_mode, kind, count_include_pad=True):
    """Pooling by loops over ATen's window bounds; the output count comes from PyTorch's table."""
    n_batch, c, h, w = x.shape
    out_h = _conv.pool_out(h, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    out_w = _conv.pool_out(w, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    y = np.zeros((n_batch, c, out_h, out_w))
    for i, j in itertools.product(range(out_h), range(out_w)):
        r0, c0 = i * stride[0] - padding[0], j * stride[1] - padding[1]
        rows = [r0 + u * dilation[0] for u in range(kernel[0])]
        cols = [c0 + v * dilation[1] for v in range(kernel[1])]
        inside = [(r, q) for r in rows for q in cols if 0 <= r < h and 0 <= q < w]
        values = np.stack([x[:, :, r, q] for r, q in inside], axis=-1)
        if kind == "max":
            y[:, :, i, j] = values.max(axis=-1)
        else:
            # ATen avg_pool2d: the window is clipped to the padded input for the divisor
            pool_h = min(r0 + kernel[0], h + padding[0]) - r0
            pool_w = min(c0 + kernel[1], w + padding[1]) - c0
            divisor = pool_h * pool_w if count_include_pad else len(inside)
            y[:, :, i, j] = values.sum(axis=-1) / divisor
    return y


@settings(max_examples=50, deadline=None)
@given(data=st.data(), kind=st.sampled_from(["max", "avg"]), include=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_naive_pooling_values_equal_brute_force(data, kind, include, seed):
    (h, w), geom = data.draw(layer_settings("maxpool" if kind == "max" else "avgpool"))
    try:
        _conv.output_hw(geom, (h, w))
    except DemoInputError:
        return
    x = np.random.default_rng(seed).standard_normal((2, 2, h, w))
    if kind == "max":
        try:
            brute = _brute_pool(x, geom.kernel, geom.stride, geom.pad_hw, geom.dilation, geom.ceil_mode, "max")
        except ValueError:  # a dilated window made only of padding: PyTorch gives -inf, nothing to compare
            return
        mine = _conv.max_pool2d(x, geom.kernel, geom.stride, geom.pad_hw, geom.dilation, geom.ceil_mode)
    else:
        brute = _brute_pool(x, geom.kernel, geom.stride, geom.pad_hw, (1, 1), geom.ceil_mode, "avg", include)
        mine = _conv.avg_pool2d(x, geom.kernel, geom.stride, geom.pad_hw, geom.ceil_mode, include)
    np.testing.assert_allclose(mine, brute, rtol=1e-12, atol=1e-12)


def _brute_window_sum(x, out_hw, kernel, stride, pad4, dilation):
    """Sum of every window (windows may overhang the padded input, as in ceil mode)."""
    h, w = x.shape[-2:]
    y = np.zeros((*x.shape[:-2], *out_hw))
    for i, j, u, v in itertools.product(range(out_hw[0]), range(out_hw[1]), range(kernel[0]), range(kernel[1])):
        r, q = i * stride[0] + u * dilation[0] - pad4[0], j * stride[1] + v * dilation[1] - pad4[2]
        if 0 <= r < h and 0 <= q < w:
            y[..., i, j] += x[..., r, q]
    return y


@settings(max_examples=30, deadline=None)
@given(data=st.data(), op=st.sampled_from(["conv", "maxpool"]), seed=st.integers(0, 2**32 - 1))
def test_window_adjoint_is_the_gradient_of_the_window_sum(data, op, seed):
    (h, w), geom = data.draw(layer_settings(op))
    h, w = min(h, 8), min(w, 8)
    try:
        out_hw = _conv.output_hw(geom, (h, w))
    except DemoInputError:
        return
    rng = np.random.default_rng(seed)
    # positive whole-number weights: every gradient entry is 0 exactly or at least 1, so rounding
    # in the finite differences cannot pass for a (relative) error on a tiny entry
    x, g = rng.standard_normal((h, w)), rng.integers(1, 4, out_hw).astype(float)
    analytic = _conv.window_adjoint(g, (h, w), geom.kernel, geom.stride, geom.padding, geom.dilation)
    assert_gradients_match(analytic, lambda: np.sum(_brute_window_sum(x, out_hw, geom.kernel, geom.stride,
                                                                      geom.padding, geom.dilation) * g), x)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), op=st.sampled_from(["conv", "maxpool", "avgpool"]))
def test_unused_input_equals_brute_force_count(data, op):
    (h, w), geom = data.draw(layer_settings(op))
    try:
        out_hw = _conv.output_hw(geom, (h, w))
    except DemoInputError:
        return
    read = np.zeros((h, w), dtype=bool)
    for i, j, u, v in itertools.product(*(range(n) for n in (*out_hw, *geom.kernel))):
        r = i * geom.stride[0] + u * geom.dilation[0] - geom.padding[0]
        q = j * geom.stride[1] + v * geom.dilation[1] - geom.padding[2]
        if 0 <= r < h and 0 <= q < w:
            read[r, q] = True
    result = _demo(geom, (h, w))
    assert result.unused_input == (int((~read.any(axis=1)).sum()), int((~read.any(axis=0)).sum()))


# --- parameters, MACs and the work cap ------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(groups=st.integers(1, 8), per_in=st.integers(1, 16), per_out=st.integers(1, 16), kh=st.integers(1, 7),
       kw=st.integers(1, 7), no_bias=st.booleans(), transposed=st.booleans())
def test_parameter_count_closed_form(groups, per_in, per_out, kh, kw, no_bias, transposed):
    c_in, c_out = groups * per_in, groups * per_out
    result = conv_output_size.compute(op="transposed" if transposed else "conv", input=(16, 16), kernel=(kh, kw),
                                      in_channels=c_in, out_channels=c_out, groups=groups, no_bias=no_bias)
    # every output channel has a kh x kw kernel over in/groups input channels, either way round
    assert result.weights == c_out * per_in * kh * kw
    assert result.params == result.weights + (0 if no_bias else c_out)
    assert len(result.weight_shape) == 4 and result.weight_shape[0] == (c_in if transposed else c_out)


def test_large_inputs_still_get_the_formula_and_a_capped_check():
    big = conv_output_size.compute(input=(1024, 1024), in_channels=64, out_channels=64)
    assert big.output == (1022, 1022) and big.numpy_checked and big.numpy_shape == (1, 1, 1022, 1022)
    assert "one channel" in big.numpy_note
    huge = conv_output_size.compute(input=(4096, 4096), kernel=(64, 64), in_channels=4096, out_channels=4096)
    assert huge.output == (4033, 4033) and not huge.numpy_checked and huge.numpy_output is None
    assert huge.params == 4096 * 4096 * 64 * 64 + 4096


def test_pooling_reports_no_parameters_and_counts_comparisons():
    out = conv_output_size.compute(op="maxpool", input=(112, 112), kernel=(3, 3), stride=(2, 2), padding="1",
                                   in_channels=64, out_channels=7, groups=1)
    assert out.output_shape == (64, 56, 56) and out.params == 0 and out.macs == 0
    assert out.pool_ops == 64 * 56 * 56 * 8


def test_ceil_mode_drop_rule():
    """5x5, 2x2 window, stride 2, padding 1, ceil: ceil(3.5) = 4 windows, but the 4th would start at
    6 >= 5 + 1, inside the right padding, so PyTorch keeps 3."""
    out = conv_output_size.compute(op="maxpool", input=(5, 5), kernel=(2, 2), padding="1", ceil_mode=True)
    assert out.output == (3, 3) and out.ceil_dropped_last == (True, True) and out.output_exact == (3.5, 3.5)
    assert _conv.pool_starts(5, 2, 2, 1, 1, True) == [0, 2, 4]
    no_drop = conv_output_size.compute(op="maxpool", input=(5, 5), kernel=(2, 2), ceil_mode=True)
    assert no_drop.output == (3, 3) and no_drop.ceil_dropped_last == (False, False)


def test_same_padding_puts_the_extra_pixel_bottom_right():
    out = conv_output_size.compute(kernel=(4, 3), padding="same", dilation=(1, 2))
    assert out.padding == (1, 2, 2, 2) and out.output == (28, 28)
