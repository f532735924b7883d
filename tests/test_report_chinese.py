"""The report in Chinese: a CJK font found through a stale font cache, matplotlib left as found, Chinese headers.

The font and backend tests run in subprocesses, each with its own matplotlib config folder
(``MPLCONFIGDIR``), since matplotlib reads its font cache and chooses its backend once per process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from shuangsuiji._report_fonts import CJK_FAMILIES, _system_cjk_files
from shuangsuiji._report_tables import HEADERS
from shuangsuiji.report import write_report, write_year_report

from .conftest import publish_staffed

ROOT = Path(__file__).resolve().parents[1]
SNAKE = re.compile(r"^[a-z]+(_[a-z]+)+$")


@pytest.fixture(scope="module")
def draw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A draw staffed and dated (every figure of the report has its tables)."""
    return publish_staffed(tmp_path_factory.mktemp("city"), entities=600, seed=5)


def _python(code: str, config: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    environ |= {"MPLCONFIGDIR": str(config), "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        env=environ,
        timeout=600,
    )


def _is_cjk(entry: dict[str, object]) -> bool:
    name = str(entry.get("name", ""))
    return "CJK" in name or name in CJK_FAMILIES or str(entry.get("fname", "")) in _system_cjk_files()


def _stale_cache(config: Path) -> Path:
    """A font cache in ``config`` built by matplotlib, then stripped of every CJK font (as if installed since)."""
    built = _python("import matplotlib.font_manager", config)
    assert built.returncode == 0, built.stderr
    (cache,) = config.glob("fontlist-v*.json")
    data = json.loads(cache.read_text(encoding="utf-8"))
    data["ttflist"] = [e for e in data["ttflist"] if not _is_cjk(e)]
    cache.write_text(json.dumps(data), encoding="utf-8")
    return cache


def test_a_cjk_font_installed_after_the_font_cache_was_built_is_found(draw: Path, tmp_path: Path) -> None:
    if not _system_cjk_files():
        pytest.skip("this machine has no CJK font file (install fonts-noto-cjk)")
    config = tmp_path / "mpl"
    config.mkdir()
    _stale_cache(config)
    proc = _python(
        f"""
        import json, warnings
        from matplotlib import font_manager
        stale = not any("CJK" in f.name for f in font_manager.fontManager.ttflist)
        from shuangsuiji.report import cjk_font, write_report
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            page = write_report({str(draw)!r}, {str(tmp_path / "report")!r}).read_text(encoding="utf-8")
        print(json.dumps({{"stale": stale, "font": cjk_font(), "page": page,
                          "warnings": [str(w.message) for w in caught]}}))
        """,
        config,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["stale"], "the cache still lists a CJK font: the test would prove nothing"
    assert out["font"] in CJK_FAMILIES
    assert f"图表字体 Figure font: {out['font']}</p>" in out["page"] and "No CJK font was found" not in out["page"]
    assert "各层抽取数与保底数" not in out["page"]  # figure text is in the PNGs, not the page
    assert not [w for w in out["warnings"] if "missing from" in w], out["warnings"]
    assert not [w for w in proc.stderr.splitlines() if "missing from" in w]


def test_the_font_search_registers_only_for_the_process_and_the_cache_file_is_kept(tmp_path: Path) -> None:
    if not _system_cjk_files():
        pytest.skip("this machine has no CJK font file (install fonts-noto-cjk)")
    config = tmp_path / "mpl"
    config.mkdir()
    cache = _stale_cache(config)
    before = cache.read_bytes()
    proc = _python("from shuangsuiji.report import cjk_font; print(cjk_font())", config)
    assert proc.returncode == 0 and proc.stdout.strip() in CJK_FAMILIES, proc.stderr
    assert cache.read_bytes() == before


def _backend_kept(draw: Path, out: Path, config: Path, backend: str) -> dict[str, Any]:
    proc = _python(
        f"""
        import json, warnings
        import matplotlib
        matplotlib.use({backend!r})
        backend, before = matplotlib.get_backend(), dict(matplotlib.rcParams)
        import shuangsuiji.report
        from shuangsuiji.report import write_report, cjk_font
        write_report({str(draw)!r}, {str(out)!r})
        after = dict(matplotlib.rcParams)
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        import matplotlib.pyplot as plt
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            plt.figure()
            plt.plot([1, 2])
            plt.show()
        print(json.dumps({{"before": backend, "after": matplotlib.get_backend(), "changed": changed,
                          "warnings": [str(w.message) for w in caught], "font": cjk_font()}}))
        """,
        config,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
    result["stdout"] = proc.stdout
    return result


def test_the_report_leaves_a_notebooks_backend_and_rcparams_as_it_found_them(draw: Path, tmp_path: Path) -> None:
    """A notebook cell that imports the report, writes one and then calls ``plt.show()`` still gets its figure."""
    pytest.importorskip("matplotlib_inline")
    pytest.importorskip("IPython")
    result = _backend_kept(draw, tmp_path / "report", tmp_path, "module://matplotlib_inline.backend_inline")
    assert result["after"] == result["before"] == "module://matplotlib_inline.backend_inline"
    assert result["changed"] == []
    assert not [w for w in result["warnings"] if "non-interactive" in str(w)], result["warnings"]
    # outside a running IPython kernel, the inline backend's show displays the figure as its text
    assert "Figure(640x480)" in str(result["stdout"])


@pytest.mark.parametrize("backend", ["svg", "pdf"])
def test_the_report_leaves_another_backend_as_it_found_it(draw: Path, tmp_path: Path, backend: str) -> None:
    result = _backend_kept(draw, tmp_path / "report", tmp_path, backend)
    assert result["after"] == result["before"] == backend
    assert result["changed"] == []
    assert not [w for w in result["warnings"] if "non-interactive" in str(w) and "Agg" in str(w)]


def test_rcparams_and_backend_are_unchanged_in_this_process(draw: Path, tmp_path: Path) -> None:
    import matplotlib  # noqa: PLC0415 - the state under test

    def raw() -> dict[str, object]:  # as stored: reading "backend" through [] would choose one
        return {key: matplotlib.rcParams._get(key) for key in matplotlib.rcParams}

    before = raw()
    write_report(draw, tmp_path / "report")
    assert raw() == before  # not even an undecided backend ("auto") was decided
    snapshot, backend = dict(matplotlib.rcParams), matplotlib.get_backend()
    write_report(draw, tmp_path / "again")
    assert dict(matplotlib.rcParams) == snapshot and matplotlib.get_backend() == backend


def _header_cells(page: str) -> list[str]:
    return [
        " ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<th\b[^>]*>(.*?)</th>", page, re.S)
    ]


def test_the_page_has_chinese_headers_and_captions_and_no_snake_case_header(draw: Path, tmp_path: Path) -> None:
    page = write_report(draw, tmp_path / "report").read_text(encoding="utf-8")
    cells = _header_cells(page)
    assert cells, "no header cell"
    assert not [c for c in cells if SNAKE.match(c) or any(SNAKE.match(w) for w in c.split())]
    for column in ("task_id", "eligible", "sample", "floor_target", "floor_binding"):
        zh, en = HEADERS[column]
        assert f'{zh}<br><small lang="en">{en}</small>' in page, column
    assert re.search(r"[\u4e00-\u9fff]", cells[0])
    # every table and every figure is captioned in Chinese
    captions = re.findall(r"<caption>(.*?)</caption>", page, re.S)
    assert len(captions) == page.count("<table") and all(re.search(r"[\u4e00-\u9fff]{6}", c) for c in captions)
    figures = re.findall(r"<figcaption><p>(.*?)</p>", page, re.S)
    assert len(figures) == page.count("<figure") == 6
    assert all(re.search(r"[\u4e00-\u9fff]{6}", c) for c in figures)
    for term in ("保底数", "信用风险分类", "一次多查", "执法检查人员", "工作日", "排除原因"):
        assert term in page, term
    assert "是 yes" in page or "否 no" in page  # floor_binding as words, not True/False


def test_the_capacity_table_has_chinese_headers(draw: Path, tmp_path: Path) -> None:
    folder = tmp_path / "draw"
    folder.mkdir()
    for path in draw.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    columns = [*HEADERS_CAPACITY, "lower_bound"]
    row = ["410302", "市场监管局", "4", "2", "3", "2", "1", "", "6", "0", "short by 2", "1"]
    (folder / "capacity.csv").write_text(",".join(columns) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    page = write_report(folder, tmp_path / "report").read_text(encoding="utf-8")
    section = page[page.index('<section id="capacity">') :]
    assert "需增派 2 人，其中主检 1 人" in section and "add 2 people, 1 of them leads" in section
    cells = _header_cells(section)
    assert "增派人数 officers to add" in cells and not [c for c in cells if SNAKE.match(c)]


HEADERS_CAPACITY = (
    "region",
    "department",
    "teams",
    "unstaffed_teams",
    "officers",
    "add_officers",
    "add_leads",
    "certificates",
    "capacity_each",
    "cross_station_teams",
    "reason",
)


def test_without_a_cjk_font_the_page_says_so_in_both_languages(
    draw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shuangsuiji import report  # noqa: PLC0415

    monkeypatch.setattr(report, "cjk_font", lambda: None)
    page = write_report(draw, tmp_path / "report").read_text(encoding="utf-8")
    assert "未找到中文字体 No CJK font was found" in page and "图表字体" not in page


def test_the_year_page_has_chinese_headers(tmp_path: Path) -> None:
    import pandas as pd  # noqa: PLC0415

    from shuangsuiji.yearstatus import (  # noqa: PLC0415
        BATCH_STATUS_COLUMNS,
        PROGRESS_COLUMNS,
        TASK_STATUS_COLUMNS,
        YearStatus,
    )

    tasks = pd.DataFrame([["SC-GS", "市场监管局", 100, 5, 6, 6, 6, 4, 4, 0.06, 0.04, 0]], columns=TASK_STATUS_COLUMNS)
    batches = pd.DataFrame(
        [["B1", "2027-03-01..2027-06-30", 0.5, True, 6, 6, 6, 6, 4, 4]], columns=BATCH_STATUS_COLUMNS
    )
    year = cast(Any, SimpleNamespace(id="2027", target=0.05))  # the page reads the year's id and target only
    status = YearStatus(year, tasks, batches, pd.DataFrame(columns=PROGRESS_COLUMNS))
    page = write_year_report(status, tmp_path).read_text(encoding="utf-8")
    cells = _header_cells(page)
    assert "已抽取 drawn" in cells and "抽取占基数 drawn share" in cells and "6.0%" in page
    assert not [c for c in cells if SNAKE.match(c) or any(SNAKE.match(w) for w in c.split())]
    assert page.count("<caption>") == 2 and "年度抽查进度" in page
