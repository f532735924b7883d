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

import codecs
import csv
import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .exceptions import Problem, TableError
from .validation import cell_text

__all__ = [
    "COLUMN_ALIASES",
    "atomic_write_bytes",
    "atomic_write_text",
    "csv_bytes",
    "iter_parquet",
    "parquet_partitions",
    "read_allow_list",
    "read_parquet_groups",
    "read_table",
    "sha256_file",
    "write_csv",
    "write_sealed",
]

#: Chinese (and a few English) headers accepted for the canonical columns.
COLUMN_ALIASES: Mapping[str, str] = {
    "统一社会信用代码": "uscc",
    "社会信用代码": "uscc",
    "信用代码": "uscc",
    "企业名称": "name",
    "主体名称": "name",
    "名称": "name",
    "信用风险分类": "credit_class",
    "信用风险类别": "credit_class",
    "信用等级": "credit_class",
    "风险等级": "risk_tier",
    "风险分级": "risk_tier",
    "行政区划": "region",
    "行政区划代码": "region",
    "所属区域": "region",
    "行业": "industry",
    "行业代码": "industry",
    "国民经济行业": "industry",
    "登记状态": "status",
    "经营状态": "status",
    "主体类型": "entity_type",
    "市场主体类型": "entity_type",
    "所属监管所": "station",
    "监管所": "station",
    "检查部门": "department",
    "部门": "department",
    "检查日期": "date",
    "日期": "date",
    "检查类型": "kind",
}

_CSV_SUFFIXES = (".csv", ".txt")
_XLSX_SUFFIXES = (".xlsx", ".xlsm")
_PARQUET_SUFFIXES = (".parquet", ".pq")


def _frame(
    columns: list[str], data: Iterable[pa.Array | pa.ChunkedArray | list[str]], source: str, error: type[TableError]
) -> pd.DataFrame:
    """Assemble a text frame, renaming aliases and refusing clashing headers."""
    names = [c.strip() for c in columns]
    problems: list[Problem] = []
    canon = [COLUMN_ALIASES.get(n, n) for n in names]
    for i, c in enumerate(canon):
        if c == "":
            problems.append(Problem(source, 1, f"#{i + 1}", "", "the header of this column is empty; name it"))
        elif canon.index(c) != i:
            first = names[canon.index(c)]
            problems.append(
                Problem(
                    source,
                    1,
                    names[i],
                    None,
                    f"this header means the same column as {first!r} (both read as {c!r}); keep one of them",
                )
            )
    if problems:
        raise error(problems)
    arrays = [pa.array(d, type=pa.string()) if isinstance(d, list) else d for d in data]
    table = pa.table(dict(zip(canon, arrays, strict=True)))
    frame: pd.DataFrame = table.to_pandas()
    for c in frame.columns:
        if frame[c].dtype != "str":
            frame[c] = frame[c].astype("str")
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    return frame


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


def _read_csv(path: Path, source: str, encoding: str | None, error: type[TableError]) -> pd.DataFrame:
    head = _head(path)
    enc = encoding or _sniff_encoding(head)
    text = head.decode("utf-8-sig" if enc == "utf8" else enc, errors="replace")
    header = next(csv.reader(io.StringIO(text)), None)
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
            read_options=pacsv.ReadOptions(encoding=enc, use_threads=False),
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
            return _read_csv(path, source, "gb18030", error)
        raise error(
            [Problem(source, None, None, None, f"cannot read the CSV as {enc}: {exc}; save it as UTF-8 CSV")]
        ) from None
    if bad:
        raise error(bad)
    return _frame(table.column_names, table.columns, source, error)


def _read_xlsx(path: Path, source: str, sheet: str | None, error: type[TableError]) -> pd.DataFrame:
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise error([Problem(source, None, None, None, f"cannot open the workbook: {exc}")]) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise error([Problem(source, None, None, sheet, f"no such sheet; the sheets are {book.sheetnames}")])
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise error([Problem(source, None, None, None, "the sheet is empty; it needs a header row and data rows")])
        width = len(header)
        while width and header[width - 1] is None:
            width -= 1
        cols: list[list[str]] = [[] for _ in range(width)]
        for row in rows:
            cells = list(row[:width]) + [None] * (width - len(row))
            for j in range(width):
                cols[j].append(cell_text(cells[j]))
        # Trailing rows Excel keeps after deleting content are empty; drop them.
        n = len(cols[0]) if cols else 0
        while n and all(c[n - 1] == "" for c in cols):
            n -= 1
        return _frame([cell_text(h) for h in header[:width]], [c[:n] for c in cols], source, error)
    finally:
        book.close()


def _arrow_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        out = col
    elif pa.types.is_dictionary(t):
        return _arrow_text(col.cast(t.value_type))
    else:
        out = pc.cast(col, pa.string())  # Arrow writes a float 1.0 as "1": shortest round-trip text
    return pc.fill_null(out, "")


def _parquet_file(path: Path, source: str, error: type[TableError]) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise error([Problem(source, None, None, None, f"cannot read the Parquet file: {exc}")]) from None


def _projection(names: list[str], columns: Collection[str] | None) -> list[str] | None:
    """The file's column names whose canonical name (aliases resolved) is wanted; ``None`` for all."""
    if columns is None:
        return None
    return [n for n in names if COLUMN_ALIASES.get(n.strip(), n.strip()) in columns]


def _text_table(table: pa.Table, source: str, error: type[TableError], first_row: int = 2) -> pd.DataFrame:
    try:
        cols = [_arrow_text(c) for c in table.columns]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise error([Problem(source, None, None, None, f"a column cannot be read as text: {exc}")]) from None
    frame = _frame(table.column_names, cols, source, error)
    frame.index = pd.RangeIndex(first_row, first_row + len(frame))
    return frame


def _read_parquet(
    path: Path, source: str, error: type[TableError], columns: Collection[str] | None = None
) -> pd.DataFrame:
    file = _parquet_file(path, source, error)
    try:
        table = file.read(columns=_projection(file.schema_arrow.names, columns))
    except (pa.ArrowInvalid, OSError) as exc:
        raise error([Problem(source, None, None, None, f"cannot read the Parquet file: {exc}")]) from None
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
        raise error([Problem(str(path), None, None, None, f"cannot read the Parquet file: {exc}")]) from None


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
        raise error([Problem(str(path), None, None, None, f"cannot read the Parquet file: {exc}")]) from None
    return _text_table(table, str(path), error, first_row)


def read_table(
    path: str | Path,
    *,
    error: type[TableError] = TableError,
    encoding: str | None = None,
    sheet: str | None = None,
    columns: Collection[str] | None = None,
) -> pd.DataFrame:
    """Read a CSV, XLSX or Parquet table with every column as text.

    Parameters
    ----------
    path : str or Path
        The file; its suffix chooses the format.
    error : type of TableError
        The error raised for problems (``PopulationError``, ``HistoryError``...).
    encoding : str, optional
        Force a CSV encoding; by default UTF-8 (BOM or not), then GB18030.
    sheet : str, optional
        XLSX sheet name; by default the first sheet.
    columns : collection of str, optional
        Canonical names of the columns needed. A Parquet file (a column store)
        reads only those; CSV and XLSX files are read whole.

    Returns
    -------
    pandas.DataFrame
        Text columns (canonical names; Chinese aliases renamed), indexed by
        spreadsheet row (header = row 1).

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
        raise FileNotFoundError(f"{source}: no such file")
    suffix = path.suffix.lower()
    if suffix in _CSV_SUFFIXES:
        frame = _read_csv(path, source, encoding, error)
    elif suffix in _XLSX_SUFFIXES:
        frame = _read_xlsx(path, source, sheet, error)
    elif suffix in _PARQUET_SUFFIXES:
        frame = _read_parquet(path, source, error, columns)
    else:
        raise error([Problem(source, None, None, suffix, "unknown file type; use .csv, .xlsx or .parquet")])
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
    if path.suffix.lower() in _CSV_SUFFIXES[:1] + _XLSX_SUFFIXES + _PARQUET_SUFFIXES:
        frame = read_table(path)
        if "uscc" not in frame.columns:
            raise TableError(
                [
                    Problem(
                        str(path), 1, None, None, f"the allow-list needs a 'uscc' column; it has {list(frame.columns)}"
                    )
                ]
            )
        return frozenset(s for v in frame["uscc"].tolist() if (s := v.strip()))
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    return frozenset(s for line in text.splitlines() if (s := line.strip()) and not s.startswith("#"))


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


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as CSV bytes: UTF-8 with BOM (Excel opens it), ``\\n`` line ends, no index."""
    return "\ufeff".encode() + frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


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
    atomic_write_bytes(out / f"{name}.sha256", f"{hashlib.sha256(data).hexdigest()}  {name}.json\n".encode())
    return data
