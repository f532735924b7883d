"""Staffing visits with inspectors: min-cost flow (OR-Tools), decomposed, random yet reproducible.

The problem splits exactly into independent groups: officers serve only their
own department's teams, and (with ``jurisdiction = "region"``) only their own
region's entities. Each group is a min-cost flow:

``source -> officer``
    one unit arc per visit the officer may take, the ``k``-th costing ``W * k``
    (convex in the officer's load, so loads come out even);
``officer -> pair(officer, team) -> lead slot | member slot``
    the pair node has capacity 1, so one person never fills two places of one
    team; officers who may not lead the team go straight to its member slot;
``lead slot -> sink`` (capacity 1), ``member slot -> sink`` (team size - 1).

Every officer -> team arc costs a random 24-bit number, bytes 0-2 of the ticket
``SHA-256(seed ":assign:" visit_id "|" department "|" inspector_id)`` (and the
lead arc bytes 3-5 of it), below the load steps ``W``: among the
assignments that balance loads, the seed decides who goes where. With
distinct random costs the optimum is unique in practice, so any correct
solver finds the same assignment; the node potentials published in the
certificate let a verifier confirm optimality without a solver (reduced costs
``c + p(tail) - p(head)`` are >= 0 on arcs without flow and <= 0 on full ones).

OR-Tools' ``solve_max_flow_with_min_cost`` staffs as many places as possible;
teams it can only partly staff are dropped and the group solved again, so
every team is whole or reported unstaffed with the reason in numbers. A group
whose flow puts two officers who must not work together into one team keeps
the flow's other teams and re-staffs only those few, one team at a time, each
by a small CP-SAT model (one worker, fixed seed, deterministic time limit) on
the capacity that remains, with the load costs continuing from the officers'
loads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model
from scipy import sparse
from scipy.sparse import csgraph

from ._hashing import default_workers
from .conflicts import Conflicts
from .exceptions import AssignmentError, InternalError
from .plan import AssignmentPolicy
from .roster import Roster
from .rules import check_assignment
from .schedule import people_of, schedule_visits, working_days
from .seed import check_seed
from .visits import Visits
from .workdays import WorkCalendar

__all__ = [
    "LOAD_STEP",
    "AssignmentResult",
    "GroupReport",
    "Staffing",
    "assign",
    "assign_cost_bytes",
    "staff",
    "verify_certificate",
]

#: Cost of each further visit of one officer (the k-th visit costs LOAD_STEP * k); above any random cost.
LOAD_STEP = 1 << 26
_RANDOM_BITS = 24
_CPSAT_TIME = 60.0  # deterministic seconds


def assign_cost_bytes(seed: str, visit: str, department: str, inspector: str) -> bytes:
    """The ticket of one (visit, department, officer) pair under scope ``assign``.

    Examples
    --------
    >>> assign_cost_bytes("0" * 64, "V1", "d", "A1") == hashlib.sha256(("0" * 64 + ":assign:V1|d|A1").encode()).digest()
    True
    """
    return hashlib.sha256(f"{seed}:assign:{visit}|{department}|{inspector}".encode()).digest()


@dataclass(frozen=True)
class GroupReport:
    """What happened in one group (department within a jurisdiction)."""

    group: str
    department: str
    teams: int
    places: int
    officers: int
    capacity: int
    lead_places: int
    lead_officers: int
    lead_capacity: int
    recusals: int
    staffed_teams: int
    method: str
    status: str
    unique: bool | None
    cost: int

    def explain(self) -> str:
        """One line in numbers, e.g. for an infeasible group."""
        leads = (
            f"; {self.lead_places} need a lead (主检) and {self.lead_officers} of the officers may lead, "
            f"with capacity {self.lead_capacity}"
            if self.lead_places
            else ""
        )
        return (
            f"{self.group}, {self.department}: {self.places} places needed for {self.teams} teams, "
            f"{self.officers} officers with capacity {self.capacity} available after {self.recusals} recusals"
            f"{leads}; {self.staffed_teams} of {self.teams} teams staffed"
        )


@dataclass
class _Group:
    """One subproblem on plain arrays: officers 0..O-1, teams 0..T-1, eligible pairs."""

    name: str
    department: str
    officer_ids: list[str]
    capacity: npt.NDArray[np.int64]
    team_keys: list[tuple[str, str]]  # (visit_id, department)
    size: npt.NDArray[np.int64]
    lead_needed: npt.NDArray[np.bool_]
    pair_o: npt.NDArray[np.int64]
    pair_t: npt.NDArray[np.int64]
    pair_lead: npt.NDArray[np.bool_]
    cost: npt.NDArray[np.int64]
    lead_cost: npt.NDArray[np.int64]
    recusals: int
    seed: str
    exclusive: frozenset[frozenset[str]] = frozenset()


@dataclass
class Staffing:
    """The result of staffing one kind of place (officers or experts)."""

    teams: pd.DataFrame  # visit_id, department, inspector_id, role
    unstaffed: pd.DataFrame  # visit_id, department, reason
    reports: list[GroupReport] = field(default_factory=list)
    certificate: pd.DataFrame = field(default_factory=pd.DataFrame)


def _build_group(
    name: str,
    department: str,
    officers: pd.DataFrame,
    teams: pd.DataFrame,
    *,
    seed: str,
    conflicts: Conflicts,
    policy: AssignmentPolicy,
    lead_required: bool,
) -> tuple[_Group, list[tuple[int, str]]]:
    """Encode a group to indices; also the teams that no officer set could staff, with reasons."""
    officer_ids: list[str] = officers["inspector_id"].astype(str).tolist()
    n_o, n_t = len(officer_ids), len(teams)
    team_uscc: list[str] = teams["uscc"].astype(str).tolist()
    team_station = teams["station"].astype(str).to_numpy()
    team_size = teams["size"].to_numpy(dtype=np.int64)
    # Who may inspect whom, on an (officer x team) matrix: recusals first, then cross-station mode.
    officer_at = {oid: o for o, oid in enumerate(officer_ids)}
    team_at: dict[str, list[int]] = {}
    for t, u in enumerate(team_uscc):
        team_at.setdefault(u, []).append(t)
    recused = np.zeros((n_o, n_t), dtype=bool)
    for oid, uscc in conflicts.pairs:
        if oid in officer_at and uscc in team_at:
            recused[officer_at[oid], team_at[uscc]] = True
    same_station = np.zeros((n_o, n_t), dtype=bool)
    if policy.cross_station:
        same_station = (officers["station"].astype(str).to_numpy()[:, None] == team_station[None, :]) & (
            team_station[None, :] != ""
        )
        same_station &= ~recused
    eligible = ~recused & ~same_station
    # Who may lead: flagged, certified, and holding every certificate the team's tasks need.
    can_lead = np.zeros((n_o, n_t), dtype=bool)
    if lead_required:
        flagged = officers["lead"].to_numpy(dtype=bool) & (officers["cert_no"].to_numpy() != "")
        held = [set(c) for c in officers["certificates"]]
        needs = list(teams["lead_certificates"])
        for need in set(needs):
            columns = np.array([n == need for n in needs])
            qualified = flagged & np.array([set(need) <= h for h in held], dtype=bool)
            can_lead[:, columns] = qualified[:, None]
        can_lead &= eligible
    impossible: list[tuple[int, str]] = []
    counts, leads = eligible.sum(axis=0), can_lead.sum(axis=0)
    recused_count, station_count = recused.sum(axis=0), same_station.sum(axis=0)
    for t in np.flatnonzero((counts < team_size) | (lead_required & (leads == 0))).tolist():
        why = []
        if counts[t] < team_size[t]:
            why.append(f"{counts[t]} eligible of {team_size[t]} needed")
        if lead_required and leads[t] == 0:
            certs = (
                f" holding {'、'.join(sorted(teams['lead_certificates'].iloc[t]))}"
                if teams["lead_certificates"].iloc[t]
                else ""
            )
            why.append(f"no eligible lead (主检) with an enforcement certificate{certs}")
        detail = (
            f" ({recused_count[t]} recused"
            + (f", {station_count[t]} of the same station" if station_count[t] else "")
            + ")"
        )
        impossible.append((t, "; ".join(why) + f" among {n_o} officers of {department} in {name}{detail}"))
    recusals = int(recused.sum())
    rows_t, rows_o = np.nonzero(eligible.T)  # team-major order, as the pairs were always listed
    rows_lead = can_lead.T[rows_t, rows_o]
    pair_o = np.asarray(rows_o, dtype=np.int64)
    pair_t = np.asarray(rows_t, dtype=np.int64)
    keys = [(str(v), str(d)) for v, d in zip(teams["visit_id"], teams["department"], strict=True)]
    tickets = [
        assign_cost_bytes(seed, keys[t][0], keys[t][1], officer_ids[o]) for o, t in zip(rows_o, rows_t, strict=True)
    ]
    cost = np.asarray([int.from_bytes(b[:3], "big") for b in tickets], dtype=np.int64)
    lead_cost = np.asarray([int.from_bytes(b[3:6], "big") for b in tickets], dtype=np.int64)
    group = _Group(
        name=name,
        department=department,
        officer_ids=officer_ids,
        capacity=officers["capacity"].to_numpy(dtype=np.int64),
        team_keys=keys,
        size=teams["size"].to_numpy(dtype=np.int64),
        lead_needed=np.full(len(teams), lead_required),
        pair_o=pair_o,
        pair_t=pair_t,
        pair_lead=np.asarray(rows_lead, dtype=bool),
        cost=cost,
        lead_cost=lead_cost,
        recusals=recusals,
        seed=seed,
        exclusive=conflicts.exclusive,
    )
    return group, impossible


@dataclass
class _Network:
    tails: npt.NDArray[np.int64]
    heads: npt.NDArray[np.int64]
    caps: npt.NDArray[np.int64]
    costs: npt.NDArray[np.int64]
    kind: npt.NDArray[np.int8]  # 0 load, 1 officer->member, 2 officer->pair, 3 pair->lead, 4 pair->member, 5 slot->sink
    pair_of: npt.NDArray[np.int64]  # for kinds 1-4: index into the group's pairs; else -1
    node_keys: list[tuple[str, str, str, str]]
    demand: int


def _network(g: _Group, active: npt.NDArray[np.bool_]) -> _Network:
    """The flow network of a group restricted to the ``active`` teams (node and arc order fixed)."""
    n_o, n_t = len(g.officer_ids), len(g.team_keys)
    keys: list[tuple[str, str, str, str]] = [("source", "", "", ""), ("sink", "", "", "")]
    keys += [("officer", "", "", oid) for oid in g.officer_ids]
    officer_node = 2 + np.arange(n_o)
    lead_node = np.full(n_t, -1)
    member_node = np.full(n_t, -1)
    for t in np.flatnonzero(active):
        if g.lead_needed[t]:
            lead_node[t] = len(keys)
            keys.append(("lead", *g.team_keys[t], ""))
        if g.size[t] - g.lead_needed[t] > 0:
            member_node[t] = len(keys)
            keys.append(("member", *g.team_keys[t], ""))
    tails: list[npt.NDArray[np.int64]] = []
    heads, caps, costs, kinds, pairs = [], [], [], [], []

    def add(
        t: npt.ArrayLike, h: npt.ArrayLike, c: npt.ArrayLike, w: npt.ArrayLike, *, k: int, p: npt.ArrayLike
    ) -> None:
        t, h = np.asarray(t, dtype=np.int64), np.asarray(h, dtype=np.int64)
        tails.append(t)
        heads.append(h)
        caps.append(np.broadcast_to(np.asarray(c, dtype=np.int64), t.shape))
        costs.append(np.broadcast_to(np.asarray(w, dtype=np.int64), t.shape))
        kinds.append(np.full(t.shape, k, dtype=np.int8))
        pairs.append(np.broadcast_to(np.asarray(p, dtype=np.int64), t.shape))

    use = active[g.pair_t]
    # Load arcs: as many unit arcs as the officer can take (capacity, and no more than eligible teams).
    eligible_teams = np.bincount(g.pair_o[use], minlength=n_o)
    for o in range(n_o):
        k = int(min(g.capacity[o], eligible_teams[o]))
        if k:
            add(np.zeros(k), np.full(k, officer_node[o]), 1, LOAD_STEP * np.arange(1, k + 1), k=0, p=-1)
    plain = np.flatnonzero(use & ~g.pair_lead)
    add(officer_node[g.pair_o[plain]], member_node[g.pair_t[plain]], 1, g.cost[plain], k=1, p=plain)
    leadable = np.flatnonzero(use & g.pair_lead)
    pair_node = len(keys) + np.arange(leadable.size)
    keys += [("pair", *g.team_keys[g.pair_t[i]], g.officer_ids[g.pair_o[i]]) for i in leadable]
    add(officer_node[g.pair_o[leadable]], pair_node, 1, g.cost[leadable], k=2, p=leadable)
    add(pair_node, lead_node[g.pair_t[leadable]], 1, g.lead_cost[leadable], k=3, p=leadable)
    has_member = member_node[g.pair_t[leadable]] >= 0
    add(pair_node[has_member], member_node[g.pair_t[leadable[has_member]]], 1, 0, k=4, p=leadable[has_member])
    teams = np.flatnonzero(active)
    with_lead = teams[lead_node[teams] >= 0]
    add(lead_node[with_lead], np.ones(with_lead.size), 1, 0, k=5, p=-1)
    with_member = teams[member_node[teams] >= 0]
    add(
        member_node[with_member],
        np.ones(with_member.size),
        g.size[with_member] - g.lead_needed[with_member],
        0,
        k=5,
        p=-1,
    )
    return _Network(
        tails=np.concatenate(tails),
        heads=np.concatenate(heads),
        caps=np.concatenate(caps),
        costs=np.concatenate(costs),
        kind=np.concatenate(kinds),
        pair_of=np.concatenate(pairs),
        node_keys=keys,
        demand=int(g.size[teams].sum()),
    )


def _solve_flow(net: _Network) -> tuple[npt.NDArray[np.int64], int]:
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


def potentials(net: _Network, flow: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
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


def _unique(net: _Network, flow: npt.NDArray[np.int64], rc: npt.NDArray[np.int64]) -> bool:
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


def _drop_ticket(seed: str, key: tuple[str, str]) -> str:
    return hashlib.sha256(f"{seed}:drop:{key[0]}|{key[1]}".encode()).hexdigest()


def reduced_costs(net: _Network, p: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``c + p(tail) - p(head)`` of every arc."""
    return net.costs + p[net.tails] - p[net.heads]


def _flow_of(net: _Network, g: _Group, chosen: Mapping[tuple[str, str, str], str]) -> npt.NDArray[np.int64]:
    """The flow a published assignment stands for: (visit, department, officer) -> role."""
    flow = np.zeros(len(net.tails), dtype=np.int64)
    pair_arcs = np.flatnonzero(np.isin(net.kind, (1, 2, 3, 4)))
    i = net.pair_of[pair_arcs]
    roles = [
        chosen.get((g.team_keys[t][0], g.team_keys[t][1], g.officer_ids[o]))
        for t, o in zip(g.pair_t[i].tolist(), g.pair_o[i].tolist(), strict=True)
    ]
    kind = net.kind[pair_arcs]
    on = np.array([r is not None for r in roles], dtype=bool)
    lead = np.array([r == "lead" for r in roles], dtype=bool)
    flow[pair_arcs] = on & (np.isin(kind, (1, 2)) | ((kind == 3) == lead))
    # Load arcs: an officer with k visits fills the k cheapest of its unit arcs (listed cheapest first).
    officer_visits = np.bincount(
        net.tails[pair_arcs], weights=flow[pair_arcs] * np.isin(kind, (1, 2)), minlength=len(net.node_keys)
    ).astype(np.int64)
    load_arcs = np.flatnonzero(net.kind == 0)
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


def verify_certificate(
    teams: pd.DataFrame,
    people: pd.DataFrame,
    assigned: pd.DataFrame,
    certificate: pd.DataFrame,
    *,
    seed: str,
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
    problems: list[str] = []
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
        g, _ = _build_group(
            name,
            department,
            people[mask].sort_values("inspector_id"),
            gt,
            seed=seed,
            conflicts=conflicts,
            policy=policy,
            lead_required=True,
        )
        staffed = {(v, d) for v, d, _ in chosen}
        active = np.array([k in staffed for k in g.team_keys])
        net = _network(g, active)
        flow = _flow_of(net, g, chosen)
        p = np.zeros(len(net.node_keys), dtype=np.int64)
        free = []
        for n, (kind, visit, _dept, oid) in enumerate(net.node_keys):
            value = published.get((name, department, kind, visit, oid))
            if value is None:
                if kind != "pair":
                    problems.append(f"{name}, {department}: no potential for node {kind} {visit} {oid}")
                free.append(n)
            else:
                p[n] = value
        if free:
            # Each free (pair) node's potential must lie within bounds its arcs set, all at once:
            # an arc into it bounds it below when full, above when empty; an arc out of it the reverse.
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
            stuck = [n for n in free if lo[n] > hi[n]]
            if stuck:
                problems.append(f"{name}, {department}: no potential fits {len(stuck)} pair nodes")
            p[free] = lo[free]
        rc = reduced_costs(net, p)
        bad = int(((flow == 0) & (rc < 0)).sum() + ((flow == net.caps) & (rc > 0)).sum())
        if bad:
            problems.append(f"{name}, {department}: {bad} arcs break the optimality conditions")
    return problems


def _solve_cpsat(
    g: _Group, active: npt.NDArray[np.bool_], base_load: npt.NDArray[np.int64]
) -> tuple[dict[int, bool], int, str]:
    """Staff the ``active`` teams by CP-SAT, team-pair exclusions included; returns chosen pairs -> is_lead.

    Officers already carry ``base_load`` visits (of teams kept from the flow): their capacity is
    what remains, and the convex load costs continue from there.
    """
    model = cp_model.CpModel()
    use = np.flatnonzero(active[g.pair_t])
    x = {int(i): model.new_bool_var(f"x{i}") for i in use}
    y = {int(i): model.new_bool_var(f"y{i}") for i in use if g.pair_lead[i]}
    by_team: dict[int, list[int]] = {}
    by_officer: dict[int, list[int]] = {}
    for i in x:
        by_team.setdefault(int(g.pair_t[i]), []).append(i)
        by_officer.setdefault(int(g.pair_o[i]), []).append(i)
    for i, yi in y.items():
        model.add_implication(yi, x[i])
    for t, members in by_team.items():
        model.add(sum(x[i] for i in members) == int(g.size[t]))
        if g.lead_needed[t]:
            model.add(sum(y[i] for i in members if i in y) == 1)
        ids = {g.officer_ids[g.pair_o[i]]: i for i in members}
        for pair in g.exclusive:
            a, b = sorted(pair)
            if a in ids and b in ids:
                model.add(x[ids[a]] + x[ids[b]] <= 1)
    objective = []
    for o, mine in by_officer.items():
        load = sum(x[i] for i in mine)
        base = int(base_load[o])
        k_max = int(max(0, min(g.capacity[o] - base, len(mine))))
        units = [model.new_bool_var(f"u{o}_{k}") for k in range(k_max)]
        model.add(load == sum(units))
        for k in range(1, k_max):
            model.add_implication(units[k], units[k - 1])
        objective += [LOAD_STEP * (base + k + 1) * u for k, u in enumerate(units)]
    objective += [int(g.cost[i]) * v for i, v in x.items()]
    objective += [int(g.lead_cost[i]) * v for i, v in y.items()]
    model.minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = _CPSAT_TIME
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {}, 0, "infeasible"
    chosen = {i: i in y and bool(solver.value(y[i])) for i in x if solver.value(x[i])}
    return chosen, int(solver.objective_value), "optimal" if status == cp_model.OPTIMAL else "feasible"


def _staff_group(
    g: _Group, impossible: list[tuple[int, str]]
) -> tuple[list[tuple[int, bool]], dict[int, str], GroupReport, list[dict[str, object]]]:
    """Solve one group; returns chosen (pair, is_lead), unstaffed team -> reason, report, certificate rows."""
    n_t = len(g.team_keys)
    active = np.ones(n_t, dtype=bool)
    unstaffed: dict[int, str] = {}
    for t, why in impossible:
        active[t] = False
        unstaffed[t] = why
    team_index = {key: t for t, key in enumerate(g.team_keys)}
    places: int = int(g.size.sum())
    capacity: int = int(g.capacity.sum())
    may_lead = np.unique(g.pair_o[g.pair_lead])
    lead_places = int(g.lead_needed.sum())
    lead_capacity = int(g.capacity[may_lead].sum())
    shortage = (
        f"not enough capacity in {g.name} for {g.department}: {places} places ({lead_places} leads) needed, "
        f"capacity {capacity} among {len(g.officer_ids)} officers and {lead_capacity} among the {may_lead.size} "
        f"who may lead, after {g.recusals} recusals"
    )
    while True:
        net = _network(g, active)
        flow, cost = _solve_flow(net)
        into_sink = net.heads == 1
        got = np.zeros(n_t, dtype=np.int64)
        team_of_slot = {
            node: team_index[(key[1], key[2])] for node, key in enumerate(net.node_keys) if key[0] in ("lead", "member")
        }
        for a in np.flatnonzero(into_sink):
            got[team_of_slot[int(net.tails[a])]] += flow[a]
        partial = np.flatnonzero(active & (got < g.size))
        if partial.size == 0:
            break
        # Drop as few teams as the shortage forces: the least filled first, then by a ticket of the
        # team (scope "drop"), so which visits wait is random yet reproducible; then solve again.
        short = int((g.size[active] - got[active]).sum())
        drop_count = max(1, -(-short // int(g.size[active].max())))
        ranked = sorted(partial.tolist(), key=lambda t: (int(got[t]), _drop_ticket(g.seed, g.team_keys[t])))
        for t in ranked[:drop_count]:
            unstaffed[t] = shortage
            active[t] = False
    chosen: dict[int, bool] = {}
    for a in np.flatnonzero((flow > 0) & np.isin(net.kind, (1, 2))):
        chosen[int(net.pair_of[a])] = False
    for a in np.flatnonzero((flow > 0) & (net.kind == 3)):
        chosen[int(net.pair_of[a])] = True
    method, status, unique = "min-cost flow", "optimal", None
    certificate: list[dict[str, object]] = []
    broken = _breaks_exclusions(g, chosen)
    if broken:
        # Keep the flow's teams that keep every rule; re-staff only the few that put two officers who
        # must not work together side by side, by CP-SAT on what capacity remains (a small subproblem).
        # One team at a time (in team order), each a CP-SAT model of a dozen variables given every other
        # team's officers: small enough to solve to optimality at once, and deterministic.
        method = "min-cost flow + CP-SAT repair"
        for t in sorted(broken):
            chosen = {i: lead for i, lead in chosen.items() if int(g.pair_t[i]) != t}
            base_load = np.bincount(g.pair_o[list(chosen)], minlength=len(g.officer_ids)).astype(np.int64)
            only = np.zeros(n_t, dtype=bool)
            only[t] = True
            repaired, _, team_status = _solve_cpsat(g, only, base_load)
            if team_status == "infeasible":
                unstaffed[t] = (
                    f"no team without a pair of officers who must not work together, within the capacity left "
                    f"in {g.name} for {g.department}"
                )
                active[t] = False
            else:
                chosen.update(repaired)
                status = "repaired" if team_status == "optimal" else "repaired, not proven optimal"
    else:
        p = potentials(net, flow)
        unique = _unique(net, flow, reduced_costs(net, p))
        certificate = [
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
    report = GroupReport(
        group=g.name,
        department=g.department,
        teams=n_t,
        places=places,
        officers=len(g.officer_ids),
        capacity=capacity,
        lead_places=lead_places,
        lead_officers=int(may_lead.size),
        lead_capacity=lead_capacity,
        recusals=g.recusals,
        staffed_teams=int(active.sum()),
        method=method,
        status=status,
        unique=unique,
        cost=cost,
    )
    return sorted(chosen.items()), unstaffed, report, certificate


def _breaks_exclusions(g: _Group, chosen: Mapping[int, bool]) -> set[int]:
    """The teams of a solution that hold a pair of officers who must not work together."""
    if not g.exclusive:
        return set()
    teams: dict[int, set[str]] = {}
    for i in chosen:
        teams.setdefault(int(g.pair_t[i]), set()).add(g.officer_ids[g.pair_o[i]])
    return {t for t, members in teams.items() if any(pair <= members for pair in g.exclusive)}


@dataclass(frozen=True)
class _GroupResult:
    rows: list[tuple[str, str, str, str]]
    unstaffed: list[tuple[str, str, str]]
    report: GroupReport
    certificate: list[dict[str, object]]


def _solve_group(
    key: tuple[object, ...],
    gt: pd.DataFrame,
    people: pd.DataFrame,
    *,
    seed: str,
    conflicts: Conflicts,
    policy: AssignmentPolicy,
    department_of: str,
    lead_required: bool,
    by_region: bool,
) -> _GroupResult:
    department = str(key[-1])
    region = str(key[0]) if by_region else "*"
    mask = people[department_of] == department
    if by_region:
        mask &= people["region"] == region
    officers = people[mask].sort_values("inspector_id")
    name = f"region {region}" if by_region else "all regions"
    g, impossible = _build_group(
        name, department, officers, gt, seed=seed, conflicts=conflicts, policy=policy, lead_required=lead_required
    )
    chosen, unstaffed, report, certificate = _staff_group(g, impossible)
    rows = [
        (*g.team_keys[g.pair_t[i]], g.officer_ids[g.pair_o[i]], "lead" if is_lead else "member")
        for i, is_lead in chosen
    ]
    missing = [(*g.team_keys[t], why) for t, why in sorted(unstaffed.items())]
    return _GroupResult(rows, missing, report, certificate)


_SHARED: tuple[object, ...] = ()


def _solve_shared(item: tuple[tuple[object, ...], pd.DataFrame]) -> _GroupResult:
    people, seed, conflicts, policy, department_of, lead_required, by_region = _SHARED
    return _solve_group(
        item[0],
        item[1],
        people,  # type: ignore[arg-type]
        seed=seed,  # type: ignore[arg-type]
        conflicts=conflicts,  # type: ignore[arg-type]
        policy=policy,  # type: ignore[arg-type]
        department_of=department_of,  # type: ignore[arg-type]
        lead_required=lead_required,  # type: ignore[arg-type]
        by_region=by_region,  # type: ignore[arg-type]
    )


def _solve_groups(
    todo: list[tuple[tuple[object, ...], pd.DataFrame]], shared: tuple[object, ...], *, workers: int
) -> list[_GroupResult]:
    """Solve independent groups, in forked worker processes when there are several; results in order.

    The shared inputs (roster, conflicts, policy) sit in a module global while the pool lives, so
    forked workers inherit them instead of receiving a pickled copy with every group.
    """
    global _SHARED  # noqa: PLW0603 - handed to forked workers by inheritance
    _SHARED = shared
    try:
        if workers <= 1 or len(todo) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            return [_solve_shared(item) for item in todo]
        # Largest groups first keeps the workers busy to the end; the results go back in group order.
        order = sorted(range(len(todo)), key=lambda i: -len(todo[i][1]))
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            solved = dict(zip(order, pool.map(_solve_shared, [todo[i] for i in order]), strict=True))
        return [solved[i] for i in range(len(todo))]
    finally:
        _SHARED = ()


def staff(
    teams: pd.DataFrame,
    people: pd.DataFrame,
    *,
    seed: str,
    conflicts: Conflicts,
    policy: AssignmentPolicy,
    department_of: str = "department",
    lead_required: bool = True,
    by_region: bool | None = None,
    cache: dict[tuple[object, ...], _GroupResult] | None = None,
    workers: int = 1,
) -> Staffing:
    """Staff teams from people (officers by department, or experts by field).

    Parameters
    ----------
    teams : pandas.DataFrame
        ``visit_id, uscc, region, station, department, size, lead_certificates``.
    people : pandas.DataFrame
        Active roster rows who may fill them.
    department_of : str
        Roster column matched against the teams' ``department`` (``department`` for
        officers; experts are grouped by field beforehand).
    lead_required : bool
        Whether each team needs a lead (officers: yes; experts: no).
    by_region : bool, optional
        Decompose by region (default: as the policy's jurisdiction says).
    cache : dict, optional
        Results of groups solved before, by group and exact set of teams: groups are
        independent, so one whose teams did not change is not solved again.
    workers : int
        Processes to solve groups on (forked; results are taken in group order, so the
        outcome never depends on the count).
    """
    seed = check_seed(seed)
    by_region = policy.jurisdiction == "region" if by_region is None else by_region
    rows: list[tuple[str, str, str, str]] = []
    unstaffed_rows: list[tuple[str, str, str]] = []
    reports: list[GroupReport] = []
    cert_rows: list[dict[str, object]] = []
    group_keys = ["region", "department"] if by_region else ["department"]
    cache = {} if cache is None else cache
    groups: list[tuple[tuple[object, ...], tuple[object, ...], pd.DataFrame]] = []
    for raw_key, group_teams in teams.groupby(group_keys, sort=True):
        key = raw_key if isinstance(raw_key, tuple) else (raw_key,)
        gt = group_teams.sort_values(["visit_id", "department"]).reset_index(drop=True)
        groups.append(((department_of, lead_required, by_region, *key, tuple(gt["visit_id"])), key, gt))
    todo = [(key, gt) for memo, key, gt in groups if memo not in cache]
    shared = (people, seed, conflicts, policy, department_of, lead_required, by_region)
    for (memo, _, _), done in zip(
        [g for g in groups if g[0] not in cache], _solve_groups(todo, shared, workers=workers), strict=True
    ):
        cache[memo] = done
    for memo, _, _ in groups:
        done = cache[memo]
        rows += done.rows
        unstaffed_rows += done.unstaffed
        reports.append(done.report)
        cert_rows += done.certificate
    frame = pd.DataFrame(rows, columns=["visit_id", "department", "inspector_id", "role"])
    frame["_lead_first"] = frame["role"] != "lead"
    frame = frame.sort_values(["visit_id", "department", "_lead_first", "inspector_id"]).drop(columns="_lead_first")
    return Staffing(
        teams=frame.reset_index(drop=True),
        unstaffed=pd.DataFrame(unstaffed_rows, columns=["visit_id", "department", "reason"]),
        reports=reports,
        certificate=pd.DataFrame(
            cert_rows,
            columns=["group", "department", "node", "visit_id", "team_department", "inspector_id", "potential"],
        ),
    )


@dataclass(frozen=True, eq=False)
class AssignmentResult:
    """Staffed (and dated) visits.

    Attributes
    ----------
    visits : pandas.DataFrame
        ``visit_id, uscc, name, region, station, departments, tasks, items, date, status``
        (``staffed``; ``undated``: staffed, but no day of the window fits; ``unstaffed``);
        every visit of the draw, so nothing is lost.
    teams : pandas.DataFrame
        ``visit_id, department, inspector_id, role`` (``lead``/``member``; experts have role
        ``expert`` and their field as department).
    workload : pandas.DataFrame
        Per person: ``inspector_id, name, kind, department, region, capacity, visits, leads, days``.
    unstaffed : pandas.DataFrame
        ``visit_id, uscc, department, reason`` for every place that could not be filled or dated.
    reports : tuple of GroupReport
        One per group solved.
    certificate : pandas.DataFrame
        Node potentials of each min-cost flow (optimality without a solver).
    """

    visits: pd.DataFrame
    teams: pd.DataFrame
    workload: pd.DataFrame
    unstaffed: pd.DataFrame
    reports: tuple[GroupReport, ...]
    certificate: pd.DataFrame


def _experts(
    places: pd.DataFrame, roster: Roster, *, seed: str, conflicts: Conflicts, policy: AssignmentPolicy
) -> Staffing:
    """Expert places, field by field; an expert's capacity is shared across the fields they cover."""
    pool = roster.experts.copy()
    left = dict(zip(pool["inspector_id"], pool["capacity"], strict=True))
    parts: list[Staffing] = []
    for fld in sorted(set(places["field"])):
        people = pool[[fld in c for c in pool["certificates"]]].copy()
        people["capacity"] = [left[i] for i in people["inspector_id"]]
        people["field"] = fld
        teams = places[places["field"] == fld].assign(
            department=fld, size=1, lead_certificates=[()] * int((places["field"] == fld).sum())
        )
        done = staff(
            teams,
            people,
            seed=seed,
            conflicts=conflicts,
            policy=policy,
            department_of="field",
            lead_required=False,
            by_region=False,
        )
        for oid, n in done.teams["inspector_id"].value_counts().items():
            left[str(oid)] -= int(n)
        parts.append(done)
    teams = pd.concat([p.teams for p in parts], ignore_index=True) if parts else _empty_teams()
    return Staffing(
        teams=teams.assign(role="expert"),
        unstaffed=pd.concat([p.unstaffed for p in parts], ignore_index=True) if parts else _empty_unstaffed(),
        reports=[r for p in parts for r in p.reports],
        certificate=pd.concat([p.certificate for p in parts], ignore_index=True) if parts else pd.DataFrame(),
    )


def _empty_teams() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="str") for c in ("visit_id", "department", "inspector_id", "role")})


def _empty_unstaffed() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="str") for c in ("visit_id", "department", "reason")})


def assign(
    visits: Visits,
    roster: Roster,
    policy: AssignmentPolicy,
    seed: str,
    *,
    conflicts: Conflicts | None = None,
    calendar: WorkCalendar | None = None,
    allow_partial: bool = False,
    workers: int | None = None,
) -> AssignmentResult:
    """Staff every visit from the roster, and date them when the policy has a window.

    Parameters
    ----------
    visits : Visits
        From :func:`~shuangsuiji.visits.make_visits`.
    roster : Roster
        Officers and experts (:func:`~shuangsuiji.roster.check_roster`).
    policy : AssignmentPolicy
        The plan's ``[assignment]`` (team size, jurisdiction, window...).
    seed : str
        The published seed; the costs of the random assignment derive from it.
    conflicts : Conflicts, optional
        Recusals and team-pair exclusions.
    calendar : WorkCalendar, optional
        Working days (default: chinese-calendar without overrides).
    allow_partial : bool
        Return the staffable visits and list the rest; by default an unstaffable visit is an error.
    workers : int, optional
        Processes for independent groups (default: the available CPUs, at most 8); the result
        never depends on it.

    Raises
    ------
    AssignmentError
        When some visit cannot be staffed or dated and ``allow_partial`` is false; the message
        explains each group in numbers and ``.unstaffed`` lists every place.
    InternalError
        If the result broke a rule (a bug).
    """
    seed = check_seed(seed)
    conflicts = conflicts or Conflicts()
    workers = default_workers() if workers is None else max(1, workers)
    days = working_days(policy.window, calendar or WorkCalendar()) if policy.window is not None else None
    place = visits.visits.set_index("visit_id")
    unavailable = {str(i): u for i, u in zip(roster.frame["inspector_id"], roster.frame["unavailable"], strict=True)}
    # A visit goes ahead whole or waits whole. Solve, set aside the visits that must wait (a team or an
    # expert place that cannot be filled, or no date), and solve again without them, so their officers'
    # capacity returns to the others and the published teams are exactly the certified optimum.
    waiting: dict[str, list[tuple[str, str]]] = {}
    first_reports: list[GroupReport] | None = None
    solved: dict[tuple[object, ...], _GroupResult] = {}
    dates: dict[str, dt.date] = {}
    for _ in range(len(visits.visits) + 1):
        officers = staff(
            visits.teams[~visits.teams["visit_id"].isin(waiting)],
            roster.officers,
            seed=seed,
            conflicts=conflicts,
            policy=policy,
            cache=solved,
            workers=workers,
        )
        experts = _experts(
            visits.experts[~visits.experts["visit_id"].isin(waiting)],
            roster,
            seed=seed,
            conflicts=conflicts,
            policy=policy,
        )
        if first_reports is None:
            first_reports = [*officers.reports, *experts.reports]
        new: dict[str, list[tuple[str, str]]] = {}
        for rec in pd.concat([officers.unstaffed, experts.unstaffed]).to_dict("records"):
            new.setdefault(str(rec["visit_id"]), []).append((str(rec["department"]), str(rec["reason"])))
        teams = pd.concat([officers.teams, experts.teams], ignore_index=True)
        if not new:
            break
        waiting.update(new)
    else:  # pragma: no cover - each round sets aside at least one more visit
        raise InternalError("the assignment did not settle")
    # A settled staffing is dated once. A staffed visit that finds no day keeps its team (so the
    # published teams stay the certified optimum) and is reported undated, with the reason.
    undated: dict[str, str] = {}
    if days is not None:
        people = people_of(teams)
        plan = schedule_visits(
            people,
            {v: str(place.at[v, "station"]) for v in people},
            officers=set(roster.officers["inspector_id"]),
            unavailable=unavailable,
            days=days,
            daily_cap=policy.daily_cap,
            seed=seed,
        )
        dates = dict(plan.dates)
        undated = dict(plan.unscheduled)
    rows = []
    for v, reasons in sorted(waiting.items()):
        rows += [(v, dept, why) for dept, why in reasons]
        blocked = {d for d, _ in reasons}
        rows += [
            (v, d, "the visit waits: another of its teams cannot be staffed or dated")
            for d in visits.teams.loc[visits.teams["visit_id"] == v, "department"]
            if d not in blocked and "(all)" not in blocked
        ]
    rows += [(v, "(all)", f"undated: {why}") for v, why in sorted(undated.items())]
    unstaffed = pd.DataFrame(rows, columns=["visit_id", "department", "reason"])
    teams = teams.reset_index(drop=True)
    table = visits.visits.copy()
    table["date"] = [dates.get(v, "") for v in table["visit_id"]]
    table["status"] = [
        "unstaffed" if v in waiting else "undated" if v in undated else "staffed" for v in table["visit_id"]
    ]
    unstaffed = unstaffed.merge(table[["visit_id", "uscc"]], on="visit_id", how="left")[
        ["visit_id", "uscc", "department", "reason"]
    ].sort_values(["visit_id", "department"], ignore_index=True)
    reports = (*officers.reports, *experts.reports)
    if len(unstaffed) and not allow_partial:
        groups = [r.explain() for r in first_reports or [] if r.staffed_teams < r.teams]
        raise AssignmentError(
            f"{unstaffed['visit_id'].nunique()} of {len(table)} visits cannot be staffed"
            + (" or dated" if policy.window else "")
            + ":\n  - "
            + "\n  - ".join(groups or sorted(set(unstaffed["reason"]))[:10])
            + "\nAdd officers or capacity, relax the rules that bind, or use --allow-partial to staff what can be "
            "staffed and list the rest (unstaffed.csv).",
            unstaffed,
        )
    staffed = table[table["status"] != "unstaffed"]
    errors = check_assignment(
        staffed, teams, visits.teams, visits.experts, roster=roster, conflicts=conflicts, policy=policy, days=days
    )
    if errors:
        raise InternalError("the assignment broke rules: " + "; ".join(errors[:10]))
    return AssignmentResult(
        visits=table,
        teams=teams,
        workload=_workload(teams, roster, dates),
        unstaffed=unstaffed,
        reports=reports,
        certificate=pd.concat([officers.certificate, experts.certificate], ignore_index=True),
    )


def _workload(teams: pd.DataFrame, roster: Roster, dates: Mapping[str, dt.date]) -> pd.DataFrame:
    frame = roster.frame[roster.frame["active"]][["inspector_id", "name", "kind", "department", "region", "capacity"]]
    visits = teams.groupby("inspector_id")["visit_id"].nunique()
    leads = teams[teams["role"] == "lead"].groupby("inspector_id").size()
    days = (
        teams.assign(day=teams["visit_id"].map(dates)).dropna(subset=["day"]).groupby("inspector_id")["day"].nunique()
    )
    out = frame.assign(
        visits=frame["inspector_id"].map(visits).fillna(0).astype(int),
        leads=frame["inspector_id"].map(leads).fillna(0).astype(int),
        days=frame["inspector_id"].map(days).fillna(0).astype(int),
    )
    return out.reset_index(drop=True)
