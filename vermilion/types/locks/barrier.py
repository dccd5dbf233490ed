"""Barrier: a hash of the generation's arrivals and a stream of its events."""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator
from typing import Any, ClassVar

from ...core.base import RedisObject, op
from ...core.calls import Call, Op, Operation, run_script
from ...core.codec import Codec
from ...core.scripts import load_script
from ._lease import (
    _MAX_BLOCK,
    BrokenBarrierError,
    _AsyncSpawn,
    _deadline,
    _halt,
    _remaining,
    _renewal_loop,
    _Stop,
    _stream_entries,
    _SyncSpawn,
    adrive_steps,
    drive_steps,
)

_BARRIER_ARRIVE = load_script("lock_barrier_arrive")
_BARRIER_CHANGE = load_script("lock_barrier_change")

# ---------------------------------------------------------------------------------------------
# Barrier
# ---------------------------------------------------------------------------------------------
class BarrierBase(RedisObject):
    """Operations of :class:`Barrier`: a hash ``{gen, count, broken, busy, busy_until}`` and
    an event stream ``{key}:events`` (one entry per release, break or reset) that waiters XREAD.

    Every party must pass the same ``parties``.  ``action`` runs in the last arriving party,
    which holds a lease on the barrier's busy state meanwhile: ``action_lease`` seconds (5 by
    default) on Redis' clock, renewed every third of it by a background thread (a task on the
    asyncio face) while the action runs.  A waiting party finding no event for a second checks
    the lease; if it expired (the process running the action died), it breaks the barrier and
    every waiter gets ``threading.BrokenBarrierError``, as when the action raises.  On the
    asyncio face a synchronous action that blocks the event loop for longer than the lease
    stops the renewal too, and so breaks the barrier.
    """

    type_name = "Barrier"
    aux_suffixes: ClassVar[tuple[str, ...]] = ("events",)
    action_lease: float = 5.0  # seconds; see above

    def _spawn(self, operation: Operation, stop: _Stop) -> None:
        raise NotImplementedError  # the face runs the lease renewal (_SyncSpawn / _AsyncSpawn)

    def __init__(self, parties: int, action: Callable[[], Any] | None = None,
                 timeout: float | None = None, *, key: str | bytes | None = None,
                 client: Any = None, codec: Codec | None = None):
        if parties < 1:
            raise ValueError("parties must be > 0")
        super().__init__(key=key, client=client, codec=codec)
        self._parties = int(parties)
        self._action = action
        self._timeout = timeout

    @property
    def parties(self) -> int:
        """The number of parties required to trip the barrier."""
        return self._parties

    @property
    def _events(self) -> str:
        return self._aux("events")

    def _keys(self) -> list[str]:
        return [self.key, self._events]

    @property
    def _lease_ms(self) -> int:
        return max(1, int(self.action_lease * 1000))

    def _change(self, what: str, gen: int | str = "") -> Call:
        return run_script(_BARRIER_CHANGE, self._keys(), [what, gen, self._lease_ms])

    def _hold_busy(self, gen: int) -> _Stop:
        """Renew the lease on generation ``gen``'s busy state in the background until the
        returned handle is halted (:func:`_halt`)."""
        stop = _Stop()

        def renew() -> Operation:
            return (yield self._change("renew", gen))

        self._spawn(_renewal_loop(self.action_lease / 3, renew, stop), stop)
        return stop

    def _wait_steps(self, timeout: float | None) -> Generator[Any, Any, int]:
        """``wait`` once for both faces: steps (callables) the face's driver runs, awaiting
        what they return on the asyncio face; the action runs between arrival and release."""
        status, index, gen = yield functools.partial(self._arrive, timeout)
        if status != 1:
            return index  # type: ignore[no-any-return]
        stop = yield functools.partial(self._hold_busy, gen)
        try:
            yield self._action
        except BaseException:
            yield self.abort
            raise
        finally:
            _halt(stop)
        return (yield functools.partial(self._release, index, gen))  # type: ignore[no-any-return]

    @op
    def _release(self, index: int, gen: int) -> Op[int]:
        """The action ran: release generation ``gen``; one round trip."""
        released = yield self._change("release", gen)
        if not released:
            raise BrokenBarrierError
        return index

    @op(tx=False)
    def _arrive(self, timeout: float | None = None) -> Operation:
        """Arrive and wait; ``(status, index, generation)``: status 1 when this party is the
        last and must run the action (then :meth:`_release`)."""
        if timeout is None:
            timeout = self._timeout
        deadline = _deadline(timeout)
        while True:
            status, index, gen, last = yield run_script(
                _BARRIER_ARRIVE, self._keys(),
                [self._parties, "1" if self._action else "0", self._lease_ms])
            if status == -1:
                raise BrokenBarrierError
            if status in (1, 2):
                return status, index, gen
            outcome = yield from self._await_event(last, gen if status == 0 else None,
                                                   deadline)
            if status == -2 and outcome != "timeout":
                continue  # an action finished (or the barrier changed): arrive again
            if outcome == "r":
                return 0, index, gen
            if outcome == "timeout":
                if status == 0:
                    released = yield self._change("timeout", gen)
                    if released:
                        return 0, index, gen
                else:
                    yield self._change("abort")
            raise BrokenBarrierError

    def _await_event(self, last: bytes, gen: int | None, deadline: float | None
                     ) -> Generator[Any, Any, str]:
        """XREAD the event stream from ``last`` until an event about ``gen`` (any event when
        ``gen`` is None); returns 'r' (released), 'b' (broken), 'x' (reset) or 'timeout'.
        After each block without that event, breaks the barrier if the lease of a party running
        the action expired (its break event then ends the wait)."""
        while True:
            left = _remaining(deadline)
            if left is not None and left <= 0:
                return "timeout"
            block = _MAX_BLOCK if left is None else min(left, _MAX_BLOCK)
            reply = yield Call(("XREAD", "COUNT", 100, "BLOCK", int(max(1, block * 1000)),
                                "STREAMS", self._events, last), (self._events,))
            for entry_id, fields in _stream_entries(reply):
                last = entry_id
                event = fields.get(b"e", b"").decode()
                if gen is None or int(fields.get(b"g", b"-1")) == gen:
                    return event
            yield self._change("check")

    @op
    def reset(self) -> Op[None]:
        """Return the barrier to its empty state; current waiters get BrokenBarrierError.
        One round trip, atomic."""
        yield self._change("reset")

    @op
    def abort(self) -> Op[None]:
        """Break the barrier: current and future waits raise BrokenBarrierError until
        :meth:`reset`.  One round trip, atomic."""
        yield self._change("abort")

    def _state(self) -> Operation:
        return (yield Call(("HMGET", self.key, "count", "busy", "broken"), (self.key,),
                           readonly=True))

    @op
    def _n_waiting(self) -> Op[int]:
        count, busy, _ = yield from self._state()
        return 0 if busy == b"1" else int(count or 0)

    @op
    def _broken(self) -> Op[bool]:
        reply = yield Call(("HGET", self.key, "broken"), (self.key,), readonly=True)
        return reply == b"1"

    n_waiting: property = property(_n_waiting, doc="Parties currently waiting; one round trip "
                                                    "(an awaitable on the asyncio face).")
    broken: property = property(_broken, doc="``True`` if the barrier is broken; one round trip "
                                              "(an awaitable on the asyncio face).")


class Barrier(_SyncSpawn, BarrierBase):
    """``threading.Barrier`` across processes: ``vermilion.Barrier(3, key="start").wait()``."""

    def wait(self, timeout: float | None = None) -> int:
        """Wait until ``parties`` parties have called wait; returns this party's arrival index
        (0 .. parties-1), like ``threading.Barrier.wait``.  ``threading.BrokenBarrierError`` if
        the barrier is broken, aborted, reset while waiting, or this wait times out (which
        breaks it; ``timeout`` defaults to the barrier's), or the party running the action died
        (its lease expired, see :class:`BarrierBase`).  Round trips: arrival (1), then one XREAD
        per wake-up (at most a second each) and a lease check (1) after each without this
        generation's event; the last party runs the action (renewing its lease in a background
        thread), then releases (1).
        """
        return drive_steps(self._wait_steps(timeout))  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        """threading.Barrier's shape with the key: ``<vermilion.Barrier at 0x...
        key='k': waiters=0/3>`` (``: broken>`` when broken); one round trip."""
        count, busy, broken = self._run(self._state(), True, "__repr__")
        head = f"<vermilion.Barrier at {id(self):#x} key={self.key!r}"
        if broken == b"1":
            return f"{head}: broken>"
        waiting = 0 if busy == b"1" else int(count or 0)
        return f"{head}: waiters={waiting}/{self._parties}>"


class AsyncBarrier(_AsyncSpawn, BarrierBase):
    """The asyncio face of :class:`Barrier`: ``await barrier.wait()``, ``await
    barrier.n_waiting``.  An ``action`` that is a coroutine function is awaited."""

    async def wait(self, timeout: float | None = None) -> int:
        """The asyncio face of :meth:`Barrier.wait`."""
        return await adrive_steps(self._wait_steps(timeout))  # type: ignore[no-any-return]
