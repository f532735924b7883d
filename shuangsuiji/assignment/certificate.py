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

from .._hashing import default_workers, forked_map
from .._i18n import N_, _
from ..conflicts import Conflicts
from ..exceptions import InternalError
from ..plan import AssignmentPolicy
from ..seed import Seed
from .encode import LOAD, PAIR_LEAD, TO_MEMBER, TO_PAIR, Group, Network, build_group, network

__all__ = [
    "CERTIFICATE_COLUMNS",
    "CertificateCheck",
    "bellman_ford",
    "certificate_rows",
    "extend_potentials",
    "fit_free",
    "flow_of",
    "flow_of_roles",
    "potentials",
    "reduced_costs",
    "verify_certificate",
]

#: Columns of ``certificate.csv``.
CERTIFICATE_COLUMNS = ["group", "department", "node", "visit_id", "team_department", "inspector_id", "potential"]


_NEGATIVE_CYCLE = N_("the flow's residual graph has a negative cycle: the solution is not optimal")
#: A node with this many residual arcs out or more (an officer, the source) is relaxed only when its distance changed.
_HUB_DEGREE = 32

_Arcs = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]


def _residual(net: Network, flow: npt.NDArray[np.int64]) -> _Arcs:
    """Tails, heads and costs of the residual graph: forward arcs below capacity, backward arcs with flow."""
    fwd, bwd = flow < net.caps, flow > 0
    return (
        np.concatenate([net.tails[fwd], net.heads[bwd]]),
        np.concatenate([net.heads[fwd], net.tails[bwd]]),
        np.concatenate([net.costs[fwd], -net.costs[bwd]]),
    )


def _by_head(arcs: _Arcs) -> _Arcs:
    """The arcs sorted by head, as tails, costs, and each head with the index where its arcs start."""
    tail, head, cost = arcs
    order = np.argsort(head)
    tail, head, cost = tail[order], head[order], cost[order]
    starts = np.flatnonzero(np.r_[True, head[1:] != head[:-1]]) if head.size else head
    return tail, cost, np.stack([head[starts], starts])


def _relax_to_fixed_point(dist: npt.NDArray[np.int64], arcs: _Arcs, rounds: int) -> None:
    """Bellman-Ford passes over arcs sorted by head (:func:`_by_head`), all at once, until no distance improves."""
    tail, cost, (targets, starts) = arcs
    if starts.size == 0:
        return
    for _round in range(rounds):
        best = np.minimum.reduceat(dist[tail] + cost, starts)
        improve = best < dist[targets]
        if not improve.any():
            return
        dist[targets[improve]] = best[improve]
    raise InternalError(_(_NEGATIVE_CYCLE))


def _pair_in_arcs(arcs: _Arcs, first: int, nodes: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
    """The tail and cost of each pair node's one residual arc in (pair nodes: ``first`` on).

    ``None`` when some pair node has no arc in, several, or one from another pair node.
    """
    tail, head, cost = arcs
    into = head >= first
    pairs = nodes - first
    if (np.bincount(head[into] - first, minlength=pairs) != 1).any() or (tail[into] >= first).any():
        return None
    in_tail, in_cost = np.empty(pairs, dtype=np.int64), np.empty(pairs, dtype=np.int64)
    in_tail[head[into] - first], in_cost[head[into] - first] = tail[into], cost[into]
    return in_tail, in_cost


def _contract(arcs: _Arcs, first: int, nodes: int) -> tuple[_Arcs, _Arcs, _Arcs] | None:
    """The residual graph without its pair nodes (``first`` on), each of which has exactly one arc in.

    Returns the arcs among the other nodes (each path ``u -> pair -> v`` becomes an arc ``u -> v``),
    each pair node's one arc in, and the arcs out of the pair nodes (the pair's empty path bounds
    ``p(v)`` by such an arc's cost); ``None`` when some pair node has no arc in, several, or one from
    another pair node.
    """
    found = _pair_in_arcs(arcs, first, nodes)
    if found is None:
        return None
    in_tail, in_cost = found
    tail, head, cost = arcs
    into, out = head >= first, tail >= first
    plain = ~into & ~out
    via = tail[out] - first
    core = (
        np.concatenate([tail[plain], in_tail[via]]),
        np.concatenate([head[plain], head[out]]),
        np.concatenate([cost[plain], in_cost[via] + cost[out]]),
    )
    return core, (in_tail, np.arange(first, nodes, dtype=np.int64), in_cost), (tail[out], head[out], cost[out])


def extend_potentials(
    net: Network, flow: npt.NDArray[np.int64], p_nodes: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64] | None:
    """Potentials of all nodes from those of the nodes before the pair nodes (``p_nodes``).

    Each pair node gets ``min(0, p(u) + c)`` from its one residual arc in ``u -> pair`` of cost
    ``c``: its distance, when ``p_nodes`` are distances. ``None`` when a pair node has no such arc.
    """
    found = _pair_in_arcs(_residual(net, flow), len(net.node_keys), net.nodes)
    if found is None:
        return None
    in_tail, in_cost = found
    return np.concatenate([p_nodes, np.minimum(p_nodes[in_tail] + in_cost, 0)])


def _core_distances(dist: npt.NDArray[np.int64], arcs: _Arcs) -> None:
    """Shortest distances on a graph of a few hubs with many arcs out and many nodes with few (in place).

    Label-correcting: the arcs out of the hubs are relaxed only from the hubs whose distance changed
    since they were last relaxed, then the other arcs until nothing improves; the round ends when no
    hub changed. ``dist`` starts at each node's bound from the virtual root.
    """
    tail, head, cost = arcs
    n = dist.size
    hub = np.bincount(tail, minlength=n) >= _HUB_DEGREE
    heavy = hub[tail]
    light = _by_head((tail[~heavy], head[~heavy], cost[~heavy]))
    tail, head, cost = tail[heavy], head[heavy], cost[heavy]
    # Arcs out of the hubs, grouped by hub (a radix sort when the node numbers fit 16 bits).
    order = np.argsort(tail.astype(np.uint16) if n <= 1 << 16 else tail, kind="stable")
    tail, head, cost = tail[order], head[order], cost[order]
    bounds = np.searchsorted(tail, np.arange(n + 1))
    hubs = np.flatnonzero(hub)
    relaxed = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    _relax_to_fixed_point(dist, light, n + 1)
    for _round in range(n + 1):
        changed = hubs[dist[hubs] < relaxed[hubs]]
        if changed.size == 0:
            return
        relaxed[changed] = dist[changed]
        lengths = bounds[changed + 1] - bounds[changed]
        arc = np.repeat(bounds[changed] - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
        np.minimum.at(dist, head[arc], dist[tail[arc]] + cost[arc])
        _relax_to_fixed_point(dist, light, n + 1)
    raise InternalError(_(_NEGATIVE_CYCLE))


def potentials(net: Network, flow: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Node potentials proving a flow optimal: shortest distances in its residual graph.

    ``p(v)`` is the least cost of a path ending at ``v`` (the empty path counting 0): Bellman-Ford
    from a virtual root joined to every node at cost 0. The pair nodes, one arc into each, are
    contracted away first; the distances of the rest are found by :func:`_core_distances` and
    each pair node's follows from its one arc in. These are exactly the distances, whatever the
    method: a residual graph without a negative cycle has one set of them.

    Raises
    ------
    InternalError
        If the residual graph has a negative cycle (the flow is not optimal).
    """
    arcs = _residual(net, flow)
    first = len(net.node_keys)
    contracted = _contract(arcs, first, net.nodes)
    if contracted is None:
        return bellman_ford(arcs, net.nodes)
    core, (in_tail, _in_head, in_cost), (_bound_tail, bound_head, bound_cost) = contracted
    dist = np.zeros(first, dtype=np.int64)
    np.minimum.at(dist, bound_head, np.minimum(bound_cost, 0))
    _core_distances(dist, core)
    return np.concatenate([dist, np.minimum(dist[in_tail] + in_cost, 0)])


def bellman_ford(arcs: _Arcs, nodes: int) -> npt.NDArray[np.int64]:
    """Shortest distances from a virtual root joined to every node at cost 0, by plain Bellman-Ford.

    The definition of the published potentials, on ``(tails, heads, costs)``; :func:`potentials`
    finds the same numbers faster.

    Raises
    ------
    InternalError
        On a negative cycle.
    """
    dist = np.zeros(nodes, dtype=np.int64)
    _relax_to_fixed_point(dist, _by_head(arcs), nodes + 1)
    return dist


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


_Roles = Mapping[tuple[str, str], list[tuple[str, str]]]


def _by_team(chosen: Mapping[tuple[str, str, str], str]) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(visit, department) -> [(officer, role)] of a published assignment."""
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for (visit, department, officer), role in chosen.items():
        out.setdefault((visit, department), []).append((officer, role))
    return out


def _pair_roles(g: Group, by_team: _Roles) -> npt.NDArray[np.int8]:
    """Each pair's role in the published assignment: 0 none, 1 member, 2 lead."""
    n_o = len(g.officer_ids)
    officer_at = {oid: o for o, oid in enumerate(g.officer_ids)}
    keys, codes = [], []
    for t, team in enumerate(g.team_keys):
        for officer, role in by_team.get(team, ()):
            o = officer_at.get(officer)
            if o is not None:
                keys.append(t * n_o + o)
                codes.append(2 if role == "lead" else 1)
    roles = np.zeros(len(g.pair_o), dtype=np.int8)
    pair_key = g.pair_t * n_o + g.pair_o
    order = np.arange(pair_key.size) if (np.diff(pair_key) > 0).all() else np.argsort(pair_key, kind="stable")
    wanted = np.asarray(keys, dtype=np.int64)
    at = np.minimum(np.searchsorted(pair_key[order], wanted), max(order.size - 1, 0))
    found = (pair_key[order][at] == wanted) if order.size else np.zeros(wanted.size, dtype=bool)
    roles[order[at[found]]] = np.asarray(codes, dtype=np.int8)[found]
    return roles


def flow_of(net: Network, g: Group, chosen: Mapping[tuple[str, str, str], str]) -> npt.NDArray[np.int64]:
    """The flow a published assignment stands for: (visit, department, officer) -> role."""
    return flow_of_roles(net, _pair_roles(g, _by_team(chosen)))


def flow_of_roles(net: Network, roles: npt.NDArray[np.int8]) -> npt.NDArray[np.int64]:
    """The flow of a group's network given each pair's role: 0 none, 1 member, 2 lead."""
    flow = np.zeros(len(net.tails), dtype=np.int64)
    pair_arcs = np.flatnonzero(net.pair_of >= 0)  # the arcs of kinds TO_MEMBER, TO_PAIR, PAIR_LEAD, PAIR_MEMBER
    role = roles[net.pair_of[pair_arcs]]
    kind = net.kind[pair_arcs]
    into = (kind == TO_MEMBER) | (kind == TO_PAIR)
    on = role > 0
    flow[pair_arcs] = on & (into | ((kind == PAIR_LEAD) == (role == 2)))
    # Load arcs: an officer with k visits fills the k cheapest of its unit arcs (listed cheapest first).
    officer_visits = np.bincount(net.tails[pair_arcs[on & into]], minlength=net.nodes)
    load_arcs = np.flatnonzero(net.kind == LOAD)
    rank = np.zeros(load_arcs.size, dtype=np.int64)
    heads = net.heads[load_arcs]
    order = np.argsort(heads, kind="stable")
    starts = np.r_[0, np.flatnonzero(np.diff(heads[order])) + 1]
    rank[order] = np.arange(order.size) - np.repeat(starts, np.diff(np.r_[starts, order.size]))
    flow[load_arcs] = rank < officer_visits[heads]
    # So far every arc carries 0 or 1; each slot sends its inflow to the sink.
    inflow = np.bincount(net.heads[flow > 0], minlength=net.nodes)
    into_sink = net.heads == 1
    flow[into_sink] = inflow[net.tails[into_sink]]
    return flow


def fit_free(
    net: Network, flow: npt.NDArray[np.int64], p: npt.NDArray[np.int64], free: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Give each free (pair) node a potential within the bounds its arcs set; returns the nodes none fits.

    An arc into a free node bounds it below when full, above when empty; an arc out of it the reverse.
    """
    free_mask = np.zeros(net.nodes, dtype=bool)
    free_mask[free] = True
    lo = np.full(net.nodes, -(1 << 62), dtype=np.int64)
    hi = np.full(net.nodes, 1 << 62, dtype=np.int64)
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
    return free[lo[free] > hi[free]]


def _check_group(
    g: Group,
    by_team: _Roles,
    published: Mapping[tuple[str, str, str, str, str], int],
) -> list[str]:
    """The optimality conditions of one group's published flow and potentials."""
    problems: list[str] = []
    net = network(g, np.array([k in by_team for k in g.team_keys], dtype=bool))
    flow = flow_of_roles(net, _pair_roles(g, by_team))
    p = np.zeros(net.nodes, dtype=np.int64)
    missing = []
    for n, (kind, visit, _dept, oid) in enumerate(net.node_keys):
        value = published.get((g.name, g.department, kind, visit, oid))
        if value is None:
            said = _("{group}, {department}: no potential for node {kind} {visit} {inspector}")
            problems.append(said.format(group=g.name, department=g.department, kind=kind, visit=visit, inspector=oid))
            missing.append(n)
        else:
            p[n] = value
    free = np.r_[np.asarray(missing, dtype=np.int64), np.arange(len(net.node_keys), net.nodes, dtype=np.int64)]
    if free.size:
        stuck = fit_free(net, flow, p, free)
        if stuck.size:
            said = _("{group}, {department}: no potential fits {n} pair nodes")
            problems.append(said.format(group=g.name, department=g.department, n=stuck.size))
    rc = reduced_costs(net, p)
    bad = int(((flow == 0) & (rc < 0)).sum() + ((flow == net.caps) & (rc > 0)).sum())
    if bad:
        said = _("{group}, {department}: {n} arcs break the optimality conditions")
        problems.append(said.format(group=g.name, department=g.department, n=bad))

    return problems


class CertificateCheck:
    """:func:`verify_certificate` group by group, each group checked where it is built.

    Reads the published assignment and certificate once: who holds which place, every published
    potential, and each certified group's staffed teams in the order a group numbers them. As a
    :class:`~shuangsuiji.assignment.results.GroupCheck` it checks a group solved elsewhere on exactly
    the teams the published assignment staffs in it (that group has the network the check would
    build from the same inputs); :meth:`problems` builds the groups not checked that way.
    """

    def __init__(
        self, teams: pd.DataFrame, assigned: pd.DataFrame, certificate: pd.DataFrame, policy: AssignmentPolicy
    ) -> None:
        columns = [assigned[c].tolist() for c in ("visit_id", "department", "inspector_id", "role")]
        chosen = {(str(v), str(d), str(i)): str(role) for v, d, i, role in zip(*columns, strict=True)}
        columns = [certificate[c].tolist() for c in ("group", "department", "node", "visit_id", "inspector_id")]
        self._published = {
            (str(g), str(d), str(n), str(v), str(i)): int(value)
            for g, d, n, v, i, value in zip(*columns, certificate["potential"].tolist(), strict=True)
        }
        certified = {(g, d) for g, d, *_ in self._published}
        self._policy = policy
        by_region = policy.jurisdiction == "region"
        # A group's last solve held exactly the teams that were then staffed (the visits that wait were set
        # aside before it), and its random costs are ranks among those teams' pairs.
        self._by_team = _by_team(chosen)
        keys = zip(teams["visit_id"].tolist(), teams["department"].tolist(), strict=True)
        teams = teams[[(v, d) in self._by_team for v, d in keys]]
        #: (group, department) -> (region or None, the group's staffed teams), in group order.
        self._groups: dict[tuple[str, str], tuple[str | None, pd.DataFrame]] = {}
        for raw_key, group_teams in teams.groupby(["region", "department"] if by_region else ["department"], sort=True):
            key = raw_key if isinstance(raw_key, tuple) else (raw_key,)
            name = f"region {key[0]}" if by_region else "all regions"
            if (name, str(key[-1])) in certified:
                gt = group_teams.sort_values(["visit_id", "department"]).reset_index(drop=True)
                self._groups[name, str(key[-1])] = (str(key[0]) if by_region else None, gt)
        self._keys = {
            group: list(zip(gt["visit_id"].astype(str).tolist(), gt["department"].astype(str).tolist(), strict=True))
            for group, (_region, gt) in self._groups.items()
        }
        #: The problems of the groups checked where they were solved, by (group, department).
        self.found: dict[tuple[str, str], tuple[str, ...]] = {}

    def check(self, g: Group) -> tuple[str, ...] | None:
        """The problems of ``g``'s published flow and potentials; ``None`` when ``g`` is not the certified group."""
        if self._keys.get((g.name, g.department)) != g.team_keys:
            return None
        return tuple(_check_group(g, self._by_team, self._published))

    def collect(self, group: str, department: str, checked: tuple[str, ...] | None) -> None:
        """Keep what the latest solve of a group found (forget it when the check did not apply)."""
        if checked is None:
            self.found.pop((group, department), None)
        else:
            self.found[group, department] = checked

    def problems(
        self, people: pd.DataFrame, *, seed: str | Seed, conflicts: Conflicts, workers: int | None = None
    ) -> list[str]:
        """Every certified group's problems in group order; the groups not in :attr:`found` built from ``people``.

        The groups to build are checked in forked worker processes when there are several (``workers``,
        default: the available CPUs, at most 8).
        """
        seed = Seed.of(seed)
        todo: list[tuple[str, str, pd.DataFrame, pd.DataFrame]] = []
        for (name, department), (region, gt) in self._groups.items():
            if (name, department) not in self.found:
                mask = people["department"] == department
                if region is not None:
                    mask &= people["region"] == region
                todo.append((name, department, people[mask].sort_values("inspector_id"), gt))

        def check(item: tuple[str, str, pd.DataFrame, pd.DataFrame]) -> list[str]:
            name, department, officers, gt = item
            g, _people = build_group(
                name, department, officers, gt, seed=seed, conflicts=conflicts, policy=self._policy, lead_required=True
            )
            return _check_group(g, self._by_team, self._published)

        built = forked_map(
            check, todo, workers=default_workers() if workers is None else workers, size=lambda item: len(item[3])
        )
        done = dict(self.found) | {(n, d): tuple(found) for (n, d, _o, _t), found in zip(todo, built, strict=True)}
        return [problem for group in self._groups for problem in done[group]]


def verify_certificate(
    teams: pd.DataFrame,
    people: pd.DataFrame,
    assigned: pd.DataFrame,
    certificate: pd.DataFrame,
    *,
    seed: str | Seed,
    conflicts: Conflicts,
    policy: AssignmentPolicy,
    workers: int | None = None,
) -> list[str]:
    """Check, without a solver, that a published assignment is the optimum of its flow problem.

    Each group's network is rebuilt from the inputs, its flow read off the
    published assignment, and every reduced cost ``c + p(tail) - p(head)`` is
    checked with the published potentials: >= 0 on arcs without flow, <= 0 on
    full arcs. The unpublished potential of each pair node is any value its
    (at most three) arcs allow; there must be one. Groups solved by CP-SAT
    have no certificate and are skipped. Groups are checked in forked worker
    processes when there are several (``workers``, default: the available CPUs,
    at most 8); the problems come in group order whatever their number.
    Returns the problems found (:class:`CertificateCheck` does the same group by group).
    """
    check = CertificateCheck(teams, assigned, certificate, policy)
    return check.problems(people, seed=seed, conflicts=conflicts, workers=workers)
