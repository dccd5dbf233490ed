"""Writer fairness of SQL databases stored in Redis: ``python bench/sql_fairness.py``.

``--procs`` writer processes (default 4, spawn start method) run autocommit INSERTs in a tight
loop on one database for ``--seconds`` (default 8) on a private redis-server (unix socket).  Each
row names its writer, so the commits each process got are counted in the database itself.
Printed: commits per process and its share of a fair split (``commits / (total / procs)``), the
worst and 99th-percentile time one INSERT took (its wait for the writer lease included), the
"database is locked" errors (``apsw.BusyError`` after the busy timeout) and the total rate.

The target (issue 7): every process gets at least 10% of its fair share and no commit waits more
than 1 s.  ``tests/test_sql_fairness.py`` runs :func:`run` and asserts it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import apsw  # noqa: E402

import vermilion  # noqa: E402
from vermilion.server import EmbeddedServer  # noqa: E402
from vermilion.sql import open_connection  # noqa: E402

DB = "fairness"


@dataclass
class Writer:
    index: int
    attempts: int  # INSERTs that returned (committed or raised)
    commits: int  # rows of this writer found in the database afterwards
    busy: int  # apsw.BusyError ("database is locked") after the busy timeout
    worst: float  # seconds, the longest INSERT call
    p99: float
    median: float
    share: float = 0.0  # commits / (total commits / writers)


def _writer(url: str, index: int, busy_timeout: float, ready: Any, start: Any, stop: Any,
            out: Any) -> None:
    vermilion.configure(url)
    c = open_connection(DB, busy_timeout=busy_timeout)
    c.execute("SELECT count(*) FROM t").fetchall()  # warm: schema read, connections made
    times: list[float] = []
    busy = 0
    ready.put(index)
    start.wait()
    clock = time.perf_counter
    while not stop.is_set():
        t0 = clock()
        try:
            c.execute("INSERT INTO t(w) VALUES (?)", (index,))
        except apsw.BusyError:
            busy += 1
        times.append(clock() - t0)
    c.close()
    times.sort()
    p99 = times[int(len(times) * 0.99)] if times else 0.0
    median = times[len(times) // 2] if times else 0.0
    out.put((index, len(times), busy, times[-1] if times else 0.0, p99, median))


def run(url: str, procs: int = 4, seconds: float = 8.0, busy_timeout: float = 5.0
        ) -> list[Writer]:
    """Run ``procs`` writer processes for ``seconds`` on database ``fairness`` at ``url``
    (dropped and re-created) and return what each got."""
    vermilion.configure(url)
    vermilion.sql.drop_db(DB, missing_ok=True)
    setup = open_connection(DB, create=True)
    setup.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, w INTEGER NOT NULL)")
    ctx = multiprocessing.get_context("spawn")
    ready, out = ctx.Queue(), ctx.Queue()
    start, stop = ctx.Event(), ctx.Event()
    ps = [ctx.Process(target=_writer, args=(url, i, busy_timeout, ready, start, stop, out))
          for i in range(procs)]
    for p in ps:
        p.start()
    try:
        for _ in ps:
            ready.get(timeout=60)
        start.set()
        time.sleep(seconds)
        stop.set()
        got = [out.get(timeout=60) for _ in ps]
        for p in ps:
            p.join(30)
    finally:
        stop.set()
        for p in ps:
            if p.is_alive():
                p.kill()
    counts: dict[Any, Any] = dict(
        setup.execute("SELECT w, count(*) FROM t GROUP BY w").fetchall())  # type: ignore[arg-type]
    setup.close()
    writers = [Writer(i, n, int(counts.get(i, 0)), busy, worst, p99, median)
               for i, n, busy, worst, p99, median in sorted(got)]
    total = sum(w.commits for w in writers)
    for w in writers:
        w.share = w.commits / (total / procs) if total else 0.0
    return writers


def report(writers: list[Writer], seconds: float) -> str:
    total = sum(w.commits for w in writers)
    lines = [f"{len(writers)} writer processes, {seconds:g} s, {total} commits "
             f"({total / seconds:,.0f}/s)",
             "writer  commits  share of fair  worst wait  p99 wait  median  busy errors"]
    for w in writers:
        lines.append(f"{w.index:>6}  {w.commits:>7}  {w.share:>13.2f}  {w.worst * 1000:>7.1f} ms"
                     f"  {w.p99 * 1000:>5.1f} ms  {w.median * 1000:>4.1f} ms  {w.busy:>11}")
    lines.append(f"min share {min(w.share for w in writers):.2f} of fair (target >= 0.10), "
                 f"worst wait {max(w.worst for w in writers) * 1000:.1f} ms (target <= 1000), "
                 f"median p99 {statistics.median(w.p99 for w in writers) * 1000:.1f} ms")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--busy-timeout", type=float, default=5.0)
    opts = ap.parse_args()
    with EmbeddedServer() as server:
        writers = run(server.url, opts.procs, opts.seconds, opts.busy_timeout)
    print(report(writers, opts.seconds))


if __name__ == "__main__":
    main()
