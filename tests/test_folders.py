"""Output folders never mix two runs: refused, or cleaned with --force; a demo replaces only its own folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from shuangsuiji._outdir import DEMO_MARK, claim_demo_folder, claim_folder
from shuangsuiji.cli import main
from shuangsuiji.exceptions import FolderError

from .conftest import example_inputs, publish_staffed


def test_redrawing_into_an_old_folder_is_refused_or_cleaned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    draw = publish_staffed(tmp_path, entities=300, seed=4)
    assert (draw / "assignment.json").exists() and (draw / "teams.csv").exists()
    (draw / "notes-by-the-clerk.txt").write_text("mine")
    again = ["draw", *example_inputs(tmp_path), "--seed", "ab" * 32, "--out", str(draw)]
    capsys.readouterr()
    assert main(again) == 2
    err = capsys.readouterr().err
    assert "already holds files of an earlier run" in err and "--force" in err and "Traceback" not in err
    assert (draw / "assignment.json").exists()  # nothing removed without --force
    assert main([*again, "--force"]) == 0
    # the old assignment went with the old draw; the clerk's own file stayed
    assert not (draw / "assignment.json").exists() and not (draw / "teams.csv").exists()
    assert (draw / "notes-by-the-clerk.txt").read_text() == "mine"
    # The new draw is complete and its own, but the batch was committed (pub/commitment.json beside
    # it) and this one was made from a direct seed: verify says so, a "mode downgrade".
    capsys.readouterr()
    assert main(["verify", str(draw)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  seed from the commitment" in out and out.count("FAIL") == 1


def test_reassigning_is_refused_or_cleaned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    draw = publish_staffed(tmp_path, entities=300, seed=6)
    args = ["assign", str(draw), "--population", str(tmp_path / "in/population.csv")]
    args += ["--roster", str(tmp_path / "in/roster.csv"), "--allow-partial"]
    args += [f"--calendar-overrides={tmp_path / 'in/calendar-2027.csv'}"]
    capsys.readouterr()
    assert main(args) == 2
    assert "assignment.json" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0
    assert main(["verify", str(draw)]) == 0


@pytest.mark.parametrize("below", [False, True])
def test_an_output_that_is_a_file_is_named(tmp_path: Path, below: bool, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example", "--out", str(tmp_path / "in"), "--entities", "50"]) == 0
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    out = blocker / "draw" if below else blocker
    assert main(["draw", *example_inputs(tmp_path), "--seed", "ab" * 32, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{blocker} is a file" in err and "Traceback" not in err


def test_claim_folder_matches_names_only(tmp_path: Path) -> None:
    (tmp_path / "proof-91X.json").write_text("{}")
    (tmp_path / "proofs.txt").write_text("keep")
    with pytest.raises(FolderError, match=r"proof-91X\.json"):
        claim_folder(tmp_path, ("proof-*.json",), step="draw")
    claim_folder(tmp_path, ("proof-*.json",), step="draw", force=True)
    assert [p.name for p in tmp_path.iterdir()] == ["proofs.txt"]


def test_a_staged_claim_removes_nothing_and_refuses_an_interrupted_run(tmp_path: Path) -> None:
    (tmp_path / "selection.csv").write_text("old")
    claim_folder(tmp_path, ("selection.csv",), step="draw", force=True, staged=True)
    assert (tmp_path / "selection.csv").read_text() == "old"  # the new run's journal removes it, not the claim
    (tmp_path / ".shuangsuiji-partial-assign").mkdir()
    with pytest.raises(FolderError, match="assign"):
        claim_folder(tmp_path, ("selection.csv",), step="draw", force=True, staged=True)


@pytest.mark.parametrize("step", ["draw", "notices"])
def test_an_old_folder_is_refused_before_any_work(
    tmp_path: Path, step: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The folder is claimed before the inputs are read: a missing input is not even opened."""
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / ("selection.csv" if step == "draw" else "抽查计划公告.html")).write_text("old")
    missing = tmp_path / "nowhere.csv"
    if step == "draw":
        args = ["draw", f"--population={missing}", f"--plan={missing}", "--seed", "ab" * 32]
    else:
        args = ["notices", f"--plan={missing}"]
    assert main([*args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "already holds files of an earlier run" in err and "nowhere.csv" not in err


def test_a_demo_replaces_only_a_demo_folder(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "population.csv").write_text("uscc\n")
    with pytest.raises(FolderError, match="not written by a demo"):
        claim_demo_folder(mine)
    assert (mine / "population.csv").exists()
    demo = claim_demo_folder(tmp_path / "demo")
    (demo / "publish").mkdir()
    (demo / "publish" / "old.csv").write_text("old")
    assert claim_demo_folder(demo) == demo
    assert sorted(p.name for p in demo.iterdir()) == [DEMO_MARK]
    # a demo's folder of a version before the mark: its layout tells
    old = tmp_path / "demo-out"
    (old / "inputs").mkdir(parents=True)
    (old / "inputs" / "plan.toml").write_text("id = 'X'\n")
    (old / "publish" / "draw").mkdir(parents=True)
    (old / "report").mkdir()
    assert sorted(p.name for p in claim_demo_folder(old).iterdir()) == [DEMO_MARK]
    (mine / "publish").mkdir()  # a folder that merely has a publish/ beside other things is not a demo's
    with pytest.raises(FolderError, match="not written by a demo"):
        claim_demo_folder(mine)


def test_notices_into_an_old_folder_are_refused_or_replaced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example", "--out", str(tmp_path / "in"), "--entities", "80"]) == 0
    assert main(["draw", *example_inputs(tmp_path), "--seed", "cd" * 32, "--out", str(tmp_path / "d")]) == 0
    out = tmp_path / "n"
    out.mkdir()
    (out / "抽查结果公告.csv").write_text("an old result notice")
    capsys.readouterr()
    assert main(["notices", str(tmp_path / "d"), "--out", str(out)]) == 2
    assert "抽查结果公告.csv" in capsys.readouterr().err
    assert main(["notices", str(tmp_path / "d"), "--out", str(out), "--force"]) == 0
    assert not (out / "抽查结果公告.csv").exists() and (out / "抽查任务公告.html").exists()
