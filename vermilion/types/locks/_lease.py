"""What every lease type shares: timeouts and deadlines, the wait for a lease, background renewal
(written once: one generator run by a thread on the sync face, by a task on the asyncio face)."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import secrets
import threading
import time
from collections.abc import Callable, Generator
from typing import Any, ClassVar

from ...core.base import AsyncFace, RedisObject, SyncFace, to_ms
from ...core.calls import Call, Operation, Sleep
from ...core.codec import Codec

BrokenBarrierError = threading.BrokenBarrierError

DEFAULT_LEASE = 30.0
# seconds per blocking call: redis-py 8 clients default to a 5 s socket_timeout, and short
# blocks keep long waits cancellable (a waiter re-issues its block once a second, no polling)
_MAX_BLOCK = 1.0
_MIN_BLOCK = 0.01  # Redis reads a blocking timeout that rounds to 0 ms as "forever"
_RENEW_STEP = 0.25  # longest pause of a renewal loop before it checks whether to stop


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
    if timeout > threading.TIMEOUT_MAX:
        raise OverflowError("timeout value is too large")
    return None if timeout == -1 else float(timeout)


# ---------------------------------------------------------------------------------------------
# steps: logic written once as a generator of callables, run by one small driver per face
# ---------------------------------------------------------------------------------------------
Steps = Generator[Callable[[], Any], Any, Any]


def _advance(steps: Steps, reply: Any, error: BaseException | None) -> tuple[bool, Any]:
    """Send ``reply`` (or throw ``error``) into ``steps``: ``(True, result)`` when it returned,
    else ``(False, next step)``."""
    try:
        return False, (steps.throw(error) if error is not None else steps.send(reply))
    except StopIteration as stop:
        return True, stop.value


def drive_steps(steps: Steps) -> Any:
    """Run ``steps`` on the sync face: call each step, send back its result (or throw its
    exception in); the generator's return value is the result."""
    done, value, error = False, None, None
    while True:
        done, step = _advance(steps, value, error)
        if done:
            return step
        try:
            value, error = step(), None
        except BaseException as exc:  # noqa: BLE001 - handed to the generator
            value, error = None, exc


async def adrive_steps(steps: Steps) -> Any:
    """:func:`drive_steps` on the asyncio face: a step's awaitable result (a coroutine
    function's, an operation of the asyncio face) is awaited."""
    done, value, error = False, None, None
    while True:
        done, step = _advance(steps, value, error)
        if done:
            return step
        try:
            value, error = step(), None
            if inspect.isawaitable(value):
                value = await value
        except BaseException as exc:  # noqa: BLE001 - handed to the generator
            value, error = None, exc


# ---------------------------------------------------------------------------------------------
# face hooks: how a background renewal runs, and "who is the current thread/task"
# ---------------------------------------------------------------------------------------------
class _Stop:
    """Asks a background renewal to end (checked between its steps)."""

    __slots__ = ("set_", "handle")

    def __init__(self) -> None:
        self.set_ = False
        self.handle: Any = None  # the asyncio task running it (sync face: none)


def _halt(stop: _Stop) -> None:
    """Ask the background renewal ``stop`` belongs to to end (cancel its task, if any)."""
    stop.set_ = True
    if stop.handle is not None:
        stop.handle.cancel()


def _renewal_loop(interval: float, renew: Callable[[], Operation], stop: _Stop) -> Operation:
    """Run ``renew()`` (an operation returning whether the lease is still held) every
    ``interval`` seconds until ``stop`` is set or the lease is lost; a failed renewal is retried
    at the next tick.  Sleeps in steps of at most ``_RENEW_STEP`` seconds so a stopped loop ends
    soon after."""
    while True:
        slept = 0.0
        while slept < interval:
            step = min(_RENEW_STEP, interval - slept)
            yield Sleep(step)
            slept += step
            if stop.set_:
                return None
        try:
            alive = yield from renew()
        except Exception:  # noqa: BLE001 - a failed renewal is retried at the next tick
            continue
        if not alive or stop.set_:
            return None


class _SyncSpawn(SyncFace):
    """Sync face of a background renewal: it runs in a daemon thread."""

    def _spawn(self, operation: Operation, stop: _Stop) -> None:
        thread = threading.Thread(target=self._run, args=(operation, True, "renew"),
                                  name=f"vermilion-renew:{self.key}", daemon=True)
        thread.start()


class _AsyncSpawn(AsyncFace):
    """Asyncio face of a background renewal: it runs in a task."""

    def _spawn(self, operation: Operation, stop: _Stop) -> None:
        stop.handle = asyncio.get_running_loop().create_task(
            self._run(operation, True, "renew"))


class _SyncHooks(_SyncSpawn):
    """Sync lease types: ``with lock:`` acquires (blocking) and releases; renewal runs in a
    daemon thread."""

    def __enter__(self) -> bool:
        return bool(self.acquire())  # type: ignore[attr-defined]

    def __exit__(self, *exc: Any) -> None:
        self.release()  # type: ignore[attr-defined]

    def _who(self) -> int:
        return threading.get_ident()


class _AsyncHooks(_AsyncSpawn):
    """Asyncio lease types: ``async with lock:``; renewal runs in a task."""

    async def __aenter__(self) -> bool:
        return bool(await self.acquire())  # type: ignore[attr-defined]

    async def __aexit__(self, *exc: Any) -> None:
        await self.release()  # type: ignore[attr-defined]

    def _who(self) -> int:
        return id(asyncio.current_task())


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
        self._renewer: _Stop | None = None
        self._setup()

    def _setup(self) -> None:
        """Per-object state of a subclass (its constructor takes the same arguments)."""

    @property
    def timeout(self) -> float:
        """The lease length in seconds."""
        return self._lease

    @property
    def _signal(self) -> str:
        return self._aux("signal")

    # face hooks (provided by _SyncHooks / _AsyncHooks)
    def _who(self) -> int:
        raise NotImplementedError

    def _spawn(self, operation: Operation, stop: _Stop) -> None:
        raise NotImplementedError

    def _renew_gen(self) -> Operation:
        raise NotImplementedError
        yield  # pragma: no cover

    # background renewal: one loop, run by a thread (sync) or a task (asyncio)
    def _start_renewal(self) -> None:
        if not self._auto_renew or self._renewer is not None:
            return
        stop = self._renewer = _Stop()
        self._spawn(self._renewal(stop), stop)

    def _stop_renewal(self) -> None:
        stop, self._renewer = self._renewer, None
        if stop is not None:
            _halt(stop)

    def _renewal(self, stop: _Stop) -> Operation:
        """Renew the lease every ``timeout / 3`` seconds until it is released (``stop``) or
        lost (:func:`_renewal_loop`)."""
        return (yield from _renewal_loop(self._lease / 3, self._renew_gen, stop))

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

