"""Requests to Redis for the SQL VFS: the Lua scripts and a one-request runner."""

from __future__ import annotations

from typing import Any

from ..core.calls import Call
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

    Callers use ``remote.call`` (module attribute) so tests can intercept requests."""
    if isinstance(request, Call):  # the hot path (begin, commit): no generator to drive
        reply = executor.execute([request], True)[0]
        if isinstance(reply, Exception):
            raise translate(reply, request)
        return reply

    def operation() -> Any:
        return (yield request)

    return drive_sync(operation(), executor)


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
