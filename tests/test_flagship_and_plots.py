"""The flagship demo tells its story at its defaults; --plot draws real images; scenarios are named."""

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from mlquiz.cli.app import app
from mlquiz.demokit import registry

runner = CliRunner()


def default_figure():
    spec = registry.get_demo("lstm-gradients")
    return registry.figure(spec, registry.compute(spec, spec.defaults()))


def test_at_the_defaults_the_lstm_curve_lies_above_the_rnn_curve():
    series = {s.name: s.y for s in default_figure().series}
    far = range(15, len(series["rnn"]))  # near the loss every cell still holds; the gap opens with distance
    assert all(series["lstm"][k] > 10 * series["rnn"][k] for k in far)
    assert series["lstm"][-1] > 1e4 * series["rnn"][-1]


def test_the_default_screen_shows_the_chart_and_a_reading():
    result = runner.invoke(app, ["demo", "lstm-gradients"], env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    for text in ("● rnn", "▲ lstm", "■ gru", "steps back from the loss", "(log scale)",
                 "the LSTM's cell path carries it", "orders of magnitude further", "the GRU vanishes too",
                 "∏f is the cell path alone"):
        assert text in flat, text


@pytest.mark.parametrize("scenario, reading", [
    ("forget-bias-0", "does no better than the tanh RNN"),
    ("exploding", "(it explodes)"),
    ("linear", "the LSTM's gradient explodes"),
    ("long-memory", "orders of magnitude further"),
])
def test_each_scenario_says_what_to_look_at_and_shows_it(scenario, reading):
    spec = registry.get_demo("lstm-gradients")
    result = runner.invoke(app, ["demo", "lstm-gradients", "--scenario", scenario], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert f"scenario {scenario}: {' '.join(spec.scenario(scenario).look.split())}" in flat
    assert reading in flat


def test_options_override_a_scenario_and_unknown_scenarios_are_one_line_errors():
    spec = registry.get_demo("lstm-gradients")
    values = spec.resolve({"forget_bias": "2"}, "forget-bias-0")
    assert values["forget_bias"] == 2.0
    result = runner.invoke(app, ["demo", "lstm-gradients", "--scenario", "vanish"])
    assert result.exit_code == 1 and "has no scenario 'vanish'; its scenarios: vanishing" in result.output


def test_help_lists_the_scenarios_and_the_plot_option():
    result = runner.invoke(app, ["demo", "lstm-gradients", "--help"], env={"COLUMNS": "200"})
    assert "--scenario" in result.output and "--plot" in result.output and "long-memory" in result.output


def test_plot_png_and_svg_with_three_labelled_curves_on_a_log_axis(tmp_path):
    png, svg = tmp_path / "g.png", tmp_path / "g.svg"
    for path in (png, svg):
        result = runner.invoke(app, ["demo", "lstm-gradients", "--plot", str(path)])
        assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    text = svg.read_text(encoding="utf-8")
    for label in (">rnn<", ">lstm<", ">gru<", "(log scale)", "steps back from the loss", "made by: mlquiz demo"):
        assert label in text, label
    assert text.count('id="line2d_') >= 4  # three cells and the forget-gate product, plus grid lines


def test_plot_refuses_a_bad_target_before_running_the_demo(tmp_path):
    result = runner.invoke(app, ["demo", "lstm-gradients", "--plot", str(tmp_path / "g.txt")])
    assert result.exit_code == 1 and "use a file ending in .png, .svg, .pdf" in result.output
    assert "steps back" not in result.output  # nothing was computed or drawn first
    result = runner.invoke(app, ["demo", "lstm-gradients", "--plot", str(tmp_path / "no" / "g.png")])
    assert result.exit_code == 1 and "does not exist" in result.output


def test_plot_without_matplotlib_names_the_install_command(tmp_path):
    code = ("import sys; sys.modules['matplotlib'] = None; sys.argv = ['mlquiz', 'demo', 'lstm-gradients', "
            f"'--plot', {str(tmp_path / 'g.png')!r}]; from mlquiz.cli.app import main; main()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: --plot needs matplotlib, which is not installed; install it with: pip install 'mlquiz[plot]'"]


def test_a_demo_run_without_plot_does_not_import_matplotlib():
    code = ("import sys; sys.argv = ['mlquiz', 'demo', 'lstm-gradients']\nfrom mlquiz.cli.app import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\nprint('matplotlib' in sys.modules, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stderr.strip().endswith("False"), result.stderr
