"""Models (``vermilion.models``) vs raw redis-py, a PyAssimilator-style scan, walrus and redis-om.

``python bench/models.py [--n 100000] [--ops 1500] [--rounds 10] [--quick]``

One process, one private redis-server on TCP loopback (``EmbeddedServer(tcp=True)``), each side
on its own connection and its own logical database (db 0 vermilion, 1 raw redis-py, 2 the
PyAssimilator-style JSON strings, 3 walrus, 4 redis-om), so ``KEYS`` and ``FLUSHDB`` only ever
see one side's keys.  The model: ``name: Annotated[str, Index]``, ``age: Annotated[int, Index]``,
``email: Annotated[str, Unique]`` and two plain fields (``bio: str``, ``score: float``).

Before timing, each row checks that the sides agree (the same stored fields, the same object
back from a get, the same 100 ids from a query).  Then ``--rounds`` rounds, the sides
interleaved inside each round (order reversed every other round), GC paused while timing:
ops/s = the median of the rounds; ``vm/peer`` = the median of the per-round ratios (this
machine is shared and its speed drifts: neighbours in time compare best).  Rows:

* save: ``Repository.save(obj)`` (one script: hash, version, 2 index entries, 1 unique claim
  checked, id set, expiry bookkeeping) vs raw redis-py, one ``pipeline(transaction=False)`` per
  object: ``HSET`` of the hash, ``ZADD`` age (score) and name (lex) index entries, ``HSET`` of the
  unique value, ``ZADD`` of the id set; target >= 0.8x;
* get by id: ``Repository.get(id)`` vs ``HGETALL`` + decoding the fields + ``model_validate`` of a
  plain pydantic model; target >= 0.8x;
* query: ``Repository.filter(specs.filter(age=42))``, 100 matches out of ``--n`` objects, vs

  - PyAssimilator's ``RedisRepository.filter``: ``MGET(KEYS <prefix>*)``, every value parsed into
    the model, the filter applied in Python (written here with redis-py over the same data stored
    as JSON strings; PyAssimilator itself needs pydantic v1, so it is not installed); target
    >= 100x;
  - walrus ``Model.query(Model.age == 42)`` (its index: one set per value, then ``EXISTS`` +
    ``HGETALL`` per object); target >= 10x;

* redis-om ``HashModel.save()`` / ``.get(pk)`` when ``redis-om`` is installed (no target; its
  queries need RediSearch, which plain Redis lacks);
* asyncio: ``vermilion.aio`` models ``Repository.save`` / ``get`` run under ``asyncio.gather``
  vs redis-py's asyncio client doing the raw work the same way (64-connection pool).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import orjson  # noqa: E402
import redis  # noqa: E402
import redis.asyncio as aioredis  # noqa: E402
from pydantic import BaseModel  # noqa: E402

from bench.harness import timed  # noqa: E402
from bench.run import machine  # noqa: E402
from vermilion.core.config import client_from_url  # noqa: E402
from vermilion.models import Index, Model, Repository, Unique, specs  # noqa: E402
from vermilion.server import EmbeddedServer  # noqa: E402

try:  # the asyncio face: vermilion.aio.models once wired, vermilion.models.aio meanwhile
    from vermilion.aio.models import Repository as AsyncRepository  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the tree
    from vermilion.models.aio import Repository as AsyncRepository

SAVE_TARGET = 0.8
GET_TARGET = 0.8
SCAN_TARGET = 100.0
WALRUS_TARGET = 10.0
MATCHES = 100  # objects the query returns, whatever --n
DB_VM, DB_RP, DB_PA, DB_WAL, DB_ROM = 0, 1, 2, 3, 4
BATCH = 1000  # objects per save_all / pipeline while loading


class User(Model):
    name: Annotated[str, Index]
    age: Annotated[int, Index]
    email: Annotated[str, Unique]
    bio: str = ""
    score: float = 0.0


class PlainUser(BaseModel):
    """The same fields, plain pydantic: what the raw redis-py and PyAssimilator sides build."""

    id: str
    name: str
    age: int
    email: str
    bio: str = ""
    score: float = 0.0


STR_FIELDS = frozenset((b"name", b"email", b"bio"))


def row(i: int, tag: str = "u", groups: int = 100) -> dict[str, Any]:
    """Object number ``i``: ``age = i % groups`` (so ``n // groups`` objects share each age)."""
    return {"id": f"{tag}{i:07d}", "name": f"user {i}", "age": i % groups,
            "email": f"{tag}{i}@example.org", "bio": "likes sets, hashes and sorted sets",
            "score": i / 8}


# -- raw redis-py: the same work, by hand ------------------------------------------------------
RAW = "{RawUser}"


def fresh_objects(state: dict[str, list[Any]], counts: dict[str, int], ops: int, prefix: str,
                  tag: str, make: Callable[..., Any], flush: Any) -> Callable[[], None]:
    """A round's setup for one side: empty its database, then build ``ops`` new objects with
    ids not used before (``<prefix><round>-``) into ``state[tag]``."""
    def setup() -> None:
        flush.flushdb()
        k = counts[tag] = counts.get(tag, -1) + 1
        state[tag] = [make(**row(i, f"{prefix}{k}-")) for i in range(ops)]
    return setup


def raw_save(r: Any, o: PlainUser) -> None:
    """One pipeline per object (transaction=False): the hash, the two index entries (age by
    score, name lexicographically), the unique value, the id set.  No uniqueness check, no
    removal of an older version's entries, not atomic: the minimum an index needs."""
    id = o.id
    dumps = orjson.dumps
    p = r.pipeline(transaction=False)
    p.hset(f"{RAW}:{id}", mapping={"name": o.name, "age": dumps(o.age), "email": o.email,
                                   "bio": o.bio, "score": dumps(o.score)})
    p.zadd(f"{RAW}#i:age", {id: o.age})
    p.zadd(f"{RAW}#i:name", {f"{o.name}\x00{id}": 0})
    p.hset(f"{RAW}#u:email", o.email, id)
    p.zadd(f"{RAW}#ids", {id: 0})
    p.execute()


def raw_decode(id: str, flat: dict[bytes, bytes]) -> PlainUser:
    loads = orjson.loads
    data: dict[str, Any] = {"id": id}
    for k, v in flat.items():
        data[k.decode()] = v.decode() if k in STR_FIELDS else loads(v)
    return PlainUser.model_validate(data)


def raw_get(r: Any, id: str) -> PlainUser:
    return raw_decode(id, r.hgetall(f"{RAW}:{id}"))


# -- PyAssimilator's RedisRepository.filter, by hand -----------------------------------------
PA_PREFIX = "pa:User:"


def scan_filter(r: Any, age: int) -> list[PlainUser]:
    """``session.mget(session.keys(pattern))``, every value loaded as the model, the filter
    evaluated in Python: PyAssimilator's RedisRepository.filter (``model.loads`` there is
    pydantic v1's ``parse_raw``; v2's ``model_validate_json`` is faster)."""
    values = r.mget(r.keys(PA_PREFIX + "*"))
    objs = [PlainUser.model_validate_json(v) for v in values]
    return [o for o in objs if o.age == age]


# -- walrus ---------------------------------------------------------------------------------------
def walrus_model(db: Any) -> Any:
    import walrus

    class WUser(walrus.Model):
        __database__ = db
        __namespace__ = "bench"
        id = walrus.TextField(primary_key=True)
        name = walrus.TextField(index=True)
        age = walrus.IntegerField(index=True)
        email = walrus.TextField(index=True)  # walrus has no unique constraint
        bio = walrus.TextField()
        score = walrus.FloatField()

    return WUser


class _PipelineDatabase:
    """What walrus' ``Model.save`` needs of its database, writing into a pipeline: loading
    100,000 objects through walrus' own save code (same keys) without a round trip each."""

    def __init__(self, pipe: Any):
        self._pipe = pipe

    def Hash(self, key: str) -> Any:  # noqa: N802 - walrus' names
        import walrus

        return walrus.Hash(self._pipe, key)

    def Set(self, key: str) -> Any:  # noqa: N802
        import walrus

        return walrus.Set(self._pipe, key)

    def ZSet(self, key: str) -> Any:  # noqa: N802
        import walrus

        return walrus.ZSet(self._pipe, key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pipe, name)


def walrus_load(model: Any, db: Any, rows: Iterator[dict[str, Any]]) -> None:
    real = model.__database__
    pipe = db.pipeline(transaction=False)
    model.__database__ = _PipelineDatabase(pipe)
    try:
        for k, r in enumerate(rows, 1):
            model.create(**r)
            if k % BATCH == 0:
                pipe.execute()
        pipe.execute()
    finally:
        model.__database__ = real


# -- redis-om ---------------------------------------------------------------------------------
def redis_om_model(url: str) -> Any:
    """A redis-om HashModel with the same fields, or the reason there is none."""
    try:
        from redis_om import Field, HashModel
    except ImportError as exc:
        return f"redis-om is not installed ({exc.__class__.__name__}: pip install redis-om)"

    conn = redis.Redis.from_url(url, decode_responses=True)

    class RomUser(HashModel, index=True):
        name: str = Field(index=True)
        age: int = Field(index=True)
        email: str = Field(index=True)
        bio: str = ""
        score: float = 0.0

        class Meta:
            database = conn
            global_key_prefix = "bench"
            model_key_prefix = "RomUser"

    return RomUser


def redis_om_query(model: Any) -> str:
    """What redis-om's ``find()`` does on plain Redis (its queries are RediSearch's FT.SEARCH)."""
    try:
        found = model.find(model.age == 42).all()
    except Exception as exc:  # noqa: BLE001 - the failure is the result
        failed = f"{type(exc).__name__}: {str(exc)[:50]}"
    else:
        return f"find() answered {len(found)} objects (RediSearch present?)"
    try:
        model.db().execute_command("FT.SEARCH", "x", "*")
        server = "FT.SEARCH answered"
    except redis.ResponseError as exc:
        server = f"the server: {str(exc).split(',')[0]}"
    return f"no number: find() raised {failed} ({server})"


# -- measuring ------------------------------------------------------------------------------------
@dataclass
class Side:
    """One side of a row: ``op(i)`` timed ``n`` times per round (each worth ``batch`` items)."""

    op: Callable[[int], Any]
    n: int
    setup: Callable[[], Any] = lambda: None
    batch: int = 1


@dataclass
class Rates:
    """Items/s per side (median of the rounds) and, per peer, the median of the per-round
    ratios vermilion / peer (this machine is shared: neighbours in time compare best)."""

    ops: dict[str, float]
    paired: dict[str, float]


def measure(sides: dict[str, Side], rounds: int) -> Rates:
    """Warm up, then ``rounds`` rounds, the sides interleaved inside each round, the order
    reversed every other round.  ``sides`` starts with ``"vermilion"``."""
    for s in sides.values():
        s.setup()
        timed(max(1, s.n // 10), s.op)
    samples: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for k in range(rounds):
        for name in names if k % 2 == 0 else names[::-1]:
            s = sides[name]
            s.setup()
            samples[name].append(s.n * s.batch / timed(s.n, s.op))
    vm = samples["vermilion"]
    return Rates({name: statistics.median(v) for name, v in samples.items()},
                 {name: statistics.median(a / b for a, b in zip(vm, v))
                  for name, v in samples.items() if name != "vermilion"})


def calibrated(op: Callable[[int], Any], budget: float) -> int:
    """How many calls of ``op`` take about ``budget`` seconds (at least 1)."""
    t0 = time.perf_counter()
    op(0)
    one = time.perf_counter() - t0
    return max(1, min(100_000, int(budget / max(one, 1e-6))))


@dataclass
class Row:
    operation: str
    vm: float | None
    peer: str
    other: float | None
    target: float | None = None
    note: str = ""
    paired: float | None = None  # median of the per-round ratios

    @classmethod
    def of(cls, operation: str, rates: Rates, side: str, peer: str,
           target: float | None = None) -> Row:
        return cls(operation, rates.ops["vermilion"], peer, rates.ops[side], target,
                   paired=rates.paired[side])

    @property
    def ratio(self) -> float | None:
        if self.paired is not None:
            return self.paired
        if self.vm is None or self.other is None:
            return None
        return self.vm / self.other

    def verdict(self) -> str:
        if self.target is None or self.ratio is None:
            return "-"
        mark = "ok" if self.ratio >= self.target else "MISS"
        return f">= {self.target:g}x {mark}"


def format_table(rows: list[Row]) -> str:
    head = (f"{'operation':34} {'vermilion':>10}  {'peer':40} {'peer ops/s':>10} "
            f"{'vm/peer':>8}  target")
    lines = [head, "-" * len(head)]
    for r in rows:
        vm = "-" if r.vm is None else f"{r.vm:,.0f}"
        other = "-" if r.other is None else f"{r.other:,.1f}" if r.other < 100 else f"{r.other:,.0f}"
        ratio = "-" if r.ratio is None else f"{r.ratio:,.2f}x"
        lines.append(f"{r.operation:34} {vm:>10}  {r.peer:40} {other:>10} {ratio:>8}  "
                     f"{r.verdict()}")
        if r.note:
            lines.append(f"{'':36}{r.note}")
    return "\n".join(lines)


# -- the run ------------------------------------------------------------------------------------
@dataclass
class Bench:
    n: int
    ops: int
    rounds: int
    out: Callable[[str], Any] = print
    rows: list[Row] = field(default_factory=list)
    loads: list[str] = field(default_factory=list)

    def run(self) -> list[Row]:
        server = EmbeddedServer(tcp=True)
        self.base = f"redis://127.0.0.1:{server.port}"
        try:
            self.vm_client = client_from_url(f"{self.base}/{DB_VM}")
            self.rp = redis.Redis.from_url(f"{self.base}/{DB_RP}")
            self.pa = redis.Redis.from_url(f"{self.base}/{DB_PA}")
            self.repo = Repository(User, client=self.vm_client)
            self.flush_vm = redis.Redis.from_url(f"{self.base}/{DB_VM}")
            try:
                self.save_and_get()
                self.aio()
                self.query()
            finally:
                for c in (self.vm_client, self.rp, self.pa, self.flush_vm):
                    c.close()
        finally:
            server.stop()
        return self.rows

    def _step(self, what: str, t0: float) -> None:
        self.out(f"  {what}: {time.perf_counter() - t0:.1f}s")

    # save and get ---------------------------------------------------------------------------
    def save_and_get(self) -> None:
        t0 = time.perf_counter()
        ops, repo, rp = self.ops, self.repo, self.rp
        rom = redis_om_model(f"{self.base}/{DB_ROM}")
        rom_db = None if isinstance(rom, str) else redis.Redis.from_url(f"{self.base}/{DB_ROM}")
        state: dict[str, list[Any]] = {}
        counts: dict[str, int] = {}

        def fresh(tag: str, make: Callable[..., Any], flush: Any) -> Callable[[], None]:
            return fresh_objects(state, counts, ops, "s", tag, make, flush)

        sides = {
            "vermilion": Side(lambda i: repo.save(state["vm"][i]), ops,
                              fresh("vm", User, self.flush_vm)),
            "redis-py": Side(lambda i: raw_save(rp, state["rp"][i]), ops,
                             fresh("rp", PlainUser, rp)),
        }
        if not isinstance(rom, str):
            def rom_make(**kw: Any) -> Any:
                return rom(pk=kw.pop("id"), **kw)

            sides["redis-om"] = Side(lambda i: state["rom"][i].save(), ops,
                                     fresh("rom", rom_make, rom_db))
        self._check_save(sides)
        rates = measure(sides, self.rounds)
        label = "save, 3 indexed fields + 2"
        self.rows.append(Row.of(label, rates, "redis-py", "redis-py pipeline (5 commands)",
                                SAVE_TARGET))
        if "redis-om" in rates.ops:
            self.rows.append(Row.of(label, rates, "redis-om", "redis-om HashModel.save (1 HSET)"))
        self._step("save", t0)

        # get by id: the objects the last save round stored
        t0 = time.perf_counter()
        ids = [o.id for o in state["vm"]]
        rp_ids = [o.id for o in state["rp"]]
        got, want = repo.get(ids[3]).model_dump(), raw_get(rp, rp_ids[3]).model_dump()
        assert got == want, (got, want)
        gsides = {
            "vermilion": Side(lambda i: repo.get(ids[i % ops]), ops),
            "redis-py": Side(lambda i: raw_get(rp, rp_ids[i % ops]), ops),
        }
        if not isinstance(rom, str):
            rom_ids = [o.pk for o in state["rom"]]
            got = rom.get(rom_ids[3]).model_dump()
            got["id"] = got.pop("pk")
            assert got == PlainUser(**got).model_dump() and got["age"] == 3, got
            gsides["redis-om"] = Side(lambda i: rom.get(rom_ids[i % ops]), ops)
        rates = measure(gsides, self.rounds)
        label = "get by id"
        self.rows.append(Row.of(label, rates, "redis-py", "redis-py HGETALL + model_validate",
                                GET_TARGET))
        if "redis-om" in rates.ops:
            self.rows.append(Row.of(label, rates, "redis-om", "redis-om HashModel.get"))
            self.rows.append(Row("query", None, "redis-om find(): needs RediSearch", None,
                                 note=redis_om_query(rom)))
        else:
            self.rows.append(Row("save / get / query", None, "redis-om: not run", None, note=rom))
        if rom_db is not None:
            rom_db.close()
            rom.Meta.database.close()
        self._step("get", t0)

    def _check_save(self, sides: dict[str, Side]) -> None:
        """The sides store the same object: same fields, same values (vermilion adds ``_v``)."""
        for s in sides.values():
            s.setup()
            s.op(0)
        vm_id = self.repo.get(self._first_id()).id
        stored = self.flush_vm.hgetall(User.__schema__().key(vm_id))
        stored.pop(b"_v")
        raw_id = self.rp.zrange(f"{RAW}#ids", 0, 0)[0].decode()
        raw = self.rp.hgetall(f"{RAW}:{raw_id}")
        assert stored == raw, (stored, raw)
        assert self.rp.zcard(f"{RAW}#i:name") == self.rp.zcard(f"{RAW}#i:age") == 1

    def _first_id(self) -> str:
        return self.flush_vm.zrange(f"{User.__schema__().base}#ids", 0, 0)[0].decode()

    # asyncio --------------------------------------------------------------------------------
    def aio(self) -> None:
        t0 = time.perf_counter()
        ops = self.ops
        loop = asyncio.new_event_loop()
        try:
            vm_client = client_from_url(f"{self.base}/{DB_VM}", asyncio_=True)
            arepo = AsyncRepository(User, client=vm_client)
            pool = aioredis.BlockingConnectionPool.from_url(f"{self.base}/{DB_RP}", max_connections=64)
            ar = aioredis.Redis(connection_pool=pool)
            state: dict[str, list[Any]] = {}
            counts: dict[str, int] = {}

            async def araw_save(o: PlainUser) -> None:
                id = o.id
                dumps = orjson.dumps
                p = ar.pipeline(transaction=False)
                p.hset(f"{RAW}:{id}", mapping={"name": o.name, "age": dumps(o.age),
                                               "email": o.email, "bio": o.bio,
                                               "score": dumps(o.score)})
                p.zadd(f"{RAW}#i:age", {id: o.age})
                p.zadd(f"{RAW}#i:name", {f"{o.name}\x00{id}": 0})
                p.hset(f"{RAW}#u:email", o.email, id)
                p.zadd(f"{RAW}#ids", {id: 0})
                await p.execute()

            async def araw_get(id: str) -> PlainUser:
                return raw_decode(id, await ar.hgetall(f"{RAW}:{id}"))

            def fresh(tag: str, make: Callable[..., Any], flush: Any) -> Callable[[], None]:
                return fresh_objects(state, counts, ops, "a", tag, make, flush)

            def gather(coros: Callable[[], Any]) -> Callable[[int], Any]:
                async def all_of() -> list[Any]:
                    return await asyncio.gather(*coros())
                return lambda i: loop.run_until_complete(all_of())

            sides = {
                "vermilion": Side(gather(lambda: [arepo.save(o) for o in state["vm"]]), 1,
                                  fresh("vm", User, self.flush_vm), ops),
                "redis-py": Side(gather(lambda: [araw_save(o) for o in state["rp"]]), 1,
                                 fresh("rp", PlainUser, self.rp), ops),
            }
            rates = measure(sides, self.rounds)
            self.rows.append(Row.of(f"asyncio save, gather of {ops:,}", rates, "redis-py",
                                    "redis.asyncio pipelines, 64 connections"))
            vm_ids = [o.id for o in state["vm"]]
            rp_ids = [o.id for o in state["rp"]]
            got = loop.run_until_complete(arepo.get(vm_ids[5])).model_dump()
            assert got == loop.run_until_complete(araw_get(rp_ids[5])).model_dump()
            gsides = {
                "vermilion": Side(gather(lambda: [arepo.get(i) for i in vm_ids]), 1, batch=ops),
                "redis-py": Side(gather(lambda: [araw_get(i) for i in rp_ids]), 1, batch=ops),
            }
            rates = measure(gsides, self.rounds)
            self.rows.append(Row.of(f"asyncio get, gather of {ops:,}", rates, "redis-py",
                                    "redis.asyncio HGETALL + model_validate"))
            loop.run_until_complete(ar.aclose())
            loop.run_until_complete(pool.disconnect())
            loop.run_until_complete(vm_client.aclose())
        finally:
            loop.close()
        self._step("asyncio", t0)

    # query ----------------------------------------------------------------------------------
    def query(self) -> None:
        n = self.n
        groups = max(1, n // MATCHES)
        age = 42 % groups
        self.flush_vm.flushdb()
        self.pa.flushdb()

        def rows() -> Iterator[dict[str, Any]]:
            return (row(i, "q", groups) for i in range(n))

        t0 = time.perf_counter()
        batch: list[User] = []
        for r in rows():
            batch.append(User(**r))
            if len(batch) == BATCH:
                self.repo.save_all(batch)
                batch = []
        if batch:
            self.repo.save_all(batch)
        self._loaded("vermilion save_all", t0)

        t0 = time.perf_counter()
        pipe = self.pa.pipeline(transaction=False)
        for k, r in enumerate(rows(), 1):
            pipe.set(PA_PREFIX + r["id"], PlainUser(**r).model_dump_json())
            if k % BATCH == 0:
                pipe.execute()
        pipe.execute()
        self._loaded("JSON strings (SET)", t0)

        wal_db = wal = None
        try:
            import walrus

            wal_db = walrus.Database.from_url(f"{self.base}/{DB_WAL}")
            wal_db.flushdb()
            wal = walrus_model(wal_db)
            t0 = time.perf_counter()
            walrus_load(wal, wal_db, rows())
            self._loaded("walrus Model.create", t0)
        except ImportError as exc:  # pragma: no cover - bench extra not installed
            self.out(f"  walrus not installed: {exc}")

        t0 = time.perf_counter()
        spec = specs.filter(age=age)

        def vm_query(i: int) -> list[User]:
            return self.repo.filter(spec)

        def pa_query(i: int) -> list[PlainUser]:
            return scan_filter(self.pa, age)

        def wal_query(i: int) -> list[Any]:
            return list(wal.query(wal.age == age))

        want = sorted(o.id for o in vm_query(0))
        expected = sorted(r["id"] for r in rows() if r["age"] == age)
        assert want == expected, (len(want), len(expected))
        assert sorted(o.id for o in pa_query(0)) == want
        got = vm_query(0)[0].model_dump()
        assert got == PlainUser(**row(int(got["id"][1:]), "q", groups)).model_dump()
        sides = {"vermilion": Side(vm_query, 0), "scan": Side(pa_query, 0)}
        if wal is not None:
            assert sorted(o.id for o in wal_query(0)) == want
            sides["walrus"] = Side(wal_query, 0)
        budget = 0.3 if n >= 50_000 else 0.1
        for s in sides.values():
            s.n = calibrated(s.op, budget)
        rates = measure(sides, max(1, min(self.rounds, 5)))
        label = f"query age == {age} ({len(want)} of {n:,})"
        self.rows.append(Row.of(label, rates, "scan", "KEYS+MGET+parse+filter (PyAssimilator)",
                                SCAN_TARGET))
        if "walrus" in rates.ops:
            self.rows.append(Row.of(label, rates, "walrus", "walrus Model.query (indexed)",
                                    WALRUS_TARGET))
        else:
            self.rows.append(Row(label, rates.ops["vermilion"], "walrus: not installed", None))
        if wal_db is not None:
            wal_db.close()
        self._step("query", t0)

    def _loaded(self, what: str, t0: float) -> None:
        dt_ = time.perf_counter() - t0
        self.loads.append(f"{what}: {self.n:,} objects in {dt_:.1f}s ({self.n / dt_:,.0f}/s)")
        self.out(f"  loaded {self.n:,}: {what} {dt_:.1f}s")


def run(n: int = 100_000, ops: int = 1500, rounds: int = 10,
        out: Callable[[str], Any] = print) -> Bench:
    bench = Bench(n=n, ops=ops, rounds=rounds, out=out)
    bench.run()
    return bench


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100_000, help="objects the query runs on")
    p.add_argument("--ops", type=int, default=1500, help="saves / gets per round")
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--quick", action="store_true", help="smoke run: --n 2000 --ops 200 --rounds 1")
    args = p.parse_args(argv)
    if args.quick:
        args.n, args.ops, args.rounds = 2000, 200, 1
    print(machine())
    print(f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; --n {args.n:,} --ops {args.ops:,} "
          f"--rounds {args.rounds}; one TCP loopback connection per side", flush=True)
    t0 = time.perf_counter()
    bench = run(args.n, args.ops, args.rounds)
    print()
    print(format_table(bench.rows))
    print("(ops/s: median of the rounds; vm/peer: median of the per-round ratios)")
    print("\nloading (untimed setup):\n  " + "\n  ".join(bench.loads))
    print(f"\ntotal {time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
