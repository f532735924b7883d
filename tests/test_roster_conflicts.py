"""Roster checks, conflict sources and the relation graph."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import pandas as pd
import pytest
from hypothesis import given, strategies as st

from shuangsuiji.conflicts import (
    ConflictError,
    Conflicts,
    check_conflicts,
    check_exclusive_pairs,
    check_relations,
    relation_conflicts,
    rotation_conflicts,
)
from shuangsuiji.exclusions import check_history
from shuangsuiji.roster import RosterError, check_roster, parse_flag

from .assign_helpers import codes, roster


def test_roster_values_are_parsed() -> None:
    r = roster(
        [
            {
                "certificates": "食品；特种设备",
                "lead": "否",
                "unavailable": "2027-03-01~2027-03-03;2027-03-09",
                "capacity": 7,
            },
            {"kind": "专家", "cert_no": "", "department": "专家库", "active": "0"},
        ]
    )
    first = r.frame.iloc[0]
    assert first["certificates"] == ("特种设备", "食品") and not first["lead"]
    assert first["capacity"] == 7
    assert first["unavailable"] == {dt.date(2027, 3, 1), dt.date(2027, 3, 2), dt.date(2027, 3, 3), dt.date(2027, 3, 9)}
    assert len(r.officers) == 1 and len(r.experts) == 0  # the expert is inactive
    assert parse_flag("Y") and parse_flag("√") and parse_flag("否") is False


def test_roster_problems_are_all_reported() -> None:
    frame = pd.DataFrame(
        {
            "inspector_id": ["A1", "A1", "bad id", "A3", "A4"],
            "name": ["甲", "乙", "丙", "", "戊"],
            "department": ["市场监管局"] * 5,
            "cert_no": ["C1", "C2", "C3", "C1", ""],
            "lead": ["是", "maybe", "否", "否", "否"],
            "capacity": ["5", "5", "-1", "x", "5"],
            "unavailable": ["", "2027-02-30", "", "", "2027-03-05~2027-03-01"],
            "kind": ["", "", "", "robot", ""],
        },
        index=range(2, 7),
    )
    with pytest.raises(RosterError) as info:
        check_roster(frame, source="roster.csv")
    got = {(p.row, p.column) for p in info.value.problems}
    assert got == {
        (3, "inspector_id"),
        (3, "lead"),
        (3, "unavailable"),
        (4, "inspector_id"),
        (4, "capacity"),
        (5, "name"),
        (5, "capacity"),
        (5, "cert_no"),
        (5, "kind"),
        (6, "cert_no"),
        (6, "unavailable"),
    }
    with pytest.raises(RosterError, match="needs columns"):
        check_roster(frame.drop(columns="capacity"))
    with pytest.raises(RosterError, match="no rows"):
        check_roster(frame.iloc[:0])


def test_declared_conflicts_and_requests() -> None:
    u = codes(2)
    found = check_conflicts(
        pd.DataFrame({"inspector_id": ["O00"], "uscc": [u[0]], "reason": ["配偶任股东"]}), inspectors={"O00"}
    )
    assert found == {("O00", u[0]): "配偶任股东"}
    requested = check_conflicts(
        pd.DataFrame({"uscc": [u[1]], "inspector_id": ["O00"]}), inspectors={"O00"}, kind="request"
    )
    assert requested[("O00", u[1])] == "the entity asked for recusal"
    bad = pd.DataFrame({"inspector_id": ["O99", "O00"], "uscc": [u[0], "91110000600037341N"]}, index=[2, 3])
    with pytest.raises(ConflictError) as info:
        check_conflicts(bad, inspectors={"O00"}, source="c.csv")
    assert {(p.row, p.column) for p in info.value.problems} == {(2, "inspector_id"), (3, "uscc")}
    with pytest.raises(ConflictError, match="needs columns"):
        check_conflicts(pd.DataFrame({"uscc": [u[0]]}), inspectors={"O00"})


def test_relation_graph_within_hops_and_relations() -> None:
    u = codes(3)
    graph = check_relations(
        pd.DataFrame(
            {
                "a": ["O00", "P1", "O01", "P2", "P3"],
                "b": ["P1", u[0], "P2", "P3", u[1]],
                "relation": ["relative", "legal_representative", "relative", "employer", "shareholder"],
            }
        )
    )
    found = relation_conflicts(graph, ["O00", "O01"], set(u), hops=2)
    assert set(found) == {("O00", u[0])}
    assert found[("O00", u[0])] == f"relation within 2 hop(s): O00 -[relative]- P1 -[legal_representative]- {u[0]}"
    assert set(relation_conflicts(graph, ["O00", "O01"], set(u), hops=3)) == {("O00", u[0]), ("O01", u[1])}
    only = relation_conflicts(graph, ["O00", "O01"], set(u), hops=3, relations=["relative", "legal_representative"])
    assert set(only) == {("O00", u[0])}
    with pytest.raises(ConflictError, match="two different parties"):
        check_relations(pd.DataFrame({"a": ["x"], "b": ["x"], "relation": ["self"]}))


def test_rotation_uses_the_last_inspections() -> None:
    u = codes(1)[0]
    history = check_history(
        pd.DataFrame(
            {
                "uscc": [u] * 3,
                "department": ["市场监管局"] * 3,
                "date": ["2026-01-01", "2026-06-01", "2026-09-01"],
                "inspectors": ["O01;O02", "O03", "O04；O05"],
            }
        )
    )
    assert set(rotation_conflicts(history, {u}, last=2)) == {("O04", u), ("O05", u), ("O03", u)}
    assert rotation_conflicts(history, {u}, last=0) == {}


def test_exclusive_pairs_and_combining() -> None:
    pairs = check_exclusive_pairs(pd.DataFrame({"a": ["O00"], "b": ["O01"]}), inspectors={"O00", "O01"})
    assert pairs == {frozenset({"O00", "O01"})}
    with pytest.raises(ConflictError) as info:
        check_exclusive_pairs(
            pd.DataFrame({"a": ["O00", "O05"], "b": ["O00", "O01"]}, index=[2, 3]), inspectors={"O00", "O01"}
        )
    assert {(p.row, p.column) for p in info.value.problems} == {(2, "b"), (3, "a")}
    c = Conflicts.combine(
        [("declared", {("O0", "X"): "first"}), ("relation", {("O0", "X"): "second", ("O1", "X"): "r"})]
    )
    assert c.pairs[("O0", "X")] == "first" and c.kinds[("O1", "X")] == "relation" and ("O1", "X") in c


_PARTIES = st.sampled_from([f"P{i}" for i in range(7)])
_EDGES = st.lists(st.tuples(_PARTIES, _PARTIES, st.sampled_from(["relative", "employer", "shareholder"])), max_size=18)


@given(edges=_EDGES, hops=st.integers(1, 4), only=st.sets(st.sampled_from(["relative", "employer"]), max_size=2))
def test_relation_paths_are_networkx_shortest_paths(
    edges: list[tuple[str, str, str]], hops: int, only: set[str]
) -> None:
    """The relation graph's breadth-first search finds what NetworkX finds, path for path (an independent oracle)."""
    rows = [(a, b, r) for a, b, r in edges if a != b]
    frame = pd.DataFrame(rows, columns=["a", "b", "relation"], dtype="str")
    ours = check_relations(frame)
    theirs = nx.Graph()
    for a, b, r in rows:
        theirs.add_edge(a, b, relation=r)
    if only:
        ours = ours.restricted(only)
        theirs = theirs.edge_subgraph([(u, v) for u, v, r in theirs.edges(data="relation") if r in only])
    assert set(ours.nodes) == set(theirs.nodes)
    for source in ours.nodes:
        assert ours.shortest_paths(source, hops) == nx.single_source_shortest_path(theirs, source, cutoff=hops)
    officers = ["P0", "P1", "P9"]
    entities = {"P2", "P3", "P4", "P5"}
    found = relation_conflicts(check_relations(frame), officers, entities, hops=hops, relations=only)
    expected = {
        (o, e)
        for o in officers
        if o in theirs
        for e, path in nx.single_source_shortest_path(theirs, o, cutoff=hops).items()
        if e in entities
    }
    assert set(found) == expected


def test_capacities_are_read_as_int_reads_them() -> None:
    """Full-width digits (as Chinese spreadsheets hold them), a sign and digit separators are whole numbers."""
    base = {"inspector_id": "A1", "name": "张三", "department": "市场监管局", "cert_no": "豫1"}
    for text, value in [("５", 5), ("+3", 3), ("1_0", 10), ("-0", 0), ("12", 12), ("10000", 10_000)]:
        assert check_roster(pd.DataFrame([{**base, "capacity": text}])).frame.at[0, "capacity"] == value
    for text in ("-1", "x", "", "2.5", "10001", "99999999999999999999"):
        with pytest.raises(RosterError, match="whole number from 0 to 10000"):
            check_roster(pd.DataFrame([{**base, "capacity": text}]))
