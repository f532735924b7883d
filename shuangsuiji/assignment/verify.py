"""Verifying an assignment published beside its draw: files, recomputation, rules and certificate.

The files and the inputs are checked by SHA-256, the assignment is solved
again from its inputs (this needs OR-Tools, the ``assign`` extra; without it
the step is recorded as not run), and, independently of the solver, every
rule is checked on the published tables (:mod:`.rules`) and every group's
optimality certificate is checked without a solver (:mod:`.certificate`).

An amended assignment (:mod:`.amend`) is checked in the same steps: the solve
recomputed, then its logged amendments applied again, gives the published
tables byte for byte; the log undone on the published tables gives back the
original assignment, whose certificate is checked, and applying the log to it
again gives the published tables (without a solver); the rules are checked on
the published tables with the amendments' recusals and leaves, and nobody
holds a place an amendment took them off.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from .._confine import refused_input, refused_output
from .._i18n import N_, _
from .._json import canonical_json, load_json
from ..checks import Recorder
from ..conflicts import Conflicts
from ..exceptions import DependencyError, InputError, ManifestError
from ..io import seal_line, sha256_file
from ..plan import parse_window
from ..roster import Roster
from ..visits import part_id
from ..workdays import working_days
from .amend import (
    AssignedTables,
    affects,
    amended_groups,
    apply_amendments,
    mark_groups,
    revert_amendments,
    visit_places,
)
from .certificate import CertificateCheck
from .inputs import AssignmentInputs, load_assignment_inputs, solve_checking
from .manifest import Amendment, AssignmentManifest, assignment_manifest, assignment_tables, visit_counts
from .results import AssignmentResult
from .rules import check_assignment

__all__ = ["amended_rules", "amendment_breaches", "load_recorded_inputs", "rule_breaks", "verify_assignment"]


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _manifest(out: Path) -> tuple[AssignmentManifest, object]:
    """The typed ``assignment.json`` and its parsed JSON (for the canonical-form check)."""
    path = out / "assignment.json"
    raw = load_json(path.read_bytes(), str(path), ManifestError)
    return AssignmentManifest.from_dict(raw, where=str(path), data=path.read_bytes()), raw


def verify_assignment(
    rec: Recorder, out: Path, *, withheld: bool = False, alone: bool = False, allow_list: str | Path | None = None
) -> None:
    """Record the checks of the assignment in ``out`` (``assignment.json`` beside the draw's manifest).

    In a public folder (``withheld``) the inputs are with the bureau (the roster, the conflict
    declarations): their checks, the recomputation and the rules are marked withheld, not failed;
    ``alone`` does so even where a recorded path finds the files (as the public sees the folder).
    ``allow_list`` is the draw's allow-list where its recorded path no longer holds it.
    """
    manifest, raw = _manifest(out)
    data, digest = manifest.data or b"", manifest.sha256
    seal = (out / "assignment.sha256").read_bytes()[:200] if (out / "assignment.sha256").is_file() else b""
    said = _("assignment.json SHA-256 {sha256}").format(sha256=digest)
    rec.check(N_("assignment seal"), seal == seal_line(digest, "assignment.json"), said)
    rec.check(N_("assignment canonical (RFC 8785)"), canonical_json(raw) == data)
    got = sha256_file(out / "manifest.json") if (out / "manifest.json").is_file() else _("missing")
    beside = manifest.draw.path == "manifest.json"  # an assignment lies beside the draw it staffs
    rec.check(
        N_("assignment staffs this draw"),
        beside and got == manifest.draw.sha256,
        _("draw manifest SHA-256 {sha256}").format(sha256=got)
        if beside
        else _("it names {path!r}, not this folder's manifest").format(path=manifest.draw.path),
    )
    for name, expected in sorted(manifest.outputs.items()):
        refused = refused_output(out, name)
        got = _("not opened") if refused else sha256_file(out / name) if (out / name).exists() else _("missing")
        rec.check(N_("assignment output {name}").format(name=name), got == expected, refused or f"SHA-256 {got}")
    if (out / "visits.csv").is_file():
        counts = visit_counts(_read(out / "visits.csv"))
        same = counts == dict(manifest.counts)
        said = _("re-derived from visits.csv") if same else _("visits.csv gives {counts}").format(counts=counts)
        rec.check(N_("assignment counts"), same, said)
    files: dict[str, Path] = {}
    for role, entry in sorted(manifest.inputs.items()):
        path = out / entry.path
        refused = refused_input(out, entry.path, path, given=False, confined=withheld)
        if withheld and (alone or not path.exists() or refused is not None):
            said = _("not published: the bureau keeps it (conflicts stay private)")
            rec.withhold(N_("assignment input {role}").format(role=role), said)
            continue
        if refused is not None:
            rec.check(
                N_("assignment input {role}").format(role=role), False, _("not opened: {reason}").format(reason=refused)
            )
            continue
        got = sha256_file(path) if path.exists() else _("missing")
        if rec.check(N_("assignment input {role}").format(role=role), got == entry.sha256, f"{path} SHA-256 {got}"):
            files[role] = path
    if withheld and set(files) != set(manifest.inputs):
        rec.withhold(N_("recomputed assignment"), _("needs the roster and the other inputs, which were not published"))
        rec.withhold(N_("assignment rules"), _("recusal and jurisdiction are checked against the unpublished inputs"))
        return
    inputs = load_recorded_inputs(out, manifest, files, allow_list=allow_list)
    said = _("as the plan and the window say")
    rec.check(N_("assignment policy"), inputs.policy.to_dict() == manifest.policy, said)
    # Without amendments the certificate is checked where the recomputation builds each group's network
    # (the same network, from the same inputs), and only the groups it did not build are built again.
    certified = None if manifest.amendments else _certificate_check(out, inputs)
    _recompute(rec, out, inputs, manifest, certified)
    original = None
    if manifest.amendments:
        original = rec.attempt(N_("assignment amendments replayed"), lambda: _replay(rec, out, inputs, manifest))
    _independent(rec, out, inputs, manifest.amendments, original, certified=certified)


def load_recorded_inputs(
    out: Path, manifest: AssignmentManifest, files: Mapping[str, Path], *, allow_list: str | Path | None = None
) -> AssignmentInputs:
    """The inputs of the assignment in ``out`` (``files``: role -> path), read as it read them.

    ``allow_list`` is the draw's allow-list where its recorded path no longer holds it.

    Raises
    ------
    InputError
        For inputs that cannot be read (every problem named).
    """
    window = manifest.policy.get("window")
    population = manifest.inputs.get("population")
    return load_assignment_inputs(
        (out / manifest.draw.path).parent,
        files,
        seed=manifest.seed,
        window=parse_window(window, _("The recorded 'policy.window'")) if window else None,
        encoding=None if population is None else population.encoding,
        sheet=None if population is None else population.sheet,
        allow_list=allow_list,
    )


def _requests(amendments: Sequence[Amendment]) -> list[Amendment]:
    """The logged amendments as the requests they were (what, who asked, when, why)."""
    return [dataclasses.replace(a, sequence=0, changes=()) for a in amendments]


def _read_certificate(out: Path) -> pd.DataFrame:
    return pd.read_csv(
        out / "certificate.csv", dtype={"potential": "int64"}, keep_default_na=False, encoding="utf-8-sig"
    ).astype({c: str for c in ("group", "department", "node", "visit_id", "inspector_id")})


def _officers_check(teams: pd.DataFrame, certificate: pd.DataFrame, inputs: AssignmentInputs) -> CertificateCheck:
    """The certificate check of the officers' places (experts' groups have no flow certificate)."""
    officers = teams[teams["role"] != "expert"]
    return CertificateCheck(inputs.visits.teams, officers, certificate[certificate["node"] != "expert"], inputs.policy)


def _certificate_check(out: Path, inputs: AssignmentInputs) -> CertificateCheck | None:
    """The certificate check to run inside the recomputation; ``None`` when the published tables do not read
    (the check after the recomputation then says why)."""
    try:
        return _officers_check(_read(out / "teams.csv"), _read_certificate(out), inputs)
    except (OSError, ValueError, KeyError):
        return None


def _recompute(
    rec: Recorder,
    out: Path,
    inputs: AssignmentInputs,
    manifest: AssignmentManifest,
    check: CertificateCheck | None = None,
) -> None:
    """Solve the assignment again, apply its amendments again, and compare every table, byte for byte.

    ``check`` runs on each group's network as the solve builds it.
    """
    try:
        result = solve_checking(inputs, allow_partial=manifest.allow_partial, check=check)
    except DependencyError as exc:
        said = _("{error} The rules and the optimality certificate are checked without it.").format(error=exc)
        rec.skip(N_("recomputed assignment"), said)
        return
    tables = assignment_tables(result)
    n = len(manifest.amendments)
    amended = _(" (the solve and its {n} amendments)").format(n=n) if manifest.amendments else ""
    if manifest.amendments:
        try:
            again, log = apply_amendments(AssignedTables.parse(tables), _requests(manifest.amendments), inputs)
        except InputError as exc:
            said = _("the logged amendments do not apply to the solve: {error}").format(error=exc)
            rec.check(N_("recomputed amendments"), False, said)
        else:
            tables |= again.tables(inputs.roster)
            same = log == manifest.amendments
            said = _("as logged") if same else _("they change other places than logged")
            rec.check(N_("recomputed amendments"), same, said)
    for name, blob in tables.items():
        same = (out / name).exists() and (out / name).read_bytes() == blob
        detail = _("identical") + ("" if name == "certificate.csv" else amended)
        rec.check(
            N_("recomputed {name}").format(name=name),
            same,
            detail if same else _("differs from the recomputed assignment"),
        )
    _rederived(rec, result, inputs, manifest)


def _rederived(rec: Recorder, result: AssignmentResult, inputs: AssignmentInputs, manifest: AssignmentManifest) -> None:
    """Every field of ``assignment.json`` made again from the recomputed solve: none is taken on trust.

    An amended assignment's counts, groups and outputs are those of its amended tables (checked when the
    log is replayed), so only the other fields are compared then.
    """
    again = assignment_manifest(
        result,
        draw_manifest=manifest.draw,
        seed=manifest.seed,
        policy=inputs.policy,
        allow_partial=manifest.allow_partial,
        inputs=manifest.inputs,
        outputs=manifest.outputs,
    ).to_dict()
    published = manifest.to_dict()
    skip = {"amendments", "library"} | ({"counts", "groups", "outputs"} if manifest.amendments else set())
    differ = sorted(k for k in set(again) | set(published) if k not in skip and again.get(k) != published.get(k))
    rec.check(
        N_("recomputed assignment.json"),
        not differ,
        _("every field re-derived from the solve")
        if not differ
        else _("fields differ from the solve: {fields}").format(fields=differ),
    )


def _replay(rec: Recorder, out: Path, inputs: AssignmentInputs, manifest: AssignmentManifest) -> AssignedTables:
    """Without a solver: undo the log on the published tables, apply it again, and compare; the original back."""
    published = AssignedTables.read(out)
    original = revert_amendments(
        published, manifest.amendments, dated=inputs.policy.window is not None, desk=inputs.visits.desk
    )
    again, log = apply_amendments(original, _requests(manifest.amendments), inputs)
    differ = [name for name, blob in again.tables(inputs.roster).items() if (out / name).read_bytes() != blob]
    marked = mark_groups(manifest.groups, amended_groups(original.visits, log, inputs.policy))
    counts = visit_counts(published.visits)
    problems = [
        *([_("the places changed are not those logged")] if log != manifest.amendments else []),
        *(_("{name} differs").format(name=name) for name in differ),
        *(
            [_("the groups' methods are not marked where amendments changed places")]
            if marked != manifest.groups
            else []
        ),
        *([_("the counts are not those of visits.csv")] if counts != dict(manifest.counts) else []),
    ]
    changed = sum(len(a.changes) for a in log)
    rec.check(
        N_("assignment amendments replayed"),
        not problems,
        _("{n} amendments, {places} places: undone on the published tables and applied again, identical").format(
            n=len(log), places=changed
        )
        if not problems
        else _("; ").join(problems),
    )
    return original


def _required_teams(visits: pd.DataFrame, inputs: AssignmentInputs) -> tuple[pd.DataFrame, list[str]]:
    """The teams the staffed visits need: all but the parts ``visits.csv`` lists as waiting on their own.

    Also the parts set aside against the plan's ``joint_fallback`` (none under ``whole``; never the lead
    department's under ``lead-alone``).
    """
    teams = inputs.visits.teams
    keys = [part_id(v, d) for v, d in zip(teams["visit_id"], teams["department"], strict=True)]
    parts = set(visits["visit_id"]) & set(keys)
    fallback = inputs.policy.joint_fallback
    wrong = [
        _("visit {visit}: a part set aside on its own under joint_fallback = {fallback}").format(
            visit=p, fallback=fallback
        )
        for p, v, d in zip(keys, teams["visit_id"], teams["department"], strict=True)
        if p in parts and (fallback == "whole" or (fallback == "lead-alone" and d == inputs.visits.lead_of(v)))
    ]
    return teams[[k not in parts for k in keys]], wrong


def rule_breaks(
    visits: pd.DataFrame, teams: pd.DataFrame, inputs: AssignmentInputs, amendments: Sequence[Amendment] = ()
) -> list[str]:
    """Every rule the published tables (as text) break, the amendments' recusals, leaves and departures included."""
    staffed = visits[visits["status"] != "unstaffed"].assign(
        date=lambda f: [dt.date.fromisoformat(d) if d else "" for d in f["date"]]
    )
    days = working_days(inputs.policy.window, inputs.calendar) if inputs.policy.window else None
    roster, conflicts = amended_rules(inputs.roster, inputs.conflicts, amendments)
    required, misplaced = _required_teams(visits, inputs)
    broken = misplaced + check_assignment(
        staffed,
        teams,
        required,
        inputs.visits.experts,
        roster=roster,
        conflicts=conflicts,
        policy=inputs.policy,
        days=days,
    )
    return broken + amendment_breaches(visits, teams, amendments)


def _independent(
    rec: Recorder,
    out: Path,
    inputs: AssignmentInputs,
    amendments: Sequence[Amendment],
    original: AssignedTables | None,
    *,
    certified: CertificateCheck | None,
) -> None:
    """Independently of the solver: every rule on the published tables, and the optimality certificate.

    With amendments, the rules read the conflicts and the roster with the amendments' recusals and
    leaves, and the certificate is checked on the ``original`` teams (the log undone). ``certified``: the
    check of the published tables that ran on the recomputation's networks (its other groups are built).
    """
    visits = _read(out / "visits.csv")
    teams = _read(out / "teams.csv")
    certificate = _read_certificate(out)
    staffed = visits[visits["status"] != "unstaffed"]
    broken = rule_breaks(visits, teams, inputs, amendments)
    rec.check(
        N_("assignment rules"),
        not broken,
        _(
            "{visits} visits, {places} places: team sizes, leads, certificates, recusal, jurisdiction, "
            "capacity, pairs, dates"
        ).format(visits=len(staffed), places=len(teams))
        + (_(", {n} amendments").format(n=len(amendments)) if amendments else "")
        if not broken
        else _("{n} broken, first: {rule}").format(n=len(broken), rule=broken[0]),
    )
    if amendments and original is None:
        said = _("needs the original teams: the amendments' log fails")
        rec.check(N_("assignment optimality certificate"), False, said)
        return
    if certified is None:
        certified = _officers_check(teams if original is None else original.teams, certificate, inputs)
    problems = certified.problems(inputs.roster.officers, seed=inputs.seed, conflicts=inputs.conflicts)
    groups = certificate[["group", "department"]].drop_duplicates()
    rec.check(
        N_("assignment optimality certificate"),
        not problems,
        _("{n} flow groups: every reduced cost on the right side").format(n=len(groups))
        if not problems
        else problems[0],
    )


def amended_rules(roster: Roster, conflicts: Conflicts, amendments: Iterable[Amendment]) -> tuple[Roster, Conflicts]:
    """The roster and conflicts the rule checker reads after amendments: their recusals and leave days added."""
    pairs, kinds = dict(conflicts.pairs), dict(conflicts.kinds)
    away: dict[str, set[dt.date]] = {}
    for a in amendments:
        if a.kind == "recusal" and a.uscc is not None and (a.inspector_id, a.uscc) not in pairs:
            pairs[a.inspector_id, a.uscc] = a.reason
            kinds[a.inspector_id, a.uscc] = f"amendment {a.sequence}"
        if a.kind == "leave" and a.start is not None and a.end is not None:
            days = (a.end - a.start).days + 1
            away.setdefault(a.inspector_id, set()).update(a.start + dt.timedelta(days=i) for i in range(days))
    frame = roster.frame.copy()
    frame["unavailable"] = pd.Series(
        [
            frozenset(u | away.get(str(i), set()))
            for i, u in zip(frame["inspector_id"], frame["unavailable"], strict=True)
        ],
        index=frame.index,
        dtype=object,
    )
    return Roster(frame, roster.source), Conflicts(pairs, kinds, conflicts.exclusive)


def amendment_breaches(visits: pd.DataFrame, teams: pd.DataFrame, amendments: Iterable[Amendment]) -> list[str]:
    """Every place of ``teams`` someone holds that an amendment took them off (an empty list when none)."""
    visit = visit_places(visits)
    return [
        _("visit {visit}: {inspector} is on it, against amendment {sequence} ({amendment})").format(
            visit=v, inspector=p, sequence=a.sequence, amendment=a.describe()
        )
        for a in amendments
        for v, p in zip(teams["visit_id"], teams["inspector_id"], strict=True)
        if p == a.inspector_id and affects(a, visit[v])
    ]
