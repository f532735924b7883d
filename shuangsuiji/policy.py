"""How a plan's visits are staffed: its ``[assignment]`` table (``docs/plan.md``, ``docs/assignment.md``).

Examples
--------
>>> parse_assignment({"team_size": 3, "window": "2027-03-01:2027-03-31"}).to_dict()["team_size"]
3
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from ._i18n import _
from .exceptions import PlanError
from .validation import check_int, check_keys, check_mapping, check_text_list

__all__ = ["JOINT_FALLBACKS", "MAX_CANDIDATES", "MAX_TEAM_SIZE", "AssignmentPolicy", "parse_assignment", "parse_window"]

_ASSIGNMENT_KEYS = (
    "team_size",
    "jurisdiction",
    "cross_station",
    "rotation",
    "relation_hops",
    "relations",
    "daily_cap",
    "window",
    "joint_fallback",
    "candidates",
)
#: What a joint visit (一次多查) does when one department's team cannot be staffed.
JOINT_FALLBACKS = ("whole", "lead-alone", "separate")
#: The most officers one department may send to one visit.
MAX_TEAM_SIZE = 20
#: The most candidates per team a plan may ask for (``0``: every eligible officer).
MAX_CANDIDATES = 1000


@dataclass(frozen=True)
class AssignmentPolicy:
    """How visits are staffed (the plan's ``[assignment]`` table).

    Attributes
    ----------
    team_size : int
        Officers per department per visit (at least 2, 行政处罚法 art. 42).
    jurisdiction : {'region', 'any'}
        ``region``: an officer serves entities of the officer's own ``region`` only.
    cross_station : bool
        所所交叉: never an entity of the officer's own station.
    rotation : int
        An officer may not inspect an entity they inspected in its last ``rotation`` inspections.
    relation_hops : int
        Officers conflict with entities within this many hops in the relation graph.
    relations : tuple of str
        Relations followed in the graph (empty: all).
    daily_cap : int
        Visits per officer per day when visits are scheduled.
    window : tuple of date or None
        First and last day of the inspection window (dates are scheduled only with a window).
    joint_fallback : {'whole', 'lead-alone', 'separate'}
        When one department's team of a joint visit cannot be staffed: the whole visit waits
        (``whole``, the default); the lead department's team goes without it and the partner's part
        waits as a visit of its own (``lead-alone``; the visit waits whole only when the lead's own
        team cannot go); or each department's team goes or waits on its own (``separate``).
    candidates : int
        How many officers each team may draw from, met in a seeded walk round the group's officers
        (``docs/assignment.md``, section 4): the first ``max(candidates, size)`` eligible ones and
        the first ``candidates`` who may lead. ``0`` (the default): every eligible officer. A team
        with no more eligible officers than that keeps them all, so in a small group it changes
        nothing; in a large one it keeps the pairs, and so the time, in proportion to the teams.
    """

    team_size: int = 2
    jurisdiction: Literal["region", "any"] = "region"
    cross_station: bool = False
    rotation: int = 0
    relation_hops: int = 2
    relations: tuple[str, ...] = ()
    daily_cap: int = 4
    window: tuple[dt.date, dt.date] | None = None
    joint_fallback: Literal["whole", "lead-alone", "separate"] = "whole"
    candidates: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The ``[assignment]`` table, every default spelt out (``joint_fallback`` only when not ``whole``,
        ``candidates`` only when not ``0``).

        A plan written before ``joint_fallback`` and ``candidates`` existed keeps its bytes, and so its
        commitment.
        """
        out: dict[str, Any] = {
            "team_size": self.team_size,
            "jurisdiction": self.jurisdiction,
            "cross_station": self.cross_station,
            "rotation": self.rotation,
            "relation_hops": self.relation_hops,
            "relations": list(self.relations),
            "daily_cap": self.daily_cap,
        }
        if self.window is not None:
            out["window"] = f"{self.window[0].isoformat()}:{self.window[1].isoformat()}"
        if self.joint_fallback != "whole":
            out["joint_fallback"] = self.joint_fallback
        if self.candidates:
            out["candidates"] = self.candidates
        return out


def parse_window(text: object, what: str | None = None) -> tuple[dt.date, dt.date]:
    """Read a window written ``2027-03-01:2027-03-31``.

    Examples
    --------
    >>> parse_window("2027-03-01:2027-03-31")
    (datetime.date(2027, 3, 1), datetime.date(2027, 3, 31))
    """
    what = _("The 'window'") if what is None else what
    parts = text.split(":") if isinstance(text, str) else []
    try:
        first, last = (dt.date.fromisoformat(p.strip()) for p in parts)
    except ValueError:
        message = _("{what} must be two dates as 2027-03-01:2027-03-31; got {text!r}.")
        raise PlanError(message.format(what=what, text=text)) from None
    if last < first:
        raise PlanError(_("{what} ends ({last}) before it starts ({first}).").format(what=what, last=last, first=first))
    return first, last


def parse_assignment(raw: object) -> AssignmentPolicy:
    """Read a plan's ``[assignment]`` table.

    Raises
    ------
    PlanError
        On an unknown key or a value out of range.
    """
    table = check_mapping(raw, _("The plan 'assignment'"))
    check_keys(table, _ASSIGNMENT_KEYS, _("The plan's [assignment] table"))
    jurisdiction = table.get("jurisdiction", "region")
    if jurisdiction not in ("region", "any"):
        message = _("The 'assignment.jurisdiction' of the plan must be 'region' or 'any'; got {value!r}.")
        raise PlanError(message.format(value=jurisdiction))
    cross = table.get("cross_station", False)
    if not isinstance(cross, bool):
        message = _("The 'assignment.cross_station' of the plan must be true or false; got {value!r}.")
        raise PlanError(message.format(value=cross))
    fallback = table.get("joint_fallback", "whole")
    if fallback not in JOINT_FALLBACKS:
        message = _("The 'assignment.joint_fallback' of the plan must be one of {choices}; got {value!r}.")
        raise PlanError(message.format(choices=", ".join(map(repr, JOINT_FALLBACKS)), value=fallback))
    return AssignmentPolicy(
        joint_fallback=fallback,
        team_size=check_int(
            table.get("team_size", 2), _("The 'assignment.team_size' of the plan"), minimum=2, maximum=MAX_TEAM_SIZE
        ),
        jurisdiction=jurisdiction,
        cross_station=cross,
        rotation=check_int(table.get("rotation", 0), _("The 'assignment.rotation' of the plan"), maximum=100),
        relation_hops=check_int(
            table.get("relation_hops", 2), _("The 'assignment.relation_hops' of the plan"), minimum=1, maximum=10
        ),
        relations=check_text_list(table["relations"], _("The 'assignment.relations' of the plan"))
        if table.get("relations")
        else (),
        daily_cap=check_int(
            table.get("daily_cap", 4), _("The 'assignment.daily_cap' of the plan"), minimum=1, maximum=100
        ),
        window=parse_window(table["window"], _("The 'assignment.window' of the plan")) if "window" in table else None,
        candidates=check_int(
            table.get("candidates", 0),
            _("The 'assignment.candidates' of the plan"),
            minimum=0,
            maximum=MAX_CANDIDATES,
        ),
    )
