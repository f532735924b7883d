"""How far a slow step has gone, told to whoever listens.

Public as :class:`shuangsuiji.workflow.ProgressListener` and :func:`shuangsuiji.workflow.progress_to`
(a notebook's own progress bar, a service's status page).

The workflow and the steps under it (reading the inputs, drawing each task, solving each
group, each check of a verification, each figure of the report) call :func:`stage` when a
part begins and :func:`advance` as it goes. Nobody listens unless a caller installs a
:class:`ProgressListener` with :func:`progress_to` (the command line does, to draw a progress bar on
a terminal): without one both are no-ops, so a library call prints nothing.

The listener lives in a :class:`contextvars.ContextVar`, so a listener installed in one
thread (or one notebook cell's task) is not told about another's work; a worker thread of
the Dask engine, which runs in a context of its own, tells nobody.

Examples
--------
>>> seen = []
>>> class Notes:
...     def stage(self, text, total):
...         seen.append((text, total))
...     def advance(self, steps):
...         seen.append(steps)
>>> with progress_to(Notes()):
...     for task in tracked(["A", "B"], "drawing"):
...         pass
>>> seen
[('drawing', 2), 1, 1]
>>> stage("nobody hears this")  # no listener: nothing happens
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol, TypeVar

__all__ = ["ProgressListener", "advance", "heard", "progress_to", "stage", "tracked"]

_T = TypeVar("_T")


class ProgressListener(Protocol):
    """What hears the progress: a part begins (with its size, if known) and moves on."""

    def stage(self, text: str, total: int | None) -> None:
        """A part named ``text`` begins; ``total`` steps are expected (``None``: not known)."""

    def advance(self, steps: int) -> None:
        """``steps`` more steps of the current part are done."""


_LISTENER: ContextVar[ProgressListener | None] = ContextVar("shuangsuiji_progress", default=None)


def heard() -> bool:
    """Whether anyone listens (to skip making a stage's text for nobody)."""
    return _LISTENER.get() is not None


def stage(text: str, total: int | None = None) -> None:
    """Tell the listener, if any, that a part named ``text`` begins (``total`` steps if known)."""
    listener = _LISTENER.get()
    if listener is not None:
        listener.stage(text, total)


def advance(steps: int = 1) -> None:
    """Tell the listener, if any, that ``steps`` more steps are done."""
    listener = _LISTENER.get()
    if listener is not None:
        listener.advance(steps)


def tracked(items: Iterable[_T], text: str) -> Iterator[_T]:
    """Yield ``items``, telling the listener a part ``text`` began and advancing after each item."""
    stage(text, len(items) if isinstance(items, Sized) else None)
    for item in items:
        yield item
        advance()


@contextmanager
def progress_to(listener: ProgressListener | None) -> Iterator[None]:
    """Tell ``listener`` of the progress made inside the block (``None``: tell nobody)."""
    token = _LISTENER.set(listener)
    try:
        yield
    finally:
        _LISTENER.reset(token)
