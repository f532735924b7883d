"""The draw's kernel: what the memory engine and the Dask engine share (private module).

Both engines (:mod:`shuangsuiji.sampling` in memory, :mod:`shuangsuiji.distributed`
on Dask) implement ``docs/algorithm.md`` from these pieces, so the two cannot
drift apart: the scope and exclusions of each task, the strata and their
labels, the exact allocation, the rows of ``allocation.csv`` and
``summary.csv``, the selection and exclusion frames, the :class:`DrawResult`
both return, and the re-check of a finished draw against the specification.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._i18n import N_, _
from .allocation import StratumSpec, TaskAllocation, allocate
from .credit import stratum_multiplier
from .exceptions import InternalError
from .exclusions import REASONS, History, task_exclusions
from .plan import Plan, Task
from .population import Population, match_values
from .validation import fraction_text

__all__ = [
    "ALGORITHM",
    "ALLOCATION_COLUMNS",
    "EXCLUDED_CODE",
    "EXCLUDED_COLUMNS",
    "NOT_SELECTED_CODE",
    "OUTCOMES",
    "OUT_OF_SCOPE_CODE",
    "SELECTED_CODE",
    "SELECTION_COLUMNS",
    "DrawResult",
    "Factors",
    "TaskDraw",
    "TaskState",
    "assemble",
    "excluded_frame",
    "history_warnings",
    "scope_and_exclusions",
    "scope_mask",
    "selection_frame",
    "status_warnings",
    "strata",
    "stratum_label",
    "task_allocation",
]

#: Name and version of the draw specification both engines implement.
ALGORITHM = "shuangsuiji-draw/1"
#: What became of each population row in a task, by outcome code 0..3.
OUTCOMES: tuple[str, ...] = ("out_of_scope", "excluded", "not_selected", "selected")
OUT_OF_SCOPE_CODE, EXCLUDED_CODE, NOT_SELECTED_CODE, SELECTED_CODE = range(4)
#: Columns of the draw's tables, in file order.
SELECTION_COLUMNS = ["task_id", "uscc", "stratum", "ticket", "inclusion_probability", "name", "department"]
ALLOCATION_COLUMNS = [
    "task_id",
    "stratum",
    "population",
    "sample",
    "threshold",
    "multiplier",
    "ratio",
    "take_all",
    "quota",
]
EXCLUDED_COLUMNS = ["task_id", "uscc", "reason", "detail"]


def stratum_label(columns: Sequence[str], values: Sequence[str]) -> str:
    """A stratum's label: ``col=value`` for each strata column, joined by ``|``.

    Examples
    --------
    >>> stratum_label(["credit_class", "region"], ["A", "410302"])
    'credit_class=A|region=410302'
    """
    return "|".join(f"{c}={v}" for c, v in zip(columns, values, strict=True))


def _memory_fates(result: DrawResult, task_id: str) -> pd.DataFrame:
    population = result.population
    if population is None:  # pragma: no cover - a memory draw always keeps its population
        raise InternalError("a draw in memory lost its population")
    return pd.DataFrame(
        {
            "uscc": population.uscc.to_numpy(),
            "row": population.rows,
            "outcome": pd.Categorical.from_codes(result._outcome[task_id], categories=pd.Index(OUTCOMES)),
        }
    )


@dataclass(frozen=True, eq=False)
class DrawResult:
    """Everything a draw produced, from either engine. Frames are sorted, so equal draws are equal files.

    Attributes
    ----------
    plan : Plan
        The plan drawn.
    seed : str
        The seed.
    population : Population or None
        The checked population; ``None`` for a draw on Dask, whose population
        stays on the cluster.
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
    engine : str
        ``memory`` or ``dask``: which engine drew it (the result is the same).
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
    engine: str = "memory"
    _outcome: Mapping[str, npt.NDArray[np.int8]] = field(default_factory=dict, repr=False)
    _fates: Callable[[DrawResult, str], pd.DataFrame] = field(default=_memory_fates, repr=False)

    @property
    def population_size(self) -> int:
        """Rows of the population drawn from."""
        return int(self.summary["population"].iloc[0]) if len(self.summary) else 0

    def outcomes(self, task_id: str) -> pd.DataFrame:
        """Every population row's fate in one task: nothing is lost.

        On a draw made on Dask the rows are read again from the cluster, one
        partition at a time (:func:`shuangsuiji.distributed.outcomes` gives
        them as a lazy Dask DataFrame instead).

        Returns
        -------
        pandas.DataFrame
            ``uscc, row, outcome`` in population order, with ``outcome`` one of
            :data:`OUTCOMES`.

        Raises
        ------
        NotFoundError
            If the plan has no such task.
        """
        self.plan.task(task_id)
        return self._fates(self, task_id)


class Factors:
    """Each column factorized once per draw, shared by the tasks that stratify by it."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame
        self._done: dict[str, tuple[npt.NDArray[np.intp], list[str]]] = {}

    def __getitem__(self, column: str) -> tuple[npt.NDArray[np.intp], list[str]]:
        if column not in self._done:
            code, uniq = pd.factorize(self._frame[column])
            self._done[column] = (np.asarray(code, dtype=np.intp), [str(u) for u in uniq])
        return self._done[column]


def _present(combined: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    """The distinct values of ``combined``, sorted (a linear-time count when they are few)."""
    top = int(combined.max())
    if top < 4 * combined.size + 1024:
        return np.flatnonzero(np.bincount(combined, minlength=top + 1))
    return np.unique(combined)


def strata(
    factors: Factors, rows: npt.NDArray[np.intp], columns: Sequence[str]
) -> tuple[npt.NDArray[np.intp], list[tuple[str, ...]]]:
    """Stratum number of each of ``rows`` (strata numbered in label order) and each stratum's values."""
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
        present = _present(combined)
    values = [
        tuple(uniques[j][i] for j, i in enumerate(ix)) for ix in zip(*np.unravel_index(present, dims), strict=True)
    ]
    labels = [stratum_label(columns, v) for v in values]
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


def scope_mask(population: Population, task: Task) -> npt.NDArray[np.bool_]:
    """Which rows pass the task's ``where``."""
    mask = np.ones(len(population), dtype=bool)
    for col, patterns in task.where.items():
        mask &= match_values(population.frame[col], patterns)
    return mask


@dataclass
class TaskState:
    """A task's scope and exclusions over the rows of a population (or of a partition)."""

    in_scope: npt.NDArray[np.bool_]
    eligible: npt.NDArray[np.bool_]
    excluded_code: npt.NDArray[np.int8]
    detail: pd.Series


def scope_and_exclusions(population: Population, plan: Plan, history: History | None) -> dict[str, TaskState]:
    """Scope and exclusions of every task of the plan, by task id."""
    states: dict[str, TaskState] = {}
    for task in plan.tasks:
        in_scope = scope_mask(population, task)
        excl = task_exclusions(population, plan, task, in_scope, history)
        states[task.id] = TaskState(in_scope, in_scope & (excl.code == 0), excl.code, excl.detail)
    return states


def history_warnings(plan: Plan, history: History | None) -> list[str]:
    """Warnings for tasks that need an inspection history when none was given."""
    text = N_(
        "Task {task!r} sets a cool-down or an annual cap but no inspection history was given; "
        "no entity was excluded for past inspections."
    )
    return [
        text.format(task=task.id)
        for task in plan.tasks
        if history is None and (task.exclude_inspected_within_days is not None or task.annual_cap is not None)
    ]


def status_warnings(plan: Plan, columns: Sequence[str]) -> list[str]:
    """A warning when the population has no status column: nobody is then excluded as not operating."""
    if plan.status_column in columns:
        return []
    text = N_(
        "The population has no {column!r} column: no entity was excluded as not operating "
        "(deregistered or revoked firms can be drawn); add the register's status column, or name it with "
        "'exclusions.status_column'."
    )
    return [text.format(column=plan.status_column)]


def task_allocation(task: Task, values: Sequence[tuple[str, ...]], sizes: Sequence[int]) -> TaskAllocation:
    """Exact allocation of a task from its strata (value tuples in label order) and their sizes."""
    owner = _("task {task!r}").format(task=task.id)
    specs = [
        StratumSpec(
            stratum_label(task.strata, v),
            int(n),
            stratum_multiplier(task.strata, v, task.multipliers, owner=owner),
            any(x in task.take_all.get(c, ()) for c, x in zip(task.strata, v, strict=True)),
        )
        for v, n in zip(values, sizes, strict=True)
    ]
    return allocate(specs, ratio=task.ratio, floor=task.floor, minimum=task.minimum or 0, owner=owner)


def excluded_frame(task: Task, codes: pd.Series, state: TaskState) -> pd.DataFrame | None:
    """``task_id, uscc, reason, detail`` of the rows a task excludes (``None`` when there are none)."""
    rows = np.flatnonzero(state.excluded_code > 0)
    if not rows.size:
        return None
    return pd.DataFrame(
        {
            "task_id": task.id,
            "uscc": codes.iloc[rows].to_numpy(),
            "reason": [REASONS[c - 1] for c in state.excluded_code[rows].tolist()],
            "detail": state.detail.reindex(rows).to_numpy(),
        }
    )


def selection_frame(
    task: Task,
    alloc: TaskAllocation,
    *,
    uscc: npt.ArrayLike,
    stratum: npt.NDArray[np.intp],
    tickets: Sequence[str],
    names: npt.ArrayLike | str,
) -> pd.DataFrame:
    """The selection rows of a task: stratum number, ticket and name of each entity drawn, in draw order."""
    labels = np.array([s.label for s in alloc.strata], dtype=object)
    probability = np.array([float(s.inclusion_probability) for s in alloc.strata], dtype=np.float64)
    return pd.DataFrame(
        {
            "task_id": task.id,
            "uscc": uscc,
            "stratum": labels[stratum],
            "ticket": tickets,
            "inclusion_probability": probability[stratum],
            "name": names,
            "department": task.department,
        }
    )


@dataclass
class TaskDraw:
    """One task's share of a draw, as either engine computes it."""

    task: Task
    allocation: TaskAllocation
    thresholds: list[str]  # per stratum, in label order ("" where nothing was drawn)
    selection: pd.DataFrame | None
    excluded: pd.DataFrame | None  # sorted by uscc
    population: int
    out_of_scope: int
    outcome: npt.NDArray[np.int8] | None = None  # per population row (memory engine only)


def _allocation_rows(td: TaskDraw) -> list[tuple[object, ...]]:
    alloc = td.allocation
    return [
        (
            td.task.id,
            sa.label,
            sa.population,
            sa.sample,
            threshold,
            fraction_text(sa.multiplier),
            fraction_text(alloc.ratio),
            sa.take_all,
            fraction_text(sa.quota),
        )
        for sa, threshold in zip(alloc.strata, td.thresholds, strict=True)
    ]


def _summary_row(td: TaskDraw) -> dict[str, object]:
    task, alloc = td.task, td.allocation
    excluded = 0 if td.excluded is None else len(td.excluded)
    return {
        "task_id": task.id,
        "department": task.department,
        "category": task.category,
        "coordination": task.coordination,
        "population": td.population,
        "out_of_scope": td.out_of_scope,
        "excluded": excluded,
        "eligible": alloc.eligible,
        "strata": len(alloc.strata),
        "base_ratio": fraction_text(alloc.base_ratio),
        "ratio": fraction_text(alloc.ratio),
        "floor": fraction_text(alloc.floor),
        "floor_target": fraction_text(alloc.floor_target),
        "floor_binding": alloc.floor_binding,
        "sample": alloc.sample,
        "not_selected": td.population - td.out_of_scope - excluded - alloc.sample,
    }


def _concat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """Concatenate per-task frames (each already in order; tasks in plan order)."""
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "inclusion_probability" else "str") for c in columns})
    return pd.concat(parts, ignore_index=True)[columns]


def assemble(
    plan: Plan,
    seed: str,
    parts: Sequence[TaskDraw],
    *,
    population: Population | None,
    warnings: Sequence[str],
    engine: str,
    fates: Callable[[DrawResult, str], pd.DataFrame] = _memory_fates,
) -> DrawResult:
    """The :class:`DrawResult` of the tasks' draws, re-checked against the specification.

    Raises
    ------
    InternalError
        If the result breaks a guarantee of the specification (a bug).
    """
    notes = list(warnings)
    empty = N_("Task {task!r} has no eligible entity; nothing was drawn for it.")
    notes += [empty.format(task=p.task.id) for p in parts if not p.allocation.eligible]
    short = N_("Task {task!r} asks for at least {minimum} but only {eligible} are eligible; all {eligible} were drawn.")
    notes += [
        short.format(task=p.task.id, minimum=p.allocation.minimum, eligible=p.allocation.eligible)
        for p in parts
        if 0 < p.allocation.eligible < p.allocation.minimum
    ]
    result = DrawResult(
        plan=plan,
        seed=seed,
        population=population,
        allocations=MappingProxyType({p.task.id: p.allocation for p in parts}),
        selection=_concat([p.selection for p in parts if p.selection is not None], SELECTION_COLUMNS),
        allocation=pd.DataFrame([row for p in parts for row in _allocation_rows(p)], columns=ALLOCATION_COLUMNS),
        excluded=_concat([p.excluded for p in parts if p.excluded is not None], EXCLUDED_COLUMNS),
        summary=pd.DataFrame([_summary_row(p) for p in parts]),
        warnings=tuple(notes),
        engine=engine,
        _outcome=MappingProxyType({p.task.id: p.outcome for p in parts if p.outcome is not None}),
        _fates=fates,
    )
    check_result(result)
    return result


def check_result(result: DrawResult) -> None:
    """Re-check the guarantees of the specification on a finished draw.

    Raises
    ------
    InternalError
        Naming the task and the guarantee broken.
    """
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
        summary = result.summary[result.summary["task_id"] == task.id].iloc[0]
        if int(summary["not_selected"]) < 0:
            raise InternalError(f"task {task.id!r}: outcome counts do not add up")
        if task.id not in result._outcome or result.population is None:
            continue
        counts = np.bincount(result._outcome[task.id], minlength=4)
        if int(counts.sum()) != len(result.population) or int(counts[SELECTED_CODE]) != alloc.sample:
            raise InternalError(f"task {task.id!r}: outcomes do not add up to the population")
        if int(counts[NOT_SELECTED_CODE]) != int(summary["not_selected"]):
            raise InternalError(f"task {task.id!r}: outcome counts do not add up")
