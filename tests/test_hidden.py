"""Hidden fields ([publication] hidden): no published file shows a firm's credit class; its own proof still verifies."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from shuangsuiji import check_population, load_plan, parse_plan
from shuangsuiji.absence import make_absence_proof
from shuangsuiji.cli import main
from shuangsuiji.exceptions import CeremonyError, InputError, PlanError
from shuangsuiji.inputs import DrawFiles
from shuangsuiji.proofs import make_proof, verify_proof
from shuangsuiji.roots import population_root, population_root_parquet
from shuangsuiji.salting import read_salt_key
from shuangsuiji.verify import verify_draw
from shuangsuiji.workflow import run_commit, run_publish

from .conftest import example_inputs

BASE = {"id": "P", "tasks": [{"id": "T", "department": "d", "items": ["i"], "ratio": "0.1", "strata": ["region"]}]}


@pytest.fixture(scope="module")
def hidden(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("hidden")
    assert main(["example", "--out", str(tmp / "in"), "--entities", "500", "--seed", "17"]) == 0
    plan = tmp / "in/plan.toml"
    plan.write_text(plan.read_text(encoding="utf-8") + '\n[publication]\nhidden = ["credit_class"]\n', encoding="utf-8")
    keep = ["--secret-out", str(tmp / "private/secret.txt"), "--salt-key-out", str(tmp / "private/salt-key.txt")]
    assert main(["commit", *example_inputs(tmp), "--beacon", "drand 9", "--out", str(tmp / "pub"), *keep]) == 0
    reveal = ["--commitment", str(tmp / "pub/commitment.json"), "--beacon-value", "beef"]
    reveal += ["--secret", str(tmp / "private/secret.txt")]
    assert main(["draw", *example_inputs(tmp), *reveal, "--out", str(tmp / "pub/draw")]) == 0
    assert main(["page", "--out", str(tmp / "pub/draw/verify.html")]) == 0
    return tmp


def _classes(tmp: Path) -> dict[str, str]:
    pop = pd.read_csv(tmp / "in/population.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return dict(zip(pop["uscc"], pop["credit_class"], strict=True))


def test_no_published_file_shows_a_firms_class(hidden: Path) -> None:
    draw = hidden / "pub/draw"
    run_publish(draw, hidden / "public")
    classes = _classes(hidden)
    shown = re.compile(r"credit_class=([A-D])\b|\"credit_class\":\"([A-D])\"")
    rows_with_a_code = 0
    for path in sorted((hidden / "public").rglob("*")):
        if not path.is_file() or path.suffix not in (".csv", ".json", ".txt", ".sha256"):
            continue
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            codes = [c for c in re.findall(r"[0-9A-Z]{18}", line) if c in classes]
            if codes:
                rows_with_a_code += 1
                assert not shown.search(line), (path.name, line[:200])
    assert rows_with_a_code > 50  # the selected firms are there, their classes are not
    selection = pd.read_csv(draw / "selection.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    sc_gs = selection[selection["task_id"] == "SC-GS"]
    assert set(sc_gs["stratum"].str.split("|").str[0]) == {"credit_class=#hidden"}
    assert set(selection["inclusion_probability"]) == {""}
    # the aggregates stay public: each class's population, sample and threshold
    manifest = json.loads((draw / "manifest.json").read_bytes())
    assert any(s["label"].startswith("credit_class=A") for t in manifest["tasks"] for s in t["strata"])
    # and the public folder verifies on its own, the masked labels against the strata they may be
    result = verify_draw(hidden / "public/draw")
    assert result.ok, str(result)
    assert "ok    tickets and thresholds" in str(result) and "ok    stratum sizes" in str(result)


def test_the_bureau_recomputes_everything_with_its_salt_key(hidden: Path) -> None:
    draw = hidden / "pub/draw"
    without = verify_draw(draw)
    assert without.ok, str(without)
    assert "n/a   population Merkle root: the plan hides fields" in str(without)
    assert "ok    recomputed selection.csv: identical" in str(without)
    key = read_salt_key(hidden / "private/salt-key.txt")
    full = verify_draw(draw, salt_key=key)
    assert full.ok and "ok    population Merkle root" in str(full), str(full)
    wrong = verify_draw(draw, salt_key=bytes(32))
    assert "FAIL  population Merkle root" in str(wrong)


def test_a_firms_own_proof_opens_its_class_and_verifies(hidden: Path) -> None:
    draw = hidden / "pub/draw"
    manifest = (draw / "manifest.json").read_bytes()
    key = read_salt_key(hidden / "private/salt-key.txt")
    classes = _classes(hidden)
    codes = sorted(classes)[:12]
    for code in codes:
        proof = make_proof(draw, code, salt_key=key)
        leaf = json.loads(proof.leaf)
        assert leaf["credit_class"].startswith("#salted:") and leaf["#register:credit_class"].startswith("#salted:")
        assert dict((k, v) for k, v, _ in proof.openings)["credit_class"] == classes[code]
        result = verify_proof(proof, manifest)
        assert result.ok, str(result)
        assert "ok    hidden field credit_class opened" in str(result)
    tampered: dict[str, Any] = make_proof(draw, codes[0], salt_key=key).to_dict()
    other = "A" if tampered["openings"]["credit_class"]["value"] != "A" else "B"
    tampered["openings"]["credit_class"]["value"] = other
    assert "FAIL  hidden field credit_class opened" in str(verify_proof(tampered, manifest))
    del tampered["openings"]
    assert not verify_proof(tampered, manifest).ok
    with pytest.raises(InputError, match="salt key"):
        make_proof(draw, codes[0])
    # a proof of absence shows its neighbours' classes salted, not in clear
    absent = make_absence_proof(draw, codes[0] + "0", salt_key=key)
    assert all('"credit_class":"#salted:' in n.leaf for n in absent.neighbours)


def test_what_can_be_hidden_and_what_a_commit_needs(hidden: Path, tmp_path: Path) -> None:
    for column, message in (("region", "only the credit column"), ("name", "only the credit column")):
        with pytest.raises(PlanError, match=message):
            parse_plan({**BASE, "publication": {"hidden": [column]}})
    plan = parse_plan({**BASE, "publication": {"hidden": ["credit_class"]}})
    assert plan.to_dict()["publication"] == {"mode": "open", "hidden": ["credit_class"]}
    files = DrawFiles(population=hidden / "in/population.csv", plan=hidden / "in/plan.toml")
    with pytest.raises(CeremonyError, match="salt-key-out"):
        run_commit(files, tmp_path / "c", beacon="b", secret_out=tmp_path / "s.txt")
    with pytest.raises(CeremonyError, match="inside"):
        run_commit(files, tmp_path / "c", beacon="b", secret_out=tmp_path / "s.txt", salt_key_out=tmp_path / "c/k")
    assert main(["draw", *example_inputs(hidden), "--seed", "ab" * 32, "--out", str(tmp_path / "d")]) == 2
    key = str(hidden / "private/salt-key.txt")
    assert (
        main(["draw", *example_inputs(hidden), "--seed", "ab" * 32, "--out", str(tmp_path / "d"), "--salt-key", key])
        == 0
    )
    assert (
        main(
            [
                "draw",
                *example_inputs(hidden),
                "--leaf-format",
                "1",
                "--seed",
                "ab" * 32,
                "--out",
                str(tmp_path / "e"),
                "--salt-key",
                key,
            ]
        )
        == 2
    )


def test_the_page_opens_a_firms_hidden_class(hidden: Path) -> None:
    browser = pytest.importorskip("tests.test_browser")
    if browser.CHROMIUM is None:
        pytest.skip("needs headless chromium")
    draw = hidden / "pub/draw"
    key = read_salt_key(hidden / "private/salt-key.txt")
    code = sorted(_classes(hidden))[3]
    proof = make_proof(draw, code, salt_key=key).to_dict()
    bad = json.loads(json.dumps(proof))
    bad["openings"]["credit_class"]["value"] = "A" if proof["openings"]["credit_class"]["value"] != "A" else "B"
    cases = [
        browser.Case(draw, code, browser._write(draw, "proof-open.json", proof), commitment="../commitment.json"),
        browser.Case(draw, code, browser._write(draw, "proof-bad.json", bad), commitment="../commitment.json"),
    ]
    good, wrong = browser.run_pages(cases)
    assert good.errors == [] and good.ok("proof-check") == "true", good.errors
    assert browser._page_rows(good) == browser._python_rows(proof)
    assert wrong.ok("proof-check") == "false" and "opening" in wrong.failed("proof-check")


def test_the_streamed_root_salts_as_the_memory_root(hidden: Path, tmp_path: Path) -> None:
    plan = load_plan(hidden / "in/plan.toml")
    frame = pd.read_csv(hidden / "in/population.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.loc[frame.index[:7], "credit_class"] = ""  # register values the plan fills in, salted as ''
    plan = dataclasses.replace(plan, credit=dataclasses.replace(plan.credit, missing="B"))
    path = tmp_path / "pop.parquet"
    frame.sort_values("uscc").to_parquet(path, index=False)
    key = read_salt_key(hidden / "private/salt-key.txt")
    memory = population_root(check_population(frame, plan), plan, salt_key=key)
    assert population_root_parquet(path, plan, salt_key=key, batch_rows=97) == memory
    assert population_root(check_population(frame, plan), plan, salt_key=bytes(32)) != memory


def test_salt_key_and_hidden_column_errors(hidden: Path, tmp_path: Path) -> None:
    bad = tmp_path / "key.txt"
    for text in ("zz" * 32, "ab" * 31, ""):
        bad.write_text(text)
        with pytest.raises(CeremonyError, match=r"key\.txt: a salt key is 64 hexadecimal digits"):
            read_salt_key(bad)
    where = {**BASE["tasks"][0], "strata": ["risk_tier"], "where": {"risk_tier": ["1"]}}  # type: ignore[dict-item]
    with pytest.raises(PlanError, match="'risk_tier'"):
        parse_plan({**BASE, "tasks": [where], "publication": {"hidden": ["risk_tier"]}})
    files = DrawFiles(population=hidden / "in/population.csv", plan=hidden / "in/plan.toml")
    same = tmp_path / "private/one.txt"
    with pytest.raises(CeremonyError, match="two files"):
        run_commit(files, tmp_path / "c", beacon="b", secret_out=same, salt_key_out=same)
    assert not same.exists()
