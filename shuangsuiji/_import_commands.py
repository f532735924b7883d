"""What ``import`` of :mod:`shuangsuiji.cli` does: call the workflow, print the triage (private)."""

from __future__ import annotations

import argparse

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
        print(f"检查对象名录库 {args.entities}: {len(step.entities.rows)} rows read")
        for key, name in TRIAGE_CATEGORIES.items():
            if counts[key]:
                print(f"  {name} ({key}): {counts[key]}")
        kinds = ", ".join(f"{IDENTITY_KINDS[k]} {n}" for k, n in step.entities.kinds().items())
        print(f"  cleaned population: {len(step.entities.population)} entities ({kinds})")
    if step.roster is not None:
        waiting = step.roster.incomplete()
        print(f"执法检查人员名录库 {args.inspectors}: {len(step.roster.rows)} rows, {len(step.roster.roster)} officers")
        if waiting:
            print(f"  {waiting} officers lack a department, capacity or certificate: see triage.csv")
    if step.items:
        print(
            f"抽查事项清单: {step.items} tasks" + (f", {step.joint_fields} joint fields" if step.joint_fields else "")
        )
    for path in step.files:
        print(f"wrote {path}")
    return 0
