"""What ``year`` and ``ledger`` of :mod:`shuangsuiji.cli` do: call the workflow, print the outcome (private).

Imported only once one of them has been chosen (it loads SQLAlchemy).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd

from ._commands import print_summary, reveal_of, staffing_files, warn
from .inputs import DrawFiles
from .manifest import YearRecord
from .workflow import (
    run_commit,
    run_draw,
    run_ledger_add,
    run_ledger_export,
    run_ledger_verify,
    run_year_status,
    year_files,
)

__all__ = [
    "cmd_ledger_add",
    "cmd_ledger_export",
    "cmd_ledger_verify",
    "cmd_year_commit",
    "cmd_year_draw",
    "cmd_year_status",
]


def _files(args: argparse.Namespace, commitment: str | None = None) -> DrawFiles:
    return year_files(
        args.year,
        args.batch,
        args.population,
        args.out,
        ledger=args.ledger,
        view=args.view,
        commitment=commitment,
        history=args.history,
        allow_list=args.allow_list,
        encoding=args.encoding,
        sheet=args.sheet,
    )


def _print_year(record: YearRecord | None) -> None:
    if record is None:
        return
    rows = [{"task_id": task, **counts} for task, counts in sorted(record.tasks.items())]
    head = record.ledger_head
    print(f"\nYear {record.year}, batch {record.batch}; ledger read at seq {head['seq']} ({head['hash']}):")
    if rows:
        print(pd.DataFrame(rows).to_string(index=False))


def cmd_year_commit(args: argparse.Namespace) -> int:
    step = run_commit(
        _files(args),
        args.out,
        beacon=args.beacon,
        secret=not args.no_secret,
        secret_out=args.secret_out,
        force=args.force,
        salt_key_out=args.salt_key_out,
        staffing=staffing_files(args),
    )
    out, commitment = Path(args.out), step.commitment
    print(f"Wrote {out}/ledger-view.json and {out}/commitment.json (SHA-256 {commitment.sha256}).")
    print(f"Beacon to wait for: {commitment.beacon}")
    if step.secret is not None:
        warn(f"{step.secret} holds the secret (readable by you only). Keep it private until the draw.")
    print("Publish commitment.json and ledger-view.json now, before the beacon value exists.")
    return 0


def cmd_year_draw(args: argparse.Namespace) -> int:
    reveal = reveal_of(args)
    step = run_draw(_files(args, args.commitment), args.out, seed=args.seed, reveal=reveal, force=args.force)
    print_summary(step.result)
    _print_year(step.manifest.year)
    for w in step.result.warnings:
        warn(w)
    print(f"\nSeed ({step.manifest.seed_record.mode}): {step.result.seed}")
    print(f"Wrote {args.out}/: selection.csv, allocation.csv, excluded.csv, summary.csv, manifest.json")
    print(f"manifest SHA-256: {step.manifest.sha256}")
    print(f"Add it to the ledger once published: shuangsuiji ledger add LEDGER --draw {args.out}")
    return 0


def _percent(value: float | None) -> str:
    return "" if value is None or math.isnan(value) else f"{value:.2%}"


def cmd_year_status(args: argparse.Namespace) -> int:
    step = run_year_status(
        args.year,
        args.ledger,
        population=args.population,
        allow_list=args.allow_list,
        encoding=args.encoding,
        sheet=args.sheet,
        out=args.out,
    )
    status = step.status
    tasks = status.tasks.copy()
    for column in ("drawn_share", "done_share"):
        tasks[column] = tasks[column].map(_percent)
    tasks = tasks.astype(object).where(tasks.notna(), "")
    print(f"Year {status.year.id}: target {float(status.year.target):.1%} of the base\n")
    print(tasks.to_string(index=False))
    print()
    print(status.batches.to_string(index=False))
    for path in step.paths:
        print(f"Wrote {path}")
    return 0


def cmd_ledger_add(args: argparse.Namespace) -> int:
    step = run_ledger_add(
        args.ledger,
        year=args.year,
        batch=args.batch,
        draw=args.draw,
        results=args.results,
        published=args.published,
        published_on=args.published_on,
        checks=args.checks,
    )
    print(f"Added {step.added} entries from {', '.join(step.sources)}.")
    print(f"Ledger head: seq {step.head.seq}, hash {step.head.hash}")
    return 0


def cmd_ledger_export(args: argparse.Namespace) -> int:
    print(f"Wrote {run_ledger_export(args.ledger, args.out)}")
    return 0


def cmd_ledger_verify(args: argparse.Namespace) -> int:
    result = run_ledger_verify(args.ledger, draws=args.draw)
    print(result)
    print(f"\n{result.verdict()}")
    return 0 if result.ok else 1
