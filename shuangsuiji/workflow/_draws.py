"""Committing to a draw, and making it: the bureau's first two steps (``docs/ceremony.md``)."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path

from .._i18n import N_, _
from .._outdir import COMMIT_WRITES, DRAW_WRITES, claim_folder
from .._progress import stage
from .._runs import staged_run
from .._staffing_record import StaffingFiles, read_staffing_files
from ..ceremony import Commitment, check_inputs_against, check_secret, make_commitment
from ..engines import Engine, get_engine
from ..exceptions import CeremonyError, InputError
from ..inputs import DrawFiles, load_draw_inputs
from ..io import atomic_write_text, write_sealed
from ..manifest import InputFile, Manifest, PopulationRecord, SeedRecord, write_draw
from ..merkle import LEAF_FORMAT
from ..salting import new_salt_key
from ..sampling import DrawResult
from ..seed import Seed, check_beacon_value, derive_seed, new_secret

__all__ = ["CommitStep", "DrawStep", "Reveal", "run_commit", "run_draw", "secret_path"]

#: What :func:`secret_path` places, as its messages name it.
_KEPT = {"secret": N_("secret"), "salt key": N_("salt key")}


@dataclass(frozen=True)
class CommitStep:
    """What :func:`run_commit` wrote.

    Attributes
    ----------
    commitment : Commitment
        The commitment, to publish now (before the beacon value exists).
    path : Path
        ``commitment.json``; ``commitment.sha256`` beside it.
    secret : Path or None
        The secret's file (readable by its owner only, outside the published folder), to keep
        private until the draw.
    """

    commitment: Commitment
    path: Path
    secret: Path | None


def secret_path(out: str | Path, secret_out: str | Path | None, *, what: str = "secret") -> Path:
    """Where the secret (or the salt key) goes: the path given, never inside the folder that is published.

    Raises
    ------
    CeremonyError
        If no path is given, it lies inside ``out``, or a file is already there (another
        commitment's secret, which must not be lost).
    """
    if secret_out is None:
        raise CeremonyError(
            _(
                "Say where to keep the secret, outside the folder you publish: --secret-out FILE "
                "(e.g. private/secret.txt); or commit without one (--no-secret)."
            )
        )
    path, folder = Path(secret_out), Path(out)
    thing = _(_KEPT[what]) if what in _KEPT else what
    if path.resolve().is_relative_to(folder.resolve()):
        raise CeremonyError(
            _("{path} is inside {folder}, the folder that is published: keep the {what} elsewhere.").format(
                path=path, folder=folder, what=thing
            )
        )
    if path.exists():
        raise CeremonyError(
            _("{path} already exists (another commitment's {what}?): choose a new file for this {what}.").format(
                path=path, what=thing
            )
        )
    return path


def _secret_bytes(secret: bool | bytes, *, sealed: bool) -> bytes | None:
    """The ceremony's secret: these bytes, a fresh one (``True``) or none (``False``, refused for a sealed plan)."""
    if sealed and secret is False:
        raise CeremonyError(
            _(
                "A sealed plan needs a secret: with the beacon alone, anyone could compute every ticket as soon as "
                "the beacon is out, before the reveal. Commit with --secret-out FILE."
            )
        )
    secret_bytes = secret if isinstance(secret, bytes) else new_secret() if secret else None
    if secret_bytes is not None and len(secret_bytes) != 32:
        raise CeremonyError(_("The secret has 32 bytes; got {n}.").format(n=len(secret_bytes)))
    return secret_bytes


def _salt_key_path(
    out: Path, hidden: tuple[str, ...], salt_key_out: str | Path | None, keep: Path | None
) -> Path | None:
    """Where a plan that hides fields keeps its salt key (``None`` when it hides none).

    Raises
    ------
    CeremonyError
        Without a place for it outside ``out``, or at the secret's place.
    """
    if not hidden:
        return None
    if salt_key_out is None:
        raise CeremonyError(
            _(
                "The plan hides {fields}: say where to keep the salt key that hides them, outside the folder "
                "you publish (--salt-key-out private/salt-key.txt)."
            ).format(fields=list(hidden))
        )
    key_path = secret_path(out, salt_key_out, what="salt key")
    if keep is not None and key_path.resolve() == keep.resolve():
        raise CeremonyError(_("The salt key and the secret are two files: give two paths."))
    return key_path


def run_commit(
    files: DrawFiles,
    out: str | Path,
    *,
    beacon: str,
    secret: bool | bytes = True,
    secret_out: str | Path | None = None,
    engine: Engine | None = None,
    force: bool = False,
    leaf_format: str = LEAF_FORMAT,
    salt_key_out: str | Path | None = None,
    staffing: StaffingFiles | None = None,
) -> CommitStep:
    """Commit to a draw before its randomness exists: the plan, every input and (by default) a secret.

    Parameters
    ----------
    files : DrawFiles
        The draw's inputs.
    out : str or Path
        Folder for ``commitment.json`` and ``commitment.sha256`` (to publish now).
    beacon : str
        The future public random value, e.g. ``drand quicknet round 12345678``.
    secret : bool or bytes
        Commit-reveal with a fresh secret (``True``, the default), or with these 32
        bytes (a test, a notarised secret), or beacon only (``False``).
    secret_out : str or Path
        The file for the secret (readable by its owner only), outside ``out``: needed with a secret.
    engine : Engine, optional
        Reads the population and computes its Merkle root (default: memory).
    force : bool
        Replace the commitment of an earlier run in ``out`` (by default its presence is an error).
    leaf_format : str
        The population's Merkle leaf format (:data:`~shuangsuiji.merkle.LEAF_FORMATS`; the latest by default).
    salt_key_out : str or Path, optional
        For a plan that hides fields (``[publication] hidden``): the file for a fresh salt key (outside
        ``out``, kept by the bureau for good: ``verify`` and ``prove`` need it).
    staffing : StaffingFiles, optional
        The second random's inputs (roster, conflicts, requests, relations, pairs, calendar overrides),
        bound by the commitment too: ``assign`` then refuses any other file. A committed batch cannot be
        staffed without them.

    Raises
    ------
    InputError
        For bad inputs (every problem named), or an empty beacon name.
    CeremonyError
        For a secret without a place outside ``out`` (:func:`secret_path`).
    """
    given = [*files.roles().values(), *(staffing.roles().values() if staffing is not None else ())]
    out = claim_folder(out, COMMIT_WRITES, step="commit", force=force, inputs=given, staged=True)
    keep = secret_path(out, secret_out) if secret is not False else None
    engine = engine or get_engine()
    with engine.session():
        inputs = load_draw_inputs(files, engine=engine)
        inputs.check_allocation()  # a plan the draw would refuse is refused now, before the commitment is public
        key_path = _salt_key_path(out, (inputs.leaf_plan or inputs.plan).publication.hidden, salt_key_out, keep)
        salt_key = new_salt_key() if key_path is not None else None
        record = inputs.population_record(leaf_format, salt_key)
    bound = read_staffing_files(staffing, out) if staffing is not None else None
    secret_bytes = _secret_bytes(secret, sealed=inputs.plan.publication.sealed)
    commitment = make_commitment(
        inputs.plan,
        None,
        files.records(out),
        beacon=beacon,
        secret=secret_bytes,
        population_record=record,
        assignment=bound,
    )
    data = commitment.to_bytes()
    # the secret and the salt key first: a run killed after them leaves no commitment without its secret
    for path, key in ((keep, secret_bytes), (key_path, salt_key)):
        if path is not None and key is not None:
            atomic_write_text(path, key.hex() + "\n", mode=0o600)
    with staged_run(out, step="commit", owned=COMMIT_WRITES, force=force) as stage:
        write_sealed(stage, {}, "commitment", lambda _: data)
    return CommitStep(dataclasses.replace(commitment, data=data), out / "commitment.json", keep)


@dataclass(frozen=True)
class Reveal:
    """The second half of the ceremony: the commitment, the beacon value as published, and the secret.

    Attributes
    ----------
    commitment : Path
        ``commitment.json`` as published.
    beacon_value : str
        The public random value the commitment named.
    secret : Path or None
        ``secret.txt`` written by :func:`run_commit` (``None`` for a beacon-only commitment).
    """

    commitment: Path
    beacon_value: str
    secret: Path | None = None


@dataclass(frozen=True)
class DrawStep:
    """What :func:`run_draw` wrote: the draw and its manifest in ``out``."""

    result: DrawResult
    manifest: Manifest
    out: Path


def _read_secret(path: Path) -> bytes:
    """The secret of a secret file, or the error naming the file (UTF-16, stray bytes, a wrong length)."""
    try:
        return check_secret(path.read_bytes().decode("utf-8-sig", errors="replace"))
    except CeremonyError as exc:
        raise CeremonyError(
            _("{path}: {error} Give the secret.txt that 'commit' wrote, unchanged.").format(path=path, error=exc)
        ) from None


def _revealed(reveal: Reveal, files: DrawFiles, out: Path) -> tuple[str, SeedRecord, PopulationRecord]:
    """Seed, seed record and population record of a draw made from a commitment."""
    commitment = Commitment.read(reveal.commitment)
    check_inputs_against(commitment, files.roles())
    if not reveal.beacon_value.strip():
        raise CeremonyError(
            _("Give the value of '{beacon}' as published, with --beacon-value.").format(beacon=commitment.beacon)
        )
    secret = _read_secret(Path(reveal.secret)) if reveal.secret else None
    if commitment.secret_sha256 is not None and secret is None:
        raise CeremonyError(_("This commitment was made with a secret: give it with --secret FILE (secret.txt)."))
    if commitment.secret_sha256 is None and secret is not None:
        raise CeremonyError(_("This commitment was made without a secret (beacon only); drop --secret."))
    if secret is not None and hashlib.sha256(secret).hexdigest() != commitment.secret_sha256:
        raise CeremonyError(_("The secret does not match the commitment's SHA-256(secret); is it the right file?"))
    beacon_value = check_beacon_value(reveal.beacon_value)
    seed = derive_seed(commitment.digest, beacon_value, secret=secret)
    record = SeedRecord(
        mode="commit-reveal" if secret is not None else "beacon",
        commitment=InputFile.of(reveal.commitment, out),
        beacon_name=commitment.beacon,
        beacon_value=beacon_value,
        secret=None if secret is None else secret.hex(),  # revealed now, so that anyone can recompute the seed
    )
    return seed, record, commitment.population


def run_draw(
    files: DrawFiles,
    out: str | Path,
    *,
    seed: str | None = None,
    reveal: Reveal | None = None,
    engine: Engine | None = None,
    force: bool = False,
    leaf_format: str = LEAF_FORMAT,
    salt_key: bytes | None = None,
) -> DrawStep:
    """Draw the targets of every task of a plan and write the draw's files and manifest into ``out``.

    Give either ``seed`` (a notebook or a test: nothing stopped the drawer
    choosing it) or ``reveal`` (the seed derived from a published commitment,
    the beacon value and the secret). A folder holding an earlier draw (or its assignment or
    proofs) is refused, unless ``force`` removes those files first. A draw with ``seed`` records
    its population in ``leaf_format``; one from a commitment, in the commitment's.

    Raises
    ------
    InputError
        Naming what to fix: bad inputs, inputs that differ from the commitment,
        a wrong secret, or neither (or both) of ``seed`` and ``reveal``.
    FolderError
        If ``out`` holds an earlier run's files and ``force`` is false.
    """
    out = Path(out)
    if (seed is None) == (reveal is None):
        raise InputError(_("Give either --seed HEX, or --commitment FILE with --beacon-value (and --secret FILE)."))
    given = [*files.roles().values(), *((reveal.commitment, reveal.secret) if reveal is not None else ())]
    claim_folder(out, DRAW_WRITES, step="draw", force=force, inputs=given, staged=True)  # a bad folder fails at once
    engine = engine or get_engine()
    with engine.session():
        stage(_("reading the inputs"))
        inputs = load_draw_inputs(files, engine=engine)
        if reveal is None:
            chosen = Seed.of(seed or "").hex
            seed_record, population_record = SeedRecord(), inputs.population_record(leaf_format, salt_key)
        else:
            chosen, seed_record, population_record = _revealed(reveal, files, out)
        result = inputs.draw(chosen)
    stage(_("writing the draw and its Merkle tree"))
    with staged_run(out, step="draw", owned=DRAW_WRITES, force=force) as staging:  # the old goes once the new is whole
        manifest = write_draw(
            result,
            staging,
            inputs=files.records(out),
            seed_record=seed_record,
            population_record=population_record,
            year_record=inputs.year_record_for(chosen),
        )
    return DrawStep(result, manifest, out)
