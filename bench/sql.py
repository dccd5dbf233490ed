"""SQL stored in Redis vs redis-py and stdlib sqlite3: ``python bench/sql.py [--quick]``.

One private redis-server on TCP loopback (``EmbeddedServer(tcp=True)``).  Rows:

* point SELECT by primary key on a 100k-row table (warm page cache) vs redis-py ``GET``;
* autocommit INSERT through a prepared (cached) apsw statement vs redis-py ``SET``, in a burst
  (the connection keeps the writer lease between its writes: one round trip each) and one at a
  time with the lease released before each (two round trips);
* bulk insert of 100k rows in one transaction (rows/s);
* bytes sent to Redis per single-row autocommit INSERT into a table of 1k and of 100k rows
  (``INFO stats total_net_input_bytes`` deltas on the private server; lease releases included);
* stdlib ``sqlite3`` in memory and in a file (``synchronous=NORMAL``, WAL) for reference;
* SQLAlchemy ORM get-by-primary-key (a request's ``with Session(engine) as s: s.get(Item, k)``:
  pool checkout, BEGIN, SELECT, ROLLBACK) on ``sqlite+vermilion://`` (the default
  ``begin="IMMEDIATE"`` and ``begin="DEFERRED"``), on a stdlib SQLite file (pysqlite, WAL,
  ``synchronous=NORMAL``) and on a private PostgreSQL (``tests/postgres.py``, psycopg; skipped
  with ``--no-postgres`` or when PostgreSQL is not installed), rounds interleaved.

Figures are medians (``time.perf_counter``, GC disabled while timing): of the repeats for
rates, and for the two ratios of per-round ratios, rounds alternating vermilion and redis-py
batches (see :func:`paired`).
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import redis  # noqa: E402
from sqlalchemy import String, create_engine, event, insert  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column  # noqa: E402

from bench.harness import timed  # noqa: E402
from vermilion.core.config import client_from_url  # noqa: E402
from vermilion.server import EmbeddedServer  # noqa: E402
from vermilion.sql import dbapi, open_connection  # noqa: E402
from vermilion.sql import leases as sqlleases  # noqa: E402
from vermilion.testing import RoundTrips, counting_client  # noqa: E402


class Base(DeclarativeBase):
    pass


class Item(Base):
    """The ORM rows' model."""

    __tablename__ = "item"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    price: Mapped[int]


def rate(n: int, fn: Callable[[int], Any], repeats: int) -> float:
    """ops/s: ``n`` calls of ``fn(i)``, median of ``repeats``."""
    return n / statistics.median(timed(n, fn) for _ in range(repeats))


def paired(n: int, ours: Callable[[int], Any], theirs: Callable[[int], Any], rounds: int
           ) -> tuple[float, float, float]:
    """(our ops/s, their ops/s, median of the per-round ratios): ``rounds`` rounds of ``n``
    calls of each, alternating which goes first, so both see the same machine (this one is
    shared and its speed drifts) and the ratio compares neighbours in time."""
    ours_t: list[float] = []
    theirs_t: list[float] = []
    ratios = []
    for k in range(rounds):
        pair = [(ours, ours_t), (theirs, theirs_t)]
        for fn, out in pair if k % 2 == 0 else pair[::-1]:
            out.append(timed(n, fn))
        ratios.append(theirs_t[-1] / ours_t[-1])
    return (n / statistics.median(ours_t), n / statistics.median(theirs_t),
            statistics.median(ratios))


def net_in(r: Any) -> int:
    return int(r.info("stats")["total_net_input_bytes"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL ORM row")
    ap.add_argument("--orm-only", action="store_true", help="only the SQLAlchemy ORM rows")
    opts = ap.parse_args()
    rows = 20_000 if opts.quick else 100_000
    n = 1000 if opts.quick else 5000
    repeats = 1 if opts.quick else 3
    server = EmbeddedServer(tcp=True)
    try:
        out = [] if opts.orm_only else run(server.url, rows, n, repeats)
        out += orm(server.url, 2000 if opts.quick else 10_000, n // 2, 4 if opts.quick else 12,
                   not opts.no_postgres)
    finally:
        server.stop()
    width = max(len(a) for a, _, _ in out)
    for row, figure, ref in out:
        print(f"{row:<{width}}  {figure}  [{ref}]")


def run(url: str, rows: int, n: int, repeats: int) -> list[tuple[str, str, str]]:
    rounds = 4 if repeats == 1 else 20
    rp = redis.Redis.from_url(url)
    vm = client_from_url(url)
    out: list[tuple[str, str, str]] = []
    data = [(i, f"value-{i:08d}-{'x' * 20}") for i in range(rows)]
    keys = [random.randrange(rows) for _ in range(n)]

    # bulk insert
    def bulk(conn: Any) -> float:
        conn.execute("DROP TABLE IF EXISTS t")
        conn.execute("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)")
        t0 = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO t VALUES (?, ?)", data)
        conn.execute("COMMIT")
        return rows / (time.perf_counter() - t0)

    db = open_connection("bench", client=vm, create=True)
    bulk_rates = [bulk(db) for _ in range(repeats)]
    tmp = tempfile.mkdtemp(prefix="vm-sqlbench-")
    mem = sqlite3.connect(":memory:", isolation_level=None)
    fil = sqlite3.connect(os.path.join(tmp, "b.db"), isolation_level=None)
    fil.execute("PRAGMA journal_mode=WAL")
    fil.execute("PRAGMA synchronous=NORMAL")
    ref_bulk = {name: statistics.median(bulk(c) for _ in range(repeats))
                for name, c in (("sqlite3 memory", mem), ("sqlite3 file", fil))}
    out.append((f"bulk insert {rows:,} rows, one transaction",
                f"{statistics.median(bulk_rates):,.0f} rows/s",
                ", ".join(f"{k} {v:,.0f}" for k, v in ref_bulk.items())))

    # point select vs GET
    for i in range(1000):
        rp.set(f"k{i}", data[i][1])
    sel = "SELECT v FROM t WHERE k = ?"
    db.execute(sel, (1,)).fetchall()
    for k in keys:  # warm the page cache
        db.execute(sel, (k,)).fetchall()
    vm_sel, rp_get, sel_ratio = paired(
        n // rounds, lambda i: db.execute(sel, (keys[i],)).fetchall(),
        lambda i: rp.get(f"k{i % 1000}"), rounds)
    ref_sel = {name: rate(n, lambda i, c=c: c.execute(sel, (keys[i],)).fetchall(), repeats)  # type: ignore[misc]
               for name, c in (("sqlite3 memory", mem), ("sqlite3 file", fil))}
    out.append(("point SELECT by primary key (100k rows)" if rows == 100_000 else
                f"point SELECT by primary key ({rows:,} rows)",
                f"{vm_sel:,.0f}/s vs GET {rp_get:,.0f}/s = {sel_ratio:.2f}x (target 0.7x)",
                ", ".join(f"{k} {v:,.0f}/s" for k, v in ref_sel.items())))

    # the same query through the sqlite3-shaped module (what a user of sqlite3 would write)
    con = dbapi.connect("bench", client=vm)
    con.execute(sel, (1,)).fetchall()
    api_sel, api_get, api_ratio = paired(
        n // rounds, lambda i: con.execute(sel, (keys[i],)).fetchall(),
        lambda i: rp.get(f"k{i % 1000}"), rounds)
    out.append(("point SELECT, vermilion.sql.dbapi (sqlite3's API)",
                f"{api_sel:,.0f}/s vs GET {api_get:,.0f}/s = {api_ratio:.2f}x (target 0.7x)",
                "Connection.execute(...).fetchall() on the same database"))

    # autocommit insert vs SET
    ins = "INSERT INTO u(v) VALUES (?)"
    for c in (db, mem, fil):
        c.execute("CREATE TABLE IF NOT EXISTS u(id INTEGER PRIMARY KEY, v TEXT)")
    for _ in range(50):
        db.execute(ins, ("warm",))
    m = max(200, n // 3)
    vm_ins, rp_set, ins_ratio = paired(
        m // rounds, lambda i: db.execute(ins, ("row",)), lambda i: rp.set(f"s{i}", "row"),
        rounds)

    def api_insert(i: int) -> None:
        con.execute(ins, ("row",))  # an implicit transaction, as sqlite3 opens one
        con.commit()

    api_ins, api_set, api_ins_ratio = paired(
        m // rounds, api_insert, lambda i: rp.set(f"s{i}", "row"), rounds)
    out.append(("INSERT + commit(), vermilion.sql.dbapi (sqlite3's API)",
                f"{api_ins:,.0f}/s vs SET {api_set:,.0f}/s = {api_ins_ratio:.2f}x (target 0.4x)",
                "execute() opens the transaction, commit() is one round trip"))
    ref_ins = {name: rate(m, lambda i, c=c: c.execute(ins, ("row",)), repeats)  # type: ignore[misc]
               for name, c in (("sqlite3 memory", mem), ("sqlite3 file", fil))}
    out.append(("autocommit INSERT (prepared statement)",
                f"{vm_ins:,.0f}/s vs SET {rp_set:,.0f}/s = {ins_ratio:.2f}x (target 0.4x)",
                ", ".join(f"{k} {v:,.0f}/s" for k, v in ref_ins.items())))

    # the same INSERT when the writer lease was not kept (the first write after 20 ms idle, or
    # after another writer): two round trips.  Only the INSERT itself is timed.
    def lone_insert(i: int) -> float:
        sqlleases.keeper().flush()  # sends the kept lease's release now
        t0 = time.perf_counter()
        db.execute(ins, ("row",))
        return time.perf_counter() - t0

    lone = m // rounds
    lone_t, set_t = [], []
    for _ in range(rounds):
        lone_t.append(sum(lone_insert(i) for i in range(lone)))
        set_t.append(timed(lone, lambda i: rp.set(f"s{i}", "row")))
    out.append(("autocommit INSERT, writer lease not kept",
                f"{lone / statistics.median(lone_t):,.0f}/s vs SET "
                f"{lone / statistics.median(set_t):,.0f}/s = "
                f"{statistics.median(s / v for s, v in zip(set_t, lone_t)):.2f}x",
                "two round trips: begin + commit"))

    # bytes sent per single-row commit vs table size
    per: dict[int, float] = {}
    for size in (1000, rows):
        name = f"bytes{size}"
        c = open_connection(name, client=vm, create=True)
        c.execute("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)")
        c.execute("BEGIN")
        c.executemany("INSERT INTO t VALUES (?, ?)", data[:size])
        c.execute("COMMIT")
        for _ in range(20):
            c.execute("INSERT INTO t(v) VALUES (?)", ("warm",))
        sqlleases.keeper().flush()
        commits = 200
        before = net_in(rp)
        for _ in range(commits):
            c.execute("INSERT INTO t(v) VALUES (?)", ("one more row",))
        sqlleases.keeper().flush()
        per[size] = (net_in(rp) - before) / commits
        c.close()
    out.append(("bytes sent per single-row commit",
                " vs ".join(f"{v:,.0f} B at {k:,} rows" for k, v in per.items()),
                "independent of table size" if max(per.values()) < 1.2 * min(per.values())
                else "DEPENDS ON TABLE SIZE"))

    return out


def interleaved(n: int, fns: dict[str, Callable[[int], Any]], rounds: int) -> dict[str, float]:
    """ops/s of each of ``fns``: ``rounds`` rounds of ``n`` calls of each, the order rotating
    every round so all see the same machine (its speed drifts); the median round per function."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    for k in range(rounds):
        for name in names[k % len(names):] + names[:k % len(names)]:
            times[name].append(timed(n, fns[name]))
    return {name: n / statistics.median(t) for name, t in times.items()}


def orm(url: str, rows: int, n: int, rounds: int, postgres: bool) -> list[tuple[str, str, str]]:
    """SQLAlchemy ORM ``Session.get`` by primary key, one session per call (see the module
    docstring): vermilion vs a stdlib SQLite file vs a private PostgreSQL."""
    from bench.cache import load_postgres

    trips = RoundTrips()
    client = counting_client(url, trips)
    engines: dict[str, Any] = {
        "vermilion": create_engine("sqlite+vermilion:///orm", connect_args={"client": client}),
        "vermilion DEFERRED": create_engine("sqlite+vermilion:///orm", begin="DEFERRED",
                                            connect_args={"client": client}),
    }
    tmp = tempfile.mkdtemp(prefix="vm-ormbench-")
    lite = engines["SQLite file"] = create_engine(f"sqlite:///{tmp}/orm.db")

    @event.listens_for(lite, "connect")
    def wal(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    pg_cls, why = load_postgres() if postgres else (None, "--no-postgres")
    pg = None
    if pg_cls is not None:
        try:
            pg = pg_cls()
        except Exception as exc:  # noqa: BLE001 - cannot start here: skip the row, say why
            why = f"PrivatePostgres failed: {str(exc)[:120]}"
        else:
            engines["PostgreSQL"] = create_engine(pg.url("psycopg"))
    keys = [random.randrange(1, rows + 1) for _ in range(n)]
    try:
        for name, engine in engines.items():
            if name == "vermilion DEFERRED":
                continue  # the same database
            Base.metadata.drop_all(engine)
            Base.metadata.create_all(engine)
            with engine.begin() as conn:
                conn.execute(insert(Item), [{"id": i, "name": f"item {i}", "price": i % 1000}
                                            for i in range(1, rows + 1)])

        def getter(engine: Any) -> Callable[[int], Any]:
            def get(i: int) -> Any:
                with Session(engine) as s:
                    return s.get(Item, keys[i])
            return get

        fns = {name: getter(engine) for name, engine in engines.items()}
        for fn in fns.values():  # warm the pools and page caches
            for i in range(n):
                fn(i)
        per_get = {}
        for name in ("vermilion", "vermilion DEFERRED"):
            sqlleases.keeper().flush()
            trips.reset()
            for i in range(200):
                fns[name](i)
            sqlleases.keeper().flush()
            per_get[name] = trips.count / 200
        rates = interleaved(n // rounds, fns, rounds)
    finally:
        for engine in engines.values():
            engine.dispose()
        if pg is not None:
            pg.stop()
    ref = rates["SQLite file"]
    pg_rate = rates.get("PostgreSQL")
    out = []
    for name in ("vermilion", "vermilion DEFERRED"):
        vs_pg = f", {rates[name] / pg_rate:.2f}x PostgreSQL" if pg_rate else ""
        out.append((f"ORM Session.get by primary key, {name}" if name != "vermilion" else
                    "ORM Session.get by primary key, vermilion (begin=IMMEDIATE)",
                    f"{rates[name]:,.0f}/s = {rates[name] / ref:.2f}x SQLite file{vs_pg}",
                    f"{per_get[name]:.2f} round trips per get, {rows:,} rows"))
    out.append(("ORM Session.get by primary key, references",
                f"SQLite file (pysqlite, WAL) {ref:,.0f}/s, " + (
                    f"PostgreSQL (psycopg, private, fsync off) {pg_rate:,.0f}/s" if pg_rate
                    else f"PostgreSQL skipped: {why}"),
                "one Session per get: checkout, BEGIN, SELECT, ROLLBACK"))
    return out


if __name__ == "__main__":
    main()
