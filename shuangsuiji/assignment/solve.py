"""Solving one group: OR-Tools min-cost flow, the drop loop, repairs and the certificate.

OR-Tools' ``solve_max_flow_with_min_cost`` staffs as many places as possible;
teams it can only partly staff are dropped (as few as the shortage forces, the
least filled first, then in ``drop`` ticket order) and the group is solved
again, so every team is whole or reported unstaffed with the reason in numbers.
A flow that puts two officers who must not work together into one team is
repaired by CP-SAT (:mod:`.repair`); otherwise its node potentials are the
group's certificate (:mod:`.certificate`), and the optimum is unique when the residual graph has
no cycle of reduced cost 0 (:func:`unique_optimum`, with SciPy's strongly connected components).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow
from scipy import sparse
from scipy.sparse import csgraph

from ..exceptions import InternalError
from .certificate import certificate_rows, potentials, reduced_costs
from .encode import PAIR_LEAD, TO_MEMBER, TO_PAIR, Group, Network, network
from .repair import breaks_exclusions, repair_teams
from .results import GroupReport

__all__ = ["solve_flow", "staff_group", "unique_optimum"]


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
    solver.set_node_supply(0, int(net.demand))
    solver.set_node_supply(1, -int(net.demand))
    for node in range(2, len(net.node_keys)):
        solver.set_node_supply(node, 0)
    status = solver.solve_max_flow_with_min_cost()
    if status != solver.OPTIMAL:
        raise InternalError(f"min-cost flow returned status {status}")
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
    n = len(net.node_keys)
    if (tails == heads).any():
        return False
    graph = sparse.csr_matrix((np.ones(tails.size, dtype=np.int8), (tails, heads)), shape=(n, n))
    # A cycle lies within one strongly connected component of two or more nodes.
    count, _ = csgraph.connected_components(graph, directed=True, connection="strong")
    return bool(count == n)


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
) -> tuple[Network, npt.NDArray[np.int64], int]:
    """Solve, drop the partly staffed teams the shortage forces, and solve again until every team is whole.

    ``active`` and ``unstaffed`` are updated in place.
    """
    team_index = {key: t for t, key in enumerate(g.team_keys)}
    shortage = _shortage(g)
    while True:
        net = network(g, active)
        flow, cost = solve_flow(net)
        into_sink = net.heads == 1
        got = np.zeros(len(g.team_keys), dtype=np.int64)
        team_of_slot = {
            node: team_index[(key[1], key[2])] for node, key in enumerate(net.node_keys) if key[0] in ("lead", "member")
        }
        for a in np.flatnonzero(into_sink):
            got[team_of_slot[int(net.tails[a])]] += flow[a]
        partial = np.flatnonzero(active & (got < g.size))
        if partial.size == 0:
            return net, flow, cost
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
    net, flow, cost = _flow_until_whole(g, active, unstaffed)
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
    else:
        p = potentials(net, flow)
        unique = unique_optimum(net, flow, reduced_costs(net, p))
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
