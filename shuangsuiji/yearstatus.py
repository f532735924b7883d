"""How far a year is: the firms drawn, staffed, done and published per general task, against the target.

The bureau is judged on 一般事项抽查比例 over the year: distinct firms inspected
for an ordinary item, as a share of the operating firms in its scope.
:func:`year_status` counts it off the ledger's view (:func:`~shuangsuiji.yearview.ledger_view`),
per general task and for all general tasks together, at each stage a drawn firm
goes through (drawn, staffed, done, published), and lists the batches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._kernel import scope_mask
from .plan import Plan, Task
from .population import Population
from .year import YearPlan, general_tasks
from .yearview import drew

__all__ = [
    "ALL_GENERAL",
    "BATCH_STATUS_COLUMNS",
    "PROGRESS_COLUMNS",
    "STAGES",
    "TASK_STATUS_COLUMNS",
    "YearStatus",
    "year_status",
]

#: The stages a drawn firm goes through (each counts those at it or past it); ``dated``: staffed with a date.
STAGES: tuple[str, ...] = ("drawn", "staffed", "dated", "done", "published")
_RANK = {"drawn": 0, "staffed": 1, "done": 3, "published": 4}
#: The id of the row that counts all general tasks together (the indicator itself).
ALL_GENERAL = "一般事项(合计)"
#: Columns of the per-task frame.
TASK_STATUS_COLUMNS = ["task_id", "department", "base", "target", *STAGES, "drawn_share", "done_share", "remaining"]
#: Columns of the per-batch frame.
BATCH_STATUS_COLUMNS = ["batch", "window", "share_due", "in_ledger", "firms", *STAGES]
#: Columns of the coverage after each batch, per general task (and all of them).
PROGRESS_COLUMNS = ["batch", "task_id", "base", "target", "due", "drawn", "done", "drawn_share", "done_share"]


def _operating(population: Population, plan: Plan, task: Task | None) -> set[str]:
    frame = population.frame
    mask = np.ones(len(frame), dtype=bool) if task is None else np.asarray(scope_mask(population, task), dtype=bool)
    if plan.status_column in frame.columns:
        mask &= ~np.asarray(frame[plan.status_column].isin(plan.inactive_statuses), dtype=bool)
    return set(frame["uscc"][mask])


def _reached(rows: pd.DataFrame, stage: str) -> set[str]:
    """Firms whose visit got at least as far as ``stage`` (``dated``: staffed on a scheduled day, or further)."""
    at = rows["status"].map(lambda s: _RANK.get(s, -1))
    if stage == "dated":
        hit = (at >= _RANK["done"]) | ((at == _RANK["staffed"]) & (rows["scheduled"] != ""))
        return set(rows.loc[hit, "uscc"])
    return set(rows.loc[at >= _RANK[stage], "uscc"])


def _row(
    task_id: str, department: str, rows: pd.DataFrame, base: set[str] | None, target: Fraction
) -> dict[str, object]:
    reached = {stage: _reached(rows, stage) for stage in STAGES}
    if base is not None:
        reached = {stage: firms & base for stage, firms in reached.items()}
    size = None if base is None else len(base)
    goal = None if size is None else math.ceil(target * size)
    return {
        "task_id": task_id,
        "department": department,
        "base": size,
        "target": goal,
        **{stage: len(firms) for stage, firms in reached.items()},
        "drawn_share": None if not size else len(reached["drawn"]) / size,
        "done_share": None if not size else len(reached["done"]) / size,
        "remaining": None if goal is None else max(0, goal - len(reached["drawn"])),
    }


def _general_tasks(plan: Plan, year: YearPlan) -> list[Task]:
    seen: dict[str, Task] = {}
    for batch in year.batches:
        for task in general_tasks(plan, batch):
            seen.setdefault(task.id, task)
    return list(seen.values())


@dataclass(frozen=True)
class YearStatus:
    """How far a year is.

    Attributes
    ----------
    year : YearPlan
        The year plan.
    tasks : pandas.DataFrame
        :data:`TASK_STATUS_COLUMNS`: one row per general task, then :data:`ALL_GENERAL`.
    batches : pandas.DataFrame
        :data:`BATCH_STATUS_COLUMNS`: one row per batch, in order.
    progress : pandas.DataFrame
        :data:`PROGRESS_COLUMNS`: the coverage after each batch in the ledger, per general task and
        for all of them, against the part of the target due by then.
    """

    year: YearPlan
    tasks: pd.DataFrame
    batches: pd.DataFrame
    progress: pd.DataFrame


_Target = tuple[str, set[str] | None, npt.NDArray[np.bool_]]


def _progress(year: YearPlan, ours: pd.DataFrame, targets: list[_Target]) -> pd.DataFrame:
    """The coverage after each batch the ledger holds, per task, against the target due by then."""
    rows = []
    done_batches: list[str] = []
    for batch in year.batches:
        if not (ours["batch"] == batch.id).any():
            continue
        done_batches.append(batch.id)
        upto = ours["batch"].isin(done_batches).to_numpy()
        for task_id, base, hits in targets:
            row = _row(task_id, "", ours[hits & upto], base, year.target)
            size = None if base is None else len(base)
            goal = None if size is None else math.ceil(year.target * size)
            due = None if goal is None else math.ceil(goal * year.cumulative_share(batch.id))
            rows.append(
                {
                    "batch": batch.id,
                    "task_id": task_id,
                    "base": size,
                    "target": goal,
                    "due": due,
                    "drawn": row["drawn"],
                    "done": row["done"],
                    "drawn_share": row["drawn_share"],
                    "done_share": row["done_share"],
                }
            )
    return pd.DataFrame(rows, columns=PROGRESS_COLUMNS)


def year_status(year: YearPlan, plan: Plan, view: pd.DataFrame, population: Population | None = None) -> YearStatus:
    """The year's standing per general task (and all of them together), per batch, and after each batch.

    Parameters
    ----------
    year : YearPlan
        The year plan.
    plan : Plan
        The year's plan of tasks.
    view : pandas.DataFrame
        The ledger's view (:func:`~shuangsuiji.yearview.ledger_view`).
    population : Population, optional
        The current population: the base is its operating firms in each task's scope, and only
        firms of the base count. Without it the base, target and shares are empty.

    Returns
    -------
    YearStatus
    """
    ours = view[(view["year"] == year.id) & (view["kind"] == "random")]
    rows = []
    targets: list[_Target] = []
    union: set[str] = set()
    every = np.zeros(len(ours), dtype=bool)
    for task in _general_tasks(plan, year):
        hits = drew(ours, task.id)
        every |= hits
        base = None if population is None else _operating(population, plan, task)
        union |= base or set()
        rows.append(_row(task.id, task.department, ours[hits], base, year.target))
        targets.append((task.id, base, hits))
    whole = None if population is None else union
    rows.append(_row(ALL_GENERAL, "", ours[every], whole, year.target))
    targets.append((ALL_GENERAL, whole, every))
    marked = set(view.loc[(view["year"] == year.id) & (view["kind"] == "batch"), "batch"])
    batches = []
    for batch in year.batches:
        part = ours[ours["batch"] == batch.id]
        batches.append(
            {
                "batch": batch.id,
                "window": f"{batch.window[0].isoformat()}:{batch.window[1].isoformat()}",
                "share_due": float(year.cumulative_share(batch.id)),
                "in_ledger": bool(len(part)) or batch.id in marked,
                "firms": part["uscc"].nunique(),
                **{stage: len(_reached(part, stage)) for stage in STAGES},
            }
        )
    return YearStatus(
        year,
        pd.DataFrame(rows, columns=TASK_STATUS_COLUMNS),
        pd.DataFrame(batches, columns=BATCH_STATUS_COLUMNS),
        _progress(year, ours, targets),
    )
