"""User callbacks (functions, aggregates, window functions, collations, authorizer, progress
handler, trace callback) wrapped to behave as in :mod:`sqlite3`.

apsw hands a callback's exception to the caller as it is; sqlite3 turns it into
``OperationalError("user-defined function raised exception")`` (or the aggregate's variant),
reports it to :data:`sys.unraisablehook` when :func:`enable_callback_tracebacks` is on, and
treats an exception in an authorizer as ``SQLITE_DENY``, in a collation as "equal", in a
progress handler as "interrupt".  The wrappers here do that; :class:`CallbackError` carries the
sqlite3 message to the cursor, which raises the OperationalError.
"""

from __future__ import annotations

import sqlite3
import sys
import traceback
import types
from collections.abc import Callable
from typing import Any

import apsw

_tracebacks = [False]
_INT64 = (-(1 << 63), (1 << 63) - 1)


def enable_callback_tracebacks(flag: bool, /) -> None:
    """Report exceptions raised in user callbacks to :data:`sys.unraisablehook` (as sqlite3)."""
    _tracebacks[0] = bool(flag)


def report(exc: BaseException, obj: Any) -> None:
    """Give a callback's exception to :data:`sys.unraisablehook` if tracebacks are enabled."""
    if not _tracebacks[0]:
        return
    hook = sys.unraisablehook
    if hook is sys.__unraisablehook__:
        print(f"Exception ignored in: {obj!r}", file=sys.stderr)
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        return
    hook(types.SimpleNamespace(exc_type=type(exc), exc_value=exc,  # type: ignore[arg-type]
                               exc_traceback=exc.__traceback__, err_msg=None, object=obj))


class CallbackError(Exception):
    """A user callback failed; the message is sqlite3's, ``error_class`` what the cursor raises
    (OperationalError; DataError for an OverflowError, as SQLite's "too big"; MemoryError)."""

    def __init__(self, message: str, error_class: type[BaseException] = sqlite3.OperationalError):
        super().__init__(message)
        self.error_class = error_class


def _failure(e: BaseException, message: str) -> CallbackError:
    """The CallbackError for exception ``e`` raised by (or returned from) a callback."""
    if isinstance(e, MemoryError):
        return CallbackError(str(e) or "out of memory", MemoryError)
    if isinstance(e, OverflowError):
        return CallbackError("string or blob too big", sqlite3.DataError)
    return CallbackError(message)


def _check_result(value: Any) -> Any:
    """A callback's result as SQLite can take it, or raise (as sqlite3's ``_pysqlite_set_result``)."""
    t = type(value)
    if value is None or t is float or t is bytes:
        return value
    if t is str:
        if not value.isascii():
            value.encode()  # UnicodeEncodeError for lone surrogates, as sqlite3
        return value
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (bytearray, memoryview)):
        view = memoryview(value)
        if not view.c_contiguous:
            raise BufferError("underlying buffer is not C-contiguous")
        return view.tobytes()
    raise TypeError(f"unsupported result type {t.__name__}")


def scalar(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` as an apsw scalar function with sqlite3's error behaviour."""

    def call(*args: Any) -> Any:
        try:
            return _check_result(func(*args))
        except BaseException as e:
            report(e, func)
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            raise _failure(e, "user-defined function raised exception") from e

    return call


def _agg_error(method: str, e: BaseException, cls: Any, missing: bool = False) -> CallbackError:
    report(e, cls)
    if missing:
        return CallbackError(f"user-defined aggregate's '{method}' method not defined")
    return _failure(e, f"user-defined aggregate's '{method}' method raised error")


class _Aggregate:
    """One aggregate (or window function) run: the user's class instantiated on the first row,
    as sqlite3 does (an aggregate over no rows is NULL, its ``finalize`` never called)."""

    __slots__ = ("cls", "inst", "failed", "window")

    def __init__(self, cls: Any, window: bool = False):
        self.cls = cls
        self.inst: Any = None
        self.failed = False
        self.window = window

    def _instance(self) -> Any:
        if self.inst is None:
            try:
                self.inst = self.cls()
            except BaseException as e:
                self.failed = True
                raise _agg_error("__init__", e, self.cls) from e
        return self.inst

    def _method(self, name: str) -> Any:
        inst = self._instance()
        try:
            return getattr(inst, name)
        except AttributeError as e:
            raise _agg_error(name, e, self.cls, missing=True) from e

    def step(self, *args: Any) -> None:
        method = self._method("step")
        try:
            method(*args)
        except BaseException as e:
            raise _agg_error("step", e, self.cls) from e

    def inverse(self, *args: Any) -> None:
        method = self._method("inverse")
        try:
            method(*args)
        except BaseException as e:
            raise _agg_error("inverse", e, self.cls) from e

    def value(self) -> Any:
        method = self._method("value")
        try:
            return _check_result(method())
        except BaseException as e:
            raise _agg_error("value", e, self.cls) from e

    def final(self) -> Any:
        if self.inst is None:
            if self.failed:
                raise CallbackError("user-defined aggregate's '__init__' method raised error")
            return None
        if self.window:  # SQLite does not report a window function's finalize errors
            try:
                return _check_result(self.inst.finalize())
            except BaseException as e:
                report(e, self.cls)
                if isinstance(e, (KeyboardInterrupt, SystemExit)):
                    raise
                return None
        method = self._method("finalize")
        try:
            return _check_result(method())
        except BaseException as e:
            raise _agg_error("finalize", e, self.cls) from e


def aggregate(cls: Any) -> Callable[[], Any]:
    """An apsw aggregate factory running sqlite3-style aggregate class ``cls``."""

    def factory() -> tuple[Any, Any, Any]:
        run = _Aggregate(cls)
        return run, lambda run, *args: run.step(*args), lambda run: run.final()

    return factory


def window(cls: Any) -> Callable[[], Any]:
    """An apsw window-function factory running sqlite3-style class ``cls`` (step, value,
    inverse, finalize)."""

    def factory() -> _Aggregate:
        return _Aggregate(cls, window=True)

    return factory


def collation(func: Callable[[str, str], Any]) -> Callable[[str, str], int]:
    """``func`` as a collation: its result's sign; an exception or a non-int result is 0."""

    def compare(a: str, b: str) -> int:
        try:
            result = func(a, b)
        except BaseException as e:
            report(e, func)
            return 0
        try:
            n = int(result.__index__())
        except (AttributeError, TypeError, ValueError):
            return 0
        return (n > 0) - (n < 0)

    return compare


def authorizer(func: Callable[..., Any]) -> Callable[..., int]:
    """``func`` as an authorizer: an exception or a result that is not an int denies."""

    def authorize(*args: Any) -> int:
        try:
            result = func(*args)
        except BaseException as e:
            report(e, func)
            return sqlite3.SQLITE_DENY
        if not isinstance(result, int) or not -(1 << 31) <= result < (1 << 31):
            return sqlite3.SQLITE_DENY
        return int(result)

    return authorize


def progress(func: Callable[[], Any]) -> Callable[[], bool]:
    """``func`` as a progress handler: a true result or an exception interrupts the query."""

    def handler() -> bool:
        try:
            return bool(func())
        except BaseException as e:
            report(e, func)
            return True

    return handler


def trace(func: Callable[[str], Any], inner: Callable[..., Any] | None
          ) -> Callable[[Any, str, Any], bool]:
    """An apsw exec tracer calling ``func`` with each statement's SQL, parameters expanded as
    sqlite3 does (the plain SQL when the expansion is too long), then ``inner`` (the VFS's own
    tracer); exceptions in ``func`` are ignored."""

    def traced(cursor: Any, sql: str, bindings: Any) -> bool:
        try:
            text = cursor.expanded_sql
        except (MemoryError, apsw.Error):  # beyond SQLITE_LIMIT_LENGTH: the plain SQL, as sqlite3
            report(sqlite3.DataError("Expanded SQL string exceeds the maximum string length"),
                   func)
            text = None
        if text is None:
            text = sql.strip()
        try:
            func(text)
        except BaseException as e:
            report(e, func)
        return bool(inner(cursor, sql, bindings)) if inner is not None else True

    return traced


__all__ = [
    "CallbackError", "aggregate", "authorizer", "collation", "enable_callback_tracebacks",
    "progress", "report", "scalar", "trace", "window",
]
