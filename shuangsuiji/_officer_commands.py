"""The ``officer-proof`` and ``verify-officer-proof`` commands (an officer checks their own roster entry)."""

from __future__ import annotations

import argparse
import json

from .workflow._officer import run_officer_proof, run_verify_officer_proof

__all__ = ["cmd_officer_proof", "cmd_verify_officer_proof"]


def cmd_officer_proof(args: argparse.Namespace) -> int:
    proof, path = run_officer_proof(args.commitment, args.roster, args.officer, out=args.out)
    print(f"{args.officer}: entry {proof.index + 1} of {proof.size} in the committed roster (root {proof.root}).")
    print(json.dumps(json.loads(proof.leaf), ensure_ascii=False))
    print(f"Wrote {path}")
    return 0


def cmd_verify_officer_proof(args: argparse.Namespace) -> int:
    problems = run_verify_officer_proof(args.proof, args.commitment)
    for problem in problems:
        print(f"FAIL  {problem}")
    print("VERIFIED: the entry is in the roster committed before the seed" if not problems else "NOT VERIFIED")
    return 0 if not problems else 1
