"""One thread per async SQL connection: calls run in order, on the same thread, off the loop.

SQLite (apsw) is synchronous and a connection's transaction belongs to the thread that runs it
(``BEGIN`` and ``COMMIT`` must not land on different threads, and a busy wait must not occupy a
thread that other work needs).  :class:`SerialWorker` is what aiosqlite gives each connection: a
daemon thread reading a queue.  ``await worker.run(fn, *args)`` queues ``fn`` (with the caller's
context variables, as :func:`asyncio.to_thread` does) and waits for its result; calls run one at
a time in the order they were queued.  A cancelled ``await`` does not stop a call already
queued (SQLite cannot be pre-empted from another thread; interrupt the connection for that): its
result is dropped.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import itertools
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_Job = tuple["asyncio.AbstractEventLoop | None", "asyncio.Future[Any] | None", Callable[[], Any]]
_names = itertools.count(1)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # the awaiting task was cancelled
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class WorkerClosed(RuntimeError):
    """A call was queued on a worker that has been closed."""


class SerialWorker:
    """A daemon thread running queued calls one at a time, in order (see the module docstring).

    The thread starts with the first call and ends with :meth:`close` (or :meth:`stop`)."""

    def __init__(self, name: str = "vermilion-sql") -> None:
        self.name: str = f"{name}-{next(_names)}"
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._lock = threading.Lock()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def thread(self) -> threading.Thread | None:
        """The worker thread (None before the first call)."""
        return self._thread

    def _start(self) -> None:
        with self._lock:
            if self._closed:
                raise WorkerClosed(f"{self.name} is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._main, name=self.name, daemon=True)
                self._thread.start()

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` on the worker thread, after every call queued before it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        ctx = contextvars.copy_context()
        job = functools.partial(ctx.run, fn, *args, **kwargs)
        self._start()
        self._queue.put((loop, future, job))
        return await future

    def post(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Queue ``fn(*args, **kwargs)`` after every call queued before it, without waiting
        (nor needing a running loop): its result and exceptions are dropped.  For clean-ups
        that must run on the worker thread, in order (a rollback after a cancelled begin, a
        close from a finalizer)."""
        job = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        self._start()
        self._queue.put((None, None, job))

    def _main(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            loop, future, job = item
            if future is not None and future.cancelled():
                continue
            try:
                result: Any = job()
                ok = True
            except BaseException as e:  # noqa: BLE001 - handed to the awaiting task
                result, ok = e, False
            if loop is None or future is None:  # posted: nobody waits
                continue
            try:
                loop.call_soon_threadsafe(_settle, future, ok, result)
            except RuntimeError:  # the loop has been closed: nobody waits for this result
                pass

    def stop(self) -> None:
        """Let the thread finish the calls already queued, then end (does not wait)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._thread is not None:
                self._queue.put(None)

    async def close(self) -> None:
        """:meth:`stop`, then wait (without blocking the loop) until the thread has ended."""
        if self._closed or self._thread is None:
            self.stop()
            return
        try:
            await self.run(lambda: None)  # every call queued before has run
        except WorkerClosed:
            return
        self.stop()


__all__ = ["SerialWorker", "WorkerClosed"]
