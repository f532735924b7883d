"""The draw on Dask equals the draw in memory, file for file; the streamed Merkle root equals the in-memory one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster
from hypothesis import given, strategies as st

from shuangsuiji import (
    InputError,
    PopulationError,
    check_population,
    distributed as engine,
    draw,
    engines,
    parse_plan,
    read_table,
)
from shuangsuiji.ceremony import population_root, population_root_parquet
from shuangsuiji.cli import main
from shuangsuiji.exceptions import AllocationError
from shuangsuiji.exclusions import check_history
from shuangsuiji.io import iter_parquet, parquet_partitions
from shuangsuiji.manifest import draw_tables
from shuangsuiji.plan import Plan, load_plan
from shuangsuiji.proofs import make_proof, verify_proof
from shuangsuiji.uscc import uscc_check_character
from shuangsuiji.verify import verify_draw

from .conftest import SEED, publish
from .strategies import plans, populations, seeds

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "data"


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """A local cluster of two worker processes, as the CLI starts by default."""
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def example() -> tuple[pd.DataFrame, Plan, Any]:
    frame = read_table(EXAMPLES / "population.csv")
    history = check_history(read_table(EXAMPLES / "history.csv"))
    return frame, load_plan(EXAMPLES / "plan.toml"), history


def _same(a: Any, b: Any) -> None:
    """Two draws write the same bytes and carry the same warnings and allocations."""
    assert draw_tables(a) == draw_tables(b)
    assert a.warnings == b.warnings
    assert dict(a.allocations) == dict(b.allocations)


def test_example_data_on_a_local_cluster_is_identical(client: Client, example: Any) -> None:
    frame, plan, history = example
    memory = draw(frame, plan, SEED, history=history)
    assert len(memory.selection) > 0 and len(memory.excluded) > 0
    for partitions in (1, 4, 9):
        on_dask = draw(dd.from_pandas(frame, npartitions=partitions, sort=False), plan, SEED, history=history)
        _same(memory, on_dask)
        assert on_dask.population is None


def test_few_histogram_buckets_still_give_the_exact_draw(example: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """With 4 buckets many candidates tie at the boundary: the merge must still be exact."""
    frame, plan, history = example
    monkeypatch.setattr(engine, "BUCKET_BITS", 2)
    monkeypatch.setattr(engine, "_SHIFT", np.uint64(62))
    memory = draw(frame, plan, SEED, history=history)
    with dask.config.set(scheduler="sync"):
        _same(memory, draw(dd.from_pandas(frame.iloc[::-1], npartitions=6, sort=False), plan, SEED, history=history))


@given(populations(min_size=1, max_size=80), plans(), seeds, st.integers(1, 6), st.integers(1, 6))
def test_any_partitioning_gives_the_in_memory_draw(
    frame: pd.DataFrame, doc: dict[str, Any], seed: str, partitions: int, bits: int
) -> None:
    plan = parse_plan(doc)
    try:
        memory = draw(frame, plan, seed)
    except AllocationError as exc:
        with dask.config.set(scheduler="sync"), pytest.raises(AllocationError) as caught:
            draw(dd.from_pandas(frame, npartitions=partitions, sort=False), plan, seed)
        assert str(caught.value) == str(exc)
        return
    old = engine.BUCKET_BITS, engine._SHIFT
    engine.BUCKET_BITS, engine._SHIFT = bits, np.uint64(64 - bits)
    try:
        with dask.config.set(scheduler="sync"):
            on_dask = draw(dd.from_pandas(frame, npartitions=partitions, sort=False), plan, seed)
    finally:
        engine.BUCKET_BITS, engine._SHIFT = old
    _same(memory, on_dask)


def _problems(exc: PopulationError) -> list[tuple[Any, ...]]:
    return sorted((p.row, p.column, p.value, p.message) for p in exc.problems)


def test_problems_across_partitions_are_all_reported_with_file_rows(example: Any) -> None:
    frame, plan, _ = example
    bad = frame.copy()
    bad.loc[bad.index[5], "uscc"] = bad["uscc"].iat[1500]  # a repeat in another partition
    bad.loc[bad.index[1999], "uscc"] = bad["uscc"].iat[1500]  # and a second one
    bad.loc[bad.index[700], "uscc"] = "91410300MA44XXXXX1"  # a wrong check character
    bad.loc[bad.index[1200], "credit_class"] = "E"
    with pytest.raises(PopulationError) as memory:
        check_population(bad, plan)
    with dask.config.set(scheduler="sync"), pytest.raises(PopulationError) as on_dask:
        draw(dd.from_pandas(bad, npartitions=7, sort=False), plan, SEED)
    assert _problems(on_dask.value) == _problems(memory.value)
    rows = {p.row for p in on_dask.value.problems}
    assert rows == {1502, 2001, 702, 1202}  # the later copies repeat row 7
    assert "already appears in row 7;" in str(on_dask.value)


def test_header_and_empty_input_errors(example: Any) -> None:
    frame, plan, _ = example
    with pytest.raises(PopulationError, match="no 'uscc'"):
        draw(dd.from_pandas(frame.drop(columns="uscc"), npartitions=2), plan, SEED)
    with pytest.raises(PopulationError, match="read this column but the table has no such column"):
        draw(dd.from_pandas(frame.drop(columns="region"), npartitions=2), plan, SEED)
    with dask.config.set(scheduler="sync"), pytest.raises(PopulationError, match="no rows"):
        draw(dd.from_pandas(frame.iloc[:0], npartitions=1), plan, SEED)
    with pytest.raises(InputError, match="got list"):
        draw([1, 2], plan, SEED)  # type: ignore[arg-type]


def test_imputed_credit_classes_warn_as_in_memory(example: Any) -> None:
    frame, _, _ = example
    doc = {
        "id": "P",
        "credit": {"missing": "B"},
        "tasks": [{"id": "T1", "department": "市场监管局", "items": ["x"], "ratio": "0.1"}],
    }
    plan = parse_plan(doc)
    holes = frame.copy()
    holes.loc[holes.index[[900, 30, 1700]], "credit_class"] = ""
    memory = draw(holes, plan, SEED)
    with dask.config.set(scheduler="sync"):
        on_dask = draw(dd.from_pandas(holes, npartitions=5, sort=False), plan, SEED)
    _same(memory, on_dask)
    assert any("3 entities have no credit class" in w and "row 32" in w for w in on_dask.warnings)


def test_normalised_codes_warn_as_in_memory(example: Any) -> None:
    """Full-width codes and blanks in codes: the Dask draw warns as the memory draw does (same manifest)."""
    frame, plan, _ = example
    wide = frame.copy()
    for i in (1200, 40, 41):  # full-width digits in two rows, a blank in a third
        code = wide.at[wide.index[i], "uscc"]
        wide.at[wide.index[i], "uscc"] = code[:4] + " " + code[4:] if i == 41 else code.translate(_FULL_WIDTH)
    memory = draw(wide, plan, SEED)
    with dask.config.set(scheduler="sync"):
        on_dask = draw(dd.from_pandas(wide, npartitions=4, sort=False), plan, SEED)
    _same(memory, on_dask)
    assert any(w.startswith("3 codes held full-width characters") and "row 42" in w for w in on_dask.warnings)
    assert memory.warnings == on_dask.warnings


_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_outcomes_of_every_row(example: Any) -> None:
    frame, plan, history = example
    memory = draw(frame, plan, SEED, history=history)
    pop = dd.from_pandas(frame, npartitions=3, sort=False)
    with dask.config.set(scheduler="sync"):
        on_dask = draw(pop, plan, SEED, history=history)
        for task in plan.tasks:
            lazy = engine.outcomes(pop, on_dask, task.id).compute()
            expected = memory.outcomes(task.id)
            assert lazy["uscc"].tolist() == expected["uscc"].tolist()
            assert lazy["row"].tolist() == expected["row"].tolist()
            assert lazy["outcome"].astype(str).tolist() == expected["outcome"].astype(str).tolist()
            again = on_dask.outcomes(task.id)  # the same DrawResult method on both engines
            assert again["uscc"].tolist() == expected["uscc"].tolist()
            assert again["row"].tolist() == expected["row"].tolist()
            assert again["outcome"].astype(str).tolist() == expected["outcome"].astype(str).tolist()


def test_parquet_partitions_read_as_read_table_reads(tmp_path: Path, example: Any) -> None:
    frame, _, _ = example
    path = tmp_path / "pop.parquet"
    renamed = frame.rename(columns={"uscc": "统一社会信用代码"})
    renamed.assign(extra=np.arange(len(frame)) * 1.5).to_parquet(path, index=False, row_group_size=300)
    assert len(parquet_partitions(path, 700)) == 3  # 300+300+300 | 300+300+300 | 200
    with dask.config.set(scheduler="sync"):
        lazy = engine.read_parquet_dask(path, columns={"uscc", "credit_class"}, partition_rows=700)
        got = lazy.compute()
    assert got.columns.tolist() == ["uscc", "credit_class"]
    whole = read_table(path)
    pd.testing.assert_frame_equal(got, whole[["uscc", "credit_class"]], check_dtype=False)  # Dask's string[pyarrow]
    batches = list(iter_parquet(path, batch_rows=512))
    assert [b.index[0] for b in batches] == [2, 514, 1026, 1538]
    pd.testing.assert_frame_equal(pd.concat(batches), whole)


def test_streamed_merkle_root_equals_the_in_memory_root(tmp_path: Path, example: Any) -> None:
    frame, plan, _ = example
    path = tmp_path / "sorted.parquet"
    frame.sort_values("uscc").to_parquet(path, index=False, row_group_size=128)
    expected = population_root(check_population(frame, plan), plan)
    for batch in (1, 100, 1999, 5000):
        assert population_root_parquet(path, plan, batch_rows=batch) == expected


def test_streamed_root_refuses_unsorted_repeated_and_empty_files(tmp_path: Path, example: Any) -> None:
    frame, plan, _ = example
    ordered = frame.sort_values("uscc").reset_index(drop=True)
    repeated = pd.concat([ordered.iloc[:100], ordered.iloc[[99, 99]], ordered.iloc[100:]], ignore_index=True)
    repeated.to_parquet(tmp_path / "rep.parquet", index=False)
    with pytest.raises(PopulationError) as caught:
        population_root_parquet(tmp_path / "rep.parquet", plan, batch_rows=101)  # the run crosses a batch
    assert [(p.row, p.message) for p in caught.value.problems] == [
        (102, "this code already appears in row 101; keep one row per entity"),
        (103, "this code already appears in row 101; keep one row per entity"),
    ]
    ordered.iloc[::-1].to_parquet(tmp_path / "desc.parquet", index=False)
    with pytest.raises(PopulationError, match=r"row 3.*sort the file by uscc"):
        population_root_parquet(tmp_path / "desc.parquet", plan)
    ordered.iloc[:0].to_parquet(tmp_path / "empty.parquet", index=False)
    with pytest.raises(PopulationError, match="no rows"):
        population_root_parquet(tmp_path / "empty.parquet", plan)
    ordered.drop(columns="uscc").to_parquet(tmp_path / "nocode.parquet", index=False)
    with pytest.raises(PopulationError, match="no 'uscc'"):
        population_root_parquet(tmp_path / "nocode.parquet", plan)


def _cli_inputs(path: Path) -> list[str]:
    return [
        "--population",
        str(path),
        "--plan",
        str(EXAMPLES / "plan.toml"),
        "--history",
        str(EXAMPLES / "history.csv"),
    ]


def test_cli_dask_engine_writes_the_same_files(tmp_path: Path, example: Any) -> None:
    frame, _, _ = example
    path = tmp_path / "pop.parquet"
    frame.sort_values("uscc").to_parquet(path, index=False, row_group_size=250)
    args = [*_cli_inputs(path), "--seed", SEED]
    assert main(["draw", *args, "--out", str(tmp_path / "memory")]) == 0
    dask_opts = ["--engine", "dask", "--workers", "2", "--partition-rows", "600"]
    assert main(["draw", *args, *dask_opts, "--out", str(tmp_path / "dask")]) == 0
    for name in ("selection.csv", "allocation.csv", "excluded.csv", "summary.csv", "manifest.json"):
        assert (tmp_path / "memory" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes(), name
    manifest = json.loads((tmp_path / "dask/manifest.json").read_bytes())
    assert len(manifest["population"]["merkle_root"]) == 64


def test_cli_ceremony_on_dask_verifies(tmp_path: Path, example: Any, capsys: pytest.CaptureFixture[str]) -> None:
    frame, _, _ = example
    path = tmp_path / "pop.parquet"
    frame.sort_values("uscc").to_parquet(path, index=False, row_group_size=500)
    dask_opts = ["--engine", "dask", "--workers", "2"]
    pub = tmp_path / "pub"
    keep = tmp_path / "private/secret.txt"
    commit = ["commit", *_cli_inputs(path), "--beacon", "drand round 7"]
    assert main([*commit, "--out", str(pub), "--secret-out", str(keep), *dask_opts]) == 0
    memory_commit = tmp_path / "memory-commit"
    assert main([*commit, "--out", str(memory_commit), "--secret-out", str(tmp_path / "private/other.txt")]) == 0
    a = json.loads((pub / "commitment.json").read_bytes())["population"]
    assert a == json.loads((memory_commit / "commitment.json").read_bytes())["population"]
    secret = [
        "--commitment",
        str(pub / "commitment.json"),
        "--beacon-value",
        "ab12",
        "--secret",
        str(keep),
    ]
    assert main(["draw", *_cli_inputs(path), *secret, *dask_opts, "--out", str(pub / "draw")]) == 0
    capsys.readouterr()
    assert main(["verify", str(pub / "draw")]) == 0
    assert "VERIFIED" in capsys.readouterr().out
    assert main(["verify", str(pub / "draw"), *dask_opts]) == 0
    out = capsys.readouterr().out
    assert "population Merkle root" in out and "VERIFIED" in out
    # A changed byte is caught on Dask too.
    selection = pub / "draw/selection.csv"
    original = selection.read_bytes()
    selection.write_bytes(original[:-2] + bytes([original[-2] ^ 1]) + original[-1:])
    try:
        with dask.config.set(scheduler="sync"):
            assert not verify_draw(pub / "draw", engine="dask").ok
    finally:
        selection.write_bytes(original)
    with dask.config.set(scheduler="sync"):
        assert verify_draw(pub / "draw", engine="dask", partition_rows=300).ok


def test_verify_on_dask_needs_parquet_and_a_known_engine(tmp_path: Path) -> None:
    draw_dir = publish(tmp_path, entities=300, seed=5)
    with pytest.raises(InputError, match="'memory' or 'dask'"):
        verify_draw(draw_dir, engine="spark")
    with dask.config.set(scheduler="sync"):
        result = verify_draw(draw_dir, engine="dask")
    assert not result.ok
    assert any(c.name == "draw recomputed" and "as Parquet" in c.detail for c in result.checks)


def test_cli_dask_errors_print_without_traceback(
    tmp_path: Path, example: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    frame, _, _ = example
    path = tmp_path / "pop.parquet"
    frame.iloc[::-1].to_parquet(path, index=False)  # not sorted by code
    args = [*_cli_inputs(path), "--seed", SEED, "--engine", "dask", "--out", str(tmp_path / "o")]
    assert main(["draw", *args]) == 2
    err = capsys.readouterr().err
    assert "sort the file by uscc" in err and "Traceback" not in err
    sorted_path = tmp_path / "sorted.parquet"
    frame.sort_values("uscc").to_parquet(sorted_path, index=False)
    args = [*_cli_inputs(sorted_path), "--seed", SEED, "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"]
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        assert main(["draw", *args, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "Cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in err and "Traceback" not in err


def test_candidates_with_equal_leading_bits_are_ordered_by_whole_ticket_then_code() -> None:
    tickets = ["00" * 8 + "ff" * 24, "00" * 8 + "aa" * 24, "00" * 8 + "aa" * 24, "01" + "00" * 31]
    frame = pd.DataFrame(
        {
            "task": np.zeros(4, dtype=np.int32),
            "stratum": np.zeros(4, dtype=np.int32),
            "key": np.array([0, 0, 0, 1 << 56], dtype=np.uint64),
            "uscc": ["C", "B", "A", "D"],
            "ticket": tickets,
            "name": "",
        }
    )
    merged = engine._merge_candidates(frame.iloc[::-1].reset_index(drop=True))
    assert merged["uscc"].tolist() == ["A", "B", "C", "D"]
    untied = frame.assign(key=np.array([3, 2, 1, 0], dtype=np.uint64), stratum=np.array([1, 0, 1, 0], dtype=np.int32))
    assert engine._merge_candidates(untied)["uscc"].tolist() == ["D", "B", "A", "C"]


def test_memory_engine_stops_before_a_population_too_large_for_memory(
    tmp_path: Path, example: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    frame, _, _ = example
    path = tmp_path / "pop.parquet"
    frame.to_parquet(path, index=False)
    monkeypatch.setattr(engines, "_available_memory", lambda: 100_000)
    args = [*_cli_inputs(path), "--seed", SEED, "--out", str(tmp_path / "o")]
    assert main(["draw", *args]) == 2
    err = capsys.readouterr().err
    assert "2,000 entities need about" in err and "--engine dask" in err and "Traceback" not in err
    monkeypatch.setattr(engines, "_available_memory", lambda: 2**40)
    assert main(["draw", *args]) == 0


def test_streamed_proofs_equal_in_memory_proofs(tmp_path: Path, example: Any) -> None:
    frame, _, _ = example
    path = tmp_path / "pop.parquet"
    frame.sort_values("uscc").to_parquet(path, index=False, row_group_size=300)
    pub = tmp_path / "pub"
    dask_opts = ["--engine", "dask", "--workers", "1", "--partition-rows", "700"]
    assert main(["commit", *_cli_inputs(path), "--beacon", "drand round 9", "--out", str(pub), "--no-secret"]) == 0
    beacon = ["--commitment", str(pub / "commitment.json"), "--beacon-value", "77"]
    assert main(["draw", *_cli_inputs(path), *beacon, *dask_opts, "--out", str(pub / "draw")]) == 0
    manifest = (pub / "draw/manifest.json").read_bytes()
    codes = frame["uscc"].sort_values().tolist()
    for code in (codes[0], codes[699], codes[700], codes[1234], codes[-1]):
        memory = make_proof(pub / "draw", code)
        streamed = make_proof(pub / "draw", code, stream=True, batch_rows=256)
        assert streamed == memory
        assert verify_proof(streamed, manifest).ok
    assert main(["prove", str(pub / "draw"), "--uscc", codes[5], "--stream", "--out", str(tmp_path / "p.json")]) == 0
    assert json.loads((tmp_path / "p.json").read_bytes()) == make_proof(pub / "draw", codes[5]).to_dict()
    with pytest.raises(InputError, match="not in the population"):
        make_proof(pub / "draw", "91410300MA0000000X", stream=True)
    longer = tmp_path / "longer.parquet"
    extra = "91410399MA4000000" + uscc_check_character("91410399MA4000000")
    pd.concat([frame, frame.iloc[:1].assign(uscc=extra)]).sort_values("uscc").to_parquet(longer, index=False)
    with pytest.raises(InputError, match="more rows than"):
        make_proof(pub / "draw", codes[3], population=longer, stream=True)


def test_a_population_that_changes_between_the_passes_is_refused(example: Any) -> None:
    """A source that gives other rows on the second read (a table rewritten meanwhile) must not be drawn from."""
    frame, plan, _ = example
    reads: list[int] = []

    def part(i: int) -> pd.DataFrame:
        reads.append(i)
        chunk = frame.iloc[i * 500 : (i + 1) * 500]
        return chunk if len(reads) <= 4 else chunk.iloc[: len(chunk) // 2]  # pass 2 sees half the rows

    population = dd.from_map(part, range(4), meta=frame.iloc[:0])
    with dask.config.set(scheduler="sync"), pytest.raises(InputError, match="changed between passes"):
        draw(population, plan, SEED)


def test_empty_parquet_and_streamed_proof_errors(tmp_path: Path, example: Any) -> None:
    frame, plan, _ = example
    frame.iloc[:0].to_parquet(tmp_path / "empty.parquet", index=False)
    with dask.config.set(scheduler="sync"), pytest.raises(PopulationError, match="no rows"):
        draw(engine.read_parquet_dask(tmp_path / "empty.parquet"), plan, SEED)
    draw_dir = publish(tmp_path / "pub", entities=200, seed=3)
    with pytest.raises(InputError, match="as Parquet sorted by uscc"):
        make_proof(draw_dir, frame["uscc"].iat[0], stream=True)
