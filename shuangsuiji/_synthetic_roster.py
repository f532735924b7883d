"""The synthetic city's inspector roster (执法检查人员名录库) and expert pool (专家库), sized to staff a plan.

:func:`expected_workload` reckons what a plan's draw is expected to ask of each department at each
station; :func:`make_roster` gives each department of each region the officers, 主检 and
certificates for it, spread over the stations for cross-station mode (所所交叉). Everything is drawn
from ``numpy.random.default_rng(seed)``. Both are public as :mod:`shuangsuiji.synthetic`'s.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._example_plan import example_plan
from .plan import Plan, Task
from .sampling import draw

__all__ = ["DEPARTMENTS", "EXPERT_FIELDS", "expected_workload", "make_roster"]

#: Departments of the example roster (发起部门 and 配合部门).
DEPARTMENTS: tuple[str, ...] = ("市场监管局", "税务局", "生态环境局", "卫生健康委", "应急管理局")
_SURNAMES = tuple("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗")
_GIVEN = tuple("伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华")


#: Certificates (fields) an officer of a department may hold besides those a plan's tasks ask of a lead.
_FIELDS: Mapping[str, tuple[str, ...]] = {
    "市场监管局": ("食品", "特种设备"),
    "卫生健康委": ("食品",),
    "应急管理局": ("特种设备",),
}
#: Fields of the expert pool (专家库), besides those a plan's tasks ask for.
EXPERT_FIELDS: tuple[str, ...] = ("特种设备", "食品", "环境监测")
#: Seed of the sizing draw of :func:`expected_workload`: SHA-256 of the text "shuangsuiji roster sizing".
_SIZING_SEED = hashlib.sha256(b"shuangsuiji roster sizing").hexdigest()
_LEAD_SHARE = 0.6  # officers flagged 主检, at least
_INACTIVE = 0.03  # inactive officers, listed on top of the active ones
_EXPERT_CAPACITY = 40


def _chances(population: pd.DataFrame, plan: Plan) -> dict[str, npt.NDArray[np.float64]]:
    """Each entity's chance of being drawn by each task (task id -> one value per population row)."""
    result = draw(population, plan, _SIZING_SEED)  # on the available CPUs: the same draw whatever their number
    codes = population["uscc"].astype(str)
    out: dict[str, npt.NDArray[np.float64]] = {}
    for task in plan.tasks:
        fates = result.outcomes(task.id)  # in population order
        fate = fates["outcome"].astype(str).to_numpy()
        if not np.array_equal(fates["uscc"].astype(str).to_numpy(), codes.to_numpy()):
            fate = fates.set_index("uscc")["outcome"].astype(str).reindex(codes).to_numpy()
        alloc = result.allocation[result.allocation["task_id"] == task.id]
        share = alloc["sample"] / alloc["population"].where(alloc["population"] > 0)
        rate = dict(zip(alloc["stratum"], share, strict=True))
        overall = float(alloc["sample"].sum()) / max(int(alloc["population"].sum()), 1)
        labels = pd.Series([""] * len(population), index=population.index)
        for i, column in enumerate(task.strata):
            labels = labels + ("|" if i else "") + f"{column}=" + population[column].astype(str)
        chance = labels.map(rate).fillna(overall).to_numpy(dtype=float)
        out[task.id] = np.where(np.isin(fate, ["selected", "not_selected"]), chance, 0.0)
    return out


def _union(chances: Mapping[str, npt.NDArray[np.float64]], tasks: list[Task], plan_id: str) -> npt.NDArray[np.float64]:
    """The chance of being drawn by any of ``tasks``: the largest chance within a ticket scope, scopes independent."""
    miss = np.ones(len(next(iter(chances.values()))) if chances else 0)
    for scope in sorted({t.scope(plan_id) for t in tasks}):
        miss = miss * (1 - np.max([chances[t.id] for t in tasks if t.scope(plan_id) == scope], axis=0))
    return 1 - miss


def expected_workload(population: pd.DataFrame, plan: Plan | None = None) -> pd.DataFrame:
    """The teams a plan's draw is expected to ask of each department at each station.

    An entity's chance of being drawn by a task is its stratum's ``sample / population`` (0
    outside the task's scope or when excluded), the strata and their samples read off one draw
    of the plan with a fixed public seed (SHA-256 of the text "shuangsuiji roster sizing"), so
    the figures depend on no real draw's seed. A department's tasks that share tickets (the
    plan's coordinated tasks) overlap as much as they can, so an entity's chance of a visit by
    the department is the largest of their chances; independent tasks combine as independent
    draws.

    Parameters
    ----------
    population : pandas.DataFrame
        The entities, with ``region``, ``station`` and the columns the plan reads.
    plan : Plan, optional
        Default: the example plan (:func:`~shuangsuiji.synthetic.example_plan_toml`).

    Returns
    -------
    pandas.DataFrame
        ``region, station, department, teams, places`` and a column ``lead:C`` for each
        certificate ``C`` the plan's tasks ask of a lead (the teams whose lead must hold it):
        expected counts, by ``(region, station, department)``. A team's places are the
        largest team size of its department's tasks (an upper bound). Expert places are rows
        of department ``expert:FIELD``, region and station empty.

    Raises
    ------
    PopulationError, PlanError
        If the plan cannot be drawn on the population (a column it reads is missing, say).

    Examples
    --------
    >>> from shuangsuiji.synthetic import make_population
    >>> work = expected_workload(make_population(2000, seed=1))
    >>> sorted(set(work["department"]))
    ['市场监管局', '生态环境局', '税务局']
    >>> float(work["places"].sum() / work["teams"].sum())  # teams of two
    2.0
    """
    plan = plan if plan is not None else example_plan()
    chances = _chances(population, plan)
    certificates = sorted({c for t in plan.tasks for c in t.certificates})
    where = {c: population[c].astype(str).to_numpy() for c in ("region", "station")}
    parts = []
    for department in sorted({t.department for t in plan.tasks}):
        own = [t for t in plan.tasks if t.department == department]
        teams = _union(chances, own, plan.id)
        size = max(t.team_size or plan.assignment.team_size for t in own)
        part = pd.DataFrame({**where, "department": department, "teams": teams, "places": teams * size})
        for c in certificates:
            needing = [t for t in own if c in t.certificates]
            part[f"lead:{c}"] = _union(chances, needing, plan.id) if needing else 0.0
        parts.append(part)
    for fld in sorted({t.expert for t in plan.tasks if t.expert is not None}):
        places = float(_union(chances, [t for t in plan.tasks if t.expert == fld], plan.id).sum())
        parts.append(pd.DataFrame({"region": "", "station": "", "department": f"expert:{fld}", "places": [places]}))
    columns = ["region", "station", "department", "teams", "places", *(f"lead:{c}" for c in certificates)]
    if not parts:
        return pd.DataFrame(
            {c: pd.Series(dtype=str if c in ("region", "station", "department") else float) for c in columns}
        )
    frame = pd.concat(parts, ignore_index=True).reindex(columns=columns)
    frame["teams"] = frame["teams"].fillna(frame["places"])
    frame = frame.fillna({f"lead:{c}": 0.0 for c in certificates})
    return frame.groupby(["region", "station", "department"], as_index=False, sort=True).sum()


def make_roster(
    population: pd.DataFrame,
    *,
    seed: int = 0,
    plan: Plan | None = None,
    spare: float = 1.25,
    capacity: tuple[int, int] = (20, 40),
    experts_per_field: int = 4,
    year: int = 2027,
) -> pd.DataFrame:
    """A synthetic inspector roster (执法检查人员名录库) with an expert pool (专家库), sized to staff a plan.

    Each department of each region gets capacity for ``spare`` times the places the plan is
    expected to ask of it (:func:`expected_workload`) plus three of their standard deviations,
    at the mean of ``capacity`` an officer, and at least two officers a station, spread evenly
    over the stations so that cross-station mode (所所交叉) leaves most of them eligible. At least
    60% are 主检, enough of them (at least one a station) holding each certificate the tasks ask
    of a lead. A department without work keeps two officers a region. About 30% are on leave a
    few days of March; a further 3% are inactive. The expert pool has ``experts_per_field``
    experts of each field (:data:`EXPERT_FIELDS` and the plan's), more if its places need them.

    Parameters
    ----------
    population : pandas.DataFrame
        The entities (:func:`~shuangsuiji.synthetic.make_population`): their ``region`` and
        ``station`` give the officers' regions and stations, and the plan's draw on them the work.
    seed : int
        Seed of :func:`numpy.random.default_rng`.
    plan : Plan, optional
        The plan to staff (default: :func:`~shuangsuiji.synthetic.example_plan_toml`).
    spare : float
        Capacity and leads per expected need (for recusals, rotation, cross-station mode, leave, dates).
    capacity : (int, int)
        Range of the officers' capacities (visits this batch).
    experts_per_field : int
        Experts of each field, at least.
    year : int
        Year of the leave days, in March.

    Returns
    -------
    pandas.DataFrame
        ``inspector_id, name, department, station, region, cert_no, certificates,
        lead, capacity, unavailable, active, kind``, all text.

    Raises
    ------
    PopulationError, PlanError
        If the plan cannot be drawn on the population.

    Examples
    --------
    >>> from shuangsuiji.synthetic import make_population
    >>> roster = make_roster(make_population(2000, seed=1), seed=1)
    >>> roster.groupby("kind").size().to_dict()
    {'expert': 12, 'officer': 299}
    """
    rng = np.random.default_rng([seed, 7])
    plan = plan if plan is not None else example_plan()
    work = expected_workload(population, plan)
    sums = work.groupby(["region", "department"]).sum(numeric_only=True)
    stations = population.groupby("region")["station"].unique()
    departments = [*DEPARTMENTS, *sorted({t.department for t in plan.tasks} - set(DEPARTMENTS))]
    width = len(str(len(departments)))
    certificates = sorted({c for t in plan.tasks for c in t.certificates})
    mean = (capacity[0] + capacity[1]) / 2
    rows: list[dict[str, str]] = []
    for region in sorted(stations.index):
        own = sorted(map(str, stations[region]))
        for d_index, department in enumerate(departments):
            need = sums.loc[(region, department)].to_dict() if (region, department) in sums.index else {}
            group = (region, department, f"{d_index + 1:0{width}d}")
            for i, role in enumerate(_group(rng, need, k=len(own), spare=spare, mean=mean, certificates=certificates)):
                rows.append(_officer(rng, len(rows) + 1, group, own, i, role, capacity=capacity, year=year))
    rows += _experts(rng, work, plan, per_field=experts_per_field, spare=spare)
    return pd.DataFrame(rows).astype("str")


def _officer(  # noqa: PLR0917 - one officer's place in the loop, all positional
    rng: np.random.Generator,
    n: int,
    group: tuple[str, str, str],
    stations: list[str],
    i: int,
    role: tuple[bool, tuple[str, ...], bool],
    *,
    capacity: tuple[int, int],
    year: int,
) -> dict[str, str]:
    """The roster row of officer number ``n``, the ``i``-th of its group ``(region, department, code)``.

    ``role`` is ``(lead, certificates, active)``; an active officer serves station ``i`` of the
    region's ``stations`` (round the list), an inactive one any. Some hold more of their
    department's certificates, and about 30% are on leave a few days of March of ``year``.
    """
    region, department, code = group
    lead, held, active = role
    extra = [f for f in _FIELDS.get(department, ()) if f not in held and rng.random() < 0.5]
    leave = ""
    if rng.random() < 0.3:
        start = dt.date(year, 3, 1) + dt.timedelta(days=int(rng.integers(0, 28)))
        leave = f"{start.isoformat()}~{(start + dt.timedelta(days=int(rng.integers(0, 4)))).isoformat()}"
    return {
        "inspector_id": f"{region}-{code}{n:04d}",
        "name": str(rng.choice(_SURNAMES)) + "".join(rng.choice(_GIVEN, size=int(rng.integers(1, 3)))),
        "department": department,
        "station": stations[i % len(stations)] if active else str(rng.choice(stations)),
        "region": region,
        "cert_no": f"豫{region}{n:05d}",
        "certificates": ";".join(sorted({*held, *extra})),
        "lead": "是" if lead else "否",
        "capacity": str(int(rng.integers(capacity[0], capacity[1] + 1))),
        "unavailable": leave,
        "active": "是" if active else "否",
        "kind": "officer",
    }


def _ample(expected: float, spare: float) -> float:
    """What to provide for an expected count: ``spare`` times it and three of its standard deviations."""
    return spare * (expected + 3 * math.sqrt(expected))


def _group(
    rng: np.random.Generator,
    need: Mapping[str, float],
    *,
    k: int,
    spare: float,
    mean: float,
    certificates: list[str],
) -> list[tuple[bool, tuple[str, ...], bool]]:
    """One department's officers in a region of ``k`` stations: ``(lead, certificates, active)`` each.

    ``need`` holds the group's expected ``teams``, ``places`` and ``lead:C`` (empty: no work),
    ``mean`` an officer's mean capacity. Active officer ``i`` serves station ``i % k``; the
    holders of each certificate are the first officers, then the other leads, so that every
    role is spread over the stations.
    """
    places = float(need.get("places", 0.0))
    if places <= 0:
        return [(bool(rng.random() < _LEAD_SHARE), (), True) for _ in range(2)]

    def officers_for(expected: float) -> int:
        return math.ceil(_ample(expected, spare) / mean)

    count = max(officers_for(places), 2 * k)
    holders = {c: max(officers_for(need[f"lead:{c}"]), k) for c in certificates if need.get(f"lead:{c}", 0.0) > 0}
    leads = max(math.ceil(_LEAD_SHARE * count), officers_for(need["teams"]), k, *holders.values())
    leads = min(count, leads)
    out = [(i < leads, tuple(c for c, h in holders.items() if i < h), True) for i in range(count)]
    return out + [(False, (), False) for _ in range(int(rng.binomial(count, _INACTIVE)))]


def _experts(
    rng: np.random.Generator, work: pd.DataFrame, plan: Plan, *, per_field: int, spare: float
) -> list[dict[str, str]]:
    """The expert pool: ``per_field`` experts of each field at least, more where the plan's expert places need them."""
    fields = [*EXPERT_FIELDS, *sorted({t.expert for t in plan.tasks if t.expert is not None} - set(EXPERT_FIELDS))]
    places = dict(zip(work["department"], work["places"], strict=True))
    counts = {
        f: max(per_field, math.ceil(_ample(places.get(f"expert:{f}", 0.0), spare) / _EXPERT_CAPACITY)) for f in fields
    }
    order = [f for r in range(max(counts.values(), default=0)) for f in fields if r < counts[f]]
    return [_expert(rng, e, f) for e, f in enumerate(order)]


def _expert(rng: np.random.Generator, e: int, field: str) -> dict[str, str]:
    """The roster row of outside expert number ``e``, of one field."""
    return {
        "inspector_id": f"EXP-{e + 1:03d}",
        "name": str(rng.choice(_SURNAMES)) + "".join(rng.choice(_GIVEN, size=2)),
        "department": "专家库",
        "station": "",
        "region": "",
        "cert_no": "",
        "certificates": field,
        "lead": "否",
        "capacity": str(_EXPERT_CAPACITY),
        "unavailable": "",
        "active": "是",
        "kind": "expert",
    }
