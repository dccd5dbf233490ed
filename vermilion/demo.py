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


def _worker(url: str, n: int) -> None:
    """The second process: opens the same objects by key and works on them."""
    vm.configure(url)
    tasks = vm.List(key=P + "tasks")
    tasks.append(f"from worker {n}")
    _optional_worker_steps(n)


def _optional_worker_steps(n: int) -> None:
    if hasattr(vm, "MultiSet"):
        vm.MultiSet(key=P + "scores").update(["worker"] * n)
    if hasattr(vm, "Queue"):
        q = vm.Queue(key=P + "jobs")
        for _ in range(2):
            job = q.get(timeout=10)
            vm.List(key=P + "done").append(f"worker {n} did {job}")
            q.task_done()
    if hasattr(vm, "Lock") and hasattr(vm, "Int"):
        counter = vm.Int(key=P + "counter")
        for _ in range(50):
            with vm.Lock(key=P + "lock", timeout=10):
                counter.value = counter.value + 1  # read-modify-write made safe by the lock


def _show(label: str, value: Any) -> None:
    print(f"  {label:<34} {value!r}")


def run_demo(url: str | None) -> int:
    server = None
    if not url:
        from .server import EmbeddedServer

        server = EmbeddedServer()
        url = server.url
        print(f"No VERMILION_URL set: started a private redis-server at {url}")
    try:
        vm.configure(url)
        keys = [P + k for k in ("tasks", "scores", "jobs", "done", "counter", "lock")]
        vm.List(key=keys[0]).delete()
        for k in keys[1:]:
            vm.List(key=k).delete()
        tasks = vm.List(["a", "b"], key=P + "tasks")
        print("\nProcess A created", tasks)
        if hasattr(vm, "Queue"):
            q = vm.Queue(key=P + "jobs")
            for job in ("resize", "upload", "index", "mail"):
                q.put(job)
        workers = [mp.get_context("spawn").Process(target=_worker, args=(url, n))
                   for n in (1, 2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
        print("\nAfter two worker processes ran, process A sees:")
        _show("List tasks", tasks.copy())
        tasks.reverse()
        _show("after tasks.reverse() (atomic)", tasks.copy())
        _show("tasks[0], len(tasks)", (tasks[0], len(tasks)))
        if hasattr(vm, "MultiSet"):
            _show("MultiSet.most_common(1)", vm.MultiSet(key=P + "scores").most_common(1))
        if hasattr(vm, "Queue"):
            _show("jobs done (Queue, exactly once)", sorted(vm.List(key=P + "done").copy()))
        if hasattr(vm, "Int"):
            _show("Int counter (100 locked increments)", vm.Int(key=P + "counter").value)
        with vm.transaction():
            tasks.append(1)
            tasks.append(2.5)
        _show("after a transaction (types kept)", tasks.copy())
        for k in keys:
            vm.List(key=k).delete()
        print("\nDone: every value above lived in Redis and kept its Python type.")
        return 0
    finally:
        if server is not None:
            server.stop()
