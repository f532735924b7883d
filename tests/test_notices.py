"""Working days (with 调休 and overrides) and the public notices."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from shuangsuiji import draw, example_plan_toml, load_plan, parse_plan, read_table
from shuangsuiji._notice_xlsx import XLSX_CELL, xlsx_bytes
from shuangsuiji.cli import main
from shuangsuiji.exceptions import InputError
from shuangsuiji.ledger import published_entries
from shuangsuiji.notices import (
    EXPORT_FIELDS,
    LISTING_RESULTS,
    RESULT_ALIASES,
    ResultsError,
    check_results,
    notice_csv_bytes,
    plan_notice,
    publicity_export,
    renamed_headers,
    result_notice,
    task_notice,
    write_notice,
)
from shuangsuiji.workdays import CalendarError, CalendarOverrideError, WorkCalendar, read_overrides

from .conftest import GOLDEN_SEED, golden_args


def load_plan_text(text: str):  # type: ignore[no-untyped-def]
    return parse_plan(tomllib.loads(text))


def test_working_days_follow_the_state_council_schedule() -> None:
    cal = WorkCalendar()
    # 2026 (chinese-calendar's data): 15-23 February off for the Spring Festival, Saturday 14 and
    # Saturday 28 February worked (调休); 1-7 October off.
    assert cal.is_working_day(dt.date(2026, 2, 14)) and cal.is_working_day(dt.date(2026, 2, 28))
    assert not cal.is_working_day(dt.date(2026, 2, 16))
    assert cal.add_working_days(dt.date(2026, 2, 13), 2) == dt.date(2026, 2, 24)
    assert cal.add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    assert cal.add_working_days(dt.date(2026, 9, 30), 0) == dt.date(2026, 9, 30)
    with pytest.raises(ValueError):
        cal.add_working_days(dt.date(2026, 9, 30), -1)


def test_an_unknown_year_is_an_error_not_a_guess() -> None:
    with pytest.raises(CalendarError, match="holidays of 2027 are not known"):
        WorkCalendar().add_working_days(dt.date(2026, 12, 20), 20)


def test_overrides_cover_a_year(tmp_path: Path) -> None:
    path = tmp_path / "2027.csv"
    path.write_text("date,kind\n2027-01-01,holiday\n2027-01-02,workday\n", encoding="utf-8")
    cal = WorkCalendar(read_overrides(path))
    assert not cal.is_working_day(dt.date(2027, 1, 1))
    assert cal.is_working_day(dt.date(2027, 1, 2))  # a Saturday made a working day
    assert not cal.is_working_day(dt.date(2027, 1, 3))  # an ordinary Sunday
    assert cal.add_working_days(dt.date(2026, 12, 31), 1) == dt.date(2027, 1, 2)
    with pytest.raises(CalendarError, match="2028"):
        cal.is_working_day(dt.date(2028, 1, 3))
    path.write_text(
        "date,kind\n2027-13-01,holiday\n2027-01-05,rest\n2027-01-06,holiday\n2027-01-06,workday\n", encoding="utf-8"
    )
    with pytest.raises(CalendarOverrideError) as info:
        read_overrides(path)
    assert [p.row for p in info.value.problems] == [2, 3, 5]
    path.write_text("day,kind\n", encoding="utf-8")
    with pytest.raises(CalendarOverrideError, match="needs columns"):
        read_overrides(path)


@pytest.fixture
def golden(vectors: Path):  # type: ignore[no-untyped-def]
    plan = load_plan(vectors / "golden_plan.toml")
    result = draw(read_table(vectors / "golden_population.csv"), plan, GOLDEN_SEED)
    return plan, result.selection


def test_plan_and_task_notices(golden, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan, selection = golden
    notice = plan_notice(plan)
    # Ratios read as percentages and the scope in words, the column named in Chinese.
    assert notice.table[["任务编号", "事项类别", "抽查比例", "最低比例", "抽查范围"]].values.tolist() == [
        ["T1", "一般事项", "10%", "25%", "全部检查对象"],
        ["T2", "重点事项", "50%", "不设", "行政区划：410302、410303"],
    ]
    # The machine copy, as a reader sees it.
    assert notice_csv_bytes(notice).decode("utf-8") == (
        "\ufeff计划编号,计划名称,任务编号,任务名称,发起部门,抽查事项,事项类别,抽查比例,最低比例,抽查范围,开始日期,结束日期\n"
        "GV-1,,T1,,市场监管局,企业公示信息,一般事项,10%,25%,全部检查对象,,\n"
        "GV-1,,T2,,税务局,发票管理,重点事项,50%,不设,行政区划：410302、410303,,\n"
    )
    tasks = task_notice(plan, selection)
    assert len(tasks.table) == len(selection) and "检查人员" not in tasks.table.columns
    paths = write_notice(tasks, tmp_path, "抽查任务公告")
    assert [p.name for p in paths] == ["抽查任务公告.csv", "抽查任务公告.xlsx", "抽查任务公告.html"]
    assert paths[0].read_bytes().startswith(b"\xef\xbb\xbf")
    sheet = openpyxl.load_workbook(paths[1]).active
    # Title (row 1), the plan's lines (row 2), the header (row 3, frozen), then the rows with 序号.
    assert sheet["A1"].value == tasks.title and sheet["A1"].font.bold and "A1:G1" in sheet.merged_cells
    assert sheet.freeze_panes == "A4" and sheet["A3"].value == "序号" and sheet["B3"].value == "任务编号"
    assert sheet["A3"].font.bold and sheet["A4"].value == 1 and sheet["F3"].value == "统一社会信用代码"
    assert sheet["F4"].value == selection["uscc"].iloc[0] and sheet["F4"].data_type == "s"
    assert sheet.column_dimensions["F"].width >= 18  # fits an 18-character code
    page = paths[2].read_text(encoding="utf-8")
    assert "<script" not in page and "统一社会信用代码" in page and selection["uscc"].iloc[0] in page


def test_the_plan_notice_workbook_holds_numbers_and_dates(tmp_path: Path) -> None:
    plan = load_plan_text(example_plan_toml())
    paths = write_notice(plan_notice(plan), tmp_path, "抽查计划公告")
    sheet = openpyxl.load_workbook(paths[1]).active
    header = [c.value for c in sheet[3]]
    ratio, start = header.index("抽查比例") + 1, header.index("开始日期") + 1
    assert sheet.cell(4, ratio).value == pytest.approx(0.02) and sheet.cell(4, ratio).number_format == "0%"
    assert sheet.cell(4, start).value == dt.datetime(2027, 3, 1) and sheet.cell(4, start).number_format == "yyyy-mm-dd"
    scope = header.index("抽查范围") + 1
    assert sheet.cell(5, scope).value == "行业：F52*（以F52开头）、H62*（以H62开头）"
    assert sheet.cell(4, header.index("最低比例") + 1).value == pytest.approx(0.05)
    assert sheet.cell(5, header.index("最低比例") + 1).value == "不设"
    half = plan_notice(load_plan_text(example_plan_toml().replace('ratio = "0.02"', 'ratio = "0.025"', 1)))
    assert half.table["抽查比例"].iloc[0] == "2.5%"
    sheet = openpyxl.load_workbook(write_notice(half, tmp_path / "h", "p")[1]).active
    assert sheet.cell(4, ratio).value == pytest.approx(0.025) and sheet.cell(4, ratio).number_format == "0.0%"


def test_result_notice_deadlines_and_pending(golden) -> None:  # type: ignore[no-untyped-def]
    plan, selection = golden
    t2 = selection[selection["task_id"] == "T2"]["uscc"].iloc[0]
    frame = pd.DataFrame(
        {
            "task_id": ["T1", "T1", "T2"],
            "uscc": [*selection["uscc"].iloc[:2].tolist(), t2],
            "result": ["正常", "发现问题已责令改正", "通过登记的住所(经营场所)无法联系"],
            "completed": ["2026-09-30", "2026-02-13", "2026-09-30"],
            "备注": ["", "已整改", ""],
        },
        index=[2, 3, 4],
    )
    results = check_results(read_frame(frame), selection)
    assert results["note"].tolist() == ["", "已整改", ""]
    notice, pending = result_notice(plan, selection, results)
    assert notice.table["公示截止日期"].tolist() == [
        WorkCalendar().add_working_days(dt.date(2026, 9, 30), 20).isoformat(),
        WorkCalendar().add_working_days(dt.date(2026, 2, 13), 20).isoformat(),
        WorkCalendar().add_working_days(dt.date(2026, 9, 30), 20).isoformat(),
    ]
    # 20 working days after 2026-09-30: 1-7 October off, Saturday 10 October worked (调休): 2026-11-03.
    assert notice.table["公示截止日期"].iloc[0] == "2026-11-03"
    # Only a result that lists the firm (经营异常名录) has a listing deadline: 10 working days, 2026-10-20.
    assert "通过登记的住所(经营场所)无法联系" in LISTING_RESULTS
    assert notice.table["列入经营异常名录决定期限"].tolist() == ["", "", "2026-10-20"]
    assert notice.table["抽查类型"].tolist() == ["不定向", "不定向", "定向"]  # T2 has a where filter
    assert notice.table["抽查计划编号"].tolist() == ["GV-1"] * 3 and notice.table["备注"].iloc[1] == "已整改"
    assert notice.table["检查机关"].tolist() == ["市场监管局", "市场监管局", "税务局"]
    assert len(pending) == len(selection) - 3
    export = publicity_export(notice)
    assert tuple(export.table.columns) == EXPORT_FIELDS and export.kind == "export"
    assert export.table.iloc[2].to_dict() == {
        "统一社会信用代码": t2,
        "抽查计划编号": "GV-1",
        "抽查计划名称": "",
        "抽查任务编号": "T2",
        "抽查任务名称": "",
        "抽查类型": "定向",
        "检查机关": "税务局",
        "检查完成日期": "2026-09-30",
        "检查结果": "通过登记的住所(经营场所)无法联系",
        "备注": "",
    }


def read_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A results frame with its headers renamed as the results reader renames them (备注 is ``note``)."""
    return renamed_headers(frame, RESULT_ALIASES, "<frame>", ResultsError)


def test_results_problems_are_all_reported(golden) -> None:  # type: ignore[no-untyped-def]
    _, selection = golden
    first = selection["uscc"].iloc[0]
    frame = pd.DataFrame(
        {
            "task_id": ["T1", "T1", "T9", "T1"],
            "uscc": [first, first, first, "91110000600037341L"],
            "result": ["正常", "良好", "正常", "正常"],
            "completed": ["2026-09-30", "2026-09-31", "2026-09-30", "2026-09-30"],
        },
        index=[2, 3, 4, 5],
    )
    with pytest.raises(ResultsError) as info:
        check_results(frame, selection, source="results.csv")
    got = {(p.row, p.column) for p in info.value.problems}
    assert got == {(3, "uscc"), (3, "result"), (3, "completed"), (4, "uscc"), (5, "uscc")}
    with pytest.raises(ResultsError, match="needs columns"):
        check_results(frame.drop(columns="completed"), selection)


@pytest.mark.parametrize("written", ["2026/09/30", "2026.09.30", "2026-9-30", "2026/9/30"])
def test_results_take_dates_as_the_history_does(golden, written: str) -> None:  # type: ignore[no-untyped-def]
    _, selection = golden
    frame = pd.DataFrame(
        {"task_id": ["T1"], "uscc": [selection["uscc"].iloc[0]], "result": ["正常"], "completed": [written]}, index=[2]
    )
    assert check_results(frame, selection)["completed"].tolist() == [dt.date(2026, 9, 30)]


def test_notices_command(golden, vectors: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert main(golden_args(vectors, tmp_path / "d")) == 0
    _, selection = golden
    results = tmp_path / "results.csv"
    results.write_text(
        f"task_id,uscc,result,completed,remark\nT1,{selection['uscc'].iloc[0]},正常,2026-12-20,=1+1\n", encoding="utf-8"
    )
    capsys.readouterr()
    cmd = ["notices", str(tmp_path / "d"), "--out", str(tmp_path / "n"), "--results", str(results)]
    assert main(cmd) == 2
    assert "holidays of 2027 are not known" in capsys.readouterr().err
    assert not (tmp_path / "n").exists()  # nothing written before every file is made
    overrides = tmp_path / "cal.csv"
    overrides.write_text("date,kind\n2027-01-01,holiday\n", encoding="utf-8")
    assert main([*cmd, "--calendar-overrides", str(overrides)]) == 0
    names = sorted(p.name for p in (tmp_path / "n").iterdir())
    assert "抽查结果公告.xlsx" in names and "抽查计划公告.html" in names and "pending.csv" in names
    assert {"抽查结果公示导出.csv", "抽查结果公示导出.xlsx"} <= set(names) and "抽查结果公示导出.html" not in names
    assert "have no result yet" in capsys.readouterr().err
    export = pd.read_csv(tmp_path / "n/抽查结果公示导出.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert tuple(export.columns) == EXPORT_FIELDS and export["备注"].tolist() == ["'=1+1"]  # remark is 备注
    # The ledger still reads the posted result notice, as CSV and as XLSX (title rows above the header).
    for posted in ("抽查结果公告.csv", "抽查结果公告.xlsx"):
        entries = published_entries(tmp_path / "n" / posted, tmp_path / "d", date="2027-01-05", year="2026")
        assert [(e.task_id, e.uscc) for e in entries] == [("T1", selection["uscc"].iloc[0])]


def test_the_plan_notice_is_made_from_the_plan_alone(
    vectors: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = vectors / "golden_plan.toml"
    assert main(["notices", "--plan", str(plan), "--out", str(tmp_path / "before")]) == 0
    before = sorted(p.name for p in (tmp_path / "before").iterdir())
    assert before == ["notices.json", "notices.sha256", "抽查计划公告.csv", "抽查计划公告.html", "抽查计划公告.xlsx"]
    record = json.loads((tmp_path / "before" / "notices.json").read_bytes())
    assert record["draw"] == {"manifest_sha256": None, "assignment_sha256": None} and record["results"] is None
    assert record["plan_sha256"] == hashlib.sha256(plan.read_bytes()).hexdigest()
    assert sorted(record["files"]) == before[2:]
    assert main(golden_args(vectors, tmp_path / "d")) == 0
    assert main(["notices", str(tmp_path / "d"), "--out", str(tmp_path / "after")]) == 0
    # The same plan gives the same table before and after the draw; the page's footer names the plan
    # file's SHA-256, which the draw's manifest records, and after the draw the manifest's own.
    name = "抽查计划公告.csv"
    assert (tmp_path / "before" / name).read_bytes() == (tmp_path / "after" / name).read_bytes()
    manifest = json.loads((tmp_path / "d/manifest.json").read_bytes())
    page = (tmp_path / "before/抽查计划公告.html").read_text(encoding="utf-8")
    assert manifest["inputs"]["plan"]["sha256"] == hashlib.sha256(plan.read_bytes()).hexdigest()
    assert manifest["inputs"]["plan"]["sha256"] in page and "种子方式" not in page
    after = (tmp_path / "after/抽查计划公告.html").read_text(encoding="utf-8")
    digest = hashlib.sha256((tmp_path / "d/manifest.json").read_bytes()).hexdigest()
    assert "种子方式：<span>直接给定</span>" in after and digest in after and "verify.html" in after
    assert f'随机种子：<span class="hash">{manifest["seed"]["value"]}</span>' in after
    # the workbooks carry the same lines in a second sheet: the plan file's SHA-256, then the draw's
    for folder, wanted in (("before", manifest["inputs"]["plan"]["sha256"]), ("after", digest)):
        book = openpyxl.load_workbook(tmp_path / folder / "抽查计划公告.xlsx")
        assert book.sheetnames == ["公告", "核验信息"]
        cells = [str(c.value) for row in book["核验信息"].iter_rows() for c in row if c.value is not None]
        assert wanted in cells, folder
    assert manifest["seed"]["value"] in cells
    capsys.readouterr()
    for argv, message in [
        (["notices", "--out", str(tmp_path / "x")], "or a plan file"),
        (["notices", str(tmp_path / "d"), "--plan", str(plan), "--out", str(tmp_path / "x")], "not both"),
        (["notices", "--plan", str(plan), "--out", str(tmp_path / "x"), "--results", str(plan)], "belong to a draw"),
    ]:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_a_name_longer_than_an_xlsx_cell_is_an_error_not_cut(golden) -> None:  # type: ignore[no-untyped-def]
    plan, selection = golden
    long = selection.assign(name=selection["name"].where(selection.index != selection.index[1], "名" * 40_000))
    notice = task_notice(plan, long)
    expected = f"row 2, column '企业名称' holds 40,000 characters, more than .*{XLSX_CELL:,}"
    with pytest.raises(InputError, match=expected):
        xlsx_bytes(notice)
    assert "名" * 40_000 in notice_csv_bytes(notice).decode("utf-8-sig")  # the CSV keeps it whole
