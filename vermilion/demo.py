"""``vermilion demo``: the types shared between two processes.

Runs on the Redis given by ``--url`` / ``VERMILION_URL``, else on an embedded private
redis-server that stops with the demo.  Keys used are prefixed ``vermilion-demo:`` and deleted
at the end, so a demo on a real server leaves nothing behind.
"""

from __future__ import annotations

import multiprocessing as mp
from typing import Any

import vermilion as vm

P = "vermilion-demo:"


def _objects() -> dict[str, Any]:
    """The shared objects, opened by key: the same calls work in any process or machine."""
    return {
        "tasks": vm.List(key=P + "tasks"),
        "scores": vm.MultiSet(key=P + "scores"),
        "jobs": vm.Queue(key=P + "jobs"),
        "done": vm.List(key=P + "done"),
        "counter": vm.Int(key=P + "counter"),
        "profile": vm.Dict(key=P + "profile"),
    }


def _worker(url: str, n: int) -> None:
    """The second process: opens the same objects by key and works on them."""
    vm.configure(url)
    o = _objects()
    o["tasks"].append(f"from worker {n}")
    o["scores"].update(["worker"] * n)
    for _ in range(2):
        job = o["jobs"].get(timeout=10)
        o["done"].append(f"worker {n} did {job}")
        o["jobs"].task_done()
    for _ in range(50):
        with vm.Lock(key=P + "lock", timeout=10):
            o["counter"].value = o["counter"].value + 1  # read-modify-write, safe under the lock
    o["profile"][f"worker {n}"] = {"pid_parity": n % 2, "seen": o["tasks"][0]}


def _show(label: str, value: Any) -> None:
    print(f"  {label:<38} {value!r}")


def run_demo(url: str | None) -> int:
    server = None
    if not url:
        from .server import EmbeddedServer

        server = EmbeddedServer()
        url = server.url
        print(f"No VERMILION_URL set: started a private redis-server at {url}")
    try:
        vm.configure(url)
        o = _objects()
        for obj in o.values():
            obj.delete()
        tasks: vm.List[Any] = vm.List(["a", "b"], key=P + "tasks")  # mixed types below
        print("\nProcess A created", tasks)
        for job in ("resize", "upload", "index", "mail"):
            o["jobs"].put(job)
        ctx = mp.get_context("spawn")
        workers = [ctx.Process(target=_worker, args=(url, n)) for n in (1, 2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(120)
        print("\nAfter two worker processes ran, process A sees:")
        _show("List tasks", tasks.copy())
        tasks.reverse()
        _show("after tasks.reverse() (atomic)", tasks.copy())
        _show("tasks[0], len(tasks)", (tasks[0], len(tasks)))
        _show("MultiSet.most_common(1)", o["scores"].most_common(1))
        _show("jobs done (Queue, exactly once)", sorted(o["done"].copy()))
        _show("Int counter (100 locked increments)", o["counter"].value)
        _show("Dict written by the workers", o["profile"].copy())
        with vm.transaction():
            tasks.append(1)
            tasks.append(2.5)
            o["scores"]["z"] += 1
        _show("after a transaction (types kept)", tasks.copy())
        for obj in o.values():
            obj.delete()
        print("\nDone: every value above lived in Redis and kept its Python type.")
        return 0
    finally:
        if server is not None:
            server.stop()
