"""The population's Merkle record: its RFC 6962 root over the entities in code order.

A commitment and a manifest record the population by its size, the fields of
each leaf and the root (:class:`~shuangsuiji.manifest.PopulationRecord`), so
that one firm can later prove it was in the committed list
(:mod:`shuangsuiji.proofs`). :func:`population_root` computes it in memory;
:func:`population_root_parquet` streams a Parquet file sorted by code in
bounded memory, checking every batch with the same row checks as every engine.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from ._i18n import _
from .exceptions import PopulationError, Problem
from .io import iter_parquet
from .manifest import PopulationRecord
from .merkle import LEAF_FORMAT, StreamingRoot, leaf_fields, leaf_hashes, leaf_table, merkle_root, population_leaves
from .plan import Plan
from .population import Population, check_rows, draw_columns, prepare_population, repeat_message

__all__ = ["LeafBatch", "entity_leaves", "population_root", "population_root_parquet", "sorted_leaf_batches"]


def entity_leaves(
    frame: pd.DataFrame,
    fields: Sequence[str],
    plan: Plan,
    *,
    leaf_format: str = LEAF_FORMAT,
    register: pd.Series | None = None,
    order: bool = True,
    salt_key: bytes | None = None,
) -> tuple[pd.DataFrame, pa.Array]:
    """The rows (in code order, unless ``order`` is false) and their Merkle leaves in ``leaf_format``.

    ``register`` holds the register's own credit classes (positional) when the plan filled some in;
    ``salt_key`` salts the fields the plan hides (``[publication] hidden``).
    """
    table, keys = leaf_table(
        frame,
        fields,
        leaf_format=leaf_format,
        credit_column=plan.credit.column,
        register=register,
        hidden=plan.publication.hidden,
        salt_key=salt_key,
    )
    if order:
        table = table.sort_values("uscc", kind="stable").reset_index(drop=True)
    return table, population_leaves(table, keys, ordered=True)


def population_root(
    population: Population,
    plan: Plan,
    *,
    leaf_format: str = LEAF_FORMAT,
    workers: int | None = None,
    salt_key: bytes | None = None,
) -> PopulationRecord:
    """The Merkle commitment to a population: root, size and the leaf fields, for a manifest.

    Leaves are the entities in code order, each the canonical JSON of the fields
    the plan's draw reads (in ``leaf_format``: :mod:`shuangsuiji.merkle`).
    """
    fields = leaf_fields(plan, population.frame.columns)
    _ordered, leaves = entity_leaves(
        population.frame, fields, plan, leaf_format=leaf_format, register=population.register, salt_key=salt_key
    )
    hashes = leaf_hashes(leaves, workers=workers)
    return PopulationRecord(len(population), tuple(fields), merkle_root(hashes=hashes).hex(), leaf_format)


def population_root_parquet(
    path: str | Path,
    plan: Plan,
    *,
    allow_list: Collection[str] = (),
    batch_rows: int = 1 << 20,
    workers: int | None = None,
    leaf_format: str = LEAF_FORMAT,
    salt_key: bytes | None = None,
) -> PopulationRecord:
    """:func:`population_root` of a Parquet population sorted by ``uscc``, in bounded memory.

    Streams the file in batches of ``batch_rows`` rows, reading only the leaf
    fields, and checks it on the way as :func:`~shuangsuiji.population.check_population`
    would (codes, plan columns, credit classes; a repeated code sits next to
    its first row in a sorted file). Memory is that of one batch, whatever the
    file's size; the record (and the root) equals :func:`population_root`'s.

    Parameters
    ----------
    path : str or Path
        Parquet file whose rows are in ascending code order (code-point order,
        as ``sort_values("uscc")`` or ``ORDER BY uscc`` with a binary collation gives).
    plan : Plan
        The plan (its columns are the leaf fields).
    allow_list : collection of str
        Legacy codes to accept.
    batch_rows : int
        Rows per batch.
    workers : int, optional
        Processes hashing leaves.

    Raises
    ------
    PopulationError
        Listing every problem found, or at the first row out of code order.
    """
    root = StreamingRoot()
    fields: tuple[str, ...] = ()
    batches = sorted_leaf_batches(
        path,
        plan,
        allow_list=allow_list,
        batch_rows=batch_rows,
        workers=workers,
        leaf_format=leaf_format,
        salt_key=salt_key,
    )
    for batch in batches:
        fields = batch.fields
        root.add(batch.hashes)
    return PopulationRecord(root.count, fields, root.root().hex(), leaf_format)


@dataclass(frozen=True)
class LeafBatch:
    """Consecutive leaves of a population in code order: the rows as text, their leaves and leaf hashes."""

    first: int  # position of the first row in code order
    data: pd.DataFrame
    fields: tuple[str, ...]
    leaves: pa.Array
    hashes: npt.NDArray[np.uint8]


def sorted_leaf_batches(
    path: str | Path,
    plan: Plan,
    *,
    allow_list: Collection[str] = (),
    batch_rows: int = 1 << 20,
    workers: int | None = None,
    leaf_format: str = LEAF_FORMAT,
    salt_key: bytes | None = None,
) -> Iterator[LeafBatch]:
    """Stream the Merkle leaves of a Parquet population sorted by ``uscc``, checking it on the way.

    Each batch goes through the same row checks as every engine
    (:func:`~shuangsuiji.population.check_rows`); a repeated code sits next to its
    first row in a sorted file. Yields batches while the file has no problem;
    after the last batch raises :class:`PopulationError` listing every problem
    found, or at once at a row out of code order.
    """
    source = str(path)
    fields: tuple[str, ...] | None = None
    problems: list[Problem] = []
    last: tuple[str, int] | None = None  # the previous row's code, and the row where that code first came
    position = 0
    for batch in iter_parquet(
        path, columns=draw_columns(plan) - {"name"}, batch_rows=batch_rows, error=PopulationError
    ):
        if fields is None:
            fields = leaf_fields(plan, batch.columns)
        if len(batch) == 0:
            continue
        data, rows = prepare_population(batch, source=source)
        found = check_rows(data, rows, plan, source=source, allow_list=allow_list)
        problems += found.problems
        repeats, last = _neighbour_repeats(data["uscc"], rows, last, source)
        problems += repeats
        if not problems:
            _ordered, leaves = entity_leaves(
                data, fields, plan, leaf_format=leaf_format, register=found.register, order=False, salt_key=salt_key
            )
            yield LeafBatch(position, data, fields, leaves, leaf_hashes(leaves, workers=workers))
        position += len(data)
    if problems:
        unique = list(dict.fromkeys(problems))  # a missing column is reported once, not per batch
        raise PopulationError(sorted(unique, key=lambda p: -1 if p.row is None else p.row))
    if position == 0:
        said = _("the table has no rows; a draw needs entities")
        raise PopulationError([Problem(source, None, None, None, said)])


def _neighbour_repeats(
    codes: pd.Series, rows: npt.NDArray[np.int64], last: tuple[str, int] | None, source: str
) -> tuple[list[Problem], tuple[str, int]]:
    """Repeated codes of a batch of a file sorted by code; refuses a code out of order.

    ``last`` is the previous batch's last code and the row where that code first came.
    """
    previous = pd.concat([pd.Series([last[0] if last else ""], dtype="str"), codes.iloc[:-1]], ignore_index=True)
    before = np.array(codes < previous, dtype=bool)
    same = np.array(codes == previous, dtype=bool) & np.array(codes != "", dtype=bool)
    if last is None:
        before[0] = same[0] = False
    if before.any():
        i = int(np.flatnonzero(before)[0])
        raise PopulationError(
            [
                Problem(
                    source,
                    int(rows[i]),
                    "uscc",
                    str(codes.iat[i]),
                    _(
                        "the file is not sorted by uscc (this code comes before the previous row's); "
                        "--engine dask streams the Merkle tree in code order: sort the file by uscc "
                        "(code-point order), or use --engine memory"
                    ),
                )
            ]
        )
    # Row where each row's run of equal codes began (a run may begin in an earlier batch).
    start = np.maximum.accumulate(np.where(same, 0, np.arange(len(codes))))
    firsts = rows[start]
    if last is not None and same[0]:
        firsts[start == 0] = last[1]
    problems = [
        Problem(source, int(rows[i]), "uscc", str(codes.iat[i]), repeat_message(int(firsts[i])))
        for i in np.flatnonzero(same).tolist()
    ]
    return problems, (str(codes.iat[-1]), int(firsts[-1]))
