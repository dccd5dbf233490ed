"""Semaphore and BoundedSemaphore: leased permits in a sorted set."""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from typing import Any, ClassVar

from ...core.base import op
from ...core.calls import Op, Operation, run_script
from ...core.codec import Codec
from ...core.errors import LockNotOwnedError
from ...core.scripts import load_script
from ._lease import (
    DEFAULT_LEASE,
    _AsyncHooks,
    _LeaseBase,
    _SyncHooks,
    _token,
)

_SEM_ACQUIRE = load_script("lock_sem_acquire")
_SEM_RELEASE = load_script("lock_sem_release")
_SEM_RENEW = load_script("lock_sem_renew")
_SEM_VALUE = load_script("lock_sem_value")

# ---------------------------------------------------------------------------------------------
# Semaphore / BoundedSemaphore
# ---------------------------------------------------------------------------------------------
class SemaphoreBase(_LeaseBase):
    """Operations of :class:`Semaphore`: a sorted set of holder tokens scored by lease expiry.

    Every user of one key must pass the same ``value``.  Releases beyond what is held (plain
    Semaphore only) add permanent permits, as ``threading.Semaphore`` does.
    """

    type_name = "Semaphore"
    aux_suffixes: ClassVar[tuple[str, ...]] = ("extra", "signal")
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
                                     [token, self._lease_ms, self._value,
                                      "1" if self._bounded else "0"]))

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
    def acquire(self, blocking: bool = True, timeout: float | None = None) -> Op[bool]:
        """Take a permit like ``threading.Semaphore.acquire``; returns ``True`` or ``False``.

        One round trip when a permit is free (one script that also purges expired holders);
        waiting blocks on the signal list, bounded by the first holder's lease.
        """
        if not blocking and timeout is not None:
            raise ValueError("can't specify timeout for non-blocking acquire")
        return (yield from self._acquire_gen(blocking, timeout))

    @op
    def release(self, n: int = 1) -> Op[None]:
        """Give back ``n`` permits (the newest this object holds); one round trip, atomic.

        A plain Semaphore adds permits beyond those held, like ``threading.Semaphore`` (any
        process may release).  A BoundedSemaphore checks its bound in Redis, atomically:
        ``ValueError('Semaphore released too many times')`` (nothing changed) if the value,
        counted over every process, would exceed the initial one.  LockNotOwnedError if a
        released permit's lease had expired.  Wakes ``n`` waiters.
        """
        if n < 1:
            raise ValueError("n must be one or more")
        take = min(n, len(self._tokens))
        mine = [self._tokens.pop() for _ in range(take)]
        try:
            live = yield run_script(
                _SEM_RELEASE, [self.key, self._aux("extra"), self._signal],
                [n - take, self._lease_ms, self._value, "1" if self._bounded else "0", *mine])
        except ValueError:
            self._tokens.extend(reversed(mine))  # refused: still held
            raise
        if not self._tokens:
            self._stop_renewal()
        if live < len(mine):
            raise LockNotOwnedError(
                f"semaphore {self.key!r}: {len(mine) - live} released permit(s) had expired",
                key=self.key, command="release")

    @op
    def renew(self) -> Op[int]:
        """Reset the lease of every permit this object holds; one round trip.  Returns how many
        were still live."""
        tokens = list(self._tokens)
        if not tokens:
            return 0
        return (yield run_script(_SEM_RENEW, [self.key], [self._lease_ms, *tokens]))

    def held(self) -> int:
        """Permits this object believes it holds (no round trip)."""
        return len(self._tokens)

    @op
    def value(self) -> Op[int]:
        """The semaphore's current value, counted over every process: ``value`` plus the
        permits released beyond those held, minus the live holders; one round trip."""
        live, extra = yield run_script(_SEM_VALUE, [self.key, self._aux("extra")],
                                       readonly=True)
        return self._value + int(extra) - int(live)


def _sem_repr(sem: Any, bound: str) -> str:
    """threading's shape with the key: ``<vermilion.Semaphore at 0x... key='k': value=3>``."""
    cls = type(sem)
    return (f"<{cls.__module__.split('.')[0]}.{cls.__qualname__} at {id(sem):#x} "
            f"key={sem.key!r}: value={sem.value()}{bound}>")


class Semaphore(_SyncHooks, SemaphoreBase):
    """``threading.Semaphore`` across processes: ``with vermilion.Semaphore(3, key="pool"):``."""

    def __repr__(self) -> str:
        return _sem_repr(self, f"/{self._value}" if self._bounded else "")


class AsyncSemaphore(_AsyncHooks, SemaphoreBase):
    """The asyncio face of :class:`Semaphore`: ``async with sem:``."""


class BoundedSemaphore(Semaphore):
    """``threading.BoundedSemaphore``: a release that would raise the value (counted in Redis,
    over every process) above the initial one is a ValueError."""

    type_name = "BoundedSemaphore"
    _bounded = True


class AsyncBoundedSemaphore(AsyncSemaphore):
    """The asyncio face of :class:`BoundedSemaphore`."""

    type_name = "BoundedSemaphore"
    _bounded = True

