"""Reading tables in every accepted format, and atomic writing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shuangsuiji import PopulationError, read_allow_list, read_table
from shuangsuiji.io import atomic_write_bytes, csv_bytes, sha256_file

ROWS = (
    "统一社会信用代码,企业名称,region,risk_tier\n"
    "91110000600037341L, 北京公司 ,410302,1\n"
    "9144030071526726XG,深圳,0410303,1.0\n"
)


@pytest.mark.parametrize(("encoding", "prefix"), [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gb18030", b"")])
def test_csv_encodings_and_aliases(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    path = tmp_path / "pop.csv"
    path.write_bytes(prefix + ROWS.encode(encoding))
    frame = read_table(path)
    assert frame.columns.tolist() == ["uscc", "name", "region", "risk_tier"]
    assert frame["name"].tolist() == [" 北京公司 ", "深圳"]  # as in the file; the checks strip
    # Values stay the text in the file: a leading zero and "1.0" survive.
    assert frame["region"].tolist() == ["410302", "0410303"]
    assert frame["risk_tier"].tolist() == ["1", "1.0"]
    assert frame.index.tolist() == [2, 3]  # spreadsheet rows


def test_gb18030_file_that_starts_in_ascii(tmp_path: Path) -> None:
    path = tmp_path / "pop.csv"
    body = "uscc,name\n" + "91110000600037341L,x\n" * 6000 + "9144030071526726XG,洛阳\n"
    path.write_bytes(body.encode("gb18030"))
    assert read_table(path)["name"].iloc[-1] == "洛阳"


def test_forced_encoding(tmp_path: Path) -> None:
    path = tmp_path / "pop.csv"
    path.write_bytes("uscc,name\n91110000600037341L,洛阳\n".encode("gb18030"))
    assert read_table(path, encoding="gb18030")["name"].tolist() == ["洛阳"]
    with pytest.raises(PopulationError, match="cannot be read as utf-8") as caught:
        read_table(path, encoding="utf8", error=PopulationError)
    assert caught.value.problems[0].row == 2


def test_xlsx_numbers_become_text(tmp_path: Path) -> None:
    path = tmp_path / "pop.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["uscc", "region", "tier", "ratio"])
    ws.append(["91110000600037341L", 410302, 1.0, 2.5])
    ws.append([None, None, None, None])  # trailing empty row Excel keeps
    wb.create_sheet("second").append(["uscc"])
    wb.save(path)
    frame = read_table(path)
    assert frame.to_dict("records") == [{"uscc": "91110000600037341L", "region": "410302", "tier": "1", "ratio": "2.5"}]
    assert read_table(path, sheet="second").empty
    with pytest.raises(PopulationError, match="no such sheet"):
        read_table(path, sheet="third", error=PopulationError)


def test_parquet_numbers_and_nulls(tmp_path: Path) -> None:
    path = tmp_path / "pop.parquet"
    pq.write_table(
        pa.table(
            {
                "uscc": ["a", "b"],
                "tier": [1.0, 2.5],
                "n": pa.array([1, None]),
                "cat": pa.array(["x", "y"]).dictionary_encode(),
            }
        ),
        path,
    )
    frame = read_table(path)
    assert frame.to_dict("list") == {"uscc": ["a", "b"], "tier": ["1", "2.5"], "n": ["1", ""], "cat": ["x", "y"]}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("uscc,region\nx,1,2\ny\n", "this row has 3 fields but the header has 2"),
        ("uscc,统一社会信用代码\n1,2\n", "means the same column as 'uscc'"),
        ("uscc,,x\n1,2,3\n", "header of this column is empty"),
    ],
)
def test_broken_csv(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "pop.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PopulationError) as info:
        read_table(path, error=PopulationError)
    assert message in str(info.value) and str(path) in str(info.value)


def test_all_bad_rows_are_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "pop.csv"
    path.write_text("uscc,region\nx,1,2\ny\nz,3\nw,4,5,6\n", encoding="utf-8")
    with pytest.raises(PopulationError) as info:
        read_table(path, error=PopulationError)
    assert [p.row for p in info.value.problems] == [2, 3, 5]


def test_unknown_suffix_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "pop.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(PopulationError, match="unknown file type"):
        read_table(path, error=PopulationError)
    with pytest.raises(FileNotFoundError):
        read_table(tmp_path / "nope.csv")


def test_broken_binary_files(tmp_path: Path) -> None:
    for name, message in (("pop.xlsx", "cannot open the workbook"), ("pop.parquet", "cannot read the Parquet")):
        path = tmp_path / name
        path.write_bytes(b"not really")
        with pytest.raises(PopulationError, match=message):
            read_table(path, error=PopulationError)


def test_allow_list_formats(tmp_path: Path) -> None:
    txt = tmp_path / "allow.txt"
    txt.write_text("# pilot\n91350100M0001TGQXM\n\n 91350100M0001TGQXM \n", encoding="utf-8")
    assert read_allow_list(txt) == {"91350100M0001TGQXM"}
    csv = tmp_path / "allow.csv"
    csv.write_text("uscc,note\n91350100M0001TGQXM,pilot\n", encoding="utf-8")
    assert read_allow_list(csv) == {"91350100M0001TGQXM"}
    csv.write_text("code\n91350100M0001TGQXM\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs a 'uscc' column"):
        read_allow_list(csv)


def test_atomic_write_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out" / "file.csv"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert os.listdir(target.parent) == ["file.csv"]
    atomic_write_bytes(tmp_path / "secret.txt", b"s", mode=0o600)
    assert (tmp_path / "secret.txt").stat().st_mode & 0o777 == 0o600


def test_atomic_write_cleans_up_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(tmp_path / "f.csv", b"x")
    assert os.listdir(tmp_path) == []


def test_csv_bytes_are_excel_friendly_and_hashable(tmp_path: Path) -> None:
    data = csv_bytes(pd.DataFrame({"a": ["洛阳"], "b": [1]}))
    assert data.startswith(b"\xef\xbb\xbf") and data.endswith(b"\n") and b"\r" not in data
    (tmp_path / "x").write_bytes(data)
    assert sha256_file(tmp_path / "x") == hashlib.sha256(data).hexdigest()
