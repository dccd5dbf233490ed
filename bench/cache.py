"""The cache face (``vermilion.cache``) vs raw redis-py, fastrdb 0.0.3 and the query it replaces.

``python bench/cache.py [--rounds 9] [--quick] [--only sync,aio,fastrdb,sql,parts,trips]
[--no-postgres]``

One process, one private redis-server on TCP loopback (``EmbeddedServer(tcp=True)``), each side on
its own connection and its own logical database (db 0 vermilion, 1 raw redis-py, 2 fastrdb), an
SQLite file in a temp dir (WAL, ``synchronous=NORMAL``) and, when PostgreSQL's binaries are
installed, a private PostgreSQL server (``tests/postgres.py``; never one on 5432).  Every Redis
client is a :func:`vermilion.testing.counting_client` (no command retries, one counter increment
per round trip; the same on every side), so the round trips are read off the clients that are
timed.  The row: a SQLAlchemy ``User`` (id, email unique, name, bio, is_active, created_at), a
Pydantic ``UserResponse`` with ``from_attributes``; 2,000 rows, the gets cycle over 1,000 of
them (``--quick``: 200 and 100).

Rows (``vm/peer``: the median of the per-round ratios):

1. sync hit: ``vermilion.cache.CRUD.get(session, email=...)`` and an ``@vermilion.cache.cached``
   function, both hits, vs redis-py ``r.get(key)`` + ``UserResponse.model_validate_json``
   (target: >= 0.8x);
2. asyncio: ``vermilion.aio.cache.CRUD.get(async_session, email=...)`` hit vs ``redis.asyncio``
   GET + ``model_validate_json`` (target >= 0.8x); ``vermilion.cache.FastRDB`` vs fastrdb 0.0.3's
   ``FastRDB`` (aiosqlite, one ``AsyncSession`` per call, ``expire_on_commit=False``): a hit, a
   miss (the entry dropped - vermilion ``invalidate_cache``, fastrdb ``DEL`` of its key - then
   ``get``) and an update (``update`` in one session, then ``get`` in the next);
3. the cached ``get`` hit vs the query it replaces (``select(User).filter_by(email=...)`` +
   ``model_validate``) on SQLite (pysqlite, aiosqlite) and PostgreSQL (psycopg, asyncpg), with a
   session held open across calls and with a new session per call (what a request does);
4. round trips (Redis, counted on the clients) and SQL statements (cursor executes) per call;
5. where a sync hit's time goes: the parts of ``CRUD.get`` timed alone, side by side (the cache
   script sent by redis-py and by vermilion's executor, the ``select()`` only a miss builds), and
   the server's time per ``EVALSHA`` / ``GET`` (``INFO commandstats``).

fastrdb is installed by hand (``pip install --no-deps fastrdb==0.0.3``: its declared
dependencies would downgrade redis-py); without it vermilion's FastRDB rows run alone and the
fastrdb columns say why.  Its ``set_redis_data`` prints every value it caches: stdout goes to
``/dev/null`` while it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import importlib.metadata
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pydantic import BaseModel, ConfigDict  # noqa: E402
from sqlalchemy import Boolean, DateTime, String, Text, create_engine, event, insert, select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column  # noqa: E402

import vermilion.aio.cache as aio_cache  # noqa: E402
import vermilion.cache as vm_cache  # noqa: E402
from bench.harness import timed  # noqa: E402
from bench.run import machine  # noqa: E402
from vermilion.server import EmbeddedServer  # noqa: E402
from vermilion.testing import RoundTrips, counting_client  # noqa: E402

HIT_TARGET = 0.8
GROUPS = ("sync", "aio", "fastrdb", "sql", "parts", "trips")
DB_VM, DB_RP, DB_FR = 0, 1, 2
TESTS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests")
BIO = ("Backend developer. Likes Redis, PostgreSQL and long walks through query plans; "
       "maintains two open-source libraries and a sourdough starter called Lua.")


# -- the row ------------------------------------------------------------------------------------
class Base(DeclarativeBase):
    pass


class UserColumns:
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    bio: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class User(UserColumns, Base):
    """CRUD, ``@cached`` and the plain queries."""

    __tablename__ = "bench_users"


class VmUser(UserColumns, Base):
    """vermilion's FastRDB: its own table, so that its commits invalidate only its namespace."""

    __tablename__ = "bench_users_vm"


class FrUser(UserColumns, Base):
    """fastrdb's: a table vermilion does not cache, so its commits send vermilion nothing."""

    __tablename__ = "bench_users_fastrdb"


class UserResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    bio: str | None = None
    is_active: bool
    created_at: dt.datetime


class UserUpdate(BaseModel):
    name: str | None = None


def user_row(i: int) -> dict[str, Any]:
    return {"id": i + 1, "email": f"user{i}@example.org", "name": f"User Number {i}", "bio": BIO,
            "is_active": i % 7 != 0,
            "created_at": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=i)}


def raw_key(email: str) -> str:
    return f"user:email:{email}"


def query_user(session: Session, email: str) -> UserResponse:
    """The query the cache replaces, as written by hand."""
    obj = session.execute(select(User).filter_by(email=email)).scalar_one()
    return UserResponse.model_validate(obj)


async def aquery_user(session: AsyncSession, email: str) -> UserResponse:
    obj = (await session.execute(select(User).filter_by(email=email))).scalar_one()
    return UserResponse.model_validate(obj)


def same(a: BaseModel, b: BaseModel) -> bool:
    """Equal responses (SQLite gives naive datetimes: compare the wall-clock fields)."""
    x, y = a.model_dump(), b.model_dump()
    x["created_at"] = x["created_at"].replace(tzinfo=None)
    y["created_at"] = y["created_at"].replace(tzinfo=None)
    return x == y


# -- measuring ----------------------------------------------------------------------------------
@dataclass
class Side:
    """One side of a comparison: ``run(n)`` performs ``n`` operations and returns the seconds."""

    label: str
    run: Callable[[int], float]
    n: int = 0


def sync_side(label: str, op: Callable[[int], Any]) -> Side:
    return Side(label, lambda n: timed(n, op))


def async_side(label: str, loop: asyncio.AbstractEventLoop, aop: Callable[[int], Awaitable[Any]],
               quiet: bool = False) -> Side:
    """``n`` sequential awaits of ``aop(i)`` in one entry of the loop (GC paused)."""
    async def many(n: int) -> None:
        for i in range(n):
            await aop(i)

    def run(n: int) -> float:
        gc_was = gc.isenabled()
        gc.disable()
        try:
            with silenced(quiet):
                t0 = time.perf_counter()
                loop.run_until_complete(many(n))
                return time.perf_counter() - t0
        finally:
            if gc_was:
                gc.enable()

    return Side(label, run)


@contextlib.contextmanager
def silenced(on: bool = True) -> Iterator[None]:
    """stdout to /dev/null (fastrdb prints every value it caches)."""
    if not on:
        yield
        return
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        yield


@dataclass
class Measured:
    samples: dict[str, list[float]]  # label -> ops/s of each round

    def ops(self, label: str) -> float:
        return statistics.median(self.samples[label])

    def ratio(self, a: str, b: str) -> float:
        """The median of the per-round ratios ``a / b`` (neighbours in time compare best)."""
        return statistics.median(x / y for x, y in zip(self.samples[a], self.samples[b]))


def calibrate(side: Side, budget: float) -> None:
    """``side.n``: about ``budget`` seconds of operations (after a first warm-up)."""
    side.run(3)
    n, floor = 4, min(0.02, budget)
    while True:
        t = side.run(n)
        if t >= floor or n >= 50_000:
            break
        n *= 4
    side.n = max(3, min(100_000, int(budget * n / max(t, 1e-9))))


def measure(sides: list[Side], rounds: int, budget: float) -> Measured:
    """Calibrate and warm up each side, then ``rounds`` rounds, the sides interleaved inside each
    round and their order reversed every other round."""
    for s in sides:
        calibrate(s, budget)
        s.run(max(1, s.n // 10))
    samples: dict[str, list[float]] = {s.label: [] for s in sides}
    for k in range(rounds):
        for s in sides if k % 2 == 0 else sides[::-1]:
            samples[s.label].append(s.n / s.run(s.n))
    return Measured(samples)


@dataclass
class Row:
    section: str
    vm: str
    vm_ops: float | None
    peer: str
    peer_ops: float | None
    ratio: float | None
    target: float | None = None
    note: str = ""

    @classmethod
    def of(cls, section: str, m: Measured, vm: str, peer: str, target: float | None = None) -> Row:
        return cls(section, vm, m.ops(vm), peer, m.ops(peer), m.ratio(vm, peer), target)

    @classmethod
    def skipped(cls, section: str, vm: str, peer: str, note: str) -> Row:
        return cls(section, vm, None, peer, None, None, note=note)

    def verdict(self) -> str:
        if self.target is None or self.ratio is None:
            return "-"
        return f">= {self.target:g}x {'ok' if self.ratio >= self.target else 'MISS'}"


def _ops(v: float | None) -> str:
    return "-" if v is None else f"{v:,.0f}"


def _us(v: float | None) -> str:
    return "-" if v is None else f"{1e6 / v:,.1f}"


def format_table(rows: list[Row]) -> str:
    head = (f"{'vermilion':40} {'ops/s':>8} {'µs/op':>7}  {'peer':40} {'ops/s':>8} {'µs/op':>7} "
            f"{'vm/peer':>8}  target")
    lines = [head, "-" * len(head)]
    section = None
    for r in rows:
        if r.section != section:
            section = r.section
            lines.append(f"[{section}]")
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}x"
        lines.append(f"{r.vm:40} {_ops(r.vm_ops):>8} {_us(r.vm_ops):>7}  {r.peer:40} "
                     f"{_ops(r.peer_ops):>8} {_us(r.peer_ops):>7} {ratio:>8}  {r.verdict()}")
        if r.note:
            lines.append(f"{'':4}{r.note}")
    return "\n".join(lines)


@dataclass
class Trips:
    operation: str
    redis: str
    sql: str
    note: str = ""


def format_parts(parts: list[tuple[str, float, str]], server: dict[str, float | None]) -> str:
    head = f"{'where a sync hit goes (each part timed alone)':58} {'µs/op':>7}"
    lines = [head, "-" * len(head)]
    for label, us, what in parts:
        lines.append(f"{label:58} {us:>7.1f}  {what}")
    lines.append("redis-server time per call (INFO commandstats): "
                 + ", ".join(f"{k.upper()} {'-' if v is None else f'{v:.2f}'} µs"
                             for k, v in server.items()))
    return "\n".join(lines)


def format_trips(trips: list[Trips]) -> str:
    head = f"{'operation':58} {'Redis round trips':>18} {'SQL statements':>15}"
    lines = [head, "-" * len(head)]
    for t in trips:
        lines.append(f"{t.operation:58} {t.redis:>18} {t.sql:>15}" + (f"  {t.note}" if t.note else ""))
    return "\n".join(lines)


# -- the run ------------------------------------------------------------------------------------
def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def load_postgres() -> tuple[Any, str]:
    """``PrivatePostgres`` (tests/postgres.py), or ``None`` and why not."""
    if TESTS_DIR not in sys.path:
        sys.path.append(TESTS_DIR)  # appended: tests/ must not shadow anything installed
    try:
        from postgres import PrivatePostgres  # type: ignore[import-not-found]
    except ImportError as exc:
        return None, f"tests/postgres.py not importable ({exc})"
    if not PrivatePostgres.available():
        return None, "PostgreSQL binaries not installed (initdb, pg_ctl)"
    for driver in ("psycopg", "asyncpg"):
        try:
            __import__(driver)
        except ImportError:
            return None, f"the {driver} driver is not installed"
    return PrivatePostgres, ""


def load_fastrdb() -> tuple[Any, str]:
    try:
        import fastrdb
    except Exception as exc:  # noqa: BLE001 - any import failure: skip its columns
        return None, (f"fastrdb not importable ({type(exc).__name__}: {exc}); "
                      "pip install --no-deps fastrdb==0.0.3")
    return fastrdb.FastRDB, importlib.metadata.version("fastrdb")


@dataclass
class Bench:
    quick: bool = False
    rounds: int = 9
    budget: float = 0.12
    groups: tuple[str, ...] = GROUPS
    postgres: bool = True
    out: Callable[[str], Any] = print
    rows: list[Row] = field(default_factory=list)
    trips: list[Trips] = field(default_factory=list)
    parts_rows: list[tuple[str, float, str]] = field(default_factory=list)
    server: dict[str, float | None] = field(default_factory=dict)
    fr_version: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def users(self) -> int:
        return 200 if self.quick else 2000

    @property
    def hot(self) -> list[str]:
        """The emails the gets cycle over."""
        return [f"user{i}@example.org" for i in range(0, self.users, 2)]

    def _step(self, what: str, t0: float) -> None:
        self.out(f"  {what}: {time.perf_counter() - t0:.1f}s")

    def run(self) -> Bench:
        server = EmbeddedServer(tcp=True)
        base = f"redis://127.0.0.1:{server.port}"
        tmp = tempfile.TemporaryDirectory(prefix="vermilion-bench-cache-")
        self.loop = asyncio.new_event_loop()
        self.pg: Any = None
        self.counters = {name: RoundTrips() for name in ("vm", "rp", "avm", "arp", "afr")}
        c = self.counters
        self.vm = counting_client(f"{base}/{DB_VM}", c["vm"])
        self.rp = counting_client(f"{base}/{DB_RP}", c["rp"])
        self.avm = counting_client(f"{base}/{DB_VM}", c["avm"], asyncio_=True)
        self.arp = counting_client(f"{base}/{DB_RP}", c["arp"], asyncio_=True)
        self.afr = counting_client(f"{base}/{DB_FR}", c["afr"], asyncio_=True)
        self.engines: list[Any] = []
        try:
            url = f"sqlite:///{tmp.name}/users.db"
            self.engine = self._engine(create_engine(url))
            with self.engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            self._load(self.engine)
            self.aengine = self._engine(create_async_engine(f"sqlite+aiosqlite:///{tmp.name}/users.db"))
            if "sync" in self.groups:
                self.sync_hit()
            if "aio" in self.groups:
                self.aio_hit()
            if "fastrdb" in self.groups:
                self.fastrdb()
            if "sql" in self.groups:
                self.sql()
            if "parts" in self.groups:
                self.parts()
            if "trips" in self.groups:
                self.round_trips()
        finally:
            if hasattr(self, "session"):
                self.session.close()
            if hasattr(self, "asession"):
                self._run(self.asession.close())
            for eng in self.engines:
                if hasattr(eng, "sync_engine"):
                    self.loop.run_until_complete(eng.dispose())
                else:
                    eng.dispose()
            for ac in (self.avm, self.arp, self.afr):
                self.loop.run_until_complete(ac.aclose())
            self.loop.close()
            self.vm.close()
            self.rp.close()
            if self.pg is not None:
                self.pg.stop()
            server.stop()
            tmp.cleanup()
        return self

    def _engine(self, engine: Any) -> Any:
        self.engines.append(engine)
        sync = getattr(engine, "sync_engine", engine)
        if sync.dialect.name == "sqlite":
            event.listen(sync, "connect", sqlite_pragmas)
        return engine

    def _load(self, engine: Any, tables: tuple[type[Any], ...] = (User, VmUser, FrUser)) -> None:
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
        rows = [user_row(i) for i in range(self.users)]
        with engine.begin() as conn:
            for model in tables:
                conn.execute(insert(model), rows)

    def _run(self, coro: Awaitable[Any]) -> Any:
        return self.loop.run_until_complete(coro)  # type: ignore[arg-type]

    # 1. sync hit --------------------------------------------------------------------------------
    def sync_hit(self) -> None:
        t0 = time.perf_counter()
        hot, engine, rp = self.hot, self.engine, self.rp
        h = len(hot)
        crud = vm_cache.CRUD(User, UserResponse, key="user:email:{email}", ttl=600,
                             namespace="bench:sync", client=self.vm)
        session = Session(engine)

        @vm_cache.cached(ttl=600, key="user:email:{email}", namespace="bench:fn", client=self.vm)
        def user_by_email(email: str) -> UserResponse:
            with Session(engine) as s:
                return query_user(s, email)

        self.sync_crud, self.session, self.user_by_email = crud, session, user_by_email
        for e in hot:  # fill both caches and the raw keys
            want = crud.get(session, email=e)
            assert user_by_email(e) == want
            rp.set(raw_key(e), want.model_dump_json(), ex=600)

        def raw_get(e: str) -> UserResponse:
            return UserResponse.model_validate_json(rp.get(raw_key(e)))

        with Session(engine) as s:
            want = query_user(s, hot[3])
        assert crud.get(session, email=hot[3]) == user_by_email(hot[3]) == raw_get(hot[3]) == want
        before = crud.stats()["misses"], vm_cache.stats("bench:fn", client=self.vm)["misses"]
        m = measure([
            sync_side("CRUD.get (hit)", lambda i: crud.get(session, email=hot[i % h])),
            sync_side("@cached function (hit)", lambda i: user_by_email(hot[i % h])),
            sync_side("redis-py GET + model_validate_json", lambda i: raw_get(hot[i % h])),
        ], self.rounds, self.budget)
        after = crud.stats()["misses"], vm_cache.stats("bench:fn", client=self.vm)["misses"]
        if after != before:
            self.notes.append(f"sync hit rows: {after[0] - before[0]} + {after[1] - before[1]} "
                              "misses while timing")
        section = "1. hit path, sync"
        self.rows.append(Row.of(section, m, "CRUD.get (hit)", "redis-py GET + model_validate_json",
                                HIT_TARGET))
        self.rows.append(Row.of(section, m, "@cached function (hit)",
                                "redis-py GET + model_validate_json", HIT_TARGET))
        self._step("sync hit", t0)

    # 2. asyncio hit -----------------------------------------------------------------------------
    def aio_hit(self) -> None:
        t0 = time.perf_counter()
        hot, arp = self.hot, self.arp
        h = len(hot)
        crud = aio_cache.CRUD(User, UserResponse, key="user:email:{email}", ttl=600,
                              namespace="bench:aio", client=self.avm)
        session = AsyncSession(self.aengine)
        self.aio_crud, self.asession = crud, session

        async def fill() -> None:
            for e in hot:
                want = await crud.get(session, email=e)
                await arp.set(raw_key(e), want.model_dump_json(), ex=600)

        async def raw_get(e: str) -> UserResponse:
            return UserResponse.model_validate_json(await arp.get(raw_key(e)))

        self._run(fill())
        assert self._run(crud.get(session, email=hot[5])) == self._run(raw_get(hot[5]))
        loop = self.loop
        before = self._run(crud.stats())["misses"]
        m = measure([
            async_side("aio CRUD.get (hit)", loop, lambda i: crud.get(session, email=hot[i % h])),
            async_side("redis.asyncio GET + model_validate_json", loop,
                       lambda i: raw_get(hot[i % h])),
        ], self.rounds, self.budget)
        after = self._run(crud.stats())["misses"]
        if after != before:
            self.notes.append(f"asyncio hit row: {after - before} misses while timing")
        self.rows.append(Row.of("2. hit path, asyncio", m, "aio CRUD.get (hit)",
                                "redis.asyncio GET + model_validate_json", HIT_TARGET))
        self._step("asyncio hit", t0)

    # 2b. FastRDB --------------------------------------------------------------------------------
    def fastrdb(self) -> None:
        t0 = time.perf_counter()
        section = "2. vermilion.cache.FastRDB vs fastrdb (aiosqlite)"
        fr_cls, version = load_fastrdb()
        if fr_cls is None:
            self.notes.append(version)
            self.fr_version = None
        else:
            self.fr_version = version
        hot, avm, afr, loop = self.hot, self.avm, self.afr, self.loop
        h = len(hot)
        kw: dict[str, Any] = dict(pattern="user:{email}", list_pattern="users:{limit}:{page}",
                                  exp=600, invalidate_pattern_prefix="users:*")
        vmf = vm_cache.FastRDB(VmUser, UserResponse, **kw)
        frf = fr_cls(FrUser, UserResponse, **kw) if fr_cls is not None else None
        sessions = async_sessionmaker(self.aengine, expire_on_commit=False)
        self.vmf, self.frf, self.sessions = vmf, frf, sessions

        async def vm_get(e: str) -> Any:
            async with sessions() as db:
                return await vmf.get(db, avm, email=e)

        async def fr_get(e: str) -> Any:
            async with sessions() as db:
                return await frf.get(db, afr, email=e)

        async def vm_miss(e: str) -> Any:
            await vmf.invalidate_cache(avm)
            return await vm_get(e)

        async def fr_miss(e: str) -> Any:
            await afr.delete(f"user:{e}")
            return await fr_get(e)

        async def vm_update(e: str, name: str) -> Any:
            async with sessions() as db:
                await vmf.update(db, avm, UserUpdate(name=name), email=e)
            return await vm_get(e)

        async def fr_update(e: str, name: str) -> Any:
            async with sessions() as db:
                await frf.update(db, afr, UserUpdate(name=name), email=e)
            return await fr_get(e)

        self.vm_ops = {"get": vm_get, "miss": vm_miss, "update": vm_update}
        self.fr_ops = {"get": fr_get, "miss": fr_miss, "update": fr_update}

        async def fill() -> None:
            for e in hot:
                a = await vm_get(e)
                if frf is not None:
                    b = await fr_get(e)
                    assert a == b, (a, b)

        with silenced():
            self._run(fill())
            a = self._run(vm_update(hot[7], "renamed"))
            assert a.name == "renamed" and self._run(vm_miss(hot[7])) == a, a
            if frf is not None:  # the same answers on a hit, after a miss and after an update
                for op in ("get", "miss"):
                    assert self._run(self.vm_ops[op](hot[9])) == self._run(self.fr_ops[op](hot[9]))
                b = self._run(fr_update(hot[7], "renamed"))
                assert a == b, (a, b)

        rows = [("get (hit)", "get", lambda f: lambda i: f(hot[i % h])),
                ("miss: drop the entry + get", "miss", lambda f: lambda i: f(hot[i % h])),
                ("update + next get", "update", lambda f: lambda i: f(hot[i % h], f"name {i}"))]
        for what, op, bind in rows:
            vm_label, fr_label = f"FastRDB {what}", f"fastrdb {version} {what}"
            if frf is None:
                m = measure([async_side(vm_label, loop, bind(self.vm_ops[op]))], self.rounds,
                            self.budget)
                self.rows.append(Row(section, vm_label, m.ops(vm_label), "fastrdb: not run", None,
                                     None, note=version))
                continue
            m = measure([async_side(vm_label, loop, bind(self.vm_ops[op])),
                         async_side(fr_label, loop, bind(self.fr_ops[op]), quiet=True)],
                        self.rounds, self.budget)
            self.rows.append(Row.of(section, m, vm_label, fr_label))
        self._step("FastRDB vs fastrdb", t0)

    # 3. vs the query --------------------------------------------------------------------------
    def sql(self) -> None:
        t0 = time.perf_counter()
        dbs: list[tuple[str, Any]] = [("SQLite, pysqlite", self.engine),
                                      ("SQLite, aiosqlite", self.aengine)]
        pg_cls, why = load_postgres() if self.postgres else (None, "--no-postgres")
        if pg_cls is not None:
            try:
                self.pg = pg_cls()
            except Exception as exc:  # noqa: BLE001 - the server cannot start here: skip, say why
                why = f"PrivatePostgres failed: {str(exc)[:120]}"
            else:
                pg_sync = self._engine(create_engine(self.pg.url("psycopg")))
                self._load(pg_sync, (User,))
                dbs += [("PostgreSQL, psycopg", pg_sync),
                        ("PostgreSQL, asyncpg", self._engine(create_async_engine(self.pg.url("asyncpg"))))]
                ver = self.pg_version = pg_sync.dialect.server_version_info
                self.out(f"  private PostgreSQL {'.'.join(map(str, ver))} on port {self.pg.port} "
                         f"(started in {self.pg.startup_seconds:.1f}s)")
        for label, engine in dbs:
            if hasattr(engine, "sync_engine"):
                self._sql_async(label, engine)
            else:
                self._sql_sync(label, engine)
        if len(dbs) == 2:
            for label in ("PostgreSQL, psycopg", "PostgreSQL, asyncpg"):
                self.rows.append(Row.skipped(f"3. hit vs the query, {label}", "CRUD.get (hit)",
                                             "select + model_validate: not run", why))
            self.notes.append(f"PostgreSQL rows skipped: {why}")
        self._step("hit vs the query", t0)

    def _sql_sync(self, label: str, engine: Any) -> None:
        hot, h = self.hot, len(self.hot)
        crud = vm_cache.CRUD(User, UserResponse, key="user:email:{email}", ttl=600,
                             namespace=f"bench:sql:{label}", client=self.vm)
        held, held_q = Session(engine), Session(engine)
        for e in hot:
            crud.get(held, email=e)
        assert same(crud.get(held, email=hot[9]), query_user(held_q, hot[9]))

        def per_call_hit(i: int) -> Any:
            with Session(engine) as s:
                return crud.get(s, email=hot[i % h])

        def per_call_query(i: int) -> Any:
            with Session(engine) as s:
                return query_user(s, hot[i % h])

        m = measure([
            sync_side("hit, session held", lambda i: crud.get(held, email=hot[i % h])),
            sync_side("query, session held", lambda i: query_user(held_q, hot[i % h])),
            sync_side("hit, a session per call", per_call_hit),
            sync_side("query, a session per call", per_call_query),
        ], self.rounds, self.budget)
        held.close()
        held_q.close()
        self._sql_rows(label, m, "CRUD.get")

    def _sql_async(self, label: str, engine: Any) -> None:
        hot, h, loop = self.hot, len(self.hot), self.loop
        crud = aio_cache.CRUD(User, UserResponse, key="user:email:{email}", ttl=600,
                              namespace=f"bench:sql:{label}", client=self.avm)
        held, held_q = AsyncSession(engine), AsyncSession(engine)

        async def fill() -> None:
            for e in hot:
                await crud.get(held, email=e)
            assert same(await crud.get(held, email=hot[9]), await aquery_user(held_q, hot[9]))

        self._run(fill())

        async def per_call_hit(i: int) -> Any:
            async with AsyncSession(engine) as s:
                return await crud.get(s, email=hot[i % h])

        async def per_call_query(i: int) -> Any:
            async with AsyncSession(engine) as s:
                return await aquery_user(s, hot[i % h])

        m = measure([
            async_side("hit, session held", loop, lambda i: crud.get(held, email=hot[i % h])),
            async_side("query, session held", loop, lambda i: aquery_user(held_q, hot[i % h])),
            async_side("hit, a session per call", loop, per_call_hit),
            async_side("query, a session per call", loop, per_call_query),
        ], self.rounds, self.budget)
        self._run(held.close())
        self._run(held_q.close())
        self._sql_rows(label, m, "aio CRUD.get")

    def _sql_rows(self, label: str, m: Measured, name: str) -> None:
        section = f"3. hit vs the query, {label}"
        for how in ("session held", "a session per call"):
            row = Row.of(section, m, f"hit, {how}", f"query, {how}")
            row.vm = f"{name} (hit), {how}"
            row.peer = f"select + model_validate, {how}"
            self.rows.append(row)

    # 5. where a sync hit goes ------------------------------------------------------------------
    def parts(self) -> None:
        """The parts of a sync ``CRUD.get`` hit, timed alone and side by side (internals: the
        store's key layout and its ``cache_get`` script, run by redis-py and by vermilion)."""
        from vermilion.cache.store import _GET
        from vermilion.core.calls import run_script

        t0 = time.perf_counter()
        hot, h, vm, rp, engine = self.hot, len(self.hot), self.vm, self.rp, self.engine
        crud = vm_cache.CRUD(User, UserResponse, key="user:email:{email}", ttl=600,
                             namespace="bench:parts", client=vm)
        session = Session(engine)

        @vm_cache.cached(ttl=600, key="user:email:{email}", namespace="bench:parts-fn", client=vm)
        def user_by_email(email: str) -> UserResponse:
            with Session(engine) as s:
                return query_user(s, email)

        for e in hot:
            rp.set(raw_key(e), crud.get(session, email=e).model_dump_json(), ex=600)
            user_by_email(e)
        store = crud.store()
        keys = [store._keys(crud._item_key({"email": e}))[:1] for e in hot]  # the entry key
        args = ["0" * 24, store.lease_ms, "first", 0, 0]  # token, lease, mode, unsent hits
        assert int(vm.evalsha(_GET.sha, 1, *keys[0], *args)[0]) == 1  # a hit

        def script_vm(i: int) -> Any:
            def operation() -> Any:
                return (yield run_script(_GET, keys[i % h], args))
            return store.run(operation(), "get")

        labels = {
            "redis-py GET + model_validate_json": "the baseline",
            "redis-py GET alone": "the round trip, no validation",
            "redis-py EVALSHA cache_get (a hit)": "the cache's script, redis-py's client path",
            "Store.run of that one script call": "the same through vermilion's executor",
            "@cached function (hit)": "+ key from the arguments, decode",
            "CRUD.get (hit)": "+ key (memoised), bypass check, decode",
            "select(User).filter_by(email=...) alone": "what only a miss builds",
            "@cached, a 50 µs busy loop first": "what client CPU before a round trip costs",
            "a 50 µs busy loop alone": "(the loop's own time)",
        }

        def spin(i: int) -> None:
            end = time.perf_counter() + 50e-6
            while time.perf_counter() < end:
                pass

        def spin_first(i: int) -> Any:
            spin(i)
            return user_by_email(hot[i % h])

        sides = [
            sync_side("redis-py GET + model_validate_json",
                      lambda i: UserResponse.model_validate_json(rp.get(raw_key(hot[i % h])))),
            sync_side("redis-py GET alone", lambda i: rp.get(raw_key(hot[i % h]))),
            sync_side("redis-py EVALSHA cache_get (a hit)",
                      lambda i: vm.evalsha(_GET.sha, 1, *keys[i % h], *args)),
            sync_side("Store.run of that one script call", script_vm),
            sync_side("@cached function (hit)", lambda i: user_by_email(hot[i % h])),
            sync_side("CRUD.get (hit)", lambda i: crud.get(session, email=hot[i % h])),
            sync_side("select(User).filter_by(email=...) alone",
                      lambda i: select(User).filter_by(email=hot[i % h])),
            sync_side("@cached, a 50 µs busy loop first", spin_first),
            sync_side("a 50 µs busy loop alone", spin),
        ]
        rp.config_resetstat()
        m = measure(sides, self.rounds, self.budget)
        stats = rp.info("commandstats")
        self.parts_rows = [(label, 1e6 / m.ops(label), what) for label, what in labels.items()]
        self.server = {name: stats.get(f"cmdstat_{name}", {}).get("usec_per_call")
                       for name in ("evalsha", "get")}
        session.close()
        self._step("where a sync hit goes", t0)

    # 4. round trips -----------------------------------------------------------------------------
    def round_trips(self) -> None:
        """One call of each operation (after an uncounted one), the Redis round trips read off
        the clients' counters and the SQL statements off a ``before_cursor_execute`` listener
        (added only now: it is not there while timing)."""
        t0 = time.perf_counter()
        statements = [0]

        def count(*_: Any) -> None:
            statements[0] += 1

        for eng in (self.engine, self.aengine):
            event.listen(getattr(eng, "sync_engine", eng), "before_cursor_execute", count)
        e = self.hot[11]

        def step(counter: str, call: Callable[[], Any]) -> tuple[int, int]:
            c = self.counters[counter]
            c.reset()
            statements[0] = 0
            with silenced():
                call()
            return c.count, statements[0]

        def row(operation: str, counter: str, *calls: Callable[[], Any], note: str = "") -> None:
            with silenced():  # once uncounted: entries refilled, scripts loaded (a script's
                for call in calls:  # first use on a server costs one more: NOSCRIPT, then EVAL)
                    call()
            got = [step(counter, call) for call in calls]
            self.trips.append(Trips(operation, " + ".join(str(r) for r, _ in got),
                                    " + ".join(str(s) for _, s in got), note))

        run = self._run
        with Session(self.engine) as s:
            self.rp.set(raw_key(e), query_user(s, e).model_dump_json(), ex=600)
        row("redis-py GET + model_validate_json", "rp",
            lambda: UserResponse.model_validate_json(self.rp.get(raw_key(e))))
        if "sync" in self.groups:
            crud, session, fn = self.sync_crud, self.session, self.user_by_email
            row("CRUD.get hit", "vm", lambda: crud.get(session, email=e))
            row("CRUD.get miss: invalidate(email=) + get", "vm",
                lambda: crud.invalidate(email=e), lambda: crud.get(session, email=e))
            row("@cached hit", "vm", lambda: fn(e))
            row("@cached miss: .invalidate(email) + call", "vm", lambda: fn.invalidate(e),
                lambda: fn(e))
        if "aio" in self.groups:
            acrud, asession = self.aio_crud, self.asession
            row("aio CRUD.get hit", "avm", lambda: run(acrud.get(asession, email=e)))
        if "fastrdb" in self.groups:
            vm_ops, fr_ops = self.vm_ops, self.fr_ops
            row("vermilion FastRDB get hit", "avm", lambda: run(vm_ops["get"](e)))
            row("vermilion FastRDB miss: invalidate_cache + get", "avm",
                lambda: run(self.vmf.invalidate_cache(self.avm)), lambda: run(vm_ops["get"](e)))
            row("vermilion FastRDB update + next get", "avm",
                lambda: run(self._update_only(self.vmf, self.avm, e)), lambda: run(vm_ops["get"](e)),
                note="(+ COMMIT)")
        if "fastrdb" in self.groups and self.fr_version is not None:
            row(f"fastrdb {self.fr_version} get hit", "afr", lambda: run(fr_ops["get"](e)))
            row(f"fastrdb {self.fr_version} miss: DEL + get", "afr",
                lambda: run(self.afr.delete(f"user:{e}")), lambda: run(fr_ops["get"](e)))
            keys = run(self.afr.dbsize())
            row(f"fastrdb {self.fr_version} update + next get", "afr",
                lambda: run(self._update_only(self.frf, self.afr, e)), lambda: run(fr_ops["get"](e)),
                note=f"(+ COMMIT; SCAN COUNT 100 over its {keys:,} keys)")
        self._step("round trips", t0)

    async def _update_only(self, crud: Any, redis: Any, e: str) -> None:
        async with self.sessions() as db:
            await crud.update(db, redis, UserUpdate(name="counted"), email=e)


def versions() -> str:
    import pydantic
    import sqlalchemy

    parts = [f"SQLAlchemy {sqlalchemy.__version__}", f"pydantic {pydantic.__version__}"]
    for dist in ("aiosqlite", "psycopg", "asyncpg"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            parts.append(f"{dist} {importlib.metadata.version(dist)}")
    import sqlite3

    parts.append(f"SQLite {sqlite3.sqlite_version}")
    fr, version = load_fastrdb()
    parts.append(f"fastrdb {version}" if fr is not None else "fastrdb: not importable")
    return ", ".join(parts)


def run(quick: bool = False, rounds: int | None = None, groups: tuple[str, ...] = GROUPS,
        postgres: bool = True, out: Callable[[str], Any] = print) -> Bench:
    bench = Bench(quick=quick, rounds=rounds or (1 if quick else 9),
                  budget=0.01 if quick else 0.12, groups=groups, postgres=postgres, out=out)
    return bench.run()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke run: 200 rows, 1 round, ~10 ms a side")
    p.add_argument("--rounds", type=int, default=None, help="rounds per row (default 9)")
    p.add_argument("--only", default="", help=f"comma-separated groups: {','.join(GROUPS)}")
    p.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL rows")
    args = p.parse_args(argv)
    groups = tuple(g for g in args.only.split(",") if g) or GROUPS
    unknown = set(groups) - set(GROUPS)
    if unknown:
        p.error(f"unknown groups: {', '.join(sorted(unknown))}")
    print(machine())
    load = os.getloadavg()
    print(f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; mode {'quick' if args.quick else 'full'}; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    t0 = time.perf_counter()
    bench = run(args.quick, args.rounds, groups, not args.no_postgres)
    print("\n" + versions())
    if bench.pg is not None:
        print(f"PostgreSQL {'.'.join(map(str, bench.pg_version))} (private, fsync off)")
    if bench.rows:
        print("\n" + format_table(bench.rows))
        print(f"(ops/s: median of {bench.rounds} rounds; vm/peer: median of the per-round ratios; "
              "asyncio rows: sequential awaits)")
    if bench.parts_rows:
        print("\n" + format_parts(bench.parts_rows, bench.server))
    if bench.trips:
        print("\n" + format_trips(bench.trips))
    if bench.notes:
        print("\nnotes:\n  " + "\n  ".join(bench.notes))
    load = os.getloadavg()
    print(f"\ntotal {time.perf_counter() - t0:.0f}s; load average at the end {load[0]:.2f} "
          f"{load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
