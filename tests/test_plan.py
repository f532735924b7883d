"""The plan schema: the documented example, defaults, and every error path."""

from __future__ import annotations

import datetime as dt
import tomllib
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from shuangsuiji import PlanError, example_plan_toml, load_plan, parse_plan

ISSUE_EXAMPLE = """
id = "LY-2027-Q1"
floor = "0.05"
[multipliers.credit_class]
A = "0.5"
B = "1"
C = "2"
D = "4"
[[tasks]]
id = "T1"
department = "市场监管局"
items = ["企业公示信息"]
category = "general"
ratio = "0.03"
strata = ["credit_class"]
coordination = "plan"
take_all = { credit_class = ["D"] }
[tasks.where]
region = ["410302", "410303"]
[tasks.multipliers.risk_tier]
"1" = "1"
"3" = "2"
"""


def base(**task: Any) -> dict[str, Any]:
    t = {"id": "T1", "department": "市场监管局", "items": ["企业公示信息"], "ratio": "0.03", **task}
    return {"id": "P1", "tasks": [t]}


def test_issue_example_warns_that_unused_multipliers_do_not_apply() -> None:
    # The schema example sets risk-tier multipliers on a task stratified by credit class only:
    # per the specification they contribute nothing, and the plan says so rather than ignoring them.
    plan = parse_plan(tomllib.loads(ISSUE_EXAMPLE))
    assert len(plan.warnings) == 1 and "'multipliers.risk_tier' of task 'T1' do not apply" in plan.warnings[0]
    assert "risk_tier" not in plan.tasks[0].multipliers
    fixed = ISSUE_EXAMPLE.replace('strata = ["credit_class"]', 'strata = ["credit_class", "risk_tier"]')
    plan = parse_plan(tomllib.loads(fixed))
    assert plan.warnings == ()
    assert parse_plan(plan.to_dict()) == plan
    task = plan.tasks[0]
    assert task.ratio == Fraction(3, 100) and task.floor == Fraction(1, 20)
    assert task.take_all == {"credit_class": ("D",)}
    assert task.where == {"region": ("410302", "410303")}
    assert task.multipliers["credit_class"]["A"] == Fraction(1, 2)
    assert task.multipliers["risk_tier"] == {"1": Fraction(1), "3": Fraction(2)}
    assert task.scope(plan.id) == "LY-2027-Q1"


def test_defaults_and_key_tasks() -> None:
    plan = parse_plan(base(category="key"))
    t = plan.tasks[0]
    assert t.floor == 0 and t.strata == ("credit_class",) and t.coordination == "plan"
    assert parse_plan(base(category="key", floor="0.1")).tasks[0].floor == Fraction(1, 10)
    assert parse_plan(base()).tasks[0].floor == Fraction(1, 20)


def test_task_multipliers_override_plan_tables() -> None:
    doc = base(strata=["credit_class"], multipliers={"credit_class": {"A": "3"}})
    doc["multipliers"] = {"credit_class": {"A": "0.5", "B": "1"}}
    assert dict(parse_plan(doc).tasks[0].multipliers["credit_class"]) == {"A": 3}


def test_example_plan_parses_and_round_trips_to_dict() -> None:
    plan = parse_plan(tomllib.loads(example_plan_toml()))
    assert [t.id for t in plan.tasks] == ["SC-GS", "SC-SP", "SW-FP", "HB-PW"]
    assert plan.start == dt.date(2027, 3, 1)
    d = plan.to_dict()
    assert d["tasks"][0]["ratio"] == "0.02" and d["floor"] == "0.05"
    assert parse_plan(d) == plan  # the manifest's copy of a plan is itself a plan
    assert plan.task("SW-FP").department == "税务局"
    with pytest.raises(KeyError):
        plan.task("nope")


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"tasks": []}, "The plan 'id'"),
        ({"id": "P1"}, "at least one [[tasks]]"),
        ({"id": "P1", "tasks": [], "florr": "0.1"}, "Did you mean 'floor'?"),
        (base(ration="0.1"), "Did you mean 'ratio'?"),
        ({"id": "P 1", "tasks": []}, "1 to 64 characters"),
        (base(ratio="1.5"), "The 'ratio' of task 'T1' must be in [0, 1]; got '1.5'."),
        ({"id": "P1", "tasks": [{"id": "T1", "department": "d", "items": ["i"]}]}, "'ratio' of task 'T1' is missing"),
        (base(category="urgent"), "'general' or 'key'"),
        (base(coordination="joint"), "'plan' or 'independent'"),
        (base(items=[]), "non-empty list"),
        (base(department=""), "non-empty string"),
        (base(take_all={"region": ["410302"]}), "not among its strata"),
        (base(where={"region": [4.5]}), "quote it"),
        (base(where={"region": "410302"}), "non-empty list"),
        (base(multipliers={"credit_class": {}}), "is empty"),
        (base(multipliers={"credit_class": {"A": "-1"}}), "must be in [0, inf]"),
        (base(exclude_inspected_within_days=30), "add start ="),
        (base(annual_cap=0), "at least 1"),
        ({**base(), "start": "2027-13-01"}, "must be a date"),
        ({**base(), "start": dt.datetime(2027, 3, 1, 8)}, "without a time"),
        ({**base(), "start": "2027-03-10", "end": "2027-03-01"}, "before its 'start'"),
        ({**base(), "credit": {"missing": "E"}}, "one of the classes"),
        ({**base(), "credit": {"classes": []}}, "non-empty list"),
        ({**base(), "credit": {"colum": "x"}}, "Did you mean 'column'?"),
        ({**base(), "exclusions": {"statuses": "注销"}}, "non-empty list"),
        ({"id": "P1", "tasks": [base()["tasks"][0], base()["tasks"][0]]}, "two tasks with id 'T1'"),
        ({"id": "P1", "tasks": ["T1"]}, "must be a table"),
        # numbers past any sane range: refused at once, never computed (a 10^8-digit fraction hangs)
        ({**base(), "floor": "1e-99999999"}, "at most 30 digits before and after the point; got '1e-99999999'"),
        (base(ratio="1e99999999"), "The 'ratio' of task 'T1' must be a decimal number in [0, 1] with at most 30"),
        (base(ratio="0." + "0" * 30 + "1"), "at most 30 digits"),
        (base(multipliers={"credit_class": {"A": "1e-99999999"}}), "multiplier of credit_class=A"),
        (base(ratio=Fraction(1, 10**31)), "numerator and denominator have at most 30 digits"),
        ({**base(exclude_inspected_within_days=1_000_000), "start": "2027-03-01"}, "from 0 to 36525; got 1000000"),
        ({**base(annual_cap=10**31), "start": "2027-03-01"}, "from 1 to 366"),
        (base(team_size=2**63 - 1), "The 'team_size' of task 'T1' must be a whole number from 2 to 20"),
        ({**base(), "assignment": {"team_size": 2**63 - 1}}, "'assignment.team_size' of the plan must be"),
        ({**base(), "assignment": {"daily_cap": 10**6}}, "from 1 to 100"),
        ({**base(), "assignment": {"relation_hops": 99}}, "from 1 to 10"),
        ({**base(), "assignment": {"rotation": 10**9}}, "from 0 to 100"),
        (base(minimum=2**53), "from 0 to 9007199254740991"),
        ({**base(), "start": dt.date(1, 1, 1)}, "in the years 1900 to 2999; got 0001-01-01"),
        ({**base(), "end": "9999-12-31"}, "in the years 1900 to 2999"),
    ],
)
def test_plan_errors(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(PlanError) as info:
        parse_plan(doc)
    assert message in str(info.value)


@pytest.mark.parametrize("value", ["0." + "0" * 29 + "1", "1" * 30, "123456789012345.123456789012345"])
def test_thirty_digits_are_still_exact(value: str) -> None:
    assert parse_plan(base(multipliers={"credit_class": {"A": value}})).tasks[0].multipliers["credit_class"][
        "A"
    ] == Fraction(value)


def test_load_plan_reports_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "plan.toml"
    bad.write_text('id = "P1"\n[[tasks]]\nid = "T1"\nratio = "2"\n', encoding="utf-8")
    with pytest.raises(PlanError, match=r"plan\.toml: The 'department' of task 'T1'"):
        load_plan(bad)
    bad.write_text("id = \n", encoding="utf-8")
    with pytest.raises(PlanError, match="not valid TOML"):
        load_plan(bad)
    bad.write_bytes('id = "计划"'.encode("gb18030"))
    with pytest.raises(PlanError, match="not UTF-8"):
        load_plan(bad)
    with pytest.raises(FileNotFoundError):
        load_plan(tmp_path / "missing.toml")


def test_load_plan_accepts_bom(tmp_path: Path) -> None:
    p = tmp_path / "plan.toml"
    p.write_bytes(b"\xef\xbb\xbf" + example_plan_toml().encode())
    assert load_plan(p).id == "LY-2027-Q1"
