"""Each team's candidates (``docs/assignment.md``, section 4): a seeded walk round the group's people.

The golden vector below was worked out with ``sha256sum`` from the docs (printf '%s' "$SEED:circle:A1" |
sha256sum, and so on), not by the module under test; :func:`_walk` is the docs' walk written out.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings, strategies as st

from shuangsuiji.assignment.candidates import candidate_mask, circle_order, start_positions
from shuangsuiji.exceptions import PlanError
from shuangsuiji.policy import AssignmentPolicy, parse_assignment
from shuangsuiji.seed import Seed

from .strategies import seeds

SEED = "0" * 64
PEOPLE = ["A1", "A2", "A3", "A4", "A5", "A6"]
TEAMS = [("V1", "d"), ("V2", "d")]


def _h(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _walk(
    seed: str, people: list[str], team: tuple[str, str], size: int, eligible: list[bool], lead: list[bool], k: int
) -> set[int]:
    """The docs' walk, written out: positions by circle digest, the start from bytes 0-7 of the start digest."""
    circle = sorted(range(len(people)), key=lambda o: _h(f"{seed}:circle:{people[o]}"))
    start = int.from_bytes(_h(f"{seed}:start:{team[0]}|{team[1]}")[:8], "big") % len(people)
    members, leads, kept = max(k, size), k, set[int]()
    for j in range(len(people)):
        o = circle[(start + j) % len(people)]
        if eligible[o] and members > 0:
            members -= 1
            kept.add(o)
        if lead[o] and leads > 0:
            leads -= 1
            kept.add(o)
    return kept


def _mask(
    seed: str,
    eligible: npt.NDArray[np.bool_],
    lead: npt.NDArray[np.bool_],
    size: list[int],
    k: int,
    people: list[str] = PEOPLE,
    teams: list[tuple[str, str]] = TEAMS,
) -> npt.NDArray[np.bool_]:
    sizes = np.array(size, dtype=np.int64)
    return candidate_mask(Seed.of(seed), people, teams, sizes, eligible=eligible, may_lead=lead, count=k)


def test_golden_vector() -> None:
    """Seed 0…0, six people, two teams of two, K = 2; A3 recused for V1, only A1, A4 and A6 may lead."""
    eligible = np.ones((6, 2), dtype=bool)
    eligible[2, 0] = False
    lead = np.zeros((6, 2), dtype=bool)
    lead[[0, 3, 5], :] = True
    # the circle and the starts, worked out with sha256sum (module docstring)
    assert [PEOPLE[o] for o in circle_order(Seed.of(SEED), PEOPLE)] == ["A5", "A3", "A6", "A1", "A2", "A4"]
    assert start_positions(Seed.of(SEED), TEAMS, 6).tolist() == [5, 3]
    keep = _mask(SEED, eligible, lead, [2, 2], 2)
    got = [sorted(PEOPLE[o] for o in np.flatnonzero(keep[:, t])) for t in range(2)]
    # V1 from position 5 meets A4, A5, (A3 recused), A6, A1, A2: members A4, A5; leads A4, A6
    # V2 from position 3 meets A1, A2, A4, A5, A3, A6: members A1, A2; leads A1, A4
    assert got == [["A4", "A5", "A6"], ["A1", "A2", "A4"]]
    for t in range(2):
        expected = _walk(SEED, PEOPLE, TEAMS[t], 2, list(eligible[:, t]), list(lead[:, t]), 2)
        assert set(np.flatnonzero(keep[:, t]).tolist()) == expected


Instance = tuple[list[str], list[tuple[str, str]], npt.NDArray[np.bool_], npt.NDArray[np.bool_], list[int]]


@st.composite
def _instances(draw: st.DrawFn) -> Instance:
    n_p, n_t = draw(st.integers(1, 9)), draw(st.integers(1, 5))
    cells = st.lists(st.booleans(), min_size=n_p * n_t, max_size=n_p * n_t)
    eligible = np.array(draw(cells), dtype=bool).reshape(n_p, n_t)
    lead = np.array(draw(cells), dtype=bool).reshape(n_p, n_t) & eligible
    size = draw(st.lists(st.integers(1, 4), min_size=n_t, max_size=n_t))
    return [f"P{i}" for i in range(n_p)], [(f"V{t}", "d") for t in range(n_t)], eligible, lead, size


@settings(max_examples=150, deadline=None)
@given(instance=_instances(), seed=seeds, k=st.integers(0, 10))
def test_candidates_are_the_walks_first_eligible_people(instance: Instance, seed: str, k: int) -> None:
    """Within the eligible; a team keeps min(eligible, max(K, size)) or more, min(leads, K) leads; K = 0 keeps all."""
    people, teams, eligible, lead, size = instance
    keep = _mask(seed, eligible, lead, size, k, people=people, teams=teams)
    assert not (keep & ~eligible).any()
    if k == 0 or k >= len(people):
        assert (keep == eligible).all()
    for t in range(len(teams)):
        assert int((keep[:, t] & eligible[:, t]).sum()) >= min(int(eligible[:, t].sum()), max(k, size[t]))
        leads = int(lead[:, t].sum())
        assert int((keep[:, t] & lead[:, t]).sum()) >= (leads if k == 0 else min(leads, k))  # more: met as members
        assert int(keep[:, t].sum()) <= (int(eligible[:, t].sum()) if k == 0 else max(k, size[t]) + k)
        if k:
            expected = _walk(seed, people, teams[t], size[t], list(eligible[:, t]), list(lead[:, t]), k)
            assert set(np.flatnonzero(keep[:, t]).tolist()) == expected
        # a team's candidates do not depend on the other teams
        alone = _mask(seed, eligible[:, [t]], lead[:, [t]], [size[t]], k, people=people, teams=[teams[t]])
        assert (alone[:, 0] == keep[:, t]).all()


def test_the_plan_setting() -> None:
    assert parse_assignment({}).candidates == 0
    assert "candidates" not in AssignmentPolicy().to_dict()  # a plan written before it keeps its bytes
    policy = parse_assignment({"candidates": 16})
    assert policy.candidates == 16 and policy.to_dict()["candidates"] == 16


@pytest.mark.parametrize(
    ("value", "said"),
    [(-1, "of at least 0; got -1"), (1001, "from 0 to 1000; got 1001"), ("16", "whole number"), (True, "whole number")],
)
def test_a_bad_setting_is_refused(value: object, said: str) -> None:
    with pytest.raises(PlanError, match=r"assignment\.candidates") as raised:
        parse_assignment({"candidates": value})
    assert said in str(raised.value)


@settings(max_examples=60, deadline=None)
@given(instance=_instances(), seed=seeds, k=st.integers(1, 6), cells=st.integers(1, 20))
def test_walking_a_few_teams_at_a_time_changes_nothing(instance: Instance, seed: str, k: int, cells: int) -> None:
    """A city-wide group is walked a slice of teams at a time (to bound memory): the same candidates."""
    people, teams, eligible, lead, size = instance
    whole = _mask(seed, eligible, lead, size, k, people=people, teams=teams)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("shuangsuiji.assignment.candidates._CELLS", cells)
        sliced = _mask(seed, eligible, lead, size, k, people=people, teams=teams)
    assert (sliced == whole).all()
