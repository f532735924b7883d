"""Amending a staffed assignment: a late recusal, leave or departure, each place refilled by one seeded rule.

An amendment takes an officer (or an expert) off the places they must leave
and fills each place again, touching nothing else (``docs/amend.md``):

- **which places**: a ``recusal`` of the visit of one firm; a ``leave`` of every
  visit dated within its days; a ``departure`` of every visit not yet done (dated
  on or after its first day, or undated; every visit without a first day);
- **who takes a place**: among the people of the place's group (the department's
  active officers of the visit's region, or of all regions with
  ``jurisdiction = "any"``; for an expert's place, the active experts of its field)
  those eligible (below), the one with the fewest visits, then the smallest
  ``assign`` digest ``SHA-256(seed ":assign:" visit_id "|" department "|"
  inspector_id)`` compared as 32 unsigned bytes. The newcomer takes the role of the
  one who left; a lead's place (主检) needs someone flagged ``lead`` with a
  certificate number and the team's certificates;
- **eligible**: not already on the visit; not recused (the inputs' conflicts, every
  recusal of the log so far, and with ``cross_station`` the visit's own station);
  not away (the roster's unavailable days, the log's leaves and departures); with
  capacity left; on a dated visit, under the daily cap that day and in no other
  station area that day (officers); in no pair that must not meet with a teammate;
- **when nobody is**: the visit waits, as an unstaffable visit does: status
  ``unstaffed``, no date, its places freed, and the reason in ``unstaffed.csv``.

Amendments are applied one after another, each on the tables the one before
left. Applying them needs neither a solver nor the original solve: it reads the
published tables. :func:`revert_amendments` undoes them from the log alone, so a
verifier reconstructs the original assignment (and checks its certificate), then
applies the log again and compares every table byte for byte.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .._i18n import N_, _
from ..conflicts import Conflicts
from ..exceptions import InputError, ManifestError, NotFoundError
from ..io import csv_bytes
from ..plan import AssignmentPolicy
from ..roster import Roster
from ..seed import Seed
from .inputs import AssignmentInputs
from .manifest import AMENDED, Amendment, GroupRecord, PlaceChange

__all__ = [
    "AMENDED_TABLES",
    "AssignedTables",
    "affects",
    "amended_groups",
    "apply_amendments",
    "mark_groups",
    "revert_amendments",
    "visit_places",
    "workload_table",
]

#: The tables an amendment rewrites (``certificate.csv`` stays the original solve's).
AMENDED_TABLES: tuple[str, ...] = ("visits.csv", "teams.csv", "workload.csv", "unstaffed.csv")
#: The reason of a waiting visit's other teams (as the assignment writes it).
WAITS = "the visit waits: another of its teams cannot be staffed or dated"
_TEAMS = ["visit_id", "department", "inspector_id", "role"]
#: Why a person cannot take a place, in the order they are counted (each person once, under the first).
_WHY = ("on the visit", "recused", "away", "at capacity", "busy that day", "in a pair with a teammate", "may not lead")
#: The kinds of request, as a message names them.
_KINDS = {"recusal": N_("recusal"), "leave": N_("leave"), "departure": N_("departure")}


def _frame(blob: bytes, name: str) -> pd.DataFrame:
    """A published table as text, checked to write back to the same bytes."""
    frame = pd.read_csv(io.BytesIO(blob), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if csv_bytes(frame) != blob:
        text = _("{name} does not read back to its own bytes: it is not a table this library wrote.")
        raise ManifestError(text.format(name=name))
    return frame


def _order(row: Sequence[str]) -> tuple[int, str, str, bool, str]:
    """The order of ``teams.csv``: officers by (visit, department, lead first, id), then experts (field, visit, id)."""
    if row[3] == "expert":
        return (1, row[1], row[0], False, row[2])
    return (0, row[0], row[1], row[3] != "lead", row[2])


@dataclass(frozen=True, eq=False)
class AssignedTables:
    """The tables an amendment changes, as published text: ``visits.csv``, ``teams.csv`` and ``unstaffed.csv``.

    ``workload.csv`` follows from them and the roster (:func:`workload_table`); ``certificate.csv``
    is the original solve's and never changes.
    """

    visits: pd.DataFrame
    teams: pd.DataFrame
    unstaffed: pd.DataFrame

    @classmethod
    def parse(cls, tables: Mapping[str, bytes]) -> AssignedTables:
        """From the files' bytes, by name.

        Raises
        ------
        ManifestError
            If a table does not read back to its own bytes.
        """
        return cls(*(_frame(tables[name], name) for name in ("visits.csv", "teams.csv", "unstaffed.csv")))

    @classmethod
    def read(cls, folder: str | Path) -> AssignedTables:
        """From an assignment's folder."""
        return cls.parse({n: (Path(folder) / n).read_bytes() for n in ("visits.csv", "teams.csv", "unstaffed.csv")})

    def tables(self, roster: Roster) -> dict[str, bytes]:
        """The bytes of the four tables an amendment rewrites (:data:`AMENDED_TABLES`), by name."""
        frames = {
            "visits.csv": self.visits,
            "teams.csv": self.teams,
            "workload.csv": workload_table(self.teams, self.visits, roster),
            "unstaffed.csv": self.unstaffed,
        }
        return {name: csv_bytes(frames[name]) for name in AMENDED_TABLES}


def workload_table(teams: pd.DataFrame, visits: pd.DataFrame, roster: Roster) -> pd.DataFrame:
    """``workload.csv`` of the given teams: per active person, their visits, leads and distinct dates."""
    frame = roster.frame[roster.frame["active"]][["inspector_id", "name", "kind", "department", "region", "capacity"]]
    dates = {v: d for v, d in zip(visits["visit_id"], visits["date"], strict=True) if d}
    count = teams.groupby("inspector_id")["visit_id"].nunique()
    leads = teams[teams["role"] == "lead"].groupby("inspector_id").size()
    days = (
        teams.assign(day=teams["visit_id"].map(dates)).dropna(subset=["day"]).groupby("inspector_id")["day"].nunique()
    )
    out = frame.assign(
        visits=frame["inspector_id"].map(count).fillna(0).astype(int),
        leads=frame["inspector_id"].map(leads).fillna(0).astype(int),
        days=frame["inspector_id"].map(days).fillna(0).astype(int),
    )
    return out.reset_index(drop=True)


def _group(region: str, expert: bool, policy: AssignmentPolicy) -> str:
    """A place's group: ``region R`` for officers under ``jurisdiction = "region"``, else ``all regions``."""
    return f"region {region}" if not expert and policy.jurisdiction == "region" else "all regions"


@dataclass(frozen=True)
class _Visit:
    uscc: str
    region: str
    station: str
    date: dt.date | None


def affects(amendment: Amendment, visit: _Visit) -> bool:
    """Whether the amendment takes its person off this visit (or bars them from it)."""
    if amendment.kind == "recusal":
        return visit.uscc == amendment.uscc
    if amendment.kind == "leave":
        start, end = amendment.start, amendment.end
        return visit.date is not None and start is not None and end is not None and start <= visit.date <= end
    return amendment.start is None or visit.date is None or visit.date >= amendment.start


def visit_places(frame: pd.DataFrame) -> dict[str, _Visit]:
    """Visit id -> its firm, region, station and date, from ``visits.csv`` as text."""
    return {
        str(r["visit_id"]): _Visit(
            str(r["uscc"]), str(r["region"]), str(r["station"]), dt.date.fromisoformat(r["date"]) if r["date"] else None
        )
        for r in frame.to_dict("records")
    }


class _Context:
    """What every amendment of one run reads: the people, their groups, the teams' needs, the rules."""

    def __init__(self, inputs: AssignmentInputs) -> None:
        self.seed = Seed.of(inputs.seed)
        self.policy: AssignmentPolicy = inputs.policy
        self.conflicts: Conflicts = inputs.conflicts
        self.roster = inputs.roster
        records: list[dict[str, Any]] = [
            {str(k): v for k, v in r.items()} for r in inputs.roster.frame.to_dict("records")
        ]
        self.people = {str(r["inspector_id"]): r for r in records}
        teams = inputs.visits.teams
        self.needs = {
            (str(v), str(d)): tuple(c)
            for v, d, c in zip(teams["visit_id"], teams["department"], teams["lead_certificates"], strict=True)
        }
        self.departments: dict[str, list[str]] = {}
        for v, d in zip(teams["visit_id"], teams["department"], strict=True):
            self.departments.setdefault(str(v), []).append(str(d))
        self._pools: dict[tuple[str, str, bool], list[str]] = {}

    def group(self, region: str, expert: bool) -> str:
        """The name of a place's group (as ``assignment.json`` records it)."""
        return _group(region, expert, self.policy)

    def pool(self, department: str, region: str, expert: bool) -> list[str]:
        """The people of a place's group, by ``inspector_id``."""
        by_region = self.policy.jurisdiction == "region" and not expert
        key = (department, region if by_region else "", expert)
        if key not in self._pools:
            if expert:
                people = self.roster.experts
                chosen = people[[department in c for c in people["certificates"]]]
            else:
                people = self.roster.officers
                chosen = people[people["department"] == department]
                if by_region:
                    chosen = chosen[chosen["region"] == region]
            self._pools[key] = sorted(chosen["inspector_id"].astype(str))
        return self._pools[key]


class _Board:
    """The assignment while one amendment is applied: every place, and who is on which visit."""

    def __init__(self, tables: AssignedTables, ctx: _Context, log: Sequence[Amendment]) -> None:
        self.ctx, self.log = ctx, log
        self.tables = tables
        self.visit = visit_places(tables.visits)
        self.rows: list[list[str] | None] = [list(map(str, r)) for r in tables.teams[_TEAMS].to_numpy().tolist()]
        self.at: dict[tuple[str, str], int] = {}
        self.on: dict[str, set[str]] = {}
        self.of: dict[str, set[str]] = {}
        for i, row in enumerate(self.rows):
            if row is not None:
                self._put(i, row[0], row[2])
        self.waiting: dict[str, tuple[str, str]] = {}

    def _put(self, i: int, visit: str, person: str) -> None:
        self.at[visit, person] = i
        self.on.setdefault(visit, set()).add(person)
        self.of.setdefault(person, set()).add(visit)

    def _take(self, visit: str, person: str) -> int:
        self.on[visit].discard(person)
        self.of[person].discard(visit)
        return self.at.pop((visit, person))

    def places(self, amendment: Amendment) -> list[tuple[str, str, str]]:
        """(visit, department, role) of every place the amendment's person must leave, in teams order."""
        person = amendment.inspector_id
        mine = sorted(self.at[v, person] for v in self.of.get(person, set()) if affects(amendment, self.visit[v]))
        return [(row[0], row[1], row[3]) for i in mine if (row := self.rows[i]) is not None]

    def why_not(self, person: str, visit: str, department: str, role: str) -> str | None:
        """The first reason (of :data:`_WHY`) this person cannot take the place, or ``None``."""
        ctx, where, p = self.ctx, self.visit[visit], self.ctx.people[person]
        officer = role != "expert"
        barred = [a.kind for a in self.log if a.inspector_id == person and affects(a, where)]
        if person in self.on.get(visit, set()):
            return _WHY[0]
        own_station = officer and ctx.policy.cross_station and where.station != "" and p["station"] == where.station
        if (person, where.uscc) in ctx.conflicts or "recusal" in barred or own_station:
            return _WHY[1]
        if set(barred) - {"recusal"} or (where.date is not None and where.date in p["unavailable"]):
            return _WHY[2]
        if len(self.of.get(person, ())) >= int(p["capacity"]):
            return _WHY[3]
        if where.date is not None:
            that_day = [w for w in self.of.get(person, ()) if self.visit[w].date == where.date]
            elsewhere = officer and any(self.visit[w].station != where.station for w in that_day)
            if len(that_day) >= ctx.policy.daily_cap or elsewhere:
                return _WHY[4]
        team = [m for m in self.on.get(visit, ()) if (row := self.rows[self.at[visit, m]]) and row[1] == department]
        if officer and any(frozenset((person, m)) in ctx.conflicts.exclusive for m in team):
            return _WHY[5]
        needs = ctx.needs.get((visit, department), ())
        if role == "lead" and not (p["lead"] and p["cert_no"] and set(needs) <= set(p["certificates"])):
            return _WHY[6]
        return None

    def refill(self, amendment: Amendment, visit: str, department: str, role: str) -> PlaceChange:
        """Take the amendment's person off one place and fill it by the rule, or set the visit waiting."""
        out = amendment.inspector_id
        i = self._take(visit, out)
        where, expert = self.visit[visit], role == "expert"
        counts = dict.fromkeys(_WHY, 0)
        fit = []
        pool = [q for q in self.ctx.pool(department, where.region, expert) if q != out]
        for q in pool:
            why = self.why_not(q, visit, department, role)
            if why is None:
                fit.append(q)
            else:
                counts[why] += 1
        if fit:
            into = min(fit, key=lambda q: (len(self.of.get(q, ())), self.ctx.seed.assign_cost(visit, department, q)))
            row = self.rows[i]
            if row is not None:
                row[2] = into
            self._put(i, visit, into)
            return PlaceChange(visit, department, role, out, into)
        released = sorted((r for r in (self.rows[self.at[visit, m]] for m in list(self.on[visit])) if r), key=_order)
        for row in released:
            self.rows[self._take(visit, row[2])] = None
        self.rows[i] = None
        detail = ", ".join(f"{n} {why}" for why, n in counts.items() if n)
        group = self.ctx.group(where.region, expert)
        self.waiting[visit] = (
            department,
            f"amendment {amendment.sequence} ({amendment.describe()}): no substitute for the "
            f"{'lead (主检)' if role == 'lead' else role} place among {len(pool)} "
            f"{'experts' if expert else 'officers'} of {department} in {group}" + (f" ({detail})" if detail else ""),
        )
        date = where.date.isoformat() if where.date else ""
        self.visit[visit] = dataclasses.replace(where, date=None)
        return PlaceChange(visit, department, role, out, None, date, tuple((r[1], r[2], r[3]) for r in released))

    def result(self) -> AssignedTables:
        """The tables as the amendment leaves them."""
        visits = self.tables.visits.copy()
        waits = visits["visit_id"].isin(list(self.waiting))
        visits.loc[waits, "status"] = "unstaffed"
        visits.loc[waits, "date"] = ""
        uscc = dict(zip(visits["visit_id"], visits["uscc"], strict=True))
        old = self.tables.unstaffed
        rows = [list(map(str, r)) for r in old[~old["visit_id"].isin(list(self.waiting))].to_numpy().tolist()]
        for v, (blocked, reason) in self.waiting.items():
            rows.append([v, uscc[v], blocked, reason])
            rows += [[v, uscc[v], d, WAITS] for d in self.ctx.departments.get(v, []) if d != blocked]
        rows.sort(key=lambda r: (r[0], r[2]))
        teams = sorted((r for r in self.rows if r is not None), key=_order)
        return AssignedTables(
            visits,
            pd.DataFrame(teams, columns=_TEAMS),
            pd.DataFrame(rows, columns=list(old.columns)),
        )


def _check_request(request: Amendment, tables: AssignedTables, ctx: _Context) -> None:
    """Refuse a request that does not fit the assignment, saying why."""
    problem = request.problem()
    if problem is not None:
        kind = _(_KINDS[request.kind]) if request.kind in _KINDS else request.kind or _("change")
        raise InputError(_("The {kind} cannot be recorded: {problem}.").format(kind=kind, problem=problem))
    person = request.inspector_id
    if person not in ctx.people:
        text = _("{person} is not in the roster ({source}): check the officer's id.")
        raise NotFoundError(text.format(person=person, source=ctx.roster.source))
    if request.kind == "leave" and ctx.policy.window is None:
        raise InputError(
            _(
                "This assignment has no dates (no window): a leave cannot say which visits it touches; "
                "record a recusal for each visit, or a departure."
            )
        )
    if request.kind != "recusal":
        return
    visits = tables.visits[tables.visits["uscc"] == request.uscc]
    if visits.empty:
        raise NotFoundError(
            _("No visit of the firm {uscc} in this assignment: check the code.").format(uscc=request.uscc)
        )
    visit = str(visits["visit_id"].iloc[0])
    team = tables.teams[tables.teams["visit_id"] == visit]
    if person not in set(team["inspector_id"]):
        who = ", ".join(sorted(team["inspector_id"])) or _("nobody: the visit waits")
        text = _("{person} is not on the visit of {uscc} ({visit}), so cannot be recused; on it: {who}.")
        raise InputError(text.format(person=person, uscc=request.uscc, visit=visit, who=who))


def apply_amendments(
    tables: AssignedTables,
    requests: Iterable[Amendment],
    inputs: AssignmentInputs,
    *,
    earlier: Sequence[Amendment] = (),
) -> tuple[AssignedTables, tuple[Amendment, ...]]:
    """Apply amendments one after another; returns the tables and the amendments as logged.

    Parameters
    ----------
    tables : AssignedTables
        The assignment as it stands (after the ``earlier`` amendments).
    requests : iterable of Amendment
        What to change (their ``sequence`` and ``changes`` are set here).
    inputs : AssignmentInputs
        The assignment's inputs (roster, conflicts, policy, seed, the visits' needs).
    earlier : sequence of Amendment
        The log so far: its recusals, leaves and departures bar their people from later places.

    Raises
    ------
    NotFoundError
        For an officer not in the roster, or a firm without a visit.
    InputError
        For a request of the wrong shape, a recusal of someone not on the visit, or a leave in an
        assignment without dates.
    """
    ctx = _Context(inputs)
    log = list(earlier)
    for request in requests:
        _check_request(request, tables, ctx)
        amendment = dataclasses.replace(request, sequence=len(log) + 1, changes=())
        board = _Board(tables, ctx, [*log, amendment])
        changes = tuple(board.refill(amendment, *place) for place in board.places(amendment))
        log.append(dataclasses.replace(amendment, changes=changes))
        tables = board.result()
    return tables, tuple(log[len(earlier) :])


def revert_amendments(
    tables: AssignedTables, amendments: Sequence[Amendment], *, dated: bool, desk: Collection[str] = ()
) -> AssignedTables:
    """The tables before the amendments, from the tables after them and the log alone.

    The teams and the visits come back whole; ``unstaffed.csv`` loses the rows of the visits the
    amendments set waiting (applying them again writes those rows anew). ``dated`` says whether
    the assignment has a window (a visit without a date was then ``undated``); ``desk`` names the
    desk checks (status ``desk``, never dated).

    Raises
    ------
    ManifestError
        If the log does not fit the tables (a place it names is not as it says).
    """
    rows = [list(map(str, r)) for r in tables.teams[_TEAMS].to_numpy().tolist()]
    visits = tables.visits.copy().set_index("visit_id", drop=False)
    unstaffed = tables.unstaffed
    for a in reversed(amendments):
        for c in reversed(a.changes):
            where = _("assignment.json: amendment {sequence}, visit {visit}, {department}").format(
                sequence=a.sequence, visit=c.visit_id, department=c.department
            )
            if c.into is not None:
                found = [r for r in rows if r == [c.visit_id, c.department, c.into, c.role]]
                if not found:
                    text = _("{where}: {person} does not hold its {role} place in teams.csv.")
                    raise ManifestError(text.format(where=where, person=c.into, role=c.role))
                found[0][2] = c.out
                continue
            if c.visit_id not in visits.index or visits.at[c.visit_id, "status"] != "unstaffed":
                raise ManifestError(_("{where}: the visit is not one that waits in visits.csv.").format(where=where))
            if any(r[0] == c.visit_id for r in rows):
                raise ManifestError(_("{where}: the visit waits, yet teams.csv has people on it.").format(where=where))
            rows.append([c.visit_id, c.department, c.out, c.role])
            rows += [[c.visit_id, d, i, r] for d, i, r in c.released]
            visits.at[c.visit_id, "status"] = (
                "desk" if c.visit_id in desk else "staffed" if c.date or not dated else "undated"
            )
            visits.at[c.visit_id, "date"] = c.date
            unstaffed = unstaffed[unstaffed["visit_id"] != c.visit_id]
    rows.sort(key=_order)
    return AssignedTables(
        visits.reset_index(drop=True), pd.DataFrame(rows, columns=_TEAMS), unstaffed.reset_index(drop=True)
    )


def amended_groups(
    visits: pd.DataFrame, amendments: Iterable[Amendment], policy: AssignmentPolicy
) -> set[tuple[str, str]]:
    """The (group, department) of every place the amendments changed or freed."""
    region = dict(zip(visits["visit_id"], visits["region"], strict=True))
    touched: set[tuple[str, str]] = set()
    for a in amendments:
        for c in a.changes:
            for department, role in [(c.department, c.role), *((d, r) for d, _person, r in c.released)]:
                touched.add((_group(region.get(c.visit_id, ""), role == "expert", policy), department))
    return touched


def mark_groups(groups: Iterable[GroupRecord], touched: set[tuple[str, str]]) -> tuple[GroupRecord, ...]:
    """The group records, ``method`` marked (:data:`~.manifest.AMENDED`) exactly where an amendment changed a place."""
    out = []
    for g in groups:
        base = g.method.removesuffix(AMENDED)
        out.append(dataclasses.replace(g, method=base + AMENDED if (g.group, g.department) in touched else base))
    return tuple(out)
