"""The CLI through typer's CliRunner and through real subprocesses."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlquiz.cli.app import app

ROOT = Path(__file__).parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args))


def run(*args, cwd=None, env=None):
    env = {**os.environ, **(env or {})}
    # from another working folder, -m mlquiz would find whichever mlquiz is installed: test this checkout
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [env.get("PYTHONPATH"), str(Path(__file__).parents[1])]))
    return subprocess.run([sys.executable, "-m", "mlquiz", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def test_help_lists_every_command():
    result = invoke("--help")
    assert result.exit_code == 0, result.output
    for command in ("list", "verify", "demo"):
        assert command in result.output


def all_commands(group=None, prefix=()):
    """Every leaf command's words, e.g. ('export', 'anki'), found from the app itself."""
    import typer.main

    group = group or typer.main.get_command(app)
    for name in group.list_commands(None):
        command = group.get_command(None, name)
        if name == "demo":
            yield prefix + (name,)  # its subcommands are the demos, tested in test_demos_common
        elif hasattr(command, "list_commands"):
            yield from all_commands(command, prefix + (name,))
        else:
            yield prefix + (name,)


def test_the_command_list_is_what_the_readme_documents():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for words in all_commands():
        assert f"mlquiz {words[0]}" in readme, words


@pytest.mark.parametrize("words", list(all_commands()), ids=" ".join)
def test_every_command_has_help_with_an_example(words):
    result = invoke(*words, "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.output


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.output.startswith("mlquiz ")


def test_list_json_counts_the_shipped_banks():
    result = invoke("list", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    gradients = next(b for b in data["banks"] if b["id"] == "gradients")
    assert gradients["questions"] >= 12
    assert data["questions"] == sum(b["questions"] for b in data["banks"])


def test_list_skips_a_broken_bank_and_says_so():
    result = invoke("list", "--bank", str(FIXTURES / "bank_bad" / "yaml_syntax.yaml"), "--json")
    assert result.exit_code == 0, result.output
    assert "yaml_syntax.yaml:19" in result.stderr
    assert json.loads(result.stdout)["skipped"][0]["line"] == 19


def test_verify_shipped_banks_passes():
    result = invoke("verify")
    assert result.exit_code == 0, result.output
    assert "ok" in result.stdout


def test_verify_json_reports_every_problem_and_fails(tmp_path):
    result = invoke("verify", str(FIXTURES / "bank_bad"), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert not data["ok"]
    files = {Path(p["file"]).name for p in data["problems"]}
    assert files == {p.name for p in (FIXTURES / "bank_bad").glob("*.yaml")}


def test_verify_missing_path_is_one_line_not_a_traceback():
    result = invoke("verify", "no/such/bank.yaml")
    assert result.exit_code == 1
    assert "no/such/bank.yaml: no such file or folder" in result.stderr
    assert "Traceback" not in result.output


def test_demo_lists_every_demo_with_a_summary():
    from mlquiz.demokit import registry

    result = invoke("demo", "--json")
    assert result.exit_code == 0, result.output
    listed = {d["name"]: d["summary"] for d in json.loads(result.stdout)}
    assert set(listed) == set(registry.all_demos())
    assert all(listed.values())


def test_demo_runs_with_real_options_and_json():
    result = invoke("demo", "gradient-chain", "--factor", "1.1", "--layers", "100", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["result"]["product"] == pytest.approx(13780.61234, rel=1e-9)


@pytest.mark.parametrize("args, message", [
    (["--factor", "nan"], "--factor 'nan' is not valid; use a finite number"),
    (["--layers", "0"], "--layers 0 is out of range; use 1 to 10000"),
    (["--layers", "1e9"], "--layers '1e9' is not valid; use a whole number"),
    (["--factor", "-1"], "--factor -1.0 is out of range"),
])
def test_demo_bad_values_get_one_line(args, message):
    result = invoke("demo", "gradient-chain", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_unknown_demo_suggests_the_closest():
    result = invoke("demo", "gradient-chian")
    assert result.exit_code == 1
    assert "did you mean 'gradient-chain'" in result.stderr


def test_demo_help_lists_parameters_with_ranges():
    result = invoke("demo", "gradient-chain", "--help")
    assert result.exit_code == 0, result.output
    assert "--factor" in result.output and "--layers" in result.output and "1 to 10000" in result.output


def test_subprocess_from_another_directory(tmp_path):
    result = run("demo", "gradient-chain", "--factor", "0.9", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["result"]["product"] == pytest.approx(0.9**100)
    result = run("verify", str(FIXTURES / "bank_bad" / "duplicate_id.yaml"), cwd=tmp_path)
    assert result.returncode == 1
    assert "duplicate id" in result.stderr and "Traceback" not in result.stderr


NO_NUMPY = "import sys, runpy; sys.argv = ['mlquiz'] + sys.argv[1:]\ntry:\n    runpy.run_module('mlquiz', run_name='__main__')\nexcept SystemExit:\n    pass\nprint('NUMPY' if 'numpy' in sys.modules else 'CLEAN', file=sys.stderr)"


@pytest.mark.parametrize("args", [["--help"], ["list"], ["demo"], ["demo", "gradient-chain", "--help"]])
def test_startup_does_not_import_numpy(args):
    result = subprocess.run([sys.executable, "-c", NO_NUMPY, *args], capture_output=True, text=True, timeout=60)
    assert result.stderr.strip().endswith("CLEAN"), result.stderr


def test_importtime_shows_no_numpy():
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "mlquiz", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "numpy" not in result.stderr
