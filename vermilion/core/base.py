"""The base of every vermilion object, the ``op`` decorator, and the sync / asyncio faces.

A type is written once: a class deriving from :class:`RedisObject` whose operations are
generators decorated with :func:`op`.  Two small subclasses pick the runtime: one mixing in
:class:`SyncFace` (methods return values) and one mixing in :class:`AsyncFace` (methods return
awaitables).  Dunder methods that must return a plain value (``__len__``, ``__iter__``,
``__contains__``, ``__eq__``...) exist on the sync face only; the async face offers the same
operations as named coroutines (``await obj.len()``, ``async for``...).
"""

from __future__ import annotations

import contextvars
import copy
import datetime as dt
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Any, ClassVar, Concatenate, Generic, ParamSpec, TypeVar, overload

from . import config
from .calls import Call, Op, Operation, run_script
from .codec import Codec
from .keys import aux_key, generate_key, to_str
from .runner import Transaction, async_transaction, run_async, run_sync, sync_transaction
from .scripts import load_script

R = TypeVar("R")
S = TypeVar("S")
P = ParamSpec("P")
Chunk = tuple[list[Any], Any]

SYNC_TYPES: dict[str, type[RedisObject]] = {}
ASYNC_TYPES: dict[str, type[RedisObject]] = {}

_EXPIRE = load_script("obj_expire", "vermilion.core")
_PERSIST = load_script("obj_persist", "vermilion.core")


# Counts the operations started in this context (thread or asyncio task): an int read from a
# container slot is written back as an increment only if no other operation ran in between.
_op_sequence: contextvars.ContextVar[int] = contextvars.ContextVar("vermilion_op_sequence", default=0)


def op_sequence() -> int:
    """How many vermilion operations this thread / asyncio task has started."""
    return _op_sequence.get()


class _OpMethod(Generic[S, P, R]):
    """How a type checker sees an operation (at run time ``op`` returns a plain function).

    On a sync-face instance it is a method returning ``R``; on an asyncio-face instance one
    returning ``Awaitable[R]``; on the class (``__len__ = ListBase.len`` aliases on the sync
    face) a function of the instance returning ``R``.
    """

    @overload
    def __get__(self, obj: None, owner: Any) -> Callable[Concatenate[S, P], R]: ...
    @overload
    def __get__(self, obj: SyncFace, owner: Any) -> Callable[P, R]: ...
    @overload
    def __get__(self, obj: AsyncFace, owner: Any) -> Callable[P, Awaitable[R]]: ...
    @overload
    def __get__(self, obj: RedisObject, owner: Any) -> Callable[P, Any]: ...
    def __get__(self, obj: Any, owner: Any) -> Any: ...  # pragma: no cover - typing only
    def __call__(self, obj: S, /, *args: P.args, **kwargs: P.kwargs) -> Any: ...  # pragma: no cover


OpFunction = Callable[Concatenate[S, P], Generator[Any, Any, R]]


@overload
def op(fn: OpFunction[S, P, R], /) -> _OpMethod[S, P, R]: ...
@overload
def op(*, tx: bool = True) -> Callable[[OpFunction[S, P, R]], _OpMethod[S, P, R]]: ...


def op(fn: Any = None, /, *, tx: bool = True) -> Any:
    """Turn an operation generator into a method run by the object's face.

    ``tx=False`` marks operations that block or need several round trips: they refuse to run
    inside :func:`vermilion.transaction`.  Typed: an operation declared ``-> Op[int]`` returns
    ``int`` on the sync face and ``Awaitable[int]`` on the asyncio face.
    """

    def deco(f: Callable[..., Generator[Any, Any, Any]]) -> Callable[..., Any]:
        @functools.wraps(f)
        def method(self: RedisObject, /, *args: Any, **kwargs: Any) -> Any:
            _op_sequence.set(_op_sequence.get() + 1)
            return self._run(f(self, *args, **kwargs), tx, f.__name__)

        method.__vermilion_op__ = f  # type: ignore[attr-defined]
        return method

    return deco(fn) if fn is not None else deco


def to_ms(seconds: float | dt.timedelta) -> int:
    if isinstance(seconds, dt.timedelta):
        seconds = seconds.total_seconds()
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"a duration must be a number of seconds or a timedelta, not {seconds!r}")
    return max(1, int(round(seconds * 1000)))


class RedisObject:
    """Common behaviour: key, client, codec, expiry and deletion of every key the object owns.

    Constructor convention for every type: ``Type(initial=None, *, key=None, client=None,
    codec=None)``.  ``initial`` is written atomically **only if the key does not exist yet**:
    re-running ``List([1, 2], key="k")`` after a restart never duplicates or overwrites data
    (use ``obj.value = ...`` to replace).  A missing ``key`` generates ``<TypeName>:<random>``.
    """

    type_name: ClassVar[str] = "RedisObject"
    aux_suffixes: ClassVar[tuple[str, ...]] = ()
    _face: ClassVar[str] = "base"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.type_name == "RedisObject":
            return
        # the first class of a face to claim a type name (vermilion's own) re-opens references
        if cls._face == "sync":
            SYNC_TYPES.setdefault(cls.type_name, cls)
        elif cls._face == "async":
            ASYNC_TYPES.setdefault(cls.type_name, cls)

    def __init__(
        self,
        initial: Any = None,
        *,
        key: str | bytes | None = None,
        client: Any = None,
        codec: Codec | None = None,
    ):
        self.key: str = to_str(key) if key is not None else generate_key(self.type_name)
        self._client = client if client is not None else self._default_client()
        self._executor = self._make_executor(self._client)
        self._codec: Codec = codec if codec is not None else config.default_codec()
        self._init_pending: Operation | None = None
        if initial is not None:
            self._set_initial(self._init_op(initial))

    # -- face hooks (implemented by SyncFace / AsyncFace) ------------------------------------
    def _default_client(self) -> Any:
        raise NotImplementedError

    def _make_executor(self, client: Any) -> Any:
        raise NotImplementedError

    def _run(self, operation: Operation, allowed_in_tx: bool, name: str) -> Any:
        raise NotImplementedError

    def _set_initial(self, operation: Operation) -> None:
        raise NotImplementedError

    def _init_op(self, initial: Any) -> Operation:
        """Write ``initial`` if the key does not exist (one round trip, atomic)."""
        raise TypeError(f"{type(self).__name__} takes no initial value")
        yield  # pragma: no cover

    # -- keys and values ---------------------------------------------------------------------
    @property
    def keys_owned(self) -> tuple[str, ...]:
        """Every Redis key this object stores data in (main key first)."""
        return (self.key, *(aux_key(self.key, s) for s in self.aux_suffixes))

    def _aux(self, suffix: str) -> str:
        return aux_key(self.key, suffix)

    def _enc(self, value: Any) -> bytes:
        return self._codec.encode(value)

    def _dec(self, data: Any) -> Any:
        """Decode one stored value; any failure is a :class:`~vermilion.DecodeError` naming
        this object's key (the ``try`` costs nothing when decoding succeeds)."""
        try:
            return self._codec.decode(data, self._open_ref)
        except Exception as exc:
            error = self._decode_error(exc)
            if error is exc:
                raise
            raise error from exc

    def _dec_all(self, items: list[Any]) -> list[Any]:
        """Decode a batch (one JSON parse with the default codec); failures as :meth:`_dec`."""
        try:
            many = getattr(self._codec, "decode_many", None)
            if many is not None:
                return many(items, self._open_ref)  # type: ignore[no-any-return]
            decode, opener = self._codec.decode, self._open_ref
            return [decode(x, opener) for x in items]
        except Exception as exc:
            error = self._decode_error(exc)
            if error is exc:
                raise
            raise error from exc

    def _decode_error(self, exc: Exception, what: str = "") -> Exception:
        """The :class:`~vermilion.DecodeError` for a failure ``exc`` while decoding data of this
        object: it names the object's key in ``.key`` and in its message."""
        from .errors import DecodeError

        if isinstance(exc, DecodeError) and exc.key == self.key:
            return exc
        detail = str(exc) if isinstance(exc, DecodeError) else f"{type(exc).__name__}: {exc}"
        return DecodeError(f"{self.type_name} at key {self.key!r}: {what}{detail}", key=self.key)

    def _unhashable_error(self, values: Any, what: str) -> Exception:
        """The DecodeError for decoded ``values`` that must be hashable (set members, dict keys,
        MultiSet elements) but are not: bytes another program wrote decode to a list or dict."""
        from .errors import DecodeError

        name = "unhashable"
        for v in values:
            try:
                hash(v)
            except Exception:  # noqa: BLE001 - any value that cannot be hashed
                name = type(v).__name__
                break
        return DecodeError(f"{self.type_name} at key {self.key!r}: a stored {what} decodes to "
                           f"an unhashable {name!r} value", key=self.key)

    def _enc_all(self, values: Any) -> list[bytes]:
        many = getattr(self._codec, "encode_many", None)
        if many is not None:
            return many(values)  # type: ignore[no-any-return]
        encode = self._codec.encode
        return [encode(v) for v in values]

    def _open_ref(self, type_name: str, key: str) -> Any:
        registry = SYNC_TYPES if self._face == "sync" else ASYNC_TYPES
        cls = registry.get(type_name)
        if cls is None:
            from .errors import DecodeError

            raise DecodeError(f"reference to unknown vermilion type {type_name!r} (key {key!r})")
        return cls(key=key, client=self._client, codec=self._codec)

    def _same_store(self, other: Any) -> bool:
        """``other`` is of this type family on the same client and codec, so its raw members
        compare with ours and server-side multi-key commands may combine them."""
        return (isinstance(other, RedisObject) and other.type_name == self.type_name
                and other._client is self._client and other._codec is self._codec)

    def _colocated(self, key: str) -> bool:
        """``key`` can be used with ours in one command (always true off Cluster)."""
        ex = self._executor
        if not getattr(ex, "is_cluster", False):
            return True
        return bool(ex.client.keyslot(key) == ex.client.keyslot(self.key))

    def __vermilion_ref__(self) -> tuple[str, str]:
        return self.type_name, self.key

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickling (e.g. passing an object to another process) sends the reference: the
        receiver re-opens the same key with its own default client and codec."""
        return (reopen, (self._face, self.type_name, self.key))

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        """A deep copy is an independent plain value (like ``copy()``), never a second handle
        on the same key."""
        snapshot = getattr(self, "copy", None)
        if snapshot is None or self._face != "sync":
            raise TypeError(f"cannot deep-copy a {type(self).__name__}: it has no plain value")
        return copy.deepcopy(snapshot(), memo)

    # -- operations every object has ---------------------------------------------------------
    @op
    def expire(self, seconds: float | dt.timedelta) -> Op[bool]:
        """Expire every key of the object after ``seconds``; one round trip, atomic.

        Returns ``True`` if the object exists (and now has a TTL), ``False`` otherwise.
        """
        reply = yield run_script(_EXPIRE, self.keys_owned, [to_ms(seconds)])
        return bool(reply)

    @property
    def ttl(self) -> Any:
        """Seconds until the object expires (float), or ``None`` if it has no expiry or does not
        exist; one round trip (PTTL).  A property: ``obj.ttl``, ``await obj.ttl`` on asyncio."""
        return self._run(self._ttl(), True, "ttl")

    def _ttl(self) -> Operation:
        reply = yield Call(("PTTL", self.key), (self.key,), readonly=True)
        return None if reply < 0 else reply / 1000.0

    @op
    def persist(self) -> Op[bool]:
        """Remove the expiry of every key of the object; one round trip, atomic."""
        reply = yield run_script(_PERSIST, self.keys_owned)
        return bool(reply)

    @op
    def delete(self) -> Op[bool]:
        """Delete every key of the object (one DEL, atomic); returns ``True`` if anything existed."""
        reply = yield Call(("DEL", *self.keys_owned), self.keys_owned)
        return bool(reply)

    @op
    def exists(self) -> Op[bool]:
        """``True`` if the object's main key exists in Redis; one round trip."""
        reply = yield Call(("EXISTS", self.key), (self.key,), readonly=True)
        return bool(reply)

    def _short_repr(self) -> str:
        return f"<{type(self).__module__.split('.')[0]}.{type(self).__qualname__} key={self.key!r}>"


class SyncFace(RedisObject):
    """Runs operations at once and returns their values."""

    _face = "sync"

    def _default_client(self) -> Any:
        return config.sync_client()

    def _make_executor(self, client: Any) -> Any:
        return config.sync_executor(client)

    def _run(self, operation: Operation, allowed_in_tx: bool, name: str) -> Any:
        return run_sync(self._executor, operation, allowed_in_tx, f"{self.type_name}.{name}")

    def _set_initial(self, operation: Operation) -> None:
        self._run(operation, True, "__init__")

    def _iterate(self, chunk: Callable[[Any], Operation], start: Any = None) -> Iterator[Any]:
        """An iterator over consecutive chunks; ``chunk(cursor)`` returns ``(items,
        next_cursor)`` with ``next_cursor is None`` at the end.  The first chunk is read at once;
        when it is the whole collection, iteration runs at the speed of a plain list."""
        items, cursor = self._run(chunk(start), True, "__iter__")
        if cursor is None:
            return iter(items)
        return self._iterate_rest(chunk, items, cursor)

    def _iterate_rest(self, chunk: Callable[[Any], Operation], items: list[Any],
                      cursor: Any) -> Iterator[Any]:
        while True:
            yield from items
            if cursor is None:
                return
            items, cursor = self._run(chunk(cursor), True, "__iter__")


class AsyncFace(RedisObject):
    """Returns awaitables.  An ``initial`` value is written on the first await (of the object
    itself, ``await List([...], key=k)``, or of its first operation)."""

    _face = "async"

    def _default_client(self) -> Any:
        return config.async_client()

    def _make_executor(self, client: Any) -> Any:
        return config.async_executor(client)

    def _set_initial(self, operation: Operation) -> None:
        self._init_pending = operation

    async def _run(self, operation: Operation, allowed_in_tx: bool, name: str) -> Any:
        if self._init_pending is not None:
            pending, self._init_pending = self._init_pending, None
            await run_async(self._executor, pending, True, f"{self.type_name}.__init__")
        return await run_async(self._executor, operation, allowed_in_tx,
                               f"{self.type_name}.{name}")

    def __await__(self) -> Generator[Any, None, Any]:
        async def ready() -> Any:
            if self._init_pending is not None:
                pending, self._init_pending = self._init_pending, None
                await run_async(self._executor, pending, True, f"{self.type_name}.__init__")
            return self

        return ready().__await__()

    async def _aiterate(
        self, chunk: Callable[[Any], Operation], start: Any = None
    ) -> AsyncIterator[Any]:
        cursor = start
        while True:
            items, cursor = await self._run(chunk(cursor), True, "__aiter__")
            for item in items:
                yield item
            if cursor is None:
                return

    def __repr__(self) -> str:
        return self._short_repr()


def reopen(face: str, type_name: str, key: str) -> RedisObject:
    """Open the object of ``type_name`` at ``key`` on the default client (unpickling)."""
    registry = SYNC_TYPES if face == "sync" else ASYNC_TYPES
    return registry[type_name](key=key)


def transaction(client: Any = None) -> AbstractContextManager[Transaction]:
    """Queue the writes of the ``with`` block and apply them in one MULTI/EXEC.

    Reads inside the block run at once and see the state *before* the block's writes; every key
    read is WATCHed, so if another client changes it before the commit the block raises
    :class:`~vermilion.TransactionConflict` and nothing is applied.  Writes return
    :class:`~vermilion.core.runner.Queued` placeholders whose ``.value`` is set at commit.
    Blocking operations (lock acquire, queue get with block) are refused inside.  On Redis Cluster
    every key must share one slot (use hash tags), else :class:`~vermilion.CrossSlotError`.
    Usage: ``with vermilion.transaction(): ...``.
    """
    return sync_transaction(config.sync_executor(client or config.sync_client()))


def async_transaction_for(client: Any = None) -> AbstractAsyncContextManager[Transaction]:
    """The asyncio twin of :func:`transaction`: ``async with vermilion.aio.transaction(): ...``."""
    return async_transaction(config.async_executor(client or config.async_client()))
