"""The ``officer-proof`` and ``verify-officer-proof`` commands (an officer checks their own roster entry)."""

from __future__ import annotations

import argparse
import json

from ._cli_output import record
from ._i18n import _
from .workflow._officer import run_officer_proof, run_verify_officer_proof

__all__ = ["cmd_officer_proof", "cmd_verify_officer_proof"]


def cmd_officer_proof(args: argparse.Namespace) -> int:
    proof, path = run_officer_proof(args.commitment, args.roster, args.officer, out=args.out)
    text = _("{officer}: entry {index} of {size} in the committed roster (root {root}).")
    print(text.format(officer=args.officer, index=proof.index + 1, size=proof.size, root=proof.root))
    print(json.dumps(json.loads(proof.leaf), ensure_ascii=False))
    print(_("Wrote {path}").format(path=path))
    record(proof=path, officer=args.officer, index=proof.index, size=proof.size, root=proof.root)
    return 0


def cmd_verify_officer_proof(args: argparse.Namespace) -> int:
    problems = run_verify_officer_proof(args.proof, args.commitment)
    for problem in problems:
        print(_("FAIL  {problem}").format(problem=problem))
    print(_("VERIFIED: the entry is in the roster committed before the seed") if not problems else _("NOT VERIFIED"))
    record(verified=not problems, problems=list(problems))
    return 0 if not problems else 1
