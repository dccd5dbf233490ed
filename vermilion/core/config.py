"""Configuration: which Redis the objects talk to, and with which codec.

One rule for the library, the CLI and child processes.  An object's client is its own
``client=``, else :func:`configure`'s ``url`` / ``client`` / redis-py keyword arguments, else the
``VERMILION_URL`` environment variable, else a private embedded ``redis-server`` started for this
process (``embedded://``, with a :class:`EmbeddedServerWarning`: its data goes with the process).
vermilion never falls back to ``localhost:6379``, a server you may not have meant.

Children reach the parent's Redis without configuring anything: :func:`configure` (and the
embedded server) export the URL in ``VERMILION_URL``, which processes started afterwards
(``spawn``, ``forkserver``, ``subprocess``) inherit; forked children share the state itself.
Pickled vermilion objects carry only their key and type, never a URL or credentials.

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

DEFAULT_URL = "embedded://"
ENV = "VERMILION_URL"


class EmbeddedServerWarning(UserWarning):
    """Nothing was configured, so vermilion started a private redis-server for this process."""


# The server package registers how ``embedded://`` starts a server (core never imports it).
embedded_factory: list[Any] = []


class _State:
    def __init__(self) -> None:
        self.url: str | None = None
        self.client: Any = None
        self.codec: Codec = DEFAULT_CODEC
        self.sync_client: Any = None
        self.async_clients: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self.embedded: Any = None
        self.kwargs: dict[str, Any] = {}
        self.original_env: str | None = os.environ.get(ENV)
        self.lock = threading.RLock()


_state = _State()


_UNSET: Any = object()


def configure(
    url: str | None = None,
    *,
    client: Any = None,
    codec: Codec | None = None,
    durability: Durability | None = _UNSET,
    retry_unavailable: float | None = None,
    async_connections: int | None = None,
    **redis_kwargs: Any,
) -> None:
    """Set the default Redis (by ``url`` or a ready redis-py ``client``) and the default codec.

    ``client`` may be a ``redis.Redis``, ``redis.cluster.RedisCluster`` or their asyncio
    counterparts; the other face is derived from ``url`` when one is given.  Other keyword
    arguments go to redis-py's client, as hot-redis did: ``configure(host="db", port=6380)``.
    A call that gives no connection but other settings keeps the current connection;
    ``configure()`` with no argument goes back to the environment's ``VERMILION_URL`` (or the
    embedded server).  The connection is exported in ``VERMILION_URL`` for child processes.

    ``durability=Durability(replicas, timeout)`` makes every write wait for that many replicas
    (``WAIT``, pipelined: no extra round trip; ``None`` turns it off); see
    :mod:`vermilion.core.durability`.  ``retry_unavailable`` is how many seconds a request Redis
    provably did not run (refused connection, ``LOADING``, Cluster failover) keeps being retried
    before :class:`~vermilion.ServerUnavailable` (default 2; 0 fails at once).
    ``async_connections`` caps the asyncio connections per server (default 64; a client pool's
    smaller ``max_connections`` wins): concurrent calls beyond it wait for a free connection.
    """
    if retry_unavailable is not None:
        if isinstance(retry_unavailable, bool) or not isinstance(retry_unavailable, (int, float)):
            raise TypeError(f"retry_unavailable must be a number of seconds, not {retry_unavailable!r}")
        if retry_unavailable < 0:
            raise ValueError("retry_unavailable must be >= 0")
        executor_settings.retry_unavailable = float(retry_unavailable)
    if async_connections is not None:
        if isinstance(async_connections, bool) or not isinstance(async_connections, int):
            raise TypeError(f"async_connections must be an int, not {async_connections!r}")
        if async_connections < 1:
            raise ValueError("async_connections must be >= 1")
        executor_settings.async_connections = async_connections
    if durability is not _UNSET:
        if durability is not None and not isinstance(durability, Durability):
            raise TypeError("durability must be a vermilion.Durability or None")
        set_default_durability(durability)
    if url is not None and not isinstance(url, str):
        raise TypeError(f"url must be a str such as 'redis://host:6379/0', not {type(url).__name__}")
    if redis_kwargs:
        if url is not None or client is not None:
            raise TypeError("configure() takes url=, client= or redis-py keyword arguments, not several")
        url = url_from_kwargs(redis_kwargs)
    settings_only = url is None and client is None and (
        codec is not None or durability is not _UNSET or retry_unavailable is not None
        or async_connections is not None
    )
    if settings_only:  # configure(codec=...) or durability=... keeps the connection
        if codec is not None:
            _state.codec = codec
        return
    with _state.lock:
        _state.url = url
        _state.client = client
        _state.kwargs = dict(redis_kwargs)
        _state.sync_client = None
        _state.async_clients = weakref.WeakKeyDictionary()
        if codec is not None:
            _state.codec = codec
    _export(url if url is not None else url_of_client(client) if client is not None else None)


def _export(url: str | None) -> None:
    """Make ``url`` the ``VERMILION_URL`` that child processes inherit (``None``: restore the
    environment's own value)."""
    if url is None or url.startswith("embedded://"):
        url = _state.original_env
    if url is None:
        os.environ.pop(ENV, None)
    else:
        os.environ[ENV] = url


def url_from_kwargs(kwargs: dict[str, Any]) -> str:
    """The URL of redis-py keyword arguments (host, port, db, username, password,
    unix_socket_path, ssl); others are refused with the TypeError redis-py would raise."""
    from urllib.parse import quote

    known = {"host", "port", "db", "username", "password", "unix_socket_path", "ssl"}
    unknown = sorted(set(kwargs) - known)
    if unknown:
        raise TypeError(
            f"configure() got unsupported redis-py arguments {unknown}; pass a ready client "
            "with client=redis.Redis(...) for those"
        )
    user, password = kwargs.get("username"), kwargs.get("password")
    auth = ""
    if password is not None:
        auth = f"{quote(str(user or ''), safe='')}:{quote(str(password), safe='')}@"
    elif user is not None:
        auth = f"{quote(str(user), safe='')}@"
    db = int(kwargs.get("db", 0))
    if kwargs.get("unix_socket_path"):
        return f"unix://{auth}{kwargs['unix_socket_path']}?db={db}"
    scheme = "rediss" if kwargs.get("ssl") else "redis"
    host = kwargs.get("host", "localhost")
    return f"{scheme}://{auth}{host}:{int(kwargs.get('port', 6379))}/{db}"


def url_of_client(client: Any) -> str | None:
    """The URL a child process can reach ``client``'s server with, or None when it cannot be
    told (TLS options, custom connection classes)."""
    try:
        if isinstance(client, (RedisCluster, AsyncRedisCluster)):
            node: Any = next(iter(client.nodes_manager.startup_nodes.values()))
            kwargs = dict(client.nodes_manager.connection_kwargs)
            if kwargs.get("ssl") or kwargs.get("connection_class") not in (None, redis.Connection):
                return None
            base = url_from_kwargs({"host": node.host, "port": node.port,
                                    **{k: kwargs[k] for k in ("username", "password") if kwargs.get(k)}})
            return base.replace("redis://", "redis+cluster://", 1)
        pool = client.connection_pool
        kwargs = pool.connection_kwargs
        cls_name = pool.connection_class.__name__
        if cls_name == "UnixDomainSocketConnection":
            fields = {"unix_socket_path": kwargs["path"]}
        elif cls_name == "Connection":
            fields = {"host": kwargs.get("host", "localhost"), "port": kwargs.get("port", 6379)}
        else:
            return None
        fields.update({k: kwargs[k] for k in ("username", "password") if kwargs.get(k)})
        fields["db"] = kwargs.get("db", 0) or 0
        return url_from_kwargs(fields)
    except Exception:  # noqa: BLE001 - an unusual client: children configure themselves
        return None


def default_codec() -> Codec:
    return _state.codec


def current_url() -> str:
    """The URL new default clients use: configure's, else ``VERMILION_URL``, else embedded."""
    return _state.url or os.environ.get(ENV) or DEFAULT_URL


def _no_retry() -> Retry:
    return Retry(NoBackoff(), 0)


def _resolve_url(url: str) -> tuple[str, bool]:
    """Return (redis-py URL, is_cluster), starting the embedded server for ``embedded://``."""
    if url.startswith("embedded://"):
        with _state.lock:
            if _state.embedded is None:
                if not embedded_factory:
                    raise ConfigurationError("embedded:// needs vermilion.server (import vermilion)")
                _state.embedded = embedded_factory[0]()
                if os.environ.get(ENV) is None or _state.url is None:
                    os.environ[ENV] = _state.embedded.url  # children share this server
                if _state.url is None:
                    import warnings

                    warnings.warn(
                        f"vermilion: no Redis configured (no configure() and no {ENV}); "
                        f"using a private redis-server at {_state.embedded.url}, whose data is "
                        "lost when this process exits.  Call vermilion.configure(url=...) or set "
                        f"{ENV} to use your Redis.", EmbeddedServerWarning, stacklevel=4)
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


def _client_defaults(kwargs: dict[str, Any]) -> dict[str, Any]:
    kwargs.setdefault("retry", _no_retry())
    kwargs.setdefault("socket_connect_timeout", CONNECT_TIMEOUT)
    return kwargs


class Client(redis.Redis):
    """A redis-py client with vermilion's defaults (no command retries, a connect timeout),
    built from redis-py's keyword arguments: ``Client(host="db", port=6380)``.  Pass it as
    ``client=`` to any object (hot-redis's ``HotClient`` played this part)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **_client_defaults(kwargs))


class AsyncClient(aioredis.Redis):
    """The asyncio twin of :class:`Client`, for ``vermilion.aio`` objects."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **_client_defaults(kwargs))


async def aclose(client: Any = None) -> None:
    """Close the connections vermilion opened for ``client`` (default: the running loop's
    default client, which is then forgotten).  They also close when the loop shuts down."""
    if client is None:
        loop = asyncio.get_running_loop()
        client = _state.async_clients.pop(loop, None)
        if client is None:
            return
        owned = True
    else:
        owned = False
    executor = getattr(client, "_vermilion_executor", None)
    if executor is not None:
        await executor.aclose()
    if owned:
        await client.aclose()
