"""An independent check of an assignment against every rule, from its tables alone.

It reads only the published tables (visits, teams), the roster, the conflicts
and the plan's policy; it shares no code with the solver. The library runs it
after every solve (a violation is a bug, never output) and ``verify`` runs it
again on published files.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from .._i18n import _
from ..conflicts import Conflicts
from ..plan import AssignmentPolicy
from ..roster import Roster

__all__ = ["DATE_RULES", "RULES", "Tables", "check_assignment"]

_KEY = ["visit_id", "department"]


@dataclass(frozen=True, eq=False)
class Tables:
    """What every rule reads: the published tables, the roster, the conflicts and the policy.

    Attributes
    ----------
    visits : pandas.DataFrame
        ``visit_id, uscc, region, station, date[, status]`` of the staffed visits.
    teams : pandas.DataFrame
        ``visit_id, department, inspector_id, role`` (``lead``, ``member``, ``expert``).
    requirements : pandas.DataFrame
        Department teams needed: ``visit_id, department, size, lead_certificates``.
    expert_places : pandas.DataFrame
        Expert places needed: ``visit_id, field``.
    roster, conflicts, policy
        As given to the assignment.
    days : sequence of date or None
        The window's working days, when visits were scheduled.
    """

    visits: pd.DataFrame
    teams: pd.DataFrame
    requirements: pd.DataFrame
    expert_places: pd.DataFrame
    roster: Roster
    conflicts: Conflicts
    policy: AssignmentPolicy
    days: Sequence[dt.date] | None = None

    @cached_property
    def people(self) -> pd.DataFrame:
        return self.roster.frame.set_index("inspector_id")

    @cached_property
    def place(self) -> pd.DataFrame:
        return self.visits.set_index("visit_id")

    @cached_property
    def staffed(self) -> set[str]:
        return set(self.place.index.tolist())

    @cached_property
    def officer_teams(self) -> pd.DataFrame:
        return self.teams[self.teams["role"] != "expert"]

    @cached_property
    def needed(self) -> pd.DataFrame:
        return self.requirements[self.requirements["visit_id"].isin(self.staffed)]

    @cached_property
    def placed(self) -> pd.DataFrame:
        """Each officer's place, with the officer's roster row and the entity's region and station."""
        rows = self.officer_teams.merge(
            self.people, left_on="inspector_id", right_index=True, how="left", suffixes=("", "_p")
        )
        rows = rows.merge(
            self.place[["uscc", "region", "station"]],
            left_on="visit_id",
            right_index=True,
            how="left",
            suffixes=("", "_v"),
        )
        return rows[~rows["name"].isna()]

    @cached_property
    def dated(self) -> pd.DataFrame:
        """Each person once per visit, with the visit's date (only visits with a date) and station."""
        rows = self.teams.drop_duplicates(["visit_id", "inspector_id"]).join(
            self.visits.set_index("visit_id")[["date", "station"]], on="visit_id"
        )
        # a boolean mask even when there are no rows (an empty object Series would select columns)
        return rows[rows["date"].map(lambda d: isinstance(d, dt.date)).astype(bool)]


def check_people_are_on_staffed_visits(t: Tables) -> list[str]:
    """Every person in the teams is on a staffed visit."""
    return [
        _("visit {visit} has people but is not a staffed visit").format(visit=visit)
        for visit in sorted(set(t.teams["visit_id"].tolist()) - t.staffed)
    ]


def check_team_sizes_and_leads(t: Tables) -> list[str]:
    """Each team asked for exists, has its size, holds each person once and has exactly one lead."""
    officers = t.officer_teams
    per_team = (
        officers.assign(is_lead=officers["role"] == "lead")
        .groupby(_KEY)
        .agg(n=("inspector_id", "size"), distinct=("inspector_id", "nunique"), leads=("is_lead", "sum"))
    )
    joined = t.needed.set_index(_KEY).join(per_team, how="outer")
    suspect = (
        joined["size"].isna()
        | joined["n"].isna()
        | (joined["n"] != joined["size"])
        | (joined["distinct"] != joined["n"])
        | (joined["leads"] != 1)
    )
    joined = joined[suspect]
    errors: list[str] = []
    for (visit, dept), team in zip(joined.index.tolist(), joined.to_dict("records"), strict=True):
        where = _("visit {visit}, {department}").format(visit=visit, department=dept)
        if pd.isna(team["size"]):
            errors.append(_("{where}: a team that no task asked for").format(where=where))
        elif pd.isna(team["n"]):
            errors.append(_("{where}: no team").format(where=where))
        else:
            if team["n"] != team["size"]:
                text = _("{where}: {n} officers, {size} required")
                errors.append(text.format(where=where, n=int(team["n"]), size=int(team["size"])))
            if team["distinct"] != team["n"]:
                errors.append(_("{where}: one person holds two places").format(where=where))
            if team["leads"] != 1:
                errors.append(
                    _("{where}: {leads} leads, exactly one required").format(where=where, leads=int(team["leads"]))
                )
    return errors


def check_officers_are_in_the_roster(t: Tables) -> list[str]:
    """Every officer of a team is in the roster."""
    unknown = t.officer_teams[~t.officer_teams["inspector_id"].isin(t.people.index)]
    return [
        _("visit {visit}, {department}: {person} is not in the roster").format(
            visit=rec["visit_id"], department=rec["department"], person=rec["inspector_id"]
        )
        for rec in unknown.to_dict("records")
    ]


def check_officers_are_active_and_certified(t: Tables) -> list[str]:
    """Every officer is an active officer with an enforcement certificate (执法证)."""
    rows = t.placed
    bad = rows[(rows["kind"] != "officer") | ~rows["active"].astype(bool) | (rows["cert_no"] == "")]
    return [
        _("visit {visit}: {person} is not an active officer with an enforcement certificate").format(
            visit=rec["visit_id"], person=rec["inspector_id"]
        )
        for rec in bad.to_dict("records")
    ]


def check_departments(t: Tables) -> list[str]:
    """Every officer serves in their own department's team."""
    rows = t.placed
    return [
        _("visit {visit}, {department}: {person} belongs to {own}").format(
            visit=rec["visit_id"], department=rec["department"], person=rec["inspector_id"], own=rec["department_p"]
        )
        for rec in rows[rows["department"] != rows["department_p"]].to_dict("records")
    ]


def check_leads(t: Tables) -> list[str]:
    """Every lead (主检) may lead and holds every certificate the team's tasks need."""
    rows = t.placed
    leads = rows[rows["role"] == "lead"].join(t.needed.set_index(_KEY)["lead_certificates"], on=_KEY)
    needs_certs = leads["lead_certificates"].map(lambda c: bool(c) if isinstance(c, tuple) else False)
    leads = leads[~leads["lead"].astype(bool) | needs_certs]
    errors: list[str] = []
    columns = ["visit_id", "department", "inspector_id", "lead", "lead_certificates", "certificates"]
    for visit, department, person, lead, needed, held in zip(*(leads[c].tolist() for c in columns), strict=True):
        certs = needed if isinstance(needed, tuple) else ()
        if not lead or not set(certs) <= set(held):
            errors.append(
                _("visit {visit}, {department}: lead {person} may not lead this team").format(
                    visit=visit, department=department, person=person
                )
            )
    return errors


def check_jurisdiction(t: Tables) -> list[str]:
    """With ``jurisdiction = "region"``, officers inspect entities of their own region only."""
    if t.policy.jurisdiction != "region":
        return []
    rows = t.placed
    return [
        _("visit {visit}: {person} serves region {region}, not {entity_region}").format(
            visit=rec["visit_id"], person=rec["inspector_id"], region=rec["region"], entity_region=rec["region_v"]
        )
        for rec in rows[rows["region"] != rows["region_v"]].to_dict("records")
    ]


def check_cross_station(t: Tables) -> list[str]:
    """所所交叉: with ``cross_station``, no officer inspects an entity of their own station."""
    if not t.policy.cross_station:
        return []
    rows = t.placed
    same = rows[(rows["station_v"] != "") & (rows["station"] == rows["station_v"])]
    return [
        _("visit {visit}: {person} inspects an entity of their own station (所所交叉)").format(
            visit=rec["visit_id"], person=rec["inspector_id"]
        )
        for rec in same.to_dict("records")
    ]


def check_team_pairs(t: Tables) -> list[str]:
    """Two officers who must not work together never share a team."""
    officers = t.officer_teams
    errors: list[str] = []
    for pair in t.conflicts.exclusive:
        a, b = sorted(pair)
        teams_of = {
            person: set(zip(*(officers.loc[officers["inspector_id"] == person, k] for k in _KEY), strict=True))
            for person in (a, b)
        }
        errors += [
            _("visit {visit}, {department}: {a} and {b} must not share a team").format(
                visit=visit, department=dept, a=a, b=b
            )
            for visit, dept in sorted(teams_of[a] & teams_of[b])
        ]
    return errors


def check_expert_places(t: Tables) -> list[str]:
    """Every expert place asked for is filled, once, by an active expert of its field."""
    experts = t.teams[t.teams["role"] == "expert"]
    places = t.expert_places[t.expert_places["visit_id"].isin(t.staffed)][["visit_id", "field"]]
    wanted = Counter(map(tuple, places.to_numpy().tolist()))
    have = Counter(map(tuple, experts[["visit_id", "department"]].to_numpy().tolist()))
    errors: list[str] = []
    if wanted != have:
        text = _("expert places: {needed} needed, {filled} filled, not one for one")
        errors.append(text.format(needed=sum(wanted.values()), filled=sum(have.values())))
    joined = experts.merge(t.people, left_on="inspector_id", right_index=True, how="left", suffixes=("", "_p"))
    columns = ["visit_id", "inspector_id", "department", "kind", "active", "certificates"]
    for visit, person, fld, kind, active, certificates in zip(*(joined[c].tolist() for c in columns), strict=True):
        if kind != "expert" or not active:
            text = _("visit {visit}: {person} is not an active expert")
            errors.append(text.format(visit=visit, person=person))
        elif fld not in certificates:
            text = _("visit {visit}: expert {person} is not in the field {field}")
            errors.append(text.format(visit=visit, person=person, field=fld))
    return errors


def check_recusal(t: Tables) -> list[str]:
    """回避: nobody (officer or expert) inspects an entity they have a conflict with."""
    everyone = t.teams[t.teams["visit_id"].isin(t.staffed)].join(t.place["uscc"], on="visit_id")
    return [
        _("visit {visit}: {person} has a conflict with {uscc} ({kind})").format(
            visit=visit, person=oid, uscc=uscc, kind=t.conflicts.kinds[(oid, uscc)]
        )
        for oid, visit, uscc in zip(
            everyone["inspector_id"].tolist(), everyone["visit_id"].tolist(), everyone["uscc"].tolist(), strict=True
        )
        if (oid, uscc) in t.conflicts
    ]


def check_one_place_per_visit(t: Tables) -> list[str]:
    """Nobody holds two places on one visit (of one department's team or of two)."""
    twice = t.teams.loc[t.teams.duplicated(["visit_id", "inspector_id"]), "visit_id"]
    return [_("visit {visit}: one person holds two places").format(visit=visit) for visit in sorted(set(twice))]


def check_capacity(t: Tables) -> list[str]:
    """Nobody has more visits than their capacity."""
    load = t.teams.drop_duplicates(["visit_id", "inspector_id"]).groupby("inspector_id").size()
    over = load[load > t.people["capacity"].reindex(load.index).fillna(0)]
    capacity = t.people["capacity"].to_dict()
    return [
        _("{person}: {n} visits, capacity {capacity}").format(person=oid, n=n, capacity=capacity.get(oid, 0))
        for oid, n in zip(over.index.tolist(), over.tolist(), strict=True)
    ]


def check_working_days(t: Tables) -> list[str]:
    """Every dated visit falls on a working day of the window; an undated visit (or a desk check) has no date."""
    allowed = set(t.days or ())
    visits = t.visits
    undated = (
        visits["status"].isin(("undated", "desk"))
        if "status" in visits.columns
        else pd.Series(False, index=visits.index)
    )
    errors: list[str] = []
    for visit, when, skip in zip(visits["visit_id"].tolist(), visits["date"].tolist(), undated.tolist(), strict=True):
        if skip:
            if when not in ("", None):
                errors.append(_("visit {visit}: undated, yet dated {date}").format(visit=visit, date=when))
        elif not isinstance(when, dt.date) or when not in allowed:
            errors.append(
                _("visit {visit}: date {date} is not a working day of the window").format(visit=visit, date=when)
            )
    return errors


def check_daily_cap(t: Tables) -> list[str]:
    """Nobody has more than ``daily_cap`` visits on one day."""
    per_day = t.dated.groupby(["inspector_id", "date"]).size()
    over = per_day[per_day > t.policy.daily_cap]
    return [
        _("{person}: {n} visits on {date}, the daily cap is {cap}").format(
            person=oid, n=n, date=when, cap=t.policy.daily_cap
        )
        for (oid, when), n in zip(over.index.tolist(), over.tolist(), strict=True)
    ]


def check_availability(t: Tables) -> list[str]:
    """Nobody is on a visit on a day they are unavailable."""
    away = {str(i): d for i, d in t.people["unavailable"].items() if isinstance(d, frozenset) and d}
    leave = t.dated[t.dated["inspector_id"].isin(list(away))]
    return [
        _("visit {visit}: {person} is unavailable on {date}").format(visit=visit, person=oid, date=when)
        for visit, oid, when in zip(
            leave["visit_id"].tolist(), leave["inspector_id"].tolist(), leave["date"].tolist(), strict=True
        )
        if when in away[oid]
    ]


def check_one_station_area_a_day(t: Tables) -> list[str]:
    """An officer's visits of one day all lie in one station area (所)."""
    officers = t.dated[t.dated["role"] != "expert"]
    areas = officers.groupby(["inspector_id", "date"])["station"].nunique()
    return [
        _("{person}: visits in {n} station areas on {date}").format(person=oid, n=n, date=when)
        for (oid, when), n in zip(areas[areas > 1].index.tolist(), areas[areas > 1].tolist(), strict=True)
    ]


#: The rules every assignment keeps, in the order they are checked.
RULES: tuple[Callable[[Tables], list[str]], ...] = (
    check_people_are_on_staffed_visits,
    check_team_sizes_and_leads,
    check_officers_are_in_the_roster,
    check_officers_are_active_and_certified,
    check_departments,
    check_leads,
    check_jurisdiction,
    check_cross_station,
    check_team_pairs,
    check_expert_places,
    check_recusal,
    check_one_place_per_visit,
    check_capacity,
)
#: The rules of a scheduled assignment (a window of working days).
DATE_RULES: tuple[Callable[[Tables], list[str]], ...] = (
    check_working_days,
    check_daily_cap,
    check_availability,
    check_one_station_area_a_day,
)


def check_assignment(
    visits: pd.DataFrame,
    teams: pd.DataFrame,
    requirements: pd.DataFrame,
    expert_places: pd.DataFrame,
    *,
    roster: Roster,
    conflicts: Conflicts,
    policy: AssignmentPolicy,
    days: Sequence[dt.date] | None = None,
) -> list[str]:
    """Every rule an assignment breaks (an empty list when it keeps them all).

    Parameters
    ----------
    visits : pandas.DataFrame
        ``visit_id, uscc, region, station, date`` of the staffed visits (``date`` empty
        without a window).
    teams : pandas.DataFrame
        ``visit_id, department, inspector_id, role`` (``lead``, ``member``, ``expert``).
    requirements : pandas.DataFrame
        Department teams needed: ``visit_id, department, size, lead_certificates``.
    expert_places : pandas.DataFrame
        Expert places needed: ``visit_id, field``.
    roster, conflicts, policy
        As given to the assignment.
    days : sequence of date, optional
        The window's working days, when visits were scheduled; the date rules
        (:data:`DATE_RULES`) apply only then.
    """
    tables = Tables(visits, teams, requirements, expert_places, roster, conflicts, policy, days)
    rules = RULES + (DATE_RULES if days is not None else ())
    return [error for rule in rules for error in rule(tables)]
