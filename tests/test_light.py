"""A light start, and an auditor's plain install: what loads when, and what runs without the extras."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import shuangsuiji as ssj

from .conftest import publish, publish_staffed

HEAVY = ("ortools", "scipy", "networkx", "dask", "distributed", "matplotlib")
#: Blocks the optional dependencies, as a plain ``pip install shuangsuiji`` leaves them out.
BLOCK = f"""
import importlib.abc, sys
class Missing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {set(HEAVY)!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked: not installed)", name=name)
        return None
sys.meta_path.insert(0, Missing())
"""


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


def test_import_loads_no_heavy_dependency() -> None:
    proc = _python(f"import shuangsuiji, sys; print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stderr


def test_the_draw_loads_no_heavy_dependency() -> None:
    code = (
        "import sys, pandas as pd, shuangsuiji as ssj\n"
        "task = {'id': 'T', 'department': 'd', 'items': ['x'], 'ratio': '0.5', 'strata': ['region']}\n"
        "plan = ssj.parse_plan({'id': 'P', 'tasks': [task]})\n"
        "ssj.draw(pd.DataFrame({'uscc': ['91110000600037341L'], 'region': ['1']}), plan, '0' * 64)\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    proc = _python(code)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stderr


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["draw", "--help"]])
def test_help_and_version_load_no_pandas_numpy_or_pyarrow(argv: list[str]) -> None:
    code = (
        "import sys\nfrom shuangsuiji.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'pyarrow', *" + repr(HEAVY) + ") if m in sys.modules))"
    )
    proc = _python(code)
    assert proc.returncode == 0 and proc.stdout.strip().splitlines()[-1] == "[]", proc.stderr


@pytest.fixture(scope="module")
def staffed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A draw and its assignment (with relations, requests and conflicts), published as a bureau would."""
    people = ("relations", "requests", "conflicts")
    draw = publish_staffed(tmp_path_factory.mktemp("light"), entities=700, seed=21, people=people, window=_WINDOW)
    assert set(people) <= set(ssj.AssignmentManifest.read(draw).inputs)
    return draw


_WINDOW = "2026-03-02:2026-03-31"


def _plain(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run the command line with the optional dependencies missing."""
    return _python(BLOCK + f"from shuangsuiji.cli import main\nraise SystemExit(main({argv!r}))")


@pytest.mark.slow
def test_an_auditor_without_the_extras_verifies_proves_and_checks_proofs(staffed: Path, tmp_path: Path) -> None:
    proc = _plain(["verify", str(staffed)])
    lines = proc.stdout.splitlines()
    assert proc.returncode == 1, proc.stderr
    skipped = [line for line in lines if line.startswith("skip")]
    failed = [line for line in lines if line.startswith("FAIL")]
    assert len(skipped) == 1 and "recomputed assignment" in skipped[0] and "shuangsuiji[assign]" in skipped[0]
    assert not failed, failed
    assert any(line.startswith("ok    assignment rules") for line in lines)
    assert any(line.startswith("ok    assignment optimality certificate") for line in lines)
    assert "NOT VERIFIED" in proc.stdout and "1 not run" in proc.stdout
    code = pd.read_csv(staffed / "selection.csv", dtype=str, encoding="utf-8-sig")["uscc"].iloc[0]
    proof = tmp_path / "proof.json"
    assert _plain(["prove", str(staffed), "--uscc", code, "--out", str(proof)]).returncode == 0
    assert json.loads(proof.read_bytes())["uscc"] == code
    checked = _plain(["verify-proof", str(proof), "--manifest", str(staffed / "manifest.json")])
    assert checked.returncode == 0 and checked.stdout.strip().endswith("VERIFIED"), checked.stdout


@pytest.mark.slow
def test_a_draw_alone_verifies_fully_without_the_extras(tmp_path: Path) -> None:
    draw = publish(tmp_path, entities=300, seed=22)
    proc = _plain(["verify", str(draw)])
    assert proc.returncode == 0 and "VERIFIED:" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.slow
def test_what_needs_an_extra_says_which_extra(staffed: Path, tmp_path: Path) -> None:
    code = BLOCK + (
        "import pydoc, shuangsuiji as ssj\n"
        "from shuangsuiji import *\n"  # every name exists, the missing ones as stand-ins
        "assert hasattr(ssj, 'assign') and 'assign' in dir(ssj) and pydoc.render_doc(ssj)\n"
        "try:\n    ssj.assign(None, None, None, '0' * 64)\nexcept ssj.DependencyError as e:\n"
        "    print('DependencyError', e)\n"
    )
    out = _python(code)
    assert "DependencyError" in out.stdout and "pip install 'shuangsuiji[assign]'" in out.stdout, out.stderr
    population = str(staffed.parent.parent / "in/population.csv")
    bound = [f"--{role}={staffed.parent.parent / 'in' / f'{role}.csv'}" for role in ("roster", "relations", "requests")]
    bound.append(f"--conflicts={staffed.parent.parent / 'in/conflicts.csv'}")  # the files the commitment bound
    commands = {
        "assign": ["assign", str(staffed), "--population", population, *bound, "--out", str(tmp_path)],
        "report": ["report", str(staffed), "--out", str(tmp_path / "report")],
        "dask": ["verify", str(staffed), "--engine", "dask"],
    }
    for extra, argv in commands.items():
        proc = _plain(argv)
        assert proc.returncode == 2, (argv, proc.stdout, proc.stderr)
        assert f"pip install 'shuangsuiji[{extra}]'" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_the_wheel_holds_every_module_and_data_file(tmp_path: Path) -> None:
    """A plain ``pip install`` gets the whole package: every subpackage, the page and the type marker."""
    root = Path(__file__).resolve().parent.parent
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(root),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("shuangsuiji-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    package = root / "shuangsuiji"
    wanted = {p.relative_to(root).as_posix() for p in package.rglob("*.py")}
    wanted |= {"shuangsuiji/py.typed", "shuangsuiji/data/verify.html"}
    assert wanted <= names, sorted(wanted - names)
