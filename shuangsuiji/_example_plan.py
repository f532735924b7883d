"""The example plan of the synthetic city (:func:`example_plan_toml`), also parsed (:func:`example_plan`)."""

from __future__ import annotations

import tomllib

from .plan import Plan, parse_plan

__all__ = ["example_plan", "example_plan_toml"]


def example_plan() -> Plan:
    """The example plan, parsed.

    Examples
    --------
    >>> [t.id for t in example_plan().tasks]
    ['SC-GS', 'SC-SP', 'SW-FP', 'HB-PW']
    """
    return parse_plan(tomllib.loads(example_plan_toml()))


def example_plan_toml(plan_id: str = "LY-2027-Q1", *, year: int = 2027) -> str:
    """The example plan (TOML text): general and key tasks of four departments."""
    return f'''# Example plan: Luoyang, first batch of {year} (synthetic; see docs/plan.md for the schema).
id = "{plan_id}"
title = "洛阳市{year}年第一批部门联合双随机抽查计划(示例)"
start = {year}-03-01
end = {year}-03-31
floor = "0.05"                    # ordinary items reach at least 5% of eligible entities

[credit]
classes = ["A", "B", "C", "D"]    # 国市监信发〔2022〕6号 credit-risk classes

[assignment]                      # how visits are staffed (docs/assignment.md)
team_size = 2                     # officers per department per visit (行政处罚法 art. 42: at least two)
jurisdiction = "region"           # officers serve their own district or county
cross_station = true              # 所所交叉: never an entity of the officer's own station
rotation = 1                      # not the officer of the entity's last inspection
relation_hops = 2                 # recuse officers within two hops of the entity in the relation graph
daily_cap = 4                     # visits per officer per day
window = "{year}-03-01:{year}-03-31"
joint_fallback = "lead-alone"     # 一次多查: the lead department goes even when a partner's team cannot
candidates = 16                   # each team draws from the first 16 eligible officers (and leads) a seeded walk meets

[multipliers.credit_class]        # A lighter ("无事不扰"), C and D heavier
A = "0.5"
B = "1"
C = "2"
D = "4"

[[tasks]]
id = "SC-GS"
name = "企业公示信息抽查"
department = "市场监管局"
items = ["企业公示信息", "登记事项"]
category = "general"
ratio = "0.02"                    # below the floor: the 5% floor decides the sample
exclude_inspected_within_days = 180
annual_cap = 2

[[tasks]]
id = "SC-SP"
name = "食品经营安全检查"
department = "市场监管局"
items = ["食品经营许可", "食品安全管理制度"]
category = "key"
ratio = "0.03"
strata = ["credit_class", "risk_tier"]
take_all = {{ credit_class = ["D"] }}   # key items: class D fully covered
certificates = ["食品"]           # the lead (主检) holds a food-safety qualification
[tasks.where]
industry = ["F52*", "H62*"]
[tasks.multipliers.risk_tier]
"1" = "0.5"
"2" = "1"
"3" = "2"
"4" = "4"

[[tasks]]
id = "SW-FP"
name = "发票使用情况检查"
department = "税务局"
items = ["发票管理"]
category = "general"
ratio = "0.02"
[tasks.where]
entity_type = ["企业"]

[[tasks]]
id = "HB-PW"
name = "排污许可执行情况检查"
department = "生态环境局"
items = ["排污许可"]
category = "key"
ratio = "0.10"
coordination = "independent"
strata = ["credit_class", "region"]
[tasks.where]
industry = ["C*"]
'''
