"""Every byte the reference runs publish is what the code wrote before the reorganisation.

``tests/recorded/outputs.json`` holds the SHA-256 of every file of two runs (the example city
through every command; the demo on 20,000 entities), recorded by ``tests/recorded/record.py`` on
the commit it names, before the workflow layer existed. The runs are repeated here and must give
the same files, byte for byte, and the same verification.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .recorded.runs import RUNS

RECORDED = json.loads((Path(__file__).parent / "recorded" / "outputs.json").read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RUNS))
def test_reference_run_writes_the_recorded_bytes(name: str, tmp_path: Path) -> None:
    got = RUNS[name](tmp_path)
    expected = RECORDED[name]
    assert sorted(got["files"]) == sorted(expected["files"])
    changed = [f for f in expected["files"] if got["files"][f] != expected["files"][f]]
    assert not changed, f"files whose bytes changed: {changed}"
    assert got["verify"] == expected["verify"]
    for key in set(expected) - {"files", "verify"}:
        assert got[key] == expected[key], key
