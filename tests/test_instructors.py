"""Instructors: finding banks by every route, plugin demos, the scaffold, ``verify --strict``, and
the three exports opened in the formats they claim (a zip holding an Anki SQLite collection,
Moodle GIFT parsed back, Markdown parsed by a Markdown parser).

The example package in ``examples/mlquiz-example-bank`` is installed for real by pip into a
temporary folder; subprocesses put that folder on PYTHONPATH, so ``importlib.metadata`` finds its
entry points exactly as it would in a virtual environment. Nothing is installed into the venv.
"""

import dataclasses
import html
import importlib.util
import inspect
import io
import json
import os
import re
import runpy
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from contextlib import closing
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlquiz.content.model import QUESTION_TYPES
from mlquiz.content.loading import load_bank_file
from mlquiz.cli.app import app

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "mlquiz-example-bank"
FIXTURES = Path(__file__).parent / "fixtures" / "instructors"
ALPHA, BETA = FIXTURES / "alpha", FIXTURES / "beta"
BROKEN = FIXTURES / "broken" / "broken.yaml"
BROKEN_AT = f"{BROKEN}:19:"  # where the YAML parser finds the unclosed list
CLASH = FIXTURES / "clash" / "clash.yaml"
UNBACKED = FIXTURES / "unbacked.yaml"
SPECIAL = FIXTURES / "special.yaml"
MARKUP = FIXTURES / "markup.yaml"
DUMP = FIXTURES / "dump_items.py"
BAD = Path(__file__).parent / "fixtures" / "bank_bad"
records = runpy.run_path(str(DUMP))["records"]

runner = CliRunner()
WIDE = {"COLUMNS": "250"}  # rich wraps at 80 columns when not on a terminal; keep prompts on one line


def invoke(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def run(*args, env=None, input=None, cwd=None):
    env = {**os.environ, **WIDE, **(env or {})}
    # from another working folder, -m mlquiz would find whichever mlquiz is installed: test this checkout
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [env.get("PYTHONPATH"), str(ROOT)]))
    return subprocess.run([sys.executable, "-m", "mlquiz", *map(str, args)], capture_output=True, text=True,
                          input=input, cwd=cwd, env=env, timeout=120)


def on_path(*folders) -> dict:
    """Environment that puts ``folders`` first on PYTHONPATH, as a --target install needs."""
    return {"PYTHONPATH": os.pathsep.join([*map(str, folders), *filter(None, [os.environ.get("PYTHONPATH")])])}


def scaffold(folder: Path, name: str = "my-course") -> Path:
    result = invoke("bank", "new", name, "--dir", folder)
    assert result.exit_code == 0, result.output
    return folder / f"{name}.yaml"


def label(record: dict, style: str) -> str:
    """How an exporter names one item: Anki's QuestionId field, a GIFT title or a Markdown heading."""
    if not record["varied"]:
        return record["id"]
    n = record["variant"]
    return {"anki": f"{record['id']}#{n}", "gift": f"{record['id']} v{n + 1}",
            "markdown": f"{record['id']} (variant {n + 1})"}[style]


# ----- the example package, installed for real

@pytest.fixture(scope="session")
def plugin(tmp_path_factory) -> Path:
    """pip-installs a copy of the example package into a folder and returns that folder."""
    work = tmp_path_factory.mktemp("example-package")
    source = work / "source"  # build from a copy: nothing is written into the shared tree
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("__pycache__", "build", "dist", "*.egg-info"))
    target = work / "site"
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-input", "--disable-pip-version-check",
               "--target", str(target), str(source)]
    if importlib.util.find_spec("hatchling"):
        command.insert(4, "--no-build-isolation")  # offline and faster; otherwise pip fetches hatchling
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return target


def test_the_wheel_carries_the_bank_and_both_entry_points(plugin):
    assert (plugin / "mlquiz_example_bank" / "banks" / "probability.yaml").is_file()
    assert (plugin / "mlquiz_example_bank" / "coin_flips.py").is_file()
    entry_points = next(plugin.glob("mlquiz_example_bank-*.dist-info")) / "entry_points.txt"
    text = entry_points.read_text()
    assert "[mlquiz.banks]\nexample = mlquiz_example_bank.banks" in text
    assert "[mlquiz.demos]\ncoin-flips = mlquiz_example_bank.coin_flips" in text


def test_installed_package_adds_its_bank_and_its_demo(plugin):
    env = on_path(plugin)
    listed = run("list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    banks = {b["id"]: b for b in json.loads(listed.stdout)["banks"]}
    assert "gradients" in banks  # the shipped banks are still there
    example = banks["example-probability"]
    assert Path(example["path"]).resolve().is_relative_to(plugin.resolve())  # the installed copy
    assert example["questions"] == 7 and example["topics"] == {"probability": 6, "sampling": 1}

    demos = run("demo", "--json", env=env)
    assert demos.returncode == 0, demos.stderr
    coin = next(d for d in json.loads(demos.stdout) if d["name"] == "coin-flips")
    assert coin["summary"] and {"at_least_one", "simulated"} <= set(coin["outputs"])

    ran = run("demo", "coin-flips", "--flips", "4", "--p-heads", "0.2", "--json", env=env)
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)["result"]
    assert result["at_least_one"] == pytest.approx(1 - 0.8**4, rel=1e-12)
    assert abs(result["simulated"] - result["at_least_one"]) < 5 * result["std_error"]
    assert result["flips_for_half"] == 4

    bad = run("demo", "coin-flips", "--p-heads", "1.5", env=env)
    assert bad.returncode == 1 and "--p-heads 1.5 is out of range; use 0.0 to 1.0" in bad.stderr

    verified = run("verify", "--strict", "--json", plugin / "mlquiz_example_bank" / "banks", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    summary = json.loads(verified.stdout)["banks"]
    assert [s["bank"] for s in summary] == ["example-probability"]
    assert summary[0]["demo_checks"] >= 8 and summary[0]["unverified"] == 0 and summary[0]["problems"] == 0


NO_NUMPY = ("import sys, runpy; sys.argv = ['mlquiz'] + sys.argv[1:]\ntry:\n    runpy.run_module('mlquiz', "
            "run_name='__main__')\nexcept SystemExit:\n    pass\nprint('NUMPY' if 'numpy' in sys.modules else "
            "'CLEAN', sorted(m for m in sys.modules if m.startswith('mlquiz_example_bank')), file=sys.stderr)")


def test_listing_a_plugin_runs_none_of_its_demo_code(plugin):
    """META is read with ast: listing demos and banks imports neither numpy nor the demo module."""
    for args in (["demo"], ["list"]):
        result = subprocess.run([sys.executable, "-c", NO_NUMPY, *args], capture_output=True, text=True,
                                env={**os.environ, **on_path(plugin)}, timeout=60)
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("CLEAN"), result.stderr
        assert "mlquiz_example_bank.coin_flips" not in last


def test_a_bank_cannot_bring_its_own_demo(tmp_path):
    """Demos come only from installed packages: the module beside an uninstalled bank is not one."""
    copy = tmp_path / "mlquiz_example_bank"
    shutil.copytree(EXAMPLE / "mlquiz_example_bank", copy)
    result = invoke("verify", copy / "banks")
    assert result.exit_code == 1
    assert "unknown demo 'coin-flips'" in result.stderr
    assert "mlquiz_example_bank" not in sys.modules


def test_practice_with_an_installed_bank_runs_its_demo(plugin):
    # the sampling topic has one question: a recall card whose demo computes a standard error
    result = run("practice", "-t", "sampling", "-n", "1", "--no-save", input="\n3\n", env=on_path(plugin))
    assert result.returncode == 0, result.stderr
    assert "How does the error of a simulated probability shrink" in result.stdout
    assert "mlquiz demo coin-flips --trials 10000" in result.stdout
    assert "std_error = 0.00330" in result.stdout  # sqrt(0.875 * 0.125 / 10000)


def test_exports_of_an_installed_bank(plugin, tmp_path):
    env = on_path(plugin)
    dumped = subprocess.run([sys.executable, str(DUMP), "3", plugin / "mlquiz_example_bank" / "banks"],
                            capture_output=True, text=True, env={**os.environ, **env}, timeout=60)
    assert dumped.returncode == 0, dumped.stderr
    expected = json.loads(dumped.stdout)
    assert len(expected) == 9  # 6 questions + 3 variants of the parameterized one
    for fmt, name in (("anki", "bank.apkg"), ("gift", "bank.txt"), ("markdown", "bank.md")):
        result = run("export", fmt, tmp_path / name, "--only", "example-probability", "--variants", "3", env=env)
        assert result.returncode == 0, result.stderr
        assert "9 items from 7 questions" in result.stdout
    check_anki(read_apkg(tmp_path / "bank.apkg", tmp_path), expected, deck_by="bank")
    check_gift((tmp_path / "bank.txt").read_text(encoding="utf-8"), expected)
    sheet = (tmp_path / "bank.md").read_text(encoding="utf-8")
    check_markdown(sheet, expected)
    assert "mlquiz demo coin-flips --flips 10 --p-heads 0.1" in sheet


def load_demo(path: Path, name: str):
    """A demo's spec (read from source, as mlquiz does) and its module, imported from a file."""
    from mlquiz.demokit.spec import read_spec

    spec = read_spec(name, f"_authoring_{path.stem}", path)
    loader = importlib.util.spec_from_file_location(spec.module, path)
    module = importlib.util.module_from_spec(loader)
    sys.modules[spec.module] = module  # dataclasses look their module up while the class is made
    try:
        loader.loader.exec_module(module)
    finally:
        del sys.modules[spec.module]
    return spec, module


def check_demo_contract(spec, module) -> None:
    """What tests/test_demos_common.py asks of a shipped demo, for a demo outside the package."""
    from rich.console import Console

    parameters = inspect.signature(module.compute).parameters
    assert list(parameters) == [p.name for p in spec.params]
    for param in spec.params:
        assert param.coerce(parameters[param.name].default) == param.coerce(param.default), param.name
    result = module.compute(**spec.defaults())
    assert dataclasses.is_dataclass(result) and result.__dataclass_params__.frozen
    assert [f.name for f in dataclasses.fields(result)] == list(spec.outputs)
    assert spec.claim and spec.title and len(spec.summary) <= 110
    Console(file=io.StringIO()).print(module.render(result))


def test_the_example_demo_keeps_the_contract_and_gets_the_maths_right():
    spec, coin = load_demo(EXAMPLE / "mlquiz_example_bank" / "coin_flips.py", "coin-flips")
    check_demo_contract(spec, coin)
    for flips, p in [(1, 0.5), (4, 1 / 6), (24, 1 / 36), (1000, 1e-6), (10, 0.0), (10, 1.0)]:
        result = coin.compute(flips=flips, p_heads=p, trials=20_000, seed=1)
        exact = float(1 - (1 - Fraction(p)) ** flips)  # rational arithmetic: no rounding until the end
        assert result.at_least_one == pytest.approx(exact, rel=1e-12, abs=1e-300)
        assert abs(result.simulated - result.at_least_one) <= 5 * result.std_error + 1e-12
        assert result.pmf_simulated.sum() <= 1 + 1e-12
    assert coin.compute(flips=4, p_heads=1 / 6).flips_for_half == 4  # de Mere's bet wins...
    assert coin.compute(flips=24, p_heads=1 / 36).flips_for_half == 25  # ...and his other one needs 25 rolls
    for p in (0.01, 0.1, 0.2929, 0.3, 0.5, 0.9):
        n = coin.compute(p_heads=p).flips_for_half  # the fewest flips that reach 50%
        assert 1 - (1 - p) ** n >= 0.5 and (n == 1 or 1 - (1 - p) ** (n - 1) < 0.5)
    assert coin.compute(p_heads=0.0).flips_for_half is None
    exact = coin.compute(flips=10, p_heads=0.3).pmf_exact
    assert exact.sum() == pytest.approx(1) and exact.argmax() == 3


def test_the_authoring_guide_snippets_make_a_bank_that_passes_strict(tmp_path):
    """docs/authoring.md: its questions added to the scaffold verify, and its demo keeps the contract."""
    guide = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", guide, re.S)
    path = scaffold(tmp_path, "intro-ml")
    text = path.read_text(encoding="utf-8").replace("topic: gradients", "topic: intro")
    text += "\n" + "\n".join(b for b in blocks if b.startswith("  - id: ") and "demo: birthday" not in b)
    values = next(b for b in blocks if b.startswith("    values:"))
    literal = next(b for b in blocks if "answer: 72" in b)
    text += ("\n  - id: intro-ml-oob\n    topic: intro\n    difficulty: hard\n    type: choice\n"
             "    prompt: What share of 1000 points does one bootstrap sample leave out?\n" + values +
             "    explanation: Each point is missed with probability (1 - 1/n)**n.\n"
             "\n  - id: intro-ml-conv\n    topic: intro\n    difficulty: easy\n    type: numeric\n" + literal +
             "    explanation: 3 x 3 x 1 x 8 = 72.\n")
    path.write_text(text, encoding="utf-8")
    result = invoke("verify", "--strict", "--json", path)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["banks"][0]["questions"] == 7 + 5 + 2 + 2

    [source] = re.findall(r"```python\n(.*?)```", guide, re.S)
    (tmp_path / "birthday.py").write_text(source, encoding="utf-8")
    spec, birthday = load_demo(tmp_path / "birthday.py", "birthday")
    check_demo_contract(spec, birthday)
    assert birthday.compute().p_shared == pytest.approx(0.5073, abs=1e-4)
    assert birthday.compute(people=366).p_shared == 1.0
    [toml] = re.findall(r"```toml\n(.*?)```", guide, re.S)
    assert 'birthday = "intro_ml.birthday"' in toml and 'intro-ml = "intro_ml.banks"' in toml


# ----- the other routes: MLQUIZ_BANKS and --bank

def test_mlquiz_banks_takes_folders_separated_by_os_pathsep(monkeypatch):
    monkeypatch.setenv("MLQUIZ_BANKS", os.pathsep.join([str(ALPHA), str(BETA)]))
    monkeypatch.setenv("COLUMNS", "250")
    listed = invoke("list", "--json")
    assert listed.exit_code == 0, listed.output
    ids = {b["id"] for b in json.loads(listed.stdout)["banks"]}
    assert {"gradients", "instr-alpha", "instr-beta"} <= ids
    practiced = invoke("practice", "-t", "instr-alpha", "-t", "instr-beta", "-n", "4", "--no-save", "--seed", "3",
                       input="s\n" * 4)
    assert practiced.exit_code == 0, practiced.output
    for prompt in ("Alpha asks whether ReLU", "Alpha asks whether the sigmoid", "Beta asks for 0.9",
                   "Beta asks whether gradient clipping"):
        assert prompt in practiced.stdout


@pytest.mark.parametrize("where", [ALPHA, ALPHA / "alpha.yaml"], ids=["folder", "file"])
def test_bank_option_takes_a_file_or_a_folder_on_every_command(where, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    listed = invoke("list", "--bank", where, "--json")
    assert listed.exit_code == 0, listed.output
    assert "instr-alpha" in {b["id"] for b in json.loads(listed.stdout)["banks"]}

    practiced = invoke("practice", "--bank", where, "-t", "instr-alpha", "-n", "2", input="t\nt\n\n")
    assert practiced.exit_code == 0, practiced.output
    assert practiced.stdout.count("✓ right") == 2

    stats = invoke("stats", "--bank", where, "--json")
    assert stats.exit_code == 0, stats.output
    topic = next(t for t in json.loads(stats.stdout)["topics"] if t["topic"] == "instr-alpha")
    assert topic["questions"] == 2 and topic["seen"] == 2

    out = tmp_path / "alpha.md"
    exported = invoke("export", "markdown", out, "--only", where)
    assert exported.exit_code == 0, exported.output
    sheet = out.read_text(encoding="utf-8")
    assert "### instr-alpha-relu" in sheet and "### instr-alpha-sigmoid" in sheet
    assert "chain-product-explode" not in sheet  # --only selects; the shipped bank is left out


def test_verify_takes_bank_like_every_command_that_reads_banks():
    """The issue: `--bank PATH` on every command that reads banks, and `mlquiz verify --bank`."""
    result = invoke("verify", "--bank", ALPHA / "alpha.yaml", "--json")
    assert result.exit_code == 0, result.output
    assert [b["bank"] for b in json.loads(result.stdout)["banks"]] == ["instr-alpha"]


# ----- broken banks and clashing ids

def test_a_broken_bank_is_skipped_and_the_others_keep_working(tmp_path, monkeypatch):
    monkeypatch.setenv("MLQUIZ_BANKS", str(ALPHA))
    monkeypatch.setenv("COLUMNS", "250")
    listed = invoke("list", "--bank", BROKEN, "--bank", BETA, "--json")
    assert listed.exit_code == 0, listed.output
    assert BROKEN_AT in listed.stderr and "YAML syntax error" in listed.stderr
    ids = {b["id"] for b in json.loads(listed.stdout)["banks"]}
    assert {"gradients", "instr-alpha", "instr-beta"} <= ids and "instr-broken" not in ids

    practiced = invoke("practice", "--bank", BROKEN, "-t", "instr-alpha", "-n", "2", "--no-save", input="t\nt\n\n")
    assert practiced.exit_code == 0, practiced.output
    assert BROKEN_AT in practiced.stderr and practiced.stdout.count("✓ right") == 2

    out = tmp_path / "sheet.md"
    exported = invoke("export", "markdown", out, "--only", BROKEN, "--only", BETA)
    assert exported.exit_code == 0, exported.output
    assert BROKEN_AT in exported.stderr
    sheet = out.read_text(encoding="utf-8")
    assert "### instr-beta-chain" in sheet and "instr-broken" not in sheet

    verified = invoke("verify", "--json", BROKEN, BETA)
    assert verified.exit_code == 1
    report = json.loads(verified.stdout)
    assert [p["line"] for p in report["problems"]] == [19]
    assert {Path(s["path"]).name: s["problems"] for s in report["banks"]} == {"broken.yaml": 1, "beta.yaml": 0}


def test_an_id_clash_names_both_files():
    verified = invoke("verify", ALPHA, CLASH.parent)
    assert verified.exit_code == 1
    line = next(l for l in verified.stderr.splitlines() if "instr-alpha-relu" in l)
    assert str(CLASH) in line and str(ALPHA / "alpha.yaml") in line

    listed = invoke("list", "--bank", ALPHA, "--bank", CLASH, "--json")
    assert listed.exit_code == 0, listed.output
    assert str(CLASH) in listed.stderr and str(ALPHA / "alpha.yaml") in listed.stderr
    ids = {b["id"] for b in json.loads(listed.stdout)["banks"]}
    assert "instr-alpha" in ids and "instr-clash" not in ids  # the later bank is skipped


# ----- the scaffold

def test_scaffold_passes_verify_strict_as_written(tmp_path):
    path = scaffold(tmp_path)
    result = invoke("verify", "--strict", "--json", path)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["warnings"] == []
    [summary] = report["banks"]
    assert summary["bank"] == "my-course" and summary["unverified"] == 0
    assert summary["variants"] > summary["questions"] and summary["demo_checks"] > 0
    bank, problems = load_bank_file(path)
    assert problems == []
    assert {q.type for q in bank.questions} == set(QUESTION_TYPES) - {"steps"}  # the scaffold keeps to single-answer kinds; steps: bank-format.md
    assert any(q.vary for q in bank.questions) and any(q.answer_from for q in bank.questions)
    assert path.read_text(encoding="utf-8").count("\n  # ") >= 7  # commented: a note above each example


def test_scaffold_never_overwrites(tmp_path):
    path = scaffold(tmp_path)
    before = path.read_bytes()
    again = invoke("bank", "new", "my-course", "--dir", tmp_path)
    assert again.exit_code == 1
    assert again.stderr.strip().splitlines() == [f"error: {path} already exists; choose another name or remove it "
                                                 "first"]
    assert path.read_bytes() == before


@pytest.mark.parametrize("name", ["My_Course", "my course", "x-", "x--y", "../escape", "a" * 41])
def test_scaffold_rejects_a_bad_name_in_one_line(name, tmp_path):
    result = invoke("bank", "new", name, "--dir", tmp_path)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "must be lowercase words joined by '-'" in lines[0], result.stderr
    assert list(tmp_path.iterdir()) == []


def test_scaffold_needs_an_existing_folder(tmp_path):
    result = invoke("bank", "new", "x", "--dir", tmp_path / "missing")
    assert result.exit_code == 1 and "no such folder" in result.stderr


# ----- verify --strict

def test_an_unbacked_number_warns_and_fails_only_under_strict():
    plain = invoke("verify", UNBACKED)
    assert plain.exit_code == 0, plain.output
    warning = f"warning: {UNBACKED}:6:1: instr-unbacked-conv-weights: numeric answer is a literal that no demo backs"
    assert warning in plain.stderr

    strict = invoke("verify", "--strict", UNBACKED)
    assert strict.exit_code == 1
    assert f"error: {UNBACKED}:6:1: instr-unbacked-conv-weights" in strict.stderr


def test_strict_json_summarises_each_bank():
    result = invoke("verify", "--strict", "--json", UNBACKED, ALPHA, BETA)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert not report["ok"]
    banks = {s["bank"]: s for s in report["banks"]}
    assert banks["instr-unbacked"] | {"path": None} == {
        "path": None, "bank": "instr-unbacked", "questions": 2, "variants": 2, "demo_checks": 0, "unverified": 1,
        "problems": 1}
    assert banks["instr-alpha"]["problems"] == 0 and banks["instr-beta"]["problems"] == 0
    assert [p["question"] for p in report["problems"]] == ["instr-unbacked-conv-weights"]


def test_verify_counts_each_demo_value_once(tmp_path):
    """beta has one demo-backed number (answer_from, no separate demo); the scaffold has 1 + 4 variants."""
    result = invoke("verify", "--json", BETA, scaffold(tmp_path))
    assert result.exit_code == 0, result.output
    checks = {s["bank"]: s["demo_checks"] for s in json.loads(result.stdout)["banks"]}
    assert checks == {"instr-beta": 1, "my-course": 5}


@pytest.mark.parametrize("fixture, message", [
    ("missing_explanation.yaml", "missing required key 'explanation'"),
    ("duplicate_option.yaml", "option 'Alpha' appears twice"),
])
def test_strict_fails_on_missing_explanations_and_repeated_options(fixture, message):
    result = invoke("verify", "--strict", BAD / fixture)
    assert result.exit_code == 1
    assert message in result.stderr


# ----- export: Anki

def read_apkg(path: Path, scratch: Path) -> dict:
    """Open an .apkg as what it is: a zip holding an Anki SQLite collection."""
    assert zipfile.is_zipfile(path)
    with zipfile.ZipFile(path) as package:
        assert "collection.anki2" in package.namelist()
        database = scratch / f"{path.stem}.anki2"
        database.write_bytes(package.read("collection.anki2"))
    with closing(sqlite3.connect(database)) as con:
        decks = {int(k): v["name"] for k, v in json.loads(con.execute("SELECT decks FROM col").fetchone()[0]).items()}
        models = json.loads(con.execute("SELECT models FROM col").fetchone()[0])
        count = con.execute("SELECT count(*) FROM notes").fetchone()[0]
        rows = con.execute("SELECT n.guid, n.mid, n.flds, n.tags, c.did FROM notes n JOIN cards c ON c.nid = n.id"
                           " ORDER BY n.id").fetchall()
    database.unlink()
    assert len(rows) == count  # one card per note
    notes = [{"guid": guid, "mid": mid, "fields": flds.split("\x1f"), "tags": tags.split(), "deck": decks[did],
              "deck_id": did} for guid, mid, flds, tags, did in rows]
    return {"notes": notes, "models": models}


def check_anki(package: dict, expected: list[dict], *, deck_by: str) -> None:
    [(model_id, model)] = package["models"].items()
    assert [f["name"] for f in model["flds"]] == ["Question", "Answer", "Explanation", "Demo", "QuestionId"]
    by_label = {label(r, "anki"): r for r in expected}
    notes = package["notes"]
    assert sorted(n["fields"][4] for n in notes) == sorted(by_label)  # one note per item
    assert len({n["guid"] for n in notes}) == len(notes)
    for note in notes:
        record = by_label[note["fields"][4]]
        question, answer, explanation, demo, _ = note["fields"]
        assert note["mid"] == int(model_id)
        prompt, *options = question.removesuffix("</div>").split('<div class="options">')
        assert anki_text(prompt) == record["prompt"]
        shown = [re.sub(r"^[a-z]\) ", "", anki_text(o)) for o in options[0].split("<br>")] if options else []
        assert shown == record["options"]
        assert anki_text(answer) == record["answer_text"]
        assert anki_text(explanation) == record["explanation"]
        if record["proof_command"]:
            assert html.unescape(demo).startswith(record["proof_command"])
        assert record["topic"] in note["tags"]
        wanted = record["bank_title"] if deck_by == "bank" else record["topic"]
        assert note["deck"] == f"mlquiz::{wanted}"


def anki_text(field: str) -> str:
    """What Anki shows for an HTML field: entities decoded, <br> as a line break."""
    return html.unescape(field.replace("<br>", "\n"))


def test_anki_export_is_an_anki_collection_whose_note_ids_survive_edits(tmp_path):
    bank = scaffold(tmp_path)
    special = tmp_path / "special.yaml"
    shutil.copy(SPECIAL, special)
    first, second = tmp_path / "first.apkg", tmp_path / "second.apkg"
    result = invoke("export", "anki", first, "--only", bank, "--only", special, "--variants", "2")
    assert result.exit_code == 0, result.output
    before = read_apkg(first, tmp_path)
    check_anki(before, records([bank, special], 2), deck_by="bank")
    assert {n["deck"] for n in before["notes"]} == {"mlquiz::My course", "mlquiz::Special characters"}

    # edit a prompt and move the last question to the front: notes must keep their ids
    text = special.read_text(encoding="utf-8").replace("GIFT writes a backslash", "GIFT always writes a backslash")
    head, *questions = text.split("\n  - id: ")
    special.write_text("\n  - id: ".join([head, questions[-1].rstrip("\n") + "\n", *questions[:-1]]) + "\n",
                       encoding="utf-8")
    result = invoke("export", "anki", second, "--only", bank, "--only", special, "--variants", "2")
    assert result.exit_code == 0, result.output
    after = read_apkg(second, tmp_path)
    check_anki(after, records([bank, special], 2), deck_by="bank")

    guids = [{n["fields"][4]: n["guid"] for n in export["notes"]} for export in (before, after)]
    assert guids[0] == guids[1]
    assert before["models"].keys() == after["models"].keys()
    assert {n["deck_id"] for n in before["notes"]} == {n["deck_id"] for n in after["notes"]}
    edited = [next(n["fields"][0] for n in export["notes"] if n["fields"][4] == "instr-special-true")
              for export in (before, after)]
    assert "GIFT writes" in edited[0] and "GIFT always writes" in edited[1]


def test_anki_export_has_one_deck_per_topic_on_request(tmp_path):
    out = tmp_path / "topics.apkg"
    result = invoke("export", "anki", out, "--only", SPECIAL, "--deck-by", "topic")
    assert result.exit_code == 0, result.output
    package = read_apkg(out, tmp_path)
    check_anki(package, records([SPECIAL]), deck_by="topic")
    assert {n["deck"] for n in package["notes"]} == {"mlquiz::instr-escaping", "mlquiz::instr-text",
                                                     "mlquiz::instr-numbers"}
    bad = invoke("export", "anki", out, "--deck-by", "file")
    assert bad.exit_code == 2 and "use bank or topic" in bad.output


# ----- export: Moodle GIFT

GIFT_SPECIAL = set("~=#{}:\\")


def _scan(text: str) -> list[tuple[str, bool]]:
    """(character, escaped) pairs of GIFT text; a backslash escapes the next character, \\n is a newline."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(("\n" if text[i + 1] == "n" else text[i + 1], True))
            i += 2
        else:
            out.append((text[i], False))
            i += 1
    return out


def _find(chars, token: str, start: int = 0) -> int:
    """Index of the first unescaped ``token`` at or after ``start``; -1 if absent."""
    for i in range(start, len(chars) - len(token) + 1):
        if all(c == t and not escaped for (c, escaped), t in zip(chars[i:i + len(token)], token)):
            return i
    return -1


def _text(chars) -> str:
    # an unescaped special character inside text means the exporter forgot to escape it
    stray = [c for c, escaped in chars if c in GIFT_SPECIAL and not escaped]
    assert not stray, f"unescaped {stray} in {''.join(c for c, _ in chars)!r}"
    return "".join(c for c, _ in chars)


def parse_gift(text: str) -> list[dict]:
    """The subset of GIFT that mlquiz writes: categories, then ``::title::text {answers ####feedback}``."""
    questions, category = [], None
    for line in text.splitlines():
        if not line.strip() or line.startswith("//"):
            continue
        if line.startswith("$CATEGORY:"):
            category = line.removeprefix("$CATEGORY:").strip()
            continue
        chars = _scan(line)
        assert line.startswith("::"), line
        title_end = _find(chars, "::", 2)
        brace = _find(chars, "{", title_end + 2)
        assert title_end > 0 and brace > 0 and chars[-1] == ("}", False), line
        assert _find(chars, "}", brace + 1) == len(chars) - 1, f"stray closing brace in {line!r}"
        body = chars[brace + 1:-1]
        split = _find(body, "####")
        answers = body[:split] if split >= 0 else body
        question = {"category": category, "title": _text(chars[2:title_end]),
                    "text": _text(chars[title_end + 2:brace]).removesuffix(" "),
                    "feedback": _text(body[split + 4:]) if split >= 0 else None}
        question.update(_parse_answers(answers))
        questions.append(question)
    return questions


def _parse_answers(chars) -> dict:
    plain = "".join(c for c, _ in chars).strip()
    if not plain:
        return {"kind": "essay"}
    if plain in ("TRUE", "FALSE"):
        return {"kind": "truefalse", "value": plain == "TRUE"}
    if chars[_first_content(chars)] == ("#", False):
        value, _, tolerance = plain[1:].partition(":")
        return {"kind": "numeric", "value": float(value), "tolerance": float(tolerance)}
    starts = [i for i, (c, escaped) in enumerate(chars) if c in "=~" and not escaped] + [len(chars)]
    assert starts[0] == _first_content(chars), f"text before the first answer: {plain!r}"
    answers = []
    for start, end in zip(starts, starts[1:]):
        marker, rest = chars[start][0], chars[start + 1:end]
        weight = None
        if rest and rest[0] == ("%", False):
            close = _find(rest, "%", 1)
            weight = float("".join(c for c, _ in rest[1:close]))
            rest = rest[close + 1:]
        answers.append((marker, weight, _text(rest).strip()))
    markers = {m for m, _, _ in answers}
    if markers == {"="}:
        return {"kind": "shortanswer", "answers": [a for _, _, a in answers]}
    if all(w is not None for _, w, _ in answers):
        return {"kind": "multi", "options": [a for _, _, a in answers], "weights": [w for _, w, _ in answers]}
    assert [m for m, _, _ in answers].count("=") == 1, plain
    return {"kind": "choice", "options": [a for _, _, a in answers],
            "right": next(a for m, _, a in answers if m == "=")}


def _first_content(chars) -> int:
    return next(i for i, (c, escaped) in enumerate(chars) if escaped or not c.isspace())


def check_gift(text: str, expected: list[dict]) -> None:
    parsed = {q["title"]: q for q in parse_gift(text)}
    assert sorted(parsed) == sorted(label(r, "gift") for r in expected)
    for record in expected:
        q = parsed[label(record, "gift")]
        where = record["id"]
        assert q["category"] == f"mlquiz/{record['bank']}/{record['topic']}", where
        assert q["text"] == record["prompt"], where
        kind = record["type"]
        if kind == "recall":
            assert q["kind"] == "essay", where
            assert record["answer_text"] in q["feedback"] and record["explanation"] in q["feedback"], where
            continue
        assert q["feedback"] == record["explanation"], where
        if kind == "choice":
            assert q["kind"] == "choice" and q["options"] == record["options"], where
            assert q["right"] == record["answer"], where
        elif kind == "multi":
            assert q["kind"] == "multi" and q["options"] == record["options"], where
            right = [w for o, w in zip(q["options"], q["weights"]) if o in record["answer"]]
            wrong = [w for o, w in zip(q["options"], q["weights"]) if o not in record["answer"]]
            assert len(right) == len(record["answer"]) and all(w > 0 for w in right), where
            assert sum(right) == pytest.approx(100, abs=1e-3) and all(w < 0 for w in wrong), where
        elif kind == "truefalse":
            assert (q["kind"], q["value"]) == ("truefalse", record["answer"]), where
        elif kind == "numeric":
            rel, absolute = record["tolerance"]
            assert q["kind"] == "numeric" and q["value"] == record["answer"], where
            assert q["tolerance"] == pytest.approx(max(absolute, rel * abs(record["answer"])), rel=1e-5), where
        elif kind == "text":
            assert q["kind"] == "shortanswer" and q["answers"] == [record["answer"], *record["accept"]], where


def test_gift_export_parses_back_to_the_bank(tmp_path):
    bank = scaffold(tmp_path)
    out = tmp_path / "quiz.txt"
    result = invoke("export", "gift", out, "--only", bank, "--only", SPECIAL, "--variants", "3")
    assert result.exit_code == 0, result.output
    expected = records([bank, SPECIAL], 3)
    text = out.read_text(encoding="utf-8")
    check_gift(text, expected)
    assert {r["type"] for r in expected} == set(QUESTION_TYPES) - {"steps"}  # the scaffold keeps to single-answer kinds; steps: bank-format.md
    # both tolerance forms: 0.1% of 13780.6 beats abs 0.5; abs 0.05 beats 1% of 0.9**10
    assert "{#13780.61233982238:13.7806 " in text and "{#0.3486784401000001:0.05 " in text


def test_gift_parser_catches_a_missing_escape():
    with pytest.raises(AssertionError, match="unescaped"):
        parse_gift("::t::a = b {TRUE}")
    assert parse_gift(r"::t::a \= b\n\\n {TRUE}")[0]["text"] == "a = b\n\\n"


# ----- export: Markdown

def study_sheet(text: str) -> tuple[dict, list[str]]:
    """Sections of the rendered sheet by heading, and any stray top-level headings after the title.

    Text is what a reader sees: raw HTML (which a browser hides) is left out, line breaks are kept.
    """
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(text)
    sections: dict[str, dict] = {}
    stray: list[str] = []
    topic = current = None
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            title = tokens[index + 1].content
            if token.tag == "h2":
                topic, current = title, None
            elif token.tag == "h3":
                current = sections.setdefault(title, {"topic": topic, "blocks": []})
            elif index > 0:
                stray.append(title)
        elif token.type == "inline" and tokens[index - 1].type != "heading_open" and current is not None:
            current["blocks"].append(_seen(token))
    return sections, stray


def _seen(inline) -> str:
    parts = []
    for child in inline.children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)


def check_markdown(text: str, expected: list[dict]) -> None:
    sections, stray = study_sheet(text)
    assert stray == []
    assert sorted(sections) == sorted(label(r, "markdown") for r in expected)
    for record in expected:
        section = sections[label(record, "markdown")]
        where, blocks = record["id"], section["blocks"]
        assert section["topic"] == record["topic"], where
        assert record["prompt"] in blocks, (where, blocks)
        for letter, option in zip("abcdefghij", record["options"]):
            assert f"{letter}) {option}" in blocks, (where, blocks)
        unit = f" {record['unit']}" if record["unit"] else ""
        assert f"Answer: {record['answer_text']}{unit}" in blocks, (where, blocks)
        assert record["explanation"] in blocks, (where, blocks)
        if record["proof_command"]:
            value = f" → {record['proof_value']}" if record["proof_value"] else ""
            assert f"Demo: {record['proof_command']}{value}" in blocks, (where, blocks)


def test_markdown_study_sheet_has_every_question_under_its_topic(tmp_path):
    bank = scaffold(tmp_path)
    out = tmp_path / "study.md"
    result = invoke("export", "markdown", out, "--only", bank, "--only", SPECIAL, "--variants", "2")
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    expected = records([bank, SPECIAL], 2)
    check_markdown(text, expected)
    assert "Demo: `mlquiz demo gradient-chain --factor 0.9 --layers 20` → `product = 0.121577`" in text


def test_markdown_study_sheet_shows_markup_in_questions_as_written(tmp_path):
    """A prompt that mentions <eos> or starts a line with # must read the same in the rendered sheet."""
    out = tmp_path / "markup.md"
    result = invoke("export", "markdown", out, "--only", MARKUP)
    assert result.exit_code == 0, result.output
    check_markdown(out.read_text(encoding="utf-8"), records([MARKUP]))


def test_export_filters_by_topic_and_makes_the_chosen_number_of_variants(tmp_path):
    out = tmp_path / "numbers.md"
    result = invoke("export", "markdown", out, "--only", SPECIAL, "--topic", "instr-numbers", "--variants", "3")
    assert result.exit_code == 0, result.output
    assert "4 items from 2 questions" in result.stdout  # 1 + the first 3 of 4 variants
    sections, _ = study_sheet(out.read_text(encoding="utf-8"))
    assert sorted(sections) == ["instr-special-tolerance-abs (variant 1)", "instr-special-tolerance-abs (variant 2)",
                                "instr-special-tolerance-abs (variant 3)", "instr-special-tolerance-rel"]
    unknown = invoke("export", "markdown", out, "--only", SPECIAL, "--topic", "instr-nope")
    assert unknown.exit_code == 1 and "--topic 'instr-nope': no topic" in unknown.stderr


# ----- plugins that are installed wrongly get one line, not a traceback

def fake_distribution(site: Path, entry_points: str) -> None:
    """A real installed distribution (a dist-info folder) with only the given entry points."""
    info = site / "instructor_course-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: instructor-course\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(entry_points)


@pytest.mark.parametrize("group, command", [("mlquiz.banks", "list"), ("mlquiz.demos", "demo")])
def test_an_entry_point_naming_a_missing_package_is_one_line(group, command, tmp_path):
    fake_distribution(tmp_path, f"[{group}]\nmine = instructor_cuorse.things\n")  # a typo in the package
    result = run(command, env=on_path(tmp_path))
    assert "Traceback" not in result.stderr, result.stderr[-600:]
    assert result.returncode == 0  # a broken plugin costs only itself (issue #12, D17): the rest is listed
    assert "gradient-chain" in result.stdout or "gradients" in result.stdout
    assert "'instructor_cuorse.things'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_bank_folder_without_init_py_is_found(tmp_path):
    """Hatchling ships a data folder without __init__.py as it is: an implicit namespace package."""
    (tmp_path / "instructor_course" / "banks").mkdir(parents=True)
    (tmp_path / "instructor_course" / "__init__.py").write_text("")
    shutil.copy(ALPHA / "alpha.yaml", tmp_path / "instructor_course" / "banks")
    fake_distribution(tmp_path, "[mlquiz.banks]\ncourse = instructor_course.banks\n")
    result = run("list", "--json", env=on_path(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "instr-alpha" in {b["id"] for b in json.loads(result.stdout)["banks"]}


# ----- a new instructor, start to finish

def test_new_instructor_from_scaffold_to_practice_and_exports(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    made = run("bank", "new", "intro-course", "--dir", "course", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "check it with: mlquiz verify course/intro-course.yaml" in made.stdout
    path = course / "intro-course.yaml"

    # edit: the course's own topic, a changed question, and one more variant
    edits = [("topic: gradients", "topic: intro"),
             ("scales the gradient by 0.9.", "scales the gradient by 0.95."),
             ("{factor: 0.9, layers: 100}", "{factor: 0.95, layers: 100}"), ("0.9**100", "0.95**100"),
             ("      - {layers: 30, factor: 1.5}\n",
              "      - {layers: 30, factor: 1.5}\n      - {layers: 100, factor: 1.01}\n")]
    text = path.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")

    verified = run("verify", "--strict", "course/intro-course.yaml", cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # a broken edit is reported at its line, with the fix
    path.write_text(text.replace("key: product}", "key: prodcut}", 1), encoding="utf-8")
    broken = run("verify", "course/intro-course.yaml", cwd=tmp_path)
    assert broken.returncode == 1 and "did you mean 'product'?" in broken.stderr
    path.write_text(text, encoding="utf-8")

    practiced = run("practice", "-t", "intro", "-n", "7", "--seed", "1", input="s\n" * 7,
                    env={"MLQUIZ_BANKS": str(course)}, cwd=tmp_path)
    assert practiced.returncode == 0, practiced.stderr
    assert "scales the gradient by 0.95" in practiced.stdout and "0 answered, 7 skipped" in practiced.stdout

    env = {"MLQUIZ_BANKS": str(course)}
    for fmt, name in (("anki", "intro.apkg"), ("gift", "intro.txt"), ("markdown", "intro.md")):
        result = run("export", fmt, name, "--only", "intro-course", "--variants", "5", env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "11 items from 7 questions" in result.stdout  # 6 + the parameterized one's 5 variants
    expected = records([path], 5)
    check_anki(read_apkg(tmp_path / "intro.apkg", tmp_path), expected, deck_by="bank")
    check_gift((tmp_path / "intro.txt").read_text(encoding="utf-8"), expected)
    check_markdown((tmp_path / "intro.md").read_text(encoding="utf-8"), expected)
