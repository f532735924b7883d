"""What ``notices`` of :mod:`shuangsuiji.cli` does: write the public notices, print their paths (private).

Imported only once ``notices`` has been chosen.
"""

from __future__ import annotations

import argparse

from ._cli_output import record
from ._commands import warn
from ._i18n import _
from .workflow import run_notices

__all__ = ["cmd_notices"]


def cmd_notices(args: argparse.Namespace) -> int:
    """``shuangsuiji notices (DRAW | --plan plan.toml) --out DIR [...]`` (docs/cli.md)."""
    step = run_notices(
        args.draw,
        args.out,
        plan=args.plan,
        results=args.results,
        working_days=args.working_days,
        calendar_overrides=args.calendar_overrides,
        publish_inspector_names=args.publish_inspector_names,
        templates=args.templates,
        settings=args.notice_settings,
        force=args.force,
    )
    if step.pending is not None and len(step.pending):
        warn(_("{n} drawn entities have no result yet (listed in pending.csv).").format(n=len(step.pending)))
    for path in step.paths:
        print(_("Wrote {path}").format(path=path))
    record(files=step.paths, pending=0 if step.pending is None else len(step.pending))
    return 0
