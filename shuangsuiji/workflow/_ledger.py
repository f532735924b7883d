"""The inspection ledger's steps: add a draw, its assignment, results and checks; export; verify."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from .._i18n import N_, _
from ..assignment.manifest import AssignmentManifest
from ..checks import Recorder, Verification
from ..exceptions import LedgerError
from ..ledger.entries import LedgerEntry, LedgerHead
from ..ledger.sources import (
    assignment_entries,
    check_entries,
    draw_entries,
    published_entries,
    result_entries,
)
from ..ledger.store import Ledger
from ..manifest import Manifest
from ..yearview import LedgerView, ledger_view

__all__ = ["LedgerAddStep", "run_ledger_add", "run_ledger_export", "run_ledger_verify"]


@dataclass(frozen=True)
class LedgerAddStep:
    """What :func:`run_ledger_add` appended: the new head, how many entries, and from which sources."""

    head: LedgerHead
    added: int
    sources: tuple[str, ...] = ()


@contextlib.contextmanager
def opened_ledger(ledger: Ledger | str | Path, *, create: bool) -> Iterator[Ledger]:
    """The ledger given, or the one at a path or URL (closed afterwards; made if absent with ``create``)."""
    if isinstance(ledger, Ledger):
        yield ledger
        return
    with Ledger.open(ledger, create=create) as opened:
        yield opened


def _draw_parts(
    book: Ledger, draw: Path, *, year: str | None, batch: str | None, known: set[str]
) -> list[list[LedgerEntry]]:
    """The draw's entries and its assignment's (if staffed), leaving out the parts already in the ledger."""
    parts = [draw_entries(draw, year=year, batch=batch)]
    if (draw / AssignmentManifest.FILE).is_file():
        parts.append(_amended(book, draw, assignment_entries(draw, year=year, batch=batch)))
    return [p for p in parts if p and p[0].source not in known]


#: ``detail`` of the entry of a team that an amendment left without anyone (its visit waits).
WAITS_AFTER_AMENDMENT = "waits after an amendment"


def _amended(book: Ledger, draw: Path, entries: list[LedgerEntry]) -> list[LedgerEntry]:
    """An amended assignment whose batch the ledger holds staffed already: only what the amendments changed.

    Each team whose people or date differ from its latest ``staffed`` entry gets a new one; a team the
    amendments left waiting gets one without inspectors or date (``detail`` :data:`WAITS_AFTER_AMENDMENT`),
    so the ledger's view follows the amended teams and no unchanged team is entered twice.
    """
    if not entries or not AssignmentManifest.read(draw).amendments:
        return entries
    rows = book.frame(year=entries[0].year)
    staffed = rows[(rows["event"] == "staffed") & (rows["batch"] == entries[0].batch)]
    if staffed.empty:
        return entries
    latest = staffed.sort_values("seq", kind="stable").drop_duplicates(["visit_id", "department"], keep="last")
    last = {
        (str(r["visit_id"]), str(r["department"])): (
            str(r["inspectors"]),
            str(r["date"]),
            str(r["task_id"]),
            str(r["uscc"]),
        )
        for r in latest.to_dict("records")
    }
    now = {(e.visit_id, e.department): e for e in entries}
    changed = [e for key, e in now.items() if last.get(key, ("",) * 4)[:3] != (e.inspectors, e.date, e.task_id)]
    source = entries[0].source
    gone = [
        LedgerEntry(
            year=entries[0].year,
            event="staffed",
            uscc=uscc,
            department=department,
            batch=entries[0].batch,
            task_id=task_id,
            visit_id=visit,
            detail=WAITS_AFTER_AMENDMENT,
            source=source,
        )
        for (visit, department), (inspectors, _date, task_id, uscc) in sorted(last.items())
        if (visit, department) not in now and inspectors != ""
    ]
    return sorted([*changed, *gone], key=lambda e: (e.visit_id, e.department))


def _check_batch(book: Ledger, folder: Path) -> None:
    """A year's batch goes into the ledger once, in order, and only into the ledger whose head it read.

    Raises
    ------
    LedgerError
        If the ledger holds another draw of the batch or a later batch, or the head the batch
        recorded is not a head of this ledger.
    """
    manifest = Manifest.read(folder)
    record = manifest.year
    if record is None:
        return
    head = record.head
    book.require_head(head)
    rows = book.frame(year=record.year)
    drawn = rows[rows["event"].isin(["drawn", "batch"])]
    other = sorted(set(drawn.loc[drawn["batch"] == record.batch, "source"]) - {f"manifest {manifest.sha256}"})
    if other:
        message = _(
            "The ledger holds batch {batch!r} of {year} already, from another draw ({source}): a batch is drawn once."
        )
        raise LedgerError(message.format(batch=record.batch, year=record.year, source=other[0]))
    later = sorted(set(drawn["batch"]) - _before(rows, head) - {record.batch})
    if later:
        message = _(
            "Batch {batch!r} read the ledger at seq {seq}, but batches {later} were added since: "
            "its exclusions do not know them; draw it again from the ledger as it is now."
        )
        raise LedgerError(message.format(batch=record.batch, seq=head.seq, later=later))


def _before(rows: pd.DataFrame, head: LedgerHead) -> set[str]:
    """The batches whose draws are in the ledger at a head."""
    return set(rows.loc[(rows["seq"] <= head.seq) & rows["event"].isin(["drawn", "batch"]), "batch"])


def run_ledger_add(
    ledger: Ledger | str | Path,
    *,
    year: str | None = None,
    batch: str | None = None,
    draw: str | Path | None = None,
    results: str | Path | None = None,
    published: str | Path | None = None,
    published_on: str | None = None,
    checks: str | Path | None = None,
) -> LedgerAddStep:
    """Add to the ledger, in one all-or-nothing append: a published draw, its results, checks outside the draw.

    Parameters
    ----------
    ledger : Ledger, str or Path
        The ledger, or its file or URL (made if absent).
    year : str, optional
        The year's id: by default the one a year's batch records; needed for other draws and checks.
    batch : str, optional
        The batch's id: by default the one a year's batch records, else the draw's plan id.
    draw : str or Path, optional
        A published draw folder: its drawn entities and, once ``assignment.json`` is there,
        its staffed teams. A part already in the ledger is left out, so the same folder can be
        added after the draw and again after the assignment (and given along with ``results``).
    results : str or Path, optional
        The inspectors' results file (CSV or XLSX) of ``draw``, which it needs.
    published, published_on : str or Path, and str, optional
        The 抽查结果公告 of ``draw`` as posted (``notices --results`` writes it), and the day it was
        posted (``YYYY-MM-DD``).
    checks : str or Path, optional
        A CSV or XLSX of checks outside the draw (complaints, alerts, referrals, re-checks).

    Raises
    ------
    LedgerError
        If nothing new is given (the draw and its assignment already in the ledger, and no
        other file), if ``results`` or ``checks`` is already in the ledger, or ``results``
        comes without ``draw``.
    ResultsError, ChecksError
        Listing every problem of the results or checks file.
    """
    folder = Path(draw) if draw is not None else None
    if (results is not None or published is not None) and folder is None:
        raise LedgerError(_("Results and notices need the draw they report on: give draw= (--draw) as well."))
    if (published is None) != (published_on is None):
        message = _("A posted notice comes with the day it was posted: give both --published and --published-on.")
        raise LedgerError(message)
    if folder is None and checks is None:
        raise LedgerError(_("Nothing to add: give a draw folder (with its results or notice), or a checks file."))
    with opened_ledger(ledger, create=True) as book:
        known = book.sources()
        parts = _draw_parts(book, folder, year=year, batch=batch, known=known) if folder is not None else []
        if folder is not None and parts and parts[0][0].event in ("batch", "drawn"):
            _check_batch(book, folder)
        files = []
        if results is not None and folder is not None:
            files.append(result_entries(results, folder, year=year, batch=batch))
        if published is not None and published_on is not None and folder is not None:
            files.append(published_entries(published, folder, date=published_on, year=year, batch=batch))
        if checks is not None:
            if year is None:
                message = _("Checks outside the draw need the year they belong to: give year= (--year ID).")
                raise LedgerError(message)
            files.append(check_entries(checks, year=year))
        again = sorted({e.source for part in files for e in part} & known)
        if again:
            raise LedgerError(
                _("Nothing was added: already in the ledger: {sources}.").format(sources=", ".join(again))
            )
        if folder is not None and not parts and not files:
            message = _("The draw {folder} (and its assignment, if any) is already in the ledger.")
            raise LedgerError(message.format(folder=folder))
        entries = [e for part in [*parts, *files] for e in part]
        head = book.append(entries)
    return LedgerAddStep(head, len(entries), tuple(dict.fromkeys(e.source for e in entries)))


def run_ledger_export(ledger: Ledger | str | Path, out: str | Path) -> Path:
    """Export the ledger to ``out`` (``.csv``, ``.xlsx`` or ``.parquet``, by its suffix); return the path.

    Raises
    ------
    LedgerError
        If there is no ledger there, or the suffix is not one of those.
    """
    with opened_ledger(ledger, create=False) as book:
        return book.export(out)


def run_ledger_verify(
    ledger: Ledger | str | Path,
    *,
    heads: Mapping[str, LedgerHead] | None = None,
    draws: Sequence[str | Path] = (),
) -> Verification:
    """Recompute the ledger's chain and check each recorded head, and each year's batch against the ledger.

    Parameters
    ----------
    ledger : Ledger, str or Path
        The ledger, or its file or URL.
    heads : mapping, optional
        Name -> a head recorded elsewhere, each checked to be a head of this chain.
    draws : sequence of folders, optional
        Published draws of a year's batches: the head each manifest records must be a head of
        this chain, and the ledger view the batch read (``ledger-view.json``) must be this
        ledger's view at that head, byte for byte.

    Raises
    ------
    LedgerError
        If there is no ledger there (a ledger that is there but broken fails a check instead).
    ManifestError
        If a draw folder holds no draw manifest.
    """
    recorded = dict(heads or {})
    batches = []
    for folder in draws:
        manifest = Manifest.read(folder)
        if manifest.year is None:
            message = _("{source}: this draw is not a year's batch; it records no ledger head.")
            raise LedgerError(message.format(source=manifest.source))
        recorded[f"{folder} ({manifest.year.year} {manifest.year.batch})"] = manifest.year.head
        batches.append((Path(folder), manifest))
    with opened_ledger(ledger, create=False) as book:
        chain = book.verify(recorded)
        rows = book.frame() if batches else pd.DataFrame()
        rec = Recorder()
        for folder, manifest in batches:
            rec.attempt(
                N_("ledger view of {folder}").format(folder=folder), partial(_check_view, rec, rows, folder, manifest)
            )
        views = rec.done()
    return Verification(chain.checks + views.checks)


def _check_view(rec: Recorder, rows: pd.DataFrame, folder: Path, manifest: Manifest) -> None:
    """The view a batch read must be the ledger's view at the head it records, and the ledger must hold its draw."""
    entry, record = manifest.inputs.get("ledger_view"), manifest.year
    name = N_("ledger view of {folder}").format(folder=folder)
    if entry is None or record is None:
        rec.check(name, False, _("the manifest records no ledger view"))
        return
    head = record.head
    expected = LedgerView(head.to_dict(), ledger_view(rows[rows["seq"] <= head.seq])).to_bytes()
    path = folder / entry.path
    recorded = hashlib.sha256(expected).hexdigest() == entry.sha256
    same = recorded and path.is_file() and path.read_bytes() == expected
    detail = (
        _("{path}, as the manifest records it, is the ledger's view at seq {seq}")
        if same
        else _("the view the manifest records (SHA-256 {sha256}) differs from the ledger's at seq {seq}")
        if not recorded
        else _("{path} is not the view the manifest records")
    )
    rec.check(name, same, detail.format(path=path, seq=head.seq, sha256=entry.sha256))
    ours = rows[(rows["year"] == record.year) & (rows["batch"] == record.batch)]
    drawn = ours[ours["event"].isin(["drawn", "batch"])]
    sources = set(drawn["source"])
    mine = f"manifest {manifest.sha256}"
    detail = (
        _("batch {batch}: {n} drawn entries after seq {seq}, all from this manifest")
        if sources == {mine}
        else _("batch {batch}: the ledger's drawn entries come from {sources}, not from this manifest ({mine})")
    )
    rec.check(
        N_("ledger holds the draw of {folder}").format(folder=folder),
        sources == {mine} and bool((drawn["seq"] > head.seq).all()),
        detail.format(
            batch=record.batch, n=len(drawn), seq=head.seq, sources=sorted(sources) or _("no draw"), mine=mine
        ),
    )
