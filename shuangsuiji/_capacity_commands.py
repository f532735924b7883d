"""``shuangsuiji capacity``: the smallest roster change that staffs every visit, printed (private).

Its options are read when the parser is built, so this module imports nothing heavy at the top; the
workflow and pandas load once the command runs.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ._cli_options import assignment_inputs
from ._cli_output import record
from ._i18n import _, ngettext

if TYPE_CHECKING:
    from .workflow import CapacityStep

__all__ = ["capacity_options", "cmd_capacity"]


def capacity_options(p: argparse.ArgumentParser) -> None:
    """The options of ``capacity``: the assignment's inputs, where to write, and the amended roster."""
    p.add_argument("draw", metavar="DRAW", help=_("the draw's folder (with manifest.json)"))
    assignment_inputs(p)
    p.add_argument("--out", help=_("folder for capacity.csv (default: the draw's folder, where the report shows it)"))
    p.add_argument("--roster-out", metavar="FILE", help=_("a new CSV file: the roster with the rows to add"))
    p.add_argument("--seed", help=_("64 hex digits (default: the draw's seed)"))
    p.add_argument(
        "--force", action="store_true", help=_("replace an earlier capacity.csv and an existing --roster-out")
    )


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


def _visits(n: int) -> str:
    """``1 visit``, ``2 visits``."""
    return ngettext("{n:,} visit", "{n:,} visits", n).format(n=n)


def _change(step: CapacityStep) -> str:
    """The change in words: who to add, how many leads, with which certificates."""
    result = step.result
    n, leads = result.added, result.leads
    certified = sum(c.leads for c in result.changes if c.certificates)
    who = ngettext("{n:,} person with the capacity shown", "{n:,} people, each with the capacity shown", n)
    text = _("\nChange: add {who} (their group's median)").format(who=who.format(n=n))
    if leads:
        text += _(": a lead") if leads == 1 else _(": {leads:,} of them leads").format(leads=leads)
        text += _(" (主检) with an enforcement certificate")
    if certified:
        text += (
            _(", holding the certificates shown")
            if certified == leads
            else _(", {certified:,} of these holding them").format(certified=certified)
        )
    return text + _(".")


def _print_change(step: CapacityStep) -> None:
    result = step.result
    text = _("{waiting:,} of {visits:,} visits wait with the roster as it is.")
    print(text.format(waiting=result.unstaffed_before, visits=result.visits))
    if len(result.groups):
        print(result.groups[list(_SHOWN)].rename(columns=_SHOWN).to_string(index=False))
    print(_change(step) if result.added else _("\nChange: none; the roster as it is staffs every team."))
    if result.staffs_every_visit:
        text = (
            _("With it the whole assignment staffs every visit (checked by solving it: {rounds} round(s)).")
            if result.added
            else _("As it is, the whole assignment staffs every visit (checked by solving it: {rounds} round(s)).")
        )
        print(text.format(rounds=result.rounds))
    else:
        text = _("Even with it, {visits} would wait: see the reasons in capacity.csv.")
        print(text.format(visits=_visits(result.unstaffed_after)))
    if result.cross_station_visits == 0:
        print(_("Cross-station mode (所所交叉) costs no visit with the roster as it is."))
    elif result.cross_station_visits is not None:
        teams = int(result.groups["cross_station_teams"].sum())
        text = _(
            "Cross-station mode (所所交叉) costs {visits} with the roster as it "
            "is ({teams} in the groups above) that would be staffed without it."
        )
        team_count = ngettext("{n:,} team", "{n:,} teams", teams).format(n=teams)
        print(text.format(visits=_visits(result.cross_station_visits), teams=team_count))
    if len(result.undated):
        text = _(
            "Dates: {visits} staffed with the change find no day in the window; more "
            "officers may or may not help (their leave, daily_cap and the window's working days decide)."
        )
        print(text.format(visits=_visits(len(result.undated))))


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
    result = step.result
    record(report=step.path, roster=step.roster, visits=result.visits, waiting_before=result.unstaffed_before)
    record(added=result.added, staffs_every_visit=result.staffs_every_visit, undated=len(result.undated))
    print(_("Wrote {path}").format(path=step.path))
    if step.roster is not None and not step.result.added:
        print(_("Wrote {path}: the roster as it is (nothing to add).").format(path=step.roster))
    elif step.roster is not None:
        text = _(
            "Wrote {path}: the roster's rows, then the {added} added; replace each added "
            "row's inspector_id, name and cert_no (待补-...) by the person's own, then run 'assign' with it."
        )
        print(text.format(path=step.roster, added=step.result.added))
    if step.committed and step.result.added:
        print(
            _(
                "This draw was made from a commitment: if the commitment binds the roster, 'assign' staffs it from "
                "that roster only, and the amended roster serves the next batch, committed with it."
            )
        )
    return 0 if step.result.staffs_every_visit and not len(step.result.undated) else 1
