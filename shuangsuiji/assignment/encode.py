"""Encoding one group of the assignment: who may fill which place, and the flow network.

A group is one department within one jurisdiction (or the experts of one
field). Its officers are numbered ``0..O-1`` and its teams ``0..T-1``; each
eligible (officer, team) pair that is a candidate (all of them unless the plan
sets ``candidates``: :mod:`.candidates`) carries a random cost from the seed
(scope ``assign``, :class:`~shuangsuiji.seed.Seed`). The min-cost flow network
(``docs/assignment.md``) is, in node order:

``source (0), sink (1), officer 0..O-1``, then per active team its ``lead``
slot and ``member`` slot, then one ``pair`` node per pair that may lead.

Arcs, each a kind (:data:`LOAD`, :data:`TO_MEMBER`, :data:`TO_PAIR`,
:data:`PAIR_LEAD`, :data:`PAIR_MEMBER`, :data:`TO_SINK`):

``source -> officer``
    ``min(capacity, teams it is a candidate for)`` unit arcs, the ``k``-th (``k`` from 1)
    costing ``LOAD_STEP * k``, convex in the officer's load;
``officer -> member slot``
    for a pair that may not lead, at the pair's cost;
``officer -> pair -> lead slot | member slot``
    for a pair that may lead: the pair's cost in, its lead cost to the lead
    slot, 0 to the member slot (the pair node has capacity 1, so one person
    never fills two places of one team);
``lead slot -> sink`` (capacity 1), ``member slot -> sink`` (team size - 1).

This module needs numpy only: the verifier rebuilds the network from the
published inputs to check the certificate without a solver.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..conflicts import Conflicts
from ..plan import AssignmentPolicy
from ..seed import Seed
from .candidates import candidate_mask

__all__ = [
    "LOAD",
    "LOAD_STEP",
    "PAIR_LEAD",
    "PAIR_MEMBER",
    "TO_MEMBER",
    "TO_PAIR",
    "TO_SINK",
    "Group",
    "Network",
    "assign_cost_bytes",
    "assign_digests",
    "build_group",
    "network",
    "random_costs",
]

#: Cost of each further visit of one officer (the k-th costs LOAD_STEP * k, times M where 24-bit costs repeat).
LOAD_STEP = 1 << 26
#: Arc kinds of the flow network.
LOAD, TO_MEMBER, TO_PAIR, PAIR_LEAD, PAIR_MEMBER, TO_SINK = range(6)


def assign_cost_bytes(seed: str | Seed, visit: str, department: str, inspector: str) -> bytes:
    """The digest of scope ``assign`` of one (visit, department, officer) pair.

    Examples
    --------
    >>> import hashlib
    >>> assign_cost_bytes("0" * 64, "V1", "d", "A1") == hashlib.sha256(("0" * 64 + ":assign:V1|d|A1").encode()).digest()
    True
    """
    return Seed.of(seed).assign_cost(visit, department, inspector)


def assign_digests(
    seed: Seed, team_keys: list[tuple[str, str]], officer_ids: list[str], pair_t: npt.ArrayLike, pair_o: npt.ArrayLike
) -> npt.NDArray[np.uint8]:
    """The ``assign`` digests of a group's pairs, one row of 32 bytes each, in pair order.

    Row ``i`` is :meth:`Seed.assign_cost` of team ``pair_t[i]`` and officer ``pair_o[i]``; the message is
    hashed once per run of pairs of one team (``seed ":assign:" visit_id "|" department "|"``), and that
    hash's state copied and given each officer's id.

    Examples
    --------
    >>> s = Seed.of("0" * 64)
    >>> rows = assign_digests(s, [("V1", "d"), ("V2", "d")], ["A1", "A2"], [0, 1, 1], [1, 0, 1])
    >>> [bytes(r) for r in rows] == [s.assign_cost("V1", "d", "A2"), s.assign_cost("V2", "d", "A1"),
    ...                              s.assign_cost("V2", "d", "A2")]
    True
    """
    teams, officers = np.asarray(pair_t, dtype=np.int64), np.asarray(pair_o, dtype=np.int64).tolist()
    if teams.size == 0:
        return np.zeros((0, 32), dtype=np.uint8)
    prefix = seed.ticket_prefix("assign")
    ids = [oid.encode() for oid in officer_ids]
    sha = hashlib.sha256
    runs = np.flatnonzero(np.diff(teams)) + 1
    starts, ends = np.r_[0, runs].tolist(), np.r_[runs, teams.size].tolist()
    run_teams = teams[np.r_[0, runs]].tolist()
    chunks = []
    for t, start, end in zip(run_teams, starts, ends, strict=True):
        visit, department = team_keys[t]
        # The hash of the team's message head, taken once and copied per officer: the same digests, the
        # head's SHA-256 blocks compressed once a team instead of once a pair.
        fork = sha(prefix + f"{visit}|{department}|".encode()).copy
        digests = []
        for o in officers[start:end]:
            h = fork()
            h.update(ids[o])
            digests.append(h.digest())
        chunks.append(b"".join(digests))
    return np.frombuffer(b"".join(chunks), dtype=np.uint8).reshape(-1, 32)


#: From this many pairs on, the 24-bit values are counted in a table first, and only the repeated ones sorted.
COUNT_FROM = 1 << 20


def _tie_ranks(
    values: npt.NDArray[np.int64], keys: npt.NDArray[np.uint64], rows: npt.NDArray[np.uint8]
) -> tuple[npt.NDArray[np.int64], int]:
    """For each pair, how many pairs with the same value have a smaller whole digest (unsigned bytes).

    Also the largest number of pairs sharing one value. ``keys`` holds each pair's value in its top 24
    bits and below it 40 more bits of its digest that order equal values as their whole digests do. The
    pairs are sorted on these keys when no two of them tie, else by value and then every digest byte. In
    a large group only the pairs whose value repeats are sorted (the others rank 0).
    """
    ranks = np.zeros(values.size, dtype=np.int64)
    if values.size == 0:
        return ranks, 1
    some = np.arange(values.size)
    if values.size >= COUNT_FROM:
        counts = np.bincount(values, minlength=1 << 24)
        some = np.flatnonzero(counts[values] > 1)
        if some.size == 0:
            return ranks, 1
    key = keys[some]
    order = np.argsort(key)
    sorted_keys = key[order]
    if (sorted_keys[1:] == sorted_keys[:-1]).any():
        # by value, then digest byte 0, 1, ... (the last key leads)
        order = np.lexsort((*rows[some].T[::-1], values[some]))
        sorted_keys = key[order]
    sorted_values = sorted_keys >> np.uint64(40)
    starts = np.flatnonzero(np.concatenate([[True], sorted_values[1:] != sorted_values[:-1]]))
    runs = np.diff(np.r_[starts, some.size])
    ranks[some[order]] = np.arange(some.size) - np.repeat(starts, runs)
    return ranks, int(runs.max())


def random_costs(
    tickets: list[bytes] | npt.NDArray[np.uint8],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], int]:
    """The random costs of a group's pairs and the group's load step (``docs/assignment.md``, section 4).

    With ``v`` bytes 0-2 and ``w`` bytes 3-5 of each ``assign`` digest (big-endian 24-bit numbers) and
    ``M`` the largest number of pairs sharing one value of ``v`` or of ``w``: the cost is
    ``v * M + r`` and the lead cost ``w * M + s``, where ``r`` (``s``) counts the pairs of equal ``v``
    (``w``) whose whole digest is smaller; the load step is ``LOAD_STEP * M``. With ``M = 1`` (nearly
    every group) the costs are the 24-bit numbers themselves; in every group no two arcs of a kind
    share a cost, and every random cost stays below the load step. ``tickets`` is a list of 32-byte
    digests, or their rows (:func:`assign_digests`).

    Examples
    --------
    >>> a, b = bytes([0, 0, 5, 0, 0, 7]) + bytes(26), bytes([0, 0, 5, 0, 0, 1]) + bytes(26)
    >>> cost, lead, step = random_costs([a, b])
    >>> cost.tolist(), lead.tolist(), step == 2 * LOAD_STEP
    ([11, 10], [14, 2], True)
    """
    rows = tickets if isinstance(tickets, np.ndarray) else np.frombuffer(b"".join(tickets), dtype=np.uint8)
    rows = rows.reshape(-1, 32)
    head = np.ascontiguousarray(rows[:, :8]).view(">u8").ravel().astype(np.uint64)  # bytes 0-7, big-endian
    low = np.uint64(0xFFFFFF)
    v_bits, w_bits = head >> np.uint64(40), (head >> np.uint64(16)) & low
    v, w = v_bits.astype(np.int64), w_bits.astype(np.int64)
    # Equal v: bytes 3-7 decide (the rest of ``head``); equal w: bytes 0-2, then 6-7.
    w_keys = (w_bits << np.uint64(40)) | (v_bits << np.uint64(16)) | (head & np.uint64(0xFFFF))
    (r, m_v), (s, m_w) = _tie_ranks(v, head, rows), _tie_ranks(w, w_keys, rows)
    m = max(m_v, m_w)
    if m == 1:
        return v, w, LOAD_STEP
    return v * m + r, w * m + s, LOAD_STEP * m


@dataclass
class Group:
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
    seed: Seed
    exclusive: frozenset[frozenset[str]] = frozenset()
    load_step: int = LOAD_STEP


#: The last conflicts indexed by officer (a staffing's groups all read the same conflicts).
_INDEXED: list[tuple[Conflicts, dict[str, list[str]]]] = []


def _by_officer(conflicts: Conflicts) -> dict[str, list[str]]:
    """Officer -> the entities they have a conflict with."""
    if not _INDEXED or _INDEXED[0][0] is not conflicts:
        index: dict[str, list[str]] = {}
        for oid, uscc in conflicts.pairs:
            index.setdefault(oid, []).append(uscc)
        _INDEXED[:] = [(conflicts, index)]
    return _INDEXED[0][1]


def _recused(officer_ids: list[str], team_uscc: list[str], conflicts: Conflicts) -> npt.NDArray[np.bool_]:
    """The (officer x team) pairs a conflict forbids."""
    team_at: dict[str, list[int]] = {}
    for t, u in enumerate(team_uscc):
        team_at.setdefault(u, []).append(t)
    recused = np.zeros((len(officer_ids), len(team_uscc)), dtype=bool)
    index = _by_officer(conflicts)
    for o, oid in enumerate(officer_ids):
        for uscc in index.get(oid, ()):
            if uscc in team_at:
                recused[o, team_at[uscc]] = True
    return recused


def _may_lead(
    officers: pd.DataFrame, teams: pd.DataFrame, eligible: npt.NDArray[np.bool_], lead_required: bool
) -> npt.NDArray[np.bool_]:
    """Who may lead which team: flagged, certified, and holding every certificate the team's tasks need."""
    can_lead = np.zeros(eligible.shape, dtype=bool)
    if not lead_required:
        return can_lead
    flagged = officers["lead"].to_numpy(dtype=bool) & (officers["cert_no"].to_numpy() != "")
    held = [set(c) for c in officers["certificates"]]
    needs = list(teams["lead_certificates"])
    for need in set(needs):
        columns = np.array([n == need for n in needs])
        qualified = flagged & np.array([set(need) <= h for h in held], dtype=bool)
        can_lead[:, columns] = qualified[:, None]
    return can_lead & eligible


def _impossible(
    teams: pd.DataFrame,
    *,
    name: str,
    department: str,
    officers: int,
    masks: tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]],
    lead_required: bool,
) -> list[tuple[int, str]]:
    """Teams that no set of the group's officers could staff, with the reason in numbers."""
    eligible, can_lead, recused, same_station = masks
    team_size = teams["size"].to_numpy(dtype=np.int64)
    counts, leads = eligible.sum(axis=0), can_lead.sum(axis=0)
    recused_count, station_count = recused.sum(axis=0), same_station.sum(axis=0)
    out: list[tuple[int, str]] = []
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
        out.append((t, "; ".join(why) + f" among {officers} officers of {department} in {name}{detail}"))
    return out


def build_group(
    name: str,
    department: str,
    officers: pd.DataFrame,
    teams: pd.DataFrame,
    *,
    seed: Seed,
    conflicts: Conflicts,
    policy: AssignmentPolicy,
    lead_required: bool,
) -> tuple[Group, list[tuple[int, str]]]:
    """Encode a group to indices; also the teams that no officer set could staff, with reasons."""
    officer_ids: list[str] = officers["inspector_id"].astype(str).tolist()
    team_station = teams["station"].astype(str).to_numpy()
    # Who may inspect whom, on an (officer x team) matrix: recusals first, then cross-station mode.
    recused = _recused(officer_ids, teams["uscc"].astype(str).tolist(), conflicts)
    same_station = np.zeros(recused.shape, dtype=bool)
    if policy.cross_station:
        same_station = (officers["station"].astype(str).to_numpy()[:, None] == team_station[None, :]) & (
            team_station[None, :] != ""
        )
        same_station &= ~recused
    eligible = ~recused & ~same_station
    can_lead = _may_lead(officers, teams, eligible, lead_required)
    impossible = _impossible(
        teams,
        name=name,
        department=department,
        officers=len(officer_ids),
        masks=(eligible, can_lead, recused, same_station),
        lead_required=lead_required,
    )
    keys = [(str(v), str(d)) for v, d in zip(teams["visit_id"].tolist(), teams["department"].tolist(), strict=True)]
    size = teams["size"].to_numpy(dtype=np.int64)
    chosen = candidate_mask(
        seed, officer_ids, keys, size, eligible=eligible, may_lead=can_lead, count=policy.candidates
    )
    rows_t, rows_o = np.nonzero(chosen.T)  # team-major order, as the pairs were always listed
    cost, lead_cost, load_step = random_costs(assign_digests(seed, keys, officer_ids, rows_t, rows_o))
    group = Group(
        name=name,
        department=department,
        officer_ids=officer_ids,
        capacity=officers["capacity"].to_numpy(dtype=np.int64),
        team_keys=keys,
        size=size,
        lead_needed=np.full(len(teams), lead_required),
        pair_o=np.asarray(rows_o, dtype=np.int64),
        pair_t=np.asarray(rows_t, dtype=np.int64),
        pair_lead=np.asarray(can_lead.T[rows_t, rows_o], dtype=bool),
        cost=cost,
        lead_cost=lead_cost,
        load_step=load_step,
        recusals=int(recused.sum()),
        seed=seed,
        exclusive=conflicts.exclusive,
    )
    return group, impossible


@dataclass
class Network:
    """A group's flow network as arrays of arcs (see the module docstring for the order).

    ``node_keys`` names the nodes before the pair nodes (source, sink, officers, slots); the pair
    nodes follow, ``len(node_keys)`` to ``nodes - 1``, one per arc of kind :data:`TO_PAIR`, in arc
    order (the pair of each is that arc's ``pair_of``). ``slot_team`` gives the team of each slot
    node among ``node_keys`` (``-1`` for the source, the sink and the officers).
    """

    tails: npt.NDArray[np.int64]
    heads: npt.NDArray[np.int64]
    caps: npt.NDArray[np.int64]
    costs: npt.NDArray[np.int64]
    kind: npt.NDArray[np.int8]  # LOAD, TO_MEMBER, TO_PAIR, PAIR_LEAD, PAIR_MEMBER or TO_SINK
    pair_of: npt.NDArray[np.int64]  # for the pair kinds: index into the group's pairs; else -1
    node_keys: list[tuple[str, str, str, str]]
    demand: int
    nodes: int
    slot_team: npt.NDArray[np.int64]


class _Arcs:
    """Arcs collected kind by kind, then concatenated."""

    def __init__(self) -> None:
        self.parts: list[tuple[npt.NDArray[np.int64], ...]] = []
        self.kinds: list[npt.NDArray[np.int8]] = []

    def add(
        self, t: npt.ArrayLike, h: npt.ArrayLike, c: npt.ArrayLike, w: npt.ArrayLike, *, k: int, p: npt.ArrayLike
    ) -> None:
        tails, heads = np.asarray(t, dtype=np.int64), np.asarray(h, dtype=np.int64)
        shape = tails.shape
        self.parts.append(
            (
                tails,
                heads,
                np.broadcast_to(np.asarray(c, dtype=np.int64), shape),
                np.broadcast_to(np.asarray(w, dtype=np.int64), shape),
                np.broadcast_to(np.asarray(p, dtype=np.int64), shape),
            )
        )
        self.kinds.append(np.full(shape, k, dtype=np.int8))

    def column(self, i: int) -> npt.NDArray[np.int64]:
        return np.concatenate([part[i] for part in self.parts])


def _slots(
    g: Group, active: npt.NDArray[np.bool_], keys: list[tuple[str, str, str, str]]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], list[int]]:
    """Lead and member slot nodes of the active teams (-1 where a team has none), appended to ``keys``.

    Also the team of each slot, in node order.
    """
    lead_node = np.full(len(g.team_keys), -1, dtype=np.int64)
    member_node = np.full(len(g.team_keys), -1, dtype=np.int64)
    teams: list[int] = []
    for t in np.flatnonzero(active).tolist():
        if g.lead_needed[t]:
            lead_node[t] = len(keys)
            keys.append(("lead", *g.team_keys[t], ""))
            teams.append(t)
        if g.size[t] - g.lead_needed[t] > 0:
            member_node[t] = len(keys)
            keys.append(("member", *g.team_keys[t], ""))
            teams.append(t)
    return lead_node, member_node, teams


def _load_arcs(g: Group, use: npt.NDArray[np.bool_], arcs: _Arcs) -> None:
    """As many unit arcs per officer as it can take (capacity, at most one per team it is a candidate for), in order."""
    n_o = len(g.officer_ids)
    units = np.minimum(g.capacity, np.bincount(g.pair_o[use], minlength=n_o)).clip(min=0)
    total = int(units.sum())
    first = np.repeat(np.cumsum(units) - units, units)
    step = np.arange(total, dtype=np.int64) - first + 1
    arcs.add(np.zeros(total), np.repeat(2 + np.arange(n_o), units), 1, g.load_step * step, k=LOAD, p=-1)


def network(g: Group, active: npt.NDArray[np.bool_]) -> Network:
    """The flow network of a group restricted to the ``active`` teams (node and arc order fixed)."""
    n_o = len(g.officer_ids)
    keys: list[tuple[str, str, str, str]] = [("source", "", "", ""), ("sink", "", "", "")]
    keys += [("officer", "", "", oid) for oid in g.officer_ids]
    officer_node = 2 + np.arange(n_o)
    lead_node, member_node, slot_teams = _slots(g, active, keys)
    arcs = _Arcs()
    use = active[g.pair_t]
    _load_arcs(g, use, arcs)
    plain = np.flatnonzero(use & ~g.pair_lead)
    arcs.add(officer_node[g.pair_o[plain]], member_node[g.pair_t[plain]], 1, g.cost[plain], k=TO_MEMBER, p=plain)
    leadable = np.flatnonzero(use & g.pair_lead)
    pair_node = len(keys) + np.arange(leadable.size)
    arcs.add(officer_node[g.pair_o[leadable]], pair_node, 1, g.cost[leadable], k=TO_PAIR, p=leadable)
    arcs.add(pair_node, lead_node[g.pair_t[leadable]], 1, g.lead_cost[leadable], k=PAIR_LEAD, p=leadable)
    has_member = member_node[g.pair_t[leadable]] >= 0
    arcs.add(
        pair_node[has_member], member_node[g.pair_t[leadable[has_member]]], 1, 0, k=PAIR_MEMBER, p=leadable[has_member]
    )
    teams = np.flatnonzero(active)
    with_lead = teams[lead_node[teams] >= 0]
    arcs.add(lead_node[with_lead], np.ones(with_lead.size), 1, 0, k=TO_SINK, p=-1)
    with_member = teams[member_node[teams] >= 0]
    members = g.size[with_member] - g.lead_needed[with_member]
    arcs.add(member_node[with_member], np.ones(with_member.size), members, 0, k=TO_SINK, p=-1)
    return Network(
        tails=arcs.column(0),
        heads=arcs.column(1),
        caps=arcs.column(2),
        costs=arcs.column(3),
        kind=np.concatenate(arcs.kinds),
        pair_of=arcs.column(4),
        node_keys=keys,
        demand=int(g.size[teams].sum()),
        nodes=len(keys) + int(leadable.size),
        slot_team=np.r_[np.full(2 + n_o, -1, dtype=np.int64), np.asarray(slot_teams, dtype=np.int64)],
    )
