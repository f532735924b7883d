"""Exclusions and inspection burden: who in a task's scope may not be drawn, and why.

Six rules remove an entity from a task's eligible set, checked in this
order (the first that applies is the recorded reason); the last three apply
to the batches of a year only (``docs/year.md``):

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
``drawn_this_year``
    The entity was drawn for the same general item in an earlier batch of the year.
``year_cap``
    The entity's checks of the year over all departments reach the year's total cap
    (a joint visit counts once; exempt kinds of check, such as complaints, are left out).
``department_cap``
    The entity's checks of the year by the task's department reach the year's cap per department.

Entities outside a task's ``where`` are out of scope and only counted; they
are not exclusions.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._i18n import _
from .columns import canonical_columns
from .exceptions import HistoryError, Problem
from .plan import Plan, Task
from .population import Population
from .uscc import UsccStatus, uscc_problem, uscc_status

__all__ = ["REASONS", "History", "TaskExclusions", "YearRules", "check_history", "task_exclusions"]

#: Reason codes in the order they are checked; code ``i + 1`` is ``REASONS[i]``.
REASONS: tuple[str, ...] = ("status", "cooldown", "annual_cap", "drawn_this_year", "year_cap", "department_cap")
_REQUIRED = ("uscc", "department", "date")


@dataclass(frozen=True)
class YearRules:
    """What a year adds to a batch's exclusions, as the ledger stood when the batch was drawn (``docs/year.md``).

    Attributes
    ----------
    year : str
        The year's id.
    drawn : Mapping[str, frozenset of str]
        Task id -> the firms drawn for that general item in earlier batches of the year.
    total_cap, department_cap : int or None
        Checks per enterprise and year, over all departments and by one department.
    total : Mapping[str, int]
        Code -> checks of the year that count toward the caps (a joint visit once; exempt kinds left out).
    per_department : Mapping[tuple[str, str], int]
        (code, department) -> the same, by one department.
    exempt : tuple of str
        The kinds of check left out (for messages).
    """

    year: str
    drawn: Mapping[str, frozenset[str]] = field(default_factory=dict)
    total_cap: int | None = None
    department_cap: int | None = None
    total: Mapping[str, int] = field(default_factory=dict)
    per_department: Mapping[tuple[str, str], int] = field(default_factory=dict)
    exempt: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class History:
    """A checked inspection history: ``uscc, department, date, kind[, inspectors]``.

    ``date`` is ``datetime64[s]``; ``kind`` (random, complaint, referral...)
    is kept for the record and is empty when the file has no such column;
    ``inspectors`` (``;``-separated officer ids), when present, drives rotation.
    A history read off a year's ledger (:mod:`shuangsuiji.year`) also carries
    the year's rules (:class:`YearRules`), which the exclusions then apply.
    """

    frame: pd.DataFrame
    source: str
    year: YearRules | None = None

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
    frame = canonical_columns(frame, "history", source=source, error=HistoryError)
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        needs = _("the history needs columns {columns}; this one is missing")
        raise HistoryError([Problem(source, 1, c, None, needs.format(columns=list(_REQUIRED))) for c in missing])
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
        problems.append(
            Problem(
                source, int(rows[i]), "uscc", code, _("{problem}; correct the code").format(problem=uscc_problem(code))
            )
        )
    for i in np.flatnonzero((data["department"] == "").to_numpy()).tolist():
        problems.append(Problem(source, int(rows[i]), "department", "", _("the department is empty; fill it in")))
    dates = _parse_dates(data["date"])
    for i in np.flatnonzero(dates.isna().to_numpy()).tolist():
        problems.append(
            Problem(source, int(rows[i]), "date", str(data.at[i, "date"]), _("not a date; write it as YYYY-MM-DD"))
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


_Rule = tuple[str, npt.NDArray[np.bool_], Callable[[npt.NDArray[np.intp]], pd.Series]]


def _status_rule(frame: pd.DataFrame, plan: Plan) -> list[_Rule]:
    if plan.status_column not in frame.columns:
        return []
    status = frame[plan.status_column]

    def detail(rows: npt.NDArray[np.intp]) -> pd.Series:
        return "status '" + status.iloc[rows].set_axis(rows) + "' is not operating"

    return [("status", np.asarray(status.isin(plan.inactive_statuses), dtype=bool), detail)]


def _history_rules(frame: pd.DataFrame, plan: Plan, task: Task, history: History | None) -> list[_Rule]:
    """The task's cool-down and its department's annual cap, from the inspection history."""
    if history is None or plan.start is None:
        return []
    start = pd.Timestamp(plan.start)
    latest, count = _latest_and_count(history, task.department, plan.start.year)
    uscc = frame["uscc"]
    rules: list[_Rule] = []
    if task.exclude_inspected_within_days is not None:
        days = task.exclude_inspected_within_days
        since = start - pd.Timedelta(days=days)
        last = latest.reindex(uscc.to_numpy()).set_axis(uscc.index)  # NaT where never inspected (map fails on empty)

        after = f", on or after {since.date().isoformat()} (cool-down of {days} days before {plan.start})"

        def cooled(rows: npt.NDArray[np.intp]) -> pd.Series:
            when: pd.Series = last.iloc[rows].dt.strftime("%Y-%m-%d").set_axis(rows)
            return f"inspected by {task.department} on " + when + after

        rules.append(("cooldown", np.asarray((last >= since).fillna(False), dtype=bool), cooled))
    if task.annual_cap is not None:
        cap = task.annual_cap
        times = count.reindex(uscc.to_numpy()).set_axis(uscc.index).fillna(0)
        reach = f" inspections by {task.department} in {start.year} reach the annual cap of {cap}"

        def capped(rows: npt.NDArray[np.intp]) -> pd.Series:
            return times.iloc[rows].astype(int).astype("str").set_axis(rows) + reach

        rules.append(("annual_cap", np.asarray(times >= cap, dtype=bool), capped))
    return rules


def _year_rules(frame: pd.DataFrame, task: Task, year: YearRules | None) -> list[_Rule]:
    """The year's rules: drawn earlier in the year for the same general item, and the caps per enterprise."""
    if year is None:
        return []
    uscc = frame["uscc"]
    rules: list[_Rule] = []
    if task.id in year.drawn:
        note = f"drawn for {task.id} in an earlier batch of {year.year}"

        def drawn(rows: npt.NDArray[np.intp]) -> pd.Series:
            return pd.Series(note, index=rows, dtype="str")

        rules.append(("drawn_this_year", np.asarray(uscc.isin(year.drawn[task.id]), dtype=bool), drawn))
    department = _department_times(uscc, task.department, year)
    caps = (
        ("year_cap", year.total_cap, uscc.map(year.total), f"{year.year} over all departments"),
        ("department_cap", year.department_cap, department, f"{year.year} by {task.department}"),
    )
    rules += [_cap_rule(reason, cap, times, where, year.exempt) for reason, cap, times, where in caps if cap]
    return rules


def _cap_rule(reason: str, cap: int, times: pd.Series, where: str, exempt: tuple[str, ...]) -> _Rule:
    counted = times.fillna(0).astype(int)
    left_out = f"; {', '.join(exempt)} not counted" if exempt else ""

    def capped(rows: npt.NDArray[np.intp]) -> pd.Series:
        return (
            counted.iloc[rows].astype("str").set_axis(rows)
            + f" checks in {where} reach the cap of {cap} (a joint visit counts once{left_out})"
        )

    return (reason, np.asarray(counted >= cap, dtype=bool), capped)


def _department_times(uscc: pd.Series, department: str, year: YearRules) -> pd.Series:
    by_code = {code: n for (code, dept), n in year.per_department.items() if dept == department}
    return uscc.map(by_code)


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
        Past inspections; without it only ``status`` can exclude. A year's history brings the
        year's rules too: firms drawn earlier in the year for the same item, and the caps.
    """
    frame = population.frame
    code = np.zeros(len(frame), dtype=np.int8)
    details: list[pd.Series] = []
    rules = [
        *_status_rule(frame, plan),
        *_history_rules(frame, plan, task, history),
        *_year_rules(frame, task, history.year if history else None),
    ]
    for reason, applies, describe in rules:
        hit = in_scope & (code == 0) & applies
        code[hit] = REASONS.index(reason) + 1
        details.append(describe(np.flatnonzero(hit)))
    detail = pd.concat(details).sort_index() if details else pd.Series([], dtype="str")
    return TaskExclusions(code=code, detail=detail.astype("str"))
