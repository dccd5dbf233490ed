"""The asyncio face of :mod:`vermilion.cache` (``vermilion.aio.cache``): the same names, with
``CRUD`` taking an ``AsyncSession`` and ``invalidate`` / ``stats`` awaited.  ``@cached`` and
``FastRDB`` serve both faces (an ``async def`` function is cached on the asyncio face)."""

from typing import TYPE_CHECKING, Any

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
    if name in _LAZY:
        from importlib import import_module

        module, attr = _LAZY[name]
        value = getattr(import_module(f"vermilion.cache.{module}"), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CRUD", "NOT_FOUND", "AsyncStore", "CacheBypassWarning", "CachedFunction", "Entry",
           "FastRDB", "KeyTemplate", "MissingKeyArgument", "PageList", "PaginatedResponse",
           "cached", "invalidate", "stats", "store_for"]
