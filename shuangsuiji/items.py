"""The inspection items list (抽查事项清单) and the joint list (部门联合抽查事项清单), read into a plan.

A bureau publishes its items as a spreadsheet: a title row, a header of two rows (``抽查项目`` over
``抽查类别`` and ``抽查事项``), and cells merged down the rows (a department, a category, an item
written once for all the rows they cover). One item is one merged block of the ``抽查事项``
column (a row by itself when the cell is not merged); the item's other columns are the distinct
texts of its rows, in order (several ``检查依据`` rows are joined by a line break). The rules are
stated for users in ``docs/items.md``.

:func:`items_from_grid` is the pure core (a grid in, an :class:`ItemsList` out); :func:`read_items`
and :func:`read_joint_items` read the file; :func:`items_plan` writes a plan (``plan.toml``) with one
task per item, whose ``[tasks.item]`` table (:class:`TaskItem`) the plan loader reads back.

Examples
--------
>>> from shuangsuiji._sheets import grid_of_rows
>>> grid = grid_of_rows([["编制单位名称", "抽查事项", "事项类别", "检查方式"],
...                      ["省教育厅", "校服检查", "一般检查事项", "现场抽查、书面检查"]], "items.csv")
>>> item = items_from_grid(grid).items[0]
>>> item.id, item.kind, item.methods
('I001', 'general', ('现场检查', '书面检查'))
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ._i18n import _
from ._item_fields import TaskItem, parse_task_item
from ._sheets import Grid, Sheet, column_letter, normal_header, read_sheet
from ._workbooks import read_grid
from .exceptions import ItemsError, Problem

__all__ = [
    "METHODS", "METHOD_ALIASES", "Item", "ItemsList", "TaskItem", "items_from_grid",
    "parse_task_item", "read_items", "read_joint_items",
]  # fmt: skip

#: The five inspection methods (检查方式) of the provincial lists.
METHODS: tuple[str, ...] = ("现场检查", "书面检查", "网络检查", "专业机构核查", "抽样检测")
#: Other words for them, read as the method they mean.
METHOD_ALIASES: Mapping[str, str] = {"现场抽查": "现场检查", "抽样检验": "抽样检测"}
Kind = Literal["general", "key", ""]
_KINDS: Mapping[str, Kind] = {
    "一般检查事项": "general", "一般事项": "general", "一般": "general",
    "重点检查事项": "key", "重点事项": "key", "重点": "key", "": "",
}  # fmt: skip
#: Headers (after normal_header, a parenthesised remark dropped) -> the field they fill.
_HEADERS: Mapping[str, str] = {
    "编制单位名称": "department", "编制单位": "department", "发起部门": "department", "序号": "number",
    "抽查类别": "category", "抽查领域": "category", "抽查事项": "name", "检查事项": "name", "检查对象": "object",
    "事项类别": "kind", "检查方式": "methods", "检查主体": "subject", "检查依据": "basis", "配合部门": "partners",
    "抽查比例": "ratio", "抽查频次": "frequency", "检查人员要求": "requirements",
}  # fmt: skip
_SPLIT = re.compile(r"[、，,;；]")


@dataclass(frozen=True)
class Item:
    """One item of the list (抽查事项), with the rows it was read from.

    Attributes
    ----------
    id : str
        ``I001``, ``I002``... in list order; in a joint list ``J01-1`` (field 1, its item 1).
    department : str
        编制单位名称 (or 检查主体 when the list has no such column); in a joint list 发起部门.
    category : str
        抽查类别; in a joint list 抽查领域.
    name, object, subject, basis : str
        抽查事项, 检查对象, 检查主体, 检查依据 (several texts joined by line breaks); ``""`` if absent.
    kind : {'general', 'key', ''}
        一般检查事项, 重点检查事项, or ``""`` when the list does not say.
    methods : tuple of str
        检查方式, each one of :data:`METHODS` or, if unknown, as written (and warned about).
    partners : tuple of str
        配合部门 (joint lists).
    number : str
        The list's 序号 (which numbers categories or fields, not items).
    ratio, frequency, requirements : str
        抽查比例, 抽查频次, 检查人员要求 as written, when the list has them.
    rows : tuple of int
        The item's rows, numbered as Excel numbers them.
    """

    id: str
    department: str
    category: str
    name: str
    object: str = ""
    kind: Kind = ""
    methods: tuple[str, ...] = ()
    subject: str = ""
    basis: str = ""
    partners: tuple[str, ...] = ()
    number: str = ""
    ratio: str = ""
    frequency: str = ""
    requirements: str = ""
    rows: tuple[int, ...] = ()

    def task_item(self, *, joint: bool = False) -> TaskItem:
        """The fields a plan's task keeps of this item (``lead`` only for a joint item)."""
        same = ("category", "object", "methods", "subject", "basis", "partners", "frequency", "requirements")
        return TaskItem(lead=self.department if joint else "", **{k: getattr(self, k) for k in same})


@dataclass(frozen=True)
class ItemsList:
    """A list read from one sheet: its items, the rows left out and the warnings.

    Attributes
    ----------
    source, sheet : str, str or None
        The file and its sheet.
    joint : bool
        A joint list (部门联合抽查事项清单).
    items : tuple of Item
    skipped : tuple of (int, str)
        Rows below the header that are no item's (Excel numbers), with why.
    warnings : tuple of str
        What was read but may not be what the bureau meant (an unknown method, mixed kinds).
    """

    source: str
    sheet: str | None
    joint: bool
    items: tuple[Item, ...]
    skipped: tuple[tuple[int, str], ...] = ()
    warnings: tuple[str, ...] = ()

    def departments(self) -> dict[str, int]:
        """Items per department, in first-seen order."""
        return dict(Counter(item.department for item in self.items))

    def fields(self) -> dict[str, int]:
        """Items per category (抽查类别, or a joint list's 抽查领域) keyed by ``number name``, in order."""
        return dict(Counter(f"{item.number} {item.category}".strip() for item in self.items))

    def kinds(self) -> dict[str, int]:
        """Items per kind: ``general``, ``key`` and ``""`` (not said)."""
        counts = Counter(item.kind for item in self.items)
        return {k: counts[k] for k in ("general", "key", "")}


def _clean(text: str) -> str:
    """Cell text with line ends made ``\\n``, blanks in a line collapsed, empty lines dropped."""
    lines = (re.sub(r"[ \t\u3000\xa0]+", " ", line).strip() for line in re.split(r"\r\n|\r|\n", text))
    return "\n".join(line for line in lines if line)


def _field_of(name: str) -> str | None:
    """The field a header names: whole, by its last part, with a parenthesised remark dropped."""
    for candidate in (name, name.rsplit("/", 1)[-1]):
        key = normal_header(candidate)
        for k in (key, re.sub(r"\(.*?\)", "", key)):
            if k in _HEADERS:
                return _HEADERS[k]
    return None


def _split_methods(texts: Sequence[str]) -> tuple[tuple[str, ...], list[str]]:
    """The methods named in ``texts`` (normalised, each once) and the words not among :data:`METHODS`."""
    out: list[str] = []
    unknown: list[str] = []
    for text in texts:
        for part in _SPLIT.split(text):
            bare = re.sub(r"\s+", "", part).removesuffix("等")
            word = METHOD_ALIASES.get(bare, bare)
            if word and word not in out:
                out.append(word)
                if word not in METHODS:
                    unknown.append(word)
    return tuple(out), unknown


def _split_list(texts: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    for text in texts:
        for word in (w.strip() for w in _SPLIT.split(text)):
            if word and word not in out:
                out.append(word)
    return tuple(out)


class _Reader:
    """Reads items from a sheet, gathering problems and warnings."""

    def __init__(self, sheet: Sheet, joint: bool) -> None:
        self.sheet, self.joint = sheet, joint
        self.where = sheet.grid.where()
        self.columns: dict[str, int] = {}
        for j, name in enumerate(sheet.names):
            found = _field_of(name) if name else None
            if found is not None and found not in self.columns:
                self.columns[found] = j
        if "department" not in self.columns and "subject" in self.columns and not joint:
            self.columns["department"] = self.columns["subject"]
        self.problems: list[Problem] = list(sheet.grid.problems)
        self.warnings: list[str] = []
        self.unknown_methods: dict[str, list[int]] = {}

    def column(self, field: str) -> str:
        j = self.columns[field]
        return f"{column_letter(j)} ({self.sheet.names[j]})"

    def texts(self, rows: Sequence[int], field: str) -> list[str]:
        """The distinct texts of a column over ``rows``: a merged range counts once, a repeated text too."""
        j = self.columns.get(field)
        if j is None:
            return []
        seen: set[int] = set()
        out: list[str] = []
        for r in rows:
            origin = self.sheet.origin_row(r, j)
            text = _clean(self.sheet.grid.cells[r][j])
            if origin not in seen and text and text not in out:
                out.append(text)
            seen.add(origin)
        return out

    def kind(self, rows: Sequence[int]) -> Kind:
        kinds: list[Kind] = []
        for r in rows:
            value = re.sub(r"\s+", "", self.sheet.grid.cells[r][self.columns["kind"]])
            if value not in _KINDS:
                self.problems.append(
                    Problem(
                        self.where,
                        r + 1,
                        self.column("kind"),
                        value,
                        _("not an item kind (事项类别); write 一般检查事项 or 重点检查事项, or leave it empty"),
                    )
                )
            elif _KINDS[value] and _KINDS[value] not in kinds:
                kinds.append(_KINDS[value])
        if len(kinds) > 1:
            message = _(
                "{where}, rows {first}-{last}, column {column}: one item is both "
                "一般检查事项 and 重点检查事项 (by 检查对象); it is read as key (no upper limit), split it in two "
                "tasks to give the ordinary objects their floor"
            )
            column = self.column("kind")
            self.warnings.append(message.format(where=self.where, first=rows[0] + 1, last=rows[-1] + 1, column=column))
            return "key"
        return kinds[0] if kinds else ""

    def item(self, rows: Sequence[int], item_id: str) -> Item:
        cells = self.sheet.grid.cells
        name = "\n".join(self.texts(rows, "name"))
        department = "、".join(self.texts(rows, "department"))
        if not name:
            self.problems.append(
                Problem(
                    self.where,
                    rows[0] + 1,
                    self.column("name"),
                    "",
                    _("this row has no 抽查事项 (item name); write the item's name, or delete the row"),
                )
            )
        elif not department:
            field = "department" if "department" in self.columns else "name"
            self.problems.append(
                Problem(
                    self.where,
                    rows[0] + 1,
                    self.column(field),
                    cells[rows[0]][self.columns[field]],
                    _("this item has no department (编制单位名称 / 发起部门); write the department"),
                )
            )
        methods, unknown = _split_methods(self.texts(rows, "methods"))
        for word in unknown:
            self.unknown_methods.setdefault(word, []).append(rows[0] + 1)
        one = "\n".join
        return Item(
            id=item_id,
            department=department,
            category=one(self.texts(rows, "category")),
            name=name,
            object=one(self.texts(rows, "object")),
            kind=self.kind(rows) if "kind" in self.columns else "",
            methods=methods,
            subject=one(self.texts(rows, "subject")),
            basis=one(self.texts(rows, "basis")),
            partners=_split_list(self.texts(rows, "partners")),
            number="、".join(self.texts(rows, "number")),
            ratio=one(self.texts(rows, "ratio")),
            frequency=one(self.texts(rows, "frequency")),
            requirements=one(self.texts(rows, "requirements")),
            rows=tuple(r + 1 for r in rows),
        )


def _blocks(sheet: Sheet, name_col: int) -> tuple[list[list[int]], list[tuple[int, str]]]:
    """The data rows grouped by the merged block of the name column, and the empty rows left out."""
    blocks: list[list[int]] = []
    empty: list[tuple[int, str]] = []
    last_origin = -1
    for r in sheet.data:
        if not any(c.strip() for c in sheet.grid.cells[r]):
            empty.append((r + 1, "an empty row"))
            continue
        origin = sheet.origin_row(r, name_col)
        if blocks and origin == last_origin and origin != r:
            blocks[-1].append(r)
        else:
            blocks.append([r])
        last_origin = origin
    return blocks, empty


def _ids(items: Sequence[Item], joint: bool) -> list[str]:
    """``I001``... in order, or ``J01-1``... by field (a field is a run of items with one 序号 and 抽查领域)."""
    if not joint:
        width = max(3, len(str(len(items))))
        return [f"I{i:0{width}d}" for i in range(1, len(items) + 1)]
    keys = [(item.number, item.category) for item in items]
    fields: list[int] = []
    for i, key in enumerate(keys):
        fields.append(1 if i == 0 else fields[-1] + (key != keys[i - 1]))
    width = max(2, len(str(fields[-1] if fields else 0)))
    out: list[str] = []
    for i, field in enumerate(fields):
        n = 1 if i == 0 or field != fields[i - 1] else int(out[-1].rsplit("-", 1)[1]) + 1
        out.append(f"J{field:0{width}d}-{n}")
    return out


def items_from_grid(grid: Grid, *, joint: bool = False, header_row: int | None = None) -> ItemsList:
    """The items of a sheet already read (the pure core of :func:`read_items`).

    Parameters
    ----------
    grid : Grid
        The sheet, merged cells filled (:func:`shuangsuiji._sheets.read_grid`).
    joint : bool
        A joint list: the department is 发起部门, and ids are ``J01-1``...
    header_row : int, optional
        The header's first row as Excel counts it, when it is not found.

    Raises
    ------
    ItemsError
        Listing every problem: no 抽查事项 column, an item without a name or department, an unknown 事项类别.
    """
    sheet = read_sheet(grid, known=lambda h: _field_of(h) is not None, header_row=header_row)
    reader = _Reader(sheet, joint)
    if "name" not in reader.columns or "department" not in reader.columns:
        missing = "抽查事项" if "name" not in reader.columns else ("发起部门" if joint else "编制单位名称")
        row = sheet.header[0] + 1 if sheet.header else None
        raise ItemsError(
            [
                Problem(
                    grid.where(),
                    row,
                    None,
                    "、".join(n for n in sheet.names if n),
                    _(
                        "the header has no {missing} column; name that column {missing}, or give the header's row "
                        "(--header-row) if the header is elsewhere"
                    ).format(missing=missing),
                )
            ]
        )
    blocks, skipped = _blocks(sheet, reader.columns["name"])
    drafts = [reader.item(rows, "") for rows in blocks]
    if reader.problems:
        raise ItemsError(reader.problems)
    items = tuple(Item(**{**vars(d), "id": i}) for d, i in zip(drafts, _ids(drafts, joint), strict=True))
    for word, rows in reader.unknown_methods.items():
        shown = ", ".join(map(str, rows[:10])) + (" ..." if len(rows) > 10 else "")
        message = _(
            "{where}, column {column}, rows {rows}: {word!r} is not one of the methods {methods}; kept as written"
        )
        column = reader.column("methods")
        reader.warnings.append(
            message.format(where=grid.where(), column=column, rows=shown, word=word, methods="、".join(METHODS))
        )
    skipped += [(r + 1, why) for r, why in sheet.skipped]
    below = range(sheet.header[-1] + 1, len(grid.cells)) if sheet.header else range(0)
    accounted = {r for item in items for r in item.rows} | {r for r, _why in skipped}
    skipped += [(r + 1, "an empty row at the end") for r in below if r + 1 not in accounted]
    return ItemsList(grid.source, grid.sheet, joint, items, tuple(sorted(skipped)), tuple(reader.warnings))


def read_items(path: str | Path, *, sheet: str | int | None = None, header_row: int | None = None) -> ItemsList:
    """Read an items list (抽查事项清单) from an ``.xls`` or ``.xlsx`` file.

    Parameters
    ----------
    sheet : str or int, optional
        A sheet's name or number (from 1); by default the first.
    header_row : int, optional
        The header's first row as Excel counts it, if it is not found.

    Raises
    ------
    ItemsError
        If the file cannot be read or has problems (each with file, sheet, row, column and value).
    """
    return items_from_grid(read_grid(path, sheet=sheet, error=ItemsError), header_row=header_row)


def read_joint_items(path: str | Path, *, sheet: str | int | None = None, header_row: int | None = None) -> ItemsList:
    """Read a joint items list (部门联合抽查事项清单: 抽查领域, 抽查事项, 发起部门, 配合部门), as :func:`read_items`."""
    return items_from_grid(read_grid(path, sheet=sheet, error=ItemsError), joint=True, header_row=header_row)
