"""The inspector roster (执法检查人员名录库) and the expert pool (专家库).

One row per person: ``inspector_id, name, department, station, region,
cert_no`` (执法证号), ``certificates`` (fields such as 特种设备;食品), ``lead``
(may act as 主检), ``capacity`` (visits in this batch), ``unavailable``
(dates, ``;``-separated, ``2027-03-01~2027-03-05`` for a range), ``active``,
and ``kind`` (``officer``, the default, or ``expert``). :func:`check_roster`
reports every problem of the file at once, with row and column.

Examples
--------
>>> r = check_roster(pd.DataFrame({"inspector_id": ["A1"], "name": ["张三"], "department": ["市场监管局"],
...     "station": ["S1"], "region": ["410302"], "cert_no": ["豫41030001"], "certificates": ["食品;特种设备"],
...     "lead": ["是"], "capacity": ["20"]}))
>>> r.frame.loc[0, "certificates"], bool(r.frame.loc[0, "lead"])
(('特种设备', '食品'), True)
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._i18n import _
from .columns import CANONICAL, canonical_columns
from .exceptions import Problem, RosterError
from .population import text_column

__all__ = ["Roster", "RosterError", "check_roster", "parse_flag"]

_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_REQUIRED = ("inspector_id", "name", "department", "capacity")
_TRUE = {"1", "true", "t", "yes", "y", "是", "√", "x"}
_FALSE = {"0", "false", "f", "no", "n", "否", ""}
_SPLIT = re.compile(r"[;；,，、\s]+")


@dataclass(frozen=True, eq=False)
class Roster:
    """A checked roster.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per person, sorted by ``inspector_id``: text columns, ``certificates`` as
        sorted tuples, ``lead``/``active`` as bool, ``capacity`` as int, ``unavailable``
        as a frozenset of dates, ``kind`` ``officer`` or ``expert``.
    source : str
        File name or ``<frame>``.
    """

    frame: pd.DataFrame
    source: str

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def officers(self) -> pd.DataFrame:
        """Active officers."""
        f = self.frame
        return f[f["active"] & (f["kind"] == "officer")]

    @property
    def experts(self) -> pd.DataFrame:
        """Active experts."""
        f = self.frame
        return f[f["active"] & (f["kind"] == "expert")]


def parse_flag(text: str) -> bool | None:
    """A yes/no cell (是/否, true/false, 1/0, y/n); ``None`` if it is neither.

    Examples
    --------
    >>> parse_flag("是"), parse_flag("FALSE"), parse_flag("maybe")
    (True, False, None)
    """
    t = text.strip().lower()
    return True if t in _TRUE else False if t in _FALSE else None


def _dates(text: str) -> frozenset[dt.date] | None:
    """Dates written ``2027-03-01``, ``;``-separated, or as a range ``2027-03-01~2027-03-05``; ``None`` if not."""
    out: set[dt.date] = set()
    for part in re.split(r"[;；,，\s]+", text.strip()):
        if not part:
            continue
        ends = [_date(x) for x in part.split("~", 1)]
        if any(d is None for d in ends):
            return None
        first, last = ends[0], ends[-1]
        if first is None or last is None or last < first:
            return None
        out.update(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    return frozenset(out)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


#: The most visits one person may take in one batch.
MAX_CAPACITY = 10_000


def _capacity(text: str) -> int | None:
    """A capacity: a whole number from 0 to ``MAX_CAPACITY`` (full-width digits too, as spreadsheets hold them).

    ``None`` for anything else.
    """
    if len(text.strip()) > len(str(MAX_CAPACITY)):
        return None
    try:
        value = int(text)
    except ValueError:
        return None
    return value if 0 <= value <= MAX_CAPACITY else None


_COLUMNS = CANONICAL["roster"]
_KINDS = {"": "officer", "officer": "officer", "执法人员": "officer", "expert": "expert", "专家": "expert"}


class _Rows:
    """The roster's rows read one at a time into typed values, every problem collected."""

    def __init__(self, data: pd.DataFrame, rows: npt.NDArray[np.int64], source: str) -> None:
        self.data, self.rows, self.source = data, rows, source
        self.problems: list[Problem] = []
        self.ids: dict[str, int] = {}
        self.certs: dict[str, int] = {}
        self.values: dict[str, list[object]] = {c: [] for c in ("lead", "active", "capacity", "kind")}
        self.values |= {"certificates": [], "unavailable": []}

    def add(self, i: int, column: str, message: str) -> None:
        self.problems.append(Problem(self.source, int(self.rows[i]), column, str(self.data.at[i, column]), message))

    def _unique(self, i: int, rec: dict[str, str]) -> None:
        oid = rec["inspector_id"]
        if not _ID.fullmatch(oid):
            self.add(i, "inspector_id", _("an id is 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-'"))
        elif oid in self.ids:
            again = _("this id already appears in row {row}; ids must be unique").format(row=self.ids[oid])
            self.add(i, "inspector_id", again)
        self.ids.setdefault(oid, int(self.rows[i]))

    def _flag(self, i: int, rec: dict[str, str], column: str, default: bool) -> bool:
        value = parse_flag(rec[column]) if rec[column] else default
        if value is None:
            self.add(i, column, _("write yes or no (是/否, true/false, 1/0)"))
            return default
        return value

    def _certificate(self, i: int, rec: dict[str, str]) -> None:
        if not rec["cert_no"]:
            need = _("an active officer needs an enforcement certificate number (执法证号) to inspect")
            self.add(i, "cert_no", need)
        elif rec["cert_no"] in self.certs:
            again = _("this certificate number is also in row {row}").format(row=self.certs[rec["cert_no"]])
            self.add(i, "cert_no", again)
        self.certs.setdefault(rec["cert_no"], int(self.rows[i]))

    def read(self, i: int, rec: dict[str, str]) -> None:
        """Check one row and keep its typed values."""
        self._unique(i, rec)
        for column in ("name", "department"):
            if not rec[column]:
                self.add(i, column, _("the {column} is empty; fill it in").format(column=column))
        kind = _KINDS.get(rec["kind"].lower())
        if kind is None:
            self.add(i, "kind", _("write 'officer' (执法人员) or 'expert' (专家)"))
            kind = "officer"
        lead, active = self._flag(i, rec, "lead", False), self._flag(i, rec, "active", True)
        cap = _capacity(rec["capacity"])
        if cap is None:
            self.add(
                i,
                "capacity",
                _("the capacity is the number of visits this batch, a whole number from 0 to {most}").format(
                    most=MAX_CAPACITY
                ),
            )
        days = _dates(rec["unavailable"])
        if days is None:
            dates = _("write dates as 2027-03-01, separated by ';', or a range 2027-03-01~2027-03-05")
            self.add(i, "unavailable", dates)
        if kind == "officer" and active:
            self._certificate(i, rec)
        certificates = tuple(sorted({c for c in _SPLIT.split(rec["certificates"]) if c}))
        for column, value in zip(
            ("lead", "active", "capacity", "kind", "certificates", "unavailable"),
            (lead, active, cap or 0, kind, certificates, days or frozenset()),
            strict=True,
        ):
            self.values[column].append(value)


def check_roster(frame: pd.DataFrame, *, source: str = "<frame>") -> Roster:
    """Check a roster (officers and experts) and return it as a :class:`Roster`.

    Raises
    ------
    RosterError
        Listing every problem: missing columns, bad or repeated ids, an active
        officer without an enforcement certificate number, bad flags,
        capacities and dates.
    """
    frame = canonical_columns(frame, "roster", source=source, error=RosterError)
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise RosterError(
            [
                Problem(
                    source,
                    1,
                    c,
                    None,
                    _("the roster needs columns {columns}; this one is missing").format(columns=list(_REQUIRED)),
                )
                for c in missing
            ]
        )
    if len(frame) == 0:
        raise RosterError([Problem(source, None, None, None, _("the roster has no rows"))])
    rows = (
        np.asarray(frame.index, dtype=np.int64)
        if pd.api.types.is_integer_dtype(frame.index.dtype)
        else np.arange(2, 2 + len(frame))
    )
    blank = pd.Series([""] * len(frame), index=frame.index)
    data = pd.DataFrame({c: text_column(frame[c]) if c in frame.columns else blank for c in _COLUMNS})
    data = data.reset_index(drop=True)
    reader = _Rows(data, rows, source)
    for i, rec in enumerate(data.to_dict("records")):
        reader.read(i, {str(k): str(v) for k, v in rec.items()})
    if reader.problems:
        raise RosterError(sorted(reader.problems, key=lambda p: p.row or 0))
    for column in ("lead", "active", "capacity", "kind"):
        data[column] = pd.Series(reader.values[column])
    for column in ("certificates", "unavailable"):
        data[column] = pd.Series(reader.values[column], dtype=object)
    return Roster(frame=data.sort_values("inspector_id", ignore_index=True), source=source)
