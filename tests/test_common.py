"""What every object has: expire / ttl / persist / delete over all its keys, references, repr."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import vermilion as vm


def _filled() -> list[tuple[str, Callable[[], Any]]]:
    def queue(cls: Any, item: Any = "a") -> Callable[[], Any]:
        def make() -> Any:
            q = cls()
            q.put(item)
            return q
        return make

    def locked(cls: Any) -> Callable[[], Any]:
        def make() -> Any:
            lock = cls(timeout=60)
            lock.acquire()
            return lock
        return make

    return [
        ("List", lambda: vm.List([1, 2])),
        ("Dict", lambda: vm.Dict({"a": 1})),
        ("DefaultDict", lambda: vm.DefaultDict(list, {"a": [1]})),
        ("Set", lambda: vm.Set({1})),
        ("MultiSet", lambda: vm.MultiSet("aab")),
        ("String", lambda: vm.String("x")),
        ("ImmutableString", lambda: vm.ImmutableString("x")),
        ("Int", lambda: vm.Int(3)),
        ("Float", lambda: vm.Float(1.5)),
        ("Deque", lambda: vm.Deque([1], maxlen=5)),
        ("Queue", queue(vm.Queue)),
        ("LifoQueue", queue(vm.LifoQueue)),
        ("PriorityQueue", queue(vm.PriorityQueue, (1, "a"))),
        ("SimpleQueue", queue(vm.SimpleQueue)),
        ("SetQueue", queue(vm.SetQueue)),
        ("LifoSetQueue", queue(vm.LifoSetQueue)),
        ("Lock", locked(vm.Lock)),
        ("RLock", locked(vm.RLock)),
        ("Semaphore", locked(vm.Semaphore)),
    ]


FILLED = _filled()


@pytest.mark.parametrize("name,make", FILLED, ids=[n for n, _ in FILLED])
def test_expire_persist_delete_cover_every_key(r: Any, name: str, make: Any) -> None:
    obj = make()
    existing = [k for k in obj.keys_owned if r.exists(k)]
    assert obj.key in existing
    assert obj.expire(100) is True
    assert 99 < obj.ttl <= 100
    assert all(0 < r.ttl(k) <= 100 for k in existing)
    assert obj.persist() is True
    assert obj.ttl is None
    assert all(r.ttl(k) == -1 for k in existing)
    assert obj.delete() is True
    assert not any(r.exists(k) for k in obj.keys_owned)
    assert obj.ttl is None


@pytest.mark.parametrize("make,empty", [
    (lambda: vm.List(), True), (lambda: vm.List([0]), False), (lambda: vm.Dict(), True),
    (lambda: vm.Dict({0: 0}), False), (lambda: vm.Set(), True), (lambda: vm.Set({0}), False),
    (lambda: vm.MultiSet(), True), (lambda: vm.Deque(), True), (lambda: vm.Deque([0]), False),
    (lambda: vm.String(), True), (lambda: vm.String("a"), False), (lambda: vm.Int(), True),
    (lambda: vm.Int(2), False), (lambda: vm.Float(0.0), True),
])
def test_truthiness_like_python(r: Any, make: Any, empty: bool) -> None:
    assert bool(make()) is (not empty)


def test_generated_keys_are_readable_and_distinct(r: Any) -> None:
    keys = {vm.List().key, vm.List().key, vm.Dict().key, vm.Set().key}
    assert len(keys) == 4
    assert all(k.split(":", 1)[0] in {"List", "Dict", "Set"} for k in keys)


def test_nested_objects_in_a_dict_are_live_references(r: Any) -> None:
    user = vm.Dict(key="User:1")
    user["friends"] = vm.List(["bob"], key="User:1:friends")
    user["scores"] = vm.MultiSet("xx", key="User:1:scores")
    friends = vm.Dict(key="User:1")["friends"]
    assert isinstance(friends, vm.List) and friends.key == "User:1:friends"
    friends.append("eve")
    assert vm.List(key="User:1:friends").copy() == ["bob", "eve"]
    assert user["scores"]["x"] == 2


async def test_async_references_open_async_objects(ar: Any) -> None:
    d = vm.aio.Dict(key="d")
    await d.setitem("l", vm.aio.List(key="inner"))
    inner = await d["l"]
    assert isinstance(inner, vm.aio.List)
    await inner.append(1)
    assert await vm.aio.List(key="inner").copy() == [1]


def _append_in_child(lst: Any) -> None:
    lst.append("from child")


def test_objects_pickle_as_references(r: Any, vermilion_server: Any, monkeypatch: Any) -> None:
    """A pickled object is re-opened on the receiver's default Redis (here VERMILION_URL)."""
    import copy
    import multiprocessing as mp
    import pickle

    lst = vm.List([1], key="shared")
    assert pickle.loads(pickle.dumps(lst)).key == "shared"
    monkeypatch.setenv("VERMILION_URL", vermilion_server.url)
    child = mp.get_context("spawn").Process(target=_append_in_child, args=(lst,))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert lst.copy() == [1, "from child"]
    deep = copy.deepcopy(vm.Dict({"a": [1, 2]}))
    assert deep == {"a": [1, 2]} and type(deep) is dict
