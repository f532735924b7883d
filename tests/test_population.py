"""Population checks: every problem at once, with file, row, column and value."""

from __future__ import annotations

import pandas as pd
import pytest

from shuangsuiji import PopulationError, check_population, parse_plan
from shuangsuiji.population import fit_plan, match_values

GOOD = ["91110000600037341L", "9144030071526726XG", "91110000710926094P"]


def plan(**task: object):  # type: ignore[no-untyped-def]
    t = {"id": "T1", "department": "d", "items": ["i"], "ratio": "0.1", **task}
    return parse_plan({"id": "P", "tasks": [t]})


def test_clean_population_is_text_and_keeps_rows() -> None:
    frame = pd.DataFrame({"credit_class": ["A", "B"], "uscc": GOOD[:2], "n": [1, None]}, index=[5, 9])
    pop = check_population(frame)
    assert pop.frame.columns.tolist() == ["uscc", "credit_class", "n"]
    assert pop.frame["n"].tolist() == ["1", ""]
    assert pop.rows.tolist() == [5, 9] and len(pop) == 2


def test_surrounding_white_space_is_stripped() -> None:
    frame = pd.DataFrame(
        {
            "uscc": [" 91110000600037341L", "9144030071526726XG\u3000", "91110000710926094P"],
            "name": ["\u00a0洛阳 ", "a", "b"],
            "credit_class": ["A", "B ", "C"],
        }
    )
    pop = check_population(frame)
    assert pop.frame["uscc"].tolist() == GOOD
    assert pop.frame["name"].tolist() == ["洛阳", "a", "b"]
    assert pop.frame["credit_class"].tolist() == ["A", "B", "C"]
    clean = check_population(pd.DataFrame({"uscc": GOOD}))
    assert clean.frame["uscc"].tolist() == GOOD


def test_every_problem_is_reported_at_once() -> None:
    frame = pd.DataFrame(
        {
            "uscc": ["91110000600037341L", "91110000600037341N", "91110000600037341L", None, "9111000060003IOZSV"],
            "credit_class": ["A", "E", "B", "", "B"],
            "risk_tier": ["1", "", "2", "3", "1"],
        },
        index=range(2, 7),
    )
    with pytest.raises(PopulationError) as info:
        check_population(frame, plan(strata=["credit_class", "risk_tier"], where={"region": ["41*"]}), source="pop.csv")
    got = {(p.row, p.column, p.value) for p in info.value.problems}
    assert got == {
        (1, "region", None),  # the plan reads a column the table lacks
        (3, "uscc", "91110000600037341N"),  # check character
        (3, "credit_class", "E"),  # unknown class
        (3, "risk_tier", ""),  # empty stratum value
        (4, "uscc", "91110000600037341L"),  # duplicate of row 2
        (5, "uscc", ""),  # empty code
        (5, "credit_class", ""),  # missing class
        (6, "uscc", "9111000060003IOZSV"),  # bad characters
    }
    text = str(info.value)
    assert "8 problems in the population 'pop.csv'" in text
    assert "pop.csv, row 4, column 'uscc', value '91110000600037341L': this code already appears in row 2" in text
    assert [p.row for p in info.value.problems] == sorted(p.row for p in info.value.problems)


def test_long_lists_are_summarised_but_kept() -> None:
    frame = pd.DataFrame({"uscc": [f"BAD{i}" for i in range(50)]})
    with pytest.raises(PopulationError) as info:
        check_population(frame)
    assert len(info.value.problems) == 50 and "and 30 more" in str(info.value)


def test_allow_list_accepts_legacy_codes_only() -> None:
    frame = pd.DataFrame({"uscc": ["91350100M0001TGQXM", "310000400012345", "legacy-1"]})
    pop = check_population(frame.iloc[:2], allow_list={"91350100M0001TGQXM", "310000400012345"})
    assert len(pop) == 2
    with pytest.raises(PopulationError, match="must still be upper-case letters and digits"):
        check_population(frame, allow_list={"91350100M0001TGQXM", "310000400012345", "legacy-1"})
    with pytest.raises(PopulationError, match="add it to the allow-list"):
        check_population(frame.iloc[:1])


def test_table_level_errors() -> None:
    with pytest.raises(PopulationError, match="has no rows"):
        check_population(pd.DataFrame({"uscc": []}))
    with pytest.raises(PopulationError, match="no 'uscc'"):
        check_population(pd.DataFrame({"code": GOOD}))


def test_missing_credit_class_policy() -> None:
    frame = pd.DataFrame({"uscc": GOOD, "credit_class": ["A", "", "C"]})
    with pytest.raises(PopulationError, match="credit class is missing"):
        check_population(frame, plan())
    p = parse_plan(
        {
            "id": "P",
            "credit": {"missing": "B"},
            "tasks": [{"id": "T", "department": "d", "items": ["i"], "ratio": "0.1"}],
        }
    )
    pop = check_population(frame, p)
    assert pop.frame["credit_class"].tolist() == ["A", "B", "C"]
    assert "1 entities have no credit class and were given class 'B'" in pop.warnings[0]
    # Without a plan that reads it, an empty class is not an error (nothing uses it).
    assert len(check_population(frame)) == 3


def test_custom_credit_classes() -> None:
    p = parse_plan(
        {
            "id": "P",
            "credit": {"classes": ["好", "中", "差"]},
            "tasks": [{"id": "T", "department": "d", "items": ["i"], "ratio": "0.1"}],
        }
    )
    frame = pd.DataFrame({"uscc": GOOD[:2], "credit_class": ["好", "A"]})
    with pytest.raises(PopulationError, match=r"unknown credit class; the classes are \['好', '中', '差'\]"):
        check_population(frame, p)


def test_fit_plan_rechecks_without_codes() -> None:
    pop = check_population(pd.DataFrame({"uscc": GOOD, "credit_class": ["A", "B", "C"]}))
    assert fit_plan(pop, plan()).frame.equals(pop.frame)
    with pytest.raises(PopulationError, match="no such column"):
        fit_plan(pop, plan(strata=["region"]))


def test_match_values_exact_and_prefix() -> None:
    col = pd.Series(["C1411", "C15", "F51", "C14"])
    assert match_values(col, ["C14*"]).tolist() == [True, False, False, True]
    assert match_values(col, ["F51", "C15"]).tolist() == [False, True, True, False]
    assert match_values(col.astype("category"), ["C14*", "F51"]).tolist() == [True, False, True, True]
