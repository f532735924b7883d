"""The inspection ledger: chain, tamper evidence, concurrency, exports and the ``ledger add`` sources.

Every test that touches a ledger runs against an SQLite file and, when ``SHUANGSUIJI_TEST_POSTGRES``
names a reachable server (an SQLAlchemy URL; ``.ci/run`` starts one), against PostgreSQL, each test
in a schema of its own that is dropped afterwards; without a server the PostgreSQL cases skip and
say why.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from hypothesis import given, settings, strategies as st
from sqlalchemy.schema import CreateSchema, DropSchema

from shuangsuiji._json import canonical_json as canonical
from shuangsuiji.checks import Verification
from shuangsuiji.cli import main
from shuangsuiji.exceptions import ChecksError, LedgerError, ResultsError
from shuangsuiji.io import read_table, sha256_file, write_csv
from shuangsuiji.ledger import (
    CHECK_KINDS,
    COLUMNS,
    EVENTS,
    FIELDS,
    LEDGER_FORMAT,
    ZERO_HASH,
    Ledger,
    LedgerEntry,
    LedgerHead,
    assignment_entries,
    check_entries,
    draw_entries,
    result_entries,
    verify_rows,
)
from shuangsuiji.manifest import Manifest
from shuangsuiji.notices import RESULT_CATEGORIES
from shuangsuiji.synthetic import make_roster
from shuangsuiji.workflow._ledger import run_ledger_add, run_ledger_export, run_ledger_verify

from .assign_helpers import codes
from .conftest import example_inputs, publish_staffed

DOCS = Path(__file__).resolve().parent.parent / "docs" / "ledger.md"
PG_URL = os.environ.get("SHUANGSUIJI_TEST_POSTGRES", "")
UC = "91410302000005194E"
SMJ = "市场监管局"


# ---------------------------------------------------------------- backends


@functools.cache
def postgres_problem() -> str | None:
    """Why the PostgreSQL cases cannot run here, or ``None``."""
    if not PG_URL:
        return (
            "SHUANGSUIJI_TEST_POSTGRES is not set, so there is no PostgreSQL server to test the ledger "
            "against (.ci/run installs and starts one)"
        )
    shown = sa.make_url(PG_URL).render_as_string(hide_password=True)
    try:
        engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 5})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        why = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
        return f"the PostgreSQL server of SHUANGSUIJI_TEST_POSTGRES ({shown}) is not reachable: {why}"
    return None


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql", marks=pytest.mark.skipif(postgres_problem() is not None, reason=str(postgres_problem()))
    ),
]


@dataclass(frozen=True)
class Where:
    """A ledger's place: a file path or URL, and the schema of a PostgreSQL test."""

    url: str
    schema: str | None = None

    def open(self, **options: Any) -> Ledger:
        return Ledger.open(self.url, schema=self.schema, **options)

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.url if "://" in self.url else sa.URL.create("sqlite", database=self.url))

    def table(self) -> sa.TableClause:
        return sa.table("ledger", *(sa.column(c) for c in COLUMNS), schema=self.schema)

    def run(self, *statements: Any) -> None:
        """Statements executed behind the library's back (the tamperer's view)."""
        engine = self.engine()
        with engine.begin() as conn:
            for s in statements:
                if isinstance(s, str):
                    conn.exec_driver_sql(s)
                else:
                    conn.execute(s)
        engine.dispose()


@contextlib.contextmanager
def fresh(backend: str, folder: Path) -> Iterator[Where]:
    """A new, empty place for a ledger: a file of its own, or a schema of its own (dropped afterwards)."""
    if backend == "sqlite":
        yield Where(str(folder / f"ledger-{uuid.uuid4().hex}.db"))
        return
    schema = f"ledger_test_{uuid.uuid4().hex[:16]}"
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(CreateSchema(schema))
    try:
        yield Where(PG_URL, schema)
    finally:
        with engine.begin() as conn:
            conn.execute(DropSchema(schema, cascade=True))
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def where(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Where]:
    with fresh(request.param, tmp_path) as place:
        yield place


def entry(i: int = 0, **fields: str) -> LedgerEntry:
    base = {"year": "2027", "event": "drawn", "uscc": codes(i + 1)[i], "department": SMJ, "batch": "Q1"}
    base.update(task_id="SC-GS", visit_id="V" + base["uscc"], date="2027-03-01")
    base.update(fields)
    return LedgerEntry(**base)


def checks(n: int, start: int = 0) -> list[LedgerEntry]:
    return [
        entry(start + i, event="check", kind=CHECK_KINDS[i % len(CHECK_KINDS)], batch="", task_id="", detail=f"d{i}")
        for i in range(n)
    ]


def failed(v: Verification) -> list[str]:
    return [str(c) for c in v.checks if not c.ok]


# ---------------------------------------------------------------- the chain and its golden vector

GOLDEN_1 = LedgerEntry(
    year="2027",
    event="drawn",
    uscc=UC,
    department=SMJ,
    batch="LY-2027-Q1",
    task_id="SC-GS",
    visit_id="V" + UC,
    date="2027-03-01",
    source="manifest " + "ab" * 32,
)
GOLDEN_2 = LedgerEntry(
    year="2027",
    event="check",
    uscc=UC,
    department=SMJ,
    kind="complaint",
    date="2027-05-06",
    inspectors="410302-10001;410302-10002",
    detail="投诉举报：无照经营",
    source="checks " + "cd" * 32,
)
#: Written by hand in docs/ledger.md and checked there with printf ... | sha256sum.
GOLDEN_HASH_1 = "f12161301a373a0fd999714133f3d8d6af6ff586f3d3237556cb8f382293557f"
GOLDEN_HASH_2 = "9384cc0a780c4efa0a37914644096a356245f1a0fe23571b016ed39dc25aa19e"


def test_golden_vector_is_recomputed_independently_and_written_in_the_docs(where: Where) -> None:
    # Independently of the library's hashing: canonical JSON by hand, then hashlib.
    doc = {"format": LEDGER_FORMAT, "seq": 1, "prev": "0" * 64, **vars(GOLDEN_1)}
    line_1 = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert line_1.encode() == canonical(doc)
    assert hashlib.sha256(line_1.encode()).hexdigest() == GOLDEN_HASH_1
    doc_2 = {"format": LEDGER_FORMAT, "seq": 2, "prev": GOLDEN_HASH_1, **vars(GOLDEN_2)}
    line_2 = json.dumps(doc_2, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert hashlib.sha256(line_2.encode()).hexdigest() == GOLDEN_HASH_2
    text = DOCS.read_text(encoding="utf-8")
    for pinned in (line_1, line_2, GOLDEN_HASH_1, GOLDEN_HASH_2):
        assert pinned in text
    with where.open() as ledger:
        assert ledger.append([GOLDEN_1, GOLDEN_2]) == LedgerHead(2, GOLDEN_HASH_2)
        frame = ledger.frame()
    assert frame["hash"].tolist() == [GOLDEN_HASH_1, GOLDEN_HASH_2]
    assert frame["prev"].tolist() == [ZERO_HASH, GOLDEN_HASH_1]


def test_chain_round_trip(where: Where) -> None:
    batches = [
        [entry(0, source="manifest m1"), entry(1, event="staffed", inspectors="a;b", source="assignment a1")],
        checks(3, start=2),
        [entry(5, event="done", result="正常")],
    ]
    with where.open() as ledger:
        assert ledger.head() == LedgerHead(0, ZERO_HASH)
        heads = [ledger.append(b) for b in batches]
        assert [h.seq for h in heads] == [2, 5, 6]
        assert ledger.head() == heads[-1]
        assert ledger.append([]) == heads[-1]
    with where.open() as again:  # a second opening finds the same table
        frame = again.frame()
        assert list(frame.columns) == list(COLUMNS)
        assert frame["seq"].tolist() == [1, 2, 3, 4, 5, 6]
        assert str(frame["seq"].dtype) == "int64"
        assert [LedgerEntry(**{f: r[f] for f in FIELDS}) for r in frame.to_dict("records")] == [
            e for b in batches for e in b
        ]
        assert frame["prev"].tolist()[1:] == frame["hash"].tolist()[:-1]
        assert again.sources() == {"manifest m1", "assignment a1", ""}
        assert len(again.frame(upto=heads[0])) == 2
        assert len(again.frame(upto=LedgerHead(0, ZERO_HASH))) == 0
        assert again.frame(year="2028").empty
        with pytest.raises(LedgerError, match="not a head of this ledger"):
            again.frame(upto=LedgerHead(2, heads[1].hash))
        v = again.verify({"Q1 manifest": heads[0], "Q2 manifest": heads[1]})
    assert v.ok, str(v)
    assert len(v.checks) == 3


def test_entries_are_checked_and_append_is_all_or_nothing(where: Where) -> None:
    bad = {"event": "nope", "kind": "complaint", "year": "2027 Q1", "date": "2027-02-30", "uscc": " "}
    with where.open() as ledger:
        first = ledger.append([entry(0, source="manifest m1")])
        for field, value in bad.items():
            with pytest.raises(LedgerError) as info:
                ledger.append([entry(1), replace(entry(2), **{field: value}), entry(3)])
            assert f"'{field}'" in str(info.value) and repr(value) in str(info.value)
        with pytest.raises(LedgerError, match="'kind' of a check"):
            ledger.append([entry(1, event="check", kind="random")])
        with pytest.raises(LedgerError, match="already in the ledger: manifest m1"):
            ledger.append([entry(4, source="results r1"), entry(5, source="manifest m1")])
        with pytest.raises(LedgerError, match="one LedgerEntry"):
            ledger.append(entry(6))  # type: ignore[arg-type]
        assert ledger.head() == first
        assert len(ledger.frame()) == 1


def _boom_trigger(where: Where) -> list[str]:
    """A trigger by which the database refuses a row whose detail is "boom"."""
    if where.schema is None:
        return [
            "CREATE TRIGGER boom BEFORE INSERT ON ledger WHEN NEW.detail = 'boom' "
            "BEGIN SELECT RAISE(ABORT, 'boom'); END"
        ]
    s = where.schema
    return [
        f"CREATE FUNCTION {s}.boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.detail = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$",
        f"CREATE TRIGGER boom BEFORE INSERT ON {s}.ledger FOR EACH ROW EXECUTE FUNCTION {s}.boom()",
    ]


def test_a_failure_inside_the_transaction_writes_nothing(where: Where) -> None:
    with where.open() as ledger:
        first = ledger.append(checks(2))
        where.run(*_boom_trigger(where))  # the database itself refuses the third row of the next append
        with pytest.raises(LedgerError, match=r"could not append.*boom"):
            ledger.append([*checks(2, start=2), replace(checks(1, start=4)[0], detail="boom")])
        assert ledger.head() == first
        assert ledger.append(checks(1, start=5)).seq == 3
        assert ledger.verify().ok


# ---------------------------------------------------------------- tamper evidence


def _five(where: Where) -> list[LedgerHead]:
    with where.open() as ledger:
        return [ledger.append([e]) for e in checks(5)]


def _verify(where: Where, heads: dict[str, LedgerHead] | None = None) -> Verification:
    with where.open(create=False) as ledger:
        return ledger.verify(heads)


def test_an_intact_chain_verifies(where: Where) -> None:
    heads = _five(where)
    v = _verify(where, {"batch 1": heads[1], "batch 2": heads[4], "before": LedgerHead(0, ZERO_HASH)})
    assert v.ok, str(v)
    assert "5 entries" in str(v)
    with where.open() as ledger:
        assert run_ledger_verify(ledger, heads={"last": heads[-1]}).ok


def test_an_edited_row_is_found(where: Where) -> None:
    _five(where)
    t = where.table()
    where.run(sa.update(t).where(t.c.seq == 2).values(detail="nothing happened"))
    v = _verify(where)
    assert not v.ok
    assert failed(v) == [
        "FAIL  ledger chain: broken at seq 2: its hash is not the SHA-256 of its fields (the row was changed)"
    ]


def test_an_edited_row_with_its_hash_recomputed_breaks_the_next(where: Where) -> None:
    _five(where)
    with where.open() as ledger:
        row = ledger.frame().to_dict("records")[1]
    forged = replace(LedgerEntry(**{f: row[f] for f in FIELDS}), detail="nothing happened")
    t = where.table()
    digest = hashlib.sha256(canonical({"format": LEDGER_FORMAT, "seq": 2, "prev": row["prev"], **vars(forged)}))
    where.run(sa.update(t).where(t.c.seq == 2).values(detail="nothing happened", hash=digest.hexdigest()))
    v = _verify(where)
    assert not v.ok
    assert "broken at seq 3: its prev is not the hash of seq 2" in str(v)


def test_an_inserted_row_is_found(where: Where) -> None:
    _five(where)
    with where.open() as ledger:
        rows = ledger.frame().to_dict("records")
    t = where.table()
    extra = checks(1, start=7)[0]
    doc = {"format": LEDGER_FORMAT, "seq": 3, "prev": rows[1]["hash"], **vars(extra)}
    forged = {"seq": 3, **vars(extra), "prev": rows[1]["hash"], "hash": hashlib.sha256(canonical(doc)).hexdigest()}
    where.run(
        sa.update(t).where(t.c.seq >= 3).values(seq=t.c.seq + 1000),
        sa.update(t).where(t.c.seq >= 1000).values(seq=t.c.seq - 999),
        sa.insert(t).values(**forged),
    )
    v = _verify(where)
    assert not v.ok
    assert "broken at seq 4: its prev is not the hash of seq 3" in str(v)


def test_a_deleted_row_is_found_in_the_middle(where: Where) -> None:
    _five(where)
    t = where.table()
    where.run(sa.delete(t).where(t.c.seq == 3))
    v = _verify(where)
    assert not v.ok
    assert "broken at seq 3: the row in its place has seq 4" in str(v)


def test_a_deleted_middle_row_renumbered_is_found(where: Where) -> None:
    _five(where)
    t = where.table()
    where.run(sa.delete(t).where(t.c.seq == 3), sa.update(t).where(t.c.seq > 3).values(seq=t.c.seq - 1))
    v = _verify(where)
    assert "broken at seq 3: its prev is not the hash of seq 2" in str(v)


def test_a_deleted_last_row_is_found_by_a_recorded_head(where: Where) -> None:
    heads = _five(where)
    t = where.table()
    where.run(sa.delete(t).where(t.c.seq == 5))
    assert _verify(where).ok  # a shorter chain is still a chain ...
    v = _verify(where, {"Q2 manifest": heads[-1], "Q1 manifest": heads[1]})
    assert not v.ok  # ... but the head a batch manifest recorded is gone
    assert failed(v) == [
        "FAIL  recorded ledger head 'Q2 manifest': broken at seq 5: the head was recorded at seq 5, "
        "but the ledger has 4 entries (rows were deleted)"
    ]


def test_a_recorded_head_that_is_not_in_the_chain_fails(where: Where) -> None:
    heads = _five(where)
    v = _verify(where, {"forged": LedgerHead(3, "f" * 64), "true": heads[2]})
    assert not v.ok
    assert failed(v) == [
        f"FAIL  recorded ledger head 'forged': broken at seq 3: the row's hash {heads[2].hash} is not the recorded "
        f"{'f' * 64} (the ledger was changed up to that row since the head was recorded)"
    ]
    assert "FAIL  recorded ledger head 'later'" in str(_verify(where, {"later": LedgerHead(9, heads[0].hash)}))
    with where.open() as ledger, pytest.raises(LedgerError, match="not a head of this ledger"):
        ledger.frame(upto=LedgerHead(3, heads[1].hash))
    with where.open() as ledger:
        ledger.require_head(heads[2])
        ledger.require_head(LedgerHead(0, "0" * 64))
        with pytest.raises(LedgerError, match="its row there does not exist"):
            ledger.require_head(LedgerHead(9, heads[0].hash))


def test_append_refuses_a_ledger_whose_last_row_was_changed(where: Where) -> None:
    _five(where)
    t = where.table()
    where.run(sa.update(t).where(t.c.seq == 5).values(detail="x"))
    with where.open() as ledger, pytest.raises(LedgerError, match=r"last row \(seq 5\) does not match its hash"):
        ledger.append(checks(1, start=9))


def test_head_from_dict() -> None:
    h = LedgerHead(3, "ab" * 32)
    assert LedgerHead.from_dict(h.to_dict()) == h
    assert LedgerHead.from_dict(json.loads(json.dumps(h.to_dict()))) == h
    for bad in (
        {"seq": -1, "hash": "ab" * 32},
        {"seq": True, "hash": "ab" * 32},
        {"seq": 1, "hash": "AB" * 32},
        {"seq": 0, "hash": "ab" * 32},
        {"seq": 1},
        [1, "ab"],
        {"seq": 1, "hash": "ab" * 32, "x": 1},
    ):
        with pytest.raises(LedgerError):
            LedgerHead.from_dict(bad)


# ---------------------------------------------------------------- concurrency


def _writer(place: Where, worker: int, rounds: int, start: Any) -> None:
    with place.open() as ledger:
        start.wait(timeout=60)  # every writer starts appending at the same moment
        for r in range(rounds):
            batch = [entry(i, event="check", kind="other", detail=f"w{worker} r{r} i{i}") for i in range(1 + r % 3)]
            ledger.append(batch)


def test_two_processes_appending_at_once_never_fork_the_chain(where: Where) -> None:
    where.open().close()  # the table exists before the writers start
    ctx = multiprocessing.get_context("fork")
    rounds, writers = 30, 3
    start = ctx.Barrier(writers)
    procs = [ctx.Process(target=_writer, args=(where, w, rounds, start)) for w in range(writers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0] * writers  # no append was refused: the lock serialised them
    per_worker = sum(1 + r % 3 for r in range(rounds))
    with where.open() as ledger:
        frame = ledger.frame()
        v = ledger.verify()
    assert v.ok, str(v)
    assert frame["seq"].tolist() == list(range(1, writers * per_worker + 1))
    for w in range(writers):  # each writer's entries in its order, each of its batches whole
        mine = frame[frame["detail"].str.startswith(f"w{w} ")]["detail"].tolist()
        assert mine == [f"w{w} r{r} i{i}" for r in range(rounds) for i in range(1 + r % 3)]
        for r in range(rounds):
            seqs = frame[frame["detail"].str.startswith(f"w{w} r{r} ")]["seq"].tolist()
            assert seqs == list(range(seqs[0], seqs[0] + 1 + r % 3))


# ---------------------------------------------------------------- exports


def test_export_to_csv_xlsx_and_parquet(where: Where, tmp_path: Path) -> None:
    with where.open() as ledger:
        ledger.append(
            [*checks(2), entry(3, event="check", kind="alert", detail="=1+1"), entry(4, detail="http://x.cn")]
        )
        frame = ledger.frame()
        csv = ledger.export(tmp_path / "ledger.csv")
        xlsx = run_ledger_export(ledger, tmp_path / "ledger.xlsx")
        parquet = ledger.export(tmp_path / "out" / "ledger.parquet")
        with pytest.raises(LedgerError, match=re.escape("exports to .csv, .xlsx, .parquet")):
            ledger.export(tmp_path / "ledger.json")
    assert not (tmp_path / "ledger.json").exists()
    assert not [p for p in tmp_path.rglob("*.tmp")]
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    back = read_table(csv)
    assert list(back.columns) == list(COLUMNS)
    assert back["seq"].tolist() == ["1", "2", "3", "4"]
    assert back.drop(columns="seq").to_numpy().tolist() == frame.drop(columns="seq").to_numpy().tolist()
    book = openpyxl.load_workbook(xlsx)
    cells = [c for row in book.active.iter_rows() for c in row]
    assert {c.data_type for c in cells} == {"s"}
    assert [r[COLUMNS.index("detail")].value for r in book.active.iter_rows(min_row=2)][2:] == ["=1+1", "http://x.cn"]
    assert not any(c.hyperlink for c in cells)
    table = pq.read_table(parquet)
    assert str(table.schema.field("seq").type) == "int64"
    assert all(str(table.schema.field(c).type) == "string" for c in COLUMNS[1:])
    rows = table.to_pylist()
    assert rows == frame.to_dict("records")
    assert verify_rows(rows).ok  # the export alone recomputes the chain
    rows[2]["detail"] = "=2+2"
    assert "broken at seq 3" in str(verify_rows(rows))


def test_verify_and_export_refuse_a_missing_or_foreign_ledger(where: Where, tmp_path: Path) -> None:
    if where.schema is None:
        with pytest.raises(LedgerError, match="no ledger at"):
            run_ledger_verify(tmp_path / "missing.db")
        assert not (tmp_path / "missing.db").exists()
        with pytest.raises(LedgerError, match="has no schema"):
            Ledger.open(tmp_path / "x.db", schema="s")
    prefix = where.schema + "." if where.schema else ""
    where.run(f"CREATE TABLE {prefix}other (id integer)")
    with pytest.raises(LedgerError, match="no ledger table"):
        where.open(create=False)
    where.run(f"CREATE TABLE {prefix}ledger (id integer)")
    with pytest.raises(LedgerError, match="is not a shuangsuiji ledger"):
        where.open()


# ---------------------------------------------------------------- the sources of `ledger add`


@pytest.fixture(scope="module")
def staffed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published, staffed draw of the example city (joint visits included)."""
    return publish_staffed(tmp_path_factory.mktemp("staffed"), entities=1500, seed=5, people=("relations",))


def _results(draw: Path, n: int) -> pd.DataFrame:
    selection = read_table(draw / "selection.csv").head(n)
    return pd.DataFrame(
        {
            "task_id": selection["task_id"].tolist(),
            "uscc": selection["uscc"].tolist(),
            "result": [RESULT_CATEGORIES[i % len(RESULT_CATEGORIES)] for i in range(len(selection))],
            "completed": [f"2027-04-{1 + i % 28:02d}" for i in range(len(selection))],
        }
    )


def _results_xlsx(results: pd.DataFrame, path: Path) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["任务编号", "统一社会信用代码", "检查结果", "检查完成日期"])
    for r in results.to_dict("records"):
        ws.append([r["task_id"], r["uscc"], r["result"], dt.date.fromisoformat(r["completed"])])
    book.save(path)
    return path


def test_draw_and_assignment_entries(staffed: Path) -> None:
    manifest = Manifest.read(staffed)
    selection = read_table(staffed / "selection.csv")
    drawn = draw_entries(staffed, year="2027", batch="Q1")
    assert len(drawn) == len(selection)
    assert {e.event for e in drawn} == {"drawn"}
    assert {e.date for e in drawn} == {"2027-03-01"} == {str(manifest.plan["start"])}
    assert (
        {e.source for e in drawn}
        == {f"manifest {manifest.sha256}"}
        == {f"manifest {sha256_file(staffed / 'manifest.json')}"}
    )
    assert [(e.task_id, e.uscc, e.department) for e in drawn] == list(
        zip(selection["task_id"], selection["uscc"], selection["department"], strict=True)
    )
    assert all(e.visit_id == "V" + e.uscc and e.batch == "Q1" for e in drawn)
    assert {e.batch for e in draw_entries(staffed, year="2027")} == {"LY-2027-Q1"}  # the plan id by default

    visits = read_table(staffed / "visits.csv")
    teams = read_table(staffed / "teams.csv")
    ok = visits[visits["status"].isin(["staffed", "undated"])]
    staffed_entries = assignment_entries(staffed, year="2027", batch="Q1")
    expected = teams[teams["visit_id"].isin(ok["visit_id"])].groupby(["visit_id", "department"])["inspector_id"]
    assert len(staffed_entries) == expected.ngroups > 0
    got = {(e.visit_id, e.department): e for e in staffed_entries}
    department = dict(
        zip(zip(selection["task_id"], selection["uscc"], strict=True), selection["department"], strict=True)
    )
    dates = dict(zip(visits["visit_id"], visits["date"], strict=True))
    for key, ids in expected:
        vid, dep = str(key[0]), str(key[1])
        e = got[(vid, dep)]
        assert e.inspectors == ";".join(sorted(ids))
        assert e.date == dates[vid]
        assert (e.event, e.kind, e.batch, e.uscc) == ("staffed", "random", "Q1", vid[1:])
        assert e.task_id and {department[(t, e.uscc)] for t in e.task_id.split(";")} == {dep}
    joint = [v for v in ok["visit_id"] if sum(k[0] == v for k in got) > 1]
    assert joint  # a joint visit: one entry per department, one visit id
    assert {e.source for e in staffed_entries} == {f"assignment {sha256_file(staffed / 'assignment.json')}"}


def test_a_published_file_that_differs_from_its_manifest_is_refused(staffed: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(staffed, tmp_path / "copy"))
    teams = (copy / "teams.csv").read_bytes()
    (copy / "teams.csv").write_bytes(teams.replace(b"lead", b"member", 1))
    with pytest.raises(LedgerError, match=re.escape("teams.csv is missing or is not the file assignment.json names")):
        assignment_entries(copy, year="2027")


def _publish_with_expert(tmp: Path) -> Path:
    """The example city with an outside food expert (专家库) on every visit of SC-SP, published and staffed."""
    assert main(["example", "--out", str(tmp / "in"), "--entities", "1500", "--seed", "5"]) == 0
    plan = tmp / "in" / "plan.toml"
    text = plan.read_text(encoding="utf-8")
    plan.write_text(
        text.replace('certificates = ["食品"]', 'certificates = ["食品"]\nexpert = "食品"', 1), encoding="utf-8"
    )
    out = tmp / "draw"
    assert main(["draw", *example_inputs(tmp), "--seed", "ab" * 32, "--out", str(out)]) == 0
    population = pd.read_csv(tmp / "in/population.csv", dtype=str, encoding="utf-8-sig")
    write_csv(make_roster(population, seed=5), tmp / "in/roster.csv")
    args = ["assign", str(out), "--population", str(tmp / "in/population.csv"), "--roster", str(tmp / "in/roster.csv")]
    assert main([*args, f"--calendar-overrides={tmp / 'in/calendar-2027.csv'}", "--allow-partial"]) == 0
    return out


def test_an_expert_gets_an_entry_per_field(tmp_path: Path) -> None:
    draw = _publish_with_expert(tmp_path)
    teams = read_table(draw / "teams.csv")
    experts = teams[teams["role"] == "expert"]
    assert len(experts) > 0
    entries = [e for e in assignment_entries(draw, year="2027") if e.detail == "expert"]
    assert {e.department for e in entries} == {"食品"}
    assert sorted((e.visit_id, e.inspectors) for e in entries) == sorted(
        zip(experts["visit_id"], experts["inspector_id"], strict=True)
    )
    assert {e.task_id for e in entries} == {"SC-SP"}


def test_result_entries_from_csv_and_from_an_xlsx_with_chinese_headers(staffed: Path, tmp_path: Path) -> None:
    results = _results(staffed, 25)
    write_csv(results, tmp_path / "results.csv")
    xlsx = _results_xlsx(results, tmp_path / "检查结果.xlsx")
    from_csv = result_entries(tmp_path / "results.csv", staffed, year="2027", batch="Q1")
    from_xlsx = result_entries(xlsx, staffed, year="2027", batch="Q1")
    assert [replace(e, source="") for e in from_csv] == [replace(e, source="") for e in from_xlsx]
    assert {e.source for e in from_xlsx} == {f"results {sha256_file(xlsx)}"}
    selection = read_table(staffed / "selection.csv").head(25)
    assert [(e.task_id, e.uscc, e.department, e.result, e.date) for e in from_csv] == list(
        zip(
            selection["task_id"],
            selection["uscc"],
            selection["department"],
            results["result"],
            results["completed"],
            strict=True,
        )
    )
    assert {e.event for e in from_csv} == {"done"}
    results.loc[3, "uscc"] = UC
    results.loc[4, "result"] = "良好"
    write_csv(results, tmp_path / "bad.csv")
    with pytest.raises(ResultsError) as info:
        result_entries(tmp_path / "bad.csv", staffed, year="2027")
    assert {(p.row, p.column) for p in info.value.problems} == {(5, "uscc"), (6, "result")}


def test_ledger_add_a_draw_its_results_and_refuse_them_twice(where: Where, staffed: Path, tmp_path: Path) -> None:
    results = _results(staffed, 10)
    write_csv(results, tmp_path / "results.csv")
    with where.open() as ledger:
        step = run_ledger_add(ledger, year="2027", batch="Q1", draw=staffed)
        n_drawn = len(read_table(staffed / "selection.csv"))
        n_staffed = len(assignment_entries(staffed, year="2027"))
        assert step.added == n_drawn + n_staffed
        assert step.head == ledger.head() and step.head.seq == step.added
        assert len(step.sources) == 2
        with pytest.raises(LedgerError, match="already in the ledger"):
            run_ledger_add(ledger, year="2027", batch="Q1", draw=staffed)
        with pytest.raises(LedgerError, match="already in the ledger"):
            ledger.append(draw_entries(staffed, year="2027"))
        done = run_ledger_add(ledger, year="2027", batch="Q1", draw=staffed, results=tmp_path / "results.csv")
        assert done.added == 10  # the draw, already there, is left out
        with pytest.raises(LedgerError, match="already in the ledger: results"):
            run_ledger_add(ledger, year="2027", batch="Q1", draw=staffed, results=tmp_path / "results.csv")
        with pytest.raises(LedgerError, match="need the draw"):
            run_ledger_add(ledger, year="2027", results=tmp_path / "results.csv")
        frame = ledger.frame()
        assert frame["event"].value_counts().to_dict() == {"drawn": n_drawn, "staffed": n_staffed, "done": 10}
        assert ledger.verify().ok
        assert len(ledger.sources()) == 3


def _checks_table(rows: list[list[str]], path: Path, header: list[str] | None = None) -> Path:
    header = header or ["uscc", "department", "date", "kind", "reason", "inspectors"]
    write_csv(pd.DataFrame(rows, columns=header), path)
    return path


def test_checks_outside_the_draw(where: Where, tmp_path: Path) -> None:
    uc = codes(3)
    path = _checks_table(
        [
            [uc[0], SMJ, "2027-05-06", "投诉举报", "消费者投诉", "410302-2；410302-1"],
            [uc[1], "税务局", "2027-06-01", "recheck", "整改复查", ""],
            [uc[2], SMJ, "2027-07-01", "大数据预警", "价格异常", "x"],
        ],
        tmp_path / "checks.csv",
        ["统一社会信用代码", "检查部门", "检查日期", "检查类型", "检查原因", "检查人员"],
    )
    entries = check_entries(path, year="2027")
    assert [(e.kind, e.inspectors, e.detail, e.event, e.batch) for e in entries] == [
        ("complaint", "410302-1;410302-2", "消费者投诉", "check", ""),
        ("recheck", "", "整改复查", "check", ""),
        ("alert", "x", "价格异常", "check", ""),
    ]
    assert {e.source for e in entries} == {f"checks {sha256_file(path)}"}
    with where.open() as ledger:
        assert run_ledger_add(ledger, year="2027", checks=path).added == 3
        with pytest.raises(LedgerError, match="already in the ledger: checks"):
            run_ledger_add(ledger, year="2027", checks=path)
        assert ledger.frame()["kind"].tolist() == ["complaint", "recheck", "alert"]


def test_a_bad_checks_file_lists_every_problem_with_row_and_column(where: Where, tmp_path: Path) -> None:
    uc = codes(2)
    path = _checks_table(
        [
            [uc[0], SMJ, "2027-05-06", "complaint", "ok", ""],
            [uc[0][:-1] + ("A" if uc[0][-1] != "A" else "B"), SMJ, "2027-13-01", "complaint", "x", ""],
            [uc[1], "", "2027/05/06", "random", "", ""],
            ["", SMJ, "2027-05-06", "tip-off", "x", ""],
        ],
        tmp_path / "checks.csv",
    )
    with pytest.raises(ChecksError) as info:
        check_entries(path, year="2027")
    found = {(p.row, p.column) for p in info.value.problems}
    assert found == {
        (3, "uscc"),
        (3, "date"),
        (4, "department"),
        (4, "date"),
        (4, "kind"),
        (4, "reason"),
        (5, "uscc"),
        (5, "kind"),
    }
    assert all(p.file == str(path) for p in info.value.problems)
    assert "random checks come from a draw" in str(info.value)
    assert "checks file" in str(info.value)
    with where.open() as ledger:
        with pytest.raises(ChecksError):
            run_ledger_add(ledger, year="2027", checks=path)
        assert ledger.head().seq == 0
    missing = _checks_table([[uc[0], SMJ, "2027-05-06"]], tmp_path / "short.csv", ["uscc", "department", "date"])
    with pytest.raises(ChecksError) as info:
        check_entries(missing, year="2027")
    assert {(p.row, p.column) for p in info.value.problems} == {(1, "kind"), (1, "reason")}


# ---------------------------------------------------------------- properties

_TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)


@st.composite
def entries_strategy(draw: st.DrawFn) -> LedgerEntry:
    event = draw(st.sampled_from(EVENTS))
    marker = event == "batch"  # a year batch's marker: no entity, no department, a batch
    return LedgerEntry(
        year=draw(st.from_regex(r"[A-Za-z0-9._-]{1,64}", fullmatch=True)),
        event=event,
        uscc="" if marker else draw(_TEXT.filter(lambda s: bool(s.strip()))),
        department="" if marker else draw(_TEXT),
        batch=draw(_TEXT.filter(bool)) if marker else draw(_TEXT),
        task_id=draw(_TEXT),
        visit_id=draw(_TEXT),
        kind=draw(st.sampled_from(CHECK_KINDS)) if event == "check" else "batch" if marker else "random",
        date=draw(st.one_of(st.just(""), st.dates().map(dt.date.isoformat))),
        inspectors=draw(_TEXT),
        result=draw(_TEXT),
        detail=draw(_TEXT),
        source=draw(st.sampled_from(["", "manifest 1", "checks 2"])),
    )


def _changed(column: str, value: Any) -> Any:
    if column == "seq":
        return int(value) + 10_000
    if column in ("prev", "hash"):
        return ("f" if value[0] != "f" else "0") + value[1:]
    return value + "x"


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=30)
@given(
    items=st.lists(entries_strategy(), min_size=1, max_size=25),
    sizes=st.lists(st.integers(1, 6), min_size=1, max_size=25),
    pick=st.tuples(st.integers(0, 10**6), st.sampled_from(COLUMNS)),
)
def test_property_random_appends_verify_and_any_change_is_found(
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    items: list[LedgerEntry],
    sizes: list[int],
    pick: tuple[int, str],
) -> None:
    # A source is taken in one append only, so entries with a source go in a batch of their own kind.
    with fresh(backend, tmp_path_factory.getbasetemp()) as place, place.open() as ledger:
        done, k, batches = 0, 0, []
        while done < len(items):
            n = sizes[k % len(sizes)]
            batches.append(items[done : done + n])
            done, k = done + n, k + 1
        appended: list[LedgerEntry] = []
        for batch in batches:
            known = ledger.sources()
            fresh_batch = [e for e in batch if not e.source or e.source not in known]
            ledger.append(fresh_batch)
            appended += fresh_batch
        frame = ledger.frame()
        assert [LedgerEntry(**{f: r[f] for f in FIELDS}) for r in frame.to_dict("records")] == appended
        assert ledger.verify().ok
        if not appended:
            return
        row, column = pick[0] % len(appended), pick[1]
        seq = row + 1
        t = place.table()
        old = frame.at[row, column]
        place.run(sa.update(t).where(t.c.seq == seq).values({column: _changed(column, old)}))
        v = ledger.verify()
        assert not v.ok, (column, seq)
        assert f"broken at seq {seq}:" in str(v)
