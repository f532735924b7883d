#!/usr/bin/env python3
"""Set up the project and run it; needs nothing but python3.

    python3 run.py demo [ARGS]   # the main job on built-in example data (shuangsuiji demo ARGS)
    python3 run.py test [ARGS]   # ruff, mypy and the test suite (pytest ARGS)
    python3 run.py shell CMD...  # run CMD inside the project's virtual environment

The first run creates ``.venv`` at the repository root and installs the
package with every extra and the test tools at the versions pinned in ``constraints.txt``;
later runs reinstall only when ``pyproject.toml`` or ``constraints.txt`` change.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".shuangsuiji-installed"


def _fingerprint() -> str:
    h = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


def ensure_venv() -> None:
    """Create ``.venv`` and install the package if it is missing or stale."""
    key = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == key and PYTHON.exists():
        return
    if not PYTHON.exists():
        print("Creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("Installing shuangsuiji and its dependencies into .venv ...", flush=True)
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True, cwd=ROOT)
    subprocess.run([*pip, "-c", "constraints.txt", "-e", ".[all,test]"], check=True, cwd=ROOT)
    STAMP.write_text(key)


def _run(cmd: list[str]) -> int:
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, check=False).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "shell"):
        print(__doc__)
        return 2
    ensure_venv()
    what, rest = argv[0], argv[1:]
    if what == "demo":
        return _run([str(BIN / "shuangsuiji"), "demo", *rest])
    if what == "shell":
        return _run([str(BIN / rest[0]), *rest[1:]]) if rest else 2
    for step in (
        [str(PYTHON), "-m", "ruff", "check", "shuangsuiji", "tests", "benchmarks", "examples", "run.py"],
        [str(PYTHON), "-m", "mypy"],
        [str(PYTHON), "-m", "pytest", *rest],
    ):
        code = _run(step)
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
