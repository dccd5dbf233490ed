"""Executors: send requests to Redis on a redis-py connection and read raw replies.

This is the only module that does I/O.  It uses redis-py for the protocol (connections, pools,
the hiredis parser, cluster topology) but bypasses ``execute_command``'s per-call machinery:
one packed write and one read per round trip, replies left raw (bytes), ``disable_decoding`` on.

Retries: a call marked ``readonly`` is resent once on a broken connection; a write never is.  It
raises :class:`~vermilion.core.errors.ConnectionLost` instead, because it may have been applied.
A ``MOVED`` reply (cluster topology changed; nothing ran) refreshes the slot map and resends.
"""

from __future__ import annotations

import asyncio
import os
import queue
from collections.abc import Sequence
from typing import Any

from redis import exceptions as rexc
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster

from .calls import Call

try:  # redis[hiredis] is a dependency; the pure-Python packer is the fallback
    from hiredis import pack_command as _hiredis_pack
except ImportError:  # pragma: no cover
    _hiredis_pack = None  # type: ignore[assignment]
from .errors import ConnectionLost, CrossSlotError, ScriptError, WrongTypeError

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
    if not isinstance(exc, rexc.ResponseError):
        return exc
    msg = str(exc)
    key = call.keys[0] if call.keys else None
    if msg.startswith("VM "):
        _, name, text = (msg.split(" ", 2) + [""])[:3]
        text = text.split(" script:", 1)[0]
        cls = _PY_ERRORS.get(name)
        if cls is not None:
            return cls(text) if text else cls()
        if name == "WRONGTYPE":
            return WrongTypeError(f"{text} (key {key!r})", key=key, command=call.name)
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


def _lost(exc: Exception, calls: Sequence[Call]) -> ConnectionLost:
    first = calls[0] if calls else None
    key = first.keys[0] if first is not None and first.keys else None
    name = first.name if first is not None else "?"
    return ConnectionLost(
        f"connection lost during {name} on key {key!r}; the write may or may not have been "
        f"applied and was not resent ({exc})",
        key=key,
        command=name,
    )


def _cancel_requests() -> int:
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)  # Python >= 3.11
    return cancelling() if cancelling is not None else 0


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
        self.is_cluster = isinstance(client, RedisCluster)
        self._free: dict[int, list[Any]] = {}
        self._pid = os.getpid()

    def _pool(self, keys: Sequence[str]) -> Any:
        if not self.is_cluster:
            return self.client.connection_pool
        self.slot_of(keys)
        node = self.client.get_node_from_key(keys[0]) if keys else self.client.get_random_node()
        return self.client.get_redis_connection(node).connection_pool

    def _acquire(self, keys: Sequence[str]) -> tuple[Any, Any]:
        if os.getpid() != self._pid:  # forked: the parent's sockets are not ours
            self._free, self._pid = {}, os.getpid()
        pool = self._pool(keys)
        free = self._free.setdefault(id(pool), [])
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
            conn.connect()
        return conn, free

    def _roundtrip(self, conn: Any, calls: Sequence[Call], use_sha: bool) -> list[Any]:
        conn.send_packed_command(pack(conn, calls, use_sha))
        if len(calls) == 1:
            try:
                return [conn.read_response(disable_decoding=True)]
            except rexc.ResponseError as exc:
                return [exc]
        replies: list[Any] = []
        for _ in calls:
            try:
                replies.append(conn.read_response(disable_decoding=True))
            except rexc.ResponseError as exc:
                replies.append(exc)
        return replies

    def execute(
        self, calls: Sequence[Call], use_sha: bool = True, pin: Pin | None = None
    ) -> list[Any]:
        """One round trip for ``calls``; replies in order, error replies as exception objects.

        With ``pin`` (a transaction) every call uses the pinned connection and nothing is resent.
        """
        keys = _flatten(calls)
        replies: list[Any] = []
        for attempt in range(3):
            if pin is not None:
                if pin.key is None and keys:
                    pin.key = keys[0]
                self.slot_of([pin.key, *keys] if pin.key is not None else keys)
                if pin.conn is None:
                    pin.conn, pin.owner = self._acquire(keys)
                conn, pool = pin.conn, None
            else:
                conn, pool = self._acquire(keys)
            try:
                replies = self._roundtrip(conn, calls, use_sha)
            except (rexc.ConnectionError, rexc.TimeoutError, OSError) as exc:
                conn.disconnect()
                if pin is None and attempt == 0 and all(c.readonly for c in calls):
                    continue
                raise _lost(exc, calls) from exc
            finally:
                if pool is not None:
                    pool.append(conn)
            if use_sha and len(calls) == 1 and _is_noscript(replies[0]):
                use_sha = False  # the script did not run: resend its source
                continue
            if self.is_cluster and pin is None and any(
                isinstance(r, rexc.MovedError) for r in replies
            ):
                self.client.nodes_manager.initialize()  # nothing ran: refresh and resend
                continue
            return replies
        return replies

    def release(self, pin: Pin, broken: bool = False) -> None:
        """Give a transaction's connection back (disconnecting it if its state is unknown)."""
        if pin.conn is None:
            return
        if broken:
            pin.conn.disconnect()
        pin.owner.append(pin.conn)
        pin.conn = pin.owner = None


class AsyncExecutor(_SlotRouting):
    """Runs requests on a ``redis.asyncio.Redis`` or ``redis.asyncio.cluster.RedisCluster``."""

    def __init__(self, client: Any):
        self.client = client
        self.is_cluster = isinstance(client, AsyncRedisCluster)
        self._free: list[Any] = []

    async def _acquire(self, keys: Sequence[str]) -> tuple[Any, Any]:
        if not self.is_cluster:
            pool = self.client.connection_pool
            free = self._free
            try:
                conn = free.pop()
            except IndexError:
                conn = pool.connection_class(**pool.connection_kwargs)
            try:
                stale = not conn.is_connected or await conn.can_read()
            except (rexc.ConnectionError, rexc.TimeoutError, OSError):
                stale = True
            if stale:
                await conn.disconnect()
                await conn.connect()
            return conn, free
        if self.client._initialize:
            await self.client.initialize()
        self.slot_of(keys)
        node = (
            self.client.get_node_from_key(keys[0])
            if keys
            else self.client.get_random_node()
        )
        return node.acquire_connection(), node

    async def _release(self, conn: Any, owner: Any) -> None:
        if self.is_cluster:
            owner.release(conn)
        else:
            owner.append(conn)

    async def _roundtrip(self, conn: Any, calls: Sequence[Call], use_sha: bool) -> list[Any]:
        if not conn.is_connected:
            await conn.connect()
        await conn.send_packed_command(pack(conn, calls, use_sha))
        replies: list[Any] = []
        for _ in calls:
            try:
                replies.append(await conn.read_response(disable_decoding=True))
            except rexc.ResponseError as exc:
                replies.append(exc)
        return replies

    async def execute(
        self, calls: Sequence[Call], use_sha: bool = True, pin: Pin | None = None
    ) -> list[Any]:
        """One round trip for ``calls``; see :meth:`SyncExecutor.execute`."""
        keys = _flatten(calls)
        replies: list[Any] = []
        requests = _cancel_requests()
        for attempt in range(3):
            if pin is not None:
                if pin.key is None and keys:
                    pin.key = keys[0]
                self.slot_of([pin.key, *keys] if pin.key is not None else keys)
                if pin.conn is None:
                    pin.conn, pin.owner = await self._acquire(keys)
                conn, owner = pin.conn, None
            else:
                conn, owner = await self._acquire(keys)
            try:
                replies = await self._roundtrip(conn, calls, use_sha)
            except (rexc.ConnectionError, rexc.TimeoutError, OSError) as exc:
                await conn.disconnect()
                if pin is None and attempt == 0 and all(c.readonly for c in calls):
                    continue
                raise _lost(exc, calls) from exc
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
            if use_sha and len(calls) == 1 and _is_noscript(replies[0]):
                use_sha = False
                continue
            if self.is_cluster and pin is None and any(
                isinstance(r, rexc.MovedError) for r in replies
            ):
                await self.client.nodes_manager.initialize()
                continue
            return replies
        return replies

    async def release(self, pin: Pin, broken: bool = False) -> None:
        if pin.conn is None:
            return
        if broken:
            await pin.conn.disconnect()
        await self._release(pin.conn, pin.owner)
        pin.conn = pin.owner = None
