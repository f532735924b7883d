"""The unified social credit code (统一社会信用代码, USCC) of GB 32100-2015.

An USCC has 18 characters drawn from the 31 symbols ``0-9`` and
``ABCDEFGHJKLMNPQRTUWXY`` (no I, O, Z, S or V), valued 0 to 30 in that order.
Positions 1-17 carry the registering department, entity type, region (GB/T
2260) and organisation code (GB 11714); position 18 is a check character whose
value is ``(31 - S mod 31) mod 31`` where ``S`` sums value times weight over the
first 17 characters with weights ``3**(i-1) mod 31``.

Positions 9-17 are an organisation code whose own check (GB 11714, weights
3, 7, 9, 10, 5, 8, 4, 2, modulus 11) is only a warning: valid codes exist that
fail it. Some early pilot codes fail even the GB 32100 check and are legal; a
bureau lists them in an allow-list.

Examples
--------
>>> is_valid_uscc("91110000600037341L")
True
>>> uscc_check_character("91110000600037341")
'L'
>>> uscc_problem("91110000600037341N")
"check character is 'N' but GB 32100-2015 gives 'L'"
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._i18n import N_, _, fixed
from ._strings import byte_column
from .exceptions import InputError

__all__ = [
    "USCC_ALPHABET",
    "USCC_WEIGHTS",
    "UsccStatus",
    "is_valid_uscc",
    "org_code_check_character",
    "uscc_check_character",
    "uscc_problem",
    "uscc_status",
]

#: The 31 symbols of GB 32100-2015, in value order 0..30.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Weights of positions 1..17: 3**(i-1) mod 31.
USCC_WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(17))
_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}

#: GB 11714 weights of the 8 body characters of an organisation code.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Byte -> symbol value; _BAD for bytes outside the alphabet, _LOWER for a lower-case
# letter whose upper case is in the alphabet (a typing slip we can name).
_BAD, _LOWER = 255, 254
_BLOCK = 1 << 18
_LUT = np.full(256, _BAD, dtype=np.uint8)
for _c, _v in _VALUE.items():
    _LUT[ord(_c)] = _v
    if _c.isalpha():
        _LUT[ord(_c.lower())] = _LOWER


class UsccStatus:
    """Codes returned by :func:`uscc_status`, one per value."""

    OK = 0
    EMPTY = 1
    LENGTH = 2
    CHARACTER = 3
    LOWERCASE = 4
    CHECK = 5


def uscc_check_character(body: str) -> str:
    """The GB 32100-2015 check character of a 17-character code body.

    Parameters
    ----------
    body : str
        The first 17 characters of an USCC.

    Returns
    -------
    str
        The 18th character.

    Raises
    ------
    InputError
        If ``body`` is not 17 symbols of the USCC alphabet.

    Examples
    --------
    >>> uscc_check_character("91310115MA1K3BTP2")
    'B'
    """
    if len(body) != 17 or any(c not in _VALUE for c in body):
        message = _("An USCC body is 17 characters of {alphabet!r}; got {body!r}.")
        raise InputError(message.format(alphabet=USCC_ALPHABET, body=body))
    s = sum(_VALUE[c] * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - s % 31) % 31]


def org_code_check_character(body: str) -> str:
    """The GB 11714 check character of an 8-character organisation-code body.

    Digits count 0-9 and letters A-Z count 10-35; a result of 10 is written
    ``X`` and 11 is written ``0``.

    Examples
    --------
    >>> org_code_check_character("60003734")
    '1'
    """
    if len(body) != 8 or not all(c.isdigit() or "A" <= c <= "Z" for c in body):
        raise InputError(_("An organisation-code body is 8 digits or capitals; got {body!r}.").format(body=body))
    s = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    r = 11 - s % 11
    return "X" if r == 10 else "0" if r == 11 else str(r)


def _diagnose(code: str) -> tuple[int, str | None, dict[str, object]]:
    """The :class:`UsccStatus` of one code and, unless OK, why: a message (English) and its fields."""
    if code == "":
        return UsccStatus.EMPTY, N_("the code is empty"), {}
    if len(code) != 18:
        return UsccStatus.LENGTH, N_("an USCC has 18 characters; this one has {length}"), {"length": len(code)}
    for pos, c in enumerate(code, start=1):
        if c not in _VALUE:
            if c.upper() in _VALUE:
                why = N_("letter {letter!r} at position {position} must be upper case ({upper!r})")
                return UsccStatus.LOWERCASE, why, {"letter": c, "position": pos, "upper": c.upper()}
            why = N_("character {character!r} at position {position} is not in the USCC alphabet (no I, O, Z, S, V)")
            return UsccStatus.CHARACTER, why, {"character": c, "position": pos}
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        why = N_("check character is {found!r} but GB 32100-2015 gives {expected!r}")
        return UsccStatus.CHECK, why, {"found": code[17], "expected": expected}
    return UsccStatus.OK, None, {}


def uscc_problem(code: str, *, lang: str | None = None) -> str | None:
    """Why ``code`` is not a valid USCC, or ``None`` if it is.

    The reason is in the language of messages (:mod:`shuangsuiji._i18n`), or in ``lang``
    (``"en"``, ``"zh"``) when given: text written into a file passes ``lang="en"``.

    Examples
    --------
    >>> uscc_problem("9111000060003IOZSV")
    "character 'I' at position 14 is not in the USCC alphabet (no I, O, Z, S, V)"
    >>> uscc_problem("9111000060003IOZSV", lang="zh")
    "第 14 位的字符 'I' 不在统一社会信用代码的字符集中（不使用 I、O、Z、S、V）"
    """
    _status, why, fields = _diagnose(code)
    if why is None:
        return None
    return (_(why) if lang is None else fixed(why, lang)).format(**fields)


def is_valid_uscc(code: str) -> bool:
    """Whether ``code`` is a valid USCC (alphabet, length and check character).

    Examples
    --------
    >>> is_valid_uscc("9144030071526726XG"), is_valid_uscc("91110000600037341N")
    (True, False)
    """
    return uscc_problem(code) is None


def uscc_status(codes: pd.Series | Iterable[str]) -> npt.NDArray[np.int8]:
    """Check many codes at once; one :class:`UsccStatus` code per value.

    Pure-ASCII 18-byte values are checked on whole arrays, so ten million codes
    take about a second; any other value goes through :func:`uscc_problem`'s
    own logic. Use :func:`uscc_problem` on the failing ones for a message.

    Examples
    --------
    >>> uscc_status(["91110000600037341L", "91110000600037341N", "", "x"]).tolist()
    [0, 5, 1, 2]
    """
    col = byte_column(codes)
    n = len(col)
    status = np.zeros(n, dtype=np.int8)
    lengths = col.lengths
    rows18 = np.flatnonzero(lengths == 18)
    others = [np.flatnonzero(lengths != 18)]
    uniform = rows18.size == n
    for a in range(0, rows18.size, _BLOCK):  # blocks keep the temporaries in cache
        rows = rows18[a : a + _BLOCK]
        mat = col.matrix(a, a + rows.size) if uniform else col.data[col.offsets[rows][:, None] + np.arange(18)]
        vals = _LUT[mat]
        worst = vals.max(axis=1)
        # Bytes >= 0x80 (all _BAD) start multi-byte characters: leave those rows to the scalar check.
        bad = np.flatnonzero(worst == _BAD)
        if bad.size:
            others.append(rows[bad[(mat[bad] >= 0x80).any(axis=1)]])
        # Column by column in 16 bits: the sum is at most 17 * 30 * 30, so it is exact.
        total = np.zeros(len(vals), dtype=np.uint16)
        for i, w in enumerate(USCC_WEIGHTS):
            total += vals[:, i].astype(np.uint16) * w
        check_ok = ((31 - total % 31) % 31) == vals[:, 17]
        block = np.select(
            [worst == _BAD, worst == _LOWER, ~check_ok],
            [UsccStatus.CHARACTER, UsccStatus.LOWERCASE, UsccStatus.CHECK],
            default=UsccStatus.OK,
        )
        status[rows] = block
    other = np.concatenate(others)
    for i in other.tolist():
        status[i] = _diagnose(col.to_bytes(i, i + 1)[0].decode())[0]
    return status
