"""``vermilion.aio.sql``: one worker thread per database, calls in order on it, waits that never
hold up the loop or other databases, cancellation, and no use of the loop's default executor."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("apsw")

import apsw  # noqa: E402

import vermilion.sql as vsql  # noqa: E402
from vermilion.sql import aio as asql  # noqa: E402


class CountingExecutor(concurrent.futures.ThreadPoolExecutor):
    """A loop default executor that counts what is submitted to it."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.used = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        self.used += 1
        return super().submit(fn, *args, **kwargs)


@pytest.fixture
async def executor() -> Any:
    """The running loop's default executor, replaced by a counting one."""
    counting = CountingExecutor()
    asyncio.get_running_loop().set_default_executor(counting)
    yield counting
    counting.shutdown(wait=False)


def _trace(db: asql.AsyncDatabase) -> list[tuple[str, int]]:
    """Record (statement, thread id) of every statement the database's connection runs."""
    seen: list[tuple[str, int]] = []
    conn = db.sync.connection
    outer = conn.exec_trace

    def tracer(cursor: Any, sql: str, bindings: Any) -> bool:
        seen.append((sql.strip(), threading.get_ident()))
        return bool(outer(cursor, sql, bindings)) if outer is not None else True

    conn.exec_trace = tracer
    return seen


async def test_begin_and_commit_run_on_the_database_thread(r: Any, executor: Any) -> None:
    db = await asql.create_db("T")
    await db.exec("CREATE TABLE t(x)")
    seen = _trace(db)
    other = asyncio.create_task(asyncio.sleep(0))
    async with db.transaction():
        await db.exec("INSERT INTO t VALUES (1)")
        await other
        await db.exec("INSERT INTO t VALUES (2)")
    statements = [sql for sql, _ in seen]
    assert statements[0] == "BEGIN IMMEDIATE" and statements[-1] == "COMMIT"
    threads = {ident for _, ident in seen}
    assert db.worker.thread is not None
    assert threads == {db.worker.thread.ident} != {threading.get_ident()}
    assert await db.query("SELECT x FROM t ORDER BY x") == [(1,), (2,)]
    await db.close()
    assert executor.used == 0


async def test_a_blocked_writer_holds_up_neither_the_loop_nor_other_databases(
        r: Any, executor: Any) -> None:
    holder = await asql.create_db("B")
    await holder.exec("CREATE TABLE t(x)")
    waiter = await asql.open("B", busy_timeout=30)
    other = await asql.create_db("C")
    ticks = queries = 0
    async with holder.transaction():
        await holder.exec("INSERT INTO t VALUES (1)")
        blocked = asyncio.create_task(waiter.exec("INSERT INTO t VALUES (2)"))
        started = time.monotonic()
        # the waiter waits for the writer lease (busy timeout 5 s) on its own thread
        while time.monotonic() - started < 2.0 or queries < 20:
            await asyncio.sleep(0.005)
            ticks += 1
            assert await other.query("SELECT 1") == [(1,)]
            queries += 1
            assert not blocked.done()
    await blocked
    assert ticks >= 20 and queries >= 20
    assert await waiter.query("SELECT x FROM t ORDER BY x") == [(1,), (2,)]
    for db in (holder, waiter, other):
        await db.close()
    assert executor.used == 0


async def test_concurrent_calls_on_one_database_run_in_order(r: Any) -> None:
    db = await asql.create_db("O")
    await db.exec("CREATE TABLE t(n INTEGER)")
    await asyncio.gather(*(db.exec("INSERT INTO t VALUES (?)", i) for i in range(300)))
    assert [n for (n,) in await db.query("SELECT n FROM t ORDER BY rowid")] == list(range(300))
    await db.close()


async def test_cancelled_calls_leave_the_connection_usable(r: Any) -> None:
    holder = await asql.create_db("X")
    await holder.exec("CREATE TABLE t(x)")
    db = await asql.open("X")
    # a call cancelled before it ran is dropped
    task = asyncio.create_task(db.exec("INSERT INTO t VALUES ('dropped')"))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # a begin cancelled while it waits for the writer lease is rolled back once it gets it
    async with holder.transaction():
        await holder.exec("INSERT INTO t VALUES ('holder')")

        async def use() -> None:
            async with db.transaction():
                await db.exec("INSERT INTO t VALUES ('never')")

        waiting = asyncio.create_task(use())
        await asyncio.sleep(0.3)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    # a transaction whose body is cancelled is rolled back
    entered = asyncio.Event()

    async def body() -> None:
        async with db.transaction():
            await db.exec("INSERT INTO t VALUES ('rolled back')")
            entered.set()
            await asyncio.sleep(60)

    inside = asyncio.create_task(body())
    await entered.wait()
    inside.cancel()
    with pytest.raises(asyncio.CancelledError):
        await inside
    await db.exec("INSERT INTO t VALUES ('after')")  # autocommit: no transaction left open
    assert not await db.worker.run(lambda: db.sync.connection.in_transaction)
    assert await holder.query("SELECT x FROM t ORDER BY rowid") == [("holder",), ("after",)]
    for d in (db, holder):
        await d.close()


async def test_close_ends_the_thread_and_later_calls_fail(r: Any) -> None:
    async with await asql.create_db("L") as db:
        await db.exec("CREATE TABLE t(x)")
        thread = db.worker.thread
        assert thread is not None and thread.daemon
    thread.join(10)
    assert not thread.is_alive()
    await db.close()  # twice: nothing
    with pytest.raises(apsw.ConnectionClosedError):
        await db.query("SELECT 1")


async def test_a_database_dropped_without_close_closes_and_ends_its_thread(r: Any) -> None:
    db = await asql.create_db("G")
    await db.exec("CREATE TABLE t(x)")
    async with db.transaction():  # the thread has run a transaction: its leases are released
        await db.exec("INSERT INTO t VALUES (1)")
    thread = db.worker.thread
    sync = db.sync
    assert thread is not None
    del db
    gc.collect()
    thread.join(10)
    assert not thread.is_alive()
    with pytest.raises(apsw.ConnectionClosedError):
        sync.query("SELECT 1")
    with vsql.open("G") as again:  # a writer can go on
        again.exec("INSERT INTO t VALUES (2)")
        assert again.query("SELECT count(*) FROM t") == [(2,)]


async def test_module_functions_use_no_default_executor(r: Any, executor: Any,
                                                        tmp_path: Any) -> None:
    db = await asql.create_db("M")
    await db.exec("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)")
    await asql.copy("M", "M2")
    assert await asql.exists("M2") and not await asql.exists("nope")
    assert await asql.list_dbs() == ["M", "M2"]
    await db.export_to(tmp_path / "m.sqlite")
    async with await asql.import_from(tmp_path / "m.sqlite", "M3") as imported:
        assert await imported.query("SELECT sum(x) FROM t") == [(3,)]
    await asql.drop_db("M2")
    with pytest.raises(vsql.NoSuchDatabase):
        await asql.open("M2")
    with pytest.raises(vsql.DatabaseExists):
        await asql.create_db("M")
    await db.close()
    assert executor.used == 0


async def test_failed_open_ends_its_thread(r: Any) -> None:
    before = {t.name for t in threading.enumerate()}
    with pytest.raises(vsql.NoSuchDatabase):
        await asql.open("missing")
    for _ in range(100):
        left = {t.name for t in threading.enumerate()} - before
        if not any(name.startswith("vermilion-sql") for name in left):
            break
        await asyncio.sleep(0.05)
    assert not any(name.startswith("vermilion-sql") for name in left)
