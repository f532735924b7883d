"""RFC 6962 Merkle trees over the population, with audit paths.

The tree of RFC 6962 (certificate transparency), section 2.1:

- leaf hash ``SHA-256(0x00 || leaf)``, interior node ``SHA-256(0x01 || left || right)``;
- the tree of ``n > 1`` leaves has as left child the tree of the first ``k`` leaves,
  ``k`` the largest power of two below ``n``, and as right child the tree of the rest;
- the empty tree's hash is ``SHA-256("")``.

That shape is the same as folding, from the right, the perfect subtrees that the
binary digits of ``n`` cut the leaves into (for 13 = 8 + 4 + 1: ``H(T8, H(T4, T1))``),
which is how :func:`merkle_root` and :class:`StreamingRoot` compute it: perfect
subtrees level by level on whole arrays, and the fold in bounded memory.

The leaves of a population are its entities in code order, each the RFC 8785
canonical JSON of exactly the fields the draw reads (:func:`population_leaves`).
Leaf format 2 (:data:`LEAF_FORMAT`) orders the keys as RFC 8785 does (by UTF-16
code units) and adds, beside the credit class the draw used, the register's own
value under the key ``#register:`` + the credit column (:func:`leaf_table`);
format 1 (:data:`LEAF_FORMAT_1`) ordered keys by code point and had no such key.
Manifests record the format, and those of format 1 still verify.

Examples
--------
>>> import hashlib
>>> merkle_root([b"a"]) == hashlib.sha256(b"\\x00a").digest()
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._hashing import digest_rows
from ._i18n import _
from ._strings import ByteColumn, byte_column
from .exceptions import InputError
from .plan import Plan
from .salting import REGISTER_PREFIX, entity_salt, salted

__all__ = [
    "LEAF_FORMAT",
    "LEAF_FORMATS",
    "LEAF_FORMAT_1",
    "REGISTER_PREFIX",
    "AuditPath",
    "StreamingAuditPath",
    "StreamingRoot",
    "audit_path",
    "audit_ranges",
    "leaf_fields",
    "leaf_hashes",
    "leaf_included",
    "leaf_table",
    "merkle_root",
    "population_leaves",
    "verify_audit_path",
]

EMPTY_ROOT = hashlib.sha256(b"").digest()
#: Leaf format 1: keys in code-point order, the credit class as the draw used it.
LEAF_FORMAT_1 = "rfc8785-json"
#: Leaf format 2 (the default): keys in RFC 8785 (UTF-16) order, and the register's own credit class.
LEAF_FORMAT = "shuangsuiji-leaf/2"
#: Every leaf format, by the number a command line gives.
LEAF_FORMATS = {1: LEAF_FORMAT_1, 2: LEAF_FORMAT}


def leaf_hashes(
    leaves: Sequence[bytes] | pa.Array | pa.ChunkedArray, *, workers: int | None = None
) -> npt.NDArray[np.uint8]:
    """``SHA-256(0x00 || leaf)`` of each leaf, as an ``(n, 32)`` matrix."""
    return digest_rows(b"\x00", byte_column(leaves), workers=workers)


def _pair_level(level: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """One level up a perfect tree: ``SHA-256(0x01 || left || right)`` of consecutive pairs."""
    return digest_rows(b"\x01", ByteColumn.from_matrix(level.reshape(-1, 64)))


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _perfect_root(hashes: npt.NDArray[np.uint8]) -> bytes:
    """Root of a perfect tree (``len(hashes)`` a power of two)."""
    level = hashes
    while len(level) > 1:
        level = _pair_level(level)
    return bytes(level[0].tobytes())


def merkle_root(leaves: Sequence[bytes] | None = None, *, hashes: npt.NDArray[np.uint8] | None = None) -> bytes:
    """The RFC 6962 root of ``leaves`` (or of precomputed leaf ``hashes``).

    Examples
    --------
    >>> a, b, c = (hashlib.sha256(b"\\x00" + x).digest() for x in (b"a", b"b", b"c"))
    >>> merkle_root([b"a", b"b", b"c"]) == _node(_node(a, b), c)
    True
    """
    if hashes is None:
        hashes = leaf_hashes(list(leaves or []))
    stream = StreamingRoot()
    stream.add(hashes)
    return stream.root()


class StreamingRoot:
    """The RFC 6962 root of leaf hashes fed in order, in memory bounded by the batch size.

    Keeps at most one perfect subtree per binary digit of the count so far
    (like a binary counter) plus a partial batch.

    Examples
    --------
    >>> h = leaf_hashes([bytes([i]) for i in range(7)])
    >>> s = StreamingRoot()
    >>> for i in range(0, 7, 3):
    ...     s.add(h[i : i + 3])
    >>> s.root() == merkle_root(hashes=h)
    True
    """

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []  # (size, root) of perfect subtrees, sizes decreasing
        self.count = 0

    def add(self, hashes: npt.NDArray[np.uint8]) -> None:
        """Append leaf hashes (an ``(m, 32)`` matrix) to the tree."""
        i, m = 0, len(hashes)
        while i < m:
            # The largest perfect block that starts here and keeps the subtrees aligned.
            align = self.count & -self.count if self.count else 1 << 62
            size = 1 << (m - i).bit_length() - 1
            size = min(size, align)
            self._push(size, _perfect_root(hashes[i : i + size]))
            i += size

    def _push(self, size: int, root: bytes) -> None:
        self.count += size
        while self._stack and self._stack[-1][0] == size:
            left = self._stack.pop()[1]
            root, size = _node(left, root), size * 2
        self._stack.append((size, root))

    def root(self) -> bytes:
        """The root of everything added so far (``SHA-256("")`` when empty)."""
        if not self._stack:
            return EMPTY_ROOT
        acc = self._stack[-1][1]
        for _level, left in reversed(self._stack[:-1]):
            acc = _node(left, acc)
        return acc


@dataclass(frozen=True)
class AuditPath:
    """An RFC 6962 audit path: leaf ``index`` of a tree of ``size`` leaves and its sibling hashes."""

    index: int
    size: int
    path: tuple[bytes, ...]


def audit_path(hashes: npt.NDArray[np.uint8], index: int) -> AuditPath:
    """The audit path of leaf ``index`` among leaf ``hashes`` (RFC 6962 section 2.1.1).

    Built bottom-up: at each level the sibling of the node, if it has one (the
    last node of an odd level has none and moves up unchanged), which gives
    the same path as the RFC's recursive definition.
    """
    n = len(hashes)
    if not 0 <= index < n:
        raise InputError(_("Leaf {index} is not in a tree of {size} leaves.").format(index=index, size=n))
    path: list[bytes] = []
    level = hashes
    i = index
    while len(level) > 1:
        sibling = i ^ 1
        if sibling < len(level):
            path.append(level[sibling].tobytes())
        even = len(level) - len(level) % 2
        up = _pair_level(level[:even])
        level = np.concatenate([up, level[even:]]) if len(level) % 2 else up
        i //= 2
    return AuditPath(index, n, tuple(path))


def audit_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose subtree roots make up the audit path of leaf ``index``, bottom-up.

    RFC 6962's recursive definition: with ``k`` the largest power of two below
    the size, the path of a leaf left of ``k`` is its path in the left subtree
    followed by the root of ``[k, n)``, and of a leaf right of it, its path in
    the right subtree followed by the root of ``[0, k)``.

    Examples
    --------
    >>> audit_ranges(2, 5)
    [(3, 4), (0, 2), (4, 5)]
    """
    if not 0 <= index < size:
        raise InputError(_("Leaf {index} is not in a tree of {size} leaves.").format(index=index, size=size))
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    return ranges[::-1]


class StreamingAuditPath:
    """The audit path of one leaf, from leaf hashes fed in order, in memory bounded by the batch.

    Each sibling subtree of the path is a range of leaves (:func:`audit_ranges`)
    whose root a :class:`StreamingRoot` computes as the leaves stream past.

    Examples
    --------
    >>> h = leaf_hashes([bytes([i]) for i in range(11)])
    >>> s = StreamingAuditPath(6, 11)
    >>> for i in range(0, 11, 4):
    ...     s.add(i, h[i : i + 4])
    >>> s.path() == audit_path(h, 6)
    True
    """

    def __init__(self, index: int, size: int) -> None:
        self.index, self.size = index, size
        self._ranges = audit_ranges(index, size)
        self._roots = [StreamingRoot() for _ in self._ranges]
        self.count = 0

    def add(self, first: int, hashes: npt.NDArray[np.uint8]) -> None:
        """Feed the hashes of leaves ``first, first + 1, ...`` (batches in order, without gaps)."""
        if first != self.count:
            said = _("Leaves must come in order: expected leaf {expected}, got {first}.")
            raise InputError(said.format(expected=self.count, first=first))
        end = first + len(hashes)
        for (lo, hi), root in zip(self._ranges, self._roots, strict=True):
            a, b = max(lo, first), min(hi, end)
            if a < b:
                root.add(hashes[a - first : b - first])
        self.count = end

    def path(self) -> AuditPath:
        """The audit path, once every leaf has been fed."""
        if self.count != self.size:
            raise InputError(_("{count} of {size} leaves were fed.").format(count=self.count, size=self.size))
        return AuditPath(self.index, self.size, tuple(r.root() for r in self._roots))


def verify_audit_path(leaf_hash: bytes, proof: AuditPath, root: bytes) -> bool:
    """Check an audit path against a root (the algorithm of RFC 9162 section 2.1.3.2).

    Examples
    --------
    >>> h = leaf_hashes([b"a", b"b", b"c"])
    >>> verify_audit_path(h[2].tobytes(), audit_path(h, 2), merkle_root(hashes=h))
    True
    """
    if not 0 <= proof.index < proof.size:
        return False
    fn, sn = proof.index, proof.size - 1
    r = leaf_hash
    for p in proof.path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def leaf_included(leaf: str, index: int, size: int, path_hex: Sequence[str], root_hex: str) -> bool:
    """Whether a leaf's text, at ``index`` of ``size`` leaves, leads with its audit path (hex) to the root (hex).

    Malformed hex is no proof (``False``), never an error: proofs are untrusted input.

    Examples
    --------
    >>> h = leaf_hashes([b"a", b"b", b"c"])
    >>> leaf_included("c", 2, 3, [p.hex() for p in audit_path(h, 2).path], merkle_root(hashes=h).hex())
    True
    """
    digest = hashlib.sha256(b"\x00" + leaf.encode("utf-8")).digest()
    try:
        return verify_audit_path(
            digest, AuditPath(index, size, tuple(map(bytes.fromhex, path_hex))), bytes.fromhex(root_hex)
        )
    except ValueError:
        return False


def leaf_fields(plan: Plan, columns: Iterable[str]) -> tuple[str, ...]:
    """The population fields a plan's draw reads, sorted: ``uscc``, strata, ``where``, credit and status columns."""
    wanted = {"uscc", *plan.columns(), plan.credit.column, plan.status_column}
    return tuple(sorted(c for c in wanted if c in set(columns)))


_ESCAPES = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}


def _json_string(value: str) -> str:
    """A string as RFC 8785 (and ECMAScript JSON.stringify) writes it."""
    out = []
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif code < 0x20:
            out.append(_ESCAPES.get(code, f"\\u{code:04x}"))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _utf16(key: str) -> bytes:
    return key.encode("utf-16-be")


def leaf_table(
    frame: pd.DataFrame,
    fields: Sequence[str],
    *,
    leaf_format: str = LEAF_FORMAT,
    credit_column: str | None = None,
    register: pd.Series | None = None,
    hidden: Collection[str] = (),
    salt_key: bytes | None = None,
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The columns a leaf of ``leaf_format`` holds, and their keys in the format's order.

    For format 2, the credit column (when a leaf field) gets a companion
    ``#register:<column>``: the register's own value (``register``, positional;
    by default the value the draw used, when nothing was filled in). The ``hidden`` fields (and
    their ``#register:`` companions) hold salted commitments instead of values
    (:mod:`shuangsuiji.salting`), salted from ``salt_key``.

    Raises
    ------
    InputError
        For an unknown leaf format, hidden fields in format 1, or hidden fields without a salt key.

    Examples
    --------
    >>> frame = pd.DataFrame({"uscc": ["X"], "credit_class": ["C"]})
    >>> leaf_table(frame, ["credit_class", "uscc"], credit_column="credit_class", register=pd.Series([""]))[1]
    ('#register:credit_class', 'credit_class', 'uscc')
    """
    if leaf_format == LEAF_FORMAT_1:
        if set(hidden) & set(fields):
            raise InputError(_("Hidden fields need the Merkle leaf format 2; drop --leaf-format 1."))
        return frame, tuple(sorted(fields))
    if leaf_format != LEAF_FORMAT:
        said = _("Unknown Merkle leaf format {format!r}; this library writes {formats}.")
        raise InputError(said.format(format=leaf_format, formats=list(LEAF_FORMATS.values())))
    reserved = [f for f in fields if f.startswith("#")]
    if reserved:
        said = _("Column {column!r}: names beginning with '#' are reserved for leaf keys; rename it.")
        raise InputError(said.format(column=reserved[0]))
    keys = list(fields)
    if credit_column is not None and credit_column in fields:
        key = REGISTER_PREFIX + credit_column
        raw = frame[credit_column] if register is None else pd.Series(register.to_numpy(), index=frame.index)
        frame = frame.assign(**{key: raw.astype("str")})
        keys.append(key)
    secret = [k for k in keys if k.removeprefix(REGISTER_PREFIX) in hidden]
    if secret:
        if salt_key is None:
            raise InputError(
                _(
                    "The plan hides {columns}: give the bureau's salt key (--salt-key FILE, written by "
                    "'commit --salt-key-out') to compute the population's Merkle leaves."
                ).format(columns=sorted(set(hidden)))
            )

        codes = frame["uscc"].astype("str").tolist()
        frame = frame.assign(
            **{
                k: [salted(entity_salt(salt_key, c, k), v) for c, v in zip(codes, frame[k].astype("str"), strict=True)]
                for k in secret
            }
        )
    return frame, tuple(sorted(keys, key=_utf16))


def population_leaves(frame: pd.DataFrame, fields: Sequence[str], *, ordered: bool = False) -> pa.Array:
    r"""The leaf of each row: RFC 8785 canonical JSON of ``fields`` (string values), as UTF-8.

    The keys go in code-point order (leaf format 1), or as given with ``ordered``
    (the order :func:`leaf_table` gives for format 2).

    Built with vectorised string joins; values holding a quote, a backslash or
    a control character are escaped one by one.

    Examples
    --------
    >>> population_leaves(pd.DataFrame({"uscc": ["X"], "region": ['4"1']}), ["uscc", "region"]).to_pylist()
    ['{"region":"4\\"1","uscc":"X"}']
    """
    parts: list[object] = []
    for i, f in enumerate(fields if ordered else sorted(fields)):
        col = pa.array(frame[f], type=pa.string())
        needs = pc.match_substring_regex(col, r'["\\\x00-\x1f]')
        if pc.any(needs).as_py():
            flags = needs.to_pylist()
            col = pa.array(
                [_json_string(v) if flag else f'"{v}"' for v, flag in zip(col.to_pylist(), flags, strict=True)]
            )
        else:
            col = pc.binary_join_element_wise('"', col, '"', "")
        parts.append(("{" if i == 0 else ",") + _json_string(f) + ":")
        parts.append(col)
    parts.append("}")
    return pc.binary_join_element_wise(*parts, "")
