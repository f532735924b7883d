"""The checks of a column map's tables (``map.toml``) for ``ColumnMap.from_mapping`` (private)."""

from __future__ import annotations

from collections.abc import Mapping

from ._i18n import _
from ._sheets import normal_header
from .exceptions import ColumnMapError

__all__ = ["map_tables"]


def _check_kind(
    kind: str, body: object, source: str, canonical: Mapping[str, tuple[str, ...]]
) -> Mapping[object, object]:
    if kind not in canonical:
        message = _("{source}: unknown kind of input [{kind}]; the kinds are {kinds}.")
        raise ColumnMapError(message.format(source=source, kind=kind, kinds=list(canonical)))
    if not isinstance(body, Mapping):
        message = _("{source}: [{kind}] must be a table with 'columns' and/or 'defaults'.")
        raise ColumnMapError(message.format(source=source, kind=kind))
    for key in body:
        if key not in ("columns", "defaults"):
            message = _("{source}: [{kind}] has an unknown key {key!r}; use 'columns' and 'defaults'.")
            raise ColumnMapError(message.format(source=source, kind=kind, key=key))
    return body


def _check_names(
    kind: str, cols: Mapping[object, object], vals: Mapping[object, object], source: str, known: tuple[str, ...]
) -> None:
    for header, name in cols.items():
        if not isinstance(name, str) or name not in known:
            message = _(
                "{source}: [{kind}.columns] maps {header!r} to {name!r}, which is not a column of the "
                "{kind}; the columns are {columns}."
            )
            raise ColumnMapError(
                message.format(source=source, kind=kind, header=header, name=name, columns=list(known))
            )
    for name, value in vals.items():
        if name not in known:
            message = _(
                "{source}: [{kind}.defaults] names {name!r}, which is not a column of the {kind}; "
                "the columns are {columns}."
            )
            raise ColumnMapError(message.format(source=source, kind=kind, name=name, columns=list(known)))
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            message = _("{source}: [{kind}.defaults] {name} must be text or a whole number; got {value!r}.")
            raise ColumnMapError(message.format(source=source, kind=kind, name=name, value=value))


def map_tables(
    data: Mapping[str, object], source: str, canonical: Mapping[str, tuple[str, ...]]
) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """The headers (``kind -> {header: name}``) and defaults (``kind -> {name: text}``) of a column map.

    Raises
    ------
    ColumnMapError
        Naming the table or key that is wrong.
    """
    columns: dict[str, dict[str, str]] = {}
    defaults: dict[str, dict[str, str]] = {}
    for kind, body in data.items():
        table = _check_kind(kind, body, source, canonical)
        cols = table.get("columns", {})
        vals = table.get("defaults", {})
        if not isinstance(cols, Mapping) or not isinstance(vals, Mapping):
            message = _("{source}: [{kind}.columns] and [{kind}.defaults] must be tables.")
            raise ColumnMapError(message.format(source=source, kind=kind))
        _check_names(kind, cols, vals, source, canonical[kind])
        columns[kind] = {normal_header(str(h)): str(n) for h, n in cols.items()}
        defaults[kind] = {str(n): str(v) for n, v in vals.items()}
    return columns, defaults
