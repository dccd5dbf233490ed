"""vermilion: Redis as the storage layer of ordinary Python programs.

Python's containers and synchronisation primitives backed by Redis, sync (``vermilion``) and
asyncio (``vermilion.aio``), on a single Redis or Redis Cluster.
"""

from __future__ import annotations

from .core.base import RedisObject, transaction
from .core.codec import BytesCodec, Codec, JsonCodec, PickleCodec, Ref, StrCodec, register
from .core.config import configure
from .core.errors import (
    ConfigurationError,
    ConnectionLost,
    CrossSlotError,
    DecodeError,
    LockNotOwnedError,
    ScriptError,
    ServerNotFound,
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
from .types.numbers import Float, Int
from .types.queues import LifoQueue, LifoSetQueue, PriorityQueue, Queue, SetQueue, SimpleQueue
from .types.set import Set
from .types.strings import ImmutableString, String

__version__ = "0.1.0"

__all__ = [
    "BytesCodec", "Codec", "ConfigurationError", "ConnectionLost", "CrossSlotError",
    "DecodeError", "DefaultDict", "Deque", "Dict", "Float", "ImmutableString", "Int",
    "String", "LifoQueue", "LifoSetQueue", "MultiSet", "PriorityQueue", "Queue",
    "Set", "SetQueue", "SimpleQueue", "JsonCodec", "List", "LockNotOwnedError", "PickleCodec", "Queued",
    "RedisObject", "Ref", "ScriptError", "ServerNotFound", "StrCodec", "TransactionConflict",
    "TransactionError", "VermilionError", "WrongTypeError", "configure", "register",
    "transaction",
]

from . import aio  # noqa: E402 - the asyncio face, as vermilion.aio
