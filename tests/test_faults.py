"""Fault tests: server killed and restarted, lock holder killed, CLIENT PAUSE."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
from typing import Any

import pytest
import redis

import vermilion as vm
from vermilion.server import EmbeddedServer

pytestmark = pytest.mark.slow


@pytest.fixture
def own_server() -> Any:
    server = EmbeddedServer()
    vm.configure(url=server.url)
    yield server
    server.stop()


def test_server_killed_and_restarted(own_server: EmbeddedServer) -> None:
    lst = vm.List(key="l")
    lst.extend(range(10))
    own_server.kill()
    with pytest.raises(redis.exceptions.ConnectionError):  # nothing was sent: not applied
        lst.append(99)
    own_server.start()  # empty again: this server keeps nothing on disk
    lst.append(1)  # the client reconnects on its next command
    assert lst.copy() == [1]
    assert len(lst) == 1


def test_write_in_flight_is_not_resent(own_server: EmbeddedServer) -> None:
    counter = vm.List(key="c")
    raw = redis.Redis.from_url(own_server.url)
    raw.client_pause(400, all=False)  # writes wait
    killer = threading.Timer(0.1, own_server.kill)
    killer.start()
    with pytest.raises(vm.ConnectionLost) as info:
        counter.append("once")
    killer.join()
    assert info.value.key == "c" and "not resent" in str(info.value)


def test_reads_are_retried_once_after_a_broken_connection(own_server: EmbeddedServer) -> None:
    lst = vm.List([1, 2], key="l")
    raw = redis.Redis.from_url(own_server.url)
    raw.execute_command("CLIENT KILL TYPE normal SKIPME yes")  # drop vermilion's connection
    assert lst.copy() == [1, 2]


def test_client_pause_delays_but_never_duplicates(own_server: EmbeddedServer) -> None:
    lst = vm.List(key="l")
    raw = redis.Redis.from_url(own_server.url)
    raw.client_pause(200, all=False)
    lst.append("x")  # blocks until the pause ends, applied exactly once
    assert lst.copy() == ["x"]


def _hold_forever(url: str, ready: Any) -> None:
    vm.configure(url)
    lock = vm.Lock(key="job", timeout=1)
    lock.acquire()
    ready.set()
    signal.pause()


def test_dead_lock_holder_cannot_wedge_others(own_server: EmbeddedServer) -> None:
    ctx = mp.get_context("fork")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_forever, args=(own_server.url, ready))
    holder.start()
    assert ready.wait(30)
    os.kill(holder.pid, signal.SIGKILL)  # type: ignore[arg-type]
    holder.join()
    lock = vm.Lock(key="job", timeout=5)
    assert lock.acquire(timeout=10)  # within one lease of the dead holder
    lock.release()
