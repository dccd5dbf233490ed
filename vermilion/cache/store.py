"""The cache core: get-or-compute with leases, invalidation by tag, counters; written once.

A :class:`Store` is one cache *namespace* on one Redis.  Every key of a namespace shares one
hash tag (``vm:cache:{<namespace>}:...``), so each step is one Lua script in one slot, on a
single Redis and on Redis Cluster alike (a namespace lives on one shard; use several namespaces
to spread a large cache).

How an entry stays correct (Facebook's memcache *leases*, with invalidation sequence numbers
instead of deletes so that tags need no ``SCAN`` and no list of members):

* A read that misses takes a short **lease** (one caller per key, across processes and
  machines, computes the value; the others wait for it) and reads the namespace's invalidation
  sequence number ``seq0`` **before** it computes.
* An invalidation of tags increments the sequence and records, per tag, the number it got.
* A fill is stored only if none of its tags was invalidated after ``seq0``: a slow reader that
  read the old row before an update can never write it back after the update's invalidation.
* A hit is returned only if none of its tags was invalidated after its ``seq0`` (and each tag's
  record still exists, so an evicted record means a miss, never a stale hit).

Round trips: a hit 1; a miss 2 (the lease, then the fill) plus the computation; an
invalidation 1; a waiter 1 per look (it looks again after 2, 4, ... 50 ms, until the value is
there or the lease is free again: a lease expires, so no wait is endless).

When Redis cannot be reached the computation runs uncached (a :class:`CacheBypassWarning`,
the ``bypassed`` counter), unless the store is ``strict``; for ``retry_after`` seconds after such
a failure Redis is not tried again.  An entry that cannot be decoded (foreign or corrupted data)
is a miss and is overwritten (logged, the ``foreign`` counter).  A hit writes nothing (its
count goes to Redis with the process's next miss): one script doing one ``GET`` and one ``MGET``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from redis import exceptions as rexc

from ..core import config
from ..core.calls import Call, Compute, Op, Operation, Sleep, run_script
from ..core.errors import ConnectionLost, OutOfMemory, ServerUnavailable
from ..core.executor import unavailable_window
from ..core.runner import run_async, run_sync
from ..core.scripts import load_script

T = TypeVar("T")
log: logging.Logger = logging.getLogger("vermilion.cache")

_GET = load_script("cache_get", "vermilion.cache")
_FILL = load_script("cache_fill", "vermilion.cache")
_INVALIDATE = load_script("cache_invalidate", "vermilion.cache")
_RELEASE = load_script("cache_release", "vermilion.cache")

HIT, WAIT, NEGATIVE = 1, 2, 3
_tokens = itertools.count()
_token_prefix = [os.urandom(8).hex()]


def _new_token_prefix() -> None:
    _token_prefix[0] = os.urandom(8).hex()


os.register_at_fork(after_in_child=_new_token_prefix)


def _token() -> str:
    """A lease token unique across processes and machines (a random per-process prefix, renewed
    in a forked child, and a counter)."""
    return f"{_token_prefix[0]}{next(_tokens)}"
SEP = "\x1f"

#: Errors that mean "Redis cannot serve the cache now": the call falls back to the database.
UNREACHABLE: tuple[type[BaseException], ...] = (
    ServerUnavailable, ConnectionLost, OutOfMemory, rexc.ConnectionError, rexc.TimeoutError,
    ConnectionError, TimeoutError,
)

REDIS_COUNTERS = ("hits", "negative_hits", "misses", "waits", "fills", "refused", "foreign",
                  "invalidations")
LOCAL_COUNTERS = ("bypassed", "invalidations_failed", "decode_errors")


class CacheBypassWarning(RuntimeWarning):
    """Redis could not be reached: the call was answered by the database, uncached (or an
    invalidation could not be sent: entries of its tags stay until they expire)."""


class NotFound:
    """The "no row" result a computation returns so that it is cached negatively."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_FOUND"


NOT_FOUND = NotFound()


def to_ms(value: float | dt.timedelta | None, what: str) -> int | None:
    """Seconds (int / float) or a timedelta as milliseconds; ``None`` stays ``None``."""
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number of seconds or a timedelta, not {value!r}")
    else:
        seconds = float(value)
    if seconds <= 0:
        raise ValueError(f"{what} must be positive, not {value!r}")
    return max(1, int(round(seconds * 1000)))


def _text(reply: Any) -> str:
    return reply.decode() if isinstance(reply, bytes) else str(reply)


class Entry(Generic[T]):
    """How one cached value is read, computed and written: its key, its tags, its TTLs and its
    encoding.  ``compute()`` returns the value (or :data:`NOT_FOUND`); ``tags_of(value)`` the
    tags known only once the value is there (a row's primary key)."""

    __slots__ = ("key", "tags", "compute", "encode", "decode", "ttl_ms", "negative_ttl_ms",
                 "tags_of")

    def __init__(
        self,
        key: str,
        compute: Callable[[], Any],
        *,
        encode: Callable[[T], bytes | str],
        decode: Callable[[bytes | str], T],
        ttl_ms: int,
        tags: Sequence[str] = (),
        negative_ttl_ms: int | None = None,
        tags_of: Callable[[T], Iterable[str]] | None = None,
    ):
        self.key: str = escape(key)
        self.compute: Callable[[], Any] = compute
        self.encode: Callable[[T], bytes | str] = encode
        self.decode: Callable[[bytes | str], T] = decode
        self.ttl_ms: int = ttl_ms
        self.negative_ttl_ms: int | None = negative_ttl_ms
        self.tags: tuple[str, ...] = tuple(tags)
        self.tags_of: Callable[[T], Iterable[str]] | None = tags_of


class StoreBase:
    """One cache namespace: the operations, written once as generators (see the module
    docstring).  :class:`Store` runs them synchronously, :class:`AsyncStore` on asyncio."""

    _face = "base"

    def __init__(
        self,
        namespace: str = "default",
        *,
        client: Any = None,
        lease: float | dt.timedelta = 10.0,
        fill_window: float | dt.timedelta = 60.0,
        strict: bool = False,
        retry_after: float = 1.0,
        retry_unavailable: float = 0.0,
        hold_client: bool = True,
    ):
        if not isinstance(namespace, str) or not namespace:
            raise TypeError(f"a cache namespace must be a non-empty str, not {namespace!r}")
        for ch in "{}\n\x1f":
            if ch in namespace:
                raise ValueError(f"a cache namespace cannot contain {ch!r}: {namespace!r}")
        self.namespace: str = namespace
        self.prefix: str = f"vm:cache:{{{namespace}}}"
        self.lease_ms: int = to_ms(lease, "lease")  # type: ignore[assignment]
        self.window_ms: int = to_ms(fill_window, "fill_window")  # type: ignore[assignment]
        if self.window_ms < self.lease_ms:
            raise ValueError("fill_window must be at least the lease")
        self.strict = strict
        self.retry_after = retry_after
        self.retry_unavailable = retry_unavailable
        self._hold = hold_client
        self._client = client
        self._down_until = 0.0
        self._pending: list[str] = []  # tags whose invalidation could not be sent yet
        self._local = dict.fromkeys(LOCAL_COUNTERS, 0)
        self._unsent = (0, 0)  # hits and negative hits not yet added to the Redis counters
        self._lock = threading.Lock()
        self._seq_key = f"{self.prefix}:seq"
        self._stats_key = f"{self.prefix}:stats"
        self._tag_prefix = f"{self.prefix}:t:"
        self._entry_prefix = f"{self.prefix}:e:"

    def __repr__(self) -> str:
        return f"<{type(self).__module__.split('.')[0]}.cache.{type(self).__name__} {self.namespace!r}>"

    @property
    def _client(self) -> Any:
        """The client given, or ``None`` for vermilion's configured one.  The stores
        :func:`~vermilion.cache.store_for` shares hold their client weakly (they live as long
        as it does)."""
        ref = self._client_ref
        if ref is None or self._hold:
            return ref
        client = ref()
        if client is None:
            from ..core.errors import ConfigurationError

            raise ConfigurationError(f"the client of cache namespace {self.namespace!r} was "
                                     "garbage collected; give the store a live client")
        return client

    @_client.setter
    def _client(self, client: Any) -> None:
        if client is None or self._hold:
            self._client_ref = client
        else:
            self._client_ref = weakref.ref(client)

    # -- keys -------------------------------------------------------------------------------
    def entry_key(self, key: str) -> str:
        return self._entry_prefix + key

    def _keys(self, key: str) -> list[str]:
        return [self._entry_prefix + key, f"{self.prefix}:l:{key}", self._seq_key, self._stats_key]

    # -- availability -----------------------------------------------------------------------
    def _available(self) -> bool:
        return self.strict or time.monotonic() >= self._down_until

    def _count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._local[name] += n

    def _hit(self, hits: int, negative: int) -> None:
        """Hits are counted here and sent with this store's next miss (a hit writes nothing)."""
        with self._lock:
            h, n = self._unsent
            self._unsent = (h + hits, n + negative)

    def _unreachable(self, exc: BaseException, doing: str) -> None:
        """Redis failed: remember it for ``retry_after`` seconds, warn, count (or raise)."""
        if self.strict:
            raise exc
        self._down_until = time.monotonic() + self.retry_after
        self._count("bypassed" if doing != "invalidate" else "invalidations_failed")
        warnings.warn(f"vermilion cache {self.namespace!r}: Redis unreachable while trying to "
                      f"{doing} ({type(exc).__name__}: {exc}); "
                      + ("answered by the database, uncached" if doing != "invalidate" else
                         "the invalidation is kept and sent again with the next call"),
                      CacheBypassWarning, stacklevel=4)

    # -- operations -------------------------------------------------------------------------
    def _flush_pending(self) -> Op[None]:
        if self._pending and self._available():
            with self._lock:
                tags, self._pending = self._pending, []
            try:
                yield self._invalidate_call(tags)
            except UNREACHABLE as exc:
                with self._lock:
                    self._pending[:0] = tags
                self._unreachable(exc, "invalidate")

    def get_or_compute(self, entry: Entry[T]) -> Op[T | NotFound]:
        """The value of ``entry``: from Redis when a fresh one is there (1 round trip), else
        computed by this caller under the lease and stored (2 round trips + the computation),
        or, while another caller holds the lease, the value it stores (a look every few ms).
        """
        if self._pending:
            yield from self._flush_pending()
        if not self._available():
            self._count("bypassed")
            return (yield Compute(entry.compute))  # type: ignore[no-any-return]
        keys = self._keys(entry.key)
        entry_key = keys[:1]
        token = _token()
        mode, delay = "first", 0.002
        try:
            while True:
                hits, negative = self._unsent
                reply = yield run_script(_GET, entry_key, [token, self.lease_ms, mode, hits,
                                                           negative])
                code = reply[0]
                if code == HIT:
                    try:
                        value = entry.decode(reply[1])
                        self._hit(1, 0)
                        return value
                    except Exception as exc:  # noqa: BLE001 - foreign or corrupted data: a miss
                        self._count("decode_errors")
                        log.warning("vermilion cache %r: entry %r cannot be decoded (%s: %s); "
                                    "treated as a miss and overwritten", self.namespace,
                                    entry.key, type(exc).__name__, exc)
                        mode = "force"
                        continue
                if code == NEGATIVE:
                    self._hit(0, 1)
                    return NOT_FOUND
                if code == WAIT:
                    pttl = int(reply[1])
                    yield Sleep(min(delay, max(pttl, 1) / 1000.0))
                    delay = min(delay * 2, 0.05)
                    mode = "again"
                    continue
                self._hit(-hits, -negative)  # the script added them to the counters
                seq0, t0 = _text(reply[1]), _text(reply[2])
                if _text(reply[3]) == "foreign":
                    log.warning("vermilion cache %r: key %r held data vermilion did not write; "
                                "treated as a miss and overwritten", self.namespace,
                                self.entry_key(entry.key))
                break
        except UNREACHABLE as exc:
            self._unreachable(exc, "read")
            return (yield Compute(entry.compute))  # type: ignore[no-any-return]
        try:
            value = yield Compute(entry.compute)
        except BaseException:
            try:
                yield run_script(_RELEASE, [keys[1]], [token])
            except UNREACHABLE:
                pass  # the lease expires by itself
            raise
        yield from self._fill(entry, keys, token, seq0, t0, value)
        return value  # type: ignore[no-any-return]

    def _fill(self, entry: Entry[Any], keys: list[str], token: str, seq0: str, t0: str,
              value: Any) -> Op[None]:
        payload: bytes | str | None
        if value is NOT_FOUND:
            if entry.negative_ttl_ms is None:
                flag, payload, ttl = "v", None, 0
            else:
                flag, payload, ttl = "n", b"", entry.negative_ttl_ms
        else:
            flag, payload, ttl = "v", entry.encode(value), entry.ttl_ms
        tags = [escape(t) for t in entry.tags]
        if entry.tags_of is not None:
            tags.extend(escape(t) for t in entry.tags_of(value))
        tags.append("k:" + entry.key)
        tags.append("*")
        try:
            if payload is None:  # nothing to store: give the lease back
                yield run_script(_RELEASE, [keys[1]], [token])
                return
            yield run_script(_FILL, keys, [self._tag_prefix, token, seq0, t0, self.window_ms,
                                           ttl, flag, SEP.join(tags), payload])
        except UNREACHABLE as exc:
            self._unreachable(exc, "store")

    def _invalidate_call(self, tags: Sequence[str]) -> Call:
        return run_script(_INVALIDATE, [self._seq_key, self._stats_key],
                          [self._tag_prefix, self._entry_prefix, self.window_ms, *tags])

    def invalidate_op(self, tags: Sequence[str]) -> Op[bool]:
        """Invalidate ``tags`` (1 round trip, atomic).  ``True`` when sent; when Redis cannot be
        reached the tags are kept and sent with this store's next call (``False``)."""
        with self._lock:  # tags are escaped here, where they meet Redis (pending ones already are)
            tags = [*self._pending, *(escape(t) for t in tags)]
            self._pending = []
        if not tags:
            return True
        if not self._available():
            with self._lock:
                self._pending[:0] = tags
            self._count("invalidations_failed")
            warnings.warn(f"vermilion cache {self.namespace!r}: Redis was unreachable less than "
                          f"{self.retry_after:g} s ago; the invalidation is kept and sent again "
                          "with the next call", CacheBypassWarning, stacklevel=3)
            return False
        try:
            yield self._invalidate_call(tags)
            return True
        except UNREACHABLE as exc:
            with self._lock:
                self._pending[:0] = tags
            self._unreachable(exc, "invalidate")
            return False

    def peek_op(self, key: str) -> Op[Any]:
        """The payload of a fresh value entry at ``key``, else ``None`` (1 round trip; no lease,
        no computation)."""
        reply = yield run_script(_GET, [self._entry_prefix + escape(key)],
                                 ["", self.lease_ms, "peek"])
        return reply[1] if int(reply[0]) == HIT else None

    def pend(self, tags: Sequence[str]) -> None:
        """Keep ``tags`` to be invalidated with this store's next call (used when a sync
        ``Session`` commits writes that only an asyncio store caches)."""
        with self._lock:
            self._pending.extend(escape(t) for t in tags)

    def stats_op(self) -> Op[dict[str, int]]:
        """The namespace's counters (Redis's, shared by every process, and this process's
        ``bypassed`` / ``invalidations_failed`` / ``decode_errors``); 1 round trip.  A hit
        writes nothing: each process adds its hits to Redis's counters with its next miss, so
        ``hits`` here is Redis's count plus this process's unsent ones."""
        reply = yield Call(("HGETALL", self._stats_key), (self._stats_key,), readonly=True)
        if isinstance(reply, dict):
            pairs: Any = reply.items()
        else:
            it = iter(reply or [])
            pairs = zip(it, it)
        counts = {_text(k): int(v) for k, v in pairs}
        out = {name: counts.get(name, 0) for name in REDIS_COUNTERS}
        with self._lock:
            out["hits"] += self._unsent[0]
            out["negative_hits"] += self._unsent[1]
            out.update(self._local)
        return out


class Store(StoreBase):
    """A cache namespace on the sync face (``client`` a redis-py ``Redis`` / ``RedisCluster``;
    default: vermilion's configured client)."""

    _face = "sync"

    def run(self, operation: Operation, name: str = "get") -> Any:
        """Run one of the operations above on this store's client (sync)."""
        client = self._client if self._client is not None else config.sync_client()
        token = unavailable_window.set(self.retry_unavailable)
        try:
            return run_sync(config.sync_executor(client), operation, False, f"cache.{name}")
        finally:
            unavailable_window.reset(token)

    def invalidate(self, tags: Iterable[str]) -> bool:
        """Invalidate ``tags`` (1 round trip); see :meth:`StoreBase.invalidate_op`."""
        return self.run(self.invalidate_op(_tag_list(tags)), "invalidate")  # type: ignore[no-any-return]

    def stats(self) -> dict[str, int]:
        return self.run(self.stats_op(), "stats")  # type: ignore[no-any-return]

    def clear(self) -> bool:
        """Make every entry of the namespace a miss (1 round trip): the invalidation of the
        ``*`` tag every entry carries."""
        return self.run(self.invalidate_op(["*"]), "clear")  # type: ignore[no-any-return]


class AsyncStore(StoreBase):
    """A cache namespace on the asyncio face (``client`` a ``redis.asyncio`` client; default:
    vermilion's configured client of the running loop)."""

    _face = "async"

    async def run(self, operation: Operation, name: str = "get") -> Any:
        """Run one of the operations above on this store's client (asyncio)."""
        client = self._client if self._client is not None else config.async_client()
        token = unavailable_window.set(self.retry_unavailable)
        try:
            return await run_async(config.async_executor(client), operation, False,
                                   f"cache.{name}")
        finally:
            unavailable_window.reset(token)

    async def invalidate(self, tags: Iterable[str]) -> bool:
        return await self.run(self.invalidate_op(_tag_list(tags)), "invalidate")  # type: ignore[no-any-return]

    async def stats(self) -> dict[str, int]:
        return await self.run(self.stats_op(), "stats")  # type: ignore[no-any-return]

    async def clear(self) -> bool:
        return await self.run(self.invalidate_op(["*"]), "clear")  # type: ignore[no-any-return]


def _tag_list(tags: Iterable[str]) -> list[str]:
    """``tags`` checked: a list of non-empty str (escaped later, by the store)."""
    if isinstance(tags, (str, bytes)):
        raise TypeError("tags must be an iterable of str (a list), not a single str")
    out = []
    for tag in tags:
        if not isinstance(tag, str) or not tag:
            raise TypeError(f"a tag must be a non-empty str, not {tag!r}")
        out.append(tag)
    return out


_ESCAPES = {"%": "%25", "\n": "%0A", "\x1f": "%1F"}


def escape(text: str) -> str:
    """``text`` made safe inside entry headers (no newline or separator): ``%`` escapes."""
    if any(ch in text for ch in _ESCAPES):
        return "".join(_ESCAPES.get(ch, ch) for ch in text)
    return text
