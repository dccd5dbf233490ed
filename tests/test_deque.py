"""Deque: collections.deque on a Redis list."""

from __future__ import annotations

import collections
import copy
import operator
from typing import Any

import differential
import pytest
from differential import run_machine
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import vermilion as vm
from vermilion.types import _container
from vermilion.types.deque import AsyncDeque, Deque


def test_basic_operations(r: Any) -> None:
    d = Deque([1, 2, 3], key="d")
    d.append(4)
    d.appendleft(0)
    assert d.copy() == collections.deque([0, 1, 2, 3, 4])
    assert r.lrange("d", 0, -1) == [b"0", b"1", b"2", b"3", b"4"]
    assert d.pop() == 4 and d.popleft() == 0
    d.extend([4, 5])
    d.extendleft(["a", "b"])
    assert list(d) == ["b", "a", 1, 2, 3, 4, 5]
    assert len(d) == 7 and d[0] == "b" and d[-1] == 5
    assert 3 in d and 9 not in d
    assert d.count(3) == 1 and d.index(3) == 4
    d[0] = ("t", 1)
    assert d[0] == ("t", 1)
    del d[1]
    d.remove(("t", 1))
    assert d == collections.deque([1, 2, 3, 4, 5])
    d.insert(1, 1.5)
    d.reverse()
    assert d.copy() == collections.deque([5, 4, 3, 2, 1.5, 1])
    d.clear()
    assert len(d) == 0 and not d and d.copy() == collections.deque()


def test_errors_match_deque(r: Any) -> None:
    d = Deque(key="e")
    for fn, exc, msg in [
        (d.pop, IndexError, "pop from an empty deque"),
        (d.popleft, IndexError, "pop from an empty deque"),
        (lambda: d[0], IndexError, "deque index out of range"),
        (lambda: d.__setitem__(0, 1), IndexError, "deque index out of range"),
        (lambda: d.__delitem__(0), IndexError, "deque index out of range"),
        (lambda: d.remove(1), ValueError, "1 is not in deque"),
        (lambda: d.index(1), ValueError, "1 is not in deque"),
        (lambda: d[0:1], TypeError, "sequence index must be integer, not 'slice'"),
        (lambda: d["a"], TypeError, "sequence index must be integer, not 'str'"),
        (lambda: d.rotate("a"), TypeError, "'str' object cannot be interpreted as an integer"),
        (lambda: d + [1], TypeError, 'can only concatenate deque (not "list") to deque'),
        (lambda: Deque(maxlen=-1), ValueError, "maxlen must be non-negative"),
        (lambda: Deque(maxlen="a"), TypeError, "an integer is required"),
    ]:
        with pytest.raises(exc) as info:
            fn()
        assert str(info.value) == msg
    full = Deque([1, 2], maxlen=2)
    with pytest.raises(IndexError, match="deque already at its maximum size"):
        full.insert(0, 3)
    assert full.copy() == collections.deque([1, 2], maxlen=2)
    with pytest.raises(ValueError, match="3 is not in deque"):
        Deque([1, 2, 3]).index(3, 0, 2)


def test_maxlen_discards_from_the_other_end(r: Any) -> None:
    d = Deque([1, 2, 3, 4, 5], 3, key="m")
    assert d.copy() == collections.deque([3, 4, 5], maxlen=3)
    assert d.maxlen == 3 and r.get("{m}:maxlen") == b"3"
    d.append(6)
    assert list(d) == [4, 5, 6]
    d.appendleft(3)
    assert list(d) == [3, 4, 5]
    d.extend(range(10, 20))
    assert list(d) == [17, 18, 19]
    d.extendleft("abcd")
    assert list(d) == ["d", "c", "b"]
    d *= 2
    assert list(d) == ["d", "c", "b"] == list(collections.deque(["d", "c", "b"], 3) * 2)
    d.pop()
    d *= 3
    assert list(d) == ["c", "d", "c"]
    d.clear()
    assert d.maxlen == 3  # clear keeps maxlen
    # another object on the same key, without maxlen, is bounded too
    other = Deque(key="m")
    other.extend([1, 2, 3, 4])
    assert list(d) == [2, 3, 4] and other.maxlen == 3
    assert repr(d) == "Deque([2, 3, 4], maxlen=3, key='m')"
    assert repr(Deque([1], key="u")) == "Deque([1], key='u')"
    zero = Deque([1, 2], maxlen=0)
    zero.append(1)
    assert len(zero) == 0 and zero.copy() == collections.deque(maxlen=0)
    d.delete()
    assert r.exists("m", "{m}:maxlen") == 0


def test_initial_written_only_if_missing(r: Any) -> None:
    Deque([1, 2], key="k")
    again = Deque([9, 9, 9], key="k")
    assert list(again) == [1, 2]
    # giving a maxlen to an existing deque stores it and trims the left end
    bounded = Deque(maxlen=1, key="k")
    assert list(bounded) == [2] and Deque(key="k").maxlen == 1


def test_rotate(r: Any) -> None:
    for n in range(-9, 10):
        model = collections.deque(range(7))
        d = Deque(range(7))
        model.rotate(n)
        d.rotate(n)
        assert d.copy() == model, n
    empty = Deque()
    empty.rotate(3)
    assert len(empty) == 0


def test_comparisons_and_copies(r: Any) -> None:
    d = Deque([1, 2, 3], maxlen=5)
    assert d == collections.deque([1, 2, 3])
    assert d != [1, 2, 3]  # a deque never equals a list
    assert d == Deque([1, 2, 3])
    assert d < collections.deque([1, 2, 4]) and d >= collections.deque([1, 2])
    c = copy.copy(d)
    assert isinstance(c, collections.deque) and c.maxlen == 5 and c == collections.deque([1, 2, 3])
    assert d + collections.deque([4]) == collections.deque([1, 2, 3, 4])
    assert d * 2 == collections.deque([1, 2, 3], maxlen=5) * 2 == collections.deque([2, 3, 1, 2, 3])
    assert list(reversed(d)) == [3, 2, 1]
    d += [4]
    assert list(d) == [1, 2, 3, 4]
    d.value = range(10)
    assert list(d) == [5, 6, 7, 8, 9]
    with pytest.raises(TypeError):
        hash(d)


def test_values_keep_types(r: Any) -> None:
    vals = [None, True, 1, 1.5, "s", b"b", (1, 2), frozenset({1}), {"a": [1]}]
    d = Deque(vals)
    assert list(d) == vals and [type(x) for x in d] == [type(x) for x in vals]


def test_wrong_type(r: Any) -> None:
    r.set("str", "x")
    d = Deque(key="str")
    for fn in (lambda: d.append(1), lambda: d.pop(), lambda: len(d), lambda: d.rotate(1),
               lambda: d.insert(0, 1), lambda: list(d)):
        with pytest.raises(vm.WrongTypeError) as info:
            fn()
        assert info.value.key == "str" or "'str'" in str(info.value)
    with pytest.raises(vm.WrongTypeError):
        Deque([1], key="str")


def test_round_trips(r: Any) -> None:
    d = Deque(range(100), maxlen=1000, key="rt")
    ops = [lambda: d.append(1), lambda: d.appendleft(2), lambda: d.extend(range(50)),
           lambda: d.extendleft(range(50)), lambda: d.rotate(7), lambda: d.rotate(-30),
           lambda: d.pop(), lambda: d.popleft(), lambda: d[5], lambda: d.insert(3, "x"),
           lambda: d.remove("x"), lambda: d.count(1), lambda: len(d), lambda: d.copy(),
           lambda: d.reverse(), lambda: d.__delitem__(2)]
    for fn in ops:
        fn()  # load scripts
        r.round_trips.reset()
        fn()
        assert r.round_trips.count == 1
    big = Deque(range(10_000))
    r.round_trips.reset()
    assert sum(1 for _ in big) == 10_000
    assert r.round_trips.count <= 10


MUTATED = "deque mutated during iteration"


def test_iterator_raises_when_the_deque_changes_length(r: Any) -> None:
    # test_deque's TestVariousIteratorArgs.test_runtime_error_on_empty_deque
    d = Deque()
    it = iter(d)
    d.append(10)
    with pytest.raises(RuntimeError, match=MUTATED):
        next(it)
    d = Deque("abc")
    it = iter(d)
    d.pop()
    with pytest.raises(RuntimeError, match=MUTATED):
        list(it)  # deque raises at the first next(); here at the read that ends the chunk
    d = Deque([1, 2, 3])
    seen = []
    with pytest.raises(RuntimeError, match=MUTATED):
        for x in d:
            seen.append(x)
            d.append(x)
    assert seen == [1, 2, 3]  # never more items than the deque had at iter()
    it = iter(d)
    assert [next(it), next(it)] == [1, 2]
    assert operator.length_hint(it) == 4
    d.rotate(1)  # a change that keeps the length goes unnoticed (the chunk read at iter())
    assert list(it) == [3, 1, 2, 3]


def test_iterator_checks_the_length_at_each_chunk(r: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(_container, "BIG_CHUNK", 3)
    d = Deque(range(8))
    d.exists()
    r.round_trips.reset()
    assert list(iter(d)) == list(range(8))
    assert r.round_trips.count == 3  # an unchanged deque: one read per chunk, no more
    it = iter(d)
    assert [next(it) for _ in range(3)] == [0, 1, 2]
    r.rpush(d.key, b"99")  # another client
    with pytest.raises(RuntimeError, match=MUTATED):
        next(it)
    out = []
    for x in Deque(range(5)):  # the loop uses vermilion: the end is checked, nothing changed
        out.append(x)
        d.count(x)
    assert out == list(range(5))


def test_reference_reopens_with_maxlen(r: Any) -> None:
    inner = Deque([1, 2], maxlen=2, key="inner")
    holder = vm.List([inner])
    got = holder[0]
    assert isinstance(got, Deque) and got.key == "inner"
    got.append(3)
    assert list(inner) == [2, 3]


# -- differential: Deque vs collections.deque ----------------------------------------------------

values = st.one_of(st.integers(-3, 3), st.text("ab", max_size=2), st.none())
indexes = st.integers(-6, 6)



def same(f_model: Any, f_real: Any) -> Any:
    return differential.same(f_model, f_real, differential.MESSAGE)



class DequeMachine(RuleBasedStateMachine):
    @initialize(maxlen=st.none() | st.integers(0, 5), init=st.lists(values, max_size=6))
    def setup(self, maxlen: int | None, init: list[Any]) -> None:
        self.model: collections.deque[Any] = collections.deque(init, maxlen)
        self.real = Deque(init, maxlen)

    @rule(v=values)
    def append(self, v: Any) -> None:
        same(lambda: self.model.append(v), lambda: self.real.append(v))

    @rule(v=values)
    def appendleft(self, v: Any) -> None:
        same(lambda: self.model.appendleft(v), lambda: self.real.appendleft(v))

    @rule(vs=st.lists(values, max_size=7))
    def extend(self, vs: list[Any]) -> None:
        same(lambda: self.model.extend(vs), lambda: self.real.extend(vs))

    @rule(vs=st.lists(values, max_size=7))
    def extendleft(self, vs: list[Any]) -> None:
        same(lambda: self.model.extendleft(vs), lambda: self.real.extendleft(vs))

    @rule()
    def pop(self) -> None:
        same(self.model.pop, self.real.pop)

    @rule()
    def popleft(self) -> None:
        same(self.model.popleft, self.real.popleft)

    @rule(n=st.integers(-8, 8))
    def rotate(self, n: int) -> None:
        same(lambda: self.model.rotate(n), lambda: self.real.rotate(n))

    @rule(i=indexes, v=values)
    def insert(self, i: int, v: Any) -> None:
        same(lambda: self.model.insert(i, v), lambda: self.real.insert(i, v))

    @rule(v=values)
    def remove(self, v: Any) -> None:
        same(lambda: self.model.remove(v), lambda: self.real.remove(v))

    @rule(v=values, start=indexes, stop=indexes)
    def index(self, v: Any, start: int, stop: int) -> None:
        same(lambda: self.model.index(v, start, stop), lambda: self.real.index(v, start, stop))
        same(lambda: self.model.index(v), lambda: self.real.index(v))

    @rule(i=indexes)
    def getitem(self, i: int) -> None:
        same(lambda: self.model[i], lambda: self.real[i])

    @rule(i=indexes, v=values)
    def setitem(self, i: int, v: Any) -> None:
        def m() -> None:
            self.model[i] = v

        def x() -> None:
            self.real[i] = v

        same(m, x)

    @rule(i=indexes)
    def delitem(self, i: int) -> None:
        def m() -> None:
            del self.model[i]

        def x() -> None:
            del self.real[i]

        same(m, x)

    @rule()
    def reverse(self) -> None:
        same(self.model.reverse, self.real.reverse)

    @rule(n=st.integers(-1, 3))
    def imul(self, n: int) -> None:
        self.model *= n
        self.real *= n

    @rule()
    def clear(self) -> None:
        same(self.model.clear, self.real.clear)

    @rule(v=values)
    def queries(self, v: Any) -> None:
        assert self.real.count(v) == self.model.count(v)
        assert (v in self.real) == (v in self.model)

    @invariant()
    def same_state(self) -> None:
        if hasattr(self, "real"):
            c = self.real.copy()
            assert list(c) == list(self.model) and c.maxlen == self.model.maxlen
            assert len(self.real) == len(self.model)


def test_deque_differential(r: Any) -> None:
    run_machine(DequeMachine, examples=40, steps=30)


# -- asyncio ------------------------------------------------------------------------------------

async def test_async_deque(ar: Any) -> None:
    d = AsyncDeque([1, 2, 3], 4, key="ad")
    await d
    await d.append(4)
    await d.append(5)
    assert [x async for x in d] == [2, 3, 4, 5]
    assert await d.get_maxlen() == 4
    await d.rotate(1)
    assert await d[0] == 5
    assert await d.popleft() == 5
    assert await d.len() == 3
    assert await d.copy() == collections.deque([2, 3, 4], maxlen=4)
    await d.clear()
    with pytest.raises(IndexError, match="pop from an empty deque"):
        await d.pop()
    ar.round_trips.reset()
    await d.appendleft("x")
    assert ar.round_trips.count == 1


async def test_async_iterator_raises_when_the_deque_changes_length(ar: Any) -> None:
    d = AsyncDeque([1, 2, 3])
    seen = []
    with pytest.raises(RuntimeError, match=MUTATED):
        async for x in d:
            seen.append(x)
            await d.appendleft(x)
    assert seen == [1, 2, 3]
    d = AsyncDeque([1, 2, 3])
    ar.round_trips.reset()
    assert [x async for x in d] == [1, 2, 3]
    assert ar.round_trips.count == 1 + 1  # the initial value, then one read


async def test_async_wrong_type(ar: Any) -> None:
    await ar.set("s", "x")
    with pytest.raises(vm.WrongTypeError):
        await AsyncDeque(key="s").append(1)


# -- cluster ------------------------------------------------------------------------------------

@pytest.mark.cluster
def test_cluster_deque(rc: Any) -> None:
    d = Deque(range(5), 3, key="cd")
    d.append(5)
    d.rotate(1)
    assert list(d) == [5, 3, 4] and d.maxlen == 3
    d.insert(0, 0) if len(d) < 3 else None
    assert d.copy() == collections.deque([5, 3, 4], maxlen=3)
    assert d.expire(100) and d.ttl is not None
    d.delete()
    assert rc.exists("cd") == 0


@pytest.mark.cluster
async def test_cluster_async_deque(arc: Any) -> None:
    d = AsyncDeque(["a"], 2, key="acd")
    await d.extend(["b", "c"])
    assert [x async for x in d] == ["b", "c"]
