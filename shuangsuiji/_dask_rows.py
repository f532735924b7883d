"""Rows of a population held in Dask partitions (private module).

Codes repeated across partitions are found from 64-bit fingerprints: sorted
into buckets by their leading bits, each bucket's repeats found by one task,
and only the suspects' codes read again and compared.

Reading a Parquet file by runs of row groups, as text, exactly as
:func:`shuangsuiji.io.read_table` reads a whole file; numbering rows across
partitions as a spreadsheet numbers them; and every row's fate in a task of a
draw made on Dask.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import dask
import dask.dataframe as dd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow.parquet as pq

from ._i18n import _
from ._kernel import (
    EXCLUDED_CODE,
    NOT_SELECTED_CODE,
    OUT_OF_SCOPE_CODE,
    OUTCOMES,
    SELECTED_CODE,
    DrawResult,
    scope_mask,
)
from ._tickets import ticket_digests, ticket_keys
from .exceptions import PopulationError, Problem
from .io import parquet_partitions, read_parquet_groups
from .plan import Plan, Task
from .population import Population, prepare_population, repeat_message, text_column
from .seed import Seed

__all__ = [
    "DEFAULT_PARTITION_ROWS",
    "DaskFates",
    "RowNumbers",
    "fingerprints",
    "outcomes",
    "own_rows",
    "read_parquet_dask",
    "repeated_codes",
]

#: Rows per partition by default.
DEFAULT_PARTITION_ROWS = 1 << 20


#: Fingerprints per bucket of the check for codes repeated across partitions (64 MB).
_DUP_BUCKET_ROWS = 8_000_000


class _Counted(Protocol):
    rows: int


class _Printed(Protocol):
    prints: npt.NDArray[np.uint64]


def own_rows(part: pd.DataFrame) -> npt.NDArray[np.int64] | None:
    """A partition's own row numbers: its index, when it is whole numbers (as the memory engine takes them).

    :func:`~shuangsuiji.io.read_table` and :func:`read_parquet_dask` index rows as a spreadsheet
    numbers them, and a frame partitioned by ``dd.from_pandas`` keeps its index; any other index
    gives ``None``, and rows are then counted across partitions (:class:`RowNumbers`).
    """
    return np.asarray(part.index, dtype=np.int64) if pd.api.types.is_integer_dtype(part.index.dtype) else None


class RowNumbers:
    """Rows counted across partitions in order, from 2 (the header is row 1), for partitions without row numbers."""

    def __init__(self, summaries: Sequence[_Counted]) -> None:
        self.offsets = np.concatenate([[0], np.cumsum([s.rows for s in summaries])]).astype(np.int64)
        self.total = int(self.offsets[-1])

    def __call__(self, partition: int, position: int) -> int:
        return 2 + int(self.offsets[partition]) + position


def fingerprints(
    seed: Seed, plan: Plan, codes: pd.Series, keys: dict[str, npt.NDArray[np.uint64]]
) -> npt.NDArray[np.uint64]:
    """64 bits per code, equal for equal codes, the same function in every partition.

    The plan scope's ticket keys when every row has one (free: already hashed),
    else pandas' hash of the text. Equal fingerprints are only suspects: the
    codes themselves are compared before a repeat is reported.
    """
    if any(t.coordination == "plan" for t in plan.tasks):
        if plan.id in keys:
            return keys[plan.id]
        return ticket_keys(ticket_digests(seed, plan.id, codes, workers=1))
    return np.asarray(pd.util.hash_array(codes.to_numpy(dtype=object)), dtype=np.uint64)


def _split_prints(census: _Printed, buckets: int) -> list[npt.NDArray[np.uint64]]:
    """A partition's fingerprints, sorted and cut into ``buckets`` ranges of equal width."""
    prints = np.sort(census.prints)
    edges = (np.arange(1, buckets, dtype=np.float64) * (2.0**64 / buckets)).astype(np.uint64)
    return np.split(prints, np.searchsorted(prints, edges))


def _bucket_repeats(*slices: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Fingerprints seen more than once in one bucket, across all partitions."""
    values = np.sort(np.concatenate(slices)) if slices else np.zeros(0, dtype=np.uint64)
    return np.unique(values[1:][values[1:] == values[:-1]])


def _suspects(part: pd.DataFrame, census: _Printed, repeated: npt.NDArray[np.uint64]) -> pd.DataFrame:
    """Position, own row number (-1 without one) and code of the rows whose fingerprint repeats."""
    at = np.flatnonzero(np.isin(census.prints, repeated))
    codes = text_column(part["uscc"].iloc[at])  # as pass 1 read them
    own = own_rows(part)
    number = own[at] if own is not None else np.full(at.size, -1, dtype=np.int64)
    return pd.DataFrame({"position": at, "number": number, "uscc": codes.to_numpy()})


def repeated_codes(parts: Sequence[object], census: Sequence[object], rows: RowNumbers, source: str) -> list[Problem]:
    """Codes repeated across partitions: fingerprints sorted into buckets, then the suspects' codes compared."""
    buckets = min(256, -(-rows.total // _DUP_BUCKET_ROWS))
    splits = [dask.delayed(_split_prints, nout=buckets)(c, buckets) for c in census]
    repeated = np.unique(
        np.concatenate(
            dask.compute(*[dask.delayed(_bucket_repeats)(*[sp[b] for sp in splits]) for b in range(buckets)])
        )
    )
    if not repeated.size:
        return []
    found = dask.compute(*[dask.delayed(_suspects)(p, c, repeated) for p, c in zip(parts, census, strict=True)])
    numbered = [
        f.assign(row=[n if n >= 0 else rows(p, i) for i, n in zip(f["position"], f["number"], strict=True)])
        for p, f in enumerate(found)
    ]
    suspects = pd.concat(numbered, ignore_index=True).sort_values("row", kind="stable")
    suspects = suspects[suspects["uscc"] != ""]
    firsts = suspects.drop_duplicates("uscc").set_index("uscc")["row"]
    return [
        Problem(source, int(r), "uscc", str(code), repeat_message(int(firsts[code])))
        for code, r in suspects[suspects["uscc"].duplicated()][["uscc", "row"]].itertuples(index=False)
    ]


def _outcome_part(
    part: pd.DataFrame, first_row: int, *, task: Task, selected: frozenset[str], excluded: frozenset[str]
) -> pd.DataFrame:
    own = own_rows(part)
    data, rows = prepare_population(part.set_axis(pd.RangeIndex(len(part))))
    in_scope = scope_mask(Population(frame=data, rows=rows, source=""), task)
    codes = data["uscc"]
    code = np.where(in_scope, NOT_SELECTED_CODE, OUT_OF_SCOPE_CODE).astype(np.int8)
    code[np.asarray(codes.isin(excluded), dtype=bool)] = EXCLUDED_CODE
    code[np.asarray(codes.isin(selected), dtype=bool)] = SELECTED_CODE
    return pd.DataFrame(
        {
            "uscc": codes.to_numpy(),
            "row": own if own is not None else np.arange(first_row, first_row + len(data), dtype=np.int64),
            "outcome": pd.Categorical.from_codes(code, categories=pd.Index(OUTCOMES)),
        }
    )


def outcomes(population: dd.DataFrame, result: DrawResult, task_id: str) -> dd.DataFrame:
    """Every row's fate in one task of a draw on Dask, as a lazy Dask DataFrame.

    The counterpart of :meth:`DrawResult.outcomes`: ``uscc, row, outcome``,
    with ``outcome`` one of :data:`~shuangsuiji.sampling.OUTCOMES`.
    """
    task = result.plan.task(task_id)
    lengths = population.map_partitions(len).compute().tolist()
    firsts = np.concatenate([[2], 2 + np.cumsum(lengths)]).astype(np.int64).tolist()
    selected = frozenset(result.selection.loc[result.selection["task_id"] == task_id, "uscc"])
    excluded = frozenset(result.excluded.loc[result.excluded["task_id"] == task_id, "uscc"])
    meta = pd.DataFrame(
        {
            "uscc": pd.Series(dtype="str"),
            "row": pd.Series(dtype="int64"),
            "outcome": pd.Categorical.from_codes(np.zeros(0, dtype=np.int8), categories=pd.Index(OUTCOMES)),
        }
    )
    parts = [
        dask.delayed(_outcome_part)(p, firsts[i], task=task, selected=selected, excluded=excluded)
        for i, p in enumerate(population.to_delayed())
    ]
    return dd.from_delayed(parts, meta=meta, verify_meta=False)


@dataclass(frozen=True)
class DaskFates:
    """:meth:`DrawResult.outcomes` of a draw on Dask: the rows read again, partition by partition."""

    population: dd.DataFrame

    def __call__(self, result: DrawResult, task_id: str) -> pd.DataFrame:
        frame: pd.DataFrame = outcomes(self.population, result, task_id).compute()
        return frame.reset_index(drop=True)


def read_parquet_dask(
    path: str | Path, *, columns: Collection[str] | None = None, partition_rows: int = DEFAULT_PARTITION_ROWS
) -> dd.DataFrame:
    """A Parquet population as a Dask DataFrame of text, read as :func:`shuangsuiji.io.read_table` reads it.

    Partitions are runs of consecutive row groups of about ``partition_rows``
    rows; only ``columns`` (canonical names; aliases in the file are
    recognised) are read.
    """
    groups = parquet_partitions(path, partition_rows, error=PopulationError)
    meta_file = pq.ParquetFile(path).metadata
    firsts, row = [], 2
    for g in groups:
        firsts.append(row)
        row += sum(meta_file.row_group(i).num_rows for i in g)
    if not groups:
        raise PopulationError([Problem(str(path), None, None, None, _("the table has no rows; a draw needs entities"))])
    wanted = None if columns is None else frozenset(columns)
    head = read_parquet_groups(path, groups[0][:1], 2, columns=wanted, error=PopulationError).iloc[:0]
    return dd.from_map(
        _read_groups,
        list(zip(groups, firsts, strict=True)),
        path=str(path),
        wanted=wanted,
        meta=head,
        divisions=None,
        enforce_metadata=False,
    )


def _read_groups(chunk: tuple[Sequence[int], int], path: str, wanted: frozenset[str] | None) -> pd.DataFrame:
    groups, first = chunk
    return read_parquet_groups(path, list(groups), first, columns=wanted, error=PopulationError)
