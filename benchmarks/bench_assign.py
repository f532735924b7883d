#!/usr/bin/env python3
"""Benchmark of the assignment: a city's year and a province batch, against the bare min-cost flow.

    .venv/bin/python benchmarks/bench_assign.py [--city] [--province] [--repeats 3]

The city (the issue's figure): 40,000 visits, 20% joint across two departments, 5 departments,
600 inspectors, 10 regions, 2% of officer-entity pairs in conflict, all rules on (recusal, team-pair
exclusions, cross-station mode, lead certificates, jurisdiction, capacities, dates in a quarter with a
daily cap and leave). The province: 200,000 visits, 3,000 inspectors, the same rules.

For each it times, each in a fresh process: ``assign`` (everything: flows, CP-SAT where pairs bind,
scheduling, the independent rule check, the certificate's potentials) and, as the floor, the bare
min-cost flows of the same groups (networks prebuilt, OR-Tools solve only). It also runs a
round-robin assignment of the kind existing systems use and counts the rules it breaks. Results are
appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SEED = "5eed" * 16
SIZES = {"city": (40_000, 600), "province": (200_000, 3_000)}


def build(visits_n: int, inspectors: int, seed: int = 1):  # type: ignore[no-untyped-def]
    import numpy as np
    import pandas as pd

    from shuangsuiji.conflicts import Conflicts
    from shuangsuiji.plan import AssignmentPolicy
    from shuangsuiji.roster import check_roster
    from shuangsuiji.synthetic import DEPARTMENTS, make_usccs
    from shuangsuiji.visits import Visits, visit_id

    rng = np.random.default_rng(seed)
    regions = [f"4103{i:02d}" for i in range(10)]
    codes = make_usccs(visits_n, seed=seed)["uscc"].tolist()
    region = rng.choice(regions, size=visits_n)
    station = np.array([f"{r}-S{k}" for r, k in zip(region, rng.integers(1, 4, size=visits_n), strict=True)])
    share = np.array([0.6, 0.15, 0.1, 0.1, 0.05])
    first = rng.choice(len(DEPARTMENTS), size=visits_n, p=share)
    joint = rng.random(visits_n) < 0.2
    second = (first + 1 + rng.integers(0, len(DEPARTMENTS) - 1, size=visits_n)) % len(DEPARTMENTS)
    vid = [visit_id(c) for c in codes]
    visits = pd.DataFrame({"visit_id": vid, "uscc": codes, "name": "", "region": region, "station": station})
    rows = []
    for i in range(visits_n):
        depts = sorted({DEPARTMENTS[first[i]], *([DEPARTMENTS[second[i]]] if joint[i] else [])})
        for d in depts:
            certs = ("特种设备",) if d == "应急管理局" and rng.random() < 0.3 else ()
            rows.append((vid[i], codes[i], region[i], station[i], d, 2, certs))
    teams = pd.DataFrame(
        rows, columns=["visit_id", "uscc", "region", "station", "department", "size", "lead_certificates"]
    )
    visits["departments"] = teams.groupby("visit_id")["department"].apply(";".join).reindex(vid).to_numpy()
    visits["tasks"] = visits["departments"]
    visits["items"] = ""
    experts = pd.DataFrame(columns=["visit_id", "uscc", "region", "station", "field"])
    # Officers in proportion to the places each region and department needs, capacity with 35% slack.
    need = teams.groupby(["region", "department"])["size"].sum()
    per = (need / need.sum() * inspectors).round().clip(lower=2).astype(int)
    roster_rows = []
    for (reg, dept), count in per.items():
        cap = int(np.ceil(need[(reg, dept)] / count * 1.35))
        for k in range(count):
            roster_rows.append(
                {
                    "inspector_id": f"{reg}-{DEPARTMENTS.index(dept)}-{k:03d}",
                    "name": "x",
                    "department": dept,
                    "station": f"{reg}-S{1 + k % 3}",
                    "region": reg,
                    "cert_no": f"C{reg}{DEPARTMENTS.index(dept)}{k:03d}",
                    "certificates": "特种设备" if k % 2 == 0 else "",
                    "lead": "是" if k % 4 != 3 else "否",
                    "capacity": str(cap),
                    "unavailable": "2026-05-06" if k % 10 == 0 else "",
                    "active": "是",
                    "kind": "officer",
                }
            )
    roster = check_roster(pd.DataFrame(roster_rows))
    # 2% of the officer-entity pairs within each region and department conflict; a few officer pairs too.
    officers = roster.frame.groupby(["region", "department"])["inspector_id"].apply(list)
    pairs = {}
    for (reg, dept), group in teams.groupby(["region", "department"]):
        ids = officers.get((reg, dept), [])
        hits = rng.random((len(group), len(ids))) < 0.02
        for t, o in zip(*np.nonzero(hits), strict=True):
            pairs[(ids[o], group["uscc"].iloc[t])] = "declared"
    exclusive = {frozenset(rng.choice(ids, size=2, replace=False).tolist()) for ids in officers if len(ids) > 3}
    conflicts = Conflicts.combine([("declared", pairs)], sorted(exclusive, key=sorted)[:5])  # not set order: fixed
    policy = AssignmentPolicy(cross_station=True, daily_cap=4, window=(dt.date(2026, 4, 1), dt.date(2026, 6, 30)))
    return Visits(visits=visits, teams=teams, experts=experts), roster, conflicts, policy


def worker(kind: str, size: str) -> dict[str, float]:
    import numpy as np

    from shuangsuiji import Seed, assign
    from shuangsuiji.assignment.encode import build_group, network
    from shuangsuiji.assignment.solve import solve_flow

    visits, roster, conflicts, policy = build(*SIZES[size])
    out: dict[str, float] = {
        "visits": len(visits.visits),
        "teams": len(visits.teams),
        "inspectors": len(roster.frame),
        "conflicts": len(conflicts.pairs),
    }
    if kind == "assign":
        t0 = time.perf_counter()
        result = assign(visits, roster, policy, SEED, conflicts=conflicts, allow_partial=True)
        out["seconds"] = time.perf_counter() - t0
        out["staffed"] = int((result.visits["status"] == "staffed").sum())
        out["cp_sat_groups"] = sum(r.method != "min-cost flow" for r in result.reports)
    elif kind == "flow":
        nets = []
        for (reg, dept), group in visits.teams.groupby(["region", "department"], sort=True):
            people = roster.officers[(roster.officers["region"] == reg) & (roster.officers["department"] == dept)]
            g, _ = build_group(
                f"region {reg}",
                str(dept),
                people,
                group.reset_index(drop=True),
                seed=Seed.of(SEED),
                conflicts=conflicts,
                policy=policy,
                lead_required=True,
            )
            nets.append(network(g, np.ones(len(group), dtype=bool)))
        t0 = time.perf_counter()
        for net in nets:
            solve_flow(net)
        out["seconds"] = time.perf_counter() - t0
    elif kind == "roundrobin":
        out.update(round_robin(visits, roster, conflicts, policy))
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def round_robin(visits, roster, conflicts, policy) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Existing systems: walk a reshuffled list of the region's officers, two per team, no recusal."""
    import numpy as np
    import pandas as pd

    from shuangsuiji.assignment.rules import check_assignment
    from shuangsuiji.workdays import WorkCalendar, working_days

    rng = np.random.default_rng(0)
    grouped = roster.officers.groupby(["region", "department"])["inspector_id"]
    pools = {k: rng.permutation(v).tolist() for k, v in grouped}
    cursor = dict.fromkeys(pools, 0)
    rows = []
    for rec in visits.teams.to_dict("records"):
        key = (rec["region"], rec["department"])
        pool = pools.get(key) or []
        for role in ("lead", "member"):
            if pool:
                rows.append((rec["visit_id"], rec["department"], pool[cursor[key] % len(pool)], role))
                cursor[key] += 1 if rng.random() < 0.9 else 0  # the reshuffled walk can repeat a person
    teams = pd.DataFrame(rows, columns=["visit_id", "department", "inspector_id", "role"])
    days = working_days(policy.window, WorkCalendar())
    staffed = visits.visits.assign(date=[days[i % len(days)] for i in range(len(visits.visits))])
    errors = check_assignment(
        staffed, teams, visits.teams, visits.experts, roster=roster, conflicts=conflicts, policy=policy, days=days
    )
    kinds: dict[str, int] = {}
    for e in errors:
        for word, name in (
            ("conflict", "recusal"),
            ("two places", "same person twice"),
            ("capacity", "capacity"),
            ("own station", "cross-station"),
            ("may not lead", "lead"),
            ("daily cap", "daily cap"),
            ("unavailable", "leave"),
            ("station areas", "station area"),
            ("must not share", "pairs"),
        ):
            if word in e:
                kinds[name] = kinds.get(name, 0) + 1
    return {"broken": len(errors), **{f"broken_{k}": v for k, v in kinds.items()}}


def measure(kind: str, size: str, tree: Path | None = None) -> dict[str, float]:
    """One measurement in a fresh process; with ``tree``, of that checkout's package (and its copy of this script)."""
    script, env = Path(__file__), dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
        if (tree / "benchmarks" / "bench_assign.py").exists():
            script = tree / "benchmarks" / "bench_assign.py"
    out = subprocess.run(
        [sys.executable, str(script), "--worker", kind, size], capture_output=True, text=True, check=True, env=env
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["city"], choices=sorted(SIZES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--compare", type=Path, help="a checkout measured in the same run, in turns with this tree")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return 0
    from bench_draw import machine  # type: ignore[import-not-found]

    trees: dict[str, Path | None] = {"": None}
    if args.compare:
        trees = {f" ({args.compare})": args.compare, "": None}
    lines = [
        f"### Assignment, {dt.date.today().isoformat()}",
        "",
        "Command: `.venv/bin/python benchmarks/bench_assign.py "
        f"--sizes {' '.join(args.sizes)} --repeats {args.repeats}"
        + (f" --compare {args.compare}" if args.compare else "")
        + "`  ",
        f"Machine: {machine()}  ",
        "All rules on; dates in 2026 Q2; medians of the repeats, each run a fresh process"
        + (", the two trees in turns." if args.compare else "."),
        "",
        "| instance | visits | teams | inspectors | conflicts | bare flow (s) | assign (s) | assign / flow "
        "| staffed | CP-SAT repairs | assign peak RSS (MiB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for size in args.sizes:
        runs = {label: {"flow": [], "assign": []} for label in trees}
        for _ in range(args.repeats):
            for label, tree in trees.items():
                for kind, done in runs[label].items():
                    done.append(measure(kind, size, tree))
                    print(size + label, kind, {k: round(v, 2) for k, v in done[-1].items()}, flush=True)
        for label, by_kind in runs.items():
            flow = statistics.median(r["seconds"] for r in by_kind["flow"])
            full = statistics.median(r["seconds"] for r in by_kind["assign"])
            a = by_kind["assign"][0]
            lines.append(
                f"| {size}{label} | {a['visits']:,.0f} | {a['teams']:,.0f} | {a['inspectors']:,.0f} | "
                f"{a['conflicts']:,.0f} | {flow:.2f} | {full:.2f} | {full / flow:.1f} | {a['staffed']:,.0f} | "
                f"{a['cp_sat_groups']:.0f} | {max(r['peak_mib'] for r in by_kind['assign']):.0f} |"
            )
        rr = measure("roundrobin", size)
        broken = ", ".join(f"{k[7:]} {v:,.0f}" for k, v in rr.items() if k.startswith("broken_"))
        notes.append(
            f"- {size}: a round-robin assignment (existing systems) breaks {rr['broken']:,.0f} rules: {broken}."
        )
    text = "\n".join([*lines, "", *notes]) + "\n"
    print("\n" + text)
    if not args.no_write:
        results = ROOT / "RESULTS.md"
        old = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
        results.write_text(old + "\n" + text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
