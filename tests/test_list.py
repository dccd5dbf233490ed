"""List: semantics of ``list``, round trips, and a differential state machine against ``list``."""

from __future__ import annotations

import copy
import operator
from typing import Any

import pytest
from differential import run_machine, same
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import vermilion as vm
from vermilion.aio import List as AList
from vermilion.types import _container


def test_redis_sees_plain_list(r: Any) -> None:
    vm.List(["a", "b"], key="tasks")
    assert r.lrange("tasks", 0, -1) == [b'"a"', b'"b"']


def test_initial_is_not_duplicated_on_restart(r: Any) -> None:
    vm.List([1, 2, 3], key="k")
    again = vm.List([1, 2, 3], key="k")
    assert again.copy() == [1, 2, 3]
    other = vm.List([9], key="k")
    assert other.copy() == [1, 2, 3]


def test_values_keep_types(r: Any) -> None:
    values = [1, 1.5, "1", None, True, (1, 2), {"a": [1]}, b"x", {1, 2}]
    lst = vm.List(values)
    assert lst.copy() == values
    assert [type(v) for v in lst] == [type(v) for v in values]


def test_indexing_and_slicing(r: Any) -> None:
    data = list(range(10))
    lst = vm.List(data)
    for i in range(-10, 10):
        assert lst[i] == data[i]
    with pytest.raises(IndexError, match="list index out of range"):
        lst[10]
    with pytest.raises(IndexError):
        lst[-11]
    with pytest.raises(TypeError, match="list indices must be integers or slices, not str"):
        lst["a"]
    for s in [slice(None), slice(2, 5), slice(-3, None), slice(None, None, -1), slice(1, 8, 3),
              slice(8, 1, -2), slice(-100, 100), slice(5, 2), slice(-2, -8, -3)]:
        assert lst[s] == data[s], s
    with pytest.raises(ValueError, match="slice step cannot be zero"):
        lst[::0]


def test_slice_assignment_and_deletion(r: Any) -> None:
    data = list(range(10))
    lst = vm.List(data)
    lst[2:5] = ["a", "b"]
    data[2:5] = ["a", "b"]
    assert lst.copy() == data
    lst[::3] = [0, 0, 0]
    data[::3] = [0, 0, 0]
    assert lst.copy() == data
    with pytest.raises(ValueError, match="attempt to assign sequence of size 1 to extended slice"):
        lst[::2] = [1]
    del lst[1::2]
    del data[1::2]
    assert lst.copy() == data
    del lst[-1]
    del data[-1]
    assert lst.copy() == data
    with pytest.raises(IndexError, match="list assignment index out of range"):
        del lst[50]
    with pytest.raises(IndexError, match="list assignment index out of range"):
        lst[50] = 1
    lst[:] = []
    assert lst.copy() == [] and not lst


def test_insert_pop_remove_index_count(r: Any) -> None:
    lst = vm.List(["a", "b", "c"])
    lst.insert(100, "z")
    lst.insert(-100, "y")
    lst.insert(2, "m")
    assert lst.copy() == ["y", "a", "m", "b", "c", "z"]
    assert lst.pop() == "z"
    assert lst.pop(0) == "y"
    assert lst.pop(1) == "m"
    assert lst.pop(-2) == "b"
    with pytest.raises(IndexError, match="pop index out of range"):
        lst.pop(5)
    lst.remove("a")
    with pytest.raises(ValueError, match=r"list.remove\(x\): x not in list"):
        lst.remove("a")
    lst.extend([1, 2, 1, 3])
    assert lst.count(1) == 2 and lst.count(99) == 0
    assert lst.index(1) == 1 and lst.index(1, 2) == 3 and lst.index(3, -1) == 4
    with pytest.raises(ValueError, match="99 is not in list"):
        lst.index(99)
    with pytest.raises(ValueError):
        lst.index(1, 4)
    lst.clear()
    with pytest.raises(IndexError, match="pop from empty list"):
        lst.pop()
    with pytest.raises(IndexError, match="pop from empty list"):
        lst.pop(0)


def test_operators_comparisons_repr_copy(r: Any) -> None:
    lst = vm.List([1, 2])
    lst += [3]
    assert lst == [1, 2, 3] and lst != [1, 2] and [1, 2, 3] == lst
    assert lst + [4] == [1, 2, 3, 4] and [0] + lst == [0, 1, 2, 3]
    assert lst * 2 == [1, 2, 3, 1, 2, 3]
    lst *= 2
    assert lst.copy() == [1, 2, 3, 1, 2, 3]
    lst *= 0
    assert lst.copy() == []
    a, b = vm.List([1, 2]), vm.List([1, 3])
    assert a < b and b > a and a <= [1, 2] and a >= [1, 2] and a != b
    assert vm.List(key=a.key) == a
    assert repr(a) == "[1, 2]" and str(a) == "[1, 2]"  # list's form (the suites pin it)
    a.append(a)
    assert repr(a) == "[1, 2, [...]]"  # a List holding a reference to itself, as list shows it
    a.pop()
    assert copy.copy(a) == [1, 2] and type(copy.copy(a)) is list
    assert list(reversed(a)) == [2, 1]
    with pytest.raises(TypeError):
        hash(a)
    assert (a == 5) is False


def test_sort_and_reverse(r: Any) -> None:
    lst = vm.List([3, 1, 2])
    lst.sort()
    assert lst.copy() == [1, 2, 3]
    lst.sort(reverse=True)
    assert lst.copy() == [3, 2, 1]
    lst.sort(key=lambda x: -x)
    assert lst.copy() == [3, 2, 1]
    lst.reverse()
    assert lst.copy() == [1, 2, 3]
    mixed = vm.List([1, "a"])
    with pytest.raises(TypeError):
        mixed.sort()
    assert mixed.copy() == [1, "a"]


def test_value_property_replaces_atomically(r: Any) -> None:
    lst = vm.List([1, 2, 3])
    lst.value = ["x"]
    assert lst.value == ["x"]


def test_expire_ttl_persist_delete(r: Any) -> None:
    lst = vm.List([1])
    assert lst.ttl is None
    assert lst.expire(100) is True
    assert 99 < lst.ttl <= 100
    assert lst.persist() is True and lst.ttl is None
    assert lst.delete() is True and not lst.exists() and not lst
    assert vm.List().expire(5) is False


def test_wrong_type_names_key(r: Any) -> None:
    r.set("s", "x")
    lst = vm.List(key="s")
    with pytest.raises(vm.WrongTypeError, match="'s'") as info:
        lst.append(1)
    assert info.value.key == "s"
    with pytest.raises(vm.WrongTypeError):
        vm.List([1], key="s")
    assert r.get("s") == b"x"


def test_foreign_data_is_a_decode_error_and_untouched(r: Any) -> None:
    r.rpush("foreign", b"not json")
    lst = vm.List(key="foreign")
    with pytest.raises(vm.DecodeError):
        lst[0]
    assert r.lrange("foreign", 0, -1) == [b"not json"]


def test_nested_containers_are_references(r: Any) -> None:
    friends = vm.List(["bob"], key="User:1:friends")
    outer = vm.List([friends])
    inner = outer[0]
    assert isinstance(inner, vm.List) and inner.key == "User:1:friends"
    inner.append("eve")
    assert friends.copy() == ["bob", "eve"]


ONE_ROUND_TRIP = [
    ("append", lambda lst: lst.append(1)),
    ("getitem", lambda lst: lst[2]),
    ("slice", lambda lst: lst[1:5:2]),
    ("setitem", lambda lst: lst.__setitem__(0, 5)),
    ("len", lambda lst: len(lst)),
    ("contains", lambda lst: 3 in lst),
    ("insert", lambda lst: lst.insert(3, "x")),
    ("pop_middle", lambda lst: lst.pop(3)),
    ("pop", lambda lst: lst.pop()),
    ("remove", lambda lst: lst.remove(4)),
    ("index", lambda lst: lst.index(5)),
    ("count", lambda lst: lst.count(5)),
    ("reverse", lambda lst: lst.reverse()),
    ("extend", lambda lst: lst.extend(range(100))),
    ("delitem", lambda lst: lst.__delitem__(2)),
    ("copy", lambda lst: lst.copy()),
]


@pytest.mark.parametrize("name,action", ONE_ROUND_TRIP, ids=[n for n, _ in ONE_ROUND_TRIP])
def test_one_round_trip(r: Any, name: str, action: Any) -> None:
    lst = vm.List(range(20))
    action(lst)  # loads scripts
    lst.value = list(range(20))
    r.round_trips.reset()
    action(lst)
    assert r.round_trips.count == 1


@pytest.mark.parametrize("n,trips", [(0, 1), (9_999, 1), (10_000, 1), (10_001, 2), (25_000, 3)])
def test_iteration_chunk_boundaries(r: Any, n: int, trips: int) -> None:
    lst = vm.List(range(n))
    lst.exists()  # the connection's handshake is not the iteration's cost
    r.round_trips.reset()
    assert [x for x in lst] == list(range(n))
    assert r.round_trips.count == trips


def test_iteration_is_batched(r: Any) -> None:
    lst = vm.List(range(10_000))
    r.round_trips.reset()
    assert sum(lst) == sum(range(10_000))
    assert r.round_trips.count <= 10
    r.round_trips.reset()
    assert lst == list(range(10_000))
    assert r.round_trips.count == 1


def test_iterator_is_index_based_like_lists(r: Any) -> None:
    """CPython's list_tests.test_exhausted_iterator and more: an iterator sees items appended
    before it reaches the end, and stays exhausted once it has raised StopIteration."""
    a = vm.List([1, 2, 3])
    exhit, empit = iter(a), iter(a)
    for _ in exhit:
        next(empit)
    a.append(9)
    assert list(exhit) == [] and list(empit) == [9]
    a.append(10)
    assert list(empit) == [] and list(exhit) == []  # exhausted for good
    empty = vm.List()
    it = iter(empty)
    empty.extend("ab")
    assert list(it) == ["a", "b"]
    work = vm.List([1])  # a work list: items appended while iterating are visited
    seen = []
    for x in work:
        seen.append(x)
        if x < 4:
            work.append(x + 1)
    assert seen == [1, 2, 3, 4]


def test_iterator_reads_each_chunk_at_the_next_index(r: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(_container, "BIG_CHUNK", 3)
    lst = vm.List(range(7))
    lst.exists()
    r.round_trips.reset()
    assert list(iter(lst)) == list(range(7))
    assert r.round_trips.count == 3  # [0:3], [3:6], [6:9]: the list ended there, nothing ran since
    it = iter(lst)
    assert [next(it) for _ in range(4)] == [0, 1, 2, 3]
    lst.extend([7, 8])
    assert list(it) == [4, 5, 6, 7, 8]
    sink = vm.List()
    sink.exists()
    r.round_trips.reset()
    for x in lst:  # the loop uses vermilion: the end is checked with one more read
        sink.append(x)
    assert r.round_trips.count == 9 + 3 + 1
    assert sink.copy() == list(range(9))


def test_iterator_length_hint(r: Any, monkeypatch: Any) -> None:
    lst = vm.List(range(5))
    it = iter(lst)
    assert operator.length_hint(it) == 5
    next(it)
    assert operator.length_hint(it) == 4
    assert list(it) == [1, 2, 3, 4] and operator.length_hint(it) == 0
    monkeypatch.setattr(_container, "BIG_CHUNK", 2)
    it = iter(lst)
    assert operator.length_hint(it) == 5  # the length is read with the first chunk
    assert [next(it), next(it), next(it)] == [0, 1, 2]
    assert operator.length_hint(it) == 2
    assert operator.length_hint(iter(vm.List())) == 0


def test_sort_round_trips(r: Any) -> None:
    lst = vm.List([3, 2, 1.5, -(2**53)])
    lst.sort()
    r.round_trips.reset()
    lst.sort(reverse=True)
    assert r.round_trips.count == 1  # numbers sort inside Redis
    assert lst.copy() == [3, 2, 1.5, -(2**53)]
    words = vm.List(["b", "a", "é", "Z", ""])
    words.sort()
    r.round_trips.reset()
    words.sort()
    assert r.round_trips.count == 1 and words.copy() == ["", "Z", "a", "b", "é"]
    r.round_trips.reset()
    lst.sort(key=abs)  # a key function runs in Python: read + compare-and-replace
    assert r.round_trips.count == 2


@pytest.mark.parametrize("data", [
    [1.0, 1, True, 0], [2**60, 2**60 + 1, 1], ["b", 1], [(2, 1), (1, 2)], [1, 1.0, 1, 0.5],
    ["a\u0000", "a", "\U0001f600", "\uffff"], [float("inf"), 1], [],
])
@pytest.mark.parametrize("reverse", [False, True])
def test_sort_matches_python(r: Any, data: list[Any], reverse: bool) -> None:
    lst = vm.List(data)
    expected = list(data)
    try:
        expected.sort(reverse=reverse)
    except TypeError:
        with pytest.raises(TypeError):
            lst.sort(reverse=reverse)
        assert lst.copy() == data
        return
    lst.sort(reverse=reverse)
    got = lst.copy()
    assert got == expected and [type(x) for x in got] == [type(x) for x in expected]


# -- differential: vermilion List vs list ------------------------------------------------------

values = st.one_of(st.integers(-5, 5), st.text("ab", max_size=2), st.none(), st.tuples(st.integers(0, 2)))
indexes = st.integers(-8, 8)
slices = st.builds(slice, st.none() | indexes, st.none() | indexes,
                   st.none() | st.sampled_from([1, 2, -1, -2, 3]))




class ListMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        self.model: list[Any] = []
        self.real = vm.List()

    @rule(v=values)
    def append(self, v: Any) -> None:
        same(lambda: self.model.append(v), lambda: self.real.append(v))

    @rule(vs=st.lists(values, max_size=4))
    def extend(self, vs: list[Any]) -> None:
        same(lambda: self.model.extend(vs), lambda: self.real.extend(vs))

    @rule(i=indexes, v=values)
    def insert(self, i: int, v: Any) -> None:
        same(lambda: self.model.insert(i, v), lambda: self.real.insert(i, v))

    @rule(i=indexes)
    def pop(self, i: int) -> None:
        same(lambda: self.model.pop(i), lambda: self.real.pop(i))

    @rule(v=values)
    def remove(self, v: Any) -> None:
        same(lambda: self.model.remove(v), lambda: self.real.remove(v))

    @rule(i=indexes)
    def getitem(self, i: int) -> None:
        same(lambda: self.model[i], lambda: self.real[i])

    @rule(i=st.integers(-4, 4), n=st.integers(-3, 3))
    def inplace(self, i: int, n: int) -> None:
        def bump(lst: Any) -> Any:
            lst[i] += n  # on an int item: an atomic increment
            return lst[i]

        same(lambda: bump(self.model), lambda: bump(self.real))

    @rule(s=slices)
    def getslice(self, s: slice) -> None:
        same(lambda: self.model[s], lambda: self.real[s])

    @rule(i=indexes, v=values)
    def setitem(self, i: int, v: Any) -> None:
        def m() -> None:
            self.model[i] = v

        def x() -> None:
            self.real[i] = v

        same(m, x)

    @rule(s=slices, vs=st.lists(values, max_size=4))
    def setslice(self, s: slice, vs: list[Any]) -> None:
        def m() -> None:
            self.model[s] = vs

        def x() -> None:
            self.real[s] = vs

        same(m, x)

    @rule(i=indexes | slices)
    def delitem(self, i: Any) -> None:
        def m() -> None:
            del self.model[i]

        def x() -> None:
            del self.real[i]

        same(m, x)

    @rule(v=values)
    def index_count_contains(self, v: Any) -> None:
        same(lambda: self.model.index(v), lambda: self.real.index(v))
        assert self.real.count(v) == self.model.count(v)
        assert (v in self.real) == (v in self.model)

    @rule()
    def reverse(self) -> None:
        self.model.reverse()
        self.real.reverse()

    @rule(n=st.integers(-1, 3))
    def imul(self, n: int) -> None:
        self.model *= n
        self.real *= n

    @rule()
    def sort(self) -> None:
        same(lambda: self.model.sort(key=repr), lambda: self.real.sort(key=repr))

    @invariant()
    def same_state(self) -> None:
        if hasattr(self, "real"):
            assert self.real.copy() == self.model
            assert len(self.real) == len(self.model)


def test_list_differential(r: Any) -> None:
    run_machine(ListMachine, examples=60, steps=40)


class ListIteratorMachine(RuleBasedStateMachine):
    """``list`` iterators against List iterators (chunks of 2 items) while the lists grow:
    appends are the changes an iterator reading chunks reproduces exactly (the items it has
    read stay where they were)."""

    @initialize(vs=st.lists(st.integers(), max_size=5))
    def setup(self, vs: list[int]) -> None:
        self.model = list(vs)
        self.real = vm.List(vs)
        self.iterators: list[tuple[Any, Any]] = []

    @rule(v=st.integers())
    def append(self, v: int) -> None:
        self.model.append(v)
        self.real.append(v)

    @rule(vs=st.lists(st.integers(), max_size=3))
    def extend(self, vs: list[int]) -> None:
        self.model.extend(vs)
        self.real.extend(vs)

    @rule()
    def new_iterator(self) -> None:
        self.iterators.append((iter(self.model), iter(self.real)))

    @rule(data=st.data(), drain=st.booleans())
    def advance(self, data: Any, drain: bool) -> None:
        if not self.iterators:
            return
        model_it, real_it = data.draw(st.sampled_from(self.iterators))
        if drain:
            assert list(real_it) == list(model_it)
        else:
            assert next(real_it, "end") == next(model_it, "end")
        assert operator.length_hint(real_it) <= operator.length_hint(model_it)


def test_list_iterator_differential(r: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(_container, "BIG_CHUNK", 2)
    run_machine(ListIteratorMachine, examples=40, steps=30)


# -- asyncio ------------------------------------------------------------------------------------

async def test_async_list(ar: Any) -> None:
    lst = AList(["a", "b"], key="tasks")
    await lst
    await lst.append("c")
    assert await lst[0] == "a"
    assert await lst.len() == 3
    assert [x async for x in lst] == ["a", "b", "c"]
    assert await lst.pop() == "c"
    with pytest.raises(IndexError):
        await lst.getitem(10)
    again = AList(["zzz"], key="tasks")
    assert await again.copy() == ["a", "b"]
    ar.round_trips.reset()
    await lst.append("d")
    assert ar.round_trips.count == 1


async def test_async_iterator_is_index_based(ar: Any, monkeypatch: Any) -> None:
    work = AList([1])
    seen = []
    async for x in work:
        seen.append(x)
        if x < 4:
            await work.append(x + 1)
    assert seen == [1, 2, 3, 4]
    monkeypatch.setattr(_container, "BIG_CHUNK", 3)
    lst = AList(range(7))
    await lst
    ar.round_trips.reset()
    assert [x async for x in lst] == list(range(7))
    assert ar.round_trips.count == 3
    it = lst.__aiter__()
    assert [await it.__anext__() for _ in range(4)] == [0, 1, 2, 3]
    await lst.extend([7, 8])
    assert [x async for x in it] == [4, 5, 6, 7, 8]
    await lst.append(9)
    assert [x async for x in it] == []  # exhausted for good


async def test_async_expiry(ar: Any) -> None:
    lst = AList([1])
    assert await lst.ttl is None
    assert await lst.expire(50) is True
    assert 49 < await lst.ttl <= 50
    assert await lst.persist() is True and await lst.ttl is None


async def test_async_initial_written_on_first_operation(ar: Any) -> None:
    lst = AList([1, 2])
    assert await lst.copy() == [1, 2]


def test_sort_modified_during_sort(r: Any, monkeypatch: Any) -> None:
    z = vm.List(range(12))

    def meddle(x: Any) -> Any:
        z.append(1)
        return x

    with pytest.raises(ValueError, match="list modified during sort"):
        z.sort(key=meddle)  # once: the key function is what changed the list
    assert z.copy() == list(range(12)) + [1] * 12  # left as it is, like list.sort
    # without a key, a write-back that keeps meeting a concurrent change gives up, bounded
    import vermilion.types.list as list_module

    mixed = vm.List([[2], [1]])  # not only numbers or strings: sorted in Python
    vm.List([[1]]).sort()  # scripts loaded
    monkeypatch.setattr(list_module, "content_hash", lambda raw: "changed meanwhile")
    r.round_trips.reset()
    with pytest.raises(ValueError, match="list modified during sort"):
        mixed.sort()
    assert r.round_trips.count == 1 + 2 * list_module.SORT_ATTEMPTS
    assert mixed.copy() == [[2], [1]]
