"""Checks that a Redis server can hold SQL databases safely.

An ``allkeys-*`` ``maxmemory-policy`` lets Redis evict any key, a page of a database included:
the database would be silently corrupted.  Opening a database on such a server raises
:class:`UnsafeServerError` unless the caller opts out (``allow_eviction=True`` or the environment
variable ``VERMILION_SQL_ALLOW_EVICTION=1``).  Servers that refuse ``CONFIG`` (managed Redis)
cannot be checked: a warning is issued once per process and the database opens.
"""

from __future__ import annotations

import os
import time
import warnings
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, TimeoutError

from ..core.calls import Call
from ..core.errors import VermilionError

ALLOW_ENV = "VERMILION_SQL_ALLOW_EVICTION"
RECHECK = 60.0  # seconds a server's policy is remembered (per client)


class UnsafeServerError(VermilionError):
    """The Redis server is configured in a way that can lose or corrupt a SQL database."""


class UncheckedServerWarning(UserWarning):
    """The server's eviction policy could not be read (CONFIG refused)."""


_warned = False


def policy_call(key: str) -> Call:
    """``CONFIG GET maxmemory-policy`` sent to the node holding ``key``."""
    return Call(("CONFIG", "GET", "maxmemory-policy"), (key,), readonly=True)


def needs_check(executor: Any) -> bool:
    checked = getattr(executor, "_vermilion_sql_policy", None)
    return checked is None or time.monotonic() - checked[1] > RECHECK


def allowed(allow_eviction: bool | None) -> bool:
    if allow_eviction is not None:
        return allow_eviction
    return os.environ.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def record(executor: Any, reply: Any) -> None:
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
            policy = value.decode() if isinstance(value, bytes) else str(value)
    executor._vermilion_sql_policy = (policy, time.monotonic())


def check(executor: Any, name: str, allow_eviction: bool | None = None) -> None:
    """Raise :class:`UnsafeServerError` if the remembered policy can evict any key."""
    policy = getattr(executor, "_vermilion_sql_policy", (None, 0.0))[0]
    if policy and policy.startswith("allkeys-") and not allowed(allow_eviction):
        raise UnsafeServerError(
            f"refusing to open SQL database {name!r}: the Redis server's maxmemory-policy is "
            f"{policy}, which can evict the pages of a database and corrupt it.  Use a volatile-* "
            f"policy or noeviction, or opt out with allow_eviction=True or {ALLOW_ENV}=1.")
