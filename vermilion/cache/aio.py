"""The asyncio face of :mod:`vermilion.cache` (``vermilion.aio.cache``): the same names, with
``CRUD`` taking an ``AsyncSession`` and ``invalidate`` / ``stats`` awaited.  ``@cached`` and
``FastRDB`` serve both faces (an ``async def`` function is cached on the asyncio face)."""

import sys
from typing import TYPE_CHECKING, Any

from . import lazy_attribute
from .decorator import CachedFunction, cached, store_for
from .decorator import invalidate_async as invalidate
from .keys import KeyTemplate, MissingKeyArgument
from .page import PageList, PaginatedResponse
from .store import NOT_FOUND, AsyncStore, CacheBypassWarning, Entry

if TYPE_CHECKING:
    from .crud import AsyncCRUD as CRUD
    from .fastrdb import FastRDB as FastRDB

_LAZY = {"CRUD": ("crud", "AsyncCRUD"), "FastRDB": ("fastrdb", "FastRDB")}


async def stats(namespace: str = "default", *, client: Any = None) -> dict[str, int]:
    """The counters of ``namespace`` (1 round trip)."""
    return await store_for(namespace, client, "async").stats()  # type: ignore[no-any-return]


def __getattr__(name: str) -> Any:
    """``CRUD`` (the asyncio one) and ``FastRDB`` import SQLAlchemy on first use."""
    return lazy_attribute(sys.modules[__name__], name, _LAZY)


__all__ = ["CRUD", "NOT_FOUND", "AsyncStore", "CacheBypassWarning", "CachedFunction", "Entry",
           "FastRDB", "KeyTemplate", "MissingKeyArgument", "PageList", "PaginatedResponse",
           "cached", "invalidate", "stats", "store_for"]
