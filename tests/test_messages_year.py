"""The year's and the ledger's messages in Chinese and in English: real errors, verify lines, ``year status``.

The suite runs in English (``tests/conftest.py``); here each message is shown under
``using_language("zh")`` and again without it, with its placeholders filled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from shuangsuiji._i18n import set_language, using_language
from shuangsuiji.cli import main
from shuangsuiji.exceptions import ChecksError, LedgerError, YearError
from shuangsuiji.ledger import Ledger, LedgerEntry
from shuangsuiji.workflow._ledger import run_ledger_add
from shuangsuiji.workflow.yeardemo import EXAMPLE_YEAR_TOML, write_example_year
from shuangsuiji.year import load_year, parse_year

from .conftest import example_inputs, raised

USCC = "91410302000005194E"


def _raised(error: type[Exception], call: Callable[[], object], lang: str | None = None) -> str:
    """The message ``call`` raises, in ``lang`` (the suite's English without it)."""
    return str(raised(error, call, lang))


def test_a_year_toml_breaking_its_schema_reads_in_chinese_and_in_english(tmp_path: Path) -> None:
    path = tmp_path / "year.toml"
    path.write_text(EXAMPLE_YEAR_TOML.replace('base = "operating"', 'base = "everyone"'), encoding="utf-8")
    zh = _raised(YearError, lambda: load_year(path), "zh")
    assert zh == f"{path}: 年度计划的“indicator.base”须为“operating”或“eligible”；实际为 'everyone'。"
    en = _raised(YearError, lambda: load_year(path))
    assert en == f"{path}: The 'indicator.base' of the year must be 'operating' or 'eligible'; got 'everyone'."


def test_a_batch_outside_its_year_and_an_unknown_batch_read_in_chinese() -> None:
    doc = {"id": "Y", "year": 2027, "plan": "plan.toml", "batches": [{"id": "Q1", "window": "2026-01-01:2026-03-31"}]}
    zh = _raised(YearError, lambda: parse_year(doc), "zh")
    assert zh == "批次 'Q1' 的时间窗口（2026-01-01:2026-03-31）不在年度计划“year”所指的 2027 年内。"
    assert _raised(YearError, lambda: parse_year(doc)) == (
        "The window of batch 'Q1' (2026-01-01:2026-03-31) is not in 2027, the year's 'year'."
    )
    year = parse_year({**doc, "batches": [{"id": "Q1", "window": "2027-01-01:2027-03-31"}]})
    assert _raised(YearError, lambda: year.batch("Q9"), "zh") == "<year>：年度计划中没有批次 'Q9'；其批次为 ['Q1']。"
    assert _raised(YearError, lambda: year.batch("Q9")) == "<year>: the year has no batch 'Q9'; its batches are ['Q1']."


def test_a_field_name_given_to_the_shared_checks_is_chinese_too() -> None:
    """The key a shared ``check_*`` names (its template is another part's) is the year's own words."""
    doc = {"id": "Y", "year": 2027, "plan": "p", "batches": [{"id": "Q 1", "window": "2027-01-01:2027-03-31"}]}
    assert "第 1 个批次的“id”" in _raised(YearError, lambda: parse_year(doc), "zh")
    assert "The 'id' of batch number 1" in _raised(YearError, lambda: parse_year(doc))


def _draw(tmp: Path) -> Path:
    assert main(["example", "--out", str(tmp / "in"), "--entities", "80", "--seed", "3"]) == 0
    out = tmp / "draw"
    assert main(["draw", *example_inputs(tmp), "--seed", "ef" * 32, "--out", str(out)]) == 0
    return out


def test_a_draw_added_twice_to_a_ledger_reads_in_chinese_and_in_english(tmp_path: Path) -> None:
    draw, ledger = _draw(tmp_path), tmp_path / "ledger.sqlite"
    assert run_ledger_add(ledger, year="2027", draw=draw).added > 0
    zh = _raised(LedgerError, lambda: run_ledger_add(ledger, year="2027", draw=draw), "zh")
    assert zh == f"抽取结果 {draw}（及其人员分配，如有）已在台账中。"
    en = _raised(LedgerError, lambda: run_ledger_add(ledger, year="2027", draw=draw))
    assert en == f"The draw {draw} (and its assignment, if any) is already in the ledger."


def test_an_entry_added_twice_and_a_bad_entry_read_in_chinese(tmp_path: Path) -> None:
    entry = LedgerEntry(year="2027", event="drawn", uscc=USCC, department="市场监管局", source="manifest m1")
    with Ledger.open(tmp_path / "ledger.sqlite") as book:
        book.append([entry])
        twice = _raised(LedgerError, lambda: book.append([entry]), "zh")
        assert twice == f"{book.where}：以下内容已在台账中：manifest m1。未追加任何条目。"
        assert _raised(LedgerError, lambda: book.append([entry])) == (
            f"{book.where}: already in the ledger: manifest m1. Nothing was appended."
        )
        bad = replace(entry, event="nope", source="")
        assert _raised(LedgerError, lambda: book.append([bad]), "zh").startswith("条目字段“event”须为 [")
        assert _raised(LedgerError, lambda: book.append([bad])).startswith("Entry field 'event' must be one of [")


def test_the_ledger_verify_lines_read_in_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ledger = tmp_path / "ledger.sqlite"
    with Ledger.open(ledger) as book:
        book.append([LedgerEntry(year="2027", event="drawn", uscc=USCC, department="市场监管局")])
        head = book.head()
    try:
        assert main(["--lang", "zh", "ledger", "verify", str(ledger)]) == 0
    finally:
        set_language(None)
    out = capsys.readouterr().out
    assert f"台账哈希链：1 个条目，seq 1 至 1 连续，每个 prev 和哈希均已重新计算；链头 {head.hash}" in out
    assert main(["ledger", "verify", str(ledger)]) == 0
    assert f"ledger chain: 1 entries, seq 1 to 1 consecutive, every prev and hash recomputed; head {head.hash}" in (
        capsys.readouterr().out
    )


def test_a_checks_file_problem_reads_in_chinese(tmp_path: Path) -> None:
    path = tmp_path / "checks.csv"
    path.write_text(f"uscc,department,date,kind,reason\n{USCC},市场监管局,2027-13-01,random,\n", encoding="utf-8")
    with using_language("zh"), pytest.raises(ChecksError) as info:
        run_ledger_add(tmp_path / "ledger.sqlite", year="2027", checks=path)
    shown = str(info.value)
    assert "不是日期；请按 YYYY-MM-DD 格式填写" in shown
    assert "（随机抽查来自抽取结果：请记入该次抽取）" in shown
    assert "请填写检查原因（投诉举报、预警等）" in shown
    # the problem keeps its English text (what problems.csv records), shown in the language of messages
    assert info.value.problems[0].message == "not a date; write it as YYYY-MM-DD"
    assert "not a date; write it as YYYY-MM-DD" in str(ChecksError(info.value.problems))


def test_year_status_prints_its_headers_in_chinese_and_keeps_its_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = write_example_year(tmp_path / "in", entities=60, seed=4)
    ledger = tmp_path / "ledger.sqlite"
    Ledger.open(ledger).close()
    args = ["year", "status", str(paths["year"]), "--ledger", str(ledger)]
    try:
        assert main(["--lang", "zh", *args, "--out", str(tmp_path / "zh")]) == 0
    finally:
        set_language(None)
    zh = capsys.readouterr().out
    assert zh.startswith("年度 LY-2027：目标为基数的 5.0%\n")
    assert "任务编号" in zh and "已抽取" in zh and "应完成份额" in zh and "task_id" not in zh
    assert main([*args, "--out", str(tmp_path / "en")]) == 0
    en = capsys.readouterr().out
    assert en.startswith("Year LY-2027: target 5.0% of the base\n")
    assert "task_id" in en and "share_due" in en
    for name in ("year-status.csv", "year-batches.csv", "year-progress.csv"):
        assert (tmp_path / "zh" / name).read_bytes() == (tmp_path / "en" / name).read_bytes()
