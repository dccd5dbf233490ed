"""Condition: waiters registered in a list, woken through a stream."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Generator
from typing import Any, ClassVar

from ...core.base import AsyncFace, RedisObject, SyncFace, op
from ...core.calls import Call, Op, Operation, run_script
from ...core.codec import Codec
from ...core.scripts import load_script
from ._lease import (
    _MAX_BLOCK,
    Steps,
    _deadline,
    _remaining,
    _stream_entries,
    _token,
    adrive_steps,
    drive_steps,
)
from .lock import AsyncLock, AsyncRLock, Lock, LockBase, RLock, RLockBase

_COND_REGISTER = load_script("lock_cond_register")
_COND_NOTIFY = load_script("lock_cond_notify")
_COND_UNREGISTER = load_script("lock_cond_unregister")

# ---------------------------------------------------------------------------------------------
# Condition
# ---------------------------------------------------------------------------------------------
class ConditionBase(RedisObject):
    """Operations of :class:`Condition`.

    Keys: ``key`` is the list of waiting tokens; ``{key}:notify`` a stream whose entries name
    the waiters each notify woke; the default lock is an RLock at ``{key}:lock``.  A waiter
    registers, releases the lock, blocks in XREAD on the stream until an entry names it, then
    re-acquires the lock.  Notifying moves waiters out of the list atomically, so each notify(n)
    wakes exactly the waiters it picked (FIFO).
    """

    type_name = "Condition"
    aux_suffixes: ClassVar[tuple[str, ...]] = ("notify", "lock", "lock:signal", "lock:fence")
    _lock_classes: tuple[type, type] = (object, object)  # (Lock-like default, RLock default)

    def __init__(self, lock: Any = None, *, key: str | bytes | None = None, client: Any = None,
                 codec: Codec | None = None):
        own = lock is None or isinstance(lock, (LockBase, RLockBase))
        guard = None if own else self._foreign(lock)  # refused before anything is opened
        super().__init__(key=key, client=client, codec=codec)
        if lock is None:
            lock = self._lock_classes[1](key=self._aux("lock"), client=self._client)
        self._lock: Any = lock
        self._guard: Any = lock if own else guard
        # export the lock's API, as threading.Condition does
        self.acquire: Callable[..., Any] = lock.acquire
        self.release: Callable[..., Any] = lock.release
        for name in ("_release_save", "_acquire_restore", "_is_owned"):
            if hasattr(lock, name):
                setattr(self, name, getattr(lock, name))

    def _foreign(self, lock: Any) -> Any:
        raise TypeError(f"a vermilion asyncio Condition needs a vermilion AsyncLock or "
                        f"AsyncRLock, not {type(lock).__name__}")

    @property
    def _stream(self) -> str:
        return self._aux("notify")

    def _wait_gen(self, timeout: float | None, state: _WaitState | None = None
                  ) -> Generator[Any, Any, bool]:
        """The wait; ``state`` records how far it went, for :meth:`_abandoned` (a wait whose
        task was cancelled, or whose thread was interrupted, between two requests)."""
        lock = self._guard
        if not lock._is_owned():
            raise RuntimeError("cannot wait on un-acquired lock")
        token = _token()
        state = state if state is not None else _WaitState()
        state.token = token
        last = yield run_script(_COND_REGISTER, [self.key, self._stream], [token])
        saved = yield from lock._release_save_gen()
        state.released, state.saved = True, saved
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
            state.token = None
            yield from lock._acquire_restore_gen(saved)  # re-acquire like threading, re-raise
            state.released = False
            raise
        state.token = None
        yield from lock._acquire_restore_gen(saved)
        state.released = False
        return notified

    def _abandoned(self, state: _WaitState) -> Operation:
        """Finish a wait abandoned between two requests (asyncio cancellation, an interrupt):
        withdraw its token if no notify took it, and re-acquire the lock if it was released,
        as threading and asyncio do before re-raising.  One or two round trips."""
        if state.token is not None:
            token, state.token = state.token, None
            yield run_script(_COND_UNREGISTER, [self.key], [token])
        if state.released:
            yield from self._guard._acquire_restore_gen(state.saved)
            state.released = False

    wait: Any

    def _wait_for_steps(self, predicate: Callable[[], Any], timeout: float | None) -> Steps:
        """``threading.Condition.wait_for``'s loop, once for both faces: steps the face's
        driver runs (the predicate, a wait), awaiting what they return on the asyncio face."""
        endtime = None
        waittime = timeout
        result = yield predicate
        while not result:
            if waittime is not None:
                if endtime is None:
                    endtime = time.monotonic() + waittime
                else:
                    waittime = endtime - time.monotonic()
                    if waittime <= 0:
                        break
            yield functools.partial(self.wait, waittime)
            result = yield predicate
        return result

    @op
    def notify(self, n: int = 1) -> Op[int]:
        """Wake up to ``n`` waiters (the longest-waiting first); one round trip, atomic.
        ``RuntimeError('cannot notify on un-acquired lock')`` like threading.  Returns how many
        were woken."""
        if not self._guard._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
        if n <= 0:
            return 0
        return (yield run_script(_COND_NOTIFY, [self.key, self._stream], [n]))

    @op
    def notify_all(self) -> Op[int]:
        """Wake every waiter; one round trip, atomic."""
        if not self._guard._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
        return (yield run_script(_COND_NOTIFY, [self.key, self._stream], [-1]))

    notifyAll = notify_all  # noqa: N815 - threading's deprecated alias

    def _n_waiters(self) -> Operation:
        return (yield Call(("LLEN", self.key), (self.key,), readonly=True))


class _WaitState:
    """How far a :meth:`ConditionBase._wait_gen` went: its registered token (until the wait
    is over) and the lock state it released (until re-acquired)."""

    __slots__ = ("token", "released", "saved")

    def __init__(self) -> None:
        self.token: str | None = None
        self.released = False
        self.saved: Any = None


class _ForeignLock:
    """A lock that is not vermilion's (``threading.Lock``...) seen through the hooks a wait
    uses, with threading.Condition's fallbacks: it protects this process only."""

    def __init__(self, lock: Any):
        self.lock = lock

    def _is_owned(self) -> bool:
        owned = getattr(self.lock, "_is_owned", None)
        if owned is not None:
            return bool(owned())
        if self.lock.acquire(False):
            self.lock.release()
            return False
        return True

    def _release_save_gen(self) -> Operation:
        save = getattr(self.lock, "_release_save", None)
        return save() if save is not None else self.lock.release()
        yield  # pragma: no cover - a generator: no request

    def _acquire_restore_gen(self, state: Any) -> Operation:
        restore = getattr(self.lock, "_acquire_restore", None)
        if restore is not None:
            restore(state)
        else:
            self.lock.acquire()
        return None
        yield  # pragma: no cover - a generator: no request


class Condition(ConditionBase, SyncFace):
    """``threading.Condition`` across processes: ``with cond: cond.wait_for(pred)``.

    The lock is a vermilion :class:`RLock` at ``{key}:lock`` by default, or the ``Lock`` /
    ``RLock`` given.  Any other lock (``threading.Lock``...) is accepted as threading does:
    it then guards this process only (the waiters and notifications are still in Redis).
    """

    _lock_classes = (Lock, RLock)

    def _foreign(self, lock: Any) -> Any:
        return _ForeignLock(lock)

    def wait(self, timeout: float | None = None) -> bool:
        """Release the lock, block until notified or ``timeout``, re-acquire; returns ``False``
        on timeout.  ``RuntimeError('cannot wait on un-acquired lock')`` like threading.

        Round trips: register (1), release (1), one XREAD per wake-up (at most a second each),
        re-acquire (1 when free).  Interrupted (KeyboardInterrupt...), it withdraws and
        re-acquires the lock before re-raising.
        """
        state = _WaitState()
        try:
            return self._run(self._wait_gen(timeout, state), False, "wait")  # type: ignore[no-any-return]
        except BaseException:
            self._run(self._abandoned(state), True, "wait")
            raise

    def wait_for(self, predicate: Callable[[], Any], timeout: float | None = None) -> Any:
        """Wait until ``predicate()`` is true (checked with the lock held), like
        ``threading.Condition.wait_for``; returns the last predicate value."""
        return drive_steps(self._wait_for_steps(predicate, timeout))

    def __enter__(self) -> bool:
        return self._lock.__enter__()  # type: ignore[no-any-return]

    def __exit__(self, *exc: Any) -> None:
        self._lock.__exit__(*exc)

    def __repr__(self) -> str:
        """threading.Condition's shape with the key: ``<vermilion.Condition(<unlocked
        vermilion.RLock object ...>, 0) key='k'>`` (the lock and the number of waiters)."""
        waiting = self._run(self._n_waiters(), True, "__repr__")
        return f"<vermilion.Condition({self._lock!r}, {waiting}) key={self.key!r}>"


class AsyncCondition(ConditionBase, AsyncFace):
    """The asyncio face of :class:`Condition`: ``async with cond: await cond.wait()``."""

    _lock_classes = (AsyncLock, AsyncRLock)

    async def __aenter__(self) -> bool:
        return await self._lock.__aenter__()  # type: ignore[no-any-return]

    async def __aexit__(self, *exc: Any) -> None:
        await self._lock.__aexit__(*exc)

    async def wait(self, timeout: float | None = None) -> bool:
        """The asyncio face of :meth:`Condition.wait`.  Cancelled, it withdraws its token and
        re-acquires the lock before re-raising ``CancelledError``, as ``asyncio.Condition``."""
        state = _WaitState()
        try:
            return await self._run(self._wait_gen(timeout, state), False, "wait")  # type: ignore[no-any-return]
        except BaseException:
            await self._run(self._abandoned(state), True, "wait")
            raise

    async def wait_for(self, predicate: Callable[[], Any], timeout: float | None = None) -> Any:
        """:meth:`Condition.wait_for`; a coroutine function (or any predicate returning an
        awaitable) is awaited."""
        return await adrive_steps(self._wait_for_steps(predicate, timeout))

