"""``notices.json``: what a notices folder holds, sealed, so that ``verify`` catches a changed notice (private).

The record names the draw the notices are of (its manifest's SHA-256, and its assignment's when it
was staffed), the inspectors' results file the 抽查结果公告 was made from (its SHA-256 and rows),
and the SHA-256 of every notice written; ``notices.sha256`` seals it. ``pending.csv`` (the bureau's
to-do list, never published) is left out. The format is in ``docs/formats.md`` ("notices.json").
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from ._i18n import N_, _
from ._json import Fields, canonical_json
from ._version import __version__
from .checks import Recorder
from .exceptions import ManifestError
from .io import read_table, seal_line, sha256_file

__all__ = ["NOTICES_FORMAT", "NOTICE_RECORD_FILES", "check_notices", "notices_record"]

NOTICES_FORMAT = "shuangsuiji-notices/1"
#: The record and its seal.
NOTICE_RECORD_FILES = ("notices.json", "notices.sha256")
#: Written beside the notices but never published, so never recorded.
_PRIVATE = frozenset({"pending.csv"})


def notices_record(
    hashes: Mapping[str, str],
    *,
    draw_sha256: str | None,
    assignment_sha256: str | None,
    plan_sha256: str | None,
    results: tuple[str, int] | None,
) -> bytes:
    """``notices.json`` for the files written (name -> SHA-256), as :func:`~shuangsuiji.io.write_sealed` asks.

    ``results`` is the results file's SHA-256 and its number of rows, when a 抽查结果公告 was made.
    """
    return canonical_json(
        {
            "format": NOTICES_FORMAT,
            "library": {"name": "shuangsuiji", "version": __version__},
            "draw": {"manifest_sha256": draw_sha256, "assignment_sha256": assignment_sha256},
            "plan_sha256": plan_sha256,
            "results": None if results is None else {"sha256": results[0], "rows": results[1]},
            "files": {n: digest for n, digest in sorted(hashes.items()) if n not in _PRIVATE},
        }
    )


def _sha256(path: Path) -> str:
    return sha256_file(path) if path.is_file() else "missing"


def _check_results(rec: Recorder, fields: Fields, files: Mapping[str, str], results: Path | None) -> None:
    """A results record exactly when there is a 抽查结果公告; the file's SHA-256 and rows when it is given."""
    announced = any(name.startswith("抽查结果公告") for name in files)
    record = fields.obj("results") if fields.raw.get("results") is not None else None
    detail = _("with the 抽查结果公告") if announced else ""
    rec.check(N_("notices results recorded"), (record is not None) == announced, detail)
    if record is None:
        return
    digest, rows = record.text("sha256"), record.integer("rows")
    rec.check(
        N_("notices results record"),
        len(digest) == 64 and rows >= 0,
        _("SHA-256 {digest}, {rows} rows").format(digest=digest, rows=rows),
    )
    if results is not None:
        got = _sha256(results)
        rec.check(N_("results file"), got == digest, f"{results} SHA-256 {got}")
        counted = len(read_table(results, kind="results")) if got == digest else rows
        detail = _("{counted} rows in the file, {rows} recorded").format(counted=counted, rows=rows)
        rec.check(N_("results rows"), counted == rows, detail)


def check_notices(
    rec: Recorder, folder: Path, *, manifest_sha256: str, assignment: Path | None, results: Path | None = None
) -> None:
    """Record the checks of a notices folder against the draw (``manifest_sha256``) and its assignment record.

    Every notice the record lists must be there with its SHA-256, and every notice there must be listed;
    ``results`` (the inspectors' file, when given) must have the SHA-256 recorded.
    """
    fields, data = Fields.read(folder / "notices.json", ManifestError)
    digest = hashlib.sha256(data).hexdigest()
    seal = (folder / "notices.sha256").read_bytes()[:200] if (folder / "notices.sha256").is_file() else b""
    rec.check(N_("notices seal"), seal == seal_line(digest, "notices.json"), f"notices.json SHA-256 {digest}")
    rec.check(N_("notices record format"), fields.text("format") == NOTICES_FORMAT, fields.text("format"))
    library = fields.obj("library")
    name, version = library.text("name"), library.text("version")
    mine = (name, version) == ("shuangsuiji", __version__)
    rec.check(N_("notices written by this library"), mine, f"{name} {version}")
    rec.check(N_("notices of a draw, not of a plan file"), fields.optional_text("plan_sha256") is None)
    draw = fields.obj("draw")
    rec.check(N_("notices of this draw"), draw.optional_text("manifest_sha256") == manifest_sha256, manifest_sha256)
    staffed = _sha256(assignment) if assignment is not None and assignment.is_file() else None
    recorded = draw.optional_text("assignment_sha256")
    if staffed is not None or recorded is not None:
        rec.check(N_("notices of this assignment"), recorded == staffed, f"assignment.json SHA-256 {staffed}")
    files = fields.text_map("files")
    _check_results(rec, fields, files, results)
    for name, expected in sorted(files.items()):
        if Path(name).name != name or name in NOTICE_RECORD_FILES:
            rec.check(N_("notice {name}").format(name=name), False, _("not a notice's file name"))
            continue
        got = _sha256(folder / name)
        rec.check(N_("notice {name}").format(name=name), got == expected, f"SHA-256 {got}")
    extra = sorted(
        p.name
        for p in folder.iterdir()
        if p.is_file() and p.name not in files and p.name not in _PRIVATE and p.name not in NOTICE_RECORD_FILES
    )
    rec.check(N_("no notice outside the record"), not extra, ", ".join(extra) if extra else _("every file is listed"))
