"""The second random's inputs, committed before the seed: their hashes and the roster's Merkle root.

A commitment that names a roster binds the assignment as well as the draw:
it records the SHA-256 of the roster, the declared conflicts, the entities'
recusal requests, the relation graph, the pairs who must not work together
and the calendar overrides (:class:`StaffingRecord`), and an RFC 6962 Merkle
root over the roster, one leaf per person with exactly the fields the
assignment reads (:func:`roster_leaves`), so that each officer can check their
own entry (:func:`roster_proof`) while the roster itself need not be
published. ``assign`` and ``verify`` refuse files that differ
(:func:`check_staffing_files`). The conflicts stay private: only their hash
is public, and whoever may see them can check it.

A roster leaf is the RFC 8785 canonical JSON of one person::

    {"active":true,"capacity":20,"cert_no":"豫41030001","certificates":"特种设备;食品",
     "department":"市场监管局","format":"shuangsuiji-roster-leaf/1","inspector_id":"A1",
     "kind":"officer","lead":true,"region":"410302","station":"S1",
     "unavailable":"2027-03-01;2027-03-02"}

with the values as :func:`~shuangsuiji.roster.check_roster` reads them: the
certificates sorted and joined by ``;``, the unavailable days as ISO dates,
sorted, joined by ``;``. Leaves are in ``inspector_id`` order (code points).

Examples
--------
>>> import pandas as pd
>>> from shuangsuiji.roster import check_roster
>>> r = check_roster(pd.DataFrame({"inspector_id": ["A1"], "name": ["张三"], "department": ["市场监管局"],
...     "station": ["S1"], "region": ["410302"], "cert_no": ["豫41030001"], "capacity": ["20"]}))
>>> roster_leaves(r)[0].startswith('{"active":true,"capacity":20,"cert_no":"豫41030001","certificates":""')
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._i18n import _
from ._json import Fields, canonical_json
from ._records import InputFile
from .conflicts import ConflictError, check_conflicts, check_exclusive_pairs, check_relations
from .exceptions import CeremonyError
from .io import read_table, sha256_file
from .merkle import audit_path, leaf_hashes, leaf_included, merkle_root
from .roster import Roster, RosterError, check_roster
from .workdays import read_overrides

__all__ = [
    "ROSTER_LEAF_FORMAT",
    "ROSTER_PROOF_FORMAT",
    "STAFFING_ROLES",
    "RosterProof",
    "StaffingFiles",
    "StaffingRecord",
    "check_staffing_files",
    "read_staffing_files",
    "roster_leaves",
    "roster_proof",
    "staffing_record",
    "verify_roster_proof",
]

#: How a roster leaf is written.
ROSTER_LEAF_FORMAT = "shuangsuiji-roster-leaf/1"
#: Format of an officer's proof that their entry is in the committed roster.
ROSTER_PROOF_FORMAT = "shuangsuiji-roster-proof/1"
#: The assignment's inputs a commitment binds, with the option that gives each (as ``assign`` names them).
STAFFING_ROLES: Mapping[str, str] = {
    "roster": "--roster",
    "conflicts": "--conflicts",
    "requests": "--requests",
    "relations": "--relations",
    "pairs": "--pairs",
    "calendar": "--calendar-overrides",
}


@dataclass(frozen=True)
class StaffingFiles:
    """The files of the second random that ``commit`` binds (``roster`` is required, the rest optional)."""

    roster: Path
    conflicts: Path | None = None
    requests: Path | None = None
    relations: Path | None = None
    pairs: Path | None = None
    calendar: Path | None = None

    def roles(self) -> dict[str, Path]:
        """Role -> path of every file given."""
        named = {role: getattr(self, role) for role in STAFFING_ROLES}
        return {role: Path(path) for role, path in named.items() if path is not None}


def _days(days: frozenset[dt.date]) -> str:
    return ";".join(d.isoformat() for d in sorted(days))


def roster_leaves(roster: Roster) -> list[str]:
    """The roster's Merkle leaves (text), one per person, in ``inspector_id`` order."""
    frame = roster.frame.sort_values("inspector_id", kind="stable")
    return [
        canonical_json(
            {
                "format": ROSTER_LEAF_FORMAT,
                "inspector_id": str(r["inspector_id"]),
                "kind": str(r["kind"]),
                "department": str(r["department"]),
                "region": str(r["region"]),
                "station": str(r["station"]),
                "cert_no": str(r["cert_no"]),
                "certificates": ";".join(r["certificates"]),
                "lead": bool(r["lead"]),
                "capacity": int(r["capacity"]),
                "active": bool(r["active"]),
                "unavailable": _days(r["unavailable"]),
            }
        ).decode("utf-8")
        for r in frame.to_dict("records")
    ]


@dataclass(frozen=True)
class StaffingRecord:
    """What a commitment records of the second random: its input files and the roster's Merkle root.

    Attributes
    ----------
    inputs : Mapping[str, InputFile]
        Role (:data:`STAFFING_ROLES`) -> the file, by SHA-256 (path relative to the commitment).
    roster_size : int
        People in the roster (officers and experts, active or not).
    roster_root : str
        RFC 6962 root over :func:`roster_leaves`, as hex.
    """

    inputs: Mapping[str, InputFile]
    roster_size: int
    roster_root: str
    leaf_format: str = ROSTER_LEAF_FORMAT

    def to_dict(self) -> dict[str, Any]:
        """The plain form, as the commitment publishes it under ``assignment``."""
        return {
            "inputs": {k: v.to_dict() for k, v in sorted(self.inputs.items())},
            "roster": {"leaf_format": self.leaf_format, "merkle_root": self.roster_root, "size": self.roster_size},
        }

    @classmethod
    def from_fields(cls, f: Fields) -> StaffingRecord:
        """Read back what :meth:`to_dict` wrote."""
        inputs = f.obj("inputs")
        roster = f.obj("roster")
        return cls(
            inputs={role: InputFile.from_fields(inputs.obj(role)) for role in inputs.raw},
            roster_size=roster.integer("size"),
            roster_root=roster.text("merkle_root"),
            leaf_format=roster.text("leaf_format"),
        )


def staffing_record(roster: Roster, files: Mapping[str, Path], out: str | Path) -> StaffingRecord:
    """The record of the second random's inputs: each file by SHA-256 (relative to ``out``) and the roster's root."""
    return StaffingRecord(
        inputs={role: InputFile.of(path, out) for role, path in files.items()},
        roster_size=len(roster.frame),
        roster_root=merkle_root([leaf.encode("utf-8") for leaf in roster_leaves(roster)]).hex(),
    )


def read_staffing_files(files: StaffingFiles, out: str | Path) -> StaffingRecord:
    """Read and check the second random's files before they are committed, and make their record.

    Every file is read as ``assign`` reads it (the roster by :func:`~shuangsuiji.roster.check_roster`,
    conflicts and requests against the roster's ids, the relation graph, the pairs and the calendar
    overrides), so that a bad file is refused before the seed exists, not after.

    Raises
    ------
    RosterError, ConflictError, CalendarOverrideError
        Naming every problem of the file.
    """
    roles = files.roles()
    roster = check_roster(read_table(roles["roster"], error=RosterError, kind="roster"), source=str(roles["roster"]))
    ids = set(roster.frame["inspector_id"])
    for role in ("conflicts", "requests"):
        if role in roles:
            frame = read_table(roles[role], error=ConflictError, kind=role)
            check_conflicts(
                frame, inspectors=ids, source=str(roles[role]), kind="declared" if role == "conflicts" else "request"
            )
    if "relations" in roles:
        check_relations(
            read_table(roles["relations"], error=ConflictError, kind="relations"), source=str(roles["relations"])
        )
    if "pairs" in roles:
        check_exclusive_pairs(
            read_table(roles["pairs"], error=ConflictError, kind="pairs"), inspectors=ids, source=str(roles["pairs"])
        )
    if "calendar" in roles:
        read_overrides(roles["calendar"])
    return staffing_record(roster, roles, out)


def check_staffing_files(record: StaffingRecord, files: Mapping[str, Path], *, where: str) -> None:
    """Refuse assignment inputs that are not, byte for byte, the ones committed before the seed.

    ``files`` maps roles to the files given; roles outside :data:`STAFFING_ROLES` are not checked here.

    Raises
    ------
    CeremonyError
        Naming each file that differs, is missing, or was not committed, with both hashes.
    """
    problems = []
    for role, option in STAFFING_ROLES.items():
        entry, path = record.inputs.get(role), files.get(role)
        if entry is None and path is not None:
            text = _("{option} {path}: the commitment binds no {role} file, so none may be used now")
            problems.append(text.format(option=option, path=path, role=role))
        elif entry is not None and path is None:
            text = _("the commitment binds a {role} file ({recorded}): give it with {option}")
            problems.append(text.format(role=role, recorded=entry.path, option=option))
        elif entry is not None and path is not None:
            got = sha256_file(path)
            if got != entry.sha256:
                text = _("{option} {path} has SHA-256 {sha256}, the commitment says {committed}")
                problems.append(text.format(option=option, path=path, sha256=got, committed=entry.sha256))
    if problems:
        head = _(
            "The assignment's inputs differ from what {where} committed before the seed, so this would not be "
            "the assignment announced (whoever saw the seed could have shaped it):"
        ).format(where=where)
        raise CeremonyError(head + "\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True)
class RosterProof:
    """An officer's proof that their entry, as the assignment reads it, is in the committed roster."""

    leaf: str
    index: int
    size: int
    path: tuple[str, ...]
    root: str

    def to_dict(self) -> dict[str, Any]:
        """The plain form (``shuangsuiji-roster-proof/1``)."""
        return {
            "format": ROSTER_PROOF_FORMAT,
            "leaf": self.leaf,
            "index": self.index,
            "size": self.size,
            "path": list(self.path),
            "root": self.root,
        }

    @classmethod
    def from_dict(cls, value: object, *, where: str = "proof") -> RosterProof:
        """Read a parsed proof, checking each field.

        Raises
        ------
        CeremonyError
            Naming the field that is missing or of the wrong type.
        """
        f = Fields(value, where, CeremonyError)
        if f.text("format") != ROSTER_PROOF_FORMAT:
            text = _("{where}: not a roster proof of format {format!r}.")
            raise CeremonyError(text.format(where=where, format=ROSTER_PROOF_FORMAT))
        return cls(f.text("leaf"), f.integer("index"), f.integer("size"), f.texts("path"), f.text("root"))


def roster_proof(roster: Roster, inspector_id: str) -> RosterProof:
    """The proof of one person's roster entry (their leaf and its RFC 6962 audit path).

    Raises
    ------
    CeremonyError
        If the roster has no such person.
    """
    leaves = roster_leaves(roster)
    ids = sorted(roster.frame["inspector_id"].astype(str))
    if inspector_id not in ids:
        text = _("The roster {source} has no inspector_id {inspector_id!r}.")
        raise CeremonyError(text.format(source=roster.source, inspector_id=inspector_id))
    index = ids.index(inspector_id)
    hashes = leaf_hashes([leaf.encode("utf-8") for leaf in leaves])
    return RosterProof(
        leaf=leaves[index],
        index=index,
        size=len(leaves),
        path=tuple(p.hex() for p in audit_path(hashes, index).path),
        root=merkle_root(hashes=hashes).hex(),
    )


def verify_roster_proof(proof: RosterProof, record: StaffingRecord) -> list[str]:
    """Check an officer's proof against the commitment's record; returns the problems (none: it holds)."""
    problems = []
    if proof.root != record.roster_root or proof.size != record.roster_size:
        problems.append(
            _(
                "the proof is for a roster of {size} with root {root}; the commitment binds "
                "{committed_size} with root {committed_root}"
            ).format(
                size=proof.size, root=proof.root, committed_size=record.roster_size, committed_root=record.roster_root
            )
        )
    if not leaf_included(proof.leaf, proof.index, proof.size, proof.path, record.roster_root):
        problems.append(_("the leaf and its audit path do not lead to the committed root"))
    return problems
