"""What a notice is made of: its table, the bureau's settings and where it comes from (private module).

:class:`Notice` is the table a notice publishes with what its printed forms need (the lines under
its title, the columns its HTML groups by); :class:`NoticeSettings` is the bureau's own part (the
issuing bureau, the date of issue, a letterhead, a preamble, a contact), read from a small TOML file
by :func:`load_notice_settings`; :class:`NoticeProvenance` is what the footer says about the draw.
Nothing here reads a clock: a notice without a date of issue leaves the date blank, to be written
by hand (``docs/notices.md``).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from ._i18n import _
from ._notice_text import SEED_MODES
from .exceptions import InputError, NotFoundError
from .validation import check_keys

__all__ = [
    "NOTICE_KINDS",
    "SETTINGS_KEYS",
    "Notice",
    "NoticeProvenance",
    "NoticeSettings",
    "load_notice_settings",
]

#: The kinds of notice, each printed by its template ``KIND.html.j2`` (``table``: any other table).
NOTICE_KINDS: tuple[str, ...] = ("plan", "task", "result", "export", "table")
#: The keys of a settings file (``notice.toml``).
SETTINGS_KEYS: tuple[str, ...] = ("bureau", "date", "letterhead", "preamble", "contact")
_PREAMBLE_KEYS = ("plan", "task", "result")


@dataclass(frozen=True)
class Notice:
    """A notice: its title and its table (Chinese headers, text cells), and how it is printed.

    Attributes
    ----------
    title : str
        The title (``…抽查计划公告``).
    table : pandas.DataFrame
        The rows, as the CSV holds them.
    kind : str
        One of :data:`NOTICE_KINDS`: the template that prints it.
    info : tuple of (str, str)
        Lines shown under the title (计划编号, 计划名称, 抽查时间 ...).
    grouped : tuple of str
        Columns the HTML prints once, as the heading of each group of rows sharing their values.
    summary : tuple of str
        Columns the HTML leaves out of its tables because ``info`` shows them.
    types : Mapping[str, str]
        How the XLSX writes a column: ``code`` (text), ``date`` (a date), ``percent`` (a number);
        any other column is text.
    """

    title: str
    table: pd.DataFrame
    kind: str = "table"
    info: tuple[tuple[str, str], ...] = ()
    grouped: tuple[str, ...] = ()
    summary: tuple[str, ...] = ()
    types: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class NoticeSettings:
    """The bureau's part of its notices (``notice.toml``; every field may be left out).

    Attributes
    ----------
    bureau : str
        发布机关, the issuing bureau.
    date : datetime.date or None
        发布日期; without it the date line is left blank, to be filled in by hand (no clock is read).
    letterhead : str
        The letterhead line above the title (``洛阳市市场监督管理局``).
    preamble : Mapping[str, str]
        The paragraph before the table, by kind of notice (``plan``, ``task``, ``result``).
    contact : str
        联系方式, printed after the table.
    source : str
        The file the settings were read from.
    """

    bureau: str = ""
    date: dt.date | None = None
    letterhead: str = ""
    preamble: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    contact: str = ""
    source: str = "<settings>"

    def preamble_for(self, kind: str) -> tuple[str, ...]:
        """The preamble of a kind of notice, as paragraphs (split at blank lines)."""
        text = self.preamble.get(kind, "")
        return tuple(p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip())


@dataclass(frozen=True)
class NoticeProvenance:
    """What a notice's footer says of its plan and draw (``None``: not known, as before the draw).

    Attributes
    ----------
    plan_id : str
        抽查计划编号.
    plan_sha256 : str or None
        SHA-256 of the plan file (what the draw's manifest records of it).
    seed_mode : str or None
        ``seed``, ``commit-reveal`` or ``beacon`` (``manifest.json``).
    manifest_sha256 : str or None
        SHA-256 of the draw's ``manifest.json``.
    seed : str or None
        The draw's seed (64 hex digits), with which anyone recomputes every ticket.
    """

    plan_id: str
    plan_sha256: str | None = None
    seed_mode: str | None = None
    manifest_sha256: str | None = None
    seed: str | None = None

    def lines(self) -> tuple[tuple[str, str], ...]:
        """The footer's lines, (label, text)."""
        out = [("抽查计划编号", self.plan_id)]
        if self.plan_sha256:
            out.append(("计划文件 SHA-256", self.plan_sha256))
        if self.manifest_sha256 is None:
            out.append(("核验", "抽签后公布抽签清单 manifest.json；其记录的计划文件 SHA-256 应与本公告一致。"))
            return tuple(out)
        mode = SEED_MODES.get(self.seed_mode or "", self.seed_mode or "")
        out.append(("种子方式", mode))
        if self.seed:
            out.append(("随机种子", self.seed))
        out.append(("抽签清单 manifest.json 的 SHA-256", self.manifest_sha256))
        out.append(
            ("核验", "用浏览器打开 verify.html 载入 manifest.json 核对，或运行 shuangsuiji verify（抽签目录）。")
        )
        return tuple(out)


def _fail(source: str, message: str) -> InputError:
    return InputError(
        _("{source}: {message} (see docs/notices.md for the settings file).").format(source=source, message=message)
    )


def _text(value: object, key: str, source: str) -> str:
    if not isinstance(value, str):
        message = _("'{key}' must be a text in quotes; got {kind} {value!r}")
        raise _fail(source, message.format(key=key, kind=type(value).__name__, value=value))
    return value.strip()


def _date(value: object, source: str) -> dt.date:
    if isinstance(value, dt.datetime):
        message = _("'date' is a day without a time, such as date = 2027-02-20; got {value}")
        raise _fail(source, message.format(value=value.isoformat()))
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _fail(
        source, _("'date' must be a date YYYY-MM-DD, such as date = 2027-02-20; got {value!r}").format(value=value)
    )


def _preamble(value: object, source: str) -> Mapping[str, str]:
    if isinstance(value, str):
        return MappingProxyType(dict.fromkeys(_PREAMBLE_KEYS, value.strip()))
    if not isinstance(value, dict):
        raise _fail(source, _("'preamble' is a text, or a table [preamble] with plan, task and result texts"))
    check_keys(value, _PREAMBLE_KEYS, f"{source}: [preamble]", error=InputError)
    return MappingProxyType({k: _text(v, f"preamble.{k}", source) for k, v in value.items()})


def load_notice_settings(path: str | Path) -> NoticeSettings:
    """Read a bureau's notice settings: ``notice.toml`` with :data:`SETTINGS_KEYS` (``docs/notices.md``).

    Raises
    ------
    NotFoundError
        If the file does not exist.
    InputError
        For a file that is not TOML, an unknown key (the closest known one suggested) or a value of
        the wrong kind, naming the file and what to write instead.
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise NotFoundError(_("{source}: no such settings file (give the bureau's notice.toml).").format(source=source))
    try:
        raw = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise _fail(source, _("the settings file is not UTF-8 text")) from None
    except tomllib.TOMLDecodeError as exc:
        raise _fail(source, _("not valid TOML: {error}; texts go in double quotes").format(error=exc)) from None
    check_keys(raw, SETTINGS_KEYS, source, error=InputError)
    return NoticeSettings(
        bureau=_text(raw.get("bureau", ""), "bureau", source),
        date=_date(raw["date"], source) if "date" in raw else None,
        letterhead=_text(raw.get("letterhead", ""), "letterhead", source),
        preamble=_preamble(raw["preamble"], source) if "preamble" in raw else MappingProxyType({}),
        contact=_text(raw.get("contact", ""), "contact", source),
        source=source,
    )
