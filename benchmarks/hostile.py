"""Slow hostile-input checks (issue #12): time and memory per input, and random SIGKILLs mid-session.

    python benchmarks/hostile.py            # every input, then 30 kills
    python benchmarks/hostile.py --kills 5  # fewer kills

Each hostile bank is run through `mlquiz verify FILE` and `mlquiz list --bank FILE` in a fresh process;
each run must end with a one-line error or success, no traceback, in under 2 s and 200 MB peak RSS.
Then a session is killed with SIGKILL at random moments: every answer shown as graded must be stored.
Exit code 1 if anything fails.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MLQUIZ = [sys.executable, "-m", "mlquiz"]
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from mlquiz.content.yamlsrc import MAX_BYTES, MAX_ENTRIES as ENTRIES  # noqa: E402  (the limits under test)
TIME_LIMIT, MEMORY_LIMIT_MB = 2.0, 200
HEADER = "format_version: 1\nid: hostile\ntitle: T\ndescription: D\nquestions:\n"
Q = "  - id: hostile-{i}\n    topic: hostile\n    difficulty: easy\n    type: truefalse\n    prompt: P?\n" \
    "    answer: true\n    explanation: E.\n"


def inputs() -> dict[str, bytes]:
    long_multi = ("  - id: hostile-m\n    topic: hostile\n    difficulty: easy\n    type: multi\n    prompt: P?\n"
                  "    options: [" + ", ".join(f"option {i}" for i in range(26)) + "]\n    answer: ["
                  + ", ".join(f"answer text {i}" for i in range(10_000)) + "]\n    explanation: E.\n")
    return {
        "sexagesimal-3MB": ("x: 1" + ":59" * 1_000_000 + "\n").encode(),
        "int-5000-digits": ("x: 1" + "0" * 5000 + "\n").encode(),
        "alias-cycle": b"x: &r [*r]\n",
        "int-tag-abc": b"x: !!int abc\n",
        "multi-10k-answers": (HEADER + long_multi).encode(),
        "prompt-15MB": (HEADER + Q.format(i=1).replace("prompt: P?", "prompt: '" + "x" * 15_000_000 + "'")).encode(),
        "10k-questions": (HEADER + "".join(Q.format(i=i) for i in range(10_000))).encode(),
        "unknown-keys-100k": (HEADER + Q.format(i=1) + "".join(f"    k{i}: 1\n" for i in range(100_000))).encode(),
        "flow-list-2MB": ("x: [" + ",".join(["1"] * 1_000_000) + "]\n").encode(),
        "nested-brackets-20k-lines": "".join(f"x{i}: " + "[" * 99 + "]" * 99 + "\n" for i in range(20_000)).encode(),
        "nested-dashes-10k-lines": ("- " * 190 + "x\n").encode() * 10_000,
        # the largest inputs accepted: just under MAX_ENTRIES lines and commas, or MAX_BYTES
        "questions-at-cap": (HEADER + "".join(Q.format(i=i) for i in range(ENTRIES // 8 - 2))).encode(),
        "unknown-keys-at-cap": (HEADER + Q.format(i=1) + "".join(f"    k{i}: 1\n" for i in range(ENTRIES - 20))).encode(),
        "flow-list-at-cap": ("x: [" + ",".join(["1"] * (ENTRIES - 3)) + "]\n").encode(),
        "nested-brackets-at-cap": "".join(f"x{i}: " + "[" * 49 + "]" * 49 + "\n" for i in range(ENTRIES // 50)).encode(),
        "prompt-at-MAX_BYTES": (HEADER + Q.format(i=1).replace("prompt: P?", "prompt: '" + "x" * (MAX_BYTES - 300) + "'")
                                ).encode(),
        "nul-after-cjk": (HEADER + Q.format(i=1).replace("P?", "'" + "漢" * 2000 + "'") + "# \x00\n").encode(),
        "escape-in-hint": (HEADER + Q.format(i=1) + '    hint: "\\e]2;PWNED\\e\\\\"\n').encode(),
    }


def measured(argv, env, stdin=b"") -> tuple[float, float, int, bytes]:
    """(seconds, peak RSS in MB, exit code, stderr) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _out, err = proc.communicate(stdin, timeout=600)
    seconds = time.perf_counter() - start
    _pid, status, usage = os.wait4(proc.pid, 0) if proc.returncode is None else (0, 0, None)
    return seconds, _peak_mb(usage), proc.returncode, err


def _peak_mb(usage) -> float:
    import resource

    if usage is None:  # communicate() already reaped it: the children's maximum is this child's
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_maxrss / 1024


def check_inputs(work: Path, env) -> list[str]:
    failures = []
    for name, data in inputs().items():
        path = work / f"{name}.yaml"
        path.write_bytes(data)
        for command in (["verify", str(path)], ["list", "--bank", str(path)]):
            # a fresh interpreter per run, so RUSAGE_CHILDREN's maximum is this run's own
            code = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
                    "p = subprocess.run(sys.argv[1:], capture_output=True); s = time.perf_counter() - t; "
                    "print(s, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, p.returncode); "
                    "sys.stderr.buffer.write(p.stderr)")
            result = subprocess.run([sys.executable, "-c", code, *MLQUIZ, *command], capture_output=True, env=env,
                                    cwd=ROOT, timeout=900)
            seconds, peak, code_ = result.stdout.split()
            seconds, peak = float(seconds), float(peak)
            traceback = b"Traceback" in result.stderr
            ok = seconds < TIME_LIMIT and peak < MEMORY_LIMIT_MB and not traceback
            print(f"{'ok  ' if ok else 'FAIL'} {name:<20} {command[0]:<7} {seconds:6.2f} s {peak:6.0f} MB "
                  f"exit {int(code_)}")
            if not ok:
                failures.append(f"{name} {command[0]}")
    return failures


def check_kills(work: Path, env, kills: int, rng: random.Random) -> list[str]:
    bank = work / "kill-bank.yaml"
    bank.write_text(HEADER + "".join(Q.format(i=i) for i in range(200)), encoding="utf-8")
    graded = stored = 0
    integrity = "ok"
    for kill in range(kills):
        home = work / f"kill-home-{kill}"  # a fresh home each time, so every run has questions left
        env = {**env, "MLQUIZ_HOME": str(home), "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen([*MLQUIZ, "practice", "--bank", str(bank), "-t", "hostile", "-n", "200", "--new"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                                cwd=ROOT)
        os.set_blocking(proc.stdout.fileno(), False)
        deadline = time.monotonic() + rng.uniform(0.5, 3.0)
        seen = b""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                proc.stdin.write(b"t\n")
                proc.stdin.flush()
            except BrokenPipeError:
                break
            time.sleep(rng.uniform(0, 0.02))
            seen += proc.stdout.read() or b""
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        seen += proc.stdout.read() or b""
        shown = seen.count("✓ right".encode())
        kept = 0
        if (home / "progress.db").exists():
            with sqlite3.connect(home / "progress.db") as db:
                kept = db.execute("SELECT count(*) FROM reviews").fetchone()[0]
                check = db.execute("PRAGMA integrity_check").fetchone()[0]
                integrity = integrity if check == "ok" else check
        if kept < shown:
            integrity = f"run {kill}: {shown} graded, {kept} stored"
        graded, stored = graded + shown, stored + kept
    print(f"{kills} SIGKILLs: {graded} answers shown as graded, {stored} stored, integrity {integrity}")
    return [] if integrity == "ok" else [f"kills: {graded} graded, {stored} stored"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = {**os.environ, "MLQUIZ_HOME": str(work / "home"), "MLQUIZ_NO_CACHE": "1"}
        failures = check_inputs(work, env)
        failures += check_kills(work, env, args.kills, random.Random(12))
    for failure in failures:
        print("failed:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
