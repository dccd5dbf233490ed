"""An apsw VFS whose database pages live in Redis: the public face of the SQL storage layer.

The implementation is split by job:

* :mod:`.keys` - key names (one hash tag per database, so one Cluster slot);
* :mod:`.remote` - the Lua scripts and the one-request runner;
* :mod:`.pagecache` - the process-wide LRU of committed pages per database;
* :mod:`.leases` - the keeper thread sending lease releases and renewals;
* :mod:`.safety` - the server checks (eviction policy);
* :mod:`.files` - the VFS, the main database file (locks as leases, commits, staging) and the
  in-memory journals; :func:`open_file` opens a connection.

This module re-exports what :mod:`.database` and the tests use.
"""

from __future__ import annotations

from collections.abc import Sequence

from .files import (
    DEFAULT_BUSY_TIMEOUT,
    STAGE_CHUNK,
    VFS_NAME,
    Context,
    FencedError,
    MemFile,
    RedisFile,
    RedisVFS,
    delete_keys,
    open_file,
    open_meta,
    vfs,
)
from .keys import FORMAT, KEY_PREFIX, check_name, db_keys, hash_tag
from .leases import DEFAULT_LEASE, Keeper, keeper, side_executor
from .pagecache import CACHE_PAGES, PageCache, page_cache
from .remote import call
from .safety import ALLOW_ENV, UncheckedServerWarning, UnsafeServerError

__all__: Sequence[str] = (
    "ALLOW_ENV", "CACHE_PAGES", "DEFAULT_BUSY_TIMEOUT", "DEFAULT_LEASE", "FORMAT", "KEY_PREFIX",
    "STAGE_CHUNK", "VFS_NAME", "Context", "FencedError", "Keeper", "MemFile", "PageCache",
    "RedisFile", "RedisVFS", "UncheckedServerWarning", "UnsafeServerError", "call", "check_name",
    "db_keys", "delete_keys", "hash_tag", "keeper", "open_file", "open_meta", "page_cache",
    "side_executor", "vfs",
)
