"""Exclusions and inspection burden: who in a task's scope may not be drawn, and why.

Three rules remove an entity from a task's eligible set, checked in this
order (the first that applies is the recorded reason):

``status``
    The entity's status (``status`` column) is one the plan lists as not
    operating (注销, 吊销, 撤销, 迁出, ...).
``cooldown``
    The task's department inspected the entity on or after
    ``start - exclude_inspected_within_days`` (any kind of inspection in the
    history file counts).
``annual_cap``
    The task's department already inspected the entity ``annual_cap`` times
    in the calendar year of the plan's ``start`` (国办发〔2024〕54号 asks for a
    published yearly cap per enterprise).

Entities outside a task's ``where`` are out of scope and only counted; they
are not exclusions.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from .exceptions import HistoryError, Problem
from .plan import Plan, Task
from .population import Population
from .uscc import UsccStatus, uscc_problem, uscc_status

__all__ = ["REASONS", "History", "TaskExclusions", "check_history", "task_exclusions"]

#: Reason codes in the order they are checked; code ``i + 1`` is ``REASONS[i]``.
REASONS: tuple[str, ...] = ("status", "cooldown", "annual_cap")
_REQUIRED = ("uscc", "department", "date")


@dataclass(frozen=True, eq=False)
class History:
    """A checked inspection history: ``uscc, department, date, kind[, inspectors]``.

    ``date`` is ``datetime64[s]``; ``kind`` (random, complaint, referral...)
    is kept for the record and is empty when the file has no such column;
    ``inspectors`` (``;``-separated officer ids), when present, drives rotation.
    """

    frame: pd.DataFrame
    source: str

    def __len__(self) -> int:
        return len(self.frame)


def _parse_dates(text: pd.Series) -> pd.Series:
    normal = text.str.replace("/", "-", regex=False).str.replace(".", "-", regex=False)
    return pd.to_datetime(normal, format="%Y-%m-%d", errors="coerce")


def check_history(frame: pd.DataFrame, *, source: str = "<frame>", allow_list: Collection[str] = ()) -> History:
    """Check an inspection history table.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``uscc, department, date`` (``YYYY-MM-DD``) and optionally
        ``kind``; the index is the row number in messages.
    source : str
        Name of the table in messages.
    allow_list : collection of str
        Legacy codes accepted although they fail the GB 32100 check.

    Raises
    ------
    HistoryError
        Listing every problem (missing columns, bad codes, unreadable dates).

    Examples
    --------
    >>> h = check_history(pd.DataFrame({"uscc": ["91110000600037341L"], "department": ["市场监管局"],
    ...                                 "date": ["2026-05-01"]}))
    >>> h.frame["date"].dt.year.tolist()
    [2026]
    """
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise HistoryError(
            [
                Problem(source, 1, c, None, f"the history needs columns {list(_REQUIRED)}; this one is missing")
                for c in missing
            ]
        )
    rows = np.asarray(frame.index, dtype=np.int64) if pd.api.types.is_integer_dtype(frame.index.dtype) else None
    rows = rows if rows is not None else np.arange(2, 2 + len(frame), dtype=np.int64)
    data = pd.DataFrame(
        {
            c: frame[c].astype("str").fillna("").str.strip()
            for c in (*_REQUIRED, "kind", "inspectors")
            if c in frame.columns
        }
    )
    data.index = pd.RangeIndex(len(data))
    if "kind" not in data.columns:
        data["kind"] = ""
    problems: list[Problem] = []
    status = uscc_status(data["uscc"])
    for i in np.flatnonzero(status != UsccStatus.OK).tolist():
        code = str(data.at[i, "uscc"])
        if code in allow_list and status[i] != UsccStatus.EMPTY:
            continue
        problems.append(Problem(source, int(rows[i]), "uscc", code, f"{uscc_problem(code)}; correct the code"))
    for i in np.flatnonzero((data["department"] == "").to_numpy()).tolist():
        problems.append(Problem(source, int(rows[i]), "department", "", "the department is empty; fill it in"))
    dates = _parse_dates(data["date"])
    for i in np.flatnonzero(dates.isna().to_numpy()).tolist():
        problems.append(
            Problem(source, int(rows[i]), "date", str(data.at[i, "date"]), "not a date; write it as YYYY-MM-DD")
        )
    if problems:
        raise HistoryError(sorted(problems, key=lambda p: p.row or 0))
    data["date"] = dates.astype("datetime64[s]")
    return History(frame=data, source=source)


@dataclass(frozen=True, eq=False)
class TaskExclusions:
    """Exclusions of one task.

    Attributes
    ----------
    code : numpy.ndarray
        Per population row: 0 not excluded, else ``1 + REASONS.index(reason)``.
        Only rows in the task's scope are ever excluded.
    detail : pandas.Series
        Human-readable reason, indexed by the excluded rows' positions.
    """

    code: npt.NDArray[np.int8]
    detail: pd.Series


def _latest_and_count(history: History, department: str, year: int) -> tuple[pd.Series, pd.Series]:
    h = history.frame[history.frame["department"] == department]
    latest = h.groupby("uscc", sort=False)["date"].max()
    in_year = h[h["date"].dt.year == year]
    count = in_year.groupby("uscc", sort=False)["date"].size()
    return latest, count


def task_exclusions(
    population: Population,
    plan: Plan,
    task: Task,
    in_scope: npt.NDArray[np.bool_],
    history: History | None,
) -> TaskExclusions:
    """Which in-scope entities a task may not draw, with the reason of each.

    Parameters
    ----------
    population : Population
        The checked population.
    plan, task
        The plan and the task.
    in_scope : numpy.ndarray of bool
        Rows passing the task's ``where``.
    history : History or None
        Past inspections; without it only ``status`` can exclude.
    """
    frame = population.frame
    n = len(frame)
    code = np.zeros(n, dtype=np.int8)
    details: list[pd.Series] = []
    if plan.status_column in frame.columns:
        status = frame[plan.status_column]
        hit = in_scope & np.asarray(status.isin(plan.inactive_statuses), dtype=bool)
        code[hit] = 1
        rows = np.flatnonzero(hit)
        details.append("status '" + status.iloc[rows].set_axis(rows) + "' is not operating")
    if (
        history is not None
        and plan.start is not None
        and (task.exclude_inspected_within_days is not None or task.annual_cap is not None)
    ):
        start = pd.Timestamp(plan.start)
        latest, count = _latest_and_count(history, task.department, plan.start.year)
        uscc = frame["uscc"]
        if task.exclude_inspected_within_days is not None:
            days = task.exclude_inspected_within_days
            since = start - pd.Timedelta(days=days)
            last = uscc.map(latest)
            hit = in_scope & (code == 0) & np.asarray((last >= since).fillna(False), dtype=bool)
            code[hit] = 2
            rows = np.flatnonzero(hit)
            when = last.iloc[rows].dt.strftime("%Y-%m-%d").set_axis(rows)
            details.append(
                f"inspected by {task.department} on "
                + when
                + f", on or after {since.date().isoformat()} (cool-down of {days} days before {plan.start})"
            )
        if task.annual_cap is not None:
            cap = task.annual_cap
            times = uscc.map(count).fillna(0)
            hit = in_scope & (code == 0) & np.asarray(times >= cap, dtype=bool)
            code[hit] = 3
            rows = np.flatnonzero(hit)
            details.append(
                times.iloc[rows].astype(int).astype("str").set_axis(rows)
                + f" inspections by {task.department} in {plan.start.year} reach the annual cap of {cap}"
            )
    detail = pd.concat(details).sort_index() if details else pd.Series([], dtype="str")
    return TaskExclusions(code=code, detail=detail.astype("str"))
