"""Blank input workbooks for a bureau's clerks, and a results workbook pre-filled from a draw.

:func:`write_templates` writes one XLSX workbook per input a clerk fills by hand (检查对象名录库,
执法检查人员名录库, 检查记录, 回避申报, 回避申请, 关系, 不得同组, 工作日调整): a data sheet (first, so the
readers read it) headed by :data:`~shuangsuiji.columns.CHINESE_HEADERS`, its columns formatted as
text (``@``: codes stay as typed), dates or whole numbers, drop-downs for the closed lists, one
example row that passes the library's checks; a 说明 sheet describing every column; the drop-downs'
values on a hidden 选项 sheet. :func:`results_template` writes 检查结果录入表 for a published draw,
the drawn columns filled in and locked, result and date left to fill (docs/templates.md).

Every cell is written with ``write_string`` or ``write_number`` in a workbook that turns no string
into a formula, a number or a link (a department named ``=1+1`` stays text), and the creation date
is fixed, so the same inputs give the same bytes.

Examples
--------
>>> import tempfile
>>> paths = write_templates(tempfile.mkdtemp(), departments=["市场监管局", "税务局"])
>>> [p.name for p in paths][:2]
['population-检查对象名录库.xlsx', 'roster-执法检查人员名录库.xlsx']
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from ._i18n import _
from .columns import CANONICAL, CHINESE_HEADERS
from .exceptions import InputError, NotFoundError
from .io import atomic_write_bytes, read_table, safe_workbook
from .notices import RESULT_CATEGORIES
from .plan import Plan
from .visits import visit_id

__all__ = [
    "DEFAULT_DEPARTMENTS",
    "RESULTS_FILE",
    "Column",
    "Template",
    "input_templates",
    "results_frame",
    "results_template",
    "results_xlsx",
    "template_xlsx",
    "write_templates",
]

#: The departments of the drop-downs when neither departments nor a plan are given.
DEFAULT_DEPARTMENTS: tuple[str, ...] = ("市场监管局",)
#: The file name of the results workbook in a templates folder.
RESULTS_FILE = "检查结果录入表.xlsx"
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_LAST_ROW = 1_048_575
_FLAGS = ("是", "否")
_TIERS = ("1", "2", "3", "4")
_CHECK_KINDS = ("双随机抽查", "投诉举报", "大数据预警", "转办交办", "移送", "复查整改", "许可核查", "其他")
_RELATIONS = ("spouse", "parent", "child", "sibling", "relative", "shareholder", "legal_representative", "employer")

CellFormat = Literal["text", "date", "integer"]


@dataclass(frozen=True)
class Column:
    """One column of a template.

    ``name`` is canonical (the header is ``CHINESE_HEADERS[name]``, or the name for a column a plan
    reads that has none); ``help`` says in Chinese what to write (说明 and the cell's prompt);
    ``example`` is the example row's value (a date as ``YYYY-MM-DD``); ``format`` is the cell format
    and check; ``choices`` the drop-down's values; ``strict`` refuses other values (else Excel asks).
    """

    name: str
    help: str
    example: str | int = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    strict: bool = True
    format: CellFormat = "text"

    @property
    def header(self) -> str:
        """The Chinese header written for the column."""
        return CHINESE_HEADERS.get(self.name, self.name)


@dataclass(frozen=True)
class Template:
    """One input workbook: its kind of input, its title (the data sheet's name), its columns and notes."""

    kind: str
    title: str
    columns: tuple[Column, ...]
    notes: tuple[str, ...] = ()

    @property
    def file_name(self) -> str:
        """``population-检查对象名录库.xlsx`` and the like."""
        return f"{self.kind}-{self.title}.xlsx"


def _departments(departments: Sequence[str] | None, plan: Plan | None) -> tuple[str, ...]:
    if isinstance(departments, str):
        raise InputError(_("Give the departments as a list of names, not one text; split it first."))
    given = [str(d).strip() for d in (departments or ()) if str(d).strip()]
    from_plan = [t.department for t in plan.tasks] if plan is not None else []
    out = tuple(dict.fromkeys([*from_plan, *given]))
    if not out:
        if departments is not None:
            raise InputError(_("The list of departments is empty; name at least one (市场监管局 ...)."))
        return DEFAULT_DEPARTMENTS
    return out


def _pick(values: Sequence[str], preferred: str) -> str:
    return preferred if preferred in values else values[0]


def _population(plan: Plan | None, departments: tuple[str, ...]) -> Template:
    classes = plan.credit.classes if plan is not None else ("A", "B", "C", "D")
    tiers = tuple(dict.fromkeys(v for t in plan.tasks for v in t.multipliers.get("risk_tier", {}))) if plan else ()
    tiers = tiers or _TIERS
    read = set(plan.columns()) if plan is not None else set()
    columns = [
        Column("uscc", "18位统一社会信用代码（GB 32100-2015），每户一行，不得重复。", "91110000600037341L", True),
        Column("regno", "15位营业执照注册号（旧注册号，可空）。", "110000000123456"),
        Column("name", "市场主体名称。", "（示例）北京某某科技有限公司"),
        Column("credit_class", f"信用风险分类，填 {'/'.join(classes)}。", _pick(classes, "B"), choices=classes),
        Column("risk_tier", f"风险等级，填 {'/'.join(tiers)}。", _pick(tiers, "2"), choices=tiers, strict=False),
        Column("region", "6位行政区划代码（GB/T 2260），按文本填写。", "110105"),
        Column("industry", "国民经济行业代码（GB/T 4754，如 F5223）。", "I6513"),
        Column("status", "登记状态：存续、在业、注销、吊销、迁出等。", "存续"),
        Column("entity_type", "主体类型：企业、个体工商户、农民专业合作社等。", "企业"),
        Column("station", "所属监管所（所所交叉时用）。", "第一监管所"),
        Column("address", "住所（经营场所）。", "北京市朝阳区某某路1号"),
        Column("legal_representative", "法定代表人（负责人、经营者）。", "张三"),
        Column("registered_on", "成立日期。", "2015-06-01", format="date"),
        Column("scope", "经营范围。", "技术开发、技术咨询"),
    ]
    columns = [replace(c, required=c.required or c.name in read) for c in columns]
    extra = [c for c in (plan.columns() if plan is not None else ()) if c not in CANONICAL["population"]]
    columns += [Column(c, f"抽查计划按此列抽取（{c}），必填。", "示例", True) for c in extra]
    notes = ("每户一行；统一社会信用代码不得重复，校验位须正确（早期试点代码请另列入白名单）。",)
    return Template("population", "检查对象名录库", tuple(columns), notes)


def _roster(departments: tuple[str, ...]) -> Template:
    columns = (
        Column("inspector_id", "执法人员编号：字母、数字、. _ -，不超过64位，不得重复。", "ZF001", True),
        Column("name", "姓名。", "李四", True),
        Column("department", "所属部门（检查部门）。", departments[0], True, choices=departments, strict=False),
        Column("station", "所属监管所（所所交叉时，不检查本所的对象）。", "第二监管所"),
        Column("region", "6位行政区划代码。", "110105"),
        Column("cert_no", "执法证号；在岗执法人员必填，不得重复。专家可空。", "11010520230001"),
        Column("certificates", "专业领域，多个用分号“;”分隔（如 食品;特种设备）。", "食品;特种设备"),
        Column("lead", "可任主检：是/否。", "是", choices=_FLAGS),
        Column("capacity", "本批次最多可检查的户数，0或正整数。", 20, True, format="integer"),
        Column("unavailable", "不可用日期，分号分隔，区间写 2027-03-01~2027-03-05。", "2027-03-01~2027-03-05"),
        Column("active", "在岗：是/否（空为是）。", "是", choices=_FLAGS),
        Column("kind", "人员类型：执法人员 或 专家（空为执法人员）。", "执法人员", choices=("执法人员", "专家")),
    )
    return Template("roster", "执法检查人员名录库", columns, ("每人一行；执法人员编号与执法证号均不得重复。",))


def _history(departments: tuple[str, ...]) -> Template:
    columns = (
        Column("uscc", "被检查对象的统一社会信用代码。", "91110000600037341L", True),
        Column("department", "实施检查的部门。", departments[0], True, choices=departments, strict=False),
        Column("date", "检查日期。", "2026-05-20", True, format="date"),
        Column("kind", "检查类型（双随机抽查、投诉举报等）。", "双随机抽查", choices=_CHECK_KINDS, strict=False),
        Column("task_id", "抽查任务编号（可空）。", "2026-SC-01"),
    )
    return Template("history", "检查记录", columns, ("每次检查一行；用于冷却期和年度检查次数上限。",))


def _recusal(kind: str, title: str, reason: str, example: tuple[str, str, str]) -> Template:
    columns = (
        Column("inspector_id", "须回避的执法人员编号（与执法检查人员名录库一致）。", example[0], True),
        Column("uscc", "检查对象的统一社会信用代码。", example[1], True),
        Column("reason", reason, example[2]),
    )
    return Template(kind, title, columns, ("每一对（执法人员，检查对象）一行；回避信息不公示。",))


def _relations(plan: Plan | None) -> Template:
    known = plan.assignment.relations if plan is not None and plan.assignment.relations else _RELATIONS
    columns = (
        Column("a", "一方：执法人员编号、人员或检查对象（统一社会信用代码）。", "ZF001", True),
        Column("b", "另一方：同上。", "91310000631696382C", True),
        Column("relation", "关系类型，如 spouse、shareholder。", _pick(known, "shareholder"), True, known, False),
    )
    notes = ("每条关系一行（不分方向）；关系图中与检查对象相距不超过计划所定跳数的执法人员须回避。",)
    return Template("relations", "关系", columns, notes)


def _pairs() -> Template:
    columns = (
        Column("a", "执法人员编号。", "ZF001", True),
        Column("b", "另一名执法人员编号（不得与甲方相同）。", "ZF002", True),
        Column("reason", "不得同组的原因。", "近亲属"),
    )
    return Template("pairs", "不得同组", columns, ("每对不得编入同一检查组的执法人员一行。",))


def _calendar() -> Template:
    columns = (
        Column("date", "调整的日期。", "2027-01-01", True, format="date"),
        Column("kind", "holiday（放假）或 workday（调休上班）。", "holiday", True, choices=("holiday", "workday")),
    )
    notes = ("按国务院办公厅当年放假安排填写；列出某年任一日期即表示该年已覆盖，其余日期按周一至周五上班计。",)
    return Template("calendar", "工作日调整", columns, notes)


def input_templates(departments: Sequence[str] | None = None, plan: Plan | None = None) -> tuple[Template, ...]:
    """The templates of the inputs a clerk fills by hand, in the order :func:`write_templates` writes them.

    Parameters
    ----------
    departments : sequence of str, optional
        The departments of the drop-downs; default :data:`DEFAULT_DEPARTMENTS` (with a plan: the
        plan's departments, then these).
    plan : Plan, optional
        A plan: its departments, credit classes and risk tiers fill the drop-downs, and the
        population columns it reads are marked required.

    Raises
    ------
    InputError
        If ``departments`` is given but names none.
    """
    depts = _departments(departments, plan)
    return (
        _population(plan, depts),
        _roster(depts),
        _history(depts),
        _recusal("conflicts", "回避申报", "回避原因。", ("ZF001", "91110000600037341L", "配偶在该企业任职")),
        _recusal("requests", "回避申请", "检查对象申请回避的理由。", ("ZF001", "9144030071526726XG", "曾有业务往来")),
        _relations(plan),
        _pairs(),
        _calendar(),
    )


def _width(text: str) -> int:
    return sum(2 if ord(c) > 0x2E7F else 1 for c in text)


class _Book:
    """An XlsxWriter workbook in memory, with the formats every template shares."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.book = safe_workbook(self.buffer, title="", author="shuangsuiji")
        base = {"font_name": "宋体", "font_size": 11, "valign": "top"}
        self.text = self.book.add_format({**base, "num_format": "@"})
        self.date = self.book.add_format({**base, "num_format": "yyyy-mm-dd"})
        self.integer = self.book.add_format({**base, "num_format": "0"})
        head = {**base, "bold": True, "border": 1, "num_format": "@"}
        self.header = self.book.add_format({**head, "bg_color": "#DDEBF7"})
        self.required = self.book.add_format({**head, "bg_color": "#F8CBAD"})
        grey = {"italic": True, "font_color": "#7F7F7F"}
        self.example = {
            "text": self.book.add_format({**base, **grey, "num_format": "@"}),
            "date": self.book.add_format({**base, **grey, "num_format": "yyyy-mm-dd"}),
            "integer": self.book.add_format({**base, **grey, "num_format": "0"}),
        }
        self.wrap = self.book.add_format({**base, "text_wrap": True, "num_format": "@"})
        self.title = self.book.add_format({**base, "bold": True, "font_size": 14, "num_format": "@"})
        self.lists: list[tuple[str, Sequence[str]]] = []

    def choices(self, values: Sequence[str], title: str) -> str:
        """A drop-down's values, to be written in a column of the hidden 选项 sheet; returns the range's reference."""
        letters = "$" + xl_col_to_name(len(self.lists))
        self.lists.append((title, tuple(values)))
        return f"='选项'!{letters}$2:{letters}${len(values) + 1}"

    def validate(self, sheet: Worksheet, col: int, column: Column, first_row: int = 1) -> None:
        """The column's drop-down, date or number check, and its prompt, from ``first_row`` down."""
        prompt = {"input_title": column.header[:32], "input_message": column.help[:255]}
        if column.choices:
            rule: dict[str, Any] = {"validate": "list", "source": self.choices(column.choices, column.header)}
            rule |= {"error_type": "stop" if column.strict else "warning", "error_title": "不在可选值中"}
            rule["error_message"] = ("请从下拉列表中选择：" + "、".join(column.choices))[:255]
        elif column.format == "date":
            rule = {"validate": "date", "criteria": "between", "minimum": dt.date(2000, 1, 1)}
            rule |= {"maximum": dt.date(2099, 12, 31), "error_title": "日期有误"}
            rule["error_message"] = "请填写日期，如 2027-03-01。"
        elif column.format == "integer":
            rule = {"validate": "integer", "criteria": ">=", "value": 0, "error_title": "数字有误"}
            rule["error_message"] = "请填写0或正整数。"
        else:
            rule = {"validate": "any"}
        sheet.data_validation(first_row, col, _LAST_ROW, col, rule | prompt)

    def write(self, sheet: Worksheet, at: tuple[int, int], value: str | int, column: Column, cell: Format) -> None:
        """One cell, by its column's format: text as text, a date or a whole number as a number."""
        row, col = at
        if column.format == "date" and isinstance(value, str) and value:
            sheet.write_number(row, col, (dt.date.fromisoformat(value) - _EXCEL_EPOCH).days, cell)
        elif column.format == "integer" and isinstance(value, int):
            sheet.write_number(row, col, value, cell)
        else:
            sheet.write_string(row, col, str(value), cell)

    def close(self) -> bytes:
        """Write the hidden 选项 sheet (the drop-downs' values, last) and return the workbook's bytes."""
        if self.lists:
            sheet = self.book.add_worksheet("选项")
            for col, (title, values) in enumerate(self.lists):
                sheet.write_string(0, col, title, self.header)
                for i, value in enumerate(values, start=1):
                    sheet.write_string(i, col, value, self.text)
                sheet.set_column(col, col, min(40, max(_width(v) for v in [title, *values]) + 2), self.text)
            sheet.hide()
        self.book.close()
        return self.buffer.getvalue()


def _data_sheet(book: _Book, template: Template) -> None:
    sheet = book.book.add_worksheet(template.title)
    for j, column in enumerate(template.columns):
        sheet.write_string(0, j, column.header, book.required if column.required else book.header)
        book.write(sheet, (1, j), column.example, column, book.example[column.format])
        width = max(_width(column.header), _width(str(column.example)), 8) + 3
        sheet.set_column(
            j, j, min(40, width), {"text": book.text, "date": book.date, "integer": book.integer}[column.format]
        )
        book.validate(sheet, j, column)
    sheet.freeze_panes(1, 0)
    sheet.activate()


_EXAMPLE_NOTES = (
    "第2行（灰色斜体）是示例，仅说明格式，不是真实数据：填写前请删除或覆盖该行。",
    "橙色表头为必填列；蓝色表头为选填列，可留空。代码、编号类列已设为文本格式，请勿改为数值。",
)


def _help_sheet(book: _Book, template: Template, notes: Sequence[str] = _EXAMPLE_NOTES) -> None:
    sheet = book.book.add_worksheet("说明")
    head = f"“{template.title}”工作表第1行为表头，请勿修改表头文字；从第2行起每行一条记录。"
    lines = [f"{template.title} 填写说明", head, *notes, *template.notes]
    for i, line in enumerate(lines):
        sheet.write_string(i, 0, line, book.title if i == 0 else book.wrap)
    top = len(lines) + 1
    heads = ("列名（表头）", "列代码", "是否必填", "格式", "可选值", "填写说明", "示例")
    for j, head in enumerate(heads):
        sheet.write_string(top, j, head, book.header)
    kinds = {"text": "文本", "date": "日期", "integer": "整数"}
    for i, column in enumerate(template.columns, start=top + 1):
        need = "必填" if column.required else "选填"
        cells = (column.header, column.name, need, kinds[column.format], "、".join(column.choices), column.help)
        for j, text in enumerate((*cells, str(column.example))):
            sheet.write_string(i, j, text, book.wrap)
    for j, width in enumerate((18, 20, 10, 8, 30, 60, 26)):
        sheet.set_column(j, j, width, book.wrap)


def template_xlsx(template: Template) -> bytes:
    """The workbook of one template: the data sheet, 说明 and the hidden 选项 sheet of the drop-downs."""
    book = _Book()
    _data_sheet(book, template)
    _help_sheet(book, template)
    return book.close()


def write_templates(
    out_dir: str | Path, *, departments: Sequence[str] | None = None, plan: Plan | None = None
) -> list[Path]:
    """Write one blank input workbook per kind of input a clerk fills by hand; returns their paths.

    Parameters
    ----------
    out_dir : str or Path
        The folder (made if missing); existing templates are replaced, atomically.
    departments : sequence of str, optional
        The departments of the drop-downs (default :data:`DEFAULT_DEPARTMENTS`).
    plan : Plan, optional
        A plan whose departments (first), credit classes and risk tiers fill the drop-downs.

    Raises
    ------
    InputError
        If ``departments`` is given but names none.
    """
    out = Path(out_dir)
    paths = []
    for template in input_templates(departments, plan):
        path = out / template.file_name
        atomic_write_bytes(path, template_xlsx(template))
        paths.append(path)
    return paths


def results_frame(draw_dir: str | Path) -> pd.DataFrame:
    """The pre-filled part of 检查结果录入表: ``task_id, uscc, name`` per drawn entity and task.

    With an assignment in the folder (``visits.csv`` and ``teams.csv``), also ``visit_id`` and
    ``inspectors`` (the ids of the task's department's team, ``;``-separated, lead first).

    Raises
    ------
    NotFoundError
        If the folder has no ``selection.csv``.
    """
    folder = Path(draw_dir)
    if not (folder / "selection.csv").is_file():
        message = _("{folder} holds no selection.csv; give the folder of a published draw.")
        raise NotFoundError(message.format(folder=folder))
    selection = read_table(folder / "selection.csv")
    names = selection["name"] if "name" in selection.columns else pd.Series("", index=selection.index)
    frame = pd.DataFrame({"task_id": selection["task_id"], "uscc": selection["uscc"], "name": names})
    if (folder / "visits.csv").is_file() and (folder / "teams.csv").is_file():
        visits = set(read_table(folder / "visits.csv")["visit_id"])
        teams = read_table(folder / "teams.csv")
        teams = teams.assign(order=teams["role"].map({"lead": 0, "member": 1}).fillna(2))
        teams = teams.sort_values(["visit_id", "department", "order"], kind="stable")
        team = teams.groupby(["visit_id", "department"], sort=False)["inspector_id"].agg(";".join).to_dict()
        ids = [visit_id(u) for u in frame["uscc"]]
        departments = selection["department"] if "department" in selection.columns else [""] * len(frame)
        frame["visit_id"] = [v if v in visits else "" for v in ids]
        frame["inspectors"] = [team.get((v, d), "") for v, d in zip(ids, departments, strict=True)]
    return frame.reset_index(drop=True)


_FILLED = ("result", "completed", "note")
_RESULT_HELP = {
    "task_id": "抽查任务编号（已填，勿改）。",
    "uscc": "统一社会信用代码（已填，勿改）。",
    "name": "名称（已填）。",
    "visit_id": "检查编号（已填）。",
    "inspectors": "检查人员编号（已填，分号分隔，主检在前）。",
    "result": "从下拉列表选择检查结果。",
    "completed": "检查完成日期，如 2027-03-15。",
    "note": "备注（可空）。",
}
_RESULT_NOTES = (
    "灰色列为抽取结果，已锁定（工作表保护，无密码），请勿修改；只填检查结果、检查完成日期和备注。",
    "提交前每行都须填写检查结果和检查完成日期；尚未检查的行请先删除（撤销工作表保护后删除），检查后再报。",
    "本表没有示例行：每一行都是本次抽取的真实检查对象。",
)


def _result_column(name: str) -> Column:
    choices = RESULT_CATEGORIES if name == "result" else ()
    fmt: CellFormat = "date" if name == "completed" else "text"
    return Column(name, _RESULT_HELP[name], required=name in ("result", "completed"), format=fmt, choices=choices)


def results_xlsx(frame: pd.DataFrame) -> bytes:
    """检查结果录入表 for the rows of :func:`results_frame`: drawn columns locked, result and date to fill."""
    book = _Book()
    base = {"font_name": "宋体", "font_size": 11, "valign": "top"}
    locked = book.book.add_format({**base, "num_format": "@", "bg_color": "#EDEDED", "locked": True})
    open_text = book.book.add_format({**base, "num_format": "@", "locked": False})
    open_date = book.book.add_format({**base, "num_format": "yyyy-mm-dd", "locked": False})
    columns = tuple(_result_column(c) for c in (*frame.columns, *_FILLED))
    sheet = book.book.add_worksheet("检查结果录入表")
    for j, column in enumerate(columns):
        sheet.write_string(0, j, column.header, book.required if column.required else book.header)
        if column.name in _FILLED:
            widest = max([_width(column.header), *(_width(v) for v in column.choices), 12])
            sheet.set_column(j, j, min(50, widest + 3), open_date if column.format == "date" else open_text)
            book.validate(sheet, j, column)
            continue
        values = frame[column.name].astype(str).tolist()
        sheet.set_column(j, j, min(50, max([_width(column.header), *map(_width, values[:2000])]) + 3), locked)
        for i, value in enumerate(values, start=1):
            sheet.write_string(i, j, value, locked)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(frame), len(columns) - 1)
    sheet.protect("", {"autofilter": True, "sort": True, "format_columns": True})
    sheet.activate()
    template = Template("results", "检查结果录入表", columns, _RESULT_NOTES)
    _help_sheet(book, template, ("检查结果可选值：" + "；".join(RESULT_CATEGORIES) + "。",))
    return book.close()


def results_template(draw_dir: str | Path, out_path: str | Path) -> Path:
    """Write 检查结果录入表 for a published draw (atomically); returns its path.

    Raises
    ------
    NotFoundError
        If ``draw_dir`` has no ``selection.csv``.
    """
    path = Path(out_path)
    atomic_write_bytes(path, results_xlsx(results_frame(draw_dir)))
    return path
