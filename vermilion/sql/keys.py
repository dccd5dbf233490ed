"""Key names of a SQL database stored in Redis: one hash tag per database.

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
``lock``       hash    writer lease: owner, fence, state, base, exp (ms)
``readers``    zset    reader id -> lease expiry (ms, Redis server clock)
``fence``      string  INCR counter issuing fencing tokens (and queue tickets)
``commits``    zset    recent commit ids -> the version each produced (capped)
``stage``      hash    pages of a large commit sent ahead of the commit script
``queue``      zset    writers waiting for the writer lease -> ticket (from ``fence``):
                       first come, first served
``qexp``       zset    the same waiters -> expiry (ms), refreshed while they wait
=============  ======  ===================================================================
"""

from __future__ import annotations

KEY_PREFIX = "vermilion:sql:"
PARTS = ("meta", "pages", "pv", "lock", "readers", "fence", "commits", "stage", "queue", "qexp")
FORMAT = "1"


def check_name(name: str) -> str:
    """``name`` if it is a valid database name (non-empty str without braces), else raise."""
    if not isinstance(name, str):
        raise TypeError(f"a database name must be str, not {type(name).__name__}")
    if not name or "{" in name or "}" in name:
        raise ValueError(f"invalid database name {name!r} (non-empty, without braces)")
    return name


def hash_tag(name: str) -> str:
    return f"{KEY_PREFIX}{{{check_name(name)}}}"


def db_keys(name: str) -> tuple[str, ...]:
    """Every key of database ``name``, in the order of :data:`PARTS` (the scripts' KEYS)."""
    base = hash_tag(name)
    return tuple(f"{base}:{part}" for part in PARTS)
