"""Open, create and drop SQL databases stored in Redis (the layer under :mod:`.api`).

:func:`open_connection` gives a plain ``apsw.Connection`` whose pages live in Redis (see
:mod:`.vfs`).  Besides the VFS's keys a database has ``vermilion:sql:{name}:stats``, a hash of
the counters kept by :class:`vermilion.sql.api.Database` (dropped with the database).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

import apsw

from ..core import config
from ..core.calls import Call, Operation, Request, run_script
from ..core.executor import SyncExecutor
from ..core.runner import drive_sync
from ..core.scripts import load_script
from . import vfs

_CREATE = load_script("sql_create", "vermilion.sql")
META_PATTERN = f"{vfs.KEY_PREFIX}{{*}}:meta"


def open_connection(
    name: str,
    *,
    client: Any = None,
    create: bool = False,
    lease: float = vfs.DEFAULT_LEASE,
    busy_timeout: float = vfs.DEFAULT_BUSY_TIMEOUT,
) -> apsw.Connection:
    """An ``apsw.Connection`` on the SQL database ``name`` stored in Redis.

    ``create=True`` creates the database (with a random epoch) if it does not exist; otherwise a
    missing database raises ``apsw.CantOpenError``.  One round trip.  ``lease`` (seconds) bounds
    how long a crashed holder of a lock blocks others; held leases are renewed in the background.
    The connection's busy timeout is ``busy_timeout`` seconds: a writer waits that long at most
    for the writer lease, in a first-come-first-served queue of the database's writers (so
    every waiting writer gets its turn after the writers before it); start writing transactions
    with ``BEGIN IMMEDIATE`` (a deferred transaction that upgrades to writing can fail with
    ``apsw.BusyError`` without waiting, as in SQLite).  The connection's busy handler is
    vermilion's; replacing it (``set_busy_timeout``) only makes waits coarser.
    """
    vfs.check_name(name)
    if client is None:
        client = config.sync_client()
    executor = config.sync_executor(client)
    return vfs.open_file(executor, client, name, create=create, lease=lease,
                         busy_timeout=busy_timeout)


def drop(name: str, *, client: Any = None) -> bool:
    """Delete database ``name`` (all its keys, statistics included); True if it existed.

    One round trip (one ``UNLINK``: Redis frees the pages in the background), atomic.
    Connections still open on it fail on their next transaction."""
    keys = all_keys(name)
    return bool(call(executor_for(client), Call(("UNLINK", *keys), keys)))


# -- helpers for the API layer ---------------------------------------------------------------------
def client_or_default(client: Any) -> Any:
    """``client``, or the configured default client when it is None."""
    return config.sync_client() if client is None else client


def executor_for(client: Any) -> SyncExecutor:
    return config.sync_executor(client_or_default(client))


def call(executor: SyncExecutor, request: Request) -> Any:
    """Run one request (a call, or a list of calls pipelined) in one round trip."""

    def operation() -> Operation:
        return (yield request)

    return drive_sync(operation(), executor)


def meta_key(name: str) -> str:
    return vfs.db_keys(name)[0]


def stats_key(name: str) -> str:
    return f"{vfs.KEY_PREFIX}{{{vfs.check_name(name)}}}:stats"


def all_keys(name: str) -> tuple[str, ...]:
    """Every key of database ``name``: the VFS's and the statistics hash."""
    return (*vfs.db_keys(name), stats_key(name))


def create(executor: SyncExecutor, name: str, page_size: int = 4096) -> bool:
    """Create database ``name`` (empty) unless it exists; True if this call created it.

    One round trip: the VFS's create script (atomic) and a read of the epoch it left, pipelined;
    the database was created by this call exactly when the epoch is the fresh one sent."""
    keys = vfs.db_keys(name)
    epoch = secrets.token_hex(8)
    replies = call(executor, [
        run_script(_CREATE, keys[:2], ["1", epoch, page_size, vfs.FORMAT]),
        Call(("HGET", keys[0], "epoch"), keys[:1], readonly=True),
    ])
    got = replies[1]
    return (got.decode() if isinstance(got, bytes) else got) == epoch


def exists(executor: SyncExecutor, name: str) -> bool:
    """True if database ``name`` exists.  One round trip."""
    key = meta_key(name)
    return bool(call(executor, Call(("EXISTS", key), (key,), readonly=True)))


def list_names(client: Any = None) -> list[str]:
    """Names of every database on the server (all nodes of a Cluster), sorted.

    ``SCAN`` in chunks of 1000 keys per round trip; not a snapshot."""
    if client is None:
        client = config.sync_client()
    prefix, suffix = f"{vfs.KEY_PREFIX}{{", "}:meta"
    names = set()
    for key in client.scan_iter(match=META_PATTERN, count=1000):
        text = key.decode() if isinstance(key, bytes) else str(key)
        if text.startswith(prefix) and text.endswith(suffix):
            names.add(text[len(prefix):-len(suffix)])
    return sorted(names)


__all__: Sequence[str] = (
    "all_keys", "call", "create", "drop", "executor_for", "exists", "list_names", "meta_key",
    "open_connection", "stats_key",
)
