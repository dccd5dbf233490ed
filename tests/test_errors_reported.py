"""What vermilion says when Redis refuses or cannot run a request (issue 7, items 9 and 10).

* a refused connection or a server still loading its data: ``ServerUnavailable`` ("nothing was
  applied"), after retrying for ``retry_unavailable`` seconds, never ``ConnectionLost``;
* a transaction that fails names its keys, not ``MULTI``;
* keys with stray braces work on Cluster; keys that cannot be sent raise ``ValueError``;
* ACL refusals (``AccessDenied``) and ``maxmemory`` refusals (``OutOfMemory``) name the key;
* the ACL rules the README documents are enough for the types and SQL;
* ``durability()`` waits for replicas with ``WAIT`` in the same round trip.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

import vermilion as vm
from vermilion.core.config import client_from_url
from vermilion.server import EmbeddedServer, find_redis_server, server_version


@pytest.fixture
def own_server() -> Iterator[EmbeddedServer]:
    server = EmbeddedServer()
    vm.configure(url=server.url)
    yield server
    vm.configure(retry_unavailable=2.0, durability=None)
    server.stop()


# -- nothing ran: ServerUnavailable -------------------------------------------------------------

def test_refused_connection_is_server_unavailable_not_connection_lost(own_server: EmbeddedServer) -> None:
    lst = vm.List([1], key="jobs")
    own_server.kill()
    vm.configure(retry_unavailable=0)
    with pytest.raises(vm.ServerUnavailable) as info:
        lst.append(2)
    assert not isinstance(info.value, vm.ConnectionLost)
    assert isinstance(info.value, ConnectionError)  # still a ConnectionError for old handlers
    assert info.value.key == "jobs" and "nothing was applied" in str(info.value)


def test_refused_connection_is_retried_until_the_server_is_back(own_server: EmbeddedServer) -> None:
    lst = vm.List([1], key="jobs")
    own_server.kill()
    vm.configure(retry_unavailable=10)
    outcome: list[Any] = []
    writer = threading.Thread(target=lambda: outcome.append(lst.append(2)))
    writer.start()  # retries while the server is down
    time.sleep(0.3)
    own_server.start()  # from this thread: the server dies with the thread that started it
    writer.join()
    assert outcome == [None]  # the append ran once, on the restarted (empty) server
    assert lst.copy() == [2]


slow_loading = pytest.mark.skipif(
    server_version(find_redis_server()) < (7,),
    reason="Redis < 7 cannot be slowed down while loading (key-load-delay is ignored at startup)",
)


def _loading_server(directory: str, keys: int = 20000) -> tuple[subprocess.Popen[bytes], str]:
    """A redis-server that is loading an RDB slowly (key-load-delay), and its socket path."""
    seed = EmbeddedServer(directory=directory)
    raw = redis.Redis.from_url(seed.url)
    pipe = raw.pipeline(transaction=False)
    for i in range(keys):
        pipe.set(f"filler:{i}", i)
    pipe.execute()
    raw.save()
    raw.close()
    seed.kill()
    # ~2 s of LOADING, answering clients every KiB loaded
    cmd = seed._command() + ["--key-load-delay", "100", "--loading-process-events-interval-bytes", "1024"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(seed.socket_path)
            s.sendall(b"PING\r\n")
            reply = s.recv(64)
            s.close()
            if reply.startswith(b"-LOADING"):
                return proc, seed.url
            if reply.startswith(b"+PONG"):
                pytest.fail("the server finished loading before the test could use it")
        except OSError:
            pass
        assert time.monotonic() < deadline, "the server never started loading"
        time.sleep(0.002)


@slow_loading
def test_loading_server_write_waits_then_applies_once(tmp_path: Any) -> None:
    proc, url = _loading_server(str(tmp_path))
    try:
        vm.configure(url=url, retry_unavailable=30)
        counter = vm.Int(key="hits")
        assert counter.incr(1) == 1  # LOADING replies mean "not run": retried until loaded
        assert counter.value == 1
        assert vm.List(key="filler:1", client=None).exists()  # the loaded data is there
    finally:
        vm.configure(retry_unavailable=2.0)
        proc.kill()
        proc.wait()


@slow_loading
def test_loading_server_past_the_window_is_server_unavailable(tmp_path: Any) -> None:
    proc, url = _loading_server(str(tmp_path))
    try:
        vm.configure(url=url, retry_unavailable=0)
        with pytest.raises(vm.ServerUnavailable) as info:
            vm.Int(key="hits").incr(1)
        assert info.value.key == "hits" and "nothing was applied" in str(info.value)
    finally:
        vm.configure(retry_unavailable=2.0)
        proc.kill()
        proc.wait()
    assert not isinstance(info.value, vm.ConnectionLost)


# -- messages name keys -------------------------------------------------------------------------

def test_lost_transaction_names_its_keys(own_server: EmbeddedServer) -> None:
    a, b = vm.List(key="acct:a"), vm.List(key="acct:b")
    raw = redis.Redis.from_url(own_server.url)
    with pytest.raises(vm.ConnectionLost) as info:
        with vm.transaction():
            a.append(1)
            b.append(2)
            raw.client_pause(400, all=False)  # the commit waits, then its server dies
            threading.Timer(0.1, own_server.kill).start()
    text = str(info.value)
    assert info.value.key == "acct:a"
    assert "'acct:a'" in text and "'acct:b'" in text and "transaction" in text
    assert "MULTI" not in text and "None" not in text


def test_unencodable_key_is_a_value_error_naming_it() -> None:
    with pytest.raises(ValueError, match="cannot be encoded"):
        vm.List(key="\ud800", client=client_from_url("redis://127.0.0.1:1/0"))
    with pytest.raises(ValueError, match="UTF-8"):
        vm.List(key=b"\xff\xfe", client=client_from_url("redis://127.0.0.1:1/0"))


@pytest.mark.cluster
@pytest.mark.parametrize("key", ["a}b", "{}", "}{", "x{}y"])
def test_stray_braces_work_on_cluster(rc: Any, key: str) -> None:
    lock = vm.Lock(key=key, timeout=5)
    assert lock.acquire(timeout=1)
    assert lock.locked()
    lock.release()
    q = vm.Queue(key=key + ":q")
    q.put("job")
    assert q.get(timeout=1) == "job"
    q.task_done()
    ms = vm.MultiSet(key=key + ":m")
    ms.update("aab")
    assert ms.most_common(1) == [("a", 2)]


# -- ACL and maxmemory --------------------------------------------------------------------------

# The rules the README's "Access control" section gives for an application whose keys start
# with "app:" (and SQL databases).
README_ACL = [
    "on", ">secret", "resetkeys", "~app:*", "~{app:*", "~vermilion:sql:*", "resetchannels",
    "-@all", "+@read", "+@write", "+@keyspace", "+@list", "+@hash", "+@set", "+@sortedset",
    "+@string", "+@stream", "+@scripting", "+@transaction", "+@connection", "+@blocking",
    "+wait", "+time", "-@dangerous", "+config|get",
]


@pytest.fixture
def acl_user(own_server: EmbeddedServer) -> Iterator[str]:
    raw = redis.Redis.from_url(own_server.url)
    raw.acl_setuser("app", reset=True)
    raw.execute_command("ACL SETUSER", "app", *README_ACL)
    path = own_server.socket_path
    yield f"unix://app:secret@{path}?db=0"
    raw.close()


def test_acl_refusal_names_the_key(acl_user: str) -> None:
    vm.configure(url=acl_user)
    with pytest.raises(vm.AccessDenied) as info:
        vm.List(key="other:list").append(1)
    assert info.value.key == "other:list" and "Access control" in str(info.value)
    assert isinstance(info.value, PermissionError)


def test_documented_acl_rules_are_enough(acl_user: str) -> None:
    vm.configure(url=acl_user)
    lst = vm.List([1, 2], key="app:list")
    lst.insert(1, "x")
    assert lst.copy() == [1, "x", 2]
    d = vm.Dict({"a": 1}, key="app:dict")
    assert d.setdefault("b", 2) == 2
    with vm.transaction():
        lst.append(3)
        d["c"] = 3
    lock = vm.Lock(key="app:lock", timeout=5)
    with lock:
        assert lock.locked()
    q = vm.Queue(key="app:queue")
    q.put(1)
    assert q.get(timeout=1) == 1
    q.task_done()
    ms = vm.MultiSet("hello", key="app:counter")
    assert ms["l"] == 2
    sql = pytest.importorskip("vermilion.sql")
    db = sql.create_db("app_db")
    db.exec("CREATE TABLE t(x)")
    db.exec("INSERT INTO t VALUES (1)")
    assert db.query("SELECT x FROM t") == [(1,)]


def test_out_of_memory_write_is_refused_clearly_and_reads_go_on() -> None:
    with EmbeddedServer(extra_args=["--maxmemory", "2mb", "--maxmemory-policy", "noeviction"]) as s:
        vm.configure(url=s.url)
        lst = vm.List(key="big")
        chunk = "x" * 10_000
        with pytest.raises(vm.OutOfMemory) as info:
            for _ in range(2000):
                lst.append(chunk)
        assert info.value.key == "big" and "nothing was applied" in str(info.value)
        n = len(lst)
        assert n > 0 and lst[0] == chunk  # reads work on a full server
        with pytest.raises(vm.OutOfMemory):
            lst.append(chunk)
        assert len(lst) == n  # the refused write changed nothing


# -- durability -----------------------------------------------------------------------------------

@pytest.fixture
def replicated() -> Iterator[tuple[EmbeddedServer, EmbeddedServer]]:
    master = EmbeddedServer(tcp=True)
    replica = EmbeddedServer(tcp=True, extra_args=["--replicaof", "127.0.0.1", str(master.port)])
    raw = redis.Redis(port=replica.port)
    deadline = time.monotonic() + 20
    while raw.info("replication").get("master_link_status") != "up":
        assert time.monotonic() < deadline, "the replica never synced"
        time.sleep(0.02)
    vm.configure(url=master.url)
    yield master, replica
    vm.configure(durability=None)
    replica.stop()
    master.stop()


def test_durability_waits_for_replicas_in_the_same_round_trip(replicated: Any) -> None:
    master, replica = replicated
    client = client_from_url(master.url)
    vm.configure(client=client)
    lst = vm.List(key="audit")
    lst.append("warm-up")  # scripts loaded, connection made
    sent: list[Any] = []
    original = client._vermilion_executor._roundtrip

    def spy(conn: Any, calls: Any, use_sha: bool) -> Any:
        sent.append([c.name for c in calls])
        return original(conn, calls, use_sha)

    client._vermilion_executor._roundtrip = spy
    with vm.durability(1, timeout=2):
        lst.append("entry")
        assert lst[-1] == "entry"  # reads send no WAIT
    lst.append("unwaited")
    assert sent == [["RPUSH", "WAIT"], ["LINDEX"], ["RPUSH"]]
    assert redis.Redis(port=replica.port).lrange("audit", 0, -1)[1] == b'"entry"'


def test_not_replicated_carries_the_result(replicated: Any) -> None:
    master, replica = replicated
    replica.kill()
    lst = vm.List(["a", "b"], key="audit")
    with vm.durability(1, timeout=0.05):
        with pytest.raises(vm.NotReplicated) as info:
            lst.pop()
    assert info.value.result == "b" and info.value.acknowledged == 0 and info.value.wanted == 1
    assert info.value.key == "audit"
    assert lst.copy() == ["a"]  # applied on the master: Redis cannot undo it
    with vm.durability(0):  # turned off inside the block
        lst.append("c")


def test_durability_in_asyncio_and_transactions(replicated: Any) -> None:
    import asyncio

    import vermilion.aio as vma

    master, replica = replicated

    async def main() -> list[Any]:
        client = client_from_url(master.url, asyncio_=True)
        lst = vma.List(key="audit", client=client)
        with vma.durability(1, timeout=2):
            await lst.append(1)
            async with vma.transaction(client):
                await lst.append(2)
        values = await lst.copy()
        await client.aclose()
        return values

    assert asyncio.run(main()) == [1, 2]
    assert redis.Redis(port=replica.port).llen("audit") == 2


def test_durability_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        vm.Durability(1, timeout=0)
    with pytest.raises(TypeError):
        vm.Durability("1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        vm.configure(durability=1)  # type: ignore[arg-type]


def test_readme_durability_example_runs_as_written(replicated: Any) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = readme.split("**Replication is asynchronous.**", 1)[1].split("```python", 1)[1]
    code = block.split("```", 1)[0]
    assert "vm.durability(" in code
    exec(compile(code, "README.md", "exec"), {})
    master, replica = replicated
    assert redis.Redis(port=replica.port).lrange("ledger", 0, -1) == [b'{"paid":10}']
