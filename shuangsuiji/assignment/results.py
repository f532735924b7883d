"""What the assignment returns: per group, per kind of place, and in all."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import pandas as pd

from .._i18n import _

if TYPE_CHECKING:
    from .encode import Group

__all__ = ["AssignmentResult", "GroupCheck", "GroupReport", "GroupResult", "Staffing"]


def _group_words(group: str) -> str:
    """A group's name as ``assignment.json`` keeps it (``region 410302``, ``all regions``), in the language."""
    if group == "all regions":
        return _("all regions")
    if group.startswith("region "):
        return _("region {region}").format(region=group.removeprefix("region "))
    return group


@dataclass(frozen=True)
class GroupReport:
    """What happened in one group (department within a jurisdiction)."""

    group: str
    department: str
    teams: int
    places: int
    officers: int
    capacity: int
    lead_places: int
    lead_officers: int
    lead_capacity: int
    recusals: int
    staffed_teams: int
    method: str
    status: str
    unique: bool | None
    cost: int

    def explain(self) -> str:
        """One line in numbers, e.g. for an infeasible group."""
        leads = (
            _("; {leads} need a lead (主检) and {officers} of the officers may lead, with capacity {capacity}").format(
                leads=self.lead_places, officers=self.lead_officers, capacity=self.lead_capacity
            )
            if self.lead_places
            else ""
        )
        return _(
            "{group}, {department}: {places} places needed for {teams} teams, "
            "{officers} officers with capacity {capacity} available after {recusals} recusals"
            "{leads}; {staffed} of {teams} teams staffed"
        ).format(
            group=_group_words(self.group),
            department=self.department,
            places=self.places,
            teams=self.teams,
            officers=self.officers,
            capacity=self.capacity,
            recusals=self.recusals,
            leads=leads,
            staffed=self.staffed_teams,
        )


class GroupCheck(Protocol):
    """A check run on each group's network where the group was solved (verify's certificate check).

    ``check`` runs in the worker that solved the group, on the group it solved (``None``: not checked);
    ``collect`` in the calling process, on every group of every staffing, in group order.
    """

    def check(self, g: Group) -> tuple[str, ...] | None:
        """The problems found on ``g`` (an empty tuple when none), or ``None`` when the check does not apply."""

    def collect(self, group: str, department: str, checked: tuple[str, ...] | None) -> None:
        """Take what ``check`` found on one group of the latest staffing."""


@dataclass(frozen=True)
class GroupResult:
    """One solved group: its places filled, its teams left unstaffed, its report and certificate rows."""

    rows: list[tuple[str, str, str, str]]  # visit_id, department, inspector_id, role
    unstaffed: list[tuple[str, str, str]]  # visit_id, department, reason
    report: GroupReport
    certificate: list[dict[str, object]]
    #: What a :class:`GroupCheck` found on the group's network (``None``: not run).
    checked: tuple[str, ...] | None = None


@dataclass
class Staffing:
    """The result of staffing one kind of place (officers or experts)."""

    teams: pd.DataFrame  # visit_id, department, inspector_id, role
    unstaffed: pd.DataFrame  # visit_id, department, reason
    reports: list[GroupReport] = field(default_factory=list)
    certificate: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True, eq=False)
class AssignmentResult:
    """Staffed (and dated) visits.

    Attributes
    ----------
    visits : pandas.DataFrame
        ``visit_id, uscc, name, region, station, departments, tasks, items, date, status``
        (``staffed``; ``undated``: staffed, but no day of the window fits; ``unstaffed``);
        every visit of the draw, so nothing is lost.
    teams : pandas.DataFrame
        ``visit_id, department, inspector_id, role`` (``lead``/``member``; experts have role
        ``expert`` and their field as department).
    workload : pandas.DataFrame
        Per person: ``inspector_id, name, kind, department, region, capacity, visits, leads, days``.
    unstaffed : pandas.DataFrame
        ``visit_id, uscc, department, reason`` for every place that could not be filled or dated.
    reports : tuple of GroupReport
        One per group solved.
    certificate : pandas.DataFrame
        Node potentials of each min-cost flow (optimality without a solver).
    """

    visits: pd.DataFrame
    teams: pd.DataFrame
    workload: pd.DataFrame
    unstaffed: pd.DataFrame
    reports: tuple[GroupReport, ...]
    certificate: pd.DataFrame
