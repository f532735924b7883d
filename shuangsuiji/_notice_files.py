"""The files of a notice: its CSV, XLSX and HTML bytes, made one by one or in workers (private).

Re-exported by :mod:`shuangsuiji.notices`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ._hashing import default_workers, forked_map
from ._notice_model import Notice, NoticeProvenance, NoticeSettings
from ._notice_render import html_text
from ._notice_xlsx import xlsx_bytes
from .io import atomic_write_bytes, csv_bytes

__all__ = ["PARALLEL_ROWS", "notice_csv_bytes", "notice_files", "notices_files", "write_notice"]


def notice_csv_bytes(notice: Notice) -> bytes:
    """The notice's machine copy: the table as CSV with BOM, formula-like cells neutralised (:func:`.io.csv_bytes`).

    A line break inside a cell is written as a line feed (a bare carriage return would end the record for
    most readers), so each record stays one row.
    """
    table = notice.table.astype(str)
    for column in table.columns:  # only the columns with a carriage return are rewritten
        if table[column].str.contains("\r", regex=False).any():
            table[column] = table[column].str.replace("\r\n", "\n", regex=False).str.replace("\r", "\n", regex=False)
    return csv_bytes(table)


def notice_files(
    notice: Notice,
    stem: str,
    *,
    settings: NoticeSettings | None = None,
    provenance: NoticeProvenance | None = None,
    templates: str | Path | None = None,
) -> dict[str, bytes]:
    """The bytes of ``stem.csv``, ``stem.xlsx`` and ``stem.html`` (the export has no HTML), file name -> bytes.

    Parameters
    ----------
    settings : NoticeSettings, optional
        The bureau's letterhead, preamble, contact, issuing bureau and date (HTML).
    provenance : NoticeProvenance, optional
        The plan, the seed's mode and the manifest's SHA-256 for the footer (HTML; the plan id in the XLSX's).
    templates : str or Path, optional
        A folder of templates replacing the shipped ones by name.

    Raises
    ------
    InputError
        For a template with a mistake.
    """
    return {
        f"{stem}.{kind}": _notice_bytes(notice, kind, settings=settings, provenance=provenance, templates=templates)
        for kind in _kinds(notice)
    }


def _kinds(notice: Notice) -> tuple[str, ...]:
    return ("csv", "xlsx") if notice.kind == "export" else ("csv", "xlsx", "html")


def _notice_bytes(
    notice: Notice,
    kind: str,
    *,
    settings: NoticeSettings | None,
    provenance: NoticeProvenance | None,
    templates: str | Path | None,
) -> bytes:
    if kind == "csv":
        return notice_csv_bytes(notice)
    if kind == "xlsx":
        return xlsx_bytes(
            notice,
            footer=provenance.plan_id if provenance is not None else "",
            provenance=provenance.lines() if provenance is not None and notice.kind != "export" else (),
        )
    return html_text(notice, settings=settings, provenance=provenance, templates=templates).encode("utf-8")


#: Notices of fewer rows than this (all together) are made in the calling process.
PARALLEL_ROWS = 20_000


def notices_files(
    notices: Sequence[tuple[Notice, str]],
    *,
    settings: NoticeSettings | None = None,
    provenance: NoticeProvenance | None = None,
    templates: str | Path | None = None,
    workers: int | None = None,
) -> dict[str, bytes]:
    """The files of :func:`notice_files` for several ``(notice, stem)`` pairs, file name -> bytes.

    Large notices (:data:`PARALLEL_ROWS` rows or more in all) are made in forked worker processes,
    one file each; the bytes and their order are those of making them one by one.

    Raises
    ------
    InputError
        For a template with a mistake.
    """
    jobs = [(notice, stem, kind) for notice, stem in notices for kind in _kinds(notice)]
    rows = sum(len(notice.table) for notice, _ in notices)
    count = (default_workers() if workers is None else workers) if rows >= PARALLEL_ROWS else 1
    made = forked_map(  # the workers inherit the notices; only a job's number goes to them
        lambda k: _notice_bytes(jobs[k][0], jobs[k][2], settings=settings, provenance=provenance, templates=templates),
        range(len(jobs)),
        workers=count,
        size=lambda k: len(jobs[k][0].table) * (3 if jobs[k][2] == "xlsx" else 1),
    )
    return {f"{stem}.{kind}": data for (_, stem, kind), data in zip(jobs, made, strict=True)}


def write_notice(
    notice: Notice,
    out_dir: str | Path,
    stem: str,
    *,
    settings: NoticeSettings | None = None,
    provenance: NoticeProvenance | None = None,
    templates: str | Path | None = None,
) -> list[Path]:
    """Write the files of :func:`notice_files` into ``out_dir`` (each atomically, once all are made).

    Raises
    ------
    InputError
        For a template with a mistake (nothing is written then).
    """
    out = Path(out_dir)
    files = notice_files(notice, stem, settings=settings, provenance=provenance, templates=templates)
    for name, data in files.items():
        atomic_write_bytes(out / name, data)
    return [out / name for name in files]
