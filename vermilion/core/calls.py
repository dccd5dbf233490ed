"""What an operation asks of Redis.

Every operation of every vermilion type is written once, as a generator that yields requests and
receives their replies.  A request is one of:

* a :class:`Call` - one command or one Lua script; the reply is the raw RESP reply (bytes, ints,
  lists) or an exception thrown into the generator;
* a ``list`` of calls - sent together in one round trip (pipelined); the reply is the list of
  replies, or the first error thrown into the generator;
* a :class:`Sleep` - pause (``time.sleep`` or ``asyncio.sleep`` depending on the runner);
* a :class:`Compute` - call a function of the caller's (a database query, a cached function):
  the sync runner calls it, the asyncio runner calls it and awaits what it returns if that is
  awaitable; its result (or exception) is sent back into the generator.

The sync and asyncio runners in :mod:`vermilion.core.runner` drive these generators.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any, TypeVar, Union

from .scripts import Script


class Call:
    """One command (``args``) or one Lua ``script`` run with ``keys`` and ``args``.

    ``readonly`` calls change nothing, so they may be resent after a broken connection and run
    immediately (with WATCH) inside transactions.
    """

    __slots__ = ("args", "keys", "readonly", "script")

    def __init__(
        self,
        args: Sequence[Any],
        keys: Sequence[str] = (),
        *,
        readonly: bool = False,
        script: Script | None = None,
    ):
        self.args: tuple[Any, ...] = tuple(args)
        self.keys: tuple[str, ...] = tuple(keys)
        self.readonly: bool = readonly
        self.script: Script | None = script

    @property
    def name(self) -> str:
        """The command name (or ``script:<name>``) for error messages."""
        if self.script is not None:
            return f"script:{self.script.name}"
        return str(self.args[0]) if self.args else "?"

    def wire(self, use_sha: bool = True) -> tuple[Any, ...]:
        """The command as sent: scripts become EVALSHA (or EVAL with the source)."""
        if self.script is None:
            return self.args
        head = ("EVALSHA", self.script.sha) if use_sha else ("EVAL", self.script.source)
        return (*head, len(self.keys), *self.keys, *self.args)

    def __repr__(self) -> str:
        return f"Call({self.name}, keys={self.keys!r})"


class Sleep:
    """Ask the runner to pause ``seconds`` (used by polling waits)."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float):
        self.seconds: float = seconds


class Compute:
    """Ask the runner to call ``fn(*args, **kwargs)`` (awaiting the result on the asyncio
    runner when it is awaitable): how an operation runs work that is not Redis's, once for both
    faces."""

    __slots__ = ("fn", "args", "kwargs")

    def __init__(self, fn: Any, *args: Any, **kwargs: Any):
        self.fn: Any = fn
        self.args: tuple[Any, ...] = args
        self.kwargs: dict[str, Any] = kwargs


Request = Union[Call, list[Call], Sleep, Compute]  # noqa: UP007 - runtime alias on 3.10
Operation = Generator[Request, Any, Any]
_R = TypeVar("_R")
Op = Generator[Request, Any, _R]  # an operation whose result is ``_R``: ``def pop(self) -> Op[T]``


def cmd(*args: Any, key: str | None = None, readonly: bool = False) -> Call:
    """A single-key command; ``key`` defaults to ``args[1]``."""
    k = key if key is not None else args[1]
    return Call(args, (k,), readonly=readonly)


def run_script(
    script: Script, keys: Sequence[str], args: Sequence[Any] = (), *, readonly: bool = False
) -> Call:
    """A Lua script call; every key it touches is in ``keys`` (Redis Cluster requires it)."""
    return Call(args, keys, readonly=readonly, script=script)
