"""Every byte the reference runs publish is what the code wrote before the reorganisation.

``tests/recorded/outputs.json`` holds the SHA-256 of every file of two runs (the example city
through every command; the demo on 20,000 entities), recorded by ``tests/recorded/record.py`` on
the commit it names, before the workflow layer existed. The runs are repeated here and must give
the same files, byte for byte, and the same verification.

Files changed on purpose since the recording are listed in :data:`CHANGED_ON_PURPOSE` with the issue
that changed them, and their bytes are pinned by that issue's own tests instead. The synthetic roster,
an input, changed in issue 14 (sized to staff the plan); the runs keep the recording's roster
(``tests/recorded/legacy_roster.py``), so nothing else they publish moves.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .recorded.runs import RUNS

RECORDED = json.loads((Path(__file__).parent / "recorded" / "outputs.json").read_text(encoding="utf-8"))

#: Path prefixes whose files changed on purpose (not compared), per run.
CHANGED_ON_PURPOSE: dict[str, tuple[str, ...]] = {
    # issue 13: printable notices from templates (tests/test_notices.py, test_notice_print.py), the page
    # rewritten (tests/test_browser.py), the demo's folder marked as a demo's (tests/test_folders.py), and
    # its public folder (tests/test_publish.py)
    #
    # issue 14: the commitment binds the assignment's inputs too (tests/test_bound.py), so the commitment,
    # the seed derived from it and everything drawn and staffed from that seed moved; the assignment's
    # costs, joint fallback and desk checks are pinned by tests/test_assignment_spec.py (written from
    # docs/assignment.md alone), tests/test_joint_fallback.py and tests/test_desk.py. The inputs, the
    # seeded draw and the secret are still compared byte for byte.
    "example": ("pub/", "in/results.csv"),  # the results are made up for the drawn firms
    "demo_20000": ("publish/", ".shuangsuiji-demo", "public/", "inputs/results.csv"),
}
#: Recorded results other than files that changed on purpose (issue 14, as above: the published draw's checks).
RESULTS_CHANGED: dict[str, tuple[str, ...]] = {
    "example": ("verify", "verify_proof"),
    "demo_20000": ("verify", "summary"),
}
#: Files moved on purpose, recorded path -> path now (compared byte for byte at their new place).
MOVED = {"demo_20000": {"publish/secret.txt": "private/secret.txt"}}  # issue 13: the secret out of publish/


def _kept(name: str, files: dict[str, str]) -> dict[str, str]:
    return {f: h for f, h in files.items() if not f.startswith(CHANGED_ON_PURPOSE.get(name, ()))}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RUNS))
def test_reference_run_writes_the_recorded_bytes(name: str, tmp_path: Path) -> None:
    got = RUNS[name](tmp_path)
    expected = RECORDED[name]
    moved = MOVED.get(name, {})
    now = _kept(name, got["files"])
    recorded = _kept(name, {moved.get(f, f): h for f, h in expected["files"].items()})
    assert sorted(now) == sorted(recorded)
    changed = [f for f in recorded if now[f] != recorded[f]]
    assert not changed, f"files whose bytes changed: {changed}"
    for key in sorted(set(expected) - {"files", *RESULTS_CHANGED.get(name, ())}):
        assert got[key] == expected[key], key
