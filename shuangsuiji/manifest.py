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

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rfc8785

from ._version import __version__
from .io import atomic_write_bytes, csv_bytes, sha256_file
from .sampling import ALGORITHM, DrawResult
from .validation import fraction_text

__all__ = [
    "DRAW_FILES",
    "MANIFEST_FORMAT",
    "InputFile",
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

    def to_dict(self) -> dict[str, str]:
        """Plain form (the reading options only when set)."""
        out = {"path": self.path, "sha256": self.sha256}
        if self.encoding is not None:
            out["encoding"] = self.encoding
        if self.sheet is not None:
            out["sheet"] = self.sheet
        return out


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON bytes of ``value`` (sorted keys, no spaces, UTF-8).

    Examples
    --------
    >>> canonical_json({"b": 1, "a": "中"})
    b'{"a":"\\xe4\\xb8\\xad","b":1}'
    """
    return bytes(rfc8785.dumps(value))


def draw_manifest(
    result: DrawResult,
    *,
    inputs: Mapping[str, InputFile | Mapping[str, str]] | None = None,
    outputs: Mapping[str, str] | None = None,
    seed_record: Mapping[str, Any] | None = None,
    population_record: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest of a draw as a plain dict.

    Parameters
    ----------
    result : DrawResult
        The draw.
    inputs : mapping, optional
        Role (``population``, ``plan``, ``history``, ``allow_list``) -> file.
    outputs : mapping, optional
        Output file name -> SHA-256.
    seed_record : mapping, optional
        How the seed was made; default ``{"mode": "seed"}`` (given directly).
    population_record : mapping, optional
        The population's Merkle commitment (:func:`~shuangsuiji.ceremony.population_root`);
        by default only its row count.
    """
    tasks = []
    summary = {str(r["task_id"]): r for r in result.summary.to_dict("records")}
    for task in result.plan.tasks:
        alloc = result.allocations[task.id]
        rows = result.allocation[result.allocation["task_id"] == task.id].to_dict("records")
        s = summary[task.id]
        tasks.append(
            {
                "id": task.id,
                "scope": task.scope(result.plan.id),
                "out_of_scope": int(s["out_of_scope"]),
                "excluded": int(s["excluded"]),
                "eligible": alloc.eligible,
                "base_ratio": fraction_text(alloc.base_ratio),
                "ratio": fraction_text(alloc.ratio),
                "floor": fraction_text(alloc.floor),
                "floor_binding": alloc.floor_binding,
                "sample": alloc.sample,
                "strata": [
                    {
                        "label": r["stratum"],
                        "population": int(r["population"]),
                        "multiplier": r["multiplier"],
                        "take_all": bool(r["take_all"]),
                        "quota": r["quota"],
                        "sample": int(r["sample"]),
                        "threshold": r["threshold"],
                    }
                    for r in rows
                ],
            }
        )
    return {
        "format": MANIFEST_FORMAT,
        "algorithm": ALGORITHM,
        "library": {"name": "shuangsuiji", "version": __version__},
        "seed": {"value": result.seed, **(seed_record or {"mode": "seed"})},
        "plan": result.plan.to_dict(),
        "population": dict(population_record or {"rows": result.population_size}),
        "inputs": {k: v.to_dict() if isinstance(v, InputFile) else dict(v) for k, v in sorted((inputs or {}).items())},
        "tasks": tasks,
        "outputs": dict(sorted((outputs or {}).items())),
        "warnings": list(result.warnings),
    }


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
    inputs: Mapping[str, InputFile] | None = None,
    seed_record: Mapping[str, Any] | None = None,
    population_record: Mapping[str, Any] | None = None,
) -> str:
    """Write a draw's tables and manifest into ``out_dir`` (each file atomically).

    Returns
    -------
    str
        The SHA-256 of ``manifest.json``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    hashes = {}
    for name, data in draw_tables(result).items():
        atomic_write_bytes(out / name, data)
        hashes[name] = hashlib.sha256(data).hexdigest()
    manifest = canonical_json(
        draw_manifest(
            result, inputs=inputs, outputs=hashes, seed_record=seed_record, population_record=population_record
        )
    )
    digest = hashlib.sha256(manifest).hexdigest()
    atomic_write_bytes(out / "manifest.json", manifest)
    atomic_write_bytes(out / "manifest.sha256", f"{digest}  manifest.json\n".encode())
    return digest
