"""Exceptions raised by vermilion.

Where Python's own type would raise (``KeyError``, ``IndexError``, ``queue.Empty``...), vermilion
raises the same exception.  Problems that only exist because the data lives in Redis get the
classes below; each carries the Redis ``key`` involved and, where known, the ``command``.
"""

from __future__ import annotations

from redis.exceptions import ConnectionError as RedisConnectionError


class VermilionError(Exception):
    """Base class of every vermilion-specific error."""

    def __init__(self, message: str, *, key: str | None = None, command: str | None = None):
        super().__init__(message)
        self.key = key
        self.command = command


class ConfigurationError(VermilionError):
    """vermilion was configured inconsistently (bad URL, missing client...)."""


class WrongTypeError(VermilionError, TypeError):
    """The key holds a Redis type this object cannot work with (e.g. a hash behind a List)."""


class DecodeError(VermilionError, ValueError):
    """Stored bytes could not be decoded by this object's codec.

    Raised for data written by another codec or corrupted; vermilion never overwrites such data.
    """


class ConnectionLost(VermilionError, RedisConnectionError, ConnectionError):
    """The connection broke while a command was in flight.

    It is both a builtin ``ConnectionError`` and redis-py's ``ConnectionError``.  A server that
    cannot be reached at all raises :class:`ServerUnavailable` instead (nothing was sent).

    For a write that is not idempotent vermilion does not resend: the write may or may not have
    been applied, and this exception says so instead of silently applying it twice.
    """


class ServerUnavailable(VermilionError, RedisConnectionError, ConnectionError):
    """The request was never executed: no connection could be made, the server was loading its
    data, or the cluster was failing over, for longer than the configured ``retry_unavailable``
    window.  Nothing was applied, so retrying is always safe.

    It is both a builtin ``ConnectionError`` and redis-py's ``ConnectionError``.
    """


class NotReplicated(VermilionError):
    """A write was applied on the master but fewer replicas than the active
    :func:`vermilion.durability` asked for acknowledged it within its timeout.

    The write is not undone (Redis cannot): if the master fails before its replicas catch up,
    the write may be lost.  ``result`` holds the operation's result, ``acknowledged`` how many
    replicas confirmed it and ``wanted`` how many were asked for.
    """

    def __init__(
        self, message: str, *, key: str | None = None, command: str | None = None,
        acknowledged: int = 0, wanted: int = 0,
    ):
        super().__init__(message, key=key, command=command)
        self.acknowledged = acknowledged
        self.wanted = wanted
        self.result: object = None
        self.replies: list[object] = []


class AccessDenied(VermilionError, PermissionError):
    """The Redis user (ACL) may not run this command or touch this key; nothing was applied.

    The README's "Access control" section lists the rules an application needs.
    """


class OutOfMemory(VermilionError):
    """Redis refused a write because it reached ``maxmemory`` (``noeviction``); nothing was
    applied.  Reads keep working."""


class TransactionConflict(VermilionError):
    """A key read inside :func:`vermilion.transaction` changed before the commit; nothing was applied."""


class TransactionError(VermilionError):
    """An operation that cannot be queued in a transaction was used inside one."""


class CrossSlotError(VermilionError, ValueError):
    """The keys of one atomic operation live in different Redis Cluster slots."""

    def __init__(self, message: str, *, keys: tuple[str, ...] = (), command: str | None = None):
        super().__init__(message, key=keys[0] if keys else None, command=command)
        self.keys = keys


class LockNotOwnedError(VermilionError, RuntimeError):
    """A lock's lease is no longer held by this owner (it expired or someone else holds it)."""


class ServerNotFound(VermilionError):
    """No ``redis-server`` binary was found for the embedded server."""


class ScriptError(VermilionError):
    """A vermilion Lua script failed in a way that is not a Python-level error."""
