"""An amendment after the batch is in the ledger: only the teams it changed are entered again."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from shuangsuiji.cli import main
from shuangsuiji.io import read_table
from shuangsuiji.ledger import Ledger
from shuangsuiji.workflow import run_ledger_add

from .conftest import publish_staffed


def _latest_staffed(ledger: Path) -> pd.DataFrame:
    with Ledger.open(ledger) as book:
        rows = book.frame()
    staffed = rows[rows["event"] == "staffed"].sort_values("seq", kind="stable")
    return staffed.groupby(["visit_id", "department"]).last()


def test_only_the_amended_team_is_entered_again(tmp_path: Path) -> None:
    draw = publish_staffed(tmp_path, entities=400, seed=31, people=("conflicts", "requests", "relations"))
    ledger = tmp_path / "ledger.sqlite"
    first = run_ledger_add(ledger, year="2027", draw=draw)
    teams = read_table(draw / "teams.csv")
    visits = read_table(draw / "visits.csv").set_index("visit_id")
    row = teams[teams["role"] == "member"].iloc[0]
    officer, visit, department = row["inspector_id"], row["visit_id"], row["department"]
    recusal = f"{officer}:{visits.at[visit, 'uscc']}"
    assert main(["amend", str(draw), "--recusal", recusal, "--requested-by", "张三", "--reason", "回避"]) == 0
    again = run_ledger_add(ledger, year="2027", draw=draw)
    assert again.added < first.added  # not the whole assignment a second time
    latest = _latest_staffed(ledger)
    now = read_table(draw / "teams.csv")
    team = now[(now["visit_id"] == visit) & (now["department"] == department)]
    if len(team):  # a substitute was found: the ledger's latest entry names the amended team
        assert latest.at[(visit, department), "inspectors"] == ";".join(sorted(team["inspector_id"]))
        assert again.added == 1
    else:  # no substitute: the visit waits, and the ledger says so
        assert latest.at[(visit, department), "inspectors"] == ""
        assert latest.at[(visit, department), "detail"] == "waits after an amendment"
    assert officer not in latest.at[(visit, department), "inspectors"].split(";")
    unchanged = latest[latest.index.get_level_values("visit_id") != visit]
    assert (unchanged["source"] == first.sources[-1]).all()
