"""``Deque``: ``collections.deque`` backed by a Redis list.

Values go through the object's codec.  ``maxlen`` is stored with the data, in the auxiliary key
``{key}:maxlen``, so every process (and a Deque re-opened from a reference) bounds the deque the
same way: ``Deque(maxlen=3, key="k")`` sets it (replacing a previous one and trimming the list
to its last 3 items), ``Deque(key="k")`` uses whatever is stored (none: unbounded).  Like
``collections.deque``, appends beyond ``maxlen`` discard items from the opposite end, in the
same atomic script.  Every method is one round trip and every mutation is atomic; ``d[i] += n``
on an ``int`` item is an atomic increment (read, then one script), as for ``List``.
"""

from __future__ import annotations

import collections
import sys
from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator, MutableSequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic

from typing_extensions import TypeVar

from ..core.base import AsyncFace, RedisObject, SyncFace, op
from ..core.calls import Call, Op, Operation, run_script
from ..core.errors import DecodeError
from ..core.scripts import load_script
from ._container import (
    SnapshotComparisons,
    aiterate_sequence,
    check_first,
    in_transaction,
    increment_of,
    iterate_sequence,
    put_back,
    tombstone,
    tracked,
)

T = TypeVar("T", default=Any)
_INIT = load_script("deque_init")
_PUSH = load_script("deque_push")
_REPLACE = load_script("deque_replace")
_ROTATE = load_script("deque_rotate")
_INSERT = load_script("deque_insert")
_DELITEM = load_script("deque_delitem")
_IMUL = load_script("deque_imul")
_REVERSE = load_script("list_reverse")
_INDEX = load_script("list_index")
_INCR = load_script("list_incr")


def _index(i: Any) -> int:
    """A deque index (TypeError with deque's message otherwise)."""
    if hasattr(type(i), "__index__"):
        return int(type(i).__index__(i))
    raise TypeError(f"sequence index must be integer, not '{type(i).__name__}'")


def _count(n: Any) -> int:
    if hasattr(type(n), "__index__"):
        return int(type(n).__index__(n))
    raise TypeError(f"'{type(n).__name__}' object cannot be interpreted as an integer")


class DequeBase(RedisObject, Generic[T]):
    """Operations of :class:`Deque`, shared by the sync and asyncio faces."""

    type_name = "Deque"
    aux_suffixes: ClassVar[tuple[str, ...]] = ("maxlen",)

    def __init__(
        self,
        initial: Iterable[Any] | None = None,
        maxlen: int | None = None,
        *,
        key: str | bytes | None = None,
        client: Any = None,
        codec: Any = None,
    ):
        if maxlen is not None:
            if not hasattr(type(maxlen), "__index__"):
                raise TypeError("an integer is required")
            maxlen = int(type(maxlen).__index__(maxlen))
            if maxlen < 0:
                raise ValueError("maxlen must be non-negative")
        super().__init__(None, key=key, client=client, codec=codec)
        if initial is not None or maxlen is not None:
            self._set_initial(self._setup(initial, maxlen))

    def _setup(self, initial: Iterable[Any] | None, maxlen: int | None) -> Operation:
        """Store ``maxlen`` and write ``initial`` if the list does not exist (one script)."""
        items = [] if initial is None else [self._enc(v) for v in initial]
        yield run_script(
            _INIT, self.keys_owned,
            ["" if maxlen is None else maxlen, "0" if initial is None else "1", *items],
        )

    def _init_op(self, initial: Any) -> Operation:
        return self._setup(initial, None)

    def _mkey(self) -> str:
        return self._aux("maxlen")

    def _range(self) -> Call:
        return Call(("LRANGE", self.key, 0, -1), (self.key,), readonly=True)

    def _maxlen(self, raw: Any) -> int | None:
        """The stored maxlen reply as an int (DecodeError naming the key if it is not one)."""
        if raw is None:
            return None
        try:
            m = int(raw)
        except ValueError:
            m = -1
        if m < 0:
            raise DecodeError(f"Deque at key {self.key!r}: its maxlen key {self._mkey()!r} holds "
                              f"{bytes(raw)[:40]!r}, not a non-negative integer", key=self.key)
        return m

    def _pop(self, side: str) -> Operation:
        """RPOP (``side`` "R") or LPOP; an undecodable item is pushed back on the same side
        (one more round trip, atomic; maxlen is not applied to it) and DecodeError raised.
        Inside a transaction the item is read and decoded first (a WATCHed read)."""
        tx = in_transaction(self)
        if tx:
            yield from check_first(self, Call(("LINDEX", self.key, -1 if side == "R" else 0),
                                              (self.key,), readonly=True))
        reply = yield Call((f"{side}POP", self.key), (self.key,))
        if reply is None:
            raise IndexError("pop from an empty deque")
        try:
            return self._dec(reply)
        except DecodeError as exc:
            return (yield from put_back(
                exc, reply, Call((f"{side}PUSH", self.key, reply), (self.key,)), self.key, tx))

    # -- reading -----------------------------------------------------------------------------
    @op
    def get_maxlen(self) -> Op[int | None]:
        """The stored maxlen (``None``: unbounded); one round trip."""
        reply = yield Call(("GET", self._mkey()), (self._mkey(),), readonly=True)
        return self._maxlen(reply)

    @op
    def len(self) -> Op[int]:
        """Number of items (LLEN); one round trip."""
        return (yield Call(("LLEN", self.key), (self.key,), readonly=True))

    @op
    def getitem(self, index: int) -> Op[T]:
        """``d[i]`` (LINDEX); IndexError / TypeError like ``deque``; one round trip.  An ``int``
        item comes back tracked, so ``d[i] += n`` stores an atomic increment (see
        :meth:`setitem`)."""
        i = _index(index)
        reply = yield Call(("LINDEX", self.key, i), (self.key,), readonly=True)
        if reply is None:
            raise IndexError("deque index out of range")
        return tracked(self, i, self._dec(reply))

    @op
    def contains(self, value: Any) -> Op[bool]:
        """``value in d`` (LPOS); one round trip."""
        reply = yield Call(("LPOS", self.key, self._enc(value)), (self.key,), readonly=True)
        return reply is not None

    @op
    def count(self, value: Any) -> Op[int]:
        """Occurrences of ``value`` (LPOS ... COUNT 0); one round trip."""
        reply = yield Call(("LPOS", self.key, self._enc(value), "COUNT", 0), (self.key,),
                           readonly=True)
        return len(reply)

    @op
    def index(self, value: Any, start: int = 0, stop: int = sys.maxsize) -> Op[int]:
        """First position of ``value`` in ``[start:stop]``; ValueError if absent; one round trip."""
        start, stop = _index(start), _index(stop)
        reply = yield run_script(
            _INDEX, [self.key],
            [self._enc(value), start, "" if stop >= sys.maxsize else stop], readonly=True,
        )
        if reply < 0:
            raise ValueError(f"{value!r} is not in deque")
        return reply

    @op
    def copy(self) -> Op[collections.deque[T]]:
        """A ``collections.deque`` snapshot with the same maxlen (LRANGE + GET pipelined); one
        round trip."""
        items, m = yield [self._range(), Call(("GET", self._mkey()), (self._mkey(),),
                                              readonly=True)]
        return collections.deque(self._dec_all(items), self._maxlen(m))

    # -- writing -----------------------------------------------------------------------------
    def _push(self, side: str, values: list[bytes]) -> Call:
        return run_script(_PUSH, self.keys_owned, [side, *values])

    @op
    def append(self, value: T) -> Op[None]:
        """Add ``value`` on the right (discarding from the left beyond maxlen); one script,
        atomic."""
        yield self._push("R", [self._enc(value)])

    @op
    def appendleft(self, value: T) -> Op[None]:
        """Add ``value`` on the left (discarding from the right beyond maxlen); one script,
        atomic."""
        yield self._push("L", [self._enc(value)])

    @op
    def extend(self, values: Iterable[T]) -> Op[None]:
        """Append every value on the right; one script, atomic (plus reading ``values`` if it is
        itself a vermilion object)."""
        encoded = [self._enc(v) for v in values]
        if encoded:
            yield self._push("R", encoded)

    @op
    def extendleft(self, values: Iterable[T]) -> Op[None]:
        """Append every value on the left, one after the other (so their order is reversed, as
        with ``deque.extendleft``); one script, atomic."""
        encoded = [self._enc(v) for v in values]
        if encoded:
            yield self._push("L", encoded)

    @op
    def pop(self) -> Op[T]:
        """Remove and return the rightmost item (RPOP); IndexError if empty; one round trip.

        An item that cannot be decoded is pushed back (one more round trip, atomic) and
        :class:`~vermilion.DecodeError` is raised: a decode failure never loses an item.
        """
        return (yield from self._pop("R"))

    @op
    def popleft(self) -> Op[T]:
        """Remove and return the leftmost item (LPOP); IndexError if empty; one round trip.

        An item that cannot be decoded is pushed back (one more round trip, atomic) and
        :class:`~vermilion.DecodeError` is raised: a decode failure never loses an item.
        """
        return (yield from self._pop("L"))

    @op
    def rotate(self, n: int = 1) -> Op[None]:
        """Rotate ``n`` steps to the right (left if negative); one script, atomic, moving at most
        half the items."""
        n = _count(n)
        if n:
            yield run_script(_ROTATE, [self.key], [n])

    @op
    def clear(self) -> Op[None]:
        """Remove every item (DEL of the list; maxlen is kept); one round trip."""
        yield Call(("DEL", self.key), (self.key,))

    @op
    def remove(self, value: Any) -> Op[None]:
        """Remove the first occurrence (LREM 1); ValueError if absent; one round trip, atomic."""
        removed = yield Call(("LREM", self.key, 1, self._enc(value)), (self.key,))
        if not removed:
            raise ValueError(f"{value!r} is not in deque")

    @op
    def insert(self, index: int, value: T) -> Op[None]:
        """Insert before ``index`` (clamped like ``deque.insert``); IndexError when the deque is
        at its maxlen; one script, atomic."""
        yield run_script(_INSERT, self.keys_owned,
                         [_count(index), self._enc(value), tombstone()])

    @op
    def reverse(self) -> Op[None]:
        """Reverse in place; one script, atomic."""
        yield run_script(_REVERSE, [self.key])

    @op
    def setitem(self, index: int, value: Any) -> Op[None]:
        """``d[i] = value`` (LSET); IndexError / TypeError like ``deque``; one round trip.
        ``d[i] += n`` on an int item is one atomic increment, as for :meth:`List.setitem`."""
        i = _index(index)
        delta = increment_of(self, i, value)
        if delta is not None:
            yield run_script(_INCR, [self.key], [i, delta, self._enc(int(value)),
                                                 "deque index out of range"])
            return None
        try:
            yield Call(("LSET", self.key, i, self._enc(value)), (self.key,))
        except Exception as exc:
            if "index out of range" in str(exc) or "no such key" in str(exc):
                raise IndexError("deque index out of range") from None
            raise

    @op
    def delitem(self, index: int) -> Op[None]:
        """``del d[i]``; IndexError like ``deque``; one script, atomic."""
        yield run_script(_DELITEM, [self.key], [_index(index), tombstone()])

    @op
    def imul(self, n: int) -> Op[None]:
        """``d *= n`` (keeping the last maxlen items); one script, atomic."""
        try:
            n = _count(n)
        except TypeError:
            raise TypeError(f"can't multiply sequence by non-int of type '{type(n).__name__}'") \
                from None
        yield run_script(_IMUL, self.keys_owned, [n])

    @op
    def set_value(self, values: Iterable[Any]) -> Op[None]:
        """Replace every item (keeping the last maxlen); one script, atomic."""
        encoded = [self._enc(v) for v in values]
        yield run_script(_REPLACE, self.keys_owned, encoded)


def _plain(other: Any) -> Any:
    return other.copy() if isinstance(other, Deque) else other


class Deque(SnapshotComparisons, DequeBase[T], SyncFace, MutableSequence[T]):
    """``collections.deque`` stored in the Redis list at ``key`` (``Deque(iterable, maxlen,
    key=...)``).

    ``initial`` is written only if the list does not exist yet.  ``d[i]``, ``len``, ``in``,
    appends, pops, ``rotate``, ``insert``, ``remove`` are one round trip each.  Iteration
    follows ``deque``'s iterator where Redis allows: it reads chunks of 10,000 items (one round
    trip each) and yields at most the items the deque had when it started; when a later read
    (the next chunk, or the read at the end) finds that the length changed, it raises
    ``RuntimeError("deque mutated during iteration")``.  Changes that keep the length, and
    changes by other clients or threads while the last chunk is consumed, go unnoticed.  A pass
    over up to 10,000 items is one round trip (two when the loop itself runs vermilion
    operations: the length is checked at the end); iterate ``d.copy()`` (one round trip, a
    snapshot) when others write meanwhile.  Comparisons with deques, ``+`` and ``*`` read the
    items once and give ``collections.deque`` values; ``+=`` and ``*=`` mutate atomically.
    ``maxlen`` is read from Redis (one round trip).
    """

    __hash__: ClassVar[None] = None  # type: ignore[assignment]

    if TYPE_CHECKING:
        # no slices, as collections.deque (typeshed overrides the same way)
        def __getitem__(self, index: int) -> T: ...  # type: ignore[override]
        def __setitem__(self, index: int, value: T) -> None: ...  # type: ignore[override]
        def __delitem__(self, index: int) -> None: ...  # type: ignore[override]
        def __len__(self) -> int: ...
        def __contains__(self, value: object) -> bool: ...
    else:
        __getitem__ = DequeBase.getitem
        __setitem__ = DequeBase.setitem
        __delitem__ = DequeBase.delitem
        __len__ = DequeBase.len
        __contains__ = DequeBase.contains

    @property
    def maxlen(self) -> int | None:
        """The maximum size (``None``: unbounded), stored in ``{key}:maxlen``; one round trip."""
        return self.get_maxlen()  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[Any]:
        """An iterator like ``deque``'s: it yields at most the items the deque has now, and
        raises ``RuntimeError("deque mutated during iteration")`` when a later read finds
        another length.  One round trip per 10,000 items (the first chunk is read here), and
        one more at the end, checking the length, if a vermilion operation has run in this
        thread or task since the last read (see
        :func:`~vermilion.types._container.iterate_sequence`)."""
        return iterate_sequence(self, True)

    def __reversed__(self) -> Iterator[Any]:
        return reversed(self.copy())

    def __bool__(self) -> bool:
        return bool(self.exists())

    @property
    def value(self) -> collections.deque[Any]:
        """The items as a ``collections.deque`` (one round trip); assigning replaces them."""
        return self.copy()  # type: ignore[no-any-return]

    @value.setter
    def value(self, values: Iterable[Any]) -> None:
        self.set_value(values)

    def __iadd__(self, values: Any) -> Deque:
        self.extend(values)
        return self

    def __imul__(self, n: int) -> Deque:
        self.imul(n)
        return self

    def __add__(self, other: Any) -> Any:
        if not isinstance(other, (collections.deque, Deque)):
            raise TypeError(
                f'can only concatenate deque (not "{type(other).__name__}") to deque')
        return self.copy() + _plain(other)  # type: ignore[no-any-return]

    def __radd__(self, other: Any) -> collections.deque[Any]:
        if not isinstance(other, collections.deque):
            return NotImplemented
        return other + self.copy()

    def __mul__(self, n: int) -> collections.deque[Any]:
        return self.copy() * n  # type: ignore[no-any-return]

    __rmul__ = __mul__

    def _cmp(self, other: Any) -> Any:
        if isinstance(other, (collections.deque, Deque)):
            return list(self.copy()), list(_plain(other))
        return None

    def __copy__(self) -> collections.deque[Any]:
        return self.copy()  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        d = self.copy()
        extra = "" if d.maxlen is None else f", maxlen={d.maxlen}"
        return f"Deque({list(d)!r}{extra}, key={self.key!r})"


class AsyncDeque(DequeBase[T], AsyncFace):
    """The asyncio face of :class:`Deque`: ``await d.append(x)``, ``await d.popleft()``,
    ``await d.rotate(2)``, ``await d[0]``, ``await d.len()``, ``await d.get_maxlen()``,
    ``async for x in d``."""

    if TYPE_CHECKING:
        def __getitem__(self, index: int) -> Awaitable[T]: ...
    else:
        __getitem__ = DequeBase.getitem

    def __aiter__(self) -> AsyncIterator[T]:
        """``async for``: :meth:`Deque.__iter__`'s rules, the first chunk read at the first
        step."""
        return aiterate_sequence(self, True)
