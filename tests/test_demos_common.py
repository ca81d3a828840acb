"""Every demo keeps the demo contract: metadata, outputs, JSON, help, defaults that run."""

import dataclasses
import importlib
import inspect
import json

import pytest
from typer.testing import CliRunner

from mlquiz.demokit import registry
from mlquiz.cli.app import app

DEMOS = sorted(registry.all_demos())
runner = CliRunner()


def test_the_demo_set_is_complete():
    expected = {
        "lstm-gradients", "gradient-chain", "bootstrap-oob", "conv-equivariance", "activation-gradients", "deep-mlp-gradients",
        "gradient-clipping", "rnn-params", "conv-output-size", "cnn-stack", "batchnorm", "dropout-scaling",
        "l1-vs-l2", "softmax-stability", "ce-vs-mse", "bias-variance", "feature-scaling", "dead-relu",
    }
    assert expected <= set(DEMOS), sorted(expected - set(DEMOS))


@pytest.mark.parametrize("name", DEMOS)
def test_compute_signature_matches_metadata(name):
    spec = registry.get_demo(name)
    module = importlib.import_module(spec.module)
    signature = inspect.signature(module.compute)
    assert list(signature.parameters) == [p.name for p in spec.params]
    for param in spec.params:
        assert param.coerce(signature.parameters[param.name].default) == param.coerce(param.default), param.name
    assert spec.claim, "the module docstring states the claim"
    assert len(spec.summary) <= 110


@pytest.mark.parametrize("name", DEMOS)
def test_outputs_are_exactly_the_result_fields(name):
    spec = registry.get_demo(name)
    result = registry.compute(spec, spec.defaults())
    assert dataclasses.is_dataclass(result) and result.__dataclass_params__.frozen
    assert [f.name for f in dataclasses.fields(result)] == list(spec.outputs)


@pytest.mark.parametrize("name", DEMOS)
def test_json_runs_and_parses(name):
    result = runner.invoke(app, ["demo", name, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data["result"]) == set(registry.get_demo(name).outputs)


@pytest.mark.parametrize("name", DEMOS)
def test_rendering_and_help(name):
    spec = registry.get_demo(name)
    result = runner.invoke(app, ["demo", name])
    assert result.exit_code == 0, result.output
    assert spec.title in result.output
    help_result = runner.invoke(app, ["demo", name, "--help"])
    assert help_result.exit_code == 0, help_result.output
    for param in spec.params:
        assert param.option in help_result.output


@pytest.mark.parametrize("name", DEMOS)
def test_every_numeric_parameter_is_bounded(name):
    for param in registry.get_demo(name).params:
        if param.type in ("int", "float", "pair"):
            assert param.min is not None and param.max is not None, f"{name} {param.option} needs min and max"


@pytest.mark.parametrize("name", DEMOS)
def test_render_at_defaults_fits_an_80_column_terminal(name):
    from rich.console import Console

    spec = registry.get_demo(name)
    console = Console(width=80, record=True)
    console.print(registry.render(spec, registry.compute(spec, spec.defaults())))
    lines = console.export_text().splitlines()
    assert len(lines) <= 45, f"{len(lines)} lines"
    assert max(len(line) for line in lines) <= 80


def test_demo_reference_is_current():
    from mlquiz.demokit.docgen import DEMOS_DOC, demos_markdown

    assert DEMOS_DOC.read_text(encoding="utf-8") == demos_markdown(), (
        "docs/demos.md is outdated. Run `python -m mlquiz.demokit.docgen`")
