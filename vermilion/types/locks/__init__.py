"""Python's ``threading`` primitives, shared by every process and machine using one Redis.

``Lock``, ``RLock``, ``Semaphore``, ``BoundedSemaphore``, ``Event``, ``Condition`` and ``Barrier``
have the signatures, results and exceptions of their :mod:`threading` counterparts; the asyncio
faces (``AsyncLock``...) are used with ``async with`` / ``await``.

Leases.  A lock (or semaphore permit) is a *lease*: it is written with an expiry (``timeout``
seconds, default 30) so a holder that dies without releasing lets the others in when its lease
ends.  ``extend(seconds)`` / ``renew()`` lengthen a lease (owner-checked), and
``auto_renew=True`` renews it in the background (a daemon thread, or an asyncio task, every
``timeout / 3`` seconds) until it is released.

Owners.  Every acquisition writes a fresh random owner token.  A :class:`Lock` is owned by the
*Lock object* (not by a thread): like ``threading.Lock`` it may be released by another thread
that uses the same object; two ``Lock`` objects on one key are two owners that exclude each other.
An :class:`RLock` is owned by the RLock object *and* the thread (asyncio: the task) that acquired
it, like ``threading.RLock``.  Releasing a lock this object does not hold raises
``RuntimeError`` (the message ``threading`` uses); releasing one whose lease expired, or that
another owner now holds, raises :class:`vermilion.LockNotOwnedError` (a ``RuntimeError``).

Fencing.  A holder paused (GC, SIGSTOP, swap) past its lease may resume believing it still holds
the lock.  Every acquisition of a :class:`Lock` or :class:`RLock` therefore gets a fencing token,
``lock.token``: an integer larger than every token handed out before for that key (kept in
``{key}:fence``, which never expires; at least Redis' clock in microseconds, so it keeps growing
even if the counter is lost).  ``lock.fenced()`` inside :func:`vermilion.transaction` makes the
block's commit fail unless this acquisition is still the latest (Kleppmann's rule); give the
token to any other storage that can refuse writes carrying an older one.  ``owned()`` asks Redis
(one round trip): ``True`` while this holder's lease is live.  Semaphores have no tokens.

Waiting never polls: waiters block in Redis (``BLPOP`` on a ``{key}:signal`` list pushed by
release, ``BLMOVE`` on an event's list, ``XREAD BLOCK`` on a condition's or barrier's stream),
and a lock waiter's block is bounded by the holder's remaining lease, so a dead holder delays
others by at most one lease.  Blocking calls hold one connection of the client's pool while they
wait (in blocks of at most one second, so the client's ``socket_timeout``, 5 s by default in
redis-py 8, must be longer than one second), and refuse to run inside
:func:`vermilion.transaction`.

As in :mod:`threading`: ``acquire(timeout=...)`` above ``threading.TIMEOUT_MAX`` raises
OverflowError; a :class:`BoundedSemaphore` checks its bound in Redis, over every process (a
permit may be released by another object, never beyond the initial value); a sync
:class:`Condition` accepts any lock (a ``threading.Lock`` then guards this process only), the
asyncio one vermilion's asyncio locks only.  On the asyncio face a coroutine predicate of
``wait_for`` and a coroutine ``action`` of a barrier are awaited, and a cancelled
``Condition.wait`` withdraws its waiter and re-acquires the lock before re-raising.  The sync
faces' reprs have threading's shapes with the key inside (``<unlocked vermilion.Lock object
key='k' at 0x...>``, ``<vermilion.Semaphore at 0x... key='k': value=3>``...; one round trip).

Modules: :mod:`._lease` (deadlines, the wait for a lease, renewal: one loop, a thread or a
task), :mod:`.lock` (Lock, RLock), :mod:`.semaphore`, :mod:`.event`, :mod:`.condition`,
:mod:`.barrier`.
"""


from __future__ import annotations

from ._lease import DEFAULT_LEASE, BrokenBarrierError
from .barrier import AsyncBarrier, Barrier, BarrierBase
from .condition import AsyncCondition, Condition, ConditionBase
from .event import AsyncEvent, Event, EventBase
from .lock import AsyncLock, AsyncRLock, Lock, LockBase, RLock, RLockBase
from .semaphore import (
    AsyncBoundedSemaphore,
    AsyncSemaphore,
    BoundedSemaphore,
    Semaphore,
    SemaphoreBase,
)

__all__ = [
    "DEFAULT_LEASE", "AsyncBarrier", "AsyncBoundedSemaphore", "AsyncCondition", "AsyncEvent",
    "AsyncLock", "AsyncRLock", "AsyncSemaphore", "Barrier", "BarrierBase", "BoundedSemaphore",
    "BrokenBarrierError", "Condition", "ConditionBase", "Event", "EventBase", "Lock", "LockBase",
    "RLock", "RLockBase", "Semaphore", "SemaphoreBase",
]
