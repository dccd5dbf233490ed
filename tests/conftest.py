"""Fixtures: private redis-server processes, a local Redis Cluster and a private PostgreSQL
server, started here.

Tests never use a Redis or PostgreSQL server that was already running on the machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from postgres import PrivatePostgres
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


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PrivatePostgres]:
    """A private PostgreSQL server (tests/postgres.py) with an empty database ``vermilion_test``,
    shared by the session; never the machine's own server.  Without PostgreSQL's binaries the test
    is skipped, or fails under CI (CI set), which must install them."""
    if not PrivatePostgres.available():
        reason = ("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb, no initdb and "
                  "pg_ctl on PATH): apt-get install -y postgresql")
        if _ci():
            pytest.fail(f"CI must install PostgreSQL: {reason}", pytrace=False)
        pytest.skip(reason)
    server = PrivatePostgres()
    yield server
    server.stop()
