"""Hidden fields: salted commitments in the Merkle leaves (``[publication] hidden``, ``docs/ceremony.md``).

A plan may keep a column out of everything it publishes (the credit class: many local rules keep
信用风险分类 results internal). Its value then enters each Merkle leaf as a salted commitment,
``#salted:`` + hex(SHA-256(salt || UTF-8 value)), so the committed root still binds it while no
leaf shows it. Each entity's salt is its own, derived from a key the bureau keeps (never published):
``salt = HMAC-SHA256(key, "shuangsuiji-salt/1" || 0x00 || code || 0x00 || field)``. A firm's proof
carries the value and salt of its own hidden fields (its *openings*), which reveal nothing of any
other firm.

Examples
--------
>>> salt = entity_salt(bytes(32), "91110000600037341L", "credit_class")
>>> commitment = salted(salt, "B")
>>> commitment.startswith(SALTED_PREFIX), opens(commitment, "B", salt.hex()), opens(commitment, "A", salt.hex())
(True, True, False)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._i18n import N_, _
from .checks import Recorder
from .exceptions import CeremonyError, InternalError, ProofError

__all__ = [
    "MASK",
    "REGISTER_PREFIX",
    "SALTED_PREFIX",
    "SALT_LABEL",
    "entity_openings",
    "entity_salt",
    "label_matches",
    "masked_label",
    "new_salt_key",
    "opened_values",
    "opens",
    "read_salt_key",
    "salted",
]

#: How a leaf value that is a salted commitment begins.
SALTED_PREFIX = "#salted:"
#: The label of the salt derivation.
SALT_LABEL = b"shuangsuiji-salt/1"
#: The key of a leaf of format 2 that holds the register's own value of a column (the credit class).
REGISTER_PREFIX = "#register:"
#: What a public table shows in a stratum label for the value of a hidden column.
MASK = "#hidden"


def _values(label: str, columns: Sequence[str]) -> list[str] | None:
    """The values of a label ``col=value|col=value`` of these columns (``None`` if it is not one of them)."""
    values, rest = [], label
    for i, column in enumerate(columns):
        if not rest.startswith(column + "="):
            return None
        rest = rest[len(column) + 1 :]
        if i + 1 < len(columns):
            at = rest.find("|" + columns[i + 1] + "=")
            if at < 0:
                return None
            values.append(rest[:at])
            rest = rest[at + 1 :]
        else:
            values.append(rest)
    return values


def masked_label(label: str, columns: Sequence[str], hidden: Collection[str]) -> str:
    """A stratum label with the values of hidden columns shown as :data:`MASK`.

    Examples
    --------
    >>> masked_label("credit_class=B|region=410302", ["credit_class", "region"], {"credit_class"})
    'credit_class=#hidden|region=410302'
    """
    values = _values(label, columns)
    if values is None:
        return label
    return "|".join(f"{c}={MASK if c in hidden else v}" for c, v in zip(columns, values, strict=True))


def label_matches(masked: str, label: str, columns: Sequence[str]) -> bool:
    """Whether a stratum's label is one a masked label may stand for (every value not masked is equal)."""
    shown, full = _values(masked, columns), _values(label, columns)
    if shown is None or full is None:
        return False
    return all(s in (MASK, f) for s, f in zip(shown, full, strict=True))


def entity_salt(key: bytes, code: str, field: str) -> bytes:
    """The salt of one entity's field: HMAC-SHA256 of the label, the code and the field name under ``key``."""
    message = SALT_LABEL + b"\x00" + code.encode("utf-8") + b"\x00" + field.encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).digest()


def salted(salt: bytes, value: str) -> str:
    """The leaf's text for a hidden value: ``#salted:`` and the hex SHA-256 of the salt and the value."""
    return SALTED_PREFIX + hashlib.sha256(salt + value.encode("utf-8")).hexdigest()


def opens(commitment: str, value: str, salt_hex: str) -> bool:
    """Whether ``value`` with the salt (hex) is what the salted ``commitment`` commits to."""
    try:
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return len(salt) == 32 and hmac.compare_digest(salted(salt, value), commitment)


def new_salt_key() -> bytes:
    """32 bytes from the operating system's cryptographic random source (the bureau's salt key)."""
    return secrets.token_bytes(32)


def read_salt_key(path: str | Path) -> bytes:
    """Read a salt key file: 64 hex digits (surrounding blanks ignored).

    Raises
    ------
    CeremonyError
        If the file is not a key.
    """
    text = Path(path).read_text(encoding="utf-8", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        said = _("{path}: a salt key is 64 hexadecimal digits (32 bytes), as 'commit --salt-key-out' writes.")
        raise CeremonyError(said.format(path=path))
    return key


def entity_openings(
    frame: pd.DataFrame, register: pd.Series | None, uscc: str, leaf: str, salt_key: bytes | None
) -> tuple[tuple[str, str, str], ...]:
    """The value and salt of each hidden field of one entity's leaf (its own, for its proof)."""
    values = json.loads(leaf)
    keys = sorted(k for k, v in values.items() if isinstance(v, str) and v.startswith(SALTED_PREFIX))
    if not keys:
        return ()
    if salt_key is None:
        said = _("The plan hides fields: give the bureau's salt key (--salt-key FILE) to open the firm's own.")
        raise ProofError(said)
    at = int(np.flatnonzero((frame["uscc"] == uscc).to_numpy())[0])
    out = []
    for key in keys:
        column = key.removeprefix(REGISTER_PREFIX)
        source = register if key != column and register is not None else frame[column]
        value, salt = str(source.iat[at]), entity_salt(salt_key, uscc, key)
        if salted(salt, value) != values[key]:
            raise InternalError(_("the salted {key!r} of {uscc} does not open to its value").format(key=key, uscc=uscc))
        out.append((key, value, salt.hex()))
    return tuple(out)


def opened_values(openings: Sequence[tuple[str, str, str]], values: Mapping[str, Any], rec: Recorder) -> dict[str, Any]:
    """A leaf's values with each hidden field replaced by its opening (key, value, salt), each opening checked."""
    out = dict(values)
    given = {key: (value, salt) for key, value, salt in openings}
    for key, value in values.items():
        if isinstance(value, str) and value.startswith(SALTED_PREFIX):
            opening = given.get(key)
            ok = opening is not None and opens(value, opening[0], opening[1])
            said = _("the firm's own value, under the committed salted value")
            rec.check(N_("hidden field {key} opened").format(key=key), ok, said)

            out[key] = opening[0] if opening is not None else ""
    return out
