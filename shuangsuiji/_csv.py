"""Reading a CSV table as text, its header found below title rows (private; see :func:`shuangsuiji.io.read_table`)."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ._frames import text_frame
from ._sheets import find_header, grid_of_rows
from .columns import ColumnMap, is_known_header
from .exceptions import Problem, TableError

__all__ = ["read_csv_table"]


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(1 << 16)


def _sniff_encoding(head: bytes) -> str:
    """UTF-8 if the file's first 64 KiB decode as UTF-8, else GB18030."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf8"


def _csv_top(text: str, source: str, kind: str | None, column_map: ColumnMap | None, header_row: int | None) -> int:
    """The header's row (0-based) in a CSV: the row given, else found among the first rows as in a sheet."""
    rows = []
    reader = csv.reader(io.StringIO(text))
    try:
        for row in reader:
            rows.append(row)
            if len(rows) >= 30:
                break
    except csv.Error:
        pass
    if not rows:
        return 0
    extra = column_map.columns.get(kind) if column_map is not None and kind is not None else None
    header = find_header(grid_of_rows(rows, source), is_known_header(kind, extra), header_row)
    return header[0] if header else 0


def _drop_trailing_empty(table: pa.Table) -> pa.Table:
    """Leave out the rows at the end in which every field is empty (as Excel leaves them)."""
    n = table.num_rows
    if n == 0 or table.num_columns == 0:
        return table
    empty = None
    for col in table.columns:
        blank = pc.equal(pc.utf8_trim_whitespace(pc.fill_null(col, "")), "")
        empty = blank if empty is None else pc.and_(empty, blank)
    flags = np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool) if empty is not None else np.zeros(n, bool)
    if not flags[-1]:
        return table
    keep = n
    while keep and flags[keep - 1]:
        keep -= 1
    return table.slice(0, keep)


def read_csv_table(  # noqa: PLR0917 - private, called in two places
    path: Path,
    source: str,
    encoding: str | None,
    error: type[TableError],
    kind: str | None = "population",
    column_map: ColumnMap | None = None,
    header_row: int | None = None,
) -> pd.DataFrame:
    head = _head(path)
    enc = encoding or _sniff_encoding(head)
    text = head.decode("utf-8-sig" if enc == "utf8" else enc, errors="replace")
    top = _csv_top(text, source, kind, column_map, header_row)
    header = None
    for i, row in enumerate(csv.reader(io.StringIO(text))):
        if i == top:
            header = row
            break
    if not header:
        raise error([Problem(source, None, None, None, "the file is empty; it needs a header row and data rows")])
    bad: list[Problem] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append(
            Problem(
                source,
                row.number,
                None,
                row.text[:60],
                f"this row has {row.actual_columns} fields but the header has {row.expected_columns}; "
                "check for a stray comma or an unclosed quote",
            )
        )
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=enc, use_threads=False, skip_rows=top),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) and encoding is None and enc == "utf8":
            # Valid UTF-8 at the start, not further on: a GB18030 file that starts in ASCII.
            return read_csv_table(path, source, "gb18030", error, kind, column_map, header_row)
        raise error(
            [Problem(source, None, None, None, f"cannot read the CSV as {enc}: {exc}; save it as UTF-8 CSV")]
        ) from None
    if bad:
        raise error(bad)
    table = _drop_trailing_empty(table)
    return text_frame(
        table.column_names, table.columns, source, error, kind=kind, column_map=column_map, header_line=top + 1
    )
