"""Staffing a draw's visits with inspectors: the second random (``docs/assignment.md``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .._i18n import _
from .._outdir import ASSIGN_WRITES, check_complete, claim_folder
from .._progress import stage
from .._runs import staged_run
from ..assignment.bound import check_bound_inputs
from ..assignment.inputs import AssignmentInputs, assignment_roles, load_assignment_inputs
from ..assignment.manifest import AssignmentManifest, write_assignment
from ..assignment.results import AssignmentResult
from ..manifest import InputFile, Manifest
from ..seed import check_seed

__all__ = ["AssignStep", "AssignmentFiles", "run_assign"]


@dataclass(frozen=True)
class AssignmentFiles:
    """The files an assignment reads besides the draw.

    Attributes
    ----------
    population : Path
        The population the draw used (regions, stations, names).
    roster : Path
        Inspectors and experts (执法检查人员名录库, 专家库).
    conflicts, requests : Path or None
        Declared conflicts (``inspector_id, uscc, reason``) and entities' recusal requests (回避).
    relations : Path or None
        The relation graph (``a, b, relation``).
    pairs : Path or None
        Officers who must not share a team (``a, b``).
    history : Path or None
        Inspection history with an ``inspectors`` column (rotation).
    calendar : Path or None
        Holidays and 调休 working days for years chinese-calendar does not know.
    encoding, sheet : str or None
        A forced CSV encoding or XLSX sheet of the population (by default the draw's, for its file).
    allow_list : Path or None
        The draw's allow-list of legacy codes, where the path its manifest records no longer holds
        it (a moved folder); it must be the file the draw read. Not a role of the assignment: the
        draw's manifest records it.
    """

    population: Path
    roster: Path
    conflicts: Path | None = None
    requests: Path | None = None
    relations: Path | None = None
    pairs: Path | None = None
    history: Path | None = None
    calendar: Path | None = None
    encoding: str | None = None
    sheet: str | None = None
    allow_list: Path | None = None

    def roles(self) -> dict[str, Path]:
        """Role -> path of every file given, in the order the manifest lists roles."""
        named = {
            "population": self.population,
            "roster": self.roster,
            "conflicts": self.conflicts,
            "requests": self.requests,
            "relations": self.relations,
            "pairs": self.pairs,
            "history": self.history,
            "calendar": self.calendar,
        }
        return {role: Path(path) for role, path in named.items() if path is not None}


def _reading(inputs: AssignmentInputs) -> dict[str, str | None]:
    return {"encoding": inputs.encoding, "sheet": inputs.sheet}


@dataclass(frozen=True)
class AssignStep:
    """What :func:`run_assign` wrote: the assignment and its manifest in ``out``."""

    result: AssignmentResult
    manifest: AssignmentManifest
    out: Path


def run_assign(
    draw: str | Path,
    files: AssignmentFiles,
    *,
    out: str | Path | None = None,
    window: tuple[dt.date, dt.date] | None = None,
    allow_partial: bool = False,
    seed: str | None = None,
    force: bool = False,
) -> AssignStep:
    """Merge a draw into visits, staff them from the roster, date them, and write the assignment.

    Parameters
    ----------
    draw : str or Path
        The draw's folder (``manifest.json``, ``selection.csv``).
    files : AssignmentFiles
        The roster, conflicts and the other inputs.
    out : str or Path, optional
        Where to write the assignment (default: the draw's folder, beside the draw).
    window : tuple of date, optional
        The inspection window, if not the plan's.
    allow_partial : bool
        Staff what can be staffed and list the rest (``unstaffed.csv``); by default
        an unstaffable visit is an error.
    seed : str, optional
        A seed other than the draw's, for a draw made from a given seed only: a committed draw's
        assignment takes the draw's seed, and its inputs must be the ones the commitment bound.
    force : bool
        Replace an earlier assignment in the folder (by default its presence is an error).

    Raises
    ------
    AssignmentError
        When some visit cannot be staffed and ``allow_partial`` is false (the reasons in numbers).
    InputError
        For bad inputs, every problem named.
    FolderError
        If the folder holds an earlier assignment and ``force`` is false.
    CeremonyError
        For a committed draw: when the commitment binds no assignment inputs, when a file differs from
        what it bound, or when ``seed`` is given.
    """
    draw_dir = Path(draw)
    check_complete(draw_dir, step="assign", assignment=False)
    folder = draw_dir if out is None else Path(out)
    target = claim_folder(folder, ASSIGN_WRITES, step="assign", force=force, inputs=files.roles().values(), staged=True)
    stage(_("reading the draw, the roster and the rules"))
    roles = assignment_roles(draw_dir, files.roles())
    check_bound_inputs(draw_dir, Manifest.read(draw_dir), roles, seed=seed)
    inputs = load_assignment_inputs(
        draw_dir,
        roles,
        seed=check_seed(seed) if seed else None,
        window=window,
        encoding=files.encoding,
        sheet=files.sheet,
        allow_list=files.allow_list,
    )
    result = inputs.solve(allow_partial=allow_partial)
    stage(_("writing the assignment"))
    with staged_run(target, step="assign", owned=ASSIGN_WRITES, force=force) as staging:
        manifest = write_assignment(
            result,
            staging,
            draw_manifest=InputFile.of(draw_dir / "manifest.json", target),
            seed=inputs.seed,
            policy=inputs.policy,
            allow_partial=allow_partial,
            inputs={
                role: InputFile.of(path, target, **_reading(inputs) if role == "population" else {})
                for role, path in roles.items()
            },
        )
    return AssignStep(result, manifest, target)
