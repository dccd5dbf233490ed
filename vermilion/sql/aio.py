"""The asyncio face of :mod:`vermilion.sql.api`: the same databases, whose methods are coroutines.

``db = await vermilion.aio.sql.open("HN"); await db.exec_statement("insert_item", ...)``.

There is one implementation: every coroutine runs the sync method on the database's own worker
thread (:class:`~vermilion.sql.worker.SerialWorker`, as aiosqlite gives each connection), because
SQLite itself is synchronous.  So one database's calls run one at a time, in the order they were
awaited, always on the same thread (``BEGIN`` and ``COMMIT`` included), and a call waiting for a
lock (up to the busy timeout) holds only that thread: the loop and other databases go on.  The
loop's default executor is never used.  Tasks that need their own transactions should each open
their own database object.

These objects use a *sync* redis-py client: ``client=`` if given, else the one
:func:`vermilion.configure` derives from its ``url``.  :meth:`AsyncDatabase.close` (or ``async
with``) closes the connection and ends the thread; a database object dropped without it is
closed on its thread, which then ends, when it is garbage-collected.

``connect(name)`` is the asyncio twin of :func:`vermilion.sql.connect`: an aiosqlite-shaped
DB-API connection (:mod:`vermilion.sql.aio_dbapi`), on a worker thread of its own too.

Cancelling a task that awaits a call drops the call if it has not started; one that has started
runs to its end (SQLite cannot be pre-empted; use ``timeout=`` on queries).  Leaving ``async with
db.transaction()`` always ends the transaction, even when cancelled.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar

import apsw

from . import api
from .aio_dbapi import connect
from .api import Rows, StatementInfo
from .progress import ProgressCallback
from .worker import SerialWorker

T = TypeVar("T")


class AsyncTransaction:
    """``async with db.transaction():`` - the sync transaction entered and left on the
    database's worker thread (see :meth:`vermilion.sql.api.Database.transaction`)."""

    def __init__(self, db: AsyncDatabase):
        self._worker = db.worker
        self._cm = db.sync.transaction()
        self._entered = False

    def _enter(self) -> None:
        self._cm.__enter__()
        self._entered = True

    def _undo(self) -> None:
        """After a cancelled ``__aenter__``: roll back if the begin ran after all."""
        if self._entered:
            self._entered = False
            self._cm.__exit__(asyncio.CancelledError, asyncio.CancelledError(), None)

    def _exit(self, exc_type: type[BaseException] | None, exc: BaseException | None,
              tb: TracebackType | None) -> bool | None:
        self._entered = False
        return self._cm.__exit__(exc_type, exc, tb)

    async def __aenter__(self) -> None:
        try:
            await self._worker.run(self._enter)
        except asyncio.CancelledError:
            self._worker.post(self._undo)  # runs after the begin, whether it ran or not
            raise

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> bool | None:
        # shielded: a cancellation while waiting must not drop the COMMIT / ROLLBACK
        ending = asyncio.ensure_future(self._worker.run(self._exit, exc_type, exc, tb))
        ending.add_done_callback(_retrieve)
        return await asyncio.shield(ending)


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark the outcome of a shielded call as seen (its awaiter may have been cancelled)."""
    if not task.cancelled():
        task.exception()


def _abandon(worker: SerialWorker, sync: api.Database) -> None:
    """An :class:`AsyncDatabase` collected without ``close()``: close it on its thread, end
    the thread."""
    if not worker.closed:
        worker.post(sync.close)
        worker.stop()


class AsyncDatabase:
    """A named SQL database stored in Redis (see :class:`vermilion.sql.api.Database`), whose
    calls run in order on its own worker thread (:attr:`worker`)."""

    def __init__(self, sync: api.Database, worker: SerialWorker | None = None):
        self.sync = sync
        self.worker: SerialWorker = worker or SerialWorker(f"vermilion-sql-{sync.name}")
        self._finalizer = weakref.finalize(self, _abandon, self.worker, sync)

    @property
    def name(self) -> str:
        return self.sync.name

    def __repr__(self) -> str:
        return f"<vermilion.aio.sql.Database {self.name!r}>"

    async def _run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        if self.worker.closed:  # what the sync face raises once closed
            raise apsw.ConnectionClosedError("The database has been closed")
        return await self.worker.run(fn, *args, **kwargs)

    async def close(self) -> None:
        """Close the connection (on its thread, after the calls queued before), then end the
        thread.  Closing twice does nothing."""
        if self.worker.closed:
            return
        self._finalizer.detach()
        try:
            await self.worker.run(self.sync.close)
        finally:
            await self.worker.close()

    async def __aenter__(self) -> AsyncDatabase:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def transaction(self) -> AsyncTransaction:
        return AsyncTransaction(self)

    async def exec(self, sql: str, /, *params: Any, **named: Any) -> Rows:
        return await self._run(self.sync.exec, sql, *params, **named)

    async def query(self, sql: str, /, *params: Any, timeout: float | None = None,
                    **named: Any) -> Rows:
        """See :meth:`vermilion.sql.api.Database.query`: read-only SQL, ``timeout`` seconds at
        most (the query is interrupted in its worker thread, which cancelling the awaiting task
        would not do)."""
        return await self._run(
            self.sync.query, sql, *params, timeout=timeout, **named)

    async def create_statement(self, name: str, sql: str) -> None:
        await self._run(self.sync.create_statement, name, sql)

    async def update_statement(self, name: str, sql: str) -> None:
        await self._run(self.sync.update_statement, name, sql)

    async def delete_statement(self, name: str) -> None:
        await self._run(self.sync.delete_statement, name)

    async def show_statement(self, name: str) -> StatementInfo:
        return await self._run(self.sync.show_statement, name)

    async def list_statements(self) -> list[StatementInfo]:
        return await self._run(self.sync.list_statements)

    async def exec_statement(self, name: str, /, *params: Any, **named: Any) -> Rows:
        return await self._run(
            self.sync.exec_statement, name, *params, **named)

    async def query_statement(self, name: str, /, *params: Any, timeout: float | None = None,
                              **named: Any) -> Rows:
        return await self._run(
            self.sync.query_statement, name, *params, timeout=timeout, **named)

    async def query_into(self, stream: str, sql: str, /, *params: Any,
                         timeout: float | None = None, **named: Any) -> int:
        return await self._run(
            self.sync.query_into, stream, sql, *params, timeout=timeout, **named)

    async def query_statement_into(self, stream: str, name: str, /, *params: Any,
                                   timeout: float | None = None, **named: Any) -> int:
        return await self._run(
            self.sync.query_statement_into, stream, name, *params, timeout=timeout, **named)

    async def statistics(self) -> dict[str, int]:
        return await self._run(self.sync.statistics)

    async def export_to(self, path: str | os.PathLike[str], *,
                        progress: ProgressCallback | None = None) -> None:
        """See :meth:`vermilion.sql.api.Database.export_to`; ``progress`` is called on the
        worker thread (use ``loop.call_soon_threadsafe`` to reach loop objects)."""
        await self._run(self.sync.export_to, path, progress=progress)


async def _opened(opener: Callable[..., api.Database], *args: Any,
                  **options: Any) -> AsyncDatabase:
    """``opener(*args, **options)`` run on a new worker, which then serves the database."""
    worker = SerialWorker("vermilion-sql")
    try:
        sync = await worker.run(opener, *args, **options)
    except BaseException:
        worker.stop()
        raise
    return AsyncDatabase(sync, worker)


async def _once(fn: Callable[..., T], /, *args: Any, **options: Any) -> T:
    """``fn`` on a short-lived thread of its own (not the loop's default executor)."""
    worker = SerialWorker("vermilion-sql-call")
    try:
        return await worker.run(fn, *args, **options)
    finally:
        worker.stop()


async def open(name: str, **options: Any) -> AsyncDatabase:  # noqa: A001
    """Open existing database ``name`` (options as :func:`vermilion.sql.open`)."""
    return await _opened(api.open, name, **options)


async def create_db(name: str, **options: Any) -> AsyncDatabase:
    """Create database ``name`` and open it (options as :func:`vermilion.sql.create_db`)."""
    return await _opened(api.create_db, name, **options)


async def import_from(path: str | os.PathLike[str], name: str, **options: Any) -> AsyncDatabase:
    """Create database ``name`` from a local SQLite file and open it (options, ``progress``
    included, as :func:`vermilion.sql.import_from`; ``progress`` is called on the new
    database's worker thread)."""
    return await _opened(api.import_from, path, name, **options)


async def drop_db(name: str, **options: Any) -> None:
    """See :func:`vermilion.sql.drop_db`."""
    await _once(api.drop_db, name, **options)


async def list_dbs(**options: Any) -> list[str]:
    """See :func:`vermilion.sql.list_dbs`."""
    return await _once(api.list_dbs, **options)


async def exists(name: str, **options: Any) -> bool:
    """See :func:`vermilion.sql.exists`."""
    return await _once(api.exists, name, **options)


async def copy(source: str, destination: str, **options: Any) -> None:
    """See :func:`vermilion.sql.copy` (``progress`` included, called on the copy's own
    thread): runs on a thread of its own, so a long copy holds up no other database."""
    await _once(api.copy, source, destination, **options)


Database = AsyncDatabase

__all__: Sequence[str] = (
    "AsyncDatabase", "AsyncTransaction", "Database", "connect", "copy", "create_db", "drop_db",
    "exists", "import_from", "list_dbs", "open",
)
