"""SQL data safety (issue 7): Redis rolled back under warm caches, writer leases brought back by a
snapshot, a full server (maxmemory), untrusted SQL in read-only queries.

Every server here is a private redis-server started by the test (never the machine's own).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import time
from collections.abc import Iterator
from typing import Any

import apsw
import pytest
import redis

import vermilion
from vermilion.core.config import client_from_url
from vermilion.server import EmbeddedServer
from vermilion.sql import (
    QueryTimeout,
    ReadOnlyViolation,
    create_db,
    open_connection,
)
from vermilion.sql import aio as asql
from vermilion.sql import open as open_db
from vermilion.sql.leases import keeper

# spawn, not fork: forking while the lease keeper thread runs can hang the child (known issue)
ctx = multiprocessing.get_context("spawn")


@pytest.fixture
def server() -> Iterator[EmbeddedServer]:
    """A private server of this test's own: it gets killed, rolled back and filled up."""
    with EmbeddedServer(extra_args=["--maxmemory-policy", "noeviction"]) as s:
        yield s


def _restart_from(server: EmbeddedServer, rdb: str, *clients: Any) -> None:
    """SIGKILL the server (it saves nothing) and start it again from the RDB file ``rdb``."""
    server.kill()
    shutil.copy(rdb, os.path.join(server.dir, "dump.rdb"))
    server.start()
    for c in clients:
        c.connection_pool.disconnect()  # sockets of the killed server


def _snapshot(client: Any, server: EmbeddedServer, to: str) -> str:
    client.save()
    shutil.copy(os.path.join(server.dir, "dump.rdb"), to)
    return to


def _counts(conn: apsw.Connection) -> dict[str, int]:
    return {str(k): int(n)  # type: ignore[arg-type]
            for k, n in conn.execute("SELECT who, count(*) FROM t GROUP BY who").fetchall()}


# -- item 2: rollbacks -------------------------------------------------------------------------
def _other_writer(url: str, commits: int, rows: int) -> None:
    """Another process: ``commits`` commits adding ``rows`` rows in all."""
    vermilion.configure(url)
    b = open_connection("rb", busy_timeout=20)
    per = [rows // commits + (1 if i < rows % commits else 0) for i in range(commits)]
    for n in per:
        b.execute("BEGIN IMMEDIATE")
        b.executemany("INSERT INTO t(who, v) VALUES ('B', ?)", [(f"b{i:04}",) for i in range(n)])
        b.execute("COMMIT")
    b.close()


@pytest.mark.slow
def test_warm_cache_survives_no_rollback_followed_by_as_many_commits(
        server: EmbeddedServer, tmp_path: Any, caplog: Any) -> None:
    """Restart from an older RDB, then another process commits as many times as were lost: the
    version (and SQLite's change counter) match again, the pages do not.  Process A must read
    the other writer's rows, and its next commit must keep them (before the fix it read its own
    lost rows from its page cache and its commit erased the 151 rows of the other writer)."""
    ca = client_from_url(server.url)
    a = open_connection("rb", create=True, client=ca)
    a.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, who TEXT, v TEXT)")
    a.executemany("INSERT INTO t(who, v) VALUES ('base', ?)", [(f"x{i}",) for i in range(20)])
    assert keeper().flush()  # no lease of A's in the snapshot
    old = _snapshot(ca, server, str(tmp_path / "old.rdb"))
    lost = 5
    for i in range(lost):  # A's commits: gone with the rollback
        a.execute("INSERT INTO t(who, v) VALUES ('A', ?)", (f"a{i}",))
    assert _counts(a) == {"base": 20, "A": lost}  # A's caches are warm at this state
    assert keeper().flush()
    meta = "vermilion:sql:{rb}:meta"
    seen_version = int(ca.hget(meta, "version"))
    _restart_from(server, old, ca)
    assert int(ca.hget(meta, "version")) == seen_version - lost
    p = ctx.Process(target=_other_writer, args=(server.url, lost, 151))
    p.start()
    p.join(60)
    assert p.exitcode == 0
    assert int(ca.hget(meta, "version")) == seen_version  # the same version as A saw
    with caplog.at_level(logging.WARNING, logger="vermilion.sql"):
        seen_by_a = _counts(a)
        a.execute("INSERT INTO t(who, v) VALUES ('A', 'after')")
    fresh = open_connection("rb", client=client_from_url(server.url))  # a cold page cache
    after = _counts(fresh)
    print("ROLLBACK-FIGURES seen_by_a", seen_by_a, "after A's commit", after)
    assert (seen_by_a, after) == ({"base": 20, "B": 151}, {"base": 20, "B": 151, "A": 1})
    assert "went back in time" in caplog.text
    assert fresh.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    a.close()
    fresh.close()


@pytest.mark.slow
def test_writer_lease_restored_by_a_snapshot_is_not_renewed(server: EmbeddedServer,
                                                            tmp_path: Any) -> None:
    """A snapshot taken while A held the writer lease brings it back; A released it long ago,
    so its keeper must not renew it: B gets the lease within one lease time (before the fix A's
    keeper renewed it forever and B failed with "database is locked")."""
    lease = 2.0
    ca, cb = client_from_url(server.url), client_from_url(server.url)
    a = open_connection("rl", create=True, client=ca, lease=lease)
    a.execute("CREATE TABLE t(v TEXT)")
    a.execute("BEGIN IMMEDIATE")
    a.execute("INSERT INTO t VALUES ('a1')")
    lock = "vermilion:sql:{rl}:lock"
    owner = ca.hget(lock, "owner")
    old = _snapshot(ca, server, str(tmp_path / "locked.rdb"))  # A holds the writer lease
    a.execute("COMMIT")  # A keeps the lease, its keeper releases it 20 ms later
    deadline = time.monotonic() + 5
    while ca.exists(lock) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not ca.exists(lock)  # released
    _restart_from(server, old, ca)
    assert ca.hget(lock, "owner") == owner  # the snapshot brought A's lease back
    b = open_connection("rl", client=cb, busy_timeout=3 * lease)
    b.execute("INSERT INTO t VALUES ('b')")  # waits until the restored lease ends
    assert b.execute("SELECT v FROM t").fetchall() == [("b",)]
    assert a.execute("SELECT v FROM t").fetchall() == [("b",)]  # 'a1' went with the rollback
    assert a.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    a.close()
    b.close()


# -- item 5: a full server ---------------------------------------------------------------------
def test_reads_work_and_writes_fail_clearly_at_maxmemory(server: EmbeddedServer) -> None:
    c = client_from_url(server.url)
    a = open_connection("full", create=True, client=c)
    a.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, x INTEGER, pad TEXT)")
    a.executemany("INSERT INTO t(x, pad) VALUES (?, ?)", [(i, "p" * 200) for i in range(3000)])
    expected = [(3000, sum(range(3000)))]
    db = open_db("full", client=c)
    assert keeper().flush()
    c.config_set("maxmemory", int(c.info("memory")["used_memory"]) // 2)
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        c.set("probe", "x")  # the server refuses writes
    cold = open_connection("full", client=client_from_url(server.url))  # empty page cache
    for i in range(20):
        assert a.execute("SELECT count(*), sum(x) FROM t").fetchall() == expected
        assert cold.execute("SELECT count(*), sum(x) FROM t").fetchall() == expected
        assert db.query("SELECT count(*), sum(x) FROM t WHERE id > ?", 0) == expected
        if i % 5 == 0:  # with and without reader releases carried by the next begin
            assert keeper().flush()
    assert keeper().flush()
    with pytest.raises(apsw.FullError, match="out of memory"):
        a.execute("INSERT INTO t(x, pad) VALUES (-1, 'refused')")
    with pytest.raises(apsw.FullError):
        db.exec("DELETE FROM t")
    assert cold.execute("SELECT count(*), sum(x) FROM t").fetchall() == expected
    c.config_set("maxmemory", 0)
    a.execute("INSERT INTO t(x, pad) VALUES (-1, 'accepted')")
    assert cold.execute("SELECT count(*) FROM t").fetchall() == [(3001,)]
    assert cold.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    for conn in (a, cold):
        conn.close()
    db.close()


# -- item 4: read-only queries decided by SQLite, and a time limit ------------------------------
@pytest.mark.parametrize("pragma", [
    "PRAGMA ignore_check_constraints(1)",
    "PRAGMA ignore_check_constraints = 1",
    "PRAGMA foreign_keys(0)",
    "PRAGMA main.foreign_keys(off)",
    "PRAGMA max_page_count(2)",
    "PRAGMA recursive_triggers(1)",
    "PRAGMA optimize",
    "PRAGMA incremental_vacuum",
    "SELECT 1; PRAGMA foreign_keys(0)",
])
def test_query_refuses_pragmas_that_change_the_connection(r: Any, pragma: str) -> None:
    db = create_db("pragmas")
    db.exec("PRAGMA foreign_keys = ON")
    db.exec("CREATE TABLE p(id INTEGER PRIMARY KEY); CREATE TABLE c(x INTEGER CHECK (x > 0), "
            "p INTEGER REFERENCES p(id)); INSERT INTO p VALUES (1)")
    before = db.query("PRAGMA max_page_count")
    with pytest.raises(ReadOnlyViolation):
        db.query(pragma)
    # nothing changed: CHECK and FOREIGN KEY constraints still hold, the size limit is the same
    with pytest.raises(apsw.ConstraintError):
        db.exec("INSERT INTO c VALUES (-1, 1)")
    with pytest.raises(apsw.ConstraintError):
        db.exec("INSERT INTO c VALUES (1, 99)")
    assert db.query("PRAGMA foreign_keys") == [(1,)]
    assert db.query("PRAGMA ignore_check_constraints") == [(0,)]
    assert db.query("PRAGMA max_page_count") == before
    db.exec("INSERT INTO c VALUES (?, 1)", "x" * 20000)  # grows past 2 pages
    assert db.query("SELECT count(*) FROM c") == [(1,)]


@pytest.mark.parametrize(("sql", "expected"), [
    ("PRAGMA journal_mode", [("memory",)]),
    ("PRAGMA foreign_keys", [(0,)]),
    ("PRAGMA table_info(t)", [(0, "x", "INTEGER", 0, None, 0)]),
    ("PRAGMA main.index_list(t)", []),
    ("PRAGMA integrity_check(5)", [("ok",)]),
    ("SELECT name, type FROM pragma_table_info('t')", [("x", "INTEGER")]),
    ("SELECT x FROM t WHERE x IN (SELECT value FROM json_each('[1, 2]'))", [(1,)]),
    ("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 4) "
     "SELECT sum(n) FROM c", [(10,)]),
])
def test_query_runs_what_only_reads(r: Any, sql: str, expected: list[tuple[Any, ...]]) -> None:
    db = create_db("reads")
    db.exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1)")
    assert db.query(sql) == expected


def test_query_refuses_vacuum_into_a_local_file(r: Any, tmp_path: Any) -> None:
    db = create_db("vac")
    db.exec("CREATE TABLE t(x); INSERT INTO t VALUES (1)")
    target = tmp_path / "copy.db"
    with pytest.raises(ReadOnlyViolation):
        db.query(f"VACUUM INTO '{target}'")
    assert not target.exists()


def test_stored_statement_inspection_has_no_effect(r: Any) -> None:
    """Compiling a statement to store it (and learn whether it is read-only) must not apply a
    PRAGMA that acts while compiled; a read-only query of it is refused."""
    db = create_db("stored")
    db.exec("PRAGMA foreign_keys = ON")
    db.create_statement("fk_off", "PRAGMA foreign_keys(0)")
    db.create_statement("schema", "PRAGMA table_info(_vermilion_statements)")
    assert db.query("PRAGMA foreign_keys") == [(1,)]
    assert not db.show_statement("fk_off").readonly
    assert db.show_statement("schema").readonly
    with pytest.raises(ReadOnlyViolation):
        db.query_statement("fk_off")
    assert db.query("PRAGMA foreign_keys") == [(1,)]
    assert len(db.query_statement("schema")) == 4
    db.create_statement("checks_off", "PRAGMA ignore_check_constraints(1)")
    assert db.query("PRAGMA ignore_check_constraints") == [(0,)]
    db.exec_statement("checks_off")  # exec runs anything
    assert db.query("PRAGMA ignore_check_constraints") == [(1,)]


HUGE = ("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 30000000) "
        "SELECT count(*) FROM c")


def test_query_timeout_interrupts_a_runaway_query(r: Any) -> None:
    db = create_db("slow")
    db.exec("CREATE TABLE t(x); INSERT INTO t VALUES (1)")
    with pytest.raises(QueryTimeout) as info:
        db.query(HUGE, timeout=0.2)
    assert isinstance(info.value, TimeoutError) and info.value.timeout == 0.2
    assert info.value.database == "slow"
    assert not db.connection.in_transaction
    assert keeper().flush()
    assert r.zcard("vermilion:sql:{slow}:readers") == 0  # its read transaction ended
    with pytest.raises(QueryTimeout):
        db.query_into("out", HUGE, timeout=0.2)
    assert not r.exists("out")
    db.create_statement("huge", HUGE)
    with pytest.raises(QueryTimeout):
        db.query_statement("huge", timeout=0.2)
    # the limit applies to the call it was given to only
    assert db.query("SELECT x FROM t WHERE x = :timeout", {"timeout": 1}) == [(1,)]
    assert db.query("SELECT count(*) FROM t", timeout=30) == [(1,)]
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError):
            db.query("SELECT 1", timeout=bad)
    with pytest.raises(TypeError):
        db.query("SELECT 1", timeout="1")  # type: ignore[arg-type]
    assert db.statistics()["errors"] == 3


async def test_async_query_timeout_and_read_only_rule(ar: Any) -> None:
    db = await asql.create_db("aslow")
    await db.exec("CREATE TABLE t(x CHECK (x > 0)); INSERT INTO t VALUES (1)")
    with pytest.raises(QueryTimeout):
        await db.query(HUGE, timeout=0.2)
    with pytest.raises(ReadOnlyViolation):
        await db.query("PRAGMA ignore_check_constraints(1)")
    with pytest.raises(apsw.ConstraintError):
        await db.exec("INSERT INTO t VALUES (-1)")
    assert await db.query("SELECT x FROM t", timeout=10) == [(1,)]
    await db.close()
