"""Named SQL databases in Redis, RediSQL-style: SQLite runs here (apsw), its pages live in Redis.

::

    db = vermilion.sql.create_db("HN")
    db.exec("CREATE TABLE hn(id INTEGER PRIMARY KEY, author TEXT, time INT, item TEXT)")
    db.create_statement("insert_item", "INSERT INTO hn VALUES(?1, ?2, ?3, json(?4))")
    db.exec_statement("insert_item", 8863, "dhouston", 1175714200, json.dumps(item))
    db.query("SELECT author, count(*) FROM hn GROUP BY author")

=====================================  ============================================================
RediSQL                                here
=====================================  ============================================================
``CREATE_DB name [path]``              :func:`create_db` (``from_file=``), :func:`import_from`
``DEL name``                           :func:`drop_db`
``EXEC`` / ``QUERY``                   :meth:`Database.exec` / :meth:`Database.query`
``CREATE/UPDATE/DELETE_STATEMENT``     :meth:`Database.create_statement` ... (stored in the
                                       database's ``_vermilion_statements`` table)
``EXEC/QUERY_STATEMENT``               :meth:`Database.exec_statement` / ``query_statement``
``STATEMENT LIST / SHOW``              :meth:`Database.list_statements` / ``show_statement``
``QUERY.INTO stream``                  :meth:`Database.query_into` (``type:column`` fields)
``COPY src dst``                       :func:`copy` (SQLite's backup API, page by page)
``STATISTICS``                         :meth:`Database.statistics`
=====================================  ============================================================

Parameters are always bound, never formatted into SQL: positional (``?``, ``?NNN``) as extra
arguments, named (``:name``, ``@name``, ``$name``) as keyword arguments or one mapping.  A text
with several statements runs them all (positional parameters are consumed in order).  Results are
:class:`Rows`: a list of tuples with ``columns`` and ``changes`` (rows inserted, updated or deleted).

Round trips (see :mod:`.redis_vfs` and ``docs/sql-design.md``): an autocommit write costs two
(take the writer lease + commit),
one when the same database object wrote within the last 20 ms (it kept the lease), a read on a
warm page cache one; the statistics each call counts are buffered and sent by the
process's lease keeper, off the caller's round trips (``stats=False`` at open turns counting
off).  A database object serialises its calls (one SQLite connection); open one per thread or
task that needs its own transactions.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import apsw

from ..core.calls import Call
from . import database as _db
from .errors import (
    DatabaseExists,
    NoSuchDatabase,
    NoSuchStatement,
    QueryTimeout,
    ReadOnlyViolation,
    StatementExists,
)
from .leases import count_call, keeper, side_executor
from .progress import CHUNK_BYTES, ProgressCallback, Reporter

STATEMENTS_TABLE = "_vermilion_statements"
STREAM_CHUNK = 1000  # XADDs per round trip in query_into
_SCHEMA = (f"CREATE TABLE IF NOT EXISTS {STATEMENTS_TABLE}("
           "name TEXT PRIMARY KEY, sql TEXT NOT NULL, parameters INTEGER NOT NULL, "
           "readonly INTEGER NOT NULL) WITHOUT ROWID")
_NO_TABLE = f"no such table: {STATEMENTS_TABLE}"

# -- the read-only rule (query, query_statement, query_into): decided by SQLite itself -------------
# SQLite's authorizer reports each action a statement would take while it is compiled (before any
# takes effect: some PRAGMAs act at compile time), and sqlite3_stmt_readonly whether running it
# would write the database.  Allowed: reading tables and views, functions, recursive CTEs, and
# PRAGMAs in their query form (no argument), or one of these whose argument only names what to
# inspect.
_READ_ACTIONS = frozenset({apsw.SQLITE_SELECT, apsw.SQLITE_READ, apsw.SQLITE_FUNCTION,
                           apsw.SQLITE_RECURSIVE})
_INSPECTING_PRAGMAS = frozenset({
    "table_info", "table_xinfo", "table_list", "index_info", "index_xinfo", "index_list",
    "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check"})
# PRAGMAs that write although asked without an argument (SQLite marks most of them not read-only
# anyway); and the one query SQLite marks not read-only although it only reads (journal_mode)
_WRITING_PRAGMAS = frozenset({"optimize", "incremental_vacuum", "wal_checkpoint"})
_QUERY_PRAGMAS_NOT_MARKED_READONLY = frozenset({"journal_mode"})


def _action_refused(code: int, arg1: str | None, arg2: str | None) -> str | None:
    """Why the read-only rule refuses authorizer action ``code`` (None: allowed)."""
    if code in _READ_ACTIONS:
        return None
    if code == apsw.SQLITE_PRAGMA:
        name = (arg1 or "").lower()
        if name in _WRITING_PRAGMAS:
            return f"PRAGMA {name}"
        if arg2 is None or name in _INSPECTING_PRAGMAS:
            return None
        return f"PRAGMA {name}({arg2})"
    what = str(apsw.mapping_authorizer_function.get(code, code))
    detail = " ".join(str(a) for a in (arg1, arg2) if a)
    return f"{what.removeprefix('SQLITE_')} {detail}".strip()


class _ReadOnlyRule:
    """Installed as the connection's authorizer (and checked from the exec tracer) while a
    read-only entry point runs: SQLite tells what each statement does."""

    def __init__(self, ignore_pragmas: bool = False):
        self.refused: str | None = None  # the first refused action of the statement compiled
        self.pragma_only: str | None = None  # the statement is one allowed query-form PRAGMA
        self.actions = 0
        self.ignore_pragmas = ignore_pragmas  # inspecting: PRAGMAs compile to no-ops

    def authorizer(self, code: int, arg1: str | None, arg2: str | None, db: str | None,
                   trigger: str | None) -> int:
        self.actions += 1
        why = _action_refused(code, arg1, arg2)
        if why is not None and self.refused is None:
            self.refused = why
        if code == apsw.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            self.pragma_only = name if (self.actions == 1 and arg2 is None) else None
            if self.ignore_pragmas:
                return apsw.SQLITE_IGNORE  # compiled, but without its compile-time effects
        else:
            self.pragma_only = None
        if why is not None and not self.ignore_pragmas:
            return apsw.SQLITE_DENY
        return apsw.SQLITE_OK

    def statement_refusal(self, cursor: apsw.Cursor) -> str | None:
        """Why the statement just compiled (about to run) is refused; resets for the next."""
        why = self.refused
        if why is None and not cursor.is_readonly \
                and self.pragma_only not in _QUERY_PRAGMAS_NOT_MARKED_READONLY:
            why = "a statement that writes"
        self.refused, self.pragma_only, self.actions = None, None, 0
        return why


STAT_FIELDS = ("exec", "query", "exec_statement", "query_statement", "query_into",
               "transactions", "rollbacks", "errors", "rows", "changes", "stream_entries")


class Rows(list[tuple[Any, ...]]):
    """The rows (tuples) a call returned, with ``columns`` (the names of the last statement that
    has result columns) and ``changes`` (rows inserted, updated or deleted by the call)."""

    def __init__(self, rows: list[tuple[Any, ...]], columns: tuple[str, ...] = (),
                 changes: int = 0):
        super().__init__(rows)
        self.columns: tuple[str, ...] = columns
        self.changes: int = changes

    def __repr__(self) -> str:
        return f"Rows({list.__repr__(self)}, columns={self.columns!r}, changes={self.changes})"


class StatementInfo(NamedTuple):
    """A stored statement: its name, SQL, number of parameters and whether it is read-only."""

    name: str
    sql: str
    parameters: int
    readonly: bool


def _info(row: Sequence[Any]) -> StatementInfo:
    name, sql, parameters, readonly = row
    return StatementInfo(str(name), str(sql), int(parameters), bool(readonly))


def _page_size(conn: apsw.Connection) -> int:
    return int(conn.execute("PRAGMA page_size").fetchall()[0][0])  # type: ignore[arg-type]


def _bindings(params: tuple[Any, ...], named: dict[str, Any]) -> Any:
    if named:
        if params:
            raise TypeError("pass SQL parameters either positionally or by name, not both")
        return named
    if len(params) == 1 and isinstance(params[0], Mapping):
        return dict(params[0])
    return params


def _inspect(conn: apsw.Connection, sql: str) -> tuple[int, bool]:
    """(number of parameters, all read-only) of every statement in ``sql``, compiled without
    running any (and with PRAGMAs compiled as no-ops: some act while compiled).  Read-only is
    the rule of :meth:`Database.query`.  Raises SQLite's error when a statement does not
    compile."""
    count, readonly = 0, True
    rest: str | None = sql
    found = False
    seen: dict[str, Any] = {}
    rule = _ReadOnlyRule(ignore_pragmas=True)

    def tracer(cursor: apsw.Cursor, first: str, bindings: Any) -> bool:
        seen.update(first=first, n=cursor.bindings_count, refused=rule.statement_refusal(cursor))
        return False

    previous = conn.authorizer
    conn.authorizer = rule.authorizer
    try:
        while rest and rest.strip():
            seen.clear()
            cur = conn.cursor()
            cur.exec_trace = tracer
            try:
                cur.execute(rest, apsw._null_bindings)  # type: ignore[attr-defined]
            except apsw.ExecTraceAbort:
                pass
            finally:
                cur.close(force=True)
            if not seen:  # only comments/whitespace left
                break
            found = True
            count += seen["n"]
            readonly = readonly and seen["refused"] is None
            rest = rest[len(seen["first"]):]
    finally:
        conn.authorizer = previous
    if not found:
        raise apsw.SQLError("the statement is empty")
    return count, readonly


def _check_timeout(timeout: float | None) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds or None, not {timeout!r}")
    if not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds, not {timeout!r}")
    return float(timeout)


PROGRESS_STEPS = 1000  # SQLite VM instructions between two checks of a query's time limit


class Database:
    """A named SQL database stored in Redis.  Get one with :func:`open` or :func:`create_db`.

    ``connection`` is the underlying ``apsw.Connection`` (full SQLite: JSON1, FTS5, RTREE...).
    """

    def __init__(self, name: str, connection: apsw.Connection, client: Any,
                 stats: bool = True):
        self.name = name
        self.connection = connection
        self._client = client
        self._executor = _db.executor_for(client)
        self._stats = stats
        self._stats_key = _db.stats_key(name)
        self._count_keys = (_db.meta_key(name), self._stats_key)
        self._side = side_executor(_db.client_or_default(client))
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"<vermilion.sql.Database {self.name!r}>"

    # -- lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the SQLite connection, releasing its leases and sending its buffered
        statistics before returning (the VFS's close flushes the keeper)."""
        with self._lock:
            self.connection.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- statistics -----------------------------------------------------------------------------
    def _count(self, **counts: int) -> None:
        """Buffer ``counts`` for the keeper to send (no round trip of the caller's)."""
        if self._stats:
            keeper().add_counts(self._side, self._count_keys, counts)

    @contextlib.contextmanager
    def _counted(self, kind: str) -> Iterator[dict[str, int]]:
        counts = {kind: 1}
        try:
            yield counts
        except BaseException:
            counts["errors"] = 1
            raise
        finally:
            self._count(**counts)

    def statistics(self) -> dict[str, int]:
        """This database's counters, shared by every client: calls per kind (``exec``,
        ``query``, ``exec_statement``, ``query_statement``, ``query_into``, ``transactions``,
        ``rollbacks``, ``errors``), ``rows`` returned, ``changes`` (rows written),
        ``stream_entries`` written by ``query_into``; and from the database itself ``commits``
        (every commit by any client), ``pages``, ``page_size`` and ``size`` (bytes).

        Counters are buffered in each process and sent within :data:`~.leases.COUNTS_DELAY`
        (50 ms) by its lease keeper; this process's own are sent with the read, so they are
        always included.  One round trip (pipelined).  Raises :class:`NoSuchDatabase` if the
        database was dropped."""
        meta = _db.meta_key(self.name)
        calls = [
            Call(("HGETALL", self._stats_key), (self._stats_key,), readonly=True),
            Call(("HMGET", meta, "version", "npages", "page_size"), (meta,), readonly=True),
        ]
        pending = keeper().take_counts(self._side, self._count_keys)
        if pending:
            calls.insert(0, count_call(self._count_keys, pending))
        *_, stats, info = _db.call(self._executor, calls)
        if info[0] is None:
            raise NoSuchDatabase(f"SQL database {self.name!r} does not exist",
                                 database=self.name)
        result = dict.fromkeys(STAT_FIELDS, 0)
        for field, value in (stats or {}).items() if isinstance(stats, dict) else _pairs(stats):
            result[field.decode() if isinstance(field, bytes) else field] = int(value)
        version, npages, page_size = (int(v) for v in info)
        result.update(commits=version, pages=npages, page_size=page_size,
                      size=npages * page_size)
        return result

    # -- running SQL ----------------------------------------------------------------------------
    def _run(self, sql: str, bindings: Any, readonly: bool,
             segments: list[tuple[tuple[str, ...], int]] | None = None,
             timeout: float | None = None) -> Rows:
        """Run ``sql`` (all its statements); with ``readonly`` refuse, before it takes effect,
        any statement that is not read-only (SQLite's authorizer while it compiles, then
        ``sqlite3_stmt_readonly``); with ``timeout`` interrupt it after that many seconds."""
        conn = self.connection
        outer = conn.exec_trace
        rows: list[tuple[Any, ...]] = []
        columns: list[tuple[str, ...]] = [()]
        rule = _ReadOnlyRule() if readonly else None

        def refuse(what: str, text: str) -> ReadOnlyViolation:
            return ReadOnlyViolation(
                f"SQL database {self.name!r}: read-only query refused {what}: "
                f"{text.strip()[:200]!r}", database=self.name, sql=text)

        def tracer(cursor: apsw.Cursor, text: str, params: Any) -> bool:
            if rule is not None:
                what = rule.statement_refusal(cursor)
                if what is not None:
                    raise refuse(what, text)
            names = tuple(d[0] for d in cursor.get_description())
            if names:
                columns[0] = names
            if segments is not None:
                segments.append((names, len(rows)))
            return bool(outer(cursor, text, params)) if outer is not None else True

        deadline = None if timeout is None else time.monotonic() + timeout

        def progress() -> bool:
            return time.monotonic() > deadline  # type: ignore[operator]

        before = conn.total_changes()
        previous = conn.authorizer
        if rule is not None:
            conn.authorizer = rule.authorizer
        if deadline is not None:
            conn.set_progress_handler(progress, PROGRESS_STEPS, id=self)
        cur = conn.cursor()
        cur.exec_trace = tracer
        try:
            rows.extend(cur.execute(sql, bindings))
        except apsw.AuthError:
            if rule is None or rule.refused is None:
                raise
            raise refuse(rule.refused, sql) from None
        except apsw.InterruptError:
            if deadline is None or time.monotonic() <= deadline:
                raise
            raise QueryTimeout(
                f"SQL database {self.name!r}: query interrupted after its timeout of "
                f"{timeout} s: {sql.strip()[:200]!r}", database=self.name, sql=sql,
                timeout=float(timeout or 0)) from None
        finally:
            # an error (or an exception's traceback kept alive) must not leave a statement
            # holding SQLite's read lock, and with it this process's reader lease in Redis
            cur.close(force=True)
            if rule is not None:
                conn.authorizer = previous
            if deadline is not None:
                conn.set_progress_handler(None, id=self)
        return Rows(rows, columns[0], conn.total_changes() - before)

    def exec(self, sql: str, /, *params: Any, **named: Any) -> Rows:
        """Run ``sql`` (one or more statements, reading or writing) with bound parameters and
        return its rows.  Autocommit unless inside :meth:`transaction`."""
        with self._lock, self._counted("exec") as counts:
            rows = self._run(sql, _bindings(params, named), readonly=False)
            counts.update(rows=len(rows), changes=rows.changes)
            return rows

    def query(self, sql: str, /, *params: Any, timeout: float | None = None,
              **named: Any) -> Rows:
        """Like :meth:`exec` for read-only SQL, safe to give untrusted SQL.

        Read-only is decided by SQLite itself, never from the text: while a statement compiles,
        its authorizer reports each action (before any takes effect), and only reading tables
        and views, functions and recursive CTEs pass, with PRAGMAs in their query form (no
        argument, e.g. ``PRAGMA journal_mode``) or with an argument that only names what to
        inspect (``table_info(t)``, ``index_list(t)``, ``integrity_check(n)``...); then
        ``sqlite3_stmt_readonly`` must say the statement does not write.  Anything else (writes,
        DDL, ATTACH / DETACH, transaction control, ``PRAGMA foreign_keys(0)``...) raises
        :class:`ReadOnlyViolation` before it has any effect.

        ``timeout`` (seconds, keyword-only) interrupts the query once it has run that long
        (SQLite's progress handler, checked every :data:`PROGRESS_STEPS` instructions) and
        raises :class:`QueryTimeout`; its read transaction ends.  A SQL parameter named
        ``timeout`` must then be passed in a mapping."""
        timeout = _check_timeout(timeout)
        with self._lock, self._counted("query") as counts:
            rows = self._run(sql, _bindings(params, named), readonly=True, timeout=timeout)
            counts.update(rows=len(rows))
            return rows

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """``with db.transaction():`` - ``BEGIN IMMEDIATE`` (the writer lease is taken up front,
        waiting up to the busy timeout), ``COMMIT`` on success, ``ROLLBACK`` on an exception.
        Nested, it is a ``SAVEPOINT``."""
        conn = self.connection
        with self._lock:
            nested = conn.in_transaction
            point = f"vermilion_{id(self):x}_{threading.get_ident():x}"
            conn.execute(f"SAVEPOINT {point}" if nested else "BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            with self._lock:
                if nested:
                    conn.execute(f"ROLLBACK TO {point}; RELEASE {point}")
                elif conn.in_transaction:
                    conn.execute("ROLLBACK")
            if not nested:
                self._count(rollbacks=1)
            raise
        with self._lock:
            try:
                conn.execute(f"RELEASE {point}" if nested else "COMMIT")
            except BaseException:
                if not nested and conn.in_transaction:
                    conn.execute("ROLLBACK")
                if not nested:
                    self._count(rollbacks=1, errors=1)
                raise
        if not nested:
            self._count(transactions=1)

    @contextlib.contextmanager
    def _implicit(self, immediate: bool) -> Iterator[None]:
        """A transaction around a statement lookup and its run, unless one is open."""
        conn = self.connection
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    # -- stored statements ----------------------------------------------------------------------
    def _no_statement(self, name: str) -> NoSuchStatement:
        return NoSuchStatement(f"SQL database {self.name!r} has no statement {name!r}",
                               database=self.name, statement=name)

    def _lookup(self, name: str) -> StatementInfo:
        try:
            found = self.connection.execute(
                f"SELECT name, sql, parameters, readonly FROM {STATEMENTS_TABLE} WHERE name = ?",
                (name,)).fetchall()
        except apsw.SQLError as exc:
            if _NO_TABLE in str(exc):
                raise self._no_statement(name) from None
            raise
        if not found:
            raise self._no_statement(name)
        return _info(found[0])

    def _store(self, name: str, sql: str, *, new: bool) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a statement name must be a non-empty str, not {name!r}")
        if not isinstance(sql, str):
            raise TypeError(f"a statement must be str, not {type(sql).__name__}")
        with self._lock, self._implicit(immediate=True):
            conn = self.connection
            conn.execute(_SCHEMA)
            there = conn.execute(f"SELECT 1 FROM {STATEMENTS_TABLE} WHERE name = ?",
                                 (name,)).fetchall()
            if new and there:
                raise StatementExists(
                    f"SQL database {self.name!r} already has a statement {name!r}",
                    database=self.name, statement=name)
            if not new and not there:
                raise self._no_statement(name)
            parameters, readonly = _inspect(conn, sql)
            conn.execute(f"INSERT OR REPLACE INTO {STATEMENTS_TABLE} VALUES (?, ?, ?, ?)",
                         (name, sql, parameters, int(readonly)))

    def create_statement(self, name: str, sql: str) -> None:
        """Store ``sql`` (checked to compile, not run) under ``name`` inside the database, for
        every client; :class:`StatementExists` if the name is taken.  One transaction."""
        self._store(name, sql, new=True)

    def update_statement(self, name: str, sql: str) -> None:
        """Replace the SQL of stored statement ``name`` (:class:`NoSuchStatement` if missing)."""
        self._store(name, sql, new=False)

    def delete_statement(self, name: str) -> None:
        """Delete stored statement ``name`` (:class:`NoSuchStatement` if missing)."""
        with self._lock, self._implicit(immediate=True):
            self._lookup(name)
            self.connection.execute(f"DELETE FROM {STATEMENTS_TABLE} WHERE name = ?", (name,))

    def show_statement(self, name: str) -> StatementInfo:
        """The stored statement ``name`` (:class:`NoSuchStatement` if missing)."""
        with self._lock:
            return self._lookup(name)

    def list_statements(self) -> list[StatementInfo]:
        """Every stored statement, by name."""
        with self._lock:
            try:
                found = self.connection.execute(
                    f"SELECT name, sql, parameters, readonly FROM {STATEMENTS_TABLE} "
                    "ORDER BY name").fetchall()
            except apsw.SQLError as exc:
                if _NO_TABLE in str(exc):
                    return []
                raise
            return [_info(row) for row in found]

    def exec_statement(self, name: str, /, *params: Any, **named: Any) -> Rows:
        """Run stored statement ``name`` with bound parameters; its lookup and run are one
        transaction (``BEGIN IMMEDIATE`` unless one is open)."""
        with self._lock, self._counted("exec_statement") as counts, \
                self._implicit(immediate=True):
            info = self._lookup(name)
            rows = self._run(info.sql, _bindings(params, named), readonly=False)
            counts.update(rows=len(rows), changes=rows.changes)
            return rows

    def query_statement(self, name: str, /, *params: Any, timeout: float | None = None,
                        **named: Any) -> Rows:
        """Run stored statement ``name`` read-only (:class:`ReadOnlyViolation` if it writes;
        ``timeout`` as in :meth:`query`)."""
        timeout = _check_timeout(timeout)
        with self._lock, self._counted("query_statement") as counts, \
                self._implicit(immediate=False):
            info = self._lookup(name)
            self._refuse_writer(info)
            rows = self._run(info.sql, _bindings(params, named), readonly=True,
                             timeout=timeout)
            counts.update(rows=len(rows))
            return rows

    def _refuse_writer(self, info: StatementInfo) -> None:
        if not info.readonly:
            raise ReadOnlyViolation(
                f"SQL database {self.name!r}: statement {info.name!r} is not read-only",
                database=self.name, sql=info.sql)

    # -- results into a Redis stream ------------------------------------------------------------
    def query_into(self, stream: str, sql: str, /, *params: Any, timeout: float | None = None,
                   **named: Any) -> int:
        """Run read-only ``sql`` and append one entry per row to the Redis stream ``stream``
        (``XADD stream *``), fields ``type:column`` as RediSQL wrote them: ``int:id``,
        ``real:x``, ``text:author``, ``blob:b``, ``null:c`` (value empty).  Returns the number of
        rows.  The rows come from one read transaction; the entries are sent in pipelined batches
        of 1000 (not atomic as a whole).  Read-only rule and ``timeout`` as in :meth:`query`."""
        timeout = _check_timeout(timeout)
        with self._lock, self._counted("query_into") as counts:
            segments: list[tuple[tuple[str, ...], int]] = []
            rows = self._run(sql, _bindings(params, named), readonly=True, segments=segments,
                             timeout=timeout)
            counts.update(rows=len(rows), stream_entries=len(rows))
        self._xadd(stream, rows, segments)
        return len(rows)

    def query_statement_into(self, stream: str, name: str, /, *params: Any,
                             timeout: float | None = None, **named: Any) -> int:
        """:meth:`query_into` with stored statement ``name``."""
        timeout = _check_timeout(timeout)
        with self._lock, self._counted("query_into") as counts, \
                self._implicit(immediate=False):
            info = self._lookup(name)
            self._refuse_writer(info)
            segments: list[tuple[tuple[str, ...], int]] = []
            rows = self._run(info.sql, _bindings(params, named), readonly=True,
                             segments=segments, timeout=timeout)
            counts.update(rows=len(rows), stream_entries=len(rows))
        self._xadd(stream, rows, segments)
        return len(rows)

    def _xadd(self, stream: str, rows: list[tuple[Any, ...]],
              segments: list[tuple[tuple[str, ...], int]]) -> None:
        if not isinstance(stream, str):
            raise TypeError(f"a stream key must be str, not {type(stream).__name__}")
        bounds = [start for _, start in segments[1:]] + [len(rows)]
        calls: list[Call] = []
        for (names, start), end in zip(segments, bounds):
            for row in rows[start:end]:
                fields: list[Any] = []
                for column, value in zip(names, row):
                    fields += _field(column, value)
                calls.append(Call(("XADD", stream, "*", *fields), (stream,)))
                if len(calls) == STREAM_CHUNK:
                    _db.call(self._executor, calls)
                    calls = []
        if calls:
            _db.call(self._executor, calls)

    # -- files ------------------------------------------------------------------------------
    def export_to(self, path: str | os.PathLike[str], *,
                  progress: ProgressCallback | None = None) -> None:
        """Write a consistent snapshot of this database to the local SQLite file ``path``
        (replacing its content), with SQLite's backup API: the pages are read in one read
        transaction (about one round trip per 16 pages not cached) and written to ``path`` in
        one local transaction.

        ``progress(done, total)`` (pages) is called at the start, after each 4 MiB of pages and
        at the end (see :mod:`vermilion.sql.progress`); an exception it raises (or any failure)
        leaves ``path`` as it was, and removes it if this call created it."""
        path = os.fspath(path)
        created = not os.path.exists(path)
        with self._lock:
            try:
                local = apsw.Connection(path)
                try:
                    _backup(local, self.connection, progress, to_redis=False)
                finally:
                    local.close()
            except BaseException:
                if created:
                    with contextlib.suppress(OSError):
                        os.remove(path)
                raise


def _field(column: str, value: Any) -> list[Any]:
    if value is None:
        return [f"null:{column}", b""]
    if isinstance(value, int):
        return [f"int:{column}", str(value)]
    if isinstance(value, float):
        return [f"real:{column}", repr(value)]
    if isinstance(value, str):
        return [f"text:{column}", value]
    return [f"blob:{column}", bytes(value)]


def _pairs(flat: Sequence[Any]) -> Iterator[tuple[Any, Any]]:
    it = iter(flat)
    return zip(it, it)


def _backup(dest: apsw.Connection, source: apsw.Connection,
            progress: ProgressCallback | None = None, *, to_redis: bool = True) -> None:
    """Copy every page of ``source`` into ``dest``: one consistent snapshot of ``source`` (read
    in one read transaction) written as one transaction of ``dest``, so nothing of it is seen
    before all of it and a failure leaves ``dest`` as it was.  Without ``progress``, in one
    step; with it, in steps of :data:`~.progress.CHUNK_BYTES` reported as ``progress(done,
    total)`` pages (``to_redis``: ``dest`` commits to Redis, see :mod:`.progress`); an exception
    it raises aborts the copy."""
    if progress is None:
        with dest.backup("main", source, "main") as backup:
            backup.step(-1)
        return
    chunk = max(1, CHUNK_BYTES // _page_size(source))
    with _read_snapshot(source), dest.backup("main", source, "main") as backup:
        backup.step(0)  # locks both, learns the page count
        report = Reporter(progress, backup.page_count, to_redis=to_redis)
        report.start()
        with report.committing():
            while not backup.done:
                backup.step(chunk)
                if not backup.done:
                    report.copied_to(backup.page_count - backup.remaining)
        report.finish()


@contextlib.contextmanager
def _read_snapshot(conn: apsw.Connection) -> Iterator[None]:
    """Hold a read transaction on ``conn`` (unless one is open): a backup in several steps
    then reads one snapshot, and is not restarted by writers committing between its steps."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN; SELECT 1 FROM sqlite_schema LIMIT 1").fetchall()
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


# -- databases ------------------------------------------------------------------------------------
def open(name: str, *, client: Any = None, lease: float = _db.DEFAULT_LEASE,  # noqa: A001
         busy_timeout: float = _db.DEFAULT_BUSY_TIMEOUT, stats: bool = True) -> Database:
    """Open existing database ``name`` (:class:`NoSuchDatabase` if missing).  One round trip.

    ``client``: a sync redis-py client (default: :func:`vermilion.configure`'s).  ``lease`` and
    ``busy_timeout`` as in :func:`open_connection`; ``stats=False`` skips counting."""
    try:
        conn = _db.open_connection(name, client=client, lease=lease, busy_timeout=busy_timeout)
    except apsw.CantOpenError:
        raise NoSuchDatabase(f"SQL database {name!r} does not exist", database=name) from None
    return Database(name, conn, client, stats)


def create_db(name: str, *, exist_ok: bool = False,
              from_file: str | os.PathLike[str] | None = None, client: Any = None,
              lease: float = _db.DEFAULT_LEASE, busy_timeout: float = _db.DEFAULT_BUSY_TIMEOUT,
              stats: bool = True) -> Database:
    """Create database ``name`` and open it; :class:`DatabaseExists` if it exists, unless
    ``exist_ok`` (then it is opened).  ``from_file``: a local SQLite file whose content is copied
    in (SQLite's backup API; with ``exist_ok`` it replaces an existing database's content).
    Creation is atomic: of concurrent creators exactly one succeeds."""
    local = _open_local(from_file) if from_file is not None else None
    try:
        return _fill(name, local, exist_ok=exist_ok, client=client, progress=None, stats=stats,
                     lease=lease, busy_timeout=busy_timeout)
    finally:
        if local is not None:
            local.close()


def _open_local(path: str | os.PathLike[str]) -> apsw.Connection:
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(2, "No such file", path)
    return apsw.Connection(path, flags=apsw.SQLITE_OPEN_READONLY)


def import_from(path: str | os.PathLike[str], name: str, *, exist_ok: bool = False,
                client: Any = None, progress: ProgressCallback | None = None) -> Database:
    """Create database ``name`` from the local SQLite file ``path`` and open it:
    :class:`DatabaseExists` if it exists, unless ``exist_ok`` (its content is then replaced);
    ``FileNotFoundError`` if ``path`` is missing; ``apsw.NotADBError`` if it is not SQLite.

    The file is read in one read transaction and stored in one commit (atomic: nobody sees part
    of it), sent in chunks of 256 pages, one round trip each.  ``progress(done, total)``
    (pages) is called at the start, after each 4 MiB of pages copied, for each chunk sent where
    the VFS reports it, and at the end (see :mod:`vermilion.sql.progress`).  A failure, or an
    exception raised by ``progress``, drops a database this call created and leaves an existing
    one as it was."""
    local = _open_local(path)
    try:
        return _fill(name, local, exist_ok=exist_ok, client=client, progress=progress)
    finally:
        local.close()


def _fill(name: str, source: apsw.Connection | None, *, exist_ok: bool, client: Any,
          progress: ProgressCallback | None, stats: bool = True,
          lease: float = _db.DEFAULT_LEASE,
          busy_timeout: float = _db.DEFAULT_BUSY_TIMEOUT) -> Database:
    """Database ``name``, created (or replaced with ``exist_ok``) with the content of
    ``source`` (empty when None), open; dropped again if this call created it and opening or
    the copy fails."""
    page_size = 4096 if source is None else _page_size(source)
    created = _db.create(_db.executor_for(client), name, page_size)
    if not created and not exist_ok:
        raise DatabaseExists(f"SQL database {name!r} already exists", database=name)
    db: Database | None = None
    try:
        db = open(name, client=client, lease=lease, busy_timeout=busy_timeout, stats=stats)
        if source is not None:
            with db._lock:
                _backup(db.connection, source, progress)
    except BaseException:
        if db is not None:
            db.close()
        if created:
            _db.drop(name, client=client)
        raise
    return db


def drop_db(name: str, *, missing_ok: bool = False, client: Any = None) -> None:
    """Delete database ``name`` and everything it holds (statements, statistics).  One round
    trip, atomic.  :class:`NoSuchDatabase` if it does not exist, unless ``missing_ok``."""
    if not _db.drop(name, client=client) and not missing_ok:
        raise NoSuchDatabase(f"SQL database {name!r} does not exist", database=name)


def list_dbs(*, client: Any = None) -> list[str]:
    """The names of all databases on the server, sorted (SCAN: 1000 keys per round trip)."""
    return _db.list_names(client)


def exists(name: str, *, client: Any = None) -> bool:
    """True if database ``name`` exists.  One round trip."""
    return _db.exists(_db.executor_for(client), name)


def copy(source: str, destination: str, *, exist_ok: bool = False, client: Any = None,
         progress: ProgressCallback | None = None) -> None:
    """Copy database ``source`` into a new database ``destination``, page by page (SQLite's
    backup API, one consistent snapshot of the source read in one read transaction, stored in
    one commit).  :class:`NoSuchDatabase` if the source is missing; :class:`DatabaseExists` if
    the destination exists, unless ``exist_ok`` (its content is then replaced).  Statistics are
    not copied.  ``progress`` as in :func:`import_from` (pages); a failure, or an exception it
    raises, drops a destination this call created and leaves an existing one as it was."""
    src = open(source, client=client, stats=False)
    try:
        _fill(destination, src.connection, exist_ok=exist_ok, client=client,
              progress=progress, stats=False).close()
    finally:
        src.close()


__all__: Sequence[str] = (
    "Database", "Rows", "StatementInfo", "copy", "create_db", "drop_db", "exists",
    "import_from", "list_dbs", "open",
)
