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
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from ._version import __version__
from .exceptions import CeremonyError, PopulationError, Problem
from .io import iter_parquet, sha256_file
from .merkle import StreamingRoot, leaf_fields, leaf_hashes, merkle_root, population_leaves
from .plan import Plan
from .population import Population, check_rows, draw_columns, prepare_population, repeat_message
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
        raise CeremonyError(f"The secret must be 64 hexadecimal digits (32 bytes); got {len(text)} characters.")
    return raw


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


def population_root_parquet(
    path: str | Path,
    plan: Plan,
    *,
    allow_list: Collection[str] = (),
    batch_rows: int = 1 << 20,
    workers: int | None = None,
) -> dict[str, Any]:
    """:func:`population_root` of a Parquet population sorted by ``uscc``, in bounded memory.

    Streams the file in batches of ``batch_rows`` rows, reading only the leaf
    fields, and checks it on the way as :func:`~shuangsuiji.population.check_population`
    would (codes, plan columns, credit classes; a repeated code sits next to
    its first row in a sorted file). Memory is that of one batch, whatever the
    file's size; the record (and the root) equals :func:`population_root`'s.

    Parameters
    ----------
    path : str or Path
        Parquet file whose rows are in ascending code order (code-point order,
        as ``sort_values("uscc")`` or ``ORDER BY uscc`` with a binary collation gives).
    plan : Plan
        The plan (its columns are the leaf fields).
    allow_list : collection of str
        Legacy codes to accept.
    batch_rows : int
        Rows per batch.
    workers : int, optional
        Processes hashing leaves.

    Raises
    ------
    PopulationError
        Listing every problem found, or at the first row out of code order.
    """
    root = StreamingRoot()
    fields: tuple[str, ...] = ()
    for batch in sorted_leaf_batches(path, plan, allow_list=allow_list, batch_rows=batch_rows, workers=workers):
        fields = batch.fields
        root.add(batch.hashes)
    return {
        "rows": root.count,
        "leaf_fields": list(fields),
        "leaf_format": "rfc8785-json",
        "merkle_root": root.root().hex(),
    }


@dataclass(frozen=True)
class LeafBatch:
    """Consecutive leaves of a population in code order: the rows as text, their leaves and leaf hashes."""

    first: int  # position of the first row in code order
    data: pd.DataFrame
    fields: tuple[str, ...]
    leaves: pa.Array
    hashes: npt.NDArray[np.uint8]


def sorted_leaf_batches(
    path: str | Path,
    plan: Plan,
    *,
    allow_list: Collection[str] = (),
    batch_rows: int = 1 << 20,
    workers: int | None = None,
) -> Iterator[LeafBatch]:
    """Stream the Merkle leaves of a Parquet population sorted by ``uscc``, checking it on the way.

    Each batch goes through the same row checks as every engine
    (:func:`~shuangsuiji.population.check_rows`); a repeated code sits next to its
    first row in a sorted file. Yields batches while the file has no problem;
    after the last batch raises :class:`PopulationError` listing every problem
    found, or at once at a row out of code order.
    """
    source = str(path)
    fields: tuple[str, ...] | None = None
    problems: list[Problem] = []
    last: tuple[str, int] | None = None  # the previous row's code, and the row where that code first came
    position = 0
    for batch in iter_parquet(
        path, columns=draw_columns(plan) - {"name"}, batch_rows=batch_rows, error=PopulationError
    ):
        if fields is None:
            fields = leaf_fields(plan, batch.columns)
        if len(batch) == 0:
            continue
        data, rows = prepare_population(batch, source=source)
        problems += check_rows(data, rows, plan, source=source, allow_list=allow_list).problems
        repeats, last = _neighbour_repeats(data["uscc"], rows, last, source)
        problems += repeats
        if not problems:
            leaves = population_leaves(data, fields)
            yield LeafBatch(position, data, fields, leaves, leaf_hashes(leaves, workers=workers))
        position += len(data)
    if problems:
        unique = list(dict.fromkeys(problems))  # a missing column is reported once, not per batch
        raise PopulationError(sorted(unique, key=lambda p: -1 if p.row is None else p.row))
    if position == 0:
        raise PopulationError([Problem(source, None, None, None, "the table has no rows; a draw needs entities")])


def _neighbour_repeats(
    codes: pd.Series, rows: npt.NDArray[np.int64], last: tuple[str, int] | None, source: str
) -> tuple[list[Problem], tuple[str, int]]:
    """Repeated codes of a batch of a file sorted by code; refuses a code out of order.

    ``last`` is the previous batch's last code and the row where that code first came.
    """
    previous = pd.concat([pd.Series([last[0] if last else ""], dtype="str"), codes.iloc[:-1]], ignore_index=True)
    before = np.array(codes < previous, dtype=bool)
    same = np.array(codes == previous, dtype=bool) & np.array(codes != "", dtype=bool)
    if last is None:
        before[0] = same[0] = False
    if before.any():
        i = int(np.flatnonzero(before)[0])
        raise PopulationError(
            [
                Problem(
                    source,
                    int(rows[i]),
                    "uscc",
                    str(codes.iat[i]),
                    "the file is not sorted by uscc (this code comes before the previous row's); "
                    "--engine dask streams the Merkle tree in code order: sort the file by uscc "
                    "(code-point order), or use --engine memory",
                )
            ]
        )
    # Row where each row's run of equal codes began (a run may begin in an earlier batch).
    start = np.maximum.accumulate(np.where(same, 0, np.arange(len(codes))))
    firsts = rows[start]
    if last is not None and same[0]:
        firsts[start == 0] = last[1]
    problems = [
        Problem(source, int(rows[i]), "uscc", str(codes.iat[i]), repeat_message(int(firsts[i])))
        for i in np.flatnonzero(same).tolist()
    ]
    return problems, (str(codes.iat[-1]), int(firsts[-1]))


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
    population: Population | None,
    inputs: Mapping[str, Mapping[str, str]],
    *,
    beacon: str,
    secret: bytes | None,
    workers: int | None = None,
    population_record: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The content of ``commitment.json``.

    Parameters
    ----------
    plan, population
        The plan and its checked population (``None`` when ``population_record`` is given).
    inputs : mapping
        Role -> ``{"path": ..., "sha256": ...}`` of every input file.
    beacon : str
        The name of the future public random value ("drand quicknet round 12345678").
    secret : bytes or None
        The fresh secret (only its hash is committed), or ``None`` for beacon only.
    population_record : mapping, optional
        The population's Merkle record, when computed already (streamed by
        :func:`population_root_parquet`).
    """
    if not beacon.strip():
        raise CeremonyError("Name the future public random value (--beacon), e.g. 'drand quicknet round 12345678'.")
    if population_record is None:
        if population is None:
            raise CeremonyError("make_commitment needs the population or its Merkle record (population_record).")
        population_record = population_root(population, plan, workers=workers)
    return {
        "format": COMMITMENT_FORMAT,
        "library": {"name": "shuangsuiji", "version": __version__},
        "plan": plan.to_dict(),
        "inputs": {k: dict(v) for k, v in sorted(inputs.items())},
        "population": dict(population_record),
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
