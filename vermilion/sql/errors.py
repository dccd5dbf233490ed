"""Errors of the SQL layer.

The database API's errors (:mod:`vermilion.sql.api`) each name the database involved
(``.database``) and carry its Redis meta key (``.key``).  Errors that SQLite itself reports
(syntax errors, constraint violations, wrong number of bindings...) stay the ``apsw`` exceptions
SQLite users know; the VFS adds :class:`FencedError` to them.  Opening a database on a server
that may evict its keys raises :class:`UnsafeServerError`.
"""

from __future__ import annotations

import apsw

from ..core.errors import VermilionError
from .keys import meta_key


class FencedError(apsw.IOError):  # type: ignore[misc]
    """The commit was refused: this writer's lease expired and another writer may have taken it."""


class UnsafeServerError(VermilionError):
    """The Redis server is configured in a way that can lose or corrupt a SQL database."""


class UncheckedServerWarning(UserWarning):
    """The server's eviction policy could not be read (CONFIG refused)."""


class SQLDatabaseError(VermilionError):
    """Base class of the SQL database API's errors; ``database`` is the database's name."""

    def __init__(self, message: str, *, database: str, command: str | None = None):
        super().__init__(message, key=meta_key(database), command=command)
        self.database = database


class DatabaseExists(SQLDatabaseError, FileExistsError):
    """``create_db`` (or ``copy`` / ``import_from``) found the database already there."""


class NoSuchDatabase(SQLDatabaseError, FileNotFoundError):
    """The database does not exist (never created, or dropped)."""


class StatementExists(SQLDatabaseError, ValueError):
    """``create_statement`` with a name the database already stores a statement under."""

    def __init__(self, message: str, *, database: str, statement: str):
        super().__init__(message, database=database)
        self.statement = statement


class NoSuchStatement(SQLDatabaseError, LookupError):
    """No statement of that name is stored in the database."""

    def __init__(self, message: str, *, database: str, statement: str):
        super().__init__(message, database=database)
        self.statement = statement


class ReadOnlyViolation(SQLDatabaseError):
    """A read-only entry point (``query``, ``query_statement``, ``query_into``) was given a
    statement that SQLite reports as not read-only (it writes, attaches, controls transactions,
    or sets a PRAGMA: see :meth:`~vermilion.sql.api.Database.query`).  The refused statement
    had no effect."""

    def __init__(self, message: str, *, database: str, sql: str):
        super().__init__(message, database=database)
        self.sql = sql


class QueryTimeout(SQLDatabaseError, TimeoutError):
    """A read-only query ran past its ``timeout=`` and was interrupted (SQLite's progress
    handler); its read transaction ended and nothing it did remains."""

    def __init__(self, message: str, *, database: str, sql: str, timeout: float):
        super().__init__(message, database=database)
        self.sql = sql
        self.timeout = timeout


__all__ = [
    "DatabaseExists", "FencedError", "NoSuchDatabase", "NoSuchStatement", "QueryTimeout",
    "ReadOnlyViolation", "SQLDatabaseError", "StatementExists", "UncheckedServerWarning",
    "UnsafeServerError",
]
