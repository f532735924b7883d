"""The independent JavaScript checker (tests/js/checker.mjs) agrees byte for byte with published draws.

The checker is written from the documentation alone (docs/algorithm.md, docs/ceremony.md, docs/formats.md)
with Node's built-in modules only; it recomputes the seed, every ticket, the allocation, every table, the
Merkle root, commitment.json, manifest.json and the proofs. These tests make draws with the command line
and run it on them. Without ``node`` they are skipped, unless ``SHUANGSUIJI_REQUIRE_NODE=1``.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from shuangsuiji.cli import main

from .conftest import GOLDEN_SEED

CHECKER = Path(__file__).parent / "js" / "checker.mjs"
BEACON = "drand quicknet round 12345678"
FIRM = "92410303563658631A"  # in the default example city; selected by the commit-reveal draw below


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("SHUANGSUIJI_REQUIRE_NODE") == "1":
            pytest.fail("node is not installed, and SHUANGSUIJI_REQUIRE_NODE=1 requires the JavaScript checker to run")
        pytest.skip(
            "node is not installed: the independent JavaScript checker cannot run (SHUANGSUIJI_REQUIRE_NODE=1 fails)"
        )
    return node


def check(draw: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_node(), str(CHECKER), str(draw), *extra], capture_output=True, text=True, check=False, timeout=120
    )


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The example city, committed and drawn with commit-reveal, and drawn again with a given seed."""
    _node()
    tmp = tmp_path_factory.mktemp("jscity")
    assert main(["example", "--out", str(tmp / "in")]) == 0
    files = {"population": tmp / "in/population.csv", "plan": tmp / "in/plan.toml", "history": tmp / "in/history.csv"}
    inputs = [f"--{role}={path}" for role, path in files.items()]
    secret = tmp / "private/secret.txt"  # outside the published folder (docs/ceremony.md)
    assert main(["commit", *inputs, "--beacon", BEACON, "--out", str(tmp / "pub"), "--secret-out", str(secret)]) == 0
    commit_reveal = tmp / "pub/draw"
    args = ["--commitment", str(tmp / "pub/commitment.json"), "--beacon-value", "  5d2e0c9f  ", "--secret", str(secret)]
    assert main(["draw", *inputs, *args, "--out", str(commit_reveal)]) == 0
    assert main(["prove", str(commit_reveal), "--uscc", FIRM]) == 0  # DRAW/proof-FIRM.json
    seeded = tmp / "seeded"
    assert main(["draw", *inputs, "--seed", GOLDEN_SEED, "--out", str(seeded)]) == 0
    return {**files, "commit_reveal": commit_reveal, "seeded": seeded}


def inputs_of(city: dict[str, Path]) -> list[str]:
    return [arg for role in ("population", "plan", "history") for arg in (f"--{role}", str(city[role]))]


EVERY_TABLE = [
    "ok doc vectors: tickets",
    "ok doc vectors: allocation",
    "ok manifest canonical (RFC 8785)",
    "ok plan record (plan file in normal form)",
    "ok population record",
    "ok tickets and thresholds",
    "ok selection.csv",
    "ok allocation.csv",
    "ok excluded.csv",
    "ok summary.csv",
    "ok manifest tasks (allocation records)",
    "ok manifest warnings",
    "ok manifest.json",
    "ok manifest.sha256",
]


def assert_agrees(run: subprocess.CompletedProcess[str], expected: list[str]) -> None:
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert not [line for line in lines if line.startswith("FAIL")], run.stdout
    for prefix in expected:
        assert any(line.startswith(prefix) for line in lines), f"no line {prefix!r} in\n{run.stdout}"
    assert lines[-1].startswith("AGREED"), run.stdout


def test_js_checker_agrees_with_a_commit_reveal_draw(city: dict[str, Path]) -> None:
    run = check(city["commit_reveal"], *inputs_of(city))
    assert_agrees(
        run,
        [
            *EVERY_TABLE,
            "ok commitment SHA-256",
            "ok secret matches its commitment",
            "ok seed (commit-reveal)",
            "ok commitment.json",
            "ok commitment.sha256",
            f"ok proof proof-{FIRM}.json",
        ],
    )


def test_js_checker_agrees_with_a_seeded_draw(city: dict[str, Path]) -> None:
    assert_agrees(check(city["seeded"], *inputs_of(city)), [*EVERY_TABLE, "ok seed: given directly"])


def test_js_checker_finds_the_inputs_the_manifest_records(city: dict[str, Path]) -> None:
    assert_agrees(check(city["commit_reveal"]), ["ok selection.csv", "ok manifest.json", "ok seed (commit-reveal)"])


def test_js_checker_agrees_with_the_golden_vectors(tmp_path: Path) -> None:
    vectors = Path(__file__).parent / "vectors"
    population, plan = vectors / "golden_population.csv", vectors / "golden_plan.toml"
    out = tmp_path / "golden"
    args = ["--population", str(population), "--plan", str(plan), "--seed", GOLDEN_SEED, "--out", str(out)]
    assert main(["draw", *args]) == 0
    assert_agrees(check(out), EVERY_TABLE)


EDGE_PLAN = """
id = "EDGE-1"
start = 2027-03-01
end = 2027-03-31
floor = 0.3

[credit]
missing = "B"

[exclusions]
statuses = ["注销", "deregistered", "it's closed"]

[multipliers.credit_class]
A = "0.50"
B = 1
C = "2"
D = "0"

[[tasks]]
id = "G1"
department = "市场监管局"
items = ["x"]
ratio = "0.1"
exclude_inspected_within_days = 30
annual_cap = 2
strata = ["credit_class", "region"]
take_all = { region = ["41030"] }

[[tasks]]
id = "G2"
department = "税务局"
items = ["y"]
ratio = "0.05"
minimum = 20
annual_cap = 1
coordination = "independent"
[tasks.where]
region = ["41030*"]
industry = ["C*", "F52*"]

[[tasks]]
id = "K1"
department = "生态环境局"
category = "key"
items = ["z"]
ratio = "0.25"
strata = ["region", "station"]
[tasks.multipliers.station]
"\uff71" = "1.5"
"\U00020000" = "3"
a = "0.5"
[tasks.multipliers.industry]
C1411 = "2"
"""


def _regno(first14: str) -> str:
    """A 注册号 with its ISO 7064 MOD 11,10 check digit."""
    p = 10
    for ch in first14:
        p = (2 * ((p + int(ch)) % 10 or 10)) % 11
    return first14 + next(str(c) for c in range(10) if (p + c) % 10 == 1)


def _edge_inputs(city: dict[str, Path], folder: Path) -> list[str]:
    """A small population, history and plan full of the cases docs/formats.md spells out."""
    folder.mkdir()
    with city["population"].open(encoding="utf-8-sig", newline="") as f:
        source = list(csv.DictReader(f))[:80]
    header = ["统一社会信用代码", "注册号", "企业名称", "信用风险分类", "行政区划", "行业", "登记状态"]
    header += ["risk_tier", "station"]
    regions = ["41030", "410302", "410303"]  # "region=41030|..." sorts after "region=410302|..."
    stations = ["\uff71", "\U00020000", "a"]  # labels sort by code point, not by UTF-16 unit
    rows = []
    for i, r in enumerate(source):
        cells = [r["uscc"], "", r["name"], r["credit_class"], regions[i % 3], r["industry"], r["status"]]
        rows.append([*cells, r["risk_tier"], stations[i // 3 % 3]])
    rows[0][2] = '测试,"公司"\n甲'  # quoted on the way out
    rows[1][6] = " 注销 "  # blanks around a status
    rows[2][6] = "Deregistered"  # statuses match exactly
    rows[3][6] = "it's closed"
    rows[4][3] = ""  # credit.missing
    rows[5][3] = " C\u3000"  # an ideographic space is a blank
    rows[6][0] = rows[6][0].translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})  # full-width digits
    rows[7][0] = "  " + rows[7][0] + " "  # surrounding blanks do not count as a change
    rows.append(["", _regno("41030200000012"), "注册号企业", "B", "410302", "F5211", "存续", "1", "a"])
    rows.append(["", "企独琼总字第008245号", "旧号企业", "D", "410303", "C1411", "存续", "2", "a"])
    with (folder / "population.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows([header, *rows])
    history = [["检查部门", "统一社会信用代码", "检查日期", "kind"]]
    dates = ["2026-12-20", "2027-01-15", "2027/02/20", "2027-03-10", "2027-05-01", "2026-01-10", "2025-12-31"]
    for i, r in enumerate(source[8:50]):
        department = ["市场监管局", " 市场监管局 ", "税务局"][i % 3]
        history += [[department, r["uscc"], d, "random"] for d in dates[: i % 7 + 1]]
    with (folder / "history.csv").open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(history)
    (folder / "plan.toml").write_text(EDGE_PLAN, encoding="utf-8")
    names = {"population": "population.csv", "plan": "plan.toml", "history": "history.csv"}
    return [f"--{role}={folder / name}" for role, name in names.items()]


def test_js_checker_agrees_on_the_edge_cases_of_docs_formats(city: dict[str, Path], tmp_path: Path) -> None:
    inputs = _edge_inputs(city, tmp_path / "in")
    pub = tmp_path / "pub"
    assert main(["commit", *inputs, "--beacon", "lottery of 2027-02-28", "--out", str(pub), "--no-secret"]) == 0
    beacon = ["--commitment", str(pub / "commitment.json"), "--beacon-value", "\u3000 7 12 19 23 31 \t"]
    assert main(["draw", *inputs, *beacon, "--out", str(pub / "draw")]) == 0
    assert main(["prove", str(pub / "draw"), "--uscc", "企独琼总字第008245号"]) == 0
    run = check(pub / "draw")
    proof = "ok proof proof-企独琼总字第008245号.json"
    assert_agrees(run, [*EVERY_TABLE, "ok seed (beacon)", "ok commitment.json", proof])
    excluded = (pub / "draw" / "excluded.csv").read_text(encoding="utf-8-sig")
    assert {"status", "cooldown", "annual_cap"} <= {line.split(",")[2] for line in excluded.splitlines()[1:]}
    assert "warnings\":[\"The 'multipliers.industry'" in (pub / "draw" / "manifest.json").read_text(encoding="utf-8")


def _flip_ticket(data: bytes) -> bytes:
    """The first data row's ticket (4th column of selection.csv) with its last hex digit changed."""
    lines = data.split(b"\n")
    cells = lines[1].split(b",")
    cells[3] = cells[3][:-1] + (b"0" if cells[3][-1:] != b"0" else b"1")
    lines[1] = b",".join(cells)
    return b"\n".join(lines)


def _flip_threshold(data: bytes) -> bytes:
    """The first stratum's threshold (5th column of allocation.csv) with its first hex digit changed."""
    lines = data.split(b"\n")
    cells = lines[1].split(b",")
    cells[4] = (b"f" if cells[4][:1] != b"f" else b"e") + cells[4][1:]
    lines[1] = b",".join(cells)
    return b"\n".join(lines)


@pytest.mark.parametrize(
    ("name", "tamper", "expected"),
    [
        ("selection.csv", _flip_ticket, ["FAIL output selection.csv SHA-256", "FAIL selection.csv"]),
        ("allocation.csv", _flip_threshold, ["FAIL output allocation.csv SHA-256", "FAIL allocation.csv"]),
    ],
)
def test_js_checker_fails_on_one_changed_byte(city: dict[str, Path], name: str, tamper, expected: list[str]) -> None:
    # A copy beside the draw, so that the manifest's relative paths (../commitment.json) still hold.
    draw = city["commit_reveal"]
    copy = draw.parent / f"tampered-{name}"
    shutil.copytree(draw, copy, dirs_exist_ok=True)
    before = (copy / name).read_bytes()
    after = tamper(before)
    assert sum(a != b for a, b in zip(before, after, strict=True)) == 1
    (copy / name).write_bytes(after)
    run = check(copy, *inputs_of(city))
    assert run.returncode == 1, run.stdout
    lines = run.stdout.splitlines()
    for prefix in expected:
        assert any(line.startswith(prefix) for line in lines), f"no line {prefix!r} in\n{run.stdout}"
    assert lines[-1].startswith("FAILED"), run.stdout
