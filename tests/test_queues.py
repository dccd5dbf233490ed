"""Queues: queue-module semantics, round trips, blocking, asyncio, cluster, differential tests."""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from typing import Any

import pytest
from differential import run_machine, same
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import vermilion as vm
from vermilion.types.queues import (
    AsyncLifoQueue,
    AsyncPriorityQueue,
    AsyncQueue,
    AsyncSetQueue,
    AsyncSimpleQueue,
    LifoQueue,
    LifoSetQueue,
    PriorityQueue,
    Queue,
    SetQueue,
    SimpleQueue,
)

BOUNDED = [Queue, LifoQueue, PriorityQueue, SetQueue, LifoSetQueue]
ALL = [*BOUNDED, SimpleQueue]


def later(delay: float, fn: Any, *args: Any) -> threading.Thread:
    """Run ``fn(*args)`` in a thread after ``delay`` seconds."""

    def run() -> None:
        time.sleep(delay)
        fn(*args)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


# -- order -------------------------------------------------------------------------------------

def test_fifo_order_and_redis_layout(r: Any) -> None:
    q = Queue(key="jobs")
    for v in [1, "a", (2, 3), None, b"x"]:
        q.put(v)
    assert r.lrange("jobs", 0, -1) == [b"1", b'"a"', b'{"$t":"tuple","v":[2,3]}', b"null",
                                       b'{"$t":"bytes","v":"eA=="}']
    assert [q.get() for _ in range(5)] == [1, "a", (2, 3), None, b"x"]
    assert q.empty()


def test_lifo_order(r: Any) -> None:
    q = LifoQueue()
    for v in range(5):
        q.put(v)
    assert [q.get_nowait() for _ in range(3)] == [4, 3, 2]
    q.put(9)
    assert [q.get(timeout=1) for _ in range(3)] == [9, 1, 0]


def test_priority_python_order(r: Any) -> None:
    """Any mutually comparable items, in Python's order: numbers of any size and type, strings,
    bytes, tuples and lists of them; equal priorities compare the data; duplicates are kept."""
    q = PriorityQueue(key="pq")
    items = [(3, "c"), (1, "b"), (1, "a"), (-2.5, "z"), (1, "b"), (0,), (float("inf"), "i"),
             (float("-inf"), "m"), (2**53 + 1, "big"), (2**53, "big"), (2.0**53, "bif"),
             (10**40, ""), (-(10**40), ""), (1, "a", 0), (True, "a"), (1.0, "a"), (0.5, "h"),
             (-0.0, "zero"), (1e-300, "tiny")]
    for it in items:
        q.put(it)
    assert q.qsize() == len(items)
    assert r.type("pq") == b"zset"
    out = [q.get_nowait() for _ in range(len(items))]
    assert out == sorted(items)
    # equal items keep their insertion order (FIFO) and their own types
    ones = [x for x in out if x[0] == 1 and x[1:] == ("a",)]
    assert [type(x[0]) for x in ones] == [int, bool, float]
    for seq in (["b", "", "a", "ab", "\x00", "a\x00", "é", "\uffff"], [b"b", b"", b"\x00", b"a"],
                [[2, "x"], [1], [1, "y"], []], [3.5, -1, 2**70, True, -(2**70), 0.1]):
        for v in seq:
            q.put(v)
        assert [q.get_nowait() for _ in seq] == sorted(seq)  # type: ignore[type-var]


def test_priority_unorderable_refused_at_put(r: Any) -> None:
    """An item Python could not compare with a queued one raises TypeError at put (what heapq
    raises), nothing written: a consumer never waits for an item that was refused."""
    q = PriorityQueue(key="pu")
    q.put(1)
    for bad in ["a", (1, 2), None, [1], b"x", {"a": 1}]:
        with pytest.raises(TypeError, match="not supported between instances"):
            q.put(bad)
    assert q.qsize() == 1 and q.unfinished_tasks == 1
    q.get()
    q.task_done()
    q.put((1, {"x": 1}))
    q.put((2, {"y": 2}))  # different priorities: the data is never compared, as in Python
    q.put((1, {"x": 1}, 5))  # equal prefix, then a longer tuple: comparable
    with pytest.raises(TypeError):
        q.put((1, {"z": 3}))  # equal priorities, dicts compared: TypeError as in Python
    with pytest.raises(TypeError):
        q.put((1, "s"))  # a str against a dict
    with pytest.raises(TypeError):
        q.put((1, None))  # None against a dict
    assert q.qsize() == 3
    nones = PriorityQueue(key="pnone")
    nones.put((1, None))
    nones.put((1, None))  # equal tuples compare equal: fine in Python too
    assert nones.qsize() == 2
    with pytest.raises(ValueError):
        q.put((float("nan"), 1))
    empty = PriorityQueue(key="pn")
    empty.put(None)  # a single unorderable item is accepted (nothing to compare it with)
    with pytest.raises(TypeError):
        empty.put(None)  # None < None raises in Python
    # a batch (initial) is all or nothing
    with pytest.raises(TypeError):
        PriorityQueue(key="pb", initial=[1, 2, "x", 3])
    assert r.exists("pb") == 0
    # a blocked consumer is not left waiting by a refused put
    consumer = PriorityQueue(key="pw")
    consumer.put(5)
    consumer.get()
    with pytest.raises(queue.Empty):
        consumer.get(timeout=0.05)


def test_priority_queue_put_string_like_cpython(r: Any) -> None:
    """The case of CPython's test_queue: a get blocked on an empty queue receives 'empty'."""
    q = PriorityQueue(5, key="ps")
    got: list[Any] = []
    t = threading.Thread(target=lambda: got.append(q.get(timeout=10)))
    t.start()
    time.sleep(0.1)
    q.put("empty")
    t.join(10)
    assert got == ["empty"]


# -- Empty / Full / timeouts -------------------------------------------------------------------

@pytest.mark.parametrize("cls", ALL)
def test_empty(r: Any, cls: Any) -> None:
    q = cls()
    with pytest.raises(queue.Empty):
        q.get_nowait()
    with pytest.raises(queue.Empty):
        q.get(block=False)
    with pytest.raises(queue.Empty):
        q.get(timeout=0)
    with pytest.raises(queue.Empty):
        q.get(timeout=0.05)
    with pytest.raises(queue.Empty):
        q.get(block=False, timeout=-1)  # timeout ignored when not blocking, as in queue
    with pytest.raises(ValueError, match="'timeout' must be a non-negative number"):
        q.get(timeout=-1)
    with pytest.raises(TypeError):
        q.get(timeout="1")
    assert q.empty() and q.qsize() == 0
    q.put((1, "x"))
    assert not q.empty()
    assert q.get(timeout=0) == (1, "x")


@pytest.mark.parametrize("cls", BOUNDED)
def test_full(r: Any, cls: Any) -> None:
    q = cls(2)
    assert q.maxsize == 2
    assert not q.full()
    q.put((1, "a"))
    q.put_nowait((2, "b"))
    assert q.full() and q.qsize() == 2
    with pytest.raises(queue.Full):
        q.put_nowait((3, "c"))
    with pytest.raises(queue.Full):
        q.put((3, "c"), block=False)
    with pytest.raises(queue.Full):
        q.put((3, "c"), timeout=0)
    with pytest.raises(queue.Full):
        q.put((3, "c"), timeout=0.05)
    with pytest.raises(ValueError, match="'timeout' must be a non-negative number"):
        q.put((3, "c"), timeout=-1)
    assert q.qsize() == 2 and q.unfinished_tasks == 2
    q.get()
    assert not q.full()
    q.put((3, "c"), timeout=0.05)
    assert q.full()


def test_unbounded_queue_semantics(r: Any) -> None:
    q = Queue()
    q.put(1, timeout=-1)  # like queue.Queue: the timeout is not checked when unbounded
    assert not q.full()
    with pytest.raises(ValueError):
        Queue(1).put(1, timeout=-1)  # checked when bounded, even if not full
    neg = Queue(-1)
    for i in range(3):
        neg.put(i)
    assert not neg.full()


def test_simple_queue(r: Any) -> None:
    q = SimpleQueue(key="s")
    q.put(1, block=False, timeout=-5)  # ignored, as in queue.SimpleQueue
    q.put_nowait(2)
    assert q.qsize() == 2
    assert [q.get(), q.get_nowait()] == [1, 2]
    assert not hasattr(q, "task_done") and not hasattr(q, "maxsize") and not hasattr(q, "join")
    assert not r.exists("{s}:unfinished")  # no counter keys
    # the last item received is kept (for a resend after a lost reply) until the next get
    assert r.hlen("{s}:inflight") == 1
    with pytest.raises(queue.Empty):
        q.get_nowait()
    assert r.keys("*") == []
    with pytest.raises(TypeError):
        SimpleQueue(5)  # type: ignore[misc, arg-type]


# -- task_done / join --------------------------------------------------------------------------

@pytest.mark.parametrize("cls", BOUNDED)
def test_task_done(r: Any, cls: Any) -> None:
    q = cls()
    with pytest.raises(ValueError, match=r"task_done\(\) called too many times"):
        q.task_done()
    q.put((1, "a"))
    q.put((2, "b"))
    assert q.unfinished_tasks == 2
    q.get()
    q.task_done()
    assert q.unfinished_tasks == 1
    q.get()
    q.task_done()
    q.join()  # returns at once
    with pytest.raises(ValueError):
        q.task_done()
    assert q.unfinished_tasks == 0


def test_join_waits_for_task_done_in_thread(r: Any) -> None:
    q = Queue(key="work")
    done: list[Any] = []

    def worker() -> None:
        other = Queue(key="work")  # another object (as another process would)
        for _ in range(3):
            done.append(other.get(timeout=5))
            time.sleep(0.01)
            other.task_done()

    for i in range(3):
        q.put(i)
    t = threading.Thread(target=worker, daemon=True)
    t.start()
    q.join()
    assert done == [0, 1, 2]
    assert q.unfinished_tasks == 0
    t.join(5)


# -- blocking ----------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", ALL)
def test_blocking_get_woken_by_put_from_thread(r: Any, cls: Any) -> None:
    q = cls(key="b")
    t = later(0.1, cls(key="b").put, (5, "woke"))
    assert q.get(timeout=10) == (5, "woke")
    t.join(5)
    t = later(0.1, cls(key="b").put, (6, "again"))
    assert q.get() == (6, "again")  # timeout=None
    t.join(5)


def test_blocking_get_waits_in_redis(r: Any) -> None:
    q = Queue()
    r.script_flush()
    q.qsize()  # warm the connection
    r.round_trips.reset()
    with pytest.raises(queue.Empty):
        q.get(timeout=0.01)
    assert r.round_trips.count == 2  # the first get on a server also loads its script (EVAL)
    r.round_trips.reset()
    with pytest.raises(queue.Empty):
        q.get(timeout=0.3)
    assert r.round_trips.count == 1  # one pipelined BLMOVE wait + get script, no polling


@pytest.mark.parametrize("cls", ALL)
def test_blocking_get_after_script_flush(r: Any, cls: Any) -> None:
    """The blocking get pipelines EVALSHA after its wait; a flushed script cache costs a resend,
    never an item."""
    q = cls(key="fl")
    q.put((1, "a"))
    q.put((2, "b"))
    r.script_flush()
    got = [q.get(timeout=5)]
    r.script_flush()
    t = later(0.1, cls(key="fl", client=r).put, (0, "c"))
    got += [q.get(timeout=5), q.get(timeout=5)]
    t.join(5)
    assert sorted(got) == [(0, "c"), (1, "a"), (2, "b")]
    assert q.qsize() == 0


def test_blocking_put_woken_by_get_from_thread(r: Any) -> None:
    q = Queue(1, key="bp")
    q.put("first")
    t = later(0.1, Queue(key="bp").get)
    q.put("second", timeout=10)
    t.join(5)
    assert q.get_nowait() == "second"


def test_each_item_delivered_once_across_threads(r: Any) -> None:
    q = Queue(key="many")
    n = 300
    for i in range(n):
        q.put(i)
    got: list[int] = []
    lock = threading.Lock()

    def consume() -> None:
        c = Queue(key="many")
        while True:
            try:
                v = c.get(timeout=0.2)
            except queue.Empty:
                return
            with lock:
                got.append(v)

    threads = [threading.Thread(target=consume) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(got) == list(range(n))


def test_set_queue_concurrent_consumers(r: Any) -> None:
    q = SetQueue(key="sq")
    got: list[Any] = []
    lock = threading.Lock()

    def consume() -> None:
        c = SetQueue(key="sq")
        while True:
            try:
                v = c.get(timeout=0.5)
            except queue.Empty:
                return
            with lock:
                got.append(v)

    threads = [threading.Thread(target=consume) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(60):
        q.put(i % 30)
    for t in threads:
        t.join(20)
    assert sorted(set(got)) == list(range(30))
    assert len(got) >= 30
    assert r.scard("{sq}:set") == 0 and r.llen("sq") == 0


# -- SetQueue ----------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [SetQueue, LifoSetQueue])
def test_set_queue_uniqueness(r: Any, cls: Any) -> None:
    q = cls(key="u")
    for v in ["a", "b", "a", "c", "b", (1,), (1,)]:
        q.put(v)
    assert q.qsize() == 4
    assert q.unfinished_tasks == 4  # duplicates add no task
    assert r.smembers("{u}:set") == {b'"a"', b'"b"', b'"c"', b'{"$t":"tuple","v":[1]}'}
    first = q.get()
    assert first == ("a" if cls is SetQueue else (1,))
    q.put(first)  # once fetched, it can be queued again
    assert q.qsize() == 4
    rest = [q.get_nowait() for _ in range(4)]
    assert rest == (["b", "c", (1,), "a"] if cls is SetQueue else [(1,), "c", "b", "a"])
    assert q.empty() and r.exists("{u}:set") == 0


def test_set_queue_full_and_duplicate(r: Any) -> None:
    q = SetQueue(1)
    q.put("a")
    q.put_nowait("a")  # already queued: a no-op even when full
    with pytest.raises(queue.Full):
        q.put_nowait("b")
    assert q.qsize() == 1


# -- round trips -------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", ALL)
def test_round_trips(r: Any, cls: Any) -> None:
    q = cls(**({} if cls is SimpleQueue else {"maxsize": 10}))
    q.put((1, "warm"))
    q.get_nowait()
    q.put((1, "x"))
    q.put((2, "y"))
    r.round_trips.reset()
    q.put((3, "z"))
    assert r.round_trips.count == 1
    r.round_trips.reset()
    q.put_nowait((4, "w"))
    assert r.round_trips.count == 1
    r.round_trips.reset()
    q.get_nowait()
    assert r.round_trips.count == 1
    r.round_trips.reset()
    q.get()
    assert r.round_trips.count == 1
    r.round_trips.reset()
    assert q.get(timeout=1) is not None
    assert r.round_trips.count == 1
    r.round_trips.reset()
    q.qsize()
    q.empty()
    assert r.round_trips.count == 2
    if cls is not SimpleQueue:
        q.task_done()
        r.round_trips.reset()
        q.task_done()
        q.full()
        assert r.round_trips.count == 2


def test_initial_only_if_new(r: Any) -> None:
    q = Queue(key="init", initial=[1, 2, 3])
    assert q.qsize() == 3 and q.unfinished_tasks == 3
    again = Queue(key="init", initial=[9])
    assert again.qsize() == 3
    p = PriorityQueue(key="pinit", initial=[(2, "b"), (1, "a")])
    assert p.get() == (1, "a")
    big = Queue(initial=range(5000))
    assert big.qsize() == 5000


def test_delete_and_expire_cover_aux_keys(r: Any) -> None:
    q = PriorityQueue(key="d")
    q.put((1, "a"))
    assert set(q.keys_owned) == {"d", "{d}:unfinished", "{d}:seq", "{d}:inflight", "{d}:visible",
                                 "{d}:signal", "{d}:maxsize"}
    assert q.expire(100)
    assert r.ttl("{d}:seq") > 0 and r.ttl("{d}:unfinished") > 0
    assert q.delete()
    assert r.keys("*") == []
    s = SetQueue(key="e")
    s.put(1)
    s.delete()
    assert r.keys("*") == []


@pytest.mark.parametrize("cls", ALL)
def test_wrong_type(r: Any, cls: Any) -> None:
    r.hset("h", "a", "1")
    q = cls(key="h")
    for fn in (lambda: q.put((1, 2)), q.get_nowait, lambda: q.get(timeout=0.05), q.qsize):
        with pytest.raises(vm.WrongTypeError) as info:
            fn()
        assert "'h'" in str(info.value)
        assert info.value.key == "h"
    with pytest.raises(vm.WrongTypeError):
        cls(key="h", initial=[(1, 2)])


def test_transactions(r: Any) -> None:
    q = Queue(key="tx")
    q.put("a")
    with vm.transaction():
        got = q.get_nowait()
        q.put_nowait("b")
        assert q.qsize() == 1  # reads see the state before the block
    assert got.value == "a"
    assert q.get_nowait() == "b"
    with pytest.raises(vm.TransactionError):
        with vm.transaction():
            q.get()
    with pytest.raises(vm.TransactionError):
        with vm.transaction():
            q.join()
    with pytest.raises(queue.Empty):
        with vm.transaction():
            q.get_nowait()


# -- asyncio -----------------------------------------------------------------------------------

async def test_async_queue(ar: Any) -> None:
    q = AsyncQueue(2, key="aq")
    await q.put(1)
    await q.put_nowait(2)
    assert await q.full() and await q.qsize() == 2
    with pytest.raises(queue.Full):
        await q.put(3, timeout=0.05)
    assert [await q.get(), await q.get_nowait()] == [1, 2]
    with pytest.raises(queue.Empty):
        await q.get(timeout=0.05)
    with pytest.raises(ValueError):
        await q.get(timeout=-1)
    await q.task_done()
    await q.task_done()
    with pytest.raises(ValueError):
        await q.task_done()
    ar.round_trips.reset()
    await q.put(5)
    assert ar.round_trips.count == 1


async def test_async_blocking_get_woken_by_task(ar: Any) -> None:
    q = AsyncPriorityQueue(key="ap")

    async def producer() -> None:
        await asyncio.sleep(0.05)
        await AsyncPriorityQueue(key="ap").put((2, "b"))

    task = asyncio.create_task(producer())
    assert await q.get(timeout=10) == (2, "b")
    await task


async def test_async_join_and_types(ar: Any) -> None:
    q = AsyncLifoQueue(key="al", initial=[1, 2])
    assert await q.get() == 2

    async def worker() -> None:
        await asyncio.sleep(0.02)
        await q.task_done()
        await q.get()
        await q.task_done()

    task = asyncio.create_task(worker())
    await asyncio.wait_for(q.join(), 10)
    await task
    s = AsyncSetQueue()
    for v in "abca":
        await s.put(v)
    assert await s.qsize() == 3
    assert await s.get(timeout=1) == "a"
    sq = AsyncSimpleQueue()
    await sq.put("x")
    assert await sq.get() == "x"
    assert not hasattr(sq, "task_done")


async def test_async_get_is_cancellable(ar: Any) -> None:
    q = AsyncQueue(key="cancel")
    task = asyncio.create_task(q.get())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await q.put("kept")  # the cancelled get did not take it
    assert await q.get_nowait() == "kept"


# -- cluster -----------------------------------------------------------------------------------

@pytest.mark.cluster
def test_cluster_queues(rc: Any) -> None:
    for cls in BOUNDED:
        q = cls(2, key=f"c:{cls.__name__}")
        q.put((1, "a"))
        q.put((0, "b"))
        with pytest.raises(queue.Full):
            q.put_nowait((3, "c"))
        got = [q.get(timeout=1), q.get_nowait()]
        assert sorted(got) == [(0, "b"), (1, "a")]
        q.task_done()
        q.task_done()
        q.join()
        with pytest.raises(queue.Empty):
            q.get(timeout=0.05)
        q.delete()
        assert rc.exists(*q.keys_owned) == 0
    s = SetQueue(key="c:set")
    t = later(0.05, SetQueue(key="c:set").put, "woke")
    assert s.get(timeout=10) == "woke"
    t.join(5)


@pytest.mark.cluster
async def test_async_cluster_queue(arc: Any) -> None:
    q = AsyncSetQueue(key="ac")
    await q.put("a")
    await q.put("a")
    assert await q.qsize() == 1
    assert await q.get(timeout=1) == "a"
    await q.task_done()
    await q.join()


# -- differential ------------------------------------------------------------------------------

values = st.one_of(st.integers(-5, 5), st.text(max_size=3), st.tuples(st.integers(0, 3)))




class QueueMachine(RuleBasedStateMachine):
    pairs = [(queue.Queue, Queue), (queue.LifoQueue, LifoQueue),
             (queue.PriorityQueue, PriorityQueue)]

    @initialize(kind=st.integers(0, 2), maxsize=st.integers(-1, 4))
    def setup(self, kind: int, maxsize: int) -> None:
        model_cls, real_cls = self.pairs[kind]
        self.priority = model_cls is queue.PriorityQueue
        self.model: Any = model_cls(maxsize)
        self.real: Any = real_cls(maxsize)
        self.seq = 0

    def _item(self, v: Any, p: int) -> Any:
        if not self.priority:
            return v
        self.seq += 1
        return (p, self.seq, v)  # Python breaks ties by the sequence: FIFO, like vermilion

    @rule(v=values, p=st.integers(-2, 2))
    def put_nowait(self, v: Any, p: int) -> None:
        item = self._item(v, p)
        same(lambda: self.model.put_nowait(item), lambda: self.real.put_nowait(item))

    @rule(v=values, p=st.integers(-2, 2))
    def put_nonblocking(self, v: Any, p: int) -> None:
        item = self._item(v, p)
        same(lambda: self.model.put(item, False), lambda: self.real.put(item, False))

    @rule()
    def get_nowait(self) -> None:
        same(self.model.get_nowait, self.real.get_nowait)

    @rule()
    def get_nonblocking(self) -> None:
        same(lambda: self.model.get(block=False), lambda: self.real.get(block=False))

    @rule()
    def task_done(self) -> None:
        same(self.model.task_done, self.real.task_done)

    @precondition(lambda self: hasattr(self, "real"))
    @invariant()
    def same_state(self) -> None:
        assert self.real.qsize() == self.model.qsize()
        assert self.real.empty() == self.model.empty()
        assert self.real.full() == self.model.full()
        assert self.real.unfinished_tasks == self.model.unfinished_tasks


def test_queue_differential(r: Any) -> None:
    run_machine(QueueMachine, examples=40, steps=30)


class SetQueueModel:
    """What a SetQueue does, in memory."""

    def __init__(self, maxsize: int, lifo: bool):
        self.items: list[Any] = []
        self.maxsize, self.lifo, self.unfinished = maxsize, lifo, 0

    def put_nowait(self, v: Any) -> None:
        if v in self.items:
            return
        if 0 < self.maxsize <= len(self.items):
            raise queue.Full
        self.items.append(v)
        self.unfinished += 1

    def get_nowait(self) -> Any:
        if not self.items:
            raise queue.Empty
        return self.items.pop() if self.lifo else self.items.pop(0)


class SetQueueMachine(RuleBasedStateMachine):
    @initialize(lifo=st.booleans(), maxsize=st.integers(0, 3))
    def setup(self, lifo: bool, maxsize: int) -> None:
        self.model = SetQueueModel(maxsize, lifo)
        self.real: Any = (LifoSetQueue if lifo else SetQueue)(maxsize)

    @rule(v=st.integers(0, 4))
    def put(self, v: int) -> None:
        same(lambda: self.model.put_nowait(v), lambda: self.real.put_nowait(v))

    @rule()
    def get(self) -> None:
        same(self.model.get_nowait, self.real.get_nowait)

    @precondition(lambda self: hasattr(self, "real"))
    @invariant()
    def same_state(self) -> None:
        assert self.real.qsize() == len(self.model.items)
        assert self.real.unfinished_tasks == self.model.unfinished


def test_set_queue_differential(r: Any) -> None:
    run_machine(SetQueueMachine, examples=30, steps=30)


# -- transactions, maxsize in Redis, several processes ------------------------------------------

def test_put_inside_transaction_seed_example(r: Any) -> None:
    """The seed's example: ``with transaction(): my_list.append(i); my_queue.put(i)``."""
    my_list, my_queue = vm.List(key="txl"), Queue(key="txq")
    for i in range(3):
        with vm.transaction():
            my_list.append(i)
            my_queue.put(i)
    assert my_list.copy() == [0, 1, 2]
    assert [my_queue.get_nowait() for _ in range(3)] == [0, 1, 2]
    assert my_queue.unfinished_tasks == 3
    pq = PriorityQueue(key="txp")
    with vm.transaction():
        pq.put((2, "b"))
        pq.put((1, "a"))
    assert [pq.get_nowait(), pq.get_nowait()] == [(1, "a"), (2, "b")]


def test_bounded_put_inside_transaction_checks_room_at_commit(r: Any) -> None:
    q = Queue(2, key="txb")
    with vm.transaction():
        q.put(1)
        q.put(2)  # both fit: the room is checked in the commit, item by item
    assert q.qsize() == 2
    log = vm.List(key="txlog")
    with pytest.raises(queue.Full), vm.transaction():
        log.append("x")
        pending = q.put(3)
    assert q.qsize() == 2  # refused atomically
    with pytest.raises(queue.Full):
        _ = pending.value
    assert log.copy() == ["x"]  # the block's other writes are applied (no rollback in Redis)
    r.round_trips.reset()
    with vm.transaction():
        q.get_nowait()
        q.put(4)
    assert r.round_trips.count == 1 and q.qsize() == 2


def test_maxsize_is_stored_with_the_queue(r: Any) -> None:
    first = Queue(2, key="ms")
    first.put(1)
    other = Queue(key="ms")  # maxsize 0 here: the stored 2 applies
    assert other.maxsize == 2
    other.put(2)
    with pytest.raises(queue.Full):
        other.put_nowait(3)
    assert other.full() and first.full()
    late = Queue(10, key="ms")  # the first maxsize stored wins
    assert late.maxsize == 2
    late.maxsize = 3  # setting it stores it for everyone
    assert first.maxsize == 3 and not first.full()
    first.put(3)
    first.maxsize = 0
    other.put(4)
    assert first.qsize() == 4 and not other.full()
    r.round_trips.reset()
    assert not other.full()
    assert r.round_trips.count == 1
    assert "{ms}:maxsize" in first.keys_owned
    first.delete()
    assert not r.exists("{ms}:maxsize")


async def test_async_put_in_transaction_and_maxsize(ar: Any) -> None:
    q = AsyncQueue(1, key="amx")
    async with vm.aio.transaction():
        await q.put("a")
    assert await q.get_maxsize() == 1
    with pytest.raises(queue.Full):
        await AsyncQueue(key="amx").put("b", timeout=0.05)
    await q.set_maxsize(0)
    await AsyncQueue(key="amx").put("b")
    assert await q.qsize() == 2
    pq = AsyncPriorityQueue(key="apx")
    await pq.put("b")
    with pytest.raises(TypeError):
        await pq.put(1)
    assert await pq.get() == "b"


def _bounded_producer(url: str, n: int, out: Any) -> None:
    vm.configure(url)
    q = Queue(n * 7, key="mp")  # every process proposes another maxsize: the stored one rules
    refused = 0
    for i in range(50):
        try:
            q.put_nowait((n, i))
        except queue.Full:
            refused += 1
    p = PriorityQueue(key="mpp")
    for i in range(50):
        p.put((i % 5, f"{n}-{i:02d}", str(i)))
    out.put(refused)


def test_processes_share_maxsize_and_priority_order(r: Any, vermilion_server: Any) -> None:
    """4 processes: the queue's stored maxsize bounds all of them; a priority queue fed by all
    comes out in Python's order."""
    from test_concurrency import _run

    Queue(5, key="mp").put(("seed", 0))  # stores maxsize 5 first
    refused = _run(_bounded_producer, vermilion_server.url)
    assert Queue(key="mp").qsize() == 5 and sum(refused) == 4 * 50 - 4
    pq = PriorityQueue(key="mpp")
    got = [pq.get_nowait() for _ in range(200)]
    assert got == sorted(got) and len(set(got)) == 200


_NUMBERS = st.one_of(st.integers(), st.integers(-(2**80), 2**80), st.booleans(),
                     st.floats(allow_nan=False))
_ORDERABLE = st.one_of(
    st.lists(_NUMBERS, max_size=12),
    st.lists(st.text(max_size=4), max_size=12),
    st.lists(st.binary(max_size=4), max_size=12),
    st.lists(st.tuples(_NUMBERS, st.text(max_size=3)), max_size=12),
    st.lists(st.lists(st.integers(-3, 3), max_size=3), max_size=12),
)


@settings(max_examples=60, deadline=None)
@given(_ORDERABLE)
def test_priority_encoding_follows_python_order(items: list[Any]) -> None:
    """The order-preserving encoding sorts like Python and tells equal values apart from
    different ones exactly as ``==`` does (no Redis: the encoding alone)."""
    from vermilion.core import ordered as _ordered

    keys = [_ordered.encode(x, repr_bytes)[0] for x in items]
    for a, ka in zip(items, keys):
        for b, kb in zip(items, keys):
            assert (ka < kb) == (a < b) and (ka == kb) == (a == b)


def repr_bytes(value: Any) -> bytes:
    return repr(value).encode()


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_ORDERABLE)
def test_priority_queue_gets_in_sorted_order(r: Any, items: list[Any]) -> None:
    r.flushdb()
    q = PriorityQueue(key="hp")
    for x in items:
        q.put(x)
    got = [q.get_nowait() for _ in items]
    assert got == sorted(items)
    assert [type(x) for x in got] == [type(x) for x in sorted(items)]  # stable, types kept
