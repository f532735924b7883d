"""The year: an annual plan in batches, its target held over the year (``docs/year.md``).

A county bureau draws up an annual plan (年度抽查计划) and draws it batch by
batch. The binding indicator, 一般事项抽查比例 (5% by 2025 in the Luoyang plan),
is counted over the year: distinct firms inspected for an ordinary item, as a
share of the operating firms in its scope. A :class:`YearPlan` (``year.toml``)
names the year, its target, its batches and the caps per enterprise. Each batch
takes, for each general task, the count that brings the year's distinct coverage
to the share of the target due by its end (:func:`batch_counts`), and leaves out
firms drawn earlier in the year and firms at their caps, as the inspection
ledger's published view says (:mod:`shuangsuiji.yearview`).

Examples
--------
>>> year = parse_year({"id": "Y", "year": 2027, "plan": "plan.toml",
...                    "batches": [{"id": "Q1", "window": "2027-01-01:2027-06-30", "share": "0.5"},
...                                {"id": "Q2", "window": "2027-07-01:2027-12-31", "share": "0.5"}]})
>>> [b.id for b in year.batches], year.target, year.cumulative_share("Q1")
(['Q1', 'Q2'], Fraction(1, 20), Fraction(1, 2))
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from ._i18n import _
from ._year_fields import DEFAULT_EXEMPT, exempt_kinds, year_target
from .exceptions import PlanError, YearError
from .plan import Plan, Task
from .policy import parse_window
from .seed import Seed
from .validation import (
    check_fraction,
    check_identifier,
    check_int,
    check_keys,
    check_mapping,
    check_text_list,
    fraction_text,
)

__all__ = [
    "DEFAULT_EXEMPT",
    "YEAR_KEYS",
    "YearBatch",
    "YearCaps",
    "YearPlan",
    "batch_counts",
    "batch_plan",
    "general_tasks",
    "key_ranking",
    "load_year",
    "parse_year",
]

YEAR_KEYS = ("id", "year", "plan", "indicator", "caps", "key", "batches")
_INDICATOR_KEYS = ("base", "target", "trajectory")
_CAPS_KEYS = ("total", "per_department", "exempt")
_BATCH_KEYS = ("id", "window", "tasks", "share", "count", "key")
_KEY_KEYS = ("tasks", "order")

Base = Literal["operating", "eligible"]
Order = Literal["random", "fixed"]


@dataclass(frozen=True)
class YearCaps:
    """Checks per enterprise and year (国办发〔2024〕54号), and the kinds of check that do not count.

    Attributes
    ----------
    total : int or None
        Over all departments (a joint visit counts once).
    per_department : int or None
        By any one department.
    exempt : tuple of str
        Kinds of check left out of the caps and the cool-downs.
    """

    total: int | None = None
    per_department: int | None = None
    exempt: tuple[str, ...] = DEFAULT_EXEMPT


@dataclass(frozen=True)
class YearBatch:
    """One batch of the year: its window, the tasks it draws, and its share of the year's target.

    Attributes
    ----------
    id : str
        Batch id (``Q1``, ``2027-03``...), unique in the year.
    window : tuple of date
        First and last day: the batch's plan starts (cool-downs count back from it) and ends there,
        and its visits are dated in it.
    tasks : tuple of str
        Task ids of the year's plan drawn in this batch (all by default).
    share : Fraction or None
        Share of the year's target due in this batch.
    count : Mapping[str, int]
        Explicit counts of general tasks in this batch (instead of the share).
    key : int
        How many key tasks of the year's pool (:attr:`YearPlan.key_tasks`) the batch takes, in
        the pool's order drawn from the batch's seed (or as listed, when the order is fixed).
    """

    id: str
    window: tuple[dt.date, dt.date]
    tasks: tuple[str, ...] = ()
    share: Fraction | None = None
    count: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    key: int = 0


@dataclass(frozen=True)
class YearPlan:
    """A year plan (年度抽查计划): its target, batches and caps.

    Attributes
    ----------
    id : str
        The year's id; a batch's plan id is ``{id}.{batch}``.
    year : int
        The calendar year (caps count the checks dated in it).
    plan : str
        The plan file of the year's tasks, relative to the year plan.
    base : {'operating', 'eligible'}
        The indicator's denominator for each general task: the operating firms in its scope
        (default), or those eligible in the batch (after every exclusion).
    target : Fraction
        The year's target share of the base (5% by default, or the trajectory's value for the year).
    batches : tuple of YearBatch
        In the order they are drawn.
    caps : YearCaps
        Checks per enterprise and year.
    key_tasks : tuple of str
        The pool of key tasks (重点事项) spread over the batches: each in one batch, the batches
        taking them in an order drawn from their seeds (``key_order="random"``) or as listed.
    key_order : {'random', 'fixed'}
        How the pool is ordered.
    source : str
        Where the year plan was read from.
    """

    id: str
    year: int
    plan: str
    batches: tuple[YearBatch, ...]
    base: Base = "operating"
    target: Fraction = Fraction(1, 20)
    caps: YearCaps = field(default_factory=YearCaps)
    key_tasks: tuple[str, ...] = ()
    key_order: Order = "random"
    source: str = "<year>"

    def batch(self, batch_id: str) -> YearBatch:
        """The batch with this id.

        Raises
        ------
        YearError
            If the year has no such batch.
        """
        for b in self.batches:
            if b.id == batch_id:
                return b
        message = _("{source}: the year has no batch {batch!r}; its batches are {batches}.")
        raise YearError(message.format(source=self.source, batch=batch_id, batches=self.batch_ids))

    @property
    def batch_ids(self) -> list[str]:
        """The batches' ids, in order."""
        return [b.id for b in self.batches]

    def cumulative_share(self, batch_id: str) -> Fraction:
        """The share of the year's target due by the end of this batch (the last batch: all of it)."""
        upto = self.batch_ids.index(self.batch(batch_id).id) + 1
        if upto == len(self.batches):
            return Fraction(1)
        return min(Fraction(1), sum((b.share or Fraction(0) for b in self.batches[:upto]), Fraction(0)))

    def to_dict(self) -> dict[str, Any]:
        """The year plan in its file's schema, every default spelt out (as a manifest records it)."""
        caps: dict[str, Any] = {"exempt": list(self.caps.exempt)}
        if self.caps.total is not None:
            caps["total"] = self.caps.total
        if self.caps.per_department is not None:
            caps["per_department"] = self.caps.per_department
        batches = []
        for b in self.batches:
            entry: dict[str, Any] = {"id": b.id, "window": f"{b.window[0].isoformat()}:{b.window[1].isoformat()}"}
            if b.tasks:
                entry["tasks"] = list(b.tasks)
            if b.share is not None:
                entry["share"] = fraction_text(b.share)
            if b.count:
                entry["count"] = dict(b.count)
            if b.key:
                entry["key"] = b.key
            batches.append(entry)
        out = {
            "id": self.id,
            "year": self.year,
            "plan": self.plan,
            "indicator": {"base": self.base, "target": fraction_text(self.target)},
            "caps": caps,
            "batches": batches,
        }
        if self.key_tasks:
            out["key"] = {"tasks": list(self.key_tasks), "order": self.key_order}
        return out


def _batch(raw: object, index: int) -> YearBatch:
    table = check_mapping(raw, _("Batch number {number} of the year").format(number=index + 1), error=YearError)
    what = _("The 'id' of batch number {number}").format(number=index + 1)
    batch_id = check_identifier(table.get("id"), what, error=YearError)

    def of(text: str, task: str = "") -> str:
        return text.format(batch=batch_id, task=task)

    check_keys(table, _BATCH_KEYS, of(_("Batch {batch!r}")), error=YearError)
    try:
        window = parse_window(table.get("window"), of(_("The 'window' of batch {batch!r}")))
    except PlanError as exc:
        raise YearError(str(exc)) from None
    what = of(_("The 'tasks' of batch {batch!r}"))
    tasks = check_text_list(table["tasks"], what, error=YearError) if "tasks" in table else ()
    share = (
        check_fraction(table["share"], of(_("The 'share' of batch {batch!r}")), error=YearError, ratios=True)
        if "share" in table
        else None
    )
    counts = check_mapping(table.get("count", {}), of(_("The 'count' of batch {batch!r}")), error=YearError)
    count = {
        str(t): check_int(n, of(_("The 'count.{task}' of batch {batch!r}"), str(t)), error=YearError)
        for t, n in counts.items()
    }
    key = check_int(table.get("key", 0), of(_("The 'key' of batch {batch!r}")), error=YearError)
    return YearBatch(batch_id, window, tasks, share, MappingProxyType(count), key)


def _key_pool(raw: object, batches: tuple[YearBatch, ...]) -> tuple[tuple[str, ...], Order]:
    """The year's pool of key tasks and its order, checked against the batches that take them."""
    table = check_mapping(raw, _("The year's 'key'"), error=YearError)
    check_keys(table, _KEY_KEYS, _("The year's [key] table"), error=YearError)
    pool = check_text_list(table.get("tasks"), _("The 'key.tasks' of the year"), error=YearError) if table else ()
    order = table.get("order", "random")
    if order not in ("random", "fixed"):
        message = _("The 'key.order' of the year must be 'random' or 'fixed'; got {order!r}.")
        raise YearError(message.format(order=order))
    if len(set(pool)) != len(pool):
        raise YearError(_("The 'key.tasks' of the year name a task twice: {pool}.").format(pool=list(pool)))
    taken = sum(b.key for b in batches)
    if taken != len(pool):
        message = _(
            "The batches take {taken} key tasks ('key' of each batch) but the year's pool has {size} "
            "({pool}): each key task of the pool goes into one batch."
        )
        raise YearError(message.format(taken=taken, size=len(pool), pool=list(pool)))
    for b in batches:
        named = sorted(set(b.tasks) & set(pool))
        if named:
            message = _("Batch {batch!r} names {named} of the key pool in its 'tasks'; the pool's order decides.")
            raise YearError(message.format(batch=b.id, named=named))
    return pool, "fixed" if order == "fixed" else "random"


def parse_year(raw: Mapping[str, Any], *, source: str = "<year>") -> YearPlan:
    """Build a :class:`YearPlan` from a parsed ``year.toml``.

    Raises
    ------
    YearError
        On the first schema violation, naming the key, the batch and the value.
    """
    doc = check_mapping(raw, _("The year plan"), error=YearError)
    check_keys(doc, YEAR_KEYS, _("The year plan"), error=YearError)
    year_id = check_identifier(doc.get("id"), _("The year's 'id'"), error=YearError)
    year = check_int(doc.get("year"), _("The year's 'year'"), minimum=1900, error=YearError)
    plan = doc.get("plan")
    if not isinstance(plan, str) or not plan.strip():
        message = _("The year's 'plan' must name the plan file of its tasks (plan.toml); got {plan!r}.")
        raise YearError(message.format(plan=plan))
    indicator = check_mapping(doc.get("indicator", {}), _("The year's 'indicator'"), error=YearError)
    check_keys(indicator, _INDICATOR_KEYS, _("The year's [indicator] table"), error=YearError)
    base = indicator.get("base", "operating")
    if base not in ("operating", "eligible"):
        message = _("The 'indicator.base' of the year must be 'operating' or 'eligible'; got {base!r}.")
        raise YearError(message.format(base=base))
    caps_raw = check_mapping(doc.get("caps", {}), _("The year's 'caps'"), error=YearError)
    check_keys(caps_raw, _CAPS_KEYS, _("The year's [caps] table"), error=YearError)
    caps = YearCaps(
        total=None
        if "total" not in caps_raw
        else check_int(caps_raw["total"], "'caps.total'", minimum=1, error=YearError),
        per_department=None
        if "per_department" not in caps_raw
        else check_int(caps_raw["per_department"], "'caps.per_department'", minimum=1, error=YearError),
        exempt=exempt_kinds(caps_raw),
    )
    raw_batches = doc.get("batches")
    if not isinstance(raw_batches, list) or not raw_batches:
        raise YearError(_("The year must have at least one [[batches]] table; got none."))
    batches = tuple(_batch(b, i) for i, b in enumerate(raw_batches))
    ids = [b.id for b in batches]
    for bid in ids:
        if ids.count(bid) > 1:
            raise YearError(
                _("The year has two batches with id {batch!r}; batch ids must be unique.").format(batch=bid)
            )
    for b in batches:
        if b.window[0].year != year or b.window[1].year != year:
            message = _("The window of batch {batch!r} ({first}:{last}) is not in {year}, the year's 'year'.")
            raise YearError(message.format(batch=b.id, first=b.window[0], last=b.window[1], year=year))
    pool, order = _key_pool(doc.get("key", {}), batches)
    return YearPlan(year_id, year, plan.strip(), batches, base, year_target(indicator, year), caps, pool, order, source)


def load_year(path: str | Path) -> YearPlan:
    """Read a year plan from a TOML file (UTF-8, with or without BOM).

    Raises
    ------
    YearError
        If the file is not UTF-8, not valid TOML, or breaks the schema.
    FileNotFoundError
        If there is no such file.
    """
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise YearError(_("{path}: the year plan is not UTF-8; save it as UTF-8.").format(path=path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise YearError(_("{path}: not valid TOML: {error}.").format(path=path, error=exc)) from None
    try:
        return parse_year(doc, source=str(path))
    except YearError as exc:
        raise YearError(f"{path}: {exc}") from None


def batch_counts(
    year: YearPlan, batch_id: str, plan: Plan, *, base: Mapping[str, int], covered: Mapping[str, int]
) -> dict[str, int]:
    """How many each general task of the batch draws, so that the year's coverage reaches its share of the target.

    With ``T = ceil(target * base)`` the year's target of a task and ``s`` the share due by
    the end of the batch (:meth:`YearPlan.cumulative_share`), the batch draws
    ``max(0, ceil(T * s) - covered)``, or the batch's explicit ``count``.

    Examples
    --------
    >>> from shuangsuiji.plan import parse_plan
    >>> plan = parse_plan({"id": "P", "tasks": [{"id": "T", "department": "d", "items": ["x"], "ratio": "0"}]})
    >>> year = parse_year({"id": "Y", "year": 2027, "plan": "p", "batches": [
    ...     {"id": "A", "window": "2027-01-01:2027-06-30", "share": "0.4"},
    ...     {"id": "B", "window": "2027-07-01:2027-12-31", "share": "0.6"}]})
    >>> batch_counts(year, "A", plan, base={"T": 1001}, covered={"T": 0})  # T = ceil(50.05) = 51; ceil(51 * 0.4)
    {'T': 21}
    >>> batch_counts(year, "B", plan, base={"T": 1001}, covered={"T": 21})
    {'T': 30}
    """
    batch = year.batch(batch_id)
    share = year.cumulative_share(batch_id)
    general = {t.id for t in _batch_tasks(plan, batch) if t.category == "general"}
    stray = sorted(set(batch.count) - general)
    if stray:
        message = _(
            "The 'count' of batch {batch!r} names {stray}, which are not general tasks of the batch; "
            "its general tasks are {general}."
        )
        raise YearError(message.format(batch=batch.id, stray=stray, general=sorted(general)))
    counts = {}
    for task in _batch_tasks(plan, batch):
        if task.category != "general":
            continue
        if task.id in batch.count:
            counts[task.id] = batch.count[task.id]
            continue
        due = math.ceil(math.ceil(year.target * base[task.id]) * share)
        counts[task.id] = max(0, due - covered.get(task.id, 0))
    return counts


def _batch_tasks(plan: Plan, batch: YearBatch) -> list[Task]:
    if not batch.tasks:
        return list(plan.tasks)
    known = {t.id: t for t in plan.tasks}
    missing = [t for t in batch.tasks if t not in known]
    if missing:
        message = _("Batch {batch!r} names tasks {missing} that the plan does not have; its tasks are {tasks}.")
        raise YearError(message.format(batch=batch.id, missing=missing, tasks=list(known)))
    return [known[t] for t in batch.tasks]


def batch_plan(year: YearPlan, batch_id: str, plan: Plan, counts: Mapping[str, int], key: Collection[str] = ()) -> Plan:
    """The plan a batch draws: its tasks, its window, and each general task's count as its ``minimum``.

    A general task's ratio and floor give way to the year's target (ratio 0, floor 0, ``minimum``
    the batch's count, its multipliers kept); key tasks keep their ratios. Of the year's key pool,
    only the tasks in ``key`` are drawn (:func:`key_ranking`). The plan's id becomes
    ``{year}.{batch}``, its start and end the batch's window, and its assignment window the same;
    its tasks keep the plan's order.

    Raises
    ------
    YearError
        If the batch or the pool names a task the plan lacks, or the pool a general task.
    """
    batch = year.batch(batch_id)
    _check_pool(year, plan)
    tasks = []
    for task in plan.tasks:
        if task.id in year.key_tasks:
            if task.id in key:
                tasks.append(task)
            continue
        if task.id not in {t.id for t in _batch_tasks(plan, batch)}:
            continue
        if task.category == "general":
            tasks.append(
                dataclasses.replace(task, ratio=Fraction(0), floor=Fraction(0), minimum=counts.get(task.id, 0))
            )
        else:
            tasks.append(task)
    first, last = batch.window
    policy = dataclasses.replace(plan.assignment, window=batch.window)
    title = f"{plan.title} {batch.id}" if plan.title else None
    return dataclasses.replace(
        plan,
        id=f"{year.id}.{batch.id}",
        title=title,
        tasks=tuple(tasks),
        start=first,
        end=last,
        assignment=policy,
    )


def _check_pool(year: YearPlan, plan: Plan) -> None:
    known = {t.id: t for t in plan.tasks}
    missing = [t for t in year.key_tasks if t not in known]
    if missing:
        raise YearError(
            _("The year's key pool names tasks {missing} that the plan does not have.").format(missing=missing)
        )
    general = [t for t in year.key_tasks if known[t].category == "general"]
    if general:
        message = _("The year's key pool holds general tasks {general}; the pool is for key tasks (重点事项).")
        raise YearError(message.format(general=general))


def key_ranking(year: YearPlan, remaining: Collection[str], seed: str | Seed) -> list[str]:
    """The key tasks of the pool still to draw, in the order the batch takes them.

    With ``key.order = "random"``: by the hex digest of ``seed ":order:" year_id "|" task_id``
    (scope ``order``), smallest first; with ``"fixed"``: as the pool lists them.

    Examples
    --------
    >>> year = parse_year({"id": "Y", "year": 2027, "plan": "p", "key": {"tasks": ["K1", "K2"]},
    ...                    "batches": [{"id": "A", "window": "2027-01-01:2027-06-30", "key": 1},
    ...                                {"id": "B", "window": "2027-07-01:2027-12-31", "key": 1}]})
    >>> key_ranking(year, ["K1", "K2"], "0" * 64)
    ['K2', 'K1']
    """
    left = [t for t in year.key_tasks if t in set(remaining)]
    if year.key_order == "fixed":
        return left
    chosen = Seed.of(seed)
    return sorted(left, key=lambda t: chosen.order_ticket(year.id, t))


def general_tasks(plan: Plan, batch: YearBatch) -> list[Task]:
    """The batch's general tasks (those the year's target applies to)."""
    return [t for t in _batch_tasks(plan, batch) if t.category == "general"]
