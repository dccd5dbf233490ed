"""Configuration, URLs, the embedded server, and the no-retry policy."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import redis

import vermilion as vm
from vermilion.core import config
from vermilion.server import EmbeddedServer


def test_url_with_acl_user(vermilion_server: EmbeddedServer) -> None:
    with EmbeddedServer(tcp=True) as server:
        admin = redis.Redis(port=server.port)
        admin.execute_command("ACL SETUSER alice on >s3cret ~* &* +@all")
        vm.configure(f"redis://alice:s3cret@127.0.0.1:{server.port}/0")
        try:
            lst = vm.List([1], key="acl")
            assert lst.copy() == [1]
            users = {c["user"] for c in admin.client_list()}
            assert "alice" in users
        finally:
            vm.configure(url=vermilion_server.url)


def test_rediss_url_builds_a_tls_client() -> None:
    client = config.client_from_url("rediss://bob:pw@example.invalid:6380/2")
    kwargs = client.connection_pool.connection_kwargs
    assert client.connection_pool.connection_class is redis.SSLConnection
    assert (kwargs["username"], kwargs["password"], kwargs["db"]) == ("bob", "pw", 2)


def test_clients_never_retry_commands() -> None:
    client = config.client_from_url("redis://127.0.0.1:1/0")
    assert client.get_retry().get_retries() == 0


def test_vermilion_url_environment(vermilion_server: EmbeddedServer, tmp_path: Any) -> None:
    code = (
        "import vermilion as vm; l = vm.List([1, 2], key='env'); print(l.copy())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
        env={"VERMILION_URL": vermilion_server.url, "PATH": "/usr/bin:/bin"},
    )
    assert out.stdout.strip() == "[1, 2]", out.stderr


def test_embedded_url_starts_a_private_server() -> None:
    code = (
        "import vermilion as vm; vm.configure('embedded://'); l = vm.List([3], key='e');"
        "print(l.copy(), vm.core.config._state.embedded.url.startswith('unix://'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[3] True", out.stderr


def test_async_only_configuration_is_explained() -> None:
    import redis.asyncio as aioredis

    vm.configure(client=aioredis.Redis())
    try:
        with pytest.raises(vm.ConfigurationError, match="asyncio client only"):
            vm.List()
    finally:
        vm.configure()


def test_object_level_client(r: Any, vermilion_server: EmbeddedServer) -> None:
    other = redis.Redis(unix_socket_path=vermilion_server.socket_path, db=3)
    vm.List([1], key="k", client=other)
    assert other.llen("k") == 1 and r.llen("k") == 0
    other.flushdb()


def test_demo_runs_on_an_embedded_server() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "vermilion.cli", "demo"], capture_output=True, text=True,
        timeout=120, env={"PATH": "/usr/bin:/bin:/usr/local/bin"},
    )
    assert out.returncode == 0, out.stderr
    assert "from worker 1" in out.stdout and "from worker 2" in out.stdout
