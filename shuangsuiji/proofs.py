"""One firm's proof of its fate in a draw, checkable with the public manifest alone.

:func:`make_proof` writes what one firm needs to check its own fate without
the population: its Merkle leaf, the RFC 6962 audit path to the committed
root, and per task its ticket, stratum, threshold and outcome.
:func:`verify_proof` checks such a proof against the manifest alone: the
leaf is in the committed population, it is this firm, each ticket is
``SHA-256(seed:scope:uscc)``, and each outcome follows from the ticket and the
published threshold (``docs/ceremony.md``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Self, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

from ._i18n import N_, _
from ._json import Fields, indented_json, load_json
from ._kernel import stratum_label
from .checks import Recorder, Verification
from .engines import DEFAULT_PARTITION_ROWS, is_parquet
from .exceptions import ManifestError, NotFoundError, PopulationError, ProofError
from .inputs import DrawFiles, DrawInputs, load_draw_inputs
from .io import iter_parquet, read_allow_list
from .manifest import Manifest
from .merkle import AuditPath, StreamingAuditPath, audit_path, leaf_hashes, leaf_included, merkle_root
from .plan import Plan, load_plan
from .population import match_values
from .roots import entity_leaves, sorted_leaf_batches
from .salting import entity_openings, opened_values
from .sampling import ticket

__all__ = ["PROOF_FORMAT", "Proof", "ProofTask", "make_proof", "verify_proof"]

#: Format name and version of a proof file.
PROOF_FORMAT = "shuangsuiji-proof/1"


@dataclass(frozen=True)
class ProofTask:
    """One task's part of a proof: the ticket, and what became of the entity.

    ``reason`` and ``detail`` are set for an excluded entity; ``stratum`` and
    ``threshold`` for an eligible one (selected or not).
    """

    task_id: str
    scope: str
    ticket: str
    outcome: str
    reason: str | None = None
    detail: str | None = None
    stratum: str | None = None
    threshold: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"task_id": self.task_id, "scope": self.scope, "ticket": self.ticket}
        out["outcome"] = self.outcome
        for key in ("reason", "detail", "stratum", "threshold"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    @classmethod
    def from_fields(cls, f: Fields) -> ProofTask:
        return cls(
            task_id=f.text("task_id"),
            scope=f.text("scope"),
            ticket=f.text("ticket"),
            outcome=f.text("outcome"),
            reason=f.optional_text("reason"),
            detail=f.optional_text("detail"),
            stratum=f.optional_text("stratum"),
            threshold=f.optional_text("threshold"),
        )


@dataclass(frozen=True)
class Proof:
    """A proof of one entity's fate (``proof-USCC.json``)."""

    manifest_sha256: str
    uscc: str
    leaf: str
    leaf_index: int
    tree_size: int
    audit_path: tuple[str, ...]
    tasks: tuple[ProofTask, ...]
    format: str = PROOF_FORMAT
    openings: tuple[tuple[str, str, str], ...] = ()  # (leaf key, value, salt hex) of the firm's hidden fields

    def to_dict(self) -> dict[str, Any]:
        """The plain form, keys in the order of the file (``openings`` only when the plan hides fields)."""
        out = {
            "format": self.format,
            "manifest_sha256": self.manifest_sha256,
            "uscc": self.uscc,
            "leaf": self.leaf,
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "audit_path": list(self.audit_path),
            "tasks": [t.to_dict() for t in self.tasks],
        }
        if self.openings:
            out["openings"] = {key: {"value": value, "salt": salt} for key, value, salt in self.openings}
        return out

    def to_json(self) -> bytes:
        """The file's bytes: indented UTF-8 JSON, readable on a phone."""
        return indented_json(self.to_dict())

    @classmethod
    def from_dict(cls, value: object, *, where: str = "proof") -> Proof:
        """Read a parsed proof, checking each field.

        Raises
        ------
        ProofError
            If it is not a proof, naming the field.
        """
        f = Fields(value, where, ProofError)
        return cls(
            format=f.text("format"),
            manifest_sha256=f.text("manifest_sha256"),
            uscc=f.text("uscc"),
            leaf=f.text("leaf"),
            leaf_index=f.integer("leaf_index"),
            tree_size=f.integer("tree_size"),
            audit_path=f.texts("audit_path"),
            tasks=tuple(ProofTask.from_fields(t) for t in f.objects("tasks")),
            openings=_read_openings(f),
        )

    @classmethod
    def read(cls, path: str | Path) -> Proof:
        """Read a proof file.

        Raises
        ------
        ProofError
            If it is not a proof.
        """
        return cls.from_dict(load_json(Path(path).read_bytes(), str(path), ProofError), where=str(path))


def _read_openings(f: Fields) -> tuple[tuple[str, str, str], ...]:
    if not f.has("openings"):
        return ()
    raw = f.mapping("openings")
    out = []
    for key in sorted(raw):
        opening = Fields(raw[key], _("the proof's openings.{key}").format(key=key), ProofError)
        out.append((key, opening.text("value"), opening.text("salt")))
    return tuple(out)


#: The error of a code that is not in the population.
NOT_IN_POPULATION = N_("{uscc!r} is not in the population {path}; check the code.")
#: Exclusions a year adds (only a year's batch can give them).

_YEAR_REASONS = ("drawn_this_year", "year_cap", "department_cap")


def _in_scope(plan_task: Any, values: Mapping[str, object]) -> bool:
    """Whether a leaf's values pass the task's ``where`` (values compared as text, as in the population)."""
    return all(
        bool(match_values(pd.Series([str(values.get(c, ""))], dtype="str"), list(v))[0])
        for c, v in plan_task.where.items()
    )


def _task_entries(
    out: Path, manifest: Manifest, plan: Plan, uscc: str, values: Mapping[str, str]
) -> tuple[ProofTask, ...]:
    selection = pd.read_csv(out / "selection.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    excluded = pd.read_csv(out / "excluded.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    entries = []
    for task in plan.tasks:
        scope = task.scope(plan.id)
        mine = ticket(manifest.seed, scope, uscc)
        sel = selection[(selection["task_id"] == task.id) & (selection["uscc"] == uscc)]
        exc = excluded[(excluded["task_id"] == task.id) & (excluded["uscc"] == uscc)]
        if not _in_scope(task, values):
            entries.append(ProofTask(task.id, scope, mine, "out_of_scope"))
        elif len(exc):
            reason, detail = str(exc["reason"].iloc[0]), str(exc["detail"].iloc[0])
            entries.append(ProofTask(task.id, scope, mine, "excluded", reason=reason, detail=detail))
        else:
            label = stratum_label(task.strata, [values[c] for c in task.strata])
            outcome = "selected" if len(sel) else "not_selected"
            threshold = manifest.task(task.id).thresholds.get(label)
            if threshold is None:
                raise ProofError(
                    _(
                        "Task {task!r} has no stratum {stratum!r} in the manifest: is the population the one drawn? "
                        "Give the published population file (or leave out --population)."
                    ).format(task=task.id, stratum=label)
                )
            entries.append(ProofTask(task.id, scope, mine, outcome, stratum=label, threshold=threshold))
    return tuple(entries)


def committed_files(
    out: Path, *, population: str | Path | None = None, allow_list: str | Path | None = None
) -> tuple[Manifest, DrawFiles]:
    """A published draw's manifest and the files its population's leaves are made from (any overridden).

    A year's batch is read as its plan file: the leaves hold the whole year's columns, whatever the batch.

    Raises
    ------
    ProofError
        If the draw published no Merkle root.
    """
    manifest = Manifest.read(out)
    if manifest.population.merkle_root is None:
        raise ProofError(
            _(
                "{folder}: this draw published no Merkle root of its population, so no proof can be made against it; "
                "draw with a population record (the commit and draw commands always make one)."
            ).format(folder=out)
        )
    recorded = DrawFiles.recorded(manifest, out, {"population": population, "allow_list": allow_list})
    files = DrawFiles(
        population=recorded.population,
        plan=recorded.plan,
        allow_list=recorded.allow_list,
        encoding=recorded.encoding,
        sheet=recorded.sheet,
    )
    return manifest, files


def committed_leaves(
    manifest: Manifest, files: DrawFiles, *, salt_key: bytes | None = None
) -> tuple[DrawInputs, pd.DataFrame, pa.Array]:
    """The population read, its rows in code order and their leaves, as the manifest's population record made them."""
    inputs = load_draw_inputs(files)
    ordered, leaves = entity_leaves(
        inputs.population.frame,
        manifest.population.leaf_fields or (),
        inputs.plan,
        leaf_format=manifest.population.leaf_format,
        register=inputs.population.register,
        salt_key=salt_key,
    )
    _check_is_the_draws(manifest, files, leaves)
    return inputs, ordered, leaves


def _check_is_the_draws(manifest: Manifest, files: DrawFiles, leaves: pa.Array) -> None:
    """Refuse a population that is not the one the draw committed to: a proof from it would not verify."""
    root, rows = manifest.population.merkle_root, manifest.population.rows
    if root is None:
        return
    got = merkle_root(hashes=leaf_hashes(leaves)).hex()
    if got != root or len(leaves) != rows:
        raise ProofError(
            _(
                "{path} is not the population this draw read: its {n} entities have the "
                "Merkle root {got}, the draw's manifest records {rows} entities and {root}. Give the population "
                "file the draw read, unchanged (the manifest names it and its SHA-256)."
            ).format(path=files.population, n=len(leaves), got=got, rows=rows, root=root)
        )


def make_proof(
    out_dir: str | Path,
    uscc: str,
    *,
    population: str | Path | None = None,
    allow_list: str | Path | None = None,
    stream: bool = False,
    batch_rows: int = DEFAULT_PARTITION_ROWS,
    salt_key: bytes | None = None,
) -> Proof:
    """A proof of one entity's fate in a published draw (see the module docstring).

    For a plan that hides fields, ``salt_key`` (the bureau's) computes the leaves and gives the
    proof the firm's own openings: the value and salt of each of its hidden fields.

    With ``stream=True`` the population (Parquet, sorted by ``uscc``) is read
    in batches of ``batch_rows``: once for the entity's position, once for
    the sibling subtrees of its audit path (:class:`~shuangsuiji.merkle.StreamingAuditPath`),
    in memory bounded by a batch whatever the population's size. The proof is
    the same.

    Raises
    ------
    NotFoundError
        If the entity is not in the population.
    ManifestError
        If the folder's manifest is not one of this format.
    """
    out = Path(out_dir)
    manifest, files = committed_files(out, population=population, allow_list=allow_list)
    openings: tuple[tuple[str, str, str], ...] = ()
    if stream:
        # the leaves hold the plan file's columns (for a year's batch, the whole year's plan)
        if files.plan is None:
            raise ProofError(_("A streamed proof reads the plan file the draw recorded; give the draw's folder."))
        if manifest.parsed_plan().publication.hidden:
            raise ProofError(_("The plan hides fields: make the proof in memory (leave out --stream)."))
        leaf, proof_path = _streamed_leaf_and_path(manifest, files, load_plan(files.plan), uscc, batch_rows)
    else:
        inputs, ordered, leaves = committed_leaves(manifest, files, salt_key=salt_key)
        where = ordered.index[ordered["uscc"] == uscc]
        if len(where) == 0:
            raise NotFoundError(_(NOT_IN_POPULATION).format(uscc=uscc, path=files.population))
        index = int(where[0])
        proof_path = audit_path(leaf_hashes(leaves), index)
        leaf = leaves[index].as_py()
        openings = entity_openings(inputs.population.frame, inputs.population.register, uscc, leaf, salt_key)
    return Proof(
        manifest_sha256=manifest.sha256,
        uscc=uscc,
        leaf=leaf,
        leaf_index=proof_path.index,
        tree_size=proof_path.size,
        audit_path=tuple(p.hex() for p in proof_path.path),
        tasks=_task_entries(out, manifest, manifest.parsed_plan(), uscc, _own_values(leaf, openings)),
        openings=openings,
    )


def _own_values(leaf: str, openings: tuple[tuple[str, str, str], ...]) -> dict[str, str]:
    values: dict[str, str] = json.loads(leaf)
    return values | {key: value for key, value, _ in openings}


def _position(path: Path, uscc: str, batch_rows: int) -> int:
    """The entity's position in a Parquet population sorted by code (read by batches of codes)."""
    seen = 0
    for batch in iter_parquet(path, columns={"uscc"}, batch_rows=batch_rows, error=PopulationError):
        hit = np.flatnonzero((batch["uscc"].str.strip() == uscc).to_numpy())
        if hit.size:
            return seen + int(hit[0])
        seen += len(batch)
    raise NotFoundError(_(NOT_IN_POPULATION).format(uscc=uscc, path=path))


def _streamed_leaf_and_path(
    manifest: Manifest, files: DrawFiles, plan: Plan, uscc: str, batch_rows: int
) -> tuple[str, AuditPath]:
    """The entity's leaf and audit path, streamed from a Parquet population sorted by code."""
    path = files.population
    if not is_parquet(path):
        raise ProofError(
            _("{path}: a streamed proof reads the population as Parquet sorted by uscc.").format(path=path)
        )
    allow = read_allow_list(files.allow_list) if files.allow_list is not None else frozenset()
    index = _position(path, uscc, batch_rows)
    size = manifest.population.rows
    too_many = _("{path} has more rows than the {rows} the manifest records; is it the published file?")
    too_many = too_many.format(path=path, rows=size)
    if index >= size:
        raise ProofError(too_many)
    stream = StreamingAuditPath(index, size)
    leaf = None
    chunks = sorted_leaf_batches(
        path, plan, allow_list=allow, batch_rows=batch_rows, leaf_format=manifest.population.leaf_format
    )
    for chunk in chunks:
        if list(chunk.fields) != list(manifest.population.leaf_fields or ()):
            said = _("{path}: its leaf fields {fields} differ from the manifest's.")
            raise ProofError(said.format(path=path, fields=list(chunk.fields)))
        if chunk.first + len(chunk.hashes) > size:
            raise ProofError(too_many)
        stream.add(chunk.first, chunk.hashes)
        if chunk.first <= index < chunk.first + len(chunk.hashes):
            leaf = str(chunk.leaves[index - chunk.first].as_py())
    if leaf is None or stream.count != size:
        said = _("{path} has {n} rows, not the {rows} the manifest records.")
        raise ProofError(said.format(path=path, n=stream.count, rows=size))
    return leaf, stream.path()


class _ProofFile(Protocol):
    """What every proof file has: its format and the manifest it was made for."""

    @property
    def format(self) -> str: ...

    @property
    def manifest_sha256(self) -> str: ...

    @classmethod
    def from_dict(cls, value: object, *, where: str = "proof") -> Self: ...


_P = TypeVar("_P", bound=_ProofFile)


def opened_proof(
    proof: object, manifest_bytes: bytes, kind: type[_P], format_name: str
) -> tuple[Recorder, Manifest, _P | None]:
    """The first checks of any proof file: the manifest read, the proof read (``None`` if it is not one), its
    format, and that it was made for this manifest.

    Raises
    ------
    ManifestError
        If the manifest is not a draw manifest.
    """
    rec = Recorder()
    manifest = Manifest.from_dict(load_json(manifest_bytes, "manifest.json", ManifestError), data=manifest_bytes)
    try:
        read = proof if isinstance(proof, kind) else kind.from_dict(proof)
    except ProofError as exc:
        rec.check(N_("proof readable"), False, str(exc))
        return rec, manifest, None
    rec.check(N_("proof format"), read.format == format_name, read.format)
    said = _("manifest SHA-256 {sha256}").format(sha256=manifest.sha256)
    rec.check(N_("proof made for this manifest"), read.manifest_sha256 == manifest.sha256, said)
    return rec, manifest, read


def verify_proof(proof: Proof | object, manifest_bytes: bytes) -> Verification:
    """Check a proof (a :class:`Proof`, or a parsed proof file) against the public manifest alone.

    A proof that is not one of its format fails the check ``proof readable``;
    one that does not hold fails the check it breaks.

    Raises
    ------
    ManifestError
        If the manifest is not a draw manifest.
    """
    rec, manifest, read = opened_proof(proof, manifest_bytes, Proof, PROOF_FORMAT)
    if read is None:
        return rec.done()
    proof = read
    root = manifest.population.merkle_root
    if root is None:
        rec.check(N_("Merkle root in the manifest"), False, _("this draw published no Merkle root"))
        return rec.done()
    included = leaf_included(proof.leaf, proof.leaf_index, manifest.population.rows, proof.audit_path, root)
    rec.check(
        N_("leaf is in the committed population"), included, _("audit path to Merkle root {root}").format(root=root)
    )
    try:
        values = json.loads(proof.leaf)
    except json.JSONDecodeError:
        rec.check(N_("leaf readable"), False)
        return rec.done()
    if not isinstance(values, dict):
        rec.check(N_("leaf readable"), False, _("the leaf is not a JSON object"))
        return rec.done()
    rec.check(N_("leaf is this entity"), values.get("uscc") == proof.uscc, str(values.get("uscc")))
    _check_tasks(rec, proof, manifest, opened_values(proof.openings, values, rec))
    return rec.done()


def _check_tasks(rec: Recorder, proof: Proof, manifest: Manifest, values: Mapping[str, Any]) -> None:
    """Each task's ticket and outcome, from the leaf, the seed and the published thresholds."""
    plan = manifest.parsed_plan()
    claimed = {t.task_id: t for t in proof.tasks}
    for task in plan.tasks:
        name, fate = task.id, N_("task {task} outcome").format(task=task.id)
        entry = claimed.get(task.id)
        if entry is None:
            rec.check(N_("task {task}").format(task=name), False, _("missing from the proof"))
            continue
        mine = ticket(manifest.seed, task.scope(plan.id), str(values.get("uscc")))
        rec.check(N_("task {task} ticket").format(task=name), entry.ticket == mine, mine)
        if not _in_scope(task, values):
            rec.check(fate, entry.outcome == "out_of_scope", _("outside the task's scope"))
            continue
        if values.get(plan.status_column, "") in plan.inactive_statuses:
            rec.check(fate, entry.outcome == "excluded" and entry.reason == "status", _("not operating"))
            continue
        if entry.outcome == "excluded":
            year = manifest.year is not None and entry.reason in _YEAR_REASONS
            shown = _("the year's ledger view (ledger-view.json)") if year else _("the inspection history")
            rec.check(
                fate,
                entry.reason in ("cooldown", "annual_cap") or year,
                _("excluded for {reason} ({detail}); {shown}, not the manifest, shows this").format(
                    reason=entry.reason, detail=entry.detail, shown=shown
                ),
            )
            continue
        label = stratum_label(task.strata, [str(values.get(c, "")) for c in task.strata])
        threshold = next((t.thresholds for t in manifest.tasks if t.id == task.id), {}).get(label)
        rec.check(N_("task {task} stratum").format(task=name), entry.stratum == label and threshold is not None, label)
        if threshold is None:
            continue
        selected = threshold != "" and mine <= threshold
        said = _("ticket > threshold {threshold}: not selected")
        if selected:
            said = _("ticket <= threshold {threshold}: selected")
        outcome = "selected" if selected else "not_selected"
        rec.check(fate, entry.outcome == outcome, said.format(threshold=threshold or _("(none drawn)")))
