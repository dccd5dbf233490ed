"""The lease keeper: one daemon thread per process that sends lease releases and renewals.

Releasing a reader lease at the end of a read transaction is queued here and sent on the keeper's
own connection (the caller does not wait for it); held leases are renewed every ``lease / 3``
seconds.  A lost release or renewal only means the lease ends by itself (Redis server clock).
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any

from redis.cluster import RedisCluster

from ..core.calls import run_script
from ..core.config import sync_executor
from ..core.executor import SyncExecutor
from . import remote

if TYPE_CHECKING:
    from .files import RedisFile

DEFAULT_LEASE = 5.0  # seconds

Group = tuple[Any, tuple[str, ...], int]  # (side executor, keys, lease ms)


def side_executor(client: Any) -> SyncExecutor:
    """The executor the keeper uses: a connection pool of its own on a single Redis (so lease
    releases and renewals never queue behind the caller's requests), the client's on Cluster."""
    ex = getattr(client, "_vermilion_sql_side", None)
    if ex is None:
        if isinstance(client, RedisCluster):
            ex = sync_executor(client)
        else:
            import redis

            pool = client.connection_pool
            conn_cls = next(
                c for c in pool.connection_class.__mro__ if c.__module__.startswith("redis.")
            )
            side = redis.Redis(connection_pool=type(pool)(connection_class=conn_cls,
                                                   **pool.connection_kwargs))
            ex = SyncExecutor(side)
        client._vermilion_sql_side = ex
    return ex  # type: ignore[no-any-return]


class Keeper(threading.Thread):
    """Daemon thread: sends deferred lease releases at once and renews held leases."""

    def __init__(self) -> None:
        super().__init__(name="vermilion-sql-leases", daemon=True)
        self.cond = threading.Condition()
        self.files: weakref.WeakSet[RedisFile] = weakref.WeakSet()
        self.releases: dict[Group, list[tuple[str, str, str]]] = {}  # -> (op, owner, fence)
        self.sending = False
        self.next_renew = time.monotonic() + DEFAULT_LEASE / 3

    def release(self, ex: Any, keys: tuple[str, ...], lease_ms: int, op: str, owner: str,
                fence: int = 0) -> None:
        """Queue a release: ``op`` 'R' (reader lease) or 'W' (writer lease with ``fence``)."""
        with self.cond:
            self.releases.setdefault((ex, keys, lease_ms), []).append((op, owner, str(fence)))
            self.cond.notify_all()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued release has been sent; False on timeout."""
        with self.cond:
            return self.cond.wait_for(lambda: not self.releases and not self.sending, timeout)

    def take_reader_releases(self, ex: Any, keys: tuple[str, ...]) -> list[str]:
        """Reader releases still queued for a database (a begin sends them itself)."""
        out: list[str] = []
        with self.cond:
            for k in [k for k in self.releases if k[0] is ex and k[1] == keys]:
                ops = self.releases[k]
                out.extend(owner for op, owner, _ in ops if op == "R")
                rest = [t for t in ops if t[0] != "R"]
                if rest:
                    self.releases[k] = rest
                else:
                    del self.releases[k]
        return out

    def register(self, f: RedisFile) -> None:
        """Watch ``f``'s leases (renewed every lease / 3 seconds while held)."""
        with self.cond:
            self.files.add(f)
            self.next_renew = min(self.next_renew, time.monotonic() + f.ctx.lease_ms / 3000)
            self.cond.notify_all()

    def run(self) -> None:
        while True:
            with self.cond:
                if not self.releases:
                    self.cond.wait(max(0.0, self.next_renew - time.monotonic()))
                releases, self.releases = self.releases, {}
                self.sending = bool(releases)
            for (ex, keys, lease_ms), ops in releases.items():
                self._send(ex, keys, lease_ms, ops)
            if releases:
                with self.cond:
                    self.sending = False
                    self.cond.notify_all()
            now = time.monotonic()
            if now >= self.next_renew:
                interval = self._renew()
                with self.cond:
                    self.next_renew = now + interval

    def _renew(self) -> float:
        groups: dict[Group, list[tuple[str, str, str]]] = {}
        interval = DEFAULT_LEASE / 3
        for f in list(self.files):
            member, fence, held = f.member, f.fence, f.reader_held
            lease_ms = f.ctx.lease_ms
            interval = min(interval, lease_ms / 3000)
            if not (held or fence):
                continue
            ops = groups.setdefault((f.ctx.side, f.ctx.keys, lease_ms), [])
            if held:
                ops.append(("r", member, "0"))
            if fence:
                ops.append(("w", member, str(fence)))
        for (ex, keys, lease_ms), ops in groups.items():
            self._send(ex, keys, lease_ms, ops)
        return interval

    @staticmethod
    def _send(ex: Any, keys: tuple[str, ...], lease_ms: int, ops: list[tuple[str, str, str]]
              ) -> None:
        args: list[Any] = [lease_ms]
        for t in ops:
            args.extend(t)
        try:
            remote.call(ex, run_script(remote.LEASE, keys, args))
        except Exception:  # noqa: BLE001 - a lost release ends with its lease
            pass


_keeper: Keeper | None = None
_keeper_lock = threading.Lock()


def keeper() -> Keeper:
    """This process's keeper thread (started on first use, and again after a fork)."""
    global _keeper
    with _keeper_lock:
        if _keeper is None:
            _keeper = Keeper()
            _keeper.start()
        return _keeper


def _after_fork() -> None:  # threads and leases do not survive fork
    global _keeper, _keeper_lock
    _keeper = None
    _keeper_lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork)
