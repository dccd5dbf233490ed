"""Several processes on one Redis: no lost update, no lock violation, every item delivered once."""

from __future__ import annotations

import multiprocessing as mp
from typing import Any

import pytest
import redis

import vermilion as vm
from vermilion.server import EmbeddedServer

pytestmark = pytest.mark.slow

PROCS = 4
CTX = mp.get_context("fork")


def _run(target: Any, url: str, *extra: Any) -> list[Any]:
    out = CTX.Queue()
    procs = [CTX.Process(target=target, args=(url, n, out, *extra)) for n in range(PROCS)]
    return run_all(procs, out)


def run_all(procs: list[Any], out: Any) -> list[Any]:
    """Start ``procs``, collect one result from each through ``out``, check they all exited 0."""
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    return results


def _counter_worker(url: str, n: int, out: Any) -> None:
    vm.configure(url)
    i = vm.Int(key="counter")
    c = vm.MultiSet(key="counts")
    for _ in range(300):
        i += 1
        c.incr("hits")
    out.put(n)


def test_counters_lose_no_update(r: Any, vermilion_server: EmbeddedServer) -> None:
    _run(_counter_worker, vermilion_server.url)
    assert vm.Int(key="counter").value == PROCS * 300
    assert vm.MultiSet(key="counts")["hits"] == PROCS * 300


def _list_set_worker(url: str, n: int, out: Any) -> None:
    vm.configure(url)
    lst, s = vm.List(key="l"), vm.Set(key="s")
    for i in range(200):
        lst.append((n, i))
        lst.insert(0, (n, -i - 1))
        s.add((n, i))
    out.put(n)


def test_lists_and_sets_lose_nothing(r: Any, vermilion_server: EmbeddedServer) -> None:
    _run(_list_set_worker, vermilion_server.url)
    items = vm.List(key="l").copy()
    assert len(items) == PROCS * 400 and len(set(items)) == PROCS * 400
    assert len(vm.Set(key="s")) == PROCS * 200


def _lock_worker(url: str, n: int, out: Any) -> None:
    vm.configure(url)
    raw = redis.Redis.from_url(url)
    violations = 0
    for _ in range(60):
        with vm.Lock(key="mutex", timeout=10):
            if not raw.set("inside", n, nx=True):
                violations += 1
            value = int(raw.get("plain") or 0)  # unprotected read-modify-write
            raw.set("plain", value + 1)
            raw.delete("inside")
    out.put(violations)


def test_lock_mutual_exclusion(r: Any, vermilion_server: EmbeddedServer) -> None:
    violations = _run(_lock_worker, vermilion_server.url)
    assert sum(violations) == 0
    assert int(r.get("plain")) == PROCS * 60


def _consumer(url: str, n: int, out: Any, start: Any) -> None:
    import queue

    vm.configure(url)
    q = vm.Queue(key="jobs")
    got = []
    start.wait(60)  # all consumers compete (a first one could otherwise drain the queue alone)
    while True:
        try:
            got.append(q.get(timeout=0.5))
        except queue.Empty:
            break
        q.task_done()
    out.put(got)


def test_queue_delivers_each_item_exactly_once(r: Any, vermilion_server: EmbeddedServer) -> None:
    q = vm.Queue(key="jobs")
    for i in range(1000):
        q.put_nowait(i)
    batches = _run(_consumer, vermilion_server.url, CTX.Barrier(PROCS))
    delivered = [x for b in batches for x in b]
    assert sorted(delivered) == list(range(1000))
    assert sum(1 for b in batches if b) >= 2
    q.join()  # every task_done arrived
