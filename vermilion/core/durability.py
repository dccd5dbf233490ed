"""Opt-in replication acknowledgement for writes (Redis ``WAIT``).

Redis replicates asynchronously: a write the master acknowledged can be lost if the master fails
before a replica received it.  With a :class:`Durability` in effect, every request that writes is
followed, in the same round trip and on the same connection, by ``WAIT replicas timeout``; fewer
acknowledgements than asked raise :class:`~vermilion.core.errors.NotReplicated` (the write stays
applied: Redis cannot undo it).  ``WAIT`` narrows the loss window to a failover that promotes a
replica which had not yet acknowledged; it does not make Redis strongly consistent.

Set it for the whole process with ``configure(durability=Durability(1))`` or for a block of code
(sync or asyncio; it follows contextvars) with ``with vermilion.durability(1, timeout=0.5): ...``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Durability:
    """Wait for ``replicas`` replicas to acknowledge each write, at most ``timeout`` seconds."""

    replicas: int = 1
    timeout: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.replicas, bool) or not isinstance(self.replicas, int):
            raise TypeError(f"replicas must be an int, not {type(self.replicas).__name__}")
        if self.replicas < 0:
            raise ValueError("replicas must be >= 0")
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float)):
            raise TypeError(f"timeout must be a number of seconds, not {self.timeout!r}")
        if not self.timeout > 0:
            raise ValueError("timeout must be > 0 seconds (WAIT 0 would wait forever)")

    @property
    def timeout_ms(self) -> int:
        return max(1, int(round(self.timeout * 1000)))


_default: list[Durability | None] = [None]
_current: contextvars.ContextVar[Durability | None] = contextvars.ContextVar(
    "vermilion_durability", default=None
)
_NONE = Durability(0)  # marks "explicitly off" inside a block


def set_default(value: Durability | None) -> None:
    _default[0] = value


def current() -> Durability | None:
    """The durability in effect here (a ``durability()`` block, else ``configure``'s), or None."""
    value = _current.get()
    if value is None:
        value = _default[0]
    return None if value is None or value.replicas == 0 else value


@contextmanager
def durability(replicas: int = 1, timeout: float = 1.0) -> Iterator[Durability]:
    """Within the block, each write waits until ``replicas`` replicas acknowledged it
    (``replicas=0`` turns waiting off inside the block).  Costs no extra round trip: ``WAIT``
    is pipelined after the write; the write's latency grows by the replication delay."""
    value = Durability(replicas, timeout) if replicas else _NONE
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)
