"""Tampering with a committed, staffed batch with results and notices: ``verify`` catches every change.

The batch is the demo's (commit, draw, assign, results, notices). Each case changes one published
file as an attacker would (a byte, a cut, an addition, a deletion; or a field of a JSON record edited
and the record sealed again with a fresh SHA-256), and the verification of the changed copy must fail.
The changes are chosen by a seeded generator, so the same cases run every time.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shuangsuiji.cli import main
from shuangsuiji.manifest import canonical_json
from shuangsuiji.verify import verify_draw
from shuangsuiji.workflow import run_demo

from .json_edits import edit, leaves

#: Files whose bytes decide nothing a verifier can check: the offline page is a tool, not a record, and
#: ``pending.csv`` is the bureau's to-do list of results still due (never published).
UNCHECKED = {"verify.html", "pending.csv"}
#: The records sealed by a ``NAME.sha256`` beside them, and what an attacker edits in each.
SEALED = ("draw/manifest.json", "draw/assignment.json", "notices/notices.json", "commitment.json")
FIELDS_PER_RECORD = 9


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = run_demo(tmp_path_factory.mktemp("tamper") / "out", entities=1000).out
    assert verify_draw(out / "publish" / "draw", results=out / "inputs" / "results.csv").ok
    return out


def _copy(batch: Path, tmp: Path) -> Path:
    shutil.copytree(batch, tmp / "copy")
    return tmp / "copy"


def _verified(copy: Path) -> bool:
    return verify_draw(copy / "publish" / "draw", results=copy / "inputs" / "results.csv").ok


def _published(batch: Path) -> list[str]:
    root = batch / "publish"
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.name not in UNCHECKED)


def _byte_changes(batch: Path) -> Iterator[tuple[str, str]]:
    kinds = ("flip", "cut", "add", "delete")
    for k, name in enumerate(_published(batch)):
        yield name, kinds[k % len(kinds)]
    yield "../inputs/results.csv", "flip"  # the results file a 抽查结果公告 was made from


def _apply(path: Path, kind: str) -> None:
    data = path.read_bytes()
    if kind == "delete":
        path.unlink()
    elif kind == "cut":
        path.write_bytes(data[: len(data) // 2])
    elif kind == "add":
        path.write_bytes(data + b"\n")
    else:
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :])


@pytest.mark.slow
def test_every_change_to_a_published_file_is_caught(batch: Path, tmp_path: Path) -> None:
    missed = []
    for name, kind in _byte_changes(batch):
        copy = _copy(batch, tmp_path / f"{len(missed)}-{hashlib.sha256(name.encode()).hexdigest()[:8]}")
        _apply(copy / "publish" / name, kind)
        if _verified(copy):
            missed.append(f"{name} ({kind})")
        shutil.rmtree(copy)
    assert not missed


def _field_edits(batch: Path) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    rng = np.random.default_rng(16)
    for record in SEALED:
        fields = leaves(json.loads((batch / "publish" / record).read_bytes()))
        for k in sorted(rng.choice(len(fields), size=min(FIELDS_PER_RECORD, len(fields)), replace=False)):
            yield record, fields[int(k)]


def _resealed(path: Path, edit: Callable[[Any], None]) -> None:
    doc = json.loads(path.read_bytes())
    edit(doc)
    data = canonical_json(doc)
    path.write_bytes(data)
    path.with_suffix(".sha256").write_text(f"{hashlib.sha256(data).hexdigest()}  {path.name}\n", encoding="utf-8")


@pytest.mark.slow
def test_every_field_of_a_sealed_record_edited_and_sealed_again_is_caught(batch: Path, tmp_path: Path) -> None:
    missed = []
    for k, (record, field) in enumerate(_field_edits(batch)):
        copy = _copy(batch, tmp_path / f"field-{k}")
        _resealed(copy / "publish" / record, lambda doc, f=field: edit(doc, f))  # type: ignore[misc]
        if _verified(copy):
            missed.append(f"{record}: {'.'.join(map(str, field))}")
        shutil.rmtree(copy)
    assert not missed


def test_a_committed_batch_drawn_again_from_a_direct_seed_fails(batch: Path, tmp_path: Path) -> None:
    copy = _copy(batch, tmp_path)
    inputs, draw = copy / "inputs", copy / "publish" / "draw"
    for name in draw.iterdir():
        name.unlink()
    argv = ["draw", "--population", inputs / "population.csv", "--plan", inputs / "plan.toml"]
    argv += ["--history", inputs / "history.csv", "--seed", "cd" * 32, "--out", draw]
    assert main([str(a) for a in argv]) == 0
    result = verify_draw(draw)
    assert not result.ok
    (downgrade,) = [c for c in result.checks if c.name == "seed from the commitment"]
    assert not downgrade.ok and "given directly" in downgrade.detail


def test_an_assignment_without_its_record_fails(batch: Path, tmp_path: Path) -> None:
    copy = _copy(batch, tmp_path)
    draw = copy / "publish" / "draw"
    (draw / "assignment.json").unlink()
    (draw / "assignment.sha256").unlink()
    result = verify_draw(draw)
    (record,) = [c for c in result.checks if c.name == "assignment record"]
    assert not result.ok and not record.ok and "without assignment.json" in record.detail


def test_another_draws_assignment_fails(batch: Path, tmp_path: Path) -> None:
    """An assignment.json naming another folder's manifest (sealed again) does not staff this draw."""
    copy = _copy(batch, tmp_path)
    other = copy / "other"
    shutil.copytree(copy / "publish" / "draw", other)
    elsewhere = "../../other/manifest.json"
    _resealed(copy / "publish" / "draw" / "assignment.json", lambda doc: doc["draw"].update(path=elsewhere))
    result = verify_draw(copy / "publish" / "draw")
    (staffs,) = [c for c in result.checks if c.name == "assignment staffs this draw"]
    assert not staffs.ok and "not this folder's manifest" in staffs.detail


@pytest.mark.parametrize("left", ["a table of a new draw", "assignment tables without their record"])
def test_a_half_written_folder_is_refused_by_the_steps_that_read_it(
    batch: Path, tmp_path: Path, left: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run killed after some files and before its manifest leaves a folder no later step may use."""
    copy = _copy(batch, tmp_path)
    draw = copy / "publish" / "draw"
    if left == "a table of a new draw":
        (draw / "selection.csv").write_bytes((draw / "selection.csv").read_bytes()[:-50])
    else:
        (draw / "assignment.json").unlink()
    capsys.readouterr()
    assert main(["notices", str(draw), "--out", str(tmp_path / "n")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and ("half-written" in err or "without assignment.json" in err)
    assert not (tmp_path / "n").exists()
    assert main(["report", str(draw), "--out", str(tmp_path / "r")]) == 2
    assert not verify_draw(draw).ok
