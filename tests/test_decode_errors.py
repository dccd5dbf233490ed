"""Decode errors: garbage written straight into the keys by another client.

Every read or remove operation of every container, on both faces, must fail with a
``vermilion.DecodeError`` whose ``.key`` is the object's key (and whose message names it), never
another exception; an operation removing an item it cannot decode must leave it in Redis (the
raw contents are compared before and after).  The fuzz tests count their outcomes in
``TALLY``; ``pytest tests/test_decode_errors.py -s`` prints the totals at the end.
"""

from __future__ import annotations

import collections
import dataclasses
import enum
import inspect
import pickle
import random
from collections.abc import Callable, Iterator
from typing import Any

import pydantic
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vermilion as vm
from vermilion import aio
from vermilion.core.codec import MAX_DEPTH, JsonCodec, PickleCodec


class Shade(enum.Enum):
    DARK = "d"


@vm.register
@dataclasses.dataclass
class Pair:
    a: int
    b: int


@vm.register
class Person(pydantic.BaseModel):
    name: str
    age: int


_HERE = __name__


def _nested(depth: int, open_: bytes = b"[", close: bytes = b"]") -> bytes:
    return open_ * depth + close * depth


def _deep_dict(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


_rng = random.Random(20261201)

GARBAGE: list[bytes] = [
    # not JSON at all: random bytes, empty, text, other codecs
    *(_rng.randbytes(n) for n in (1, 7, 64, 300)),
    b"",
    b"\x00",
    b"hello world",
    b"True",
    b"None",
    b"NaN",
    b"1 2",
    b"1,2",
    b'"abc"x',
    pickle.dumps({"a": 1}),
    pickle.dumps([1, 2, 3], protocol=2),
    b"\x82\xa1a\x01\xa1b\x02",  # msgpack {"a": 1, "b": 2}
    b"\xef\xbb\xbf" + b'"a"',  # UTF-8 BOM
    # truncated JSON
    b'{"a": 1',
    b"[1, 2",
    b'"abc',
    b'{"$t":"tuple","v":[1,',
    # not UTF-8
    b'"\xff\xfe"',
    b'"\xc3\x28"',
    b'["\xed\xa0\x80"]',
    # huge numbers
    b"1e400",
    b"9" * 400,
    b'{"$t":"int","v":"' + b"9" * 5000 + b'"}',
    b'{"$t":"timedelta","v":[1e20,0,0]}',
    b'{"$t":"float","v":"abc"}',
    # wrong tagged types and malformed tagged values
    b'{"$t":"nope"}',
    b'{"$t":[1]}',
    b'{"$t":"tuple"}',
    b'{"$t":"tuple","v":5}',
    b'{"$t":"set","v":[[1]]}',
    b'{"$t":"frozenset","v":[{"a":1}]}',
    b'{"$t":"dict","v":[[1]]}',
    b'{"$t":"dict","v":[[[1],2]]}',
    b'{"$t":"dict","v":5}',
    b'{"$t":"bytes","v":"!!!"}',
    b'{"$t":"bytes","v":5}',
    b'{"$t":"int","v":"12x"}',
    b'{"$t":"int","v":[1]}',
    b'{"$t":"timedelta","v":"x"}',
    b'{"$t":"timedelta","v":[1,2,3,4,5,6,7,8]}',
    # bad Decimals, dates, UUIDs, zones
    b'{"$t":"decimal","v":"1.2.3"}',
    b'{"$t":"decimal","v":[1]}',
    b'{"$t":"date","v":"2024-13-01"}',
    b'{"$t":"date","v":20240101}',
    b'{"$t":"datetime","v":"yesterday"}',
    b'{"$t":"datetime","v":"2024-01-01T00:00:00","z":"Not/A_Zone"}',
    b'{"$t":"datetime","v":"2024-01-01T00:00:00","z":"../../etc/passwd"}',
    b'{"$t":"datetime","v":"2024-01-01T00:00:00","z":5}',
    b'{"$t":"time","v":"25:61"}',
    b'{"$t":"uuid","v":"not-a-uuid"}',
    b'{"$t":"uuid","v":123}',
    # classes: unregistered, never imported, bad members/fields
    b'{"$t":"enum","c":"no_such_module_xyz:E","v":"A"}',
    b'{"$t":"enum","c":"' + _HERE.encode() + b':Shade","v":"NOPE"}',
    b'{"$t":"dataclass","c":"os:system","v":{}}',
    b'{"$t":"dataclass","c":"' + _HERE.encode() + b':Pair","v":{"a":1}}',
    b'{"$t":"dataclass","c":"' + _HERE.encode() + b':Pair","v":[1,2]}',
    b'{"$t":"model","c":"' + _HERE.encode() + b':Person","v":{"name":"x","age":"old"}}',
    b'{"$t":"ref","c":"NoSuchType","k":"x"}',
    b'{"$t":"ref"}',
    # deeply nested arrays and objects
    _nested(990),
    _nested(5000),
    b"[" + _nested(989, b'{"$t":"tuple","v":[', b"]}") + b"]",
    _deep_dict(900),
]
"""Bytes the default codec cannot decode (checked by ``test_corpus_is_undecodable``)."""

UNHASHABLE = [b"[1,2]", b'{"a":1}', b'{"$t":"set","v":[1]}']
"""Valid values that cannot be set members, dict keys or MultiSet elements."""

TALLY: collections.Counter[str] = collections.Counter()
PER_TYPE: collections.Counter[str] = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    if TALLY["cases"]:
        print(
            f"\ndecode fuzz: {len(GARBAGE)} garbage values (+ {len(BAD_SCORES)} bad counts, "
            f"{len(UNHASHABLE)} unhashable members); {TALLY['cases']} (value x operation) "
            f"cases over {TALLY['ops']} operations: {TALLY['decode_errors']} DecodeErrors naming "
            f"the key, {TALLY['other']} other exceptions, {TALLY['returned']} returned a value, "
            f"{TALLY['removed']} items removed ({TALLY['removing']} removing cases checked)"
        )
        print("  DecodeErrors naming the key, per type and face: " + ", ".join(
            f"{k} {v}" for k, v in sorted(PER_TYPE.items())))


def ids(values: list[bytes]) -> list[str]:
    return [repr(v[:24]) for v in values]


# -- the codec alone ---------------------------------------------------------------------------


def _opener(type_name: str, key: str) -> Any:
    """Like a container's: references to unknown vermilion types are a DecodeError."""
    from vermilion.core.base import SYNC_TYPES

    if type_name not in SYNC_TYPES:
        raise vm.DecodeError(f"unknown type {type_name!r}")
    return (type_name, key)


@pytest.mark.parametrize("raw", GARBAGE, ids=ids(GARBAGE))
def test_corpus_is_undecodable(raw: bytes) -> None:
    codec = JsonCodec()
    with pytest.raises(vm.DecodeError):
        codec.decode(raw, _opener)
    with pytest.raises(vm.DecodeError):
        codec.decode_many([b"1", raw, b'"x"'], _opener)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_decode_or_decode_error(raw: bytes) -> None:
    codec = JsonCodec()
    for decode in (codec.decode, lambda x: codec.decode_many([x, x])):
        try:
            decode(raw)
        except vm.DecodeError:
            pass


TAGS = ["int", "float", "dict", "tuple", "set", "frozenset", "bytes", "bytearray", "enum", "ref",
        "datetime", "date", "time", "timedelta", "decimal", "uuid", "dataclass", "model", "zz"]
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1),
                      st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
json_tree = st.recursive(
    json_leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=3), children, max_size=3),
        st.fixed_dictionaries({"$t": st.sampled_from(TAGS), "v": children},
                              optional={"c": st.sampled_from(["x:Y", f"{_HERE}:Pair",
                                                              f"{_HERE}:Shade", "List"]),
                                        "z": st.sampled_from(["UTC", "Nope/Zone", ""]),
                                        "k": children}),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(json_tree)
def test_random_tagged_json_decodes_or_decode_error(tree: Any) -> None:
    """Random JSON trees full of tags: decoding returns a value or raises DecodeError."""
    import orjson

    raw = orjson.dumps(tree)
    codec = JsonCodec()
    try:
        codec.decode(raw)
    except vm.DecodeError:
        pass
    try:
        codec.decode_many([raw, b"1"])
    except vm.DecodeError:
        pass


def test_depth_limit_is_a_value_error_when_encoding() -> None:
    codec = JsonCodec()
    deepest: list[Any] = []
    for _ in range(MAX_DEPTH - 1):
        deepest = [deepest]
    assert codec.decode(codec.encode(deepest)) == deepest
    for too_deep in ([deepest], (deepest,), {"a": deepest}, {deepest and 1: [deepest]}):
        with pytest.raises(ValueError, match="nested too deeply"):
            codec.encode(too_deep)
        with pytest.raises(ValueError, match="nested too deeply"):
            codec.encode_many(["a", too_deep])
    very_deep: list[Any] = []
    for _ in range(50_000):  # deeper than Python's recursion limit
        very_deep = [very_deep]
    with pytest.raises(ValueError, match="nested too deeply"):
        codec.encode(very_deep)
    circular: list[Any] = []
    circular.append(circular)
    with pytest.raises(ValueError, match="circular"):
        codec.encode(circular)
    with pytest.raises(TypeError, match="cannot store 'object'"):  # unchanged: a TypeError
        codec.encode([object()])


def test_depth_limit_through_a_container(r: Any) -> None:
    deep: list[Any] = []
    for _ in range(MAX_DEPTH):
        deep = [deep]
    lst = vm.List()
    with pytest.raises(ValueError, match="nested too deeply"):
        lst.append(deep)
    with pytest.raises(ValueError, match="nested too deeply"):
        lst.extend([1, deep])
    assert not lst.exists()


def test_deep_arrays_decode_error_not_recursion_error() -> None:
    codec = JsonCodec()
    for depth in (990, 1024, 1025, 5000):
        with pytest.raises(vm.DecodeError):
            codec.decode(_nested(depth))
        with pytest.raises(vm.DecodeError):
            codec.decode_many([b"[]", _nested(depth)])


def test_other_codecs_name_the_key(r: Any) -> None:
    r.rpush("p", b"not a pickle")
    lst = vm.List(key="p", codec=PickleCodec())
    with pytest.raises(vm.DecodeError) as info:
        lst[0]
    assert info.value.key == "p" and "'p'" in str(info.value)
    r.rpush("s", b"\xff")
    with pytest.raises(vm.DecodeError) as info:
        vm.List(key="s", codec=vm.StrCodec()).pop()
    assert info.value.key == "s"
    assert r.lrange("s", 0, -1) == [b"\xff"]


# -- every container, every read / remove operation -------------------------------------------

GOOD = b'"ok"'


@dataclasses.dataclass
class Case:
    """One operation: ``setup(raw_client, key, garbage)`` writes the data, ``run(obj)`` is the
    operation (a value or an awaitable), ``dump(raw_client, key)`` the raw contents compared
    before and after when ``removing``."""

    name: str
    make: str  # attribute of vermilion / vermilion.aio
    setup: Callable[[Any, str, bytes], None]
    run: Callable[[Any], Any]
    removing: bool = False
    dump: Callable[[Any, str], Any] | None = None
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)


def _list(*items: bytes | None) -> Callable[[Any, str, bytes], None]:
    def setup(raw: Any, key: str, g: bytes) -> None:
        raw.rpush(key, *[g if x is None else x for x in items])
    return setup


def _hash(field: bytes | None, value: bytes | None, extra: bool = True
          ) -> Callable[[Any, str, bytes], None]:
    def setup(raw: Any, key: str, g: bytes) -> None:
        mapping = {g if field is None else field: g if value is None else value}
        if extra:
            mapping[b'"other"'] = b"1"
        raw.hset(key, mapping=mapping)
    return setup


def _set(extra: bool = True) -> Callable[[Any, str, bytes], None]:
    def setup(raw: Any, key: str, g: bytes) -> None:
        raw.sadd(key, g, *([b'"other"'] if extra else []))
    return setup


def _zset(raw: Any, key: str, g: bytes) -> None:
    raw.zadd(key, {g: 2, b'"other"': 1})


def _lrange(raw: Any, key: str) -> Any:
    return raw.lrange(key, 0, -1)


def _hgetall(raw: Any, key: str) -> Any:
    return raw.hgetall(key)


def _smembers(raw: Any, key: str) -> Any:
    return raw.smembers(key)


async def _alist(it: Any) -> list[Any]:
    return [x async for x in it]


def _iterate(obj: Any, attr: str | None = None) -> Any:
    it = getattr(obj, attr)() if attr else obj
    return _alist(it) if hasattr(it, "__aiter__") else list(it)


MID = None  # the garbage's place in a setup

CASES: list[Case] = [
    # List
    Case("List[1]", "List", _list(GOOD, MID, GOOD), lambda o: o[1]),
    Case("List[-1]", "List", _list(GOOD, MID), lambda o: o[-1]),
    Case("List[0:3]", "List", _list(GOOD, MID, GOOD), lambda o: o[0:3]),
    Case("List.copy", "List", _list(GOOD, MID, GOOD), lambda o: o.copy()),
    Case("List iter", "List", _list(GOOD, MID, GOOD), _iterate),
    Case("List.pop()", "List", _list(GOOD, GOOD, MID), lambda o: o.pop(), True, _lrange),
    Case("List.pop(0)", "List", _list(MID, GOOD, GOOD), lambda o: o.pop(0), True, _lrange),
    Case("List.pop(1)", "List", _list(GOOD, MID, GOOD), lambda o: o.pop(1), True, _lrange),
    Case("List.pop(-2)", "List", _list(GOOD, MID, GOOD), lambda o: o.pop(-2), True, _lrange),
    Case("List.pop() only", "List", _list(MID), lambda o: o.pop(), True, _lrange),
    # Deque
    Case("Deque[1]", "Deque", _list(GOOD, MID, GOOD), lambda o: o[1]),
    Case("Deque.copy", "Deque", _list(GOOD, MID, GOOD), lambda o: o.copy()),
    Case("Deque iter", "Deque", _list(GOOD, MID, GOOD), _iterate),
    Case("Deque.pop", "Deque", _list(GOOD, GOOD, MID), lambda o: o.pop(), True, _lrange),
    Case("Deque.popleft", "Deque", _list(MID, GOOD, GOOD), lambda o: o.popleft(), True,
         _lrange),
    Case("Deque.popleft only", "Deque", _list(MID), lambda o: o.popleft(), True, _lrange),
    # Dict: garbage value under the field "k"
    Case("Dict[k]", "Dict", _hash(b'"k"', MID), lambda o: o["k"]),
    Case("Dict.get", "Dict", _hash(b'"k"', MID), lambda o: o.get("k")),
    Case("Dict.setdefault", "Dict", _hash(b'"k"', MID), lambda o: o.setdefault("k", 1), True,
         _hgetall),
    Case("Dict.copy (value)", "Dict", _hash(b'"k"', MID), lambda o: o.copy()),
    Case("Dict.values", "Dict", _hash(b'"k"', MID), lambda o: o.values()),
    Case("Dict.items (value)", "Dict", _hash(b'"k"', MID), lambda o: o.items()),
    Case("Dict.iter_items (value)", "Dict", _hash(b'"k"', MID),
         lambda o: _iterate(o, "iter_items")),
    Case("Dict.pop(k)", "Dict", _hash(b'"k"', MID), lambda o: o.pop("k"), True, _hgetall),
    Case("Dict.pop(k, d)", "Dict", _hash(b'"k"', MID), lambda o: o.pop("k", 0), True,
         _hgetall),
    Case("Dict.popitem (value)", "Dict", _hash(b'"k"', MID, extra=False),
         lambda o: o.popitem(), True, _hgetall),
    # Dict: garbage field
    Case("Dict.keys", "Dict", _hash(MID, b"1"), lambda o: o.keys()),
    Case("Dict.copy (key)", "Dict", _hash(MID, b"1"), lambda o: o.copy()),
    Case("Dict iter (key)", "Dict", _hash(MID, b"1"), _iterate),
    Case("Dict.popitem (key)", "Dict", _hash(MID, b"1", extra=False), lambda o: o.popitem(),
         True, _hgetall),
    # DefaultDict
    Case("DefaultDict[k]", "DefaultDict", _hash(b'"k"', MID), lambda o: o["k"],
         kwargs={"default_factory": list}),
    Case("DefaultDict.copy", "DefaultDict", _hash(MID, b"1"), lambda o: o.copy(),
         kwargs={"default_factory": list}),
    Case("DefaultDict.pop(k)", "DefaultDict", _hash(b'"k"', MID), lambda o: o.pop("k"), True,
         _hgetall, kwargs={"default_factory": list}),
    # Set
    Case("Set.copy", "Set", _set(), lambda o: o.copy()),
    Case("Set iter", "Set", _set(), _iterate),
    Case("Set.union", "Set", _set(), lambda o: o.union([1])),
    Case("Set.intersection", "Set", _set(), lambda o: o.intersection()),
    Case("Set.difference", "Set", _set(), lambda o: o.difference(["x"])),
    Case("Set.symmetric_difference", "Set", _set(), lambda o: o.symmetric_difference([1])),
    Case("Set.pop", "Set", _set(extra=False), lambda o: o.pop(), True, _smembers),
    # MultiSet: garbage element
    Case("MultiSet.copy", "MultiSet", _zset, lambda o: o.copy()),
    Case("MultiSet.items", "MultiSet", _zset, lambda o: o.items()),
    Case("MultiSet.keys", "MultiSet", _zset, lambda o: o.keys()),
    Case("MultiSet.most_common", "MultiSet", _zset, lambda o: o.most_common()),
    Case("MultiSet.most_common(1)", "MultiSet", _zset, lambda o: o.most_common(1)),
    Case("MultiSet iter", "MultiSet", _zset, _iterate),
    Case("MultiSet.elements", "MultiSet", _zset, lambda o: _iterate(o, "elements")),
]


def _string_cases() -> list[Case]:
    def setup(raw: Any, key: str, g: bytes) -> None:
        raw.set(key, g)

    def get(raw: Any, key: str) -> Any:
        return raw.get(key)

    out = []
    for make in ("String", "ImmutableString"):
        out += [
            Case(f"{make}.get", make, setup, lambda o: o.get()),
            Case(f"{make}[0:3]", make, setup, lambda o: o[0:3]),
            Case(f"{make}[-1]", make, setup, lambda o: o[-1]),
            Case(f"{make}.len", make, setup, lambda o: o.len()),
            Case(f"{make}.find", make, setup, lambda o: o.find("x")),
            Case(f"{make}.split", make, setup, lambda o: o.split()),
            Case(f"{make} iter", make, setup, _iterate),
        ]
    out += [
        Case("String.upper (transform)", "String", setup, lambda o: o.upper(), True, get),
        Case("String[0] = x", "String", setup, lambda o: o.setitem(0, "x"), True, get),
        Case("del String[0:2]", "String", setup, lambda o: o.delitem(slice(0, 2)), True, get),
    ]
    for make in ("Int", "Float"):
        out += [
            Case(f"{make}.get", make, setup, lambda o: o.get()),
            Case(f"{make}.incr", make, setup, lambda o: o.incr(1), True, get),
            Case(f"{make}.imul", make, setup, lambda o: o.imul(3), True, get),
            Case(f"{make}.ipow", make, setup, lambda o: o.ipow(2), True, get),
        ]
    return out


def _utf8(g: bytes) -> bool:
    try:
        g.decode()
    except UnicodeDecodeError:
        return False
    return True


def _parses(fn: Callable[[bytes], Any], g: bytes) -> bool:
    try:
        fn(g)
    except ValueError:
        return False
    return True


SCALAR_CASES = _string_cases()


def _zset_score(raw: Any, key: str, g: bytes) -> None:
    raw.zadd(key, {b'"x"': float(g), b'"other"': 1})


def _zrange(raw: Any, key: str) -> Any:
    return (raw.zrange(key, 0, -1, withscores=True), raw.zrange(f"{key}:order", 0, -1))


BAD_SCORES = [b"inf", b"-inf"]
"""Scores another client can ZADD that no ``int`` count can hold."""

COUNT_CASES = [
    Case("MultiSet[x] (count)", "MultiSet", _zset_score, lambda o: o["x"]),
    Case("MultiSet.get (count)", "MultiSet", _zset_score, lambda o: o.get("x")),
    Case("MultiSet.total (count)", "MultiSet", _zset_score, lambda o: o.total()),
    Case("MultiSet.copy (count)", "MultiSet", _zset_score, lambda o: o.copy()),
    Case("MultiSet.most_common (count)", "MultiSet", _zset_score, lambda o: o.most_common()),
    Case("MultiSet iter (count)", "MultiSet", _zset_score, _iterate),
    Case("MultiSet.pop (count)", "MultiSet", _zset_score, lambda o: o.pop("x"), True, _zrange),
    Case("MultiSet.pop(x, 0) (count)", "MultiSet", _zset_score, lambda o: o.pop("x", 0), True,
         _zrange),
]

UNHASHABLE_CASES = [
    Case("Set.copy (unhashable)", "Set", _set(), lambda o: o.copy()),
    Case("Set.union (unhashable)", "Set", _set(), lambda o: o.union()),
    Case("Dict.copy (unhashable key)", "Dict", _hash(MID, b"1"), lambda o: o.copy()),
    Case("Dict.keys (unhashable key)", "Dict", _hash(MID, b"1"), lambda o: o.keys()),
    Case("Dict.items (unhashable key)", "Dict", _hash(MID, b"1"), lambda o: o.items()),
    Case("MultiSet.copy (unhashable)", "MultiSet", _zset, lambda o: o.copy()),
]


def _maxlen(raw: Any, key: str, g: bytes) -> None:
    raw.rpush(key, GOOD)
    raw.set(f"{key}:maxlen", g)


def _not_count(g: bytes) -> bool:
    try:
        return int(g) < 0
    except ValueError:
        return True


MAXLEN_CASES = [
    Case("Deque.get_maxlen (maxlen)", "Deque", _maxlen, lambda o: o.get_maxlen()),
    Case("Deque.copy (maxlen)", "Deque", _maxlen, lambda o: o.copy()),
]


def _corpus(case: Case) -> list[bytes]:
    """The garbage a case fails on: all of it for codec values; for String the bytes that are
    not UTF-8; for Int / Float the bytes Python does not parse as that number."""
    if case in COUNT_CASES:
        return BAD_SCORES
    if case in UNHASHABLE_CASES:
        return UNHASHABLE
    if case in MAXLEN_CASES:
        return [g for g in GARBAGE if _not_count(g)] + [b"-1"]
    if case.make in ("String", "ImmutableString"):
        return [g for g in GARBAGE if not _utf8(g)]
    if case.make == "Int":
        return [g for g in GARBAGE if not _parses(int, g)]
    if case.make == "Float":
        return [g for g in GARBAGE if not _parses(float, g)]
    return GARBAGE


def _factory(face: str, case: Case) -> Any:
    return getattr(aio if face == "async" else vm, case.make)


def _check(outcome: Any, case: Case, key: str, g: bytes, before: Any, after: Any,
           face: str) -> None:
    TALLY["cases"] += 1
    if isinstance(outcome, vm.DecodeError):
        TALLY["decode_errors"] += 1
        PER_TYPE[f"{case.make}/{face}"] += outcome.key == key
        assert outcome.key == key, (case.name, g, outcome)
        assert repr(key) in str(outcome), (case.name, g, outcome)
    elif isinstance(outcome, BaseException):
        TALLY["other"] += 1
        raise AssertionError(f"{case.name} on {g[:40]!r} raised {outcome!r}") from outcome
    else:
        TALLY["returned"] += 1
        raise AssertionError(f"{case.name} on {g[:40]!r} returned {outcome!r}")
    if case.removing:
        TALLY["removing"] += 1
        if before != after:
            TALLY["removed"] += 1
        assert before == after, (case.name, g, before, after)


ALL_CASES = CASES + SCALAR_CASES + COUNT_CASES + UNHASHABLE_CASES + MAXLEN_CASES


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.name for c in ALL_CASES])
def test_fuzz_sync(r: Any, case: Case) -> None:
    TALLY["ops"] += 1
    cls = _factory("sync", case)
    for i, g in enumerate(_corpus(case)):
        key = f"{{fz}}:{i}"
        case.setup(r, key, g)
        obj = cls(key=key, **case.kwargs)
        before = case.dump(r, key) if case.dump else None
        try:
            outcome = case.run(obj)
        except Exception as exc:  # noqa: BLE001 - classified by _check
            outcome = exc
        after = case.dump(r, key) if case.dump else None
        _check(outcome, case, key, g, before, after, "sync")


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.name for c in ALL_CASES])
async def test_fuzz_async(ar: Any, vermilion_server: Any, case: Case) -> None:
    TALLY["ops"] += 1
    cls = _factory("async", case)
    raw = redis.Redis.from_url(vermilion_server.url)
    try:
        for i, g in enumerate(_corpus(case)):
            key = f"{{afz}}:{i}"
            case.setup(raw, key, g)
            obj = cls(key=key, **case.kwargs)
            before = case.dump(raw, key) if case.dump else None
            try:
                outcome = case.run(obj)
                if inspect.isawaitable(outcome):
                    outcome = await outcome
            except Exception as exc:  # noqa: BLE001 - classified by _check
                outcome = exc
            after = case.dump(raw, key) if case.dump else None
            _check(outcome, case, key, g, before, after, "async")
    finally:
        raw.close()


# -- round trips, transactions, a failed put-back ----------------------------------------------


def test_pops_stay_one_round_trip_and_garbage_costs_one_more(r: Any) -> None:
    lst = vm.List([1, 2, 3, 4], key="l")
    lst.pop()
    lst.pop(0)
    r.round_trips.reset()
    assert lst.pop() == 3
    assert r.round_trips.count == 1
    r.rpush("l", b"\xff")
    r.round_trips.reset()
    with pytest.raises(vm.DecodeError):
        lst.pop()
    assert r.round_trips.count == 2
    assert r.lrange("l", 0, -1) == [b"2", b"\xff"]
    d = vm.Dict({"a": 1}, key="d")
    s = vm.Set({1}, key="s")
    d.pop("a")
    s.pop()
    d["a"] = 1
    s.add(1)
    r.round_trips.reset()
    assert d.pop("a") == 1 and s.pop() == 1
    assert r.round_trips.count == 2


def test_multiset_pop_of_a_bad_count_is_refused_by_the_script(r: Any) -> None:
    c = vm.MultiSet({"a": 1}, key="c")
    r.zadd("c", {b'"a"': float("inf")})
    r.round_trips.reset()
    with pytest.raises(vm.DecodeError) as info:
        c.pop("a")
    assert r.round_trips.count == 1 and info.value.key == "c"
    assert r.zscore("c", b'"a"') == float("inf")
    del c["a"]  # deleting needs no decode
    assert not c.exists()


@pytest.mark.parametrize("garbage", [b"\xff", GARBAGE[-4], b'{"$t":"nope"}'],
                         ids=["not-utf8", "deep", "tag"])
def test_pops_inside_a_transaction_check_before_the_commit(r: Any, garbage: bytes) -> None:
    r.rpush("l", b"1", garbage)
    r.hset("d", mapping={b'"k"': garbage})
    r.sadd("s", garbage)
    snapshot = (r.lrange("l", 0, -1), r.hgetall("d"), r.smembers("s"))
    lst, d, s = vm.List(key="l"), vm.Dict(key="d"), vm.Set(key="s")
    dq = vm.Deque(key="l")
    for pop in (lst.pop, dq.pop, lambda: d.pop("k"), d.popitem, s.pop):
        with pytest.raises(vm.DecodeError) as info:
            with vm.transaction():
                pop()
        assert info.value.key in ("l", "d", "s")
    assert (r.lrange("l", 0, -1), r.hgetall("d"), r.smembers("s")) == snapshot
    # decodable items pop as usual inside a transaction
    r.delete("l", "d", "s")
    lst.extend([1, 2])
    d["k"] = 3
    s.add(4)
    with vm.transaction():
        a, b, c, e = lst.pop(), lst.pop(0), d.popitem(), s.pop()
    assert (a.value, b.value, c.value, e.value) == (2, 1, ("k", 3), 4)
    assert not (lst.exists() or d.exists() or s.exists())


async def test_async_pops_inside_a_transaction(ar: Any) -> None:
    await ar.rpush("l", b'{"$t":"nope"}')
    lst = aio.List(key="l")
    with pytest.raises(vm.DecodeError):
        async with aio.transaction():
            await lst.pop()
    assert await ar.lrange("l", 0, -1) == [b'{"$t":"nope"}']


def test_a_failed_put_back_says_so_and_carries_the_bytes(r: Any, monkeypatch: Any) -> None:
    from vermilion.core.calls import Call

    r.rpush("l", b"1", b"\xfe")
    lst = vm.List(key="l")
    monkeypatch.setattr(type(lst), "_reinsert",
                        lambda self, index, raw: Call(("NOSUCHCOMMAND",), (self.key,)))
    with pytest.raises(vm.DecodeError, match="putting the removed item back failed") as info:
        lst.pop()
    assert info.value.key == "l" and "\\xfe" in str(info.value)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # flushed in the test
@given(st.binary(max_size=40))
def test_random_bytes_through_every_pop(r: Any, garbage: bytes) -> None:
    """Random bytes as the popped item: either it decodes (and is removed) or DecodeError names
    the key and the item stays."""
    r.flushall()
    r.rpush("l", b"1", garbage)
    r.hset("d", b'"k"', garbage)
    r.sadd("s", garbage)
    cases = [(vm.List(key="l").pop, lambda: r.lrange("l", 0, -1)),
             (vm.Deque(key="l").pop, lambda: r.lrange("l", 0, -1)),
             (lambda: vm.Dict(key="d").pop("k"), lambda: r.hgetall("d")),
             (vm.Set(key="s").pop, lambda: r.smembers("s"))]
    for pop, dump in cases:
        before = dump()
        try:
            pop()
        except vm.DecodeError as exc:
            assert exc.key in ("l", "d", "s") and dump() == before
            continue
        assert dump() != before


@pytest.mark.cluster
def test_cluster_pops_name_the_key_and_keep_the_item(rc: Any) -> None:
    garbage = b'{"$t":"tuple","v":5}'
    rc.rpush("{c}l", b"1", garbage)
    rc.hset("{c}d", b'"k"', garbage)
    rc.sadd("{c}s", garbage)
    for pop, key in ((vm.List(key="{c}l").pop, "{c}l"), (vm.Deque(key="{c}l").pop, "{c}l"),
                     (vm.Dict(key="{c}d").popitem, "{c}d"), (vm.Set(key="{c}s").pop, "{c}s")):
        with pytest.raises(vm.DecodeError) as info:
            pop()
        assert info.value.key == key
    assert rc.lrange("{c}l", 0, -1) == [b"1", garbage]
    assert rc.hgetall("{c}d") == {b'"k"': garbage} and rc.smembers("{c}s") == {garbage}
