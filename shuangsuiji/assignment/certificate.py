"""The optimality certificate of a min-cost flow, and its check without a solver.

A flow is optimal exactly when node potentials ``p`` exist with every reduced
cost ``c + p(tail) - p(head)`` at least 0 on arcs without flow and at most 0 on
full arcs. :func:`potentials` finds them (shortest distances in the residual
graph); ``certificate.csv`` publishes them for every node but the pair nodes;
:func:`verify_certificate` rebuilds each group's network from the inputs,
reads the flow off the published teams, fits the pair nodes' potentials and
checks every reduced cost. Checking a certificate needs numpy alone: no solver,
no SciPy.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..conflicts import Conflicts
from ..exceptions import InternalError
from ..plan import AssignmentPolicy
from ..seed import Seed
from .encode import LOAD, PAIR_LEAD, PAIR_MEMBER, TO_MEMBER, TO_PAIR, Group, Network, build_group, network

__all__ = [
    "CERTIFICATE_COLUMNS",
    "certificate_rows",
    "flow_of",
    "potentials",
    "reduced_costs",
    "verify_certificate",
]

#: Columns of ``certificate.csv``.
CERTIFICATE_COLUMNS = ["group", "department", "node", "visit_id", "team_department", "inspector_id", "potential"]
_PAIR_KINDS = (TO_MEMBER, TO_PAIR, PAIR_LEAD, PAIR_MEMBER)


def potentials(net: Network, flow: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Node potentials proving a flow optimal: shortest distances in its residual graph.

    Raises
    ------
    InternalError
        If the residual graph has a negative cycle (the flow is not optimal).
    """
    fwd = flow < net.caps
    bwd = flow > 0
    tail = np.concatenate([net.tails[fwd], net.heads[bwd]])
    head = np.concatenate([net.heads[fwd], net.tails[bwd]])
    cost = np.concatenate([net.costs[fwd], -net.costs[bwd]])
    order = np.argsort(head, kind="stable")
    tail, head, cost = tail[order], head[order], cost[order]
    starts = np.flatnonzero(np.r_[True, head[1:] != head[:-1]]) if head.size else np.zeros(0, dtype=np.int64)
    dist = np.zeros(len(net.node_keys), dtype=np.int64)
    for _ in range(len(net.node_keys) + 1):
        if head.size == 0:
            return dist
        best = np.minimum.reduceat(dist[tail] + cost, starts)
        targets = head[starts]
        improve = best < dist[targets]
        if not improve.any():
            return dist
        dist[targets[improve]] = best[improve]
    raise InternalError("the flow's residual graph has a negative cycle: the solution is not optimal")


def reduced_costs(net: Network, p: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``c + p(tail) - p(head)`` of every arc."""
    return net.costs + p[net.tails] - p[net.heads]


def certificate_rows(g: Group, net: Network, p: npt.NDArray[np.int64]) -> list[dict[str, object]]:
    """The rows of ``certificate.csv`` of one group: every node's potential but the pair nodes'."""
    return [
        {
            "group": g.name,
            "department": g.department,
            "node": key[0],
            "visit_id": key[1],
            "team_department": key[2],
            "inspector_id": key[3],
            "potential": int(p[n]),
        }
        for n, key in enumerate(net.node_keys)
        if key[0] != "pair"
    ]


def flow_of(net: Network, g: Group, chosen: Mapping[tuple[str, str, str], str]) -> npt.NDArray[np.int64]:
    """The flow a published assignment stands for: (visit, department, officer) -> role."""
    flow = np.zeros(len(net.tails), dtype=np.int64)
    pair_arcs = np.flatnonzero(np.isin(net.kind, _PAIR_KINDS))
    i = net.pair_of[pair_arcs]
    roles = [
        chosen.get((g.team_keys[t][0], g.team_keys[t][1], g.officer_ids[o]))
        for t, o in zip(g.pair_t[i].tolist(), g.pair_o[i].tolist(), strict=True)
    ]
    kind = net.kind[pair_arcs]
    on = np.array([r is not None for r in roles], dtype=bool)
    lead = np.array([r == "lead" for r in roles], dtype=bool)
    flow[pair_arcs] = on & (np.isin(kind, (TO_MEMBER, TO_PAIR)) | ((kind == PAIR_LEAD) == lead))
    # Load arcs: an officer with k visits fills the k cheapest of its unit arcs (listed cheapest first).
    officer_visits = np.bincount(
        net.tails[pair_arcs],
        weights=flow[pair_arcs] * np.isin(kind, (TO_MEMBER, TO_PAIR)),
        minlength=len(net.node_keys),
    ).astype(np.int64)
    load_arcs = np.flatnonzero(net.kind == LOAD)
    rank = np.zeros(load_arcs.size, dtype=np.int64)
    heads = net.heads[load_arcs]
    order = np.argsort(heads, kind="stable")
    starts = np.r_[0, np.flatnonzero(np.diff(heads[order])) + 1]
    rank[order] = np.arange(order.size) - np.repeat(starts, np.diff(np.r_[starts, order.size]))
    flow[load_arcs] = rank < officer_visits[heads]
    inflow = np.bincount(net.heads, weights=flow, minlength=len(net.node_keys)).astype(np.int64)
    into_sink = net.heads == 1
    flow[into_sink] = inflow[net.tails[into_sink]]
    return flow


def _fit_free(net: Network, flow: npt.NDArray[np.int64], p: npt.NDArray[np.int64], free: list[int]) -> list[int]:
    """Give each free (pair) node a potential within the bounds its arcs set; returns the nodes none fits.

    An arc into a free node bounds it below when full, above when empty; an arc out of it the reverse.
    """
    free_mask = np.zeros(len(net.node_keys), dtype=bool)
    free_mask[free] = True
    lo = np.full(len(net.node_keys), -(1 << 62), dtype=np.int64)
    hi = np.full(len(net.node_keys), 1 << 62, dtype=np.int64)
    into = free_mask[net.heads]
    bound_in = net.costs[into] + p[net.tails[into]]
    full_in = flow[into] > 0
    np.maximum.at(lo, net.heads[into][full_in], bound_in[full_in])
    np.minimum.at(hi, net.heads[into][~full_in], bound_in[~full_in])
    out = free_mask[net.tails]
    bound_out = p[net.heads[out]] - net.costs[out]
    full_out = flow[out] > 0
    np.minimum.at(hi, net.tails[out][full_out], bound_out[full_out])
    np.maximum.at(lo, net.tails[out][~full_out], bound_out[~full_out])
    p[free] = lo[free]
    return [n for n in free if lo[n] > hi[n]]


def _check_group(
    g: Group,
    chosen: Mapping[tuple[str, str, str], str],
    published: Mapping[tuple[str, str, str, str, str], int],
) -> list[str]:
    """The optimality conditions of one group's published flow and potentials."""
    problems: list[str] = []
    staffed = {(v, d) for v, d, _ in chosen}
    net = network(g, np.array([k in staffed for k in g.team_keys]))
    flow = flow_of(net, g, chosen)
    p = np.zeros(len(net.node_keys), dtype=np.int64)
    free = []
    for n, (kind, visit, _dept, oid) in enumerate(net.node_keys):
        value = published.get((g.name, g.department, kind, visit, oid))
        if value is None:
            if kind != "pair":
                problems.append(f"{g.name}, {g.department}: no potential for node {kind} {visit} {oid}")
            free.append(n)
        else:
            p[n] = value
    if free:
        stuck = _fit_free(net, flow, p, free)
        if stuck:
            problems.append(f"{g.name}, {g.department}: no potential fits {len(stuck)} pair nodes")
    rc = reduced_costs(net, p)
    bad = int(((flow == 0) & (rc < 0)).sum() + ((flow == net.caps) & (rc > 0)).sum())
    if bad:
        problems.append(f"{g.name}, {g.department}: {bad} arcs break the optimality conditions")
    return problems


def verify_certificate(
    teams: pd.DataFrame,
    people: pd.DataFrame,
    assigned: pd.DataFrame,
    certificate: pd.DataFrame,
    *,
    seed: str | Seed,
    conflicts: Conflicts,
    policy: AssignmentPolicy,
) -> list[str]:
    """Check, without a solver, that a published assignment is the optimum of its flow problem.

    Each group's network is rebuilt from the inputs, its flow read off the
    published assignment, and every reduced cost ``c + p(tail) - p(head)`` is
    checked with the published potentials: >= 0 on arcs without flow, <= 0 on
    full arcs. The unpublished potential of each pair node is any value its
    (at most three) arcs allow; there must be one. Groups solved by CP-SAT
    have no certificate and are skipped. Returns the problems found.
    """
    seed = Seed.of(seed)
    chosen = {
        (str(r["visit_id"]), str(r["department"]), str(r["inspector_id"])): str(r["role"])
        for r in assigned.to_dict("records")
    }
    published = {
        (str(r["group"]), str(r["department"]), str(r["node"]), str(r["visit_id"]), str(r["inspector_id"])): int(
            r["potential"]
        )
        for r in certificate.to_dict("records")
    }
    groups = {(g, d) for g, d, *_ in published}
    by_region = policy.jurisdiction == "region"
    problems: list[str] = []
    for raw_key, group_teams in teams.groupby(["region", "department"] if by_region else ["department"], sort=True):
        key = raw_key if isinstance(raw_key, tuple) else (raw_key,)
        department = str(key[-1])
        name = f"region {key[0]}" if by_region else "all regions"
        if (name, department) not in groups:
            continue
        mask = people["department"] == department
        if by_region:
            mask &= people["region"] == key[0]
        gt = group_teams.sort_values(["visit_id", "department"]).reset_index(drop=True)
        officers = people[mask].sort_values("inspector_id")
        g, _ = build_group(
            name, department, officers, gt, seed=seed, conflicts=conflicts, policy=policy, lead_required=True
        )
        problems += _check_group(g, chosen, published)
    return problems
