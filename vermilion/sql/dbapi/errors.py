"""sqlite3's exceptions, raised for what apsw reports.

The classes *are* :mod:`sqlite3`'s own (``vermilion.sql.dbapi.OperationalError is
sqlite3.OperationalError``), so ``except sqlite3.Error`` and identity checks such as
``cx.Warning is sqlite3.Warning`` hold for code moved from sqlite3.  :func:`translate` maps an
apsw exception to the class sqlite3 raises for the same SQLite result code, with
``sqlite_errorcode`` / ``sqlite_errorname`` set as sqlite3 does and the apsw exception as
``__cause__``.
"""

from __future__ import annotations

import sqlite3
import sys
from sqlite3 import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,  # noqa: A004 - the PEP 249 name
)

import apsw

NEW_MESSAGES = sys.version_info >= (3, 11)  # the wording of the running Python's sqlite3

_BY_APSW: list[tuple[type[BaseException], type[Exception]]] = [
    (apsw.ConstraintError, IntegrityError),
    (apsw.MismatchError, IntegrityError),
    (apsw.TooBigError, DataError),
    (apsw.RangeError, ProgrammingError),
    (apsw.InternalError, InternalError),
    (apsw.NotFoundError, InternalError),
    (apsw.MisuseError, ProgrammingError),
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
    # included), CANTOPEN, READONLY, ABORT, INTERRUPT, FULL, PERM, PROTOCOL, SCHEMA...
    (apsw.Error, OperationalError),
]


def _message(exc: BaseException) -> str:
    """apsw's message without its ``XxxError: `` prefix (sqlite3 shows SQLite's text only)."""
    text = str(exc)
    name = type(exc).__name__
    if text.startswith(name + ": "):
        return text[len(name) + 2:]
    return text


def translate(exc: BaseException) -> BaseException:
    """sqlite3's exception for an apsw one (other exceptions are returned unchanged)."""
    if isinstance(exc, sqlite3.Error) or not isinstance(exc, apsw.Error):
        return exc
    if isinstance(exc, apsw.NoMemError):
        return MemoryError(_message(exc))
    cls = next(c for base, c in _BY_APSW if isinstance(exc, base))
    out = cls(_message(exc))
    code = getattr(exc, "extendedresult", None)
    if isinstance(code, int):
        out.sqlite_errorcode = code  # type: ignore[attr-defined]
        out.sqlite_errorname = (  # type: ignore[attr-defined]
            apsw.mapping_extended_result_codes.get(code)
            or apsw.mapping_result_codes.get(code & 0xFF, f"SQLITE_{code}"))
    out.__cause__ = exc
    return out


def closed_database() -> ProgrammingError:
    return ProgrammingError("Cannot operate on a closed database.")


def null_character() -> Exception:
    """sqlite3's error for SQL holding a NUL: ProgrammingError from Python 3.11, ValueError before."""
    msg = "the query contains a null character"
    return ProgrammingError(msg) if NEW_MESSAGES else ValueError(msg)


__all__ = [
    "DataError", "DatabaseError", "Error", "IntegrityError", "InterfaceError", "InternalError",
    "NotSupportedError", "OperationalError", "ProgrammingError", "Warning", "closed_database",
    "null_character", "translate",
]
