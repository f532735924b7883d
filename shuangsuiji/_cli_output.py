"""What the command line shows besides its messages: a progress bar, ``--quiet`` and ``--json`` (private).

Every command runs inside :func:`running`:

- on a terminal, the slow steps' progress (:mod:`shuangsuiji._progress`) is drawn as a bar on
  standard error with rich, and wiped when the command ends; nothing is drawn when standard
  error is not a terminal (a pipe, a log file, CI), with ``--quiet`` or with ``--json``;
- ``--quiet`` keeps standard output empty: only warnings and errors (standard error) and the
  exit status remain;
- ``--json`` replaces the human lines on standard output by one JSON object (docs/cli.md,
  "Output for scripts"): the command, its exit status, what it made (:func:`record`), its
  warnings and, when it failed, the error with every problem's file, row, column and value.

Text in the JSON object is in the language of messages; the keys are fixed English.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ._i18n import N_, _, language
from ._progress import progress_to

__all__ = ["Run", "check_fields", "dumps", "failed", "record", "records", "running", "terminal_table", "warned"]


@dataclass
class Run:
    """One command's run: what it asked for and what it recorded for ``--json``."""

    command: str
    quiet: bool = False
    json: bool = False
    fields: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None

    def document(self, status: int) -> dict[str, Any]:
        """The ``--json`` object of the run, ended with exit ``status``."""
        doc: dict[str, Any] = {"command": self.command, "status": status, "ok": status == 0}
        doc.update(self.fields)
        doc["warnings"] = list(self.warnings)
        if self.error is not None:
            doc["error"] = self.error
        return doc


_RUN: ContextVar[Run | None] = ContextVar("shuangsuiji_cli_run", default=None)


def record(**fields: Any) -> None:
    """Add ``fields`` to the ``--json`` object of the current run (nothing outside a run)."""
    run = _RUN.get()
    if run is not None:
        run.fields.update(fields)


def warned(text: str) -> None:
    """Keep a warning (already printed on standard error) for the ``--json`` object."""
    run = _RUN.get()
    if run is not None:
        run.warnings.append(text)


def failed(exc: BaseException, message: str) -> None:
    """Keep the error that ended the run: its kind, its message and, for a table, every problem."""
    run = _RUN.get()
    if run is None:
        return
    problems = [
        {"file": p.file, "row": p.row, "column": p.column, "value": p.value, "message": p.message}
        for p in getattr(exc, "problems", ())
    ]
    run.error = {"type": type(exc).__name__, "message": message, "problems": problems}


def records(frame: Any) -> list[dict[str, Any]]:
    """A table as a list of rows for JSON: numbers as numbers, missing values as ``null``."""
    loaded: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", force_ascii=False))
    return loaded


def check_fields(check: Any) -> dict[str, Any]:
    """One check of a verification for JSON: its name (fixed English), ``result`` and detail."""
    result = "ok" if check.ok else "skip" if check.skipped else "n/a" if check.withheld else "fail"
    return {"name": check.name, "result": result, "detail": check.detail}


#: The printed tables' headers, by column (the frames and the files keep the column names).
_LABELS = {
    "eligible": N_("eligible"),
    "excluded": N_("excluded"),
    "sample": N_("sample"),
    "floor_binding": N_("floor binding"),
    "task_id": N_("task_id"),
    "department": N_("department"),
    "base": N_("base"),
    "target": N_("target"),
    "due": N_("due"),
    "covered": N_("covered"),
    "count": N_("count"),
    "drawn": N_("drawn"),
    "staffed": N_("staffed"),
    "dated": N_("dated"),
    "done": N_("done"),
    "published": N_("published"),
    "drawn_share": N_("drawn_share"),
    "done_share": N_("done_share"),
    "remaining": N_("remaining"),
    "batch": N_("batch"),
    "window": N_("window"),
    "share_due": N_("share_due"),
    "in_ledger": N_("in_ledger"),
    "firms": N_("firms"),
}


def terminal_table(frame: Any) -> str:
    """A frame as printed: its headers in the language of messages (Chinese ones aligned as the terminal shows them)."""
    import pandas as pd  # noqa: PLC0415 - the command line loads pandas only once a command runs

    shown = frame.rename(columns={c: _(_LABELS[c]) for c in frame.columns if c in _LABELS})
    with pd.option_context("display.unicode.east_asian_width", language() == "zh"):
        text: str = shown.to_string(index=False)
    return text


def _plain(value: object) -> object:
    """What :func:`json.dumps` cannot write by itself: paths, numpy numbers, tables."""
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "to_json"):
        return records(value)
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def dumps(doc: dict[str, Any]) -> str:
    """The JSON object as printed: UTF-8 text (Chinese as itself), two-space indent, keys in order."""
    return json.dumps(doc, ensure_ascii=False, indent=2, default=_plain)


class _Bar:
    """A rich progress bar on standard error, started at the first stage and wiped at the end."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._progress: Any = None
        self._task: Any = None

    def stage(self, text: str, total: int | None) -> None:
        if self._progress is None:
            self._start()
        self._progress.reset(self._task, total=total, description=text)

    def advance(self, steps: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, steps)

    def _start(self) -> None:
        from rich.console import Console  # noqa: PLC0415 - rich loads only when a bar is drawn
        from rich.progress import (  # noqa: PLC0415
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        console = Console(file=self._stream)
        self._progress = Progress(
            *columns, TimeElapsedColumn(), console=console, transient=True, redirect_stdout=False, redirect_stderr=False
        )
        self._progress.start()
        self._task = self._progress.add_task("", total=None)

    def close(self) -> None:
        """Wipe the bar; a later stage draws a new one."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


class _WipesBar(io.TextIOBase):
    """Standard output that wipes the bar before the first line a command prints (the bar would garble it)."""

    def __init__(self, stream: TextIO, bar: _Bar) -> None:
        self._stream, self._bar = stream, bar

    def write(self, text: str) -> int:
        self._bar.close()
        return self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()

    def fileno(self) -> int:
        return self._stream.fileno()

    def isatty(self) -> bool:
        return self._stream.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]  # TextIOBase's is a plain attribute
        return self._stream.encoding


def _terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream: no bar
        return False


@contextlib.contextmanager
def running(command: str, *, quiet: bool = False, as_json: bool = False) -> Iterator[Run]:
    """Run a command inside: its progress drawn on a terminal, its output as ``--quiet``/``--json`` ask."""
    run = Run(command, quiet=quiet or as_json, json=as_json)
    bar = _Bar(sys.stderr) if not run.quiet and _terminal(sys.stderr) else None
    token = _RUN.set(run)
    shown: Any = io.StringIO() if run.quiet else _WipesBar(sys.stdout, bar) if bar is not None else None
    hidden = contextlib.redirect_stdout(shown) if shown is not None else contextlib.nullcontext()
    try:
        with hidden, progress_to(bar):
            yield run
    finally:
        if bar is not None:
            bar.close()
        _RUN.reset(token)
