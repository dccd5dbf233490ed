"""SQLAlchemy's asyncio API on ``sqlite+vermilion_async://`` (AsyncSession, relationships
loaded with selectinload, savepoints, RETURNING, streaming, concurrent tasks), and the
aiosqlite-shaped :mod:`vermilion.sql.aio_dbapi` under it.

Every Redis here is the private server of the ``r`` fixture.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from typing import Any

import apsw
import pytest
from sqlalchemy import ForeignKey, String, exc, func, insert, select, text, update
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload
from sqlalchemy.pool import AsyncAdaptedQueuePool

from vermilion.sql import aio_dbapi
from vermilion.sql import open as open_db
from vermilion.sql.alchemy import VermilionAsyncDialect


class Base(DeclarativeBase):
    pass


class Team(Base):
    __tablename__ = "team"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    players: Mapped[list[Player]] = relationship(back_populates="team", order_by="Player.id")


class Player(Base):
    __tablename__ = "player"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    score: Mapped[int] = mapped_column(default=0)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    team: Mapped[Team] = relationship(back_populates="players")


def _workers() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("vermilion-aio-dbapi")]


@pytest.fixture
async def engine(r: Any, vermilion_server: Any) -> AsyncIterator[Any]:
    eng = create_async_engine(f"sqlite+vermilion_async:///league?redis={vermilion_server.url}")
    async with eng.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield eng
    await eng.dispose()


async def test_the_async_dialect_pool_and_version(engine: Any) -> None:
    assert isinstance(engine.dialect, VermilionAsyncDialect)
    assert engine.dialect.driver == "vermilion_async" and engine.dialect.is_async
    assert isinstance(engine.pool, AsyncAdaptedQueuePool)
    async with engine.connect() as conn:
        assert await conn.get_isolation_level() == "SERIALIZABLE"
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, aio_dbapi.Connection)
    version = tuple(int(p) for p in apsw.sqlite_lib_version().split("."))
    assert engine.dialect.server_version_info == version
    assert engine.dialect.insert_returning


async def test_async_session_relationships_savepoints_and_returning(engine: Any) -> None:
    Session = async_sessionmaker(engine, expire_on_commit=False)
    async with Session() as s:
        s.add_all([Team(name="red", players=[Player(name="ann"), Player(name="bob")]),
                   Team(name="blue", players=[Player(name="cy")])])
        await s.commit()
    async with Session() as s:
        teams = (await s.scalars(select(Team).options(selectinload(Team.players))
                                 .order_by(Team.name))).all()
        assert [(t.name, [p.name for p in t.players]) for t in teams] == [
            ("blue", ["cy"]), ("red", ["ann", "bob"])]
        red = teams[1]
        red_id = red.id  # a rolled-back savepoint expires red: no lazy loads under asyncio
        async with s.begin_nested():
            s.add(Player(name="dee", team=red))
        with pytest.raises(exc.IntegrityError):
            async with s.begin_nested():
                s.add(Team(name="red"))
        try:
            async with s.begin_nested():
                s.add(Player(name="gone", team=red))
                await s.flush()
                raise RuntimeError
        except RuntimeError:
            pass
        await s.commit()
        names = (await s.scalars(select(Player.name).order_by(Player.id))).all()
        assert names == ["ann", "bob", "cy", "dee"]
        scores = (await s.execute(update(Player).where(Player.team_id == red_id)
                                  .values(score=Player.score + 10)
                                  .returning(Player.name, Player.score))).all()
        assert sorted(scores) == [("ann", 10), ("bob", 10), ("dee", 10)]
        new_ids = (await s.scalars(insert(Player).returning(Player.id, sort_by_parameter_order=True),
                                   [{"name": f"p{i}", "team_id": red_id} for i in range(3)])).all()
        assert len(new_ids) == 3 and new_ids == sorted(new_ids)
        await s.commit()
    assert open_db("league").query("SELECT count(*), sum(score) FROM player") == [(7, 30)]


async def test_concurrent_tasks_increment_without_losing_updates(engine: Any) -> None:
    """8 tasks, each with its own AsyncSession (so its own connection and worker thread), do
    read-modify-write increments; BEGIN IMMEDIATE makes them serializable."""
    Session = async_sessionmaker(engine)
    async with Session() as s:
        s.add(Team(id=1, name="t", players=[Player(id=1, name="x")]))
        await s.commit()
    per_task = 8

    async def task() -> None:
        for _ in range(per_task):
            async with Session() as s:
                p = await s.get(Player, 1)
                assert p is not None
                p.score += 1
                await s.commit()

    await asyncio.gather(*(task() for _ in range(8)))
    async with Session() as s:
        assert (await s.get(Player, 1)).score == 8 * per_task  # type: ignore[union-attr]


async def test_streaming_and_core(engine: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(Team), [{"name": f"t{i:03}"} for i in range(200)])
    async with engine.connect() as conn:
        result = await conn.stream(select(Team.name).order_by(Team.name))  # server-side cursor
        seen = [row.name async for row in result]
        assert seen == [f"t{i:03}" for i in range(200)]
        assert await conn.scalar(select(func.count()).select_from(Team)) == 200
        assert await conn.scalar(text("SELECT regexp('^t0', 't012')")) == 1  # the dialect's function


async def test_dispose_ends_the_worker_threads(r: Any, vermilion_server: Any) -> None:
    before = len(_workers())
    # two transactions open at once: readers (DEFERRED), else the second would wait for the first
    eng = create_async_engine(f"sqlite+vermilion_async:///league?redis={vermilion_server.url}",
                              begin="DEFERRED")
    async with eng.connect() as a, eng.connect() as b:
        await a.execute(text("SELECT 1"))
        await b.execute(text("SELECT 1"))
        assert len(_workers()) == before + 2  # one per connection
    await eng.dispose()
    for _ in range(200):
        if len(_workers()) == before:
            break
        await asyncio.sleep(0.01)
    assert len(_workers()) == before


# -- aio_dbapi itself ------------------------------------------------------------------------
async def test_aio_dbapi_as_aiosqlite(r: Any) -> None:
    async with aio_dbapi.connect("plain", create=True) as conn:
        await conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
        cur = await conn.executemany("INSERT INTO t(v) VALUES (?)", [(str(i),) for i in range(5)])
        assert cur.rowcount == 5 and conn.in_transaction
        await conn.commit()
        assert not conn.in_transaction
        async with conn.execute("SELECT v FROM t ORDER BY id") as cur:
            assert cur.description[0][0] == "v"
            assert [row async for row in cur] == [(str(i),) for i in range(5)]
        async with conn.cursor() as cur:
            await cur.execute("SELECT v FROM t WHERE id > ?", (3,))
            assert await cur.fetchmany(1) == [("3",)]
            assert await cur.fetchall() == [("4",)]
        await conn.execute("INSERT INTO t(v) VALUES ('x')")
        await conn.rollback()
        assert await conn.execute_fetchall("SELECT count(*) FROM t") == [(5,)]
        await conn.create_function("twice", 1, lambda v: v * 2, deterministic=True)
        assert await conn.execute_fetchall("SELECT twice(v) FROM t WHERE id = 2") == [("11",)]
        with pytest.raises(sqlite3.IntegrityError):
            await conn.execute("INSERT INTO t(id, v) VALUES (1, 'dup')")
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await conn.execute("SELECT * FROM nope")
        await conn.set_isolation_level(None)
        assert conn.isolation_level is None
    assert conn.closed
    with pytest.raises(ValueError, match="no active connection"):
        await conn.execute("SELECT 1")
    await conn.close()  # twice is fine
    with pytest.raises(sqlite3.OperationalError):  # a missing database, create=False
        await aio_dbapi.connect("missing", create=False)


async def test_aio_dbapi_stop_rolls_back_without_waiting(r: Any) -> None:
    conn = await aio_dbapi.connect("stopped", create=True)
    await conn.execute("CREATE TABLE t(v)")
    await conn.execute("INSERT INTO t VALUES (1)")  # a pending transaction, never committed
    conn.stop()
    assert conn.closed
    async with aio_dbapi.connect("stopped") as other:  # the writer lease was released
        await other.execute("INSERT INTO t VALUES (2)")
        await other.commit()
        assert await other.execute_fetchall("SELECT v FROM t") == [(2,)]
