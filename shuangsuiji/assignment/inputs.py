"""Reading and checking every input of an assignment: one loader for ``assign`` and ``verify``.

Roles: ``population``, ``roster``, ``conflicts`` (declared pairs), ``requests``
(entities' recusal requests), ``relations`` (the relation graph), ``pairs``
(officers who must not share a team), ``history`` (with an ``inspectors``
column for rotation) and ``calendar`` (working-day overrides).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .._i18n import _
from .._lazy import extra
from ..conflicts import (
    ConflictError,
    Conflicts,
    check_conflicts,
    check_exclusive_pairs,
    check_relations,
    relation_conflicts,
    rotation_conflicts,
)
from ..exceptions import InputError, NotFoundError, PopulationError, Problem
from ..inputs import DrawFiles, read_history, read_population
from ..io import read_allow_list, read_table, sha256_file
from ..manifest import Manifest
from ..plan import AssignmentPolicy, Plan
from ..population import Population
from ..roots import population_root
from ..roster import Roster, RosterError, check_roster
from ..visits import Visits, make_visits
from ..workdays import WorkCalendar, read_overrides
from ..yearview import LedgerView, view_history
from .results import AssignmentResult, GroupCheck

__all__ = ["ASSIGNMENT_ROLES", "AssignmentInputs", "assignment_roles", "load_assignment_inputs"]

ASSIGNMENT_ROLES = ("population", "roster", "conflicts", "requests", "relations", "pairs", "history", "calendar")


@dataclass(frozen=True, eq=False)
class AssignmentInputs:
    """Everything an assignment needs, checked."""

    plan: Plan
    policy: AssignmentPolicy
    seed: str
    visits: Visits
    roster: Roster
    conflicts: Conflicts
    calendar: WorkCalendar
    encoding: str | None = None
    sheet: str | None = None

    def solve(self, *, allow_partial: bool) -> AssignmentResult:
        """Run the assignment on these inputs (needs OR-Tools: ``pip install 'shuangsuiji[assign]'``)."""
        return solve_checking(self, allow_partial=allow_partial)


def solve_checking(
    inputs: AssignmentInputs, *, allow_partial: bool, check: GroupCheck | None = None
) -> AssignmentResult:
    """:meth:`AssignmentInputs.solve`, running ``check`` on each officers' group network where it is solved."""
    with extra("assign"):
        from .orchestrate import assign_checking  # noqa: PLC0415 - the solver loads only to solve

    return assign_checking(
        inputs.visits,
        inputs.roster,
        inputs.policy,
        inputs.seed,
        conflicts=inputs.conflicts,
        calendar=inputs.calendar,
        allow_partial=allow_partial,
        check=check,
    )


def _conflicts(
    files: Mapping[str, Path], ids: set[str], entities: set[str], policy: AssignmentPolicy, allow: frozenset[str]
) -> Conflicts:
    """Every recusal of the inputs (declared, requested, related, rotation), and the pairs that must not meet."""
    parts = []
    for role in ("conflicts", "requests"):
        if role in files:
            frame = read_table(files[role], error=ConflictError, kind=role)
            kind = "declared" if role == "conflicts" else "request"
            parts.append((kind, check_conflicts(frame, inspectors=ids, source=str(files[role]), kind=kind)))
    if "relations" in files:
        graph = check_relations(
            read_table(files["relations"], error=ConflictError, kind="relations"), source=str(files["relations"])
        )
        found = relation_conflicts(graph, ids, entities, hops=policy.relation_hops, relations=policy.relations)
        parts.append(("relation", found))
    if "history" in files and policy.rotation:
        path = files["history"]
        history = (
            view_history(LedgerView.read(path)) if path.suffix == ".json" else read_history(path, allow_list=allow)
        )
        parts.append(("rotation", rotation_conflicts(history, entities, last=policy.rotation)))
    exclusive: frozenset[frozenset[str]] = frozenset()
    if "pairs" in files:
        exclusive = check_exclusive_pairs(
            read_table(files["pairs"], error=ConflictError, kind="pairs"), inspectors=ids, source=str(files["pairs"])
        )
    return Conflicts.combine(parts, exclusive)


def assignment_roles(draw_dir: str | Path, files: Mapping[str, Path]) -> dict[str, Path]:
    """The assignment's input files: ``files``, and for a year's batch given no history, the ledger's view it read.

    A year's batch staffs its visits with the rotation read off the same view of the ledger that its
    draw read (``ledger-view.json``, recorded by the draw's manifest): nothing is merged by hand.
    """
    roles = dict(files)
    if "history" not in roles:
        manifest = Manifest.read(draw_dir)
        view = DrawFiles.recorded(manifest, draw_dir).ledger_view
        if manifest.year is not None and view is not None:
            roles["history"] = view
    return roles


def _check_is_the_draws(population: Population, path: Path, manifest: Manifest, plan: Plan) -> None:
    """Refuse a population that is not the draw's (its file differs, and so does its Merkle root).

    Another population would staff the visits from other stations, names and places than the draw's.
    """
    record = manifest.population
    fix = _("give the population file the draw read (the draw's manifest names it, with its SHA-256)")
    if record.merkle_root is None and "population" not in manifest.inputs:
        return  # a draw written from memory (write_draw) recorded neither: there is nothing to compare with
    if record.merkle_root is None or plan.publication.hidden:
        raise PopulationError(
            [
                Problem(
                    str(path),
                    None,
                    None,
                    None,
                    _("this is not the file the draw read (its SHA-256 differs); {fix}").format(fix=fix),
                )
            ]
        )
    again = population_root(population, plan, leaf_format=record.leaf_format)
    if (again.merkle_root, again.rows) != (record.merkle_root, record.rows):
        raise PopulationError(
            [
                Problem(
                    str(path),
                    None,
                    None,
                    None,
                    _(
                        "this is not the population the draw read: its {rows} entities have the Merkle root "
                        "{root}, the draw's {draw_rows} entities {draw_root}; {fix}"
                    ).format(
                        rows=again.rows,
                        root=again.merkle_root,
                        draw_rows=record.rows,
                        draw_root=record.merkle_root,
                        fix=fix,
                    ),
                )
            ]
        )


def _draws_allow_list(manifest: Manifest, draw_dir: Path, given: str | Path | None) -> frozenset[str]:
    """The allow-list the draw read: at its recorded path, or ``given``, whose SHA-256 must be the recorded one."""
    entry = manifest.inputs.get("allow_list")
    if entry is None:
        if given is not None:
            raise InputError(
                _(
                    "--allow-list {given} was given but the draw in {folder} recorded no allow-list: "
                    "it cannot be used; drop --allow-list"
                ).format(given=given, folder=draw_dir)
            )
        return frozenset()
    path = Path(given) if given is not None else DrawFiles.recorded(manifest, draw_dir).allow_list
    if path is None or not path.is_file():
        raise NotFoundError(
            _(
                "The allow-list the draw read ({recorded}, SHA-256 {sha256}) is not at {path}: "
                "give it with --allow-list FILE"
            ).format(recorded=entry.path, sha256=entry.sha256, path=path)
        )
    got = sha256_file(path)
    if got != entry.sha256:
        raise InputError(
            _(
                "{path}: SHA-256 {sha256}, but the draw read an allow-list with SHA-256 {recorded}; "
                "give the allow-list the draw read"
            ).format(path=path, sha256=got, recorded=entry.sha256)
        )
    return read_allow_list(path)


def load_assignment_inputs(
    draw_dir: str | Path,
    files: Mapping[str, Path],
    *,
    seed: str | None = None,
    window: tuple[dt.date, dt.date] | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    allow_list: str | Path | None = None,
) -> AssignmentInputs:
    """Read and check an assignment's inputs (``files`` maps roles to paths) for the draw in ``draw_dir``.

    A year's batch given no history reads its rotation off the ledger's view its draw read
    (:func:`assignment_roles`). The population and the history are read as the draw read them, with the
    allow-list of legacy codes the draw's manifest records; the population
    file, when it is the one the draw recorded, with the draw's forced CSV
    encoding or XLSX sheet (``encoding`` and ``sheet`` override them). ``allow_list`` gives the draw's
    allow-list where its recorded path no longer holds it (a moved folder); it must be the file the draw read.

    Raises
    ------
    InputError
        For an ``allow_list`` the draw did not read (or when it read none); NotFoundError when the
        draw's allow-list is neither at its recorded path nor given.
    ManifestError, PopulationError, RosterError, ConflictError, HistoryError, CalendarOverrideError
        Naming every problem found.
    """
    draw_dir = Path(draw_dir)
    files = assignment_roles(draw_dir, files)
    manifest = Manifest.read(draw_dir)
    plan = manifest.parsed_plan()
    policy = plan.assignment if window is None else dataclasses.replace(plan.assignment, window=window)
    allow = _draws_allow_list(manifest, draw_dir, allow_list)
    selection = pd.read_csv(draw_dir / "selection.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    entry = manifest.inputs.get("population")
    same_file = entry is not None and sha256_file(files["population"]) == entry.sha256
    if encoding is None and sheet is None and entry is not None and same_file:
        encoding, sheet = entry.encoding, entry.sheet
    read = read_population(files["population"], allow_list=allow, encoding=encoding, sheet=sheet)
    if not same_file:
        _check_is_the_draws(read, files["population"], manifest, plan)
    population = read.frame
    roster = check_roster(read_table(files["roster"], error=RosterError, kind="roster"), source=str(files["roster"]))
    visits = make_visits(selection, plan, population)
    conflicts = _conflicts(files, set(roster.frame["inspector_id"]), set(visits.visits["uscc"]), policy, allow)
    calendar = WorkCalendar(read_overrides(files["calendar"]) if "calendar" in files else None)
    return AssignmentInputs(
        plan=plan,
        policy=policy,
        seed=seed or manifest.seed,
        visits=visits,
        roster=roster,
        conflicts=conflicts,
        calendar=calendar,
        encoding=encoding,
        sheet=sheet,
    )
