"""The notices' files made in worker processes are the files made one by one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from shuangsuiji import _notice_files as files_module, draw, load_plan, read_table
from shuangsuiji.exceptions import InputError
from shuangsuiji.notices import Notice, notice_csv_bytes, notice_files, notices_files, plan_notice, task_notice

from .conftest import GOLDEN_SEED


@pytest.fixture
def notices(vectors: Path) -> list[tuple[Notice, str]]:
    plan = load_plan(vectors / "golden_plan.toml")
    selection = draw(read_table(vectors / "golden_population.csv"), plan, GOLDEN_SEED).selection
    return [(plan_notice(plan), "抽查计划公告"), (task_notice(plan, selection), "抽查任务公告")]


def test_workers_make_the_same_bytes_in_the_same_order(
    notices: list[tuple[Notice, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    one_by_one: dict[str, bytes] = {}
    for notice, stem in notices:
        one_by_one |= notice_files(notice, stem)
    assert list(one_by_one) == [
        "抽查计划公告.csv",
        "抽查计划公告.xlsx",
        "抽查计划公告.html",
        "抽查任务公告.csv",
        "抽查任务公告.xlsx",
        "抽查任务公告.html",
    ]
    monkeypatch.setattr(files_module, "PARALLEL_ROWS", 0)  # the golden notices are small: force the workers
    in_workers = notices_files(notices, workers=2)
    assert list(in_workers) == list(one_by_one)
    assert all(in_workers[name] == data for name, data in one_by_one.items())
    assert notices_files(notices, workers=1) == one_by_one


def test_a_template_mistake_in_a_worker_is_the_library_error(
    notices: list[tuple[Notice, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "plan.html.j2").write_text("{% extends 'base.html.j2' %}{% block content %}{{ nothing }}{% endblock %}")
    monkeypatch.setattr(files_module, "PARALLEL_ROWS", 0)
    with pytest.raises(InputError, match=r"plan\.html\.j2.*nothing"):
        notices_files(notices, templates=tmp_path, workers=2)


def test_carriage_returns_become_line_feeds_only_where_they_are() -> None:
    table = pd.DataFrame({"a": ["x\r\ny", "z\rw", "plain"], "b": ["1", "2", "3"]})
    text = notice_csv_bytes(Notice("t", table)).decode("utf-8-sig")
    assert text == 'a,b\n"x\ny",1\n"z\nw",2\nplain,3\n'
