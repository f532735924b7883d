#!/usr/bin/env python3
"""Benchmark of the draw against a bare hashlib loop and consistent_sampler.

    .venv/bin/python benchmarks/bench_draw.py [--sizes 1000000 10000000] [--repeats 3]

For each size it builds (once, cached in benchmarks/_work/) a population with 32 strata
(credit class x 8 zones), then times, each in a fresh process so that peak memory is its own:

- ``hashlib``: the floor, a bare loop ``sha256(f"{seed}:{scope}:{uscc}".encode()).hexdigest()``
  over the same ids (already in a Python list);
- ``draw``: ``shuangsuiji.draw(frame, plan, seed)`` on the frame read from Parquet (validation,
  tickets, allocation, selection and output frames; file reading not included);
- ``consistent_sampler``: the reference consistent sampler (PyPI ``consistent-sampler``) taking the
  same n_h per stratum (at sizes up to --cs-max, default 1,000,000).

It reports medians over --repeats runs, the ratios draw/hashlib and consistent_sampler/draw, and
peak resident memory, and appends a section to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
WORK = ROOT / "_work"
SEED = hashlib.sha256(b"shuangsuiji benchmark").hexdigest()
PLAN = {
    "id": "BENCH",
    "floor": "0.05",
    "multipliers": {"credit_class": {"A": "0.5", "B": "1", "C": "2", "D": "4"}},
    "tasks": [
        {
            "id": "T1",
            "department": "市场监管局",
            "items": ["企业公示信息"],
            "ratio": "0.03",
            "strata": ["credit_class", "zone"],
        }
    ],
}


def population_file(n: int) -> Path:
    path = WORK / f"population_{n}.parquet"
    if not path.exists():
        import numpy as np
        import pyarrow as pa
        import pyarrow.parquet as pq

        from shuangsuiji.synthetic import make_usccs

        WORK.mkdir(exist_ok=True)
        rng = np.random.default_rng(n)
        frame = make_usccs(n, seed=n)
        table = pa.table(
            {
                "uscc": pa.array(frame["uscc"].to_numpy(dtype=object), pa.string()),
                "credit_class": rng.choice(np.array(["A", "B", "C", "D"]), size=n, p=(0.2, 0.65, 0.1, 0.05)),
                "zone": rng.choice(np.array([f"Z{i}" for i in range(8)]), size=n),
            }
        )
        pq.write_table(table, path)
    return path


def worker(kind: str, n: int) -> dict[str, float]:
    """Run one measurement in this process; return seconds and peak RSS in MiB."""
    from shuangsuiji import draw, parse_plan, read_table

    frame = read_table(population_file(n))
    plan = parse_plan(PLAN)
    if kind == "hashlib":
        ids = frame["uscc"].tolist()
        scope = plan.id
        t0 = time.perf_counter()
        for u in ids:
            hashlib.sha256(f"{SEED}:{scope}:{u}".encode()).hexdigest()
        seconds = time.perf_counter() - t0
    elif kind == "draw":
        t0 = time.perf_counter()
        result = draw(frame, plan, SEED)
        seconds = time.perf_counter() - t0
        assert result.allocations["T1"].sample > 0
    elif kind == "consistent_sampler":
        from consistent_sampler import sampler

        sizes = {s.label: s.sample for s in draw(frame, plan, SEED).allocations["T1"].strata}
        groups = {
            f"credit_class={c}|zone={z}": g["uscc"].tolist() for (c, z), g in frame.groupby(["credit_class", "zone"])
        }
        t0 = time.perf_counter()
        for label, ids in groups.items():
            list(sampler(ids, SEED, take=sizes[label], output="id"))
        seconds = time.perf_counter() - t0
    else:
        raise SystemExit(f"unknown kind {kind}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mib": peak}


def measure(kind: str, n: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", kind, str(n)], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}, {platform.system()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cs-max", type=int, default=1_000_000)
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], int(args.worker[1]))))
        return 0
    rows = []
    for n in args.sizes:
        population_file(n)
        kinds = ["hashlib", "draw"] + (["consistent_sampler"] if n <= args.cs_max else [])
        runs: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
        for _ in range(args.repeats):
            for k in kinds:  # interleaved, so drift on a noisy machine hits all alike
                runs[k].append(measure(k, n))
                print(
                    f"n={n:,} {k}: {runs[k][-1]['seconds']:.2f} s, peak {runs[k][-1]['peak_mib']:.0f} MiB", flush=True
                )
        med = {k: statistics.median(r["seconds"] for r in v) for k, v in runs.items()}
        peak = {k: max(r["peak_mib"] for r in v) for k, v in runs.items()}
        rows.append((n, med, peak))
    lines = [
        f"### Draw, {dt.date.today().isoformat()}",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_draw.py --sizes {' '.join(map(str, args.sizes))} "
        f"--repeats {args.repeats}`  ",
        f"Machine: {machine()}  ",
        "One task, 32 strata (credit class x 8 zones), floor 5%; medians of the repeats; each run a fresh process.",
        "",
        "| entities | hashlib loop (s) | draw (s) | draw / hashlib | consistent_sampler (s) "
        "| consistent_sampler / draw | draw peak RSS (MiB) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, med, peak in rows:
        cs = med.get("consistent_sampler")
        cs_time = "" if cs is None else f"{cs:.2f}"
        cs_ratio = "" if cs is None else f"{cs / med['draw']:.1f}"
        lines.append(
            f"| {n:,} | {med['hashlib']:.2f} | {med['draw']:.2f} | {med['draw'] / med['hashlib']:.2f} | "
            f"{cs_time} | {cs_ratio} | {peak['draw']:.0f} |"
        )
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    if not args.no_write:
        results = ROOT / "RESULTS.md"
        head = "# Benchmark results\n\nEach section is appended by the script named in it.\n\n"
        old = results.read_text(encoding="utf-8") if results.exists() else head
        results.write_text(old + "\n" + text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
