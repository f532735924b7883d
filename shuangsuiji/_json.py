"""Reading the library's own JSON files back into typed objects, with clear errors (private).

Manifests, commitments and proofs are published, so they are untrusted when
read back: :class:`Fields` checks each field's presence and JSON type and
raises the caller's error (``ManifestError``, ``CeremonyError``,
``ProofError``) naming the file and the field, instead of a ``KeyError``
deep in the verifier.
"""

from __future__ import annotations

import abc
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

import rfc8785

from ._i18n import N_, _
from .exceptions import InputError

__all__ = ["Fields", "Published", "canonical_json", "indented_json", "load_json", "read_record"]


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON bytes of ``value`` (sorted keys, no spaces, UTF-8); a :class:`Published` file too.

    Raises
    ------
    InputError
        If ``value`` cannot be written as canonical JSON (a float that is not finite, an integer
        beyond JSON's safe range, a value that is not JSON at all).

    Examples
    --------
    >>> canonical_json({"b": 1, "a": "中"})
    b'{"a":"\\xe4\\xb8\\xad","b":1}'
    """
    if isinstance(value, Published):
        value = value.to_dict()
    try:
        return bytes(rfc8785.dumps(value))
    except rfc8785.CanonicalizationError as exc:
        raise InputError(_("Cannot be written as canonical JSON (RFC 8785): {error}").format(error=exc)) from None


def indented_json(value: Any) -> bytes:
    """Indented UTF-8 JSON and a line end: a file for people (a proof read on a phone), not canonical.

    Examples
    --------
    >>> indented_json({"b": [], "a": "中"})
    b'{\\n  "b": [],\\n  "a": "\\xe4\\xb8\\xad"\\n}\\n'
    """
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def read_record(path: Path, format_name: str | None = None) -> dict[str, Any] | None:
    """A small published JSON object (``publication.json``, ``sealed.json``), or ``None`` if absent or not one.

    Such a file only says what a verifier may *not* check, so a broken one counts as absent
    (every check is then made and fails where its file is missing), never as an error.
    """
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(raw, dict) or (format_name is not None and raw.get("format") != format_name):
        return None
    return raw


_KINDS = {dict: N_("an object"), list: N_("a list"), str: N_("text"), bool: N_("true or false"), type(None): N_("null")}


def _kind(value: object) -> str:
    """What a JSON value is, in words of the language of messages."""
    if type(value) in _KINDS:
        return _(_KINDS[type(value)])
    return _("a number") if isinstance(value, (int, float)) else type(value).__name__


def load_json(data: bytes, where: str, error: type[InputError]) -> Any:
    """Parse UTF-8 JSON bytes, raising ``error`` (naming ``where``) when they are not JSON."""
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(_("{path}: not a JSON file ({error}).").format(path=where, error=exc)) from None


class Fields:
    """A JSON object whose fields are read with their types checked.

    Parameters
    ----------
    value : object
        The parsed JSON value; it must be an object.
    where : str
        What it is, for messages (``"manifest.json"``, ``"manifest.json: seed"``).
    error : type of InputError
        The error raised for a missing or mistyped field.
    """

    def __init__(self, value: object, where: str, error: type[InputError]) -> None:
        if not isinstance(value, Mapping):
            raise error(_("{where} must be a JSON object; got {kind}.").format(where=where, kind=_kind(value)))
        self.raw: Mapping[str, Any] = value
        self.where = where
        self.error = error

    @classmethod
    def read(cls, path: str | Path, error: type[InputError]) -> tuple[Fields, bytes]:
        """The fields of a JSON file, and its bytes."""
        data = Path(path).read_bytes()
        return cls(load_json(data, str(path), error), str(path), error), data

    def has(self, key: str) -> bool:
        """Whether the field is present."""
        return key in self.raw

    def _get(self, key: str, types: type | tuple[type, ...], what: str) -> Any:
        if key not in self.raw:
            raise self.error(
                _("{where} has no '{key}'; is it a file this library wrote?").format(where=self.where, key=key)
            )
        value = self.raw[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in _tuple(types)):
            said = _("{where}: '{key}' must be {what}; got {kind}.")
            raise self.error(said.format(where=self.where, key=key, what=_(what), kind=_kind(value)))
        return value

    def text(self, key: str) -> str:
        """A text field."""
        return str(self._get(key, str, N_("text")))

    def optional_text(self, key: str) -> str | None:
        """A text field that may be absent or null."""
        return None if self.raw.get(key) is None else self.text(key)

    def integer(self, key: str) -> int:
        """A whole-number field."""
        return int(self._get(key, int, N_("a whole number")))

    def boolean(self, key: str) -> bool:
        """A true-or-false field."""
        return bool(self._get(key, bool, N_("true or false")))

    def optional_boolean(self, key: str) -> bool | None:
        """A true-or-false field that may be null."""
        return None if self.raw.get(key) is None else self.boolean(key)

    def obj(self, key: str) -> Fields:
        """An object field, itself read as :class:`Fields`."""
        return Fields(self._get(key, Mapping, N_("an object")), f"{self.where}: {key}", self.error)

    def mapping(self, key: str) -> dict[str, Any]:
        """An object field as a plain dict (kept as published, such as the plan)."""
        return dict(self._get(key, Mapping, N_("an object")))

    def objects(self, key: str) -> list[Fields]:
        """A list of objects."""
        items = self._get(key, list, N_("a list"))
        return [Fields(item, f"{self.where}: {key}[{i}]", self.error) for i, item in enumerate(items)]

    def texts(self, key: str) -> tuple[str, ...]:
        """A list of text."""
        items = self._get(key, list, N_("a list"))
        if not all(isinstance(i, str) for i in items):
            raise self.error(_("{where}: '{key}' must be a list of text.").format(where=self.where, key=key))
        return tuple(items)

    def text_map(self, key: str) -> dict[str, str]:
        """An object whose values are text."""
        items = self._get(key, Mapping, N_("an object"))
        if not all(isinstance(v, str) for v in items.values()):
            raise self.error(_("{where}: every value of '{key}' must be text.").format(where=self.where, key=key))

        return {str(k): str(v) for k, v in items.items()}


def _tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


class Published(abc.ABC):
    """A file the library publishes as canonical JSON, typed: the shared half of manifests and commitments.

    A subclass (a frozen dataclass) gives ``to_dict``, ``from_dict(value, *, where, data)``, a
    ``data`` field holding the bytes it was read from, and the class variables ``FILE`` (its
    name in a folder) and ``ERROR`` (raised when a file is not one of its format).
    """

    FILE: ClassVar[str]
    ERROR: ClassVar[type[InputError]]
    data: bytes | None

    @abc.abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """The plain form, as published."""

    @classmethod
    @abc.abstractmethod
    def from_dict(cls, value: object, *, where: str, data: bytes | None = None) -> Self:
        """Read the parsed file back, checking each field."""

    def to_bytes(self) -> bytes:
        """The published bytes: RFC 8785 canonical JSON."""
        return canonical_json(self.to_dict())

    @property
    def digest(self) -> bytes:
        """SHA-256 of the published bytes (of the bytes read, for a file read back), raw."""
        return hashlib.sha256(self.data if self.data is not None else self.to_bytes()).digest()

    @property
    def sha256(self) -> str:
        """SHA-256 of the published bytes, as 64 hex digits."""
        return self.digest.hex()

    @classmethod
    def read(cls, path: str | Path) -> Self:
        """Read the file (or the one of this kind in a folder), checking every field.

        Raises
        ------
        InputError
            (the class's ``ERROR``) if the file is not one of its format.
        FileNotFoundError
            If there is no such file.
        """
        path = Path(path)
        if path.is_dir():
            path = path / cls.FILE
        f, data = Fields.read(path, cls.ERROR)
        return cls.from_dict(f.raw, where=str(path), data=data)
