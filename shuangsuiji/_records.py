"""The records a manifest is made of: its input files, population, seed, tasks and year (private).

:mod:`shuangsuiji.manifest` re-exports each; ``docs/manifest.md`` specifies their fields.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._json import Fields
from .io import sha256_file
from .ledger.entries import LedgerHead

__all__ = ["YEAR_COUNTS", "InputFile", "PopulationRecord", "SeedRecord", "StratumRecord", "TaskRecord", "YearRecord"]


@dataclass(frozen=True)
class InputFile:
    """An input file as the manifest records it.

    Parameters
    ----------
    path : str
        Path relative to the output folder, with ``/`` separators.
    sha256 : str
        SHA-256 of its bytes.
    encoding, sheet : str, optional
        A forced CSV encoding or XLSX sheet, so that a verifier reads it the same way.
    """

    path: str
    sha256: str
    encoding: str | None = None
    sheet: str | None = None

    @classmethod
    def of(
        cls, path: str | Path, out_dir: str | Path, *, encoding: str | None = None, sheet: str | None = None
    ) -> InputFile:
        """Record ``path`` relative to ``out_dir`` with its hash (and how it was read, if not by default)."""
        rel = os.path.relpath(Path(path).resolve(), Path(out_dir).resolve())
        return cls(path=Path(rel).as_posix(), sha256=sha256_file(path), encoding=encoding, sheet=sheet)

    @classmethod
    def from_fields(cls, f: Fields) -> InputFile:
        """Read back what :meth:`to_dict` wrote."""
        return cls(f.text("path"), f.text("sha256"), f.optional_text("encoding"), f.optional_text("sheet"))

    def to_dict(self) -> dict[str, str]:
        """Plain form (the reading options only when set)."""
        out = {"path": self.path, "sha256": self.sha256}
        if self.encoding is not None:
            out["encoding"] = self.encoding
        if self.sheet is not None:
            out["sheet"] = self.sheet
        return out


@dataclass(frozen=True)
class PopulationRecord:
    """The population as a manifest or a commitment records it: its size and, when committed, its Merkle root.

    Attributes
    ----------
    rows : int
        Entities.
    leaf_fields : tuple of str or None
        The fields of each Merkle leaf (the columns the draw reads), sorted.
    merkle_root : str or None
        The RFC 6962 root over the leaves in code order, as hex.
    leaf_format : str
        How a leaf is written (``rfc8785-json``).
    """

    rows: int
    leaf_fields: tuple[str, ...] | None = None
    merkle_root: str | None = None
    leaf_format: str = "rfc8785-json"

    @classmethod
    def from_fields(cls, f: Fields) -> PopulationRecord:
        if not f.has("merkle_root"):
            return cls(f.integer("rows"))
        return cls(f.integer("rows"), f.texts("leaf_fields"), f.text("merkle_root"), f.text("leaf_format"))

    def to_dict(self) -> dict[str, Any]:
        """Plain form: the row count, and the Merkle fields when there is a root."""
        if self.merkle_root is None:
            return {"rows": self.rows}
        return {
            "rows": self.rows,
            "leaf_fields": list(self.leaf_fields or ()),
            "leaf_format": self.leaf_format,
            "merkle_root": self.merkle_root,
        }


@dataclass(frozen=True)
class SeedRecord:
    """How a draw's seed was made (the seed itself is :attr:`Manifest.seed`).

    Attributes
    ----------
    mode : {'seed', 'commit-reveal', 'beacon'}
        Given directly, or derived in a ceremony (``docs/ceremony.md``).
    commitment : InputFile or None
        The commitment the seed derives from.
    beacon_name, beacon_value : str or None
        The public random value named in the commitment, and its value as published.
    secret : str or None
        The revealed secret (hex) of a commit-reveal ceremony.
    """

    mode: str = "seed"
    commitment: InputFile | None = None
    beacon_name: str | None = None
    beacon_value: str | None = None
    secret: str | None = None

    @classmethod
    def from_fields(cls, f: Fields) -> SeedRecord:
        beacon = f.obj("beacon") if f.has("beacon") else None
        return cls(
            mode=f.text("mode"),
            commitment=InputFile.from_fields(f.obj("commitment")) if f.has("commitment") else None,
            beacon_name=None if beacon is None else beacon.optional_text("name"),
            beacon_value=None if beacon is None else beacon.optional_text("value"),
            secret=f.optional_text("secret"),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain form, without the seed's value."""
        out: dict[str, Any] = {"mode": self.mode}
        if self.commitment is not None:
            out["commitment"] = self.commitment.to_dict()
        if self.beacon_name is not None or self.beacon_value is not None:
            out["beacon"] = {"name": self.beacon_name, "value": self.beacon_value}
        if self.secret is not None:
            out["secret"] = self.secret
        return out


@dataclass(frozen=True)
class StratumRecord:
    """One stratum of a task as the manifest records it: its size, quota, sample and threshold."""

    label: str
    population: int
    multiplier: str
    take_all: bool
    quota: str
    sample: int
    threshold: str

    @classmethod
    def from_fields(cls, f: Fields) -> StratumRecord:
        return cls(
            f.text("label"),
            f.integer("population"),
            f.text("multiplier"),
            f.boolean("take_all"),
            f.text("quota"),
            f.integer("sample"),
            f.text("threshold"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "population": self.population,
            "multiplier": self.multiplier,
            "take_all": self.take_all,
            "quota": self.quota,
            "sample": self.sample,
            "threshold": self.threshold,
        }


@dataclass(frozen=True)
class TaskRecord:
    """One task of a draw as the manifest records it."""

    id: str
    scope: str
    out_of_scope: int
    excluded: int
    eligible: int
    base_ratio: str
    ratio: str
    floor: str
    floor_binding: bool
    sample: int
    strata: tuple[StratumRecord, ...]

    @classmethod
    def from_fields(cls, f: Fields) -> TaskRecord:
        return cls(
            id=f.text("id"),
            scope=f.text("scope"),
            out_of_scope=f.integer("out_of_scope"),
            excluded=f.integer("excluded"),
            eligible=f.integer("eligible"),
            base_ratio=f.text("base_ratio"),
            ratio=f.text("ratio"),
            floor=f.text("floor"),
            floor_binding=f.boolean("floor_binding"),
            sample=f.integer("sample"),
            strata=tuple(StratumRecord.from_fields(s) for s in f.objects("strata")),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scope": self.scope,
            "out_of_scope": self.out_of_scope,
            "excluded": self.excluded,
            "eligible": self.eligible,
            "base_ratio": self.base_ratio,
            "ratio": self.ratio,
            "floor": self.floor,
            "floor_binding": self.floor_binding,
            "sample": self.sample,
            "strata": [s.to_dict() for s in self.strata],
        }

    @property
    def thresholds(self) -> dict[str, str]:
        """Stratum label -> threshold."""
        return {s.label: s.threshold for s in self.strata}


#: The counts a year's batch records for each general task, in order.
YEAR_COUNTS: tuple[str, ...] = ("base", "target", "due", "covered", "count")


@dataclass(frozen=True)
class YearRecord:
    """A year's batch as its manifest records it (``docs/year.md``).

    Attributes
    ----------
    year, batch : str
        The year plan's id and the batch's.
    ledger_head : Mapping
        ``{"seq", "hash"}`` of the ledger the batch's view was read at.
    tasks : Mapping
        General task id -> ``{"base", "target", "due", "covered", "count"}``: the indicator's base,
        the year's target ``ceil(target * base)``, the part due by the end of the batch, the firms
        of the base covered before it, and the count the batch draws.
    key_remaining, key_taken : tuple of str
        For a year with a key pool: the pool's tasks not drawn before this batch, in pool order,
        and those this batch takes, in the order drawn (``docs/year.md``).
    """

    year: str
    batch: str
    ledger_head: Mapping[str, Any]
    tasks: Mapping[str, Mapping[str, int]]
    key_remaining: tuple[str, ...] = ()
    key_taken: tuple[str, ...] = ()

    @property
    def head(self) -> LedgerHead:
        """The ledger head the batch read, as a :class:`~shuangsuiji.ledger.LedgerHead`."""
        return LedgerHead(int(self.ledger_head["seq"]), str(self.ledger_head["hash"]))

    @classmethod
    def from_fields(cls, f: Fields) -> YearRecord:
        head = f.obj("ledger_head")
        tasks = f.obj("tasks")
        return cls(
            year=f.text("year"),
            batch=f.text("batch"),
            ledger_head={"seq": head.integer("seq"), "hash": head.text("hash")},
            tasks={t: {k: tasks.obj(t).integer(k) for k in YEAR_COUNTS} for t in f.mapping("tasks")},
            key_remaining=f.obj("key").texts("remaining") if f.has("key") else (),
            key_taken=f.obj("key").texts("taken") if f.has("key") else (),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain form (the key pool only for a year that has one)."""
        out = {
            "year": self.year,
            "batch": self.batch,
            "ledger_head": {"seq": int(self.ledger_head["seq"]), "hash": str(self.ledger_head["hash"])},
            "tasks": {t: {k: int(c[k]) for k in YEAR_COUNTS} for t, c in sorted(self.tasks.items())},
        }
        if self.key_remaining or self.key_taken:
            out["key"] = {"remaining": list(self.key_remaining), "taken": list(self.key_taken)}
        return out
