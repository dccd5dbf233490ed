"""``vermilion demo``: the types shared between two processes.

Runs on the Redis given by ``--url`` / ``VERMILION_URL``, else on an embedded private
redis-server that stops with the demo.  Keys used are prefixed ``vermilion-demo:`` and deleted
at the end (also when the demo is interrupted or its output pipe closes), so a demo on a real
server leaves nothing behind.  The workers take jobs from a :class:`vermilion.Queue`, which
delivers at least once: ``task_done()`` acknowledges each job.
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
        "lock": vm.Lock(key=P + "lock", timeout=10),  # delete() also drops its fencing counter
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
        with o["lock"]:
            o["counter"].value = o["counter"].value + 1  # read-modify-write, safe under the lock
    o["profile"][f"worker {n}"] = {"pid_parity": n % 2, "seen": o["tasks"][0]}


def _say(*args: Any) -> None:
    print(*args, flush=True)  # live progress; a closed pipe fails here, where the CLI handles it


def _show(label: str, value: Any) -> None:
    _say(f"  {label:<38} {value!r}")


def run_demo(url: str | None) -> int:
    server = None
    if not url:
        from .server import start_private_server

        server = start_private_server()
        url = server.url
        _say(f"No VERMILION_URL set: started a private redis-server at {url}")
    objects: dict[str, Any] = {}
    try:
        vm.configure(url)
        o = _objects()
        for obj in o.values():
            obj.delete()
        objects = o  # reachable: the finally below deletes the demo's keys however it ends
        tasks: vm.List[Any] = vm.List(["a", "b"], key=P + "tasks")  # holds str, int, float
        _say("\nProcess A created", tasks)
        for job in ("resize", "upload", "index", "mail"):
            o["jobs"].put(job)
        ctx = mp.get_context("spawn")
        workers = [ctx.Process(target=_worker, args=(url, n)) for n in (1, 2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(120)
        _say("\nAfter two worker processes ran, process A sees:")
        _show("List tasks", tasks.copy())
        tasks.reverse()
        _show("after tasks.reverse() (atomic)", tasks.copy())
        _show("tasks[0], len(tasks)", (tasks[0], len(tasks)))
        _show("MultiSet.most_common(1)", o["scores"].most_common(1))
        # Queues deliver at least once: an item a worker got but never acknowledged with
        # task_done() would be delivered again after the visibility timeout.
        _show("jobs done (Queue: at least once, acked)", sorted(o["done"].copy()))
        _show("Int counter (100 locked increments)", o["counter"].value)
        _show("Dict written by the workers", o["profile"].copy())
        with vm.transaction():
            tasks.append(1)
            tasks.append(2.5)
            o["scores"]["z"] += 1
        _show("after a transaction (types kept)", tasks.copy())
        _say("\nDone: every value above lived in Redis and kept its Python type.")
        return 0
    finally:
        for obj in objects.values():
            try:
                obj.delete()
            except Exception:  # noqa: BLE001 - best effort: the server may be the problem
                break
        if server is not None:
            server.stop()
