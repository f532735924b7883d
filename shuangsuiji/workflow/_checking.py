"""Checking what was published: a whole draw, one firm's proof (一公开, for anyone)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .._i18n import _
from .._json import load_json
from .._progress import stage
from ..absence import ABSENCE_FORMAT, AbsenceProof, make_absence_proof, verify_absence
from ..checks import Verification
from ..engines import DEFAULT_PARTITION_ROWS, Engine, get_engine
from ..exceptions import NotFoundError, ProofError
from ..identity import normalise_code
from ..io import atomic_write_bytes
from ..proofs import Proof, make_proof, verify_proof
from ..salting import read_salt_key
from ..verify import verify_draw

__all__ = ["ProveStep", "run_prove", "run_verify", "run_verify_proof"]


def run_verify(
    draw: str | Path,
    *,
    population: str | Path | None = None,
    plan: str | Path | None = None,
    history: str | Path | None = None,
    allow_list: str | Path | None = None,
    commitment: str | Path | None = None,
    engine: Engine | None = None,
    salt_key: str | Path | None = None,
    published_only: bool = False,
    results: str | Path | None = None,
) -> Verification:
    """Recompute and check a published draw (and its assignment); inputs default to the recorded ones.

    ``salt_key`` is the bureau's key file of a plan that hides fields (the Merkle root needs it).
    ``published_only`` checks a public folder with nothing but its files, as the public sees it.
    """
    key = read_salt_key(salt_key) if salt_key is not None else None
    engine = engine or get_engine()
    stage(_("checking the draw"))
    with engine.session():
        return verify_draw(
            draw,
            population=population,
            plan=plan,
            history=history,
            allow_list=allow_list,
            commitment=commitment,
            engine=engine,
            salt_key=key,
            published_only=published_only,
            results=results,
        )


@dataclass(frozen=True)
class ProveStep:
    """What :func:`run_prove` wrote: one entity's proof of fate, or the proof that the code is not in the population."""

    proof: Proof | AbsenceProof
    path: Path


def run_prove(
    draw: str | Path,
    uscc: str,
    *,
    out: str | Path | None = None,
    population: str | Path | None = None,
    allow_list: str | Path | None = None,
    stream: bool = False,
    batch_rows: int = DEFAULT_PARTITION_ROWS,
    salt_key: str | Path | None = None,
) -> ProveStep:
    """Write the proof of one entity's fate (default ``DRAW/proof-USCC.json``).

    With ``stream`` the population (Parquet sorted by code) is read in batches
    of ``batch_rows``, in bounded memory whatever its size. A code that is not in
    the population gets a non-membership proof (:mod:`shuangsuiji.absence`) instead.
    """
    uscc = normalise_code(uscc)
    key = read_salt_key(salt_key) if salt_key is not None else None
    proof: Proof | AbsenceProof
    try:
        proof = make_proof(
            draw,
            uscc,
            population=population,
            allow_list=allow_list,
            stream=stream,
            batch_rows=batch_rows,
            salt_key=key,
        )
    except NotFoundError:
        proof = make_absence_proof(draw, uscc, population=population, allow_list=allow_list, salt_key=key)
    path = Path(out) if out is not None else Path(draw) / f"proof-{uscc}.json"
    atomic_write_bytes(path, proof.to_json())
    return ProveStep(proof, path)


def run_verify_proof(proof: str | Path, manifest: str | Path) -> Verification:
    """Check a proof file (of fate, or of absence) against the draw's public manifest alone.

    Raises
    ------
    ProofError
        If the proof file is not JSON (a JSON file that is not a proof fails a check instead).
    ManifestError
        If the manifest is not a draw manifest.
    """
    parsed = load_json(Path(proof).read_bytes(), str(proof), ProofError)
    manifest_bytes = Path(manifest).read_bytes()
    if isinstance(parsed, dict) and parsed.get("format") == ABSENCE_FORMAT:
        return verify_absence(parsed, manifest_bytes)
    return verify_proof(parsed, manifest_bytes)
