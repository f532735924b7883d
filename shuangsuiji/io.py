"""Reading input tables and writing output files: the library's only file I/O.

Tables (population, history, ...) come from CSV (UTF-8 with or without BOM, or
GB18030 as Chinese Excel saves it), XLSX or Parquet. Every column is read as
text exactly as the file holds it (``410302`` stays ``410302``; the checks of
each table strip surrounding blanks later); numbers in
XLSX and Parquet cells become their shortest decimal text, with whole numbers
written without a decimal point. The frame's index is the row as a spreadsheet
numbers it (header = row 1), so messages can point at it.

Outputs are written atomically (a temporary file in the same folder, then a
rename), so a crash never leaves a half-written file under the final name.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ._csv import read_csv_table
from ._frames import arrow_text, text_frame
from ._i18n import _
from ._sheets import Grid, read_sheet
from ._workbooks import read_grid
from ._xlsx_safe import SAFE_XLSX_OPTIONS, WORKBOOK_CREATED, safe_workbook, safe_xlsx_bytes
from .columns import ALIASES, ColumnMap, canonical_name, is_known_header
from .exceptions import Problem, TableError

if TYPE_CHECKING:
    pass

__all__ = [
    "COLUMN_ALIASES",
    "SAFE_XLSX_OPTIONS",
    "WORKBOOK_CREATED",
    "atomic_write_bytes",
    "atomic_write_text",
    "csv_bytes",
    "grid_frame",
    "iter_parquet",
    "parquet_partitions",
    "read_allow_list",
    "read_parquet_groups",
    "read_table",
    "safe_workbook",
    "safe_xlsx_bytes",
    "seal_line",
    "sha256_file",
    "write_csv",
    "write_sealed",
]

#: Chinese (and register-code) headers every reader understands for the population's columns; each kind
#: of input has its own in :data:`shuangsuiji.columns.ALIASES`.
COLUMN_ALIASES: Mapping[str, str] = MappingProxyType({k: v for k, v in ALIASES["population"].items() if k != v})

_CSV_SUFFIXES = (".csv", ".txt")
_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
_PARQUET_SUFFIXES = (".parquet", ".pq")


def _read_workbook(  # noqa: PLR0917 - private, called once
    path: Path,
    source: str,
    sheet: str | int | None,
    error: type[TableError],
    kind: str | None = "population",
    column_map: ColumnMap | None = None,
    header_row: int | None = None,
) -> pd.DataFrame:
    grid = read_grid(path, sheet=sheet, error=error)
    return grid_frame(grid, error, kind=kind, column_map=column_map, header_row=header_row)


def grid_frame(
    grid: Grid,
    error: type[TableError] = TableError,
    *,
    kind: str | None = "population",
    column_map: ColumnMap | None = None,
    header_row: int | None = None,
) -> pd.DataFrame:
    """The table below a sheet's header as a text frame (see :mod:`shuangsuiji._sheets` for the rules).

    The frame's index is each row's number as Excel shows it; rows left out (notes across the whole
    row) are listed in ``frame.attrs["skipped_rows"]`` as ``(row, text, why)``.

    Raises
    ------
    TableError
        (the ``error`` subclass) listing the sheet's problems: formulas without a value, Excel
        error values, empty or clashing headers.
    """
    extra = column_map.columns.get(kind) if column_map is not None and kind is not None else None
    table = read_sheet(grid, known=is_known_header(kind, extra), header_row=header_row)
    if not table.names and header_row is not None:
        raise error(
            [
                Problem(
                    grid.where(),
                    None,
                    None,
                    str(header_row),
                    _("the sheet has {rows} rows; no header row {header_row}").format(
                        rows=len(grid.cells), header_row=header_row
                    ),
                )
            ]
        )
    if not table.names:
        raise error(
            [Problem(grid.where(), None, None, None, _("the sheet is empty; it needs a header row and data rows"))]
        )
    data_rows = set(table.data)
    problems = [p for p in grid.problems if p.row is None or (p.row - 1) in data_rows]
    if problems:
        raise error(problems)
    columns = table.columns()
    names = list(table.names)
    # Columns with neither a header nor any value (Excel's formatted but empty columns) are dropped.
    keep = [j for j, n in enumerate(names) if n.strip() or any(columns[j])]
    frame = text_frame(
        [names[j] for j in keep],
        [columns[j] for j in keep],
        grid.where(),
        error,
        kind=kind,
        column_map=column_map,
        header_line=table.header[-1] + 1,
        index=[r + 1 for r in table.data],
    )
    frame.attrs["skipped_rows"] = [(r + 1, grid.cells[r][0], why) for r, why in table.skipped]
    frame.attrs["header_rows"] = [r + 1 for r in table.header]
    return frame


def _parquet_file(path: Path, source: str, error: type[TableError]) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise error(
            [Problem(source, None, None, None, _("cannot read the Parquet file: {exc}").format(exc=exc))]
        ) from None


def _projection(names: list[str], columns: Collection[str] | None) -> list[str] | None:
    """The file's column names whose canonical name (aliases resolved) is wanted; ``None`` for all."""
    if columns is None:
        return None
    return [n for n in names if canonical_name(n, "population") in columns]


def _text_table(table: pa.Table, source: str, error: type[TableError], first_row: int = 2) -> pd.DataFrame:
    try:
        cols = [arrow_text(c) for c in table.columns]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        message = _("a column cannot be read as text: {exc}").format(exc=exc)
        raise error([Problem(source, None, None, None, message)]) from None
    frame = text_frame(table.column_names, cols, source, error)
    frame.index = pd.RangeIndex(first_row, first_row + len(frame))
    return frame


def _read_parquet(
    path: Path, source: str, error: type[TableError], columns: Collection[str] | None = None
) -> pd.DataFrame:
    file = _parquet_file(path, source, error)
    try:
        table = file.read(columns=_projection(file.schema_arrow.names, columns))
    except (pa.ArrowInvalid, OSError) as exc:
        raise error(
            [Problem(source, None, None, None, _("cannot read the Parquet file: {exc}").format(exc=exc))]
        ) from None
    return _text_table(table, source, error)


def iter_parquet(
    path: str | Path,
    *,
    columns: Collection[str] | None = None,
    batch_rows: int = 1 << 20,
    error: type[TableError] = TableError,
) -> Iterator[pd.DataFrame]:
    """Read a Parquet table in batches of text frames, in bounded memory.

    Each batch is converted exactly as :func:`read_table` converts a whole
    file, and indexed by spreadsheet row (header = row 1), counting on from
    the batches before it.

    Parameters
    ----------
    path : str or Path
        The Parquet file.
    columns : collection of str, optional
        Canonical names of the columns to read (aliases in the file are
        recognised); default: all.
    batch_rows : int
        Rows per batch (at most).
    error : type of TableError
        The error raised for problems.
    """
    path = Path(path)
    file = _parquet_file(path, str(path), error)
    first = 2
    try:
        batches = file.iter_batches(batch_size=batch_rows, columns=_projection(file.schema_arrow.names, columns))
        for batch in batches:
            yield _text_table(pa.Table.from_batches([batch]), str(path), error, first)
            first += batch.num_rows
    except (pa.ArrowInvalid, OSError) as exc:
        raise error(
            [Problem(str(path), None, None, None, _("cannot read the Parquet file: {exc}").format(exc=exc))]
        ) from None


def parquet_partitions(path: str | Path, rows: int, *, error: type[TableError] = TableError) -> list[list[int]]:
    """Consecutive row groups of a Parquet file, gathered into partitions of about ``rows`` rows."""
    path = Path(path)
    meta = _parquet_file(path, str(path), error).metadata
    parts: list[list[int]] = [[]]
    filled = 0
    for g in range(meta.num_row_groups):
        if filled >= rows:
            parts.append([])
            filled = 0
        parts[-1].append(g)
        filled += meta.row_group(g).num_rows
    return parts if parts[0] else []


def read_parquet_groups(
    path: str | Path,
    groups: list[int],
    first_row: int,
    *,
    columns: Collection[str] | None = None,
    error: type[TableError] = TableError,
) -> pd.DataFrame:
    """Row groups of a Parquet file as a text frame whose index starts at spreadsheet row ``first_row``."""
    path = Path(path)
    file = _parquet_file(path, str(path), error)
    try:
        table = file.read_row_groups(groups, columns=_projection(file.schema_arrow.names, columns))
    except (pa.ArrowInvalid, OSError) as exc:
        raise error(
            [Problem(str(path), None, None, None, _("cannot read the Parquet file: {exc}").format(exc=exc))]
        ) from None
    return _text_table(table, str(path), error, first_row)


def read_table(
    path: str | Path,
    *,
    error: type[TableError] = TableError,
    encoding: str | None = None,
    sheet: str | int | None = None,
    columns: Collection[str] | None = None,
    kind: str | None = "population",
    header_row: int | None = None,
    column_map: ColumnMap | None = None,
) -> pd.DataFrame:
    """Read a CSV, XLS, XLSX or Parquet table with every column as text.

    Spreadsheets are read as bureaus keep them (docs/inputs.md): the header found below title
    rows, headers of two rows joined, merged cells filled, trailing empty rows dropped, a formula
    without a calculated value reported. Headers are renamed to canonical names by the aliases of
    ``kind`` (:data:`shuangsuiji.columns.ALIASES`) and ``column_map``.

    Parameters
    ----------
    path : str or Path
        The file; its suffix chooses the format.
    error : type of TableError
        The error raised for problems (``PopulationError``, ``HistoryError``...).
    encoding : str, optional
        Force a CSV encoding; by default UTF-8 (BOM or not), then GB18030.
    sheet : str or int, optional
        The workbook's sheet: a name, or a number counted from 1; by default the first sheet.
    columns : collection of str, optional
        Canonical names of the columns needed. A Parquet file (a column store)
        reads only those; CSV and XLSX files are read whole.
    kind : str or None
        The kind of input (``population``, ``roster``, ``results`` ...: :data:`shuangsuiji.columns.INPUT_KINDS`)
        whose headers are understood; ``None`` for the headers common to all.
    header_row : int, optional
        The header's (first) row as the spreadsheet numbers it, when the guess is not enough.
    column_map : ColumnMap, optional
        A bureau's own headers and default values.

    Returns
    -------
    pandas.DataFrame
        Text columns (canonical names; Chinese aliases renamed), indexed by
        spreadsheet row (the header's last row + 1 onwards).

    Raises
    ------
    TableError
        (the ``error`` subclass) naming every problem found.
    FileNotFoundError
        If the file does not exist.
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise FileNotFoundError(_("{source}: no such file").format(source=source))
    if header_row is not None and (isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1):
        raise error([Problem(source, None, None, str(header_row), _("the header row is a row number from 1"))])
    suffix = path.suffix.lower()
    if suffix in _CSV_SUFFIXES:
        frame = read_csv_table(path, source, encoding, error, kind, column_map, header_row)
    elif suffix in _WORKBOOK_SUFFIXES:
        frame = _read_workbook(path, source, sheet, error, kind, column_map, header_row)
    elif suffix in _PARQUET_SUFFIXES:
        frame = _read_parquet(path, source, error, columns)
        if column_map is not None and kind is not None:
            frame = column_map.apply(frame, kind, error=error)
    else:
        message = _("unknown file type; use .csv, .xls, .xlsx or .parquet")
        raise error([Problem(source, None, None, suffix, message)])
    return frame


def read_allow_list(path: str | Path) -> frozenset[str]:
    """Read an allow-list of legacy codes that fail the GB 32100 check.

    A ``.csv``, ``.xlsx`` or ``.parquet`` file needs a ``uscc`` column; any
    other file lists one code per line (blank lines and ``#`` comments skipped).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "allow.txt"
    >>> _ = p.write_text("# pilot codes\\n91350100M0001TGQXM\\n", encoding="utf-8")
    >>> sorted(read_allow_list(p))
    ['91350100M0001TGQXM']
    """
    path = Path(path)
    if path.suffix.lower() in _CSV_SUFFIXES[:1] + _WORKBOOK_SUFFIXES + _PARQUET_SUFFIXES:
        frame = read_table(path)
        if "uscc" not in frame.columns:
            raise TableError(
                [
                    Problem(
                        str(path),
                        1,
                        None,
                        None,
                        _("the allow-list needs a 'uscc' column; it has {columns}").format(columns=list(frame.columns)),
                    )
                ]
            )
        return frozenset(s for v in frame["uscc"].tolist() if (s := v.strip()))
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    return frozenset(s for line in text.splitlines() if (s := line.strip()) and not s.startswith("#"))


def seal_line(digest: str, name: str) -> bytes:
    """The seal of a record: one ``sha256sum`` line, ``DIGEST  NAME`` and a line feed.

    Examples
    --------
    >>> seal_line("ab" * 32, "manifest.json")[-16:]
    b'  manifest.json\\n'
    """
    return f"{digest}  {name}\n".encode()


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as 64 lowercase hex digits (what ``sha256sum`` prints)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def atomic_write_bytes(path: str | Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename).

    Parameters
    ----------
    mode : int, optional
        File permissions, e.g. ``0o600`` for a secret.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str, *, mode: int | None = None) -> None:
    """Write UTF-8 text atomically (no BOM)."""
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


_LIVE = r"^[=+\-@\t\r]"
_LIVE_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = r"-?[0-9]+(\.[0-9]+)?"


def _neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``'`` before every text cell and header a spreadsheet would run as a formula.

    A cell starting with ``= + - @``, tab or CR (OWASP's CSV-injection list) that is not a plain
    decimal number (``-3``, ``-0.5`` stay) gets a leading ``'``; the library's readers drop it again
    (``_frames.FORMULA_QUOTE``), so its own tables round-trip unchanged.
    """
    out = frame
    for i in range(frame.shape[1]):
        values = frame.iloc[:, i]
        if values.dtype.kind not in "OSUT" and str(values.dtype) not in ("str", "string"):
            continue
        text = values.astype(str)
        starts = text.str.startswith(_LIVE_STARTS).to_numpy(dtype=bool)
        if not starts.any():  # the usual case, found in one pass
            continue
        live = starts.copy()
        live[starts] = ~text[starts].str.fullmatch(_PLAIN_NUMBER).to_numpy(dtype=bool)
        if live.any():
            out = out.copy() if out is frame else out
            out.iloc[:, i] = text.where(~live, "'" + text)
    names = [str(c) for c in frame.columns]
    quoted = [("'" + n) if re.match(_LIVE, n) and not re.fullmatch(_PLAIN_NUMBER, n) else n for n in names]
    if quoted != names:
        out = out.set_axis(quoted, axis=1)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as CSV bytes: UTF-8 with BOM (Excel opens it), ``\\n`` line ends, no index.

    Text cells a spreadsheet would run as formulas are neutralised with a leading ``'`` (OWASP; see
    ``docs/formats.md``); the library's readers drop that quote again.

    Examples
    --------
    >>> csv_bytes(pd.DataFrame({"name": ["=1+1", "-2", "A"]})).decode("utf-8-sig")
    "name\\n'=1+1\\n-2\\nA\\n"
    """
    safe = _neutralised(frame)
    return "\ufeff".encode() + safe.to_csv(index=False, lineterminator="\n").encode("utf-8")


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a frame as CSV (see :func:`csv_bytes`) atomically."""
    atomic_write_bytes(path, csv_bytes(frame))


def write_sealed(
    out: Path, tables: Mapping[str, bytes], name: str, manifest: Callable[[Mapping[str, str]], bytes]
) -> bytes:
    """Write tables, then the manifest naming them by SHA-256, then the manifest's seal.

    The manifest's bytes (``manifest`` makes them from the tables' hashes) are made before
    anything is written, so a manifest that cannot be made leaves the folder as it was. Each file
    is written atomically: the tables first, then ``{name}.json``, then ``{name}.sha256`` in
    ``sha256sum`` format. Returns the manifest's bytes.
    """
    data = manifest({file: hashlib.sha256(blob).hexdigest() for file, blob in tables.items()})
    out.mkdir(parents=True, exist_ok=True)
    for file, blob in tables.items():
        atomic_write_bytes(out / file, blob)
    atomic_write_bytes(out / f"{name}.json", data)
    atomic_write_bytes(out / f"{name}.sha256", seal_line(hashlib.sha256(data).hexdigest(), f"{name}.json"))
    return data
