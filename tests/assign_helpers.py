"""Small assignment instances for tests: visits, rosters and conflicts built directly."""

from __future__ import annotations

from typing import Any

import pandas as pd

from shuangsuiji.plan import parse_plan
from shuangsuiji.roster import Roster, check_roster
from shuangsuiji.uscc import uscc_check_character
from shuangsuiji.visits import Visits, make_visits


def codes(n: int) -> list[str]:
    bodies = [f"9141030{1 + i % 3}{i:08d}{i % 10}" for i in range(n)]
    return [b + uscc_check_character(b) for b in bodies]


def instance(
    n_visits: int,
    *,
    joint: int = 0,
    regions: tuple[str, ...] = ("410302",),
    stations: tuple[str, ...] = ("S1",),
    team_size: int = 2,
    certificates: tuple[str, ...] = (),
    expert: str | None = None,
    assignment: dict[str, Any] | None = None,
) -> tuple[Any, Visits]:
    """A plan with tasks of two departments; the first ``joint`` visits get both."""
    task_a: dict[str, Any] = {
        "id": "A",
        "department": "市场监管局",
        "items": ["公示"],
        "ratio": "1",
        "team_size": team_size,
    }
    if certificates:
        task_a["certificates"] = list(certificates)
    if expert:
        task_a["expert"] = expert
    task_b = {"id": "B", "department": "税务局", "items": ["发票"], "ratio": "1"}
    plan = parse_plan({"id": "P", "assignment": assignment or {}, "tasks": [task_a, task_b]})
    uscc = codes(n_visits)
    pop = pd.DataFrame(
        {
            "uscc": uscc,
            "name": [f"企业{i}" for i in range(n_visits)],
            "region": [regions[i % len(regions)] for i in range(n_visits)],
            "station": [stations[i % len(stations)] for i in range(n_visits)],
        }
    )
    sel = pd.DataFrame({"task_id": ["A"] * n_visits + ["B"] * joint, "uscc": uscc + uscc[:joint]})
    return plan, make_visits(sel, plan, pop)


def roster(rows: list[dict[str, Any]]) -> Roster:
    """A checked roster from short rows (defaults: officer of 市场监管局 in 410302, station S9, lead, capacity 10)."""
    full = []
    for i, r in enumerate(rows):
        rec = {
            "inspector_id": f"O{i:02d}",
            "name": f"人{i}",
            "department": "市场监管局",
            "station": "S9",
            "region": "410302",
            "cert_no": f"C{i:03d}",
            "certificates": "",
            "lead": "是",
            "capacity": "10",
            "unavailable": "",
            "active": "是",
            "kind": "officer",
        }
        rec.update({k: str(v) for k, v in r.items()})
        full.append(rec)
    return check_roster(pd.DataFrame(full))
