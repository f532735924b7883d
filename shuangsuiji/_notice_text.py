"""How the public notices say things in words: ratios, scopes, seed modes, dates (private module).

A notice is read by the public, so it never shows what only the library understands: a ratio is a
percentage (``2%``, not ``0.02``), a task's scope names its columns in Chinese and spells out what a
pattern means (``行业：F52*（以F52开头）``), and the seed's mode is named as ``docs/ceremony.md``
names it.

Examples
--------
>>> from fractions import Fraction
>>> percent_text(Fraction(1, 50)), percent_text(Fraction(1, 40)), percent_text(Fraction(1, 3))
('2%', '2.5%', '约33.33%')
>>> scope_words({"industry": ("F52*", "H62*"), "entity_type": ("企业",)})
'行业：F52*（以F52开头）、H62*（以H62开头）；主体类型：企业'
>>> scope_words({})
'全部检查对象'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from fractions import Fraction
from types import MappingProxyType

from .columns import CHINESE_HEADERS
from .validation import fraction_text

__all__ = [
    "SCOPE_LABELS",
    "SEED_MODES",
    "chinese_date",
    "percent_decimals",
    "percent_text",
    "scope_words",
    "text_width",
]

#: The words a notice uses for a ``where`` column; other columns take their Chinese header
#: (:data:`shuangsuiji.columns.CHINESE_HEADERS`), and a bureau's own column its own name.
SCOPE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "industry": "行业",
        "region": "行政区划",
        "entity_type": "主体类型",
        "size": "企业规模",
        "scale": "企业规模",
        "credit_class": "信用风险分类",
        "risk_tier": "风险等级",
        "status": "登记状态",
        "station": "所属监管所",
    }
)
#: The seed's mode (``manifest.json``: ``seed.mode``) as the notices' footer names it.
SEED_MODES: Mapping[str, str] = MappingProxyType({"commit-reveal": "承诺—揭示", "beacon": "仅信标", "seed": "直接给定"})


def percent_text(value: Fraction) -> str:
    """A ratio as a percentage: exact when it terminates, else ``约`` and two decimals."""
    text = fraction_text(value * 100)
    if "/" in text:
        return f"约{float(value * 100):.2f}%"
    return f"{text}%"


def percent_decimals(text: str) -> int:
    """The decimals of a percentage written by :func:`percent_text` (for a spreadsheet's number format)."""
    number = text.removeprefix("约").removesuffix("%")
    return len(number.split(".", 1)[1]) if "." in number else 0


def _pattern(value: str) -> str:
    if value == "*":
        return "不限"
    if value.endswith("*"):
        return f"{value}（以{value[:-1]}开头）"
    return value


def scope_words(where: Mapping[str, Sequence[str]]) -> str:
    """A task's scope (its ``where`` filter) in words; ``全部检查对象`` without a filter."""
    if not where:
        return "全部检查对象"
    parts = []
    for column, values in where.items():
        label = SCOPE_LABELS.get(column) or CHINESE_HEADERS.get(column) or column
        parts.append(f"{label}：{'、'.join(_pattern(v) for v in values)}")
    return "；".join(parts)


def chinese_date(day: dt.date) -> str:
    """``2027年3月1日``.

    Examples
    --------
    >>> chinese_date(dt.date(2027, 3, 1))
    '2027年3月1日'
    """
    return f"{day.year}年{day.month}月{day.day}日"


def text_width(text: str) -> int:
    """Columns a text takes in a fixed-width rendering: two for a CJK character, one for others."""
    return sum(2 if ord(c) > 0x2E7F else 1 for c in text)
