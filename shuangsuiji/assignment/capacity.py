"""The smallest roster change that staffs every visit: per group, in numbers, confirmed by the solver.

``shuangsuiji capacity`` (``docs/capacity.md``). The staffing splits into independent groups (a
department within a region, or the experts of one field; :mod:`.staffing`). For each group,
:mod:`.shortfall` counts what the roster as it is lacks (lower bounds in numbers), finds the fewest
officers of the group's typical profile with whom the group staffs every team (each step a real
solve), and counts what cross-station mode (所所交叉) costs. :func:`capacity_change` then confirms the
change by the whole assignment (:func:`.orchestrate.assign`), in which a visit waits whole when any of
its teams fails, adding one more person to a group still short, round by round.

Nothing is random but the seed's costs, so the same inputs give the same change.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from ..columns import CANONICAL
from ..conflicts import Conflicts
from ..plan import AssignmentPolicy
from ..roster import Roster
from ..seed import Seed
from ..visits import Visits
from ..workdays import WorkCalendar
from .orchestrate import assign
from .results import AssignmentResult
from .shortfall import Context, GroupCase, RosterChange, Study, amend, study
from .staffing import expert_staffing

__all__ = ["CAPACITY_COLUMNS", "CapacityResult", "RosterChange", "capacity_change"]

#: The columns of ``capacity.csv``, one row per group (``docs/capacity.md`` explains each).
CAPACITY_COLUMNS = (
    "region",
    "department",
    "kind",
    "teams",
    "places",
    "unstaffed_teams",
    "officers",
    "capacity",
    "lead_places",
    "lead_capacity",
    "certificates",
    "certified_places",
    "certified_capacity",
    "team_shortfall",
    "leadless_teams",
    "lower_bound",
    "add_officers",
    "add_leads",
    "capacity_each",
    "cross_station_teams",
    "reason",
)
_WAITS = "the visit waits"
_UNDATED = "(all)"  # the department of an undated visit's row in ``unstaffed``
_Key = tuple[str, str, str]


@dataclass(frozen=True, eq=False)
class CapacityResult:
    """The roster change that staffs every visit, group by group, and what it was checked against.

    Attributes
    ----------
    groups : pandas.DataFrame
        One row per group (:data:`CAPACITY_COLUMNS`): what it needs and has, in numbers, and what to add.
    changes : tuple of RosterChange
        The people to add, group by group (groups that need none are left out).
    visits : int
        Visits of the draw.
    unstaffed_before : int
        Visits with a place the roster as it is leaves unstaffed.
    unstaffed_after : int
        Visits with a place still unstaffed with the change (0 when it staffs every visit).
    cross_station_visits : int or None
        Visits cross-station mode (所所交叉) leaves waiting that would be staffed without it, with the
        roster as it is (``None`` when the plan does not use it).
    undated : pandas.DataFrame
        ``visit_id, reason``: visits staffed with the change that no day of the window fits (only with
        a window; more officers may or may not help: the days, ``daily_cap`` and leave decide).
    rounds : int
        Whole assignments run to confirm the change.
    """

    groups: pd.DataFrame
    changes: tuple[RosterChange, ...]
    visits: int
    unstaffed_before: int
    unstaffed_after: int
    cross_station_visits: int | None
    undated: pd.DataFrame
    rounds: int

    @property
    def added(self) -> int:
        """People to add in all."""
        return sum(len(c.ids) for c in self.changes)

    @property
    def leads(self) -> int:
        """Leads (主检) among them."""
        return sum(c.leads for c in self.changes)

    @property
    def staffs_every_visit(self) -> bool:
        """Whether the whole assignment staffs every visit with the change."""
        return self.unstaffed_after == 0

    def roster_rows(self) -> pd.DataFrame:
        """The roster rows to add, as text in the roster's columns (:meth:`RosterChange.rows`)."""
        parts = [c.rows() for c in self.changes]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(CANONICAL["roster"]))

    def amended(self, roster: Roster) -> Roster:
        """``roster`` with the rows added (the roster the change was computed for)."""
        return amend(roster, self.changes)


def _officer_cases(visits: Visits, ctx: Context) -> list[GroupCase]:
    """The officers' groups, as :func:`.staffing.staff` splits them."""
    by_region = ctx.policy.jurisdiction == "region"
    officers = ctx.roster.officers
    cases = []
    for raw, teams in visits.teams.groupby(["region", "department"] if by_region else ["department"], sort=True):
        key = raw if isinstance(raw, tuple) else (raw,)
        department, region = str(key[-1]), str(key[0]) if by_region else "*"
        mask = officers["department"] == department
        if by_region:
            mask &= officers["region"] == region
        ordered = teams.sort_values(["visit_id", "department"]).reset_index(drop=True)
        cases.append(GroupCase(region, department, "officer", ordered, officers[mask], by_region))
    return cases


def _expert_studies(visits: Visits, ctx: Context) -> list[Study]:
    """The experts' fields in the order :func:`.staffing.expert_staffing` staffs them, each with the ones before."""
    places = visits.experts
    done: list[Study] = []
    for fld in sorted(set(places["field"])):
        base = amend(ctx.roster, tuple(s.profile.change(s.found.people, 0) for s in done if s.found.ok))
        left = dict(zip(base.experts["inspector_id"], base.experts["capacity"], strict=True))
        before = places[places["field"] < fld]
        if len(before):
            used = expert_staffing(before, base, seed=ctx.seed, conflicts=ctx.conflicts, policy=ctx.policy)
            for oid, n in used.teams["inspector_id"].value_counts().items():
                left[str(oid)] -= int(n)
        holds = pd.Series([fld in c for c in base.experts["certificates"]], index=base.experts.index, dtype=bool)
        pool = base.experts[holds].copy()  # a boolean Series: an empty list would select no columns
        pool["capacity"] = [left[i] for i in pool["inspector_id"]]
        mine = places[places["field"] == fld]
        teams = mine.assign(department=fld, size=1, lead_certificates=[()] * len(mine))
        teams = teams.sort_values(["visit_id", "department"]).reset_index(drop=True)
        case = GroupCase("*", fld, "expert", teams, pool, False, places=places[places["field"] <= fld], base=base)
        done.append(study(case, dataclasses.replace(ctx, roster=base)))
    return done


def _waiting(result: AssignmentResult) -> int:
    """Visits with a place left unstaffed (an undated visit is staffed: it is counted apart)."""
    rows = result.unstaffed
    return int(rows.loc[rows["department"] != _UNDATED, "visit_id"].nunique())


def _short_groups(result: AssignmentResult, visits: Visits, policy: AssignmentPolicy) -> set[_Key]:
    """The groups whose teams the whole assignment still leaves unstaffed (not the visits that wait for them)."""
    rows = result.unstaffed
    blocked = rows[~rows["reason"].astype(str).str.startswith(_WAITS) & (rows["department"] != _UNDATED)]
    region_of = dict(zip(visits.visits["visit_id"], visits.visits["region"].astype(str), strict=True))
    teams = set(zip(visits.teams["visit_id"], visits.teams["department"], strict=True))
    keys: set[_Key] = set()
    for v, d in zip(blocked["visit_id"], blocked["department"], strict=True):
        if (v, d) in teams:
            keys.add(("officer", region_of[v] if policy.jurisdiction == "region" else "*", str(d)))
        else:
            keys.add(("expert", "*", str(d)))
    return keys


def _confirm(
    visits: Visits,
    ctx: Context,
    studies: list[Study],
    *,
    calendar: WorkCalendar | None,
    workers: int | None,
    rounds: int,
) -> tuple[AssignmentResult, dict[_Key, RosterChange], int]:
    """Run the whole assignment with the change; add one more (a lead) to each group still short, and again."""
    changes = {s.case.key: s.profile.change(s.found.people, s.found.leads) for s in studies if s.found.ok}
    profiles = {s.case.key: s.profile for s in studies if s.found.ok}
    n = 0
    while True:
        n += 1
        result = assign(
            visits,
            amend(ctx.roster, tuple(changes.values())),
            ctx.policy,
            ctx.seed,
            conflicts=ctx.conflicts,
            calendar=calendar,
            allow_partial=True,
            workers=workers,
        )
        short = sorted(_short_groups(result, visits, ctx.policy) & set(profiles))
        if not short or n >= rounds:
            return result, changes, n
        for key in short:
            had = changes[key]
            changes[key] = profiles[key].change(len(had.ids) + 1, had.leads + 1)


def _reason(s: Study, change: RosterChange | None, cross_station: bool) -> str:
    """Why a group falls short, in numbers, and what the change adds."""
    b, found = s.bounds, s.found
    if found.unstaffed == 0:
        return "staffs every team as it is"
    who = "officers" if s.case.kind == "officer" else "experts"
    why = []
    if b.places > b.capacity:
        why.append(f"{b.places} places, capacity {b.capacity} among the eligible {who}")
    if b.lead_places > b.lead_capacity:
        why.append(f"{b.lead_places} teams need a lead (主检), those who may lead have capacity {b.lead_capacity}")
    if b.certified_places > b.certified_capacity:
        certificates = "、".join(s.profile.certificates)
        why.append(
            f"{b.certified_places} leads must hold {certificates}, their holders have capacity {b.certified_capacity}"
        )
    if b.leadless:
        why.append(f"{b.leadless} teams have no eligible lead")
    if b.team_shortfall:
        after = "recusals and 所所交叉" if cross_station else "recusals"
        why.append(f"a team is {b.team_shortfall} short of eligible {who} after {after}")
    if found.cross_station:
        why.append(f"without 所所交叉 {found.cross_station} more teams would be staffed")
    if not why:
        why.append(f"the eligible {who} overlap: together they cannot staff every team at once")
    head = f"{found.unstaffed} of {b.teams} teams unstaffed: " + "; ".join(why)
    if found.hopeless:
        station = s.profile.stations[0]
        return (
            f"{head}; every officer of region {s.case.region} sits in station {station}, like its teams, so "
            "no officer of the region may inspect them under 所所交叉: widen the jurisdiction (jurisdiction = "
            '"any") or turn cross_station off'
        )
    if not found.ok or change is None:
        return f"{head}; adding {who} does not staff it (see the reasons in unstaffed.csv of 'assign')"
    n = len(change.ids)
    leads = "" if not change.leads else ", a lead (主检)" if n == 1 else f", {change.leads} of them leads (主检)"
    if change.leads and change.certificates:
        leads += f" holding {'、'.join(change.certificates)}"
    return f"{head}; add {n} {who if n != 1 else who[:-1]} of capacity {change.capacity}{leads}"


def _row(s: Study, change: RosterChange | None, cross_station: bool) -> dict[str, object]:
    b = s.bounds
    return {
        "region": s.case.region,
        "department": s.case.department,
        "kind": s.case.kind,
        "teams": b.teams,
        "places": b.places,
        "unstaffed_teams": s.found.unstaffed,
        "officers": b.officers,
        "capacity": b.capacity,
        "lead_places": b.lead_places,
        "lead_capacity": b.lead_capacity,
        "certificates": ";".join(s.profile.certificates),
        "certified_places": b.certified_places,
        "certified_capacity": b.certified_capacity,
        "team_shortfall": b.team_shortfall,
        "leadless_teams": b.leadless,
        "lower_bound": b.lower(s.profile.capacity)[0],
        "add_officers": len(change.ids) if change else 0,
        "add_leads": change.leads if change else 0,
        "capacity_each": s.profile.capacity,
        "cross_station_teams": s.found.cross_station,
        "reason": _reason(s, change, cross_station),
    }


def capacity_change(
    visits: Visits,
    roster: Roster,
    policy: AssignmentPolicy,
    seed: str | Seed,
    *,
    conflicts: Conflicts | None = None,
    calendar: WorkCalendar | None = None,
    workers: int | None = None,
    rounds: int = 4,
) -> CapacityResult:
    """The smallest roster change, group by group, with which the assignment staffs every visit.

    Parameters
    ----------
    visits : Visits
        From :func:`~shuangsuiji.visits.make_visits`.
    roster : Roster
        Officers and experts as they are.
    policy : AssignmentPolicy
        The plan's ``[assignment]``.
    seed : str or Seed
        The draw's seed (the assignment's costs derive from it; the change is confirmed with it).
    conflicts : Conflicts, optional
        Recusals and team-pair exclusions.
    calendar : WorkCalendar, optional
        Working days, to date the visits when the policy has a window.
    workers : int, optional
        Processes for the whole assignments (the result never depends on it).
    rounds : int
        Whole assignments at most to confirm the change (each adds one more to a group still short).

    Returns
    -------
    CapacityResult
        The groups' numbers, the people to add and what the whole assignment made of them.
    """
    ctx = Context(roster, policy, Seed.of(seed), conflicts or Conflicts())

    def waiting(p: AssignmentPolicy) -> int:
        done = assign(visits, roster, p, ctx.seed, conflicts=ctx.conflicts, allow_partial=True, workers=workers)
        return _waiting(done)

    undated_policy = dataclasses.replace(policy, window=None)  # staffing alone: dates never make a visit wait
    before = waiting(undated_policy)
    cross = before - waiting(dataclasses.replace(undated_policy, cross_station=False)) if policy.cross_station else None
    studies = [study(case, ctx) for case in _officer_cases(visits, ctx)] + _expert_studies(visits, ctx)
    result, changes, used = _confirm(visits, ctx, studies, calendar=calendar, workers=workers, rounds=max(1, rounds))
    rows = [_row(s, changes.get(s.case.key), policy.cross_station) for s in studies]
    undated = result.unstaffed[result.unstaffed["department"] == _UNDATED]
    return CapacityResult(
        groups=pd.DataFrame(rows, columns=list(CAPACITY_COLUMNS)),
        changes=tuple(changes[s.case.key] for s in studies if s.case.key in changes and changes[s.case.key].ids),
        visits=len(visits.visits),
        unstaffed_before=before,
        unstaffed_after=_waiting(result),
        cross_station_visits=cross,
        undated=undated[["visit_id", "reason"]].reset_index(drop=True),
        rounds=used,
    )
