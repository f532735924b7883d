"""What ``import-items`` of :mod:`shuangsuiji.cli` does: read the items lists, write a plan (private).

The lists are read with :mod:`shuangsuiji.items`; the plan written is checked with the plan loader
before it is written (atomically), so a file on disk always loads.
"""

from __future__ import annotations

import argparse
import tomllib
from fractions import Fraction

from ._commands import warn
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
    lines = [
        f"{items.source}: {len(items.items)} items of {len(items.departments())} departments "
        f"(general {kinds['general']}, key {kinds['key']}, not said {kinds['']})"
    ]
    lines += [f"  {dept}: {n}" for dept, n in items.departments().items()]
    lines.append(f"  rows left out: {len(items.skipped)}")
    if joint is not None:
        lines.append(
            f"{joint.source}: {len(joint.fields())} joint fields, {len(joint.items)} items, "
            f"{len(joint.departments())} lead departments; rows left out: {len(joint.skipped)}"
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
    print(f"wrote {args.out_file}: plan {plan.id!r}, {len(plan.tasks)} tasks; fill in the lines marked 待填写")
    return 0
