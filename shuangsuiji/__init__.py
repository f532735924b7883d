"""shuangsuiji: verifiable 双随机、一公开 (double random, one public) inspections.

Draw inspection targets at random from a published seed, so that anyone can
recompute every draw with nothing but ``sha256sum``.

Examples
--------
>>> import pandas as pd
>>> import shuangsuiji as ssj
>>> pop = pd.DataFrame({"uscc": ["91110000600037341L", "9144030071526726XG"], "credit_class": ["B", "B"]})
>>> plan = ssj.parse_plan({"id": "P1", "tasks": [{"id": "T1", "department": "市场监管局",
...                        "items": ["企业公示信息"], "ratio": "0.5"}]})
>>> ssj.draw(pop, plan, "0" * 64).selection["uscc"].tolist()
['9144030071526726XG']
"""

from ._version import __version__
from .allocation import StratumAllocation, StratumSpec, TaskAllocation, allocate
from .credit import CreditPolicy
from .exceptions import (
    AllocationError,
    HistoryError,
    InputError,
    InternalError,
    PlanError,
    PopulationError,
    Problem,
    SeedError,
    ShuangsuijiError,
    TableError,
)
from .exclusions import History, check_history
from .io import read_allow_list, read_table
from .manifest import InputFile, canonical_json, draw_manifest, write_draw
from .plan import Plan, Task, load_plan, parse_plan
from .population import Population, check_population
from .sampling import ALGORITHM, OUTCOMES, DrawResult, draw, ticket, ticket_digests
from .synthetic import example_plan_toml, make_history, make_population
from .uscc import is_valid_uscc, uscc_check_character, uscc_problem

__all__ = [
    "ALGORITHM",
    "OUTCOMES",
    "AllocationError",
    "CreditPolicy",
    "DrawResult",
    "History",
    "HistoryError",
    "InputError",
    "InputFile",
    "InternalError",
    "Plan",
    "PlanError",
    "Population",
    "PopulationError",
    "Problem",
    "SeedError",
    "ShuangsuijiError",
    "StratumAllocation",
    "StratumSpec",
    "TableError",
    "Task",
    "TaskAllocation",
    "__version__",
    "allocate",
    "canonical_json",
    "check_history",
    "check_population",
    "draw",
    "draw_manifest",
    "example_plan_toml",
    "is_valid_uscc",
    "load_plan",
    "make_history",
    "make_population",
    "parse_plan",
    "read_allow_list",
    "read_table",
    "ticket",
    "ticket_digests",
    "uscc_check_character",
    "uscc_problem",
    "write_draw",
]
