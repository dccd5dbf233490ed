"""Requests to Redis for the SQL layer: its Lua scripts (each loaded once) and the one runner.

Every request of :mod:`vermilion.sql` goes through :func:`call` (module attribute, so tests can
intercept requests).  The VFS turns Redis's out-of-memory refusal into SQLite's "database or
disk is full" with :func:`storage_full`.
"""

from __future__ import annotations

from typing import Any

import apsw
from redis.exceptions import OutOfMemoryError

from ..core.calls import Call, Operation, Request
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


def call(executor: SyncExecutor, request: Request) -> Any:
    """Run one request (a call, or a list of calls pipelined) in one round trip and return its
    raw reply; an error reply is raised as vermilion's exception, as the runners do."""
    if isinstance(request, Call):  # the hot path (begin, commit): no generator to drive
        reply = executor.execute([request], True)[0]
        if isinstance(reply, Exception):
            raise translate(reply, request)
        return reply

    def operation() -> Operation:
        return (yield request)

    return drive_sync(operation(), executor)


def is_oom(exc: BaseException) -> bool:
    """True for Redis's out-of-memory refusal (``maxmemory`` reached under ``noeviction``): the
    core's ``OutOfMemory``, redis-py's ``OutOfMemoryError``, or the raw reply."""
    return isinstance(exc, (OutOfMemory, OutOfMemoryError)) or "OOM command not allowed" in str(exc)


def storage_full(exc: BaseException) -> BaseException:
    """``exc``, or ``apsw.FullError`` (caused by it) when it is Redis's out-of-memory refusal:
    what SQLite reports for a write that finds no room."""
    if not is_oom(exc):
        return exc
    full = apsw.FullError(
        "the Redis server is out of memory (maxmemory reached) and refused this write; reads "
        f"still work ({exc})")
    full.__cause__ = exc
    return full


def sqlite_call(executor: SyncExecutor, request: Request) -> Any:
    """:func:`call` for the VFS: Redis's out-of-memory refusal raised as ``apsw.FullError``."""
    try:
        return call(executor, request)
    except Exception as exc:
        full = storage_full(exc)
        if full is exc:
            raise
        raise full from exc


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
