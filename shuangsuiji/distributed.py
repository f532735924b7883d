"""The draw on Dask: the same result, file for file, for populations of any size.

:func:`draw_dask` (also reached by :func:`shuangsuiji.draw` when it is given a
Dask DataFrame) draws exactly what the in-memory engine draws, from the same
specification (``docs/algorithm.md``), without ever gathering the population
in one place and without a shuffle. It makes two passes over the partitions:

1. **Census**, per partition: every column as text, the checks of each row
   (codes, plan columns, credit classes), scope and exclusions of each task,
   strata, and one SHA-256 ticket per entity and scope. Back to the client go
   only the counts per stratum, a histogram of the tickets' leading
   :data:`BUCKET_BITS` bits per stratum, the row problems and the excluded
   rows. The tickets' leading 64 bits (8 bytes per entity and scope) and a
   64-bit fingerprint of each code stay on the workers.
2. **Duplicates across partitions**: the fingerprints are split by their
   leading bits into buckets, each bucket's repeats found by one task; only
   rows whose fingerprint repeats are read again, to compare codes.
3. **Allocation** at the client, exactly as in memory, from the merged counts.
   For each stratum with sample ``n_h``, the histogram tells the bucket that
   holds the ``n_h``-th smallest ticket.
4. **Candidates**, per partition: of each stratum, the entities whose ticket
   lies in that bucket or below, at most the partition's ``n_h`` smallest. The
   client merges them and keeps the ``n_h`` smallest ``(ticket, uscc)``: the
   global ``n_h`` smallest are all among them, so the result is exact. About
   ``n_h + N_h / 2**BUCKET_BITS`` candidates come back per stratum.

Rows are numbered as :func:`shuangsuiji.io.read_table` numbers them: row 2 is
the first entity (the header is row 1), counting across partitions in order.

Examples
--------
>>> import dask.dataframe as dd
>>> import pandas as pd
>>> from shuangsuiji import draw, parse_plan
>>> pop = pd.DataFrame({"uscc": ["91110000600037341L", "9144030071526726XG", "91110000710926094P"],
...                     "credit_class": ["A", "B", "B"]})
>>> plan = parse_plan({"id": "P1", "tasks": [{"id": "T1", "department": "市场监管局",
...                    "items": ["企业公示信息"], "ratio": "0.5"}]})
>>> on_dask = draw(dd.from_pandas(pop, npartitions=2), plan, "0" * 64)
>>> on_dask.selection.equals(draw(pop, plan, "0" * 64).selection)
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import dask
import dask.dataframe as dd
import numpy as np
import numpy.typing as npt
import pandas as pd

from ._dask_rows import DaskFates, RowNumbers, fingerprints, outcomes, own_rows, read_parquet_dask, repeated_codes
from ._i18n import _
from ._kernel import (
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
    stratum_label,
    task_allocation,
)
from ._progress import stage
from ._tickets import ticket_digests, ticket_keys, tickets_hex
from .allocation import TaskAllocation
from .exceptions import InputError, PopulationError, Problem
from .exclusions import History
from .plan import Plan, Task
from .population import (
    Population,
    check_rows,
    header_problems,
    imputed_warning,
    normalised_warning,
    prepare_population,
)
from .seed import Seed

__all__ = ["BUCKET_BITS", "draw_dask", "outcomes", "read_parquet_dask"]

#: Leading ticket bits of the per-stratum histograms of the census.
BUCKET_BITS = 10
_SHIFT = np.uint64(64 - BUCKET_BITS)


# ---------------------------------------------------------------- per partition


@dataclass
class _TaskCensus:
    values: list[tuple[str, ...]]  # the partition's strata, in label order
    sizes: npt.NDArray[np.int64]
    hist: npt.NDArray[np.int64]  # (strata, 2**BUCKET_BITS)
    out_of_scope: int
    excluded: pd.DataFrame | None


@dataclass
class _Census:
    """What pass 1 learns of one partition. ``keys`` and ``prints`` stay on the worker."""

    rows: int
    problems: list[Problem]
    imputed: tuple[int, int]  # entities given the plan's credit class, first such row (or position)
    tasks: list[_TaskCensus]
    keys: dict[str, npt.NDArray[np.uint64]] = field(default_factory=dict)
    prints: npt.NDArray[np.uint64] = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    numbered: bool = False  # the problems and ``imputed`` name rows of the source, not positions
    normalised: tuple[int, int] = (0, 0)  # codes made NFKC or stripped of blanks, first such row (or position)


@dataclass
class _Prepared:
    population: Population
    states: dict[str, TaskState]  # task id -> scope and exclusions
    members: list[npt.NDArray[np.intp]]  # per task: eligible positions
    strata: list[tuple[npt.NDArray[np.intp], list[tuple[str, ...]]]]  # per task: stratum of each member, values


def _prepare(
    part: pd.DataFrame,
    plan: Plan,
    history: History | None,
    source: str,
    allow_list: Collection[str] = (),
    *,
    codes: bool = True,
) -> tuple[_Prepared, list[Problem], tuple[tuple[int, int], tuple[int, int]]]:
    """Text, row checks (credit classes filled in), scope, exclusions and strata of one partition.

    The counts returned are of the entities given the plan's credit class and of the codes
    normalised, each with its first row (or position).

    Problems name the partition's own row numbers (:func:`~shuangsuiji._dask_rows.own_rows`) when
    it has them; otherwise positions within the partition stand in, and the client adds the offsets.
    """
    own = own_rows(part)
    part = part.set_axis(pd.RangeIndex(len(part)))
    data, rows = prepare_population(part, source=source)
    numbers = own if own is not None else np.arange(len(data), dtype=np.int64)
    found = check_rows(data, numbers, plan, source=source, allow_list=allow_list, codes=codes)
    population = Population(frame=data, rows=rows, source=source)
    states = scope_and_exclusions(population, plan, history)
    factors = Factors(data)
    members, stratified = [], []
    for task in plan.tasks:
        eligible = np.flatnonzero(states[task.id].eligible)
        members.append(eligible)
        stratified.append(strata(factors, eligible, task.strata))
    imputed = (found.imputed, int(numbers[found.first_imputed]) if found.first_imputed is not None else 0)
    changed, first = data.attrs.get("normalised", (0, None))
    normalised = (int(changed), int(numbers[first]) if first is not None else 0)
    return _Prepared(population, states, members, stratified), found.problems, (imputed, normalised)


def _scope_keys(seed: Seed, plan: Plan, prepared: _Prepared) -> dict[str, npt.NDArray[np.uint64]]:
    """Leading 64 bits of the tickets: every row for the plan scope, eligible rows for an independent task."""
    codes = prepared.population.frame["uscc"]
    keys: dict[str, npt.NDArray[np.uint64]] = {}
    for task, members in zip(plan.tasks, prepared.members, strict=True):
        scope = task.scope(plan.id)
        if scope in keys:
            continue
        rows = None if task.coordination == "plan" else members
        keys[scope] = ticket_keys(ticket_digests(seed, scope, codes, rows=rows, workers=1))
    return keys


def _task_keys(
    task: Task, plan: Plan, keys: dict[str, npt.NDArray[np.uint64]], members: npt.NDArray[np.intp]
) -> npt.NDArray[np.uint64]:
    """The keys of a task's members, in member order."""
    scope_keys = keys[task.scope(plan.id)]
    return scope_keys[members] if task.coordination == "plan" else scope_keys


def _census(
    part: pd.DataFrame, *, plan: Plan, seed: Seed, history: History | None, allow_list: Collection[str], source: str
) -> _Census:
    """Pass 1 on one partition."""
    if len(part) == 0:
        return _Census(0, [], (0, 0), [])
    prepared, problems, (imputed, normalised) = _prepare(part, plan, history, source, allow_list)
    frame = prepared.population.frame
    numbered = own_rows(part) is not None
    if problems:
        prints = fingerprints(seed, plan, frame["uscc"], {})
        return _Census(len(frame), problems, imputed, [], prints=prints, numbered=numbered, normalised=normalised)
    keys = _scope_keys(seed, plan, prepared)
    tasks = []
    bins = 1 << BUCKET_BITS
    for t, task in enumerate(plan.tasks):
        stratum_of, values = prepared.strata[t]
        k = _task_keys(task, plan, keys, prepared.members[t])
        hist = np.bincount(stratum_of * bins + (k >> _SHIFT).astype(np.intp), minlength=len(values) * bins)
        st = prepared.states[task.id]
        tasks.append(
            _TaskCensus(
                values=values,
                sizes=np.bincount(stratum_of, minlength=len(values)).astype(np.int64),
                hist=hist.reshape(len(values), bins).astype(np.int64),
                out_of_scope=int((~st.in_scope).sum()),
                excluded=excluded_frame(task, frame["uscc"], st),
            )
        )
    prints = fingerprints(seed, plan, frame["uscc"], keys)
    return _Census(
        len(frame), problems, imputed, tasks, keys=keys, prints=prints, numbered=numbered, normalised=normalised
    )


def _summary(census: _Census) -> _Census:
    """The part of a census that goes back to the client."""
    return dataclasses.replace(census, keys={}, prints=np.zeros(0, dtype=np.uint64))


def _candidates(
    part: pd.DataFrame,
    census: _Census,
    *,
    plan: Plan,
    seed: Seed,
    history: History | None,
    source: str,
    targets: list[dict[tuple[str, ...], tuple[int, int, int]]],
) -> pd.DataFrame:
    """Pass 2 on one partition: per stratum, the entities that may be among its ``n_h`` smallest tickets.

    ``targets[t]`` maps a stratum's values to its number in the task, ``n_h`` and boundary bucket.
    """
    if len(part) == 0:
        return _no_candidates()
    prepared, _, _ = _prepare(part, plan, history, source, codes=False)
    frame = prepared.population.frame
    codes = frame["uscc"]
    out = []
    for t, task in enumerate(plan.tasks):
        members = prepared.members[t]
        stratum_of, values = prepared.strata[t]
        k = _task_keys(task, plan, census.keys, members)
        for h, value in enumerate(values):
            number, sample, bucket = targets[t].get(value, (-1, 0, -1))
            if sample == 0:
                continue
            inside = np.flatnonzero(stratum_of == h)
            inside = inside[(k[inside] >> _SHIFT).astype(np.int64) <= bucket]
            if inside.size > sample:
                kth = np.partition(k[inside], sample - 1)[sample - 1]
                inside = inside[k[inside] <= kth]
            rows = members[inside]
            digests = ticket_digests(seed, task.scope(plan.id), codes, rows=rows, workers=1)
            out.append(
                pd.DataFrame(
                    {
                        "task": np.full(rows.size, t, dtype=np.int32),
                        "stratum": np.full(rows.size, number, dtype=np.int32),
                        "key": ticket_keys(digests),
                        "uscc": codes.iloc[rows].to_numpy(),
                        "ticket": tickets_hex(digests),
                        "name": frame["name"].iloc[rows].to_numpy() if "name" in frame.columns else "",
                    }
                )
            )
    return pd.concat(out, ignore_index=True) if out else _no_candidates()


def _no_candidates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "task": pd.Series(dtype="int32"),
            "stratum": pd.Series(dtype="int32"),
            "key": pd.Series(dtype="uint64"),
            **{c: pd.Series(dtype="str") for c in ("uscc", "ticket", "name")},
        }
    )


def _merge_candidates(candidates: pd.DataFrame) -> pd.DataFrame:
    """Candidates in draw order: by task, stratum, then ``(ticket, uscc)``.

    Sorted on the tickets' leading 64 bits; whole tickets and codes decide
    only where those tie within a stratum (about once in 10^9 draws of ten
    million), as in the memory engine.
    """
    keys = (candidates["task"].to_numpy(), candidates["stratum"].to_numpy(), candidates["key"].to_numpy())
    order = np.lexsort(keys[::-1])
    ranked = candidates.iloc[order].reset_index(drop=True)
    t, h, k = (a[order] for a in keys)
    tie = (t[1:] == t[:-1]) & (h[1:] == h[:-1]) & (k[1:] == k[:-1])
    if tie.any():
        ranked = ranked.sort_values(["task", "stratum", "ticket", "uscc"], kind="stable", ignore_index=True)
    return ranked


# ---------------------------------------------------------------- at the client


def _bucket_of(hist: npt.NDArray[np.int64], sample: int) -> int:
    """The histogram bucket holding the ``sample``-th smallest ticket."""
    return int(np.searchsorted(np.cumsum(hist), sample))


def draw_dask(
    population: dd.DataFrame,
    plan: Plan,
    seed: str | Seed,
    *,
    history: History | None = None,
    allow_list: Collection[str] = (),
    source: str = "<dask>",
) -> DrawResult:
    """Draw a plan on a population held in a Dask DataFrame; equal to the in-memory draw.

    Runs on Dask's current scheduler (a ``distributed.Client`` if one is
    active). Hashing holds Python's GIL, so use a scheduler of processes (a
    ``distributed.LocalCluster``, as :class:`~shuangsuiji.engines.DaskEngine` does) to use
    several cores.

    Parameters
    ----------
    population : dask.dataframe.DataFrame
        The entities, one row per entity, as :func:`shuangsuiji.draw` takes them.
    plan, seed, history, allow_list
        As for :func:`shuangsuiji.draw`.
    source : str
        Name of the population in messages.

    Returns
    -------
    DrawResult
        With ``population=None``: the rows stay on the cluster (its
        :meth:`~shuangsuiji.sampling.DrawResult.outcomes` reads them again; :func:`outcomes`
        gives them lazily).

    Raises
    ------
    SeedError, PopulationError, PlanError, AllocationError
        As the in-memory draw; a population's problems are all reported at
        once, with rows numbered across partitions.
    """
    seed, header = Seed.of(seed), header_problems([str(c) for c in population.columns], plan, source)
    if header:
        raise PopulationError(header)
    parts, allow = population.to_delayed(), frozenset(allow_list)
    hist_d = dask.delayed(history, pure=False) if history is not None else None
    plan_d = dask.delayed(plan, pure=False)
    stage(_("counting the population's partitions (Dask)"))
    census = dask.persist(
        *[
            dask.delayed(_census)(p, plan=plan_d, seed=seed, history=hist_d, allow_list=allow, source=source)
            for p in parts
        ]
    )
    summaries: list[_Census] = list(dask.compute(*[dask.delayed(_summary)(c) for c in census]))
    rows = RowNumbers(summaries)
    if rows.total == 0:
        raise PopulationError([Problem(source, None, None, None, _("the table has no rows; a draw needs entities"))])
    problems = [
        dataclasses.replace(x, row=x.row if x.row is None or s.numbered else rows(p, x.row))
        for p, s in enumerate(summaries)
        for x in s.problems
    ]
    problems += repeated_codes(parts, census, rows, source)
    if problems:
        raise PopulationError(sorted(problems, key=lambda x: -1 if x.row is None else x.row))
    allocations, targets = _allocate(plan, summaries)
    stage(_("drawing the tasks' candidates from every partition (Dask)"))
    found = dask.compute(
        *[
            dask.delayed(_candidates)(p, c, plan=plan_d, seed=seed, history=hist_d, source=source, targets=targets)
            for p, c in zip(parts, census, strict=True)
        ]
    )
    candidates = _merge_candidates(pd.concat(found, ignore_index=True))
    tasks = [
        _task_draw(task, t, allocations[task.id], candidates=candidates, summaries=summaries, total=rows.total)
        for t, task in enumerate(plan.tasks)
    ]
    warnings = _warnings(plan, summaries, rows, history, list(map(str, population.columns)))
    return assemble(
        plan, seed.hex, tasks, population=None, warnings=warnings, engine="dask", fates=DaskFates(population)
    )


def _warnings(
    plan: Plan, summaries: Sequence[_Census], rows: RowNumbers, history: History | None, columns: list[str]
) -> list[str]:
    """Every warning of the draw, in the memory engine's order (docs/formats.md, ``warnings``)."""
    counted = _counted_warnings(plan, summaries, rows)
    return [*plan.warnings, *counted, *history_warnings(plan, history), *status_warnings(plan, columns)]


def _counted_warnings(plan: Plan, summaries: Sequence[_Census], rows: RowNumbers) -> list[str]:
    """The population's warnings in the memory engine's order: codes normalised, then classes filled in."""
    return [*_normalised_warnings(summaries, rows), *_imputed_warnings(plan, summaries, rows)]


def _normalised_warnings(summaries: Sequence[_Census], rows: RowNumbers) -> list[str]:
    """The memory engine's warning for codes normalised, counted over the partitions (first row of the first)."""
    changed = [(p, s.normalised) for p, s in enumerate(summaries) if s.normalised[0]]
    if not changed:
        return []
    first, (_, at) = changed[0]
    row = at if summaries[first].numbered else rows(first, at)
    return [normalised_warning(sum(c[0] for _, c in changed), row)]


def _imputed_warnings(plan: Plan, summaries: Sequence[_Census], rows: RowNumbers) -> list[str]:
    imputed = [(p, s.imputed) for p, s in enumerate(summaries) if s.imputed[0]]
    if not imputed or plan.credit.missing is None:
        return []
    count = sum(i[0] for _, i in imputed)
    first, (_, at) = imputed[0]
    row = at if summaries[first].numbered else rows(first, at)
    return [imputed_warning(count, row, plan.credit.missing)]


def _allocate(
    plan: Plan, summaries: Sequence[_Census]
) -> tuple[dict[str, TaskAllocation], list[dict[tuple[str, ...], tuple[int, int, int]]]]:
    """Each task's exact allocation from the merged counts, and each stratum's number, sample and boundary bucket."""
    allocations, targets = {}, []
    for t, task in enumerate(plan.tasks):
        sizes: dict[tuple[str, ...], int] = {}
        hists: dict[tuple[str, ...], npt.NDArray[np.int64]] = {}
        for s in summaries:
            if not s.rows:
                continue
            tc = s.tasks[t]
            for h, value in enumerate(tc.values):
                sizes[value] = sizes.get(value, 0) + int(tc.sizes[h])
                hists[value] = hists[value] + tc.hist[h] if value in hists else tc.hist[h].copy()
        labels = {v: stratum_label(task.strata, v) for v in sizes}
        values = sorted(sizes, key=lambda v: labels[v])
        alloc = task_allocation(task, values, [sizes[v] for v in values])
        allocations[task.id] = alloc
        targets.append(
            {
                v: (h, sa.sample, _bucket_of(hists[v], sa.sample))
                for h, (v, sa) in enumerate(zip(values, alloc.strata, strict=True))
            }
        )
    return allocations, targets


def _task_draw(
    task: Task, t: int, alloc: TaskAllocation, *, candidates: pd.DataFrame, summaries: Sequence[_Census], total: int
) -> TaskDraw:
    """One task's draw: the first ``n_h`` merged candidates of each of its strata."""
    group = candidates["task"].to_numpy().astype(np.int64) << 32 | candidates["stratum"].to_numpy().astype(np.int64)
    starts = np.searchsorted(group, (t << 32) + np.arange(len(alloc.strata) + 1, dtype=np.int64))
    picks, numbers, thresholds = [], [], []
    for h, sa in enumerate(alloc.strata):
        taken = np.arange(starts[h], starts[h] + sa.sample)
        if starts[h] + sa.sample > starts[h + 1]:
            raise InputError(
                _("task {task!r}, stratum {stratum}: the partitions changed between passes").format(
                    task=task.id, stratum=sa.label
                )
            )
        thresholds.append(str(candidates["ticket"].iat[int(taken[-1])]) if sa.sample else "")
        picks.append(taken)
        numbers.append(np.full(sa.sample, h, dtype=np.intp))
    selection = None
    if alloc.sample:
        chosen = candidates.iloc[np.concatenate(picks)]
        selection = selection_frame(
            task,
            alloc,
            uscc=chosen["uscc"].to_numpy(),
            stratum=np.concatenate(numbers),
            tickets=chosen["ticket"].tolist(),
            names=chosen["name"].to_numpy(),
        )
    ex = [s.tasks[t].excluded for s in summaries if s.rows and s.tasks[t].excluded is not None]
    return TaskDraw(
        task=task,
        allocation=alloc,
        thresholds=thresholds,
        selection=selection,
        excluded=pd.concat(ex, ignore_index=True).sort_values("uscc", kind="stable") if ex else None,
        population=total,
        out_of_scope=sum(s.tasks[t].out_of_scope for s in summaries if s.rows),
    )
