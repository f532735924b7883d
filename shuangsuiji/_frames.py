"""Assembling a text frame from a table's columns, headers renamed to canonical names (private)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .columns import ColumnMap, canonical_name, clash_problems
from .exceptions import Problem, TableError

__all__ = ["FORMULA_QUOTE", "text_frame"]

#: A cell the library's CSV writer neutralised (``'`` before ``= + - @``, tab or CR): the quote is dropped on reading.
FORMULA_QUOTE = r"^'([=+\-@\t\r])"


def _unquoted(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """``values`` with the quote before a neutralised formula dropped (looked for only where a cell starts with one)."""
    if not pa.types.is_string(values.type) or not pc.any(pc.starts_with(values, "'")).as_py():
        return values
    return pc.replace_substring_regex(values, FORMULA_QUOTE, r"\1")


def text_frame(
    columns: list[str],
    data: Iterable[pa.Array | pa.ChunkedArray | list[str]],
    source: str,
    error: type[TableError],
    *,
    kind: str | None = "population",
    column_map: ColumnMap | None = None,
    header_line: int = 1,
    index: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Assemble a text frame, renaming aliases and refusing clashing headers.

    ``index`` gives each row's number as the file numbers it (default: from ``header_line + 1`` on).
    """
    names = [c.strip() for c in columns]
    extra = column_map.columns.get(kind) if column_map is not None and kind is not None else None
    canon = [canonical_name(n, kind, extra) for n in names]
    problems = [
        Problem(source, header_line, f"#{i + 1}", "", "the header of this column is empty; name it")
        for i, c in enumerate(canon)
        if c == ""
    ]
    problems += clash_problems(names, canon, source, header_line) if not problems else []
    if problems:
        raise error(problems)
    arrays = [pa.array(d, type=pa.string()) if isinstance(d, list) else d for d in data]
    # cells the library's own CSV writer neutralised (io.csv_bytes) read back as they were
    arrays = [_unquoted(a) for a in arrays]
    table = pa.table(dict(zip(canon, arrays, strict=True)))
    frame: pd.DataFrame = table.to_pandas()
    for c in frame.columns:
        if frame[c].dtype != "str":
            frame[c] = frame[c].astype("str")
    if index is not None:
        frame.index = pd.Index(list(index), dtype="int64")
    else:
        frame.index = pd.RangeIndex(header_line + 1, header_line + 1 + len(frame))
    if column_map is not None and kind is not None and column_map.defaults.get(kind):
        frame = column_map.apply(frame, kind, error=error)
    return frame
