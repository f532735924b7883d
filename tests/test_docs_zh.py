"""The Chinese pages (docs/zh/) say what their English pages say: linked both ways, the same examples."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(p.name for p in (DOCS / "zh").glob("*.md"))


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def _cjk_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return sum("\u4e00" <= ch <= "\u9fff" for ch in letters) / max(len(letters), 1)


def test_the_pages_the_issue_asks_for_are_in_chinese() -> None:
    assert {"quickstart.md", "howto-yearly-cycle.md", "plan.md"} <= set(PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_a_chinese_page_and_its_english_page_link_to_each_other(name: str) -> None:
    chinese = (DOCS / "zh" / name).read_text(encoding="utf-8")
    english = (DOCS / name).read_text(encoding="utf-8")
    assert f"[English](../{name})" in chinese
    assert f"[中文](zh/{name})" in english
    prose = re.sub(r"```.*?```|`[^`]*`", "", chinese, flags=re.S)
    assert _cjk_share(prose) > 0.5


@pytest.mark.parametrize("name", PAGES)
def test_a_chinese_pages_toml_examples_are_the_english_pages(name: str) -> None:
    chinese = _blocks((DOCS / "zh" / name).read_text(encoding="utf-8"), "toml")
    english = _blocks((DOCS / name).read_text(encoding="utf-8"), "toml")
    assert [_code(b) for b in chinese] == [_code(b) for b in english]
    for block in chinese:
        if "[[tasks]]" in block:  # a whole plan: it loads
            assert tomllib.loads(block)["tasks"]


def _code(block: str) -> list[str]:
    """A TOML block without its comments (the one thing a translation changes)."""
    return [line for line in block.splitlines() if not line.lstrip().startswith("#")]
