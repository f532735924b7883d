"""The notices as a bureau posts and prints them: hostile text, print setup, templates, settings, A4 pages.

The page-count test prints with headless Chromium; it is skipped without one, unless
SHUANGSUIJI_REQUIRE_BROWSER=1 (as in CI) makes a missing browser a failure.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from shuangsuiji import InputError, NotFoundError, parse_plan, read_table
from shuangsuiji.cli import main
from shuangsuiji.io import csv_bytes
from shuangsuiji.notices import (
    NoticeSettings,
    check_results,
    load_notice_settings,
    plan_notice,
    publicity_export,
    result_notice,
    task_notice,
    write_notice,
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
HOSTILE = (
    '=HYPERLINK("http://x","y")',
    "+cmd",
    "-1+1",
    "@SUM(A1)",
    "<script>alert(1)</script>",
    "\t制表符开头的公司",
    "\r回车开头的公司",
)
CODES = (
    "91110000600037341L",
    "9144030071526726XG",
    "91110000710926094P",
    "91310000631696382C",
    "91310115MA1K3BTP2B",
    "121200004013590816",  # all digits: must stay text in the workbook
    "91350100M0001TGQXM",
)


def hostile_plan():  # type: ignore[no-untyped-def]
    item = {"methods": ["现场检查", "=书面检查"], "basis": "<script>alert(2)</script>", "partners": ["@税务局"]}
    return parse_plan(
        {
            "id": "P-1",
            "title": '=HYPERLINK("http://x","计划")',
            "start": dt.date(2026, 9, 1),
            "end": dt.date(2026, 9, 30),
            "tasks": [
                {
                    "id": "T1",
                    "name": "+任务",
                    "department": "-1+1",
                    "items": ["@SUM(A1)"],
                    "ratio": "0.1",
                    "item": item,
                },
                {
                    "id": "T2",
                    "name": "<b>任务二</b>",
                    "department": "税务局",
                    "items": ["发票管理"],
                    "category": "key",
                    "ratio": "0.5",
                    "where": {"region": ["=4103*"]},
                },
            ],
        }
    )


def hostile_notices(tmp: Path) -> list[Path]:
    """The three notices and the export of a draw whose every text is hostile, written to ``tmp``."""
    plan = hostile_plan()
    tasks = ["T1", "T1", "T1", "T1", "T2", "T2", "T2"]
    selection = pd.DataFrame(
        {"task_id": tasks, "uscc": CODES, "name": HOSTILE, "department": ["-1+1"] * 4 + ["税务局"] * 3}
    )
    teams = pd.DataFrame({"uscc": CODES, "department": selection["department"], "names": ["=A1"] * 7})
    results = pd.DataFrame(
        {
            "task_id": tasks,
            "uscc": CODES,
            "result": ["正常", "未按规定公示(即时)信息", "正常", "正常", "正常", "正常", "已注销/迁出"],
            "completed": ["2026-09-30"] * 7,
            "note": list(HOSTILE),
        }
    )
    notice, _ = result_notice(plan, selection, check_results(results, selection), teams=teams)
    paths = write_notice(plan_notice(plan), tmp, "抽查计划公告")
    paths += write_notice(task_notice(plan, selection, teams), tmp, "抽查任务公告")
    paths += write_notice(notice, tmp, "抽查结果公告")
    return paths + write_notice(publicity_export(notice), tmp, "抽查结果公示导出")


def test_hostile_text_is_inert_in_every_notice(tmp_path: Path) -> None:
    paths = hostile_notices(tmp_path)
    assert sorted(p.suffix for p in paths) == [".csv"] * 4 + [".html"] * 3 + [".xlsx"] * 4
    for path in paths:
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                names = book.namelist()
                assert not [n for n in names if n.startswith("xl/worksheets/_rels/")], path  # no hyperlinks
                for name in names:
                    data = book.read(name)
                    if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                        assert b"<f>" not in data and b"<f " not in data and b"<hyperlink" not in data, path
                    if name.endswith(".rels"):
                        assert b"hyperlink" not in data, (path, name)
            cells = {c.value: c for row in openpyxl.load_workbook(path).active.iter_rows() for c in row}
            # The export holds the notes (stripped, as every results cell is); XML keeps a CR as _x000D_.
            hostile = ("-1+1", "@SUM(A1)") if "计划" in path.name else HOSTILE[: 5 if "导出" in path.name else 6]
            for text in hostile:
                assert cells[text].data_type == "s", (path, text)  # kept as typed, as text
            if "计划" not in path.name:
                assert cells["121200004013590816"].data_type == "s"
        elif path.suffix == ".csv":
            text = path.read_bytes().decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text, newline="")))
            cells = [c for r in rows for c in r]
            assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))], path
            if "公示导出" not in path.name and "计划" not in path.name:
                assert "'" + '=HYPERLINK("http://x","y")' in cells and "'\t制表符开头的公司" in cells
                assert "'-1+1" in cells and "<script>alert(1)</script>" in cells  # not a formula: kept
                assert "\n回车开头的公司" in cells and len({len(r) for r in rows}) == 1  # a CR ends no record
        else:
            page = path.read_text(encoding="utf-8")
            assert "<script" not in page.lower() and "<b>任务二" not in page, path
            which = 2 if "计划" in path.name else 1  # the plan's 检查依据; a firm's name
            assert f"&lt;script&gt;alert({which})&lt;/script&gt;" in page, path
            assert "Content-Security-Policy" in page


def test_the_csv_rule_follows_owasp_and_reads_back(tmp_path: Path) -> None:
    plain = ["-3", "a=1", "91110000600037341L", "2%"]
    frame = pd.DataFrame({"name": [*HOSTILE[:6], *plain]})
    data = csv_bytes(frame)
    got = [r[0] for r in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))][1:]
    # Formula-like cells get a quote; markup is no formula, and a plain number neither.
    assert got == [v if v.startswith("<") else "'" + v for v in HOSTILE[:6]] + plain
    (tmp_path / "t.csv").write_bytes(data)
    assert read_table(tmp_path / "t.csv", kind=None)["name"].tolist()[:5] == list(HOSTILE[:5])  # read back as typed


def test_workbooks_print_on_a4_landscape_one_page_wide(tmp_path: Path) -> None:
    for path in [p for p in hostile_notices(tmp_path) if p.suffix == ".xlsx"]:
        sheet = openpyxl.load_workbook(path).active
        export = "公示导出" in path.name
        header = 1 if export else 3
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        # One page wide (fitToWidth is 1, which OOXML leaves out as its default), as many pages tall as needed.
        assert (sheet.page_setup.fitToWidth or 1) == 1 and sheet.page_setup.fitToHeight == 0
        assert sheet.print_title_rows == f"${header}:${header}" and sheet.freeze_panes == f"A{header + 1}"
        assert sheet.auto_filter.ref.startswith(f"A{header}:") and sheet.oddFooter.center.text == "&P / &N"
        if not export:
            width = sheet.max_column
            assert sheet["A1"].font.bold and f"A1:{openpyxl.utils.get_column_letter(width)}1" in sheet.merged_cells
            assert sheet.cell(header, 1).value == "序号" and sheet.cell(header + 1, 1).value == 1
        with zipfile.ZipFile(path) as book:
            core = book.read("docProps/core.xml").decode()
        assert "2000-01-01T00:00:00Z" in core  # no clock time: the same notice, the same bytes
    again = tmp_path / "again"
    for first, second in zip(hostile_notices(tmp_path / "one"), hostile_notices(again), strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name


class _Page(HTMLParser):
    """The sections of a grouped notice: each heading, its fields and its rows' first cells."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[dict[str, list[str]]] = []
        self.tag = ""
        self.cell = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self.sections.append({"h2": [], "dt": [], "dd": [], "td": [], "th": []})
        if tag == "tr":
            self.cell = 0
        self.tag = tag

    def handle_data(self, data: str) -> None:
        if not self.sections or self.tag not in ("h2", "dt", "dd", "td", "th"):
            return
        if self.tag == "td":
            self.cell += 1
            if self.cell > 1:
                return
        self.sections[-1][self.tag].append(data)

    def handle_endtag(self, tag: str) -> None:
        self.tag = ""


def test_the_task_notice_is_grouped_by_task_with_serial_numbers(tmp_path: Path) -> None:
    paths = hostile_notices(tmp_path)
    page = _Page()
    page.feed(next(p for p in paths if p.name == "抽查任务公告.html").read_text(encoding="utf-8"))
    first, second = page.sections
    assert first["h2"] == ["一、+任务"] and second["h2"] == ["二、<b>任务二</b>"]
    assert first["dt"] == ["任务编号", "检查部门", "抽查事项", "检查方式", "检查依据", "配合部门"]
    assert first["dd"][:3] == ["T1", "-1+1", "@SUM(A1)"] and first["dd"][3] == "现场检查、=书面检查"
    assert second["dt"] == ["任务编号", "检查部门", "抽查事项"]  # T2 has no item fields
    assert first["td"] == ["1", "2", "3", "4"] and second["td"] == ["1", "2", "3"]  # 序号 from 1 in each task
    assert first["th"] == ["序号", "统一社会信用代码", "企业名称", "检查人员"]
    result = _Page()
    result.feed(next(p for p in paths if p.name == "抽查结果公告.html").read_text(encoding="utf-8"))
    assert [s["dd"][1] for s in result.sections] == ["不定向", "定向"]  # 抽查类型 in each task's heading
    assert "列入经营异常名录决定期限" in result.sections[0]["th"]
    plan = next(p for p in paths if p.name == "抽查计划公告.html").read_text(encoding="utf-8")
    assert "行政区划：=4103*（以=4103开头）" in plan and "10%" in plan and "region" not in plan
    # Print: A4, landscape for the wide plan table and portrait for the narrow task tables, the header
    # repeated on every page (a <thead> per table), rows not split across pages.
    task = next(p for p in paths if p.name == "抽查任务公告.html").read_text(encoding="utf-8")
    assert "size: A4 landscape" in plan and "size: A4 portrait" in task
    assert task.count("<thead>") == 2 and "thead { display: table-header-group; }" in task
    assert "break-inside: avoid" in task and '<col style="width:' in task


def test_settings_fill_the_page_and_no_clock_is_read(tmp_path: Path) -> None:
    plan = hostile_plan()
    blank = write_notice(plan_notice(plan), tmp_path / "blank", "p")[2].read_text(encoding="utf-8")
    assert "发布日期：\u3000\u3000\u3000\u3000年" in blank and dt.date.today().isoformat() not in blank
    settings = tmp_path / "notice.toml"
    settings.write_text(
        'bureau = "洛阳市市场监督管理局"\ndate = 2026-08-20\nletterhead = "洛阳市<市场监督管理局>"\n'
        'contact = "0379-1234 & 信用科"\n[preamble]\nplan = "第一段。\\n\\n第二段。"\ntask = "任务公告的说明。"\n',
        encoding="utf-8",
    )
    read = load_notice_settings(settings)
    assert read.date == dt.date(2026, 8, 20) and read.preamble_for("plan") == ("第一段。", "第二段。")
    assert read.preamble_for("result") == ()
    page = write_notice(plan_notice(plan), tmp_path / "set", "p", settings=read)[2].read_text(encoding="utf-8")
    assert '<div class="letterhead">洛阳市&lt;市场监督管理局&gt;</div>' in page
    assert (
        '发布日期：<time datetime="2026-08-20">2026年8月20日</time>' in page
        and "发布机关：洛阳市市场监督管理局" in page
    )
    assert page.count('<p class="preamble">') == 2 and "联系方式：0379-1234 &amp; 信用科" in page
    assert "任务公告的说明" not in page


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('bureu = "x"\n', "unknown key 'bureu'. Did you mean 'bureau'?"),
        ("date = 2026-02-30\n", "not valid TOML"),
        ('date = "20 August"\n', "'date' must be a date YYYY-MM-DD"),
        ("date = 2026-08-20T10:00:00\n", "a day without a time"),
        ("contact = 12\n", "'contact' must be a text in quotes"),
        ('[preamble]\nplna = "x"\n', "Did you mean 'plan'?"),
        ("bureau = 洛阳\n", "not valid TOML"),
    ],
)
def test_a_bad_settings_file_is_named_with_what_to_fix(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "notice.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_notice_settings(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_a_bureau_replaces_templates_by_name(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "plan.html.j2").write_text(
        '{% extends "base.html.j2" %}{% block content %}<p class="own">本局格式 {{ count }} 项</p>'
        "{% for row in rows %}<p>{{ row[2] }}</p>{% endfor %}{% endblock %}",
        encoding="utf-8",
    )
    plan = hostile_plan()
    page = write_notice(plan_notice(plan), tmp_path / "a", "p", templates=folder)[2].read_text(encoding="utf-8")
    assert '<p class="own">本局格式 2 项</p>' in page and "<p>+任务</p>" in page and "<p>&lt;b&gt;任务二" in page
    assert "<h1>" in page  # the shipped base page, not replaced
    assert main(["notices", "--plan", str(tmp_path / "nowhere.toml"), "--out", str(tmp_path / "x")]) == 2
    with pytest.raises(NotFoundError, match="no such folder"):
        write_notice(plan_notice(plan), tmp_path / "b", "p", templates=tmp_path / "missing")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "plan.html").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="none of its files replaces a shipped notice template"):
        write_notice(plan_notice(plan), tmp_path / "b", "p", templates=tmp_path / "other")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{% if %}", "plan.html.j2, line 1"),
        ("{{ nothing_here }}", "'nothing_here' is undefined"),
        ("\n\n{{ title.__class__.__mro__ }}", "plan.html.j2, line 3"),
        ('{% include "missing.html.j2" %}', "'missing.html.j2'"),
        ("{{ 1 // 0 }}", "division"),
    ],
)
def test_a_template_mistake_is_named_not_a_traceback(tmp_path: Path, template: str, message: str) -> None:
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "plan.html.j2").write_text(template, encoding="utf-8")
    with pytest.raises(InputError) as info:
        write_notice(plan_notice(hostile_plan()), tmp_path / "out", "p", templates=folder)
    assert message in str(info.value)
    assert not (tmp_path / "out").exists()  # nothing written


def test_the_command_takes_templates_and_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('id = "P"\n[[tasks]]\nid = "T"\ndepartment = "局"\nitems = ["i"]\nratio = "0.03"\n', "utf-8")
    settings = tmp_path / "notice.toml"
    settings.write_text('bureau = "某局"\ndate = "2027-02-01"\n', encoding="utf-8")
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "style.css.j2").write_text("body { color: #123456; }", encoding="utf-8")
    argv = ["notices", "--plan", str(plan), "--out", str(tmp_path / "n"), "--notice-settings", str(settings)]
    assert main([*argv, "--templates", str(folder)]) == 0
    page = (tmp_path / "n/抽查计划公告.html").read_text(encoding="utf-8")
    assert "color: #123456" in page and "2027年2月1日" in page and "某局" in page and "3%" in page
    settings.write_text("bureau = 1\n", encoding="utf-8")
    capsys.readouterr()
    assert main(argv) == 2  # the folder holds the notices just written: refused before the settings are read
    assert "already holds files of an earlier run" in capsys.readouterr().err
    assert main([*argv, "--force"]) == 2
    err = capsys.readouterr().err
    assert str(settings) in err and "'bureau' must be a text" in err and "Traceback" not in err


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def _print(page: Path) -> bytes:
    if CHROMIUM is None:
        if os.environ.get("SHUANGSUIJI_REQUIRE_BROWSER") == "1":
            pytest.fail("SHUANGSUIJI_REQUIRE_BROWSER=1 but no chromium is installed")
        pytest.skip("needs headless chromium (Debian package 'chromium')")
    out = page.with_suffix(".pdf")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                "--no-first-run",
                "--disable-background-networking",
                f"--user-data-dir={profile}",
                f"--print-to-pdf={out}",
                page.as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )
    return out.read_bytes()


def _media_box(pdf: bytes) -> tuple[float, float]:
    found = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]", pdf)
    assert found is not None
    return float(found.group(1)), float(found.group(2))


def test_the_example_plan_notice_prints_on_one_a4_landscape_page(tmp_path: Path) -> None:
    assert main(["example", "--out", str(tmp_path / "in"), "--entities", "200"]) == 0
    settings = tmp_path / "notice.toml"
    settings.write_text(
        'bureau = "洛阳市市场监督管理局"\ndate = 2027-02-20\nletterhead = "洛阳市市场监督管理局"\n'
        'contact = "信用监管科 0379-00000000"\n'
        'preamble = "根据国发〔2019〕5号，现将本批次部门联合双随机抽查计划公告如下。"\n',
        encoding="utf-8",
    )
    out = tmp_path / "notices"
    argv = ["notices", "--plan", str(tmp_path / "in/plan.toml"), "--out", str(out), "--notice-settings", str(settings)]
    assert main(argv) == 0
    pdf = _print(out / "抽查计划公告.html")
    width, height = _media_box(pdf)
    assert _pages(pdf) == 1
    assert (round(width), round(height)) == (842, 595)  # A4 landscape, in points
    # The counter counts: a long task notice takes several portrait pages.
    plan = hostile_plan()
    many = pd.DataFrame(
        {
            "task_id": ["T1"] * 150,
            "uscc": [f"9141030{i:010d}X" for i in range(150)],
            "name": [f"洛阳某某商贸有限公司第{i}分公司" for i in range(150)],
            "department": "-1+1",
        }
    )
    long = write_notice(task_notice(plan, many), tmp_path / "long", "t", settings=NoticeSettings())[2]
    pdf = _print(long)
    assert _pages(pdf) >= 3 and _media_box(pdf)[0] < _media_box(pdf)[1]  # portrait: a narrow table
