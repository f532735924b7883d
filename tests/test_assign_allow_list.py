"""`assign` and `verify` read the population with the draw's allow-list of legacy codes, also from a moved folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from shuangsuiji.cli import main
from shuangsuiji.io import write_csv

LEGACY = "310000400012345"  # a 15-digit registration number from before the unified code
SEED = "ab" * 32


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A draw of a city with one legacy code, whose folder then moved away from its allow-list."""
    tmp = tmp_path_factory.mktemp("allow")
    assert main(["example", "--out", str(tmp / "in"), "--entities", "200", "--seed", "5"]) == 0
    pop = pd.read_csv(tmp / "in/population.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    old = pop.loc[0, "uscc"]
    pop.loc[0, "uscc"] = LEGACY
    write_csv(pop, tmp / "in/population.csv")
    history = (tmp / "in/history.csv").read_text(encoding="utf-8-sig").replace(old, LEGACY)
    (tmp / "in/history.csv").write_text(history, encoding="utf-8")
    (tmp / "in/allow.txt").write_text(f"# pilot\n{LEGACY}\n", encoding="utf-8")
    inputs = [f"--{r}={tmp / 'in' / n}" for r, n in (("population", "population.csv"), ("plan", "plan.toml"))]
    draw = ["draw", *inputs, f"--history={tmp / 'in/history.csv'}", "--seed", SEED]
    assert main([*draw, f"--allow-list={tmp / 'in/allow.txt'}", "--out", str(tmp / "a/draw")]) == 0
    assert main([*draw, "--out", str(tmp / "plain")]) != 0  # the legacy code needs the allow-list
    assert main([*draw, "--out", str(tmp / "plain")]) != 0
    shutil.move(tmp / "in/allow.txt", tmp / "kept-allow.txt")  # the recorded path no longer holds it
    return tmp


def _assign(tmp: Path, *extra: str) -> int:
    files = [f"--population={tmp / 'in/population.csv'}", f"--roster={tmp / 'in/roster.csv'}"]
    window = ["--window", "2026-03-02:2026-03-31", "--allow-partial"]
    return main(["assign", str(tmp / "a/draw"), *files, *window, *extra])


def test_assign_names_the_missing_allow_list_and_how_to_give_it(
    moved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _assign(moved) == 2
    err = capsys.readouterr().err
    assert "allow-list the draw read" in err and "--allow-list FILE" in err and "Traceback" not in err
    assert not (moved / "a/draw/assignment.json").exists()


def test_assign_refuses_an_allow_list_the_draw_did_not_read(moved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = moved / "other-allow.txt"
    other.write_text(f"{LEGACY}\n91350100M0001TGQXM\n", encoding="utf-8")
    assert _assign(moved, f"--allow-list={other}") == 2
    err = capsys.readouterr().err
    assert str(other) in err and "SHA-256" in err and "give the allow-list the draw read" in err


def test_assign_with_the_draws_allow_list_staffs_and_verifies(moved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _assign(moved, f"--allow-list={moved / 'kept-allow.txt'}") == 0
    visits = pd.read_csv(moved / "a/draw/visits.csv", dtype=str, keep_default_na=False)
    selection = pd.read_csv(moved / "a/draw/selection.csv", dtype=str, keep_default_na=False)
    assert set(visits["uscc"]) == set(selection["uscc"])  # every drawn firm, the legacy code too if drawn
    capsys.readouterr()
    given = [f"--population={moved / 'in/population.csv'}", f"--allow-list={moved / 'kept-allow.txt'}"]
    assert main(["verify", str(moved / "a/draw"), *given]) == 0
    out = capsys.readouterr().out
    assert "VERIFIED" in out and "FAIL" not in out
    capsys.readouterr()
    assert main(["verify", str(moved / "a/draw"), f"--population={moved / 'in/population.csv'}"]) == 1
    assert "allow_list" in capsys.readouterr().out


def test_an_allow_list_given_to_a_draw_that_read_none_is_an_error(
    moved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp = moved
    inputs = [f"--{r}={tmp / 'in' / n}" for r, n in (("population", "population.csv"), ("plan", "plan.toml"))]
    pop = pd.read_csv(tmp / "in/population.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    write_csv(pop.iloc[1:], tmp / "clean.csv")  # without the legacy code: a draw with no allow-list
    inputs[0] = f"--population={tmp / 'clean.csv'}"
    assert main(["draw", *inputs, "--seed", SEED, "--out", str(tmp / "b")]) == 0
    files = [f"--population={tmp / 'clean.csv'}", f"--roster={tmp / 'in/roster.csv'}", "--allow-partial"]
    capsys.readouterr()
    code = main(["assign", str(tmp / "b"), *files, f"--allow-list={tmp / 'kept-allow.txt'}"])
    assert code == 2
    assert "recorded no allow-list" in capsys.readouterr().err
    assert not (tmp / "b/assignment.json").exists()
