"""Test helpers for code using :mod:`vermilion.cache`."""

from __future__ import annotations

from . import decorator, events


def reset_cache_state() -> None:
    """Forget every cache store of this process and which tables they follow (their local
    counters, pending invalidations and "Redis is down" timers): what a test needs between two
    tests that use different servers.  Entries in Redis are untouched."""
    decorator._stores.clear()
    decorator._client_stores.clear()
    events.reset()
