"""The DB-API connection, as :class:`sqlite3.Connection` behaves (see :mod:`vermilion.sql.dbapi`)."""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

import apsw

from ...core.executor import unavailable_window
from .. import database
from ..database import DEFAULT_BUSY_TIMEOUT, DEFAULT_LEASE
from . import callbacks
from .blob import Blob
from .cursor import Cursor, RowFactory, check_sql, too_big
from .errors import (
    NEW_MESSAGES,
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
    closed_database,
    translate,
)
from .names import resolve

LEGACY_TRANSACTION_CONTROL = -1
_LEVELS = ("", "DEFERRED", "IMMEDIATE", "EXCLUSIVE")
_UNSET: Any = object()
_LIMIT_MAX = apsw.SQLITE_LIMIT_WORKER_THREADS


def _check_level(level: Any) -> str | None:
    if level is None:
        return None
    if not isinstance(level, str):
        raise TypeError("isolation_level must be str or None")
    if str.upper(level) not in _LEVELS:
        raise ValueError("isolation_level string must be '', 'DEFERRED', 'IMMEDIATE', or "
                         "'EXCLUSIVE'")
    return level


def _check_autocommit(value: Any) -> int:
    if value is True or value is False or value == LEGACY_TRANSACTION_CONTROL and \
            isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    raise ValueError("autocommit must be True, False, or sqlite3.LEGACY_TRANSACTION_CONTROL")


def _drop_temporary(name: str, client: Any) -> None:
    """Drop a temporary (``":memory:"``) database: at close, collection or exit; best effort,
    with no wait for a server that is unavailable (its keys then stay behind)."""
    token = unavailable_window.set(0.0)
    try:
        database.drop(name, client=client)
    except Exception:  # noqa: BLE001 - best effort at exit / collection
        pass
    finally:
        unavailable_window.reset(token)


class Statement:
    """What ``connection(sql)`` returns: a checked statement (as sqlite3's ``Statement``, it
    cannot be created directly)."""

    __slots__ = ("sql",)
    sql: str

    def __new__(cls, *args: Any, **kwargs: Any) -> Statement:
        raise TypeError(f"cannot create '{cls.__module__}.{cls.__qualname__}' instances")

    @classmethod
    def _checked(cls, sql: str) -> Statement:
        obj = object.__new__(cls)
        obj.sql = sql
        return obj


class Connection:
    """A PEP 249 connection to a SQL database stored in Redis, as :class:`sqlite3.Connection`.

    Open one with :func:`vermilion.sql.dbapi.connect` (or construct it with the same arguments;
    subclasses may be passed as ``factory=``).  Not to be shared between threads unless
    ``check_same_thread=False``; with it (the default) using it from another thread raises
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

    _closed = True  # until __init__ has opened the database

    def __init__(self, database: str | bytes | os.PathLike[str], timeout: float = 5.0,
                 detect_types: int = 0, isolation_level: str | None = "",
                 check_same_thread: bool = True, factory: Any = None,
                 cached_statements: int = 128, uri: bool = False, *,
                 autocommit: int = LEGACY_TRANSACTION_CONTROL, client: Any = None,
                 create: bool = True, lease: float = DEFAULT_LEASE) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise TypeError(f"must be real number, not {type(timeout).__name__}")
        if not isinstance(detect_types, int):
            raise TypeError(f"'{type(detect_types).__name__}' object cannot be interpreted as "
                            "an integer")
        if not isinstance(cached_statements, int):
            raise TypeError(f"'{type(cached_statements).__name__}' object cannot be "
                            "interpreted as an integer")
        level = _check_level(isolation_level)
        mode = _check_autocommit(autocommit)
        target = resolve(database, bool(uri), create)
        # __init__ called again: the old database stays open for the cursors using it (as in
        # sqlite3), closed when they are gone
        self._closed = True
        try:
            db = database_open(target.name, client, target.create, lease, float(timeout))
        except apsw.Error as e:
            raise translate(e) from e
        db.convert_binding = _unsupported_binding
        self._db: apsw.Connection = db
        self._closed = False
        self._thread = threading.get_ident() if check_same_thread else None
        self._isolation_level = level
        self._autocommit = mode
        self._detect_types = detect_types
        self.row_factory: RowFactory | None = None
        self.text_factory: Any = str
        self._blobs: weakref.WeakSet[Blob] = weakref.WeakSet()
        # schema changes made through this connection, and the epoch at which a statement's
        # columns were last read afresh (see Cursor._describe)
        self._schema_epoch = 0
        self._described: dict[str, int] = {}
        self._descriptions: dict[tuple[Any, ...], tuple[tuple[Any, ...], ...]] = {}
        self._temp = None
        if target.temporary:
            self._temp = weakref.finalize(self, _drop_temporary, target.name, client)
        self._vfs_trace = db.exec_trace
        if target.readonly:
            db.execute("PRAGMA query_only=ON")
        if mode == 0:
            self._run("BEGIN")

    # -- checks --------------------------------------------------------------------------------
    def _check(self) -> None:
        if self._closed:
            if getattr(self, "_db", None) is None:
                raise ProgrammingError("Base Connection.__init__ not called.")
            raise closed_database()
        thread = self._thread
        if thread is not None and thread != threading.get_ident():
            raise ProgrammingError(
                "SQLite objects created in a thread can only be used in that same thread. The "
                f"object was created in thread id {thread} and this is thread id "
                f"{threading.get_ident()}.")

    def _run(self, sql: str) -> None:
        try:
            self._db.execute(sql)
        except callbacks.CallbackError as e:
            raise OperationalError(str(e)) from e.__cause__
        except apsw.Error as e:
            raise translate(e) from e

    @property
    def _legacy(self) -> bool:
        return self._autocommit == LEGACY_TRANSACTION_CONTROL

    def _begin_implicit(self, dml: bool) -> None:
        """sqlite3's legacy transaction control: a transaction opened before INSERT / UPDATE /
        DELETE / REPLACE.  It starts with ``BEGIN IMMEDIATE`` whatever the level ("", DEFERRED
        or IMMEDIATE: the statement that follows writes at once, so they differ only in when the
        writer lease is asked for; asking at BEGIN is what this VFS needs) or ``BEGIN
        EXCLUSIVE``."""
        if dml and self._autocommit == LEGACY_TRANSACTION_CONTROL \
                and self._isolation_level is not None and self._db.get_autocommit():
            # the statement that follows is a write, and the VFS's tracer sees that before the
            # first lock: a deferred BEGIN takes the writer lease as IMMEDIATE does
            self._db.execute("BEGIN " + self._isolation_level)

    # -- properties ----------------------------------------------------------------------------
    @property
    def isolation_level(self) -> str | None:
        """How DML opens transactions in legacy mode: "" (default), "DEFERRED", "IMMEDIATE",
        "EXCLUSIVE", or None (no implicit transactions; setting None commits a pending one)."""
        self._check()
        return self._isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._check()
        level = _check_level(value)
        if level is None and not self._db.get_autocommit():
            self._run("COMMIT")
        self._isolation_level = level

    @isolation_level.deleter
    def isolation_level(self) -> None:
        raise AttributeError("cannot delete attribute")

    @property
    def autocommit(self) -> int:
        """sqlite3's (3.12) transaction control: ``LEGACY_TRANSACTION_CONTROL`` (-1, default),
        True (no implicit transactions) or False (always in a transaction, PEP 249)."""
        self._check()
        return self._autocommit if self._legacy else bool(self._autocommit)

    @autocommit.setter
    def autocommit(self, value: int) -> None:
        self._check()
        mode = _check_autocommit(value)
        if mode == 1 and not self._db.get_autocommit():
            self._run("COMMIT")
        elif mode == 0 and self._db.get_autocommit():
            self._run("BEGIN")
        self._autocommit = mode

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

    @property
    def apsw_connection(self) -> apsw.Connection:
        """The underlying ``apsw.Connection`` (for what this module does not wrap)."""
        self._check()
        return self._db

    # -- PEP 249 -------------------------------------------------------------------------------
    def cursor(self, factory: Callable[[Connection], Cursor] = Cursor) -> Cursor:
        """A new cursor on this connection (``factory`` must return a :class:`Cursor`)."""
        self._check()
        cur = factory(self)
        if not issubclass(type(cur), Cursor):
            raise TypeError(f"factory must return a cursor, not {type(cur).__name__}")
        if self.row_factory is not None and cur.row_factory is None:
            cur.row_factory = self.row_factory
        return cur

    def commit(self) -> None:
        """Commit the pending transaction, if any: one round trip (the atomic commit script).
        With ``autocommit=False`` a new transaction is opened at once."""
        self._check()
        if self._autocommit == 1:
            return
        if not self._db.get_autocommit():
            self._run("COMMIT")
        if self._autocommit == 0:
            self._run("BEGIN")

    def rollback(self) -> None:
        """Discard the pending transaction, if any (no round trip: nothing reached Redis; the
        leases are released in the background)."""
        self._check()
        if self._autocommit == 1:
            return
        if not self._db.get_autocommit():
            self._run("ROLLBACK")
        if self._autocommit == 0:
            self._run("BEGIN")

    def close(self) -> None:
        """Close the connection; a pending transaction is discarded (not committed), as in
        sqlite3; a temporary database (``":memory:"``) is dropped.  Closing twice is allowed."""
        if self._closed:
            if getattr(self, "_db", None) is None:
                raise ProgrammingError("Base Connection.__init__ not called.")
            return
        self._check()
        self._closed = True
        for blob in list(self._blobs):
            blob._close_quietly()
        try:
            if not self._db.get_autocommit():
                self._db.execute("ROLLBACK")
        except (apsw.Error, callbacks.CallbackError):
            pass
        finally:
            self._db.close(True)
            if self._temp is not None:
                self._temp()

    # -- sqlite3 extensions --------------------------------------------------------------------
    def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
        """``self.cursor().execute(sql, parameters)``."""
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Cursor:
        """``self.cursor().executemany(sql, parameters)``."""
        return self.cursor().executemany(sql, parameters)

    def executescript(self, sql_script: str, /) -> Cursor:
        """``self.cursor().executescript(sql_script)``."""
        return self.cursor().executescript(sql_script)

    def __call__(self, *args: str) -> Statement:
        """A checked statement (sqlite3 compiles it here; so does this, to report errors)."""
        self._check()
        if len(args) != 1:
            raise TypeError(f"__call__() takes exactly 1 argument ({len(args)} given)")
        sql = args[0]
        if not isinstance(sql, str):
            raise TypeError(f"argument must be str, not {type(sql).__name__}")
        text = check_sql(sql)
        try:
            cur = self._db.cursor()
            cur.exec_trace = lambda *_: False  # prepare only: the tracer vetoes execution
            try:
                cur.execute(text)
            except apsw.ExecTraceAbort:
                pass
        except apsw.Error as e:
            raise too_big(self._db, text, e) from e
        return Statement._checked(text)

    def _description_of(self, cols: tuple[Any, ...]) -> tuple[tuple[Any, ...], ...]:
        """``cursor.description`` for apsw's ``(name, decltype)`` columns (one tuple per
        distinct set of columns: statements run again share it)."""
        description = self._descriptions.get(cols)
        if description is None:
            if len(self._descriptions) > 256:
                self._descriptions.clear()
            description = self._descriptions[cols] = tuple(
                (name, None, None, None, None, None, None) for name, _decl in cols)
        return description

    def _fresh_columns(self, sql: str, params: Any) -> tuple[Any, ...] | None:
        """The columns of ``sql`` as a new prepare sees them (not from the statement cache).
        Only after a schema change made through this connection, once per statement text; a
        prepare runs no statement (no round trip unless SQLite must read the schema again)."""
        seen: list[Any] = []

        def veto(cursor: Any, *_: Any) -> bool:
            seen.append(cursor.get_description())
            return False

        cur = self._db.cursor()
        cur.exec_trace = veto
        try:
            cur.execute(sql, params, can_cache=False)
        except apsw.ExecTraceAbort:
            pass
        except apsw.Error:
            return None
        finally:
            cur.close(True)
        if len(self._described) > 1024:
            self._described.clear()
        self._described[sql] = self._schema_epoch
        return seen[0] if seen else None

    def create_function(self, name: str, narg: int, func: Callable[..., Any] | None, *,
                        deterministic: bool = False) -> None:
        """Register a scalar SQL function (as sqlite3; None removes it).  An exception in it
        makes the statement fail with OperationalError."""
        self._check()
        wrapped = None if func is None else callbacks.scalar(func)
        try:
            self._db.create_scalar_function(name, wrapped, narg, deterministic=deterministic)
        except apsw.Error as e:
            raise OperationalError("Error creating function") from e

    def create_aggregate(self, name: str, n_arg: int, aggregate_class: Any) -> None:
        """Register an aggregate: a class with ``step(*args)`` and ``finalize()`` (as
        sqlite3: instantiated on the first row; over no rows the result is NULL)."""
        self._check()
        factory = None if aggregate_class is None else callbacks.aggregate(aggregate_class)
        try:
            self._db.create_aggregate_function(name, factory, n_arg)
        except apsw.Error as e:
            raise OperationalError("Error creating aggregate") from e

    def create_window_function(self, name: str, num_params: int, aggregate_class: Any,
                               /) -> None:
        """Register an aggregate window function: a class with ``step``, ``value``,
        ``inverse`` and ``finalize`` (as sqlite3; None removes it)."""
        self._check()
        factory = None if aggregate_class is None else callbacks.window(aggregate_class)
        try:
            self._db.create_window_function(name, factory, num_params)
        except apsw.Error as e:
            raise translate(e) from e

    def create_collation(self, name: str, callable: Callable[[str, str], int] | None,  # noqa: A002
                         /) -> None:
        """Register collation ``name`` (None removes it)."""
        self._check()
        if not isinstance(name, str):
            raise TypeError(f"create_collation() argument 1 must be str, not "
                            f"{type(name).__name__}")
        if callable is not None and not builtins_callable(callable):
            raise TypeError("parameter must be callable")
        try:
            self._db.create_collation(name, None if callable is None
                                      else callbacks.collation(callable))
        except apsw.Error as e:
            raise translate(e) from e

    def set_authorizer(self, authorizer_callback: Callable[..., int] | None) -> None:
        """Called for each action SQLite compiles: return ``SQLITE_OK``, ``SQLITE_DENY`` or
        ``SQLITE_IGNORE`` (an exception or another value denies).  None removes it."""
        self._check()
        if authorizer_callback is not None and not builtins_callable(authorizer_callback):
            raise TypeError("parameter must be callable")
        self._db.authorizer = (None if authorizer_callback is None
                               else callbacks.authorizer(authorizer_callback))

    def set_progress_handler(self, progress_handler: Callable[[], Any] | None,
                             n: int) -> None:
        """Call ``progress_handler`` every ``n`` SQLite instructions; a true result interrupts
        the statement (OperationalError).  None removes it."""
        self._check()
        if progress_handler is None or n <= 0:
            self._db.set_progress_handler(None)
            return
        self._db.set_progress_handler(callbacks.progress(progress_handler), n)

    def set_trace_callback(self, trace_callback: Callable[[str], Any] | None) -> None:
        """Call ``trace_callback(sql)`` for each statement SQLite runs (the expanded SQL, as
        sqlite3).  None removes it."""
        self._check()
        self._db.exec_trace = (self._vfs_trace if trace_callback is None
                               else callbacks.trace(trace_callback, self._vfs_trace))

    def enable_load_extension(self, enabled: bool, /) -> None:
        """Allow (or forbid) loading SQLite extensions."""
        self._check()
        self._db.enable_load_extension(bool(enabled))

    def load_extension(self, name: str, /, *, entrypoint: str | None = None) -> None:
        """Load a SQLite extension (after ``enable_load_extension(True)``)."""
        self._check()
        try:
            self._db.load_extension(name, entrypoint)
        except apsw.Error as e:
            raise translate(e) from e

    def interrupt(self) -> None:
        """Abort the statement running on this connection (may be called from another thread)."""
        if self._closed:
            raise closed_database()
        self._db.interrupt()

    def getlimit(self, category: int, /) -> int:
        """The connection's limit ``category`` (``SQLITE_LIMIT_*``)."""
        return self.setlimit(category, -1)

    def setlimit(self, category: int, limit: int, /) -> int:
        """Set limit ``category`` to ``limit`` (negative: unchanged); returns the old value."""
        self._check()
        if not isinstance(category, int) or not isinstance(limit, int):
            raise TypeError("'category' and 'limit' must be int")
        if not 0 <= category <= _LIMIT_MAX:
            raise ProgrammingError("'category' is out of bounds")
        try:
            return int(self._db.limit(category, limit))
        except (apsw.Error, ValueError, OverflowError) as e:
            raise ProgrammingError("'category' is out of bounds") from e

    def getconfig(self, op: int, /) -> bool:
        """The boolean database configuration option ``op`` (``SQLITE_DBCONFIG_*``)."""
        self._check()
        try:
            return bool(self._db.config(op, -1))
        except (apsw.Error, ValueError) as e:
            raise ValueError(f"unknown config 'op': {op}") from e

    def setconfig(self, op: int, enable: bool = True, /) -> bool:
        """Set the boolean database configuration option ``op``; returns its new value."""
        self._check()
        try:
            return bool(self._db.config(op, 1 if enable else 0))
        except (apsw.Error, ValueError) as e:
            raise ValueError(f"unknown config 'op': {op}") from e

    # -- blobs, backup, (de)serialization, dump ------------------------------------------------
    def blobopen(self, table: str, column: str, row: int, /, *, readonly: bool = False,
                 name: str = "main") -> Blob:
        """A :class:`Blob` on one BLOB value (incremental I/O, as sqlite3).  The blob's writes
        take the writer lease; outside a transaction each is its own commit."""
        self._check()
        try:
            handle = self._db.blob_open(name, table, column, row, not readonly)
        except apsw.Error as e:
            raise translate(e) from e
        blob = Blob._opened(self, handle)
        self._blobs.add(blob)
        return blob

    def backup(self, target: Any, *, pages: int = -1,
               progress: Callable[[int, int, int], Any] | None = None, name: str = "main",
               sleep: float = 0.250) -> None:
        """Copy database ``name`` into ``target``: another vermilion connection (an apsw
        backup, the target's commit is one round trip) or a stdlib :class:`sqlite3.Connection`
        (through a temporary file: sqlite3's own backup runs from it).  ``progress(status,
        remaining, total)`` is called after each step of ``pages`` pages."""
        self._check()
        if progress is not None and not builtins_callable(progress):
            raise TypeError("progress argument must be a callable")
        if isinstance(target, sqlite3.Connection):
            self._backup_to_stdlib(target, pages, progress, name, sleep)
            return
        if not isinstance(target, Connection):
            raise TypeError(f"backup() argument 'target' must be vermilion.sql.dbapi."
                            f"Connection or sqlite3.Connection, not {type(target).__name__}")
        if target is self:
            raise ValueError("target cannot be the same connection instance")
        if target._closed:  # (as sqlite3: the target's thread is not checked)
            raise closed_database()
        if not target._db.get_autocommit():
            raise OperationalError("target is in transaction")
        step = pages if pages > 0 else -1
        try:
            with target._db.backup("main", self._db, name) as job:
                while not job.done:
                    job.step(step)
                    if progress is not None:
                        progress(apsw.SQLITE_DONE if job.done else apsw.SQLITE_OK,
                                 job.remaining, job.page_count)
        except apsw.Error as e:
            raise translate(e) from e

    def _backup_to_stdlib(self, target: sqlite3.Connection, pages: int,
                          progress: Any, name: str, sleep: float) -> None:
        data = self.serialize(name=name)
        fd, path = tempfile.mkstemp(prefix="vermilion-backup-", suffix=".db")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            source = sqlite3.connect(path)
            try:
                source.backup(target, pages=pages, progress=progress, sleep=sleep)
            finally:
                source.close()
        finally:
            os.unlink(path)

    def serialize(self, *, name: str = "main") -> bytes:
        """The database ``name`` as the bytes of a SQLite file (a consistent copy)."""
        self._check()
        try:
            data = self._db.serialize(name)
        except apsw.Error as e:
            raise translate(e) from e
        if data is None:
            raise OperationalError(f"unable to serialize database {name!r}")
        return bytes(data)

    def deserialize(self, data: bytes, /, *, name: str = "main") -> None:
        """Replace database ``name`` with the SQLite file ``data`` (bytes-like): its pages are
        written into Redis in one atomic commit."""
        self._check()
        try:
            view = memoryview(data)
        except TypeError:
            raise TypeError(f"a bytes-like object is required, not '{type(data).__name__}'") \
                from None
        if not view.c_contiguous:
            raise BufferError("underlying buffer is not C-contiguous")
        buffer = view.tobytes()
        if not self._db.get_autocommit():
            raise OperationalError("cannot deserialize while a transaction is open")
        source = apsw.Connection(":memory:")
        try:
            source.deserialize("main", buffer)
            source.execute("PRAGMA schema_version").fetchall()  # reject what is not a database
            with self._db.backup(name, source, "main") as job:
                job.step(-1)
        except apsw.Error as e:
            raise translate(e) from e
        finally:
            source.close()

    def iterdump(self, *, filter: str | None = None) -> Iterator[str]:  # noqa: A002
        """The database as SQL text, statement by statement (sqlite3's own dump code)."""
        self._check()
        from sqlite3.dump import _iterdump  # type: ignore[attr-defined]

        if filter is None:
            return _iterdump(self)  # type: ignore[no-any-return]
        return _iterdump(self, filter=filter)  # type: ignore[no-any-return]

    # -- context manager -----------------------------------------------------------------------
    def __enter__(self) -> Connection:
        self._check()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Literal[False]:
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
        return False


def _unsupported_binding(cursor: Any, num: int, value: Any) -> Any:
    """apsw's hook for a value it cannot bind (after adaptation): sqlite3's error."""
    if not NEW_MESSAGES:  # the running Python's sqlite3 says it this way
        raise InterfaceError(f"Error binding parameter {num - 1} - probably unsupported type.")
    t = type(value)
    tname = t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
    raise ProgrammingError(f"Error binding parameter {num}: type '{tname}' is not supported")


def builtins_callable(obj: Any) -> bool:
    return callable(obj)


def database_open(name: str, client: Any, create: bool, lease: float,
                  timeout: float) -> apsw.Connection:
    """An apsw connection on database ``name`` stored in Redis (one round trip)."""
    return database.open_connection(name, client=client, create=create, lease=lease,
                                    busy_timeout=timeout)


def connect(database: str | bytes | os.PathLike[str], timeout: float = DEFAULT_BUSY_TIMEOUT,
            detect_types: int = 0, isolation_level: str | None = "",
            check_same_thread: bool = True, factory: type[Connection] | None = None,
            cached_statements: int = 128, uri: bool = False, *,
            autocommit: int = LEGACY_TRANSACTION_CONTROL, client: Any = None,
            create: bool = True, lease: float = DEFAULT_LEASE,
            isolation: Any = _UNSET) -> Connection:
    """Open the SQL database ``database`` stored in Redis; a :class:`Connection` (sqlite3's
    arguments, in sqlite3's order).

    ``database`` is a name (a path is a name: no file is touched); ``":memory:"`` or ``""`` is
    a private temporary database, dropped when the connection closes.  The database is created
    if missing (``create=False``, or ``uri=True`` with ``mode=rw``, refuses).  ``client``: the
    Redis client (default: vermilion's configured one).  ``timeout``: seconds to wait for a
    lock held by another connection.  ``lease``: seconds a crashed holder of a lock can block
    others.  ``isolation`` is an alias of ``isolation_level``.  One round trip.
    """
    if isolation is not _UNSET:
        if isolation_level != "":
            raise TypeError("connect() got both 'isolation_level' and its alias 'isolation'")
        isolation_level = isolation
    cls = Connection if factory is None else factory
    extra: dict[str, Any] = {}
    if autocommit != LEGACY_TRANSACTION_CONTROL:
        extra["autocommit"] = autocommit
    if client is not None:
        extra["client"] = client
    if create is not True:
        extra["create"] = create
    if lease != DEFAULT_LEASE:
        extra["lease"] = lease
    conn = cls(database, timeout=timeout, detect_types=detect_types,
               isolation_level=isolation_level, check_same_thread=check_same_thread,
               factory=factory, cached_statements=cached_statements, uri=uri, **extra)
    return conn


__all__ = ["Connection", "LEGACY_TRANSACTION_CONTROL", "Statement", "connect"]
