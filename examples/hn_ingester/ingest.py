"""Ingest Hacker News items into a SQL database stored in Redis (vermilion.sql, asyncio).

The RediSQL "Using RediSQL with Python" tutorial, on vermilion: the same database ``HN``, table
and stored statement, with ``vermilion.aio.sql`` instead of raw ``REDISQL.*`` commands::

    CREATE TABLE IF NOT EXISTS hn(id integer primary key, author text, time int, item text)
    insert_item = INSERT INTO hn VALUES(?1, ?2, ?3, json(?4))

It polls ``{base}/v0/maxitem.json`` and fetches ``{base}/v0/item/<id>.json`` for every new id
(at most ``--concurrency`` requests at a time), storing each item with
``await db.exec_statement("insert_item", id, author, time, json)``.  Ids already in the table are
skipped (one query per batch), so a restart re-fetches nothing it already has.

    python ingest.py --once --count 50                  # the latest 50 items, then exit
    python ingest.py --interval 10                      # then keep polling
    python ingest.py --base-url http://127.0.0.1:8080   # against fake_hn.py

Redis: ``--url``, else ``VERMILION_URL``; one of them is required (vermilion's fallback, a private
redis-server for this process, would lose every item when the ingester exits).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import dataclass, fields
from typing import Any

import aiohttp
import apsw
import redis

import vermilion
import vermilion.aio
from vermilion.sql import StatementExists

DEFAULT_BASE_URL = "https://hacker-news.firebaseio.com"
DATABASE = "HN"
CREATE_TABLE = ("CREATE TABLE IF NOT EXISTS hn(id integer primary key, author text, time int, "
                "item text)")
INSERT_STATEMENT = "insert_item"
INSERT_SQL = "INSERT INTO hn VALUES(?1, ?2, ?3, json(?4))"
NO_AUTHOR = "_no_author_"  # deleted items have no "by", as in the tutorial


@dataclass
class Stats:
    """What a pass did: items stored, skipped because already stored, given up on because the
    API kept answering ``null`` (``missing``) or kept failing (``failed``)."""

    stored: int = 0
    already_stored: int = 0
    missing: int = 0
    failed: int = 0

    def add(self, other: Stats) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def __str__(self) -> str:
        return ", ".join(f"{getattr(self, f.name)} {f.name.replace('_', ' ')}"
                         for f in fields(self))


async def set_up(database: str = DATABASE) -> Any:
    """Create the database (if missing), the table and the ``insert_item`` statement; return the
    open ``vermilion.aio.sql`` database."""
    db = await vermilion.aio.sql.create_db(database, exist_ok=True)
    await db.exec(CREATE_TABLE)
    try:
        await db.create_statement(INSERT_STATEMENT, INSERT_SQL)
    except StatementExists:
        pass
    return db


class Ingester:
    """Fetches items from an HN-compatible API and stores them in ``db``."""

    def __init__(self, db: Any, http: aiohttp.ClientSession, base_url: str = DEFAULT_BASE_URL,
                 *, concurrency: int = 16, retries: int = 3, retry_delay: float = 0.5,
                 log: Any = None):
        self.db = db
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.limit = asyncio.Semaphore(concurrency)
        self.retries = retries
        self.retry_delay = retry_delay
        self.log = log

    def _say(self, message: str) -> None:
        if self.log is not None:
            print(message, file=self.log, flush=True)

    async def _get_json(self, path: str) -> Any:
        """GET ``{base}/v0/{path}``; retries network errors and non-2xx answers."""
        url = f"{self.base_url}/v0/{path}"
        for attempt in range(self.retries + 1):
            try:
                async with self.http.get(url) as response:
                    if 200 <= response.status < 300:
                        return json.loads(await response.text())
                    problem = f"HTTP {response.status}"
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if attempt < self.retries:
                await asyncio.sleep(self.retry_delay * 2 ** attempt)
        raise RuntimeError(f"GET {url} failed {self.retries + 1} times (last: {problem})")

    async def get_max_item(self) -> int:
        return int(await self._get_json("maxitem.json"))

    async def get_item(self, item_id: int) -> dict[str, Any] | None:
        """The item, or None if the API still answers ``null`` after the retries (HN serves
        brand-new items a moment after maxitem announces them)."""
        for attempt in range(self.retries + 1):
            item = await self._get_json(f"item/{item_id}.json")
            if item:
                return dict(item)
            if attempt < self.retries:
                await asyncio.sleep(self.retry_delay)
        return None

    async def stored_ids(self, first: int, last: int) -> set[int]:
        rows = await self.db.query("SELECT id FROM hn WHERE id BETWEEN ?1 AND ?2", first, last)
        return {row[0] for row in rows}

    async def store(self, item: dict[str, Any]) -> bool:
        """Store one item through the stored statement; False if its id is already there."""
        try:
            await self.db.exec_statement(INSERT_STATEMENT, item["id"], item.get("by", NO_AUTHOR),
                                         item.get("time"), json.dumps(item))
        except apsw.ConstraintError:  # stored meanwhile (another ingester)
            return False
        return True

    async def _fetch_and_store(self, item_id: int, stats: Stats) -> None:
        async with self.limit:
            try:
                item = await self.get_item(item_id)
            except RuntimeError as exc:
                stats.failed += 1
                self._say(f"item {item_id}: {exc}")
                return
        if item is None:
            stats.missing += 1
            self._say(f"item {item_id}: the API answers null, skipped")
        elif await self.store(item):
            stats.stored += 1
        else:
            stats.already_stored += 1

    async def ingest_range(self, first: int, last: int) -> Stats:
        """Fetch and store items ``first..last`` (inclusive) not stored yet."""
        stats = Stats()
        if last < first:
            return stats
        have = await self.stored_ids(first, last)
        stats.already_stored = len(have)
        todo = [i for i in range(first, last + 1) if i not in have]
        await asyncio.gather(*(self._fetch_and_store(i, stats) for i in todo))
        self._say(f"items {first}..{last}: {stats}")
        return stats

    async def run(self, *, count: int = 100, once: bool = False, interval: float = 10.0,
                  passes: int | None = None) -> Stats:
        """Ingest the latest ``count`` items, then (unless ``once``) poll ``maxitem`` every
        ``interval`` seconds and ingest the new ones; ``passes`` bounds the number of polls."""
        total = Stats()
        max_item = await self.get_max_item()
        total.add(await self.ingest_range(max(1, max_item - count + 1), max_item))
        done = 1
        while not once and (passes is None or done < passes):
            await asyncio.sleep(interval)
            new_max = await self.get_max_item()
            if new_max > max_item:
                total.add(await self.ingest_range(max_item + 1, new_max))
                max_item = new_max
            done += 1
        return total


async def ingest(base_url: str = DEFAULT_BASE_URL, *, database: str = DATABASE,
                 count: int = 100, once: bool = False, interval: float = 10.0,
                 passes: int | None = None, concurrency: int = 16, retries: int = 3,
                 retry_delay: float = 0.5, log: Any = None) -> Stats:
    """Set up the database and run an :class:`Ingester` (vermilion must be configured)."""
    db = await set_up(database)
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=concurrency)
    try:
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
            ingester = Ingester(db, http, base_url, concurrency=concurrency, retries=retries,
                                retry_delay=retry_delay, log=log)
            return await ingester.run(count=count, once=once, interval=interval, passes=passes)
    finally:
        await db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default=DEFAULT_BASE_URL,
                        help=f"HN-compatible API (default {DEFAULT_BASE_URL})")
    parser.add_argument("--url", default=os.environ.get("VERMILION_URL"),
                        help="Redis URL (default: VERMILION_URL; one of them is required)")
    parser.add_argument("--database", default=DATABASE, help="SQL database name (default HN)")
    parser.add_argument("--count", type=int, default=100,
                        help="how many of the latest items the first pass ingests (default 100)")
    parser.add_argument("--once", action="store_true", help="one pass, then exit")
    parser.add_argument("--interval", type=float, default=10.0,
                        help="seconds between polls of maxitem (default 10)")
    parser.add_argument("--passes", type=int, default=None,
                        help="stop after this many polls (default: poll forever)")
    parser.add_argument("--concurrency", type=int, default=16,
                        help="HTTP requests in flight at most (default 16)")
    parser.add_argument("--retries", type=int, default=3,
                        help="retries per item on errors or a null answer (default 3)")
    parser.add_argument("--retry-delay", type=float, default=0.5, help="seconds (default 0.5)")
    args = parser.parse_args(argv)
    if args.count < 1 or args.concurrency < 1:
        parser.error("--count and --concurrency must be at least 1")
    if not args.url:
        parser.error("no Redis: pass --url or set VERMILION_URL (e.g. to the URL that "
                     "'vermilion server --port 6390' prints)")
    vermilion.configure(args.url)
    try:
        stats = asyncio.run(ingest(
            args.base_url, database=args.database, count=args.count, once=args.once,
            interval=args.interval, passes=args.passes, concurrency=args.concurrency,
            retries=args.retries, retry_delay=args.retry_delay, log=sys.stdout))
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, redis.ConnectionError) as exc:  # the API kept failing, Redis unreachable
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"total: {stats}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
