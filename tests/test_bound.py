"""The second random committed before the seed: the roster and conflicts bound, refused when changed, checked."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from shuangsuiji.cli import main
from shuangsuiji.exceptions import CeremonyError, RosterError
from shuangsuiji.manifest import canonical_json
from shuangsuiji.roster import check_roster
from shuangsuiji.verify import verify_draw
from shuangsuiji.workflow import run_publish

from .conftest import example_inputs, publish, publish_staffed

PEOPLE = ("conflicts", "requests", "relations")


@pytest.fixture(scope="module")
def staffed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("bound")
    publish_staffed(tmp, entities=400, seed=21, people=PEOPLE)
    return tmp


def _assign(tmp: Path, draw: Path, out: Path, **changed: Path) -> list[str]:
    files = {"roster": tmp / "in/roster.csv", **{r: tmp / f"in/{r}.csv" for r in PEOPLE}}
    files |= changed
    args = ["assign", str(draw), "--population", str(tmp / "in/population.csv"), "--out", str(out)]
    args += [f"--{role}={path}" for role, path in files.items()]
    return [*args, f"--calendar-overrides={tmp / 'in/calendar-2027.csv'}", "--allow-partial"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("role", ["roster", "conflicts"])
def test_one_changed_byte_is_refused_by_assign(
    staffed: Path, role: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = staffed / f"in/{role}.csv"
    changed = tmp_path / f"{role}.csv"
    data = bytearray(original.read_bytes())
    data[-2] ^= 0x01  # one byte of the last row
    changed.write_bytes(bytes(data))
    assert main(_assign(staffed, staffed / "pub/draw", tmp_path / "out", **{role: changed})) == 2
    err = capsys.readouterr().err
    assert f"--{role} {changed} has SHA-256 {_sha(changed)}, the commitment says {_sha(original)}" in err
    assert "Traceback" not in err and not (tmp_path / "out/teams.csv").exists()


def test_verify_shows_the_hashes_against_the_commitment(staffed: Path) -> None:
    result = verify_draw(staffed / "pub/draw")
    assert result.ok, str(result)
    lines = {c.name: c for c in result.checks}
    commitment = json.loads((staffed / "pub/commitment.json").read_bytes())
    for role in ("roster", "conflicts", "requests", "relations", "calendar"):
        check = lines[f"assignment {role} as committed"]
        committed = commitment["assignment"]["inputs"][role]["sha256"]
        assert check.ok and committed in check.detail
    assert lines["assignment seed is the draw's"].ok
    assert (
        commitment["assignment"]["roster"]["merkle_root"] in lines["assignment inputs committed before the seed"].detail
    )


@pytest.mark.parametrize("role", ["roster", "conflicts"])
def test_one_changed_byte_fails_verify(staffed: Path, role: str) -> None:
    path = staffed / f"in/{role}.csv"
    original = path.read_bytes()
    try:
        path.write_bytes(original[:-2] + bytes([original[-2] ^ 0x01]) + original[-1:])
        result = verify_draw(staffed / "pub/draw")
        assert not result.ok
        assert f"assignment input {role}" in {c.name for c in result.checks if not c.ok}
    finally:
        path.write_bytes(original)


def test_a_resealed_assignment_record_of_another_roster_fails_even_in_public(staffed: Path, tmp_path: Path) -> None:
    """Edit the roster's hash in assignment.json and reseal it: the commitment alone catches it."""
    public = tmp_path / "public"
    run_publish(staffed / "pub/draw", public)
    draw = public / "draw"
    record = json.loads((draw / "assignment.json").read_bytes())
    record["inputs"]["roster"]["sha256"] = "0" * 64
    data = canonical_json(record)
    (draw / "assignment.json").write_bytes(data)
    (draw / "assignment.sha256").write_text(f"{hashlib.sha256(data).hexdigest()}  assignment.json\n")
    result = verify_draw(draw)
    failed = {c.name for c in result.checks if not c.ok and not c.withheld}
    assert "assignment roster as committed" in failed and not result.ok


def test_the_public_folder_checks_the_bound_hashes(staffed: Path, tmp_path: Path) -> None:
    public = tmp_path / "public"
    run_publish(staffed / "pub/draw", public)
    result = verify_draw(public / "draw")
    assert result.ok, str(result)
    names = {c.name for c in result.checks if c.ok}
    assert {"assignment roster as committed", "assignment conflicts as committed"} <= names


def test_a_committed_draw_takes_no_seed_from_the_command_line(
    staffed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _assign(staffed, staffed / "pub/draw", tmp_path / "out")
    assert main([*args, "--seed", "ab" * 32]) == 2
    assert "Drop --seed" in capsys.readouterr().err


def test_a_commitment_without_the_roster_cannot_be_staffed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    draw = publish(tmp_path, entities=300, seed=5)
    shutil.copy(Path(__file__).parent / "vectors/roster_leaf_roster.csv", tmp_path / "in/roster.csv")
    args = ["assign", str(draw), "--population", str(tmp_path / "in/population.csv")]
    assert main([*args, "--roster", str(tmp_path / "in/roster.csv"), "--allow-partial"]) == 2
    err = capsys.readouterr().err
    assert "does not bind the roster" in err and "commit ... --roster" in err


def test_commit_checks_the_assignment_files_before_the_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example", "--out", str(tmp_path / "in"), "--entities", "200"]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("inspector_id,name,department,capacity\nA1,甲,市场监管局,many\n", encoding="utf-8")
    commit = ["commit", *example_inputs(tmp_path), "--beacon", "b", "--no-secret", "--out", str(tmp_path / "c")]
    assert main([*commit, "--roster", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "row 2" in err and "capacity" in err and not (tmp_path / "c/commitment.json").exists()
    assert main([*commit, "--conflicts", str(tmp_path / "in/conflicts.csv")]) == 2
    assert "give the --roster with it" in capsys.readouterr().err


def test_the_roster_leaf_and_root_are_as_documented() -> None:
    """Golden vector: the leaf written by hand from docs/ceremony.md, the root by RFC 6962 with hashlib."""
    from shuangsuiji import roster_leaves  # noqa: PLC0415

    frame = pd.read_csv(Path(__file__).parent / "vectors/roster_leaf_roster.csv", dtype=str, keep_default_na=False)
    roster = check_roster(frame)
    leaves = roster_leaves(roster)
    assert leaves[0] == (
        '{"active":true,"capacity":20,"cert_no":"豫41030001","certificates":"特种设备;食品",'
        '"department":"市场监管局","format":"shuangsuiji-roster-leaf/1","inspector_id":"A1","kind":"officer",'
        '"lead":true,"region":"410302","station":"S1","unavailable":"2027-03-01;2027-03-02;2027-03-03"}'
    )
    assert leaves[1] == (
        '{"active":false,"capacity":0,"cert_no":"","certificates":"","department":"食品",'
        '"format":"shuangsuiji-roster-leaf/1","inspector_id":"E9","kind":"expert","lead":false,"region":"",'
        '"station":"","unavailable":""}'
    )
    a, b = (hashlib.sha256(b"\x00" + leaf.encode()).digest() for leaf in leaves)
    from shuangsuiji import StaffingFiles, read_staffing_files  # noqa: PLC0415

    record = read_staffing_files(StaffingFiles(roster=Path(__file__).parent / "vectors/roster_leaf_roster.csv"), ".")
    assert record.roster_root == hashlib.sha256(b"\x01" + a + b).hexdigest() and record.roster_size == 2


def test_an_officer_checks_their_own_entry(staffed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = pd.read_csv(staffed / "in/roster.csv", dtype=str, encoding="utf-8-sig")
    officer = str(roster["inspector_id"].iloc[3])
    proof = tmp_path / "proof.json"
    commitment = staffed / "pub/commitment.json"
    args = ["officer-proof", str(commitment), "--roster", str(staffed / "in/roster.csv"), "--officer", officer]
    assert main([*args, "--out", str(proof)]) == 0
    assert json.loads(json.loads(proof.read_bytes())["leaf"])["inspector_id"] == officer
    assert main(["verify-officer-proof", str(proof), "--commitment", str(commitment)]) == 0
    forged = json.loads(proof.read_bytes())
    forged["leaf"] = forged["leaf"].replace('"capacity":', '"capacity":9', 1)  # a capacity 9x more
    proof.write_text(json.dumps(forged), encoding="utf-8")
    capsys.readouterr()
    assert main(["verify-officer-proof", str(proof), "--commitment", str(commitment)]) == 1
    assert "do not lead to the committed root" in capsys.readouterr().out
    assert main([*args[:-1], "NOBODY", "--out", str(proof)]) == 2
    assert "no inspector_id 'NOBODY'" in capsys.readouterr().err


def test_an_officer_proof_needs_the_committed_roster(staffed: Path, tmp_path: Path) -> None:
    other = tmp_path / "roster.csv"
    lines = (staffed / "in/roster.csv").read_text(encoding="utf-8-sig").splitlines(keepends=True)
    other.write_text("".join(lines[:-1]), encoding="utf-8")  # one person less
    roster = pd.read_csv(other, dtype=str, encoding="utf-8-sig")
    with pytest.raises(CeremonyError, match="is not the roster"):
        from shuangsuiji.workflow import run_officer_proof  # noqa: PLC0415

        run_officer_proof(staffed / "pub/commitment.json", other, str(roster["inspector_id"].iloc[0]))
    with pytest.raises(RosterError):
        bad = tmp_path / "bad.csv"
        bad.write_text("inspector_id\nA1\n", encoding="utf-8")
        run_officer_proof(staffed / "pub/commitment.json", bad, "A1")


def test_published_only_reads_nothing_the_bureau_withheld(staffed: Path) -> None:
    """A public folder beside the bureau's inputs: their recorded paths lead out of it, so they are not followed.

    A verifier opens only what lies in a public folder or is given on the command line (docs/formats.md,
    "Paths a verifier opens"); the population given so is read and checked.
    """
    public = staffed / "public"  # at the depth of pub/, so the recorded ../../in/ paths would find the inputs
    run_publish(staffed / "pub/draw", public, force=True)
    found = {c.name: c for c in verify_draw(public / "draw").checks}
    assert found["input population"].withheld and "recomputed teams.csv" not in found
    given = {c.name: c for c in verify_draw(public / "draw", population=staffed / "in/population.csv").checks}
    assert given["input population"].ok
    alone = verify_draw(public / "draw", published_only=True)
    assert alone.ok, str(alone)
    names = {c.name: c for c in alone.checks}
    assert names["recomputed assignment"].withheld and names["input population"].withheld
    assert "recomputed teams.csv" not in names and names["assignment roster as committed"].ok
    assert main(["verify", str(public / "draw"), "--published-only"]) == 0
