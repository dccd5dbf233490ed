"""SQLAlchemy on ``sqlite+vermilion://`` as an application uses it: the ORM (relationships,
savepoints, RETURNING, JSON), Core, reflection, the pool from several threads, and a
differential test against a stdlib SQLite file.

Every Redis here is the private server of the ``r`` fixture (vermilion is configured on it).
"""

from __future__ import annotations

import datetime
import decimal
import threading
from collections.abc import Iterator
from typing import Any, cast

import apsw
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    create_engine,
    delete,
    event,
    exc,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import URL, CursorResult
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    joinedload,
    mapped_column,
    relationship,
    selectinload,
)
from sqlalchemy.pool import QueuePool, SingletonThreadPool

from vermilion.core.config import client_from_url
from vermilion.sql import dbapi
from vermilion.sql import open as open_db
from vermilion.sql.alchemy import VermilionDialect


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "author"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    profile: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    books: Mapped[list[Book]] = relationship(back_populates="author", cascade="all, delete-orphan",
                                             order_by="Book.id")


class Book(Base):
    __tablename__ = "book"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id"))
    author: Mapped[Author] = relationship(back_populates="books")
    price: Mapped[decimal.Decimal | None] = mapped_column(Numeric(10, 2))
    published: Mapped[datetime.date | None]
    added: Mapped[datetime.datetime | None]
    cover: Mapped[bytes | None] = mapped_column(LargeBinary)
    in_print: Mapped[bool] = mapped_column(default=True)


class Counter(Base):
    __tablename__ = "counter"
    id: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(default=0)


@pytest.fixture
def url(r: Any, vermilion_server: Any) -> str:
    return f"sqlite+vermilion:///library?redis={vermilion_server.url}"


@pytest.fixture
def engine(url: str) -> Iterator[Any]:
    eng = create_engine(url)
    Base.metadata.create_all(eng)
    yield eng
    eng.dispose()


def _library(session: Session) -> None:
    session.add_all([
        Author(name="Le Guin", profile={"born": 1929, "tags": ["sf", "fantasy"]}, books=[
            Book(title="The Dispossessed", price=decimal.Decimal("9.99"),
                 published=datetime.date(1974, 5, 1),
                 added=datetime.datetime(2024, 1, 2, 3, 4, 5, 6), cover=b"\x00\xff"),
            Book(title="Earthsea", in_print=False)]),
        Author(name="Calvino", profile={"born": 1923, "tags": []},
               books=[Book(title="Invisible Cities")]),
    ])
    session.commit()


# -- the dialect and its settings ------------------------------------------------------------
def test_the_entry_point_gives_the_dialect_with_pool_threading_and_version(engine: Any) -> None:
    assert isinstance(engine.dialect, VermilionDialect)
    assert engine.dialect.driver == "vermilion" and engine.dialect.name == "sqlite"
    assert engine.dialect.dbapi is dbapi
    assert isinstance(engine.pool, QueuePool)  # not SingletonThreadPool: connections are shared
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, dbapi.Connection)
        assert conn.get_isolation_level() == "SERIALIZABLE"
        version = tuple(int(p) for p in apsw.sqlite_lib_version().split("."))
        assert engine.dialect.server_version_info == version  # apsw's SQLite, not the stdlib's
        assert conn.scalar(text("SELECT sqlite_version()")) == apsw.sqlite_lib_version()
    assert engine.dialect.insert_returning and engine.dialect.update_returning
    assert engine.dialect.supports_statement_cache


def test_a_connection_moves_between_threads_through_the_pool(engine: Any) -> None:
    """The default check_same_thread=False: a connection a thread returned serves another."""
    seen: list[Any] = []

    def use() -> None:
        with engine.connect() as conn:
            seen.append(conn.connection.dbapi_connection)
            conn.execute(text("SELECT 1"))

    for _ in range(3):
        t = threading.Thread(target=use)
        t.start()
        t.join()
    assert len(set(map(id, seen))) == 1  # the one pooled connection, used by three threads


def test_the_redis_server_comes_from_the_url_connect_args_or_the_configuration(
        r: Any, vermilion_server: Any) -> None:
    for eng in (create_engine(f"sqlite+vermilion:///where?redis={vermilion_server.url}"),
                create_engine("sqlite+vermilion:///where",
                              connect_args={"client": client_from_url(vermilion_server.url)}),
                create_engine("sqlite+vermilion:///where"),  # vermilion.configure (the fixture)
                # a Redis URL holding "&" (or a password with "@"...): URL.create quotes it
                create_engine(URL.create("sqlite+vermilion", database="where", query={
                    "redis": f"{vermilion_server.url}&health_check_interval=30"}))):
        with eng.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS t(v)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        eng.dispose()
    assert open_db("where", client=r).query("SELECT count(*) FROM t") == [(4,)]


def test_bad_urls_and_options_are_refused(r: Any, vermilion_server: Any) -> None:
    with pytest.raises(exc.ArgumentError, match="redis="):
        create_engine("sqlite+vermilion://localhost:6379/HN").connect()
    with pytest.raises(exc.ArgumentError, match="Unknown query argument.*rdis"):
        create_engine(f"sqlite+vermilion:///HN?rdis={vermilion_server.url}").connect()
    with pytest.raises(exc.ArgumentError, match="begin must be one of"):
        create_engine("sqlite+vermilion:///HN", begin="LATER")
    with pytest.raises(exc.OperationalError):  # as sqlite3 on a missing file with mode=rw
        create_engine("sqlite+vermilion:///missing?create=false").connect()
    with pytest.raises(exc.OperationalError):
        create_engine("sqlite+vermilion:///file:missing?mode=rw&uri=true").connect()


def test_sqlite_uri_parameters_with_uri_true(r: Any) -> None:
    """As for pysqlite: with ``uri=true`` the other query arguments are SQLite's URI
    parameters (here a read-only connection)."""
    with create_engine("sqlite+vermilion:///shared").begin() as conn:
        conn.execute(text("CREATE TABLE t(v)"))
    ro = create_engine("sqlite+vermilion:///file:shared?mode=ro&uri=true")
    with ro.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM t")) == 0
        with pytest.raises(exc.OperationalError, match="readonly"):
            conn.execute(text("INSERT INTO t VALUES (1)"))
    ro.dispose()


def test_memory_urls_get_a_private_database_per_connection(r: Any) -> None:
    """``sqlite+vermilion://`` and ``:memory:`` behave as pysqlite's: one private database per
    connection, with SingletonThreadPool as SQLAlchemy picks for SQLite memory databases."""
    for url in ("sqlite+vermilion://", "sqlite+vermilion:///:memory:"):
        a, b = create_engine(url), create_engine(url)
        assert isinstance(a.pool, SingletonThreadPool)
        with a.begin() as conn:
            conn.execute(text("CREATE TABLE t(v)"))
        with b.connect() as conn, pytest.raises(exc.OperationalError, match="no such table"):
            conn.execute(text("SELECT * FROM t"))
        a.dispose()
        b.dispose()


# -- the ORM ---------------------------------------------------------------------------------
def test_orm_relationships_types_and_json(engine: Any) -> None:
    with Session(engine) as s:
        _library(s)
    with Session(engine) as s:
        le_guin = s.scalars(select(Author).options(selectinload(Author.books))
                            .where(Author.name == "Le Guin")).one()
        assert [b.title for b in le_guin.books] == ["The Dispossessed", "Earthsea"]
        book = le_guin.books[0]
        assert (book.price, book.published, book.added, book.cover, book.in_print) == (
            decimal.Decimal("9.99"), datetime.date(1974, 5, 1),
            datetime.datetime(2024, 1, 2, 3, 4, 5, 6), b"\x00\xff", True)
        assert le_guin.books[1].in_print is False
        assert le_guin.profile == {"born": 1929, "tags": ["sf", "fantasy"]}
        by_book = s.scalars(select(Book).options(joinedload(Book.author))
                            .where(Book.title == "Invisible Cities")).one()
        assert by_book.author.name == "Calvino"
        # JSON paths in SQL
        born = s.execute(select(Author.name).where(Author.profile["born"].as_integer() < 1925))
        assert born.scalars().all() == ["Calvino"]
        assert s.scalar(select(func.json_array_length(Author.profile["tags"]))
                        .where(Author.name == "Le Guin")) == 2
        # lazy loading, then a cascade delete
        calvino = s.scalars(select(Author).where(Author.name == "Calvino")).one()
        assert [b.title for b in calvino.books] == ["Invisible Cities"]
        s.delete(calvino)
        s.commit()
        assert s.scalar(select(func.count()).select_from(Book)) == 2
        le_guin.profile = {**le_guin.profile, "born": 1930}
        s.commit()
    with Session(engine) as s:
        assert s.scalars(select(Author.profile)).one()["born"] == 1930


def test_savepoints_commit_and_roll_back_inside_the_transaction(engine: Any) -> None:
    with Session(engine) as s:
        s.add(Author(name="outer"))
        with s.begin_nested():
            s.add(Author(name="kept"))
        try:
            with s.begin_nested():
                s.add(Author(name="dropped"))
                s.flush()
                with s.begin_nested():  # nested twice
                    s.add(Author(name="dropped too"))
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        with pytest.raises(exc.IntegrityError):  # the usual "try, and on a duplicate go on"
            with s.begin_nested():
                s.add(Author(name="kept"))
        assert sorted(s.scalars(select(Author.name))) == ["kept", "outer"]
        s.rollback()  # the whole transaction: the released savepoint goes too
        assert s.scalars(select(Author.name)).all() == []
        s.add(Author(name="outer"))
        with s.begin_nested():
            s.add(Author(name="kept"))
        s.commit()
    with Session(engine) as s:
        assert sorted(s.scalars(select(Author.name))) == ["kept", "outer"]


def test_returning_from_orm_and_core(engine: Any) -> None:
    with Session(engine) as s:
        ids = s.scalars(insert(Author).returning(Author.id, sort_by_parameter_order=True),
                        [{"name": f"a{i}"} for i in range(5)]).all()
        assert len(ids) == 5 and ids == sorted(ids)
        renamed = s.execute(update(Author).where(Author.id.in_(ids[:2]))
                            .values(name=Author.name + "!").returning(Author.name)).scalars()
        assert sorted(renamed) == ["a0!", "a1!"]
        gone = s.scalars(delete(Author).where(Author.name.like("a_")).returning(Author.id)).all()
        assert sorted(gone) == ids[2:]
        s.commit()
    with engine.begin() as conn:
        row = conn.execute(insert(Counter).values(n=7).returning(Counter.id, Counter.n)).one()
        assert row.n == 7
        res = conn.execute(update(Counter).values(n=Counter.n + 1))
        assert res.rowcount == 1


def test_no_lost_updates_from_threads_sharing_the_engine(engine: Any) -> None:
    """Read-modify-write through the ORM from 4 threads: every transaction starts with
    BEGIN IMMEDIATE, so the reads of one transaction and its write are serializable."""
    with Session(engine) as s:
        s.add(Counter(id=1, n=0))
        s.commit()
    n, errors = 15, []

    def work() -> None:
        try:
            for _ in range(n):
                with Session(engine) as s:
                    c = s.get(Counter, 1)
                    assert c is not None
                    c.n += 1  # the ORM writes the value it computed: lost if not serializable
                    s.commit()
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Session(engine) as s:
        assert s.get(Counter, 1).n == 4 * n  # type: ignore[union-attr]


def test_autocommit_isolation_emits_no_begin(engine: Any) -> None:
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cur, stmt, *a: statements.append(stmt))
    ac = engine.execution_options(isolation_level="AUTOCOMMIT")
    with ac.connect() as conn:
        conn.execute(text("INSERT INTO counter(n) VALUES (1)"))
        assert not conn.connection.dbapi_connection.in_transaction  # committed by itself
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM counter")) == 1
        conn.execute(text("INSERT INTO counter(n) VALUES (2)"))
        assert conn.connection.dbapi_connection.in_transaction
        conn.rollback()
        assert conn.scalar(text("SELECT count(*) FROM counter")) == 1
    with engine.connect() as conn:  # the pool reset the isolation level
        assert conn.get_isolation_level() == "SERIALIZABLE"
        assert conn.connection.dbapi_connection.isolation_level is not None


def test_deferred_begin_lets_a_reader_run_beside_a_writer(url: str, engine: Any) -> None:
    """``begin="DEFERRED"``: a read-only transaction does not take the writer lease, so it runs
    while an IMMEDIATE transaction of another engine holds it (the writer's commit then waits
    for the reader's transaction to end, as with a SQLite file in rollback-journal mode)."""
    readers = create_engine(url, begin="DEFERRED")
    with engine.connect() as writer, readers.connect() as reader:
        writer.execute(text("INSERT INTO counter(n) VALUES (5)"))  # holds the writer lease
        assert reader.scalar(text("SELECT count(*) FROM counter")) == 0  # not committed yet
        reader.rollback()
        writer.commit()
        assert reader.scalar(text("SELECT count(*) FROM counter")) == 1
    readers.dispose()


def test_overlapping_transactions_wait_for_each_other(url: str, engine: Any) -> None:
    """Every transaction takes the writer lease at BEGIN: a second one, even a read, waits for
    the first to end (here past a short timeout: "database is locked"); with begin="DEFERRED"
    readers overlap."""
    impatient = create_engine(url + "&timeout=0.1")
    with engine.connect() as first, impatient.connect() as second:
        first.execute(text("SELECT count(*) FROM counter"))
        with pytest.raises(exc.OperationalError, match="database is locked"):
            second.execute(text("SELECT count(*) FROM counter"))
        second.rollback()
        first.commit()
        assert second.scalar(text("SELECT count(*) FROM counter")) == 0
    impatient.dispose()


# -- Core and reflection ---------------------------------------------------------------------
def test_core_tables_executemany_and_reflection(engine: Any) -> None:
    md = MetaData()
    events = Table("events", md, Column("id", Integer, primary_key=True),
                   Column("kind", String(20), index=True), Column("payload", JSON))
    md.create_all(engine)
    rows = [{"kind": f"k{i % 3}", "payload": {"i": i}} for i in range(300)]
    with engine.begin() as conn:
        conn.execute(events.insert(), rows)
    with engine.connect() as conn:
        counts = conn.execute(select(events.c.kind, func.count()).group_by(events.c.kind)
                              .order_by(events.c.kind)).all()
        assert counts == [("k0", 100), ("k1", 100), ("k2", 100)]
        assert conn.scalar(select(func.sum(events.c.payload["i"].as_integer()))) == sum(range(300))
        assert conn.execute(text("SELECT payload FROM events WHERE id = :id"), {"id": 3}
                            ).scalar() == '{"i": 2}'
    insp = inspect(engine)
    assert set(insp.get_table_names()) >= {"author", "book", "counter", "events"}
    assert [c["name"] for c in insp.get_columns("events")] == ["id", "kind", "payload"]
    assert [i["column_names"] for i in insp.get_indexes("events")] == [["kind"]]
    assert insp.get_foreign_keys("book")[0]["referred_table"] == "author"
    reflected = Table("events", MetaData(), autoload_with=engine)
    kind = reflected.c.kind.type
    assert isinstance(kind, String) and kind.length == 20


# -- differential: the same ORM operations on vermilion and on a stdlib SQLite file ----------
_ops = st.lists(st.one_of(
    st.tuples(st.just("add"), st.text("abc", min_size=1, max_size=3)),
    st.tuples(st.just("rename"), st.integers(0, 8), st.text("abc", max_size=3)),
    st.tuples(st.just("delete"), st.integers(0, 8)),
    st.tuples(st.just("savepoint"), st.booleans()),
    st.tuples(st.just("commit")),
    st.tuples(st.just("rollback")),
), max_size=25)


def _apply(engine: Any, ops: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Run ``ops`` through one ORM session; the outcome (or error class) of each, and the rows."""
    seen: list[Any] = []
    with Session(engine) as s:
        for op in ops:
            try:
                if op[0] == "add":
                    with s.begin_nested():
                        s.add(Author(name=op[1]))
                    seen.append("added")
                elif op[0] == "rename":
                    a = s.get(Author, op[1])
                    if a is not None:
                        with s.begin_nested():
                            a.name = op[2]
                    seen.append(a is not None)
                elif op[0] == "delete":
                    deleted = s.execute(delete(Author).where(Author.id == op[1]))
                    seen.append(cast(CursorResult[Any], deleted).rowcount)
                elif op[0] == "savepoint":
                    sp = s.begin_nested()
                    s.add(Author(name=f"sp{len(seen)}"))
                    s.flush()
                    sp.commit() if op[1] else sp.rollback()
                    seen.append("sp")
                else:
                    getattr(s, op[0])()
                    seen.append(op[0])
            except exc.IntegrityError:
                seen.append("IntegrityError")
        s.commit()
        seen.append(sorted(tuple(row) for row in s.execute(select(Author.id, Author.name))))
    return seen


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_ops)
def test_orm_sessions_match_a_stdlib_sqlite_file(r: Any, vermilion_server: Any, tmp_path: Any,
                                                  ops: list[tuple[Any, ...]]) -> None:
    ours = create_engine(f"sqlite+vermilion:///diff?redis={vermilion_server.url}")
    path = tmp_path / "diff.db"
    theirs = create_engine(f"sqlite:///{path}")
    # SQLAlchemy's recipe for savepoints on pysqlite: the driver's transaction control off,
    # BEGIN emitted by SQLAlchemy (what the vermilion dialect does by default)
    event.listen(theirs, "connect", lambda dbapi_conn, rec: setattr(dbapi_conn, "isolation_level", None))
    event.listen(theirs, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    for eng in (ours, theirs):
        Base.metadata.drop_all(eng)
        Base.metadata.create_all(eng)
    try:
        assert _apply(ours, ops) == _apply(theirs, ops)
    finally:
        ours.dispose()
        theirs.dispose()
        path.unlink()
