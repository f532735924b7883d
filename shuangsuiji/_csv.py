"""Reading a CSV table as text, its header found below title rows (private; see :func:`shuangsuiji.io.read_table`)."""

from __future__ import annotations

import contextlib
import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ._encoding import CsvText, csv_text
from ._frames import text_frame
from ._i18n import _
from ._sheets import HEADER_SEARCH_ROWS, find_header, grid_of_rows
from .columns import ColumnMap, is_known_header
from .exceptions import Problem, TableError

__all__ = ["read_csv_table"]


def _csv_header(
    text: str, source: str, kind: str | None, column_map: ColumnMap | None, header_row: int | None
) -> tuple[int, list[str]]:
    """The header's row (0-based) and its fields: the row given, else found among the first rows as in a sheet."""
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=None)):  # CR, LF and CR LF all end a line
            rows.append(row)
            if len(rows) >= max(HEADER_SEARCH_ROWS, header_row or 0):
                break
    except csv.Error:
        pass
    extra = column_map.columns.get(kind) if column_map is not None and kind is not None else None
    header = find_header(grid_of_rows(rows, source), is_known_header(kind, extra), header_row) if rows else ()
    return (header[0], rows[header[0]]) if header else (0, [])


#: Rows looked at in one step from the end for rows with every field empty.
_TAIL = 1024


def _drop_trailing_empty(table: pa.Table) -> pa.Table:
    """Leave out the rows at the end in which every field is empty (as Excel leaves them).

    Only the end of the table is looked at, a block of rows at a time, so a large file costs no more.
    """
    keep = table.num_rows
    if table.num_columns == 0:
        return table
    while keep:
        start = max(0, keep - _TAIL)
        tail = table.slice(start, keep - start)
        empty = np.ones(tail.num_rows, dtype=bool)
        for col in tail.columns:
            blank = pc.equal(pc.utf8_trim_whitespace(pc.fill_null(col, "")), "")
            empty &= np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool)
        filled = np.flatnonzero(~empty)
        if filled.size:
            return table.slice(0, start + int(filled[-1]) + 1)
        keep = start
    return table.slice(0, 0)


def _parse(decoded: CsvText, top: int, header: list[str], source: str) -> tuple[pa.Table, list[Problem]]:
    """The table below the header, all text, and the rows with the wrong number of fields."""
    bad: list[Problem] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append(
            Problem(
                source,
                row.number,
                None,
                row.text[:60],
                _(
                    "this row has {fields} fields but the header has {expected}; "
                    "check for a stray comma or an unclosed quote"
                ).format(fields=row.actual_columns, expected=row.expected_columns),
            )
        )
        return "skip"

    if isinstance(decoded.source, io.BytesIO):
        decoded.source.seek(0)
    with _undecodable_rows() as undecodable:
        table = pacsv.read_csv(
            decoded.source,
            read_options=pacsv.ReadOptions(encoding="utf8", use_threads=False, skip_rows=top),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    if undecodable:  # pyarrow could not show a row with the wrong number of fields: its bytes are not UTF-8
        bad.append(Problem(source, None, None, None, _("a row with the wrong number of fields is not UTF-8 text")))
    return table, bad


@contextlib.contextmanager
def _undecodable_rows() -> Iterator[list[object]]:
    """Collect, instead of printing, what pyarrow's invalid-row callback raises when a row is not UTF-8."""
    caught: list[object] = []
    previous = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: caught.append(unraisable.exc_value)
    try:
        yield caught
    finally:
        sys.unraisablehook = previous


def read_csv_table(  # noqa: PLR0917 - private, called in two places
    path: Path,
    source: str,
    encoding: str | None,
    error: type[TableError],
    kind: str | None = "population",
    column_map: ColumnMap | None = None,
    header_row: int | None = None,
) -> pd.DataFrame:
    decoded = csv_text(path, source, encoding, error)
    while True:
        top, header = _csv_header(decoded.head, source, kind, column_map, header_row)
        if not header and header_row is not None:
            raise error(
                [
                    Problem(
                        source,
                        None,
                        None,
                        str(header_row),
                        _("there is no header row {header_row} in the file").format(header_row=header_row),
                    )
                ]
            )
        if not header:
            message = _("the file is empty; it needs a header row and data rows")
            raise error([Problem(source, None, None, None, message)])
        try:
            table, bad = _parse(decoded, top, header, source)
        except pa.ArrowInvalid as exc:
            if not decoded.checked:  # the parser met a byte that is not UTF-8: find it, or read as GB18030
                decoded = csv_text(path, source, encoding, error, full=True)
                continue
            message = _("cannot read the CSV ({encoding}): {exc}; save it as UTF-8")
            raise error(
                [Problem(source, None, None, None, message.format(encoding=decoded.encoding, exc=exc))]
            ) from None
        if bad and not decoded.checked:  # a row cut short by a bad byte is the byte's fault
            decoded = csv_text(path, source, encoding, error, full=True)
            continue
        break
    if bad:
        raise error(bad)
    table = _drop_trailing_empty(table)
    return text_frame(
        table.column_names, table.columns, source, error, kind=kind, column_map=column_map, header_line=top + 1
    )
