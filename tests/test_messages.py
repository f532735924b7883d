"""Messages in two languages from one source: every message translated, placeholders kept, catalogs compiled.

The messages are those Babel extracts from the package (``tests/catalog.py``); the Chinese is in
``shuangsuiji/locale/zh_CN/LC_MESSAGES/*.po``, shipped compiled as ``.mo``.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from shuangsuiji._i18n import _, detect_language, fixed, language, placeholders, set_language, using_language
from shuangsuiji.cli import main
from shuangsuiji.exceptions import PopulationError, Problem

from . import catalog
from .conftest import example_inputs

ROOT = Path(__file__).resolve().parents[1]


def test_every_message_the_package_can_show_has_a_chinese_translation() -> None:
    gaps = [f"{m.text!r} ({m.places[0]})" for m in catalog.missing()]
    assert gaps == [], "untranslated (python3 run.py shell python -m tests.catalog --missing PART):\n" + "\n".join(gaps)


def test_no_translation_drops_or_adds_a_placeholder() -> None:
    wrong = []
    for po, part in catalog.catalogs().items():
        for entry in part:
            ids = (entry.id,) if isinstance(entry.id, str) else tuple(entry.id)
            strings = (entry.string,) if isinstance(entry.string, str) else tuple(entry.string)
            for text in strings:
                if text and placeholders(text) != placeholders(ids[0]):
                    wrong.append(f"{po.name}: {ids[0]!r} -> {text!r}")
    assert wrong == []


def test_every_shipped_catalog_is_compiled_from_its_po_and_none_is_stale() -> None:
    parts = catalog.catalogs()
    assert parts, "no catalog"
    for po, part in parts.items():
        mo = po.with_suffix(".mo")
        assert mo.is_file() and mo.read_bytes() == catalog.compiled(part), (
            f"{mo} is out of date: python -m tests.catalog"
        )
    assert sorted(p.stem for p in catalog.FOLDER.glob("*.mo")) == sorted(p.stem for p in parts)
    used = set(catalog.extract())
    stale = [
        e.id
        for part in parts.values()
        for e in part
        if e.id and (e.id if isinstance(e.id, str) else e.id[0]) not in used
    ]
    assert stale == [], "translations of messages the source no longer has"


def _calls(tree: ast.AST) -> list[ast.Call]:
    names = {"_", "N_", "ngettext", "fixed"}
    return [
        n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names
    ]


def test_every_message_is_a_literal_babel_can_find() -> None:
    """``_(f"...")`` or ``_(text)`` would be shown untranslated: only literals (or a translated kind) go in."""
    found = []
    for path in sorted(catalog.PACKAGE.rglob("*.py")):
        for call in _calls(ast.parse(path.read_text(encoding="utf-8"))):
            first = call.args[0] if call.args else None
            if isinstance(first, ast.JoinedStr):
                found.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert found == []


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "zh_TW.Big5"}, "zh"),
        ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "C"}, "zh"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LANGUAGE": "zh_CN:en", "LANG": "C"}, "zh"),
        ({"SHUANGSUIJI_LANG": "zh", "LANG": "C"}, "zh"),
        ({"SHUANGSUIJI_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": ""}, "en"),
        ({}, "en"),
    ],
)
def test_the_language_follows_the_environment(environ: dict[str, str], expected: str) -> None:
    assert detect_language(environ) == expected


def test_set_language_wins_and_is_checked() -> None:
    try:
        set_language("zh")
        assert language() == "zh" and _("error: ") == "错误："
        set_language(None)
        assert language() == "en" and _("error: ") == "error: "
        set_language("fr")
        assert language() == "en"
    finally:
        set_language(None)


KNOWN = frozenset(catalog.translations())


@given(st.text(min_size=1, max_size=30).filter(lambda t: t not in KNOWN))
def test_a_text_no_catalog_knows_is_shown_as_written(text: str) -> None:
    with using_language("zh"):
        assert _(text) == text
    assert fixed(text, "en") == text
    assert fixed("error: ", "zh") == "错误\uff1a" and fixed("error: ", "en") == "error: "


def test_a_problem_names_file_row_column_and_value_in_chinese() -> None:
    problem = Problem("pop.csv", 7, "credit_class", "Z", "not a credit class")
    with using_language("zh"):
        shown = str(PopulationError([problem]))
    assert shown.splitlines()[0] == "检查对象名录库 'pop.csv' 中有 1 个问题："
    assert "pop.csv，第 7 行，列“credit_class”，值 'Z'：" in shown
    assert (
        str(PopulationError([problem])).splitlines()[1]
        == "  - pop.csv, row 7, column 'credit_class', value 'Z': not a credit class"
    )


def _bad_population(tmp: Path) -> Path:
    assert main(["example", "--out", str(tmp / "in"), "--entities", "60", "--seed", "2"]) == 0
    path = tmp / "in" / "population.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[3].split(",")
    cells[header.index("credit_class")] = "Z"
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_chinese_locale_prints_the_draws_errors_in_chinese(tmp_path: Path) -> None:
    population = _bad_population(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in {"SHUANGSUIJI_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES"}}
    args = [sys.executable, "-m", "shuangsuiji", "draw", *example_inputs(tmp_path), "--seed", "ab" * 32]

    def draw(lang: str, out: str) -> subprocess.CompletedProcess[str]:
        command = [*args, "--out", str(tmp_path / out)]
        return subprocess.run(command, env={**env, "LANG": lang}, capture_output=True, text=True, check=False)

    run = draw("zh_CN.UTF-8", "d")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.startswith("错误：检查对象名录库"), run.stderr
    assert f"{population}，第 4 行，列“credit_class”，值 'Z'" in run.stderr
    english = draw("C.UTF-8", "e")
    assert english.returncode == 2 and english.stderr.startswith("error: ")
    assert "row 4, column 'credit_class'" in english.stderr


def _folder(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_the_published_folder_does_not_depend_on_the_language(tmp_path: Path) -> None:
    assert main(["example", "--out", str(tmp_path / "in"), "--entities", "120", "--seed", "4"]) == 0
    draw = [*example_inputs(tmp_path), "--seed", "cd" * 32]
    try:
        assert main(["--lang", "zh", "draw", *draw, "--out", str(tmp_path / "zh")]) == 0
        assert main(["--lang", "zh", "notices", str(tmp_path / "zh"), "--out", str(tmp_path / "zh-notices")]) == 0
    finally:
        set_language(None)
    assert main(["--lang", "en", "draw", *draw, "--out", str(tmp_path / "en")]) == 0
    assert main(["notices", str(tmp_path / "en"), "--out", str(tmp_path / "en-notices")]) == 0
    zh, en = _folder(tmp_path / "zh"), _folder(tmp_path / "en")
    assert len(zh) > 5 and zh == en
    assert _folder(tmp_path / "zh-notices") == _folder(tmp_path / "en-notices")


def test_the_lang_option_translates_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        with pytest.raises(SystemExit) as done:
            main(["--lang", "zh", "--help"])
    finally:
        set_language(None)
    assert done.value.code == 0
    assert "可核验的“双随机、一公开”随机抽查" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--lang", "fr", "draw"])
    assert "invalid choice: 'fr'" in capsys.readouterr().err


def test_no_message_is_translated_in_two_parts() -> None:
    """One message, one translation: the parts are chained, so a second one would be dead or win by file name."""
    parts: dict[str, list[str]] = {}
    for po, part in catalog.catalogs().items():
        for entry in part:
            if entry.id:
                parts.setdefault(entry.id if isinstance(entry.id, str) else entry.id[0], []).append(po.stem)
    assert {text: where for text, where in parts.items() if len(where) > 1} == {}
