"""``Dict`` and ``DefaultDict``: Python's ``dict`` and ``collections.defaultdict`` on a Redis hash.

Each dict key is one hash field: the field is the key encoded by the object's codec (canonical
JSON by default, so ``1``, ``"1"``, ``(1, 2)`` and ``frozenset({1})`` are distinct fields and
come back with their types); the field's value is the encoded value.  ``redis-cli HGETALL``
shows ``"name" -> "\\"Ada\\""``.

Every method is one round trip unless its docstring says otherwise, and every mutation is atomic
(a single command or one Lua script).

Differences from ``dict`` that come from living in Redis:

* Iteration order is the Redis hash's order: insertion order while the hash is small (a
  listpack, up to ``hash-max-listpack-entries`` fields), arbitrary for large ones; ``popitem``
  removes the last item (LIFO, like ``dict``) from a small hash, an arbitrary one from a large
  one.
* ``keys()``, ``values()`` and ``items()`` return views of a snapshot read in one round trip; they
  do not follow later changes.  Iteration (``for k in d``) reads chunks (HSCAN) and never raises
  "dictionary changed size during iteration"; keys are never yielded twice.
* Keys that are equal in Python but of different types (``1``, ``1.0``, ``True``) are distinct
  keys here, because a key is stored with its type.
* ``update`` is atomic: bad input (an unhashable key, a malformed pair) raises before anything
  is written, where ``dict.update`` keeps the pairs before the bad one.
* Values are copies: ``d[k].append(x)`` or ``d.setdefault(k, []).append(x)`` on a plain list
  value changes nothing in Redis.  Store a vermilion object (``d[k] = List()``, or
  ``DefaultDict(List)``) to get a live nested container.  ``copy()`` is a plain ``dict``.
* ``d[k] += n`` on an ``int`` value is an atomic increment (see :meth:`DictBase.setitem`);
  other read-then-write forms are not atomic.
* Field names are encoded: a field written by another program as plain ``name`` is not the key
  ``"name"``; use ``codec=StrCodec()`` for such hashes.
* ``repr`` is ``dict``'s: ``{'a': 1}`` (the key is ``d.key``).
"""

from __future__ import annotations

import collections
from collections.abc import (
    Awaitable,
    Callable,
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    MutableMapping,
    ValuesView,
)
from typing import TYPE_CHECKING, Any, Generic

from typing_extensions import TypeVar

from ..core.base import AsyncFace, RedisObject, SyncFace, op
from ..core.calls import Call, Op, Operation, run_script
from ..core.codec import Codec
from ..core.errors import DecodeError
from ..core.scripts import load_script
from ._container import (
    check_first,
    check_hashable,
    in_transaction,
    increment_of,
    put_back,
    recursive_repr,
    scan_call,
    tracked,
)

K = TypeVar("K", default=Any)
V = TypeVar("V", default=Any)

_INIT = load_script("dict_init")
_REPLACE = load_script("dict_replace")
_SETDEFAULT = load_script("dict_setdefault")
_POP = load_script("dict_pop")
_POPITEM = load_script("dict_popitem")
_INCR = load_script("dict_incr")


_MISSING: Any = object()


def _plain_pairs(other: Any) -> list[tuple[Any, Any]]:
    """The (key, value) pairs of ``dict.update``'s positional argument, with Python's errors."""
    if hasattr(other, "keys"):
        return [(k, other[k]) for k in other.keys()]
    pairs: list[tuple[Any, Any]] = []
    for i, item in enumerate(other):
        try:
            seq = list(item)
        except TypeError:
            raise TypeError(
                f"cannot convert dictionary update sequence element #{i} to a sequence"
            ) from None
        if len(seq) != 2:
            raise ValueError(
                f"dictionary update sequence element #{i} has length {len(seq)}; 2 is required"
            )
        pairs.append((seq[0], seq[1]))
    return pairs


class DictBase(RedisObject, Generic[K, V]):
    """Operations of :class:`Dict`, shared by the sync and asyncio faces; generic in the key
    and value types (``vm.Dict[str, int]``)."""

    type_name = "Dict"

    def __init__(
        self,
        /,
        initial: Mapping[K, V] | Iterable[tuple[K, V]] | None = None,
        *,
        key: str | bytes | None = None,
        client: Any = None,
        codec: Codec | None = None,
        **kwargs: V,
    ):
        """``initial`` (a mapping or pairs) and keyword items as for ``dict(initial, **kwargs)``
        (items named ``key``, ``client`` or ``codec`` must go in ``initial``)."""
        self._init_kwargs = kwargs
        if initial is None and kwargs:
            initial = {}
        super().__init__(initial, key=key, client=client, codec=codec)

    # -- helpers -----------------------------------------------------------------------------
    def _field(self, key: Any) -> bytes:
        check_hashable(key)
        return self._enc(key)

    def _hgetall(self) -> Call:
        return Call(("HGETALL", self.key), (self.key,), readonly=True)

    def _decode_pairs(self, reply: Any) -> dict[Any, Any]:
        """Decode an HGETALL reply: a flat field/value list (RESP2) or a map (RESP3)."""
        flat = [x for kv in reply.items() for x in kv] if isinstance(reply, dict) else reply
        values = self._dec_all(flat)
        try:
            return dict(zip(values[::2], values[1::2]))
        except TypeError:
            raise self._unhashable_error(values[::2], "dict key") from None

    def _collect(self, args: tuple[Any, ...], kwargs: dict[str, Any], name: str) -> Operation:
        """Encoded ``{field: value}`` of ``update``-style arguments; reads a vermilion Dict
        argument in one round trip, otherwise does no I/O."""
        if len(args) > 1:
            raise TypeError(f"{name} expected at most 1 argument, got {len(args)}")
        pairs: list[tuple[Any, Any]] = []
        if args:
            other = args[0]
            if isinstance(other, DictBase):
                flat = yield other._hgetall()
                pairs = list(other._decode_pairs(flat).items())
            else:
                pairs = _plain_pairs(other)
        pairs.extend(kwargs.items())
        keys = [k for k, _ in pairs]
        for k in keys:
            check_hashable(k)
        return dict(zip(self._enc_all(keys), self._enc_all(v for _, v in pairs)))

    def _init_op(self, initial: Any) -> Operation:
        encoded = yield from self._collect((initial,), getattr(self, "_init_kwargs", {}), "Dict")
        if encoded:
            yield run_script(_INIT, [self.key], [x for kv in encoded.items() for x in kv])

    # -- reading -----------------------------------------------------------------------------
    @op
    def getitem(self, key: K) -> Op[V]:
        """``d[key]`` (HGET); KeyError(key) if absent; one round trip.

        An ``int`` value comes back as a :class:`~vermilion.types._container.TrackedInt`, so
        ``d[key] += n`` stores an atomic increment (see :meth:`setitem`).
        """
        field = self._field(key)
        reply = yield Call(("HGET", self.key, field), (self.key,), readonly=True)
        if reply is None:
            raise KeyError(key)
        return tracked(self, field, self._dec(reply))

    @op
    def get(self, key: Any, default: Any = None) -> Op[Any]:
        """``d.get(key, default)`` (HGET); one round trip.  An ``int`` (the value, or the
        default) is tracked, so ``d[key] = d.get(key, 0) + 1`` is an atomic increment."""
        field = self._field(key)
        reply = yield Call(("HGET", self.key, field), (self.key,), readonly=True)
        return tracked(self, field, default if reply is None else self._dec(reply))

    @op
    def contains(self, key: Any) -> Op[bool]:
        """``key in d`` (HEXISTS); one round trip."""
        reply = yield Call(("HEXISTS", self.key, self._field(key)), (self.key,), readonly=True)
        return bool(reply)

    @op
    def len(self) -> Op[int]:
        """Number of items (HLEN); one round trip."""
        return (yield Call(("HLEN", self.key), (self.key,), readonly=True))

    @op
    def copy(self) -> Op[dict[K, V]]:
        """A plain ``dict`` snapshot (HGETALL); one round trip."""
        return self._decode_pairs((yield self._hgetall()))

    @op
    def keys(self) -> Op[KeysView[K]]:
        """A ``dict_keys`` view of a snapshot of the keys (HKEYS); one round trip.

        The view is set-like (``d.keys() == {"a"}``, ``&``, ``|``) but does not follow later
        changes to the Dict.
        """
        fields = yield Call(("HKEYS", self.key), (self.key,), readonly=True)
        keys = self._dec_all(fields)
        try:
            return dict.fromkeys(keys).keys()
        except TypeError:
            raise self._unhashable_error(keys, "dict key") from None

    @op
    def values(self) -> Op[ValuesView[V]]:
        """A ``dict_values`` view of a snapshot of the values (HVALS); one round trip."""
        vals = yield Call(("HVALS", self.key), (self.key,), readonly=True)
        return dict(enumerate(self._dec_all(vals))).values()

    @op
    def items(self) -> Op[ItemsView[K, V]]:
        """A ``dict_items`` view of a snapshot of the items (HGETALL); one round trip."""
        return self._decode_pairs((yield self._hgetall())).items()

    def _scan(self, with_values: bool) -> Callable[[Any], Operation]:
        """A chunk reader for iteration: HSCAN pages of ~10,000 fields (a hash of up to ~10,000
        in one round trip); a field is never yielded twice (HSCAN may repeat fields while the
        hash is resized)."""

        def chunk(state: tuple[bytes, set[bytes]] | None) -> Operation:
            cursor, seen = state if state is not None else (b"0", set())
            nxt, flat = yield scan_call(self.key, "hash", cursor)
            fields: list[bytes] = []
            vals: list[bytes] = []
            for i in range(0, len(flat), 2):
                field = flat[i]
                if field in seen:
                    continue
                seen.add(field)
                fields.append(field)
                vals.append(flat[i + 1])
            keys = self._dec_all(fields)
            out: list[Any] = list(zip(keys, self._dec_all(vals))) if with_values else keys
            return out, (None if int(nxt) == 0 else (nxt, seen))

        return chunk

    # -- writing -----------------------------------------------------------------------------
    @op
    def setitem(self, key: K, value: V) -> Op[None]:
        """``d[key] = value`` (HSET); one round trip, atomic.

        When ``value`` is an int read from this very key (``d[key]``, ``d.get(key, 0)``,
        ``d.setdefault(key, 0)``) plus or minus integers, it is stored as one atomic increment
        (one script): ``d[key] += n`` adds ``n`` to the value stored *now*, so concurrent
        increments are never lost.  If the stored value is no longer an integer within ±2**53
        (deleted, replaced by something else, or too large), the value computed from the read is
        written instead, as a plain read-then-write would.
        """
        field = self._field(key)
        delta = increment_of(self, field, value)
        if delta is not None:
            yield run_script(_INCR, [self.key], [field, delta, self._enc(int(value))])  # type: ignore[call-overload]
            return None
        yield Call(("HSET", self.key, field, self._enc(value)), (self.key,))

    @op
    def delitem(self, key: Any) -> Op[None]:
        """``del d[key]`` (HDEL); KeyError(key) if absent; one round trip, atomic."""
        removed = yield Call(("HDEL", self.key, self._field(key)), (self.key,))
        if not removed:
            raise KeyError(key)

    @op
    def setdefault(self, key: Any, default: Any = None) -> Op[Any]:
        """``d.setdefault(key, default)``: store ``default`` if ``key`` is absent and return the
        stored value; one script (HSETNX + HGET), one round trip, atomic."""
        field = self._field(key)
        reply = yield run_script(_SETDEFAULT, [self.key], [field, self._enc(default)])
        return tracked(self, field, self._dec(reply))

    @op
    def pop(self, key: Any, *default: Any) -> Op[Any]:
        """``d.pop(key[, default])``: remove ``key`` and return its value, else ``default``, else
        KeyError(key); one script (HGET + HDEL), one round trip, atomic.

        A value that cannot be decoded is put back (HSETNX, one more round trip, atomic) and
        :class:`~vermilion.DecodeError` is raised: a decode failure never loses an item.
        """
        if len(default) > 1:
            raise TypeError(f"pop expected at most 2 arguments, got {len(default) + 1}")
        field = self._field(key)
        tx = in_transaction(self)
        if tx:
            yield from check_first(self, Call(("HGET", self.key, field), (self.key,),
                                              readonly=True))
        reply = yield run_script(_POP, [self.key], [field])
        if reply is None:
            if default:
                return default[0]
            raise KeyError(key)
        try:
            return self._dec(reply)
        except DecodeError as exc:
            return (yield from put_back(exc, reply, self._restore(field, reply), self.key, tx))

    def _restore(self, field: bytes, raw: bytes) -> Call:
        """Put back a removed item (HSETNX: a value written meanwhile by another client wins)."""
        return Call(("HSETNX", self.key, field, raw), (self.key,))

    @op
    def popitem(self) -> Op[tuple[K, V]]:
        """Remove and return the last ``(key, value)`` item, like ``dict.popitem`` (LIFO),
        while the hash is small enough for Redis to keep it in insertion order (a listpack: up
        to ``hash-max-listpack-entries`` fields, 512 by default, of values up to 64 bytes);
        from a larger hash, which has no order, an arbitrary item.  KeyError if empty; one
        script, one round trip, atomic.

        An item whose key or value cannot be decoded is put back (HSETNX, one more round trip,
        atomic) and :class:`~vermilion.DecodeError` is raised: a decode failure never loses it.
        Inside a transaction the item is chosen, read and decoded first (the same script,
        read-only, a WATCHed read) and the commit removes that item.
        """
        args: list[Any] = []
        tx = in_transaction(self)
        if tx:
            pair = yield run_script(_POPITEM, [self.key], ["", "peek"], readonly=True)
            if pair:
                self._dec(pair[0])
                self._dec(pair[1])
                args = [pair[0]]
        field, value = yield run_script(_POPITEM, [self.key], args)
        try:
            return self._dec(field), self._dec(value)
        except DecodeError as exc:
            return (yield from put_back(exc, value, self._restore(field, value), self.key, tx))

    @op
    def update(self, *args: Any, **kwargs: Any) -> Op[None]:
        """``d.update(mapping_or_pairs, **kwargs)`` with one HSET: one round trip, atomic.

        A vermilion Dict argument is read first (one more round trip).
        """
        encoded = yield from self._collect(args, kwargs, "update")
        if encoded:
            flat: list[bytes] = []
            for kv in encoded.items():
                flat += kv
            yield Call(("HSET", self.key, *flat), (self.key,))

    @op
    def clear(self) -> Op[None]:
        """Remove every item (DEL); one round trip, atomic."""
        yield Call(("DEL", self.key), (self.key,))

    @op
    def set_value(self, *args: Any, **kwargs: Any) -> Op[None]:
        """Replace the whole content with a mapping or pairs (like ``dict(...)``); one script,
        one round trip, atomic (a vermilion Dict argument is read first: one more)."""
        encoded = yield from self._collect(args, kwargs, "Dict")
        yield run_script(_REPLACE, [self.key], [x for kv in encoded.items() for x in kv])

    @classmethod
    def fromkeys(
        cls,
        iterable: Iterable[Any],
        value: Any = None,
        *,
        key: str | bytes | None = None,
        client: Any = None,
        codec: Codec | None = None,
    ) -> Any:
        """``dict.fromkeys``: a new object made by ``cls()`` (with ``key``, ``client``, ``codec``
        when given; a DefaultDict gets no ``default_factory``) holding every key of
        ``iterable`` with ``value``.  As with ``dict``, a subclass gets an instance of itself,
        and one overriding ``__setitem__`` (or whose ``cls()`` is not a vermilion Dict) is
        filled by ``obj[k] = value`` for each key.  Otherwise the items are written like an
        ``initial``, only if ``key`` does not exist yet: one round trip."""
        options: dict[str, Any] = {
            n: v for n, v in (("key", key), ("client", client), ("codec", codec)) if v is not None
        }
        obj: Any = cls(**options)
        if isinstance(obj, DictBase) and getattr(type(obj), "__setitem__", None) in _OWN_SETITEMS:
            obj._set_initial(obj._init_op(dict.fromkeys(iterable, value)))
        else:
            for k in iterable:
                obj[k] = value
        return obj


class DefaultDictBase(DictBase[K, V]):
    """Operations of :class:`DefaultDict`: :class:`DictBase` plus the missing-key factory."""

    type_name = "DefaultDict"

    def __init__(
        self,
        /,
        default_factory: Callable[[], Any] | None = None,
        initial: Any = None,
        *,
        key: str | bytes | None = None,
        client: Any = None,
        codec: Codec | None = None,
        **kwargs: Any,
    ):
        if default_factory is not None and not callable(default_factory):
            raise TypeError("first argument must be callable or None")
        self.default_factory = default_factory
        super().__init__(initial, key=key, client=client, codec=codec, **kwargs)

    @op
    def getitem(self, key: K) -> Op[V]:
        """``d[key]``: one round trip (HGET) when ``key`` exists.  When it does not and
        ``default_factory`` is set, ``default_factory()`` is called once and stored with HSETNX
        (one more round trip, atomic): if another client stored a value first, that value is
        returned, so racing clients all get the same stored value.  Without a factory:
        KeyError(key).  Inside a transaction a miss is queued and returns a ``Queued``.
        """
        field = self._field(key)
        reply = yield Call(("HGET", self.key, field), (self.key,), readonly=True)
        if reply is None:
            if self.default_factory is None:
                raise KeyError(key)
            value = self.default_factory()
            reply = yield run_script(_SETDEFAULT, [self.key], [field, self._enc(value)])
        return tracked(self, field, self._dec(reply))

    @op
    def copy(self) -> Op[dict[K, V]]:
        """A ``collections.defaultdict`` snapshot with the same factory (HGETALL); one round
        trip."""
        return collections.defaultdict(self.default_factory,
                                       self._decode_pairs((yield self._hgetall())))



_OWN_SETITEMS: tuple[Any, ...] = (None, DictBase.setitem)  # the faces' own __setitem__


# -- sync faces ----------------------------------------------------------------------------------


class Dict(DictBase[K, V], SyncFace, MutableMapping[K, V]):
    """Python's ``dict`` stored in the Redis hash at ``key``.

    ``Dict({"name": "Ada"}, key="user:1")`` is the Redis hash ``user:1``.  ``initial`` (a mapping
    or pairs) is written only if the key does not exist yet; ``d.value = {...}`` replaces the
    content atomically.  Iteration reads HSCAN pages of ~10,000 items (one round trip
    for up to ~10,000), in Redis hash order; ``keys()``/``values()``/``items()`` are one-round-trip snapshots.
    Comparisons and ``|`` read the content once; ``|=`` is one HSET.
    """

    __hash__ = None  # type: ignore[assignment]

    if TYPE_CHECKING:
        def __getitem__(self, key: K) -> V: ...
        def __setitem__(self, key: K, value: V) -> None: ...
        def __delitem__(self, key: K) -> None: ...
        def __len__(self) -> int: ...
        def __contains__(self, key: object) -> bool: ...
    else:
        __getitem__ = DictBase.getitem
        __setitem__ = DictBase.setitem
        __delitem__ = DictBase.delitem
        __len__ = DictBase.len
        __contains__ = DictBase.contains

    def __iter__(self) -> Iterator[K]:
        return self._iterate(self._scan(False))

    def iter_items(self) -> Iterator[tuple[K, V]]:
        """Iterate ``(key, value)`` pairs in HSCAN chunks (not a snapshot; no repeats)."""
        return self._iterate(self._scan(True))

    def __reversed__(self) -> Iterator[Any]:
        return reversed(list(self.keys()))

    def __bool__(self) -> bool:
        return bool(self.len())

    @property
    def value(self) -> dict[K, V]:
        """The content as a plain dict (one round trip); assigning replaces it atomically."""
        return self.copy()

    @value.setter
    def value(self, content: Any) -> None:
        self.set_value(content)

    def _snapshot(self) -> dict[Any, Any]:
        return self.copy()  # type: ignore[no-any-return]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Dict):
            return other.key == self.key or self._snapshot() == other._snapshot()
        if isinstance(other, dict):
            return self._snapshot() == other
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __or__(self, other: Any) -> Any:
        """``d | other`` for a dict or Dict: a new plain dict (reads both once)."""
        if isinstance(other, Dict):
            other = other._snapshot()
        elif not isinstance(other, dict):
            return NotImplemented
        merged = self.__copy__()
        merged.update(other)
        return merged

    def __ror__(self, other: Any) -> Any:
        if not isinstance(other, dict):
            return NotImplemented
        return other | self._snapshot()

    def __ior__(self, other: Any) -> Dict:
        """``d |= other``: ``update(other)``, one HSET."""
        self.update(other)
        return self

    def __copy__(self) -> dict[Any, Any]:
        return self.copy()  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        """``dict``'s repr of the content, ``{1: 2}`` (one round trip); a Dict holding a
        reference to itself shows ``{...}`` there, as ``dict`` does.  The key is not shown
        (Python's mapping tests pin this form): it is ``d.key``."""
        return recursive_repr(self, lambda: repr(self._snapshot()), "{...}")


class DefaultDict(DefaultDictBase[K, V], Dict[K, V]):
    """``collections.defaultdict`` stored in the Redis hash at ``key``.

    ``DefaultDict(list, key="groups")``: ``default_factory`` is a client-side callable (it is not
    stored: an object re-opened from a stored reference has ``default_factory`` None).  A missing
    key calls it once and stores the result with HSETNX, so racing clients agree on one value.
    ``DefaultDict(List)`` gives live nested lists: ``d["a"].append(1)`` changes Redis.
    Everything else is :class:`Dict`; ``copy()`` and ``|`` return a ``collections.defaultdict``.
    """

    if not TYPE_CHECKING:
        __getitem__ = DefaultDictBase.getitem

    def __repr__(self) -> str:
        """``defaultdict``'s form with the key added:
        ``DefaultDict(<class 'list'>, {'a': [1]}, key='k')`` (one round trip)."""
        def render() -> str:
            snapshot = dict(self._snapshot())
            return f"DefaultDict({self.default_factory!r}, {snapshot!r}, key={self.key!r})"

        return recursive_repr(self, render, "DefaultDict(...)")


# -- asyncio faces -------------------------------------------------------------------------------


class AsyncDict(DictBase[K, V], AsyncFace):
    """The asyncio face of :class:`Dict`: ``await d[k]``, ``await d.setitem(k, v)``,
    ``await d.len()``, ``await d.contains(k)``, ``async for k in d``."""

    if TYPE_CHECKING:
        def __getitem__(self, key: K) -> Awaitable[V]: ...
    else:
        __getitem__ = DictBase.getitem

    def __aiter__(self) -> Any:
        return self._aiterate(self._scan(False))

    def iter_items(self) -> Any:
        """``async for k, v in d.iter_items()``: HSCAN chunks, no repeats, not a snapshot."""
        return self._aiterate(self._scan(True))


class AsyncDefaultDict(DefaultDictBase[K, V], AsyncDict[K, V]):
    """The asyncio face of :class:`DefaultDict`."""

    if not TYPE_CHECKING:
        __getitem__ = DefaultDictBase.getitem

