"""How much a leaner path than redis-py's ``execute_command`` gains, on one GET.

Paths compared (each on its own TCP loopback connection to the same private server):

1. ``redis-py r.get(k)``: ``execute_command`` (pool checkout, retry wrapper, response callbacks).
2. ``vermilion op``: a ``@op`` method on a :class:`RedisObject` (generator + ``run_sync`` +
   executor): what every vermilion operation pays.
3. ``vermilion executor``: ``SyncExecutor.execute([Call])`` alone (pool checkout, pack, send,
   read with the hiredis parser).
4. ``redis-py conn, no pool``: the same packed write and ``read_response`` on a connection held
   by the caller: the executor minus the pool checkout/release.
5. ``raw socket``: ``sendall`` of a prepacked GET and one ``recv``: the floor for Python.
"""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Callable
from typing import Any

from vermilion.core.base import RedisObject, SyncFace, op
from vermilion.core.calls import Call, Operation
from vermilion.core.config import sync_executor
from vermilion.core.runner import drive_sync

from .harness import Env

KEY = "lean:get"
VALUE = b"0123456789"


class _BenchString(RedisObject):
    type_name = "BenchLeanString"

    @op
    def get(self) -> Operation:
        return (yield Call(("GET", self.key), (self.key,), readonly=True))


class _SyncBenchString(_BenchString, SyncFace):
    pass


def _paths(env: Env) -> tuple[dict[str, Callable[[], Any]], list[Any]]:
    env.rp.set(KEY, VALUE)
    r = env.rp
    obj = _SyncBenchString(key=KEY, client=env.vm)
    ex = sync_executor(env.vm)
    call = Call(("GET", KEY), (KEY,), readonly=True)
    calls = [call]

    def gen() -> Operation:
        return (yield call)

    # a connection of its own, held by the caller (no pool checkout per call)
    held = env.pot.connection_pool.make_connection()
    held.connect()
    packed = held.pack_command("GET", KEY)

    def held_get() -> Any:
        held.send_packed_command(packed)
        return held.read_response(disable_decoding=True)

    sock = socket.create_connection(("127.0.0.1", env.server.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    raw = b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(KEY), KEY.encode())
    expected = b"$%d\r\n%s\r\n" % (len(VALUE), VALUE)
    send, recv = sock.sendall, sock.recv

    def raw_get() -> bytes:
        send(raw)
        data = recv(65536)
        while not data.endswith(b"\r\n"):  # pragma: no cover - tiny replies arrive whole
            data += recv(65536)
        return data

    assert raw_get() == expected
    paths: dict[str, Callable[[], Any]] = {
        "redis-py r.get()": lambda: r.get(KEY),
        "vermilion @op method": obj.get,
        "vermilion drive_sync(generator)": lambda: drive_sync(gen(), ex),
        "vermilion executor.execute()": lambda: ex.execute(calls),
        "redis-py conn held, no pool": held_get,
        "raw socket, prepacked GET": raw_get,
    }
    return paths, [sock, held]


def run_lean(env: Env, n: int = 20_000, repeats: int = 5) -> dict[str, float]:
    """Ops/s (median of ``repeats`` rounds of ``n`` GETs, libraries interleaved) per path."""
    paths, closers = _paths(env)
    try:
        for name, fn in paths.items():
            assert fn() in (VALUE, [VALUE]) or name.startswith("raw"), name
            for _ in range(max(1, n // 10)):
                fn()
        samples: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(repeats):
            for name, fn in paths.items():
                t0 = time.perf_counter()
                for _ in range(n):
                    fn()
                samples[name].append(time.perf_counter() - t0)
        return {name: n / statistics.median(s) for name, s in samples.items()}
    finally:
        for c in closers:
            if isinstance(c, socket.socket):
                c.close()
            else:
                c.disconnect()


def format_lean(ops: dict[str, float]) -> str:
    base = ops["redis-py r.get()"]
    lines = [f"{'GET path':36} {'ops/s':>9} {'us/op':>7} {'vs r.get()':>10}"]
    for name, v in ops.items():
        lines.append(f"{name:36} {v:9,.0f} {1e6 / v:7.1f} {v / base:9.2f}x")
    return "\n".join(lines)
