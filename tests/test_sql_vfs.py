"""The SQL-on-Redis VFS: SQLite (apsw) in the client, pages and locks in Redis."""

from __future__ import annotations

import logging
import multiprocessing
import os
import random
import signal
import sqlite3
import threading
import time
import warnings
from typing import Any

import apsw
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.cluster import RedisCluster

import vermilion
from vermilion.core import config
from vermilion.core.errors import ConnectionLost
from vermilion.server import EmbeddedServer
from vermilion.sql import FencedError, database, drop, open_connection, redis_vfs, remote
from vermilion.sql import keys as sqlkeys
from vermilion.sql.errors import UncheckedServerWarning, UnsafeServerError
from vermilion.sql.leases import keeper

# spawn, not fork: forking while the lease keeper thread runs can hang the child (known issue)
ctx = multiprocessing.get_context("spawn")


@pytest.fixture
def url(r: Any, vermilion_server: Any) -> str:
    """The private server's URL, for child processes (vermilion.configure(url) in the child)."""
    return str(vermilion_server.url)


def test_create_insert_select_from_second_connection(r: Any) -> None:
    a = open_connection("shop", create=True)
    a.execute("CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, price REAL)")
    a.executemany("INSERT INTO item(name, price) VALUES (?, ?)", [("pen", 1.5), ("ink", 3.0)])
    b = open_connection("shop")
    assert b.execute("SELECT name, price FROM item ORDER BY id").fetchall() == [
        ("pen", 1.5), ("ink", 3.0)]
    b.execute("UPDATE item SET price = price * 2")
    assert a.execute("SELECT sum(price) FROM item").fetchall() == [(9.0,)]
    assert b.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert keeper().flush()  # reader leases are released in the background
    assert r.zcard("vermilion:sql:{shop}:readers") == 0
    keys = sorted(k.decode() for k in r.keys("*"))
    assert keys == [f"vermilion:sql:{{shop}}:{s}" for s in ("commits", "fence", "meta", "pages", "pv")]


def test_missing_database_and_drop(r: Any) -> None:
    with pytest.raises(apsw.CantOpenError):
        open_connection("nope")
    c = open_connection("tmp", create=True)
    c.execute("CREATE TABLE t(x)")
    assert drop("tmp") is True
    assert r.keys("*") == []
    assert drop("tmp") is False
    with pytest.raises(ValueError):
        open_connection("a{b}", create=True)


def test_rollback_and_large_transaction(r: Any) -> None:
    a = open_connection("big", create=True)
    a.execute("CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB)")
    with a:
        a.executemany("INSERT INTO t(v) VALUES (?)", [(os.urandom(500),) for _ in range(3000)])
    with pytest.raises(KeyError):
        with a:
            a.execute("DELETE FROM t")
            raise KeyError
    b = open_connection("big")
    assert b.execute("SELECT count(*) FROM t").fetchall() == [(3000,)]
    a.execute("DELETE FROM t WHERE k > 10")
    a.execute("VACUUM")  # shrinks the file: truncated pages leave Redis
    assert b.execute("SELECT count(*) FROM t").fetchall() == [(10,)]
    assert b.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    npages = int(r.hget("vermilion:sql:{big}:meta", "npages"))
    assert r.hlen("vermilion:sql:{big}:pages") == npages < 20


def _child_reads(url: str, q: Any) -> None:
    vermilion.configure(url)
    c = open_connection("shared")
    q.put(c.execute("SELECT v FROM t ORDER BY v").fetchall())
    c.execute("INSERT INTO t VALUES ('from child')")
    c.close()


def test_second_process_sees_committed_data(r: Any, url: str) -> None:
    a = open_connection("shared", create=True)
    a.execute("CREATE TABLE t(v TEXT)")
    a.execute("INSERT INTO t VALUES ('from parent')")
    q = ctx.Queue()
    p = ctx.Process(target=_child_reads, args=(url, q))
    p.start()
    p.join(30)
    assert p.exitcode == 0
    assert q.get(timeout=5) == [("from parent",)]
    assert a.execute("SELECT v FROM t ORDER BY v").fetchall() == [
        ("from child",), ("from parent",)]


@pytest.mark.parametrize("pragma", [
    "PRAGMA journal_mode=WAL", "PRAGMA journal_mode = 'wal'", "PRAGMA locking_mode=EXCLUSIVE",
    "PRAGMA page_size=8192", "PRAGMA journal_mode=OFF",
])
def test_refused_pragmas(r: Any, pragma: str) -> None:
    c = open_connection("prag", create=True)
    c.execute("CREATE TABLE t(x)")
    with pytest.raises(apsw.SQLError, match="not supported|fixed at creation"):
        c.execute(pragma)
    assert c.execute("PRAGMA journal_mode").fetchall() == [("memory",)]  # the default here
    assert c.execute("PRAGMA locking_mode").fetchall() == [("normal",)]
    c.execute("PRAGMA page_size=4096")  # unchanged: allowed
    c.execute("PRAGMA journal_mode=DELETE")  # a journal in a MemFile: allowed too
    c.execute("INSERT INTO t VALUES (1)")
    c.execute("BEGIN; INSERT INTO t VALUES (2); ROLLBACK")
    assert c.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_page_size_chosen_before_creation(r: Any) -> None:
    c = open_connection("ps", create=True)
    c.execute("PRAGMA page_size=8192")
    c.execute("CREATE TABLE t(x)")
    c.execute("INSERT INTO t VALUES (1)")
    assert r.hget("vermilion:sql:{ps}:meta", "page_size") == b"8192"
    d = open_connection("ps")
    assert d.execute("PRAGMA page_size").fetchall() == [(8192,)]
    assert d.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_round_trips(r: Any) -> None:
    a = open_connection("rt", create=True)
    a.execute("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)")
    a.execute("INSERT INTO t(v) VALUES ('x')")
    b = open_connection("rt")
    b.execute("SELECT * FROM t").fetchall()  # warm
    assert keeper().flush()  # earlier reader leases released (in the background)
    r.round_trips.reset()
    assert b.execute("SELECT * FROM t").fetchall() == [(1, "x")]
    assert r.round_trips.count == 1  # read transaction on a warm cache
    a.execute("INSERT INTO t(v) VALUES ('y')")  # warm the writer
    assert keeper().flush()  # earlier reader leases released (in the background)
    r.round_trips.reset()
    a.execute("INSERT INTO t(v) VALUES ('z')")
    assert r.round_trips.count <= 2  # autocommit write: begin+writer lease, commit
    assert keeper().flush()  # earlier reader leases released (in the background)
    r.round_trips.reset()
    assert b.execute("SELECT count(*) FROM t").fetchall() == [(3,)]
    assert r.round_trips.count == 1  # only the changed pages were dropped (page 1 came along)
    assert keeper().flush()  # earlier reader leases released (in the background)
    r.round_trips.reset()
    a.execute("BEGIN IMMEDIATE")
    a.execute("INSERT INTO t(v) VALUES ('w')")
    a.execute("UPDATE t SET v = 'W' WHERE k = 4")
    a.execute("COMMIT")
    assert r.round_trips.count == 2
    # a write right after the same connection's commit reuses the writer lease it kept: 1
    r.round_trips.reset()
    for i in range(5):
        a.execute("INSERT INTO t(v) VALUES (?)", (f"burst {i}",))
    assert r.round_trips.count == 5
    assert b.execute("SELECT count(*) FROM t").fetchall() == [(9,)]


def test_kept_writer_lease_is_handed_over(r: Any) -> None:
    """A writer lease kept after a commit never starves another writer: unused, it is
    released within RELEASE_DELAY; waited for (the writers' queue), the holder's next commit
    lets it go."""
    a = open_connection("keep", create=True)
    b = open_connection("keep", busy_timeout=2)
    a.execute("CREATE TABLE t(v TEXT)")
    a.execute("INSERT INTO t VALUES ('a1')")  # a keeps the lease
    lock = "vermilion:sql:{keep}:lock"
    owner_a = r.hget(lock, "owner")
    assert owner_a is not None
    b.execute("INSERT INTO t VALUES ('b1')")  # waits until a's kept lease is released
    owner_b = r.hget(lock, "owner")  # now b keeps one of its own
    assert owner_b is not None and owner_b != owner_a
    assert b.execute("SELECT count(*) FROM t").fetchall() == [(2,)]
    # a writes while b holds it: a joins the queue; b's next commit releases it
    done = threading.Event()

    def a_writes() -> None:
        a.execute("INSERT INTO t VALUES ('a2')")
        done.set()

    t = threading.Thread(target=a_writes)
    b.execute("BEGIN IMMEDIATE")  # b holds the lease through a transaction
    t.start()
    time.sleep(0.2)
    assert not done.is_set()  # a waits for b
    assert r.zcard("vermilion:sql:{keep}:queue") == 1  # a waits in the queue
    b.execute("INSERT INTO t VALUES ('b2')")
    b.execute("COMMIT")  # waited for: released, not kept
    t.join(5)
    assert done.is_set()
    assert r.zcard("vermilion:sql:{keep}:queue") == 0  # a left it when it took the lease
    assert a.execute("SELECT v FROM t ORDER BY v").fetchall() == [
        ("a1",), ("a2",), ("b1",), ("b2",)]
    assert a.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_zero_timeout_writer_goes_right_after_a_commit(r: Any) -> None:
    """A connection that just committed keeps the writer lease for its next write, but never
    against another writer: one with busy timeout 0 starting at once succeeds, as on a file
    database (another connection of the process carries the kept lease's release in its
    begin), and the holder's next write takes the lease anew with a fresh fencing token."""
    a = open_connection("zero", create=True)
    b = open_connection("zero", busy_timeout=0)
    a.execute("CREATE TABLE t(who TEXT, i INTEGER)")
    lock = "vermilion:sql:{zero}:lock"
    fences: list[int] = []
    for i in range(30):
        a.execute("INSERT INTO t VALUES ('a', ?)", (i,))  # a keeps the writer lease
        assert r.hget(lock, "state") == b"KEPT"
        b.execute("BEGIN IMMEDIATE")  # at once, no wait allowed
        fences.append(int(r.hget(lock, "fence")))
        b.execute("INSERT INTO t VALUES ('b', ?)", (i,))
        b.execute("COMMIT")
        if i % 3 == 0:
            b.execute("INSERT INTO t VALUES ('b', ?)", (-i,))  # b keeps it: a carries it next
    assert fences == sorted(set(fences))  # every handover issued a new token
    assert a.execute("SELECT who, count(*) FROM t GROUP BY who").fetchall() == [
        ("a", 30), ("b", 40)]
    assert b.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert r.zcard("vermilion:sql:{zero}:queue") == 0


def test_zero_timeout_writer_of_another_process_waits_for_a_kept_release(
        r: Any, vermilion_server: Any) -> None:
    """A writer that cannot carry the kept lease's release (another process: here another
    client, whose keeper is apart) waits for it even with busy timeout 0, briefly: the
    holder's keeper releases an unused kept lease within RELEASE_DELAY."""
    other = config.client_from_url(vermilion_server.url)
    a = open_connection("zero2", create=True)
    b = open_connection("zero2", client=other, busy_timeout=0)
    a.execute("CREATE TABLE t(i INTEGER)")
    for i in range(10):
        a.execute("INSERT INTO t VALUES (?)", (i,))  # kept by a
        b.execute("INSERT INTO t VALUES (?)", (100 + i,))  # waits for a's keeper, not fails
    assert b.execute("SELECT count(*) FROM t").fetchall() == [(20,)]
    # a transaction that holds the lease (not kept) still makes b fail at once
    a.execute("BEGIN IMMEDIATE")
    with pytest.raises(apsw.BusyError):
        b.execute("INSERT INTO t VALUES (-1)")
    a.execute("COMMIT")
    other.close()


@pytest.mark.parametrize("begin", ["/* why */ BEGIN IMMEDIATE", "-- note\nbegin exclusive",
                                   "  /*a*/ /* b */BEGIN/* c */IMMEDIATE"])
def test_begin_immediate_after_comments_takes_the_writer_lease_up_front(
        r: Any, begin: str) -> None:
    """The exec tracer reads a statement's first keywords past comments (before, it missed
    ``/* x */ BEGIN IMMEDIATE``, took a reader lease and upgraded: two round trips)."""
    a = open_connection("cmt", create=True)
    a.execute("CREATE TABLE t(v)")
    assert keeper().flush()  # the kept lease's release sent
    r.round_trips.reset()
    a.execute(begin)
    assert r.round_trips.count == 1  # the begin took the writer lease itself
    assert r.hget("vermilion:sql:{cmt}:lock", "state") == b"RESERVED"
    a.execute("INSERT INTO t VALUES (1)")
    a.execute("COMMIT")


def _bank_worker(url: str, seed: int, n: int) -> None:
    vermilion.configure(url)
    c = open_connection("bank", busy_timeout=20)
    rnd = random.Random(seed)
    for _ in range(n):
        src, dst = rnd.sample(range(8), 2)
        amount = rnd.randint(1, 50)
        c.execute("BEGIN IMMEDIATE")
        c.execute("UPDATE acct SET bal = bal - ? WHERE id = ?", (amount, src))
        c.execute("UPDATE acct SET bal = bal + ? WHERE id = ?", (amount, dst))
        c.execute("UPDATE counter SET n = n + 1")
        c.execute("COMMIT")
        if rnd.random() < 0.3:  # readers in the mix
            (total,), = c.execute("SELECT sum(bal) FROM acct").fetchall()
            assert total == 8000
    c.close()  # sends this process's last lease releases before it exits


def test_four_processes_bank_transfers(r: Any, url: str) -> None:
    c = open_connection("bank", create=True)
    c.execute("CREATE TABLE acct(id INTEGER PRIMARY KEY, bal INTEGER)")
    c.execute("CREATE TABLE counter(n INTEGER)")
    c.execute("INSERT INTO counter VALUES (0)")
    c.executemany("INSERT INTO acct VALUES (?, 1000)", [(i,) for i in range(8)])
    n = 25
    version = int(r.hget("vermilion:sql:{bank}:meta", "version"))
    procs = [ctx.Process(target=_bank_worker, args=(url, seed, n)) for seed in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    assert c.execute("SELECT sum(bal) FROM acct").fetchall() == [(8000,)]
    assert c.execute("SELECT n FROM counter").fetchall() == [(4 * n,)]
    assert int(r.hget("vermilion:sql:{bank}:meta", "version")) == version + 4 * n  # no lost commit
    assert c.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def _hold_write_lease(url: str, ready: Any) -> None:
    vermilion.configure(url)
    c = open_connection("crash", lease=1.0)
    c.execute("BEGIN IMMEDIATE")
    c.execute("INSERT INTO t VALUES ('never committed')")
    ready.set()
    signal.pause()


def test_sigkilled_writer_blocks_at_most_one_lease(r: Any, url: str) -> None:
    c = open_connection("crash", create=True, lease=1.0, busy_timeout=10)
    c.execute("CREATE TABLE t(v TEXT)")
    ready = ctx.Event()
    p = ctx.Process(target=_hold_write_lease, args=(url, ready))
    p.start()
    assert ready.wait(20)
    lock = "vermilion:sql:{crash}:lock"
    assert r.exists(lock)
    assert p.pid is not None
    os.kill(p.pid, signal.SIGKILL)
    p.join()
    assert 0 < r.pttl(lock) <= 1000  # the dead holder's lease ends within one lease
    c.execute("BEGIN IMMEDIATE")  # waits (busy timeout) until the lease ends
    c.execute("INSERT INTO t VALUES ('after crash')")
    c.execute("COMMIT")
    assert c.execute("SELECT v FROM t").fetchall() == [("after crash",)]
    assert c.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_fenced_commit_is_refused_and_rolled_back(r: Any) -> None:
    a = open_connection("fence", create=True, lease=1.0)
    a.execute("CREATE TABLE t(v TEXT)")
    b = open_connection("fence", lease=1.0)
    a.execute("BEGIN IMMEDIATE")
    a.execute("INSERT INTO t VALUES ('a')")
    # a's leases end (as if it were paused past them): another writer takes over and commits
    r.delete("vermilion:sql:{fence}:lock", "vermilion:sql:{fence}:readers")
    b.execute("INSERT INTO t VALUES ('b')")
    with pytest.raises(apsw.Error) as info:
        a.execute("COMMIT")
    assert isinstance(info.value, FencedError)
    if a.in_transaction:
        a.execute("ROLLBACK")
    assert a.execute("SELECT v FROM t").fetchall() == [("b",)]
    a.execute("INSERT INTO t VALUES ('a again')")
    assert b.execute("SELECT v FROM t ORDER BY v").fetchall() == [("a again",), ("b",)]
    assert b.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_commit_retried_after_lost_reply_applies_once(r: Any, monkeypatch: Any) -> None:
    c = open_connection("retry", create=True)
    c.execute("CREATE TABLE t(v INTEGER)")
    real = remote.call
    seen: list[Any] = []

    def lossy(executor: Any, request: Any) -> Any:
        reply = real(executor, request)
        if request.script is not None and request.script.name == "sql_commit" and not seen:
            seen.append(reply)
            raise ConnectionLost("reply lost")  # the script ran; the client saw nothing
        if request.script is not None and request.script.name == "sql_commit":
            seen.append(reply)
        return reply

    version = int(r.hget("vermilion:sql:{retry}:meta", "version"))
    monkeypatch.setattr(remote, "call", lossy)
    c.execute("INSERT INTO t VALUES (1)")
    monkeypatch.setattr(remote, "call", real)
    assert [s[0] for s in seen] == [b"OK", b"DONE"]  # the same commit id, run twice
    assert int(r.hget("vermilion:sql:{retry}:meta", "version")) == version + 1
    d = open_connection("retry")
    assert d.execute("SELECT v FROM t").fetchall() == [(1,)]


_statements = st.one_of(
    st.tuples(st.just("INSERT INTO t(k, v) VALUES (?, ?)"),
              st.tuples(st.integers(0, 30), st.text(max_size=300))),
    st.tuples(st.just("UPDATE t SET v = v || ? WHERE k % 3 = ?"),
              st.tuples(st.text(max_size=50), st.integers(0, 2))),
    st.tuples(st.just("DELETE FROM t WHERE k BETWEEN ? AND ?"),
              st.tuples(st.integers(0, 30), st.integers(0, 30))),
    st.tuples(st.just("SELECT k, v FROM t ORDER BY k"), st.just(())),
    st.tuples(st.just("SELECT count(*), sum(k), max(length(v)) FROM t"), st.just(())),
    st.tuples(st.just("INSERT INTO u(b) VALUES (?)"),
              st.tuples(st.binary(max_size=3000))),
    st.tuples(st.just("SELECT count(*), sum(length(b)) FROM u"), st.just(())),
    st.sampled_from([("BEGIN", ()), ("COMMIT", ()), ("ROLLBACK", ()),
                     ("CREATE INDEX IF NOT EXISTS iv ON t(v)", ()), ("DROP INDEX IF EXISTS iv", ()),
                     ("VACUUM", ())]),
)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_statements, max_size=30))
def test_same_results_as_sqlite(r: Any, ops: list[tuple[str, tuple[Any, ...]]]) -> None:
    drop("prop")
    ours = open_connection("prop", create=True)
    other = open_connection("prop")  # a second connection reads what the first commits
    ref = sqlite3.connect(":memory:", isolation_level=None)
    schema = "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT); CREATE TABLE u(b BLOB)"
    ours.execute(schema)
    ref.executescript(schema)

    def run(conn: Any, sql: str, params: Any) -> Any:
        try:
            return ("ok", [tuple(row) for row in conn.execute(sql, params).fetchall()])
        except (apsw.Error, sqlite3.Error) as exc:
            return ("error", type(exc).__name__ in ("ConstraintError", "IntegrityError")
                    or "transaction" in str(exc))

    for sql, params in ops:
        got = run(ours, sql, params)
        want = run(ref, sql, params)
        assert got == want, sql
    if not ours.in_transaction:
        for q in ("SELECT k, v FROM t ORDER BY k", "SELECT b FROM u ORDER BY rowid"):
            assert other.execute(q).fetchall() == ref.execute(q).fetchall()
    assert ours.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_heartbeat_keeps_a_long_transaction_alive(r: Any) -> None:
    a = open_connection("beat", create=True, lease=0.6)
    a.execute("CREATE TABLE t(v INTEGER)")
    a.execute("BEGIN IMMEDIATE")
    a.execute("INSERT INTO t VALUES (1)")
    time.sleep(1.5)  # longer than two leases: the keeper renews them (every lease / 3)
    assert r.exists("vermilion:sql:{beat}:lock")
    a.execute("COMMIT")
    assert open_connection("beat").execute("SELECT v FROM t").fetchall() == [(1,)]


# -- server safety checks ---------------------------------------------------------------------------
def test_allkeys_eviction_policy_refused(r: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv(database.ALLOW_ENV, raising=False)
    r.config_set("maxmemory-policy", "allkeys-lru")
    try:
        with pytest.raises(UnsafeServerError, match="allkeys-lru"):
            open_connection("ev", create=True)
        assert r.keys("*") == []  # refused before anything was created
        c = open_connection("ev", create=True, allow_eviction=True)
        c.execute("CREATE TABLE t(x)")
        monkeypatch.setenv(database.ALLOW_ENV, "1")
        assert open_connection("ev").execute("SELECT count(*) FROM t").fetchall() == [(0,)]
        monkeypatch.setenv(database.ALLOW_ENV, "0")
        with pytest.raises(UnsafeServerError):
            open_connection("ev")
        r.config_set("maxmemory-policy", "volatile-lru")
        config.sync_executor(r)._vermilion_sql_policy = None  # type: ignore[attr-defined]  # forget the policy
        assert open_connection("ev").execute("SELECT count(*) FROM t").fetchall() == [(0,)]
    finally:
        r.config_set("maxmemory-policy", "noeviction")


def test_server_refusing_config_warns_once(monkeypatch: Any) -> None:
    monkeypatch.setattr(database, "_warned", False)
    server = EmbeddedServer(extra_args=["--rename-command", "CONFIG", "hidden-config"])
    try:
        client = config.client_from_url(server.url)
        with pytest.warns(UncheckedServerWarning, match="refused CONFIG"):
            c = open_connection("managed", client=client, create=True)
        c.execute("CREATE TABLE t(x)")
        c.execute("INSERT INTO t VALUES (1)")
        other = config.client_from_url(server.url)  # a new client checks again: no new warning
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            d = open_connection("managed", client=other)
        assert d.execute("SELECT x FROM t").fetchall() == [(1,)]
        client.close()
        other.close()
    finally:
        server.stop()


def test_recreated_database_flushes_sqlite_cache(r: Any, caplog: Any) -> None:
    a = open_connection("tt", create=True)
    a.execute("CREATE TABLE t(v TEXT)")
    a.execute("INSERT INTO t VALUES ('old')")
    assert a.execute("SELECT v FROM t").fetchall() == [("old",)]
    r.flushall()
    b = open_connection("tt", create=True)  # same statements: the same SQLite change counter
    b.execute("CREATE TABLE t(v TEXT)")
    b.execute("INSERT INTO t VALUES ('new')")
    with caplog.at_level(logging.WARNING, logger="vermilion.sql"):
        assert a.execute("SELECT v FROM t").fetchall() == [("new",)]
    assert "went back in time" in caplog.text
    assert a.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_restored_older_version_flushes_caches(r: Any) -> None:
    a = open_connection("old", create=True)
    a.execute("CREATE TABLE t(v TEXT)")
    a.execute("INSERT INTO t VALUES ('one')")
    assert keeper().flush()  # (a reader lease released meanwhile would empty its key)
    dumps = {k: d for k in sqlkeys.db_keys("old") if (d := r.dump(k)) is not None}
    a.executemany("INSERT INTO t VALUES (?)", [("two",), ("three",)])
    b = open_connection("old")
    assert len(b.execute("SELECT v FROM t").fetchall()) == 3  # warm caches at the later version
    cache = redis_vfs.page_cache(config.sync_executor(r), "old")
    flushes = cache.flushes
    for k, d in dumps.items():
        r.restore(k, 0, d, replace=True)  # the database goes back in time (a restored backup)
    assert b.execute("SELECT v FROM t").fetchall() == [("one",)]
    assert cache.flushes == flushes + 1
    assert a.execute("SELECT v FROM t").fetchall() == [("one",)]
    a.execute("INSERT INTO t VALUES ('after')")
    assert b.execute("SELECT v FROM t ORDER BY v").fetchall() == [("after",), ("one",)]
    assert b.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


# -- large commits ------------------------------------------------------------------------------------
def test_twenty_megabyte_commit_is_staged_in_chunks(r: Any, vermilion_server: Any,
                                                    monkeypatch: Any) -> None:
    a = open_connection("huge", create=True)
    a.execute("CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB)")
    blobs = [os.urandom(1 << 20) for _ in range(20)]
    real = remote.call
    sizes: dict[str, list[int]] = {"sql_stage": [], "sql_commit": []}

    def measuring(executor: Any, request: Any) -> Any:
        name = request.script.name if request.script is not None else ""
        if name in sizes:
            sizes[name].append(sum(len(x) if isinstance(x, bytes) else 8 for x in request.args))
        return real(executor, request)

    monkeypatch.setattr(remote, "call", measuring)
    with a:
        a.executemany("INSERT INTO t(v) VALUES (?)", [(b,) for b in blobs])
    monkeypatch.setattr(remote, "call", real)
    pages = 20 * (1 << 20) // 4096
    assert len(sizes["sql_commit"]) == 1
    assert len(sizes["sql_stage"]) >= pages // redis_vfs.STAGE_CHUNK  # 20 MiB in 1 MiB chunks
    assert max(sizes["sql_stage"] + sizes["sql_commit"]) < 1.2 * redis_vfs.STAGE_CHUNK * 4096
    assert not r.exists("vermilion:sql:{huge}:stage")  # the commit moved the staged pages
    fresh = config.client_from_url(vermilion_server.url)  # another client: an empty cache
    b = open_connection("huge", client=fresh)
    got = b.execute("SELECT v FROM t ORDER BY k").fetchall()
    assert [row[0] for row in got] == blobs
    assert b.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    b.close()
    fresh.close()


def test_staged_pages_of_a_fenced_writer_never_land(r: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(redis_vfs, "STAGE_CHUNK", 4)
    a = open_connection("stg", create=True, lease=1.0)
    a.execute("CREATE TABLE t(v BLOB)")
    b = open_connection("stg", lease=1.0)
    a.execute("BEGIN IMMEDIATE")
    a.execute("INSERT INTO t VALUES (?)", (os.urandom(40000),))
    real = remote.call

    def takeover(executor: Any, request: Any) -> Any:
        if request.script is not None and request.script.name == "sql_commit":
            # a's leases end after its pages were staged: b takes over and commits
            r.delete("vermilion:sql:{stg}:lock", "vermilion:sql:{stg}:readers")
            monkeypatch.setattr(remote, "call", real)
            b.execute("INSERT INTO t VALUES (x'01')")
        return real(executor, request)

    monkeypatch.setattr(remote, "call", takeover)
    with pytest.raises(FencedError):
        a.execute("COMMIT")
    if a.in_transaction:
        a.execute("ROLLBACK")
    assert a.execute("SELECT v FROM t").fetchall() == [(b"\x01",)]
    assert not r.exists("vermilion:sql:{stg}:stage")
    assert a.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


# -- Redis Cluster ------------------------------------------------------------------------------------
@pytest.mark.cluster
def test_two_databases_in_different_slots_on_cluster(rc: Any) -> None:
    names = ["east"]
    node = rc.get_node_from_key(sqlkeys.hash_tag("east"))
    names.append(next(n for n in (f"west{i}" for i in range(100))
                      if rc.get_node_from_key(sqlkeys.hash_tag(n)) != node))
    conns = {n: open_connection(n, create=True) for n in names}
    for i, (n, c) in enumerate(conns.items()):
        c.execute("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)")
        c.executemany("INSERT INTO t(v) VALUES (?)", [(f"{n}-{j}",) for j in range(50 + i)])
        c.execute("BEGIN IMMEDIATE")
        c.execute("UPDATE t SET v = upper(v) WHERE k % 2 = 0")
        c.execute("COMMIT")
    for i, n in enumerate(names):
        d = open_connection(n)
        rows = d.execute("SELECT v FROM t ORDER BY k").fetchall()
        assert len(rows) == 50 + i
        assert rows[1] == (f"{n}-1".upper(),) and rows[2] == (f"{n}-2",)
        assert d.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    slots = {n: rc.keyslot(sqlkeys.hash_tag(n)) for n in names}
    assert slots[names[0]] != slots[names[1]]
    assert keeper().flush()
    keys = [k.decode() for k in rc.keys(target_nodes=RedisCluster.PRIMARIES)]
    assert keys
    for k in keys:
        n = next(n for n in names if k.startswith(sqlkeys.hash_tag(n) + ":"))
        assert rc.keyslot(k) == slots[n]
    for n in names:
        assert {k for k in keys if k.startswith(sqlkeys.hash_tag(n))} >= {
            f"{sqlkeys.hash_tag(n)}:{p}" for p in ("meta", "pages", "pv", "fence", "commits")}
        assert drop(n) is True
    assert rc.keys(target_nodes=RedisCluster.PRIMARIES) == []
