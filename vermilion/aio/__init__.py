"""The asyncio face of vermilion: the same types, whose methods are coroutines.

``l = vermilion.aio.List(key="tasks"); await l.append("d"); async for x in l: ...``.
Operations that Python spells as dunders returning plain values have named coroutines here:
``await l.len()``, ``await l.contains(x)``, ``await l.setitem(i, v)``, ``await l.copy()``;
``await l[i]`` works.  An object created with ``initial`` writes it on its first await
(``l = await List([...], key="k")`` or its first operation).  Locks: ``async with lock:``.
"""

from __future__ import annotations

from typing import Any

from ..core.base import async_transaction_for as transaction
from ..core.config import AsyncClient as Client
from ..core.config import aclose
from ..core.durability import durability
from ..types.counter import AsyncMultiSet as MultiSet
from ..types.deque import AsyncDeque as Deque
from ..types.dict import AsyncDefaultDict as DefaultDict
from ..types.dict import AsyncDict as Dict
from ..types.list import AsyncList as List
from ..types.locks import AsyncBarrier as Barrier
from ..types.locks import AsyncBoundedSemaphore as BoundedSemaphore
from ..types.locks import AsyncCondition as Condition
from ..types.locks import AsyncEvent as Event
from ..types.locks import AsyncLock as Lock
from ..types.locks import AsyncRLock as RLock
from ..types.locks import AsyncSemaphore as Semaphore
from ..types.numbers import AsyncFloat as Float
from ..types.numbers import AsyncInt as Int
from ..types.queues import AsyncLifoQueue as LifoQueue
from ..types.queues import AsyncLifoSetQueue as LifoSetQueue
from ..types.queues import AsyncPriorityQueue as PriorityQueue
from ..types.queues import AsyncQueue as Queue
from ..types.queues import AsyncSetQueue as SetQueue
from ..types.queues import AsyncSimpleQueue as SimpleQueue
from ..types.queues import ShutDown
from ..types.set import AsyncSet as Set
from ..types.strings import AsyncImmutableString as ImmutableString
from ..types.strings import AsyncString as String


def __getattr__(name: str) -> Any:
    """``vermilion.aio.sql`` (it needs the optional ``apsw``), ``vermilion.aio.models`` and
    ``vermilion.aio.cache`` are imported on first use."""
    if name in ("sql", "models", "cache"):
        import importlib

        return importlib.import_module(f"vermilion.aio.{name}" if name != "sql"
                                       else "vermilion.sql.aio")
    raise AttributeError(f"module 'vermilion.aio' has no attribute {name!r}")


__all__ = [
    "Barrier", "BoundedSemaphore", "Client", "Condition", "Deque", "DefaultDict", "Dict", "Event", "Float",
    "ImmutableString", "Int", "LifoQueue", "LifoSetQueue", "List", "Lock", "MultiSet",
    "PriorityQueue", "Queue", "RLock", "Semaphore", "Set", "SetQueue", "ShutDown", "SimpleQueue",
    "String", "aclose", "durability", "transaction",
]
