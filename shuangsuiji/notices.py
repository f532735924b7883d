"""Public notices (公示): 抽查计划公告, 抽查任务公告, 抽查结果公告, and the export for the national system.

Each notice is a :class:`Notice`: a table with Chinese headers, and what its printed forms need.
:func:`write_notice` writes it three ways (``docs/notices.md``):

- **CSV** (UTF-8 with BOM): the machine copy, the table as it is; a cell that starts like a
  formula (``=``, ``+``, ``-``, ``@``, tab, carriage return; not a plain number) gets a ``'``
  before it, which the library's readers drop (:func:`shuangsuiji.io.csv_bytes`). Spreadsheets
  should open the XLSX instead.
- **XLSX**: for spreadsheets and print. Title row, 序号, A4 landscape one page wide, the header
  repeated on every page and frozen, page numbers, a filter; codes as text, dates as dates, ratios
  as percentages; no cell can become a formula or a link; fixed metadata, so the same bytes.
- **HTML**: for screen and A4 print, from Jinja2 templates a bureau may replace, with its own
  letterhead, preamble, contact, issuing bureau and date (:class:`NoticeSettings`); the task and
  result notices are grouped by task; the footer names the plan, the seed's mode and the
  manifest's SHA-256 (:class:`NoticeProvenance`). Escaped text, no script.

The plan notice needs only the plan, so it is posted before the draw. The result notice reads a
results file filled in by inspectors, checks it (every problem at once), and gives each result its
publication deadline and, for the results that put a firm on the 经营异常名录, the deadline to
decide the listing, in working days on the Chinese calendar (:mod:`shuangsuiji.workdays`).
Inspector names appear only when the bureau asks for them; conflict-of-interest declarations never
appear.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from ._i18n import _
from ._notice_files import notice_csv_bytes, notice_files, notices_files, write_notice
from ._notice_model import Notice, NoticeProvenance, NoticeSettings, load_notice_settings
from ._notice_render import html_text
from ._notice_text import percent_text, scope_words
from ._notice_xlsx import xlsx_bytes
from .columns import KIND_ALIASES, canonical_columns
from .exceptions import Problem, ResultsError, TableError
from .io import read_table
from .plan import Plan, Task
from .validation import date_of_text
from .workdays import WorkCalendar

__all__ = [
    "DEFAULT_DEADLINE_WORKING_DAYS",
    "EXPORT_FIELDS",
    "ITEM_COLUMNS",
    "LISTING_DEADLINE_WORKING_DAYS",
    "LISTING_RESULTS",
    "RESULT_ALIASES",
    "RESULT_CATEGORIES",
    "Notice",
    "NoticeProvenance",
    "NoticeSettings",
    "ResultsError",
    "check_results",
    "html_text",
    "load_notice_settings",
    "notice_csv_bytes",
    "notice_files",
    "notices_files",
    "plan_notice",
    "publicity_export",
    "read_results",
    "renamed_headers",
    "result_notice",
    "task_notice",
    "write_notice",
    "xlsx_bytes",
]

#: Result categories seen in practice (../shared/domain.md).
RESULT_CATEGORIES: tuple[str, ...] = (
    "正常",
    "未按规定公示(即时)信息",
    "公示信息隐瞒真实情况、弄虚作假",
    "通过登记的住所(经营场所)无法联系",
    "不予配合情节严重",
    "发现问题已责令改正",
    "已注销/迁出",
)
#: Results are published within this many working days of the end of the inspection.
DEFAULT_DEADLINE_WORKING_DAYS = 20
#: The results that put a firm on the 经营异常名录 (企业经营异常名录管理暂行办法).
LISTING_RESULTS: tuple[str, ...] = (
    "未按规定公示(即时)信息",
    "公示信息隐瞒真实情况、弄虚作假",
    "通过登记的住所(经营场所)无法联系",
)
#: The listing is decided within this many working days of the inspection's completion.
LISTING_DEADLINE_WORKING_DAYS = 10
#: The fields of the national system's record of a random check (双随机抽查结果信息), in order.
EXPORT_FIELDS: tuple[str, ...] = (
    "统一社会信用代码",
    "抽查计划编号",
    "抽查计划名称",
    "抽查任务编号",
    "抽查任务名称",
    "抽查类型",
    "检查机关",
    "检查完成日期",
    "检查结果",
    "备注",
)
_CODES = ("计划编号", "任务编号", "抽查计划编号", "抽查任务编号", "统一社会信用代码")
_DATES = ("开始日期", "结束日期", "检查完成日期", "公示截止日期", "列入经营异常名录决定期限")
_TYPES: Mapping[str, str] = MappingProxyType(
    {**dict.fromkeys(_CODES, "code"), **dict.fromkeys(_DATES, "date"), "抽查比例": "percent", "最低比例": "percent"}
)


def _category(task_category: str) -> str:
    return "一般事项" if task_category == "general" else "重点事项"


def _draw_type(task: Task) -> str:
    """抽查类型: 定向 for a task whose scope is filtered first (a ``where``), else 不定向."""
    return "定向" if task.where else "不定向"


def _plan_info(plan: Plan) -> tuple[tuple[str, str], ...]:
    info = [("计划编号", plan.id)]
    if plan.title:
        info.append(("计划名称", plan.title))
    if plan.start or plan.end:
        span = " 至 ".join(d.isoformat() for d in (plan.start, plan.end) if d is not None)
        info.append(("抽查时间", span))
    return tuple(info)


#: Columns of the items list's fields (``[tasks.item]``), after 抽查事项, in the plan notice and (the first
#: four) in the task notice; added only when some task has the field, so other notices keep their bytes.
ITEM_COLUMNS: Mapping[str, str] = {
    "抽查类别": "category",
    "检查方式": "methods",
    "检查依据": "basis",
    "配合部门": "partners",
    "检查对象": "object",
    "检查主体": "subject",
    "抽查频次": "frequency",
    "检查人员要求": "requirements",
}


def _with_items(frame: pd.DataFrame, tasks: Sequence[Task], headers: Sequence[str]) -> pd.DataFrame:
    """``frame`` (one row per task of ``tasks``) with a column after 抽查事项 for each item field some task has."""
    at = list(frame.columns).index("抽查事项") + 1 if len(frame.columns) else 0
    for header in headers:
        key = ITEM_COLUMNS[header]
        values = [getattr(t.item, key) if t.item is not None else "" for t in tasks]
        if any(values):
            frame.insert(at, header, ["、".join(v) if isinstance(v, tuple) else v for v in values])
            at += 1
    return frame


def _types(frame: pd.DataFrame) -> Mapping[str, str]:
    return MappingProxyType({c: _TYPES[c] for c in frame.columns if c in _TYPES})


def plan_notice(plan: Plan) -> Notice:
    """抽查计划公告: the plan and its tasks, with items, departments, ratios and scopes in words.

    It needs the plan alone, so it can be posted before the draw. Ratios read as percentages
    (``2%``), a task without a floor as ``不设``, and the scope in words (``行业：F52*（以F52开头）``).
    """
    rows = [
        {
            "计划编号": plan.id,
            "计划名称": plan.title or "",
            "任务编号": t.id,
            "任务名称": t.name or "",
            "发起部门": t.department,
            "抽查事项": "、".join(t.items),
            "事项类别": _category(t.category),
            "抽查比例": percent_text(t.ratio),
            "最低比例": percent_text(t.floor) if t.floor else "不设",
            "抽查范围": scope_words(t.where),
            "开始日期": plan.start.isoformat() if plan.start else "",
            "结束日期": plan.end.isoformat() if plan.end else "",
        }
        for t in plan.tasks
    ]
    frame = _with_items(pd.DataFrame(rows), plan.tasks, list(ITEM_COLUMNS))
    return Notice(
        f"{plan.title or plan.id} 抽查计划公告",
        frame,
        kind="plan",
        info=_plan_info(plan),
        summary=("计划编号", "计划名称", "开始日期", "结束日期"),
        types=_types(frame),
    )


def _names(teams: pd.DataFrame, uscc: pd.Series, department: pd.Series) -> list[str]:
    names = teams.set_index(["uscc", "department"])["names"].to_dict()
    return [names.get((u, d), "") for u, d in zip(uscc, department, strict=True)]


def task_notice(plan: Plan, selection: pd.DataFrame, teams: pd.DataFrame | None = None) -> Notice:
    """抽查任务公告: the entities drawn, by task, with their names and codes.

    Parameters
    ----------
    selection : pandas.DataFrame
        The draw's ``selection.csv`` (``task_id, uscc, name, department``...).
    teams : pandas.DataFrame, optional
        ``uscc, department, names`` of the assigned inspectors; only given when the
        bureau decides to publish inspector names.
    """
    tasks = {t.id: t for t in plan.tasks}
    frame = pd.DataFrame(
        {
            "任务编号": selection["task_id"],
            "任务名称": [tasks[t].name or "" for t in selection["task_id"]],
            "检查部门": selection["department"],
            "抽查事项": ["、".join(tasks[t].items) for t in selection["task_id"]],
            "统一社会信用代码": selection["uscc"],
            "企业名称": selection["name"],
        }
    )
    frame = _with_items(frame, [tasks[t] for t in selection["task_id"]], list(ITEM_COLUMNS)[:4])
    if teams is not None:
        frame["检查人员"] = _names(teams, selection["uscc"], selection["department"])
    grouped = tuple(c for c in frame.columns if c not in ("统一社会信用代码", "企业名称", "检查人员"))
    return Notice(
        f"{plan.title or plan.id} 抽查任务公告",
        frame,
        kind="task",
        info=_plan_info(plan),
        grouped=grouped,
        types=_types(frame),
    )


#: Headers of the inspectors' results file besides the English ones (统一社会信用代码 is read as ``uscc``).
RESULT_ALIASES: Mapping[str, str] = MappingProxyType({"任务编号": "task_id", **KIND_ALIASES["results"]})


def renamed_headers(
    frame: pd.DataFrame, aliases: Mapping[str, str], source: str, error: type[TableError]
) -> pd.DataFrame:
    """Rename the headers ``aliases`` knows, refusing two headers that mean one column."""
    return canonical_columns(frame, None, source=source, error=error, extra=aliases)


def read_results(path: str | Path) -> pd.DataFrame:
    """Read the inspectors' results file (CSV, XLS or XLSX), its Chinese headers renamed (:data:`RESULT_ALIASES`).

    Raises
    ------
    ResultsError
        If the file cannot be read, or two headers mean the same column.
    """
    return read_table(path, error=ResultsError, kind="results")


def check_results(
    frame: pd.DataFrame,
    selection: pd.DataFrame,
    *,
    source: str = "<frame>",
    categories: Sequence[str] = RESULT_CATEGORIES,
) -> pd.DataFrame:
    """Check a results file: ``task_id, uscc, result, completed`` (``YYYY-MM-DD``), and an optional ``note``.

    Every row must be a drawn entity of its task, with a known result category
    and a completion date, and no entity may have two results in one task.
    The checked frame has the columns ``task_id, uscc, result, completed, note``
    (``note``, 备注, empty when the file has none).

    Raises
    ------
    ResultsError
        Listing every problem.
    """
    needed = ("task_id", "uscc", "result", "completed")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ResultsError(
            [
                Problem(source, 1, c, None, _("the results file needs columns {columns}").format(columns=list(needed)))
                for c in missing
            ]
        )
    drawn = set(zip(selection["task_id"], selection["uscc"], strict=True))
    problems = []
    seen: dict[tuple[str, str], int] = {}
    dates: list[dt.date | None] = []
    for row, rec in zip(frame.index, frame[list(needed)].to_dict("records"), strict=True):
        key = (str(rec["task_id"]).strip(), str(rec["uscc"]).strip())
        if key not in drawn:
            message = _("this entity was not drawn in task {task!r}").format(task=key[0])
            problems.append(Problem(source, int(row), "uscc", key[1], message))
        if key in seen:
            message = _("a second result in task {task!r} (first in row {row})").format(task=key[0], row=seen[key])
            problems.append(Problem(source, int(row), "uscc", key[1], message))
        seen.setdefault(key, int(row))
        result = str(rec["result"]).strip()
        if result not in categories:
            problems.append(
                Problem(
                    source,
                    int(row),
                    "result",
                    result,
                    _("not a result category; use one of {categories}").format(categories=list(categories)),
                )
            )
        completed = date_of_text(str(rec["completed"]))
        if completed is None:
            problems.append(
                Problem(source, int(row), "completed", str(rec["completed"]), _("not a date; write it as YYYY-MM-DD"))
            )
        dates.append(completed)
    if problems:
        raise ResultsError(problems)
    out = pd.DataFrame(
        {
            "task_id": frame["task_id"].astype(str).str.strip().to_numpy(),
            "uscc": frame["uscc"].astype(str).str.strip().to_numpy(),
            "result": frame["result"].astype(str).str.strip().to_numpy(),
            "completed": dates,
            "note": frame["note"].fillna("").astype(str).str.strip().to_numpy() if "note" in frame.columns else "",
        }
    )
    return out


def result_notice(
    plan: Plan,
    selection: pd.DataFrame,
    results: pd.DataFrame,
    *,
    calendar: WorkCalendar | None = None,
    working_days: int = DEFAULT_DEADLINE_WORKING_DAYS,
    teams: pd.DataFrame | None = None,
    listing_days: int = LISTING_DEADLINE_WORKING_DAYS,
) -> tuple[Notice, pd.DataFrame]:
    """抽查结果公告, with the fields of the national record, and the drawn entities still without a result.

    Each result's publication deadline (公示截止日期) is its completion date plus ``working_days``
    working days; a result of :data:`LISTING_RESULTS` also gets the deadline to decide the listing
    in the 经营异常名录 (列入经营异常名录决定期限): the completion date plus ``listing_days``
    working days. 抽查类型 is 定向 for a task with a ``where`` filter, else 不定向; 备注 is the
    results file's ``note`` (备注) column, if it has one.

    Returns
    -------
    (Notice, pandas.DataFrame)
        The notice, and the pending entities (``task_id, uscc, name``).
    """
    calendar = calendar or WorkCalendar()
    tasks = {t.id: t for t in plan.tasks}
    merged = results.merge(selection[["task_id", "uscc", "name", "department"]], on=["task_id", "uscc"], how="left")
    # Results share few completion dates: count each date's deadlines once.
    days = set(merged["completed"])
    deadline = {d: calendar.add_working_days(d, working_days).isoformat() for d in days}
    listed = {d: calendar.add_working_days(d, listing_days).isoformat() for d in days}
    notes = merged["note"] if "note" in merged.columns else pd.Series([""] * len(merged))
    frame = pd.DataFrame(
        {
            "抽查计划编号": plan.id,
            "抽查计划名称": plan.title or "",
            "任务编号": merged["task_id"],
            "任务名称": [tasks[t].name or "" for t in merged["task_id"]],
            "抽查类型": [_draw_type(tasks[t]) for t in merged["task_id"]],
            "检查机关": merged["department"],
            "抽查事项": ["、".join(tasks[t].items) for t in merged["task_id"]],
            "统一社会信用代码": merged["uscc"],
            "企业名称": merged["name"],
            "检查结果": merged["result"],
            "检查完成日期": [d.isoformat() for d in merged["completed"]],
            "公示截止日期": [deadline[d] for d in merged["completed"]],
            "列入经营异常名录决定期限": [
                listed[d] if r in LISTING_RESULTS else ""
                for d, r in zip(merged["completed"], merged["result"], strict=True)
            ],
            "备注": notes.fillna("").astype(str).to_numpy(),
        },
        index=range(len(merged)),
    )
    if teams is not None:
        frame["检查人员"] = _names(teams, merged["uscc"], merged["department"])
    done = set(zip(results["task_id"], results["uscc"], strict=True))
    pending = selection[[(t, u) not in done for t, u in zip(selection["task_id"], selection["uscc"], strict=True)]]
    notice = Notice(
        f"{plan.title or plan.id} 抽查结果公告",
        frame,
        kind="result",
        info=_plan_info(plan),
        grouped=("任务编号", "任务名称", "抽查类型", "检查机关", "抽查事项"),
        summary=("抽查计划编号", "抽查计划名称"),
        types=_types(frame),
    )
    return notice, pending[["task_id", "uscc", "name"]].reset_index(drop=True)


def publicity_export(notice: Notice) -> Notice:
    """The result notice in exactly the national record's fields (:data:`EXPORT_FIELDS`), for its import."""
    renamed = notice.table.rename(columns={"任务编号": "抽查任务编号", "任务名称": "抽查任务名称"})
    frame = renamed[list(EXPORT_FIELDS)].reset_index(drop=True)
    return Notice(notice.title.replace("抽查结果公告", "抽查结果公示导出"), frame, kind="export", types=_types(frame))
