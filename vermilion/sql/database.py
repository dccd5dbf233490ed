"""Open and drop SQL databases stored in Redis (a minimal sync API over :mod:`.vfs`)."""

from __future__ import annotations

from typing import Any

import apsw

from ..core import config
from . import vfs


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
    The connection's busy timeout is ``busy_timeout`` seconds; start writing transactions with
    ``BEGIN IMMEDIATE`` (a deferred transaction that upgrades to writing can fail with
    ``apsw.BusyError`` without waiting, as in SQLite).
    """
    vfs.check_name(name)
    if client is None:
        client = config.sync_client()
    executor = config.sync_executor(client)
    return vfs.open_file(executor, client, name, create=create, lease=lease,
                         busy_timeout=busy_timeout)


def drop(name: str, *, client: Any = None) -> bool:
    """Delete database ``name`` (all its keys); True if it existed.  One round trip."""
    vfs.check_name(name)
    if client is None:
        client = config.sync_client()
    return vfs.delete_keys(config.sync_executor(client), name)
