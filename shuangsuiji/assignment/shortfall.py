"""What one group of the staffing lacks, and the fewest people who make it staff every team.

A group is a department within a region (or the experts of one field), as :mod:`.staffing` solves it.
:meth:`GroupCase.bounds` counts, on the group's own network (:func:`.encode.build_group`: recusals and
cross-station mode applied), what its roster offers against what its teams need; each count is a lower
bound on the people to add (:meth:`Bounds.lower`). :func:`search` then finds the fewest people of one
profile (:class:`Profile`: the group's typical capacity, flagged lead with every certificate its leads
need) with whom the group staffs every team, each step a real solve of the group
(:func:`.staffing.staff`): from the lower bound up, doubling the step, then halving back; then the
fewest of them who must be leads. A lead may fill any place, so all-leads gives the fewest people.
:mod:`.capacity` runs it over every group and confirms the change by the whole assignment.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..columns import CANONICAL
from ..conflicts import Conflicts
from ..plan import AssignmentPolicy
from ..roster import Roster, check_roster
from ..seed import Seed
from .encode import build_group
from .staffing import expert_staffing, staff

__all__ = ["Bounds", "Context", "Found", "GroupCase", "Profile", "RosterChange", "Study", "amend", "search", "study"]

_ROSTER_COLUMNS = CANONICAL["roster"]
_SAFE = re.compile(r"[A-Za-z0-9._-]{1,20}")


def _code(text: str) -> str:
    """A part of a new id: the text when it is a short safe id already, else 6 hex digits of its SHA-256.

    Examples
    --------
    >>> _code("410302"), _code("市场监管局")
    ('410302', '46ac54')
    """
    return text if _SAFE.fullmatch(text) else hashlib.sha256(text.encode()).hexdigest()[:6]


def _ceil_div(a: int, b: int) -> int:
    """``ceil(a / b)``, and 0 for ``a <= 0``."""
    return max(0, -(-a // max(b, 1)))


def _typical(capacities: pd.Series) -> int | None:
    """The median capacity, rounded half up (at least 1); ``None`` without anyone."""
    if len(capacities) == 0:
        return None
    return max(1, int(np.floor(float(np.median(capacities.to_numpy(dtype=np.int64))) + 0.5)))


@dataclass(frozen=True)
class RosterChange:
    """The people to add to one group.

    Attributes
    ----------
    region, department, kind : str
        The group (``region`` is ``*`` for a group of all regions, ``department`` the field of experts;
        ``kind`` is ``officer`` or ``expert``).
    ids, stations : tuple of str
        Each new person's id (``NEW-<region>-<department>-<n>``; a part that is not a short
        ``[A-Za-z0-9._-]`` text is written as 6 hex digits of its SHA-256) and station.
    leads : int
        How many of them (the first ones) are flagged lead (主检) and hold ``certificates``.
    certificates : tuple of str
        The certificates the group's leads need (experts: their field).
    capacity : int
        Each new person's capacity (the group's typical one).
    roster_region, roster_department : str
        What their rows say in ``region`` and ``department``.
    """

    region: str
    department: str
    kind: str
    ids: tuple[str, ...]
    stations: tuple[str, ...]
    leads: int
    certificates: tuple[str, ...]
    capacity: int
    roster_region: str
    roster_department: str

    def rows(self) -> pd.DataFrame:
        """The roster rows to add, as text in the roster's columns.

        Each stands for a person to find: replace its ``inspector_id``, ``name`` and ``cert_no``
        (``待补-<id>``, to be supplied) by that person's.
        """
        out = []
        for k, (oid, station) in enumerate(zip(self.ids, self.stations, strict=True)):
            lead = self.kind == "officer" and k < self.leads
            out.append(
                {
                    "inspector_id": oid,
                    "name": f"新增人员·{self.department}·{k + 1}",
                    "department": self.roster_department,
                    "station": station,
                    "region": self.roster_region,
                    "cert_no": f"待补-{oid}" if self.kind == "officer" else "",
                    "certificates": ";".join(self.certificates) if lead or self.kind == "expert" else "",
                    "lead": "是" if lead else "否",
                    "capacity": str(self.capacity),
                    "unavailable": "",
                    "active": "是",
                    "kind": self.kind,
                }
            )
        return pd.DataFrame(out, columns=list(_ROSTER_COLUMNS))


def amend(roster: Roster, changes: tuple[RosterChange, ...]) -> Roster:
    """The roster with the changes' people added (their rows checked as any roster's are)."""
    added = [c.rows() for c in changes if c.ids]
    if not added:
        return roster
    typed = check_roster(pd.concat(added, ignore_index=True), source="<added rows>").frame
    frame = pd.concat([roster.frame, typed], ignore_index=True).sort_values("inspector_id", ignore_index=True)
    return Roster(frame=frame, source=roster.source)


@dataclass(frozen=True)
class Profile:
    """How one group's new people are made: the n-th one's id and station, their certificates and capacity."""

    region: str
    department: str
    kind: str
    prefix: str
    stations: tuple[str, ...]
    certificates: tuple[str, ...]
    capacity: int
    roster_region: str
    roster_department: str
    taken: frozenset[str]

    def change(self, people: int, leads: int) -> RosterChange:
        """``people`` new people, the first ``leads`` of them leads."""
        ids: list[str] = []
        k = 0
        while len(ids) < people:
            k += 1
            if f"{self.prefix}{k}" not in self.taken:
                ids.append(f"{self.prefix}{k}")
        # In turn at the one or two stations with the fewest of the group's teams, so that under
        # 所所交叉 every team may have at least half of them.
        stations = tuple(self.stations[i % len(self.stations)] for i in range(people))
        return RosterChange(
            self.region,
            self.department,
            self.kind,
            tuple(ids),
            stations,
            min(leads, people),
            self.certificates,
            self.capacity,
            self.roster_region,
            self.roster_department,
        )

    def typed(self, people: int, leads: int) -> pd.DataFrame:
        """The new people as checked roster rows (none: an empty frame)."""
        if people == 0:
            return pd.DataFrame(columns=list(_ROSTER_COLUMNS))
        return check_roster(self.change(people, leads).rows(), source="<added rows>").frame


@dataclass(frozen=True)
class Bounds:
    """What a group needs against what its roster offers, in numbers (see ``docs/capacity.md``)."""

    teams: int
    places: int
    officers: int
    capacity: int
    lead_places: int
    lead_capacity: int
    certified_places: int
    certified_capacity: int
    team_shortfall: int
    leadless: int
    certificates: tuple[str, ...]
    station_need: tuple[tuple[str, int], ...] = ()

    def lower(self, each: int) -> tuple[int, int]:
        """Fewest people of capacity ``each`` to add, and fewest leads among them: no fewer can do.

        Examples
        --------
        >>> Bounds(10, 20, 3, 12, 10, 4, 0, 0, 0, 0, ()).lower(5)
        (2, 2)
        """
        leads = max(
            _ceil_div(self.lead_places - self.lead_capacity, each),
            _ceil_div(self.certified_places - self.certified_capacity, each),
            1 if self.leadless else 0,
        )
        return max(_ceil_div(self.places - self.capacity, each), self.team_shortfall, leads), leads


@dataclass(frozen=True, eq=False)
class Context:
    """What every group of one staffing shares."""

    roster: Roster
    policy: AssignmentPolicy
    seed: Seed
    conflicts: Conflicts


@dataclass(frozen=True, eq=False)
class GroupCase:
    """One group: its teams, who serves it, and how to solve it with people added.

    ``people`` are the typed roster rows who serve it (experts with the capacity the fields before
    leave them). Experts' fields share the experts' capacity, so an expert group is solved with the
    fields before it (``places``) on the roster with their additions (``base``).
    """

    region: str
    department: str
    kind: str
    teams: pd.DataFrame
    people: pd.DataFrame
    by_region: bool
    places: pd.DataFrame | None = None
    base: Roster | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.region, self.department)

    def unstaffed(self, added: pd.DataFrame, ctx: Context, policy: AssignmentPolicy) -> int:
        """Teams of the group left unstaffed with ``added`` (checked roster rows) on the roster."""
        if self.base is None or self.places is None:
            people = pd.concat([self.people, added], ignore_index=True) if len(added) else self.people
            done = staff(
                self.teams, people, seed=ctx.seed, conflicts=ctx.conflicts, policy=policy, by_region=self.by_region
            )
            return len(done.unstaffed)
        frame = pd.concat([self.base.frame, added], ignore_index=True) if len(added) else self.base.frame
        roster = Roster(frame.sort_values("inspector_id", ignore_index=True), self.base.source)
        experts = expert_staffing(self.places, roster, seed=ctx.seed, conflicts=ctx.conflicts, policy=policy)
        return int((experts.unstaffed["department"] == self.department).sum())

    def bounds(self, ctx: Context) -> Bounds:
        """The group's numbers on its own network (recusals and cross-station mode applied)."""
        lead = self.kind == "officer"
        g, _ = build_group(
            f"region {self.region}" if self.by_region else "all regions",
            self.department,
            self.people.sort_values("inspector_id"),
            self.teams,
            seed=ctx.seed,
            conflicts=ctx.conflicts,
            policy=ctx.policy,
            lead_required=lead,
        )
        n_o, n_t = len(g.officer_ids), len(g.team_keys)

        def usable(mask: npt.NDArray[np.bool_]) -> int:
            """Places the officers of ``mask``'s pairs can take: each at most its capacity and its teams."""
            return int(np.minimum(g.capacity, np.bincount(g.pair_o[mask], minlength=n_o)).sum())

        certified = np.array([bool(c) for c in self.teams["lead_certificates"]], dtype=bool) & lead
        eligible = np.bincount(g.pair_t, minlength=n_t)
        leadable = np.bincount(g.pair_t[g.pair_lead], minlength=n_t)
        # What each station's own teams lack: a new officer of that station cannot help them under 所所交叉.
        need = np.maximum(g.size - eligible, 0) + ((leadable == 0) & lead)
        by_station = pd.Series(need, dtype=np.int64).groupby(self.teams["station"].astype(str).to_numpy()).sum()
        return Bounds(
            teams=n_t,
            places=int(g.size.sum()),
            officers=n_o,
            capacity=usable(np.ones(len(g.pair_o), dtype=bool)),
            lead_places=n_t if lead else 0,
            lead_capacity=usable(g.pair_lead),
            certified_places=int(certified.sum()),
            certified_capacity=usable(g.pair_lead & certified[g.pair_t]),
            team_shortfall=int(np.maximum(g.size - eligible, 0).max(initial=0)),
            leadless=int((leadable == 0).sum()) if lead else 0,
            certificates=tuple(sorted({c for need in self.teams["lead_certificates"] for c in need})) if lead else (),
            station_need=tuple((str(k), int(v)) for k, v in by_station.items() if k and v),
        )


@dataclass(frozen=True)
class Found:
    """The search's answer for one group: people and leads to add, whether they staff it, and the counts."""

    people: int
    leads: int
    ok: bool
    unstaffed: int
    cross_station: int
    hopeless: bool = False


def _single_station(case: GroupCase, ctx: Context, profile: Profile) -> bool:
    """Cross-station mode with one station for the group's officers, where its teams are: none can serve them."""
    if not (ctx.policy.cross_station and case.kind == "officer" and len(profile.stations) == 1):
        return False
    return profile.stations[0] != "" and bool((case.teams["station"].astype(str) == profile.stations[0]).any())


def search(case: GroupCase, ctx: Context, bounds: Bounds, profile: Profile) -> Found:
    """Fewest people (all leads), then fewest leads among them, with whom the group staffs every team."""
    nobody = profile.typed(0, 0)
    now = case.unstaffed(nobody, ctx, ctx.policy)
    cross = 0
    if ctx.policy.cross_station and case.kind == "officer" and now:
        cross = max(0, now - case.unstaffed(nobody, ctx, dataclasses.replace(ctx.policy, cross_station=False)))
    if now == 0 or _single_station(case, ctx, profile):
        return Found(0, 0, now == 0, now, cross, hopeless=now > 0)
    total, lead_floor = bounds.lower(profile.capacity)

    def works(people: int, leads: int) -> bool:
        return case.unstaffed(profile.typed(people, leads), ctx, ctx.policy) == 0

    limit = 2 * bounds.places + 2
    low, high, step = max(total, 1) - 1, max(total, 1), 1  # low is known to be too few (below a lower bound)
    while not works(high, high):
        if high >= limit:
            return Found(0, 0, False, now, cross)
        low, high, step = high, min(limit, high + step), step * 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if works(mid, mid) else (mid, high)
    if case.kind != "officer":
        return Found(high, 0, True, now, cross)
    few, many = min(lead_floor, high), high
    if works(high, few):
        return Found(high, few, True, now, cross)
    while many - few > 1:
        mid = (few + many) // 2
        few, many = (few, mid) if works(high, mid) else (mid, many)
    return Found(high, many, True, now, cross)


def _stations(case: GroupCase, ctx: Context, bounds: Bounds) -> tuple[str, ...]:
    """Stations for a group's new officers: the best, and the next if the best has teams of the group.

    Best is the station whose own teams lack the fewest eligible officers (under 所所交叉 its new officers
    serve every other station's teams), then the one with the fewest of the group's teams, then by name.
    """
    if case.kind != "officer":
        return ("",)
    officers = ctx.roster.officers
    if case.by_region:
        officers = officers[officers["region"] == case.region]
    team_station = case.teams["station"].astype(str)
    candidates = set(officers["station"].astype(str)) | set(team_station[team_station != ""])
    if not candidates:
        return ("",)
    counts = team_station[team_station != ""].value_counts()
    need = dict(bounds.station_need)
    order = sorted(candidates, key=lambda s: (need.get(s, 0), int(counts.get(s, 0)), s))
    return tuple(order[:1]) if int(counts.get(order[0], 0)) == 0 else tuple(order[:2])


def _profile(case: GroupCase, ctx: Context, bounds: Bounds) -> Profile:
    """How a group's new people look: its typical capacity, its leads' certificates, its stations."""
    roster = ctx.roster
    if case.kind == "officer":
        same = roster.officers[roster.officers["department"] == case.department]
        each = _typical(case.people["capacity"]) or _typical(same["capacity"]) or _typical(roster.officers["capacity"])
        home = case.region
        if not case.by_region:  # a group of all regions: its people sit in the region with the most of its teams
            home = str(case.teams["region"].value_counts().sort_index().idxmax()) if len(case.teams) else ""
        prefix, department, certificates = (
            f"NEW-{_code(home or 'all')}-{_code(case.department)}-",
            case.department,
            None,
        )
    else:
        each = (
            _typical(case.people["capacity"])
            or _typical(roster.experts["capacity"])
            or _typical(roster.officers["capacity"])
        )
        departments = roster.experts["department"].value_counts().sort_index()
        home, department = "", str(departments.idxmax()) if len(departments) else "专家库"
        prefix, certificates = f"NEW-EXPERT-{_code(case.department)}-", (case.department,)
    return Profile(
        region=case.region,
        department=case.department,
        kind=case.kind,
        prefix=prefix,
        stations=_stations(case, ctx, bounds),
        certificates=bounds.certificates if certificates is None else certificates,
        capacity=each or 1,
        roster_region=home,
        roster_department=department,
        taken=frozenset(roster.frame["inspector_id"]),
    )


@dataclass(frozen=True, eq=False)
class Study:
    """One group examined: its case, its numbers, its new people's profile and the search's answer."""

    case: GroupCase
    bounds: Bounds
    profile: Profile
    found: Found


def study(case: GroupCase, ctx: Context) -> Study:
    """Count what the group lacks, and search for the fewest people who make it staff every team."""
    bounds = case.bounds(ctx)
    profile = _profile(case, ctx, bounds)
    return Study(case, bounds, profile, search(case, ctx, bounds, profile))
