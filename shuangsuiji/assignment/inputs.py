"""Reading and checking every input of an assignment: one loader for ``assign`` and ``verify``.

Roles: ``population``, ``roster``, ``conflicts`` (declared pairs), ``requests``
(entities' recusal requests), ``relations`` (the relation graph), ``pairs``
(officers who must not share a team), ``history`` (with an ``inspectors``
column for rotation) and ``calendar`` (working-day overrides).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..conflicts import (
    ConflictError,
    Conflicts,
    check_conflicts,
    check_exclusive_pairs,
    check_relations,
    relation_conflicts,
    rotation_conflicts,
)
from ..exceptions import HistoryError, PopulationError
from ..exclusions import check_history
from ..io import read_table
from ..plan import AssignmentPolicy, Plan, parse_plan
from ..population import check_population
from ..roster import Roster, RosterError, check_roster
from ..visits import Visits, make_visits
from ..workdays import WorkCalendar, read_overrides
from .results import AssignmentResult

__all__ = ["ASSIGNMENT_ROLES", "AssignmentInputs", "load_assignment_inputs"]

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

    def solve(self, *, allow_partial: bool) -> AssignmentResult:
        """Run the assignment on these inputs (needs OR-Tools: ``pip install 'shuangsuiji[assign]'``)."""
        from .orchestrate import assign  # noqa: PLC0415 - the solver loads only to solve

        return assign(
            self.visits,
            self.roster,
            self.policy,
            self.seed,
            conflicts=self.conflicts,
            calendar=self.calendar,
            allow_partial=allow_partial,
        )


def load_assignment_inputs(
    draw_dir: Path, files: Mapping[str, Path], *, seed: str | None = None, window: tuple[object, object] | None = None
) -> AssignmentInputs:
    """Read and check an assignment's inputs (``files`` maps roles to paths)."""
    manifest = json.loads((draw_dir / "manifest.json").read_bytes())
    plan = parse_plan(manifest["plan"], source=str(draw_dir / "manifest.json"))
    policy = plan.assignment if window is None else dataclasses.replace(plan.assignment, window=window)  # type: ignore[arg-type]
    selection = pd.read_csv(draw_dir / "selection.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    population = check_population(
        read_table(files["population"], error=PopulationError), source=str(files["population"])
    ).frame
    roster = check_roster(read_table(files["roster"], error=RosterError), source=str(files["roster"]))
    ids = set(roster.frame["inspector_id"])
    visits = make_visits(selection, plan, population)
    entities = set(visits.visits["uscc"])
    parts = []
    for role in ("conflicts", "requests"):
        if role in files:
            frame = read_table(files[role], error=ConflictError)
            kind = "declared" if role == "conflicts" else "request"
            parts.append((kind, check_conflicts(frame, inspectors=ids, source=str(files[role]), kind=kind)))
    if "relations" in files:
        graph = check_relations(read_table(files["relations"], error=ConflictError), source=str(files["relations"]))
        found = relation_conflicts(graph, ids, entities, hops=policy.relation_hops, relations=policy.relations)
        parts.append(("relation", found))
    if "history" in files and policy.rotation:
        history = check_history(read_table(files["history"], error=HistoryError), source=str(files["history"]))
        parts.append(("rotation", rotation_conflicts(history, entities, last=policy.rotation)))
    exclusive: frozenset[frozenset[str]] = frozenset()
    if "pairs" in files:
        exclusive = check_exclusive_pairs(
            read_table(files["pairs"], error=ConflictError), inspectors=ids, source=str(files["pairs"])
        )
    calendar = WorkCalendar(read_overrides(files["calendar"]) if "calendar" in files else None)
    return AssignmentInputs(
        plan=plan,
        policy=policy,
        seed=seed or manifest["seed"]["value"],
        visits=visits,
        roster=roster,
        conflicts=Conflicts.combine(parts, exclusive),
        calendar=calendar,
    )
