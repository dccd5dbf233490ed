"""The default codec: exact round trips, canonical encodings, safety."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
import uuid
import zoneinfo
from decimal import Decimal
from typing import Any

import pydantic
import pytest

import vermilion as vm
from vermilion.core.codec import JsonCodec, PickleCodec, StrCodec


class Color(enum.Enum):
    RED = "r"
    BLUE = "b"


class Level(enum.IntEnum):
    LOW = 1


@dataclasses.dataclass
class Point:
    x: int
    y: tuple[int, int]
    when: dt.date


class User(pydantic.BaseModel):
    name: str
    tags: set[str]
    born: dt.datetime


ROUND_TRIPS = [
    None, True, False, 0, -1, 2**63 - 1, 2**64, -(2**200), 0.1, -0.0, 1e300, float("inf"),
    float("-inf"), "", "é✓\x00", b"", b"\x00\xff", bytearray(b"ab"), [], [1, [2, (3,)]], (),
    (1, "a", None), {}, {"a": 1}, {1: "a", (1, 2): [3], frozenset({1}): None, None: 1},
    {"$t": "not a tag"}, set(), {1, "1", (1,)}, frozenset({1.5, "x"}),
    dt.datetime(2024, 2, 29, 12, 30, 1, 5), dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
    dt.datetime(2024, 7, 1, 9, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
    dt.datetime(2024, 7, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=-3, minutes=-30))),
    dt.date(1999, 12, 31), dt.time(23, 59, 59, 999999), dt.time(1, 2, tzinfo=dt.timezone.utc),
    dt.timedelta(days=-1, seconds=5, microseconds=7), Decimal("1.10"), Decimal("-Infinity"),
    uuid.UUID("12345678-1234-5678-1234-567812345678"), Color.RED, Level.LOW,
    Point(1, (2, 3), dt.date(2020, 1, 1)),
    User(name="ann", tags={"a", "b"}, born=dt.datetime(2000, 1, 1)),
]


@pytest.mark.parametrize("value", ROUND_TRIPS, ids=[repr(v)[:40] for v in ROUND_TRIPS])
def test_exact_round_trip(value: Any) -> None:
    codec = JsonCodec()
    back = codec.decode(codec.encode(value))
    assert back == value
    assert type(back) is type(value)
    if isinstance(value, dt.datetime):
        assert back.tzinfo == value.tzinfo or back.utcoffset() == value.utcoffset()
    if isinstance(value, float) and value == 0:
        assert math.copysign(1, back) == math.copysign(1, value)


@pytest.mark.parametrize("value", ROUND_TRIPS, ids=[repr(v)[:40] for v in ROUND_TRIPS])
def test_round_trip_through_redis(r: Any, value: Any) -> None:
    lst = vm.List([value])
    back = lst.copy()[0]  # (lst[0] of an int is a TrackedInt, the int subclass making += atomic)
    assert back == value and type(back) is type(value) and lst[0] == value


def test_nan_round_trips() -> None:
    codec = JsonCodec()
    assert math.isnan(codec.decode(codec.encode(float("nan"))))


def test_canonical_sets_and_frozensets() -> None:
    codec = JsonCodec()
    a = {3, 1, 2, "x", (1, 2)}
    b = {(1, 2), "x", 2, 3, 1}
    assert codec.encode(a) == codec.encode(b)
    assert codec.encode(frozenset(range(100))) == codec.encode(frozenset(reversed(range(100))))


def test_json_native_values_are_plain_json() -> None:
    codec = JsonCodec()
    assert codec.encode("abc") == b'"abc"'
    assert codec.encode(5) == b"5"
    assert codec.encode({"a": [1, None, True]}) == b'{"a":[1,null,true]}'


def test_unsupported_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="cannot store 'object'"):
        JsonCodec().encode(object())


def test_decoding_never_imports_or_runs_code() -> None:
    codec = JsonCodec()
    payload = b'{"$t":"dataclass","c":"os:system","v":{}}'
    with pytest.raises(vm.DecodeError):
        codec.decode(payload)
    with pytest.raises(vm.DecodeError):
        codec.decode(b'{"$t":"enum","c":"not_imported_module_xyz:E","v":"A"}')
    with pytest.raises(vm.DecodeError):
        codec.decode(b'{"$t":"what"}')
    with pytest.raises(vm.DecodeError):
        codec.decode(b"\x80\x04pickle")


def test_registered_class_decodes_by_name() -> None:
    @vm.register
    @dataclasses.dataclass(frozen=True)
    class Local:
        a: int

    codec = JsonCodec()
    assert codec.decode(codec.encode(Local(1))) == Local(1)


def test_pickle_is_opt_in(r: Any) -> None:
    lst = vm.List([object.__class__], codec=PickleCodec())
    assert lst[0] is type
    assert isinstance(vm.List(key="x")._codec, JsonCodec)


def test_str_codec_interoperates(r: Any) -> None:
    r.rpush("plain", "hello")
    lst = vm.List(key="plain", codec=StrCodec())
    lst.append("world")
    assert lst.copy() == ["hello", "world"]
    assert r.lrange("plain", 0, -1) == [b"hello", b"world"]
    with pytest.raises(TypeError):
        lst.append(5)


def test_global_codec(r: Any) -> None:
    vm.configure(client=r, codec=StrCodec())
    try:
        assert isinstance(vm.List(key="k")._codec, StrCodec)
    finally:
        vm.configure(client=r, codec=JsonCodec())


def test_batch_decoding_matches_single_and_rejects_corruption() -> None:
    codec = JsonCodec()
    items = [codec.encode(v) for v in ROUND_TRIPS if not (isinstance(v, float) and v != v)]
    assert codec.decode_many(items) == [codec.decode(x) for x in items]
    for bad in ([b'"a', b'b"', b"1,2"], [b"[1", b"2]", b"3,4"], [b"1", b"2,3"], [b"ok"]):
        with pytest.raises(vm.DecodeError):
            codec.decode_many(bad)


def test_malformed_values_raise_decode_error_only() -> None:
    codec = JsonCodec()
    for bad in (b'{"$t":"bytes","v":"!!!"}', b'{"$t":"bytes","v":"YQ"}',  # not canonical base64
                b'{"$t":"decimal","v":"1.2.3"}', b'{"$t":"timedelta","v":[1e20,0,0]}',
                b'{"$t":"uuid","v":123}', b'{"$t":"set","v":[[1]]}', b"[" * 990 + b"]" * 990):
        with pytest.raises(vm.DecodeError):
            codec.decode(bad)
        with pytest.raises(vm.DecodeError):
            codec.decode_many([b"1", bad])


def test_too_deep_to_encode_is_a_value_error() -> None:
    value: list[Any] = []
    for _ in range(300):
        value = [value]
    with pytest.raises(ValueError, match="nested too deeply"):
        JsonCodec().encode(value)
