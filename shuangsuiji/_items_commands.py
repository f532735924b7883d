"""What ``import-items`` of :mod:`shuangsuiji.cli` does: read the items lists, write a plan (private).

The lists are read with :mod:`shuangsuiji.items`; the plan written is checked with the plan loader
before it is written (atomically), so a file on disk always loads.
"""

from __future__ import annotations

import argparse
import tomllib
from fractions import Fraction

from ._cli_output import record
from ._commands import warn
from ._i18n import _
from ._items_plan import items_plan
from .io import atomic_write_text
from .items import ItemsList, read_items, read_joint_items
from .plan import parse_plan
from .validation import check_fraction

__all__ = ["cmd_import_items", "summary_lines"]


def summary_lines(items: ItemsList, joint: ItemsList | None = None) -> list[str]:
    """The short summary ``import-items`` prints: items per department, kinds, joint fields.

    Examples
    --------
    >>> from shuangsuiji.items import Item
    >>> lst = ItemsList("a.xlsx", None, False, (Item("I001", "省教育厅", "c", "n", kind="general"),))
    >>> summary_lines(lst)[:3]
    ['a.xlsx: 1 items of 1 departments (general 1, key 0, not said 0)', '  省教育厅: 1', '  rows left out: 0']
    """
    kinds = items.kinds()
    text = _("{source}: {items} items of {departments} departments (general {general}, key {key}, not said {unsaid})")
    lines = [
        text.format(
            source=items.source,
            items=len(items.items),
            departments=len(items.departments()),
            general=kinds["general"],
            key=kinds["key"],
            unsaid=kinds[""],
        )
    ]
    lines += [f"  {dept}: {n}" for dept, n in items.departments().items()]
    lines.append(_("  rows left out: {n}").format(n=len(items.skipped)))
    if joint is not None:
        text = _("{source}: {fields} joint fields, {items} items, {leads} lead departments; rows left out: {skipped}")
        lines.append(
            text.format(
                source=joint.source,
                fields=len(joint.fields()),
                items=len(joint.items),
                leads=len(joint.departments()),
                skipped=len(joint.skipped),
            )
        )
    return lines


def cmd_import_items(args: argparse.Namespace) -> int:
    """``shuangsuiji import-items``: read the items list (and the joint list), write plan.toml; 0 when done."""
    items = read_items(args.items, sheet=args.sheet, header_row=args.header_row)
    joint = (
        read_joint_items(args.joint, sheet=args.joint_sheet, header_row=args.joint_header_row) if args.joint else None
    )
    ratio = check_fraction(args.ratio, "--ratio") if args.ratio is not None else Fraction(1, 20)
    floor = check_fraction(args.floor, "--floor") if args.floor is not None else Fraction(1, 20)
    text = items_plan(items, joint, plan_id=args.plan_id, title=args.title, floor=floor, ratio=ratio)
    plan = parse_plan(tomllib.loads(text), source=args.out_file)  # what is written loads
    for lst in (items, joint):
        for w in lst.warnings if lst is not None else ():
            warn(w)
    for line in summary_lines(items, joint):
        print(line)
    atomic_write_text(args.out_file, text)
    text = _("wrote {path}: plan {plan!r}, {tasks} tasks; fill in the lines marked 待填写")
    print(text.format(path=args.out_file, plan=plan.id, tasks=len(plan.tasks)))
    record(plan=args.out_file, plan_id=plan.id, tasks=len(plan.tasks), files=[args.out_file])
    return 0
