"""``capacity``: the smallest roster change that staffs every visit, its numbers, and `assign` after it."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from shuangsuiji.assignment import assign
from shuangsuiji.assignment.capacity import CAPACITY_COLUMNS, CapacityResult, RosterChange, capacity_change
from shuangsuiji.cli import main
from shuangsuiji.conflicts import Conflicts
from shuangsuiji.exceptions import AssignmentError, FolderError, InputError, NotFoundError
from shuangsuiji.inputs import DrawFiles
from shuangsuiji.io import write_csv
from shuangsuiji.report import write_report
from shuangsuiji.workflow import AssignmentFiles, run_assign, run_capacity, run_draw, write_example_city
from shuangsuiji.workflow.demo import DEMO_SEED

from .assign_helpers import instance, roster
from .conftest import example_inputs
from .strategies import seeds

SEED = "ab" * 32


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example city drawn from a seed, and ``in/small.csv``: two officers of capacity 2 per group."""
    tmp = tmp_path_factory.mktemp("capacity")
    assert main(["example", "--out", str(tmp / "in"), "--entities", "900", "--seed", "12"]) == 0
    assert main(["draw", *example_inputs(tmp), "--seed", SEED, "--out", str(tmp / "draw")]) == 0
    full = _read(tmp / "in/roster.csv")
    officers = full[full["kind"] == "officer"]
    small = officers.groupby(["region", "department"]).head(2).assign(capacity="2")
    write_csv(pd.concat([small, full[full["kind"] != "officer"]], ignore_index=True), tmp / "in/small.csv")
    return tmp


def _files(city: Path, roster: Path) -> AssignmentFiles:
    return AssignmentFiles(population=city / "in/population.csv", roster=roster, calendar=city / "in/calendar-2027.csv")


@pytest.fixture(scope="module")
def changed(city: Path) -> Any:
    """``capacity`` on the small roster, into the draw's folder, with the amended roster."""
    return run_capacity(city / "draw", _files(city, city / "in/small.csv"), roster_out=city / "in/amended.csv")


def test_the_change_lets_assign_staff_every_visit(city: Path, changed: Any, tmp_path: Path) -> None:
    small = _files(city, city / "in/small.csv")
    with pytest.raises(AssignmentError):
        run_assign(city / "draw", small, out=tmp_path / "before")
    result: CapacityResult = changed.result
    assert result.unstaffed_before > 0 and result.added > 0 and result.staffs_every_visit
    assert 0 < result.leads <= result.added and result.unstaffed_after == 0
    written = _read(changed.path)
    assert changed.path == city / "draw/capacity.csv" and list(written.columns) == list(CAPACITY_COLUMNS)
    assert written["add_officers"].astype(int).sum() == result.added
    assert (written["add_officers"].astype(int) >= written["lower_bound"].astype(int)).all()
    # the amended roster: the small roster's rows as they were, then the added ones
    amended, before = _read(city / "in/amended.csv"), _read(city / "in/small.csv")
    assert len(amended) == len(before) + result.added
    assert amended["inspector_id"].iloc[: len(before)].tolist() == before["inspector_id"].tolist()
    added = amended.iloc[len(before) :]
    assert added["inspector_id"].str.startswith("NEW-").all() and added["cert_no"].str.startswith("待补-").all()
    leads = added[added["lead"] == "是"]
    assert len(leads) == result.leads
    assert (leads["certificates"].str.contains("食品") == (leads["department"] == "市场监管局")).all()
    staffed = run_assign(city / "draw", _files(city, city / "in/amended.csv"), out=tmp_path / "after")
    assert (staffed.result.visits["status"] == "staffed").all() and len(staffed.result.unstaffed) == 0


def test_the_command_prints_the_change_and_an_amended_roster_needs_none(
    city: Path, changed: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = [
        "--population",
        str(city / "in/population.csv"),
        "--calendar-overrides",
        str(city / "in/calendar-2027.csv"),
    ]
    args = [
        "capacity",
        str(city / "draw"),
        *common,
        "--roster",
        str(city / "in/small.csv"),
        "--out",
        str(tmp_path / "a"),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"Change: add {changed.result.added} people" in out and "staffs every visit" in out
    assert "410302" in out and "市场监管局" in out  # a row per region and department
    pd.testing.assert_frame_equal(_read(tmp_path / "a/capacity.csv"), _read(changed.path))  # the same change
    again = [
        "capacity",
        str(city / "draw"),
        *common,
        "--roster",
        str(city / "in/amended.csv"),
        "--out",
        str(tmp_path / "b"),
    ]
    assert main([*again, "--roster-out", str(tmp_path / "same.csv")]) == 0
    out = capsys.readouterr().out
    assert "Change: none" in out and "nothing to add" in out
    frame = _read(tmp_path / "b/capacity.csv")
    assert (frame["add_officers"] == "0").all() and (frame["unstaffed_teams"] == "0").all()
    assert len(_read(tmp_path / "same.csv")) == len(_read(city / "in/amended.csv"))


def test_the_lower_bounds_of_a_hand_built_group() -> None:
    """Six teams of three needing 特种设备; O00 holds it (capacity 2), O01 may lead but lacks it, O02 may not."""
    plan, visits = instance(6, team_size=3, certificates=("特种设备",))
    r = roster([{"certificates": "特种设备", "capacity": 2}, {"capacity": 10}, {"lead": "否", "capacity": 1}])
    first = str(visits.visits["uscc"].iloc[0])
    conflicts = Conflicts.combine([("declared", {("O01", first): "亲属"})])
    result = capacity_change(visits, r, plan.assignment, SEED, conflicts=conflicts)
    row = result.groups.iloc[0].to_dict()
    expected = {
        "region": "410302",
        "department": "市场监管局",
        "kind": "officer",
        "teams": 6,
        "places": 18,
        "officers": 3,
        "capacity": 2 + 5 + 1,  # each at most its capacity and its teams: O01 is recused from one
        "lead_places": 6,
        "lead_capacity": 2,  # only O00 holds 特种设备
        "certificates": "特种设备",
        "certified_places": 6,
        "certified_capacity": 2,
        "team_shortfall": 1,  # the first team has two eligible officers of three
        "leadless_teams": 0,
        "capacity_each": 2,  # the median of 2, 10 and 1
        "lower_bound": 5,  # ceil((18 - 8) / 2) places; ceil((6 - 2) / 2) = 2 leads
        "add_officers": 5,
        "add_leads": 2,
        "cross_station_teams": 0,
    }
    assert {k: row[k] for k in expected} == expected
    assert row["unstaffed_teams"] > 0 and "add 5 officers of capacity 2, 2 of them leads" in row["reason"]
    assert result.staffs_every_visit and result.rounds == 1
    assign(visits, result.amended(r), plan.assignment, SEED, conflicts=conflicts)  # raises if a visit waits
    (change,) = result.changes
    for fewer in (_fewer(change), dataclasses.replace(change, leads=change.leads - 1)):
        short = dataclasses.replace(result, changes=(fewer,)).amended(r)
        with pytest.raises(AssignmentError):
            assign(visits, short, plan.assignment, SEED, conflicts=conflicts)


def _fewer(change: RosterChange) -> RosterChange:
    """The change with its last person left out, every other one a lead."""
    n = len(change.ids) - 1
    return dataclasses.replace(change, ids=change.ids[:n], stations=change.stations[:n], leads=n)


def test_cross_station_mode_is_counted_and_the_new_officer_sits_where_it_helps() -> None:
    plan, visits = instance(4, stations=("S1", "S2"), assignment={"cross_station": True})
    r = roster([{"station": "S1"}, {"station": "S1"}, {"station": "S1"}, {"station": "S2"}])
    result = capacity_change(visits, r, plan.assignment, SEED)
    row = result.groups.iloc[0]
    # S1's two teams have one eligible officer (O03, of S2); without 所所交叉 they have four
    assert (row["unstaffed_teams"], row["cross_station_teams"], row["team_shortfall"]) == (2, 2, 1)
    assert result.unstaffed_before == 2 and result.cross_station_visits == 2
    (change,) = result.changes
    assert change.ids == ("NEW-410302-46ac54-1",) and change.stations == ("S2",) and change.leads == 0
    assert "without 所所交叉 2 more teams would be staffed" in row["reason"] and result.staffs_every_visit
    off = capacity_change(visits, r, dataclasses.replace(plan.assignment, cross_station=False), SEED)
    assert off.cross_station_visits is None and off.added == 0 and off.unstaffed_before == 0


def test_one_station_under_cross_station_mode_cannot_be_helped_by_officers() -> None:
    plan, visits = instance(2, assignment={"cross_station": True})
    r = roster([{"station": "S1"}, {"station": "S1"}])
    result = capacity_change(visits, r, plan.assignment, SEED)
    assert not result.staffs_every_visit and result.added == 0 and result.unstaffed_after == 2
    assert 'widen the jurisdiction (jurisdiction = "any")' in result.groups["reason"].iloc[0]


def test_experts_are_added_to_their_field() -> None:
    plan, visits = instance(3, expert="食品")
    expert = {"kind": "expert", "department": "专家库", "cert_no": "", "certificates": "特种设备", "capacity": 7}
    r = roster([{}, {}, {}, expert])
    result = capacity_change(visits, r, plan.assignment, SEED)
    experts = result.groups[result.groups["kind"] == "expert"].iloc[0]
    assert (experts["region"], experts["department"], experts["teams"], experts["officers"]) == ("*", "食品", 3, 0)
    assert experts["add_officers"] == 1 and experts["capacity_each"] == 7  # the experts' median: none of 食品 yet
    rows = result.roster_rows()
    assert rows[["kind", "certificates", "cert_no", "lead"]].values.tolist() == [["expert", "食品", "", "否"]]
    assert rows["inspector_id"].iloc[0].startswith("NEW-EXPERT-") and result.staffs_every_visit
    assign(visits, result.amended(r), plan.assignment, SEED)


def test_a_roster_that_staffs_everything_gives_an_empty_change() -> None:
    plan, visits = instance(4, joint=2)
    r = roster([{}, {}, {"department": "税务局"}, {"department": "税务局"}])
    result = capacity_change(visits, r, plan.assignment, SEED)
    assert result.added == 0 and result.changes == () and result.unstaffed_before == 0 and result.staffs_every_visit
    assert (result.groups["add_officers"] == 0).all() and set(result.groups["reason"]) == {"staffs every team as it is"}
    assert len(result.roster_rows()) == 0 and result.amended(r) is r


@st.composite
def cases(draw: Any) -> tuple[Any, Any, Any, Conflicts]:
    """Small instances of two departments and two regions, with recusals (no team-pair exclusions)."""
    n = draw(st.integers(1, 7))
    plan, visits = instance(
        n, joint=draw(st.integers(0, n)), regions=("410302", "410303"), team_size=draw(st.integers(2, 3))
    )
    rows = [
        {
            "department": draw(st.sampled_from(["市场监管局", "税务局"])),
            "region": draw(st.sampled_from(["410302", "410303"])),
            "lead": draw(st.sampled_from(["是", "否"])),
            "capacity": draw(st.integers(0, 4)),
        }
        for _ in range(draw(st.integers(1, 6)))
    ]
    r = roster(rows)
    pairs = draw(
        st.lists(
            st.tuples(
                st.sampled_from(r.frame["inspector_id"].tolist()), st.sampled_from(visits.visits["uscc"].tolist())
            ),
            max_size=4,
        )
    )
    return plan, visits, r, Conflicts.combine([("declared", {p: "declared" for p in pairs})])


@given(cases(), seeds)
@settings(max_examples=12)
def test_after_the_change_every_group_staffs_and_one_fewer_does_not(case: Any, seed: str) -> None:
    plan, visits, r, conflicts = case
    result = capacity_change(visits, r, plan.assignment, seed, conflicts=conflicts, workers=1)
    assert result.staffs_every_visit
    assert (result.groups["add_officers"] >= result.groups["lower_bound"]).all()
    assert (result.groups["add_leads"] <= result.groups["add_officers"]).all()
    done = assign(visits, result.amended(r), plan.assignment, seed, conflicts=conflicts, workers=1)  # no visit waits
    assert (done.visits["status"] == "staffed").all()
    if result.rounds == 1:  # the search's answer, as found: no fewer people do
        for change in result.changes:
            others = tuple(c for c in result.changes if c is not change)
            short = dataclasses.replace(result, changes=(*others, _fewer(change))).amended(r)
            with pytest.raises(AssignmentError):
                assign(visits, short, plan.assignment, seed, conflicts=conflicts, workers=1)


def test_the_report_shows_the_change_when_capacity_csv_is_in_the_draw(city: Path, changed: Any, tmp_path: Path) -> None:
    page = write_report(city / "draw", tmp_path / "report").read_text(encoding="utf-8")
    assert '<section id="capacity">' in page and f"add {changed.result.added} people" in page
    assert "NEW-" not in page and '增派人数<br><small lang="en">officers to add</small>' in page
    bare = tmp_path / "bare"
    shutil.copytree(city / "draw", bare, ignore=shutil.ignore_patterns("capacity.csv"))
    assert 'id="capacity"' not in write_report(bare, tmp_path / "report2").read_text(encoding="utf-8")


def test_errors_name_the_problem(city: Path, changed: Any, tmp_path: Path) -> None:
    small = _files(city, city / "in/small.csv")
    with pytest.raises(NotFoundError, match="no such file"):
        run_capacity(city / "draw", _files(city, tmp_path / "missing.csv"), out=tmp_path)
    with pytest.raises(InputError, match="as CSV"):
        run_capacity(city / "draw", small, out=tmp_path, roster_out=tmp_path / "roster.xlsx")
    with pytest.raises(InputError, match="the roster given"):
        run_capacity(city / "draw", small, out=tmp_path, roster_out=city / "in/small.csv")
    with pytest.raises(FolderError, match="already exists"):
        run_capacity(city / "draw", small, out=tmp_path, roster_out=city / "in/amended.csv")
    with pytest.raises(FolderError, match="earlier run"):
        run_capacity(city / "draw", small)  # the draw's folder holds the fixture's capacity.csv
    with pytest.raises(NotFoundError, match="not a draw's folder"):
        run_capacity(tmp_path, small, out=tmp_path / "out")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "shuangsuiji",
            "capacity",
            str(city / "draw"),
            "--population",
            str(city / "in/population.csv"),
            "--roster",
            str(tmp_path / "missing.csv"),
            "--out",
            str(tmp_path / "c"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "error:" in proc.stderr and "missing.csv" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_the_20000_entity_demo_city(tmp_path: Path) -> None:
    """The demo's city of 20,000 entities drawn from the demo's seed, half its officers on leave (each group's
    second half by id made inactive), so that it is short: capacity's change lets assign staff every visit."""
    start = time.perf_counter()
    paths = write_example_city(tmp_path / "in", entities=20_000, seed=2027)
    draw = tmp_path / "draw"
    run_draw(
        DrawFiles(population=paths["population"], plan=paths["plan"], history=paths["history"]), draw, seed=DEMO_SEED
    )
    full = _read(paths["roster"])
    officers = full[full["kind"] == "officer"].sort_values("inspector_id")
    groups = officers.groupby(["region", "department"])
    away = officers.index[groups.cumcount() >= (groups["inspector_id"].transform("size") + 1) // 2]
    write_csv(full.assign(active=full["active"].where(~full.index.isin(away), "否")), tmp_path / "in/half.csv")
    files = AssignmentFiles(
        population=paths["population"],
        roster=tmp_path / "in/half.csv",
        conflicts=paths["conflicts"],
        requests=paths["requests"],
        relations=paths["relations"],
        history=paths["history"],
        calendar=paths["calendar"],
    )
    with pytest.raises(AssignmentError):
        run_assign(draw, files, out=tmp_path / "before")
    step = run_capacity(draw, files, roster_out=tmp_path / "amended.csv")
    assert step.result.added > 0 and step.result.staffs_every_visit and len(step.result.undated) == 0
    staffed = run_assign(draw, dataclasses.replace(files, roster=tmp_path / "amended.csv"))
    assert (staffed.result.visits["status"] == "staffed").all()
    assert time.perf_counter() - start < 120
