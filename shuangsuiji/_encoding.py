"""How the bytes of a CSV file become text: the encoding found and checked, never guessed silently (private).

The rule (``docs/inputs.md``, "Encodings"):

1. A byte-order mark decides: UTF-8 (``EF BB BF``) or UTF-16 (``FF FE``, ``FE FF``); a file without a
   mark whose first 4 KiB hold NUL bytes and read as UTF-16 text (little- or big-endian, no NUL
   character, a comma or a line end, 95% printable) is UTF-16 too.
2. ``--encoding NAME`` (any name Python's codecs know) is used as given, but the whole file must
   decode in it, and a file that is UTF-8 with Chinese text is refused under another name.
3. Otherwise UTF-8 when the whole file decodes as UTF-8; else GB18030 when the whole file decodes as
   GB18030 and the part before the first byte that is not UTF-8 is not UTF-8 Chinese (most of its
   non-ASCII characters CJK) and has no UTF-8 byte-order mark. A file whose text read as GB18030
   is mostly characters outside GB 2312 and that decodes as Big5 is refused as likely Big5.
4. A NUL byte (in a file that is not UTF-16) is refused: no spreadsheet writes one into a CSV.

Every refusal names the line (counted from 1, as an editor counts) and the byte, and says how to fix it.
"""

from __future__ import annotations

import codecs
import io
import mmap
from dataclasses import dataclass
from pathlib import Path

from ._i18n import _
from .exceptions import Problem, TableError

__all__ = ["CsvText", "csv_text"]

_HEAD = 1 << 16
_CHUNK = 1 << 22
#: Share of CJK characters outside GB 2312 above which a GB18030 reading is suspected of being Big5.
_BIG5_SHARE = 0.25


@dataclass(frozen=True)
class CsvText:
    """A CSV file ready for the parser: its UTF-8 bytes (or the file itself when it is UTF-8), and its head as text."""

    source: Path | io.BytesIO
    encoding: str
    head: str
    #: Whether every byte was checked; ``False`` when only the head was, and the parser checks the rest
    #: (a parser's complaint then calls :func:`csv_text` again with ``full=True`` to name the byte).
    checked: bool = True


def _line_of(data: bytes | mmap.mmap, offset: int, newline: bytes = b"\n") -> int:
    return data.count(newline, 0, offset) + 1 if isinstance(data, bytes) else data[:offset].count(newline) + 1


def _fail(error: type[TableError], source: str, line: int | None, value: str | None, message: str) -> TableError:
    return error([Problem(source, line, None, value, message)])


def _lookup(name: str, source: str, error: type[TableError]) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise _fail(
            error,
            source,
            None,
            name,
            _(
                "{name!r} is not an encoding Python knows; leave --encoding out (UTF-8 or GB18030 are found by "
                "themselves) or give one such as utf-8, gb18030, big5, utf-16"
            ).format(name=name),
        ) from None


def _utf16(head: bytes) -> str | None:
    """UTF-16 by its byte-order mark, or (without one) when NUL bytes are there and the start reads as UTF-16 text."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = head[: 4096 & ~1 if len(head) >= 4096 else len(head) & ~1]
    if b"\x00" not in sample:
        return None
    for name in ("utf-16-le", "utf-16-be"):
        try:
            text = codecs.getincrementaldecoder(name)("strict").decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        readable = sum(c.isprintable() or c in "\r\n\t" for c in text)
        if text and "\x00" not in text and ("\n" in text or "," in text) and readable >= 0.95 * len(text):
            return name
    return None


def _strict_decode(data: bytes | mmap.mmap, encoding: str, *, keep: bool = True) -> tuple[str | None, int]:
    """The text of ``data`` in ``encoding`` (its first chunk only unless ``keep``), or ``None`` and the first bad byte.

    The offset returned is ``-1`` when every byte decodes.
    """
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    parts: list[str] = []
    for start in range(0, max(1, len(data)), _CHUNK):
        try:
            text = decoder.decode(data[start : start + _CHUNK], final=start + _CHUNK >= len(data))
        except UnicodeDecodeError as exc:
            return None, start + exc.start
        if keep or not parts:
            parts.append(text)
    return "".join(parts), -1


def _undecodable(
    data: bytes | mmap.mmap, offset: int, encoding: str, source: str, error: type[TableError]
) -> TableError:
    line = _line_of(data, offset)
    value = bytes(data[offset : offset + 4]).hex(" ").upper()
    if offset >= len(data) - 4:
        why = _(
            "the file ends inside a character ({encoding}): it was cut short; save it again from the spreadsheet"
        ).format(encoding=encoding)
    else:
        why = _(
            "bytes {value} cannot be read as {encoding}; correct that character or save the file as UTF-8 CSV"
        ).format(value=value, encoding=encoding)
    return _fail(error, source, line, value, why)


def _cjk(c: str) -> bool:
    return "\u2e80" <= c <= "\u9fff" or "\uf900" <= c <= "\uffef"


def _utf8_text(before: str) -> bool:
    """Whether text read as UTF-8 holds Chinese: most of its non-ASCII characters CJK.

    GB18030 bytes often pass for a few UTF-8 characters of two bytes (Greek, Cyrillic, ...), seldom for
    the three-byte characters of Chinese.
    """
    wide = [c for c in before if not c.isascii()]
    return bool(wide) and sum(map(_cjk, wide)) * 2 > len(wide)


def _looks_big5(text: str, data: bytes | mmap.mmap) -> bool:
    cjk = [c for c in text[:200_000] if _cjk(c)]
    if len(cjk) < 8:
        return False
    outside = 0
    for c in cjk:
        try:
            c.encode("gb2312")
        except UnicodeEncodeError:
            outside += 1
    if outside <= _BIG5_SHARE * len(cjk):
        return False
    return _strict_decode(data, "big5")[0] is not None


def _given(data: bytes | mmap.mmap, name: str, source: str, error: type[TableError]) -> str:
    encoding = _lookup(name, source, error)
    if encoding == "utf-8":  # a byte-order mark is not text
        encoding = "utf-8-sig"
    text, bad = _strict_decode(data, encoding)
    if text is None:
        raise _undecodable(data, bad, encoding, source, error)
    utf8_too = not encoding.startswith("utf") and not text.isascii()
    if utf8_too and _strict_decode(data, "utf-8", keep=False)[0] is not None:
        raise _fail(
            error,
            source,
            None,
            name,
            _(
                "the file is UTF-8 (every byte reads as UTF-8, with Chinese text) but --encoding says {name}; "
                "leave --encoding out"
            ).format(name=name),
        )
    return text


def _nul(data: bytes | mmap.mmap, source: str, error: type[TableError]) -> None:
    at = data.find(b"\x00")
    if at >= 0:
        raise _fail(
            error,
            source,
            _line_of(data, at),
            "NUL",
            _(
                "the file holds a NUL byte (0x00), which no spreadsheet writes into a CSV: the file is damaged or "
                "not a CSV; save it again as UTF-8 CSV"
            ),
        )


def _decoded(  # noqa: PLR0917 - private
    data: bytes | mmap.mmap, path: Path, encoding: str | None, source: str, error: type[TableError], full: bool
) -> CsvText:
    head = bytes(data[:_HEAD])
    wide = _utf16(head)
    if encoding is not None or wide is not None:
        text = _given(data, encoding or wide or "", source, error).removeprefix("\ufeff")
        if "\x00" in text:
            line = text.count("\n", 0, text.index("\x00")) + 1
            raise _fail(error, source, line, "NUL", _("the file holds a NUL character; save it again as UTF-8 CSV"))
        return CsvText(io.BytesIO(text.encode("utf-8")), "utf8", text[:_HEAD])
    _nul(data, source, error)
    if not full:
        try:
            start = codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=len(head) == len(data))
        except UnicodeDecodeError:
            pass
        else:  # the usual case: the parser reads the file itself, and checks the rest is UTF-8
            return CsvText(path, "utf8", start.removeprefix("\ufeff"), checked=len(head) == len(data))
    utf8, bad = _strict_decode(data, "utf-8", keep=False)
    if utf8 is not None:  # the usual case: the parser reads the file itself
        return CsvText(path, "utf8", head.decode("utf-8", errors="ignore").removeprefix("\ufeff"))
    before = head[: min(bad, _HEAD)].decode("utf-8", errors="ignore")
    if _utf8_text(before) or head.startswith(codecs.BOM_UTF8):  # UTF-8 text, then a byte that is not
        raise _undecodable(data, bad, "UTF-8", source, error)
    gb_text, _offset = _strict_decode(data, "gb18030")
    if gb_text is None:
        raise _undecodable(data, bad, _("UTF-8 (nor as GB18030)"), source, error)
    if _looks_big5(gb_text, data):
        raise _fail(
            error,
            source,
            None,
            "big5",
            _(
                "the file reads as GB18030 only as rare characters, and as Big5 (traditional Chinese) it reads "
                "cleanly: save it as UTF-8 CSV, or give --encoding big5 (or --encoding gb18030 if it really is "
                "GB18030)"
            ),
        )
    return CsvText(io.BytesIO(gb_text.encode("utf-8")), "utf8", gb_text[:_HEAD])


def csv_text(path: Path, source: str, encoding: str | None, error: type[TableError], *, full: bool = False) -> CsvText:
    """The file's text for the parser, by the rule of this module's description.

    Without ``full``, a file whose first 64 KiB are UTF-8 is passed to the parser unread (the parser
    refuses invalid UTF-8 itself, and its refusal sends the file back here with ``full``).

    Raises
    ------
    TableError
        (``error``) for an unknown encoding name, bytes that do not decode, a NUL byte, or a likely Big5 file.
    """
    if path.stat().st_size == 0:
        if encoding is not None:
            _lookup(encoding, source, error)
        return CsvText(path, "utf8", "")
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return _decoded(data, path, encoding, source, error, full)
