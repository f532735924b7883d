"""The seed ceremony: commit, then reveal.

Before any randomness exists, the bureau publishes a *commitment*
(``commitment.json``, RFC 8785 canonical JSON): the plan, the SHA-256 of every
input file, the RFC 6962 Merkle root of the population, the SHA-256 of a fresh
32-byte secret it keeps private, and the name of a future public random value
(a beacon: a drand round, a lottery draw, a figure in tomorrow's paper). Once
the beacon value is public, the seed is::

    commit-reveal:  SHA-256("shuangsuiji-seed/1:commit-reveal" 0x00 || secret || C || UTF-8(beacon))
    beacon only:    SHA-256("shuangsuiji-seed/1:beacon" 0x00 || C || UTF-8(beacon))

where ``secret`` is the 32 raw secret bytes and ``C`` the 32 raw bytes of the
SHA-256 of ``commitment.json``. The draw's manifest then reveals the secret, so
anyone can recompute the seed with ``sha256sum`` (``docs/ceremony.md``).

Examples
--------
>>> derive_seed(bytes(32), "12345", secret=bytes(32)) == hashlib.sha256(
...     b"shuangsuiji-seed/1:commit-reveal\\x00" + bytes(64) + b"12345").hexdigest()
True
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._version import __version__
from .exceptions import InputError
from .io import sha256_file
from .merkle import leaf_fields, leaf_hashes, merkle_root, population_leaves
from .plan import Plan
from .population import Population

__all__ = [
    "COMMITMENT_FORMAT",
    "SEED_TAG",
    "CeremonyError",
    "Commitment",
    "check_beacon_value",
    "check_inputs_against",
    "check_secret",
    "derive_seed",
    "make_commitment",
    "new_secret",
    "population_root",
    "read_commitment",
]

COMMITMENT_FORMAT = "shuangsuiji-commitment/1"
#: Domain tag of the seed derivation; the mode follows after a colon.
SEED_TAG = "shuangsuiji-seed/1"


class CeremonyError(InputError):
    """A commitment, secret or beacon value that does not fit the ceremony."""


def new_secret() -> bytes:
    """32 bytes from the operating system's cryptographic random source."""
    return secrets.token_bytes(32)


def check_secret(text: str) -> bytes:
    """Read a secret written as 64 hex digits (surrounding blanks ignored)."""
    text = text.strip()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise CeremonyError(f"The secret must be 64 hexadecimal digits (32 bytes); got {len(text)} characters.")
    return raw


def check_beacon_value(value: str) -> str:
    """The beacon value as published: text, without surrounding blanks, not empty."""
    value = value.strip()
    if not value:
        raise CeremonyError("The beacon value is empty; give the public random value exactly as published.")
    return value


def derive_seed(commitment_sha256: bytes, beacon_value: str, *, secret: bytes | None) -> str:
    """The seed of a draw from its commitment, the beacon value and (if committed) the secret.

    Parameters
    ----------
    commitment_sha256 : bytes
        SHA-256 of the ``commitment.json`` bytes (32 bytes).
    beacon_value : str
        The public random value, as published.
    secret : bytes or None
        The 32 secret bytes (commit-reveal), or ``None`` for a beacon-only ceremony.

    Returns
    -------
    str
        64 lowercase hex digits.
    """
    if len(commitment_sha256) != 32:
        raise ValueError("the commitment hash has 32 bytes")
    beacon = check_beacon_value(beacon_value).encode("utf-8")
    if secret is None:
        data = f"{SEED_TAG}:beacon".encode() + b"\x00" + commitment_sha256 + beacon
    else:
        if len(secret) != 32:
            raise ValueError("the secret has 32 bytes")
        data = f"{SEED_TAG}:commit-reveal".encode() + b"\x00" + secret + commitment_sha256 + beacon
    return hashlib.sha256(data).hexdigest()


def population_root(population: Population, plan: Plan, *, workers: int | None = None) -> dict[str, Any]:
    """The Merkle commitment to a population: root, size and the leaf fields, for a manifest.

    Leaves are the entities in code order, each the RFC 8785 JSON of the fields
    the plan's draw reads.
    """
    fields = leaf_fields(plan, population.frame.columns)
    ordered = population.frame.sort_values("uscc", kind="stable")
    hashes = leaf_hashes(population_leaves(ordered, fields), workers=workers)
    return {
        "rows": len(population),
        "leaf_fields": list(fields),
        "leaf_format": "rfc8785-json",
        "merkle_root": merkle_root(hashes=hashes).hex(),
    }


@dataclass(frozen=True)
class Commitment:
    """A read commitment: its parsed content and the SHA-256 of its bytes."""

    content: Mapping[str, Any]
    sha256: bytes
    path: Path

    @property
    def secret_sha256(self) -> str | None:
        """SHA-256 of the committed secret, or ``None`` for a beacon-only ceremony."""
        value = self.content.get("secret_sha256")
        return None if value is None else str(value)


def make_commitment(
    plan: Plan,
    population: Population,
    inputs: Mapping[str, Mapping[str, str]],
    *,
    beacon: str,
    secret: bytes | None,
    workers: int | None = None,
) -> dict[str, Any]:
    """The content of ``commitment.json``.

    Parameters
    ----------
    plan, population
        The plan and its checked population.
    inputs : mapping
        Role -> ``{"path": ..., "sha256": ...}`` of every input file.
    beacon : str
        The name of the future public random value ("drand quicknet round 12345678").
    secret : bytes or None
        The fresh secret (only its hash is committed), or ``None`` for beacon only.
    """
    if not beacon.strip():
        raise CeremonyError("Name the future public random value (--beacon), e.g. 'drand quicknet round 12345678'.")
    return {
        "format": COMMITMENT_FORMAT,
        "library": {"name": "shuangsuiji", "version": __version__},
        "plan": plan.to_dict(),
        "inputs": {k: dict(v) for k, v in sorted(inputs.items())},
        "population": population_root(population, plan, workers=workers),
        "secret_sha256": None if secret is None else hashlib.sha256(secret).hexdigest(),
        "beacon": {"name": beacon.strip()},
    }


def read_commitment(path: str | Path) -> Commitment:
    """Read ``commitment.json`` and hash its bytes.

    Raises
    ------
    CeremonyError
        If it is not a commitment of this format.
    """
    path = Path(path)
    data = path.read_bytes()
    try:
        content = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CeremonyError(f"{path}: not a JSON commitment ({exc}).") from None
    if not isinstance(content, dict) or content.get("format") != COMMITMENT_FORMAT:
        raise CeremonyError(f"{path}: not a commitment of format {COMMITMENT_FORMAT!r}.")
    return Commitment(content=content, sha256=hashlib.sha256(data).digest(), path=path)


def check_inputs_against(commitment: Commitment, files: Mapping[str, Path]) -> None:
    """Refuse input files whose SHA-256 differs from what the commitment recorded.

    Raises
    ------
    CeremonyError
        Naming each differing or missing file.
    """
    committed: Mapping[str, Mapping[str, str]] = commitment.content.get("inputs", {})
    problems = []
    for role, path in files.items():
        if role not in committed:
            problems.append(f"the {role} {path} was not part of the commitment")
            continue
        got = sha256_file(path)
        if got != committed[role]["sha256"]:
            problems.append(f"the {role} {path} has SHA-256 {got}, the commitment says {committed[role]['sha256']}")
    for role in committed:
        if role not in files:
            problems.append(f"the commitment lists a {role} ({committed[role]['path']}) that was not given")
    if problems:
        raise CeremonyError(
            "The inputs differ from the commitment, so this draw would not be the one announced:\n  - "
            + "\n  - ".join(problems)
        )
