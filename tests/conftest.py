"""Shared fixtures and Hypothesis profiles.

Tiers: plain unit tests, Hypothesis properties, and tests marked ``slow``
(statistical and larger runs). ``python3 run.py test`` runs them all with the
``ci`` profile (derandomised, so CI is repeatable); set
``HYPOTHESIS_PROFILE=dev`` locally for a random, longer search.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

from shuangsuiji import Plan, example_plan_toml, load_plan, make_population, parse_plan, read_table
from shuangsuiji._i18n import set_language, using_language
from shuangsuiji.cli import main
from shuangsuiji.io import write_csv
from shuangsuiji.synthetic import make_roster

settings.register_profile(
    "ci", derandomize=True, max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

#: The suite asserts the English messages whatever the developer's locale; tests of the Chinese ask for it.
os.environ["SHUANGSUIJI_LANG"] = "en"

VECTORS = Path(__file__).parent / "vectors"
#: SHA-256 of the text "shuangsuiji test vector".
GOLDEN_SEED = "33e944098cf4ef60379ce36c50cb01e7c39e5b77fb6601b6425657ba4b1d3e06"
SEED = "ab" * 32


@pytest.fixture(autouse=True)
def _language_of_the_environment() -> Iterator[None]:
    """``main(["--lang", ...])`` chooses the language for the process: every test ends back on the environment's."""
    yield
    set_language(None)


def raised(error: type[Exception], call: Callable[[], object], lang: str | None = None) -> Exception:
    """The error ``call`` raises, with its messages in ``lang`` (the suite's English without it)."""
    with pytest.raises(error) as info:
        if lang is None:
            call()
        else:
            with using_language(lang):
                call()
    return info.value


def example_inputs(tmp: Path) -> list[str]:
    """The draw's input options for an example city written to ``tmp/in`` by ``shuangsuiji example``."""
    folder = tmp / "in"
    return [
        f"--{role}={folder / name}"
        for role, name in (("population", "population.csv"), ("plan", "plan.toml"), ("history", "history.csv"))
    ]


def golden_args(vectors: Path, out: Path) -> list[str]:
    """A draw of the golden vectors into ``out``."""
    population, plan = vectors / "golden_population.csv", vectors / "golden_plan.toml"
    return ["draw", "--population", str(population), "--plan", str(plan), "--seed", GOLDEN_SEED, "--out", str(out)]


def publish(
    tmp: Path,
    *,
    entities: int,
    seed: int,
    beacon_value: str = "9f",
    staffing: Callable[[], list[str]] | None = None,
) -> Path:
    """The example city committed and drawn as a bureau would publish it; returns the draw's folder.

    ``staffing`` writes the assignment's inputs once the example exists and returns the ``commit``
    options that bind them (``--roster ...``).
    """
    assert main(["example", "--out", str(tmp / "in"), "--entities", str(entities), "--seed", str(seed)]) == 0
    inputs = example_inputs(tmp)
    secret = ["--secret-out", str(tmp / "private/secret.txt")]
    bound = staffing() if staffing is not None else []
    commit = ["commit", *inputs, *bound, "--beacon", "drand quicknet round 1", "--out", str(tmp / "pub"), *secret]
    assert main(commit) == 0
    assert (
        main(
            [
                "draw",
                *inputs,
                "--commitment",
                str(tmp / "pub/commitment.json"),
                "--beacon-value",
                beacon_value,
                "--secret",
                str(tmp / "private/secret.txt"),
                "--out",
                str(tmp / "pub/draw"),
            ]
        )
        == 0
    )
    return tmp / "pub/draw"


def publish_staffed(
    tmp: Path, *, entities: int, seed: int, people: tuple[str, ...] = (), window: str | None = None
) -> Path:
    """The example city published (:func:`publish`) and staffed from a synthetic roster; returns the draw's folder.

    ``people`` names the example's other staffing inputs to use (``relations``, ``requests``,
    ``conflicts``); without a ``window`` the plan's 2027 window is dated with the example's calendar.
    """
    files = [f"--roster={tmp / 'in/roster.csv'}", *(f"--{role}={tmp / 'in' / f'{role}.csv'}" for role in people)]
    files += [] if window else [f"--calendar-overrides={tmp / 'in/calendar-2027.csv'}"]

    def roster() -> list[str]:
        population = pd.read_csv(tmp / "in/population.csv", dtype=str, encoding="utf-8-sig")
        write_csv(make_roster(population, seed=seed), tmp / "in/roster.csv")
        return files

    draw = publish(tmp, entities=entities, seed=seed, staffing=roster)
    args = ["assign", str(draw), "--population", str(tmp / "in/population.csv"), *files]
    args += ["--window", window] if window else []
    assert main([*args, "--allow-partial"]) == 0
    return draw


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
