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

The worker is the only thread that runs SQL on the connection; the loop thread only reads its
state (``in_transaction``, ``total_changes``...), so the synchronous connection is opened with
``check_same_thread=False``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine, Generator, Iterable
from typing import Any, Generic, TypeVar

from . import dbapi
from .dbapi import (
    DatabaseError,
    Error,
    IntegrityError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
    paramstyle,
    sqlite_version,
    sqlite_version_info,
)
from .worker import SerialWorker

T = TypeVar("T")


class _Pending(Generic[T]):
    """What :meth:`Connection.execute` / :meth:`Connection.cursor` return, as in aiosqlite: an
    awaitable, and an async context manager that closes the cursor on exit."""

    __slots__ = ("_coro", "_obj")

    def __init__(self, coro: Coroutine[Any, Any, T]):
        self._coro = coro
        self._obj: T | None = None

    def __await__(self) -> Generator[Any, None, T]:
        return self._coro.__await__()

    async def __aenter__(self) -> T:
        self._obj = await self._coro
        return self._obj

    async def __aexit__(self, *exc: Any) -> None:
        if isinstance(self._obj, Cursor):
            await self._obj.close()


class Cursor:
    """An async cursor (like ``aiosqlite.Cursor``): its calls run on the connection's worker."""

    def __init__(self, conn: Connection, cursor: dbapi.Cursor):
        self._conn = conn
        self._cursor = cursor

    async def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
        """:meth:`dbapi.Cursor.execute` on the worker thread."""
        await self._conn._run(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any], /) -> Cursor:
        """:meth:`dbapi.Cursor.executemany` on the worker thread (one transaction)."""
        await self._conn._run(self._cursor.executemany, sql, parameters)
        return self

    async def executescript(self, sql_script: str, /) -> Cursor:
        await self._conn._run(self._cursor.executescript, sql_script)
        return self

    async def fetchone(self) -> Any:
        return await self._conn._run(self._cursor.fetchone)

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        if size is None:
            size = self._cursor.arraysize
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
            rows = await self.fetchmany(self._conn._iter_chunk_size)
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
        return self._conn._sync


class Connection:
    """An async connection (like ``aiosqlite.Connection``); see the module docstring.

    Await it (or ``async with`` it) to open it: :func:`connect` returns it unopened."""

    def __init__(self, connector: Callable[[], dbapi.Connection], iter_chunk_size: int = 64):
        self._connector = connector
        self._iter_chunk_size = iter_chunk_size
        self._worker = SerialWorker("vermilion-aio-dbapi")
        self._conn: dbapi.Connection | None = None

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
        self._sync  # noqa: B018 - raises when not open
        return await self._worker.run(fn, *args)

    async def close(self) -> None:
        """Close the connection (a pending transaction is rolled back) and end its worker
        thread.  Closing twice is allowed."""
        conn, self._conn = self._conn, None
        if conn is None:
            await self._worker.close()
            return
        try:
            await self._worker.run(conn.close)
        finally:
            await self._worker.close()

    def stop(self) -> None:
        """Close without waiting (what SQLAlchemy's ``terminate`` calls): the running statement
        is interrupted, the close is queued behind the calls already queued (a pending
        transaction is rolled back), and the worker thread ends after it."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.interrupt()
            except Error:
                pass
            self._worker.post(conn.close)
        self._worker.stop()

    @property
    def closed(self) -> bool:
        """True once closed (or before it was opened)."""
        return self._conn is None

    # -- PEP 249 -------------------------------------------------------------------------------
    def cursor(self) -> _Pending[Cursor]:
        """A new cursor; ``await conn.cursor()`` or ``async with conn.cursor() as cur``."""
        return _Pending(self._cursor())

    async def _cursor(self) -> Cursor:
        return Cursor(self, await self._run(self._sync.cursor))

    async def commit(self) -> None:
        await self._run(self._sync.commit)

    async def rollback(self) -> None:
        await self._run(self._sync.rollback)

    # -- sqlite3 / aiosqlite extensions --------------------------------------------------------
    def execute(self, sql: str, parameters: Any = (), /) -> _Pending[Cursor]:
        """A new cursor that executed ``sql``; await it or ``async with`` it."""
        return _Pending(self._execute("execute", sql, parameters))

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> _Pending[Cursor]:
        return _Pending(self._execute("executemany", sql, parameters))

    def executescript(self, sql_script: str, /) -> _Pending[Cursor]:
        return _Pending(self._execute("executescript", sql_script))

    async def _execute(self, method: str, *args: Any) -> Cursor:
        sync = self._sync
        cursor = await self._run(lambda: getattr(sync, method)(*args))
        return Cursor(self, cursor)

    async def execute_fetchall(self, sql: str, parameters: Any = (), /) -> list[Any]:
        """Execute ``sql`` and return all its rows (one hand-off to the worker)."""
        sync = self._sync
        return await self._run(lambda: sync.execute(sql, parameters).fetchall())

    async def create_function(self, name: str, num_params: int, func: Callable[..., Any] | None,
                              deterministic: bool = False) -> None:
        await self._run(lambda: self._sync.create_function(name, num_params, func,
                                                           deterministic=deterministic))

    async def set_isolation_level(self, level: str | None) -> None:
        """Set :attr:`dbapi.Connection.isolation_level` on the worker thread (setting None
        commits a pending transaction, as in sqlite3)."""
        def set_level() -> None:
            self._sync.isolation_level = level
        await self._run(set_level)

    async def interrupt(self) -> None:
        """Abort the statement running on this connection (runs at once, not queued)."""
        self._sync.interrupt()

    @property
    def isolation_level(self) -> str | None:
        return self._sync.isolation_level

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


def connect(database: str, *, iter_chunk_size: int = 64, **kwargs: Any) -> Connection:
    """An unopened :class:`Connection` to the database ``database`` (await it, or ``async with``
    it).  ``kwargs`` are :func:`vermilion.sql.dbapi.connect`'s (``client=``, ``create=``,
    ``timeout=``, ``isolation_level=``...); the connection is opened on its worker thread: one
    round trip, as the synchronous ``connect``."""
    kwargs["check_same_thread"] = False
    return Connection(lambda: dbapi.connect(database, **kwargs), iter_chunk_size)


__all__ = [
    "Connection", "Cursor", "DatabaseError", "Error", "IntegrityError", "NotSupportedError",
    "OperationalError", "ProgrammingError", "Warning", "connect", "paramstyle", "sqlite_version",
    "sqlite_version_info",
]
