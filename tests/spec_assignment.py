"""An independent checker of the assignment, written from ``docs/assignment.md`` and ``docs/formats.md`` alone.

It imports no solver module (``shuangsuiji.assignment.{encode,solve,staffing,orchestrate,certificate,schedule,
repair,rules}``, ``shuangsuiji.visits``): only the input loader (the parsed plan, policy, seed, roster, the
recusals and the pairs that must not meet), the working-day calendar and nothing else. The flows are solved
with networkx (``max_flow_min_cost``, network simplex), the residual potentials with a Bellman-Ford of its own.

:func:`rederive` rebuilds, from the draw's published folder and the private inputs:

- the visits and their teams (section 1), who may fill which place (2), the groups (3), the pairs and their
  random costs (4), every group's network arc by arc (5), the drop loop (6), the rounds until nothing
  changes with the plan's ``joint_fallback`` (7), desk checks and the greedy dates (8);
- ``teams.csv``, ``unstaffed.csv`` (reason texts included), ``visits.csv`` and the group records of
  ``assignment.json``, compared row by row with the published ones;
- the certificate (9): on every flow group, the network rebuilt on the published teams, the flow read off
  ``teams.csv``, the published potentials checked by the reduced-cost conditions (each pair node given a
  potential its arcs allow), and compared with the Bellman-Ford potentials of that flow.

What the docs leave to a solver is detected and reported, not guessed: a group whose optimum is not unique
(``unique = false``: two optimal flows, and the docs give no tie-break) is accepted when the published flow
is optimal (same cost, certificate valid) and its published teams are used from then on; a group whose flow
puts two officers of ``--pairs`` together is CP-SAT's (its published teams are taken after a rule check);
a visit the greedy dating pass cannot place is CP-SAT's, and the dates it moves are counted.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
import re
import unicodedata
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from shuangsuiji.assignment.inputs import load_assignment_inputs
from shuangsuiji.io import read_table
from shuangsuiji.workdays import working_days

__all__ = ["SpecReport", "read_published", "rederive"]

DESK_METHODS = frozenset({"书面检查", "网络检查"})
SITE_METHODS = frozenset({"现场检查", "专业机构核查", "抽样检测"})
WAITS = "the visit waits: another of its teams cannot be staffed or dated"
PAIR_REASON = "no team without a pair of officers who must not work together, within the capacity left in"
_PROTECTED = re.compile(r"'[=+\-@\t\r]")


# ----------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Person:
    """One row of the roster, typed."""

    id: str
    kind: str
    department: str
    region: str
    station: str
    cert_no: str
    certificates: frozenset[str]
    lead: bool
    capacity: int
    unavailable: frozenset[dt.date]
    active: bool


@dataclass
class Team:
    """A team (officers of one department) or an expert place (one expert of a field) of a visit."""

    visit_id: str
    uscc: str
    department: str  # the field for an expert place
    size: int
    certificates: tuple[str, ...]
    expert: bool
    region: str
    station: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.visit_id, self.department)

    @property
    def needs_lead(self) -> bool:
        return not self.expert


@dataclass
class Visit:
    """A visit: every task that selected one entity (section 1)."""

    visit_id: str
    uscc: str
    name: str
    region: str
    station: str
    tasks: list[str]  # task ids in plan order
    task_departments: dict[str, str]
    task_items: dict[str, tuple[str, ...]]
    teams: list[Team]  # officer teams, by department
    experts: list[Team]  # expert places, by field
    lead_department: str
    desk: bool

    def departments(self, going: Iterable[str] | None = None) -> list[str]:
        allowed = None if going is None else set(going)
        return sorted({d for d in self.task_departments.values() if allowed is None or d in allowed})

    def task_ids(self, going: Iterable[str] | None = None) -> list[str]:
        allowed = None if going is None else set(going)
        return [t for t in self.tasks if allowed is None or self.task_departments[t] in allowed]

    def items(self, going: Iterable[str] | None = None) -> list[str]:
        seen: dict[str, None] = {}
        for t in self.task_ids(going):
            for item in self.task_items[t]:
                seen.setdefault(item, None)
        return list(seen)


@dataclass
class Group:
    """Teams of one department in one region (or all regions), or the places of one expert field (section 3)."""

    name: str
    department: str
    expert: bool
    people: list[Person]
    teams: list[Team] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.name}/{self.department}"


@dataclass
class Arc:
    tail: int
    head: int
    cap: int
    cost: int
    tag: tuple[Any, ...]


@dataclass
class Network:
    """A group's network on its active teams (section 5), nodes and arcs in the docs' order."""

    n: int
    arcs: list[Arc]
    labels: list[tuple[str, Any]]  # per node: ("source",), ("officer", o), ("lead", t), ("member", t), ("pair", i)
    lead_slot: dict[int, int]
    member_slot: dict[int, int]
    pair_node: dict[int, int]


@dataclass
class _Outcome:
    """One way the drop loop can end: the teams it dropped, the last network and its flow."""

    dropped: frozenset[int]
    net: Network
    flow: list[int]
    iterations: list[tuple[int, int, bool]]
    tie: bool


@dataclass
class Solve:
    """One solve of a group in a round: the drop loop run to the end."""

    teams: list[Team]
    impossible: dict[int, str]  # team index -> reason
    dropped: dict[int, str]
    places: dict[int, list[tuple[str, str]]]  # staffed team index -> [(person id, role)]
    cost: int
    unique: bool
    recusals: int
    capacity: int
    tie_in_drop: bool = False  # a solve that dropped teams had several optima
    guided: bool = False  # ... and the optimum consistent with the published drops was taken
    iterations: list[tuple[int, int, bool]] = field(default_factory=list)  # (active teams, dropped, unique)
    exclusive_clash: bool = False  # the flow put two officers of --pairs in one team
    network: Network | None = None
    flow: list[int] | None = None


@dataclass
class SpecReport:
    """What :func:`rederive` found. ``problems`` is empty when everything re-derived and the certificate holds."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rounds: int = 0
    groups: int = 0
    flow_groups: int = 0
    visits: int = 0
    visit_rows: int = 0
    team_rows: int = 0
    unstaffed_rows: int = 0
    waiting_visits: int = 0
    parts_set_aside: int = 0
    desk_checks: int = 0
    dated: int = 0
    dates_matched: int = 0
    dates_checked: int = 0
    certificate_groups: int = 0
    certificate_exact: int = 0
    unique_groups: int = 0
    tie_groups: list[str] = field(default_factory=list)  # not unique: networkx's optimum differs from the published
    tie_in_drop_groups: list[str] = field(default_factory=list)
    cpsat_groups: list[str] = field(default_factory=list)
    stuck_visits: list[str] = field(default_factory=list)
    cpsat_moved_dates: int = 0  # visits the greedy pass dated, moved by CP-SAT to free a day for a stuck one
    cpsat_placed: int = 0  # stuck visits CP-SAT dated (the others stay undated)
    eligible_pairs: int = 0  # summed over every solve of a group (section 2)
    candidate_pairs: int = 0  # of those, the candidates' (section 4; all of them when candidates = 0)
    teams: list[list[str]] = field(default_factory=list)
    unstaffed: list[list[str]] = field(default_factory=list)
    visit_table: list[list[str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return (
            f"rounds {self.rounds}, groups {self.groups} ({self.flow_groups} by flow alone, {self.unique_groups} "
            f"unique, {len(self.tie_groups)} ties settled by the published optimum, CP-SAT {len(self.cpsat_groups)}), "
            f"visits {self.visits} ({self.visit_rows} rows, {self.waiting_visits} waiting, {self.parts_set_aside} "
            f"parts set aside, {self.desk_checks} desk), teams.csv {self.team_rows} rows, unstaffed.csv "
            f"{self.unstaffed_rows} rows, dates {self.dates_matched}/{self.dates_checked} matched "
            f"by the greedy pass ({len(self.stuck_visits)} stuck: {self.cpsat_placed} placed by CP-SAT, "
            f"{self.cpsat_moved_dates} other visits moved by it), certificate "
            f"{self.certificate_groups} groups ({self.certificate_exact} equal to Bellman-Ford), "
            f"{len(self.problems)} problems"
        )


# ----------------------------------------------------------------------------------------- reading


def _cell(text: str) -> str:
    return text[1:] if _PROTECTED.match(text) else text


def read_published(path: Path) -> tuple[list[str], list[list[str]]]:
    """A published CSV table (BOM, LF, formula protection undone): header and rows."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = [[_cell(c) for c in row] for row in csv.reader(fh)]
    return rows[0], rows[1:]


def _code(uscc: str, regno: str) -> str:
    text = uscc if uscc else regno
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if not ch.isspace())


def _h(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


# ----------------------------------------------------------------------------------------- the spec


class _Checker:
    def __init__(self, folder: Path, files: Mapping[str, Path]) -> None:
        self.folder = folder
        self.report = SpecReport()
        self.record: dict[str, Any] = json.loads((folder / "assignment.json").read_text(encoding="utf-8"))
        published = self.record["policy"]
        window = None
        if "window" in published:
            first, last = published["window"].split(":")
            window = (dt.date.fromisoformat(first), dt.date.fromisoformat(last))
        inputs = load_assignment_inputs(folder, files, seed=self.record["seed"], window=window)
        self.plan, self.policy, self.seed = inputs.plan, inputs.policy, inputs.seed
        self.calendar = inputs.calendar
        self.recused: frozenset[tuple[str, str]] = frozenset(inputs.conflicts.pairs)
        self.exclusive: frozenset[frozenset[str]] = inputs.conflicts.exclusive
        if self.policy.to_dict() != published:
            self.problem(f"policy: published {published} differs from the plan's {self.policy.to_dict()}")
        self.people = self._people(inputs.roster.frame.to_dict("records"))
        self.population = self._population(Path(files["population"]))
        self.visits = self._visits()
        self.groups = self._groups()
        self.published_teams = read_published(folder / "teams.csv")[1]
        self.published_unstaffed = read_published(folder / "unstaffed.csv")[1]
        self.published_visits = read_published(folder / "visits.csv")[1]
        self.published_reasons: dict[tuple[str, str], str] = {}
        for vid, _, dept, why in self.published_unstaffed:
            base = vid.split("/", 1)[0]
            self.published_reasons[(base, dept)] = re.sub(
                r" \(joint_fallback = [a-z-]+: the rest of the visit goes\)$", "", why
            )
        self.published_records = {(g["group"], g["department"]): g for g in self.record["groups"]}

    def problem(self, text: str) -> None:
        self.report.problems.append(text)

    # --- inputs ---

    @staticmethod
    def _people(rows: Iterable[Mapping[Any, Any]]) -> dict[str, Person]:
        out = {}
        for r in rows:
            p = Person(
                id=str(r["inspector_id"]),
                kind=str(r["kind"]),
                department=str(r["department"]),
                region=str(r["region"]),
                station=str(r["station"]),
                cert_no=str(r["cert_no"]),
                certificates=frozenset(r["certificates"]),
                lead=bool(r["lead"]),
                capacity=int(r["capacity"]),
                unavailable=frozenset(r["unavailable"]),
                active=bool(r["active"]),
            )
            out[p.id] = p
        return dict(sorted(out.items()))

    @staticmethod
    def _population(path: Path) -> dict[str, dict[str, str]]:
        frame = read_table(path, kind="population")
        cols = [str(c) for c in frame.columns]
        out: dict[str, dict[str, str]] = {}
        for rec in frame.to_dict("records"):
            cells = {c: str(rec[c]).strip() if rec[c] is not None else "" for c in cols}
            out[_code(cells.get("uscc", ""), cells.get("regno", ""))] = cells
        return out

    def _visits(self) -> dict[str, Visit]:
        _, rows = read_published(self.folder / "selection.csv")
        by_code: dict[str, set[str]] = {}
        for row in rows:
            by_code.setdefault(row[1], set()).add(row[0])
        order = {t.id: i for i, t in enumerate(self.plan.tasks)}
        tasks = {t.id: t for t in self.plan.tasks}
        visits = {}
        for code in sorted(by_code):
            ids = sorted(by_code[code], key=order.__getitem__)
            cells = self.population.get(code, {})
            region, station = cells.get("region", ""), cells.get("station", "")
            vid = "V" + code
            depts = sorted({tasks[t].department for t in ids})
            teams = []
            for d in depts:
                mine = [tasks[t] for t in ids if tasks[t].department == d]
                size = max(t.team_size if t.team_size is not None else self.policy.team_size for t in mine)
                certs = tuple(sorted({c for t in mine for c in t.certificates}))
                teams.append(Team(vid, code, d, size, certs, False, region, station))
            fields = sorted({e for t in ids if (e := tasks[t].expert)})
            experts = [Team(vid, code, f, 1, (), True, region, station) for f in fields]
            lead = tasks[ids[0]].department
            for t in ids:
                item = tasks[t].item
                if item is not None and item.lead in depts:
                    lead = item.lead
                    break
            desk = all(
                tasks[t].item is not None
                and bool(tasks[t].item.methods)  # type: ignore[union-attr]
                and set(tasks[t].item.methods) <= DESK_METHODS  # type: ignore[union-attr]
                for t in ids
            )
            visits[vid] = Visit(
                visit_id=vid,
                uscc=code,
                name=cells.get("name", ""),
                region=region,
                station=station,
                tasks=ids,
                task_departments={t: tasks[t].department for t in ids},
                task_items={t: tuple(tasks[t].items) for t in ids},
                teams=teams,
                experts=experts,
                lead_department=lead,
                desk=desk,
            )
        return visits

    def _groups(self) -> list[Group]:
        active = [p for p in self.people.values() if p.active]
        officer_groups: dict[tuple[str, str], Group] = {}
        expert_groups: dict[str, Group] = {}
        by_region = self.policy.jurisdiction == "region"
        for v in self.visits.values():
            for t in v.teams:
                key = (v.region if by_region else "", t.department)
                if key not in officer_groups:
                    people = [
                        p
                        for p in active
                        if p.kind == "officer"
                        and p.department == t.department
                        and (not by_region or p.region == key[0])
                    ]
                    name = f"region {key[0]}" if by_region else "all regions"
                    officer_groups[key] = Group(name, t.department, False, people)
                officer_groups[key].teams.append(t)
            for t in v.experts:
                if t.department not in expert_groups:
                    people = [p for p in active if p.kind == "expert" and t.department in p.certificates]
                    expert_groups[t.department] = Group("all regions", t.department, True, people)
                expert_groups[t.department].teams.append(t)
        groups = [officer_groups[k] for k in sorted(officer_groups)]
        groups += [expert_groups[k] for k in sorted(expert_groups)]
        for g in groups:
            g.teams.sort(key=lambda t: t.key)
        return groups

    # --- sections 2, 4, 5, 6: one group ---

    def _eligibility(
        self, group: Group, teams: Sequence[Team]
    ) -> tuple[list[list[bool]], list[list[bool]], list[list[int]]]:
        """eligible[t][o], may_lead[t][o], and status[t][o]: 0 eligible, 1 recused, 2 of the same station."""
        eligible, may_lead, status = [], [], []
        for t in teams:
            e_row, l_row, s_row = [], [], []
            for p in group.people:
                if (p.id, t.uscc) in self.recused:
                    s = 1
                elif self.policy.cross_station and t.station != "" and p.station == t.station:
                    s = 2
                else:
                    s = 0
                ok = s == 0
                e_row.append(ok)
                l_row.append(
                    ok and t.needs_lead and p.lead and p.cert_no != "" and set(t.certificates) <= p.certificates
                )
                s_row.append(s)
            eligible.append(e_row)
            may_lead.append(l_row)
            status.append(s_row)
        return eligible, may_lead, status

    def _impossible_reason(
        self, group: Group, team: Team, status: Sequence[int], may_lead: Sequence[bool]
    ) -> str | None:
        e = sum(1 for s in status if s == 0)
        why = []
        if e < team.size:
            why.append(f"{e} eligible of {team.size} needed")
        if team.needs_lead and not any(may_lead):
            text = "no eligible lead (主检) with an enforcement certificate"
            if team.certificates:
                text += " holding " + "、".join(team.certificates)
            why.append(text)
        if not why:
            return None
        x = sum(1 for s in status if s == 1)
        y = sum(1 for s in status if s == 2)
        counts = f"{x} recused" + (f", {y} of the same station" if y else "")
        return f"{'; '.join(why)} among {len(group.people)} officers of {group.department} in {group.name} ({counts})"

    def _candidates(
        self,
        teams: Sequence[Team],
        people: Sequence[Person],
        eligible: Sequence[Sequence[bool]],
        may_lead: Sequence[Sequence[bool]],
    ) -> tuple[list[list[bool]], list[list[bool]]]:
        """Section 4: eligible[t][o] and may_lead[t][o] kept for each team's candidates only (all when K = 0)."""
        k, n = self.policy.candidates, len(people)
        if k == 0 or n == 0:
            return [list(row) for row in eligible], [list(row) for row in may_lead]
        circle = sorted(range(n), key=lambda o: _h(f"{self.seed}:circle:{people[o].id}"))
        kept_e, kept_l = [], []
        for t, team in enumerate(teams):
            start = int.from_bytes(_h(f"{self.seed}:start:{team.visit_id}|{team.department}")[:8], "big") % n
            members, leads = max(k, team.size), k
            row_e, row_l = [False] * n, [False] * n
            for j in range(n):  # once round the circle from the start
                o = circle[(start + j) % n]
                met = False
                if eligible[t][o] and members > 0:
                    members, met = members - 1, True
                if may_lead[t][o] and leads > 0:
                    leads, met = leads - 1, True
                if met:
                    row_e[o], row_l[o] = True, may_lead[t][o]
            kept_e.append(row_e)
            kept_l.append(row_l)
        return kept_e, kept_l

    def _pairs(
        self, teams: Sequence[Team], people: Sequence[Person], eligible: Sequence[Sequence[bool]]
    ) -> tuple[list[tuple[int, int]], list[int], list[int], int]:
        """Section 4: the pairs, their costs and lead costs (24-bit numbers, equal ones told apart), and ``W``."""
        pairs = [(t, o) for t in range(len(teams)) for o in range(len(people)) if eligible[t][o]]
        digests = [_h(f"{self.seed}:assign:{teams[t].visit_id}|{teams[t].department}|{people[o].id}") for t, o in pairs]
        v = [int.from_bytes(d[0:3], "big") for d in digests]
        w = [int.from_bytes(d[3:6], "big") for d in digests]
        m = max([1, *Counter(v).values(), *Counter(w).values()])
        by_v: dict[int, list[bytes]] = {}
        by_w: dict[int, list[bytes]] = {}
        for i, d in enumerate(digests):
            by_v.setdefault(v[i], []).append(d)
            by_w.setdefault(w[i], []).append(d)
        costs = [v[i] * m + sum(1 for e in by_v[v[i]] if e < d) for i, d in enumerate(digests)]
        lead_costs = [w[i] * m + sum(1 for e in by_w[w[i]] if e < d) for i, d in enumerate(digests)]
        return pairs, costs, lead_costs, 2**26 * m

    @staticmethod
    def _network(
        teams: Sequence[Team],
        people: Sequence[Person],
        capacity: Sequence[int],
        active: Sequence[bool],
        eligible: Sequence[Sequence[bool]],
        may_lead: Sequence[Sequence[bool]],
        pairs: Sequence[tuple[int, int]],
        costs: Sequence[int],
        lead_costs: Sequence[int],
        load_step: int,
    ) -> Network:
        labels: list[tuple[str, Any]] = [("source", None), ("sink", None)]
        labels += [("officer", o) for o in range(len(people))]
        lead_slot, member_slot, pair_node = {}, {}, {}
        for t, team in enumerate(teams):
            if not active[t]:
                continue
            if team.needs_lead:
                lead_slot[t] = len(labels)
                labels.append(("lead", t))
            if (team.size - 1 if team.needs_lead else team.size) > 0:
                member_slot[t] = len(labels)
                labels.append(("member", t))
        active_pairs = [i for i, (t, _) in enumerate(pairs) if active[t]]
        leading = [i for i in active_pairs if may_lead[pairs[i][0]][pairs[i][1]]]
        for i in leading:
            pair_node[i] = len(labels)
            labels.append(("pair", i))
        arcs: list[Arc] = []
        for o in range(len(people)):
            e_o = sum(1 for t in range(len(teams)) if active[t] and eligible[t][o])
            for k in range(1, min(capacity[o], e_o) + 1):
                arcs.append(Arc(0, 2 + o, 1, load_step * k, ("load", o, k)))
        for i in active_pairs:
            t, o = pairs[i]
            if not may_lead[t][o] and t in member_slot:
                arcs.append(Arc(2 + o, member_slot[t], 1, costs[i], ("officer-member", i)))
        for i in leading:
            arcs.append(Arc(2 + pairs[i][1], pair_node[i], 1, costs[i], ("officer-pair", i)))
        for i in leading:
            arcs.append(Arc(pair_node[i], lead_slot[pairs[i][0]], 1, lead_costs[i], ("pair-lead", i)))
        for i in leading:
            if pairs[i][0] in member_slot:
                arcs.append(Arc(pair_node[i], member_slot[pairs[i][0]], 1, 0, ("pair-member", i)))
        for t, node in lead_slot.items():
            arcs.append(Arc(node, 1, 1, 0, ("lead-sink", t)))
        for t, node in member_slot.items():
            cap = teams[t].size - 1 if teams[t].needs_lead else teams[t].size
            arcs.append(Arc(node, 1, cap, 0, ("member-sink", t)))
        return Network(len(labels), arcs, labels, lead_slot, member_slot, pair_node)

    @staticmethod
    def _flow(net: Network, secondary: Mapping[int, int] | None = None) -> list[int]:
        """A maximum flow of least cost, by networkx (load arcs, parallel, each through a node of its own).

        ``secondary`` (arc index -> small cost) only chooses among the optima: every cost is scaled by a
        factor larger than any total of the secondary costs.
        """
        scale, extra = 1, secondary or {}
        if extra:
            scale = 2 * sum(a.cap * abs(extra.get(j, 0)) for j, a in enumerate(net.arcs)) + 1
        graph = nx.DiGraph()
        graph.add_nodes_from(range(net.n))
        for j, a in enumerate(net.arcs):
            weight = a.cost * scale + extra.get(j, 0)
            if a.tag[0] == "load":
                graph.add_edge(a.tail, net.n + j, capacity=a.cap, weight=weight)
                graph.add_edge(net.n + j, a.head, capacity=a.cap, weight=0)
            else:
                graph.add_edge(a.tail, a.head, capacity=a.cap, weight=weight)
        flows = nx.max_flow_min_cost(graph, 0, 1)
        return [
            int(flows[a.tail][net.n + j]) if a.tag[0] == "load" else int(flows[a.tail][a.head])
            for j, a in enumerate(net.arcs)
        ]

    def _solve(self, group: Group, teams: list[Team], capacity: list[int]) -> Solve:
        people = group.people
        eligible, may_lead, status = self._eligibility(group, teams)
        impossible = {}
        for t, team in enumerate(teams):
            why = self._impossible_reason(group, team, status[t], may_lead[t])
            if why is not None:
                impossible[t] = why
        self.report.eligible_pairs += sum(map(sum, eligible))
        eligible, may_lead = self._candidates(teams, people, eligible, may_lead)
        self.report.candidate_pairs += sum(map(sum, eligible))
        pairs, costs, lead_costs, load_step = self._pairs(teams, people, eligible)
        # the capacity reason, in numbers of the whole group (all its teams of the round, impossible ones too)
        reason = self._capacity_reason(group, teams, capacity, may_lead, status)
        published_drops = frozenset(t for t, team in enumerate(teams) if self.published_reasons.get(team.key) == reason)

        def network(active: Sequence[bool]) -> Network:
            return self._network(
                teams, people, capacity, active, eligible, may_lead, pairs, costs, lead_costs, load_step
            )

        outcomes = self._drop_loop(teams, network, [t not in impossible for t in range(len(teams))], published_drops)
        first = next(outcomes)
        chosen = first
        if first.tie and first.dropped != published_drops:
            # Several optima in a solve that drops, and the docs name no tie-break: the drops depend on the
            # solver. Look for an optimum at each such solve that leads to the published drops.
            chosen = next((o for o in outcomes if o.dropped == published_drops), first)
        net, flow = chosen.net, chosen.flow
        places = self._places(net, flow, teams, people, pairs)
        clash = any(
            frozenset((a, b)) in self.exclusive
            for team_places in places.values()
            for a, _ in team_places
            for b, _ in team_places
            if a < b
        )
        recusals = sum(1 for t in range(len(teams)) for s in status[t] if s == 1)
        return Solve(
            teams=teams,
            impossible=impossible,
            dropped={t: reason for t in sorted(chosen.dropped)},
            places=places,
            cost=sum(a.cost * f for a, f in zip(net.arcs, flow, strict=True)),
            unique=_unique(net, flow),
            recusals=recusals,
            capacity=sum(capacity),
            tie_in_drop=chosen.tie,
            guided=chosen is not first,
            iterations=chosen.iterations,
            exclusive_clash=clash,
            network=net,
            flow=flow,
        )

    def _drop_loop(
        self,
        teams: Sequence[Team],
        network: Callable[[Sequence[bool]], Network],
        active: list[bool],
        published_drops: frozenset[int],
        budget: list[int] | None = None,
    ) -> Iterator[_Outcome]:
        """Section 6 from ``active`` on: every outcome, the plain one first (networkx's optimum at each solve),
        then, where a solve has several optima, those of optima that fill the teams the published files keep."""
        budget = budget if budget is not None else [64]
        net = network(active)
        flow = self._flow(net)
        filled = self._filled(net, flow, active)
        if all(f == teams[t].size for t, f in filled.items()):
            yield _Outcome(frozenset(), net, flow, [], False)
            return
        unique = _unique(net, flow)
        flows = [flow]
        if not unique:
            kept = [t for t in filled if t not in published_drops]
            extra = [t for t in filled if t in published_drops]
            for protect in [set(kept)] + [{*kept, x} for x in extra]:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
                secondary = {
                    j: (-1 if a.tag[1] in protect else 1)
                    for j, a in enumerate(net.arcs)
                    if a.tag[0] in ("lead-sink", "member-sink")
                }
                flows.append(self._flow(net, secondary))
        seen: set[frozenset[int]] = set()
        for flow in flows:
            filled = self._filled(net, flow, active)
            short = {t: teams[t].size - f for t, f in filled.items() if f < teams[t].size}
            m = max(teams[t].size for t in filled)
            count = max(1, math.ceil(sum(short.values()) / m))
            order = sorted(
                short,
                key=lambda t: (filled[t], _h(f"{self.seed}:drop:{teams[t].visit_id}|{teams[t].department}").hex()),
            )
            drop = frozenset(order[:count])
            if drop in seen:
                continue
            seen.add(drop)
            after = [a and t not in drop for t, a in enumerate(active)]
            for rest in self._drop_loop(teams, network, after, published_drops, budget):
                yield _Outcome(
                    drop | rest.dropped,
                    rest.net,
                    rest.flow,
                    [(len(filled), len(drop), unique), *rest.iterations],
                    rest.tie or not unique,
                )
            if unique or not published_drops:
                break

    @staticmethod
    def _filled(net: Network, flow: Sequence[int], active: Sequence[bool]) -> dict[int, int]:
        filled = {t: 0 for t in range(len(active)) if active[t]}
        for a, f in zip(net.arcs, flow, strict=True):
            if a.tag[0] in ("lead-sink", "member-sink"):
                filled[a.tag[1]] += f
        return filled

    def _capacity_reason(
        self,
        group: Group,
        teams: Sequence[Team],
        capacity: Sequence[int],
        may_lead: Sequence[Sequence[bool]],
        status: Sequence[Sequence[int]],
    ) -> str:
        live = range(len(teams))
        places = sum(teams[t].size for t in live)
        leads = sum(1 for t in live if teams[t].needs_lead)
        leaders = [o for o in range(len(group.people)) if any(may_lead[t][o] for t in live)]
        recused = sum(1 for t in live for s in status[t] if s == 1)
        return (
            f"not enough capacity in {group.name} for {group.department}: {places} places ({leads} leads) needed, "
            f"capacity {sum(capacity)} among {len(group.people)} officers and "
            f"{sum(capacity[o] for o in leaders)} among the {len(leaders)} who may lead, after {recused} recusals"
        )

    @staticmethod
    def _places(
        net: Network,
        flow: Sequence[int],
        teams: Sequence[Team],
        people: Sequence[Person],
        pairs: Sequence[tuple[int, int]],
    ) -> dict[int, list[tuple[str, str]]]:
        places: dict[int, list[tuple[str, str]]] = {}
        leads = {a.tag[1] for a, f in zip(net.arcs, flow, strict=True) if a.tag[0] == "pair-lead" and f}
        for a, f in zip(net.arcs, flow, strict=True):
            if f and a.tag[0] in ("officer-member", "officer-pair"):
                i = a.tag[1]
                t, o = pairs[i]
                role = "expert" if teams[t].expert else "lead" if i in leads else "member"
                places.setdefault(t, []).append((people[o].id, role))
        return places

    # --- section 7: the rounds ---

    def run(self) -> SpecReport:
        rep = self.report
        waiting: dict[str, dict[str, str]] = {}  # visit -> place (department or field) -> reason
        alone: dict[tuple[str, str], str] = {}  # part set aside alone -> reason of its team
        cache: dict[tuple[str, tuple[tuple[str, str], ...]], Solve] = {}
        mode = self.policy.joint_fallback
        while True:
            rep.rounds += 1
            solves: list[tuple[Group, Solve]] = []
            failures: dict[str, dict[str, str]] = {}
            used: dict[str, int] = {}  # expert id -> places taken in the fields before
            for group in self.groups:
                teams = [t for t in group.teams if t.visit_id not in waiting and t.key not in alone]
                if not teams:
                    continue
                key = (group.label, tuple(t.key for t in teams))
                if key not in cache:
                    capacity = [max(0, p.capacity - used.get(p.id, 0)) for p in group.people]
                    cache[key] = self._solve(group, teams, capacity)
                solve = cache[key]
                if solve.guided and group.label not in rep.tie_in_drop_groups:
                    rep.tie_in_drop_groups.append(group.label)
                if solve.exclusive_clash:
                    self._cpsat_group(group, solve)
                if group.expert:
                    for team_places in solve.places.values():
                        for pid, _ in team_places:
                            used[pid] = used.get(pid, 0) + 1
                solves.append((group, solve))
                for t, why in (solve.impossible | solve.dropped).items():
                    failures.setdefault(teams[t].visit_id, {})[teams[t].department] = why
            if not failures:
                break
            for vid, failed in failures.items():
                visit = self.visits[vid]
                expert_fields = {t.department for t in visit.experts}
                whole = mode == "whole" or any(d in expert_fields for d in failed)
                if not whole and mode == "lead-alone" and visit.lead_department in failed:
                    whole = True
                remaining = [t for t in visit.teams if t.key not in alone and t.department not in failed]
                if not whole and not remaining:
                    whole = True
                if whole:
                    places = {t.department: alone.pop(t.key) for t in visit.teams if t.key in alone}
                    places |= failed
                    waiting[vid] = places
                else:
                    for d, why in failed.items():
                        alone[(vid, d)] = why
        self._publish(solves, waiting, alone)
        return rep

    def _cpsat_group(self, group: Group, solve: Solve) -> None:
        """A flow that puts two officers of --pairs together is repaired by CP-SAT: take the published teams."""
        label = group.label
        if label not in self.report.cpsat_groups:
            self.report.cpsat_groups.append(label)
        failed = {k for k, why in self.published_reasons.items() if why.startswith(PAIR_REASON)}
        published = self._published_places()
        solve.places = {}
        for t, team in enumerate(solve.teams):
            if team.key in failed:
                solve.dropped[t] = self.published_reasons[team.key]
            elif team.key in published:
                solve.places[t] = published[team.key]
        self._check_repaired(group, solve)

    def _check_repaired(self, group: Group, solve: Solve) -> None:
        """The rules of sections 2 and 5 on a repaired group's published teams (CP-SAT's: not re-derived)."""
        eligible, may_lead, _ = self._eligibility(group, solve.teams)
        pos = {p.id: o for o, p in enumerate(group.people)}
        load = [0] * len(group.people)
        for t, team_places in solve.places.items():
            team, ids = solve.teams[t], [pid for pid, _ in team_places]
            leads = [pid for pid, role in team_places if role == "lead"]
            wrong = [
                f"{len(ids)} people for {team.size} places" if len(ids) != team.size else "",
                "a person twice" if len(set(ids)) != len(ids) else "",
                f"{len(leads)} leads" if team.needs_lead and len(leads) != 1 else "",
                "someone not of the group or not eligible"
                if any(p not in pos or not eligible[t][pos[p]] for p in ids)
                else "",
                "a lead who may not lead" if any(p in pos and not may_lead[t][pos[p]] for p in leads) else "",
                "a pair who must not work together"
                if any(frozenset((a, b)) in self.exclusive for a in ids for b in ids if a < b)
                else "",
            ]
            for pid in ids:
                if pid in pos:
                    load[pos[pid]] += 1
            if any(wrong):
                self.problem(f"{group.label} (CP-SAT repair): {team.key}: {', '.join(w for w in wrong if w)}")
        for o, k in enumerate(load):
            if k > group.people[o].capacity:
                self.problem(
                    f"{group.label} (CP-SAT repair): {group.people[o].id} has {k} places, "
                    f"capacity {group.people[o].capacity}"
                )

    def _published_places(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        out: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for vid, dept, pid, role in self.published_teams:
            out.setdefault((vid, dept), []).append((pid, role))
        return out

    # --- the published tables ---

    def _publish(
        self, solves: list[tuple[Group, Solve]], waiting: dict[str, dict[str, str]], alone: dict[tuple[str, str], str]
    ) -> None:
        rep = self.report
        published_places = self._published_places()
        records = []
        for group, solve in solves:
            rec = self.published_records.get((group.name, group.department))
            self._check_record(group, solve, rec)
            if group.label in rep.cpsat_groups:
                records.append((group, solve))
                continue
            mine = {solve.teams[t].key: sorted(p) for t, p in solve.places.items()}
            theirs = {k: sorted(published_places.get(k, [])) for k in mine}
            if mine != theirs:
                if not solve.unique and rec is not None and rec.get("unique") is False:
                    rep.tie_groups.append(group.label)
                    solve.places = {t: published_places.get(solve.teams[t].key, []) for t in solve.places}
                else:
                    differ = [k for k in mine if mine[k] != theirs[k]]
                    self.problem(
                        f"{group.label}: teams differ on {len(differ)} of {len(mine)} teams, first {differ[0]}: "
                        f"derived {mine[differ[0]]}, published {theirs[differ[0]]}"
                    )
            records.append((group, solve))
        rep.groups = len(records)
        listed = [(g["group"], g["department"]) for g in self.record["groups"]]
        if listed != [(g.name, g.department) for g, _ in records]:
            self.problem(f"assignment.json groups {listed} differ from the derived {[g.label for g, _ in records]}")
        self._check_certificate(records)
        self._teams_table(records)
        dates = self._dates(records, waiting)
        self._visit_table(waiting, alone, dates)
        self._unstaffed_table(waiting, alone, dates)

    def _check_record(self, group: Group, solve: Solve, rec: Mapping[str, Any] | None) -> None:
        if rec is None:
            self.problem(f"{group.label}: no record in assignment.json")
            return
        derived = {
            "capacity": solve.capacity,
            "department": group.department,
            "group": group.name,
            "officers": len(group.people),
            "places": sum(t.size for t in solve.teams),
            "recusals": solve.recusals,
            "staffed_teams": len(solve.places),
            "teams": len(solve.teams),
        }
        cpsat = group.label in self.report.cpsat_groups
        if cpsat:
            if not str(rec["method"]).startswith("min-cost flow + CP-SAT repair"):
                self.problem(f"{group.label}: its flow puts a pair of --pairs together, but method is {rec['method']}")
            derived |= {"cost": str(solve.cost), "unique": None}  # the cost of the flow before the repair
        else:
            derived |= {"cost": str(solve.cost), "method": "min-cost flow", "status": "optimal", "unique": solve.unique}
            self.report.flow_groups += 1
            self.report.unique_groups += int(solve.unique)
        got = {k: rec.get(k) for k in derived}
        if str(rec.get("method", "")).endswith(" + amendments"):
            got["method"] = str(rec["method"]).removesuffix(" + amendments")
        if got != derived:
            diff = {k: (derived[k], got[k]) for k in derived if derived[k] != got[k]}
            self.problem(f"{group.label}: assignment.json record differs (derived, published): {diff}")

    def _teams_table(self, records: list[tuple[Group, Solve]]) -> None:
        officers: list[list[str]] = []
        experts: list[list[str]] = []
        for group, solve in records:
            for t, team_places in solve.places.items():
                team = solve.teams[t]
                for pid, role in team_places:
                    row = [team.visit_id, team.department, pid, role]
                    (experts if group.expert else officers).append(row)
        officers.sort(key=lambda r: (r[0], r[1], r[3] != "lead", r[2]))
        experts.sort(key=lambda r: (r[1], r[0], r[2]))
        self.report.teams = officers + experts
        self.report.team_rows = len(self.report.teams)
        self._compare("teams.csv", self.report.teams, self.published_teams)

    def _compare(self, name: str, derived: list[list[str]], published: list[list[str]]) -> None:
        if derived == published:
            return
        d, p = set(map(tuple, derived)), set(map(tuple, published))
        only_d, only_p = sorted(d - p)[:3], sorted(p - d)[:3]
        self.problem(
            f"{name}: {len(derived)} rows derived, {len(published)} published; derived only {len(d - p)} "
            f"(first {only_d}), published only {len(p - d)} (first {only_p})"
            + ("" if only_d or only_p else "; the same rows in another order")
        )

    # --- section 9: the certificate ---

    def _check_certificate(self, records: list[tuple[Group, Solve]]) -> None:
        _, rows = read_published(self.folder / "certificate.csv")
        by_group: dict[tuple[str, str], list[list[str]]] = {}
        for row in rows:
            by_group.setdefault((row[0], row[1]), []).append(row)
        published_places = self._published_places()
        flow_groups = []
        for group, solve in records:
            if group.label in self.report.cpsat_groups:
                if (group.name, group.department) in by_group:
                    self.problem(f"{group.label}: a repaired group has certificate rows")
                continue
            flow_groups.append((group.name, group.department))
            self._certify(group, solve, by_group.get((group.name, group.department), []), published_places)
        if list(by_group) != flow_groups:
            self.problem(f"certificate.csv groups {list(by_group)} differ from the flow groups {flow_groups}")

    def _certify(
        self,
        group: Group,
        solve: Solve,
        rows: list[list[str]],
        published: Mapping[tuple[str, str], list[tuple[str, str]]],
    ) -> None:
        """Rebuild the network on the published teams, read the flow off teams.csv, check the potentials."""
        teams = [t for t in solve.teams if t.key in published]
        capacity = [p.capacity for p in group.people]
        if group.expert:  # what the fields before left them, by the published teams
            before = {(g.department) for g in self.groups if g.expert and g.department < group.department}
            for i, p in enumerate(group.people):
                taken = sum(1 for r in self.published_teams if r[3] == "expert" and r[1] in before and r[2] == p.id)
                capacity[i] = max(0, p.capacity - taken)
        eligible, may_lead, _ = self._eligibility(group, teams)
        eligible, may_lead = self._candidates(teams, group.people, eligible, may_lead)
        pairs, costs, lead_costs, load_step = self._pairs(teams, group.people, eligible)
        active = [True] * len(teams)
        net = self._network(
            teams, group.people, capacity, active, eligible, may_lead, pairs, costs, lead_costs, load_step
        )
        index = {(t, group.people[o].id): i for i, (t, o) in enumerate(pairs)}
        flow = [0] * len(net.arcs)
        arc_of = {a.tag: j for j, a in enumerate(net.arcs)}
        load = [0] * len(group.people)
        pos = {p.id: o for o, p in enumerate(group.people)}
        bad: list[str] = []
        for t, team in enumerate(teams):
            for pid, role in published[team.key]:
                found = index.get((t, pid))
                if found is None:
                    bad.append(f"{team.key} {pid}: not an eligible pair")
                    continue
                i = found
                load[pos[pid]] += 1
                if i in net.pair_node:
                    flow[arc_of[("officer-pair", i)]] += 1
                    flow[arc_of[("pair-lead" if role == "lead" else "pair-member", i)]] += 1
                elif role == "lead":
                    bad.append(f"{team.key} {pid}: lead without the right to lead")
                else:
                    flow[arc_of[("officer-member", i)]] += 1
                slot = "lead-sink" if role == "lead" else "member-sink"
                flow[arc_of[(slot, t)]] += 1
        for o, k in enumerate(load):
            for kk in range(1, k + 1):
                j = arc_of.get(("load", o, kk))
                if j is None:
                    bad.append(f"{group.people[o].id}: {k} places beyond the load arcs")
                    break
                flow[j] = 1
        if any(f > a.cap for a, f in zip(net.arcs, flow, strict=True)):
            bad.append("an arc carries more than its capacity")
        expected = []
        for lab in net.labels:
            kind, x = lab
            if kind == "pair":
                continue
            vid, dep, pid = "", "", ""
            if kind == "officer":
                pid = group.people[x].id
            elif kind in ("lead", "member"):
                vid, dep = teams[x].visit_id, teams[x].department
            expected.append([group.name, group.department, kind, vid, dep, pid])
        if [r[:6] for r in rows] != expected:
            bad.append(f"certificate rows {len(rows)} differ from the network's {len(expected)} nodes")
        if bad:
            self.problem(f"{group.label}: certificate: {bad[:3]}")
            return
        self.report.certificate_groups += 1
        potential = {}
        k = 0
        for v, lab in enumerate(net.labels):
            if lab[0] != "pair":
                potential[v] = int(rows[k][6])
                k += 1
        violations = _reduced_cost_violations(net, flow, potential)
        if violations:
            self.problem(
                f"{group.label}: certificate: {len(violations)} arcs break the reduced-cost conditions, "
                f"first {violations[0]}"
            )
        try:
            exact = _potentials(net, flow)
        except ValueError:
            self.problem(f"{group.label}: certificate: the published flow has a residual cycle of negative cost")
            return
        if all(exact[v] == p for v, p in potential.items()):
            self.report.certificate_exact += 1
        else:
            self.report.notes.append(f"{group.label}: the published potentials are not the Bellman-Ford ones")

    # --- section 8: dates ---

    def _dates(self, records: list[tuple[Group, Solve]], waiting: Mapping[str, Any]) -> dict[str, str | None]:
        """visit -> date (``None``: undated, stuck for CP-SAT), for the staffed site visits; desk checks ``""``."""
        rep = self.report
        people: dict[str, list[str]] = {}
        officers: dict[str, set[str]] = {}
        for group, solve in records:
            for t, team_places in solve.places.items():
                vid = solve.teams[t].visit_id
                for pid, _ in team_places:
                    if pid not in people.setdefault(vid, []):
                        people[vid].append(pid)
                    if not group.expert:
                        officers.setdefault(vid, set()).add(pid)
        going = [v for v in self.visits if v not in waiting]
        rep.desk_checks = sum(1 for v in going if self.visits[v].desk)
        out: dict[str, str | None] = {v: "" for v in going}
        window = self.policy.window
        if window is None:
            return out
        days = working_days(window, self.calendar)
        n_days, cap = len(days), self.policy.daily_cap
        site = [v for v in going if not self.visits[v].desk]
        order = sorted(site, key=lambda v: (-len(people.get(v, [])), _h(f"{self.seed}:schedule:{v}")))
        count: dict[tuple[str, int], int] = {}
        stations: dict[tuple[str, int], dict[str, int]] = {}
        stuck = []
        for vid in order:
            pp, bb = people.get(vid, []), officers.get(vid, set())
            s = self.visits[vid].station
            q = int.from_bytes(_h(f"{self.seed}:schedule:{vid}")[:4], "big") % n_days if n_days else 0
            best: tuple[int, int] | None = None
            for i, day in enumerate(days):
                if any(day in self.people[p].unavailable or count.get((p, i), 0) >= cap for p in pp):
                    continue
                if any(set(stations.get((o, i), {})) - {s} for o in bb):
                    continue
                a = sum(1 for o in bb if stations.get((o, i), {}).get(s, 0) > 0)
                n = max((count.get((p, i), 0) for p in pp), default=0)
                score = ((len(bb) - a) * (cap + 1) + n) * n_days + (i - q) % n_days
                if best is None or score < best[0]:
                    best = (score, i)
            if best is None:
                stuck.append(vid)
                out[vid] = None
                continue
            i = best[1]
            out[vid] = days[i].isoformat()
            for p in pp:
                count[(p, i)] = count.get((p, i), 0) + 1
            for o in bb:
                stations.setdefault((o, i), {})
                stations[(o, i)][s] = stations[(o, i)].get(s, 0) + 1
        rep.stuck_visits = stuck
        self._people_of = people
        self._days = days
        return out

    def _visit_table(
        self, waiting: Mapping[str, Any], alone: Mapping[tuple[str, str], str], dates: dict[str, str | None]
    ) -> None:
        rep = self.report
        published = {r[0]: r for r in self.published_visits}
        rows = []
        for vid, v in self.visits.items():
            if vid in waiting:
                going = None
                date, status = "", "unstaffed"
            else:
                going = [t.department for t in v.teams if t.key not in alone]
                if v.desk:
                    date, status = "", "desk"
                elif dates.get(vid) is None:
                    date, status = "", "undated"  # stuck in the greedy pass: CP-SAT's (below)
                else:
                    date, status = dates[vid] or "", "staffed"
            base = [vid, v.uscc, v.name, v.region, v.station]
            going_text = [";".join(v.departments(going)), ";".join(v.task_ids(going)), ";".join(v.items(going))]
            rows.append([*base, *going_text, date, status])
            for t in v.teams:
                if vid not in waiting and t.key in alone:  # the part set aside alone: a row of its own
                    alone_text = [t.department, ";".join(v.task_ids([t.department])), ";".join(v.items([t.department]))]
                    rows.append([f"{vid}/{t.department}", *base[1:], *alone_text, "", "unstaffed"])
        for row in rows:
            pub = published.get(row[0])
            if row[9] in ("staffed", "undated") and self.policy.window is not None:
                rep.dates_checked += 1
                rep.dates_matched += int(pub is not None and pub[8] == row[8] and pub[9] == row[9])
        # CP-SAT's date repairs: each stuck visit is placed or stays undated, and its people's visits may move
        stuck = set(rep.stuck_visits)
        if stuck:
            near = {p for v in stuck for p in self._people_of.get(v, [])}
            for row in rows:
                pub = published.get(row[0])
                if pub is None or row[9] not in ("staffed", "undated") or pub[8:10] == row[8:10]:
                    continue
                if row[0] in stuck and pub[9] in ("staffed", "undated"):
                    rep.cpsat_placed += int(pub[9] == "staffed")
                    row[8:10] = pub[8:10]
                elif row[9] == "staffed" and pub[9] == "staffed" and near & set(self._people_of.get(row[0], [])):
                    rep.cpsat_moved_dates += 1
                    row[8] = pub[8]
            self._check_date_rules(rows)
        rep.visit_table = rows
        rep.visit_rows = len(rows)
        rep.visits = len(self.visits)
        rep.waiting_visits = len(waiting)
        rep.parts_set_aside = sum(1 for r in rows if "/" in r[0])
        rep.dated = sum(1 for r in rows if r[8])
        self._compare("visits.csv", rows, self.published_visits)
        counts = {s: sum(1 for r in rows if r[9] == s) for s in ("staffed", "undated", "unstaffed")}
        counts["visits"] = len(rows)
        desk = sum(1 for r in rows if r[9] == "desk")
        if desk:  # not in docs/formats.md: the library adds the key when there are desk checks
            counts["desk"] = desk
        if counts != self.record["counts"]:
            self.problem(f"assignment.json counts {self.record['counts']} differ from the derived {counts}")

    def _check_date_rules(self, rows: list[list[str]]) -> None:
        """After CP-SAT moved dates: every hard rule of section 8 on the published dates."""
        per: dict[tuple[str, str], list[str]] = {}
        for row in rows:
            if row[8]:
                for p in self._people_of.get(row[0], []):
                    per.setdefault((p, row[8]), []).append(row[0])
                    when = dt.date.fromisoformat(row[8])
                    if when in self.people[p].unavailable or when not in self._days:
                        self.problem(f"{row[0]}: {p} is not available on {row[8]}")
        for (p, day), vids in per.items():
            if len(vids) > self.policy.daily_cap:
                self.problem(f"{p} has {len(vids)} visits on {day}")
            if self.people[p].kind == "officer" and len({self.visits[v].station for v in vids}) > 1:
                self.problem(f"{p} works in two station areas on {day}")

    def _unstaffed_table(
        self,
        waiting: Mapping[str, Mapping[str, str]],
        alone: Mapping[tuple[str, str], str],
        dates: dict[str, str | None],
    ) -> None:
        mode = self.policy.joint_fallback
        rows = []
        for vid, places in waiting.items():
            v = self.visits[vid]
            for d, why in places.items():
                rows.append([vid, v.uscc, d, why])
            for t in v.teams:
                if t.department not in places:
                    rows.append([vid, v.uscc, t.department, WAITS])
        for (vid, d), why in alone.items():
            if vid not in waiting:
                rows.append(
                    [
                        vid + "/" + d,
                        self.visits[vid].uscc,
                        d,
                        f"{why} (joint_fallback = {mode}: the rest of the visit goes)",
                    ]
                )
        for row in self.report.visit_table:
            if row[9] == "undated":
                rows.append([row[0], row[1], "(all)", self._undated_reason(row[0])])
        rows.sort(key=lambda r: (r[0], r[2]))
        self.report.unstaffed = rows
        self.report.unstaffed_rows = len(rows)
        self._compare("unstaffed.csv", rows, self.published_unstaffed)

    def _undated_reason(self, vid: str) -> str:
        pp = self._people_of.get(vid, [])
        free = sum(1 for d in self._days if not any(d in self.people[p].unavailable for p in pp))
        return (
            f"undated: no working day in the window fits: {len(pp)} people must be there together, {free} of "
            f"{len(self._days)} working days find them all available, at most {self.policy.daily_cap} visits each "
            "a day and one station area each a day"
        )


# ----------------------------------------------------------------------------------------- residual graphs


def _residual(net: Network, flow: Sequence[int]) -> list[tuple[int, int, int]]:
    out = []
    for a, f in zip(net.arcs, flow, strict=True):
        if f < a.cap:
            out.append((a.tail, a.head, a.cost))
        if f > 0:
            out.append((a.head, a.tail, -a.cost))
    return out


def _potentials(net: Network, flow: Sequence[int]) -> list[int]:
    """Least cost of a residual path ending at each node (empty path 0): Bellman-Ford from a virtual root (SPFA)."""
    dist = [0] * net.n
    out: list[list[tuple[int, int]]] = [[] for _ in range(net.n)]
    for u, v, c in _residual(net, flow):
        out[u].append((v, c))
    queue = deque(range(net.n))
    queued = [True] * net.n
    relaxed = [0] * net.n
    while queue:
        u = queue.popleft()
        queued[u] = False
        du = dist[u]
        for v, c in out[u]:
            if du + c < dist[v]:
                dist[v] = du + c
                relaxed[v] += 1
                if relaxed[v] > net.n:
                    raise ValueError("a negative cycle: the flow is not of least cost")
                if not queued[v]:
                    queued[v] = True
                    queue.append(v)
    return dist


def _unique(net: Network, flow: Sequence[int]) -> bool:
    """No residual cycle of cost 0 (other than an arc and its own reverse): the optimum is the only one."""
    p = _potentials(net, flow)
    parent = list(range(net.n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    directed = []
    for a, f in zip(net.arcs, flow, strict=True):
        if a.cost + p[a.tail] - p[a.head] != 0:
            continue
        if 0 < f < a.cap:
            ra, rb = find(a.tail), find(a.head)
            if ra == rb:
                return False
            parent[ra] = rb
        elif f == 0:
            directed.append((a.tail, a.head))
        else:
            directed.append((a.head, a.tail))
    succ: dict[int, list[int]] = {}
    indegree: dict[int, int] = {}
    for u, v in directed:
        cu, cv = find(u), find(v)
        if cu == cv:
            return False
        succ.setdefault(cu, []).append(cv)
        indegree[cv] = indegree.get(cv, 0) + 1
    nodes = set(succ) | set(indegree)
    ready = [x for x in nodes if indegree.get(x, 0) == 0]
    seen = 0
    while ready:
        x = ready.pop()
        seen += 1
        for y in succ.get(x, []):
            indegree[y] -= 1
            if indegree[y] == 0:
                ready.append(y)
    return seen == len(nodes)


def _reduced_cost_violations(net: Network, flow: Sequence[int], potential: Mapping[int, int]) -> list[str]:
    """Check ``c + p(tail) - p(head)`` (>= 0 without flow, <= 0 when full), each pair node given a fitting potential."""
    bounds: dict[int, list[float]] = {v: [-math.inf, math.inf] for v in net.pair_node.values()}
    for a, f in zip(net.arcs, flow, strict=True):
        # the pair node's own potential q: arc into it gives c + p - q; arc out of it gives c + q - p
        if a.head in bounds and a.tail not in bounds:
            limit = a.cost + potential[a.tail]  # reduced = limit - q
            _bound(bounds[a.head], limit, f, a.cap, into=True)
        elif a.tail in bounds and a.head not in bounds:
            limit = potential[a.head] - a.cost  # reduced = q - limit
            _bound(bounds[a.tail], limit, f, a.cap, into=False)
    bad = [f"pair node {v}: no potential fits ({lo} > {hi})" for v, (lo, hi) in bounds.items() if lo > hi]
    for a, f in zip(net.arcs, flow, strict=True):
        if a.head in bounds or a.tail in bounds:
            continue
        reduced = a.cost + potential[a.tail] - potential[a.head]
        if (f < a.cap and reduced < 0) or (f > 0 and reduced > 0):
            bad.append(f"{a.tag}: reduced cost {reduced}, flow {f} of {a.cap}")
    return bad


def _bound(b: list[float], limit: int, f: int, cap: int, *, into: bool) -> None:
    # into: reduced = limit - q; out: reduced = q - limit.
    if f < cap:  # reduced >= 0
        if into:
            b[1] = min(b[1], limit)
        else:
            b[0] = max(b[0], limit)
    if f > 0:  # reduced <= 0
        if into:
            b[0] = max(b[0], limit)
        else:
            b[1] = min(b[1], limit)


def rederive(folder: str | Path, input_files: Mapping[str, str | Path]) -> SpecReport:
    """Re-derive an assignment from the draw's published folder and its private inputs (role -> path)."""
    files = {role: Path(path) for role, path in input_files.items()}
    return _Checker(Path(folder), files).run()
