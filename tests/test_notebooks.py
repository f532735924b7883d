"""The example notebooks run top to bottom on the small example city."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.ipynb")))
def test_notebook_runs(name: str) -> None:
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_there_are_six_notebooks() -> None:
    assert len(list(EXAMPLES.glob("*.ipynb"))) == 6


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.ipynb")))
def test_every_prose_cell_is_in_chinese_with_the_english_beside_it(name: str) -> None:
    prose = [c.source for c in nbformat.read(EXAMPLES / name, as_version=4).cells if c.cell_type == "markdown"]
    assert prose
    for text in prose:
        chinese, _, english = text.partition("\n\n---\n\n")
        assert english, text
        assert sum("\u4e00" <= ch <= "\u9fff" for ch in chinese) >= 4, chinese
        assert sum(ch.isascii() and ch.isalpha() for ch in english) > sum("\u4e00" <= ch <= "\u9fff" for ch in english)
