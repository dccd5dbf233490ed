"""Faults around SQL databases stored in Redis: paused and killed processes, lost replies."""

from __future__ import annotations

import multiprocessing
import os
import signal
from typing import Any

import apsw
import pytest

import vermilion
from vermilion.core.errors import ConnectionLost
from vermilion.sql import open_connection, remote
from vermilion.sql.leases import keeper

# spawn, not fork: forking while the lease keeper thread runs can hang the child (known issue)
ctx = multiprocessing.get_context("spawn")
LEASE = 0.5


@pytest.fixture
def url(r: Any, vermilion_server: Any) -> str:
    return str(vermilion_server.url)


def _server_ms(r: Any) -> int:
    seconds, micros = r.time()
    return int(seconds) * 1000 + int(micros) // 1000


def _paused_writer(url: str, ready: Any, go: Any, q: Any) -> None:
    vermilion.configure(url)
    c = open_connection("paused", lease=LEASE)
    c.execute("BEGIN IMMEDIATE")
    c.execute("INSERT INTO t VALUES ('paused writer')")
    ready.set()
    go.recv()
    try:
        c.execute("COMMIT")
        q.put("committed")
    except apsw.Error as exc:
        q.put(type(exc).__name__)
        if c.in_transaction:
            c.execute("ROLLBACK")
    q.put(c.execute("SELECT v FROM t").fetchall())
    c.close()


def test_sigstopped_writer_is_fenced_on_resume(r: Any, url: str) -> None:
    c = open_connection("paused", create=True, lease=LEASE, busy_timeout=20)
    c.execute("CREATE TABLE t(v TEXT)")
    ready, q = ctx.Event(), ctx.Queue()
    go, go_sender = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_paused_writer, args=(url, ready, go, q))
    p.start()
    assert p.pid is not None
    try:
        assert ready.wait(20)
        os.kill(p.pid, signal.SIGSTOP)  # paused past its lease: its keeper cannot renew
        c.execute("BEGIN IMMEDIATE")  # waits (busy timeout) until the paused leases end
        c.execute("INSERT INTO t VALUES ('other writer')")
        c.execute("COMMIT")
    finally:
        os.kill(p.pid, signal.SIGCONT)
    go_sender.send("commit now")  # the resumed writer commits
    assert q.get(timeout=20) == "FencedError"
    assert q.get(timeout=20) == [("other writer",)]
    p.join(20)
    assert p.exitcode == 0
    assert c.execute("SELECT v FROM t").fetchall() == [("other writer",)]
    assert c.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def _reader_holding(url: str, ready: Any) -> None:
    vermilion.configure(url)
    c = open_connection("kreader", lease=LEASE)
    c.execute("BEGIN")
    assert c.execute("SELECT count(*) FROM t").fetchall() == [(1,)]  # holds SHARED
    ready.set()
    signal.pause()


def test_sigkilled_reader_blocks_a_writer_at_most_one_lease(r: Any, url: str) -> None:
    c = open_connection("kreader", create=True, lease=LEASE, busy_timeout=20)
    c.execute("CREATE TABLE t(v TEXT)")
    c.execute("INSERT INTO t VALUES ('before')")
    assert keeper().flush()
    ready = ctx.Event()
    p = ctx.Process(target=_reader_holding, args=(url, ready))
    p.start()
    assert ready.wait(20)
    assert p.pid is not None
    os.kill(p.pid, signal.SIGKILL)
    p.join()
    readers = r.zrange("vermilion:sql:{kreader}:readers", 0, -1, withscores=True)
    assert readers  # the dead reader's leases (its last release may not have been sent)
    now = _server_ms(r)
    assert all(0 < score - now <= LEASE * 1000 for _, score in readers)  # end within one lease
    c.execute("BEGIN IMMEDIATE")
    c.execute("INSERT INTO t VALUES ('after')")
    c.execute("COMMIT")  # waits for the dead reader's lease to end (BUSY, retried)
    assert c.execute("SELECT v FROM t ORDER BY v").fetchall() == [("after",), ("before",)]
    assert keeper().flush()
    assert r.zcard("vermilion:sql:{kreader}:readers") == 0
    assert c.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_lost_reply_retried_after_another_commit_is_applied_once(r: Any, monkeypatch: Any
                                                                 ) -> None:
    a = open_connection("lost", create=True)
    a.execute("CREATE TABLE t(v TEXT)")
    b = open_connection("lost")
    real = remote.call
    statuses: list[bytes] = []

    def lossy(executor: Any, request: Any) -> Any:
        reply = real(executor, request)
        if request.script is not None and request.script.name == "sql_commit":
            statuses.append(reply[0])
            if len(statuses) == 1:
                # the script ran (keeping a's writer lease), its reply is lost; the lease ends
                # (as if it expired meanwhile) and before the retry other writers commit
                assert reply[2] == 1
                r.delete("vermilion:sql:{lost}:lock")
                monkeypatch.setattr(remote, "call", real)
                b.execute("INSERT INTO t VALUES ('b1')")
                b.execute("INSERT INTO t VALUES ('b2')")
                monkeypatch.setattr(remote, "call", lossy)
                raise ConnectionLost("reply lost")
        return reply

    version = int(r.hget("vermilion:sql:{lost}:meta", "version"))
    monkeypatch.setattr(remote, "call", lossy)
    a.execute("INSERT INTO t VALUES ('a')")  # no error: the retry is recognised as applied
    monkeypatch.setattr(remote, "call", real)
    assert statuses == [b"OK", b"DONE"]
    assert int(r.hget("vermilion:sql:{lost}:meta", "version")) == version + 3
    for conn in (a, b, open_connection("lost")):
        assert conn.execute("SELECT v FROM t ORDER BY v").fetchall() == [
            ("a",), ("b1",), ("b2",)]
    a.execute("INSERT INTO t VALUES ('a2')")
    assert b.execute("SELECT count(*) FROM t").fetchall() == [(4,)]
    assert a.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_remembered_commit_ids_are_capped(r: Any) -> None:
    c = open_connection("capped", create=True)
    c.execute("CREATE TABLE t(v INTEGER)")
    c.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(1100)])  # autocommit each
    # trimmed back to the last 1024 every 64 commits
    assert 1024 <= r.zcard("vermilion:sql:{capped}:commits") < 1024 + 64


# -- fork --------------------------------------------------------------------------------------
def _child_collects_then_opens(url: str, q: Any) -> None:
    import gc

    vermilion.configure(url)
    gc.enable()
    gc.collect()  # closes the inherited copies of the parent's connections
    c = open_connection("forkgc")
    q.put(c.execute("SELECT count(*) FROM t").fetchall())
    c.close()


def test_forked_child_never_releases_the_parents_leases(r: Any, url: str) -> None:
    import gc

    fork = multiprocessing.get_context("fork")
    setup = open_connection("forkgc", create=True)
    setup.execute("CREATE TABLE t(x); INSERT INTO t VALUES (1)")
    gc.collect()
    gc.disable()  # the parent's forgotten connections stay open (in reference cycles)
    try:
        for _ in range(3):
            c = open_connection("forkgc")
            c.execute("BEGIN")
            assert c.execute("SELECT x FROM t").fetchall() == [(1,)]  # holds a reader lease
            holder: dict[str, Any] = {"conn": c}
            holder["self"] = holder
        del c, holder
        held = r.zcard("vermilion:sql:{forkgc}:readers")
        assert held == 3
        q = fork.Queue()
        p = fork.Process(target=_child_collects_then_opens, args=(url, q))
        p.start()
        assert q.get(timeout=30) == [(1,)]
        p.join(30)
        assert p.exitcode == 0
        assert keeper().flush()
        # the child closed its copies without touching the leases: they are the parent's
        assert r.zcard("vermilion:sql:{forkgc}:readers") == held
    finally:
        gc.enable()
    gc.collect()  # now the parent's own connections close, releasing their leases
    assert keeper().flush()
    assert r.zcard("vermilion:sql:{forkgc}:readers") == 0
