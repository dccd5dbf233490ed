"""Open, create and drop SQL databases stored in Redis (the layer under :mod:`.api`).

:func:`open_connection` gives a plain ``apsw.Connection`` whose pages live in Redis (see
:mod:`.redis_vfs`).  Besides the VFS's keys a database has a ``stats`` hash, the counters kept
by :class:`vermilion.sql.api.Database` (dropped with the database; see :mod:`.keys`).

Opening checks that the server can hold a database safely.  An ``allkeys-*``
``maxmemory-policy`` lets Redis evict any key, a page of a database included: the database
would be silently corrupted.  Opening a database on such a server raises
:class:`~.errors.UnsafeServerError` unless the caller opts out (``allow_eviction=True`` or the
environment variable ``VERMILION_SQL_ALLOW_EVICTION=1``).  Servers that refuse ``CONFIG``
(managed Redis) cannot be checked: a warning is issued once per process and the database opens.
"""

from __future__ import annotations

import os
import secrets
import time
import warnings
from collections.abc import Sequence
from typing import Any

import apsw
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, TimeoutError

from ..core import config
from ..core.calls import Call, run_script
from ..core.errors import VermilionError
from ..core.executor import SyncExecutor
from ..core.runner import RawBatch
from . import keys, redis_vfs, remote
from .errors import UncheckedServerWarning, UnsafeServerError
from .keys import all_keys, check_name, meta_key, stats_key
from .leases import DEFAULT_LEASE
from .redis_vfs import DEFAULT_BUSY_TIMEOUT
from .remote import call

ALLOW_ENV = "VERMILION_SQL_ALLOW_EVICTION"
RECHECK = 60.0  # seconds a server's policy is remembered (per client)


def open_connection(
    name: str,
    *,
    client: Any = None,
    create: bool = False,
    lease: float = DEFAULT_LEASE,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    allow_eviction: bool | None = None,
) -> apsw.Connection:
    """An ``apsw.Connection`` on the SQL database ``name`` stored in Redis.

    ``create=True`` creates the database (with a random epoch) if it does not exist; otherwise a
    missing database raises ``apsw.CantOpenError``.  One round trip (which also checks the
    server's eviction policy on the first open through a client and every minute after:
    ``allow_eviction`` as in the module's description).  ``lease`` (seconds) bounds
    how long a crashed holder of a lock blocks others; held leases are renewed in the background.
    The connection's busy timeout is ``busy_timeout`` seconds: a writer waits that long at most
    for the writer lease, in a first-come-first-served queue of the database's writers (so
    every waiting writer gets its turn after the writers before it); start writing transactions
    with ``BEGIN IMMEDIATE`` (a deferred transaction that upgrades to writing can fail with
    ``apsw.BusyError`` without waiting, as in SQLite).  The connection's busy handler is
    vermilion's; replacing it (``set_busy_timeout``) only makes waits coarser.
    """
    check_name(name)
    if client is None:
        client = config.sync_client()
    executor = config.sync_executor(client)
    peek = _open_meta(executor, name, create, allow_eviction=allow_eviction)
    if peek is None:
        raise apsw.CantOpenError(f"SQL database {name!r} does not exist (pass create=True)")
    return redis_vfs.open_file(executor, client, name, peek, lease=lease,
                               busy_timeout=busy_timeout)


def drop(name: str, *, client: Any = None) -> bool:
    """Delete database ``name`` (all its keys, statistics included); True if it existed.

    One round trip (one ``UNLINK``: Redis frees the pages in the background), atomic.
    Connections still open on it fail on their next transaction."""
    names = all_keys(name)
    return bool(call(executor_for(client), Call(("UNLINK", *names), names)))


# -- helpers for the API layer ---------------------------------------------------------------------
def client_or_default(client: Any) -> Any:
    """``client``, or the configured default client when it is None."""
    return config.sync_client() if client is None else client


def executor_for(client: Any) -> SyncExecutor:
    return config.sync_executor(client_or_default(client))


def create(executor: SyncExecutor, name: str, page_size: int = 4096) -> bool:
    """Create database ``name`` (empty) unless it exists; True if this call created it.

    One round trip: the VFS's create script (atomic) and a read of the epoch it left, pipelined;
    the database was created by this call exactly when the epoch is the fresh one sent."""
    names = keys.db_keys(name)
    epoch = secrets.token_hex(8)
    replies = call(executor, [
        run_script(remote.CREATE, names[:2], ["1", epoch, page_size, keys.FORMAT]),
        Call(("HGET", names[0], "epoch"), names[:1], readonly=True),
    ])
    return replies[1] is not None and remote.text(replies[1]) == epoch


def exists(executor: SyncExecutor, name: str) -> bool:
    """True if database ``name`` exists.  One round trip."""
    key = meta_key(name)
    return bool(call(executor, Call(("EXISTS", key), (key,), readonly=True)))


def list_names(client: Any = None) -> list[str]:
    """Names of every database on the server (all nodes of a Cluster), sorted.

    ``SCAN`` in chunks of 1000 keys per round trip; not a snapshot."""
    if client is None:
        client = config.sync_client()
    names = set()
    for key in client.scan_iter(match=keys.META_PATTERN, count=1000):
        name = keys.name_of(remote.text(key))
        if name is not None:
            names.add(name)
    return sorted(names)


# -- opening: the create script, and the server check ----------------------------------------------
def _open_meta(executor: SyncExecutor, name: str, create: bool, page_size: int = 4096, *,
               allow_eviction: bool | None = None) -> tuple[int, int, bytes | None] | None:
    """Create database ``name`` if missing and ``create`` (random epoch), and peek at its header:
    (npages, page_size, page 1), or None when it does not exist.  One round trip (two when the
    server's policy is checked and the database is created).

    Raises :class:`~.errors.UnsafeServerError` (before creating anything) when the server may
    evict keys; Redis's out-of-memory refusal as ``apsw.FullError``."""
    names = keys.db_keys(name)
    args = ["1" if create else "0", secrets.token_hex(8), page_size, keys.FORMAT]
    request = run_script(remote.CREATE, names[:2], args)
    if _needs_check(executor):
        policy, reply = remote.sqlite_call(executor, RawBatch([_policy_call(names[0]), run_script(
            remote.CREATE, names[:2], ["0", "", page_size, keys.FORMAT])]))
        _record(executor, policy)
        _check(executor, name, allow_eviction)
        if isinstance(reply, Exception):
            raise reply
        if not reply[0] and create:
            reply = remote.sqlite_call(executor, request)
    else:
        _check(executor, name, allow_eviction)
        reply = remote.sqlite_call(executor, request)
    if not reply[0]:
        return None
    return int(reply[1]), int(reply[2]), reply[3]


_warned = False


def _policy_call(key: str) -> Call:
    """``CONFIG GET maxmemory-policy`` sent to the node holding ``key``."""
    return Call(("CONFIG", "GET", "maxmemory-policy"), (key,), readonly=True)


def _needs_check(executor: Any) -> bool:
    checked = getattr(executor, "_vermilion_sql_policy", None)
    return checked is None or time.monotonic() - checked[1] > RECHECK


def _allowed(allow_eviction: bool | None) -> bool:
    if allow_eviction is not None:
        return allow_eviction
    return os.environ.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _record(executor: Any, reply: Any) -> None:
    """Remember the policy from a ``CONFIG GET`` reply (or the error it raised)."""
    global _warned
    policy: str | None = None
    if isinstance(reply, (RedisConnectionError, TimeoutError)):
        raise reply
    if isinstance(reply, (RedisError, VermilionError)):
        if not _warned:
            _warned = True
            warnings.warn(
                f"the Redis server refused CONFIG GET maxmemory-policy ({reply}); vermilion cannot "
                "check that it never evicts the keys of SQL databases (an allkeys-* policy would "
                "corrupt them)", UncheckedServerWarning, stacklevel=4)
    else:
        if isinstance(reply, dict):
            value = next(iter(reply.values()), None)
        elif isinstance(reply, (list, tuple)) and len(reply) >= 2:
            value = reply[1]
        else:
            value = None
        if value is not None:
            policy = remote.text(value)
    executor._vermilion_sql_policy = (policy, time.monotonic())


def _check(executor: Any, name: str, allow_eviction: bool | None = None) -> None:
    """Raise :class:`~.errors.UnsafeServerError` if the remembered policy can evict any key."""
    policy = getattr(executor, "_vermilion_sql_policy", (None, 0.0))[0]
    if policy and policy.startswith("allkeys-") and not _allowed(allow_eviction):
        raise UnsafeServerError(
            f"refusing to open SQL database {name!r}: the Redis server's maxmemory-policy is "
            f"{policy}, which can evict the pages of a database and corrupt it.  Use a volatile-* "
            f"policy or noeviction, or opt out with allow_eviction=True or {ALLOW_ENV}=1.")


__all__: Sequence[str] = (
    "ALLOW_ENV", "DEFAULT_BUSY_TIMEOUT", "DEFAULT_LEASE", "all_keys", "call", "client_or_default",
    "create", "drop", "executor_for", "exists", "list_names", "meta_key", "open_connection",
    "stats_key",
)
