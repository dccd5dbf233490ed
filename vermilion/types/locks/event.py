"""Event: a list holding one element while set."""

from __future__ import annotations

from typing import Any

from ...core.base import AsyncFace, RedisObject, SyncFace, op
from ...core.calls import Call, Op, run_script
from ...core.codec import Codec
from ...core.scripts import load_script
from ._lease import (
    _MAX_BLOCK,
    _block_arg,
    _deadline,
    _remaining,
)

_EVENT_SET = load_script("lock_event_set")
_EVENT_CLEAR = load_script("lock_event_clear")

# ---------------------------------------------------------------------------------------------
# Event
# ---------------------------------------------------------------------------------------------
class EventBase(RedisObject):
    """Operations of :class:`Event`: the key is a list holding one element while set."""

    type_name = "Event"

    def __init__(self, *, key: str | bytes | None = None, client: Any = None,
                 codec: Codec | None = None):
        super().__init__(key=key, client=client, codec=codec)

    @op
    def is_set(self) -> Op[bool]:
        """``True`` if the flag is set; one round trip (LLEN)."""
        reply = yield Call(("LLEN", self.key), (self.key,), readonly=True)
        return bool(reply)

    @op
    def set(self) -> Op[None]:
        """Set the flag and wake every waiter; one round trip (one script), atomic."""
        yield run_script(_EVENT_SET, [self.key])

    @op
    def clear(self) -> Op[None]:
        """Reset the flag; one round trip, atomic."""
        yield run_script(_EVENT_CLEAR, [self.key])

    @op(tx=False)
    def wait(self, timeout: float | None = None) -> Op[bool]:
        """Block until the flag is set (or ``timeout`` seconds pass); returns the flag.

        One round trip: ``BLMOVE key key`` (a rotation that leaves the flag in place, so every
        blocked waiter is served when it is set).  ``timeout <= 0`` just reads the flag.
        """
        if timeout is not None and timeout <= 0:
            reply = yield Call(("LLEN", self.key), (self.key,), readonly=True)
            return bool(reply)
        deadline = _deadline(timeout)
        while True:
            left = _remaining(deadline)
            block = _MAX_BLOCK if left is None else min(left, _MAX_BLOCK)
            reply = yield Call(("BLMOVE", self.key, self.key, "LEFT", "RIGHT", _block_arg(block)),
                               (self.key,))
            if reply is not None:
                return True
            left = _remaining(deadline)
            if left is not None and left <= 0:
                return False

    def isSet(self) -> Any:  # noqa: N802 - threading's deprecated alias
        return self.is_set()


class Event(EventBase, SyncFace):
    """``threading.Event`` across processes: ``ev.set()``, ``ev.wait(5)``."""

    def __bool__(self) -> bool:
        return bool(self.is_set())

    def __repr__(self) -> str:
        """threading.Event's shape with the key: ``<vermilion.Event at 0x... key='k': set>``;
        one round trip."""
        state = "set" if self.is_set() else "unset"
        return f"<vermilion.Event at {id(self):#x} key={self.key!r}: {state}>"


class AsyncEvent(EventBase, AsyncFace):
    """The asyncio face of :class:`Event`: ``await ev.set()``, ``await ev.wait()``."""

