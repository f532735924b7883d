"""Status, cool-down and annual-cap exclusions: boundaries, priority, and history errors."""

from __future__ import annotations

import pandas as pd
import pytest

from shuangsuiji import HistoryError, check_history, draw, parse_plan

from .conftest import SEED

CODES = ["91110000600037341L", "9144030071526726XG", "91110000710926094P", "91310000631696382C", "91310115MA1K3BTP2B"]


def plan(**task: object):  # type: ignore[no-untyped-def]
    t = {"id": "T", "department": "市场监管局", "items": ["i"], "ratio": "1", "strata": ["region"], **task}
    return parse_plan({"id": "P", "start": "2027-03-01", "tasks": [t]})


def population(**cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"uscc": CODES, "region": ["410302"] * 5, "status": ["存续"] * 5, **cols})


def history(rows: list[tuple[str, str, str]]):  # type: ignore[no-untyped-def]
    return check_history(pd.DataFrame(rows, columns=["uscc", "department", "date"]))


def test_status_exclusion_is_listed_with_reason() -> None:
    pop = population(status=["存续", "注销", "吊销", "在业", "迁出"])
    result = draw(pop, plan(), SEED)
    assert set(result.excluded["uscc"]) == {CODES[1], CODES[2], CODES[4]}
    assert set(result.excluded["reason"]) == {"status"}
    assert "status '注销' is not operating" in result.excluded["detail"].tolist()
    assert result.summary.loc[0, "eligible"] == 2


def test_custom_statuses() -> None:
    doc = {
        "id": "P",
        "exclusions": {"statuses": ["歇业"]},
        "tasks": [{"id": "T", "department": "d", "items": ["i"], "ratio": "1", "strata": ["region"]}],
    }
    result = draw(population(status=["歇业", "注销", "存续", "存续", "存续"]), parse_plan(doc), SEED)
    assert result.excluded["uscc"].tolist() == [CODES[0]]


def test_cooldown_boundary_is_inclusive() -> None:
    # start 2027-03-01, 30 days: on or after 2027-01-30 is too recent; 2027-01-29 is not.
    h = history(
        [
            (CODES[0], "市场监管局", "2027-01-30"),
            (CODES[1], "市场监管局", "2027-01-29"),
            (CODES[2], "税务局", "2027-02-20"),  # another department does not count
            (CODES[3], "市场监管局", "2027-03-05"),  # after the start: still recent
        ]
    )
    result = draw(population(), plan(exclude_inspected_within_days=30), SEED, history=h)
    assert sorted(result.excluded["uscc"]) == sorted([CODES[0], CODES[3]])
    detail = result.excluded.set_index("uscc").loc[CODES[0], "detail"]
    assert (
        detail
        == "inspected by 市场监管局 on 2027-01-30, on or after 2027-01-30 (cool-down of 30 days before 2027-03-01)"
    )


def test_annual_cap_counts_the_plan_year_and_department() -> None:
    h = history(
        [
            (CODES[0], "市场监管局", "2027-01-05"),
            (CODES[0], "市场监管局", "2027-02-05"),
            (CODES[1], "市场监管局", "2026-12-31"),  # last year
            (CODES[1], "市场监管局", "2027-01-02"),
            (CODES[2], "税务局", "2027-01-02"),
            (CODES[2], "税务局", "2027-01-03"),
        ]
    )
    result = draw(population(), plan(annual_cap=2), SEED, history=h)
    assert result.excluded[["uscc", "reason"]].values.tolist() == [[CODES[0], "annual_cap"]]
    assert "2 inspections by 市场监管局 in 2027 reach the annual cap of 2" in result.excluded["detail"].iloc[0]


def test_reason_priority_status_then_cooldown_then_cap() -> None:
    h = history([(CODES[0], "市场监管局", "2027-02-01")] * 2 + [(CODES[1], "市场监管局", "2027-02-01")] * 2)
    pop = population(status=["注销", "存续", "存续", "存续", "存续"])
    result = draw(pop, plan(exclude_inspected_within_days=60, annual_cap=1), SEED, history=h)
    reasons = dict(zip(result.excluded["uscc"], result.excluded["reason"], strict=True))
    assert reasons == {CODES[0]: "status", CODES[1]: "cooldown"}


def test_out_of_scope_is_counted_not_excluded() -> None:
    pop = population(
        region=["410302", "410303", "410303", "410302", "410302"], status=["存续", "注销", "存续", "存续", "存续"]
    )
    result = draw(pop, plan(where={"region": ["410302"]}), SEED)
    row = result.summary.iloc[0]
    assert (row["out_of_scope"], row["excluded"], row["eligible"]) == (2, 0, 3)
    assert result.excluded.empty
    assert result.outcomes("T")["outcome"].tolist().count("out_of_scope") == 2


def test_cap_without_history_warns() -> None:
    result = draw(population(), plan(annual_cap=1), SEED)
    assert any("no inspection history was given" in w for w in result.warnings)


def test_history_errors_are_all_reported() -> None:
    frame = pd.DataFrame(
        {
            "uscc": [CODES[0], "bad", CODES[1]],
            "department": ["市场监管局", "", "x"],
            "date": ["2027-01-01", "2027/02/30", "昨天"],
        },
        index=[2, 3, 4],
    )
    with pytest.raises(HistoryError) as info:
        check_history(frame, source="h.csv")
    got = {(p.row, p.column) for p in info.value.problems}
    assert got == {(3, "uscc"), (3, "department"), (3, "date"), (4, "date")}
    with pytest.raises(HistoryError, match="this one is missing"):
        check_history(pd.DataFrame({"uscc": [CODES[0]]}))


def test_history_date_forms() -> None:
    h = check_history(
        pd.DataFrame(
            {
                "uscc": CODES[:2],
                "department": ["d", "d"],
                "date": ["2027/1/5", "2027-01-06"],
                "kind": ["random", "complaint"],
            }
        )
    )
    assert h.frame["date"].dt.day.tolist() == [5, 6] and len(h) == 2
