"""The ceremony's records beside a draw, for ``verify``: the commitment's seal, and no mode downgrade (private)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from ._i18n import N_, _
from .ceremony import Commitment
from .checks import Recorder
from .io import seal_line
from .manifest import Manifest

__all__ = ["commitment_seal", "not_downgraded"]


def commitment_seal(rec: Recorder, path: Path, digest: str, *, required: bool) -> None:
    """``commitment.sha256`` beside the commitment names its SHA-256 (it must be there unless given apart)."""
    seal = path.parent / "commitment.sha256"
    if not seal.is_file():
        if required:
            said = _("{path} is missing: 'commit' writes it beside commitment.json").format(path=seal)
            rec.check(N_("commitment seal"), False, said)
        return
    same = seal.read_bytes()[:200] == seal_line(digest, path.name)
    rec.check(N_("commitment seal"), same, _("commitment SHA-256 {sha256}").format(sha256=digest))


def not_downgraded(rec: Recorder, out: Path, manifest: Manifest, given: str | Path | None) -> None:
    """A draw from a direct seed fails when the batch was committed: its committed seed was not used.

    The commitment is the one given (``--commitment``), else ``commitment.json`` beside the draw's
    folder or in it; it is this batch's when it commits to the same plan file.
    """
    beside = (out.parent / "commitment.json", out / "commitment.json")
    found = [Path(given)] if given else [p for p in beside if p.is_file()]
    for path in found:
        commitment = rec.attempt(N_("commitment"), partial(Commitment.read, path))
        if commitment is None:
            continue
        plan = manifest.inputs.get("plan")
        committed = commitment.inputs.get("plan")
        same = given is not None or (plan is not None and committed is not None and plan.sha256 == committed.sha256)
        if same:
            rec.check(
                N_("seed from the commitment"),
                False,
                _(
                    "{path} commits to this batch, but the draw's seed was given directly: the committed ceremony "
                    "(secret and beacon) was not used"
                ).format(path=path),
            )
