"""The seed ceremony: derivation vectors (checked with coreutils), commitments, and refusals."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from shuangsuiji.ceremony import CeremonyError, check_beacon_value, check_secret, derive_seed
from shuangsuiji.cli import main

from .conftest import example_inputs

# Seed vectors: the bytes are spelt out, so these follow from the specification with sha256sum alone
# (see test_seed_vectors_with_sha256sum).
SECRET = bytes(range(32))
COMMIT = hashlib.sha256(b"commitment").digest()
VECTORS = [
    (SECRET, "drand 12345: 8a3b", "b'shuangsuiji-seed/1:commit-reveal\\x00' + secret + C + beacon"),
    (None, "drand 12345: 8a3b", "b'shuangsuiji-seed/1:beacon\\x00' + C + beacon"),
]


def test_seed_derivation_bytes() -> None:
    assert (
        derive_seed(COMMIT, "drand 12345: 8a3b", secret=SECRET)
        == hashlib.sha256(b"shuangsuiji-seed/1:commit-reveal\x00" + SECRET + COMMIT + b"drand 12345: 8a3b").hexdigest()
    )
    assert (
        derive_seed(COMMIT, " 8a3b\n", secret=None)
        == hashlib.sha256(b"shuangsuiji-seed/1:beacon\x00" + COMMIT + b"8a3b").hexdigest()
    )
    # The two modes never give the same seed from the same beacon.
    assert derive_seed(COMMIT, "x", secret=SECRET) != derive_seed(COMMIT, "x", secret=None)


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs coreutils")
def test_seed_vectors_with_sha256sum() -> None:
    data = b"shuangsuiji-seed/1:commit-reveal\x00" + SECRET + COMMIT + "洛阳 7".encode()
    out = subprocess.run(["sha256sum"], input=data, capture_output=True, check=True).stdout.decode().split()[0]
    assert derive_seed(COMMIT, "洛阳 7", secret=SECRET) == out


def test_secret_and_beacon_checks() -> None:
    assert check_secret(" " + "ab" * 32 + "\n") == bytes.fromhex("ab" * 32)
    with pytest.raises(CeremonyError, match="64 hexadecimal digits"):
        check_secret("abc")
    with pytest.raises(CeremonyError, match="beacon value is empty"):
        check_beacon_value("  ")
    with pytest.raises(ValueError, match="32 bytes"):
        derive_seed(b"short", "x", secret=None)


@pytest.fixture
def ceremony(tmp_path: Path) -> Path:
    assert main(["example", "--out", str(tmp_path / "in"), "--entities", "400", "--seed", "3"]) == 0
    args = example_inputs(tmp_path)
    keep = ["--secret-out", str(tmp_path / "private/secret.txt")]
    assert (
        main(["commit", *args, "--beacon", "drand quicknet round 12345678", "--out", str(tmp_path / "pub"), *keep]) == 0
    )
    return tmp_path


def test_commitment_contents(ceremony: Path) -> None:
    pub = ceremony / "pub"
    data = (pub / "commitment.json").read_bytes()
    content = json.loads(data)
    secret = check_secret((ceremony / "private/secret.txt").read_text())
    assert not (pub / "secret.txt").exists()  # nothing secret in the folder that is published
    assert content["secret_sha256"] == hashlib.sha256(secret).hexdigest()
    assert content["beacon"] == {"name": "drand quicknet round 12345678"}
    assert set(content["inputs"]) == {"population", "plan", "history"}
    assert content["population"]["rows"] == 400 and len(content["population"]["merkle_root"]) == 64
    assert "secret" not in data.decode().replace("secret_sha256", "")  # the secret itself stays out
    assert (ceremony / "private/secret.txt").stat().st_mode & 0o777 == 0o600
    assert (pub / "commitment.sha256").read_text() == f"{hashlib.sha256(data).hexdigest()}  commitment.json\n"


def test_draw_from_commitment_and_refusals(ceremony: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pub, kept = ceremony / "pub", ceremony / "private"
    base = [*example_inputs(ceremony), "--commitment", str(pub / "commitment.json"), "--out", str(ceremony / "d")]
    assert main(["draw", *base, "--beacon-value", "ab12", "--secret", str(kept / "secret.txt")]) == 0
    manifest = json.loads((ceremony / "d/manifest.json").read_bytes())
    commitment_sha = hashlib.sha256((pub / "commitment.json").read_bytes()).digest()
    secret = check_secret((kept / "secret.txt").read_text())
    assert manifest["seed"]["value"] == derive_seed(commitment_sha, "ab12", secret=secret)
    assert manifest["seed"]["mode"] == "commit-reveal" and manifest["seed"]["secret"] == secret.hex()
    capsys.readouterr()
    assert main(["draw", *base, "--beacon-value", "ab12", "--secret", str(kept / "secret.txt")]) == 2
    assert "already holds files of an earlier run" in capsys.readouterr().err  # refused before the work
    base[-1] = str(ceremony / "d2")  # the refusals below, each into a fresh folder left empty
    # Missing beacon value, missing secret, wrong secret, seed and commitment together.
    assert main(["draw", *base, "--secret", str(kept / "secret.txt")]) == 2
    assert main(["draw", *base, "--beacon-value", "ab12"]) == 2
    other = ceremony / "other.txt"
    other.write_text("cd" * 32)
    assert main(["draw", *base, "--beacon-value", "ab12", "--secret", str(other)]) == 2
    assert main(["draw", *base, "--beacon-value", "ab12", "--seed", "0" * 64]) == 2
    err = capsys.readouterr().err
    assert "--beacon-value" in err and "made with a secret" in err and "does not match" in err
    assert "Give either --seed" in err
    # A changed input is refused.
    pop = ceremony / "in/population.csv"
    changed = pop.read_bytes().replace("存续".encode(), "在业".encode(), 1)
    assert changed != pop.read_bytes()
    pop.write_bytes(changed)
    assert main(["draw", *base, "--beacon-value", "ab12", "--secret", str(kept / "secret.txt")]) == 2
    assert "differ from the commitment" in capsys.readouterr().err
    assert not (ceremony / "d2/manifest.json").exists()


def test_the_secret_is_kept_out_of_the_published_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example", "--out", str(tmp_path / "in"), "--entities", "100"]) == 0
    commit = ["commit", *example_inputs(tmp_path), "--beacon", "drand round 1", "--out", str(tmp_path / "pub")]
    with pytest.raises(SystemExit) as stopped:  # argparse: say where the secret goes, or --no-secret
        main(commit)
    assert stopped.value.code == 2
    assert "--secret-out" in capsys.readouterr().err
    assert main([*commit, "--secret-out", str(tmp_path / "pub/secret.txt")]) == 2
    assert "inside" in capsys.readouterr().err
    assert main([*commit, "--secret-out", str(tmp_path / "pub/sub/../secret.txt")]) == 2
    (tmp_path / "old.txt").write_text("ab" * 32)
    assert main([*commit, "--secret-out", str(tmp_path / "old.txt")]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "old.txt").read_text() == "ab" * 32  # another commitment's secret is not lost
    assert not (tmp_path / "pub/commitment.json").exists()
    assert main([*commit, "--secret-out", str(tmp_path / "keep/secret.txt")]) == 0
    assert sorted(p.name for p in (tmp_path / "pub").iterdir()) == ["commitment.json", "commitment.sha256"]


def test_beacon_only_ceremony(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example", "--out", str(tmp_path / "in"), "--entities", "200"]) == 0
    args = example_inputs(tmp_path)
    assert main(["commit", *args, "--beacon", "lottery 2027-03-01", "--no-secret", "--out", str(tmp_path / "pub")]) == 0
    assert not (tmp_path / "pub/secret.txt").exists()
    base = [*args, "--commitment", str(tmp_path / "pub/commitment.json"), "--out", str(tmp_path / "d")]
    stray = tmp_path / "stray-secret.txt"
    stray.write_text("ab" * 32)
    assert main(["draw", *base, "--beacon-value", "07 12 33", "--secret", str(stray)]) == 2
    assert "without a secret" in capsys.readouterr().err
    assert main(["draw", *base, "--beacon-value", "07 12 33"]) == 0
    assert json.loads((tmp_path / "d/manifest.json").read_bytes())["seed"]["mode"] == "beacon"
    assert main(["verify", str(tmp_path / "d")]) == 0
