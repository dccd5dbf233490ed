"""Code written for sqlite3, run by 4 processes on one database stored in Redis.

Each process does read-modify-write increments the way sqlite3 code does them - ``with con:`` and
``BEGIN IMMEDIATE``, the read, a delay injected between read and write, the write - plus
implicit-transaction ``UPDATE n = n + 1`` statements and its own inserts.  No update may be lost,
no process may see an error (writers wait for the lease up to ``timeout``), and every row each
process inserted must be there once.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from typing import Any

import pytest
from test_concurrency import run_all  # start, collect one result each, check exits

from vermilion.sql import dbapi

# spawn, not fork: forking while the lease keeper thread runs can hang the child
ctx = multiprocessing.get_context("spawn")
PROCESSES = 4
PER_PROCESS = 30


def _worker(url: str, worker: int, start: Any, out: Any) -> None:
    import vermilion

    vermilion.configure(url=url)
    con = dbapi.connect("tally", timeout=60)
    start.wait(60)
    errors: list[str] = []
    for seq in range(PER_PROCESS):
        try:
            con.execute("BEGIN IMMEDIATE")  # read and write in one serializable transaction
            (n,) = con.execute("SELECT n FROM tally WHERE id = 1").fetchone()
            time.sleep(random.random() * 0.003)  # another writer would slip in here
            con.execute("UPDATE tally SET n = ? WHERE id = 1", (n + 1,))
            con.execute("INSERT INTO entry(worker, seq, seen) VALUES (?, ?, ?)", (worker, seq, n))
            con.commit()
            with con:  # an implicit transaction (sqlite3's legacy control), committed by with
                con.execute("UPDATE tally SET m = m + 1 WHERE id = 1")
        except dbapi.Error as e:  # pragma: no cover - reported below
            errors.append(repr(e))
            if con.in_transaction:
                con.rollback()
    con.close()
    out.put((worker, errors))


@pytest.mark.slow
def test_four_processes_lose_no_update(r: Any, vermilion_server: Any) -> None:
    con = dbapi.connect("tally")
    con.executescript("CREATE TABLE tally(id INTEGER PRIMARY KEY, n INT, m INT);"
                      "CREATE TABLE entry(worker INT, seq INT, seen INT, UNIQUE(worker, seq));"
                      "INSERT INTO tally VALUES (1, 0, 0);")
    start, out = ctx.Event(), ctx.Queue()
    start.set()  # (each worker starts as soon as it is up)
    results = run_all([ctx.Process(target=_worker, args=(vermilion_server.url, w, start, out))
                       for w in range(PROCESSES)], out)
    assert [errors for _, errors in sorted(results)] == [[]] * PROCESSES
    total = PROCESSES * PER_PROCESS
    assert con.execute("SELECT n, m FROM tally").fetchone() == (total, total)
    assert con.execute("SELECT count(*) FROM entry").fetchone() == (total,)
    # each transaction read a distinct value: the reads were serialized with the writes
    seen = [s for (s,) in con.execute("SELECT seen FROM entry ORDER BY seen")]
    assert seen == list(range(total))
