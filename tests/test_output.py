"""Progress bars, ``--quiet`` and ``--json`` (issue 15): what the command line shows besides its messages.

The slow steps tell their progress (:mod:`shuangsuiji._progress`) to whoever listens; the command
line draws it as a bar on a terminal's standard error only. ``--quiet`` leaves standard output
empty, ``--json`` puts one JSON object there (docs/cli.md, "Output for scripts").
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from shuangsuiji.cli import main
from shuangsuiji.inputs import DrawFiles
from shuangsuiji.manifest import Manifest
from shuangsuiji.workflow import AssignmentFiles, progress_to, run_assign, run_draw, run_import, run_report, run_verify

from .conftest import example_inputs, publish_staffed

ROOT = Path(__file__).resolve().parents[1]
SEED = "5e" * 32


class Notes:
    """A listener that writes down every stage and every step."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str | None, int | None]] = []

    def stage(self, text: str, total: int | None) -> None:
        self.events.append(("stage", text, total))

    def advance(self, steps: int) -> None:
        self.events.append(("advance", None, steps))

    def stages(self) -> list[tuple[str, int | None, int]]:
        """Each stage with its announced total and the steps done in it."""
        out: list[tuple[str, int | None, int]] = []
        for kind, text, number in self.events:
            if kind == "stage":
                out.append((str(text), number, 0))
            elif out:
                name, total, done = out[-1]
                out[-1] = (name, total, done + int(number or 0))
        return out


@pytest.fixture(scope="module")
def staffed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example city committed, drawn and staffed; returns the folder holding ``in/`` and ``pub/draw``."""
    tmp = tmp_path_factory.mktemp("output")
    publish_staffed(tmp, entities=400, seed=3)
    return tmp


def _heard(call: object) -> Notes:
    notes = Notes()
    with progress_to(notes):
        assert callable(call)
        call()
    return notes


def _no_stage_overruns(notes: Notes) -> None:
    for name, total, done in notes.stages():
        assert total is None or done <= total, (name, total, done)


def test_the_draw_tells_its_stages_and_one_step_per_task(staffed: Path, tmp_path: Path) -> None:
    inputs = staffed / "in"
    files = DrawFiles(population=inputs / "population.csv", plan=inputs / "plan.toml", history=inputs / "history.csv")
    notes = _heard(lambda: run_draw(files, tmp_path / "draw", seed=SEED))
    stages = notes.stages()
    names = [name for name, _total, _done in stages]
    assert names[0] == "reading the inputs" and names[-1] == "writing the draw and its Merkle tree"
    tasks = len(Manifest.read(tmp_path / "draw").tasks)
    assert ("drawing the tasks", tasks, tasks) in stages  # a bar that fills: one step per task
    _no_stage_overruns(notes)


def test_assign_verify_report_and_import_tell_their_progress(staffed: Path, tmp_path: Path) -> None:
    draw, inputs = staffed / "pub" / "draw", staffed / "in"
    files = AssignmentFiles(
        population=inputs / "population.csv", roster=inputs / "roster.csv", calendar=inputs / "calendar-2027.csv"
    )
    assign = _heard(lambda: run_assign(draw, files, out=tmp_path / "again", allow_partial=True))
    staffing = [s for s in assign.stages() if s[0].startswith("staffing the teams")]
    assert len(staffing) == 1 and staffing[0][1] == staffing[0][2] and staffing[0][2] > 0
    assert assign.stages()[-1][0] == "writing the assignment"

    result = None

    def verify() -> None:
        nonlocal result
        result = run_verify(draw)

    checked = _heard(verify)
    assert result is not None and result.ok
    said = [name for name, _t, _d in checked.stages() if name.startswith("checked: ")]
    assert said == [f"checked: {c.name}" for c in result.checks]  # one line of progress per check, in order

    report = _heard(lambda: run_report(draw, tmp_path / "report"))
    figures = [s for s in report.stages() if s[0] == "drawing the report's figures"]
    assert len(figures) == 1 and figures[0][1] == figures[0][2] and figures[0][2] >= 3

    imported = _heard(
        lambda: run_import(tmp_path / "imported", entities=inputs / "population.csv", inspectors=inputs / "roster.csv")
    )
    names = [name for name, _t, _d in imported.stages()]
    assert names == [
        f"reading the entity export {inputs / 'population.csv'}",
        "sorting the entities' rows",
        f"reading the inspector roster {inputs / 'roster.csv'}",
        "writing the triage report",
    ]
    for notes in (assign, checked, report, imported):
        _no_stage_overruns(notes)


def test_nobody_listening_means_nothing_is_told(staffed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_verify(staffed / "pub" / "draw").ok
    assert capsys.readouterr() == ("", "")  # a library call prints nothing


def _draw_args(staffed: Path, out: Path) -> list[str]:
    return ["draw", *example_inputs(staffed), "--seed", SEED, "--out", str(out)]


def test_json_of_a_draw_and_of_its_verification(
    staffed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "draw"
    assert main([*_draw_args(staffed, out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)  # standard output holds the JSON object and nothing else
    assert (doc["command"], doc["status"], doc["ok"]) == ("draw", 0, True)
    manifest = Manifest.read(out)
    assert doc["manifest_sha256"] == manifest.sha256 and doc["seed"] == SEED and doc["out"] == str(out)
    summary = pd.read_csv(out / "summary.csv", dtype=str, encoding="utf-8-sig")
    assert [row["task_id"] for row in doc["summary"]] == list(summary["task_id"])
    assert [row["sample"] for row in doc["summary"]] == [int(x) for x in summary["sample"]]
    assert doc["warnings"] == []

    assert main(["--lang", "zh", "--json", "verify", str(out)]) == 0  # --json before the command, too
    verified = json.loads(capsys.readouterr().out)
    assert verified["verified"] is True and verified["ok"] is True
    assert verified["verdict"].startswith("核验通过")  # text in the language of messages
    names = [c["name"] for c in verified["checks"]]
    assert "manifest seal" in names and "output selection.csv" in names  # names: fixed English identifiers
    assert {c["result"] for c in verified["checks"]} == {"ok"}


def test_json_of_an_error_names_every_problem(
    staffed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    population = pd.read_csv(staffed / "in" / "population.csv", dtype=str, encoding="utf-8-sig")
    population.loc[2, "credit_class"] = "Z"
    bad = tmp_path / "bad.csv"
    population.to_csv(bad, index=False, encoding="utf-8")
    args = [a if not a.startswith("--population=") else f"--population={bad}" for a in _draw_args(staffed, tmp_path)]
    assert main([*args, "--json"]) == 2
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert (doc["status"], doc["ok"], doc["error"]["type"]) == (2, False, "PopulationError")
    (problem,) = doc["error"]["problems"]
    where = {"file": str(bad), "row": 4, "column": "credit_class", "value": "Z"}
    assert {key: problem[key] for key in where} == where and problem["message"]
    assert "credit_class" in doc["error"]["message"]
    assert captured.err.startswith("error: ")  # the person still reads the error on standard error


def test_quiet_keeps_standard_output_empty_and_warnings_on_standard_error(
    staffed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [a for a in _draw_args(staffed, tmp_path / "draw") if not a.startswith("--history=")]
    assert main(["--quiet", *args]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no inspection history was given" in captured.err  # warnings are not silenced
    assert main(["verify", str(tmp_path / "draw"), "-q"]) == 0
    assert capsys.readouterr() == ("", "")
    tampered = tmp_path / "draw" / "selection.csv"
    tampered.write_bytes(tampered.read_bytes() + b"\n")
    assert main(["verify", str(tmp_path / "draw"), "--quiet"]) == 1  # the exit status still says how it went
    assert capsys.readouterr().out == ""


def test_json_warnings_are_the_ones_printed(staffed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [a for a in _draw_args(staffed, tmp_path / "draw") if not a.startswith("--history=")]
    assert main(["--lang", "zh", *args, "--json"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert len(doc["warnings"]) >= 1
    for warning in doc["warnings"]:
        assert "警告：" + warning in captured.err  # shown in Chinese, though the manifest keeps them in English
    assert any("未提供检查记录" in w for w in doc["warnings"])
    stored = json.loads((tmp_path / "draw" / "manifest.json").read_text(encoding="utf-8"))["warnings"]
    assert any("no inspection history was given" in w for w in stored)


def _on_a_terminal(argv: list[str]) -> tuple[int, bytes, str]:
    """Run the command with standard error on a pseudo-terminal; returns its status, the terminal's bytes, stdout."""
    leader, follower = pty.openpty()
    env = {**os.environ, "SHUANGSUIJI_LANG": "en", "TERM": "xterm-256color", "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "shuangsuiji", *argv], stdout=subprocess.PIPE, stderr=follower, env=env, cwd=ROOT
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    out = proc.stdout.read().decode("utf-8") if proc.stdout is not None else ""
    os.close(leader)
    return proc.wait(timeout=120), seen, out


def test_a_progress_bar_is_drawn_on_a_terminal_only(staffed: Path) -> None:
    draw = str(staffed / "pub" / "draw")
    status, terminal, out = _on_a_terminal(["verify", draw])
    assert status == 0 and "VERIFIED" in out
    assert b"checked: " in terminal  # the bar's text, on standard error
    status, terminal, out = _on_a_terminal(["verify", draw, "--quiet"])
    assert (status, terminal, out) == (0, b"", "")
    piped = subprocess.run(
        [sys.executable, "-m", "shuangsuiji", "verify", draw],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SHUANGSUIJI_LANG": "en"},
    )
    assert piped.returncode == 0 and piped.stderr == ""  # a pipe or a log gets no bar
