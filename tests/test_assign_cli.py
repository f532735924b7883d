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


@pytest.fixture(scope="module")
def seeded(staffed: Path) -> Path:
    """The same city drawn from a given seed: nothing bound, so another population can reach the checks."""
    out = staffed / "seeded-draw"
    plain = ["--population", str(staffed / "in/population.csv"), "--plan", str(staffed / "in/plan.toml")]
    assert main(["draw", *plain, "--seed", "ef" * 32, "--out", str(out)]) == 0
    return out


def _assign(draw: Path, population: Path, roster: Path, out: Path) -> list[str]:
    return [
        "assign",
        str(draw),
        "--population",
        str(population),
        "--roster",
        str(roster),
        "--out",
        str(out),
        "--window",
        "2026-03-02:2026-03-31",
        "--allow-partial",
    ]


def test_assign_and_prove_refuse_a_population_that_is_not_the_draws(
    staffed: Path, seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (staffed / "in/population.csv").read_text(encoding="utf-8-sig").splitlines()
    cut = staffed / "cut.csv"
    cut.write_text("\n".join(lines[:101]) + "\n", encoding="utf-8")
    roster = staffed / "in/roster.csv"
    assert main(_assign(seeded, cut, roster, staffed / "cut-out")) == 2
    err = capsys.readouterr().err
    assert str(cut) in err and "is not the population the draw read" in err and "100 entities" in err
    assert "Traceback" not in err and not (staffed / "cut-out" / "assignment.json").exists()
    first = lines[1].split(",")[0]
    proof = staffed / "p.json"
    assert main(["prove", str(seeded), "--uscc", first, "--population", str(cut), "--out", str(proof)]) == 2
    err = capsys.readouterr().err
    assert "is not the population this draw read" in err and not (staffed / "p.json").exists()


def test_a_population_without_names_staffs_with_the_names_the_draw_published(staffed: Path, seeded: Path) -> None:
    frame = pd.read_csv(staffed / "in/population.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    nameless = staffed / "nameless.csv"
    write_csv(frame.drop(columns=["name"]), nameless)
    out = staffed / "nameless-out"
    assert main(_assign(seeded, nameless, staffed / "in/roster.csv", out)) == 0
    visits = pd.read_csv(out / "visits.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    selection = pd.read_csv(seeded / "selection.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    names = dict(zip(selection["uscc"], selection["name"], strict=False))
    assert len(visits) and (visits["name"] != "").all()
    assert visits["name"].tolist() == [names[u] for u in visits["uscc"]]


def test_a_roster_with_nobody_active_leaves_every_visit_waiting(
    staffed: Path, seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = pd.read_csv(staffed / "in/roster.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    roster["active"] = "否"
    idle = staffed / "idle.csv"
    write_csv(roster, idle)
    out = staffed / "idle-out"
    assert main(_assign(seeded, staffed / "in/population.csv", idle, out)) == 0
    assert "Traceback" not in capsys.readouterr().err
    visits = pd.read_csv(out / "visits.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    teams = pd.read_csv(out / "teams.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(visits) and len(teams) == 0
    assert set(visits["status"]) <= {"unstaffed", "desk"}
