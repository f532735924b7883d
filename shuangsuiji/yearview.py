"""A year's batch as the ledger stood when it was drawn: the view, the history, the coverage, the counts.

The inspection ledger (:mod:`shuangsuiji.ledger`) holds one entry per event;
a batch's draw reads it as a :class:`LedgerView`: one row per department visit
of the random draws (``drawn``, then ``staffed``, ``done``, ``published``) and
one row per check outside the draw (complaints, referrals...). The view is
written beside the batch (``ledger-view.json``, canonical JSON with the ledger
head it was read at) and recorded by SHA-256 like any input, so that the
batch's exclusions are committed with it and anyone can re-derive the batch
without the ledger (``docs/year.md``).

From the view and the batch's population, :func:`prepare_batch` gives the
batch's plan (each general task's count as its ``minimum``), its history
(exempt kinds left out, the year's rules attached) and the record its
manifest keeps (:class:`~shuangsuiji.manifest.YearRecord`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._i18n import _
from ._json import Fields, Published
from ._kernel import scope_mask
from .exceptions import InputError, LedgerError, YearError
from .exclusions import History, YearRules, task_exclusions
from .ledger.entries import LedgerHead
from .manifest import YearRecord
from .plan import Plan, Task
from .population import Population
from .seed import Seed
from .year import YearBatch, YearPlan, batch_counts, batch_plan, general_tasks, key_ranking

__all__ = [
    "VIEW_COLUMNS",
    "VIEW_FORMAT",
    "LedgerView",
    "PreparedBatch",
    "drew",
    "ledger_view",
    "prepare_batch",
    "view_history",
    "year_rules",
]

#: Format name and version of ``ledger-view.json``.
VIEW_FORMAT = "shuangsuiji-ledger-view/1"
#: Columns of a view's rows, in order.
VIEW_COLUMNS = [
    "year",
    "batch",
    "visit",
    "uscc",
    "department",
    "tasks",
    "kind",
    "status",
    "date",
    "scheduled",
    "inspectors",
]
_RANDOM_EVENTS = ("drawn", "staffed", "done", "published")
_STATUS_ORDER = ("drawn", "staffed", "done", "published")


def _random_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per department visit of the draws: its tasks, how far it got, its date and its team."""
    keys = ["year", "batch", "visit_id", "department"]
    events = frame[frame["event"].isin(_RANDOM_EVENTS)]
    drawn = events[events["event"] == "drawn"]
    if drawn.empty:
        return pd.DataFrame(columns=VIEW_COLUMNS)
    # a visit without a draw (an expert's place: a field, not a department) is left out by the left joins
    rows = drawn.groupby(keys, sort=True).agg(uscc=("uscc", "first"), date=("date", "first"))
    split = drawn.assign(task_id=drawn["task_id"].str.split(";")).explode("task_id")
    split = split[split["task_id"] != ""].drop_duplicates([*keys, "task_id"]).sort_values([*keys, "task_id"])
    rows["tasks"] = split.groupby(keys, sort=True)["task_id"].agg(";".join)
    rank = events["event"].map(_STATUS_ORDER.index)
    rows["status"] = rank.groupby([events[k] for k in keys]).max().map(lambda i: _STATUS_ORDER[i])
    staffed = events[events["event"] == "staffed"].sort_values("seq", kind="stable")
    last = staffed.groupby(keys, sort=True).agg(staffed=("date", "last"), inspectors=("inspectors", "last"))
    done = events[events["event"] == "done"].groupby(keys, sort=True)["date"].max().rename("done")
    rows = rows.join(last).join(done)
    rows["scheduled"] = rows["staffed"].fillna("")
    missing = {"": None}
    rows["date"] = rows["done"].replace(missing).fillna(rows["staffed"].replace(missing)).fillna(rows["date"])
    rows = rows.reset_index()
    rows["visit"] = rows["batch"] + "/" + rows["visit_id"]
    rows["kind"] = "random"
    rows["tasks"] = rows["tasks"].fillna("")
    rows["inspectors"] = rows["inspectors"].fillna("")
    return rows[VIEW_COLUMNS]


def ledger_view(frame: pd.DataFrame) -> pd.DataFrame:
    """The view of a ledger's rows (:meth:`~shuangsuiji.ledger.Ledger.frame`) that a batch's draw reads.

    Returns
    -------
    pandas.DataFrame
        :data:`VIEW_COLUMNS`, sorted by year, date, visit and department.
    """
    checks = frame[frame["event"] == "check"]
    visit = [v if v else f"check/{s}" for v, s in zip(checks["visit_id"], checks["seq"], strict=True)]
    outside = pd.DataFrame(
        {
            "year": checks["year"].to_numpy(),
            "batch": checks["batch"].to_numpy(),
            "visit": visit,
            "uscc": checks["uscc"].to_numpy(),
            "department": checks["department"].to_numpy(),
            "tasks": "",
            "kind": checks["kind"].to_numpy(),
            "status": "check",
            "date": checks["date"].to_numpy(),
            "scheduled": "",
            "inspectors": checks["inspectors"].to_numpy(),
        },
        columns=VIEW_COLUMNS,
    )
    batches = frame[frame["event"] == "batch"]
    markers = pd.DataFrame(
        {
            "year": batches["year"].to_numpy(),
            "batch": batches["batch"].to_numpy(),
            "visit": (batches["batch"] + "/").to_numpy(),
            "uscc": "",
            "department": "",
            "tasks": batches["task_id"].to_numpy(),
            "kind": "batch",
            "status": "batch",
            "date": batches["date"].to_numpy(),
            "scheduled": "",
            "inspectors": "",
        },
        columns=VIEW_COLUMNS,
    )
    view = pd.concat([markers, _random_rows(frame), outside], ignore_index=True)
    view = view.astype("str").sort_values(["year", "date", "visit", "department"], kind="stable", ignore_index=True)
    return view[VIEW_COLUMNS]


@dataclass(frozen=True)
class LedgerView(Published):
    """``ledger-view.json``: the ledger's view at a head, as a batch read it.

    Attributes
    ----------
    head : Mapping
        ``{"seq": ..., "hash": ...}`` of the ledger when the view was read.
    rows : pandas.DataFrame
        :data:`VIEW_COLUMNS`, as :func:`ledger_view` gives them.
    """

    head: Mapping[str, Any]
    rows: pd.DataFrame = field(compare=False)
    data: bytes | None = field(default=None, compare=False, repr=False)
    FILE: ClassVar[str] = "ledger-view.json"
    ERROR: ClassVar[type[InputError]] = LedgerError

    def to_dict(self) -> dict[str, Any]:
        """The plain form, as written."""
        return {
            "format": VIEW_FORMAT,
            "head": {"seq": int(self.head["seq"]), "hash": str(self.head["hash"])},
            "columns": VIEW_COLUMNS,
            "rows": self.rows[VIEW_COLUMNS].to_numpy().tolist(),
        }

    @classmethod
    def from_dict(cls, value: object, *, where: str = FILE, data: bytes | None = None) -> Self:
        """Read a parsed ``ledger-view.json``, checking each field."""
        f = Fields(value, where, LedgerError)
        if f.text("format") != VIEW_FORMAT:
            raise LedgerError(
                _("{where}: not a ledger view of format {format!r}.").format(where=where, format=VIEW_FORMAT)
            )
        if list(f.texts("columns")) != VIEW_COLUMNS:
            raise LedgerError(_("{where}: the columns must be {columns}.").format(where=where, columns=VIEW_COLUMNS))
        head = f.obj("head")
        rows = f.raw.get("rows")
        if not isinstance(rows, list) or not all(
            isinstance(r, list) and len(r) == len(VIEW_COLUMNS) and all(isinstance(x, str) for x in r) for r in rows
        ):
            message = _("{where}: 'rows' must be a list of rows of {n} texts.")
            raise LedgerError(message.format(where=where, n=len(VIEW_COLUMNS)))
        frame = pd.DataFrame(rows, columns=VIEW_COLUMNS, dtype="str")
        for column in ("date", "scheduled"):
            text = frame[column]
            parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
            bad = text[(text != "") & (~text.str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}") | parsed.isna())]
            if len(bad):
                message = _("{where}: row {row} has {column} {value!r}; dates are YYYY-MM-DD or empty.")
                raise LedgerError(
                    message.format(where=where, row=int(bad.index[0]) + 1, column=column, value=bad.iat[0])
                )
        try:
            checked = LedgerHead.from_dict(head.raw)
        except LedgerError as exc:
            raise LedgerError(f"{where}: {exc}") from None
        return cls(checked.to_dict(), frame, data)


def drew(rows: pd.DataFrame, task_id: str) -> npt.NDArray[np.bool_]:
    """Which rows of a view drew the task (its id among their ``;``-joined ``tasks``)."""
    return rows["tasks"].str.split(";").map(lambda tasks: task_id in tasks).to_numpy(dtype=bool)


def _counted(view: pd.DataFrame, year: YearPlan) -> pd.DataFrame:
    """The year's checks that count toward the caps: this year's rows, exempt kinds left out."""
    rows = view[(view["year"] == year.id) & ~view["kind"].isin([*year.caps.exempt, "batch"])]
    return rows[rows["date"].str.startswith(str(year.year)) | (rows["date"] == "")]


def _check_order(year: YearPlan, batch_id: str, in_ledger: set[str]) -> None:
    """A batch is drawn once, after the batches before it are in the ledger and before those after it."""
    if batch_id in in_ledger:
        message = _("Batch {batch!r} of {year} is in the ledger already: a batch is drawn once.")
        raise YearError(message.format(batch=batch_id, year=year.id))
    ids = year.batch_ids
    at = ids.index(batch_id)
    missing = [b for b in ids[:at] if b not in in_ledger]
    if missing:
        message = _(
            "Batch {batch!r} of {year} comes after {missing}, which the ledger does not hold: add each "
            "earlier batch's draw to the ledger first (shuangsuiji ledger add LEDGER --draw FOLDER), so that "
            "this batch leaves out the firms it drew."
        )
        raise YearError(message.format(batch=batch_id, year=year.id, missing=missing))
    later = [b for b in ids[at + 1 :] if b in in_ledger]
    if later:
        message = _("Batch {batch!r} of {year} comes before {later}, which the ledger holds already.")
        raise YearError(message.format(batch=batch_id, year=year.id, later=later))


def year_rules(view: pd.DataFrame, year: YearPlan, batch_id: str, plan: Plan) -> YearRules:
    """The year's rules for a batch: firms drawn earlier for each general item, and the checks counted per cap.

    Raises
    ------
    YearError
        If the ledger already holds this batch (a batch is drawn once) or a later one, or lacks an
        earlier one.
    """
    batch = year.batch(batch_id)
    ours = view[(view["year"] == year.id) & (view["kind"] == "random")]
    _check_order(
        year, batch.id, set(view.loc[(view["year"] == year.id) & view["kind"].isin(["random", "batch"]), "batch"])
    )
    drawn: dict[str, frozenset[str]] = {}
    for task in general_tasks(plan, batch):
        drawn[task.id] = frozenset(ours.loc[drew(ours, task.id), "uscc"])
    counted = _counted(view, year)
    total = counted.groupby("uscc")["visit"].nunique()
    per_department = counted.groupby(["uscc", "department"])["visit"].nunique()
    return YearRules(
        year=year.id,
        drawn=drawn,
        total_cap=year.caps.total,
        department_cap=year.caps.per_department,
        total={str(k): int(v) for k, v in total.items()},
        per_department={
            (str(u), str(d)): int(v)
            for u, d, v in zip(
                per_department.index.get_level_values(0),
                per_department.index.get_level_values(1),
                per_department,
                strict=True,
            )
        },
        exempt=year.caps.exempt,
    )


def view_history(
    view: LedgerView | pd.DataFrame, *, exempt: Collection[str] = (), source: str | None = None
) -> History:
    """The inspections of a ledger's view as a :class:`~shuangsuiji.exclusions.History`: every dated row.

    What a batch's cool-downs read (with the year's ``exempt`` kinds left out), and what the
    assignment's rotation reads when a year's batch is staffed (every dated row, with its inspectors).
    """
    rows = view.rows if isinstance(view, LedgerView) else view
    where = source or (f"ledger view at seq {view.head['seq']}" if isinstance(view, LedgerView) else "ledger view")
    rows = rows[~rows["kind"].isin([*exempt, "batch"]) & (rows["date"] != "")]
    frame = pd.DataFrame(
        {
            "uscc": rows["uscc"].to_numpy(),
            "department": rows["department"].to_numpy(),
            "date": pd.to_datetime(rows["date"].to_numpy(), format="%Y-%m-%d").astype("datetime64[s]"),
            "kind": rows["kind"].to_numpy(),
            "inspectors": rows["inspectors"].to_numpy(),
        }
    )
    return History(frame=frame, source=where)


def _history(view: pd.DataFrame, year: YearPlan, rules: YearRules | None, source: str) -> History:
    """The inspections the draw's cool-downs and caps read: exempt kinds left out."""
    return dataclasses.replace(view_history(view, exempt=year.caps.exempt, source=source), year=rules)


def _base(population: Population, plan: Plan, task: Task, view_history: History, kind: str) -> set[str]:
    """The indicator's base for one general task: operating firms in its scope, or those eligible."""
    in_scope = scope_mask(population, task)
    codes = population.frame["uscc"]
    if kind == "eligible":
        excluded = task_exclusions(population, plan, task, in_scope, view_history).code
        return set(codes[in_scope & (excluded == 0)])
    operating = np.ones(len(population), dtype=bool)
    if plan.status_column in population.frame.columns:
        operating = ~np.asarray(population.frame[plan.status_column].isin(plan.inactive_statuses), dtype=bool)
    return set(codes[in_scope & operating])


@dataclass(frozen=True)
class PreparedBatch:
    """A batch prepared for its draw: the plan it draws, the history it reads, the record its manifest keeps.

    With a key pool (:attr:`~shuangsuiji.year.YearPlan.key_tasks`) the key tasks the batch takes
    come from its seed: :meth:`plan_for` and :meth:`record_for` give the plan and the record once
    the seed is known; :attr:`plan` and :attr:`record` are those without the pool's tasks.
    """

    plan: Plan
    history: History
    record: YearRecord
    year: YearPlan | None = None
    year_plan: Plan | None = None
    counts: Mapping[str, int] = field(default_factory=dict)

    def key_taken(self, seed: str | Seed) -> tuple[str, ...]:
        """The key tasks of the pool this batch takes with this seed (:func:`~shuangsuiji.year.key_ranking`)."""
        if self.year is None or not self.record.key_remaining:
            return ()
        take = self.year.batch(self.record.batch).key
        return tuple(key_ranking(self.year, self.record.key_remaining, seed)[:take])

    def plan_for(self, seed: str | Seed) -> Plan:
        """The plan drawn with this seed: :attr:`plan` and the key tasks the batch takes."""
        taken = self.key_taken(seed)
        if not taken or self.year is None or self.year_plan is None:
            return self.plan
        return batch_plan(self.year, self.record.batch, self.year_plan, self.counts, key=taken)

    def record_for(self, seed: str | Seed) -> YearRecord:
        """The record the manifest keeps, with the key tasks taken."""
        taken = self.key_taken(seed)
        return dataclasses.replace(self.record, key_taken=taken) if taken else self.record


def _key_remaining(view: pd.DataFrame, year: YearPlan, batch: YearBatch) -> tuple[str, ...]:
    """The pool's key tasks no batch of the year has drawn yet, in pool order."""
    if not year.key_tasks:
        return ()
    ours = view[(view["year"] == year.id) & view["kind"].isin(["random", "batch"])]
    drawn = {t for tasks in ours["tasks"] for t in tasks.split(";")}  # a batch marker names every task it took
    remaining = tuple(t for t in year.key_tasks if t not in drawn)
    if batch.key > len(remaining):
        message = _(
            "Batch {batch!r} takes {key} key tasks of the year's pool, but only {remaining} "
            "remain undrawn in the ledger."
        )
        raise YearError(message.format(batch=batch.id, key=batch.key, remaining=list(remaining)))
    return remaining


def prepare_batch(year: YearPlan, batch_id: str, plan: Plan, population: Population, view: LedgerView) -> PreparedBatch:
    """A year's batch from the year plan, the year's plan, the batch's population and the ledger's view.

    Raises
    ------
    YearError
        If the batch is not in the year, comes out of order, or takes more of the key pool than remains.
    """
    batch = year.batch(batch_id)
    rules = year_rules(view.rows, year, batch.id, plan)
    source = f"ledger view at seq {view.head['seq']}"
    # the eligible base reads the history before the year: this year's checks must not shrink it
    plain = _history(view.rows[view.rows["year"] != year.id], year, None, source)
    drawing = batch_plan(year, batch.id, plan, {t.id: 0 for t in general_tasks(plan, batch)})
    base: dict[str, int] = {}
    covered: dict[str, int] = {}
    for task in general_tasks(drawing, batch):
        members = _base(population, drawing, task, plain, year.base)
        base[task.id] = len(members)
        covered[task.id] = len(members & rules.drawn.get(task.id, frozenset()))
    counts = batch_counts(year, batch.id, plan, base=base, covered=covered)
    share = year.cumulative_share(batch.id)
    tasks = {
        task_id: {
            "base": base[task_id],
            "target": math.ceil(year.target * base[task_id]),
            "due": math.ceil(math.ceil(year.target * base[task_id]) * share),
            "covered": covered[task_id],
            "count": counts[task_id],
        }
        for task_id in counts
    }
    remaining = _key_remaining(view.rows, year, batch)
    record = YearRecord(year.id, batch.id, dict(view.head), tasks, key_remaining=remaining)
    history = _history(view.rows, year, rules, source)
    return PreparedBatch(batch_plan(year, batch.id, plan, counts), history, record, year, plan, counts)
