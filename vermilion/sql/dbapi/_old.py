"""A PEP 249 (DB-API 2.0) module for SQL databases stored in Redis, shaped like :mod:`sqlite3`.

::

    from vermilion.sql.dbapi import connect

    with connect("orders", create=True) as conn:   # commits on success, rolls back on error
        conn.execute("CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT)")
        conn.executemany("INSERT INTO item(name) VALUES (?)", [("pen",), ("ink",)])
    conn.execute("SELECT name FROM item WHERE id = :id", {"id": 1}).fetchone()

SQLite runs in this process (apsw, see :mod:`.vfs`); its pages and locks live in Redis.  The
behaviour follows :mod:`sqlite3`'s legacy transaction control: an ``INSERT`` / ``UPDATE`` /
``DELETE`` / ``REPLACE`` outside a transaction first opens one with ``BEGIN IMMEDIATE`` (the
writer lease is taken by the same round trip that starts the transaction, which is what the Redis
VFS needs to avoid deadlocking writers), and :meth:`Connection.commit` ends it; other statements
(``SELECT``, DDL, ``PRAGMA``) run in autocommit mode unless a transaction is open.  With
``isolation_level=None`` nothing is implicit: every statement commits by itself unless you issue
``BEGIN`` yourself.

Round trips (see :mod:`.vfs`): a transaction start is one round trip (plus batched page fetches
for pages this process has not cached); a commit is one round trip, whatever its size.  So an
implicit-transaction write plus :meth:`~Connection.commit` costs two (one when the same
connection committed within the last 20 ms: it kept the writer lease), a read on a warm cache one,
and :meth:`~Cursor.executemany` of 10,000 rows plus ``commit()`` about two (the statement is
prepared once; all rows go to Redis in the single atomic commit script).

Values are sqlite3's defaults: ``int``, ``float``, ``str``, ``bytes`` (``bytearray`` and
``memoryview`` bind as BLOBs) and ``None``; ``datetime.date`` / ``datetime.datetime`` bind as ISO
strings as sqlite3's default adapters do (``datetime.time`` too).  Anything else raises
:class:`ProgrammingError`.  Errors are this module's PEP 249 classes, each also a subclass of the
:mod:`sqlite3` class of the same name (so ``except sqlite3.IntegrityError`` keeps working), with the
apsw exception as ``__cause__`` and ``sqlite_errorcode`` / ``sqlite_errorname`` as in sqlite3.
"""

from __future__ import annotations

import datetime
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import apsw

from . import database, vfs

apilevel = "2.0"
threadsafety = 1  # threads may share the module, not connections
paramstyle = "qmark"  # named (:name) parameters are accepted too, as in sqlite3


# -- exceptions (PEP 249), each also the sqlite3 class of the same name ---------------------------
class Warning(sqlite3.Warning):  # noqa: A001 - the PEP 249 name
    """Important warnings (PEP 249)."""


class Error(sqlite3.Error):
    """Base class of every error of this module (PEP 249)."""


class InterfaceError(Error, sqlite3.InterfaceError):
    """Misuse of the database interface rather than of the database."""


class DatabaseError(Error, sqlite3.DatabaseError):
    """Errors related to the database."""


class DataError(DatabaseError, sqlite3.DataError):
    """A value too big or otherwise unfit for the database."""


class OperationalError(DatabaseError, sqlite3.OperationalError):
    """SQL errors, busy/locked databases, lost leases, I/O failures."""


class IntegrityError(DatabaseError, sqlite3.IntegrityError):
    """A constraint (UNIQUE, NOT NULL, CHECK, FOREIGN KEY...) was violated."""


class InternalError(DatabaseError, sqlite3.InternalError):
    """SQLite reported an internal error."""


class ProgrammingError(DatabaseError, sqlite3.ProgrammingError):
    """Closed objects, wrong number or kind of parameters, several statements at once..."""


class NotSupportedError(DatabaseError, sqlite3.NotSupportedError):
    """A method or database API that is not supported."""


_ERRORS: list[tuple[type[BaseException], type[Error]]] = [
    (apsw.ConstraintError, IntegrityError),
    (apsw.MismatchError, IntegrityError),
    (apsw.TooBigError, DataError),
    (apsw.InternalError, InternalError),
    (apsw.NotFoundError, InternalError),
    (apsw.MisuseError, InterfaceError),
    (apsw.RangeError, InterfaceError),
    (apsw.BindingsError, ProgrammingError),
    (apsw.ConnectionClosedError, ProgrammingError),
    (apsw.CursorClosedError, ProgrammingError),
    (apsw.ThreadingViolationError, ProgrammingError),
    (apsw.CorruptError, DatabaseError),
    (apsw.NotADBError, DatabaseError),
    (apsw.FormatError, DatabaseError),
    (apsw.ExecutionCompleteError, ProgrammingError),
    (apsw.IncompleteExecutionError, ProgrammingError),
    # SQLITE_ERROR (syntax errors, no such table...), BUSY, LOCKED, IOERR (a fenced commit
    # included), CANTOPEN, READONLY, ABORT, INTERRUPT, FULL, PERM, PROTOCOL, SCHEMA...: as sqlite3
    (apsw.Error, OperationalError),
]


def _translate(exc: BaseException) -> BaseException:
    """This module's exception for an apsw one (other exceptions are returned unchanged)."""
    if isinstance(exc, Error) or not isinstance(exc, apsw.Error):
        return exc
    if isinstance(exc, apsw.NoMemError):
        return MemoryError(str(exc))
    cls = next(c for base, c in _ERRORS if isinstance(exc, base))
    out = cls(str(exc))
    code = getattr(exc, "extendedresult", None)
    if isinstance(code, int):
        out.sqlite_errorcode = code  # type: ignore[attr-defined]
        out.sqlite_errorname = (  # type: ignore[attr-defined]
            apsw.mapping_extended_result_codes.get(code)
            or apsw.mapping_result_codes.get(code & 0xFF, f"SQLITE_{code}"))
    out.__cause__ = exc
    return out


# -- types (PEP 249) ------------------------------------------------------------------------------
Date = datetime.date
Time = datetime.time
Timestamp = datetime.datetime
Binary = memoryview  # as sqlite3: binds as a BLOB, read back as bytes


def DateFromTicks(ticks: float) -> datetime.date:  # noqa: N802 - the PEP 249 name
    return Date(*time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> datetime.time:  # noqa: N802
    return Time(*time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> datetime.datetime:  # noqa: N802
    return Timestamp(*time.localtime(ticks)[:6])


class _TypeObject:
    """A PEP 249 type object: equal to the Python types and declared SQL types it stands for."""

    def __init__(self, name: str, *values: Any):
        self.name = name
        self.values: frozenset[Any] = frozenset(v.upper() if isinstance(v, str) else v for v in values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = other.upper()
        try:
            return other in self.values
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return self.name


STRING = _TypeObject("STRING", str, "TEXT", "CHAR", "VARCHAR", "CLOB")
BINARY = _TypeObject("BINARY", bytes, bytearray, memoryview, "BLOB")
NUMBER = _TypeObject("NUMBER", int, float, "INTEGER", "INT", "REAL", "FLOAT", "DOUBLE",
                     "NUMERIC")
DATETIME = _TypeObject("DATETIME", datetime.date, datetime.time, datetime.datetime, "DATE",
                       "TIME", "DATETIME", "TIMESTAMP")
ROWID = _TypeObject("ROWID", int, "INTEGER")


def _null_character() -> Exception:
    """sqlite3's error for SQL holding a NUL: ProgrammingError from Python 3.11, ValueError before."""
    msg = "the query contains a null character"
    return ProgrammingError(msg) if sys.version_info >= (3, 11) else ValueError(msg)


def _convert_binding(cursor: Any, num: int, value: Any) -> Any:
    """apsw's hook for values it cannot bind: sqlite3's default adapters, else the sqlite3 error."""
    if isinstance(value, datetime.datetime):
        return value.isoformat(" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if sys.version_info < (3, 11):  # the running Python's sqlite3 says it this way
        raise InterfaceError(f"Error binding parameter {num - 1} - probably unsupported type.")
    t = type(value)
    tname = t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
    raise ProgrammingError(f"Error binding parameter {num}: type '{tname}' is not supported")


# -- SQL text helpers -----------------------------------------------------------------------------
_WORD = re.compile(r"[A-Za-z]+")
_DML = frozenset(("INSERT", "UPDATE", "DELETE", "REPLACE"))
_LEVELS = ("", "DEFERRED", "IMMEDIATE", "EXCLUSIVE")


def _skip_blank(sql: str, pos: int = 0) -> int:
    """Index of the first character at or after ``pos`` that is not whitespace or a comment."""
    n = len(sql)
    while pos < n:
        ch = sql[pos]
        if ch.isspace():
            pos += 1
        elif sql.startswith("--", pos):
            nl = sql.find("\n", pos)
            pos = n if nl < 0 else nl + 1
        elif sql.startswith("/*", pos):
            end = sql.find("*/", pos + 2)
            pos = n if end < 0 else end + 2
        else:
            break
    return pos


def _keyword(sql: str) -> str:
    """The statement's first keyword, upper-cased ('' if none), as sqlite3 detects DML."""
    m = _WORD.match(sql, _skip_blank(sql))
    return m.group().upper() if m else ""


def _check_sql(sql: Any, what: str = "execute") -> None:
    if not isinstance(sql, str):
        raise TypeError(f"{what}() argument 1 must be str, not {type(sql).__name__}")
    if "\0" in sql:
        raise _null_character()
    i = sql.find(";")
    while i >= 0:
        if apsw.complete(sql[: i + 1]):  # end of the first statement (quotes, triggers...)
            if _skip_blank(sql, i + 1) < len(sql):
                if sys.version_info < (3, 11):  # the running Python's sqlite3 warns instead
                    raise Warning("You can only execute one statement at a time.")
                raise ProgrammingError("You can only execute one statement at a time.")
            return
        i = sql.find(";", i + 1)


def _bindings(params: Any) -> Any:
    """Parameters as apsw takes them: a dict for named parameters, else a sequence."""
    if isinstance(params, (tuple, list, dict)):
        return params
    if isinstance(params, Mapping):
        return dict(params)
    if hasattr(params, "__len__") and hasattr(params, "__getitem__"):
        return params
    if sys.version_info < (3, 11):
        raise ValueError("parameters are of unsupported type")
    raise ProgrammingError("parameters are of unsupported type")


_RowFactory = Callable[["Cursor", tuple[Any, ...]], Any]


class _TraceState:
    """What apsw's exec tracer records for a cursor, run before each execution."""

    __slots__ = ("db", "columns", "many", "runs", "changes")

    def __init__(self, db: apsw.Connection):
        self.db = db
        self.columns: tuple[Any, ...] | None = None  # None: nothing executed
        self.many = False
        self.runs = self.changes = 0

    def trace(self, cur: Any, sql: str, bindings: Any) -> bool:
        """Note the columns, count executemany's changes, and run the connection's own tracer
        (the VFS's, which notes whether the statement about to run writes)."""
        self.columns = cur.get_description()
        if self.many:
            if self.runs:  # the previous execution has completed
                self.changes += self.db.changes()
            self.runs += 1
        outer = self.db.exec_trace
        return bool(outer(cur, sql, bindings)) if outer is not None else True


# -- cursor ---------------------------------------------------------------------------------------
class Cursor:
    """A PEP 249 cursor (like :class:`sqlite3.Cursor`).  Use :meth:`Connection.cursor`."""

    def __init__(self, connection: Connection):
        if not isinstance(connection, Connection):
            raise TypeError(f"expected a Connection, not {type(connection).__name__}")
        connection._check()
        self.connection = connection
        self.arraysize: int = 1
        self.row_factory: _RowFactory | None = connection.row_factory
        self.rowcount: int = -1
        self.lastrowid: int | None = None
        self._description: tuple[tuple[Any, ...], ...] | None = None
        self._count_at_end = False  # a DML statement with RETURNING: rowcount set at the end
        self._closed = False
        # the apsw cursor's tracer must not refer back to this cursor: a cycle would keep a
        # dropped cursor's statement (and so its read lock) alive until the garbage collector runs
        self._state = state = _TraceState(connection._db)
        self._cur = connection._db.cursor()
        self._cur.exec_trace = state.trace

    # -- state ---------------------------------------------------------------------------------
    @property
    def description(self) -> tuple[tuple[Any, ...], ...] | None:
        """7-tuples ``(name, None, None, None, None, None, None)`` of the last statement's
        columns (as sqlite3), or None for a statement without columns."""
        return self._description

    def _check(self) -> None:
        self.connection._check()
        if self._closed:
            raise ProgrammingError("Cannot operate on a closed cursor.")

    # -- execution -----------------------------------------------------------------------------
    def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
        """Execute one SQL statement with ``?`` or ``:name`` parameters; returns this cursor.

        A DML statement outside a transaction first opens one (see the module docstring).
        Round trips: a transaction start costs one (plus page fetches not in the process cache);
        a statement inside a transaction costs none unless it reads uncached pages.
        """
        self._check()
        _check_sql(sql)
        params = _bindings(parameters)
        db = self.connection._db
        dml = _keyword(sql) in _DML
        self._reset()
        try:
            self.connection._begin_implicit(dml)
            self._cur.execute(sql, params)
        except KeyError as e:
            if isinstance(params, dict):
                raise ProgrammingError(
                    f"You did not supply a value for binding parameter :{e.args[0]}.") from e
            raise
        except apsw.Error as e:
            raise _translate(e) from e
        self._description = self._describe()
        if dml:  # with RETURNING, the count is known once the rows are all fetched (as sqlite3)
            self._count_at_end = self._description is not None
            self.rowcount = 0 if self._count_at_end else db.changes()
        self.lastrowid = db.last_insert_rowid()
        return self

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> Cursor:
        """Execute one DML statement once per parameter set, in one transaction (opened with
        ``BEGIN IMMEDIATE`` unless one is open or ``isolation_level`` is None).  The statement is
        prepared once; the rows reach Redis with the commit: 10,000 rows and a ``commit()`` cost
        about two round trips.  ``rowcount`` is the total number of rows changed."""
        self._check()
        _check_sql(sql, "executemany")
        if _keyword(sql) not in _DML:
            raise ProgrammingError("executemany() can only execute DML statements.")
        db = self.connection._db
        self._reset()
        rows = (_bindings(p) for p in seq_of_parameters)
        state = self._state
        state.many, state.runs, state.changes = True, 0, 0
        try:
            self.connection._begin_implicit(True)
            self._cur.executemany(sql, rows)
            changes = state.changes + (db.changes() if state.runs else 0)
        except apsw.Error as e:
            raise _translate(e) from e
        finally:
            state.many = False
        self._description = self._describe()
        self.rowcount = changes
        return self

    def executescript(self, sql_script: str, /) -> Cursor:
        """Commit any pending transaction, then run ``sql_script`` (several statements) as
        written, as :meth:`sqlite3.Cursor.executescript` does."""
        self._check()
        if not isinstance(sql_script, str):
            raise ValueError("script argument must be unicode.")
        if "\0" in sql_script:
            raise _null_character()
        self.connection.commit()
        self._reset()
        try:
            self._cur.execute(sql_script)
            for _ in self._cur:  # statements returning rows pause apsw until drained
                pass
        except apsw.Error as e:
            raise _translate(e) from e
        self._state.columns = ()
        return self

    def _reset(self) -> None:
        self._description = None
        self._state.columns = None
        self._count_at_end = False
        self.rowcount = -1

    def _describe(self) -> tuple[tuple[Any, ...], ...] | None:
        cols = self._state.columns
        if not cols:
            return None
        return tuple((name, None, None, None, None, None, None) for name, _decl in cols)

    # -- fetching ------------------------------------------------------------------------------
    def _ended(self) -> None:
        if self._count_at_end:
            self._count_at_end = False
            self.rowcount = self.connection._db.changes()

    def _row(self, row: tuple[Any, ...]) -> Any:
        factory = self.row_factory
        return factory(self, row) if factory is not None else row

    def fetchone(self) -> Any:
        """The next row, or None when there are no more."""
        self._check()
        try:
            row = self._cur.fetchone()
        except apsw.Error as e:
            raise _translate(e) from e
        if row is None:
            self._ended()
            return None
        return self._row(row)

    def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to ``size`` (default :attr:`arraysize`) next rows."""
        self._check()
        n = self.arraysize if size is None else size
        out: list[Any] = []
        try:
            for _ in range(n):
                row = self._cur.fetchone()
                if row is None:
                    self._ended()
                    break
                out.append(self._row(row))
        except apsw.Error as e:
            raise _translate(e) from e
        return out

    def fetchall(self) -> list[Any]:
        """All the remaining rows."""
        self._check()
        try:
            rows = self._cur.fetchall()
        except apsw.Error as e:
            raise _translate(e) from e
        self._ended()
        if self.row_factory is not None:
            return [self._row(row) for row in rows]
        return list(rows)

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    # -- PEP 249 odds and ends -----------------------------------------------------------------
    def setinputsizes(self, sizes: Any, /) -> None:
        """Does nothing (PEP 249 allows it)."""

    def setoutputsize(self, size: Any, column: Any = None, /) -> None:
        """Does nothing (PEP 249 allows it)."""

    def close(self) -> None:
        """Close the cursor; using it afterwards raises :class:`ProgrammingError`."""
        self.connection._check()
        if not self._closed:
            self._closed = True
            self._cur.close(True)


# -- connection -----------------------------------------------------------------------------------
class Connection:
    """A PEP 249 connection to a SQL database stored in Redis (like :class:`sqlite3.Connection`).

    Use :func:`connect`.  Not to be shared between threads (``threadsafety = 1``); with
    ``check_same_thread`` (the default) using it from another thread raises
    :class:`ProgrammingError`, as sqlite3 does.
    """

    Warning = Warning
    Error = Error
    InterfaceError = InterfaceError
    DatabaseError = DatabaseError
    DataError = DataError
    OperationalError = OperationalError
    IntegrityError = IntegrityError
    InternalError = InternalError
    ProgrammingError = ProgrammingError
    NotSupportedError = NotSupportedError

    def __init__(self, db: apsw.Connection, isolation_level: str | None = "IMMEDIATE",
                 check_same_thread: bool = True):
        self._db = db
        self._closed = False
        self._thread = threading.get_ident() if check_same_thread else None
        self._isolation_level: str | None = _check_level(isolation_level)
        self.row_factory: _RowFactory | None = None
        db.convert_binding = _convert_binding

    def _check(self) -> None:
        if self._closed:
            raise ProgrammingError("Cannot operate on a closed database.")
        if self._thread is not None and self._thread != threading.get_ident():
            raise ProgrammingError(
                "SQLite objects created in a thread can only be used in that same thread. The "
                f"object was created in thread id {self._thread} and this is thread id "
                f"{threading.get_ident()}.")

    def _run(self, sql: str) -> None:
        try:
            self._db.execute(sql)
        except apsw.Error as e:
            raise _translate(e) from e

    def _begin_implicit(self, dml: bool) -> None:
        if dml and self._isolation_level is not None and self._db.get_autocommit():
            self._db.execute(f"BEGIN {self._isolation_level}")

    # -- properties ----------------------------------------------------------------------------
    @property
    def isolation_level(self) -> str | None:
        """How DML opens transactions: "IMMEDIATE" (default), "DEFERRED", "EXCLUSIVE", "" (plain
        BEGIN) or None (autocommit, no implicit transactions; setting None commits a pending
        transaction, as sqlite3 does)."""
        self._check()
        return self._isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._check()
        level = _check_level(value)
        if level is None:
            self.commit()
        self._isolation_level = level

    @property
    def in_transaction(self) -> bool:
        """True while a transaction is open (not committed or rolled back yet)."""
        self._check()
        return not self._db.get_autocommit()

    @property
    def total_changes(self) -> int:
        """Rows changed by INSERT, UPDATE and DELETE since the connection was opened."""
        self._check()
        return int(self._db.total_changes())

    # -- PEP 249 -------------------------------------------------------------------------------
    def cursor(self, factory: Callable[[Connection], Cursor] = Cursor) -> Cursor:
        """A new cursor on this connection."""
        self._check()
        return factory(self)

    def commit(self) -> None:
        """Commit the pending transaction, if any: one round trip (the atomic commit script)."""
        self._check()
        if not self._db.get_autocommit():
            self._run("COMMIT")

    def rollback(self) -> None:
        """Discard the pending transaction, if any (no round trip: nothing reached Redis; the
        leases are released in the background)."""
        self._check()
        if not self._db.get_autocommit():
            self._run("ROLLBACK")

    def close(self) -> None:
        """Close the connection; a pending transaction is discarded (not committed), as in
        sqlite3.  Closing twice is allowed."""
        if self._closed:
            return
        if self._thread is not None:
            self._check()
        self._closed = True
        try:
            if not self._db.get_autocommit():
                self._db.execute("ROLLBACK")
        except apsw.Error:
            pass
        finally:
            self._db.close(True)

    # -- sqlite3 extensions --------------------------------------------------------------------
    def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
        """``self.cursor().execute(sql, parameters)``."""
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> Cursor:
        """``self.cursor().executemany(sql, seq_of_parameters)``."""
        return self.cursor().executemany(sql, seq_of_parameters)

    def executescript(self, sql_script: str, /) -> Cursor:
        """``self.cursor().executescript(sql_script)``."""
        return self.cursor().executescript(sql_script)

    def create_function(self, name: str, narg: int, func: Callable[..., Any] | None, *,
                        deterministic: bool = False) -> None:
        """Register a scalar SQL function for this connection (as sqlite3; None removes it)."""
        self._check()
        try:
            self._db.create_scalar_function(name, func, narg, deterministic=deterministic)
        except apsw.Error as e:
            raise _translate(e) from e

    def create_aggregate(self, name: str, n_arg: int, aggregate_class: Any) -> None:
        """Register an aggregate: a class with ``step(*args)`` and ``finalize()`` (as sqlite3)."""
        self._check()

        def factory() -> tuple[Any, Any, Any]:
            inst = aggregate_class()
            return inst, lambda ctx, *args: ctx.step(*args), lambda ctx: ctx.finalize()

        try:
            self._db.create_aggregate_function(name, factory, n_arg)
        except apsw.Error as e:
            raise _translate(e) from e

    def interrupt(self) -> None:
        """Abort the statement running on this connection (may be called from another thread)."""
        if self._closed:
            raise ProgrammingError("Cannot operate on a closed database.")
        self._db.interrupt()

    @property
    def apsw_connection(self) -> apsw.Connection:
        """The underlying ``apsw.Connection`` (for what this module does not wrap)."""
        self._check()
        return self._db

    def __enter__(self) -> Connection:
        self._check()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        """Commit if the block succeeded (rolling back if the commit fails), else roll back; the
        connection stays open, as in sqlite3."""
        if exc_type is None:
            try:
                self.commit()
            except BaseException:
                if not self._closed:
                    try:
                        self.rollback()
                    except Error:
                        pass
                raise
        elif not self._closed:
            self.rollback()


def _check_level(level: Any) -> str | None:
    if level is None:
        return None
    if not isinstance(level, str) or level.upper() not in _LEVELS:
        raise ValueError("isolation_level string must be '', 'DEFERRED', 'IMMEDIATE', or "
                         "'EXCLUSIVE'")
    return level.upper()


_UNSET: Any = object()


def connect(
    name: str,
    *,
    client: Any = None,
    create: bool = False,
    isolation_level: str | None = _UNSET,
    timeout: float = vfs.DEFAULT_BUSY_TIMEOUT,
    lease: float = vfs.DEFAULT_LEASE,
    check_same_thread: bool = True,
    isolation: str | None = _UNSET,
) -> Connection:
    """Open the SQL database ``name`` stored in Redis; a PEP 249 :class:`Connection`.

    ``client`` is the Redis client (default: vermilion's configured one); ``create=True``
    creates the database if it does not exist (else a missing one raises
    :class:`OperationalError`).  ``isolation_level`` (alias ``isolation``): how DML statements
    open transactions, default ``"IMMEDIATE"`` (writers must start with ``BEGIN IMMEDIATE`` on
    this VFS); ``None`` for autocommit mode.  ``timeout``: seconds to wait for a lock held by
    another connection (sqlite3's name for the busy timeout).  ``lease``: seconds a crashed
    holder of a lock can block others.  One round trip.
    """
    if isolation is not _UNSET:
        if isolation_level is not _UNSET:
            raise TypeError("connect() got both 'isolation_level' and its alias 'isolation'")
        isolation_level = isolation
    if isolation_level is _UNSET:
        isolation_level = "IMMEDIATE"
    level = _check_level(isolation_level)
    try:
        db = database.open_connection(name, client=client, create=create, lease=lease,
                                      busy_timeout=timeout)
    except apsw.Error as e:
        raise _translate(e) from e
    return Connection(db, level, check_same_thread)


__all__ = [
    "BINARY", "Binary", "Connection", "Cursor", "DATETIME", "DataError", "DatabaseError", "Date",
    "DateFromTicks", "Error", "IntegrityError", "InterfaceError", "InternalError", "NUMBER",
    "NotSupportedError", "OperationalError", "ProgrammingError", "ROWID", "STRING", "Time",
    "TimeFromTicks", "Timestamp", "TimestampFromTicks", "Warning", "apilevel", "connect",
    "paramstyle", "threadsafety",
]
