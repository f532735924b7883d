"""Public notices (公示): 抽查计划公告, 抽查任务公告 and 抽查结果公告.

Each notice is a frame with Chinese headers, written as CSV (UTF-8 with BOM),
XLSX (bold, frozen header row, fitted column widths) and HTML (one table, no
script). The result notice reads a results file filled in by inspectors,
checks it (every problem at once), and gives each result its publication
deadline counted in working days on the Chinese calendar
(:mod:`shuangsuiji.workdays`). Inspector names appear only when the bureau
asks for them; conflict-of-interest declarations never appear.
"""

from __future__ import annotations

import datetime as dt
import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import pandas as pd
import xlsxwriter

from .columns import KIND_ALIASES, canonical_columns
from .exceptions import Problem, ResultsError, TableError
from .io import atomic_write_bytes, csv_bytes, read_table
from .plan import Plan, Task
from .validation import fraction_text
from .workdays import WorkCalendar

__all__ = [
    "DEFAULT_DEADLINE_WORKING_DAYS",
    "ITEM_COLUMNS",
    "RESULT_ALIASES",
    "RESULT_CATEGORIES",
    "Notice",
    "ResultsError",
    "check_results",
    "plan_notice",
    "read_results",
    "renamed_headers",
    "result_notice",
    "task_notice",
    "write_notice",
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


@dataclass(frozen=True)
class Notice:
    """A notice: its title and its table (Chinese headers)."""

    title: str
    table: pd.DataFrame


def _category(task_category: str) -> str:
    return "一般事项" if task_category == "general" else "重点事项"


def _scope_text(where: Mapping[str, Sequence[str]]) -> str:
    if not where:
        return "全部检查对象"
    return ";".join(f"{col}: {'、'.join(v)}" for col, v in where.items())


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


def plan_notice(plan: Plan) -> Notice:
    """抽查计划公告: the plan and its tasks, with items, departments and ratios (and the items' fields, if any)."""
    rows = [
        {
            "计划编号": plan.id,
            "计划名称": plan.title or "",
            "任务编号": t.id,
            "任务名称": t.name or "",
            "发起部门": t.department,
            "抽查事项": "、".join(t.items),
            "事项类别": _category(t.category),
            "抽查比例": fraction_text(t.ratio),
            "最低比例": fraction_text(t.floor),
            "抽查范围": _scope_text(t.where),
            "开始日期": plan.start.isoformat() if plan.start else "",
            "结束日期": plan.end.isoformat() if plan.end else "",
        }
        for t in plan.tasks
    ]
    frame = _with_items(pd.DataFrame(rows), plan.tasks, list(ITEM_COLUMNS))
    return Notice(f"{plan.title or plan.id} 抽查计划公告", frame)


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
        names = teams.set_index(["uscc", "department"])["names"].to_dict()
        frame["检查人员"] = [
            names.get((u, d), "") for u, d in zip(selection["uscc"], selection["department"], strict=True)
        ]
    return Notice(f"{plan.title or plan.id} 抽查任务公告", frame)


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
    """Check a results file: ``task_id, uscc, result, completed`` (``YYYY-MM-DD``).

    Every row must be a drawn entity of its task, with a known result category
    and a completion date, and no entity may have two results in one task.

    Raises
    ------
    ResultsError
        Listing every problem.
    """
    needed = ("task_id", "uscc", "result", "completed")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ResultsError(
            [Problem(source, 1, c, None, f"the results file needs columns {list(needed)}") for c in missing]
        )
    drawn = set(zip(selection["task_id"], selection["uscc"], strict=True))
    problems = []
    seen: dict[tuple[str, str], int] = {}
    dates: list[dt.date | None] = []
    for row, rec in zip(frame.index, frame[list(needed)].to_dict("records"), strict=True):
        key = (str(rec["task_id"]).strip(), str(rec["uscc"]).strip())
        if key not in drawn:
            problems.append(Problem(source, int(row), "uscc", key[1], f"this entity was not drawn in task {key[0]!r}"))
        if key in seen:
            problems.append(
                Problem(
                    source, int(row), "uscc", key[1], f"a second result in task {key[0]!r} (first in row {seen[key]})"
                )
            )
        seen.setdefault(key, int(row))
        result = str(rec["result"]).strip()
        if result not in categories:
            problems.append(
                Problem(source, int(row), "result", result, f"not a result category; use one of {list(categories)}")
            )
        try:
            dates.append(dt.date.fromisoformat(str(rec["completed"]).strip()))
        except ValueError:
            problems.append(
                Problem(source, int(row), "completed", str(rec["completed"]), "not a date; write it as YYYY-MM-DD")
            )
            dates.append(None)
    if problems:
        raise ResultsError(problems)
    out = pd.DataFrame(
        {
            "task_id": frame["task_id"].astype(str).str.strip().to_numpy(),
            "uscc": frame["uscc"].astype(str).str.strip().to_numpy(),
            "result": frame["result"].astype(str).str.strip().to_numpy(),
            "completed": dates,
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
) -> tuple[Notice, pd.DataFrame]:
    """抽查结果公告, and the drawn entities still without a result.

    Each result's publication deadline is its completion date plus
    ``working_days`` working days.

    Returns
    -------
    (Notice, pandas.DataFrame)
        The notice, and the pending entities (``task_id, uscc, name``).
    """
    calendar = calendar or WorkCalendar()
    tasks = {t.id: t for t in plan.tasks}
    merged = results.merge(selection[["task_id", "uscc", "name", "department"]], on=["task_id", "uscc"], how="left")
    # Results share few completion dates: count each date's deadline once.
    deadline = {d: calendar.add_working_days(d, working_days).isoformat() for d in set(merged["completed"])}
    frame = pd.DataFrame(
        {
            "任务编号": merged["task_id"],
            "检查部门": merged["department"],
            "抽查事项": ["、".join(tasks[t].items) for t in merged["task_id"]],
            "统一社会信用代码": merged["uscc"],
            "企业名称": merged["name"],
            "检查结果": merged["result"],
            "检查完成日期": [d.isoformat() for d in merged["completed"]],
            "公示截止日期": [deadline[d] for d in merged["completed"]],
        }
    )
    if teams is not None:
        names = teams.set_index(["uscc", "department"])["names"].to_dict()
        frame["检查人员"] = [names.get((u, d), "") for u, d in zip(merged["uscc"], merged["department"], strict=True)]
    done = set(zip(results["task_id"], results["uscc"], strict=True))
    pending = selection[[(t, u) not in done for t, u in zip(selection["task_id"], selection["uscc"], strict=True)]]
    return Notice(f"{plan.title or plan.id} 抽查结果公告", frame), pending[["task_id", "uscc", "name"]].reset_index(
        drop=True
    )


def _width(text: str) -> int:
    return sum(2 if ord(c) > 0x2E7F else 1 for c in text)


#: The creation time written into every workbook's properties (a fixed date, not the clock).
_CREATED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def xlsx_bytes(notice: Notice) -> bytes:
    """The notice as an XLSX workbook: bold, frozen header row and fitted column widths.

    Written with XlsxWriter, which writes large notices several times faster than openpyxl (used
    for reading); every value is written as text, so codes and ratios stay as they are.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"created": _CREATED})  # no clock time: the same notice gives the same bytes
    sheet = book.add_worksheet("公告")
    sheet.write_row(0, 0, [str(c) for c in notice.table.columns], book.add_format({"bold": True}))
    for i, row in enumerate(notice.table.astype(str).itertuples(index=False), start=1):
        sheet.write_row(i, 0, row)
    sheet.freeze_panes(1, 0)
    for i, col in enumerate(notice.table.columns):
        widest = max([_width(str(col)), *(_width(str(v)) for v in notice.table[col].head(5000))])
        sheet.set_column(i, i, min(60, widest + 2))
    book.close()
    return buffer.getvalue()


def html_text(notice: Notice) -> str:
    """The notice as a self-contained HTML page (escaped text, no script)."""
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in notice.table.columns)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in notice.table.itertuples(index=False)
    )
    title = html.escape(notice.title)
    return (
        f'<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>\n'
        "<style>body{font-family:system-ui,'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2rem}"
        "table{border-collapse:collapse}th,td{border:1px solid #bbb;padding:.25rem .5rem}th{background:#eee}</style>"
        f"</head><body><h1>{title}</h1>\n<table><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>"
        f"<p>共 {len(notice.table)} 条。</p></body></html>\n"
    )


def write_notice(notice: Notice, out_dir: str | Path, stem: str) -> list[Path]:
    """Write ``stem.csv``, ``stem.xlsx`` and ``stem.html`` into ``out_dir`` (atomically)."""
    out = Path(out_dir)
    paths = [out / f"{stem}.csv", out / f"{stem}.xlsx", out / f"{stem}.html"]
    atomic_write_bytes(paths[0], csv_bytes(notice.table))
    atomic_write_bytes(paths[1], xlsx_bytes(notice))
    atomic_write_bytes(paths[2], html_text(notice).encode("utf-8"))
    return paths
