"""What ``import`` of :mod:`shuangsuiji.cli` does: call the workflow, print the triage (private)."""

from __future__ import annotations

import argparse

from ._cli_output import record
from ._i18n import _
from .bureau import TRIAGE_CATEGORIES
from .identity import IDENTITY_KINDS
from .workflow._import import run_import

__all__ = ["cmd_import"]


def cmd_import(args: argparse.Namespace) -> int:
    step = run_import(
        args.out,
        entities=args.entities,
        inspectors=args.inspectors,
        items=args.items,
        joint=args.joint,
        columns=args.columns,
        plan_id=args.plan_id,
        sheet=args.sheet,
        header_row=args.header_row,
    )
    if step.entities is not None:
        counts = step.entities.counts()
        print(_("检查对象名录库 {path}: {rows} rows read").format(path=args.entities, rows=len(step.entities.rows)))
        for key, name in TRIAGE_CATEGORIES.items():
            if counts[key]:
                print(f"  {name} ({key}): {counts[key]}")
        kinds = ", ".join(f"{IDENTITY_KINDS[k]} {n}" for k, n in step.entities.kinds().items())
        text = _("  cleaned population: {n} entities ({kinds})")
        print(text.format(n=len(step.entities.population), kinds=kinds))
    if step.roster is not None:
        waiting = step.roster.incomplete()
        text = _("执法检查人员名录库 {path}: {rows} rows, {officers} officers")
        print(text.format(path=args.inspectors, rows=len(step.roster.rows), officers=len(step.roster.roster)))
        if waiting:
            print(_("  {n} officers lack a department, capacity or certificate: see triage.csv").format(n=waiting))
    if step.items:
        joint = _(", {n} joint fields").format(n=step.joint_fields) if step.joint_fields else ""
        print(_("抽查事项清单: {n} tasks").format(n=step.items) + joint)
    for path in step.files:
        print(_("wrote {path}").format(path=path))
    if step.entities is not None:
        rows = {"rows": len(step.entities.rows), "population": len(step.entities.population)}
        record(entities={**rows, "categories": step.entities.counts(), "kinds": step.entities.kinds()})
    if step.roster is not None:
        officers = {"rows": len(step.roster.rows), "officers": len(step.roster.roster)}
        record(roster={**officers, "incomplete": step.roster.incomplete()})
    record(items=step.items, joint_fields=step.joint_fields, files=step.files)
    return 0
