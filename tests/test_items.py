"""The inspection items list (抽查事项清单) and the joint list, read from real and synthetic files into a plan."""

from __future__ import annotations

import os
import tomllib
from fractions import Fraction
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlwt

import shuangsuiji as ssj
from shuangsuiji._items_plan import items_plan, items_plan_file
from shuangsuiji.cli import main
from shuangsuiji.exceptions import ItemsError, PlanError
from shuangsuiji.items import Item, ItemsList, TaskItem, read_items, read_joint_items
from shuangsuiji.notices import plan_notice, task_notice
from shuangsuiji.synthetic import make_usccs

BUREAU = Path(
    os.environ.get("SHUANGSUIJI_BUREAU_FILES", Path(__file__).resolve().parents[2] / "shared" / "bureau-files")
)
ITEMS = BUREAU / "hainan-items-2020.xlsx"
JOINT = BUREAU / "hainan-joint-items-v2.xls"
real = pytest.mark.skipif(
    not (ITEMS.exists() and JOINT.exists()),
    reason=f"the real bureau files are not in {BUREAU} (set SHUANGSUIJI_BUREAU_FILES to their folder)",
)
pytestmark = pytest.mark.filterwarnings("ignore:Cannot parse header or footer:UserWarning")


@pytest.fixture(scope="module")
def hainan() -> ItemsList:
    return read_items(ITEMS)


@pytest.fixture(scope="module")
def joint() -> ItemsList:
    return read_joint_items(JOINT)


def population(n: int = 40) -> pd.DataFrame:
    frame = make_usccs(n, seed=3)[["uscc"]].copy()
    frame["credit_class"] = ["ABCD"[i % 4] for i in range(n)]
    return frame


# --- the real Hainan files ---------------------------------------------------------------------------


@real
def test_the_hainan_list_has_285_items_each_with_its_fields(hainan: ItemsList) -> None:
    assert len(hainan.items) == 285
    assert len(hainan.departments()) == 16
    assert all(i.category and i.name and i.object and i.methods and i.subject and i.basis for i in hainan.items)
    assert [i.id for i in hainan.items[:3]] == ["I001", "I002", "I003"]
    assert hainan.items[-1].id == "I285"
    first = hainan.items[0]
    assert (first.department, first.category, first.object, first.kind) == (
        "省教育厅",
        "中小学教育装备产品检查",
        "中小学校",
        "general",
    )
    assert first.name == "中小学教育装备产品（文体教育用品）检查"
    assert first.methods == ("现场检查", "书面检查", "网络检查", "专业机构核查")
    assert first.rows == (4,)
    # Rows 6-7: one item (its 抽查事项 merged over both), two 检查依据 rows joined in order.
    school = hainan.items[2]
    assert school.rows == (6, 7)
    assert len(school.basis.split("\n")) == 2
    assert school.basis.split("\n")[0].startswith("《教育部工商总局质检总局国家标准委")
    assert school.basis.split("\n")[1].startswith("《海南省教育厅海南省工商行政管理局")


@real
def test_the_last_item_merged_over_two_rows_reads_its_basis_and_normalises_the_method(hainan: ItemsList) -> None:
    last = hainan.items[-1]
    assert last.rows == (390, 391)
    assert last.name == "商标代理行为的检查"
    assert last.methods == ("现场检查", "书面检查")  # written 现场抽查、书面检查
    assert last.basis == "《商标法》第六十八条\n《商标法实施条例》第八十八条、第八十九条"
    # Excel's escape _x000D_ (a carriage return) is read as a line end, never as text.
    assert not any("_x000D_" in i.basis or "\r" in i.basis for i in hainan.items)


@real
def test_every_row_is_an_items_or_left_out_with_a_reason(hainan: ItemsList, joint: ItemsList) -> None:
    rows = sorted(r for i in hainan.items for r in i.rows)
    assert rows == list(range(4, 392))  # the data rows 4..391 below the two-row header (rows 2-3)
    assert hainan.skipped == ()
    assert sorted(r for i in joint.items for r in i.rows) == list(range(4, 87))
    assert joint.skipped == ((87, "an empty row at the end"),)


@real
def test_an_item_that_is_both_kinds_is_key_with_a_warning(hainan: ItemsList) -> None:
    item = next(i for i in hainan.items if i.rows == (314, 315))
    assert item.name == "食品经营许可情况的检查"
    assert item.kind == "key"
    assert item.object == "餐饮服务经营者\n学校、托幼机构、养老机构等食堂"
    assert any("rows 314-315" in w and "key" in w for w in hainan.warnings)
    kinds = hainan.kinds()
    assert kinds[""] == 0
    assert kinds["general"] + kinds["key"] == 285


@real
def test_unknown_methods_are_kept_and_warned_about(hainan: ItemsList) -> None:
    item = next(i for i in hainan.items if i.rows[0] == 161)
    assert item.methods == ("现场查看", "查阅资料", "询问核查")  # written 现场查看、查阅资料、询问核查等
    assert any("'现场查看'" in w and "161" in w and "column G" in w for w in hainan.warnings)


@real
def test_the_joint_list_has_36_fields_and_83_items_with_lead_and_partners(joint: ItemsList) -> None:
    assert joint.joint
    assert len(joint.items) == 83
    assert len(joint.fields()) == 36
    first, second = joint.items[:2]
    assert (first.id, first.department, first.partners) == ("J01-1", "发展改革部门", ("市场监管领域相关部门",))
    assert (second.id, second.department, second.category) == ("J01-2", "住房和城乡建设部门", "工程咨询单位抽查")
    assert first.kind == ""
    customs = next(i for i in joint.items if i.id == "J34-1")
    assert customs.department == "海关部门、市场监管部门"
    assert customs.partners == ("税务部门",)
    wages = next(i for i in joint.items if i.id == "J35-1")
    assert wages.partners == ("市场监管部门", "税务部门", "住房和城乡建设部门", "交通部门")
    assert [i.id for i in joint.items[-3:]] == ["J35-1", "J35-2", "J36-1"]
    assert all(i.department for i in joint.items)


@real
def test_the_plan_of_both_lists_loads_and_draws(hainan: ItemsList, joint: ItemsList, tmp_path: Path) -> None:
    path = tmp_path / "plan.toml"
    text = items_plan(hainan, joint, plan_id="HN-2020", title="海南省2020年双随机抽查计划")
    path.write_text(text, encoding="utf-8")
    plan = ssj.load_plan(path)
    assert len(plan.tasks) == 285 + 83
    assert plan.tasks[0].id == "I001" and plan.tasks[285].id == "J01-1"
    i001 = plan.task("I001")
    assert (i001.category, i001.floor, i001.department, i001.items) == (
        "general",
        Fraction(1, 20),
        "省教育厅",
        ("中小学教育装备产品（文体教育用品）检查",),
    )
    assert i001.item is not None and i001.item.subject == "县级以上教育行政部门和市场监管部门"
    key = next(t for t in plan.tasks if t.category == "key")
    assert key.floor == 0
    j34 = plan.task("J34-1")
    assert j34.item == TaskItem(
        category="出口商品生产企业稽核查",
        object="出口商品生产企业",
        lead="海关部门、市场监管部门",
        partners=("税务部门",),
    )
    assert text.count("# 待填写: 抽查比例") == 368
    assert text.count("# 待填写: 事项类别") == 83  # the joint list does not say
    result = ssj.draw(population(40), plan, "ab" * 32)
    counts = result.selection.groupby("task_id").size()
    assert len(counts) == 368
    assert (counts == 2).all()  # 5% of 40 entities, every task


@real
def test_the_notices_of_an_items_plan_carry_the_items_fields(hainan: ItemsList) -> None:
    plan = ssj.parse_plan(tomllib.loads(items_plan(hainan, plan_id="HN-2020")))
    notice = plan_notice(plan).table
    cols = list(notice.columns)
    assert cols[cols.index("抽查事项") + 1 : cols.index("抽查事项") + 7] == [
        "抽查类别",
        "检查方式",
        "检查依据",
        "检查对象",
        "检查主体",
        "事项类别",
    ]
    assert "配合部门" not in cols  # no partners in the province's list
    assert notice.loc[0, "检查方式"] == "现场检查、书面检查、网络检查、专业机构核查"
    drawn = ssj.draw(population(20), plan, "cd" * 32)
    table = task_notice(plan, drawn.selection).table
    assert list(table.columns) == [
        "任务编号",
        "任务名称",
        "检查部门",
        "抽查事项",
        "抽查类别",
        "检查方式",
        "检查依据",
        "统一社会信用代码",
        "企业名称",
    ]


# --- synthetic lists ----------------------------------------------------------------------------------


HEADER = ["编制单位名称", "序号", "抽查项目", None, "检查对象", "事项类别", "检查方式", "检查主体", "检查依据"]


def write_items_xlsx(path: Path, kind_of_second: str = "重点检查事项", name_header: str = "抽查事项") -> Path:
    """Title row, two-row header (抽查项目 over 抽查类别 / 抽查事项), cells merged down, a note row at the end."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["某省市场监管领域随机抽查事项清单"])
    ws.merge_cells("A1:I1")
    ws.append(HEADER)
    ws.append([None, None, "抽查类别", name_header])
    for col in "ABEFGHI":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("C2:D2")
    rows = [
        [
            "省市场监管局",
            1,
            "食品安全",
            "食品销售检查",
            "食品经营者",
            "一般检查事项",
            "现场抽查、抽样检验",
            "县级市场监管部门",
            "《食品安全法》第一百一十条",
        ],
        [None, None, None, None, None, None, None, None, "《食品经营许可管理办法》第二十七条"],
        [
            None,
            2,
            "特种设备",
            "电梯检查",
            "电梯使用单位",
            kind_of_second,
            "现场检查、座谈等",
            "县级市场监管部门",
            "《特种设备安全法》",
        ],
    ]
    for row in rows:
        ws.append(row)
    for rng in ("A4:A6", "B4:B5", "C4:C5", "D4:D5", "E4:E5", "F4:F5", "G4:G5", "H4:H5"):
        ws.merge_cells(rng)
    ws.append(["注: 本清单自发布之日起施行。"])
    ws.merge_cells("A7:I7")
    book.save(path)
    return path


def test_a_synthetic_xlsx_list_with_title_two_row_header_and_merged_cells(tmp_path: Path) -> None:
    lst = read_items(write_items_xlsx(tmp_path / "items.xlsx"))
    assert [i.id for i in lst.items] == ["I001", "I002"]
    food, lift = lst.items
    assert food == Item(
        id="I001",
        department="省市场监管局",
        category="食品安全",
        name="食品销售检查",
        object="食品经营者",
        kind="general",
        methods=("现场检查", "抽样检测"),
        subject="县级市场监管部门",
        basis="《食品安全法》第一百一十条\n《食品经营许可管理办法》第二十七条",
        number="1",
        rows=(4, 5),
    )
    assert (lift.department, lift.kind, lift.methods, lift.rows) == ("省市场监管局", "key", ("现场检查", "座谈"), (6,))
    assert lst.skipped == ((7, "a note or section title across the whole row"),)
    assert len(lst.warnings) == 1 and "'座谈'" in lst.warnings[0] and "column G" in lst.warnings[0]
    assert lst.departments() == {"省市场监管局": 2}


def test_a_synthetic_plan_marks_the_blanks_and_loads(tmp_path: Path) -> None:
    lst = read_items(write_items_xlsx(tmp_path / "items.xlsx"))
    text = items_plan(lst, plan_id="SYN-1", ratio=Fraction(1, 10))
    assert 'ratio = "0.1"  # 待填写: 抽查比例' in text
    assert "# 待填写: 抽查频次" in text and "# 待填写: 检查人员要求" in text
    assert '[tasks.item]\ncategory = "食品安全"' in text
    assert 'basis = "《食品安全法》第一百一十条\\n《食品经营许可管理办法》第二十七条"' in text
    plan = ssj.parse_plan(tomllib.loads(text))
    assert [(t.id, t.category, str(t.floor)) for t in plan.tasks] == [("I001", "general", "1/20"), ("I002", "key", "0")]
    assert plan.task("I002").item == TaskItem(
        category="特种设备",
        object="电梯使用单位",
        methods=("现场检查", "座谈"),
        subject="县级市场监管部门",
        basis="《特种设备安全法》",
    )
    # The task's fields survive the manifest's round trip (to_dict, then the loader).
    assert ssj.parse_plan(plan.to_dict()) == plan


def write_joint_xls(path: Path) -> Path:
    """Two title rows, a header, fields merged down (序号, 抽查领域), a note row at the end."""
    book = xlwt.Workbook()
    ws = book.add_sheet("联合")
    ws.write_merge(0, 0, 0, 5, "附件1")
    ws.write_merge(1, 1, 0, 5, "部门联合抽查事项清单")
    for j, h in enumerate(["序号", "抽查领域", "抽查事项", "检查对象", "发起部门", "配合部门"]):
        ws.write(2, j, h)
    ws.write_merge(3, 4, 0, 0, 1)
    ws.write_merge(3, 4, 1, 1, "学校办学情况抽查")
    ws.write(3, 2, "学校卫生情况的检查")
    ws.write(4, 2, "学校食堂食品安全情况的检查")
    ws.write_merge(3, 4, 3, 3, "各类学校")
    ws.write(3, 4, "卫生健康部门")
    ws.write(4, 4, "市场监管部门")
    ws.write_merge(3, 4, 5, 5, "教育部门、市场监管部门")
    for j, v in enumerate(
        [2, "劳动用工监管", "劳务派遣用工检查", "劳务派遣单位", "人力资源社会保障部门", "税务部门，住房和城乡建设部门"]
    ):
        ws.write(5, j, v)
    ws.write_merge(6, 6, 0, 5, "备注: 各部门按职责分工开展联合抽查。")
    book.save(str(path))
    return path


def test_a_synthetic_xls_joint_list(tmp_path: Path) -> None:
    lst = read_joint_items(write_joint_xls(tmp_path / "joint.xls"))
    assert [(i.id, i.department, i.partners) for i in lst.items] == [
        ("J01-1", "卫生健康部门", ("教育部门", "市场监管部门")),
        ("J01-2", "市场监管部门", ("教育部门", "市场监管部门")),
        ("J02-1", "人力资源社会保障部门", ("税务部门", "住房和城乡建设部门")),
    ]
    assert lst.fields() == {"1 学校办学情况抽查": 2, "2 劳动用工监管": 1}
    assert lst.skipped == ((7, "a note or section title across the whole row"),)
    plan = ssj.parse_plan(tomllib.loads(items_plan(lst, plan_id="J")))
    assert plan.task("J01-2").item == TaskItem(
        category="学校办学情况抽查", object="各类学校", lead="市场监管部门", partners=("教育部门", "市场监管部门")
    )
    assert plan.task("J01-2").department == "市场监管部门"


# --- errors ------------------------------------------------------------------------------------------


def test_a_list_without_an_items_column_names_the_header_row(tmp_path: Path) -> None:
    path = write_items_xlsx(tmp_path / "items.xlsx", name_header="检查内容")
    with pytest.raises(ItemsError) as err:
        read_items(path)
    text = str(err.value)
    assert "items.xlsx [Sheet], row 2" in text
    assert "no 抽查事项 column" in text


def test_an_unknown_kind_names_its_row_column_and_value(tmp_path: Path) -> None:
    path = write_items_xlsx(tmp_path / "items.xlsx", kind_of_second="特别检查事项")
    with pytest.raises(ItemsError) as err:
        read_items(path)
    (problem,) = err.value.problems
    assert (problem.row, problem.column, problem.value) == (6, "F (事项类别)", "特别检查事项")
    assert "row 6, column 'F (事项类别)', value '特别检查事项'" in str(err.value)
    assert "一般检查事项 or 重点检查事项" in problem.message


def test_an_item_without_a_name_is_an_error(tmp_path: Path) -> None:
    path = write_items_xlsx(tmp_path / "items.xlsx")
    book = openpyxl.load_workbook(path)
    book.active["D6"] = None
    book.save(path)
    with pytest.raises(ItemsError) as err:
        read_items(path)
    (problem,) = err.value.problems
    assert (problem.row, problem.column) == (6, "D (抽查项目/抽查事项)")
    assert "no 抽查事项" in problem.message


def test_a_bad_item_table_in_a_plan_is_refused() -> None:
    task = {"id": "T", "department": "d", "items": ["i"], "ratio": "0.1"}
    with pytest.raises(PlanError, match=r"unknown key 'methds'. Did you mean 'methods'"):
        ssj.parse_plan({"id": "P", "tasks": [{**task, "item": {"methds": ["现场检查"]}}]})
    with pytest.raises(PlanError, match=r"'item.methods' of task 'T' must be a non-empty list"):
        ssj.parse_plan({"id": "P", "tasks": [{**task, "item": {"methods": "现场检查"}}]})
    with pytest.raises(PlanError, match=r"'item.basis' of task 'T' must be a non-empty string"):
        ssj.parse_plan({"id": "P", "tasks": [{**task, "item": {"basis": ""}}]})


def test_a_plan_without_items_keeps_its_notice_columns() -> None:
    plan = ssj.parse_plan({"id": "P", "tasks": [{"id": "T", "department": "d", "items": ["i"], "ratio": "0.1"}]})
    assert plan.tasks[0].item is None
    assert "item" not in plan.tasks[0].to_dict()
    assert list(plan_notice(plan).table.columns) == [
        "计划编号",
        "计划名称",
        "任务编号",
        "任务名称",
        "发起部门",
        "抽查事项",
        "事项类别",
        "抽查比例",
        "最低比例",
        "抽查范围",
        "开始日期",
        "结束日期",
    ]


def test_a_bad_plan_id_is_refused() -> None:
    lst = ItemsList("a.xlsx", None, False, (Item("I001", "d", "c", "n"),))
    with pytest.raises(PlanError, match="plan id"):
        items_plan(lst, plan_id="海南 2020")


# --- the command line ----------------------------------------------------------------------------------


def test_import_items_writes_a_plan_that_loads_and_prints_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = write_items_xlsx(tmp_path / "items.xlsx")
    joint = write_joint_xls(tmp_path / "joint.xls")
    out = tmp_path / "plan.toml"
    args = ["import-items", str(items), "--joint", str(joint), "--plan-id", "SYN-2027", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr()
    assert "2 items of 1 departments (general 1, key 1, not said 0)" in printed.out
    assert "  省市场监管局: 2" in printed.out
    assert "2 joint fields, 3 items" in printed.out
    assert "'座谈' is not one of the methods" in printed.err
    plan = ssj.load_plan(out)
    assert [t.id for t in plan.tasks] == ["I001", "I002", "J01-1", "J01-2", "J02-1"]


def test_import_items_reports_a_bad_list_without_writing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    items = write_items_xlsx(tmp_path / "items.xlsx", kind_of_second="特别检查事项")
    out = tmp_path / "plan.toml"
    assert main(["import-items", str(items), "--plan-id", "P", "--out", str(out)]) == 2
    assert "row 6, column 'F (事项类别)', value '特别检查事项'" in capsys.readouterr().err
    assert not out.exists()


@real
def test_items_plan_file_counts_the_tasks_and_the_joint_fields() -> None:
    tasks, fields, text = items_plan_file(ITEMS, JOINT, plan_id="HN-2020")
    assert (tasks, fields) == (368, 36)
    assert text.count("[[tasks]]") == 368
