"""The Redis VFS: an apsw VFS whose main database files keep their pages and locks in Redis.

It holds the VFS, the main database file of a connection (:class:`RedisFile`: locks as leases,
page reads through the process page cache, commits, staging), the in-memory journals
(:class:`MemFile`) and the process-wide page cache (:class:`PageCache`).  The leases' state and
the keeper thread that renews and releases them are :mod:`.leases`; key names :mod:`.keys`;
the scripts and the request runner :mod:`.remote`.  :mod:`.database` opens connections.

SQLite's SHARED lock is a reader lease; RESERVED / PENDING / EXCLUSIVE are the writer lease with
a fencing token (see :mod:`.leases`).  A lock that cannot be taken raises ``apsw.BusyError`` so
the connection's busy timeout applies.

Round trips: a transaction starts with one script (``sql_begin``) that registers the reader lease
(and takes the writer lease when the statement about to run writes), and returns the version,
the epoch, page 1 and the page numbers changed since this process's cached version, so the
process-wide page cache (:class:`PageCache`) drops only those.  A commit is one script
(``sql_commit``, run from ``SQLITE_FCNTL_SYNC``) that checks the lease, the fencing token and the
base version, writes the dirty pages, bumps the version and releases both leases; a commit of
more than :data:`STAGE_CHUNK` pages first sends them in chunks of that many pages (one round trip
each, ``sql_stage``) so that no single script carries tens of MB.  So a read transaction on a
warm cache costs the caller one round trip and an autocommit write two.

Writers wait in a queue, first come first served (``queue`` / ``qexp`` keys): a begin that wants
the writer lease while it is held, or while other writers wait before it, joins the queue
(keeping its place each time it asks again) and asks again every few milliseconds, inside
``xLock``, for at most the busy timeout; a free lease goes to the first live waiter only.  So a
waiting writer gets the lease after the writers before it, each holding it for one transaction.

A commit keeps the writer lease unless a writer waits for it: the release is queued for
:data:`~.leases.RELEASE_DELAY` (20 ms), and a write transaction starting on the same connection
before then takes it back and needs no begin round trip (nobody can have committed meanwhile):
a burst of autocommit writes costs one round trip each.  An unused kept lease is released by
the keeper (and never renewed); a waited-for one at the holder's next commit.  A kept lease
never makes another writer wait as a held one does: a writer of the same process carries its
queued release in its own begin (the holder then begins anew, with a fresh fencing token, on
its next write), and a writer of another process that finds it kept (state ``KEPT``) waits for
its release even with a zero busy timeout, at most :data:`KEPT_GRACE`.

Journals are kept in process memory: a crash before the commit script leaves Redis untouched, so
there is never a hot journal to roll back.

Caches are validated by history, not by version alone: each commit sets the database's ``head``
to its random commit id, and a transaction start checks that the state a cache holds (version
and head) is the current one or an ancestor still listed in ``commits``.  A database that goes
back in time (a restored backup, a FLUSHALL and re-creation, a failover to a lagging replica, a
restart from an older RDB - even followed by as many commits of other writers, which bring back
the version but not the head) is detected at the next transaction start: the process cache is
flushed, and SQLite is made to drop its own page cache too.  Page reads check version and head.

On a full server (``maxmemory`` reached, ``noeviction``) reads keep working: a reader lease that
Redis refuses is skipped (no commit can happen on a full server anyway, and page reads are
checked against version and head); writes fail with ``apsw.FullError``.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections import OrderedDict
from typing import Any

import apsw

from ..core.calls import Call, run_script
from ..core.errors import ConnectionLost
from ..core.executor import SyncExecutor
from . import remote
from .errors import FencedError
from .keys import db_keys, wake_key
from .leases import (
    DEFAULT_LEASE,
    RELEASE_DELAY,
    Group,
    LeaseState,
    Op,
    Writer,
    keeper,
    side_executor,
)
from .progress import report_commit
from .statements import begins_writing

log: logging.Logger = logging.getLogger("vermilion.sql")

VFS_NAME = "vermilion-redis"
DEFAULT_BUSY_TIMEOUT = 5.0  # seconds
READAHEAD = 16  # pages fetched together on a cache miss
MAX_CHANGES = 20000  # beyond this many changed pages a begin flushes the cache instead
STAGE_CHUNK = 256  # pages per staging round trip of a large commit (1 MiB with 4 KiB pages)
# a writer waiting for the writer lease blocks on its wake list (pushed when the lease is
# released) for at most QUEUE_BLOCK seconds, then asks again; its place in the queue is kept
# while it asks at least every queue expiry (the lease, within [QUEUE_EXPIRY_MIN,
# QUEUE_EXPIRY_MAX] seconds)
QUEUE_BLOCK = 0.1
QUEUE_EXPIRY_MIN, QUEUE_EXPIRY_MAX = 1.0, 2.0
# a writer that finds the writer lease only kept between its holder's transactions (its release
# queued in another process) waits for that release this long at most, whatever its busy timeout
KEPT_GRACE = 0.25

_NONE, _SHARED, _RESERVED = apsw.SQLITE_LOCK_NONE, apsw.SQLITE_LOCK_SHARED, apsw.SQLITE_LOCK_RESERVED


def _s(value: Any) -> str:
    return remote.text(value)


# -- the process page cache -----------------------------------------------------------------------
CACHE_PAGES = 8192  # per database and process (32 MiB with 4 KiB pages)


class PageCache:
    """Committed pages of one database at ``version`` (of ``epoch``, produced by commit
    ``head``), shared by this process's connections.

    Entries are all valid at that state; a transaction start moves it forward and drops the
    pages changed in between, or everything when the database's history no longer contains it
    (it went back in time: a rollback, even one followed by as many other commits).
    LRU-bounded to ``capacity`` pages.  Callers hold ``lock`` around every access.
    """

    def __init__(self, capacity: int = CACHE_PAGES):
        self.lock: threading.Lock = threading.Lock()
        self.version: int = -1
        self.epoch: str = ""
        self.head: str = ""  # id of the commit that produced ``version`` ('' for none)
        self.capacity = capacity
        self.pages: OrderedDict[int, bytes] = OrderedDict()
        self.flushes: int = 0  # whole-cache flushes (time travel, or too many changes)
        self.npages: int = 0  # no cached page is past this (truncate scans only when it shrinks)

    def valid_at(self, version: int, epoch: str, head: str) -> bool:
        return self.version == version and self.epoch == epoch and self.head == head

    def get(self, pgno: int) -> bytes | None:
        data = self.pages.get(pgno)
        if data is not None:
            self.pages.move_to_end(pgno)
        return data

    def put(self, pgno: int, data: bytes) -> None:
        self.npages = max(self.npages, pgno)
        self.pages[pgno] = data
        self.pages.move_to_end(pgno)
        while len(self.pages) > self.capacity:
            self.pages.popitem(last=False)

    def clear(self) -> None:
        self.pages.clear()
        self.flushes += 1

    def drop(self, pgnos: Any) -> None:
        for p in pgnos:
            self.pages.pop(int(p), None)

    def truncate(self, npages: int) -> None:
        """Drop the pages past ``npages`` (the database shrank).  O(1) unless it did."""
        if npages < self.npages:
            for p in [p for p in self.pages if p > npages]:
                del self.pages[p]
            self.npages = npages


_caches: dict[tuple[int, str], PageCache] = {}
_caches_lock = threading.Lock()


def page_cache(executor: Any, name: str) -> PageCache:
    """The cache of database ``name`` reached through ``executor`` (one per server)."""
    with _caches_lock:
        key = (id(executor), name)
        cache = _caches.get(key)
        if cache is None:
            cache = _caches[key] = PageCache()
        return cache


def _caches_after_fork() -> None:
    global _caches_lock
    _caches_lock = threading.Lock()
    _caches.clear()


os.register_at_fork(after_in_child=_caches_after_fork)


# -- per-connection context -----------------------------------------------------------------------
class Context:
    """What a main database file needs, handed over from :func:`open_file` to ``xOpen``."""

    _ids = iter(range(1, 1 << 62))

    def __init__(self, executor: SyncExecutor, client: Any, name: str, lease: float,
                 busy_timeout: float):
        self.executor = executor
        self.side: SyncExecutor = side_executor(client)
        self.name = name
        self.keys: tuple[str, ...] = db_keys(name)
        self.lease_ms: int = max(1, int(lease * 1000))
        self.queue_ms: int = int(min(max(lease, QUEUE_EXPIRY_MIN), QUEUE_EXPIRY_MAX) * 1000)
        self.busy_timeout = busy_timeout
        self.busy_since: float = 0.0  # start of the current busy wait (see _busy_handler)
        self.gave_up: bool = False  # a queued writer waited its whole busy timeout: do not retry
        self.cache: PageCache = page_cache(executor, name)
        self.cid: int = next(Context._ids)
        self.file: RedisFile | None = None
        self.intent_write: bool = False  # set by the connection's exec tracer before each statement
        self.peek: tuple[int, int, bytes | None] = (0, 0, None)  # npages, page_size, page 1


_pending: dict[int, Context] = {}


class MemFile:
    """A journal (or other side file) kept in process memory."""

    def __init__(self, vfs: RedisVFS, name: str, flags: int):
        self.vfs: RedisVFS = vfs
        self.name: str = name
        self.flags: int = flags
        self.data: bytearray = vfs.mem.setdefault(name, bytearray())

    def xRead(self, amount: int, offset: int) -> bytes:
        return bytes(self.data[offset : offset + amount])

    def xWrite(self, data: bytes, offset: int) -> None:
        end = offset + len(data)
        if len(self.data) < offset:
            self.data.extend(b"\0" * (offset - len(self.data)))
        self.data[offset:end] = data

    def xTruncate(self, newsize: int) -> None:
        del self.data[newsize:]

    def xSync(self, flags: int) -> None:
        pass

    def xFileSize(self) -> int:
        return len(self.data)

    def xLock(self, level: int) -> None:
        pass

    def xUnlock(self, level: int) -> None:
        pass

    def xCheckReservedLock(self) -> bool:
        return False

    def xFileControl(self, op: int, ptr: int) -> bool:
        return False

    def xSectorSize(self) -> int:
        return 512

    def xDeviceCharacteristics(self) -> int:
        return 0

    def xClose(self) -> None:
        if self.flags & apsw.SQLITE_OPEN_DELETEONCLOSE:
            self.vfs.mem.pop(self.name, None)


class RedisFile:
    """The main database file of one connection: pages in Redis, SQLite locks as leases.

    A :class:`~.leases.LeaseHolder` for the keeper: its leases are ``leases``, in ``group``."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.level: int = _NONE
        self.leases: LeaseState = LeaseState()
        self.group: Group = (ctx.side, ctx.keys, ctx.lease_ms)
        self.snapshot: int = -1
        self.epoch: str = ""
        self.head: str = ""  # id of the commit that produced ``snapshot`` ('' for none)
        self._cached: tuple[int, str, str] = (-1, "", "")  # the cache's state sent by a begin
        self.npages: int = 0
        self.page_size: int = 0
        self.dirty: dict[int, bytes] = {}
        self.size: int | None = None  # file size while writing (None: npages * page_size)
        self.gen: int = 0
        self.base_id: str = f"{secrets.token_hex(6)}.{ctx.cid}"
        self.reset_sqlite_cache: bool = False  # the database went back in time since the last begin
        self.time_travels: int = 0
        self.pid: int = os.getpid()  # leases belong to this process (not to a forked child)
        self.peek1: bytes | None
        # SQLite reads the header once at open, unlocked: serve it from the open's peek
        self.npages, self.page_size, self.peek1 = ctx.peek
        if not self.npages:
            self.page_size = 0
        keeper().register(self)

    # -- leases ----------------------------------------------------------------------------
    def _release(self, op: Op, delay: float | None = None) -> None:
        """Hand a lease's release (``op`` from :attr:`leases`) to the keeper."""
        ctx = self.ctx
        kind, owner, fence = op
        keeper().release(ctx.side, ctx.keys, ctx.lease_ms, kind, owner, int(fence), delay)

    def _take_back(self) -> bool:
        """Take back the writer lease kept since the last commit: True if its queued release
        was cancelled in time (the lease is held, and nobody can have committed since)."""
        ctx, leases = self.ctx, self.leases
        ok = keeper().take_back(ctx.side, ctx.keys, ctx.lease_ms, leases.owner, leases.fence)
        leases.took_back(ok)
        return ok

    def _begin(self, rejoin: bool = False) -> None:
        ctx, cache, leases = self.ctx, self.ctx.cache, self.leases
        ctx.gave_up = False
        self.gen += 1
        leases.start(f"{self.base_id}.{self.gen}")
        if leases.writer is Writer.KEPT and ctx.intent_write and not rejoin and self._take_back():
            # a write right after this connection's own commit, still holding the writer lease:
            # the snapshot is that commit's version, the caches are current - no round trip
            # (pages missing from the cache are read with a rejoin, see _committed)
            return
        want = "1" if ctx.intent_write and not rejoin else "0"
        reply = self._begin_call(want)
        status = _s(reply[0])
        if status == "BUSY":
            raise apsw.BusyError("a writer is committing")
        if status == "MISSING":
            raise apsw.CantOpenError(f"SQL database {ctx.name!r} does not exist")
        version, epoch = int(reply[1]), _s(reply[2])
        npages, page_size, fence = int(reply[3]), int(reply[4]), int(reply[5])
        page1, flush, head = reply[6], int(reply[7]), _s(reply[8])
        conn_ok, leased, changes = int(reply[9]), int(reply[10]), reply[11:]
        if rejoin and (version != self.snapshot or head != self.head):
            if leased:
                self._release(("R", leases.member, "0"))
            raise apsw.BusyError("the database changed while this connection kept its lock")
        if self.epoch and epoch == self.epoch and conn_ok == 2:
            # last seen too many commits ago to tell: drop SQLite's cache to be sure
            self.reset_sqlite_cache = True
        elif self.epoch and (epoch != self.epoch or conn_ok != 1):
            # gone back in time (a rollback, even one followed by as many other commits):
            # SQLite's own cache may hold pages of a state that is not in this history, under
            # a change counter that may come back (see xRead)
            self.reset_sqlite_cache = True
            self.time_travels += 1
            log.warning("SQL database %r went back in time (now version %d of epoch %s, last "
                        "commit %s; this connection saw version %d of %s, commit %s): caches "
                        "flushed", ctx.name, version, epoch, head or "-", self.snapshot,
                        self.epoch, self.head or "-")
        leases.began(bool(leased), fence, rejoin)
        self.snapshot, self.epoch, self.head, self.npages = version, epoch, head, npages
        self.page_size = page_size if npages else 0  # a new database takes SQLite's page size
        with cache.lock:
            if cache.valid_at(*self._cached):
                if flush:
                    cache.clear()
                else:
                    cache.drop(changes)
                    cache.truncate(npages)
                cache.version, cache.epoch, cache.head = version, epoch, head
                if page1 is not None:
                    cache.put(1, page1)

    def _begin_call(self, want: str) -> Any:
        """The begin script's reply; a writer (``want`` '1') whose lease is held, or who has
        other writers before it in the queue, asks again until its turn comes (first come,
        first served), for at most the busy timeout (then ``apsw.BusyError``)."""
        ctx, cache = self.ctx, self.ctx.cache
        if want == "1":  # a writer carries the queued writer releases too (a kept lease's)
            stale, writers = keeper().take_carried(ctx.side, ctx.keys, ctx.lease_ms)
        else:
            stale, writers = keeper().take_reader_releases(ctx.side, ctx.keys, ctx.lease_ms), []
        deadline = 0.0
        queued = graced = False
        try:
            while True:
                with cache.lock:
                    self._cached = (cache.version, cache.epoch, cache.head)
                args = [self.leases.member, ctx.lease_ms, *self._cached, want, MAX_CHANGES,
                        self.base_id, ctx.queue_ms, self.snapshot, self.head, len(writers)]
                for owner, fence in writers:
                    args.extend((owner, fence))
                args.extend(stale)
                try:
                    reply = remote.sqlite_call(ctx.executor,
                                               run_script(remote.BEGIN, ctx.keys, args))
                except Exception:
                    for owner in stale:  # hand them back to the keeper
                        self._release(("R", owner, "0"))
                    for owner, fence in writers:
                        self._release(("W", owner, fence))
                    raise
                stale, writers = [], []  # (sent: the script ended them before anything else)
                if _s(reply[0]) != "QUEUED":
                    return reply
                now = time.monotonic()
                if not queued:
                    queued, deadline = True, now + ctx.busy_timeout
                if now >= deadline and not graced and len(reply) > 1 and int(reply[1]) == 1:
                    # only kept by its holder, its release on the way: wait for it (once)
                    graced, deadline = True, max(deadline, now + KEPT_GRACE)
                if now >= deadline:
                    ctx.gave_up = True  # SQLite's busy handler must not start another wait
                    raise apsw.BusyError(
                        f"another connection held the write lock of SQL database {ctx.name!r} "
                        f"for the whole busy timeout ({ctx.busy_timeout} s)")
                self._wait_turn(min(QUEUE_BLOCK, deadline - now))
        except BaseException:
            if queued:  # leave the queue (an interrupted or timed-out wait)
                self._release(("Q", self.base_id, "0"))
            raise

    def _wait_turn(self, seconds: float) -> None:
        """Block until woken (the writer lease was released: see ``wake_first`` in the scripts)
        or ``seconds`` passed."""
        ctx = self.ctx
        if seconds < 0.01:  # Redis reads a blocking timeout that rounds to 0 as "forever"
            time.sleep(max(seconds, 0.0))
            return
        key = wake_key(ctx.name, self.base_id)
        try:
            remote.call(ctx.executor, Call(("BLPOP", key, f"{seconds:.3f}"), (key,)))
        except Exception:  # noqa: BLE001 - the next request reports a lost server
            time.sleep(min(seconds, 0.01))

    def _reserve(self) -> None:
        ctx, leases = self.ctx, self.leases
        if not leases.reading:
            self._begin(rejoin=True)
        deadline = None
        while True:
            # a kept lease of another connection of this process is released by this script
            writers = keeper().take_writer_releases(ctx.side, ctx.keys, ctx.lease_ms)
            args: list[Any] = [leases.member, ctx.lease_ms, self.snapshot, self.head,
                               self.base_id, len(writers)]
            for owner, fence in writers:
                args.extend((owner, fence))
            try:
                reply = remote.sqlite_call(ctx.executor,
                                           run_script(remote.RESERVE, ctx.keys, args))
            except Exception:
                for owner, fence in writers:  # hand them back to the keeper
                    self._release(("W", owner, fence))
                raise
            status = _s(reply[0])
            if status == "OK":
                break
            if status == "BUSY" and len(reply) > 1 and int(reply[1]) == 1:
                # only kept by its holder (another process), its release on the way: a
                # reader upgrading may not queue, but it waits for that release briefly
                now = time.monotonic()
                if deadline is None:
                    deadline = now + KEPT_GRACE
                if now < deadline:
                    time.sleep(min(0.005, deadline - now))
                    continue
            raise apsw.BusyError(
                "another connection holds the write lock" if status == "BUSY"
                else "the database changed since this transaction started"
            )
        leases.reserved(int(reply[1]))

    def _release_writer(self) -> None:
        """End of a write transaction: release the writer lease, or keep it for
        :data:`~.leases.RELEASE_DELAY` after a commit that kept it (so that a write following
        at once needs no begin round trip); a kept lease's release is queued with that delay
        and cancelled by :meth:`_take_back` (or carried by another writer's begin)."""
        end = self.leases.end_write()
        if end is not None:
            op, kept = end
            self._release(op, RELEASE_DELAY if kept else None)
        self.dirty.clear()
        self.size = None

    def xLock(self, level: int) -> None:
        if self.level == _NONE and level >= _SHARED:
            self._begin()
        leases = self.leases
        if level >= _RESERVED and leases.needs_writer:
            if not (leases.writer is Writer.KEPT and self._take_back()):
                self._reserve()
        self.level = max(self.level, level)

    def xUnlock(self, level: int) -> None:
        if os.getpid() != self.pid:  # a forked child's copy: the leases are the parent's
            self.level = min(self.level, level)
            return
        if level < _RESERVED:
            self._release_writer()
        if level == _NONE:
            op = self.leases.end_read()
            if op is not None:
                self._release(op)
        self.level = min(self.level, level)

    def xCheckReservedLock(self) -> bool:
        return self.leases.writing

    # -- pages -----------------------------------------------------------------------------
    def _file_size(self) -> int:
        return self.size if self.size is not None else self.npages * self.page_size

    def _committed(self, pgno: int) -> bytes:
        """Page ``pgno`` of the snapshot: process cache, else fetched (with read-ahead)."""
        ctx, cache = self.ctx, self.ctx.cache
        if pgno > self.npages:
            return b"\0" * self.page_size
        with cache.lock:
            if cache.valid_at(self.snapshot, self.epoch, self.head):
                data = cache.get(pgno)
                if data is not None:
                    return data
                want = [pgno] + [
                    p for p in range(pgno + 1, min(self.npages, pgno + READAHEAD - 1) + 1)
                    if p not in cache.pages and p not in self.dirty
                ]
            else:
                want = [pgno]
        if not self.leases.reading:
            self._begin(rejoin=True)
        reply = remote.sqlite_call(ctx.executor, run_script(
            remote.READ, ctx.keys[:2], [self.snapshot, self.head, *want], readonly=True))
        if _s(reply[0]) != "OK":
            raise apsw.BusyError("the database changed while this transaction was reading")
        pages = {p: (d if d is not None else b"\0" * self.page_size)
                 for p, d in zip(want, reply[1:])}
        with cache.lock:
            if cache.valid_at(self.snapshot, self.epoch, self.head):
                for p, d in pages.items():
                    cache.put(p, d)
        return pages[pgno]

    def _page(self, pgno: int) -> bytes:
        if self.level == _NONE:  # the unlocked header read at open
            return self.peek1 if pgno == 1 and self.peek1 else b"\0" * self.page_size
        data = self.dirty.get(pgno)
        return data if data is not None else self._committed(pgno)

    def xRead(self, amount: int, offset: int) -> bytes:
        size = self._file_size()
        end = min(offset + amount, size)
        if offset >= end:
            return b""
        ps = self.page_size
        parts = []
        pos = offset
        while pos < end:
            pgno, start = divmod(pos, ps)
            stop = min(ps, start + end - pos)
            parts.append(self._page(pgno + 1)[start:stop])
            pos += stop - start
        out = b"".join(parts)
        if self.reset_sqlite_cache and self.level != _NONE:
            self.reset_sqlite_cache = False
            if offset == 24 and amount == 16 and len(out) == 16:
                # SQLite keeps its page cache when these 16 header bytes (change counter...)
                # equal the ones it saw last; a database that went back in time may show the
                # same bytes with other pages.  A flipped change counter makes SQLite drop its
                # cache; it then reads page 1 itself and sees the true header.
                out = bytes(b ^ 0xFF for b in out[:4]) + out[4:]
        return out

    def xWrite(self, data: bytes, offset: int) -> None:
        if not self.page_size:
            self.page_size = len(data)  # a new database: SQLite writes whole pages
        ps = self.page_size
        pos, i = offset, 0
        while i < len(data):
            pgno, start = divmod(pos, ps)
            n = min(ps - start, len(data) - i)
            if start == 0 and n == ps:
                page = bytes(data[i : i + n])
            else:
                old = self._page(pgno + 1) if pgno < self._file_size() // ps else b"\0" * ps
                page = old[:start] + bytes(data[i : i + n]) + old[start + n :]
            self.dirty[pgno + 1] = page
            pos += n
            i += n
        self.size = max(self._file_size(), offset + len(data))

    def xTruncate(self, newsize: int) -> None:
        ps = self.page_size or 1
        self.size = newsize
        for p in [p for p in self.dirty if (p - 1) * ps >= newsize]:
            del self.dirty[p]

    def xFileSize(self) -> int:
        return self._file_size()

    def xSync(self, flags: int) -> None:
        pass

    def xSectorSize(self) -> int:
        return 512

    def xDeviceCharacteristics(self) -> int:
        return 0

    # -- commit and pragmas ----------------------------------------------------------------
    def _new_npages(self) -> int:
        ps = self.page_size
        npages = self._file_size() // ps if ps else 0
        page1 = self.dirty.get(1)
        if page1 is not None and page1[24:28] == page1[92:96]:
            # the header's page count is valid: pages past it are not part of the database (a
            # VACUUM truncates the file only after the commit's sync)
            npages = int.from_bytes(page1[28:32], "big") or npages
        return npages

    def _send(self, request: Call) -> Any:
        """One request whose retry is harmless: resent once if its reply was lost."""
        try:
            return remote.sqlite_call(self.ctx.executor, request)
        except ConnectionLost:  # maybe applied: the commit id makes the retry idempotent
            return remote.sqlite_call(self.ctx.executor, request)

    def _refused(self, status: str) -> Exception:
        if status == "BUSY":
            return apsw.BusyError("readers kept the database locked past the busy timeout")
        return FencedError(
            f"commit refused ({status}): the write lease expired and another writer may "
            "have taken over; the transaction was rolled back"
        )

    def _commit(self) -> None:
        if not self.dirty and self._file_size() == self.npages * self.page_size:
            return
        ctx, leases = self.ctx, self.leases
        if not leases.fence:
            raise FencedError("commit without the writer lease")
        commit_id = f"{self.base_id}.{self.gen}.{secrets.token_hex(4)}"
        npages = self._new_npages()
        pages = [p for p in sorted(self.dirty) if p <= npages]
        # all but the last chunk are staged first (one round trip per chunk)
        cut = (len(pages) - 1) // STAGE_CHUNK * STAGE_CHUNK if pages else 0
        staged, inline = pages[:cut], pages[cut:]
        for i in range(0, len(staged), STAGE_CHUNK):
            args: list[Any] = [leases.owner, leases.fence, commit_id]
            for p in staged[i : i + STAGE_CHUNK]:
                args.extend((p, self.dirty[p]))
            status = _s(self._send(run_script(remote.STAGE, ctx.keys, args))[0])
            if status != "OK":
                raise self._refused(status)
            # an import / copy with progress= reports each chunk (its exception aborts the
            # commit before the commit script: Redis keeps the database as it was)
            report_commit(min(i + STAGE_CHUNK, len(staged)), len(pages))
        # the commit ends this transaction's reader lease and carries the finished ones of
        # this process (as a begin does)
        ends = [leases.member, *keeper().take_reader_releases(ctx.side, ctx.keys, ctx.lease_ms)]
        args = [leases.owner, leases.fence, self.snapshot, commit_id, npages, self.page_size,
                "1", ctx.lease_ms, len(staged), len(ends), self.head, *staged, *ends]
        for p in inline:
            args.extend((p, self.dirty[p]))
        request = run_script(remote.COMMIT, ctx.keys, args)
        deadline = time.monotonic() + ctx.busy_timeout
        pause = 0.001
        try:
            while True:
                reply = self._send(request)
                status = _s(reply[0])
                if status in ("OK", "DONE"):
                    break
                if status == "BUSY" and time.monotonic() < deadline:
                    keeper().urge()  # readers of this process may have a release queued
                    time.sleep(pause)  # readers still hold SHARED; new readers wait (PENDING)
                    pause = min(pause * 2, 0.05)
                    continue
                raise self._refused(status)
        except BaseException:
            # a refused or failed commit may not have ended the carried reader leases: hand
            # them back to the keeper (ending one twice is harmless)
            for owner in ends[1:]:
                self._release(("R", owner, "0"))
            raise
        new = int(reply[1])
        cache = ctx.cache
        with cache.lock:
            if cache.valid_at(self.snapshot, self.epoch, self.head):
                cache.truncate(npages)
                for p, d in self.dirty.items():
                    if p <= npages:
                        cache.put(p, d)
                cache.version, cache.head = new, commit_id
        self.snapshot, self.head, self.npages = new, commit_id, npages
        self.dirty.clear()
        self.size = None
        # the commit ended the reader lease, and released the writer lease or kept it
        leases.committed(kept=len(reply) > 2 and int(reply[2]) == 1)

    def xFileControl(self, op: int, ptr: int) -> bool:
        if op == apsw.SQLITE_FCNTL_SYNC:
            self._commit()
            return True
        if op == apsw.SQLITE_FCNTL_PRAGMA:
            self._check_pragma(apsw.VFSFcntlPragma(ptr))
        return False

    def _check_pragma(self, pragma: Any) -> None:
        name = (pragma.name or "").lower()
        value = pragma.value
        if value is None:
            return
        v = value.strip().strip("'\"").lower()
        if name == "journal_mode" and v in ("wal", "off"):
            raise apsw.SQLError(
                f"journal_mode={value} is not supported on a Redis-stored database "
                "(it keeps a rollback journal in memory)"
            )
        if name == "locking_mode" and v == "exclusive":
            raise apsw.SQLError(
                "locking_mode=exclusive is not supported on a Redis-stored database "
                "(it would lock every other client out)"
            )
        if name == "page_size" and self.npages > 0 and v != str(self.page_size):
            raise apsw.SQLError(
                f"the page size of a Redis-stored database is fixed at creation "
                f"({self.page_size}); page_size={value} refused"
            )

    def xClose(self) -> None:
        """Release what this connection holds and wait for the queued releases to be sent (a
        process exiting right after closing must not leave leases behind)."""
        if os.getpid() != self.pid:
            # inherited through fork (closed by the child's garbage collector): its leases are
            # the parent's, still in use there
            return
        for op in self.leases.close():  # (a kept lease's queued release: a harmless repeat)
            self._release(op)
        keeper().flush()  # returns at once on the keeper thread (a close run by its GC)


class RedisVFS(apsw.VFS):  # type: ignore[misc]
    """The VFS: main database files come from :func:`open_file`'s contexts; journals live in
    memory; temporary files go to SQLite's default VFS."""

    def __init__(self) -> None:
        self.mem: dict[str, bytearray] = {}
        super().__init__(VFS_NAME, "")

    def xOpen(self, name: Any, flags: list[int]) -> Any:
        if name is None:
            return apsw.VFSFile("", name, flags)
        filename = name.filename() if isinstance(name, apsw.URIFilename) else str(name)
        if flags[0] & apsw.SQLITE_OPEN_MAIN_DB:
            cid = int(filename.split("/", 1)[0])
            ctx = _pending.pop(cid)
            ctx.file = RedisFile(ctx)
            return ctx.file
        return MemFile(self, filename, flags[0])

    def xAccess(self, pathname: str, flags: int) -> bool:
        if pathname.endswith(("-journal", "-wal", "-shm")):
            return False
        return pathname in self.mem

    def xDelete(self, filename: str, syncdir: bool) -> None:
        self.mem.pop(filename, None)

    def xFullPathname(self, name: str) -> str:
        return name


_vfs: RedisVFS | None = None
_vfs_lock = threading.Lock()


def vfs() -> RedisVFS:
    """The registered VFS (registered with SQLite on first use)."""
    global _vfs
    with _vfs_lock:
        if _vfs is None:
            _vfs = RedisVFS()
        return _vfs


def _busy_handler(ctx: Context) -> Any:
    """SQLite's busy handler for a connection: retry for up to ``busy_timeout`` seconds with
    short sleeps (SQLite's own sleeps grow to 100 ms), and never after a writer already waited
    its whole busy timeout in the queue (see ``RedisFile._begin_call``)."""

    def busy(count: int) -> bool:
        if ctx.gave_up:
            ctx.gave_up = False
            return False
        now = time.monotonic()
        if count == 0:
            ctx.busy_since = now
        left = ctx.busy_timeout - (now - ctx.busy_since)
        if left <= 0:
            return False
        time.sleep(min(0.001 * (count + 1), 0.02, left))
        return True

    return busy


def _tracer(ctx: Context) -> Any:
    """The connection's exec tracer: tells the file whether the statement about to run writes
    (SQLite says so, or it is ``BEGIN IMMEDIATE`` / ``EXCLUSIVE``, comments before it allowed)."""

    def exec_trace(cursor: Any, sql: str, bindings: Any) -> bool:
        ctx.intent_write = (not getattr(cursor, "is_readonly", True)) or begins_writing(sql)
        return True

    return exec_trace


def open_file(executor: SyncExecutor, client: Any, name: str,
              peek: tuple[int, int, bytes | None], *, lease: float = DEFAULT_LEASE,
              busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> apsw.Connection:
    """An apsw connection on database ``name``, whose header ``peek`` (npages, page size, page
    1) :func:`vermilion.sql.database.open_connection` read.  No round trip."""
    vfs()
    ctx = Context(executor, client, name, lease, busy_timeout)
    ctx.peek = peek
    _pending[ctx.cid] = ctx
    try:
        conn = apsw.Connection(f"{ctx.cid}/{name}", vfs=VFS_NAME)
    finally:
        _pending.pop(ctx.cid, None)
    conn.set_busy_handler(_busy_handler(ctx))
    # SQLite's rollback journal in its own memory rather than in a MemFile: the same guarantee
    # (Redis only changes in the commit script) with fewer Python calls per write transaction
    conn.execute("PRAGMA journal_mode=MEMORY")
    conn.exec_trace = _tracer(ctx)
    return conn
