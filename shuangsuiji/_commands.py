"""What each command of :mod:`shuangsuiji.cli` does: call the workflow, print the outcome (private).

Imported only once a command has been chosen, so that ``--help`` stays light.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ._cli_output import check_fields, failed, record, records, terminal_table, warned
from ._i18n import N_, _, shown
from ._progress import stage
from ._staffing_record import StaffingFiles
from .absence import AbsenceProof
from .checks import Verification
from .engines import Engine, get_engine
from .exceptions import MAX_LISTED_PROBLEMS, InputError, InternalError, Problem, ShuangsuijiError, TableError
from .inputs import DrawFiles
from .io import write_csv
from .merkle import LEAF_FORMATS
from .plan import parse_window
from .salting import read_salt_key
from .sampling import DrawResult, ticket
from .seed import check_seed
from .uscc import uscc_problem
from .workflow import (
    AssignmentFiles,
    Reveal,
    run_assign,
    run_commit,
    run_draw,
    run_page,
    run_prove,
    run_report,
    run_verify,
    run_verify_proof,
)

__all__ = [
    "assignment_files",
    "guarded",
    "print_summary",
    "reveal_of",
    "shown_verification",
    "staffing_files",
    "warn",
]


def guarded(run: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command, printing the library's errors without a traceback; returns the exit status."""
    try:
        return run(args)
    except InternalError as exc:
        return _said(exc, str(exc), 3, _("internal error (a bug in shuangsuiji, please report it): "))
    except TableError as exc:
        return _said(exc, f"{exc}{_write_problems(exc, getattr(args, 'out', None))}", 2)
    except ShuangsuijiError as exc:
        return _said(exc, str(exc), 2)
    except KeyboardInterrupt as exc:
        return _said(exc, _("interrupted"), 130, "")
    except BrokenPipeError:  # the reader went away (``| head``): stop writing, as a C program would
        with contextlib.suppress(OSError, ValueError):  # a stdout without a file (captured) needs nothing
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:  # a missing file, a folder given for a file, no permission, a full disk: named, exit 2
        return _said(exc, f"{exc.filename}: {exc.strerror or exc}" if exc.filename else str(exc), 2)
    except Exception as exc:  # the last net: a bug, reported as one, never as "not verified"
        return _bug(exc)


def _said(exc: BaseException, message: str, status: int, prefix: str | None = None) -> int:
    """Print ``prefix`` (``error: `` by default) and ``message`` on standard error, keep it for ``--json``."""
    print((_("error: ") if prefix is None else prefix) + message, file=sys.stderr)
    failed(exc, message)
    return status


#: Set (to anything but ``0`` or empty) to see the traceback of an internal error.
DEBUG_VARIABLE = "SHUANGSUIJI_DEBUG"


def _bug(exc: Exception) -> int:
    """Report an exception the library did not turn into its own error: exit 3, the traceback only on request."""
    if os.environ.get(DEBUG_VARIABLE, "") not in {"", "0"}:
        traceback.print_exception(exc, file=sys.stderr)
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ is not None else None
    at = _(" at {file}:{line}")
    place = at.format(file=Path(where.filename).name, line=where.lineno) if where is not None else ""
    text = _(
        "internal error (a bug in shuangsuiji, please report it with the command you ran): "
        "{name}{place}: {exc}\n(set {variable}=1 to see the traceback)"
    )
    return _said(exc, text.format(name=type(exc).__name__, place=place, exc=exc, variable=DEBUG_VARIABLE), 3, "")


def _write_problems(exc: TableError, out: str | None) -> str:
    """Write all problems of a long list to OUT/problems.csv; returns a note for the message."""
    if out is None or len(exc.problems) <= MAX_LISTED_PROBLEMS:
        return ""
    frame = pd.DataFrame([vars(p) for p in exc.problems], columns=list(Problem.__dataclass_fields__))
    path = Path(out) / "problems.csv"
    write_csv(frame, path)
    return _("\nAll {n} problems are listed in {path}.").format(n=len(exc.problems), path=path)


def warn(text: str) -> None:
    """Print a warning on standard error (whatever ``--quiet`` says), and keep it for ``--json``.

    A warning stored in fixed English (a draw's, from its manifest) is shown in the language of messages.
    """
    text = shown(text)
    print(_("warning: ") + text, file=sys.stderr)
    warned(text)


def _files(args: argparse.Namespace) -> DrawFiles:
    def path(value: str | None) -> Path | None:
        return None if value is None else Path(value)

    return DrawFiles(
        population=Path(args.population),
        plan=Path(args.plan),
        history=path(args.history),
        allow_list=path(args.allow_list),
        encoding=args.encoding,
        sheet=args.sheet,
    )


def _engine(args: argparse.Namespace) -> Engine:
    return get_engine(args.engine, scheduler=args.scheduler, workers=args.workers, partition_rows=args.partition_rows)


def print_summary(result: DrawResult) -> None:
    cols = ["task_id", "department", "eligible", "excluded", "sample", "floor_binding"]
    table = result.summary[cols].copy()
    table["floor_binding"] = table["floor_binding"].map({True: _("floor"), False: ""})
    print(terminal_table(table))


def cmd_commit(args: argparse.Namespace) -> int:
    step = run_commit(
        _files(args),
        args.out,
        beacon=args.beacon,
        secret=not args.no_secret,
        secret_out=args.secret_out,
        engine=_engine(args),
        force=args.force,
        leaf_format=LEAF_FORMATS[args.leaf_format],
        salt_key_out=args.salt_key_out,
        staffing=staffing_files(args),
    )
    out, commitment = Path(args.out), step.commitment
    record(commitment=out / "commitment.json", sha256=commitment.sha256, beacon=commitment.beacon, secret=step.secret)
    record(population={"rows": commitment.population.rows, "merkle_root": commitment.population.merkle_root})
    print(_("Wrote {out}/commitment.json (SHA-256 {sha256}).").format(out=out, sha256=commitment.sha256))
    population = commitment.population
    text = _("Population: {rows:,} entities, Merkle root {root}.")
    print(text.format(rows=population.rows, root=population.merkle_root))
    print(_("Beacon to wait for: {beacon}").format(beacon=commitment.beacon))
    if commitment.assignment is not None:
        bound = commitment.assignment
        text = _("Assignment bound too: {inputs}; roster of {size:,} people, Merkle root {root}.")
        print(text.format(inputs=", ".join(sorted(bound.inputs)), size=bound.roster_size, root=bound.roster_root))
    else:
        warn(_("no --roster: the assignment's inputs are not bound, so this batch cannot be staffed by 'assign'."))
    if step.secret is not None:
        text = _(
            "{path} holds the secret (readable by you only). Keep it private until the draw, "
            "and do not lose it: the draw cannot be made without it."
        )
        warn(text.format(path=step.secret))
    if args.salt_key_out:
        text = _("{path} holds the salt key of the hidden fields: keep it for good, and never publish it.")
        warn(text.format(path=args.salt_key_out))
    print(_("Publish commitment.json now, before the beacon value exists."))
    return 0


def staffing_files(args: argparse.Namespace) -> StaffingFiles | None:
    """The second random's files ``commit`` binds (``None`` without ``--roster``)."""
    others = [o for o in ("conflicts", "requests", "relations", "pairs", "calendar_overrides") if getattr(args, o)]
    if args.roster is None:
        if others:
            text = _("{option} binds the assignment: give the --roster with it.")
            raise InputError(text.format(option="--" + others[0].replace("_", "-")))
        return None
    return StaffingFiles(roster=Path(args.roster), **_bound(args))


def _bound(args: argparse.Namespace) -> dict[str, Path | None]:
    """The second random's optional files the options give, by field of :class:`StaffingFiles` (for both commands)."""
    named = {"conflicts": args.conflicts, "requests": args.requests, "relations": args.relations, "pairs": args.pairs}
    return {field: _path(value) for field, value in {**named, "calendar": args.calendar_overrides}.items()}


def _path(value: str | None) -> Path | None:
    return None if value is None else Path(value)


def reveal_of(args: argparse.Namespace) -> Reveal | None:
    """The ceremony's reveal the draw options give (``None`` for ``--seed``), checking they fit together."""
    if (args.seed is None) == (args.commitment is None):
        raise InputError(_("Give either --seed HEX, or --commitment FILE with --beacon-value (and --secret FILE)."))
    if args.commitment is None and (args.beacon_value or args.secret):
        raise InputError(_("--beacon-value and --secret go with --commitment."))
    if args.commitment is None:
        return None
    secret = None if args.secret is None else Path(args.secret)
    return Reveal(Path(args.commitment), args.beacon_value or "", secret)


def cmd_draw(args: argparse.Namespace) -> int:
    step = run_draw(
        _files(args),
        args.out,
        seed=args.seed,
        reveal=reveal_of(args),
        engine=_engine(args),
        force=args.force,
        leaf_format=LEAF_FORMATS[args.leaf_format],
        salt_key=read_salt_key(args.salt_key) if args.salt_key else None,
    )
    print_summary(step.result)
    for w in step.result.warnings:
        warn(w)
    print(_("\nSeed ({mode}): {seed}").format(mode=step.manifest.seed_record.mode, seed=step.result.seed))
    record(out=step.out, seed=step.result.seed, seed_mode=step.manifest.seed_record.mode)
    record(manifest_sha256=step.manifest.sha256, summary=records(step.result.summary))
    text = _("Wrote {out}/: selection.csv, allocation.csv, excluded.csv, summary.csv, manifest.json")
    print(text.format(out=args.out))
    print(_("manifest SHA-256: {sha256}").format(sha256=step.manifest.sha256))
    return 0


def assignment_files(args: argparse.Namespace) -> AssignmentFiles:
    """The assignment's input files the options of :func:`shuangsuiji._cli_options.assignment_inputs` give."""
    return AssignmentFiles(
        population=Path(args.population),
        roster=Path(args.roster),
        **_bound(args),
        history=_path(args.history),
        encoding=args.encoding,
        sheet=args.sheet,
        allow_list=_path(args.allow_list),
    )


def cmd_assign(args: argparse.Namespace) -> int:
    files = assignment_files(args)
    window = parse_window(args.window, "--window") if args.window else None
    step = run_assign(
        args.draw,
        files,
        out=args.out,
        window=window,
        allow_partial=args.allow_partial,
        seed=args.seed,
        force=args.force,
    )
    result = step.result
    parts = result.visits["visit_id"].str.contains("/", regex=False)
    status = result.visits.loc[~parts, "status"].value_counts()
    staffed, undated, desk = (int(status.get(k, 0)) for k in ("staffed", "undated", "desk"))
    waiting = int(result.unstaffed["visit_id"].nunique()) if len(result.unstaffed) else 0
    counts = {"visits": int((~parts).sum()), "staffed": staffed, "undated": undated, "desk": desk}
    record(**counts, waiting=waiting, waiting_parts=int(parts.sum()), places=len(result.teams))
    record(out=step.out, assignment_sha256=step.manifest.sha256)
    print(
        _("{staffed} of {visits} visits staffed").format(staffed=staffed, visits=int((~parts).sum()))
        + (_(" and dated, {undated} staffed but undated").format(undated=undated) if undated else "")
        + (_(", {desk} desk checks (书面/网络检查: staffed, no date)").format(desk=desk) if desk else "")
        + _("; {places} places filled.").format(places=len(result.teams))
    )
    if parts.any():
        text = _(
            "{n} departments' parts of joint visits wait on their own while the rest of their visit "
            "goes (joint_fallback; visits.csv rows V<code>/<department>)."
        )
        warn(text.format(n=int(parts.sum())))
    if waiting:
        warn(_("{n} visits wait (unstaffed.csv).").format(n=waiting))
    loads = result.workload[result.workload["kind"] == "officer"]["visits"]
    if len(loads):
        text = _("Officers' loads: min {min}, median {median}, max {max}.")
        print(text.format(min=loads.min(), median=int(loads.median()), max=loads.max()))
    text = _("Wrote {out}/: visits.csv, teams.csv, workload.csv, unstaffed.csv, certificate.csv, assignment.json")
    print(text.format(out=step.out))
    print(_("assignment SHA-256: {sha256}").format(sha256=step.manifest.sha256))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    result = run_verify(
        args.draw,
        population=args.population,
        plan=args.plan,
        history=args.history,
        allow_list=args.allow_list,
        commitment=args.commitment,
        engine=_engine(args),
        salt_key=args.salt_key,
        published_only=args.published_only,
        results=args.results,
    )
    return shown_verification(result)


def shown_verification(result: Verification) -> int:
    """Print a verification's lines and its verdict (and keep them for ``--json``); returns the exit status."""
    print(result)
    print(f"\n{result.verdict()}")
    record(verified=result.ok, verdict=result.verdict(), checks=[check_fields(c) for c in result.checks])
    return 0 if result.ok else 1


def cmd_prove(args: argparse.Namespace) -> int:
    step = run_prove(
        args.draw,
        args.uscc,
        out=args.out,
        population=args.population,
        allow_list=args.allow_list,
        stream=args.stream,
        batch_rows=args.batch_rows,
        salt_key=args.salt_key,
    )
    record(proof=step.path, uscc=step.proof.uscc, in_population=not isinstance(step.proof, AbsenceProof))
    if isinstance(step.proof, AbsenceProof):
        text = _("{uscc} is not in the committed population of {size} entities.")
        print(text.format(uscc=step.proof.uscc, size=step.proof.tree_size))
    else:
        record(tasks=[{"task_id": t.task_id, "outcome": t.outcome, "ticket": t.ticket} for t in step.proof.tasks])
        for task in step.proof.tasks:
            text = _("{task}: {outcome}  ticket {ticket}")
            print(text.format(task=task.task_id, outcome=task.outcome, ticket=task.ticket))
    print(_("Wrote {path}").format(path=step.path))
    return 0


def cmd_verify_proof(args: argparse.Namespace) -> int:
    result = run_verify_proof(args.proof, args.manifest)
    print(result)
    print("\n" + (_("VERIFIED") if result.ok else _("NOT VERIFIED")))
    record(verified=result.ok, checks=[check_fields(c) for c in result.checks])
    return 0 if result.ok else 1


def cmd_page(args: argparse.Namespace) -> int:
    out = run_page(args.out)
    record(files=[out])
    text = _("Wrote {path}: open it in a browser (no server, no network), load manifest.json and enter a code.")
    print(text.format(path=out))
    return 0


def cmd_ticket(args: argparse.Namespace) -> int:
    tickets = {code: ticket(check_seed(args.seed), args.scope, code) for code in args.uscc}
    for code, value in tickets.items():
        print(f"{value}  {code}")
    record(scope=args.scope, tickets=[{"uscc": code, "ticket": value} for code, value in tickets.items()])
    return 0


def cmd_check_uscc(args: argparse.Namespace) -> int:
    problems = {code: uscc_problem(code) for code in args.code}
    for code, problem in problems.items():
        print(_("{code}: valid").format(code=code) if problem is None else f"{code}: {problem}")
    record(codes=[{"code": code, "valid": problem is None, "problem": problem} for code, problem in problems.items()])
    return 1 if any(p is not None for p in problems.values()) else 0


def cmd_example(args: argparse.Namespace) -> int:
    from .workflow import write_example_city  # noqa: PLC0415

    written = write_example_city(args.out, entities=args.entities, seed=args.seed)
    for role, path in written.items():
        print(f"{role}: {path}")
    record(files=written)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from rich.console import Console  # noqa: PLC0415 - rich loads only for the demo's table
    from rich.table import Table  # noqa: PLC0415

    from .workflow import run_demo  # noqa: PLC0415

    if args.year:
        return _year_demo(args, Console(), Table)
    console = Console()
    text = _("A batch on a synthetic city of {entities:,} entities, written to {out}/ ...")
    console.print(text.format(entities=args.entities, out=args.out))
    result = run_demo(args.out, entities=args.entities, progress=stage)  # a bar on a terminal (_cli_output)
    table = Table(title=_("shuangsuiji demo ({seconds:.0f} s)").format(seconds=result.seconds))
    table.add_column(_("figure"))
    table.add_column(_("value"))
    for figure, value in result.summary.itertuples(index=False):
        table.add_row(str(figure), str(value))
    table.add_row(_("verify"), _("VERIFIED: every check passed") if result.verified else _("NOT VERIFIED"))
    console.print(table)
    record(seconds=result.seconds, verified=result.verified, summary=dict(result.summary.itertuples(index=False)))
    out = Path(args.out)
    text = _(
        "Inputs: {inputs}/   Work: {work}/ (commitment, draw, assignment, notices)   "
        "To post: {public}/ (no secret, no inputs; {private}/ holds the secret)   "
        "Report: {report}"
    )
    where = {"inputs": out / "inputs", "work": out / "publish", "public": out / "public", "private": out / "private"}
    console.print(text.format(**where, report=out / "report" / "report.html"))
    return 0 if result.verified else 1


#: The year demo's columns of counts, as its table heads them.
_YEAR_COLUMNS = (N_("base"), N_("target"), N_("drawn"), N_("staffed"), N_("done"), N_("published"), N_("drawn share"))


def _year_demo(args: argparse.Namespace, console: Any, table_type: Any) -> int:
    from .workflow import run_year_demo  # noqa: PLC0415

    text = _("A year of four batches on a synthetic city of {entities:,} entities, written to {out}/ ...")
    console.print(text.format(entities=args.entities, out=args.out))
    result = run_year_demo(args.out, entities=args.entities, progress=stage)
    tasks = result.status.status.tasks
    title = _("shuangsuiji year demo ({seconds:.0f} s): 一般事项抽查比例 over the year")
    table = table_type(
        title=title.format(seconds=result.seconds), caption=_("verify: every batch and the ledger VERIFIED")
    )
    table.add_column(_("task"), no_wrap=True)
    for column in _YEAR_COLUMNS:
        table.add_column(_(column), justify="right")
    counts = ["base", "target", "drawn", "staffed", "done", "published"]
    for row in tasks.to_dict("records"):
        table.add_row(str(row["task_id"]), *(f"{int(row[c]):,}" for c in counts), f"{float(row['drawn_share']):.2%}")
    console.print(table)
    record(seconds=result.seconds, ledger=result.ledger, tasks=records(tasks))
    text = _("Ledger: {ledger}   Status: {status}")
    console.print(text.format(ledger=result.ledger, status=Path(args.out) / "status" / "year-status.html"))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    step = run_report(args.draw, args.out)
    if step.font is None:
        warn(_("no CJK font found; figures are labelled in English (install fonts-noto-cjk)"))
    print(_("Wrote {path}").format(path=step.path))
    record(files=[step.path], cjk_font=step.font)
    return 0
