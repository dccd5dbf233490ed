"""The benchmarked operations, each written for vermilion, raw redis-py, pottery and walrus.

"redis-py" is the minimal equivalent a careful programmer would write by hand on one
``redis.Redis`` connection: the fewest commands that give the same result, with values
encoded and decoded the way vermilion's default codec does (orjson; JSON text in Redis) so
both return the same Python values.  pottery stores JSON too.  walrus stores ``str(value)`` and
returns raw ``bytes``: its numbers skip decoding, so they are not an exact-types comparison.

A builder returns ``None`` when a library has no equivalent operation (shown as "-").
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

import orjson

from vermilion.core.scripts import load_script

from .harness import Builder, Case, Env, Impl

dumps, loads = orjson.dumps, orjson.loads

try:  # pottery warns on every O(n) call it makes (iteration, items(), ...): silence it
    from pottery import InefficientAccessWarning

    warnings.filterwarnings("ignore", category=InefficientAccessWarning)
except ImportError:  # pragma: no cover
    pass

SKIPPED: dict[str, str] = {}  # vermilion type -> why its cases are skipped


def vm_type(module: str, *names: str) -> Any:
    """A vermilion class from ``vermilion.types.<module>`` (first of ``names``), or ``None``."""
    try:
        mod = importlib.import_module(f"vermilion.types.{module}")
    except Exception as exc:  # noqa: BLE001 - being written in parallel: skip, with the reason
        SKIPPED[module] = f"vermilion.types.{module} does not import ({type(exc).__name__}: {exc})"
        return None
    for name in names:
        cls = getattr(mod, name, None)
        if cls is not None:
            return cls
    SKIPPED[module] = f"vermilion.types.{module} has none of {names}"
    return None


def _pottery(name: str) -> Any:
    try:
        import pottery
    except ImportError:  # pragma: no cover
        return None
    return getattr(pottery, name)


ITEMS = [f"item-{i}" for i in range(20_000)]
BULK = [f"bulk-{i}" for i in range(1_000)]
KEYS = [f"k{i}" for i in range(2_000)]
MAPPING = {k: i for i, k in enumerate(KEYS[:1_000])}


def _nil(_: Any) -> None:
    """Drop a reply (the operation returns ``None`` like its Python counterpart)."""
    return None


def _sz(env: Env, full: int, quick: int) -> int:
    return quick if env.quick else full


# ------------------------------------------------------------------------------------------
# List
# ------------------------------------------------------------------------------------------
def list_cases() -> list[Case]:
    from vermilion.types.list import List

    PList = _pottery("RedisList")
    insert_src = load_script("list_insert").source
    tomb = b"\x00bench-tombstone"

    def vm(env: Env, init: int) -> Any:
        obj = List(key="vm:list", client=env.vm)

        def setup() -> None:
            obj.delete()
            if init:
                obj.extend(ITEMS[:init])

        return obj, setup

    def rp(env: Env, init: int) -> Any:
        r, k = env.rp, "rp:list"

        def setup() -> None:
            r.delete(k)
            if init:
                r.rpush(k, *[dumps(v) for v in ITEMS[:init]])

        def state() -> list[Any]:
            return [loads(x) for x in r.lrange(k, 0, -1)]

        return r, k, setup, state

    def pot(env: Env, init: int) -> Any:
        if PList is None:
            return None, None
        obj = PList(redis=env.pot, key="pot:list")

        def setup() -> None:
            env.pot.delete("pot:list")
            if init:
                obj.extend(ITEMS[:init])

        return obj, setup

    def wal(env: Env, init: int) -> Any:
        if env.wal is None:
            return None, None
        obj = env.wal.List("wal:list")

        def setup() -> None:
            env.wal.delete("wal:list")
            if init:
                obj.extend(ITEMS[:init])

        return obj, setup

    def case(name: str, n: int, qn: int, init: Any, ops: dict[str, Any], **kw: Any) -> Case:
        """``init(env, n)`` -> initial size; ``ops[lib](handle) -> op``."""

        def b_vm(env: Env, n: int) -> Impl:
            obj, setup = vm(env, init(env, n))
            return Impl(ops["vermilion"](obj), setup, obj.copy)

        def b_rp(env: Env, n: int) -> Impl:
            r, k, setup, state = rp(env, init(env, n))
            return Impl(ops["redis-py"](r, k), setup, state)

        def b_pot(env: Env, n: int) -> Impl | None:
            if "pottery" not in ops:
                return None
            obj, setup = pot(env, init(env, n))
            return None if obj is None else Impl(ops["pottery"](obj), setup, obj.to_list)

        def b_wal(env: Env, n: int) -> Impl | None:
            if "walrus" not in ops:
                return None
            obj, setup = wal(env, init(env, n))
            return None if obj is None else Impl(ops["walrus"](obj), setup, obj.as_list)

        builders: dict[str, Builder] = {
            "vermilion": b_vm, "redis-py": b_rp, "pottery": b_pot, "walrus": b_wal}
        return Case(name, "List", n, qn, builders, **kw)

    def zero(env: Env, n: int) -> int:
        return 0

    def thousand(env: Env, n: int) -> int:
        return 1_000

    def as_n(env: Env, n: int) -> int:
        return n

    def iter_size(env: Env, n: int) -> int:
        return _sz(env, 10_000, 1_000)

    def rp_lindex(r: Any, k: str) -> Any:
        def op(i: int) -> Any:
            raw = r.lindex(k, i % 1_000)
            if raw is None:
                raise IndexError("list index out of range")
            return loads(raw)

        return op

    def rp_rpop(r: Any, k: str) -> Any:
        def op(i: int) -> Any:
            raw = r.rpop(k)
            if raw is None:
                raise IndexError("pop from empty list")
            return loads(raw)

        return op

    def rp_insert(r: Any, k: str) -> Any:
        script = r.register_script(insert_src)  # the same one-round-trip Lua as vermilion
        return lambda i: _nil(script(keys=[k], args=[500, dumps(ITEMS[i]), tomb]))

    return [
        case("list append", 3_000, 60, zero, {
            "vermilion": lambda o: lambda i: o.append(ITEMS[i]),
            "redis-py": lambda r, k: lambda i: _nil(r.rpush(k, dumps(ITEMS[i]))),
            "pottery": lambda o: lambda i: o.append(ITEMS[i]),
            "walrus": lambda o: lambda i: _nil(o.append(ITEMS[i])),
        }),
        case("list getitem", 3_000, 60, thousand, {
            "vermilion": lambda o: lambda i: o[i % 1_000],
            "redis-py": rp_lindex,
            "pottery": lambda o: lambda i: o[i % 1_000],
            "walrus": lambda o: lambda i: o[i % 1_000],
        }),
        case("list len", 3_000, 60, thousand, {
            "vermilion": lambda o: lambda i: len(o),
            "redis-py": lambda r, k: lambda i: r.llen(k),
            "pottery": lambda o: lambda i: len(o),
            "walrus": lambda o: lambda i: len(o),
        }),
        case("list pop", 3_000, 60, as_n, {
            "vermilion": lambda o: lambda i: o.pop(),
            "redis-py": rp_rpop,
            "pottery": lambda o: lambda i: o.pop(),
            "walrus": lambda o: lambda i: o.pop(),
        }),
        case("list insert(500) into 1,000", 2_000, 40, thousand, {
            "vermilion": lambda o: lambda i: o.insert(500, ITEMS[i]),
            "redis-py": rp_insert,
            "pottery": lambda o: lambda i: o.insert(500, ITEMS[i]),
        }, note="walrus: no positional insert (only insert before/after a pivot value)"),
        case("list iterate 10,000 items", 3, 1, iter_size, {
            "vermilion": lambda o: lambda i: [x for x in o],  # noqa: C416 - the `for` protocol
            "redis-py": lambda r, k: lambda i: [loads(x) for x in r.lrange(k, 0, -1)],
            "pottery": lambda o: lambda i: [x for x in o],  # noqa: C416
            "walrus": lambda o: lambda i: [x for x in o],  # noqa: C416
        }, bulk=True, max_repeats=3, note="ops/s = whole iterations per second (`for x in l`; "
                                          "`list(l)` adds the LLEN Python's list() asks first); "
                                          "quick mode: 1,000 items; pottery costs ~4 round "
                                          "trips per item"),
        case("list extend 1,000", 200, 5, zero, {
            "vermilion": lambda o: lambda i: o.extend(BULK),
            "redis-py": lambda r, k: lambda i: _nil(r.rpush(k, *[dumps(v) for v in BULK])),
            "pottery": lambda o: lambda i: o.extend(BULK),
            "walrus": lambda o: lambda i: _nil(o.extend(BULK)),
        }, bulk=True),
    ]


# ------------------------------------------------------------------------------------------
# Dict / Set / Counter: hash- and set-backed containers with the same builder shape
# ------------------------------------------------------------------------------------------
def _container_case(
    name: str,
    group: str,
    n: int,
    qn: int,
    make: dict[str, Any],
    ops: dict[str, Any],
    *,
    bulk: bool = False,
    note: str = "",
    max_repeats: int | None = None,
) -> Case:
    """``make[lib](env) -> (handle, setup, state)``; ``ops[lib](handle) -> op``."""

    def builder(lib: str) -> Any:
        def build(env: Env, n: int) -> Impl | None:
            if lib not in ops or lib not in make:
                return None
            made = make[lib](env)
            if made is None:
                return None
            handle, setup, state = made
            return Impl(ops[lib](handle), setup, state)

        return build

    builders = {lib: builder(lib) for lib in ("vermilion", "redis-py", "pottery", "walrus")}
    return Case(name, group, n, qn, builders, bulk=bulk, note=note, max_repeats=max_repeats)


def dict_cases() -> list[Case]:
    Dict = vm_type("dict", "Dict")
    if Dict is None:
        return []
    PDict = _pottery("RedisDict")

    def maker(filled: bool) -> dict[str, Any]:
        data = MAPPING if filled else {}

        def m_vm(env: Env) -> Any:
            obj = Dict(key="vm:dict", client=env.vm)

            def setup() -> None:
                obj.delete()
                if data:
                    obj.update(data)

            return obj, setup, lambda: dict(obj.items())

        def m_rp(env: Env) -> Any:
            r, k = env.rp, "rp:dict"

            def setup() -> None:
                r.delete(k)
                if data:
                    r.hset(k, mapping={dumps(a): dumps(b) for a, b in data.items()})

            return (r, k), setup, lambda: {loads(a): loads(b) for a, b in r.hgetall(k).items()}

        def m_pot(env: Env) -> Any:
            if PDict is None:
                return None
            obj = PDict(redis=env.pot, key="pot:dict")

            def setup() -> None:
                env.pot.delete("pot:dict")
                if data:
                    obj.update(data)

            return obj, setup, obj.to_dict

        def m_wal(env: Env) -> Any:
            if env.wal is None:
                return None
            obj = env.wal.Hash("wal:dict")

            def setup() -> None:
                env.wal.delete("wal:dict")
                if data:
                    obj.update(data)

            return obj, setup, obj.as_dict

        return {"vermilion": m_vm, "redis-py": m_rp, "pottery": m_pot, "walrus": m_wal}

    def rp_get(h: Any) -> Any:
        r, k = h

        def op(i: int) -> Any:
            key = KEYS[i % 1_000]
            raw = r.hget(k, dumps(key))
            if raw is None:
                raise KeyError(key)
            return loads(raw)

        return op

    def rp_set(h: Any) -> Any:
        r, k = h
        return lambda i: _nil(r.hset(k, dumps(KEYS[i % 1_000]), dumps(i)))

    def setitem(o: Any) -> Any:
        return lambda i: o.__setitem__(KEYS[i % 1_000], i)

    def rp_update(h: Any) -> Any:
        r, k = h
        return lambda i: _nil(r.hset(k, mapping={dumps(a): dumps(b)
                                                  for a, b in MAPPING.items()}))

    return [
        _container_case("dict setitem", "Dict", 3_000, 60, maker(False), {
            "vermilion": setitem, "redis-py": rp_set, "pottery": setitem,
            "walrus": setitem,
        }),
        _container_case("dict getitem (1,000 keys)", "Dict", 3_000, 60, maker(True), {
            "vermilion": lambda o: lambda i: o[KEYS[i % 1_000]],
            "redis-py": rp_get,
            "pottery": lambda o: lambda i: o[KEYS[i % 1_000]],
            "walrus": lambda o: lambda i: o[KEYS[i % 1_000]],
        }),
        _container_case("dict contains (half hits)", "Dict", 3_000, 60, maker(True), {
            "vermilion": lambda o: lambda i: KEYS[i % 2_000] in o,
            "redis-py": lambda h: lambda i: bool(h[0].hexists(h[1], dumps(KEYS[i % 2_000]))),
            "pottery": lambda o: lambda i: KEYS[i % 2_000] in o,
            "walrus": lambda o: lambda i: KEYS[i % 2_000] in o,
        }),
        _container_case("dict items() of 1,000", "Dict", 20, 3, maker(True), {
            "vermilion": lambda o: lambda i: dict(o.items()),
            "redis-py": lambda h: lambda i: {
                loads(a): loads(b) for a, b in h[0].hgetall(h[1]).items()},
            "pottery": lambda o: lambda i: dict(o.items()),
            "walrus": lambda o: lambda i: dict(o.items()),
        }, bulk=True, max_repeats=3, note="pottery: one HGET per key"),
        _container_case("dict update 1,000", "Dict", 200, 5, maker(False), {
            "vermilion": lambda o: lambda i: o.update(MAPPING),
            "redis-py": rp_update,
            "pottery": lambda o: lambda i: o.update(MAPPING),
            "walrus": lambda o: lambda i: _nil(o.update(MAPPING)),
        }, bulk=True),
    ]


def set_cases() -> list[Case]:
    Set = vm_type("set", "Set")
    if Set is None:
        return []
    PSet = _pottery("RedisSet")

    def maker(size: int | None) -> dict[str, Any]:
        def members(env: Env) -> list[str]:
            if size is None:
                return []
            return ITEMS[: (size if not env.quick or size <= 1_000 else 1_000)]

        def m_vm(env: Env) -> Any:
            obj, data = Set(key="vm:set", client=env.vm), members(env)

            def setup() -> None:
                obj.delete()
                if data:
                    obj.update(data)

            return obj, setup, lambda: set(obj)

        def m_rp(env: Env) -> Any:
            r, k, data = env.rp, "rp:set", members(env)

            def setup() -> None:
                r.delete(k)
                if data:
                    r.sadd(k, *[dumps(v) for v in data])

            return (r, k), setup, lambda: {loads(x) for x in r.smembers(k)}

        def m_pot(env: Env) -> Any:
            if PSet is None:
                return None
            obj, data = PSet(redis=env.pot, key="pot:set"), members(env)

            def setup() -> None:
                env.pot.delete("pot:set")
                if data:
                    obj.update(data)

            return obj, setup, lambda: set(obj)

        def m_wal(env: Env) -> Any:
            if env.wal is None:
                return None
            obj, data = env.wal.Set("wal:set"), members(env)

            def setup() -> None:
                env.wal.delete("wal:set")
                if data:
                    obj.add(*data)

            return obj, setup, obj.members

        return {"vermilion": m_vm, "redis-py": m_rp, "pottery": m_pot, "walrus": m_wal}

    return [
        _container_case("set add", "Set", 3_000, 60, maker(None), {
            "vermilion": lambda o: lambda i: o.add(ITEMS[i % 2_000]),
            "redis-py": lambda h: lambda i: _nil(h[0].sadd(h[1], dumps(ITEMS[i % 2_000]))),
            "pottery": lambda o: lambda i: o.add(ITEMS[i % 2_000]),
            "walrus": lambda o: lambda i: _nil(o.add(ITEMS[i % 2_000])),
        }),
        _container_case("set contains (half hits)", "Set", 3_000, 60, maker(1_000), {
            "vermilion": lambda o: lambda i: ITEMS[i % 2_000] in o,
            "redis-py": lambda h: lambda i: bool(h[0].sismember(h[1], dumps(ITEMS[i % 2_000]))),
            "pottery": lambda o: lambda i: ITEMS[i % 2_000] in o,
            "walrus": lambda o: lambda i: ITEMS[i % 2_000] in o,
        }),
        _container_case("set iterate 10,000 members", "Set", 20, 2, maker(10_000), {
            "vermilion": lambda o: lambda i: set(o),
            "redis-py": lambda h: lambda i: {loads(x) for x in h[0].smembers(h[1])},
            "pottery": lambda o: lambda i: set(o),
            "walrus": lambda o: lambda i: set(o),
        }, bulk=True, note="ops/s = whole iterations per second; quick mode: 1,000 members"),
    ]


def counter_cases() -> list[Case]:
    Counter = vm_type("counter", "MultiSet")
    if Counter is None:
        return []
    PCounter = _pottery("RedisCounter")
    counts = {k: i + 1 for k, i in MAPPING.items()}

    def maker(filled: bool) -> dict[str, Any]:
        data = counts if filled else {}

        def m_vm(env: Env) -> Any:
            obj = Counter(key="vm:counter", client=env.vm)

            def setup() -> None:
                obj.delete()
                if data:
                    obj.update(data)

            return obj, setup, lambda: dict(obj.items())

        def m_rp(env: Env) -> Any:  # a sorted set, like vermilion's MultiSet
            r: Any = env.rp
            k = "rp:counter"

            def setup() -> None:
                r.delete(k)
                if data:
                    r.zadd(k, {dumps(a): b for a, b in data.items()})

            def state() -> dict[Any, int]:
                return {loads(m): int(c) for m, c in r.zrange(k, 0, -1, withscores=True)}

            return (r, k), setup, state

        def m_pot(env: Env) -> Any:
            if PCounter is None:
                return None
            obj = PCounter(redis=env.pot, key="pot:counter")

            def setup() -> None:
                env.pot.delete("pot:counter")
                if data:
                    obj.update(data)

            return obj, setup, lambda: dict(obj.items())

        def m_wal(env: Env) -> Any:
            if env.wal is None:
                return None
            obj = env.wal.ZSet("wal:counter")

            def setup() -> None:
                env.wal.delete("wal:counter")
                if data:
                    obj.add(data)

            return obj, setup, lambda: dict(obj.as_items())

        return {"vermilion": m_vm, "redis-py": m_rp, "pottery": m_pot, "walrus": m_wal}

    def rp_most_common(h: Any) -> Any:
        r, k = h
        return lambda i: [(loads(m), int(c)) for m, c in r.zrevrange(k, 0, 9, withscores=True)]

    return [
        _container_case("counter increment (update([k]))", "Counter", 3_000, 60, maker(False), {
            "vermilion": lambda o: lambda i: o.update([KEYS[i % 100]]),
            "redis-py": lambda h: lambda i: _nil(h[0].zincrby(h[1], 1, dumps(KEYS[i % 100]))),
            "pottery": lambda o: lambda i: o.update([KEYS[i % 100]]),
            "walrus": lambda o: lambda i: _nil(o.incr(KEYS[i % 100], 1)),
        }, note="redis-py: ZINCRBY; walrus: ZSet.incr (counts come back as float scores)"),
        _container_case("counter most_common(10) of 1,000", "Counter", 3_000, 60, maker(True), {
            "vermilion": lambda o: lambda i: o.most_common(10),
            "redis-py": rp_most_common,
            "walrus": lambda o: lambda i: o.range(0, 9, with_scores=True, desc=True),
        }, note="redis-py: ZREVRANGE 0 9 WITHSCORES; walrus: ZSet.range (bytes, float scores)"),
        _container_case("counter most_common(10), 20 ops", "Counter", 20, 3, maker(True), {
            "vermilion": lambda o: lambda i: o.most_common(10),
            "redis-py": rp_most_common,
            "pottery": lambda o: lambda i: o.most_common(10),
        }, max_repeats=3,
            note="same, timed on 20 ops so pottery (HGETALL + sort of the whole counter "
                 "per call) finishes: the vermilion/pottery ratio comes from this row"),
    ]


# ------------------------------------------------------------------------------------------
# Int, Lock, Queue, Deque
# ------------------------------------------------------------------------------------------
def int_cases() -> list[Case]:
    Int = vm_type("numbers", "Int")
    if Int is None:
        return []

    def b_vm(env: Env, n: int) -> Impl:
        obj = Int(key="vm:int", client=env.vm)
        incr = getattr(obj, "incr", None)

        def op_iadd(i: int) -> Any:
            nonlocal obj
            obj += 1
            return None

        def op_incr(i: int) -> Any:
            assert incr is not None
            incr()
            return None

        return Impl(op_incr if incr is not None else op_iadd, obj.delete,
                    lambda: int(obj.value) if hasattr(obj, "value") else int(obj))

    def b_rp(env: Env, n: int) -> Impl:
        r = env.rp
        return Impl(lambda i: _nil(r.incr("rp:int")), lambda: r.delete("rp:int"),
                    lambda: int(r.get("rp:int") or 0))

    def b_wal(env: Env, n: int) -> Impl | None:
        if env.wal is None:
            return None
        c = env.wal.counter("wal:int")
        return Impl(lambda i: _nil(c.incr()), lambda: env.wal.delete("wal:int"),
                    lambda: c.value())

    return [Case("int increment", "Int", 3_000, 60,
                 {"vermilion": b_vm, "redis-py": b_rp, "walrus": b_wal},
                 note="pottery has no integer type; walrus: Counter.incr (INCRBY)")]


def lock_cases() -> list[Case]:
    Lock = vm_type("locks", "Lock")
    if Lock is None:
        return []
    Redlock = _pottery("Redlock")

    def b_vm(env: Env, n: int) -> Impl:
        lk = Lock(key="vm:lock", client=env.vm)

        def op(i: int) -> Any:
            got = lk.acquire()
            lk.release()
            return bool(got)

        return Impl(op, lambda: env.vm.delete("vm:lock"))

    def b_rp(env: Env, n: int) -> Impl:
        lk = env.rp.lock("rp:lock", timeout=10)  # SET NX PX + one Lua release: the minimum

        def op(i: int) -> Any:
            got = lk.acquire()
            lk.release()
            return bool(got)

        return Impl(op, lambda: env.rp.delete("rp:lock"))

    def b_pot(env: Env, n: int) -> Impl | None:
        if Redlock is None:
            return None
        lk = Redlock(key="pot:lock", masters={env.pot})

        def op(i: int) -> Any:
            got = lk.acquire()
            lk.release()
            return bool(got)

        return Impl(op)

    def b_wal(env: Env, n: int) -> Impl | None:
        if env.wal is None:
            return None
        lk = env.wal.lock("wal:lock", ttl=10_000)

        def op(i: int) -> Any:
            got = lk.acquire()
            lk.release()
            return bool(got)

        return Impl(op, lambda: env.wal.delete("lock:wal:lock", "lock.event:wal:lock"))

    return [Case("lock acquire+release", "Lock", 2_000, 40,
                 {"vermilion": b_vm, "redis-py": b_rp, "pottery": b_pot, "walrus": b_wal},
                 note="2 round trips per op everywhere; pottery: Redlock on one master")]


def queue_cases() -> list[Case]:
    mod_ok = vm_type("queues", "Queue") is not None
    if not mod_ok:
        return []
    from vermilion.types import queues

    PQueue = _pottery("RedisSimpleQueue")

    def vm_builder(cls: Any, key: str) -> Any:
        def build(env: Env, n: int) -> Impl:
            q = cls(key=key, client=env.vm)

            def op(i: int) -> Any:
                q.put(ITEMS[i])
                return q.get()

            return Impl(op, q.delete)

        return build

    def b_rp_simple(env: Env, n: int) -> Impl:
        r: Any = env.rp
        k = "rp:squeue"

        def op(i: int) -> Any:
            r.rpush(k, dumps(ITEMS[i]))
            return loads(r.blpop([k])[1])  # get(block=True): BLPOP

        return Impl(op, lambda: r.delete(k))

    def b_rp_tasks(env: Env, n: int) -> Impl:
        r: Any = env.rp
        k, unfinished = "rp:queue", "{rp:queue}:unfinished"
        pipe = r.pipeline(transaction=False)

        def op(i: int) -> Any:
            pipe.rpush(k, dumps(ITEMS[i]))  # put + the unfinished-task count join() needs
            pipe.incr(unfinished)
            pipe.execute()
            return loads(r.blpop([k])[1])

        return Impl(op, lambda: r.delete(k, unfinished))

    def b_pot(env: Env, n: int) -> Impl | None:
        if PQueue is None:
            return None
        q = PQueue(redis=env.pot, key="pot:queue")

        def op(i: int) -> Any:
            q.put(ITEMS[i])
            return q.get()

        return Impl(op, lambda: env.pot.delete("pot:queue"))

    def b_wal(env: Env, n: int) -> Impl | None:
        if env.wal is None:
            return None
        q = env.wal.List("wal:queue")

        def op(i: int) -> Any:
            q.append(ITEMS[i])
            return q.bpopleft()

        return Impl(op, lambda: env.wal.delete("wal:queue"))

    out = []
    if hasattr(queues, "SimpleQueue"):
        out.append(Case(
            "simplequeue put+get", "Queue", 2_000, 40,
            {"vermilion": vm_builder(queues.SimpleQueue, "vm:squeue"),
             "redis-py": b_rp_simple, "pottery": b_pot, "walrus": b_wal},
            note="redis-py: RPUSH + BLPOP; pottery: RedisSimpleQueue (a stream, WATCH/MULTI "
                 "get); walrus: List append + bpopleft (no queue type)"))
    out.append(Case(
        "queue put+get (task counting)", "Queue", 2_000, 40,
        {"vermilion": vm_builder(queues.Queue, "vm:queue"), "redis-py": b_rp_tasks},
        note="queue.Queue semantics (task_done/join need an unfinished count): redis-py "
             "pipelines RPUSH+INCR, then BLPOP; pottery and walrus have no equivalent"))
    return out


def deque_cases() -> list[Case]:
    Deque = vm_type("deque", "Deque")
    if Deque is None:
        return []
    PDeque = _pottery("RedisDeque")

    def b_vm(env: Env, n: int) -> Impl:
        d = Deque(key="vm:deque", client=env.vm)

        def op(i: int) -> Any:
            d.append(ITEMS[i])
            return d.popleft()

        return Impl(op, d.delete)

    def b_rp(env: Env, n: int) -> Impl:
        r: Any = env.rp
        k = "rp:deque"

        def op(i: int) -> Any:
            r.rpush(k, dumps(ITEMS[i]))
            return loads(r.lpop(k))

        return Impl(op, lambda: r.delete(k))

    def b_pot(env: Env, n: int) -> Impl | None:
        if PDeque is None:
            return None
        d = PDeque(redis=env.pot, key="pot:deque")

        def op(i: int) -> Any:
            d.append(ITEMS[i])
            return d.popleft()

        return Impl(op, lambda: env.pot.delete("pot:deque"))

    def b_wal(env: Env, n: int) -> Impl | None:
        if env.wal is None:
            return None
        q = env.wal.List("wal:deque")

        def op(i: int) -> Any:
            q.append(ITEMS[i])
            return q.popleft()

        return Impl(op, lambda: env.wal.delete("wal:deque"))

    return [Case("deque append+popleft", "Deque", 2_000, 40,
                 {"vermilion": b_vm, "redis-py": b_rp, "pottery": b_pot, "walrus": b_wal},
                 note="walrus: List append+popleft")]


GROUPS = {
    "list": list_cases,
    "dict": dict_cases,
    "set": set_cases,
    "counter": counter_cases,
    "int": int_cases,
    "deque": deque_cases,
    "queue": queue_cases,
    "lock": lock_cases,
}


def all_cases(groups: tuple[str, ...] | None = None) -> list[Case]:
    SKIPPED.clear()
    out: list[Case] = []
    for name, fn in GROUPS.items():
        if groups is None or name in groups:
            out.extend(fn())
    return out
