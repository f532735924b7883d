"""What ``template`` of :mod:`shuangsuiji.cli` does: write the clerks' workbooks, print their paths (private).

Imported only once ``template`` has been chosen.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from ._cli_output import record
from ._i18n import _
from .plan import load_plan
from .templates import RESULTS_FILE, results_template, write_templates

__all__ = ["cmd_template", "split_departments"]

_SPLIT = re.compile(r"[,，、;；\n]+")


def split_departments(text: str) -> tuple[str, ...]:
    """Departments written in one text, separated by commas (``,``/``，``), ``、`` or ``;``, repeats dropped.

    Examples
    --------
    >>> split_departments("市场监管局，税务局、 卫生健康委,税务局")
    ('市场监管局', '税务局', '卫生健康委')
    """
    return tuple(dict.fromkeys(p.strip() for p in _SPLIT.split(text) if p.strip()))


def cmd_template(args: argparse.Namespace) -> int:
    """``shuangsuiji template --out DIR [--departments A,B] [--plan plan.toml] [--draw DRAW]``."""
    out = Path(args.out)
    departments = split_departments(args.departments) if args.departments is not None else None
    plan = load_plan(args.plan) if args.plan else None
    paths = write_templates(out, departments=departments, plan=plan)
    if args.draw:
        paths.append(results_template(args.draw, out / RESULTS_FILE))
    for path in paths:
        print(_("Wrote {path}").format(path=path))
    record(files=paths)
    return 0
