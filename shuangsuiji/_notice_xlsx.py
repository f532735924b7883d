"""The notices as XLSX workbooks, ready to print and safe to open (private module).

Written with the shared safe workbook (:func:`shuangsuiji.io.safe_workbook`): no cell becomes a
formula or a link, and the workbook's creation date is fixed, so the same notice gives the same
bytes. A notice's sheet has a merged title row (and a row of its ``info``), then the header and
one row per record with a 序号; it prints on A4 landscape, one page wide, the header repeated on
every page, page numbers in the footer; the header is frozen and filtered. Codes are text, dates
are dates (``yyyy-mm-dd``) and ratios numbers shown as percentages. The export for the national
system (``kind="export"``) has its header in the first row and no 序号.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from ._i18n import _
from ._notice_model import Notice
from ._notice_text import percent_decimals, text_width
from .exceptions import InputError
from .io import safe_workbook

__all__ = ["A4", "xlsx_bytes"]

#: XlsxWriter's paper size of A4.
A4 = 9
_MAX_WIDTH = 50


def _date(text: str) -> dt.datetime | None:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return dt.datetime(day.year, day.month, day.day)  # a calendar day, as Excel's serial


def _percent(text: str) -> float | None:
    try:
        return float(Decimal(text.removeprefix("约").removesuffix("%")) / 100)
    except (InvalidOperation, ValueError):
        return None


class _Formats:
    """The workbook's cell formats, made once each."""

    def __init__(self, book: Any) -> None:
        self.book = book
        border = {"border": 1, "valign": "top", "text_wrap": True}
        self.title = book.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
        self.info = book.add_format({"align": "left", "valign": "vcenter", "text_wrap": True})
        self.header = book.add_format({**border, "bold": True, "bg_color": "#EEEEEE", "align": "center"})
        self.text = book.add_format({**border, "num_format": "@"})
        self.number = book.add_format({**border, "align": "center"})
        self.date = book.add_format({**border, "num_format": "yyyy-mm-dd", "align": "center"})
        self._percent: dict[int, Any] = {}

    def percent(self, decimals: int) -> Any:
        if decimals not in self._percent:
            pattern = "0%" if decimals == 0 else "0." + "0" * decimals + "%"
            self._percent[decimals] = self.book.add_format({"border": 1, "num_format": pattern, "align": "center"})
        return self._percent[decimals]


def _write_cell(sheet: Any, at: tuple[int, int], text: str, kind: str, fmt: _Formats) -> None:
    row, col = at
    if kind == "date" and (day := _date(text)) is not None:
        sheet.write_datetime(row, col, day, fmt.date)
    elif kind == "percent" and (value := _percent(text)) is not None:
        sheet.write_number(row, col, value, fmt.percent(min(4, percent_decimals(text))))
    else:
        sheet.write_string(row, col, text, fmt.text)


#: The most characters an XLSX cell holds (Excel's limit); XlsxWriter would cut a longer text without a word.
XLSX_CELL = 32_767


def _check_fits(notice: Notice, name: str, values: list[str]) -> None:
    longest = max(range(len(values)), key=lambda i: len(values[i]), default=None)
    if longest is not None and len(values[longest]) > XLSX_CELL:
        raise InputError(
            _(
                "{title}: row {row}, column {column!r} holds {n:,} characters, more than "
                "an XLSX cell holds ({limit:,}); shorten it in the register (nothing is cut without a word)."
            ).format(title=notice.title, row=longest + 1, column=name, n=len(values[longest]), limit=XLSX_CELL)
        )


def _width(name: str, kind: str, values: list[str]) -> float:
    if kind == "date":
        return 12
    widest = max([text_width(name), *(text_width(v) for v in values[:5000])])
    return float(min(_MAX_WIDTH, widest + 2))


def xlsx_bytes(notice: Notice, *, footer: str = "", provenance: Sequence[tuple[str, str]] = ()) -> bytes:
    """The notice as an XLSX workbook, laid out for A4 print (see the module's description).

    Parameters
    ----------
    notice : Notice
        The notice; its ``types`` say which columns are codes, dates and percentages.
    footer : str
        Text for the left of the printed footer (the plan's id); page numbers are in its centre.
    provenance : sequence of (str, str)
        What ties the notice to its draw (plan id, seed, the manifest's SHA-256): a second sheet, 核验信息,
        so that the first stays one table that programs read (the ledger reads a posted result notice).
    """
    buffer = io.BytesIO()
    book = safe_workbook(buffer)
    fmt = _Formats(book)
    sheet = book.add_worksheet("公告")
    export = notice.kind == "export"
    names = [str(c) for c in notice.table.columns]
    kinds = [notice.types.get(c, "") for c in names]
    columns = len(names) + (0 if export else 1)
    top = 0
    if not export:
        if columns > 1:
            sheet.merge_range(0, 0, 0, columns - 1, notice.title, fmt.title)
        else:
            sheet.write_string(0, 0, notice.title, fmt.title)
        sheet.set_row(0, 24)
        top = 1
        if notice.info:
            line = "    ".join(f"{label}：{value}" for label, value in notice.info)
            if columns > 1:
                sheet.merge_range(1, 0, 1, columns - 1, line, fmt.info)
            else:
                sheet.write_string(1, 0, line, fmt.info)
            top = 2
    headers = names if export else ["序号", *names]
    for j, name in enumerate(headers):
        sheet.write_string(top, j, name, fmt.header)
    offset = 0 if export else 1
    if not export:
        sheet.set_column(0, 0, 6)
    for j, (name, kind) in enumerate(zip(names, kinds, strict=True)):
        values = notice.table[name].astype(str).tolist()
        _check_fits(notice, name, values)
        sheet.set_column(j + offset, j + offset, _width(name, kind, values))
        if kind in ("date", "percent"):
            for i, text in enumerate(values, start=top + 1):
                _write_cell(sheet, (i, j + offset), text, kind, fmt)
        else:  # text: one call per cell, the common case
            write, col, cell = sheet.write_string, j + offset, fmt.text
            for i, text in enumerate(values, start=top + 1):
                write(i, col, text, cell)
    last = top + len(notice.table)
    if not export:
        for i in range(1, len(notice.table) + 1):
            sheet.write_number(top + i, 0, i, fmt.number)

    sheet.freeze_panes(top + 1, 0)
    sheet.autofilter(top, 0, max(top, last), columns - 1)
    sheet.set_landscape()
    sheet.set_paper(A4)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(top)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.set_footer(("&L" + footer.replace("&", "&&") if footer else "") + "&C&P / &N")
    if provenance:
        check = book.add_worksheet("核验信息")
        check.set_column(0, 0, 34)
        check.set_column(1, 1, 70)
        for k, (label, value) in enumerate(provenance):
            check.write_string(k, 0, label, fmt.header)
            check.write_string(k, 1, value, fmt.info)
    book.close()
    return buffer.getvalue()
