"""The cluster tier: a local 3-master Redis Cluster started by the fixtures."""

from __future__ import annotations

from typing import Any

import pytest

import vermilion as vm
from vermilion.aio import List as AList
from vermilion.aio import transaction as atransaction
from vermilion.core.keys import aux_key

pytestmark = pytest.mark.cluster


def test_list_operations_on_many_slots(rc: Any) -> None:
    lists = [vm.List(range(5), key=f"list:{i}") for i in range(30)]
    slots = {rc.keyslot(lst.key) for lst in lists}
    assert len(slots) > 3
    for lst in lists:
        lst.insert(2, "x")
        assert lst.pop(2) == "x"
        lst.reverse()
        assert lst.copy() == [4, 3, 2, 1, 0]
        assert lst[1:3] == [3, 2]
        assert lst.expire(100)


def test_iteration_on_cluster(rc: Any) -> None:
    lst = vm.List(range(6000), key="big")
    assert sum(lst) == sum(range(6000))


def test_transaction_in_one_slot(rc: Any) -> None:
    a, b = vm.List(key="{user:1}:a"), vm.List(key="{user:1}:b")
    with vm.transaction(rc):
        a.append(1)
        b.append(2)
    assert a.copy() == [1] and b.copy() == [2]


def test_transaction_across_slots_is_a_clear_error(rc: Any) -> None:
    a, b = vm.List(key="alpha"), vm.List(key="beta")
    assert rc.keyslot("alpha") != rc.keyslot("beta")
    with pytest.raises(vm.CrossSlotError) as info:
        with vm.transaction(rc):
            a.append(1)
            b.append(2)
    assert "alpha" in str(info.value) and "beta" in str(info.value)
    assert a.copy() == [] and b.copy() == []


def test_aux_keys_share_the_slot(rc: Any) -> None:
    for key in ["foo", "{u}:1", "a{b", "x:y:z"]:
        assert rc.keyslot(aux_key(key, "set")) == rc.keyslot(key)


def test_wrong_type_on_cluster(rc: Any) -> None:
    rc.set("str", "x")
    with pytest.raises(vm.WrongTypeError):
        vm.List(key="str").append(1)


async def test_async_cluster(arc: Any) -> None:
    lists = [AList(key=f"alist:{i}") for i in range(10)]
    for i, lst in enumerate(lists):
        await lst.extend(range(i))
        await lst.reverse()
    for i, lst in enumerate(lists):
        assert await lst.copy() == list(reversed(range(i)))
    a, b = AList(key="{t}:a"), AList(key="{t}:b")
    async with atransaction(arc):
        await a.append(1)
        await b.append(2)
    assert await a.copy() == [1] and await b.copy() == [2]


def test_transaction_read_then_write_in_another_slot(rc: Any) -> None:
    a, b = vm.List([1], key="alpha"), vm.List(key="beta")
    with pytest.raises(vm.CrossSlotError):
        with vm.transaction(rc):
            n = len(a)
            b.append(n)
    assert b.copy() == []
