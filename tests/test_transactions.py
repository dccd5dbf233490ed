"""vermilion.transaction(): queued writes, WATCHed reads, conflicts, async."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import vermilion as vm
from vermilion.aio import List as AList
from vermilion.aio import transaction as atransaction


def test_writes_apply_together(r: Any) -> None:
    a, b = vm.List(key="a"), vm.List(key="b")
    with vm.transaction():
        for i in range(20):
            a.append(i)
            b.append(-i)
        assert r.llen("a") == 0  # nothing sent before the block ends
    assert a.copy() == list(range(20)) and b.copy() == [-i for i in range(20)]


def test_results_are_queued(r: Any) -> None:
    a = vm.List([1, 2, 3], key="a")
    with vm.transaction():
        popped = a.pop()
        assert isinstance(popped, vm.Queued) and not popped.done
    assert popped.value == 3


def test_reads_see_state_before_the_block_and_are_watched(r: Any) -> None:
    a = vm.List([1], key="a")
    with vm.transaction():
        a.append(2)
        assert len(a) == 1
    assert a.copy() == [1, 2]


def test_conflict_applies_nothing(r: Any) -> None:
    a = vm.List([1], key="a")
    b = vm.List(key="b")
    with pytest.raises(vm.TransactionConflict):
        with vm.transaction():
            n = len(a)
            r.rpush("a", b"2")  # another client changes what we read
            b.append(n)
    assert b.copy() == []


def test_exception_in_block_discards(r: Any) -> None:
    a = vm.List(key="a")
    with pytest.raises(RuntimeError):
        with vm.transaction():
            a.append(1)
            raise RuntimeError("boom")
    assert a.copy() == []
    a.append(2)  # the client still works afterwards
    assert a.copy() == [2]


def test_one_round_trip_for_the_commit(r: Any) -> None:
    a, b = vm.List(key="a"), vm.List(key="b")
    a.insert(0, 1)
    r.round_trips.reset()
    with vm.transaction():
        a.append(1)
        a.insert(0, 0)
        b.extend([1, 2])
    assert r.round_trips.count == 1


def test_blocking_ops_refused(r: Any) -> None:
    a = vm.List([2, 1])
    with pytest.raises(vm.TransactionError):
        with vm.transaction():
            a.sort()


def test_transactions_are_per_thread(r: Any) -> None:
    a = vm.List(key="a")
    seen: list[Any] = []
    with vm.transaction():
        a.append(1)
        t = threading.Thread(target=lambda: seen.append(a.append(2)))
        t.start()
        t.join()
    assert seen == [None]
    assert sorted(a.copy()) == [1, 2]


def test_nesting_refused(r: Any) -> None:
    with pytest.raises(vm.TransactionError):
        with vm.transaction():
            with vm.transaction():
                pass


async def test_async_transaction(ar: Any) -> None:
    a = AList(key="a")
    async with atransaction():
        await a.append(1)
        await a.append(2)
        assert await a.len() == 0
    assert await a.copy() == [1, 2]


async def test_async_conflict(ar: Any) -> None:
    a = AList([1], key="a")
    await a
    b = AList(key="b")
    with pytest.raises(vm.TransactionConflict):
        async with atransaction():
            await a.len()
            await ar.rpush("a", b"9")
            await b.append(1)
    assert await b.copy() == []


async def test_cancellation_is_never_swallowed(ar: Any) -> None:
    """redis-py 8.1 can swallow a cancel while connecting/reading; vermilion re-raises it."""
    import asyncio

    from vermilion.aio import Queue

    for i in range(40):
        q = Queue(key="cancel")
        task = asyncio.create_task(q.get())
        for _ in range(i % 8):
            await asyncio.sleep(0)
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=5)
        assert done, f"cancellation lost at iteration {i}"
        assert task.cancelled()
