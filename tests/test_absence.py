"""Non-membership proofs (``shuangsuiji-absence/1``): made for codes not in the population, checked alone."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from shuangsuiji.absence import AbsenceProof, Neighbour, _brackets, make_absence_proof, verify_absence
from shuangsuiji.cli import main
from shuangsuiji.exceptions import ProofError
from shuangsuiji.merkle import audit_path, leaf_hashes

from .conftest import publish


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("absence")
    publish(tmp, entities=300, seed=8)
    return tmp


def _codes(published: Path) -> list[str]:
    pop = pd.read_csv(published / "in/population.csv", dtype=str, encoding="utf-8-sig")
    return sorted(pop["uscc"])


def _between(low: str, high: str) -> str:
    """A code strictly between two codes (a prefix extended sorts right after it)."""
    candidate = low + "0"
    assert low < candidate < high
    return candidate


def test_absent_codes_in_the_middle_and_at_both_ends(published: Path) -> None:
    draw = published / "pub/draw"
    manifest = (draw / "manifest.json").read_bytes()
    codes = _codes(published)
    for code, expected in (
        (_between(codes[10], codes[11]), [10, 11]),
        ("0" + codes[0], [0]),  # before the first
        (codes[-1] + "Z", [len(codes) - 1]),  # after the last
    ):
        proof = make_absence_proof(draw, code)
        assert [n.leaf_index for n in proof.neighbours] == expected
        result = verify_absence(proof, manifest)
        assert result.ok, str(result)
        assert [json.loads(n.leaf)["uscc"] for n in proof.neighbours] == [codes[i] for i in expected]


def test_forged_absence_proofs_fail(published: Path) -> None:
    draw = published / "pub/draw"
    manifest = (draw / "manifest.json").read_bytes()
    codes = _codes(published)
    proof = make_absence_proof(draw, _between(codes[20], codes[21])).to_dict()
    assert verify_absence(proof, manifest).ok
    first, second = proof["neighbours"]
    far = make_absence_proof(draw, _between(codes[40], codes[41])).to_dict()["neighbours"][1]
    forged = [
        {**proof, "uscc": codes[20]},  # a member code: not strictly between
        {**proof, "uscc": _between(codes[40], codes[41])},  # outside the bracket
        {**proof, "neighbours": [first, far]},  # not adjacent
        {**proof, "neighbours": [first]},  # one neighbour that is not an end
        {**proof, "neighbours": [{**first, "leaf": first["leaf"].replace(codes[20], codes[19])}, second]},
        {**proof, "neighbours": [first, {**second, "audit_path": second["audit_path"][:-1]}]},
        {**proof, "manifest_sha256": "0" * 64},
        {**proof, "tree_size": proof["tree_size"] + 1},
        {**proof, "neighbours": "no"},
    ]
    for bad in forged:
        assert not verify_absence(bad, manifest).ok, bad


def test_a_member_code_gets_no_absence_proof(published: Path) -> None:
    with pytest.raises(ProofError, match="prove its fate instead"):
        make_absence_proof(published / "pub/draw", _codes(published)[3])


def test_command_line_writes_and_checks_either_kind(published: Path, capsys: pytest.CaptureFixture[str]) -> None:
    draw = published / "pub/draw"
    codes = _codes(published)
    out = published / "absent.json"
    # the code as a clerk might type it: full-width digits, a blank
    typed = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in _between(codes[5], codes[6])) + " "
    assert main(["prove", str(draw), "--uscc", typed, "--out", str(out)]) == 0
    assert "not in the committed population of 300 entities" in capsys.readouterr().out
    assert main(["verify-proof", str(out), "--manifest", str(draw / "manifest.json")]) == 0
    data = json.loads(out.read_text())
    data["uscc"] = codes[5]
    out.write_text(json.dumps(data))
    assert main(["verify-proof", str(out), "--manifest", str(draw / "manifest.json")]) == 1
    assert "FAIL  absence proved" in capsys.readouterr().out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text("0123456789ABC", min_size=1, max_size=4), min_size=0, max_size=12, unique=True),
    st.text("0123456789ABC", min_size=1, max_size=5),
)
def test_brackets_hold_exactly_for_absent_codes(codes: list[str], code: str) -> None:
    """Over small trees: the honest neighbours of any absent code verify; no member code can be 'absent'."""
    codes = sorted(codes)
    leaves = [json.dumps({"uscc": c}).encode() for c in codes]
    hashes = leaf_hashes(leaves) if leaves else None
    at = sum(c < code for c in codes)
    idx = [i for i in (at - 1, at) if 0 <= i < len(codes)]
    proof = AbsenceProof(
        "0" * 64,
        code,
        len(codes),
        tuple(
            Neighbour(leaves[i].decode(), i, tuple(p.hex() for p in audit_path(hashes, i).path))
            for i in idx
            if hashes is not None
        ),
    )
    assert _brackets(proof, [codes[i] for i in idx], len(codes)) == (code not in codes and bool(codes))
