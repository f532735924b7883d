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
from dataclasses import dataclass

import pandas as pd

from .._hashing import default_workers
from ..conflicts import Conflicts
from ..exceptions import AssignmentError, InternalError
from ..plan import AssignmentPolicy
from ..roster import Roster
from ..seed import Seed
from ..visits import Visits
from ..workdays import WorkCalendar, working_days
from .results import AssignmentResult, GroupReport, GroupResult, Staffing
from .rules import check_assignment
from .schedule import people_of, schedule_visits
from .staffing import expert_staffing, staff

__all__ = ["assign"]


@dataclass
class _Settled:
    """A staffing that no longer changes: who goes where, and which visits wait and why."""

    officers: Staffing
    experts: Staffing
    teams: pd.DataFrame
    waiting: dict[str, list[tuple[str, str]]]
    first_reports: list[GroupReport]


def _settle(
    visits: Visits, roster: Roster, policy: AssignmentPolicy, seed: Seed, *, conflicts: Conflicts, workers: int
) -> _Settled:
    """Solve, set aside the visits that must wait, and solve again without them until nothing changes."""
    waiting: dict[str, list[tuple[str, str]]] = {}
    first_reports: list[GroupReport] | None = None
    solved: dict[tuple[object, ...], GroupResult] = {}
    for _ in range(len(visits.visits) + 1):
        officers = staff(
            visits.teams[~visits.teams["visit_id"].isin(waiting)],
            roster.officers,
            seed=seed,
            conflicts=conflicts,
            policy=policy,
            cache=solved,
            workers=workers,
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
        new: dict[str, list[tuple[str, str]]] = {}
        for rec in pd.concat([officers.unstaffed, experts.unstaffed]).to_dict("records"):
            new.setdefault(str(rec["visit_id"]), []).append((str(rec["department"]), str(rec["reason"])))
        teams = pd.concat([officers.teams, experts.teams], ignore_index=True)
        if not new:
            return _Settled(officers, experts, teams, waiting, first_reports)
        waiting.update(new)
    raise InternalError("the assignment did not settle")  # pragma: no cover - each round sets aside a visit


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
    place = visits.visits.set_index("visit_id")
    unavailable = {str(i): u for i, u in zip(roster.frame["inspector_id"], roster.frame["unavailable"], strict=True)}
    people = people_of(settled.teams)
    plan = schedule_visits(
        people,
        {v: str(place.at[v, "station"]) for v in people},
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
            for d in visits.teams.loc[visits.teams["visit_id"] == v, "department"]
            if d not in blocked and "(all)" not in blocked
        ]
    rows += [(v, "(all)", f"undated: {why}") for v, why in sorted(undated.items())]
    return rows


def _refusal(settled: _Settled, unstaffed: pd.DataFrame, visits: int, policy: AssignmentPolicy) -> AssignmentError:
    """The error of an assignment that cannot staff every visit, each group explained in numbers."""
    groups = [r.explain() for r in settled.first_reports if r.staffed_teams < r.teams]
    return AssignmentError(
        f"{unstaffed['visit_id'].nunique()} of {visits} visits cannot be staffed"
        + (" or dated" if policy.window else "")
        + ":\n  - "
        + "\n  - ".join(groups or sorted(set(unstaffed["reason"]))[:10])
        + "\nAdd officers or capacity, relax the rules that bind, or use --allow-partial to staff what can be "
        "staffed and list the rest (unstaffed.csv).",
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
    seed = Seed.of(seed)
    conflicts = conflicts or Conflicts()
    workers = default_workers() if workers is None else max(1, workers)
    days = working_days(policy.window, calendar or WorkCalendar()) if policy.window is not None else None
    settled = _settle(visits, roster, policy, seed, conflicts=conflicts, workers=workers)
    dates, undated = _dates(settled, visits, roster, policy, seed=seed, days=days)
    unstaffed = pd.DataFrame(_unstaffed(visits, settled.waiting, undated), columns=["visit_id", "department", "reason"])
    teams = settled.teams.reset_index(drop=True)
    table = visits.visits.copy()
    table["date"] = [dates.get(v, "") for v in table["visit_id"]]
    table["status"] = [
        "unstaffed" if v in settled.waiting else "undated" if v in undated else "staffed" for v in table["visit_id"]
    ]
    unstaffed = unstaffed.merge(table[["visit_id", "uscc"]], on="visit_id", how="left")[
        ["visit_id", "uscc", "department", "reason"]
    ].sort_values(["visit_id", "department"], ignore_index=True)
    if len(unstaffed) and not allow_partial:
        raise _refusal(settled, unstaffed, len(table), policy)
    staffed = table[table["status"] != "unstaffed"]
    errors = check_assignment(
        staffed, teams, visits.teams, visits.experts, roster=roster, conflicts=conflicts, policy=policy, days=days
    )
    if errors:
        raise InternalError("the assignment broke rules: " + "; ".join(errors[:10]))
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
