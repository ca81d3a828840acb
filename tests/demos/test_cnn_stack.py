"""cnn-stack: LeNet-5 and VGG-16 against their published parameter, MAC and receptive-field
counts; receptive fields measured by back-propagation against a forward brute force (an impulse
at every input pixel through the actual naive operations); shapes against a NumPy run; the
stacked-3x3 comparison against closed forms; and the spec grammar's error messages."""

import dataclasses
import inspect

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import _conv, cnn_stack
from mlquiz.errors import DemoInputError

VGG16 = ("conv64k3p1,conv64k3p1,pool2,conv128k3p1,conv128k3p1,pool2,conv256k3p1,conv256k3p1,conv256k3p1,pool2,"
         "conv512k3p1,conv512k3p1,conv512k3p1,pool2,conv512k3p1,conv512k3p1,conv512k3p1,pool2,fc4096,fc4096,fc1000")


def test_outputs_match_result_fields_and_defaults_match_meta():
    spec = registry.get_demo("cnn-stack")
    assert list(spec.outputs) == [f.name for f in dataclasses.fields(cnn_stack.CnnStack)]
    signature = inspect.signature(cnn_stack.compute)
    assert list(signature.parameters) == [p.name for p in spec.params]
    for param in spec.params:
        assert signature.parameters[param.name].default == param.coerce(param.default), param.name


def test_lenet5_default():
    out = registry.run_json("cnn-stack", {})
    layers = out["layers"]
    assert [layer["output_shape"] for layer in layers] == [[6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 5, 5],
                                                          [120], [84], [10]]
    # closed forms: conv C_out*(C_in*k*k + 1), fc n_out*(n_in + 1)
    expected_params = [6 * (1 * 25 + 1), 0, 16 * (6 * 25 + 1), 0, 120 * (400 + 1), 84 * (120 + 1), 10 * (84 + 1)]
    assert [layer["params"] for layer in layers] == expected_params
    assert out["total_params"] == 61706  # LeNet-5's usual count
    expected_macs = [6 * 28 * 28 * 25, 0, 16 * 10 * 10 * 6 * 25, 0, 400 * 120, 120 * 84, 84 * 10]
    assert [layer["macs"] for layer in layers] == expected_macs and out["total_macs"] == 416520
    assert out["flatten_size"] == 16 * 5 * 5 == 400
    assert round(out["fc_param_fraction"], 3) == round((48120 + 10164 + 850) / 61706, 3) == 0.958
    assert out["largest_layer"] == "fc120"
    assert [layer["receptive_field"] for layer in layers[:4]] == [[5, 5], [6, 6], [14, 14], [16, 16]]
    assert [layer["jump"] for layer in layers[:4]] == [[1, 1], [2, 2], [2, 2], [4, 4]]
    assert out["receptive_fields_verified"] is True and out["numpy_shapes_match"] is True


def test_vgg16_published_numbers():
    """VGG-16 on 3x224x224: 138,357,544 parameters, 15.47 GMACs, pool5 receptive field 212."""
    out = cnn_stack.compute(spec=VGG16, input=(224, 224), in_channels=3)
    assert out.total_params == 138_357_544
    assert out.total_macs == 15_470_264_320
    assert out.flatten_size == 512 * 7 * 7
    assert out.final_receptive_field == (212, 212)
    # conv4_3 (layer 12) sees 92 pixels, conv5_3 (layer 16) 196
    assert out.layers[12]["receptive_field"] == [92, 92] and out.layers[16]["receptive_field"] == [196, 196]
    assert out.receptive_fields_verified is True


def _forward_impulse_fields(geoms, canvas):
    """Receptive field of each layer by brute force: an impulse at every input pixel (one image
    each) goes forward through the naive conv (all weights 1) and max-pool operations; a unit's
    field is the extent of the pixels whose impulse reaches it. Border units are clipped by the
    padding or the input's edge, so the layer's field is the largest over its units."""
    images = np.eye(canvas * canvas).reshape(canvas * canvas, 1, canvas, canvas)
    x, fields = images, []
    for geom in geoms:
        if geom.op == "conv":
            x = _conv.conv2d(x, np.ones((1, 1, *geom.kernel)), None, geom.stride, geom.padding, geom.dilation)
        else:
            x = _conv.max_pool2d(x, geom.kernel, geom.stride, geom.pad_hw, geom.dilation, geom.ceil_mode)
        reached = (x[:, 0] > 0).reshape(canvas, canvas, *x.shape[2:])  # pixel row, pixel col, unit
        rows, cols = reached.any(axis=1), reached.any(axis=0)  # (canvas, unit_h, unit_w)
        fields.append((int(_extents(rows).max()), int(_extents(cols).max())))
    return fields


def _extents(mask):
    """last - first + 1 along axis 0 for every unit (0 where nothing is reached)."""
    index = np.arange(mask.shape[0])[:, None, None]
    first = np.where(mask, index, mask.shape[0]).min(axis=0)
    last = np.where(mask, index, -1).max(axis=0)
    return np.maximum(last - first + 1, 0)


@st.composite
def small_stacks(draw):
    layers = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            k = draw(st.integers(1, 3))
            pad = draw(st.sampled_from(["0", "1", "same"]))
            stride = 1 if pad == "same" else draw(st.integers(1, 2))
            layers.append(_conv.resolve_geometry("conv", (k, k), (stride, stride), pad, (draw(st.integers(1, 2)),) * 2))
        else:
            k = draw(st.integers(2, 3))
            layers.append(_conv.resolve_geometry("maxpool", (k, k), (draw(st.integers(0, 2)),) * 2,
                                                 draw(st.integers(0, k // 2)), ceil_mode=draw(st.booleans())))
    return layers


CLIPPED_BY_FLOOR = [  # the last unit reads padding on a side where the floor already dropped a pixel
    _conv.resolve_geometry("maxpool", (3, 3), (2, 2), 0), _conv.resolve_geometry("maxpool", (2, 2), (1, 1), 1),
    _conv.resolve_geometry("maxpool", (2, 2), (2, 2), 0)]


@settings(max_examples=15, deadline=None)
@given(geoms=small_stacks())
@example(geoms=CLIPPED_BY_FLOOR)
def test_measured_receptive_field_equals_forward_impulse_brute_force(geoms):
    # the formula r += (span - 1) * jump, jump *= stride
    formula, rf, jump = [], 1, 1
    for geom in geoms:
        rf, jump = rf + (geom.span[0] - 1) * jump, jump * geom.stride[0]
        formula.append((rf, rf))
    measured = cnn_stack.measure_receptive_fields(geoms)
    assert measured == formula
    # a field of up to 20 pixels with units every 4 or fewer: a 32x32 canvas has unclipped units
    assume(rf <= 20 and jump <= 4)
    assert _forward_impulse_fields(geoms, 32) == formula


def test_stacked_3x3_against_one_big_kernel():
    out = cnn_stack.compute(stack_depth=4, stack_channels=10)
    n = np.arange(1, 5)
    assert list(out.stack_rf) == list(out.stack_rf_measured) == list(out.single_rf_measured) == list(2 * n + 1)
    assert list(out.stack_weights_per_c2) == [9, 18, 27, 36] and list(out.single_weights_per_c2) == [9, 25, 49, 81]
    assert list(out.stack_weights) == [900, 1800, 2700, 3600] and list(out.single_weights) == [900, 2500, 4900, 8100]
    assert out.weight_ratio[1] == pytest.approx(18 / 25) and out.weight_ratio[2] == pytest.approx(27 / 49)
    # the gradient over rows of 4 stacked 3x3 windows: coefficients of (1 + z + z^2)^4 over 3^4
    trinomial = np.array([1.0])
    for _ in range(4):
        trinomial = np.convolve(trinomial, [1, 1, 1])
    np.testing.assert_allclose(out.stack_profile, trinomial / 81, rtol=1e-12)
    assert out.stack_center_share == pytest.approx(19 / 81)


def test_three_3x3_centre_share_is_7_over_27():
    out = registry.run_json("cnn-stack", {})
    assert out["stack_center_share"] == pytest.approx(7 / 27)
    assert out["stack_weights_per_c2"] == [9, 18, 27] and out["single_weights_per_c2"] == [9, 25, 49]


@st.composite
def specs(draw):
    tokens = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["conv", "pool", "avgpool", "relu"]))
        if kind == "conv":
            k = draw(st.integers(1, 3))
            tokens.append(f"conv{draw(st.integers(1, 4))}k{k}s{draw(st.integers(1, 2))}p{draw(st.integers(0, 1))}")
        elif kind in ("pool", "avgpool"):
            k = draw(st.integers(1, 3))
            tokens.append(f"{kind}{k}p{draw(st.integers(0, k // 2))}" + ("ceil" if draw(st.booleans()) else ""))
        else:
            tokens.append("relu")
    tokens += [f"fc{draw(st.integers(1, 20))}" for _ in range(draw(st.integers(0, 2)))]
    return ",".join(tokens)


@settings(max_examples=30, deadline=None)
@given(spec=specs(), size=st.integers(4, 20), channels=st.integers(1, 3))
def test_formula_shapes_equal_numpy_run(spec, size, channels):
    try:
        out = cnn_stack.compute(spec=spec, input=(size, size), in_channels=channels, stack_depth=1)
    except DemoInputError:
        return
    produced = cnn_stack.run_network(cnn_stack.parse_spec(spec), np.zeros((1, channels, size, size)))
    assert [list(shape) for shape in produced] == [layer["output_shape"] for layer in out.layers]
    assert out.numpy_shapes_match is True
    assert out.receptive_fields_verified is True


def test_grouped_and_depthwise_convolutions():
    out = cnn_stack.compute(spec="conv32k3p1g32,conv64k1,conv64k3s2g4", input=(16, 16), in_channels=32)
    depthwise, pointwise, grouped = out.layers
    assert depthwise["params"] == 32 * 1 * 9 + 32 and depthwise["macs"] == 32 * 16 * 16 * 9
    assert pointwise["params"] == 64 * 32 + 64 and pointwise["macs"] == 64 * 16 * 16 * 32
    assert grouped["output_shape"] == [64, 7, 7]
    assert grouped["params"] == 64 * 16 * 9 + 64 and grouped["macs"] == 64 * 7 * 7 * 16 * 9
    # a depthwise-separable pair against a plain 3x3 from 32 to 64 channels
    assert depthwise["params"] + pointwise["params"] < 64 * 32 * 9 + 64


@pytest.mark.parametrize("spec, token", [
    ("conv6k5,pool2,fc10,conv3k3", "'conv3k3'"),
    ("conv6x5", "'conv6x5'"),
    ("conv6k5,,fc10", "empty layer"),
    ("conv6k5s2psame", "'conv6k5s2psame'"),
    ("conv6k5g4", "'conv6k5g4'"),
    ("conv6k99", "'conv6k99'"),
    ("pool3p2", "'pool3p2'"),
    ("avgpool2d2", "'avgpool2d2'"),
    ("conv6k5,pool2,conv16k5,pool2,conv16k5", "layer 5"),
    ("fc0", "'fc0'"),
])
def test_bad_specs_name_the_bad_token_in_one_line(spec, token):
    with pytest.raises(DemoInputError) as info:
        cnn_stack.compute(spec=spec)
    assert token in str(info.value) and "\n" not in str(info.value)


def test_big_networks_skip_the_numpy_run_but_keep_the_formulas():
    out = cnn_stack.compute(spec="conv4096k3,conv4096k3,fc100000", input=(512, 512), in_channels=2048)
    assert out.layers[0]["params"] == 4096 * 2048 * 9 + 4096
    assert out.numpy_checked and "one channel" in out.numpy_note
    deep = cnn_stack.compute(spec=",".join(["conv8k5"] * 30), input=(512, 512))
    assert not deep.numpy_checked and deep.receptive_fields_verified is None
    assert deep.final_receptive_field == (121, 121)
