"""Published files read back: malformed or mismatched ones meet the library's own errors, never a traceback."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import dask
import dask.dataframe as dd
import pandas as pd
import pytest

import shuangsuiji as ssj
from shuangsuiji.cli import main
from shuangsuiji.io import write_csv
from shuangsuiji.synthetic import make_roster

from .conftest import GOLDEN_SEED, publish, publish_staffed


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A draw published with a ceremony, and its assignment (with relations and requests)."""
    return publish_staffed(tmp_path_factory.mktemp("published"), entities=500, seed=8, people=("relations", "requests"))


def _copy(draw: Path, tmp_path: Path) -> Path:
    """A copy of the whole publication (inputs included), to break without breaking the fixture."""
    shutil.copytree(draw.parent.parent, tmp_path / "copy")
    return tmp_path / "copy" / "pub" / "draw"


def _code(draw: Path) -> str:
    return str(pd.read_csv(draw / "selection.csv", dtype=str, encoding="utf-8-sig")["uscc"].iloc[0])


def test_a_proof_needs_a_merkle_root(tmp_path: Path, vectors: Path, golden_population: pd.DataFrame) -> None:
    result = ssj.draw(golden_population, ssj.load_plan(vectors / "golden_plan.toml"), GOLDEN_SEED)
    ssj.write_draw(result, tmp_path)  # no population record: no root
    with pytest.raises(ssj.ProofError, match="no Merkle root"):
        ssj.make_proof(tmp_path, result.selection["uscc"].iloc[0])


def test_a_population_that_is_not_the_one_drawn_is_named(tmp_path: Path) -> None:
    population = ssj.make_population(400, seed=6)[["uscc", "name", "credit_class", "region"]]
    write_csv(population, tmp_path / "population.csv")
    plan = 'id = "P"\n[[tasks]]\nid = "T"\ndepartment = "d"\nitems = ["x"]\nratio = "0.1"\nstrata = ["region"]\n'
    (tmp_path / "plan.toml").write_text(plan, encoding="utf-8")
    files = ssj.DrawFiles(population=tmp_path / "population.csv", plan=tmp_path / "plan.toml")
    drawn = ssj.run_draw(files, tmp_path / "draw", seed=GOLDEN_SEED)
    code = str(population["uscc"].iat[0])
    moved = population.assign(region=population["region"].where(population["uscc"] != code, "999999"))
    write_csv(moved, tmp_path / "moved.csv")
    with pytest.raises(ssj.ProofError, match="is not the population this draw read"):
        ssj.make_proof(drawn.out, code, population=tmp_path / "moved.csv")
    assert ssj.make_proof(drawn.out, code).uscc == code


def test_malformed_proofs_fail_a_check_and_bad_manifests_are_named(published: Path, tmp_path: Path) -> None:
    manifest = (published / "manifest.json").read_bytes()
    proof = ssj.make_proof(published, _code(published)).to_dict()
    crafted = [
        [],
        {**proof, "leaf_index": "3"},
        {**proof, "tasks": "all selected"},
        {k: v for k, v in proof.items() if k != "tree_size"},
        {**proof, "leaf": json.dumps({**json.loads(proof["leaf"]), "industry": 5, "uscc": proof["uscc"]})},
    ]
    for bad in crafted:
        result = ssj.verify_proof(bad, manifest)
        assert not result.ok
    assert [c.name for c in ssj.verify_proof([], manifest).checks] == ["proof readable"]
    with pytest.raises(ssj.ManifestError, match="not a JSON file"):
        ssj.verify_proof(proof, b"not json")
    path = tmp_path / "proof.json"
    path.write_text(json.dumps([1, 2]), encoding="utf-8")
    assert main(["verify-proof", str(path), "--manifest", str(published / "manifest.json")]) == 1
    path.write_text("{", encoding="utf-8")
    assert main(["verify-proof", str(path), "--manifest", str(published / "manifest.json")]) == 2


@pytest.mark.parametrize(
    ("file", "change", "error"),
    [
        ("manifest.json", lambda d: {**d, "tasks": "none"}, "'tasks' must be a list"),
        ("manifest.json", lambda d: {k: v for k, v in d.items() if k != "seed"}, "has no 'seed'"),
        ("manifest.json", lambda d: {**d, "format": "other/1"}, "not a draw manifest"),
        ("assignment.json", lambda d: {**d, "counts": []}, "'counts' must be an object"),
    ],
)
def test_damaged_manifests_meet_manifest_errors(
    published: Path, tmp_path: Path, file: str, change: object, error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    draw = _copy(published, tmp_path)
    data = json.loads((draw / file).read_bytes())
    (draw / file).write_text(json.dumps(change(data)), encoding="utf-8")  # type: ignore[operator]
    reader = ssj.Manifest if file == "manifest.json" else ssj.AssignmentManifest
    with pytest.raises(ssj.ManifestError, match=error):
        reader.read(draw)
    assert main(["verify", str(draw)]) == 1
    out = capsys.readouterr().out
    assert error in out and "Traceback" not in out
    if file == "manifest.json":
        for argv in (["notices", str(draw), "--out", str(tmp_path / "n")], ["report", str(draw)]):
            assert main(argv) == 2
            assert error in capsys.readouterr().err


def test_inspector_names_need_the_recorded_roster(published: Path, tmp_path: Path) -> None:
    draw = _copy(published, tmp_path)
    data = json.loads((draw / "assignment.json").read_bytes())
    data["inputs"].pop("roster")
    edited = json.dumps(data).encode("utf-8")
    (draw / "assignment.json").write_bytes(edited)
    with pytest.raises(ssj.FolderError, match=r"does not seal assignment\.json"):  # changed since it was sealed
        ssj.run_notices(draw, tmp_path / "n", publish_inspector_names=True)
    (draw / "assignment.sha256").write_text(f"{hashlib.sha256(edited).hexdigest()}  assignment.json\n")
    with pytest.raises(ssj.NotFoundError, match="records no roster"):
        ssj.run_notices(draw, tmp_path / "n", publish_inspector_names=True)


def test_records_in_their_plain_form_write_the_same_manifest(
    tmp_path: Path, vectors: Path, golden_population: pd.DataFrame
) -> None:
    result = ssj.draw(golden_population, ssj.load_plan(vectors / "golden_plan.toml"), GOLDEN_SEED)
    typed = ssj.write_draw(result, tmp_path / "a", seed_record=ssj.SeedRecord(), population_record=None)
    plain = ssj.write_draw(
        result, tmp_path / "b", seed_record={"mode": "seed"}, population_record={"rows": result.population_size}
    )
    assert typed.to_bytes() == plain.to_bytes()
    with pytest.raises(ssj.InputError, match="seed_record must be a JSON object"):
        ssj.write_draw(result, tmp_path / "c", seed_record="seed")  # type: ignore[arg-type]
    assert not (tmp_path / "c").exists()  # nothing written when the manifest cannot be made
    assert ssj.canonical_json(typed) == typed.to_bytes()
    with pytest.raises(ssj.InputError, match="canonical JSON"):
        ssj.canonical_json({"x": float("nan")})


def test_the_assignment_reads_the_population_as_the_draw_did(tmp_path: Path) -> None:
    """A population in the second sheet of a workbook: the draw's --sheet is the assignment's too."""
    draw = publish(tmp_path / "csv", entities=300, seed=9)
    folder = tmp_path / "csv" / "in"
    population = pd.read_csv(folder / "population.csv", dtype=str, encoding="utf-8-sig")
    book = tmp_path / "population.xlsx"
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"说明": ["检查对象名录库"]}).to_excel(writer, sheet_name="说明", index=False)
        population.to_excel(writer, sheet_name="entities", index=False)
    inputs = ["--population", str(book), "--plan", str(folder / "plan.toml"), "--sheet", "entities"]
    out = tmp_path / "xlsx"
    assert main(["draw", *inputs, "--seed", GOLDEN_SEED, "--out", str(out)]) == 0
    write_csv(make_roster(population, seed=9), folder / "roster.csv")
    assign = ["assign", str(out), "--population", str(book), "--roster", str(folder / "roster.csv"), "--allow-partial"]
    assert main([*assign, f"--calendar-overrides={folder / 'calendar-2027.csv'}"]) == 0
    recorded = ssj.AssignmentManifest.read(out).inputs["population"]
    assert recorded.sheet == "entities"
    assert ssj.verify_draw(out).ok
    assert draw.exists()


def test_outcomes_number_rows_alike_on_both_engines() -> None:
    """A frame's own index numbers its rows on either engine (as check_population takes it)."""
    frame = ssj.make_population(900, seed=4)  # a plain frame: index 0..899
    plan = ssj.parse_plan(
        {"id": "P", "tasks": [{"id": "T", "department": "d", "items": ["x"], "ratio": "0.2", "strata": ["region"]}]}
    )
    memory = ssj.draw(frame, plan, GOLDEN_SEED)
    with dask.config.set(scheduler="sync"):
        on_dask = ssj.draw(dd.from_pandas(frame, npartitions=4, sort=False), plan, GOLDEN_SEED)
        got = on_dask.outcomes("T")
    expected = memory.outcomes("T")
    assert got["row"].tolist() == expected["row"].tolist() == list(range(900))
    assert got["outcome"].astype(str).tolist() == expected["outcome"].astype(str).tolist()
    bad = frame.copy()
    bad.loc[700, "region"] = ""
    with pytest.raises(ssj.PopulationError) as in_memory:
        ssj.check_population(bad, plan)
    with dask.config.set(scheduler="sync"), pytest.raises(ssj.PopulationError) as partitioned:
        ssj.draw(dd.from_pandas(bad, npartitions=4, sort=False), plan, GOLDEN_SEED)
    assert [p.row for p in partitioned.value.problems] == [p.row for p in in_memory.value.problems] == [700]
