"""Redis Cluster failover: a master is SIGKILLed, its replica is promoted, writes go on.

Each test starts its own cluster (3 masters, 1 replica each, 1 s node timeout), writes to a key
of one master in a loop, kills that master and measures how long after the promotion writes
succeed again and which acknowledged writes survived.  ``pytest -s`` prints the figures.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import vermilion as vm
import vermilion.aio as vma
from vermilion.core.config import client_from_url
from vermilion.server import EmbeddedServer, LocalCluster

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

KEY = "{failover}:log"
RECOVERY_BOUND = 10.0  # seconds; a guard against "never recovers", not a performance target


@pytest.fixture
def cluster() -> Iterator[LocalCluster]:
    c = LocalCluster(3, replicas=1, node_timeout=1000)
    yield c
    c.stop()


class Log:
    """What a writer saw: acknowledged values with their times, and values in doubt."""

    def __init__(self) -> None:
        self.acked: list[tuple[int, float]] = []
        self.unreplicated: list[tuple[int, float]] = []  # applied, short of replicas
        self.doubtful: set[int] = set()
        self.errors: dict[str, int] = {}
        self.stop = threading.Event()

    def record_error(self, exc: BaseException, value: int) -> None:
        self.errors[type(exc).__name__] = self.errors.get(type(exc).__name__, 0) + 1
        if not isinstance(exc, vm.ServerUnavailable):  # nothing ran for ServerUnavailable
            self.doubtful.add(value)


def _promotion(cluster: LocalCluster, master: EmbeddedServer) -> tuple[float, float, EmbeddedServer]:
    """Kill ``master``; return (kill time, promotion time, the promoted replica)."""
    (replica,) = cluster.replicas_of(master)
    killed = time.monotonic()
    master.kill()
    deadline = killed + 30
    while not cluster.is_master(replica):
        assert time.monotonic() < deadline, "the replica was never promoted"
        time.sleep(0.01)
    return killed, time.monotonic(), replica


def _replicated(cluster: LocalCluster, master: EmbeddedServer) -> None:
    """Wait until ``master``'s replica has received everything ``master`` has written so far
    (replication is asynchronous: on a loaded machine the replica may lag the whole setup)."""
    (replica,) = cluster.replicas_of(master)
    target = cluster.client(master).info("replication")["master_repl_offset"]
    deadline = time.monotonic() + 30
    while cluster.client(replica).info("replication").get("slave_repl_offset", -1) < target:
        assert time.monotonic() < deadline, "the replica never caught up"
        time.sleep(0.01)


def _figures(log: Log, killed: float, promoted: float, stored: list[int]) -> dict[str, Any]:
    applied = log.acked + log.unreplicated
    after = [t for _, t in applied if t > killed]
    first = min(after) if after else float("inf")
    acked = {v for v, _ in log.acked}
    return {
        "failover_s": round(promoted - killed, 2),
        "recovery_after_promotion_s": round(max(0.0, first - promoted), 3),
        "acked": len(acked),
        "applied_after_promotion": sum(1 for t in after if t >= promoted),
        "lost": sorted(acked - set(stored)),
        "unreplicated": len(log.unreplicated),
        "unreplicated_missing": sorted({v for v, _ in log.unreplicated} - set(stored)),
        "duplicates": len(stored) - len(set(stored)),
        "unexpected": sorted(set(stored) - acked - log.doubtful - {v for v, _ in log.unreplicated}),
        "errors": dict(log.errors),
        "stored": stored,
        "last_before_kill": max((v for v, t in log.acked if t <= killed), default=0),
    }


def _shown(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: (len(v) if k in ("lost", "stored") else v) for k, v in figures.items()}


def _sync_writer(log: Log) -> None:
    lst = vm.List(key=KEY)
    value = 0
    while not log.stop.is_set():
        value += 1
        try:
            lst.append(value)
        except vm.NotReplicated:
            log.unreplicated.append((value, time.monotonic()))
            continue
        except (vm.ServerUnavailable, vm.ConnectionLost) as exc:
            log.record_error(exc, value)
            continue
        log.acked.append((value, time.monotonic()))


def _run_sync(cluster: LocalCluster, durable: bool) -> dict[str, Any]:
    vm.configure(url="redis+cluster://" + cluster.url.split("://", 1)[1],
                 durability=vm.Durability(1, timeout=0.2) if durable else None)
    try:
        master = cluster.node_for(KEY)
        log = Log()
        writer = threading.Thread(target=_sync_writer, args=(log,))
        writer.start()
        while len(log.acked) < 200:
            time.sleep(0.005)
        killed, promoted, replica = _promotion(cluster, master)
        deadline = time.monotonic() + RECOVERY_BOUND
        while time.monotonic() < deadline and not any(
            t >= promoted for _, t in log.acked[-5:] + log.unreplicated[-5:]
        ):
            time.sleep(0.01)
        time.sleep(0.2)  # some writes on the new master
        log.stop.set()
        writer.join()
        stored = [int(x) for x in cluster.client(replica).lrange(KEY, 0, -1)]
        return _figures(log, killed, promoted, stored)
    finally:
        vm.configure(durability=None)


def test_writes_resume_after_failover_and_durable_writes_survive(cluster: LocalCluster) -> None:
    figures = _run_sync(cluster, durable=True)
    print("\nsync, durability(1):", _shown(figures))
    assert figures["recovery_after_promotion_s"] < RECOVERY_BOUND
    assert figures["applied_after_promotion"] > 0
    assert figures["lost"] == []  # every write a replica acknowledged survived the failover
    # the promoted master has no replica left: its writes apply and say NotReplicated
    assert figures["unreplicated"] > 0 and figures["unreplicated_missing"] == []
    assert figures["duplicates"] == 0 and figures["unexpected"] == []


def test_writes_resume_after_failover_without_waiting_for_replicas(cluster: LocalCluster) -> None:
    figures = _run_sync(cluster, durable=False)
    print("\nsync, no durability:", _shown(figures))
    assert figures["recovery_after_promotion_s"] < RECOVERY_BOUND
    assert figures["applied_after_promotion"] > 0
    assert figures["duplicates"] == 0 and figures["unexpected"] == []
    # asynchronous replication may drop the last writes the dead master acknowledged, never an
    # earlier one: the promoted replica holds a prefix of the dead master's list
    stored_before = [v for v in figures["stored"] if v <= figures["last_before_kill"]]
    assert all(v > max(stored_before, default=0) for v in figures["lost"])


def test_async_writes_resume_after_failover(cluster: LocalCluster) -> None:
    url = "redis+cluster://" + cluster.url.split("://", 1)[1]
    master = cluster.node_for(KEY)

    async def main() -> dict[str, Any]:
        client = client_from_url(url, asyncio_=True)
        lst = vma.List(key=KEY, client=client)
        log = Log()
        box: dict[str, float] = {}

        async def writer() -> None:
            value = 0
            while "done" not in box:
                value += 1
                try:
                    await lst.append(value)
                except (vm.ServerUnavailable, vm.ConnectionLost) as exc:
                    log.record_error(exc, value)
                    continue
                log.acked.append((value, time.monotonic()))

        task = asyncio.create_task(writer())
        while len(log.acked) < 200:
            await asyncio.sleep(0.005)
        killed, promoted, replica = await asyncio.to_thread(_promotion, cluster, master)
        deadline = time.monotonic() + RECOVERY_BOUND
        while not any(t >= promoted for _, t in log.acked[-5:]) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        box["done"] = 1.0
        await task
        await client.aclose()
        stored = [int(x) for x in cluster.client(replica).lrange(KEY, 0, -1)]
        return _figures(log, killed, promoted, stored)

    figures = asyncio.run(main())
    print("\nasync:", _shown(figures))
    assert figures["recovery_after_promotion_s"] < RECOVERY_BOUND
    assert figures["applied_after_promotion"] > 0
    assert figures["duplicates"] == 0 and figures["unexpected"] == []


def test_sql_commits_resume_after_failover(cluster: LocalCluster) -> None:
    sql = pytest.importorskip("vermilion.sql")
    url = "redis+cluster://" + cluster.url.split("://", 1)[1]
    client = client_from_url(url)
    db = sql.create_db("ledger", client=client)
    db.exec("CREATE TABLE t(v INTEGER PRIMARY KEY)")
    master = cluster.node_for("vermilion:sql:{ledger}:meta")
    _replicated(cluster, master)  # the database exists on the replica before writes begin
    log = Log()

    def writer() -> None:
        value = 0
        while not log.stop.is_set():
            value += 1
            try:
                db.exec("INSERT INTO t VALUES (?)", value)
            except Exception as exc:  # noqa: BLE001 - every failure is recorded and counted
                log.record_error(exc, value)
                time.sleep(0.01)
                continue
            log.acked.append((value, time.monotonic()))

    thread = threading.Thread(target=writer)
    thread.start()
    while len(log.acked) < 100:
        time.sleep(0.005)
    killed, promoted, _ = _promotion(cluster, master)
    deadline = time.monotonic() + RECOVERY_BOUND
    while not any(t >= promoted for _, t in log.acked[-5:]) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    log.stop.set()
    thread.join()
    stored = [row[0] for row in db.query("SELECT v FROM t ORDER BY v")]
    assert db.query("PRAGMA integrity_check") == [("ok",)]
    db.close()
    figures = _figures(log, killed, promoted, stored)
    print("\nSQL:", _shown(figures))
    assert figures["recovery_after_promotion_s"] < RECOVERY_BOUND
    assert figures["applied_after_promotion"] > 0
    assert figures["duplicates"] == 0 and figures["unexpected"] == []
    after = {v for v, t in log.acked if t >= promoted}
    assert after <= set(stored)  # every commit acknowledged by the new master is there
    stored_before = [v for v in stored if v <= figures["last_before_kill"]]
    assert all(v > max(stored_before, default=0) for v in figures["lost"])
