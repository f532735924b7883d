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

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ._i18n import _
from ._json import Fields, Published
from ._staffing_record import StaffingRecord
from ._version import __version__
from .exceptions import CeremonyError, InputError
from .io import sha256_file
from .manifest import InputFile, PopulationRecord
from .plan import Plan
from .population import Population
from .roots import LeafBatch, population_root, population_root_parquet, sorted_leaf_batches
from .seed import SEED_TAG, check_beacon_value, derive_seed, new_secret

__all__ = [
    "COMMITMENT_FORMAT",
    "SEED_TAG",
    "CeremonyError",
    "Commitment",
    "LeafBatch",
    "check_beacon_value",
    "check_inputs_against",
    "check_secret",
    "derive_seed",
    "make_commitment",
    "new_secret",
    "population_root",
    "population_root_parquet",
    "read_commitment",
    "sorted_leaf_batches",
]

COMMITMENT_FORMAT = "shuangsuiji-commitment/1"


def check_secret(text: str) -> bytes:
    """Read a secret written as 64 hex digits (surrounding blanks ignored)."""
    text = text.strip()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        said = _("The secret must be 64 hexadecimal digits (32 bytes); got {n} characters.")
        raise CeremonyError(said.format(n=len(text)))
    return raw


@dataclass(frozen=True)
class Commitment(Published):
    """``commitment.json``, typed: what the bureau publishes before the beacon value exists.

    Attributes
    ----------
    plan : Mapping
        The plan, as the manifest will record it.
    inputs : Mapping[str, InputFile]
        Every input file by role, with its SHA-256.
    population : PopulationRecord
        The population's size and Merkle root.
    secret_sha256 : str or None
        SHA-256 of the secret (commit-reveal), or ``None`` for a beacon-only ceremony.
    beacon : str
        The name of the future public random value.
    assignment : StaffingRecord or None
        The second random's inputs (roster, conflicts...) by SHA-256 and the roster's Merkle root,
        when the commitment binds the assignment too (published under ``assignment``).
    data, path
        The bytes and file it was read from (``None`` when built in memory).
    """

    plan: Mapping[str, Any]
    inputs: Mapping[str, InputFile]
    population: PopulationRecord
    secret_sha256: str | None
    beacon: str
    assignment: StaffingRecord | None = None
    library_version: str = __version__
    format: str = COMMITMENT_FORMAT
    data: bytes | None = field(default=None, compare=False, repr=False)
    path: Path | None = field(default=None, compare=False)
    FILE: ClassVar[str] = "commitment.json"
    ERROR: ClassVar[type[InputError]] = CeremonyError

    def to_dict(self) -> dict[str, Any]:
        """The plain form, as published."""
        out = {
            "format": self.format,
            "library": {"name": "shuangsuiji", "version": self.library_version},
            "plan": dict(self.plan),
            "inputs": {k: v.to_dict() for k, v in sorted(self.inputs.items())},
            "population": self.population.to_dict(),
            "secret_sha256": self.secret_sha256,
            "beacon": {"name": self.beacon},
        }
        if self.assignment is not None:
            out["assignment"] = self.assignment.to_dict()
        return out

    @classmethod
    def from_dict(cls, value: object, *, where: str = "commitment.json", data: bytes | None = None) -> Commitment:
        """Read a parsed ``commitment.json``, checking each field.

        Raises
        ------
        CeremonyError
            If it is not a commitment of this format, naming the field.
        """
        f = Fields(value, where, CeremonyError)
        if f.text("format") != COMMITMENT_FORMAT:
            said = _("{where}: not a commitment of format {format!r}.")
            raise CeremonyError(said.format(where=where, format=COMMITMENT_FORMAT))
        inputs = f.obj("inputs")
        return cls(
            plan=f.mapping("plan"),
            inputs={role: InputFile.from_fields(inputs.obj(role)) for role in inputs.raw},
            population=PopulationRecord.from_fields(f.obj("population")),
            secret_sha256=f.optional_text("secret_sha256"),
            beacon=f.obj("beacon").text("name"),
            assignment=StaffingRecord.from_fields(f.obj("assignment")) if f.has("assignment") else None,
            library_version=f.obj("library").text("version"),
            data=data,
        )

    @classmethod
    def read(cls, path: str | Path) -> Commitment:
        """Read ``commitment.json``.

        Raises
        ------
        CeremonyError
            If it is not a commitment of this format.
        FileNotFoundError
            If there is no such file.
        """
        read = super().read(path)
        return dataclasses.replace(read, path=Path(path) / cls.FILE if Path(path).is_dir() else Path(path))


def make_commitment(
    plan: Plan,
    population: Population | None,
    inputs: Mapping[str, InputFile],
    *,
    beacon: str,
    secret: bytes | None,
    workers: int | None = None,
    population_record: PopulationRecord | None = None,
    assignment: StaffingRecord | None = None,
) -> Commitment:
    """The commitment to a draw, before its beacon value exists.

    Parameters
    ----------
    plan, population
        The plan and its checked population (``None`` when ``population_record`` is given).
    inputs : mapping
        Role -> every input file.
    beacon : str
        The name of the future public random value ("drand quicknet round 12345678").
    secret : bytes or None
        The fresh secret (only its hash is committed), or ``None`` for beacon only.
    population_record : PopulationRecord, optional
        The population's Merkle record, when computed already (streamed by
        :func:`~shuangsuiji.roots.population_root_parquet`).
    assignment : StaffingRecord, optional
        The second random's inputs, bound too (:func:`~shuangsuiji.staffing_record`).

    Raises
    ------
    CeremonyError
        Without a beacon name, or with neither a population nor its record.
    """
    if not beacon.strip():
        said = _("Name the future public random value (--beacon), e.g. 'drand quicknet round 12345678'.")
        raise CeremonyError(said)
    if population_record is None:
        if population is None:
            said = _("make_commitment needs the population or its Merkle record (population_record).")
            raise CeremonyError(said)
        population_record = population_root(population, plan, workers=workers)
    return Commitment(
        plan=plan.to_dict(),
        inputs=dict(inputs),
        population=population_record,
        secret_sha256=None if secret is None else hashlib.sha256(secret).hexdigest(),
        beacon=beacon.strip(),
        assignment=assignment,
    )


def read_commitment(path: str | Path) -> Commitment:
    """Read ``commitment.json`` (:meth:`Commitment.read`)."""
    return Commitment.read(path)


def check_inputs_against(commitment: Commitment, files: Mapping[str, Path]) -> None:
    """Refuse input files whose SHA-256 differs from what the commitment recorded.

    Raises
    ------
    CeremonyError
        Naming each differing or missing file.
    """
    committed = commitment.inputs
    problems = []
    for role, path in files.items():
        if role not in committed:
            problems.append(_("the {role} {path} was not part of the commitment").format(role=role, path=path))
            continue
        got = sha256_file(path)
        if got != committed[role].sha256:
            said = _("the {role} {path} has SHA-256 {got}, the commitment says {committed}")
            problems.append(said.format(role=role, path=path, got=got, committed=committed[role].sha256))
    for role, entry in committed.items():
        if role not in files:
            said = _("the commitment lists a {role} ({path}) that was not given")
            problems.append(said.format(role=role, path=entry.path))
    if problems:
        raise CeremonyError(
            _("The inputs differ from the commitment, so this draw would not be the one announced:\n  - ")
            + "\n  - ".join(problems)
        )
