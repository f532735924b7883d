"""Staffing one kind of place (officers by department, experts by field), group by group.

The problem splits exactly into independent groups: officers serve only their
own department's teams, and (with ``jurisdiction = "region"``) only their own
region's entities. Groups are solved in forked worker processes when there are
several; the results are taken back in group order, so the outcome never
depends on the number of workers. A group whose teams did not change since an
earlier solve is taken from the cache, not solved again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from .._hashing import forked_map
from .._i18n import _
from .._progress import advance, stage
from ..conflicts import Conflicts
from ..plan import AssignmentPolicy
from ..roster import Roster
from ..seed import Seed
from .certificate import CERTIFICATE_COLUMNS
from .encode import build_group
from .results import GroupCheck, GroupResult, Staffing
from .solve import staff_group

__all__ = ["SharedInputs", "expert_staffing", "staff"]

#: Columns of the teams and unstaffed tables.
TEAM_COLUMNS = ["visit_id", "department", "inspector_id", "role"]
UNSTAFFED_COLUMNS = ["visit_id", "department", "reason"]


@dataclass(frozen=True, eq=False)
class SharedInputs:
    """What every group of one staffing shares: handed to forked workers by inheritance, not pickled."""

    people: pd.DataFrame
    seed: Seed
    conflicts: Conflicts
    policy: AssignmentPolicy
    department_of: str
    lead_required: bool
    by_region: bool
    check: GroupCheck | None = None

    def solve(self, key: tuple[object, ...], teams: pd.DataFrame) -> GroupResult:
        """Solve the group of ``key`` (``(region, department)`` or ``(department,)``) on its teams."""
        department = str(key[-1])
        region = str(key[0]) if self.by_region else "*"
        mask = self.people[self.department_of] == department
        if self.by_region:
            mask &= self.people["region"] == region
        officers = self.people[mask].sort_values("inspector_id")
        name = f"region {region}" if self.by_region else "all regions"
        g, impossible = build_group(
            name,
            department,
            officers,
            teams,
            seed=self.seed,
            conflicts=self.conflicts,
            policy=self.policy,
            lead_required=self.lead_required,
        )
        chosen, unstaffed, report, certificate = staff_group(g, impossible)
        rows = [
            (*g.team_keys[g.pair_t[i]], g.officer_ids[g.pair_o[i]], "lead" if is_lead else "member")
            for i, is_lead in chosen
        ]
        missing = [(*g.team_keys[t], why) for t, why in sorted(unstaffed.items())]
        checked = None if self.check is None else self.check.check(g)
        return GroupResult(rows, missing, report, certificate, checked)


def _solve_groups(
    todo: Sequence[tuple[tuple[object, ...], pd.DataFrame]], shared: SharedInputs, *, workers: int
) -> list[GroupResult]:
    """Solve independent groups, in forked worker processes when there are several; results in order."""
    return forked_map(lambda item: shared.solve(*item), todo, workers=workers, size=lambda item: len(item[1]))


def staff(
    teams: pd.DataFrame,
    people: pd.DataFrame,
    *,
    seed: str | Seed,
    conflicts: Conflicts,
    policy: AssignmentPolicy,
    department_of: str = "department",
    lead_required: bool = True,
    by_region: bool | None = None,
    cache: dict[tuple[object, ...], GroupResult] | None = None,
    workers: int = 1,
    check: GroupCheck | None = None,
) -> Staffing:
    """Staff teams from people (officers by department, or experts by field).

    Parameters
    ----------
    teams : pandas.DataFrame
        ``visit_id, uscc, region, station, department, size, lead_certificates``.
    people : pandas.DataFrame
        Active roster rows who may fill them.
    department_of : str
        Roster column matched against the teams' ``department`` (``department`` for
        officers; experts are grouped by field beforehand).
    lead_required : bool
        Whether each team needs a lead (officers: yes; experts: no).
    by_region : bool, optional
        Decompose by region (default: as the policy's jurisdiction says).
    cache : dict, optional
        Results of groups solved before, by group and exact set of teams: groups are
        independent, so one whose teams did not change is not solved again.
    workers : int
        Processes to solve groups on (forked; results are taken in group order, so the
        outcome never depends on the count).
    check : GroupCheck, optional
        Run on each group's network in the worker that solved it; what it found is collected
        for every group, in group order. A cached group keeps what it found when it was solved.
    """
    by_region = policy.jurisdiction == "region" if by_region is None else by_region
    shared = SharedInputs(people, Seed.of(seed), conflicts, policy, department_of, lead_required, by_region, check)
    cache = {} if cache is None else cache
    groups: list[tuple[tuple[object, ...], tuple[object, ...], pd.DataFrame]] = []
    for raw_key, group_teams in teams.groupby(["region", "department"] if by_region else ["department"], sort=True):
        key = raw_key if isinstance(raw_key, tuple) else (raw_key,)
        gt = group_teams.sort_values(["visit_id", "department"]).reset_index(drop=True)
        groups.append(((department_of, lead_required, by_region, *key, tuple(gt["visit_id"])), key, gt))
    new = [g for g in groups if g[0] not in cache]
    stage(_("staffing the teams, one group of officers at a time"), len(new))
    for (memo, _key, _teams), done in zip(
        new, _solve_groups([(k, gt) for _memo, k, gt in new], shared, workers=workers), strict=True
    ):
        cache[memo] = done
        advance()
    solved = [cache[memo] for memo, _, _ in groups]
    if check is not None:
        for done in solved:
            check.collect(done.report.group, done.report.department, done.checked)
    frame = pd.DataFrame([row for done in solved for row in done.rows], columns=TEAM_COLUMNS)
    frame["_lead_first"] = frame["role"] != "lead"
    frame = frame.sort_values(["visit_id", "department", "_lead_first", "inspector_id"]).drop(columns="_lead_first")
    return Staffing(
        teams=frame.reset_index(drop=True),
        unstaffed=pd.DataFrame([row for done in solved for row in done.unstaffed], columns=UNSTAFFED_COLUMNS),
        reports=[done.report for done in solved],
        certificate=pd.DataFrame([row for done in solved for row in done.certificate], columns=CERTIFICATE_COLUMNS),
    )


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})


def expert_staffing(
    places: pd.DataFrame, roster: Roster, *, seed: Seed, conflicts: Conflicts, policy: AssignmentPolicy
) -> Staffing:
    """Expert places, field by field; an expert's capacity is shared across the fields they cover."""
    pool = roster.experts.copy()
    left = dict(zip(pool["inspector_id"], pool["capacity"], strict=True))
    parts: list[Staffing] = []
    for fld in sorted(set(places["field"])):
        people = pool[pd.Series([fld in c for c in pool["certificates"]], index=pool.index, dtype=bool)].copy()
        people["capacity"] = [left[i] for i in people["inspector_id"]]
        people["field"] = fld
        teams = places[places["field"] == fld].assign(
            department=fld, size=1, lead_certificates=[()] * int((places["field"] == fld).sum())
        )
        done = staff(
            teams,
            people,
            seed=seed,
            conflicts=conflicts,
            policy=policy,
            department_of="field",
            lead_required=False,
            by_region=False,
        )
        for oid, n in done.teams["inspector_id"].value_counts().items():
            left[str(oid)] -= int(n)
        parts.append(done)
    teams = pd.concat([p.teams for p in parts], ignore_index=True) if parts else _empty(TEAM_COLUMNS)
    return Staffing(
        teams=teams.assign(role="expert"),
        unstaffed=pd.concat([p.unstaffed for p in parts], ignore_index=True) if parts else _empty(UNSTAFFED_COLUMNS),
        reports=[r for p in parts for r in p.reports],
        certificate=pd.concat([p.certificate for p in parts], ignore_index=True) if parts else pd.DataFrame(),
    )
