"""Independent checks of a published draw.

:func:`verify_draw` takes a draw's folder (its ``manifest.json`` names every
input and output) and checks, one :class:`~shuangsuiji.checks.Check` each: the
manifest's seal and canonical form, every output's and input's SHA-256, the
seed (recomputed from the commitment, the revealed secret and the beacon
value), the population's Merkle root, the whole draw recomputed from the
inputs (every output and the manifest must come out byte for byte the same),
and, independently of the draw's code, every selected entity's ticket against
its stratum's threshold. An assignment published beside the draw is checked
too (:mod:`shuangsuiji.assignment.verify`). Proofs of one firm's fate are in
:mod:`shuangsuiji.proofs`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

from ._confine import refused_input, refused_output
from ._i18n import N_, _
from ._json import read_record
from ._notice_record import check_notices
from ._runs import unsettled
from ._seed_checks import commitment_seal, not_downgraded
from ._table_checks import independent_checks
from ._version import __version__
from .assignment.bound import record_bound_checks
from .assignment.manifest import ASSIGNMENT_FILES, AssignmentManifest
from .assignment.verify import verify_assignment
from .ceremony import Commitment, check_secret, derive_seed
from .checks import Check, Recorder, Verification
from .engines import DEFAULT_PARTITION_ROWS, Engine, get_engine, is_parquet
from .exceptions import InputError, ManifestError
from .inputs import DrawFiles, load_draw_inputs
from .io import seal_line, sha256_file
from .manifest import (
    DRAW_FILES,
    Manifest,
    PopulationRecord,
    YearRecord,
    canonical_json,
    draw_manifest,
    draw_tables,
)
from .sampling import ALGORITHM, DrawResult
from .sealed import check_revealed, check_sealed, read_sealed

__all__ = ["Check", "Verification", "verify_draw"]

_Recompute = Callable[[Manifest, DrawFiles], tuple[DrawResult, PopulationRecord | None, YearRecord | None]]


def verify_draw(
    out_dir: str | Path,
    *,
    population: str | Path | None = None,
    plan: str | Path | None = None,
    history: str | Path | None = None,
    allow_list: str | Path | None = None,
    commitment: str | Path | None = None,
    engine: str | Engine = "memory",
    partition_rows: int = DEFAULT_PARTITION_ROWS,
    today: dt.date | None = None,
    salt_key: bytes | None = None,
    published_only: bool = False,
    results: str | Path | None = None,
) -> Verification:
    """Verify a published draw; paths not given default to those its manifest records.

    A sealed plan's folder before its reveal (``sealed.json``, no manifest) is checked for what it
    holds, and fails once ``today`` (by default the clock's date) is past the announced day. A plan
    that hides fields needs the bureau's ``salt_key`` to recompute the Merkle root; without it, that
    check and the manifest's recomputation are marked withheld (the tables are still recomputed).

    ``engine="dask"`` recomputes the draw on Dask's current scheduler
    (:mod:`shuangsuiji.distributed`) and streams the Merkle root from a
    Parquet population sorted by code, in partitions of ``partition_rows``:
    for a population too large for one machine. The checks are the same.

    ``published_only`` checks a public folder as someone holding nothing else would: the inputs its
    ``publication.json`` lists as withheld are not read even where a recorded path finds them.

    The notices beside the draw (``../notices`` or ``notices``, with their ``notices.json``) are
    checked too; ``results``, the inspectors' results file, is then checked against the SHA-256 the
    record holds.

    Returns
    -------
    Verification
        One :class:`Check` per step; a step that cannot run (a missing file)
        fails rather than stopping the rest.

    Raises
    ------
    InputError
        For an unknown engine.
    """
    chosen = get_engine(engine, partition_rows=partition_rows) if isinstance(engine, str) else engine
    rec = Recorder()
    overrides = {"population": population, "plan": plan, "history": history, "allow_list": allow_list}
    recompute = partial(_recompute, engine=chosen, salt_key=salt_key)
    folder = Path(out_dir)
    if not (folder / "manifest.json").exists() and read_sealed(folder) is not None:
        check_sealed(rec, folder, today=today or dt.date.today())
        return rec.done()
    verify = partial(
        _verify_draw, rec, folder, overrides, commitment, recompute, published_only=published_only, results=results
    )
    rec.attempt(N_("verification completed"), verify)
    return rec.done()


def published_withheld(out: Path) -> frozenset[str]:
    """The input roles a public folder says the bureau withheld (``publication.json``; empty for a draw folder)."""
    record = read_record(out / "publication.json") or {}
    roles = record.get("withheld")
    return frozenset(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else frozenset()


def _read(out: Path) -> tuple[Manifest, dict[str, object]]:
    data = (out / "manifest.json").read_bytes()
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        said = _("{path}: not a JSON file ({error}).").format(path=out / "manifest.json", error=exc)
        raise ManifestError(said) from None

    return Manifest.from_dict(raw, where=str(out / "manifest.json"), data=data), raw


def _verify_draw(
    rec: Recorder,
    out: Path,
    overrides: Mapping[str, str | Path | None],
    commitment: str | Path | None,
    recompute: _Recompute,
    *,
    published_only: bool = False,
    results: str | Path | None = None,
) -> None:
    loaded = rec.attempt(N_("manifest readable"), lambda: _read(out))
    if loaded is None:
        return
    manifest, raw = loaded
    data = manifest.data or b""
    seal = rec.attempt(N_("manifest seal"), (out / "manifest.sha256").read_bytes)
    if seal is not None:
        sealed = seal == seal_line(manifest.sha256, "manifest.json")
        rec.check(N_("manifest seal"), sealed, f"manifest.json SHA-256 {manifest.sha256}")
    for said in unsettled(out):  # the folder holds one run whole; an interrupted one is said, never hidden
        rec.check(N_("every run finished"), False, said)
    rec.check(N_("manifest canonical (RFC 8785)"), canonical_json(raw) == data)
    check_revealed(rec, out, manifest.sha256)
    rec.check(
        N_("algorithm and library"),
        manifest.algorithm == ALGORITHM and manifest.library_version == __version__,
        _("manifest {algorithm} / shuangsuiji {version}; this verifier {ours} / {our_version}").format(
            algorithm=manifest.algorithm, version=manifest.library_version, ours=ALGORITHM, our_version=__version__
        ),
    )
    withheld = published_withheld(out)
    files = _check_files(rec, out, manifest, overrides, withheld, published_only=published_only)
    _check_seed(rec, out, manifest, commitment)
    needs = _("the population (for a year's batch, the year plan and the ledger's view too)")
    if files is None and "population" in withheld and overrides.get("population") is None:
        rec.withhold(
            N_("draw recomputed"),
            _(
                "needs {needs}, which the bureau did not publish; the tables are checked against the manifest below, "
                "and each firm checks its own entry with its proof (prove / verify-proof)"
            ).format(needs=needs),
        )
    elif files is None:
        said = _("needs {needs}: give the missing files (see the input lines above)").format(needs=needs)
        rec.check(N_("draw recomputed"), False, said)
    else:
        recomputed = rec.attempt(N_("draw recomputed"), lambda: recompute(manifest, files))
        if recomputed is not None:
            _check_recomputation(rec, out, manifest, recomputed)
    rec.attempt(N_("tickets and thresholds"), partial(independent_checks, rec, out, manifest))
    if (out / "assignment.json").exists():
        alone, allow = bool(withheld) and published_only, overrides.get("allow_list")
        rec.attempt(
            N_("assignment"),
            partial(verify_assignment, rec, out, withheld=bool(withheld), alone=alone, allow_list=allow),
        )
        rec.attempt(N_("assignment inputs committed"), partial(_assignment_bound, rec, out, manifest))
    elif tables := sorted(n for n in ASSIGNMENT_FILES if (out / n).exists()):
        rec.check(
            N_("assignment record"),
            False,
            _(
                "{files} lie here without assignment.json: an assignment nobody can check (or a "
                "half-written one); run 'assign' again with --force"
            ).format(files=", ".join(tables)),
        )
    _check_notices(rec, out, manifest, results)


def _check_notices(rec: Recorder, out: Path, manifest: Manifest, results: str | Path | None) -> None:
    """The notices beside the draw (``notices/`` where ``demo`` and ``publish`` put them), when recorded."""
    found = [n for n in (out.parent / "notices", out / "notices") if (n / "notices.json").is_file()]
    for notices in found:
        for said in unsettled(notices):
            rec.check(N_("every run finished"), False, said)
        check = partial(
            check_notices,
            rec,
            notices,
            manifest_sha256=manifest.sha256,
            assignment=out / "assignment.json",
            results=Path(results) if results is not None else None,
        )
        rec.attempt(N_("notices record"), check)
    if results is not None and not found:
        said = _("--results was given but no notices record (notices/notices.json) lies beside")
        rec.check(N_("results"), False, said)


def _assignment_bound(rec: Recorder, out: Path, manifest: Manifest) -> None:
    """The assignment's seed and inputs against the draw's commitment (``assignment.json`` and the commitment only)."""
    staffed = AssignmentManifest.read(out)
    record_bound_checks(rec, out, manifest, staffed.inputs, staffed.seed)


def _check_files(
    rec: Recorder,
    out: Path,
    manifest: Manifest,
    overrides: Mapping[str, str | Path | None],
    withheld: frozenset[str] = frozenset(),
    *,
    published_only: bool = False,
) -> DrawFiles | None:
    """Every output and input byte for byte; the inputs to recompute from (``None`` without the population).

    A missing input is named in words, with the option that gives it; one a public folder says was
    withheld is marked so, not failed. Without the plan file the plan inside the manifest is used
    (except for a year's batch, whose manifest holds the batch's plan, not the year's).
    """
    for name, expected in sorted(manifest.outputs.items()):
        label = N_("output {name}").format(name=name)
        refused = refused_output(out, name)
        if refused is not None:
            rec.check(label, False, _("not opened: {reason}").format(reason=refused))
            continue
        if not (out / name).is_file():
            said = _("{path} is missing: the manifest lists it as an output").format(path=out / name)
            rec.check(label, False, said)
            continue
        got = rec.attempt(label, partial(sha256_file, out / name))
        if got is not None:
            rec.check(label, got == expected, f"SHA-256 {got}")
    for role in sorted(r for r, v in overrides.items() if v is not None and r not in manifest.inputs):
        label = N_("input {role}").format(role=role)
        option = f"--{role.replace('_', '-')}"
        said = _("{option} was given but the draw recorded no {role}: it cannot be used; drop {option}")
        rec.check(label, False, said.format(option=option, role=role.replace("_", "-")))
    files = DrawFiles.recorded(manifest, out, overrides)
    given = files.roles()
    good: set[str] = set()
    confined = published_only or (out / "publication.json").exists()
    for role, entry in sorted(manifest.inputs.items()):
        label = N_("input {role}").format(role=role)
        path = given[role] if role in given else out / entry.path
        kept = role in withheld and overrides.get(role) is None  # the bureau withheld it, and it was not given
        on_line = overrides.get(role) is not None
        refused = refused_input(out, entry.path, path, given=on_line, confined=confined)
        option = f"--{role.replace('_', '-')} FILE"
        unpublished = _("not published (publication.json); who has it checks it with {option}").format(option=option)
        if refused is not None:
            if kept:
                rec.withhold(label, unpublished)
            else:
                said = _("not opened: {reason}; give {option}").format(reason=refused, option=option)
                rec.check(label, False, said)
            continue
        if not path.is_file() or (published_only and kept):
            if kept:
                rec.withhold(label, unpublished)
            else:
                missing = _("{path} is not here (the manifest records {recorded}): give {option}")
                rec.check(label, False, missing.format(path=path, recorded=entry.path, option=option))
            continue
        got = rec.attempt(label, partial(sha256_file, path))
        if got is not None and rec.check(label, got == entry.sha256, f"{path} SHA-256 {got}"):
            good.add(role)
    year = manifest.year is not None
    if "population" not in good or (year and not {"plan", "year", "ledger_view"} <= good):
        return None
    return dataclasses.replace(
        files,
        plan=files.plan if "plan" in good else None,
        history=files.history if "history" in good else None,
        allow_list=files.allow_list if "allow_list" in good else None,
    )


def _check_recomputation(
    rec: Recorder,
    out: Path,
    manifest: Manifest,
    recomputed: tuple[DrawResult, PopulationRecord | None, YearRecord | None],
) -> None:
    """The Merkle root, every table and the manifest, recomputed, must equal what was published.

    Without the salt key of a plan that hides fields (``record`` is ``None``), the root is taken as
    published and its check is marked withheld: the tables are still recomputed byte for byte.
    """
    result, record, year_record = recomputed
    committed_root = manifest.population.merkle_root
    if record is None:
        rec.withhold(
            N_("population Merkle root"), _("the plan hides fields: the bureau's salt key is needed (--salt-key)")
        )
        record = manifest.population
    elif committed_root is not None:
        rec.check(
            N_("population Merkle root"),
            record.merkle_root == committed_root,
            _("recomputed {root} over {rows} entities").format(root=record.merkle_root, rows=record.rows),
        )
    tables = draw_tables(result)
    for name in DRAW_FILES:
        same = (out / name).exists() and (out / name).read_bytes() == tables[name]
        rec.check(
            N_("recomputed {name}").format(name=name),
            same,
            _("identical") if same else _("differs from the recomputed draw"),
        )
    again = draw_manifest(
        result,
        inputs=manifest.inputs,
        outputs={n: hashlib.sha256(b).hexdigest() for n, b in tables.items()},
        seed_record=manifest.seed_record,
        population_record=record if committed_root is not None else None,
        year_record=year_record,
    ).to_bytes()
    rec.check(
        N_("recomputed manifest"), again == manifest.data, _("identical") if again == manifest.data else _("differs")
    )


def _check_seed(rec: Recorder, out: Path, manifest: Manifest, commitment_override: str | Path | None) -> None:
    """The seed: given directly, or recomputed from the commitment, the revealed secret and the beacon value."""
    record, seed = manifest.seed_record, manifest.seed
    if record.mode == "seed":
        rec.check(
            N_("seed"), len(seed) == 64, _("given directly (no ceremony): nothing stopped the drawer choosing it")
        )
        not_downgraded(rec, out, manifest, commitment_override)
        return
    if record.mode not in ("commit-reveal", "beacon"):
        rec.check(N_("seed"), False, _("unknown seed mode {mode!r}").format(mode=record.mode))
        return
    entry = record.commitment
    recorded = out / (entry.path if entry is not None else "commitment.json")
    path = Path(commitment_override) if commitment_override else recorded
    refused = refused_input(out.parent, str(Path("..") / path.name), path, given=True, confined=False)
    if not commitment_override and entry is not None and Path(entry.path).is_absolute():
        refused = _("the manifest records the absolute path {path!r}").format(path=entry.path)
    if refused is not None:
        rec.check(N_("commitment"), False, _("not opened: {reason}; give --commitment FILE").format(reason=refused))
        return
    if not path.is_file():
        said = _("{path} is not here (the manifest records it): give --commitment FILE").format(path=path)
        rec.check(N_("commitment"), False, said)
        return
    commitment = rec.attempt(N_("commitment"), lambda: Commitment.read(path))
    if commitment is None:
        return
    expected = entry.sha256 if entry is not None else None
    rec.check(N_("commitment"), commitment.sha256 == expected, f"{path} SHA-256 {commitment.sha256}")
    commitment_seal(rec, path, commitment.sha256, required=not commitment_override)
    committed_inputs = {k: v.sha256 for k, v in commitment.inputs.items()}
    drawn_inputs = {k: v.sha256 for k, v in manifest.inputs.items()}
    rec.check(N_("inputs as committed"), committed_inputs == drawn_inputs, f"{sorted(committed_inputs)}")
    rec.check(
        N_("population as committed"),
        commitment.population == manifest.population,
        _("Merkle root {root}").format(root=commitment.population.merkle_root),
    )
    secret: bytes | None = None
    if record.mode == "commit-reveal":
        secret = rec.attempt(N_("secret"), lambda: check_secret(record.secret or ""))
        if secret is None:
            return
        digest = hashlib.sha256(secret).hexdigest()
        rec.check(N_("secret matches its commitment"), digest == commitment.secret_sha256, f"SHA-256(secret) {digest}")
    else:
        rec.check(N_("no secret committed"), commitment.secret_sha256 is None)
    rec.check(
        N_("beacon as announced"),
        record.beacon_name == commitment.beacon,
        f"{record.beacon_name}: {record.beacon_value}",
    )
    derived = rec.attempt(N_("seed"), lambda: derive_seed(commitment.digest, record.beacon_value or "", secret=secret))
    if derived is not None:
        rec.check(N_("seed"), derived == seed, f"{record.mode}: {derived}")


def _recompute(
    manifest: Manifest, files: DrawFiles, *, engine: Engine, salt_key: bytes | None = None
) -> tuple[DrawResult, PopulationRecord | None, YearRecord | None]:
    """The draw recomputed from its inputs, the population's Merkle record and a year's batch record."""
    if engine.name == "dask" and not is_parquet(files.population):
        raise InputError(
            _(
                "{path}: verifying on Dask reads the population as Parquet sorted by uscc; "
                "convert it, or verify with the memory engine."
            ).format(path=files.population)
        )
    inputs = load_draw_inputs(files, engine=engine, plan=None if files.plan is not None else manifest.parsed_plan())
    result = inputs.draw(manifest.seed)
    if manifest.population.merkle_root is None and engine.name == "dask":
        return result, PopulationRecord(result.population_size), inputs.year_record_for(manifest.seed)
    if (inputs.leaf_plan or inputs.plan).publication.hidden and salt_key is None:
        return result, None, inputs.year_record_for(manifest.seed)  # the root needs the bureau's salt key
    record = inputs.population_record(manifest.population.leaf_format, salt_key)  # format 1 still verifies
    return result, record, inputs.year_record_for(manifest.seed)
