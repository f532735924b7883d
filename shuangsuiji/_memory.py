"""The memory engine of the draw: the whole population in one process (private module).

Tickets of the plan scope are hashed in forked worker processes from the
moment the codes are read, while the rest of the population is checked
(:mod:`shuangsuiji._hashing`); the rest follows the kernel
(:mod:`shuangsuiji._kernel`) that the Dask engine shares.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._hashing import HashJob, default_workers
from ._i18n import _
from ._kernel import (
    EXCLUDED_CODE,
    NOT_SELECTED_CODE,
    OUT_OF_SCOPE_CODE,
    SELECTED_CODE,
    DrawResult,
    Factors,
    TaskDraw,
    TaskState,
    assemble,
    excluded_frame,
    history_warnings,
    scope_and_exclusions,
    selection_frame,
    status_warnings,
    strata,
    task_allocation,
)
from ._progress import tracked
from ._strings import byte_column
from ._tickets import select_keys, tickets_hex
from .allocation import TaskAllocation
from .exclusions import History
from .plan import Plan, Task
from .population import Population, check_prepared, fit_plan, prepare_population
from .seed import Seed

__all__ = ["allocate_memory", "draw_memory"]


def draw_memory(
    population: pd.DataFrame | Population,
    plan: Plan,
    seed: Seed,
    *,
    history: History | None = None,
    allow_list: Collection[str] = (),
    workers: int | None = None,
) -> DrawResult:
    """Draw a plan on a population held in memory (see :func:`shuangsuiji.draw`)."""
    total = default_workers() if workers is None else max(1, workers)
    population, job = _checked(population, plan, seed, allow_list, total)
    try:
        warnings = [
            *plan.warnings,
            *population.warnings,
            *history_warnings(plan, history),
            *status_warnings(plan, list(population.frame.columns)),
        ]
        states = scope_and_exclusions(population, plan, history)
        factors = Factors(population.frame)
        planned = [_plan_task(task, states[task.id], factors) for task in plan.tasks]
        tickets = _Tickets(seed, plan, population, states=states, job=job, workers=total)
    except BaseException:
        if job is not None:
            job.cancel()
        raise
    parts = [_draw_task(population, plan, tp, tickets) for tp in tracked(planned, _("drawing the tasks"))]
    return assemble(plan, seed.hex, parts, population=population, warnings=warnings, engine="memory")


def allocate_memory(
    population: pd.DataFrame | Population,
    plan: Plan,
    *,
    history: History | None = None,
    allow_list: Collection[str] = (),
) -> None:
    """Check that the plan can be allocated on this population, as :func:`draw_memory` would, with no seed.

    The allocation (the sample of every stratum) needs no ticket, so ``commit`` runs it before the
    commitment is published: a plan the draw would refuse (a class without a multiplier, a floor no
    ratio reaches) is refused then, not after the seed.

    Raises
    ------
    PlanError, PopulationError
        As the draw would raise them.
    """
    if not isinstance(population, Population):
        data, rows = prepare_population(population)
        population = check_prepared(data, rows, plan, allow_list=allow_list)
    elif population.checked_against != plan:
        population = fit_plan(population, plan)
    states = scope_and_exclusions(population, plan, history)
    factors = Factors(population.frame)
    for task in plan.tasks:
        _plan_task(task, states[task.id], factors)


def _checked(
    population: pd.DataFrame | Population, plan: Plan, seed: Seed, allow_list: Collection[str], workers: int
) -> tuple[Population, HashJob | None]:
    """The population checked against the plan, and the plan scope's tickets being hashed meanwhile."""
    if isinstance(population, Population):
        if population.checked_against != plan:
            population = fit_plan(population, plan)
        return population, _plan_scope_job(seed, plan, population.frame["uscc"], workers)
    # Hash the plan scope's tickets in the background, from the moment the codes are
    # normalised, while the rest of the population is prepared and checked.
    started: list[HashJob | None] = []
    data, rows = prepare_population(
        population, on_codes=lambda codes: started.append(_plan_scope_job(seed, plan, codes, workers))
    )
    job = started[0] if started else None
    try:
        return check_prepared(data, rows, plan, allow_list=allow_list), job
    except BaseException:
        if job is not None:
            job.cancel()
        raise


def _plan_scope_job(seed: Seed, plan: Plan, codes: pd.Series, workers: int) -> HashJob | None:
    """Start hashing every code under the plan scope, if a coordinated task needs it."""
    if not any(t.coordination == "plan" for t in plan.tasks):
        return None
    return HashJob(seed.ticket_prefix(plan.id), byte_column(codes), workers=workers - 1)


class _Tickets:
    """Tickets per scope: row ``r`` of the population has ``digests[scope][at[scope][r]]``.

    The plan scope covers every row (hashed in the background from the start);
    an independent task's scope covers only that task's eligible rows.
    """

    def __init__(
        self,
        seed: Seed,
        plan: Plan,
        population: Population,
        *,
        states: Mapping[str, TaskState],
        job: HashJob | None,
        workers: int,
    ) -> None:
        n = len(population)
        codes = byte_column(population.frame["uscc"])
        self.at: dict[str, npt.NDArray[np.intp]] = {}
        self.digests: dict[str, npt.NDArray[np.uint8]] = {}
        self.keys: dict[str, npt.NDArray[np.uint64]] = {}
        for task in plan.tasks:
            scope = task.scope(plan.id)
            if task.coordination == "plan":
                if scope not in self.digests and job is not None:
                    self.at[scope] = np.arange(n, dtype=np.intp)
                    self.digests[scope] = job.result()
                    self.keys[scope] = job.keys
                continue
            rows = np.flatnonzero(states[task.id].eligible)
            at = np.full(n, -1, dtype=np.intp)
            at[rows] = np.arange(rows.size)
            self.at[scope] = at
            own = HashJob(seed.ticket_prefix(scope), codes, rows, workers=workers - 1)
            self.digests[scope] = own.result()
            self.keys[scope] = own.keys


@dataclass
class _TaskPlan:
    """What a task needs before tickets exist: strata, allocation, members by stratum."""

    task: Task
    state: TaskState
    allocation: TaskAllocation
    members: npt.NDArray[np.intp]  # eligible rows grouped by stratum, strata in label order
    bounds: npt.NDArray[np.intp]  # stratum h holds members[bounds[h]:bounds[h + 1]]


def _plan_task(task: Task, st: TaskState, factors: Factors) -> _TaskPlan:
    """Strata and allocation of one task (needs no ticket, so it runs while tickets are hashed)."""
    rows = np.flatnonzero(st.eligible)
    stratum_of, values = strata(factors, rows, task.strata)
    sizes = np.bincount(stratum_of, minlength=len(values))
    alloc = task_allocation(task, values, sizes.tolist())
    # Stable counting sort (numpy radix-sorts 16-bit keys).
    sort_key = stratum_of.astype(np.int16) if len(values) < 2**15 else stratum_of
    members = rows[np.argsort(sort_key, kind="stable")]
    return _TaskPlan(task, st, alloc, members, np.concatenate([[0], np.cumsum(sizes)]).astype(np.intp))


def _full_order(
    digests: npt.NDArray[np.uint8], at: npt.NDArray[np.intp], codes: pd.Series, members: npt.NDArray[np.intp]
) -> Callable[[npt.NDArray[np.intp]], npt.NDArray[np.intp]]:
    """Order positions within a stratum by whole ticket, then code (used only on a 64-bit tie)."""

    def order(positions: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        def key(i: int) -> tuple[bytes, str]:
            return digests[at[i]].tobytes(), str(codes.iat[int(members[i])])

        return np.array(sorted(positions.tolist(), key=key), dtype=np.intp)

    return order


def _draw_task(population: Population, plan: Plan, tp: _TaskPlan, tickets: _Tickets) -> TaskDraw:
    """Selection of one planned task: the n_h smallest tickets of each stratum."""
    task, st, alloc = tp.task, tp.state, tp.allocation
    frame = population.frame
    codes = frame["uscc"]
    scope = task.scope(plan.id)
    out = np.full(len(frame), OUT_OF_SCOPE_CODE, dtype=np.int8)
    out[st.in_scope] = NOT_SELECTED_CODE
    out[st.excluded_code > 0] = EXCLUDED_CODE
    at_scope, digests, keys = tickets.at[scope], tickets.digests[scope], tickets.keys[scope]
    thresholds: list[str] = []
    chosen_parts, stratum_parts, ticket_parts = [], [], []
    for h, sa in enumerate(alloc.strata):
        members = tp.members[tp.bounds[h] : tp.bounds[h + 1]]
        at = at_scope[members]
        pick = select_keys(keys[at], sa.sample, _full_order(digests, at, codes, members))
        chosen = members[pick]
        out[chosen] = SELECTED_CODE
        hexes = tickets_hex(digests[at[pick]])
        thresholds.append(hexes[-1] if hexes else "")
        chosen_parts.append(chosen)
        stratum_parts.append(np.full(chosen.size, h, dtype=np.intp))
        ticket_parts.extend(hexes)
    selection = None
    if ticket_parts:
        # Strata come in label order and each stratum's picks in ticket order: already sorted.
        chosen = np.concatenate(chosen_parts)
        selection = selection_frame(
            task,
            alloc,
            uscc=codes.iloc[chosen].to_numpy(),
            stratum=np.concatenate(stratum_parts),
            tickets=ticket_parts,
            names=frame["name"].iloc[chosen].to_numpy() if "name" in frame.columns else "",
        )
    excluded = excluded_frame(task, codes, st)
    return TaskDraw(
        task=task,
        allocation=alloc,
        thresholds=thresholds,
        selection=selection,
        excluded=None if excluded is None else excluded.sort_values("uscc", kind="stable"),
        population=len(frame),
        out_of_scope=int((out == OUT_OF_SCOPE_CODE).sum()),
        outcome=out,
    )
