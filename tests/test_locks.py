"""Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition, Barrier: threading semantics
across separate objects (as separate processes would use them), leases, round trips, asyncio,
cluster."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from vermilion import LockNotOwnedError, WrongTypeError
from vermilion.types.locks import (
    AsyncBarrier,
    AsyncBoundedSemaphore,
    AsyncCondition,
    AsyncEvent,
    AsyncLock,
    AsyncRLock,
    AsyncSemaphore,
    Barrier,
    BoundedSemaphore,
    Condition,
    Event,
    Lock,
    RLock,
    Semaphore,
)


def run_threads(*targets: Any) -> None:
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
        assert not t.is_alive()


def wait_blocked(r: Any, command: str) -> None:
    """Wait until some client is blocked in ``command`` on the server."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(c.get("cmd") == command for c in r.client_list()):
            return
        time.sleep(0.01)
    raise AssertionError(f"no client blocked in {command}")


# -- Lock --------------------------------------------------------------------------------------
def test_lock_mutual_exclusion_across_objects(r: Any) -> None:
    inside: list[int] = []
    overlaps: list[int] = []
    counter = {"n": 0}

    def worker() -> None:
        lock = Lock(key="mx", timeout=5)
        for _ in range(15):
            with lock:
                inside.append(1)
                if len(inside) > 1:
                    overlaps.append(1)
                n = counter["n"]
                time.sleep(0.0005)
                counter["n"] = n + 1
                inside.pop()

    run_threads(worker, worker, worker, worker)
    assert overlaps == []
    assert counter["n"] == 60
    assert r.exists("mx") == 0


def test_lock_basic_semantics(r: Any) -> None:
    a, b = Lock(key="l", timeout=5), Lock(key="l", timeout=5)
    assert not a.locked()
    assert a.acquire() is True
    assert a.locked() and b.locked()
    assert r.get("l") is not None and r.pttl("l") > 0
    assert b.acquire(blocking=False) is False
    assert b.acquire(timeout=0.05) is False
    with pytest.raises(RuntimeError, match="release unlocked lock"):
        b.release()
    a.release()
    assert not a.locked()
    with pytest.raises(RuntimeError, match="release unlocked lock"):
        a.release()
    with pytest.raises(ValueError, match="can't specify a timeout for a non-blocking call"):
        a.acquire(False, 1)
    with pytest.raises(ValueError, match="timeout value must be positive"):
        a.acquire(timeout=-2)
    with b as got:
        assert got is True
        assert b.owned() and not a.owned()
    assert not b.locked()


def test_lock_release_from_another_thread(r: Any) -> None:
    lock = Lock(key="xt", timeout=5)
    lock.acquire()
    run_threads(lock.release)
    assert not lock.locked()


def test_lock_waiter_wakes_on_release(r: Any) -> None:
    holder = Lock(key="w", timeout=30)
    holder.acquire()
    order: list[str] = []

    def waiter() -> None:
        lock = Lock(key="w", timeout=30)
        got = lock.acquire(timeout=10)
        order.append(f"acquired:{got}")
        lock.release()

    t = threading.Thread(target=waiter)
    t.start()
    wait_blocked(r, "blpop")  # the waiter blocks in Redis, it does not poll
    order.append("released")
    holder.release()
    t.join(10)
    # the 30 s lease did not have to expire: the release woke the waiter
    assert order == ["released", "acquired:True"]
    for _ in range(3):
        holder.acquire()
        holder.release()
    assert r.lrange("{w}:signal", 0, -1) == [b"1"]  # releases leave one wake-up signal


def test_lease_expiry_lets_another_acquire(r: Any) -> None:
    dead = Lock(key="exp", timeout=0.3)
    assert dead.acquire()
    other = Lock(key="exp", timeout=5)
    assert other.acquire(timeout=5) is True  # a blocked waiter gets in when the lease ends
    with pytest.raises(LockNotOwnedError) as info:
        dead.release()
    assert isinstance(info.value, RuntimeError) and info.value.key == "exp"
    with pytest.raises(LockNotOwnedError):
        dead.extend(1)
    other.release()
    again = Lock(key="exp2", timeout=0.2)
    again.acquire()
    time.sleep(0.35)
    with pytest.raises(LockNotOwnedError, match="expired"):
        again.release()


def test_lock_extend_and_renew(r: Any) -> None:
    lock = Lock(key="ext", timeout=1)
    lock.acquire()
    lock.extend(20)
    assert r.pttl("ext") > 10_000
    lock.renew()
    assert 0 < r.pttl("ext") <= 1000
    other = Lock(key="ext", timeout=1)
    with pytest.raises(LockNotOwnedError):
        other.extend(5)
    with pytest.raises(LockNotOwnedError):
        other.renew()
    lock.release()


def test_lock_auto_renew(r: Any) -> None:
    lock = Lock(key="ar", timeout=0.5, auto_renew=True)
    lock.acquire()
    time.sleep(1.2)  # > 2 leases: only renewal keeps it
    assert Lock(key="ar", timeout=1).acquire(blocking=False) is False
    lock.release()
    assert not lock.locked()
    time.sleep(0.4)  # the renewal thread stopped: nothing recreated the key
    assert r.exists("ar") == 0
    assert not [t for t in threading.enumerate() if t.name == "vermilion-renew:ar"]


def test_lock_round_trips(r: Any) -> None:
    lock = Lock(key="rt", timeout=5)
    lock.acquire()
    lock.extend(1)
    lock.release()  # scripts loaded
    r.round_trips.reset()
    assert lock.acquire()
    assert r.round_trips.count == 1
    r.round_trips.reset()
    lock.release()
    assert r.round_trips.count == 1
    r.round_trips.reset()
    assert lock.acquire(blocking=False)
    lock.extend(1)
    assert r.round_trips.count == 2
    lock.release()


def test_lock_wrong_type(r: Any) -> None:
    r.hset("h", "a", 1)
    with pytest.raises(WrongTypeError, match="'h'"):
        Lock(key="h").acquire()
    with pytest.raises(WrongTypeError, match="'h'"):
        Lock(key="h").locked()
    r.set("s", "x")
    with pytest.raises(WrongTypeError, match="'s'"):
        RLock(key="s").acquire()
    with pytest.raises(WrongTypeError, match="'s'"):
        Semaphore(2, key="s").acquire()
    with pytest.raises(WrongTypeError, match="'s'"):
        Event(key="s").set()
    with pytest.raises(WrongTypeError, match="'s'"):
        Event(key="s").wait(0.05)
    with pytest.raises(WrongTypeError, match="'s'"):
        Barrier(2, key="s").wait(0.05)
    cond = Condition(key="s")
    with cond, pytest.raises(WrongTypeError, match="'s'"):
        cond.notify()


def test_blocking_ops_refused_in_transaction(r: Any) -> None:
    import vermilion

    lock = Lock(key="tx")
    with pytest.raises(vermilion.TransactionError), vermilion.transaction():
        lock.acquire()


# -- RLock -------------------------------------------------------------------------------------
def test_rlock_reentrancy(r: Any) -> None:
    lock = RLock(key="rl", timeout=5)
    assert lock.acquire() and lock.acquire()
    assert r.hget("rl", "count") == b"2"
    other = RLock(key="rl", timeout=5)
    assert other.acquire(blocking=False) is False
    lock.release()
    assert lock.locked()
    assert other.acquire(blocking=False) is False
    lock.release()
    assert not lock.locked()
    with pytest.raises(RuntimeError, match="cannot release un-acquired lock"):
        lock.release()
    with other:
        with other:
            assert other.owned()
        assert other.locked()
    assert not other.locked()


def test_rlock_owned_per_thread(r: Any) -> None:
    lock = RLock(key="rt2", timeout=5)
    lock.acquire()
    results: list[Any] = []

    def other_thread() -> None:
        results.append(lock.acquire(blocking=False))
        try:
            lock.release()
        except RuntimeError as exc:
            results.append(str(exc))

    run_threads(other_thread)
    assert results == [False, "cannot release un-acquired lock"]
    lock.release()


def test_rlock_round_trips_and_expiry(r: Any) -> None:
    lock = RLock(key="rr", timeout=0.3)
    lock.acquire()
    lock.release()
    r.round_trips.reset()
    lock.acquire()
    lock.acquire()
    lock.release()
    lock.release()
    assert r.round_trips.count == 4
    lock.acquire()
    assert RLock(key="rr", timeout=1).acquire(timeout=5)  # waits for the lease to end
    with pytest.raises(LockNotOwnedError):
        lock.release()


# -- Semaphore ---------------------------------------------------------------------------------
def test_semaphore_capacity_across_threads(r: Any) -> None:
    active: list[int] = []
    peak = {"n": 0}
    guard = threading.Lock()

    def worker() -> None:
        sem = Semaphore(2, key="sem", timeout=5)
        for _ in range(5):
            with sem:
                with guard:
                    active.append(1)
                    peak["n"] = max(peak["n"], len(active))
                time.sleep(0.002)
                with guard:
                    active.pop()

    run_threads(*[worker] * 5)
    assert 1 <= peak["n"] <= 2
    assert r.zcard("sem") == 0


def test_semaphore_semantics(r: Any) -> None:
    with pytest.raises(ValueError, match="semaphore initial value must be >= 0"):
        Semaphore(-1)
    sem = Semaphore(2, key="s2", timeout=5)
    assert sem.acquire() and sem.acquire()
    assert sem.acquire(blocking=False) is False
    assert sem.acquire(timeout=0.05) is False
    with pytest.raises(ValueError, match="can't specify timeout for non-blocking acquire"):
        sem.acquire(False, 1)
    with pytest.raises(ValueError, match="n must be one or more"):
        sem.release(0)
    sem.release(2)
    assert sem.held() == 0
    # an unbounded Semaphore counts releases beyond what is held, like threading
    sem.release()
    other = Semaphore(2, key="s2", timeout=5)
    assert [other.acquire(blocking=False) for _ in range(4)] == [True, True, True, False]
    r.round_trips.reset()
    other.release()
    assert r.round_trips.count == 1
    r.round_trips.reset()
    assert other.acquire(blocking=False)
    assert r.round_trips.count == 1


def test_semaphore_expired_holder_purged(r: Any) -> None:
    dead = Semaphore(1, key="s3", timeout=0.3)
    assert dead.acquire()
    live = Semaphore(1, key="s3", timeout=5)
    assert live.acquire(timeout=5) is True
    with pytest.raises(LockNotOwnedError):
        dead.release()
    live.release()


def test_bounded_semaphore_over_release(r: Any) -> None:
    sem = BoundedSemaphore(2, key="bs", timeout=5)
    with pytest.raises(ValueError, match="Semaphore released too many times"):
        sem.release()
    sem.acquire()
    with pytest.raises(ValueError, match="Semaphore released too many times"):
        sem.release(2)
    sem.release()
    with sem:
        assert sem.held() == 1
    assert sem.held() == 0


def test_semaphore_waiter_wakes_on_release(r: Any) -> None:
    sem = Semaphore(1, key="sw", timeout=30)
    sem.acquire()
    got: list[bool] = []
    t = threading.Thread(target=lambda: got.append(Semaphore(1, key="sw").acquire(timeout=10)))
    t.start()
    time.sleep(0.1)
    assert got == []
    sem.release()
    t.join(10)
    assert got == [True]


# -- Event -------------------------------------------------------------------------------------
def test_event(r: Any) -> None:
    ev = Event(key="ev")
    assert not ev.is_set() and not ev
    assert ev.wait(0) is False
    assert ev.wait(0.05) is False
    results: list[bool] = []

    def waiter() -> None:
        results.append(Event(key="ev").wait(10))

    threads = [threading.Thread(target=waiter) for _ in range(3)]
    for t in threads:
        t.start()
    wait_blocked(r, "blmove")
    assert results == []
    ev.set()
    for t in threads:
        t.join(10)
    assert results == [True, True, True]
    assert ev.is_set() and ev.wait() is True
    ev.set()
    assert r.llen("ev") == 1
    r.round_trips.reset()
    assert ev.wait(1) is True
    assert r.round_trips.count == 1
    ev.clear()
    assert not ev.is_set() and ev.wait(0.05) is False


# -- Condition ---------------------------------------------------------------------------------
def test_condition_notify(r: Any) -> None:
    cond = Condition(key="cv")
    with pytest.raises(RuntimeError, match="cannot wait on un-acquired lock"):
        cond.wait(0.1)
    with pytest.raises(RuntimeError, match="cannot notify on un-acquired lock"):
        cond.notify()
    results: list[bool] = []
    ready = threading.Semaphore(0)

    def waiter() -> None:
        c = Condition(key="cv")
        with c:
            ready.release()
            results.append(c.wait(10))

    threads = [threading.Thread(target=waiter) for _ in range(3)]
    for t in threads:
        t.start()
    for _ in threads:
        ready.acquire()
    deadline = time.monotonic() + 10
    while r.llen("cv") < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    wait_blocked(r, "xread")
    with cond:
        assert cond.notify(2) == 2
    deadline = time.monotonic() + 10
    while len(results) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert results == [True, True]
    assert r.llen("cv") == 1  # the third is still waiting
    with cond:
        assert cond.notify_all() == 1
        assert cond.notify() == 0
    for t in threads:
        t.join(10)
    assert results == [True, True, True]


def test_condition_wait_timeout_and_wait_for(r: Any) -> None:
    cond = Condition(Lock(key="cl", timeout=5), key="cv2")
    with cond:
        assert cond.wait(0.05) is False
        assert r.llen("cv2") == 0  # the timed-out waiter unregistered
        assert cond._lock.owned()  # re-acquired
    box = {"ready": False}

    def producer() -> None:
        c = Condition(Lock(key="cl", timeout=5), key="cv2")
        time.sleep(0.1)
        with c:
            box["ready"] = True
            c.notify_all()

    t = threading.Thread(target=producer)
    t.start()
    with cond:
        assert cond.wait_for(lambda: box["ready"], timeout=10) is True
    t.join(10)
    with cond:
        assert cond.wait_for(lambda: False, timeout=0.05) is False


def test_condition_with_reentrant_lock(r: Any) -> None:
    cond = Condition(key="cv3")  # default: an RLock at {cv3}:lock
    with cond, cond:
        assert cond.wait(0.05) is False
        assert r.hget("{cv3}:lock", "count") == b"2"  # recursion level restored


# -- Barrier -----------------------------------------------------------------------------------
def test_barrier_three_threads(r: Any) -> None:
    indexes: list[int] = []
    actions: list[int] = []

    def party() -> None:
        b = Barrier(3, action=lambda: actions.append(1), key="bar")
        for _ in range(2):
            indexes.append(b.wait(10))

    run_threads(party, party, party)
    assert sorted(indexes) == [0, 0, 1, 1, 2, 2]
    assert actions == [1, 1]
    b = Barrier(3, key="bar")
    assert b.parties == 3 and b.n_waiting == 0 and b.broken is False


def test_barrier_timeout_breaks(r: Any) -> None:
    with pytest.raises(ValueError, match="parties must be > 0"):
        Barrier(0)
    errors: list[str] = []

    def party() -> None:
        try:
            Barrier(3, key="bt").wait(10)
        except threading.BrokenBarrierError:
            errors.append("broken")

    t = threading.Thread(target=party)
    t.start()
    b = Barrier(3, key="bt", timeout=0.2)
    with pytest.raises(threading.BrokenBarrierError):
        b.wait()  # only 2 of 3 arrive: the timeout breaks the barrier for everyone
    t.join(10)
    assert errors == ["broken"]
    assert b.broken is True
    with pytest.raises(threading.BrokenBarrierError):
        b.wait(1)
    b.reset()
    assert b.broken is False and b.n_waiting == 0


def test_barrier_abort_reset_and_action_error(r: Any) -> None:
    errors: list[str] = []

    def party() -> None:
        try:
            Barrier(2, key="ba").wait(10)
        except threading.BrokenBarrierError:
            errors.append("broken")

    t = threading.Thread(target=party)
    t.start()
    b = Barrier(2, key="ba")
    while b.n_waiting < 1:
        time.sleep(0.01)
    b.reset()  # the waiting party is broken out, the barrier is usable again
    t.join(10)
    assert errors == ["broken"] and b.broken is False

    def boom() -> None:
        raise KeyError("action failed")

    t = threading.Thread(target=party)
    t.start()
    while b.n_waiting < 1:
        time.sleep(0.01)
    with pytest.raises(KeyError):
        Barrier(2, action=boom, key="ba").wait(10)
    t.join(10)
    assert errors == ["broken", "broken"] and b.broken is True
    b.reset()
    b.abort()
    assert b.broken is True


# -- asyncio -----------------------------------------------------------------------------------
async def test_async_lock(ar: Any) -> None:
    a, b = AsyncLock(key="al", timeout=5), AsyncLock(key="al", timeout=5)
    async with a:
        assert await b.locked()
        assert await b.acquire(blocking=False) is False
    order: list[str] = []
    entered = asyncio.Event()

    async def holder() -> None:
        async with a:
            order.append("a-in")
            entered.set()
            await asyncio.sleep(0.05)
            order.append("a-out")

    async def waiter() -> None:
        await entered.wait()
        async with b:
            order.append("b-in")

    await asyncio.gather(holder(), waiter())
    assert order == ["a-in", "a-out", "b-in"]
    with pytest.raises(RuntimeError):
        await a.release()
    await a.acquire()
    await a.release()
    ar.round_trips.reset()
    await a.acquire()
    await a.release()
    assert ar.round_trips.count == 2


async def test_async_lock_auto_renew(ar: Any) -> None:
    lock = AsyncLock(key="aar", timeout=0.5, auto_renew=True)
    await lock.acquire()
    await asyncio.sleep(1.2)
    assert await AsyncLock(key="aar").acquire(blocking=False) is False
    await lock.release()
    assert not await lock.locked()


async def test_async_rlock_semaphore_event(ar: Any) -> None:
    rl = AsyncRLock(key="arl", timeout=5)
    async with rl:
        async with rl:
            assert await rl.owned()
    assert not await rl.locked()
    sem = AsyncBoundedSemaphore(1, key="asem", timeout=5)
    async with sem:
        assert await AsyncSemaphore(1, key="asem").acquire(blocking=False) is False
    with pytest.raises(ValueError):
        await sem.release()
    ev = AsyncEvent(key="aev")

    async def setter() -> None:
        await asyncio.sleep(0.05)
        await AsyncEvent(key="aev").set()

    results = await asyncio.gather(ev.wait(5), ev.wait(5), setter())
    assert results[:2] == [True, True]
    assert await ev.is_set()


async def test_async_condition_and_barrier(ar: Any) -> None:
    cond = AsyncCondition(key="acv")
    box: list[int] = []

    async def consumer() -> bool:
        c = AsyncCondition(key="acv")
        async with c:
            return await c.wait_for(lambda: bool(box), timeout=10)  # type: ignore[no-any-return]

    async def producer() -> None:
        await asyncio.sleep(0.05)
        async with cond:
            box.append(1)
            await cond.notify_all()

    assert (await asyncio.gather(consumer(), producer()))[0] is True

    async def party() -> int:
        return await AsyncBarrier(3, key="abar").wait(10)  # type: ignore[no-any-return]

    assert sorted(await asyncio.gather(party(), party(), party())) == [0, 1, 2]
    b = AsyncBarrier(2, key="abar2", timeout=0.1)
    with pytest.raises(threading.BrokenBarrierError):
        await b.wait()
    assert await b.broken is True
    assert await b.n_waiting == 0


async def test_async_wait_for_and_barrier_action_are_awaited(ar: Any) -> None:
    """A coroutine predicate / action on the asyncio face is awaited (it used to return an
    un-awaited coroutine, truthy, so the wait returned at once)."""
    box: list[int] = []
    cond = AsyncCondition(key="acw")

    async def ready() -> bool:
        await asyncio.sleep(0)
        return bool(box)

    async def consumer() -> Any:
        async with cond:
            return await cond.wait_for(ready, timeout=10)

    async def notify() -> None:
        await asyncio.sleep(0.1)
        c = AsyncCondition(key="acw")
        async with c:
            box.append(1)
            await c.notify_all()

    t0 = time.monotonic()
    got, _ = await asyncio.gather(consumer(), notify())
    assert got is True and time.monotonic() - t0 >= 0.09
    async with cond:
        assert await cond.wait_for(ready, timeout=0.05) is True
        box.clear()
        assert await cond.wait_for(ready, timeout=0.05) is False

    ran: list[int] = []

    async def action() -> None:
        await asyncio.sleep(0.01)
        ran.append(1)

    async def party() -> int:
        return await AsyncBarrier(2, action=action, key="aact").wait(10)  # type: ignore[no-any-return]

    assert sorted(await asyncio.gather(party(), party())) == [0, 1]
    assert ran == [1]

    async def failing() -> None:
        raise KeyError("action failed")

    with pytest.raises(KeyError):
        await AsyncBarrier(1, action=failing, key="afail").wait(5)
    assert await AsyncBarrier(1, key="afail").broken is True


async def test_async_condition_wait_cancelled_cleans_up(ar: Any) -> None:
    """A cancelled wait withdraws its token and re-acquires the lock before re-raising, as
    asyncio.Condition does: no stale waiter is left for a notify to pick."""
    cond = AsyncCondition(key="acc")

    async def waiter() -> None:
        async with cond:
            await cond.wait()

    task = asyncio.ensure_future(waiter())
    for _ in range(100):
        await asyncio.sleep(0.02)
        if await ar.llen("acc") == 1:
            break
    assert await ar.llen("acc") == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await ar.llen("acc") == 0  # the token is gone
    assert not await cond._lock.locked()  # re-acquired, then released by `async with`
    other = AsyncCondition(key="acc")
    async with other:
        assert await other.notify() == 0  # nobody stale to wake


def test_condition_on_a_threading_lock(r: Any) -> None:
    """A Condition built on a plain threading.Lock works as threading.Condition's does (the
    lock guards this process; waiters and notifications are in Redis)."""
    lock = threading.Lock()
    cond = Condition(lock, key="ctl")
    box: list[int] = []

    def consumer() -> None:
        with cond:
            box.append(int(cond.wait_for(lambda: len(box) > 0, timeout=10)))

    t = threading.Thread(target=consumer)
    t.start()
    time.sleep(0.1)
    with cond:
        assert not lock.acquire(False)
        box.append(0)
        cond.notify()
    t.join(10)
    assert box == [0, 1]
    with pytest.raises(TypeError):
        AsyncCondition(threading.Lock(), key="ctl2")


def test_lock_timeout_overflow_and_reprs(r: Any) -> None:
    lock = Lock(key="ov", timeout=5)
    with pytest.raises(OverflowError):
        lock.acquire(timeout=threading.TIMEOUT_MAX + 1)
    with pytest.raises(OverflowError):
        RLock(key="ov2").acquire(timeout=1e100)
    assert lock.acquire(timeout=threading.TIMEOUT_MAX)
    assert repr(lock).startswith("<locked vermilion.Lock object key='ov' token=")
    lock.release()
    assert repr(lock).startswith("<unlocked vermilion.Lock object key='ov' at 0x")
    rl = RLock(key="rr")
    with rl, rl:
        assert "<locked vermilion.RLock object key='rr' count=2 token=" in repr(rl)
        assert rl._recursion_count() == 2
    sem = BoundedSemaphore(3, key="rs")
    assert repr(sem).endswith(" key='rs': value=3/3>")
    with sem:
        assert repr(Semaphore(3, key="rs")).endswith(" key='rs': value=2>")
    ev = Event(key="re")
    assert repr(ev).endswith(" key='re': unset>")
    ev.set()
    assert repr(ev).endswith(" key='re': set>")
    b = Barrier(3, key="rb")
    assert repr(b).startswith("<vermilion.Barrier at 0x") and repr(b).endswith(": waiters=0/3>")
    b.abort()
    assert repr(b).endswith(": broken>")
    assert repr(Condition(key="rc")).startswith("<vermilion.Condition(<unlocked vermilion.RLock")


def test_bounded_semaphore_bound_checked_in_redis(r: Any) -> None:
    """The bound holds across objects (processes): a permit taken by one object may be released
    by another, as threading allows across threads, but never beyond the initial value."""
    a, b = BoundedSemaphore(2, key="bsr", timeout=5), BoundedSemaphore(2, key="bsr", timeout=5)
    assert a.acquire(blocking=False)
    b.release()  # releases the permit a holds (the value goes back to 2)
    with pytest.raises(ValueError, match="released too many times"):
        b.release()
    assert b.value() == 2 and a.acquire(blocking=False) and a.acquire(blocking=False)
    assert not b.acquire(blocking=False)
    assert a.value() == 0
    a.release()
    a.release()
    with pytest.raises(ValueError):
        a.release()  # would make the value 3
    assert a.held() == 1 and a.value() == 2  # refused: nothing changed


# -- cluster -----------------------------------------------------------------------------------
@pytest.mark.cluster
def test_cluster_locks(rc: Any) -> None:
    lock = Lock(key="job:42", timeout=5)
    with lock:
        assert Lock(key="job:42").acquire(timeout=0.05) is False
    rl = RLock(key="crl", timeout=5)
    with rl, rl:
        pass
    sem = BoundedSemaphore(2, key="csem", timeout=5)
    with sem:
        pass
    ev = Event(key="cev")
    ev.set()
    assert ev.wait(1)
    cond = Condition(key="ccond")
    with cond:
        assert cond.wait(0.05) is False
        cond.notify_all()
    out: list[int] = []
    run_threads(*[lambda: out.append(Barrier(2, key="cbar").wait(10))] * 2)
    assert sorted(out) == [0, 1]


@pytest.mark.cluster
async def test_cluster_async_lock(arc: Any) -> None:
    lock = AsyncLock(key="ajob", timeout=5)
    async with lock:
        assert await AsyncLock(key="ajob").acquire(timeout=0.05) is False
    ev = AsyncEvent(key="aev")
    await ev.set()
    assert await ev.wait(1)
