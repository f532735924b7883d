"""The seed, and every use the library makes of it: all randomness is accounted for here.

A draw has one seed: 64 lowercase hex digits, published in its manifest. Nothing
in the library is random in any other way: every choice is a SHA-256 of the
seed and a *scope*, so anyone can recompute it with ``sha256sum``. The only
value not derived from the seed is the ceremony's secret (:func:`new_secret`),
which is committed to before the seed exists and revealed with the draw.

Where the seed comes from (``docs/ceremony.md``), with ``C`` the 32 raw bytes
of the SHA-256 of ``commitment.json`` and ``secret`` the 32 raw secret bytes::

    commit-reveal:  SHA-256("shuangsuiji-seed/1:commit-reveal" 0x00 || secret || C || UTF-8(beacon))
    beacon only:    SHA-256("shuangsuiji-seed/1:beacon" 0x00 || C || UTF-8(beacon))

How it is used, each the SHA-256 of the UTF-8 text shown (``|`` and ``:``
are literal characters):

================  =====================================================  =========================================
scope             message                                                use
================  =====================================================  =========================================
ticket            ``seed ":" scope ":" uscc``; scope is the plan id, or  the whole digest orders a stratum's
                  ``plan_id "." task_id`` for an independent task        entities (``docs/algorithm.md``, step 1)
assign            ``seed ":assign:" visit_id "|" department "|"          bytes 0-2 (big-endian) are the cost of the
                  inspector_id``                                         officer -> team arc, bytes 3-5 of the lead
                                                                         arc (``docs/assignment.md``)
circle            ``seed ":circle:" inspector_id``                       with ``candidates``, the digest orders a
                                                                         group's people round a circle
start             ``seed ":start:" visit_id "|" department``             bytes 0-7 (big-endian) modulo the group's
                                                                         people: where a team's walk round the
                                                                         circle starts (its candidates)
drop              ``seed ":drop:" visit_id "|" department``              the hex digest orders equally filled teams
                                                                         when some must be dropped
schedule          ``seed ":schedule:" visit_id``                         the digest orders visits for dating; bytes
                                                                         0-3 (big-endian) modulo the working days
                                                                         rotate the days that tie
order             ``seed ":order:" year_id "|" task_id``                 the hex digest orders the key tasks of a
                                                                         year's pool still to draw; a batch takes
                                                                         the first ones (``docs/year.md``)
================  =====================================================  =========================================

A :class:`Seed` is checked once, where it enters the library, and then passed
on as it is; the inner functions do not check it again.

Examples
--------
>>> s = Seed.of("0" * 64)
>>> s.ticket("P1", "91110000600037341L")[:16]
'cf1b774fce8b7fdf'
>>> s.assign_cost("V1", "d", "A1") == hashlib.sha256(("0" * 64 + ":assign:V1|d|A1").encode()).digest()
True
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from ._i18n import _
from .exceptions import CeremonyError, SeedError

__all__ = ["SEED_TAG", "Seed", "check_beacon_value", "check_seed", "derive_seed", "new_secret"]

#: Domain tag of the seed derivation; the mode follows after a colon.
SEED_TAG = "shuangsuiji-seed/1"
_SEED = re.compile(r"[0-9a-f]{64}")


def _got(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_seed(seed: object) -> str:
    """Return ``seed`` if it is 64 lowercase hexadecimal digits.

    Raises
    ------
    SeedError
        Otherwise, saying what is wrong with it.

    Examples
    --------
    >>> check_seed("0" * 64) == "0" * 64
    True
    """
    if isinstance(seed, Seed):
        return seed.hex
    if not isinstance(seed, str) or not _SEED.fullmatch(seed):
        hint = ""
        if isinstance(seed, str) and _SEED.fullmatch(seed.strip().lower()):
            hint = _(" Write it in lower case without spaces.")
        elif isinstance(seed, str):
            hint = _(" It has {n} characters; a SHA-256 digest in hex (sha256sum prints one) has 64.").format(
                n=len(seed)
            )
        said = _("The seed must be 64 lowercase hexadecimal digits; got {value}.{hint}")
        raise SeedError(said.format(value=_got(seed), hint=hint))
    return seed


@dataclass(frozen=True)
class Seed:
    """A checked seed, and the messages of each scope built from it.

    Build one with :meth:`of`; the constructor does not check its argument.

    Attributes
    ----------
    hex : str
        The 64 lowercase hex digits.
    """

    hex: str

    @classmethod
    def of(cls, value: str | Seed) -> Seed:
        """The seed ``value`` (64 lowercase hex digits, or a :class:`Seed`), checked.

        Raises
        ------
        SeedError
            If ``value`` is not a seed.
        """
        return value if isinstance(value, Seed) else cls(check_seed(value))

    def __str__(self) -> str:
        return self.hex

    def ticket_prefix(self, scope: str) -> bytes:
        """``seed ":" scope ":"``: the bytes before each code of a ticket."""
        return f"{self.hex}:{scope}:".encode()

    def ticket(self, scope: str, uscc: str) -> str:
        """The ticket of one entity, as 64 hex digits."""
        return hashlib.sha256(self.ticket_prefix(scope) + uscc.encode()).hexdigest()

    def assign_cost(self, visit: str, department: str, inspector: str) -> bytes:
        """The digest of scope ``assign`` for one (visit, department, officer) pair."""
        return hashlib.sha256(f"{self.hex}:assign:{visit}|{department}|{inspector}".encode()).digest()

    def circle_ticket(self, inspector: str) -> bytes:
        """The digest of scope ``circle`` for one officer or expert: their place round a group's circle."""
        return hashlib.sha256(f"{self.hex}:circle:{inspector}".encode()).digest()

    def start_ticket(self, visit: str, department: str) -> bytes:
        """The digest of scope ``start`` for one team: where its walk round the circle starts."""
        return hashlib.sha256(f"{self.hex}:start:{visit}|{department}".encode()).digest()

    def drop_ticket(self, visit: str, department: str) -> str:
        """The hex digest of scope ``drop`` for one team."""
        return hashlib.sha256(f"{self.hex}:drop:{visit}|{department}".encode()).hexdigest()

    def schedule_ticket(self, visit: str) -> bytes:
        """The digest of scope ``schedule`` for one visit."""
        return hashlib.sha256(f"{self.hex}:schedule:{visit}".encode()).digest()

    def order_ticket(self, year: str, task: str) -> str:
        """The hex digest of scope ``order`` for one key task of a year's pool."""
        return hashlib.sha256(f"{self.hex}:order:{year}|{task}".encode()).hexdigest()


def new_secret() -> bytes:
    """32 bytes from the operating system's cryptographic random source (the ceremony's secret)."""
    return secrets.token_bytes(32)


def check_beacon_value(value: str) -> str:
    """The beacon value as published: text, without surrounding blanks, not empty.

    Raises
    ------
    CeremonyError
        If it is empty.
    """
    value = value.strip()
    if not value:
        raise CeremonyError(_("The beacon value is empty; give the public random value exactly as published."))
    return value


def derive_seed(commitment_sha256: bytes, beacon_value: str, *, secret: bytes | None) -> str:
    """The seed of a draw from its commitment, the beacon value and (if committed) the secret.

    Parameters
    ----------
    commitment_sha256 : bytes
        SHA-256 of the ``commitment.json`` bytes (32 bytes).
    beacon_value : str
        The public random value, as published.
    secret : bytes or None
        The 32 secret bytes (commit-reveal), or ``None`` for a beacon-only ceremony.

    Returns
    -------
    str
        64 lowercase hex digits.

    Raises
    ------
    CeremonyError
        If a length is wrong or the beacon value is empty.

    Examples
    --------
    >>> derive_seed(bytes(32), "12345", secret=bytes(32)) == hashlib.sha256(
    ...     b"shuangsuiji-seed/1:commit-reveal\\x00" + bytes(64) + b"12345").hexdigest()
    True
    """
    if len(commitment_sha256) != 32:
        said = _("The commitment's SHA-256 has 32 bytes; got {n}.")
        raise CeremonyError(said.format(n=len(commitment_sha256)))
    beacon = check_beacon_value(beacon_value).encode("utf-8")
    if secret is None:
        data = f"{SEED_TAG}:beacon".encode() + b"\x00" + commitment_sha256 + beacon
    else:
        if len(secret) != 32:
            raise CeremonyError(_("The secret has 32 bytes; got {n}.").format(n=len(secret)))

        data = f"{SEED_TAG}:commit-reveal".encode() + b"\x00" + secret + commitment_sha256 + beacon
    return hashlib.sha256(data).hexdigest()
