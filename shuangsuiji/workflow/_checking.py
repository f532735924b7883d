"""Checking what was published: a whole draw, one firm's proof (一公开, for anyone)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .._json import load_json
from ..checks import Verification
from ..engines import DEFAULT_PARTITION_ROWS, Engine, get_engine
from ..exceptions import ProofError
from ..io import atomic_write_bytes
from ..proofs import Proof, make_proof, verify_proof
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
) -> Verification:
    """Recompute and check a published draw (and its assignment); inputs default to the recorded ones."""
    engine = engine or get_engine()
    with engine.session():
        return verify_draw(
            draw,
            population=population,
            plan=plan,
            history=history,
            allow_list=allow_list,
            commitment=commitment,
            engine=engine,
        )


@dataclass(frozen=True)
class ProveStep:
    """What :func:`run_prove` wrote: one entity's proof."""

    proof: Proof
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
) -> ProveStep:
    """Write the proof of one entity's fate (default ``DRAW/proof-USCC.json``).

    With ``stream`` the population (Parquet sorted by code) is read in batches
    of ``batch_rows``, in bounded memory whatever its size.
    """
    proof = make_proof(draw, uscc, population=population, allow_list=allow_list, stream=stream, batch_rows=batch_rows)
    path = Path(out) if out is not None else Path(draw) / f"proof-{uscc}.json"
    atomic_write_bytes(path, proof.to_json())
    return ProveStep(proof, path)


def run_verify_proof(proof: str | Path, manifest: str | Path) -> Verification:
    """Check a proof file against the draw's public manifest alone.

    Raises
    ------
    ProofError
        If the proof file is not JSON (a JSON file that is not a proof fails a check instead).
    ManifestError
        If the manifest is not a draw manifest.
    """
    return verify_proof(load_json(Path(proof).read_bytes(), str(proof), ProofError), Path(manifest).read_bytes())
