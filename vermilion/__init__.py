"""vermilion: Redis as the storage layer of ordinary Python programs.

Python's containers and synchronisation primitives backed by Redis, sync (``vermilion``) and
asyncio (``vermilion.aio``), on a single Redis or Redis Cluster.
"""

from __future__ import annotations

from typing import Any

from . import aio  # the asyncio face, reachable as vermilion.aio
from . import server as _server  # noqa: F401 - registers how embedded:// starts a server
from .core.base import RedisObject, transaction
from .core.codec import BytesCodec, Codec, JsonCodec, PickleCodec, Ref, StrCodec, register
from .core.config import Client, EmbeddedServerWarning, configure
from .core.durability import Durability, durability
from .core.errors import (
    AccessDenied,
    ConfigurationError,
    ConnectionLost,
    CrossSlotError,
    DecodeError,
    LockNotOwnedError,
    NotReplicated,
    OutOfMemory,
    ScriptError,
    ServerNotFound,
    ServerUnavailable,
    TransactionConflict,
    TransactionError,
    VermilionError,
    WrongTypeError,
)
from .core.runner import Queued
from .types.counter import MultiSet
from .types.deque import Deque
from .types.dict import DefaultDict, Dict
from .types.list import List
from .types.locks import (
    Barrier,
    BoundedSemaphore,
    BrokenBarrierError,
    Condition,
    Event,
    Lock,
    RLock,
    Semaphore,
)
from .types.numbers import Float, Int
from .types.queues import (
    LifoQueue,
    LifoSetQueue,
    PriorityQueue,
    Queue,
    SetQueue,
    ShutDown,
    SimpleQueue,
)
from .types.set import Set
from .types.strings import ImmutableString, String

__version__ = "0.1.0"


HotClient = Client  # hot-redis's name for a client built from redis-py's arguments


def __getattr__(name: str) -> Any:
    """``vermilion.sql`` (SQL databases stored in Redis; it needs the optional ``apsw``:
    ``pip install 'vermilion[sql]'``), ``vermilion.models`` and ``vermilion.cache`` are imported
    on first use."""
    if name in ("sql", "models", "cache"):
        import importlib

        return importlib.import_module(f"vermilion.{name}")
    raise AttributeError(f"module 'vermilion' has no attribute {name!r}")

__all__ = [
    # containers
    "Deque", "DefaultDict", "Dict", "Float", "ImmutableString", "Int", "List", "MultiSet", "Set",
    "String",
    # queues
    "LifoQueue", "LifoSetQueue", "PriorityQueue", "Queue", "SetQueue", "ShutDown", "SimpleQueue",
    # synchronisation
    "Barrier", "BoundedSemaphore", "BrokenBarrierError", "Condition", "Event", "Lock", "RLock",
    "Semaphore",
    # core
    "Client", "Durability", "EmbeddedServerWarning", "HotClient", "Queued", "RedisObject", "aio",
    "configure", "durability", "register", "transaction",
    # codecs
    "BytesCodec", "Codec", "JsonCodec", "PickleCodec", "Ref", "StrCodec",
    # errors
    "AccessDenied", "ConfigurationError", "ConnectionLost", "CrossSlotError", "DecodeError",
    "LockNotOwnedError", "NotReplicated", "OutOfMemory", "ScriptError", "ServerNotFound",
    "ServerUnavailable", "TransactionConflict", "TransactionError", "VermilionError",
    "WrongTypeError",
]
