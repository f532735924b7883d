"""What ``ledger add`` takes: a published draw, its assignment, the inspectors' results, checks outside the draw.

Each builder reads one source and returns its entries (nothing is written); each entry's
``source`` names the file by SHA-256 (``manifest <sha256>``, ``assignment <sha256>``,
``results <sha256>``, ``checks <sha256>``), so that the ledger refuses a file added twice.
A published file is read only when it is the one its manifest names (same SHA-256).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .._i18n import N_, _
from ..assignment.manifest import AssignmentManifest
from ..columns import KIND_ALIASES
from ..exceptions import ChecksError, LedgerError, Problem, ResultsError
from ..io import read_table, sha256_file
from ..manifest import Manifest
from ..notices import RESULT_ALIASES, check_results, read_results
from ..uscc import uscc_problem
from ..visits import visit_id
from .entries import CHECK_KINDS, LedgerEntry

__all__ = [
    "CHECK_ALIASES",
    "CHECK_KIND_NAMES",
    "PUBLISHED_ALIASES",
    "RESULT_ALIASES",
    "assignment_entries",
    "check_entries",
    "draw_entries",
    "published_entries",
    "result_entries",
]

#: Headers of a checks file besides the English ones: those of the ``checks`` kind in
#: :data:`shuangsuiji.columns.ALIASES` (统一社会信用代码, 检查部门, 检查日期, 检查类型, 检查原因, 检查人员 ...).
CHECK_ALIASES: Mapping[str, str] = KIND_ALIASES["checks"]
#: Chinese names of the kinds of check, as a checks file may write them.
CHECK_KIND_NAMES: Mapping[str, str] = {
    "投诉举报": "complaint",
    "投诉": "complaint",
    "举报": "complaint",
    "大数据预警": "alert",
    "预警": "alert",
    "转办交办": "referral",
    "转办": "referral",
    "交办": "referral",
    "移送": "referral",
    "复查整改": "recheck",
    "复查": "recheck",
    "许可核查": "licensing",
    "其他": "other",
}
#: The visit statuses of ``visits.csv`` whose teams are staffed.
STAFFED = ("staffed", "undated", "desk")
_CHECK_COLUMNS = ("uscc", "department", "date", "kind", "reason")
_SPLIT = re.compile(r"[;；,，、]")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _published(folder: Path, name: str, recorded: Mapping[str, str], manifest: str) -> pd.DataFrame:
    """A table of a published folder, read only if it is the file its manifest names."""
    path = folder / name
    if name not in recorded:
        message = _("{manifest} names no {name}; is {folder} a folder this library wrote?")
        raise LedgerError(message.format(manifest=manifest, name=name, folder=folder))
    if not path.is_file() or sha256_file(path) != recorded[name]:
        message = _("{path} is missing or is not the file {manifest} names (SHA-256 differs); run verify.")
        raise LedgerError(message.format(path=path, manifest=manifest))
    frame = read_table(path)
    for column in frame.columns:
        frame[column] = frame[column].str.strip()
    return frame


def _draw(draw_dir: str | Path) -> tuple[Path, Manifest, pd.DataFrame]:
    folder = Path(draw_dir)
    manifest = Manifest.read(folder)
    return folder, manifest, _published(folder, "selection.csv", manifest.outputs, "manifest.json")


def _year_batch(year: str | None, batch: str | None, manifest: Manifest) -> tuple[str, str]:
    """The year and batch of a draw's entries: as given, else as a year's batch records them (else the plan id).

    Raises
    ------
    LedgerError
        If no year is given for a draw that is not a year's batch, or one differs from the draw's.
    """
    record = manifest.year
    if record is None:
        if year is None:
            message = _("{source}: this draw is not a year's batch; name its year (--year ID).")
            raise LedgerError(message.format(source=manifest.source))
        return year, batch if batch is not None else str(manifest.plan.get("id", ""))
    for given, recorded, message in (
        (year, record.year, _("{source}: the draw is of year {recorded!r}, not {given!r}.")),
        (batch, record.batch, _("{source}: the draw is of batch {recorded!r}, not {given!r}.")),
    ):
        if given is not None and given != recorded:
            raise LedgerError(message.format(source=manifest.source, recorded=recorded, given=given))
    return record.year, record.batch


def draw_entries(draw_dir: str | Path, *, year: str | None = None, batch: str | None = None) -> list[LedgerEntry]:
    """One ``drawn`` entry per row of a published draw's ``selection.csv`` (after a year batch's ``batch`` marker).

    A year's batch first gets one ``batch`` entry: no entity, ``task_id`` its tasks (sorted,
    ``;``-joined), so that the ledger knows the batch was drawn even when it drew no firm.

    Each is dated with the plan's ``start``, has the visit ``"V" + uscc`` and the source
    ``manifest <sha256 of manifest.json>``; ``year`` and ``batch`` default to those a year's batch
    records (``batch`` else to the plan's id).

    Raises
    ------
    ManifestError
        If ``manifest.json`` is not a draw manifest.
    LedgerError
        If ``selection.csv`` is not the file the manifest names.
    """
    manifest, selection = _draw(draw_dir)[1:]
    start, (year, batch_id) = str(manifest.plan.get("start", "") or ""), _year_batch(year, batch, manifest)
    source = f"manifest {manifest.sha256}"
    marker = []
    if manifest.year is not None:
        tasks = ";".join(sorted(t.id for t in manifest.tasks))
        marker = [
            LedgerEntry(
                year=year,
                event="batch",
                uscc="",
                department="",
                batch=batch_id,
                task_id=tasks,
                kind="batch",
                date=start,
                source=source,
            )
        ]
    return marker + [
        LedgerEntry(
            year=year,
            event="drawn",
            uscc=rec["uscc"],
            department=rec["department"],
            batch=batch_id,
            task_id=rec["task_id"],
            visit_id=visit_id(rec["uscc"]),
            date=start,
            source=source,
        )
        for rec in selection[["task_id", "uscc", "department"]].to_dict("records")
    ]


def _teams(teams: pd.DataFrame) -> dict[str, dict[tuple[bool, str], list[str]]]:
    """Each visit's teams: (is an expert's place, department or field) -> inspector ids."""
    out: dict[str, dict[tuple[bool, str], list[str]]] = {}
    for rec in teams[["visit_id", "department", "inspector_id", "role"]].to_dict("records"):
        key = (rec["role"] == "expert", rec["department"])
        out.setdefault(rec["visit_id"], {}).setdefault(key, []).append(rec["inspector_id"])
    return out


def assignment_entries(draw_dir: str | Path, *, year: str | None = None, batch: str | None = None) -> list[LedgerEntry]:
    """One ``staffed`` entry per (visit, department) of each staffed or undated visit of an assignment.

    The entry lists the team's inspector ids, sorted and ``;``-joined, and the visit's date
    (``""`` when undated); its ``task_id`` is the visit's tasks of that department. An outside
    expert's place gets an entry of its own, with the expert's field as ``department``, the tasks
    that ask for that field, and ``detail`` ``"expert"``. The source is
    ``assignment <sha256 of assignment.json>``.

    Raises
    ------
    ManifestError
        If ``assignment.json`` or ``manifest.json`` is not one of its format.
    LedgerError
        If the assignment staffs another draw, or a table is not the file its manifest names.
    """
    folder, manifest = _draw(draw_dir)[:2]
    staffing = AssignmentManifest.read(folder)
    if staffing.draw.sha256 != manifest.sha256:
        message = _("{assignment} staffs another draw than {manifest}.")
        raise LedgerError(message.format(assignment=folder / "assignment.json", manifest=folder / "manifest.json"))
    visits = _published(folder, "visits.csv", staffing.outputs, "assignment.json")
    teams = _teams(_published(folder, "teams.csv", staffing.outputs, "assignment.json"))
    plan = manifest.parsed_plan()
    department = {t.id: t.department for t in plan.tasks}
    expert = {t.id: t.expert for t in plan.tasks}
    (year, batch_id), source = _year_batch(year, batch, manifest), f"assignment {staffing.sha256}"
    entries = []
    for visit in visits[["visit_id", "uscc", "tasks", "date", "status"]].to_dict("records"):
        if visit["status"] not in STAFFED:
            continue
        tasks = [t for t in visit["tasks"].split(";") if t]
        for (is_expert, where), ids in sorted(teams.get(visit["visit_id"], {}).items()):
            served = [t for t in tasks if (expert.get(t) if is_expert else department.get(t)) == where]
            entries.append(
                LedgerEntry(
                    year=year,
                    event="staffed",
                    uscc=visit["uscc"],
                    department=where,
                    batch=batch_id,
                    task_id=";".join(served),
                    visit_id=visit["visit_id"],
                    date=visit["date"],
                    inspectors=";".join(sorted(set(ids))),
                    detail="expert" if is_expert else "",
                    source=source,
                )
            )
    return entries


def result_entries(
    results_path: str | Path, draw_dir: str | Path, *, year: str | None = None, batch: str | None = None
) -> list[LedgerEntry]:
    """One ``done`` entry per row of the inspectors' results file (CSV or XLSX) of a published draw.

    Columns ``task_id, uscc, result, completed`` (or 任务编号, 统一社会信用代码, 检查结果,
    检查完成日期 / 完成日期), checked by :func:`shuangsuiji.notices.check_results`; each entry has
    the task's department, the result and the completion date; the source is
    ``results <sha256 of the file>``.

    Raises
    ------
    ResultsError
        Listing every problem of the file (an entity not drawn in its task, an unknown result, a bad date).
    """
    path = Path(results_path)
    manifest, selection = _draw(draw_dir)[1:]
    results = check_results(read_results(path), selection, source=str(path))
    department = dict(
        zip(zip(selection["task_id"], selection["uscc"], strict=True), selection["department"], strict=True)
    )
    (year, batch_id), source = _year_batch(year, batch, manifest), f"results {sha256_file(path)}"
    return [
        LedgerEntry(
            year=year,
            event="done",
            uscc=rec["uscc"],
            department=department[(rec["task_id"], rec["uscc"])],
            batch=batch_id,
            task_id=rec["task_id"],
            visit_id=visit_id(rec["uscc"]),
            date=rec["completed"].isoformat(),
            result=rec["result"],
            source=source,
        )
        for rec in results.to_dict("records")
    ]


#: Headers of a published 抽查结果公告 that :func:`published_entries` reads.
PUBLISHED_ALIASES: Mapping[str, str] = {"任务编号": "task_id", "统一社会信用代码": "uscc"}


def published_entries(
    notice_path: str | Path,
    draw_dir: str | Path,
    *,
    date: str,
    year: str | None = None,
    batch: str | None = None,
) -> list[LedgerEntry]:
    """One ``published`` entry per row of a posted 抽查结果公告 (``notices --results``) of a published draw.

    The notice (CSV or XLSX, as ``notices`` writes it) is read by its 任务编号 and 统一社会信用代码
    columns; ``date`` is the day it was posted (``YYYY-MM-DD``: no clock is read). The source is
    ``published <sha256 of the file>``.

    Raises
    ------
    ResultsError
        Listing every row whose entity was not drawn in its task, or a missing column.
    LedgerError
        For a date that is not ``YYYY-MM-DD``.
    """
    if not _DATE.fullmatch(date) or _bad_date(date):
        raise LedgerError(_("The day the notice was posted must be a date YYYY-MM-DD; got {date!r}.").format(date=date))
    path = Path(notice_path)
    manifest, selection = _draw(draw_dir)[1:]
    frame = read_table(path, error=ResultsError, kind="results")
    missing = [c for c in ("task_id", "uscc") if c not in frame.columns]
    if missing:
        raise ResultsError(
            [Problem(str(path), 1, c, None, N_("the notice needs 任务编号 and 统一社会信用代码")) for c in missing]
        )
    department = dict(
        zip(zip(selection["task_id"], selection["uscc"], strict=True), selection["department"], strict=True)
    )
    rows = list(zip(frame.index, frame["task_id"].str.strip(), frame["uscc"].str.strip(), strict=True))
    problems = [
        Problem(str(path), int(row), "uscc", uscc, _("this entity was not drawn in task {task!r}").format(task=task))
        for row, task, uscc in rows
        if (task, uscc) not in department
    ]
    if problems:
        raise ResultsError(problems)
    (year, batch_id), source = _year_batch(year, batch, manifest), f"published {sha256_file(path)}"
    return [
        LedgerEntry(
            year=year,
            event="published",
            uscc=uscc,
            department=department[(task, uscc)],
            batch=batch_id,
            task_id=task,
            visit_id=visit_id(uscc),
            date=date,
            source=source,
        )
        for _row, task, uscc in rows
    ]


def _check_row(rec: Mapping[str, str], row: int, source: str) -> tuple[list[Problem], str]:
    """The problems of one row of a checks file, and its kind in English."""
    problems = []
    if (why := uscc_problem(rec["uscc"])) is not None:
        message = _("not a valid 统一社会信用代码: {why}").format(why=why)
        problems.append(Problem(source, row, "uscc", rec["uscc"], message))
    if not rec["department"]:
        problems.append(Problem(source, row, "department", "", N_("name the department that checked")))
    if not _DATE.fullmatch(rec["date"]) or _bad_date(rec["date"]):
        problems.append(Problem(source, row, "date", rec["date"], N_("not a date; write it as YYYY-MM-DD")))
    kind = CHECK_KIND_NAMES.get(rec["kind"], rec["kind"])
    if kind not in CHECK_KINDS:
        message = (
            _("not a kind of check; use one of {kinds} (random checks come from a draw: add the draw)")
            if kind == "random"
            else _("not a kind of check; use one of {kinds}")
        )
        problems.append(Problem(source, row, "kind", rec["kind"], message.format(kinds=list(CHECK_KINDS))))
    if not rec["reason"]:
        message = N_("give the reason of the check (the complaint, the alert ...)")
        problems.append(Problem(source, row, "reason", "", message))
    return problems, kind


def _bad_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return True
    return False


def check_entries(path: str | Path, *, year: str) -> list[LedgerEntry]:
    """One ``check`` entry per row of a file of checks outside the draw (complaints, alerts, referrals ...).

    Columns ``uscc, department, date, kind, reason`` and optionally ``inspectors`` (ids separated
    by ``;``) and ``visit_id``; Chinese headers (统一社会信用代码, 检查部门, 检查日期, 检查类型,
    检查原因, 检查人员) and kinds (投诉举报, 大数据预警, 转办交办, 移送, 复查整改, 许可核查, 其他) are
    understood. The reason goes to ``detail``; the source is ``checks <sha256 of the file>``.

    Raises
    ------
    ChecksError
        Listing every problem at once, each with file, row, column and value.
    """
    path = Path(path)
    source = str(path)
    frame = read_table(path, error=ChecksError, kind="checks")
    missing = [c for c in _CHECK_COLUMNS if c not in frame.columns]
    if missing:
        raise ChecksError(
            [
                Problem(
                    source,
                    1,
                    c,
                    None,
                    _("the checks file needs columns {columns}").format(columns=list(_CHECK_COLUMNS)),
                )
                for c in missing
            ]
        )
    columns = [*_CHECK_COLUMNS, *(c for c in ("inspectors", "visit_id") if c in frame.columns)]
    problems: list[Problem] = []
    entries = []
    digest = f"checks {sha256_file(path)}"
    for row, rec in zip(frame.index, frame[columns].apply(lambda c: c.str.strip()).to_dict("records"), strict=True):
        found, kind = _check_row(rec, int(row), source)
        problems += found
        ids = sorted({i.strip() for i in _SPLIT.split(rec.get("inspectors", "")) if i.strip()})
        entries.append(
            LedgerEntry(
                year=year,
                event="check",
                uscc=rec["uscc"],
                department=rec["department"],
                visit_id=rec.get("visit_id", ""),
                kind=kind,
                date=rec["date"],
                inspectors=";".join(ids),
                detail=rec["reason"],
                source=digest,
            )
        )
    if problems:
        raise ChecksError(problems)
    return entries
