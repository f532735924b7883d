"""The year: an annual plan in batches, its 5% target held over the year (``shuangsuiji.year`` and friends).

Every expected value here is computed in the test (by hand, or by a loop written for the test),
never copied from the code under test.
"""

from __future__ import annotations

import copy
import io
import json
import math
import re
import shutil
import sqlite3
import tomllib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from shuangsuiji import draw
from shuangsuiji.cli import main
from shuangsuiji.exceptions import LedgerError, YearError
from shuangsuiji.io import write_csv
from shuangsuiji.ledger import CHECK_KINDS, COLUMNS
from shuangsuiji.manifest import Manifest
from shuangsuiji.notices import Notice, xlsx_bytes
from shuangsuiji.plan import parse_plan
from shuangsuiji.population import check_population
from shuangsuiji.synthetic import make_population
from shuangsuiji.verify import verify_draw
from shuangsuiji.workflow import run_draw, run_ledger_add, run_ledger_verify, write_example_city
from shuangsuiji.workflow._year import run_year_status, year_files
from shuangsuiji.year import YearPlan, batch_counts, batch_plan, general_tasks, load_year, parse_year
from shuangsuiji.yearview import VIEW_COLUMNS, LedgerView, ledger_view, prepare_batch, year_rules

SMJ, SW = "市场监管局", "税务局"
PLAN_TOML = """\
id = "P-2027"
multipliers = { credit_class = { A = "0.5", B = "1", C = "2", D = "4" } }
tasks = [
    { id = "G1", department = "市场监管局", items = ["公示"], ratio = "0", strata = ["credit_class"] },  # general
    { id = "G2", department = "税务局", items = ["发票"], ratio = "0", where = { entity_type = ["企业"] } },
    { id = "K1", department = "市场监管局", items = ["食品"], category = "key", ratio = "0.03" },
]
"""
PLAN = parse_plan(tomllib.loads(PLAN_TOML))
WINDOWS = ["2027-01-01:2027-03-31", "2027-04-01:2027-06-30", "2027-07-01:2027-09-30", "2027-10-01:2027-12-31"]


def base_of(frame: pd.DataFrame, task: str) -> set[str]:
    """The indicator's base, computed here: operating firms in the task's scope (G2: 企业 only)."""
    operating = ~frame["status"].isin(["注销", "吊销", "撤销", "迁出"])
    scope = frame["entity_type"] == "企业" if task == "G2" else pd.Series(True, index=frame.index)
    return set(frame.loc[operating & scope, "uscc"])


A = {"id": "A", "window": "2027-01-01:2027-06-30"}


def year_doc(**changes: Any) -> dict[str, Any]:
    batches = [{**A, "share": "0.4"}, {"id": "B", "window": "2027-07-01:2027-12-31", "share": "0.6"}]
    return {"id": "Y", "year": 2027, "plan": "plan.toml", "batches": batches} | changes


def _batches(*batches: dict[str, Any]) -> dict[str, Any]:
    return year_doc(batches=list(batches))


def view_of(rows: list[list[str]], seq: int = 0) -> LedgerView:
    return LedgerView({"seq": seq, "hash": f"{seq:064x}"}, pd.DataFrame(rows, columns=VIEW_COLUMNS, dtype="str"))


# ---------------------------------------------------------------- 1. parse_year / load_year

FULL_TOML = """\
id = "Y"
year = 2027
plan = "plan.toml"
indicator = { base = "eligible", trajectory = { "2026" = "0.04", "2027" = "0.06" } }
caps = { total = 3, per_department = 2, exempt = ["complaint"] }
[[batches]]
id = "A"
window = "2027-01-01:2027-06-30"
tasks = ["G1", "K1"]
share = "0.25"
count = { G1 = 7 }
[[batches]]
id = "B"
window = "2027-07-01:2027-12-31"
tasks = ["G2"]
"""
FULL = tomllib.loads(FULL_TOML)


def test_a_year_round_trips_and_reads_its_values() -> None:
    year = parse_year(FULL)
    assert parse_year(year.to_dict()) == year
    assert parse_year(year.to_dict()).to_dict() == year.to_dict()
    assert (year.id, year.year, year.plan, year.base) == ("Y", 2027, "plan.toml", "eligible")
    assert year.target == Fraction(3, 50)  # 2027 on the trajectory
    assert (year.caps.total, year.caps.per_department, tuple(year.caps.exempt)) == (3, 2, ("complaint",))
    a, b = year.batches
    assert (a.tasks, a.share, dict(a.count)) == (("G1", "K1"), Fraction(1, 4), {"G1": 7})
    assert (b.tasks, b.share, dict(b.count)) == (("G2",), None, {})
    assert year.cumulative_share("A") == Fraction(1, 4) and year.cumulative_share("B") == 1  # the last: all
    plain = parse_year(year_doc())
    assert plain.target == Fraction(1, 20) and plain.base == "operating"
    assert tuple(plain.caps.exempt) == ("complaint", "referral", "recheck", "licensing")
    assert (plain.caps.total, plain.caps.per_department) == (None, None)
    assert tuple(parse_year(year_doc(caps={"exempt": []})).caps.exempt) == ()


def test_a_year_whose_batches_take_every_task_round_trips() -> None:
    year = parse_year(year_doc(caps={"exempt": []}))
    assert parse_year(year.to_dict()) == year


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_load_year_reads_utf8_with_or_without_bom(tmp_path: Path, bom: bytes) -> None:
    path = tmp_path / "year.toml"
    path.write_bytes(bom + FULL_TOML.encode())
    assert load_year(path) == parse_year(FULL, source=str(path))


PARSE_ERRORS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("no batches", year_doc(batches=[]), ["at least one [[batches]]"]),
    ("no batches key", {k: v for k, v in year_doc().items() if k != "batches"}, ["[[batches]]"]),
    ("duplicate batch", _batches(A, dict(A)), ["two batches", "'A'"]),
    ("unknown top key", year_doc(target="0.05"), ["unknown key 'target'"]),
    ("unknown indicator key", year_doc(indicator={"targt": "0.05"}), ["[indicator]", "'targt'", "'target'"]),
    ("unknown caps key", year_doc(caps={"totl": 3}), ["[caps]", "'totl'", "'total'"]),
    ("unknown batch key", _batches({**A, "shares": "0.5"}), ["Batch 'A'", "'shares'", "'share'"]),
    ("bad base", year_doc(indicator={"base": "all"}), ["indicator.base", "'all'"]),
    ("trajectory without the year", year_doc(indicator={"trajectory": {"2026": "0.04"}}), ["2027", "2026"]),
    ("bad window", _batches({**A, "window": "2027-13-01:2027-12-31"}), ["'window' of batch 'A'", "2027-13-01"]),
    ("window backwards", _batches({**A, "window": "2027-06-30:2027-01-01"}), ["'window' of batch 'A'", "before"]),
    ("share above 1", _batches({**A, "share": "1.5"}), ["'share' of batch 'A'", "1.5"]),
    ("negative count", _batches({**A, "count": {"G1": -1}}), ["'count.G1' of batch 'A'", "-1"]),
    ("bad target", year_doc(indicator={"target": "5%"}), ["indicator.target", "5%"]),
    ("total cap 0", year_doc(caps={"total": 0}), ["caps.total", "0"]),
    ("bad year", year_doc(year=27), ["'year'", "27"]),
    ("no plan", year_doc(plan=" "), ["'plan'"]),
    ("bad id", year_doc(id="Y 2027"), ["'id'", "Y 2027"]),
]


@pytest.mark.parametrize(("doc", "words"), [c[1:] for c in PARSE_ERRORS], ids=[c[0] for c in PARSE_ERRORS])
def test_parse_year_errors_name_the_key_and_value(doc: dict[str, Any], words: list[str]) -> None:
    with pytest.raises(YearError) as info:
        parse_year(doc)
    for word in words:
        assert word in str(info.value)


def test_a_trajectory_that_is_not_a_table_is_a_year_error() -> None:
    with pytest.raises(YearError, match="trajectory"):
        parse_year(year_doc(indicator={"trajectory": "0.05"}))


def test_fractions_written_p_over_q() -> None:
    year = parse_year(year_doc(indicator={"target": "1/20"}, batches=[{**A, "share": "1/3"}, {**A, "id": "B"}]))
    assert (year.target, year.cumulative_share("A")) == (Fraction(1, 20), Fraction(1, 3))


def test_load_year_refuses_a_file_not_utf8_or_not_toml(tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes('id = "Y"  # 年度计划\n'.encode("gbk"))
    with pytest.raises(YearError, match="not UTF-8") as info:
        load_year(gbk)
    assert str(gbk) in str(info.value)
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "Y"\nyear = \n', encoding="utf-8")
    with pytest.raises(YearError, match="not valid TOML"):
        load_year(bad)
    schema = tmp_path / "schema.toml"
    schema.write_text(FULL_TOML.replace('base = "eligible"', 'base = "everyone"'), encoding="utf-8")
    with pytest.raises(YearError, match="everyone") as info:
        load_year(schema)
    assert str(info.value).startswith(str(schema))


def test_a_batch_naming_a_task_the_plan_lacks() -> None:
    year = parse_year(_batches({**A, "tasks": ["G1", "G9"]}))
    for call in (
        lambda: general_tasks(PLAN, year.batch("A")),
        lambda: batch_counts(year, "A", PLAN, base={"G1": 10}, covered={}),
        lambda: batch_plan(year, "A", PLAN, {}),
    ):
        with pytest.raises(YearError, match="G9"):
            call()
    with pytest.raises(YearError, match="'Z'"):
        year.batch("Z")


def test_a_count_naming_a_task_the_plan_lacks_is_refused() -> None:
    year = parse_year(_batches({**A, "count": {"G9": 5}}))  # a typo of G1
    with pytest.raises(YearError, match="G9"):
        batch_counts(year, "A", PLAN, base={"G1": 1000, "G2": 100}, covered={})


# ---------------------------------------------------------------- 2. batch_counts: golden vectors by hand

ONE = parse_plan({"id": "P", "tasks": [{"id": "T", "department": SMJ, "items": ["x"], "ratio": "0"}]})


def test_batch_counts_golden_vectors() -> None:
    year = parse_year(year_doc())  # 5%, shares 0.4 then 0.6
    # T = ceil(0.05 * 1001) = ceil(50.05) = 51; by A: ceil(51 * 0.4) = ceil(20.4) = 21; B takes the rest: 51 - 21
    assert batch_counts(year, "A", ONE, base={"T": 1001}, covered={"T": 0}) == {"T": 21}
    assert batch_counts(year, "B", ONE, base={"T": 1001}, covered={"T": 21}) == {"T": 30}
    assert batch_counts(year, "B", ONE, base={"T": 1001}, covered={"T": 60}) == {"T": 0}  # never negative
    assert batch_counts(year, "A", ONE, base={"T": 0}, covered={}) == {"T": 0}
    # exact arithmetic: 0.07 * 100 is 7.000000000000001 in floats; exactly T = 7, and ceil(7 * 0.3) = 3
    exact = parse_year(year_doc(indicator={"target": "0.07"}, batches=[{**A, "share": "0.3"}, {**A, "id": "B"}]))
    assert batch_counts(exact, "A", ONE, base={"T": 100}, covered={}) == {"T": 3}
    assert batch_counts(exact, "B", ONE, base={"T": 100}, covered={"T": 3}) == {"T": 4}
    explicit = parse_year(_batches({**A, "share": "0.4", "count": {"T": 17}}, {**A, "id": "B"}))
    assert batch_counts(explicit, "A", ONE, base={"T": 1001}, covered={"T": 500}) == {"T": 17}


def test_trajectory_and_a_last_batch_that_takes_the_rest() -> None:
    # 2027 on the trajectory: 8%; T = ceil(0.08 * 1000) = 80; shares 0.25 each sum to 0.75 over three batches
    three = [{**A, "id": b, "share": "0.25"} for b in ("A", "B", "C")]
    year = parse_year(year_doc(indicator={"trajectory": {"2026": "0.03", "2027": "0.08"}}, batches=three))
    assert year.target == Fraction(2, 25)
    assert batch_counts(year, "A", ONE, base={"T": 1000}, covered={}) == {"T": 20}  # ceil(80 / 4)
    assert batch_counts(year, "B", ONE, base={"T": 1000}, covered={"T": 20}) == {"T": 20}  # ceil(80 / 2) - 20
    assert batch_counts(year, "C", ONE, base={"T": 1000}, covered={"T": 40}) == {"T": 40}  # all 80 - 40
    over = parse_year(_batches({**A, "share": "0.7"}, {**A, "id": "B", "share": "0.7"}, {**A, "id": "C"}))
    assert over.cumulative_share("B") == 1
    assert batch_counts(over, "B", ONE, base={"T": 1000}, covered={"T": 35}) == {"T": 15}  # 50 - 35


def test_batch_plan_gives_general_tasks_their_count_as_minimum() -> None:
    year = parse_year(_batches({"id": "A", "window": "2027-02-01:2027-05-31", "share": "0.5"}, {**A, "id": "B"}))
    counts = batch_counts(year, "A", PLAN, base={"G1": 999, "G2": 200}, covered={})
    assert counts == {"G1": 25, "G2": 5}  # ceil(ceil(49.95) / 2) = 25, ceil(10 / 2) = 5; K1 is key: none
    plan = batch_plan(year, "A", PLAN, counts)
    tasks = {t.id: t for t in plan.tasks}
    assert [(t.ratio, t.floor, t.minimum) for t in (tasks["G1"], tasks["G2"])] == [(0, 0, 25), (0, 0, 5)]  # type: ignore[comparison-overlap]
    assert tasks["G1"].strata == ("credit_class",) and tasks["G1"].multipliers == PLAN.tasks[0].multipliers
    assert tasks["K1"] == PLAN.tasks[2]
    assert plan.id == "Y.A" and (str(plan.start), str(plan.end)) == ("2027-02-01", "2027-05-31")
    assert plan.assignment.window is not None
    assert tuple(str(d) for d in plan.assignment.window) == ("2027-02-01", "2027-05-31")


# ---------------------------------------------------------------- 3. ledger_view against a reference

RANK = ("drawn", "staffed", "done", "published")


def reference_view(frame: pd.DataFrame) -> list[list[str]]:
    """The view of the spec, by loops: one row per department visit with a draw, one per check."""
    visits: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
    checks: list[dict[str, Any]] = []
    for rec in cast(list[dict[str, Any]], frame.to_dict("records")):
        if rec["event"] == "check":
            checks.append(rec)
        else:
            visits.setdefault((rec["year"], rec["batch"], rec["visit_id"], rec["department"]), []).append(rec)
    rows = []
    for (year, batch, visit, department), events in sorted(visits.items()):
        drawn = [e for e in events if e["event"] == "drawn"]
        if not drawn:
            continue
        tasks = sorted({t for e in drawn for t in e["task_id"].split(";") if t})
        status = RANK[max(RANK.index(e["event"]) for e in events)]
        staffed = [e for e in events if e["event"] == "staffed"]
        done = [e["date"] for e in events if e["event"] == "done" and e["date"]]
        scheduled = staffed[-1]["date"] if staffed else ""
        date = max(done) if done else scheduled or drawn[0]["date"]
        team = staffed[-1]["inspectors"] if staffed else ""
        where = [year, batch, f"{batch}/{visit}", drawn[0]["uscc"], department]
        rows.append([*where, ";".join(tasks), "random", status, date, scheduled, team])
    for c in checks:
        where = [c["year"], c["batch"], c["visit_id"] or f"check/{c['seq']}", c["uscc"], c["department"]]
        rows.append([*where, "", c["kind"], "check", c["date"], "", c["inspectors"]])
    return sorted(rows, key=lambda r: (r[0], r[8], r[2], r[4]))


def ledger_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    filler = {c: "" for c in COLUMNS} | {"kind": "random", "source": "s", "prev": "0" * 64, "hash": "0" * 64}
    frame = pd.DataFrame([{**filler, **r, "seq": i + 1} for i, r in enumerate(rows)], columns=list(COLUMNS))
    frame["seq"] = frame["seq"].astype("int64")
    for column in COLUMNS[1:]:
        frame[column] = frame[column].astype("str")
    return frame


DATES = st.sampled_from(["", "2027-03-01", "2027-04-15", "2027-11-30", "2028-01-02"])
TEAMS = st.sampled_from(["", "i1", "i1;i2", "i3"])


@st.composite
def events(draw_: st.DrawFn) -> dict[str, Any]:
    event = draw_(st.sampled_from(["drawn", "drawn", "staffed", "done", "published", "check"]))
    firm = draw_(st.sampled_from(["U1", "U2", "U3"]))
    row = {"year": draw_(st.sampled_from(["Y", "Z"])), "event": event, "uscc": firm, "date": draw_(DATES)}
    row |= {"department": draw_(st.sampled_from([SMJ, SW])), "inspectors": draw_(TEAMS)}
    if event == "check":
        row |= {"batch": "", "task_id": "", "visit_id": draw_(st.sampled_from(["", "C1", "C2"]))}
        return row | {"kind": draw_(st.sampled_from(CHECK_KINDS))}
    tasks = draw_(st.sampled_from(["", "G1", "G2", "K1", "G1;K1", "K1;G1", "G1;G1", ";G2"]))
    return row | {
        "batch": draw_(st.sampled_from(["Q1", "Q2"])),
        "task_id": tasks,
        "visit_id": "V" + draw_(st.sampled_from(["U1", "U2"])),
    }


@settings(max_examples=150, deadline=None)
@given(st.lists(events(), max_size=30))
def test_property_ledger_view_is_the_reference(rows: list[dict[str, Any]]) -> None:
    frame = ledger_frame(rows)
    view = ledger_view(frame)
    assert list(view.columns) == VIEW_COLUMNS
    got = view.to_numpy().tolist()
    assert all(isinstance(x, str) for r in got for x in r)
    assert got == reference_view(frame)


def test_ledger_view_by_hand() -> None:
    visit = {"year": "Y", "uscc": "U1", "department": SMJ, "batch": "Q1", "visit_id": "VU1"}
    frame = ledger_frame(
        [
            {**visit, "event": "drawn", "task_id": "K1", "date": "2027-03-01"},
            {**visit, "event": "drawn", "task_id": "G1", "date": "2027-03-01"},
            {**visit, "event": "staffed", "task_id": "G1;K1", "date": "2027-03-09", "inspectors": "a;b"},
            {**visit, "event": "staffed", "task_id": "G1;K1", "date": "", "inspectors": "c;d"},  # undated again
            {"year": "Y", "event": "check", "uscc": "U2", "department": SW, "kind": "complaint", "date": "2027-02-01"},
        ]
    )
    assert ledger_view(frame).to_numpy().tolist() == [
        ["Y", "", "check/5", "U2", SW, "", "complaint", "check", "2027-02-01", "", ""],
        ["Y", "Q1", "Q1/VU1", "U1", SMJ, "G1;K1", "random", "staffed", "2027-03-01", "", "c;d"],
    ]


def test_ledger_view_file_round_trip_and_errors(tmp_path: Path) -> None:
    rows = [["Y", "Q1", "Q1/VU1", "U1", SMJ, "G1", "random", "drawn", "2027-03-01", "", ""]]
    view = view_of(rows, seq=3)
    again = LedgerView.from_dict(json.loads(view.to_bytes()))
    assert again.head == {"seq": 3, "hash": f"{3:064x}"} and again.rows.to_numpy().tolist() == rows
    assert again.to_bytes() == view.to_bytes()
    (tmp_path / LedgerView.FILE).write_bytes(view.to_bytes())
    assert LedgerView.read(tmp_path).rows.to_numpy().tolist() == rows
    good = json.loads(view.to_bytes())
    bad: list[tuple[Callable[[dict[str, Any]], None], str]] = [
        (lambda d: d.update(format="shuangsuiji-ledger-view/0"), "format"),
        (lambda d: d.update(columns=VIEW_COLUMNS[::-1]), "columns"),
        (lambda d: d.update(columns=VIEW_COLUMNS[:-1]), "columns"),
        (lambda d: d.update(rows="none"), "rows"),
        (lambda d: d.update(rows=[rows[0][:-1]]), "rows"),
        (lambda d: d.update(rows=[[*rows[0][:-1], 7]]), "rows"),
        (lambda d: d.pop("head"), "head"),
        (lambda d: d.update(head={"seq": -1, "hash": "0" * 64}), "seq"),
        (lambda d: d.update(head={"seq": 3, "hash": "XYZ"}), "hash"),
        (lambda d: d.update(head={"seq": 0, "hash": "f" * 64}), "empty ledger"),
    ]
    for change, word in bad:
        doc = copy.deepcopy(good)
        change(doc)
        with pytest.raises(LedgerError, match=word):
            LedgerView.from_dict(doc)


# ---------------------------------------------------------------- 4. properties of a whole year


@dataclass(frozen=True)
class Case:
    year: YearPlan
    frames: tuple[pd.DataFrame, ...]


@st.composite
def year_cases(draw_: st.DrawFn) -> Case:
    n = draw_(st.integers(1, 4))
    shares = draw_(st.lists(st.sampled_from([None, "0", "0.1", "0.25", "0.4", "0.6"]), min_size=n, max_size=n))
    target = draw_(st.integers(1, 20))
    batches = [{"id": f"B{i}", "window": WINDOWS[i]} | ({"share": s} if s else {}) for i, s in enumerate(shares)]
    year = parse_year(year_doc(indicator={"target": f"0.{target:02d}"}, batches=batches))
    seed = draw_(st.integers(0, 10_000))
    frame = make_population(draw_(st.integers(200, 1500)), seed=seed)
    frames = [frame]
    rng = np.random.default_rng(seed)
    for i in range(n - 1):
        new = make_population(draw_(st.integers(0, 150)), seed=seed + 20_001 + i)
        frame = pd.concat([frame, new[~new["uscc"].isin(frame["uscc"])]], ignore_index=True)
        gone = rng.choice(len(frame), size=draw_(st.integers(0, 80)), replace=False)
        frame.loc[gone, "status"] = "注销"
        frames.append(frame.copy())
    return Case(year, tuple(frames))


def added(year: YearPlan, batch: str, selection: pd.DataFrame) -> list[list[str]]:
    """The view rows "ledger add" gives a batch's selection: one per row, drawn on the batch's first day."""
    start = year.batch(batch).window[0].isoformat()
    cells = selection[["task_id", "uscc", "department"]].itertuples(index=False)
    return [[year.id, batch, f"{batch}/V{u}", u, d, t, "random", "drawn", start, "", ""] for t, u, d in cells]


def run_year(case: Case, shuffle: int | None = None) -> list[tuple[pd.DataFrame, Any, tuple[str, ...]]]:
    """Each batch drawn in memory; "ledger add" simulated by a view row per selection row."""
    rows: list[list[str]] = []
    out = []
    for i, (batch, frame) in enumerate(zip(case.year.batches, case.frames, strict=True)):
        given_rows, table = rows, frame
        if shuffle is not None:
            table = frame.sample(frac=1, random_state=shuffle + i).reset_index(drop=True)
            given_rows = [rows[j] for j in np.random.default_rng(shuffle + i).permutation(len(rows))]
        population = check_population(table, PLAN)
        prepared = prepare_batch(case.year, batch.id, PLAN, population, view_of(given_rows, seq=len(rows)))
        result = draw(population, prepared.plan, f"{i + 1:064x}", history=prepared.history)
        rows += added(case.year, batch.id, result.selection)
        out.append((result.selection, prepared.record, result.warnings))
    return out


def _shares(year: YearPlan) -> list[Fraction]:
    total, due = Fraction(0), []
    for b in year.batches:
        total += b.share or 0
        due.append(min(Fraction(1), total))
    return [*due[:-1], Fraction(1)]


@settings(max_examples=25, deadline=None)
@given(year_cases())
def test_property_a_year_reaches_its_target_with_disjoint_batches(case: Case) -> None:
    results = run_year(case)
    target = case.year.target
    for task in ("G1", "G2"):
        short = any(f"'{task}'" in w for _, _, warnings in results for w in warnings)
        seen: set[str] = set()
        for (selection, record, _), frame, share in zip(results, case.frames, _shares(case.year), strict=True):
            base = base_of(frame, task)
            drawn = set(selection.loc[selection["task_id"] == task, "uscc"])
            assert not drawn & seen, "batches are disjoint for each general task"
            goal, covered = math.ceil(target * len(base)), len(seen & base)
            due = math.ceil(goal * share)
            count = max(0, due - covered)
            assert dict(record.tasks[task]) == dict(base=len(base), target=goal, due=due, covered=covered, count=count)
            assert drawn <= base
            if not short:
                assert (selection["task_id"] == task).sum() == count
            seen |= drawn
        final = base_of(case.frames[-1], task)
        if not short:
            assert len(seen & final) >= math.ceil(target * len(final))


@settings(max_examples=15, deadline=None)
@given(year_cases(), st.integers(0, 1000))
def test_property_shuffled_rows_give_the_same_year(case: Case, shuffle: int) -> None:
    plain, shuffled = run_year(case), run_year(case, shuffle)
    for (sel, record, warnings), (sel2, record2, warnings2) in zip(plain, shuffled, strict=True):
        pd.testing.assert_frame_equal(sel.reset_index(drop=True), sel2.reset_index(drop=True))
        assert record == record2 and warnings == warnings2


def test_a_shortfall_draws_every_eligible_firm_and_warns() -> None:
    frame = make_population(40, seed=2)
    year = parse_year(_batches({**A, "count": {"G1": 1000, "G2": 0}}, {**A, "id": "B"}))
    population = check_population(frame, PLAN)
    prepared = prepare_batch(year, "A", PLAN, population, view_of([]))
    result = draw(population, prepared.plan, "ab" * 32, history=prepared.history)
    eligible = base_of(frame, "G1")
    assert set(result.selection.loc[result.selection["task_id"] == "G1", "uscc"]) == eligible
    assert any(f"asks for at least 1000 but only {len(eligible)} are eligible" in w for w in result.warnings)
    assert not (result.selection["task_id"] == "G2").any()


# ---------------------------------------------------------------- 5. order and caps


def test_batches_are_drawn_in_order_and_once() -> None:
    year = parse_year(_batches(*({**A, "id": b} for b in ("A", "B", "C"))))
    row = ["Y", "A", "A/VU1", "U1", SMJ, "G1", "random", "drawn", "2027-01-01", "", ""]
    at = {b: [[*row[:1], b, f"{b}/VU1", *row[3:]]] for b in ("A", "B", "C")}
    elsewhere = [["Z", "A", *row[2:]]]  # another year's batch A does not count
    frame = make_population(50, seed=1)
    population = check_population(frame, PLAN)
    assert prepare_batch(year, "B", PLAN, population, view_of(at["A"])).record.batch == "B"
    cases = [
        ("B", [], "comes after \\['A'\\]"),
        ("C", at["A"], "comes after \\['B'\\]"),
        ("B", elsewhere, "comes after \\['A'\\]"),
        ("A", at["A"], "in the ledger already"),
        ("B", at["A"] + at["C"], "comes before \\['C'\\]"),
    ]
    for batch, rows, message in cases:
        with pytest.raises(YearError, match=message):
            prepare_batch(year, batch, PLAN, population, view_of(rows))
        with pytest.raises(YearError, match=message):
            year_rules(view_of(rows).rows, year, batch, PLAN)


def _caps_case(exempt: list[str] | None) -> tuple[YearPlan, list[str], list[list[str]], pd.DataFrame]:
    caps: dict[str, Any] = {"total": 3, "per_department": 2} | ({} if exempt is None else {"exempt": exempt})
    year = parse_year(year_doc(caps=caps, batches=[{**A, "share": "0.1"}, {**A, "id": "B", "share": "0.1"}]))
    frame = make_population(400, seed=7)
    firms = frame.loc[frame["entity_type"].eq("企业") & frame["status"].isin(["存续", "在业"]), "uscc"].tolist()[:6]
    u0, u1, u2, u3, u4, u5 = firms

    def check(u: str, dept: str, kind: str, date: str = "2027-02-01", visit: str = "") -> list[str]:
        return ["Y", "", visit, u, dept, "", kind, "check", date, "", ""]

    def drawn(u: str, dept: str, tasks: str) -> list[str]:
        return ["Y", "A", f"A/V{u}", u, dept, tasks, "random", "drawn", "2027-01-01", "", ""]

    rows = [
        *(check(u0, d, "alert", visit=f"check/{i}") for i, d in enumerate([SMJ, SMJ, SW])),  # 3 visits: at the cap
        drawn(u1, SMJ, "K1"), drawn(u1, SW, ""), check(u1, "应急局", "alert", visit="X"),  # joint visit once: 2
        *(check(u2, SMJ, k, visit=f"check/{9 + i}") for i, k in enumerate(["complaint", "referral", "recheck"])),
        *(check(u3, SMJ, "alert", date="2026-06-01", visit=f"Z{i}") for i in range(3)),  # another calendar year
        check(u4, SW, "other", visit="W1"), check(u4, SW, "other", visit="W2"),  # 2 by 税务局: its cap
        drawn(u5, SMJ, "G1"),
    ]  # fmt: skip
    return year, firms, rows, frame


def test_year_rules_count_visits_once_and_leave_out_exempt_kinds() -> None:
    year, (u0, u1, _, _, u4, u5), rows, _ = _caps_case(None)  # u2: exempt kinds; u3: checks of 2026
    rules = year_rules(view_of(rows).rows, year, "B", PLAN)
    assert dict(rules.total) == {u0: 3, u1: 2, u4: 2, u5: 1}
    assert dict(rules.per_department) == {
        (u0, SMJ): 2, (u0, SW): 1, (u1, SMJ): 1, (u1, SW): 1, (u1, "应急局"): 1, (u4, SW): 2, (u5, SMJ): 1
    }  # fmt: skip
    assert {t: set(f) for t, f in rules.drawn.items()} == {"G1": {u5}, "G2": set()}
    assert (rules.total_cap, rules.department_cap) == (3, 2)


@pytest.mark.parametrize("exempt", [None, []])
def test_caps_exclude_with_their_reasons(exempt: list[str] | None) -> None:
    year, (u0, u1, u2, u3, u4, u5), rows, frame = _caps_case(exempt)
    population = check_population(frame, PLAN)
    prepared = prepare_batch(year, "B", PLAN, population, view_of(rows))
    result = draw(population, prepared.plan, "cd" * 32, history=prepared.history)
    ours = result.excluded[result.excluded["uscc"].isin([u0, u1, u2, u3, u4, u5])]
    got = {(t, u): r for t, u, r in ours[["task_id", "uscc", "reason"]].itertuples(index=False)}
    expected = {(t, u0): "year_cap" for t in ("G1", "G2", "K1")}  # 3 visits reach the total cap of 3
    expected |= {("G2", u4): "department_cap", ("G1", u5): "drawn_this_year"}  # u4: 2 by 税务局; u5: drawn for G1
    if exempt == []:  # nothing exempt: u2's complaint, referral and recheck are 3 visits
        expected |= {(t, u2): "year_cap" for t in ("G1", "G2", "K1")}
    assert got == expected  # u1 (a joint visit and one check: 2) and u3 (checks of 2026) are not excluded


def test_an_eligible_base_still_counts_the_firms_covered_earlier() -> None:
    task = {"id": "G1", "department": SMJ, "items": ["a"], "ratio": "0", "exclude_inspected_within_days": 120}
    plan = parse_plan({"id": "P", "start": "2027-01-01", "tasks": [task]})
    batches = [{"id": "A", "window": "2027-01-01:2027-01-31", "share": "0.5"}, {"id": "B", "window": WINDOWS[0]}]
    year = parse_year(year_doc(indicator={"base": "eligible"}, batches=batches))
    population = check_population(make_population(1000, seed=3).assign(status="存续"), plan)
    rows: list[list[str]] = []
    drawn = 0
    for batch in ("A", "B"):
        prepared = prepare_batch(year, batch, plan, population, view_of(rows))
        selection = draw(population, prepared.plan, "ab" * 32, history=prepared.history).selection
        rows, drawn = rows + added(year, batch, selection), drawn + len(selection)
    assert drawn <= 50  # 5% of 1000 operating firms, and the eligible base is no larger; 25 + 49 are drawn


# ---------------------------------------------------------------- 6. end to end with an SQLite ledger

YEAR_TOML = """\
id = "Y-2027"
year = 2027
plan = "plan.toml"
indicator = { target = "0.06" }
batches = [
    { id = "Q1", window = "2027-03-01:2027-03-31", share = "0.3" },
    { id = "Q2", window = "2027-06-01:2027-06-30", share = "0.3" },
    { id = "Q3", window = "2027-10-01:2027-10-31" },
]
"""
BATCHES = ("Q1", "Q2", "Q3")


@dataclass(frozen=True)
class Run:
    root: Path
    ledger: Path
    frames: list[pd.DataFrame]
    heads: list[int]  # the ledger's seq after each batch was added

    def draws(self) -> list[Path]:
        return [self.root / f"draw-{b}" for b in BATCHES]


@pytest.fixture(scope="module")
def year_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("year")
    (root / "plan.toml").write_text(PLAN_TOML, encoding="utf-8")
    (root / "year.toml").write_text(YEAR_TOML, encoding="utf-8")
    frame = make_population(900, seed=5)
    frames = [frame.copy()]
    for i in (1, 2):  # the register changes between batches: new firms, some deregistered
        new = make_population(120, seed=50 + i)
        frame = pd.concat([frame, new[~new["uscc"].isin(frame["uscc"])]], ignore_index=True)
        frame.loc[np.arange(40 * i, 40 * i + 60), "status"] = "注销"
        frames.append(frame.copy())
    ledger, heads = root / "ledger.sqlite", []
    for i, (batch, frame) in enumerate(zip(BATCHES, frames, strict=True)):
        write_csv(frame, root / f"pop-{batch}.csv")
        out = root / f"draw-{batch}"
        files = year_files(root / "year.toml", batch, root / f"pop-{batch}.csv", out, ledger=ledger)
        run_draw(files, out, seed=f"{i + 7:064x}")
        heads.append(run_ledger_add(ledger, draw=out).head.seq)
    return Run(root, ledger, frames, heads)


def _selection(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "selection.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_end_to_end_batches_verify_and_hold_the_target(year_run: Run) -> None:
    selections = [_selection(d) for d in year_run.draws()]
    # one batch marker and one drawn entry per selection row
    assert year_run.heads == list(np.cumsum([len(s) + 1 for s in selections]))
    for i, (folder, selection) in enumerate(zip(year_run.draws(), selections, strict=True)):
        verification = verify_draw(folder)
        assert verification.ok, str(verification)
        record = Manifest.read(folder).year
        assert record is not None and (record.year, record.batch) == ("Y-2027", BATCHES[i])
        assert record.ledger_head["seq"] == ([0, *year_run.heads][i])
        for task in ("G1", "G2"):
            earlier = {u for s in selections[:i] for u in s.loc[s["task_id"] == task, "uscc"]}
            drawn = set(selection.loc[selection["task_id"] == task, "uscc"])
            assert not drawn & earlier
            base = base_of(year_run.frames[i], task)
            assert record.tasks[task]["covered"] == len(earlier & base)
            assert len(drawn) == record.tasks[task]["count"] > 0
    final = year_run.frames[-1]
    for task in ("G1", "G2"):
        covered = {u for s in selections for u in s.loc[s["task_id"] == task, "uscc"]} & base_of(final, task)
        assert len(covered) >= math.ceil(Fraction(6, 100) * len(base_of(final, task)))
    verification = run_ledger_verify(year_run.ledger, draws=year_run.draws())
    assert verification.ok, str(verification)


def test_year_status_counts_what_the_selections_say(year_run: Run) -> None:
    step = run_year_status(year_run.root / "year.toml", year_run.ledger, population=year_run.root / "pop-Q3.csv")
    selections = [_selection(d) for d in year_run.draws()]
    tasks = step.status.tasks.set_index("task_id")
    final = year_run.frames[-1]
    union: set[str] = set()
    for task, department in (("G1", SMJ), ("G2", SW)):
        base = base_of(final, task)
        drawn = {u for s in selections for u in s.loc[s["task_id"] == task, "uscc"]} & base
        union |= drawn
        row = tasks.loc[task]
        goal = math.ceil(Fraction(6, 100) * len(base))
        assert (row["department"], row["base"], row["target"]) == (department, len(base), goal)
        assert (row["drawn"], row["staffed"], row["done"], row["published"]) == (len(drawn), 0, 0, 0)
        assert row["remaining"] == max(0, goal - len(drawn))
    assert tasks.iloc[-1]["drawn"] == len(union)
    batches = step.status.batches
    assert batches["batch"].tolist() == list(BATCHES) and batches["in_ledger"].all()
    assert batches["firms"].tolist() == [s["uscc"].nunique() for s in selections]
    assert batches["share_due"].tolist() == [0.3, 0.6, 1.0]


def test_an_edited_ledger_row_fails_verification(year_run: Run, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    shutil.copy(year_run.ledger, ledger)
    with sqlite3.connect(ledger) as conn:
        conn.execute("UPDATE ledger SET uscc = '91410302000005194E' WHERE seq = 5")
    verification = run_ledger_verify(ledger, draws=year_run.draws())
    assert not verification.ok
    assert any("seq 5" in c.detail for c in verification.checks if not c.ok)


def test_deleted_last_rows_fail_on_the_recorded_head(year_run: Run, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    shutil.copy(year_run.ledger, ledger)
    with sqlite3.connect(ledger) as conn:  # Q2 and Q3 gone: the chain left is consistent
        conn.execute("DELETE FROM ledger WHERE seq > ?", (year_run.heads[0],))
    assert run_ledger_verify(ledger).ok
    verification = run_ledger_verify(ledger, draws=year_run.draws())
    failed = [c.name for c in verification.checks if not c.ok]
    # Q3 read the ledger at Q2's head, now gone; the draws of Q2 and Q3 are gone from it
    assert any("recorded ledger head" in n and "draw-Q3" in n for n in failed)
    assert f"ledger holds the draw of {year_run.draws()[1]}" in failed  # Q3's view check stops at its head
    assert not any("draw-Q1" in n for n in failed)


def test_an_altered_ledger_view_fails_both_verifications(year_run: Run, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    shutil.copytree(year_run.root, root)
    folder = root / "draw-Q2"
    view = LedgerView.read(folder)
    rows = view.rows.iloc[1:].reset_index(drop=True)  # one firm of Q1 dropped: Q2 could draw it again
    (folder / LedgerView.FILE).write_bytes(LedgerView(view.head, rows).to_bytes())
    failed = [c.name for c in verify_draw(folder).checks if not c.ok]
    assert "input ledger_view" in failed
    checked = run_ledger_verify(year_run.ledger, draws=[folder])
    assert [c.name for c in checked.checks if not c.ok] == [f"ledger view of {folder}"]


# ---------------------------------------------------------------- 7. the command line


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("city")
    write_example_city(folder, entities=3000)
    text = YEAR_TOML.replace('"0.06"', '"0.05"').replace('"0.3" }', '"0.5" }', 1)
    (folder / "year.toml").write_text(text.replace('    { id = "Q3", window = "2027-10-01:2027-10-31" },\n', ""))
    return folder


def _year_draw(city: Path, batch: str, out: Path, *more: str) -> int:
    args = ["year", "draw", str(city / "year.toml"), "--batch", batch, "--population", str(city / "population.csv")]
    return main([*args, "--out", str(out), "--seed", "ef" * 32, *more])


def test_the_command_line_draws_a_year(city: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ledger, history = tmp_path / "ledger.sqlite", str(city / "history.csv")
    for batch in ("Q1", "Q2"):
        assert _year_draw(city, batch, tmp_path / batch, "--ledger", str(ledger), "--history", history) == 0
        assert f"batch {batch}" in capsys.readouterr().out
        assert main(["ledger", "add", str(ledger), "--draw", str(tmp_path / batch)]) == 0
        assert "Ledger head: seq" in capsys.readouterr().out
    assert _year_draw(city, "Q1", tmp_path / "again", "--ledger", str(ledger)) == 2
    err = capsys.readouterr().err
    assert "in the ledger already" in err and "Traceback" not in err
    assert main(["year", "status", str(city / "year.toml"), "--ledger", str(ledger)]) == 0
    out = capsys.readouterr().out
    assert "SC-GS" in out and "SW-FP" in out and "Q2" in out
    draws = [arg for b in ("Q1", "Q2") for arg in ("--draw", str(tmp_path / b))]
    assert main(["ledger", "verify", str(ledger), *draws]) == 0
    assert main(["ledger", "export", str(ledger), "--out", str(tmp_path / "ledger.csv")]) == 0
    capsys.readouterr()
    exported = pd.read_csv(tmp_path / "ledger.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    drawn = sum(len(_selection(tmp_path / b)) for b in ("Q1", "Q2"))
    assert len(exported) == drawn + 2 and set(exported["batch"]) == {"Q1", "Q2"}  # and one marker per batch
    assert set(exported["year"]) == {"Y-2027"} and set(exported["event"]) == {"drawn", "batch"}
    for batch in ("Q1", "Q2"):
        selection = _selection(tmp_path / batch)
        for task in ("SC-GS", "SW-FP"):
            firms = set(selection.loc[selection["task_id"] == task, "uscc"])
            other = _selection(tmp_path / ("Q2" if batch == "Q1" else "Q1"))
            assert firms and not firms & set(other.loc[other["task_id"] == task, "uscc"])
    with sqlite3.connect(ledger) as conn:
        conn.execute("UPDATE ledger SET date = '2027-01-01' WHERE seq = 1")
    assert main(["ledger", "verify", str(ledger), *draws]) == 1
    assert "FAIL" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("batch", "options", "message"),
    [
        ("Q1", [], "--ledger"),
        ("Q1", ["--ledger", "L", "--view", "V"], "not both"),
        ("Q9", ["--ledger", "L"], "no batch 'Q9'"),
        ("Q2", ["--ledger", "L"], "There is no ledger at"),
    ],
    ids=["no ledger or view", "ledger and view", "unknown batch", "no ledger for a later batch"],
)
def test_the_command_line_refuses_a_bad_year_draw(
    city: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], batch: str, options: list[str], message: str
) -> None:
    options = [str(tmp_path / o) if o in ("L", "V") else o for o in options]
    assert _year_draw(city, batch, tmp_path / "out", *options) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


# ---------------------------------------------------------------- review findings


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"caps": {"exempt": ["complaints"]}}, "not kinds of check"),
        ({"caps": {"exempt": ""}}, "caps.exempt"),
        ({"indicator": {"target": "0.05", "trajectory": {"2027": "0.05"}}}, "both 'target' and 'trajectory'"),
        ({"batches": [{"id": "Q1", "window": "2026-12-01:2027-01-31"}]}, "is not in 2027"),
    ],
    ids=["unknown exempt kind", "exempt not a list", "target and trajectory", "window outside the year"],
)
def test_year_plans_that_say_too_much_or_the_wrong_thing_are_refused(change: dict[str, Any], message: str) -> None:
    doc = {"id": "Y", "year": 2027, "plan": "p", "batches": [{"id": "Q1", "window": "2027-01-01:2027-06-30"}]}
    doc.update(change)
    with pytest.raises(YearError, match=re.escape(message)):
        parse_year(doc)


def test_an_empty_exempt_list_counts_every_kind() -> None:
    doc = {"id": "Y", "year": 2027, "plan": "p", "caps": {"exempt": []}}
    doc["batches"] = [{"id": "Q1", "window": "2027-01-01:2027-06-30"}]
    assert parse_year(doc).caps.exempt == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("rows"), "rows"),
        (lambda d: d["rows"][0].__setitem__(VIEW_COLUMNS.index("date"), "2027-13-45"), "dates are YYYY-MM-DD"),
        (lambda d: d["rows"][0].__setitem__(VIEW_COLUMNS.index("date"), "yesterday"), "dates are YYYY-MM-DD"),
        (lambda d: d["rows"][0].__setitem__(VIEW_COLUMNS.index("scheduled"), "2027-1-5"), "dates are YYYY-MM-DD"),
    ],
    ids=["no rows", "impossible date", "not a date", "short date"],
)
def test_a_ledger_view_with_bad_rows_is_a_ledger_error(change: Callable[[dict[str, Any]], None], message: str) -> None:
    row = ["Y", "Q1", "Q1/V1", "91410302000005194E", "d", "T", "random", "drawn", "2027-03-01", "", ""]
    doc = {"format": "shuangsuiji-ledger-view/1", "head": {"seq": 0, "hash": "0" * 64}}
    doc |= {"columns": VIEW_COLUMNS, "rows": [row]}
    LedgerView.from_dict(copy.deepcopy(doc))
    change(doc)
    with pytest.raises(LedgerError, match=re.escape(message)):
        LedgerView.from_dict(doc)


def test_notice_workbooks_hold_no_clock_time() -> None:
    notice = Notice("t", pd.DataFrame({"统一社会信用代码": ["91410302000005194E"]}))
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes(notice))) as book:
        core = book.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core


def test_a_batch_that_draws_no_firm_is_still_in_the_ledger(city: Path, tmp_path: Path) -> None:
    text = YEAR_TOML.replace(
        '{ id = "Q1", window = "2027-03-01:2027-03-31", share = "0.3" }',
        '{ id = "Q1", window = "2027-03-01:2027-03-31", share = "0", tasks = ["SC-GS"] }',
    )
    (city / "empty-year.toml").write_text(text.replace("Y-2027", "E-2027"), encoding="utf-8")
    year, ledger = city / "empty-year.toml", tmp_path / "ledger.sqlite"
    draws = []
    for batch in ("Q1", "Q2"):
        out = tmp_path / batch
        files = year_files(year, batch, city / "population.csv", out, ledger=ledger)
        run_draw(files, out, seed="ab" * 32)
        run_ledger_add(ledger, draw=out)
        draws.append(out)
    assert _selection(draws[0]).empty and not _selection(draws[1]).empty
    assert run_ledger_verify(ledger, draws=draws).ok
