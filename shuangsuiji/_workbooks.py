"""Reading one sheet of an ``.xls`` (xlrd) or ``.xlsx`` (openpyxl) workbook into a :class:`~shuangsuiji._sheets.Grid`.

Private: :func:`shuangsuiji.io.read_table` reads through it; the rules are in :mod:`shuangsuiji._sheets`.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree

from ._i18n import N_, _
from ._sheets import EXCEL_ERRORS, Grid, column_index
from .exceptions import Problem, TableError
from .validation import cell_text, number_text

__all__ = ["read_grid"]

_ERROR_VALUE = N_("the cell holds an Excel error value; correct the formula or type the value")


def _sheet_choice(names: Sequence[str], sheet: str | int | None, where: str, error: type[TableError]) -> int:
    """The index of the sheet asked for: by name, else by 1-based number; the first by default."""
    if sheet is None:
        return 0
    if isinstance(sheet, str) and sheet in names:
        return names.index(sheet)
    number = sheet if isinstance(sheet, int) else (int(sheet) if str(sheet).strip().isdigit() else None)
    if number is not None and 1 <= number <= len(names):
        return number - 1
    raise error(
        [
            Problem(
                where,
                None,
                None,
                str(sheet),
                _("no such sheet; give a name or a number from 1, the sheets are {sheets}").format(sheets=list(names)),
            )
        ]
    )


def _read_xls(path: Path, sheet: str | int | None, error: type[TableError]) -> Grid:
    import xlrd  # noqa: PLC0415 - only .xls files need it

    source = str(path)
    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except Exception as exc:  # xlrd raises many types for a broken file
        raise error(
            [Problem(source, None, None, None, _("cannot open the .xls workbook: {exc}").format(exc=exc))]
        ) from None
    try:
        names = book.sheet_names()
        ws = book.sheet_by_index(_sheet_choice(names, sheet, source, error))
        grid = Grid(source, ws.name, [])
        for r in range(ws.nrows):
            row: list[str] = []
            for c in range(ws.ncols):
                cell = ws.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        row.append(cell_text(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)))
                    except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                        row.append(number_text(float(cell.value)))
                elif cell.ctype == xlrd.XL_CELL_NUMBER:
                    row.append(number_text(float(cell.value)))
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    row.append("TRUE" if cell.value else "FALSE")
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    text = xlrd.error_text_from_code.get(cell.value, "#ERROR")
                    row.append(text)
                    grid.problem(r, c, text, _(_ERROR_VALUE))
                else:
                    row.append(str(cell.value))
            grid.cells.append(row)
        for r0, r1, c0, c1 in ws.merged_cells:
            grid.merge(r0, c0, r1 - 1, c1 - 1)
        return grid
    finally:
        book.release_resources()


_REF = re.compile(r"([A-Z]+)([0-9]+)")


def _ref(text: str) -> tuple[int, int] | None:
    m = _REF.fullmatch(text.replace("$", ""))
    return None if m is None else (int(m.group(2)) - 1, column_index(m.group(1)))


_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([^"]+)"')
_CHUNK = 1 << 20


def _uncalculated(path: Path, member: str) -> list[tuple[int, int]]:
    """The formula cells of a sheet's XML that hold no calculated value."""
    out: list[tuple[int, int]] = []
    with zipfile.ZipFile(path) as zf, zf.open(member) as fh:
        for _event, elem in ElementTree.iterparse(fh, events=("end",)):
            tag = elem.tag.rsplit("}", 1)[-1]
            if tag == "c":
                has_formula = has_value = False
                for child in elem:
                    name = child.tag.rsplit("}", 1)[-1]
                    if name == "f":
                        has_formula = True
                    elif name in ("v", "is") and (child.text or len(child)):
                        has_value = True
                cell = _ref(elem.get("r", ""))
                if has_formula and not has_value and cell is not None:
                    out.append(cell)
                elem.clear()
            elif tag == "row":
                elem.clear()
    return out


def _xlsx_extras(path: Path, member: str) -> tuple[list[tuple[int, int, int, int]], list[tuple[int, int]]]:
    """Merged ranges and formula cells without a calculated value, read from the sheet's XML.

    The XML is scanned once as bytes for merged ranges and for any formula; only a sheet that has
    formulas is parsed, to find those without a value (a register's export has none).
    """
    refs: set[bytes] = set()
    has_formula = False
    tail = b""
    with zipfile.ZipFile(path) as zf, zf.open(member) as fh:
        while chunk := fh.read(_CHUNK):
            buf = tail + chunk
            has_formula = has_formula or _FORMULA.search(buf) is not None
            refs.update(m.group(1) for m in _MERGE.finditer(buf))  # a match in the overlap counts once
            tail = buf[-512:]
    merges: list[tuple[int, int, int, int]] = []
    for ref in sorted(refs):
        first, _colon, last = ref.decode("ascii", "replace").partition(":")
        start, end = _ref(first), _ref(last or first)
        if start is not None and end is not None:
            merges.append((*start, *end))
    return merges, (_uncalculated(path, member) if has_formula else [])


#: OOXML's escape of a character in a string (``_x000D_`` is a carriage return), which openpyxl leaves as is.
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _xlsx_text(value: object) -> str:
    """The text of an ``.xlsx`` cell, its ``_xHHHH_`` escapes decoded as Excel shows them."""
    if isinstance(value, str):
        return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value) if "_x" in value else value
    return cell_text(value)


def _read_xlsx(path: Path, sheet: str | int | None, error: type[TableError]) -> Grid:
    import openpyxl  # noqa: PLC0415 - only workbooks need it

    source = str(path)
    try:
        with warnings.catch_warnings():  # openpyxl warns of page headers and styles it ignores
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise error([Problem(source, None, None, None, _("cannot open the workbook: {exc}").format(exc=exc))]) from None
    try:
        ws = book.worksheets[_sheet_choice(book.sheetnames, sheet, source, error)]
        member = getattr(ws, "_worksheet_path", None)
        grid = Grid(source, ws.title, [])
        with warnings.catch_warnings():  # ... and warns again of them while reading the rows
            warnings.simplefilter("ignore")
            for r, row in enumerate(ws.iter_rows(values_only=True)):
                texts = [_xlsx_text(v) for v in row]
                if not EXCEL_ERRORS.isdisjoint(texts):
                    for c, text in enumerate(texts):
                        if text in EXCEL_ERRORS:
                            grid.problem(r, c, text, _(_ERROR_VALUE))
                grid.cells.append(texts)
    except TableError:
        raise
    except Exception as exc:  # a damaged sheet part
        raise error([Problem(source, None, None, None, _("cannot read the workbook: {exc}").format(exc=exc))]) from None
    finally:
        book.close()
    if isinstance(member, str):
        try:
            merges, uncalculated = _xlsx_extras(path, member)
        except (KeyError, ElementTree.ParseError, zipfile.BadZipFile) as exc:
            message = _("cannot read the sheet's layout: {exc}").format(exc=exc)
            raise error([Problem(grid.where(), None, None, None, message)]) from None
        for r0, c0, r1, c1 in merges:
            grid.merge(r0, c0, r1, c1)
        for r, c in uncalculated:
            value = grid.cells[r][c] if r < len(grid.cells) and c < len(grid.cells[r]) else ""
            if value == "":
                grid.problem(
                    r,
                    c,
                    "",
                    _(
                        "the cell holds a formula that was never calculated, so it has no value; open the file in "
                        "Excel or WPS and save it again, or paste the values over the formulas"
                    ),
                )
    return grid


def read_grid(path: str | Path, *, sheet: str | int | None = None, error: type[TableError] = TableError) -> Grid:
    """Read one sheet of an ``.xls`` or ``.xlsx`` workbook as a :class:`Grid` (merged cells filled).

    Parameters
    ----------
    sheet : str or int, optional
        A sheet's name, or its number counted from 1; by default the first.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        grid = _read_xls(path, sheet, error)
    elif suffix in (".xlsx", ".xlsm"):
        grid = _read_xlsx(path, sheet, error)
    else:
        raise error([Problem(str(path), None, None, suffix, _("not a workbook; use .xls or .xlsx"))])
    grid.square()
    return grid
