"""Staffing visits: rules, determinism, optimality (brute force and certificate), fairness, diagnostics."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import itertools
import math
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from shuangsuiji.assignment import LOAD_STEP, assign, assign_cost_bytes, staff, verify_certificate
from shuangsuiji.conflicts import Conflicts
from shuangsuiji.exceptions import AssignmentError
from shuangsuiji.roster import check_roster
from shuangsuiji.workdays import WorkCalendar

from .assign_helpers import instance, roster
from .strategies import seeds

SEED = "ab" * 32


def rule_check(result: Any, visits: Any, r: Any, conflicts: Conflicts, policy: Any) -> None:
    """The rules, asserted here directly (independently of the library's own checker)."""
    people = r.frame.set_index("inspector_id")
    staffed = result.visits[result.visits["status"] != "unstaffed"]
    for (visit, dept), team in result.teams[result.teams["role"] != "expert"].groupby(["visit_id", "department"]):
        need = visits.teams[(visits.teams["visit_id"] == visit) & (visits.teams["department"] == dept)].iloc[0]
        ids = team["inspector_id"].tolist()
        assert len(ids) == need["size"] == len(set(ids))
        leads = team[team["role"] == "lead"]["inspector_id"].tolist()
        assert len(leads) == 1 and people.at[leads[0], "lead"]
        assert set(need["lead_certificates"]) <= set(people.at[leads[0], "certificates"])
        uscc = visits.visits.set_index("visit_id").at[visit, "uscc"]
        for oid in ids:
            assert (oid, uscc) not in conflicts
            assert people.at[oid, "department"] == dept
            if policy.jurisdiction == "region":
                assert people.at[oid, "region"] == visits.visits.set_index("visit_id").at[visit, "region"]
        for pair in conflicts.exclusive:
            assert not pair <= set(ids)
    load = result.teams.groupby("inspector_id")["visit_id"].nunique()
    for oid, n in load.items():
        assert n <= people.at[oid, "capacity"]
    assert set(result.teams["visit_id"]) == set(staffed["visit_id"])
    assert not set(staffed["visit_id"]) & set(result.unstaffed["visit_id"])


@st.composite
def instances(draw: Any) -> tuple[Any, Any, Any, Conflicts]:
    n_visits = draw(st.integers(1, 8))
    plan, visits = instance(n_visits, joint=draw(st.integers(0, n_visits)), regions=("410302", "410303"))
    rows = []
    for _ in range(draw(st.integers(2, 9))):
        rows.append(
            {
                "department": draw(st.sampled_from(["市场监管局", "税务局"])),
                "region": draw(st.sampled_from(["410302", "410303"])),
                "lead": draw(st.sampled_from(["是", "否"])),
                "capacity": draw(st.integers(0, 6)),
            }
        )
    r = roster(rows)
    ids = r.frame["inspector_id"].tolist()
    uscc = visits.visits["uscc"].tolist()
    pairs = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(uscc)), max_size=6))
    exclusive = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=2))
    conflicts = Conflicts.combine(
        [("declared", {p: "declared" for p in pairs})], [frozenset(e) for e in exclusive if e[0] != e[1]]
    )
    return plan, visits, r, conflicts


@given(instances(), seeds)
@settings(max_examples=40)
def test_every_rule_holds_and_reruns_are_identical(case: Any, seed: str) -> None:
    plan, visits, r, conflicts = case
    result = assign(visits, r, plan.assignment, seed, conflicts=conflicts, allow_partial=True)
    rule_check(result, visits, r, conflicts, plan.assignment)
    # Every visit is accounted for: staffed, or unstaffed with a reason.
    assert set(result.visits["visit_id"]) == set(visits.visits["visit_id"])
    waiting = set(result.visits.loc[result.visits["status"] != "staffed", "visit_id"])
    assert waiting == set(result.unstaffed["visit_id"])
    again = assign(visits, r, plan.assignment, seed, conflicts=conflicts, allow_partial=True)
    pd.testing.assert_frame_equal(result.teams, again.teams)
    # Reordered roster rows and teams give the same assignment.
    shuffled = check_roster(
        r.frame.iloc[::-1]
        .assign(
            certificates=[";".join(c) for c in r.frame["certificates"].iloc[::-1]],
            unavailable=[""] * len(r.frame),
            lead=r.frame["lead"].iloc[::-1].map({True: "是", False: "否"}),
            active="是",
            capacity=r.frame["capacity"].iloc[::-1].astype(str),
        )
        .astype(str)
    )
    flipped = dataclasses.replace(visits, teams=visits.teams.iloc[::-1], visits=visits.visits.iloc[::-1])
    third = assign(flipped, shuffled, plan.assignment, seed, conflicts=conflicts, allow_partial=True)
    pd.testing.assert_frame_equal(result.teams, third.teams)


def objective(result: Any, visits: Any, seed: str) -> int:
    """The randomized objective, computed from the specification (not from the solver)."""
    total = 0
    for _, n in result.teams.groupby("inspector_id")["visit_id"].nunique().items():
        total += LOAD_STEP * n * (n + 1) // 2
    for rec in result.teams.to_dict("records"):
        ticket = assign_cost_bytes(seed, rec["visit_id"], rec["department"], rec["inspector_id"])
        total += int.from_bytes(ticket[:3], "big")
        if rec["role"] == "lead":
            total += int.from_bytes(ticket[3:6], "big")
    return total


@pytest.mark.parametrize("seed", [hashlib.sha256(str(i).encode()).hexdigest() for i in range(6)])
def test_brute_force_optimum_on_tiny_instances(seed: str) -> None:
    plan, visits = instance(3)
    r = roster([{"lead": "是" if i % 2 == 0 else "否", "capacity": 2} for i in range(5)])
    result = assign(visits, r, plan.assignment, seed)
    ids = r.frame["inspector_id"].tolist()
    leads = set(r.frame.loc[r.frame["lead"], "inspector_id"])
    caps = dict(zip(ids, r.frame["capacity"], strict=True))
    teams = visits.teams["visit_id"].tolist()
    best = None
    options = [(lead, member) for lead in sorted(leads) for member in ids if member != lead]
    for choice in itertools.product(options, repeat=len(teams)):
        load: dict[str, int] = {}
        for lead, member in choice:
            load[lead] = load.get(lead, 0) + 1
            load[member] = load.get(member, 0) + 1
        if any(load[o] > caps[o] for o in load):
            continue
        rows = [(v, "市场监管局", lead, "lead") for v, (lead, _) in zip(teams, choice, strict=True)]
        rows += [(v, "市场监管局", member, "member") for v, (_, member) in zip(teams, choice, strict=True)]
        cand = pd.DataFrame(rows, columns=["visit_id", "department", "inspector_id", "role"])
        value = objective(type("R", (), {"teams": cand})(), visits, seed)
        best = value if best is None else min(best, value)
    assert objective(result, visits, seed) == best


def test_certificate_proves_optimality() -> None:
    plan, visits = instance(12)
    r = roster([{"lead": "是" if i % 3 else "否", "capacity": 6} for i in range(7)])
    done = staff(visits.teams, r.officers, seed=SEED, conflicts=Conflicts(), policy=plan.assignment)
    (report,) = done.reports
    assert report.unique is True and report.method == "min-cost flow"
    args = dict(seed=SEED, conflicts=Conflicts(), policy=plan.assignment)
    assert verify_certificate(visits.teams, r.officers, done.teams, done.certificate, **args) == []
    # A changed potential, or a changed assignment, is caught.
    worse = done.certificate.copy()
    worse.loc[worse["node"] == "officer", "potential"] += 10**9
    assert verify_certificate(visits.teams, r.officers, done.teams, worse, **args)
    swapped = done.teams.copy()
    swapped.loc[0, "inspector_id"] = next(
        i for i in r.frame["inspector_id"] if i not in set(swapped["inspector_id"][:2])
    )
    assert verify_certificate(visits.teams, r.officers, swapped, done.certificate, **args)


@pytest.mark.slow
def test_fairness_over_500_seeds() -> None:
    """No constraint binds: each officer takes a place in about 2/6 of draws and leads in 1/6."""
    plan, visits = instance(1)
    r = roster([{"capacity": 5} for _ in range(6)])
    places = dict.fromkeys(r.frame["inspector_id"], 0)
    leads = dict.fromkeys(r.frame["inspector_id"], 0)
    runs = 500
    for k in range(runs):
        seed = hashlib.sha256(f"fair-{k}".encode()).hexdigest()
        teams = staff(visits.teams, r.officers, seed=seed, conflicts=Conflicts(), policy=plan.assignment).teams
        for rec in teams.to_dict("records"):
            places[rec["inspector_id"]] += 1
            leads[rec["inspector_id"]] += rec["role"] == "lead"
    for oid in places:
        for count, p in ((places[oid], 2 / 6), (leads[oid], 1 / 6)):
            assert abs(count - runs * p) < 4 * math.sqrt(runs * p * (1 - p)), (oid, count)


def test_infeasible_instances_are_explained() -> None:
    plan, visits = instance(4)
    no_lead = roster([{"lead": "否"} for _ in range(3)])
    with pytest.raises(AssignmentError) as info:
        assign(visits, no_lead, plan.assignment, SEED)
    assert "0 of the officers may lead" in str(info.value) and "--allow-partial" in str(info.value)
    assert len(info.value.unstaffed) == 4  # type: ignore[arg-type]
    recused = roster([{}, {}, {}])
    u = visits.visits["uscc"].iloc[0]
    conflicts = Conflicts.combine([("declared", {("O00", u): "x", ("O01", u): "y"})])
    result = assign(visits, recused, plan.assignment, SEED, conflicts=conflicts, allow_partial=True)
    (reason,) = result.unstaffed["reason"].tolist()
    assert reason.startswith("1 eligible of 2 needed") and "(2 recused)" in reason
    short = roster([{"capacity": 2}, {"capacity": 1}, {"capacity": 1}])
    result = assign(visits, short, plan.assignment, SEED, allow_partial=True)
    assert (result.visits["status"] == "staffed").sum() == 2  # 4 places of capacity: two whole teams
    assert result.unstaffed["reason"].str.contains("8 places").all()


def test_pair_exclusions_are_solved_by_cp_sat() -> None:
    plan, visits = instance(6)
    r = roster([{"capacity": 4} for _ in range(4)])
    exclusive = frozenset({frozenset({"O00", "O01"}), frozenset({"O02", "O03"})})
    done = staff(visits.teams, r.officers, seed=SEED, conflicts=Conflicts(exclusive=exclusive), policy=plan.assignment)
    for _, team in done.teams.groupby("visit_id"):
        assert not any(pair <= set(team["inspector_id"]) for pair in exclusive)
    assert len(done.teams) == 12


def test_certificates_and_experts() -> None:
    plan, visits = instance(3, certificates=("特种设备",), expert="食品")
    rows = [
        {"certificates": "特种设备"},
        {"lead": "否"},
        {},
        {"kind": "expert", "department": "专家库", "cert_no": "", "certificates": "食品", "capacity": 3},
    ]
    result = assign(visits, roster(rows), plan.assignment, SEED)
    leads = result.teams[result.teams["role"] == "lead"]["inspector_id"]
    assert set(leads) == {"O00"}
    assert (result.teams["role"] == "expert").sum() == 3


def test_cross_station_and_jurisdiction() -> None:
    plan, visits = instance(4, regions=("410302", "410303"), stations=("S1", "S2"), assignment={"cross_station": True})
    r = roster(
        [
            {"station": "S1"},
            {"station": "S2"},
            {"station": "S3"},
            {"region": "410303", "station": "S1"},
            {"region": "410303", "station": "S9"},
            {"region": "410303", "station": "S3"},
        ]
    )
    result = assign(visits, r, plan.assignment, SEED)
    place = result.visits.set_index("visit_id")
    people = r.frame.set_index("inspector_id")
    for rec in result.teams.to_dict("records"):
        assert people.at[rec["inspector_id"], "station"] != place.at[rec["visit_id"], "station"]
        assert people.at[rec["inspector_id"], "region"] == place.at[rec["visit_id"], "region"]


def test_scheduling_keeps_joint_visits_together_and_every_day_rule() -> None:
    plan, visits = instance(
        10, joint=5, stations=("S1", "S2"), assignment={"window": "2026-03-02:2026-03-13", "daily_cap": 2}
    )
    rows = [{"capacity": 10, "unavailable": "2026-03-02~2026-03-04" if i == 0 else ""} for i in range(4)]
    rows += [{"department": "税务局", "capacity": 10} for _ in range(2)]
    result = assign(visits, roster(rows), plan.assignment, SEED)
    dates = dict(zip(result.visits["visit_id"], result.visits["date"], strict=True))
    assert all(isinstance(d, dt.date) and dt.date(2026, 3, 2) <= d <= dt.date(2026, 3, 13) for d in dates.values())
    cal = WorkCalendar()
    assert all(cal.is_working_day(d) for d in dates.values())
    teams = result.teams.assign(date=result.teams["visit_id"].map(dates))
    per_day = teams.groupby(["inspector_id", "date"])["visit_id"].nunique()
    assert per_day.max() <= 2
    assert not any(d <= dt.date(2026, 3, 4) for d in teams.loc[teams["inspector_id"] == "O00", "date"])
    station = dict(zip(result.visits["visit_id"], result.visits["station"], strict=True))
    areas = teams.assign(area=teams["visit_id"].map(station)).groupby(["inspector_id", "date"])["area"].nunique()
    assert areas.max() == 1


def test_an_unschedulable_visit_is_reported() -> None:
    plan, visits = instance(3, assignment={"window": "2026-03-02:2026-03-03", "daily_cap": 1})
    r = roster([{"capacity": 5}, {"capacity": 5}])
    result = assign(visits, r, plan.assignment, SEED, allow_partial=True)
    assert result.visits["status"].value_counts().to_dict() == {"staffed": 2, "undated": 1}
    assert result.unstaffed["reason"].str.startswith("undated: no working day in the window fits").all()
    # The undated visit keeps its team: the published teams are the certified optimum.
    assert result.teams["visit_id"].nunique() == 3
    with pytest.raises(AssignmentError, match="or dated"):
        assign(visits, r, plan.assignment, SEED)
