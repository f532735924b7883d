"""The draw of inspection targets: tickets, strata, allocation and selection.

This module implements the public specification in ``docs/algorithm.md``
(algorithm ``shuangsuiji-draw/1``):

1. **Ticket** of an entity: ``SHA-256(UTF-8(seed ":" scope ":" uscc))`` in
   lowercase hex, where ``scope`` is the plan id for coordinated tasks and
   ``plan_id "." task_id`` for independent ones. Anyone can recompute one::

       printf '%s' "$SEED:$SCOPE:$USCC" | sha256sum

2. **Eligible entities and strata**: those passing ``where`` and no exclusion
   (:mod:`shuangsuiji.exclusions`), grouped by the value combination of the
   task's strata columns, labelled ``col=value|col=value``.
3. **Allocation** (:func:`shuangsuiji.allocation.allocate`): exact, with the
   floor and largest-remainder rounding.
4. **Selection**: in each stratum, the ``n_h`` entities with the smallest
   ``(ticket, uscc)``. The stratum's threshold is the ticket of its last
   selected entity, so an entity is selected exactly when its ticket is at or
   below its stratum's threshold.

Tickets depend only on seed, scope and code, so row order never matters and
adding or removing other entities never changes anyone's ticket; coordinated
tasks of one plan share tickets and so overlap as much as their sizes allow.

Examples
--------
>>> ticket("0" * 64, "P1", "91110000600037341L")[:16]
'cf1b774fce8b7fdf'
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._hashing import HashJob, default_workers, digest_rows
from ._strings import byte_column
from .allocation import StratumSpec, TaskAllocation, allocate
from .credit import stratum_multiplier
from .exceptions import InputError, InternalError
from .exclusions import REASONS, History, task_exclusions
from .plan import Plan, Task
from .population import Population, check_prepared, fit_plan, match_values, prepare_population
from .validation import check_seed, fraction_text

__all__ = [
    "ALGORITHM",
    "OUTCOMES",
    "DrawResult",
    "draw",
    "select_smallest",
    "ticket",
    "ticket_digests",
    "tickets_hex",
]

#: Name and version of the draw specification this module implements.
ALGORITHM = "shuangsuiji-draw/1"
#: What became of each population row in a task, by outcome code 0..3.
OUTCOMES: tuple[str, ...] = ("out_of_scope", "excluded", "not_selected", "selected")
_OUT, _EXCL, _NOT, _SEL = range(4)
_CHUNK = 1 << 20


def ticket(seed: str, scope: str, uscc: str) -> str:
    """The ticket of one entity: ``SHA-256(seed:scope:uscc)`` as 64 hex digits.

    Parameters
    ----------
    seed : str
        64 lowercase hex digits.
    scope : str
        Plan id (coordinated tasks) or ``plan_id.task_id`` (independent).
    uscc : str
        The entity's code.

    Examples
    --------
    >>> len(ticket("ab" * 32, "LY-2027-Q1", "9144030071526726XG"))
    64
    """
    check_seed(seed)
    return hashlib.sha256(f"{seed}:{scope}:{uscc}".encode()).hexdigest()


def ticket_digests(
    seed: str,
    scope: str,
    codes: pd.Series | Sequence[str],
    *,
    rows: npt.NDArray[np.intp] | None = None,
    workers: int | None = None,
) -> npt.NDArray[np.uint8]:
    """Raw SHA-256 tickets of many codes, as an ``(n, 32)`` byte matrix.

    Row ``i`` equals ``bytes.fromhex(ticket(seed, scope, codes[rows[i]]))``.
    Computed in bounded-memory chunks, on several processes for large inputs;
    the result never depends on ``workers``.

    Parameters
    ----------
    seed, scope : str
        As for :func:`ticket`.
    codes : pandas.Series or sequence of str
        The codes.
    rows : numpy.ndarray, optional
        Positions of the codes to hash, in output order (default: all).
    workers : int, optional
        Processes to hash on; default: the available CPUs (at most 8).

    Examples
    --------
    >>> d = ticket_digests("0" * 64, "P1", ["91110000600037341L"])
    >>> d.tobytes().hex() == ticket("0" * 64, "P1", "91110000600037341L")
    True
    """
    check_seed(seed)
    return digest_rows(f"{seed}:{scope}:".encode(), byte_column(codes), rows, workers=workers)


def tickets_hex(digests: npt.NDArray[np.uint8]) -> list[str]:
    """Hex text of raw tickets (rows of an ``(n, 32)`` matrix).

    Examples
    --------
    >>> tickets_hex(np.zeros((1, 32), dtype=np.uint8)) == ["0" * 64]
    True
    """
    text = np.ascontiguousarray(digests).tobytes().hex()
    return [text[i : i + 64] for i in range(0, len(text), 64)]


def _keys(digests: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]:
    """The first 8 bytes of each ticket as a big-endian integer: orders like the ticket."""
    return np.ascontiguousarray(digests[:, :8]).view(">u8").ravel().astype(np.uint64)


def _select(
    keys: npt.NDArray[np.uint64], k: int, full_order: Callable[[npt.NDArray[np.intp]], npt.NDArray[np.intp]]
) -> npt.NDArray[np.intp]:
    """Positions of the ``k`` smallest tickets, smallest first, from their leading 64 bits.

    ``full_order`` orders a set of positions by whole ticket then code; it is
    called only on positions whose leading 64 bits tie (about one draw in 10^9
    at ten million entities).
    """
    m = len(keys)
    if not 0 <= k <= m:
        raise ValueError(f"cannot take {k} of {m}")
    if k == 0:
        return np.zeros(0, dtype=np.intp)
    if k < m:
        kth = keys[np.argpartition(keys, k - 1)[k - 1]]
        candidates = np.flatnonzero(keys <= kth)
    else:
        candidates = np.arange(m)
    order = candidates[np.argsort(keys[candidates], kind="stable")]
    ordered = keys[order]
    if (ordered[1:] == ordered[:-1]).any():
        order = full_order(order)
    return order[:k]


def select_smallest(digests: npt.NDArray[np.uint8], k: int, codes: Sequence[str] | None = None) -> npt.NDArray[np.intp]:
    """Positions of the ``k`` smallest ``(ticket, code)`` pairs, smallest first.

    Linear time on the tickets' leading 64 bits; whole tickets (then codes)
    are compared only among rows whose leading bits tie.

    Parameters
    ----------
    digests : numpy.ndarray
        ``(m, 32)`` raw tickets.
    k : int
        How many to take, ``0 <= k <= m``.
    codes : sequence of str, optional
        The codes, the last tie-break (two distinct codes with equal tickets
        would need a SHA-256 collision).

    Examples
    --------
    >>> d = np.array([[3] * 32, [1] * 32, [2] * 32], dtype=np.uint8)
    >>> select_smallest(d, 2).tolist()
    [1, 2]
    """

    def full_order(positions: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        key = lambda i: (digests[i].tobytes(), "" if codes is None else codes[i])  # noqa: E731
        return np.array(sorted(positions.tolist(), key=key), dtype=np.intp)

    return _select(_keys(digests), k, full_order)


@dataclass(frozen=True, eq=False)
class DrawResult:
    """Everything a draw produced. Frames are sorted, so equal draws are equal files.

    Attributes
    ----------
    plan : Plan
        The plan drawn.
    seed : str
        The seed.
    population : Population or None
        The checked population; ``None`` for a draw on Dask, whose population
        stays on the cluster (:mod:`shuangsuiji.distributed`).
    allocations : Mapping[str, TaskAllocation]
        Exact allocation per task id.
    selection : pandas.DataFrame
        ``task_id, uscc, stratum, ticket, inclusion_probability, name, department``.
    allocation : pandas.DataFrame
        ``task_id, stratum, population, sample, threshold, multiplier, ratio, take_all, quota``.
    excluded : pandas.DataFrame
        ``task_id, uscc, reason, detail``.
    summary : pandas.DataFrame
        One row per task; ``population = out_of_scope + excluded + sample + not_selected``.
    warnings : tuple of str
        Things worth knowing that did not stop the draw.
    """

    plan: Plan
    seed: str
    population: Population | None
    allocations: Mapping[str, TaskAllocation]
    selection: pd.DataFrame
    allocation: pd.DataFrame
    excluded: pd.DataFrame
    summary: pd.DataFrame
    warnings: tuple[str, ...] = ()
    _outcome: Mapping[str, npt.NDArray[np.int8]] = field(default_factory=dict, repr=False)

    @property
    def population_size(self) -> int:
        """Rows of the population drawn from."""
        return int(self.summary["population"].iloc[0]) if len(self.summary) else 0

    def outcomes(self, task_id: str) -> pd.DataFrame:
        """Every population row's fate in one task: nothing is lost.

        Returns
        -------
        pandas.DataFrame
            ``uscc, row, outcome`` in population order, with ``outcome`` one of
            :data:`OUTCOMES`.
        """
        self.plan.task(task_id)
        if self.population is None:
            raise InputError(
                "This draw ran on Dask and its population stayed on the cluster; "
                "use shuangsuiji.distributed.outcomes(population, result, task_id) for every row's fate."
            )
        codes = self._outcome[task_id]
        return pd.DataFrame(
            {
                "uscc": self.population.uscc.to_numpy(),
                "row": self.population.rows,
                "outcome": pd.Categorical.from_codes(codes, categories=pd.Index(OUTCOMES)),
            }
        )


class _Factors:
    """Each column factorized once per draw, shared by the tasks that stratify by it."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame
        self._done: dict[str, tuple[npt.NDArray[np.intp], list[str]]] = {}

    def __getitem__(self, column: str) -> tuple[npt.NDArray[np.intp], list[str]]:
        if column not in self._done:
            code, uniq = pd.factorize(self._frame[column])
            self._done[column] = (np.asarray(code, dtype=np.intp), [str(u) for u in uniq])
        return self._done[column]


def _strata(
    factors: _Factors, rows: npt.NDArray[np.intp], columns: Sequence[str]
) -> tuple[npt.NDArray[np.intp], list[tuple[str, ...]]]:
    """Stratum number of each row (strata numbered in label order) and each stratum's values."""
    if rows.size == 0:
        return np.zeros(0, dtype=np.intp), []
    codes, uniques = [], []
    for c in columns:
        code, uniq = factors[c]
        codes.append(code[rows])
        uniques.append(uniq)
    dims = tuple(len(u) for u in uniques)
    if np.prod(dims, dtype=float) >= 2**62:  # pragma: no cover - needs > 2**62 value combinations
        combined = pd.factorize(pd.MultiIndex.from_arrays(codes))[0]
        present = np.unique(combined)
    else:
        combined = np.ravel_multi_index(codes, dims)
        top = int(combined.max())
        # Few value combinations (the usual case): find them with a linear-time count.
        present = (
            np.flatnonzero(np.bincount(combined, minlength=top + 1))
            if top < 4 * combined.size + 1024
            else np.unique(combined)
        )
    values = [
        tuple(uniques[j][i] for j, i in enumerate(ix)) for ix in zip(*np.unravel_index(present, dims), strict=True)
    ]
    labels = [_label(columns, v) for v in values]
    by_label = sorted(range(len(values)), key=lambda i: labels[i])
    number = np.empty(len(values), dtype=np.intp)
    number[by_label] = np.arange(len(values))
    if present.size and int(present[-1]) < 4 * combined.size + 1024:
        remap = np.empty(int(present[-1]) + 1, dtype=np.intp)
        remap[present] = number
        stratum_of = remap[combined]
    else:
        stratum_of = number[np.searchsorted(present, combined)]
    return stratum_of, [values[i] for i in by_label]


def _full_order(
    digests: npt.NDArray[np.uint8], at: npt.NDArray[np.intp], codes: pd.Series, members: npt.NDArray[np.intp]
) -> Callable[[npt.NDArray[np.intp]], npt.NDArray[np.intp]]:
    """Order positions within a stratum by whole ticket, then code (used only on a 64-bit tie)."""

    def order(positions: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        def key(i: int) -> tuple[bytes, str]:
            return digests[at[i]].tobytes(), str(codes.iat[int(members[i])])

        return np.array(sorted(positions.tolist(), key=key), dtype=np.intp)

    return order


def _label(columns: Sequence[str], values: Sequence[str]) -> str:
    return "|".join(f"{c}={v}" for c, v in zip(columns, values, strict=True))


def _is_take_all(task: Task, values: Sequence[str]) -> bool:
    return any(v in task.take_all.get(c, ()) for c, v in zip(task.strata, values, strict=True))


def _scope_mask(population: Population, task: Task) -> npt.NDArray[np.bool_]:
    mask = np.ones(len(population), dtype=bool)
    for col, patterns in task.where.items():
        mask &= match_values(population.frame[col], patterns)
    return mask


@dataclass
class _TaskState:
    in_scope: npt.NDArray[np.bool_]
    eligible: npt.NDArray[np.bool_]
    excluded_code: npt.NDArray[np.int8]
    detail: pd.Series


def draw(
    population: pd.DataFrame | Population | Any,
    plan: Plan,
    seed: str,
    *,
    history: History | None = None,
    allow_list: Collection[str] = (),
    workers: int | None = None,
) -> DrawResult:
    """Draw the inspection targets of every task of a plan.

    Parameters
    ----------
    population : pandas.DataFrame, Population or dask.dataframe.DataFrame
        The entities (``uscc`` plus the columns the plan reads). A frame is
        checked with :func:`~shuangsuiji.population.check_population` first.
        A Dask DataFrame is drawn on Dask's current scheduler by
        :func:`shuangsuiji.distributed.draw_dask`, with the same result.
    plan : Plan
        The plan (:func:`~shuangsuiji.plan.load_plan`).
    seed : str
        64 lowercase hex digits, published with the result.
    history : History, optional
        Past inspections, for cool-downs and annual caps.
    allow_list : collection of str
        Legacy codes to accept (when ``population`` is a frame).
    workers : int, optional
        Processes to hash tickets on; default: the available CPUs (at most
        8). The result never depends on it.

    Returns
    -------
    DrawResult

    Raises
    ------
    SeedError, PopulationError, PlanError, AllocationError
        For bad input, naming what to fix.

    Examples
    --------
    >>> from shuangsuiji.plan import parse_plan
    >>> pop = pd.DataFrame({"uscc": ["91110000600037341L", "9144030071526726XG", "91110000710926094P"],
    ...                     "credit_class": ["A", "B", "B"]})
    >>> plan = parse_plan({"id": "P1", "tasks": [{"id": "T1", "department": "市场监管局",
    ...                    "items": ["企业公示信息"], "ratio": "0.5"}]})
    >>> result = draw(pop, plan, "0" * 64)
    >>> result.summary[["task_id", "eligible", "sample"]].to_dict("records")
    [{'task_id': 'T1', 'eligible': 3, 'sample': 2}]
    """
    seed = check_seed(seed)
    if not isinstance(population, (pd.DataFrame, Population)):
        from .distributed import draw_dask, is_dask_frame  # noqa: PLC0415 - Dask loads only when used

        if is_dask_frame(population):
            return draw_dask(population, plan, seed, history=history, allow_list=allow_list)
        raise InputError(
            "draw() takes a pandas or Dask DataFrame or a Population as the population; "
            f"got {type(population).__name__}."
        )
    total = default_workers() if workers is None else max(1, workers)
    if isinstance(population, Population):
        population = fit_plan(population, plan)
        job = _plan_scope_job(seed, plan, population.frame["uscc"], total)
    else:
        # Hash the plan scope's tickets in the background, from the moment the codes are
        # normalised, while the rest of the population is prepared and checked.
        started: list[HashJob | None] = []
        data, rows = prepare_population(
            population, on_codes=lambda codes: started.append(_plan_scope_job(seed, plan, codes, total))
        )
        job = started[0] if started else None
        try:
            population = check_prepared(data, rows, plan, allow_list=allow_list)
        except BaseException:
            if job is not None:
                job.cancel()
            raise
    try:
        warnings = [*plan.warnings, *population.warnings]
        states = _scope_and_exclusions(population, plan, history, warnings)
        factors = _Factors(population.frame)
        planned = [_plan_task(task, states[task.id], factors) for task in plan.tasks]
        tickets = _Tickets(seed, plan, population, states=states, job=job, workers=total)
    except BaseException:
        if job is not None:
            job.cancel()
        raise
    parts = [_draw_task(population, plan, tp, tickets, warnings) for tp in planned]
    selection = _concat(
        [p.selection for p in parts if p.selection is not None],
        ["task_id", "uscc", "stratum", "ticket", "inclusion_probability", "name", "department"],
    )
    allocation = pd.DataFrame(
        [row for p in parts for row in p.allocation_rows],
        columns=["task_id", "stratum", "population", "sample", "threshold", "multiplier", "ratio", "take_all", "quota"],
    )
    excluded = _concat([p.excluded for p in parts if p.excluded is not None], ["task_id", "uscc", "reason", "detail"])
    result = DrawResult(
        plan=plan,
        seed=seed,
        population=population,
        allocations=MappingProxyType({t.id: p.allocation for t, p in zip(plan.tasks, parts, strict=True)}),
        selection=selection,
        allocation=allocation,
        excluded=excluded,
        summary=pd.DataFrame([p.summary for p in parts]),
        warnings=tuple(warnings),
        _outcome=MappingProxyType({t.id: p.outcome for t, p in zip(plan.tasks, parts, strict=True)}),
    )
    _check_result(result)
    return result


def _plan_scope_job(seed: str, plan: Plan, codes: pd.Series, workers: int) -> HashJob | None:
    """Start hashing every code under the plan scope, if a coordinated task needs it."""
    if not any(t.coordination == "plan" for t in plan.tasks):
        return None
    return HashJob(f"{seed}:{plan.id}:".encode(), byte_column(codes), workers=workers - 1)


def _scope_and_exclusions(
    population: Population, plan: Plan, history: History | None, warnings: list[str]
) -> dict[str, _TaskState]:
    states: dict[str, _TaskState] = {}
    warnings.extend(history_warnings(plan, history))
    for task in plan.tasks:
        in_scope = _scope_mask(population, task)
        excl = task_exclusions(population, plan, task, in_scope, history)
        states[task.id] = _TaskState(in_scope, in_scope & (excl.code == 0), excl.code, excl.detail)
    return states


def history_warnings(plan: Plan, history: History | None) -> list[str]:
    """Warnings for tasks that need an inspection history when none was given."""
    return [
        f"Task {task.id!r} sets a cool-down or an annual cap but no inspection history was given; "
        "no entity was excluded for past inspections."
        for task in plan.tasks
        if history is None and (task.exclude_inspected_within_days is not None or task.annual_cap is not None)
    ]


class _Tickets:
    """Tickets per scope: row ``r`` of the population has ``digests[scope][at[scope][r]]``.

    The plan scope covers every row (hashed in the background from the start);
    an independent task's scope covers only that task's eligible rows.
    """

    def __init__(
        self,
        seed: str,
        plan: Plan,
        population: Population,
        *,
        states: Mapping[str, _TaskState],
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
            own = HashJob(f"{seed}:{scope}:".encode(), codes, rows, workers=workers - 1)
            self.digests[scope] = own.result()
            self.keys[scope] = own.keys


@dataclass
class _TaskPlan:
    """What a task needs before tickets exist: strata, allocation, members by stratum."""

    task: Task
    state: _TaskState
    allocation: TaskAllocation
    members: npt.NDArray[np.intp]  # eligible rows grouped by stratum, strata in label order
    bounds: npt.NDArray[np.intp]  # stratum h holds members[bounds[h]:bounds[h + 1]]


def _plan_task(task: Task, st: _TaskState, factors: _Factors) -> _TaskPlan:
    """Strata and allocation of one task (needs no ticket, so it runs while tickets are hashed)."""
    rows = np.flatnonzero(st.eligible)
    stratum_of, values = _strata(factors, rows, task.strata)
    sizes = np.bincount(stratum_of, minlength=len(values))
    alloc = task_allocation(task, values, sizes.tolist())
    # Stable counting sort (numpy radix-sorts 16-bit keys).
    sort_key = stratum_of.astype(np.int16) if len(values) < 2**15 else stratum_of
    members = rows[np.argsort(sort_key, kind="stable")]
    return _TaskPlan(task, st, alloc, members, np.concatenate([[0], np.cumsum(sizes)]).astype(np.intp))


def task_allocation(task: Task, values: Sequence[tuple[str, ...]], sizes: Sequence[int]) -> TaskAllocation:
    """Exact allocation of a task from its strata (value tuples in label order) and their sizes."""
    owner = f"task {task.id!r}"
    specs = [
        StratumSpec(
            _label(task.strata, v),
            int(n),
            stratum_multiplier(task.strata, v, task.multipliers, owner=owner),
            _is_take_all(task, v),
        )
        for v, n in zip(values, sizes, strict=True)
    ]
    return allocate(specs, ratio=task.ratio, floor=task.floor, owner=owner)


def allocation_row(task: Task, alloc: TaskAllocation, h: int, threshold: str) -> tuple[object, ...]:
    """Row of ``allocation.csv`` for stratum ``h`` of a task."""
    sa = alloc.strata[h]
    return (
        task.id,
        sa.label,
        sa.population,
        sa.sample,
        threshold,
        fraction_text(sa.multiplier),
        fraction_text(alloc.ratio),
        sa.take_all,
        fraction_text(sa.quota),
    )


def summary_row(
    task: Task, alloc: TaskAllocation, *, population: int, out_of_scope: int, excluded: int
) -> dict[str, object]:
    """Row of ``summary.csv`` for a task; the counts add up to the population."""
    return {
        "task_id": task.id,
        "department": task.department,
        "category": task.category,
        "coordination": task.coordination,
        "population": population,
        "out_of_scope": out_of_scope,
        "excluded": excluded,
        "eligible": alloc.eligible,
        "strata": len(alloc.strata),
        "base_ratio": fraction_text(alloc.base_ratio),
        "ratio": fraction_text(alloc.ratio),
        "floor": fraction_text(alloc.floor),
        "floor_target": fraction_text(alloc.floor_target),
        "floor_binding": alloc.floor_binding,
        "sample": alloc.sample,
        "not_selected": population - out_of_scope - excluded - alloc.sample,
    }


def empty_task_warning(task: Task) -> str:
    return f"Task {task.id!r} has no eligible entity; nothing was drawn for it."


@dataclass
class _TaskDraw:
    allocation: TaskAllocation
    allocation_rows: list[tuple[object, ...]]
    selection: pd.DataFrame | None
    excluded: pd.DataFrame | None
    summary: dict[str, object]
    outcome: npt.NDArray[np.int8]


def _draw_task(population: Population, plan: Plan, tp: _TaskPlan, tickets: _Tickets, warnings: list[str]) -> _TaskDraw:
    """Selection of one planned task: the n_h smallest tickets of each stratum."""
    task, st, alloc = tp.task, tp.state, tp.allocation
    frame = population.frame
    codes = frame["uscc"]
    scope = task.scope(plan.id)
    out = np.full(len(frame), _OUT, dtype=np.int8)
    out[st.in_scope] = _NOT
    out[st.excluded_code > 0] = _EXCL
    at_scope, digests, keys = tickets.at[scope], tickets.digests[scope], tickets.keys[scope]
    alloc_rows: list[tuple[object, ...]] = []
    chosen_parts, label_parts, ticket_parts, prob_parts = [], [], [], []
    for h, sa in enumerate(alloc.strata):
        members = tp.members[tp.bounds[h] : tp.bounds[h + 1]]
        at = at_scope[members]
        pick = _select(keys[at], sa.sample, _full_order(digests, at, codes, members))
        chosen = members[pick]
        out[chosen] = _SEL
        hexes = tickets_hex(digests[at[pick]])
        alloc_rows.append(allocation_row(task, alloc, h, hexes[-1] if hexes else ""))
        chosen_parts.append(chosen)
        label_parts.append(np.full(chosen.size, h, dtype=np.intp))
        ticket_parts.extend(hexes)
        prob_parts.append(np.full(chosen.size, float(sa.inclusion_probability)))
    selection = None
    if ticket_parts:
        # Strata come in label order and each stratum's picks in ticket order: already sorted.
        chosen = np.concatenate(chosen_parts)
        labels = np.array([s.label for s in alloc.strata], dtype=object)
        selection = pd.DataFrame(
            {
                "task_id": task.id,
                "uscc": codes.iloc[chosen].to_numpy(),
                "stratum": labels[np.concatenate(label_parts)],
                "ticket": ticket_parts,
                "inclusion_probability": np.concatenate(prob_parts),
                "name": frame["name"].iloc[chosen].to_numpy() if "name" in frame.columns else "",
                "department": task.department,
            }
        )
    excluded = None
    ex_rows = np.flatnonzero(st.excluded_code > 0)
    if ex_rows.size:
        excluded = pd.DataFrame(
            {
                "task_id": task.id,
                "uscc": codes.iloc[ex_rows].to_numpy(),
                "reason": [REASONS[c - 1] for c in st.excluded_code[ex_rows].tolist()],
                "detail": st.detail.reindex(ex_rows).to_numpy(),
            }
        ).sort_values("uscc", kind="stable")
    counts = np.bincount(out, minlength=4)
    if alloc.eligible == 0:
        warnings.append(empty_task_warning(task))
    summary = summary_row(
        task, alloc, population=len(frame), out_of_scope=int(counts[_OUT]), excluded=int(counts[_EXCL])
    )
    if summary["not_selected"] != int(counts[_NOT]):
        raise InternalError(f"task {task.id!r}: outcome counts do not add up")
    return _TaskDraw(alloc, alloc_rows, selection, excluded, summary, out)


def _concat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """Concatenate per-task frames (each already in order; tasks in plan order)."""
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "inclusion_probability" else "str") for c in columns})
    return pd.concat(parts, ignore_index=True)[columns]


def _check_result(result: DrawResult) -> None:
    """Re-check the guarantees of the specification on a finished draw."""
    for task in result.plan.tasks:
        alloc = result.allocations[task.id]
        sel = result.selection[result.selection["task_id"] == task.id]
        rows = result.allocation[result.allocation["task_id"] == task.id]
        if alloc.total_quota < alloc.floor_target:
            raise InternalError(f"task {task.id!r}: quota {alloc.total_quota} below floor {alloc.floor_target}")
        if len(sel) != alloc.sample or int(rows["sample"].sum()) != alloc.sample:
            raise InternalError(f"task {task.id!r}: {len(sel)} selected but the allocation says {alloc.sample}")
        if (rows["sample"] > rows["population"]).any():
            raise InternalError(f"task {task.id!r}: a stratum's sample exceeds its population")
        thresholds = dict(zip(rows["stratum"], rows["threshold"], strict=True))
        if not (sel["ticket"] <= sel["stratum"].map(thresholds)).all():
            raise InternalError(f"task {task.id!r}: a selected ticket lies above its stratum's threshold")
        if result.population is None:
            continue
        counts = np.bincount(result._outcome[task.id], minlength=4)
        if int(counts.sum()) != len(result.population) or int(counts[_SEL]) != alloc.sample:
            raise InternalError(f"task {task.id!r}: outcomes do not add up to the population")
