"""examples/hn_ingester end to end: fake_hn.py on a free loopback port, ingest.py against it, the
database on the session's private redis-server; the stored rows are checked against the fixtures.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytest.importorskip("apsw")
aiohttp = pytest.importorskip("aiohttp")

import vermilion.sql as vsql  # noqa: E402

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "hn_ingester"


def _load(name: str, filename: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLE / filename)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


fake_hn = _load("hn_example_fake_hn", "fake_hn.py")
ingest = _load("hn_example_ingest", "ingest.py")

MAXITEM, ITEMS = fake_hn.load_fixture()
PRESENT = {i: item for i, item in ITEMS.items() if item is not None}
FIRST = min(ITEMS)


@pytest.fixture
async def fake(r: Any) -> AsyncIterator[tuple[Any, str]]:
    """(FakeHN, base URL) on a free loopback port; vermilion configured on a flushed server."""
    server = fake_hn.FakeHN(dict(ITEMS), MAXITEM)
    runner, url = await fake_hn.start(server)
    yield server, url
    await runner.cleanup()


async def run_ingest_process(base_url: str, redis_url: str, *extra: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLE / "ingest.py"), "--base-url", base_url, "--url", redis_url,
        "--retry-delay", "0.01", "--retries", "1", *extra,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode()


def stored() -> dict[int, tuple[Any, ...]]:
    with vsql.open("HN") as db:
        return {row[0]: row for row in db.query(
            "SELECT id, author, time, item, json_extract(item, '$.title'), "
            "json_extract(item, '$.type') FROM hn")}


def check_matches_fixtures(rows: dict[int, tuple[Any, ...]]) -> None:
    assert set(rows) == set(PRESENT)
    for item_id, (_, author, time, item, title, kind) in rows.items():
        expected = PRESENT[item_id]
        assert author == expected.get("by", "_no_author_")
        assert time == expected["time"]
        assert json.loads(item) == expected
        assert title == expected.get("title")
        assert kind == expected["type"]


async def test_ingest_process_end_to_end_twice(fake: tuple[Any, str],
                                               vermilion_server: Any) -> None:
    server, base_url = fake
    code, out = await run_ingest_process(base_url, vermilion_server.url, "--once",
                                         "--count", str(len(ITEMS)))
    assert code == 0, out
    assert f"total: {len(PRESENT)} stored, 0 already stored, 1 missing, 0 failed" in out, out
    rows = stored()
    check_matches_fixtures(rows)
    assert len(rows) == 29
    assert rows[41000009][1] == "_no_author_"  # the deleted comment
    assert rows[41000010][4] == "Robert'); DROP TABLE hn;-- and other names that break forms"
    assert rows[41000016][4].startswith("Ünïcödé everywhere: 日本語")
    assert 41000017 not in rows  # the API answers null for it
    with vsql.open("HN") as db:
        assert db.query("SELECT author, count(*) FROM hn GROUP BY author "
                        "ORDER BY count(*) DESC, author LIMIT 3") == [
            ("sama", 4), ("BrandonM", 2), ("dang", 2)]
        assert db.show_statement("insert_item").sql == \
            "INSERT INTO hn VALUES(?1, ?2, ?3, json(?4))"
        assert db.query("SELECT sql FROM sqlite_schema WHERE name = 'hn'") == [
            ("CREATE TABLE hn(id integer primary key, author text, time int, item text)",)]
    hits = dict(server.hits)
    assert all(hits[i] == 1 for i in PRESENT)

    code, out = await run_ingest_process(base_url, vermilion_server.url, "--once",
                                         "--count", str(len(ITEMS)))
    assert code == 0, out
    assert f"total: 0 stored, {len(PRESENT)} already stored, 1 missing, 0 failed" in out, out
    assert stored() == rows  # no duplicates, nothing changed
    with vsql.open("HN") as db:
        assert db.query("SELECT count(*), count(DISTINCT id) FROM hn") == [(29, 29)]
    # the second run fetched only the item it did not have
    assert {i: n - hits.get(i, 0) for i, n in server.hits.items() if n != hits.get(i, 0)} == {
        41000017: 2}


async def test_count_limits_the_first_pass(fake: tuple[Any, str]) -> None:
    server, base_url = fake
    stats = await ingest.ingest(base_url, count=5, once=True, retry_delay=0)
    assert (stats.stored, stats.missing) == (5, 0)
    assert set(stored()) == set(range(MAXITEM - 4, MAXITEM + 1))
    assert set(server.hits) == set(range(MAXITEM - 4, MAXITEM + 1))


async def test_polling_picks_up_new_items(fake: tuple[Any, str]) -> None:
    server, base_url = fake
    server.schedule = [FIRST + 9, FIRST + 19, FIRST + 19, MAXITEM]  # items arriving over time
    stats = await ingest.ingest(base_url, count=10, passes=4, interval=0, retry_delay=0)
    assert server.maxitem_hits == 4
    assert (stats.stored, stats.already_stored, stats.missing, stats.failed) == (29, 0, 1, 0)
    check_matches_fixtures(stored())
    assert all(server.hits[i] == 1 for i in PRESENT)  # each item fetched once


async def test_failing_requests_are_retried(fake: tuple[Any, str]) -> None:
    server, base_url = fake
    server.failures[FIRST + 3] = 2   # succeeds on the third try
    server.failures[FIRST + 4] = 3   # fails all 1 + 2 tries of the first run
    stats = await ingest.ingest(base_url, count=len(ITEMS), once=True, retries=2, retry_delay=0)
    assert (stats.stored, stats.missing, stats.failed) == (len(PRESENT) - 1, 1, 1)
    rows = stored()
    assert FIRST + 3 in rows and FIRST + 4 not in rows
    assert server.hits[FIRST + 3] == 3
    stats = await ingest.ingest(base_url, count=len(ITEMS), once=True, retries=2, retry_delay=0)
    assert (stats.stored, stats.already_stored, stats.failed) == (1, len(PRESENT) - 1, 0)
    check_matches_fixtures(stored())


async def test_concurrency_is_bounded(fake: tuple[Any, str]) -> None:
    server, base_url = fake
    server.delay = 0.02
    stats = await ingest.ingest(base_url, count=len(ITEMS), once=True, concurrency=4,
                                retries=0, retry_delay=0)
    assert stats.stored == len(PRESENT)
    assert 2 <= server.max_in_flight <= 4


async def test_store_skips_an_id_stored_meanwhile(fake: tuple[Any, str]) -> None:
    db = await ingest.set_up()
    try:
        async with aiohttp.ClientSession() as http:
            ingester = ingest.Ingester(db, http, fake[1])
            item = PRESENT[FIRST]
            assert await ingester.store(item) is True
            assert await ingester.store(item) is False
        # set_up again is harmless: the table and statement are kept
        again = await ingest.set_up()
        await again.close()
        assert (await db.query("SELECT count(*) FROM hn")) == [(1,)]
    finally:
        await db.close()


def test_ingester_needs_a_redis_and_says_so_in_one_line() -> None:
    """Without --url or VERMILION_URL the items would go to a private server that vanishes at
    exit: refused (usage error, status 2); an unreachable Redis is one line, status 1."""
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "VERMILION_URL"}
    p = subprocess.run([sys.executable, str(EXAMPLE / "ingest.py"), "--once"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "pass --url or set VERMILION_URL" in p.stderr, p.stderr
    p = subprocess.run([sys.executable, str(EXAMPLE / "ingest.py"), "--once", "--url",
                        "redis://127.0.0.1:1/0", "--base-url", "http://127.0.0.1:1"],
                       env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    assert p.stderr.startswith("error: ") and len(p.stderr.splitlines()) == 1, p.stderr


def test_readme_installs_from_this_checkout() -> None:
    text = (EXAMPLE / "README.md").read_text()
    assert "pip install 'vermilion[sql]'" not in text  # not on PyPI
    assert "pip install -e '../..[sql]' aiohttp" in text
