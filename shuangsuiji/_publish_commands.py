"""What ``publish`` of :mod:`shuangsuiji.cli` does: assemble the public folder, print what it holds (private).

Imported only once ``publish`` has been chosen.
"""

from __future__ import annotations

import argparse

from ._cli_output import record
from ._i18n import _
from .workflow import run_publish

__all__ = ["cmd_publish"]


def cmd_publish(args: argparse.Namespace) -> int:
    """``shuangsuiji publish DRAW --out PUBLIC [--notices DIR] [--reveal] [--force]``."""
    step = run_publish(args.draw, args.out, notices=args.notices, force=args.force, reveal=args.reveal)
    print(_("Wrote {n} files into {out}: post the folder as it is.").format(n=len(step.paths), out=step.out))
    record(out=step.out, files=step.paths, withheld=list(step.withheld), sealed_until=step.sealed_until)
    if step.sealed_until is not None and not args.reveal:
        text = _(
            "Sealed until {day}: only the commitment and the manifest's SHA-256 are in it. "
            "On that day, publish again with --reveal (into a new folder, or with --force)."
        )
        print(text.format(day=step.sealed_until))
    if step.withheld:
        text = _("Not published (kept by the bureau, listed in draw/publication.json): {files}.")
        print(text.format(files=", ".join(step.withheld)))
    text = _("Anyone checks it with: shuangsuiji verify {draw}   (or verify.html, offline)")
    print(text.format(draw=step.out / "draw"))
    return 0
