"""The inspection ledger: an append-only, hash-chained record of every check of a year (``docs/ledger.md``).

- :mod:`.entries`: :class:`LedgerEntry`, :class:`LedgerHead` and the hash that chains them (no database);
- :mod:`.chain`: recomputing a chain from its rows, naming the first broken seq;
- :mod:`.store`: :class:`Ledger`, the table through SQLAlchemy Core (SQLite by default, or a server);
- :mod:`.export`: the ledger as CSV, XLSX (every cell text) or Parquet;
- :mod:`.sources`: the entries of a published draw, its assignment, the results, the posted result
  notice, checks outside the draw.

Names resolve on first use, so reading an entry's hash does not load SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach

if TYPE_CHECKING:
    from .chain import verify_rows
    from .entries import (
        CHECK_KINDS,
        COLUMNS,
        EVENTS,
        FIELDS,
        LEDGER_FORMAT,
        ZERO_HASH,
        LedgerEntry,
        LedgerHead,
        entry_hash,
    )
    from .export import EXPORT_SUFFIXES
    from .sources import (
        CHECK_ALIASES,
        CHECK_KIND_NAMES,
        RESULT_ALIASES,
        assignment_entries,
        check_entries,
        draw_entries,
        published_entries,
        result_entries,
    )
    from .store import Ledger

_EXPORTS = {
    "CHECK_ALIASES": ".sources",
    "CHECK_KINDS": ".entries",
    "CHECK_KIND_NAMES": ".sources",
    "COLUMNS": ".entries",
    "EVENTS": ".entries",
    "EXPORT_SUFFIXES": ".export",
    "FIELDS": ".entries",
    "LEDGER_FORMAT": ".entries",
    "RESULT_ALIASES": ".sources",
    "ZERO_HASH": ".entries",
    "LedgerEntry": ".entries",
    "LedgerHead": ".entries",
    "Ledger": ".store",
    "assignment_entries": ".sources",
    "check_entries": ".sources",
    "draw_entries": ".sources",
    "published_entries": ".sources",
    "entry_hash": ".entries",
    "result_entries": ".sources",
    "verify_rows": ".chain",
}
__all__ = [
    "CHECK_ALIASES",
    "CHECK_KINDS",
    "CHECK_KIND_NAMES",
    "COLUMNS",
    "EVENTS",
    "EXPORT_SUFFIXES",
    "FIELDS",
    "LEDGER_FORMAT",
    "RESULT_ALIASES",
    "ZERO_HASH",
    "Ledger",
    "LedgerEntry",
    "LedgerHead",
    "assignment_entries",
    "check_entries",
    "draw_entries",
    "entry_hash",
    "published_entries",
    "result_entries",
    "verify_rows",
]
__getattr__, __dir__ = attach(__name__, _EXPORTS)
