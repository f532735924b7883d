"""An independent check of an assignment against every rule, from its tables alone.

It reads only the published tables (visits, teams), the roster, the conflicts
and the plan's policy; it shares no code with the solver. The library runs it
after every solve (a violation is a bug, never output) and ``verify`` runs it
again on published files.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import pandas as pd

from .conflicts import Conflicts
from .plan import AssignmentPolicy
from .roster import Roster

__all__ = ["check_assignment"]


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
        The window's working days, when visits were scheduled.
    """
    errors: list[str] = []
    people = {str(r["inspector_id"]): r for r in roster.frame.to_dict("records")}
    place = {str(r["visit_id"]): r for r in visits.to_dict("records")}
    staffed = set(place)
    for visit in sorted(set(teams["visit_id"]) - staffed):
        errors.append(f"visit {visit} has people but is not a staffed visit")
    got = teams.groupby(["visit_id", "department"])
    need = requirements[requirements["visit_id"].isin(staffed)]
    for rec in need.to_dict("records"):
        key = (rec["visit_id"], rec["department"])
        if key not in got.groups:
            errors.append(f"visit {key[0]}: no {key[1]} team")
            continue
        team = got.get_group(key)
        ids = team["inspector_id"].tolist()
        where = f"visit {key[0]}, {key[1]}"
        if len(ids) != rec["size"]:
            errors.append(f"{where}: {len(ids)} officers, {rec['size']} required")
        if len(set(ids)) != len(ids):
            errors.append(f"{where}: one person holds two places")
        leads = team.loc[team["role"] == "lead", "inspector_id"].tolist()
        if len(leads) != 1:
            errors.append(f"{where}: {len(leads)} leads, exactly one required")
        for oid in ids:
            if oid not in people:
                errors.append(f"{where}: {oid} is not in the roster")
                continue
            person = people[oid]
            if person["kind"] != "officer" or not person["active"] or not person["cert_no"]:
                errors.append(f"{where}: {oid} is not an active officer with an enforcement certificate")
            if person["department"] != key[1]:
                errors.append(f"{where}: {oid} belongs to {person['department']}")
        for oid in leads:
            if oid in people:
                person = people[oid]
                if not person["lead"] or not set(rec["lead_certificates"]) <= set(person["certificates"]):
                    errors.append(f"{where}: lead {oid} may not lead this team (lead flag or certificates)")
        for pair in conflicts.exclusive:
            if pair <= set(ids):
                errors.append(f"{where}: {' and '.join(sorted(pair))} must not share a team")
    officer_rows = teams[teams["role"] != "expert"]
    expert_rows = teams[teams["role"] == "expert"]
    extra = set(map(tuple, officer_rows[["visit_id", "department"]].drop_duplicates().to_numpy().tolist())) - set(
        zip(need["visit_id"], need["department"], strict=True)
    )
    for key in sorted(extra):
        errors.append(f"visit {key[0]}: a {key[1]} team that no task asked for")
    wanted = Counter(
        map(tuple, expert_places[expert_places["visit_id"].isin(staffed)][["visit_id", "field"]].to_numpy().tolist())
    )
    have = Counter(map(tuple, expert_rows[["visit_id", "department"]].to_numpy().tolist()))
    if wanted != have:
        errors.append(f"expert places: {sum(wanted.values())} needed, {sum(have.values())} filled, not one for one")
    for rec in expert_rows.to_dict("records"):
        oid = rec["inspector_id"]
        if oid not in people or people[oid]["kind"] != "expert" or not people[oid]["active"]:
            errors.append(f"visit {rec['visit_id']}: {oid} is not an active expert")
        elif rec["department"] not in people[oid]["certificates"]:
            errors.append(f"visit {rec['visit_id']}: expert {oid} is not in the field {rec['department']}")
    # Recusal, jurisdiction, cross-station and people per visit.
    for rec in teams.to_dict("records"):
        oid, visit = rec["inspector_id"], rec["visit_id"]
        if visit not in staffed or oid not in people:
            continue
        uscc, person, site = place[visit]["uscc"], people[oid], place[visit]
        if (oid, uscc) in conflicts:
            errors.append(f"visit {visit}: {oid} has a conflict with {uscc} ({conflicts.kinds[(oid, uscc)]})")
        if rec["role"] == "expert":
            continue
        if policy.jurisdiction == "region" and person["region"] != site["region"]:
            errors.append(f"visit {visit}: {oid} serves region {person['region']}, not {site['region']}")
        if policy.cross_station and site["station"] and person["station"] == site["station"]:
            errors.append(f"visit {visit}: {oid} inspects an entity of their own station (所所交叉)")
    per_visit = teams.groupby("visit_id")["inspector_id"].apply(list)
    for visit, ids in per_visit.items():
        if len(set(ids)) != len(ids):
            errors.append(f"visit {visit}: one person holds two places")
    # Capacity.
    load = teams.drop_duplicates(["visit_id", "inspector_id"]).groupby("inspector_id").size()
    for oid, n in load.items():
        if oid in people and n > people[str(oid)]["capacity"]:
            errors.append(f"{oid}: {n} visits, capacity {people[str(oid)]['capacity']}")
    if days is not None:
        errors += _check_dates(visits, teams, people, policy.daily_cap, days)
    return errors


def _check_dates(
    visits: pd.DataFrame,
    teams: pd.DataFrame,
    people: Mapping[str, Mapping[Hashable, Any]],
    cap: int,
    days: Sequence[dt.date],
) -> list[str]:
    errors: list[str] = []
    allowed = set(days)
    date_of: Mapping[str, object] = dict(zip(visits["visit_id"], visits["date"], strict=True))
    station = dict(zip(visits["visit_id"], visits["station"], strict=True))
    for visit, when in date_of.items():
        if not isinstance(when, dt.date) or when not in allowed:
            errors.append(f"visit {visit}: date {when} is not a working day of the window")
    per_day: dict[tuple[str, dt.date], int] = defaultdict(int)
    areas: dict[tuple[str, dt.date], set[str]] = defaultdict(set)
    for rec in teams.drop_duplicates(["visit_id", "inspector_id"]).to_dict("records"):
        when = date_of.get(rec["visit_id"])
        if not isinstance(when, dt.date):
            continue
        oid = rec["inspector_id"]
        per_day[oid, when] += 1
        if oid in people and when in people[oid]["unavailable"]:
            errors.append(f"visit {rec['visit_id']}: {oid} is unavailable on {when}")
        if rec["role"] != "expert":
            areas[oid, when].add(station[rec["visit_id"]])
    for (oid, when), n in per_day.items():
        if n > cap:
            errors.append(f"{oid}: {n} visits on {when}, the daily cap is {cap}")
    for (oid, when), found in areas.items():
        if len(found) > 1:
            errors.append(f"{oid}: visits in {len(found)} station areas on {when}")
    return errors
