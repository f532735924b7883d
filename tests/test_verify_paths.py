"""A hostile manifest cannot make ``verify`` open what it should not: absolute paths, devices, FIFOs, links out."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shuangsuiji import _confine
from shuangsuiji.cli import main
from shuangsuiji.manifest import canonical_json
from shuangsuiji.verify import verify_draw

from .conftest import golden_args


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    vectors = Path(__file__).parent / "vectors"
    out = tmp_path_factory.mktemp("paths") / "draw"
    assert main(golden_args(vectors, out)) == 0
    return out


def _resealed(drawn: Path, tmp: Path, edit: Callable[[dict[str, Any], Path], None]) -> Path:
    """A copy of the draw whose manifest was edited and sealed again, as an attacker would."""
    folder = tmp / "copy"
    shutil.copytree(drawn, folder)
    manifest = json.loads((folder / "manifest.json").read_bytes())
    edit(manifest, folder)
    data = canonical_json(manifest)
    (folder / "manifest.json").write_bytes(data)
    (folder / "manifest.sha256").write_text(f"{hashlib.sha256(data).hexdigest()}  manifest.json\n", encoding="utf-8")
    return folder


def _population(path: str) -> Callable[[dict[str, Any], Path], None]:
    def edit(manifest: dict[str, Any], _: Path) -> None:
        manifest["inputs"]["population"]["path"] = path

    return edit


def _fifo(manifest: dict[str, Any], folder: Path) -> None:
    os.mkfifo(folder / "pipe")
    manifest["inputs"]["population"]["path"] = "pipe"


def _link_to_device(manifest: dict[str, Any], folder: Path) -> None:
    (folder / "zero").symlink_to("/dev/zero")
    manifest["inputs"]["population"]["path"] = "zero"


def _output_up(manifest: dict[str, Any], _: Path) -> None:
    manifest["outputs"]["../../../../etc/hostname"] = manifest["outputs"].pop("summary.csv")


@pytest.mark.parametrize(
    ("edit", "check", "reason"),
    [
        (_population("/etc/hostname"), "input population", "absolute path '/etc/hostname'"),
        (_population("/dev/zero"), "input population", "absolute path '/dev/zero'"),
        (_fifo, "input population", "is not a regular file"),
        (_link_to_device, "input population", "is not a regular file"),
        (_output_up, "output ../../../../etc/hostname", "not a file name in the draw's folder"),
    ],
    ids=["absolute", "device", "fifo", "link-to-device", "output-outside"],
)
def test_a_manifest_pointing_where_it_should_not_fails_at_once_and_opens_nothing(
    drawn: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    edit: Callable[[dict[str, Any], Path], None],
    check: str,
    reason: str,
) -> None:
    folder = _resealed(drawn, tmp_path, edit)
    opened: list[str] = []
    real_open = Path.open

    def watched(self: Path, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", watched)
    start = time.monotonic()
    result = verify_draw(folder)
    assert time.monotonic() - start < 10
    assert not result.ok
    (failed,) = [c for c in result.checks if c.name == check]
    assert not failed.ok and reason in failed.detail and "not opened" in failed.detail
    assert not any(p.startswith(("/etc", "/dev")) or p.endswith(("pipe", "zero")) for p in opened)


def test_a_public_folder_does_not_follow_a_path_out_of_it(drawn: Path, tmp_path: Path) -> None:
    folder = _resealed(drawn, tmp_path, _population("../../../../../../etc/hostname"))
    (folder / "publication.json").write_text("{}", encoding="utf-8")
    result = verify_draw(folder)
    (failed,) = [c for c in result.checks if c.name == "input population"]
    assert not failed.ok and "outside this public folder" in failed.detail


def test_published_only_confines_a_draw_folder_too(drawn: Path, tmp_path: Path) -> None:
    folder = _resealed(drawn, tmp_path, _population("../../../../../../etc/hostname"))
    result = verify_draw(folder, published_only=True)
    (failed,) = [c for c in result.checks if c.name == "input population"]
    assert not failed.ok and "outside this public folder" in failed.detail


def test_a_file_given_on_the_command_line_is_still_only_a_regular_file(drawn: Path) -> None:
    result = verify_draw(drawn, population="/dev/zero")
    (failed,) = [c for c in result.checks if c.name == "input population"]
    assert not failed.ok and "is not a regular file" in failed.detail


def test_a_file_larger_than_the_limit_is_not_read(drawn: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_confine, "MAX_INPUT_BYTES", 10)
    result = verify_draw(drawn)
    (failed,) = [c for c in result.checks if c.name == "input population"]
    assert not failed.ok and "more than the 10 a verifier reads" in failed.detail


def test_the_golden_draw_still_verifies_with_its_relative_paths(drawn: Path) -> None:
    assert verify_draw(drawn).ok
