"""A bureau's 两库 as it keeps them: the entity export and the inspector roster, triaged row by row.

:func:`triage_entities` sorts every row of an entity export (检查对象名录库) into one of six
categories, so that every row read is accounted for and the rows to fix are listed with why:

======================  =========================================================================
可用 (ready)             a valid unified social credit code (统一社会信用代码)
旧标识 (legacy)          no USCC, but a 15-character 注册号 or an old registration number
Excel损坏 (excel)        a code Excel destroyed (scientific notation, a trailing ``.0``, lost digits)
无标识 (none)            no code at all, or only words such as 无资料内容
重复 (duplicate)         the identity of an earlier row
其他问题 (problem)       a code that is no identity of any kind (a wrong check character ...)
======================  =========================================================================

Ready and legacy rows form the cleaned population, which every draw reads (the USCC where there
is one, else the 注册号 column: :mod:`shuangsuiji.identity` names the kinds). A row with a
destroyed USCC is not keyed by its 注册号 instead: the same firm would change identity when the
register is exported again.

:func:`inspectors_roster` turns a roster kept as bureaus keep it (one officer over two rows, one
per enforcement certificate; no department or capacity) into the library's roster.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import pandas as pd

from .identity import EXCEL_FIX, IDENTITY_KINDS, excel_damage, identity_kind, normalise_code
from .uscc import is_valid_uscc, uscc_problem

__all__ = [
    "TRIAGE_CATEGORIES",
    "EntityTriage",
    "RosterImport",
    "inspectors_roster",
    "triage_entities",
]

#: The categories of the triage, in the report's order, with their Chinese names.
TRIAGE_CATEGORIES: Mapping[str, str] = MappingProxyType(
    {
        "ready": "可用",
        "legacy": "旧标识",
        "excel": "Excel损坏",
        "none": "无标识",
        "duplicate": "重复",
        "problem": "其他问题",
        "skipped": "说明行",
    }
)
_DIGIT = re.compile(r"[0-9]")


@dataclass(frozen=True, eq=False)
class EntityTriage:
    """Every row of an entity export, sorted.

    Attributes
    ----------
    rows : pandas.DataFrame
        One row per row read: ``row`` (as the file numbers it), ``category`` (a key of
        :data:`TRIAGE_CATEGORIES`), ``identity``, ``kind`` (``uscc``/``regno``/``old`` or ``""``),
        ``name``, ``uscc_cell``, ``regno_cell``, ``message``.
    population : pandas.DataFrame
        The ready and legacy rows with every column of the file (canonical names), the codes
        normalised; ``uscc`` holds only valid USCCs, ``regno`` the identity of the others.
    normalised : int
        Codes changed by normalisation (full-width characters, inner blanks).
    source : str
        The file.
    """

    rows: pd.DataFrame
    population: pd.DataFrame
    normalised: int
    source: str

    def counts(self) -> dict[str, int]:
        """Rows per category (every category, zero included)."""
        found = self.rows["category"].value_counts()
        return {c: int(found.get(c, 0)) for c in TRIAGE_CATEGORIES}

    def kinds(self) -> dict[str, int]:
        """Entities of the cleaned population per kind of identity."""
        usable = self.rows[self.rows["category"].isin(["ready", "legacy"])]
        found = usable["kind"].value_counts()
        return {k: int(found.get(k, 0)) for k in IDENTITY_KINDS}


def _classify(u: str, g: str) -> tuple[str, str, str, str]:
    """``(category, identity, kind, message)`` of one row's USCC and 注册号 cells (normalised)."""
    if u:
        damage = excel_damage(u)
        if damage is not None:
            return "excel", "", "", f"统一社会信用代码: {damage}; {EXCEL_FIX}"
        if is_valid_uscc(u):
            return "ready", u, "uscc", ""
        return "problem", "", "", f"统一社会信用代码: {uscc_problem(u)}; correct it from the licence"
    if not g:
        return "none", "", "", "no 统一社会信用代码 and no 注册号; fill one in from the licence, or delete the row"
    damage = excel_damage(g)
    if damage is not None:
        return "excel", "", "", f"注册号: {damage}; {EXCEL_FIX}"
    kind = identity_kind(g)
    if kind == "uscc":
        return "ready", g, "uscc", "the 注册号 column holds a USCC; it is used as the USCC"
    if kind is not None:
        return "legacy", g, kind, ""
    if not _DIGIT.search(g):
        return "none", "", "", f"the 注册号 {g!r} is no number; fill in the entity's code, or delete the row"
    return (
        "problem",
        "",
        "",
        "注册号: not a 15-character 注册号 with a right check digit, nor an old registration number; "
        "correct it from the licence",
    )


def triage_entities(frame: pd.DataFrame, *, source: str = "<frame>") -> EntityTriage:
    """Sort every row of an entity export into its category (see the module's docstring).

    Parameters
    ----------
    frame : pandas.DataFrame
        Text columns with canonical names (as :func:`shuangsuiji.io.read_table` gives them), at
        least one of ``uscc`` and ``regno``; its index is each row's number in the file, and
        ``frame.attrs["skipped_rows"]`` (when there) lists the rows the reader left out.

    Examples
    --------
    >>> t = triage_entities(pd.DataFrame({"uscc": ["91110000600037341L", "9.14690062012665E+17", ""],
    ...                                   "regno": ["", "", "469006600187440"]}, index=[2, 3, 4]))
    >>> t.counts()["ready"], t.counts()["excel"], t.counts()["legacy"], len(t.population)
    (1, 1, 1, 2)
    """
    n = len(frame)
    empty = pd.Series([""] * n, index=frame.index)
    raw_u = (frame["uscc"] if "uscc" in frame.columns else empty).astype("str").str.strip()
    raw_g = (frame["regno"] if "regno" in frame.columns else empty).astype("str").str.strip()
    names = (frame["name"] if "name" in frame.columns else empty).astype("str").str.strip()
    u = raw_u.map(normalise_code)
    g = raw_g.map(normalise_code)
    normalised = int(((u != raw_u) | (g != raw_g)).sum())
    records = []
    first: dict[str, int] = {}
    for row, cu, cg, ru, rg, name in zip(frame.index, u, g, raw_u, raw_g, names, strict=True):
        category, identity, kind, message = _classify(cu, cg)
        if identity and identity in first:
            category, message = "duplicate", f"the same identity as row {first[identity]}; keep one row per entity"
        elif identity:
            first[identity] = int(row)
        records.append((int(row), category, identity, kind, name, ru, rg, message))
    for row, text, why in frame.attrs.get("skipped_rows", []):
        records.append((int(row), "skipped", "", "", "", str(text)[:60], "", why))
    rows = pd.DataFrame(
        records, columns=["row", "category", "identity", "kind", "name", "uscc_cell", "regno_cell", "message"]
    ).sort_values("row", ignore_index=True)
    usable = [c in ("ready", "legacy") for c in rows.loc[rows["category"] != "skipped", "category"]]
    kept = frame.loc[usable].copy()
    kept_rows = rows[rows["category"].isin(["ready", "legacy"])]
    kept["uscc"] = [i if k == "uscc" else "" for i, k in zip(kept_rows["identity"], kept_rows["kind"], strict=True)]
    kept["regno"] = [
        i if k != "uscc" else rg
        for i, k, rg in zip(kept_rows["identity"], kept_rows["kind"], g[usable].tolist(), strict=True)
    ]
    return EntityTriage(rows=rows, population=kept, normalised=normalised, source=source)


@dataclass(frozen=True, eq=False)
class RosterImport:
    """A roster kept as bureaus keep it, turned into the library's roster.

    Attributes
    ----------
    roster : pandas.DataFrame
        One row per officer, canonical columns (``inspector_id, name, department, cert_no,
        capacity`` ...); ``cert_no`` lists the officer's certificate numbers, ``;``-separated.
    rows : pandas.DataFrame
        One row per row read: ``row``, ``officer`` (the ``inspector_id`` it went to, or ``""``),
        ``message`` (what is missing, or ``""``).
    """

    roster: pd.DataFrame
    rows: pd.DataFrame

    def incomplete(self) -> int:
        """Officers whose rows say something is missing (department, capacity, certificate)."""
        return int((self.rows.groupby("officer")["message"].first() != "").sum())


_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _officer_id(numbers: list[str], serial: str, index: int) -> str:
    """An id from the first certificate number (its characters outside ``A-Za-z0-9._-`` made ``-``)."""
    for number in numbers:
        text = _ID_UNSAFE.sub("-", number).strip("-")[:64]
        if text:
            return text
    return f"P{int(serial):03d}" if serial.isdigit() else f"P{index:03d}"


def inspectors_roster(frame: pd.DataFrame, *, serial_column: str = "序号") -> RosterImport:
    """One officer per run of rows with the same ``序号`` and name (a merged block), certificates joined.

    The frame has canonical names (``name``, ``cert_no`` ...; a :class:`~shuangsuiji.columns.ColumnMap`
    gives ``department`` and ``capacity`` where the file has none). An officer without an
    ``inspector_id`` is given the first of their certificate numbers, its characters outside
    ``A-Za-z0-9._-`` made ``-`` (``HN-WN3711320(A)`` → ``HN-WN3711320-A``).

    Examples
    --------
    >>> f = pd.DataFrame({"序号": ["1", "1"], "name": ["黄轩", "黄轩"], "cert_no": ["HN-wc3710081(A)", "2290070001"]},
    ...                  index=[5, 6])
    >>> r = inspectors_roster(f)
    >>> r.roster[["inspector_id", "name", "cert_no"]].values.tolist()
    [['HN-wc3710081-A', '黄轩', 'HN-wc3710081(A);2290070001']]
    """
    text = frame.astype("str").apply(lambda c: c.str.strip())
    serial = text[serial_column] if serial_column in text.columns else pd.Series([""] * len(text), index=text.index)
    names = text["name"] if "name" in text.columns else pd.Series([""] * len(text), index=text.index)
    groups: list[list[int]] = []
    previous: tuple[str, str] | None = None
    for pos, key in enumerate(zip(serial, names, strict=True)):
        if groups and key == previous and (key[0] or key[1]):
            groups[-1].append(pos)
        else:
            groups.append([pos])
        previous = key
    officers = []
    row_records = []
    for index, members in enumerate(groups, start=1):
        block = text.iloc[members]
        first = block.iloc[0].to_dict()
        numbers = []
        if "cert_no" in block.columns:
            for value in block["cert_no"]:
                number = normalise_code(value)
                if number and number not in numbers:
                    numbers.append(number)
        record = {k: v for k, v in first.items() if k != serial_column}
        record["cert_no"] = ";".join(numbers)
        if not record.get("inspector_id"):
            record["inspector_id"] = _officer_id(numbers, str(first.get(serial_column, "")), index)
        missing = [c for c in ("name", "department", "capacity") if not record.get(c)]
        message = (
            f"missing {', '.join(missing)}: give them in the file or in the column map ([roster.defaults])"
            if missing
            else ""
        )
        if not numbers:
            message = (message + "; " if message else "") + "no enforcement certificate number (执法证号)"
        officers.append(record)
        for pos in members:
            row_records.append((int(text.index[pos]), record["inspector_id"], message))
    columns = ["inspector_id", *[c for c in text.columns if c not in ("inspector_id", serial_column)]]
    roster = pd.DataFrame(officers).reindex(columns=columns).fillna("")
    return RosterImport(roster=roster, rows=pd.DataFrame(row_records, columns=["row", "officer", "message"]))
