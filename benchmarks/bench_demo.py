#!/usr/bin/env python3
"""Where the demo's time goes: each step of ``shuangsuiji demo``, its wall time, CPU time and peak memory.

    .venv/bin/python benchmarks/bench_demo.py [--entities 800000] [--compare TREE] [--no-write]

Runs the whole demo (``run_demo``) in a fresh process and times each of its steps (the progress
messages), and inside them the assignment's parts (reading the inputs, staffing the groups, dating,
the rule check, writing; and in ``verify`` the re-solve and the certificate check). Memory is the
peak proportional set size (PSS: shared pages counted once) of the demo's process and its worker
processes together, sampled every 200 ms during the step. With ``--compare TREE`` (a checkout, e.g.
``git worktree add /tmp/before HEAD``) the same demo runs first on that tree, in the same session.
Results are appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
#: The assignment's parts timed inside the demo's steps: (module, function, label).
PARTS = (
    ("shuangsuiji.workflow._staffing", "load_assignment_inputs", "read the inputs, merge visits, recusals"),
    ("shuangsuiji.assignment.orchestrate", "_settle", "staff the groups (flows, certificates)"),
    ("shuangsuiji.assignment.orchestrate", "_dates", "date the visits"),
    ("shuangsuiji.assignment.orchestrate", "check_assignment", "check every rule"),
    ("shuangsuiji.workflow._staffing", "write_assignment", "write the assignment"),
    ("shuangsuiji.assignment.verify", "load_assignment_inputs", "verify: read the inputs"),
    ("shuangsuiji.assignment.verify", "_recompute", "verify: solve the assignment again"),
    ("shuangsuiji.assignment.verify", "check_assignment", "verify: check every rule"),
    ("shuangsuiji.assignment.verify", "verify_certificate", "verify: check the certificate"),
)


class Sampler:
    """Peak resident memory of this process and its children, sampled in a thread."""

    def __init__(self) -> None:
        import psutil

        self.me = psutil.Process()
        self.peak = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                # PSS: pages a forked worker shares with its parent count once, not once per process.
                pss = self.me.memory_full_info().pss
                pss += sum(c.memory_full_info().pss for c in self.me.children(recursive=True))
            except Exception:  # a child may end while it is read
                continue
            self.peak = max(self.peak, pss)
            time.sleep(0.2)

    def take(self) -> float:
        """The peak since the last call, in MiB (and start again)."""
        peak, self.peak = self.peak, 0
        return peak / 2**20


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def worker(entities: int, out: str) -> dict[str, Any]:
    import importlib

    from shuangsuiji.workflow.demo import run_demo

    sampler = Sampler()
    steps: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    current: dict[str, Any] = {}

    def say(name: str | None) -> None:
        now, cpu = time.perf_counter(), _cpu()
        if current:
            steps.append(
                {
                    "step": current["name"],
                    "seconds": now - current["t"],
                    "cpu": cpu - current["cpu"],
                    "peak_mib": sampler.take(),
                }
            )
        current.update(name=name, t=now, cpu=cpu)

    def timing(f: Any, label: str) -> Any:
        @functools.wraps(f)
        def timed(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return f(*a, **k)
            finally:
                parts.append({"step": current.get("name"), "part": label, "seconds": time.perf_counter() - t0})

        return timed

    for module, name, label in PARTS:
        mod = importlib.import_module(module)
        if hasattr(mod, name):
            setattr(mod, name, timing(getattr(mod, name), label))
    start = time.perf_counter()
    run_demo(out, entities=entities, progress=say, secret=bytes(32))
    say(None)
    sampler.stop.set()
    with open(Path(out) / "publish" / "draw" / "visits.csv", encoding="utf-8-sig") as rows:
        visits = sum(1 for _ in rows) - 1
    return {"seconds": time.perf_counter() - start, "visits": visits, "steps": steps, "parts": parts}


def measure(tree: Path, entities: int, out: str) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    script = tree / "benchmarks" / "bench_demo.py"
    if not script.exists():
        script = Path(__file__)
    cmd = [sys.executable, str(script), "--worker", str(entities), out]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _table(runs: dict[str, dict[str, Any]]) -> list[str]:
    names = list(runs)
    head = "| step | " + " | ".join(f"{n}: wall s | {n}: CPU s | {n}: peak MiB" for n in names) + " |"
    lines = [head, "|---|" + "---:|" * (3 * len(names))]
    first = runs[names[0]]
    for i, step in enumerate(first["steps"]):
        cells = []
        for n in names:
            s = runs[n]["steps"][i]
            cells += [f"{s['seconds']:.1f}", f"{s['cpu']:.1f}", f"{s['peak_mib']:,.0f}"]
        lines.append(f"| {step['step']} | " + " | ".join(cells) + " |")
        for j, part in enumerate(p for p in first["parts"] if p["step"] == step["step"]):
            others = [[p for p in runs[n]["parts"] if p["step"] == step["step"]] for n in names]
            cells = []
            for other in others:
                cells += [f"{other[j]['seconds']:.1f}" if j < len(other) else "", "", ""]
            lines.append(f"| &nbsp;&nbsp;{part['part']} | " + " | ".join(cells) + " |")
    totals = []
    for n in names:
        totals += [f"**{runs[n]['seconds']:.1f}**", f"{sum(s['cpu'] for s in runs[n]['steps']):.1f}", ""]
    lines.append("| whole demo | " + " | ".join(totals) + " |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=800_000)
    parser.add_argument("--out", default="/tmp/bench-demo")
    parser.add_argument("--compare", type=Path, help="a checkout measured first, in the same run")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(int(args.worker[0]), args.worker[1])))
        return 0
    from bench_draw import machine  # type: ignore[import-not-found]

    runs: dict[str, dict[str, Any]] = {}
    if args.compare:
        runs["before"] = measure(args.compare, args.entities, args.out + "-before")
        print("before", round(runs["before"]["seconds"], 1), flush=True)
    runs["after" if args.compare else "this tree"] = measure(ROOT.parent, args.entities, args.out)
    visits = next(iter(runs.values()))["visits"]
    lines = [
        f"### The demo, step by step, {dt.date.today().isoformat()}",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_demo.py --entities {args.entities}"
        + (f" --compare {args.compare}`" if args.compare else "`")
        + "  ",
        f"Machine: {machine()}  ",
        f"One run each, a fresh process; {args.entities:,} entities, {visits:,} visits. CPU counts the worker "
        "processes too; memory is the peak PSS of the process and its workers together during the step.",
        "",
        *_table(runs),
    ]
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    if not args.no_write:
        results = ROOT / "RESULTS.md"
        results.write_text(results.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
