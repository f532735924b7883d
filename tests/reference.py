"""A deliberately plain re-implementation of the draw specification (docs/algorithm.md).

It shares no code with shuangsuiji: dictionaries, :func:`sorted`, :mod:`hashlib`
on strings and :class:`fractions.Fraction`. The floor ratio is found differently
from the library (by trying every set of saturated strata rather than walking
breakpoints), so a property test comparing the two checks the algebra too.
"""

from __future__ import annotations

import hashlib
import math
from fractions import Fraction
from typing import Any

INACTIVE = {"注销", "吊销", "撤销", "迁出", "deregistered", "revoked", "cancelled", "moved_out"}


def frac(text: str | int | float) -> Fraction:
    return Fraction(str(text))


def quotas(strata: dict[str, tuple[int, Fraction, bool]], r: Fraction) -> dict[str, Fraction]:
    return {h: Fraction(n) if ta else min(Fraction(n), r * m * n) for h, (n, m, ta) in strata.items()}


def floor_ratio(strata: dict[str, tuple[int, Fraction, bool]], r: Fraction, target: Fraction) -> Fraction:
    """Smallest r' > r with sum of quotas == target, by trying every saturation pattern."""
    growing = {h: (n, m) for h, (n, m, ta) in strata.items() if not ta and m > 0 and n > 0}
    fixed = sum(Fraction(n) for n, _, ta in strata.values() if ta)
    best = None
    for cut in sorted({Fraction(0)} | {1 / m for _, m in growing.values()}):
        saturated = {h for h, (_, m) in growing.items() if 1 / m <= cut}
        slope = sum(m * n for h, (n, m) in growing.items() if h not in saturated)
        if slope == 0:
            continue
        cand = (target - fixed - sum(growing[h][0] for h in saturated)) / slope
        # The candidate is valid when exactly the assumed strata are saturated at it.
        if cand > r and all((1 / m <= cand) == (h in saturated) for h, (_, m) in growing.items()):
            best = cand if best is None else min(best, cand)
    if best is None:
        raise ValueError("floor unreachable")
    return best


def allocate(
    strata: dict[str, tuple[int, Fraction, bool]], r: Fraction, f: Fraction
) -> tuple[Fraction, dict[str, int]]:
    total_n = sum(n for n, _, _ in strata.values())
    x = quotas(strata, r)
    if sum(x.values()) < f * total_n:
        r = floor_ratio(strata, r, f * total_n)
        x = quotas(strata, r)
    n = math.ceil(sum(x.values()))
    size = {h: math.floor(q) for h, q in x.items()}
    extra = n - sum(size.values())
    for h in sorted(x, key=lambda h: (-(x[h] - size[h]), h))[:extra]:
        size[h] += 1
    return r, size


def draw(rows: list[dict[str, str]], plan: dict[str, Any], seed: str) -> dict[str, dict[str, Any]]:
    """Per task id: {"selected": set of codes, "threshold": {label: ticket}, "sample": {label: n}}."""
    out: dict[str, dict[str, Any]] = {}
    plan_mult = plan.get("multipliers", {})
    for task in plan["tasks"]:
        scope = plan["id"] if task.get("coordination", "plan") == "plan" else f"{plan['id']}.{task['id']}"
        strata_cols = task.get("strata", ["credit_class"])
        where = task.get("where", {})
        eligible = [
            row
            for row in rows
            if all(row[c] in vals for c, vals in where.items()) and row.get("status", "") not in INACTIVE
        ]
        groups: dict[str, list[dict[str, str]]] = {}
        for row in eligible:
            label = "|".join(f"{c}={row[c]}" for c in strata_cols)
            groups.setdefault(label, []).append(row)
        tables = {**plan_mult, **task.get("multipliers", {})}
        strata = {}
        for label, members in groups.items():
            m = Fraction(1)
            for c in strata_cols:
                if c in tables:
                    m *= frac(tables[c][members[0][c]])
            ta = any(members[0][c] in vals for c, vals in task.get("take_all", {}).items())
            strata[label] = (len(members), m, ta)
        category = task.get("category", "general")
        f = (
            frac(task["floor"])
            if "floor" in task
            else (frac(plan.get("floor", "0.05")) if category == "general" else Fraction(0))
        )
        ratio, size = allocate(strata, frac(task["ratio"]), f)
        selected: set[str] = set()
        thresholds = {}
        for label, members in groups.items():
            ranked = sorted(
                members,
                key=lambda row: (hashlib.sha256(f"{seed}:{scope}:{row['uscc']}".encode()).hexdigest(), row["uscc"]),
            )
            chosen = ranked[: size[label]]
            selected |= {row["uscc"] for row in chosen}
            thresholds[label] = (
                hashlib.sha256(f"{seed}:{scope}:{chosen[-1]['uscc']}".encode()).hexdigest() if chosen else ""
            )
        out[task["id"]] = {"selected": selected, "threshold": thresholds, "sample": size, "ratio": ratio}
    return out
