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

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._strings import byte_column
from .allocation import StratumSpec, TaskAllocation, allocate
from .credit import stratum_multiplier
from .exceptions import InternalError
from .exclusions import REASONS, History, task_exclusions
from .plan import Plan, Task
from .population import Population, check_population, fit_plan, match_values
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
    seed: str, scope: str, codes: pd.Series | Sequence[str], *, chunk_size: int = _CHUNK
) -> npt.NDArray[np.uint8]:
    """Raw SHA-256 tickets of many codes, as an ``(n, 32)`` byte matrix.

    Equal to ``bytes.fromhex(ticket(seed, scope, c))`` for each code ``c``,
    computed in chunks (bounded memory) with the messages assembled as byte
    matrices when all codes have one length.

    Examples
    --------
    >>> d = ticket_digests("0" * 64, "P1", ["91110000600037341L"])
    >>> d.tobytes().hex() == ticket("0" * 64, "P1", "91110000600037341L")
    True
    """
    check_seed(seed)
    col = byte_column(codes)
    n = len(col)
    out = np.empty((n, 32), dtype=np.uint8)
    prefix = np.frombuffer(f"{seed}:{scope}:".encode(), dtype=np.uint8)
    width = col.uniform_width()
    sha = hashlib.sha256
    for start in range(0, n, chunk_size):
        stop = min(n, start + chunk_size)
        if width is not None:
            body = col.matrix(start, stop)
        if width is not None and not (body[:, -1] == 0).any():
            msg = np.empty((stop - start, prefix.size + width), dtype=np.uint8)
            msg[:, : prefix.size] = prefix
            msg[:, prefix.size :] = body
            # A fixed-width bytes view lists each row as one bytes object (no
            # trailing NUL to lose: the last byte was checked above).
            messages = msg.view(f"S{prefix.size + width}").ravel().tolist()
        else:
            head = prefix.tobytes()
            messages = [head + b for b in col.to_bytes(start, stop)]
        digests = b"".join([sha(m).digest() for m in messages])
        out[start:stop] = np.frombuffer(digests, dtype=np.uint8).reshape(-1, 32)
    return out


def tickets_hex(digests: npt.NDArray[np.uint8]) -> list[str]:
    """Hex text of raw tickets (rows of an ``(n, 32)`` matrix).

    Examples
    --------
    >>> tickets_hex(np.zeros((1, 32), dtype=np.uint8)) == ["0" * 64]
    True
    """
    text = np.ascontiguousarray(digests).tobytes().hex()
    return [text[i : i + 64] for i in range(0, len(text), 64)]


def _key(digests: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]:
    """The first 8 bytes of each ticket as a big-endian integer: orders like the ticket."""
    return np.ascontiguousarray(digests[:, :8]).view(">u8").ravel().astype(np.uint64)


def select_smallest(
    digests: npt.NDArray[np.uint8], k: int, codes: Callable[[int], str] | Sequence[str] | None = None
) -> npt.NDArray[np.intp]:
    """Positions of the ``k`` smallest ``(ticket, code)`` pairs, smallest first.

    Works in linear time on the tickets' leading 64 bits and compares whole
    tickets (then codes) only among rows whose leading bits tie.

    Parameters
    ----------
    digests : numpy.ndarray
        ``(m, 32)`` raw tickets.
    k : int
        How many to take, ``0 <= k <= m``.
    codes : sequence of str or callable, optional
        The codes (or position -> code), the last tie-break. Only read when
        two whole tickets are equal, which SHA-256 makes practically
        impossible for distinct codes.

    Examples
    --------
    >>> d = np.array([[3] * 32, [1] * 32, [2] * 32], dtype=np.uint8)
    >>> select_smallest(d, 2).tolist()
    [1, 2]
    """
    m = len(digests)
    if not 0 <= k <= m:
        raise ValueError(f"cannot take {k} of {m}")
    if k == 0:
        return np.zeros(0, dtype=np.intp)
    key = _key(digests)
    if k < m:
        kth = key[np.argpartition(key, k - 1)[k - 1]]
        candidates = np.flatnonzero(key <= kth)
    else:
        candidates = np.arange(m)
    order = candidates[np.argsort(key[candidates], kind="stable")]
    ordered = key[order]
    if (ordered[1:] == ordered[:-1]).any():
        # Leading 64 bits tie: order the candidates by whole ticket, then code.
        code_of = codes if callable(codes) else (lambda i: "" if codes is None else codes[i])
        order = np.array(sorted(order.tolist(), key=lambda i: (digests[i].tobytes(), code_of(i))), dtype=np.intp)
    return order[:k]


@dataclass(frozen=True, eq=False)
class DrawResult:
    """Everything a draw produced. Frames are sorted, so equal draws are equal files.

    Attributes
    ----------
    plan : Plan
        The plan drawn.
    seed : str
        The seed.
    population : Population
        The checked population.
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
    population: Population
    allocations: Mapping[str, TaskAllocation]
    selection: pd.DataFrame
    allocation: pd.DataFrame
    excluded: pd.DataFrame
    summary: pd.DataFrame
    warnings: tuple[str, ...] = ()
    _outcome: Mapping[str, npt.NDArray[np.int8]] = field(default_factory=dict, repr=False)

    def outcomes(self, task_id: str) -> pd.DataFrame:
        """Every population row's fate in one task: nothing is lost.

        Returns
        -------
        pandas.DataFrame
            ``uscc, row, outcome`` in population order, with ``outcome`` one of
            :data:`OUTCOMES`.
        """
        self.plan.task(task_id)
        codes = self._outcome[task_id]
        return pd.DataFrame(
            {
                "uscc": self.population.uscc.to_numpy(),
                "row": self.population.rows,
                "outcome": pd.Categorical.from_codes(codes, categories=pd.Index(OUTCOMES)),
            }
        )


def _strata(
    frame: pd.DataFrame, rows: npt.NDArray[np.intp], columns: Sequence[str]
) -> tuple[npt.NDArray[np.intp], list[tuple[str, ...]]]:
    """Stratum index of each row (by label order) and each stratum's values."""
    if rows.size == 0:
        return np.zeros(0, dtype=np.intp), []
    codes, uniques = [], []
    for c in columns:
        code, uniq = pd.factorize(frame[c].iloc[rows])
        codes.append(code)
        uniques.append([str(u) for u in uniq])
    dims = tuple(len(u) for u in uniques)
    combined = np.ravel_multi_index(codes, dims) if np.prod(dims, dtype=float) < 2**62 else None
    if combined is None:  # pragma: no cover - needs > 2**62 value combinations
        combined, _ = pd.factorize(pd.MultiIndex.from_arrays(codes))
    present, inverse = np.unique(combined, return_inverse=True)
    values = [
        tuple(uniques[j][i] for j, i in enumerate(ix)) for ix in zip(*np.unravel_index(present, dims), strict=True)
    ]
    labels = [_label(columns, v) for v in values]
    by_label = sorted(range(len(values)), key=lambda i: labels[i])
    rank = np.empty(len(values), dtype=np.intp)
    rank[by_label] = np.arange(len(values))
    return rank[inverse], [values[i] for i in by_label]


def _code_at(codes: pd.Series, members: npt.NDArray[np.intp]) -> Callable[[int], str]:
    """Position within a stratum -> the entity's code (read only on a ticket tie)."""

    def code(i: int) -> str:
        return str(codes.iat[int(members[i])])

    return code


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
    population: pd.DataFrame | Population,
    plan: Plan,
    seed: str,
    *,
    history: History | None = None,
    allow_list: Collection[str] = (),
) -> DrawResult:
    """Draw the inspection targets of every task of a plan.

    Parameters
    ----------
    population : pandas.DataFrame or Population
        The entities (``uscc`` plus the columns the plan reads). A frame is
        checked with :func:`~shuangsuiji.population.check_population` first.
    plan : Plan
        The plan (:func:`~shuangsuiji.plan.load_plan`).
    seed : str
        64 lowercase hex digits, published with the result.
    history : History, optional
        Past inspections, for cool-downs and annual caps.
    allow_list : collection of str
        Legacy codes to accept (when ``population`` is a frame).

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
    if isinstance(population, Population):
        population = fit_plan(population, plan)
    else:
        population = check_population(population, plan, allow_list=allow_list)
    frame = population.frame
    codes = frame["uscc"]
    warnings = [*plan.warnings, *population.warnings]

    # Phase 1: scope and exclusions of every task.
    states: dict[str, _TaskState] = {}
    for task in plan.tasks:
        in_scope = _scope_mask(population, task)
        if history is None and (task.exclude_inspected_within_days is not None or task.annual_cap is not None):
            warnings.append(
                f"Task {task.id!r} sets a cool-down or an annual cap but no inspection history was given; "
                "no entity was excluded for past inspections."
            )
        excl = task_exclusions(population, plan, task, in_scope, history)
        states[task.id] = _TaskState(in_scope, in_scope & (excl.code == 0), excl.code, excl.detail)

    # Phase 2: tickets, once per scope, for the rows some task of that scope may draw.
    ticket_rows: dict[str, npt.NDArray[np.intp]] = {}
    ticket_at: dict[str, npt.NDArray[np.intp]] = {}
    digests: dict[str, npt.NDArray[np.uint8]] = {}
    for scope in dict.fromkeys(t.scope(plan.id) for t in plan.tasks):
        need = np.zeros(len(frame), dtype=bool)
        for t in plan.tasks:
            if t.scope(plan.id) == scope:
                need |= states[t.id].eligible
        rows = np.flatnonzero(need)
        at = np.full(len(frame), -1, dtype=np.intp)
        at[rows] = np.arange(rows.size)
        ticket_rows[scope], ticket_at[scope] = rows, at
        digests[scope] = ticket_digests(seed, scope, codes.iloc[rows])

    # Phase 3: strata, allocation and selection per task.
    has_name = "name" in frame.columns
    allocations: dict[str, TaskAllocation] = {}
    outcome: dict[str, npt.NDArray[np.int8]] = {}
    sel_parts, alloc_rows, excl_parts, summary_rows = [], [], [], []
    for task in plan.tasks:
        st = states[task.id]
        scope = task.scope(plan.id)
        owner = f"task {task.id!r}"
        rows = np.flatnonzero(st.eligible)
        stratum_of, values = _strata(frame, rows, task.strata)
        sizes = np.bincount(stratum_of, minlength=len(values))
        specs = [
            StratumSpec(
                _label(task.strata, v),
                int(sizes[h]),
                stratum_multiplier(task.strata, v, task.multipliers, owner=owner),
                _is_take_all(task, v),
            )
            for h, v in enumerate(values)
        ]
        alloc = allocate(specs, ratio=task.ratio, floor=task.floor, owner=owner)
        allocations[task.id] = alloc
        out = np.full(len(frame), _OUT, dtype=np.int8)
        out[st.in_scope] = _NOT
        out[st.excluded_code > 0] = _EXCL
        members_sorted = rows[np.argsort(stratum_of, kind="stable")]
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        chosen_parts, label_parts, ticket_parts, prob_parts = [], [], [], []
        for h, sa in enumerate(alloc.strata):
            members = members_sorted[bounds[h] : bounds[h + 1]]
            d = digests[scope][ticket_at[scope][members]]
            pick = select_smallest(d, sa.sample, _code_at(codes, members))
            chosen = members[pick]
            out[chosen] = _SEL
            hexes = tickets_hex(d[pick])
            alloc_rows.append(
                (
                    task.id,
                    sa.label,
                    sa.population,
                    sa.sample,
                    hexes[-1] if hexes else "",
                    fraction_text(sa.multiplier),
                    fraction_text(alloc.ratio),
                    sa.take_all,
                    fraction_text(sa.quota),
                )
            )
            chosen_parts.append(chosen)
            label_parts.append(np.full(chosen.size, h, dtype=np.intp))
            ticket_parts.extend(hexes)
            prob_parts.append(np.full(chosen.size, float(sa.inclusion_probability)))
        if ticket_parts:
            chosen = np.concatenate(chosen_parts)
            labels = np.array([s.label for s in alloc.strata], dtype=object)
            sel_parts.append(
                pd.DataFrame(
                    {
                        "task_id": task.id,
                        "uscc": codes.iloc[chosen].to_numpy(),
                        "stratum": labels[np.concatenate(label_parts)],
                        "ticket": ticket_parts,
                        "inclusion_probability": np.concatenate(prob_parts),
                        "name": frame["name"].iloc[chosen].to_numpy() if has_name else "",
                        "department": task.department,
                    }
                )
            )
        outcome[task.id] = out
        ex_rows = np.flatnonzero(st.excluded_code > 0)
        if ex_rows.size:
            excl_parts.append(
                pd.DataFrame(
                    {
                        "task_id": task.id,
                        "uscc": codes.iloc[ex_rows].to_numpy(),
                        "reason": [REASONS[c - 1] for c in st.excluded_code[ex_rows].tolist()],
                        "detail": st.detail.reindex(ex_rows).to_numpy(),
                    }
                )
            )
        counts = np.bincount(out, minlength=4)
        if alloc.eligible == 0:
            warnings.append(f"Task {task.id!r} has no eligible entity; nothing was drawn for it.")
        summary_rows.append(
            {
                "task_id": task.id,
                "department": task.department,
                "category": task.category,
                "coordination": task.coordination,
                "population": len(frame),
                "out_of_scope": int(counts[_OUT]),
                "excluded": int(counts[_EXCL]),
                "eligible": alloc.eligible,
                "strata": len(alloc.strata),
                "base_ratio": fraction_text(alloc.base_ratio),
                "ratio": fraction_text(alloc.ratio),
                "floor": fraction_text(alloc.floor),
                "floor_target": fraction_text(alloc.floor_target),
                "floor_binding": alloc.floor_binding,
                "sample": alloc.sample,
                "not_selected": int(counts[_NOT]),
            }
        )

    task_order = {t.id: i for i, t in enumerate(plan.tasks)}
    selection = _sorted(
        sel_parts,
        ["task_id", "uscc", "stratum", "ticket", "inclusion_probability", "name", "department"],
        ["task_id", "stratum", "ticket"],
        task_order,
    )
    allocation = pd.DataFrame(
        alloc_rows,
        columns=["task_id", "stratum", "population", "sample", "threshold", "multiplier", "ratio", "take_all", "quota"],
    )
    excluded = _sorted(excl_parts, ["task_id", "uscc", "reason", "detail"], ["task_id", "uscc"], task_order)
    result = DrawResult(
        plan=plan,
        seed=seed,
        population=population,
        allocations=MappingProxyType(allocations),
        selection=selection,
        allocation=allocation,
        excluded=excluded,
        summary=pd.DataFrame(summary_rows),
        warnings=tuple(warnings),
        _outcome=MappingProxyType(outcome),
    )
    _check_result(result)
    return result


def _sorted(
    parts: list[pd.DataFrame], columns: list[str], by: list[str], task_order: Mapping[str, int]
) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "inclusion_probability" else "str") for c in columns})
    frame = pd.concat(parts, ignore_index=True)[columns]
    frame = frame.sort_values(by, key=lambda s: s.map(task_order) if s.name == "task_id" else s, kind="stable")
    return frame.reset_index(drop=True)


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
        counts = np.bincount(result._outcome[task.id], minlength=4)
        if int(counts.sum()) != len(result.population) or int(counts[_SEL]) != alloc.sample:
            raise InternalError(f"task {task.id!r}: outcomes do not add up to the population")
