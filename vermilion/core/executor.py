"""Executors: send requests to Redis on a redis-py connection and read raw replies.

This is the only module that does I/O.  It uses redis-py for the protocol (connections, pools,
the hiredis parser, cluster topology) but bypasses ``execute_command``'s per-call machinery:
one packed write and one read per round trip, replies left raw (bytes), ``disable_decoding`` on.

Retries, by what Redis provably did:

* nothing was sent (the connection could not be made) or Redis refused to run it (``LOADING``,
  ``TRYAGAIN``, ``CLUSTERDOWN``, ``MOVED``): resent, on Cluster after refreshing the slot map,
  with a short backoff, for at most ``retry_unavailable`` seconds (:data:`settings`); then
  :class:`~vermilion.core.errors.ServerUnavailable` says nothing was applied.  This is how a
  Cluster client follows a failover: a refused connection to a dead master refreshes the map
  until the promoted replica owns the slot.
* the connection broke with the request in flight: a call marked ``readonly`` is resent once; a
  write never is: :class:`~vermilion.core.errors.ConnectionLost` says it may have been applied.

With a :func:`~vermilion.core.durability.durability` in effect, ``WAIT`` follows each writing
request in the same round trip (see :mod:`vermilion.core.durability`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import os
import queue
import time
from collections.abc import AsyncIterator, Generator, Sequence
from typing import Any

from redis import exceptions as rexc
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster

from .calls import Call

try:  # redis[hiredis] is a dependency; the pure-Python packer is the fallback
    from hiredis import pack_command as _hiredis_pack
except ImportError:  # pragma: no cover
    _hiredis_pack = None  # type: ignore[assignment]
from . import durability
from .errors import (
    AccessDenied,
    ConnectionLost,
    CrossSlotError,
    NotReplicated,
    OutOfMemory,
    ScriptError,
    ServerUnavailable,
    WrongTypeError,
)


class Settings:
    """Process-wide executor settings (``vermilion.configure`` sets them)."""

    retry_unavailable: float = 2.0  # seconds a never-executed request keeps being retried
    async_connections: int = 64  # at most this many asyncio connections per server


settings: Settings = Settings()

# A caller that would rather fall back than wait (the cache face) narrows, in its own context
# (thread or asyncio task), how long a request Redis provably did not run is retried before
# ServerUnavailable: ``token = unavailable_window.set(0.0)`` ... ``unavailable_window.reset(token)``.
# None: ``settings.retry_unavailable``.
unavailable_window: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "vermilion_unavailable_window", default=None)

_PY_ERRORS: dict[str, type[Exception]] = {
    "IndexError": IndexError,
    "KeyError": KeyError,
    "ValueError": ValueError,
    "TypeError": TypeError,
    "RuntimeError": RuntimeError,
    "OverflowError": OverflowError,
    "Empty": queue.Empty,
    "Full": queue.Full,
}


def translate(exc: Exception, call: Call) -> Exception:
    """Turn a Redis error reply into the exception a Python user expects."""
    key = call.keys[0] if call.keys else None
    if isinstance(exc, _NOT_EXECUTED):  # still refused when the retry window ran out
        return _unavailable(exc, [call])
    if not isinstance(exc, rexc.ResponseError):
        return exc
    msg = str(exc)
    if isinstance(exc, rexc.NoPermissionError) or msg.startswith("NOPERM"):
        return AccessDenied(
            f"the Redis user may not run {call.name} on key {key!r}; nothing was applied "
            f"(Redis said: {msg}). See the README's 'Access control' section for the ACL rules "
            "vermilion needs", key=key, command=call.name,
        )
    if isinstance(exc, rexc.OutOfMemoryError) or msg.startswith("OOM "):
        return OutOfMemory(
            f"Redis is out of memory (maxmemory reached): {call.name} on key {key!r} was refused "
            "and nothing was applied; reads keep working", key=key, command=call.name,
        )
    if msg.startswith("VM "):
        _, name, text = (msg.split(" ", 2) + [""])[:3]
        text = text.split(" script:", 1)[0]
        cls = _PY_ERRORS.get(name)
        if cls is not None:
            return cls(text) if text else cls()
        if name == "WRONGTYPE":  # "key [name] holds a hash, not a list": the key it found
            named, _, found = text.partition(" holds ")
            named = named[4:].strip() if named.startswith("key ") else ""
            key = named or key
            found = found or text
            return WrongTypeError(
                f"key {key!r} holds a Redis type that {call.name} cannot work on ({found})",
                key=key, command=call.name,
            )
        return ScriptError(f"{name}: {text}", key=key, command=call.name)
    if msg.startswith("WRONGTYPE") or "WRONGTYPE Operation against a key" in msg:
        # Redis 7 passes a script's WRONGTYPE through; Redis 6.2 wraps it in "ERR Error running"
        return WrongTypeError(
            f"key {key!r} holds a Redis type that {call.name} cannot work on", key=key,
            command=call.name,
        )
    return exc


def _is_noscript(reply: Any) -> bool:
    return isinstance(reply, rexc.NoScriptError) or (
        isinstance(reply, rexc.ResponseError) and str(reply).startswith("NOSCRIPT")
    )


# Replies by which Redis says it did not run the command (a resend is safe).  ``ASK`` (a slot
# being migrated) is not among them: it needs ``ASKING`` on another node and is passed through.
_NOT_EXECUTED = (rexc.BusyLoadingError, rexc.TryAgainError, rexc.ClusterDownError, rexc.MovedError)
# Connection errors that retrying cannot fix (bad password, ACL): raised at once.
_FATAL_CONNECT = (rexc.AuthenticationError, rexc.AuthorizationError)


class _Unreached(Exception):
    """No connection could be made to the node: nothing was sent."""


class Pin:
    """A connection reserved for one transaction; filled on first use, released at its end."""

    __slots__ = ("conn", "owner", "key")

    def __init__(self) -> None:
        self.conn: Any = None
        self.owner: Any = None
        self.key: str | None = None  # the first key used: on Cluster every other must share its slot


def pack(conn: Any, calls: Sequence[Call], use_sha: bool) -> Any:
    """The wire bytes of ``calls``.  vermilion's arguments are already str / bytes / int, so
    hiredis packs them directly (redis-py's serializer re-checks every argument first)."""
    if _hiredis_pack is None:
        return conn.pack_commands([c.wire(use_sha) for c in calls])
    if len(calls) == 1:
        return [_hiredis_pack(calls[0].wire(use_sha))]
    return [b"".join([_hiredis_pack(c.wire(use_sha)) for c in calls])]


def _flatten(calls: Sequence[Call]) -> list[str]:
    keys: list[str] = []
    for c in calls:
        keys.extend(c.keys)
    return keys


_FRAMING = frozenset({"MULTI", "EXEC", "WATCH", "UNWATCH", "WAIT"})


def describe(calls: Sequence[Call]) -> tuple[str | None, str, str]:
    """(first key, command name, readable text) of a request, for error messages: a
    transaction is named by the commands and keys inside MULTI/EXEC, not by ``MULTI``."""
    inner = [c for c in calls if str(c.name).upper() not in _FRAMING] or list(calls)
    keys = list(dict.fromkeys(k for c in inner for k in c.keys))
    names = list(dict.fromkeys(c.name for c in inner)) or ["?"]
    in_tx = any(str(c.name).upper() == "MULTI" for c in calls)
    what = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
    if in_tx:
        what = f"a transaction ({what})"
    where = f"key {keys[0]!r}" if len(keys) == 1 else f"keys {keys!r}" if keys else "no key"
    return (keys[0] if keys else None), names[0], f"{what} on {where}"


def _lost(exc: BaseException, calls: Sequence[Call]) -> ConnectionLost:
    key, name, text = describe(calls)
    return ConnectionLost(
        f"connection lost during {text}; the write may or may not have been applied and was "
        f"not resent ({exc})",
        key=key,
        command=name,
    )


def _unavailable(exc: BaseException, calls: Sequence[Call], window: float | None = None) -> ServerUnavailable:
    key, name, text = describe(calls)
    waited = f" for {window:g} s" if window else ""
    return ServerUnavailable(
        f"Redis did not run {text}{waited}: nothing was applied, it is safe to retry ({exc})",
        key=key,
        command=name,
    )


def _not_replicated(calls: Sequence[Call], wanted: Any, got: int) -> NotReplicated:
    key, name, text = describe(calls)
    return NotReplicated(
        f"{text} was applied but acknowledged by {got} of {wanted.replicas} replicas within "
        f"{wanted.timeout:g} s; it may be lost if the master fails now",
        key=key, command=name, acknowledged=got, wanted=wanted.replicas,
    )


def _cancel_requests() -> int:
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)  # Python >= 3.11
    return cancelling() if cancelling is not None else 0


_TASKS_COUNT_CANCELS = hasattr(asyncio.Task, "cancelling")  # Python >= 3.11


async def _shielded(exchange: Any) -> Any:
    """Python 3.10 cannot tell that redis-py swallowed a cancellation (``Task.cancelling`` is
    3.11's): there the round trip runs in its own task, shielded, so a cancel reaches the caller
    at once; the round trip is cancelled too and cleans up its connection itself."""
    task = asyncio.ensure_future(exchange)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        task.cancel()
        raise


class _Attempts:
    """The retry decisions of one request, shared by both executors (they only differ in how
    they sleep and refresh)."""

    __slots__ = ("calls", "window", "deadline", "delay", "resends", "read_resent")

    RETURN, NO_SHA, REFRESH, WAIT, REFRESH_WAIT = range(5)

    def __init__(self, calls: Sequence[Call]):
        self.calls = calls
        narrowed = unavailable_window.get()
        self.window = settings.retry_unavailable if narrowed is None else narrowed
        self.deadline: float | None = None
        self.delay = 0.01
        self.resends = 0
        self.read_resent = False

    def backoff(self, exc: BaseException) -> float:
        """Seconds to wait before the next try, or :class:`ServerUnavailable` once the window
        is spent (raised from ``exc``)."""
        now = time.monotonic()
        if self.deadline is None:
            self.deadline = now + self.window
        if now >= self.deadline:
            raise _unavailable(exc, self.calls, self.window) from exc
        delay = min(self.delay, self.deadline - now)
        self.delay = min(self.delay * 2, 0.2)
        return delay

    def resend_read(self) -> bool:
        """A read whose connection broke in flight is resent once."""
        if self.read_resent or not all(c.readonly for c in self.calls):
            return False
        self.read_resent = True
        return True

    def after(self, replies: list[Any], use_sha: bool, cluster: bool, pinned: bool) -> int:
        """What to do with a round trip's ``replies`` (of ``self.calls`` only)."""
        if use_sha and len(self.calls) == 1 and _is_noscript(replies[0]):
            return self.NO_SHA  # the script did not run: resend its source
        if pinned or not replies or not all(isinstance(r, _NOT_EXECUTED) for r in replies):
            return self.RETURN
        if isinstance(replies[0], rexc.MovedError):
            self.resends += 1  # the new owner is known at once; a few tries absorb a race
            return self.REFRESH if self.resends <= 5 else self.RETURN
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return self.RETURN  # translate() reports the refusal as ServerUnavailable
        return self.REFRESH_WAIT if cluster else self.WAIT


def _waited(replies: list[Any], calls: Sequence[Call], wanted: Any) -> list[Any]:
    """Strip the ``WAIT`` reply; raise :class:`NotReplicated` (carrying the replies) if too few
    replicas acknowledged a write that succeeded."""
    acked, replies = replies[-1], replies[:-1]
    if any(isinstance(r, Exception) for r in replies):
        return replies  # the write failed: its own error says more than WAIT's count
    got = acked if isinstance(acked, int) else 0
    if got < wanted.replicas:
        error = _not_replicated(calls, wanted, got)
        error.replies = replies
        raise error
    return replies


_REFRESH = object()  # a recovery step: reload the Cluster slot map
BATCH = 512  # requests per pipeline when concurrent asyncio calls are sent together
_BLOCKING = frozenset({b"BLPOP", b"BRPOP", b"BLMOVE", b"BRPOPLPUSH", b"BZPOPMIN", b"BZPOPMAX",
                       b"BLMPOP", b"BZMPOP", b"XREAD", b"XREADGROUP", b"WAIT", b"WAITAOF"})


def _blocks(calls: Sequence[Call]) -> bool:
    """Whether a request may hold its connection waiting (it must not delay others' replies)."""
    for c in calls:
        if c.script is None and c.args:
            name = c.args[0]
            name = name.upper().encode() if isinstance(name, str) else bytes(name).upper()
            if name in _BLOCKING:
                return True
    return False


def _clean(replies: list[Any], n: int) -> bool:
    """No reply of the first ``n`` (the caller's calls) is an error: nothing to decide."""
    for i in range(n):
        if isinstance(replies[i], Exception):
            return False
    return True


def _with_wait(calls: Sequence[Call]) -> tuple[Sequence[Call], Any]:
    """``calls``, followed by ``WAIT`` when a durability is in effect and they write."""
    wanted = durability.current()
    if wanted is None or all(c.readonly for c in calls):
        return calls, None
    return [*calls, Call(("WAIT", wanted.replicas, wanted.timeout_ms))], wanted


def _recovery(
    calls: Sequence[Call], use_sha: bool, pin: Pin | None, wanted: Any, cluster: bool,
    outcome: Any,
) -> Generator[Any, Any, list[Any]]:
    """The retry rules, written once for both executors (the module docstring states them).

    Started with the ``outcome`` of a first round trip that was not clean (replies holding an
    error, or the exception that stopped it), it yields what the executor must do: ``_REFRESH``
    (reload the slot map), a ``float`` (sleep that long) or a ``bool`` (another round trip with
    ``use_sha`` so; its outcome is sent back).  It returns the replies to hand to the caller or
    raises :class:`ConnectionLost` / :class:`ServerUnavailable` / :class:`NotReplicated`.
    """
    attempts = _Attempts(calls)
    pinned = pin is not None
    while True:
        if isinstance(outcome, _Unreached):  # nothing was sent
            delay = attempts.backoff(outcome)
            yield _REFRESH
            yield delay
        elif isinstance(outcome, BaseException):  # broken with the request in flight
            if pinned or not attempts.resend_read():
                raise _lost(outcome, calls) from outcome
        else:
            step = attempts.after(outcome[: len(calls)], use_sha, cluster, pinned)
            if step == _Attempts.RETURN:
                return _waited(outcome, calls, wanted) if wanted is not None else outcome
            if step == _Attempts.NO_SHA:
                use_sha = False
            if step in (_Attempts.WAIT, _Attempts.REFRESH_WAIT):
                yield attempts.backoff(outcome[0])
            if step in (_Attempts.REFRESH, _Attempts.REFRESH_WAIT):
                yield _REFRESH
        outcome = yield use_sha


class _SlotRouting:
    """Cluster slot checks shared by both executors."""

    client: Any
    is_cluster: bool

    def slot_of(self, keys: Sequence[str]) -> int | None:
        if not self.is_cluster or not keys:
            return None
        slots = {self.client.keyslot(k) for k in keys}
        if len(slots) > 1:
            raise CrossSlotError(
                f"keys {tuple(keys)!r} live in different Redis Cluster slots; one atomic operation "
                "needs keys that share a hash tag (e.g. '{user:1}:a' and '{user:1}:b')",
                keys=tuple(keys),
            )
        return slots.pop()


class SyncExecutor(_SlotRouting):
    """Runs requests on a ``redis.Redis`` or ``redis.cluster.RedisCluster`` client."""

    def __init__(self, client: Any):
        self.client = client
        self.is_cluster: bool = isinstance(client, RedisCluster)
        self._free: dict[Any, list[Any]] = {}
        self._pid = os.getpid()

    def _pool(self, keys: Sequence[str]) -> tuple[Any, Any]:
        """The pool to connect with and the name of its free list."""
        if not self.is_cluster:
            return self.client.connection_pool, None
        self.slot_of(keys)
        try:
            node = self.client.get_node_from_key(keys[0]) if keys else self.client.get_random_node()
        except (rexc.RedisClusterException, rexc.ClusterError) as exc:  # slot not covered now
            raise _Unreached(str(exc)) from exc
        return self.client.get_redis_connection(node).connection_pool, node.name

    def _acquire(self, keys: Sequence[str]) -> tuple[Any, Any]:
        """A connected connection for ``keys`` and the free list it goes back to; raises
        :class:`_Unreached` when no connection can be made (nothing was sent)."""
        if os.getpid() != self._pid:  # forked: the parent's sockets are not ours
            self._free, self._pid = {}, os.getpid()
        pool, name = self._pool(keys)
        free = self._free.setdefault(name, [])
        try:
            conn = free.pop()
        except IndexError:
            conn = pool.connection_class(**pool.connection_kwargs)
        try:
            if not conn.is_connected:
                conn.connect()
            stale = conn.can_read()  # unread data or a closed socket: start afresh
        except (rexc.ConnectionError, rexc.TimeoutError, OSError):
            stale = True
        if stale:
            conn.disconnect()
            try:
                conn.connect()
            except _FATAL_CONNECT:
                raise
            except (rexc.ConnectionError, rexc.TimeoutError, OSError) as exc:
                conn.disconnect()
                free.append(conn)
                raise _Unreached(str(exc)) from exc
        return conn, free

    def _checkout(self, keys: Sequence[str], pin: Pin | None) -> tuple[Any, Any]:
        if pin is None:
            return self._acquire(keys)
        if pin.key is None and keys:
            pin.key = keys[0]
        self.slot_of([pin.key, *keys] if pin.key is not None else keys)
        if pin.conn is None:
            pin.conn, pin.owner = self._acquire(keys)
        return pin.conn, None

    def _refresh(self) -> None:
        """Reload the Cluster slot map (a failover or resharding moved a slot)."""
        if self.is_cluster:
            try:
                self.client.nodes_manager.initialize()
            except (rexc.RedisError, rexc.RedisClusterException, OSError):
                pass  # no node answered: the next try says so

    def _roundtrip(self, conn: Any, calls: Sequence[Call], use_sha: bool) -> list[Any]:
        conn.send_packed_command(pack(conn, calls, use_sha))
        replies: list[Any] = []
        for _ in calls:
            try:
                replies.append(conn.read_response(disable_decoding=True))
            except (rexc.ResponseError, rexc.BusyLoadingError) as exc:  # replies, not breakage
                replies.append(exc)
        return replies

    def _exchange(self, keys: Sequence[str], sent: Sequence[Call], use_sha: bool,
                  pin: Pin | None) -> Any:
        """One round trip: the replies, or the exception that stopped it (returned, not raised:
        :func:`_recovery` decides)."""
        try:
            conn, free = self._checkout(keys, pin)
        except _Unreached as exc:
            return exc
        try:
            return self._roundtrip(conn, sent, use_sha)
        except (rexc.ConnectionError, rexc.TimeoutError, OSError) as exc:
            conn.disconnect()
            return exc
        finally:
            if free is not None:
                free.append(conn)

    def execute(
        self, calls: Sequence[Call], use_sha: bool = True, pin: Pin | None = None
    ) -> list[Any]:
        """One round trip for ``calls``; replies in order, error replies as exception objects.

        With ``pin`` (a transaction) every call uses the pinned connection and nothing that may
        have run is resent.  What is retried is decided once, by :func:`_recovery`, for both
        faces; this method only performs its requests.
        """
        keys = calls[0].keys if len(calls) == 1 else _flatten(calls)
        sent, wanted = _with_wait(calls)
        outcome = self._exchange(keys, sent, use_sha, pin)
        if outcome.__class__ is list and _clean(outcome, len(calls)):
            return outcome if wanted is None else _waited(outcome, calls, wanted)
        recovery = _recovery(calls, use_sha, pin, wanted, self.is_cluster, outcome)
        try:
            request = next(recovery)
            while True:
                if request is _REFRESH:
                    self._refresh()
                    request = next(recovery)
                elif request.__class__ is float:
                    time.sleep(request)
                    request = next(recovery)
                else:
                    request = recovery.send(self._exchange(keys, sent, request, pin))
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    def release(self, pin: Pin, broken: bool = False) -> None:
        """Give a transaction's connection back (disconnecting it if its state is unknown)."""
        if pin.conn is None:
            return
        if broken:
            pin.conn.disconnect()
        pin.owner.append(pin.conn)
        pin.conn = pin.owner = None


class _AsyncPool:
    """vermilion's connections to one server in one event loop: at most ``limit`` exist; a
    caller beyond waits (FIFO) for one to be released, at most ``timeout`` seconds (``None``:
    until one is; every checked-out connection comes back when its round trip ends)."""

    __slots__ = ("make", "limit", "timeout", "free", "count", "waiters")

    def __init__(self, make: Any, limit: int, timeout: float | None):
        self.make = make
        self.limit = max(1, limit)
        self.timeout = timeout
        self.free: list[Any] = []
        self.count = 0
        self.waiters: collections.deque[asyncio.Future[Any]] = collections.deque()

    async def get(self) -> Any:
        if self.free:
            return self.free.pop()
        if self.count < self.limit:
            self.count += 1
            return self.make()
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            if self.timeout is None:
                return await waiter
            return await asyncio.wait_for(waiter, self.timeout)
        except asyncio.TimeoutError:
            raise rexc.ConnectionError(
                f"no connection available within {self.timeout} s "
                f"({self.limit} in use; the pool's max_connections)"
            ) from None
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.put(waiter.result())  # handed over as we were cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self.waiters.remove(waiter)
            raise

    def put(self, conn: Any) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self.free.append(conn)

    async def close(self) -> None:
        free, self.free = self.free, []
        for conn in free:
            with contextlib.suppress(Exception):
                await conn.disconnect()


_UNSET_MAX = 2**31  # redis-py's "no limit" default for max_connections


class AsyncExecutor(_SlotRouting):
    """Runs requests on a ``redis.asyncio.Redis`` or ``redis.asyncio.cluster.RedisCluster``.

    Connections are bounded per server (the smaller of the client pool's ``max_connections``
    and ``configure(async_connections=...)``, 64 by default; a ``BlockingConnectionPool``'s
    ``timeout`` bounds the wait), reused, and closed when the event loop shuts down
    (``asyncio.run``'s end) or by :meth:`aclose`.
    """

    def __init__(self, client: Any):
        self.client = client
        self.is_cluster: bool = isinstance(client, AsyncRedisCluster)
        self._pools: dict[Any, _AsyncPool] = {}
        self._loop: Any = None
        self._closer: Any = None
        self._busy = 0  # requests of this executor in flight (direct or pipelined)
        self._pending: list[tuple[Sequence[Call], bool, asyncio.Future[Any]]] = []
        self._flush_scheduled = False
        self._flushes: set[asyncio.Task[None]] = set()

    async def _bind(self) -> None:
        """First use in this event loop: fresh pools, closed when the loop shuts down."""
        self._pools = {}
        self._busy, self._pending, self._flush_scheduled = 0, [], False
        self._loop = asyncio.get_running_loop()
        self._closer = self._close_at_shutdown()
        await self._closer.__anext__()

    async def _close_at_shutdown(self) -> AsyncIterator[None]:
        # the loop finalises live async generators at shutdown (shutdown_asyncgens)
        try:
            yield
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Close every idle connection vermilion opened for this client."""
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.close()

    def _pool(self, name: Any, cls: Any, kwargs: dict[str, Any], limit: int, timeout: Any) -> _AsyncPool:
        pool = self._pools.get(name)
        if pool is None:
            limit = min(limit or _UNSET_MAX, settings.async_connections)
            pool = self._pools[name] = _AsyncPool(lambda: cls(**kwargs), limit, timeout)
        return pool

    async def _acquire(self, keys: Sequence[str]) -> tuple[Any, Any]:
        """A connected connection and its pool; :class:`_Unreached` if none can be made."""
        if not self.is_cluster:
            cp = self.client.connection_pool
            pool = self._pools.get(None) or self._pool(
                None, cp.connection_class, cp.connection_kwargs, cp.max_connections,
                getattr(cp, "timeout", None),
            )
        else:
            if self.client._initialize:
                try:
                    await self.client.initialize()
                except (rexc.RedisError, rexc.RedisClusterException, OSError) as exc:
                    raise _Unreached(str(exc)) from exc
            self.slot_of(keys)
            try:
                node = (
                    self.client.get_node_from_key(keys[0]) if keys else self.client.get_random_node()
                )
            except (rexc.RedisClusterException, rexc.ClusterError) as exc:
                raise _Unreached(str(exc)) from exc
            pool = self._pools.get(node.name) or self._pool(
                node.name, node.connection_class, node.connection_kwargs,
                node.max_connections, None,
            )
        conn = await pool.get()
        try:
            stale = not conn.is_connected or await conn.can_read()
        except (rexc.ConnectionError, rexc.TimeoutError, OSError):
            stale = True
        except BaseException:
            pool.put(conn)
            raise
        if stale:
            try:
                await conn.disconnect()
                await conn.connect()
            except _FATAL_CONNECT:
                pool.put(conn)
                raise
            except (rexc.ConnectionError, rexc.TimeoutError, OSError) as exc:
                await conn.disconnect()
                pool.put(conn)
                raise _Unreached(str(exc)) from exc
            except BaseException:
                await conn.disconnect()
                pool.put(conn)
                raise
        return conn, pool

    async def _release(self, conn: Any, owner: Any) -> None:
        owner.put(conn)

    async def _checkout(self, keys: Sequence[str], pin: Pin | None) -> tuple[Any, Any]:
        if pin is None:
            return await self._acquire(keys)
        if pin.key is None and keys:
            pin.key = keys[0]
        self.slot_of([pin.key, *keys] if pin.key is not None else keys)
        if pin.conn is None:
            pin.conn, pin.owner = await self._acquire(keys)
        return pin.conn, None

    async def _refresh(self) -> None:
        if self.is_cluster:
            try:
                await self.client.nodes_manager.initialize()
            except (rexc.RedisError, rexc.RedisClusterException, OSError):
                pass

    async def _roundtrip(self, conn: Any, calls: Sequence[Call], use_sha: bool) -> list[Any]:
        if not conn.is_connected:
            await conn.connect()
        await conn.send_packed_command(pack(conn, calls, use_sha))
        replies: list[Any] = []
        for _ in calls:
            try:
                replies.append(await conn.read_response(disable_decoding=True))
            except (rexc.ResponseError, rexc.BusyLoadingError) as exc:
                replies.append(exc)
        return replies

    async def _exchange(self, keys: Sequence[str], sent: Sequence[Call], use_sha: bool,
                        pin: Pin | None) -> Any:
        """One round trip: the replies, or the exception that stopped it; see
        :meth:`SyncExecutor._exchange`."""
        requests = _cancel_requests()
        try:
            conn, owner = await self._checkout(keys, pin)
        except _Unreached as exc:
            return exc
        try:
            replies = await self._roundtrip(conn, sent, use_sha)
        except (rexc.ConnectionError, rexc.TimeoutError, OSError) as exc:
            await conn.disconnect()
            return exc
        except BaseException:
            await conn.disconnect()  # cancelled mid-reply: the connection's state is unknown
            raise
        finally:
            if owner is not None:
                await self._release(conn, owner)
        if _cancel_requests() > requests:
            # redis-py 8.1 can swallow a cancellation while connecting or reading: honour it
            # as if it had been raised during the round trip
            raise asyncio.CancelledError
        return replies

    async def _batched(self, sent: Sequence[Call], use_sha: bool) -> Any:
        """The outcome of ``sent``, pipelined with the other requests started while this
        executor's earlier ones are in flight (one connection, one write, one read pass)."""
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((sent, use_sha, waiter))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_pending)
        return await waiter

    def _flush_pending(self) -> None:
        """Send what gathered in this loop iteration, :data:`BATCH` requests per pipeline."""
        self._flush_scheduled = False
        pending, self._pending = self._pending, []
        for i in range(0, len(pending), BATCH):
            task = asyncio.get_running_loop().create_task(self._flush(pending[i : i + BATCH]))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    async def _flush(self, batch: list[tuple[Sequence[Call], bool, asyncio.Future[Any]]]) -> None:
        live = [entry for entry in batch if not entry[2].done()]  # cancelled before sending
        if not live:
            return
        self._busy += 1
        try:
            outcome = await self._exchange_packed([(s, u) for s, u, _ in live])
        except BaseException as exc:  # noqa: BLE001 - every waiter gets it
            outcome = exc
        finally:
            self._busy -= 1
        at = 0
        for sent, _, waiter in live:
            if waiter.done():  # cancelled meanwhile: its reply was read and is dropped
                at += len(sent)
                continue
            if outcome.__class__ is list:
                waiter.set_result(outcome[at : at + len(sent)])
            elif isinstance(outcome, Exception):
                waiter.set_result(outcome)  # each caller's own recovery decides
            else:
                waiter.set_exception(outcome)
            at += len(sent)

    async def _exchange_packed(self, entries: list[tuple[Sequence[Call], bool]]) -> Any:
        """One round trip for several callers' requests (each packed with its own EVALSHA/EVAL
        choice); replies in order, or the exception that stopped it."""
        try:
            conn, pool = await self._acquire(())
        except _Unreached as exc:
            return exc
        n = sum(len(sent) for sent, _ in entries)
        try:
            if _hiredis_pack is not None:
                data = b"".join([_hiredis_pack(c.wire(u)) for sent, u in entries for c in sent])
                await conn.send_packed_command([data])
            else:  # pragma: no cover
                await conn.send_packed_command(
                    conn.pack_commands([c.wire(u) for sent, u in entries for c in sent]))
            replies: list[Any] = []
            for _ in range(n):
                try:
                    replies.append(await conn.read_response(disable_decoding=True))
                except (rexc.ResponseError, rexc.BusyLoadingError) as exc:
                    replies.append(exc)
            return replies
        except (rexc.ConnectionError, rexc.TimeoutError, OSError) as exc:
            await conn.disconnect()
            return exc
        except BaseException:
            await conn.disconnect()
            raise
        finally:
            pool.put(conn)

    async def execute(
        self, calls: Sequence[Call], use_sha: bool = True, pin: Pin | None = None
    ) -> list[Any]:
        """One round trip for ``calls``; see :meth:`SyncExecutor.execute`.

        While earlier requests of this executor are in flight, a new one that can share a
        connection (not in a transaction, not blocking, not waiting for replicas, not on
        Cluster) joins the others started in the same event-loop iteration in one pipeline:
        ``asyncio.gather`` of many calls costs a few round trips on a few connections.
        """
        if self._loop is not asyncio.get_running_loop():
            await self._bind()  # before anything of this loop is pending
        keys = calls[0].keys if len(calls) == 1 else _flatten(calls)
        sent, wanted = _with_wait(calls)
        if (self._busy and pin is None and wanted is None and not self.is_cluster
                and not _blocks(calls)):
            outcome = await self._batched(sent, use_sha)
        else:
            self._busy += 1
            try:
                exchange = self._exchange(keys, sent, use_sha, pin)
                outcome = await (exchange if _TASKS_COUNT_CANCELS else _shielded(exchange))
            finally:
                self._busy -= 1
        if outcome.__class__ is list and _clean(outcome, len(calls)):
            return outcome if wanted is None else _waited(outcome, calls, wanted)
        recovery = _recovery(calls, use_sha, pin, wanted, self.is_cluster, outcome)
        try:
            request = next(recovery)
            while True:
                if request is _REFRESH:
                    await self._refresh()
                    request = next(recovery)
                elif request.__class__ is float:
                    await asyncio.sleep(request)
                    request = next(recovery)
                else:
                    exchange = self._exchange(keys, sent, request, pin)
                    request = recovery.send(
                        await (exchange if _TASKS_COUNT_CANCELS else _shielded(exchange)))
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    async def release(self, pin: Pin, broken: bool = False) -> None:
        if pin.conn is None:
            return
        if broken:
            await pin.conn.disconnect()
        await self._release(pin.conn, pin.owner)
        pin.conn = pin.owner = None
