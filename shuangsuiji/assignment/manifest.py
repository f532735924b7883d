"""The assignment's files: its tables, and ``assignment.json`` that names the draw it staffs.

An assignment writes, beside the draw it staffs: ``visits.csv``, ``teams.csv``,
``workload.csv``, ``unstaffed.csv`` and ``certificate.csv`` (UTF-8 with BOM,
``\\n`` line ends), and ``assignment.json`` (RFC 8785 canonical JSON: the draw's
manifest by SHA-256, the seed, the policy, every input and output by SHA-256,
the counts and a report per group) with its seal ``assignment.sha256``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from .._json import Fields, Published
from .._version import __version__
from ..exceptions import InputError, ManifestError
from ..io import csv_bytes, write_sealed
from ..manifest import InputFile
from ..plan import AssignmentPolicy
from .results import AssignmentResult

__all__ = [
    "ASSIGNMENT_FILES",
    "ASSIGNMENT_FORMAT",
    "AssignmentManifest",
    "GroupRecord",
    "assignment_manifest",
    "assignment_tables",
    "write_assignment",
]

#: Format of ``assignment.json``, the assignment's manifest.
ASSIGNMENT_FORMAT = "shuangsuiji-assignment/1"
#: The tables an assignment writes.
ASSIGNMENT_FILES: tuple[str, ...] = ("visits.csv", "teams.csv", "workload.csv", "unstaffed.csv", "certificate.csv")
_COUNTS = ("visits", "staffed", "undated", "unstaffed")


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


@dataclass(frozen=True)
class GroupRecord:
    """One solved group as ``assignment.json`` records it."""

    group: str
    department: str
    teams: int
    staffed_teams: int
    places: int
    officers: int
    capacity: int
    recusals: int
    method: str
    status: str
    unique: bool | None
    cost: str

    @classmethod
    def from_fields(cls, f: Fields) -> GroupRecord:
        return cls(
            group=f.text("group"),
            department=f.text("department"),
            teams=f.integer("teams"),
            staffed_teams=f.integer("staffed_teams"),
            places=f.integer("places"),
            officers=f.integer("officers"),
            capacity=f.integer("capacity"),
            recusals=f.integer("recusals"),
            method=f.text("method"),
            status=f.text("status"),
            unique=f.optional_boolean("unique"),
            cost=f.text("cost"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "department": self.department,
            "teams": self.teams,
            "staffed_teams": self.staffed_teams,
            "places": self.places,
            "officers": self.officers,
            "capacity": self.capacity,
            "recusals": self.recusals,
            "method": self.method,
            "status": self.status,
            "unique": self.unique,
            "cost": self.cost,
        }


@dataclass(frozen=True)
class AssignmentManifest(Published):
    """``assignment.json``, typed: the draw it staffs (its manifest by SHA-256), seed, policy, files, counts."""

    draw: InputFile
    seed: str
    policy: Mapping[str, Any]
    allow_partial: bool
    inputs: Mapping[str, InputFile]
    counts: Mapping[str, int]
    groups: tuple[GroupRecord, ...]
    outputs: Mapping[str, str]
    library_version: str = __version__
    format: str = ASSIGNMENT_FORMAT
    data: bytes | None = field(default=None, compare=False, repr=False)
    FILE: ClassVar[str] = "assignment.json"
    ERROR: ClassVar[type[InputError]] = ManifestError

    def to_dict(self) -> dict[str, Any]:
        """The plain form, as published."""
        return {
            "format": self.format,
            "library": {"name": "shuangsuiji", "version": self.library_version},
            "draw": self.draw.to_dict(),
            "seed": self.seed,
            "policy": dict(self.policy),
            "allow_partial": self.allow_partial,
            "inputs": {k: v.to_dict() for k, v in sorted(self.inputs.items())},
            "counts": {k: int(self.counts[k]) for k in _COUNTS},
            "groups": [g.to_dict() for g in self.groups],
            "outputs": dict(sorted(self.outputs.items())),
        }

    @classmethod
    def from_dict(
        cls, value: object, *, where: str = "assignment.json", data: bytes | None = None
    ) -> AssignmentManifest:
        """Read a parsed ``assignment.json``, checking each field.

        Raises
        ------
        ManifestError
            Naming the field that is missing or of the wrong type.
        """
        f = Fields(value, where, ManifestError)
        if f.text("format") != ASSIGNMENT_FORMAT:
            raise ManifestError(f"{where}: not an assignment manifest of format {ASSIGNMENT_FORMAT!r}.")
        counts = f.obj("counts")
        inputs = f.obj("inputs")
        return cls(
            draw=InputFile.from_fields(f.obj("draw")),
            seed=f.text("seed"),
            policy=f.mapping("policy"),
            allow_partial=f.boolean("allow_partial"),
            inputs={role: InputFile.from_fields(inputs.obj(role)) for role in inputs.raw},
            counts={k: counts.integer(k) for k in _COUNTS},
            groups=tuple(GroupRecord.from_fields(g) for g in f.objects("groups")),
            outputs=f.text_map("outputs"),
            library_version=f.obj("library").text("version"),
            data=data,
        )


def assignment_manifest(
    result: AssignmentResult,
    *,
    draw_manifest: InputFile,
    seed: str,
    policy: AssignmentPolicy,
    allow_partial: bool,
    inputs: Mapping[str, InputFile],
    outputs: Mapping[str, str],
) -> AssignmentManifest:
    """The manifest of an assignment: it names the draw it staffs by its manifest's SHA-256."""
    status = result.visits["status"].value_counts()
    return AssignmentManifest(
        draw=draw_manifest,
        seed=seed,
        policy=policy.to_dict(),
        allow_partial=allow_partial,
        inputs=dict(inputs),
        counts={"visits": len(result.visits), **{k: int(status.get(k, 0)) for k in _COUNTS[1:]}},
        groups=tuple(
            GroupRecord(
                group=r.group,
                department=r.department,
                teams=r.teams,
                staffed_teams=r.staffed_teams,
                places=r.places,
                officers=r.officers,
                capacity=r.capacity,
                recusals=r.recusals,
                method=r.method,
                status=r.status,
                unique=r.unique,
                cost=str(r.cost),
            )
            for r in result.reports
        ),
        outputs=dict(outputs),
    )


def write_assignment(
    result: AssignmentResult,
    out_dir: str | Path,
    *,
    draw_manifest: InputFile,
    seed: str,
    policy: AssignmentPolicy,
    allow_partial: bool,
    inputs: Mapping[str, InputFile],
) -> AssignmentManifest:
    """Write an assignment's tables, ``assignment.json`` and its seal ``assignment.sha256``, each atomically."""

    def manifest(outputs: Mapping[str, str]) -> bytes:
        return assignment_manifest(
            result,
            draw_manifest=draw_manifest,
            seed=seed,
            policy=policy,
            allow_partial=allow_partial,
            inputs=inputs,
            outputs=outputs,
        ).to_bytes()

    data = write_sealed(Path(out_dir), assignment_tables(result), "assignment", manifest)
    return AssignmentManifest.from_dict(json.loads(data), data=data)
