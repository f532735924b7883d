"""The draw: golden vectors, properties, the reference implementation, and statistics."""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, strategies as st

from shuangsuiji import (
    AllocationError,
    PlanError,
    SeedError,
    _hashing,
    check_population,
    draw,
    parse_plan,
    ticket,
    ticket_digests,
)
from shuangsuiji._strings import byte_column
from shuangsuiji.exceptions import InternalError
from shuangsuiji.sampling import select_smallest, tickets_hex
from shuangsuiji.uscc import uscc_check_character

from . import reference
from .conftest import GOLDEN_SEED, SEED
from .strategies import plans, populations, seeds, usccs

# --- golden vectors ------------------------------------------------------------------------------

TICKET_VECTORS = [
    # (seed, scope, uscc, ticket): tickets made by `printf '%s' "$SEED:$SCOPE:$USCC" | sha256sum`.
    ("0" * 64, "P1", "91110000600037341L", "cf1b774fce8b7fdfe9906080d448e0edc49e7da5e77322effd4f05008aeefc39"),
    (GOLDEN_SEED, "GV-1", "9144030071526726XG", "28861475e72fb5684169e9b5ec25ec0dd1d6a7250a32fc7e447f4cdeb931864d"),
    (GOLDEN_SEED, "GV-1.T2", "91110000600037341L", "0707b9b347934d2c0c8be4c97cb842841b2e14028c925d32ef25220833e1e38b"),
]


@pytest.mark.parametrize(("seed", "scope", "uscc", "expected"), TICKET_VECTORS)
def test_ticket_vectors(seed: str, scope: str, uscc: str, expected: str) -> None:
    assert ticket(seed, scope, uscc) == expected
    assert ticket_digests(seed, scope, [uscc]).tobytes().hex() == expected


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs coreutils sha256sum")
def test_tickets_agree_with_sha256sum() -> None:
    seed, scope, uscc, _ = TICKET_VECTORS[1]
    out = subprocess.run(
        ["sha256sum"], input=f"{seed}:{scope}:{uscc}".encode(), capture_output=True, check=True
    ).stdout.decode()
    assert out.split()[0] == ticket(seed, scope, uscc)


def test_golden_draw(golden_population: pd.DataFrame, golden_plan: Any, vectors: Path) -> None:
    """The full small draw of docs/algorithm.md, against tests/vectors/make_vectors.sh (coreutils only)."""
    result = draw(golden_population, golden_plan, GOLDEN_SEED)
    expected = pd.read_csv(vectors / "golden_selection.csv", names=["task_id", "stratum", "uscc", "ticket"], dtype=str)
    got = result.selection[["task_id", "stratum", "uscc", "ticket"]]
    assert got.to_dict("records") == expected.to_dict("records")
    # The hand-worked allocation.
    t1 = result.allocations["T1"]
    assert t1.floor_binding and str(t1.ratio) == "4/19" and t1.sample == 5
    assert [(s.label, s.sample) for s in t1.strata] == [
        ("credit_class=A", 1),
        ("credit_class=B", 1),
        ("credit_class=C", 2),
        ("credit_class=D", 1),
    ]
    assert [(s.label, s.sample) for s in result.allocations["T2"].strata] == [
        ("region=410302", 6),
        ("region=410303", 4),
    ]
    summary = result.summary.set_index("task_id")
    assert summary.loc["T1", ["out_of_scope", "excluded", "eligible", "not_selected"]].tolist() == [0, 2, 20, 15]
    assert summary.loc["T2", ["out_of_scope", "excluded", "eligible", "not_selected"]].tolist() == [1, 1, 20, 10]


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs coreutils")
def test_golden_vector_script_reproduces_the_file(vectors: Path) -> None:
    out = subprocess.run([str(vectors / "make_vectors.sh")], capture_output=True, check=True).stdout
    assert out == (vectors / "golden_selection.csv").read_bytes()


# --- selection mechanics -------------------------------------------------------------------------


def test_select_smallest_breaks_64_bit_ties_by_whole_ticket_then_code() -> None:
    d = np.zeros((4, 32), dtype=np.uint8)
    d[:, 0] = 7  # equal leading 64 bits everywhere
    d[0, 31], d[1, 31], d[2, 31], d[3, 31] = 9, 3, 5, 3  # rows 1 and 3 equal in full
    codes = ["d", "z", "c", "a"]
    assert select_smallest(d, 3, codes).tolist() == [3, 1, 2]
    assert select_smallest(d, 1, codes).tolist() == [3]
    with pytest.raises(ValueError, match="cannot take 5 of 4"):
        select_smallest(d, 5)


def test_select_smallest_boundary_ties() -> None:
    d = np.zeros((5, 32), dtype=np.uint8)
    d[:, 0] = [1, 2, 2, 2, 3]
    d[:, 20] = [0, 3, 1, 2, 0]
    assert select_smallest(d, 3).tolist() == [0, 2, 3]


def test_tickets_of_odd_length_codes() -> None:
    codes = ["310000400012345", "91110000600037341L", "A"]
    with mock.patch.object(_hashing, "CHUNK", 2):
        got = tickets_hex(ticket_digests(SEED, "S", codes))
    assert got == [hashlib.sha256(f"{SEED}:S:{c}".encode()).hexdigest() for c in codes]


@given(st.lists(usccs, min_size=1, max_size=40, unique=True), st.integers(1, 7), st.integers(1, 3))
def test_digests_do_not_depend_on_chunks_or_workers(codes: list[str], chunk: int, workers: int) -> None:
    # Tiny chunks and no parallel threshold: even 2 rows go through forked worker processes.
    with mock.patch.object(_hashing, "CHUNK", chunk), mock.patch.object(_hashing, "PARALLEL_MIN", 0):
        got = tickets_hex(ticket_digests(SEED, "LY-2027-Q1", codes, workers=workers))
    assert got == [ticket(SEED, "LY-2027-Q1", c) for c in codes]


def test_digests_of_selected_rows() -> None:
    codes = pd.Series(["91110000600037341L", "9144030071526726XG", "91110000710926094P"])
    got = tickets_hex(ticket_digests(SEED, "S", codes, rows=np.array([2, 0])))
    assert got == [ticket(SEED, "S", codes[2]), ticket(SEED, "S", codes[0])]


def test_a_failing_worker_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()

    def drain(self):  # type: ignore[no-untyped-def]
        # The parent leaves every chunk to the forked worker, which fails: no race decides the outcome.
        if os.getpid() != parent:
            raise MemoryError("simulated")

    monkeypatch.setattr(_hashing.HashJob, "_drain", drain)
    monkeypatch.setattr(_hashing, "PARALLEL_MIN", 0)
    codes = ["91110000600037341L", "9144030071526726XG", "91110000710926094P"]
    with pytest.raises(InternalError, match="1 hashing worker process"):
        ticket_digests(SEED, "S", codes, workers=2)


def test_a_cancelled_job_leaves_no_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_hashing, "PARALLEL_MIN", 0)
    job = _hashing.HashJob(b"p:", byte_column(["91110000600037341L"] * 1000), workers=2)
    children = list(job._children)
    job.cancel()
    for pid in children:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


# --- properties ----------------------------------------------------------------------------------


def _rows(frame: pd.DataFrame) -> list[dict[str, str]]:
    return frame.astype(str).to_dict("records")  # type: ignore[return-value]


def _draw_or_skip(frame: pd.DataFrame, doc: dict[str, Any], seed: str):  # type: ignore[no-untyped-def]
    try:
        return draw(frame, parse_plan(doc), seed)
    except AllocationError:  # a floor no ratio reaches (zero multipliers): a real, reported error
        assume(False)
        raise


@given(populations(), plans(), seeds)
def test_draw_matches_the_reference_implementation(frame: pd.DataFrame, doc: dict[str, Any], seed: str) -> None:
    try:
        result = draw(frame, parse_plan(doc), seed)
    except AllocationError:
        with pytest.raises(ValueError, match="unreachable"):
            reference.draw(_rows(frame), doc, seed)
        return
    ref = reference.draw(_rows(frame), doc, seed)
    for task in doc["tasks"]:
        sel = result.selection[result.selection["task_id"] == task["id"]]
        assert set(sel["uscc"]) == ref[task["id"]]["selected"]
        alloc = result.allocation[result.allocation["task_id"] == task["id"]]
        assert dict(zip(alloc["stratum"], alloc["threshold"], strict=True)) == ref[task["id"]]["threshold"]
        assert result.allocations[task["id"]].ratio == ref[task["id"]]["ratio"]


@given(populations(min_size=2), plans(), seeds, st.randoms(use_true_random=False))
def test_row_order_never_matters(frame: pd.DataFrame, doc: dict[str, Any], seed: str, rnd: Any) -> None:
    order = list(range(len(frame)))
    rnd.shuffle(order)
    shuffled = frame.iloc[order].reset_index(drop=True)
    a = _draw_or_skip(frame, doc, seed)
    b = _draw_or_skip(shuffled, doc, seed)
    for name in ("selection", "allocation", "excluded", "summary"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


@given(populations(), plans(), seeds)
def test_same_seed_same_draw(frame: pd.DataFrame, doc: dict[str, Any], seed: str) -> None:
    a = _draw_or_skip(frame, doc, seed)
    b = _draw_or_skip(frame.copy(), doc, seed)
    pd.testing.assert_frame_equal(a.selection, b.selection)


@given(populations(), plans(), seeds)
def test_thresholds_outcomes_and_counts(frame: pd.DataFrame, doc: dict[str, Any], seed: str) -> None:
    result = _draw_or_skip(frame, doc, seed)
    plan = result.plan
    for task in plan.tasks:
        alloc = result.allocations[task.id]
        out = result.outcomes(task.id)
        counts = out["outcome"].value_counts()
        row = result.summary.set_index("task_id").loc[task.id]
        assert counts["selected"] == row["sample"] == alloc.sample >= alloc.floor_target
        assert counts.sum() == len(frame) == row["out_of_scope"] + row["excluded"] + row["sample"] + row["not_selected"]
        for s in alloc.strata:
            assert s.sample <= s.population
        # Every eligible entity is selected exactly when its ticket is at or below its stratum's threshold.
        thresholds = dict(
            zip(
                result.allocation.loc[result.allocation["task_id"] == task.id, "stratum"],
                result.allocation.loc[result.allocation["task_id"] == task.id, "threshold"],
                strict=True,
            )
        )
        eligible = out[out["outcome"].isin(["selected", "not_selected"])].merge(frame, on="uscc")
        for rec in eligible.to_dict("records"):
            label = "|".join(f"{c}={rec[c]}" for c in task.strata)
            mine = ticket(seed, task.scope(plan.id), rec["uscc"])
            assert (rec["outcome"] == "selected") == (thresholds[label] != "" and mine <= thresholds[label])


@given(populations(min_size=5), populations(max_size=20), seeds)
def test_adding_entities_keeps_tickets_and_consistency(base: pd.DataFrame, extra: pd.DataFrame, seed: str) -> None:
    extra = extra[~extra["uscc"].isin(base["uscc"])]
    doc = {"id": "P", "floor": "0", "tasks": [{"id": "T", "department": "d", "items": ["i"], "ratio": "0.3"}]}
    before = draw(base, parse_plan(doc), seed)
    after = draw(pd.concat([base, extra], ignore_index=True), parse_plan(doc), seed)
    old = set(base["uscc"])
    # No one's ticket moved.
    merged = before.selection.merge(after.selection, on="uscc", suffixes=("_b", "_a"))
    assert (merged["ticket_b"] == merged["ticket_a"]).all()
    a_before = {s.label: s for s in before.allocations["T"].strata}
    for s in after.allocations["T"].strata:
        if s.label not in a_before:
            continue
        sel_b = set(before.selection.loc[before.selection["stratum"] == s.label, "uscc"])
        sel_a = set(after.selection.loc[after.selection["stratum"] == s.label, "uscc"])
        # Old entities drawn after the addition, in a stratum whose sample did not grow, were drawn before.
        if s.sample <= a_before[s.label].sample:
            assert (sel_a & old) <= sel_b


@given(populations(min_size=10), seeds, st.integers(1, 30), st.integers(1, 30))
def test_coordinated_tasks_overlap_maximally(frame: pd.DataFrame, seed: str, r1: int, r2: int) -> None:
    frame = frame.assign(status="存续")
    tasks = [
        {"id": "A", "department": "市场监管局", "items": ["i"], "ratio": f"0.{r1:02d}", "strata": ["region"]},
        {"id": "B", "department": "税务局", "items": ["i"], "ratio": f"0.{r2:02d}", "strata": ["region"]},
    ]
    result = draw(frame, parse_plan({"id": "P", "floor": "0", "tasks": tasks}), seed)
    sel = result.selection
    for region in frame["region"].unique():
        a = set(sel[(sel["task_id"] == "A") & (sel["stratum"] == f"region={region}")]["uscc"])
        b = set(sel[(sel["task_id"] == "B") & (sel["stratum"] == f"region={region}")]["uscc"])
        # Shared tickets: the smaller sample lies inside the larger one (positive coordination).
        assert a <= b or b <= a


def test_independent_tasks_do_not_share_tickets(city: pd.DataFrame) -> None:
    t = {"department": "d", "items": ["i"], "ratio": "0.2", "strata": ["region"], "coordination": "independent"}
    doc = {"id": "P", "floor": "0", "tasks": [{"id": "A", **t}, {"id": "B", **t}]}
    result = draw(city, parse_plan(doc), SEED)
    a = set(result.selection.loc[result.selection["task_id"] == "A", "uscc"])
    b = set(result.selection.loc[result.selection["task_id"] == "B", "uscc"])
    # Independent 20% samples overlap in about 20% of each other, not entirely.
    assert 0.1 < len(a & b) / len(a) < 0.3


# --- errors ----------------------------------------------------------------------------------------


def test_draw_errors(city: pd.DataFrame) -> None:
    plan = parse_plan({"id": "P", "tasks": [{"id": "T", "department": "d", "items": ["i"], "ratio": "0.1"}]})
    with pytest.raises(SeedError):
        draw(city, plan, "x")
    doc = {
        "id": "P",
        "multipliers": {"credit_class": {"A": "1", "B": "1"}},
        "tasks": [{"id": "T", "department": "d", "items": ["i"], "ratio": "0.1"}],
    }
    with pytest.raises(PlanError, match="no entry for the value 'C'"):
        draw(city, parse_plan(doc), SEED)


def test_empty_task_warns(city: pd.DataFrame) -> None:
    doc = {
        "id": "P",
        "tasks": [{"id": "T", "department": "d", "items": ["i"], "ratio": "0.1", "where": {"region": ["999999"]}}],
    }
    result = draw(city, parse_plan(doc), SEED)
    assert result.selection.empty and "no eligible entity" in result.warnings[0]


def test_draw_accepts_a_checked_population(city: pd.DataFrame, city_plan: Any) -> None:
    pop = check_population(city)
    a = draw(pop, city_plan, SEED)
    b = draw(city, city_plan, SEED)
    pd.testing.assert_frame_equal(a.selection, b.selection)


# --- statistics ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_inclusion_frequencies_match_the_design() -> None:
    """Over 2,400 draws (120 seeds x 20 independent tasks), each entity's selection frequency
    matches n_h/N_h and pairs are included as often as simple random sampling says."""
    codes = [c for c in pd.Series(usccs_fixed(30))]
    frame = pd.DataFrame({"uscc": codes, "credit_class": ["A"] * 20 + ["B"] * 10})
    t = {"department": "d", "items": ["i"], "ratio": "0.1", "coordination": "independent"}
    doc = {
        "id": "S",
        "floor": "0",
        "multipliers": {"credit_class": {"A": "1", "B": "3"}},
        "tasks": [{"id": f"T{i}", **t} for i in range(20)],
    }
    plan = parse_plan(doc)
    counts = dict.fromkeys(codes, 0)
    pair = 0
    runs = 0
    for k in range(120):
        seed = hashlib.sha256(f"stat-{k}".encode()).hexdigest()
        sel = draw(frame, plan, seed).selection
        for _, group in sel.groupby("task_id"):
            chosen = set(group["uscc"])
            runs += 1
            for c in chosen:
                counts[c] += 1
            pair += codes[0] in chosen and codes[1] in chosen
    # A: n=2 of 20 (p=0.1); B: n=3 of 10 (p=0.3). 4.5 standard deviations, Bonferroni over 30 entities.
    for i, c in enumerate(codes):
        p = 0.1 if i < 20 else 0.3
        sd = math.sqrt(runs * p * (1 - p))
        assert abs(counts[c] - runs * p) < 4.5 * sd, (c, counts[c], runs * p)
    # Pair inclusion under SRS of 2 from 20: 2*1/(20*19).
    p2 = 2 / (20 * 19)
    assert abs(pair - runs * p2) < 4.5 * math.sqrt(runs * p2 * (1 - p2))
    # A biased rule (always the smallest codes) would fail: the spread of counts is not degenerate.
    assert max(counts[c] for c in codes[:20]) < runs * 0.2


def usccs_fixed(n: int) -> list[str]:
    bodies = [f"9141030{1 + i % 3}{i:08d}{i % 10}" for i in range(n)]
    return [b + uscc_check_character(b) for b in bodies]
