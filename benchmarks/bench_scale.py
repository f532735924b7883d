#!/usr/bin/env python3
"""Benchmark of the draw at scale: a Parquet file on one machine, on Dask, and 100 million on the fly.

    .venv/bin/python benchmarks/bench_scale.py [--file-size 10000000] [--fly-size 100000000] [--repeats 3]

Each measurement runs in a fresh process (peak memory is its own):

- ``hashlib``: the floor, a bare loop ``sha256(f"{seed}:{scope}:{uscc}".encode())`` over the
  file's codes (already in a Python list), the baseline every ratio refers to;
- ``file-memory``: ``read_table`` of the Parquet file (only the columns the plan reads) and
  ``shuangsuiji.draw``: file reading included, as ``shuangsuiji draw --population X.parquet`` does;
- ``file-dask``: the same file read by partitions of 1,048,576 rows on a ``LocalCluster`` of 2 worker
  processes (``read_parquet_dask`` + ``draw_dask``); cluster start-up is reported apart;
- ``fly-dask W``: ``--fly-size`` entities generated inside the workers (never stored), partitions of
  1,000,000, on a LocalCluster of W = 1 and 2 workers: the scaling from 1 to 2 workers, and the peak
  memory of each worker process;
- ``stream-root``: the ceremony's Merkle root streamed from the Parquet file sorted by code
  (``population_root_parquet``), with its peak memory.

It checks that ``file-memory`` and ``file-dask`` wrote identical tables, reports medians over --repeats
runs, and appends a section to benchmarks/RESULTS.md (command, machine, date).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_draw import PLAN, SEED, machine, population_file

ROOT = Path(__file__).resolve().parent
WORK = ROOT / "_work"
PARTITION = 1_000_000
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ZONES = [f"Z{k}" for k in range(8)]


def generated(i: int, rows: int) -> Any:
    """Partition ``i``: ``rows`` entities with distinct valid codes (the organisation code is the row number)."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng([2027, i])
    index = np.arange(i * rows, (i + 1) * rows, dtype=np.int64)
    org = (index[:, None] // 10 ** np.arange(7, -1, -1)) % 10
    r = 11 - (org @ np.array([3, 7, 9, 10, 5, 8, 4, 2])) % 11
    org_check = np.where(r == 10, ALPHABET.index("X"), np.where(r == 11, 0, r))
    body = np.empty((rows, 17), dtype=np.int64)
    body[:, :8] = [9, 1, 4, 1, 0, 3, 0, 2]
    body[:, 8:16] = org
    body[:, 16] = org_check
    check = (31 - (body @ np.array(WEIGHTS)) % 31) % 31
    alpha = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    data = np.ascontiguousarray(alpha[np.concatenate([body, check[:, None]], axis=1)]).tobytes()
    offsets = pa.py_buffer(np.arange(0, 18 * rows + 1, 18, dtype=np.int32).tobytes())
    codes = pa.Array.from_buffers(pa.string(), rows, [None, offsets, pa.py_buffer(data)])

    def pick(values: list[str], p: Any = None) -> Any:
        return pa.DictionaryArray.from_arrays(
            pa.array(rng.choice(len(values), size=rows, p=p).astype(np.int8)), pa.array(values)
        ).cast(pa.string())

    table = pa.table(
        {"uscc": codes, "credit_class": pick(["A", "B", "C", "D"], (0.2, 0.65, 0.1, 0.05)), "zone": pick(ZONES)}
    )
    return table.to_pandas()


def _cluster(workers: int) -> Any:
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
    return cluster, Client(cluster)


def _worker_peaks(client: Any) -> list[float]:
    def peak() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    return sorted(client.run(peak).values())


def worker(kind: str, n: int, workers: int) -> dict[str, Any]:
    """Run one measurement in this process."""
    from shuangsuiji import draw, parse_plan, read_table
    from shuangsuiji.manifest import draw_tables

    plan = parse_plan(PLAN)
    path = population_file(n) if kind != "fly-dask" else None  # the fly population is never stored
    out: dict[str, Any] = {}
    if kind == "hashlib":
        ids = read_table(path, columns={"uscc"})["uscc"].tolist()
        t0 = time.perf_counter()
        for u in ids:
            hashlib.sha256(f"{SEED}:{plan.id}:{u}".encode()).hexdigest()
        out["seconds"] = time.perf_counter() - t0
    elif kind == "file-memory":
        t0 = time.perf_counter()
        frame = read_table(path, columns={"uscc", "name", *plan.columns()})
        result = draw(frame, plan, SEED)
        out["seconds"] = time.perf_counter() - t0
        out["tables"] = hashlib.sha256(b"".join(draw_tables(result).values())).hexdigest()
    elif kind == "file-dask":
        from shuangsuiji.distributed import read_parquet_dask

        t0 = time.perf_counter()
        cluster, client = _cluster(workers)
        out["startup"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = draw(read_parquet_dask(path, columns={"uscc", "name", *plan.columns()}), plan, SEED)
        out["seconds"] = time.perf_counter() - t0
        out["tables"] = hashlib.sha256(b"".join(draw_tables(result).values())).hexdigest()
        out["worker_peak_mib"] = _worker_peaks(client)
        client.close()
        cluster.close()
    elif kind == "fly-dask":
        import dask.dataframe as dd

        cluster, client = _cluster(workers)
        parts = n // PARTITION
        population = dd.from_map(generated, range(parts), rows=PARTITION, meta=generated(0, 0))
        t0 = time.perf_counter()
        result = draw(population, plan, SEED)
        out["seconds"] = time.perf_counter() - t0
        out["sample"] = int(result.allocations["T1"].sample)
        out["worker_peak_mib"] = _worker_peaks(client)
        client.close()
        cluster.close()
    elif kind == "stream-root":
        import pyarrow.parquet as pq

        from shuangsuiji.ceremony import population_root_parquet

        ordered = WORK / f"population_{n}_sorted.parquet"
        if not ordered.exists():
            table = pq.read_table(path)
            pq.write_table(table.sort_by("uscc"), ordered, row_group_size=1 << 20)
            del table
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        record = population_root_parquet(ordered, plan)
        out["seconds"] = time.perf_counter() - t0
        out["rows"] = record["rows"]
        out["peak_before_mib"] = base
    else:
        raise SystemExit(f"unknown kind {kind}")
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def measure(kind: str, n: int, workers: int = 2) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", kind, str(n), str(workers)], capture_output=True, text=True, check=False
    )
    if proc.returncode:
        raise SystemExit(f"{kind} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file-size", type=int, default=10_000_000)
    parser.add_argument("--fly-size", type=int, default=100_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fly-repeats", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="print only; do not append to RESULTS.md")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, n, w = args.worker
        print(json.dumps(worker(kind, int(n), int(w))))
        return 0
    n = args.file_size
    population_file(n)
    runs: dict[str, list[dict[str, Any]]] = {}
    for _ in range(args.repeats):  # interleaved, so drift in the machine hits every kind alike
        for kind in ("hashlib", "file-memory", "file-dask", "stream-root"):
            runs.setdefault(kind, []).append(measure(kind, n))
            print(kind, runs[kind][-1], flush=True)
    for _ in range(args.fly_repeats):
        for w in (1, 2):
            runs.setdefault(f"fly-dask {w}", []).append(measure("fly-dask", args.fly_size, w))
            print(f"fly-dask {w}", runs[f"fly-dask {w}"][-1], flush=True)
    same = {r["tables"] for r in runs["file-memory"] + runs["file-dask"]}
    if len(same) != 1:
        raise SystemExit("the Dask engine wrote other tables than the in-memory engine")

    def med(kind: str, key: str = "seconds") -> float:
        return statistics.median(r[key] for r in runs[kind])

    base = med("hashlib")
    lines = [
        f"\n## Draw at scale ({dt.date.today().isoformat()})\n",
        f"Command: `.venv/bin/python benchmarks/bench_scale.py --file-size {n} --fly-size {args.fly_size} "
        f"--repeats {args.repeats} --fly-repeats {args.fly_repeats}`  ",
        f"Machine: {machine()}  ",
        f"Medians of {args.repeats} runs (fly: {args.fly_repeats}); each run in a fresh process. "
        "Tables written by the memory and Dask engines: identical (SHA-256 compared in every run).\n",
        "| measurement | entities | median s | × hashlib loop | peak memory |",
        "|---|---:|---:|---:|---|",
        f"| hashlib loop (baseline) | {n:,} | {base:.2f} | 1.00 | {med('hashlib', 'peak_mib'):,.0f} MiB |",
        f"| Parquet → draw, in memory (reading included) | {n:,} | {med('file-memory'):.2f} | "
        f"{med('file-memory') / base:.2f} | {med('file-memory', 'peak_mib'):,.0f} MiB |",
        f"| Parquet → draw on Dask, LocalCluster 2 workers (start-up {med('file-dask', 'startup'):.1f} s apart) | "
        f"{n:,} | {med('file-dask'):.2f} | {med('file-dask') / base:.2f} | client "
        f"{med('file-dask', 'peak_mib'):,.0f} MiB, workers "
        f"{' / '.join(f'{x:,.0f}' for x in runs['file-dask'][0]['worker_peak_mib'])} MiB |",
        f"| Merkle root streamed from sorted Parquet | {n:,} | {med('stream-root'):.2f} | "
        f"{med('stream-root') / base:.2f} | {med('stream-root', 'peak_mib'):,.0f} MiB |",
    ]
    for w in (1, 2):
        k = f"fly-dask {w}"
        lines.append(
            f"| generated on the fly, draw on Dask, {w} worker{'s' if w > 1 else ''} | {args.fly_size:,} | "
            f"{med(k):.1f} | {med(k) / base * n / args.fly_size:.2f} per entity | "
            f"client {med(k, 'peak_mib'):,.0f} MiB, "
            f"workers {' / '.join(f'{x:,.0f}' for x in runs[k][0]['worker_peak_mib'])} MiB |"
        )
    generated(0, 10)  # imports and first-call costs apart
    times = []
    for i in range(5):
        t0 = time.perf_counter()
        generated(i, PARTITION)
        times.append(time.perf_counter() - t0)
    gen = statistics.median(times)
    one, two = med("fly-dask 1"), med("fly-dask 2")
    per_worker = two * 2 / args.fly_size  # worker-seconds per entity
    lines += [
        "",
        f"Scaling 1 → 2 workers on {args.fly_size:,} entities: {one:.1f} s → {two:.1f} s, speed-up {one / two:.2f}×. "
        f"Work per entity: {per_worker * 1e6:.2f} worker-µs, of which generating the entities (done in each of "
        f"the two passes) {2 * gen / PARTITION * 1e6:.2f} µs ({gen:.2f} s per partition of {PARTITION:,}, "
        "median of 5 warm calls).",
        "",
        "Paper estimate for the national register (180 million entities), from the 2-worker figure, assuming the "
        "work divides evenly (it does: no shuffle; the client merges only the candidates, about the sample "
        "size plus N_h/1024 per stratum): "
        + ", ".join(f"{w} workers ≈ {180e6 * per_worker / w:,.0f} s" for w in (8, 32, 128))
        + ", plus cluster start-up and the client's merge of ~9 million selected rows.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        results = ROOT / "RESULTS.md"
        if not results.exists():
            results.write_text("# Benchmark results\n\nAppended by the scripts in this folder.\n")
        with results.open("a", encoding="utf-8") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
