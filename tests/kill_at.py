"""Run the CLI and die (``os._exit``, as SIGKILL would: no cleanup) at the N-th rename of a file.

``python -m tests.kill_at N ARGS...`` runs ``shuangsuiji ARGS...``; every :func:`os.replace` is a
moment a run may be killed between two writes, so killing before the N-th one, for every N, meets
every state a killed run can leave. Exits 0 if the run finished before the N-th rename, 137 if killed.
"""

from __future__ import annotations

import os
import sys

from shuangsuiji.cli import main as cli

KILLED = 137


def main() -> None:
    limit, args = int(sys.argv[1]), sys.argv[2:]
    calls = 0
    rename = os.replace

    def replace(src: str, dst: str) -> None:
        nonlocal calls
        calls += 1
        if calls >= limit:
            os._exit(KILLED)
        rename(src, dst)

    os.replace = replace  # type: ignore[assignment]
    status = cli(args)
    os._exit(3 if status else 0)


if __name__ == "__main__":
    main()
