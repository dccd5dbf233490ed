"""Configuration, URLs, the embedded server, and the no-retry policy."""

from __future__ import annotations

import subprocess
import sys
import time
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


# -- one rule for the default Redis (issue 8) ----------------------------------------------------

def _clean_env(**extra: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if k != "VERMILION_URL"}
    env.update(extra)
    return env


def _script(tmp_path: Any, code: str) -> str:
    path = tmp_path / "script.py"  # spawned children import __main__ from a file
    path.write_text(code)
    return str(path)


def test_nothing_configured_means_a_private_server_shared_with_children(tmp_path: Any) -> None:
    code = (
        "import multiprocessing as mp, os, warnings\n"
        "import vermilion as vm\n"
        "def child(q):\n"
        "    q.put(vm.List(key='x').copy())\n"
        "if __name__ == '__main__':\n"
        "    with warnings.catch_warnings(record=True) as w:\n"
        "        warnings.simplefilter('always')\n"
        "        vm.List([1, 2], key='x')\n"
        "    print(any(issubclass(x.category, vm.EmbeddedServerWarning) for x in w))\n"
        "    print(os.environ['VERMILION_URL'].startswith('unix:///tmp/vm-'))\n"
        "    ctx = mp.get_context('spawn'); q = ctx.Queue()\n"
        "    p = ctx.Process(target=child, args=(q,)); p.start(); print(q.get(timeout=60)); p.join()\n"
    )
    out = subprocess.run([sys.executable, _script(tmp_path, code)], capture_output=True, text=True,
                         timeout=120, env=_clean_env())
    assert out.stdout.split() == ["True", "True", "[1,", "2]"], out.stderr


def test_configure_exports_the_url_to_spawned_children(
    vermilion_server: EmbeddedServer, tmp_path: Any
) -> None:
    code = (
        "import multiprocessing as mp, sys\n"
        "import vermilion as vm\n"
        "def child(q):\n"
        "    q.put(vm.List(key='shared').copy())\n"
        "if __name__ == '__main__':\n"
        "    vm.configure(url=sys.argv[1])\n"
        "    vm.List(['parent'], key='shared')\n"
        "    ctx = mp.get_context('forkserver'); q = ctx.Queue()\n"
        "    p = ctx.Process(target=child, args=(q,)); p.start(); print(q.get(timeout=60)); p.join()\n"
    )
    out = subprocess.run([sys.executable, _script(tmp_path, code), vermilion_server.url],
                         capture_output=True, text=True, timeout=120, env=_clean_env())
    assert out.stdout.strip() == "['parent']", out.stderr


def test_configure_with_no_argument_restores_the_environment(r: Any) -> None:
    import os

    before = config._state.original_env
    vm.configure(url="redis://127.0.0.1:2/0")
    assert os.environ["VERMILION_URL"] == "redis://127.0.0.1:2/0"
    vm.configure()
    assert os.environ.get("VERMILION_URL") == before


def test_configure_takes_redis_py_arguments_like_hot_redis() -> None:
    with EmbeddedServer(tcp=True) as server:
        vm.configure(host="127.0.0.1", port=server.port)  # the seed's configure(host=, port=)
        try:
            assert vm.List([1], key="k").copy() == [1]
            assert redis.Redis(port=server.port).llen("k") == 1
        finally:
            vm.configure()
        client = vm.HotClient(host="127.0.0.1", port=server.port)  # the seed's HotClient
        q = vm.Queue(client=client)
        q.put("x")
        assert q.get(timeout=1) == "x"
        assert client.get_retry().get_retries() == 0
    with pytest.raises(TypeError, match="unsupported"):
        vm.configure(host="h", decode_responses=True)
    with pytest.raises(TypeError):
        vm.configure(url="redis://h", host="h")


def test_url_of_a_client_for_children() -> None:
    c = redis.Redis(host="db.example", port=6380, db=2, username="u", password="p w")
    assert config.url_of_client(c) == "redis://u:p%20w@db.example:6380/2"
    u = redis.Redis(unix_socket_path="/tmp/x.sock")
    assert config.url_of_client(u) == "unix:///tmp/x.sock?db=0"
    assert config.url_of_client(redis.Redis(ssl=True)) is None  # TLS options cannot be told


def test_server_started_from_a_short_lived_thread_survives_it() -> None:
    import threading

    box: list[EmbeddedServer] = []
    t = threading.Thread(target=lambda: box.append(EmbeddedServer()))
    t.start()
    t.join()
    time.sleep(0.3)  # a parent-death signal tied to the thread would have killed it by now
    try:
        assert redis.Redis.from_url(box[0].url).ping()
    finally:
        box[0].stop()


def test_embedded_directories_are_removed_at_exit_and_swept_after_a_kill() -> None:
    import os
    import signal

    code = ("import vermilion as vm, sys; s = vm.server.EmbeddedServer(); print(s.dir, flush=True);"
            "sys.stdin.read() if len(sys.argv) > 1 else None")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert not os.path.exists(out.stdout.strip()), "an exiting process leaves its directory"
    proc = subprocess.Popen([sys.executable, "-c", code, "wait"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    left = proc.stdout.readline().strip()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert os.path.exists(left)  # SIGKILL runs no cleanup ...
    EmbeddedServer().stop()  # ... the next server sweeps it
    assert not os.path.exists(left)
