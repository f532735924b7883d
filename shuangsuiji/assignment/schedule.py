"""Dates for visits: a working day in the window for each, all its officers together.

Rules: every person of a visit (all departments' officers of a joint visit,
and its experts) is there on its one date; nobody on a day they are
unavailable; at most ``daily_cap`` visits per person per day; an officer's
visits of one day all lie in one station area (所). Dates are working days of
the Chinese calendar (:mod:`shuangsuiji.workdays`) within the window.

A greedy pass takes visits with the most people first (joint visits), then in
ticket order (``SHA-256(seed ":schedule:" visit_id)``), and gives each a
feasible day, preferring days where its officers already work in the same
station area (days stay packed by area), then the least loaded day, ties
broken by a rotation of the days drawn from the same ticket. Where
it gets stuck, a small neighbourhood (the stuck visit, and its people's visits
on the few days easiest to free for it; everything else stays put) is solved again as a CP-SAT
feasibility model (greedy dates as hints; one worker, fixed seed,
deterministic time limit, so the answer is reproducible); what CP-SAT cannot
place is reported unscheduled.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from ortools.sat.python import cp_model

from .._hashing import default_workers, forked_map
from ..seed import Seed

__all__ = ["Schedule", "people_of", "schedule_visits"]

_CPSAT_TIME = 10.0
#: A stuck visit's neighbourhood (its people's other visits) larger than this is not repaired.
_REPAIR_MAX = 400
#: How many days a repair tries to free for a stuck visit.
_REPAIR_DAYS = 3
#: The score of a day that does not fit.
_NEVER = np.iinfo(np.int64).max
#: From this many visits on, the parts that share no person are scheduled apart (in worker processes).
_PARALLEL_FROM = 2_000


@dataclass(frozen=True)
class Schedule:
    """Dates per visit, and the visits that could not be placed (with the reason)."""

    dates: Mapping[str, dt.date]
    unscheduled: Mapping[str, str]
    method: Mapping[str, str]  # visit -> "greedy" or "cp-sat"


@dataclass
class _Board:
    """Everyone's days as (person x day) arrays: free, visits so far, and the day's station area (-1: none)."""

    people: Mapping[str, Sequence[str]]
    station: Mapping[str, str]
    officers: set[str]
    days: Sequence[dt.date]
    cap: int
    seed: Seed

    def __post_init__(self) -> None:
        everyone = sorted({p for ps in self.people.values() for p in ps})
        self.at = {p: i for i, p in enumerate(everyone)}
        self.n_days = len(self.days)
        self.count = np.zeros((len(everyone), self.n_days), dtype=np.int64)
        self.area = np.full((len(everyone), self.n_days), -1, dtype=np.int64)
        self.station_code = {s: i for i, s in enumerate(sorted(set(self.station.values())))}
        self.dates: dict[str, dt.date] = {}
        self.index = {d: i for i, d in enumerate(self.days)}
        self.by_person: dict[str, list[str]] = defaultdict(list)
        for v, ps in self.people.items():
            for p in ps:
                self.by_person[p].append(v)
        self.shifts: dict[str, int] = {}
        self.ticks = np.arange(self.n_days, dtype=np.int64)
        # Row s: the days rotated by s (day i ranks (i - s) mod D among days that tie).
        self.rotations = (self.ticks[None, :] - self.ticks[:, None]) % max(self.n_days, 1)
        self.places: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], int]] = {}

    def mark_free(self, unavailable: Mapping[str, frozenset[dt.date]]) -> None:
        everyone = sorted(self.at, key=self.at.__getitem__)
        free = np.array([[d not in unavailable.get(p, frozenset()) for d in self.days] for p in everyone], dtype=bool)
        self.free = free.reshape(len(everyone), self.n_days)

    def shift(self, v: str) -> int:
        """The rotation of the days drawn from the visit's ``schedule`` ticket: bytes 0-3 modulo the days."""
        if v not in self.shifts:
            self.shifts[v] = int.from_bytes(self.seed.schedule_ticket(v)[:4], "big") % self.n_days
        return self.shifts[v]

    def rotation(self, v: str) -> npt.NDArray[np.int64]:
        """The days in an order drawn from the visit's ``schedule`` ticket (bytes 0-3), for ties."""
        rotated: npt.NDArray[np.int64] = self.rotations[self.shift(v)]
        return rotated

    def parts(self, v: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], int]:
        """The rows of the visit's people, of its officers, and its station area's code."""
        if v not in self.places:
            who = np.array([self.at[p] for p in self.people[v]], dtype=np.int64)
            bound = np.array([self.at[p] for p in self.people[v] if p in self.officers], dtype=np.int64)
            self.places[v] = (who, bound, self.station_code[self.station[v]])
        return self.places[v]

    def place(self, v: str) -> bool:
        """Give visit ``v`` its best feasible day (greedy); ``False`` when none fits."""
        who, bound, here = self.parts(v)
        counts = self.count[who]
        ok = self.free[who].all(axis=0) & (counts < self.cap).all(axis=0)
        areas = self.area[bound]
        if bound.size:
            ok &= ((areas == -1) | (areas == here)).all(axis=0)
        if not ok.any():
            return False
        # Days where its officers already work in this station area first (days stay packed by area, so
        # other areas keep days of their own), then the least loaded; ties by a rotation of the days
        # drawn from the visit's ticket.
        affinity = (areas == here).sum(axis=0)
        score = ((bound.size - affinity) * (self.cap + 1) + counts.max(axis=0)) * self.n_days + self.rotation(v)
        score[~ok] = _NEVER
        best = int(np.argmin(score))
        self.dates[v] = self.days[best]
        self.count[who, best] += 1
        self.area[bound, best] = here
        return True

    def neighbourhood(self, v: str) -> list[str]:
        """The stuck visit and its people's visits on the few days easiest to free for it."""
        site = self.station_code[self.station[v]]
        blocking = np.zeros(self.n_days, dtype=np.int64)
        mine: dict[int, set[str]] = defaultdict(set)
        for p in self.people[v]:
            for w in self.by_person[p]:
                if w in self.dates:
                    mine[self.index[self.dates[w]]].add(w)
        for i in range(self.n_days):
            if any(not self.free[self.at[p], i] for p in self.people[v]):
                blocking[i] = np.iinfo(np.int64).max // 2
                continue
            for p in self.people[v]:
                full = self.count[self.at[p], i] >= self.cap
                elsewhere = p in self.officers and self.area[self.at[p], i] not in (-1, site)
                if full or elsewhere:
                    blocking[i] += sum(1 for w in mine[i] if p in self.people[w])
        candidates = np.argsort(blocking * self.n_days + self.rotation(v), kind="stable")[:_REPAIR_DAYS]
        return sorted(set().union(*(mine[int(i)] for i in candidates)) | {v})

    def fixed_around(self, near: Sequence[str]) -> tuple[dict[tuple[str, int], int], dict[tuple[str, int], str]]:
        """Load and station area, per person and day, of the visits outside ``near`` that stay put."""
        moving = set(near)
        base: dict[tuple[str, int], int] = defaultdict(int)
        fixed_area: dict[tuple[str, int], str] = {}
        for w in {x for p in {q for u in near for q in self.people[u]} for x in self.by_person[p]} - moving:
            if w in self.dates:
                for p in self.people[w]:
                    base[p, self.index[self.dates[w]]] += 1
                    if p in self.officers:
                        fixed_area[p, self.index[self.dates[w]]] = self.station[w]
        return base, fixed_area

    def move(self, near: Sequence[str], solved: Mapping[str, dt.date], method: dict[str, str]) -> None:
        """Put the neighbourhood's visits on their repaired days, and recompute its officers' areas."""
        for w in near:
            old = self.dates.get(w)
            if old == solved[w]:
                continue
            who = np.array([self.at[p] for p in self.people[w]], dtype=np.int64)
            if old is not None:
                self.count[who, self.index[old]] -= 1
            self.count[who, self.index[solved[w]]] += 1
            self.dates[w] = solved[w]
            method[w] = "cp-sat"
        # The officers' areas follow the visits that now stand on each day.
        for p in {q for w in near for q in self.people[w] if q in self.officers}:
            on_day: dict[int, set[str]] = defaultdict(set)
            for w in self.by_person[p]:
                if w in self.dates:
                    on_day[self.index[self.dates[w]]].add(self.station[w])
            self.area[self.at[p]] = -1
            for i, here_now in on_day.items():
                self.area[self.at[p], i] = self.station_code[next(iter(here_now))]


def schedule_visits(
    people: Mapping[str, Sequence[str]],
    station: Mapping[str, str],
    *,
    officers: set[str],
    unavailable: Mapping[str, frozenset[dt.date]],
    days: Sequence[dt.date],
    daily_cap: int,
    seed: str | Seed,
    workers: int | None = None,
) -> Schedule:
    """Schedule visits.

    Visits that share no person (directly or through other visits) never constrain each other, so each
    such part is scheduled on its own, in forked worker processes when there are several: the dates are
    those of one pass over all visits, whatever the number of workers. The mappings returned list the
    visits in the order they are taken.

    Parameters
    ----------
    people : mapping
        Visit id -> the people (officers and experts) on it.
    station : mapping
        Visit id -> the entity's station (所) area.
    officers : set of str
        Which people the one-station-area-a-day rule binds (the officers).
    unavailable : mapping
        Person -> days off.
    days : sequence of date
        The working days of the window.
    daily_cap : int
        Visits per person per day.
    seed : str or Seed
        The seed (visit order and ties, scope ``schedule``).
    workers : int, optional
        Processes for independent parts (default: the available CPUs, at most 8).
    """
    seed = Seed.of(seed)
    if not days:
        return Schedule({}, {v: _why(v, people, unavailable, days, daily_cap) for v in people}, {})
    # Visits with more people (joint visits) first, as they are the hardest to fit; then by ticket.
    tickets = {v: seed.schedule_ticket(v) for v in people}
    order = sorted(people, key=lambda v: (-len(people[v]), tickets[v]))
    parts = _parts(people, order) if len(people) >= _PARALLEL_FROM else [order]
    workers = default_workers() if workers is None else max(1, workers)

    def run(part: list[str]) -> Schedule:
        return _schedule_part(
            part, people, station, officers=officers, unavailable=unavailable, days=days, cap=daily_cap, seed=seed
        )

    done = forked_map(run, parts, workers=workers, size=len)
    dates = {v: d for part in done for v, d in part.dates.items()}
    unscheduled = {v: why for part in done for v, why in part.unscheduled.items()}
    method = {v: m for part in done for v, m in part.method.items()}
    return Schedule(
        dates={v: dates[v] for v in order if v in dates},
        unscheduled={v: unscheduled[v] for v in order if v in unscheduled},
        method={v: method[v] for v in order if v in method},
    )


def _parts(people: Mapping[str, Sequence[str]], order: list[str]) -> list[list[str]]:
    """The visits in groups that share no person, each in ``order``."""
    root: dict[str, str] = {}

    def find(x: str) -> str:
        root.setdefault(x, x)
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    for v in order:
        for p in people[v]:
            a, b = find(v), find("person:" + p)
            if a != b:
                root[a] = b
    parts: dict[str, list[str]] = {}
    for v in order:
        parts.setdefault(find(v), []).append(v)
    return list(parts.values())


def _schedule_part(
    visits: list[str],
    people: Mapping[str, Sequence[str]],
    station: Mapping[str, str],
    *,
    officers: set[str],
    unavailable: Mapping[str, frozenset[dt.date]],
    days: Sequence[dt.date],
    cap: int,
    seed: Seed,
) -> Schedule:
    """Greedy dates for ``visits`` (in the order given), then CP-SAT repairs of the stuck ones."""
    mine = {v: people[v] for v in visits}
    board = _Board(mine, {v: station[v] for v in visits}, officers, days, cap, seed)
    board.mark_free(unavailable)
    stuck = [v for v in visits if not board.place(v)]
    method = dict.fromkeys(board.dates, "greedy")
    unscheduled: dict[str, str] = {}
    for v in stuck:
        # Repair by CP-SAT on a small neighbourhood: the stuck visit, and its people's visits on the few
        # days that are easiest to free for it; those may move to any day, everyone else's days stay as
        # they are (their load is the baseline).
        near = board.neighbourhood(v)
        if len(near) > _REPAIR_MAX:
            unscheduled[v] = _why(v, people, unavailable, days, cap)
            continue
        base, fixed_area = board.fixed_around(near)
        solved = _cpsat(
            near,
            people=people,
            station=station,
            officers=officers,
            unavailable=unavailable,
            days=days,
            cap=cap,
            hints=board.dates,
            base=base,
            fixed_area=fixed_area,
        )
        if solved is None:
            unscheduled[v] = _why(v, people, unavailable, days, cap)
            continue
        board.move(near, solved, method)
    return Schedule(dates=board.dates, unscheduled=unscheduled, method=method)


def _why(
    v: str,
    people: Mapping[str, Sequence[str]],
    unavailable: Mapping[str, frozenset[dt.date]],
    days: Sequence[dt.date],
    cap: int,
) -> str:
    free = [d for d in days if all(d not in unavailable.get(p, frozenset()) for p in people[v])]
    return (
        f"no working day in the window fits: {len(people[v])} people must be there together, "
        f"{len(free)} of {len(days)} working days find them all available, at most {cap} visits each a day "
        "and one station area each a day"
    )


def _cpsat(
    visits: Sequence[str],
    *,
    people: Mapping[str, Sequence[str]],
    station: Mapping[str, str],
    officers: set[str],
    unavailable: Mapping[str, frozenset[dt.date]],
    days: Sequence[dt.date],
    cap: int,
    hints: Mapping[str, dt.date],
    base: Mapping[tuple[str, int], int],
    fixed_area: Mapping[tuple[str, int], str],
) -> dict[str, dt.date] | None:
    model = cp_model.CpModel()
    x: dict[tuple[str, int], cp_model.IntVar] = {}
    for v in visits:
        options = [i for i, d in enumerate(days) if all(d not in unavailable.get(p, frozenset()) for p in people[v])]
        if not options:
            return None
        for i in options:
            x[v, i] = model.new_bool_var(f"x_{v}_{i}")
        model.add_exactly_one(x[v, i] for i in options)
    on: dict[tuple[str, int], list[cp_model.IntVar]] = defaultdict(list)
    for (v, i), var in x.items():
        for p in people[v]:
            on[p, i].append(var)
    for (p, i), vars_ in on.items():
        model.add(sum(vars_) <= cap - base.get((p, i), 0))
    areas: dict[tuple[str, int, str], cp_model.IntVar] = {}
    for (v, i), var in x.items():
        for p in people[v]:
            if p in officers and fixed_area.get((p, i), station[v]) != station[v]:
                model.add(var == 0)  # the officer is in another station area that day already
            elif p in officers:
                key = (p, i, station[v])
                if key not in areas:
                    areas[key] = model.new_bool_var(f"a_{p}_{i}_{station[v]}")
                model.add_implication(var, areas[key])
    per_day: dict[tuple[str, int], list[cp_model.IntVar]] = defaultdict(list)
    for (p, i, _), var in areas.items():
        per_day[p, i].append(var)
    for vars_ in per_day.values():
        model.add_at_most_one(vars_)
    # A feasibility model: the greedy dates are hints, so only what must move, moves.
    index = {d: i for i, d in enumerate(days)}
    for v in visits:
        if v in hints and (v, index[hints[v]]) in x:
            model.add_hint(x[v, index[hints[v]]], 1)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = _CPSAT_TIME
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return {v: days[i] for (v, i), var in x.items() if solver.value(var)}


def people_of(teams: pd.DataFrame) -> dict[str, list[str]]:
    """Visit id -> everyone on it (sorted, once each), from a ``visit_id, inspector_id`` frame."""
    pairs = teams[["visit_id", "inspector_id"]].drop_duplicates().sort_values(["visit_id", "inspector_id"])
    out: dict[str, list[str]] = {}
    for visit, person in zip(pairs["visit_id"].tolist(), pairs["inspector_id"].tolist(), strict=True):
        out.setdefault(str(visit), []).append(str(person))
    return out
