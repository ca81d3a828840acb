"""gradient-norms-compare: the two nets are deep-mlp-gradients runs, and the chart reads as claimed
(sigmoid + Xavier falls by about sigmoid's slope per layer, ReLU + He holds its level)."""

from __future__ import annotations

import pytest

from mlquiz.demokit import registry
from mlquiz.demos import deep_mlp_gradients
from mlquiz.demos import gradient_norms_compare as demo
from mlquiz.errors import DemoInputError

NAME = "gradient-norms-compare"


@pytest.fixture(scope="module")
def result():
    return demo.compute()


def test_the_nets_are_deep_mlp_gradients_runs(result):
    sigmoid = deep_mlp_gradients.compute(depth=10, activation="sigmoid", init="xavier")
    relu = deep_mlp_gradients.compute(depth=10, activation="relu", init="he")
    assert result.norms_a == [float(v) for v in sigmoid.act_grad_norms]
    assert result.norms_b == [float(v) for v in relu.act_grad_norms]
    assert len(result.norms_a) == 11


def test_first_below_from_top_against_a_scan():
    norms = [1e-6, 1e-4, 1e-2, 1e-4, 1.0]
    assert demo.first_below_from_top(norms, 1e-3) == 3  # going down from layer 4, layer 3 is the first
    assert demo.first_below_from_top(norms, 1e-7) is None


def test_sigmoid_vanishes_and_relu_he_holds(result):
    assert result.regime_a == "vanishing" and result.regime_b == "stable"
    assert 0.15 < result.per_layer_factor_a < 0.25  # sigmoid' <= 0.25
    assert all(b < a for a, b in zip(result.norms_a[1:], result.norms_a))  # falls at every layer going down
    assert max(result.norms_b) / min(result.norms_b) < 2
    assert result.layer_below_a == 6 and result.norms_a[6] < 1e-3 < result.norms_a[7]
    assert result.layers_below_a == 7 and result.layer_below_b is None and result.layers_below_b == 0


def test_figure_names_the_nets_only_a_and_b(result):
    figure = demo.figure(result)
    assert [s.name for s in figure.series] == ["net A", "net B"] and figure.log_y
    assert "sigmoid" not in figure.title and "relu" not in figure.title.lower()
    bars = demo.figure(demo.compute(view="bars"))
    assert bars.categories[0] == "layer 10" and bars.series[0].y[-1] == result.norms_a[0]


def test_parameters_are_validated():
    with pytest.raises(DemoInputError, match="is not valid"):
        registry.run_json(NAME, {"net_a": "gelu-he"})
    with pytest.raises(DemoInputError, match="out of range"):
        registry.run_json(NAME, {"depth": 0})
