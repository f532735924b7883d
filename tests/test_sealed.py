"""A sealed plan: at the draw nothing published tells a firm its fate; after the reveal everything verifies."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from shuangsuiji import parse_plan
from shuangsuiji.cli import main
from shuangsuiji.exceptions import CeremonyError, FolderError, PlanError
from shuangsuiji.inputs import DrawFiles
from shuangsuiji.proofs import make_proof, verify_proof
from shuangsuiji.verify import verify_draw
from shuangsuiji.workflow import run_commit, run_publish

from .conftest import example_inputs

BASE = {"id": "P", "tasks": [{"id": "T", "department": "d", "items": ["i"], "ratio": "0.1"}]}


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("sealed")
    assert main(["example", "--out", str(tmp / "in"), "--entities", "400", "--seed", "21"]) == 0
    plan = tmp / "in/plan.toml"
    plan.write_text(plan.read_text(encoding="utf-8") + '\n[publication]\nmode = "sealed"\n', encoding="utf-8")
    keep = ["--secret-out", str(tmp / "private/secret.txt")]
    assert main(["commit", *example_inputs(tmp), "--beacon", "drand 5", "--out", str(tmp / "pub"), *keep]) == 0
    reveal = ["--commitment", str(tmp / "pub/commitment.json"), "--beacon-value", "c0ffee"]
    reveal += ["--secret", str(tmp / "private/secret.txt")]
    assert main(["draw", *example_inputs(tmp), *reveal, "--out", str(tmp / "pub/draw")]) == 0
    assert main(["notices", str(tmp / "pub/draw"), "--out", str(tmp / "notices")]) == 0
    return tmp


def test_the_sealed_publication_tells_no_firm_its_fate(sealed: Path) -> None:
    draw = sealed / "pub/draw"
    step = run_publish(draw, sealed / "public", notices=sealed / "notices")
    manifest = json.loads((draw / "manifest.json").read_bytes())
    assert step.sealed_until == dt.date(2027, 3, 31)  # the plan's end
    names = sorted(str(p.relative_to(sealed / "public")) for p in (sealed / "public").rglob("*") if p.is_file())
    assert "draw/manifest.json" not in names and "draw/selection.csv" not in names
    assert {"commitment.json", "draw/manifest.sha256", "draw/sealed.json", "如何核验.txt"} <= set(names)
    assert all(n.startswith("notices/抽查计划公告") for n in names if n.startswith("notices/"))
    published = b"".join((sealed / "public" / n).read_bytes() for n in names)
    selected = pd.read_csv(draw / "selection.csv", dtype=str, encoding="utf-8-sig")["uscc"]
    secrets = [manifest["seed"]["value"], manifest["seed"]["secret"]]
    thresholds = [s["threshold"] for t in manifest["tasks"] for s in t["strata"] if s["threshold"]]
    for value in [*secrets, *thresholds[:50], *selected.head(50)]:
        assert value.encode() not in published, value
    # what is there binds the draw, and names the day
    result = verify_draw(sealed / "public/draw", today=dt.date(2027, 3, 20))
    assert result.ok, str(result)
    assert "sealed until 2027-03-31" in str(result)
    late = verify_draw(sealed / "public/draw", today=dt.date(2027, 4, 2))
    assert not late.ok and "FAIL  reveal on time" in str(late)


def test_after_the_reveal_verify_and_every_proof_pass(sealed: Path) -> None:
    draw = sealed / "pub/draw"
    run_publish(draw, sealed / "revealed", notices=sealed / "notices", reveal=True)
    result = verify_draw(sealed / "revealed/draw")
    assert result.ok, str(result)
    assert "ok    manifest as sealed" in str(result)
    public_manifest = (sealed / "revealed/draw/manifest.json").read_bytes()
    codes = pd.read_csv(sealed / "in/population.csv", dtype=str, encoding="utf-8-sig")["uscc"].head(8)
    for code in codes:
        assert verify_proof(make_proof(draw, code), public_manifest).ok
    # a revealed manifest that is not the sealed one is caught
    record = json.loads((sealed / "revealed/draw/sealed.json").read_text())
    record["manifest_sha256"] = "0" * 64
    (sealed / "revealed/draw/sealed.json").write_text(json.dumps(record))
    assert "FAIL  manifest as sealed" in str(verify_draw(sealed / "revealed/draw"))


def test_a_sealed_plan_needs_a_secret_and_a_day(sealed: Path, tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="reveal_by"):
        parse_plan({**BASE, "publication": {"mode": "sealed"}})
    with pytest.raises(PlanError, match="one of"):
        parse_plan({**BASE, "publication": {"mode": "secret"}})
    with pytest.raises(PlanError, match="goes with"):
        parse_plan({**BASE, "publication": {"reveal_by": "2027-04-01"}})
    with pytest.raises(PlanError, match="a date"):
        parse_plan({**BASE, "publication": {"mode": "sealed", "reveal_by": "April"}})
    plan = parse_plan({**BASE, "publication": {"mode": "sealed", "reveal_by": "2027-04-01"}})
    assert plan.to_dict()["publication"] == {"mode": "sealed", "reveal_by": "2027-04-01"}
    assert "publication" not in parse_plan(BASE).to_dict()  # open plans keep their record
    files = DrawFiles(population=sealed / "in/population.csv", plan=sealed / "in/plan.toml")
    with pytest.raises(CeremonyError, match="needs a secret"):
        run_commit(files, tmp_path / "c", beacon="b", secret=False)
    # a seed given directly cannot be sealed: anyone who saw it could compute every fate
    assert main(["draw", *example_inputs(sealed), "--seed", "ab" * 32, "--out", str(tmp_path / "d")]) == 0
    with pytest.raises(FolderError, match="sealed plan is drawn from a commitment"):
        run_publish(tmp_path / "d", tmp_path / "p")


def test_a_broken_sealed_publication_fails_in_words(sealed: Path, tmp_path: Path) -> None:
    run_publish(sealed / "pub/draw", tmp_path / "public")
    record_path = tmp_path / "public/draw/sealed.json"
    record = json.loads(record_path.read_text())
    record_path.write_text(json.dumps({**record, "reveal_by": "soon"}))
    assert "FAIL  day of the reveal: not a date: 'soon'" in str(verify_draw(tmp_path / "public/draw"))
    record_path.write_text(json.dumps(record))
    (tmp_path / "public/commitment.json").unlink()
    result = verify_draw(tmp_path / "public/draw", today=dt.date(2027, 3, 1))
    assert not result.ok and "FAIL  commitment:" in str(result) and "is not here" in str(result)
    (tmp_path / "public/draw/manifest.sha256").write_text("0" * 64 + "  manifest.json\n")
    assert "FAIL  manifest seal" in str(verify_draw(tmp_path / "public/draw", today=dt.date(2027, 3, 1)))
