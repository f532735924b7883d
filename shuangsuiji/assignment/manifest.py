"""The assignment's files: its tables, and ``assignment.json`` that names the draw it staffs.

An assignment writes, beside the draw it staffs: ``visits.csv``, ``teams.csv``,
``workload.csv``, ``unstaffed.csv`` and ``certificate.csv`` (UTF-8 with BOM,
``\\n`` line ends), and ``assignment.json`` (RFC 8785 canonical JSON: the draw's
manifest by SHA-256, the seed, the policy, every input and output by SHA-256,
the counts and a report per group) with its seal ``assignment.sha256``. An amended
assignment (``shuangsuiji amend``, :mod:`.amend`) adds the log of its amendments,
:class:`Amendment` records, each with the places it changed (:class:`PlaceChange`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from .._i18n import _
from .._json import Fields, Published
from .._version import __version__
from ..exceptions import InputError, ManifestError
from ..io import csv_bytes, write_sealed
from ..manifest import InputFile
from ..plan import AssignmentPolicy
from .results import AssignmentResult

__all__ = [
    "AMENDED",
    "AMENDMENT_KINDS",
    "ASSIGNMENT_FILES",
    "ASSIGNMENT_FORMAT",
    "Amendment",
    "AssignmentManifest",
    "GroupRecord",
    "PlaceChange",
    "assignment_manifest",
    "assignment_tables",
    "parse_day",
    "visit_counts",
    "write_assignment",
]

#: Format of ``assignment.json``, the assignment's manifest.
ASSIGNMENT_FORMAT = "shuangsuiji-assignment/1"
#: The tables an assignment writes.
ASSIGNMENT_FILES: tuple[str, ...] = ("visits.csv", "teams.csv", "workload.csv", "unstaffed.csv", "certificate.csv")
_COUNTS = ("visits", "staffed", "undated", "unstaffed")
#: Counts recorded only when not 0 (so that assignments without them keep their bytes).
_OPTIONAL_COUNTS = ("desk",)


def visit_counts(visits: pd.DataFrame) -> dict[str, int]:
    """``assignment.json``'s ``counts`` of a ``visits.csv`` table: all rows, and the rows by status.

    ``desk`` (desk checks) appears only when some visit is one.
    """
    status = visits["status"].value_counts()
    counts = {"visits": len(visits), **{k: int(status.get(k, 0)) for k in _COUNTS[1:]}}
    return counts | {k: int(status[k]) for k in _OPTIONAL_COUNTS if int(status.get(k, 0))}


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


#: The kinds of amendment (``docs/amend.md``).
AMENDMENT_KINDS: tuple[str, ...] = ("recusal", "leave", "departure")
#: What the ``method`` of a group whose teams an amendment changed ends with.
AMENDED = " + amendments"
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(text: str, what: str, error: type[InputError] = InputError) -> dt.date:
    """A date written ``YYYY-MM-DD``.

    Raises
    ------
    InputError
        (``error``) naming ``what`` when ``text`` is not such a date.

    Examples
    --------
    >>> parse_day("2027-03-01", "--on")
    datetime.date(2027, 3, 1)
    """
    if _DAY.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise error(_("{what} must be a date written YYYY-MM-DD; got {value!r}.").format(what=what, value=text))


@dataclass(frozen=True)
class PlaceChange:
    """One place of a team that an amendment changed.

    Attributes
    ----------
    visit_id, department : str
        The team (for an expert's place, ``department`` is the field).
    role : str
        The place's role: ``lead`` (主检), ``member`` or ``expert``; who takes it takes that role.
    out : str
        Who left it.
    into : str or None
        Who took it (``in`` in ``assignment.json``), or ``None`` when nobody could: the visit waits.
    date : str
        When the visit waits: the date it had (``""`` when none).
    released : tuple of (department, inspector_id, role)
        When the visit waits: its other places, in the order of ``teams.csv``, now free.
    """

    visit_id: str
    department: str
    role: str
    out: str
    into: str | None
    date: str = ""
    released: tuple[tuple[str, str, str], ...] = ()

    @classmethod
    def from_fields(cls, f: Fields) -> PlaceChange:
        """Read back what :meth:`to_dict` wrote."""
        if not f.has("in"):
            raise f.error(_("{where} has no '{key}'; is it a file this library wrote?").format(where=f.where, key="in"))
        into = f.optional_text("in")
        waits = into is None
        return cls(
            visit_id=f.text("visit_id"),
            department=f.text("department"),
            role=f.text("role"),
            out=f.text("out"),
            into=into,
            date=f.text("date") if waits else "",
            released=tuple(
                (r.text("department"), r.text("inspector_id"), r.text("role")) for r in f.objects("released")
            )
            if waits
            else (),
        )

    def to_dict(self) -> dict[str, Any]:
        """The plain form: ``date`` and ``released`` only for a visit that waits."""
        out: dict[str, Any] = {
            "visit_id": self.visit_id,
            "department": self.department,
            "role": self.role,
            "out": self.out,
            "in": self.into,
        }
        if self.into is None:
            out["date"] = self.date
            out["released"] = [{"department": d, "inspector_id": i, "role": r} for d, i, r in self.released]
        return out


@dataclass(frozen=True)
class Amendment:
    """A late change to a staffed assignment (what, who asked, when, why) and, once applied, what it changed.

    Attributes
    ----------
    kind : str
        ``recusal``: the officer leaves the visit of the firm ``uscc``; ``leave``: every dated visit
        from ``start`` to ``end`` (both included); ``departure``: every visit not yet done, those
        dated on or after ``start`` and the undated ones (every visit when ``start`` is ``None``).
    inspector_id : str
        The officer (or expert) who leaves.
    requested_by, reason : str
        Who asked for it, and why.
    requested_on : datetime.date
        When it was asked for.
    uscc : str or None
        The firm of a recusal.
    start, end : datetime.date or None
        ``from`` and ``to`` in ``assignment.json``: a leave's first and last day, a departure's first day.
    sequence : int
        Its place in the log, from 1; 0 for a request not yet applied.
    changes : tuple of PlaceChange
        The places it changed, in the order of ``teams.csv``.
    """

    kind: str
    inspector_id: str
    requested_by: str
    requested_on: dt.date
    reason: str
    uscc: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    sequence: int = 0
    changes: tuple[PlaceChange, ...] = ()

    def problem(self) -> str | None:
        """What is wrong with the request's shape (a field missing or out of place), or ``None``."""
        if self.kind not in AMENDMENT_KINDS:
            said = _("the kind of change must be one of {kinds}; got {kind!r}")
            return said.format(kinds=", ".join(AMENDMENT_KINDS), kind=self.kind)
        if not self.inspector_id:
            return _("the officer (inspector_id) is missing")
        if self.kind == "recusal" and (not self.uscc or self.start is not None or self.end is not None):
            return _("a recusal names the firm (uscc) and no dates")
        if self.kind == "leave" and (self.uscc is not None or self.start is None or self.end is None):
            return _("a leave has a first and a last day (from, to) and names no firm")
        if self.kind == "departure" and (self.uscc is not None or self.end is not None):
            return _("a departure names no firm and at most its first day (from)")
        if self.start is not None and self.end is not None and self.end < self.start:
            return _("the leave ends ({end}) before it starts ({start})").format(end=self.end, start=self.start)
        if not self.requested_by.strip():
            return _("who asked for it (requested_by) is missing")
        if not self.reason.strip():
            return _("the reason is missing")
        return None

    def describe(self) -> str:
        """In words: ``recusal of O03 for 91410300...``, ``leave of O03 from 2027-03-02 to 2027-03-05``."""
        if self.kind == "recusal":
            return f"recusal of {self.inspector_id} for {self.uscc}"
        if self.kind == "leave":
            return f"leave of {self.inspector_id} from {self.start} to {self.end}"
        return f"departure of {self.inspector_id}" + (f" from {self.start}" if self.start else "")

    @classmethod
    def from_fields(cls, f: Fields) -> Amendment:
        """Read back what :meth:`to_dict` wrote, checking its shape."""

        def day(key: str) -> dt.date | None:
            text = f.optional_text(key)
            return None if text is None else parse_day(text, f"{f.where}: '{key}'", f.error)

        requested_on = day("requested_on")
        if requested_on is None:
            raise f.error(_("{where}: 'requested_on' must be a date written YYYY-MM-DD.").format(where=f.where))
        record = cls(
            kind=f.text("kind"),
            inspector_id=f.text("inspector_id"),
            requested_by=f.text("requested_by"),
            requested_on=requested_on,
            reason=f.text("reason"),
            uscc=f.optional_text("uscc"),
            start=day("from"),
            end=day("to"),
            sequence=f.integer("sequence"),
            changes=tuple(PlaceChange.from_fields(c) for c in f.objects("changes")),
        )
        problem = record.problem()
        if problem is not None:
            raise f.error(_("{where}: {problem}.").format(where=f.where, problem=problem))
        return record

    def to_dict(self) -> dict[str, Any]:
        """The plain form: ``uscc``, ``from`` and ``to`` only when set."""
        out: dict[str, Any] = {
            "sequence": self.sequence,
            "kind": self.kind,
            "inspector_id": self.inspector_id,
            "requested_by": self.requested_by,
            "requested_on": self.requested_on.isoformat(),
            "reason": self.reason,
            "changes": [c.to_dict() for c in self.changes],
        }
        if self.uscc is not None:
            out["uscc"] = self.uscc
        if self.start is not None:
            out["from"] = self.start.isoformat()
        if self.end is not None:
            out["to"] = self.end.isoformat()
        return out


@dataclass(frozen=True)
class AssignmentManifest(Published):
    """``assignment.json``, typed: the draw it staffs (its manifest by SHA-256), seed, policy, files, counts.

    ``amendments`` is the log of the changes made after staffing (:mod:`.amend`), oldest first; the
    file has no ``amendments`` key while it is empty, so an assignment never amended is written as before.
    """

    draw: InputFile
    seed: str
    policy: Mapping[str, Any]
    allow_partial: bool
    inputs: Mapping[str, InputFile]
    counts: Mapping[str, int]
    groups: tuple[GroupRecord, ...]
    outputs: Mapping[str, str]
    amendments: tuple[Amendment, ...] = ()
    library_version: str = __version__
    format: str = ASSIGNMENT_FORMAT
    data: bytes | None = field(default=None, compare=False, repr=False)
    FILE: ClassVar[str] = "assignment.json"
    ERROR: ClassVar[type[InputError]] = ManifestError

    def to_dict(self) -> dict[str, Any]:
        """The plain form, as published."""
        out: dict[str, Any] = {
            "format": self.format,
            "library": {"name": "shuangsuiji", "version": self.library_version},
            "draw": self.draw.to_dict(),
            "seed": self.seed,
            "policy": dict(self.policy),
            "allow_partial": self.allow_partial,
            "inputs": {k: v.to_dict() for k, v in sorted(self.inputs.items())},
            "counts": {k: int(self.counts[k]) for k in (*_COUNTS, *_OPTIONAL_COUNTS) if k in self.counts},
            "groups": [g.to_dict() for g in self.groups],
            "outputs": dict(sorted(self.outputs.items())),
        }
        if self.amendments:
            out["amendments"] = [a.to_dict() for a in self.amendments]
        return out

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
            said = _("{where}: not an assignment manifest of format {format!r}.")
            raise ManifestError(said.format(where=where, format=ASSIGNMENT_FORMAT))
        counts = f.obj("counts")
        inputs = f.obj("inputs")
        amendments = tuple(Amendment.from_fields(a) for a in f.objects("amendments")) if f.has("amendments") else ()
        if [a.sequence for a in amendments] != list(range(1, len(amendments) + 1)):
            said = _("{where}: the amendments must be numbered 1, 2, ... in their order.")
            raise ManifestError(said.format(where=where))

        return cls(
            draw=InputFile.from_fields(f.obj("draw")),
            seed=f.text("seed"),
            policy=f.mapping("policy"),
            allow_partial=f.boolean("allow_partial"),
            inputs={role: InputFile.from_fields(inputs.obj(role)) for role in inputs.raw},
            counts={k: counts.integer(k) for k in (*_COUNTS, *_OPTIONAL_COUNTS) if k in _COUNTS or counts.has(k)},
            groups=tuple(GroupRecord.from_fields(g) for g in f.objects("groups")),
            outputs=f.text_map("outputs"),
            amendments=amendments,
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
    return AssignmentManifest(
        draw=draw_manifest,
        seed=seed,
        policy=policy.to_dict(),
        allow_partial=allow_partial,
        inputs=dict(inputs),
        counts=visit_counts(result.visits),
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
