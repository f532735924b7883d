"""Verification of published draws: the round trip, mutation of every file and field, and proofs."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pandas as pd
import pytest

from shuangsuiji.cli import main
from shuangsuiji.manifest import canonical_json
from shuangsuiji.proofs import make_proof, verify_proof
from shuangsuiji.verify import verify_draw

from .conftest import publish
from .json_edits import edit, leaves


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """commit -> draw on the example data, as a bureau would publish it."""
    tmp = tmp_path_factory.mktemp("pub")
    publish(tmp, entities=600, seed=5)
    return tmp


def test_round_trip_verifies(published: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = verify_draw(published / "pub/draw")
    assert result.ok, str(result)
    names = [c.name for c in result.checks]
    for expected in ("seed", "population Merkle root", "recomputed manifest", "tickets and thresholds"):
        assert expected in names
    assert main(["verify", str(published / "pub/draw")]) == 0
    assert "VERIFIED: " in capsys.readouterr().out


def _files(published: Path) -> list[Path]:
    """Every file the publication stands on: the inputs its manifest records, the commitment, the outputs."""
    draw = published / "pub/draw"
    manifest = json.loads((draw / "manifest.json").read_bytes())
    return [
        *(draw / entry["path"] for entry in manifest["inputs"].values()),
        published / "pub/commitment.json",
        *(p for p in draw.iterdir() if not p.name.startswith("proof")),
    ]


def test_a_single_changed_byte_anywhere_is_caught(published: Path) -> None:
    rng = random.Random(1)
    for path in _files(published):
        original = path.read_bytes()
        positions = sorted({0, len(original) // 2, len(original) - 1, *rng.sample(range(len(original)), 3)})
        for pos in positions:
            mutated = bytearray(original)
            mutated[pos] ^= 0x01
            path.write_bytes(bytes(mutated))
            try:
                result = verify_draw(published / "pub/draw")
            finally:
                path.write_bytes(original)
            assert not result.ok, f"{path.name} byte {pos} changed, yet verified"
    assert verify_draw(published / "pub/draw").ok


@pytest.mark.parametrize("every", [False, pytest.param(True, marks=pytest.mark.exhaustive)])
def test_every_manifest_field_is_checked(published: Path, every: bool) -> None:
    """Change each field and re-seal the manifest, as a forger would: the content checks catch it.

    Every field kind is changed at the first and last element of each list; the exhaustive run
    (``pytest -m exhaustive``) changes every single field.
    """
    draw = published / "pub/draw"
    original = (draw / "manifest.json").read_bytes()
    seal = (draw / "manifest.sha256").read_bytes()
    manifest = json.loads(original)
    paths = leaves(manifest, every=every)
    assert len(paths) > 60
    try:
        for path in paths:
            changed = json.loads(original)
            edit(changed, path)
            data = canonical_json(changed)
            (draw / "manifest.json").write_bytes(data)
            (draw / "manifest.sha256").write_text(f"{hashlib.sha256(data).hexdigest()}  manifest.json\n")
            assert not verify_draw(draw).ok, f"manifest field {'.'.join(map(str, path))} changed, yet verified"
    finally:
        (draw / "manifest.json").write_bytes(original)
        (draw / "manifest.sha256").write_bytes(seal)


def test_proofs_of_each_outcome(published: Path) -> None:
    draw = published / "pub/draw"
    manifest = (draw / "manifest.json").read_bytes()
    sel = pd.read_csv(draw / "selection.csv", dtype=str, encoding="utf-8-sig")
    exc = pd.read_csv(draw / "excluded.csv", dtype=str, encoding="utf-8-sig")
    pop = pd.read_csv(published / "in/population.csv", dtype=str, encoding="utf-8-sig")
    chosen = {sel["uscc"].iloc[0], exc["uscc"].iloc[0], *pop["uscc"].iloc[:5]}
    outcomes = set()
    for code in chosen:
        proof = make_proof(draw, code)
        result = verify_proof(proof, manifest)
        assert result.ok, str(result)
        outcomes |= {t.outcome for t in proof.tasks}
    assert {"selected", "not_selected", "excluded", "out_of_scope"} <= outcomes


def test_tampered_proofs_fail(published: Path, capsys: pytest.CaptureFixture[str]) -> None:
    draw = published / "pub/draw"
    manifest = (draw / "manifest.json").read_bytes()
    code = pd.read_csv(draw / "selection.csv", dtype=str, encoding="utf-8-sig")["uscc"].iloc[0]
    proof = make_proof(draw, code).to_dict()
    assert verify_proof(proof, manifest).ok
    tampered = [
        {**proof, "tasks": [{**proof["tasks"][0], "outcome": "not_selected"}, *proof["tasks"][1:]]},
        {**proof, "leaf": proof["leaf"].replace('"credit_class":"', '"credit_class":"X')},
        {**proof, "audit_path": proof["audit_path"][:-1]},
        {**proof, "leaf_index": proof["leaf_index"] + 1},
        {**proof, "uscc": "91110000600037341L"},
        {**proof, "manifest_sha256": "0" * 64},
        {**proof, "tasks": proof["tasks"][1:]},
    ]
    for bad in tampered:
        assert not verify_proof(bad, manifest).ok
    # The command line writes and checks proofs too.
    out = published / "proof.json"
    assert main(["prove", str(draw), "--uscc", code, "--out", str(out)]) == 0
    assert main(["verify-proof", str(out), "--manifest", str(draw / "manifest.json")]) == 0
    out.write_text(json.dumps(tampered[0]))
    assert main(["verify-proof", str(out), "--manifest", str(draw / "manifest.json")]) == 1
    # A code not in the population gets the proof of its absence (tests/test_absence.py).
    assert main(["prove", str(draw), "--uscc", "91110000600037341L", "--out", str(out)]) == 0
    assert "not in the committed population" in capsys.readouterr().out
    assert json.loads(out.read_text())["format"] == "shuangsuiji-absence/1"


def test_seed_mode_draw_verifies_and_missing_files_fail(tmp_path: Path) -> None:
    assert main(["example", "--out", str(tmp_path / "in"), "--entities", "150"]) == 0
    args = ["--population", str(tmp_path / "in/population.csv"), "--plan", str(tmp_path / "in/plan.toml")]
    assert main(["draw", *args, "--seed", "1" * 64, "--out", str(tmp_path / "d")]) == 0
    result = verify_draw(tmp_path / "d")
    assert result.ok and "no ceremony" in next(c.detail for c in result.checks if c.name == "seed")
    (tmp_path / "in/population.csv").unlink()
    result = verify_draw(tmp_path / "d")
    assert not result.ok and any(c.name == "input population" and not c.ok for c in result.checks)
    assert not verify_draw(tmp_path / "nowhere").ok
