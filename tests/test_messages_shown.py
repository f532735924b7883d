"""Text kept in fixed English, shown in Chinese (issue 15): check names, a draw's warnings, argparse's words.

A check's name and a draw's warning are stored as written in English (files and code compare them);
:func:`shuangsuiji._i18n.shown` finds the template they were made from and shows its translation
with the same values. argparse's usage line and errors go the same way.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from shuangsuiji._cli_parser import ARGPARSE_MESSAGES
from shuangsuiji._i18n import fixed, shown, using_language
from shuangsuiji.cli import main
from shuangsuiji.verify import verify_draw

from . import catalog
from .conftest import publish_staffed

#: Templates of stored English text (check names, warnings), as the library makes them.
STORED = (
    "input {role}",
    "output {name}",
    "recomputed {name}",
    "assignment input {role}",
    "assignment output {name}",
    "task {task} ticket",
    "task {task} outcome",
    "task {task} stratum",
    "leaf {leaf_index} readable",
    "hidden field {key} opened",
    "Task {task!r} has no eligible entity; nothing was drawn for it.",
    "Task {task!r} asks for at least {minimum} but only {eligible} are eligible; all {eligible} were drawn.",
    "{count} codes held full-width characters or blanks and were normalised (NFKC, blanks removed; "
    "first: row {first_row}); correct them in the register.",
)
VALUE = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", min_size=1, max_size=12)


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # argparse wraps its usage at the terminal's width


def _fields(template: str) -> list[str]:
    return sorted(set(re.findall(r"\{(\w+)", template)))


@given(st.sampled_from(STORED), st.data())
def test_stored_english_is_shown_as_its_template_translated_with_the_same_values(
    template: str, data: st.DataObject
) -> None:
    values = {name: data.draw(VALUE, label=name) for name in _fields(template)}
    text = template.format(**values)
    translated = fixed(template, "zh")
    assert translated != template  # the catalog translates the template
    with using_language("zh"):
        assert shown(text) == translated.format(**values)
    with using_language("en"):
        assert shown(text) == text


KNOWN = frozenset(catalog.translations())


@given(VALUE.filter(lambda t: t not in KNOWN))
def test_a_text_made_from_no_template_is_shown_as_it_is(text: str) -> None:
    with using_language("zh"):
        assert shown(text) == text


@pytest.fixture(scope="module")
def staffed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish_staffed(tmp_path_factory.mktemp("shown"), entities=300, seed=11)


def test_every_check_of_a_staffed_draw_is_named_in_chinese(staffed: Path) -> None:
    with using_language("zh"):
        result = verify_draw(staffed)
        lines = str(result).splitlines()
    assert result.ok and len(result.checks) > 30
    left = [c.name for c in result.checks if shown_in_zh(c.name) == c.name]
    assert left == []  # no check's name shows in English
    assert all(re.match(r"^\S+ +[^ -~]", line) for line in lines)  # after the mark, Chinese first
    assert {"manifest seal", "output selection.csv", "assignment optimality certificate"} <= {
        c.name for c in result.checks
    }  # the names themselves stay the identifiers code compares


def shown_in_zh(text: str) -> str:
    with using_language("zh"):
        return shown(text)


def test_argparse_speaks_chinese_too(capsys: pytest.CaptureFixture[str]) -> None:
    cases = {
        ("draw",): "缺少以下必需参数\uff1a--population, --plan, --out",
        ("verify", "x", "--bogus"): "无法识别的参数\uff1a--bogus",
        ("verify", "x", "--engine", "foo"): "参数 --engine\uff1a无效的选项 'foo'\uff08可选\uff1a'memory', 'dask'\uff09",
        ("prove", "x", "--uscc", "1", "--batch-rows", "z"): "参数 --batch-rows\uff1a无效的 int 值 'z'",
        ("verify", "x", "--engine"): "参数 --engine\uff1a需要一个值",
    }
    for argv, said in cases.items():
        with pytest.raises(SystemExit) as stop:
            main(["--lang", "zh", *argv])
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("用法\uff1ashuangsuiji ") and said in err, err
        assert "\uff1a错误\uff1a" in err and not re.search(r"usage|error|argument|required|invalid", err)
        with pytest.raises(SystemExit):
            main(["--lang", "en", *argv])
        english = capsys.readouterr().err
        assert english.startswith("usage: shuangsuiji ") and ": error: " in english
        # each English error is a template the catalog translates (argparse's words, as this Python has them)
        message = english.rstrip("\n").split(": error: ", 1)[1]
        assert any(_matches(t, message) for t in ARGPARSE_MESSAGES), message


def _matches(template: str, text: str) -> bool:
    """Whether ``text`` is ``template`` with each placeholder filled by some text."""
    pattern = ".+".join(re.escape(part) for part in re.split(r"\{\w+\}", template))
    return re.fullmatch(pattern, text) is not None


def test_chinese_translations_use_full_width_punctuation() -> None:
    """No ASCII comma, semicolon, colon or bracket beside a Chinese character (a list to type aside)."""
    beside = re.compile(r"[\u4e00-\u9fff][,;:()]|[,;:()][\u4e00-\u9fff]")
    wrong = []
    for po, part in catalog.catalogs().items():
        for entry in part:
            strings = (entry.string,) if isinstance(entry.string, str) else tuple(entry.string)
            for text in strings:
                if text and beside.search(text.replace("市场监管局,税务局", "")):
                    wrong.append(f"{po.name}: {text!r}")
    assert wrong == []
