"""A publication lands whole: a killed ``publish`` leaves no half-posted public folder, and says so next time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shuangsuiji.cli import main

from .conftest import example_inputs
from .kill_at import KILLED

ROOT = Path(__file__).resolve().parents[1]


def _killed_at(n: int, args: list[str]) -> int:
    return subprocess.run(
        [sys.executable, "-m", "tests.kill_at", str(n), *args], cwd=ROOT, capture_output=True, check=False
    ).returncode


def _stage(target: Path) -> Path:
    return target.parent / f".{target.name}.shuangsuiji-partial-publish"


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("publish")
    assert main(["example", "--out", str(tmp / "in"), "--entities", "150", "--seed", "3"]) == 0
    assert main(["draw", *example_inputs(tmp), "--seed", "ab" * 32, "--out", str(tmp / "draw")]) == 0
    assert main(["notices", str(tmp / "draw"), "--out", str(tmp / "notices")]) == 0
    return tmp


def _publish(tmp: Path, target: Path, *extra: str) -> list[str]:
    return ["publish", str(tmp / "draw"), "--out", str(target), "--notices", str(tmp / "notices"), *extra]


def test_a_killed_publication_leaves_nothing_posted(drawn: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kills = 0
    for n in range(1, 100, 3):
        target = drawn / f"public-{n}"
        status = _killed_at(n, _publish(drawn, target))
        if status == 0:
            assert not _stage(target).exists()
            assert main(["verify", str(target / "draw")]) == 0
            break
        assert status == KILLED, (n, status)
        kills += 1
        assert not target.exists(), n  # not one file of a half-assembled publication is in the public folder
        assert _stage(target).is_dir(), n
        capsys.readouterr()
        assert main(_publish(drawn, target)) == 2
        err = capsys.readouterr().err
        assert "was interrupted" in err and "--force" in err and "Traceback" not in err
        assert not target.exists()
    else:
        pytest.fail("publish never finished")
    assert kills >= 3
    target = drawn / "public-1"
    assert main(_publish(drawn, target, "--force")) == 0
    assert not _stage(target).exists() and (target / "notices").is_dir()
    assert main(["verify", str(target / "draw")]) == 0


def test_republishing_with_force_replaces_the_earlier_publication_whole(
    drawn: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = drawn / "public"
    assert main(["publish", str(drawn / "draw"), "--out", str(target)]) == 0
    assert not (target / "notices").exists()
    (target / "mine.txt").write_text("the bureau's own note")
    capsys.readouterr()
    assert main(_publish(drawn, target)) == 2
    assert "already holds" in capsys.readouterr().err
    assert main(_publish(drawn, target, "--force")) == 0
    assert sorted(p.name for p in (target / "notices").iterdir()) == sorted(
        p.name for p in (drawn / "notices").iterdir() if p.name != "pending.csv" and not p.name.startswith(".")
    )
    assert (target / "mine.txt").read_text() == "the bureau's own note"
    assert not _stage(target).exists()
    assert main(["verify", str(target / "draw")]) == 0
