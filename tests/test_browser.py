"""The offline verification page in headless Chromium, against the Python verifier on the same cases.

CI installs Debian's chromium and sets SHUANGSUIJI_REQUIRE_BROWSER=1, which turns a missing browser into
a failure instead of a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest

from shuangsuiji import ticket
from shuangsuiji.cli import main
from shuangsuiji.proofs import make_proof, verify_proof

from .conftest import publish

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
if CHROMIUM is None:
    if os.environ.get("SHUANGSUIJI_REQUIRE_BROWSER") == "1":
        raise RuntimeError("SHUANGSUIJI_REQUIRE_BROWSER=1 but no chromium is installed")
    pytestmark = pytest.mark.skip(reason="needs headless chromium (Debian package 'chromium')")


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []
        self.attrs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "tr" and "data-verdict" in a:
            self.rows.append({k[5:]: v for k, v in a.items() if k.startswith("data-")})
        for key in ("data-done", "data-ok"):
            if key in a:
                self.attrs[key] = a[key]
        if a.get("id") == "manifest-sha256":
            self.attrs["manifest"] = "pending"


def run_page(folder: Path, uscc: str, proof: str | None = None) -> _Rows:
    query = f"manifest=manifest.json&uscc={quote(uscc)}" + (f"&proof={quote(proof)}" if proof else "")
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run(
            [
                CHROMIUM or "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--allow-file-access-from-files",
                "--virtual-time-budget=15000",
                "--dump-dom",
                (folder / "verify.html").as_uri() + "?" + query,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    rows = _Rows()
    rows.feed(out)
    assert rows.attrs.get("data-done") == "true", out[-2000:]
    return rows


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = publish(tmp_path_factory.mktemp("page"), entities=500, seed=8, beacon_value="c0ffee")
    assert main(["page", "--out", str(folder / "verify.html")]) == 0
    return folder


def _codes(folder: Path) -> list[str]:
    sel = pd.read_csv(folder / "selection.csv", dtype=str, encoding="utf-8-sig")
    exc = pd.read_csv(folder / "excluded.csv", dtype=str, encoding="utf-8-sig")
    manifest = json.loads((folder / "manifest.json").read_bytes())
    pop = pd.read_csv(folder / manifest["inputs"]["population"]["path"], dtype=str, encoding="utf-8-sig")
    return list(dict.fromkeys([sel["uscc"].iloc[0], sel["uscc"].iloc[-1], exc["uscc"].iloc[0], *pop["uscc"].iloc[:3]]))


def test_page_agrees_with_python_on_proofs(published: Path) -> None:
    manifest_bytes = (published / "manifest.json").read_bytes()
    seen = set()
    for code in _codes(published):
        proof = make_proof(published, code).to_dict()
        (published / f"proof-{code}.json").write_text(json.dumps(proof, ensure_ascii=False), encoding="utf-8")
        assert verify_proof(proof, manifest_bytes).ok
        page = run_page(published, code, f"proof-{code}.json")
        assert page.attrs.get("data-ok") == "true"
        python = {t["task_id"]: t for t in proof["tasks"]}
        assert [r["task"] for r in page.rows] == list(python)
        for row in page.rows:
            want = python[row["task"]]
            assert row["ticket"] == want["ticket"]
            assert row["verdict"] == want["outcome"], (code, row, want)
            if want["outcome"] in ("selected", "not_selected"):
                assert (row["stratum"], row["threshold"]) == (want["stratum"], want["threshold"])
            seen.add(row["verdict"])
    assert {"selected", "not_selected", "excluded", "out_of_scope"} <= seen


def test_page_without_a_proof_lists_every_stratum(published: Path) -> None:
    manifest = json.loads((published / "manifest.json").read_bytes())
    code = _codes(published)[0]
    page = run_page(published, code)
    seed = manifest["seed"]["value"]
    expected = []
    for task in manifest["tasks"]:
        mine = ticket(seed, task["scope"], code)
        for s in task["strata"]:
            verdict = "selected" if s["threshold"] and mine <= s["threshold"] else "not_selected"
            expected.append((task["id"], mine, s["label"], s["threshold"], verdict))
    got = [(r["task"], r["ticket"], r["stratum"], r["threshold"], r["verdict"]) for r in page.rows]
    assert got == expected


def test_page_rejects_a_tampered_proof(published: Path) -> None:
    code = _codes(published)[0]
    proof = make_proof(published, code).to_dict()
    proof["leaf"] = proof["leaf"].replace('"credit_class":"', '"credit_class":"X', 1)
    (published / "tampered.json").write_text(json.dumps(proof, ensure_ascii=False), encoding="utf-8")
    page = run_page(published, code, "tampered.json")
    assert page.attrs.get("data-ok") == "false"
