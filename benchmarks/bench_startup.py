#!/usr/bin/env python3
"""Start-up time: ``import shuangsuiji`` and ``shuangsuiji --help`` beside ``python -c pass``.

    .venv/bin/python benchmarks/bench_startup.py [--repeats 21] [--no-append]

Each measurement is a fresh process, run ``--repeats`` times in turns (so that the machine's noise
falls on all of them alike); the table gives medians, the extra time over the bare interpreter, and
the peak memory of each process. Targets (issue 10): ``shuangsuiji --help`` under 0.3 s and
``import shuangsuiji`` under 0.8 s. It also records which heavy modules each one loaded (none
should). The section is appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
REPORT = (
    "import json, resource, sys\n"
    "heavy = [m for m in ('pandas', 'numpy', 'pyarrow', 'ortools', 'scipy', 'networkx', 'dask', 'matplotlib')"
    " if m in sys.modules]\n"
    "print(json.dumps({'rss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, 'heavy': heavy}), file=sys.stderr)"
)


def probe(code: str) -> list[str]:
    """A fresh interpreter that runs ``code`` and reports its peak memory and the heavy modules it loaded."""
    return [sys.executable, "-c", code + "\n" + REPORT]


def cli(argument: str) -> list[str]:
    return probe(f"from shuangsuiji.cli import main\ntry:\n    main([{argument!r}])\nexcept SystemExit:\n    pass")


CASES = {
    "python -c pass (baseline)": probe("pass"),
    "import shuangsuiji": probe("import shuangsuiji"),
    "shuangsuiji --help": cli("--help"),
    "shuangsuiji --version": cli("--version"),
    "shuangsuiji --help (console script)": [str(BIN / "shuangsuiji"), "--help"],
}


def run(argv: list[str], checkout: str | None = None) -> tuple[float, dict[str, object]]:
    """Time one fresh process; with ``checkout``, run it there so that its package is the one imported."""
    env = None if checkout is None else {**os.environ, "PYTHONPATH": str(Path(checkout).resolve())}
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, check=True, env=env, cwd=checkout)
    seconds = time.perf_counter() - start
    last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "{}"
    info = json.loads(last) if last.startswith("{") else {}
    return seconds, info


def machine() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), cores, memory and Python."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")
        ]
        model = names[0] if names else model
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total = next(line for line in meminfo.read_text().splitlines() if line.startswith("MemTotal"))
        memory = f", {int(total.split()[1]) / 2**20:.0f} GiB"
    return f"{model}, {os.cpu_count()} cores{memory}, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--no-append", action="store_true", help="print only; do not append to RESULTS.md")
    parser.add_argument(
        "--compare", metavar="CHECKOUT", help="also time the same import and --help of another checkout (PYTHONPATH)"
    )
    args = parser.parse_args()
    cases: dict[str, tuple[list[str], str | None]] = {name: (argv, None) for name, argv in CASES.items()}
    if args.compare:
        label = f"checkout {args.compare}"
        cases[f"import shuangsuiji ({label})"] = (CASES["import shuangsuiji"], args.compare)
        cases[f"shuangsuiji --help ({label})"] = (CASES["shuangsuiji --help"], args.compare)
    times: dict[str, list[float]] = {name: [] for name in cases}
    info: dict[str, dict[str, object]] = {}
    for argv, checkout in cases.values():
        run(argv, checkout)  # warm the file cache once
    for _ in range(args.repeats):
        for name, (argv, checkout) in cases.items():
            seconds, seen = run(argv, checkout)
            times[name].append(seconds)
            info[name] = seen or info.get(name, {})
    base = statistics.median(times["python -c pass (baseline)"])
    rows = []
    for name in cases:
        median = statistics.median(times[name])
        rss = info[name].get("rss")
        heavy = info[name].get("heavy")
        rows.append(
            f"| {name} | {median:.3f} | {median - base:+.3f} | {median / base:.1f} | "
            f"{'' if rss is None else f'{int(rss) / 1024:.0f}'} | "
            f"{'' if heavy is None else ', '.join(heavy) or 'none'} |"  # type: ignore[arg-type]
        )
    section = "\n".join(
        [
            f"### Start-up, {dt.date.today().isoformat()}",
            "",
            f"Command: `.venv/bin/python benchmarks/bench_startup.py --repeats {args.repeats}"
            f"{' --compare ' + args.compare if args.compare else ''}`  ",
            f"Machine: {machine()}  ",
            f"Medians of {args.repeats} runs, each a fresh process, the cases run in turns.",
            "",
            "| what | median s | over baseline s | × baseline | peak RSS (MiB) | heavy modules loaded |",
            "|---|---:|---:|---:|---:|---|",
            *rows,
            "",
        ]
    )
    print(section)
    if not args.no_append:
        with (ROOT / "RESULTS.md").open("a", encoding="utf-8") as fh:
            fh.write("\n" + section)


if __name__ == "__main__":
    main()
