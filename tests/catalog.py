"""The message catalogs: find every message of the package, check the Chinese, compile the ``.mo`` files.

``python -m tests.catalog`` (inside the project's environment: ``python3 run.py shell python -m
tests.catalog``) compiles every ``shuangsuiji/locale/zh_CN/LC_MESSAGES/*.po`` into its ``.mo`` and
lists the messages no catalog translates yet, each with where it is written. ``--part PART``
compiles only ``PART.po``; ``--part PART --missing [FILE.py ...]`` first appends the untranslated
messages (of those files only, if named) to ``PART.po``, empty, for a translator to fill. ``tests/test_messages.py``
runs the same checks and fails on any gap.

Messages are found by Babel's Python extractor: the literal argument of ``_()``, ``N_()`` and
``ngettext()`` in every module of the package.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "shuangsuiji"
FOLDER = PACKAGE / "locale" / "zh_CN" / "LC_MESSAGES"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


@dataclass(frozen=True)
class Message:
    """One message as the source writes it: its text (and plural, for ``ngettext``) and where it is."""

    text: str
    plural: str | None
    places: tuple[str, ...]


def extract() -> dict[str, Message]:
    """Every message of the package, by its text."""
    found: dict[str, Message] = {}
    for filename, lineno, text, _comments, _context in extract_from_dir(
        PACKAGE, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()
    ):
        singular, plural = (text, None) if isinstance(text, str) else (text[0], text[1])
        place = f"shuangsuiji/{filename}:{lineno}"
        before = found.get(singular)
        found[singular] = Message(singular, plural, (*before.places, place) if before else (place,))
    return found


def catalogs() -> dict[Path, Catalog]:
    """Each part of the Chinese catalog, by its ``.po`` file."""
    out = {}
    for po in sorted(FOLDER.glob("*.po")):
        with po.open("rb") as handle:
            out[po] = read_po(handle, locale="zh_CN")
    return out


def translations() -> dict[str, str | tuple[str, ...]]:
    """Every translated message of every part (an empty translation counts as none)."""
    out: dict[str, str | tuple[str, ...]] = {}
    for catalog in catalogs().values():
        for entry in catalog:
            if not entry.id or entry.fuzzy:
                continue
            key = entry.id if isinstance(entry.id, str) else entry.id[0]
            strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            if all(strings):
                out[key] = entry.string if isinstance(entry.string, tuple) else str(entry.string)
    return out


def compiled(catalog: Catalog) -> bytes:
    """The ``.mo`` bytes of a catalog."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def compile_all(part: str | None = None) -> list[Path]:
    """Write each part's (or only ``part``'s) ``.mo`` where it differs from its ``.po``; returns those written."""
    written = []
    for po, catalog in catalogs().items():
        if part is not None and po.stem != part:
            continue
        mo = po.with_suffix(".mo")
        data = compiled(catalog)
        if not mo.is_file() or mo.read_bytes() != data:
            mo.write_bytes(data)
            written.append(mo)
    return written


def missing() -> list[Message]:
    """The messages no part translates."""
    done = translations()
    return [m for text, m in sorted(extract().items()) if text not in done]


def _place(place: str) -> tuple[str, int]:
    path, line = place.rsplit(":", 1)
    return path, int(line)


def add_missing(part: str, files: list[str] | None = None) -> int:
    """Append the untranslated messages (only those written in ``files``, if given) to ``PART.po``.

    ``PART.po`` is created if new; returns how many were added.
    """
    po = FOLDER / f"{part}.po"
    if po.is_file():
        with po.open("rb") as handle:
            catalog = read_po(handle, locale="zh_CN")
    else:
        catalog = Catalog(locale="zh_CN", project="shuangsuiji", charset="utf-8")
    wanted = None if files is None else {Path(f).resolve().relative_to(ROOT).as_posix() for f in files}
    todo = [m for m in missing() if wanted is None or any(place.rsplit(":", 1)[0] in wanted for place in m.places)]
    for message in todo:
        key = message.text if message.plural is None else (message.text, message.plural)
        catalog.add(key, "" if message.plural is None else ("",), locations=[_place(p) for p in message.places])
    write(po, catalog)
    return len(todo)


def write(po: Path, catalog: Catalog) -> None:
    """Write a part as Babel writes it (no line numbers: they would change with every edit of the source)."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, include_lineno=False, sort_output=True)
    po.write_bytes(buffer.getvalue())


def main(argv: list[str]) -> int:
    """``[--part PART [--missing] [FILE ...]]``: compile (one part), add a part's untranslated, list the gaps."""
    part = argv[argv.index("--part") + 1] if "--part" in argv else None
    files = [a for a in argv if a.endswith(".py")]
    if "--missing" in argv and part is not None:
        print(f"{add_missing(part, files or None)} messages added to {part}.po")
    for mo in compile_all(part):
        print(f"wrote {mo.relative_to(ROOT)}")
    gaps = missing()
    wanted = {Path(f).resolve().relative_to(ROOT).as_posix() for f in files}
    for message in gaps:
        if not wanted or any(place.rsplit(":", 1)[0] in wanted for place in message.places):
            print(f"untranslated: {message.text!r} ({message.places[0]})")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
