"""The assignment's fast paths give exactly what their plain definitions give (issue 14).

- ``assign_digests`` is :meth:`Seed.assign_cost` pair by pair, and ``random_costs`` is its definition
  (24-bit numbers, repeats told apart by the whole digest);
- ``potentials`` (pair nodes contracted, label-correcting on the rest) are the Bellman-Ford distances;
- a large group solved first on candidate pairs gives the very flow, potentials and report that
  solving the whole network gives, with shortages (the drop loop) and with pricing rounds;
- ``forked_map`` and ``verify_certificate`` give the same results on one worker or several.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from shuangsuiji._hashing import forked_map
from shuangsuiji.assignment import certificate as certificate_module, encode, schedule, solve, verify_certificate
from shuangsuiji.assignment.certificate import CertificateCheck, _residual, bellman_ford, potentials
from shuangsuiji.assignment.encode import LOAD_STEP, assign_digests, build_group, network, random_costs
from shuangsuiji.assignment.staffing import staff
from shuangsuiji.conflicts import Conflicts
from shuangsuiji.seed import Seed
from shuangsuiji.verify import verify_draw

from .assign_helpers import instance, roster
from .conftest import publish_staffed

SEED = "cd" * 32


def _plain_costs(tickets: list[bytes]) -> tuple[list[int], list[int], int]:
    """The definition (docs/assignment.md, section 4), written out pair by pair (identical digests, which
    different messages never have, in their order)."""
    v = [int.from_bytes(b[0:3], "big") for b in tickets]
    w = [int.from_bytes(b[3:6], "big") for b in tickets]
    m = max([1, *(v.count(x) for x in v), *(w.count(x) for x in w)])
    cost = [
        v[i] * m + sum(1 for j in range(len(tickets)) if v[j] == v[i] and (tickets[j], j) < (b, i))
        for i, b in enumerate(tickets)
    ]
    lead = [
        w[i] * m + sum(1 for j in range(len(tickets)) if w[j] == w[i] and (tickets[j], j) < (b, i))
        for i, b in enumerate(tickets)
    ]
    return cost, lead, LOAD_STEP * m


def _copied(source: bytes, target: bytes, data: Any) -> bytes:
    """``target`` with a run of ``source``'s bytes: its prefix (equal cost values, maybe more), or bytes
    3 onwards (equal lead values, the cost values apart)."""
    start = data.draw(st.sampled_from([0, 3]))
    cut = data.draw(st.sampled_from([3, 6, 8, 16, 31]))
    end = max(cut, start + 3)
    return target[:start] + source[start:end] + target[end:]


@given(st.lists(st.binary(min_size=32, max_size=32), max_size=40), st.data())
@settings(max_examples=100)
def test_random_costs_are_the_definition(tickets: list[bytes], data: Any) -> None:
    # Force equal 24-bit values (and equal digests beyond them), where the ties must be told apart.
    for i in range(1, len(tickets)):
        if data.draw(st.booleans()):
            j = data.draw(st.integers(0, i - 1))
            tickets[i] = _copied(tickets[j], tickets[i], data)
    expected = _plain_costs(tickets)
    rows = np.frombuffer(b"".join(tickets), dtype=np.uint8).reshape(-1, 32)
    for got in (random_costs(tickets), random_costs(rows)):
        assert (got[0].tolist(), got[1].tolist(), got[2]) == expected
        distinct = len(set(got[0].tolist())) == len(tickets) and len(set(got[1].tolist())) == len(tickets)
        assert distinct or len(set(tickets)) < len(tickets)  # only identical digests may share a cost
        assert all(c < got[2] for c in [*got[0].tolist(), *got[1].tolist()])  # below the load step


@given(st.lists(st.binary(min_size=32, max_size=32), max_size=40), st.data())
@settings(max_examples=50)
def test_random_costs_of_a_large_group_count_the_values_first(tickets: list[bytes], data: Any) -> None:
    """The path of large groups (only repeated values sorted) gives the definition too."""
    for i in range(1, len(tickets)):
        if data.draw(st.booleans()):
            j = data.draw(st.integers(0, i - 1))
            tickets[i] = _copied(tickets[j], tickets[i], data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(encode, "COUNT_FROM", 0)
        got = random_costs(tickets)
    assert (got[0].tolist(), got[1].tolist(), got[2]) == _plain_costs(tickets)


def test_random_costs_are_the_24_bit_numbers_when_none_repeat() -> None:
    tickets = [bytes([1, 2, 3, 4, 5, 6]) + bytes(26), bytes([0, 0, 9, 0, 0, 8]) + bytes(26)]
    cost, lead, step = random_costs(tickets)
    assert cost.tolist() == [0x010203, 9] and lead.tolist() == [0x040506, 8] and step == LOAD_STEP


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3)), max_size=30))
def test_assign_digests_are_the_seeds(pairs: list[tuple[int, int]]) -> None:
    seed = Seed.of(SEED)
    teams = [(f"V{t}", "市场监管局") for t in range(5)]
    officers = [f"410302-{o}" for o in range(4)]
    rows = assign_digests(seed, teams, officers, [t for t, _ in pairs], [o for _, o in pairs])
    assert [bytes(r) for r in rows] == [seed.assign_cost(*teams[t], officers[o]) for t, o in pairs]
    assert rows.shape == (len(pairs), 32)
    message = f"{SEED}:assign:V1|市场监管局|410302-2".encode()
    assert seed.assign_cost("V1", "市场监管局", "410302-2") == hashlib.sha256(message).digest()


def _group(visits: int, officers: int, *, capacity: int, lead_every: int = 2, seed: str = SEED) -> Any:
    """One group (市场监管局 in 410302) of ``visits`` teams and ``officers`` officers, as the solver builds it."""
    plan, v = instance(visits)
    r = roster([{"lead": "是" if i % lead_every == 0 else "否", "capacity": capacity} for i in range(officers)])
    teams = v.teams.sort_values(["visit_id", "department"]).reset_index(drop=True)
    teams = teams[teams["department"] == "市场监管局"].reset_index(drop=True)
    people = r.officers.sort_values("inspector_id")
    g, impossible = build_group(
        "region 410302",
        "市场监管局",
        people,
        teams,
        seed=Seed.of(seed),
        conflicts=Conflicts(),
        policy=plan.assignment,
        lead_required=True,
    )
    return g, impossible, plan, v, r


@pytest.mark.parametrize(("visits", "officers", "capacity"), [(30, 12, 6), (60, 90, 2), (40, 70, 1), (25, 8, 4)])
def test_potentials_are_the_bellman_ford_distances(visits: int, officers: int, capacity: int) -> None:
    g, _, *_ = _group(visits, officers, capacity=capacity)
    active = np.ones(len(g.team_keys), dtype=bool)
    net = network(g, active)
    flow, _ = solve.solve_flow(net)
    assert (potentials(net, flow) == bellman_ford(_residual(net, flow), net.nodes)).all()


def _staffed(visits: int, officers: int, capacity: int, seed: str) -> Any:
    plan, v = instance(visits)
    r = roster([{"lead": "是" if i % 3 else "否", "capacity": capacity} for i in range(officers)])
    return staff(v.teams, r.officers, seed=seed, conflicts=Conflicts(), policy=plan.assignment)


def _same(a: Any, b: Any) -> None:
    pd.testing.assert_frame_equal(a.teams, b.teams)
    pd.testing.assert_frame_equal(a.unstaffed, b.unstaffed)
    pd.testing.assert_frame_equal(a.certificate, b.certificate)
    assert a.reports == b.reports


@pytest.mark.slow
@given(
    st.integers(20, 70),
    st.integers(66, 110),
    st.integers(1, 3),
    st.sampled_from([SEED, "ef" * 32, "01" * 32]),
    st.sampled_from([16, 4, 1]),
)
@settings(max_examples=12, deadline=None)
def test_candidates_give_what_the_whole_network_gives(
    visits: int, officers: int, capacity: int, seed: str, candidates: int
) -> None:
    """Shortages (the drop loop), few candidates (pricing rounds), any seed: the same staffing, byte for byte."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(solve, "CANDIDATES", 10**9)  # every pair a candidate: the whole network, as before issue 14
        whole = _staffed(visits, officers, capacity, seed)
        mp.setattr(solve, "CANDIDATES", candidates)
        fast = _staffed(visits, officers, capacity, seed)
    _same(whole, fast)


def test_a_large_group_is_solved_on_candidates_and_checked() -> None:
    g, _, *_ = _group(60, 100, capacity=2)
    active = np.ones(len(g.team_keys), dtype=bool)
    net, flow, cost, p = solve.optimum(g, active)
    assert p is not None  # solved on candidates, and its optimum proved unique
    whole, whole_cost = solve.solve_flow(network(g, active))
    assert (flow == whole).all() and cost == whole_cost
    assert (p == bellman_ford(_residual(net, flow), net.nodes)).all()
    # Not proved unique: the whole network is solved instead.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(solve, "unique_optimum", lambda *_: False)
        net, flow, cost, p = solve.optimum(g, active)
    assert p is None and (flow == whole).all() and cost == whole_cost


def test_forked_map_keeps_the_order_whatever_the_workers() -> None:
    items = list(range(7))
    square = [i * i for i in items]
    for workers in (1, 2, 3):
        assert forked_map(lambda i: i * i, items, workers=workers, size=lambda i: i % 3) == square


def test_the_certificate_check_is_the_same_on_several_workers() -> None:
    plan, v = instance(30, regions=("410302", "410303"))
    r = roster([{"lead": "是", "capacity": 8, "region": ("410302", "410303")[i % 2]} for i in range(10)])
    done = staff(v.teams, r.officers, seed=SEED, conflicts=Conflicts(), policy=plan.assignment)
    worse = done.certificate.copy()
    worse.loc[worse["node"] == "officer", "potential"] += 10**9
    args: dict[str, Any] = dict(seed=SEED, conflicts=Conflicts(), policy=plan.assignment)
    for certificate in (done.certificate, worse):
        one = verify_certificate(v.teams, r.officers, done.teams, certificate, workers=1, **args)
        assert one == verify_certificate(v.teams, r.officers, done.teams, certificate, workers=2, **args)
    assert verify_certificate(v.teams, r.officers, done.teams, done.certificate, workers=2, **args) == []
    assert verify_certificate(v.teams, r.officers, done.teams, worse, workers=2, **args)


def test_the_certificate_checked_where_the_groups_are_solved_is_the_check_on_its_own() -> None:
    """verify checks the certificate on the networks its recomputation builds: what the check alone finds."""
    plan, v = instance(30, regions=("410302", "410303"))
    r = roster([{"lead": "是", "capacity": 8, "region": ("410302", "410303")[i % 2]} for i in range(10)])
    args: dict[str, Any] = dict(seed=SEED, conflicts=Conflicts(), policy=plan.assignment)
    done = staff(v.teams, r.officers, **args)
    worse = done.certificate.copy()
    worse.loc[worse.index[worse["node"] == "officer"][0], "potential"] += 10**9  # the first group's
    groups = {("region 410302", "市场监管局"), ("region 410303", "市场监管局")}
    for certificate, broken in ((done.certificate, False), (worse, True)):
        check = CertificateCheck(v.teams, done.teams, certificate, plan.assignment)
        again = staff(v.teams, r.officers, check=check, workers=2, **args)
        pd.testing.assert_frame_equal(again.teams, done.teams)  # the check changes nothing of the staffing
        assert set(check.found) == groups  # every group checked where it was solved
        alone = verify_certificate(v.teams, r.officers, done.teams, certificate, **args)
        assert bool(alone) == broken and all(p.startswith("region 410302, ") for p in alone)
        with pytest.MonkeyPatch.context() as mp:  # every group found: nothing is built again
            mp.setattr(certificate_module, "build_group", _never)
            assert check.problems(r.officers, seed=SEED, conflicts=Conflicts()) == alone
        assert [p for g in sorted(check.found) for p in check.found[g]] == alone
    # A group solved on other teams than the published ones staff is left to the check on its own.
    first = done.teams["visit_id"].iloc[0]
    fewer = done.teams[done.teams["visit_id"] != first]
    check = CertificateCheck(v.teams, fewer, done.certificate, plan.assignment)
    staff(v.teams, r.officers, check=check, **args)
    region = v.teams.loc[v.teams["visit_id"] == first, "region"].iloc[0]
    assert set(check.found) == groups - {(f"region {region}", "市场监管局")}
    # That group is built for the check, which finds what the check alone finds on those tables.
    alone = verify_certificate(v.teams, r.officers, fewer, done.certificate, **args)
    assert alone and all(p.startswith(f"region {region}, ") for p in alone)
    assert check.problems(r.officers, seed=SEED, conflicts=Conflicts()) == alone


def _never(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("a group was built again")


def test_verify_checks_every_groups_certificate_where_it_solves_the_group_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a published batch no group's network is built a second time for the certificate."""
    draw = publish_staffed(tmp_path, entities=1500, seed=3, people=("conflicts", "requests"))
    seen: list[dict[tuple[str, str], Any]] = []
    problems = CertificateCheck.problems

    def spy(self: CertificateCheck, *args: Any, **kwargs: Any) -> list[str]:
        seen.append(dict(self.found))
        return problems(self, *args, **kwargs)

    monkeypatch.setattr(CertificateCheck, "problems", spy)
    monkeypatch.setattr(certificate_module, "build_group", _never)
    result = verify_draw(draw)
    assert result.ok, str(result)
    certificate = pd.read_csv(draw / "certificate.csv", dtype=str, encoding="utf-8-sig")
    officers = certificate[certificate["node"] != "expert"]
    groups = set(zip(officers["group"], officers["department"], strict=True))
    assert len(groups) > 3
    assert seen == [dict.fromkeys(groups, ())]  # every group checked, nothing found


def test_an_augmenting_path_is_found_in_a_flow_short_of_the_maximum() -> None:
    g, _, *_ = _group(20, 6, capacity=2)  # 40 places, 12 of capacity: the maximum staffs some
    net = network(g, np.ones(len(g.team_keys), dtype=bool))
    flow, _ = solve.solve_flow(net)
    assert not solve._augmentable(net, flow)
    assert solve._augmentable(net, np.zeros_like(flow))


@given(st.integers(0, 2**32 - 1), st.integers(1, 3))
@settings(max_examples=10, deadline=None)
def test_visits_that_share_no_one_are_dated_apart_to_the_same_days(seed_int: int, cap: int) -> None:
    """Scheduling the parts that share no person apart (in workers or not) gives the one-pass dates."""
    rng = np.random.default_rng(seed_int)
    officers = [f"R{r}-O{i}" for r in range(3) for i in range(4)]
    people = {}
    for k in range(60):
        region = int(rng.integers(0, 3))
        crew = sorted({f"R{region}-O{int(i)}" for i in rng.choice(4, size=int(rng.integers(1, 4)))})
        if rng.random() < 0.05:
            crew.append("EXPERT")  # an expert links the parts of two regions
        people[f"V{k:03d}"] = crew
    station = {v: f"S{int(rng.integers(0, 2))}" for v in people}
    days = [dt.date(2027, 3, 1) + dt.timedelta(days=i) for i in range(5)]
    unavailable = {officers[0]: frozenset(days[:2])}
    args: dict[str, Any] = dict(officers=set(officers), unavailable=unavailable, days=days, daily_cap=cap, seed=SEED)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(schedule, "_PARALLEL_FROM", 10**9)
        whole = schedule.schedule_visits(people, station, workers=1, **args)
        mp.setattr(schedule, "_PARALLEL_FROM", 0)
        for workers in (1, 2):
            apart = schedule.schedule_visits(people, station, workers=workers, **args)
            assert dict(apart.dates) == dict(whole.dates)
            assert dict(apart.unscheduled) == dict(whole.unscheduled)
            assert dict(apart.method) == dict(whole.method)
