"""The two thin runners (sync and asyncio) that execute operation generators, and transactions.

An operation is described once, as a generator (see :mod:`vermilion.core.calls`).  ``drive_sync``
and ``drive_async`` are the only places that differ by runtime: they send each request through an
executor and feed the replies (or errors) back.  :class:`Transaction` is pure logic: it wraps an
operation so its reads run at once (after WATCHing their keys) and its write is queued for one
MULTI/EXEC at the end of the block.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from .calls import Call, Compute, Operation, Sleep
from .errors import NotReplicated, TransactionConflict, TransactionError
from .executor import AsyncExecutor, Pin, SyncExecutor, describe, translate


class RawBatch(list[Call]):
    """A batch whose replies (errors included) are handed back unexamined."""


def _outcome(req: Call | list[Call], replies: list[Any]) -> tuple[Any, Exception | None]:
    """Shape the executor's replies for the generator: a value to send, or an error to throw."""
    if isinstance(req, RawBatch):
        return replies, None
    calls = [req] if isinstance(req, Call) else req
    for call, reply in zip(calls, replies):
        if isinstance(reply, Exception):
            return None, translate(reply, call)
    return (replies[0] if isinstance(req, Call) else replies), None


def _finished(value: Any, shortfall: NotReplicated | None) -> Any:
    """An operation's result, or the :class:`NotReplicated` of one of its writes carrying it."""
    if shortfall is not None:
        shortfall.result = value
        raise shortfall
    return value


def drive_sync(op: Operation, executor: SyncExecutor, pin: Pin | None = None) -> Any:
    """Run ``op`` to completion on a sync executor and return its result."""
    shortfall: NotReplicated | None = None
    try:
        req = next(op)
        while True:
            if isinstance(req, Sleep):
                time.sleep(req.seconds)
                req = op.send(None)
                continue
            if isinstance(req, Compute):
                try:
                    result = req.fn(*req.args, **req.kwargs)
                except Exception as exc:
                    req = op.throw(exc)
                    continue
                req = op.send(result)
                continue
            calls = [req] if isinstance(req, Call) else req
            try:
                replies = executor.execute(calls, isinstance(req, Call), pin)
            except NotReplicated as exc:  # applied, but short of replicas: finish, then say so
                shortfall, replies = exc, exc.replies
            except Exception as exc:
                req = op.throw(exc)
                continue
            value, error = _outcome(req, replies)
            req = op.throw(error) if error is not None else op.send(value)
    except StopIteration as stop:
        return _finished(stop.value, shortfall)


async def drive_async(op: Operation, executor: AsyncExecutor, pin: Pin | None = None) -> Any:
    """Run ``op`` to completion on an asyncio executor and return its result."""
    shortfall: NotReplicated | None = None
    try:
        req = next(op)
        while True:
            if isinstance(req, Sleep):
                await asyncio.sleep(req.seconds)
                req = op.send(None)
                continue
            if isinstance(req, Compute):
                try:
                    result = req.fn(*req.args, **req.kwargs)
                    if inspect.isawaitable(result):
                        result = await result
                except Exception as exc:
                    req = op.throw(exc)
                    continue
                req = op.send(result)
                continue
            calls = [req] if isinstance(req, Call) else req
            try:
                replies = await executor.execute(calls, isinstance(req, Call), pin)
            except NotReplicated as exc:  # applied, but short of replicas: finish, then say so
                shortfall, replies = exc, exc.replies
            except Exception as exc:
                req = op.throw(exc)
                continue
            value, error = _outcome(req, replies)
            req = op.throw(error) if error is not None else op.send(value)
    except StopIteration as stop:
        return _finished(stop.value, shortfall)


class Queued:
    """The result of an operation queued in a transaction; ``value`` is set once it commits."""

    __slots__ = ("_value", "_error", "_done")

    def __init__(self) -> None:
        self._done = False
        self._value: Any = None
        self._error: Exception | None = None

    @property
    def done(self) -> bool:
        return self._done

    @property
    def value(self) -> Any:
        if not self._done:
            raise TransactionError("the transaction has not been committed yet")
        if self._error is not None:
            raise self._error
        return self._value

    def __repr__(self) -> str:
        return f"<Queued {'done' if self._done else 'pending'}>"


class Transaction:
    """Writes queued for one MULTI/EXEC; reads run at once and WATCH what they read.

    Reads inside the block see the state before the block's queued writes.  Any key read in the
    block that another client changes before the commit makes the commit fail with
    :class:`TransactionConflict` and nothing is applied.  Writes return :class:`Queued` results.
    """

    def __init__(self, executor: Any):
        self.executor = executor
        self.pin: Pin = Pin()
        self.watched: set[str] = set()
        self.queued: list[tuple[Call | list[Call], Operation, Queued]] = []

    def wrap(self, op: Operation, allowed: bool, name: str) -> Operation:
        if not allowed:
            op.close()
            raise TransactionError(f"{name} blocks or needs several round trips; "
                                   "it cannot run inside a transaction")
        try:
            req = next(op)
            while True:
                if isinstance(req, (Sleep, Compute)):
                    raise TransactionError(f"{name} waits and cannot run inside a transaction")
                calls = [req] if isinstance(req, Call) else req
                if not all(c.readonly for c in calls):
                    pending = Queued()
                    self.queued.append((req, op, pending))
                    return pending
                new = sorted({k for c in calls for k in c.keys} - self.watched)
                batch = RawBatch(([Call(("WATCH", *new), new, readonly=True)] if new else []) + calls)
                self.watched.update(new)
                replies = yield batch
                value, error = _outcome(req, replies[len(batch) - len(calls):])
                req = op.throw(error) if error is not None else op.send(value)
        except StopIteration as stop:
            return stop.value

    def commit(self) -> Operation:
        if not self.queued:
            if self.watched:
                yield RawBatch([Call(("UNWATCH",), readonly=True)])
            return None
        calls: list[Call] = [Call(("MULTI",))]
        for req, _, _ in self.queued:
            calls.extend([req] if isinstance(req, Call) else req)
        calls.append(Call(("EXEC",)))
        replies = yield RawBatch(calls)
        results = replies[-1]
        if isinstance(results, Exception):
            failure = translate(results, calls[1])
            if failure is results:  # a plain Redis error: name the transaction's keys
                key, name, text = describe(calls)
                raise TransactionError(f"{text} failed: {results}", key=key, command=name) from results
            raise failure
        if results is None:
            raise TransactionConflict(
                f"keys {sorted(self.watched)!r} changed before the commit; nothing was applied",
                key=min(self.watched) if self.watched else None,
            )
        first_error: Exception | None = None
        i = 0
        for req, op, pending in self.queued:
            n = 1 if isinstance(req, Call) else len(req)
            value, error = _outcome(req, results[i : i + n])
            i += n
            try:
                op.throw(error) if error is not None else op.send(value)
                op.close()
                pending._error = TransactionError("operation needed a second round trip")
            except StopIteration as stop:
                pending._value = stop.value
            except Exception as exc:
                pending._error = exc
            pending._done = True
            if pending._error is not None and first_error is None:
                first_error = pending._error
        if first_error is not None:
            raise first_error
        return None


_sync_tx: contextvars.ContextVar[Transaction | None] = contextvars.ContextVar(
    "vermilion_sync_tx", default=None
)
_async_tx: contextvars.ContextVar[Transaction | None] = contextvars.ContextVar(
    "vermilion_async_tx", default=None
)


def in_transaction(face: str) -> bool:
    """Whether operations of ``face`` ("sync" or "async") are being queued in a transaction
    block in this context."""
    return (_sync_tx if face == "sync" else _async_tx).get() is not None


def run_sync(executor: SyncExecutor, op: Operation, allowed_in_tx: bool, name: str) -> Any:
    """Run an operation now, or queue it in the current transaction."""
    tx = _sync_tx.get()
    if tx is None:
        return drive_sync(op, executor)
    if tx.executor is not executor:
        op.close()
        raise TransactionError(f"{name} uses another client than the active transaction")
    return drive_sync(tx.wrap(op, allowed_in_tx, name), executor, tx.pin)


async def run_async(executor: AsyncExecutor, op: Operation, allowed_in_tx: bool, name: str) -> Any:
    tx = _async_tx.get()
    if tx is None:
        return await drive_async(op, executor)
    if tx.executor is not executor:
        op.close()
        raise TransactionError(f"{name} uses another client than the active transaction")
    return await drive_async(tx.wrap(op, allowed_in_tx, name), executor, tx.pin)


class _Scope:
    """Entering and leaving a transaction block: the bookkeeping both faces share (they differ
    only in awaiting the commit and the connection's release)."""

    def __init__(self, var: contextvars.ContextVar[Transaction | None], executor: Any):
        if var.get() is not None:
            raise TransactionError("transactions do not nest")
        self.tx = Transaction(executor)
        self.var = var
        self.token: contextvars.Token[Transaction | None] | None = var.set(self.tx)
        self.ok = False

    def commit(self) -> Operation:
        """Leave the block (operations after it run normally) and return the commit."""
        self._leave()
        return self.tx.commit()

    def broken(self) -> bool:
        """Leave the block; True when the connection's state is unknown (an abandoned block
        leaves WATCHes on it): it is dropped rather than reused."""
        self._leave()
        return not self.ok

    def _leave(self) -> None:
        if self.token is not None:
            self.var.reset(self.token)
            self.token = None


@contextmanager
def sync_transaction(executor: SyncExecutor) -> Iterator[Transaction]:
    scope = _Scope(_sync_tx, executor)
    try:
        yield scope.tx
        drive_sync(scope.commit(), executor, scope.tx.pin)
        scope.ok = True
    finally:
        executor.release(scope.tx.pin, broken=scope.broken())


@asynccontextmanager
async def async_transaction(executor: AsyncExecutor) -> AsyncIterator[Transaction]:
    scope = _Scope(_async_tx, executor)
    try:
        yield scope.tx
        await drive_async(scope.commit(), executor, scope.tx.pin)
        scope.ok = True
    finally:
        await executor.release(scope.tx.pin, broken=scope.broken())
