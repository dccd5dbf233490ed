"""Timing harness shared by the benchmarks: one private redis-server, one connection per library.

Every library gets its own redis-py client (so its own TCP loopback connection) to the same
private ``redis-server`` started here with :class:`vermilion.server.EmbeddedServer` (never a
server already running on the machine).  A case describes, for each library, a ``setup`` (run
before every repeat, not timed), an ``op(i)`` (one operation, timed) and optionally ``state()``
(the container's content, used to check that the libraries computed the same thing).
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis

from vermilion.core.config import client_from_url
from vermilion.server import EmbeddedServer

LIBS = ("vermilion", "redis-py", "pottery", "walrus")


@dataclass
class Impl:
    """One library's version of an operation."""

    op: Callable[[int], Any]
    setup: Callable[[], Any] = lambda: None
    state: Callable[[], Any] | None = None


Builder = Callable[["Env", int], "Impl | None"]


@dataclass
class Case:
    """One benchmarked operation: ``n`` operations per repeat for every library."""

    name: str
    group: str
    n: int
    quick_n: int
    builders: dict[str, Builder]
    note: str = ""
    bulk: bool = False  # iteration / bulk operations (pottery target is >= 3x)
    max_repeats: int | None = None  # cap for very slow peers (pottery list iteration)


@dataclass
class Result:
    case: Case
    n: int
    ops: dict[str, float] = field(default_factory=dict)  # library -> ops/s (median)
    samples: dict[str, list[float]] = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)  # library -> (results, state)

    def ratio(self, lib: str) -> float | None:
        vm, other = self.ops.get("vermilion"), self.ops.get(lib)
        if vm is None or other is None:
            return None
        return vm / other


class Env:
    """The private server and one client (one connection) per library."""

    def __init__(self, quick: bool = False):
        self.quick = quick
        self.server = EmbeddedServer(tcp=True)
        url = self.server.url
        self.url = url
        # vermilion: the client vermilion itself builds from a URL (no command retries).
        self.vm = client_from_url(url)
        self.rp: Any = redis.Redis.from_url(url)
        self.pot = redis.Redis.from_url(url)
        try:
            import walrus

            self.wal: Any = walrus.Database.from_url(url)
        except ImportError:  # pragma: no cover - bench extra not installed
            self.wal = None
        try:
            import pottery  # noqa: F401

            self.has_pottery = True
        except ImportError:  # pragma: no cover
            self.has_pottery = False
        for c in (self.vm, self.rp, self.pot):
            c.ping()
        if self.wal is not None:
            self.wal.ping()

    def flush(self) -> None:
        self.rp.flushall()

    def close(self) -> None:
        for c in (self.vm, self.rp, self.pot, self.wal):
            if c is not None:
                c.close()
        self.server.stop()

    def __enter__(self) -> Env:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def timed(n: int, op: Callable[[int], Any]) -> float:
    """Seconds for ``n`` calls of ``op(i)``, the garbage collector paused."""
    gc_was = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for i in range(n):
            op(i)
        return time.perf_counter() - t0
    finally:
        if gc_was:
            gc.enable()


def _time_once(impl: Impl, n: int) -> float:
    impl.setup()
    return timed(n, impl.op)


def check(impl: Impl, k: int) -> tuple[list[Any], Any]:
    """Run ``k`` operations from a fresh setup; return their results and the final state."""
    impl.setup()
    results = [impl.op(i) for i in range(k)]
    return results, (impl.state() if impl.state is not None else None)


def run_case(
    env: Env,
    case: Case,
    *,
    repeats: int,
    libs: tuple[str, ...] = LIBS,
    check_ops: int = 5,
) -> Result:
    """Warm up, then time ``repeats`` rounds, interleaving libraries within each round."""
    n = case.quick_n if env.quick else case.n
    impls: dict[str, Impl] = {}
    for lib in libs:
        builder = case.builders.get(lib)
        if builder is None:
            continue
        impl = builder(env, n)
        if impl is not None:
            impls[lib] = impl
    res = Result(case, n)
    if case.max_repeats is not None:
        repeats = min(repeats, case.max_repeats)
    if case.bulk:
        check_ops = min(check_ops, 2)
    for lib, impl in impls.items():
        res.checks[lib] = check(impl, min(check_ops, n))  # also loads scripts: the warm-up
        _time_once(impl, min(n, max(1, n // 10)))  # warm-up proper
        res.samples[lib] = []
    for _ in range(repeats):
        for lib, impl in impls.items():
            res.samples[lib].append(_time_once(impl, n))
    for lib, samples in res.samples.items():
        res.ops[lib] = n / statistics.median(samples)
    return res
