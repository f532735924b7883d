"""GB 32100-2015 codes: golden examples, the vectorised check against the scalar one, and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from shuangsuiji.uscc import (
    USCC_ALPHABET,
    USCC_WEIGHTS,
    UsccStatus,
    is_valid_uscc,
    org_code_check_character,
    uscc_check_character,
    uscc_problem,
    uscc_status,
)

from .strategies import bodies, usccs

# From ../shared/domain.md: published valid and invalid examples.
VALID = [
    "91110000600037341L",
    "9144030071526726XG",
    "91110000710926094P",
    "91310000631696382C",
    "91310115MA1K3BTP2B",
    "121200004013590816",
]


def test_weights_are_powers_of_three_mod_31() -> None:
    assert USCC_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert len(USCC_ALPHABET) == 31 and not set("IOZSV") & set(USCC_ALPHABET)


@pytest.mark.parametrize("code", VALID)
def test_published_valid_codes(code: str) -> None:
    assert is_valid_uscc(code)
    assert uscc_check_character(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("code", "status", "fragment"),
    [
        ("91110000600037341N", UsccStatus.CHECK, "gives 'L'"),
        ("9111000060003IOZSV", UsccStatus.CHARACTER, "'I' at position 14"),
        ("91350100M0001TGQXM", UsccStatus.CHECK, "check character"),  # legal pilot code: needs the allow-list
        ("91110000600037341l", UsccStatus.LOWERCASE, "upper case ('L')"),
        ("", UsccStatus.EMPTY, "empty"),
        ("9111000060003734", UsccStatus.LENGTH, "has 16"),
        ("９1110000600037341L", UsccStatus.CHARACTER, "'９' at position 1"),  # full-width digit
        ("91110000600037341LL", UsccStatus.LENGTH, "has 19"),
    ],
)
def test_invalid_codes_are_named(code: str, status: int, fragment: str) -> None:
    problem = uscc_problem(code)
    assert problem is not None and fragment in problem
    assert uscc_status([code]).tolist() == [status]


def test_org_code_check_of_gb_11714() -> None:
    assert org_code_check_character("60003734") == "1"  # 91110000600037341L, positions 9-17
    assert org_code_check_character("MA1K3BTP") == "2"  # 91310115MA1K3BTP2B
    with pytest.raises(ValueError, match="8 digits or capitals"):
        org_code_check_character("6000373")


def test_check_character_rejects_bad_bodies() -> None:
    with pytest.raises(ValueError, match="17 characters"):
        uscc_check_character("9111000060003734")
    with pytest.raises(ValueError, match="17 characters"):
        uscc_check_character("9111000060003734I")


@given(usccs)
def test_generated_codes_are_valid(code: str) -> None:
    assert is_valid_uscc(code)


@given(bodies, st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
def test_any_single_substitution_is_caught(body: str, pos: int, char: str) -> None:
    code = body + uscc_check_character(body)
    mutated = code[:pos] + char + code[pos + 1 :]
    # Every weight is a unit mod 31 (a prime), so changing one symbol changes the sum.
    assert is_valid_uscc(mutated) == (mutated == code)


@given(st.lists(st.one_of(usccs, st.text(max_size=20), bodies.map(lambda b: b + "Z")), max_size=30))
def test_vectorised_status_agrees_with_scalar(codes: list[str]) -> None:
    status = uscc_status(codes).tolist()
    assert [s == UsccStatus.OK for s in status] == [uscc_problem(c) is None for c in codes]
