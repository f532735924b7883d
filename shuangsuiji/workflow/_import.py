"""The import of a whole 两库一单: entity export, inspector roster, items list (private).

:func:`run_import` reads the bureau's files as they are, writes the cleaned inputs a draw reads
(``population.csv``, ``roster.csv``, ``plan.toml``) and a triage report in Chinese
(``triage.csv`` and ``triage.xlsx``: a summary sheet and one row per row read), so that every row
read is accounted for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .._i18n import _
from .._progress import stage
from ..bureau import TRIAGE_CATEGORIES, EntityTriage, RosterImport, inspectors_roster, triage_entities
from ..columns import CHINESE_HEADERS, ColumnMap, load_column_map
from ..exceptions import PopulationError, RosterError
from ..identity import IDENTITY_KINDS
from ..io import atomic_write_bytes, atomic_write_text, csv_bytes, read_table, safe_xlsx_bytes

__all__ = ["ImportStep", "run_import"]


@dataclass(frozen=True)
class ImportStep:
    """What :func:`run_import` read and wrote.

    Attributes
    ----------
    entities : EntityTriage or None
        The entity export, triaged.
    roster : RosterImport or None
        The roster, one row per officer.
    items : int
        Tasks written to ``plan.toml`` (0 without an items list).
    joint_fields : int
        Joint fields (联合抽查领域) of the joint list.
    files : list of Path
        Everything written.
    """

    entities: EntityTriage | None
    roster: RosterImport | None
    items: int = 0
    joint_fields: int = 0
    files: list[Path] = field(default_factory=list)


def _chinese(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={c: CHINESE_HEADERS.get(str(c), str(c)) for c in frame.columns})


def _triage_rows(
    step_entities: EntityTriage | None, roster: RosterImport | None, entity_file: str, roster_file: str
) -> pd.DataFrame:
    parts = []
    if step_entities is not None:
        t = step_entities.rows
        parts.append(
            pd.DataFrame(
                {
                    "文件": entity_file,
                    "行号": t["row"].astype(str),
                    "分类": t["category"].map(TRIAGE_CATEGORIES),
                    "标识": t["identity"],
                    "标识类型": t["kind"].map(lambda k: IDENTITY_KINDS.get(k, "")),
                    "名称": t["name"],
                    "统一社会信用代码(原值)": t["uscc_cell"],
                    "注册号(原值)": t["regno_cell"],
                    "说明": t["message"],
                }
            )
        )
    if roster is not None:
        r = roster.rows
        parts.append(
            pd.DataFrame(
                {
                    "文件": roster_file,
                    "行号": r["row"].astype(str),
                    "分类": ["其他问题" if m else "可用" for m in r["message"]],
                    "标识": r["officer"],
                    "标识类型": "执法人员编号",
                    "名称": "",
                    "统一社会信用代码(原值)": "",
                    "注册号(原值)": "",
                    "说明": r["message"],
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["文件", "行号", "分类", "说明"])


def _summary(entities: EntityTriage | None, roster: RosterImport | None, items: int, joint: int) -> pd.DataFrame:
    lines: list[tuple[str, str, str]] = []
    if entities is not None:
        counts = entities.counts()
        lines.append(("检查对象名录库", "读入行数", str(len(entities.rows))))
        lines.extend(("检查对象名录库", name, str(counts[key])) for key, name in TRIAGE_CATEGORIES.items())
        for key, name in IDENTITY_KINDS.items():
            lines.append(("检查对象名录库", f"可抽取: {name}", str(entities.kinds()[key])))
        lines.append(("检查对象名录库", "代码已规范化(全角/空格)", str(entities.normalised)))
    if roster is not None:
        lines.append(("执法检查人员名录库", "读入行数", str(len(roster.rows))))
        lines.append(("执法检查人员名录库", "执法人员", str(len(roster.roster))))
        lines.append(
            (
                "执法检查人员名录库",
                "待补全的人员",
                str(roster.incomplete()),
            )
        )
    if items:
        lines.append(("抽查事项清单", "抽查事项(任务)", str(items)))
    if joint:
        lines.append(("联合抽查事项清单", "联合抽查领域", str(joint)))
    return pd.DataFrame(lines, columns=["名录", "项目", "数量"])


def run_import(
    out: str | Path,
    *,
    entities: str | Path | None = None,
    inspectors: str | Path | None = None,
    items: str | Path | None = None,
    joint: str | Path | None = None,
    columns: str | Path | ColumnMap | None = None,
    plan_id: str = "IMPORTED",
    sheet: str | int | None = None,
    header_row: int | None = None,
) -> ImportStep:
    """Import a bureau's 两库一单 as it keeps them into ``out``.

    Parameters
    ----------
    out : str or Path
        The folder to write: ``population.csv`` (ready and legacy rows, Chinese headers),
        ``roster.csv``, ``plan.toml`` (with ``items``), ``triage.csv`` and ``triage.xlsx``.
    entities, inspectors, items, joint : str or Path, optional
        The entity export, the inspector roster, the items list and the joint items list
        (CSV, XLS, XLSX or Parquet; the lists XLS or XLSX).
    columns : str, Path or ColumnMap, optional
        A column map (``map.toml``): a bureau's own headers and the values its files lack
        (a roster's department and capacity).
    plan_id : str
        The id of the plan written from the items list.
    sheet, header_row : optional
        The sheet and the header row of the entity export, where the guess is not enough.

    Raises
    ------
    InputError
        A file that cannot be read (named, with row and column), or a column map that is wrong.
    """
    out = Path(out)
    cmap = load_column_map(columns) if isinstance(columns, (str, Path)) else columns
    written: list[Path] = []
    triage = roster = None
    n_items = n_joint = 0
    if entities is not None:
        stage(_("reading the entity export {path}").format(path=entities))
        frame = read_table(
            entities, error=PopulationError, kind="population", column_map=cmap, sheet=sheet, header_row=header_row
        )
        if "uscc" not in frame.columns and "regno" not in frame.columns:
            from ..population import header_problems  # noqa: PLC0415 - only this error needs it

            raise PopulationError(header_problems(list(frame.columns), None, str(entities)))
        stage(_("sorting the entities' rows"))
        triage = triage_entities(frame, source=str(entities))
        atomic_write_bytes(out / "population.csv", csv_bytes(_chinese(triage.population)))
        written.append(out / "population.csv")
    if inspectors is not None:
        stage(_("reading the inspector roster {path}").format(path=inspectors))
        frame = read_table(inspectors, error=RosterError, kind="roster", column_map=cmap)
        roster = inspectors_roster(frame)
        atomic_write_bytes(out / "roster.csv", csv_bytes(_chinese(roster.roster)))
        written.append(out / "roster.csv")
    if items is not None:
        from .._items_plan import items_plan_file  # noqa: PLC0415 - the items list's reader loads only when used

        # Without credit classes in the export, the tasks cannot stratify by them (the default):
        # they are written with the entity type (主体类型) as strata, marked for the bureau.
        stage(_("reading the inspection items {path}").format(path=items))
        columns_read = triage.population.columns if triage is not None else ()
        strata = ["entity_type"] if "credit_class" not in columns_read and "entity_type" in columns_read else None
        n_items, n_joint, text = items_plan_file(items, joint, plan_id=plan_id, strata=strata)
        atomic_write_text(out / "plan.toml", text)
        written.append(out / "plan.toml")
    stage(_("writing the triage report"))
    rows = _triage_rows(triage, roster, str(entities or ""), str(inspectors or ""))
    summary = _summary(triage, roster, n_items, n_joint)
    atomic_write_bytes(out / "triage.csv", csv_bytes(rows))
    atomic_write_bytes(out / "triage.xlsx", safe_xlsx_bytes({"汇总": summary, "明细": rows}))
    written += [out / "triage.csv", out / "triage.xlsx"]
    return ImportStep(triage, roster, n_items, n_joint, written)
