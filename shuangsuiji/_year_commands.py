"""What ``year`` and ``ledger`` of :mod:`shuangsuiji.cli` do: call the workflow, print the outcome (private).

Imported only once one of them has been chosen (it loads SQLAlchemy).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd

from ._cli_output import record, records, terminal_table
from ._commands import print_summary, reveal_of, shown_verification, staffing_files, warn
from ._i18n import _
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


def _print_year(year: YearRecord | None) -> None:
    if year is None:
        return
    rows = [{"task_id": task, **counts} for task, counts in sorted(year.tasks.items())]
    head = year.ledger_head
    message = _("\nYear {year}, batch {batch}; ledger read at seq {seq} ({hash}):")
    print(message.format(year=year.year, batch=year.batch, seq=head["seq"], hash=head["hash"]))
    record(year=year.year, batch=year.batch, ledger_head=head, year_tasks=rows)
    if rows:
        print(terminal_table(pd.DataFrame(rows)))


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
    message = _("Wrote {out}/ledger-view.json and {out}/commitment.json (SHA-256 {sha256}).")
    print(message.format(out=out, sha256=commitment.sha256))
    print(_("Beacon to wait for: {beacon}").format(beacon=commitment.beacon))
    record(commitment=out / "commitment.json", sha256=commitment.sha256, beacon=commitment.beacon, secret=step.secret)
    if step.secret is not None:
        warn(
            _("{path} holds the secret (readable by you only). Keep it private until the draw.").format(
                path=step.secret
            )
        )
    print(_("Publish commitment.json and ledger-view.json now, before the beacon value exists."))
    return 0


def cmd_year_draw(args: argparse.Namespace) -> int:
    reveal = reveal_of(args)
    step = run_draw(_files(args, args.commitment), args.out, seed=args.seed, reveal=reveal, force=args.force)
    print_summary(step.result)
    _print_year(step.manifest.year)
    for w in step.result.warnings:
        warn(w)
    print(_("\nSeed ({mode}): {seed}").format(mode=step.manifest.seed_record.mode, seed=step.result.seed))
    print(
        _("Wrote {out}/: selection.csv, allocation.csv, excluded.csv, summary.csv, manifest.json").format(out=args.out)
    )
    print(_("manifest SHA-256: {sha256}").format(sha256=step.manifest.sha256))
    record(out=step.out, seed=step.result.seed, seed_mode=step.manifest.seed_record.mode)
    record(manifest_sha256=step.manifest.sha256, summary=records(step.result.summary))
    print(_("Add it to the ledger once published: shuangsuiji ledger add LEDGER --draw {out}").format(out=args.out))
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
    message = _("Year {year}: target {target:.1%} of the base\n")
    print(message.format(year=status.year.id, target=float(status.year.target)))
    print(terminal_table(tasks))
    print()
    print(terminal_table(status.batches))
    for path in step.paths:
        print(_("Wrote {path}").format(path=path))
    record(year=status.year.id, target=float(status.year.target), tasks=records(status.tasks))
    record(batches=records(status.batches), files=step.paths)
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
    message = _("Added {n} entries from {sources}.")
    print(message.format(n=step.added, sources=", ".join(step.sources)))
    print(_("Ledger head: seq {seq}, hash {hash}").format(seq=step.head.seq, hash=step.head.hash))
    record(added=step.added, sources=list(step.sources), head={"seq": step.head.seq, "hash": step.head.hash})
    return 0


def cmd_ledger_export(args: argparse.Namespace) -> int:
    path = run_ledger_export(args.ledger, args.out)
    print(_("Wrote {path}").format(path=path))
    record(files=[path])
    return 0


def cmd_ledger_verify(args: argparse.Namespace) -> int:
    return shown_verification(run_ledger_verify(args.ledger, draws=args.draw))
