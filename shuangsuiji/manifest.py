"""The manifest of a draw and the files written beside it.

A draw writes into one folder:

``selection.csv``, ``allocation.csv``, ``excluded.csv``, ``summary.csv``
    UTF-8 with BOM (Excel opens them), ``\\n`` line ends, sorted rows.
``manifest.json``
    RFC 8785 canonical JSON: the algorithm and library version, the seed and
    how it was made, the plan, the SHA-256 of every input and output file and
    the allocation with thresholds. It holds no clock time and only relative
    paths, so the same inputs give the same bytes on any machine.
``manifest.sha256``
    The manifest's own SHA-256 in ``sha256sum`` format
    (``sha256sum -c manifest.sha256`` checks it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ._json import Fields, Published, canonical_json
from ._kernel import ALGORITHM, DrawResult
from ._version import __version__
from .exceptions import InputError, ManifestError, NotFoundError
from .io import csv_bytes, sha256_file, write_sealed
from .plan import Plan, parse_plan
from .validation import fraction_text

__all__ = [
    "DRAW_FILES",
    "MANIFEST_FORMAT",
    "InputFile",
    "Manifest",
    "PopulationRecord",
    "SeedRecord",
    "StratumRecord",
    "TaskRecord",
    "canonical_json",
    "draw_manifest",
    "draw_tables",
    "write_draw",
]

#: Format name and version of ``manifest.json``.
MANIFEST_FORMAT = "shuangsuiji-manifest/1"
#: The tables a draw writes, in the order written.
DRAW_FILES: tuple[str, ...] = ("selection.csv", "allocation.csv", "excluded.csv", "summary.csv")


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


@dataclass(frozen=True)
class Manifest(Published):
    """A draw's ``manifest.json``, typed: what the writers produce and every reader reads back.

    :meth:`to_bytes` gives the published bytes (RFC 8785 canonical JSON);
    :meth:`read` reads them back, checking every field. ``data`` holds the
    bytes it was read from (``None`` for a manifest built in memory).
    """

    seed: str
    seed_record: SeedRecord
    plan: Mapping[str, Any]
    population: PopulationRecord
    inputs: Mapping[str, InputFile]
    tasks: tuple[TaskRecord, ...]
    outputs: Mapping[str, str]
    warnings: tuple[str, ...] = ()
    algorithm: str = ALGORITHM
    library_version: str = __version__
    format: str = MANIFEST_FORMAT
    data: bytes | None = field(default=None, compare=False, repr=False)
    source: str = field(default="manifest.json", compare=False, repr=False)
    FILE: ClassVar[str] = "manifest.json"
    ERROR: ClassVar[type[InputError]] = ManifestError

    def to_dict(self) -> dict[str, Any]:
        """The plain form, as published."""
        return {
            "format": self.format,
            "algorithm": self.algorithm,
            "library": {"name": "shuangsuiji", "version": self.library_version},
            "seed": {"value": self.seed, **self.seed_record.to_dict()},
            "plan": dict(self.plan),
            "population": self.population.to_dict(),
            "inputs": {k: v.to_dict() for k, v in sorted(self.inputs.items())},
            "tasks": [t.to_dict() for t in self.tasks],
            "outputs": dict(sorted(self.outputs.items())),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, value: object, *, where: str = "manifest.json", data: bytes | None = None) -> Manifest:
        """Read a parsed ``manifest.json``, checking each field.

        Raises
        ------
        ManifestError
            Naming the field that is missing or of the wrong type.
        """
        f = Fields(value, where, ManifestError)
        if f.text("format") != MANIFEST_FORMAT:
            raise ManifestError(f"{where}: not a draw manifest of format {MANIFEST_FORMAT!r}.")
        seed = f.obj("seed")
        return cls(
            seed=seed.text("value"),
            seed_record=SeedRecord.from_fields(seed),
            plan=f.mapping("plan"),
            population=PopulationRecord.from_fields(f.obj("population")),
            inputs={role: InputFile.from_fields(f.obj("inputs").obj(role)) for role in f.mapping("inputs")},
            tasks=tuple(TaskRecord.from_fields(t) for t in f.objects("tasks")),
            outputs=f.text_map("outputs"),
            warnings=f.texts("warnings"),
            algorithm=f.text("algorithm"),
            library_version=f.obj("library").text("version"),
            data=data,
            source=where,
        )

    def parsed_plan(self) -> Plan:
        """The plan the draw followed, as a :class:`~shuangsuiji.plan.Plan`.

        Raises
        ------
        PlanError
            If the recorded plan breaks the plan schema (naming the manifest).
        """
        return parse_plan(self.plan, source=self.source)

    def task(self, task_id: str) -> TaskRecord:
        """The record of one task.

        Raises
        ------
        NotFoundError
            If the draw has no such task.
        """
        for t in self.tasks:
            if t.id == task_id:
                return t
        raise NotFoundError(f"The draw has no task {task_id!r}; its tasks are {[t.id for t in self.tasks]}.")


def _record(value: object, kind: type[SeedRecord] | type[PopulationRecord] | type[InputFile], what: str) -> Any:
    """A record given typed, or in its plain (published) form."""
    if isinstance(value, kind):
        return value
    return kind.from_fields(Fields(value, what, InputError))


def draw_manifest(
    result: DrawResult,
    *,
    inputs: Mapping[str, InputFile | Mapping[str, str]] | None = None,
    outputs: Mapping[str, str] | None = None,
    seed_record: SeedRecord | Mapping[str, Any] | None = None,
    population_record: PopulationRecord | Mapping[str, Any] | None = None,
) -> Manifest:
    """The manifest of a draw.

    Parameters
    ----------
    result : DrawResult
        The draw.
    inputs : mapping, optional
        Role (``population``, ``plan``, ``history``, ``allow_list``) -> file.
    outputs : mapping, optional
        Output file name -> SHA-256.
    seed_record : SeedRecord, optional
        How the seed was made; by default given directly (mode ``seed``).
    population_record : PopulationRecord, optional
        The population's Merkle commitment (:func:`~shuangsuiji.ceremony.population_root`);
        by default only its row count.

    Each record may also be given in its plain form, as a manifest holds it.

    Raises
    ------
    InputError
        For a record that is neither.
    """
    summary = {str(r["task_id"]): r for r in result.summary.to_dict("records")}
    tasks = []
    for task in result.plan.tasks:
        alloc = result.allocations[task.id]
        rows = result.allocation[result.allocation["task_id"] == task.id].to_dict("records")
        s = summary[task.id]
        strata = tuple(
            StratumRecord(
                label=r["stratum"],
                population=int(r["population"]),
                multiplier=r["multiplier"],
                take_all=bool(r["take_all"]),
                quota=r["quota"],
                sample=int(r["sample"]),
                threshold=r["threshold"],
            )
            for r in rows
        )
        tasks.append(
            TaskRecord(
                id=task.id,
                scope=task.scope(result.plan.id),
                out_of_scope=int(s["out_of_scope"]),
                excluded=int(s["excluded"]),
                eligible=alloc.eligible,
                base_ratio=fraction_text(alloc.base_ratio),
                ratio=fraction_text(alloc.ratio),
                floor=fraction_text(alloc.floor),
                floor_binding=alloc.floor_binding,
                sample=alloc.sample,
                strata=strata,
            )
        )
    return Manifest(
        seed=result.seed,
        seed_record=SeedRecord() if seed_record is None else _record(seed_record, SeedRecord, "seed_record"),
        plan=result.plan.to_dict(),
        population=PopulationRecord(result.population_size)
        if population_record is None
        else _record(population_record, PopulationRecord, "population_record"),
        inputs={role: _record(entry, InputFile, f"inputs.{role}") for role, entry in (inputs or {}).items()},
        tasks=tuple(tasks),
        outputs=dict(outputs or {}),
        warnings=tuple(result.warnings),
    )


def draw_tables(result: DrawResult) -> dict[str, bytes]:
    """The bytes of each table file of a draw, by file name (in :data:`DRAW_FILES` order)."""
    frames = {
        "selection.csv": result.selection,
        "allocation.csv": result.allocation,
        "excluded.csv": result.excluded,
        "summary.csv": result.summary,
    }
    return {name: csv_bytes(frames[name]) for name in DRAW_FILES}


def write_draw(
    result: DrawResult,
    out_dir: str | Path,
    *,
    inputs: Mapping[str, InputFile | Mapping[str, str]] | None = None,
    seed_record: SeedRecord | Mapping[str, Any] | None = None,
    population_record: PopulationRecord | Mapping[str, Any] | None = None,
) -> Manifest:
    """Write a draw's tables, ``manifest.json`` and its seal ``manifest.sha256`` into ``out_dir``.

    Each file is written atomically, the manifest last.

    Returns
    -------
    Manifest
        The manifest written (its :attr:`~Manifest.sha256` is the seal's).
    """

    def manifest(outputs: Mapping[str, str]) -> bytes:
        made = draw_manifest(
            result, inputs=inputs, outputs=outputs, seed_record=seed_record, population_record=population_record
        )
        return made.to_bytes()

    data = write_sealed(Path(out_dir), draw_tables(result), "manifest", manifest)
    return Manifest.from_dict(json.loads(data), data=data)
