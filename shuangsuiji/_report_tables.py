"""The report's tables as HTML: Chinese headers with the English below, and a caption (private to the report).

The pages are published files, so their words are fixed (Chinese, with English beside), whatever the
locale: nothing here goes through ``_()``. The terms are those of ``docs/glossary.md``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

__all__ = ["HEADERS", "capacity_section", "header", "html_table", "read_table"]

#: The tables' columns: (Chinese, English). A column not listed shows its name with spaces for underscores.
HEADERS: dict[str, tuple[str, str]] = {
    "task_id": ("抽查任务", "task"),
    "department": ("部门", "department"),
    "population": ("对象数", "population"),
    "eligible": ("可抽取对象数", "eligible"),
    "excluded": ("排除数", "excluded"),
    "sample": ("抽取数", "sample"),
    "floor_target": ("保底数", "floor target"),
    "floor_binding": ("保底起作用", "floor binding"),
    "region": ("辖区", "region"),
    "kind": ("类别", "kind"),
    "teams": ("检查组数", "teams"),
    "unstaffed_teams": ("未能派员的检查组", "unstaffed teams"),
    "officers": ("可派执法检查人员", "officers"),
    "add_officers": ("增派人数", "officers to add"),
    "add_leads": ("其中主检", "of them leads"),
    "certificates": ("主检所需证书", "certificates"),
    "capacity_each": ("每人可检查次数", "capacity each"),
    "cross_station_teams": ("因所所交叉未能派员", "cross-station teams"),
    "reason": ("原因", "reason"),
    "base": ("基数(存续对象)", "base"),
    "target": ("年度目标数", "target"),
    "drawn": ("已抽取", "drawn"),
    "staffed": ("已派员", "staffed"),
    "dated": ("已排期", "dated"),
    "done": ("已检查", "done"),
    "published": ("已公示", "published"),
    "drawn_share": ("抽取占基数", "drawn share"),
    "done_share": ("检查占基数", "done share"),
    "remaining": ("尚需抽取", "remaining"),
    "batch": ("抽查批次", "batch"),
    "window": ("检查时间", "window"),
    "share_due": ("应完成比例", "share due"),
    "in_ledger": ("已记入台账", "in ledger"),
    "firms": ("对象数", "firms"),
}

#: Columns holding a share of 1, shown as a percentage.
_SHARES = frozenset({"drawn_share", "done_share", "share_due"})
_BOOLEANS = {"True": "是 yes", "False": "否 no", "true": "是 yes", "false": "否 no"}


def read_table(folder: Path, name: str) -> pd.DataFrame | None:
    """A published CSV table as text (``None`` when the folder has no such file)."""
    path = folder / name
    if not path.exists():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def header(column: str) -> str:
    """A column's header cell content: the Chinese, the English below it (never a snake_case name)."""
    zh, en = HEADERS.get(column, ("", column.replace("_", " ")))
    english = f'<small lang="en">{html.escape(en)}</small>'
    return f"{html.escape(zh)}<br>{english}" if zh else english


def _cell(column: str, value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if column in _SHARES and isinstance(value, int | float):
        return f"{float(value):.1%}"
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    return _BOOLEANS.get(text, text)


def html_table(frame: pd.DataFrame, caption: str, columns: Iterable[str] | None = None) -> str:
    """A table with a header row of Chinese (English below) and a caption saying what it shows."""
    shown = list(frame.columns if columns is None else columns)
    head = "".join(f'<th scope="col">{header(c)}</th>' for c in shown)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(c, v))}</td>" for c, v in zip(shown, row, strict=True)) + "</tr>"
        for row in frame[shown].itertuples(index=False, name=None)
    )
    return (
        f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )


#: The columns of ``capacity.csv`` the report shows.
_CAPACITY_SHOWN = (
    "region",
    "department",
    "teams",
    "unstaffed_teams",
    "officers",
    "add_officers",
    "add_leads",
    "certificates",
    "capacity_each",
    "cross_station_teams",
    "reason",
)
_CAPACITY_CAPTION = (
    "需要增派人员的检查组:按执法检查人员名录库现有人员无法全部派员的检查组，以及增派多少人(其中多少名主检)、"
    "主检需持有的证书。Groups that need people added, and how many (leads among them)."
)


def capacity_section(folder: Path) -> str:
    """The roster change in ``capacity.csv`` (``shuangsuiji capacity``), if the draw's folder holds one."""
    frame = read_table(folder, "capacity.csv")
    if frame is None:
        return ""
    title = "<h2>人员缺口 Roster change (capacity.csv)</h2>"
    if not set(_CAPACITY_SHOWN) <= set(frame.columns):
        return f'<section id="capacity">{title}{html_table(frame, _CAPACITY_CAPTION)}</section>'
    numbers = ("unstaffed_teams", "add_officers", "add_leads", "cross_station_teams")
    count = {c: pd.to_numeric(frame[c], errors="coerce").fillna(0).astype(int) for c in numbers}
    short = frame[(count["add_officers"] > 0) | (count["unstaffed_teams"] > 0)]
    add, leads, groups = count["add_officers"].sum(), count["add_leads"].sum(), int((count["add_officers"] > 0).sum())
    cross = int(count["cross_station_teams"].sum())
    zh = (
        f"由 <code>shuangsuiji capacity</code> 按所给执法检查人员名录库算出:需增派 {add:,} 人，其中主检 {leads:,} 人，"
        f"涉及 {len(frame)} 个检查组中的 {groups} 个"
        + (f";所所交叉使 {cross:,} 个本可派员的检查组未能派员" if cross else "")
        + "。它只描述这份名录库：按此修改后，请用修改后的名录库再运行一次。"
    )
    en = (
        "Computed by <code>shuangsuiji capacity</code> for the roster it was given: "
        + html.escape(f"add {add:,} people, {leads:,} of them leads (主检), in {groups} of {len(frame)} groups")
        + (
            f"; cross-station mode (所所交叉) leaves {cross:,} teams unstaffed that would be staffed without it"
            if cross
            else ""
        )
        + ". It describes that roster: once the change is applied, run it again with the amended one."
    )
    table = (
        html_table(short, _CAPACITY_CAPTION, _CAPACITY_SHOWN)
        if len(short)
        else "<p>无需增派：现有人员可为每个检查组派员。No change: the roster staffs every team.</p>"
    )
    return f'<section id="capacity">{title}<p>{zh}</p><p lang="en">{en}</p>{table}</section>'
