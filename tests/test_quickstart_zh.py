"""The Chinese quick start (docs/zh/quickstart.md), followed word for word on a fresh clone, ends in a verified batch.

The page's shell blocks run in order, as one script, in a clone of this repository; its Python block runs
after them. The clone's ``.venv`` is this checkout's (a link: ``run.py`` finds it installed and set up for the
same ``pyproject.toml`` and ``constraints.txt``), so the test does not download the dependencies again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = Path("docs/zh/quickstart.md")


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def _clone(dest: Path) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout to clone")
    subprocess.run(["git", "clone", "-q", str(ROOT), str(dest)], check=True)
    (dest / ".venv").symlink_to(ROOT / ".venv", target_is_directory=True)
    return dest


def test_the_chinese_quick_start_runs_to_a_verified_batch(tmp_path: Path) -> None:
    clone = _clone(tmp_path / "clone")
    text = (clone / PAGE).read_text(encoding="utf-8")
    shell, python = _blocks(text, "sh"), _blocks(text, "python")
    assert len(shell) >= 6 and len(python) == 1
    env = {k: v for k, v in os.environ.items() if k != "SHUANGSUIJI_LANG"}
    script = "set -euo pipefail\n" + "\n".join(shell)
    run = subprocess.run(
        ["bash", "-c", script], cwd=clone, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    outcome = [line for line in run.stdout.splitlines() if line.startswith(("VERIFIED", "核验通过"))]
    assert len(outcome) == 2, run.stdout[-3000:]  # the bureau's folder, then the public one alone
    assert (clone / "演示" / "public" / "draw" / "manifest.json").is_file()
    assert (clone / "对外公示" / "verify.html").is_file() and not (clone / "对外公示" / "保密").exists()
    assert not list((clone / "对外公示").rglob("secret*"))
    code = "\n".join(python) + "\nassert len(result.selection) > 0\n"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=clone, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
