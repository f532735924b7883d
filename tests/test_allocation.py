"""Exact allocation: hand-worked vectors, errors, and properties against the reference algebra."""

from __future__ import annotations

import dataclasses
from fractions import Fraction, Fraction as F

import pytest
from hypothesis import given, strategies as st

from shuangsuiji import AllocationError, InputError, StratumSpec, allocate

from . import reference


def test_hand_worked_floor_binding() -> None:
    # docs/algorithm.md, "An allocation with the floor binding":
    # N = 20, f = 1/4 -> target 5; at r = 1/10 the quotas sum to 2.9, so r' solves 1 + 19 r' = 5.
    specs = [
        StratumSpec("credit_class=A", 8, F(1, 2)),
        StratumSpec("credit_class=B", 7, F(1)),
        StratumSpec("credit_class=C", 4, F(2)),
        StratumSpec("credit_class=D", 1, F(4), take_all=True),
    ]
    a = allocate(specs, ratio=F(1, 10), floor=F(1, 4))
    assert a.floor_binding and a.ratio == F(4, 19)
    assert [s.quota for s in a.strata] == [F(16, 19), F(28, 19), F(32, 19), F(1)]
    assert a.sample == 5 and [s.sample for s in a.strata] == [1, 1, 2, 1]
    assert a.total_quota == a.floor_target == 5


def test_remainder_ties_go_by_label() -> None:
    a = allocate([StratumSpec("region=410303", 9), StratumSpec("region=410302", 11)], ratio=F(1, 2))
    assert [(s.label, s.sample) for s in a.strata] == [("region=410302", 6), ("region=410303", 4)]


def test_floor_past_a_breakpoint() -> None:
    # Target 7/8 * 20 = 17.5. Up to r = 1/2 the quotas are 10r + 20r; there c saturates at 10,
    # so the solution lies on the next piece: 10 + 10r = 17.5, r = 3/4; n = 18 -> a 8, c 10.
    specs = [StratumSpec("a", 10, F(1)), StratumSpec("c", 10, F(2))]
    a = allocate(specs, ratio=F(1, 10), floor=F(7, 8))
    assert a.ratio == F(3, 4) and a.total_quota == F(35, 2)
    assert [s.sample for s in a.strata] == [8, 10]
    # Exactly at the breakpoint: target 15 is met at r = 1/2.
    assert allocate(specs, ratio=F(1, 10), floor=F(3, 4)).ratio == F(1, 2)


def test_unreachable_floor_names_the_cause() -> None:
    with pytest.raises(AllocationError, match=r"strata with multiplier 0 can never be drawn: \['a'\]"):
        allocate([StratumSpec("a", 10, F(0))], ratio=F(1, 10), floor=F(1, 20))
    # Zero multipliers without a floor are fine: nothing is drawn there.
    assert allocate([StratumSpec("a", 10, F(0))], ratio=F(1, 10)).sample == 0


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="distinct"):
        allocate([StratumSpec("a", 1), StratumSpec("a", 2)], ratio=F(1))
    with pytest.raises(ValueError, match="non-negative"):
        allocate([StratumSpec("a", 1, F(-1))], ratio=F(1))


def test_empty_task() -> None:
    a = allocate([], ratio=F(1, 10), floor=F(1, 20))
    assert a.sample == 0 and a.eligible == 0 and not a.floor_binding


strata_specs = st.lists(
    st.tuples(st.integers(0, 200), st.integers(0, 50).map(lambda k: F(k, 10)), st.booleans()),
    min_size=1,
    max_size=8,
)


@given(strata_specs, st.integers(0, 100).map(lambda k: F(k, 100)), st.integers(0, 100).map(lambda k: F(k, 100)))
def test_allocation_properties(raw: list[tuple[int, F, bool]], ratio: F, floor: F) -> None:
    specs = [StratumSpec(f"s={i:02d}", n, m, ta) for i, (n, m, ta) in enumerate(raw)]
    ref_strata = {s.label: (s.population, s.multiplier, s.take_all) for s in specs}
    try:
        a = allocate(specs, ratio=ratio, floor=floor)
    except AllocationError:
        with pytest.raises(ValueError, match="unreachable"):
            reference.allocate(ref_strata, ratio, floor)
        return
    ref_ratio, ref_sizes = reference.allocate(ref_strata, ratio, floor)
    assert a.ratio == ref_ratio
    assert {s.label: s.sample for s in a.strata} == ref_sizes
    # n_h never above N_h, each n_h within one of its quota, and the floor met.
    for s in a.strata:
        assert 0 <= s.sample <= s.population and abs(s.sample - s.quota) < 1
        assert s.sample == s.population if s.take_all else True
    assert sum(s.sample for s in a.strata) == a.sample >= a.floor_target
    assert a.total_quota >= a.floor_target
    if a.floor_binding:
        assert a.total_quota == a.floor_target and a.ratio > ratio
        # Minimal: any smaller ratio above the base falls short.
        below = a.ratio - (a.ratio - ratio) / 1000
        assert sum(reference.quotas(ref_strata, below).values()) < a.floor_target


@given(
    sizes=st.lists(st.integers(0, 60), min_size=1, max_size=6),
    minimum=st.integers(0, 400),
    ratio=st.fractions(0, 1, max_denominator=50),
)
def test_a_minimum_count_is_met_exactly_or_all_are_taken(sizes: list[int], minimum: int, ratio: Fraction) -> None:
    """``minimum`` raises the sample to at least that many (all of them when fewer are eligible), exactly as a floor."""
    specs = [StratumSpec(f"s={i}", n, Fraction(i + 1)) for i, n in enumerate(sizes)]
    alloc = allocate(specs, ratio=ratio, minimum=minimum)
    eligible = sum(sizes)
    assert alloc.sample >= min(minimum, eligible)
    plain = allocate(specs, ratio=ratio)
    if plain.total_quota >= min(minimum, eligible):
        assert alloc == dataclasses.replace(plain, minimum=minimum)
    else:
        assert alloc.total_quota == min(minimum, eligible) and alloc.floor_binding
    with pytest.raises(InputError, match="0 or more"):
        allocate(specs, ratio=ratio, minimum=-1)
