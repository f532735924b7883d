"""The assignment's files: its tables, and ``assignment.json`` that names the draw it staffs.

An assignment writes, beside the draw it staffs: ``visits.csv``, ``teams.csv``,
``workload.csv``, ``unstaffed.csv`` and ``certificate.csv`` (UTF-8 with BOM,
``\\n`` line ends), and ``assignment.json`` (RFC 8785 canonical JSON: the draw's
manifest by SHA-256, the seed, the policy, every input and output by SHA-256,
the counts and a report per group) with its seal ``assignment.sha256``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._version import __version__
from ..io import atomic_write_bytes, csv_bytes
from ..manifest import InputFile, canonical_json
from ..plan import AssignmentPolicy
from .results import AssignmentResult

__all__ = ["ASSIGNMENT_FILES", "ASSIGNMENT_FORMAT", "assignment_manifest", "assignment_tables", "write_assignment"]


#: Format of ``assignment.json``, the assignment's manifest.
ASSIGNMENT_FORMAT = "shuangsuiji-assignment/1"
#: The tables an assignment writes.
ASSIGNMENT_FILES: tuple[str, ...] = ("visits.csv", "teams.csv", "workload.csv", "unstaffed.csv", "certificate.csv")


def assignment_tables(result: AssignmentResult) -> dict[str, bytes]:
    """The bytes of each table file of an assignment, by file name."""
    visits = result.visits.assign(date=[d.isoformat() if d else "" for d in result.visits["date"]])
    frames = {
        "visits.csv": visits,
        "teams.csv": result.teams,
        "workload.csv": result.workload,
        "unstaffed.csv": result.unstaffed,
        "certificate.csv": result.certificate,
    }
    return {name: csv_bytes(frames[name]) for name in ASSIGNMENT_FILES}


def assignment_manifest(
    result: AssignmentResult,
    *,
    draw_manifest: Mapping[str, str],
    seed: str,
    policy: AssignmentPolicy,
    allow_partial: bool,
    inputs: Mapping[str, InputFile | Mapping[str, str]],
    outputs: Mapping[str, str],
) -> dict[str, Any]:
    """The content of ``assignment.json``: it names the draw it staffs by its manifest's SHA-256."""
    status = result.visits["status"].value_counts()
    return {
        "format": ASSIGNMENT_FORMAT,
        "library": {"name": "shuangsuiji", "version": __version__},
        "draw": dict(draw_manifest),
        "seed": seed,
        "policy": policy.to_dict(),
        "allow_partial": allow_partial,
        "inputs": {k: v.to_dict() if isinstance(v, InputFile) else dict(v) for k, v in sorted(inputs.items())},
        "counts": {
            "visits": len(result.visits),
            **{k: int(status.get(k, 0)) for k in ("staffed", "undated", "unstaffed")},
        },
        "groups": [
            {
                "group": r.group,
                "department": r.department,
                "teams": r.teams,
                "staffed_teams": r.staffed_teams,
                "places": r.places,
                "officers": r.officers,
                "capacity": r.capacity,
                "recusals": r.recusals,
                "method": r.method,
                "status": r.status,
                "unique": r.unique,
                "cost": str(r.cost),
            }
            for r in result.reports
        ],
        "outputs": dict(sorted(outputs.items())),
    }


def write_assignment(result: AssignmentResult, out_dir: str | Path, **manifest: Any) -> str:
    """Write an assignment's tables and ``assignment.json`` (+ ``assignment.sha256``); returns its SHA-256."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    hashes = {}
    for name, data in assignment_tables(result).items():
        atomic_write_bytes(out / name, data)
        hashes[name] = hashlib.sha256(data).hexdigest()
    data = canonical_json(assignment_manifest(result, outputs=hashes, **manifest))
    digest = hashlib.sha256(data).hexdigest()
    atomic_write_bytes(out / "assignment.json", data)
    atomic_write_bytes(out / "assignment.sha256", f"{digest}  assignment.json\n".encode())
    return digest
