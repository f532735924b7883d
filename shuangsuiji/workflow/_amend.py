"""Amending a staffed assignment: a late recusal, leave or departure, logged in its record (``docs/amend.md``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .._i18n import _
from .._runs import check_settled, staged_run
from .._version import __version__
from ..assignment.amend import AssignedTables, amended_groups, apply_amendments, mark_groups
from ..assignment.manifest import ASSIGNMENT_FILES, Amendment, AssignmentManifest, parse_day, visit_counts
from ..assignment.verify import load_recorded_inputs, rule_breaks
from ..exceptions import InputError, InternalError, ManifestError, NotFoundError, Problem, TableError
from ..io import read_table, sha256_file, write_sealed

__all__ = ["AmendStep", "code", "read_amendments", "run_amend"]

#: The kinds of change a changes file may name, in English or Chinese.
_KINDS = {
    "recusal": "recusal",
    "回避": "recusal",
    "leave": "leave",
    "请假": "leave",
    "休假": "leave",
    "departure": "departure",
    "离职": "departure",
    "调离": "departure",
}
_COLUMNS = ("kind", "inspector_id", "uscc", "from", "to", "requested_by", "requested_on", "reason")


@dataclass(frozen=True)
class AmendStep:
    """What :func:`run_amend` wrote.

    Attributes
    ----------
    amendments : tuple of Amendment
        The amendments just made, as logged (with their ``sequence`` and the places they changed).
    manifest : AssignmentManifest
        The new ``assignment.json`` (its whole log in ``amendments``).
    out : Path
        The assignment's folder.
    """

    amendments: tuple[Amendment, ...]
    manifest: AssignmentManifest
    out: Path


def code(text: str) -> str:
    """A firm's code as the assignment holds it: NFKC, every blank removed."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def _change(rec: Mapping[str, str], defaults: Mapping[str, str], row: int, source: str) -> Amendment | Problem:
    """One row of a changes file, or the first problem found in it."""

    def problem(column: str | None, message: str) -> Problem:
        return Problem(source, row, column, None if column is None else rec.get(column, ""), message)

    kind = _KINDS.get(rec.get("kind", "").lower())
    if kind is None:
        return problem("kind", _("write recusal, leave or departure (回避, 请假, 离职)"))
    days: dict[str, dt.date | None] = {}
    for column in ("from", "to", "requested_on"):
        text = rec.get(column, "") or (defaults.get(column, "") if column == "requested_on" else "")
        try:
            days[column] = parse_day(text, column) if text else None
        except InputError:
            return problem(column, _("write the date as YYYY-MM-DD"))
    amendment = Amendment(
        kind=kind,
        inspector_id=rec.get("inspector_id", ""),
        requested_by=rec.get("requested_by", "") or defaults.get("requested_by", ""),
        requested_on=days["requested_on"] or dt.date.today(),
        reason=rec.get("reason", "") or defaults.get("reason", ""),
        uscc=code(rec["uscc"]) if rec.get("uscc") else None,
        start=days["from"],
        end=days["to"],
    )
    why = amendment.problem()
    return amendment if why is None else problem(None, why)


def read_amendments(
    path: str | Path,
    *,
    requested_by: str | None = None,
    reason: str | None = None,
    requested_on: dt.date | None = None,
) -> tuple[Amendment, ...]:
    """Read a changes file (CSV or XLSX), one amendment per row, in the order of the rows.

    Columns: ``kind`` (``recusal``, ``leave`` or ``departure``; or 回避, 请假, 离职),
    ``inspector_id``, ``uscc`` (a recusal's firm), ``from`` and ``to`` (a leave's first and last
    day; a departure's first day), ``requested_by``, ``requested_on`` (``YYYY-MM-DD``) and
    ``reason``. An empty ``requested_by``, ``reason`` or ``requested_on`` takes the value given
    here (``requested_on`` by default today).

    Raises
    ------
    TableError
        Listing every row's problem (file, row, column, value).
    InputError
        For a file without a ``kind`` or ``inspector_id`` column, or without rows.
    """
    source = str(path)
    frame = read_table(path, kind=None)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ("kind", "inspector_id") if c not in frame.columns]
    if missing:
        text = _("{path}: a changes file needs the columns {missing} ({columns}).")
        raise InputError(text.format(path=source, missing=", ".join(missing), columns=", ".join(_COLUMNS)))
    if frame.empty:
        raise InputError(_("{path} lists no change.").format(path=source))
    defaults = {
        "requested_by": requested_by or "",
        "reason": reason or "",
        "requested_on": requested_on.isoformat() if requested_on else "",
    }
    out: list[Amendment] = []
    problems: list[Problem] = []
    for row, rec in zip(frame.index, frame.to_dict("records"), strict=True):
        cells = {c: str(rec[c]).strip() for c in _COLUMNS if c in rec}
        found = _change(cells, defaults, int(row), source)
        if isinstance(found, Amendment):
            out.append(found)
        else:
            problems.append(found)
    if problems:
        raise TableError(problems)
    return tuple(out)


def _sealed(out: Path, manifest: AssignmentManifest) -> None:
    """Refuse a folder whose files are not those its ``assignment.json`` names."""
    seal = out / "assignment.sha256"
    if not seal.is_file() or seal.read_text(encoding="utf-8") != f"{manifest.sha256}  assignment.json\n":
        text = _("{seal} does not seal assignment.json: run 'shuangsuiji verify' on the folder first.")
        raise ManifestError(text.format(seal=seal))
    draw = out / manifest.draw.path
    if not draw.is_file() or sha256_file(draw) != manifest.draw.sha256:
        text = _("{draw} is not the draw manifest that assignment.json names: run 'shuangsuiji verify'.")
        raise ManifestError(text.format(draw=draw))
    for name in ASSIGNMENT_FILES:
        path = out / name
        if not path.is_file() or sha256_file(path) != manifest.outputs.get(name):
            raise ManifestError(
                _(
                    "{path} is not the file assignment.json names: the folder changed after it was written; "
                    "run 'shuangsuiji verify' on it, and amend only an assignment that verifies."
                ).format(path=path)
            )


def _inputs(out: Path, manifest: AssignmentManifest, given: Mapping[str, str | Path | None]) -> dict[str, Path]:
    """The assignment's input files: where it records them, or where ``given`` says; each checked by SHA-256."""
    unknown = sorted(role for role, path in given.items() if path is not None and role not in manifest.inputs)
    if unknown:
        text = _("The assignment records no {roles} file: an amendment reads the inputs it used.")
        raise InputError(text.format(roles=", ".join(unknown)))
    files: dict[str, Path] = {}
    for role, entry in sorted(manifest.inputs.items()):
        override = given.get(role)
        path = Path(override) if override is not None else out / entry.path
        option = "--calendar-overrides" if role == "calendar" else f"--{role}"
        if not path.is_file():
            text = _("The {role} file {path} is not there (assignment.json records {recorded}): give it with {option}.")
            raise NotFoundError(text.format(role=role, path=path, recorded=entry.path, option=option))
        if sha256_file(path) != entry.sha256:
            raise InputError(
                _(
                    "{path} is not the {role} file the assignment used (its SHA-256 differs from the one recorded): "
                    "an amendment changes the teams, never the inputs; give the file the assignment read."
                ).format(path=path, role=role)
            )
        files[role] = path
    return files


def run_amend(
    folder: str | Path,
    amendments: Sequence[Amendment],
    *,
    files: Mapping[str, str | Path | None] | None = None,
) -> AmendStep:
    """Amend a staffed assignment: apply each change by the seeded rule, log it, and rewrite the folder.

    Parameters
    ----------
    folder : str or Path
        The assignment's folder (``assignment.json``, its tables; by default the draw's folder).
    amendments : sequence of Amendment
        The changes, applied in this order (:func:`read_amendments` reads them from a file).
    files : mapping, optional
        Role (``population``, ``roster``, ``conflicts``, ...) -> the file, where it is not at the path
        ``assignment.json`` records; each must be the very file the assignment read.

    Raises
    ------
    NotFoundError
        For a folder without an assignment, a missing input, an officer not in the roster or a
        firm without a visit.
    InputError
        For a change that does not fit (someone not on the visit, a leave without dates), or an
        input that is not the one the assignment read.
    ManifestError
        If the folder's files are not those its ``assignment.json`` names.
    FolderError
        If the folder holds an interrupted run (of ``amend`` too: remove its stage and amend again).
    """
    out = Path(folder)
    check_settled(out, step="amend")  # an interrupted run is refused before any work
    if not (out / "assignment.json").is_file():
        text = _("{folder} holds no assignment (assignment.json): run 'shuangsuiji assign' first.")
        raise NotFoundError(text.format(folder=out))
    if not amendments:
        raise InputError(_("Nothing to amend: give at least one change."))
    manifest = AssignmentManifest.read(out)
    _sealed(out, manifest)
    inputs = load_recorded_inputs(out, manifest, _inputs(out, manifest, files or {}))
    tables, made = apply_amendments(AssignedTables.read(out), amendments, inputs, earlier=manifest.amendments)
    log = (*manifest.amendments, *made)
    broken = rule_breaks(tables.visits, tables.teams, inputs, log)
    if broken:
        raise InternalError(_("the amended assignment broke rules: ") + "; ".join(broken[:10]))
    blobs = tables.tables(inputs.roster) | {"certificate.csv": (out / "certificate.csv").read_bytes()}
    amended = dataclasses.replace(
        manifest,
        counts=visit_counts(tables.visits),
        groups=mark_groups(manifest.groups, amended_groups(tables.visits, log, inputs.policy)),
        amendments=log,
        library_version=__version__,
        data=None,
    )
    with staged_run(out, step="amend", owned=()) as stage:  # the amended assignment lands whole or not at all
        data = write_sealed(
            stage,
            {name: blobs[name] for name in ASSIGNMENT_FILES},
            "assignment",
            lambda outputs: dataclasses.replace(amended, outputs=dict(outputs)).to_bytes(),
        )
    return AmendStep(made, AssignmentManifest.from_dict(json.loads(data), data=data), out)
