"""The example from the README, run as written (sync and asyncio)."""

from __future__ import annotations

from typing import Any

import vermilion as vm


def test_readme_example(r: Any) -> None:
    tasks = vm.List(["a", "b"], key="tasks")
    assert r.lrange("tasks", 0, -1) == [b'"a"', b'"b"']
    tasks += ["c"]
    tasks.reverse()
    assert tasks[0] == "c"
    other_machine = vm.List(key="tasks")
    assert other_machine == ["c", "b", "a"]
    scores = vm.MultiSet(key="scores")
    scores.update(["x", "y", "x"])
    assert scores.most_common(1) == [("x", 2)]
    with vm.Lock(key="job:42", timeout=30):
        assert vm.Lock(key="job:42").locked()
    assert not vm.Lock(key="job:42").locked()
    with vm.transaction():
        tasks.append(1)
        scores["z"] += 1
    assert tasks.copy() == ["c", "b", "a", 1]
    assert scores["z"] == 1


async def test_readme_async_example(ar: Any) -> None:
    vm.List(["a"], key="tasks")
    lst = vm.aio.List(key="tasks")
    await lst.append("d")
    assert [x async for x in lst] == ["a", "d"]
