"""Incremental BLOB I/O, as :class:`sqlite3.Blob` (``Connection.blobopen``).

A blob is a file-like view of one BLOB value: ``read`` / ``write`` / ``seek`` / ``tell``,
indexing and slicing (``blob[0]``, ``blob[2:5] = b"abc"``), ``len``, and a context manager that
closes it.  Its size is fixed (``write`` past the end raises ValueError, as in sqlite3).  Reads
see the pages of the connection's current transaction; writes go into the transaction (outside
one, each write is its own commit: one round trip).
"""

from __future__ import annotations

import operator
import os
import sys
from typing import TYPE_CHECKING, Any, Literal, overload

import apsw

from .errors import ProgrammingError, translate

if TYPE_CHECKING:
    from .connection import Connection


class Blob:
    """An open BLOB (see the module docstring); from :meth:`Connection.blobopen`."""

    _connection: Connection
    _handle: Any
    _length: int

    def __new__(cls, *args: Any, **kwargs: Any) -> Blob:
        raise TypeError(f"cannot create '{cls.__module__}.{cls.__qualname__}' instances")

    @classmethod
    def _opened(cls, connection: Connection, handle: Any) -> Blob:
        blob = object.__new__(cls)
        blob._connection = connection
        blob._handle = handle
        blob._length = int(handle.length())
        return blob

    def _check(self) -> Any:
        self._connection._check()
        if self._handle is None:
            raise ProgrammingError("Cannot operate on a closed blob.")
        return self._handle

    def _close_quietly(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            try:
                handle.close(True)
            except apsw.Error:
                pass

    def close(self) -> None:
        """Close the blob; using it afterwards raises ProgrammingError."""
        self._connection._check()
        self._close_quietly()

    def __len__(self) -> int:
        self._check()
        return self._length

    def tell(self) -> int:
        """The current position."""
        return int(self._check().tell())

    def seek(self, offset: int, origin: int = os.SEEK_SET, /) -> None:
        """Move to ``offset`` from the start (SEEK_SET), the position (SEEK_CUR) or the end
        (SEEK_END); a position outside the blob raises ValueError."""
        handle = self._check()
        if origin == os.SEEK_SET:
            base = 0
        elif origin == os.SEEK_CUR:
            base = int(handle.tell())
        elif origin == os.SEEK_END:
            base = self._length
        else:
            raise ValueError("'origin' should be os.SEEK_SET, os.SEEK_CUR, or os.SEEK_END")
        pos = base + offset
        if pos > (1 << 31) - 1 or pos < -(1 << 31):
            raise OverflowError("seek offset results in overflow")
        if not 0 <= pos <= self._length:
            raise ValueError("offset out of blob range")
        handle.seek(pos)

    def read(self, length: int = -1, /) -> bytes:
        """Up to ``length`` bytes from the position (all the rest when negative)."""
        handle = self._check()
        left = self._length - int(handle.tell())
        n = left if length < 0 or length > left else length
        try:
            return bytes(handle.read(n)) if n else b""
        except apsw.Error as e:
            raise translate(e) from e

    def write(self, data: Any, /) -> None:
        """Write ``data`` at the position (it must fit: the blob's size is fixed)."""
        handle = self._check()
        buffer = bytes(memoryview(data))
        if len(buffer) > self._length - int(handle.tell()):
            raise ValueError("data longer than blob length")
        try:
            handle.write(buffer)
        except apsw.Error as e:
            raise translate(e) from e

    def _read_at(self, start: int, size: int) -> bytes:
        handle = self._check()
        pos = handle.tell()
        try:
            handle.seek(start)
            return bytes(handle.read(size))
        except apsw.Error as e:
            raise translate(e) from e
        finally:
            handle.seek(pos)

    def _write_at(self, start: int, data: bytes) -> None:
        handle = self._check()
        pos = handle.tell()
        try:
            handle.seek(start)
            handle.write(data)
        except apsw.Error as e:
            raise translate(e) from e
        finally:
            handle.seek(pos)

    def _index(self, key: Any) -> int:
        try:
            i = operator.index(key)
        except TypeError:
            raise TypeError("Blob indices must be integers") from None
        if not -sys.maxsize - 1 <= i <= sys.maxsize:
            raise IndexError(f"cannot fit '{type(key).__name__}' into an index-sized integer")
        if i < 0:
            i += self._length
        if not 0 <= i < self._length:
            raise IndexError("Blob index out of range")
        return int(i)

    @overload
    def __getitem__(self, key: int) -> int: ...
    @overload
    def __getitem__(self, key: slice) -> bytes: ...

    def __getitem__(self, key: int | slice) -> int | bytes:
        self._check()
        if isinstance(key, slice):
            start, stop, step = key.indices(self._length)
            if step == 1:
                return self._read_at(start, max(0, stop - start))
            whole = self._read_at(0, self._length)
            return whole[start:stop:step]
        return self._read_at(self._index(key), 1)[0]

    def __setitem__(self, key: int | slice, value: Any) -> None:
        self._check()
        if isinstance(key, slice):
            start, stop, step = key.indices(self._length)
            try:
                view = memoryview(value)
            except TypeError:
                raise TypeError(f"a bytes-like object is required, not "
                                f"'{type(value).__name__}'") from None
            if not view.c_contiguous:
                raise BufferError("underlying buffer is not C-contiguous")
            data = view.tobytes()
            count = len(range(start, stop, step))
            if len(data) != count:
                raise IndexError("Blob slice assignment is wrong size")
            if count == 0:
                return
            if step == 1:
                self._write_at(start, data)
                return
            whole = bytearray(self._read_at(0, self._length))
            whole[start:stop:step] = data
            self._write_at(0, bytes(whole))
            return
        i = self._index(key)
        value = operator.index(value)  # "'bytes' object cannot be interpreted as an integer"
        if not 0 <= value <= 255:
            raise ValueError("byte must be in range(0, 256)")
        self._write_at(i, bytes((value,)))

    def __contains__(self, item: object) -> bool:
        raise TypeError("argument of type 'Blob' is not iterable")

    # not a sequence: no iteration, no ``in``
    __iter__ = None  # type: ignore[assignment]

    def __delitem__(self, key: Any) -> None:
        raise TypeError("Blob doesn't support item deletion")

    def __enter__(self) -> Blob:
        self._check()
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        self._check()
        self.close()
        return False


__all__ = ["Blob"]
