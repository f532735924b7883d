"""Checking a sealed publication: the draw is bound, its day of reveal named, and kept (``docs/ceremony.md``).

Between the draw and the reveal, a sealed plan's public folder holds the
commitment, the manifest's seal line and ``sealed.json``. :func:`check_sealed`
checks what they allow: that they agree with each other, and whether the
reveal is still due or overdue. Once revealed, :func:`check_revealed` checks
that the manifest is the one that was sealed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from ._i18n import N_, _
from ._json import read_record
from .checks import Recorder
from .io import seal_line

__all__ = ["SEALED_FILE", "SEALED_FORMAT", "check_revealed", "check_sealed", "read_sealed"]

#: The file of a sealed publication that names the sealed manifest and the day of the reveal.
SEALED_FILE = "sealed.json"
#: Its format name and version.
SEALED_FORMAT = "shuangsuiji-sealed/1"


def read_sealed(out: Path) -> dict[str, Any] | None:
    """``sealed.json`` of a published draw folder, or ``None`` when it has none or it is not one."""
    return read_record(out / SEALED_FILE, SEALED_FORMAT)


def check_sealed(rec: Recorder, out: Path, *, today: dt.date) -> None:
    """The checks of a sealed publication, before its reveal (``today`` decides whether it is overdue)."""
    record = read_sealed(out)
    if not rec.check(N_("sealed publication readable"), record is not None, f"{out / SEALED_FILE} ({SEALED_FORMAT})"):
        return
    fields = record or {}
    digest = str(fields.get("manifest_sha256", ""))
    seal = out / "manifest.sha256"
    line = seal.read_bytes()[:200] if seal.is_file() else b""
    said = _("sealed manifest SHA-256 {sha256}").format(sha256=digest)
    rec.check(N_("manifest seal"), line == seal_line(digest, "manifest.json"), said)
    path = out / str(fields.get("commitment") or "../commitment.json")
    if not path.is_file():
        said = _("{path} is not here: the bureau published it before the draw; give it").format(path=path)
        rec.check(N_("commitment"), False, said)
    else:
        got = hashlib.sha256(path.read_bytes()).hexdigest()
        rec.check(N_("commitment"), got == fields.get("commitment_sha256"), f"{path} SHA-256 {got}")
    try:
        reveal_by = dt.date.fromisoformat(str(fields.get("reveal_by")))
    except ValueError:
        rec.check(N_("day of the reveal"), False, _("not a date: {value!r}").format(value=fields.get("reveal_by")))
        return
    if today > reveal_by:
        rec.check(
            N_("reveal on time"),
            False,
            _("the bureau was to reveal this draw by {day}; it is {today} and the manifest is not published").format(
                day=reveal_by, today=today
            ),
        )
    else:
        rec.withhold(
            N_("draw"),
            _(
                "sealed until {day}: the tables, the seed and the secret are revealed then, and must match "
                "the manifest SHA-256 {sha256}"
            ).format(day=reveal_by, sha256=digest),
        )


def check_revealed(rec: Recorder, out: Path, manifest_sha256: str) -> None:
    """After the reveal: the manifest is the one the sealed publication named (when its record is there)."""
    record = read_sealed(out)
    if record is None:
        return
    sealed = str(record.get("manifest_sha256", ""))
    rec.check(
        N_("manifest as sealed"), sealed == manifest_sha256, _("sealed.json names {sha256}").format(sha256=sealed)
    )
