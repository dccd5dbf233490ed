"""Dict / DefaultDict: semantics of ``dict`` and ``defaultdict``, round trips, a differential
state machine against ``dict``, asyncio and Redis Cluster."""

from __future__ import annotations

import collections
import copy
import threading
from typing import Any

import pytest
from differential import run_machine
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import vermilion as vm
from vermilion.types.dict import AsyncDefaultDict, AsyncDict, DefaultDict, Dict
from vermilion.types.list import AsyncList, List

# -- storage -------------------------------------------------------------------------------------


def test_redis_sees_a_hash(r: Any) -> None:
    Dict({"name": "Ada", "age": 36}, key="user:1")
    assert r.type("user:1") == b"hash"
    assert r.hgetall("user:1") == {b'"name"': b'"Ada"', b'"age"': b"36"}


def test_keys_and_values_keep_types(r: Any) -> None:
    data: dict[Any, Any] = {
        "a": 1, 1: "one", "1": 1.5, (1, 2): (3, 4), frozenset({1, 2}): {5}, None: None,
        b"x": b"y", 2.5: [1, {"n": 2}], False: True, -(2**70): 2**70,
    }
    d = Dict(data)
    got = d.copy()
    assert got == data
    assert {(k, type(k)) for k in got} == {(k, type(k)) for k in data}
    assert {(k, type(k)) for k in d} == {(k, type(k)) for k in data}
    for k, v in data.items():
        # an int comes back as a TrackedInt (an int subclass making d[k] += 1 atomic)
        assert d[k] == v and (type(d[k]) is type(v) or type(v) is int and isinstance(d[k], int))
    assert d[frozenset({2, 1})] == {5}  # canonical encoding: member order does not matter


def test_initial_is_written_only_if_the_key_does_not_exist(r: Any) -> None:
    Dict({"a": 1}, key="k")
    again = Dict({"b": 2}, key="k")
    assert again.copy() == {"a": 1}
    assert Dict([("x", 1), ("y", 2)], key="pairs").copy() == {"x": 1, "y": 2}
    assert not r.exists(Dict({}).key)


def test_nested_vermilion_objects_are_live_references(r: Any) -> None:
    d = Dict(key="user")
    d["friends"] = List(["bob"], key="friends-of-ada")
    friends = d["friends"]
    assert isinstance(friends, List) and friends.key == "friends-of-ada"
    friends.append("eve")
    assert Dict(key="user")["friends"].copy() == ["bob", "eve"]
    d["meta"] = Dict({"x": 1}, key="meta")
    assert d["meta"]["x"] == 1
    assert isinstance(d.copy()["meta"], Dict)


# -- reading -------------------------------------------------------------------------------------


def test_getitem_get_contains(r: Any) -> None:
    d = Dict({"a": 1, (1, 2): "t"})
    assert d["a"] == 1 and d[(1, 2)] == "t"
    with pytest.raises(KeyError) as info:
        d["missing"]
    assert info.value.args == ("missing",)
    key = (1, "x")
    with pytest.raises(KeyError) as info:
        d[key]
    assert info.value.args[0] is key
    assert d.get("a") == 1 and d.get("zz") is None and d.get("zz", 7) == 7
    assert "a" in d and (1, 2) in d and "b" not in d and 1 not in d
    assert len(d) == 2 and bool(d)
    empty = Dict()
    assert len(empty) == 0 and not empty and "a" not in empty


def test_unhashable_keys_raise_before_any_io(r: Any) -> None:
    d = Dict({"a": 1})
    d.get("a")
    r.round_trips.reset()
    calls = [
        lambda: d[[1]], lambda: d.get([1]), lambda: d.__setitem__([1], 2),
        lambda: d.__delitem__({}), lambda: [1] in d, lambda: d.setdefault({1}),
        lambda: d.pop([1]), lambda: d.pop([1], None), lambda: d.update([([1], 2)]),
        lambda: d.update([("ok", 1), ({1: 2}, 1)]),
    ]
    for call in calls:
        with pytest.raises(TypeError, match="unhashable type"):
            call()
    with pytest.raises(TypeError, match=r"unhashable type: 'list'"):
        d[[1]]
    assert r.round_trips.count == 0
    assert d.copy() == {"a": 1}


def test_views_are_snapshots(r: Any) -> None:
    d = Dict({"a": 1, "b": 2})
    keys, values, items = d.keys(), d.values(), d.items()
    assert keys == {"a", "b"} and keys & {"a", "z"} == {"a"}
    assert sorted(values) == [1, 2]
    assert items == {("a", 1), ("b", 2)}
    assert type(keys) is type({}.keys()) and type(items) is type({}.items())
    d["c"] = 3
    assert "c" not in keys  # snapshot
    assert d.keys() == {"a", "b", "c"}
    assert Dict().keys() == set() and list(Dict().values()) == [] and Dict().items() == set()


def test_copy_value_and_reversed(r: Any) -> None:
    d = Dict({"a": [1], "b": 2})
    c = d.copy()
    assert type(c) is dict and c == {"a": [1], "b": 2}
    assert copy.copy(d) == c
    assert d.value == c
    d.value = {"x": 1}
    assert d.copy() == {"x": 1}
    d.value = [("p", 1), ("q", 2)]
    assert d.copy() == {"p": 1, "q": 2}
    d.value = {}
    assert d.copy() == {} and not r.exists(d.key)
    d.update(a=1, b=2, c=3)
    assert list(reversed(d)) == list(reversed(list(d)))


def test_iteration_has_no_repeats_and_covers_everything(r: Any) -> None:
    d = Dict({i: str(i) for i in range(3000)})
    keys = list(d)
    assert len(keys) == len(set(keys)) == 3000
    assert set(keys) == set(range(3000))
    assert dict(d.iter_items()) == {i: str(i) for i in range(3000)}
    assert list(Dict()) == []


def test_iteration_tolerates_concurrent_writes(r: Any) -> None:
    d = Dict({i: i for i in range(5000)})
    seen = []
    for i, k in enumerate(d):
        seen.append(k)
        if i == 10:
            d.update({j: j for j in range(5000, 8000)})  # may trigger a rehash
    assert len(seen) == len(set(seen))
    assert set(range(5000)) <= set(seen)  # keys present throughout are all seen


# -- writing -------------------------------------------------------------------------------------


def test_setitem_delitem(r: Any) -> None:
    d = Dict()
    d["a"] = 1
    d["a"] = 2
    d[1] = "x"
    assert d.copy() == {"a": 2, 1: "x"}
    del d["a"]
    assert d.copy() == {1: "x"}
    with pytest.raises(KeyError) as info:
        del d["a"]
    assert info.value.args == ("a",)


def test_setdefault(r: Any) -> None:
    d = Dict({"a": 1})
    assert d.setdefault("a", 5) == 1
    assert d.setdefault("b", [2]) == [2]
    assert d.setdefault("c") is None
    assert d.copy() == {"a": 1, "b": [2], "c": None}
    with pytest.raises(TypeError):
        d.setdefault()


def test_pop(r: Any) -> None:
    d = Dict({"a": 1, "b": None})
    assert d.pop("a") == 1
    assert d.pop("b", 5) is None  # a stored None is not "missing"
    assert d.pop("zz", 5) == 5
    assert d.pop("zz", None) is None
    with pytest.raises(KeyError) as info:
        d.pop("zz")
    assert info.value.args == ("zz",)
    with pytest.raises(TypeError, match="pop expected at most 2 arguments, got 3"):
        d.pop("a", 1, 2)
    assert d.copy() == {}


def test_popitem(r: Any) -> None:
    data = {"a": 1, "b": 2, (3,): 3}
    d = Dict(data)
    popped = [d.popitem() for _ in range(3)]
    assert sorted(popped, key=repr) == sorted(data.items(), key=repr)
    with pytest.raises(KeyError) as info:
        d.popitem()
    assert str(info.value) == str(KeyError("popitem(): dictionary is empty"))
    assert not r.exists(d.key)


def test_update_forms_and_errors(r: Any) -> None:
    d = Dict()
    d.update({"a": 1})
    d.update([("b", 2), ["c", 3]])
    d.update(d=4)
    d.update({"e": 5}, f=6)
    d.update(iter([("g", 7)]))
    d.update(["hi"])  # a 2-character string is a pair
    d.update(Dict({"j": 10}))
    d.update(collections.OrderedDict(k=11))
    d.update()
    d.update([])
    assert d.copy() == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "h": "i",
                        "j": 10, "k": 11}
    for bad, exc, msg in [
        ([1], TypeError, "cannot convert dictionary update sequence element #0 to a sequence"),
        ([("a", 1), (1, 2, 3)], ValueError,
         "dictionary update sequence element #1 has length 3; 2 is required"),
        (1, TypeError, "'int' object is not iterable"),
    ]:
        with pytest.raises(exc, match=msg):
            d.update(bad)
        with pytest.raises(exc, match=msg):
            {}.update(bad)
    with pytest.raises(TypeError, match="update expected at most 1 argument, got 2"):
        d.update({}, {})
    assert len(d) == 10  # failed updates changed nothing
    d2 = Dict({"x": 1})
    d2.update([("x", 2), ("x", 3)])
    assert d2.copy() == {"x": 3}


def test_clear_and_fromkeys(r: Any) -> None:
    d = Dict({"a": 1})
    d.clear()
    assert d.copy() == {} and len(d) == 0
    d.clear()
    f = Dict.fromkeys(["a", "b"], 0, key="fk")
    assert isinstance(f, Dict) and f.key == "fk" and f.copy() == {"a": 0, "b": 0}
    assert Dict.fromkeys("xy").copy() == {"x": None, "y": None}
    with pytest.raises(TypeError, match="unhashable"):
        Dict.fromkeys([[1]])
    g = DefaultDict.fromkeys([1, 2], "v")
    assert isinstance(g, DefaultDict) and g.default_factory is None
    assert g.copy() == {1: "v", 2: "v"}


def test_equality_union_repr(r: Any) -> None:
    d = Dict({"a": 1, "b": 2}, key="d1")
    assert d == {"a": 1, "b": 2} and {"b": 2, "a": 1} == d
    assert d != {"a": 1} and not (d == {"a": 1})
    assert d == Dict({"b": 2, "a": 1}) and d == d
    assert d != Dict({"a": 1})
    assert (d == [("a", 1)]) is False and d != 5
    with pytest.raises(TypeError):
        hash(d)
    merged = d | {"b": 3, "c": 4}
    assert type(merged) is dict and merged == {"a": 1, "b": 3, "c": 4}
    left = {"b": 3, "z": 0} | d
    assert type(left) is dict and left == {"b": 2, "z": 0, "a": 1}
    assert d | Dict({"q": 1}) == {"a": 1, "b": 2, "q": 1}
    with pytest.raises(TypeError, match="unsupported operand"):
        d | [("x", 1)]
    with pytest.raises(TypeError, match="unsupported operand"):
        [("x", 1)] | d  # type: ignore[operator]
    before = d
    d |= {"c": 3}
    d |= [("e", 5)]
    assert d is before and d.copy() == {"a": 1, "b": 2, "c": 3, "e": 5}
    assert repr(d) == "{'a': 1, 'b': 2, 'c': 3, 'e': 5}"  # dict's form (the suites pin it)
    d["self"] = d
    assert repr(d) == "{'a': 1, 'b': 2, 'c': 3, 'e': 5, 'self': {...}}"


def test_wrong_redis_type(r: Any) -> None:
    r.set("s", "text")
    d = Dict(key="s")
    for call in [lambda: d["a"], lambda: d.__setitem__("a", 1), lambda: len(d),
                 lambda: d.setdefault("a", 1), lambda: d.pop("a", None), lambda: d.popitem(),
                 lambda: d.update(a=1), lambda: list(d), lambda: d.copy(),
                 lambda: setattr(d, "value", {"a": 1}), lambda: Dict({"a": 1}, key="s")]:
        with pytest.raises(vm.WrongTypeError) as info:
            call()
        assert "'s'" in str(info.value)
        assert info.value.key == "s"
    assert r.get("s") == b"text"


def test_inside_a_transaction(r: Any) -> None:
    d = Dict({"a": 1})
    with vm.transaction():
        assert d["a"] == 1  # reads run at once
        d["b"] = 2
        popped = d.pop("a")
        d.update(c=3)
        assert "b" not in d  # the writes are queued until the commit
    assert popped.value == 1
    assert d.copy() == {"b": 2, "c": 3}


# -- round trips ---------------------------------------------------------------------------------


def test_round_trips(r: Any) -> None:
    d = Dict({"a": 1, "b": 2})
    ops = [
        lambda: d["a"], lambda: d.__setitem__("c", 3), lambda: d.setdefault("d", 4),
        lambda: d.setdefault("d", 5), lambda: d.pop("c"), lambda: d.pop("zz", None),
        lambda: d.update({f"k{i}": i for i in range(2000)}), lambda: d.popitem(),
        lambda: d.get("a"), lambda: "a" in d, lambda: len(d), lambda: d.copy(),
        lambda: d.keys(), lambda: d.values(), lambda: d.items(), lambda: d.__delitem__("a"),
        lambda: d.clear(), lambda: d.__setattr__("value", {"x": 1}),
    ]
    for fn in ops:  # warm up scripts
        fn()
    d.value = {"a": 1, "b": 2}
    for fn in ops:
        r.round_trips.reset()
        fn()
        assert r.round_trips.count == 1, fn


def test_iterating_10000_items_is_at_most_10_round_trips(r: Any) -> None:
    d = Dict()
    d.update({i: i for i in range(10_000)})
    r.round_trips.reset()
    assert sum(1 for _ in d) == 10_000
    assert r.round_trips.count <= 10
    r.round_trips.reset()
    assert len(dict(d.iter_items())) == 10_000
    assert r.round_trips.count <= 10


def test_large_initial_and_value(r: Any) -> None:
    data = {f"k{i}": i for i in range(5000)}  # more pairs than one Lua unpack may take
    d = Dict(data)
    assert d.copy() == data
    d.value = {i: i for i in range(4000)}
    assert len(d) == 4000


# -- DefaultDict ---------------------------------------------------------------------------------


def test_defaultdict_basics(r: Any) -> None:
    calls = []

    def factory() -> list[Any]:
        calls.append(1)
        return []

    d = DefaultDict(factory, {"a": [1]}, key="dd")
    assert d["a"] == [1] and calls == []
    assert d["b"] == [] and calls == [1]
    assert d.copy() == {"a": [1], "b": []}
    assert d.get("c") is None and "c" not in d and calls == [1]  # get/contains: no factory
    c = d.copy()
    assert type(c) is collections.defaultdict and c.default_factory is factory
    assert isinstance(d, Dict)
    assert repr(d) == f"DefaultDict({factory!r}, {{'a': [1], 'b': []}}, key='dd')"
    merged = d | {"z": 1}
    assert type(merged) is collections.defaultdict and merged["z"] == 1
    assert type({"z": 1} | d) is collections.defaultdict


def test_defaultdict_none_factory_and_bad_factory(r: Any) -> None:
    d = DefaultDict(None, {"a": 1})
    assert d["a"] == 1
    with pytest.raises(KeyError) as info:
        d["b"]
    assert info.value.args == ("b",)
    with pytest.raises(TypeError, match="first argument must be callable or None"):
        DefaultDict(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="first argument must be callable or None"):
        collections.defaultdict(1)  # type: ignore[call-overload]
    assert DefaultDict().default_factory is None


def test_defaultdict_counter_style_and_round_trips(r: Any) -> None:
    d = DefaultDict(int)
    d["x"]
    r.round_trips.reset()
    assert d["x"] == 0
    assert r.round_trips.count == 1  # hit: one round trip
    r.round_trips.reset()
    assert d["y"] == 0
    assert r.round_trips.count == 2  # miss: HGET, then HSETNX+HGET
    d["x"] = d["x"] + 1
    assert d.copy() == {"x": 1, "y": 0}


def test_defaultdict_of_lists_is_live(r: Any) -> None:
    groups = DefaultDict(List, key="groups")
    groups["a"].append(1)
    groups["a"].append(2)
    groups["b"].extend([3])
    reopened = DefaultDict(List, key="groups")
    assert reopened["a"].copy() == [1, 2] and reopened["b"].copy() == [3]
    plain = Dict(key="groups")  # another face on the same hash
    assert isinstance(plain["a"], List)


def test_defaultdict_racing_clients_get_the_same_value(r: Any) -> None:
    barrier = threading.Barrier(6)
    results: list[Any] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        d = DefaultDict(lambda: f"made-by-{n}", key="race")
        barrier.wait()
        got = d["k"]
        with lock:
            results.append(got)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    assert Dict(key="race")["k"] == results[0]


# -- differential: vermilion Dict vs dict --------------------------------------------------------

keys_st = st.one_of(st.integers(-3, 3), st.text("ab", max_size=2), st.tuples(st.integers(0, 1)),
                    st.just([1]))
values_st = st.one_of(st.integers(-5, 5), st.text("xy", max_size=2), st.none(),
                      st.lists(st.integers(0, 2), max_size=2))


def outcome(fn: Any) -> Any:
    try:
        return ("ok", fn())
    except Exception as exc:  # noqa: BLE001 - comparing exception types and messages
        return ("err", type(exc), exc.args)


class DictMachine(RuleBasedStateMachine):
    @initialize(initial=st.dictionaries(st.integers(-3, 3), values_st, max_size=3))
    def setup(self, initial: dict[Any, Any]) -> None:
        self.model: dict[Any, Any] = dict(initial)
        self.real = Dict(initial)

    def same(self, f_model: Any, f_real: Any) -> None:
        assert outcome(f_real) == outcome(f_model)

    @rule(k=keys_st, v=values_st)
    def setitem(self, k: Any, v: Any) -> None:
        self.same(lambda: self.model.__setitem__(k, v), lambda: self.real.__setitem__(k, v))

    @rule(k=keys_st)
    def getitem(self, k: Any) -> None:
        self.same(lambda: self.model[k], lambda: self.real[k])

    @rule(k=keys_st)
    def delitem(self, k: Any) -> None:
        self.same(lambda: self.model.__delitem__(k), lambda: self.real.__delitem__(k))

    @rule(k=keys_st, d=values_st)
    def get_contains(self, k: Any, d: Any) -> None:
        self.same(lambda: self.model.get(k, d), lambda: self.real.get(k, d))
        self.same(lambda: k in self.model, lambda: k in self.real)

    @rule(k=keys_st, v=values_st)
    def setdefault(self, k: Any, v: Any) -> None:
        self.same(lambda: self.model.setdefault(k, v), lambda: self.real.setdefault(k, v))

    @rule(k=keys_st.filter(lambda k: k != [1]), d=st.lists(values_st, max_size=1))
    def pop(self, k: Any, d: list[Any]) -> None:
        self.same(lambda: self.model.pop(k, *d), lambda: self.real.pop(k, *d))

    @rule()
    def popitem(self) -> None:
        self.same(self.model.popitem, self.real.popitem)  # LIFO, as dict's (a small hash)

    @rule(k=keys_st.filter(lambda k: k != [1]), n=st.integers(-3, 3), minus=st.booleans())
    def inplace(self, k: Any, n: int, minus: bool) -> None:
        def bump(d: Any) -> Any:
            if minus:
                d[k] -= n
            else:
                d[k] += n
            return d[k]

        self.same(lambda: bump(self.model), lambda: bump(self.real))

    @rule(other=st.dictionaries(keys_st.filter(lambda k: k != [1]), values_st, max_size=3)
          | st.lists(st.tuples(keys_st.filter(lambda k: k != [1]), values_st), max_size=3))
    def update(self, other: Any) -> None:
        self.same(lambda: self.model.update(other), lambda: self.real.update(other))

    @rule(other=st.dictionaries(st.integers(-3, 3), values_st, max_size=3))
    def ior_or(self, other: dict[Any, Any]) -> None:
        assert (self.real | other) == (self.model | other)
        self.model |= other
        self.real |= other

    @rule()
    def clear(self) -> None:
        self.model.clear()
        self.real.clear()

    @rule()
    def views(self) -> None:
        assert self.real.keys() == self.model.keys()
        assert self.real.items() == self.model.items()
        assert sorted(map(repr, self.real.values())) == sorted(map(repr, self.model.values()))

    @invariant()
    def same_state(self) -> None:
        if hasattr(self, "real"):
            assert self.real.copy() == self.model
            assert len(self.real) == len(self.model)
            assert sorted(map(repr, self.real)) == sorted(map(repr, self.model))
            assert self.real == self.model and bool(self.real) == bool(self.model)


def test_dict_differential(r: Any) -> None:
    run_machine(DictMachine, examples=40, steps=30)


# -- asyncio -------------------------------------------------------------------------------------


async def test_async_dict(ar: Any) -> None:
    d = AsyncDict({"a": 1}, key="ad")
    await d
    await d.setitem("b", [2])
    assert await d["a"] == 1
    assert await d.getitem("b") == [2]
    assert await d.len() == 2
    assert await d.contains("a") and not await d.contains("zz")
    assert sorted([k async for k in d]) == ["a", "b"]
    assert dict([kv async for kv in d.iter_items()]) == {"a": 1, "b": [2]}
    with pytest.raises(KeyError):
        await d.getitem("zz")
    assert await d.setdefault("c", 3) == 3
    assert await d.pop("c") == 3
    assert await d.pop("c", None) is None
    await d.update({"x": 1}, y=2)
    assert await d.copy() == {"a": 1, "b": [2], "x": 1, "y": 2}
    assert await d.keys() == {"a", "b", "x", "y"}
    ar.round_trips.reset()
    await d.setitem("z", 0)
    assert ar.round_trips.count == 1
    again = AsyncDict({"zzz": 1}, key="ad")
    assert "zzz" not in await again.copy()
    await d.clear()
    with pytest.raises(KeyError, match="popitem"):
        await d.popitem()


async def test_async_initial_written_on_first_operation(ar: Any) -> None:
    d = AsyncDict({1: 2})
    assert await d.get(1) == 2


async def test_async_defaultdict_and_nested(ar: Any) -> None:
    d = AsyncDefaultDict(AsyncList, key="adg")
    lst = await d["a"]
    assert isinstance(lst, AsyncList)
    await lst.append(1)
    assert await (await d["a"]).copy() == [1]
    counts = AsyncDefaultDict(int)
    assert await counts["x"] == 0
    c = await counts.copy()
    assert type(c) is collections.defaultdict and c == {"x": 0}


async def test_async_iteration_10000_items(ar: Any) -> None:
    d = AsyncDict()
    await d.update({i: i for i in range(10_000)})
    ar.round_trips.reset()
    assert len({k async for k in d}) == 10_000
    assert ar.round_trips.count <= 10


# -- Redis Cluster -------------------------------------------------------------------------------


@pytest.mark.cluster
def test_cluster_dict(rc: Any) -> None:
    d = Dict({"a": 1}, key="cd")
    assert d.setdefault("a", 5) == 1 and d.setdefault("b", 2) == 2
    assert d.pop("a") == 1 and d.pop("a", "no") == "no"
    d.update({i: i for i in range(3000)})
    assert set(d) == {"b", *range(3000)}
    k, v = d.popitem()
    assert k not in d
    assert len(d) == 3000
    groups = DefaultDict(List, key="{cd}:groups")
    groups["x"].append(1)
    assert groups["x"].copy() == [1]
    many = [Dict({"n": i}) for i in range(10)]  # keys spread over the slots
    assert [m["n"] for m in many] == list(range(10))
    assert [dict(m.items()) for m in many] == [{"n": i} for i in range(10)]


@pytest.mark.cluster
async def test_cluster_async_dict(arc: Any) -> None:
    d = AsyncDict({"a": 1}, key="acd")
    assert await d.setdefault("a", 9) == 1
    assert await d.pop("a") == 1
    await d.update({i: i for i in range(500)})
    assert {k async for k in d} == set(range(500))


def test_python_constructor_forms_and_fromkeys(r: Any) -> None:
    assert Dict(x=1, y=2).copy() == {"x": 1, "y": 2}
    assert Dict({"a": 1}, b=2).copy() == {"a": 1, "b": 2}
    assert Dict([("a", 1)], a=3).copy() == {"a": 3}
    dd = DefaultDict(list, {"a": [1]}, b=[2])
    assert dd.copy() == {"a": [1], "b": [2]} and dd.default_factory is list

    class Sub(Dict):
        pass

    made = Sub.fromkeys("ab", 0)
    assert type(made) is Sub and made.copy() == {"a": 0, "b": 0}
    assert type(DefaultDict.fromkeys("a")) is DefaultDict

    class Logged(Dict):
        seen: list[Any] = []

        def __setitem__(self, key: Any, value: Any) -> None:
            self.seen.append(key)
            super().__setitem__(key, value)

    logged = Logged.fromkeys("xy")  # an overridden __setitem__ is called for each key
    assert Logged.seen == ["x", "y"] and logged.copy() == {"x": None, "y": None}

    class NotADict(Dict):
        def __new__(cls) -> Any:  # type: ignore[misc]
            return collections.UserDict()

    assert NotADict.fromkeys("a") == collections.UserDict({"a": None})


def test_popitem_is_lifo_for_small_hashes(r: Any) -> None:
    d = Dict()
    for i in range(20):
        d[i] = i
    d[3] = "updated in place"
    del d[5]
    d[5] = "again"
    model = {i: i for i in range(20)}
    model[3] = "updated in place"
    del model[5]
    model[5] = "again"
    while model:
        assert d.popitem() == model.popitem()
    with pytest.raises(KeyError):
        d.popitem()
    d.update({"a": 1, "b": 2})
    with vm.transaction():
        d.popitem()
    assert d.copy() == {"a": 1}


def test_setdefault_returns_a_copy(r: Any) -> None:
    d = Dict()
    d.setdefault("k", []).append(3)  # a plain list: Redis unchanged, as documented
    assert d["k"] == []
    d.setdefault("live", vm.List()).append(3)  # store a vermilion List for a live value
    assert d["live"].copy() == [3]
