#!/usr/bin/env python3
"""The example year on the demo's population: four batches, and what the year reached.

Runs ``run_year_demo`` (commit, draw, ledger, assign, results workbook, notice, checks outside the
draw, for each of four batches; then status and verification) and recounts from the published files
and the ledger's rows, independently of the library's own status:

- each general item's distinct coverage of the operating firms in its scope at the last batch,
  against ceil(5% x base);
- firms drawn twice in the year for the same general item;
- firms drawn while their counted checks (exempt kinds left out, a joint visit once) had reached
  the total cap;
- the time of the whole year (one run: an acceptance measurement, not a speed target).

Usage::

    .venv/bin/python benchmarks/bench_year.py [--entities 200000] [--out /tmp/bench-year]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import shutil
import time
from pathlib import Path

import pandas as pd

from shuangsuiji.io import read_table
from shuangsuiji.ledger import Ledger
from shuangsuiji.workflow import run_year_demo

GENERAL = ("SC-GS", "SW-FP")
INACTIVE = ("注销", "吊销", "迁出")
EXEMPT = ("complaint", "referral", "recheck", "licensing")


def _counted(rows: pd.DataFrame, head: int) -> pd.Series:
    before = rows[(rows["seq"] <= head) & rows["event"].isin(["drawn", "check"]) & ~rows["kind"].isin(EXEMPT)]
    alone = "check" + before["seq"].astype(str)
    visit = before["batch"] + "/" + before["visit_id"].where(before["visit_id"] != "", alone)
    return before.assign(visit=visit).groupby("uscc")["visit"].nunique()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=200_000)
    parser.add_argument("--out", default="/tmp/bench-year")
    args = parser.parse_args()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    year = run_year_demo(out, entities=args.entities, secret=bytes(32))
    seconds = time.perf_counter() - start
    population = read_table(out / "inputs" / "population-Q4.csv")
    operating = population[~population["status"].isin(INACTIVE)]
    scope = {"SC-GS": operating, "SW-FP": operating[operating["entity_type"] == "企业"]}
    drawn = pd.concat([read_table(d / "selection.csv").assign(batch=d.parent.name) for d in year.draws])
    with Ledger.open(year.ledger, create=False) as book:
        rows = book.frame()
    print(f"# The example year, {args.entities:,} entities, {platform.processor() or platform.machine()}")
    print(f"whole year (4 batches, every step): {seconds:.1f} s")
    for task in GENERAL:
        base = set(scope[task]["uscc"])
        covered = set(drawn.loc[drawn["task_id"] == task, "uscc"]) & base
        target = math.ceil(len(base) / 20)
        print(
            f"{task}: covered {len(covered):,} of {len(base):,} operating = {len(covered) / len(base):.4%}; "
            f"target ceil(5%) = {target:,}; met: {len(covered) >= target}"
        )
    general = drawn[drawn["task_id"].isin(GENERAL)]
    print(f"firms drawn twice for the same general item: {int(general.duplicated(['task_id', 'uscc']).sum())}")
    over = 0
    for draw in year.draws:
        head = int(json.loads((draw / "manifest.json").read_bytes())["year"]["ledger_head"]["seq"])
        counted = _counted(rows, head)
        over += sum(counted.get(u, 0) >= 3 for u in set(read_table(draw / "selection.csv")["uscc"]))
    print(f"firms drawn at or over the total cap of 3 (exempt kinds out, a joint visit once): {over}")
    joint = rows[rows["event"] == "drawn"].groupby(["batch", "visit_id"])["department"].nunique()
    print(f"joint visits (several departments, one visit): {int((joint > 1).sum()):,}")
    tasks = year.status.status.tasks
    print(tasks.to_string(index=False))
    print(f"ledger: {len(rows):,} entries; every batch and the ledger verified: {year.verified}")


if __name__ == "__main__":
    main()
