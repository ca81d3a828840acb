"""mlquiz benchmarks: every figure measured side by side in one run, medians over repeats.

    python benchmarks/run.py            # a table of figures against their goals
    python benchmarks/run.py --json     # the same as JSON
    python benchmarks/run.py --quick    # fewer repeats

Startup figures are ratios to a minimal typer app (benchmarks/minimal_app.py) timed in the same
loop, interleaved, so machine load cancels out. Absolute goals (loading a 2,500-question bank, verify,
stats over 100,000 reviews, demos) are seconds on this machine. Exit code 1 if a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
MINIMAL = [PYTHON, str(HERE / "minimal_app.py")]
MLQUIZ = [PYTHON, "-m", "mlquiz"]


def timed_run(argv, *, stdin: str | None = None, env=None) -> float:
    start = time.perf_counter()
    subprocess.run(argv, input=stdin, text=True, capture_output=True, env=env, check=False)
    return time.perf_counter() - start


def time_to_prompt(argv, env, marker: str = "(? hint") -> float:
    """Seconds until ``marker`` (the first answer prompt) appears on stdout; then the run is quit."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env={**env, "PYTHONUNBUFFERED": "1"}, text=True)
    seen = ""
    while marker not in seen:
        char = proc.stdout.read(1)
        if not char:
            raise RuntimeError(f"{argv} ended before its first question: {seen[-300:]!r}")
        seen += char
    elapsed = time.perf_counter() - start
    proc.communicate("q\n")
    return elapsed


def interleaved(pairs, repeat: int) -> list[float]:
    """Median time of each command, running them in turn so that load affects all alike."""
    times = [[] for _ in pairs]
    for _ in range(repeat):
        for index, (argv, stdin, env) in enumerate(pairs):
            times[index].append(timed_run(argv, stdin=stdin, env=env))
    return [statistics.median(t) for t in times]


def figure(name, value, goal, unit, note=""):
    """One measured figure; ``goal=None`` marks a figure reported for information only."""
    return {"figure": name, "value": round(value, 4), "goal": goal, "unit": unit,
            "ok": goal is None or value <= goal, "note": note}


def startup_figures(repeat: int, env) -> list[dict]:
    floor_help, help_, version, floor_cmd = interleaved([
        (MINIMAL + ["--help"], None, env),
        (MLQUIZ + ["--help"], None, env),
        (MLQUIZ + ["--version"], None, env),
        (MINIMAL + ["--name", "bench"], None, env),
    ], repeat)
    first_q = statistics.median(time_to_prompt(MLQUIZ + ["practice", "--no-save", "--seed", "1"], env)
                                for _ in range(repeat))
    shipped = ensure_prebuilt(env)
    first_run, warm_run = first_run_times(max(3, repeat // 3), env)
    floor_cmd = statistics.median([floor_cmd] + [timed_run(MINIMAL + ["--name", "bench"], env=env)
                                                 for _ in range(repeat)])
    return [
        figure("mlquiz --help / minimal typer --help", help_ / floor_help, 1.2, "x",
               f"{help_ * 1000:.0f} ms vs {floor_help * 1000:.0f} ms"),
        figure("mlquiz --version / minimal typer --help", version / floor_help, 1.2, "x",
               f"{version * 1000:.0f} ms vs {floor_help * 1000:.0f} ms"),
        figure("first practice question / minimal typer command", first_q / floor_cmd, 1.5, "x",
               f"{first_q * 1000:.0f} ms to the first prompt vs {floor_cmd * 1000:.0f} ms (warm cache)"),
        figure("first run after install / warm run, to the first question", first_run / warm_run, 1.5, "x",
               f"first {first_run * 1000:.0f} ms vs warm {warm_run * 1000:.0f} ms (fresh home, same run; {shipped})"),
    ]


def ensure_prebuilt(env) -> str:
    """An install ships mlquiz/prebuilt.json.gz, made by the wheel's build hook; a checkout whose banks
    or code changed since has a stale one, so make it as the install would, and say so."""
    check = "from mlquiz.demokit import prebuilt; print(bool(prebuilt.contents()))"
    fresh = subprocess.run([PYTHON, "-c", check], env=env, capture_output=True, text=True).stdout.strip() == "True"
    if fresh:
        return "prebuilt file as installed"
    subprocess.run([PYTHON, "-m", "mlquiz.content.prebuild"], env=env, check=True, capture_output=True)
    return "prebuilt file remade, as an install makes it"


def first_run_times(repeat: int, env) -> tuple[float, float]:
    """Median seconds to the first question on a fresh install (empty data and cache folders) and on
    the run right after it (warm cache), measured in pairs so that load affects both alike."""
    first, warm = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as fresh:
            fresh_env = {**env, "MLQUIZ_HOME": fresh}
            argv = MLQUIZ + ["practice", "--no-save", "--seed", "1"]
            first.append(time_to_prompt(argv, fresh_env))
            warm.append(time_to_prompt(argv, fresh_env))
    return statistics.median(first), statistics.median(warm)


def generated_bank(path: Path, count: int) -> None:
    """A bank of ``count`` questions of every type, a fifth of them demo-backed."""
    lines = ["format_version: 1", "id: generated", "title: Generated", "description: Benchmark bank.",
             "questions:"]
    for i in range(count):
        kind = ("truefalse", "choice", "numeric", "text", "multi")[i % 5]
        lines += [f"  - id: gen-{i}", "    topic: gradients", "    difficulty: easy", f"    type: {kind}",
                  f"    prompt: Generated question number {i}?", "    explanation: Because it was generated."]
        if kind == "truefalse":
            lines.append("    answer: true")
        elif kind == "choice":
            lines += ["    options: [alpha, beta, gamma]", "    answer: beta"]
        elif kind == "numeric":
            lines.append(f"    answer_from: {{demo: gradient-chain, params: {{layers: {i % 100 + 1}}}, key: product}}")
        elif kind == "text":
            lines.append("    answer: relu")
        else:
            lines += ["    options: [alpha, beta, gamma]", "    answer: [alpha, gamma]"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# near the most a bank file may hold (yamlsrc.MAX_ENTRIES lines and commas; a 10,000-question file is refused)
LOAD_COUNT = 2_500


def load_figures(repeat: int, work: Path) -> list[dict]:
    from mlquiz.content import catalog
    from mlquiz.content.loading import load_banks

    bank = work / "generated.yaml"
    generated_bank(bank, LOAD_COUNT)
    cold = []
    for _ in range(max(2, repeat // 5)):
        start = time.perf_counter()
        result = load_banks([bank])  # parses and validates, no cache
        cold.append(time.perf_counter() - start)
        assert not result.problems and len(result.banks[0].questions) == LOAD_COUNT
    os.environ["MLQUIZ_HOME"] = str(work / "load-home")
    catalog.load_cached(bank)  # the first run fills the cache
    warm = []
    for _ in range(max(3, repeat // 3)):
        start = time.perf_counter()
        loaded, problems = catalog.load_cached(bank)
        warm.append(time.perf_counter() - start)
        assert not problems and len(loaded.questions) == LOAD_COUNT
    return [
        figure(f"load + validate {LOAD_COUNT:,} questions (cached by content)", statistics.median(warm), 0.25, "s",
               "what every run after the first pays"),
        figure(f"load + validate {LOAD_COUNT:,} questions (first run)", statistics.median(cold), 1.0, "s",
               "PyYAML's C parser alone takes most of this"),
    ]


def verify_figure(env) -> dict:
    seconds = statistics.median(timed_run(MLQUIZ + ["verify"], env=env) for _ in range(3))
    return figure("mlquiz verify (shipped banks)", seconds, 3.0, "s")


def stats_figures(repeat: int, env, home: Path) -> list[dict]:
    from datetime import datetime, timedelta, timezone

    from mlquiz.content.loading import load_banks, shipped_banks_dir
    from mlquiz.practice.scheduler import card_to_json, new_card
    from mlquiz.practice.stats import compute_stats
    from mlquiz.practice.store import Store

    questions = [q for b in load_banks([shipped_banks_dir()]).banks for q in b.questions]
    store = Store(home / "progress.db")
    start_day = datetime(2026, 1, 1, tzinfo=timezone.utc)
    rows = []
    for i in range(100_000):
        q = questions[i % len(questions)]
        rows.append((q.id, q.topic, 0, 3, 1 if i % 3 else 0, "x",
                     (start_day + timedelta(minutes=7 * i)).isoformat(), 1000, "bench", None))
    store.db.execute("BEGIN")
    store.db.executemany("""INSERT INTO reviews (question_id, topic, variant, rating, correct, response,
                            reviewed_at, duration_ms, session, card_before) VALUES (?,?,?,?,?,?,?,?,?,?)""", rows)
    for q in questions:
        card = new_card(q.id, start_day)
        store.db.execute("INSERT OR REPLACE INTO cards VALUES (?,?,?,?,?)",
                         (q.id, q.topic, card_to_json(card), card.due.isoformat(), start_day.isoformat()))
    store.db.execute("COMMIT")
    now = datetime.now(timezone.utc)
    inproc = []
    for _ in range(5):
        begin = time.perf_counter()
        compute_stats(questions, store, now)
        inproc.append(time.perf_counter() - begin)
    store.close()
    floor, whole = interleaved([(MINIMAL + ["--name", "bench"], None, env),
                                (MLQUIZ + ["stats", "--json"], None, env)], max(3, repeat // 2))
    return [
        figure("stats over 100,000 reviews (computation)", statistics.median(inproc), 0.3, "s"),
        figure("mlquiz stats, whole command, minus the typer floor", max(0.0, whole - floor), 0.3, "s",
               f"{whole * 1000:.0f} ms total, floor {floor * 1000:.0f} ms"),
    ]


def demo_figures() -> list[dict]:
    from mlquiz.demokit import registry

    figures = []
    for name, spec in registry.all_demos().items():
        values = spec.defaults()
        registry.compute(spec, values)  # import and warm up
        times = []
        for _ in range(3):
            start = time.perf_counter()
            registry.compute(spec, values)
            times.append(time.perf_counter() - start)
        figures.append(figure(f"demo {name} (defaults)", statistics.median(times), 1.0, "s"))
    return figures


def lstm_vs_reference() -> dict | None:
    """lstm-gradients at 1,000 steps and hidden 128 against the same pass in PyTorch, if installed."""
    try:
        import torch
    except ImportError:
        return None
    from mlquiz.demokit import registry

    spec = registry.get_demo("lstm-gradients")
    values = spec.resolve({"seq_len": 1000, "hidden": 128, "cells": "lstm"})
    start = time.perf_counter()
    registry.compute(spec, values)
    ours = time.perf_counter() - start
    lstm = torch.nn.LSTM(values["input_size"], 128, dtype=torch.float64)
    x = torch.randn(1000, 1, values["input_size"], dtype=torch.float64, requires_grad=True)
    start = time.perf_counter()
    out, _ = lstm(x)
    out[-1].sum().backward()
    theirs = time.perf_counter() - start
    return figure("lstm-gradients 1000x128 / PyTorch LSTM forward+backward", ours / theirs, 3.0, "x",
                  f"{ours * 1000:.0f} ms vs {theirs * 1000:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeat = 5 if args.quick else 15
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = {**os.environ, "MLQUIZ_HOME": str(work / "home")}
        subprocess.run(MLQUIZ + ["practice", "--no-save", "--seed", "1"], input="q\n", text=True,
                       capture_output=True, env=env)  # warm the cache once, as any second run would
        figures += startup_figures(repeat, env)
        figures += load_figures(repeat, work)
        figures.append(verify_figure(env))
        stats_home = work / "stats-home"
        figures += stats_figures(repeat, {**env, "MLQUIZ_HOME": str(stats_home)}, stats_home)
    figures += demo_figures()
    reference = lstm_vs_reference()
    if reference:
        figures.append(reference)
    if args.json:
        print(json.dumps({"figures": figures, "python": sys.version.split()[0]}, indent=2))
    else:
        width = max(len(f["figure"]) for f in figures)
        print(f"{'figure':<{width}}  {'value':>9}  {'goal':>8}  ok")
        for f in figures:
            goal = "info" if f["goal"] is None else f"<={f['goal']}{f['unit']}"
            verdict = "-" if f["goal"] is None else "yes" if f["ok"] else "NO"
            print(f"{f['figure']:<{width}}  {f['value']:>8.3f}{f['unit']}  {goal:>8}  {verdict:<3}  {f['note']}")
        if not reference:
            print("(no reference framework installed: the lstm-gradients vs PyTorch line is skipped)")
    return 0 if all(f["ok"] for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
