"""Leases: the state of one connection's leases, and the keeper thread of the process.

:class:`LeaseState` is what one connection (its main database file) holds: no lease, a reader
lease (or a read without one, Redis being out of memory), the writer lease with its fencing
token for the transaction, or the writer lease kept between transactions.  It is plain data with
named transitions; the file sends what a transition returns to the keeper.

The keeper is one daemon thread per process that sends lease releases and renewals (and the
buffered statistics counters of :mod:`.api`).  It sees connections only as
:class:`LeaseHolder` objects: the leases to renew or, at exit, to release.

Releasing a reader lease at the end of a read transaction is queued here for up to
:data:`RELEASE_DELAY`: the next begin or commit of this process on that database carries it,
else the keeper sends it on its own connection (the caller never waits for it).  A writer lease
that a commit kept for the connection's next write is queued the same way and taken back by that
write (:meth:`Keeper.take_back`), or carried at once by another writer of this process on that
database (:meth:`Keeper.take_carried`); it is not renewed.  Leases held by a transaction are
renewed every ``lease / 3`` seconds.  A lost release or renewal only means the lease ends by
itself (Redis server clock).

The garbage collector may close a forgotten connection on any thread, the keeper's included:
nothing here waits there (:meth:`Keeper.flush`), the keeper is started outside its lock, and a
fork waits for the keeper to sleep (a child never touches its parent's leases: see
``RedisFile.pid``).
"""

from __future__ import annotations

import atexit
import enum
import gc
import logging
import os
import threading
import time
import weakref
from typing import Any, Protocol

from redis.cluster import RedisCluster

from ..core.calls import Call, run_script
from ..core.config import sync_executor
from ..core.executor import SyncExecutor
from . import remote

DEFAULT_LEASE = 5.0  # seconds
RELEASE_DELAY = 0.02  # seconds a reader release may wait for the next begin to carry it
MAX_CARRIED = 500  # reader releases one begin carries at most (the rest go with the keeper)
COUNTS_DELAY = 0.05  # seconds statistics counters are buffered before the keeper sends them

log: logging.Logger = logging.getLogger("vermilion.sql")


def count_call(keys: tuple[str, str], fields: dict[str, int]) -> Call:
    """The script adding ``fields`` to a database's statistics hash; ``keys`` are its meta and
    stats keys (nothing is added once the database was dropped)."""
    args: list[Any] = []
    for field, n in fields.items():
        if n:
            args.extend((field, n))
    return run_script(remote.COUNT, keys, args)

Group = tuple[Any, tuple[str, ...], int]  # (side executor, keys, lease ms)
Op = tuple[str, str, str]  # (op, owner, fence) of the lease script (see lua/sql_lease.lua)


# -- one connection's leases ----------------------------------------------------------------------
class Reader(enum.Enum):
    """The reader lease of a connection's transaction."""

    NONE = "none"  # no read transaction
    HELD = "held"  # registered in ``readers``, renewed by the keeper
    UNLEASED = "unleased"  # reading without one (Redis refused it: out of memory)


class Writer(enum.Enum):
    """The writer lease of a connection."""

    NONE = "none"  # not held
    HELD = "held"  # held by the current transaction, renewed by the keeper
    KEEPING = "keeping"  # the current transaction's commit kept it (its transaction not ended)
    KEPT = "kept"  # held between transactions, its release queued with the keeper


class LeaseState:
    """The leases one connection holds, and the transitions SQLite's locks drive.

    ``member`` is the id of the current transaction (its reader lease's id); ``owner`` and
    ``fence`` name the writer lease held (``fence`` is 0 when none).  Transitions that end a
    lease return the lease script's op to send (see :class:`Keeper`); none sends anything.
    Not thread-safe: the connection's thread changes it, the keeper only reads it (a renewal
    of a lease just released is refused by the script, owner and fence being checked)."""

    def __init__(self) -> None:
        self.reader: Reader = Reader.NONE
        self.writer: Writer = Writer.NONE
        self.member: str = ""
        self.owner: str = ""
        self.fence: int = 0

    def __repr__(self) -> str:
        return (f"LeaseState(reader={self.reader.value}, writer={self.writer.value}, "
                f"member={self.member!r}, owner={self.owner!r}, fence={self.fence})")

    @property
    def reading(self) -> bool:
        """In a read transaction (with a reader lease or without one)."""
        return self.reader is not Reader.NONE

    @property
    def writing(self) -> bool:
        """Holding the writer lease (SQLite's RESERVED), kept between transactions included."""
        return self.writer is not Writer.NONE

    @property
    def needs_writer(self) -> bool:
        """A write must take the writer lease (or take back the kept one) first."""
        return self.writer in (Writer.NONE, Writer.KEPT)

    def _set_writer(self, fence: int, owner: str = "") -> None:
        self.fence = fence
        if fence:
            self.writer, self.owner = Writer.HELD, owner or self.owner
        else:
            self.writer = Writer.NONE

    # -- transitions -----------------------------------------------------------------------
    def start(self, member: str) -> None:
        """A transaction (or a rejoin of it) starts under id ``member``."""
        self.member = member

    def began(self, leased: bool, fence: int, rejoin: bool) -> None:
        """The begin script answered: a reader lease registered (``leased``) or not, and the
        writer lease taken (``fence`` > 0) unless ``rejoin`` (the transaction re-registering
        its reader lease) or a lease is kept (a read between writes leaves it be)."""
        self.reader = Reader.HELD if leased else Reader.UNLEASED
        if not rejoin and self.writer is not Writer.KEPT:
            self._set_writer(fence, self.member)

    def took_back(self, ok: bool) -> None:
        """The kept writer lease was taken back for a write (``ok``: its queued release was
        cancelled in time, so nobody can have committed since), or not (released, or carried
        away by another writer, meanwhile: the lease is gone and its fence stale)."""
        if ok:
            self.writer = Writer.HELD
        else:
            self._set_writer(0)

    def reserved(self, fence: int) -> None:
        """The reader upgraded to the writer lease (SQLite RESERVED) with token ``fence``."""
        self._set_writer(fence, self.member)
        self.reader = Reader.HELD

    def committed(self, kept: bool) -> None:
        """The commit script ended the reader lease and released the writer lease, or ``kept``
        it for this connection's next write."""
        self.reader = Reader.NONE
        if kept:
            self.writer = Writer.KEEPING
        else:
            self._set_writer(0)

    def end_write(self) -> tuple[Op, bool] | None:
        """SQLite dropped below RESERVED: the writer lease to release, and whether it is kept
        (its release to be queued for :data:`RELEASE_DELAY`, the lease ``KEPT`` meanwhile)."""
        if self.writer is Writer.HELD:
            op = ("W", self.owner, str(self.fence))
            self._set_writer(0)
            return op, False
        if self.writer is Writer.KEEPING:
            self.writer = Writer.KEPT
            return ("W", self.owner, str(self.fence)), True
        return None

    def end_read(self) -> Op | None:
        """SQLite dropped its SHARED lock: the reader lease to release (if one is held)."""
        held, self.reader = self.reader is Reader.HELD, Reader.NONE
        return ("R", self.member, "0") if held else None

    def close(self) -> list[Op]:
        """The connection closes: every lease it holds, to release (none held afterwards)."""
        ops = self.releases()
        self._set_writer(0)
        self.reader = Reader.NONE
        return ops

    # -- what the keeper reads -------------------------------------------------------------
    def releases(self) -> list[Op]:
        """The release of every lease held (a kept writer lease's queued release included)."""
        ops: list[Op] = []
        if self.fence:
            ops.append(("W", self.owner, str(self.fence)))
        if self.reader is Reader.HELD:
            ops.append(("R", self.member, "0"))
        return ops

    def renewals(self) -> list[Op]:
        """The renewal of every lease a transaction holds.  A kept writer lease is not renewed:
        its release is queued (or sent), the commit that kept it renewed it; renewing it could
        bring back a lease released already (a Redis rollback restores it: nobody else would
        ever get it)."""
        ops: list[Op] = []
        if self.reader is Reader.HELD:
            ops.append(("r", self.member, "0"))
        if self.fence and self.writer is not Writer.KEPT:
            ops.append(("w", self.owner, str(self.fence)))
        return ops


class LeaseHolder(Protocol):
    """What the keeper needs of a connection: where its leases live and what it holds."""

    @property
    def group(self) -> Group:
        """(side executor, the database's keys, lease ms) of its leases."""
        ...

    @property
    def leases(self) -> LeaseState: ...


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
        self.cond: threading.Condition = threading.Condition()
        self.files: weakref.WeakSet[LeaseHolder] = weakref.WeakSet()
        self.releases: dict[Group, list[tuple[str, str, str]]] = {}  # -> (op, owner, fence)
        # (executor, (meta key, stats key)) -> field -> increment
        self.counts: dict[tuple[Any, tuple[str, str]], dict[str, int]] = {}
        self.sending: bool = False
        self.release_due: float = float("inf")  # when the queued releases must be sent
        self.wake_at: float = 0.0  # when the sleeping keeper plans to wake (0: it is awake)
        self.flushing: int = 0  # threads waiting in flush()
        # held while the keeper runs (not while it sleeps): a fork waits for it (see _before_fork)
        self.active: threading.Lock = threading.Lock()
        self.next_renew: float = time.monotonic() + DEFAULT_LEASE / 3

    def release(self, ex: Any, keys: tuple[str, ...], lease_ms: int, op: str, owner: str,
                fence: int = 0, delay: float | None = None) -> None:
        """Queue a release: ``op`` 'R' (reader lease), 'W' (writer lease with ``fence``) or 'Q'
        (leave the writers' queue; ``owner`` is the waiter id).

        By default a writer release is sent at once; a reader release waits up to
        :data:`RELEASE_DELAY` so that the next transaction start in this process carries it (no
        round trip of its own when reads follow each other).  A writer lease kept between
        transactions is released after ``delay`` unless taken back (:meth:`take_back`)."""
        if delay is None:
            delay = RELEASE_DELAY if op == "R" else 0.0
        with self.cond:
            self.releases.setdefault((ex, keys, lease_ms), []).append((op, owner, str(fence)))
            due = time.monotonic() + delay
            if due < self.release_due:
                self.release_due = due
                if due < self.wake_at:  # the keeper sleeps past it: wake it to re-plan
                    self.cond.notify_all()

    def add_counts(self, ex: Any, keys: tuple[str, str], counts: dict[str, int]) -> None:
        """Add statistics ``counts`` to a database's stats hash (``keys``: meta, stats):
        buffered, sent by the keeper at most :data:`COUNTS_DELAY` seconds later, off the
        caller's round trips."""
        with self.cond:
            pending = self.counts.setdefault((ex, keys), {})
            for field, n in counts.items():
                pending[field] = pending.get(field, 0) + n
            due = time.monotonic() + COUNTS_DELAY
            if due < self.release_due:
                self.release_due = due
                if due < self.wake_at:
                    self.cond.notify_all()

    def take_counts(self, ex: Any, keys: tuple[str, str]) -> dict[str, int]:
        """The counts still buffered for a database (a caller reading its statistics sends them
        itself), after any the keeper is sending has arrived."""
        with self.cond:
            self.cond.wait_for(lambda: not self.sending, 5.0)
            return self.counts.pop((ex, keys), {})

    def urge(self) -> None:
        """Send the queued releases now (a commit waits for readers, maybe ours)."""
        with self.cond:
            if (self.releases or self.counts) and self.release_due > 0.0:
                self.release_due = 0.0
                self.cond.notify_all()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued release has been sent; False on timeout.

        On the keeper thread itself, or while the garbage collector runs (a connection it
        closes), it only asks for the releases to be sent and returns at once: waiting there
        would stall every renewal (and with them every lease of this process), or wait inside
        whatever the collector interrupted."""
        if threading.current_thread() is self or _collecting:
            self.urge()
            return False
        with self.cond:
            if self.releases or self.counts:
                self.release_due = 0.0
                self.cond.notify_all()
            self.flushing += 1
            try:
                return self.cond.wait_for(
                    lambda: not self.releases and not self.counts and not self.sending, timeout)
            finally:
                self.flushing -= 1

    def take_reader_releases(self, ex: Any, keys: tuple[str, ...], lease_ms: int) -> list[str]:
        """Reader releases still queued for a database (a begin sends them itself)."""
        group = (ex, keys, lease_ms)
        with self.cond:
            ops = self.releases.pop(group, None)
            if not ops:
                return []
            out = [owner for op, owner, _ in ops if op == "R"][:MAX_CARRIED]
            carried = set(out)
            rest = [t for t in ops if t[0] != "R" or t[1] not in carried]
            if rest:
                self.releases[group] = rest
            if not self.releases and not self.counts:
                self.release_due = float("inf")
                if self.flushing:
                    self.cond.notify_all()  # a flush may be waiting for exactly these
        return out

    def take_back(self, ex: Any, keys: tuple[str, ...], lease_ms: int, owner: str,
                  fence: int) -> bool:
        """Cancel the queued release of writer lease (``owner``, ``fence``); False if it is
        no longer queued (sent, or being sent)."""
        group, op = (ex, keys, lease_ms), ("W", owner, str(fence))
        with self.cond:
            ops = self.releases.get(group)
            if not ops or op not in ops:
                return False
            ops.remove(op)
            if not ops:
                del self.releases[group]
            return True

    def take_carried(self, ex: Any, keys: tuple[str, ...], lease_ms: int
                     ) -> tuple[list[str], list[tuple[str, str]]]:
        """The releases a begin that wants the writer lease sends itself: the reader releases
        still queued for the database (as :meth:`take_reader_releases`) and the queued
        releases of writer leases (:meth:`take_writer_releases`)."""
        readers = self.take_reader_releases(ex, keys, lease_ms)
        return readers, self.take_writer_releases(ex, keys, lease_ms)

    def take_writer_releases(self, ex: Any, keys: tuple[str, ...], lease_ms: int
                             ) -> list[tuple[str, str]]:
        """The queued releases of writer leases (``owner``, ``fence``) of the database, a lease
        kept by another connection of this process included, for a script that takes the
        writer lease to send itself.  Carried, a kept lease can no longer be taken back: its
        holder begins anew (and gets a fresh fencing token) on its next write."""
        group = (ex, keys, lease_ms)
        with self.cond:
            ops = self.releases.get(group)
            if not ops:
                return []
            writers = [(owner, fence) for op, owner, fence in ops if op == "W"]
            if writers:
                rest = [t for t in ops if t[0] != "W"]
                if rest:
                    self.releases[group] = rest
                else:
                    del self.releases[group]
                    if not self.releases and not self.counts:
                        self.release_due = float("inf")
                        if self.flushing:
                            self.cond.notify_all()
        return writers

    def release_all(self) -> None:
        """Queue the release of every lease held by a watched connection (at process exit)."""
        for f in list(self.files):
            ex, keys, lease_ms = f.group
            for op, owner, fence in f.leases.releases():
                self.release(ex, keys, lease_ms, op, owner, int(fence))

    def register(self, f: LeaseHolder) -> None:
        """Watch ``f``'s leases (renewed every lease / 3 seconds while held)."""
        with self.cond:
            self.files.add(f)
            self.next_renew = min(self.next_renew, time.monotonic() + f.group[2] / 3000)
            self.cond.notify_all()

    def run(self) -> None:
        self.active.acquire()
        while True:
            with self.cond:
                while True:
                    now = time.monotonic()
                    self.wake_at = wake = min(self.next_renew, self.release_due)
                    if now >= wake:
                        break
                    self.active.release()
                    try:
                        self.cond.wait(wake - now)
                    finally:
                        self.active.acquire()
                self.wake_at = 0.0  # awake: nobody needs to notify
                releases: dict[Group, list[tuple[str, str, str]]] = {}
                counts: dict[tuple[Any, tuple[str, str]], dict[str, int]] = {}
                if now >= self.release_due:
                    releases, self.releases = self.releases, {}
                    counts, self.counts = self.counts, {}
                    self.release_due = float("inf")
                self.sending = bool(releases or counts)
            for (ex, keys, lease_ms), ops in releases.items():
                self._send(ex, keys, lease_ms, ops)
            for (ex, keys), fields in counts.items():
                try:
                    remote.call(ex, count_call(keys, fields))
                except Exception:  # noqa: BLE001 - statistics are best effort
                    log.debug("statistics for %s lost", keys[1], exc_info=True)
            if releases or counts:
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
            group = f.group
            interval = min(interval, group[2] / 3000)
            ops = f.leases.renewals()  # (a kept writer lease is not renewed: see there)
            if ops:
                groups.setdefault(group, []).extend(ops)
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


_collecting = False  # the garbage collector is running (see flush)


def _gc_phase(phase: str, info: dict[str, Any]) -> None:
    global _collecting
    _collecting = phase == "start"


gc.callbacks.append(_gc_phase)

_keeper: Keeper | None = None
_keeper_lock = threading.Lock()


def keeper() -> Keeper:
    """This process's keeper thread (started on first use, and again after a fork)."""
    global _keeper
    k = _keeper
    if k is not None:
        return k
    with _keeper_lock:
        k = _keeper
        if k is not None:
            return k
        k = _keeper = Keeper()
    # started outside the lock: the new thread may run the garbage collector, whose finalizers
    # call keeper() (and get this one) while this thread waits in start()
    k.start()
    return k


def _at_exit() -> None:
    """At interpreter exit, release every lease this process still holds (connections never
    closed) instead of leaving them to expire, waiting at most a second."""
    k = _keeper
    if k is not None and k.is_alive():
        k.release_all()
        k.flush(timeout=1.0)


atexit.register(_at_exit)


_paused: Keeper | None = None


def _before_fork() -> None:
    """Let the keeper reach its sleep before a fork.  The garbage collector may run on the
    keeper thread and close a forgotten apsw connection there, inside SQLite's mutexes; a child
    forked at that moment would inherit them locked and hang at its first SQLite call."""
    global _paused
    k = _keeper
    if k is not None and k.is_alive() and threading.current_thread() is not k \
            and k.active.acquire(timeout=5.0):
        _paused = k


def _after_fork_in_parent() -> None:
    global _paused
    if _paused is not None:
        _paused.active.release()
        _paused = None


def _after_fork() -> None:  # threads and leases do not survive fork
    global _keeper, _keeper_lock, _paused
    _keeper = None
    _paused = None
    _keeper_lock = threading.Lock()


os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                    after_in_child=_after_fork)
