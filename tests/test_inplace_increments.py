"""``d[k] += 1``, ``c[k] += 1``, ``lst[0] += 1``: atomic increments, never a lost update.

An ``int`` read from a container slot is a ``TrackedInt`` remembering the slot; storing
``read + n`` back in the same slot sends ``n`` as one atomic increment (a script), so concurrent
read-modify-writes compose instead of overwriting each other.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
from collections.abc import Callable
from typing import Any

import pytest

import vermilion as vm
from vermilion.types._container import TrackedInt

THREADS = 8
PER_THREAD = 200
PROCS = 4
PER_PROC = 200


def _hammer(make: Callable[[], Any], bump: Callable[[Any], None]) -> None:
    """THREADS threads, each with its own handle on the object, bumping it PER_THREAD times."""
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def work() -> None:
        obj = make()
        start.wait()
        try:
            for _ in range(PER_THREAD):
                bump(obj)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors


def _dict_bump(d: Any) -> None:
    d["n"] += 1


def _get_bump(d: Any) -> None:
    d["m"] = d.get("m", 0) + 1


def _counter_bump(c: Any) -> None:
    c["hits"] += 1


def _list_bump(lst: Any) -> None:
    lst[0] += 1


def _deque_bump(dq: Any) -> None:
    dq[-1] -= 1


def _defaultdict_bump(d: Any) -> None:
    d["z"] += 1


def test_threads_lose_no_update(r: Any) -> None:
    total = THREADS * PER_THREAD
    vm.Dict({"n": 0}, key="d")
    _hammer(lambda: vm.Dict(key="d"), _dict_bump)
    _hammer(lambda: vm.Dict(key="d"), _get_bump)
    _hammer(lambda: vm.MultiSet(key="c"), _counter_bump)
    vm.List([0, "x"], key="l")
    _hammer(lambda: vm.List(key="l"), _list_bump)
    vm.Deque(["x", 0], key="q")
    _hammer(lambda: vm.Deque(key="q"), _deque_bump)
    _hammer(lambda: vm.DefaultDict(int, key="dd"), _defaultdict_bump)
    assert vm.Dict(key="d").copy() == {"n": total, "m": total}
    assert vm.MultiSet(key="c")["hits"] == total
    assert vm.List(key="l").copy() == [total, "x"]
    assert vm.Deque(key="q").copy() == __import__("collections").deque(["x", -total])
    assert vm.DefaultDict(key="dd").copy() == {"z": total}


def _proc_worker(url: str) -> None:
    vm.configure(url=url)
    d, c, lst = vm.Dict(key="pd"), vm.MultiSet(key="pc"), vm.List(key="pl")
    for _ in range(PER_PROC):
        d["n"] += 1
        c["hits"] += 1
        lst[0] += 1


@pytest.mark.slow
def test_processes_lose_no_update(r: Any, vermilion_server: Any) -> None:
    vm.Dict({"n": 0}, key="pd")
    vm.List([0], key="pl")
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_proc_worker, args=(vermilion_server.url,))
             for _ in range(PROCS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    total = PROCS * PER_PROC
    assert vm.Dict(key="pd")["n"] == total
    assert vm.MultiSet(key="pc")["hits"] == total
    assert vm.List(key="pl")[0] == total


def test_round_trips_stay_two(r: Any) -> None:
    d, c, lst = vm.Dict({"n": 1}), vm.MultiSet(), vm.List([1])
    for _ in range(2):  # the second time, scripts are loaded
        r.round_trips.reset()
        d["n"] += 1
        assert r.round_trips.count == 2
        r.round_trips.reset()
        c["x"] += 1
        assert r.round_trips.count == 2
        r.round_trips.reset()
        lst[0] += 1
        assert r.round_trips.count == 2
    assert d["n"] == 3 and c["x"] == 2 and lst[0] == 3


def test_tracked_int_is_the_int(r: Any) -> None:
    d = vm.Dict({"n": 5, "b": True, "f": 1.5, "big": 2**60})
    n = d["n"]
    assert isinstance(n, int) and type(n) is TrackedInt and n == 5 and hash(n) == hash(5)
    assert type(d["b"]) is bool and type(d["f"]) is float and type(d["big"]) is int
    assert n * 2 == 10 and type(n * 2) is int and -n == -5 and str(n) == "5"
    assert type(n + 1) is TrackedInt and type(1 + n) is TrackedInt and type(n - 1) is TrackedInt
    assert type(10 - n) is int and type(n + 0.5) is float
    import copy
    import pickle
    assert type(pickle.loads(pickle.dumps(n))) is int and type(copy.deepcopy(n)) is int
    lst = vm.List([n, n + 1])  # stored as plain ints
    assert lst.copy() == [5, 6] and r.lrange(lst.key, 0, -1) == [b"5", b"6"]


def test_only_the_same_slot_increments(r: Any) -> None:
    d = vm.Dict({"a": 1, "b": 10})
    d["b"] = d["a"] + 1  # another key: a plain write of the value
    assert d.copy() == {"a": 1, "b": 2}
    other = vm.Dict({"a": 100})
    other["a"] = d["a"] + 1  # another object: a plain write
    assert other["a"] == 2
    x = d["a"]
    d["a"] = 50  # this code wrote it meanwhile: x + 1 is a value, as in Python
    d["a"] = x + 1
    assert d["a"] == 2
    d["a"] = d["a"] * 3  # not a + or -: a plain write
    assert d["a"] == 6
    same_key = vm.Dict(key=d.key)
    same_key["a"] = d["a"] - 3  # another handle on the same key: still an increment
    assert d["a"] == 3


def test_fallback_when_the_slot_is_no_longer_an_int(r: Any) -> None:
    d = vm.Dict({"a": 1})
    x = d["a"]
    r.hset(d.key, '"a"', '"text"')  # another client replaced it
    d["a"] = x + 1  # the value computed from the read, as a plain read-then-write
    assert d["a"] == 2
    x = d["a"]
    del d["a"]
    d["a"] = x + 5
    assert d["a"] == 7
    lst = vm.List([1, 2])
    y = lst[1]
    lst.pop()
    with pytest.raises(IndexError):
        lst[1] = y + 1
    c = vm.MultiSet({"e": 3})
    z = c["e"]
    r.zrem(c.key, c._enc("e"))  # another client deleted it: ZINCRBY starts again from the increment
    c["e"] = z + 1
    assert c["e"] == 1
    z = c["e"]
    del c["e"]  # this code deleted it: z + 1 is a value, as in Python
    c["e"] = z + 1
    assert c["e"] == 2


def test_increments_beyond_lua_precision_are_plain_writes(r: Any) -> None:
    d = vm.Dict({"a": 2**53 - 2})
    d["a"] += 1
    d["a"] += 1  # 2**53: no longer tracked (not exact in Lua), a plain write
    d["a"] += 1
    assert d["a"] == 2**53 + 1 and type(d["a"]) is int


def test_inside_a_transaction(r: Any) -> None:
    c, d = vm.MultiSet(key="tc"), vm.Dict({"n": 1}, key="td")
    with vm.transaction():
        c["z"] += 1
        d["n"] += 1
    assert c["z"] == 1 and d["n"] == 2


async def test_async_face(ar: Any) -> None:
    d = await vm.aio.Dict({"n": 1})
    await d.setitem("n", (await d["n"]) + 2)
    c = vm.aio.MultiSet()
    await c.setitem("x", (await c["x"]) + 1)
    lst = await vm.aio.List([1])
    await lst.setitem(0, (await lst[0]) - 1)
    assert await d["n"] == 3 and await c["x"] == 1 and await lst[0] == 0


@pytest.mark.parametrize("raw, delta, expected", [
    (b"0", 1, 1), (b"-0", -1, -1), (b"-7", 10, 3), (b"999999999999999", 1, 10**15),
    (b"-999999999999999", -1, -(10**15)),
])
def test_increment_script_boundaries(r: Any, raw: bytes, delta: int, expected: int) -> None:
    d = vm.Dict({"a": 0})
    x = d["a"]
    r.hset(d.key, '"a"', raw)  # what is stored at write time: the increment applies to it
    d["a"] = x + delta
    assert d["a"] == expected and r.hget(d.key, '"a"') == str(expected).encode()


@pytest.mark.parametrize("raw", [b"1000000000000000", b"1.0", b"1e3", b"007", b'"5"', b"[1]"])
def test_not_a_safe_integer_takes_the_read_value(r: Any, raw: bytes) -> None:
    d = vm.Dict({"a": 4})
    x = d["a"]
    r.hset(d.key, '"a"', raw)  # no exact increment possible: the value from the read is written
    d["a"] = x + 1
    assert d["a"] == 5


def test_sequential_code_keeps_python_semantics(r: Any) -> None:
    """A value kept across another operation is written as a value, not an increment."""
    d = vm.Dict({"a": 3, "b": 10})
    old = d["a"]
    d["a"] = 5
    d["a"] = old  # a restore, as in Python (not "+0")
    assert d["a"] == 3
    old = d["a"]
    d["a"] = 5
    d["a"] = old + 1  # Python: 4 (an increment of the 5 would give 6)
    assert d["a"] == 4
    x, y = d["a"], d["b"]
    d["a"] = x + y  # another read in between: written as the value
    assert d["a"] == 14
    lst = vm.List([1, 2])
    first = lst[0]
    lst[0] = 100
    lst[0] = first + 1
    assert lst[0] == 2
    c = vm.MultiSet("aa")
    n = c["a"]
    c["a"] = 7
    c["a"] = n - 1
    assert c["a"] == 1


async def test_async_tasks_increment_concurrently(ar: Any) -> None:
    import asyncio

    d = await vm.aio.Dict({"n": 0})

    async def bump() -> None:
        for _ in range(25):
            await d.setitem("n", (await d["n"]) + 1)

    await asyncio.gather(*(bump() for _ in range(8)))
    assert await d["n"] == 200  # each task's read-then-write is an increment
