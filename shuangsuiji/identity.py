"""Which identity an entity's code is, and what Excel did to the codes it destroyed.

Most entities are keyed by their unified social credit code (统一社会信用代码, GB 32100-2015). A
register's export still holds entities that never received one, keyed by an older number; and
codes that passed through a number column of Excel arrive destroyed. This module names each case.
``docs/inputs.md`` states the rules for users and ``docs/algorithm.md`` the ticket key of each kind.

The kinds, tried in this order on the code after :func:`normalise_code`:

``uscc``
    18 characters that pass the GB 32100-2015 check.
``regno`` (注册号)
    15 characters: 15 digits whose last is the ISO 7064 MOD 11,10 check digit of the first 14
    (GS 15-2006), or a farmers' cooperative's number, 6 digits, ``NA``, 6 digits and a check
    character (a digit or ``X``).
``old`` (旧注册号)
    A registration number from before 2007: 12 or 13 digits, or text with at least one Chinese
    character and at least one digit (``企独琼总字第008245号``).

A code of none of these kinds is refused, with the reason; a code Excel destroyed is named so
(:func:`excel_damage`), with how to get it back, and is never compared with other codes.

Examples
--------
>>> [identity_kind(c) for c in ("91110000600037341L", "469006600187440", "企独琼总字第008245号", "无资料内容")]
['uscc', 'regno', 'old', None]
>>> excel_damage("9.14690062012665E+17") is not None
True
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._i18n import N_, _
from .exceptions import Problem
from .uscc import UsccStatus, is_valid_uscc, uscc_problem, uscc_status

__all__ = [
    "EXCEL_FIX",
    "IDENTITY_KINDS",
    "code_problems",
    "excel_damage",
    "identity_kind",
    "normalise_code",
    "normalised_codes",
    "regno_check_digit",
]

#: The kinds of identity and their names in Chinese (the triage report and the notices).
IDENTITY_KINDS: Mapping[str, str] = MappingProxyType({"uscc": "统一社会信用代码", "regno": "注册号", "old": "旧注册号"})
#: How to get back a code Excel destroyed (English in the triage table; shown translated in messages).
EXCEL_FIX = N_(
    "format the column as text (设置单元格格式 → 文本) and export it again from the register, or type the code "
    "again from the licence; the digits Excel shows are not the code"
)
#: What Excel did to a code (English in the triage table; shown translated in messages).
_SCIENTIFIC_DAMAGE = N_(
    "Excel stored this code as a number and shows it in scientific notation; its last digits are lost"
)
_POINT_ZERO_DAMAGE = N_(
    "the code went through a number column (a trailing '.0'); Excel or a script turned it into a number"
)
_ZEROS_DAMAGE = N_("the code has 15 digits followed by zeros: Excel keeps 15 significant digits and lost the rest")

_REGNO_DIGITS = re.compile(r"[0-9]{15}")
_REGNO_COOP = re.compile(r"[0-9]{6}NA[0-9]{6}[0-9X]")
_OLD_DIGITS = re.compile(r"[0-9]{12,13}")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_DIGIT = re.compile(r"[0-9]")
_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]+)?E\+?[0-9]+", re.IGNORECASE)
_POINT_ZERO = re.compile(r"[0-9]+\.0+")
_LONG_DIGITS = re.compile(r"[0-9]{16,20}")
_BLANKS = re.compile(r"\s+")
_ALLOWED_LEGACY = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def normalise_code(text: str) -> str:
    """A code as the library keys it: NFKC (full-width characters made half-width), blanks removed.

    Examples
    --------
    >>> normalise_code("９１１１００００６０００３７３４１Ｌ"), normalise_code("H N-WN371 1234")
    ('91110000600037341L', 'HN-WN3711234')
    """
    return _BLANKS.sub("", unicodedata.normalize("NFKC", text))


def regno_check_digit(body: str) -> str:
    """The check digit of a 15-digit registration number's first 14 digits (ISO 7064 MOD 11,10).

    Examples
    --------
    >>> regno_check_digit("46900660018744")
    '0'
    """
    p = 10
    for ch in body:
        s = (p + int(ch)) % 10 or 10
        p = s * 2 % 11
    return str((11 - p) % 10)


def identity_kind(code: str) -> str | None:
    """The kind of identity a (normalised) code is: ``uscc``, ``regno``, ``old``, or ``None``."""
    if len(code) == 18 and is_valid_uscc(code):
        return "uscc"
    if len(code) == 15:
        if _REGNO_DIGITS.fullmatch(code):
            return "regno" if regno_check_digit(code[:14]) == code[14] else None
        if _REGNO_COOP.fullmatch(code):
            return "regno"
    if _OLD_DIGITS.fullmatch(code):
        return "old"
    if _CJK.search(code) and _DIGIT.search(code) and len(code) <= 40:
        return "old"
    return None


def excel_damage(code: str) -> str | None:
    """What Excel did to a code it destroyed, or ``None`` when the code does not look so.

    Examples
    --------
    >>> excel_damage("9.14690062012665E+17")
    'Excel stored this code as a number and shows it in scientific notation; its last digits are lost'
    >>> excel_damage("469006600187440.0")
    "the code went through a number column (a trailing '.0'); Excel or a script turned it into a number"
    >>> excel_damage("914690062012665000")
    'the code has 15 digits followed by zeros: Excel keeps 15 significant digits and lost the rest'
    >>> excel_damage("91110000600037341L") is None
    True
    """
    if _SCIENTIFIC.fullmatch(code):
        return _SCIENTIFIC_DAMAGE
    if _POINT_ZERO.fullmatch(code):
        return _POINT_ZERO_DAMAGE
    if _LONG_DIGITS.fullmatch(code) and set(code[15:]) == {"0"} and not is_valid_uscc(code):
        return _ZEROS_DAMAGE
    return None


def code_problems(
    uscc: pd.Series, rows: npt.NDArray[np.int64], *, source: str, allow_list: Collection[str] = ()
) -> list[Problem]:
    """Codes that are no identity (docs/inputs.md): not a USCC (GB 32100-2015), 注册号 or old number.

    A code Excel destroyed is named so, with how to get it back; allow-listed codes (legal codes
    that fail the GB 32100 check) are accepted if they are upper-case letters and digits.
    """
    problems: list[Problem] = []

    def add(i: int, message: str) -> None:
        problems.append(Problem(source, int(rows[i]), "uscc", str(uscc.iat[i]), message))

    status = uscc_status(uscc)
    for i in np.flatnonzero(status != UsccStatus.OK).tolist():
        code = str(uscc.iat[i])
        if code in allow_list and status[i] != UsccStatus.EMPTY:
            if not set(code) <= _ALLOWED_LEGACY:
                add(i, _("an allow-listed code must still be upper-case letters and digits"))
            continue
        if status[i] == UsccStatus.EMPTY:
            add(i, _("the entity has no code (统一社会信用代码 or 注册号); fill it in or delete the row"))
            continue
        if identity_kind(code) is not None:
            continue
        damage = excel_damage(code)
        if damage is not None:
            add(i, _("{damage}; {fix}").format(damage=_(damage), fix=_(EXCEL_FIX)))
            continue
        add(
            i,
            _(
                "{problem}, and it is neither a 15-character 注册号 nor an old registration number; "
                "correct the code, or add it to the allow-list if it is a legal legacy code"
            ).format(problem=uscc_problem(code)),
        )
    return problems


def normalised_codes(codes: pd.Series) -> tuple[pd.Series, int, int | None]:
    """Codes NFKC-normalised with blanks removed; how many changed and the position of the first."""
    odd = codes.str.contains(r"[^0-9A-Z]", regex=True).to_numpy(dtype=bool)
    if not odd.any():
        return codes, 0, None
    fixed = codes.copy()
    changed = 0
    first: int | None = None
    for i in np.flatnonzero(odd).tolist():
        text = str(codes.iat[i])
        norm = normalise_code(text)
        if norm != text:
            fixed.iat[i] = norm
            changed += 1
            first = i if first is None else first
    return fixed, changed, first
