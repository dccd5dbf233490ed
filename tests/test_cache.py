"""The cache core and ``@cached``, on a private redis-server: hits, misses, leases, tags,
round trips, bad input, Redis failures and foreign data."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
import warnings
from typing import Any

import pytest
from pydantic import BaseModel

import vermilion
from vermilion.cache import (
    CacheBypassWarning,
    MissingKeyArgument,
    cached,
    invalidate,
    stats,
)
from vermilion.cache import decorator as cache_decorator
from vermilion.cache.testing import reset_cache_state
from vermilion.server import EmbeddedServer


@pytest.fixture(autouse=True)
def _fresh_stores() -> Any:
    """Each test gets new store objects (their local counters and fallback state)."""
    reset_cache_state()
    yield
    reset_cache_state()


class Profile(BaseModel):
    user_id: int
    name: str
    joined: dt.date


def test_hit_is_one_round_trip_and_miss_two(r: Any) -> None:
    calls: list[int] = []

    @cached(ttl=60)
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    square(3)  # scripts load
    invalidate(["fn:" + square.name])
    r.round_trips.reset()
    assert square(3) == 9
    assert r.round_trips.count == 2  # the lease, then the fill
    r.round_trips.reset()
    assert square(3) == 9
    assert r.round_trips.count == 1
    assert calls == [3, 3]


def test_pydantic_annotation_and_codec_round_trip(r: Any) -> None:
    @cached(ttl=60)
    def profile(user_id: int) -> Profile:
        return Profile(user_id=user_id, name="Ann", joined=dt.date(2024, 1, 2))

    @cached(ttl=60)
    def raw(x):  # no annotation: vermilion's codec keeps Python's types
        return {"t": (1, "a"), "s": {1, 2}, "d": dt.date(2020, 5, 6), "none": None}

    first, again = profile(7), profile(7)
    assert first == again and isinstance(again, Profile)
    assert raw(1) == raw(1) == {"t": (1, "a"), "s": {1, 2}, "d": dt.date(2020, 5, 6), "none": None}
    assert stats()["hits"] == 2


def test_none_is_cached_like_a_value(r: Any) -> None:
    calls = []

    @cached(ttl=60)
    def nothing(x: int) -> None:
        calls.append(x)

    assert nothing(1) is None and nothing(1) is None
    assert calls == [1]


def test_tags_invalidate_every_entry_carrying_them(r: Any) -> None:
    calls: list[tuple[str, int]] = []

    @cached(ttl=60, tags=["user:{user_id}"])
    def profile(user_id: int) -> dict:
        calls.append(("p", user_id))
        return {"id": user_id, "n": len(calls)}

    @cached(ttl=60, tags=["user:{user_id}", "feeds"])
    def feed(user_id: int, page: int = 1) -> list:
        calls.append(("f", user_id))
        return [user_id, page, len(calls)]

    p1, f1, p2 = profile(1), feed(1), profile(2)
    assert (profile(1), feed(1), profile(2)) == (p1, f1, p2)
    r.round_trips.reset()
    assert invalidate(tags=["user:1"]) is True
    assert r.round_trips.count == 1
    assert profile(1) != p1 and feed(1) != f1 and profile(2) == p2
    invalidate(tags=["feeds"])
    assert feed(1) != f1 and profile(2) == p2


def test_invalidate_one_call_and_all_calls(r: Any) -> None:
    n = [0]

    @cached(ttl=60, key="sq:{x}")
    def sq(x: int) -> list:
        n[0] += 1
        return [x * x, n[0]]

    a, b = sq(2), sq(3)
    assert sq.key(2) == "sq:2"
    sq.invalidate(2)
    assert sq(2) != a and sq(3) == b
    sq.invalidate_all()
    assert sq(3) != b
    assert not r.exists(f"vm:cache:{{default}}:e:{sq.key(99)}")


def test_the_entry_of_an_invalidated_key_is_deleted(r: Any) -> None:
    @cached(ttl=60, key="k:{x}")
    def f(x: int) -> int:
        return x

    f(1)
    assert r.exists("vm:cache:{default}:e:k:1")
    f.invalidate(1)
    assert not r.exists("vm:cache:{default}:e:k:1")


def test_bad_templates_and_arguments(r: Any) -> None:
    with pytest.raises(ValueError, match="does not take"):
        @cached(ttl=1, key="x:{nope}")
        def f(x: int) -> int:
            return x

    with pytest.raises(ValueError, match="placeholders must be names"):
        cached(ttl=1, key="x:{0}")(lambda x: x)
    with pytest.raises(TypeError, match="seconds or a timedelta"):
        cached(ttl="1h")(lambda x: x)
    with pytest.raises(ValueError, match="positive"):
        cached(ttl=0)(lambda x: x)
    with pytest.raises(TypeError, match="list of str"):
        cached(ttl=1, tags="user:{x}")(lambda x: x)

    @cached(ttl=dt.timedelta(minutes=1))
    def g(x: Any) -> Any:
        return 1

    r.round_trips.reset()
    with pytest.raises(TypeError, match="cannot put"):
        g(object())
    with pytest.raises(TypeError):  # the function's own signature
        g(1, 2)
    assert r.round_trips.count == 0


def test_missing_key_argument_is_a_key_error_before_any_round_trip(r: Any) -> None:
    from vermilion.cache import KeyTemplate

    t = KeyTemplate("user:email:{email}:{org}")
    r.round_trips.reset()
    with pytest.raises(MissingKeyArgument) as info:
        t.format({"email": "a@b"})
    assert isinstance(info.value, KeyError)
    assert "org" in str(info.value) and "user:email:{email}:{org}" in str(info.value)
    assert r.round_trips.count == 0


def test_concurrent_misses_compute_once(r: Any) -> None:
    calls: list[int] = []
    lock = threading.Lock()

    @cached(ttl=60)
    def slow(x: int) -> int:
        with lock:
            calls.append(x)
        time.sleep(0.3)
        return x + 1

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(slow(5))) for _ in range(25)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [5]
    assert results == [6] * 25
    s = stats()
    assert s["misses"] == 1 and s["fills"] == 1 and s["waits"] == 24


def test_a_fill_started_before_an_invalidation_is_not_stored(r: Any) -> None:
    """The slow reader: it read the old value, an update's invalidation came, then it filled."""
    version = [1]

    @cached(ttl=60, tags=["row"])
    def read(x: int) -> int:
        seen = version[0]
        version[0] += 1  # the "update" commits ...
        invalidate(["row"])  # ... and invalidates, after this reader read
        return seen

    assert read(1) == 1  # the caller gets what it read
    assert stats()["refused"] == 1
    assert read(1) == 2  # not the old value: the entry was never stored


def test_a_failed_computation_releases_the_lease(r: Any) -> None:
    attempts = [0]

    @cached(ttl=60)
    def flaky(x: int) -> int:
        attempts[0] += 1
        if attempts[0] == 1:
            raise RuntimeError("database down")
        return x

    with pytest.raises(RuntimeError):
        flaky(1)
    assert r.keys("vm:cache:*:l:*") == []
    r.round_trips.reset()
    assert flaky(1) == 1  # no wait for a lease left behind
    assert r.round_trips.count == 2


def test_a_dead_lease_holder_delays_waiters_at_most_the_lease(r: Any) -> None:
    @cached(ttl=60, key="dead:{x}")
    def f(x: int) -> int:
        return x

    store = f.store
    store.lease_ms = 300
    # a holder that died: its lease is there, no value will ever come
    r.set("vm:cache:{default}:l:dead:1", "someone-else", px=300)
    started = time.monotonic()
    assert f(1) == 1
    assert 0.2 < time.monotonic() - started < 3


def test_foreign_and_corrupted_entries_are_misses_and_overwritten(r: Any, caplog: Any) -> None:
    @cached(ttl=60, key="p:{x}")
    def profile(x: int) -> Profile:
        return Profile(user_id=x, name="B", joined=dt.date(2000, 1, 1))

    r.set("vm:cache:{default}:e:p:1", "hello from another program")
    assert profile(1).user_id == 1
    assert r.get("vm:cache:{default}:e:p:1").startswith(b"VMC1 ")
    profile(2)
    key = "vm:cache:{default}:e:p:2"
    head = r.get(key).split(b"\n", 1)[0]
    r.set(key, head + b"\n{not json", keepttl=True)
    with caplog.at_level("WARNING", logger="vermilion.cache"):
        assert profile(2).user_id == 2
    assert any("cannot be decoded" in m for m in caplog.messages)
    s = stats()
    assert s["foreign"] == 1 and s["decode_errors"] == 1
    # logged once, as undecodable
    assert sum("did not write" in m and "p:2" in m for m in caplog.messages) == 0
    hits = s["hits"]
    assert profile(2).user_id == 2 and stats()["hits"] == hits + 1


def test_an_evicted_tag_record_makes_a_miss_not_a_stale_hit(r: Any) -> None:
    n = [0]

    @cached(ttl=60, tags=["t"])
    def f(x: int) -> int:
        n[0] += 1
        return n[0]

    f(1)
    r.delete("vm:cache:{default}:t:t")  # as an eviction would
    assert f(1) == 2


def test_redis_unreachable_answers_from_the_function(r: Any) -> None:
    down = EmbeddedServer()
    url = down.url
    down.stop()
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=0.2)
    calls = []

    @cached(ttl=60, client=client)
    def f(x: int) -> int:
        calls.append(x)
        return x * 2

    with pytest.warns(CacheBypassWarning, match="unreachable"):
        assert f(4) == 8
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert f(4) == 8  # within retry_after: Redis is not tried again, no new warning
    assert calls == [4, 4]
    assert f.store._local["bypassed"] == 2


def test_strict_store_raises(r: Any) -> None:
    down = EmbeddedServer()
    url = down.url
    down.stop()
    import redis

    from vermilion.cache import Store

    store = Store("strict", client=redis.Redis.from_url(url), strict=True)
    with pytest.raises(vermilion.ServerUnavailable):
        store.invalidate(["x"])


def test_invalidation_while_redis_is_down_is_sent_later(r: Any) -> None:
    import redis

    from vermilion.cache import Store

    down = EmbeddedServer()
    dead = redis.Redis.from_url(down.url, socket_connect_timeout=0.2)
    down.stop()
    store = Store("later", client=dead, retry_after=0.0)
    with pytest.warns(CacheBypassWarning, match="sent again"):
        assert store.invalidate(["b"]) is False
    assert store._pending == ["b"]
    store._client = r  # Redis is back
    assert store.invalidate(["c"]) is True
    assert r.get("vm:cache:{later}:t:b") is not None and r.get("vm:cache:{later}:t:c") is not None
    assert store._pending == []


async def test_async_function(ar: Any) -> None:
    calls = []

    @cached(ttl=30, tags=["a:{x}"])
    async def f(x: int) -> list[int]:
        calls.append(x)
        await asyncio.sleep(0.05)
        return [x, len(calls)]

    results = await asyncio.gather(*[f(3) for _ in range(50)])
    assert calls == [3] and all(v == [3, 1] for v in results)
    from vermilion.aio.cache import invalidate as ainvalidate
    from vermilion.aio.cache import stats as astats

    ar.round_trips.reset()
    assert await ainvalidate(["a:3"]) is True
    assert ar.round_trips.count == 1
    assert await f(3) == [3, 2]
    assert (await astats())["fills"] == 2
    await f.invalidate(3)
    assert await f(3) == [3, 3]


def test_methods_skip_self_in_the_key(r: Any) -> None:
    class Service:
        def __init__(self) -> None:
            self.n = 0

        @cached(ttl=60)
        def double(self, x: int) -> int:
            self.n += 1
            return 2 * x

    a, b = Service(), Service()
    assert a.double(2) == 4 and b.double(2) == 4
    assert a.n + b.n == 1


@pytest.mark.cluster
def test_cluster_namespaces(rc: Any) -> None:
    calls = []

    @cached(ttl=60, tags=["u:{x}"], namespace="users", client=rc)
    def f(x: int) -> int:
        calls.append(x)
        return x

    @cached(ttl=60, namespace="orders", client=rc)
    def g(x: int) -> int:
        calls.append(-x)
        return -x

    assert [f(1), f(1), g(1), g(1)] == [1, 1, -1, -1]
    invalidate(["u:1"], namespace="users", client=rc)
    assert f(1) == 1 and calls == [1, -1, 1]



def test_stores_do_not_keep_per_request_clients_alive(vermilion_server: Any) -> None:
    """An application that makes a client per request leaks neither clients nor stores, and a
    commit reaches only the live ones."""
    import gc
    import weakref

    import redis

    from vermilion.cache import events, store_for

    refs = []
    for _ in range(30):
        client = redis.Redis.from_url(vermilion_server.url)
        refs.append(weakref.ref(client))
        store = store_for("sql:leak", client, "sync")
        events.register("leak", store)
        assert store.invalidate(["x"]) is True
        client.close()
        del client, store
    gc.collect()
    assert [ref for ref in refs if ref() is not None] == []
    assert not any(ref() in cache_decorator._client_stores for ref in refs)
    assert len(events._registry["leak"]) == 0


def test_equal_arguments_of_different_types_are_different_calls(r: Any) -> None:
    """``1 == 1.0 == True`` in Python, but a function may answer them differently: each is its
    own entry (the per-process memo of keys keeps the types apart)."""
    @cached(ttl=60)
    def describe(x: Any) -> str:
        return repr(x)

    assert [describe(1), describe(True), describe(1.0), describe(1)] == ["1", "True", "1.0", "1"]
    assert len({describe.key(1), describe.key(True), describe.key(1.0)}) == 3
    assert describe((1,)) == "(1,)" and describe((True,)) == "(True,)"  # not memoised: exact
