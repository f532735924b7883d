"""SHA-256 of many short messages ``prefix + code``, on all cores (private).

Python's hashlib holds the GIL for short messages, so threads do not help. On
systems with ``fork``, a :class:`HashJob` forks worker processes that take
chunks of rows from a work queue (a pipe filled with chunk numbers before the
fork) and write digests into one shared anonymous memory map. The caller may
do other work meanwhile (the draw validates the population) and then joins
the queue itself in :meth:`HashJob.result`. Each row's digest is computed by
exactly one process from the same bytes, so the result never depends on the
number of workers or on timing.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import multiprocessing
import os
import signal
import struct
import sys
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from ._i18n import _
from ._strings import ByteColumn
from .exceptions import InternalError

__all__ = ["CHUNK", "PARALLEL_MIN", "HashJob", "default_workers", "digest_rows", "forked_map"]

#: Rows hashed per chunk (bounds the Python objects alive at once).
CHUNK = 1 << 16
#: Fewer rows than this are hashed in the calling process.
PARALLEL_MIN = 100_000
_MAX_CHUNKS = 8192  # chunk numbers are 4 bytes; 8192 of them fit any pipe buffer (64 KiB on Linux)
_Item = TypeVar("_Item")
_Result = TypeVar("_Result")
#: The function of the :func:`forked_map` under way, inherited by its forked workers.
_TASK: Callable[[Any], Any] | None = None


def default_workers() -> int:
    """Processes to use by default: the CPUs this process may run on (at most 8)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


def _run_inherited(item: Any) -> Any:
    if _TASK is None:  # pragma: no cover - set before the pool forks
        raise InternalError(_("no task in this worker"))
    return _TASK(item)


def forked_map(
    task: Callable[[_Item], _Result], items: Sequence[_Item], *, workers: int, size: Callable[[_Item], int]
) -> list[_Result]:
    """``[task(item) for item in items]``, in forked worker processes when there are several.

    ``task`` and everything it refers to are inherited by the workers (not pickled); the items go to
    them pickled, the largest (by ``size``) first so that the workers stay busy to the end, and the
    results come back in the items' order, so they never depend on the number of workers.
    """
    global _TASK  # noqa: PLW0603 - handed to forked workers by inheritance
    if workers <= 1 or len(items) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [task(item) for item in items]
    _TASK = task
    try:
        order = sorted(range(len(items)), key=lambda i: -size(items[i]))
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            done = dict(zip(order, pool.map(_run_inherited, [items[i] for i in order]), strict=True))
        return [done[i] for i in range(len(items))]
    finally:
        _TASK = None


def _messages(prefix: bytes, col: ByteColumn, rows: npt.NDArray[np.intp] | slice) -> list[bytes]:
    width = col.uniform_width()
    if width:
        body = col.matrix()[rows]
        if not (body[:, -1] == 0).any():
            msg = np.empty((len(body), len(prefix) + width), dtype=np.uint8)
            msg[:, : len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
            msg[:, len(prefix) :] = body
            # One bytes object per row; a fixed-width view drops trailing NULs, and there are none.
            return msg.view(f"S{len(prefix) + width}").ravel().tolist()  # type: ignore[no-any-return,unused-ignore]
    if isinstance(rows, slice):
        rows = np.arange(len(col), dtype=np.intp)[rows]
    return [prefix + b for b in col.take_bytes(rows)]


class HashJob:
    """Digests of ``prefix + value`` for rows of a column, computed in the background.

    Parameters
    ----------
    prefix : bytes
        Bytes before each value (``seed:scope:``).
    col : ByteColumn
        The values.
    rows : numpy.ndarray, optional
        Which rows, in output order; all by default.
    workers : int, optional
        Background processes to fork (0 computes everything in
        :meth:`result`); default :func:`default_workers`.
    """

    def __init__(
        self, prefix: bytes, col: ByteColumn, rows: npt.NDArray[np.intp] | None = None, *, workers: int | None = None
    ) -> None:
        self._prefix, self._col = prefix, col
        self._rows = None if rows is None else np.asarray(rows, dtype=np.intp)
        self.n = len(col) if self._rows is None else len(self._rows)
        self._chunk = max(CHUNK, -(-self.n // _MAX_CHUNKS))
        chunks = -(-self.n // self._chunk)
        self._children: list[int] = []
        workers = default_workers() if workers is None else max(0, workers)
        if workers == 0 or self.n < PARALLEL_MIN or not hasattr(os, "fork"):
            self._out = np.empty((self.n, 32), dtype=np.uint8)
            self.keys = np.empty(self.n, dtype=np.uint64)
            self._queue = None
            self._pending = list(range(chunks))
            return
        self._shared = mmap.mmap(-1, self.n * 40)  # anonymous and shared with forked children
        self._out = np.frombuffer(self._shared, dtype=np.uint8, count=self.n * 32).reshape(self.n, 32)
        self.keys = np.frombuffer(self._shared, dtype=np.uint64, count=self.n, offset=self.n * 32)
        read_end, write_end = os.pipe()
        os.write(write_end, struct.pack(f"<{chunks}i", *range(chunks)))
        os.close(write_end)  # closed before forking: an empty queue reads as end of file everywhere
        self._queue = read_end
        self._pending = []
        for _worker in range(workers):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child, which coverage does not follow
                code = 0
                try:
                    self._drain()
                except BaseException:
                    traceback.print_exc(file=sys.stderr)
                    code = 1
                finally:
                    os._exit(code)
            self._children.append(pid)

    def _hash_chunk(self, i: int) -> None:
        a, b = i * self._chunk, min(self.n, (i + 1) * self._chunk)
        rows = slice(a, b) if self._rows is None else self._rows[a:b]
        sha = hashlib.sha256
        digests = np.frombuffer(
            b"".join([sha(m).digest() for m in _messages(self._prefix, self._col, rows)]), dtype=np.uint8
        ).reshape(-1, 32)
        self._out[a:b] = digests
        # The leading 8 bytes as a big-endian integer order rows as their whole digests do (but for ties).
        self.keys[a:b] = np.ascontiguousarray(digests[:, :8]).view(">u8").ravel()

    def _drain(self) -> None:
        if self._queue is None:
            for i in self._pending:
                self._hash_chunk(i)
            return
        while True:
            item = os.read(self._queue, 4)
            if not item:
                return
            self._hash_chunk(struct.unpack("<i", item)[0])

    def result(self) -> npt.NDArray[np.uint8]:
        """Help with the remaining chunks, wait for the workers, and return the ``(n, 32)`` digests.

        Afterwards :attr:`keys` holds each digest's leading 8 bytes as a big-endian ``uint64``.

        Raises
        ------
        InternalError
            If a worker process failed.
        """
        try:
            self._drain()
        finally:
            failed = [pid for pid in self._children if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) != 0]
            self._children = []
            if self._queue is not None:
                os.close(self._queue)
                self._queue = None
        if failed:
            said = _("{n} hashing worker process(es) failed; see the messages above")
            raise InternalError(said.format(n=len(failed)))

        return self._out

    def cancel(self) -> None:
        """Stop the workers (when the caller gave up, say on invalid input)."""
        for pid in self._children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        self._children = []
        if self._queue is not None:
            os.close(self._queue)
            self._queue = None


def digest_rows(
    prefix: bytes, col: ByteColumn, rows: npt.NDArray[np.intp] | None = None, *, workers: int | None = None
) -> npt.NDArray[np.uint8]:
    """SHA-256 of ``prefix + value`` for the given rows of ``col``, as an ``(n, 32)`` matrix.

    ``workers`` counts all processes, this one included (default: the CPUs,
    at most 8). Any count gives the same result.
    """
    total = default_workers() if workers is None else max(1, workers)
    return HashJob(prefix, col, rows, workers=total - 1).result()
