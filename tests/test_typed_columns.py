"""Typed columns (Parquet, as pandas and databases write them) become text by one rule, in every engine.

The same register saved as typed Parquet and as CSV draws the same selection, byte for byte
(``docs/inputs.md``, "Typed columns").
"""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import shuangsuiji as ssj
from shuangsuiji.io import write_csv

from .conftest import GOLDEN_SEED

PLAN = """
id = "TYPED"
start = 2027-03-01
[[tasks]]
id = "T1"
department = "市场监管局"
items = ["企业公示信息"]
ratio = "0.1"
strata = ["region", "risk_tier"]
exclude_inspected_within_days = 365
[[tasks]]
id = "T2"
department = "税务局"
items = ["发票管理"]
ratio = "0.2"
strata = ["registered"]
[tasks.where]
registered = ["2019-06-30", "2020-01-01"]
"""


def _typed(text: pd.DataFrame) -> pa.Table:
    """The register with typed columns: decimal regions, nullable integer tiers, dates, timestamps, floats."""
    days = [dt.date(2019, 6, 30) if i % 3 else dt.date(2020, 1, 1) for i in range(len(text))]
    return pa.table(
        {
            "uscc": pa.array(text["uscc"]),
            "name": pa.array(text["name"]),
            "region": pa.array([decimal.Decimal(r) for r in text["region"]], type=pa.decimal128(12, 2)),
            "risk_tier": pa.array([int(t) for t in text["risk_tier"]], type=pa.int64()),
            "credit_class": pa.array(text["credit_class"]).dictionary_encode(),
            "status": pa.array(text["status"]),
            "registered": pa.array(days, type=pa.date32()),
            "checked_at": pa.array([dt.datetime(d.year, d.month, d.day) for d in days], type=pa.timestamp("ns")),
            "capital": pa.array([float(i) if i % 7 else float("nan") for i in range(len(text))]),
        }
    )


def _text(text: pd.DataFrame) -> pd.DataFrame:
    """The same register as its CSV holds it."""
    days = ["2019-06-30" if i % 3 else "2020-01-01" for i in range(len(text))]
    capital = [str(i) if i % 7 else "" for i in range(len(text))]
    columns = ["uscc", "name", "region", "risk_tier", "credit_class", "status"]
    return text[columns].assign(registered=days, checked_at=days, capital=capital)


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, Path]:
    tmp = tmp_path_factory.mktemp("typed")
    text = ssj.make_population(600, seed=8)
    pq.write_table(_typed(text), tmp / "population.parquet")
    write_csv(_text(text), tmp / "population.csv")
    (tmp / "plan.toml").write_text(PLAN, encoding="utf-8")
    codes = text["uscc"].iloc[::5]
    history = pa.table(
        {
            "uscc": pa.array(codes),
            "department": pa.array(["市场监管局"] * len(codes)),
            "date": pa.array([dt.datetime(2026, 9, 1)] * len(codes), type=pa.timestamp("ms")),
            "kind": pa.array(["random"] * len(codes)),
        }
    )
    pq.write_table(history, tmp / "history.parquet")
    return tmp / "population.parquet", tmp / "population.csv", tmp / "plan.toml", tmp / "history.parquet"


def test_typed_columns_read_as_their_text(register: tuple[Path, Path, Path, Path]) -> None:
    typed, csv, _, history = register
    frame, text = ssj.read_table(typed), ssj.read_table(csv)
    assert frame["region"].iloc[0] == text["region"].iloc[0] and "." not in frame["region"].iloc[0]
    pd.testing.assert_frame_equal(frame, text)
    assert set(ssj.read_table(history, kind="history")["date"]) == {"2026-09-01"}


@pytest.mark.parametrize("engine", ["memory", "dask"])
def test_a_typed_parquet_register_draws_what_its_csv_draws(
    register: tuple[Path, Path, Path, Path], tmp_path: Path, engine: str
) -> None:
    typed, csv, plan, history = register
    drawn = {}
    for name, population in (("parquet", typed), ("csv", csv)):
        files = ssj.DrawFiles(population=population, plan=plan, history=history)
        step = ssj.run_draw(files, tmp_path / name, seed=GOLDEN_SEED, engine=ssj.get_engine(engine))
        drawn[name] = step.out
    for table in ("selection.csv", "allocation.csv", "excluded.csv", "summary.csv"):
        assert (drawn["parquet"] / table).read_bytes() == (drawn["csv"] / table).read_bytes(), table
    excluded = pd.read_csv(drawn["parquet"] / "excluded.csv", dtype=str, encoding="utf-8-sig")
    assert len(excluded) > 0  # the timestamp history's dates were read as dates: the cool-down applied
    root = {n: ssj.Manifest.read(d).population.merkle_root for n, d in drawn.items()}
    assert root["parquet"] == root["csv"]


def test_an_infinite_number_is_refused_with_the_file_named(tmp_path: Path) -> None:
    path = tmp_path / "inf.parquet"
    pq.write_table(pa.table({"uscc": ["91110000600037341L"], "capital": [float("inf")]}), path)
    with pytest.raises(ssj.PopulationError, match="infinite") as caught:
        ssj.read_table(path, error=ssj.PopulationError)
    assert caught.value.problems[0].file == str(path)
