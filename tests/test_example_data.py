"""Issue 14: the example data staffs its visits with every rule on, and the demo gives the same files twice."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from shuangsuiji.cli import main
from shuangsuiji.plan import parse_plan
from shuangsuiji.roster import check_roster
from shuangsuiji.sampling import draw
from shuangsuiji.synthetic import (
    example_plan_toml,
    expected_workload,
    make_conflicts,
    make_population,
    make_roster,
)
from shuangsuiji.visits import make_visits
from shuangsuiji.workflow import run_demo
from shuangsuiji.workflow.demo import DEMO_SECRET, DEMO_SEED


def _cli(*argv: object) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main([str(a) for a in argv])
    assert code == 0, out.getvalue()


def _staffed_share(draw_dir: Path) -> float:
    visits = pd.read_csv(draw_dir / "visits.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return float((visits["status"] == "staffed").mean())


def test_example_staffs_at_least_95_percent_of_its_visits_with_every_rule(tmp_path: Path) -> None:
    """``example`` (its default 10,000 entities), drawn, and assigned with every input and every rule of the plan."""
    inp = tmp_path / "in"
    _cli("example", "--out", inp)
    common = ["--population", inp / "population.csv", "--plan", inp / "plan.toml", "--history", inp / "history.csv"]
    _cli("draw", *common, "--seed", DEMO_SEED, "--out", tmp_path / "draw")
    people = [f"--{r}={inp / f'{r}.csv'}" for r in ("roster", "conflicts", "requests", "relations", "history")]
    window = ["--window", "2027-03-01:2027-03-31", "--calendar-overrides", inp / "calendar-2027.csv"]
    _cli("assign", tmp_path / "draw", "--population", inp / "population.csv", *people, *window, "--allow-partial")
    manifest = json.loads((tmp_path / "draw/assignment.json").read_bytes())
    policy = manifest["policy"]
    assert policy["cross_station"] and policy["rotation"] == 1 and policy["jurisdiction"] == "region"
    assert policy["relation_hops"] == 2 and policy["daily_cap"] == 4
    assert set(manifest["inputs"]) >= {"roster", "conflicts", "requests", "relations", "history", "calendar"}
    assert _staffed_share(tmp_path / "draw") >= 0.95
    # the declared conflicts, requests, relations and rotation still recuse officers
    assert sum(g["recusals"] for g in manifest["groups"]) > 0


@pytest.mark.slow
def test_the_demo_on_20000_entities_staffs_at_least_95_percent(tmp_path: Path) -> None:
    result = run_demo(tmp_path / "out", entities=20_000)
    counts = json.loads((result.out / "publish/draw/assignment.json").read_bytes())["counts"]
    assert counts["staffed"] >= 0.95 * counts["visits"]
    assert _staffed_share(result.out / "publish/draw") >= 0.95


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_two_runs_of_the_demo_write_identical_files(tmp_path: Path) -> None:
    """Every file, the report's figures and the notices' workbooks too, byte for byte."""
    first = _files(run_demo(tmp_path / "a", entities=1500).out)
    second = _files(run_demo(tmp_path / "b", entities=1500).out)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
    # the fixed demo secret, outside the folders that are published
    assert hashlib.sha256(b"shuangsuiji demo secret").digest() == DEMO_SECRET
    assert first["private/secret.txt"] == (hashlib.sha256(b"shuangsuiji demo secret").hexdigest() + "\n").encode()
    assert [n for n in first if "secret" in n] == ["private/secret.txt"]


def test_a_given_secret_still_replaces_the_demo_secret(tmp_path: Path) -> None:
    result = run_demo(tmp_path / "out", entities=300, secret=bytes(range(32)))
    assert (result.out / "private/secret.txt").read_text(encoding="utf-8") == bytes(range(32)).hex() + "\n"


@pytest.fixture(scope="module")
def city() -> pd.DataFrame:
    return make_population(6000, seed=3)


@pytest.fixture(scope="module")
def roster(city: pd.DataFrame) -> pd.DataFrame:
    return make_roster(city, seed=3)


def test_the_roster_is_seeded_and_valid(city: pd.DataFrame, roster: pd.DataFrame) -> None:
    assert make_roster(city, seed=3).equals(roster)
    assert not make_roster(city, seed=4).equals(roster)
    checked = check_roster(roster)  # unique ids and certificate numbers, every active officer certified
    assert len(checked) == len(roster)
    officers = roster[roster["kind"] == "officer"]
    assert officers["name"].str.fullmatch(r"[\u4e00-\u9fff]{2,3}").all()
    assert officers["cert_no"].str.startswith("豫").all()
    assert set(officers["station"]) <= set(city["station"])
    assert officers["capacity"].astype(int).min() >= 20 and officers["capacity"].astype(int).max() <= 40
    assert 0 < (officers["active"] == "否").mean() < 0.1
    assert 0.1 < (officers["unavailable"] != "").mean() < 0.5


def test_every_station_keeps_officers_and_leads_under_cross_station_mode(
    city: pd.DataFrame, roster: pd.DataFrame
) -> None:
    """For any entity, the officers of the other stations of its region could staff a team with a certified lead."""
    officers = roster[(roster["kind"] == "officer") & (roster["active"] == "是")]
    for department in ("市场监管局", "税务局", "生态环境局"):
        for region, stations in city.groupby("region")["station"].unique().items():
            own = officers[(officers["region"] == region) & (officers["department"] == department)]
            for station in stations:
                others = own[own["station"] != station]
                leads = others[others["lead"] == "是"]
                assert len(others) >= 4 and len(leads) >= 2, (department, station)
                if department == "市场监管局":  # SC-SP's lead holds 食品
                    assert leads["certificates"].str.contains("食品").sum() >= 2, station
    # departments the plan gives no work keep two officers a region
    assert (officers[officers["department"] == "卫生健康委"].groupby("region").size() <= 2).all()


def test_the_roster_scales_with_the_expected_work(city: pd.DataFrame, roster: pd.DataFrame) -> None:
    work = expected_workload(city).groupby(["region", "department"])["places"].sum()
    officers = roster[(roster["kind"] == "officer") & (roster["active"] == "是")]
    capacity = officers.assign(capacity=officers["capacity"].astype(int)).groupby(["region", "department"])["capacity"]
    capacity_sum = capacity.sum()
    for key, places in work.items():
        assert capacity_sum[key] >= 1.25 * places, key


def test_the_expected_work_matches_a_draw() -> None:
    """The estimate (a fixed sizing seed, chances per stratum) against the teams of a draw with another seed."""
    city = make_population(20_000, seed=8)
    plan = parse_plan(tomllib.loads(example_plan_toml()))
    expected = expected_workload(city, plan).groupby("department")[["teams", "lead:食品"]].sum()
    teams = make_visits(draw(city, plan, DEMO_SEED, workers=1).selection, plan, city).teams
    drawn = teams.groupby("department").size()
    for department, count in drawn.items():
        assert abs(expected.at[department, "teams"] - count) <= 0.05 * count + 10, department
    food = int(teams["lead_certificates"].map(lambda c: "食品" in c).sum())
    assert abs(expected.at["市场监管局", "lead:食品"] - food) <= 0.05 * food + 10


def test_the_conflicts_grow_with_the_roster_but_stay_few(city: pd.DataFrame, roster: pd.DataFrame) -> None:
    declared, requests, relations = make_conflicts(city, roster, seed=3)
    officers = int((roster["kind"] == "officer").sum())
    assert 0 < len(declared) < officers and 0 < len(requests) < officers and len(relations) > 0


def test_a_plan_with_experts_larger_teams_and_a_new_department_gets_a_roster_for_it(city: pd.DataFrame) -> None:
    food = 'certificates = ["食品"]'
    text = example_plan_toml().replace(food, food + '\nexpert = "食品"\nteam_size = 3')
    text = text.replace('department = "生态环境局"', 'department = "文化和旅游局"\ncertificates = ["文物"]')
    plan = parse_plan(tomllib.loads(text))
    work = expected_workload(city, plan).set_index("department")
    roster = make_roster(city, seed=5, plan=plan)
    check_roster(roster)
    experts = roster[(roster["kind"] == "expert") & (roster["certificates"] == "食品")]
    assert 40 * len(experts) >= 1.25 * work.at["expert:食品", "places"] > 0
    culture = roster[(roster["department"] == "文化和旅游局") & (roster["lead"] == "是")]
    assert culture["certificates"].str.contains("文物").any()
    assert set(roster.loc[roster["kind"] == "expert", "certificates"]) == {"特种设备", "食品", "环境监测"}
