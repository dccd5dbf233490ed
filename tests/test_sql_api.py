"""The RediSQL-style API: named databases, stored statements, read-only queries, streams, copies."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import sqlite3
import threading
from pathlib import Path
from typing import Any

import apsw
import pytest

import vermilion
from vermilion.core.config import client_from_url
from vermilion.sql import (
    DatabaseExists,
    NoSuchDatabase,
    NoSuchStatement,
    ReadOnlyViolation,
    SQLDatabaseError,
    StatementExists,
    StatementInfo,
    copy,
    create_db,
    drop_db,
    exists,
    import_from,
    list_dbs,
    open_connection,
)
from vermilion.sql import aio as asql
from vermilion.sql import errors as sqlerrors
from vermilion.sql import leases as sqlleases
from vermilion.sql import open as open_db

ctx = multiprocessing.get_context("fork")

HN_TABLE = "CREATE TABLE IF NOT EXISTS hn(id integer primary key, author text, time int, item text)"
HN_INSERT = "INSERT INTO hn VALUES(?1, ?2, ?3, json(?4))"
ITEMS = [
    {"id": 8863, "by": "dhouston", "time": 1175714200, "title": "My YC app: Dropbox",
     "type": "story", "score": 111},
    {"id": 121003, "by": "pg", "time": 1203647620, "title": "Ask HN: The Arc Effect",
     "type": "story", "score": 25},
    {"id": 121016, "by": "pg", "time": 1203647735, "text": "comment", "type": "comment"},
    {"id": 1, "time": 1160418111, "type": "story"},  # no author
]


@pytest.fixture
def url(r: Any, vermilion_server: Any) -> str:
    return str(vermilion_server.url)


def _version(r: Any, name: str) -> int:
    return int(r.hget(f"vermilion:sql:{{{name}}}:meta", "version"))


def _store_hn(db: Any) -> None:
    db.exec(HN_TABLE)
    db.create_statement("insert_item", HN_INSERT)
    for item in ITEMS:
        db.exec_statement("insert_item", item["id"], item.get("by", "_no_author_"),
                          item["time"], json.dumps(item))


# -- databases ----------------------------------------------------------------------------------
def test_create_open_drop_list_and_errors(r: Any) -> None:
    assert list_dbs() == []
    db = create_db("HN")
    assert exists("HN") and list_dbs() == ["HN"]
    with pytest.raises(DatabaseExists) as info:
        create_db("HN")
    err = info.value
    assert isinstance(err, vermilion.VermilionError) and isinstance(err, SQLDatabaseError)
    assert isinstance(err, FileExistsError)
    assert err.database == "HN" and "'HN'" in str(err) and err.key == "vermilion:sql:{HN}:meta"
    db.exec("CREATE TABLE t(x)")
    db.exec("INSERT INTO t VALUES (1)")
    again = create_db("HN", exist_ok=True)  # opens it, content kept
    assert again.query("SELECT x FROM t") == [(1,)]
    assert open_db("HN").query("SELECT x FROM t") == [(1,)]
    with pytest.raises(NoSuchDatabase) as missing:
        open_db("nope")
    assert missing.value.database == "nope" and isinstance(missing.value, FileNotFoundError)
    create_db("other")
    assert list_dbs() == ["HN", "other"]
    drop_db("HN")
    assert list_dbs() == ["other"] and not exists("HN")
    assert all(b"{HN}" not in k for k in r.keys("*"))  # statistics dropped too
    with pytest.raises(NoSuchDatabase):
        drop_db("HN")
    drop_db("HN", missing_ok=True)
    with pytest.raises(NoSuchDatabase):  # the open object sees the drop
        again.statistics()
    with pytest.raises(ValueError):
        create_db("a{b}")
    with pytest.raises(TypeError):
        open_db(b"HN")  # type: ignore[arg-type]


def test_refused_server_leaves_no_database(r: Any) -> None:
    unsafe = sqlerrors.UnsafeServerError
    before = r.config_get("maxmemory-policy")["maxmemory-policy"]
    r.config_set("maxmemory-policy", "allkeys-lru")
    try:
        with pytest.raises(unsafe):
            create_db("evictable")
        assert not exists("evictable")
    finally:
        r.config_set("maxmemory-policy", before)


def test_concurrent_create_exactly_one_wins(r: Any, url: str) -> None:
    results: list[str] = []
    start = threading.Barrier(6)

    def worker() -> None:
        client = client_from_url(url)
        start.wait()
        try:
            create_db("race", client=client).close()
            results.append("created")
        except DatabaseExists:
            results.append("exists")

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["created"] + ["exists"] * 5


# -- exec / query ---------------------------------------------------------------------------
def test_hn_example_sync(r: Any) -> None:
    db = create_db("HN")
    _store_hn(db)
    rows = db.query("SELECT author, count(*) AS n FROM hn GROUP BY author ORDER BY author")
    assert rows == [("_no_author_", 1), ("dhouston", 1), ("pg", 2)]
    assert rows.columns == ("author", "n")
    db.create_statement("by_author", "SELECT id FROM hn WHERE author = ?1 ORDER BY id")
    assert db.query_statement("by_author", "pg") == [(121003,), (121016,)]
    done = db.exec_statement("insert_item", 2, "x", 3, "{}")
    assert done == [] and done.changes == 1
    assert db.exec("UPDATE hn SET time = time + 1 WHERE author = 'pg'").changes == 2
    assert db.exec("SELECT count(*) FROM hn") == [(5,)]


def test_multiple_statements_and_parameters(r: Any) -> None:
    db = create_db("multi")
    db.exec("CREATE TABLE t(a, b); CREATE INDEX ta ON t(a)")
    got = db.exec("INSERT INTO t VALUES (?, ?); INSERT INTO t VALUES (?, ?)", 1, "one", 2, "two")
    assert got.changes == 2
    db.exec("INSERT INTO t VALUES (:a, :b)", a=3, b="three")
    db.exec("INSERT INTO t VALUES ($a, @b)", {"a": 4, "b": "four"})
    rows = db.query("SELECT a FROM t WHERE a < :n ORDER BY a; SELECT b FROM t WHERE a = :n", n=3)
    assert rows == [(1,), (2,), ("three",)] and rows.columns == ("b",)
    assert db.query("SELECT count(*) FROM t") == [(4,)]
    with pytest.raises(TypeError):
        db.exec("SELECT ?", 1, a=2)
    with pytest.raises(apsw.BindingsError):
        db.exec("INSERT INTO t VALUES (?, ?)", 1)
    with pytest.raises(apsw.SQLError):
        db.exec("INSERT INTO nowhere VALUES (1)")


def test_parameters_are_bound_not_formatted(r: Any) -> None:
    db = create_db("inject")
    db.exec(HN_TABLE)
    db.create_statement("insert_item", HN_INSERT)
    evil = "x', 0, '{}'); DROP TABLE hn; --"
    db.exec_statement("insert_item", 1, evil, 0, json.dumps({"by": evil}))
    db.exec("INSERT INTO hn(id, author) VALUES (?, ?)", 2, "'); DELETE FROM hn; --")
    assert db.query("SELECT author FROM hn ORDER BY id") == [
        (evil,), ("'); DELETE FROM hn; --",)]
    assert db.query("SELECT json_extract(item, '$.by') FROM hn WHERE id = ?", 1) == [(evil,)]
    assert db.query("SELECT count(*) FROM hn WHERE author = ?", "' OR 1=1 --") == [(0,)]


@pytest.mark.parametrize("sql", [
    "INSERT INTO t VALUES (99)",
    "UPDATE t SET x = 0",
    "DELETE FROM t",
    "REPLACE INTO t VALUES (5)",
    "CREATE TABLE u(y)",
    "CREATE TEMP TABLE u(y)",
    "CREATE INDEX tx ON t(x)",
    "DROP TABLE t",
    "ALTER TABLE t ADD COLUMN z",
    "ATTACH DATABASE ':memory:' AS other",
    "DETACH DATABASE main",
    "BEGIN",
    "SAVEPOINT s",
    "PRAGMA user_version = 5",
    "PRAGMA query_only=1",
    "VACUUM",
    "WITH n(v) AS (SELECT 7) INSERT INTO t SELECT v FROM n",
    "  -- a comment\n /* another */ insert into t values (8)",
])
def test_query_refuses_writes(r: Any, sql: str) -> None:
    db = create_db("ro")
    db.exec("CREATE TABLE t(x); INSERT INTO t VALUES (1)")
    version = _version(r, "ro")
    with pytest.raises(ReadOnlyViolation) as info:
        db.query(sql)
    assert info.value.database == "ro" and "'ro'" in str(info.value)
    assert not db.connection.in_transaction
    assert db.query("SELECT x FROM t") == [(1,)]
    assert db.query("SELECT name FROM sqlite_master") == [("t",)]
    assert db.query("PRAGMA user_version") == [(0,)]
    assert _version(r, "ro") == version  # nothing committed
    assert db.statistics()["errors"] == 1


def test_query_refuses_a_write_after_a_read_and_runs_reads(r: Any) -> None:
    db = create_db("ro2")
    db.exec("CREATE TABLE t(x); INSERT INTO t VALUES (1)")
    with pytest.raises(ReadOnlyViolation):
        db.query("SELECT x FROM t; DELETE FROM t")
    assert db.query("SELECT x FROM t") == [(1,)]
    assert db.query("PRAGMA table_info(t)")[0][1] == "x"
    assert db.query("EXPLAIN QUERY PLAN SELECT * FROM t")  # read-only: allowed
    assert db.query("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
                    "WHERE n < 5) SELECT sum(n) FROM c") == [(15,)]


def test_transactions(r: Any) -> None:
    import gc

    gc.collect()
    db = create_db("tx", busy_timeout=5)  # its commit may wait for other's lease release
    other = open_db("tx", busy_timeout=0.2)
    db.exec("CREATE TABLE acct(id INTEGER PRIMARY KEY, bal INTEGER)")
    db.exec("INSERT INTO acct VALUES (1, 100), (2, 0)")
    with db.transaction():
        assert db.connection.in_transaction
        assert r.exists("vermilion:sql:{tx}:lock")  # BEGIN IMMEDIATE: writer lease up front
        with pytest.raises(apsw.BusyError):  # another writer waits, then gives up
            other.exec("UPDATE acct SET bal = 0")
        db.exec("UPDATE acct SET bal = bal - 30 WHERE id = 1")
        db.exec("UPDATE acct SET bal = bal + 30 WHERE id = 2")
    assert other.query("SELECT bal FROM acct ORDER BY id") == [(70,), (30,)]
    with pytest.raises(ZeroDivisionError):
        with db.transaction():
            db.exec("UPDATE acct SET bal = 0")
            raise ZeroDivisionError
    assert not db.connection.in_transaction
    assert other.query("SELECT sum(bal) FROM acct") == [(100,)]
    with db.transaction():  # nested: a savepoint rolled back alone
        db.exec("UPDATE acct SET bal = 50 WHERE id = 1")
        with pytest.raises(KeyError):
            with db.transaction():
                db.exec("UPDATE acct SET bal = 0")
                raise KeyError
    assert other.query("SELECT bal FROM acct ORDER BY id") == [(50,), (30,)]
    stats = db.statistics()
    assert stats["transactions"] == 2 and stats["rollbacks"] == 1


# -- SQLite extensions ------------------------------------------------------------------------
def test_json1_and_fts5(r: Any) -> None:
    db = create_db("ext")
    _store_hn(db)
    assert db.query("SELECT json_extract(item, '$.title') FROM hn WHERE json_extract(item, "
                    "'$.score') > ? ORDER BY id", 20) == [
        ("My YC app: Dropbox",), ("Ask HN: The Arc Effect",)]
    assert db.query("SELECT count(*) FROM hn, json_each(hn.item) WHERE json_each.key = 'type' "
                    "AND json_each.value = 'story'") == [(3,)]
    db.exec("CREATE VIRTUAL TABLE docs USING fts5(title, body)")
    db.exec("INSERT INTO docs SELECT json_extract(item, '$.title'), "
            "coalesce(json_extract(item, '$.text'), '') FROM hn")
    assert db.query("SELECT title FROM docs WHERE docs MATCH ? ORDER BY rank",
                    "dropbox") == [("My YC app: Dropbox",)]
    assert db.query("SELECT count(*) FROM docs WHERE docs MATCH 'arc OR dropbox'") == [(2,)]
    db.create_statement("search", "SELECT title FROM docs WHERE docs MATCH ?1")
    assert open_db("ext").query_statement("search", "effect") == [("Ask HN: The Arc Effect",)]
    assert db.query("PRAGMA integrity_check") == [("ok",)]


# -- stored statements -------------------------------------------------------------------------
def test_statement_management(r: Any) -> None:
    db = create_db("st")
    db.exec(HN_TABLE)
    assert db.list_statements() == []  # no statement table yet
    with pytest.raises(NoSuchStatement) as info:
        db.exec_statement("insert_item", 1, "a", 2, "{}")
    assert info.value.statement == "insert_item" and info.value.database == "st"
    db.create_statement("insert_item", HN_INSERT)
    with pytest.raises(StatementExists):
        db.create_statement("insert_item", "SELECT 1")
    db.create_statement("by_author", "SELECT id FROM hn WHERE author = :author")
    assert db.show_statement("insert_item") == StatementInfo("insert_item", HN_INSERT, 4, False)
    assert db.list_statements() == [
        StatementInfo("by_author", "SELECT id FROM hn WHERE author = :author", 1, True),
        StatementInfo("insert_item", HN_INSERT, 4, False)]
    db.exec_statement("insert_item", 1, "a", 2, "{}")
    assert db.query_statement("by_author", author="a") == [(1,)]
    version = _version(r, "st")
    with pytest.raises(ReadOnlyViolation):
        db.query_statement("insert_item", 9, "b", 2, "{}")
    assert _version(r, "st") == version and db.query("SELECT count(*) FROM hn") == [(1,)]
    with pytest.raises(apsw.SQLError):  # does not compile: not stored
        db.create_statement("bad", "SELEC 1")
    with pytest.raises(apsw.SQLError):
        db.create_statement("bad", "INSERT INTO nowhere VALUES (1)")
    with pytest.raises(NoSuchStatement):
        db.show_statement("bad")
    db.update_statement("by_author", "SELECT id, time FROM hn WHERE author = ?")
    assert db.query_statement("by_author", "a") == [(1, 2)]
    with pytest.raises(NoSuchStatement):
        db.update_statement("nope", "SELECT 1")
    db.delete_statement("by_author")
    with pytest.raises(NoSuchStatement):
        db.delete_statement("by_author")
    with pytest.raises(NoSuchStatement):
        db.query_statement("by_author", "a")
    assert [s.name for s in db.list_statements()] == ["insert_item"]
    with pytest.raises(ValueError):
        db.create_statement("", "SELECT 1")
    db.create_statement("two", "INSERT INTO hn(id) VALUES (?); INSERT INTO hn(id) VALUES (?)")
    assert db.show_statement("two").parameters == 2
    assert db.exec_statement("two", 10, 11).changes == 2


def _child_uses_statements(url: str, q: Any) -> None:
    vermilion.configure(url)
    db = open_db("HN")
    db.exec_statement("insert_item", 777, "child", 1, json.dumps({"from": "child"}))
    q.put((db.query_statement("by_author", "pg"), [s.name for s in db.list_statements()]))
    db.close()


def test_statements_visible_from_second_open_and_forked_process(r: Any, url: str) -> None:
    db = create_db("HN")
    _store_hn(db)
    db.create_statement("by_author", "SELECT id FROM hn WHERE author = ?1 ORDER BY id")
    second = open_db("HN")
    assert [s.name for s in second.list_statements()] == ["by_author", "insert_item"]
    assert second.query_statement("by_author", "dhouston") == [(8863,)]
    q = ctx.Queue()
    p = ctx.Process(target=_child_uses_statements, args=(url, q))
    p.start()
    p.join(30)
    assert p.exitcode == 0
    assert q.get(timeout=5) == ([(121003,), (121016,)], ["by_author", "insert_item"])
    assert db.query_statement("by_author", "child") == [(777,)]


# -- streams ------------------------------------------------------------------------------------
def test_query_into_stream_field_format(r: Any) -> None:
    db = create_db("into")
    db.exec("CREATE TABLE t(id INTEGER, author TEXT, x REAL, b BLOB, c)")
    db.exec("INSERT INTO t VALUES (1, 'pg', 1.5, x'00ff', NULL), (2, NULL, -0.25, x'', 'txt')")
    n = db.query_into("hn:stream", "SELECT id, author, x, b, c FROM t ORDER BY id")
    assert n == 2
    entries = [fields for _, fields in r.xrange("hn:stream")]
    assert entries == [
        {b"int:id": b"1", b"text:author": b"pg", b"real:x": b"1.5", b"blob:b": b"\x00\xff",
         b"null:c": b""},
        {b"int:id": b"2", b"null:author": b"", b"real:x": b"-0.25", b"blob:b": b"",
         b"text:c": b"txt"},
    ]
    db.create_statement("ids", "SELECT id FROM t WHERE id >= ?")
    assert db.query_statement_into("hn:ids", "ids", 2) == 1
    assert [f for _, f in r.xrange("hn:ids")] == [{b"int:id": b"2"}]
    with pytest.raises(ReadOnlyViolation):
        db.query_into("hn:bad", "DELETE FROM t")
    assert not r.exists("hn:bad") and db.query("SELECT count(*) FROM t") == [(2,)]
    assert db.query_into("hn:none", "SELECT id FROM t WHERE id > 99") == 0
    assert not r.exists("hn:none")


def test_query_into_batches_many_rows(r: Any) -> None:
    db = create_db("many")
    db.exec("CREATE TABLE t(i INTEGER PRIMARY KEY)")
    db.exec("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 2500) "
            "INSERT INTO t SELECT n FROM c")
    db.query("SELECT count(*) FROM t")  # warm the page cache
    assert sqlleases.keeper().flush()
    r.round_trips.reset()
    assert db.query_into("big", "SELECT i FROM t ORDER BY i") == 2500
    assert r.round_trips.count <= 1 + 1 + 3  # read, statistics, 3 batches of XADD
    assert r.xlen("big") == 2500
    assert r.xrevrange("big", count=1)[0][1] == {b"int:i": b"2500"}


# -- copies and files ----------------------------------------------------------------------------
def _dump_via_file(db: Any, path: Path) -> list[str]:
    db.export_to(path)
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_copy_is_identical(r: Any, tmp_path: Path) -> None:
    db = create_db("src")
    _store_hn(db)
    db.exec("CREATE VIRTUAL TABLE docs USING fts5(body); INSERT INTO docs VALUES ('hello world')")
    db.exec("CREATE TABLE blobs(b BLOB)")
    db.exec("INSERT INTO blobs VALUES (?)", bytes(range(256)) * 40)  # overflow pages
    copy("src", "dst")
    dst = open_db("dst")
    assert dst.query("PRAGMA integrity_check") == [("ok",)]
    assert dst.list_statements() == db.list_statements()  # statements travel with the pages
    assert _dump_via_file(dst, tmp_path / "d.db") == _dump_via_file(db, tmp_path / "s.db")
    assert dst.query("SELECT rowid FROM docs WHERE docs MATCH 'hello'") == [(1,)]
    pages = r.hgetall("vermilion:sql:{src}:pages")
    copied = r.hgetall("vermilion:sql:{dst}:pages")
    assert pages.keys() == copied.keys()
    assert [k for k in pages if pages[k] != copied[k]] in ([], [b"1"])  # header counters
    dst.exec("DELETE FROM hn")  # independent databases
    assert db.query("SELECT count(*) FROM hn") == [(4,)]
    with pytest.raises(DatabaseExists):
        copy("src", "dst")
    copy("src", "dst", exist_ok=True)
    assert dst.query("SELECT count(*) FROM hn") == [(4,)]
    with pytest.raises(NoSuchDatabase):
        copy("missing", "dst3")
    assert not exists("dst3")


def _make_local(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript("""
        PRAGMA page_size = 8192;
        CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, img BLOB, n);
        CREATE INDEX item_name ON item(name);
        CREATE VIEW cheap AS SELECT name FROM item WHERE price < 2;
        CREATE TABLE log(msg TEXT);
    """)
    conn.executemany("INSERT INTO item(name, price, img, n) VALUES (?, ?, ?, ?)",
                     [(f"thing {i} \u00e9\u4e2d", i / 3, bytes([i % 256]) * i, None)
                      for i in range(300)])
    conn.executescript("""
        CREATE TRIGGER item_log AFTER INSERT ON item BEGIN
            INSERT INTO log VALUES ('added ' || new.name);
        END;
    """)
    conn.commit()
    conn.close()


def test_import_export_round_trip_with_stdlib_sqlite(r: Any, tmp_path: Path) -> None:
    src = tmp_path / "local.sqlite"
    _make_local(src)
    db = import_from(src, "imported")
    assert db.query("PRAGMA page_size") == [(8192,)]
    assert db.query("SELECT count(*), sum(length(img)) FROM item") == [(300, 44850)]
    assert db.query("SELECT count(*) FROM cheap") == [(6,)]
    db.exec("INSERT INTO item(name) VALUES ('new')")  # the trigger came along
    assert db.query("SELECT msg FROM log") == [("added new",)]
    db.exec("DELETE FROM item WHERE name = 'new'; DELETE FROM log")
    out = tmp_path / "out.sqlite"
    db.export_to(out)
    a, b = sqlite3.connect(src), sqlite3.connect(out)
    try:
        assert list(a.iterdump()) == list(b.iterdump())
        assert b.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        a.close()
        b.close()
    again = create_db("from-file", from_file=out)
    assert again.query("SELECT count(*) FROM item") == [(300,)]
    with pytest.raises(DatabaseExists):
        import_from(src, "imported")
    with pytest.raises(FileNotFoundError):
        import_from(tmp_path / "missing.sqlite", "never")
    assert not exists("never")


# -- statistics and round trips -------------------------------------------------------------
def test_statistics_shared_by_clients(r: Any) -> None:
    db = create_db("stats")
    _store_hn(db)  # 1 exec, 4 exec_statement
    db.create_statement("by_author", "SELECT id FROM hn WHERE author = ?")
    assert db.query_statement("by_author", "pg") == [(121003,), (121016,)]
    db.query("SELECT * FROM hn")
    with pytest.raises(apsw.SQLError):
        db.exec("SELEC")
    db.query_into("s", "SELECT id FROM hn")
    other = open_db("stats")
    stats = other.statistics()
    assert {k: stats[k] for k in ("exec", "query", "exec_statement", "query_statement",
                                  "query_into", "errors", "rows", "changes",
                                  "stream_entries")} == {
        "exec": 2, "query": 1, "exec_statement": 4, "query_statement": 1, "query_into": 1,
        "errors": 1, "rows": 2 + 4 + 4, "changes": 4, "stream_entries": 4}
    assert stats["commits"] == _version(r, "stats") >= 6
    assert stats["page_size"] == 4096 and stats["size"] == stats["pages"] * 4096 > 0
    quiet = open_db("stats", stats=False)
    quiet.query("SELECT 1")
    assert other.statistics()["query"] == 1


def test_round_trips(r: Any) -> None:
    db = create_db("rt")
    db.exec("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)")
    db.create_statement("put", "INSERT INTO t(v) VALUES (?)")
    db.exec_statement("put", "warm")
    db.query("SELECT * FROM t")
    assert sqlleases.keeper().flush()
    r.round_trips.reset()
    assert db.query("SELECT v FROM t") == [("warm",)]
    assert r.round_trips.count == 1  # read transaction (statistics go through the keeper)
    r.round_trips.reset()
    db.exec("INSERT INTO t(v) VALUES ('x')")
    assert r.round_trips.count == 2  # begin with the writer lease + commit
    assert sqlleases.keeper().flush()
    r.round_trips.reset()
    db.exec_statement("put", "y")
    assert r.round_trips.count == 2  # lookup and insert in one BEGIN IMMEDIATE transaction
    r.round_trips.reset()
    assert db.statistics()["exec_statement"] == 2  # this process's buffered counts included
    assert r.round_trips.count == 1
    r.round_trips.reset()
    drop_db("rt")
    assert r.round_trips.count == 1 and r.keys("*") == []


def test_open_connection_still_works_alongside(r: Any) -> None:
    db = create_db("both")
    db.exec("CREATE TABLE t(x)")
    conn = open_connection("both")
    conn.execute("INSERT INTO t VALUES (1)")
    assert db.query("SELECT x FROM t") == [(1,)]


# -- asyncio -----------------------------------------------------------------------------------
async def test_async_hn_example(ar: Any) -> None:
    try:
        await asql.create_db("HN")
    except DatabaseExists:
        pass
    db = await asql.open("HN")
    await db.exec(HN_TABLE)
    await db.create_statement("insert_item", HN_INSERT)

    async def store_on_db(item: dict[str, Any]) -> None:
        await db.exec_statement("insert_item", item["id"], item.get("by", "_no_author_"),
                                item["time"], json.dumps(item))

    await asyncio.gather(*(store_on_db(item) for item in ITEMS))
    assert await db.query("SELECT author, count(*) FROM hn GROUP BY author ORDER BY 1") == [
        ("_no_author_", 1), ("dhouston", 1), ("pg", 2)]
    with pytest.raises(DatabaseExists):
        await asql.create_db("HN")
    with pytest.raises(StatementExists):
        await db.create_statement("insert_item", HN_INSERT)
    with pytest.raises(ReadOnlyViolation):
        await db.query("DELETE FROM hn")
    assert (await db.statistics())["exec_statement"] == 4
    assert await asql.list_dbs() == ["HN"]
    await db.close()


async def test_async_transaction_statements_stream_copy(ar: Any) -> None:
    db = await asql.create_db("adb")
    await db.exec("CREATE TABLE t(x INTEGER)")
    async with db.transaction():
        await db.exec("INSERT INTO t VALUES (1)")
        await db.exec("INSERT INTO t VALUES (2)")
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.exec("INSERT INTO t VALUES (3)")
            raise RuntimeError
    await db.create_statement("ge", "SELECT x FROM t WHERE x >= ? ORDER BY x")
    assert await db.query_statement("ge", 2) == [(2,)]
    assert [s.name for s in await db.list_statements()] == ["ge"]
    assert (await db.show_statement("ge")).readonly is True
    await db.update_statement("ge", "SELECT x * 10 FROM t WHERE x >= ? ORDER BY x")
    assert await db.query_into("ax", "SELECT x FROM t ORDER BY x") == 2
    assert await ar.xlen("ax") == 2
    await asql.copy("adb", "adb2")
    other = await asql.open("adb2")
    assert await other.query_statement("ge", 1) == [(10,), (20,)]
    await db.delete_statement("ge")
    with pytest.raises(NoSuchStatement):
        await db.query_statement("ge", 1)
    await asql.drop_db("adb2")
    with pytest.raises(NoSuchDatabase):
        await asql.open("adb2")


# -- cluster ---------------------------------------------------------------------------------
@pytest.mark.cluster
def test_cluster_databases_statements_streams_copies(rc: Any) -> None:
    db = create_db("chn", client=rc)
    _store_hn(db)
    db.create_statement("by_author", "SELECT id FROM hn WHERE author = ? ORDER BY id")
    assert db.query_statement("by_author", "pg") == [(121003,), (121016,)]
    for i in range(20):  # streams in other slots than the database
        assert db.query_into(f"out:{i}", "SELECT id FROM hn WHERE author = 'pg'") == 2
    assert rc.xlen("out:7") == 2
    copy("chn", "chn2", client=rc)
    assert list_dbs(client=rc) == ["chn", "chn2"]
    assert open_db("chn2", client=rc).query("PRAGMA integrity_check") == [("ok",)]
    drop_db("chn", client=rc)
    assert list_dbs(client=rc) == ["chn2"]
