"""The draw's messages in Chinese and in English (issue 15): folders, interrupted runs, extras, engines, ceremony."""

from __future__ import annotations

from pathlib import Path

import pytest

from shuangsuiji._i18n import using_language
from shuangsuiji._lazy import Missing, extra
from shuangsuiji._runs import STAGE_PREFIX, check_settled, unsettled
from shuangsuiji.engines import get_engine
from shuangsuiji.exceptions import DependencyError, FolderError, InputError
from shuangsuiji.inputs import DrawFiles
from shuangsuiji.io import write_csv
from shuangsuiji.synthetic import example_plan_toml, make_population
from shuangsuiji.workflow import run_draw

from .conftest import SEED


def _files(tmp: Path) -> DrawFiles:
    """A small example city's population and plan in ``tmp/in`` (written by the library, not the command line)."""
    folder = tmp / "in"
    if not folder.is_dir():
        folder.mkdir()
        write_csv(make_population(60, seed=3), folder / "population.csv")
        (folder / "plan.toml").write_text(example_plan_toml(), encoding="utf-8")
    return DrawFiles(population=folder / "population.csv", plan=folder / "plan.toml")


def test_a_draw_into_a_folder_holding_an_earlier_run_is_refused_in_either_language(tmp_path: Path) -> None:
    out = tmp_path / "draw"
    run_draw(_files(tmp_path), out, seed=SEED)
    with using_language("zh"), pytest.raises(FolderError) as chinese:
        run_draw(_files(tmp_path), out, seed=SEED)
    shown = str(chinese.value)
    assert shown.startswith(f"{out} 中已有此前一次运行的文件（")
    assert "excluded.csv" in shown and " 等另外 " in shown and " 个）" in shown
    assert shown.endswith("：请为“draw”指定一个空目录，或加 --force 先将这些文件删除。")
    with pytest.raises(FolderError) as english:
        run_draw(_files(tmp_path), out, seed=SEED)
    assert str(english.value).startswith(f"{out} already holds files of an earlier run (")
    assert str(english.value).endswith("): give an empty folder for 'draw', or add --force to remove them first.")


def test_an_interrupted_run_is_named_in_either_language(tmp_path: Path) -> None:
    stage = tmp_path / f"{STAGE_PREFIX}assign"
    stage.mkdir()
    with using_language("zh"):
        with pytest.raises(FolderError) as chinese:
            check_settled(tmp_path, step="draw")
        (said,) = unsettled(tmp_path)  # the verify line of the same stage
    assert str(chinese.value) == (
        f"向 {tmp_path} 运行的“assign”（开始于 时间不明）在完成前中断：该目录保存的仍是此前一次运行的结果。"
        f"请加 --force 重新运行“assign”，或删除 {stage} 以保持该目录现状。"
    )
    assert str(chinese.value) == said + "。"
    with pytest.raises(FolderError) as english:
        check_settled(tmp_path, step="draw")
    assert str(english.value) == (
        f"a run of 'assign' into {tmp_path} (started at an unknown time) was interrupted before it finished: "
        f"the folder holds the run before it. Run 'assign' again with --force, or remove {stage} to keep the "
        "folder as it is."
    )


def _missing_ortools() -> None:
    with extra("assign"):
        raise ModuleNotFoundError("No module named 'ortools'", name="ortools")


def test_a_missing_optional_dependency_says_what_to_install_in_either_language() -> None:
    with using_language("zh"), pytest.raises(DependencyError) as chinese:
        _missing_ortools()
    assert str(chinese.value) == "未安装 ortools，而派员需要它：pip install 'shuangsuiji[assign]'。"
    with pytest.raises(DependencyError) as english:
        _missing_ortools()
    assert (
        str(english.value)
        == "ortools is not installed, and staffing visits needs it: pip install 'shuangsuiji[assign]'."
    )
    with using_language("zh"):
        stand_in = Missing("shuangsuiji.assign", DependencyError("x"))
        with pytest.raises(AttributeError, match=r"^assign\.solve 不可用：x$"):
            _ = stand_in.solve
    with pytest.raises(ModuleNotFoundError), extra("assign"):  # a module no extra lists is not turned into advice
        raise ModuleNotFoundError("No module named 'no_such_module_at_all'", name="no_such_module_at_all")


def test_engine_and_ceremony_errors_read_in_either_language(tmp_path: Path) -> None:
    with using_language("zh"):
        with pytest.raises(InputError) as engine:
            get_engine("spark")
        with pytest.raises(InputError) as workers:
            get_engine("dask", workers=0)
        with pytest.raises(InputError) as neither:
            run_draw(_files(tmp_path), tmp_path / "d")
    assert str(engine.value) == "引擎应为“memory”或“dask”；实际为 'spark'。"
    assert str(workers.value) == "工作进程数应为不小于 1 的整数；实际为 0。"
    assert str(neither.value).startswith("请给出 --seed HEX，或给出 --commitment FILE 及 --beacon-value")
    with pytest.raises(InputError, match=r"^The engine must be 'memory' or 'dask'; got 'spark'\.$"):
        get_engine("spark")
