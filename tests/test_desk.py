"""Desk checks (书面检查, 网络检查): a team, no date, no day of anyone's calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from shuangsuiji.assignment import assign
from shuangsuiji.plan import parse_plan
from shuangsuiji.visits import is_desk_task, make_visits

from .assign_helpers import codes, roster

SEED = "d3" * 32
WINDOW = "2025-03-03:2025-03-07"


def _plan(desk: list[str], site: list[str] | None = None) -> Any:
    item = {"methods": desk} if desk else {}
    tasks: list[dict[str, Any]] = [
        {"id": "D", "department": "市场监管局", "items": ["年报"], "ratio": "1", "item": item}
    ]
    if site is not None:
        tasks.append(
            {"id": "S", "department": "市场监管局", "items": ["现场"], "ratio": "1", "item": {"methods": site}}
        )
    return parse_plan({"id": "P", "assignment": {"window": WINDOW, "daily_cap": 1}, "tasks": tasks})


def _visits(plan: Any, n: int, *, site: int = 0) -> Any:
    uscc = codes(n)
    pop = pd.DataFrame({"uscc": uscc, "name": uscc, "region": "410302", "station": "S1"})
    sel = pd.DataFrame({"task_id": ["D"] * n + ["S"] * site, "uscc": uscc + uscc[:site]})
    return make_visits(sel, plan, pop)


def test_only_written_and_online_methods_make_a_desk_task() -> None:
    tasks = {
        m: _plan(list(m)).tasks[0] for m in (("书面检查",), ("网络检查", "书面检查"), ("书面检查", "现场检查"), ())
    }
    assert [is_desk_task(t) for t in tasks.values()] == [True, True, False, False]


def test_desk_checks_get_a_team_and_no_date() -> None:
    plan = _plan(["书面检查", "网络检查"], site=["现场检查"])
    visits = _visits(plan, 6, site=2)
    # Two officers with one visit a day over a five-day window: the six desk checks would never fit in days.
    people = roster([{"capacity": 10}, {"capacity": 10}])
    result = assign(visits, people, plan.assignment, SEED, allow_partial=True)
    table = result.visits.set_index("visit_id")
    desk = sorted(visits.desk)
    assert len(desk) == 4 and all(table.at[v, "status"] == "desk" and table.at[v, "date"] == "" for v in desk)
    site = [v for v in table.index if v not in visits.desk]
    assert len(site) == 2 and all(isinstance(table.at[v, "date"], dt.date) for v in site)
    assert all(table.at[v, "status"] == "staffed" for v in site)
    for v in table.index:  # every visit, desk or site, has its team
        assert (result.teams["visit_id"] == v).sum() == 2
    assert result.unstaffed.empty
    assert (result.workload.set_index("inspector_id")["days"] == 2).all()  # the site visits' days only


def test_a_plan_without_methods_has_no_desk_checks() -> None:
    plan = parse_plan({"id": "P", "tasks": [{"id": "D", "department": "市场监管局", "items": ["x"], "ratio": "1"}]})
    assert _visits(plan, 3).desk == frozenset()


def test_an_expert_place_without_any_expert_on_the_roster_waits_with_its_reason() -> None:
    """No expert at all in the roster: the place is unstaffed (it used to raise KeyError)."""
    from .assign_helpers import instance  # noqa: PLC0415

    plan, visits = instance(2, expert="食品")
    result = assign(visits, roster([{"capacity": 5}, {"capacity": 5}]), plan.assignment, SEED, allow_partial=True)
    assert (result.visits["status"] == "unstaffed").all()
    assert "食品" in set(result.unstaffed["department"])
