"""``vermilion.cache.CRUD`` / ``vermilion.aio.cache.CRUD`` on SQLite and a private PostgreSQL:
reads, writes in the caller's transaction, invalidation after commit (never after a rollback),
writes through plain ORM sessions, keys that cover the whole query, round trips, bad input."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import Boolean, DateTime, ForeignKey, String, create_engine, func, select, text, update
from sqlalchemy.exc import InvalidRequestError, MultipleResultsFound, NoResultFound
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedAsDataclass, Session, mapped_column

from vermilion.cache import MissingKeyArgument
from vermilion.cache.crud import CRUD, AsyncCRUD
from vermilion.cache.testing import reset_cache_state


class Base(DeclarativeBase):
    pass


class Person(Base):
    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    org: Mapped[str] = mapped_column(String(50), default="acme")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Pet(Base):  # a second table: writes to it must not touch people's entries
    __tablename__ = "pets"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    name: Mapped[str] = mapped_column(String(50))


class PersonOut(BaseModel):
    model_config = {"from_attributes": True}
    id: int
    email: str
    name: str
    org: str
    is_active: bool


class DCBase(MappedAsDataclass, DeclarativeBase):
    pass


class Account(DCBase):  # the seed's shape: the dataclass constructor requires id and timestamps
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


@pytest.fixture(autouse=True)
def _fresh_stores() -> Iterator[None]:
    reset_cache_state()
    yield
    reset_cache_state()


SYNC_DBS = ["sqlite", "postgresql+psycopg"]
ASYNC_DBS = ["sqlite+aiosqlite", "postgresql+asyncpg"]


def _url(kind: str, request: Any, tmp: str) -> str:
    if kind.startswith("sqlite"):
        return f"{kind}:///{tmp}/db.sqlite"
    pg = request.getfixturevalue("postgres")
    return pg.url(kind.split("+")[1])


@pytest.fixture(params=SYNC_DBS)
def engine(request: Any, r: Any) -> Iterator[Any]:
    with tempfile.TemporaryDirectory() as tmp:
        eng = create_engine(_url(request.param, request, tmp))
        Base.metadata.drop_all(eng)
        DCBase.metadata.drop_all(eng)
        Base.metadata.create_all(eng)
        DCBase.metadata.create_all(eng)
        yield eng
        eng.dispose()


@pytest.fixture(params=ASYNC_DBS)
async def aengine(request: Any, ar: Any) -> AsyncIterator[Any]:
    with tempfile.TemporaryDirectory() as tmp:
        eng = create_async_engine(_url(request.param, request, tmp))
        async with eng.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
            await conn.run_sync(Base.metadata.create_all)
        yield eng
        await eng.dispose()


def seed(engine: Any, n: int = 6) -> None:
    with Session(engine) as s:
        for i in range(n):  # one by one: ids 1..n in order
            s.flush()
            s.add(Person(email=f"p{i}@x", name=f"P{i}", org="acme" if i % 2 else "initech",
                         is_active=i % 3 != 0))
        s.commit()


def people(engine: Any) -> CRUD[Person, PersonOut]:
    return CRUD(Person, PersonOut, key="person:email:{email}", ttl=60)


# -- reads -----------------------------------------------------------------------------------

def test_get_hit_is_one_round_trip_and_miss_a_query_plus_two(engine: Any, r: Any) -> None:
    seed(engine)
    crud = people(engine)
    with Session(engine) as s:
        crud.get(s, email="p5@x")  # scripts load
        crud.invalidate(email="p5@x")
        r.round_trips.reset()
        assert crud.get(s, email="p5@x").name == "P5"
        assert r.round_trips.count == 2
        r.round_trips.reset()
        assert crud.get(s, email="p5@x") == PersonOut(id=6, email="p5@x", name="P5", org="acme",
                                                       is_active=True)
        assert r.round_trips.count == 1
    assert crud.stats()["hits"] == 1


def test_not_found_is_cached_negatively_and_raises(engine: Any, r: Any) -> None:
    crud = people(engine)
    with Session(engine) as s:
        for _ in range(2):
            with pytest.raises(NoResultFound):
                crud.get(s, email="nobody@x")
        assert crud.stats()["negative_hits"] == 1
        s.add(Person(email="nobody@x", name="Now"))  # a plain ORM insert
        s.commit()
        assert crud.get(s, email="nobody@x").name == "Now"


def test_several_rows_raise_and_are_not_cached(engine: Any) -> None:
    seed(engine)
    crud = CRUD(Person, PersonOut, ttl=60)
    with Session(engine) as s:
        with pytest.raises(MultipleResultsFound):
            crud.get(s, org="acme")
        assert crud.stats()["fills"] == 0
        assert crud.get(s, org="acme", name="P1").id == 2


def test_a_lookup_by_non_unique_columns_sees_a_new_matching_row(engine: Any) -> None:
    seed(engine, 2)
    crud = CRUD(Person, PersonOut, ttl=60)
    with Session(engine) as s:
        assert crud.get(s, org="initech").id == 1
        s.add(Person(email="new@x", name="N", org="initech"))
        s.commit()
        with pytest.raises(MultipleResultsFound):
            crud.get(s, org="initech")


def test_list_keys_cover_filters_ordering_and_page(engine: Any) -> None:
    seed(engine)
    crud = CRUD(Person, PersonOut, list_key="people:page:{page}:limit:{limit}", ttl=60)
    with Session(engine) as s:
        active = crud.get_multi(s, limit=10, is_active=True)
        inactive = crud.get_multi(s, limit=10, is_active=False)
        assert {p.is_active for p in active} == {True} and {p.is_active for p in inactive} == {False}
        assert len(active) + len(inactive) == 6
        up = crud.get_multi(s, limit=3, order_by="name")
        down = crud.get_multi(s, limit=3, order_by="name", ascending=False)
        assert [p.name for p in up] == ["P0", "P1", "P2"]
        assert [p.name for p in down] == ["P5", "P4", "P3"]
        assert [p.name for p in crud.get_multi(s, limit=3, page=2, order_by="name")] == ["P3", "P4", "P5"]
        assert crud.get_multi(s, limit=3, page=3, order_by="name") == []
        assert crud.get_multi(s, limit=10, is_active=True) == active  # a hit, the same rows
        assert crud.stats()["hits"] == 1


def test_page_reports_the_real_total(engine: Any) -> None:
    seed(engine)
    crud = people(engine)
    with Session(engine) as s:
        page = crud.page(s, limit=4, page=2, order_by="id")
        assert page.total == 6 and [p.id for p in page.data] == [5, 6] and page.pages == 2
        assert crud.page(s, limit=4, page=1, order_by="id", org="acme").total == 3
        assert crud.count(s) == 6 and crud.count(s, org="acme") == 3 and crud.count(s) == 6
        with Session(engine) as w, w.begin():
            w.add(Person(email="more@x", name="M"))
        assert crud.count(s) == 7 and crud.page(s, limit=4, page=2, order_by="id").total == 7


def test_bad_input(engine: Any, r: Any) -> None:
    crud = people(engine)
    with Session(engine) as s:
        r.round_trips.reset()
        with pytest.raises(MissingKeyArgument, match="email"):
            crud.get(s, name="x")
        with pytest.raises(InvalidRequestError):  # SQLAlchemy's own error for an unknown column
            crud.get(s, email="a@x", colour="red")
        with pytest.raises(InvalidRequestError):
            crud.get_multi(s, order_by="colour")
        with pytest.raises(InvalidRequestError):
            crud.count(s, colour="red")
        with pytest.raises(ValueError, match="limit"):
            crud.get_multi(s, limit=0)
        with pytest.raises(TypeError, match="page"):
            crud.get_multi(s, page="2")  # type: ignore[arg-type]
        assert r.round_trips.count == 0  # refused before any round trip, nothing cached
    with pytest.raises(ValueError, match="not columns"):
        CRUD(Person, PersonOut, key="person:{colour}")
    with pytest.raises(TypeError, match="mapped class"):
        CRUD(PersonOut, PersonOut)  # type: ignore[type-var]


# -- writes ----------------------------------------------------------------------------------

def test_writes_join_the_callers_transaction_and_invalidate_after_commit(engine: Any) -> None:
    seed(engine)
    crud = people(engine)
    with Session(engine) as reader:
        assert crud.get(reader, email="p1@x").name == "P1"
        assert crud.count(reader) == 6
        with Session(engine) as s:
            with s.begin():
                assert crud.update(s, {"name": "Renamed"}, email="p1@x").name == "Renamed"
                created = crud.create(s, PersonOut(id=99, email="c@x", name="C", org="o",
                                                    is_active=True))
                assert created.id == 99
                # not committed yet: other readers still get the committed row from the cache
                assert crud.get(reader, email="p1@x").name == "P1"
                # this session sees its own writes (it reads the database, not the cache)
                assert crud.get(s, email="p1@x").name == "Renamed" and crud.count(s) == 7
            # committed: the cache follows
            assert crud.get(reader, email="p1@x").name == "Renamed"
            assert crud.count(reader) == 7
            with s.begin():
                assert crud.delete(s, email="c@x") == 1
                assert crud.delete(s, email="c@x") == 0
            with pytest.raises(NoResultFound):
                crud.get(reader, email="c@x")


def test_a_rollback_invalidates_nothing(engine: Any, r: Any) -> None:
    seed(engine)
    crud = people(engine)
    with Session(engine) as s:
        crud.get(s, email="p2@x")
        s.commit()  # the read began a transaction (SQLAlchemy's autobegin)
        seq = r.get("vm:cache:{sql:people}:seq")
        with pytest.raises(RuntimeError), s.begin():
            crud.update(s, {"name": "Never"}, email="p2@x")
            raise RuntimeError("abort")
        assert r.get("vm:cache:{sql:people}:seq") == seq
        assert crud.get(s, email="p2@x").name == "P2"
        assert crud.stats()["hits"] == 1


def test_update_refuses_ambiguity_and_absence(engine: Any) -> None:
    seed(engine)
    crud = people(engine)
    with Session(engine) as s:
        with pytest.raises(NoResultFound), s.begin():
            crud.update(s, {"name": "x"}, email="none@x")
        with pytest.raises(MultipleResultsFound), s.begin():
            crud.update(s, {"name": "x"}, org="acme")
        assert crud.count(s, name="x") == 0  # rolled back with the caller's transaction
        s.commit()
        with s.begin():
            assert len(crud.update_many(s, {"org": "globex"}, org="acme")) == 3
        assert crud.count(s, org="globex") == 3
        assert crud.update(s, {}, email="p0@x").name == "P0"  # nothing to set: the row as it is


def test_plain_orm_writes_invalidate_their_rows(engine: Any) -> None:
    seed(engine)
    crud = people(engine)
    with Session(engine) as reader:
        before = crud.get(reader, email="p3@x")
        untouched = crud.get(reader, email="p4@x")
        with Session(engine) as s:
            p = s.get(Person, before.id)
            assert p is not None
            p.name = "ORM"
            s.add(Pet(owner_id=1, name="Rex"))  # another table's write
            s.commit()
        assert crud.get(reader, email="p3@x").name == "ORM"
        assert crud.get(reader, email="p4@x") == untouched
        assert crud.stats()["hits"] >= 1  # p4's entry survived: only p3's row was invalidated
        with Session(engine) as s:
            s.delete(s.get(Person, before.id))
            s.commit()
        with pytest.raises(NoResultFound):
            crud.get(reader, email="p3@x")


def test_email_change_through_the_orm_frees_the_old_key(engine: Any) -> None:
    seed(engine)
    crud = people(engine)
    with Session(engine) as reader:
        assert crud.get(reader, email="p2@x").id == 3
        with Session(engine) as s:
            p = s.get(Person, 3)
            assert p is not None
            p.email = "moved@x"
            s.commit()
        with pytest.raises(NoResultFound):
            crud.get(reader, email="p2@x")
        assert crud.get(reader, email="moved@x").id == 3


def test_bulk_and_textual_writes_through_the_session_invalidate(engine: Any) -> None:
    seed(engine)
    crud = people(engine)
    with Session(engine) as reader:
        assert crud.get(reader, email="p1@x").org == "acme"
        with Session(engine) as s:
            s.execute(update(Person).where(Person.org == "acme").values(org="bulk"))
            s.commit()
        assert crud.get(reader, email="p1@x").org == "bulk"
        with Session(engine) as s:
            s.execute(text("UPDATE people SET name = 'SQL' WHERE id = 2"))
            s.commit()
        assert crud.get(reader, email="p1@x").name == "SQL"
        with Session(engine) as s:
            s.execute(select(Person)).all()  # a read invalidates nothing
            s.commit()
        assert crud.get(reader, email="p1@x").name == "SQL"


def test_invalidation_of_a_commit_is_one_round_trip(engine: Any, r: Any) -> None:
    seed(engine)
    crud = people(engine)
    with Session(engine) as s:
        crud.get(s, email="p1@x")
        s.commit()
        with s.begin():
            crud.update(s, {"name": "A"}, email="p1@x")
        with s.begin():
            crud.update(s, {"name": "B"}, email="p1@x")
            r.round_trips.reset()
        assert r.round_trips.count == 1  # the commit's invalidation


def test_create_with_a_dataclass_model_that_requires_id_and_timestamps(engine: Any) -> None:
    accounts = CRUD(Account, key="account:{email}", ttl=60)
    with Session(engine) as s:
        with s.begin():
            made = accounts.create(s, {"email": "dc@x"})
        assert made.id >= 1 and made.created_at is not None
        got = accounts.get(s, email="dc@x")
        assert got.id == made.id and accounts.get(s, email="dc@x") == got


# -- asyncio ---------------------------------------------------------------------------------

async def test_async_crud(aengine: Any, ar: Any) -> None:
    crud: AsyncCRUD[Person, PersonOut] = AsyncCRUD(Person, PersonOut, key="person:email:{email}",
                                                   ttl=60)
    factory = async_sessionmaker(aengine, expire_on_commit=False)
    async with factory() as s:
        async with s.begin():
            made = await crud.create_multi(s, [{"email": f"a{i}@x", "name": f"A{i}"} for i in range(5)])
            assert len(made) == 5
    async with factory() as s:
        assert (await crud.get(s, email="a1@x")).name == "A1"
        ar.round_trips.reset()
        assert (await crud.get(s, email="a1@x")).name == "A1"
        assert ar.round_trips.count == 1
        assert await crud.count(s) == 5
        page = await crud.page(s, limit=2, page=3, order_by="id")
        assert page.total == 5 and len(page.data) == 1
        async with factory() as w:
            async with w.begin():
                await crud.update(w, {"name": "Z"}, email="a1@x")
                await crud.delete(w, email="a2@x")
        assert (await crud.get(s, email="a1@x")).name == "Z"
        assert await crud.count(s) == 4
        with pytest.raises(NoResultFound):
            await crud.get(s, email="a2@x")
        async with factory() as w:  # a plain ORM write through an AsyncSession
            p = (await w.execute(select(Person).filter_by(email="a3@x"))).scalar_one()
            p.name = "ORM"
            await w.commit()
        assert (await crud.get(s, email="a3@x")).name == "ORM"
        stats = await crud.stats()
        assert stats["invalidations"] >= 2 and stats["hits"] >= 1


async def test_async_rollback_invalidates_nothing(aengine: Any, ar: Any) -> None:
    crud: AsyncCRUD[Person, PersonOut] = AsyncCRUD(Person, PersonOut, ttl=60)
    factory = async_sessionmaker(aengine, expire_on_commit=False)
    async with factory() as s, s.begin():
        await crud.create(s, {"email": "r@x", "name": "R"})
    async with factory() as s:
        assert (await crud.get(s, email="r@x")).name == "R"
        await s.commit()
        with pytest.raises(RuntimeError):
            async with s.begin():
                await crud.update(s, {"name": "Never"}, email="r@x")
                raise RuntimeError("abort")
        assert (await crud.get(s, email="r@x")).name == "R"
        assert (await crud.stats())["hits"] == 1


# -- Redis Cluster, Redis down ---------------------------------------------------------------

@pytest.mark.cluster
def test_crud_on_a_cluster(rc: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        eng = create_engine(f"sqlite:///{tmp}/c.sqlite")
        Base.metadata.create_all(eng)
        seed(eng)
        crud = CRUD(Person, PersonOut, key="person:email:{email}", ttl=60, client=rc)
        with Session(eng) as s:
            assert crud.get(s, email="p1@x").name == "P1"
            assert crud.get(s, email="p1@x").name == "P1"
            assert crud.count(s, org="acme") == 3
            s.commit()
            with s.begin():
                crud.update(s, {"name": "C"}, email="p1@x")
            assert crud.get(s, email="p1@x").name == "C"
            assert crud.stats()["hits"] == 1
        keys = [k for k in rc.keys("vm:cache:*")]
        assert keys and len({rc.keyslot(k) for k in keys}) == 1  # one namespace, one slot
        eng.dispose()


def test_crud_answers_from_the_database_when_redis_is_down(engine: Any) -> None:
    import redis

    from vermilion.cache import CacheBypassWarning
    from vermilion.server import EmbeddedServer

    seed(engine)
    down = EmbeddedServer()
    client = redis.Redis.from_url(down.url, socket_connect_timeout=0.2)
    down.stop()
    crud = CRUD(Person, PersonOut, key="person:email:{email}", ttl=60, client=client)
    with Session(engine) as s:
        with pytest.warns(CacheBypassWarning):
            assert crud.get(s, email="p1@x").name == "P1"
        assert crud.get_multi(s, limit=2, order_by="id")[1].id == 2  # within retry_after
        s.commit()
        with pytest.warns(CacheBypassWarning):  # the commit's invalidation cannot be sent
            with s.begin():
                crud.update(s, {"name": "Down"}, email="p1@x")
        assert crud.get(s, email="p1@x").name == "Down"
    assert crud.store(client)._pending  # sent with the next call once Redis is back


# -- keys and tags holding the escape character ----------------------------------------------

def test_keys_and_rows_with_percent_signs_are_invalidated(engine: Any) -> None:
    crud = people(engine)
    with Session(engine) as s:
        with s.begin():
            crud.create(s, {"email": "50%off@x", "name": "old"})
            crud.create(s, {"email": "line\nbreak\x1f@x", "name": "old"})
        for email in ("50%off@x", "line\nbreak\x1f@x"):
            assert crud.get(s, email=email).name == "old"
            s.execute(text("UPDATE people SET name = 'new' WHERE email = :e"), {"e": email})
            s.commit()  # textual SQL: the table's entries are invalidated at commit
            assert crud.get(s, email=email).name == "new"
            with Session(engine) as raw:  # a write the session events cannot see ...
                raw.connection().exec_driver_sql(
                    "UPDATE people SET name = 'newer' WHERE email = ?" if engine.dialect.name ==
                    "sqlite" else "UPDATE people SET name = 'newer' WHERE email = %s", (email,))
                raw.commit()
            assert crud.get(s, email=email).name == "new"  # ... until it is invalidated by hand
            assert crud.invalidate(email=email) is True
            assert crud.get(s, email=email).name == "newer"


class Coupon(Base):
    __tablename__ = "coupons"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


async def test_a_sync_commit_reaches_an_asyncio_cache(ar: Any, tmp_path: Any) -> None:
    """A sync Session's commit of rows an asyncio-only cache holds: the tags wait in the store
    and go with its next call (escaped like every other tag)."""
    url = f"{tmp_path}/coupons.sqlite"
    eng = create_engine(f"sqlite:///{url}")
    Base.metadata.create_all(eng)
    aeng = create_async_engine(f"sqlite+aiosqlite:///{url}")
    crud: AsyncCRUD[Coupon, Any] = AsyncCRUD(Coupon, ttl=60)
    with Session(eng) as s, s.begin():
        s.add_all([Coupon(code="TEN", name="old"), Coupon(code="50%OFF", name="old")])
    factory = async_sessionmaker(aeng, expire_on_commit=False)
    async with factory() as a:
        assert [(await crud.get(a, code=c)).name for c in ("TEN", "50%OFF")] == ["old", "old"]
        with Session(eng) as s:
            for c in ("TEN", "50%OFF"):
                coupon = s.get(Coupon, c)
                assert coupon is not None
                coupon.name = "new"
            s.commit()
        assert [(await crud.get(a, code=c)).name for c in ("TEN", "50%OFF")] == ["new", "new"]
    await aeng.dispose()
    eng.dispose()


def test_a_failing_invalidation_never_fails_the_commit(engine: Any, r: Any) -> None:
    """The database committed: an error sending the invalidation (here another program's data
    at the namespace's sequence key) is a warning and the tags wait for the next call."""
    from vermilion.cache import CacheBypassWarning

    seed(engine, 2)
    crud = people(engine)
    r.hset("vm:cache:{sql:people}:seq", "not", "a number")
    with Session(engine) as s:
        with pytest.warns(CacheBypassWarning, match="after the commit failed"):
            with s.begin():
                crud.update(s, {"name": "Committed"}, email="p1@x")
        assert s.execute(select(Person.name).filter_by(email="p1@x")).scalar_one() == "Committed"
    assert crud.store()._pending


async def test_fastrdb_helpers(aengine: Any, ar: Any) -> None:
    """FastRDB's public helpers: ``get_redis_data`` (the cached JSON, or None: never computes)
    and ``invalidate_cache`` (every entry of the table, no SCAN)."""
    from vermilion.cache import FastRDB

    crud = FastRDB[Person, PersonOut, PersonOut, PersonOut](
        Person, PersonOut, pattern="person:email:{email}", list_pattern="people:{page}:{limit}",
        exp=60, invalidate_pattern_prefix="person:*")
    factory = async_sessionmaker(aengine, expire_on_commit=False)
    async with factory() as db:
        made = await crud.create(db=db, redis=ar, obj_in=PersonOut(
            id=1, email="f@x", name="F", org="o", is_active=True), email="f@x")
        assert await crud.get_redis_data(ar, email="f@x") is None  # nothing cached yet
        assert await crud.get(db=db, redis=ar, email="f@x") == made
        raw = await crud.get_redis_data(ar, email="f@x")
        assert raw is not None and PersonOut.model_validate_json(raw) == made
        page = await crud.get_multi(db=db, redis=ar, limit=5, page=1)
        assert crud.paginate(data=page, limit=5, page=1).total == 1
        assert await crud.get_redis_data(ar, return_multi=True, limit=5, page=1) is not None
        await crud.invalidate_cache(ar)
        assert await crud.get_redis_data(ar, email="f@x") is None
        assert await crud.get_redis_data(ar, return_multi=True, limit=5, page=1) is None
        assert await crud.count(db) == 1  # FastRDB's count takes no client: the last one used


def test_a_savepoint_rollback_keeps_the_outer_transactions_invalidations(engine: Any) -> None:
    seed(engine, 2)
    crud = people(engine)
    with Session(engine) as reader:
        assert crud.get(reader, email="p1@x").name == "P1"
        with Session(engine) as s, s.begin():
            crud.update(s, {"name": "outer"}, email="p1@x")
            with pytest.raises(RuntimeError), s.begin_nested():
                crud.update(s, {"name": "savepoint"}, email="p1@x")
                raise RuntimeError("roll the savepoint back")
        assert crud.get(reader, email="p1@x").name == "outer"


def test_upserts_and_data_modifying_ctes_through_the_session_invalidate(engine: Any) -> None:
    seed(engine, 2)
    crud = people(engine)
    if engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    with Session(engine) as reader:
        assert crud.get(reader, email="p1@x").name == "P1"
        with Session(engine) as s:
            upsert = dialect_insert(Person).values(email="p1@x", name="upserted", org="o")
            s.execute(upsert.on_conflict_do_update(index_elements=["email"],
                                                   set_={"name": "upserted"}))
            s.commit()
        assert crud.get(reader, email="p1@x").name == "upserted"
        with Session(engine) as s:
            s.execute(text("WITH chosen AS (SELECT id FROM people WHERE email = 'p1@x') "
                           "UPDATE people SET name = 'cte' WHERE id IN (SELECT id FROM chosen)"))
            s.commit()
        assert crud.get(reader, email="p1@x").name == "cte"
