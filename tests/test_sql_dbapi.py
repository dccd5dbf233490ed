"""The PEP 249 module over SQL-on-Redis, checked side by side with the stdlib sqlite3."""

from __future__ import annotations

import datetime
import sqlite3
import threading
from typing import Any

import pytest

from vermilion.sql import dbapi
from vermilion.sql import leases as sqlleases
from vermilion.sql.dbapi import connect


def _settle(r: Any) -> None:
    """Let the background lease releases go out, then start counting round trips afresh."""
    assert sqlleases.keeper().flush()
    r.round_trips.reset()


# -- module globals -------------------------------------------------------------------------------
def test_module_globals_and_exception_hierarchy() -> None:
    assert (dbapi.apilevel, dbapi.threadsafety, dbapi.paramstyle) == ("2.0", 1, "qmark")
    d = dbapi
    assert issubclass(d.Warning, Exception) and issubclass(d.Error, Exception)
    assert not issubclass(d.Warning, d.Error)
    assert issubclass(d.InterfaceError, d.Error) and not issubclass(d.InterfaceError,
                                                                    d.DatabaseError)
    assert issubclass(d.DatabaseError, d.Error)
    for cls in (d.DataError, d.OperationalError, d.IntegrityError, d.InternalError,
                d.ProgrammingError, d.NotSupportedError):
        assert issubclass(cls, d.DatabaseError)
        assert issubclass(cls, getattr(sqlite3, cls.__name__))  # except sqlite3.X still works
        assert getattr(d.Connection, cls.__name__) is cls
    assert d.Date(2020, 1, 2) == datetime.date(2020, 1, 2)
    assert d.Time(3, 4, 5) == datetime.time(3, 4, 5)
    assert d.Timestamp(2020, 1, 2, 3, 4, 5) == datetime.datetime(2020, 1, 2, 3, 4, 5)
    assert d.DateFromTicks(0) == sqlite3.DateFromTicks(0)
    assert d.TimeFromTicks(0) == sqlite3.TimeFromTicks(0)
    assert d.TimestampFromTicks(0) == sqlite3.TimestampFromTicks(0)
    assert bytes(d.Binary(b"ab")) == b"ab"
    equal: list[tuple[Any, Any]] = [
        (d.STRING, str), (d.STRING, "text"), (d.BINARY, bytes), (d.BINARY, "BLOB"),
        (d.NUMBER, int), (d.NUMBER, float), (d.NUMBER, "REAL"), (d.DATETIME, datetime.datetime),
        (d.ROWID, int)]
    for type_object, value in equal:
        assert type_object == value
    unequal: list[tuple[Any, Any]] = [(d.STRING, bytes), (d.NUMBER, str), (d.BINARY, "TEXT")]
    for type_object, value in unequal:
        assert type_object != value


# -- side by side with sqlite3 --------------------------------------------------------------------
SCRIPT: list[tuple[str, str, Any]] = [
    ("execute", "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, "
                "price REAL, data BLOB)", ()),
    ("execute", "INSERT INTO t(name, price) VALUES (?, ?)", ("pen", 1.5)),
    ("execute", "INSERT INTO t(name, price, data) VALUES (:n, :p, :d)",
     {"n": "ink", "p": 3, "d": b"\x00\x01"}),
    ("executemany", "INSERT INTO t(name, price) VALUES (?, ?)",
     [("cap", 0.5), ("nib", 2.25), ("pad", None)]),
    ("execute", "SELECT id, name, price, data FROM t ORDER BY id", ()),
    ("execute", "SELECT name AS \"the name\", count(*) FROM t WHERE price > ? GROUP BY name "
                "ORDER BY 1", (1,)),
    ("execute", "SELECT * FROM t WHERE id > 100", ()),
    ("execute", "UPDATE t SET price = price * 2 WHERE price IS NOT NULL", ()),
    ("execute", "  -- a comment\n /* another */ DELETE FROM t WHERE name = ?", ("cap",)),
    ("execute", "REPLACE INTO t(id, name, price) VALUES (1, 'pen', 9)", ()),
    ("execute", "INSERT INTO t(name) VALUES ('ink')", ()),  # UNIQUE -> IntegrityError
    ("execute", "INSERT INTO t(name) VALUES (NULL)", ()),  # NOT NULL -> IntegrityError
    ("execute", "SELEC 1", ()),  # syntax error -> OperationalError
    ("execute", "SELECT * FROM missing", ()),  # OperationalError
    ("execute", "SELECT ?", (1, 2)),  # wrong number of bindings -> ProgrammingError
    ("execute", "SELECT ?", {"a": 1}),  # ProgrammingError
    ("execute", "SELECT :a", {}),  # ProgrammingError
    ("execute", "SELECT ?", (object(),)),  # unsupported type -> ProgrammingError
    ("execute", "SELECT ?", 1),  # parameters of unsupported type -> ProgrammingError
    ("execute", "SELECT 1; SELECT 2", ()),  # ProgrammingError
    ("execute", "SELECT 1;;", ()),  # ProgrammingError
    ("execute", "SELECT 'a;b'; -- trailing comment", ()),
    ("execute", "SELECT 1\0", ()),  # ProgrammingError
    ("execute", "SELECT ?", (2**70,)),  # OverflowError
    ("execute", "SELECT ?, ?, ?, ?", (bytearray(b"x"), memoryview(b"y"), True, None)),
    ("execute", "SELECT ?, ?", (datetime.date(2020, 1, 2), datetime.datetime(2020, 1, 2, 3, 4))),
    ("execute", "", ()),
    ("executemany", "SELECT ?", [(1,)]),  # ProgrammingError: only DML
    ("executemany", "UPDATE t SET price = ? WHERE name = ?", [(1, "ink"), (2, "zzz"), (3, "nib")]),
    ("executemany", "DELETE FROM t WHERE name = ?", [("pad",)]),
    ("executemany", "INSERT INTO t(name) VALUES (?)", []),
    ("execute", "INSERT INTO t(name) VALUES ('a'), ('b') RETURNING id, upper(name)", ()),
    ("execute", "UPDATE t SET price = 7 WHERE name IN ('a', 'b') RETURNING name", ()),
    ("execute", "PRAGMA table_info(t)", ()),
    ("execute", "SELECT json_extract('{\"a\": [1, 2]}', '$.a[1]')", ()),
    ("execute", "WITH x(v) AS (SELECT 1) SELECT v FROM x", ()),
    ("execute", "CREATE INDEX t_price ON t(price)", ()),
    ("execute", "SELECT name FROM t WHERE price >= 2 ORDER BY price", ()),
    ("execute", "SELECT id, name, price, data FROM t ORDER BY id", ()),
]


def _run(conn: Any, cur: Any, method: str, sql: str, params: Any) -> tuple[Any, ...]:
    try:
        if method == "execute":
            cur.execute(sql, params)
        else:
            cur.executemany(sql, params)
        rows = cur.fetchall()
    except Exception as e:  # noqa: BLE001 - compared by class name
        return ("error", type(e).__name__, conn.in_transaction)
    return (rows, cur.description, cur.rowcount, cur.lastrowid, conn.in_transaction)


def test_same_results_as_sqlite3(r: Any) -> None:
    ref = sqlite3.connect(":memory:", isolation_level="IMMEDIATE")
    conn = connect("diff", create=True)
    ref_cur, cur = ref.cursor(), conn.cursor()
    assert (cur.description, cur.rowcount, cur.lastrowid, cur.arraysize) == (
        ref_cur.description, ref_cur.rowcount, ref_cur.lastrowid, ref_cur.arraysize)
    for i, (method, sql, params) in enumerate(SCRIPT):
        p1, p2 = params, params
        if method == "executemany":  # a list for sqlite3, an iterator here
            p1 = list(params)
            p2 = iter(p1)
        want = _run(ref, ref_cur, method, sql, p1)
        got = _run(conn, cur, method, sql, p2)
        assert got == want, (i, sql)
        if i % 5 == 4:
            ref.commit()
            conn.commit()
    ref.commit()
    conn.commit()
    other = connect("diff")  # what was committed is in Redis
    assert (other.execute("SELECT * FROM t ORDER BY id").fetchall()
            == ref.execute("SELECT * FROM t ORDER BY id").fetchall())
    assert other.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_error_details(r: Any) -> None:
    conn = connect("err", create=True)
    conn.execute("CREATE TABLE t(k TEXT PRIMARY KEY)")
    conn.execute("INSERT INTO t VALUES ('a')")
    with pytest.raises(dbapi.IntegrityError) as info:
        conn.execute("INSERT INTO t VALUES ('a')")
    assert isinstance(info.value, sqlite3.IntegrityError)
    assert info.value.sqlite_errorname == "SQLITE_CONSTRAINT_PRIMARYKEY"  # type: ignore
    # sqlite3 names the extended codes from Python 3.11 on; SQLITE_CONSTRAINT_PRIMARYKEY is 1555
    assert info.value.sqlite_errorcode == getattr(sqlite3, "SQLITE_CONSTRAINT_PRIMARYKEY", 1555)
    assert "UNIQUE constraint failed: t.k" in str(info.value)
    with pytest.raises(dbapi.OperationalError, match="syntax error"):
        conn.execute("SELEC 1")
    with pytest.raises(dbapi.ProgrammingError, match="binding parameter :x"):
        conn.execute("SELECT :x", {"y": 1})
    with pytest.raises(TypeError):
        conn.execute(1)  # type: ignore[arg-type]
    with pytest.raises(dbapi.OperationalError):
        connect("does-not-exist", create=False)
    with pytest.raises(ValueError):
        connect("err", isolation_level="SERIALIZABLE")
    with pytest.raises(TypeError):
        connect("err", isolation_level=None, isolation=None)


def test_fetch_methods_and_iteration(r: Any) -> None:
    conn = connect("fetch", create=True)
    ref = sqlite3.connect(":memory:")
    for c in (conn, ref):
        c.execute("CREATE TABLE n(i INTEGER)")
        c.executemany("INSERT INTO n VALUES (?)", [(i,) for i in range(10)])
        c.commit()

    def walk(c: Any) -> list[Any]:
        cur = c.execute("SELECT i FROM n ORDER BY i")
        out = [cur.fetchone(), cur.fetchmany(), cur.fetchmany(3)]
        cur.arraysize = 2
        out.append(cur.fetchmany())
        out.append(next(iter(cur)))
        out.append(list(cur))
        out += [cur.fetchone(), cur.fetchmany(), cur.fetchall(), cur.description]
        return out

    assert walk(conn) == walk(ref)
    cur = conn.cursor()
    cur.setinputsizes([1])
    cur.setoutputsize(10)
    assert cur.fetchone() is None and cur.fetchall() == []  # nothing executed yet
    conn.row_factory = lambda cursor, row: {d[0]: v for d, v in zip(cursor.description or (), row)}
    assert conn.execute("SELECT i, i * 2 AS d FROM n WHERE i = 3").fetchall() == [
        {"i": 3, "d": 6}]


def test_closed_objects(r: Any) -> None:
    conn = connect("closed", create=True)
    ref = sqlite3.connect(":memory:")

    def attempts(c: Any) -> list[str]:
        c.execute("CREATE TABLE t(x)")
        cur = c.cursor()
        cur.execute("SELECT 1")
        cur.close()
        cur.close()  # twice is fine
        out = []
        for f in (cur.fetchone, cur.fetchall, lambda: cur.execute("SELECT 1"),
                  lambda: cur.executemany("INSERT INTO t VALUES (?)", [(1,)])):
            try:
                f()
                out.append("ok")
            except Exception as e:  # noqa: BLE001
                out.append(type(e).__name__ + ": " + str(e))
        live = c.execute("SELECT 1")
        c.close()
        c.close()  # twice is fine
        for f in (live.fetchone, live.close, lambda: c.execute("SELECT 1"), c.cursor, c.commit,
                  c.rollback, lambda: c.in_transaction, lambda: c.total_changes,
                  lambda: c.executemany("INSERT INTO t VALUES (?)", [])):
            try:
                f()
                out.append("ok")
            except Exception as e:  # noqa: BLE001
                out.append(type(e).__name__ + ": " + str(e))
        return out

    got = attempts(conn)
    assert got == attempts(ref)
    assert all(s.startswith("ProgrammingError") for s in got)


def test_executemany_10000_rows_in_few_round_trips(r: Any) -> None:
    conn = connect("bulk", create=True)
    conn.execute("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("INSERT INTO t(v) VALUES ('warm')")
    conn.commit()
    reader = connect("bulk")
    assert reader.execute("SELECT count(*) FROM t").fetchone() == (1,)
    _settle(r)
    cur = conn.executemany("INSERT INTO t(v) VALUES (?)", (
        (f"value {i}",) for i in range(10_000)))
    assert cur.rowcount == 10_000
    assert conn.in_transaction
    conn.commit()
    assert not conn.in_transaction
    assert r.round_trips.count == 2  # begin + writer lease, then the one commit script
    _settle(r)
    assert reader.execute("SELECT count(*), max(k) FROM t").fetchone() == (10_001, 10_001)
    assert r.round_trips.count <= 2  # measured 1: the commit refreshed this process's cache
    assert reader.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    version = r.hget("vermilion:sql:{bulk}:meta", "version")
    _settle(r)
    conn.executemany("INSERT INTO t(v) VALUES (?)", [("x",)] * 10_000)
    conn.rollback()
    assert r.round_trips.count == 1  # only the begin: nothing else reached Redis
    assert r.hget("vermilion:sql:{bulk}:meta", "version") == version
    assert reader.execute("SELECT count(*) FROM t").fetchone() == (10_001,)


def test_open_cursor_holds_the_read_lock_until_dropped(r: Any) -> None:
    writer = connect("hold", create=True, timeout=0.2)
    writer.execute("CREATE TABLE t(x)")
    writer.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(5)])
    writer.commit()
    reader = connect("hold")
    cur = reader.execute("SELECT x FROM t ORDER BY x")
    assert cur.fetchone() == (0,)  # the statement is still running: a read transaction is open
    writer.execute("UPDATE t SET x = x + 10")
    with pytest.raises(dbapi.OperationalError):  # as with sqlite3 on a file: the reader blocks
        writer.commit()
    assert writer.in_transaction
    del cur  # dropping the cursor ends its statement and its read transaction
    writer.commit()
    assert reader.execute("SELECT sum(x) FROM t").fetchone() == (60,)


def test_round_trips_of_common_operations(r: Any) -> None:
    conn = connect("rt", create=True)
    conn.execute("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("INSERT INTO t(v) VALUES ('a')")
    conn.commit()
    conn.execute("SELECT * FROM t").fetchall()
    _settle(r)
    conn.execute("INSERT INTO t(v) VALUES ('b')")  # implicit BEGIN IMMEDIATE: one round trip
    conn.execute("UPDATE t SET v = 'B' WHERE k = 2")
    assert r.round_trips.count == 1
    conn.commit()
    assert r.round_trips.count == 2
    _settle(r)
    assert conn.execute("SELECT v FROM t ORDER BY k").fetchall() == [("a",), ("B",)]
    assert r.round_trips.count == 1  # a read on a warm cache
    _settle(r)
    conn.execute("INSERT INTO t(v) VALUES ('c')")
    conn.rollback()
    assert r.round_trips.count == 1  # nothing reached Redis but the lease


def test_rollback_discards_and_connections_see_committed_data(r: Any) -> None:
    a = connect("shared", create=True)
    b = connect("shared")
    a.execute("CREATE TABLE acct(id INTEGER PRIMARY KEY, bal INTEGER)")  # DDL: autocommit
    assert not a.in_transaction
    a.executemany("INSERT INTO acct VALUES (?, ?)", [(1, 100), (2, 50)])
    assert a.in_transaction
    assert b.execute("SELECT count(*) FROM acct").fetchone() == (0,)  # not committed yet
    a.commit()
    assert b.execute("SELECT sum(bal) FROM acct").fetchone() == (150,)
    b.execute("UPDATE acct SET bal = bal - 30 WHERE id = 1")
    b.execute("UPDATE acct SET bal = bal + 30 WHERE id = 2")
    b.rollback()
    assert not b.in_transaction
    assert b.execute("SELECT bal FROM acct ORDER BY id").fetchall() == [(100,), (50,)]
    b.execute("DELETE FROM acct WHERE id = 2")
    b.commit()
    assert a.execute("SELECT id FROM acct").fetchall() == [(1,)]
    b.execute("INSERT INTO acct VALUES (3, 1)")
    b.close()  # closing discards the pending transaction, as sqlite3 does
    assert a.execute("SELECT id FROM acct").fetchall() == [(1,)]
    assert a.total_changes == 2


def test_context_manager(r: Any) -> None:
    conn = connect("ctx", create=True)
    other = connect("ctx")
    with conn as c:
        assert c is conn
        conn.execute("CREATE TABLE t(x UNIQUE)")
        conn.execute("INSERT INTO t VALUES (1)")
    assert not conn.in_transaction
    assert other.execute("SELECT x FROM t").fetchall() == [(1,)]
    with pytest.raises(KeyError):
        with conn:
            conn.execute("INSERT INTO t VALUES (2)")
            raise KeyError
    assert not conn.in_transaction
    with pytest.raises(dbapi.IntegrityError):
        with conn:
            conn.execute("INSERT INTO t VALUES (3)")
            conn.execute("INSERT INTO t VALUES (1)")
    assert other.execute("SELECT x FROM t").fetchall() == [(1,)]
    with conn:  # the connection stays open and usable
        conn.execute("INSERT INTO t VALUES (4)")
    assert other.execute("SELECT x FROM t ORDER BY x").fetchall() == [(1,), (4,)]


def test_autocommit_mode_and_explicit_transactions(r: Any) -> None:
    conn = connect("auto", create=True, isolation_level=None)
    other = connect("auto")
    assert conn.isolation_level is None and other.isolation_level == ""
    conn.execute("CREATE TABLE t(x)")
    conn.execute("INSERT INTO t VALUES (1)")
    assert not conn.in_transaction
    assert other.execute("SELECT x FROM t").fetchall() == [(1,)]  # committed at once
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO t VALUES (2)")
    assert conn.in_transaction
    conn.rollback()
    assert other.execute("SELECT count(*) FROM t").fetchone() == (1,)
    other.execute("INSERT INTO t VALUES (3)")
    assert other.in_transaction
    other.isolation_level = None  # commits the pending transaction, as sqlite3 does
    assert not other.in_transaction
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (2,)
    deferred = connect("auto", isolation="DEFERRED")
    deferred.execute("INSERT INTO t VALUES (4)")
    deferred.commit()
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (3,)


def test_executescript_functions_and_types(r: Any) -> None:
    conn = connect("misc", create=True)
    cur = conn.executescript("""
        CREATE TABLE t(a, b);
        INSERT INTO t VALUES (1, 'x');
        SELECT * FROM t;
        INSERT INTO t VALUES (2, 'y');
    """)
    assert cur.description is None
    assert not conn.in_transaction
    assert connect("misc").execute("SELECT count(*) FROM t").fetchone() == (2,)
    conn.create_function("twice", 1, lambda v: v * 2, deterministic=True)

    class Total:
        def __init__(self) -> None:
            self.n = 0

        def step(self, v: int) -> None:
            self.n += v

        def finalize(self) -> int:
            return self.n

    conn.create_aggregate("total", 1, Total)
    assert conn.execute("SELECT twice(a), total(a) FROM t").fetchone() == (2, 3)
    values = (0, -(2**63), 2**63 - 1, 1.25, "héllo", b"\x00\xff", None, True)
    conn.execute("CREATE TABLE v(x)")
    conn.executemany("INSERT INTO v VALUES (?)", [(v,) for v in values])
    # as sqlite3: no adapter for time (InterfaceError "probably unsupported type" before 3.11)
    with pytest.raises((dbapi.ProgrammingError, dbapi.InterfaceError), match="unsupported|not sup"):
        conn.execute("INSERT INTO v VALUES (?)", (dbapi.Time(1, 2, 3),))
    dbapi.register_adapter(datetime.time, datetime.time.isoformat)
    try:
        conn.execute("INSERT INTO v VALUES (?)", (dbapi.Time(1, 2, 3),))  # sqlite3's registry
    finally:
        del dbapi.adapters[(datetime.time, dbapi.PrepareProtocol)]
    conn.commit()
    got = [x for (x,) in connect("misc").execute("SELECT x FROM v ORDER BY rowid")]
    assert got == [*values[:-1], 1, "01:02:03"]
    assert [type(x) for x in got] == [int, int, int, float, str, bytes, type(None), int, str]


def test_check_same_thread(r: Any) -> None:
    conn = connect("thr", create=True)
    free = connect("thr", check_same_thread=False)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            conn.execute("SELECT 1")
        except BaseException as e:  # noqa: BLE001
            errors.append(e)
        free.execute("CREATE TABLE t(x)")

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert len(errors) == 1 and isinstance(errors[0], dbapi.ProgrammingError)
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("t",)]


@pytest.mark.cluster
def test_on_cluster(rc: Any) -> None:
    conn = connect("clustered", client=rc, create=True)
    with conn:
        conn.execute("CREATE TABLE t(k INTEGER PRIMARY KEY, v)")
        conn.executemany("INSERT INTO t(v) VALUES (?)", [(i,) for i in range(500)])
    other = connect("clustered", client=rc)
    assert other.execute("SELECT count(*), sum(v) FROM t").fetchone() == (500, sum(range(500)))
    with pytest.raises(dbapi.IntegrityError):
        other.execute("INSERT INTO t VALUES (1, 'dup')")
    other.rollback()
