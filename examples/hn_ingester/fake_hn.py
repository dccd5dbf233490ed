"""A small local Hacker-News-compatible API server (aiohttp.web) serving fixture items.

Serves the two endpoints the ingester uses, like https://hacker-news.firebaseio.com does:

* ``GET /v0/maxitem.json`` - the largest item id (a JSON number)
* ``GET /v0/item/<id>.json`` - the item as JSON, or ``null`` for an id it does not serve

Run it::

    python fake_hn.py --port 8080                      # fixtures/items.json
    python ingest.py --base-url http://127.0.0.1:8080 --once

For tests, :class:`FakeHN` can also pretend fewer items exist yet (``maxitem``, or ``schedule``:
the next answers of maxitem.json, to simulate new items arriving), fail an item's first requests
with HTTP 500 (``failures``), slow item requests down (``delay``); it counts the requests per
item (``hits``) and the most served at once (``max_in_flight``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

from aiohttp import web

FIXTURE = Path(__file__).with_name("fixtures") / "items.json"


def load_fixture(path: str | Path = FIXTURE) -> tuple[int, dict[int, dict[str, Any] | None]]:
    """(maxitem, {id: item or None}) from a fixture file."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    return int(doc["maxitem"]), {int(k): v for k, v in doc["items"].items()}


class FakeHN:
    """The server's state: the items, the current ``maxitem``, injected failures, hit counts."""

    def __init__(self, items: dict[int, dict[str, Any] | None], maxitem: int):
        self.items = items
        self.maxitem = maxitem
        self.failures: Counter[int] = Counter()  # id -> how many more requests answer 500
        self.hits: Counter[int] = Counter()      # id -> requests received
        self.maxitem_hits = 0
        self.schedule: list[int] = []  # maxitem answers to give next (then ``maxitem`` stays)
        self.delay = 0.0                # seconds each item request takes
        self.in_flight = 0
        self.max_in_flight = 0          # most item requests served at once

    async def get_maxitem(self, request: web.Request) -> web.Response:
        self.maxitem_hits += 1
        if self.schedule:
            self.maxitem = self.schedule.pop(0)
        return web.json_response(self.maxitem)

    async def get_item(self, request: web.Request) -> web.Response:
        raw = request.match_info["id"]
        if not raw.isdigit():
            return web.json_response({"error": "Invalid path"}, status=400)
        item_id = int(raw)
        self.hits[item_id] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        if self.failures[item_id] > 0:
            self.failures[item_id] -= 1
            return web.json_response({"error": "temporarily unavailable"}, status=500)
        if item_id > self.maxitem:
            return web.json_response(None)
        return web.json_response(self.items.get(item_id))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v0/maxitem.json", self.get_maxitem)
        app.router.add_get(r"/v0/item/{id}.json", self.get_item)
        return app


async def start(fake: FakeHN, host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, str]:
    """Serve ``fake`` on ``host:port`` (0: a free port); returns (runner, base URL).
    ``await runner.cleanup()`` stops it."""
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    return runner, f"http://{bound_host}:{bound_port}"


async def _serve(host: str, port: int, fixture: str) -> None:
    maxitem, items = load_fixture(fixture)
    runner, url = await start(FakeHN(items, maxitem), host, port)
    print(f"fake HN API serving {len(items)} items (maxitem {maxitem}) at {url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--fixture", default=str(FIXTURE))
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve(args.host, args.port, args.fixture))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
