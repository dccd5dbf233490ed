"""User code type-checked by ``mypy --strict`` in tests/test_typed_api.py (never run)."""

from __future__ import annotations

import collections
from collections.abc import Awaitable, MutableMapping, MutableSequence

from typing_extensions import assert_type

import vermilion as vm
import vermilion.aio as vma


def sync_face() -> None:
    lst: vm.List[int] = vm.List([1, 2], key="l")
    assert_type(lst.pop(), int)
    assert_type(lst[0], int)
    assert_type(lst[0:2], list[int])
    assert_type(lst.copy(), list[int])
    assert_type(len(lst), int)
    assert_type(lst.index(2), int)
    assert_type(lst.append(3), None)
    assert_type(vm.List(["a"]), vm.List[str])
    seq: MutableSequence[int] = lst  # a registered MutableSequence, checked structurally too

    d: vm.Dict[str, float] = vm.Dict(key="d")
    assert_type(d["a"], float)
    assert_type(d.copy(), dict[str, float])
    assert_type(d.popitem(), tuple[str, float])
    assert_type(list(d), list[str])
    assert_type(d.len(), int)
    mapping: MutableMapping[str, float] = d

    s: vm.Set[str] = vm.Set(key="s")
    assert_type(s.pop(), str)
    assert_type(s.copy(), set[str])
    assert_type("x" in s, bool)

    dq: vm.Deque[bytes] = vm.Deque(key="q")
    assert_type(dq.popleft(), bytes)
    assert_type(dq[0], bytes)
    assert_type(dq.copy(), collections.deque[bytes])

    c: vm.MultiSet[str] = vm.MultiSet(key="c")
    assert_type(c["a"], int)
    assert_type(c.most_common(1), list[tuple[str, int]])
    assert_type(c.total(), int)

    n = vm.Int(key="n")
    assert_type(n.incr(2), int)
    del seq, mapping


async def async_face() -> None:
    lst = vma.List[int](key="l")
    assert_type(lst.pop(), Awaitable[int])
    assert_type(await lst.pop(), int)
    assert_type(await lst[0], int)
    assert_type(await lst.len(), int)
    d = vma.Dict[str, int](key="d")
    assert_type(await d["a"], int)
    assert_type(await d.copy(), dict[str, int])
    s = vma.Set[int](key="s")
    assert_type(await s.contains(1), bool)
    dq = vma.Deque[str](key="q")
    assert_type(await dq.popleft(), str)
    c = vma.MultiSet[str](key="c")
    assert_type(await c["x"], int)
    n = vma.Int(key="n")
    assert_type(await n.incr(1), int)


def queues_and_locks() -> None:
    q: vm.Queue[str] = vm.Queue(key="q")
    assert_type(q.get(), str)
    assert_type(q.put("x"), None)
    assert_type(vm.Lock(key="l").acquire(), bool)


async def async_queues() -> None:
    q = vma.Queue[int](key="q")
    assert_type(await q.get(), int)


def models_faces() -> None:
    from typing import Annotated

    from vermilion.models import (
        Children,
        Index,
        LazyCommand,
        Model,
        Ref,
        Repository,
        Unique,
        UnitOfWork,
    )
    from vermilion.models.aio import Repository as AsyncRepository
    from vermilion.models.aio import UnitOfWork as AsyncUnitOfWork

    class User(Model):
        email: Annotated[str, Unique]
        age: Annotated[int, Index] = 0
        best: Ref[User] | None = None
        friends: Children[list[User]] = []

    users = Repository(User)
    assert_type(users, Repository[User])
    assert_type(users.get("luke"), User)
    assert_type(users.filter(users.specs.filter(age__gte=18)), list[User])
    assert_type(users.filter(lazy=True), LazyCommand[list[User]])
    assert_type(users.count(), int)
    assert_type(users.save(User(email="a@b")), User)
    assert_type(users.delete("luke"), int)
    with UnitOfWork(users) as uow:
        assert_type(uow.repository.get("luke"), User)
        uow.commit()

    ausers = AsyncRepository(User)
    assert_type(ausers.get("luke"), Awaitable[User])
    assert_type(ausers.filter(), Awaitable[list[User]])
    assert_type(ausers.count(), Awaitable[int])
    assert_type(ausers.save(User(email="a@b")), Awaitable[User])
    assert_type(AsyncUnitOfWork(ausers).repository, AsyncRepository[User])
