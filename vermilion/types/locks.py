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
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import threading
import time
from collections.abc import Callable, Generator
from typing import Any, ClassVar

from ..core.base import AsyncFace, RedisObject, SyncFace, op, to_ms
from ..core.calls import Call, Operation, run_script
from ..core.codec import Codec
from ..core.errors import LockNotOwnedError
from ..core.scripts import load_script

_ACQUIRE = load_script("lock_acquire")
_RELEASE = load_script("lock_release")
_EXTEND = load_script("lock_extend")
_RACQUIRE = load_script("lock_racquire")
_RRELEASE = load_script("lock_rrelease")
_SEM_ACQUIRE = load_script("lock_sem_acquire")
_SEM_RELEASE = load_script("lock_sem_release")
_SEM_RENEW = load_script("lock_sem_renew")
_EVENT_SET = load_script("lock_event_set")
_EVENT_CLEAR = load_script("lock_event_clear")
_COND_REGISTER = load_script("lock_cond_register")
_COND_NOTIFY = load_script("lock_cond_notify")
_COND_UNREGISTER = load_script("lock_cond_unregister")
_BARRIER_ARRIVE = load_script("lock_barrier_arrive")
_BARRIER_CHANGE = load_script("lock_barrier_change")

BrokenBarrierError = threading.BrokenBarrierError

DEFAULT_LEASE = 30.0
# seconds per blocking call: redis-py 8 clients default to a 5 s socket_timeout, and short
# blocks keep long waits cancellable (a waiter re-issues its block once a second, no polling)
_MAX_BLOCK = 1.0
_MIN_BLOCK = 0.01  # Redis reads a blocking timeout that rounds to 0 ms as "forever"


def _token() -> str:
    return secrets.token_hex(12)


def _block_arg(seconds: float) -> str:
    """A blocking command's timeout argument in seconds (never 0, which means forever)."""
    return f"{max(_MIN_BLOCK, seconds):.3f}"


def _lease_seconds(timeout: float | dt.timedelta) -> float:
    return to_ms(timeout) / 1000.0


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else deadline - time.monotonic()


def _check_lock_timeout(blocking: bool, timeout: float) -> float | None:
    """threading.Lock.acquire's argument rules; returns the wait limit (None: forever)."""
    if not blocking and timeout != -1:
        raise ValueError("can't specify a timeout for a non-blocking call")
    if timeout < 0 and timeout != -1:
        raise ValueError("timeout value must be positive")
    return None if timeout == -1 else float(timeout)


# ---------------------------------------------------------------------------------------------
# face hooks: background renewal and "who is the current thread/task"
# ---------------------------------------------------------------------------------------------
class _SyncHooks(SyncFace):
    """Sync lease types: ``with lock:`` acquires (blocking) and releases."""

    _renewer: Any = None
    acquire: Any
    release: Any

    def __enter__(self) -> bool:
        return self.acquire()  # type: ignore[no-any-return]

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def _who(self) -> int:
        return threading.get_ident()

    def _start_renewal(self) -> None:
        if not getattr(self, "_auto_renew", False) or self._renewer is not None:
            return
        stop = threading.Event()
        interval = self._lease / 3  # type: ignore[attr-defined]

        def loop() -> None:
            while not stop.wait(interval):
                try:
                    alive = self._run(self._renew_gen(), True, "renew")  # type: ignore[attr-defined]
                except Exception:  # noqa: BLE001 - a failed renewal is retried at the next tick
                    continue
                if not alive:
                    return

        thread = threading.Thread(target=loop, name=f"vermilion-renew:{self.key}", daemon=True)
        self._renewer = stop
        thread.start()

    def _stop_renewal(self) -> None:
        stop, self._renewer = self._renewer, None
        if stop is not None:
            stop.set()


class _AsyncHooks(AsyncFace):
    """Asyncio lease types: ``async with lock:``."""

    _renewer: Any = None
    acquire: Any
    release: Any

    async def __aenter__(self) -> bool:
        return await self.acquire()  # type: ignore[no-any-return]

    async def __aexit__(self, *exc: Any) -> None:
        await self.release()

    def _who(self) -> int:
        return id(asyncio.current_task())

    def _start_renewal(self) -> None:
        if not getattr(self, "_auto_renew", False) or self._renewer is not None:
            return
        interval = self._lease / 3  # type: ignore[attr-defined]

        async def loop() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    alive = await self._run(
                        self._renew_gen(), True, "renew")  # type: ignore[attr-defined]
                except Exception:  # noqa: BLE001 - a failed renewal is retried at the next tick
                    continue
                if not alive:
                    return

        self._renewer = asyncio.get_running_loop().create_task(loop())

    def _stop_renewal(self) -> None:
        task, self._renewer = self._renewer, None
        if task is not None:
            task.cancel()


class _LeaseBase(RedisObject):
    """Lease bookkeeping shared by locks and semaphores."""

    aux_suffixes: ClassVar[tuple[str, ...]] = ("signal",)

    def __init__(
        self,
        *,
        key: str | bytes | None = None,
        client: Any = None,
        timeout: float | dt.timedelta = DEFAULT_LEASE,
        auto_renew: bool = False,
        codec: Codec | None = None,
    ):
        super().__init__(key=key, client=client, codec=codec)
        self._lease = _lease_seconds(timeout)
        self._lease_ms = to_ms(timeout)
        self._auto_renew = bool(auto_renew)

    @property
    def timeout(self) -> float:
        """The lease length in seconds."""
        return self._lease

    @property
    def _signal(self) -> str:
        return self._aux("signal")

    # face hooks (provided by _SyncHooks / _AsyncHooks)
    def _start_renewal(self) -> None:
        raise NotImplementedError

    def _stop_renewal(self) -> None:
        raise NotImplementedError

    def _who(self) -> int:
        raise NotImplementedError

    def _renew_gen(self) -> Operation:
        raise NotImplementedError
        yield  # pragma: no cover

    def _wait_for_lease(
        self, attempt: Callable[[], Operation], blocking: bool, timeout: float | None
    ) -> Generator[Any, Any, bool]:
        """Run ``attempt`` (0 = acquired, else a wait bound in ms) until it succeeds.

        Between attempts, block on the signal list (BLPOP) for at most the bound, the time left
        and one second: one round trip per attempt, no polling.
        """
        deadline = _deadline(timeout)
        while True:
            hint = yield from attempt()
            if hint == 0:
                return True
            if not blocking:
                return False
            wait = min(hint / 1000.0, _MAX_BLOCK)
            left = _remaining(deadline)
            if left is not None:
                if left <= 0:
                    return False
                wait = min(wait, left)
            yield Call(("BLPOP", self._signal, _block_arg(wait)), (self._signal,))


# ---------------------------------------------------------------------------------------------
# Lock
# ---------------------------------------------------------------------------------------------
class _FencedMixin(RedisObject):
    """Fencing tokens (Kleppmann): every acquisition gets an integer from ``{key}:fence`` that
    is larger than any token handed out before for this key, lease expiries included."""

    def _current_fence(self) -> int | None:
        raise NotImplementedError

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
    def fenced(self) -> Operation:
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
    aux_suffixes = ("signal", "fence")

    def __init__(
        self,
        *,
        key: str | bytes | None = None,
        client: Any = None,
        timeout: float | dt.timedelta = DEFAULT_LEASE,
        auto_renew: bool = False,
        codec: Codec | None = None,
    ):
        super().__init__(key=key, client=client, timeout=timeout, auto_renew=auto_renew,
                         codec=codec)
        self._token: str | None = None  # owner token of the current acquisition
        self._fence: int | None = None  # its fencing token

    def _current_fence(self) -> int | None:
        return self._fence if self._token is not None else None

    def _acquire_gen(self, blocking: bool, timeout: float | None) -> Generator[Any, Any, bool]:
        token = _token()
        got: list[int] = []

        def attempt() -> Operation:
            reply = yield run_script(_ACQUIRE, [self.key, self.fence_key],
                                     [token, self._lease_ms])
            if reply[0] == 1:
                got.append(int(reply[1]))
                return 0
            return int(reply[1])

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

    def _release_save(self) -> Operation:
        yield from self._release_gen()

    def _acquire_restore(self, state: Any) -> Operation:
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
    def acquire(self, blocking: bool = True, timeout: float = -1) -> Operation:
        """Acquire the lock like ``threading.Lock.acquire``; returns ``True`` or ``False``.

        Uncontended: one round trip (``SET key token NX PX lease`` and the next fencing token,
        :attr:`token`, in one script).  Waiting
        blocks on the ``{key}:signal`` list (one BLPOP per wake-up), each block bounded by the
        holder's remaining lease, so a dead holder's expiry lets waiters in.
        """
        limit = _check_lock_timeout(blocking, timeout)
        return (yield from self._acquire_gen(blocking, limit))

    @op
    def release(self) -> Operation:
        """Release the lock; one round trip (an owner-checked script), atomic.

        ``RuntimeError('release unlocked lock')`` if this object does not hold it;
        :class:`~vermilion.LockNotOwnedError` if its lease expired or another owner holds it.
        Wakes one waiter.
        """
        yield from self._release_gen()

    @op
    def locked(self) -> Operation:
        """``True`` if anyone holds the lock; one round trip (GET)."""
        reply = yield Call(("GET", self.key), (self.key,), readonly=True)
        return reply is not None

    @op
    def extend(self, seconds: float | dt.timedelta) -> Operation:
        """Add ``seconds`` to the remaining lease; one round trip, owner-checked, atomic.

        :class:`~vermilion.LockNotOwnedError` if this object does not hold the lease.
        """
        yield from self._extend_gen(to_ms(seconds), "add", "extend")

    @op
    def renew(self) -> Operation:
        """Reset the lease to its full length (``timeout``); one round trip, owner-checked."""
        yield from self._extend_gen(self._lease_ms, "set", "renew")

    @op
    def owned(self) -> Operation:
        """``True`` if this object holds the lock *now*: its lease is live in Redis (one round
        trip, GET; none when this object did not acquire it).  A lease can still end right
        after the answer: guard writes with :meth:`fenced` instead."""
        token = self._token
        if token is None:
            return False
        reply = yield Call(("GET", self.key), (self.key,), readonly=True)
        return reply is not None and reply == token.encode()


class Lock(_SyncHooks, LockBase):
    """``threading.Lock`` as a lease in Redis: ``with vermilion.Lock(key="job:42", timeout=30):``.

    The key holds the owner token while locked (``SET NX PX``).  The Lock object owns the lease:
    another thread using the same object may release it, like ``threading.Lock``.
    """

    def __repr__(self) -> str:
        return f"<vermilion.Lock key={self.key!r} token={self._current_fence()}>"


class AsyncLock(_AsyncHooks, LockBase):
    """The asyncio face of :class:`Lock`: ``async with lock:``, ``await lock.acquire()``."""


# ---------------------------------------------------------------------------------------------
# RLock
# ---------------------------------------------------------------------------------------------
class RLockBase(_FencedMixin, _LeaseBase):
    """Operations of :class:`RLock`: a hash ``{owner, count, fence}`` with a lease."""

    type_name = "RLock"
    aux_suffixes = ("signal", "fence")

    def __init__(
        self,
        *,
        key: str | bytes | None = None,
        client: Any = None,
        timeout: float | dt.timedelta = DEFAULT_LEASE,
        auto_renew: bool = False,
        codec: Codec | None = None,
    ):
        super().__init__(key=key, client=client, timeout=timeout, auto_renew=auto_renew,
                         codec=codec)
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

        def attempt() -> Operation:
            reply = yield run_script(_RACQUIRE, [self.key, self.fence_key],
                                     [owner, self._lease_ms, n])
            if reply[0] == 1:
                got.append(int(reply[1]))
                return 0
            return int(reply[1])

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

    def _release_save(self) -> Operation:
        return (yield from self._release_gen("all"))

    def _acquire_restore(self, state: Any) -> Operation:
        yield from self._acquire_gen(True, None, int(state) if state else 1)

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
    def acquire(self, blocking: bool = True, timeout: float = -1) -> Operation:
        """Acquire (re-entrantly for the same owner) like ``threading.RLock.acquire``.

        Uncontended or re-entrant: one round trip (one script; the lease is renewed).  Waiting
        is as :meth:`Lock.acquire`.
        """
        limit = _check_lock_timeout(blocking, timeout)
        return (yield from self._acquire_gen(blocking, limit))

    @op
    def release(self) -> Operation:
        """Release one level; the last one frees the lock and wakes one waiter.  One round trip,
        owner-checked, atomic.  ``RuntimeError('cannot release un-acquired lock')`` if this
        thread (task) does not hold it through this object; LockNotOwnedError if the lease expired.
        """
        yield from self._release_gen("one")

    @op
    def locked(self) -> Operation:
        """``True`` if anyone holds the lock; one round trip (HLEN)."""
        reply = yield Call(("HLEN", self.key), (self.key,), readonly=True)
        return bool(reply)

    @op
    def extend(self, seconds: float | dt.timedelta) -> Operation:
        """Add ``seconds`` to the remaining lease; one round trip, owner-checked."""
        yield from self._extend_gen(to_ms(seconds), "add", "extend")

    @op
    def renew(self) -> Operation:
        """Reset the lease to its full length; one round trip, owner-checked."""
        yield from self._extend_gen(self._lease_ms, "set", "renew")

    @op
    def owned(self) -> Operation:
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


class AsyncRLock(_AsyncHooks, RLockBase):
    """The asyncio face of :class:`RLock`, owned by this object and the acquiring task."""


# ---------------------------------------------------------------------------------------------
# Semaphore / BoundedSemaphore
# ---------------------------------------------------------------------------------------------
class SemaphoreBase(_LeaseBase):
    """Operations of :class:`Semaphore`: a sorted set of holder tokens scored by lease expiry.

    Every user of one key must pass the same ``value``.  Releases beyond what is held (plain
    Semaphore only) add permanent permits, as ``threading.Semaphore`` does.
    """

    type_name = "Semaphore"
    aux_suffixes = ("extra", "signal")
    _bounded = False

    def __init__(
        self,
        value: int = 1,
        *,
        key: str | bytes | None = None,
        client: Any = None,
        timeout: float | dt.timedelta = DEFAULT_LEASE,
        auto_renew: bool = False,
        codec: Codec | None = None,
    ):
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        super().__init__(key=key, client=client, timeout=timeout, auto_renew=auto_renew,
                         codec=codec)
        self._value = int(value)
        self._tokens: list[str] = []

    def _acquire_gen(self, blocking: bool, timeout: float | None) -> Generator[Any, Any, bool]:
        token = _token()

        def attempt() -> Operation:
            return (yield run_script(_SEM_ACQUIRE, [self.key, self._aux("extra")],
                                     [token, self._lease_ms, self._value]))

        ok = yield from self._wait_for_lease(attempt, blocking, timeout)
        if ok:
            self._tokens.append(token)
            self._start_renewal()
        return ok

    def _renew_gen(self) -> Operation:
        tokens = list(self._tokens)
        if not tokens:
            return False
        reply = yield run_script(_SEM_RENEW, [self.key], [self._lease_ms, *tokens])
        return bool(reply)

    @op(tx=False)
    def acquire(self, blocking: bool = True, timeout: float | None = None) -> Operation:
        """Take a permit like ``threading.Semaphore.acquire``; returns ``True`` or ``False``.

        One round trip when a permit is free (one script that also purges expired holders);
        waiting blocks on the signal list, bounded by the first holder's lease.
        """
        if not blocking and timeout is not None:
            raise ValueError("can't specify timeout for non-blocking acquire")
        return (yield from self._acquire_gen(blocking, timeout))

    @op
    def release(self, n: int = 1) -> Operation:
        """Give back ``n`` permits (the newest this object holds); one round trip, atomic.

        A plain Semaphore adds permits beyond those held, like ``threading.Semaphore``; a
        BoundedSemaphore raises ``ValueError('Semaphore released too many times')``.
        LockNotOwnedError if a released permit's lease had expired.  Wakes ``n`` waiters.
        """
        if n < 1:
            raise ValueError("n must be one or more")
        take = min(n, len(self._tokens))
        if self._bounded and take < n:
            raise ValueError("Semaphore released too many times")
        mine = [self._tokens.pop() for _ in range(take)]
        live = yield run_script(
            _SEM_RELEASE, [self.key, self._aux("extra"), self._signal],
            [n - take, self._lease_ms, self._value, *mine])
        if not self._tokens:
            self._stop_renewal()
        if live < len(mine):
            raise LockNotOwnedError(
                f"semaphore {self.key!r}: {len(mine) - live} released permit(s) had expired",
                key=self.key, command="release")

    @op
    def renew(self) -> Operation:
        """Reset the lease of every permit this object holds; one round trip.  Returns how many
        were still live."""
        tokens = list(self._tokens)
        if not tokens:
            return 0
        return (yield run_script(_SEM_RENEW, [self.key], [self._lease_ms, *tokens]))

    def held(self) -> int:
        """Permits this object believes it holds (no round trip)."""
        return len(self._tokens)


class Semaphore(_SyncHooks, SemaphoreBase):
    """``threading.Semaphore`` across processes: ``with vermilion.Semaphore(3, key="pool"):``."""


class AsyncSemaphore(_AsyncHooks, SemaphoreBase):
    """The asyncio face of :class:`Semaphore`: ``async with sem:``."""


class BoundedSemaphore(Semaphore):
    """``threading.BoundedSemaphore``: releasing more than this object holds is a ValueError."""

    type_name = "BoundedSemaphore"
    _bounded = True


class AsyncBoundedSemaphore(AsyncSemaphore):
    """The asyncio face of :class:`BoundedSemaphore`."""

    type_name = "BoundedSemaphore"
    _bounded = True


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
    def is_set(self) -> Operation:
        """``True`` if the flag is set; one round trip (LLEN)."""
        reply = yield Call(("LLEN", self.key), (self.key,), readonly=True)
        return bool(reply)

    @op
    def set(self) -> Operation:
        """Set the flag and wake every waiter; one round trip (one script), atomic."""
        yield run_script(_EVENT_SET, [self.key])

    @op
    def clear(self) -> Operation:
        """Reset the flag; one round trip, atomic."""
        yield run_script(_EVENT_CLEAR, [self.key])

    @op(tx=False)
    def wait(self, timeout: float | None = None) -> Operation:
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
        return f"<vermilion.Event key={self.key!r}>"


class AsyncEvent(EventBase, AsyncFace):
    """The asyncio face of :class:`Event`: ``await ev.set()``, ``await ev.wait()``."""


# ---------------------------------------------------------------------------------------------
# Condition
# ---------------------------------------------------------------------------------------------
def _stream_entries(reply: Any) -> list[tuple[bytes, dict[bytes, bytes]]]:
    """Entries of an XREAD reply for one stream: ``[(id, {field: value})]``."""
    out: list[tuple[bytes, dict[bytes, bytes]]] = []
    if not reply:
        return out
    streams = reply.values() if isinstance(reply, dict) else (s[1] for s in reply)  # RESP3/2
    for entries in streams:
        for entry_id, fields in entries:
            if not isinstance(fields, dict):
                fields = dict(zip(fields[::2], fields[1::2]))
            out.append((entry_id, fields))
    return out


class ConditionBase(RedisObject):
    """Operations of :class:`Condition`.

    Keys: ``key`` is the list of waiting tokens; ``{key}:notify`` a stream whose entries name
    the waiters each notify woke; the default lock is an RLock at ``{key}:lock``.  A waiter
    registers, releases the lock, blocks in XREAD on the stream until an entry names it, then
    re-acquires the lock.  Notifying moves waiters out of the list atomically, so each notify(n)
    wakes exactly the waiters it picked (FIFO).
    """

    type_name = "Condition"
    aux_suffixes = ("notify", "lock", "lock:signal", "lock:fence")
    _lock_classes: tuple[type, type] = (object, object)  # (Lock-like default, RLock default)

    def __init__(self, lock: Any = None, *, key: str | bytes | None = None, client: Any = None,
                 codec: Codec | None = None):
        super().__init__(key=key, client=client, codec=codec)
        if lock is None:
            lock = self._lock_classes[1](key=self._aux("lock"), client=self._client)
        elif not isinstance(lock, (LockBase, RLockBase)):
            raise TypeError(f"a vermilion Condition needs a vermilion Lock or RLock, not "
                            f"{type(lock).__name__}")
        self._lock: Any = lock
        self.acquire = lock.acquire
        self.release = lock.release

    @property
    def _stream(self) -> str:
        return self._aux("notify")

    def _wait_gen(self, timeout: float | None) -> Generator[Any, Any, bool]:
        lock = self._lock
        if not lock._is_owned():
            raise RuntimeError("cannot wait on un-acquired lock")
        token = _token()
        last = yield run_script(_COND_REGISTER, [self.key, self._stream], [token])
        saved = yield from lock._release_save()
        notified = False
        try:
            deadline = _deadline(timeout)
            mine = token.encode()
            while True:
                left = _remaining(deadline)
                if left is not None and left <= 0:
                    still = yield run_script(_COND_UNREGISTER, [self.key], [token])
                    notified = not still
                    break
                block = _MAX_BLOCK if left is None else min(left, _MAX_BLOCK)
                reply = yield Call(("XREAD", "COUNT", 100, "BLOCK", int(max(1, block * 1000)),
                                    "STREAMS", self._stream, last), (self._stream,))
                for entry_id, fields in _stream_entries(reply):
                    last = entry_id
                    if mine in fields.get(b"w", b"").split():
                        notified = True
                if notified:
                    break
                if reply is None and left is None:
                    # a long quiet wait: make sure the entry naming us was not trimmed away
                    pos = yield Call(("LPOS", self.key, token), (self.key,), readonly=True)
                    if pos is None:
                        notified = True
                        break
        except GeneratorExit:
            raise
        except BaseException:
            yield from lock._acquire_restore(saved)  # re-acquire like threading, then re-raise
            raise
        yield from lock._acquire_restore(saved)
        return notified

    @op(tx=False)
    def wait(self, timeout: float | None = None) -> Operation:
        """Release the lock, block until notified or ``timeout``, re-acquire; returns ``False``
        on timeout.  ``RuntimeError('cannot wait on un-acquired lock')`` like threading.

        Round trips: register (1), release (1), one XREAD per wake-up, re-acquire (1 when free).
        """
        return (yield from self._wait_gen(timeout))

    @op(tx=False)
    def wait_for(self, predicate: Callable[[], Any], timeout: float | None = None) -> Operation:
        """Wait until ``predicate()`` is true (checked with the lock held), like
        ``threading.Condition.wait_for``; returns the last predicate value."""
        endtime = None
        waittime = timeout
        result = predicate()
        while not result:
            if waittime is not None:
                if endtime is None:
                    endtime = time.monotonic() + waittime
                else:
                    waittime = endtime - time.monotonic()
                    if waittime <= 0:
                        break
            yield from self._wait_gen(waittime)
            result = predicate()
        return result

    @op
    def notify(self, n: int = 1) -> Operation:
        """Wake up to ``n`` waiters (the longest-waiting first); one round trip, atomic.
        ``RuntimeError('cannot notify on un-acquired lock')`` like threading.  Returns how many
        were woken."""
        if not self._lock._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
        if n <= 0:
            return 0
        return (yield run_script(_COND_NOTIFY, [self.key, self._stream], [n]))

    @op
    def notify_all(self) -> Operation:
        """Wake every waiter; one round trip, atomic."""
        if not self._lock._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
        return (yield run_script(_COND_NOTIFY, [self.key, self._stream], [-1]))

    notifyAll = notify_all  # noqa: N815 - threading's deprecated alias


class Condition(ConditionBase, SyncFace):
    """``threading.Condition`` across processes: ``with cond: cond.wait_for(pred)``."""

    _lock_classes = (Lock, RLock)

    def __enter__(self) -> bool:
        return self._lock.__enter__()  # type: ignore[no-any-return]

    def __exit__(self, *exc: Any) -> None:
        self._lock.__exit__(*exc)

    def __repr__(self) -> str:
        return f"<vermilion.Condition key={self.key!r} lock={self._lock!r}>"


class AsyncCondition(ConditionBase, AsyncFace):
    """The asyncio face of :class:`Condition`: ``async with cond: await cond.wait()``."""

    _lock_classes = (AsyncLock, AsyncRLock)

    async def __aenter__(self) -> bool:
        return await self._lock.__aenter__()  # type: ignore[no-any-return]

    async def __aexit__(self, *exc: Any) -> None:
        await self._lock.__aexit__(*exc)


# ---------------------------------------------------------------------------------------------
# Barrier
# ---------------------------------------------------------------------------------------------
class BarrierBase(RedisObject):
    """Operations of :class:`Barrier`: a hash ``{gen, count, broken, busy}`` and an event
    stream ``{key}:events`` (one entry per release, break or reset) that waiters XREAD.

    Every party must pass the same ``parties``.  ``action`` runs in the last arriving party.
    """

    type_name = "Barrier"
    aux_suffixes = ("events",)

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

    def _change(self, what: str, gen: int | str = "") -> Call:
        return run_script(_BARRIER_CHANGE, self._keys(), [what, gen])

    @op(tx=False)
    def wait(self, timeout: float | None = None) -> Operation:
        """Wait until ``parties`` parties have called wait; returns this party's arrival index
        (0 .. parties-1), like ``threading.Barrier.wait``.  ``threading.BrokenBarrierError`` if
        the barrier is broken, aborted, reset while waiting, or this wait times out (which
        breaks it).  Round trips: arrival (1), then one XREAD per wake-up.
        """
        if timeout is None:
            timeout = self._timeout
        deadline = _deadline(timeout)
        while True:
            status, index, gen, last = yield run_script(
                _BARRIER_ARRIVE, self._keys(), [self._parties, "1" if self._action else "0"])
            if status == -1:
                raise BrokenBarrierError
            if status == 2:
                return index
            if status == 1:
                try:
                    self._action()  # type: ignore[misc]
                except BaseException:
                    yield self._change("abort")
                    raise
                released = yield self._change("release", gen)
                if not released:
                    raise BrokenBarrierError
                return index
            outcome = yield from self._await_event(last, gen if status == 0 else None,
                                                   deadline)
            if status == -2 and outcome != "timeout":
                continue  # an action finished (or the barrier changed): arrive again
            if outcome == "r":
                return index
            if outcome == "timeout":
                if status == 0:
                    released = yield self._change("timeout", gen)
                    if released:
                        return index
                else:
                    yield self._change("abort")
            raise BrokenBarrierError

    def _await_event(self, last: bytes, gen: int | None, deadline: float | None
                     ) -> Generator[Any, Any, str]:
        """XREAD the event stream from ``last`` until an event about ``gen`` (any event when
        ``gen`` is None); returns 'r' (released), 'b' (broken), 'x' (reset) or 'timeout'."""
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

    @op
    def reset(self) -> Operation:
        """Return the barrier to its empty state; current waiters get BrokenBarrierError.
        One round trip, atomic."""
        yield self._change("reset")

    @op
    def abort(self) -> Operation:
        """Break the barrier: current and future waits raise BrokenBarrierError until
        :meth:`reset`.  One round trip, atomic."""
        yield self._change("abort")

    @op
    def _n_waiting(self) -> Operation:
        count, busy = yield Call(("HMGET", self.key, "count", "busy"), (self.key,),
                                 readonly=True)
        return 0 if busy == b"1" else int(count or 0)

    @op
    def _broken(self) -> Operation:
        reply = yield Call(("HGET", self.key, "broken"), (self.key,), readonly=True)
        return reply == b"1"

    n_waiting = property(_n_waiting, doc="Parties currently waiting; one round trip "
                                          "(an awaitable on the asyncio face).")
    broken = property(_broken, doc="``True`` if the barrier is broken; one round trip "
                                    "(an awaitable on the asyncio face).")


class Barrier(BarrierBase, SyncFace):
    """``threading.Barrier`` across processes: ``vermilion.Barrier(3, key="start").wait()``."""

    def __repr__(self) -> str:
        return f"<vermilion.Barrier key={self.key!r} parties={self._parties}>"


class AsyncBarrier(BarrierBase, AsyncFace):
    """The asyncio face of :class:`Barrier`: ``await barrier.wait()``, ``await
    barrier.n_waiting``."""


__all__ = [
    "AsyncBarrier", "AsyncBoundedSemaphore", "AsyncCondition", "AsyncEvent", "AsyncLock",
    "AsyncRLock", "AsyncSemaphore", "Barrier", "BoundedSemaphore", "BrokenBarrierError",
    "Condition", "Event", "Lock", "RLock", "Semaphore",
]
