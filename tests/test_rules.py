"""The independent rule checker: a valid result passes; breaking any one rule is named."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from shuangsuiji.assignment import assign
from shuangsuiji.assignment.rules import check_assignment
from shuangsuiji.conflicts import Conflicts
from shuangsuiji.workdays import WorkCalendar, working_days

from .assign_helpers import instance, roster

SEED = "cd" * 32


@pytest.fixture(scope="module")
def case() -> dict[str, Any]:
    plan, visits = instance(
        6,
        joint=2,
        stations=("S1", "S2"),
        certificates=("特种设备",),
        expert="食品",
        assignment={"window": "2026-03-02:2026-03-13", "daily_cap": 2, "cross_station": True},
    )
    rows = [{"certificates": "特种设备", "capacity": 6, "station": "S9"} for _ in range(3)]
    rows += [
        {"lead": "否", "capacity": 6, "station": "S8"},
        {"department": "税务局", "capacity": 6},
        {"department": "税务局", "capacity": 6},
        {"kind": "expert", "department": "专家库", "cert_no": "", "certificates": "食品", "capacity": 6},
    ]
    r = roster(rows)
    result = assign(visits, r, plan.assignment, SEED)
    return {"plan": plan, "visits": visits, "roster": r, "result": result}


def run(
    case: dict[str, Any],
    *,
    teams: pd.DataFrame | None = None,
    visits: pd.DataFrame | None = None,
    conflicts: Conflicts | None = None,
    policy: Any = None,
) -> list[str]:
    policy = policy or case["plan"].assignment
    return check_assignment(
        case["result"].visits if visits is None else visits,
        case["result"].teams if teams is None else teams,
        case["visits"].teams,
        case["visits"].experts,
        roster=case["roster"],
        conflicts=conflicts or Conflicts(),
        policy=policy,
        days=working_days(policy.window, WorkCalendar()),
    )


def test_a_valid_result_passes(case: dict[str, Any]) -> None:
    assert run(case) == []


def edit(case: dict[str, Any], change: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
    return change(case["result"].teams.copy())


def first(frame: pd.DataFrame, **where: str) -> Any:
    mask = pd.Series(True, index=frame.index)
    for k, v in where.items():
        mask &= frame[k] == v
    return frame.index[mask][0]


def drop_member(t: pd.DataFrame) -> pd.DataFrame:
    return t.drop(index=first(t, role="member"))


def two_leads(t: pd.DataFrame) -> pd.DataFrame:
    return t.assign(role=t["role"].where(t["role"] != "member", "lead"))


def same_person_twice(t: pd.DataFrame) -> pd.DataFrame:
    lead = t.loc[first(t, role="lead"), "inspector_id"]
    return t.assign(inspector_id=t["inspector_id"].where(t.index != first(t, role="member"), lead))


def uncertified_lead(t: pd.DataFrame) -> pd.DataFrame:
    # In the 市场监管局 team, the member (who lacks 特种设备) becomes the lead.
    lead, member = first(t, department="市场监管局", role="lead"), first(t, department="市场监管局", role="member")
    return t.assign(
        role=t["role"].where(~t.index.isin([lead, member]), t["role"].map({"lead": "member", "member": "lead"}))
    )


def expert_wrong_field(t: pd.DataFrame) -> pd.DataFrame:
    return t.assign(department=t["department"].where(t.index != first(t, role="expert"), "特种设备"))


def officer_as_expert(t: pd.DataFrame) -> pd.DataFrame:
    # The expert's place is given to an officer of the same visit.
    at, officer = first(t, role="expert"), t.loc[first(t, role="member"), "inspector_id"]
    return t.assign(inspector_id=t["inspector_id"].where(t.index != at, officer))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (drop_member, "officers, 2 required"),
        (two_leads, "leads, exactly one required"),
        (same_person_twice, "one person holds two places"),
        (uncertified_lead, "may not lead this team"),
        (expert_wrong_field, "expert places"),
        (expert_wrong_field, "is not in the field 特种设备"),
        (officer_as_expert, "is not an active expert"),
    ],
)
def test_team_rules(case: dict[str, Any], change: Callable[[pd.DataFrame], pd.DataFrame], message: str) -> None:
    errors = run(case, teams=edit(case, change))
    assert any(message in e for e in errors), errors


def test_recusal_pairs_and_capacity(case: dict[str, Any]) -> None:
    teams = case["result"].teams
    rec = teams[teams["role"] == "lead"].iloc[0]
    uscc = case["result"].visits.set_index("visit_id").at[rec["visit_id"], "uscc"]
    conflicts = Conflicts.combine([("request", {(rec["inspector_id"], uscc): "asked"})])
    assert any("has a conflict with" in e and "(request)" in e for e in run(case, conflicts=conflicts))
    members = teams[(teams["visit_id"] == rec["visit_id"]) & (teams["department"] == rec["department"])]
    pair = frozenset(members["inspector_id"])
    assert any("must not share a team" in e for e in run(case, conflicts=Conflicts(exclusive=frozenset({pair}))))
    small = dataclasses.replace(case["roster"], frame=case["roster"].frame.assign(capacity=1))
    errors = check_assignment(
        case["result"].visits,
        teams,
        case["visits"].teams,
        case["visits"].experts,
        roster=small,
        conflicts=Conflicts(),
        policy=case["plan"].assignment,
    )
    assert any("capacity 1" in e for e in errors)


def test_jurisdiction_and_cross_station(case: dict[str, Any]) -> None:
    visits = case["result"].visits
    moved = visits.assign(region="410399")
    assert any("serves region" in e for e in run(case, visits=moved))
    officer = case["result"].teams[case["result"].teams["role"] == "lead"].iloc[0]
    station = case["roster"].frame.set_index("inspector_id").at[officer["inspector_id"], "station"]
    same = visits.assign(station=visits["station"].where(visits["visit_id"] != officer["visit_id"], station))
    assert any("own station" in e for e in run(case, visits=same))


def test_dates(case: dict[str, Any]) -> None:
    visits = case["result"].visits
    v0 = visits["visit_id"].iloc[0]
    weekend = visits.assign(date=visits["date"].where(visits["visit_id"] != v0, dt.date(2026, 3, 7)))
    assert any("not a working day" in e for e in run(case, visits=weekend))
    same_day = visits.assign(date=dt.date(2026, 3, 2))
    errors = run(case, visits=same_day)
    assert any("the daily cap is 2" in e for e in errors) and any("station areas" in e for e in errors)
    people = case["roster"].frame.assign(unavailable=[frozenset({dt.date(2026, 3, 2)})] * len(case["roster"].frame))
    away = dataclasses.replace(case["roster"], frame=people)
    errors = check_assignment(
        same_day,
        case["result"].teams,
        case["visits"].teams,
        case["visits"].experts,
        roster=away,
        conflicts=Conflicts(),
        policy=case["plan"].assignment,
        days=working_days(case["plan"].assignment.window, WorkCalendar()),
    )
    assert any("unavailable on 2026-03-02" in e for e in errors)
