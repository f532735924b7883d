"""Hypothesis strategies for populations, plans and seeds."""

from __future__ import annotations

from typing import Any

import pandas as pd
from hypothesis import strategies as st

from shuangsuiji.uscc import USCC_ALPHABET, uscc_check_character

seeds = st.binary(min_size=32, max_size=32).map(bytes.hex)
bodies = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)
usccs = bodies.map(lambda b: b + uscc_check_character(b))
CLASSES = ("A", "B", "C", "D")
REGIONS = ("410302", "410303", "410305")
STATUSES = ("存续", "在业", "注销")


@st.composite
def populations(draw: Any, min_size: int = 1, max_size: int = 60) -> pd.DataFrame:
    """Frames of distinct valid codes with credit class, region, tier and status."""
    codes = draw(st.lists(usccs, min_size=min_size, max_size=max_size, unique=True))
    n = len(codes)
    return pd.DataFrame(
        {
            "uscc": codes,
            "credit_class": draw(st.lists(st.sampled_from(CLASSES), min_size=n, max_size=n)),
            "region": draw(st.lists(st.sampled_from(REGIONS), min_size=n, max_size=n)),
            "risk_tier": draw(st.lists(st.sampled_from(("1", "2", "3")), min_size=n, max_size=n)),
            "status": draw(st.lists(st.sampled_from(STATUSES), min_size=n, max_size=n)),
        }
    )


ratios = st.integers(0, 100).map(lambda k: f"{k / 100:.2f}")
multipliers = st.integers(0, 40).map(lambda k: f"{k / 10:.1f}")


@st.composite
def plans(draw: Any, n_tasks: int | None = None) -> dict[str, Any]:
    """Plan documents (as TOML would parse them) over the population columns above."""
    k = n_tasks if n_tasks is not None else draw(st.integers(1, 3))
    tasks = []
    for i in range(k):
        strata = draw(st.sampled_from([["credit_class"], ["region"], ["credit_class", "region"], ["risk_tier"]]))
        task: dict[str, Any] = {
            "id": f"T{i + 1}",
            "department": draw(st.sampled_from(["市场监管局", "税务局"])),
            "items": ["事项"],
            "category": draw(st.sampled_from(["general", "key"])),
            "ratio": draw(ratios),
            "strata": strata,
            "coordination": draw(st.sampled_from(["plan", "independent"])),
        }
        if "credit_class" in strata and draw(st.booleans()):
            task["take_all"] = {"credit_class": ["D"]}
        if draw(st.booleans()):
            task["where"] = {"region": draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=2, unique=True))}
        if "risk_tier" in strata:
            task["multipliers"] = {"risk_tier": {t: draw(multipliers) for t in ("1", "2", "3")}}
        tasks.append(task)
    # Keep multipliers positive where a floor applies, so the floor stays reachable.
    mult = {c: draw(st.integers(1, 40).map(lambda k: f"{k / 10:.1f}")) for c in CLASSES}
    return {
        "id": "HP",
        "floor": draw(st.sampled_from(["0", "0.05", "0.3"])),
        "multipliers": {"credit_class": mult},
        "tasks": tasks,
    }
