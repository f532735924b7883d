"""The assignment as a whole: staff every visit, set aside those that must wait, date the rest.

A visit goes ahead whole or waits whole. The staffing is solved, the visits
that must wait (a team or an expert place that cannot be filled) are set
aside, and it is solved again without them, so their officers' capacity goes
back to the others and the published teams are exactly the certified optimum.
A settled staffing is dated once (:mod:`.schedule`); a staffed visit that finds
no day keeps its team and is reported undated, with the reason. Every rule is
then checked again by the independent checker (:mod:`.rules`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from .._hashing import default_workers
from .._i18n import _
from ..conflicts import Conflicts
from ..exceptions import AssignmentError, InternalError
from ..plan import AssignmentPolicy
from ..roster import Roster
from ..seed import Seed
from ..visits import Visits, part_id
from ..workdays import WorkCalendar, working_days
from .results import AssignmentResult, GroupCheck, GroupReport, GroupResult, Staffing
from .rules import check_assignment
from .schedule import people_of, schedule_visits
from .staffing import expert_staffing, staff

__all__ = ["assign"]


@dataclass
class _Settled:
    """A staffing that no longer changes: who goes where, which visits wait and why, which parts wait apart.

    ``apart`` holds the department teams of joint visits that wait on their own while the rest of their
    visit goes (``joint_fallback`` ``lead-alone`` or ``separate``), with the reason.
    """

    officers: Staffing
    experts: Staffing
    teams: pd.DataFrame
    waiting: dict[str, list[tuple[str, str]]]
    first_reports: list[GroupReport]
    apart: dict[tuple[str, str], str] = field(default_factory=dict)


def _set_aside(
    visits: Visits,
    policy: AssignmentPolicy,
    failed: Mapping[str, list[tuple[str, str, bool]]],
    waiting: dict[str, list[tuple[str, str]]],
    apart: dict[tuple[str, str], str],
) -> None:
    """Set aside what failed this round: whole visits, or (with a joint fallback) single department teams.

    ``failed`` maps a visit to its failed places ``(department or field, reason, is_expert)``. A visit
    waits whole when the fallback is ``whole``, when an expert place failed, when (``lead-alone``) its
    lead department's team failed, or when nothing of it would be left.
    """
    going = visits.team_departments
    for v, places in failed.items():
        teams = {d for d, _, expert in places if not expert}
        left = {d for d in going.get(v, ()) if (v, d) not in apart} - teams
        whole = (
            policy.joint_fallback == "whole"
            or any(expert for _, _, expert in places)
            or (policy.joint_fallback == "lead-alone" and visits.lead_of(v) in teams)
            or not left
        )
        if whole:
            earlier = [(d, why) for (w, d), why in sorted(apart.items()) if w == v]
            for d, _ in earlier:
                del apart[(v, d)]
            waiting[v] = earlier + [(d, why) for d, why, _ in places]
        else:
            for d, why, _ in places:
                apart[(v, d)] = f"{why} (joint_fallback = {policy.joint_fallback}: the rest of the visit goes)"


def _settle(
    visits: Visits,
    roster: Roster,
    policy: AssignmentPolicy,
    seed: Seed,
    *,
    conflicts: Conflicts,
    workers: int,
    check: GroupCheck | None = None,
) -> _Settled:
    """Solve, set aside what must wait, and solve again without it until nothing changes.

    ``check`` runs on every officers' group where it is solved (:func:`staff`).
    """
    waiting: dict[str, list[tuple[str, str]]] = {}
    apart: dict[tuple[str, str], str] = {}
    first_reports: list[GroupReport] | None = None
    solved: dict[tuple[object, ...], GroupResult] = {}
    for _round in range(len(visits.teams) + len(visits.visits) + 1):
        keys = pd.MultiIndex.from_frame(visits.teams[["visit_id", "department"]])
        keep = ~visits.teams["visit_id"].isin(waiting) & ~keys.isin(list(apart))
        officers = staff(
            visits.teams[keep],
            roster.officers,
            seed=seed,
            conflicts=conflicts,
            policy=policy,
            cache=solved,
            workers=workers,
            check=check,
        )
        experts = expert_staffing(
            visits.experts[~visits.experts["visit_id"].isin(waiting)],
            roster,
            seed=seed,
            conflicts=conflicts,
            policy=policy,
        )
        if first_reports is None:
            first_reports = [*officers.reports, *experts.reports]
        failed: dict[str, list[tuple[str, str, bool]]] = {}
        for frame, expert in ((officers.unstaffed, False), (experts.unstaffed, True)):
            for rec in frame.to_dict("records"):
                failed.setdefault(str(rec["visit_id"]), []).append((str(rec["department"]), str(rec["reason"]), expert))
        teams = pd.concat([officers.teams, experts.teams], ignore_index=True)
        if not failed:
            return _Settled(officers, experts, teams, waiting, first_reports, apart)
        _set_aside(visits, policy, failed, waiting, apart)
    raise InternalError(_("the assignment did not settle"))  # pragma: no cover - each round sets aside a team


def _dates(
    settled: _Settled,
    visits: Visits,
    roster: Roster,
    policy: AssignmentPolicy,
    *,
    seed: Seed,
    days: list[dt.date] | None,
) -> tuple[dict[str, dt.date], dict[str, str]]:
    """Dates of the staffed visits, and the staffed visits no day fits (with the reason)."""
    if days is None:
        return {}, {}
    station_of = dict(zip(visits.visits["visit_id"], visits.visits["station"].astype(str), strict=True))
    unavailable = {str(i): u for i, u in zip(roster.frame["inspector_id"], roster.frame["unavailable"], strict=True)}
    people = {v: who for v, who in people_of(settled.teams).items() if v not in visits.desk}
    plan = schedule_visits(
        people,
        {v: station_of[v] for v in people},
        officers=set(roster.officers["inspector_id"]),
        unavailable=unavailable,
        days=days,
        daily_cap=policy.daily_cap,
        seed=seed,
    )
    return dict(plan.dates), dict(plan.unscheduled)


def _unstaffed(
    visits: Visits, waiting: Mapping[str, list[tuple[str, str]]], undated: Mapping[str, str]
) -> list[tuple[str, str, str]]:
    """Every place that waits, with its reason: the blocked teams, the others of their visits, the undated."""
    rows = []
    for v, reasons in sorted(waiting.items()):
        rows += [(v, dept, why) for dept, why in reasons]
        blocked = {d for d, _ in reasons}
        rows += [
            (v, d, "the visit waits: another of its teams cannot be staffed or dated")
            for d in visits.team_departments.get(v, ())
            if d not in blocked and "(all)" not in blocked
        ]
    rows += [(v, "(all)", f"undated: {why}") for v, why in sorted(undated.items())]
    return rows


def _visit_table(
    visits: Visits, settled: _Settled, dates: Mapping[str, dt.date], undated: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``visits.csv``'s rows, and the teams the staffed visits need.

    A joint visit with parts set aside keeps its row for what goes (its departments, tasks and items
    only theirs); each part set aside gets a row of its own (:func:`~shuangsuiji.visits.part_id`), unstaffed.
    """
    table = visits.visits.copy()
    table["date"] = [dates.get(v, "") for v in table["visit_id"]]
    table["status"] = [
        "unstaffed"
        if v in settled.waiting
        else "desk"
        if v in visits.desk
        else "undated"
        if v in undated
        else "staffed"
        for v in table["visit_id"]
    ]
    if not settled.apart:
        return table, visits.teams
    keys = list(zip(visits.teams["visit_id"], visits.teams["department"], strict=True))
    aside = visits.teams[[k in settled.apart for k in keys]]
    required = visits.teams[[k not in settled.apart for k in keys]]
    kept: dict[str, list[tuple[str, str, str]]] = {}
    for v, d, ts, its in zip(
        required["visit_id"], required["department"], required["tasks"], required["items"], strict=True
    ):
        kept.setdefault(str(v), []).append((str(d), str(ts), str(its)))
    at = table.set_index("visit_id")
    for v in sorted(set(aside["visit_id"])):
        tasks = {t for _, ts, _ in kept[v] for t in ts.split(";")}
        items = {i for _, _, its in kept[v] for i in its.split(";")}
        at.loc[v, "departments"] = ";".join(d for d, _, _ in kept[v])
        at.loc[v, "tasks"] = ";".join(t for t in str(at.at[v, "tasks"]).split(";") if t in tasks)
        at.loc[v, "items"] = ";".join(i for i in str(at.at[v, "items"]).split(";") if i in items)
    parts = pd.DataFrame(
        {
            "visit_id": [part_id(v, d) for v, d in zip(aside["visit_id"], aside["department"], strict=True)],
            "uscc": aside["uscc"].to_numpy(),
            "name": at.loc[aside["visit_id"], "name"].to_numpy(),
            "region": aside["region"].to_numpy(),
            "station": aside["station"].to_numpy(),
            "departments": aside["department"].to_numpy(),
            "tasks": aside["tasks"].to_numpy(),
            "items": aside["items"].to_numpy(),
            "date": "",
            "status": "unstaffed",
        }
    )
    table = pd.concat([at.reset_index(), parts], ignore_index=True).sort_values("visit_id", ignore_index=True)
    return table[[*visits.visits.columns, "date", "status"]], required


def _refusal(settled: _Settled, unstaffed: pd.DataFrame, visits: int, policy: AssignmentPolicy) -> AssignmentError:
    """The error of an assignment that cannot staff every visit, each group explained in numbers."""
    groups = [r.explain() for r in settled.first_reports if r.staffed_teams < r.teams]
    n = unstaffed["visit_id"].nunique()
    head = (
        _("{n} of {visits} visits cannot be staffed or dated:")
        if policy.window
        else _("{n} of {visits} visits cannot be staffed:")
    )
    return AssignmentError(
        head.format(n=n, visits=visits)
        + "\n  - "
        + "\n  - ".join(groups or sorted(set(unstaffed["reason"]))[:10])
        + "\n"
        + _(
            "Add officers or capacity, relax the rules that bind, or use --allow-partial to staff what can be "
            "staffed and list the rest (unstaffed.csv)."
        ),
        unstaffed,
    )


def assign(
    visits: Visits,
    roster: Roster,
    policy: AssignmentPolicy,
    seed: str | Seed,
    *,
    conflicts: Conflicts | None = None,
    calendar: WorkCalendar | None = None,
    allow_partial: bool = False,
    workers: int | None = None,
) -> AssignmentResult:
    """Staff every visit from the roster, and date them when the policy has a window.

    Parameters
    ----------
    visits : Visits
        From :func:`~shuangsuiji.visits.make_visits`.
    roster : Roster
        Officers and experts (:func:`~shuangsuiji.roster.check_roster`).
    policy : AssignmentPolicy
        The plan's ``[assignment]`` (team size, jurisdiction, window...).
    seed : str or Seed
        The published seed; the costs of the random assignment derive from it.
    conflicts : Conflicts, optional
        Recusals and team-pair exclusions.
    calendar : WorkCalendar, optional
        Working days (default: chinese-calendar without overrides).
    allow_partial : bool
        Return the staffable visits and list the rest; by default an unstaffable visit is an error.
    workers : int, optional
        Processes for independent groups (default: the available CPUs, at most 8); the result
        never depends on it.

    Raises
    ------
    AssignmentError
        When some visit cannot be staffed or dated and ``allow_partial`` is false; the message
        explains each group in numbers and ``.unstaffed`` lists every place.
    InternalError
        If the result broke a rule (a bug).
    """
    return assign_checking(
        visits,
        roster,
        policy,
        seed,
        conflicts=conflicts,
        calendar=calendar,
        allow_partial=allow_partial,
        workers=workers,
    )


def assign_checking(
    visits: Visits,
    roster: Roster,
    policy: AssignmentPolicy,
    seed: str | Seed,
    *,
    conflicts: Conflicts | None = None,
    calendar: WorkCalendar | None = None,
    allow_partial: bool = False,
    workers: int | None = None,
    check: GroupCheck | None = None,
) -> AssignmentResult:
    """:func:`assign`, running ``check`` on each officers' group network where it is solved.

    ``verify`` checks a published certificate this way on the networks its recomputation built,
    instead of building them twice; the result is :func:`assign`'s.
    """
    seed = Seed.of(seed)
    conflicts = conflicts or Conflicts()
    workers = default_workers() if workers is None else max(1, workers)
    days = working_days(policy.window, calendar or WorkCalendar()) if policy.window is not None else None
    settled = _settle(visits, roster, policy, seed, conflicts=conflicts, workers=workers, check=check)
    dates, undated = _dates(settled, visits, roster, policy, seed=seed, days=days)
    rows = _unstaffed(visits, settled.waiting, undated)
    rows += [(part_id(v, d), d, why) for (v, d), why in sorted(settled.apart.items())]
    unstaffed = pd.DataFrame(rows, columns=["visit_id", "department", "reason"])
    teams = settled.teams.reset_index(drop=True)
    table, required = _visit_table(visits, settled, dates, undated)
    unstaffed = unstaffed.merge(table[["visit_id", "uscc"]], on="visit_id", how="left")[
        ["visit_id", "uscc", "department", "reason"]
    ].sort_values(["visit_id", "department"], ignore_index=True)
    if len(unstaffed) and not allow_partial:
        raise _refusal(settled, unstaffed, len(table), policy)
    staffed = table[table["status"] != "unstaffed"]
    errors = check_assignment(
        staffed, teams, required, visits.experts, roster=roster, conflicts=conflicts, policy=policy, days=days
    )
    if errors:
        raise InternalError(_("the assignment broke rules: ") + "; ".join(errors[:10]))
    return AssignmentResult(
        visits=table,
        teams=teams,
        workload=_workload(teams, roster, dates),
        unstaffed=unstaffed,
        reports=(*settled.officers.reports, *settled.experts.reports),
        certificate=pd.concat([settled.officers.certificate, settled.experts.certificate], ignore_index=True),
    )


def _workload(teams: pd.DataFrame, roster: Roster, dates: Mapping[str, dt.date]) -> pd.DataFrame:
    frame = roster.frame[roster.frame["active"]][["inspector_id", "name", "kind", "department", "region", "capacity"]]
    visits = teams.groupby("inspector_id")["visit_id"].nunique()
    leads = teams[teams["role"] == "lead"].groupby("inspector_id").size()
    days = (
        teams.assign(day=teams["visit_id"].map(dates)).dropna(subset=["day"]).groupby("inspector_id")["day"].nunique()
    )
    out = frame.assign(
        visits=frame["inspector_id"].map(visits).fillna(0).astype(int),
        leads=frame["inspector_id"].map(leads).fillna(0).astype(int),
        days=frame["inspector_id"].map(days).fillna(0).astype(int),
    )
    return out.reset_index(drop=True)
