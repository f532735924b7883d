"""An independent check of an assignment against every rule, from its tables alone.

It reads only the published tables (visits, teams), the roster, the conflicts
and the plan's policy; it shares no code with the solver. The library runs it
after every solve (a violation is a bug, never output) and ``verify`` runs it
again on published files.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

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
    people = roster.frame.set_index("inspector_id")
    place = visits.set_index("visit_id")
    staffed = set(place.index)
    for visit in sorted(set(teams["visit_id"]) - staffed):
        errors.append(f"visit {visit} has people but is not a staffed visit")
    officer_rows = teams[teams["role"] != "expert"]
    expert_rows = teams[teams["role"] == "expert"]
    need = requirements[requirements["visit_id"].isin(staffed)]
    key = ["visit_id", "department"]
    # Team sizes, one lead, no one twice: per team, on whole columns.
    per_team = (
        officer_rows.assign(is_lead=officer_rows["role"] == "lead")
        .groupby(key)
        .agg(n=("inspector_id", "size"), distinct=("inspector_id", "nunique"), leads=("is_lead", "sum"))
    )
    joined = need.set_index(key).join(per_team, how="outer")
    suspect = (
        joined["size"].isna()
        | joined["n"].isna()
        | (joined["n"] != joined["size"])
        | (joined["distinct"] != joined["n"])
        | (joined["leads"] != 1)
    )
    joined = joined[suspect]
    for (visit, dept), team in zip(joined.index.tolist(), joined.to_dict("records"), strict=True):
        where = f"visit {visit}, {dept}"
        if pd.isna(team["size"]):
            errors.append(f"{where}: a team that no task asked for")
        elif pd.isna(team["n"]):
            errors.append(f"{where}: no team")
        else:
            if team["n"] != team["size"]:
                errors.append(f"{where}: {int(team['n'])} officers, {int(team['size'])} required")
            if team["distinct"] != team["n"]:
                errors.append(f"{where}: one person holds two places")
            if team["leads"] != 1:
                errors.append(f"{where}: {int(team['leads'])} leads, exactly one required")
    # Each officer's place: who they are, whom they may inspect.
    rows = officer_rows.merge(people, left_on="inspector_id", right_index=True, how="left", suffixes=("", "_p"))
    rows = rows.merge(
        place[["uscc", "region", "station"]], left_on="visit_id", right_index=True, how="left", suffixes=("", "_v")
    )
    unknown = rows["name"].isna()
    for rec in rows[unknown].to_dict("records"):
        errors.append(f"visit {rec['visit_id']}, {rec['department']}: {rec['inspector_id']} is not in the roster")
    rows = rows[~unknown]
    bad = rows[(rows["kind"] != "officer") | ~rows["active"].astype(bool) | (rows["cert_no"] == "")]
    for rec in bad.to_dict("records"):
        errors.append(
            f"visit {rec['visit_id']}: {rec['inspector_id']} is not an active officer with an enforcement certificate"
        )
    for rec in rows[rows["department"] != rows["department_p"]].to_dict("records"):
        errors.append(
            f"visit {rec['visit_id']}, {rec['department']}: {rec['inspector_id']} belongs to {rec['department_p']}"
        )
    leads = rows[rows["role"] == "lead"].join(need.set_index(key)["lead_certificates"], on=key)
    needs_certs = leads["lead_certificates"].map(lambda c: bool(c) if isinstance(c, tuple) else False)
    leads = leads[~leads["lead"].astype(bool) | needs_certs]
    for rec in leads.to_dict("records"):
        certs = rec["lead_certificates"] if isinstance(rec["lead_certificates"], tuple) else ()
        if not rec["lead"] or not set(certs) <= set(rec["certificates"]):
            errors.append(
                f"visit {rec['visit_id']}, {rec['department']}: lead {rec['inspector_id']} may not lead this team"
            )
    if policy.jurisdiction == "region":
        for rec in rows[rows["region"] != rows["region_v"]].to_dict("records"):
            errors.append(
                f"visit {rec['visit_id']}: {rec['inspector_id']} serves region {rec['region']}, not {rec['region_v']}"
            )
    if policy.cross_station:
        same = rows[(rows["station_v"] != "") & (rows["station"] == rows["station_v"])]
        for rec in same.to_dict("records"):
            errors.append(
                f"visit {rec['visit_id']}: {rec['inspector_id']} inspects an entity of their own station (所所交叉)"
            )
    for pair in conflicts.exclusive:
        a, b = sorted(pair)
        teams_of = {
            person: set(zip(*(officer_rows.loc[officer_rows["inspector_id"] == person, k] for k in key), strict=True))
            for person in (a, b)
        }
        for visit, dept in sorted(teams_of[a] & teams_of[b]):
            errors.append(f"visit {visit}, {dept}: {a} and {b} must not share a team")
    # Experts.
    wanted = Counter(
        map(tuple, expert_places[expert_places["visit_id"].isin(staffed)][["visit_id", "field"]].to_numpy().tolist())
    )
    have = Counter(map(tuple, expert_rows[["visit_id", "department"]].to_numpy().tolist()))
    if wanted != have:
        errors.append(f"expert places: {sum(wanted.values())} needed, {sum(have.values())} filled, not one for one")
    experts = expert_rows.merge(people, left_on="inspector_id", right_index=True, how="left", suffixes=("", "_p"))
    for rec in experts.to_dict("records"):
        if rec.get("kind") != "expert" or not rec.get("active"):
            errors.append(f"visit {rec['visit_id']}: {rec['inspector_id']} is not an active expert")
        elif rec["department"] not in rec["certificates"]:
            errors.append(
                f"visit {rec['visit_id']}: expert {rec['inspector_id']} is not in the field {rec['department']}"
            )
    # Recusal (officers and experts alike), one person once per visit, capacity.
    everyone = teams[teams["visit_id"].isin(staffed)].join(place["uscc"], on="visit_id")
    for oid, visit, uscc in zip(everyone["inspector_id"], everyone["visit_id"], everyone["uscc"], strict=True):
        if (oid, uscc) in conflicts:
            errors.append(f"visit {visit}: {oid} has a conflict with {uscc} ({conflicts.kinds[(oid, uscc)]})")
    for visit in sorted(set(teams.loc[teams.duplicated(["visit_id", "inspector_id"]), "visit_id"])):
        errors.append(f"visit {visit}: one person holds two places")
    load = teams.drop_duplicates(["visit_id", "inspector_id"]).groupby("inspector_id").size()
    over = load[load > people["capacity"].reindex(load.index).fillna(0)]
    capacity = people["capacity"].to_dict()
    for oid, n in zip(over.index.tolist(), over.tolist(), strict=True):
        errors.append(f"{oid}: {n} visits, capacity {capacity.get(oid, 0)}")
    if days is not None:
        errors += _check_dates(visits, teams, people, policy.daily_cap, days)
    return errors


def _check_dates(
    visits: pd.DataFrame, teams: pd.DataFrame, people: pd.DataFrame, cap: int, days: Sequence[dt.date]
) -> list[str]:
    errors: list[str] = []
    allowed = set(days)
    undated = visits["status"] == "undated" if "status" in visits.columns else pd.Series(False, index=visits.index)
    for visit, when, skip in zip(visits["visit_id"], visits["date"], undated, strict=True):
        if skip:
            if when not in ("", None):
                errors.append(f"visit {visit}: undated, yet dated {when}")
        elif not isinstance(when, dt.date) or when not in allowed:
            errors.append(f"visit {visit}: date {when} is not a working day of the window")
    rows = teams.drop_duplicates(["visit_id", "inspector_id"]).join(
        visits.set_index("visit_id")[["date", "station"]], on="visit_id"
    )
    rows = rows[rows["date"].map(lambda d: isinstance(d, dt.date))]
    per_day = rows.groupby(["inspector_id", "date"]).size()
    for (oid, when), n in zip(per_day[per_day > cap].index.tolist(), per_day[per_day > cap].tolist(), strict=True):
        errors.append(f"{oid}: {n} visits on {when}, the daily cap is {cap}")
    away = {str(i): d for i, d in people["unavailable"].items() if isinstance(d, frozenset) and d}
    leave = rows[rows["inspector_id"].isin(list(away))]
    for visit, oid, when in zip(leave["visit_id"], leave["inspector_id"], leave["date"], strict=True):
        if when in away[oid]:
            errors.append(f"visit {visit}: {oid} is unavailable on {when}")
    areas = rows[rows["role"] != "expert"].groupby(["inspector_id", "date"])["station"].nunique()
    for (oid, when), n in zip(areas[areas > 1].index.tolist(), areas[areas > 1].tolist(), strict=True):
        errors.append(f"{oid}: visits in {n} station areas on {when}")
    return errors
