"""Spreadsheets the library writes: XlsxWriter workbooks no cell of which can become a formula or a link (private).

Re-exported by :mod:`shuangsuiji.io`, where the other writers are.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import xlsxwriter

__all__ = ["SAFE_XLSX_OPTIONS", "WORKBOOK_CREATED", "safe_workbook", "safe_xlsx_bytes"]


#: XlsxWriter's options for a workbook no cell of which can become a formula, a link or a number.
SAFE_XLSX_OPTIONS: Mapping[str, bool] = MappingProxyType(
    {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
)
#: The created date every written workbook carries (no clock time: the same data give the same bytes).
WORKBOOK_CREATED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def safe_workbook(buffer: io.BytesIO, **properties: str) -> xlsxwriter.Workbook:
    """An in-memory XlsxWriter workbook with :data:`SAFE_XLSX_OPTIONS` and the fixed created date."""
    import xlsxwriter  # noqa: PLC0415 - only written workbooks need it

    book = xlsxwriter.Workbook(buffer, dict(SAFE_XLSX_OPTIONS))
    book.set_properties({"created": WORKBOOK_CREATED, **properties})
    return book


def safe_xlsx_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """Frames as the sheets of one XLSX workbook, every cell written as text.

    No cell can become a formula, a link or a number (``=SUM(A1)`` and ``http://...`` stay text;
    codes keep their digits); the header row is bold and frozen; the created date is fixed, so
    the same frames give the same bytes.
    """
    buffer = io.BytesIO()
    book = safe_workbook(buffer)
    bold = book.add_format({"bold": True})
    text = book.add_format({"num_format": "@"})
    for name, frame in sheets.items():
        sheet = book.add_worksheet(name[:31])
        for j, column in enumerate(frame.columns):
            sheet.write_string(0, j, str(column), bold)
            values = frame[column].astype("str").tolist()
            width = max([len(str(column)) * 2, *(min(60, len(v) * 2) for v in values[:2000])])
            sheet.set_column(j, j, min(60, width + 2), text)
            for i, value in enumerate(values, start=1):
                sheet.write_string(i, j, value)
        sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()
