"""The ledger's entries and heads, and the hash that chains them (``docs/ledger.md``).

A :class:`LedgerEntry` is one event of one check of a year; stored, it gets a ``seq`` (1, 2, 3, ...),
the hash of the row before it (``prev``) and its own ``hash``: the SHA-256 of the RFC 8785
canonical JSON of ``{"format": LEDGER_FORMAT, "seq": seq, "prev": prev, **entry.to_dict()}``.
Nothing here touches a database, so anyone can recompute a chain from an export.

Examples
--------
>>> e = LedgerEntry(year="2027", event="drawn", uscc="91410302000005194E", department="市场监管局")
>>> e.kind, len(entry_hash(1, ZERO_HASH, e))
('random', 64)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields

from .._i18n import _
from .._json import canonical_json
from ..exceptions import LedgerError

__all__ = [
    "CHECK_KINDS",
    "COLUMNS",
    "EVENTS",
    "FIELDS",
    "LEDGER_FORMAT",
    "ZERO_HASH",
    "LedgerEntry",
    "LedgerHead",
    "entry_hash",
    "hashed_bytes",
]

#: The format named inside every hashed entry; a new format gets a new name.
LEDGER_FORMAT = "shuangsuiji-ledger/1"
#: What an entry records: drawn, staffed, done (a result), published, a check outside the draw, or
#: ``batch``: one marker per draw of a year's batch (its tasks, even when it drew no firm).
EVENTS: tuple[str, ...] = ("drawn", "staffed", "done", "published", "check", "batch")
#: Kinds of a "check" event (checks outside the random draw); random-draw events have kind "random":
#: 投诉举报, 大数据预警, 转办交办/移送, 复查整改, 许可核查, 其他.
CHECK_KINDS: tuple[str, ...] = ("complaint", "alert", "referral", "recheck", "licensing", "other")
#: The ``prev`` of the first row, and the hash of an empty ledger's head.
ZERO_HASH = "0" * 64

_YEAR = re.compile(r"[A-Za-z0-9._-]{1,64}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class LedgerEntry:
    """One event of one check: what the ledger stores besides its chain fields.

    Parameters
    ----------
    year : str
        The year's id, ``[A-Za-z0-9._-]{1,64}``.
    event : str
        One of :data:`EVENTS`.
    uscc : str
        The entity's 统一社会信用代码.
    department : str
        The department that checks (for an expert's entry, the expert's field).
    batch : str
        The batch's id (``""`` for checks outside the draw).
    task_id : str
        The task (``;``-joined when one visit serves several tasks of one department).
    visit_id : str
        The visit; a joint visit has one entry per department with the same ``visit_id``; draws
        use ``"V" + uscc``.
    kind : str
        ``"random"`` for drawn, staffed, done and published; one of :data:`CHECK_KINDS` for ``check``;
        ``"batch"`` for ``batch``.
    date : str
        ISO date ``YYYY-MM-DD``, or ``""``.
    inspectors : str
        ``;``-joined sorted inspector ids.
    result : str
        The result category (``done``).
    detail : str
        Free text: the reason of a triggered check, ``expert`` for an expert's place, etc.
    source : str
        Where the entry came from (``manifest <sha256>``, ``results <sha256 of the file>`` ...).
    """

    year: str
    event: str
    uscc: str
    department: str
    batch: str = ""
    task_id: str = ""
    visit_id: str = ""
    kind: str = "random"
    date: str = ""
    inspectors: str = ""
    result: str = ""
    detail: str = ""
    source: str = ""

    def to_dict(self) -> dict[str, str]:
        """Every field by name, in declaration order (what the hash covers besides the chain)."""
        return {name: getattr(self, name) for name in FIELDS}

    def check(self) -> None:
        """Check every field.

        Raises
        ------
        LedgerError
            Naming the first field that is wrong and its value.
        """
        for name in FIELDS:
            value = getattr(self, name)
            if not isinstance(value, str):
                raise LedgerError(
                    _("Entry field {field!r} must be text; got {value!r}.").format(field=name, value=value)
                )
            if "\x00" in value or not _encodable(value):
                message = _("Entry field {field!r} holds a NUL or a lone surrogate: {value!r}.")
                raise LedgerError(message.format(field=name, value=value))
        if not _YEAR.fullmatch(self.year):
            message = _("Entry field 'year' must match [A-Za-z0-9._-]{{1,64}}; got {value!r}.")
            raise LedgerError(message.format(value=self.year))
        if self.event not in EVENTS:
            message = _("Entry field 'event' must be one of {events}; got {value!r}.")
            raise LedgerError(message.format(events=list(EVENTS), value=self.event))
        if self.event == "check" and self.kind not in CHECK_KINDS:
            message = _("Entry field 'kind' of a check must be one of {kinds}; got {value!r}.")
            raise LedgerError(message.format(kinds=list(CHECK_KINDS), value=self.kind))
        if self.event == "batch" and self.kind != "batch":
            message = _("Entry field 'kind' of a 'batch' entry must be 'batch'; got {value!r}.")
            raise LedgerError(message.format(value=self.kind))
        if self.event not in ("check", "batch") and self.kind != "random":
            message = _("Entry field 'kind' of a {event!r} entry must be 'random'; got {value!r}.")
            raise LedgerError(message.format(event=self.event, value=self.kind))
        if self.date and not _is_date(self.date):
            message = _("Entry field 'date' must be an ISO date YYYY-MM-DD or empty; got {value!r}.")
            raise LedgerError(message.format(value=self.date))
        if self.event == "batch":
            if self.uscc or self.department or not self.batch:
                raise LedgerError(_("A 'batch' entry names its batch and no entity or department."))
        elif not self.uscc.strip():
            raise LedgerError(_("Entry field 'uscc' must not be empty; got {value!r}.").format(value=self.uscc))


#: The entry's fields, in order.
FIELDS: tuple[str, ...] = tuple(f.name for f in fields(LedgerEntry))
#: The stored row's columns, in order: ``seq``, every entry field, ``prev``, ``hash``.
COLUMNS: tuple[str, ...] = ("seq", *FIELDS, "prev", "hash")


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class LedgerHead:
    """Where a chain ends: how many entries it has and the hash of the last one.

    Examples
    --------
    >>> LedgerHead.from_dict({"seq": 0, "hash": ZERO_HASH}) == LedgerHead(0, ZERO_HASH)
    True
    """

    seq: int
    hash: str

    def to_dict(self) -> dict[str, object]:
        """``{"seq": ..., "hash": ...}``, as a manifest records it."""
        return {"seq": self.seq, "hash": self.hash}

    @classmethod
    def from_dict(cls, value: object) -> LedgerHead:
        """Read a head back from its plain form.

        Raises
        ------
        LedgerError
            If ``value`` is not ``{"seq": whole number >= 0, "hash": 64 lowercase hex digits}``,
            or an empty head (``seq`` 0) whose hash is not 64 zeros.
        """
        if not isinstance(value, Mapping) or set(value) != {"seq", "hash"}:
            message = _("A ledger head must be an object with exactly 'seq' and 'hash'; got {value!r}.")
            raise LedgerError(message.format(value=value))
        seq, digest = value["seq"], value["hash"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise LedgerError(_("A ledger head's 'seq' must be a whole number >= 0; got {value!r}.").format(value=seq))
        if not isinstance(digest, str) or not _HASH.fullmatch(digest):
            message = _("A ledger head's 'hash' must be 64 lowercase hex digits; got {value!r}.")
            raise LedgerError(message.format(value=digest))
        if seq == 0 and digest != ZERO_HASH:
            message = _("The head of an empty ledger (seq 0) has the hash {zero}; got {value!r}.")
            raise LedgerError(message.format(zero=ZERO_HASH, value=digest))
        return cls(seq, digest)


def hashed_bytes(seq: int, prev: str, values: Mapping[str, object]) -> bytes:
    """The bytes a row's hash is taken of: canonical JSON of the format, ``seq``, ``prev`` and the fields."""
    return canonical_json({"format": LEDGER_FORMAT, "seq": seq, "prev": prev, **values})


def entry_hash(seq: int, prev: str, entry: LedgerEntry) -> str:
    """The hash of ``entry`` stored as row ``seq`` after a row whose hash is ``prev`` (64 hex digits).

    Examples
    --------
    >>> e = LedgerEntry(year="2027", event="check", uscc="91410302000005194E", department="市场监管局",
    ...           kind="complaint", date="2027-05-06", detail="投诉举报")
    >>> entry_hash(1, ZERO_HASH, e) == hashlib.sha256(hashed_bytes(1, ZERO_HASH, e.to_dict())).hexdigest()
    True
    """
    return hashlib.sha256(hashed_bytes(seq, prev, entry.to_dict())).hexdigest()
