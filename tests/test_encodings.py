"""How a CSV's bytes become text: every encoding found or refused by name, never mis-decoded in silence."""

from __future__ import annotations

from pathlib import Path

import dask.dataframe as dd
import pytest
from hypothesis import given, settings, strategies as st

from shuangsuiji import PopulationError, draw, parse_plan, read_table

HEADER = "uscc,name,region\n"
ROWS = "91110000600037341L,洛阳市老城区福昌汽车修理有限公司,410302\n9144030071526726XG,深圳镕铭有限公司,410303\n"
TEXT = HEADER + ROWS


def _problem(path: Path, data: bytes, **options: str) -> tuple[int | None, str | None, str]:
    path.write_bytes(data)
    with pytest.raises(PopulationError) as caught:
        read_table(path, error=PopulationError, **options)
    (problem,) = caught.value.problems
    assert problem.file == str(path)
    return problem.row, problem.value, problem.message


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        b"\xef\xbb\xbf" + TEXT.encode("utf-8"),
        TEXT.encode("gb18030"),
        TEXT.encode("utf-16"),  # with its byte-order mark
        TEXT.encode("utf-16-le"),  # without one, as some exports write it
        TEXT.encode("utf-16-be"),
        TEXT.replace("\n", "\r").encode("utf-8"),  # classic Mac line ends
        TEXT.replace("\n", "\r\n").encode("gb18030"),
    ],
    ids=["utf-8", "utf-8-bom", "gb18030", "utf-16-bom", "utf-16-le", "utf-16-be", "cr", "crlf-gb18030"],
)
def test_every_encoding_a_spreadsheet_writes_reads_the_same(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "pop.csv"
    path.write_bytes(data)
    frame = read_table(path)
    assert frame.columns.tolist() == ["uscc", "name", "region"]
    assert frame["name"].tolist() == ["洛阳市老城区福昌汽车修理有限公司", "深圳镕铭有限公司"]
    assert frame["region"].tolist() == ["410302", "410303"]
    assert frame.index.tolist() == [2, 3]


def test_an_unknown_encoding_name_is_named(tmp_path: Path) -> None:
    row, value, message = _problem(tmp_path / "p.csv", TEXT.encode(), encoding="klingon")
    assert (row, value) == (None, "klingon")
    assert "not an encoding" in message


def test_a_utf8_file_given_another_encoding_is_refused_at_its_first_bad_byte(tmp_path: Path) -> None:
    row, value, message = _problem(tmp_path / "p.csv", TEXT.encode(), encoding="gbk")
    assert row == 2
    assert value is not None
    assert "cannot be read as gbk" in message


def test_a_utf8_file_that_also_decodes_in_the_encoding_given_is_refused(tmp_path: Path) -> None:
    data = "uscc,name\n91110000600037341L,中文\n".encode()  # these UTF-8 bytes happen to be valid GB18030
    data.decode("gb18030")
    _, value, message = _problem(tmp_path / "p.csv", data, encoding="gb18030")
    assert value == "gb18030"
    assert "the file is UTF-8" in message


def test_a_byte_order_mark_is_not_part_of_the_header_under_a_given_utf8(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT.encode())
    assert read_table(path, encoding="utf-8").columns.tolist() == ["uscc", "name", "region"]


def test_a_bad_byte_after_the_first_64_kib_names_its_line(tmp_path: Path) -> None:
    body = (HEADER + ROWS * 1000).encode()
    assert len(body) > 1 << 16
    cut = body.index("深圳".encode(), (1 << 16) + 1)
    line = body.count(b"\n", 0, cut) + 1
    row, value, message = _problem(tmp_path / "p.csv", body[:cut] + b"\xff" + body[cut:])
    assert row == line
    assert value is not None and value.startswith("FF")
    assert "cannot be read as UTF-8" in message


def test_a_file_cut_inside_a_character_says_so(tmp_path: Path) -> None:
    body = TEXT.encode()
    row, _, message = _problem(tmp_path / "p.csv", body[: body.index("深圳".encode()) + 1])
    assert row == 3
    assert "cut short" in message


@pytest.mark.parametrize("where", ["header", "middle"])
def test_a_nul_byte_is_refused_with_its_line(tmp_path: Path, where: str) -> None:
    body = (HEADER + ROWS * 50).encode()
    at = 3 if where == "header" else body.index(b"\n", len(body) // 2) + 1
    row, value, message = _problem(tmp_path / "p.csv", body[:at] + b"\x00" + body[at:])
    assert row == body.count(b"\n", 0, at) + 1
    assert value == "NUL"
    assert "NUL byte" in message


BIG5 = "uscc,name\n" + "".join(f"9111000060003734{i:02d},臺灣資訊廣場開發實業股份有限公司{i}\n" for i in range(20))


def test_big5_is_refused_not_read_as_gb18030(tmp_path: Path) -> None:
    data = BIG5.encode("big5")
    data.decode("gb18030")  # it does decode, into other characters: the silent failure this guards against
    _, value, message = _problem(tmp_path / "p.csv", data)
    assert value == "big5"
    assert "--encoding big5" in message


def test_big5_reads_when_named(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(BIG5.encode("big5"))
    assert read_table(path, encoding="big5", kind=None)["name"].iloc[0] == "臺灣資訊廣場開發實業股份有限公司0"


def test_gb18030_with_traditional_characters_it_holds_still_reads(tmp_path: Path) -> None:
    """A few characters outside GB 2312 in a GB18030 file do not make it Big5."""
    text = "uscc,name\n" + "".join(f"9111000060003734{i:02d},洛阳市鑫磊有限公司{i}\n" for i in range(20))
    path = tmp_path / "p.csv"
    path.write_bytes(text.encode("gb18030"))
    assert read_table(path, kind=None)["name"].iloc[0] == "洛阳市鑫磊有限公司0"


NAMES = (
    st.text(
        alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5) | st.sampled_from("abcXYZ019 ()（）-·"),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(NAMES, min_size=1, max_size=6),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le"]),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_property_any_text_in_any_accepted_encoding_reads_back(
    tmp_path_factory: pytest.TempPathFactory, names: list[str], encoding: str, newline: str
) -> None:
    text = newline.join(["code,name", *(f"{i},{n}" for i, n in enumerate(names))]) + newline
    path = tmp_path_factory.mktemp("enc") / "t.csv"
    path.write_bytes(text.encode(encoding))
    frame = read_table(path, kind=None)
    assert frame["name"].tolist() == names
    assert frame["code"].tolist() == [str(i) for i in range(len(names))]


@pytest.mark.parametrize("engine", ["memory", "dask"])
def test_a_population_without_a_status_column_is_drawn_with_a_warning_in_the_manifest(
    tmp_path: Path, engine: str
) -> None:
    task = {"id": "T1", "department": "d", "items": ["i"], "ratio": "0.5", "strata": ["region"]}
    plan = parse_plan({"id": "P1", "tasks": [task]})
    path = tmp_path / "p.csv"
    path.write_text(TEXT, encoding="utf-8")
    frame = read_table(path)
    if engine == "dask":
        frame = dd.from_pandas(frame.reset_index(drop=True), npartitions=1)
    result = draw(frame, plan, "ab" * 32, engine=engine)
    assert result.warnings == (
        "The population has no 'status' column: no entity was excluded as not operating (deregistered or revoked "
        "firms can be drawn); add the register's status column, or name it with 'exclusions.status_column'.",
    )
    with_status = read_table(path).assign(status="在业")
    assert draw(with_status, plan, "ab" * 32).warnings == ()
