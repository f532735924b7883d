"""Record the SHA-256 of every file the reference runs write (run once, before a reorganisation).

    .venv/bin/python tests/recorded/record.py tests/recorded/outputs.json

The runs themselves live in ``tests/recorded/runs.py``; ``tests/test_reference_bytes.py`` repeats them
and compares every file against what this script recorded. The hashes in ``outputs.json`` were
recorded on commit ea4fa59 (before the workflow reorganisation of issue 10), so they are the old
code's output, not the new code's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.recorded.runs import RUNS


def main(out: str) -> None:
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    record: dict[str, object] = {"commit": head.stdout.strip()}
    for name, run in RUNS.items():
        with tempfile.TemporaryDirectory() as tmp:
            record[name] = run(Path(tmp))
            print(name, len(record[name]["files"]), "files")  # type: ignore[index]
    Path(out).write_text(json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
