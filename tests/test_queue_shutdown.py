"""Queue.shutdown (Python 3.13's semantics) on every Python vermilion supports.

``put`` after a shutdown raises ShutDown; ``get`` drains the queue, then raises; ``immediate``
drains at once and counts the tasks done; blocked getters (threads, other processes, asyncio
tasks), putters and joiners wake up; the state lives in Redis, shared by every process, and
works inside transactions and on Redis Cluster.  A differential state machine compares the
non-blocking operations with ``queue.Queue`` (Python 3.13+) or with a model of 3.13's logic.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import queue
import sys
import threading
import time
from typing import Any

import pytest
from differential import run_machine, same
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule
from test_queues import BOUNDED, QueueMachine

import vermilion as vm
from vermilion import LifoQueue, PriorityQueue, Queue, SetQueue, SimpleQueue, aio
from vermilion.types import queues as queues_module

pytestmark = pytest.mark.timeout(120)

CTX = mp.get_context("fork")


def item(cls: Any, i: int) -> Any:
    return (i, f"job{i}") if cls is PriorityQueue else f"job{i}"


@pytest.fixture
def long_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blocked get waits in one BLMOVE of 60 s: returning sooner proves it was woken."""
    monkeypatch.setattr(queues_module, "WAIT_CHUNK", 60.0)


# -- the exception ------------------------------------------------------------------------------

def test_shutdown_exception_class() -> None:
    assert aio.ShutDown is vm.ShutDown
    assert issubclass(vm.ShutDown, Exception)
    if sys.version_info >= (3, 13):
        assert vm.ShutDown is queue.ShutDown  # type: ignore[attr-defined]
    else:
        assert not hasattr(queue, "ShutDown")


def test_simple_queue_has_no_shutdown(r: Any) -> None:
    """``queue.SimpleQueue`` has no shutdown in Python 3.13 either."""
    assert not hasattr(SimpleQueue(), "shutdown")
    assert not hasattr(queue.SimpleQueue(), "shutdown")


# -- put, get, immediate ------------------------------------------------------------------------

@pytest.mark.parametrize("cls", BOUNDED)
def test_put_after_shutdown_raises(r: Any, cls: Any) -> None:
    q = cls(key="q")
    q.put(item(cls, 1))
    assert q.is_shutdown is False
    q.shutdown()
    assert q.is_shutdown is True
    assert cls(key="q").is_shutdown is True  # another object (process) sees it
    for put in (lambda: q.put(item(cls, 2)), lambda: q.put_nowait(item(cls, 3)),
                lambda: q.put(item(cls, 4), timeout=1)):
        with pytest.raises(vm.ShutDown):
            put()
    assert q.qsize() == 1 and q.unfinished_tasks == 1


@pytest.mark.parametrize("cls", BOUNDED)
def test_get_drains_then_raises(r: Any, cls: Any) -> None:
    q = cls(key="q")
    for i in (1, 2):
        q.put(item(cls, i))
    q.shutdown()
    assert sorted([q.get(), q.get_nowait()]) == [item(cls, 1), item(cls, 2)]
    for get in (q.get, q.get_nowait, lambda: q.get(timeout=5), lambda: q.get(False)):
        start = time.monotonic()
        with pytest.raises(vm.ShutDown):
            get()
        assert time.monotonic() - start < 0.5  # at once, no wait
    q.task_done()
    q.task_done()
    q.join()
    with pytest.raises(ValueError, match="too many times"):
        q.task_done()


@pytest.mark.parametrize("cls", BOUNDED)
def test_immediate_drains_and_join_returns(r: Any, cls: Any) -> None:
    q = cls(key="q")
    for i in range(4):
        q.put(item(cls, i))
    got = q.get()  # in flight: its task stays unfinished
    q.shutdown(immediate=True)
    assert q.qsize() == 0 and q.empty()
    assert q.unfinished_tasks == 1
    with pytest.raises(vm.ShutDown):
        q.get_nowait()
    with pytest.raises(vm.ShutDown):
        q.get(timeout=1)
    assert got in [item(cls, i) for i in range(4)]
    q.task_done()
    q.join()
    assert q.unfinished_tasks == 0
    with pytest.raises(ValueError):
        q.task_done()
    assert not r.exists("q")


@pytest.mark.parametrize("cls", BOUNDED)
def test_transitions(r: Any, cls: Any) -> None:
    """Open -> shut down -> shut down immediately; never back.  Immediate after a plain
    shutdown still drains; a plain shutdown after it changes nothing."""
    q = cls(key="q")
    q.put(item(cls, 1))
    q.shutdown()
    q.shutdown()
    assert q.qsize() == 1
    q.shutdown(immediate=True)
    assert q.qsize() == 0 and q.unfinished_tasks == 0
    q.shutdown(immediate=False)
    assert q.is_shutdown
    with pytest.raises(vm.ShutDown):
        q.get_nowait()


def test_immediate_counter_never_negative(r: Any) -> None:
    """Items written by another program (no unfinished task): the counter stops at 0."""
    q = Queue(key="q")
    q.put("a")
    r.rpush("q", b'"b"', b'"c"')
    q.shutdown(immediate=True)
    assert q.unfinished_tasks == 0 and q.qsize() == 0
    q.join()


def test_negative_timeout_checks_shutdown_first(r: Any) -> None:
    """As queue.Queue: ShutDown before the timeout's ValueError (put: bounded queues only)."""
    q = Queue(2, key="q")
    with pytest.raises(ValueError):
        q.get(timeout=-1)
    with pytest.raises(ValueError):
        q.put(1, timeout=-1)
    q.put(1)
    q.shutdown()
    with pytest.raises(ValueError):  # not empty: get would still return the item
        q.get(timeout=-1)
    with pytest.raises(vm.ShutDown):
        q.put(2, timeout=-1)
    q.get()
    with pytest.raises(vm.ShutDown):
        q.get(timeout=-1)


@pytest.mark.parametrize("cls", BOUNDED)
def test_round_trips(r: Any, cls: Any) -> None:
    q = cls(key="q")
    q.put(item(cls, 1))
    q.get()
    q.is_shutdown  # noqa: B018 - scripts loaded, connection warm
    q.shutdown()
    r.round_trips.reset()
    q.shutdown()
    assert r.round_trips.count == 1
    r.round_trips.reset()
    assert q.is_shutdown
    assert r.round_trips.count == 1
    r.round_trips.reset()
    with pytest.raises(vm.ShutDown):
        q.get()  # blocking: the wait returns at once, the script says ShutDown
    assert r.round_trips.count == 1
    r.round_trips.reset()
    with pytest.raises(vm.ShutDown):
        q.put(item(cls, 2))
    assert r.round_trips.count == 1


# -- delivery: in flight, visibility, redelivery --------------------------------------------------

def test_in_flight_items_survive_a_plain_shutdown(r: Any) -> None:
    """A delivery whose visibility ends after a plain shutdown is put back and delivered: get
    raises only once the queue is really empty."""
    q = Queue(key="q", visibility_timeout=0.2)
    q.put("a")
    assert q.get() == "a"  # never acknowledged: its consumer 'died'
    q.shutdown()
    with pytest.raises(vm.ShutDown):
        q.get_nowait()  # still in flight: the queue is empty
    time.sleep(0.3)
    other = Queue(key="q")
    assert other.get(timeout=5) == "a"  # redelivered
    other.task_done()
    with pytest.raises(vm.ShutDown):
        other.get(timeout=5)
    other.join()


@pytest.mark.parametrize("cls", [Queue, PriorityQueue, SetQueue])
def test_expired_delivery_after_immediate_shutdown_is_dropped(r: Any, cls: Any) -> None:
    """After shutdown(immediate=True) a delivery whose visibility ends is not put back: it is
    dropped and counted done, as the queued items were, so join() returns."""
    q = cls(key="q", visibility_timeout=0.2)
    q.put(item(cls, 1))
    q.put(item(cls, 2))
    q.get()  # never acknowledged
    q.shutdown(immediate=True)
    assert q.unfinished_tasks == 1
    time.sleep(0.3)
    with pytest.raises(vm.ShutDown):
        cls(key="q").get_nowait()  # recovers the expired delivery: dropped
    assert q.unfinished_tasks == 0 and q.qsize() == 0
    assert r.hlen("{q}:inflight") == 0
    q.join()
    assert q.renew() == 0  # its late consumer finds it gone


def test_undecodable_item_after_immediate_shutdown_is_dropped(r: Any) -> None:
    """An item that cannot be decoded is put back by its get, unless the queue was shut down
    immediately in between: then it is dropped and counted done."""
    q = Queue(key="q")
    r.rpush("q", b"{not json")
    r.incr("{q}:unfinished")
    original = q._decode_member

    def decode_then_shutdown(member: bytes) -> Any:
        Queue(key="q").shutdown(immediate=True)
        return original(member)

    q._decode_member = decode_then_shutdown  # type: ignore[method-assign]
    with pytest.raises(vm.DecodeError):
        q.get_nowait()
    assert r.llen("q") == 0 and r.hlen("{q}:inflight") == 0
    assert q.unfinished_tasks == 0


# -- blocked callers wake up --------------------------------------------------------------------

@pytest.mark.parametrize("cls", BOUNDED)
@pytest.mark.parametrize("immediate", [False, True])
def test_blocked_getters_in_threads_wake_up(r: Any, long_waits: None, cls: Any,
                                            immediate: bool) -> None:
    q = cls(key="q")
    results: list[Any] = []
    lock = threading.Lock()

    def getter() -> None:
        start = time.monotonic()
        try:
            value: Any = cls(key="q").get(timeout=30)
        except vm.ShutDown as exc:
            value = exc
        with lock:
            results.append((value, time.monotonic() - start))

    threads = [threading.Thread(target=getter) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.3)  # all three blocked in Redis
    q.shutdown(immediate)
    for t in threads:
        t.join(20)
    assert len(results) == 3
    assert all(isinstance(v, vm.ShutDown) for v, _ in results)
    assert all(waited < 10 for _, waited in results)  # woken, not at the 60 s wait's end


@pytest.mark.parametrize("immediate", [False, True])
def test_blocked_putter_and_joiner_wake_up(r: Any, immediate: bool) -> None:
    q = Queue(1, key="q")
    q.put("full")
    outcome: dict[str, Any] = {}

    def putter() -> None:
        try:
            q.put("more", timeout=30)
            outcome["put"] = "put"
        except vm.ShutDown:
            outcome["put"] = "shutdown"

    def joiner() -> None:
        Queue(key="q").join()
        outcome["join"] = "joined"

    threads = [threading.Thread(target=putter), threading.Thread(target=joiner)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    q.shutdown(immediate)
    if not immediate:  # join waits for the item to be processed
        assert q.get() == "full"
        q.task_done()
    for t in threads:
        t.join(10)
    assert outcome == {"put": "shutdown", "join": "joined"}


def _consume(url: str, ready: Any, out: Any) -> None:
    """Get (and finish) items of the queue "mp" until it says ShutDown; report them and how long
    the last get waited."""
    vm.configure(url=url)
    queues_module.WAIT_CHUNK = 60.0  # a get not woken would wait a minute
    q = Queue(key="mp")
    got: list[Any] = []
    ready.set()
    with contextlib.suppress(vm.ShutDown):
        while True:
            start = time.monotonic()
            got.append(q.get(timeout=30))
            q.task_done()
    out.put((got, time.monotonic() - start))


def _start_consumers(url: str, n: int) -> tuple[list[Any], Any]:
    out = CTX.Queue()
    readies = [CTX.Event() for _ in range(n)]
    procs = [CTX.Process(target=_consume, args=(url, ev, out)) for ev in readies]
    for p in procs:
        p.start()
    for ev in readies:
        assert ev.wait(30)
    return procs, out


def _shut_down(url: str, immediate: bool) -> None:
    vm.configure(url=url)
    Queue(key="mp").shutdown(immediate)


@pytest.mark.slow
@pytest.mark.parametrize("immediate", [False, True])
def test_blocked_getters_in_other_processes_woken_by_another_process(
        r: Any, vermilion_server: Any, immediate: bool) -> None:
    """Three processes block in get; a fourth shuts the queue down; all three raise ShutDown
    at once, and this process sees the state too."""
    url = vermilion_server.url
    getters, out = _start_consumers(url, 3)
    time.sleep(0.5)  # in their BLMOVE
    assert r.llen("{mp}:signal") == 0
    closer = CTX.Process(target=_shut_down, args=(url, immediate))
    closer.start()
    results = [out.get(timeout=30) for _ in getters]
    for p in [*getters, closer]:
        p.join(30)
        assert p.exitcode == 0
    assert [got for got, _ in results] == [[], [], []]
    assert all(waited < 10 for _, waited in results)  # woken, not at the wait's end
    assert Queue(key="mp").is_shutdown
    with pytest.raises(vm.ShutDown):
        Queue(key="mp").put(1)


@pytest.mark.slow
def test_getters_in_other_processes_drain_then_stop(r: Any, vermilion_server: Any) -> None:
    """Plain shutdown with work left: the other processes' getters take every item, each
    exactly once, then all raise ShutDown."""
    q = Queue(key="mp")
    for i in range(30):
        q.put(i)
    q.shutdown()
    procs, out = _start_consumers(vermilion_server.url, 2)
    taken = [x for _ in procs for x in out.get(timeout=60)[0]]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert sorted(taken) == list(range(30))
    q.join()


# -- asyncio ------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [aio.Queue, aio.LifoQueue, aio.PriorityQueue])
async def test_async_face(ar: Any, long_waits: None, cls: Any) -> None:
    q = cls(key="aq")
    one = (1, "a") if cls is aio.PriorityQueue else "a"
    assert await q.is_shutdown is False
    waiter = asyncio.create_task(cls(key="aq").get())  # blocks in Redis
    await asyncio.sleep(0.2)
    await q.put(one)
    assert await asyncio.wait_for(waiter, 10) == one
    await q.task_done()
    blocked = [asyncio.create_task(cls(key="aq").get(timeout=30)) for _ in range(2)]
    await asyncio.sleep(0.3)
    start = time.monotonic()
    await q.shutdown()
    for task in blocked:
        with pytest.raises(vm.ShutDown):
            await asyncio.wait_for(task, 10)
    assert time.monotonic() - start < 10
    assert await q.is_shutdown is True
    with pytest.raises(vm.ShutDown):
        await q.put(one)
    with pytest.raises(aio.ShutDown):
        await q.get_nowait()


async def test_async_immediate_and_join(ar: Any) -> None:
    q = aio.Queue(key="aq")
    for i in range(3):
        await q.put(i)
    assert await q.get() == 0
    joiner = asyncio.create_task(q.join())
    await q.shutdown(immediate=True)
    assert await q.qsize() == 0 and await q.unfinished() == 1
    with pytest.raises(vm.ShutDown):
        await q.get()
    assert not joiner.done()
    await q.task_done()
    await asyncio.wait_for(joiner, 10)


# -- state in Redis: transactions, delete, initial, wrong type, cluster -------------------------

def test_put_in_transaction_on_a_shut_down_queue_writes_nothing(r: Any) -> None:
    q, other = Queue(3, key="tq"), vm.List(key="tl")
    q.put("a")
    q.shutdown()
    with pytest.raises(vm.ShutDown), vm.transaction():
        other.append(1)
        q.put("b")
        q.put_nowait("c")
    assert r.lrange("tq", 0, -1) == [b'"a"']
    assert q.unfinished_tasks == 1
    assert other == [1]  # the block's other writes apply, as with any error in a transaction


def test_shutdown_inside_transaction(r: Any) -> None:
    q = Queue(key="tq")
    q.put("a")
    with vm.transaction():
        q.put("b")
        q.shutdown(immediate=True)
    assert q.is_shutdown and q.qsize() == 0 and q.unfinished_tasks == 0
    q2 = Queue(key="tq2")
    with pytest.raises(vm.ShutDown), vm.transaction():  # the put runs after the shutdown
        q2.shutdown()
        q2.put_nowait("x")
    assert q2.is_shutdown and q2.qsize() == 0 and q2.unfinished_tasks == 0


def test_delete_clears_the_state_and_initial_is_not_written(r: Any) -> None:
    q = Queue(key="dq")
    q.shutdown()
    assert "{dq}:signal" in q.keys_owned
    again = Queue(key="dq", initial=[1, 2])  # a shut-down queue exists: initial not written
    assert again.qsize() == 0 and again.unfinished_tasks == 0
    assert q.delete() is True
    fresh = Queue(key="dq", initial=[3])
    assert not fresh.is_shutdown
    assert fresh.get() == 3
    fresh.task_done()


def test_wrong_type(r: Any) -> None:
    r.hset("h", "a", "1")
    with pytest.raises(vm.WrongTypeError):
        Queue(key="h").shutdown()
    with pytest.raises(vm.WrongTypeError):
        PriorityQueue(key="h").shutdown(immediate=True)


@pytest.mark.cluster
def test_cluster(rc: Any) -> None:
    for cls in BOUNDED:
        q = cls(key=f"c:{cls.__name__}")
        q.put(item(cls, 1))
        q.put(item(cls, 2))
        q.shutdown()
        assert q.get() in (item(cls, 1), item(cls, 2))
        q.shutdown(immediate=True)
        assert q.is_shutdown and q.qsize() == 0 and q.unfinished_tasks == 1
        with pytest.raises(vm.ShutDown):
            q.get(timeout=5)
        with pytest.raises(vm.ShutDown):
            q.put(item(cls, 3))
        q.task_done()
        q.join()
        q.delete()
        assert rc.exists(*q.keys_owned) == 0


# -- differential: the non-blocking operations against queue.Queue ------------------------------

def _reference(cls: type) -> Any:
    """``queue.Queue`` of Python 3.13+, or a model of its shutdown logic (non-blocking calls)."""
    if sys.version_info >= (3, 13):
        return cls
    base: Any = cls

    class Model(base):  # type: ignore[misc, valid-type]
        is_shutdown = False

        def put(self, x: Any, block: bool = True, timeout: float | None = None) -> None:
            if self.is_shutdown:
                raise vm.ShutDown
            super().put(x, block, timeout)

        def get(self, block: bool = True, timeout: float | None = None) -> Any:
            if self.is_shutdown and not self._qsize():
                raise vm.ShutDown
            return super().get(block, timeout)

        def shutdown(self, immediate: bool = False) -> None:
            self.is_shutdown = True
            if immediate:
                while self._qsize():
                    self._get()
                    if self.unfinished_tasks > 0:
                        self.unfinished_tasks -= 1

    return Model


class ShutdownMachine(QueueMachine):
    """test_queues' differential machine, plus ``shutdown``, against 3.13's queues."""

    pairs = [(_reference(queue.Queue), Queue), (_reference(queue.LifoQueue), LifoQueue),
             (_reference(queue.PriorityQueue), PriorityQueue)]

    @initialize(kind=st.integers(0, 2), maxsize=st.integers(-1, 4))
    def setup(self, kind: int, maxsize: int) -> None:
        super().setup(kind, maxsize)
        self.priority = issubclass(self.pairs[kind][0], queue.PriorityQueue)

    @rule(immediate=st.booleans())
    def shutdown(self, immediate: bool) -> None:
        same(lambda: self.model.shutdown(immediate), lambda: self.real.shutdown(immediate))

    @precondition(lambda self: hasattr(self, "real"))
    @invariant()
    def same_shutdown_state(self) -> None:
        assert self.real.is_shutdown == self.model.is_shutdown


def test_shutdown_differential(r: Any) -> None:
    run_machine(ShutdownMachine, examples=40, steps=25)
