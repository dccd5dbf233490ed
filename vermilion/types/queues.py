"""Queues: the :mod:`queue` module's types backed by Redis, shared between processes.

* :class:`Queue` (FIFO) and :class:`LifoQueue`: a Redis list (``put`` appends with RPUSH;
  ``get`` pops the head with LPOP/BLPOP, or the tail with RPOP/BRPOP for LIFO).
* :class:`PriorityQueue`: a Redis sorted set, lowest priority first.
* :class:`SimpleQueue`: a Redis list without ``maxsize`` or ``task_done``.
* :class:`SetQueue` / :class:`LifoSetQueue`: a list plus the member set ``{key}:set``; putting a
  value that is already queued does nothing (hot-redis' SetQueue).

Signatures, results and exceptions are those of :mod:`queue`: ``queue.Empty``, ``queue.Full``,
``ValueError("'timeout' must be a non-negative number")``.  Every value is delivered exactly
once across processes: each pop is one atomic command or script.

Differences from :mod:`queue`, by necessity:

* ``maxsize`` belongs to the Python object, not to the data in Redis: give every process the same
  ``maxsize``.  Puts check it atomically (one script: compare the length, then push).
* Blocking ``get`` waits in Redis (BLPOP / BRPOP / BZPOPMIN, never polling) in chunks of at most
  one second, so a wait without timeout stays cancellable; the client's ``socket_timeout`` (if
  any) must be longer than one second.  A blocking ``put`` on a full queue and ``join`` poll the
  server with a growing pause (2 ms up to 50 ms).
* The unfinished-task counter of ``task_done`` / ``join`` lives in ``{key}:unfinished`` and is
  shared by every process using the queue.
* ``initial=`` (keyword): values written only if the queue's key does not exist yet (they count
  as unfinished tasks; ``maxsize`` is not applied to them).
* The asyncio faces (:class:`AsyncQueue`...) mirror the sync API as coroutines and raise
  ``queue.Empty`` / ``queue.Full`` too (not ``asyncio.QueueEmpty`` / ``asyncio.QueueFull``).
* Python 3.13's ``shutdown()`` is not provided.
"""

from __future__ import annotations

import math
import numbers
import queue
import time
from collections.abc import Iterable
from typing import Any, ClassVar

from ..core.base import AsyncFace, RedisObject, SyncFace, op
from ..core.calls import Call, Operation, Sleep, run_script
from ..core.codec import Codec
from ..core.scripts import load_script

_PUT = load_script("queue_put")
_SETPOP = load_script("queue_setpop")
_TASK_DONE = load_script("queue_task_done")

WAIT_CHUNK = 1.0  # longest single blocking command, seconds
POLL_FIRST = 0.002  # first pause of a polling wait (full queue, join), seconds
POLL_MAX = 0.05  # longest pause of a polling wait
SEQ_WIDTH = 16  # hex digits of the sequence prefix of priority-queue members

_MISSING: Any = object()
_TIMEOUT_MSG = "'timeout' must be a non-negative number"


def _block_arg(seconds: float) -> str:
    """A blocking-command timeout: at least 1 ms (0 would mean 'forever' to Redis)."""
    ms = max(1, math.ceil(seconds * 1000))
    return f"{ms / 1000:.3f}"


class _QueueCore(RedisObject):
    """What every queue shares: storage hooks, ``get``/``get_nowait``, ``qsize``, ``empty``."""

    type_name = "Queue"
    aux_suffixes: ClassVar[tuple[str, ...]] = ("unfinished",)
    _kind: ClassVar[str] = "list"  # 'list' | 'set' | 'zset'
    _lifo: ClassVar[bool] = False
    _counted: ClassVar[bool] = True  # keeps the unfinished-tasks counter

    # -- storage hooks -----------------------------------------------------------------------
    def _put_keys(self) -> list[str]:
        keys = [self.key]
        if self._counted:
            keys.append(self._aux("unfinished"))
        if self._kind == "set":
            keys.append(self._aux("set"))
        elif self._kind == "zset":
            keys.append(self._aux("seq"))
        return keys

    def _item_args(self, item: Any) -> list[Any]:
        return [self._enc(item)]

    def _push(self, args: list[Any], maxsize: int = 0, only_new: bool = False) -> Operation:
        """Run the put script on encoded item arguments; returns the number added, or -1 when
        the queue is full."""
        header = [self._kind, "1" if self._counted else "0", maxsize, "1" if only_new else "0"]
        return (yield run_script(_PUT, self._put_keys(), header + args))

    def _init_op(self, initial: Any) -> Operation:
        args: list[Any] = []
        for item in initial:
            args.extend(self._item_args(item))
        if args:
            yield from self._push(args, 0, only_new=True)

    def _size_call(self) -> Call:
        cmd = "ZCARD" if self._kind == "zset" else "LLEN"
        return Call((cmd, self.key), (self.key,), readonly=True)

    def _decode_member(self, member: bytes) -> Any:
        return self._dec(member)

    def _pop_now(self) -> Operation:
        """Pop one value without waiting (one atomic round trip); ``_MISSING`` when empty."""
        if self._kind == "zset":
            reply = yield Call(("ZPOPMIN", self.key), (self.key,))
            return self._decode_member(reply[0]) if reply else _MISSING
        if self._kind == "set":
            reply = yield run_script(_SETPOP, [self.key, self._aux("set")],
                                     ["R" if self._lifo else "L"])
        else:
            cmd = "RPOP" if self._lifo else "LPOP"
            reply = yield Call((cmd, self.key), (self.key,))
        return _MISSING if reply is None else self._decode_member(reply)

    def _pop_wait(self, seconds: float) -> Operation:
        """Wait up to ``seconds`` in Redis for a value and pop it; ``_MISSING`` if none came."""
        wait = _block_arg(seconds)
        if self._kind == "zset":
            reply = yield Call(("BZPOPMIN", self.key, wait), (self.key,))
            return _MISSING if reply is None else self._decode_member(reply[1])
        if self._kind == "list":
            cmd = "BRPOP" if self._lifo else "BLPOP"
            reply = yield Call((cmd, self.key, wait), (self.key,))
            return _MISSING if reply is None else self._decode_member(reply[1])
        # Set queue: the pop must also forget the member, which no blocking command does.  Wait
        # with a no-op rotation (BLMOVE key key LEFT LEFT puts the head back where it was) until
        # the list has an item, then pop with the atomic script (another consumer may win).
        reply = yield Call(("BLMOVE", self.key, self.key, "LEFT", "LEFT", wait), (self.key,))
        if reply is None:
            return _MISSING
        return (yield from self._pop_now())

    def _get(self, block: bool, timeout: float | None) -> Operation:
        if not block:
            value = yield from self._pop_now()
            if value is _MISSING:
                raise queue.Empty
            return value
        deadline = None
        if timeout is not None:
            if timeout < 0:
                raise ValueError(_TIMEOUT_MSG)
            deadline = time.monotonic() + timeout
        if self._kind == "set":
            value = yield from self._pop_now()
            if value is not _MISSING:
                return value
        first = True
        while True:
            wait = WAIT_CHUNK
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    if first and self._kind != "set":
                        value = yield from self._pop_now()
                        if value is not _MISSING:
                            return value
                    raise queue.Empty
                wait = min(remaining, WAIT_CHUNK)
            first = False
            value = yield from self._pop_wait(wait)
            if value is not _MISSING:
                return value

    # -- operations --------------------------------------------------------------------------
    @op
    def qsize(self) -> Operation:
        """Number of queued items (LLEN / ZCARD); one round trip."""
        return (yield self._size_call())

    @op
    def empty(self) -> Operation:
        """``True`` if no item is queued; one round trip."""
        return not (yield self._size_call())

    @op(tx=False)
    def get(self, block: bool = True, timeout: float | None = None) -> Operation:
        """Remove and return an item, like ``queue.Queue.get``.

        ``block=False``: one atomic round trip, ``queue.Empty`` if there is none.  Blocking: waits
        in Redis (BLPOP / BRPOP / BZPOPMIN; one round trip when an item is there, then one per
        second of waiting) up to ``timeout`` seconds (forever if ``None``), then raises
        ``queue.Empty``.  Each item is delivered to exactly one caller.  Not usable inside
        transactions (use ``get_nowait``).
        """
        return (yield from self._get(block, timeout))

    @op
    def get_nowait(self) -> Operation:
        """Remove and return an item if one is immediately available, else raise
        ``queue.Empty``; one atomic round trip (usable inside transactions)."""
        return (yield from self._get(False, None))


class _BoundedQueueBase(_QueueCore):
    """``queue.Queue``'s operations: ``maxsize``, ``full``, ``put``, ``task_done``, ``join``."""

    def __init__(
        self,
        maxsize: int = 0,
        *,
        key: str | bytes | None = None,
        client: Any = None,
        codec: Codec | None = None,
        initial: Iterable[Any] | None = None,
    ):
        self.maxsize = maxsize
        super().__init__(initial, key=key, client=client, codec=codec)

    def _put(self, item: Any, block: bool, timeout: float | None) -> Operation:
        args = self._item_args(item)
        if not self.maxsize > 0:
            yield from self._push(args)
            return None
        deadline = None
        if block and timeout is not None:
            if timeout < 0:
                raise ValueError(_TIMEOUT_MSG)
            deadline = time.monotonic() + timeout
        delay = POLL_FIRST
        while True:
            added = yield from self._push(args, self.maxsize)
            if added >= 0:
                return None
            if not block:
                raise queue.Full
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise queue.Full
                delay = min(delay, remaining)
            yield Sleep(delay)
            delay = min(delay * 2, POLL_MAX)

    @op
    def full(self) -> Operation:
        """``True`` if ``0 < maxsize <= qsize()``; one round trip (none when unbounded)."""
        if not 0 < self.maxsize:
            return False
        return self.maxsize <= (yield self._size_call())

    @op(tx=False)
    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> Operation:
        """Add ``item``, like ``queue.Queue.put``; one atomic script (length check, push and the
        unfinished-tasks increment together).

        When the queue is full: ``block=False`` raises ``queue.Full`` at once; otherwise the put
        is retried with growing pauses (2 ms to 50 ms) until it fits or ``timeout`` seconds have
        passed (then ``queue.Full``).  Not usable inside transactions (use ``put_nowait``).
        """
        return (yield from self._put(item, block, timeout))

    @op
    def put_nowait(self, item: Any) -> Operation:
        """Add ``item`` or raise ``queue.Full`` at once; one atomic round trip (usable inside
        transactions)."""
        return (yield from self._put(item, False, None))

    @op
    def task_done(self) -> Operation:
        """Mark one fetched task as done (decrements ``{key}:unfinished``); one atomic script.

        ``ValueError('task_done() called too many times')`` if no task is unfinished.
        """
        yield run_script(_TASK_DONE, [self._aux("unfinished")])

    @op
    def unfinished(self) -> Operation:
        """Number of tasks put and not yet marked done (by any process); one round trip."""
        key = self._aux("unfinished")
        reply = yield Call(("GET", key), (key,), readonly=True)
        return int(reply) if reply is not None else 0

    @op(tx=False)
    def join(self) -> Operation:
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


class QueueBase(_BoundedQueueBase):
    """Operations of :class:`Queue` (FIFO), shared by the sync and asyncio faces."""

    type_name = "Queue"


class LifoQueueBase(_BoundedQueueBase):
    """Operations of :class:`LifoQueue` (last in, first out)."""

    type_name = "LifoQueue"
    _lifo = True


class PriorityQueueBase(_BoundedQueueBase):
    """Operations of :class:`PriorityQueue`: a sorted set scored by the items' priority."""

    type_name = "PriorityQueue"
    aux_suffixes = ("unfinished", "seq")
    _kind = "zset"

    def _item_args(self, item: Any) -> list[Any]:
        priority = item[0] if isinstance(item, (tuple, list)) and item else item
        if not isinstance(priority, numbers.Real):
            raise TypeError(
                "PriorityQueue items must be real numbers or (priority, data) tuples whose "
                f"priority is a real number, not {type(item).__name__} {item!r}"
            )
        score = float(priority)
        if score != score:
            raise ValueError("PriorityQueue priorities cannot be NaN")
        return [repr(score), self._enc(item)]

    def _decode_member(self, member: bytes) -> Any:
        return self._dec(member[SEQ_WIDTH:])


class SetQueueBase(_BoundedQueueBase):
    """Operations of :class:`SetQueue`: a FIFO list whose values are unique (``{key}:set``)."""

    type_name = "SetQueue"
    aux_suffixes = ("unfinished", "set")
    _kind = "set"


class LifoSetQueueBase(SetQueueBase):
    """Operations of :class:`LifoSetQueue`: a LIFO list whose values are unique."""

    type_name = "LifoSetQueue"
    _lifo = True


class SimpleQueueBase(_QueueCore):
    """Operations of :class:`SimpleQueue`: unbounded FIFO, no ``task_done``/``join``."""

    type_name = "SimpleQueue"
    aux_suffixes = ()
    _counted = False

    def __init__(
        self,
        *,
        key: str | bytes | None = None,
        client: Any = None,
        codec: Codec | None = None,
        initial: Iterable[Any] | None = None,
    ):
        super().__init__(initial, key=key, client=client, codec=codec)

    @op
    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> Operation:
        """Add ``item`` (RPUSH; ``block`` and ``timeout`` are ignored, as in
        ``queue.SimpleQueue``); one round trip, atomic."""
        yield Call(("RPUSH", self.key, self._enc(item)), (self.key,))

    @op
    def put_nowait(self, item: Any) -> Operation:
        """Same as ``put(item)``; one round trip, atomic."""
        yield Call(("RPUSH", self.key, self._enc(item)), (self.key,))


# -- sync faces ---------------------------------------------------------------------------------
class _SyncQueueMixin:
    key: str

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key={self.key!r})"


class _SyncBoundedMixin(_SyncQueueMixin):
    unfinished: Any

    @property
    def unfinished_tasks(self) -> int:
        """Tasks put and not yet marked done (one round trip), like ``queue.Queue``'s."""
        return self.unfinished()  # type: ignore[no-any-return]


class Queue(QueueBase, _SyncBoundedMixin, SyncFace):
    """``queue.Queue`` (FIFO) stored in the Redis list at ``key``, shared between processes.

    ``Queue(maxsize=0, *, key=None, client=None, codec=None, initial=None)``.
    """


class LifoQueue(LifoQueueBase, _SyncBoundedMixin, SyncFace):
    """``queue.LifoQueue`` stored in the Redis list at ``key`` (the tail is the top)."""


class PriorityQueue(PriorityQueueBase, _SyncBoundedMixin, SyncFace):
    """``queue.PriorityQueue`` stored in the Redis sorted set at ``key``.

    Items are ``(priority, data)`` tuples (or bare numbers); the priority must be a real number
    (it becomes the ZSET score, a double: ints beyond 2**53 lose precision, NaN is refused).
    Lowest priority first; unlike ``queue.PriorityQueue``, items of equal priority come out in
    insertion order (the data is never compared, so it needs no ordering) and equal items are all
    kept (each member carries a unique sequence prefix from ``{key}:seq``).
    """


class SetQueue(SetQueueBase, _SyncBoundedMixin, SyncFace):
    """A FIFO queue of unique values (list ``key`` + set ``{key}:set``): putting a value that is
    already queued does nothing (no unfinished task is added); once fetched it can be put again.
    """


class LifoSetQueue(LifoSetQueueBase, _SyncBoundedMixin, SyncFace):
    """A LIFO queue of unique values (list ``key`` + set ``{key}:set``); see :class:`SetQueue`."""


class SimpleQueue(SimpleQueueBase, _SyncQueueMixin, SyncFace):
    """``queue.SimpleQueue`` stored in the Redis list at ``key``.

    ``SimpleQueue(*, key=None, client=None, codec=None, initial=None)``.
    """


# -- asyncio faces ------------------------------------------------------------------------------
class AsyncQueue(QueueBase, AsyncFace):
    """The asyncio face of :class:`Queue`: ``await q.put(x)``, ``await q.get(timeout=1)``...;
    raises ``queue.Empty`` / ``queue.Full`` like the sync face."""


class AsyncLifoQueue(LifoQueueBase, AsyncFace):
    """The asyncio face of :class:`LifoQueue`."""


class AsyncPriorityQueue(PriorityQueueBase, AsyncFace):
    """The asyncio face of :class:`PriorityQueue`."""


class AsyncSetQueue(SetQueueBase, AsyncFace):
    """The asyncio face of :class:`SetQueue`."""


class AsyncLifoSetQueue(LifoSetQueueBase, AsyncFace):
    """The asyncio face of :class:`LifoSetQueue`."""


class AsyncSimpleQueue(SimpleQueueBase, AsyncFace):
    """The asyncio face of :class:`SimpleQueue`."""


__all__ = [
    "AsyncLifoQueue", "AsyncLifoSetQueue", "AsyncPriorityQueue", "AsyncQueue", "AsyncSetQueue",
    "AsyncSimpleQueue", "LifoQueue", "LifoSetQueue", "PriorityQueue", "Queue", "SetQueue",
    "SimpleQueue",
]
