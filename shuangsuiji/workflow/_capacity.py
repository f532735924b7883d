"""The smallest roster change that staffs every visit of a draw (``shuangsuiji capacity``, ``docs/capacity.md``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .._i18n import _
from .._lazy import extra
from .._outdir import claim_folder
from ..assignment.inputs import assignment_roles, load_assignment_inputs
from ..exceptions import FolderError, InputError, NotFoundError, RosterError
from ..io import atomic_write_bytes, csv_bytes, read_table
from ..manifest import Manifest
from ..roster import check_roster
from ..seed import check_seed
from ._staffing import AssignmentFiles

if TYPE_CHECKING:
    from ..assignment.capacity import CapacityResult

__all__ = ["CAPACITY_WRITES", "CapacityStep", "run_capacity"]

#: What ``capacity`` writes into its folder.
CAPACITY_WRITES: tuple[str, ...] = ("capacity.csv",)


@dataclass(frozen=True)
class CapacityStep:
    """What :func:`run_capacity` found and wrote.

    Attributes
    ----------
    result : CapacityResult
        The groups' numbers, the people to add, and what the whole assignment made of them.
    path : Path
        ``capacity.csv``, one row per group.
    roster : Path or None
        The amended roster (the roster's rows, then the added ones), when asked for.
    committed : bool
        Whether the draw was made from a commitment: if that commitment binds the roster, the draw is
        staffed from that roster only, and the amended one serves a batch committed with it.
    """

    result: CapacityResult
    path: Path
    roster: Path | None
    committed: bool


def _check_files(draw: Path, files: AssignmentFiles, roster_out: Path | None, *, force: bool) -> None:
    """The draw and every input are there, and the amended roster goes to a new CSV file.

    Raises
    ------
    NotFoundError
        For a folder that is not a draw's, or an input file that is not there.
    InputError, FolderError
        For an amended roster that is not CSV, would replace the roster it amends, or exists
        (without ``force``).
    """
    if not (draw / "manifest.json").is_file():
        raise NotFoundError(_("{folder} is not a draw's folder: it has no manifest.json.").format(folder=draw))
    for role, path in files.roles().items():
        if not path.is_file():
            raise NotFoundError(_("{path}: no such file (the {role} file).").format(path=path, role=role))
    if roster_out is None:
        return
    if roster_out.suffix.lower() != ".csv":
        text = _("{path}: the amended roster is written as CSV; give a file name ending in .csv.")
        raise InputError(text.format(path=roster_out))
    if roster_out.exists() and roster_out.resolve() == files.roster.resolve():
        text = _("{path} is the roster given: write the amended roster to a new file.")
        raise InputError(text.format(path=roster_out))
    if roster_out.exists() and not force:
        text = _("{path} already exists: give a new file for the amended roster, or add --force.")
        raise FolderError(text.format(path=roster_out))


def amended_roster(roster: Path, added: pd.DataFrame) -> pd.DataFrame:
    """The roster file's rows as read (canonical headers, every column kept), then the added rows.

    Raises
    ------
    RosterError
        If the amended roster does not check (it always should: the added rows are checked rows).
    """
    original = read_table(roster, error=RosterError, kind="roster").reset_index(drop=True)
    frame = pd.concat([original, added], ignore_index=True).fillna("")
    check_roster(frame, source=str(roster))
    return frame


def run_capacity(
    draw: str | Path,
    files: AssignmentFiles,
    *,
    out: str | Path | None = None,
    roster_out: str | Path | None = None,
    window: tuple[dt.date, dt.date] | None = None,
    seed: str | None = None,
    force: bool = False,
) -> CapacityStep:
    """Find the smallest roster change with which the assignment of a draw staffs every visit.

    Reads the draw and the assignment's inputs as :func:`~shuangsuiji.workflow.run_assign` does,
    writes ``capacity.csv`` (one row per group, :data:`~shuangsuiji.assignment.capacity.CAPACITY_COLUMNS`)
    and, with ``roster_out``, the amended roster for a clerk to fill in and apply.

    Parameters
    ----------
    draw : str or Path
        The draw's folder (``manifest.json``, ``selection.csv``).
    files : AssignmentFiles
        The roster, conflicts and the other inputs of the assignment.
    out : str or Path, optional
        Where to write ``capacity.csv`` (default: the draw's folder, where the report finds it).
    roster_out : str or Path, optional
        A new CSV file for the amended roster: the roster's rows, then the rows to add (their ids,
        names and ``cert_no`` stand for people to find).
    window : tuple of date, optional
        The inspection window, if not the plan's.
    seed : str, optional
        A seed other than the draw's.
    force : bool
        Replace an earlier ``capacity.csv`` in the folder, and an existing ``roster_out``.

    Raises
    ------
    NotFoundError
        For a folder that is not a draw's, or an input file that is not there.
    InputError
        For bad inputs (every problem named), or an amended roster that would not be a new CSV file.
    FolderError
        If the folder holds an earlier ``capacity.csv``, or ``roster_out`` exists, and ``force`` is false.
    """
    draw_dir = Path(draw)
    roster_path = None if roster_out is None else Path(roster_out)
    _check_files(draw_dir, files, roster_path, force=force)
    target = claim_folder(draw_dir if out is None else Path(out), CAPACITY_WRITES, step="capacity", force=force)
    inputs = load_assignment_inputs(
        draw_dir,
        assignment_roles(draw_dir, files.roles()),
        seed=check_seed(seed) if seed else None,
        window=window,
        encoding=files.encoding,
        sheet=files.sheet,
        allow_list=files.allow_list,
    )
    with extra("assign"):
        from ..assignment.capacity import capacity_change  # noqa: PLC0415 - the solver loads only to solve

    result = capacity_change(
        inputs.visits,
        inputs.roster,
        inputs.policy,
        inputs.seed,
        conflicts=inputs.conflicts,
        calendar=inputs.calendar,
    )
    path = target / "capacity.csv"
    atomic_write_bytes(path, csv_bytes(result.groups))
    if roster_path is not None:
        atomic_write_bytes(roster_path, csv_bytes(amended_roster(files.roster, result.roster_rows())))
    committed = Manifest.read(draw_dir).seed_record.mode != "seed"
    return CapacityStep(result=result, path=path, roster=roster_path, committed=committed)
