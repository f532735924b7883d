"""The assign command, its verification (with mutation), and notices with inspector names."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from shuangsuiji.cli import main
from shuangsuiji.io import write_csv
from shuangsuiji.manifest import canonical_json
from shuangsuiji.synthetic import make_roster
from shuangsuiji.verify import verify_draw

from .conftest import publish


@pytest.fixture(scope="module")
def staffed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("assign")

    def staffing() -> list[str]:
        # Declared before the seed, as the commitment binds them: one officer conflicted with a third of
        # the city, so that some drawn firm is among them whatever the draw.
        pop = pd.read_csv(tmp / "in/population.csv", dtype=str, encoding="utf-8-sig")
        write_csv(make_roster(pop, seed=12), tmp / "in/roster.csv")
        roster = pd.read_csv(tmp / "in/roster.csv", dtype=str, encoding="utf-8-sig")
        officer = roster.loc[roster["kind"] == "officer", "inspector_id"].iloc[0]
        rows = "".join(f"{officer},{u},亲属任法定代表人\n" for u in pop["uscc"].iloc[::3])
        (tmp / "in/conflicts.csv").write_text("inspector_id,uscc,reason\n" + rows, encoding="utf-8")
        return ["--roster", str(tmp / "in/roster.csv"), "--conflicts", str(tmp / "in/conflicts.csv")]

    draw = publish(tmp, entities=900, seed=12, staffing=staffing)
    args = [
        "assign",
        str(draw),
        "--population",
        str(tmp / "in/population.csv"),
        "--roster",
        str(tmp / "in/roster.csv"),
        "--conflicts",
        str(tmp / "in/conflicts.csv"),
        "--out",
        str(draw),
        "--window",
        "2026-03-02:2026-03-31",
        "--allow-partial",
    ]
    assert main(args) == 0
    return tmp


def test_assign_writes_the_files_and_verifies(staffed: Path) -> None:
    draw = staffed / "pub/draw"
    for name in ("visits.csv", "teams.csv", "workload.csv", "unstaffed.csv", "certificate.csv", "assignment.json"):
        assert (draw / name).exists(), name
    manifest = json.loads((draw / "assignment.json").read_bytes())
    counts = manifest["counts"]
    assert counts["visits"] == counts["staffed"] + counts["undated"] + counts["unstaffed"]
    assert set(manifest["inputs"]) == {"population", "roster", "conflicts"}
    result = verify_draw(draw)
    assert result.ok, str(result)
    names = {c.name for c in result.checks}
    assert {"assignment rules", "assignment optimality certificate", "recomputed teams.csv"} <= names


def test_changed_assignment_files_are_caught(staffed: Path) -> None:
    draw = staffed / "pub/draw"
    for path in [draw / n for n in ("teams.csv", "visits.csv", "certificate.csv", "assignment.json")] + [
        staffed / "in/roster.csv",
        staffed / "in/conflicts.csv",
    ]:
        original = path.read_bytes()
        for pos in (0, len(original) // 2, len(original) - 2):
            mutated = bytearray(original)
            mutated[pos] ^= 0x01
            path.write_bytes(bytes(mutated))
            try:
                assert not verify_draw(draw).ok, f"{path.name} byte {pos}"
            finally:
                path.write_bytes(original)
    assert verify_draw(draw).ok


def test_a_forged_team_is_caught_even_when_resealed(staffed: Path) -> None:
    """Swap an officer in teams.csv and fix every hash: the rules and the recomputation object."""
    draw = staffed / "pub/draw"
    originals = {n: (draw / n).read_bytes() for n in ("teams.csv", "assignment.json", "assignment.sha256")}
    try:
        teams = pd.read_csv(draw / "teams.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
        i = teams.index[teams["role"] == "member"][0]
        teams.loc[i, "inspector_id"] = teams.loc[teams.index[teams["role"] == "lead"][0], "inspector_id"]
        write_csv(teams, draw / "teams.csv")
        manifest = json.loads(originals["assignment.json"])
        manifest["outputs"]["teams.csv"] = hashlib.sha256((draw / "teams.csv").read_bytes()).hexdigest()
        data = canonical_json(manifest)
        (draw / "assignment.json").write_bytes(data)
        (draw / "assignment.sha256").write_text(f"{hashlib.sha256(data).hexdigest()}  assignment.json\n")
        result = verify_draw(draw)
        failed = {c.name for c in result.checks if not c.ok}
        assert {"recomputed teams.csv", "assignment rules"} <= failed
    finally:
        for n, data in originals.items():
            (draw / n).write_bytes(data)


def test_notices_publish_names_only_when_asked(staffed: Path) -> None:
    draw = staffed / "pub/draw"
    assert main(["notices", str(draw), "--out", str(staffed / "n1")]) == 0
    plain = pd.read_csv(staffed / "n1/抽查任务公告.csv", dtype=str, encoding="utf-8-sig")
    assert "检查人员" not in plain.columns
    assert main(["notices", str(draw), "--out", str(staffed / "n2"), "--publish-inspector-names"]) == 0
    named = pd.read_csv(staffed / "n2/抽查任务公告.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    visits = pd.read_csv(draw / "visits.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    on_visit = named["统一社会信用代码"].map(dict(zip(visits["uscc"], visits["status"], strict=True)))
    assert "检查人员" in named.columns and (on_visit == "staffed").any()
    # Every drawn entity whose visit is staffed shows its officers; the others show none.
    assert ((named["检查人员"] != "") == (on_visit != "unstaffed")).all()
    text = "".join(p.read_text(encoding="utf-8", errors="ignore") for p in (staffed / "n2").glob("*.html"))
    assert "亲属任法定代表人" not in text  # conflict declarations never appear


def test_assign_errors_print_cleanly(staffed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    draw = staffed / "pub/draw"
    bad = staffed / "bad-roster.csv"
    bad.write_text("inspector_id,name,department,capacity\nA 1,甲,市场监管局,x\n", encoding="utf-8")
    args = [
        "assign",
        str(draw),
        "--population",
        str(staffed / "in/population.csv"),
        "--roster",
        str(bad),
        "--out",
        str(staffed / "x"),
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    # A committed draw refuses another roster than the one bound before the seed, naming both hashes.
    committed = hashlib.sha256((staffed / "in/roster.csv").read_bytes()).hexdigest()
    assert "--roster" in err and committed in err and hashlib.sha256(bad.read_bytes()).hexdigest() in err
    assert "Traceback" not in err
    # Drawn from a given seed (nothing bound), the bad roster itself is named, row by row.
    seeded = staffed / "seeded"
    plain = ["--population", str(staffed / "in/population.csv"), "--plan", str(staffed / "in/plan.toml")]
    assert main(["draw", *plain, "--seed", "cd" * 32, "--out", str(seeded)]) == 0
    assert main([*args[:1], str(seeded), *args[2:-2], "--out", str(staffed / "x")]) == 2
    err = capsys.readouterr().err
    assert "roster" in err and "row 2" in err and "Traceback" not in err
    assert main(["notices", str(staffed / "in"), "--out", str(staffed / "y")]) == 2
