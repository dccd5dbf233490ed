"""The DB-API cursor, as :class:`sqlite3.Cursor` behaves (see :mod:`vermilion.sql.dbapi`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import apsw

from .. import statements
from .callbacks import CallbackError
from .errors import (
    NEW_MESSAGES,
    DataError,
    OperationalError,
    ProgrammingError,
    Warning,
    null_character,
    translate,
)
from .values import bindings, column_converter, column_name, row_maker

if TYPE_CHECKING:
    from .connection import Connection

RowFactory = Callable[["Cursor", tuple[Any, ...]], Any]
_DDL = frozenset(("CREATE", "ALTER", "DROP"))


def check_sql(sql: Any, what: str = "execute") -> str:
    """The text to hand apsw: ``sql`` checked as sqlite3 checks it (a str without NUL holding
    one statement; blanks and comments after it are dropped)."""
    if not isinstance(sql, str):
        raise TypeError(f"{what}() argument 1 must be str, not {type(sql).__name__}")
    if "\0" in sql:
        raise null_character()
    i = sql.find(";")
    while i >= 0:
        if apsw.complete(sql[: i + 1]):  # end of the first statement (quotes, triggers...)
            if statements.skip_blank(sql, i + 1) < len(sql):
                if not NEW_MESSAGES:  # the running Python's sqlite3 warns instead
                    raise Warning("You can only execute one statement at a time.")
                raise ProgrammingError("You can only execute one statement at a time.")
            return sql[: i + 1]
        i = sql.find(";", i + 1)
    return sql


def _callback_failed(e: CallbackError) -> BaseException:
    out = e.error_class(str(e))
    out.__cause__ = e.__cause__
    return out


def too_big(db: apsw.Connection, sql: str, e: apsw.Error) -> BaseException:
    """sqlite3's DataError for SQL longer than SQLITE_LIMIT_SQL_LENGTH, else the translation."""
    if isinstance(e, apsw.TooBigError) and len(sql.encode()) >= db.limit(
            apsw.SQLITE_LIMIT_SQL_LENGTH, -1):
        out = DataError("query string is too large")
        out.__cause__ = e
        return out
    return translate(e)


# what a statement can raise through apsw: turned into sqlite3's exceptions by Cursor._error
FAILURES = (CallbackError, apsw.Error, OverflowError, UnicodeDecodeError)


class _TraceState:
    """What apsw's exec tracer records for a cursor, run before each execution.  It must not
    refer back to the cursor: a cycle would keep a dropped cursor's statement (and so its read
    lease) alive until the garbage collector runs."""

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


def _connection_class() -> type[Connection]:
    from .connection import Connection  # (a cycle: the connection module makes cursors)

    return Connection


class Cursor:
    """A PEP 249 cursor, as :class:`sqlite3.Cursor`.  Use :meth:`Connection.cursor`."""

    def __init__(self, connection: Connection, /) -> None:
        if getattr(self, "_busy", False):
            raise ProgrammingError("Recursive use of cursors not allowed.")
        if not issubclass(type(connection), _connection_class()):
            raise TypeError(f"argument 1 must be vermilion.sql.dbapi.Connection, not "
                            f"{type(connection).__name__}")
        connection._check()
        self._connection = connection
        self.arraysize: int = 1
        self.row_factory: RowFactory | None = connection.row_factory
        self.rowcount: int = -1
        self.lastrowid: int | None = None
        self._description: tuple[tuple[Any, ...], ...] | None = None
        self._make: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None
        self._convs: list[Any] | None = None  # the columns' converters (detect_types)
        self._text_factory: Any = str  # the connection's when _make was built
        self._closed = False
        self._busy = False
        self._buffer: list[Any] | None = None  # the rows of a DML statement with RETURNING
        self._state = state = _TraceState(connection._db)
        self._cur = connection._db.cursor()
        self._cur.exec_trace = state.trace

    @property
    def connection(self) -> Connection:
        """The connection this cursor belongs to (read-only)."""
        return self._connection

    @property
    def description(self) -> tuple[tuple[Any, ...], ...] | None:
        """7-tuples ``(name, None, None, None, None, None, None)`` of the last statement's
        columns (as sqlite3), or None for a statement without columns."""
        return self._description

    def _check(self) -> None:
        if not hasattr(self, "_state"):
            raise ProgrammingError("Base Cursor.__init__ not called.")
        self._connection._check()
        if self._closed:
            raise ProgrammingError("Cannot operate on a closed cursor.")
        if self._busy:
            raise ProgrammingError("Recursive use of cursors not allowed.")

    # -- execution -----------------------------------------------------------------------------
    def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
        """Execute one SQL statement with ``?`` or ``:name`` parameters; returns this cursor.

        A DML statement outside a transaction first opens one (see the package docstring).
        Round trips: a transaction start costs one (plus page fetches not in the process cache);
        a statement inside a transaction costs none unless it reads uncached pages.
        """
        self._check()
        text = check_sql(sql)
        params = bindings(parameters)
        conn = self._connection
        db = conn._db
        keyword = statements.first_keyword(text)
        dml = keyword in statements.DML
        self._reset()
        self._busy = True
        try:
            conn._begin_implicit(dml)
            self._cur.execute(text, params)
        except FAILURES as e:
            err = self._error(e, text)
            raise err from err.__cause__
        finally:
            self._busy = False
        if keyword in _DDL:
            conn._schema_epoch += 1
        self._describe(text, params)
        if dml:
            if self._description is not None:
                # RETURNING: SQLite made every change in the first step and holds the rows;
                # reading them now completes the statement, so rowcount is right at once
                self._buffer = self._take_all()
            self.rowcount = db.changes()
        self.lastrowid = db.last_insert_rowid()
        return self

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> Cursor:
        """Execute one DML statement once per parameter set, in one transaction (opened with
        ``BEGIN IMMEDIATE`` unless one is open or transactions are not implicit).  The statement
        is prepared once; the rows reach Redis with the commit: 10,000 rows and a ``commit()``
        cost about two round trips.  ``rowcount`` is the total number of rows changed."""
        self._check()
        text = check_sql(sql, "executemany")
        if not statements.is_dml(text):
            raise ProgrammingError("executemany() can only execute DML statements.")
        conn = self._connection
        db = conn._db
        self._reset()
        rows = (bindings(p) for p in iter(seq_of_parameters))
        state = self._state
        state.many, state.runs, state.changes = True, 0, 0
        self._busy = True
        try:
            conn._begin_implicit(True)
            self._cur.executemany(text, rows)
            changes = state.changes + (db.changes() if state.runs else 0)
        except FAILURES as e:
            err = self._error(e, text)
            raise err from err.__cause__
        finally:
            state.many = False
            self._busy = False
        self._describe(text, None)
        self.rowcount = changes
        return self

    def executescript(self, sql_script: str, /) -> Cursor:
        """Run ``sql_script`` (several statements) as written; in sqlite3's legacy transaction
        control a pending transaction is committed first."""
        self._check()
        if not isinstance(sql_script, str):
            if NEW_MESSAGES:
                raise TypeError(f"executescript() argument must be str, not "
                                f"{type(sql_script).__name__}")
            raise ValueError("script argument must be unicode.")
        if "\0" in sql_script:
            raise ValueError("the query contains a null character")
        conn = self._connection
        if conn._legacy:
            conn.commit()
        self._reset()
        self._busy = True
        try:
            self._cur.execute(sql_script)
            for _ in self._cur:  # statements returning rows pause apsw until drained
                pass
        except FAILURES as e:
            err = self._error(e, sql_script)
            raise err from err.__cause__
        finally:
            self._busy = False
        self._state.columns = ()
        conn._schema_epoch += 1  # (a script may change the schema)
        return self

    def _reset(self) -> None:
        self._description = None
        self._make = None
        self._convs = None
        self._text_factory = str
        self._buffer = None
        self._state.columns = None
        self.rowcount = -1

    def _describe(self, sql: str, params: Any) -> None:
        """``description`` and the row conversions from the columns the tracer saw."""
        cols = self._state.columns
        conn = self._connection
        if cols and conn._schema_epoch and conn._described.get(sql) != conn._schema_epoch:
            # the schema changed through this connection since this text was described: the
            # statement cache's columns may predate it (SQLite re-prepares on the first step,
            # apsw keeps the old description): read them from a new prepare, once per change
            cols = conn._fresh_columns(sql, params) or cols
        if not cols:
            return
        detect = conn._detect_types
        if detect:
            self._description = tuple((column_name(name, detect), None, None, None, None, None,
                                       None) for name, _decl in cols)
            convs = [column_converter(name, decl, detect) for name, decl in cols]
            self._convs = convs if any(convs) else None
        else:
            self._description = conn._description_of(cols)
            self._convs = None
        self._remake()

    def _remake(self) -> None:
        self._text_factory = self._connection.text_factory
        self._make = row_maker(self._convs, self._text_factory)

    # -- fetching ------------------------------------------------------------------------------
    def _row(self, row: tuple[Any, ...]) -> Any:
        make = self._make
        if make is not None:
            row = make(row)
        factory = self.row_factory
        return factory(self, row) if factory is not None else row

    def _take_all(self) -> list[Any]:
        try:
            rows = self._cur.fetchall()
        except FAILURES as e:
            err = self._error(e)
            raise err from err.__cause__
        return rows if isinstance(rows, list) else list(rows)

    def _error(self, e: BaseException, sql: str = "") -> BaseException:
        """sqlite3's exception for one of :data:`FAILURES` raised while running ``sql`` (its
        ``__cause__`` the exception to chain): a user callback's failure, apsw's error (a
        statement longer than SQLITE_LIMIT_SQL_LENGTH as "query string is too large"), an int
        too large to bind, TEXT that is not UTF-8 (apsw cannot say which column: named when
        the statement has one)."""
        if isinstance(e, CallbackError):
            return _callback_failed(e)
        if isinstance(e, apsw.Error):
            return too_big(self._connection._db, sql, e)
        if isinstance(e, OverflowError):
            out: BaseException = OverflowError(
                "Python int too large to convert to SQLite INTEGER")
        else:
            cols = self._description or ()
            name = cols[0][0] if len(cols) == 1 else "?"
            raw = getattr(e, "object", None)
            text = bytes(raw).decode("utf-8", "replace") if raw is not None else ""
            out = OperationalError(f"Could not decode to UTF-8 column '{name}' with text '{text}'")
        out.__cause__ = e
        return out

    def _fetch(self, n: int) -> list[Any]:
        """Up to ``n`` next rows (all when negative), converted."""
        self._busy = True
        try:
            cur = self._cur
            buffer = self._buffer
            rows: list[Any] = []
            if buffer:
                take = len(buffer) if n < 0 else min(n, len(buffer))
                rows = buffer[:take]
                del buffer[:take]
            if n < 0:
                rows.extend(cur.fetchall())
            else:
                while len(rows) < n:
                    row = cur.fetchone()
                    if row is None:
                        break
                    rows.append(row)
                else:
                    if n and not self._buffer:
                        # one row ahead, as sqlite3 steps: a statement whose last row has been
                        # read completes now, ending its read transaction (and reader lease)
                        ahead = cur.fetchone()
                        if ahead is not None:
                            self._buffer = [ahead]
            if self._text_factory is not self._connection.text_factory:
                self._remake()  # sqlite3 reads text_factory when it fetches
            if self._make is not None or self.row_factory is not None:
                rows = [self._row(row) for row in rows]
            return rows if isinstance(rows, list) else list(rows)
        except FAILURES as e:
            err = self._error(e)
            raise err from err.__cause__
        finally:
            self._busy = False

    def fetchone(self) -> Any:
        """The next row, or None when there are no more."""
        self._check()
        rows = self._fetch(1)
        return rows[0] if rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to ``size`` (default :attr:`arraysize`) next rows."""
        self._check()
        return self._fetch(self.arraysize if size is None else max(0, size))

    def fetchall(self) -> list[Any]:
        """All the remaining rows."""
        self._check()
        return self._fetch(-1)

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
        if not hasattr(self, "_state"):
            raise ProgrammingError("Base Cursor.__init__ not called.")
        self._connection._check()
        if self._busy:
            raise ProgrammingError("Recursive use of cursors not allowed.")
        if not self._closed:
            self._closed = True
            self._cur.close(True)


__all__ = ["Cursor", "RowFactory", "check_sql", "too_big"]
