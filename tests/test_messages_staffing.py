"""The staffing's messages in Chinese and in English: roster and conflict problems, refusals, ``amend``, ``capacity``.

The suite runs in English (``tests/conftest.py``); here each message is shown under
``using_language("zh")`` and again without it, with its placeholders filled. What the
staffing writes into a file (``unstaffed.csv``'s reasons, ``capacity.csv``) stays the same
in both languages.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from shuangsuiji._capacity_commands import _print_change
from shuangsuiji._i18n import set_language, using_language
from shuangsuiji.assignment import assign
from shuangsuiji.assignment.capacity import capacity_change
from shuangsuiji.cli import main
from shuangsuiji.conflicts import ConflictError, Conflicts, check_conflicts
from shuangsuiji.exceptions import AssignmentError
from shuangsuiji.io import csv_bytes
from shuangsuiji.roster import RosterError, check_roster
from shuangsuiji.workflow import CapacityStep

from .assign_helpers import codes, instance, roster
from .conftest import raised

SEED = "ab" * 32


def _bad_roster() -> pd.DataFrame:
    """Two officers; the second (row 3) with a capacity that is no number."""
    return pd.DataFrame(
        {
            "inspector_id": ["A1", "A2"],
            "name": ["张三", "李四"],
            "department": ["市场监管局"] * 2,
            "cert_no": ["C1", "C2"],
            "capacity": ["5", "x"],
        },
        index=range(2, 4),
    )


def _raised(error: type[Exception], call: Callable[[], object], lang: str | None = None) -> Exception:
    """The error ``call`` raises, in ``lang`` (the suite's English without it)."""
    return raised(error, call, lang)


def test_a_roster_with_a_bad_row_reads_in_chinese_with_its_row_column_and_value() -> None:
    zh = str(_raised(RosterError, lambda: check_roster(_bad_roster(), source="roster.csv"), "zh"))
    assert zh.splitlines()[1] == (
        "  - roster.csv，第 3 行，列“capacity”，值 'x'：容量是本批次可承担的检查次数，须为 0 到 10000 之间的整数"
    )
    assert "roster.csv" in zh.splitlines()[0] and "capacity" not in zh.splitlines()[0]
    en = str(_raised(RosterError, lambda: check_roster(_bad_roster(), source="roster.csv")))
    assert en == (
        "1 problem in the roster 'roster.csv':\n"
        "  - roster.csv, row 3, column 'capacity', value 'x': "
        "the capacity is the number of visits this batch, a whole number from 0 to 10000"
    )


def test_repeated_ids_and_missing_columns_read_in_chinese() -> None:
    frame = _bad_roster().assign(inspector_id=["A1", "A1"], capacity=["5", "5"])
    zh = str(_raised(RosterError, lambda: check_roster(frame, source="r.csv"), "zh"))
    assert "第 3 行" in zh and "列“inspector_id”" in zh and "值 'A1'" in zh
    assert "该编号已在第 2 行出现；编号不得重复" in zh
    en = str(_raised(RosterError, lambda: check_roster(frame, source="r.csv")))
    assert "row 3, column 'inspector_id', value 'A1': this id already appears in row 2; ids must be unique" in en
    missing = frame.drop(columns=["capacity"])
    zh = str(_raised(RosterError, lambda: check_roster(missing, source="r.csv"), "zh"))
    assert "执法检查人员名录库须包含列 ['inspector_id', 'name', 'department', 'capacity']；缺少此列" in zh


def test_a_conflicts_file_naming_an_unknown_officer_reads_in_chinese() -> None:
    frame = pd.DataFrame({"inspector_id": ["Z9"], "uscc": [codes(1)[0]]}, index=[2])
    zh = str(_raised(ConflictError, lambda: check_conflicts(frame, inspectors={"A1"}, source="c.csv"), "zh"))
    assert "c.csv，第 2 行，列“inspector_id”，值 'Z9'：执法检查人员名录库中没有此人员" in zh
    en = str(_raised(ConflictError, lambda: check_conflicts(frame, inspectors={"A1"}, source="c.csv")))
    assert "c.csv, row 2, column 'inspector_id', value 'Z9': no such inspector in the roster" in en


def test_an_unstaffable_assignment_is_explained_in_chinese_and_its_stored_reasons_stay_english() -> None:
    plan, visits = instance(4)
    no_lead = roster([{"lead": "否"} for _ in range(3)])
    zh = _raised(AssignmentError, lambda: assign(visits, no_lead, plan.assignment, SEED), "zh")
    text = str(zh)
    assert text.startswith("4 项检查中有 4 项无法派员：\n  - ")
    assert "可任主检的执法人员 0 名" in text and "--allow-partial" in text and "请增加执法人员或容量" in text
    en = _raised(AssignmentError, lambda: assign(visits, no_lead, plan.assignment, SEED))
    assert str(en).startswith("4 of 4 visits cannot be staffed:\n  - ")
    assert "0 of the officers may lead" in str(en) and "--allow-partial" in str(en)
    # unstaffed.csv's reasons are data: the same words whatever the language
    stored_zh, stored_en = zh.unstaffed, en.unstaffed  # type: ignore[attr-defined]
    assert isinstance(stored_zh, pd.DataFrame) and isinstance(stored_en, pd.DataFrame)
    assert csv_bytes(stored_zh) == csv_bytes(stored_en)
    assert stored_zh["reason"].str.contains("no eligible lead").all()


def test_capacity_prints_chinese_sentences_and_writes_the_same_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan, visits = instance(4, stations=("S1", "S2"), assignment={"cross_station": True})
    r = roster([{"station": "S1"}, {"station": "S1"}, {"station": "S1"}, {"station": "S2"}])
    with using_language("zh"):
        zh = capacity_change(visits, r, plan.assignment, SEED)
        _print_change(CapacityStep(result=zh, path=tmp_path / "capacity.csv", roster=None, committed=False))
    out = capsys.readouterr().out
    assert "按现有名录库，4 项检查中有 2 项无法派员。" in out
    assert "\n变更：增加 1 人，每人容量如上表所示（取所在组的中位数）。" in out
    assert "整体派员可为每项检查派员" in out and "所所交叉使 2 项检查（上表各组中 2 个检查组）无法派员" in out
    en = capacity_change(visits, r, plan.assignment, SEED)
    _print_change(CapacityStep(result=en, path=tmp_path / "capacity.csv", roster=None, committed=False))
    out = capsys.readouterr().out
    assert "2 of 4 visits wait with the roster as it is." in out
    assert "\nChange: add 1 person with the capacity shown (their group's median)." in out
    assert "Cross-station mode (所所交叉) costs 2 visits with the roster as it is (2 teams in the groups above)" in out
    assert csv_bytes(zh.groups) == csv_bytes(en.groups)  # capacity.csv's bytes never follow the language


def test_amend_prints_chinese_and_refuses_in_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from .test_amend import _small_city  # noqa: PLC0415 - the amend tests' small city

    draw = _small_city(tmp_path)
    capsys.readouterr()
    teams = pd.read_csv(draw / "teams.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    visits = pd.read_csv(draw / "visits.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    lead = teams[(teams["role"] == "lead") & (teams["department"] == "市场监管局")].iloc[0]
    person, visit = str(lead["inspector_id"]), str(lead["visit_id"])
    firm = str(visits.set_index("visit_id").at[visit, "uscc"])
    reason = ["--requested-by", "企业法定代表人", "--reason", "亲属关系", "--on", "2026-03-01"]
    zh = ["--lang", "zh", "amend", str(draw)]  # the command line chooses its language itself
    try:
        assert main([*zh, "--recusal", f"{person}:{firm}", *reason]) == 0
        out = capsys.readouterr().out
        assert main([*zh, "--recusal", f"NOBODY:{firm}", *reason]) == 2
        err = capsys.readouterr().err
    finally:
        set_language(None)
    assert out.startswith(f"第 1 项变更（{person} 对 {firm} 回避）：变动了 1 个岗位。\n")
    assert f"  {visit}, 市场监管局, 主检: {person} -> " in out
    assert "已写入 " in out and "派员记录 SHA-256：" in out
    assert "NOBODY 不在执法检查人员名录库（" in err and "请核对该执法人员的编号。" in err
    assert main(["amend", str(draw), "--recusal", f"NOBODY:{firm}", *reason]) == 2
    assert "NOBODY is not in the roster (" in capsys.readouterr().err


def test_a_stored_reason_does_not_follow_the_language() -> None:
    plan, visits = instance(1)
    recused = roster([{}, {}, {}])
    u = visits.visits["uscc"].iloc[0]
    conflicts = Conflicts.combine([("declared", {("O00", u): "x", ("O01", u): "y"})])
    with using_language("zh"):
        zh = assign(visits, recused, plan.assignment, SEED, conflicts=conflicts, allow_partial=True)
    en = assign(visits, recused, plan.assignment, SEED, conflicts=conflicts, allow_partial=True)
    assert csv_bytes(zh.unstaffed) == csv_bytes(en.unstaffed)
    assert zh.unstaffed["reason"].iloc[0].startswith("1 eligible of 2 needed")
