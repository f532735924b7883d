"""A committed batch's assignment: its inputs and its seed, as the commitment bound them before the seed.

A draw made from a commitment (``commit`` then ``draw --commitment``) is
staffed only from the files that commitment bound (``commit --roster ...``):
the roster, conflicts, requests, relations, pairs and calendar overrides by
SHA-256, and the population and history the draw itself committed; and only
with the draw's seed. :func:`check_bound_inputs` refuses anything else (``assign``
calls it); :func:`record_bound_checks` shows ``verify`` each hash against the
commitment's, from ``assignment.json`` alone, so that a public folder without
the roster or the conflicts still proves the assignment used the committed files.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .._i18n import N_, _
from .._staffing_record import STAFFING_ROLES, check_staffing_files
from ..ceremony import Commitment
from ..checks import Recorder
from ..exceptions import CeremonyError
from ..io import sha256_file
from ..manifest import InputFile, Manifest

__all__ = ["check_bound_inputs", "commitment_of", "record_bound_checks"]

#: Inputs of the assignment that the draw's own part of the commitment binds.
_DRAW_ROLES = ("population", "history")


def commitment_of(draw_dir: str | Path, manifest: Manifest) -> Commitment | None:
    """The commitment a draw's seed derives from (``None`` for a draw from a given seed).

    Raises
    ------
    CeremonyError
        If the manifest names a commitment that is not where it says, or not a commitment.
    """
    entry = manifest.seed_record.commitment
    if manifest.seed_record.mode == "seed" or entry is None:
        return None
    path = Path(draw_dir) / entry.path
    if not path.is_file():
        text = _("The draw's commitment {path} is not there (the manifest records it at {recorded}).")
        raise CeremonyError(text.format(path=path, recorded=entry.path))
    commitment = Commitment.read(path)
    if commitment.sha256 != entry.sha256:
        text = _("{path} has SHA-256 {sha256}; the draw's manifest records {recorded}.")
        raise CeremonyError(text.format(path=path, sha256=commitment.sha256, recorded=entry.sha256))
    return commitment


def check_bound_inputs(
    draw_dir: str | Path, manifest: Manifest, files: Mapping[str, Path], *, seed: str | None = None
) -> Commitment | None:
    """Refuse an assignment of a committed draw from other files or another seed than the commitment bound.

    Returns the commitment (``None`` for a draw from a given seed, which binds nothing).

    Raises
    ------
    CeremonyError
        When the commitment binds no assignment inputs, when a file differs from it (both hashes named),
        or when a seed is given for a committed draw.
    """
    commitment = commitment_of(draw_dir, manifest)
    if commitment is None:
        return None
    where = _("the commitment {path}").format(path=commitment.path)
    if seed is not None:
        raise CeremonyError(
            _(
                "This draw was made from {where}: its assignment uses the draw's seed, from the manifest. Drop --seed."
            ).format(where=where)
        )
    if commitment.assignment is None:
        raise CeremonyError(
            _(
                "The commitment {path} does not bind the roster and the other inputs of the assignment, "
                "so whoever saw the seed could shape who inspects whom. Commit the batch again before its seed, "
                "with the assignment's files: "
                "commit ... --roster roster.csv [--conflicts ...] [--requests ...] [--relations ...] [--pairs ...] "
                "[--calendar-overrides ...]."
            ).format(path=commitment.path)
        )
    check_staffing_files(commitment.assignment, files, where=where)
    problems = []
    for role in _DRAW_ROLES:
        entry, path = commitment.inputs.get(role), files.get(role)
        if path is None or path.suffix == ".json":  # a year's batch reads its rotation off the ledger's view
            continue
        got = sha256_file(path)
        if entry is None:
            text = _("--{role} {path}: the commitment binds no {role} file, so none may be used now")
            problems.append(text.format(role=role, path=path))
        elif got != entry.sha256:
            text = _("--{role} {path} has SHA-256 {sha256}, the commitment says {committed}")
            problems.append(text.format(role=role, path=path, sha256=got, committed=entry.sha256))
    if problems:
        head = _("The assignment's inputs differ from {where}:").format(where=where)
        raise CeremonyError(head + "\n  - " + "\n  - ".join(problems))
    return commitment


def record_bound_checks(
    rec: Recorder, draw_dir: Path, manifest: Manifest, inputs: Mapping[str, InputFile], seed: str
) -> None:
    """For ``verify``: the assignment's seed is the draw's, and each input's hash is the committed one.

    ``inputs`` are the assignment's inputs as ``assignment.json`` records them; the check needs no
    file but the commitment, so it runs on a public folder too.
    """
    rec.check(N_("assignment seed is the draw's"), seed == manifest.seed, seed)
    commitment = rec.attempt(N_("assignment inputs committed"), lambda: commitment_of(draw_dir, manifest))
    if commitment is None:  # a draw from a given seed binds nothing
        return
    bound = commitment.assignment
    if bound is None:
        rec.check(
            N_("assignment inputs committed before the seed"),
            False,
            _("the commitment binds no roster: the assignment could have been shaped after the seed"),
        )
        return
    rec.check(
        N_("assignment inputs committed before the seed"),
        True,
        _("roster of {size:,}, Merkle root {root}").format(size=bound.roster_size, root=bound.roster_root),
    )
    none = _("none")
    for role in STAFFING_ROLES:
        used, committed = inputs.get(role), bound.inputs.get(role)
        if used is None and committed is None:
            continue
        rec.check(
            N_("assignment {role} as committed").format(role=role),
            used is not None and committed is not None and used.sha256 == committed.sha256,
            _("SHA-256 {sha256}; the commitment {committed}").format(
                sha256=used.sha256 if used else none, committed=committed.sha256 if committed else none
            ),
        )
    for role in _DRAW_ROLES:
        used, committed = inputs.get(role), commitment.inputs.get(role)
        if used is None or used.path.endswith(".json"):
            continue
        rec.check(
            N_("assignment {role} as committed").format(role=role),
            committed is not None and used.sha256 == committed.sha256,
            _("SHA-256 {sha256}; the commitment {committed}").format(
                sha256=used.sha256, committed=committed.sha256 if committed else none
            ),
        )
