"""Fencing tokens: ``lock.token`` grows with every acquisition of a key (lease expiries
included), ``lock.fenced()`` guards the writes of a transaction, ``owned()`` asks Redis."""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import threading
import time
from typing import Any

import pytest

import vermilion as vm
from vermilion import LockNotOwnedError, TransactionConflict
from vermilion.server import EmbeddedServer
from vermilion.types.locks import AsyncLock, AsyncRLock, Lock, RLock

CTX = mp.get_context("fork")


def test_token_grows_across_acquisitions_and_expiry(r: Any) -> None:
    a = Lock(key="l", timeout=5)
    assert a.token is None
    assert a.acquire()
    t1 = a.token
    assert isinstance(t1, int) and t1 > 0
    assert int(r.get("{l}:fence")) == t1 and a.fence_key == "{l}:fence"
    a.release()
    assert a.token is None
    assert a.acquire()
    t2 = a.token
    assert t2 is not None and t2 > t1
    a.release()
    short = Lock(key="l", timeout=0.2)
    assert short.acquire()
    t3 = short.token
    b = Lock(key="l", timeout=5)
    assert b.acquire(timeout=10)  # once the short lease lapsed
    t4 = b.token
    assert t3 is not None and t4 is not None and t2 < t3 < t4
    assert short.token == t3  # what it was given; it is stale now:
    assert short.owned() is False
    with pytest.raises(LockNotOwnedError, match="stale"):
        short.fenced()
    assert b.owned() is True and b.fenced() == t4
    assert r.pttl("{l}:fence") == -1  # the counter never expires
    b.release()
    assert b.owned() is False
    r.delete("{l}:fence")  # even a lost counter never hands out an older token
    assert a.acquire(blocking=False)
    assert a.token is not None and a.token > t4
    a.release()


def test_fenced_transaction_commits_only_for_the_current_holder(r: Any) -> None:
    stale = Lock(key="{acct}:lock", timeout=0.2)
    data = vm.Dict(key="{acct}:data")
    stale.acquire()
    with vm.transaction():
        assert stale.fenced() == stale.token
        data["by"] = "stale-while-current"
    current = Lock(key="{acct}:lock", timeout=5)
    assert current.acquire(timeout=10)
    with pytest.raises(LockNotOwnedError), vm.transaction():
        stale.fenced()
        data["by"] = "stale"
    with vm.transaction():
        current.fenced()
        data["by"] = "current"
    assert data.copy() == {"by": "current"}
    with pytest.raises(LockNotOwnedError, match="not acquired"):
        Lock(key="{acct}:lock").fenced()
    current.release()


def test_acquisition_between_check_and_commit_fails_the_commit(r: Any) -> None:
    a = Lock(key="{k}:lock", timeout=0.2)
    log = vm.List(key="{k}:log")
    a.acquire()

    def other() -> None:  # another thread (not in the transaction): waits out a's lease
        b = Lock(key="{k}:lock", timeout=5)
        assert b.acquire(timeout=10)
        box.append(b.token)

    box: list[Any] = []
    with pytest.raises(TransactionConflict), vm.transaction():
        a.fenced()  # passes: a is still the latest holder
        t = threading.Thread(target=other)
        t.start()
        t.join(20)
        log.append("a")  # queued; EXEC must refuse it: the fence key changed
    assert box and box[0] > a.token  # type: ignore[operator]
    assert log.copy() == []


def test_renewal_does_not_fail_a_fenced_transaction(r: Any) -> None:
    lock = Lock(key="{rn}:lock", timeout=5)
    lock.acquire()
    log = vm.List(key="{rn}:log")
    with vm.transaction():
        lock.fenced()  # WATCHes the fence key only, not the lock key
        t = threading.Thread(target=lock.renew)  # PEXPIRE of the lock key, outside the block
        t.start()
        t.join(10)
        log.append(1)
    assert log.copy() == [1]
    lock.release()


def test_fencing_round_trips(r: Any) -> None:
    lock = Lock(key="rt", timeout=5)
    lock.acquire()
    lock.fenced()
    lock.owned()
    lock.release()
    r.round_trips.reset()
    lock.acquire()
    assert r.round_trips.count == 1  # the token comes with the acquisition
    r.round_trips.reset()
    lock.fenced()
    lock.owned()
    assert r.round_trips.count == 2
    lock.release()
    r.round_trips.reset()
    assert lock.owned() is False and r.round_trips.count == 0


def test_rlock_tokens(r: Any) -> None:
    lock = RLock(key="rl", timeout=0.3)
    assert lock.acquire() and lock.acquire()
    t1 = lock.token
    assert t1 is not None and lock.owned() and lock.fenced() == t1
    lock.release()
    assert lock.token == t1  # still held once: same acquisition
    box: list[Any] = []
    th = threading.Thread(target=lambda: box.append((lock.token, lock.owned())))
    th.start()
    th.join(10)
    assert box == [(None, False)]  # another thread does not hold it
    other = RLock(key="rl", timeout=5)
    assert other.acquire(timeout=10)  # after the lease lapsed
    assert other.token is not None and other.token > t1
    assert lock.owned() is False
    with pytest.raises(LockNotOwnedError):
        lock.fenced()
    with vm.transaction():
        other.fenced()
        vm.List(key="{rl}:log").append("ok")
    other.release()
    assert set(RLock(key="rl").keys_owned) == {"rl", "{rl}:signal", "{rl}:fence"}


def _paused_holder(url: str, out: Any, go: Any) -> None:
    vm.configure(url)
    lock = Lock(key="{res}:lock", timeout=0.5)
    lock.acquire()
    out.put(("acquired", lock.token))
    go.wait(60)
    owned = lock.owned()
    try:
        with vm.transaction():
            lock.fenced()
            vm.List(key="{res}:log").append(("A", lock.token))
        out.put(("written", owned))
    except (LockNotOwnedError, TransactionConflict) as exc:
        out.put(("refused", owned, type(exc).__name__))


@pytest.mark.slow
def test_holder_paused_past_its_lease_is_fenced_off(r: Any, vermilion_server: EmbeddedServer
                                                    ) -> None:
    """SIGSTOP the holder past its lease, let B acquire and write, resume A: A's fenced write is
    refused, B's landed, tokens grew, and A's owned() says False."""
    out, go = CTX.Queue(), CTX.Event()
    proc = CTX.Process(target=_paused_holder, args=(vermilion_server.url, out, go))
    proc.start()
    tag, token_a = out.get(timeout=30)
    assert tag == "acquired"
    os.kill(proc.pid, signal.SIGSTOP)  # type: ignore[arg-type]
    try:
        b = Lock(key="{res}:lock", timeout=30)
        assert b.acquire(timeout=20)  # A's lease lapses while it is stopped
        assert b.token is not None and b.token > token_a
        with vm.transaction():
            b.fenced()
            vm.List(key="{res}:log").append(("B", b.token))
    finally:
        os.kill(proc.pid, signal.SIGCONT)  # type: ignore[arg-type]
    go.set()  # A resumes and writes while B still holds the lock
    result = out.get(timeout=30)
    proc.join(10)
    assert result == ("refused", False, "LockNotOwnedError")
    assert vm.List(key="{res}:log").copy() == [("B", b.token)]
    b.release()


def _contender(url: str, n: int, out: Any) -> None:
    vm.configure(url)
    rng = random.Random(n)
    lock = Lock(key="{c}:lock", timeout=0.05)
    log = vm.List(key="{c}:log")
    accepted = refused = 0
    for _ in range(25):
        lock.acquire(timeout=30)
        if rng.random() < 0.3:
            time.sleep(0.08)  # "paused" past the lease: others may get in meanwhile
        try:
            with vm.transaction():
                lock.fenced()
                log.append(lock.token)
            accepted += 1
        except (LockNotOwnedError, TransactionConflict):
            refused += 1
        try:
            lock.release()
        except LockNotOwnedError:
            pass
    out.put((accepted, refused))


@pytest.mark.slow
def test_four_processes_fenced_writes_are_ordered(r: Any, vermilion_server: EmbeddedServer
                                                  ) -> None:
    """4 processes contend for a lock with a 50 ms lease, some overrunning it: the tokens of the
    writes that landed are strictly increasing (no write from an older holder after a newer
    one's), whatever the timing."""
    out = CTX.Queue()
    procs = [CTX.Process(target=_contender, args=(vermilion_server.url, k, out))
             for k in range(4)]
    for p in procs:
        p.start()
    counts = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    log = vm.List(key="{c}:log").copy()
    print(f"\n4 processes, 100 fenced writes: {sum(a for a, _ in counts)} landed, "
          f"{sum(b for _, b in counts)} refused as stale")
    assert sum(a for a, _ in counts) == len(log) and sum(a + b for a, b in counts) == 100
    assert log == sorted(set(log))  # strictly increasing


async def test_async_fencing(ar: Any) -> None:
    import vermilion.aio as vma

    a = AsyncLock(key="{as}:lock", timeout=0.2)
    assert await a.acquire()
    ta = a.token
    assert await a.owned() and await a.fenced() == ta
    b = AsyncLock(key="{as}:lock", timeout=5)
    assert await b.acquire(timeout=10)
    assert b.token is not None and ta is not None and b.token > ta
    assert await a.owned() is False
    log = vma.List(key="{as}:log")
    with pytest.raises(LockNotOwnedError):
        async with vma.transaction():
            await a.fenced()
            await log.append("a")
    async with vma.transaction():
        await b.fenced()
        await log.append("b")
    assert await log.copy() == ["b"]
    await b.release()
    rl = AsyncRLock(key="{as}:rl", timeout=5)
    async with rl:
        async with rl:
            assert await rl.fenced() == rl.token
    assert rl.token is None


@pytest.mark.cluster
def test_cluster_fencing(rc: Any) -> None:
    stale = Lock(key="{acct:7}:lock", timeout=0.2)
    stale.acquire()
    current = Lock(key="{acct:7}:lock", timeout=5)
    assert current.acquire(timeout=10)
    assert current.token > stale.token  # type: ignore[operator]
    data = vm.Dict(key="{acct:7}:balance")
    with pytest.raises(LockNotOwnedError), vm.transaction():
        stale.fenced()
        data["x"] = 1
    with vm.transaction():
        current.fenced()
        data["x"] = 2
    assert data.copy() == {"x": 2}
    plain = Lock(key="job:9", timeout=5)  # no hash tag: the fence key shares its slot anyway
    with plain:
        assert plain.fenced() == plain.token and plain.owned()
    current.release()
