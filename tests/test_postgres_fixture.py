"""The ``postgres`` fixture: a private PostgreSQL server (tests/postgres.py), reached with psycopg
(sync SQLAlchemy) and asyncpg (async SQLAlchemy); never the machine's own server on 5432."""

from __future__ import annotations

import uuid

import pytest
from postgres import PrivatePostgres
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine


def table_name() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


def test_sync_psycopg_round_trip(postgres: PrivatePostgres) -> None:
    assert postgres.host == "127.0.0.1"
    assert postgres.port != 5432
    assert postgres.dbname == "vermilion_test"
    url = postgres.url("psycopg")
    assert url == f"postgresql+psycopg://postgres@127.0.0.1:{postgres.port}/vermilion_test"
    engine = create_engine(url)
    name = table_name()
    try:
        with engine.begin() as conn:
            conn.execute(text(f"CREATE TABLE {name} (id serial PRIMARY KEY, label text NOT NULL)"))
            conn.execute(text(f"INSERT INTO {name} (label) VALUES (:a), (:b)"), {"a": "x", "b": "y"})
        with engine.connect() as conn:
            rows = conn.execute(text(f"SELECT id, label FROM {name} ORDER BY id")).all()
            assert [tuple(row) for row in rows] == [(1, "x"), (2, "y")]
            assert conn.execute(text("SELECT inet_server_port()")).scalar_one() == postgres.port
            assert conn.execute(text("SELECT current_database()")).scalar_one() == "vermilion_test"
            assert conn.execute(text("SHOW fsync")).scalar_one() == "off"
            assert conn.execute(text("SHOW max_connections")).scalar_one() == "200"
    finally:
        engine.dispose()


async def test_async_asyncpg_round_trip(postgres: PrivatePostgres) -> None:
    url = postgres.url("asyncpg")
    assert url == f"postgresql+asyncpg://postgres@127.0.0.1:{postgres.port}/vermilion_test"
    engine = create_async_engine(url)
    name = table_name()
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"CREATE TABLE {name} (id int PRIMARY KEY, payload jsonb)"))
            await conn.execute(text(f"INSERT INTO {name} VALUES (1, '{{\"k\": [1, 2]}}')"))
        async with engine.connect() as conn:
            payload = (await conn.execute(text(f"SELECT payload FROM {name} WHERE id = 1"))).scalar_one()
            assert payload == {"k": [1, 2]}
            port = (await conn.execute(text("SELECT inet_server_port()"))).scalar_one()
            assert port == postgres.port != 5432
            assert (await conn.execute(text("SHOW fsync"))).scalar_one() == "off"
    finally:
        await engine.dispose()


def test_url_rejects_unknown_drivers(postgres: PrivatePostgres) -> None:
    with pytest.raises(ValueError, match="asyncpg, psycopg"):
        postgres.url("pg8000")
    assert PrivatePostgres.available()
