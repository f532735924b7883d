"""The assignment re-derived from its documentation alone (``tests/spec_assignment.py``, issue 14).

The checker imports no solver module; these tests run the library's ``draw`` and ``assign`` on example
cities and ask the checker to re-derive, from the published files and the private inputs, every team,
every unstaffed place with its reason, every date, and to verify the certificate.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from shuangsuiji import StaffingFiles
from shuangsuiji.assignment.manifest import AssignmentManifest
from shuangsuiji.inputs import DrawFiles
from shuangsuiji.io import write_csv
from shuangsuiji.workflow import AssignmentFiles, Reveal, run_assign, run_commit, run_draw, write_example_city
from shuangsuiji.workflow.demo import DEMO_BEACON, DEMO_BEACON_NAME, DEMO_SECRET

from .assign_helpers import codes
from .spec_assignment import SpecReport, read_published, rederive

SEED = "5e" * 32
ROLES = ("population", "roster", "conflicts", "requests", "relations", "history", "calendar")


def _assign_roles(paths: dict[str, Path]) -> dict[str, Path]:
    """The files ``run_demo`` passes to ``assign``."""
    return {role: paths[role] for role in ROLES}


def _assign_files(paths: dict[str, Path]) -> AssignmentFiles:
    return AssignmentFiles(
        population=paths["population"],
        roster=paths["roster"],
        conflicts=paths["conflicts"],
        requests=paths["requests"],
        relations=paths["relations"],
        history=paths["history"],
        calendar=paths["calendar"],
    )


def _city(folder: Path, *, entities: int, seed: int) -> tuple[Path, dict[str, Path]]:
    paths = write_example_city(folder / "inputs", entities=entities, seed=seed)
    return folder / "draw", paths


def _draw_and_assign(draw: Path, paths: dict[str, Path]) -> None:
    run_draw(DrawFiles(population=paths["population"], plan=paths["plan"], history=paths["history"]), draw, seed=SEED)
    run_assign(draw, _assign_files(paths), allow_partial=True)


def _assert_rederived(report: SpecReport, draw: Path) -> None:
    assert report.ok, report.summary() + "\n" + "\n".join(report.problems)
    assert report.teams == read_published(draw / "teams.csv")[1]
    assert report.unstaffed == read_published(draw / "unstaffed.csv")[1]
    assert report.visit_table == read_published(draw / "visits.csv")[1]
    assert report.dates_matched == report.dates_checked
    assert report.certificate_groups == report.flow_groups == report.groups
    assert report.certificate_exact == report.certificate_groups


@pytest.fixture(scope="module")
def small_city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    draw, paths = _city(tmp_path_factory.mktemp("spec-small"), entities=3000, seed=11)
    _draw_and_assign(draw, paths)
    return draw, paths


def test_small_city_is_rederived(small_city: tuple[Path, dict[str, Path]]) -> None:
    draw, paths = small_city
    report = rederive(draw, _assign_roles(paths))
    _assert_rederived(report, draw)
    assert report.dated == report.dates_checked > 0  # the example plan has a window: every staffed visit dated
    assert report.stuck_visits == [] and report.cpsat_moved_dates == 0
    print(report.summary())


def test_demo_city_of_20000_is_rederived(tmp_path: Path) -> None:
    """The draw and assignment of ``shuangsuiji demo --entities 20000``, made by ``run_demo``'s own steps.

    ``run_demo`` commits (its fixed secret, the staffing inputs bound), draws from the reveal with its fixed
    beacon value and assigns with these files; the steps after (notices, report, verify) are left out.
    """
    paths = write_example_city(tmp_path / "inputs", entities=20_000, seed=2027)
    files = DrawFiles(population=paths["population"], plan=paths["plan"], history=paths["history"])
    publish = tmp_path / "publish"
    committed = run_commit(
        files,
        publish,
        beacon=DEMO_BEACON_NAME,
        secret=DEMO_SECRET,
        secret_out=tmp_path / "private" / "secret.txt",
        staffing=StaffingFiles(
            roster=paths["roster"],
            conflicts=paths["conflicts"],
            requests=paths["requests"],
            relations=paths["relations"],
            calendar=paths["calendar"],
        ),
    )
    draw = publish / "draw"
    run_draw(files, draw, reveal=Reveal(committed.path, DEMO_BEACON, committed.secret))
    run_assign(draw, _assign_files(paths), allow_partial=True)
    report = rederive(draw, _assign_roles(paths))
    _assert_rederived(report, draw)
    assert report.visits > 1000 and report.dated > 1000
    print(report.summary())


Edit = Callable[[list[str], list[list[str]]], tuple[list[str], list[list[str]]]]


def _rewrite(path: Path, edit: Edit) -> None:
    header, rows = read_published(path)
    header, rows = edit(header, rows)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header, *rows])


def test_a_swapped_officer_is_caught(small_city: tuple[Path, dict[str, Path]], tmp_path: Path) -> None:
    draw, paths = small_city
    copy = tmp_path / "draw"
    shutil.copytree(draw, copy)
    _, rows = read_published(copy / "teams.csv")
    first = rows[0]
    # another officer of the same group (department and region) who is not on the visit
    on_visit = {r[2] for r in rows if r[0] == first[0]}
    region = first[2].split("-")[0]
    other = next(r[2] for r in rows if r[1] == first[1] and r[2].startswith(region) and r[2] not in on_visit)

    def swap(header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
        return header, [[*r[:2], other, r[3]] if r == first else r for r in rows]

    _rewrite(copy / "teams.csv", swap)
    report = rederive(copy, _assign_roles(paths))
    assert not report.ok
    assert any("teams.csv" in p for p in report.problems)
    assert any("certificate" in p for p in report.problems)


def test_a_moved_date_is_caught(small_city: tuple[Path, dict[str, Path]], tmp_path: Path) -> None:
    draw, paths = small_city
    copy = tmp_path / "draw"
    shutil.copytree(draw, copy)
    _, rows = read_published(copy / "visits.csv")
    dated = next(r for r in rows if r[8])
    days = sorted({r[8] for r in rows if r[8]})
    moved = next(d for d in days if d != dated[8])

    def move(header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
        return header, [[*r[:8], moved, r[9]] if r[0] == dated[0] else r for r in rows]

    _rewrite(copy / "visits.csv", move)
    report = rederive(copy, _assign_roles(paths))
    assert not report.ok
    assert any(p.startswith("visits.csv") and dated[0] in p for p in report.problems)
    assert report.dates_matched == report.dates_checked - 1


def _variant_city(
    folder: Path, *, plan_edit: dict[str, str], shrink: tuple[str, str, int, int] | None = None
) -> tuple[Path, dict[str, Path]]:
    """The example city with its plan edited (text replaced) and one group's roster cut to a few officers.

    ``shrink`` is ``(department, region, officers kept, their capacity)``.
    """
    draw, paths = _city(folder, entities=4000, seed=5)
    plan = paths["plan"].read_text(encoding="utf-8")
    for old, new in plan_edit.items():
        assert old in plan
        plan = plan.replace(old, new, 1)
    paths["plan"].write_text(plan, encoding="utf-8")
    if shrink is None:
        return draw, paths
    department, region, keep, capacity = shrink

    def cut(header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
        dept, reg, cap = header.index("department"), header.index("region"), header.index("capacity")
        kept, out = 0, []
        for row in rows:
            if row[dept] == department and row[reg] == region:
                kept += 1
                if kept > keep:
                    continue
                out.append([*row[:cap], str(capacity), *row[cap + 1 :]])
            else:
                out.append(row)
        return header, out

    _rewrite(paths["roster"], cut)
    return draw, paths


#: The example plan staffs joint visits with joint_fallback = "lead-alone" (checked here, left as it is).
LEAD_ALONE = {'joint_fallback = "lead-alone"': 'joint_fallback = "lead-alone"'}


def test_lead_alone_sets_parts_aside_and_is_rederived(tmp_path: Path) -> None:
    """``joint_fallback = "lead-alone"``, the tax bureau of one district cut to three officers of capacity 2."""
    draw, paths = _variant_city(tmp_path, plan_edit=LEAD_ALONE, shrink=("税务局", "410305", 3, 2))
    _draw_and_assign(draw, paths)
    report = rederive(draw, _assign_roles(paths))
    _assert_rederived(report, draw)
    parts = [r for r in report.visit_table if "/" in r[0]]
    assert report.parts_set_aside == len(parts) > 0
    assert all(r[5] == "税务局" and r[9] == "unstaffed" for r in parts)
    reasons = [r[3] for r in report.unstaffed if "/" in r[0]]
    assert len(reasons) == len(parts)
    assert all(r.endswith(" (joint_fallback = lead-alone: the rest of the visit goes)") for r in reasons)
    assert any(r.startswith("not enough capacity in region 410305 for 税务局") for r in reasons)
    assert report.rounds >= 2
    print(report.summary())


def test_a_tie_in_a_solve_that_drops_is_settled_by_the_published_drops(tmp_path: Path) -> None:
    """Three tax officers of capacity 2 for 16 teams: the first solve has several optima that fill different
    teams, and the docs name no tie-break; the checker finds an optimum that leads to the published drops."""
    draw, paths = _variant_city(tmp_path, plan_edit=LEAD_ALONE, shrink=("税务局", "410303", 3, 2))
    _draw_and_assign(draw, paths)
    report = rederive(draw, _assign_roles(paths))
    _assert_rederived(report, draw)
    print(report.summary(), report.tie_in_drop_groups)


def test_experts_desk_checks_and_an_item_lead_are_rederived(tmp_path: Path) -> None:
    """Expert places (食品, 环境监测), a desk-only task (书面检查) and a joint item whose 发起部门 is 税务局."""
    edit = {
        **LEAD_ALONE,
        'certificates = ["食品"]': 'certificates = ["食品"]\nexpert = "食品"',
        'entity_type = ["企业"]\n': 'entity_type = ["企业"]\n[tasks.item]\nmethods = ["书面检查"]\nlead = "税务局"\n',
        'coordination = "independent"\n': 'coordination = "independent"\nexpert = "环境监测"\n',
    }
    draw, paths = _variant_city(tmp_path, plan_edit=edit, shrink=("市场监管局", "410305", 5, 4))
    _draw_and_assign(draw, paths)
    report = rederive(draw, _assign_roles(paths))
    _assert_rederived(report, draw)
    assert report.desk_checks > 0
    assert any(r[3] == "expert" for r in report.teams)
    assert any(r[2] == "市场监管局" and "/" in r[0] for r in report.unstaffed)  # the partner of a 税务局-led visit
    print(report.summary())


def test_stuck_visits_are_left_to_cpsat_and_the_rest_is_greedy(tmp_path: Path) -> None:
    """A window of five working days and two visits a day: the greedy pass gets stuck, CP-SAT places some
    stuck visits and moves some of their people's visits; every other date is the greedy pass's."""
    edit = {'window = "2027-03-01:2027-03-31"': 'window = "2027-03-01:2027-03-05"', "daily_cap = 4 ": "daily_cap = 2 "}
    draw, paths = _variant_city(tmp_path, plan_edit=edit)
    _draw_and_assign(draw, paths)
    report = rederive(draw, _assign_roles(paths))
    assert report.ok, report.summary() + "\n" + "\n".join(report.problems)
    assert report.teams == read_published(draw / "teams.csv")[1]
    assert report.unstaffed == read_published(draw / "unstaffed.csv")[1]
    assert report.visit_table == read_published(draw / "visits.csv")[1]
    assert report.stuck_visits
    undated = [r for r in report.unstaffed if r[2] == "(all)"]
    assert undated and all(r[3].startswith("undated: no working day in the window fits: ") for r in undated)
    assert len(report.stuck_visits) == report.cpsat_placed + len(undated)
    assert report.dates_matched + report.cpsat_placed + report.cpsat_moved_dates == report.dates_checked
    print(report.summary())


def test_pairs_that_must_not_meet_are_left_to_cpsat(small_city: tuple[Path, dict[str, Path]], tmp_path: Path) -> None:
    """``--pairs`` naming officers the flow put together: their groups are CP-SAT's (detected, rule-checked,
    the cost before the repair compared); every other group, the dates and the tables are re-derived."""
    draw, paths = small_city
    copy = tmp_path / "draw"
    shutil.copytree(draw, copy)
    _, rows = read_published(draw / "teams.csv")
    together: dict[tuple[str, str], list[str]] = {}
    for vid, dept, pid, _ in rows:
        together.setdefault((vid, dept), []).append(pid)
    pairs = [ps[:2] for ps in list(together.values())[:5]]
    pairs_file = tmp_path / "pairs.csv"
    pairs_file.write_text("a,b,reason\n" + "".join(f"{a},{b},不睦\n" for a, b in pairs), encoding="utf-8")
    files = AssignmentFiles(**{**vars(_assign_files(paths)), "pairs": pairs_file})
    run_assign(copy, files, allow_partial=True, force=True)
    report = rederive(copy, {**_assign_roles(paths), "pairs": pairs_file})
    assert report.ok, report.summary() + "\n" + "\n".join(report.problems)
    assert report.cpsat_groups
    assert (
        report.flow_groups + len(report.cpsat_groups)
        == report.groups
        == report.certificate_groups + len(report.cpsat_groups)
    )
    assert report.teams == read_published(copy / "teams.csv")[1]
    assert report.visit_table == read_published(copy / "visits.csv")[1]
    print(report.summary(), report.cpsat_groups)


def _tied_officers(seed: str, visits: tuple[str, str], department: str) -> tuple[str, str]:
    """Two officer ids whose cost difference between the two visits is the same (a birthday search)."""

    def cost(visit: str, officer: str) -> int:
        return int.from_bytes(hashlib.sha256(f"{seed}:assign:{visit}|{department}|{officer}".encode()).digest()[:3])

    seen: dict[int, str] = {}
    for n in range(1_000_000):
        officer = f"410302-9{n:06d}"
        d = cost(visits[0], officer) - cost(visits[1], officer)
        if d in seen:
            return seen[d], officer
        seen[d] = officer
    raise AssertionError("no two officers tie")  # pragma: no cover - the search ends after some 10,000


def test_a_final_optimum_that_is_not_unique_is_settled_by_the_published_teams(tmp_path: Path) -> None:
    """Two visits of two places; one lead of capacity 2 and two members of capacity 1 whose cost differences tie:
    both ways of placing the members cost the same, the docs name no tie-break, and the checker takes the
    published optimum (either of the two) once it has proved it optimal."""
    uscc = codes(2)
    population = tmp_path / "population.csv"
    frame = {"uscc": uscc, "name": ["甲", "乙"], "region": "410302", "station": "S1", "credit_class": "B"}
    write_csv(pd.DataFrame(frame), population)
    plan = tmp_path / "plan.toml"
    plan.write_text(
        'id = "TIE"\n[assignment]\nteam_size = 2\n\n[[tasks]]\nid = "A"\ndepartment = "市场监管局"\n'
        'items = ["公示"]\nratio = "1"\n',
        encoding="utf-8",
    )
    first, second = _tied_officers(SEED, (f"V{uscc[0]}", f"V{uscc[1]}"), "市场监管局")
    rows = [("410302-0000001", "是", "2"), (first, "否", "1"), (second, "否", "1")]
    roster = tmp_path / "roster.csv"
    write_csv(
        pd.DataFrame(
            [
                {"inspector_id": i, "name": f"人{k}", "department": "市场监管局", "station": "S9", "region": "410302"}
                | {"cert_no": f"C{k}", "certificates": "", "lead": lead, "capacity": cap, "unavailable": ""}
                | {"active": "是", "kind": "officer"}
                for k, (i, lead, cap) in enumerate(rows)
            ]
        ),
        roster,
    )
    draw = tmp_path / "draw"
    run_draw(DrawFiles(population=population, plan=plan), draw, seed=SEED)
    run_assign(draw, AssignmentFiles(population=population, roster=roster))
    roles = {"population": population, "roster": roster}
    (group,) = AssignmentManifest.read(draw).groups
    assert group.unique is False
    report = rederive(draw, roles)
    assert report.ok, report.problems
    # The other optimum: the two members swapped, as another correct solver could have published it.
    other = tmp_path / "other"
    shutil.copytree(draw, other)
    swap = {first: second, second: first}
    _rewrite(other / "teams.csv", lambda header, rows: (header, [[*r[:2], swap.get(r[2], r[2]), r[3]] for r in rows]))
    again = rederive(other, roles)
    assert again.ok, again.problems
    assert again.teams == read_published(other / "teams.csv")[1] != report.teams
    assert sorted([*report.tie_groups, *again.tie_groups]) == ["region 410302/市场监管局"]


def test_few_candidates_per_team_are_rederived(tmp_path: Path) -> None:
    """``candidates = 2``: nearly every team walks round its group and keeps a few of its eligible officers."""
    draw, paths = _variant_city(tmp_path, plan_edit={"candidates = 16": "candidates = 2"})
    _draw_and_assign(draw, paths)
    report = rederive(draw, _assign_roles(paths))
    _assert_rederived(report, draw)
    # the walk binds: the pairs are fewer than the eligible ones, and the visits still go
    assert 0 < report.candidate_pairs < report.eligible_pairs
    assert report.team_rows > 0
    print(report.summary(), report.candidate_pairs, report.eligible_pairs)
