"""The public folder: what anyone may see and check, no secret, no inputs; verify on it alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from shuangsuiji.cli import main
from shuangsuiji.exceptions import FolderError
from shuangsuiji.verify import verify_draw
from shuangsuiji.workflow import run_publish

from .conftest import publish_staffed


@pytest.fixture(scope="module")
def staffed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("publish")
    draw = publish_staffed(tmp, entities=400, seed=9)
    assert main(["notices", str(draw), "--out", str(tmp / "notices")]) == 0
    return draw


def test_the_public_folder_verifies_alone(staffed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    public = tmp_path / "public"
    assert (
        main(["publish", str(staffed), "--out", str(public), "--notices", str(staffed.parent.parent / "notices")]) == 0
    )
    assert "Not published" in capsys.readouterr().out
    names = {str(p.relative_to(public)) for p in public.rglob("*") if p.is_file()}
    assert {"commitment.json", "commitment.sha256", "verify.html", "如何核验.txt"} <= names
    assert {"draw/manifest.json", "draw/selection.csv", "draw/assignment.json", "draw/teams.csv"} <= names
    assert any(n.startswith("notices/抽查任务公告") for n in names) and "notices/pending.csv" not in names
    assert not any("secret" in n or n.endswith(("roster.csv", "conflicts.csv", "population.csv")) for n in names)
    record = json.loads((public / "draw/publication.json").read_text())
    assert record["withheld"] == ["history", "plan", "population"]
    # An auditor with a copy of the folder and nothing else.
    copy = tmp_path / "elsewhere" / "copy"
    shutil.copytree(public, copy)
    result = verify_draw(copy / "draw")
    assert result.ok, str(result)
    text = str(result)
    assert "FileNotFoundError" not in text and "KeyError" not in text
    assert "n/a   input population: not published" in text and "n/a   draw recomputed" in text
    assert "ok    tickets and thresholds" in text and "ok    seed: commit-reveal" in text
    assert result.verdict().startswith("VERIFIED (the published files)")
    # A changed table in the copy is still caught without the population.
    table = copy / "draw/selection.csv"
    table.write_bytes(table.read_bytes().replace(b"\n", b"\r\n", 1))
    assert not verify_draw(copy / "draw").ok


def test_the_plan_comes_from_the_manifest(staffed: Path, tmp_path: Path) -> None:
    public = tmp_path / "public"
    run_publish(staffed, public)
    inputs = staffed.parent.parent / "in"
    # whoever holds the population and the history recomputes the whole draw; the plan is the manifest's
    result = verify_draw(public / "draw", population=inputs / "population.csv", history=inputs / "history.csv")
    assert "ok    recomputed selection.csv: identical" in str(result)
    assert "ok    recomputed manifest" in str(result)
    assert "n/a   input plan" in str(result)


def test_a_folder_holding_a_secret_is_refused(staffed: Path, tmp_path: Path) -> None:
    secret = staffed.parent / "secret.txt"
    secret.write_text("ab" * 32 + "\n")
    try:
        with pytest.raises(FolderError, match="secret"):
            run_publish(staffed, tmp_path / "public")
    finally:
        secret.unlink()
    # found by content too: the revealed secret under another name, in the target
    revealed = json.loads((staffed / "manifest.json").read_bytes())["seed"]["secret"]
    (tmp_path / "public2").mkdir()
    (tmp_path / "public2" / "key.txt").write_text(revealed + "\n")
    with pytest.raises(FolderError, match=r"key\.txt"):
        run_publish(staffed, tmp_path / "public2")


def test_republishing_is_refused_or_replaced(staffed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    public = tmp_path / "public"
    run_publish(staffed, public)
    (public / "draw" / "old-notice.csv").write_text("stale")
    assert main(["publish", str(staffed), "--out", str(public)]) == 2
    assert "earlier run" in capsys.readouterr().err
    assert main(["publish", str(staffed), "--out", str(public), "--force"]) == 0
    assert not (public / "draw" / "old-notice.csv").exists()
    assert main(["publish", str(staffed), "--out", str(staffed / "sub")]) == 2
    assert "not into the draw's folder" in capsys.readouterr().err


def test_missing_inputs_are_explained_in_words(staffed: Path, tmp_path: Path) -> None:
    """A draw folder copied without its inputs (not a publication): each missing file named, with its option."""
    copy = tmp_path / "pub" / "draw"
    shutil.copytree(staffed, copy)
    result = verify_draw(copy)
    assert not result.ok
    text = str(result)
    assert "FAIL  input population:" in text and "give --population FILE" in text
    assert "FileNotFoundError" not in text
