"""examples/fastrdb_users end to end: the FastRDB tutorial's FastAPI app (only its imports
changed: ``from vermilion.cache import FastRDB``) called over HTTP in process, on a private
redis-server and a temporary SQLite file.

The example's modules are imported by their plain names (``db``, ``models``, ``schemas``,
``crud``, ``redis_client``, ``main``), as the tutorial runs them from their folder: each test
imports them afresh (``REDIS_URL`` / ``DATABASE_URL`` set first) and removes them afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("aiosqlite")
pytest.importorskip("email_validator")

import httpx  # noqa: E402 - after the skips
from sqlalchemy import text  # noqa: E402

from vermilion.cache import CacheBypassWarning  # noqa: E402
from vermilion.cache import decorator as cache_decorator  # noqa: E402
from vermilion.server import EmbeddedServer  # noqa: E402

pytestmark = [
    # The tutorial's get_redis() calls redis-py's deprecated close(); its UserResponse has a
    # Pydantic v1 style `class Config`.  Both are the seed's code, kept as written.
    pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Support for class-based `config`:DeprecationWarning"),
]

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "fastrdb_users"
MODULES = ("db", "models", "schemas", "crud", "redis_client", "main")
ENTRY = "vm:cache:{sql:users}:e:"  # the prefix of the example's cache entries

ALICE = {"email": "alice@example.com", "name": "Alice", "bio": "Hello World"}
BOB = {"email": "bob@example.com", "name": "Bob", "is_active": False}


def _purge() -> None:
    for name in MODULES:
        sys.modules.pop(name, None)


def _forget_stores(client: Any) -> None:
    """Drop the cache stores vermilion keeps for ``client`` (one per client, for the life of
    the process), so that commits of later tests never reach this test's server."""
    cache_decorator._client_stores.pop(client, None)


@pytest.fixture
def load_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Any]]:
    """``load(redis_url)``: the example's modules, freshly imported with ``REDIS_URL`` and a
    temporary SQLite ``DATABASE_URL``; removed from ``sys.modules`` afterwards."""
    saved = {name: sys.modules.pop(name) for name in MODULES if name in sys.modules}
    monkeypatch.syspath_prepend(str(EXAMPLE))
    loaded: list[Any] = []

    def load(redis_url: str) -> Any:
        monkeypatch.setenv("REDIS_URL", redis_url)
        monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'example.db'}")
        _purge()
        main = importlib.import_module("main")
        mods = SimpleNamespace(main=main, app=main.app,
                               **{name: sys.modules[name] for name in MODULES if name != "main"})
        for module in (main, mods.db, mods.models, mods.crud, mods.redis_client):
            assert Path(module.__file__).parent == EXAMPLE, module  # not another "db" or "main"
        assert mods.redis_client.redis_client.get_connection_kwargs().get("port") != 6379
        mods.db.async_engine.echo = False  # the tutorial logs every SQL statement to stdout
        mods.user_crud = mods.crud.user_crud
        mods.store = mods.user_crud._crud.store(mods.redis_client.redis_client)
        loaded.append(mods)
        return mods

    yield load
    for mods in loaded:
        _forget_stores(mods.redis_client.redis_client)
    _purge()
    sys.modules.update(saved)


@contextlib.asynccontextmanager
async def serving(mods: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app's lifespan (it creates the tables) around an HTTP client calling it in process."""
    async with mods.app.router.lifespan_context(mods.app):
        transport = httpx.ASGITransport(app=mods.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            yield http


@pytest.fixture
async def api(load_example: Callable[[str], Any], vermilion_server: EmbeddedServer,
              async_redis_client: Any) -> AsyncIterator[Any]:
    """The example on the session's private (flushed) redis-server: its modules, ``http`` (an
    httpx client on the app) and ``r`` (a client of ours on the same server)."""
    mods = load_example(vermilion_server.url)
    mods.r = async_redis_client
    async with serving(mods) as http:
        mods.http = http
        yield mods
    await mods.redis_client.redis_client.aclose()


ROWS = "SELECT email, name, bio, is_active FROM users ORDER BY email"


async def rows(mods: Any, sql: str = ROWS) -> list[tuple[Any, ...]]:
    """What SQLite holds, read past the app and its cache."""
    async with mods.db.async_engine.connect() as conn:
        return [tuple(row) for row in (await conn.execute(text(sql))).all()]


async def stats(mods: Any) -> dict[str, int]:
    return await mods.store.stats()  # type: ignore[no-any-return]


async def post(mods: Any, user: dict[str, Any]) -> dict[str, Any]:
    response = await mods.http.post("/users/", json=user)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def emails(mods: Any, **params: Any) -> tuple[list[str], int]:
    """The emails of one page of GET /users/ and the total it reports."""
    response = await mods.http.get("/users/", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["limit"], body["page"]) == (params.get("limit", 10), params.get("page", 1))
    return [u["email"] for u in body["data"]], body["total"]


async def count(mods: Any, **params: Any) -> int:
    response = await mods.http.get("/users/count", params=params)
    assert response.status_code == 200, response.text
    return response.json()["count"]  # type: ignore[no-any-return]


async def test_create_works_with_the_dataclass_model(api: Any) -> None:
    # The tutorial's User is a MappedAsDataclass: its constructor wants id and the timestamps...
    with pytest.raises(TypeError):
        api.models.User(email=ALICE["email"], name=ALICE["name"], bio=None)
    # ...and FastRDB's create() never calls it: the database fills them in.
    alice = await post(api, ALICE)
    assert isinstance(alice["id"], int) and alice["id"] >= 1
    assert {k: alice[k] for k in ("email", "name", "bio", "is_active")} == {**ALICE, "is_active": True}
    created = datetime.fromisoformat(alice["created_at"])
    updated = datetime.fromisoformat(alice["updated_at"])
    now = datetime.now(timezone.utc).replace(tzinfo=None)  # SQLite's CURRENT_TIMESTAMP is UTC
    assert abs((created - now).total_seconds()) < 60
    assert updated == created

    bob = await post(api, BOB)  # no bio: NULL; is_active given
    assert bob["id"] != alice["id"] and bob["bio"] is None and bob["is_active"] is False
    assert await rows(api) == [("alice@example.com", "Alice", "Hello World", 1),
                               ("bob@example.com", "Bob", None, 0)]

    duplicate = await api.http.post("/users/", json={**ALICE, "name": "Another Alice"})
    assert duplicate.status_code == 409
    assert await rows(api, "SELECT name FROM users WHERE email = 'alice@example.com'") == [("Alice",)]


async def test_second_get_is_served_from_redis(api: Any) -> None:
    alice = await post(api, ALICE)
    key = ENTRY + "o:user:email:alice@example.com"  # the tutorial's pattern, in the entry's key
    assert not await api.r.exists(key)
    before = await stats(api)

    first = await api.http.get("/users/alice@example.com")
    assert first.status_code == 200 and first.json() == alice
    after_first = await stats(api)
    assert after_first["misses"] == before["misses"] + 1
    assert after_first["fills"] == before["fills"] + 1
    assert after_first["hits"] == before["hits"]
    assert await api.r.exists(key)
    assert 0 < await api.r.pttl(key) <= 6000 * 1000  # exp=6000 (seconds)

    second = await api.http.get("/users/alice@example.com")
    assert second.status_code == 200 and second.json() == alice
    after_second = await stats(api)
    assert after_second["hits"] == after_first["hits"] + 1
    assert after_second["misses"] == after_first["misses"]

    # A write the cache cannot see (a raw connection, no Session): the cached row is what
    # comes back, so the answer really came from Redis, not from SQLite.
    async with api.db.async_engine.begin() as conn:
        await conn.execute(text("UPDATE users SET name = 'Behind the cache' WHERE id = :id"),
                           {"id": alice["id"]})
    assert (await api.http.get("/users/alice@example.com")).json()["name"] == "Alice"

    # A user that does not exist: 404, and the "not found" is cached too (briefly).
    for _ in range(2):
        assert (await api.http.get("/users/nobody@example.com")).status_code == 404
    assert (await stats(api))["negative_hits"] == after_second["negative_hits"] + 1


async def test_patch_then_get_is_never_stale(api: Any) -> None:
    alice = await post(api, ALICE)
    assert (await api.http.get("/users/alice@example.com")).json()["name"] == "Alice"  # cached
    await asyncio.sleep(1.1)  # CURRENT_TIMESTAMP has a resolution of one second in SQLite

    patched = await api.http.patch("/users/alice@example.com", json={"name": "Alice Liddell"})
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["name"] == "Alice Liddell"
    assert body["bio"] == "Hello World" and body["is_active"] is True  # fields not sent: kept
    assert body["created_at"] == alice["created_at"]
    assert body["updated_at"] > alice["updated_at"]  # the model's onupdate=func.now()

    for _ in range(2):  # the first GET refills the entry, the second is a hit: both new
        got = await api.http.get("/users/alice@example.com")
        assert got.status_code == 200 and got.json() == body
    assert await rows(api, "SELECT name FROM users") == [("Alice Liddell",)]

    # A new email: the old key is gone (404, not the cached row), the new one answers.
    moved = await api.http.patch("/users/alice@example.com", json={"email": "liddell@example.com"})
    assert moved.status_code == 200 and moved.json()["email"] == "liddell@example.com"
    assert (await api.http.get("/users/alice@example.com")).status_code == 404
    got = await api.http.get("/users/liddell@example.com")
    assert got.status_code == 200 and got.json()["name"] == "Alice Liddell"

    missing = await api.http.patch("/users/nobody@example.com", json={"name": "X"})
    assert missing.status_code == 404

    # Refused by the table's constraints (unique email, NOT NULL name): 409, nothing changed.
    await post(api, BOB)
    for refused in ({"email": "bob@example.com"}, {"name": None}):
        assert (await api.http.patch("/users/liddell@example.com", json=refused)).status_code == 409
    assert (await api.http.get("/users/liddell@example.com")).json() == got.json()
    assert await rows(api, "SELECT email, name FROM users ORDER BY id") == [
        ("liddell@example.com", "Alice Liddell"), ("bob@example.com", "Bob")]


async def test_concurrent_reads_and_writes_end_consistent(api: Any) -> None:
    users = [f"c{i}@example.com" for i in range(5)]
    for email in users:
        await post(api, {"email": email, "name": "start"})
    before = await stats(api)

    # 50 concurrent cold reads of 5 rows: each row is queried and cached once (the others
    # wait for it or hit), however the requests interleave.
    answers = await asyncio.gather(*(api.http.get(f"/users/{users[i % 5]}") for i in range(50)))
    assert {(r.status_code, r.json()["name"]) for r in answers} == {(200, "start")}
    during = await stats(api)
    assert during["fills"] - before["fills"] == 5
    assert during["hits"] + during["waits"] > before["hits"] + before["waits"]

    # Reads racing updates: afterwards every row reads as SQLite holds it, never an older name.
    async def call(i: int) -> httpx.Response:
        email = users[i % 5]
        if i % 2:
            return await api.http.patch(f"/users/{email}", json={"name": f"n{i}"})
        return await api.http.get(f"/users/{email}")

    assert {r.status_code for r in await asyncio.gather(*(call(i) for i in range(60)))} == {200}
    final = dict(await rows(api, "SELECT email, name FROM users"))
    for _ in range(2):
        for email in users:
            assert (await api.http.get(f"/users/{email}")).json()["name"] == final[email]


async def test_list_filters_and_paginate(api: Any) -> None:
    active = [f"u{i}@example.com" for i in (1, 2, 4)]
    inactive = [f"u{i}@example.com" for i in (3, 5)]
    for i in range(1, 6):
        await post(api, {"email": f"u{i}@example.com", "name": f"User {i}", "is_active": i not in (3, 5)})

    # The real total of the query, not the size of the page.
    assert await emails(api, limit=2, page=1, order_by="email") == (active[:2], 5)
    assert await emails(api, limit=2, page=2, order_by="email") == (["u3@example.com", "u4@example.com"], 5)
    assert await emails(api, limit=2, page=3, order_by="email") == (["u5@example.com"], 5)
    assert await emails(api, limit=2, page=4, order_by="email") == ([], 5)
    assert await emails(api, limit=3, order_by="email", ascending=False) == (
        ["u5@example.com", "u4@example.com", "u3@example.com"], 5)

    # Filters are part of the cache key: asked twice each (the second time from Redis), the
    # active and the inactive users never share an entry.
    hits = (await stats(api))["hits"]
    for _ in range(2):
        assert await emails(api, order_by="email", is_active=True) == (active, 3)
        assert await emails(api, order_by="email", is_active=False) == (inactive, 2)
        assert await emails(api, order_by="email") == (sorted(active + inactive), 5)
    assert (await stats(api))["hits"] == hits + 3

    # Writes invalidate the cached lists.
    await post(api, {"email": "u6@example.com", "name": "User 6"})
    assert await emails(api, order_by="email", is_active=True) == (active + ["u6@example.com"], 4)
    assert (await api.http.patch("/users/u1@example.com", json={"is_active": False})).status_code == 200
    assert await emails(api, order_by="email", is_active=False) == (["u1@example.com", *inactive], 3)
    assert await emails(api, order_by="email", is_active=True) == (active[1:] + ["u6@example.com"], 3)
    assert await emails(api, limit=2, page=1, order_by="email") == (["u1@example.com", "u2@example.com"], 6)

    for bad in ({"order_by": "password"}, {"limit": 0}, {"page": 0}, {"is_active": "maybe"}):
        assert (await api.http.get("/users/", params=bad)).status_code == 422, bad


async def test_delete_and_count(api: Any) -> None:
    assert await count(api) == 0
    for user in (ALICE, BOB, {"email": "carol@example.com", "name": "Carol"}):
        await post(api, user)
    assert await count(api) == 3  # not the cached 0
    assert await count(api, is_active=False) == 1
    assert await count(api, is_active=True) == 2
    hits = (await stats(api))["hits"]
    assert await count(api) == 3
    assert (await stats(api))["hits"] == hits + 1  # counts are cached too

    assert (await api.http.get("/users/bob@example.com")).status_code == 200  # cached
    deleted = await api.http.delete("/users/bob@example.com")
    assert deleted.status_code == 204 and deleted.content == b""
    assert (await api.http.get("/users/bob@example.com")).status_code == 404
    assert (await api.http.delete("/users/bob@example.com")).status_code == 404
    assert await count(api) == 2
    assert await count(api, is_active=False) == 0
    assert await emails(api, order_by="email") == (["alice@example.com", "carol@example.com"], 2)
    assert await rows(api, "SELECT email FROM users ORDER BY email") == [("alice@example.com",),
                                                                         ("carol@example.com",)]

    await post(api, BOB)  # the same email again: a new row, found again
    assert await count(api) == 3
    assert (await api.http.get("/users/bob@example.com")).json()["name"] == "Bob"


async def test_validation_errors_are_422(api: Any) -> None:
    bad = await api.http.post("/users/", json={"email": "not-an-email", "name": "X"})
    assert bad.status_code == 422
    assert [e["loc"] for e in bad.json()["detail"]] == [["body", "email"]]
    no_name = await api.http.post("/users/", json={"email": "x@example.com"})
    assert no_name.status_code == 422
    assert [e["loc"] for e in no_name.json()["detail"]] == [["body", "name"]]
    assert await rows(api) == []

    await post(api, ALICE)
    patch = await api.http.patch("/users/alice@example.com", json={"email": "still-not-an-email"})
    assert patch.status_code == 422
    assert (await api.http.get("/users/alice@example.com")).json()["email"] == "alice@example.com"


async def test_answers_from_sqlite_when_redis_is_down(load_example: Callable[[str], Any]) -> None:
    server = EmbeddedServer()  # our own: it is killed here
    try:
        mods = load_example(server.url)
        async with serving(mods) as http:
            mods.http = http
            alice = await post(mods, ALICE)
            await post(mods, BOB)
            for _ in range(2):
                assert (await http.get("/users/alice@example.com")).json() == alice
            assert (await stats(mods))["hits"] == 1

            server.kill()
            with pytest.warns(CacheBypassWarning, match="Redis unreachable"):
                got = await http.get("/users/alice@example.com")
                assert got.status_code == 200 and got.json() == alice
                patched = await http.patch("/users/alice@example.com", json={"name": "Alice Down"})
                assert patched.status_code == 200 and patched.json()["name"] == "Alice Down"
                got = await http.get("/users/alice@example.com")
                assert got.status_code == 200 and got.json()["name"] == "Alice Down"
                assert await emails(mods, order_by="email") == (
                    ["alice@example.com", "bob@example.com"], 2)
                assert await emails(mods, is_active=False) == (["bob@example.com"], 1)
                assert await count(mods) == 2
                assert (await http.delete("/users/bob@example.com")).status_code == 204
                assert (await http.get("/users/bob@example.com")).status_code == 404
                assert await count(mods) == 1
                await post(mods, {"email": "carol@example.com", "name": "Carol"})
            assert await rows(mods) == [("alice@example.com", "Alice Down", "Hello World", 1),
                                        ("carol@example.com", "Carol", None, 1)]

            # Redis back (empty): once the store tries it again, the cache works again.
            server.start()
            await asyncio.sleep(1.2)  # the store's retry_after (1 s) after the last failure
            hits = (await stats(mods))["hits"]  # this process's hits not yet sent count too
            for _ in range(2):
                got = await http.get("/users/alice@example.com")
                assert got.status_code == 200 and got.json()["name"] == "Alice Down"
            assert await count(mods) == 2
            assert (await stats(mods))["hits"] == hits + 1
        await mods.redis_client.redis_client.aclose()
    finally:
        server.stop()
