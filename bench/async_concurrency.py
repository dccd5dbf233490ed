"""asyncio concurrency: N concurrent calls on vermilion.aio vs the same calls one after another.

``python bench/async_concurrency.py [--n 10000] [--rounds 5]`` starts a private redis-server
(TCP loopback) and, in each round, times:

* ``sync, sequential``: ``vm.List.append`` N times on the sync face (one connection);
* ``vermilion.aio, gather``: ``asyncio.gather`` of N ``append`` coroutines (connections capped
  at 64 per server, reused);
* ``redis-py asyncio, gather``: ``asyncio.gather`` of N ``rpush`` on ``redis.asyncio.Redis``
  with a ``BlockingConnectionPool`` of 64 connections (its default pool raises
  ``MaxConnectionsError: Too many connections`` beyond 100 concurrent calls).

It prints ops/s (median of the rounds), the ratio to the sync sequential run (target >= 0.5x)
and the connections each run opened, as the server counts them.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import redis
import redis.asyncio as aioredis

import vermilion as vm
import vermilion.aio as vma
from vermilion.core.config import client_from_url
from vermilion.server import EmbeddedServer


def _opened(raw: Any) -> int:
    return int(raw.info("stats")["total_connections_received"])


def run(n: int, rounds: int) -> dict[str, tuple[float, int]]:
    server = EmbeddedServer(tcp=True)
    raw = redis.Redis(port=server.port)
    samples: dict[str, list[float]] = {"sync, sequential": [], "vermilion.aio, gather": [],
                                       "redis-py asyncio, gather": []}
    opened: dict[str, int] = {}
    try:
        sync_list = vm.List(key="bench:sync", client=client_from_url(server.url))
        for _ in range(rounds):
            raw.delete("bench:sync", "bench:vm", "bench:rp")
            t0 = time.perf_counter()
            for i in range(n):
                sync_list.append(i)
            samples["sync, sequential"].append(n / (time.perf_counter() - t0))

            async def vm_gather() -> float:
                client = client_from_url(server.url, asyncio_=True)
                lst = vma.List(key="bench:vm", client=client)
                await lst.append(-1)  # connect, load nothing: the timed part is the gather
                t = time.perf_counter()
                await asyncio.gather(*(lst.append(i) for i in range(n)))
                rate = n / (time.perf_counter() - t)
                await vma.aclose(client)
                await client.aclose()
                return rate

            before = _opened(raw)
            samples["vermilion.aio, gather"].append(asyncio.run(vm_gather()))
            opened["vermilion.aio, gather"] = _opened(raw) - before

            async def rp_gather() -> float:
                pool = aioredis.BlockingConnectionPool(port=server.port, max_connections=64)
                client = aioredis.Redis(connection_pool=pool)
                await client.rpush("bench:rp", -1)
                t = time.perf_counter()
                await asyncio.gather(*(client.rpush("bench:rp", i) for i in range(n)))
                rate = n / (time.perf_counter() - t)
                await client.aclose()
                return rate

            before = _opened(raw)
            samples["redis-py asyncio, gather"].append(asyncio.run(rp_gather()))
            opened["redis-py asyncio, gather"] = _opened(raw) - before
            assert raw.llen("bench:vm") == n + 1 and raw.llen("bench:rp") == n + 1
        opened["sync, sequential"] = 1
        return {k: (statistics.median(v), opened[k]) for k, v in samples.items()}
    finally:
        server.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    results = run(args.n, args.rounds)
    base = results["sync, sequential"][0]
    print(f"{args.n:,} appends, median of {args.rounds} rounds")
    print(f"{'run':28} {'ops/s':>9} {'vs sync':>8} {'connections':>12}")
    for name, (rate, conns) in results.items():
        print(f"{name:28} {rate:9,.0f} {rate / base:7.2f}x {conns:12}")


if __name__ == "__main__":
    main()
