"""Barrier action leases: a party killed while running the action breaks the barrier for the
other parties (they would otherwise wait forever); a long action renews its lease."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import signal
import threading
import time
from typing import Any

import pytest

import vermilion as vm
from vermilion.server import EmbeddedServer
from vermilion.types.locks import AsyncBarrier, Barrier

pytestmark = pytest.mark.slow

CTX = mp.get_context("fork")


def _dying_party(url: str, key: str, parties: int, started: Any) -> None:
    """The last party: its action announces itself, then blocks until the process is killed."""
    vm.configure(url)
    b = Barrier(parties, action=lambda: (started.put("running"), time.sleep(60)), key=key)
    b.action_lease = 1.0
    b.wait()


def _wait_for_waiters(key: str, n: int) -> None:
    deadline = time.monotonic() + 20
    while Barrier(n + 1, key=key).n_waiting < n:
        assert time.monotonic() < deadline, "the waiters never arrived"
        time.sleep(0.02)


async def _await_waiters(key: str, n: int) -> None:
    deadline = time.monotonic() + 20
    while await AsyncBarrier(n + 1, key=key).n_waiting < n:
        assert time.monotonic() < deadline, "the waiters never arrived"
        await asyncio.sleep(0.02)


def _kill_last_party(url: str, key: str, parties: int) -> Any:
    """Start the last party in a process, wait until its action runs, SIGKILL it."""
    started = CTX.Queue()
    proc = CTX.Process(target=_dying_party, args=(url, key, parties, started))
    proc.start()
    try:
        assert started.get(timeout=20) == "running"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(20)
    assert proc.exitcode == -signal.SIGKILL
    return proc


def test_killed_action_breaks_waiters(r: Any, vermilion_server: EmbeddedServer) -> None:
    outcomes: list[Any] = []

    def waiter() -> None:
        try:
            outcomes.append(Barrier(3, key="dead").wait())  # no timeout
        except threading.BrokenBarrierError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=waiter, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        _wait_for_waiters("dead", 2)
        _kill_last_party(vermilion_server.url, "dead", 3)
        for t in threads:
            t.join(20)
            assert not t.is_alive(), "a waiter still waits for the dead party's action"
    finally:
        Barrier(3, key="dead").abort()  # never leave a thread behind if the test fails
    assert len(outcomes) == 2
    assert all(isinstance(o, threading.BrokenBarrierError) for o in outcomes)
    b = Barrier(3, key="dead")
    assert b.broken is True
    b.reset()  # usable again afterwards
    assert b.broken is False and b.n_waiting == 0


def test_action_longer_than_lease_keeps_the_barrier(r: Any) -> None:
    ran: list[int] = []
    out: list[int] = []

    def waiter() -> None:
        out.append(Barrier(2, key="long").wait())  # no timeout

    t = threading.Thread(target=waiter, daemon=True)
    t.start()
    _wait_for_waiters("long", 1)
    b = Barrier(2, action=lambda: (time.sleep(3), ran.append(1)), key="long")
    b.action_lease = 1.0  # the 3 s action outlives three leases: renewal must keep it
    out.append(b.wait())
    t.join(20)
    assert not t.is_alive()
    assert ran == [1] and sorted(out) == [0, 1]
    assert b.broken is False and b.n_waiting == 0


async def test_async_killed_action_breaks_waiters(
        ar: Any, vermilion_server: EmbeddedServer) -> None:
    waiters = [asyncio.create_task(AsyncBarrier(3, key="adead").wait()) for _ in range(2)]
    await _await_waiters("adead", 2)
    try:
        await asyncio.to_thread(_kill_last_party, vermilion_server.url, "adead", 3)
        results = await asyncio.wait_for(
            asyncio.gather(*waiters, return_exceptions=True), 20)
    finally:
        await AsyncBarrier(3, key="adead").abort()
    assert all(isinstance(x, threading.BrokenBarrierError) for x in results)


async def test_async_action_longer_than_lease_keeps_the_barrier(ar: Any) -> None:
    ran: list[int] = []

    async def action() -> None:
        await asyncio.sleep(3)
        ran.append(1)

    waiter = asyncio.create_task(AsyncBarrier(2, key="along").wait())
    await _await_waiters("along", 1)
    b = AsyncBarrier(2, action=action, key="along")
    b.action_lease = 1.0
    mine = await b.wait()
    assert sorted([mine, await asyncio.wait_for(waiter, 20)]) == [0, 1]
    assert ran == [1] and await b.broken is False
