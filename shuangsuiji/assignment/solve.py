"""Solving one group: OR-Tools min-cost flow, the drop loop, repairs and the certificate.

OR-Tools' ``solve_max_flow_with_min_cost`` staffs as many places as possible;
teams it can only partly staff are dropped (as few as the shortage forces, the
least filled first, then in ``drop`` ticket order) and the group is solved
again, so every team is whole or reported unstaffed with the reason in numbers.
A flow that puts two officers who must not work together into one team is
repaired by CP-SAT (:mod:`.repair`); otherwise its node potentials are the
group's certificate (:mod:`.certificate`), and the optimum is unique when the residual graph has
no cycle of reduced cost 0 (:func:`unique_optimum`, with SciPy's strongly connected components).

A large group is solved first on a few candidate pairs per team (the cheapest ones, which are the
ones an optimum uses): the candidates' optimum is taken only when it is provably the unique optimum
of the whole network (potentials that price every other pair out, no augmenting path, no cycle of
reduced cost 0), which is then the flow OR-Tools finds on the whole network; otherwise (an optimum
that is not unique, say) the whole network is solved, as for a small group. The result is the same
either way.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow
from scipy import sparse
from scipy.sparse import csgraph

from .._i18n import _
from ..exceptions import InternalError
from .certificate import certificate_rows, extend_potentials, flow_of_roles, potentials, reduced_costs
from .encode import PAIR_LEAD, TO_MEMBER, TO_PAIR, Group, Network, network
from .repair import breaks_exclusions, repair_teams
from .results import GroupReport

__all__ = ["optimum", "solve_flow", "staff_group", "unique_optimum"]

#: Per team, the cheapest pairs by cost, and the cheapest that may lead by cost and lead cost, that a large
#: group's first solve keeps (on the demo's 800,000 entities no optimum used a team's twelfth cheapest).
CANDIDATES = 16
#: Rounds of adding the pairs that price out below zero before the whole network is solved instead.
PRICING_ROUNDS = 3


def solve_flow(net: Network) -> tuple[npt.NDArray[np.int64], int]:
    """The max flow of least cost of a network, and its cost.

    Raises
    ------
    InternalError
        If OR-Tools does not report an optimum.
    """
    solver = min_cost_flow.SimpleMinCostFlow()
    # OR-Tools wants Python ints (not numpy scalars) in scalar calls; arrays are fine.
    solver.add_arcs_with_capacity_and_unit_cost(net.tails, net.heads, net.caps, net.costs)
    supplies = np.zeros(net.nodes, dtype=np.int64)
    supplies[0], supplies[1] = net.demand, -net.demand
    solver.set_nodes_supplies(np.arange(net.nodes, dtype=np.int32), supplies)
    status = solver.solve_max_flow_with_min_cost()
    if status != solver.OPTIMAL:
        raise InternalError(_("min-cost flow returned status {status}").format(status=status))
    return np.asarray(solver.flows(np.arange(len(net.tails))), dtype=np.int64), int(solver.optimal_cost())


def unique_optimum(net: Network, flow: npt.NDArray[np.int64], rc: npt.NDArray[np.int64]) -> bool:
    """Whether the optimal flow is the only one: no zero-cost cycle in its residual graph.

    Another optimal flow would differ by a circulation of cost 0 in the residual graph, and with
    reduced costs >= 0 on residual arcs such a cycle uses only arcs of reduced cost 0.
    """
    fwd = (flow < net.caps) & (rc == 0)
    bwd = (flow > 0) & (rc == 0)
    tails = np.concatenate([net.tails[fwd], net.heads[bwd]])
    heads = np.concatenate([net.heads[fwd], net.tails[bwd]])
    n = net.nodes
    if (tails == heads).any():
        return False
    graph = sparse.csr_matrix((np.ones(tails.size, dtype=np.int8), (tails, heads)), shape=(n, n))
    # A cycle lies within one strongly connected component of two or more nodes.
    count, _ = csgraph.connected_components(graph, directed=True, connection="strong")
    return bool(count == n)


def _candidates(g: Group, use: npt.NDArray[np.bool_], count: int) -> npt.NDArray[np.bool_]:
    """Of the pairs in ``use``, each team's ``count`` cheapest, and ``count`` cheapest leads by cost + lead cost."""
    keep = np.zeros(len(g.pair_o), dtype=bool)
    for key, among in ((g.cost, use), (g.cost + g.lead_cost, use & g.pair_lead)):
        pairs = np.flatnonzero(among)
        width = int(key.max(initial=0)) + 1
        order = pairs[np.argsort(g.pair_t[pairs] * width + key[pairs])]  # by team, then by key
        teams = g.pair_t[order]
        starts = np.flatnonzero(np.r_[True, teams[1:] != teams[:-1]])
        rank = np.arange(order.size) - np.repeat(starts, np.diff(np.r_[starts, order.size]))
        keep[order[rank < count]] = True
    return keep


def _roles(net: Network, flow: npt.NDArray[np.int64], pairs: int) -> npt.NDArray[np.int8]:
    """Each pair's role in a flow: 0 none, 1 member, 2 lead."""
    roles = np.zeros(pairs, dtype=np.int8)
    on = flow > 0
    roles[net.pair_of[on & np.isin(net.kind, (TO_MEMBER, TO_PAIR))]] = 1
    roles[net.pair_of[on & (net.kind == PAIR_LEAD)]] = 2
    return roles


def _augmentable(net: Network, flow: npt.NDArray[np.int64]) -> bool:
    """Whether the residual graph has a path from the source to the sink (the flow is not a maximum)."""
    fwd, bwd = flow < net.caps, flow > 0
    tails = np.concatenate([net.tails[fwd], net.heads[bwd]])
    heads = np.concatenate([net.heads[fwd], net.tails[bwd]])
    graph = sparse.csr_matrix((np.ones(tails.size, dtype=np.int8), (tails, heads)), shape=(net.nodes, net.nodes))
    return bool((csgraph.breadth_first_order(graph, 0, directed=True, return_predecessors=False) == 1).any())


def _on_candidates(
    g: Group, active: npt.NDArray[np.bool_], net: Network
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
    """The flow and potentials of ``net`` solved on candidate pairs, when that is its unique optimum; else ``None``.

    The candidates' potentials, each pair node given its distance from its one residual arc in, are
    the distances on the whole network when every residual arc keeps a reduced cost >= 0 (each is
    the cost of a path there, and no arc shortens one); the pairs whose arcs do not are added (and
    twice as many candidates per team when another arc does not).
    """
    use, count = active[g.pair_t], CANDIDATES
    if not use.any():
        return None
    keep = _candidates(g, use, count)
    for _round in range(PRICING_ROUNDS):
        if 2 * int(keep.sum()) > int(use.sum()):
            return None  # most pairs are candidates: solving the whole network costs no more
        kept = np.flatnonzero(keep)
        fields = {f: getattr(g, f)[kept] for f in ("pair_o", "pair_t", "pair_lead", "cost", "lead_cost")}
        small = network(dataclasses.replace(g, **fields), active)
        small_flow, _ = solve_flow(small)
        roles = np.zeros(len(g.pair_o), dtype=np.int8)
        roles[kept] = _roles(small, small_flow, kept.size)
        flow = flow_of_roles(net, roles)
        p = extend_potentials(net, flow, potentials(small, small_flow)[: len(small.node_keys)])
        if p is None:
            return None
        rc = reduced_costs(net, p)
        bad = ((flow < net.caps) & (rc < 0)) | ((flow > 0) & (rc > 0))
        if not bad.any():
            break
        keep[net.pair_of[bad & (net.pair_of >= 0)]] = True
        if (bad & (net.pair_of < 0)).any():  # an officer's load arc: too few candidates for the loads
            count *= 2
            keep |= _candidates(g, use, count)
    else:
        return None
    if int(flow[net.heads == 1].sum()) < net.demand and _augmentable(net, flow):
        return None
    return (flow, p) if unique_optimum(net, flow, rc) else None


def optimum(
    g: Group, active: npt.NDArray[np.bool_]
) -> tuple[Network, npt.NDArray[np.int64], int, npt.NDArray[np.int64] | None]:
    """The network of the ``active`` teams, the max flow of least cost OR-Tools finds on it, its cost.

    Also its potentials when they were found on the way (the flow is then the unique optimum).
    """
    net = network(g, active)
    found = _on_candidates(g, active, net)
    if found is not None:
        flow, p = found
        return net, flow, int((flow * net.costs).sum()), p
    flow, cost = solve_flow(net)
    return net, flow, cost, None


def _shortage(g: Group) -> str:
    """Why a team was dropped for want of capacity, in numbers."""
    may_lead = np.unique(g.pair_o[g.pair_lead])
    return (
        f"not enough capacity in {g.name} for {g.department}: {int(g.size.sum())} places "
        f"({int(g.lead_needed.sum())} leads) needed, capacity {int(g.capacity.sum())} among {len(g.officer_ids)} "
        f"officers and {int(g.capacity[may_lead].sum())} among the {may_lead.size} who may lead, "
        f"after {g.recusals} recusals"
    )


def _flow_until_whole(
    g: Group, active: npt.NDArray[np.bool_], unstaffed: dict[int, str]
) -> tuple[Network, npt.NDArray[np.int64], int, npt.NDArray[np.int64] | None, bool]:
    """Solve, drop the partly staffed teams the shortage forces, and solve again until every team is whole.

    ``active`` and ``unstaffed`` are updated in place. The last value says whether every solve that led
    to drops had a unique optimum (then which teams were dropped depends on no solver's choice).
    """
    shortage = _shortage(g)
    drops_unique = True
    while True:
        net, flow, cost, p = optimum(g, active)
        into_sink = net.heads == 1
        got = np.bincount(
            net.slot_team[net.tails[into_sink]], weights=flow[into_sink], minlength=len(g.team_keys)
        ).astype(np.int64)
        partial = np.flatnonzero(active & (got < g.size))
        if partial.size == 0:
            return net, flow, cost, p, drops_unique
        if p is None and drops_unique:
            drops_unique = unique_optimum(net, flow, reduced_costs(net, potentials(net, flow)))
        # Drop as few teams as the shortage forces: the least filled first, then by a ticket of the
        # team (scope "drop"), so which visits wait is random yet reproducible; then solve again.
        short = int((g.size[active] - got[active]).sum())
        drop_count = max(1, -(-short // int(g.size[active].max())))
        ranked = sorted(partial.tolist(), key=lambda t: (int(got[t]), g.seed.drop_ticket(*g.team_keys[t])))
        for t in ranked[:drop_count]:
            unstaffed[t] = shortage
            active[t] = False


def staff_group(
    g: Group, impossible: list[tuple[int, str]]
) -> tuple[list[tuple[int, bool]], dict[int, str], GroupReport, list[dict[str, object]]]:
    """Solve one group; returns chosen (pair, is_lead), unstaffed team -> reason, report, certificate rows."""
    active = np.ones(len(g.team_keys), dtype=bool)
    unstaffed: dict[int, str] = {}
    for t, why in impossible:
        active[t] = False
        unstaffed[t] = why
    net, flow, cost, p, drops_unique = _flow_until_whole(g, active, unstaffed)
    chosen: dict[int, bool] = {}
    for a in np.flatnonzero((flow > 0) & np.isin(net.kind, (TO_MEMBER, TO_PAIR))):
        chosen[int(net.pair_of[a])] = False
    for a in np.flatnonzero((flow > 0) & (net.kind == PAIR_LEAD)):
        chosen[int(net.pair_of[a])] = True
    method, status, unique = "min-cost flow", "optimal", None
    certificate: list[dict[str, object]] = []
    broken = breaks_exclusions(g, chosen)
    if broken:
        method = "min-cost flow + CP-SAT repair"
        chosen, status = repair_teams(g, chosen, broken, active=active, unstaffed=unstaffed)
    elif p is not None:  # found on candidate pairs: the unique optimum
        unique = drops_unique
        certificate = certificate_rows(g, net, p)
    else:
        p = potentials(net, flow)
        unique = unique_optimum(net, flow, reduced_costs(net, p)) and drops_unique
        certificate = certificate_rows(g, net, p)
    may_lead = np.unique(g.pair_o[g.pair_lead])
    report = GroupReport(
        group=g.name,
        department=g.department,
        teams=len(g.team_keys),
        places=int(g.size.sum()),
        officers=len(g.officer_ids),
        capacity=int(g.capacity.sum()),
        lead_places=int(g.lead_needed.sum()),
        lead_officers=int(may_lead.size),
        lead_capacity=int(g.capacity[may_lead].sum()),
        recusals=g.recusals,
        staffed_teams=int(active.sum()),
        method=method,
        status=status,
        unique=unique,
        cost=cost,
    )
    return sorted(chosen.items()), unstaffed, report, certificate
