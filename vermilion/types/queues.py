"""Queues: the :mod:`queue` module's types backed by Redis, shared between processes.

* :class:`Queue` (FIFO) and :class:`LifoQueue`: a Redis list (``put`` appends with RPUSH;
  ``get`` takes the head, or the tail for LIFO).
* :class:`PriorityQueue`: a Redis sorted set whose members share one score and sort by an
  order-preserving encoding of the items (:mod:`vermilion.core.ordered`): Python's order.
* :class:`SimpleQueue`: a Redis list without ``maxsize`` or ``task_done``.
* :class:`SetQueue` / :class:`LifoSetQueue`: a list plus the member set ``{key}:set``; putting a
  value that is already queued does nothing (hot-redis' SetQueue).

Signatures, results and exceptions are those of :mod:`queue`: ``queue.Empty``, ``queue.Full``,
``ValueError("'timeout' must be a non-negative number")``, and Python 3.13's
``shutdown(immediate=False)`` / ``is_shutdown`` / ``queue.ShutDown`` on every Python (3.10+) for
every queue but :class:`SimpleQueue` (as in :mod:`queue`): :data:`ShutDown`
(``vermilion.ShutDown``) *is* ``queue.ShutDown`` on 3.13+, its own ``Exception`` subclass
before.

Shutdown is shared by every process using the queue: the state is kept in ``{key}:signal``,
the list blocked getters wait on (one element: ``'1'`` while the open queue has items, ``'S'``
once shut down, ``'I'`` once shut down immediately), written atomically by the shutdown script
and checked atomically by the put and get scripts.  After ``shutdown()``, ``put`` raises
``ShutDown`` (nothing written; inside a transaction too); ``get`` returns the items left, then
raises ``ShutDown``.  ``shutdown(immediate=True)`` removes the queued items and counts a task
done for each, so ``join`` waits only for the items in flight; ``get`` raises at once.  Every
blocked ``get`` wakes up at once; blocked ``put`` and ``join`` see it at their next poll.  The
state only moves forward, until ``delete()``, which removes it with the queue's other keys.

Delivery is *at least once*, and a broken connection never loses an item (Redis' reliable-queue
pattern, made idempotent):

* ``get`` moves the item, in one script, into the consumer's in-flight records
  (``{key}:inflight``: delivery id -> item; ``{key}:visible``: delivery id -> deadline on Redis'
  clock).  The consumer (a queue object) names the delivery before sending, so after a lost reply
  the script is resent with the same id and returns the same item: no loss, no duplicate.
* ``task_done()`` acknowledges the delivery (the calling thread's oldest, else the object's
  oldest) as well as counting the task done.  Call it for every item you get, as ``join()``
  needs anyway: an item never acknowledged is delivered again.
* A delivery not acknowledged within ``visibility_timeout`` seconds (default 30; its consumer
  died, hung or was paused) is put back at the front by the next get of any consumer and
  delivered again: work may be repeated, so make it idempotent, or call ``renew()`` during
  long tasks.  A late ``task_done()`` of a requeued delivery is harmless.  After
  ``shutdown(immediate=True)`` such a delivery is dropped and its task counted done instead.
* :class:`SimpleQueue` has no ``task_done``: a received item counts as acknowledged (its record
  is kept only for a resend and dropped by the consumer's next get).  A lost reply is still
  resent without loss; an item whose consumer died before receiving it is dropped once its
  visibility ends (at most once).  ``visibility_timeout=None`` gives any queue this behaviour
  (``task_done`` then only counts).
* An item that cannot be decoded is left in the queue, at the front, and ``get`` raises
  :class:`~vermilion.DecodeError` naming the key.

Differences from :mod:`queue`, by necessity:

* ``maxsize`` is stored with the queue (``{key}:maxsize``): the first put of an object made with
  a positive ``maxsize`` stores it if none is, and from then on it applies to every process
  (objects made with another ``maxsize``, or none, included); ``q.maxsize = n``
  (``set_maxsize``) replaces it for all, ``0`` for unbounded.  Puts check it atomically (one
  script: compare the length, then push).  Items in flight do not count in ``qsize()`` or
  ``maxsize``.
* ``put`` works inside :func:`vermilion.transaction`: its script runs in the commit and adds the
  item or, the queue being full, refuses it with ``queue.Full`` (atomically, without waiting;
  the block's other writes are applied, as with any error in a Redis transaction).
* Blocking ``get`` waits in Redis (a ``BLMOVE`` rotation of the ``{key}:signal`` list onto
  itself, which changes nothing and returns as soon as the list is not empty: while the queue
  has items or is shut down; a :class:`SimpleQueue` rotates its own list), pipelined with the
  get script, in chunks of at most one second, so a wait without timeout stays cancellable; the
  client's ``socket_timeout`` (if any) must be longer than one second.  ``put`` writes the
  signal; an item pushed into the list by another program (not by ``put``) is taken by the
  next get, and by a blocked one within a second.  A blocking ``put`` on a full queue and
  ``join`` poll the server with a growing pause (2 ms up to 50 ms).
* The unfinished-task counter of ``task_done`` / ``join`` lives in ``{key}:unfinished`` and is
  shared by every process using the queue.
* ``initial=`` (keyword): values written only if the queue's key does not exist yet and the
  queue is not shut down (they count as unfinished tasks; ``maxsize`` is not applied to them).
* The asyncio faces (:class:`AsyncQueue`...) mirror the sync API as coroutines and raise
  ``queue.Empty`` / ``queue.Full`` too (not ``asyncio.QueueEmpty`` / ``asyncio.QueueFull``).
* ``is_shutdown`` is a read-only property reading the state from Redis (one round trip;
  ``await q.is_shutdown`` on the asyncio faces), not a plain attribute.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import queue
import secrets
import sys
import threading
import time
from collections.abc import Generator, Iterable
from typing import Any, ClassVar, Generic

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from typing_extensions import TypeVar

from ..core import errors as _errors
from ..core import ordered as _ordered
from ..core.base import AsyncFace, RedisObject, SyncFace, op, to_ms
from ..core.calls import Call, Op, Operation, Sleep, run_script
from ..core.codec import Codec
from ..core.errors import ConnectionLost, DecodeError
from ..core.runner import in_transaction
from ..core.scripts import load_script

_PUT = load_script("queue_put")
_GET = load_script("queue_get")
_ACK = load_script("queue_ack")
_RELEASE = load_script("queue_release")
_RENEW = load_script("queue_renew")
_SHUTDOWN = load_script("queue_shutdown")

WAIT_CHUNK = 1.0  # longest single blocking command, seconds
LATE_MARGIN = 1.0  # seconds a failed get's script may still run after its wait (_Unclaimed)
POLL_FIRST = 0.002  # first pause of a polling wait (full queue, join), seconds
POLL_MAX = 0.05  # longest pause of a polling wait
SEQ_WIDTH = 16  # hex digits of the sequence after a priority-queue member's order key
LEN_WIDTH = 8  # decimal digits of the order key's length, at the end of the member
DEFAULT_VISIBILITY = 30.0  # seconds a fetched item stays invisible before it is redelivered
# pauses before each resend of an idempotent script whose reply was lost (about 1.75 s in all)
RESEND_PAUSES = (0.0, 0.05, 0.2, 0.5, 1.0)
# the connection broke (the request may have run) or could not be made (it did not run)
_LINK_ERRORS = (RedisConnectionError, RedisTimeoutError)
# ... when the executor says the request never ran, it has already retried for a while
_UNAVAILABLE: Any = getattr(_errors, "ServerUnavailable", ())

T = TypeVar("T", default=Any)  # the items' type: vm.Queue[str]

_MISSING: Any = object()
_TIMEOUT_MSG = "'timeout' must be a non-negative number"
_SHUT_STATES = (b"S", b"I")  # the signal list's element once shut down (immediately: I)

if sys.version_info >= (3, 13):
    ShutDown = queue.ShutDown
else:
    class ShutDown(Exception):  # noqa: N818 - queue.ShutDown's name
        """Raised by ``put`` / ``get`` of a queue that was shut down (``queue.ShutDown`` of
        Python 3.13, which it is on 3.13 and later)."""


def _block_arg(seconds: float) -> str:
    """A blocking-command timeout: at least 1 ms (0 would mean 'forever' to Redis)."""
    ms = max(1, math.ceil(seconds * 1000))
    return f"{ms / 1000:.3f}"


def _resend(call: Call, error: BaseException | None = None) -> Operation:
    """Run an idempotent script, resending it after a lost reply (after each pause of
    ``RESEND_PAUSES``); ``error``: the first attempt was already made and failed with it.  The
    last connection error is raised if every attempt failed."""
    pauses = iter(RESEND_PAUSES)
    while True:
        if error is not None:
            pause = next(pauses, None)
            if pause is None:
                raise error
            if pause:
                yield Sleep(pause)
        try:
            return (yield call)
        except _UNAVAILABLE:
            raise  # never ran, after the executor's own retries: the server is down
        except _LINK_ERRORS as exc:
            error = exc


def _finished(owner: Any) -> bool:
    """The asyncio task or thread that ran a get is over (the get cannot resume)."""
    if isinstance(owner, threading.Thread):
        return not owner.is_alive()
    return bool(owner.done())


class _Unclaimed:
    """Delivery ids of a consumer's gets whose outcome is unknown: each get offers them to its
    script, which returns the item one of them took, if any (no loss, no duplicate).

    A get registers its fresh id before sending.  The id becomes claimable by the consumer's
    other gets when that get fails (connection lost, or closed mid-request: cancelled), or when
    it was abandoned without being closed (its asyncio task or thread ended while it was
    suspended, as a cancellation on Python 3.10 can leave it).  A claimable id stays offered
    while its script may still run late: a blocked pipeline runs its script when its wait ends,
    until the server notices the connection is gone (``WAIT_CHUNK + LATE_MARGIN`` seconds).  Past
    that, an item such a script took comes back when its visibility ends.
    """

    def __init__(self, guard: threading.RLock):
        self._guard = guard
        # delivery id -> (the get offering it, or None when claimable; its task/thread; until)
        self._ids: dict[str, tuple[object | None, Any, float]] = {}

    def take(self, get: object, owner: Any, fresh: str) -> list[tuple[str, float]]:
        """The claimable ids ``(id, offered until)``, now offered by ``get``; registers its
        ``fresh`` id."""
        late = time.monotonic() + WAIT_CHUNK + LATE_MARGIN
        with self._guard:
            out = [(did, until if by is None else late)
                   for did, (by, who, until) in list(self._ids.items())
                   if by is None or _finished(who)]
            for did, until in out:
                self._ids[did] = (get, owner, until)
            self._ids[fresh] = (get, owner, math.inf)
        return out

    def settle(self, get: object, earlier: list[tuple[str, float]], fresh: str, sent: float,
               claimed: str | None) -> None:
        """``get``'s script ran: its fresh id and the one it claimed are settled; the other ids
        it offered stay claimable while their script may still run (after ``sent``)."""
        with self._guard:
            self._ids.pop(fresh, None)
            for did, until in earlier:
                if did == claimed or until <= sent:
                    self._ids.pop(did, None)
                else:
                    self._ids[did] = (None, None, until)

    def release(self, get: object, earlier: list[tuple[str, float]], fresh: str) -> None:
        """``get`` failed: its ids (unless another get took them over) become claimable."""
        late = time.monotonic() + WAIT_CHUNK + LATE_MARGIN
        with self._guard:
            for did, until in [*earlier, (fresh, late)]:
                entry = self._ids.get(did)
                if entry is not None and entry[0] is get:
                    self._ids[did] = (None, None, until)


class _QueueCore(RedisObject, Generic[T]):
    """What every queue shares: storage hooks, reliable ``get``/``get_nowait``, ``qsize``.

    Delivery.  A get moves the item, in one script, from the queue into this consumer's
    in-flight records (``{key}:inflight``, a hash delivery id -> item, and ``{key}:visible``, a
    sorted set delivery id -> visibility deadline on Redis' clock).  The delivery id is chosen by
    the consumer before sending, so when the reply is lost the script is resent with the same id
    and hands the same item over again: a broken connection never loses or duplicates an item.
    ``task_done()`` acknowledges (deletes) the delivery.  A delivery not acknowledged within
    ``visibility_timeout`` seconds (its consumer died, or is paused) is put back at the front of
    the queue by the next get of any consumer, so delivery is *at least once*: process
    idempotently, or call ``renew()`` during long tasks.  A consumer is a queue object.
    ``visibility_timeout=None``: a received item counts as acknowledged (no redelivery).
    """

    type_name = "Queue"
    aux_suffixes: ClassVar[tuple[str, ...]] = (
        "unfinished", "inflight", "visible", "signal", "maxsize")
    _kind: ClassVar[str] = "list"  # 'list' | 'set' | 'zset'
    _lifo: ClassVar[bool] = False
    _counted: ClassVar[bool] = True  # keeps the unfinished-tasks counter (and acknowledgements)
    # has the {key}:signal list: getters wait on it, it holds the shutdown state (not SimpleQueue)
    _closable: ClassVar[bool] = False

    def _setup_delivery(self, visibility_timeout: float | None) -> None:
        # None: acknowledged on receipt (the record only serves a resend after a lost reply)
        self._acks = self._counted and visibility_timeout is not None
        self._vis_ms = to_ms(DEFAULT_VISIBILITY if visibility_timeout is None
                             else visibility_timeout)
        self._cid = secrets.token_hex(6)
        self._seq = itertools.count(1)
        # reentrant: a get abandoned without being closed is closed by the garbage collector,
        # whenever it runs (maybe while this thread holds the guard), and then takes it
        self._guard = threading.RLock()
        self._held: list[tuple[int, str]] = []  # (thread/task, delivery id) awaiting task_done
        self._confirmed: list[str] = []  # received 'auto' deliveries, forgotten by the next get
        self._unclaimed = _Unclaimed(self._guard)  # ids of gets whose outcome is unknown

    @property
    def visibility_timeout(self) -> float | None:
        """Seconds a fetched item stays in flight, unacknowledged, before it is redelivered;
        ``None`` when items count as acknowledged once received."""
        return self._vis_ms / 1000.0 if self._acks else None

    # -- storage hooks -----------------------------------------------------------------------
    _maxsize: int = 0  # the maxsize this object proposes (see _BoundedQueueBase.maxsize)

    def _signal_key(self) -> str:
        """The signal list (what getters wait on; the shutdown state), or the queue's own key
        for a SimpleQueue, whose getters wait on the list itself."""
        return self._aux("signal") if self._closable else self.key

    def _unfinished_key(self) -> str:
        return self._aux("unfinished") if self._counted else self.key

    def _set_key(self) -> str:
        return self._aux("set") if self._kind == "set" else self.key

    def _put_keys(self) -> list[str]:
        """The put script's five keys (unused slots repeat the queue's key)."""
        k = self.key
        aux = self._aux("seq") if self._kind == "zset" else self._set_key()
        return [k, self._unfinished_key(), aux, self._signal_key(), self._aux("maxsize")]

    def _item_args(self, item: Any) -> list[Any]:
        return [self._enc(item)]

    def _push(self, args: list[Any], only_new: bool = False) -> Operation:
        """Run the put script on encoded item arguments; returns the number added, or -1 when
        the queue is full.  TypeError (nothing written) when an item cannot be ordered against
        a stored one (priority queues)."""
        header = [self._kind, "1" if self._counted else "0", max(0, self._maxsize),
                  "1" if only_new else "0"]
        reply = yield run_script(_PUT, self._put_keys(), header + args)
        if isinstance(reply, list):
            raise self._unorderable(args, reply[1])
        if reply == -3:
            raise ShutDown
        return reply

    def _unorderable(self, args: list[Any], member: bytes) -> TypeError:
        raise NotImplementedError  # only priority queues refuse items

    def _init_op(self, initial: Any) -> Operation:
        args: list[Any] = []
        for item in initial:
            args.extend(self._item_args(item))
        if args:
            yield from self._push(args, only_new=True)

    def _size_call(self) -> Call:
        cmd = "ZCARD" if self._kind == "zset" else "LLEN"
        return Call((cmd, self.key), (self.key,), readonly=True)

    def _decode_member(self, member: bytes) -> Any:
        return self._dec(member)

    # -- delivery ----------------------------------------------------------------------------
    @property
    def _side(self) -> str:
        return "R" if self._lifo and self._kind != "zset" else "L"

    @property
    def _mode(self) -> str:
        return "ack" if self._acks else "auto"

    def _delivery_keys(self) -> list[str]:
        return [self.key, self._aux("inflight"), self._aux("visible"), self._unfinished_key(),
                self._set_key(), self._signal_key()]

    def _state_call(self) -> Call:
        """Read the shutdown state (the signal list's element: see :meth:`_shut`)."""
        sig = self._signal_key()
        return Call(("LINDEX", sig, 0), (sig,), readonly=True)

    def _shut(self, empty: bool = False) -> Generator[Any, Any, bool]:
        """Whether the queue is shut down (``empty``: and has no item queued, ``get``'s first
        check in ``queue.Queue``); one round trip, none for a SimpleQueue (never shut down)."""
        if not self._closable:
            return False
        if not empty:
            return (yield self._state_call()) in _SHUT_STATES
        state, size = yield [self._state_call(), self._size_call()]
        return state in _SHUT_STATES and not size

    def _owner(self) -> Any:
        """The asyncio task (asyncio face) or thread running the current operation."""
        if self._face == "async":
            try:
                task = asyncio.current_task()
            except RuntimeError:
                task = None
            if task is not None:
                return task
        return threading.current_thread()

    def _who(self) -> int:
        if self._face == "async":
            try:
                return id(asyncio.current_task())
            except RuntimeError:
                pass
        return threading.get_ident()

    def _drain(self, items: list[str]) -> list[str]:
        with self._guard:
            out = items[:]
            del items[:]
        return out

    def _deliver(self, wait: float | None) -> Generator[Any, Any, tuple[str, bytes] | None]:
        """Move one item into this consumer's in-flight records; ``(delivery id, raw item)`` or
        ``None`` when the queue stayed empty.

        One round trip: the get script, preceded when ``wait`` is given by a blocking
        ``BLMOVE k k LEFT LEFT`` in the same pipeline (a rotation that changes nothing and
        returns as soon as the signal list, or a SimpleQueue's list, is not empty: the queue has
        items or is shut down).  After a lost reply the script alone is resent with the same ids
        (idempotent); ids whose outcome stays unknown are offered again by this object's next
        gets, until their script can no longer run late.  ``ShutDown`` when the queue is shut
        down and empty, or shut down immediately.
        """
        forget = self._drain(self._confirmed)
        fresh = f"{self._cid}:{next(self._seq):x}"
        this = object()
        earlier = self._unclaimed.take(this, self._owner(), fresh)
        candidates = [*(did for did, _ in earlier), fresh]
        sent = time.monotonic()
        script = run_script(_GET, self._delivery_keys(), [
            self._kind, self._side, self._mode, self._vis_ms, len(forget), *forget, *candidates])
        try:
            try:
                if wait is None:
                    reply = yield script
                else:
                    wk = self._signal_key()
                    # EVALSHA even in a pipeline (the runner sends a batch's scripts as EVAL, 5 KB
                    # here): a NOSCRIPT reply is safe, the rotation before it changed nothing
                    replies = yield [
                        Call(("BLMOVE", wk, wk, "LEFT", "LEFT", _block_arg(wait)), (wk,)),
                        Call(script.wire(True), script.keys)]
                    reply = replies[1]
            except ResponseError as exc:
                if not (isinstance(exc, NoScriptError) or str(exc).startswith("NOSCRIPT")):
                    raise
                reply = yield from _resend(Call(script.wire(False), script.keys))  # loads it
            except _LINK_ERRORS as exc:
                reply = yield from _resend(script, exc)
        except (GeneratorExit, *_LINK_ERRORS) as exc:
            self._unclaimed.release(this, earlier, fresh)  # the next gets claim these first
            with self._guard:
                self._confirmed.extend(forget)
            if isinstance(exc, ConnectionLost):
                raise ConnectionLost(
                    f"connection lost during a get of queue {self.key!r}, and on every resend; "
                    "an item it may have taken is not lost: this object's next get returns it "
                    f"({exc})", key=self.key, command="get") from exc
            raise
        claimed = reply[0].decode() if isinstance(reply, list) else None
        self._unclaimed.settle(this, earlier, fresh, sent, claimed)
        if reply is None:
            return None
        if claimed is None:  # -1: shut down
            raise ShutDown
        return claimed, reply[1]

    def _take(self, wait: float | None) -> Operation:
        """Deliver and decode one item; ``_MISSING`` when the queue stayed empty.  An item that
        cannot be decoded is put back where it was (not lost) and DecodeError names the key."""
        got = yield from self._deliver(wait)
        if got is None:
            return _MISSING
        did, raw = got
        try:
            value = self._decode_member(raw)
        except Exception as exc:  # noqa: BLE001 - every decoding failure becomes a DecodeError
            error = self._undecodable(exc)
            try:
                yield from _resend(run_script(_RELEASE, self._delivery_keys(),
                                              [self._kind, self._side, did]))
            except _LINK_ERRORS:
                pass  # still in flight: requeued when its visibility ends
            raise error from exc
        with self._guard:
            if self._acks:
                self._held.append((self._who(), did))
            else:
                self._confirmed.append(did)
        return value

    def _undecodable(self, exc: Exception) -> DecodeError:
        if isinstance(exc, DecodeError) and exc.key == self.key:
            return exc
        return DecodeError(f"{self.type_name} at key {self.key!r}: cannot decode an item "
                           f"({type(exc).__name__}: {exc}); it was left in the queue",
                           key=self.key, command="get")

    def _get(self, block: bool, timeout: float | None) -> Operation:
        if not block:
            value = yield from self._take(None)
            if value is _MISSING:
                raise queue.Empty
            return value
        deadline = None
        if timeout is not None:
            if timeout < 0:
                if (yield from self._shut(empty=True)):  # queue.Queue checks this first
                    raise ShutDown
                raise ValueError(_TIMEOUT_MSG)
            deadline = time.monotonic() + timeout
        first = True
        while True:
            wait = WAIT_CHUNK
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    if first:
                        value = yield from self._take(None)
                        if value is not _MISSING:
                            return value
                    raise queue.Empty
                wait = min(remaining, WAIT_CHUNK)
            first = False
            value = yield from self._take(wait)
            if value is not _MISSING:
                return value

    # -- operations --------------------------------------------------------------------------
    @op
    def qsize(self) -> Op[int]:
        """Number of queued items (LLEN / ZCARD; items in flight are not counted); one round
        trip."""
        return (yield self._size_call())

    @op
    def empty(self) -> Op[bool]:
        """``True`` if no item is queued; one round trip."""
        return not (yield self._size_call())

    @op(tx=False)
    def get(self, block: bool = True, timeout: float | None = None) -> Op[T]:
        """Remove and return an item, like ``queue.Queue.get``.

        One round trip whether an item is there or not (one script; blocking, it is preceded
        in the same pipeline by a ``BLMOVE`` rotation that waits in Redis, never polling), then
        one per second of waiting, up to ``timeout`` seconds (forever if ``None``), then
        ``queue.Empty``.  ``block=False``: one round trip, ``queue.Empty`` if there is none.

        The item stays in flight until ``task_done()`` (see the class docs: at-least-once
        delivery; a lost reply is resent and returns the same item).  An item that cannot be
        decoded stays queued and raises :class:`~vermilion.DecodeError` (a second round trip
        puts it back).  Not usable inside transactions (use ``get_nowait``).
        :class:`~vermilion.ShutDown` once the queue is shut down and empty, or shut down
        immediately (a blocked get wakes up at once).
        """
        return (yield from self._get(block, timeout))

    @op
    def get_nowait(self) -> Op[T]:
        """Remove and return an item if one is immediately available, else raise
        ``queue.Empty`` (``ShutDown``: see :meth:`get`); one round trip, atomic (usable inside
        transactions)."""
        return (yield from self._get(False, None))


class _BoundedQueueBase(_QueueCore[T]):
    """``queue.Queue``'s operations: ``maxsize``, ``full``, ``put``, ``task_done``, ``join``,
    ``shutdown``."""

    _closable = True

    def __init__(
        self,
        maxsize: int = 0,
        *,
        key: str | bytes | None = None,
        client: Any = None,
        codec: Codec | None = None,
        initial: Iterable[Any] | None = None,
        visibility_timeout: float | None = DEFAULT_VISIBILITY,
    ):
        self._maxsize = int(maxsize)
        self._setup_delivery(visibility_timeout)
        super().__init__(initial, key=key, client=client, codec=codec)

    def _in_transaction(self) -> bool:
        return in_transaction(self._face)

    def _put(self, item: Any, block: bool, timeout: float | None) -> Operation:
        args = self._item_args(item)
        negative = block and timeout is not None and timeout < 0
        if negative and self._maxsize > 0:  # queue.Queue checks it only when bounded
            if (yield from self._shut()):  # ... after the shutdown
                raise ShutDown
            raise ValueError(_TIMEOUT_MSG)
        if self._in_transaction():
            # one script in the commit: it adds the item, or refuses (queue.Full) atomically
            if (yield from self._push(args)) < 0:
                raise queue.Full
            return None
        deadline = None
        if block and timeout is not None:
            deadline = time.monotonic() + timeout
        delay = POLL_FIRST
        while True:
            added = yield from self._push(args)
            if added >= 0:
                return None
            if negative:  # bounded by another process's maxsize
                raise ValueError(_TIMEOUT_MSG)
            if not block:
                raise queue.Full
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise queue.Full
                delay = min(delay, remaining)
            yield Sleep(delay)
            delay = min(delay * 2, POLL_MAX)

    def _maxsize_call(self) -> Call:
        key = self._aux("maxsize")
        return Call(("GET", key), (key,), readonly=True)

    def _stored_maxsize(self, reply: bytes | None) -> int:
        return int(reply) if reply is not None else self._maxsize

    @op
    def get_maxsize(self) -> Op[int]:
        """The queue's ``maxsize``, as stored with the queue in Redis (``{key}:maxsize``), or
        this object's while none is stored; one round trip.  ``q.maxsize`` on the sync face."""
        return self._stored_maxsize((yield self._maxsize_call()))

    @op
    def set_maxsize(self, maxsize: int) -> Op[None]:
        """Store ``maxsize`` with the queue, for every process using it (``0``: unbounded);
        one round trip.  ``q.maxsize = n`` on the sync face."""
        maxsize = int(maxsize)
        key = self._aux("maxsize")
        yield Call(("SET", key, max(0, maxsize)), (key,))
        self._maxsize = maxsize

    @op
    def full(self) -> Op[bool]:
        """``True`` if ``0 < maxsize <= qsize()`` (the stored maxsize); one round trip."""
        stored, size = yield [self._maxsize_call(), self._size_call()]
        maxsize = self._stored_maxsize(stored)
        return 0 < maxsize <= size

    @op
    def put(self, item: T, block: bool = True, timeout: float | None = None) -> Op[None]:
        """Add ``item``, like ``queue.Queue.put``; one atomic script (the room check against
        the stored maxsize, the push and the unfinished-tasks increment together).

        When the queue is full: ``block=False`` raises ``queue.Full`` at once; otherwise the put
        is retried with growing pauses (2 ms to 50 ms) until it fits or ``timeout`` seconds have
        passed (then ``queue.Full``).  Inside :func:`vermilion.transaction` the script runs in
        the commit and a full queue raises ``queue.Full`` there (the item is not added; the
        block's other writes are, as with any error in a Redis transaction).
        :class:`~vermilion.ShutDown` (nothing written, in a transaction too) once the queue is
        shut down, checked by the same script; a blocked put sees it at its next attempt.
        """
        return (yield from self._put(item, block, timeout))

    @op
    def put_nowait(self, item: T) -> Op[None]:
        """Add ``item`` or raise ``queue.Full`` (``ShutDown`` once shut down) at once; one
        atomic round trip (usable inside transactions)."""
        return (yield from self._put(item, False, None))

    @op
    def task_done(self) -> Op[None]:
        """Mark one fetched task as done, like ``queue.Queue.task_done``: acknowledges the
        oldest delivery this object holds for the calling thread (asyncio: task), else the
        oldest it holds at all, and decrements ``{key}:unfinished``; one atomic script (resent
        after a lost reply: acknowledging twice is harmless).

        ``ValueError('task_done() called too many times')`` if no task is unfinished (the
        delivery, if any, is acknowledged all the same).  If the
        delivery's visibility had already ended (it was requeued for another consumer), the
        counter is left to the redelivered copy.
        """
        who = self._who()
        with self._guard:
            entry = next((e for e in self._held if e[0] == who), None)
            if entry is None and self._held:
                entry = self._held[0]
            if entry is not None:
                self._held.remove(entry)
        call = run_script(_ACK, [self._aux("unfinished"), self._aux("inflight"),
                                 self._aux("visible")], [entry[1] if entry else ""])
        try:
            if entry is None:
                yield call
            else:
                yield from _resend(call)
        except _LINK_ERRORS:
            if entry is not None:  # outcome unknown: acknowledging it again is harmless
                with self._guard:
                    self._held.insert(0, entry)
            raise

    @op
    def renew(self) -> Op[int]:
        """Restart the visibility timeout of every item this object holds (fetched, not yet
        acknowledged), for tasks that run longer than ``visibility_timeout``; one round trip.
        Returns how many were still in flight (the others were already redelivered)."""
        with self._guard:
            ids = [d for _, d in self._held]
        if not ids:
            return 0
        return (yield run_script(_RENEW, [self._aux("inflight"), self._aux("visible")],
                                 [self._vis_ms, *ids]))

    def in_flight(self) -> int:
        """Items this object fetched and has not acknowledged yet (no round trip)."""
        with self._guard:
            return len(self._held)

    @op
    def unfinished(self) -> Op[int]:
        """Number of tasks put and not yet marked done (by any process); one round trip."""
        key = self._aux("unfinished")
        reply = yield Call(("GET", key), (key,), readonly=True)
        return int(reply) if reply is not None else 0

    @op
    def shutdown(self, immediate: bool = False) -> Op[None]:
        """Shut the queue down, for every process using it, like Python 3.13's
        ``queue.Queue.shutdown``; one atomic script (usable inside transactions).

        From then on ``put`` raises :class:`~vermilion.ShutDown` (``queue.ShutDown`` on Python
        3.13+), and ``get`` raises it once no item is left (items in flight, fetched before,
        are still acknowledged with ``task_done``; a delivery whose visibility ends is still
        put back and delivered again).  ``immediate=True`` also removes the queued items,
        counts a task done for each (``join`` then waits only for the deliveries in flight) and
        makes ``get`` raise at once; a delivery whose visibility ends afterwards is dropped and
        counted done instead of being put back.  Every blocked ``get`` wakes up at once (the
        state is written to ``{key}:signal``, the list getters wait on); blocked ``put`` and
        ``join`` see it at their next poll (at most 50 ms).  Shutting down again does nothing
        (``immediate=True`` after a plain shutdown still drains).  The state is part of the
        queue: ``delete()`` removes it with the rest, so a queue made later at the same key
        starts open; ``initial=`` is not written to a shut-down queue.
        """
        yield run_script(_SHUTDOWN, [self.key, self._unfinished_key(), self._set_key(),
                                     self._signal_key()],
                         [self._kind, "1" if immediate else "0"])

    @property
    def is_shutdown(self) -> Any:
        """``True`` once the queue was shut down (by any process); one round trip (reads
        ``{key}:signal``).  A property: ``q.is_shutdown``, ``await q.is_shutdown`` on asyncio."""
        return self._run(self._shut(), True, "is_shutdown")

    @op(tx=False)
    def join(self) -> Op[None]:
        """Block until every task put (by any process) has been marked done with
        ``task_done``; polls ``{key}:unfinished`` (one round trip, then one per pause of 2 ms
        growing to 50 ms)."""
        key = self._aux("unfinished")
        delay = POLL_FIRST
        while True:
            reply = yield Call(("GET", key), (key,), readonly=True)
            if reply is None or int(reply) <= 0:
                return None
            yield Sleep(delay)
            delay = min(delay * 2, POLL_MAX)


class QueueBase(_BoundedQueueBase[T]):
    """Operations of :class:`Queue` (FIFO), shared by the sync and asyncio faces."""

    type_name = "Queue"


class LifoQueueBase(_BoundedQueueBase[T]):
    """Operations of :class:`LifoQueue` (last in, first out)."""

    type_name = "LifoQueue"
    _lifo = True


class PriorityQueueBase(_BoundedQueueBase[T]):
    """Operations of :class:`PriorityQueue`: a sorted set whose members share the score 0 and
    sort by the items' order-preserving encoding (``ZPOPMIN`` takes the smallest).

    A member is the item's order key, a 16-hex-digit sequence number from ``{key}:seq`` (equal
    items are all kept and come out in insertion order), the codec's payload (decoded on
    ``get``: the item comes back with its own types) and the order key's length (8 digits).
    """

    type_name = "PriorityQueue"
    aux_suffixes: ClassVar[tuple[str, ...]] = (
        "unfinished", "seq", "inflight", "visible", "signal", "maxsize")
    _kind = "zset"

    def _item_args(self, item: Any) -> list[Any]:
        order, ranges = _ordered.encode(item, self._enc)
        return [order, self._enc(item), len(ranges) // 2, *ranges]

    def _decode_member(self, member: bytes) -> Any:
        size = int(member[-LEN_WIDTH:])
        return self._dec(member[size + SEQ_WIDTH:-LEN_WIDTH])

    def _unorderable(self, args: list[Any], member: bytes) -> TypeError:
        """Python's own TypeError for comparing the new item with the stored ``member``."""
        stored = self._decode_member(member)
        i = 0
        while i < len(args):  # the item of the put refused (an initial put has several)
            item = self._dec(args[i + 1])
            try:
                _ = item < stored, stored < item  # noqa: B018 - raises what heapq would
            except TypeError as exc:
                return TypeError(f"PriorityQueue {self.key!r}: cannot order {item!r} against "
                                 f"the queued {stored!r}: {exc}")
            i += 3 + 2 * int(args[i + 2])
        return TypeError(f"PriorityQueue {self.key!r}: an item cannot be ordered against the "
                         f"queued {stored!r}")


class SetQueueBase(_BoundedQueueBase[T]):
    """Operations of :class:`SetQueue`: a FIFO list whose values are unique (``{key}:set``)."""

    type_name = "SetQueue"
    aux_suffixes: ClassVar[tuple[str, ...]] = (
        "unfinished", "set", "inflight", "visible", "signal", "maxsize")
    _kind = "set"


class LifoSetQueueBase(SetQueueBase[T]):
    """Operations of :class:`LifoSetQueue`: a LIFO list whose values are unique."""

    type_name = "LifoSetQueue"
    _lifo = True


class SimpleQueueBase(_QueueCore[T]):
    """Operations of :class:`SimpleQueue`: unbounded FIFO, no ``task_done``/``join``; a received
    item counts as acknowledged (see the module docs)."""

    type_name = "SimpleQueue"
    aux_suffixes: ClassVar[tuple[str, ...]] = ("inflight", "visible")
    _counted = False

    def __init__(
        self,
        *,
        key: str | bytes | None = None,
        client: Any = None,
        codec: Codec | None = None,
        initial: Iterable[Any] | None = None,
        visibility_timeout: float | None = DEFAULT_VISIBILITY,
    ):
        self._setup_delivery(visibility_timeout)
        super().__init__(initial, key=key, client=client, codec=codec)

    @op
    def put(self, item: T, block: bool = True, timeout: float | None = None) -> Op[None]:
        """Add ``item`` (RPUSH; ``block`` and ``timeout`` are ignored, as in
        ``queue.SimpleQueue``); one round trip, atomic."""
        yield Call(("RPUSH", self.key, self._enc(item)), (self.key,))

    @op
    def put_nowait(self, item: T) -> Op[None]:
        """Same as ``put(item)``; one round trip, atomic."""
        yield Call(("RPUSH", self.key, self._enc(item)), (self.key,))


# -- sync faces ---------------------------------------------------------------------------------
class _SyncQueueMixin:
    key: str

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key={self.key!r})"


class _SyncBoundedMixin(_SyncQueueMixin):
    unfinished: Any
    get_maxsize: Any
    set_maxsize: Any

    @property
    def maxsize(self) -> int:
        """The queue's maxsize, stored with it in Redis (see :meth:`get_maxsize`); setting it
        stores it for every process (one round trip each)."""
        return self.get_maxsize()  # type: ignore[no-any-return]

    @maxsize.setter
    def maxsize(self, value: int) -> None:
        self.set_maxsize(value)

    @property
    def unfinished_tasks(self) -> int:
        """Tasks put and not yet marked done (one round trip), like ``queue.Queue``'s."""
        return self.unfinished()  # type: ignore[no-any-return]


class Queue(QueueBase[T], _SyncBoundedMixin, SyncFace):
    """``queue.Queue`` (FIFO) stored in the Redis list at ``key``, shared between processes.

    ``Queue(maxsize=0, *, key=None, client=None, codec=None, initial=None,
    visibility_timeout=30)``.  Delivery is at least once: an item fetched and not acknowledged
    with ``task_done()`` within ``visibility_timeout`` seconds is delivered again (``None``:
    acknowledged once received).
    """


class LifoQueue(LifoQueueBase[T], _SyncBoundedMixin, SyncFace):
    """``queue.LifoQueue`` stored in the Redis list at ``key`` (the tail is the top)."""


class PriorityQueue(PriorityQueueBase[T], _SyncBoundedMixin, SyncFace):
    """``queue.PriorityQueue`` stored in the Redis sorted set at ``key``: smallest item first.

    Any items Python can order against each other, in Python's order: numbers (``int`` of any
    size, ``float``, ``bool``, compared exactly across types), ``str``, ``bytes``, and tuples or
    lists of them, element-wise (``(priority, data)``: equal priorities compare the data, as
    Python does).  An item that cannot be ordered against a queued one (``"a"`` among ints;
    equal priorities with dicts as data; two ``None``) raises ``TypeError`` at ``put`` (checked
    atomically in Redis, nothing written), where ``heapq`` would raise when comparing them;
    NaN raises ``ValueError``.  Equal items are all kept and come out in insertion order.
    """


class SetQueue(SetQueueBase[T], _SyncBoundedMixin, SyncFace):
    """A FIFO queue of unique values (list ``key`` + set ``{key}:set``): putting a value that is
    already queued does nothing (no unfinished task is added); once fetched it can be put again.
    """


class LifoSetQueue(LifoSetQueueBase[T], _SyncBoundedMixin, SyncFace):
    """A LIFO queue of unique values (list ``key`` + set ``{key}:set``); see :class:`SetQueue`."""


class SimpleQueue(SimpleQueueBase[T], _SyncQueueMixin, SyncFace):
    """``queue.SimpleQueue`` stored in the Redis list at ``key`` (no ``shutdown``, as
    ``queue.SimpleQueue`` has none).

    ``SimpleQueue(*, key=None, client=None, codec=None, initial=None, visibility_timeout=30)``.
    """


# -- asyncio faces ------------------------------------------------------------------------------
class AsyncQueue(QueueBase[T], AsyncFace):
    """The asyncio face of :class:`Queue`: ``await q.put(x)``, ``await q.get(timeout=1)``...;
    raises ``queue.Empty`` / ``queue.Full`` like the sync face."""


class AsyncLifoQueue(LifoQueueBase[T], AsyncFace):
    """The asyncio face of :class:`LifoQueue`."""


class AsyncPriorityQueue(PriorityQueueBase[T], AsyncFace):
    """The asyncio face of :class:`PriorityQueue`."""


class AsyncSetQueue(SetQueueBase[T], AsyncFace):
    """The asyncio face of :class:`SetQueue`."""


class AsyncLifoSetQueue(LifoSetQueueBase[T], AsyncFace):
    """The asyncio face of :class:`LifoSetQueue`."""


class AsyncSimpleQueue(SimpleQueueBase[T], AsyncFace):
    """The asyncio face of :class:`SimpleQueue`."""


__all__ = [
    "AsyncLifoQueue", "AsyncLifoSetQueue", "AsyncPriorityQueue", "AsyncQueue", "AsyncSetQueue",
    "AsyncSimpleQueue", "LifoQueue", "LifoSetQueue", "PriorityQueue", "Queue", "SetQueue",
    "SimpleQueue",
]
