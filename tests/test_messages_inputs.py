"""The input files' messages in Chinese and in English (issue 15): population, plan, history, column maps, verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from shuangsuiji._i18n import using_language
from shuangsuiji.checks import Check, Verification
from shuangsuiji.columns import ColumnMap
from shuangsuiji.exceptions import ColumnMapError, HistoryError, PlanError, PopulationError
from shuangsuiji.inputs import read_history, read_population
from shuangsuiji.io import read_table
from shuangsuiji.plan import load_plan, parse_plan
from shuangsuiji.uscc import uscc_problem

GOOD = ["91110000600037341L", "9144030071526726XG", "91110000710926094P"]


def _plan(**task: object):  # type: ignore[no-untyped-def]
    t = {"id": "T1", "department": "市场监管局", "items": ["企业公示信息"], "ratio": "0.1", **task}
    return parse_plan({"id": "P", "tasks": [t]})


def _csv(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_bad_credit_class_names_file_row_column_and_value_in_chinese(tmp_path: Path) -> None:
    path = _csv(tmp_path, "pop.csv", f"uscc,credit_class\n{GOOD[0]},A\n{GOOD[1]},Z\n")
    with using_language("zh"), pytest.raises(PopulationError) as chinese:
        read_population(path, _plan())
    lines = str(chinese.value).splitlines()
    assert lines[0] == f"检查对象名录库 '{path}' 中有 1 个问题："
    assert lines[1] == (
        f"  - {path}，第 3 行，列“credit_class”，值 'Z'：未知的信用风险分类；可用的分类为 ['A', 'B', 'C', 'D']"
    )
    with pytest.raises(PopulationError) as english:
        read_population(path, _plan())
    assert str(english.value).splitlines()[1] == (
        f"  - {path}, row 3, column 'credit_class', value 'Z': unknown credit class; the classes are "
        "['A', 'B', 'C', 'D']"
    )


def test_a_bad_code_gives_its_reason_in_chinese(tmp_path: Path) -> None:
    bad = "91110000600037341N"
    path = _csv(tmp_path, "pop.csv", f"uscc,credit_class\n{GOOD[0]},A\n{bad},B\n")
    with using_language("zh"), pytest.raises(PopulationError) as chinese:
        read_population(path, _plan())
    shown = str(chinese.value)
    assert f"{path}，第 3 行，列“uscc”，值 '{bad}'：" in shown
    assert "校验码为 'N'，但按 GB 32100-2015 计算应为 'L'" in shown
    with pytest.raises(PopulationError) as english:
        read_population(path, _plan())
    assert "check character is 'N' but GB 32100-2015 gives 'L'" in str(english.value)
    history = _csv(tmp_path, "history.csv", f"uscc,department,date\n{bad},市场监管局,2026-05-01\n{GOOD[0]},,2026/5/2\n")
    with using_language("zh"), pytest.raises(HistoryError) as lines:
        read_history(history)
    assert str(lines.value).splitlines()[1:] == [
        f"  - {history}，第 2 行，列“uscc”，值 '{bad}'：校验码为 'N'，但按 GB 32100-2015 计算应为 'L'；请更正代码",
        f"  - {history}，第 3 行，列“department”，值 ''：检查部门为空；请补填",
    ]


def test_uscc_problem_speaks_the_language_of_messages_or_the_one_asked() -> None:
    with using_language("zh"):
        assert uscc_problem("91110000600037341") == "统一社会信用代码应为 18 位；此代码为 17 位"
        assert uscc_problem("91110000600037341", lang="en") == "an USCC has 18 characters; this one has 17"
    assert uscc_problem("91110000600037341l") == "letter 'l' at position 18 must be upper case ('L')"
    assert uscc_problem("91110000600037341l", lang="zh") == "第 18 位的字母 'l' 须为大写（'L'）"


def test_a_missing_column_is_named_in_chinese(tmp_path: Path) -> None:
    path = _csv(tmp_path, "pop.csv", f"uscc,credit_class\n{GOOD[0]},A\n")
    with using_language("zh"), pytest.raises(PopulationError) as chinese:
        read_population(path, _plan(where={"region": ["41*"]}))
    assert str(chinese.value).splitlines()[1] == (
        f"  - {path}，第 1 行，列“region”：抽查计划中的抽查任务 ['T1'] 需要读取此列，但表中没有此列；"
        "现有的列为 ['uscc', 'credit_class']"
    )
    nameless = _csv(tmp_path, "names.csv", "name,credit_class\n某公司,A\n")
    with using_language("zh"), pytest.raises(PopulationError) as no_code:
        read_population(nameless)
    assert "没有“uscc”（统一社会信用代码）列；现有的列为 ['name', 'credit_class']" in str(no_code.value)
    with pytest.raises(PopulationError) as english:
        read_population(nameless)
    assert "there is no 'uscc' (统一社会信用代码) column; the columns are ['name', 'credit_class']" in str(
        english.value
    )


def test_a_file_that_cannot_be_read_says_why_in_chinese(tmp_path: Path) -> None:
    ragged = _csv(tmp_path, "pop.csv", f"uscc,credit_class\n{GOOD[0]},A,extra\n")
    with using_language("zh"), pytest.raises(PopulationError) as chinese:
        read_table(ragged, error=PopulationError)
    assert "此行有 3 个字段，而表头有 2 个；请检查是否有多余的逗号或未闭合的引号" in str(chinese.value)
    with using_language("zh"), pytest.raises(FileNotFoundError) as missing:
        read_table(tmp_path / "none.csv")
    assert str(missing.value) == f"{tmp_path / 'none.csv'}：文件不存在"
    with pytest.raises(FileNotFoundError) as english:
        read_table(tmp_path / "none.csv")
    assert str(english.value) == f"{tmp_path / 'none.csv'}: no such file"


@pytest.mark.parametrize(
    ("task", "chinese", "english"),
    [
        (
            {"ratio": "1.5"},
            "抽查任务 'T1' 的“ratio”须在 [0, 1] 之内；实际为 '1.5'。",
            "The 'ratio' of task 'T1' must be in [0, 1]; got '1.5'.",
        ),
        (
            {"ratio": "三成"},
            "抽查任务 'T1' 的“ratio”须为 [0, 1] 内的小数，如 \"0.05\"；实际为 '三成'。",
            "The 'ratio' of task 'T1' must be a decimal number in [0, 1] such as \"0.05\"; got '三成'.",
        ),
        (
            {"annual_cap": 0},
            "抽查任务 'T1' 的“annual_cap”须为不小于 1 的整数；实际为 0。",
            "The 'annual_cap' of task 'T1' must be a whole number of at least 1; got 0.",
        ),
        (
            {"ration": "0.1"},
            "抽查任务 'T1'中有未知的键 'ration'。 是否应为 'ratio'？",
            "Task 'T1' has an unknown key 'ration'. Did you mean 'ratio'?",
        ),
    ],
)
def test_a_plan_with_a_bad_value_is_refused_in_chinese(task: dict[str, object], chinese: str, english: str) -> None:
    with using_language("zh"), pytest.raises(PlanError) as zh:
        _plan(**task)
    assert str(zh.value) == chinese
    with pytest.raises(PlanError) as en:
        _plan(**task)
    assert str(en.value) == english


def test_a_plan_file_names_itself_in_chinese(tmp_path: Path) -> None:
    path = tmp_path / "plan.toml"
    path.write_text('id = "P"\nfloor = "0.5.0"\n[[tasks]]\nid = "T1"\n', encoding="utf-8")
    with using_language("zh"), pytest.raises(PlanError) as zh:
        load_plan(path)
    assert str(zh.value) == f"{path}：抽查计划的“floor”须为 [0, 1] 内的小数，如 \"0.05\"；实际为 '0.5.0'。"
    path.write_bytes(b'id = "\xb3\xe9"\n')
    with using_language("zh"), pytest.raises(PlanError) as encoding:
        load_plan(path)
    assert str(encoding.value).endswith("TOML 文件须保存为 UTF-8。")
    with pytest.raises(PlanError) as en:
        load_plan(path)
    assert str(en.value) == f"{path}: the plan is not UTF-8 (byte 6 cannot be read); TOML files must be saved as UTF-8."


def test_a_column_map_naming_an_unknown_column_is_refused_in_chinese() -> None:
    with using_language("zh"), pytest.raises(ColumnMapError) as zh:
        ColumnMap.from_mapping({"history": {"columns": {"日期": "day"}}}, source="map.toml")
    assert str(zh.value).startswith("map.toml：[history.columns] 把 '日期' 映射为 'day'，但它不是 history 的列；")
    with pytest.raises(ColumnMapError) as en:
        ColumnMap.from_mapping({"history": {"columns": {"日期": "day"}}}, source="map.toml")
    assert str(en.value).startswith("map.toml: [history.columns] maps '日期' to 'day', which is not a column of the")


def test_the_verdict_and_check_lines_in_chinese() -> None:
    done = Verification((Check("seed", True, "given"), Check("manifest", False, "missing")))
    with using_language("zh"):
        assert done.verdict() == "核验未通过：1 项检查通过，1 项未通过。"
        assert str(done).splitlines() == ["通过    随机种子\uff1agiven", "不通过  manifest\uff1amissing"]
        assert Verification((Check("seed", True),)).verdict() == "核验通过：1 项检查通过，0 项未通过。"
    assert done.verdict() == "NOT VERIFIED: 1 checks passed, 1 failed."
    assert str(done).splitlines() == ["ok    seed: given", "FAIL  manifest: missing"]
