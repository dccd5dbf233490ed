"""``@cached``: cache-aside for any function, sync or async, with leases and tags.

``@vermilion.cache.cached(ttl=60, tags=["user:{user_id}"])`` caches each call's result under a
key made of the function's name and its arguments (or ``key="profile:{user_id}"``); the first
caller of a missing key computes it while concurrent callers (any process) wait for its value;
``vermilion.cache.invalidate(tags=["user:42"])`` makes every entry tagged ``user:42`` a miss in
one round trip, and a computation that started before the invalidation is not stored.

Values are encoded with Pydantic's JSON for the function's return annotation when it has one
(``-> Profile``, ``-> list[int]``), else with vermilion's codec (JSON with Python's types).
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import typing
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar, overload

from ..core import config
from .keys import KeyTemplate, bounded, memo_key, render
from .store import AsyncStore, Entry, NotFound, Store, StoreBase, _tag_list, to_ms

F = TypeVar("F", bound=Callable[..., Any])

# the stores of vermilion's configured client, and those of clients given explicitly (kept only
# while their client lives: an application making a client per request leaks nothing)
_stores: dict[tuple[str, str], StoreBase] = {}
_client_stores: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], StoreBase]] = (
    weakref.WeakKeyDictionary())


def store_for(namespace: str, client: Any, face: str) -> Any:
    """The one :class:`Store` / :class:`AsyncStore` of ``namespace`` on ``client`` (``None``:
    vermilion's default client) in this process, shared by every function and CRUD using it."""
    ident = (face, namespace)
    table = _stores if client is None else _client_stores.setdefault(client, {})
    found = table.get(ident)
    if found is None:
        found = (Store if face == "sync" else AsyncStore)(namespace, client=client,
                                                          hold_client=client is None)
        table[ident] = found
    return found


class _Values:
    """How a function's results are encoded: Pydantic's JSON for an annotated return type,
    else vermilion's codec."""

    def __init__(self, fn: Callable[..., Any], serializer: str):
        self.fn = fn
        self.serializer = serializer
        self._ready = False

    def _setup(self) -> None:
        hint: Any = None
        if self.serializer in ("auto", "pydantic"):
            try:
                hint = typing.get_type_hints(self.fn).get("return")
            except Exception:  # noqa: BLE001 - unresolvable annotations: use the codec
                hint = None
            if hint is Any:
                hint = None
            if self.serializer == "pydantic" and hint is None:
                raise TypeError(f"{self.fn.__qualname__}: serializer='pydantic' needs a return "
                                "annotation")
        if hint is not None:
            from pydantic import TypeAdapter

            adapter: Any = TypeAdapter(hint)
            self.encode: Callable[[Any], bytes] = adapter.dump_json
            self.decode: Callable[[Any], Any] = adapter.validate_json
        else:
            codec = config.default_codec()
            self.encode = codec.encode
            self.decode = codec.decode
        self._ready = True

    def pair(self) -> tuple[Callable[[Any], bytes], Callable[[Any], Any]]:
        if not self._ready:
            self._setup()
        return self.encode, self.decode


class CachedFunction:
    """A function whose results are cached (see :func:`cached`).  Call it as the function;
    ``.invalidate(*args, **kwargs)`` drops one call's entry, ``.invalidate_all()`` every entry
    of the function, ``.key(*args, **kwargs)`` shows the key a call uses."""

    def __init__(self, fn: Callable[..., Any], *, ttl: float | dt.timedelta, key: str | None,
                 tags: Sequence[str], namespace: str, client: Any, serializer: str):
        if serializer not in ("auto", "pydantic", "codec"):
            raise ValueError("serializer must be 'auto', 'pydantic' or 'codec'")
        self.fn: Callable[..., Any] = fn
        self.is_async: bool = inspect.iscoroutinefunction(fn)
        self.ttl_ms: int = to_ms(ttl, "ttl")  # type: ignore[assignment]
        self.signature: inspect.Signature = inspect.signature(fn)
        params = list(self.signature.parameters)
        self._skip_first = bool(params) and params[0] in ("self", "cls")
        self.template: KeyTemplate | None = KeyTemplate(key) if key is not None else None
        self.tag_templates: list[KeyTemplate] = [KeyTemplate(t, "tag") for t in _tag_templates(tags)]
        for t in [self.template, *self.tag_templates]:
            if t is None:
                continue
            unknown = [n for n in t.names if n not in self.signature.parameters]
            if unknown:
                raise ValueError(f"{fn.__qualname__}: template {t.template!r} names "
                                 f"{', '.join(unknown)}, which the function does not take")
        self.namespace: str = namespace
        self.client: Any = client
        self.name: str = f"{fn.__module__}.{fn.__qualname__}"
        self._values = _Values(fn, serializer)
        self._memo: dict[Any, tuple[str, list[str]]] = {}
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    @property
    def store(self) -> Any:
        return store_for(self.namespace, self.client, "async" if self.is_async else "sync")

    def _bound(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return dict(bound.arguments)

    def _key_of(self, values: dict[str, Any]) -> str:
        if self.template is not None:
            return bounded(self.template.format(values))
        items = list(values.items())
        if self._skip_first:
            items = items[1:]
        try:
            parts = ",".join(f"{k}={render(v)}" for k, v in items)
        except TypeError as exc:
            raise TypeError(f"{self.name}: {exc}; give the function a key= template") from None
        return bounded(f"{self.name}({parts})")

    def key(self, *args: Any, **kwargs: Any) -> str:
        """The cache key a call with these arguments uses (no round trip)."""
        return self._key_and_tags(args, kwargs)[0]

    def _key_and_tags(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, list[str]]:
        """The entry key and tags of a call; remembered for plain arguments (a hit then binds
        and formats nothing)."""
        memo = memo_key(args, kwargs)
        found = self._memo.get(memo) if memo is not None else None
        if found is not None:
            return found
        values = self._bound(args, kwargs)
        tags = [t.format(values) for t in self.tag_templates]
        tags.append("fn:" + self.name)
        found = (self._key_of(values), tags)
        if memo is not None:
            if len(self._memo) >= 4096:
                self._memo.clear()
            self._memo[memo] = found
        return found

    def _entry(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Entry[Any]:
        key, tags = self._key_and_tags(args, kwargs)
        encode, decode = self._values.pair()
        return Entry(key, lambda: self.fn(*args, **kwargs), encode=encode,
                     decode=decode, ttl_ms=self.ttl_ms, tags=tags)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        store = self.store
        return store.run(store.get_or_compute(self._entry(args, kwargs)), self.fn.__qualname__)

    def invalidate(self, *args: Any, **kwargs: Any) -> Any:
        """Drop the entry of the call with these arguments (1 round trip; awaitable for an async
        function)."""
        return self.store.invalidate(["k:" + self.key(*args, **kwargs)])

    def invalidate_all(self) -> Any:
        """Drop every entry of this function (1 round trip; awaitable for an async function)."""
        return self.store.invalidate(["fn:" + self.name])

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        return functools.partial(self.__call__, obj)

    def __repr__(self) -> str:
        return f"<cached {self.name} ttl={self.ttl_ms / 1000:g}s namespace={self.namespace!r}>"


def _tag_templates(tags: Sequence[str] | str) -> list[str]:
    if isinstance(tags, str):
        raise TypeError("tags must be a list of str templates, not a single str")
    out = list(tags)
    for t in out:
        if not isinstance(t, str) or not t:
            raise TypeError(f"a tag must be a non-empty str, not {t!r}")
    return out


@overload
def cached(ttl: F, /) -> F: ...
@overload
def cached(ttl: float | dt.timedelta = 300.0, *, key: str | None = None,
           tags: Sequence[str] = (), namespace: str = "default", client: Any = None,
           serializer: str = "auto") -> Callable[[F], F]: ...


def cached(ttl: Any = 300.0, *, key: str | None = None, tags: Sequence[str] = (),
           namespace: str = "default", client: Any = None, serializer: str = "auto") -> Any:
    """Cache a function's results in Redis (sync and ``async def`` functions alike).

    ``ttl``: seconds or a timedelta (default 300).  ``key``: a template of the function's
    parameter names (default: the function's qualified name and every argument).  ``tags``:
    templates (``"user:{user_id}"``); :func:`invalidate` of a tag drops every entry carrying it.
    ``namespace``: the namespace's keys share one slot on Redis Cluster.  ``client``: a redis-py
    client (sync or asyncio, matching the function); default: vermilion's configured one.

    Round trips: a hit 1; a miss 2 plus the call; concurrent misses of one key run the function
    once (a lease), the others wait for its value.  ``None`` results are cached like any value.
    """
    if callable(ttl) and not isinstance(ttl, (int, float, dt.timedelta)):
        return CachedFunction(ttl, ttl=300.0, key=None, tags=(), namespace="default",
                              client=None, serializer="auto")

    def deco(fn: F) -> F:
        return CachedFunction(fn, ttl=ttl, key=key, tags=tags, namespace=namespace,  # type: ignore[return-value]
                              client=client, serializer=serializer)

    return deco


def invalidate(tags: Iterable[str], *, namespace: str = "default", client: Any = None) -> bool:
    """Invalidate ``tags`` in ``namespace`` (1 round trip): every entry carrying one of them is
    a miss from now on, and no computation started before this call is stored."""
    return store_for(namespace, client, "sync").invalidate(_tag_list(tags))  # type: ignore[no-any-return]


async def invalidate_async(tags: Iterable[str], *, namespace: str = "default",
                           client: Any = None) -> bool:
    """The asyncio twin of :func:`invalidate` (``vermilion.aio.cache.invalidate``)."""
    return await store_for(namespace, client, "async").invalidate(_tag_list(tags))  # type: ignore[no-any-return]


def stats(namespace: str = "default", *, client: Any = None) -> dict[str, int]:
    """The counters of ``namespace`` (1 round trip)."""
    return store_for(namespace, client, "sync").stats()  # type: ignore[no-any-return]


__all__ = ["CachedFunction", "NotFound", "cached", "invalidate", "invalidate_async", "stats",
           "store_for"]
