"""String and ImmutableString: str stored as raw UTF-8 Redis strings."""

from __future__ import annotations

from typing import Any

import pytest
from differential import run_machine, same
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import vermilion as vm
from vermilion.types.strings import AsyncImmutableString, AsyncString, ImmutableString, String

TEXT = "héllo wörld ☃ 𝄞!"


def test_stored_raw_and_read_by_code_point(r: Any) -> None:
    s = String(TEXT, key="s")
    assert r.get("s") == TEXT.encode()
    assert r.strlen("s") > len(TEXT)
    assert len(s) == len(TEXT) and str(s) == TEXT and s.value == TEXT
    for i in range(-len(TEXT), len(TEXT)):
        assert s[i] == TEXT[i]
    for sl in (slice(1, 5), slice(None, None, -1), slice(None, None, 2), slice(-3, None),
               slice(10, 2, -3), slice(5, 5), slice(100, None), slice(None, -100, -1)):
        assert s[sl] == TEXT[sl], sl
    with pytest.raises(IndexError, match="string index out of range"):
        s[len(TEXT)]
    with pytest.raises(TypeError, match="string indices must be integers"):
        s["a"]  # type: ignore[index]
    with pytest.raises(ValueError, match="slice step cannot be zero"):
        s[::0]
    assert "wörld" in s and "☃ 𝄞" in s and "x" not in s and "" in s
    with pytest.raises(TypeError, match="requires string as left operand, not int"):
        1 in s  # type: ignore[operator]  # noqa: B015
    assert list(s) == list(TEXT) and "".join(reversed(s)) == TEXT[::-1]


def test_missing_key_reads_empty(r: Any) -> None:
    s = String(key="none")
    assert s.value == "" and len(s) == 0 and not s and s[:] == "" and "" in s
    with pytest.raises(IndexError):
        s[0]
    s.upper()
    assert r.exists("none") == 0  # nothing to change: nothing written
    s.center(3, "*")
    assert s.value == "***"


def test_initial_only_if_missing(r: Any) -> None:
    String("a", key="k")
    assert String("b", key="k").value == "a"
    with pytest.raises(TypeError):
        String(5)  # type: ignore[arg-type]


def test_mutating_methods(r: Any) -> None:
    s = String("  Hello World  ", key="m")
    assert s.strip() is None
    assert s.value == "Hello World"
    s.upper()
    assert r.get("m") == b"HELLO WORLD"
    s.replace("L", "l", 2)
    assert s.value == "HEllO WORLD"
    s.swapcase()
    s.title()
    s.center(15, "é")
    assert s.value == "ééHello Worldéé"
    s.removeprefix("éé")
    s.zfill(15)
    assert s.value == "00Hello Worldéé"
    s.casefold()
    s.translate({ord("o"): "0"})
    assert s.value == "00hell0 w0rldéé"
    s.value = "straße"
    s.upper()
    assert s.value == "STRASSE"  # Python's Unicode rules, not Redis'


def test_queries_return_plain_values(r: Any) -> None:
    s = String("a,b,c", key="q")
    assert s.split(",") == ["a", "b", "c"] and s.find("b") == 2 and s.count(",") == 2
    assert s.startswith("a,") and s.partition(",") == ("a", ",", "b,c") and s.isascii()
    assert s.join(["x", "y"]) == "xa,b,cy" and s.encode() == b"a,b,c"
    assert String("{0}-{x}", key="fmt").format(1, x=2) == "1-2"
    with pytest.raises(ValueError):
        s.index("z")
    assert s.value == "a,b,c"
    assert String.maketrans("a", "b") == {97: 98}


def test_in_place_edits(r: Any) -> None:
    s = String("héllo", key="e")
    s += " wörld"
    assert s.value == "héllo wörld"
    with pytest.raises(TypeError, match='can only concatenate str \\(not "int"\\) to str'):
        s += 1  # type: ignore[operator]
    s *= 2
    assert s.value == "héllo wörldhéllo wörld"
    s *= 0
    assert s.value == "" and r.exists("e")
    s.value = "héllo"
    s[1] = "e"
    s[-1] = "ø!"
    assert s.value == "hellø!"
    s[1:3] = "EEE"
    del s[0]
    assert s.value == "EEElø!"
    del s[::2]
    assert s.value == "El!"
    s.value = "abcdef"
    s[::2] = "XYZ"
    assert s.value == "XbYdZf"
    with pytest.raises(ValueError, match="extended slice of size 3"):
        s[::2] = "XY"
    with pytest.raises(IndexError):
        s[10] = "x"
    with pytest.raises(IndexError):
        del s[-7]
    with pytest.raises(TypeError):
        s[0] = 5  # type: ignore[assignment]
    assert s.value == "XbYdZf"


def test_comparisons_and_operators(r: Any) -> None:
    s = String("abc", key="c")
    assert s == "abc" and s != "abd" and s < "abd" and s >= "abc" and s > "ab"
    assert s == String("abc", key="c2") and s == ImmutableString("abc", key="c3")
    assert (s == 5) is False
    assert s + "d" == "abcd" and "z" + s == "zabc" and s * 2 == "abcabc" and 2 * s == "abcabc"
    assert String("%s-%d", key="pct") % ("a", 1) == "a-1" and f"{s:>5}" == "  abc"
    assert repr(s) == "String('abc', key='c')"
    with pytest.raises(TypeError):
        hash(s)
    with pytest.raises(TypeError):
        _ = s + 1


def test_immutable_string(r: Any) -> None:
    s = ImmutableString("Hello", key="im")
    assert s.upper() == "HELLO" and s.value == "Hello"
    assert s.replace("l", "L") == "HeLLo" and s.strip("Ho") == "ell" and s[1:] == "ello"
    t = s
    t += "!"
    assert t == "Hello!" and isinstance(t, str) and s.value == "Hello"
    with pytest.raises(TypeError):
        s[0] = "h"  # type: ignore[index]
    with pytest.raises(AttributeError):
        s.append("x")  # type: ignore[attr-defined]
    s.value = "new"
    assert r.get("im") == b"new" and repr(s) == "ImmutableString('new', key='im')"


def test_wrong_type(r: Any) -> None:
    r.rpush("lst", "x")
    s = String(key="lst")
    for fn in (lambda: s.value, lambda: len(s), lambda: s[0], lambda: "x" in s,
               lambda: s.upper(), lambda: s.__setitem__(0, "y"), lambda: s.__imul__(2),
               lambda: setattr(s, "value", "x"), lambda: String("x", key="lst"),
               lambda: s.__iadd__("x")):
        with pytest.raises(vm.WrongTypeError) as info:
            fn()
        assert "lst" in str(info.value)
    assert r.lrange("lst", 0, -1) == [b"x"]
    r.set("bin", b"\xff\xfe")
    with pytest.raises(vm.DecodeError):
        _ = String(key="bin").value


def test_round_trips(r: Any) -> None:
    s = String("x" * 1000 + "é", key="rt")
    for fn in (lambda: s.__iadd__("y"), lambda: len(s), lambda: s[500], lambda: s[10:20],
               lambda: "xy" in s, lambda: s.value, lambda: s.find("y"), lambda: s.__imul__(1),
               lambda: s.__setitem__(3, "z"), lambda: s.__delitem__(slice(0, 2)),
               lambda: s == "x"):
        fn()
        r.round_trips.reset()
        fn()
        assert r.round_trips.count == 1
    r.round_trips.reset()
    s.upper()  # read, transform with Python's str.upper, compare-and-set
    assert r.round_trips.count == 2


def test_transform_retries_on_concurrent_change(r: Any) -> None:
    s = String("abc", key="race")
    gen = s.transform.__vermilion_op__(s, "upper")
    call = next(gen)
    assert call.args[0] == "GET"
    gen.send(b"abc")
    r.set("race", "changed")  # someone writes between our read and our write
    # the compare-and-set reports the new value; the transform is recomputed from it
    reply = [0, b"changed"]
    nxt = gen.send(reply)
    assert nxt.script is not None and b"CHANGED" in nxt.args


# -- differential: String vs str ---------------------------------------------------------------

chars = st.text(alphabet="aBé☃ ", max_size=4)
indexes = st.integers(-6, 6)
slices = st.builds(slice, st.none() | indexes, st.none() | indexes,
                   st.none() | st.sampled_from([1, 2, -1, -2, 3]))




class StringMachine(RuleBasedStateMachine):
    """A String against a list of characters (what a mutable str would be)."""

    @initialize(v=chars)
    def setup(self, v: str) -> None:
        self.model = list(v)
        self.real = String(v)

    @rule(v=chars)
    def iadd(self, v: str) -> None:
        self.model += list(v)
        self.real += v

    @rule(n=st.integers(-1, 3))
    def imul(self, n: int) -> None:
        self.model *= n
        self.real *= n

    @rule(i=indexes | slices)
    def getitem(self, i: Any) -> None:
        same(lambda: "".join(self.model[i]), lambda: self.real[i])

    @rule(i=indexes, v=chars)
    def setitem(self, i: int, v: str) -> None:
        def m() -> None:
            self.model[i]  # IndexError when out of range
            j = i % len(self.model)
            self.model[j : j + 1] = list(v)

        def x() -> None:
            self.real[i] = v

        same(m, x)

    @rule(s=slices, v=chars)
    def setslice(self, s: slice, v: str) -> None:
        def m() -> None:
            self.model[s] = list(v)

        def x() -> None:
            self.real[s] = v

        same(m, x)

    @rule(i=indexes | slices)
    def delitem(self, i: Any) -> None:
        def m() -> None:
            del self.model[i]

        def x() -> None:
            del self.real[i]

        same(m, x)

    @rule(name=st.sampled_from(["upper", "lower", "strip", "title", "swapcase", "capitalize"]))
    def transform(self, name: str) -> None:
        self.model = list(getattr("".join(self.model), name)())
        getattr(self.real, name)()

    @rule(old=chars, new=chars)
    def replace(self, old: str, new: str) -> None:
        self.model = list("".join(self.model).replace(old, new))
        self.real.replace(old, new)

    @rule(sub=chars)
    def queries(self, sub: str) -> None:
        text = "".join(self.model)
        assert (sub in self.real) == (sub in text)
        assert self.real.find(sub) == text.find(sub)

    @invariant()
    def same_state(self) -> None:
        if hasattr(self, "real"):
            assert self.real.value == "".join(self.model)
            assert len(self.real) == len(self.model)


def test_string_differential(r: Any) -> None:
    run_machine(StringMachine, examples=40, steps=30)


# -- asyncio ------------------------------------------------------------------------------------

async def test_async_strings(ar: Any) -> None:
    s = AsyncString("héllo", key="as")
    await s
    await s.append(" wörld")
    assert await s.get() == "héllo wörld"
    assert await s.len() == 11
    assert await s[1] == "é" and await s.getitem(slice(0, 5)) == "héllo"
    assert await s.upper() is None and await s.get() == "HÉLLO WÖRLD"
    assert await s.find("W") == 6 and await s.contains("LL")
    assert [c async for c in s][:2] == ["H", "É"]
    ar.round_trips.reset()
    await s.append("!")
    assert ar.round_trips.count == 1
    im = AsyncImmutableString("abc", key="ai")
    assert await im.upper() == "ABC" and await im.get() == "abc"
    await ar.rpush("al", "x")
    with pytest.raises(vm.WrongTypeError):
        await AsyncString(key="al").get()


# -- cluster ------------------------------------------------------------------------------------

@pytest.mark.cluster
def test_cluster_strings(rc: Any) -> None:
    s = String("héllo", key="cs")
    s += "!"
    s.upper()
    s[0] = "J"
    assert s.value == "JÉLLO!" and len(s) == 6 and s[1:3] == "ÉL"
    assert rc.get("cs") == "JÉLLO!".encode()


@pytest.mark.cluster
async def test_cluster_async_strings(arc: Any) -> None:
    s = AsyncString("a", key="acs")
    await s.append("b")
    assert await s.get() == "ab" and await s.len() == 2
