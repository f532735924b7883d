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

from dataclasses import dataclass

import pandas as pd

from .plan import Plan

__all__ = ["Visits", "make_visits", "visit_id"]


def visit_id(uscc: str) -> str:
    """The id of the visit to an entity: ``V`` followed by its code (stable under any reordering)."""
    return f"V{uscc}"


@dataclass(frozen=True, eq=False)
class Visits:
    """Visits and what each needs.

    Attributes
    ----------
    visits : pandas.DataFrame
        ``visit_id, uscc, name, region, station, departments, tasks, items`` (``;``-joined), by ``visit_id``.
    teams : pandas.DataFrame
        ``visit_id, uscc, region, station, department, size, lead_certificates`` (a tuple), one row per
        department team, by ``(visit_id, department)``.
    experts : pandas.DataFrame
        ``visit_id, uscc, region, station, field``: one row per expert place.
    """

    visits: pd.DataFrame
    teams: pd.DataFrame
    experts: pd.DataFrame


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
    info = population.set_index("uscc")
    rows, teams, experts = [], [], []
    by_entity = selection.groupby("uscc", sort=True)["task_id"].apply(list)
    for uscc, task_ids in by_entity.items():
        chosen = sorted(set(task_ids), key=[t.id for t in plan.tasks].index)
        departments = sorted({tasks[t].department for t in chosen})
        items = list(dict.fromkeys(i for t in chosen for i in tasks[t].items))
        vid = visit_id(str(uscc))
        place = {c: (str(info.at[uscc, c]) if c in info.columns else "") for c in ("name", "region", "station")}
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
                }
            )
        for fld in sorted({e for t in chosen if (e := tasks[t].expert) is not None}):
            experts.append(
                {"visit_id": vid, "uscc": uscc, "region": place["region"], "station": place["station"], "field": fld}
            )
    visit_cols = ["visit_id", "uscc", "name", "region", "station", "departments", "tasks", "items"]
    team_cols = ["visit_id", "uscc", "region", "station", "department", "size", "lead_certificates"]
    expert_cols = ["visit_id", "uscc", "region", "station", "field"]
    return Visits(
        visits=pd.DataFrame(rows, columns=visit_cols),
        teams=pd.DataFrame(teams, columns=team_cols),
        experts=pd.DataFrame(experts, columns=expert_cols),
    )
