"""Set: semantics of ``set``, round trips, cluster slots, and a differential machine vs ``set``."""

from __future__ import annotations

from typing import Any

import differential
import pytest
from differential import run_machine
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import vermilion as vm
from vermilion.types.set import AsyncSet, Set


def test_redis_sees_plain_set_and_types_are_kept(r: Any) -> None:
    members = {1, "1", 2.5, None, (1, 2), frozenset({3, 4}), b"x", ("a", (1,))}
    s = Set(members, key="tags")
    assert r.type("tags") == b"set"
    assert b'"1"' in r.smembers("tags") and b"1" in r.smembers("tags")
    assert s.copy() == members
    assert {type(m) for m in s} == {type(m) for m in members}
    assert Set(key="tags").value == members


def test_initial_is_written_only_if_key_is_missing(r: Any) -> None:
    Set({1, 2}, key="k")
    assert Set({9}, key="k").copy() == {1, 2}
    Set(set(), key="empty")
    assert not r.exists("empty")


def test_basic_operations_and_errors(r: Any) -> None:
    s = Set(key="s")
    assert len(s) == 0 and not s
    s.add("a")
    s.add("a")
    s.add((1, 2))
    assert len(s) == 2 and s
    assert "a" in s and (1, 2) in s and "b" not in s
    s.discard("zzz")
    s.discard("a")
    assert s.copy() == {(1, 2)}
    with pytest.raises(KeyError) as info:
        s.remove("missing")
    assert info.value.args == ("missing",)
    s.remove((1, 2))
    with pytest.raises(KeyError, match="pop from an empty set"):
        s.pop()
    s.update([1, 2], "xy", {3})
    assert s == {1, 2, 3, "x", "y"}
    popped = {s.pop() for _ in range(5)}
    assert popped == {1, 2, 3, "x", "y"} and len(s) == 0
    s.update(range(3))
    s.clear()
    assert s.copy() == set() and not r.exists("s")


def test_unhashable_members_fail_before_io(r: Any) -> None:
    s = Set({1}, key="s")
    r.round_trips.reset()
    for call in (lambda: s.add([1]), lambda: s.update([2, [1]]), lambda: [] in s,
                 lambda: s.discard({"a": 1}), lambda: s.intersection_update([[1]]),
                 lambda: s.union([[1]])):
        with pytest.raises(TypeError, match="unhashable type"):
            call()
    with pytest.raises(TypeError, match="unhashable type: 'list'"):
        s.add([1])
    assert r.round_trips.count == 0
    assert s.copy() == {1}
    with pytest.raises(TypeError, match="not iterable"):
        s.update(5)  # type: ignore[arg-type]


def test_set_members_are_looked_up_as_frozensets(r: Any) -> None:
    s = Set({frozenset({1, 2})})
    assert {1, 2} in s
    with pytest.raises(KeyError) as info:
        s.remove({3})
    assert info.value.args == ({3},)
    s.discard({1, 2})
    assert len(s) == 0


ALGEBRA_CASES = [
    ({1, 2, 3}, [{2, 3, 4}]),
    ({1, 2, 3}, [[3, 3, 5], (1, 9)]),
    (set(), [{1}]),
    ({1, "a"}, [set()]),
    ({1, 2}, []),
    ({(1, 2), "x"}, ["xyz", [(1, 2)]]),
]


@pytest.mark.parametrize("base, others", ALGEBRA_CASES)
def test_algebra_with_plain_iterables(r: Any, base: set[Any], others: list[Any]) -> None:
    s = Set(base)
    assert s.union(*others) == base.union(*others)
    assert s.intersection(*others) == base.intersection(*others)
    assert s.difference(*others) == base.difference(*others)
    for o in others:
        assert s.symmetric_difference(o) == base.symmetric_difference(o)
        assert s.isdisjoint(o) == base.isdisjoint(o)
        assert s.issubset(o) == base.issubset(o)
        assert s.issuperset(o) == base.issuperset(o)
    for name in ("update", "intersection_update", "difference_update"):
        model, real = set(base), Set(base)
        getattr(model, name)(*others)
        getattr(real, name)(*others)
        assert real.copy() == model, name
    for o in others:
        model, real = set(base), Set(base)
        model.symmetric_difference_update(o)
        real.symmetric_difference_update(o)
        assert real.copy() == model


def test_algebra_between_sets_runs_server_side(r: Any) -> None:
    a, b, c = Set({1, 2, 3}, key="a"), Set({2, 3, 4}, key="b"), Set({3, 9}, key="c")
    assert a | b == {1, 2, 3, 4}
    assert a & b == {2, 3}
    assert a.intersection(b, c) == {3}
    assert a.intersection(b, [2]) == {2}
    assert a - b == {1}
    assert a.difference(b, [1]) == set()
    assert a ^ b == {1, 4}
    assert a.union(b, c, ["z"]) == {1, 2, 3, 4, 9, "z"}
    r.round_trips.reset()
    assert a.intersection(b, c) == {3}
    a.union(b)
    assert r.round_trips.count == 2
    a |= b
    assert a.copy() == {1, 2, 3, 4}
    a &= c
    assert a.copy() == {3}
    a ^= b
    assert a.copy() == {2, 4}
    a -= b
    assert a.copy() == set()
    a.update(b, [7])
    assert a.copy() == {2, 3, 4, 7}
    a.intersection_update(b, [2, 3, 7])
    assert a.copy() == {2, 3}
    a.difference_update(c, [2])
    assert a.copy() == set()
    assert b.copy() == {2, 3, 4} and c.copy() == {3, 9}  # operands untouched
    r.round_trips.reset()
    a.update(b)
    a.intersection_update(c)
    a.symmetric_difference_update(b)
    assert r.round_trips.count == 3


def test_operations_with_itself(r: Any) -> None:
    s = Set({1, 2})
    assert s | s == {1, 2} and s & s == {1, 2} and s - s == set() and s ^ s == set()
    assert s == s and s <= s and not s < s
    s &= s
    assert s.copy() == {1, 2}
    s |= s
    assert s.copy() == {1, 2}
    s ^= s
    assert s.copy() == set()
    s.update([1])
    s -= s
    assert s.copy() == set()


def test_operators_need_sets(r: Any) -> None:
    s = Set({1, 2})
    for op in ("__or__", "__and__", "__sub__", "__xor__", "__le__", "__lt__", "__ge__"):
        assert getattr(s, op)([1]) is NotImplemented
    with pytest.raises(TypeError, match="unsupported operand"):
        s | [1]  # type: ignore[operator]
    with pytest.raises(TypeError, match="unsupported operand"):
        s &= [1]  # type: ignore[misc]
    with pytest.raises(TypeError):
        s <= [1]  # type: ignore[operator]  # noqa: B015
    assert (s == [1, 2]) is False
    assert s != [1, 2]


def test_reflected_operators_keep_left_type(r: Any) -> None:
    s = Set({1, 2})
    assert {2, 3} | s == {1, 2, 3} and type({2} | s) is set
    res = frozenset({2, 3}) & s
    assert res == frozenset({2}) and type(res) is frozenset
    assert frozenset({1, 5}) - s == frozenset({5})
    assert {1, 5} ^ s == {2, 5}
    assert type(s | frozenset({3})) is set


def test_comparisons(r: Any) -> None:
    s, t = Set({1, 2}), Set({1, 2, 3})
    for other in ({1, 2}, {1, 2, 3}, {1}, set(), {4}, frozenset({1, 2})):
        base = {1, 2}
        assert (s == other) == (base == other)
        assert (s != other) == (base != other)
        assert (s <= other) == (base <= other)
        assert (s < other) == (base < other)
        assert (s >= other) == (base >= other)
        assert (s > other) == (base > other)
        assert (other <= s) == (other <= base)  # reflected
        assert (other == s) == (other == base)
    assert s < t and s <= t and t > s and t >= s and s != t and not t <= s
    assert s == Set({2, 1}) and s.isdisjoint(Set({5})) and not s.isdisjoint(t)
    r.round_trips.reset()
    assert s <= t
    assert s == {1, 2}
    assert r.round_trips.count == 2


def test_value_repr_copy(r: Any) -> None:
    s = Set({"a"}, key="v")
    assert repr(s) == "{'a'}" and str(s) == "{'a'}"  # set's form (the suites pin it)
    s.value = [1, 2, 2]
    assert s.value == {1, 2}
    c = s.copy()
    assert type(c) is set and c == {1, 2}
    s.value = []
    assert not r.exists("v")
    import copy as copymod

    assert copymod.copy(Set({3})) == {3}


def test_round_trips(r: Any) -> None:
    s = Set({1, 2, 3})
    s.symmetric_difference_update([1])  # warm scripts
    s.update(Set({1}), [2])
    r.round_trips.reset()
    ops = [lambda: s.add(4), lambda: s.remove(4), lambda: s.pop(), lambda: 3 in s,
           lambda: s.update([7, 8, 9] * 100), lambda: len(s), lambda: s.copy(),
           lambda: s.discard(1), lambda: s.intersection([7, 8]), lambda: s.issubset([1, 2]),
           lambda: s.isdisjoint(range(5)), lambda: s.symmetric_difference_update([1, 9])]
    for fn in ops:
        r.round_trips.reset()
        fn()
        assert r.round_trips.count == 1


def test_iteration_in_chunks(r: Any) -> None:
    s = Set(range(10_000))
    r.round_trips.reset()
    items = list(s)
    assert r.round_trips.count <= 10
    assert len(items) == 10_000 and set(items) == set(range(10_000))
    words = Set(f"w{i}" for i in range(10_000))  # hashtable encoding
    r.round_trips.reset()
    got = list(words)
    assert r.round_trips.count <= 10
    assert sorted(got) == sorted(f"w{i}" for i in range(10_000))
    assert list(Set()) == []


def test_big_updates_are_chunked_in_scripts(r: Any) -> None:
    s = Set(range(5000))
    s.intersection_update(range(0, 10_000, 2))
    assert len(s) == 2500
    s.value = range(4000)
    s.symmetric_difference_update(range(2000, 6000))
    assert s.copy() == set(range(2000)) | set(range(4000, 6000))


def test_wrong_type(r: Any) -> None:
    r.set("str", "x")
    r.rpush("lst", "x")
    s = Set(key="str")
    for call in (lambda: s.add(1), lambda: len(s), lambda: s.update([1]), lambda: s.copy(),
                 lambda: s.intersection_update([1]), lambda: 1 in s, lambda: list(s),
                 lambda: s == {1}, lambda: s.set_value([1])):
        with pytest.raises(vm.WrongTypeError) as info:
            call()
        assert info.value.key == "str"
        assert "str" in str(info.value)
    with pytest.raises(vm.WrongTypeError, match="str"):
        Set({1}, key="str")
    good = Set({1}, key="good")
    with pytest.raises(vm.WrongTypeError, match="lst"):
        good.update(Set(key="lst"))
    with pytest.raises(vm.WrongTypeError, match="lst"):
        good.issubset(Set(key="lst"))
    assert r.get("str") == b"x" and good.copy() == {1}


def test_transaction(r: Any) -> None:
    a, b = Set({1}, key="{t}:a"), Set({2}, key="{t}:b")
    with vm.transaction():
        a.update(b)
        b.discard(2)
    assert a.copy() == {1, 2} and b.copy() == set()


# -- differential ---------------------------------------------------------------------------

members = st.one_of(st.integers(-3, 6), st.sampled_from(["a", "b", "", "1"]),
                    st.tuples(st.integers(0, 2), st.integers(0, 2)))
iterables = st.lists(members, max_size=5)



def same(f_model: Any, f_real: Any) -> Any:
    return differential.same(f_model, f_real, differential.ARGS)



class SetMachine(RuleBasedStateMachine):
    @initialize(init=st.sets(members, max_size=5), other=st.sets(members, max_size=5))
    def setup(self, init: set[Any], other: set[Any]) -> None:
        self.model = set(init)
        self.real = Set(init)
        self.model_other = set(other)
        self.other = Set(other)

    @rule(m=members)
    def add(self, m: Any) -> None:
        same(lambda: self.model.add(m), lambda: self.real.add(m))

    @rule(m=members)
    def remove(self, m: Any) -> None:
        same(lambda: self.model.remove(m), lambda: self.real.remove(m))

    @rule(m=members)
    def discard_contains(self, m: Any) -> None:
        assert (m in self.real) == (m in self.model)
        same(lambda: self.model.discard(m), lambda: self.real.discard(m))

    @rule()
    def pop(self) -> None:
        if not self.model:
            same(self.model.pop, self.real.pop)
        else:
            got = self.real.pop()
            self.model.remove(got)

    @rule(its=st.lists(iterables, max_size=3),
          name=st.sampled_from(["update", "intersection_update", "difference_update",
                                "union", "intersection", "difference"]))
    def multi(self, its: list[list[Any]], name: str) -> None:
        same(lambda: getattr(self.model, name)(*its), lambda: getattr(self.real, name)(*its))

    @rule(it=iterables, name=st.sampled_from(["symmetric_difference_update", "issubset",
                                               "symmetric_difference", "isdisjoint",
                                               "issuperset"]))
    def single(self, it: list[Any], name: str) -> None:
        same(lambda: getattr(self.model, name)(it), lambda: getattr(self.real, name)(it))

    @rule(op=st.sampled_from(["__or__", "__and__", "__sub__", "__xor__", "__le__", "__lt__",
                              "__ge__", "__gt__", "__eq__", "__ior__", "__iand__", "__isub__",
                              "__ixor__"]))
    def with_other_set(self, op: str) -> None:
        expected = getattr(self.model, op)(self.model_other)
        got = getattr(self.real, op)(self.other)
        if op.startswith("__i"):
            assert got is self.real
        else:
            assert got == expected
        assert self.other.copy() == self.model_other

    @rule(m=members)
    def mutate_other(self, m: Any) -> None:
        self.model_other ^= {m}
        self.other ^= {m}

    @invariant()
    def same_state(self) -> None:
        if hasattr(self, "real"):
            assert self.real.copy() == self.model
            assert len(self.real) == len(self.model)


def test_set_differential(r: Any) -> None:
    run_machine(SetMachine, examples=40, steps=30)


# -- asyncio --------------------------------------------------------------------------------

async def test_async_set(ar: Any) -> None:
    s = AsyncSet({"a", "b"}, key="tags")
    await s
    await s.add("c")
    assert await s.contains("c") and not await s.contains("z")
    assert await s.len() == 3
    assert sorted([x async for x in s]) == ["a", "b", "c"]
    with pytest.raises(KeyError):
        await s.remove("z")
    other = AsyncSet({"b", "x"}, key="other")
    assert await s.union(other) == {"a", "b", "c", "x"}
    await s.intersection_update(other)
    assert await s.copy() == {"b"}
    assert await s.issubset(other)
    assert await AsyncSet({"zzz"}, key="tags").copy() == {"b"}
    ar.round_trips.reset()
    await s.add("d")
    await s.update(other)
    assert ar.round_trips.count == 2


async def test_async_iteration_in_chunks(ar: Any) -> None:
    s = AsyncSet(range(10_000))
    assert await s.len() == 10_000
    ar.round_trips.reset()
    got = [x async for x in s]
    assert ar.round_trips.count <= 10 and sorted(got) == list(range(10_000))


async def test_async_wrong_type(ar: Any) -> None:
    await ar.set("str", "x")
    with pytest.raises(vm.WrongTypeError, match="str"):
        await AsyncSet(key="str").add(1)


# -- cluster --------------------------------------------------------------------------------

@pytest.mark.cluster
def test_cluster_sets_in_different_slots(rc: Any) -> None:
    a, b = Set({1, 2, 3}, key="alpha"), Set({2, 3, 4}, key="beta")
    assert rc.keyslot("alpha") != rc.keyslot("beta")
    assert a | b == {1, 2, 3, 4} and a & b == {2, 3} and a - b == {1} and a ^ b == {1, 4}
    assert a.intersection(b, [3]) == {3}
    assert not a <= b and a != b and not a.isdisjoint(b)
    a |= b
    assert a.copy() == {1, 2, 3, 4}
    a &= Set({1, 4, 5}, key="gamma")
    assert a.copy() == {1, 4}
    a ^= b
    assert a.copy() == {1, 2, 3}
    a -= b
    assert a.copy() == {1}
    assert b.copy() == {2, 3, 4}
    assert list(Set(range(6000), key="big")) and len(Set(key="big")) == 6000


@pytest.mark.cluster
def test_cluster_sets_in_one_slot(rc: Any) -> None:
    a, b = Set({1, 2, 3}, key="{team}:a"), Set({2, 3, 4}, key="{team}:b")
    assert a | b == {1, 2, 3, 4} and a & b == {2, 3} and a ^ b == {1, 4}
    a.intersection_update(b, [3, 4, 5])
    assert a.copy() == {3}
    assert a < b and b > a
    a.update(b)
    assert a == b
    with vm.transaction(rc):
        a.discard(2)
        b.difference_update(a)
    assert a.copy() == {3, 4} and b.copy() == {2}


@pytest.mark.cluster
def test_cluster_wrong_type(rc: Any) -> None:
    rc.set("str", "x")
    with pytest.raises(vm.WrongTypeError, match="str"):
        Set(key="str").update([1])


@pytest.mark.cluster
async def test_cluster_async_sets(arc: Any) -> None:
    a, b = AsyncSet({1, 2}, key="alpha"), AsyncSet({2, 3}, key="beta")
    await a
    await b
    assert await a.intersection(b) == {2}
    await a.update(b)
    assert await a.copy() == {1, 2, 3}
    assert sorted([x async for x in a]) == [1, 2, 3]


def test_set_arguments_are_looked_up_as_frozensets(r: Any) -> None:
    s = vm.Set([frozenset({1}), frozenset({"a", "b"}), 3])
    inner = vm.Set(["a", "b"])
    assert {1} in s and inner in s and {2} not in s and vm.Set([9]) not in s
    s.remove({1})
    s.discard(inner)
    assert s.copy() == {3}
    key = vm.Set([4])
    with pytest.raises(KeyError) as info:
        s.remove(key)
    assert info.value.args[0] is key
    with pytest.raises(TypeError, match="unhashable type: 'list'"):
        [1] in s  # noqa: B015
    with pytest.raises(TypeError, match="unhashable type: 'list'"):
        s.add((1, [2]))


def test_members_are_not_rehashed(r: Any) -> None:
    class Counting(int):
        hashes = 0

        def __hash__(self) -> int:
            Counting.hashes += 1
            return int.__hash__(self)

    s = vm.Set(Counting(i) for i in range(5))
    s.update([Counting(7)])
    s.add(Counting(8))
    assert Counting.hashes == 0 and s.copy() == {0, 1, 2, 3, 4, 7, 8}
