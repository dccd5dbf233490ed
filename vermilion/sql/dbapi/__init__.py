"""A drop-in for :mod:`sqlite3` whose databases are stored in Redis (PEP 249, DB-API 2.0).

Code written for ``sqlite3`` runs by changing its import::

    from vermilion.sql import dbapi as sqlite3

    with sqlite3.connect("orders") as conn:   # commits on success, rolls back on error
        conn.execute("CREATE TABLE IF NOT EXISTS item(id INTEGER PRIMARY KEY, name TEXT)")
        conn.executemany("INSERT INTO item(name) VALUES (?)", [("pen",), ("ink",)])
    conn.execute("SELECT name FROM item WHERE id = :id", {"id": 1}).fetchone()

SQLite runs in this process (apsw); its pages and locks live in Redis.  Everything sqlite3
offers is here with sqlite3's signatures, results and exceptions (the exception classes *are*
sqlite3's): ``Row``, ``detect_types`` with ``register_adapter`` / ``register_converter`` (the
same registries as sqlite3's), ``text_factory``, user functions, aggregates, window functions,
collations, the authorizer, progress handler and trace callback, ``blobopen``, ``backup``,
``serialize`` / ``deserialize``, ``iterdump``, limits, ``factory=`` subclasses, ``uri=``.
The deliberate differences: ``database`` is a name in Redis, not a file (``":memory:"`` is a
private temporary database, dropped on close); WAL mode is refused (Redis is the journal).

Transactions follow sqlite3's legacy control by default: an ``INSERT`` / ``UPDATE`` /
``DELETE`` / ``REPLACE`` outside a transaction opens one (with ``BEGIN IMMEDIATE``: the writer
lease is taken by the round trip that starts the transaction, which this VFS needs to keep
writers from deadlocking), :meth:`Connection.commit` ends it; other statements run in
autocommit mode.  ``isolation_level=None`` or ``autocommit=True`` means no implicit
transactions; ``autocommit=False`` keeps one always open (PEP 249).

Round trips: a transaction start is one (plus batched fetches of pages this process has not
cached); a commit is one, whatever its size (one atomic Lua script).  An implicit-transaction
write plus ``commit()`` costs two, a read on a warm cache one, ``executemany`` of 10,000 rows
plus ``commit()`` about two.
"""

from __future__ import annotations

import datetime
import sqlite3 as _stdlib
import sys
import time
import warnings
from typing import Any

import apsw

from .blob import Blob
from .callbacks import enable_callback_tracebacks
from .connection import LEGACY_TRANSACTION_CONTROL, Connection, Statement, connect
from .cursor import Cursor
from .errors import (
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
)
from .values import (
    PARSE_COLNAMES,
    PARSE_DECLTYPES,
    PrepareProtocol,
    Row,
    adapt,
    adapters,
    converters,
    register_adapter,
    register_converter,
)

apilevel = "2.0"
threadsafety = 1  # threads may share the module, not connections
paramstyle = "qmark"  # named (:name) parameters are accepted too, as in sqlite3
version: str = getattr(_stdlib, "version", "2.6.0")
version_info: tuple[int, ...] = tuple(int(p) for p in version.split("."))
sqlite_version: str = apsw.sqlite_lib_version()
sqlite_version_info: tuple[int, int, int] = tuple(  # type: ignore[assignment]
    int(part) for part in sqlite_version.split(".")[:3])

# sqlite3's integer constants (SQLITE_OK, SQLITE_DENY, SQLITE_LIMIT_*, action codes, error
# codes...): the same values, whichever this Python's sqlite3 defines
SQLITE_OK: int = _stdlib.SQLITE_OK
SQLITE_DENY: int = _stdlib.SQLITE_DENY
SQLITE_IGNORE: int = _stdlib.SQLITE_IGNORE
globals().update({name: value for name, value in vars(_stdlib).items()
                  if name.startswith("SQLITE_") and isinstance(value, int)})


def __getattr__(name: str) -> Any:
    if name == "OptimizedUnicode" and sys.version_info < (3, 12):
        # sqlite3's deprecated alias of str (gone in 3.12), with sqlite3's warning
        warnings.warn("OptimizedUnicode is deprecated and will be removed in Python 3.12. "
                      "Since Python 3.3 it has simply been an alias for 'str'.",
                      DeprecationWarning, stacklevel=2)
        return str
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def complete_statement(statement: str) -> bool:
    """True if ``statement`` holds one or more complete SQL statements (ends with ';' outside
    quotes, comments and triggers)."""
    if not isinstance(statement, str):
        raise TypeError(f"complete_statement() argument 'statement' must be str, not "
                        f"{type(statement).__name__}")
    return bool(apsw.complete(statement))


def enable_shared_cache(enable: int) -> None:
    """Deprecated in sqlite3 and meaningless here (each connection has its own pages cache,
    validated against Redis): accepted and ignored."""
    warnings.warn("enable_shared_cache is deprecated", DeprecationWarning, stacklevel=2)


# -- PEP 249 types ------------------------------------------------------------------------------
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
        self.values: frozenset[Any] = frozenset(
            v.upper() if isinstance(v, str) else v for v in values)

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

__all__ = [
    "BINARY", "Binary", "Blob", "Connection", "Cursor", "DATETIME", "DataError",
    "DatabaseError", "Date", "DateFromTicks", "Error", "IntegrityError", "InterfaceError",
    "InternalError", "LEGACY_TRANSACTION_CONTROL", "NUMBER", "NotSupportedError",
    "OperationalError", "PARSE_COLNAMES", "PARSE_DECLTYPES", "PrepareProtocol",
    "ProgrammingError", "ROWID", "Row", "STRING", "SQLITE_DENY", "SQLITE_IGNORE", "SQLITE_OK",
    "Statement", "Time", "TimeFromTicks", "Timestamp", "TimestampFromTicks", "Warning", "adapt",
    "adapters", "apilevel", "complete_statement", "connect", "converters",
    "enable_callback_tracebacks", "enable_shared_cache", "paramstyle", "register_adapter",
    "register_converter", "sqlite_version", "sqlite_version_info", "threadsafety", "version",
    "version_info",
]
