"""Int and Float: Python numbers stored as raw Redis strings."""

from __future__ import annotations

import math
import operator
from typing import Any

import pytest
from differential import run_machine
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import vermilion as vm
from vermilion.types.numbers import AsyncFloat, AsyncInt, Float, Int


def test_int_basics(r: Any) -> None:
    i = Int(key="i")
    assert i.value == 0 and int(i) == 0 and not i  # missing key reads as 0
    i += 5
    assert r.get("i") == b"5"  # raw Redis integer: INCRBY works, other languages read it
    r.incrby("i", 2)
    assert i == 7 and i.value == 7 and str(i) == "7" and repr(i) == "Int(7, key='i')"
    i -= 10
    assert i.get() == -3 and abs(i) == 3 and -i == 3 and +i == -3 and ~i == 2
    assert i + 1 == -2 and 1 - i == 4 and i * 2 == -6 and i / 2 == -1.5 and 7 // i == -3
    assert i % 2 == 1 and divmod(i, 2) == (-2, 1) and i ** 2 == 9 and 2 ** Int(3) == 8
    assert i < 0 and i <= -3 and i > -4.5 and i >= Int(-3) and i != 3 and i == -3.0
    assert i & 0xFF == 253 and i | 1 == -3 and i ^ 1 == -4 and i << 1 == -6 and i >> 1 == -2
    assert round(Int(17, key="j"), -1) == 20 and math.floor(i) == -3 and float(i) == -3.0
    assert [10, 20, 30, 40][Int(2, key="idx")] == 30 and hex(Int(255, key="h")) == "0xff"
    assert f"{Int(5, key='f'):03d}" == "005"
    assert (i == "x") is False
    with pytest.raises(TypeError):
        hash(i)
    with pytest.raises(TypeError):
        _ = i + "x"


def test_initial_only_if_missing_and_value(r: Any) -> None:
    Int(5, key="n")
    assert Int(9, key="n").value == 5
    n = Int(key="n")
    n.value = 2**70
    assert r.get("n") == str(2**70).encode() and n.value == 2**70
    Float(1.5, key="fl")
    assert Float(2.5, key="fl").value == 1.5
    with pytest.raises(TypeError):
        Int(1.5)
    with pytest.raises(TypeError):
        n.value = "5"
    with pytest.raises(TypeError):
        Float("1.5")


@pytest.mark.parametrize(("op", "a", "b"), [
    ("mul", 6, -7), ("floordiv", -7, 2), ("floordiv", 7, -2), ("floordiv", -7, -2),
    ("mod", -7, 2), ("mod", 7, -2), ("mod", -7, -2), ("mod", 6, 3), ("pow", -3, 5), ("pow", 0, 0),
    ("pow", -1, 2**40 + 1), ("pow", 1, 10**30), ("lshift", -5, 3), ("rshift", -5, 1),
    ("rshift", -5, 100), ("rshift", 5, 100), ("and", -6, 13), ("or", -6, 13), ("xor", -6, 13),
    # beyond 53 bits: exact via compare-and-set
    ("mul", 2**52, 3), ("mul", 10**30, -10**30), ("pow", 3, 100), ("lshift", 1, 200),
    ("floordiv", 10**40 + 7, -3), ("mod", -(10**40) - 7, 3), ("and", 2**70 - 1, -(2**40)),
    ("xor", 2**33, 2**33 + 1), ("rshift", -(2**80), 3), ("floordiv", 2**53 - 1, 2**53 - 2),
])
def test_int_inplace_exact(r: Any, op: str, a: int, b: int) -> None:
    i = Int(a)
    expected = getattr(operator, op + ("_" if op in ("and", "or") else ""))(a, b)
    assert i.apply(op, b) == expected
    assert i.value == expected and r.get(i.key) == str(expected).encode()


def test_int_add_beyond_64_bits(r: Any) -> None:
    i = Int(2**63 - 1, key="big")
    assert i.incr(1) == 2**63
    i += 2**64
    assert i.value == 2**63 + 2**64
    i -= 2**63 + 2**64 + 5
    assert i.value == -5 and r.get("big") == b"-5"
    assert i.incr() == -4 and i.decr(10) == -14


def test_int_errors(r: Any) -> None:
    i = Int(7, key="e")
    with pytest.raises(ZeroDivisionError, match="integer division or modulo by zero"):
        i //= 0
    with pytest.raises(ZeroDivisionError):
        i %= 0
    with pytest.raises(ValueError, match="negative shift count"):
        i <<= -1
    with pytest.raises(TypeError):
        i /= 2  # an Int cannot hold a float
    with pytest.raises(TypeError):
        i **= -1
    with pytest.raises(TypeError):
        i += 1.5
    with pytest.raises(TypeError):
        i += "1"
    assert i.value == 7
    r.set("garbage", "abc")
    with pytest.raises(vm.DecodeError):
        _ = Int(key="garbage").value
    with pytest.raises(vm.DecodeError):
        Int(key="garbage").incr()
    assert r.get("garbage") == b"abc"


def test_float_basics(r: Any) -> None:
    f = Float(key="f")
    assert f.value == 0.0 and isinstance(f.value, float)
    f += 0.1
    f += 0.2
    assert f.value == 0.1 + 0.2 == 0.30000000000000004  # Python arithmetic, not INCRBYFLOAT's
    assert float(r.get("f")) == 0.1 + 0.2
    f *= 3
    f /= 7
    assert f.value == (0.1 + 0.2) * 3 / 7
    f.value = 2
    assert f.value == 2.0 and isinstance(f.value, float)
    f += Int(3, key="three")
    assert f == 5.0 and f > 4 and f < Int(6, key="six") and f + 0.5 == 5.5 and 1 / f == 0.2
    assert int(f) == 5 and round(f) == 5 and round(Float(2.675), 2) == round(2.675, 2)
    assert repr(f) == "Float(5.0, key='f')" and f.is_integer()
    r.incrbyfloat("f", 1.5)  # other clients' INCRBYFLOAT works on the stored text
    assert f.value == 6.5


@pytest.mark.parametrize("x", [0.1, -0.0, 1e308, 5e-324, 1 / 3, 2.0**60 + 1, float("inf"),
                               float("-inf"), 123456789.123456789, -1.7976931348623157e308])
def test_float_round_trip(r: Any, x: float) -> None:
    f = Float(key="rt")
    f.value = x
    assert repr(f.value) == repr(x)
    assert repr(f.apply("add", 0.0)) == repr(x + 0.0)
    f.value = float("nan")
    assert math.isnan(f.value) and math.isnan(f.apply("add", 1.0))
    f.value = float("inf")
    assert math.isnan(f.apply("sub", float("inf"))) and r.get("rt") == b"nan"


@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow"])
@pytest.mark.parametrize(("a", "b"), [
    (7.5, 2.0), (-7.5, 2.0), (7.5, -2.0), (-7.5, -2.0), (0.1, 0.3), (1e308, 10.0), (-0.0, 3.0),
    (5.0, float("inf")), (-5.0, float("inf")), (float("inf"), 2.0), (3.0, 0.5), (-1e-300, 1e300),
    (2.0, 0.1), (1e16, 3.0),
])
def test_float_ops_match_python(r: Any, op: str, a: float, b: float) -> None:
    f = Float(a)
    try:
        expected: Any = getattr(operator, op)(a, b)
    except Exception as exc:  # noqa: BLE001
        with pytest.raises(type(exc)):
            f.apply(op, b)
        assert repr(f.value) == repr(a)
        return
    got = f.apply(op, b)
    assert repr(got) == repr(expected) and repr(f.value) == repr(expected)


def test_float_errors(r: Any) -> None:
    f = Float(2.0, key="fe")
    for fn, python in [(lambda: f.itruediv(0), operator.truediv),
                       (lambda: f.ifloordiv(0.0), operator.floordiv),
                       (lambda: f.imod(0), operator.mod)]:
        with pytest.raises(ZeroDivisionError) as expected:
            python(2.0, 0)
        with pytest.raises(ZeroDivisionError) as info:
            fn()
        assert str(info.value) == str(expected.value)
    with pytest.raises(OverflowError):
        f += 10**400  # int too large to convert to float, as Python
    f.value = -8.0
    with pytest.raises(TypeError):
        f **= 0.5  # Python gives a complex number
    f.value = 1e308
    with pytest.raises(OverflowError):
        f **= 2
    with pytest.raises(TypeError):
        f <<= 1  # type: ignore[operator]
    assert f.value == 1e308


def test_wrong_type(r: Any) -> None:
    r.rpush("lst", "x")
    for fn in (lambda: Int(key="lst").value, lambda: Int(key="lst").incr(),
               lambda: Int(key="lst").imul(2), lambda: Float(key="lst").incr(),
               lambda: setattr(Int(key="lst"), "value", 1), lambda: Int(1, key="lst"),
               lambda: Float(key="lst").ipow(2)):
        with pytest.raises(vm.WrongTypeError) as info:
            fn()
        assert "lst" in str(info.value)
    assert r.lrange("lst", 0, -1) == [b"x"]


def test_round_trips(r: Any) -> None:
    i = Int(3, key="c")
    f = Float(1.0, key="cf")
    for fn in (lambda: i.incr(2), lambda: i.__iadd__(1), lambda: i.__isub__(1),
               lambda: i.__imul__(2), lambda: i.__ifloordiv__(2), lambda: i.__imod__(1000),
               lambda: i.__ixor__(5), lambda: i.get(), lambda: i + 1, lambda: f.__iadd__(0.5),
               lambda: f.__itruediv__(3.0), lambda: f.__imod__(0.7), lambda: f.value):
        fn()
        r.round_trips.reset()
        fn()
        assert r.round_trips.count == 1
    i.value = 2**62
    r.round_trips.reset()
    i *= 4  # beyond 53 bits: script + compare-and-set
    assert r.round_trips.count == 2 and i.value == 2**64


def test_transaction(r: Any) -> None:
    i = Int(1, key="{t}a")
    f = Float(1.0, key="{t}b")
    with vm.transaction():
        i += 5
        i *= 3
        f /= 4
    assert i.value == 18 and f.value == 0.25


# -- differential vs int arithmetic ------------------------------------------------------------

small = st.integers(-(2**20), 2**20)
ints = st.one_of(small, st.integers(-(2**70), 2**70))
int_ops = st.sampled_from(["add", "sub", "mul", "floordiv", "mod", "lshift", "rshift", "and",
                           "or", "xor", "pow"])


def _pyop(name: str) -> Any:
    return getattr(operator, name + ("_" if name in ("and", "or") else ""))


class IntMachine(RuleBasedStateMachine):
    @initialize(v=ints)
    def setup(self, v: int) -> None:
        self.model = v
        self.real = Int(v)

    @rule(op=int_ops, b=ints)
    def inplace(self, op: str, b: int) -> None:
        if op in ("lshift", "pow"):
            b = b % 8
        if op in ("mul", "pow", "lshift") and abs(self.model) > 2**300:
            b = 1 if b >= 0 else -1  # keep the numbers printable
        try:
            expected = _pyop(op)(self.model, b)
        except Exception as exc:  # noqa: BLE001
            with pytest.raises(type(exc)):
                self.apply(op, b)
            return
        assert self.apply(op, b) == expected
        self.model = expected

    def apply(self, op: str, b: int) -> Any:
        if op == "add":
            return self.real.incr(b)
        if op == "sub":
            return self.real.decr(b)
        return self.real.apply(op, b)

    @rule(v=ints)
    def assign(self, v: int) -> None:
        self.real.value = v
        self.model = v

    @invariant()
    def same_value(self) -> None:
        if hasattr(self, "real"):
            assert self.real.value == self.model


def test_int_differential(r: Any) -> None:
    run_machine(IntMachine, examples=40, steps=30)


@settings(max_examples=60, deadline=None)
@given(a=st.floats(allow_nan=False, width=64), b=st.floats(allow_nan=False, width=64),
       op=st.sampled_from(["add", "sub", "mul", "truediv", "floordiv", "mod"]))
def test_float_differential(vermilion_server: Any, a: float, b: float, op: str) -> None:
    import redis

    client = redis.Redis.from_url(vermilion_server.url)
    try:
        f = Float(a, client=client)
        try:
            expected: Any = getattr(operator, op)(a, b)
        except ZeroDivisionError:
            with pytest.raises(ZeroDivisionError):
                f.apply(op, b)
            return
        got = f.apply(op, b)
        assert repr(got) == repr(expected) or (math.isnan(got) and math.isnan(expected))
        f.delete()
    finally:
        client.close()


# -- asyncio ------------------------------------------------------------------------------------

async def test_async_numbers(ar: Any) -> None:
    i = AsyncInt(5, key="ai")
    assert await i.incr(5) == 10
    assert await i.get() == 10
    assert await i.imul(3) == 30
    assert await i.ifloordiv(4) == 7
    assert await i.decr() == 6
    await i.set(2**65)
    assert await i.incr(1) == 2**65 + 1
    f = AsyncFloat(key="af")
    assert await f.incr(0.1) == 0.1
    assert await f.itruediv(3) == 0.1 / 3
    ar.round_trips.reset()
    await f.incr(1)
    assert ar.round_trips.count == 1
    with pytest.raises(ZeroDivisionError):
        await i.imod(0)
    await ar.rpush("al", "x")
    with pytest.raises(vm.WrongTypeError):
        await AsyncInt(key="al").incr()


# -- cluster ------------------------------------------------------------------------------------

@pytest.mark.cluster
def test_cluster_numbers(rc: Any) -> None:
    i = Int(1, key="ci")
    i += 41
    i *= 2**60
    f = Float(0.5, key="cf")
    f *= 3
    assert i.value == 42 * 2**60 and f.value == 1.5
    assert rc.get("ci") == str(42 * 2**60).encode()


@pytest.mark.cluster
async def test_cluster_async_numbers(arc: Any) -> None:
    i = AsyncInt(key="aci")
    assert await i.incr(3) == 3
    assert await i.ipow(3) == 27
