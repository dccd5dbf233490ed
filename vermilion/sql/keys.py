"""The key table of a SQL database stored in Redis: every key name is built here.

Every key of database ``orders`` is ``vermilion:sql:{orders}:<part>``, so a database lives in one
Redis Cluster slot and its scripts may touch all of its keys.

=============  ======  ===================================================================
part           type    holds
=============  ======  ===================================================================
``meta``       hash    format, page_size, npages, version (commit counter), epoch (random
                       at creation), head (id of the last commit: random, so a rollback
                       followed by other commits never shows the same version and head)
``pages``      hash    page number -> page bytes
``pv``         zset    page number -> version of the commit that last wrote it
``lock``       hash    writer lease: owner, fence, state (RESERVED, PENDING, or KEPT between
                       the holder's transactions), base, exp (ms)
``readers``    zset    reader id -> lease expiry (ms, Redis server clock)
``fence``      string  INCR counter issuing fencing tokens (and queue tickets)
``commits``    zset    recent commit ids -> the version each produced (capped)
``stage``      hash    pages of a large commit sent ahead of the commit script
``queue``      zset    writers waiting for the writer lease -> ticket (from ``fence``):
                       first come, first served
``qexp``       zset    the same waiters -> expiry (ms), refreshed while they wait
``wake:<id>``  list    pushed when the writer lease is released, for waiting writer ``id``
                       (built by the scripts too: ``wake_key`` in ``lua/sql_common.lua``)
``stats``      hash    statistics counters of :class:`vermilion.sql.api.Database`
=============  ======  ===================================================================

The first ten, in that order, are the ``KEYS`` of every VFS script (:func:`db_keys`).
"""

from __future__ import annotations

from collections.abc import Sequence

KEY_PREFIX = "vermilion:sql:"
PARTS = ("meta", "pages", "pv", "lock", "readers", "fence", "commits", "stage", "queue", "qexp")
FORMAT = "1"
META_PATTERN = f"{KEY_PREFIX}{{*}}:meta"  # SCAN pattern matching every database's meta key


def check_name(name: str) -> str:
    """``name`` if it is a valid database name (non-empty str without braces), else raise."""
    if not isinstance(name, str):
        raise TypeError(f"a database name must be str, not {type(name).__name__}")
    if not name or "{" in name or "}" in name:
        raise ValueError(f"invalid database name {name!r} (non-empty, without braces)")
    return name


def hash_tag(name: str) -> str:
    """The prefix of every key of database ``name`` (``vermilion:sql:{name}``)."""
    return f"{KEY_PREFIX}{{{check_name(name)}}}"


def key(name: str, part: str) -> str:
    """The key ``part`` of database ``name`` (a part of the table above)."""
    return f"{hash_tag(name)}:{part}"


def db_keys(name: str) -> tuple[str, ...]:
    """The VFS's keys of database ``name``, in the order of :data:`PARTS` (the scripts' KEYS)."""
    base = hash_tag(name)
    return tuple(f"{base}:{part}" for part in PARTS)


def meta_key(name: str) -> str:
    return key(name, "meta")


def stats_key(name: str) -> str:
    return key(name, "stats")


def wake_key(name: str, waiter: str) -> str:
    """The wake list of waiting writer ``waiter`` (pushed by the scripts' ``wake_first``)."""
    return key(name, f"wake:{waiter}")


def all_keys(name: str) -> tuple[str, ...]:
    """Every key of database ``name`` that outlives a transaction: the VFS's and ``stats``."""
    return (*db_keys(name), stats_key(name))


def name_of(meta: str) -> str | None:
    """The database whose meta key is ``meta`` (None if it is not one)."""
    prefix, suffix = f"{KEY_PREFIX}{{", "}:meta"
    if meta.startswith(prefix) and meta.endswith(suffix):
        return meta[len(prefix):-len(suffix)]
    return None


__all__: Sequence[str] = (
    "FORMAT", "KEY_PREFIX", "META_PATTERN", "PARTS", "all_keys", "check_name", "db_keys",
    "hash_tag", "key", "meta_key", "name_of", "stats_key", "wake_key",
)
