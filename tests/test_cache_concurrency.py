"""The cache under concurrency, on SQLite and a private PostgreSQL (several processes).

* **Never stale**: 4 reader processes, each running many asyncio tasks, read rows through
  ``vermilion.aio.cache.CRUD`` with random delays injected between the database read and the
  cache fill, while a writer process updates the rows through ``vermilion.cache.CRUD`` (its
  commits invalidate).  Every read is checked against the writer's log: no read returns a
  version older than the newest one whose commit had returned before the read started.
* **Stampede**: 200 concurrent misses of one key from 4 processes run exactly 1 query.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import random
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import String, create_engine, event
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from test_concurrency import run_all  # start, collect one result each, check exits

import vermilion
from vermilion.cache import crud as crud_module

pytestmark = pytest.mark.slow

CTX = mp.get_context("fork")
READERS = 4
TASKS = 12
ROWS = 4


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    version: Mapped[int]


class ItemOut(BaseModel):
    model_config = {"from_attributes": True}
    id: int
    name: str
    version: int


def _urls(kind: str, request: Any, tmp: str) -> tuple[str, str]:
    if kind == "sqlite":
        return f"sqlite:///{tmp}/c.sqlite", f"sqlite+aiosqlite:///{tmp}/c.sqlite"
    pg = request.getfixturevalue("postgres")
    return pg.url("psycopg"), pg.url("asyncpg")


@pytest.fixture(params=["sqlite", "postgresql"])
def dbs(request: Any, r: Any) -> Iterator[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        sync_url, async_url = _urls(request.param, request, tmp)
        eng = create_engine(sync_url, connect_args={"timeout": 30} if "sqlite" in sync_url else {})
        Base.metadata.drop_all(eng)
        Base.metadata.create_all(eng)
        with Session(eng) as s, s.begin():
            for i in range(ROWS):
                s.add(Item(id=i + 1, name=f"i{i}", version=0))
        eng.dispose()
        yield sync_url, async_url


def _slow_database(max_delay: float) -> None:
    """Inject a random delay between the database read and what follows it (the fill)."""
    original = crud_module.database

    def delayed(session: Any, work: Any, *args: Any) -> Any:
        run = original(session, work, *args)
        if crud_module.is_async_session(session):
            async def later() -> Any:
                value = await run()
                await asyncio.sleep(random.uniform(0, max_delay))
                return value

            return later

        def later_sync() -> Any:
            value = run()
            time.sleep(random.uniform(0, max_delay))
            return value

        return later_sync

    crud_module.database = delayed  # type: ignore[assignment]


def _writer(redis_url: str, sync_url: str, stop_at: float, out: Any) -> None:
    vermilion.configure(url=redis_url)
    eng = create_engine(sync_url, connect_args={"timeout": 30} if "sqlite" in sync_url else {})
    items = crud_module.CRUD(Item, ItemOut, key="item:{id}", ttl=60)
    log: list[tuple[int, int, float]] = []
    versions = dict.fromkeys(range(1, ROWS + 1), 0)
    rng = random.Random(7)
    while time.monotonic() < stop_at:
        k = rng.randint(1, ROWS)
        versions[k] += 1
        with Session(eng) as s:
            with s.begin():
                items.update(s, {"version": versions[k]}, id=k)
            returned = time.monotonic()  # the commit (and its invalidation) has returned
        log.append((k, versions[k], returned))
        time.sleep(rng.uniform(0, 0.01))
    out.put(("writer", log))


def _reader(redis_url: str, async_url: str, stop_at: float, out: Any, seed: int) -> None:
    vermilion.configure(url=redis_url)
    random.seed(seed)
    _slow_database(0.03)

    async def main() -> list[tuple[int, int, float]]:
        eng = create_async_engine(async_url, pool_size=TASKS, max_overflow=0) \
            if "postgresql" in async_url else create_async_engine(async_url)
        factory = async_sessionmaker(eng, expire_on_commit=False)
        items = crud_module.AsyncCRUD(Item, ItemOut, key="item:{id}", ttl=60)
        reads: list[tuple[int, int, float]] = []

        async def task() -> None:
            while time.monotonic() < stop_at:
                k = random.randint(1, ROWS)
                async with factory() as s:
                    started = time.monotonic()
                    got = await items.get(s, id=k)
                reads.append((k, got.version, started))

        await asyncio.gather(*[task() for _ in range(TASKS)])
        await eng.dispose()
        return reads

    out.put(("reader", asyncio.run(main())))


def test_never_stale(dbs: tuple[str, str], vermilion_server: Any) -> None:
    sync_url, async_url = dbs
    out = CTX.Queue()
    stop_at = time.monotonic() + 5.0
    procs = [CTX.Process(target=_writer, args=(vermilion_server.url, sync_url, stop_at, out))]
    procs += [CTX.Process(target=_reader, args=(vermilion_server.url, async_url, stop_at, out, n))
              for n in range(READERS)]
    results = run_all(procs, out)
    writes = next(log for kind, log in results if kind == "writer")
    reads = [read for kind, log in results if kind == "reader" for read in log]
    assert len(writes) > 50 and len(reads) > 500
    stale = []
    for k, version, started in reads:
        newest = max((v for (row, v, returned) in writes if row == k and returned < started),
                     default=0)
        if version < newest:
            stale.append((k, version, newest))
    assert stale == [], f"{len(stale)} stale reads of {len(reads)}: {stale[:5]}"
    stats = vermilion.cache.store_for("sql:items", None, "sync").stats()
    assert stats["hits"] > 0 and stats["invalidations"] >= len(writes)


def _stampede(redis_url: str, sync_url: str, async_url: str, start_at: float, out: Any) -> None:
    vermilion.configure(url=redis_url)
    _slow_database(0)
    queries = [0]

    async def main() -> list[int]:
        eng = create_async_engine(async_url, pool_size=50, max_overflow=0) \
            if "postgresql" in async_url else create_async_engine(async_url)

        @event.listens_for(eng.sync_engine, "before_cursor_execute")
        def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            if statement.lstrip().upper().startswith("SELECT") and "items" in statement:
                queries[0] += 1
                time.sleep(0.2)  # a slow query: every other caller arrives while it runs

        factory = async_sessionmaker(eng, expire_on_commit=False)
        items = crud_module.AsyncCRUD(Item, ItemOut, key="item:{id}", ttl=60)

        async def one() -> int:
            async with factory() as s:
                return (await items.get(s, id=1)).version

        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        got = await asyncio.gather(*[one() for _ in range(50)])
        await eng.dispose()
        return got

    versions = asyncio.run(main())
    out.put((queries[0], versions))


def test_stampede_runs_one_query(dbs: tuple[str, str], vermilion_server: Any) -> None:
    sync_url, async_url = dbs
    out = CTX.Queue()
    start_at = time.monotonic() + 1.5  # every process ready before the first call
    procs = [CTX.Process(target=_stampede,
                         args=(vermilion_server.url, sync_url, async_url, start_at, out))
             for _ in range(4)]
    results = run_all(procs, out)
    assert sum(q for q, _ in results) == 1
    assert all(v == [0] * 50 for _, v in results)
