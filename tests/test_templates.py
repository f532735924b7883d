"""The clerks' workbooks (``shuangsuiji template``): read back as the library reads them, checked, safe, converted."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from shuangsuiji import Plan
from shuangsuiji.cli import main
from shuangsuiji.columns import CANONICAL, canonical_columns
from shuangsuiji.conflicts import check_conflicts, check_exclusive_pairs, check_relations
from shuangsuiji.exceptions import InputError, NotFoundError, ResultsError
from shuangsuiji.exclusions import check_history
from shuangsuiji.io import read_table, write_csv
from shuangsuiji.ledger import result_entries
from shuangsuiji.notices import RESULT_CATEGORIES, check_results, read_results
from shuangsuiji.plan import parse_plan
from shuangsuiji.population import check_population
from shuangsuiji.roster import check_roster
from shuangsuiji.templates import (
    RESULTS_FILE,
    Template,
    input_templates,
    results_frame,
    results_template,
    template_xlsx,
    write_templates,
)
from shuangsuiji.workdays import read_overrides

from .conftest import publish_staffed

KINDS = ("population", "roster", "history", "conflicts", "requests", "relations", "pairs", "calendar")
HOSTILE = ("=1+1", "+SUM(A1:A2)", "http://example.com/x", "-2+3", "@SUM(1)", '=HYPERLINK("http://e.com","x")')


@pytest.fixture(scope="module")
def staffed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published, staffed draw of the example city."""
    return publish_staffed(tmp_path_factory.mktemp("staffed"), entities=300, seed=5)


def _by_kind(paths: list[Path]) -> dict[str, Path]:
    return {p.name.split("-", 1)[0]: p for p in paths}


def _check(kind: str, frame: pd.DataFrame, plan: Plan | None, tmp: Path) -> None:
    """The kind's own check of the library, which must accept the example row."""
    if kind == "population":
        check_population(frame, plan)
    elif kind == "roster":
        check_roster(frame)
    elif kind == "history":
        check_history(frame)
    elif kind in ("conflicts", "requests"):
        check_conflicts(frame, inspectors={"ZF001"}, kind="declared" if kind == "conflicts" else "request")
    elif kind == "relations":
        check_relations(frame)
    elif kind == "pairs":
        check_exclusive_pairs(frame, inspectors={"ZF001", "ZF002"})
    else:
        write_csv(frame, tmp / "calendar.csv")
        assert read_overrides(tmp / "calendar.csv") == {dt.date(2027, 1, 1): False}


def _read_back(path: Path, kind: str, template: Template) -> pd.DataFrame:
    frame = canonical_columns(read_table(path), kind)
    assert tuple(frame.columns) == tuple(c.name for c in template.columns)
    assert frame.to_dict("records") == [{c.name: str(c.example) for c in template.columns}]
    return frame


@pytest.mark.parametrize("with_plan", [False, True], ids=["no-plan", "plan"])
def test_each_template_reads_back_as_its_canonical_columns_and_example_row_which_pass_its_check(
    tmp_path: Path, city_plan: Plan, with_plan: bool
) -> None:
    plan = city_plan if with_plan else None
    paths = write_templates(tmp_path, departments=["市场监管局", "税务局"], plan=plan)
    templates = {t.kind: t for t in input_templates(["市场监管局", "税务局"], plan)}
    assert tuple(_by_kind(paths)) == KINDS
    for kind, path in _by_kind(paths).items():
        assert tuple(c.name for c in templates[kind].columns) == CANONICAL[kind]
        _check(kind, _read_back(path, kind, templates[kind]), plan, tmp_path)


def test_the_data_sheet_is_first_frozen_formatted_and_has_its_drop_downs(tmp_path: Path) -> None:
    paths = _by_kind(write_templates(tmp_path, departments=["市场监管局", "税务局"]))
    book = openpyxl.load_workbook(paths["population"])
    assert book.sheetnames == ["检查对象名录库", "说明", "选项"]
    assert book["选项"].sheet_state == "hidden"
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "A2"
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["统一社会信用代码", "注册号", "名称"]
    for code in ("统一社会信用代码", "注册号", "行政区划代码", "行业代码"):
        col = headers.index(code) + 1
        letter = openpyxl.utils.get_column_letter(col)
        assert sheet.cell(2, col).number_format == "@" and sheet.cell(2, col).data_type == "s"
        assert sheet.column_dimensions[letter].number_format == "@"  # the whole column, not just the example
        assert sheet.column_dimensions[letter].width > 8
    registered = sheet.cell(2, headers.index("成立日期") + 1)
    assert registered.is_date and registered.value == dt.datetime(2015, 6, 1)
    lists = _lists(book)
    assert lists["信用风险分类"] == ["A", "B", "C", "D"]
    assert lists["风险等级"] == ["1", "2", "3", "4"]
    roster = openpyxl.load_workbook(paths["roster"])
    assert _lists(roster) == {
        "检查部门": ["市场监管局", "税务局"],
        "可任主检": ["是", "否"],
        "在岗": ["是", "否"],
        "类型": ["执法人员", "专家"],
    }
    cert = roster.worksheets[0].cell(2, 6)
    assert (cert.value, cert.number_format) == ("11010520230001", "@")
    assert _lists(openpyxl.load_workbook(paths["calendar"])) == {"类型": ["holiday", "workday"]}
    assert "投诉举报" in _lists(openpyxl.load_workbook(paths["history"]))["类型"]
    rules = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    assert rules["D2:D1048576"].type == "list" and rules["D2:D1048576"].errorStyle in (
        None,
        "stop",
    )  # stop is the default
    assert rules["M2:M1048576"].type == "date"
    assert rules["E2:E1048576"].errorStyle == "warning"  # risk tiers differ by bureau: confirm, not refuse
    notes = " ".join(str(c.value) for row in book["说明"].iter_rows() for c in row if c.value)
    assert "示例" in notes and "必填" in notes and "统一社会信用代码" in notes


def _lists(book: Any) -> dict[str, list[str]]:
    """Each drop-down's values, by the header of the column that uses it (via the hidden 选项 sheet)."""
    if "选项" not in book.sheetnames:
        return {}
    values = book["选项"]
    out = {}
    for col in values.iter_cols(values_only=True):
        out[str(col[0])] = [str(v) for v in col[1:] if v is not None]
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    for rule in sheet.data_validations.dataValidation:
        if rule.type == "list":
            column = headers[min(rule.sqref.ranges).min_col - 1]
            assert rule.formula1.startswith("'选项'!$")
            assert column in out
    return out


def test_plan_fills_the_drop_downs_and_marks_what_it_reads_required(city_plan: Plan) -> None:
    population, roster, *_ = input_templates(None, city_plan)
    required = {c.name for c in population.columns if c.required}
    assert required == {"uscc", *city_plan.columns()}
    departments = next(c for c in roster.columns if c.name == "department").choices
    assert departments == tuple(dict.fromkeys(t.department for t in city_plan.tasks))
    assert next(c for c in population.columns if c.name == "risk_tier").choices == ("1", "2", "3", "4")
    assert input_templates(None, None)[1].columns[2].choices == ("市场监管局",)
    with pytest.raises(InputError, match="empty"):
        input_templates([" "], None)
    with pytest.raises(InputError, match="list"):
        input_templates("市场监管局,税务局", None)


def test_the_same_inputs_give_the_same_bytes_and_a_fixed_creation_date(tmp_path: Path) -> None:
    first = [p.read_bytes() for p in write_templates(tmp_path / "a", departments=["市场监管局"])]
    second = [p.read_bytes() for p in write_templates(tmp_path / "b", departments=["市场监管局"])]
    assert first == second
    with zipfile.ZipFile(tmp_path / "a" / "population-检查对象名录库.xlsx") as z:
        assert "2000-01-01T00:00:00Z" in z.read("docProps/core.xml").decode()


def _assert_no_formula_or_link(path: Path) -> int:
    book = openpyxl.load_workbook(path)
    cells = 0
    for sheet in book.worksheets:
        assert not sheet._hyperlinks
        for row in sheet.iter_rows():
            for cell in row:
                cells += cell.value is not None
                assert cell.data_type != "f", (path.name, sheet.title, cell.coordinate, cell.value)
                assert cell.hyperlink is None, (path.name, sheet.title, cell.coordinate)
    with zipfile.ZipFile(path) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
        assert "<f>" not in xml and "<hyperlink" not in xml
    return cells


def test_no_cell_becomes_a_formula_or_a_link_whatever_the_departments_plan_and_draw_say(
    tmp_path: Path,
) -> None:
    tasks = [{"id": f"T{i}", "department": d, "items": [d], "ratio": "0.1"} for i, d in enumerate(HOSTILE)]
    plan = parse_plan({"id": "P", "title": "http://example.com", "tasks": tasks})
    paths = write_templates(tmp_path / "t", departments=["=2*3", "http://evil.example"], plan=plan)
    draw = tmp_path / "draw"
    draw.mkdir()
    write_csv(
        pd.DataFrame(
            {
                "task_id": ["T0", "T1"],
                "uscc": ["91110000600037341L", "9144030071526726XG"],
                "name": ["=1+1", "http://example.com"],
                "department": [HOSTILE[0], HOSTILE[1]],
            }
        ),
        draw / "selection.csv",
    )
    paths.append(results_template(draw, tmp_path / "t" / RESULTS_FILE))
    for path in paths:
        assert _assert_no_formula_or_link(path) > 0
    frame = canonical_columns(read_table(paths[1]), "roster")
    assert frame.loc[2, "department"] == HOSTILE[0]
    values = [c.value for c in openpyxl.load_workbook(paths[1])["选项"]["A"]]
    assert values == ["检查部门", *HOSTILE, "=2*3", "http://evil.example"]
    assert read_table(paths[-1])["name"].tolist() == ["=1+1", "http://example.com"]


def _fill(path: Path, rows: int, *, as_text: bool = False) -> None:
    """Fill result and date as a clerk does (openpyxl writes what Excel would keep)."""
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    result, completed = headers.index("检查结果") + 1, headers.index("检查完成日期") + 1
    for i in range(2, rows + 2):
        sheet.cell(i, result).value = RESULT_CATEGORIES[i % len(RESULT_CATEGORIES)]
        day = dt.date(2027, 3, 1 + i % 28)
        sheet.cell(i, completed).value = day.isoformat() if as_text else day
    book.save(path)


def test_the_results_workbook_is_pre_filled_from_the_draw_and_read_back_once_filled(
    staffed: Path, tmp_path: Path
) -> None:
    selection = read_table(staffed / "selection.csv")
    path = results_template(staffed, tmp_path / RESULTS_FILE)
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers == [
        "任务编号",
        "统一社会信用代码",
        "名称",
        "检查编号",
        "检查人员",
        "检查结果",
        "检查完成日期",
        "备注",
    ]
    assert sheet.max_row == len(selection) + 1
    assert sheet.protection.sheet and sheet.cell(2, 1).protection.locked
    assert sheet.cell(2, 2).value == selection["uscc"].iloc[0] and sheet.cell(2, 2).number_format == "@"
    assert _lists(book) == {"检查结果": list(RESULT_CATEGORIES)}
    rules = {v.type: v for v in sheet.data_validations.dataValidation}
    assert str(rules["date"].sqref) == "G2:G1048576"
    frame = results_frame(staffed)
    teams = read_table(staffed / "teams.csv")
    staffed_row = frame[frame["inspectors"] != ""].iloc[0]
    lead = teams[(teams["visit_id"] == staffed_row["visit_id"]) & (teams["role"] == "lead")]["inspector_id"]
    assert staffed_row["inspectors"].split(";")[0] in set(lead)
    assert staffed_row["visit_id"] == "V" + staffed_row["uscc"]
    with pytest.raises(ResultsError, match=r"result category|not a date"):
        check_results(read_results(path), selection, source=str(path))  # unfilled: refused, row by row
    for as_text in (False, True):
        _fill(path, len(selection), as_text=as_text)
        checked = check_results(read_results(path), selection, source=str(path))
        assert len(checked) == len(selection) and set(checked["result"]) <= set(RESULT_CATEGORIES)
        assert checked["completed"].iloc[0] == dt.date(2027, 3, 3)
    entries = result_entries(path, staffed, year="2027")
    assert len(entries) == len(selection) and {e.event for e in entries} == {"done"}


def test_the_results_workbook_of_a_draw_without_assignment_and_of_no_draw(tmp_path: Path, staffed: Path) -> None:
    shutil.copy(staffed / "selection.csv", tmp_path / "selection.csv")
    frame = results_frame(tmp_path)
    assert frame.columns.tolist() == ["task_id", "uscc", "name"]
    path = results_template(tmp_path, tmp_path / "out" / RESULTS_FILE)
    assert [c.value for c in openpyxl.load_workbook(path).worksheets[0][1]][3:] == ["检查结果", "检查完成日期", "备注"]
    with pytest.raises(NotFoundError, match=r"selection\.csv"):
        results_frame(tmp_path / "nowhere")


def test_the_command_writes_every_template_and_the_results_workbook(
    tmp_path: Path, staffed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tpl"
    assert main(["template", "--out", str(out), "--departments", "市场监管局，税务局", "--draw", str(staffed)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("Wrote ") == len(KINDS) + 1 and (out / RESULTS_FILE).is_file()
    roster = openpyxl.load_workbook(out / "roster-执法检查人员名录库.xlsx")
    assert _lists(roster)["检查部门"] == ["市场监管局", "税务局"]
    plan = Path(__file__).parent / "vectors" / "golden_plan.toml"
    assert main(["template", "--out", str(tmp_path / "p"), "--plan", str(plan)]) == 0
    assert main(["template", "--out", str(tmp_path / "q"), "--departments", " , "]) == 2
    assert "empty" in capsys.readouterr().err
    assert main(["template", "--out", str(tmp_path / "r"), "--draw", str(tmp_path / "none")]) == 2


def _soffice() -> str:
    found = shutil.which("soffice")
    if found is None:
        if os.environ.get("SHUANGSUIJI_REQUIRE_SOFFICE") == "1":
            pytest.fail(
                "SHUANGSUIJI_REQUIRE_SOFFICE=1 but soffice is not on PATH (apt-get install libreoffice-calc-nogui)"
            )
        pytest.skip("soffice (LibreOffice) is not on PATH; set SHUANGSUIJI_REQUIRE_SOFFICE=1 to make this a failure")
    return found


def _convert(soffice: str, files: list[Path], to: str, out: Path, profile: Path) -> None:
    run = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(out),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HOME": str(profile)},
        check=False,
    )
    assert run.returncode == 0, run.stderr


def test_libreoffice_converts_every_template_and_keeps_codes_as_text(tmp_path: Path, staffed: Path) -> None:
    soffice = _soffice()
    files = write_templates(tmp_path / "tpl", departments=["市场监管局", "税务局"])
    files.append(results_template(staffed, tmp_path / "tpl" / RESULTS_FILE))
    _convert(soffice, files, "pdf", tmp_path / "pdf", tmp_path / "profile")
    for file in files:
        pdf = tmp_path / "pdf" / f"{file.stem}.pdf"
        assert pdf.is_file(), pdf
        assert pdf.read_bytes()[:4] == b"%PDF", pdf
    # Opened and saved again by LibreOffice, the templates still read back unchanged (codes as text).
    _convert(soffice, files[:-1], "xlsx", tmp_path / "resaved", tmp_path / "profile")
    for template in input_templates(["市场监管局", "税务局"]):
        _read_back(tmp_path / "resaved" / template.file_name, template.kind, template)


def test_template_bytes_open_in_openpyxl_with_instructions_for_every_column() -> None:
    for template in input_templates():
        path_bytes = template_xlsx(template)
        book = openpyxl.load_workbook(io.BytesIO(path_bytes))
        notes = [str(c.value) for row in book["说明"].iter_rows() for c in row if c.value]
        for column in template.columns:
            assert column.header in notes and column.help in notes
