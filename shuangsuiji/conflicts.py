"""Recusal (回避): which officer may not inspect which entity, and why.

Sources of conflict (行政处罚法 art. 43 and provincial rules):

``declared``
    Pairs an officer declared (``inspector_id, uscc, reason``).
``request``
    Entities' recusal requests (``uscc, inspector_id[, reason]``), in the same file form.
``relation``
    A relation graph (``a, b, relation`` among people and entities: relative,
    employer, shareholder, legal representative...): an officer conflicts with
    every entity within ``relation_hops`` hops over the listed relations.
``rotation``
    The officer inspected the entity in one of its last ``rotation`` inspections
    (the history's ``inspectors`` column).

Pairs of officers who must not share a team are read here too. Cross-station
mode (所所交叉) and jurisdiction are rules of eligibility applied by the
assignment. Conflict declarations are never published.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise

import pandas as pd

from ._i18n import _
from .columns import canonical_columns
from .exceptions import ConflictError, Problem
from .exclusions import History
from .population import text_column
from .uscc import UsccStatus, uscc_status

__all__ = [
    "ConflictError",
    "Conflicts",
    "RelationGraph",
    "check_conflicts",
    "check_exclusive_pairs",
    "check_relations",
    "relation_conflicts",
    "rotation_conflicts",
]


@dataclass(frozen=True)
class Conflicts:
    """Every (officer, entity) pair that may not meet, with its reason, and forbidden team pairs.

    Attributes
    ----------
    pairs : Mapping[tuple[str, str], str]
        ``(inspector_id, uscc)`` -> reason (the first found, in source order).
    kinds : Mapping[tuple[str, str], str]
        ``(inspector_id, uscc)`` -> ``declared``, ``request``, ``relation`` or ``rotation``.
    exclusive : frozenset of frozenset
        Pairs of officers who must not share a team.
    """

    pairs: Mapping[tuple[str, str], str] = field(default_factory=dict)
    kinds: Mapping[tuple[str, str], str] = field(default_factory=dict)
    exclusive: frozenset[frozenset[str]] = frozenset()

    def __contains__(self, key: object) -> bool:
        return key in self.pairs

    @staticmethod
    def combine(
        parts: Iterable[tuple[str, Mapping[tuple[str, str], str]]], exclusive: Iterable[frozenset[str]] = ()
    ) -> Conflicts:
        """Merge conflict sources, keeping the first reason of each pair."""
        pairs: dict[tuple[str, str], str] = {}
        kinds: dict[tuple[str, str], str] = {}
        for kind, found in parts:
            for key, reason in found.items():
                if key not in pairs:
                    pairs[key] = reason
                    kinds[key] = kind
        return Conflicts(pairs, kinds, frozenset(exclusive))


def _rows(frame: pd.DataFrame) -> list[int]:
    return list(frame.index) if pd.api.types.is_integer_dtype(frame.index.dtype) else list(range(2, 2 + len(frame)))


def _need(frame: pd.DataFrame, columns: tuple[str, ...], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ConflictError(
            [
                Problem(
                    source,
                    1,
                    c,
                    None,
                    _("the file needs columns {columns}; this one is missing").format(columns=list(columns)),
                )
                for c in missing
            ]
        )


def check_conflicts(
    frame: pd.DataFrame, *, inspectors: Collection[str], source: str = "<frame>", kind: str = "declared"
) -> dict[tuple[str, str], str]:
    """Read declared conflicts or recusal requests: ``inspector_id, uscc[, reason]``.

    Unknown inspector ids and malformed codes are errors (a typo must not let a
    conflicted officer through).

    Raises
    ------
    ConflictError
        Listing every problem.
    """
    frame = canonical_columns(
        frame, "conflicts" if kind == "declared" else "requests", source=source, error=ConflictError
    )
    _need(frame, ("inspector_id", "uscc"), source)
    ids = text_column(frame["inspector_id"]).tolist()
    codes = text_column(frame["uscc"]).tolist()
    reasons = text_column(frame["reason"]).tolist() if "reason" in frame.columns else [""] * len(frame)
    problems = []
    out: dict[tuple[str, str], str] = {}
    default = {"declared": "declared conflict of interest", "request": "the entity asked for recusal"}[kind]
    valid = (uscc_status(codes) == UsccStatus.OK).tolist()  # the codes checked on whole arrays
    for row, i, u, why, ok in zip(_rows(frame), ids, codes, reasons, valid, strict=True):
        if i not in inspectors:
            problems.append(Problem(source, int(row), "inspector_id", i, _("no such inspector in the roster")))
        if not ok:
            problems.append(Problem(source, int(row), "uscc", u, _("not a valid unified social credit code")))
        out.setdefault((i, u), why or default)
    if problems:
        raise ConflictError(problems)
    return out


@dataclass(frozen=True)
class RelationGraph:
    """An undirected graph of relations between people and entities, read from ``a, b, relation`` rows.

    Attributes
    ----------
    adjacency : Mapping[str, Mapping[str, str]]
        Party -> related party -> relation, parties and their neighbours in the order first seen (a
        pair listed twice keeps its place and its last relation).
    """

    adjacency: Mapping[str, Mapping[str, str]]

    @property
    def nodes(self) -> list[str]:
        """Every party of the graph."""
        return list(self.adjacency)

    def restricted(self, relations: Collection[str]) -> RelationGraph:
        """The graph of the listed relations only (the parties they join, in the same order)."""
        kept = {
            node: {other: r for other, r in neighbours.items() if r in relations}
            for node, neighbours in self.adjacency.items()
        }
        return RelationGraph({node: neighbours for node, neighbours in kept.items() if neighbours})

    def shortest_paths(self, source: str, cutoff: int) -> dict[str, list[str]]:
        """A shortest path from ``source`` to every party within ``cutoff`` hops, by breadth-first search.

        Neighbours are visited in the order first seen, so the path found for each party is fixed.
        """
        paths = {source: [source]}
        level, frontier = 0, [source]
        while frontier and level < cutoff:
            reached = []
            for node in frontier:
                for other in self.adjacency[node]:
                    if other not in paths:
                        paths[other] = [*paths[node], other]
                        reached.append(other)
            frontier, level = reached, level + 1
        return paths


def check_relations(frame: pd.DataFrame, *, source: str = "<frame>") -> RelationGraph:
    """Read a relation graph: ``a, b, relation`` (undirected edges between people and entities).

    Raises
    ------
    ConflictError
        Listing every row without both parties and a relation, or relating a party to itself.
    """
    frame = canonical_columns(frame, "relations", source=source, error=ConflictError)
    _need(frame, ("a", "b", "relation"), source)
    a, b, rel = (text_column(frame[c]).tolist() for c in ("a", "b", "relation"))
    problems = []
    adjacency: dict[str, dict[str, str]] = {}
    for row, x, y, r in zip(_rows(frame), a, b, rel, strict=True):
        if not x or not y or not r:
            need = _("every relation needs a, b and relation")
            problems.append(Problem(source, int(row), None, f"{x},{y},{r}", need))
            continue
        if x == y:
            problems.append(Problem(source, int(row), "b", y, _("a relation joins two different parties")))
            continue
        adjacency.setdefault(x, {})[y] = r
        adjacency.setdefault(y, {})[x] = r
    if problems:
        raise ConflictError(problems)
    return RelationGraph(adjacency)


def relation_conflicts(
    graph: RelationGraph,
    inspectors: Iterable[str],
    entities: Collection[str],
    *,
    hops: int,
    relations: Collection[str] = (),
) -> dict[tuple[str, str], str]:
    """Officers related to entities within ``hops`` hops, over ``relations`` (all when empty).

    The reason names the path, e.g. ``relation: A1 -[relative]- P7 -[legal_representative]- 9141...``.
    """
    if relations:
        graph = graph.restricted(relations)
    wanted = set(entities)
    out: dict[tuple[str, str], str] = {}
    for officer in sorted(set(inspectors) & set(graph.nodes)):
        paths = graph.shortest_paths(officer, hops)
        for node in sorted(set(paths) & wanted):
            path = paths[node]
            steps = "".join(f" -[{graph.adjacency[p][q]}]- {q}" for p, q in pairwise(path))
            out[(officer, node)] = f"relation within {len(path) - 1} hop(s): {path[0]}{steps}"
    return out


def rotation_conflicts(history: History, entities: Collection[str], *, last: int) -> dict[tuple[str, str], str]:
    """Officers who took part in an entity's last ``last`` inspections (history column ``inspectors``)."""
    frame = history.frame
    if last == 0 or "inspectors" not in frame.columns:
        return {}
    h = frame[frame["uscc"].isin(list(entities))].sort_values(["uscc", "date"], ascending=[True, False])
    h = h[(h.groupby("uscc", sort=False).cumcount() < last).to_numpy(dtype=bool)]  # each entity's last ``last``
    out: dict[tuple[str, str], str] = {}
    for uscc, when, names in zip(h["uscc"].tolist(), h["date"].tolist(), h["inspectors"].tolist(), strict=True):
        for officer in (n for n in str(names).replace("；", ";").split(";") if n.strip()):
            out.setdefault(
                (officer.strip(), str(uscc)),
                f"rotation: inspected this entity on {pd.Timestamp(when).date()} (one of its last {last})",
            )
    return out


def check_exclusive_pairs(
    frame: pd.DataFrame, *, inspectors: Collection[str], source: str = "<frame>"
) -> frozenset[frozenset[str]]:
    """Read pairs of officers who must not share a team: ``a, b[, reason]``."""
    frame = canonical_columns(frame, "pairs", source=source, error=ConflictError)
    _need(frame, ("a", "b"), source)
    problems = []
    out = set()
    for row, a, b in zip(_rows(frame), text_column(frame["a"]), text_column(frame["b"]), strict=True):
        for column, value in (("a", a), ("b", b)):
            if value not in inspectors:
                problems.append(Problem(source, int(row), column, value, _("no such inspector in the roster")))
        if a == b:
            problems.append(Problem(source, int(row), "b", b, _("a pair needs two different officers")))
        out.add(frozenset((a, b)))
    if problems:
        raise ConflictError(problems)
    return frozenset(out)
