"""An officer's proof that the roster committed before the seed holds their entry as the assignment reads it."""

from __future__ import annotations

from pathlib import Path

from .._i18n import _
from .._json import indented_json, load_json
from .._staffing_record import RosterProof, StaffingRecord, roster_proof, verify_roster_proof
from ..ceremony import Commitment
from ..exceptions import CeremonyError
from ..io import atomic_write_bytes, read_table
from ..roster import RosterError, check_roster

__all__ = ["run_officer_proof", "run_verify_officer_proof"]


def _bound(commitment: str | Path) -> StaffingRecord:
    read = Commitment.read(commitment)
    if read.assignment is None:
        raise CeremonyError(
            _("{commitment} binds no roster (it was committed without --roster).").format(commitment=commitment)
        )
    return read.assignment


def run_officer_proof(
    commitment: str | Path, roster: str | Path, inspector_id: str, *, out: str | Path | None = None
) -> tuple[RosterProof, Path]:
    """Write one officer's roster proof (their leaf and audit path) for the roster a commitment binds.

    Raises
    ------
    CeremonyError
        If the commitment binds no roster, the roster is not the committed one, or it has no such person.
    RosterError
        For a roster that does not read.
    """
    root = _bound(commitment).roster_root
    checked = check_roster(read_table(roster, error=RosterError, kind="roster"), source=str(roster))
    proof = roster_proof(checked, inspector_id)
    if proof.root != root:
        raise CeremonyError(
            _("{roster} is not the roster {commitment} binds: its Merkle root is {root}, not {committed}.").format(
                roster=roster, commitment=commitment, root=proof.root, committed=root
            )
        )
    target = Path(out) if out is not None else Path(f"roster-proof-{inspector_id}.json")
    atomic_write_bytes(target, indented_json(proof.to_dict()))
    return proof, target


def run_verify_officer_proof(proof: str | Path, commitment: str | Path) -> list[str]:
    """Check an officer's roster proof against the commitment alone; returns the problems (none: it holds).

    Raises
    ------
    CeremonyError
        If the proof is not a roster proof, or the commitment binds no roster.
    """
    bound = _bound(commitment)
    parsed = RosterProof.from_dict(load_json(Path(proof).read_bytes(), str(proof), CeremonyError), where=str(proof))
    return verify_roster_proof(parsed, bound)
