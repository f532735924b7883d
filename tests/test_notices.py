"""Working days (with 调休 and overrides) and the public notices."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from shuangsuiji import draw, load_plan, read_table
from shuangsuiji.cli import main
from shuangsuiji.notices import ResultsError, check_results, plan_notice, result_notice, task_notice, write_notice
from shuangsuiji.workdays import CalendarError, CalendarOverrideError, WorkCalendar, read_overrides

from .conftest import GOLDEN_SEED, golden_args


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
    assert notice.table[["任务编号", "事项类别", "抽查比例", "抽查范围"]].values.tolist() == [
        ["T1", "一般事项", "0.1", "全部检查对象"],
        ["T2", "重点事项", "0.5", "region: 410302、410303"],
    ]
    tasks = task_notice(plan, selection)
    assert len(tasks.table) == len(selection) and "检查人员" not in tasks.table.columns
    paths = write_notice(tasks, tmp_path, "抽查任务公告")
    assert paths[0].read_bytes().startswith(b"\xef\xbb\xbf")
    sheet = openpyxl.load_workbook(paths[1]).active
    assert sheet.freeze_panes == "A2" and sheet["A1"].value == "任务编号" and sheet["A1"].font.bold
    assert sheet.column_dimensions["E"].width >= 18  # fits an 18-character code
    page = paths[2].read_text(encoding="utf-8")
    assert "<script" not in page and "统一社会信用代码" in page and selection["uscc"].iloc[0] in page


def test_result_notice_deadlines_and_pending(golden) -> None:  # type: ignore[no-untyped-def]
    plan, selection = golden
    frame = pd.DataFrame(
        {
            "task_id": ["T1", "T1"],
            "uscc": selection["uscc"].iloc[:2].tolist(),
            "result": ["正常", "发现问题已责令改正"],
            "completed": ["2026-09-30", "2026-02-13"],
        },
        index=[2, 3],
    )
    results = check_results(frame, selection)
    notice, pending = result_notice(plan, selection, results)
    assert notice.table["公示截止日期"].tolist() == [
        WorkCalendar().add_working_days(dt.date(2026, 9, 30), 20).isoformat(),
        WorkCalendar().add_working_days(dt.date(2026, 2, 13), 20).isoformat(),
    ]
    # 20 working days after 2026-09-30: 1-7 October off, Saturday 10 October worked (调休): 2026-11-03.
    assert notice.table["公示截止日期"].iloc[0] == "2026-11-03"
    assert len(pending) == len(selection) - 2


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


def test_notices_command(golden, vectors: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert main(golden_args(vectors, tmp_path / "d")) == 0
    _, selection = golden
    results = tmp_path / "results.csv"
    results.write_text(
        f"task_id,uscc,result,completed\nT1,{selection['uscc'].iloc[0]},正常,2026-12-20\n", encoding="utf-8"
    )
    capsys.readouterr()
    cmd = ["notices", str(tmp_path / "d"), "--out", str(tmp_path / "n"), "--results", str(results)]
    assert main(cmd) == 2
    assert "holidays of 2027 are not known" in capsys.readouterr().err
    overrides = tmp_path / "cal.csv"
    overrides.write_text("date,kind\n2027-01-01,holiday\n", encoding="utf-8")
    assert main([*cmd, "--calendar-overrides", str(overrides)]) == 0
    names = sorted(p.name for p in (tmp_path / "n").iterdir())
    assert "抽查结果公告.xlsx" in names and "抽查计划公告.html" in names and "pending.csv" in names
    assert "have no result yet" in capsys.readouterr().err
