"""Columns by their Chinese names: the headers understood for every kind of input, and mapping files.

Every input of the library has canonical column names (``uscc``, ``inspector_id``, ``completed``
...). A bureau's file names them in Chinese (统一社会信用代码, 执法证号, 检查完成日期), or by the
column codes of its register's export (``TYXYDM``, ``ZCH``, ``QYMC``). :data:`ALIASES` lists the
headers understood for each kind of input; :func:`canonical_columns` renames a frame's headers by
them (every reader and every ``check_*`` function calls it, so a frame read with
``pandas.read_excel`` works as well as a file); a :class:`ColumnMap` (a ``map.toml`` file, or built
in Python) adds a bureau's own headers and fills columns its files do not have.

A header is looked up after :func:`~shuangsuiji._sheets.normal_header` (full-width letters made
half-width, blanks removed), then case-blind; a header of two rows (``执法证件/证件编号``) is looked
up whole, then by its last part, then by its first.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"统一社会信用代码": ["91110000600037341L"], "企业名称": ["某公司"]})
>>> canonical_columns(frame, "population").columns.tolist()
['uscc', 'name']
>>> cmap = ColumnMap.from_mapping({"roster": {"columns": {"单位及职务": "station"},
...                                           "defaults": {"department": "市场监管局", "capacity": 20}}})
>>> roster = pd.DataFrame({"姓名": ["黄轩"], "证件编号": ["HN-001"], "单位及职务": ["本级"]})
>>> cmap.apply(roster, "roster").columns.tolist()
['name', 'cert_no', 'station', 'department', 'capacity']
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from ._column_map import map_tables
from ._i18n import _
from ._sheets import normal_header
from .exceptions import ColumnMapError, Problem, TableError

__all__ = [
    "ALIASES",
    "CANONICAL",
    "CHINESE_HEADERS",
    "INPUT_KINDS",
    "KIND_ALIASES",
    "ColumnMap",
    "canonical_columns",
    "canonical_name",
    "clash_problems",
    "is_known_header",
    "load_column_map",
]

#: The kinds of input whose columns have names, and the columns of each (canonical names, in the
#: order templates and cleaned files write them).
CANONICAL: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "population": (
            "uscc",
            "regno",
            "name",
            "credit_class",
            "risk_tier",
            "region",
            "industry",
            "status",
            "entity_type",
            "station",
            "address",
            "legal_representative",
            "registered_on",
            "scope",
        ),
        "roster": (
            "inspector_id",
            "name",
            "department",
            "station",
            "region",
            "cert_no",
            "certificates",
            "lead",
            "capacity",
            "unavailable",
            "active",
            "kind",
        ),
        "history": ("uscc", "department", "date", "kind", "task_id"),
        "conflicts": ("inspector_id", "uscc", "reason"),
        "requests": ("inspector_id", "uscc", "reason"),
        "relations": ("a", "b", "relation"),
        "pairs": ("a", "b", "reason"),
        "results": ("task_id", "uscc", "name", "result", "completed", "visit_id", "inspectors", "note"),
        "calendar": ("date", "kind"),
        "checks": ("uscc", "department", "date", "kind", "reason", "inspectors", "visit_id"),
    }
)
INPUT_KINDS: tuple[str, ...] = tuple(CANONICAL)

#: The Chinese header templates and cleaned files write for each canonical column.
CHINESE_HEADERS: Mapping[str, str] = MappingProxyType(
    {
        "uscc": "统一社会信用代码",
        "regno": "注册号",
        "name": "名称",
        "credit_class": "信用风险分类",
        "risk_tier": "风险等级",
        "region": "行政区划代码",
        "industry": "行业代码",
        "status": "登记状态",
        "entity_type": "主体类型",
        "station": "所属监管所",
        "address": "住所",
        "legal_representative": "法定代表人",
        "registered_on": "成立日期",
        "scope": "经营范围",
        "inspector_id": "执法人员编号",
        "department": "检查部门",
        "cert_no": "执法证号",
        "certificates": "专业领域",
        "lead": "可任主检",
        "capacity": "本批次可检查户数",
        "unavailable": "不可用日期",
        "active": "在岗",
        "kind": "类型",
        "date": "日期",
        "task_id": "任务编号",
        "reason": "原因",
        "a": "甲方",
        "b": "乙方",
        "relation": "关系",
        "result": "检查结果",
        "completed": "检查完成日期",
        "visit_id": "检查编号",
        "inspectors": "检查人员",
        "note": "备注",
    }
)

# Headers every kind understands (population columns mostly, as the library always has).
_COMMON: dict[str, str] = {
    "统一社会信用代码": "uscc",
    "社会信用代码": "uscc",
    "信用代码": "uscc",
    "TYXYDM": "uscc",
    "SHXYDM": "uscc",
    "USCC": "uscc",
    "企业名称": "name",
    "主体名称": "name",
    "市场主体名称": "name",
    "名称": "name",
    "QYMC": "name",
    "ZTMC": "name",
    "任务编号": "task_id",
    "检查部门": "department",
    "部门": "department",
    "所属部门": "department",
    "所属监管所": "station",
    "监管所": "station",
    "行政区划": "region",
    "行政区划代码": "region",
    "所属区域": "region",
    "检查日期": "date",
    "日期": "date",
    "检查类型": "kind",
}
_KIND_ALIASES: dict[str, dict[str, str]] = {
    "population": {
        "注册号": "regno",
        "营业执照注册号": "regno",
        "工商注册号": "regno",
        "ZCH": "regno",
        "REGNO": "regno",
        "信用风险分类": "credit_class",
        "信用风险类别": "credit_class",
        "信用等级": "credit_class",
        "风险等级": "risk_tier",
        "风险分级": "risk_tier",
        "行业": "industry",
        "行业代码": "industry",
        "国民经济行业": "industry",
        "HYDM": "industry",
        "登记状态": "status",
        "经营状态": "status",
        "DJZT": "status",
        "主体类型": "entity_type",
        "市场主体类型": "entity_type",
        "企业类型名称": "entity_type",
        "企业类型": "entity_type",
        "QYLX": "entity_type",
        "XZQH": "region",
        "住所": "address",
        "经营地址": "address",
        "经营场所": "address",
        "ZS": "address",
        "法定代表人": "legal_representative",
        "负责人": "legal_representative",
        "经营者": "legal_representative",
        "FDDBR": "legal_representative",
        "成立日期": "registered_on",
        "CLRQ": "registered_on",
        "经营范围": "scope",
        "JYFW": "scope",
    },
    "roster": {
        "执法人员编号": "inspector_id",
        "人员编号": "inspector_id",
        "工号": "inspector_id",
        "编号": "inspector_id",
        "姓名": "name",
        "单位": "department",
        "执法证号": "cert_no",
        "执法证件号": "cert_no",
        "执法证件编号": "cert_no",
        "执法证编号": "cert_no",
        "证件编号": "cert_no",
        "证件号码": "cert_no",
        "专业领域": "certificates",
        "执法领域": "certificates",
        "资质": "certificates",
        "可任主检": "lead",
        "是否主检": "lead",
        "主检": "lead",
        "本批次可检查户数": "capacity",
        "可检查户数": "capacity",
        "检查容量": "capacity",
        "检查能力": "capacity",
        "不可用日期": "unavailable",
        "请假日期": "unavailable",
        "在岗": "active",
        "是否在岗": "active",
        "人员类别": "kind",
        "人员类型": "kind",
        "类型": "kind",
    },
    "history": {
        "检查日期": "date",
        "日期": "date",
        "检查类型": "kind",
        "类型": "kind",
    },
    "conflicts": {
        "执法人员编号": "inspector_id",
        "人员编号": "inspector_id",
        "回避原因": "reason",
        "原因": "reason",
    },
    "requests": {
        "执法人员编号": "inspector_id",
        "人员编号": "inspector_id",
        "申请回避原因": "reason",
        "回避原因": "reason",
        "原因": "reason",
    },
    "relations": {"甲方": "a", "乙方": "b", "一方": "a", "另一方": "b", "关系": "relation", "关系类型": "relation"},
    "pairs": {"甲方": "a", "乙方": "b", "人员甲": "a", "人员乙": "b", "原因": "reason"},
    "results": {
        "检查结果": "result",
        "抽查结果": "result",
        "检查完成日期": "completed",
        "完成日期": "completed",
        "检查编号": "visit_id",
        "检查人员": "inspectors",
        "执法人员": "inspectors",
        "备注": "note",
        "remark": "note",
    },
    "calendar": {"日期": "date", "类型": "kind", "调整类型": "kind"},
    "checks": {
        "检查日期": "date",
        "日期": "date",
        "检查类型": "kind",
        "类型": "kind",
        "检查原因": "reason",
        "检查事由": "reason",
        "事由": "reason",
        "原因": "reason",
        "检查人员": "inspectors",
        "执法人员": "inspectors",
        "检查编号": "visit_id",
    },
}


#: The Chinese headers of each kind of input as written (before normalisation), beside :data:`ALIASES`.
KIND_ALIASES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {k: MappingProxyType(dict(v)) for k, v in _KIND_ALIASES.items()}
)


def _build(kind: str) -> Mapping[str, str]:
    table = {normal_header(k).casefold(): v for k, v in (_COMMON | _KIND_ALIASES.get(kind, {})).items()}
    table |= {c.casefold(): c for c in CANONICAL.get(kind, ())}
    table |= {normal_header(CHINESE_HEADERS[c]).casefold(): c for c in CANONICAL.get(kind, ())}
    return MappingProxyType(table)


#: For each kind of input, the headers understood (normalised, case-folded) and the column each means.
ALIASES: Mapping[str, Mapping[str, str]] = MappingProxyType({k: _build(k) for k in INPUT_KINDS})
_ANY = MappingProxyType({normal_header(k).casefold(): v for k, v in _COMMON.items()})


def canonical_name(header: object, kind: str | None = None, extra: Mapping[str, str] | None = None) -> str:
    """The canonical name a header means for ``kind``, or the header itself (stripped) when unknown.

    Examples
    --------
    >>> canonical_name("TYXYDM", "population"), canonical_name("执法证件/证件编号", "roster")
    ('uscc', 'cert_no')
    >>> canonical_name("经营范围", "roster")
    '经营范围'
    """
    text = str(header).strip()
    table = ALIASES[kind] if kind is not None else _ANY
    parts = [text, *([text.rsplit("/", 1)[-1], text.split("/", 1)[0]] if "/" in text else [])]
    for part in parts:
        key = normal_header(part)
        if extra is not None:
            if part in extra:
                return extra[part]
            if key in extra:
                return extra[key]
        hit = table.get(key.casefold())
        if hit is not None:
            return hit
    return text


def is_known_header(kind: str | None, extra: Mapping[str, str] | None = None) -> Callable[[str], bool]:
    """A test of whether a header names a column of ``kind`` (or, for ``None``, a column every kind has).

    Examples
    --------
    >>> known = is_known_header("roster")
    >>> known("执法证号"), known("学历及专业")
    (True, False)
    """
    columns = set(CANONICAL[kind]) if kind is not None else set(_ANY.values())
    return lambda header: canonical_name(header, kind, extra) in columns


def clash_problems(original: list[str], names: list[str], source: str, row: int = 1) -> list[Problem]:
    """A problem for each header (of the header row ``row``) whose canonical name an earlier one already has."""
    problems = []
    for i, name in enumerate(names):
        first = names.index(name)
        if first != i:
            problems.append(
                Problem(
                    source,
                    row,
                    original[i],
                    None,
                    _(
                        "this header means the same column as {first!r} (both read as {name!r}); "
                        "keep one of them, or map one to another name in the column map"
                    ).format(first=original[first], name=name),
                )
            )
    return problems


def canonical_columns(
    frame: pd.DataFrame,
    kind: str | None,
    *,
    source: str = "<frame>",
    error: type[TableError] = TableError,
    extra: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Rename a frame's headers to canonical names; refuse two headers that mean one column.

    Raises
    ------
    TableError
        (the ``error`` subclass) naming each header that repeats another's meaning.
    """
    if kind is not None and kind not in CANONICAL:
        message = _("Unknown kind of input {kind!r}; the kinds are {kinds}.")
        raise ColumnMapError(message.format(kind=kind, kinds=list(INPUT_KINDS)))
    original = [str(c) for c in frame.columns]
    names = [canonical_name(c, kind, extra) for c in original]
    if names == original:
        return frame
    problems = clash_problems(original, names, source)
    if problems:
        raise error(problems)
    return frame.set_axis(names, axis=1)


@dataclass(frozen=True)
class ColumnMap:
    """A bureau's own headers and the values its files lack, per kind of input (``map.toml``).

    Attributes
    ----------
    columns : mapping
        ``kind -> {header: canonical name}``.
    defaults : mapping
        ``kind -> {canonical name: text}``: the value of a column the file lacks, and of its
        empty cells where it has it.
    source : str
        The file it came from, or ``<mapping>``.
    """

    columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    defaults: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    source: str = "<mapping>"

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], *, source: str = "<mapping>") -> ColumnMap:
        """Build from the mapping a ``map.toml`` holds (``[kind.columns]``, ``[kind.defaults]``).

        Raises
        ------
        ColumnMapError
            Naming the table or key that is wrong.
        """
        columns, defaults = map_tables(data, source, CANONICAL)
        return cls(MappingProxyType(columns), MappingProxyType(defaults), source)

    def apply(self, frame: pd.DataFrame, kind: str, *, error: type[TableError] = TableError) -> pd.DataFrame:
        """Rename ``frame``'s headers (this map's, then the built-in aliases) and fill the defaults.

        The frame's index (the rows as the file numbers them) is kept.
        """
        out = canonical_columns(frame, kind, source=self.source, error=error, extra=self.columns.get(kind))
        fills = self.defaults.get(kind, {})
        if not fills:
            return out
        out = out.copy()
        for name, value in fills.items():
            if name in out.columns:
                column = out[name].astype("str")
                out[name] = column.where(column.str.strip() != "", value)
            else:
                out[name] = value
        return out


def load_column_map(path: str | Path) -> ColumnMap:
    """Read a column map (``map.toml``): ``[population.columns]``, ``[roster.defaults]`` ...

    Raises
    ------
    ColumnMapError
        If the file cannot be read or names an unknown kind or column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "map.toml"
    >>> _ = p.write_text('[roster.defaults]\\ndepartment = "市场监管局"\\n', encoding="utf-8")
    >>> load_column_map(p).defaults["roster"]["department"]
    '市场监管局'
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ColumnMapError(_("{path}: no such column map.").format(path=path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ColumnMapError(_("{path}: not a TOML file: {exc}.").format(path=path, exc=exc)) from None
    return ColumnMap.from_mapping(data, source=str(path))
