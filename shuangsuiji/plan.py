"""Inspection plans (抽查计划) and their tasks (抽查任务), read from TOML.

A plan is a frozen :class:`Plan` of frozen :class:`Task` objects. Numbers that
decide who is drawn (ratios, floors, multipliers) are exact fractions read from
decimal text, column values are text exactly as in the population file, and
unknown keys are errors (a misspelt ``ration`` must not silently fall back to a
default). The schema is documented in ``docs/plan.md``.

Examples
--------
>>> plan = parse_plan({"id": "P1", "tasks": [{"id": "T1", "department": "市场监管局",
...                    "items": ["企业公示信息"], "ratio": "0.03"}]})
>>> plan.tasks[0].floor, plan.tasks[0].strata
(Fraction(1, 20), ('credit_class',))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from ._i18n import N_, _
from ._item_fields import TaskItem, parse_task_item
from ._plan_parts import parse_credit, parse_exclusions, read_plan_document
from .credit import DEFAULT_CREDIT_COLUMN, CreditPolicy, MultiplierTables, check_multiplier_tables
from .disclosure import PublicationPolicy, check_hidden, parse_publication
from .exceptions import NotFoundError, PlanError
from .policy import MAX_TEAM_SIZE, AssignmentPolicy, parse_assignment, parse_window
from .validation import (
    MAX_WHOLE,
    check_date,
    check_fraction,
    check_identifier,
    check_int,
    check_keys,
    check_mapping,
    check_text,
    check_text_list,
    fraction_text,
)

__all__ = [
    "DEFAULT_FLOOR",
    "DEFAULT_INACTIVE_STATUSES",
    "AssignmentPolicy",
    "Plan",
    "Task",
    "load_plan",
    "parse_plan",
    "parse_window",
]

#: The binding floor of ordinary items in the 14th five-year plan (2025): 5%.
DEFAULT_FLOOR = Fraction(1, 20)
#: The longest cool-down a task may set: 100 years, further back than any register's history.
MAX_COOLDOWN_DAYS = 36_525
#: Statuses of entities that no longer operate and so are not drawn.
DEFAULT_INACTIVE_STATUSES: tuple[str, ...] = (
    "注销",
    "吊销",
    "撤销",
    "迁出",
    "deregistered",
    "revoked",
    "cancelled",
    "moved_out",
)

Category = Literal["general", "key"]
Coordination = Literal["plan", "independent"]
ValueLists = Mapping[str, tuple[str, ...]]

_PLAN_KEYS: tuple[str, ...] = ("id", "title", "start", "end", "floor", "multipliers", "credit", "exclusions")
_PLAN_KEYS += ("assignment", "publication", "tasks")
_TASK_KEYS = (
    "id", "name", "department", "items", "category", "ratio", "floor", "minimum", "strata", "coordination",
    "take_all", "where", "multipliers", "exclude_inspected_within_days", "annual_cap", "team_size", "certificates",
    "expert", "item",
)  # fmt: skip


@dataclass(frozen=True)
class Task:
    """One task of a plan: who is drawn, by whom, at what ratio.

    Attributes
    ----------
    id : str
        Task id, unique in its plan.
    department : str
        The department that draws (发起部门).
    items : tuple of str
        Inspection items (抽查事项) of the task.
    category : {'general', 'key'}
        Ordinary (一般事项, floor applies) or key item (重点事项).
    ratio : Fraction
        Base sampling ratio before multipliers.
    floor : Fraction
        Minimum share of the eligible entities drawn (0 for none).
    minimum : int or None
        Minimum number of entities drawn, whatever the floor (at most all eligible ones): what a
        year plan gives each batch's general tasks (``docs/year.md``).
    strata : tuple of str
        Columns whose value combinations form the strata.
    coordination : {'plan', 'independent'}
        ``plan`` shares tickets with the plan's other coordinated tasks.
    take_all : Mapping[str, tuple of str]
        Strata drawn at 100%: those whose value in a listed column is listed.
    where : Mapping[str, tuple of str]
        Filter of the task's scope; ``"C14*"`` matches values starting with C14.
    multipliers : Mapping[str, Mapping[str, Fraction]]
        Effective multipliers of the strata columns (task tables override plan tables).
    exclude_inspected_within_days : int or None
        Cool-down: skip entities inspected by this department within so many days before the plan start.
    annual_cap : int or None
        Skip entities already inspected this many times by this department in the plan's year.
    name : str or None
        Human title of the task.
    team_size : int or None
        Officers of this department per visit, if not the plan's ``assignment.team_size``.
    certificates : tuple of str
        Certificates the team's lead (主检) must hold for this task's items (特种设备, 食品...).
    expert : str or None
        Field of an outside expert (专家库) who joins each visit of this task.
    item : TaskItem or None
        The item's fields from the items list (``[tasks.item]``: 抽查类别, 检查方式, 检查依据... ``docs/items.md``).
    """

    id: str
    department: str
    items: tuple[str, ...]
    ratio: Fraction
    floor: Fraction
    category: Category = "general"
    strata: tuple[str, ...] = (DEFAULT_CREDIT_COLUMN,)
    coordination: Coordination = "plan"
    take_all: ValueLists = field(default_factory=lambda: MappingProxyType({}))
    where: ValueLists = field(default_factory=lambda: MappingProxyType({}))
    multipliers: MultiplierTables = field(default_factory=lambda: MappingProxyType({}))
    exclude_inspected_within_days: int | None = None
    annual_cap: int | None = None
    name: str | None = None
    team_size: int | None = None
    certificates: tuple[str, ...] = ()
    expert: str | None = None
    minimum: int | None = None
    item: TaskItem | None = None

    def scope(self, plan_id: str) -> str:
        """The ticket scope: the plan id, or ``plan_id.task_id`` when independent.

        Examples
        --------
        >>> t = parse_plan({"id": "P", "tasks": [{"id": "T", "department": "d", "items": ["i"],
        ...                 "ratio": "0.1", "coordination": "independent"}]}).tasks[0]
        >>> t.scope("P")
        'P.T'
        """
        return plan_id if self.coordination == "plan" else f"{plan_id}.{self.id}"

    def columns(self) -> tuple[str, ...]:
        """Every population column the task reads, in first-use order."""
        seen: dict[str, None] = {}
        for col in (*self.where, *self.strata):
            seen.setdefault(col, None)
        return tuple(seen)

    def to_dict(self) -> dict[str, Any]:
        """The task in the plan-file schema, every default spelt out (:func:`parse_plan` reads it back)."""
        out: dict[str, Any] = {
            "id": self.id,
            "department": self.department,
            "items": list(self.items),
            "category": self.category,
            "ratio": fraction_text(self.ratio),
            "floor": fraction_text(self.floor),
            "strata": list(self.strata),
            "coordination": self.coordination,
            "take_all": {k: list(v) for k, v in self.take_all.items()},
            "where": {k: list(v) for k, v in self.where.items()},
            "multipliers": {c: {v: fraction_text(m) for v, m in t.items()} for c, t in self.multipliers.items()},
        }
        for key in ("name", "exclude_inspected_within_days", "annual_cap", "team_size", "expert", "minimum"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.certificates:
            out["certificates"] = list(self.certificates)
        if self.item is not None:
            out["item"] = self.item.to_dict()
        return out


@dataclass(frozen=True)
class Plan:
    """An inspection plan: its id, defaults and tasks.

    Attributes
    ----------
    id : str
        Plan id, ``[A-Za-z0-9._-]{1,64}``; it is the ticket scope of coordinated tasks.
    tasks : tuple of Task
        The tasks, in file order.
    floor : Fraction
        Plan floor for general tasks.
    credit : CreditPolicy
        How the credit class is read.
    status_column : str
        Population column of an entity's status.
    inactive_statuses : tuple of str
        Status values excluded from every task.
    title, start, end
        Optional title and batch dates; ``start`` anchors cool-downs and caps.
    source : str
        Where the plan was read from (for messages).
    warnings : tuple of str
        Parts of the plan that have no effect (reported with every draw).
    assignment : AssignmentPolicy
        How visits are staffed (``[assignment]``).
    publication : PublicationPolicy
        When the draw is disclosed (``[publication]``: open, or sealed until a day).
    """

    id: str
    tasks: tuple[Task, ...]
    floor: Fraction = DEFAULT_FLOOR
    credit: CreditPolicy = field(default_factory=CreditPolicy)
    status_column: str = "status"
    inactive_statuses: tuple[str, ...] = DEFAULT_INACTIVE_STATUSES
    title: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    source: str = "<plan>"
    warnings: tuple[str, ...] = ()
    assignment: AssignmentPolicy = field(default_factory=AssignmentPolicy)
    publication: PublicationPolicy = field(default_factory=PublicationPolicy)

    def task(self, task_id: str) -> Task:
        """The task with this id.

        Raises
        ------
        NotFoundError
            If the plan has no such task (also a ``KeyError``).
        """
        for t in self.tasks:
            if t.id == task_id:
                return t
        message = _("Plan {plan!r} has no task {task!r}; its tasks are {tasks}.")
        raise NotFoundError(message.format(plan=self.id, task=task_id, tasks=[t.id for t in self.tasks]))

    def columns(self) -> tuple[str, ...]:
        """Every population column some task reads."""
        seen: dict[str, None] = {}
        for t in self.tasks:
            for c in t.columns():
                seen.setdefault(c, None)
        return tuple(seen)

    def to_dict(self) -> dict[str, Any]:
        """The plan in the plan-file schema with every default spelt out, as the manifest records it.

        Task multipliers are the effective ones (plan tables merged in), so
        :func:`parse_plan` reads the result back into an equal plan.
        """
        credit: dict[str, Any] = {"column": self.credit.column, "classes": list(self.credit.classes)}
        if self.credit.missing is not None:
            credit["missing"] = self.credit.missing
        out: dict[str, Any] = {
            "id": self.id,
            "floor": fraction_text(self.floor),
            "credit": credit,
            "exclusions": {"status_column": self.status_column, "statuses": list(self.inactive_statuses)},
            "assignment": self.assignment.to_dict(),
            "tasks": [t.to_dict() for t in self.tasks],
        }
        if self.title is not None:
            out["title"] = self.title
        if self.start is not None:
            out["start"] = self.start.isoformat()
        if self.end is not None:
            out["end"] = self.end.isoformat()
        if not self.publication.is_default:  # open plans keep the record they had before [publication]
            out["publication"] = self.publication.to_dict()
        return out


def _value_lists(raw: object, key: str, owner: str) -> ValueLists:
    table = check_mapping(raw, _("The '{key}' of {owner}").format(key=key, owner=owner))
    return MappingProxyType(
        {
            str(col): check_text_list(vals, _("The '{key}' of {owner}").format(key=f"{key}.{col}", owner=owner))
            for col, vals in table.items()
        }
    )


def _of(owner: str, key: str) -> str:
    """``The 'key' of owner``, the name of a task's value in messages."""
    return _("The '{key}' of {owner}").format(key=key, owner=owner)


#: The warning for a task's multipliers of a column it does not stratify by (stored in English, shown translated).
_UNUSED_MULTIPLIERS = N_(
    "The 'multipliers.{column}' of task {task!r} do not apply: {column!r} is not among its strata "
    "{strata} (add it to 'strata' to weight by it)."
)


def _parse_task(
    raw: object,
    index: int,
    *,
    plan_floor: Fraction,
    plan_tables: MultiplierTables,
    credit: CreditPolicy,
    warnings: list[str],
) -> Task:
    table = check_mapping(raw, _("Task number {number} of the plan").format(number=index + 1))
    task_id = check_identifier(table.get("id"), _("The 'id' of task number {number}").format(number=index + 1))
    owner = _("task {task!r}").format(task=task_id)
    check_keys(table, _TASK_KEYS, _("Task {task!r}").format(task=task_id))
    of = partial(_of, owner)
    department = check_text(table.get("department"), of("department"))
    items = check_text_list(table.get("items"), of("items"))
    category = table.get("category", "general")
    if category not in ("general", "key"):
        message = _("The 'category' of {owner} must be 'general' or 'key'; got {value!r}.")
        raise PlanError(message.format(owner=owner, value=category))
    if "ratio" not in table:
        message = _("The 'ratio' of {owner} is missing; give the base sampling ratio, e.g. ratio = \"0.03\".")
        raise PlanError(message.format(owner=owner))
    ratio = check_fraction(table["ratio"], of("ratio"))
    if "floor" in table:
        floor = check_fraction(table["floor"], of("floor"))
    else:
        floor = plan_floor if category == "general" else Fraction(0)
    strata = check_text_list(table.get("strata", [credit.column]), of("strata"))
    coordination = table.get("coordination", "plan")
    if coordination not in ("plan", "independent"):
        message = _("The 'coordination' of {owner} must be 'plan' or 'independent'; got {value!r}.")
        raise PlanError(message.format(owner=owner, value=coordination))
    take_all = _value_lists(table.get("take_all", {}), "take_all", owner)
    for col in take_all:
        if col not in strata:
            message = _(
                "The 'take_all' of {owner} names column {column!r}, which is not among its strata {strata}; "
                "add {column!r} to 'strata' so that whole strata can be taken."
            )
            raise PlanError(message.format(owner=owner, column=col, strata=list(strata)))
    where = _value_lists(table.get("where", {}), "where", owner)
    task_tables = check_multiplier_tables(table.get("multipliers", {}), owner)
    for col in task_tables:
        if col not in strata:
            warnings.append(_UNUSED_MULTIPLIERS.format(column=col, task=task_id, strata=list(strata)))
    effective = {
        col: task_tables[col] if col in task_tables else plan_tables[col]
        for col in strata
        if col in task_tables or col in plan_tables
    }

    def whole(key: str, minimum: int = 0, maximum: int = MAX_WHOLE) -> int | None:
        value = table.get(key)
        return None if value is None else check_int(value, of(key), minimum=minimum, maximum=maximum)

    return Task(
        id=task_id,
        name=check_text(table["name"], of("name")) if "name" in table else None,
        department=department,
        items=items,
        category=category,
        ratio=ratio,
        floor=floor,
        strata=strata,
        coordination=coordination,
        take_all=take_all,
        where=where,
        multipliers=MappingProxyType(effective),
        exclude_inspected_within_days=whole("exclude_inspected_within_days", maximum=MAX_COOLDOWN_DAYS),
        annual_cap=whole("annual_cap", minimum=1, maximum=366),
        team_size=whole("team_size", minimum=2, maximum=MAX_TEAM_SIZE),
        certificates=check_text_list(table["certificates"], of("certificates")) if "certificates" in table else (),
        expert=check_text(table["expert"], of("expert")) if "expert" in table else None,
        minimum=whole("minimum"),
        item=parse_task_item(table["item"], owner) if "item" in table else None,
    )


def parse_plan(raw: Mapping[str, Any], *, source: str = "<plan>") -> Plan:
    """Build a :class:`Plan` from a parsed TOML document (or any mapping).

    Parameters
    ----------
    raw : mapping
        The document, as :func:`tomllib.loads` returns it.
    source : str
        Name for messages, usually the file path.

    Raises
    ------
    PlanError
        On the first schema violation, with the key, owner and value.
    """
    try:
        return _parse_plan(raw, source)
    except PlanError as exc:
        if source != "<plan>" and not str(exc).startswith(source):
            raise PlanError(_("{source}: {error}").format(source=source, error=exc)) from None
        raise


def _parse_plan(raw: Mapping[str, Any], source: str) -> Plan:
    doc = check_mapping(raw, _("The plan"))
    check_keys(doc, _PLAN_KEYS, _("The plan"))
    plan_id = check_identifier(doc.get("id"), _("The plan 'id'"))
    floor = check_fraction(doc.get("floor", "0.05"), _("The plan 'floor'"))
    credit = parse_credit(doc)
    status_column, statuses = parse_exclusions(doc, DEFAULT_INACTIVE_STATUSES)
    plan_tables = check_multiplier_tables(doc.get("multipliers", {}), _("the plan"))
    raw_tasks = doc.get("tasks")
    if not isinstance(raw_tasks, list) or not raw_tasks:
        raise PlanError(_("The plan must have at least one [[tasks]] table; got none."))
    warnings: list[str] = []
    tasks = tuple(
        _parse_task(t, i, plan_floor=floor, plan_tables=plan_tables, credit=credit, warnings=warnings)
        for i, t in enumerate(raw_tasks)
    )
    ids = [t.id for t in tasks]
    for tid in ids:
        if ids.count(tid) > 1:
            raise PlanError(_("The plan has two tasks with id {task!r}; task ids must be unique.").format(task=tid))
    start = check_date(doc["start"], _("The plan 'start'")) if "start" in doc else None
    end = check_date(doc["end"], _("The plan 'end'")) if "end" in doc else None
    if start and end and end < start:
        raise PlanError(_("The plan 'end' ({end}) is before its 'start' ({start}).").format(end=end, start=start))
    for t in tasks:
        if start is None and (t.exclude_inspected_within_days is not None or t.annual_cap is not None):
            message = _(
                "Task {task!r} sets a cool-down or an annual cap, which count from the plan's start; "
                "add start = 2027-03-01 (the batch's first day) to the plan."
            )
            raise PlanError(message.format(task=t.id))
    assignment = parse_assignment(doc.get("assignment", {}))
    publication = parse_publication(doc.get("publication", {}), end=end)
    strata, where = {c for t in tasks for c in t.strata}, {c for t in tasks for c in t.where}
    check_hidden(publication, credit=credit.column, strata=strata, where=where)
    return Plan(
        id=plan_id,
        assignment=assignment,
        publication=publication,
        tasks=tasks,
        floor=floor,
        credit=credit,
        status_column=status_column,
        inactive_statuses=statuses,
        title=check_text(doc["title"], _("The plan 'title'")) if "title" in doc else None,
        start=start,
        end=end,
        source=source,
        warnings=tuple(warnings),
    )


def load_plan(path: str | Path) -> Plan:
    """Read a plan from a TOML file (UTF-8, with or without BOM).

    Raises
    ------
    PlanError
        If the file is not UTF-8, not valid TOML, or breaks the schema.
    FileNotFoundError
        If there is no such file.
    """
    path = Path(path)
    return parse_plan(read_plan_document(path), source=str(path))
