"""An asyncio DB-API connection to a SQL database stored in Redis, shaped like :mod:`aiosqlite`.

::

    from vermilion.sql import aio_dbapi

    async with aio_dbapi.connect("orders") as conn:
        async with conn.execute("SELECT id, name FROM item WHERE id = ?", (1,)) as cur:
            row = await cur.fetchone()
        await conn.execute("INSERT INTO item(name) VALUES (?)", ("pen",))
        await conn.commit()

Each :class:`Connection` owns one :class:`~vermilion.sql.worker.SerialWorker`: a thread that runs
the connection's calls one at a time, in the order they were awaited, on a synchronous
:mod:`vermilion.sql.dbapi` connection (so a transaction never spans two threads, and a wait for a
lock held by another process occupies that thread, not the event loop).  Every method costs what
the synchronous one does (see :mod:`.dbapi` for round trips and transactions) plus a hand-off to
the worker thread and back.  Exceptions are :mod:`.dbapi`'s (so :mod:`sqlite3`'s classes).

aiosqlite's public API is here with its signatures and errors: ``execute`` / ``executemany`` /
``executescript`` / ``cursor`` / ``execute_insert`` / ``execute_fetchall`` return what is both
awaitable (a coroutine) and an async context manager; ``iterdump`` is an async iterator;
``backup`` accepts another connection of this module, a :mod:`.dbapi` connection or a stdlib
:class:`sqlite3.Connection`; ``stop`` returns a future; a method called on a closed connection
raises ``ValueError("no active connection")`` (a cursor's, ``ValueError("Connection closed")``);
a connection garbage-collected while open emits a :class:`ResourceWarning` and is closed on its
thread.  The deliberate difference: the database is a name in Redis, not a file.

The worker is the only thread that runs SQL on the connection; the loop thread only reads its
state (``in_transaction``, ``total_changes``...) and sets attributes that run no SQL
(``row_factory``, ``text_factory``), so the synchronous connection is opened with
``check_same_thread=False``.
"""

from __future__ import annotations

import asyncio
import os
import threading
import warnings
from collections.abc import AsyncIterator, Callable, Coroutine, Generator, Iterable
from typing import Any, TypeVar

from . import dbapi
from .dbapi import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Row,
    Warning,
    paramstyle,
    register_adapter,
    register_converter,
    sqlite_version,
    sqlite_version_info,
)
from .worker import SerialWorker, WorkerClosed

T = TypeVar("T")
AuthorizerCallback = Callable[[int, "str | None", "str | None", "str | None", "str | None"], int]


class Result(Coroutine[Any, Any, T]):
    """What :meth:`Connection.execute` (and ``cursor``, ``executemany``...) return, as in
    aiosqlite: a coroutine (await it, or hand it to ``asyncio.create_task``) and an async
    context manager that closes the cursor on exit."""

    __slots__ = ("_coro", "_obj")

    def __init__(self, coro: Coroutine[Any, Any, T]):
        self._coro = coro
        self._obj: T | None = None

    def __await__(self) -> Generator[Any, None, T]:
        return self._coro.__await__()

    def send(self, value: Any) -> Any:
        return self._coro.send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:  # type: ignore[override]
        if val is None:
            return self._coro.throw(typ)
        if tb is None:
            return self._coro.throw(typ, val)
        return self._coro.throw(typ, val, tb)

    def close(self) -> None:
        self._coro.close()

    async def __aenter__(self) -> T:
        self._obj = await self._coro
        return self._obj

    async def __aexit__(self, *exc: Any) -> None:
        if isinstance(self._obj, Cursor):
            await self._obj.close()


class Cursor:
    """An async cursor (like ``aiosqlite.Cursor``): its calls run on the connection's worker.
    ``async for row in cursor`` fetches ``iter_chunk_size`` rows per hand-off."""

    def __init__(self, conn: Connection, cursor: dbapi.Cursor):
        self.iter_chunk_size: int = conn._iter_chunk_size
        self._conn = conn
        self._cursor = cursor

    async def execute(self, sql: str, parameters: Any = None) -> Cursor:
        """:meth:`dbapi.Cursor.execute` on the worker thread."""
        await self._conn._run(self._cursor.execute, sql, _params(parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        """:meth:`dbapi.Cursor.executemany` on the worker thread (one transaction)."""
        await self._conn._run(self._cursor.executemany, sql, parameters)
        return self

    async def executescript(self, sql_script: str) -> Cursor:
        await self._conn._run(self._cursor.executescript, sql_script)
        return self

    async def fetchone(self) -> Any:
        return await self._conn._run(self._cursor.fetchone)

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to ``size`` rows (default :attr:`arraysize`)."""
        if size is None:
            return await self._conn._run(self._cursor.fetchmany)
        return await self._conn._run(self._cursor.fetchmany, size)

    async def fetchall(self) -> list[Any]:
        return await self._conn._run(self._cursor.fetchall)

    async def close(self) -> None:
        await self._conn._run(self._cursor.close)

    async def setinputsizes(self, *sizes: Any) -> None:
        """Does nothing (PEP 249 allows it)."""

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        """Does nothing (PEP 249 allows it)."""

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._rows()

    async def _rows(self) -> AsyncIterator[Any]:
        while True:
            rows = await self.fetchmany(self.iter_chunk_size)
            if not rows:
                return
            for row in rows:
                yield row

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    @property
    def row_factory(self) -> Any:
        return self._cursor.row_factory

    @row_factory.setter
    def row_factory(self, factory: Any) -> None:
        self._cursor.row_factory = factory

    @property
    def connection(self) -> dbapi.Connection:
        """The synchronous connection (as aiosqlite's ``Cursor.connection``, the sqlite3 one)."""
        return self._cursor.connection


def _params(parameters: Any) -> Any:
    return () if parameters is None else parameters


def _page_count(data: bytes) -> int:
    """The number of pages in the SQLite file ``data`` (its header's page size)."""
    if len(data) < 100:
        return 0
    size = int.from_bytes(data[16:18], "big")
    return len(data) // (65536 if size == 1 else size)


def _restore(target: dbapi.Connection, data: bytes) -> None:
    """``data`` (a serialized database) into ``target``'s main database, as a backup would."""
    if target.in_transaction:
        raise OperationalError("target is in transaction")
    target.deserialize(data)


def _notify(loop: asyncio.AbstractEventLoop, fn: Callable[..., Any], *args: Any) -> None:
    """``fn(*args)`` on ``loop``'s thread, unless the loop has been closed."""
    try:
        loop.call_soon_threadsafe(fn, *args)
    except RuntimeError:  # the loop is closed: nobody waits
        pass


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Connection:
    """An async connection (like ``aiosqlite.Connection``); see the module docstring.

    Await it (or ``async with`` it) to open it: :func:`connect` returns it unopened, and the
    errors of opening are raised there.  ``connector`` is called on the worker thread and
    returns the synchronous connection."""

    def __init__(self, connector: Callable[[], dbapi.Connection], iter_chunk_size: int = 64,
                 loop: asyncio.AbstractEventLoop | None = None):
        if loop is not None:
            warnings.warn("vermilion.sql.aio_dbapi.Connection does not use the `loop` parameter",
                          DeprecationWarning, stacklevel=2)
        self._connector = connector
        self._iter_chunk_size = iter_chunk_size
        self._worker = SerialWorker("vermilion-aio-dbapi")
        self._conn: dbapi.Connection | None = None

    def __del__(self) -> None:
        if getattr(self, "_conn", None) is None:
            return
        warnings.warn(f"{self!r} was deleted before being closed. Please use 'async with' or "
                      "'.close()' to close the connection properly.", ResourceWarning,
                      stacklevel=1)
        self.stop()  # the close runs on the worker thread; no loop is needed

    # -- opening and closing -------------------------------------------------------------------
    async def _open(self) -> Connection:
        if self._conn is None:
            try:
                self._conn = await self._worker.run(self._connector)
            except BaseException:
                self._worker.stop()
                raise
        return self

    def __await__(self) -> Generator[Any, None, Connection]:
        return self._open().__await__()

    async def __aenter__(self) -> Connection:
        return await self._open()

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    @property
    def _sync(self) -> dbapi.Connection:
        if self._conn is None:
            raise ValueError("no active connection")
        return self._conn

    async def _run(self, fn: Callable[..., T], /, *args: Any) -> T:
        """``fn(*args)`` on the worker thread, after the calls queued before it."""
        if self._conn is None:
            raise ValueError("Connection closed")
        try:
            return await self._worker.run(fn, *args)
        except WorkerClosed:
            raise ValueError("Connection closed") from None

    def _call_waiting(self, fn: Callable[[], T]) -> T:
        """``fn()`` on the worker thread after the calls already queued, blocking this thread
        until it has run (for a property setter that may run SQL)."""
        if threading.current_thread() is self._worker.thread:
            return fn()
        done = threading.Event()
        outcome: list[Any] = []

        def job() -> None:
            try:
                outcome.append((True, fn()))
            except BaseException as e:  # noqa: BLE001 - re-raised on the waiting thread
                outcome.append((False, e))
            finally:
                done.set()

        try:
            self._worker.post(job)
        except WorkerClosed:
            raise ValueError("Connection closed") from None
        done.wait()
        ok, value = outcome[0]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    async def close(self) -> None:
        """Close the connection after the calls already queued (a pending transaction is rolled
        back) and end its worker thread.  Calls queued before the close has run meet a closed
        database (:class:`ProgrammingError`), later ones ``ValueError``.  Closing twice is
        allowed."""
        conn = self._conn
        if conn is None:
            await self._worker.close()
            return
        try:
            await self._worker.run(conn.close)
        except WorkerClosed:  # stopped meanwhile: the stop closes it
            pass
        except asyncio.CancelledError:
            self._conn = None
            self._post_close(conn)
            self._worker.stop()
            raise
        self._conn = None
        await self._worker.close()

    def _post_close(self, conn: dbapi.Connection, then: Callable[[], Any] | None = None) -> bool:
        """Queue ``conn.close()`` (and ``then()``) on the worker; False if it has ended."""
        def close() -> None:
            try:
                conn.close()
            finally:
                if then is not None:
                    then()
        try:
            self._worker.post(close)
        except WorkerClosed:
            return False
        return True

    def stop(self) -> asyncio.Future[None] | None:
        """Close without waiting (what SQLAlchemy's ``terminate`` calls): the running statement
        is interrupted, the close is queued behind the calls already queued (a pending
        transaction is rolled back), and the worker thread ends after it.  Returns a future
        done once the close has run (None when no event loop runs in this thread), as
        aiosqlite's ``stop``."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        future = loop.create_future() if loop is not None else None
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.interrupt()
            except Error:
                pass
            then = None if loop is None or future is None \
                else (lambda: _notify(loop, _resolve, future))
            if not self._post_close(conn, then) and future is not None:
                future.set_result(None)
        elif future is not None:
            future.set_result(None)
        self._worker.stop()
        return future

    @property
    def closed(self) -> bool:
        """True once closed (or before it was opened)."""
        return self._conn is None

    # -- PEP 249 -------------------------------------------------------------------------------
    def cursor(self) -> Result[Cursor]:
        """A new cursor; ``await conn.cursor()`` or ``async with conn.cursor() as cur``."""
        return Result(self._cursor())

    async def _cursor(self) -> Cursor:
        return Cursor(self, await self._run(self._sync.cursor))

    async def commit(self) -> None:
        await self._run(self._sync.commit)

    async def rollback(self) -> None:
        await self._run(self._sync.rollback)

    # -- sqlite3 / aiosqlite extensions --------------------------------------------------------
    def execute(self, sql: str, parameters: Any = None) -> Result[Cursor]:
        """A new cursor that executed ``sql``; await it or ``async with`` it."""
        return Result(self._execute("execute", sql, _params(parameters)))

    def executemany(self, sql: str, parameters: Iterable[Any]) -> Result[Cursor]:
        return Result(self._execute("executemany", sql, parameters))

    def executescript(self, sql_script: str) -> Result[Cursor]:
        return Result(self._execute("executescript", sql_script))

    async def _execute(self, method: str, *args: Any) -> Cursor:
        cursor = await self._run(getattr(self._sync, method), *args)
        return Cursor(self, cursor)

    def execute_insert(self, sql: str, parameters: Any = None) -> Result[Any]:
        """Execute ``sql`` and return the row ``(last_insert_rowid(),)`` (one hand-off)."""
        return Result(self._run(self._insert, self._sync, sql, _params(parameters)))

    @staticmethod
    def _insert(sync: dbapi.Connection, sql: str, parameters: Any) -> Any:
        cursor = sync.execute(sql, parameters)
        return cursor.execute("SELECT last_insert_rowid()").fetchone()

    def execute_fetchall(self, sql: str, parameters: Any = None) -> Result[list[Any]]:
        """Execute ``sql`` and return all its rows (one hand-off to the worker)."""
        return Result(self._run(self._fetchall, self._sync, sql, _params(parameters)))

    @staticmethod
    def _fetchall(sync: dbapi.Connection, sql: str, parameters: Any) -> list[Any]:
        return sync.execute(sql, parameters).fetchall()

    async def create_function(self, name: str, num_params: int, func: Callable[..., Any] | None,
                              deterministic: bool = False) -> None:
        sync = self._sync
        await self._run(lambda: sync.create_function(name, num_params, func,
                                                     deterministic=deterministic))

    async def set_authorizer(self, authorizer_callback: AuthorizerCallback | None) -> None:
        """:meth:`dbapi.Connection.set_authorizer` (the callback runs on the worker thread)."""
        await self._run(self._sync.set_authorizer, authorizer_callback)

    async def set_progress_handler(self, handler: Callable[[], Any] | None, n: int) -> None:
        """:meth:`dbapi.Connection.set_progress_handler` (called on the worker thread)."""
        await self._run(self._sync.set_progress_handler, handler, n)

    async def set_trace_callback(self, handler: Callable[[str], Any] | None) -> None:
        """:meth:`dbapi.Connection.set_trace_callback` (called on the worker thread)."""
        await self._run(self._sync.set_trace_callback, handler)

    async def enable_load_extension(self, value: bool) -> None:
        await self._run(self._sync.enable_load_extension, value)

    async def load_extension(self, path: str) -> None:
        await self._run(self._sync.load_extension, path)

    async def set_isolation_level(self, level: str | None) -> None:
        """Set :attr:`isolation_level` on the worker thread, after the calls already queued
        (setting None commits a pending transaction, as in sqlite3)."""
        sync = self._sync
        await self._run(setattr, sync, "isolation_level", level)

    async def interrupt(self) -> None:
        """Abort the statement running on this connection (runs at once, not queued)."""
        self._sync.interrupt()

    async def iterdump(self, *, filter: str | None = None) -> AsyncIterator[str]:  # noqa: A002
        """The database as SQL text, statement by statement (``async for line in
        conn.iterdump()``): the whole dump runs as one call on the worker thread (no other call
        of this connection runs in the middle of it), its lines handed to the loop
        ``iter_chunk_size`` at a time as they are produced."""
        sync = self._sync
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[list[str] | None] = asyncio.Queue()
        size = max(1, self._iter_chunk_size)

        def dump() -> None:
            chunk: list[str] = []
            lines = sync.iterdump() if filter is None else sync.iterdump(filter=filter)
            for line in lines:
                chunk.append(line)
                if len(chunk) >= size:
                    _notify(loop, chunks.put_nowait, chunk)
                    chunk = []
            if chunk:
                _notify(loop, chunks.put_nowait, chunk)

        # the chunks were handed to the loop before the call's result: the end comes last
        task = asyncio.ensure_future(self._run(dump))
        task.add_done_callback(lambda _: chunks.put_nowait(None))
        try:
            while (chunk := await chunks.get()) is not None:
                for line in chunk:
                    yield line
            await task
        finally:
            if not task.done():
                task.cancel()

    async def backup(self, target: Connection | dbapi.Connection | Any, *, pages: int = 0,
                     progress: Callable[[int, int, int], Any] | None = None,
                     name: str = "main", sleep: float = 0.250) -> None:
        """Copy database ``name`` into ``target``'s main database, replacing its content.

        ``target`` is a stdlib :class:`sqlite3.Connection` (sqlite3's own backup runs on the
        worker thread, ``pages`` at a time, ``progress(status, remaining, total)`` after each
        step, as in sqlite3), or a vermilion connection: one of this module (the copy is taken
        on this connection's thread and written on the target's) or a :mod:`.dbapi` one (written
        on the calling thread, the one it belongs to).  Between vermilion connections the copy
        is one step: a consistent snapshot of the source, then one atomic commit into the
        target (one round trip), after which ``progress`` is called once; ``pages`` and
        ``sleep`` do not apply.  A target in a transaction is refused (OperationalError)."""
        sync = self._sync
        if progress is not None and not callable(progress):
            raise TypeError("progress argument must be a callable")
        if target is self or target is sync:
            raise ValueError("target cannot be the same connection instance")
        if not isinstance(target, (Connection, dbapi.Connection)):
            await self._run(lambda: sync.backup(target, pages=pages, progress=progress,
                                                name=name, sleep=sleep))
            return
        if isinstance(target, Connection):
            target._sync  # noqa: B018 - raises when it is closed
        data = await self._run(lambda: sync.serialize(name=name))
        if isinstance(target, Connection):
            await target._run(_restore, target._sync, data)
        else:
            _restore(target, data)
        if progress is not None:
            progress(dbapi.SQLITE_DONE, 0, _page_count(data))

    @property
    def isolation_level(self) -> str | None:
        return self._sync.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        """Set at once; setting None (which commits a pending transaction) runs on the worker
        thread after the calls already queued, and this thread waits for it."""
        sync = self._sync
        if value is None:
            self._call_waiting(lambda: setattr(sync, "isolation_level", None))
        else:
            sync.isolation_level = value

    @property
    def in_transaction(self) -> bool:
        return self._sync.in_transaction

    @property
    def total_changes(self) -> int:
        return self._sync.total_changes

    @property
    def row_factory(self) -> Any:
        return self._sync.row_factory

    @row_factory.setter
    def row_factory(self, factory: Any) -> None:
        self._sync.row_factory = factory

    @property
    def text_factory(self) -> Callable[[bytes], Any]:
        """How TEXT values are returned (default ``str``), as in sqlite3."""
        return self._sync.text_factory  # type: ignore[no-any-return]

    @text_factory.setter
    def text_factory(self, factory: Callable[[bytes], Any]) -> None:
        self._sync.text_factory = factory


def connect(database: str | bytes | os.PathLike[str] | Any, *, iter_chunk_size: int = 64,
            loop: asyncio.AbstractEventLoop | None = None, **kwargs: Any) -> Connection:
    """An unopened :class:`Connection` to the database ``database`` (await it, or ``async with``
    it; errors, a bad argument included, are raised there).  ``database`` is taken as aiosqlite
    does: a str, bytes (UTF-8), or anything else through ``str()`` (a path is a name in Redis).
    ``kwargs`` are :func:`vermilion.sql.dbapi.connect`'s (``client=``, ``create=``,
    ``timeout=``, ``isolation_level=``...); the connection is opened on its worker thread: one
    round trip, as the synchronous ``connect``."""
    if loop is not None:
        warnings.warn("vermilion.sql.aio_dbapi.connect() does not use the `loop` parameter",
                      DeprecationWarning, stacklevel=2)
    kwargs["check_same_thread"] = False

    def connector() -> dbapi.Connection:
        if isinstance(database, str):
            name = database
        elif isinstance(database, bytes):
            name = database.decode("utf-8")
        else:
            name = str(database)
        return dbapi.connect(name, **kwargs)

    return Connection(connector, iter_chunk_size)


__all__ = [
    "Connection", "Cursor", "DataError", "DatabaseError", "Error", "IntegrityError",
    "InterfaceError", "InternalError", "NotSupportedError", "OperationalError",
    "ProgrammingError", "Result", "Row", "Warning", "connect", "paramstyle", "register_adapter",
    "register_converter", "sqlite_version", "sqlite_version_info",
]
