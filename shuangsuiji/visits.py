"""Visits: one per drawn entity, all its tasks and departments merged ("一次多查").

A visit needs one team per department among its tasks. The team's size is the
largest any of that department's tasks at the visit asks for (the plan's
``assignment.team_size`` by default, at least 2), and its lead (主检) must
hold every certificate those tasks require. Each expert field asked for by a
task at the visit adds one expert.

Examples
--------
>>> from shuangsuiji.plan import parse_plan
>>> plan = parse_plan({"id": "P", "tasks": [
...     {"id": "A", "department": "市场监管局", "items": ["公示"], "ratio": "1"},
...     {"id": "B", "department": "税务局", "items": ["发票"], "ratio": "1", "team_size": 3}]})
>>> sel = pd.DataFrame({"task_id": ["A", "B"], "uscc": ["91110000600037341L"] * 2})
>>> pop = pd.DataFrame({"uscc": ["91110000600037341L"], "name": ["甲"], "region": ["410302"], "station": ["S1"]})
>>> v = make_visits(sel, plan, pop)
>>> v.visits[["visit_id", "departments", "tasks"]].to_dict("records")
[{'visit_id': 'V91110000600037341L', 'departments': '市场监管局;税务局', 'tasks': 'A;B'}]
>>> v.teams[["department", "size"]].to_dict("records")
[{'department': '市场监管局', 'size': 2}, {'department': '税务局', 'size': 3}]
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from ._i18n import _
from .exceptions import PopulationError, Problem
from .plan import Plan, Task

__all__ = ["DESK_METHODS", "Visits", "is_desk_task", "make_visits", "part_id", "visit_id"]


#: The inspection methods (检查方式) that need no site visit: a task checked only so is a desk check.
DESK_METHODS = frozenset({"书面检查", "网络检查"})


def is_desk_task(task: Task) -> bool:
    """Whether a task is a desk check: its item lists methods (检查方式), all of them :data:`DESK_METHODS`."""
    methods = task.item.methods if task.item is not None else ()
    return bool(methods) and set(methods) <= DESK_METHODS


def visit_id(uscc: str) -> str:
    """The id of the visit to an entity: ``V`` followed by its code (stable under any reordering)."""
    return f"V{uscc}"


def part_id(visit: str, department: str) -> str:
    """The id of one department's part of a joint visit that waits on its own: ``visit_id "/" department``.

    Examples
    --------
    >>> part_id(visit_id("91110000600037341L"), "税务局")
    'V91110000600037341L/税务局'
    """
    return f"{visit}/{department}"


@dataclass(frozen=True, eq=False)
class Visits:
    """Visits and what each needs.

    Attributes
    ----------
    visits : pandas.DataFrame
        ``visit_id, uscc, name, region, station, departments, tasks, items`` (``;``-joined), by ``visit_id``.
    teams : pandas.DataFrame
        ``visit_id, uscc, region, station, department, size, lead_certificates`` (a tuple), ``tasks`` and
        ``items`` (that department's, ``;``-joined), one row per department team, by ``(visit_id, department)``.
    experts : pandas.DataFrame
        ``visit_id, uscc, region, station, field``: one row per expert place.
    leads : Mapping[str, str]
        Visit id -> its lead department (发起部门): the 发起部门 of a joint item among the visit's tasks
        when one names a department of the visit, else the department of the visit's first task in the
        plan's order. A visit missing here is led by its first department.
    desk : frozenset of str
        The visits that are desk checks: every one of their tasks is checked only by 书面检查 or
        网络检查 (:data:`DESK_METHODS`, the item's 检查方式), so they get a team but no date.
    """

    visits: pd.DataFrame
    teams: pd.DataFrame
    experts: pd.DataFrame
    leads: Mapping[str, str] = field(default_factory=dict)
    desk: frozenset[str] = frozenset()

    @functools.cached_property
    def team_departments(self) -> Mapping[str, tuple[str, ...]]:
        """Visit id -> the departments of its teams, in :attr:`teams` order (built once)."""
        out: dict[str, list[str]] = {}
        for v, d in zip(self.teams["visit_id"].tolist(), self.teams["department"].tolist(), strict=True):
            out.setdefault(str(v), []).append(str(d))
        return {v: tuple(ds) for v, ds in out.items()}

    def lead_of(self, visit: str) -> str:
        """The lead department of a visit (:attr:`leads`, else its first department)."""
        if visit in self.leads:
            return self.leads[visit]
        row = self.visits.loc[self.visits["visit_id"] == visit, "departments"]
        return str(row.iloc[0]).split(";")[0] if len(row) else ""


def _place_columns(selection: pd.DataFrame, population: pd.DataFrame) -> dict[str, dict[str, str] | None]:
    """Name, region and station of each selected entity, by column (``None`` for a column the population lacks).

    The names fall back on the draw's own (``selection.csv`` has them) when the population has none.
    """
    wanted = population["uscc"].isin(selection["uscc"]).to_numpy(dtype=bool)
    codes = population["uscc"].to_numpy()[wanted]
    missing = sorted(set(selection["uscc"]) - set(codes.tolist()))
    if missing:
        raise PopulationError(
            [
                Problem("population", None, "uscc", code, _("this entity was drawn but is not in the population given"))
                for code in missing
            ]
        )
    columns: dict[str, dict[str, str] | None] = {
        c: dict(zip(codes, population[c].to_numpy()[wanted], strict=True)) if c in population.columns else None
        for c in ("name", "region", "station")
    }
    if columns["name"] is None and "name" in selection.columns:  # the names the draw published
        columns["name"] = dict(zip(selection["uscc"].tolist(), selection["name"].tolist(), strict=True))
    return columns


def make_visits(selection: pd.DataFrame, plan: Plan, population: pd.DataFrame) -> Visits:
    """Merge a draw's selection into visits.

    Parameters
    ----------
    selection : pandas.DataFrame
        ``task_id, uscc`` of every selected entity (the draw's ``selection``).
    plan : Plan
        The plan (team sizes, certificates, experts).
    population : pandas.DataFrame
        ``uscc`` with ``name``, ``region`` and ``station`` where present.
    """
    tasks = {t.id: t for t in plan.tasks}
    order = {t.id: k for k, t in enumerate(plan.tasks)}
    columns = _place_columns(selection, population)
    rows, teams, experts = [], [], []
    leads: dict[str, str] = {}
    desk: set[str] = set()
    by_entity: dict[str, list[str]] = {}
    for code, task in zip(selection["uscc"].tolist(), selection["task_id"].tolist(), strict=True):
        by_entity.setdefault(code, []).append(task)
    for uscc, task_ids in sorted(by_entity.items()):
        chosen = sorted(set(task_ids), key=order.__getitem__)
        departments = sorted({tasks[t].department for t in chosen})
        items = list(dict.fromkeys(i for t in chosen for i in tasks[t].items))
        vid = visit_id(str(uscc))
        named = [i.lead for t in chosen if (i := tasks[t].item) is not None and i.lead in departments]
        leads[vid] = named[0] if named else tasks[chosen[0]].department
        if all(is_desk_task(tasks[t]) for t in chosen):
            desk.add(vid)
        place = {c: ("" if of is None else str(of[uscc])) for c, of in columns.items()}
        rows.append(
            {
                "visit_id": vid,
                "uscc": uscc,
                **place,
                "departments": ";".join(departments),
                "tasks": ";".join(chosen),
                "items": ";".join(items),
            }
        )
        for d in departments:
            own = [tasks[t] for t in chosen if tasks[t].department == d]
            size = max(t.team_size or plan.assignment.team_size for t in own)
            certs = tuple(sorted({c for t in own for c in t.certificates}))
            teams.append(
                {
                    "visit_id": vid,
                    "uscc": uscc,
                    "region": place["region"],
                    "station": place["station"],
                    "department": d,
                    "size": size,
                    "lead_certificates": certs,
                    "tasks": ";".join(t.id for t in own),
                    "items": ";".join(dict.fromkeys(i for t in own for i in t.items)),
                }
            )
        for fld in sorted({e for t in chosen if (e := tasks[t].expert) is not None}):
            experts.append(
                {"visit_id": vid, "uscc": uscc, "region": place["region"], "station": place["station"], "field": fld}
            )
    visit_cols = ["visit_id", "uscc", "name", "region", "station", "departments", "tasks", "items"]
    team_cols = ["visit_id", "uscc", "region", "station", "department", "size", "lead_certificates", "tasks", "items"]
    expert_cols = ["visit_id", "uscc", "region", "station", "field"]
    return Visits(
        visits=pd.DataFrame(rows, columns=visit_cols),
        teams=pd.DataFrame(teams, columns=team_cols),
        experts=pd.DataFrame(experts, columns=expert_cols),
        leads=leads,
        desk=frozenset(desk),
    )
