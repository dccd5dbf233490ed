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
    """A user callback failed; the message is sqlite3's (the cursor raises OperationalError)."""


def _check_result(value: Any) -> Any:
    """A callback's result as SQLite can take it, or raise (as sqlite3's ``_pysqlite_set_result``)."""
    t = type(value)
    if value is None or t is float or t is str or t is bytes:
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
        return bytes(value)
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
            raise CallbackError("user-defined function raised exception") from e

    return call


def _agg_error(method: str, e: BaseException, obj: Any) -> CallbackError:
    report(e, obj)
    if isinstance(e, AttributeError) and method != "__init__":
        return CallbackError(f"user-defined aggregate's '{method}' method not defined")
    return CallbackError(f"user-defined aggregate's '{method}' method raised error")


class _Aggregate:
    """One aggregate (or window function) run: the user's class instantiated on the first row,
    as sqlite3 does (an aggregate over no rows is NULL, its ``finalize`` never called)."""

    __slots__ = ("cls", "inst", "failed")

    def __init__(self, cls: Any):
        self.cls = cls
        self.inst: Any = None
        self.failed = False

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
            raise _agg_error(name, e, inst) from e

    def step(self, *args: Any) -> None:
        method = self._method("step")
        try:
            method(*args)
        except BaseException as e:
            raise _agg_error("step", e, method) from e

    def inverse(self, *args: Any) -> None:
        method = self._method("inverse")
        try:
            method(*args)
        except BaseException as e:
            raise _agg_error("inverse", e, method) from e

    def value(self) -> Any:
        method = self._method("value")
        try:
            return _check_result(method())
        except BaseException as e:
            raise _agg_error("value", e, method) from e

    def final(self) -> Any:
        if self.inst is None:
            if self.failed:
                raise CallbackError("user-defined aggregate's '__init__' method raised error")
            return None
        method = self._method("finalize")
        try:
            return _check_result(method())
        except BaseException as e:
            raise _agg_error("finalize", e, method) from e


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
        return _Aggregate(cls)

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
        if not isinstance(result, int):
            return sqlite3.SQLITE_DENY
        return result

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


def trace(func: Callable[[str], Any]) -> Callable[[dict[str, Any]], None]:
    """``func`` as an apsw ``trace_v2`` statement callback: it gets each statement's SQL with
    the parameters expanded (the plain SQL when that is too long); exceptions are ignored."""

    def traced(event: dict[str, Any]) -> None:
        sql = event.get("sql")
        if sql is None:
            return
        try:
            func(sql)
        except BaseException as e:
            report(e, func)

    return traced


__all__ = [
    "CallbackError", "aggregate", "authorizer", "collation", "enable_callback_tracebacks",
    "progress", "report", "scalar", "trace", "window",
]
