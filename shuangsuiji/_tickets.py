"""Tickets in bulk: hashing many codes, their sort keys, and the k smallest (private module).

Both draw engines and the public :func:`shuangsuiji.ticket_digests` use these.
A ticket's leading 8 bytes, read as a big-endian integer, order tickets as the
whole digests do but for ties, so selection runs on 64-bit keys and compares
whole tickets (then codes) only where those tie.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._hashing import digest_rows
from ._i18n import _
from ._strings import byte_column
from .exceptions import InputError
from .seed import Seed

__all__ = ["select_keys", "ticket_digests", "ticket_keys", "tickets_hex"]


def ticket_keys(digests: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]:
    """The first 8 bytes of each raw ticket as a big-endian integer: they order like the tickets."""
    return np.ascontiguousarray(digests[:, :8]).view(">u8").ravel().astype(np.uint64)


def ticket_digests(
    seed: str | Seed,
    scope: str,
    codes: pd.Series | Sequence[str],
    *,
    rows: npt.NDArray[np.intp] | None = None,
    workers: int | None = None,
) -> npt.NDArray[np.uint8]:
    """Raw SHA-256 tickets of many codes, as an ``(n, 32)`` byte matrix.

    Row ``i`` equals ``bytes.fromhex(ticket(seed, scope, codes[rows[i]]))``.
    Computed in bounded-memory chunks, on several processes for large inputs;
    the result never depends on ``workers``.

    Parameters
    ----------
    seed : str or Seed
        64 lowercase hex digits.
    scope : str
        Plan id (coordinated tasks) or ``plan_id.task_id`` (independent).
    codes : pandas.Series or sequence of str
        The codes.
    rows : numpy.ndarray, optional
        Positions of the codes to hash, in output order (default: all).
    workers : int, optional
        Processes to hash on; default: the available CPUs (at most 8).

    Raises
    ------
    SeedError
        If ``seed`` is not a seed.

    Examples
    --------
    >>> d = ticket_digests("0" * 64, "P1", ["91110000600037341L"])
    >>> d.tobytes().hex() == Seed.of("0" * 64).ticket("P1", "91110000600037341L")
    True
    """
    prefix = Seed.of(seed).ticket_prefix(scope)
    return digest_rows(prefix, byte_column(codes), rows, workers=workers)


def select_keys(
    keys: npt.NDArray[np.uint64], k: int, full_order: Callable[[npt.NDArray[np.intp]], npt.NDArray[np.intp]]
) -> npt.NDArray[np.intp]:
    """Positions of the ``k`` smallest tickets, smallest first, from their leading 64 bits.

    ``full_order`` orders a set of positions by whole ticket then code; it is
    called only on positions whose leading 64 bits tie (about one draw in 10^9
    at ten million entities).

    Raises
    ------
    InputError
        If ``k`` is not between 0 and the number of keys.
    """
    m = len(keys)
    if not 0 <= k <= m:
        raise InputError(_("cannot take {k} of {m}").format(k=k, m=m))
    if k == 0:
        return np.zeros(0, dtype=np.intp)
    if k < m:
        kth = keys[np.argpartition(keys, k - 1)[k - 1]]
        candidates = np.flatnonzero(keys <= kth)
    else:
        candidates = np.arange(m)
    order = candidates[np.argsort(keys[candidates], kind="stable")]
    ordered = keys[order]
    if (ordered[1:] == ordered[:-1]).any():
        order = full_order(order)
    return order[:k]


def tickets_hex(digests: npt.NDArray[np.uint8]) -> list[str]:
    """Hex text of raw tickets (rows of an ``(n, 32)`` matrix).

    Examples
    --------
    >>> tickets_hex(np.zeros((1, 32), dtype=np.uint8)) == ["0" * 64]
    True
    """
    text = np.ascontiguousarray(digests).tobytes().hex()
    return [text[i : i + 64] for i in range(0, len(text), 64)]
