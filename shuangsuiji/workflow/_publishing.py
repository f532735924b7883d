"""What a bureau posts (一公开): the notices, the offline verification page and the report."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from importlib.resources import files as package_files
from pathlib import Path

import pandas as pd

from .._i18n import _
from .._lazy import extra
from .._notice_record import NOTICE_RECORD_FILES, notices_record
from .._outdir import NOTICE_WRITES, check_complete, claim_folder
from .._runs import staged_run
from ..assignment.manifest import AssignmentManifest
from ..exceptions import InputError, NotFoundError, RosterError
from ..io import atomic_write_bytes, csv_bytes, read_table, sha256_file, write_sealed
from ..manifest import Manifest
from ..notices import (
    DEFAULT_DEADLINE_WORKING_DAYS,
    Notice,
    NoticeProvenance,
    NoticeSettings,
    check_results,
    load_notice_settings,
    notices_files,
    plan_notice,
    publicity_export,
    read_results,
    result_notice,
    task_notice,
)
from ..plan import Plan, load_plan
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
        raise NotFoundError(
            _("{folder} holds no assignment (assignment.json); run 'shuangsuiji assign' first.").format(folder=folder)
        )
    manifest = AssignmentManifest.read(folder)
    if "roster" not in manifest.inputs:
        raise NotFoundError(
            _("{path} records no roster, so the inspectors have no names.").format(path=folder / "assignment.json")
        )
    roster = read_table(folder / manifest.inputs["roster"].path, error=RosterError, kind="roster")
    if not {"inspector_id", "name"} <= set(roster.columns):
        raise NotFoundError(
            _("The roster {path} has no 'inspector_id' and 'name' columns.").format(path=manifest.inputs["roster"].path)
        )
    name = dict(zip(roster["inspector_id"], roster["name"], strict=True))
    teams = _table(folder / "teams.csv")
    teams = teams[teams["role"] != "expert"]
    unknown = sorted(set(teams["inspector_id"]) - set(name))
    if unknown:
        raise NotFoundError(
            _(
                "{n} inspectors of teams.csv are not in the roster the assignment recorded "
                "(first: {first}); is it the published roster?"
            ).format(n=len(unknown), first=unknown[0])
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


def _draw_notices(
    folder: Path, names: pd.DataFrame | None
) -> tuple[Plan, pd.DataFrame, NoticeProvenance, list[tuple[Notice, str]]]:
    manifest = Manifest.read(folder)
    plan = manifest.parsed_plan()
    recorded = manifest.inputs.get("plan")
    provenance = NoticeProvenance(
        plan.id,
        plan_sha256=recorded.sha256 if recorded is not None else None,
        seed_mode=manifest.seed_record.mode,
        manifest_sha256=manifest.sha256,
        # a sealed plan's notices may be posted before the reveal: the seed would tell every firm its fate
        seed=None if plan.publication.sealed else manifest.seed,
    )
    selection = _table(folder / "selection.csv")
    notices = [(plan_notice(plan), "抽查计划公告"), (task_notice(plan, selection, names), "抽查任务公告")]
    return plan, selection, provenance, notices


def _check_notice_options(
    draw: str | Path | None, plan: str | Path | None, results: str | Path | None, *, working_days: int, names: bool
) -> None:
    if working_days < 0:
        raise InputError(
            _("The publication deadline is a number of working days, 0 or more; got {n}.").format(n=working_days)
        )
    if (draw is None) == (plan is None):
        raise InputError(
            _(
                "Give the draw's folder for its notices, or a plan file (--plan) for the plan notice before the draw; "
                "not both: a draw's plan is the one its manifest records."
            )
        )
    if draw is None and (results is not None or names):
        raise InputError(_("Results and inspector names belong to a draw: give the draw's folder, not a plan file."))


def run_notices(
    draw: str | Path | None,
    out: str | Path,
    *,
    plan: str | Path | None = None,
    results: str | Path | None = None,
    working_days: int = DEFAULT_DEADLINE_WORKING_DAYS,
    calendar_overrides: str | Path | None = None,
    publish_inspector_names: bool = False,
    templates: str | Path | None = None,
    settings: str | Path | NoticeSettings | None = None,
    force: bool = False,
) -> NoticesStep:
    """Write the notices as CSV, XLSX and HTML (``docs/notices.md``).

    With a draw's folder: 抽查计划公告 and 抽查任务公告, and with ``results`` 抽查结果公告, the
    export for the national system (抽查结果公示导出, CSV and XLSX) and ``pending.csv``. With
    ``draw=None`` and ``plan`` (a plan file): 抽查计划公告 alone, posted before the draw. Every
    file is made before any is written, so a template's mistake leaves ``out`` as it was.

    Parameters
    ----------
    draw : str or Path or None
        The draw's folder (its manifest's plan is the one published); ``None`` with ``plan``.
    plan : str or Path, optional
        A plan file, for the plan notice before the draw (not with ``draw``).
    templates : str or Path, optional
        A folder whose templates replace the shipped ones by name.
    settings : str or Path or NoticeSettings, optional
        The bureau's settings (``notice.toml``): issuing bureau, date, letterhead, preamble, contact.
    force : bool
        Replace the notices of an earlier run in ``out`` (by default their presence is an error, so that
        an old 抽查结果公告 never sits beside new notices).

    Raises
    ------
    ResultsError
        For a results file with problems, every one named.
    InputError
        For a negative number of working days, a draw and a plan given together (or neither),
        results or inspector names without a draw, or a settings file or template with a mistake.
    """
    given = [results, calendar_overrides, plan, settings if isinstance(settings, (str, Path)) else None]
    owned = (*NOTICE_WRITES, *NOTICE_RECORD_FILES)
    target = claim_folder(out, owned, step="notices", force=force, inputs=given, staged=True)
    _check_notice_options(draw, plan, results, working_days=working_days, names=publish_inspector_names)
    chosen = load_notice_settings(settings) if isinstance(settings, (str, Path)) else settings
    pending, names = None, None
    if plan is not None:
        parsed = load_plan(plan)
        provenance = NoticeProvenance(parsed.id, plan_sha256=sha256_file(plan))
        notices = [(plan_notice(parsed), "抽查计划公告")]
    else:
        folder = Path(str(draw))
        check_complete(folder, step="notices")
        names = inspector_names(folder) if publish_inspector_names else None
        parsed, selection, provenance, notices = _draw_notices(folder, names)
    checked_rows = 0
    if results is not None:
        checked = check_results(read_results(results), selection, source=str(results))
        checked_rows = len(checked)
        calendar = WorkCalendar(read_overrides(calendar_overrides) if calendar_overrides else None)
        notice, pending = result_notice(
            parsed, selection, checked, calendar=calendar, working_days=working_days, teams=names
        )
        notices += [(notice, "抽查结果公告"), (publicity_export(notice), "抽查结果公示导出")]
    made = notices_files(notices, settings=chosen, provenance=provenance, templates=templates)
    if pending is not None:
        made["pending.csv"] = csv_bytes(pending)
    record = _record(draw, plan, results, checked_rows)
    with staged_run(target, step="notices", owned=owned, force=force) as stage:
        write_sealed(stage, made, "notices", record)  # the notices, then notices.json and its seal
    return NoticesStep(tuple(target / name for name in made), pending)


def _record(
    draw: str | Path | None, plan: str | Path | None, results: str | Path | None, rows: int
) -> Callable[[Mapping[str, str]], bytes]:
    """What makes ``notices.json`` from the files' hashes: the draw (and assignment) they are of, the results."""
    folder = Path(draw) if draw is not None else None
    staffed = folder / "assignment.json" if folder is not None else None
    return partial(
        notices_record,
        draw_sha256=sha256_file(folder / "manifest.json") if folder is not None else None,
        assignment_sha256=sha256_file(staffed) if staffed is not None and staffed.is_file() else None,
        plan_sha256=sha256_file(plan) if plan is not None else None,
        results=(sha256_file(results), rows) if results is not None else None,
    )


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
    check_complete(folder, step="report")
    path = write_report(folder, Path(out) if out is not None else folder / "report")
    return ReportStep(path, cjk_font())
