#!/usr/bin/env python3
"""Reading a population: ``read_table`` beside the bare parser it stands on, in the same run.

    .venv/bin/python benchmarks/bench_read.py [--csv-rows 1000000] [--xlsx-rows 100000] [--repeats 5]
                                              [--compare OTHER_CHECKOUT] [--no-append]

A synthetic population (``make_population``) is written once as CSV and as XLSX. Each reader runs
``--repeats`` times in turns; the table gives medians and the ratio to the baseline: pyarrow's CSV
reader for CSV, openpyxl's read-only row iteration for XLSX (what ``read_table`` adds there: header
detection, merged cells, the scan for formulas without a value, the text frame). ``--compare`` also
times ``read_table`` of another checkout (say a worktree of an earlier commit) in the same turns.
The section is appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "RESULTS.md"

_READ = "import sys, time; sys.path.insert(0, {root!r}); from shuangsuiji.io import read_table; " \
    "t = time.perf_counter(); read_table({path!r}); print(time.perf_counter() - t)"  # fmt: skip
_CSV = "import time, pyarrow as pa, pyarrow.csv as c; t = time.perf_counter(); " \
    "c.read_csv({path!r}, convert_options=c.ConvertOptions(column_types={{n: pa.string() for n in {names!r}}})); " \
    "print(time.perf_counter() - t)"  # fmt: skip
_XLSX = "import time, openpyxl; t = time.perf_counter(); " \
    "b = openpyxl.load_workbook({path!r}, read_only=True, data_only=True); " \
    "rows = [list(r) for r in b.worksheets[0].iter_rows(values_only=True)]; print(time.perf_counter() - t)"  # fmt: skip


def _time(code: str) -> float:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--compare", help="another checkout whose read_table is timed beside this one")
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT.parent))
    from shuangsuiji.synthetic import make_population

    work = Path(tempfile.mkdtemp())
    csv_path, xlsx_path = work / "population.csv", work / "population.xlsx"
    pop = make_population(args.csv_rows, seed=1)
    pop.to_csv(csv_path, index=False)
    pop.head(args.xlsx_rows).to_excel(xlsx_path, index=False)
    names = list(pop.columns)
    cases = {
        f"CSV, {args.csv_rows:,} rows": (csv_path, _CSV.format(path=str(csv_path), names=names), "pyarrow.csv"),
        f"XLSX, {args.xlsx_rows:,} rows": (xlsx_path, _XLSX.format(path=str(xlsx_path)), "openpyxl rows"),
    }
    lines = [
        f"### Reading a population, {dt.date.today().isoformat()}",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_read.py --csv-rows {args.csv_rows} "
        f"--xlsx-rows {args.xlsx_rows} --repeats {args.repeats}" + (" --compare OTHER" if args.compare else "") + "`  ",
        f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"{platform.system()}. Medians of {args.repeats} fresh processes, run in turns.",
        "",
        "| file | baseline | baseline median | read_table median | ratio |"
        + (" other checkout median |" if args.compare else ""),
        "|---|---|---|---|---|" + ("---|" if args.compare else ""),
    ]
    for label, (path, baseline, name) in cases.items():
        times: dict[str, list[float]] = {"base": [], "this": [], "other": []}
        for _ in range(args.repeats):
            times["base"].append(_time(baseline))
            times["this"].append(_time(_READ.format(root=str(ROOT.parent), path=str(path))))
            if args.compare:
                times["other"].append(_time(_READ.format(root=args.compare, path=str(path))))
        base, this = statistics.median(times["base"]), statistics.median(times["this"])
        row = f"| {label} | {name} | {base:.2f} s | {this:.2f} s | {this / base:.2f}× |"
        if args.compare:
            row += f" {statistics.median(times['other']):.2f} s |"
        lines.append(row)
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_append:
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
