"""Bureau files as bureaus keep them: the sheet reader, Chinese headers for every kind, identity triage, import."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlwt
from hypothesis import HealthCheck, given, settings, strategies as st

import shuangsuiji as ssj
from shuangsuiji.bureau import inspectors_roster, triage_entities
from shuangsuiji.columns import CANONICAL, ColumnMap, canonical_columns, load_column_map
from shuangsuiji.exceptions import (
    ColumnMapError,
    PopulationError,
    ShuangsuijiError,
    TableError,
)
from shuangsuiji.identity import excel_damage, identity_kind, normalise_code, regno_check_digit
from shuangsuiji.io import read_table
from shuangsuiji.population import check_population
from shuangsuiji.roster import check_roster
from shuangsuiji.workflow._import import run_import

ROOT = Path(__file__).resolve().parents[1]
BUREAU = Path(os.environ.get("SHUANGSUIJI_BUREAU_FILES", ROOT.parent / "shared" / "bureau-files"))
needs_files = pytest.mark.skipif(
    not (BUREAU / "wanning-entities-20210318.xls").is_file(),
    reason=f"the real bureau files are not at {BUREAU} (set SHUANGSUIJI_BUREAU_FILES)",
)
SEED = "ab" * 32
PLAN = """id = "WN-1"
[[tasks]]
id = "T1"
department = "市场监管局"
ratio = "0.05"
items = ["登记事项检查"]
strata = ["entity_type"]
"""


# --- The real files --------------------------------------------------------------------------------


@needs_files
def test_the_wanning_entity_export_is_read_with_every_row_accounted_for(tmp_path: Path) -> None:
    step = run_import(tmp_path, entities=BUREAU / "wanning-entities-20210318.xls")
    assert step.entities is not None
    counts = step.entities.counts()
    # Counted by hand in the file: 269 valid USCCs; 83 USCCs Excel stored as numbers; of the 299 rows
    # without a USCC, 279 have a 15-character 注册号 (271 digits, 8 cooperatives' NA numbers), 19 an
    # old number (13 of 13 digits, 1 of 12, 5 such as 企独琼总字第008245号) and 1 only 无资料内容.
    assert counts == {"ready": 269, "legacy": 298, "excel": 83, "none": 1, "duplicate": 0, "problem": 0, "skipped": 0}
    assert sum(counts.values()) == 651
    assert step.entities.kinds() == {"uscc": 269, "regno": 279, "old": 19}
    rows = step.entities.rows
    old = rows.loc[rows["kind"] == "old", "identity"].tolist()
    assert "企独琼总字第008245号" in old
    excel = rows[rows["category"] == "excel"]
    assert excel["message"].str.contains("scientific notation").all()
    assert excel["message"].str.contains("format the column as text").all()
    # The two rows whose destroyed codes read the same are not reported as duplicates of each other.
    assert (excel["uscc_cell"] == "9.14690067674692E+17").sum() == 2
    triage = pd.read_csv(tmp_path / "triage.csv", dtype=str, keep_default_na=False)
    assert len(triage) == 651
    assert triage["分类"].value_counts()["Excel损坏"] == 83
    book = openpyxl.load_workbook(tmp_path / "triage.xlsx")
    assert book.sheetnames == ["汇总", "明细"]
    assert book["明细"].max_row == 652


@needs_files
def test_a_draw_runs_and_verifies_on_the_imported_population(tmp_path: Path) -> None:
    run_import(tmp_path, entities=BUREAU / "wanning-entities-20210318.xls")
    (tmp_path / "plan.toml").write_text(PLAN, encoding="utf-8")
    out = tmp_path / "draw"
    ssj.run_draw(ssj.DrawFiles(population=tmp_path / "population.csv", plan=tmp_path / "plan.toml"), out, seed=SEED)
    selection = pd.read_csv(out / "selection.csv", dtype=str)
    assert len(selection) >= 29  # 5% of 567 in strata, each rounded up
    assert selection["uscc"].str.len().isin([12, 13, 15, 18]).any()
    assert ssj.run_verify(out).ok


@needs_files
def test_the_wanning_roster_gives_its_officers_with_their_certificates(tmp_path: Path) -> None:
    cmap = tmp_path / "map.toml"
    cmap.write_text('[roster.defaults]\ndepartment = "万宁市市场监督管理局"\ncapacity = 20\n', encoding="utf-8")
    step = run_import(tmp_path, inspectors=BUREAU / "wanning-inspectors.xls", columns=cmap)
    assert step.roster is not None
    # 20 rows: ten officers, each on two rows (海南省行政执法证 and 工商行政管理执法证).
    assert len(step.roster.rows) == 20
    roster = step.roster.roster.set_index("name")
    assert len(roster) == 10
    assert roster.loc["黄轩", "cert_no"] == "HN-wc3710081(A);2290070001"
    assert roster.loc["李振广", "cert_no"] == "HN-WN3711234(A);2290060002"  # "H N-..." normalised
    assert roster.loc["梁飞", "cert_no"] == "2290060021"  # the provincial certificate lost (遗失)
    checked = check_roster(read_table(tmp_path / "roster.csv", kind="roster"), source="roster.csv")
    assert len(checked) == 10
    assert set(checked.frame["department"]) == {"万宁市市场监督管理局"}
    assert set(checked.frame["capacity"]) == {20}


@needs_files
def test_without_a_department_the_roster_rows_say_what_is_missing(tmp_path: Path) -> None:
    step = run_import(tmp_path, inspectors=BUREAU / "wanning-inspectors.xls")
    assert step.roster is not None
    assert step.roster.rows["message"].str.contains("missing department, capacity").all()


@needs_files
def test_the_items_lists_headers_are_joined_and_merged_cells_filled() -> None:
    items = read_table(BUREAU / "hainan-items-2020.xlsx", kind=None)
    assert items.attrs["header_rows"] == [2, 3]
    assert "抽查项目/抽查事项" in items.columns
    assert items.loc[5, "编制单位名称"] == "省教育厅"  # merged down from row 4
    joint = read_table(BUREAU / "hainan-joint-items-v2.xls", kind=None)
    assert list(joint.columns) == ["序号", "抽查领域", "抽查事项", "检查对象", "发起部门", "配合部门"]
    assert len(joint) == 83


# --- Chinese headers for every kind, from every format -----------------------------------------------

ROWS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    # kind: ({Chinese header: value}, {canonical: value})
    "population": (
        {"统一社会信用代码": "91110000600037341L", "企业名称": "甲公司", "信用风险分类": "B", "登记状态": "存续"},
        {"uscc": "91110000600037341L", "name": "甲公司", "credit_class": "B", "status": "存续"},
    ),
    "roster": (
        {
            "执法人员编号": "A1",
            "姓名": "张三",
            "所属部门": "市场监管局",
            "执法证号": "豫41030001",
            "本批次可检查户数": "20",
        },
        {"inspector_id": "A1", "name": "张三", "department": "市场监管局", "cert_no": "豫41030001", "capacity": "20"},
    ),
    "history": (
        {"统一社会信用代码": "91110000600037341L", "检查部门": "市场监管局", "检查日期": "2026-05-01"},
        {"uscc": "91110000600037341L", "department": "市场监管局", "date": "2026-05-01"},
    ),
    "conflicts": (
        {"执法人员编号": "A1", "统一社会信用代码": "91110000600037341L", "回避原因": "亲属"},
        {"inspector_id": "A1", "uscc": "91110000600037341L", "reason": "亲属"},
    ),
    "requests": (
        {"执法人员编号": "A1", "统一社会信用代码": "91110000600037341L", "申请回避原因": "曾处罚"},
        {"inspector_id": "A1", "uscc": "91110000600037341L", "reason": "曾处罚"},
    ),
    "relations": ({"甲方": "A1", "乙方": "P1", "关系": "spouse"}, {"a": "A1", "b": "P1", "relation": "spouse"}),
    "pairs": ({"人员甲": "A1", "人员乙": "A2"}, {"a": "A1", "b": "A2"}),
    "results": (
        {
            "任务编号": "T1",
            "统一社会信用代码": "91110000600037341L",
            "检查结果": "未发现问题",
            "检查完成日期": "2027-03-02",
        },
        {"task_id": "T1", "uscc": "91110000600037341L", "result": "未发现问题", "completed": "2027-03-02"},
    ),
    "calendar": ({"日期": "2027-02-07", "调整类型": "workday"}, {"date": "2027-02-07", "kind": "workday"}),
    "checks": (
        {
            "统一社会信用代码": "91110000600037341L",
            "检查部门": "市场监管局",
            "检查日期": "2027-03-01",
            "检查类型": "投诉举报",
            "检查原因": "消费者投诉",
        },
        {
            "uscc": "91110000600037341L",
            "department": "市场监管局",
            "date": "2027-03-01",
            "kind": "投诉举报",
            "reason": "消费者投诉",
        },
    ),
}


def _write(path: Path, header: list[str], rows: list[list[str]], title: str | None = None) -> None:
    """A file as a bureau saves it: optionally a title row above the header."""
    lines = ([[title]] if title else []) + [header, *rows]
    suffix = path.suffix
    if suffix.startswith(".csv"):
        encoding = {".csv": "utf-8", ".csv8": "utf-8-sig", ".csvgb": "gb18030"}[suffix]
        text = "\n".join(",".join(line) for line in lines) + "\n"
        path.with_suffix(".csv").write_bytes(text.encode(encoding))
    elif suffix == ".xlsx":
        book = openpyxl.Workbook()
        ws = book.active
        for line in lines:
            ws.append(line)
        if title:
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        book.save(path)
    else:
        wb = xlwt.Workbook()
        ws = wb.add_sheet("Sheet1")
        for r, line in enumerate(lines):
            for c, value in enumerate(line):
                ws.write(r, c, value)
        wb.save(str(path))


@pytest.mark.parametrize("kind", list(ROWS))
@pytest.mark.parametrize("suffix", [".csv", ".csv8", ".csvgb", ".xlsx", ".xls"])
def test_every_kind_reads_with_chinese_headers_from_every_format(tmp_path: Path, kind: str, suffix: str) -> None:
    chinese, canonical = ROWS[kind]
    path = tmp_path / f"{kind}{suffix}"
    title = None if suffix.startswith(".csv") else "某某市市场监督管理局 2027年"
    _write(path, list(chinese), [list(chinese.values())], title)
    frame = read_table(path.with_suffix(".csv") if suffix.startswith(".csv") else path, kind=kind)
    assert {c: frame[c].iloc[0] for c in frame.columns} == canonical
    assert set(canonical) <= set(CANONICAL[kind])


def test_the_kinds_own_checks_take_the_chinese_frames() -> None:
    pop = pd.DataFrame([ROWS["population"][0]])
    assert check_population(pop).frame.loc[0, "uscc"] == "91110000600037341L"
    roster = pd.DataFrame([ROWS["roster"][0]], index=[2])
    assert check_roster(roster).frame.loc[0, "cert_no"] == "豫41030001"


def test_draw_runs_on_a_frame_with_chinese_headers() -> None:
    codes = ["91110000600037341L", "91350100M000100Y43", "469006600187440", "企独琼总字第008245号"]
    frame = pd.DataFrame(
        {
            "统一社会信用代码": [codes[0], codes[1], "", ""],
            "注册号": ["", "", codes[2], codes[3]],
            "企业名称": list("甲乙丙丁"),
            "信用风险分类": ["A", "B", "C", "D"],
        }
    )
    plan = ssj.parse_plan({"id": "P", "tasks": [{"id": "T", "department": "市场监管局", "ratio": "1", "items": ["x"]}]})
    result = ssj.draw(frame, plan, SEED)
    assert sorted(result.selection["uscc"]) == sorted(codes)


# --- The reader ------------------------------------------------------------------------------------


def test_a_two_row_merged_header_below_a_title_is_joined_and_cells_are_filled(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["执法检查人员名录库"])
    ws.append(["填报单位：某局"])
    ws.append(["序号", "姓名", "执法证件", None])
    ws.append([None, None, "执法证件名称", "证件编号"])
    ws.append([1, "黄轩", "海南省行政执法证", "HN-1"])
    ws.append([None, None, "工商行政管理执法证", 2290070001])
    ws.append([None, None, None, None])
    for ref in ("A1:D1", "A2:D2", "A3:A4", "B3:B4", "C3:D3", "A5:A6", "B5:B6"):
        ws.merge_cells(ref)
    path = tmp_path / "r.xlsx"
    book.save(path)
    frame = read_table(path, kind="roster")
    assert frame.attrs["header_rows"] == [3, 4]
    assert list(frame.columns) == ["序号", "name", "执法证件/执法证件名称", "cert_no"]
    assert frame.index.tolist() == [5, 6]  # the trailing empty row is dropped
    assert frame["name"].tolist() == ["黄轩", "黄轩"]
    assert frame["cert_no"].tolist() == ["HN-1", "2290070001"]


def test_trailing_empty_rows_are_dropped_the_same_way_in_csv_and_xlsx(tmp_path: Path) -> None:
    csv_path = tmp_path / "p.csv"
    csv_path.write_text("uscc,name\n91110000600037341L,甲\n,\n,\n", encoding="utf-8")
    book = openpyxl.Workbook()
    for row in (["uscc", "name"], ["91110000600037341L", "甲"], [None, None], ["", ""]):
        book.active.append(row)
    book.save(tmp_path / "p.xlsx")
    for path in (csv_path, tmp_path / "p.xlsx"):
        frame = read_table(path)
        assert frame.index.tolist() == [2], path


def test_a_formula_without_a_value_is_a_problem_naming_sheet_row_and_column(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "名录"
    ws.append(["uscc", "name"])
    ws.append(["91110000600037341L", '=A2&"x"'])  # openpyxl saves no calculated value
    path = tmp_path / "f.xlsx"
    book.save(path)
    with pytest.raises(PopulationError) as info:
        read_table(path, error=PopulationError)
    problem = info.value.problems[0]
    assert (problem.file, problem.row, problem.column) == (f"{path} [名录]", 2, "B")
    assert "never calculated" in problem.message


def test_a_sheet_is_chosen_by_name_or_number_and_a_header_row_by_number(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["x"])
    second = book.create_sheet("对象")
    second.append(["说明：本表由系统导出", "", "", ""])
    second.append(["a", "b", "c", "d"])
    second.append(["uscc", "name", "status", "region"])
    second.append(["91110000600037341L", "甲", "存续", "410302"])
    path = tmp_path / "s.xlsx"
    book.save(path)
    by_name = read_table(path, sheet="对象", header_row=3)
    by_number = read_table(path, sheet=2, header_row=3)
    assert list(by_name.columns) == list(by_number.columns) == ["uscc", "name", "status", "region"]
    with pytest.raises(TableError, match="no such sheet"):
        read_table(path, sheet="没有")
    with pytest.raises(TableError, match="no header row 9"):
        read_table(path, sheet=2, header_row=9)


def test_an_xls_date_and_a_big_number_read_as_excel_shows_them(tmp_path: Path) -> None:
    wb = xlwt.Workbook()
    ws = wb.add_sheet("S")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for c, h in enumerate(["uscc", "regno", "registered_on"]):
        ws.write(0, c, h)
    ws.write(1, 0, 914690062012665123.0)
    ws.write(1, 1, 469006600187440.0)
    ws.write(1, 2, dt.date(2014, 5, 30), date_style)
    path = tmp_path / "d.xls"
    wb.save(str(path))
    frame = read_table(path)
    assert frame.iloc[0].tolist() == ["9.14690062012665E+17", "469006600187440", "2014-05-30"]


# --- Identities ------------------------------------------------------------------------------------


def test_identity_kinds_follow_the_documented_rule() -> None:
    assert identity_kind("91110000600037341L") == "uscc"
    assert identity_kind("469006600187440") == "regno"
    assert identity_kind("469006600187441") is None  # wrong check digit
    assert identity_kind("469006NA000129X") == "regno"
    assert identity_kind("4600002016305") == "old"
    assert identity_kind("企独琼总字第008245号") == "old"
    assert identity_kind("无资料内容") is None
    assert identity_kind("91110000600037341X") is None
    # GS 15-2006 (ISO 7064 MOD 11,10): worked by hand for 46900660018744 -> 0.
    assert regno_check_digit("46900660018744") == "0"


def test_excel_damage_is_named_and_full_width_codes_are_normalised() -> None:
    assert "scientific notation" in (excel_damage("9.14690062012665e+17") or "")
    assert "trailing '.0'" in (excel_damage("469006600187440.0") or "")
    assert "15 significant digits" in (excel_damage("914690062012665000") or "")
    assert excel_damage("469006600187440") is None
    assert normalise_code("９１１１００００６０００３７３４１Ｌ") == "91110000600037341L"
    assert normalise_code(" 9111 0000 6000 3734 1L ") == "91110000600037341L"


def test_the_population_check_names_excel_damage_and_never_pairs_it_as_duplicates() -> None:
    frame = pd.DataFrame({"uscc": ["9.14690067674692E+17", "9.14690067674692E+17", "91110000600037341L"]})
    with pytest.raises(PopulationError) as info:
        check_population(frame)
    messages = [p.message for p in info.value.problems]
    assert len(messages) == 2
    assert all("scientific notation" in m and "format the column as text" in m for m in messages)
    assert not any("already appears" in m for m in messages)


def test_full_width_codes_are_accepted_with_a_warning() -> None:
    pop = check_population(pd.DataFrame({"uscc": ["９１１１００００６０００３７３４１Ｌ", "91350100M000100Y43"]}))
    assert pop.frame["uscc"].tolist() == ["91110000600037341L", "91350100M000100Y43"]
    assert any("normalised" in w for w in pop.warnings)


def test_the_triage_puts_every_row_in_one_category() -> None:
    frame = pd.DataFrame(
        {
            "uscc": ["91110000600037341L", "91110000600037341L", "9.1E+17", "", "", "", "91110000600037341X"],
            "regno": ["", "", "", "469006600187440", "企独琼总字第008245号", "无", ""],
            "name": list("甲乙丙丁戊己庚"),
        },
        index=range(2, 9),
    )
    triage = triage_entities(frame)
    assert triage.rows["category"].tolist() == ["ready", "duplicate", "excel", "legacy", "legacy", "none", "problem"]
    assert "row 2" in triage.rows.loc[1, "message"]
    assert triage.population.index.tolist() == [2, 5, 6]


def test_a_roster_of_merged_blocks_gives_one_officer_per_block() -> None:
    frame = pd.DataFrame(
        {"序号": ["1", "1", "2"], "name": ["甲", "甲", "乙"], "cert_no": ["A-1(A)", "B 2", ""]}, index=[5, 6, 7]
    )
    result = inspectors_roster(frame)
    assert result.roster["inspector_id"].tolist() == ["A-1-A", "P002"]
    assert result.roster["cert_no"].tolist() == ["A-1(A);B2", ""]
    assert "no enforcement certificate" in result.rows.loc[2, "message"]


# --- Column maps -----------------------------------------------------------------------------------


def test_a_column_map_renames_and_fills(tmp_path: Path) -> None:
    path = tmp_path / "map.toml"
    path.write_text('[population.columns]\n"纳税人识别号" = "uscc"\n[population.defaults]\nstatus = "存续"\n', "utf-8")
    cmap = load_column_map(path)
    frame = cmap.apply(pd.DataFrame({"纳税人识别号": ["91110000600037341L"], "status": [""]}), "population")
    assert frame.to_dict("records") == [{"uscc": "91110000600037341L", "status": "存续"}]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[people.columns]\n"x" = "uscc"\n', "unknown kind of input"),
        ('[roster.columns]\n"x" = "uscc"\n', "not a column of the roster"),
        ("[roster.defaults]\ncapacity = 1.5\n", "text or a whole number"),
        ("[roster]\nfill = 1\n", "unknown key 'fill'"),
        ("[roster\n", "not a TOML file"),
    ],
)
def test_a_wrong_column_map_is_refused_naming_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "map.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ColumnMapError, match=message):
        load_column_map(path)


def test_two_headers_of_one_meaning_are_refused() -> None:
    frame = pd.DataFrame({"统一社会信用代码": ["x"], "TYXYDM": ["y"]})
    with pytest.raises(TableError, match="means the same column"):
        canonical_columns(frame, "population")
    assert ColumnMap().apply(pd.DataFrame({"姓名": ["甲"]}), "roster").columns.tolist() == ["name"]


# --- Generated spreadsheets: only the library's own errors -----------------------------------------

_cells = st.one_of(
    st.none(),
    st.text(alphabet="0123456789ABXL统一社会信用代码名称注册号 .=+-E", max_size=20),
    st.integers(min_value=-(10**18), max_value=10**18),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.sampled_from(["=1+1", "=A2", "=SUM(A1:A3)", "#N/A", "uscc", "统一社会信用代码", "注册号", "91110000600037341L"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    grid=st.lists(st.lists(_cells, min_size=1, max_size=5), min_size=1, max_size=8),
    merges=st.lists(st.tuples(st.integers(1, 8), st.integers(1, 5), st.integers(0, 2), st.integers(0, 2)), max_size=3),
    header_row=st.one_of(st.none(), st.integers(1, 9)),
)
def test_generated_spreadsheets_raise_only_the_librarys_errors(
    tmp_path: Path, grid: list[list[object]], merges: list[tuple[int, int, int, int]], header_row: int | None
) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    for r, row in enumerate(grid, start=1):
        for c, value in enumerate(row, start=1):
            ws.cell(r, c, value)
    taken: set[tuple[int, int]] = set()
    for r, c, dr, dc in merges:
        cells = {(r + i, c + j) for i in range(dr + 1) for j in range(dc + 1)}
        if (dr or dc) and not cells & taken:
            ws.merge_cells(start_row=r, start_column=c, end_row=r + dr, end_column=c + dc)
            taken |= cells
    path = tmp_path / "g.xlsx"
    book.save(path)
    try:
        frame = read_table(path, error=PopulationError, header_row=header_row)
        check_population(frame, source=str(path))
    except ShuangsuijiError as exc:
        if isinstance(exc, TableError):
            assert all(p.file.startswith(str(path)) for p in exc.problems)


# --- The command line ------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shuangsuiji", *args], capture_output=True, text=True, check=False, cwd=ROOT
    )


@needs_files
def test_the_import_command_prints_the_triage(tmp_path: Path) -> None:
    done = _cli("import", "--entities", str(BUREAU / "wanning-entities-20210318.xls"), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "651 rows read" in done.stdout
    assert "Excel损坏 (excel): 83" in done.stdout


def test_the_import_command_refuses_a_bad_file_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "e.csv"
    bad.write_text("名称,地址\n甲,乙\n", encoding="utf-8")
    done = _cli("import", "--entities", str(bad), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "统一社会信用代码" in done.stderr


@needs_files
def test_the_whole_two_rosters_and_list_import_and_draw(tmp_path: Path) -> None:
    step = run_import(
        tmp_path,
        entities=BUREAU / "wanning-entities-20210318.xls",
        items=BUREAU / "hainan-items-2020.xlsx",
        joint=BUREAU / "hainan-joint-items-v2.xls",
        plan_id="WN-2027",
    )
    assert (step.items, step.joint_fields) == (285 + 83, 36)
    plan = ssj.load_plan(tmp_path / "plan.toml")
    assert plan.tasks[0].strata == ("entity_type",)  # the export has no credit class
    out = tmp_path / "draw"
    ssj.run_draw(ssj.DrawFiles(population=tmp_path / "population.csv", plan=tmp_path / "plan.toml"), out, seed=SEED)
    selection = pd.read_csv(out / "selection.csv", dtype=str)
    assert selection["task_id"].nunique() == 368
    assert ssj.run_verify(out).ok


# --- The reader's error paths ----------------------------------------------------------------------


def test_an_excel_error_value_is_a_problem_naming_sheet_row_and_column(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "名录"
    ws.append(["uscc", "name"])
    ws.append(["91110000600037341L", "#N/A"])
    path = tmp_path / "e.xlsx"
    book.save(path)
    with pytest.raises(PopulationError) as info:
        read_table(path, error=PopulationError)
    problem = info.value.problems[0]
    assert (problem.file, problem.row, problem.column, problem.value) == (f"{path} [名录]", 2, "B", "#N/A")
    assert "Excel error value" in problem.message


def test_a_broken_xls_and_an_empty_sheet_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "b.xls"
    broken.write_bytes(b"not a workbook at all")
    with pytest.raises(TableError, match=r"cannot open the \.xls workbook"):
        read_table(broken)
    empty = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(empty)
    with pytest.raises(TableError, match="the sheet is empty"):
        read_table(empty)


def test_a_csv_header_below_title_rows_is_found_and_a_missing_header_row_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "某某市市场监督管理局检查对象名录库,,\n填报单位：某局,,\n统一社会信用代码,企业名称,登记状态\n91110000600037341L,甲,存续\n",
        encoding="utf-8",
    )
    frame = read_table(path)
    assert list(frame.columns) == ["uscc", "name", "status"]
    assert frame.index.tolist() == [4]  # rows as the file numbers them
    with pytest.raises(TableError, match="no header row 9"):
        read_table(path, header_row=9)
    with pytest.raises(TableError, match="a row number from 1"):
        read_table(path, header_row=0)


def test_trailing_empty_rows_beyond_one_block_are_all_dropped(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    data = "".join(f"91110000600037341L,{i}\n" for i in range(3000))
    path.write_text("uscc,name\n" + data + ",\n" * 2500, encoding="utf-8")
    frame = read_table(path)
    assert len(frame) == 3000
    assert frame.index[-1] == 3001


def test_a_frame_whose_codes_excel_made_floats_names_the_damage() -> None:
    frame = pd.DataFrame({"uscc": [9.14690062012665e17, 469006600187440.0]})
    with pytest.raises(PopulationError) as info:
        check_population(frame)
    (problem,) = info.value.problems
    assert problem.value == "9.14690062012665E+17"
    assert "scientific notation" in problem.message
