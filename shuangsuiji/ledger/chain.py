"""Recomputing a ledger's chain from its rows alone: seq, prev and hash of each, and the recorded heads.

The rows can come from the database (:meth:`~shuangsuiji.ledger.Ledger.verify`) or from an
export read back (:func:`verify_rows` on ``frame.to_dict("records")``), so the check needs no
access to the bureau's server.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from ..checks import Recorder, Verification
from ..exceptions import InputError
from .entries import FIELDS, ZERO_HASH, LedgerHead, hashed_bytes

__all__ = ["check_chain", "row_hash", "verify_rows"]


def row_hash(row: Mapping[str, object]) -> str:
    """The hash a stored row should carry, recomputed from its ``seq``, ``prev`` and entry fields.

    A row whose values are not what the library stores (text fields, a whole-number ``seq``)
    gets ``""``, which matches no stored hash.
    """
    try:
        return hashlib.sha256(hashed_bytes(row["seq"], row["prev"], {f: row[f] for f in FIELDS})).hexdigest()  # type: ignore[arg-type]
    except (InputError, KeyError, TypeError):
        return ""


def _row_problem(row: Mapping[str, object], expected: int, prev: str) -> str | None:
    """Why ``row`` cannot be row ``expected`` after a row hashed ``prev``, or ``None``."""
    seq = row.get("seq")
    if seq != expected:
        return (
            f"broken at seq {expected}: the row in its place has seq {seq!r} "
            "(a row was deleted, inserted or renumbered)"
        )
    if row.get("prev") != prev:
        before = "64 zeros (the first row)" if expected == 1 else f"the hash of seq {expected - 1}"
        return f"broken at seq {expected}: its prev is not {before} (a row was inserted, deleted or changed before it)"
    if row.get("hash") != row_hash(row):
        return f"broken at seq {expected}: its hash is not the SHA-256 of its fields (the row was changed)"
    return None


def check_chain(rec: Recorder, rows: Iterable[Mapping[str, object]], heads: Mapping[str, LedgerHead]) -> None:
    """Record the chain check of ``rows`` (in ``seq`` order) and one check per recorded head.

    The chain check names the first broken seq; a recorded head passes when the row at its seq
    has its hash (a deleted last row is found this way: the head recorded after it is gone).
    """
    wanted = {h.seq for h in heads.values() if isinstance(h, LedgerHead)}
    found: dict[object, object] = {0: ZERO_HASH}
    count, prev, broken = 0, ZERO_HASH, None
    for row in rows:
        if broken is None:
            broken = _row_problem(row, count + 1, prev)
        if row.get("seq") in wanted:
            found[row.get("seq")] = row.get("hash")
        count += 1
        prev = str(row.get("hash"))
    rec.check(
        "ledger chain",
        broken is None,
        broken or f"{count} entries, seq 1 to {count} consecutive, every prev and hash recomputed; head {prev}",
    )
    for name, head in sorted(heads.items()):
        _check_head(rec, name, head, found, count)


def _check_head(rec: Recorder, name: str, head: object, found: Mapping[object, object], count: int) -> None:
    label = f"recorded ledger head {name!r}"
    if not isinstance(head, LedgerHead):
        rec.check(label, False, f"not a ledger head: {head!r}")
    elif head.seq > count:
        rec.check(
            label,
            False,
            f"broken at seq {count + 1}: the head was recorded at seq {head.seq}, "
            f"but the ledger has {count} entries (rows were deleted)",
        )
    elif head.seq not in found:
        rec.check(label, False, f"broken at seq {head.seq}: the ledger has no row seq {head.seq}")
    elif found[head.seq] != head.hash:
        rec.check(
            label,
            False,
            f"broken at seq {head.seq}: the row's hash {found[head.seq]} is not the recorded {head.hash} "
            "(the ledger was changed up to that row since the head was recorded)",
        )
    else:
        rec.check(label, True, f"seq {head.seq}, hash {head.hash}")


def verify_rows(rows: Iterable[Mapping[str, object]], heads: Mapping[str, LedgerHead] | None = None) -> Verification:
    """Verify rows read from anywhere (an export, a copy of the table), in ``seq`` order.

    Examples
    --------
    >>> verify_rows([]).ok
    True
    """
    rec = Recorder()
    check_chain(rec, rows, heads or {})
    return rec.done()
