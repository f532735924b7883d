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

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._kernel import ALGORITHM, OUTCOMES, DrawResult
from ._tickets import select_keys, ticket_digests, ticket_keys, tickets_hex
from .engines import get_engine
from .exclusions import History
from .plan import Plan
from .population import Population
from .seed import Seed

if TYPE_CHECKING:
    import dask.dataframe as dd

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


def ticket(seed: str | Seed, scope: str, uscc: str) -> str:
    """The ticket of one entity: ``SHA-256(seed:scope:uscc)`` as 64 hex digits.

    Parameters
    ----------
    seed : str or Seed
        64 lowercase hex digits.
    scope : str
        Plan id (coordinated tasks) or ``plan_id.task_id`` (independent).
    uscc : str
        The entity's code.

    Raises
    ------
    SeedError
        If ``seed`` is not a seed.

    Examples
    --------
    >>> len(ticket("ab" * 32, "LY-2027-Q1", "9144030071526726XG"))
    64
    """
    return Seed.of(seed).ticket(scope, uscc)


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

    Raises
    ------
    InputError
        If ``k`` is not between 0 and ``m``.

    Examples
    --------
    >>> d = np.array([[3] * 32, [1] * 32, [2] * 32], dtype=np.uint8)
    >>> select_smallest(d, 2).tolist()
    [1, 2]
    """

    def full_order(positions: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        key = lambda i: (digests[i].tobytes(), "" if codes is None else codes[i])  # noqa: E731
        return np.array(sorted(positions.tolist(), key=key), dtype=np.intp)

    return select_keys(ticket_keys(digests), k, full_order)


def draw(
    population: pd.DataFrame | Population | dd.DataFrame,
    plan: Plan,
    seed: str | Seed,
    *,
    history: History | None = None,
    allow_list: Collection[str] = (),
    workers: int | None = None,
    engine: str | None = None,
) -> DrawResult:
    """Draw the inspection targets of every task of a plan.

    Parameters
    ----------
    population : pandas.DataFrame, Population or dask.dataframe.DataFrame
        The entities (``uscc`` plus the columns the plan reads). A frame is
        checked with :func:`~shuangsuiji.population.check_population` first.
        A Dask DataFrame is drawn on Dask's current scheduler, with the same
        result (:mod:`shuangsuiji.distributed`).
    plan : Plan
        The plan (:func:`~shuangsuiji.plan.load_plan`).
    seed : str or Seed
        64 lowercase hex digits, published with the result.
    history : History, optional
        Past inspections, for cool-downs and annual caps.
    allow_list : collection of str
        Legacy codes to accept (when ``population`` is a frame).
    workers : int, optional
        Processes to hash tickets on (memory engine); default: the available
        CPUs (at most 8). The result never depends on it.
    engine : {'memory', 'dask'}, optional
        Default: ``dask`` for a Dask DataFrame, ``memory`` otherwise
        (:func:`~shuangsuiji.engines.get_engine`).

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
    checked = Seed.of(seed)
    chosen = get_engine(engine, population=population)
    return chosen.draw(population, plan, checked, history=history, allow_list=allow_list, workers=workers)
