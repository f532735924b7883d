"""The second random: staffing the visits with inspectors, reproducibly from the seed.

The modules follow the work (``docs/assignment.md``):

- :mod:`.inputs` reads and checks every input (roster, conflicts, requests, relations, pairs,
  history, calendar) once, for ``assign`` and ``verify`` alike;
- :mod:`.encode` turns one group (a department within a jurisdiction) into arrays and its
  min-cost flow network, on each team's candidates (:mod:`.candidates`); :mod:`.solve` solves
  it with OR-Tools and drops what cannot be staffed whole; :mod:`.repair` re-staffs, by
  CP-SAT, teams that put two officers who must not work together side by side;
  :mod:`.certificate` proves each flow optimal;
- :mod:`.staffing` solves the groups (in forked workers) and :mod:`.orchestrate` runs the
  whole assignment; :mod:`.schedule` dates the visits;
- :mod:`.rules` checks every rule on the published tables alone, sharing no code with the
  solver; :mod:`.manifest` writes the files and :mod:`.verify` checks them;
- :mod:`.bound` holds a committed batch to the inputs and seed its commitment bound;
  :mod:`.amend` substitutes for late recusals, leaves and departures after staffing, logged;
  :mod:`.capacity` finds the roster change that would staff every visit.

Names resolve on first use, so that verifying a published assignment needs neither
OR-Tools nor SciPy (only solving does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach

if TYPE_CHECKING:
    from .certificate import verify_certificate
    from .encode import LOAD_STEP, assign_cost_bytes
    from .inputs import ASSIGNMENT_ROLES, AssignmentInputs, load_assignment_inputs
    from .manifest import (
        ASSIGNMENT_FILES,
        ASSIGNMENT_FORMAT,
        AssignmentManifest,
        assignment_manifest,
        assignment_tables,
        write_assignment,
    )
    from .orchestrate import assign
    from .results import AssignmentResult, GroupReport, Staffing
    from .rules import check_assignment
    from .schedule import Schedule, schedule_visits
    from .staffing import staff
    from .verify import verify_assignment

_EXPORTS = {
    "ASSIGNMENT_FILES": ".manifest",
    "ASSIGNMENT_FORMAT": ".manifest",
    "ASSIGNMENT_ROLES": ".inputs",
    "LOAD_STEP": ".encode",
    "AssignmentInputs": ".inputs",
    "AssignmentManifest": ".manifest",
    "AssignmentResult": ".results",
    "GroupReport": ".results",
    "Schedule": ".schedule",
    "Staffing": ".results",
    "assign": ".orchestrate",
    "assign_cost_bytes": ".encode",
    "assignment_manifest": ".manifest",
    "assignment_tables": ".manifest",
    "check_assignment": ".rules",
    "load_assignment_inputs": ".inputs",
    "schedule_visits": ".schedule",
    "staff": ".staffing",
    "verify_assignment": ".verify",
    "verify_certificate": ".certificate",
    "write_assignment": ".manifest",
}
__all__ = [
    "ASSIGNMENT_FILES",
    "ASSIGNMENT_FORMAT",
    "ASSIGNMENT_ROLES",
    "LOAD_STEP",
    "AssignmentInputs",
    "AssignmentManifest",
    "AssignmentResult",
    "GroupReport",
    "Schedule",
    "Staffing",
    "assign",
    "assign_cost_bytes",
    "assignment_manifest",
    "assignment_tables",
    "check_assignment",
    "load_assignment_inputs",
    "schedule_visits",
    "staff",
    "verify_assignment",
    "verify_certificate",
    "write_assignment",
]
__getattr__, __dir__ = attach(__name__, _EXPORTS)
