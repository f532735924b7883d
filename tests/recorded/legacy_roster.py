"""The example roster as the code of the recording wrote it (before issue 14), frozen for the reference runs.

Issue 14 sized the synthetic roster to staff the example plan (:func:`shuangsuiji.synthetic.make_roster`).
The roster is an input of the reference runs, not code they check: :func:`recorded_roster` keeps the
runs on the roster they were recorded with, so every file they publish (draw, assignment, notices)
still compares byte for byte with ``outputs.json``. This is a verbatim copy of ``make_roster`` of
commit d47ebcf; do not edit it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping
from unittest import mock

import numpy as np
import pandas as pd

from shuangsuiji.synthetic import example_plan_toml

__all__ = ["make_roster", "recorded_roster"]


@contextlib.contextmanager
def recorded_roster() -> Iterator[None]:
    """Within it, the example city (``example``, the demo) gets the roster and the plan of the recording.

    Issue 14 added ``joint_fallback = "lead-alone"`` and ``candidates = 16`` to the example plan (an
    input); the recorded runs keep the plan as it was, so the draws they pin do not move.
    """
    added = ("joint_fallback = ", "candidates = ")
    plan = "\n".join(line for line in example_plan_toml().split("\n") if not line.startswith(added))
    with (
        mock.patch("shuangsuiji.workflow.demo.make_roster", make_roster),
        mock.patch("shuangsuiji.workflow.demo.example_plan_toml", lambda: plan),
    ):
        yield


# The example roster of the recording (发起部门 and 配合部门).
DEPARTMENTS: tuple[str, ...] = ("市场监管局", "税务局", "生态环境局", "卫生健康委", "应急管理局")
_SURNAMES = tuple("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗")
_GIVEN = tuple("伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华")


#: Officers per 100,000 entities by department: enough for the example plan with about 20% to spare.
OFFICERS_PER_100K: Mapping[str, float] = {
    "市场监管局": 380,
    "税务局": 100,
    "生态环境局": 45,
    "卫生健康委": 8,
    "应急管理局": 6,
}


def make_roster(
    population: pd.DataFrame,
    *,
    seed: int = 0,
    per_100k: Mapping[str, float] | None = None,
    experts: int = 12,
    capacity: tuple[int, int] = (30, 60),
    year: int = 2027,
) -> pd.DataFrame:
    """A synthetic inspector roster (执法检查人员名录库) with an expert pool (专家库).

    Parameters
    ----------
    population : pandas.DataFrame
        Its ``region`` and ``station`` columns give the officers' regions and stations; each
        region gets officers in proportion to its entities (at least 2 per department).
    per_100k : mapping, optional
        Department -> officers per 100,000 entities (default :data:`OFFICERS_PER_100K`).
    experts : int
        Outside experts (fields 特种设备, 食品, 环境监测).
    capacity : (int, int)
        Range of officers' capacities (visits this batch).

    Returns
    -------
    pandas.DataFrame
        ``inspector_id, name, department, station, region, cert_no, certificates,
        lead, capacity, unavailable, active, kind``, all text.
    """
    rng = np.random.default_rng([seed, 7])
    rates = dict(per_100k or OFFICERS_PER_100K)
    stations = population.groupby("region")["station"].unique()
    entities = population["region"].value_counts()
    fields = {"市场监管局": ("食品", "特种设备"), "卫生健康委": ("食品",), "应急管理局": ("特种设备",)}
    rows = []
    n = 0
    for region in sorted(stations.index):
        for d_index, (department, rate) in enumerate(rates.items()):
            for _ in range(max(2, round(rate * int(entities[region]) / 100_000))):
                n += 1
                own = fields.get(department, ())
                certs = [f for f in own if rng.random() < 0.5]
                leave = ""
                if rng.random() < 0.3:
                    start = dt.date(year, 3, 1) + dt.timedelta(days=int(rng.integers(0, 28)))
                    leave = f"{start.isoformat()}~{(start + dt.timedelta(days=int(rng.integers(0, 4)))).isoformat()}"
                rows.append(
                    {
                        "inspector_id": f"{region}-{d_index + 1}{n:04d}",
                        "name": str(rng.choice(_SURNAMES)) + "".join(rng.choice(_GIVEN, size=int(rng.integers(1, 3)))),
                        "department": department,
                        "station": str(rng.choice(stations[region])),
                        "region": region,
                        "cert_no": f"豫{region}{n:05d}",
                        "certificates": ";".join(certs),
                        "lead": "是" if rng.random() < 0.6 else "否",
                        "capacity": str(int(rng.integers(capacity[0], capacity[1] + 1))),
                        "unavailable": leave,
                        "active": "否" if rng.random() < 0.03 else "是",
                        "kind": "officer",
                    }
                )
    rows += [_expert(rng, e) for e in range(experts)]
    return pd.DataFrame(rows).astype("str")


def _expert(rng: np.random.Generator, e: int) -> dict[str, str]:
    """The roster row of outside expert number ``e`` (fields 特种设备, 食品, 环境监测 in turn)."""
    return {
        "inspector_id": f"EXP-{e + 1:03d}",
        "name": str(rng.choice(_SURNAMES)) + "".join(rng.choice(_GIVEN, size=2)),
        "department": "专家库",
        "station": "",
        "region": "",
        "cert_no": "",
        "certificates": ("特种设备", "食品", "环境监测")[e % 3],
        "lead": "否",
        "capacity": "40",
        "unavailable": "",
        "active": "是",
        "kind": "expert",
    }
