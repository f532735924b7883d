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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ._i18n import _
from ._json import Fields, Published, canonical_json
from ._kernel import ALGORITHM, DrawResult
from ._records import InputFile, PopulationRecord, SeedRecord, StratumRecord, TaskRecord, YearRecord
from ._version import __version__
from .exceptions import InputError, ManifestError, NotFoundError
from .io import csv_bytes, write_sealed
from .plan import Plan, parse_plan
from .salting import masked_label
from .validation import fraction_text

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DRAW_FILES",
    "MANIFEST_FORMAT",
    "InputFile",
    "Manifest",
    "PopulationRecord",
    "SeedRecord",
    "StratumRecord",
    "TaskRecord",
    "YearRecord",
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
    year: YearRecord | None = None
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
            **({} if self.year is None else {"year": self.year.to_dict()}),
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
            said = _("{where}: not a draw manifest of format {format!r}.")
            raise ManifestError(said.format(where=where, format=MANIFEST_FORMAT))
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
            year=YearRecord.from_fields(f.obj("year")) if f.has("year") else None,
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
        said = _("The draw has no task {task!r}; its tasks are {tasks}.")
        raise NotFoundError(said.format(task=task_id, tasks=[t.id for t in self.tasks]))


def _record(
    value: object, kind: type[SeedRecord] | type[PopulationRecord] | type[InputFile] | type[YearRecord], what: str
) -> Any:
    """A record given typed, or in its plain (published) form."""
    if isinstance(value, kind):
        return value
    return kind.from_fields(Fields(value, what, InputError))


def _task_records(result: DrawResult) -> list[TaskRecord]:
    """Each task of a draw as the manifest records it."""
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
    return tasks


def draw_manifest(
    result: DrawResult,
    *,
    inputs: Mapping[str, InputFile | Mapping[str, str]] | None = None,
    outputs: Mapping[str, str] | None = None,
    seed_record: SeedRecord | Mapping[str, Any] | None = None,
    population_record: PopulationRecord | Mapping[str, Any] | None = None,
    year_record: YearRecord | Mapping[str, Any] | None = None,
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
    year_record : YearRecord, optional
        For a year's batch: the year, the batch, the ledger head and the counts
        (:func:`~shuangsuiji.yearview.prepare_batch`).

    Each record may also be given in its plain form, as a manifest holds it.

    Raises
    ------
    InputError
        For a record that is neither.
    """
    tasks = _task_records(result)
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
        year=None if year_record is None else _record(year_record, YearRecord, "year_record"),
    )


def public_selection(result: DrawResult) -> pd.DataFrame:
    """``selection.csv`` as published: for a plan that hides strata columns, their values masked.

    The stratum label shows :data:`~shuangsuiji.salting.MASK` for a hidden column's value, and the
    inclusion probability (which tells the stratum) is left empty.
    """
    hidden = set(result.plan.publication.hidden)
    strata = {t.id: t.strata for t in result.plan.tasks}
    if not hidden & {c for columns in strata.values() for c in columns}:
        return result.selection
    out = result.selection.copy()
    out["stratum"] = [
        masked_label(label, strata[task], hidden) for task, label in zip(out["task_id"], out["stratum"], strict=True)
    ]
    if "inclusion_probability" in out.columns:
        out["inclusion_probability"] = ""
    return out


def draw_tables(result: DrawResult) -> dict[str, bytes]:
    """The bytes of each table file of a draw, by file name (in :data:`DRAW_FILES` order)."""
    frames = {
        "selection.csv": public_selection(result),
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
    year_record: YearRecord | Mapping[str, Any] | None = None,
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
            result,
            inputs=inputs,
            outputs=outputs,
            seed_record=seed_record,
            population_record=population_record,
            year_record=year_record,
        )
        return made.to_bytes()

    data = write_sealed(Path(out_dir), draw_tables(result), "manifest", manifest)
    return Manifest.from_dict(json.loads(data), data=data)
