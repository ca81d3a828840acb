"""lstm-gradients: gradient norms through time checked against complex-step derivatives of the forward
pass, the renormalised BPTT against exact matrix powers, the forget-gate products against a direct
product, and the numbers the docstring and the quiz quote."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlquiz.demokit import registry
from mlquiz.demos import _rnn_cells as rc
from mlquiz.demos import lstm_gradients as demo
from mlquiz.errors import DemoInputError

CELLS = ("rnn", "lstm", "gru")
DEFAULTS = dict(seq_len=50, hidden=32, input_size=8, seed=0, weight_scale=1.0, input_scale=1.0, forget_bias=1.0)
COMPLEX_STEP = 1e-30  # Im f(x + ih)/h is f'(x) to machine precision: no subtraction, so any h this small works


@pytest.fixture(scope="module")
def default_result():
    return demo.compute()


def _final_state_readout(cell, params, xs, readout, h0=None):
    """L = u · h_T by the forward pass alone (no backward code), for complex-step differentiation."""
    h0 = np.zeros((1, readout.shape[-1]), dtype=complex) if h0 is None else h0
    if cell == "lstm":
        hs, _, _ = rc.lstm_forward(xs, h0, np.zeros_like(h0), **params)
    else:
        hs, _ = getattr(rc, f"{cell}_forward")(xs, h0, **params)
    return np.sum(readout * hs[-1])


def _complex_step_input_grad(cell, params, xs, readout, step):
    """dL/dx_step, one input feature at a time."""
    grad = np.empty(xs.shape[-1])
    for j in range(xs.shape[-1]):
        xs_c = xs.astype(complex)
        xs_c[step, 0, j] += 1j * COMPLEX_STEP
        grad[j] = _final_state_readout(cell, params, xs_c, readout).imag / COMPLEX_STEP
    return grad


# ----------------------------------------------------------------------------- metadata

def test_compute_takes_the_meta_params_with_their_defaults():
    spec = registry.get_demo("lstm-gradients")
    signature = inspect.signature(demo.compute).parameters
    assert list(signature) == [p.name for p in spec.params]
    for param in spec.params:
        assert signature[param.name].default == param.coerce(param.default), param.name


# ----------------------------------------------------------------------------- the gradients themselves

@pytest.mark.parametrize("cell", CELLS)
def test_input_gradients_match_complex_step_at_defaults(cell, default_result):
    """The first, a middle and the last input's gradient norm, from forward-mode derivatives of the
    forward pass: independent of the backward code, the lag indexing and the renormalisation."""
    xs, readout, params = demo.make_problem(**DEFAULTS)
    n_steps = DEFAULTS["seq_len"]
    for lag in (0, 17, n_steps - 1):
        exact = np.linalg.norm(_complex_step_input_grad(cell, params[cell], xs, readout, n_steps - 1 - lag))
        assert default_result.input_grad_norms[cell][lag] == pytest.approx(exact, rel=1e-9), lag
    first = np.linalg.norm(_complex_step_input_grad(cell, params[cell], xs, readout, 0))
    last = np.linalg.norm(_complex_step_input_grad(cell, params[cell], xs, readout, n_steps - 1))
    assert default_result.input_grad_ratio[cell] == pytest.approx(first / last, rel=1e-9)


@pytest.mark.parametrize("cell", CELLS)
def test_initial_state_gradient_matches_complex_step(cell):
    kwargs = dict(DEFAULTS, seq_len=20, hidden=6, input_size=3, weight_scale=2.0)
    xs, readout, params = demo.make_problem(**kwargs)
    grad = np.empty(kwargs["hidden"])
    for j in range(kwargs["hidden"]):
        h0 = np.zeros((1, kwargs["hidden"]), dtype=complex)
        h0[0, j] = 1j * COMPLEX_STEP
        grad[j] = _final_state_readout(cell, params[cell], xs, readout, h0).imag / COMPLEX_STEP
    result = demo.compute(**kwargs)
    assert result.state_grad_norms[cell][-1] == pytest.approx(np.linalg.norm(grad), rel=1e-9)
    assert result.state_grad_norms[cell][0] == pytest.approx(1.0, rel=1e-12)  # dL/dh_T = u, a unit vector
    assert result.state_grad_ratio[cell] == pytest.approx(np.linalg.norm(grad), rel=1e-9)


def test_renormalised_segments_do_not_change_the_gradients(monkeypatch, default_result):
    monkeypatch.setattr(demo, "SEGMENT", 7)  # 50 steps in 8 segments instead of 1
    segmented = demo.compute()
    for cell in CELLS:
        np.testing.assert_allclose(segmented.log10_input_grad_norms[cell], default_result.log10_input_grad_norms[cell],
                                   rtol=0, atol=1e-10)
        np.testing.assert_allclose(segmented.state_grad_norms[cell], default_result.state_grad_norms[cell], rtol=1e-10)


def test_exploding_rnn_beyond_float64_matches_exact_matrix_powers():
    """No input: every state is 0, tanh' = 1 and dL/dx at lag k is u W_hh^k W_ih exactly. At weight
    scale 3 over 2000 steps that is ~1e950, far beyond float64, so compare log10 norms."""
    kwargs = dict(DEFAULTS, seq_len=2000, hidden=16, input_size=4, input_scale=0.0, weight_scale=3.0)
    result = demo.compute(**kwargs, cells=("rnn",))
    _, readout, params = demo.make_problem(**kwargs)
    weight_hh, weight_ih = params["rnn"]["weight_hh"], params["rnn"]["weight_ih"]
    v, log10_scale, exact = readout[0], 0.0, {}
    for lag in range(kwargs["seq_len"]):
        exact[lag] = log10_scale + np.log10(np.linalg.norm(v @ weight_ih))
        v = v @ weight_hh
        log10_scale += np.log10(np.linalg.norm(v))
        v = v / np.linalg.norm(v)
    for lag in (0, 1, 63, 64, 65, 999, 1999):
        assert result.log10_input_grad_norms["rnn"][lag] == pytest.approx(exact[lag], abs=1e-8), lag
    assert result.log10_input_grad_ratio["rnn"] > 308  # the ratio itself overflows
    assert result.input_grad_ratio["rnn"] == math.inf and result.trend["rnn"] == "explodes"
    assert registry.to_jsonable(result)["input_grad_ratio"]["rnn"] == "inf"


def test_forget_products_match_a_direct_product():
    kwargs = dict(DEFAULTS, seq_len=12, hidden=5, input_size=3)
    result = demo.compute(**kwargs, cells=("lstm",))
    xs, _, params = demo.make_problem(**kwargs)
    zeros = np.zeros((1, kwargs["hidden"]))
    _, _, trace = rc.lstm_forward(xs, zeros, zeros, **params["lstm"])
    forget = trace.acts["f"][:, 0]  # (T, H)
    naive = [np.mean(np.prod(forget[len(forget) - k:], axis=0)) for k in range(len(forget) + 1)]
    np.testing.assert_allclose(result.forget_products, naive, rtol=1e-12)
    assert result.forget_product == pytest.approx(np.mean(np.prod(forget, axis=0)), rel=1e-12)
    assert result.log10_forget_product == pytest.approx(np.log10(naive[-1]), rel=1e-12)
    assert result.forget_gate_mean == pytest.approx(forget.mean(), rel=1e-12)


@pytest.mark.parametrize(("seq_len", "fixed_forget", "expected"), [
    (50, 0.9, 0.9**50),  # ERRATA 14: 0.00515
    (100, 0.9, 2.6561398887587e-05),  # ERRATA 20: 0.9**100
    (50, 1.0, 1.0),  # a forget gate of exactly 1 keeps the cell gradient whole
    (50, 0.0, 0.0),
    (2000, 0.99, 0.99**2000),
])
def test_fixed_forget_gate_gives_its_power(seq_len, fixed_forget, expected):
    result = demo.compute(seq_len=seq_len, hidden=8, fixed_forget=fixed_forget, cells=("lstm",))
    assert result.fixed_forget_gradient == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert result.fixed_forget_closed_form == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_errata_14_number(default_result):
    assert round(default_result.fixed_forget_gradient, 5) == 0.00515


def test_weight_scale_scales_the_spectral_radius_and_nothing_else():
    one, three = demo.compute(cells=("rnn",)), demo.compute(weight_scale=3.0, cells=("rnn",))
    assert three.rnn_spectral_radius == pytest.approx(3 * one.rnn_spectral_radius, rel=1e-12)
    assert 0.8 < one.rnn_spectral_radius < 1.2  # circular law: N(0, 1/H) entries give a radius near 1


def test_which_cells_run_changes_nothing_else(default_result):
    partial = demo.compute(cells=("gru", "lstm"))
    assert partial.cells == ("lstm", "gru") and set(partial.input_grad_norms) == {"lstm", "gru"}
    assert partial.rnn_spectral_radius is None
    for cell in ("lstm", "gru"):
        np.testing.assert_array_equal(partial.input_grad_norms[cell], default_result.input_grad_norms[cell])
    only_rnn = demo.compute(cells=("rnn",))
    assert only_rnn.forget_products is None and only_rnn.forget_gate_mean is None
    assert only_rnn.fixed_forget_gradient == default_result.fixed_forget_gradient


@settings(max_examples=15, deadline=None)
@given(seq_len=st.integers(2, 30), hidden=st.integers(1, 6), input_size=st.integers(1, 4),
       weight_scale=st.floats(0.1, 4.0), forget_bias=st.floats(-3.0, 3.0), seed=st.integers(0, 1000))
def test_output_shapes_and_invariants(seq_len, hidden, input_size, weight_scale, forget_bias, seed):
    result = demo.compute(seq_len=seq_len, hidden=hidden, input_size=input_size, weight_scale=weight_scale,
                          forget_bias=forget_bias, seed=seed)
    for cell in CELLS:
        assert result.input_grad_norms[cell].shape == (seq_len,)
        assert result.log10_input_grad_norms[cell].shape == (seq_len,)
        assert result.state_grad_norms[cell].shape == (seq_len + 1,)
        assert result.state_grad_norms[cell][0] == pytest.approx(1.0)
        ratio = result.input_grad_ratio[cell]
        if result.input_grad_norms[cell][0] == 0:  # tanh saturated at the last step: there is no ratio
            assert math.isnan(ratio) and result.trend[cell] == "undefined"
            continue
        assert ratio == pytest.approx(result.input_grad_norms[cell][-1] / result.input_grad_norms[cell][0], rel=1e-9)
        assert result.per_step_factor[cell] ** (seq_len - 1) == pytest.approx(ratio, rel=1e-9)
        expected = "explodes" if ratio > 10 else "vanishes" if ratio < 0.1 else "holds"
        assert result.trend[cell] == expected
    products = result.forget_products
    assert products.shape == (seq_len + 1,) and products[0] == 1.0
    assert np.all(np.diff(products) <= 1e-15)  # every forget gate is at most 1: the product never grows
    assert 0.0 < result.forget_gate_mean < 1.0


# ----------------------------------------------------------------------------- the numbers the docstring quotes

@pytest.mark.parametrize(("params", "key", "text"), [
    ({}, "input_grad_ratio.rnn", "1.9e-10"),
    ({}, "input_grad_ratio.lstm", "8.0e-05"),
    ({}, "input_grad_ratio.gru", "1.2e-10"),
    ({}, "forget_gate_mean", "0.698"),
    ({}, "forget_product", "1.7e-08"),
    ({}, "fixed_forget_gradient", "0.00515378"),
    ({"forget_bias": 3.0}, "forget_gate_mean", "0.928"),
    ({"forget_bias": 3.0}, "input_grad_ratio.lstm", "0.049"),
    ({"forget_bias": 0.0}, "input_grad_ratio.lstm", "8.1e-10"),
    ({"weight_scale": 3.0}, "input_grad_ratio.rnn", "449"),
    ({"weight_scale": 3.0}, "input_grad_ratio.lstm", "0.36"),
    ({"weight_scale": 3.0}, "input_grad_ratio.gru", "0.35"),
    ({"input_scale": 0.0, "weight_scale": 2.0}, "input_grad_ratio.rnn", "3.8e+14"),
    ({"input_scale": 0.0, "weight_scale": 2.0}, "input_grad_ratio.lstm", "8.0e+05"),
    ({"input_scale": 10.0, "weight_scale": 3.0}, "input_grad_ratio.rnn", "6.6e-14"),
    ({"weight_scale": 0.577}, "input_grad_ratio.rnn", "1.3e-20"),
    ({"seq_len": 100}, "fixed_forget_gradient", "2.6561e-05"),
])
def test_docstring_numbers(params, key, text):
    """Each number the module docstring quotes, at the precision it is quoted."""
    value = registry.lookup(registry.run_json("lstm-gradients", params), key)
    significant = len(text.split("e")[0].replace(".", "").lstrip("0"))
    assert float(f"{value:.{significant}g}") == float(text), value
    assert text in demo.__doc__


def test_the_story_holds(default_result):
    r = default_result
    assert all(r.trend[cell] == "vanishes" for cell in CELLS)
    assert r.input_grad_ratio["lstm"] > 1e4 * r.input_grad_ratio["rnn"]
    chaotic = demo.compute(weight_scale=3.0)
    assert chaotic.trend == {"rnn": "explodes", "lstm": "holds", "gru": "holds"}
    linear = demo.compute(input_scale=0.0, weight_scale=2.0)
    assert linear.trend["rnn"] == linear.trend["lstm"] == "explodes"  # the LSTM does not stop explosion
    lstm_by_bias = [demo.compute(forget_bias=b, cells=("lstm",)).input_grad_ratio["lstm"] for b in (0.0, 1.0, 3.0)]
    assert lstm_by_bias == sorted(lstm_by_bias)


# ----------------------------------------------------------------------------- inputs, JSON and rendering

@pytest.mark.parametrize(("name", "value"), [
    ("seq_len", 1_000_000_000), ("seq_len", 1), ("hidden", -1), ("hidden", 0), ("weight_scale", "nan"),
    ("input_scale", -1.0), ("fixed_forget", 1.5), ("cells", "lstm,transformer"), ("cells", ""), ("seed", -1),
])
def test_absurd_parameters_are_rejected_before_compute(name, value):
    with pytest.raises(DemoInputError):
        registry.get_demo("lstm-gradients").resolve({name: value})


def test_a_saturated_last_step_gives_no_ratio():
    """One unit driven hard: tanh(a) rounds to 1, tanh' = 0 exactly, so dL/dx_T = 0 and no ratio exists."""
    result = demo.compute(seq_len=5, hidden=1, input_size=1, input_scale=10.0, weight_scale=10.0, seed=1,
                          cells=("rnn",))
    assert result.input_grad_norms["rnn"][0] == 0.0
    assert result.trend["rnn"] == "undefined"
    assert registry.to_jsonable(result)["input_grad_ratio"]["rnn"] is None


def test_too_much_work_is_rejected():
    with pytest.raises(DemoInputError, match="seq-len"):
        registry.run_json("lstm-gradients", {"seq_len": 2000, "hidden": 512})


def test_json_keys_for_the_quiz():
    data = registry.run_json("lstm-gradients", {})
    assert registry.lookup(data, "forget_products.0") == 1.0
    assert registry.lookup(data, "state_grad_norms.rnn.0") == pytest.approx(1.0)
    assert len(registry.lookup(data, "input_grad_norms.gru")) == 50
    assert registry.lookup(data, "trend.lstm") == "vanishes"
    assert registry.lookup(data, "cells") == ["rnn", "lstm", "gru"]


@pytest.mark.parametrize("params", [
    {}, {"cells": ("lstm",), "weight_scale": 3.0},
    {"cells": ("rnn", "gru"), "seq_len": 2000, "hidden": 16, "weight_scale": 10.0, "input_scale": 0.0},
    {"seq_len": 2, "hidden": 1, "weight_scale": 0.0},
    {"seq_len": 5, "hidden": 1, "input_size": 1, "input_scale": 10.0, "weight_scale": 10.0, "seed": 1},
])
def test_render_fits_a_terminal(params):
    from rich.console import Console

    console = Console(width=80, record=True)
    console.print(demo.render(demo.compute(**params)))
    lines = console.export_text().rstrip("\n").split("\n")
    assert len(lines) <= 40
    assert max(len(line) for line in lines) <= 80
    assert "dc_T/dc_0" in lines[-1]
