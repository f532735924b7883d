"""The command line: outputs, byte-for-byte reproducibility, help, and errors without tracebacks."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from shuangsuiji.cli import build_parser, main
from shuangsuiji.workflow.demo import DEMO_SEED

from .conftest import golden_args


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shuangsuiji", *args], capture_output=True, text=True, check=False)


def test_demo_seed_is_what_it_says() -> None:
    assert hashlib.sha256(b"shuangsuiji demo").hexdigest() == DEMO_SEED


def test_draw_writes_every_file_and_is_byte_identical(vectors: Path, tmp_path: Path) -> None:
    assert main(golden_args(vectors, tmp_path / "a")) == 0
    assert main(golden_args(vectors, tmp_path / "b")) == 0
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == [
        "allocation.csv",
        "excluded.csv",
        "manifest.json",
        "manifest.sha256",
        "selection.csv",
        "summary.csv",
    ]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_bytes())
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((tmp_path / "a" / name).read_bytes()).hexdigest() == digest
    pop = manifest["inputs"]["population"]
    assert pop["sha256"] == hashlib.sha256((vectors / "golden_population.csv").read_bytes()).hexdigest()
    assert (tmp_path / "a" / pop["path"]).resolve() == (vectors / "golden_population.csv").resolve()
    sel = pd.read_csv(tmp_path / "a" / "selection.csv", dtype=str, encoding="utf-8-sig")
    assert sel.columns.tolist()[:5] == ["task_id", "uscc", "stratum", "ticket", "inclusion_probability"]


def test_reordered_rows_give_identical_outputs(vectors: Path, tmp_path: Path) -> None:
    lines = (vectors / "golden_population.csv").read_text(encoding="utf-8").splitlines()
    shuffled = tmp_path / "pop.csv"
    shuffled.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n", encoding="utf-8")
    args = golden_args(vectors, tmp_path / "a")
    assert main(args) == 0
    args[2] = str(shuffled)
    args[-1] = str(tmp_path / "b")
    assert main(args) == 0
    for name in ("selection.csv", "allocation.csv", "excluded.csv", "summary.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


@pytest.mark.parametrize("command", [[], ["draw"], ["demo"], ["example"], ["ticket"], ["check-uscc"]])
def test_help_works(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([*command, "--help"])
    assert info.value.code == 0
    assert "usage: shuangsuiji" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--seed": "00"}, "64 lowercase hexadecimal digits"),
        ({"--population": "nope.csv"}, "no such file"),
        ({"--plan": "nope.toml"}, "No such file"),
    ],
)
def test_errors_print_without_traceback(vectors: Path, tmp_path: Path, change: dict[str, str], message: str) -> None:
    args = golden_args(vectors, tmp_path / "out")
    for flag, value in change.items():
        args[args.index(flag) + 1] = value
    proc = run(*args)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ")


def test_population_problems_go_to_a_file_when_many(vectors: Path, tmp_path: Path) -> None:
    bad = tmp_path / "pop.csv"
    bad.write_text("uscc,credit_class,region\n" + "".join(f"BAD{i},A,410302\n" for i in range(30)), encoding="utf-8")
    args = golden_args(vectors, tmp_path / "out")
    args[2] = str(bad)
    proc = run(*args)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "30 problems in the population" in proc.stderr and "problems.csv" in proc.stderr
    problems = pd.read_csv(tmp_path / "out" / "problems.csv", encoding="utf-8-sig", dtype=str)
    assert len(problems) == 30 and problems.columns.tolist() == ["file", "row", "column", "value", "message"]
    assert problems["row"].tolist()[:2] == ["2", "3"]


def test_plan_error_names_file(vectors: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('id = "P"\n[[tasks]]\nid = "T"\ndepartment = "d"\nitems = ["i"]\nratio = "1.5"\n', encoding="utf-8")
    args = golden_args(vectors, tmp_path / "out")
    args[4] = str(plan)
    proc = run(*args)
    assert proc.returncode == 2 and "plan.toml: The 'ratio' of task 'T' must be in [0, 1]; got '1.5'." in proc.stderr


def test_ticket_and_check_uscc_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ticket", "--seed", "0" * 64, "--scope", "P1", "91110000600037341L"]) == 0
    assert capsys.readouterr().out.startswith("cf1b774fce8b7fdfe9906080d448e0edc49e7da5e77322effd4f05008aeefc39  ")
    assert main(["check-uscc", "91110000600037341L"]) == 0
    assert main(["check-uscc", "91110000600037341N"]) == 1
    assert "gives 'L'" in capsys.readouterr().out


def test_demo_runs_small(tmp_path: Path) -> None:
    proc = run("demo", "--out", str(tmp_path / "demo"), "--entities", "2000")
    assert proc.returncode == 0, proc.stderr
    assert "VERIFIED" in proc.stdout and "entities drawn by credit class" in proc.stdout
    draw = tmp_path / "demo" / "publish" / "draw"
    check = subprocess.run(["sha256sum", "-c", "manifest.sha256"], cwd=draw, capture_output=True, check=False)
    assert check.returncode == 0


def test_example_command(tmp_path: Path) -> None:
    assert main(["example", "--out", str(tmp_path), "--entities", "50"]) == 0
    assert len(pd.read_csv(tmp_path / "population.csv", encoding="utf-8-sig")) == 50
