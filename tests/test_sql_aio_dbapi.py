"""``vermilion.sql.aio_dbapi``, the aiosqlite-shaped asyncio connection: what it adds to the
synchronous :mod:`vermilion.sql.dbapi` (backup between connections and threads, iterdump as an
async iterator, the callbacks, closing and stopping, names, warnings), and a differential test
against aiosqlite itself.  (aiosqlite's own suite: tests/test_sql_aiosqlite_suite.py.)

Every Redis here is the private server of the ``r`` fixture.
"""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import threading
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vermilion.sql import aio_dbapi, dbapi

ROWS = [(1, "hello"), (2, "it's"), (3, None), (4, "line\nbreak")]


async def _filled(name: str, rows: list[tuple[Any, ...]] = ROWS,
                  **kwargs: Any) -> aio_dbapi.Connection:
    conn = await aio_dbapi.connect(name, **kwargs)
    await conn.execute("CREATE TABLE foo(i INTEGER, k TEXT)")
    await conn.executemany("INSERT INTO foo VALUES (?, ?)", rows)
    await conn.commit()
    return conn


def _ended(conn: aio_dbapi.Connection) -> bool:
    thread = conn._worker.thread
    if thread is not None:
        thread.join(10)
    return thread is None or not thread.is_alive()


# -- backup ----------------------------------------------------------------------------------
async def test_backup_to_another_async_connection(r: Any) -> None:
    src = await _filled("src")
    async with aio_dbapi.connect("dst") as dst:
        await dst.execute("CREATE TABLE old(v)")
        await dst.commit()
        calls: list[tuple[int, int, int]] = []
        await src.backup(dst, progress=lambda *a: calls.append(a))
        assert await dst.execute_fetchall("SELECT * FROM foo") == ROWS
        # the target's content is replaced, as by sqlite3's backup
        assert await dst.execute_fetchall(
            "SELECT name FROM sqlite_master WHERE name = 'old'") == []
        pages = (await src.execute_fetchall("PRAGMA page_count"))[0][0]
        assert calls == [(sqlite3.SQLITE_DONE, 0, pages)]

        await dst.execute("INSERT INTO foo VALUES (9, 'pending')")  # a transaction is open
        with pytest.raises(sqlite3.OperationalError, match="target is in transaction"):
            await src.backup(dst)
        await dst.rollback()
        with pytest.raises(ValueError, match="same connection"):
            await src.backup(src)
        with pytest.raises(TypeError, match="progress"):
            await src.backup(dst, progress=42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no active connection"):
        await src.backup(dst)  # closed target
    await src.close()


async def test_backup_to_sync_vermilion_and_stdlib_connections(r: Any) -> None:
    src = await _filled("src", [(i, "x" * 3000) for i in range(20)])
    # a dbapi connection of this thread (check_same_thread): written on this thread
    with dbapi.connect("sync-dst") as sync_dst:
        await src.backup(sync_dst)
        assert sync_dst.execute("SELECT count(*), sum(i) FROM foo").fetchone() == (20, 190)
    sync_dst.close()
    # stdlib sqlite3: its own backup, a page at a time, progress after each step
    std = sqlite3.connect(":memory:")
    steps: list[tuple[int, int, int]] = []
    await src.backup(std, pages=1, progress=lambda *a: steps.append(a))
    assert std.execute("SELECT count(*), sum(i) FROM foo").fetchone() == (20, 190)
    pages = (await src.execute_fetchall("PRAGMA page_count"))[0][0]
    assert len(steps) == pages > 1
    assert steps[-1] == (sqlite3.SQLITE_DONE, 0, pages)
    std.close()
    await src.close()


# -- iterdump --------------------------------------------------------------------------------
async def test_iterdump_streams_sqlite3s_dump_as_one_call(r: Any) -> None:
    conn = await _filled("dump", iter_chunk_size=2)
    await conn.execute("CREATE INDEX foo_k ON foo(k)")
    await conn.execute("CREATE VIEW v AS SELECT k FROM foo")
    std = sqlite3.connect(":memory:")
    std.execute("CREATE TABLE foo(i INTEGER, k TEXT)")
    std.executemany("INSERT INTO foo VALUES (?, ?)", ROWS)
    std.execute("CREATE INDEX foo_k ON foo(k)")
    std.execute("CREATE VIEW v AS SELECT k FROM foo")
    expected = list(std.iterdump())
    std.close()
    assert [line async for line in conn.iterdump()] == expected

    # the dump is one call on the worker: an insert awaited in the middle of the iteration
    # runs after it, so the dump does not see it
    lines = conn.iterdump()
    first = await lines.__anext__()
    await conn.execute("INSERT INTO foo VALUES (5, 'later')")
    await conn.commit()
    dumped = [first] + [line async for line in lines]
    assert dumped == expected

    async for _ in conn.iterdump():  # left early: the connection goes on
        break
    assert (await conn.execute_fetchall("SELECT count(*) FROM foo"))[0][0] == 5
    await conn.close()
    with pytest.raises(ValueError, match="no active connection"):
        [line async for line in conn.iterdump()]


# -- callbacks and factories -----------------------------------------------------------------
async def test_authorizer_progress_handler_trace_and_factories(r: Any) -> None:
    threads: set[str] = set()

    def deny_drops(action: int, *_: Any) -> int:
        threads.add(threading.current_thread().name)
        return sqlite3.SQLITE_DENY if action == sqlite3.SQLITE_DROP_TABLE else sqlite3.SQLITE_OK

    async with aio_dbapi.connect("cb") as conn:
        await conn.set_authorizer(deny_drops)
        await conn.execute("CREATE TABLE t(k TEXT)")
        await conn.execute("INSERT INTO t VALUES ('hi')")
        with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
            await conn.execute("DROP TABLE t")
        await conn.set_authorizer(None)
        assert threads and all(n.startswith("vermilion-aio-dbapi") for n in threads)

        await conn.set_progress_handler(lambda: 1, 1)
        with pytest.raises(sqlite3.OperationalError, match="interrupted"):
            await conn.execute("SELECT count(*) FROM t")
        await conn.set_progress_handler(None, 1)

        traced: list[str] = []
        await conn.set_trace_callback(traced.append)
        await conn.execute("SELECT 10")
        assert "SELECT 10" in traced
        await conn.set_trace_callback(None)

        assert conn.text_factory is str
        conn.text_factory = bytes
        conn.row_factory = aio_dbapi.Row
        async with conn.execute("SELECT k FROM t") as cur:
            row = await cur.fetchone()
        assert isinstance(row, aio_dbapi.Row) and row["k"] == b"hi"
        assert aio_dbapi.sqlite_version == dbapi.sqlite_version
        await conn.commit()
        await conn.execute("DROP TABLE t")  # the authorizer is gone


async def test_isolation_level_setter(r: Any) -> None:
    async with aio_dbapi.connect("iso") as conn, aio_dbapi.connect("iso") as other:
        await conn.execute("CREATE TABLE t(v)")
        conn.isolation_level = "IMMEDIATE"
        assert conn.isolation_level == "IMMEDIATE"
        with pytest.raises(ValueError):
            conn.isolation_level = "SOMETIMES"  # type: ignore[assignment]
        await conn.execute("INSERT INTO t VALUES (1)")
        assert conn.in_transaction
        conn.isolation_level = None  # commits, on the worker thread
        assert conn.isolation_level is None and not conn.in_transaction
        assert await other.execute_fetchall("SELECT v FROM t") == [(1,)]


# -- results, closing, stopping --------------------------------------------------------------
async def test_results_are_coroutines_and_context_managers(r: Any) -> None:
    async with aio_dbapi.connect("res") as conn:
        await conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v)")
        cur = await asyncio.create_task(conn.execute("INSERT INTO t(v) VALUES (?)", ("a",)))
        assert cur.lastrowid == 1
        assert tuple(await conn.execute_insert("INSERT INTO t(v) VALUES ('b')")) == (2,)
        async with conn.execute_fetchall("SELECT v FROM t ORDER BY id") as rows:
            assert rows == [("a",), ("b",)]
        async with conn.cursor() as cur:
            assert await (await cur.execute("SELECT count(*) FROM t")).fetchone() == (2,)
            assert cur.iter_chunk_size == 64


async def test_closed_connection_errors(r: Any) -> None:
    conn = await aio_dbapi.connect("closing")
    cur = await conn.execute("SELECT 1, 2")
    before, closing, after = await asyncio.gather(
        cur.fetchall(), conn.close(), cur.fetchall(), return_exceptions=True)
    assert before == [(1, 2)] and closing is None
    # queued behind the close: it meets a closed database, as in aiosqlite
    assert isinstance(after, sqlite3.ProgrammingError)
    with pytest.raises(ValueError, match="Connection closed"):
        await cur.fetchall()
    with pytest.raises(ValueError, match="no active connection"):
        await conn.execute("SELECT 1")
    with pytest.raises(ValueError, match="no active connection"):
        await conn.commit()
    assert conn.closed and _ended(conn)
    await conn.close()  # twice is fine


async def test_stop_returns_a_future_done_after_the_close(r: Any) -> None:
    conn = await aio_dbapi.connect("stopped")
    await conn.execute("CREATE TABLE t(v)")
    await conn.execute("INSERT INTO t VALUES (1)")  # a transaction holding the writer lease
    future = conn.stop()
    assert isinstance(future, asyncio.Future)
    await future
    assert conn.closed and _ended(conn)
    with pytest.raises(ValueError, match="no active connection"):
        await conn.execute("SELECT 1")
    async with aio_dbapi.connect("stopped") as other:  # rolled back, the lease released
        await other.execute("INSERT INTO t VALUES (2)")
        await other.commit()
        assert await other.execute_fetchall("SELECT v FROM t") == [(2,)]
    done = conn.stop()  # again: nothing to close
    assert done is not None and done.done()


def test_stop_without_a_running_loop(r: Any) -> None:
    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(aio_dbapi.connect("no-loop"))
    loop.close()
    assert conn.stop() is None
    assert conn.closed and _ended(conn)


async def test_dropped_open_connection_warns_and_is_closed(r: Any) -> None:
    conn = await aio_dbapi.connect("dropped")
    await conn.execute("CREATE TABLE t(v)")
    await conn.execute("INSERT INTO t VALUES (1)")  # never committed
    worker = conn._worker
    with pytest.warns(ResourceWarning, match="was deleted before being closed"):
        del conn
        gc.collect()
    assert worker.thread is not None
    worker.thread.join(10)
    assert not worker.thread.is_alive()
    async with aio_dbapi.connect("dropped") as other:  # rolled back, the lease released
        await other.execute("INSERT INTO t VALUES (2)")
        await other.commit()
        assert await other.execute_fetchall("SELECT v FROM t") == [(2,)]


# -- connect ---------------------------------------------------------------------------------
async def test_connect_names_like_aiosqlite(r: Any, tmp_path: Path) -> None:
    path = tmp_path / "test.db"

    class Named:
        def __str__(self) -> str:
            return path.as_posix()

    async with aio_dbapi.connect(path) as conn:
        await conn.execute("CREATE TABLE foo(i)")
        await conn.execute("INSERT INTO foo VALUES (1)")
        await conn.commit()
    assert not path.exists()  # a name in Redis, no file
    for name in (path.as_posix(), path.as_posix().encode(), Named()):
        async with aio_dbapi.connect(name) as conn:
            assert await conn.execute_fetchall("SELECT i FROM foo") == [(1,)]


async def test_connect_errors_are_raised_at_await_and_end_the_thread(r: Any) -> None:
    pending = aio_dbapi.connect("missing", create=False)  # nothing happens yet
    with pytest.raises(sqlite3.OperationalError):
        await pending
    assert pending.closed and _ended(pending)
    with pytest.raises(TypeError):
        async with aio_dbapi.connect("bad", timeout="soon"):
            pass

    def cancelled() -> dbapi.Connection:
        raise asyncio.CancelledError("I changed my mind")

    conn = aio_dbapi.Connection(cancelled, 64)
    with pytest.raises(asyncio.CancelledError, match="changed my mind"):
        async with conn:
            pass
    assert _ended(conn)


# -- differential against aiosqlite ----------------------------------------------------------
_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_row = st.tuples(st.integers(-2**63, 2**63 - 1), st.one_of(st.none(), _text),
                 st.binary(max_size=12))


async def _scenario(module: Any, rows: list[tuple[Any, ...]], chunk: int) -> Any:
    async with module.connect(":memory:", iter_chunk_size=chunk) as db:
        await db.execute("CREATE TABLE t(a INTEGER, b TEXT, c BLOB)")
        await db.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
        inserted = await db.execute_insert("INSERT INTO t VALUES (0, 'x', x'00')")
        in_tx = db.in_transaction
        await db.commit()
        async with db.execute("SELECT * FROM t ORDER BY rowid") as cur:
            got = [row async for row in cur]
        async with db.execute("SELECT b FROM t WHERE a > ?", (0,)) as cur:
            some = await cur.fetchmany(3)
        dump = [line async for line in db.iterdump()]
        return got, some, dump, tuple(inserted), in_tx, db.total_changes


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_row, max_size=20), chunk=st.integers(1, 6))
def test_same_results_as_aiosqlite(r: Any, rows: list[tuple[Any, ...]], chunk: int) -> None:
    expected = asyncio.run(_scenario(aiosqlite, rows, chunk))
    assert asyncio.run(_scenario(aio_dbapi, rows, chunk)) == expected
