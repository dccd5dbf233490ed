"""MultiSet: semantics of ``collections.Counter``, round trips, cluster, differential machine."""

from __future__ import annotations

from collections import Counter
from typing import Any

import differential
import pytest
from differential import run_machine
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import vermilion as vm
from vermilion.types.counter import AsyncMultiSet, MultiSet


def test_redis_sees_a_sorted_set_of_counts(r: Any) -> None:
    c = MultiSet("abracadabra", key="letters")
    assert r.type("letters") == b"zset"
    assert r.zscore("letters", '"a"') == 5.0
    assert c.copy() == Counter("abracadabra")
    assert MultiSet("zzz", key="letters").copy() == Counter("abracadabra")  # initial not rewritten


def test_elements_keep_types(r: Any) -> None:
    data = {1: 2, "1": 3, (1, 2): 1, frozenset({1}): 4, None: 1, 2.5: 1}
    c = MultiSet(data)
    assert c.copy() == Counter(data)
    assert c[(1, 2)] == 1 and c[frozenset({1})] == 4 and c[1] == 2 and c["1"] == 3
    assert {type(k) for k in c} == {type(k) for k in data}


def test_getitem_setitem_delitem(r: Any) -> None:
    c = MultiSet(key="c")
    assert c["missing"] == 0 and "missing" not in c and len(c) == 0 and not c
    c["a"] = 3
    c["b"] = 0
    c["n"] = -2
    assert c["a"] == 3 and "b" in c and c["n"] == -2 and len(c) == 3 and c
    c["a"] += 1
    assert c["a"] == 4
    del c["a"]
    del c["never"]  # Counter ignores missing elements
    assert "a" not in c
    assert c.get("b") == 0 and c.get("zz") is None and c.get("zz", 7) == 7
    assert c.pop("n") == -2 and c.pop("zz", None) is None
    with pytest.raises(KeyError) as info:
        c.pop(("t", 1))
    assert info.value.args == (("t", 1),)
    c.clear()
    assert not r.exists("c")


def test_bad_input(r: Any) -> None:
    c = MultiSet({"a": 1})
    r.round_trips.reset()
    with pytest.raises(TypeError, match="unhashable type: 'list'"):
        c[[1]]
    with pytest.raises(TypeError, match="unhashable type: 'dict'"):
        c.update([{}])
    with pytest.raises(TypeError, match="unhashable type: 'set'"):
        {1} in c  # noqa: B015
    with pytest.raises(TypeError, match="counts must be integers"):
        c["a"] = 1.5
    with pytest.raises(TypeError, match="counts must be integers"):
        c.update({"a": "x"})
    with pytest.raises(OverflowError):
        c["a"] = 2**60
    with pytest.raises(AttributeError, match="'list' object has no attribute 'items'"):
        c += [1]  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        c.most_common("x")  # type: ignore[arg-type]
    assert r.round_trips.count == 0
    with pytest.raises(TypeError, match="unsupported operand"):
        c + {"a": 1}  # type: ignore[operator]
    assert c.copy() == Counter(a=1)


def test_update_subtract_incr(r: Any) -> None:
    c = MultiSet("aab", key="u")
    c.update("abc")
    c.update({"a": 10, "z": 0}, b=2)
    c.update()
    model = Counter("aab")
    model.update("abc")
    model.update({"a": 10, "z": 0}, b=2)
    assert c.copy() == model and "z" in c
    c.subtract({"a": 20, "q": 1})
    c.subtract("b")
    model.subtract({"a": 20, "q": 1})
    model.subtract("b")
    assert c.copy() == model and c["a"] < 0 and c["q"] == -1
    assert c.incr("a") == model["a"] + 1
    assert c.incr("new", 5) == 5 and c.incr("new", -7) == -2
    assert c.total() == sum(model.values()) + 1 - 2


def test_most_common_and_views(r: Any) -> None:
    data = {"w": 1, "z": 3, "x": 5, "n": -1, "y": 3, "v": 0}
    c, model = MultiSet(data), Counter(data)
    mc = c.most_common()
    assert mc == model.most_common() == [("x", 5), ("z", 3), ("y", 3), ("w", 1), ("v", 0),
                                         ("n", -1)]  # ties: first inserted first
    for n in (None, 0, -1, 1, 2, 3, 4, 6, 100, True, 10**30):
        assert c.most_common(n) == model.most_common(n)
    assert c.keys() == list(model.keys()) and c.values() == list(model.values())
    assert c.items() == list(model.items())
    assert list(c) == list(model) == list(data)
    assert list(c.elements()) == list(model.elements()) == list("wzzzxxxxxyyy")
    assert list(c.copy().items()) == list(model.items())
    assert c.total() == 11
    assert MultiSet().most_common() == [] and MultiSet().total() == 0


def test_abracadabra_documented_examples(r: Any) -> None:
    c = MultiSet("abracadabra")
    assert c.most_common(3) == Counter("abracadabra").most_common(3) == [
        ("a", 5), ("b", 2), ("r", 2)]
    assert c.most_common() == Counter("abracadabra").most_common()
    assert repr(c) == f"MultiSet({{'a': 5, 'b': 2, 'r': 2, 'c': 1, 'd': 1}}, key={c.key!r})"
    assert list(MultiSet("ABCABC").elements()) == list("AABBCC")
    d = MultiSet(a=4, b=2, c=0, d=-2)  # keyword counts, as Counter(a=4, ...)
    assert list(d.elements()) == list("aaaabb") and sorted(d.elements()) == list("aaaabb")
    assert list(d) == ["a", "b", "c", "d"]
    assert MultiSet("ab", a=2, z=1, key="kw").items() == [("a", 3), ("b", 1), ("z", 1)]
    assert MultiSet(key="kw", z=5).items() == [("a", 3), ("b", 1), ("z", 1)]  # key exists
    e = MultiSet("which")
    e.update("witch")
    e.subtract("watch")
    model = Counter("which")
    model.update("witch")
    model.subtract("watch")
    assert e.items() == list(model.items()) and e.most_common() == model.most_common()


def test_delete_then_add_again_goes_last(r: Any) -> None:
    c, model = MultiSet("abcd", key="o"), Counter("abcd")
    for m in (c, model):
        del m["a"]
        m["a"] = 1  # back at the end, like a dict
        m["b"] = 7  # an existing element keeps its place
    assert list(c) == list(model) == ["b", "c", "d", "a"]
    assert c.pop("c") == model.pop("c") == 1
    c.incr("c")
    model["c"] += 1
    assert c.keys() == list(model) == ["b", "d", "a", "c"]
    c.subtract({"d": 1})
    model.subtract({"d": 1})
    c += Counter(z=2)  # drops d (count 0) and appends z
    model += Counter(z=2)
    assert c.items() == list(model.items()) == [("b", 7), ("a", 1), ("c", 1), ("z", 2)]
    c.update(["d"])
    model.update(["d"])
    assert list(c) == list(model) and c.most_common() == model.most_common()
    c.clear()
    c.update("yx")
    assert list(c) == ["y", "x"] and r.zcard("{o}:order") == 2
    c.value = {"q": 1, "p": 1}
    assert list(c) == ["q", "p"] and c.most_common() == [("q", 1), ("p", 1)]


def test_order_key_follows_the_object(r: Any) -> None:
    c = MultiSet("ab", key="k")
    assert c.keys_owned == ("k", "{k}:order")
    assert c.expire(100) and 0 < r.pttl("{k}:order") <= 100_000
    assert c.persist() and r.pttl("{k}:order") == -1
    c -= Counter("ab")  # empty: both keys vanish
    assert not r.exists("k") and not r.exists("{k}:order")
    c.update("ba")
    r.delete("k")  # deleted by hand, order key left behind: ignored and replaced
    c.update("ab")
    assert list(c) == ["a", "b"] and r.zcard("{k}:order") == 2
    assert c.delete() and not r.exists("k") and not r.exists("{k}:order")


def test_elements_added_by_other_clients_come_last(r: Any) -> None:
    c = MultiSet("ba", key="f")
    r.zadd("f", {'"z"': 3, '"y"': 1})
    assert list(c) == ["b", "a", "y", "z"] and len(c) == 4
    assert c.items() == [("b", 1), ("a", 1), ("y", 1), ("z", 3)]
    assert c.most_common() == [("z", 3), ("b", 1), ("a", 1), ("y", 1)]
    c["y"] = 2  # a write registers it
    assert list(c) == ["b", "a", "y", "z"] and c.keys() == ["b", "a", "y", "z"]
    assert c.copy() == Counter(b=1, a=1, y=2, z=3)


def test_arithmetic_returns_counters(r: Any) -> None:
    a_data = Counter(a=3, b=1, c=-2, d=0)
    b_data = Counter(a=1, b=4, e=2, c=1)
    a, b = MultiSet(a_data, key="a"), MultiSet(b_data, key="b")
    for other in (b_data, b):
        assert a + other == a_data + b_data
        assert a - other == a_data - b_data
        assert a | other == a_data | b_data
        assert a & other == a_data & b_data
        assert type(a + other) is Counter
    assert b_data + a == b_data + a_data and b_data - a == b_data - a_data
    assert b_data | a == b_data | a_data and b_data & a == b_data & a_data
    assert +a == +a_data and -a == -a_data
    for fn in ("__add__", "__sub__", "__or__", "__and__"):
        got, expected = getattr(a, fn)(b), getattr(a_data, fn)(b_data)
        assert list(got.items()) == list(expected.items())  # insertion order too
    r.round_trips.reset()
    a + b  # noqa: B018
    assert r.round_trips.count == 1


@pytest.mark.parametrize("op", ["__iadd__", "__isub__", "__ior__", "__iand__"])
@pytest.mark.parametrize("kind", ["counter", "dict", "multiset"])
def test_inplace_operators_are_counter_semantics(r: Any, op: str, kind: str) -> None:
    mine = Counter(a=3, b=1, c=-2, d=0, f=2)
    theirs = Counter(a=1, b=4, e=2, c=1, f=-5, g=0)
    real = MultiSet(mine, key="{x}:mine")
    other: Any = {"counter": theirs, "dict": dict(theirs),
                  "multiset": MultiSet(theirs, key="{x}:theirs")}[kind]
    model = Counter(mine)
    model = getattr(model, op)(theirs)  # a dict operand counts as a Counter (missing = 0)
    res = getattr(real, op)(other)
    assert res is real
    assert real.items() == list(model.items())  # same counts, same order
    assert all(n > 0 for n in real.values())
    if kind == "multiset":
        assert other.copy() == theirs


def test_equality(r: Any) -> None:
    c = MultiSet({"a": 1, "b": 0})
    assert c == Counter(a=1)  # Counter: missing counts as zero
    assert c == Counter(a=1, b=0) and c != Counter(a=2)
    assert c == {"a": 1, "b": 0} and c != {"a": 1}  # dict equality for plain dicts
    assert c == MultiSet({"a": 1}) and c == c
    assert (c == [1]) is False
    assert Counter(a=1) == c
    assert c <= Counter(a=1, z=3) and c < Counter(a=2) and not c > Counter(a=1)


def test_value_repr_copy(r: Any) -> None:
    c = MultiSet("aab", key="v")
    assert repr(c) == "MultiSet({'a': 2, 'b': 1}, key='v')"
    assert type(c.copy()) is Counter
    c.value = "xyz"
    assert c.value == Counter("xyz")
    assert Counter(c) == Counter("xyz")  # registered as a Mapping
    import copy as copymod

    assert copymod.copy(c) == Counter("xyz")


def test_round_trips(r: Any) -> None:
    c = MultiSet("hello", key="c")
    c.update({"h": 1})
    c += Counter(q=1)
    c.total()
    c.pop("q")
    MultiSet("w").popitem()  # loads the script
    ops = [lambda: c["l"], lambda: c.__setitem__("x", 3), lambda: c.incr("x"),
           lambda: c.most_common(), lambda: c.most_common(2), lambda: c.update("hello" * 100),
           lambda: c.subtract({"l": 1}), lambda: "h" in c, lambda: len(c), lambda: c.copy(),
           lambda: c.total(), lambda: c.iadd(Counter(o=1)), lambda: c.iand({"l": 1}),
           lambda: c.pop("l"), lambda: c.__delitem__("h"), lambda: c.items(),
           lambda: c.setdefault("s", 2), lambda: c.setdefault("s"), lambda: c.popitem()]
    for fn in ops:
        r.round_trips.reset()
        fn()
        assert r.round_trips.count == 1


def test_popitem_is_lifo_in_insertion_order(r: Any) -> None:
    c = MultiSet("abcaba")
    c["z"] = 0
    del c["a"]
    c["a"] = 7  # deleted and added again: last
    model = Counter("abcaba")
    model["z"] = 0
    del model["a"]
    model["a"] = 7
    while model:
        assert c.popitem() == model.popitem()
    assert not c.exists() and not r.exists(c.keys_owned[1])
    with pytest.raises(KeyError) as info:
        c.popitem()
    assert str(info.value) == str(KeyError("popitem(): dictionary is empty"))
    c.update("xy")
    r.zadd(c.key, {'"w"': 4})  # another client's element comes last: it goes first
    assert [c.popitem(), c.popitem(), c.popitem()] == [("w", 4), ("y", 1), ("x", 1)]


def test_popitem_keeps_what_it_cannot_return(r: Any) -> None:
    c = MultiSet({"a": 1, "b": 2}, key="c")
    r.zadd("c", {'"b"': float("inf")})
    with pytest.raises(vm.DecodeError, match="'c'"):
        c.popitem()
    assert r.zscore("c", '"b"') == float("inf")  # left in place
    del c["b"]
    r.zadd("c", {b"\xff": 3})  # not a value vermilion wrote: put back, last, and reported
    with pytest.raises(vm.DecodeError, match="left in place"):
        c.popitem()
    assert r.zscore("c", b"\xff") == 3 and r.zrevrange("{c}:order", 0, 0) == [b"\xff"]
    r.zrem("c", b"\xff")
    r.zadd("c", {b"\xfe": 1})
    with pytest.raises(vm.DecodeError):
        with vm.transaction():
            c.popitem()  # checked before the commit: nothing is removed
    assert r.zscore("c", b"\xfe") == 1
    r.zrem("c", b"\xfe")
    with vm.transaction():
        got = c.popitem()
    assert got.value == ("a", 1) and not c.exists()


def test_setdefault_fromkeys_reversed(r: Any) -> None:
    c = MultiSet("abcaba")
    model = Counter("abcaba")
    assert c.setdefault("a") == model.setdefault("a") == 3
    assert c.setdefault("b", 5) == model.setdefault("b", 5) == 2
    assert c.setdefault("q", 5) == model.setdefault("q", 5) == 5
    assert list(c) == list(model) and list(reversed(c)) == list(reversed(model))
    with pytest.raises(TypeError, match="integers"):
        c.setdefault("new")  # a count of None: counts are integers
    with pytest.raises(TypeError, match="integers"):
        c.setdefault("new", 1.5)
    assert "new" not in c
    c["n"] = c.setdefault("n", 0) + 1  # the count is tracked: an atomic increment
    assert c["n"] == 1
    with pytest.raises(NotImplementedError, match="MultiSet.fromkeys"):
        MultiSet.fromkeys("abc")
    with pytest.raises(NotImplementedError):
        Counter.fromkeys("abc")


def test_elements_named_like_parameters(r: Any) -> None:
    """Counter's iterable and self are positional-only: elements may carry those names."""
    assert MultiSet(self=42).items() == [("self", 42)]
    assert MultiSet(iterable=42).items() == [("iterable", 42)]
    c = MultiSet()
    c.update(self=42, iterable=1)
    c.subtract(self=2, iterable=3)
    assert c.items() == [("self", 40), ("iterable", -2)]
    with pytest.raises(TypeError):
        c.update(42)
    with pytest.raises(TypeError):
        c.subtract({}, {})
    with pytest.raises(TypeError):
        MultiSet.update()  # type: ignore[call-arg]


def test_iteration_in_chunks(r: Any) -> None:
    c = MultiSet({f"e{i}": i % 3 for i in range(10_000)})
    del c["e5"]
    c["e5"] = 2
    model = Counter({f"e{i}": i % 3 for i in range(10_000)})
    del model["e5"]
    model["e5"] = 2
    r.round_trips.reset()
    keys = list(c)
    assert r.round_trips.count <= 10
    assert keys == list(model)
    r.round_trips.reset()
    assert list(c.elements()) == list(model.elements())
    assert r.round_trips.count <= 10
    r.round_trips.reset()
    assert c.most_common(3) == model.most_common(3)
    assert c.most_common() == model.most_common()
    assert c.items() == list(model.items())
    assert r.round_trips.count == 3


def test_wrong_type(r: Any) -> None:
    r.set("str", "x")
    r.sadd("aset", "x")
    c = MultiSet(key="str")
    for call in (lambda: c["a"], lambda: c.__setitem__("a", 1), lambda: c.update("ab"),
                 lambda: c.most_common(), lambda: c.total(), lambda: c.incr("a"),
                 lambda: list(c), lambda: c.pop("a", 0), lambda: c.iadd({"a": 1})):
        with pytest.raises(vm.WrongTypeError) as info:
            call()
        assert "str" in str(info.value)
    with pytest.raises(vm.WrongTypeError, match="str"):
        MultiSet("a", key="str")
    good = MultiSet("a", key="good")
    with pytest.raises(vm.WrongTypeError, match="aset"):
        good.update(MultiSet(key="aset"))
    assert good.copy() == Counter("a") and r.get("str") == b"x"


# -- differential ---------------------------------------------------------------------------

elems = st.one_of(st.sampled_from(["a", "b", "c"]), st.integers(0, 3), st.just((1, 2)))
counts = st.integers(-3, 5)
mappings = st.dictionaries(elems, counts, max_size=4)



def same(f_model: Any, f_real: Any) -> Any:
    return differential.same(f_model, f_real, differential.ARGS)



class CounterMachine(RuleBasedStateMachine):
    @initialize(init=mappings)
    def setup(self, init: dict[Any, int]) -> None:
        self.model = Counter(init)
        self.real = MultiSet(init)

    @rule(e=elems, n=counts)
    def setitem(self, e: Any, n: int) -> None:
        self.model[e] = n
        self.real[e] = n

    @rule(e=elems)
    def getitem_contains(self, e: Any) -> None:
        assert self.real[e] == self.model[e]
        assert (e in self.real) == (e in self.model)

    @rule(e=elems)
    def delitem(self, e: Any) -> None:
        del self.model[e]
        del self.real[e]

    @rule(e=elems, n=counts)
    def incr(self, e: Any, n: int) -> None:
        self.model[e] += n
        assert self.real.incr(e, n) == self.model[e]

    @rule(e=elems, n=counts)
    def inplace(self, e: Any, n: int) -> None:
        self.model[e] += n
        self.real[e] += n  # an atomic increment (the count read is a TrackedInt)
        self.model[e] -= 1
        self.real[e] = self.real.get(e, 0) - 1

    @rule(it=st.one_of(mappings, st.lists(elems, max_size=5)), sub=st.booleans())
    def update_subtract(self, it: Any, sub: bool) -> None:
        name = "subtract" if sub else "update"
        getattr(self.model, name)(it)
        getattr(self.real, name)(it)

    @rule(other=mappings, op=st.sampled_from(["+", "-", "|", "&"]), inplace=st.booleans())
    def arithmetic(self, other: dict[Any, int], op: str, inplace: bool) -> None:
        fn = {"+": "add", "-": "sub", "|": "or", "&": "and"}[op]
        if inplace:
            self.model = getattr(self.model, f"__i{fn}__")(Counter(other))
            getattr(self.real, f"__i{fn}__")(Counter(other))
        else:
            expected = getattr(self.model, f"__{fn}__")(Counter(other))
            got = getattr(self.real, f"__{fn}__")(Counter(other))
            assert list(got.items()) == list(expected.items())

    @rule(other=mappings, op=st.sampled_from(["update", "subtract", "__iadd__", "__isub__",
                                              "__ior__", "__iand__"]))
    def with_multiset(self, other: dict[Any, int], op: str) -> None:
        operand = MultiSet(other, key="{" + self.real.key + "}:operand")  # same slot
        result = getattr(self.model, op)(Counter(other))
        if op.startswith("__"):
            self.model = result
        getattr(self.real, op)(operand)
        operand.delete()

    @rule(n=st.one_of(st.none(), st.integers(-1, 5)))
    def most_common(self, n: int | None) -> None:
        assert self.real.most_common(n) == self.model.most_common(n)

    @rule()
    def clear(self) -> None:
        self.model.clear()
        self.real.clear()

    @rule(e=elems)
    def pop(self, e: Any) -> None:
        same(lambda: self.model.pop(e), lambda: self.real.pop(e))

    @rule()
    def popitem(self) -> None:
        same(self.model.popitem, self.real.popitem)

    @rule(e=elems, n=st.one_of(st.none(), counts))
    def setdefault(self, e: Any, n: int | None) -> None:
        if n is None and e not in self.model:
            with pytest.raises(TypeError):  # counts are integers
                self.real.setdefault(e, n)
            return
        same(lambda: self.model.setdefault(e, n), lambda: self.real.setdefault(e, n))

    @invariant()
    def same_state(self) -> None:
        if hasattr(self, "real"):
            assert list(self.real.copy().items()) == list(self.model.items())
            assert list(self.real) == list(self.model)
            assert self.real.items() == list(self.model.items())
            assert self.real.total() == self.model.total()
            assert len(self.real) == len(self.model)
            assert list(self.real.elements()) == list(self.model.elements())
            assert repr(self.real) == repr(self.model).replace(
                "Counter(", "MultiSet(", 1)[:-1] + (
                f", key={self.real.key!r})" if self.model else f"{{}}, key={self.real.key!r})")


def test_counter_differential(r: Any) -> None:
    run_machine(CounterMachine, examples=40, steps=30)


# -- asyncio --------------------------------------------------------------------------------

async def test_async_multiset(ar: Any) -> None:
    c = AsyncMultiSet("aab", key="c")
    await c
    assert await c.incr("a") == 3
    assert await c["a"] == 3 and await c.getitem("zz") == 0
    await c.setitem("q", 4)
    assert await c.contains("q") and await c.len() == 3
    assert await c.most_common(1) == [("q", 4)]
    assert sorted([x async for x in c]) == ["a", "b", "q"]
    assert sorted([x async for x in c.elements()]) == sorted("aaabqqqq")
    other = AsyncMultiSet({"a": 1}, key="other")
    await c.iadd(other)
    assert await c.copy() == Counter(a=4, b=1, q=4)
    await c.update("b")
    assert await c.total() == 10
    assert await AsyncMultiSet("zzz", key="c").copy() == Counter(a=4, b=2, q=4)
    assert await c.keys() == ["a", "b", "q"] and await c.most_common() == [
        ("a", 4), ("q", 4), ("b", 2)]
    await c.delitem("a")
    await c.incr("a")
    assert [x async for x in c] == ["b", "q", "a"]
    assert [x async for x in c.elements()] == list("bbqqqqa")
    ar.round_trips.reset()
    await c.incr("b")
    await c.update({"a": 1})
    assert ar.round_trips.count == 2


async def test_async_popitem_setdefault(ar: Any) -> None:
    c = AsyncMultiSet("abcaba")
    assert await c.setdefault("a") == 3 and await c.setdefault("z", 0) == 0
    assert [await c.popitem(), await c.popitem()] == [("z", 0), ("c", 1)]
    with pytest.raises(NotImplementedError):
        AsyncMultiSet.fromkeys("ab")
    e = AsyncMultiSet(self=1)
    await e.update(iterable=2)
    await e.subtract(self=3)
    assert await e.items() == [("self", -2), ("iterable", 2)]
    await c.clear()
    with pytest.raises(KeyError, match="popitem"):
        await c.popitem()


async def test_async_wrong_type(ar: Any) -> None:
    await ar.set("str", "x")
    with pytest.raises(vm.WrongTypeError, match="str"):
        await AsyncMultiSet(key="str").incr("a")


# -- cluster --------------------------------------------------------------------------------

@pytest.mark.cluster
def test_cluster_multisets_in_different_slots(rc: Any) -> None:
    a, b = MultiSet("aab", key="alpha"), MultiSet("bcc", key="beta")
    assert rc.keyslot("alpha") != rc.keyslot("beta")
    assert a + b == Counter("aabbcc") and a - b == Counter("aa")
    a.update(b)
    assert a.copy() == Counter("aabbcc") and list(a) == ["a", "b", "c"]
    assert rc.keyslot("{alpha}:order") == rc.keyslot("alpha")
    a -= b
    assert a.copy() == Counter("aab") and a == Counter("aab")
    a |= b
    assert a.copy() == Counter("aabcc")
    assert b.copy() == Counter("bcc")


@pytest.mark.cluster
def test_cluster_multisets_in_one_slot(rc: Any) -> None:
    a, b = MultiSet("aab", key="{c}:a"), MultiSet("bcc", key="{c}:b")
    a.update(b)
    assert a.copy() == Counter("aabbcc") and list(a) == ["a", "b", "c"]
    c = MultiSet({"z": 1, "y": 1}, key="{c}:c")
    a |= c  # co-located operand: its insertion order is followed
    assert a.items() == [("a", 2), ("b", 2), ("c", 2), ("z", 1), ("y", 1)]
    assert a.most_common(3) == [("a", 2), ("b", 2), ("c", 2)]
    a &= b
    assert a.copy() == Counter("bcc")
    assert a.most_common(1) == [("c", 2)] and a.total() == 3
    with vm.transaction(rc):
        a.incr("z")
        b.subtract("b")
    assert a["z"] == 1 and b["b"] == 0


@pytest.mark.cluster
async def test_cluster_async_multiset(arc: Any) -> None:
    c = AsyncMultiSet("abc", key="many")
    assert await c.total() == 3
    await c.incr("a", 2)
    assert await c.most_common(1) == [("a", 3)]
