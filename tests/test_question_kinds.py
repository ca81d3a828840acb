"""The question kinds real interviews use: a worked example, code to read, data to read and a derivation,
answered in a real piped session; the store and stats keep the derivation's partial credit."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "kinds" / "kinds.yaml"
# answers by option text, so the shuffled order does not matter; the derivation's second step is wrong
ANSWERS = "s(x) * (1 - s(x))\n0.3\n3\nf\n0.25\n\n"


def mlquiz(*args, home, stdin=""):
    return subprocess.run([sys.executable, "-m", "mlquiz", *args], input=stdin, text=True, capture_output=True,
                          env={"MLQUIZ_HOME": str(home), "COLUMNS": "100", "PATH": "/usr/bin:/bin",
                               "PYTHONPATH": str(Path(__file__).parents[1])}, timeout=120)


def test_a_piped_session_answers_each_new_kind_and_keeps_partial_credit(tmp_path):
    run = mlquiz("practice", "--only", FIXTURE, "--bank", FIXTURE, "--seed", "1", home=tmp_path, stdin=ANSWERS)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert "step 1/2" in out and "step 2/2" in out and "derivation: 1 of 2 steps right" in out
    assert "def sigmoid(x):" in out  # the snippet is shown
    assert "● train loss" in out or "train loss" in out  # the chart of the real run is shown
    assert "4 answered, 0 skipped" in out
    assert "lowest at epoch" not in out  # the demo's own reading of the chart would give the answer away
    (db,) = list(tmp_path.rglob("progress.db"))
    rows = dict((q, (c, r, t)) for q, c, r, t in sqlite3.connect(db).execute(
        "SELECT question_id, correct, steps_right, steps_total FROM reviews"))
    assert rows["kinds-derivation"] == (0, 1, 2)
    assert rows["kinds-worked"][0] == rows["kinds-code"][0] == rows["kinds-data"][0] == 1
    stats = json.loads(mlquiz("stats", "--bank", FIXTURE, "--json", home=tmp_path).stdout)
    kinds = next(t for t in stats["topics"] if t["topic"] == "kinds")
    assert kinds["step_credit"] == 0.5 and kinds["seen"] == 4
    shown = mlquiz("stats", "--bank", FIXTURE, home=tmp_path).stdout
    assert "derivation steps right: kinds 1/2 (50%)" in shown


def test_list_counts_the_kinds(tmp_path):
    plain = json.loads(mlquiz("list", "--json", home=tmp_path).stdout)
    listed = json.loads(mlquiz("list", "--json", "--bank", FIXTURE, home=tmp_path).stdout)
    added = {kind: listed["kinds"][kind] - plain["kinds"][kind] for kind in listed["kinds"]}
    assert added == {"worked-example": 1, "code-reading": 1, "data-reading": 1, "derivation": 1}
    assert listed["types"]["steps"] - plain["types"].get("steps", 0) == 1


def test_verify_executes_the_snippet_and_recomputes_every_step(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(FIXTURE.read_text(encoding="utf-8").replace("key: grad_max.sigmoid", "key: grad_max"),
                      encoding="utf-8")
    run = mlquiz("verify", broken, home=tmp_path)
    assert run.returncode == 1 and "kinds-derivation" in run.stdout + run.stderr
    assert mlquiz("verify", "--strict", FIXTURE, home=tmp_path).returncode == 0
