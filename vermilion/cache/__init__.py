"""Cache-aside in front of functions and SQL databases: the sync face (``vermilion.aio.cache``
is the asyncio one).

* ``@cached(ttl=60, tags=["user:{user_id}"])`` on any function, sync or ``async def``;
  ``invalidate(tags=["user:42"])``.
* ``CRUD(User, UserResponse, key="user:email:{email}", ttl=600)`` for a SQLAlchemy model: reads
  from Redis, writes in the caller's transaction, the cache invalidated after the commit.
* ``FastRDB`` — FastRDB's class, accepted as is (asyncio).

How entries stay correct (leases, invalidation sequence numbers, no ``SCAN``):
:mod:`vermilion.cache.store`.  What SQLAlchemy writes are seen: :mod:`vermilion.cache.events`.
``pip install vermilion[cache]`` brings SQLAlchemy (the ``CRUD`` and ``FastRDB`` need it;
``cached`` does not).
"""

import sys
from typing import TYPE_CHECKING, Any

from .decorator import CachedFunction, cached, invalidate, stats, store_for
from .keys import KeyTemplate, MissingKeyArgument
from .page import PageList, PaginatedResponse
from .store import NOT_FOUND, AsyncStore, CacheBypassWarning, Entry, Store

if TYPE_CHECKING:
    from .crud import CRUD as CRUD
    from .fastrdb import FastRDB as FastRDB

_LAZY = {"CRUD": ("crud", "CRUD"), "FastRDB": ("fastrdb", "FastRDB")}


def lazy_attribute(module: Any, name: str, table: dict[str, tuple[str, str]]) -> Any:
    """``module.<name>`` from ``vermilion.cache.<table[name]>``, imported on first use (the CRUD
    and FastRDB need SQLAlchemy, which ``@cached`` does without) and kept in ``module``."""
    if name not in table:
        raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")
    from importlib import import_module

    submodule, attr = table[name]
    value = getattr(import_module(f"vermilion.cache.{submodule}"), attr)
    setattr(module, name, value)
    return value


def __getattr__(name: str) -> Any:
    return lazy_attribute(sys.modules[__name__], name, _LAZY)


__all__ = ["CRUD", "NOT_FOUND", "AsyncStore", "CacheBypassWarning", "CachedFunction", "Entry",
           "FastRDB", "KeyTemplate", "MissingKeyArgument", "PageList", "PaginatedResponse",
           "Store", "cached", "invalidate", "stats", "store_for"]
