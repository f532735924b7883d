"""Independent checks of a published draw, and per-entity proofs.

:func:`verify_draw` takes a draw's folder (its ``manifest.json`` names every
input and output) and checks, one :class:`Check` each: the manifest's seal and
canonical form, every output's and input's SHA-256, the seed (recomputed from
the commitment, the revealed secret and the beacon value), the population's
Merkle root, the whole draw recomputed from the inputs (every output and the
manifest must come out byte for byte the same), and, independently of the
draw's code, every selected entity's ticket against its stratum's threshold.

:func:`make_proof` writes what one firm needs to check its own fate without the
population: its leaf, the Merkle audit path, and per task its ticket, stratum,
threshold and outcome. :func:`verify_proof` checks such a proof against the
public manifest alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._version import __version__
from .assignment.verify import verify_assignment
from .ceremony import (
    check_secret,
    derive_seed,
    population_root,
    population_root_parquet,
    read_commitment,
    sorted_leaf_batches,
)
from .checks import Check, Recorder, Verification
from .exceptions import HistoryError, InputError, PopulationError
from .exclusions import History, check_history
from .io import iter_parquet, read_allow_list, read_table, sha256_file
from .manifest import DRAW_FILES, canonical_json, draw_manifest, draw_tables
from .merkle import AuditPath, StreamingAuditPath, audit_path, leaf_hashes, population_leaves, verify_audit_path
from .plan import Plan, load_plan, parse_plan
from .population import Population, check_population, draw_columns, match_values
from .sampling import ALGORITHM, DrawResult, draw, ticket

__all__ = ["PROOF_FORMAT", "Check", "Verification", "make_proof", "verify_draw", "verify_proof"]

PROOF_FORMAT = "shuangsuiji-proof/1"


def _read_manifest(out_dir: Path) -> tuple[bytes, dict[str, Any]]:
    data = (out_dir / "manifest.json").read_bytes()
    return data, json.loads(data)


def _input_path(out_dir: Path, manifest: Mapping[str, Any], role: str, override: str | Path | None) -> Path | None:
    if override is not None:
        return Path(override)
    entry = manifest.get("inputs", {}).get(role)
    return None if entry is None else out_dir / entry["path"]


def verify_draw(
    out_dir: str | Path,
    *,
    population: str | Path | None = None,
    plan: str | Path | None = None,
    history: str | Path | None = None,
    allow_list: str | Path | None = None,
    commitment: str | Path | None = None,
    engine: str = "memory",
    partition_rows: int = 1 << 20,
) -> Verification:
    """Verify a published draw; paths not given default to those its manifest records.

    ``engine="dask"`` recomputes the draw on Dask's current scheduler
    (:mod:`shuangsuiji.distributed`) and streams the Merkle root from a
    Parquet population sorted by code, in partitions of ``partition_rows``:
    for a population too large for one machine. The checks are the same.

    Returns
    -------
    Verification
        One :class:`Check` per step; a step that cannot run (a missing file)
        fails rather than stopping the rest.
    """
    rec = Recorder()
    overrides = {"population": population, "plan": plan, "history": history, "allow_list": allow_list}
    if engine not in {"memory", "dask"}:
        raise InputError(f"The engine must be 'memory' or 'dask'; got {engine!r}.")
    recompute = partial(_recompute, engine=engine, partition_rows=partition_rows)
    rec.attempt("verification completed", partial(_verify_draw, rec, Path(out_dir), overrides, commitment, recompute))
    return rec.done()


def _verify_draw(
    rec: Recorder,
    out: Path,
    overrides: Mapping[str, str | Path | None],
    commitment: str | Path | None,
    recompute: Callable[[Mapping[str, Any], Mapping[str, Path], str], tuple[DrawResult, dict[str, Any]]],
) -> None:
    loaded = rec.attempt("manifest readable", lambda: _read_manifest(out))
    if loaded is None:
        return
    data, manifest = loaded
    digest = hashlib.sha256(data).hexdigest()
    seal = rec.attempt("manifest seal", lambda: (out / "manifest.sha256").read_text(encoding="utf-8"))
    if seal is not None:
        rec.check("manifest seal", seal == f"{digest}  manifest.json\n", f"manifest.json SHA-256 {digest}")
    rec.check("manifest canonical (RFC 8785)", canonical_json(manifest) == data)
    rec.check(
        "algorithm and library",
        manifest.get("algorithm") == ALGORITHM and manifest.get("library", {}).get("version") == __version__,
        f"manifest {manifest.get('algorithm')} / shuangsuiji {manifest.get('library', {}).get('version')}; "
        f"this verifier {ALGORITHM} / {__version__}",
    )
    # Outputs and inputs, byte for byte.
    for name, expected in sorted(manifest.get("outputs", {}).items()):
        got = rec.attempt(f"output {name}", partial(sha256_file, out / name))
        if got is not None:
            rec.check(f"output {name}", got == expected, f"SHA-256 {got}")
    paths: dict[str, Path] = {}
    for role, entry in sorted(manifest.get("inputs", {}).items()):
        path = _input_path(out, manifest, role, overrides.get(role))
        assert path is not None
        got = rec.attempt(f"input {role}", partial(sha256_file, path))
        if got is not None and rec.check(f"input {role}", got == entry["sha256"], f"{path} SHA-256 {got}"):
            paths[role] = path
    seed_record = manifest.get("seed", {})
    seed = str(seed_record.get("value", ""))
    _check_seed(rec, out, seed_record, manifest, commitment)
    if "population" not in paths or "plan" not in paths:
        rec.check("draw recomputed", False, "the population and the plan are needed to recompute the draw")
        return
    # Recompute everything from the inputs.
    recomputed = rec.attempt("draw recomputed", lambda: recompute(manifest, paths, seed))
    if recomputed is None:
        return
    result, pop_record = recomputed
    committed_root = manifest.get("population", {}).get("merkle_root")
    if committed_root is not None:
        rec.check(
            "population Merkle root",
            pop_record["merkle_root"] == committed_root,
            f"recomputed {pop_record['merkle_root']} over {pop_record['rows']} entities",
        )
    tables = draw_tables(result)
    for name in DRAW_FILES:
        same = (out / name).exists() and (out / name).read_bytes() == tables[name]
        rec.check(f"recomputed {name}", same, "identical" if same else "differs from the recomputed draw")
    again = canonical_json(
        draw_manifest(
            result,
            inputs=manifest.get("inputs", {}),
            outputs={n: hashlib.sha256(b).hexdigest() for n, b in tables.items()},
            seed_record={k: v for k, v in seed_record.items() if k != "value"},
            population_record=pop_record if committed_root is not None else None,
        )
    )
    rec.check("recomputed manifest", again == data, "identical" if again == data else "differs")
    rec.attempt("tickets and thresholds", partial(_independent_checks, rec, out, manifest, seed))
    if (out / "assignment.json").exists():
        rec.attempt("assignment", partial(verify_assignment, rec, out))


def _check_seed(
    rec: Recorder,
    out: Path,
    seed_record: Mapping[str, Any],
    manifest: Mapping[str, Any],
    commitment_override: str | Path | None,
) -> None:
    mode = seed_record.get("mode")
    seed = str(seed_record.get("value", ""))
    if mode == "seed":
        rec.check("seed", len(seed) == 64, "given directly (no ceremony): nothing stopped the drawer choosing it")
        return
    if mode not in ("commit-reveal", "beacon"):
        rec.check("seed", False, f"unknown seed mode {mode!r}")
        return
    entry = seed_record.get("commitment", {})
    path = Path(commitment_override) if commitment_override else out / str(entry.get("path", "commitment.json"))
    commitment = rec.attempt("commitment", lambda: read_commitment(path))
    if commitment is None:
        return
    rec.check("commitment", commitment.sha256.hex() == entry.get("sha256"), f"{path} SHA-256 {commitment.sha256.hex()}")
    committed_inputs = {k: v["sha256"] for k, v in commitment.content.get("inputs", {}).items()}
    drawn_inputs = {k: v["sha256"] for k, v in manifest.get("inputs", {}).items()}
    rec.check("inputs as committed", committed_inputs == drawn_inputs, f"{sorted(committed_inputs)}")
    rec.check(
        "population as committed",
        commitment.content.get("population") == manifest.get("population"),
        f"Merkle root {commitment.content.get('population', {}).get('merkle_root')}",
    )
    secret: bytes | None = None
    if mode == "commit-reveal":
        secret = rec.attempt("secret", lambda: check_secret(str(seed_record.get("secret", ""))))
        if secret is None:
            return
        rec.check(
            "secret matches its commitment",
            hashlib.sha256(secret).hexdigest() == commitment.secret_sha256,
            f"SHA-256(secret) {hashlib.sha256(secret).hexdigest()}",
        )
    else:
        rec.check("no secret committed", commitment.secret_sha256 is None)
    beacon = seed_record.get("beacon", {})
    rec.check(
        "beacon as announced",
        beacon.get("name") == commitment.content.get("beacon", {}).get("name"),
        f"{beacon.get('name')}: {beacon.get('value')}",
    )
    derived = rec.attempt("seed", lambda: derive_seed(commitment.sha256, str(beacon.get("value", "")), secret=secret))
    if derived is not None:
        rec.check("seed", derived == seed, f"{mode}: {derived}")


def _load_plan_and_history(paths: Mapping[str, Path]) -> tuple[Plan, frozenset[str], History | None]:
    """The plan, the allow-list and the history (if any) a draw was made with."""
    plan = load_plan(paths["plan"])
    allow = read_allow_list(paths["allow_list"]) if "allow_list" in paths else frozenset()
    history = None
    if "history" in paths:
        history = check_history(
            read_table(paths["history"], error=HistoryError), source=str(paths["history"]), allow_list=allow
        )
    return plan, allow, history


def _load_population(manifest: Mapping[str, Any], paths: Mapping[str, Path]) -> tuple[Plan, Population, Any]:
    plan, allow, history = _load_plan_and_history(paths)
    pop_entry = manifest.get("inputs", {}).get("population", {})
    frame = read_table(
        paths["population"], error=PopulationError, encoding=pop_entry.get("encoding"), sheet=pop_entry.get("sheet")
    )
    population = check_population(frame, plan, source=str(paths["population"]), allow_list=allow)
    return plan, population, history


def _recompute(
    manifest: Mapping[str, Any], paths: Mapping[str, Path], seed: str, *, engine: str, partition_rows: int
) -> tuple[DrawResult, dict[str, Any]]:
    if engine == "memory":
        plan, population, history = _load_population(manifest, paths)
        return draw(population, plan, seed, history=history), population_root(population, plan)
    from .distributed import read_parquet_dask  # noqa: PLC0415 - Dask loads only when used

    plan, allow, history = _load_plan_and_history(paths)
    path = paths["population"]
    if path.suffix.lower() not in {".parquet", ".pq"}:
        raise InputError(
            f"{path}: verifying on Dask reads the population as Parquet sorted by uscc; "
            "convert it, or verify with the memory engine."
        )
    frame = read_parquet_dask(path, columns=draw_columns(plan), partition_rows=partition_rows)
    result = draw(frame, plan, seed, history=history, allow_list=allow)
    if manifest.get("population", {}).get("merkle_root") is None:
        return result, {"rows": result.population_size}
    return result, population_root_parquet(path, plan, allow_list=allow, batch_rows=partition_rows)


def _independent_checks(rec: Recorder, out: Path, manifest: Mapping[str, Any], seed: str) -> None:
    """Check the published tables against the specification directly, without the draw's code."""
    try:
        selection = pd.read_csv(out / "selection.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
        excluded = pd.read_csv(out / "excluded.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError) as exc:
        rec.check("tickets and thresholds", False, f"cannot read the tables: {exc}")
        return
    strata = {(t["id"], s["label"]): s for t in manifest.get("tasks", []) for s in t.get("strata", [])}
    scopes = {t["id"]: t["scope"] for t in manifest.get("tasks", [])}
    bad = []
    for rec_ in selection.to_dict("records"):
        s = strata.get((rec_["task_id"], rec_["stratum"]))
        mine = ticket(seed, scopes.get(rec_["task_id"], ""), rec_["uscc"])
        if s is None or mine != rec_["ticket"] or not mine <= s["threshold"]:
            bad.append(rec_["uscc"])
    rec.check(
        "tickets and thresholds",
        not bad,
        f"{len(selection)} selected entities: tickets recomputed, each at or below its stratum's threshold"
        if not bad
        else f"{len(bad)} selected entities fail (first {bad[0]})",
    )
    counts = selection.groupby(["task_id", "stratum"]).size().to_dict()
    wrong = [k for k, s in strata.items() if counts.get(k, 0) != s["sample"] or s["sample"] > s["population"]]
    rec.check("stratum sizes", not wrong, f"{len(strata)} strata" if not wrong else f"first mismatch {wrong[0]}")
    floors = []
    for t in manifest.get("tasks", []):
        total = sum(s["sample"] for s in t["strata"])
        floor = Fraction(t["floor"]) * t["eligible"]
        if total != t["sample"] or total < floor:
            floors.append(t["id"])
    rec.check("floors", not floors, f"{len(manifest.get('tasks', []))} tasks" if not floors else f"{floors}")
    both = selection.merge(excluded, on=["task_id", "uscc"])
    rec.check("excluded never selected", both.empty, f"{len(excluded)} exclusions")


# --- proofs -------------------------------------------------------------------------------------


def make_proof(
    out_dir: str | Path,
    uscc: str,
    *,
    population: str | Path | None = None,
    allow_list: str | Path | None = None,
    stream: bool = False,
    batch_rows: int = 1 << 20,
) -> dict[str, Any]:
    """A proof of one entity's fate in a published draw (see the module docstring).

    With ``stream=True`` the population (Parquet, sorted by ``uscc``) is read
    in batches of ``batch_rows``: once for the entity's position, once for
    the sibling subtrees of its audit path (:class:`~shuangsuiji.merkle.StreamingAuditPath`),
    in memory bounded by a batch whatever the population's size. The proof is
    the same.

    Raises
    ------
    InputError
        If the entity is not in the population.
    """
    out = Path(out_dir)
    data, manifest = _read_manifest(out)
    overrides = {"population": population, "allow_list": allow_list}
    paths: dict[str, Path] = {}
    for role in ("population", "plan", "allow_list"):
        path = _input_path(out, manifest, role, overrides.get(role))
        if path is not None:
            paths[role] = path
    if stream:
        plan = load_plan(paths["plan"])
        leaf, proof_path = _streamed_leaf_and_path(manifest, paths, plan, uscc, batch_rows)
    else:
        plan, pop, _ = _load_population(manifest, paths)
        fields = manifest["population"]["leaf_fields"]
        ordered = pop.frame.sort_values("uscc", kind="stable").reset_index(drop=True)
        where = ordered.index[ordered["uscc"] == uscc]
        if len(where) == 0:
            raise InputError(f"{uscc!r} is not in the population {paths['population']}; check the code.")
        index = int(where[0])
        leaves = population_leaves(ordered, fields)
        proof_path = audit_path(leaf_hashes(leaves), index)
        leaf = leaves[index].as_py()
    selection = pd.read_csv(out / "selection.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    excluded = pd.read_csv(out / "excluded.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    values = json.loads(leaf)
    seed = manifest["seed"]["value"]
    tasks = []
    for task in plan.tasks:
        scope = task.scope(plan.id)
        entry: dict[str, Any] = {"task_id": task.id, "scope": scope, "ticket": ticket(seed, scope, uscc)}
        sel = selection[(selection["task_id"] == task.id) & (selection["uscc"] == uscc)]
        exc = excluded[(excluded["task_id"] == task.id) & (excluded["uscc"] == uscc)]
        in_scope = all(bool(match_values(pd.Series([values[c]]), list(v))[0]) for c, v in task.where.items())
        if not in_scope:
            entry["outcome"] = "out_of_scope"
        elif len(exc):
            entry.update(outcome="excluded", reason=exc["reason"].iloc[0], detail=exc["detail"].iloc[0])
        else:
            label = "|".join(f"{c}={values[c]}" for c in task.strata)
            entry.update(outcome="selected" if len(sel) else "not_selected", stratum=label)
            entry["threshold"] = next(
                s["threshold"]
                for t in manifest["tasks"]
                if t["id"] == task.id
                for s in t["strata"]
                if s["label"] == label
            )
        tasks.append(entry)
    return {
        "format": PROOF_FORMAT,
        "manifest_sha256": hashlib.sha256(data).hexdigest(),
        "uscc": uscc,
        "leaf": leaf,
        "leaf_index": proof_path.index,
        "tree_size": proof_path.size,
        "audit_path": [p.hex() for p in proof_path.path],
        "tasks": tasks,
    }


def _streamed_leaf_and_path(
    manifest: Mapping[str, Any], paths: Mapping[str, Path], plan: Plan, uscc: str, batch_rows: int
) -> tuple[str, AuditPath]:
    """The entity's leaf and audit path, streamed from a Parquet population sorted by code."""
    path = paths["population"]
    if path.suffix.lower() not in {".parquet", ".pq"}:
        raise InputError(f"{path}: a streamed proof reads the population as Parquet sorted by uscc.")
    allow = read_allow_list(paths["allow_list"]) if "allow_list" in paths else frozenset()
    index, seen = None, 0
    for batch in iter_parquet(path, columns={"uscc"}, batch_rows=batch_rows, error=PopulationError):
        hit = np.flatnonzero((batch["uscc"].str.strip() == uscc).to_numpy())
        if hit.size:
            index = seen + int(hit[0])
            break
        seen += len(batch)
    if index is None:
        raise InputError(f"{uscc!r} is not in the population {path}; check the code.")
    size = int(manifest["population"]["rows"])
    if index >= size:
        raise InputError(f"{path} has more rows than the {size} the manifest records; is it the published file?")
    stream = StreamingAuditPath(index, size)
    leaf = None
    for chunk in sorted_leaf_batches(path, plan, allow_list=allow, batch_rows=batch_rows):
        if list(chunk.fields) != list(manifest["population"]["leaf_fields"]):
            raise InputError(f"{path}: its leaf fields {list(chunk.fields)} differ from the manifest's.")
        if chunk.first + len(chunk.hashes) > size:
            raise InputError(f"{path} has more rows than the {size} the manifest records; is it the published file?")
        stream.add(chunk.first, chunk.hashes)
        if chunk.first <= index < chunk.first + len(chunk.hashes):
            leaf = str(chunk.leaves[index - chunk.first].as_py())
    if leaf is None or stream.count != size:
        raise InputError(f"{path} has {stream.count} rows, not the {size} the manifest records.")
    return leaf, stream.path()


def verify_proof(proof: Mapping[str, Any], manifest_bytes: bytes) -> Verification:
    """Check a proof against the public manifest alone (no population needed)."""
    rec = Recorder()
    manifest = json.loads(manifest_bytes)
    rec.check("proof format", proof.get("format") == PROOF_FORMAT, str(proof.get("format")))
    rec.check(
        "proof made for this manifest",
        proof.get("manifest_sha256") == hashlib.sha256(manifest_bytes).hexdigest(),
        f"manifest SHA-256 {hashlib.sha256(manifest_bytes).hexdigest()}",
    )
    population = manifest.get("population", {})
    root = population.get("merkle_root")
    if root is None:
        rec.check("Merkle root in the manifest", False, "this draw published no Merkle root")
        return rec.done()
    leaf = str(proof.get("leaf", ""))
    leaf_hash = hashlib.sha256(b"\x00" + leaf.encode("utf-8")).digest()
    try:
        path = AuditPath(
            int(proof["leaf_index"]), int(population["rows"]), tuple(bytes.fromhex(p) for p in proof["audit_path"])
        )
        included = verify_audit_path(leaf_hash, path, bytes.fromhex(root))
    except (KeyError, ValueError, TypeError):
        included = False
    rec.check("leaf is in the committed population", included, f"audit path to Merkle root {root}")
    try:
        values = json.loads(leaf)
    except json.JSONDecodeError:
        rec.check("leaf readable", False)
        return rec.done()
    rec.check("leaf is this entity", values.get("uscc") == proof.get("uscc"), str(values.get("uscc")))
    plan = parse_plan(manifest["plan"])
    seed = manifest["seed"]["value"]
    claimed = {t.get("task_id"): t for t in proof.get("tasks", [])}
    for task in plan.tasks:
        name = f"task {task.id}"
        entry = claimed.get(task.id)
        if entry is None:
            rec.check(name, False, "missing from the proof")
            continue
        scope = task.scope(plan.id)
        mine = ticket(seed, scope, str(values.get("uscc")))
        rec.check(f"{name} ticket", entry.get("ticket") == mine, mine)
        in_scope = all(bool(match_values(pd.Series([values.get(c, "")]), list(v))[0]) for c, v in task.where.items())
        outcome = entry.get("outcome")
        if not in_scope:
            rec.check(f"{name} outcome", outcome == "out_of_scope", "outside the task's scope")
            continue
        if values.get(plan.status_column, "") in plan.inactive_statuses:
            rec.check(f"{name} outcome", outcome == "excluded" and entry.get("reason") == "status", "not operating")
            continue
        if outcome == "excluded":
            rec.check(
                f"{name} outcome",
                entry.get("reason") in ("cooldown", "annual_cap"),
                f"excluded for {entry.get('reason')} ({entry.get('detail')}); the inspection history, "
                "not the manifest, shows this",
            )
            continue
        label = "|".join(f"{c}={values.get(c, '')}" for c in task.strata)
        thresholds = {s["label"]: s["threshold"] for t in manifest["tasks"] if t["id"] == task.id for s in t["strata"]}
        threshold = thresholds.get(label)
        rec.check(f"{name} stratum", entry.get("stratum") == label and threshold is not None, label)
        if threshold is None:
            continue
        selected = threshold != "" and mine <= threshold
        rec.check(
            f"{name} outcome",
            outcome == ("selected" if selected else "not_selected"),
            f"ticket {'<=' if selected else '>'} threshold {threshold or '(none drawn)'}: "
            f"{'selected' if selected else 'not selected'}",
        )
    return rec.done()
