"""Edits of a JSON record as a forger makes them: one scalar field changed, for the tamper tests."""

from __future__ import annotations

from typing import Any


def leaves(value: Any, path: tuple[Any, ...] = (), *, every: bool = True) -> list[tuple[Any, ...]]:
    """Paths to the scalar fields; in lists only the first and last element unless ``every``."""
    if isinstance(value, dict):
        return [p for k, v in sorted(value.items()) for p in leaves(v, (*path, k), every=every)]
    if isinstance(value, list):
        picks = range(len(value)) if every else sorted({0, len(value) - 1} & set(range(len(value))))
        return [p for i in picks for p in leaves(value[i], (*path, i), every=every)]
    return [path]


def changed(value: Any) -> Any:
    """Another value of the same kind (``null`` becomes text)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if value is None:
        return "x"
    text = str(value)
    return text[:-1] + ("0" if text[-1:] != "0" else "1") if text else "x"


def edit(doc: Any, path: tuple[Any, ...]) -> None:
    """Change the field at ``path`` of ``doc`` in place."""
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = changed(node[path[-1]])
