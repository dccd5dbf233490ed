"""Lock and RLock: leases with fencing tokens."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Generator
from typing import Any, ClassVar

from ...core.base import RedisObject, op, to_ms
from ...core.calls import Call, Op, Operation, run_script
from ...core.errors import LockNotOwnedError
from ...core.scripts import load_script
from ._lease import (
    _AsyncHooks,
    _check_lock_timeout,
    _LeaseBase,
    _SyncHooks,
    _token,
)

_ACQUIRE = load_script("lock_acquire")
_RELEASE = load_script("lock_release")
_EXTEND = load_script("lock_extend")
_RACQUIRE = load_script("lock_racquire")
_RRELEASE = load_script("lock_rrelease")

# ---------------------------------------------------------------------------------------------
# Lock
# ---------------------------------------------------------------------------------------------
class _FencedMixin(RedisObject):
    """Fencing tokens (Kleppmann): every acquisition gets an integer from ``{key}:fence`` that
    is larger than any token handed out before for this key, lease expiries included."""

    def _current_fence(self) -> int | None:
        raise NotImplementedError

    _lease_ms: int

    def _attempt(self, script: Any, args: list[Any], got: list[int]) -> Operation:
        """One acquisition attempt: 0 when acquired (its fencing token appended to ``got``),
        else a bound in ms for the wait before the next one."""
        reply = yield run_script(script, [self.key, self.fence_key], args)
        if reply[0] == 1:
            got.append(int(reply[1]))
            return 0
        return int(reply[1])

    def _extend_gen(self, ms: int, mode: str, what: str) -> Operation:
        raise NotImplementedError
        yield  # pragma: no cover

    @op
    def extend(self, seconds: float | dt.timedelta) -> Op[None]:
        """Add ``seconds`` to the remaining lease; one round trip, owner-checked, atomic.

        :class:`~vermilion.LockNotOwnedError` if this holder (object, and thread for an RLock)
        does not hold the lease.
        """
        yield from self._extend_gen(to_ms(seconds), "add", "extend")

    @op
    def renew(self) -> Op[None]:
        """Reset the lease to its full length (``timeout``); one round trip, owner-checked."""
        yield from self._extend_gen(self._lease_ms, "set", "renew")

    @property
    def fence_key(self) -> str:
        """The key holding the latest fencing token (a decimal string): a write checked against
        it (``GET fence_key == token``, e.g. in your own Lua script) is fenced."""
        return self._aux("fence")

    @property
    def token(self) -> int | None:
        """The fencing token of this holder's current acquisition (no round trip), ``None``
        when it does not hold the lock.  Tokens of one lock key only grow: pass it to storage
        that refuses writes carrying a token lower than one it has seen."""
        return self._current_fence()

    @op
    def fenced(self) -> Op[int]:
        """Check that this holder's acquisition is still the latest one; returns its token.
        One round trip (GET ``{key}:fence``).

        Inside :func:`vermilion.transaction` it is a guard: the fence key is WATCHed, so the
        block's writes are committed only if no other owner acquired the lock in between (else
        :class:`~vermilion.TransactionConflict`, nothing applied).  Raises
        :class:`~vermilion.LockNotOwnedError` if the lock is not held through this object (and
        thread, for an RLock) or another acquisition came after ours.  A lease that lapsed
        with nobody acquiring since does not fail the check (nobody else is inside).  On Redis
        Cluster the block's keys must share the lock key's slot (hash tags).
        """
        token = self._current_fence()
        if token is None:
            raise LockNotOwnedError(f"{self.type_name.lower()} {self.key!r} is not acquired by "
                                    "this holder", key=self.key, command="fenced")
        fence = self.fence_key
        reply = yield Call(("GET", fence), (fence,), readonly=True)
        if reply is None or int(reply) != token:
            raise LockNotOwnedError(
                f"{self.type_name.lower()} {self.key!r}: fencing token {token} is stale (the "
                f"lease expired and the lock was acquired again, token {reply and int(reply)})",
                key=self.key, command="fenced")
        return token


class LockBase(_FencedMixin, _LeaseBase):
    """Operations of :class:`Lock`, shared by the sync and asyncio faces."""

    type_name = "Lock"
    aux_suffixes: ClassVar[tuple[str, ...]] = ("signal", "fence")

    _token: str | None = None  # owner token of the current acquisition
    _fence: int | None = None  # its fencing token

    def _current_fence(self) -> int | None:
        return self._fence if self._token is not None else None

    def _acquire_gen(self, blocking: bool, timeout: float | None) -> Generator[Any, Any, bool]:
        token = _token()
        got: list[int] = []
        attempt = functools.partial(self._attempt, _ACQUIRE, [token, self._lease_ms], got)
        ok = yield from self._wait_for_lease(attempt, blocking, timeout)
        if ok:
            self._token, self._fence = token, got[-1]
            self._start_renewal()
        return ok

    def _release_gen(self) -> Operation:
        token = self._token
        if token is None:
            raise RuntimeError("release unlocked lock")
        reply = yield run_script(_RELEASE, [self.key, self._signal], [token, self._lease_ms])
        if self._token == token:
            self._token = self._fence = None
            self._stop_renewal()
        if reply == 0:
            raise LockNotOwnedError(
                f"lock {self.key!r} was not held any more: its lease expired", key=self.key,
                command="release")
        if reply < 0:
            raise LockNotOwnedError(
                f"lock {self.key!r} is held by another owner (our lease expired)", key=self.key,
                command="release")

    def _is_owned(self) -> bool:
        return self._token is not None

    def _release_save_gen(self) -> Operation:
        yield from self._release_gen()

    def _acquire_restore_gen(self, state: Any) -> Operation:
        yield from self._acquire_gen(True, None)

    def _renew_gen(self) -> Operation:
        token = self._token
        if token is None:
            return False
        reply = yield run_script(_EXTEND, [self.key], [token, self._lease_ms, "set", "s"])
        return bool(reply)

    def _extend_gen(self, ms: int, mode: str, what: str) -> Operation:
        token = self._token
        if token is None:
            raise LockNotOwnedError(f"cannot {what} lock {self.key!r}: it is not acquired",
                                    key=self.key, command=what)
        reply = yield run_script(_EXTEND, [self.key], [token, ms, mode, "s"])
        if not reply:
            raise LockNotOwnedError(f"cannot {what} lock {self.key!r}: its lease expired or "
                                    "another owner holds it", key=self.key, command=what)

    @op(tx=False)
    def acquire(self, blocking: bool = True, timeout: float = -1) -> Op[bool]:
        """Acquire the lock like ``threading.Lock.acquire``; returns ``True`` or ``False``.

        Uncontended: one round trip (``SET key token NX PX lease`` and the next fencing token,
        :attr:`token`, in one script).  Waiting
        blocks on the ``{key}:signal`` list (one BLPOP per wake-up), each block bounded by the
        holder's remaining lease, so a dead holder's expiry lets waiters in.
        """
        limit = _check_lock_timeout(blocking, timeout)
        return (yield from self._acquire_gen(blocking, limit))

    @op
    def release(self) -> Op[None]:
        """Release the lock; one round trip (an owner-checked script), atomic.

        ``RuntimeError('release unlocked lock')`` if this object does not hold it;
        :class:`~vermilion.LockNotOwnedError` if its lease expired or another owner holds it.
        Wakes one waiter.
        """
        yield from self._release_gen()

    @op
    def locked(self) -> Op[bool]:
        """``True`` if anyone holds the lock; one round trip (GET)."""
        reply = yield Call(("GET", self.key), (self.key,), readonly=True)
        return reply is not None

    @op
    def owned(self) -> Op[bool]:
        """``True`` if this object holds the lock *now*: its lease is live in Redis (one round
        trip, GET; none when this object did not acquire it).  A lease can still end right
        after the answer: guard writes with :meth:`fenced` instead."""
        token = self._token
        if token is None:
            return False
        reply = yield Call(("GET", self.key), (self.key,), readonly=True)
        return reply is not None and reply == token.encode()


def _lock_repr(lock: Any, extra: str) -> str:
    state = "locked" if lock.locked() else "unlocked"
    token = lock._current_fence()
    held = f" token={token}" if token is not None else ""
    cls = type(lock)
    return (f"<{state} {cls.__module__.split('.')[0]}.{cls.__qualname__} object "
            f"key={lock.key!r}{extra}{held} at {id(lock):#x}>")


class Lock(_SyncHooks, LockBase):
    """``threading.Lock`` as a lease in Redis: ``with vermilion.Lock(key="job:42", timeout=30):``.

    The key holds the owner token while locked (``SET NX PX``).  The Lock object owns the lease:
    another thread using the same object may release it, like ``threading.Lock``.
    """

    def __repr__(self) -> str:
        """threading.Lock's shape with the key (and this holder's fencing token) inside:
        ``<locked vermilion.Lock object key='k' token=17 at 0x...>``; one round trip."""
        return _lock_repr(self, "")


class AsyncLock(_AsyncHooks, LockBase):
    """The asyncio face of :class:`Lock`: ``async with lock:``, ``await lock.acquire()``."""


# ---------------------------------------------------------------------------------------------
# RLock
# ---------------------------------------------------------------------------------------------
class RLockBase(_FencedMixin, _LeaseBase):
    """Operations of :class:`RLock`: a hash ``{owner, count, fence}`` with a lease."""

    type_name = "RLock"
    aux_suffixes: ClassVar[tuple[str, ...]] = ("signal", "fence")

    def _setup(self) -> None:
        self._id = _token()
        self._held: dict[int, int] = {}  # thread/task -> recursion level held
        self._fences: dict[int, int] = {}  # thread/task -> fencing token of its acquisition

    def _current_fence(self) -> int | None:
        who = self._who()
        return self._fences.get(who) if self._held.get(who) else None

    def _owner(self, who: int) -> str:
        return f"{self._id}:{who}"

    def _acquire_gen(self, blocking: bool, timeout: float | None, n: int = 1
                     ) -> Generator[Any, Any, bool]:
        who = self._who()
        owner = self._owner(who)

        got: list[int] = []
        attempt = functools.partial(self._attempt, _RACQUIRE, [owner, self._lease_ms, n], got)
        ok = yield from self._wait_for_lease(attempt, blocking, timeout)
        if ok:
            self._held[who] = self._held.get(who, 0) + n
            self._fences[who] = got[-1]
            self._start_renewal()
        return ok

    def _release_gen(self, mode: str = "one") -> Operation:
        who = self._who()
        if not self._held.get(who):
            raise RuntimeError("cannot release un-acquired lock")
        reply = yield run_script(_RRELEASE, [self.key, self._signal],
                                 [self._owner(who), self._lease_ms, mode])
        if reply < 0 or mode == "all" or reply == 0:
            self._held.pop(who, None)
            self._fences.pop(who, None)
        else:
            self._held[who] = reply
        if not self._held:
            self._stop_renewal()
        if reply < 0:
            why = "its lease expired" if reply == -2 else "another owner holds it"
            raise LockNotOwnedError(f"rlock {self.key!r} is not held any more: {why}",
                                    key=self.key, command="release")
        return reply

    def _is_owned(self) -> bool:
        return bool(self._held.get(self._who()))

    def _release_save_gen(self) -> Operation:
        return (yield from self._release_gen("all"))

    def _acquire_restore_gen(self, state: Any) -> Operation:
        yield from self._acquire_gen(True, None, int(state) if state else 1)

    def _recursion_count(self) -> int:
        """Levels the current thread (task) holds through this object (no round trip), like
        ``threading.RLock._recursion_count``."""
        return self._held.get(self._who(), 0)

    @op(tx=False)
    def _release_save(self) -> Op[int]:
        """threading.RLock's hook for Condition: release every level; returns the count."""
        return (yield from self._release_save_gen())

    @op(tx=False)
    def _acquire_restore(self, state: Any) -> Op[None]:
        """threading.RLock's hook for Condition: re-acquire ``state`` levels (blocking)."""
        yield from self._acquire_restore_gen(state)

    def _renew_gen(self) -> Operation:
        alive = False
        for who in list(self._held):
            reply = yield run_script(_EXTEND, [self.key],
                                     [self._owner(who), self._lease_ms, "set", "h"])
            alive = alive or bool(reply)
        return alive

    def _extend_gen(self, ms: int, mode: str, what: str) -> Operation:
        who = self._who()
        if not self._held.get(who):
            raise LockNotOwnedError(f"cannot {what} rlock {self.key!r}: it is not acquired",
                                    key=self.key, command=what)
        reply = yield run_script(_EXTEND, [self.key], [self._owner(who), ms, mode, "h"])
        if not reply:
            raise LockNotOwnedError(f"cannot {what} rlock {self.key!r}: its lease expired or "
                                    "another owner holds it", key=self.key, command=what)

    @op(tx=False)
    def acquire(self, blocking: bool = True, timeout: float = -1) -> Op[bool]:
        """Acquire (re-entrantly for the same owner) like ``threading.RLock.acquire``.

        Uncontended or re-entrant: one round trip (one script; the lease is renewed).  Waiting
        is as :meth:`Lock.acquire`.
        """
        limit = _check_lock_timeout(blocking, timeout)
        return (yield from self._acquire_gen(blocking, limit))

    @op
    def release(self) -> Op[None]:
        """Release one level; the last one frees the lock and wakes one waiter.  One round trip,
        owner-checked, atomic.  ``RuntimeError('cannot release un-acquired lock')`` if this
        thread (task) does not hold it through this object; LockNotOwnedError if the lease expired.
        """
        yield from self._release_gen("one")

    @op
    def locked(self) -> Op[bool]:
        """``True`` if anyone holds the lock; one round trip (HLEN)."""
        reply = yield Call(("HLEN", self.key), (self.key,), readonly=True)
        return bool(reply)

    @op
    def owned(self) -> Op[bool]:
        """``True`` if the current thread (task) holds the lock through this object *now*: its
        lease is live in Redis (one round trip, HGET; none when it did not acquire it).  Guard
        writes with :meth:`fenced`."""
        who = self._who()
        if not self._held.get(who):
            return False
        reply = yield Call(("HGET", self.key, "owner"), (self.key,), readonly=True)
        return reply is not None and reply == self._owner(who).encode()


class RLock(_SyncHooks, RLockBase):
    """``threading.RLock`` as a lease in Redis, owned by this object and the acquiring thread."""

    def __repr__(self) -> str:
        """threading.RLock's shape with the key inside: ``<locked vermilion.RLock object
        key='k' count=2 token=17 at 0x...>`` (the count this thread holds); one round trip."""
        return _lock_repr(self, f" count={self._recursion_count()}")


class AsyncRLock(_AsyncHooks, RLockBase):
    """The asyncio face of :class:`RLock`, owned by this object and the acquiring task."""

