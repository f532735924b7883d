"""What a plan's task keeps of its inspection item (``[tasks.item]``), and TOML text (private module).

The plan loader (:mod:`shuangsuiji.plan`) reads a task's ``[tasks.item]`` table with
:func:`parse_task_item`; :mod:`shuangsuiji.items` writes it. Both are here, apart from the reading of
spreadsheets, so that loading a plan does not load the items list's reader.

Examples
--------
>>> TaskItem(category="食品", methods=("现场检查",), partners=("税务部门",)).to_dict()
{'category': '食品', 'methods': ['现场检查'], 'partners': ['税务部门']}
>>> toml_string('《商标法》\\n第"十六"条')
'"《商标法》\\\\n第\\\\"十六\\\\"条"'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ._i18n import _
from .validation import check_keys, check_mapping, check_text, check_text_list

__all__ = [
    "TASK_ITEM_KEYS",
    "TaskItem",
    "comment_text",
    "listed_ratio",
    "parse_task_item",
    "toml_list",
    "toml_string",
]

#: The keys of ``[tasks.item]``, in the order they are written; two of them are lists.
TASK_ITEM_KEYS = ("category", "object", "methods", "subject", "basis", "lead", "partners", "frequency", "requirements")
_LISTS = ("methods", "partners")


@dataclass(frozen=True)
class TaskItem:
    """What a plan's task keeps of its item (the ``[tasks.item]`` table); ``""`` or ``()`` when absent.

    Attributes
    ----------
    category : str
        抽查类别, or a joint list's 抽查领域.
    object, subject, basis : str
        检查对象, 检查主体, 检查依据 (lines joined by ``\\n``).
    methods : tuple of str
        检查方式.
    lead : str
        发起部门 of a joint item.
    partners : tuple of str
        配合部门 of a joint item.
    frequency, requirements : str
        抽查频次 and 检查人员要求, when the list gives them.
    """

    category: str = ""
    object: str = ""
    methods: tuple[str, ...] = ()
    subject: str = ""
    basis: str = ""
    lead: str = ""
    partners: tuple[str, ...] = ()
    frequency: str = ""
    requirements: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The table in the plan-file schema: the fields that are not empty, in :data:`TASK_ITEM_KEYS` order."""
        values = {k: getattr(self, k) for k in TASK_ITEM_KEYS}
        return {k: list(v) if k in _LISTS else v for k, v in values.items() if v}


def parse_task_item(raw: object, owner: str) -> TaskItem:
    """Read a task's ``[tasks.item]`` table: text keys must be non-empty text, list keys non-empty lists.

    Raises
    ------
    PlanError
        On an unknown key or a value of the wrong type.

    Examples
    --------
    >>> parse_task_item({"category": "食品", "methods": ["现场检查"]}, "task 'I001'").methods
    ('现场检查',)
    """
    table = check_mapping(raw, _("The 'item' of {owner}").format(owner=owner))
    check_keys(table, TASK_ITEM_KEYS, _("The [tasks.item] table of {owner}").format(owner=owner))
    values: dict[str, Any] = {}
    for key in TASK_ITEM_KEYS:
        if key in table:
            check = check_text_list if key in _LISTS else check_text
            values[key] = check(table[key], _("The 'item.{key}' of {owner}").format(key=key, owner=owner))
    return TaskItem(**values)


def toml_string(text: str) -> str:
    """A TOML basic string (quotes, backslashes and control characters escaped)."""
    escapes = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
    body = "".join(escapes.get(ch) or (f"\\u{ord(ch):04X}" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch) for ch in text)
    return f'"{body}"'


def toml_list(values: Sequence[str]) -> str:
    """A TOML array of strings on one line."""
    return "[" + ", ".join(toml_string(v) for v in values) + "]"


def comment_text(text: str, limit: int = 60) -> str:
    """Text for one comment line: blanks and line breaks made single spaces, shortened to ``limit``."""
    one = re.sub(r"\s+", " ", text).strip()
    return one if len(one) <= limit else one[: limit - 1] + "…"


def listed_ratio(text: str) -> Fraction | None:
    """A list's 抽查比例 when it is one plain percentage or decimal in [0, 1], else ``None``.

    Examples
    --------
    >>> listed_ratio("5%"), listed_ratio("0.1"), listed_ratio("不低于5%"), listed_ratio("150%")
    (Fraction(1, 20), Fraction(1, 10), None, None)
    """
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([%％]?)\s*", text)
    if m is None:
        return None
    value = Fraction(Decimal(m.group(1))) / (100 if m.group(2) else 1)
    return value if value <= 1 else None
