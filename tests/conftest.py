"""Fixtures: private redis-server processes and a local Redis Cluster, started here.

Tests never use a Redis server that was already running on the machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry

import vermilion
from vermilion.server import LocalCluster

pytest_plugins = ["vermilion.testing"]

# Anything left unconfigured must fail loudly rather than reach a Redis the machine already runs
# (port 1 refuses connections); every fixture configures a private server explicitly.
os.environ["VERMILION_URL"] = "redis://127.0.0.1:1/0"


@pytest.fixture
def r(redis_client: Any) -> Any:
    """A flushed private server's sync client with round-trip counting; vermilion configured on it."""
    return redis_client


@pytest.fixture
async def ar(async_redis_client: Any, vermilion_server: Any) -> Any:
    """The asyncio twin of ``r`` (the sync face, if used, goes to the same server)."""
    vermilion.configure(client=async_redis_client, url=vermilion_server.url)
    return async_redis_client


@pytest.fixture(scope="session")
def local_cluster() -> Iterator[LocalCluster]:
    cluster = LocalCluster(3)
    yield cluster
    cluster.stop()


@pytest.fixture
def rc(local_cluster: LocalCluster) -> Iterator[Any]:
    """A sync RedisCluster client on the flushed local cluster."""
    client = RedisCluster.from_url(local_cluster.url, retry=Retry(NoBackoff(), 0))
    client.flushall(target_nodes=RedisCluster.PRIMARIES)
    vermilion.configure(client=client)
    yield client
    client.close()


@pytest.fixture
async def arc(local_cluster: LocalCluster) -> Any:
    from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster

    client = AsyncRedisCluster.from_url(local_cluster.url, retry=Retry(NoBackoff(), 0))
    await client.flushall(target_nodes=AsyncRedisCluster.PRIMARIES)
    vermilion.configure(client=client)
    yield client
    await client.aclose()
