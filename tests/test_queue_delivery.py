"""Queue delivery under faults: dropped replies, dead and paused consumers, undecodable items.

A :class:`ReplyCutter` is a TCP proxy in front of a private redis-server.  Armed, it forwards a
matching command to the server, waits for the server's reply and then cuts the connection
without forwarding it: the command ran, the client never learns its result.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import queue
import random
import signal
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

import vermilion as vm
from vermilion.server import EmbeddedServer
from vermilion.types.queues import (
    _ACK,
    _GET,
    RESEND_PAUSES,
    AsyncQueue,
    LifoQueue,
    PriorityQueue,
    Queue,
    SetQueue,
    SimpleQueue,
)

pytestmark = pytest.mark.slow

# what a queue get looks like on the wire: EVALSHA of the get script, or EVAL of its source (in
# the blocking pipeline)
GET_MARKERS = (_GET.sha.encode(), _GET.source.splitlines()[0].encode())
CTX = mp.get_context("fork")


class _Pair:
    def __init__(self, client: socket.socket, server: socket.socket):
        self.client, self.server = client, server
        self.lock = threading.Lock()
        self.window = b""  # bytes the client sent since the last reply
        self.decided = False  # this request was already looked at
        self.cut = False


class ReplyCutter:
    """A TCP proxy that can drop the reply of chosen commands after the server executed them."""

    def __init__(self, upstream_port: int):
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self._lock = threading.Lock()
        self.armed = 0
        self.markers: tuple[bytes, ...] = GET_MARKERS
        self.rate = 0.0  # drop this fraction of matching replies (with `armed` at 0)
        self.rng = random.Random(7)
        self.dropped = 0  # replies dropped
        self.dropped_items = 0  # ... that carried a delivered item (the script's {id, item})
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def arm(self, n: int = 1, markers: tuple[bytes, ...] = GET_MARKERS) -> None:
        with self._lock:
            self.armed, self.markers = n, markers

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            pair = _Pair(client, server)
            threading.Thread(target=self._up, args=(pair,), daemon=True).start()
            threading.Thread(target=self._down, args=(pair,), daemon=True).start()

    def _decide(self) -> bool:
        with self._lock:
            if self.armed > 0:
                self.armed -= 1
                return True
            return self.rate > 0 and self.rng.random() < self.rate

    def _up(self, p: _Pair) -> None:
        while True:
            try:
                data = p.client.recv(65536)
            except OSError:
                data = b""
            if not data:
                _close(p)
                return
            with p.lock:
                p.window = (p.window + data)[-16384:]
                if not p.decided and any(m in p.window for m in self.markers):
                    p.decided = True
                    p.cut = self._decide()
            try:
                p.server.sendall(data)
            except OSError:
                _close(p)
                return

    def _down(self, p: _Pair) -> None:
        while True:
            try:
                data = p.server.recv(65536)
            except OSError:
                data = b""
            if not data:
                _close(p)
                return
            if p.cut:  # the server executed the command and replied: lose the reply
                p.server.settimeout(0.3)  # a pipeline's two replies may come apart
                try:
                    while b"*2\r\n" not in data:
                        more = p.server.recv(65536)
                        if not more:
                            break
                        data += more
                except OSError:
                    pass
                with self._lock:
                    self.dropped += 1
                    self.dropped_items += b"*2\r\n" in data
                _close(p)
                return
            with p.lock:
                p.window, p.decided = b"", False
            try:
                p.client.sendall(data)
            except OSError:
                _close(p)
                return


def _close(p: _Pair) -> None:
    for s in (p.client, p.server):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


@pytest.fixture
def tcp_server() -> Iterator[EmbeddedServer]:
    server = EmbeddedServer(tcp=True)
    yield server
    server.stop()


@pytest.fixture
def cutter(tcp_server: EmbeddedServer) -> Iterator[ReplyCutter]:
    proxy = ReplyCutter(tcp_server.port)
    vm.configure(url=proxy.url)
    yield proxy
    proxy.close()


def test_the_proxy_really_loses_a_plain_pop(tcp_server: EmbeddedServer, cutter: ReplyCutter) -> None:
    """Control: an at-most-once pop (LPOP, what Queue.get used) through the proxy loses the item."""
    raw = redis.Redis.from_url(cutter.url)
    raw.rpush("plain", "x")
    cutter.arm(1, (b"LPOP",))
    with pytest.raises(redis.ConnectionError):
        raw.lpop("plain")
    assert redis.Redis.from_url(tcp_server.url).llen("plain") == 0  # gone, never delivered
    assert cutter.dropped == 1


def test_100_dropped_get_replies_lose_nothing(tcp_server: EmbeddedServer,
                                              cutter: ReplyCutter) -> None:
    """Every get's reply is dropped once, after the server moved the item: 100 drops, every item
    delivered exactly once, in order; all three get paths (non-blocking, blocking with the item
    there, blocking woken by a put)."""
    q = Queue(key="jobs", visibility_timeout=60)
    direct = Queue(key="jobs", client=redis.Redis.from_url(tcp_server.url))
    with pytest.raises(queue.Empty):
        q.get_nowait()  # loads the script (a dropped NOSCRIPT reply would carry no item)
    got: list[int] = []
    for i in range(100):
        cutter.arm(1)
        if i % 3 == 0:
            q.put(i)
            got.append(q.get_nowait())
        elif i % 3 == 1:
            q.put(i)
            got.append(q.get(timeout=10))
        else:
            producer = threading.Timer(0.05, direct.put, (i,))
            producer.start()
            got.append(q.get(timeout=10))
            producer.join()
        q.task_done()
    assert cutter.dropped == 100 and cutter.dropped_items == 100
    lost = len(set(range(100)) - set(got))
    print(f"\n{cutter.dropped} get replies dropped after the server ran the get "
          f"({cutter.dropped_items} carrying the item): {lost} items lost, "
          f"{len(got) - len(set(got))} delivered twice")
    assert lost == 0
    assert got == list(range(100))  # no duplicate, FIFO order kept
    raw = redis.Redis.from_url(tcp_server.url)
    assert raw.hlen("{jobs}:inflight") == 0 and raw.zcard("{jobs}:visible") == 0
    assert q.unfinished_tasks == 0 and q.qsize() == 0 and q.in_flight() == 0


@pytest.mark.parametrize("cls", [LifoQueue, PriorityQueue, SetQueue, SimpleQueue])
def test_dropped_replies_every_queue_type(tcp_server: EmbeddedServer, cutter: ReplyCutter,
                                          cls: Any) -> None:
    q = cls(key="t")
    with pytest.raises(queue.Empty):
        q.get_nowait()  # loads the script
    items = [(n, f"v{n}") for n in range(12)]
    for it in items:
        q.put(it)
    got = []
    for n in range(12):
        cutter.arm(1)
        got.append(q.get(timeout=10) if n % 2 else q.get_nowait())
        if cls is not SimpleQueue:
            q.task_done()
    assert cutter.dropped_items == 12
    assert sorted(got) == items
    if cls is LifoQueue:
        assert got == items[::-1]
    if cls is PriorityQueue:
        assert got == items
    with pytest.raises(queue.Empty):
        q.get_nowait()  # also forgets SimpleQueue's last retry record
    raw = redis.Redis.from_url(tcp_server.url)
    assert raw.hlen("{t}:inflight") == 0


def test_dropped_task_done_replies_count_once(tcp_server: EmbeddedServer,
                                              cutter: ReplyCutter) -> None:
    """task_done's script is resent after a lost reply; acknowledging twice is harmless, so the
    unfinished count drops by exactly one per call."""
    q = Queue(key="acks")
    for i in range(10):
        q.put(i)
    got = [q.get_nowait() for _ in range(10)]
    q.task_done()  # loads the script
    for n in range(9):
        cutter.arm(1, (_ACK.sha.encode(),))
        q.task_done()
        assert q.unfinished_tasks == 8 - n
    assert cutter.dropped == 9 and got == list(range(10))
    assert redis.Redis.from_url(tcp_server.url).hlen("{acks}:inflight") == 0
    with pytest.raises(ValueError):
        q.task_done()


def test_reply_lost_for_longer_than_the_resends(tcp_server: EmbeddedServer,
                                                cutter: ReplyCutter) -> None:
    """Every resend's reply lost too: get raises ConnectionLost; the item is not lost: the same
    object's next get returns it (it claims its earlier delivery ids first)."""
    q = Queue(key="outage")
    with pytest.raises(queue.Empty):
        q.get_nowait()  # loads the script
    q.put("a")
    q.put("b")
    cutter.arm(len(RESEND_PAUSES) + 1)
    with pytest.raises(vm.ConnectionLost):
        q.get_nowait()
    assert cutter.dropped == len(RESEND_PAUSES) + 1
    assert q.get_nowait() == "a"
    assert q.get_nowait() == "b"
    q.task_done()
    q.task_done()
    assert q.unfinished_tasks == 0
    assert redis.Redis.from_url(tcp_server.url).hlen("{outage}:inflight") == 0


async def test_async_dropped_replies(tcp_server: EmbeddedServer, cutter: ReplyCutter) -> None:
    import redis.asyncio as aioredis

    vm.configure(client=aioredis.Redis.from_url(cutter.url), url=cutter.url)
    q = AsyncQueue(key="aq")
    with pytest.raises(queue.Empty):
        await q.get_nowait()  # loads the script
    for i in range(20):
        await q.put(i)
    got = []
    for i in range(20):
        cutter.arm(1)
        got.append(await (q.get(timeout=10) if i % 2 else q.get_nowait()))
        await q.task_done()
    assert cutter.dropped_items == 20
    assert got == list(range(20))
    assert await q.unfinished() == 0


# -- dead and paused consumers -----------------------------------------------------------------

def test_dead_consumers_items_are_redelivered(r: Any) -> None:
    q = Queue(key="dead", visibility_timeout=0.3)
    for i in range(5):
        q.put(i)
    crashed = Queue(key="dead", visibility_timeout=0.3)
    assert [crashed.get_nowait(), crashed.get_nowait()] == [0, 1]  # never acknowledged
    other = Queue(key="dead", visibility_timeout=5)
    assert other.get_nowait() == 2
    time.sleep(0.35)  # the crashed consumer's visibility ends
    # redelivered first, in their order; at least once: the work may be repeated
    assert [other.get(timeout=5) for _ in range(4)] == [0, 1, 3, 4]
    for _ in range(5):
        other.task_done()
    assert q.unfinished_tasks == 0
    # the crashed consumer comes back and acknowledges: harmless, the counter is not touched
    crashed.task_done()
    crashed.task_done()
    assert q.unfinished_tasks == 0 and r.hlen("{dead}:inflight") == 0


def test_renew_keeps_a_long_task(r: Any) -> None:
    q = Queue(key="long", visibility_timeout=0.4)
    q.put("job")
    assert q.get() == "job"
    for _ in range(3):
        time.sleep(0.2)
        assert q.renew() == 1
    with pytest.raises(queue.Empty):
        Queue(key="long").get(timeout=0.1)  # still in flight: not redelivered
    q.task_done()
    assert q.renew() == 0 and q.unfinished_tasks == 0


def test_blocked_consumer_recovers_expired_items(r: Any) -> None:
    """A consumer blocked on an empty queue picks up a dead consumer's item once its visibility
    ends (each blocking chunk ends with the get script, which requeues due deliveries)."""
    Queue(key="rec").put("x")
    assert Queue(key="rec", visibility_timeout=0.2).get() == "x"
    waiter = Queue(key="rec")
    assert waiter.get(timeout=10) == "x"
    waiter.task_done()
    assert waiter.unfinished_tasks == 0


def test_set_queue_redelivery_merges_with_a_requeued_value(r: Any) -> None:
    q = SetQueue(key="sq", visibility_timeout=0.2)
    q.put("a")
    assert q.get() == "a"  # then the consumer dies
    q2 = SetQueue(key="sq")
    q2.put("a")  # queued again meanwhile
    assert q2.unfinished_tasks == 2
    time.sleep(0.25)
    assert q2.get(timeout=5) == "a"
    with pytest.raises(queue.Empty):
        q2.get_nowait()  # merged: one "a", one task
    q2.task_done()
    assert q2.unfinished_tasks == 0


def test_priority_queue_redelivery_keeps_priority(r: Any) -> None:
    q = PriorityQueue(key="pq", visibility_timeout=0.2)
    for it in [(5, "e"), (1, "a"), (3, "c")]:
        q.put(it)
    assert q.get() == (1, "a")  # dies
    time.sleep(0.25)
    other = PriorityQueue(key="pq")
    assert [other.get(timeout=5) for _ in range(3)] == [(1, "a"), (3, "c"), (5, "e")]


def test_task_done_acknowledges_per_thread(r: Any) -> None:
    """Threads sharing one object: task_done acknowledges the calling thread's delivery."""
    q = Queue(key="th", visibility_timeout=0.3)
    q.put("slow")
    q.put("fast")
    box: dict[str, Any] = {}
    got_slow = threading.Event()
    finish = threading.Event()

    def slow() -> None:
        box["slow"] = q.get()
        got_slow.set()
        finish.wait(10)  # never acknowledges: it "dies" holding the item

    t = threading.Thread(target=slow)
    t.start()
    got_slow.wait(10)
    assert q.get() == "fast"
    q.task_done()  # acknowledges "fast", not the other thread's "slow"
    time.sleep(0.35)
    assert Queue(key="th").get(timeout=5) == "slow"  # redelivered
    finish.set()
    t.join(10)
    assert box["slow"] == "slow"


# -- undecodable items --------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [Queue, LifoQueue, PriorityQueue, SetQueue, SimpleQueue])
def test_undecodable_item_stays_queued(r: Any, cls: Any) -> None:
    q = cls(key="bad")
    q.put((1, "ok"))
    if cls is PriorityQueue:
        r.zadd("bad", {b"0" * 16 + b"{not json": 0})
    elif cls is LifoQueue:
        r.rpush("bad", b"{not json")
    else:
        r.lpush("bad", b"{not json")
        if cls is SetQueue:
            r.sadd("{bad}:set", b"{not json")
    before = q.qsize()
    for get in (q.get_nowait, lambda: q.get(timeout=1)):
        with pytest.raises(vm.DecodeError) as info:
            get()
        assert info.value.key == "bad" and "'bad'" in str(info.value)
        assert q.qsize() == before  # left in place, at the front
    assert r.hlen("{bad}:inflight") == 0
    if cls is not PriorityQueue:
        assert r.lindex("bad", -1 if cls is LifoQueue else 0) == b"{not json"


async def test_async_undecodable_item_stays_queued(ar: Any) -> None:
    q = AsyncQueue(key="abad")
    await ar.rpush("abad", b"\xff\xfe")
    with pytest.raises(vm.DecodeError) as info:
        await q.get_nowait()
    assert info.value.key == "abad"
    assert await ar.llen("abad") == 1


# -- several processes: dropped replies and a killed consumer -----------------------------------

def _consume(url: str, n: int, out: Any, stop: Any) -> None:
    vm.configure(url)
    q = Queue(key="work", visibility_timeout=1.0)
    done: list[int] = []
    while True:
        try:
            item = q.get(timeout=0.2)
        except queue.Empty:
            if stop.is_set():
                break
            continue
        except vm.ConnectionLost:
            continue  # every resend lost too: the next get claims it
        done.append(item)
        while True:
            try:
                q.task_done()
                break
            except vm.ConnectionLost:
                continue
    out.put((n, done))


def _crash_after_taking(url: str, out: Any) -> None:
    vm.configure(url)
    q = Queue(key="work", visibility_timeout=1.0)
    taken = [q.get(timeout=10) for _ in range(5)]
    out.put(("crashed", taken))
    signal.pause()  # killed here, holding 5 unacknowledged items


def test_four_consumers_dropped_replies_and_a_killed_consumer(tcp_server: EmbeddedServer,
                                                             cutter: ReplyCutter) -> None:
    n = 400
    direct = Queue(key="work", client=redis.Redis.from_url(tcp_server.url))
    for i in range(n):
        direct.put(i)
    crash_out, out = CTX.Queue(), CTX.Queue()  # (a killed writer could leave a queue locked)
    crasher = CTX.Process(target=_crash_after_taking, args=(cutter.url, crash_out))
    crasher.start()
    tag, taken = crash_out.get(timeout=60)
    assert tag == "crashed" and len(taken) == 5
    os.kill(crasher.pid, signal.SIGKILL)  # type: ignore[arg-type]
    crasher.join(10)
    cutter.rate = 0.2  # from now on one get reply in five is dropped
    stop = CTX.Event()
    procs = [CTX.Process(target=_consume, args=(cutter.url, k, out, stop)) for k in range(4)]
    for p in procs:
        p.start()
    deadline = time.monotonic() + 120
    while direct.unfinished_tasks and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    results = dict(out.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    done = [x for k in range(4) for x in results[k]]
    print(f"\n4 consumers + 1 killed holding 5: {cutter.dropped} replies dropped "
          f"({cutter.dropped_items} carrying an item), {n - len(set(done))} items lost, "
          f"{len(done) - len(set(done))} done twice; the killed consumer's {len(taken)} redelivered")
    assert cutter.dropped_items >= 20
    assert set(done) == set(range(n))  # nothing lost
    dupes = sorted(x for x in set(done) if done.count(x) > 1)
    assert set(dupes) <= set(taken)  # only the killed consumer's items may be done twice
    assert sorted(set(taken)) == sorted(taken) and all(x in done for x in taken)
    assert sum(1 for k in range(4) if results[k]) >= 2
    raw = redis.Redis.from_url(tcp_server.url)
    assert raw.hlen("{work}:inflight") == 0 and direct.unfinished_tasks == 0


def test_paused_consumer_is_recovered(tcp_server: EmbeddedServer) -> None:
    """SIGSTOP a consumer holding an item past its visibility: another consumer gets the item;
    the paused one, resumed, acknowledges harmlessly."""
    vm.configure(url=tcp_server.url)
    Queue(key="p").put("job")
    out = CTX.Queue()
    go = CTX.Event()

    def holder() -> None:
        vm.configure(url=tcp_server.url)
        q = Queue(key="p", visibility_timeout=0.3)
        out.put(q.get(timeout=10))
        go.wait(30)
        q.task_done()
        out.put(q.unfinished_tasks)

    proc = CTX.Process(target=holder)
    proc.start()
    assert out.get(timeout=30) == "job"
    os.kill(proc.pid, signal.SIGSTOP)  # type: ignore[arg-type]
    other = Queue(key="p")
    assert other.get(timeout=10) == "job"  # redelivered once the visibility ended
    other.task_done()
    os.kill(proc.pid, signal.SIGCONT)  # type: ignore[arg-type]
    go.set()
    assert out.get(timeout=30) == 0  # the stale acknowledgement left the counter alone
    proc.join(10)
    assert proc.exitcode == 0


async def test_cancelled_async_get_loses_nothing(ar: Any) -> None:
    """Cancelling a get at any point never loses the item: what the cancelled get may have moved
    into flight is claimed by the object's next get."""
    q = AsyncQueue(key="c")
    delivered = 0
    for i in range(30):
        task = asyncio.create_task(q.get(timeout=5))
        for _ in range(i % 4):
            await asyncio.sleep(0)
        await ar.rpush("c", b'"x"')
        await ar.incr("{c}:unfinished")
        await asyncio.sleep(0.0005 * (i % 5))
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            continue
        delivered += 1
        await q.task_done()
    left = 0
    while True:
        try:
            await q.get(timeout=0)
        except queue.Empty:
            break
        left += 1
        await q.task_done()
    assert delivered + left == 30
    assert await q.unfinished() == 0
    assert await ar.hlen("{c}:inflight") == 0


@pytest.mark.cluster
@pytest.mark.parametrize("cls", [Queue, PriorityQueue, SetQueue, SimpleQueue])
def test_cluster_redelivery_and_decode_errors(rc: Any, cls: Any) -> None:
    key = f"jobs:{cls.__name__}"  # no hash tag: the aux keys share its slot all the same
    dead = cls(key=key, visibility_timeout=0.2)
    for n in range(3):
        dead.put((n, "x"))
    assert dead.get() == (0, "x")  # never acknowledged
    time.sleep(0.25)
    other = cls(key=key)
    expected = [(0, "x"), (1, "x"), (2, "x")] if cls is not SimpleQueue else [(1, "x"), (2, "x")]
    assert [other.get(timeout=5) for _ in expected] == expected  # SimpleQueue: at most once
    if cls is not SimpleQueue:
        for _ in expected:
            other.task_done()
        assert other.unfinished_tasks == 0
        assert other.renew() == 0
    if cls is PriorityQueue:
        rc.zadd(key, {b"0" * 16 + b"{bad": 0})
    else:
        rc.rpush(key, b"{bad")
    with pytest.raises(vm.DecodeError):
        other.get(timeout=1)
    assert other.qsize() == 1
    other.delete()
    assert rc.exists(*other.keys_owned) == 0


def test_visibility_none_acknowledges_on_receipt(r: Any) -> None:
    q = Queue(key="nv", visibility_timeout=None)
    assert q.visibility_timeout is None
    q.put("a")
    q.put("b")
    assert q.get() == "a"  # never acknowledged, never redelivered
    assert q.in_flight() == 0
    assert q.get_nowait() == "b"
    with pytest.raises(queue.Empty):
        q.get_nowait()
    assert r.hlen("{nv}:inflight") == 0
    q.task_done()
    q.task_done()
    assert q.unfinished_tasks == 0
    assert Queue(key="nv").visibility_timeout == 30.0
