"""Shared fixtures and Hypothesis profiles.

Tiers: plain unit tests, Hypothesis properties, and tests marked ``slow``
(statistical and larger runs). ``python3 run.py test`` runs them all with the
``ci`` profile (derandomised, so CI is repeatable); set
``HYPOTHESIS_PROFILE=dev`` locally for a random, longer search.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

from shuangsuiji import Plan, example_plan_toml, load_plan, make_population, parse_plan, read_table

settings.register_profile(
    "ci", derandomize=True, max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

VECTORS = Path(__file__).parent / "vectors"
#: SHA-256 of the text "shuangsuiji test vector".
GOLDEN_SEED = "33e944098cf4ef60379ce36c50cb01e7c39e5b77fb6601b6425657ba4b1d3e06"
SEED = "ab" * 32


@pytest.fixture
def vectors() -> Path:
    return VECTORS


@pytest.fixture
def golden_population() -> pd.DataFrame:
    return read_table(VECTORS / "golden_population.csv")


@pytest.fixture
def golden_plan() -> Plan:
    return load_plan(VECTORS / "golden_plan.toml")


@pytest.fixture(scope="session")
def city() -> pd.DataFrame:
    """A synthetic city of 3,000 entities (shared, read-only)."""
    return make_population(3000, seed=11)


@pytest.fixture(scope="session")
def city_plan() -> Plan:
    return parse_plan(tomllib.loads(example_plan_toml()))
