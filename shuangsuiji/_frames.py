"""Assembling a text frame from a table's columns, headers renamed to canonical names (private)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._i18n import _
from .columns import ColumnMap, canonical_name, clash_problems
from .exceptions import Problem, TableError

__all__ = ["FORMULA_QUOTE", "arrow_text", "text_frame"]

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
        Problem(source, header_line, f"#{i + 1}", "", _("the header of this column is empty; name it"))
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


def arrow_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """A typed column as text, by the rule of ``docs/inputs.md`` ("Typed columns"), the same for every engine."""
    t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        out = col
    elif pa.types.is_dictionary(t):
        return arrow_text(col.cast(t.value_type))
    elif pa.types.is_floating(t):
        if pc.any(pc.is_inf(col)).as_py():
            raise pa.ArrowInvalid(_("an infinite number is not a value of a register"))
        # NaN is how pandas writes a missing number: an empty cell; 410302.0 is written "410302"
        out = pc.cast(pc.if_else(pc.is_nan(col), pa.scalar(None, t), col), pa.string())
    elif pa.types.is_decimal(t):  # exact: trailing zeros after the point dropped ("410302.00" is "410302")
        text = pc.cast(col, pa.string())
        out = pc.replace_substring_regex(pc.replace_substring_regex(text, r"(\.[0-9]*?)0+$", r"\1"), r"\.$", "")
    elif pa.types.is_timestamp(t):
        out = _timestamp_text(col)
    elif pa.types.is_time(t):
        out = pc.replace_substring_regex(pc.cast(col, pa.string()), r"\.[0-9]*$", "")  # HH:MM:SS
    else:
        out = pc.cast(col, pa.string())  # whole numbers as digits, dates YYYY-MM-DD, booleans true / false
    return pc.fill_null(out, "")


def _timestamp_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """``YYYY-MM-DD`` when every value is at midnight (a date kept as a timestamp), else ``YYYY-MM-DDTHH:MM:SS``.

    A timestamp with a time zone is read as the wall-clock time of its zone.
    """
    t = col.type
    local = pc.local_timestamp(col) if t.tz is not None else col
    plain = pc.cast(local, pa.timestamp("s"), safe=False)  # whole seconds: what a register's clock shows
    times = pc.strftime(plain, "%H:%M:%S")
    midnight = pc.all(pc.equal(times, "00:00:00")).as_py()
    return pc.strftime(plain, "%Y-%m-%d" if midnight in (True, None) else "%Y-%m-%dT%H:%M:%S")
