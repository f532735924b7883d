"""Joint visits that go ahead: ``joint_fallback`` whole, lead-alone and separate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from shuangsuiji.assignment import assign
from shuangsuiji.cli import main
from shuangsuiji.exceptions import PlanError
from shuangsuiji.inputs import DrawFiles
from shuangsuiji.io import read_table, write_csv
from shuangsuiji.plan import parse_plan
from shuangsuiji.verify import verify_draw
from shuangsuiji.visits import part_id
from shuangsuiji.workflow import AssignmentFiles, run_assign, run_draw, write_example_city

from .assign_helpers import instance, roster

SEED = "5e" * 32
TASKS = [{"id": "A", "department": "市场监管局", "items": ["公示"], "ratio": "1"}]
LEAD, PARTNER = "市场监管局", "税务局"


def _run(fallback: str, *, market: int, tax: int, n: int = 4, joint: int = 4) -> Any:
    """``n`` visits of 市场监管局 (task A, the lead: first in the plan), the first ``joint`` with 税务局 too."""
    plan, visits = instance(n, joint=joint, assignment={"joint_fallback": fallback})
    rows = [{"department": LEAD, "capacity": 10}] * market + [{"department": PARTNER, "capacity": 10}] * tax
    rows.append({"department": "生态环境局"})  # a roster is never empty
    return assign(visits, roster(rows), plan.assignment, SEED, allow_partial=True), visits


def test_whole_is_the_default_and_the_visit_waits_whole() -> None:
    result, visits = _run("whole", market=2, tax=1)
    assert (result.visits["status"] == "unstaffed").sum() == 4
    assert set(result.visits["visit_id"]) == set(visits.visits["visit_id"])
    assert result.teams.empty
    assert "joint_fallback" not in parse_plan({"id": "P", "tasks": TASKS}).to_dict()["assignment"]


def test_lead_alone_lets_the_lead_team_go_and_the_partner_part_wait_apart() -> None:
    result, visits = _run("lead-alone", market=2, tax=1)
    table = result.visits.set_index("visit_id")
    for v in visits.visits["visit_id"]:
        assert table.at[v, "status"] == "staffed"
        assert table.at[v, "departments"] == LEAD and table.at[v, "tasks"] == "A"
        part = part_id(v, PARTNER)
        assert table.at[part, "status"] == "unstaffed" and table.at[part, "departments"] == PARTNER
        assert table.at[part, "tasks"] == "B" and table.at[part, "items"] == "发票" and table.at[part, "date"] == ""
    assert set(result.teams["department"]) == {LEAD}
    waits = result.unstaffed.set_index("visit_id")
    assert set(waits.index) == {part_id(v, PARTNER) for v in visits.visits["visit_id"]}
    assert all("joint_fallback = lead-alone" in why for why in waits["reason"])
    assert (waits["department"] == PARTNER).all()


def test_lead_alone_still_waits_whole_when_the_lead_cannot_go() -> None:
    result, _ = _run("lead-alone", market=1, tax=2)
    assert (result.visits["status"] == "unstaffed").all() and len(result.visits) == 4
    assert result.teams.empty


def test_separate_lets_the_partner_go_without_the_lead() -> None:
    result, visits = _run("separate", market=1, tax=2)
    table = result.visits.set_index("visit_id")
    for v in visits.visits["visit_id"]:
        assert table.at[v, "status"] == "staffed" and table.at[v, "departments"] == PARTNER
        assert table.at[part_id(v, LEAD), "status"] == "unstaffed"
    assert set(result.teams["department"]) == {PARTNER}


def test_a_visit_of_one_department_is_unchanged_by_the_setting() -> None:
    plain, _ = _run("whole", market=1, tax=0, n=3, joint=0)
    alone, _ = _run("lead-alone", market=1, tax=0, n=3, joint=0)
    pd.testing.assert_frame_equal(plain.visits, alone.visits)
    pd.testing.assert_frame_equal(plain.unstaffed, alone.unstaffed)


def test_an_unknown_fallback_is_refused() -> None:
    with pytest.raises(PlanError, match="joint_fallback"):
        parse_plan({"id": "P", "assignment": {"joint_fallback": "partner-alone"}, "tasks": TASKS})


@settings(max_examples=25, deadline=None)
@given(
    fallback=st.sampled_from(["whole", "lead-alone", "separate"]),
    market=st.integers(0, 3),
    tax=st.integers(0, 3),
    joint=st.integers(0, 4),
)
def test_every_team_is_staffed_or_waits_and_nothing_is_lost(fallback: str, market: int, tax: int, joint: int) -> None:
    """Each (visit, department) team of the draw is either staffed in teams.csv or listed as waiting."""
    result, visits = _run(fallback, market=market, tax=tax, joint=joint)
    staffed = set(zip(result.teams["visit_id"], result.teams["department"], strict=True))
    waiting = set(zip(result.unstaffed["visit_id"], result.unstaffed["department"], strict=True))
    status = dict(zip(result.visits["visit_id"], result.visits["status"], strict=True))
    for v, d in zip(visits.teams["visit_id"], visits.teams["department"], strict=True):
        going = (v, d) in staffed
        assert going != ((v, d) in waiting or (part_id(v, d), d) in waiting), (v, d)
        if not going and fallback == "whole":
            assert status[v] == "unstaffed"
        if going and fallback == "lead-alone" and d != LEAD:
            assert (v, LEAD) in staffed  # a partner never goes without the lead
    assert result.visits["uscc"].nunique() == len(visits.visits)


def test_a_lead_alone_batch_verifies_and_tampering_with_a_part_is_caught(tmp_path: Path) -> None:
    """Through the command line: no 税务局 officer at all, so every joint visit goes without its tax part."""
    assert main(["example", "--out", str(tmp_path / "in"), "--entities", "600", "--seed", "4"]) == 0
    plan = tmp_path / "in/plan.toml"
    assert 'joint_fallback = "lead-alone"' in plan.read_text(encoding="utf-8")  # the example plan's setting
    people = read_table(tmp_path / "in/roster.csv")
    write_csv(people[people["department"] != PARTNER], tmp_path / "in/roster.csv")
    draw = tmp_path / "draw"
    inputs = ["--population", str(tmp_path / "in/population.csv"), "--plan", str(plan)]
    assert main(["draw", *inputs, "--seed", SEED, "--out", str(draw)]) == 0
    assign_args = ["assign", str(draw), "--population", str(tmp_path / "in/population.csv")]
    assign_args += ["--roster", str(tmp_path / "in/roster.csv"), "--allow-partial"]
    assert main([*assign_args, f"--calendar-overrides={tmp_path / 'in/calendar-2027.csv'}"]) == 0
    visits = read_table(draw / "visits.csv")
    parts = visits[visits["visit_id"].str.endswith(f"/{PARTNER}")]
    assert len(parts) > 0 and (parts["status"] == "unstaffed").all()
    going = visits.set_index("visit_id").loc[[v.split("/")[0] for v in parts["visit_id"]]]
    assert (going["status"] != "unstaffed").any() and not going["departments"].str.contains(PARTNER).any()
    result = verify_draw(draw)
    assert result.ok, str(result)
    # A part set aside that the plan does not allow (the lead's own team) breaks the rules, even resealed.
    lead_part = f"{going.index[0]}/{LEAD}"
    forged = pd.concat([visits, parts.head(1).assign(visit_id=lead_part, departments=LEAD)]).sort_values("visit_id")
    write_csv(forged, draw / "visits.csv")
    broken = {c.name for c in verify_draw(draw).checks if not c.ok}
    assert {"assignment rules", "recomputed visits.csv"} <= broken


def _general_share(draw: Path) -> float:
    """The share of the general 市场监管局 task's drawn firms whose 市场监管局 team is staffed."""
    selection = read_table(draw / "selection.csv")
    teams = read_table(draw / "teams.csv")
    staffed = set(zip(teams["visit_id"], teams["department"], strict=True))
    drawn = selection[selection["task_id"] == "SC-GS"]["uscc"]
    return sum((f"V{u}", LEAD) in staffed for u in drawn) / len(drawn)


@pytest.mark.slow
def test_lead_alone_keeps_the_general_task_staffed_on_the_20000_entity_demo(tmp_path: Path) -> None:
    """The demo city with a 税务局 too small for its joint visits: the 5% task waits with them, or goes alone."""
    city = write_example_city(tmp_path / "in", entities=20000, seed=2027)
    people = read_table(city["roster"])
    tax = people.index[people["department"] == PARTNER]
    people.loc[[*tax[::3], *tax[1::3]], "active"] = "否"  # two of three 税务局 officers away this batch
    write_csv(people, city["roster"])
    shares = {}
    for mode in ("whole", "lead-alone"):
        plan = tmp_path / f"{mode}.toml"
        text = city["plan"].read_text(encoding="utf-8").replace('joint_fallback = "lead-alone"', "")
        plan.write_text(text.replace("[assignment]", f'[assignment]\njoint_fallback = "{mode}"', 1), encoding="utf-8")
        draw = tmp_path / mode
        run_draw(DrawFiles(population=city["population"], plan=plan, history=city["history"]), draw, seed=SEED)
        files = AssignmentFiles(
            population=city["population"],
            roster=city["roster"],
            conflicts=city["conflicts"],
            requests=city["requests"],
            relations=city["relations"],
            history=city["history"],
            calendar=city["calendar"],
        )
        run_assign(draw, files, allow_partial=True)
        shares[mode] = _general_share(draw)
    assert shares["whole"] < 0.95 <= shares["lead-alone"], shares
