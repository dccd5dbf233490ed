"""Errors of the SQL database API (:mod:`vermilion.sql.api`).

Each names the database involved (``.database``) and carries its Redis meta key (``.key``).
Errors that SQLite itself reports (syntax errors, constraint violations, wrong number of
bindings...) stay the ``apsw`` exceptions SQLite users know.
"""

from __future__ import annotations

from ..core.errors import VermilionError


def _meta_key(database: str) -> str:
    return f"vermilion:sql:{{{database}}}:meta"


class SQLDatabaseError(VermilionError):
    """Base class of the SQL database API's errors; ``database`` is the database's name."""

    def __init__(self, message: str, *, database: str, command: str | None = None):
        super().__init__(message, key=_meta_key(database), command=command)
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
    "DatabaseExists", "NoSuchDatabase", "NoSuchStatement", "QueryTimeout", "ReadOnlyViolation",
    "SQLDatabaseError", "StatementExists",
]
