"""Committing to a draw, and making it: the bureau's first two steps (``docs/ceremony.md``)."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..ceremony import Commitment, check_inputs_against, check_secret, make_commitment
from ..engines import Engine, get_engine
from ..exceptions import CeremonyError, InputError
from ..inputs import DrawFiles, load_draw_inputs
from ..io import atomic_write_bytes, atomic_write_text
from ..manifest import InputFile, Manifest, PopulationRecord, SeedRecord, write_draw
from ..sampling import DrawResult
from ..seed import Seed, check_beacon_value, derive_seed, new_secret

__all__ = ["CommitStep", "DrawStep", "Reveal", "run_commit", "run_draw"]


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
        ``secret.txt`` (readable by its owner only), to keep private until the draw.
    """

    commitment: Commitment
    path: Path
    secret: Path | None


def run_commit(
    files: DrawFiles, out: str | Path, *, beacon: str, secret: bool | bytes = True, engine: Engine | None = None
) -> CommitStep:
    """Commit to a draw before its randomness exists: the plan, every input and (by default) a secret.

    Parameters
    ----------
    files : DrawFiles
        The draw's inputs.
    out : str or Path
        Folder for ``commitment.json``, ``commitment.sha256`` and ``secret.txt``.
    beacon : str
        The future public random value, e.g. ``drand quicknet round 12345678``.
    secret : bool or bytes
        Commit-reveal with a fresh secret (``True``, the default), or with these 32
        bytes (a test, a notarised secret), or beacon only (``False``).
    engine : Engine, optional
        Reads the population and computes its Merkle root (default: memory).

    Raises
    ------
    InputError
        For bad inputs (every problem named), or an empty beacon name.
    """
    out = Path(out)
    engine = engine or get_engine()
    with engine.session():
        inputs = load_draw_inputs(files, engine=engine)
        record = inputs.population_record()
    secret_bytes = secret if isinstance(secret, bytes) else new_secret() if secret else None
    if secret_bytes is not None and len(secret_bytes) != 32:
        raise CeremonyError(f"The secret has 32 bytes; got {len(secret_bytes)}.")
    commitment = make_commitment(
        inputs.plan, None, files.records(out), beacon=beacon, secret=secret_bytes, population_record=record
    )
    data = commitment.to_bytes()
    atomic_write_bytes(out / "commitment.json", data)
    atomic_write_bytes(out / "commitment.sha256", f"{hashlib.sha256(data).hexdigest()}  commitment.json\n".encode())
    secret_path = None
    if secret_bytes is not None:
        secret_path = out / "secret.txt"
        atomic_write_text(secret_path, secret_bytes.hex() + "\n", mode=0o600)
    return CommitStep(dataclasses.replace(commitment, data=data), out / "commitment.json", secret_path)


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


def _revealed(reveal: Reveal, files: DrawFiles, out: Path) -> tuple[str, SeedRecord, PopulationRecord]:
    """Seed, seed record and population record of a draw made from a commitment."""
    commitment = Commitment.read(reveal.commitment)
    check_inputs_against(commitment, files.roles())
    if not reveal.beacon_value.strip():
        raise CeremonyError(f"Give the value of '{commitment.beacon}' as published, with --beacon-value.")
    secret = check_secret(Path(reveal.secret).read_text(encoding="utf-8")) if reveal.secret else None
    if commitment.secret_sha256 is not None and secret is None:
        raise CeremonyError("This commitment was made with a secret: give it with --secret FILE (secret.txt).")
    if commitment.secret_sha256 is None and secret is not None:
        raise CeremonyError("This commitment was made without a secret (beacon only); drop --secret.")
    if secret is not None and hashlib.sha256(secret).hexdigest() != commitment.secret_sha256:
        raise CeremonyError("The secret does not match the commitment's SHA-256(secret); is it the right file?")
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
) -> DrawStep:
    """Draw the targets of every task of a plan and write the draw's files and manifest into ``out``.

    Give either ``seed`` (a notebook or a test: nothing stopped the drawer
    choosing it) or ``reveal`` (the seed derived from a published commitment,
    the beacon value and the secret).

    Raises
    ------
    InputError
        Naming what to fix: bad inputs, inputs that differ from the commitment,
        a wrong secret, or neither (or both) of ``seed`` and ``reveal``.
    """
    out = Path(out)
    if (seed is None) == (reveal is None):
        raise InputError("Give either --seed HEX, or --commitment FILE with --beacon-value (and --secret FILE).")
    engine = engine or get_engine()
    with engine.session():
        inputs = load_draw_inputs(files, engine=engine)
        if reveal is None:
            chosen = Seed.of(seed or "").hex
            seed_record, population_record = SeedRecord(), inputs.population_record()
        else:
            chosen, seed_record, population_record = _revealed(reveal, files, out)
        result = inputs.draw(chosen)
    manifest = write_draw(
        result,
        out,
        inputs=files.records(out),
        seed_record=seed_record,
        population_record=population_record,
        year_record=inputs.year_record_for(chosen),
    )
    return DrawStep(result, manifest, out)
