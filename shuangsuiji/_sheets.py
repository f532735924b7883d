"""Spreadsheets as bureaus keep them: the grid of one sheet and its header (private module).

A bureau's spreadsheet is rarely a clean table. It has title rows above the header (``海南省……清单``,
``填报单位：……``), headers of two rows where one cell spans several columns (``执法证件`` over
``执法证件名称`` and ``证件编号``), cells merged down the rows (a department written once for all
its items), codes that Excel turned into numbers, formulas that were never calculated, and empty
rows left at the end. This module reads any of ``.xls`` (xlrd), ``.xlsx`` (openpyxl) and the first
rows of a CSV into one :class:`Grid` of text, finds the header in it (:func:`find_header`) and
turns what lies below into rows (:class:`Sheet`).

The rules, which ``docs/inputs.md`` states for users:

- **Cell text.** Text as typed; a whole number below 10^15 as its digits (``469006600187440``);
  a number of 10^15 or more as Excel shows it (``9.14690062012665E+17``), because Excel keeps only
  15 significant digits and such a cell has already lost the rest; other numbers by their
  shortest decimal; dates and times in ISO form; booleans ``TRUE``/``FALSE``.
- **Merged cells** give their value to every cell they cover (the header's and the data's).
- **The header** is the row given (``header_row``, counted from 1 as Excel counts), or else the
  first of the top 30 rows at least half as full as the fullest of them (a merged cell counts
  once, so a title across the sheet is not full); when that row names no known column and one of
  the next three such rows names two or more, that one. A header cell that spans rows, or that spans columns with names
  below it, makes the header two rows deep (or more); a column's name joins the distinct texts of
  its header rows with ``/`` (``执法证件/证件编号``).
- **Rows.** Trailing rows with nothing in them are dropped; a row that one merged cell spans from
  the first column to the last is a note or section title, kept apart as a skipped row; every
  other row is data, numbered as Excel numbers it.
- **Problems** (a formula without a calculated value, an Excel error value such as ``#N/A``) are
  collected with sheet, row, column and value; the caller raises them in its own error.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .exceptions import Problem

__all__ = [
    "EXCEL_ERRORS",
    "HEADER_SEARCH_ROWS",
    "Grid",
    "Sheet",
    "column_index",
    "column_letter",
    "find_header",
    "grid_of_rows",
    "normal_header",
    "read_sheet",
]

#: Rows searched for the header when it is not given.
HEADER_SEARCH_ROWS = 30
EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"})


def column_letter(index: int) -> str:
    """Excel's letters for a 0-based column index (0 → ``A``, 26 → ``AA``).

    Examples
    --------
    >>> column_letter(0), column_letter(25), column_letter(26), column_letter(701)
    ('A', 'Z', 'AA', 'ZZ')
    """
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def normal_header(text: str) -> str:
    """A header as aliases are looked up: NFKC (full-width to half-width), blanks and line breaks removed.

    Examples
    --------
    >>> normal_header(" 单位及职务 "), normal_header("ＴＹＸＹＤＭ"), normal_header("检查\\n日期")
    ('单位及职务', 'TYXYDM', '检查日期')
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@dataclass
class Grid:
    """The cells of one sheet as text, merged cells filled, with what was seen while reading.

    Attributes
    ----------
    source : str
        The file.
    sheet : str or None
        The sheet's name (``None`` for a CSV).
    cells : list of list of str
        Row by row (0-based), every row as wide as the widest.
    origin : dict
        For each cell a merged range covers, ``(row, col) -> (first_row, first_col, last_row, last_col)``.
    problems : list of Problem
        Formulas without a value and Excel error values, with sheet, row and column.
    """

    source: str
    sheet: str | None
    cells: list[list[str]]
    origin: dict[tuple[int, int], tuple[int, int, int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def width(self) -> int:
        """The number of columns."""
        return max((len(r) for r in self.cells), default=0)

    def where(self) -> str:
        """``file`` or ``file [sheet]``, as messages name the place."""
        return self.source if self.sheet is None else f"{self.source} [{self.sheet}]"

    def merge(self, r0: int, c0: int, r1: int, c1: int) -> None:
        """Give the value of ``(r0, c0)`` to the range's cells (inclusive bounds, 0-based)."""
        if r0 >= len(self.cells):
            return
        value = self.cells[r0][c0] if c0 < len(self.cells[r0]) else ""
        for r in range(r0, min(r1, len(self.cells) - 1) + 1):
            row = self.cells[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                row[c] = value
                self.origin[(r, c)] = (r0, c0, r1, c1)

    def square(self) -> None:
        """Pad every row to the grid's width and drop columns that are empty everywhere at the right."""
        width = self.width
        while width and all(len(r) < width or r[width - 1] == "" for r in self.cells):
            width -= 1
        self.cells = [(r + [""] * (width - len(r)))[:width] for r in self.cells]

    def problem(self, r: int, c: int, value: str, message: str) -> None:
        """Note a problem of cell ``(r, c)`` (0-based)."""
        self.problems.append(Problem(self.where(), r + 1, column_letter(c), value, message))


def grid_of_rows(rows: Iterable[Sequence[str]], source: str) -> Grid:
    """A grid from rows of text already read (the top of a CSV)."""
    return Grid(source, None, [list(r) for r in rows])


@dataclass(frozen=True)
class Sheet:
    """What lies below a sheet's header.

    Attributes
    ----------
    grid : Grid
        The whole sheet.
    header : tuple of int
        The header's rows (0-based).
    names : tuple of str
        Each column's name, its header rows joined with ``/``.
    data : tuple of int
        The data rows (0-based); their Excel numbers are ``r + 1``.
    skipped : tuple of (int, str)
        Rows left out, with why: notes and section titles that one cell spans.
    """

    grid: Grid
    header: tuple[int, ...]
    names: tuple[str, ...]
    data: tuple[int, ...]
    skipped: tuple[tuple[int, str], ...]

    def columns(self) -> list[list[str]]:
        """The data as columns of text."""
        cells = self.grid.cells
        return [[cells[r][j] for r in self.data] for j in range(len(self.names))]

    def origin_row(self, r: int, c: int) -> int:
        """The first row of the merged range covering ``(r, c)``; ``r`` itself when none does."""
        span = self.grid.origin.get((r, c))
        return r if span is None else span[0]


def _filled(grid: Grid, r: int) -> int:
    """Distinct values of row ``r``: a merged range counts once."""
    seen: set[tuple[int, int]] = set()
    n = 0
    for c, text in enumerate(grid.cells[r]):
        if text == "":
            continue
        span = grid.origin.get((r, c))
        key = (span[0], span[1]) if span else (r, c)
        if key not in seen:
            seen.add(key)
            n += 1
    return n


def _header_depth(grid: Grid, top: int) -> int:
    """How many rows the header starting at ``top`` takes, from the merged cells in it."""
    depth = 1
    width = grid.width
    for c in range(width):
        span = grid.origin.get((top, c))
        if span is None or span[0] != top:
            continue
        r0, c0, r1, c1 = span
        depth = max(depth, r1 - r0 + 1)
        if c1 > c0 and r1 == r0:
            below = top + 1
            if below < len(grid.cells) and any(grid.cells[below][j] for j in range(c0, c1 + 1)):
                depth = max(depth, 2)
    return min(depth, len(grid.cells) - top)


def _header_top(grid: Grid, row: int) -> int:
    """The first row of a header of which ``row`` is a part: a merged header cell over it starts there."""
    top = row
    for c in range(grid.width):
        span = grid.origin.get((row, c))
        if span is not None and span[0] < top and span[2] >= row:
            top = span[0]
    return top


def find_header(
    grid: Grid, known: Callable[[str], bool] | None = None, header_row: int | None = None
) -> tuple[int, ...]:
    """The header's rows (0-based), found as the module's docstring says.

    Parameters
    ----------
    known : callable, optional
        Whether a header text (already :func:`normal_header`-ed) names a known column.
    header_row : int, optional
        The header's first row as Excel counts (from 1), when the guess is not enough.
    """
    if not grid.cells:
        return ()
    if header_row is not None:
        top = header_row - 1
        if not 0 <= top < len(grid.cells):
            return ()
    else:
        search = range(min(HEADER_SEARCH_ROWS, len(grid.cells)))
        counts = [_filled(grid, r) for r in search]
        fullest = max(counts, default=0)
        dense = [r for r in search if counts[r] >= max(1, (fullest + 1) // 2)]
        top = dense[0] if dense else 0
        if known is not None and dense:
            # A row of filler (填报单位、填报时间 ...) above the header names no known column, and
            # the header names at least two: then the header is the next dense row that does.
            def score(r: int) -> int:
                return sum(1 for t in grid.cells[r] if t and known(normal_header(t)))

            if score(top) == 0:
                top = next((r for r in dense[1:4] if score(r) >= 2), top)
        # A row found by its names may be the second row of a header whose cells span both.
        top = _header_top(grid, top)
    return tuple(range(top, top + _header_depth(grid, top)))


def _join(parts: Iterable[str]) -> str:
    out: list[str] = []
    for part in parts:
        text = part.strip()
        if text and text not in out:
            out.append(text)
    return "/".join(out)


def read_sheet(
    grid: Grid,
    *,
    known: Callable[[str], bool] | None = None,
    header_row: int | None = None,
) -> Sheet:
    """Split a grid into its header, its data rows and the rows left out.

    Raises nothing: the grid's problems stay in ``grid.problems`` for the caller to raise in its own
    error; a grid with no header (empty, or no row ``header_row``) gives a sheet without names.
    """
    header = find_header(grid, known, header_row)
    if not header:
        return Sheet(grid, (), (), (), ())
    width = grid.width
    names = tuple(_join(grid.cells[r][j] for r in header) for j in range(width))
    last = len(grid.cells)
    while last > header[-1] + 1 and not any(grid.cells[last - 1]):
        last -= 1
    data: list[int] = []
    skipped: list[tuple[int, str]] = []
    for r in range(header[-1] + 1, last):
        span = grid.origin.get((r, 0))
        if width > 1 and span is not None and span[1] == 0 and span[3] >= width - 1:
            skipped.append((r, "a note or section title across the whole row"))
            continue
        data.append(r)
    return Sheet(grid, header, names, tuple(data), tuple(skipped))
