"""The ``shuangsuiji`` command line.

Every command prints errors of the library (bad input) as one clear message
without a traceback and exits with status 2; a bug (``InternalError``) exits
with 3. Run ``shuangsuiji COMMAND --help`` for each command's options.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ._version import __version__
from .exceptions import (
    MAX_LISTED_PROBLEMS,
    HistoryError,
    InternalError,
    PopulationError,
    Problem,
    ShuangsuijiError,
    TableError,
)
from .exclusions import check_history
from .io import atomic_write_text, read_allow_list, read_table, write_csv
from .manifest import InputFile, write_draw
from .plan import load_plan
from .population import check_population
from .sampling import DrawResult, draw, ticket
from .synthetic import example_plan_toml, make_history, make_population
from .uscc import uscc_problem
from .validation import check_seed

__all__ = ["main"]

#: Seed of the demo: SHA-256 of the text "shuangsuiji demo" (printf '%s' 'shuangsuiji demo' | sha256sum).
DEMO_SEED = "35a66f294948a664832278ed95207fae69a118da60671d1b54a59ae247268846"


def _write_problems(exc: TableError, out: str | None) -> str:
    """Write all problems of a long list to OUT/problems.csv; returns a note for the message."""
    if out is None or len(exc.problems) <= MAX_LISTED_PROBLEMS:
        return ""
    frame = pd.DataFrame([vars(p) for p in exc.problems], columns=list(Problem.__dataclass_fields__))
    path = Path(out) / "problems.csv"
    write_csv(frame, path)
    return f"\nAll {len(exc.problems)} problems are listed in {path}."


def _print_summary(result: DrawResult) -> None:
    cols = ["task_id", "department", "eligible", "excluded", "sample", "floor_binding"]
    table = result.summary[cols].copy()
    table["floor_binding"] = table["floor_binding"].map({True: "floor", False: ""})
    print(table.to_string(index=False))


def _cmd_draw(args: argparse.Namespace) -> int:
    out = Path(args.out)
    seed = check_seed(args.seed)
    plan = load_plan(args.plan)
    allow = read_allow_list(args.allow_list) if args.allow_list else frozenset()
    frame = read_table(args.population, error=PopulationError, encoding=args.encoding, sheet=args.sheet)
    population = check_population(frame, plan, source=args.population, allow_list=allow)
    history = None
    if args.history:
        history = check_history(read_table(args.history, error=HistoryError), source=args.history, allow_list=allow)
    result = draw(population, plan, seed, history=history)
    inputs = {"population": InputFile.of(args.population, out), "plan": InputFile.of(args.plan, out)}
    if args.history:
        inputs["history"] = InputFile.of(args.history, out)
    if args.allow_list:
        inputs["allow_list"] = InputFile.of(args.allow_list, out)
    digest = write_draw(result, out, inputs=inputs)
    _print_summary(result)
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"\nWrote {out}/: selection.csv, allocation.csv, excluded.csv, summary.csv, manifest.json")
    print(f"manifest SHA-256: {digest}")
    return 0


def _cmd_ticket(args: argparse.Namespace) -> int:
    for code in args.uscc:
        print(f"{ticket(check_seed(args.seed), args.scope, code)}  {code}")
    return 0


def _cmd_check_uscc(args: argparse.Namespace) -> int:
    bad = 0
    for code in args.code:
        problem = uscc_problem(code)
        print(f"{code}: {'valid' if problem is None else problem}")
        bad += problem is not None
    return 1 if bad else 0


def _write_example(out: Path, entities: int, seed: int) -> dict[str, Path]:
    population = make_population(entities, seed=seed)
    paths = {"population": out / "population.csv", "plan": out / "plan.toml", "history": out / "history.csv"}
    write_csv(population, paths["population"])
    write_csv(make_history(population, seed=seed), paths["history"])
    atomic_write_text(paths["plan"], example_plan_toml())
    return paths


def _cmd_example(args: argparse.Namespace) -> int:
    paths = _write_example(Path(args.out), args.entities, args.seed)
    for role, path in paths.items():
        print(f"{role}: {path}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    out = Path(args.out)
    inputs = out / "inputs"
    print(f"Writing a synthetic city of {args.entities:,} entities to {inputs}/ ...")
    paths = _write_example(inputs, args.entities, seed=2027)
    draw_args = argparse.Namespace(
        population=str(paths["population"]),
        plan=str(paths["plan"]),
        history=str(paths["history"]),
        seed=DEMO_SEED,
        out=str(out / "draw"),
        allow_list=None,
        encoding=None,
        sheet=None,
    )
    print(f"Drawing with seed {DEMO_SEED} ...\n")
    return _cmd_draw(draw_args)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``shuangsuiji`` command."""
    parser = argparse.ArgumentParser(
        prog="shuangsuiji",
        description="Verifiable 双随机、一公开 random inspections: draw targets reproducibly from a published seed.",
    )
    parser.add_argument("--version", action="version", version=f"shuangsuiji {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "draw", help="draw the inspection targets of a plan", description="Draw the targets of every task of a plan."
    )
    p.add_argument(
        "--population", required=True, help="entities: CSV (UTF-8 or GB18030), XLSX or Parquet with a uscc column"
    )
    p.add_argument("--plan", required=True, help="plan TOML file (see docs/plan.md)")
    p.add_argument("--seed", required=True, help="64 lowercase hex digits")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--history", help="inspection history: uscc, department, date[, kind]")
    p.add_argument("--allow-list", help="legacy codes accepted although they fail the GB 32100 check")
    p.add_argument("--encoding", help="force the CSV encoding (default: UTF-8, else GB18030)")
    p.add_argument("--sheet", help="XLSX sheet to read (default: the first)")
    p.set_defaults(func=_cmd_draw)

    p = sub.add_parser(
        "demo",
        help="run the whole job on a synthetic example city",
        description="Generate a synthetic city and draw its example plan.",
    )
    p.add_argument("--out", default="demo-out", help="output folder (default: demo-out)")
    p.add_argument("--entities", type=int, default=100_000, help="entities in the synthetic city (default: 100000)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser(
        "example", help="write example input files", description="Write a synthetic population, history and plan."
    )
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--entities", type=int, default=10_000, help="number of entities (default: 10000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generator (default: 0)")
    p.set_defaults(func=_cmd_example)

    p = sub.add_parser(
        "ticket", help="compute tickets by hand", description="Print the ticket SHA-256(seed:scope:uscc) of codes."
    )
    p.add_argument("--seed", required=True, help="64 lowercase hex digits")
    p.add_argument("--scope", required=True, help="plan id, or plan_id.task_id for an independent task")
    p.add_argument("uscc", nargs="+", help="codes")
    p.set_defaults(func=_cmd_ticket)

    p = sub.add_parser(
        "check-uscc", help="check unified social credit codes", description="Check codes against GB 32100-2015."
    )
    p.add_argument("code", nargs="+", help="codes to check")
    p.set_defaults(func=_cmd_check_uscc)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except InternalError as exc:
        print(f"internal error (a bug in shuangsuiji, please report it): {exc}", file=sys.stderr)
        return 3
    except TableError as exc:
        print(f"error: {exc}{_write_problems(exc, getattr(args, 'out', None))}", file=sys.stderr)
        return 2
    except ShuangsuijiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
