"""A pytest plugin for testing code that uses vermilion: a private redis-server per session.

Enable it with ``pytest -p vermilion.testing`` (or ``pytest_plugins = ["vermilion.testing"]``).
Fixtures:

* ``vermilion_server`` (session): a private :class:`~vermilion.server.EmbeddedServer`.
* ``redis_client`` / ``async_redis_client``: clients on it whose round trips are counted
  (``client.round_trips``), never retrying commands.
* ``vermilion_config``: vermilion configured on the private server, flushed before each test.

Nothing here touches a Redis server the user already runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis
from redis.backoff import NoBackoff
from redis.retry import Retry

import vermilion
from vermilion.server import EmbeddedServer


class RoundTrips:
    """Counts packed writes to the server: one per round trip (a pipeline is one)."""

    def __init__(self) -> None:
        self.count: int = 0

    def reset(self) -> None:
        self.count = 0


def _counting(base: type, counter: RoundTrips) -> type:
    class Counting(base):  # type: ignore[misc, valid-type]
        def send_packed_command(self, command: Any, *args: Any, **kwargs: Any) -> Any:
            counter.count += 1
            return super().send_packed_command(command, *args, **kwargs)

    return Counting


def counting_client(url: str, counter: RoundTrips, *, asyncio_: bool = False) -> Any:
    """A redis-py client for ``url`` that counts its round trips in ``counter``."""
    mod: Any = aioredis if asyncio_ else redis
    client = mod.Redis.from_url(url, retry=Retry(NoBackoff(), 0))
    pool = client.connection_pool
    pool.connection_class = _counting(pool.connection_class, counter)
    client.round_trips = counter
    return client


@pytest.fixture(scope="session")
def vermilion_server() -> Iterator[EmbeddedServer]:
    server = EmbeddedServer()
    yield server
    server.stop()


@pytest.fixture
def redis_client(vermilion_server: EmbeddedServer) -> Iterator[Any]:
    client = counting_client(vermilion_server.url, RoundTrips())
    client.flushall()
    client.round_trips.reset()
    vermilion.configure(client=client, url=vermilion_server.url)
    yield client
    client.close()


@pytest.fixture
async def async_redis_client(vermilion_server: EmbeddedServer) -> AsyncIterator[Any]:
    client = counting_client(vermilion_server.url, RoundTrips(), asyncio_=True)
    await client.flushall()
    client.round_trips.reset()
    yield client
    await client.aclose()


@pytest.fixture
def vermilion_config(redis_client: Any) -> Any:
    return redis_client
