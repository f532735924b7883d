"""shuangsuiji amend: a late recusal, leave or departure, refilled by the seeded rule, logged, and verified."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from shuangsuiji.assignment import verify as assignment_verify
from shuangsuiji.assignment.amend import AssignedTables, apply_amendments, revert_amendments
from shuangsuiji.assignment.inputs import AssignmentInputs
from shuangsuiji.assignment.manifest import Amendment, AssignmentManifest
from shuangsuiji.assignment.verify import load_recorded_inputs, rule_breaks
from shuangsuiji.cli import main
from shuangsuiji.exceptions import DependencyError, InputError, NotFoundError
from shuangsuiji.io import sha256_file, write_csv
from shuangsuiji.verify import verify_draw
from shuangsuiji.workflow import read_amendments, run_amend

from .assign_helpers import codes
from .conftest import publish_staffed

SEED = "ab" * 32
#: 2026-03-02 to 2026-03-06: five working days.
WINDOW = "2026-03-02:2026-03-06"
PLAN = f"""id = "AM"
[assignment]
daily_cap = 2
window = "{WINDOW}"
[[tasks]]
id = "SC"
department = "市场监管局"
items = ["公示"]
ratio = "1"
[[tasks]]
id = "SW"
department = "税务局"
items = ["发票"]
ratio = "1"
expert = "食品"
[tasks.where]
entity_type = ["企业"]
"""


def _person(i: str, department: str, *, lead: bool = True, capacity: int = 4, kind: str = "officer") -> dict[str, str]:
    return {
        "inspector_id": i,
        "name": f"人{i}",
        "department": department,
        "station": "S9",
        "region": "410302",
        "cert_no": f"C{i}",
        "certificates": "食品" if kind == "expert" else "",
        "lead": "是" if lead else "否",
        "capacity": str(capacity),
        "unavailable": "",
        "active": "是",
        "kind": kind,
    }


def _small_city(root: Path) -> Path:
    """Six firms of one region, three of them joint (市场监管局 and 税务局, with a food expert); returns the draw."""
    n = 6
    population = pd.DataFrame(
        {
            "uscc": codes(n),
            "name": [f"企业{i}" for i in range(n)],
            "region": ["410302"] * n,
            "station": ["S1", "S2"] * 3,
            "entity_type": ["企业", "个体"] * 3,
            "credit_class": ["B"] * n,
            "status": ["存续"] * n,
        }
    )
    write_csv(population, root / "population.csv")
    (root / "plan.toml").write_text(PLAN, encoding="utf-8")
    people = [_person(f"M{k}", "市场监管局", lead=k < 3) for k in range(5)]
    # Exactly two tax officers: whoever of them leaves a joint visit cannot be replaced.
    people += [_person(f"T{k}", "税务局", capacity=3) for k in range(2)]
    people += [_person(f"E{k}", "专家库", lead=False, capacity=3, kind="expert") for k in range(2)]
    write_csv(pd.DataFrame(people), root / "roster.csv")
    draw = ["draw", "--population", str(root / "population.csv"), "--plan", str(root / "plan.toml")]
    assert main([*draw, "--seed", SEED, "--out", str(root / "draw")]) == 0
    roster = ["--roster", str(root / "roster.csv")]
    assert main(["assign", str(root / "draw"), "--population", str(root / "population.csv"), *roster]) == 0
    return root / "draw"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("small")
    _small_city(root)
    return root


@pytest.fixture
def folder(small: Path, tmp_path: Path) -> Path:
    """A fresh copy of the small city's staffed draw (inputs beside it, so its recorded paths hold)."""
    shutil.copytree(small, tmp_path / "city")
    return tmp_path / "city" / "draw"


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _lines(folder: Path, name: str) -> list[str]:
    return (folder / name).read_text(encoding="utf-8-sig").splitlines()


def _amend(folder: Path, *change: str, on: str = "2026-03-01") -> int:
    return main(["amend", str(folder), *change, "--requested-by", "企业法定代表人", "--reason", "亲属关系", "--on", on])


def _digest(visit: str, department: str, person: str) -> bytes:
    return hashlib.sha256(f"{SEED}:assign:{visit}|{department}|{person}".encode()).digest()


def _expected(folder: Path, visit: str, department: str, role: str, leaving: str) -> str | None:
    """The substitute by the rule, worked out from the published tables (one region, no conflicts, no pairs)."""
    teams, visits = _read(folder, "teams.csv"), _read(folder, "visits.csv").set_index("visit_id")
    roster = _read(folder.parent, "roster.csv")
    date, station = visits.at[visit, "date"], visits.at[visit, "station"]
    on_visit = set(teams.loc[teams["visit_id"] == visit, "inspector_id"])
    fit = []
    for person in roster.to_dict("records"):
        mine = set(teams.loc[teams["inspector_id"] == person["inspector_id"], "visit_id"])
        that_day = [v for v in mine if visits.at[v, "date"] == date]
        if (
            person["department"] == department
            and person["inspector_id"] not in on_visit | {leaving}
            and len(mine) < int(person["capacity"])
            and len(that_day) < 2
            and all(visits.at[v, "station"] == station for v in that_day)
            and (role != "lead" or person["lead"] == "是")
        ):
            fit.append((len(mine), _digest(visit, department, person["inspector_id"]), person["inspector_id"]))
    return min(fit)[2] if fit else None


def _on(folder: Path, visit: str, role: str | None = None, department: str = "市场监管局") -> list[str]:
    """Who holds the ``role`` places of ``department``'s team of the visit (everyone on it when ``role`` is None)."""
    teams = _read(folder, "teams.csv")
    teams = teams[teams["visit_id"] == visit]
    if role is not None:
        teams = teams[(teams["department"] == department) & (teams["role"] == role)]
    return teams["inspector_id"].tolist()


def _visit_of(folder: Path, firm: int) -> tuple[str, str]:
    visits = _read(folder, "visits.csv")
    row = visits[visits["name"] == f"企业{firm}"].iloc[0]
    return str(row["visit_id"]), str(row["uscc"])


def test_one_recusal_changes_exactly_that_officers_team_for_that_firm(folder: Path) -> None:
    visit, uscc = _visit_of(folder, 0)
    names = ("teams.csv", "visits.csv", "unstaffed.csv", "certificate.csv", "workload.csv")
    before = {name: _lines(folder, name) for name in names}
    teams = _read(folder, "teams.csv")
    member = teams[(teams["visit_id"] == visit) & (teams["department"] == "市场监管局") & (teams["role"] == "member")]
    leaving = str(member["inspector_id"].iloc[0])
    expected = _expected(folder, visit, "市场监管局", "member", leaving)
    assert expected is not None
    assert _amend(folder, "--recusal", f"{leaving}:{uscc}") == 0
    after = _lines(folder, "teams.csv")
    changed = [i for i, (a, b) in enumerate(zip(before["teams.csv"], after, strict=True)) if a != b]
    team_rows = [i for i, line in enumerate(after) if line.startswith(f"{visit},市场监管局,")]
    assert changed and set(changed) <= set(team_rows)
    assert f"{visit},市场监管局,{expected},member" in after and f"{visit},市场监管局,{leaving},member" not in after
    for name in ("visits.csv", "unstaffed.csv", "certificate.csv"):
        assert _lines(folder, name) == before[name], name
    manifest = AssignmentManifest.read(folder)
    (amendment,) = manifest.amendments
    assert (amendment.kind, amendment.inspector_id, amendment.uscc, amendment.sequence) == ("recusal", leaving, uscc, 1)
    assert (amendment.requested_by, amendment.requested_on, amendment.reason) == (
        "企业法定代表人",
        dt.date(2026, 3, 1),
        "亲属关系",
    )
    assert [(c.visit_id, c.department, c.role, c.out, c.into) for c in amendment.changes] == [
        (visit, "市场监管局", "member", leaving, expected)
    ]
    marked = {(g.group, g.department): g.method for g in manifest.groups}
    assert marked[("region 410302", "市场监管局")].endswith(" + amendments")
    assert marked[("region 410302", "税务局")] == "min-cost flow"
    workload = [(a, b) for a, b in zip(before["workload.csv"], _lines(folder, "workload.csv"), strict=True) if a != b]
    assert sorted(a.split(",")[0] for a, _ in workload) == sorted([leaving, expected])
    result = verify_draw(folder)
    assert result.ok, str(result)
    names = {c.name for c in result.checks}
    assert {"assignment amendments replayed", "recomputed amendments", "assignment optimality certificate"} <= names


def test_the_log_is_in_assignment_json_and_an_unamended_one_keeps_its_bytes(folder: Path) -> None:
    data = (folder / "assignment.json").read_bytes()
    assert b'"amendments"' not in data and AssignmentManifest.read(folder).to_bytes() == data
    visit, uscc = _visit_of(folder, 1)
    lead = _on(folder, visit, "lead")[0]
    assert _amend(folder, "--recusal", f"{lead}:{uscc}") == 0
    raw = json.loads((folder / "assignment.json").read_bytes())
    (entry,) = raw["amendments"]
    assert set(entry) == {
        "changes",
        "inspector_id",
        "kind",
        "reason",
        "requested_by",
        "requested_on",
        "sequence",
        "uscc",
    }
    assert set(entry["changes"][0]) == {"department", "in", "out", "role", "visit_id"}
    assert (folder / "assignment.sha256").read_text() == f"{sha256_file(folder / 'assignment.json')}  assignment.json\n"
    for name, digest in raw["outputs"].items():
        assert sha256_file(folder / name) == digest
    manifest = AssignmentManifest.read(folder)
    assert manifest.to_bytes() == (folder / "assignment.json").read_bytes()


def test_a_lead_is_replaced_by_someone_who_may_lead(folder: Path) -> None:
    visit, uscc = _visit_of(folder, 3)
    lead = _on(folder, visit, "lead")[0]
    expected = _expected(folder, visit, "市场监管局", "lead", lead)
    assert _amend(folder, "--recusal", f"{lead}:{uscc}") == 0
    assert f"{visit},市场监管局,{expected},lead" in _lines(folder, "teams.csv")
    assert expected in {"M0", "M1", "M2"}  # the officers flagged lead
    assert verify_draw(folder).ok


def test_nobody_to_take_the_place_sets_the_visit_waiting_with_the_reason(folder: Path) -> None:
    visits = _read(folder, "visits.csv")
    joint = visits.loc[visits["departments"] == "市场监管局;税务局", "visit_id"].tolist()
    teams = _read(folder, "teams.csv")
    assert _amend(folder, "--departure", "T1") == 0
    visits = _read(folder, "visits.csv").set_index("visit_id")
    assert (visits.loc[joint, "status"] == "unstaffed").all() and (visits.loc[joint, "date"] == "").all()
    assert not set(joint) & set(_read(folder, "teams.csv")["visit_id"])
    unstaffed = _read(folder, "unstaffed.csv")
    assert unstaffed["visit_id"].tolist() == sorted(joint * 2)
    for visit in joint:
        role = teams.loc[(teams["visit_id"] == visit) & (teams["inspector_id"] == "T1"), "role"].iloc[0]
        rows = unstaffed[unstaffed["visit_id"] == visit].set_index("department")["reason"]
        assert rows["税务局"] == (
            f"amendment 1 (departure of T1): no substitute for the {'lead (主检)' if role == 'lead' else role} "
            "place among 1 officers of 税务局 in region 410302 (1 on the visit)"
        )
        assert rows["市场监管局"] == "the visit waits: another of its teams cannot be staffed or dated"
    (amendment,) = AssignmentManifest.read(folder).amendments
    released = {c.visit_id: c.released for c in amendment.changes}
    assert all(c.into is None and c.date for c in amendment.changes)
    assert {p for v in joint for _, p, _ in released[v]} >= {"T0"}
    counts = AssignmentManifest.read(folder).counts
    assert counts["unstaffed"] == len(joint) and counts["staffed"] == 6 - len(joint)
    result = verify_draw(folder)
    assert result.ok, str(result)


def test_a_leave_takes_the_officer_off_the_visits_of_its_days_only(folder: Path) -> None:
    teams, visits = _read(folder, "teams.csv"), _read(folder, "visits.csv").set_index("visit_id")
    busiest = teams[teams["department"] == "市场监管局"]["inspector_id"].value_counts().index[0]
    theirs = teams.loc[teams["inspector_id"] == busiest, "visit_id"].tolist()
    day = visits.at[theirs[0], "date"]
    assert _amend(folder, "--leave", f"{busiest}:{day}:{day}") == 0
    after = _read(folder, "teams.csv")
    left = set(after.loc[after["inspector_id"] == busiest, "visit_id"])
    assert left == {v for v in theirs if visits.at[v, "date"] != day}
    assert verify_draw(folder).ok


def test_a_second_amendment_stacks_and_bars_who_the_first_recused(folder: Path) -> None:
    visit, uscc = _visit_of(folder, 5)
    member = _on(folder, visit, "member")[0]
    assert _amend(folder, "--recusal", f"{member}:{uscc}") == 0
    (first,) = AssignmentManifest.read(folder).amendments
    newcomer = first.changes[0].into
    assert newcomer is not None
    assert _amend(folder, "--recusal", f"{newcomer}:{uscc}", on="2026-03-02") == 0
    log = AssignmentManifest.read(folder).amendments
    assert [a.sequence for a in log] == [1, 2] and log[0] == first
    assert log[1].changes[0].into not in {member, newcomer}
    assert _amend(folder, "--departure", "M4:2026-03-04") == 0
    result = verify_draw(folder)
    assert result.ok, str(result)


def test_several_changes_from_a_file(folder: Path, tmp_path: Path) -> None:
    visit, uscc = _visit_of(folder, 2)
    member = _on(folder, visit, "member")
    changes = pd.DataFrame(
        {
            "kind": ["回避", "leave"],
            "inspector_id": [member[0], "E1"],
            "uscc": [uscc, ""],
            "from": ["", "2026-03-02"],
            "to": ["", "2026-03-06"],
            "requested_by": ["企业", ""],
            "requested_on": ["2026-03-01", ""],
            "reason": ["亲属", "病假"],
        }
    )
    write_csv(changes, tmp_path / "changes.csv")
    assert main(["amend", str(folder), "--changes", str(tmp_path / "changes.csv"), "--requested-by", "科室"]) == 0
    log = AssignmentManifest.read(folder).amendments
    assert [(a.kind, a.requested_by) for a in log] == [("recusal", "企业"), ("leave", "科室")]
    assert log[1].requested_on == dt.date.today()
    assert log[1].changes and "E1" not in set(_read(folder, "teams.csv")["inspector_id"])
    assert verify_draw(folder).ok


def test_a_bad_changes_file_names_every_row(tmp_path: Path) -> None:
    bad = "kind,inspector_id,uscc,from,to,requested_by,reason\n"
    bad += "recusal,M0,,,,a,b\nsick,M1,,,,a,b\nleave,M1,,2026-3-1,,a,b\n"
    (tmp_path / "changes.csv").write_text(bad, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_amendments(tmp_path / "changes.csv")
    text = str(info.value)
    assert "3 problems" in text and "row 2" in text and "row 3" in text and "column 'from'" in text
    (tmp_path / "empty.csv").write_text("kind,inspector_id\n", encoding="utf-8")
    with pytest.raises(InputError, match="lists no change"):
        read_amendments(tmp_path / "empty.csv")


def _tamper_log(folder: Path, into: str) -> None:
    """Rewrite the first amendment's newcomer, its teams.csv row, the outputs and the seal, all consistently."""
    raw = json.loads((folder / "assignment.json").read_bytes())
    change = raw["amendments"][0]["changes"][0]
    teams = _read(folder, "teams.csv")
    hit = (teams["visit_id"] == change["visit_id"]) & (teams["inspector_id"] == change["in"])
    teams.loc[hit, "inspector_id"] = into
    write_csv(teams, folder / "teams.csv")
    change["in"] = into
    raw["outputs"]["teams.csv"] = sha256_file(folder / "teams.csv")
    manifest = AssignmentManifest.from_dict(raw)
    (folder / "assignment.json").write_bytes(manifest.to_bytes())
    (folder / "assignment.sha256").write_text(f"{manifest.sha256}  assignment.json\n")


def test_verify_fails_after_tampering_with_the_log_or_a_table(folder: Path, small: Path) -> None:
    visit, uscc = _visit_of(folder, 0)
    leaving = _on(folder, visit, "member")[0]
    assert _amend(folder, "--recusal", f"{leaving}:{uscc}") == 0
    chosen = AssignmentManifest.read(folder).amendments[0].changes[0].into
    saved = {n: (folder / n).read_bytes() for n in ("assignment.json", "assignment.sha256", "teams.csv")}
    on_visit = set(_on(folder, visit))
    other = next(p for p in ("M0", "M1", "M2", "M3", "M4") if p not in on_visit | {leaving, chosen})
    _tamper_log(folder, other)
    result = verify_draw(folder)
    failed = {c.name for c in result.checks if not c.ok}
    assert not result.ok and {"assignment amendments replayed", "recomputed teams.csv"} <= failed, str(result)
    for name, blob in saved.items():
        (folder / name).write_bytes(blob)
    assert verify_draw(folder).ok
    (folder / "teams.csv").write_bytes(saved["teams.csv"].replace(f",{chosen},".encode(), f",{other},".encode(), 1))
    assert not verify_draw(folder).ok
    (folder / "teams.csv").write_bytes(saved["teams.csv"])
    raw = json.loads(saved["assignment.json"])
    raw["amendments"][0]["reason"] = "另一个理由"
    (folder / "assignment.json").write_bytes(AssignmentManifest.from_dict(raw).to_bytes())
    assert not verify_draw(folder).ok


def test_without_a_solver_the_log_is_undone_and_the_certificate_checked(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    visit, uscc = _visit_of(folder, 4)
    lead = _on(folder, visit, "lead")[0]
    original = _lines(folder, "teams.csv")
    assert _amend(folder, "--recusal", f"{lead}:{uscc}") == 0
    assert _amend(folder, "--departure", "T0") == 0

    def no_solver(inputs: AssignmentInputs, *, allow_partial: bool, check: object = None) -> None:
        raise DependencyError("OR-Tools is not installed (blocked for this test).")

    monkeypatch.setattr(assignment_verify, "solve_checking", no_solver)  # where verify solves
    result = verify_draw(folder)
    checks = {c.name: c for c in result.checks}
    assert checks["recomputed assignment"].skipped
    for name in ("assignment amendments replayed", "assignment rules", "assignment optimality certificate"):
        assert checks[name].ok, checks[name]
    manifest = AssignmentManifest.read(folder)
    undone = revert_amendments(AssignedTables.read(folder), manifest.amendments, dated=True)
    assert undone.teams.to_csv(index=False, lineterminator="\n").splitlines() == original


def _inputs(folder: Path) -> tuple[AssignmentManifest, AssignmentInputs]:
    manifest = AssignmentManifest.read(folder)
    return manifest, load_recorded_inputs(folder, manifest, {r: folder / e.path for r, e in manifest.inputs.items()})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--recusal", "M9:{uscc}"], "M9 is not in the roster"),
        (["--recusal", "{absent}:{uscc}"], "is not on the visit of"),
        (["--recusal", "M0:91410300000000000X"], "No visit of the firm"),
        (["--leave", "M0:2026-03-06:2026-03-02"], "ends (2026-03-02) before it starts"),
        (["--leave", "M0:2026-03-02:tomorrow"], "--leave's last day must be a date written YYYY-MM-DD"),
        (["--departure", "M0:2026-02-30"], "--departure's first day must be a date"),
    ],
)
def test_bad_changes_exit_2_with_a_clear_message(
    folder: Path, capsys: pytest.CaptureFixture[str], change: list[str], message: str
) -> None:
    visit, uscc = _visit_of(folder, 0)
    on_visit = set(_on(folder, visit))
    absent = next(p for p in ("M0", "M1", "M2", "M3", "M4") if p not in on_visit)
    before = (folder / "assignment.json").read_bytes()
    assert _amend(folder, *(c.format(uscc=uscc, absent=absent) for c in change)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert (folder / "assignment.json").read_bytes() == before


def test_other_errors_exit_2(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _amend(folder, "--departure", "M0", on="2026-13-01") == 2
    assert "--on must be a date" in capsys.readouterr().err
    assert main(["amend", str(folder), "--departure", "M0", "--reason", "调离"]) == 2
    assert "--requested-by" in capsys.readouterr().err
    assert _amend(tmp_path, "--departure", "M0") == 2
    assert "holds no assignment" in capsys.readouterr().err
    roster = folder.parent / "roster.csv"
    moved = tmp_path / "elsewhere.csv"
    roster.rename(moved)
    assert _amend(folder, "--departure", "M0") == 2
    assert "give it with --roster" in capsys.readouterr().err
    assert _amend(folder, "--departure", "M0", "--roster", str(moved)) == 0
    (tmp_path / "other.csv").write_bytes(moved.read_bytes() + b"\n")
    assert _amend(folder, "--departure", "M1", "--roster", str(tmp_path / "other.csv")) == 2
    assert "is not the roster file the assignment used" in capsys.readouterr().err
    assert _amend(folder, "--departure", "M1", "--pairs", str(moved)) == 2
    assert "records no pairs file" in capsys.readouterr().err
    (folder / "teams.csv").write_bytes((folder / "teams.csv").read_bytes() + b"x\n")
    assert _amend(folder, "--departure", "M1", "--roster", str(moved)) == 2
    assert "run 'shuangsuiji verify'" in capsys.readouterr().err


def test_a_leave_needs_dates(folder: Path) -> None:
    _, inputs = _inputs(folder)
    undated = dataclasses.replace(inputs, policy=dataclasses.replace(inputs.policy, window=None))
    leave = Amendment(
        "leave", "M0", "科室", dt.date(2026, 3, 1), "病假", start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 3)
    )
    with pytest.raises(InputError, match="no dates"):
        apply_amendments(AssignedTables.read(folder), [leave], undated)
    with pytest.raises(NotFoundError):
        run_amend(folder.parent, [leave])


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_any_recusal_changes_only_that_team_and_keeps_the_rules(small: Path, data: st.DataObject) -> None:
    folder = small / "draw"
    manifest, inputs = _inputs(folder)
    tables = AssignedTables.read(folder)
    rows = tables.teams.to_dict("records")
    row = data.draw(st.sampled_from(rows))
    uscc = tables.visits.set_index("visit_id").at[row["visit_id"], "uscc"]
    request = Amendment("recusal", row["inspector_id"], "企业", dt.date(2026, 3, 1), "亲属", uscc=uscc)
    after, (amendment,) = apply_amendments(tables, [request], inputs)
    (change,) = amendment.changes
    assert (change.visit_id, change.department, change.out) == (row["visit_id"], row["department"], row["inspector_id"])
    if change.into is not None:

        def others(f: pd.DataFrame) -> pd.DataFrame:
            team = (f["visit_id"] == row["visit_id"]) & (f["department"] == row["department"])
            return f[~team].reset_index(drop=True)

        assert others(after.teams).equals(others(tables.teams)) and after.visits.equals(tables.visits)
    assert not rule_breaks(after.visits, after.teams, inputs, (amendment,))
    back = revert_amendments(after, (amendment,), dated=True)
    assert back.teams.equals(tables.teams) and back.visits.equals(tables.visits)
    again, log = apply_amendments(back, [request], inputs)
    assert log == (amendment,) and again.tables(inputs.roster) == after.tables(inputs.roster)
    assert manifest.amendments == ()


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example city, published, committed, drawn and staffed."""
    tmp = tmp_path_factory.mktemp("amend-city")
    publish_staffed(tmp, entities=600, seed=5, people=("conflicts",), window="2026-03-02:2026-03-31")
    return tmp


def test_acceptance_one_late_recusal_in_the_example_city(city: Path, tmp_path: Path) -> None:
    shutil.copytree(city, tmp_path / "c")
    draw = tmp_path / "c" / "pub" / "draw"
    teams = _read(draw, "teams.csv")
    visits = _read(draw, "visits.csv").set_index("visit_id")
    row = teams[teams["role"] == "member"].iloc[len(teams) // 3]
    uscc = visits.at[row["visit_id"], "uscc"]
    before = _lines(draw, "teams.csv")
    assert _amend(draw, "--recusal", f"{row['inspector_id']}:{uscc}") == 0
    after = _lines(draw, "teams.csv")
    team = f"{row['visit_id']},{row['department']},"
    assert [a for a in before if not a.startswith(team)] == [b for b in after if not b.startswith(team)]
    assert f"{team}{row['inspector_id']},member" in before and f"{team}{row['inspector_id']},member" not in after
    result = verify_draw(draw)
    assert result.ok, str(result)
