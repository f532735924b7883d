"""``shuangsuiji capacity``: the smallest roster change that staffs every visit, printed (private).

Its options are read when the parser is built, so this module imports nothing heavy at the top; the
workflow and pandas load once the command runs.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ._cli_options import assignment_inputs

if TYPE_CHECKING:
    from .workflow import CapacityStep

__all__ = ["capacity_options", "cmd_capacity"]


def capacity_options(p: argparse.ArgumentParser) -> None:
    """The options of ``capacity``: the assignment's inputs, where to write, and the amended roster."""
    p.add_argument("draw", metavar="DRAW", help="the draw's folder (with manifest.json)")
    assignment_inputs(p)
    p.add_argument("--out", help="folder for capacity.csv (default: the draw's folder, where the report shows it)")
    p.add_argument("--roster-out", metavar="FILE", help="a new CSV file: the roster with the rows to add")
    p.add_argument("--seed", help="64 hex digits (default: the draw's seed)")
    p.add_argument("--force", action="store_true", help="replace an earlier capacity.csv and an existing --roster-out")


#: The table's columns, as printed.
_SHOWN = {
    "region": "region",
    "department": "department",
    "teams": "teams",
    "unstaffed_teams": "unstaffed",
    "officers": "officers",
    "add_officers": "add",
    "add_leads": "leads",
    "certificates": "certificates",
    "capacity_each": "capacity each",
    "cross_station_teams": "所所交叉 cost",
}


def _count(n: int, thing: str) -> str:
    """``1 visit``, ``2 visits``."""
    return f"{n:,} {thing}" + ("" if n == 1 else "s")


def _print_change(step: CapacityStep) -> None:
    result = step.result
    print(f"{result.unstaffed_before:,} of {result.visits:,} visits wait with the roster as it is.")
    if len(result.groups):
        print(result.groups[list(_SHOWN)].rename(columns=_SHOWN).to_string(index=False))
    if result.added:
        n, leads = result.added, result.leads
        certified = sum(c.leads for c in result.changes if c.certificates)
        who = "1 person with the capacity shown" if n == 1 else f"{n:,} people, each with the capacity shown"
        text = f"\nChange: add {who} (their group's median)"
        if leads:
            text += ": a lead" if leads == 1 else f": {leads:,} of them leads"
            text += " (主检) with an enforcement certificate"
        if certified:
            text += (
                ", holding the certificates shown" if certified == leads else f", {certified:,} of these holding them"
            )
        print(text + ".")
    else:
        print("\nChange: none; the roster as it is staffs every team.")
    if result.staffs_every_visit:
        print(
            ("With it" if result.added else "As it is,")
            + f" the whole assignment staffs every visit (checked by solving it: {result.rounds} round(s))."
        )
    else:
        print(f"Even with it, {_count(result.unstaffed_after, 'visit')} would wait: see the reasons in capacity.csv.")
    if result.cross_station_visits == 0:
        print("Cross-station mode (所所交叉) costs no visit with the roster as it is.")
    elif result.cross_station_visits is not None:
        teams = int(result.groups["cross_station_teams"].sum())
        print(
            f"Cross-station mode (所所交叉) costs {_count(result.cross_station_visits, 'visit')} with the roster as it "
            f"is ({_count(teams, 'team')} in the groups above) that would be staffed without it."
        )
    if len(result.undated):
        print(
            f"Dates: {_count(len(result.undated), 'visit')} staffed with the change find no day in the window; more "
            "officers may or may not help (their leave, daily_cap and the window's working days decide)."
        )


def cmd_capacity(args: argparse.Namespace) -> int:
    """Run ``capacity``: 0 when the change lets ``assign`` staff (and date) every visit, else 1."""
    from ._commands import assignment_files  # noqa: PLC0415
    from .plan import parse_window  # noqa: PLC0415 - loads pandas: only once the command runs
    from .workflow import run_capacity  # noqa: PLC0415

    files = assignment_files(args)
    window = parse_window(args.window, "--window") if args.window else None
    step = run_capacity(
        args.draw, files, out=args.out, roster_out=args.roster_out, window=window, seed=args.seed, force=args.force
    )
    _print_change(step)
    print(f"Wrote {step.path}")
    if step.roster is not None and not step.result.added:
        print(f"Wrote {step.roster}: the roster as it is (nothing to add).")
    elif step.roster is not None:
        print(
            f"Wrote {step.roster}: the roster's rows, then the {step.result.added} added; replace each added "
            "row's inspector_id, name and cert_no (待补-...) by the person's own, then run 'assign' with it."
        )
    if step.committed and step.result.added:
        print(
            "This draw was made from a commitment: if the commitment binds the roster, 'assign' staffs it from "
            "that roster only, and the amended roster serves the next batch, committed with it."
        )
    return 0 if step.result.staffs_every_visit and not len(step.result.undated) else 1
