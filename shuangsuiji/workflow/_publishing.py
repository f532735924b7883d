"""What a bureau posts (一公开): the notices, the offline verification page and the report."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files as package_files
from pathlib import Path

import pandas as pd

from .._lazy import extra
from ..assignment.manifest import AssignmentManifest
from ..exceptions import InputError, NotFoundError, RosterError
from ..io import atomic_write_bytes, read_table, write_csv
from ..manifest import Manifest
from ..notices import (
    DEFAULT_DEADLINE_WORKING_DAYS,
    check_results,
    plan_notice,
    read_results,
    result_notice,
    task_notice,
    write_notice,
)
from ..workdays import WorkCalendar, read_overrides

__all__ = ["NoticesStep", "ReportStep", "inspector_names", "run_notices", "run_page", "run_report"]


def _table(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def inspector_names(folder: str | Path) -> pd.DataFrame:
    """``uscc, department, names`` of the officers on each visit (only when a bureau publishes names).

    Raises
    ------
    NotFoundError
        If the folder holds no assignment.
    """
    folder = Path(folder)
    if not (folder / "assignment.json").exists():
        raise NotFoundError(f"{folder} holds no assignment (assignment.json); run 'shuangsuiji assign' first.")
    manifest = AssignmentManifest.read(folder)
    if "roster" not in manifest.inputs:
        raise NotFoundError(f"{folder / 'assignment.json'} records no roster, so the inspectors have no names.")
    roster = read_table(folder / manifest.inputs["roster"].path, error=RosterError, kind="roster")
    if not {"inspector_id", "name"} <= set(roster.columns):
        raise NotFoundError(f"The roster {manifest.inputs['roster'].path} has no 'inspector_id' and 'name' columns.")
    name = dict(zip(roster["inspector_id"], roster["name"], strict=True))
    teams = _table(folder / "teams.csv")
    teams = teams[teams["role"] != "expert"]
    unknown = sorted(set(teams["inspector_id"]) - set(name))
    if unknown:
        raise NotFoundError(
            f"{len(unknown)} inspectors of teams.csv are not in the roster the assignment recorded "
            f"(first: {unknown[0]}); is it the published roster?"
        )
    grouped = teams.groupby(["visit_id", "department"])["inspector_id"].apply(lambda s: "、".join(name[i] for i in s))
    out = grouped.reset_index().rename(columns={"inspector_id": "names"})
    out["uscc"] = out["visit_id"].str[1:]
    return out[["uscc", "department", "names"]]


@dataclass(frozen=True)
class NoticesStep:
    """What :func:`run_notices` wrote, and the drawn entities still without a result (with ``results``)."""

    paths: tuple[Path, ...]
    pending: pd.DataFrame | None


def run_notices(
    draw: str | Path,
    out: str | Path,
    *,
    results: str | Path | None = None,
    working_days: int = DEFAULT_DEADLINE_WORKING_DAYS,
    calendar_overrides: str | Path | None = None,
    publish_inspector_names: bool = False,
) -> NoticesStep:
    """Write 抽查计划公告, 抽查任务公告 and (with ``results``) 抽查结果公告 as CSV, XLSX and HTML.

    Raises
    ------
    ResultsError
        For a results file with problems, every one named.
    InputError
        For a negative number of working days.
    """
    folder, target = Path(draw), Path(out)
    if working_days < 0:
        raise InputError(f"The publication deadline is a number of working days, 0 or more; got {working_days}.")
    plan = Manifest.read(folder).parsed_plan()
    selection = _table(folder / "selection.csv")
    names = inspector_names(folder) if publish_inspector_names else None
    written = write_notice(plan_notice(plan), target, "抽查计划公告")
    written += write_notice(task_notice(plan, selection, names), target, "抽查任务公告")
    pending = None
    if results is not None:
        checked = check_results(read_results(results), selection, source=str(results))
        calendar = WorkCalendar(read_overrides(calendar_overrides) if calendar_overrides else None)
        notice, pending = result_notice(
            plan, selection, checked, calendar=calendar, working_days=working_days, teams=names
        )
        written += write_notice(notice, target, "抽查结果公告")
        write_csv(pending, target / "pending.csv")
        written.append(target / "pending.csv")
    return NoticesStep(tuple(written), pending)


def run_page(out: str | Path) -> Path:
    """Write ``verify.html``: a static page where anyone checks a code against a published manifest."""
    path = Path(out)
    atomic_write_bytes(path, package_files("shuangsuiji").joinpath("data/verify.html").read_bytes())
    return path


@dataclass(frozen=True)
class ReportStep:
    """What :func:`run_report` wrote, and the CJK font its figures use (``None``: labels in English)."""

    path: Path
    font: str | None


def run_report(draw: str | Path, out: str | Path | None = None) -> ReportStep:
    """Write ``report.html`` and its PNG figures for a draw (needs matplotlib: the ``report`` extra)."""
    with extra("report"):
        from ..report import cjk_font, write_report  # noqa: PLC0415 - matplotlib loads only for a report

    folder = Path(draw)
    path = write_report(folder, Path(out) if out is not None else folder / "report")
    return ReportStep(path, cjk_font())
