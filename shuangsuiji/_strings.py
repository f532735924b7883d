"""Fast access to the bytes of a column of text (private).

Columns of text are held as Arrow string arrays; their UTF-8 bytes sit in one
buffer beside an offsets buffer. When every value has the same byte length (as
18-character USCCs do) the buffer *is* an ``(n, width)`` matrix of bytes, which
lets the USCC check and the ticket hashing run on whole arrays at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from .exceptions import InternalError

__all__ = ["ByteColumn", "byte_column"]


class ByteColumn:
    """The UTF-8 bytes of a column of strings, with cheap per-row lengths.

    Parameters
    ----------
    array : pyarrow.LargeStringArray
        The strings, without nulls.
    """

    def __init__(self, array: pa.LargeStringArray | pa.LargeBinaryArray) -> None:
        if array.null_count:
            raise InternalError("a ByteColumn cannot hold nulls")
        self._n = len(array)
        buffers = array.buffers()
        offsets = np.frombuffer(buffers[1], dtype=np.int64)
        self.offsets: npt.NDArray[np.int64] = offsets[array.offset : array.offset + len(array) + 1]
        data = buffers[2]
        self.data: npt.NDArray[np.uint8] = (
            np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)
        )

    @classmethod
    def from_matrix(cls, matrix: npt.NDArray[np.uint8]) -> ByteColumn:
        """Rows of an ``(n, width)`` byte matrix as values (no copy when contiguous)."""
        n, width = matrix.shape
        offsets = pa.py_buffer(np.arange(0, (n + 1) * width, width, dtype=np.int64))
        data = pa.py_buffer(np.ascontiguousarray(matrix))
        return cls(pa.Array.from_buffers(pa.large_binary(), n, [None, offsets, data]))

    def __len__(self) -> int:
        return self._n

    @property
    def lengths(self) -> npt.NDArray[np.int64]:
        """Byte length of every value."""
        return np.diff(self.offsets)

    def uniform_width(self) -> int | None:
        """The common byte length of all values, or ``None`` if they differ (computed once)."""
        if not hasattr(self, "_width"):
            lengths = self.lengths
            width = int(lengths[0]) if len(lengths) else None
            self._width = width if width is not None and bool((lengths == width).all()) else None
        return self._width

    def matrix(self, start: int = 0, stop: int | None = None) -> npt.NDArray[np.uint8]:
        """Rows ``start:stop`` as an ``(n, width)`` byte matrix (a view, no copy).

        Only valid when :meth:`uniform_width` is not ``None``.
        """
        width = self.uniform_width()
        if width is None:
            raise InternalError("values differ in length; no byte matrix")
        stop = len(self) if stop is None else stop
        first = int(self.offsets[start])
        return self.data[first : first + (stop - start) * width].reshape(stop - start, width)

    def to_bytes(self, start: int = 0, stop: int | None = None) -> list[bytes]:
        """Rows ``start:stop`` as a list of ``bytes``."""
        stop = len(self) if stop is None else stop
        offs = self.offsets[start : stop + 1].tolist()
        buf = self.data.data
        return [bytes(buf[a:b]) for a, b in pairwise(offs)]

    def take_bytes(self, rows: npt.NDArray[np.intp]) -> list[bytes]:
        """The given rows as a list of ``bytes``."""
        buf = self.data.data
        offs = self.offsets
        return [bytes(buf[offs[i] : offs[i + 1]]) for i in rows.tolist()]


def byte_column(values: pd.Series | pa.Array | pa.ChunkedArray | Iterable[str] | Iterable[bytes]) -> ByteColumn:
    """Wrap a column of strings for byte-level access.

    Parameters
    ----------
    values : pandas.Series, pyarrow.Array or iterable of str or bytes
        Strings (or binary values) without missing values.

    Returns
    -------
    ByteColumn

    Examples
    --------
    >>> col = byte_column(["ab", "cd"])
    >>> col.matrix().tolist()
    [[97, 98], [99, 100]]
    """
    if isinstance(values, pd.Series):
        array = pa.array(values.astype(object) if values.dtype == object else values, type=pa.large_string())
    elif isinstance(values, (pa.Array, pa.ChunkedArray)):
        binary = pa.types.is_binary(values.type) or pa.types.is_large_binary(values.type)
        array = values.cast(pa.large_binary() if binary else pa.large_string())
    else:
        items = list(values)
        binary = bool(items) and isinstance(items[0], bytes)
        array = pa.array(items, type=pa.large_binary() if binary else pa.large_string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return ByteColumn(array)
