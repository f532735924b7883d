"""What ``amend`` of :mod:`shuangsuiji.cli` does: its options, and the run that prints what changed (private).

The options are read when the parser is built, so this module loads nothing heavy until
:func:`cmd_amend` runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING

from ._cli_output import record
from ._i18n import N_, _, ngettext

if TYPE_CHECKING:
    from .assignment.manifest import Amendment

__all__ = ["amend_options", "cmd_amend"]

#: The roles of a place, as a printed line names them.
_ROLE_WORDS = {"lead": N_("lead (主检)"), "member": N_("member"), "expert": N_("expert")}

#: The input files ``amend`` reads where the assignment records them: option -> role.
_ROLES = {
    "population": "population",
    "roster": "roster",
    "conflicts": "conflicts",
    "requests": "requests",
    "relations": "relations",
    "pairs": "pairs",
    "history": "history",
    "calendar_overrides": "calendar",
}


def amend_options(p: argparse.ArgumentParser) -> None:
    """The options of ``shuangsuiji amend``."""
    p.add_argument("assignment", metavar="ASSIGNMENT_DIR", help=_("the assignment's folder (with assignment.json)"))
    change = p.add_mutually_exclusive_group(required=True)
    change.add_argument("--recusal", metavar="OFFICER:USCC", help=_("the officer leaves the visit of this firm (回避)"))
    change.add_argument(
        "--leave", metavar="OFFICER:FROM:TO", help=_("the officer leaves every visit dated FROM to TO (YYYY-MM-DD)")
    )
    change.add_argument(
        "--departure", metavar="OFFICER[:FROM]", help=_("the officer leaves every visit not yet done (from FROM on)")
    )
    change.add_argument("--changes", metavar="FILE", help=_("several changes, one a row (CSV or XLSX; docs/amend.md)"))
    p.add_argument("--requested-by", metavar="TEXT", help=_("who asked for it (required unless the changes file says)"))
    p.add_argument("--reason", metavar="TEXT", help=_("why (required unless the changes file says)"))
    p.add_argument("--on", metavar="DATE", help=_("the day it was asked for, YYYY-MM-DD (default: today)"))
    for option, role in _ROLES.items():
        name = option.replace("_", "-")
        text = _("the {role} file, if not where assignment.json records it").format(role=role)
        p.add_argument(f"--{name}", metavar="FILE", help=text)


def _request(args: argparse.Namespace, on: dt.date) -> Amendment:
    """The one change the options name."""
    from .assignment.manifest import Amendment, parse_day  # noqa: PLC0415 - loaded once the command runs
    from .workflow._amend import code  # noqa: PLC0415

    if not args.requested_by or not args.reason:
        from .exceptions import InputError  # noqa: PLC0415

        raise InputError(_("Say who asked for the change (--requested-by) and why (--reason)."))
    common = {"requested_by": args.requested_by, "reason": args.reason, "requested_on": on}
    if args.recusal is not None:
        officer, _sep, firm = args.recusal.partition(":")
        return Amendment("recusal", officer.strip(), uscc=code(firm) or None, **common)
    if args.leave is not None:
        officer, _sep, days = args.leave.partition(":")
        first, _sep, last = days.partition(":")
        start = parse_day(first.strip(), _("--leave's first day"))
        end = parse_day(last.strip(), _("--leave's last day"))
        return Amendment("leave", officer.strip(), start=start, end=end, **common)
    officer, _sep, first = args.departure.partition(":")
    begins = parse_day(first.strip(), _("--departure's first day")) if first.strip() else None
    return Amendment("departure", officer.strip(), start=begins, **common)


def _describe(a: Amendment) -> str:
    """The change in words, as :meth:`Amendment.describe` puts it (which ``unstaffed.csv`` keeps in English)."""
    if a.kind == "recusal":
        return _("recusal of {person} for {uscc}").format(person=a.inspector_id, uscc=a.uscc)
    if a.kind == "leave":
        return _("leave of {person} from {start} to {end}").format(person=a.inspector_id, start=a.start, end=a.end)
    if a.start:
        return _("departure of {person} from {start}").format(person=a.inspector_id, start=a.start)
    return _("departure of {person}").format(person=a.inspector_id)


def cmd_amend(args: argparse.Namespace) -> int:
    """``shuangsuiji amend DIR (--recusal O:USCC | --leave O:FROM:TO | --departure O[:FROM] | --changes F) ...``."""
    from ._commands import warn  # noqa: PLC0415 - loaded once the command runs
    from .assignment.manifest import parse_day  # noqa: PLC0415
    from .workflow._amend import read_amendments, run_amend  # noqa: PLC0415

    on = parse_day(args.on, "--on") if args.on else dt.date.today()
    if args.changes is not None:
        requests = read_amendments(args.changes, requested_by=args.requested_by, reason=args.reason, requested_on=on)
    else:
        requests = (_request(args, on),)
    files = {role: getattr(args, option) for option, role in _ROLES.items()}
    step = run_amend(args.assignment, requests, files=files)
    for amendment in step.amendments:
        n = len(amendment.changes)
        text = ngettext(
            "Amendment {sequence} ({change}): {n} place changed.",
            "Amendment {sequence} ({change}): {n} places changed.",
            n,
        )
        print(text.format(sequence=amendment.sequence, change=_describe(amendment), n=n))
        for c in amendment.changes:
            role = _(_ROLE_WORDS[c.role]) if c.role in _ROLE_WORDS else c.role
            into = c.into or _("nobody")
            print(f"  {c.visit_id}, {c.department}, {role}: {c.out} -> {into}")
            if c.into is None:
                warn(_("{visit} waits: nobody may take the place (unstaffed.csv says why).").format(visit=c.visit_id))
        if not n:
            print(_("  (on no visit it touches: logged, and it binds later amendments)"))
    done = [
        {"sequence": a.sequence, "change": _describe(a), "changes": [vars(c) for c in a.changes]}
        for a in step.amendments
    ]
    record(out=step.out, assignment_sha256=step.manifest.sha256, amendments=done)
    text = _("Wrote {out}/: visits.csv, teams.csv, workload.csv, unstaffed.csv, assignment.json")
    print(text.format(out=step.out))
    print(_("assignment SHA-256: {sha256}").format(sha256=step.manifest.sha256))
    return 0
