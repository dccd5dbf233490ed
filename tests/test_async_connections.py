"""asyncio connections: bounded per server, reused, closed when the loop ends (issue 8).

Each test runs its own event loop (``asyncio.run``) against the private test server, and counts
connections the way the server sees them (``INFO``'s ``total_connections_received`` and
``connected_clients``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis

import vermilion as vm
import vermilion.aio as vma
from vermilion.server import EmbeddedServer


def _opened(raw: Any) -> int:
    return int(raw.info("stats")["total_connections_received"])


def _connected(raw: Any) -> int:
    return int(raw.info("clients")["connected_clients"])


def _wait_connected(raw: Any, n: int) -> int:
    deadline = time.monotonic() + 5
    while _connected(raw) > n and time.monotonic() < deadline:
        time.sleep(0.01)
    return _connected(raw)


@pytest.fixture
def own_server() -> Any:
    """A server of this test alone: every connection it sees is the test's."""
    server = EmbeddedServer()
    yield server
    server.stop()


def test_ten_thousand_concurrent_calls_use_at_most_64_connections(own_server: EmbeddedServer) -> None:
    vermilion_server = own_server
    raw = redis.Redis.from_url(vermilion_server.url)
    before = _opened(raw)

    async def main() -> int:
        vm.configure(url=vermilion_server.url)
        lst = vma.List(key="many")
        await asyncio.gather(*(lst.append(i) for i in range(10_000)))
        return await lst.len()

    assert asyncio.run(main()) == 10_000
    assert sorted(int(x) for x in raw.lrange("many", 0, -1)) == list(range(10_000))
    assert _opened(raw) - before <= 64
    assert _wait_connected(raw, 1) == 1  # only `raw`: the loop's end closed vermilion's


def test_the_pools_max_connections_is_honoured(own_server: EmbeddedServer) -> None:
    vermilion_server = own_server
    raw = redis.Redis.from_url(vermilion_server.url)
    before = _opened(raw)

    async def main() -> None:
        client = aioredis.Redis.from_url(vermilion_server.url, max_connections=5)
        d = vma.Dict(key="d", client=client)
        await asyncio.gather(*(d.setitem(i, i) for i in range(2_000)))
        assert await d.len() == 2_000
        await vma.aclose(client)
        await client.aclose()

    asyncio.run(main())
    assert _opened(raw) - before <= 5
    assert _wait_connected(raw, 1) == 1  # aclose closed them before the loop ended


def test_blocking_pool_timeout_bounds_the_wait(vermilion_server: EmbeddedServer) -> None:
    async def main() -> None:
        pool = aioredis.BlockingConnectionPool.from_url(vermilion_server.url, max_connections=1,
                                                        timeout=0.2)
        client = aioredis.Redis(connection_pool=pool)
        q = vma.Queue(key="q", client=client)
        waiting = asyncio.create_task(q.get(timeout=2))  # holds the only connection ~1 s
        await asyncio.sleep(0.05)
        with pytest.raises(redis.exceptions.ConnectionError, match="no connection available"):
            await vma.List(key="l", client=client).append(1)
        with pytest.raises(Exception):  # noqa: B017 - queue.Empty after its timeout
            await waiting
        await vma.List(key="l", client=client).append(2)  # the connection is free again
        assert await vma.List(key="l", client=client).copy() == [2]
        await client.aclose()

    asyncio.run(main())


def test_cancelled_waiters_leak_no_connection(vermilion_server: EmbeddedServer) -> None:
    async def main() -> None:
        client = aioredis.Redis.from_url(vermilion_server.url, max_connections=2)
        lst = vma.List(key="c", client=client)
        tasks = [asyncio.create_task(lst.append(i)) for i in range(200)]
        await asyncio.sleep(0)
        for t in tasks[::2]:
            t.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        done = sum(1 for r in results if not isinstance(r, BaseException))
        assert await lst.len() >= done  # a cancelled append may have run: never lost, never doubled
        await asyncio.gather(*(lst.append(-1) for _ in range(50)))  # still served by 2 connections
        executor = client._vermilion_executor
        assert sum(p.count for p in executor._pools.values()) <= 2
        await client.aclose()

    asyncio.run(main())
