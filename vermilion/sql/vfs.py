"""An apsw VFS whose database pages live in Redis.

SQLite runs in this process; the database file is a set of Redis keys sharing one hash tag (so a
database lives in one Cluster slot and multi-key Lua is legal).  For a database ``orders``:

=============================  ======  =====================================================
``vermilion:sql:{orders}:meta``  hash  format, page_size, npages, version, epoch, last_commit_id
``…{orders}:pages``              hash  page number -> page bytes
``…{orders}:pv``                 zset  page number -> version of the commit that last wrote it
``…{orders}:lock``               hash  writer lease: owner, fence, state, base, exp (ms)
``…{orders}:readers``            zset  reader id -> lease expiry (ms, Redis server clock)
``…{orders}:fence``            string  INCR counter issuing fencing tokens
=============================  ======  =====================================================

Locks are leases checked against Redis's own clock (``TIME`` inside scripts).  SQLite's SHARED
lock is a reader lease; RESERVED / PENDING / EXCLUSIVE are the writer lease with a fencing token.
A lock that cannot be taken raises ``apsw.BusyError`` so the connection's busy timeout applies.

Round trips: a transaction starts with one script (``sql_begin``) that registers the reader lease
(and takes the writer lease when the statement about to run writes), and returns the version, the
epoch, page 1 and the page numbers changed since this process's cached version, so the
process-wide page cache drops only those.  A commit is one script (``sql_commit``, run from
``SQLITE_FCNTL_SYNC``) that checks the lease, the fencing token and the base version, writes the
dirty pages, bumps the version and releases both leases.  Releasing a reader lease at the end of a
read transaction is sent by the process's lease keeper thread (on its own connection, not waited
for); the keeper also renews held leases every ``lease / 3`` seconds.  So a read transaction on a
warm cache costs the caller one round trip and an autocommit write two.

Journals are kept in process memory: a crash before the commit script leaves Redis untouched, so
there is never a hot journal to roll back.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import apsw
from redis.cluster import RedisCluster

from ..core.calls import Call, run_script
from ..core.config import sync_executor
from ..core.errors import ConnectionLost
from ..core.executor import SyncExecutor
from ..core.runner import drive_sync
from ..core.scripts import load_script

KEY_PREFIX = "vermilion:sql:"
VFS_NAME = "vermilion-redis"
FORMAT = "1"
DEFAULT_LEASE = 5.0  # seconds
DEFAULT_BUSY_TIMEOUT = 5.0  # seconds
CACHE_PAGES = 8192  # per database and process (32 MiB with 4 KiB pages)
READAHEAD = 16  # pages fetched together on a cache miss
MAX_CHANGES = 20000  # beyond this many changed pages a begin flushes the cache instead

_BEGIN = load_script("sql_begin", "vermilion.sql")
_RESERVE = load_script("sql_reserve", "vermilion.sql")
_COMMIT = load_script("sql_commit", "vermilion.sql")
_READ = load_script("sql_read", "vermilion.sql")
_LEASE = load_script("sql_lease", "vermilion.sql")
_CREATE = load_script("sql_create", "vermilion.sql")

_NONE, _SHARED, _RESERVED = apsw.SQLITE_LOCK_NONE, apsw.SQLITE_LOCK_SHARED, apsw.SQLITE_LOCK_RESERVED


class FencedError(apsw.IOError):  # type: ignore[misc]
    """The commit was refused: this writer's lease expired and another writer may have taken it."""


def check_name(name: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"a database name must be str, not {type(name).__name__}")
    if not name or "{" in name or "}" in name:
        raise ValueError(f"invalid database name {name!r} (non-empty, without braces)")
    return name


def db_keys(name: str) -> tuple[str, str, str, str, str, str]:
    """The six keys of database ``name``: meta, pages, pv, lock, readers, fence."""
    base = f"{KEY_PREFIX}{{{check_name(name)}}}"
    return (f"{base}:meta", f"{base}:pages", f"{base}:pv", f"{base}:lock", f"{base}:readers",
            f"{base}:fence")


def call(executor: SyncExecutor, request: Call) -> Any:
    """Run one request (one round trip) and return its reply."""

    def operation() -> Any:
        return (yield request)

    return drive_sync(operation(), executor)


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# -- the process-wide page cache ------------------------------------------------------------------
class PageCache:
    """Committed pages of one database at ``version``, shared by this process's connections.

    Entries are all valid at ``version``; a transaction start moves ``version`` forward and drops
    the pages changed in between.  LRU-bounded to ``capacity`` pages.
    """

    def __init__(self, capacity: int = CACHE_PAGES):
        self.lock = threading.Lock()
        self.version = -1
        self.epoch = ""
        self.capacity = capacity
        self.pages: OrderedDict[int, bytes] = OrderedDict()

    def get(self, pgno: int) -> bytes | None:
        data = self.pages.get(pgno)
        if data is not None:
            self.pages.move_to_end(pgno)
        return data

    def put(self, pgno: int, data: bytes) -> None:
        self.pages[pgno] = data
        self.pages.move_to_end(pgno)
        while len(self.pages) > self.capacity:
            self.pages.popitem(last=False)


_caches: dict[tuple[int, str], PageCache] = {}
_caches_lock = threading.Lock()


def page_cache(executor: SyncExecutor, name: str) -> PageCache:
    with _caches_lock:
        key = (id(executor), name)
        cache = _caches.get(key)
        if cache is None:
            cache = _caches[key] = PageCache()
        return cache


# -- the lease keeper ---------------------------------------------------------------------------
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
        # (side executor, keys, lease ms) -> list of (op, owner, fence)
        self.releases: dict[tuple[Any, tuple[str, ...], int], list[tuple[str, str, str]]] = {}
        self.sending = False
        self.next_renew = time.monotonic() + DEFAULT_LEASE / 3

    def release(self, ex: Any, keys: tuple[str, ...], lease_ms: int, op: str, owner: str,
                fence: int = 0) -> None:
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
        groups: dict[tuple[Any, tuple[str, ...], int], list[tuple[str, str, str]]] = {}
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
            call(ex, run_script(_LEASE, keys, args))
        except Exception:  # noqa: BLE001 - a lost release ends with its lease
            pass


_keeper: Keeper | None = None
_keeper_lock = threading.Lock()


def keeper() -> Keeper:
    global _keeper
    with _keeper_lock:
        if _keeper is None:
            _keeper = Keeper()
            _keeper.start()
        return _keeper


def _after_fork() -> None:  # threads and leases do not survive fork
    global _keeper, _keeper_lock, _caches_lock
    _keeper = None
    _keeper_lock = threading.Lock()
    _caches_lock = threading.Lock()
    _caches.clear()


os.register_at_fork(after_in_child=_after_fork)


# -- per-connection context and the files ---------------------------------------------------------
class Context:
    """What a main database file needs, handed over from :func:`open_file` to ``xOpen``."""

    _ids = iter(range(1, 1 << 62))

    def __init__(self, executor: SyncExecutor, client: Any, name: str, lease: float,
                 busy_timeout: float):
        self.executor = executor
        self.side = side_executor(client)
        self.name = name
        self.keys = db_keys(name)
        self.lease_ms = max(1, int(lease * 1000))
        self.busy_timeout = busy_timeout
        self.cache = page_cache(executor, name)
        self.cid = next(Context._ids)
        self.file: RedisFile | None = None
        self.intent_write = False  # set by the connection's exec tracer before each statement
        self.peek: tuple[int, int, bytes | None] = (0, 0, None)  # npages, page_size, page 1


_pending: dict[int, Context] = {}


class MemFile:
    """A journal (or other side file) kept in process memory."""

    def __init__(self, vfs: RedisVFS, name: str, flags: int):
        self.vfs, self.name, self.flags = vfs, name, flags
        self.data = vfs.mem.setdefault(name, bytearray())

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
    """The main database file of one connection: pages in Redis, SQLite locks as leases."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.level = _NONE
        self.reader_held = False
        self.member = ""  # reader id of the current transaction (also the writer lease owner)
        self.fence = 0
        self.snapshot = -1
        self.epoch = ""
        self.npages = 0
        self.page_size = 0
        self.dirty: dict[int, bytes] = {}
        self.size: int | None = None  # file size while writing (None: npages * page_size)
        self.gen = 0
        self.base_id = f"{secrets.token_hex(6)}.{ctx.cid}"
        # SQLite reads the header once at open, unlocked: serve it from the open's peek
        self.npages, self.page_size, self.peek1 = ctx.peek
        if not self.npages:
            self.page_size = 0
        keeper().register(self)

    # -- leases ----------------------------------------------------------------------------
    def _begin(self, rejoin: bool = False) -> None:
        ctx, cache = self.ctx, self.ctx.cache
        self.gen += 1
        self.member = f"{self.base_id}.{self.gen}"
        with cache.lock:
            cached_version, cached_epoch = cache.version, cache.epoch
        stale = keeper().take_reader_releases(ctx.side, ctx.keys)
        want = "1" if ctx.intent_write and not rejoin else "0"
        args = [self.member, ctx.lease_ms, cached_version, cached_epoch, want, MAX_CHANGES,
                *stale]
        try:
            reply = call(ctx.executor, run_script(_BEGIN, ctx.keys, args))
        except Exception:
            for owner in stale:  # hand them back to the keeper
                keeper().release(ctx.side, ctx.keys, ctx.lease_ms, "R", owner)
            raise
        status = _s(reply[0])
        if status == "BUSY":
            raise apsw.BusyError("a writer is committing")
        if status == "MISSING":
            raise apsw.CantOpenError(f"SQL database {ctx.name!r} does not exist")
        version, epoch = int(reply[1]), _s(reply[2])
        npages, page_size, fence = int(reply[3]), int(reply[4]), int(reply[5])
        page1, flush, changes = reply[6], int(reply[7]), reply[8:]
        if rejoin and version != self.snapshot:
            keeper().release(ctx.side, ctx.keys, ctx.lease_ms, "R", self.member)
            raise apsw.BusyError("the database changed while this connection kept its lock")
        self.reader_held = True
        self.fence = fence
        self.snapshot, self.epoch, self.npages = version, epoch, npages
        self.page_size = page_size if npages else 0  # a new database takes SQLite's page size
        with cache.lock:
            if cache.version == cached_version and cache.epoch == cached_epoch:
                if flush:
                    cache.pages.clear()
                else:
                    for p in changes:
                        cache.pages.pop(int(p), None)
                    for p in [p for p in cache.pages if p > npages]:
                        del cache.pages[p]
                cache.version, cache.epoch = version, epoch
                if page1 is not None:
                    cache.put(1, page1)

    def _reserve(self) -> None:
        ctx = self.ctx
        if not self.reader_held:
            self._begin(rejoin=True)
        args = [self.member, ctx.lease_ms, self.snapshot]
        reply = call(ctx.executor, run_script(_RESERVE, ctx.keys, args))
        status = _s(reply[0])
        if status != "OK":
            raise apsw.BusyError(
                "another connection holds the write lock" if status == "BUSY"
                else "the database changed since this transaction started"
            )
        self.fence = int(reply[1])

    def _release_writer(self) -> None:
        if self.fence:
            ctx = self.ctx
            keeper().release(ctx.side, ctx.keys, ctx.lease_ms, "W", self.member, self.fence)
            self.fence = 0
        self.dirty.clear()
        self.size = None

    def xLock(self, level: int) -> None:
        if self.level == _NONE and level >= _SHARED:
            self._begin()
        if level >= _RESERVED and not self.fence:
            self._reserve()
        self.level = max(self.level, level)

    def xUnlock(self, level: int) -> None:
        if level < _RESERVED:
            self._release_writer()
        if level == _NONE and self.reader_held:
            ctx = self.ctx
            keeper().release(ctx.side, ctx.keys, ctx.lease_ms, "R", self.member)
            self.reader_held = False
        self.level = min(self.level, level)

    def xCheckReservedLock(self) -> bool:
        return bool(self.fence)

    # -- pages -----------------------------------------------------------------------------
    def _file_size(self) -> int:
        return self.size if self.size is not None else self.npages * self.page_size

    def _committed(self, pgno: int) -> bytes:
        """Page ``pgno`` of the snapshot: process cache, else fetched (with read-ahead)."""
        ctx, cache = self.ctx, self.ctx.cache
        if pgno > self.npages:
            return b"\0" * self.page_size
        with cache.lock:
            shared = cache.version == self.snapshot and cache.epoch == self.epoch
            if shared:
                data = cache.get(pgno)
                if data is not None:
                    return data
                want = [pgno] + [
                    p for p in range(pgno + 1, min(self.npages, pgno + READAHEAD - 1) + 1)
                    if p not in cache.pages and p not in self.dirty
                ]
            else:
                want = [pgno]
        if not self.reader_held:
            self._begin(rejoin=True)
        reply = call(ctx.executor, run_script(_READ, ctx.keys[:2], [self.snapshot, *want],
                                              readonly=True))
        if _s(reply[0]) != "OK":
            raise apsw.BusyError("the database changed while this transaction was reading")
        pages = {p: (d if d is not None else b"\0" * self.page_size)
                 for p, d in zip(want, reply[1:])}
        with cache.lock:
            if cache.version == self.snapshot and cache.epoch == self.epoch:
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
        return b"".join(parts)

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
    def commit_args(self, commit_id: str) -> list[Any]:
        ps = self.page_size
        npages = self._file_size() // ps if ps else 0
        page1 = self.dirty.get(1)
        if page1 is not None and page1[24:28] == page1[92:96]:
            # the header's page count is valid: pages past it are not part of the database (a
            # VACUUM truncates the file only after the commit's sync)
            npages = int.from_bytes(page1[28:32], "big") or npages
        args: list[Any] = [self.member, self.fence, self.snapshot, commit_id, npages, ps]
        for p in sorted(self.dirty):
            if p <= npages:
                args.extend((p, self.dirty[p]))
        return args

    def _commit(self) -> None:
        if not self.dirty and self._file_size() == self.npages * self.page_size:
            return
        ctx = self.ctx
        if not self.fence:
            raise FencedError("commit without the writer lease")
        args = self.commit_args(secrets.token_hex(8))
        request = run_script(_COMMIT, ctx.keys, args)
        deadline = time.monotonic() + ctx.busy_timeout
        pause = 0.001
        while True:
            try:
                reply = call(ctx.executor, request)
            except ConnectionLost:  # maybe applied: the commit id makes the retry idempotent
                reply = call(ctx.executor, request)
            status = _s(reply[0])
            if status in ("OK", "DONE"):
                break
            if status == "BUSY" and time.monotonic() < deadline:
                time.sleep(pause)  # readers still hold SHARED; new readers now wait (PENDING)
                pause = min(pause * 2, 0.05)
                continue
            if status == "BUSY":
                raise apsw.BusyError("readers kept the database locked past the busy timeout")
            raise FencedError(
                f"commit refused ({status}): the write lease expired and another writer may "
                "have taken over; the transaction was rolled back"
            )
        new = int(reply[1])
        npages = int(args[4])
        cache = ctx.cache
        with cache.lock:
            if cache.version == self.snapshot and cache.epoch == self.epoch:
                for p in [p for p in cache.pages if p > npages]:
                    del cache.pages[p]
                for p, d in self.dirty.items():
                    if p <= npages:
                        cache.put(p, d)
                cache.version = new
        self.snapshot, self.npages = new, npages
        self.dirty.clear()
        self.size = None
        self.fence = 0  # the commit released both leases
        self.reader_held = False

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
        ctx = self.ctx
        if self.fence:
            keeper().release(ctx.side, ctx.keys, ctx.lease_ms, "W", self.member, self.fence)
            self.fence = 0
        if self.reader_held:
            keeper().release(ctx.side, ctx.keys, ctx.lease_ms, "R", self.member)
            self.reader_held = False
        keeper().flush()


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
    global _vfs
    with _vfs_lock:
        if _vfs is None:
            _vfs = RedisVFS()
        return _vfs


def _tracer(ctx: Context) -> Any:
    def exec_trace(cursor: Any, sql: str, bindings: Any) -> bool:
        head = sql.lstrip()[:16].upper()
        ctx.intent_write = (not getattr(cursor, "is_readonly", True)) or head.startswith(
            ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE"))
        return True

    return exec_trace


def open_file(executor: SyncExecutor, client: Any, name: str, *, create: bool = False,
              lease: float = DEFAULT_LEASE, busy_timeout: float = DEFAULT_BUSY_TIMEOUT
              ) -> apsw.Connection:
    """An apsw connection on database ``name`` (created if missing and ``create``; else
    ``apsw.CantOpenError``).  One round trip."""
    vfs()
    peek = open_meta(executor, name, create)
    if peek is None:
        raise apsw.CantOpenError(f"SQL database {name!r} does not exist (pass create=True)")
    ctx = Context(executor, client, name, lease, busy_timeout)
    ctx.peek = peek
    _pending[ctx.cid] = ctx
    try:
        conn = apsw.Connection(f"{ctx.cid}/{name}", vfs=VFS_NAME)
    finally:
        _pending.pop(ctx.cid, None)
    conn.set_busy_timeout(int(busy_timeout * 1000))
    conn.exec_trace = _tracer(ctx)
    return conn


def open_meta(executor: SyncExecutor, name: str, create: bool, page_size: int = 4096
              ) -> tuple[int, int, bytes | None] | None:
    """Create database ``name`` if missing and ``create`` (random epoch), and peek at its header:
    (npages, page_size, page 1), or None when it does not exist.  One round trip."""
    keys = db_keys(name)
    args = ["1" if create else "0", secrets.token_hex(8), page_size, FORMAT]
    reply = call(executor, run_script(_CREATE, keys[:2], args))
    if not reply[0]:
        return None
    return int(reply[1]), int(reply[2]), reply[3]


def delete_keys(executor: SyncExecutor, name: str) -> bool:
    keys = db_keys(name)
    return bool(call(executor, Call(("DEL", *keys), keys)))


__all__: Sequence[str] = (
    "DEFAULT_BUSY_TIMEOUT", "DEFAULT_LEASE", "FencedError", "KEY_PREFIX", "PageCache",
    "RedisFile", "RedisVFS", "call", "db_keys", "delete_keys", "open_meta",
    "open_file",
)
