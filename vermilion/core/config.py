"""Configuration: which Redis the objects talk to, and with which codec.

Resolution order for an object's client: its own ``client=``, else :func:`configure`'s ``client``
or ``url``, else the ``VERMILION_URL`` environment variable, else ``redis://localhost:6379/0``.

URL schemes: ``redis://``, ``rediss://user:pass@host`` (TLS/ACL), ``unix://``; ``redis+cluster://``
(or ``rediss+cluster://``) for Redis Cluster; ``embedded://`` starts a private redis-server for
this process (see :mod:`vermilion.server`).  Clients vermilion creates never retry a command on
their own (redis-py retries by default), so a timed-out write is never applied twice.
"""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from typing import Any

import redis
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry

from .codec import DEFAULT_CODEC, Codec
from .durability import Durability
from .durability import set_default as set_default_durability
from .errors import ConfigurationError
from .executor import AsyncExecutor, SyncExecutor
from .executor import settings as executor_settings

DEFAULT_URL = "redis://localhost:6379/0"


class _State:
    def __init__(self) -> None:
        self.url: str | None = None
        self.client: Any = None
        self.codec: Codec = DEFAULT_CODEC
        self.sync_client: Any = None
        self.async_clients: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self.embedded: Any = None
        self.lock = threading.Lock()


_state = _State()


_UNSET: Any = object()


def configure(
    url: str | None = None,
    *,
    client: Any = None,
    codec: Codec | None = None,
    durability: Durability | None = _UNSET,
    retry_unavailable: float | None = None,
) -> None:
    """Set the default Redis (by ``url`` or a ready redis-py ``client``) and the default codec.

    ``client`` may be a ``redis.Redis``, ``redis.cluster.RedisCluster`` or their asyncio
    counterparts; the other face is derived from ``url`` when one is given.  A call that gives
    neither ``url`` nor ``client`` but other settings keeps the current connection settings;
    ``configure()`` with no argument goes back to ``VERMILION_URL``.

    ``durability=Durability(replicas, timeout)`` makes every write wait for that many replicas
    (``WAIT``, pipelined: no extra round trip; ``None`` turns it off); see
    :mod:`vermilion.core.durability`.  ``retry_unavailable`` is how many seconds a request Redis
    provably did not run (refused connection, ``LOADING``, Cluster failover) keeps being retried
    before :class:`~vermilion.ServerUnavailable` (default 2; 0 fails at once).
    """
    if retry_unavailable is not None:
        if isinstance(retry_unavailable, bool) or not isinstance(retry_unavailable, (int, float)):
            raise TypeError(f"retry_unavailable must be a number of seconds, not {retry_unavailable!r}")
        if retry_unavailable < 0:
            raise ValueError("retry_unavailable must be >= 0")
        executor_settings.retry_unavailable = float(retry_unavailable)
    if durability is not _UNSET:
        if durability is not None and not isinstance(durability, Durability):
            raise TypeError("durability must be a vermilion.Durability or None")
        set_default_durability(durability)
    settings_only = url is None and client is None and (
        codec is not None or durability is not _UNSET or retry_unavailable is not None
    )
    if settings_only:  # configure(codec=...) or durability=... keeps the connection
        if codec is not None:
            _state.codec = codec
        return
    with _state.lock:
        _state.url = url
        _state.client = client
        _state.sync_client = None
        _state.async_clients = weakref.WeakKeyDictionary()
        if codec is not None:
            _state.codec = codec


def default_codec() -> Codec:
    return _state.codec


def current_url() -> str:
    return _state.url or os.environ.get("VERMILION_URL") or DEFAULT_URL


def _no_retry() -> Retry:
    return Retry(NoBackoff(), 0)


def _resolve_url(url: str) -> tuple[str, bool]:
    """Return (redis-py URL, is_cluster), starting the embedded server for ``embedded://``."""
    if url.startswith("embedded://"):
        if _state.embedded is None:
            from ..server import EmbeddedServer

            _state.embedded = EmbeddedServer()
        return _state.embedded.url, False
    for scheme in ("redis+cluster://", "rediss+cluster://"):
        if url.startswith(scheme):
            return url.replace("+cluster", "", 1), True
    return url, False


CONNECT_TIMEOUT = 5.0  # seconds; a URL's socket_connect_timeout= overrides it


def client_from_url(url: str, *, asyncio_: bool = False) -> Any:
    """A redis-py client for ``url`` configured the way vermilion needs: no command retries
    (vermilion retries only what provably did not run), and a connect timeout so an unreachable
    host fails within seconds rather than the OS's minutes."""
    real, cluster = _resolve_url(url)
    if cluster:
        cls: Any = AsyncRedisCluster if asyncio_ else RedisCluster
        return cls.from_url(real, retry=_no_retry(), socket_connect_timeout=CONNECT_TIMEOUT)
    mod: Any = aioredis if asyncio_ else redis
    return mod.Redis.from_url(real, retry=_no_retry(), socket_connect_timeout=CONNECT_TIMEOUT)


def _is_async(client: Any) -> bool:
    return isinstance(client, (aioredis.Redis, AsyncRedisCluster))


def sync_client() -> Any:
    if _state.client is not None and not _is_async(_state.client):
        return _state.client
    if _state.sync_client is None:
        if _state.client is not None and _state.url is None:
            raise ConfigurationError(
                "vermilion was configured with an asyncio client only; "
                "pass url= too, or a sync client= to the object"
            )
        with _state.lock:
            if _state.sync_client is None:
                _state.sync_client = client_from_url(current_url())
    return _state.sync_client


def async_client() -> Any:
    """The default asyncio client of the running event loop (one per loop)."""
    if _state.client is not None and _is_async(_state.client):
        return _state.client
    if _state.client is not None and _state.url is None:
        raise ConfigurationError(
            "vermilion was configured with a sync client only; pass url= too, "
            "or an asyncio client= to the object"
        )
    loop = asyncio.get_running_loop()
    client = _state.async_clients.get(loop)
    if client is None:
        client = _state.async_clients[loop] = client_from_url(current_url(), asyncio_=True)
    return client


def sync_executor(client: Any) -> SyncExecutor:
    ex = getattr(client, "_vermilion_executor", None)
    if ex is None:
        if _is_async(client):
            raise ConfigurationError("a sync vermilion object needs a sync redis client")
        ex = SyncExecutor(client)
        client._vermilion_executor = ex
    return ex  # type: ignore[no-any-return]


def async_executor(client: Any) -> AsyncExecutor:
    ex = getattr(client, "_vermilion_executor", None)
    if ex is None:
        if not _is_async(client):
            raise ConfigurationError("a vermilion.aio object needs an asyncio redis client")
        ex = AsyncExecutor(client)
        client._vermilion_executor = ex
    return ex  # type: ignore[no-any-return]
