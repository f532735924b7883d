"""What ``publish`` of :mod:`shuangsuiji.cli` does: assemble the public folder, print what it holds (private).

Imported only once ``publish`` has been chosen.
"""

from __future__ import annotations

import argparse

from .workflow import run_publish

__all__ = ["cmd_publish"]


def cmd_publish(args: argparse.Namespace) -> int:
    """``shuangsuiji publish DRAW --out PUBLIC [--notices DIR] [--reveal] [--force]``."""
    step = run_publish(args.draw, args.out, notices=args.notices, force=args.force, reveal=args.reveal)
    print(f"Wrote {len(step.paths)} files into {step.out}: post the folder as it is.")
    if step.sealed_until is not None and not args.reveal:
        print(
            f"Sealed until {step.sealed_until}: only the commitment and the manifest's SHA-256 are in it. "
            "On that day, publish again with --reveal (into a new folder, or with --force)."
        )
    if step.withheld:
        print(f"Not published (kept by the bureau, listed in draw/publication.json): {', '.join(step.withheld)}.")
    print(f"Anyone checks it with: shuangsuiji verify {step.out / 'draw'}   (or verify.html, offline)")
    return 0
