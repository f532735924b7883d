"""Recomputing a ledger's chain from its rows alone: seq, prev and hash of each, and the recorded heads.

The rows can come from the database (:meth:`~shuangsuiji.ledger.Ledger.verify`) or from an
export read back (:func:`verify_rows` on ``frame.to_dict("records")``), so the check needs no
access to the bureau's server.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from .._i18n import N_, _
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
        message = _(
            "broken at seq {expected}: the row in its place has seq {seq!r} (a row was deleted, inserted or renumbered)"
        )
        return message.format(expected=expected, seq=seq)
    if row.get("prev") != prev:
        message = (
            _(
                "broken at seq {expected}: its prev is not 64 zeros (the first row) "
                "(a row was inserted, deleted or changed before it)"
            )
            if expected == 1
            else _(
                "broken at seq {expected}: its prev is not the hash of seq {before} "
                "(a row was inserted, deleted or changed before it)"
            )
        )
        return message.format(expected=expected, before=expected - 1)
    if row.get("hash") != row_hash(row):
        return _("broken at seq {expected}: its hash is not the SHA-256 of its fields (the row was changed)").format(
            expected=expected
        )
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
    passed = _("{count} entries, seq 1 to {count} consecutive, every prev and hash recomputed; head {head}")
    rec.check(N_("ledger chain"), broken is None, broken or passed.format(count=count, head=prev))
    for name, head in sorted(heads.items()):
        _check_head(rec, name, head, found, count)


def _check_head(rec: Recorder, name: str, head: object, found: Mapping[object, object], count: int) -> None:
    label = N_("recorded ledger head {name!r}").format(name=name)
    if not isinstance(head, LedgerHead):
        rec.check(label, False, _("not a ledger head: {head!r}").format(head=head))
    elif head.seq > count:
        message = _(
            "broken at seq {next}: the head was recorded at seq {seq}, "
            "but the ledger has {count} entries (rows were deleted)"
        )
        rec.check(label, False, message.format(next=count + 1, seq=head.seq, count=count))
    elif head.seq not in found:
        message = _("broken at seq {seq}: the ledger has no row seq {seq}")
        rec.check(label, False, message.format(seq=head.seq))
    elif found[head.seq] != head.hash:
        message = _(
            "broken at seq {seq}: the row's hash {found} is not the recorded {hash} "
            "(the ledger was changed up to that row since the head was recorded)"
        )
        rec.check(label, False, message.format(seq=head.seq, found=found[head.seq], hash=head.hash))
    else:
        rec.check(label, True, _("seq {seq}, hash {hash}").format(seq=head.seq, hash=head.hash))


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
