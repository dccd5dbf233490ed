"""Requests to Redis for the SQL VFS: the Lua scripts and a one-request runner."""

from __future__ import annotations

from typing import Any

import apsw
from redis.exceptions import OutOfMemoryError

from ..core.calls import Call
from ..core.errors import OutOfMemory
from ..core.executor import SyncExecutor, translate
from ..core.runner import drive_sync
from ..core.scripts import load_script

BEGIN = load_script("sql_begin", "vermilion.sql")
RESERVE = load_script("sql_reserve", "vermilion.sql")
STAGE = load_script("sql_stage", "vermilion.sql")
COMMIT = load_script("sql_commit", "vermilion.sql")
READ = load_script("sql_read", "vermilion.sql")
LEASE = load_script("sql_lease", "vermilion.sql")
CREATE = load_script("sql_create", "vermilion.sql")
COUNT = load_script("sql_count", "vermilion.sql")


def call(executor: SyncExecutor, request: Call | list[Call]) -> Any:
    """Run one request or batch (one round trip) and return its raw reply (an error reply is
    raised as vermilion's exception, as the runners do).

    Callers use ``remote.call`` (module attribute) so tests can intercept requests.  A write
    that Redis refuses because it is out of memory (``maxmemory`` reached) raises
    ``apsw.FullError`` (SQLite's "database or disk is full")."""
    if isinstance(request, Call):  # the hot path (begin, commit): no generator to drive
        reply = executor.execute([request], True)[0]
        if isinstance(reply, Exception):
            raise _full(translate(reply, request))
        return reply

    def operation() -> Any:
        return (yield request)

    try:
        return drive_sync(operation(), executor)
    except Exception as exc:
        full = _full(exc)
        if full is exc:
            raise
        raise full from exc


def is_oom(exc: BaseException) -> bool:
    """True for Redis's out-of-memory refusal (``maxmemory`` reached under ``noeviction``): the
    core's ``OutOfMemory``, redis-py's ``OutOfMemoryError``, or the raw reply."""
    return isinstance(exc, (OutOfMemory, OutOfMemoryError)) or "OOM command not allowed" in str(exc)


def _full(exc: Exception) -> Exception:
    if not is_oom(exc):
        return exc
    full = apsw.FullError(
        "the Redis server is out of memory (maxmemory reached) and refused this write; reads "
        f"still work ({exc})")
    full.__cause__ = exc
    return full


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
