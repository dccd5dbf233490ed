"""``MultiSet``: ``collections.Counter`` backed by a Redis sorted set.

Each element is a sorted-set member (encoded by the object's codec, so elements keep their Python
types) whose score is its count, so other clients read the counts with ``ZRANGE key 0 -1
WITHSCORES``.  A second sorted set, ``{key}:order``, maps each element to its first-insertion
sequence number: like ``Counter`` (a dict), iteration, ``keys``/``items``/``copy``/``elements``
follow insertion order and ``most_common`` orders equal counts by first insertion; deleting an
element and adding it again moves it to the end.  Every writing script keeps both in step.
Elements written straight into the sorted set by other clients come after the others.

Differences from ``Counter``, all deliberate:

* counts are integers (``TypeError`` otherwise) stored as Redis scores (doubles): exact within
  ``±2**53`` (``OverflowError`` when setting a count beyond that);
* like ``Counter``, zero and negative counts are kept by ``setitem``/``update``/``subtract`` and
  dropped by the in-place operators ``+= -= |= &=``.

Every method is one round trip unless its docstring says otherwise and every mutation is atomic
(a single command or one Lua script).  ``c[k] += n`` (and ``c[k] = c[k] + n``, ``-``) is an
atomic increment: the read (ZSCORE) returns a count that remembers its element, and storing it
back sends ``ZINCRBY n`` (one script) instead of the value computed from the read, so concurrent
increments are never lost; two round trips.  :meth:`incr` is the one-round-trip form.
"""

from __future__ import annotations

import collections.abc
import operator
from collections import Counter
from collections.abc import Awaitable, Generator, ItemsView, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NoReturn

from typing_extensions import TypeVar

from ..core.base import AsyncFace, RedisObject, SyncFace, op
from ..core.calls import Call, Op, Operation, run_script
from ..core.codec import Codec
from ..core.errors import DecodeError
from ..core.keys import aux_key
from ..core.scripts import load_script
from ._container import check_hashable, in_transaction, increment_of, put_back, tracked

T = TypeVar("T", default=Any)
_INIT = load_script("counter_init")
_REPLACE = load_script("counter_replace")
_APPLY = load_script("counter_apply")
_TOTAL = load_script("counter_total")
_POP = load_script("counter_pop")
_SET = load_script("counter_set")
_ITEMS = load_script("counter_items")
_MOST_COMMON = load_script("counter_most_common")
_CHUNK = load_script("counter_chunk")
_POPITEM = load_script("counter_popitem")

CHUNK = 10_000  # elements per round trip while iterating
MAX_COUNT = 2**53
_MISSING: Any = object()


def _check_count(count: Any) -> int:
    try:
        n = operator.index(count)
    except TypeError:
        raise TypeError(
            f"MultiSet counts must be integers, not {type(count).__name__}"
        ) from None
    if not -MAX_COUNT <= n <= MAX_COUNT:
        raise OverflowError("MultiSet counts must be within ±2**53 (Redis scores are doubles)")
    return n


def _score(raw: Any) -> int:
    """A Redis score reply (b'3', b'1e+17', 3.0) as an int."""
    try:
        return int(raw)
    except (TypeError, ValueError):
        return int(float(raw))


def _pairs(reply: list[Any]) -> list[tuple[bytes, int]]:
    """``ZRANGE ... WITHSCORES`` reply (flat in RESP2, nested in RESP3) as (member, count)."""
    if reply and isinstance(reply[0], (list, tuple)):
        return [(m, _score(s)) for m, s in reply]
    return [(reply[i], _score(reply[i + 1])) for i in range(0, len(reply), 2)]


def _flush_initial(other: Any) -> Operation:
    """Write the pending ``initial`` of an asyncio operand first (one round trip, if any)."""
    if isinstance(other, RedisObject) and other._init_pending is not None:
        pending, other._init_pending = other._init_pending, None
        yield from pending


class MultiSetBase(RedisObject, Generic[T]):
    """Operations of :class:`MultiSet`, shared by the sync and asyncio faces."""

    type_name = "MultiSet"
    aux_suffixes: ClassVar[tuple[str, ...]] = ("order",)

    def __init__(
        self,
        /,
        initial: Any = None,
        *,
        key: str | bytes | None = None,
        client: Any = None,
        codec: Codec | None = None,
        **kwds: int,
    ):
        """``initial`` and keyword counts as for ``Counter(iterable, **kwds)`` (elements named
        ``key``, ``client``, ``codec`` or ``initial`` must go in ``initial``)."""
        self._init_kwds = kwds
        if initial is None and kwds:
            initial = {}
        super().__init__(initial, key=key, client=client, codec=codec)

    def _init_op(self, initial: Any) -> Operation:
        counts = self._plain_counts(initial)
        for k, v in self._plain_counts(self._init_kwds).items():
            counts[k] = counts.get(k, 0) + v
        if counts:
            yield run_script(_INIT, self._keys(), self._zadd_args(counts))

    # -- helpers -----------------------------------------------------------------------------
    def _keys(self, key: str | None = None) -> list[str]:
        """A MultiSet's main key and order key (``self``'s by default)."""
        k = key or self.key
        return [k, aux_key(k, "order")]

    def _enc_elem(self, elem: Any) -> bytes:
        check_hashable(elem)
        return self._enc(elem)

    def _plain_counts(self, iterable: Any, sign: int = 1) -> dict[bytes, int]:
        """Encoded element -> count for a mapping (its counts) or an iterable (occurrences)."""
        out: dict[bytes, int] = {}
        if iterable is None:
            return out
        if isinstance(iterable, Mapping):
            for elem, count in iterable.items():
                k = self._enc_elem(elem)
                out[k] = out.get(k, 0) + sign * _check_count(count)
        else:
            for elem in iterable:
                k = self._enc_elem(elem)
                out[k] = out.get(k, 0) + sign
        return out

    @staticmethod
    def _zadd_args(counts: dict[bytes, int]) -> list[Any]:
        args: list[Any] = []
        for member, count in counts.items():
            args += (count, member)
        return args

    def _range(self, key: str | None = None) -> Call:
        """Every (member, count) of the MultiSet at ``key`` (self's by default) in insertion
        order, flat."""
        return run_script(_ITEMS, self._keys(key), readonly=True)

    def _operand(
        self, other: Any, sign: int = 1, items: bool = False
    ) -> Generator[Any, Any, tuple[str | None, dict[bytes, int]]]:
        """A co-located MultiSet's key, or the encoded counts of ``other`` (a MultiSet in another
        slot is read: one round trip).  ``items=True``: ``other`` must offer ``.items()`` (the
        in-place operators), as ``Counter`` requires."""
        yield from _flush_initial(other)
        if self._same_store(other):
            if self._colocated(other.key):
                return other.key, {}
            pairs = other._pairs((yield self._range(other.key)))
            return None, {m: sign * c for m, c in pairs}
        if items and not isinstance(other, Mapping):
            other = dict(other.items())  # AttributeError for non-mappings, like Counter
        return None, self._plain_counts(other, sign)

    def _count(self, raw: Any) -> int:
        """A score reply as an int count; DecodeError naming the key for ``inf`` / ``-inf``
        (which another client can store with ZADD, and no ``int`` can hold)."""
        try:
            return _score(raw)
        except (OverflowError, ValueError, TypeError) as exc:
            raise self._decode_error(exc, "a count is not an integer: ") from exc

    def _pairs(self, reply: list[Any]) -> list[tuple[bytes, int]]:
        """:func:`_pairs` with :meth:`_count`'s errors."""
        try:
            return _pairs(reply)
        except (OverflowError, ValueError, TypeError) as exc:
            raise self._decode_error(exc, "a count is not an integer: ") from exc

    def _decoded(self, pairs: list[tuple[bytes, int]]) -> list[tuple[Any, int]]:
        """``[(element, count)]`` with the elements decoded in one batch."""
        return list(zip(self._dec_all([m for m, _ in pairs]), [c for _, c in pairs]))

    def _counter(self, pairs: list[tuple[bytes, int]]) -> Counter[Any]:
        decoded = self._decoded(pairs)
        try:
            return Counter(dict(decoded))
        except TypeError:
            raise self._unhashable_error([e for e, _ in decoded], "element") from None

    # -- reading -----------------------------------------------------------------------------
    @op
    def getitem(self, elem: Any) -> Op[int]:
        """``counter[elem]`` (ZSCORE); 0 for missing elements, never KeyError; one round trip.
        The count remembers its element, so ``counter[elem] += n`` is an atomic increment (see
        :meth:`setitem`)."""
        member = self._enc_elem(elem)
        reply = yield Call(("ZSCORE", self.key, member), (self.key,), readonly=True)
        return tracked(self, member, 0 if reply is None else self._count(reply))

    @op
    def get(self, elem: Any, default: Any = None) -> Op[Any]:
        """``counter.get(elem, default)`` (ZSCORE); one round trip.  An int result is tracked
        like :meth:`getitem`'s (``c[e] = c.get(e, 0) + 1`` is an atomic increment)."""
        member = self._enc_elem(elem)
        reply = yield Call(("ZSCORE", self.key, member), (self.key,), readonly=True)
        return tracked(self, member, default if reply is None else self._count(reply))

    @op
    def len(self) -> Op[int]:
        """Number of distinct elements (ZCARD); one round trip."""
        return (yield Call(("ZCARD", self.key), (self.key,), readonly=True))

    @op
    def contains(self, elem: Any) -> Op[bool]:
        """``elem in counter`` (ZSCORE; true for zero counts too); one round trip."""
        reply = yield Call(("ZSCORE", self.key, self._enc_elem(elem)), (self.key,), readonly=True)
        return reply is not None

    def _items(self) -> Operation:
        return self._decoded(self._pairs((yield self._range())))

    @op
    def most_common(self, n: int | None = None) -> Op[list[tuple[T, int]]]:
        """``[(elem, count), ...]`` by decreasing count, equal counts in insertion order (as
        ``Counter``); all elements if ``n`` is None.  One script (it reads only the elements
        counting at least as much as the ``n``-th), one round trip."""
        if n is not None:
            n = operator.index(n)
            if n <= 0:
                return []
            if n > MAX_COUNT:  # more than any sorted set holds
                n = None
        reply = yield run_script(_MOST_COMMON, self._keys(), ["" if n is None else n],
                                 readonly=True)
        return self._decoded(self._pairs(reply))

    @op
    def copy(self) -> Op[collections.Counter[T]]:
        """A plain ``collections.Counter`` snapshot in insertion order; one script, one round
        trip."""
        return self._counter(self._pairs((yield self._range())))

    @op
    def keys(self) -> Op[list[T]]:
        """A list of the elements (snapshot, insertion order); one script, one round trip."""
        return [e for e, _ in (yield from self._items())]

    @op
    def values(self) -> Op[list[int]]:
        """A list of the counts (snapshot, insertion order); one script, one round trip."""
        return [c for _, c in (yield from self._items())]

    @op
    def items(self) -> Op[ItemsView[T, int]]:
        """A list of ``(elem, count)`` pairs (snapshot, insertion order); one script, one round
        trip."""
        return (yield from self._items())

    @op
    def total(self) -> Op[int]:
        """Sum of the counts (``Counter.total``); one script, one round trip."""
        return self._count((yield run_script(_TOTAL, [self.key], readonly=True)))

    def _chunk(self, state: tuple[bytes, set[bytes]] | None) -> Operation:
        """Up to CHUNK elements after the sequence number ``state[0]``, in insertion order (an
        element deleted and added again during the iteration is not repeated)."""
        cursor, seen = state if state is not None else (b"0", set())
        raw, nxt = yield run_script(_CHUNK, self._keys(), [cursor, CHUNK], readonly=True)
        fresh = [(m, c) for m, c in self._pairs(raw) if m not in seen]
        seen.update(m for m, _ in fresh)
        return self._decoded(fresh), None if nxt is None else (nxt, seen)

    @op
    def _with(self, other: Any) -> Operation:
        """``(self.copy(), Counter(other))`` in one round trip (two when ``other`` is a MultiSet
        in another Cluster slot)."""
        yield from _flush_initial(other)
        if self._same_store(other) and self._colocated(other.key):
            both = yield [self._range(), self._range(other.key)]
            return self._counter(self._pairs(both[0])), other._counter(other._pairs(both[1]))
        if isinstance(other, MultiSetBase):
            if self._same_store(other):  # another Cluster slot: read it first
                theirs: Any = other._counter(other._pairs((yield self._range(other.key))))
            else:  # another client or codec: its own round trip (sync faces)
                theirs = other.copy()
                if not isinstance(theirs, Counter):
                    theirs.close()
                    raise TypeError("compare with `await other.copy()` for another client")
            mine = yield self._range()
            return self._counter(self._pairs(mine)), theirs
        mine = yield self._range()
        return self._counter(self._pairs(mine)), other

    # -- writing -----------------------------------------------------------------------------
    @op
    def setitem(self, elem: Any, count: int) -> Op[None]:
        """``counter[elem] = count`` (ZADD; a new element goes last in insertion order); one
        script, atomic.  Zero/negative counts are kept, as in ``Counter``.

        When ``count`` is a count read from this very element (``c[elem]``, ``c.get(elem, 0)``)
        plus or minus integers, it is stored as an atomic increment (ZINCRBY of the difference,
        one script): ``c[elem] += n`` adds ``n`` to the count stored *now*, so concurrent
        increments are never lost (an element deleted meanwhile is created with count ``n``).
        """
        member = self._enc_elem(elem)
        delta = increment_of(self, member, count)
        if delta is not None:
            yield run_script(_SET, self._keys(), ["incr", _check_count(delta), member])
            return None
        n = _check_count(count)
        yield run_script(_SET, self._keys(), ["set", n, member])

    @op
    def delitem(self, elem: Any) -> Op[None]:
        """``del counter[elem]`` (ZREM); missing elements are ignored, as in ``Counter``.  One
        script, atomic."""
        yield run_script(_POP, self._keys(), [self._enc_elem(elem)])

    @op
    def incr(self, elem: Any, n: int = 1) -> Op[int]:
        """Add ``n`` to ``elem``'s count and return the new count (ZINCRBY; a new element goes
        last in insertion order); one script, atomic."""
        n = _check_count(n)
        reply = yield run_script(_SET, self._keys(), ["incr", n, self._enc_elem(elem)])
        return self._count(reply)

    @op
    def pop(self, elem: Any, default: Any = _MISSING) -> Op[int]:
        """Remove ``elem`` and return its count; KeyError(elem) if absent and no default; one
        script, atomic.  A count that is not an integer (``inf``, stored by another client) is
        left in place and :class:`~vermilion.DecodeError` raised (the script checks it before
        removing anything)."""
        reply = yield run_script(_POP, self._keys(), [self._enc_elem(elem), "1"])
        if reply is None:
            if default is _MISSING:
                raise KeyError(elem)
            return default
        if isinstance(reply, list):  # the script refused a non-finite count
            raise self._decode_error(DecodeError(f"the count of {elem!r} is {reply[0]!r}"),
                                     "a count is not an integer: ")
        return self._count(reply)

    @op
    def popitem(self) -> Op[tuple[T, int]]:
        """Remove and return the last ``(elem, count)`` in insertion order (``Counter.popitem``,
        which is ``dict``'s: LIFO); KeyError if empty.  One script, one round trip, atomic.

        A count that is not an integer (``inf``, stored by another client) is left in place and
        :class:`~vermilion.DecodeError` raised; an element that cannot be decoded is put back
        where it was, last (one more round trip, atomic), and DecodeError raised.  Inside a
        transaction the element is chosen, read and decoded first (the same script, read-only:
        a WATCHed read) and the commit removes that element.
        """
        keys, args = self._keys(), [""]
        tx = in_transaction(self)
        if tx:
            pair = yield run_script(_POPITEM, keys, ["", "peek"], readonly=True)
            if pair:
                self._dec(pair[0])
                self._count(pair[1])
                args = [pair[0]]
        reply = yield run_script(_POPITEM, keys, args)
        member, count = reply[0], self._count(reply[1])
        try:
            return self._dec(member), count
        except DecodeError as exc:
            return (yield from put_back(exc, member, run_script(
                _SET, keys, ["set", count, member]), self.key, tx))

    @op
    def setdefault(self, elem: Any, default: Any = None) -> Op[int]:
        """``counter.setdefault(elem, default)``: store ``default`` as ``elem``'s count if it is
        absent (a new element goes last in insertion order) and return the stored count; one
        script, one round trip, atomic.  ``default`` must be an integer unless ``elem`` is
        present (then, as in ``Counter``, its count is returned and ``default`` unused).  The
        count is tracked like :meth:`getitem`'s."""
        member = self._enc_elem(elem)
        try:
            n = _check_count(default)
        except TypeError:
            reply = yield Call(("ZSCORE", self.key, member), (self.key,), readonly=True)
            if reply is None:
                raise
        else:
            reply = yield run_script(_SET, self._keys(), ["default", n, member])
        return tracked(self, member, self._count(reply))

    @classmethod
    def fromkeys(cls, iterable: Any, v: Any = None) -> NoReturn:
        """Undefined, as ``Counter.fromkeys``: NotImplementedError."""
        raise NotImplementedError(
            f"{cls.__name__}.fromkeys() is undefined.  Use {cls.__name__}(iterable) instead.")

    @op
    def clear(self) -> Op[None]:
        """Remove every element (one DEL of both keys); one round trip, atomic."""
        keys = self._keys()
        yield Call(("DEL", *keys), keys)

    def _apply(self, how: str, keep: bool, other: Any, sign: int = 1,
               kwds: Mapping[str, Any] | None = None, items: bool = False) -> Operation:
        key, counts = yield from self._operand(other, sign, items)
        if kwds:
            for k, v in self._plain_counts(kwds, sign).items():
                counts[k] = counts.get(k, 0) + v
        if key is None and not counts and not keep and how == "sum":
            return None
        yield run_script(
            _APPLY, self._keys() if key is None else [*self._keys(), *self._keys(key)],
            [how, "1" if keep else "0", sign, *self._zadd_args(counts)],
        )
        return None

    @op
    def update(self, iterable: Any = None, /, **kwds: int) -> Op[None]:
        """Add counts from a mapping, or count the elements of an iterable (``Counter.update``).

        One script, atomic (ZINCRBY per element; ZUNIONSTORE for a MultiSet in the same slot;
        one more round trip to read a MultiSet in another slot).
        """
        return (yield from self._apply("sum", False, iterable, 1, kwds))

    @op
    def subtract(self, iterable: Any = None, /, **kwds: int) -> Op[None]:
        """Subtract counts (``Counter.subtract``; counts may go to zero or below).  One script,
        atomic (one more round trip to read a MultiSet in another slot)."""
        return (yield from self._apply("sum", False, iterable, -1, kwds))

    @op
    def iadd(self, other: Any) -> Op[None]:
        """``counter += other`` then drop non-positive counts; one script, atomic."""
        return (yield from self._apply("sum", True, other, 1, items=True))

    @op
    def isub(self, other: Any) -> Op[None]:
        """``counter -= other`` then drop non-positive counts; one script, atomic."""
        return (yield from self._apply("sum", True, other, -1, items=True))

    @op
    def ior(self, other: Any) -> Op[None]:
        """``counter |= other`` (maximum of counts, non-positive dropped); one script, atomic."""
        return (yield from self._apply("max", True, other, items=True))

    @op
    def iand(self, other: Any) -> Op[None]:
        """``counter &= other`` (minimum of counts, non-positive dropped); one script, atomic."""
        return (yield from self._apply("min", True, other, items=True))

    @op
    def set_value(self, counts: Any) -> Op[None]:
        """Replace every count atomically (one script); ``counts`` as for ``Counter(...)``."""
        yield run_script(_REPLACE, self._keys(), self._zadd_args(self._plain_counts(counts)))


_COUNTERS = (Counter, MultiSetBase)


class MultiSet(MultiSetBase[T], SyncFace):
    """``collections.Counter`` stored in the Redis sorted set at ``key`` (element -> count).

    ``MultiSet("abracadabra", key="letters")``; ``initial`` (an iterable or a mapping, as for
    ``Counter``) is written only if the key does not exist yet.  ``+ - & |`` and unary ``+ -``
    return plain ``Counter`` objects; ``+= -= &= |=`` mutate atomically.  Iteration (insertion
    order) reads chunks of 10,000 elements, one script each.  Registered as a
    ``collections.abc.Mapping`` so ``Counter(multiset)`` copies counts, but that costs one round
    trip per element (``dict.update`` reads keys one by one): use :meth:`copy` instead.
    """

    __hash__: ClassVar[None] = None  # type: ignore[assignment]

    if TYPE_CHECKING:
        def __getitem__(self, elem: T) -> int: ...
        def __setitem__(self, elem: T, count: int) -> None: ...
        def __delitem__(self, elem: T) -> None: ...
        def __len__(self) -> int: ...
        def __contains__(self, elem: object) -> bool: ...
    else:
        __getitem__ = MultiSetBase.getitem
        __setitem__ = MultiSetBase.setitem
        __delitem__ = MultiSetBase.delitem
        __len__ = MultiSetBase.len
        __contains__ = MultiSetBase.contains

    def __iter__(self) -> Iterator[Any]:
        return (e for e, _ in self._iterate(self._chunk))

    def elements(self) -> Iterator[Any]:
        """Each element repeated by its count (counts below one ignored), like
        ``Counter.elements``, in insertion order; chunks of 10,000 elements per round trip."""
        for e, c in self._iterate(self._chunk):
            for _ in range(c):
                yield e

    def __reversed__(self) -> Iterator[Any]:
        """The elements in reverse insertion order (a snapshot: one round trip)."""
        return reversed(self.keys())

    def __bool__(self) -> bool:
        return bool(self.len())

    @property
    def value(self) -> Counter[Any]:
        """The counts as a plain Counter (one round trip); assigning replaces them atomically."""
        return self.copy()  # type: ignore[no-any-return]

    @value.setter
    def value(self, counts: Any) -> None:
        self.set_value(counts)

    def __copy__(self) -> Counter[Any]:
        return self.copy()  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"MultiSet({dict(self.most_common())!r}, key={self.key!r})"

    # -- arithmetic returning plain Counters ---------------------------------------------------
    def _binary(self, other: Any, fn: Any) -> Any:
        if not isinstance(other, _COUNTERS):
            return NotImplemented
        mine, theirs = self._with(other)
        return fn(mine, theirs)

    def __add__(self, other: Any) -> Any:
        return self._binary(other, operator.add)

    def __sub__(self, other: Any) -> Any:
        return self._binary(other, operator.sub)

    def __or__(self, other: Any) -> Any:
        return self._binary(other, operator.or_)

    def __and__(self, other: Any) -> Any:
        return self._binary(other, operator.and_)

    def __radd__(self, other: Any) -> Any:
        return other + self.copy() if isinstance(other, Counter) else NotImplemented

    def __rsub__(self, other: Any) -> Any:
        return other - self.copy() if isinstance(other, Counter) else NotImplemented

    def __ror__(self, other: Any) -> Any:
        return other | self.copy() if isinstance(other, Counter) else NotImplemented

    def __rand__(self, other: Any) -> Any:
        return other & self.copy() if isinstance(other, Counter) else NotImplemented

    def __pos__(self) -> Counter[Any]:
        return +self.copy()  # type: ignore[no-any-return]

    def __neg__(self) -> Counter[Any]:
        return -self.copy()  # type: ignore[no-any-return]

    # -- in place, atomic ----------------------------------------------------------------------
    def __iadd__(self, other: Any) -> MultiSet:
        self.iadd(other)
        return self

    def __isub__(self, other: Any) -> MultiSet:
        self.isub(other)
        return self

    def __ior__(self, other: Any) -> MultiSet:
        self.ior(other)
        return self

    def __iand__(self, other: Any) -> MultiSet:
        self.iand(other)
        return self

    # -- comparisons (Counter semantics: missing elements count as zero) ----------------------
    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiSetBase) and other.key == self.key:
            return True
        if not isinstance(other, (dict, MultiSetBase)):
            return NotImplemented
        mine, theirs = self._with(other)
        return bool(mine == theirs)

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def _compare(self, other: Any, fn: Any) -> Any:
        if not isinstance(other, _COUNTERS):
            return NotImplemented
        mine, theirs = self._with(other)
        return fn(mine, theirs)

    def __le__(self, other: Any) -> Any:
        return self._compare(other, operator.le)

    def __lt__(self, other: Any) -> Any:
        return self._compare(other, operator.lt)

    def __ge__(self, other: Any) -> Any:
        return self._compare(other, operator.ge)

    def __gt__(self, other: Any) -> Any:
        return self._compare(other, operator.gt)


collections.abc.Mapping.register(MultiSet)


class AsyncMultiSet(MultiSetBase[T], AsyncFace):
    """The asyncio face of :class:`MultiSet`: ``await c.incr(x)``, ``await c[x]``,
    ``await c.most_common(3)``, ``await c.len()``, ``async for elem in c``,
    ``async for elem in c.elements()``."""

    if TYPE_CHECKING:
        def __getitem__(self, elem: T) -> Awaitable[int]: ...
    else:
        __getitem__ = MultiSetBase.getitem

    async def __aiter__(self) -> Any:
        async for e, _ in self._aiterate(self._chunk):
            yield e

    async def elements(self) -> Any:
        """Each element repeated by its count (counts below one ignored), in insertion
        order; chunks of 10,000 elements per round trip."""
        async for e, c in self._aiterate(self._chunk):
            for _ in range(c):
                yield e
