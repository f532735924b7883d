"""Hostile names through every command: no file the library writes holds a live formula, link or markup.

Firm and officer names such as ``=HYPERLINK(...)``, ``+cmd``, ``@SUM(A1)`` and ``<script>`` go through
commit, draw, assign, notices (with results and inspector names), publish, the report, the clerks'
templates, the ledger's exports and the import triage. Every file written is then read back as a
spreadsheet program or a browser would: no ``<f>`` (formula) element or hyperlink in any XLSX sheet,
no CSV cell that a spreadsheet would evaluate, no unescaped markup in any HTML, and valid JSON.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from shuangsuiji.cli import main
from shuangsuiji.io import write_csv
from shuangsuiji.synthetic import make_roster

from .conftest import example_inputs

HOSTILE = (
    '=HYPERLINK("http://evil.example/x","点这里")',
    "+cmd|' /C calc'!A0",
    "-1+1",
    "@SUM(A1)",
    "\t=1+1",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
)
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _run(tmp: Path) -> None:
    inp = tmp / "in"
    assert main(["example", "--out", str(inp), "--entities", "300", "--seed", "12"]) == 0
    pop = pd.read_csv(inp / "population.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    pop["name"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(pop))]
    write_csv(pop, inp / "population.csv")
    roster = make_roster(pop, seed=12)
    roster["name"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(roster))]
    write_csv(roster, inp / "roster.csv")
    keep = ["--secret-out", str(tmp / "private/secret.txt")]
    bound = ["--roster", str(inp / "roster.csv"), f"--calendar-overrides={inp / 'calendar-2027.csv'}"]
    assert main(["commit", *example_inputs(tmp), *bound, "--beacon", "drand 1", "--out", str(tmp / "pub"), *keep]) == 0
    draw = tmp / "pub/draw"
    reveal = ["--commitment", str(tmp / "pub/commitment.json"), "--beacon-value", "77"]
    assert (
        main(["draw", *example_inputs(tmp), *reveal, "--secret", str(tmp / "private/secret.txt"), "--out", str(draw)])
        == 0
    )
    people = ["--population", str(inp / "population.csv"), "--roster", str(inp / "roster.csv")]
    assert (
        main(["assign", str(draw), *people, f"--calendar-overrides={inp / 'calendar-2027.csv'}", "--allow-partial"])
        == 0
    )
    selection = pd.read_csv(draw / "selection.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    results = selection[["task_id", "uscc"]].head(20).assign(result="正常", completed="2027-03-10")
    write_csv(results, inp / "results.csv")
    notices = ["notices", str(draw), "--out", str(tmp / "notices"), "--results", str(inp / "results.csv")]
    assert main([*notices, f"--calendar-overrides={inp / 'calendar-2027.csv'}", "--publish-inspector-names"]) == 0
    assert main(["publish", str(draw), "--notices", str(tmp / "notices"), "--out", str(tmp / "public")]) == 0
    assert main(["report", str(draw), "--out", str(tmp / "report")]) == 0
    assert main(["template", "--out", str(tmp / "templates"), "--draw", str(draw)]) == 0
    ledger = str(tmp / "ledger.sqlite")
    assert main(["ledger", "add", ledger, "--draw", str(draw), "--year", "2027"]) == 0
    assert main(["ledger", "export", ledger, "--out", str(tmp / "ledger.csv")]) == 0
    assert main(["ledger", "export", ledger, "--out", str(tmp / "ledger.xlsx")]) == 0
    assert main(["import", "--entities", str(inp / "population.csv"), "--out", str(tmp / "imported")]) == 0


def _live_csv_cells(path: Path) -> list[str]:
    text = path.read_bytes().decode("utf-8-sig")
    return [
        cell
        for row in csv.reader(io.StringIO(text))
        for cell in row
        if cell.startswith(("=", "+", "-", "@", "\t", "\r")) and not _NUMBER.fullmatch(cell)
    ]


def _xlsx_problems(path: Path) -> list[str]:
    problems = []
    with zipfile.ZipFile(path) as book:
        for name in book.namelist():
            data = book.read(name)
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                if re.search(rb"<f[ >]", data):
                    problems.append(f"{name}: a formula")
                if b"<hyperlink" in data:
                    problems.append(f"{name}: a hyperlink")
            if name.endswith(".rels") and b"/hyperlink" in data:
                problems.append(f"{name}: a hyperlink relationship")
    return problems


@pytest.mark.slow
def test_no_file_written_holds_a_live_formula_link_or_markup(tmp_path: Path) -> None:
    _run(tmp_path)
    written = [p for p in sorted(tmp_path.rglob("*")) if p.is_file() and "in" not in p.relative_to(tmp_path).parts[:1]]
    kinds = {p.suffix for p in written}
    assert {".csv", ".xlsx", ".html", ".json"} <= kinds
    problems: list[str] = []
    for path in written:
        where = str(path.relative_to(tmp_path))
        if path.suffix == ".csv":
            problems += [f"{where}: live cell {c!r}" for c in _live_csv_cells(path)]
        elif path.suffix == ".xlsx":
            problems += [f"{where}: {p}" for p in _xlsx_problems(path)]
        elif path.suffix == ".html":
            text = path.read_text(encoding="utf-8")
            for bad in ("<script>alert(1)", "<img src=x"):
                if bad in text:
                    problems.append(f"{where}: unescaped {bad!r}")
        elif path.suffix == ".json":
            json.loads(path.read_bytes())  # every JSON file parses
    assert not problems, problems[:20]
    # and the names did go through: the notices carry them, made harmless
    task = (tmp_path / "notices").glob("抽查任务公告.csv")
    assert any("HYPERLINK" in p.read_text(encoding="utf-8-sig") for p in task)
