"""Atomic runs: a run killed at any moment leaves the earlier run whole or the new one whole, and says so.

Each run is killed (``os._exit``, no clean-up, as SIGKILL) before its N-th file rename, for every N
until it finishes (:mod:`tests.kill_at`): every state a killed run can leave on disk is met. After
each kill the folder must hold, outside the run's stage, exactly the earlier run's files, or, when
the run had reached its journal, exactly the new run's files once settled; ``verify`` must fail and
say which run was interrupted; the next step must refuse the folder or finish the run; and the
step run again with ``--force`` must give a folder that verifies.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from shuangsuiji._runs import JOURNAL, STAGE_PREFIX, settle, stage_of, staged_run, unsettled
from shuangsuiji.cli import main
from shuangsuiji.exceptions import FolderError

from .conftest import example_inputs
from .kill_at import KILLED

ROOT = Path(__file__).resolve().parents[1]


def _killed_at(n: int, args: list[str]) -> int:
    """The exit status of ``shuangsuiji ARGS`` killed before its ``n``-th rename (0: it finished first)."""
    return subprocess.run(
        [sys.executable, "-m", "tests.kill_at", str(n), *args], cwd=ROOT, capture_output=True, check=False
    ).returncode


def _files(folder: Path) -> dict[str, bytes]:
    """The folder's files (not its subfolders: a run's stage), name -> bytes."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _kill_everywhere(
    tmp: Path,
    old: Path,
    args: Callable[[Path], list[str]],
    new: dict[str, bytes],
    capsys: pytest.CaptureFixture[str],
    *,
    step: str,
    every: int = 1,
    again: str = "--force",
) -> int:
    """Kill ``args(folder)`` at each rename in a copy of ``old``; check what is left. Returns the kills made."""
    before = _files(old)
    kills = 0
    for n in range(1, 200, every):
        folder = tmp / "run"
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(old, folder)
        status = _killed_at(n, args(folder))
        if status == 0:
            assert _files(folder) == new, n
            assert unsettled(folder) == []
            break
        assert status == KILLED, (n, status)
        kills += 1
        stage = stage_of(folder, step)
        assert stage.is_dir(), n
        assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")], n  # every half-written file is staged
        capsys.readouterr()
        assert main(["verify", str(folder)]) == 1
        out = capsys.readouterr().out
        assert "FAIL  every run finished" in out and f"'{step}'" in out, out
        if (stage / JOURNAL).is_file():  # done, cut off while moving in: settled, it is the new run whole
            assert "cut off while its files were put in place" in out
            settle(folder)
            assert _files(folder) == new, n
        else:  # interrupted: the earlier run is untouched, and nothing takes the folder as it is
            assert _files(folder) == before, n
            assert "was interrupted before it finished" in out and again in out
            with pytest.raises(FolderError, match="interrupted"):
                settle(folder)
    else:
        pytest.fail("the run never finished")
    return kills


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An example city drawn (seed ``ab..``) and staffed in ``old``; ``new`` drawn with seed ``cd..``."""
    tmp = tmp_path_factory.mktemp("atomic")
    assert main(["example", "--out", str(tmp / "in"), "--entities", "150", "--seed", "3"]) == 0
    for name, seed in (("old", "ab"), ("new", "cd")):
        assert main(["draw", *example_inputs(tmp), "--seed", seed * 32, "--out", str(tmp / name)]) == 0
    assert main(_assign(tmp, tmp / "old")) == 0
    return tmp


def _assign(tmp: Path, folder: Path, *extra: str) -> list[str]:
    files = [f"--population={tmp / 'in/population.csv'}", f"--roster={tmp / 'in/roster.csv'}"]
    return [
        "assign",
        str(folder),
        *files,
        f"--calendar-overrides={tmp / 'in/calendar-2027.csv'}",
        "--allow-partial",
        *extra,
    ]


def test_a_killed_redraw_leaves_the_earlier_draw_or_the_new_one(city: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = _files(city / "new")

    def redraw(folder: Path) -> list[str]:
        return ["draw", *example_inputs(city), "--seed", "cd" * 32, "--out", str(folder), "--force"]

    # the earlier draw's assignment goes with it, once the new draw is whole
    kills = _kill_everywhere(city, city / "old", redraw, new, capsys, step="draw")
    assert kills >= 10  # six files, their seals, the stamp, the journal and the moves: each a moment
    # killed before the journal, the folder refuses the next step and a redraw without --force
    folder = city / "run"
    shutil.rmtree(folder)
    shutil.copytree(city / "old", folder)
    assert _killed_at(3, redraw(folder)) == KILLED
    capsys.readouterr()
    assert main(_assign(city, folder, "--force")) == 2
    err = capsys.readouterr().err
    assert "'draw'" in err and "interrupted" in err and "Traceback" not in err
    assert main(redraw(folder)[:-1]) == 2
    assert "interrupted" in capsys.readouterr().err
    assert main(redraw(folder)) == 0  # --force: the interrupted run's stage goes, the new run lands
    assert not any(p.name.startswith(STAGE_PREFIX) for p in folder.iterdir())
    assert main(["verify", str(folder)]) == 0
    assert _files(folder) == new  # the seal, moved in last, says which run the folder holds


def test_a_killed_reassignment_leaves_the_earlier_assignment_or_the_new_one(
    city: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    redo = city / "redo"  # beside "run", so that the paths the assignment records are the same
    shutil.copytree(city / "old", redo)
    window = ["--window", "2027-04-01:2027-06-30"]
    assert main(_assign(city, redo, "--force", *window)) == 0
    new = _files(redo)
    assert new["assignment.json"] != _files(city / "old")["assignment.json"]
    kills = _kill_everywhere(
        city, city / "old", lambda f: _assign(city, f, "--force", *window), new, capsys, step="assign", every=2
    )
    assert kills >= 5


def test_a_killed_commit_never_publishes_a_commitment_without_its_secret(tmp_path: Path, city: Path) -> None:
    def commit(out: Path, secret: Path) -> list[str]:
        beacon = ["--beacon", "drand quicknet round 9"]
        return ["commit", *example_inputs(city), *beacon, "--out", str(out), "--secret-out", str(secret), "--force"]

    first = tmp_path / "first"
    assert main(commit(first, tmp_path / "secret-0.txt")[:-1]) == 0
    old = (first / "commitment.json").read_bytes()
    landed = 0
    for n in range(1, 50):
        out = tmp_path / f"c{n}"
        shutil.copytree(first, out)
        secret = tmp_path / f"secret-{n}.txt"
        status = _killed_at(n, commit(out, secret))
        settle(out, discard=("commit",))  # a journaled run lands, an interrupted one goes
        now = (out / "commitment.json").read_bytes()
        assert (out / "commitment.sha256").read_bytes() == f"{_sha(now)}  commitment.json\n".encode()
        if now != old:  # the new commitment is out: its secret was kept before it
            landed += 1
            assert _sha(bytes.fromhex(secret.read_text().strip())) == json.loads(now)["secret_sha256"]
        if status == 0:
            break
        assert status == KILLED
    assert landed >= 2


def test_a_killed_notices_run_leaves_the_earlier_notices_or_the_new_ones(
    city: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notices = tmp_path / "notices"
    assert main(["notices", str(city / "old"), "--out", str(notices)]) == 0
    before = _files(notices)
    for n in (1, 4, 8):
        out = tmp_path / f"n{n}"
        shutil.copytree(notices, out)
        assert _killed_at(n, ["notices", str(city / "new"), "--out", str(out), "--force"]) == KILLED
        assert _files(out) == before, n
        assert "'notices'" in unsettled(out)[0]
        capsys.readouterr()
        assert main(["notices", str(city / "new"), "--out", str(out)]) == 2
        assert "interrupted" in capsys.readouterr().err
        assert main(["notices", str(city / "new"), "--out", str(out), "--force"]) == 0
        assert unsettled(out) == [] and _files(out) != before


def test_a_killed_amendment_leaves_the_assignment_before_it_or_the_amended_one(
    city: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = city / "old"
    teams = pd.read_csv(old / "teams.csv", dtype=str, keep_default_na=False)
    visits = pd.read_csv(old / "visits.csv", dtype=str, keep_default_na=False).set_index("visit_id")
    first = teams.iloc[0]
    change = f"{first['inspector_id']}:{visits.loc[first['visit_id'], 'uscc']}"

    def amend(folder: Path) -> list[str]:
        why = ["--requested-by", "企业", "--reason", "亲属", "--on", "2027-03-01"]
        return ["amend", str(folder), "--recusal", change, *why]

    amended = city / "amended"  # beside "run", so that the paths the assignment records are the same
    shutil.copytree(old, amended)
    assert main(amend(amended)) == 0
    new = _files(amended)
    assert new["assignment.json"] != _files(old)["assignment.json"]
    kills = _kill_everywhere(city, old, amend, new, capsys, step="amend", again="Remove")
    assert kills >= 3
    folder = city / "run"  # the last kill's folder, finished: an interrupted amendment is refused, not re-applied
    shutil.rmtree(folder)
    shutil.copytree(old, folder)
    assert _killed_at(1, amend(folder)) == KILLED
    capsys.readouterr()
    assert main(amend(folder)) == 2
    err = capsys.readouterr().err
    assert "interrupted" in err and "Remove" in err and "Traceback" not in err
    shutil.rmtree(stage_of(folder, "amend"))
    assert main(amend(folder)) == 0 and _files(folder) == new


# ---------------------------------------------------------------- the stage itself


def test_staged_run_moves_in_its_files_and_removes_only_the_earlier_runs(tmp_path: Path) -> None:
    (tmp_path / "old.csv").write_text("earlier run")
    (tmp_path / "keep.csv").write_text("kept")
    (tmp_path / "clerk.txt").write_text("the clerk's")
    with staged_run(tmp_path, step="t", owned=("old.csv", "keep.csv", "new.csv")) as stage:
        (stage / "new.csv").write_text("new")
        (stage / "keep.csv").write_text("replaced")
        assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
            "clerk.txt",
            "keep.csv",
            "old.csv",
        ]
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["clerk.txt", "keep.csv", "new.csv"]
    assert (tmp_path / "keep.csv").read_text() == "replaced"


def test_a_journal_moves_tables_then_records_then_seals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    moved: list[str] = []
    rename = os.replace

    def replace(src: str | Path, dst: str | Path) -> None:
        if Path(src).parent.name.startswith(STAGE_PREFIX) and Path(dst).parent == tmp_path:
            moved.append(Path(dst).name)
        rename(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with staged_run(tmp_path, step="t", owned=()) as stage:
        for name in ("manifest.sha256", "manifest.json", "b.csv", "a.csv", "other.json"):
            (stage / name).write_text(name)
    assert moved == ["a.csv", "b.csv", "other.json", "manifest.json", "manifest.sha256"]


def test_a_run_that_fails_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("earlier")
    with pytest.raises(ValueError, match="bad"), staged_run(tmp_path, step="t", owned=("a.csv",)) as stage:
        (stage / "a.csv").write_text("half")
        raise ValueError("bad")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"] and (tmp_path / "a.csv").read_text() == "earlier"


@pytest.mark.parametrize(
    "journal",
    [
        b"not json",
        b"[]",
        json.dumps({"format": "other/1", "remove": [], "move": []}).encode(),
        json.dumps({"format": "shuangsuiji-run/1", "remove": ["../outside.csv"], "move": []}).encode(),
        json.dumps({"format": "shuangsuiji-run/1", "remove": [], "move": "a.csv"}).encode(),
        json.dumps({"format": "shuangsuiji-run/1", "remove": [], "move": [".."]}).encode(),
    ],
)
def test_a_journal_it_did_not_write_is_refused_and_nothing_moves(tmp_path: Path, journal: bytes) -> None:
    (tmp_path.parent / "outside.csv").write_text("outside")
    stage = stage_of(tmp_path, "t")
    stage.mkdir()
    (stage / JOURNAL).write_bytes(journal)
    with pytest.raises(FolderError, match="not a journal shuangsuiji wrote"):
        settle(tmp_path)
    assert (tmp_path.parent / "outside.csv").exists() and stage.is_dir()


def test_a_stage_holding_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FolderError, match="stages files only"), staged_run(tmp_path, step="t", owned=()) as stage:
        (stage / "sub").mkdir()
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_stage_without_its_start_is_still_named(tmp_path: Path) -> None:
    stage_of(tmp_path, "draw").mkdir()  # killed before STARTED.json was in place
    (said,) = unsettled(tmp_path)
    assert "'draw'" in said and "started at an unknown time" in said and "--force" in said
    with pytest.raises(FolderError, match="started at an unknown time"):
        settle(tmp_path)
    settle(tmp_path, discard=("draw",))
    assert list(tmp_path.iterdir()) == []
