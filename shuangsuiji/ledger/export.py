"""The ledger as a file: CSV (UTF-8 with BOM), XLSX (every cell text) or Parquet, written atomically."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

from .._i18n import _
from ..exceptions import LedgerError
from ..io import atomic_write_bytes, write_csv

__all__ = ["EXPORT_SUFFIXES", "parquet_bytes", "write_export", "xlsx_bytes"]

#: The file types a ledger exports to.
EXPORT_SUFFIXES: tuple[str, ...] = (".csv", ".xlsx", ".parquet")
_XLSX_ROWS = 1_048_576
_XLSX_CELL = 32_767
#: The XLSX's creation time, fixed so that one ledger gives the same bytes.
_CREATED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "ledger") -> bytes:
    """The frame as an XLSX workbook in which every cell, header and ``seq`` included, is text.

    A value such as ``=1+1`` or ``http://...`` stays a string: never a formula, a link or a number.

    Raises
    ------
    LedgerError
        If the table has more rows than a sheet holds, or a value is longer than a cell holds.
    """
    if len(frame) + 1 > _XLSX_ROWS:
        raise LedgerError(_("{n:,} rows do not fit in one XLSX sheet; export to CSV or Parquet.").format(n=len(frame)))
    buf = io.BytesIO()
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    book = xlsxwriter.Workbook(buf, options)
    book.set_properties({"created": _CREATED})
    text = book.add_format({"num_format": "@"})
    ws = book.add_worksheet(sheet)
    for c, name in enumerate(frame.columns):
        ws.write_string(0, c, str(name))
        ws.set_column(c, c, 12, text)
        for r, value in enumerate(frame[name].tolist(), start=1):
            cell = str(value)
            if len(cell) > _XLSX_CELL:
                message = _(
                    "Row seq {seq}, column {column!r}: {n:,} characters do not fit in "
                    "an XLSX cell ({limit:,}); export to CSV or Parquet."
                )
                raise LedgerError(
                    message.format(seq=frame["seq"].iloc[r - 1], column=name, n=len(cell), limit=_XLSX_CELL)
                )
            ws.write_string(r, c, cell)
    ws.freeze_panes(1, 0)
    book.close()
    return buf.getvalue()


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as Parquet: ``seq`` a 64-bit integer, every other column a string."""
    arrays = {c: pa.array(frame[c].to_numpy(), type=pa.int64() if c == "seq" else pa.string()) for c in frame.columns}
    buf = io.BytesIO()
    pq.write_table(pa.table(arrays), buf)
    return buf.getvalue()


def write_export(frame: Callable[[], pd.DataFrame], path: Path) -> None:
    """Write the frame (made only once the suffix is known good) to ``path`` by its suffix, atomically.

    Raises
    ------
    LedgerError
        For a suffix other than :data:`EXPORT_SUFFIXES`.
    """
    suffix = path.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        message = _("{path}: a ledger exports to {suffixes}; got {suffix!r}.")
        shown = suffix or _("no suffix")
        raise LedgerError(message.format(path=path, suffixes=", ".join(EXPORT_SUFFIXES), suffix=shown))
    table = frame()
    if suffix == ".csv":
        write_csv(table, path)
    else:
        atomic_write_bytes(path, xlsx_bytes(table) if suffix == ".xlsx" else parquet_bytes(table))
