"""Verifying an assignment published beside its draw: files, recomputation, rules and certificate.

The files and the inputs are checked by SHA-256, the assignment is solved
again from its inputs (this needs OR-Tools, the ``assign`` extra; without it
the step is recorded as not run), and, independently of the solver, every
rule is checked on the published tables (:mod:`.rules`) and every group's
optimality certificate is checked without a solver (:mod:`.certificate`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from .._json import canonical_json, load_json
from ..checks import Recorder
from ..exceptions import DependencyError, ManifestError
from ..io import sha256_file
from ..plan import parse_window
from ..workdays import working_days
from .certificate import verify_certificate
from .inputs import AssignmentInputs, load_assignment_inputs
from .manifest import AssignmentManifest, assignment_tables
from .rules import check_assignment

__all__ = ["verify_assignment"]


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _manifest(out: Path) -> tuple[AssignmentManifest, object]:
    """The typed ``assignment.json`` and its parsed JSON (for the canonical-form check)."""
    path = out / "assignment.json"
    raw = load_json(path.read_bytes(), str(path), ManifestError)
    return AssignmentManifest.from_dict(raw, where=str(path), data=path.read_bytes()), raw


def verify_assignment(rec: Recorder, out: Path, *, withheld: bool = False) -> None:
    """Record the checks of the assignment in ``out`` (``assignment.json`` beside the draw's manifest).

    In a public folder (``withheld``) the inputs are with the bureau (the roster, the conflict
    declarations): their checks, the recomputation and the rules are marked withheld, not failed.
    """
    manifest, raw = _manifest(out)
    data, digest = manifest.data or b"", manifest.sha256
    seal = (out / "assignment.sha256").read_text(encoding="utf-8") if (out / "assignment.sha256").exists() else ""
    rec.check("assignment seal", seal == f"{digest}  assignment.json\n", f"assignment.json SHA-256 {digest}")
    rec.check("assignment canonical (RFC 8785)", canonical_json(raw) == data)
    got = sha256_file(out / manifest.draw.path)
    rec.check("assignment staffs this draw", got == manifest.draw.sha256, f"draw manifest SHA-256 {got}")
    for name, expected in sorted(manifest.outputs.items()):
        got = sha256_file(out / name) if (out / name).exists() else "missing"
        rec.check(f"assignment output {name}", got == expected, f"SHA-256 {got}")
    files: dict[str, Path] = {}
    for role, entry in sorted(manifest.inputs.items()):
        path = out / entry.path
        if withheld and not path.exists():
            rec.withhold(f"assignment input {role}", "not published: the bureau keeps it (conflicts stay private)")
            continue
        got = sha256_file(path) if path.exists() else "missing"
        if rec.check(f"assignment input {role}", got == entry.sha256, f"{path} SHA-256 {got}"):
            files[role] = path
    if withheld and set(files) != set(manifest.inputs):
        rec.withhold("recomputed assignment", "needs the roster and the other inputs, which were not published")
        rec.withhold("assignment rules", "recusal and jurisdiction are checked against the unpublished inputs")
        return
    window = manifest.policy.get("window")
    population = manifest.inputs.get("population")
    inputs = load_assignment_inputs(
        (out / manifest.draw.path).parent,
        files,
        seed=manifest.seed,
        window=parse_window(window, "The recorded 'policy.window'") if window else None,
        encoding=None if population is None else population.encoding,
        sheet=None if population is None else population.sheet,
    )
    rec.check("assignment policy", inputs.policy.to_dict() == manifest.policy, "as the plan and the window say")
    _recompute(rec, out, inputs, allow_partial=manifest.allow_partial)
    _independent(rec, out, inputs)


def _recompute(rec: Recorder, out: Path, inputs: AssignmentInputs, *, allow_partial: bool) -> None:
    """Solve the assignment again and compare every table, byte for byte."""
    try:
        result = inputs.solve(allow_partial=allow_partial)
    except DependencyError as exc:
        rec.skip("recomputed assignment", f"{exc} The rules and the optimality certificate are checked without it.")
        return
    tables = assignment_tables(result)
    for name, blob in tables.items():
        same = (out / name).exists() and (out / name).read_bytes() == blob
        rec.check(f"recomputed {name}", same, "identical" if same else "differs from the recomputed assignment")


def _independent(rec: Recorder, out: Path, inputs: AssignmentInputs) -> None:
    """Independently of the solver: every rule on the published tables, and the optimality certificate."""
    visits = _read(out / "visits.csv")
    teams = _read(out / "teams.csv")
    certificate = pd.read_csv(
        out / "certificate.csv", dtype={"potential": "int64"}, keep_default_na=False, encoding="utf-8-sig"
    ).astype({c: str for c in ("group", "department", "node", "visit_id", "inspector_id")})
    staffed = visits[visits["status"] != "unstaffed"].assign(
        date=lambda f: [dt.date.fromisoformat(d) if d else "" for d in f["date"]]
    )
    days = working_days(inputs.policy.window, inputs.calendar) if inputs.policy.window else None
    broken = check_assignment(
        staffed,
        teams,
        inputs.visits.teams,
        inputs.visits.experts,
        roster=inputs.roster,
        conflicts=inputs.conflicts,
        policy=inputs.policy,
        days=days,
    )
    rec.check(
        "assignment rules",
        not broken,
        f"{len(staffed)} visits, {len(teams)} places: team sizes, leads, certificates, recusal, jurisdiction, "
        "capacity, pairs, dates"
        if not broken
        else f"{len(broken)} broken, first: {broken[0]}",
    )
    problems = verify_certificate(
        inputs.visits.teams,
        inputs.roster.officers,
        teams[teams["role"] != "expert"],
        certificate[certificate["node"] != "expert"],
        seed=inputs.seed,
        conflicts=inputs.conflicts,
        policy=inputs.policy,
    )
    groups = certificate[["group", "department"]].drop_duplicates()
    rec.check(
        "assignment optimality certificate",
        not problems,
        f"{len(groups)} flow groups: every reduced cost on the right side" if not problems else problems[0],
    )
