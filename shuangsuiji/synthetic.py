"""Synthetic example data: a city modelled on Luoyang (洛阳市).

Everything is drawn from ``numpy.random.default_rng(seed)``, so the same seed
gives the same city. Region codes are Luoyang's real GB/T 2260 codes,
industries real GB/T 4754-2017 classes, and every USCC is valid (GB 32100
check character and GB 11714 organisation-code check). Entities, names and
figures are invented. The roster (:func:`make_roster`) is sized to staff the plan
(:func:`expected_workload`): every rule on, nearly every visit is staffed.

Examples
--------
>>> pop = make_population(1000, seed=1)
>>> len(pop), sorted(pop["credit_class"].unique())
(1000, ['A', 'B', 'C', 'D'])
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._example_plan import example_plan_toml
from ._i18n import _
from ._synthetic_roster import DEPARTMENTS, EXPERT_FIELDS, expected_workload, make_roster
from .exceptions import InputError
from .uscc import USCC_ALPHABET, USCC_WEIGHTS

__all__ = [
    "DEPARTMENTS",
    "EXPERT_FIELDS",
    "INDUSTRIES",
    "LUOYANG_REGIONS",
    "example_plan_toml",
    "expected_workload",
    "make_conflicts",
    "make_history",
    "make_population",
    "make_roster",
    "make_usccs",
]

#: Luoyang's districts and counties (GB/T 2260, after the 2021 changes).
LUOYANG_REGIONS: Mapping[str, str] = {
    "410302": "老城区",
    "410303": "西工区",
    "410304": "瀍河回族区",
    "410305": "涧西区",
    "410307": "偃师区",
    "410308": "孟津区",
    "410311": "洛龙区",
    "410323": "新安县",
    "410324": "栾川县",
    "410325": "嵩县",
    "410326": "汝阳县",
    "410327": "宜阳县",
    "410328": "洛宁县",
    "410329": "伊川县",
}
# Rough share of entities per region (urban districts are denser).
_REGION_WEIGHTS = (6, 10, 4, 12, 8, 7, 16, 6, 4, 4, 4, 6, 4, 9)

#: GB/T 4754-2017 classes used by the example (code -> name), with a weight.
INDUSTRIES: Mapping[str, tuple[str, int]] = {
    "F5211": ("百货零售", 10),
    "F5212": ("超级市场零售", 8),
    "F5223": ("肉、禽、蛋、奶及水产品零售", 6),
    "F5261": ("汽车新车零售", 2),
    "H6210": ("正餐服务", 12),
    "H6220": ("快餐服务", 8),
    "C1391": ("淀粉及淀粉制品制造", 1),
    "C1431": ("米、面制品制造", 2),
    "C2710": ("化学药品原料药制造", 1),
    "C3311": ("金属结构制造", 2),
    "C3130": ("钢压延加工", 1),
    "E4790": ("其他房屋建筑业", 4),
    "G5430": ("道路货物运输", 5),
    "L7212": ("投资与资产管理", 6),
    "M7320": ("工程和技术研究和试验发展", 3),
    "O8010": ("居民服务", 9),
    "O8111": ("汽车修理与维护", 5),
    "K7010": ("房地产开发经营", 3),
    "I6510": ("软件开发", 4),
    "P8331": ("普通高中教育", 1),
}

_ENTITY_TYPES = {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}
_TYPE_P = (0.40, 0.58, 0.02)
_CREDIT_P = (0.20, 0.65, 0.10, 0.05)
_STATUS = ("存续", "在业", "注销", "吊销", "迁出")
_STATUS_P = (0.86, 0.07, 0.04, 0.02, 0.01)
_WORDS = tuple("华兴盛达鑫源恒泰宏丰瑞祥隆昌顺旺佳和安康福永金广利新嘉通信德泽明")
_SUFFIX = {"1": "有限公司", "2": "经营部", "3": "专业合作社"}
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])
_ALPHA = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)


def _uscc_codes(
    rng: np.random.Generator, n: int, regions: npt.NDArray[np.str_], types: npt.NDArray[np.str_]
) -> npt.NDArray[np.str_]:
    """Valid USCCs: 9 + type + region + 8-digit organisation code + GB 11714 check + GB 32100 check."""
    org = rng.integers(0, 10, size=(n, 8))
    r = 11 - (org @ _ORG_WEIGHTS) % 11
    org_check = np.where(r == 10, USCC_ALPHABET.index("X"), np.where(r == 11, 0, r))
    body = np.empty((n, 17), dtype=np.int64)
    body[:, 0] = 9
    body[:, 1] = types.astype(np.int64)
    uniq, where = np.unique(regions, return_inverse=True)
    body[:, 2:8] = np.array([[int(c) for c in reg] for reg in uniq.tolist()], dtype=np.int64).reshape(-1, 6)[where]
    body[:, 8:16] = org
    body[:, 16] = org_check
    check = (31 - (body @ np.array(USCC_WEIGHTS)) % 31) % 31
    full = np.concatenate([body, check[:, None]], axis=1)
    return np.ascontiguousarray(_ALPHA[full]).view("S18").ravel().astype("U18")


def make_usccs(n: int, *, seed: int = 0, regions: Mapping[str, str] = LUOYANG_REGIONS) -> pd.DataFrame:
    """``n`` distinct valid codes with their region and entity type, sorted by code.

    The fast part of :func:`make_population` (no names), for large benchmarks.

    Examples
    --------
    >>> make_usccs(3, seed=1)["uscc"].str.len().tolist()
    [18, 18, 18]
    """
    if n < 0:
        raise InputError(_("The number of entities must be 0 or more; got {n}.").format(n=n))
    rng = np.random.default_rng(seed)
    codes_r = np.array(list(regions))
    weights = np.array(_REGION_WEIGHTS if len(codes_r) == len(_REGION_WEIGHTS) else [1] * len(codes_r), dtype=float)
    frame = pd.DataFrame({"uscc": [], "region": [], "etype": []}, dtype="str")
    while len(frame) < n:
        m = n - len(frame) + 16  # a little slack for the rare repeated code
        region = rng.choice(codes_r, size=m, p=weights / weights.sum())
        etype = rng.choice(np.array(list(_ENTITY_TYPES)), size=m, p=_TYPE_P)
        part = pd.DataFrame({"uscc": _uscc_codes(rng, m, region, etype), "region": region, "etype": etype})
        frame = pd.concat([frame, part], ignore_index=True).drop_duplicates("uscc", ignore_index=True)
    return frame.iloc[:n].sort_values("uscc", ignore_index=True).astype("str")


def make_population(n: int, *, seed: int = 0, regions: Mapping[str, str] = LUOYANG_REGIONS) -> pd.DataFrame:
    """A synthetic population of ``n`` market entities.

    Parameters
    ----------
    n : int
        Number of entities.
    seed : int
        Seed of :func:`numpy.random.default_rng`.
    regions : mapping
        Region code -> name.

    Returns
    -------
    pandas.DataFrame
        ``uscc, name, entity_type, region, station, industry, credit_class,
        risk_tier, status``, sorted by ``uscc``.
    """
    if n < 0:
        raise InputError(_("The number of entities must be 0 or more; got {n}.").format(n=n))
    frame = make_usccs(n, seed=seed, regions=regions)
    rng = np.random.default_rng([seed, 1])
    ind_codes = np.array(list(INDUSTRIES))
    ind_w = np.array([w for _, w in INDUSTRIES.values()], dtype=float)
    industry = rng.choice(ind_codes, size=n, p=ind_w / ind_w.sum())
    station_no = rng.integers(1, 4, size=n)
    words = np.array(_WORDS)
    w1, w2 = rng.choice(words, size=n), rng.choice(words, size=n)
    # Python lists, not numpy or Arrow arrays, in the loops below: their items come out several times faster.
    region_name = pd.Series(frame["region"]).map(dict(regions)).tolist()
    ind_name = pd.Series(industry).map({k: v for k, (v, _) in INDUSTRIES.items()}).tolist()
    suffix = pd.Series(frame["etype"]).map(_SUFFIX).tolist()
    serial = rng.integers(1, 1000, size=n).astype(str).tolist()
    etypes, first, second = frame["etype"].tolist(), w1.tolist(), w2.tolist()
    name = [
        f"洛阳{rn}{a}{b}{ind}{s}{suf}" if et == "1" else f"{rn}{a}{b}{ind}{s}号{suf}"
        for rn, a, b, ind, s, suf, et in zip(region_name, first, second, ind_name, serial, suffix, etypes, strict=True)
    ]
    # Higher-risk industries (food, chemicals) lean towards higher tiers.
    risky = np.isin(industry, ["F5223", "H6210", "H6220", "C1391", "C1431", "C2710"])
    tier = np.where(
        risky,
        rng.choice(["2", "3", "4"], size=n, p=(0.4, 0.4, 0.2)),
        rng.choice(["1", "2", "3"], size=n, p=(0.5, 0.4, 0.1)),
    )
    frame = pd.DataFrame(
        {
            "uscc": frame["uscc"],
            "name": name,
            "entity_type": pd.Series(frame["etype"]).map(_ENTITY_TYPES).to_numpy(),
            "region": frame["region"],
            "station": [f"{r}-S{k}" for r, k in zip(frame["region"].tolist(), station_no.tolist(), strict=True)],
            "industry": industry,
            "credit_class": rng.choice(np.array(["A", "B", "C", "D"]), size=n, p=_CREDIT_P),
            "risk_tier": tier,
            "status": rng.choice(np.array(_STATUS), size=n, p=_STATUS_P),
        }
    )
    return frame.sort_values("uscc", ignore_index=True).astype("str")


def make_conflicts(
    population: pd.DataFrame, roster: pd.DataFrame, *, seed: int = 0, share: float = 0.002
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Synthetic recusal inputs: declared conflicts, recusal requests and a relation graph.

    Returns
    -------
    (declared, requests, relations)
        ``inspector_id, uscc, reason``; ``uscc, inspector_id, reason``; and ``a, b, relation``
        where some officers' relatives are shareholders or legal representatives of entities
        of the officer's region (two hops).
    """
    rng = np.random.default_rng([seed, 11])
    officers = roster[roster["kind"] == "officer"]
    by_region = {str(r): np.asarray(codes, dtype=str) for r, codes in population.groupby("region")["uscc"]}
    declared, requests, relations = [], [], []
    for officer in officers.itertuples(index=False):
        pool = by_region.get(str(officer.region), np.array([], dtype=str))
        if not len(pool):
            continue
        for uscc in rng.choice(pool, size=int(rng.binomial(len(pool), share / 10)), replace=False):
            declared.append(
                (officer.inspector_id, str(uscc), str(rng.choice(["曾在该企业任职", "配偶持股", "近亲属任职"])))
            )
        if rng.random() < 0.1:
            requests.append((str(rng.choice(pool)), officer.inspector_id, "当事人申请回避"))
        if rng.random() < 0.15:
            person = f"P-{officer.inspector_id}"
            relations.append((officer.inspector_id, person, str(rng.choice(["spouse", "sibling", "parent"]))))
            for uscc in rng.choice(pool, size=min(len(pool), int(rng.integers(1, 4))), replace=False):
                relations.append((person, str(uscc), str(rng.choice(["shareholder", "legal_representative"]))))
    return (
        pd.DataFrame(declared, columns=["inspector_id", "uscc", "reason"]).astype("str"),
        pd.DataFrame(requests, columns=["uscc", "inspector_id", "reason"]).astype("str"),
        pd.DataFrame(relations, columns=["a", "b", "relation"]).astype("str"),
    )


def make_history(
    population: pd.DataFrame,
    *,
    seed: int = 0,
    year: int = 2026,
    share: float = 0.08,
    departments: tuple[str, ...] = ("市场监管局", "税务局", "生态环境局"),
    roster: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """A synthetic inspection history over ``year - 1`` and ``year``.

    About ``share`` of the entities were inspected once or more, by one of
    ``departments``, on random dates; with a ``roster``, each inspection names
    two officers of its department and region (column ``inspectors``, for rotation).
    """
    rng = np.random.default_rng(seed)
    n = len(population)
    k = int(n * share)
    who = rng.choice(n, size=k, replace=True)
    start = dt.date(year - 1, 1, 1).toordinal()
    days = rng.integers(0, 730, size=k)
    dates = [dt.date.fromordinal(start + int(d)).isoformat() for d in days]
    frame = pd.DataFrame(
        {
            "uscc": population["uscc"].to_numpy()[who],
            "department": rng.choice(np.array(departments), size=k, p=(0.6, 0.25, 0.15)),
            "date": dates,
            "kind": rng.choice(np.array(["random", "complaint", "licensing"]), size=k, p=(0.7, 0.2, 0.1)),
        }
    )
    if roster is not None:
        own = roster[roster["kind"] == "officer"]
        officers = {
            (str(r), str(d)): np.asarray(ids.tolist(), dtype=object)
            for (r, d), ids in own.groupby(["region", "department"])["inspector_id"]
        }
        region = population["region"].to_numpy()[who].tolist()
        names = []
        for r, d in zip(region, frame["department"].tolist(), strict=True):
            pool = officers.get((r, d), ())
            picks: list[str] = rng.choice(pool, size=min(2, len(pool)), replace=False).tolist() if len(pool) else []
            names.append(";".join(sorted(map(str, picks))))
        frame["inspectors"] = names
    return frame.sort_values(["date", "uscc"], ignore_index=True).astype("str")
