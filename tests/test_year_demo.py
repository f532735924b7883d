"""The example year end to end: four batches, drawn, staffed, done and posted, read back from the ledger.

Every figure is recounted here from the published files and the ledger's rows, not from the
library's own status.
"""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from shuangsuiji.assignment.inputs import load_assignment_inputs
from shuangsuiji.exceptions import LedgerError
from shuangsuiji.io import read_table
from shuangsuiji.ledger import Ledger, LedgerHead
from shuangsuiji.manifest import canonical_json
from shuangsuiji.proofs import make_proof, verify_proof
from shuangsuiji.workflow import run_draw, run_ledger_add, run_ledger_verify, run_verify, year_files
from shuangsuiji.workflow.yeardemo import YearDemoResult, run_year_demo

GENERAL = ("SC-GS", "SW-FP")
INACTIVE = ("注销", "吊销", "迁出")
EXEMPT = ("complaint", "referral", "recheck", "licensing")


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> YearDemoResult:
    return run_year_demo(tmp_path_factory.mktemp("year"), entities=12_000, secret=bytes(range(32)))


def _rows(result: YearDemoResult) -> pd.DataFrame:
    with Ledger.open(result.ledger, create=False) as book:
        return book.frame()


def _final_population(result: YearDemoResult) -> pd.DataFrame:
    return read_table(result.out / "inputs" / "population-Q4.csv")


def test_each_general_item_reaches_five_percent_of_the_operating_firms(year: YearDemoResult) -> None:
    population = _final_population(year)
    operating = population[~population["status"].isin(INACTIVE)]
    scope = {"SC-GS": operating, "SW-FP": operating[operating["entity_type"] == "企业"]}
    drawn = pd.concat([read_table(d / "selection.csv") for d in year.draws])
    for task in GENERAL:
        base = set(scope[task]["uscc"])
        covered = set(drawn.loc[drawn["task_id"] == task, "uscc"]) & base
        assert len(covered) >= math.ceil(len(base) / 20), task


def test_no_firm_is_drawn_twice_in_the_year_for_the_same_general_item(year: YearDemoResult) -> None:
    drawn = pd.concat([read_table(d / "selection.csv") for d in year.draws])
    general = drawn[drawn["task_id"].isin(GENERAL)]
    assert not general.duplicated(["task_id", "uscc"]).any()
    assert general["task_id"].nunique() == 2


def _counted_before(rows: pd.DataFrame, head: int) -> pd.Series:
    """Checks of the year per firm before a head, exempt kinds left out, a visit (joint or not) counted once."""
    before = rows[(rows["seq"] <= head) & (rows["event"].isin(["drawn", "check"]))]
    before = before[~before["kind"].isin(EXEMPT)]
    visit = (
        before["batch"] + "/" + before["visit_id"].where(before["visit_id"] != "", "check" + before["seq"].astype(str))
    )
    return before.assign(visit=visit).groupby("uscc")["visit"].nunique()


def test_no_firm_is_drawn_at_or_over_its_total_cap(year: YearDemoResult) -> None:
    rows = _rows(year)
    for draw in year.draws:
        manifest = json.loads((draw / "manifest.json").read_bytes())
        head = int(manifest["year"]["ledger_head"]["seq"])
        counted = _counted_before(rows, head)
        drawn = set(read_table(draw / "selection.csv")["uscc"])
        assert all(counted.get(u, 0) < 3 for u in drawn), draw


def test_a_joint_visit_counts_once(year: YearDemoResult) -> None:
    rows = _rows(year)
    drawn = rows[rows["event"] == "drawn"]
    joint = drawn.groupby(["batch", "uscc"])["department"].nunique()
    joint = joint[joint > 1]
    assert len(joint), "the example year has joint visits"
    counted = _counted_before(rows, int(rows["seq"].max()))
    batch, uscc = joint.index[0]
    entries = drawn[(drawn["uscc"] == uscc) & (drawn["batch"] == batch)]
    assert len(set(entries["department"])) > 1
    other = rows[(rows["uscc"] == uscc) & (rows["event"] == "check") & ~rows["kind"].isin(EXEMPT)]
    random_visits = drawn[drawn["uscc"] == uscc].drop_duplicates(["batch", "visit_id"])
    assert counted[uscc] == len(random_visits) + len(other)


def test_the_status_counts_what_the_ledger_holds(year: YearDemoResult) -> None:
    tasks = year.status.status.tasks.set_index("task_id")
    population = _final_population(year)
    base = set(population.loc[~population["status"].isin(INACTIVE), "uscc"])
    rows = _rows(year)
    for stage in ("drawn", "staffed", "done", "published"):
        firms = set(rows.loc[(rows["event"] == stage) & rows["task_id"].str.contains("SC-GS"), "uscc"]) & base
        assert tasks.loc["SC-GS", stage] == len(firms), stage
    assert tasks.loc["SC-GS", "base"] == len(base)
    assert tasks.loc["SC-GS", "drawn_share"] == pytest.approx(tasks.loc["SC-GS", "drawn"] / len(base))
    assert tasks.loc["SC-GS", "remaining"] == 0
    assert (year.out / "status" / "year-status.html").read_text(encoding="utf-8").count("<table") == 2
    assert (year.out / "status" / "year-coverage.png").stat().st_size > 1000


def test_every_batch_verifies_and_the_ledger_with_them(year: YearDemoResult) -> None:
    for draw in year.draws:
        assert run_verify(draw).ok, draw
    assert run_ledger_verify(year.ledger, draws=year.draws).ok


def test_key_tasks_are_spread_over_the_batches_in_the_order_drawn(year: YearDemoResult) -> None:
    taken = []
    for draw in year.draws:
        record = json.loads((draw / "manifest.json").read_bytes())["year"]
        taken += record.get("key", {}).get("taken", [])
        tasks = {t["id"] for t in json.loads((draw / "manifest.json").read_bytes())["tasks"]}
        assert set(record.get("key", {}).get("taken", [])) == tasks - set(GENERAL)
    assert sorted(taken) == ["HB-PW", "SC-SP"]


def _copy(result: YearDemoResult, tmp_path: Path) -> Path:
    path = tmp_path / "ledger.sqlite"
    shutil.copyfile(result.ledger, path)
    return path


def _edit(db: sqlite3.Connection) -> None:
    """A result changed after the fact."""
    db.execute(
        "UPDATE ledger SET result = result || '(改)' WHERE seq = (SELECT MIN(seq) FROM ledger WHERE event = 'done')"
    )


def _insert(db: sqlite3.Connection) -> None:
    """A row slipped in after seq 100: the rows after it move up one."""
    db.execute("UPDATE ledger SET seq = seq + 1000000 WHERE seq > 100")
    db.execute("UPDATE ledger SET seq = seq - 1000000 + 1 WHERE seq > 1000000")
    row = db.execute("SELECT * FROM ledger WHERE seq = 100").fetchone()
    db.execute(f"INSERT INTO ledger VALUES ({', '.join('?' * len(row))})", (101, *row[1:]))


def _delete_inside(db: sqlite3.Connection) -> None:
    db.execute("DELETE FROM ledger WHERE seq = 50")


def _delete_last(db: sqlite3.Connection) -> None:
    """The last rows dropped: the chain left is whole, but the last batch's recorded head is gone."""
    last = json.loads((_LAST_DRAW[0] / "manifest.json").read_bytes())["year"]["ledger_head"]["seq"]
    db.execute("DELETE FROM ledger WHERE seq >= ?", (int(last),))


_LAST_DRAW: list[Path] = []


@pytest.mark.parametrize("tamper", [_edit, _insert, _delete_inside, _delete_last])
def test_ledger_verify_finds_an_edited_inserted_or_deleted_row(
    year: YearDemoResult, tmp_path: Path, tamper: Callable[[sqlite3.Connection], None]
) -> None:
    _LAST_DRAW[:] = [year.draws[-1]]
    path = _copy(year, tmp_path)
    with sqlite3.connect(path) as db:
        tamper(db)
    assert run_verify(year.draws[0]).ok  # the published batch itself is unchanged
    result = run_ledger_verify(path, draws=year.draws)
    assert not result.ok and "broken at seq" in str(result)


def test_ledger_verify_fails_on_a_head_that_differs(year: YearDemoResult) -> None:
    manifest = json.loads((year.draws[2] / "manifest.json").read_bytes())
    head = manifest["year"]["ledger_head"]
    assert run_ledger_verify(year.ledger, heads={"Q3": LedgerHead(int(head["seq"]), head["hash"])}).ok
    wrong = LedgerHead(int(head["seq"]), "f" * 64)
    result = run_ledger_verify(year.ledger, heads={"Q3": wrong})
    assert not result.ok and "broken at seq" in str(result)


def test_later_batches_rotate_their_officers_off_the_ledger(year: YearDemoResult) -> None:
    """Given no history, a year's assignment reads its rotation off the view its draw read."""
    q3 = year.draws[2]
    recorded = json.loads((q3 / "assignment.json").read_bytes())["inputs"]["history"]
    assert recorded["path"] == "../commit/ledger-view.json"
    inputs = load_assignment_inputs(
        q3, {"population": year.out / "inputs" / "population-Q3.csv", "roster": year.out / "inputs" / "roster.csv"}
    )
    rotated = {pair for pair, kind in inputs.conflicts.kinds.items() if kind == "rotation"}
    teams = pd.concat([read_table(d / "teams.csv") for d in year.draws[:2]])
    earlier = set(zip(teams["inspector_id"], teams["visit_id"].str[1:], strict=True))
    assert rotated and rotated <= earlier


def test_a_firm_drawn_earlier_in_the_year_proves_its_exclusion(year: YearDemoResult) -> None:
    q3 = year.draws[2]
    excluded = read_table(q3 / "excluded.csv")
    firm = excluded.loc[excluded["reason"] == "drawn_this_year", "uscc"].iloc[0]
    proof = make_proof(q3, firm, population=year.out / "inputs" / "population-Q3.csv")
    assert any(t.reason == "drawn_this_year" for t in proof.tasks)
    assert verify_proof(proof, (q3 / "manifest.json").read_bytes()).ok


def _redraw_q2(year: YearDemoResult, out: Path, view: Path) -> Path:
    files = year_files(
        year.out / "inputs" / "year.toml", "Q2", year.out / "inputs" / "population-Q2.csv", out, view=view
    )
    run_draw(files, out, seed="12" * 32)
    return out


def test_a_second_draw_of_a_batch_stays_out_of_the_ledger(year: YearDemoResult, tmp_path: Path) -> None:
    again = _redraw_q2(year, tmp_path / "again", year.draws[1].parent / "commit" / "ledger-view.json")
    path = _copy(year, tmp_path)
    with pytest.raises(LedgerError, match="drawn once"):
        run_ledger_add(path, draw=again)
    result = run_ledger_verify(path, draws=[again])
    assert [c.name for c in result.checks if not c.ok] == [f"ledger holds the draw of {again}"]


def test_a_draw_from_a_forged_view_fails_even_with_the_real_view_put_back(year: YearDemoResult, tmp_path: Path) -> None:
    real = year.draws[1].parent / "commit" / "ledger-view.json"
    doc = json.loads(real.read_bytes())
    kind = doc["columns"].index("kind")
    doc["rows"] = [r for r in doc["rows"] if r[kind] != "random"]  # Q1's draws forgotten: its firms drawable again
    forged = tmp_path / "forged" / "ledger-view.json"
    forged.parent.mkdir()
    forged.write_bytes(canonical_json(doc))
    drawn = _redraw_q2(year, tmp_path / "forged-draw", forged)
    shutil.copyfile(real, forged)  # the file now matches the ledger, but not the manifest
    result = run_ledger_verify(year.ledger, draws=[drawn])
    assert f"ledger view of {drawn}" in [c.name for c in result.checks if not c.ok]


def test_the_same_year_gives_the_same_bytes(tmp_path: Path) -> None:
    """Given its secrets, the example year publishes the same files: no clock, no machine in them."""
    runs = [run_year_demo(tmp_path / name, entities=2500, secret=bytes(32)) for name in ("a", "b")]
    for first, second in zip(runs[0].draws, runs[1].draws, strict=True):
        for name in ("manifest.json", "assignment.json", "../commit/ledger-view.json", "../notices/抽查结果公告.xlsx"):
            assert (first / name).read_bytes() == (second / name).read_bytes(), (first, name)
