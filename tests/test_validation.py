"""The check_* helpers and exact decimal text."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from shuangsuiji.exceptions import PlanError, SeedError
from shuangsuiji.seed import check_seed
from shuangsuiji.validation import (
    check_fraction,
    check_identifier,
    check_int,
    check_text_list,
    fraction_text,
    value_text,
)


@pytest.mark.parametrize(
    ("seed", "hint"),
    [
        ("AB" * 32, "lower case"),
        ("ab" * 31, "has 62 characters"),
        ("zz" * 32, "64 lowercase"),
        (123, "got 123"),
    ],
)
def test_bad_seeds(seed: object, hint: str) -> None:
    with pytest.raises(SeedError, match=hint):
        check_seed(seed)


def test_seed_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        check_seed("x")


@pytest.mark.parametrize("value", ["", "a b", "x" * 65, "计划", 7, None])
def test_bad_identifiers(value: object) -> None:
    with pytest.raises(PlanError, match="1 to 64 characters"):
        check_identifier(value, "The plan 'id'")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.05", Fraction(1, 20)), (0.1, Fraction(1, 10)), (1, Fraction(1)), (Decimal("0.3"), Fraction(3, 10))],
)
def test_fractions_are_exact(value: object, expected: Fraction) -> None:
    assert check_fraction(value, "x") == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1.5", "The 'ratio' of task 'T1' must be in [0, 1]; got '1.5'."),
        ("-0.1", "must be in [0, 1]"),
        ("abc", "decimal number"),
        ("1/3", "decimal number"),
        (True, "decimal number"),
        (float("nan"), "finite"),
        ("inf", "finite"),
        ([1], "decimal number"),
    ],
)
def test_bad_fractions(value: object, message: str) -> None:
    with pytest.raises(PlanError) as info:
        check_fraction(value, "The 'ratio' of task 'T1'")
    assert message in str(info.value)


def test_fraction_without_upper_bound() -> None:
    assert check_fraction("4", "m", high=None) == 4


@given(st.fractions(min_value=-1000, max_value=1000, max_denominator=10**6))
def test_fraction_text_round_trips(value: Fraction) -> None:
    text = fraction_text(value)
    back = Fraction(text) if "/" in text else Fraction(Decimal(text))
    assert back == value
    if "/" not in text:
        assert not text.endswith("0") or "." not in text


def test_value_text_and_lists() -> None:
    assert value_text(410302, "v") == "410302"
    with pytest.raises(PlanError, match="quote it"):
        value_text(1.5, "v")
    with pytest.raises(PlanError, match="twice"):
        check_text_list(["A", "A"], "The 'where.x' of task 'T1'")
    with pytest.raises(PlanError, match="non-empty list"):
        check_text_list([], "The 'where.x' of task 'T1'")
    with pytest.raises(PlanError, match="at least 1"):
        check_int(0, "The 'annual_cap'", minimum=1)
