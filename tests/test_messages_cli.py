"""The command line in Chinese (``--lang zh``, ``SHUANGSUIJI_LANG=zh``): help, printed lines, errors."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shuangsuiji._i18n import set_language, using_language
from shuangsuiji._items_commands import summary_lines
from shuangsuiji.cli import main
from shuangsuiji.items import Item, ItemsList

VALID = "91350100M000100Y43"


@pytest.fixture(autouse=True)
def _back_to_english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``main(["--lang", "zh", ...])`` chooses Chinese for the process: the next test gets the environment's."""
    monkeypatch.setenv("COLUMNS", "250")  # argparse wraps help at the terminal's width: one line per option
    yield
    set_language(None)


def _help(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 0
    return capsys.readouterr().out


def test_lang_zh_shows_the_draw_options_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    shown = _help(capsys, ["--lang", "zh", "draw", "--help"])
    assert "抽取抽查计划中的每项抽查任务。" in shown  # the description
    assert "抽查计划 TOML 文件（见 docs/plan.md）" in shown  # --plan
    assert "先从文件夹中删除此前运行留下的抽取结果、人员分配结果和核验证明" in shown  # --force, its {what} filled
    assert "每个 Dask 分区的行数（默认 1048576）" in shown  # --partition-rows, its {rows} filled
    assert "显示本帮助信息并退出" in shown and "选项" in shown  # argparse's own words
    assert "plan TOML file" not in shown


def test_without_lang_the_draw_options_stay_english(capsys: pytest.CaptureFixture[str]) -> None:
    shown = _help(capsys, ["draw", "--help"])
    assert "plan TOML file (see docs/plan.md)" in shown
    assert "remove the draw, assignment and proofs of an earlier run from the folder first" in shown
    assert "rows per Dask partition (default 1048576)" in shown
    assert "show this help message and exit" in shown and "options:" in shown


def test_the_command_list_and_a_years_action_are_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert "校验统一社会信用代码" in _help(capsys, ["--lang", "zh", "--help"])
    shown = _help(capsys, ["--lang", "zh", "year", "commit", "--help"])
    assert "读取检查台账视图，并将其与本批次的输入文件一同承诺。" in shown
    assert "执法检查人员和专家（执法检查人员名录库、专家库）：同时承诺人员分配" in shown  # --roster


def test_shuangsuiji_lang_in_the_environment_gives_chinese_help() -> None:
    env = {**os.environ, "SHUANGSUIJI_LANG": "zh"}
    run = subprocess.run(
        [sys.executable, "-m", "shuangsuiji", "draw", "--help"], capture_output=True, text=True, env=env, check=True
    )
    assert "抽查计划 TOML 文件（见 docs/plan.md）" in run.stdout
    assert "64 位小写十六进制随机种子" in run.stdout
    env["SHUANGSUIJI_LANG"] = "en"
    run = subprocess.run(
        [sys.executable, "-m", "shuangsuiji", "draw", "--help"], capture_output=True, text=True, env=env, check=True
    )
    assert "plan TOML file (see docs/plan.md)" in run.stdout


def test_an_option_without_its_roster_is_refused_in_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["commit", "--population", "p.csv", "--plan", "plan.toml", "--beacon", "b", "--no-secret"]
    argv += ["--out", str(tmp_path / "c"), "--conflicts", "conflicts.csv"]
    assert main(["--lang", "zh", *argv]) == 2
    assert capsys.readouterr().err == "错误：--conflicts 用于承诺人员分配：请同时给出 --roster。\n"
    assert main(argv) == 2
    assert capsys.readouterr().err == "error: --conflicts binds the assignment: give the --roster with it.\n"


def test_check_uscc_prints_valid_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "zh", "check-uscc", VALID]) == 0
    assert capsys.readouterr().out == f"{VALID}：有效\n"
    assert main(["check-uscc", VALID]) == 0
    assert capsys.readouterr().out == f"{VALID}: valid\n"


def test_the_items_summary_in_both_languages() -> None:
    lst = ItemsList("a.xlsx", None, False, (Item("I001", "省教育厅", "c", "n", kind="general"),))
    with using_language("zh"):
        assert summary_lines(lst) == [
            "a.xlsx：1 个部门的 1 个事项（一般检查事项 1，重点检查事项 0，未注明 0）",
            "  省教育厅: 1",
            "  未纳入的行：0",
        ]
    with using_language("en"):
        assert summary_lines(lst)[0] == "a.xlsx: 1 items of 1 departments (general 1, key 0, not said 0)"
