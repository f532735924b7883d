"""A year's batches: their inputs read off the ledger, and the year's standing (``docs/year.md``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from .._i18n import _
from .._lazy import extra
from ..ceremony import Commitment
from ..exceptions import YearError
from ..inputs import DrawFiles, read_population
from ..io import atomic_write_bytes, read_allow_list, write_csv
from ..ledger.store import Ledger
from ..plan import Plan, load_plan
from ..year import load_year
from ..yearstatus import YearStatus, year_status
from ..yearview import LedgerView, ledger_view
from ._ledger import opened_ledger

__all__ = ["YearStatusStep", "run_year_status", "write_ledger_view", "year_files"]


def write_ledger_view(ledger: Ledger | str | Path, out: str | Path, *, create: bool = False) -> LedgerView:
    """Read the ledger at its head and write its view, ``ledger-view.json``, into folder ``out``.

    With ``create``, a ledger that does not exist yet is made (empty): the year's first batch reads it so.

    Raises
    ------
    LedgerError
        If the ledger cannot be opened or read.
    """
    with opened_ledger(ledger, create=create) as book:
        head = book.head()
        frame = book.frame(upto=head)
    view = LedgerView(head.to_dict(), ledger_view(frame))
    data = view.to_bytes()
    atomic_write_bytes(Path(out) / LedgerView.FILE, data)
    return LedgerView(view.head, view.rows, data)


def _committed_view(commitment: str | Path) -> Path:
    """The ledger view a commitment recorded (relative to the commitment's folder)."""
    path = Path(commitment)
    entry = Commitment.read(path).inputs.get("ledger_view")
    if entry is None:
        message = _("{path}: this commitment records no ledger view; it is not a commitment of a year's batch.")
        raise YearError(message.format(path=path))
    return path.parent / entry.path


def year_files(
    year: str | Path,
    batch: str,
    population: str | Path,
    out: str | Path,
    *,
    ledger: Ledger | str | Path | None = None,
    view: str | Path | None = None,
    commitment: str | Path | None = None,
    history: str | Path | None = None,
    allow_list: str | Path | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> DrawFiles:
    """The files of a year's batch, its ledger's view written into ``out`` when read from the ledger.

    Give the ledger (its view is read at its head and written into ``out``; made empty if absent
    only for the year's first batch), or a view written before (``view``), or, for the draw after
    a commitment, neither: the view the commitment recorded is used, so that the draw reads the
    ledger as committed. ``history`` (inspections from before the ledger), ``allow_list``,
    ``encoding`` and ``sheet`` are as for :class:`~shuangsuiji.inputs.DrawFiles`.

    Raises
    ------
    YearError
        If more than one source of the view is given, or none.
    """
    if ledger is not None and view is not None:
        raise YearError(_("Give the ledger (--ledger) or a view written before (--view), not both."))
    if ledger is not None:
        # only the year's first batch may start a ledger: a mistyped path must not read as an empty year
        plan_year = load_year(year)
        first = plan_year.batch(batch).id == plan_year.batch_ids[0]  # an unknown batch: YearError
        write_ledger_view(ledger, out, create=first)
        view = Path(out) / LedgerView.FILE
    elif view is None and commitment is not None:
        view = _committed_view(commitment)
    if view is None:
        raise YearError(_("A year's batch reads the ledger: give --ledger LEDGER (or --view ledger-view.json)."))
    files = DrawFiles.for_year(year, batch, population, view)
    return dataclasses.replace(
        files,
        history=None if history is None else Path(history),
        allow_list=None if allow_list is None else Path(allow_list),
        encoding=encoding,
        sheet=sheet,
    )


@dataclass(frozen=True)
class YearStatusStep:
    """The year's standing, and the files written (with ``out``)."""

    status: YearStatus
    paths: tuple[Path, ...] = ()


def run_year_status(
    year: str | Path,
    ledger: Ledger | str | Path,
    *,
    population: str | Path | None = None,
    allow_list: str | Path | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    out: str | Path | None = None,
) -> YearStatusStep:
    """How far the year is: per general task its base, target, and the firms drawn, staffed, done, published.

    Without ``population`` the base and shares are left empty (the counts are the ledger's). With
    ``out``, writes ``year-status.csv``, ``year-batches.csv``, ``year-progress.csv`` and
    ``year-status.html`` with the coverage chart over the batches (the chart needs ``[report]``).

    Raises
    ------
    YearError, LedgerError, PopulationError
        For a bad year plan, no ledger there, or a bad population.
    """
    plan_year = load_year(year)
    plan: Plan = load_plan(Path(year).parent / plan_year.plan)
    allow = read_allow_list(allow_list) if allow_list is not None else frozenset()
    people = (
        None
        if population is None
        else read_population(population, plan, allow_list=allow, encoding=encoding, sheet=sheet)
    )
    with opened_ledger(ledger, create=False) as book:
        frame = book.frame()
    status = year_status(plan_year, plan, ledger_view(frame), people)
    if out is None:
        return YearStatusStep(status)
    folder = Path(out)
    tables = {"year-status.csv": status.tasks, "year-batches.csv": status.batches, "year-progress.csv": status.progress}
    for name, table in tables.items():
        write_csv(table, folder / name)
    with extra("report"):
        from ..report import write_year_report  # noqa: PLC0415 - matplotlib loads only for the page

    page = write_year_report(status, folder)
    return YearStatusStep(status, (*(folder / n for n in tables), page))
