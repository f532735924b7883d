"""Dates for visits: a working day in the window for each, all its officers together.

Rules: every person of a visit (all departments' officers of a joint visit,
and its experts) is there on its one date; nobody on a day they are
unavailable; at most ``daily_cap`` visits per person per day; an officer's
visits of one day all lie in one station area (所). Dates are working days of
the Chinese calendar (:mod:`shuangsuiji.workdays`) within the window.

A greedy pass takes visits in ticket order (``SHA-256(seed ":schedule:" visit_id)``)
and gives each the feasible day where its people are least loaded (ties by a
ticket of the visit and day). Where it gets stuck, the connected group of
visits sharing people is solved again as a CP-SAT feasibility model (greedy
dates as hints; one worker, fixed seed, deterministic time limit, so the
answer is reproducible); what CP-SAT cannot place is reported unscheduled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
import pandas as pd
from ortools.sat.python import cp_model

from .workdays import WorkCalendar

__all__ = ["Schedule", "schedule_visits", "working_days"]

_CPSAT_TIME = 20.0


def working_days(window: tuple[dt.date, dt.date], calendar: WorkCalendar) -> list[dt.date]:
    """The working days of a window, in order (raises for years the calendar does not know)."""
    first, last = window
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return [d for d in days if calendar.is_working_day(d)]


@dataclass(frozen=True)
class Schedule:
    """Dates per visit, and the visits that could not be placed (with the reason)."""

    dates: Mapping[str, dt.date]
    unscheduled: Mapping[str, str]
    method: Mapping[str, str]  # visit -> "greedy" or "cp-sat"


def _ticket(seed: str, key: str) -> bytes:
    return hashlib.sha256(f"{seed}:schedule:{key}".encode()).digest()


def schedule_visits(
    people: Mapping[str, Sequence[str]],
    station: Mapping[str, str],
    *,
    officers: set[str],
    unavailable: Mapping[str, frozenset[dt.date]],
    days: Sequence[dt.date],
    daily_cap: int,
    seed: str,
) -> Schedule:
    """Schedule visits.

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
    seed : str
        The seed (visit order and ties).
    """
    count: dict[tuple[str, dt.date], int] = defaultdict(int)
    area: dict[tuple[str, dt.date], str] = {}
    dates: dict[str, dt.date] = {}
    stuck: list[str] = []

    def fits(v: str, d: dt.date) -> bool:
        return all(
            d not in unavailable.get(p, frozenset())
            and count[p, d] < daily_cap
            and (p not in officers or area.get((p, d), station[v]) == station[v])
            for p in people[v]
        )

    for v in sorted(people, key=lambda v: _ticket(seed, v)):
        options = [d for d in days if fits(v, d)]
        if not options:
            stuck.append(v)
            continue
        best = min(
            options,
            key=lambda d: (max((count[p, d] for p in people[v]), default=0), _ticket(seed, f"{v}|{d.isoformat()}")),
        )
        dates[v] = best
        for p in people[v]:
            count[p, best] += 1
            if p in officers:
                area[p, best] = station[v]
    method = dict.fromkeys(dates, "greedy")
    unscheduled: dict[str, str] = {}
    if stuck:
        graph = nx.Graph()
        for v, ps in people.items():
            graph.add_edges_from((("v", v), ("p", p)) for p in ps)
        done: set[str] = set()
        for v in stuck:
            if v in done:
                continue
            component = sorted(n[1] for n in nx.node_connected_component(graph, ("v", v)) if n[0] == "v")
            done.update(component)
            solved = _cpsat(
                component,
                people=people,
                station=station,
                officers=officers,
                unavailable=unavailable,
                days=days,
                cap=daily_cap,
                hints=dates,
            )
            if solved is None:
                for w in component:
                    if w not in dates:
                        unscheduled[w] = _why(w, people, unavailable, days, daily_cap)
                continue
            for w in component:
                dates[w] = solved[w]
                method[w] = "cp-sat"
    return Schedule(dates=dates, unscheduled=unscheduled, method=method)


def _why(v: str, people: Mapping[str, Sequence[str]], unavailable: Mapping[str, frozenset[dt.date]],
         days: Sequence[dt.date], cap: int) -> str:  # fmt: skip
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
    for vars_ in on.values():
        model.add(sum(vars_) <= cap)
    areas: dict[tuple[str, int, str], cp_model.IntVar] = {}
    for (v, i), var in x.items():
        for p in people[v]:
            if p in officers:
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
    """Visit id -> everyone on it, from a ``visit_id, inspector_id`` frame."""
    return {str(v): sorted(set(g)) for v, g in teams.groupby("visit_id")["inspector_id"]}
