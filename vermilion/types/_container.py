"""Shared helpers for container types: index checks, slice arguments, tombstones."""

from __future__ import annotations

import itertools
import operator
import secrets
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, ClassVar, NoReturn, cast

from ..core import runner
from ..core.base import op_sequence
from ..core.calls import Call, Op, Operation
from ..core.errors import DecodeError, TransactionConflict

CAS_ATTEMPTS = 100
"""Compare-and-set attempts of an optimistic update (``String.upper``, ``Float **=``...) before
it gives up with :class:`~vermilion.TransactionConflict` (the value changed every time)."""

BIG_CHUNK = 10_000  # items per LRANGE while iterating
SCAN_COUNT = 10_000  # SSCAN / HSCAN COUNT: up to ~10,000 members come back in one reply

TOMBSTONE_PREFIX = b"\x00vermilion-tombstone:"


def tombstone() -> bytes:
    """A value no codec produces, used to delete list items by position in one script."""
    return TOMBSTONE_PREFIX + secrets.token_bytes(12)


def in_transaction(obj: Any) -> bool:
    """``obj``'s operations are being queued in a :func:`vermilion.transaction` of its face."""
    return runner.in_transaction(obj._face)


def check_first(obj: Any, peek: Call) -> Operation:
    """Inside a transaction, before a removing operation is queued: read the item it will
    remove with ``peek`` (a read: it runs at once and WATCHes the key) and decode it, so an
    undecodable item raises DecodeError before anything is queued.  The removal queued after it
    then takes this very item (a change by another client aborts the commit), unless writes
    queued earlier in the same block changed it."""
    raw = yield peek
    if raw is not None:
        obj._dec(raw)


def put_back(error: DecodeError, raw: bytes, call: Call, key: str, tx: bool = False
             ) -> Op[NoReturn]:
    """After a removing operation took an item it cannot decode: send ``call`` (one command or
    script putting ``raw`` back where it was, atomically) and raise ``error``.

    Removing operations stay one round trip when the item decodes (the common case); an
    undecodable item costs this one more round trip and is left in Redis, so nothing is lost to
    a decode failure.  Between the two round trips other clients may see the item missing.  If
    putting it back fails (connection lost...), the DecodeError says so and carries its bytes.
    Inside a transaction (``tx``) the item was checked by :func:`check_first` before the commit;
    if an earlier write of the same block replaced it, it cannot be put back (a transaction has
    no second round trip) and the DecodeError carries its bytes.
    """
    if tx:
        raise DecodeError(f"{error}; it was removed in a transaction, which cannot put it back: "
                          f"its bytes were {bytes(raw)!r}", key=key) from error
    try:
        yield call
    except Exception as exc:
        raise DecodeError(
            f"{error}; putting the removed item back failed ({type(exc).__name__}: {exc}), "
            f"its bytes were {bytes(raw)!r}", key=key,
        ) from exc
    raise DecodeError(f"{error} (the item was left in place)", key=key) from error


def as_index(index: Any, what: str = "list") -> int:
    """``index.__index__()`` or the TypeError Python raises for a bad index."""
    try:
        return operator.index(index)
    except TypeError:
        raise TypeError(
            f"{what} indices must be integers or slices, not {type(index).__name__}"
        ) from None


def slice_args(s: slice) -> tuple[str, str, int]:
    """``(start, stop, step)`` as script arguments ('' for None); ValueError for step 0."""
    step = 1 if s.step is None else operator.index(s.step)
    if step == 0:
        raise ValueError("slice step cannot be zero")
    start = "" if s.start is None else str(operator.index(s.start))
    stop = "" if s.stop is None else str(operator.index(s.stop))
    return start, stop, step


def check_hashable(value: Any) -> None:
    """Raise the TypeError Python raises for an unhashable set member or dict key.

    Members and keys are identified by their encoding, never by ``hash()``, so this checks the
    type instead of calling ``hash`` (a user's ``__hash__`` is never called, as a ``set`` built
    from a ``dict`` does not rehash its keys): a type whose ``__hash__`` is ``None`` (``list``,
    ``dict``, ``set``, classes defining ``__eq__`` only) is unhashable, and so is a tuple holding
    one.
    """
    t = type(value)
    if t is str or t is int or t is bytes or t is float or t is frozenset or value is None:
        return
    if getattr(t, "__hash__", None) is None:
        raise TypeError(f"unhashable type: '{t.__name__}'")
    if isinstance(value, tuple):
        for item in value:
            check_hashable(item)


def list_chunk(obj: Any, start: int) -> Operation:
    """The decoded items ``[start, start + BIG_CHUNK)`` of the List or Deque ``obj`` and the
    list's length: LRANGE and LLEN pipelined, one round trip."""
    items, length = yield [
        Call(("LRANGE", obj.key, start, start + BIG_CHUNK - 1), (obj.key,), readonly=True),
        Call(("LLEN", obj.key), (obj.key,), readonly=True),
    ]
    return obj._dec_all(items), length


class _Cursor:
    """Where an index-based iteration over a List (``fixed=False``) or a Deque (``fixed=True``)
    stands, as CPython's list and deque iterators keep an index: each chunk is read at the index
    after the last item yielded.  Shared by the sync and asyncio iterators."""

    __slots__ = ("after", "current", "fixed", "index", "seq", "total")

    def __init__(self, fixed: bool) -> None:
        self.fixed = fixed
        self.index = 0  # items yielded or buffered so far
        self.total: int | None = None  # a Deque's length when iteration started
        self.current: Iterator[Any] = iter(())  # the chunk being consumed
        self.after = 0  # items known to follow the current chunk (as of the last read)
        self.seq = 0  # op_sequence() at the last read

    def take(self, items: list[Any], length: int) -> bool:
        """Make ``items``, just read at ``self.index`` from a list of ``length`` items, the
        current chunk; ``False`` when there are none (the end).  A Deque yields at most the
        items it had when iteration started, and raises deque's RuntimeError when its length
        changed."""
        if self.fixed:
            if self.total is None:
                self.total = length
            elif length != self.total:
                raise RuntimeError("deque mutated during iteration")
            items = items[: self.total - self.index]
            length = self.total
        self.index += len(items)
        self.current = iter(items)
        self.after = max(0, length - self.index)
        self.seq = op_sequence()
        return bool(items)

    def read_more(self) -> bool:
        """Whether to read at ``self.index`` now that the current chunk is used up: items
        followed it at the last read, or a vermilion operation (an append...) has started in
        this thread or asyncio task since.  Otherwise the sequence ended at the last read and
        nothing done here since can have changed that: the iteration ends without a read."""
        return self.after > 0 or op_sequence() != self.seq


class SequenceIterator(itertools.chain[Any]):
    """The iterator of a sync List or Deque: the items of one chunk after the other, at the
    speed of a list iterator (the next chunk is read only when one is used up);
    ``operator.length_hint`` gives the items left as of the last read."""

    __slots__ = ("_cursor",)
    _cursor: _Cursor

    def __length_hint__(self) -> int:
        return operator.length_hint(self._cursor.current) + self._cursor.after


def iterate_sequence(obj: Any, fixed: bool) -> Iterator[Any]:
    """``iter()`` of the sync List (``fixed=False``) or Deque (``fixed=True``) ``obj``, index-based
    like CPython's iterators.

    Each read takes up to BIG_CHUNK items at the index after the last one yielded, with the
    length (LRANGE + LLEN pipelined: one round trip); the first is made here.  When a chunk is
    used up, the next read is made if items followed it, or if a vermilion operation has started
    in this thread or asyncio task since the last read (it may have appended items: a List
    iterator sees them, as ``list``'s does); otherwise, or when a read finds nothing, the
    iterator is exhausted for good (it then drops ``obj``).  So a whole pass over up to
    BIG_CHUNK items is one round trip, or two when the loop itself used vermilion.  Items that
    other clients, threads or tasks add while the last chunk is consumed may be missed, as any
    concurrent write may.  A Deque iterator yields at most the items the deque had at
    ``iter()`` and raises ``RuntimeError("deque mutated during iteration")`` when a later read
    finds another length.
    """
    cursor = _Cursor(fixed)
    cursor.take(*obj._run(list_chunk(obj, 0), True, "__iter__"))
    it = cast(SequenceIterator, SequenceIterator.from_iterable(_sync_chunks(obj, cursor)))
    it._cursor = cursor
    return it


def _sync_chunks(obj: Any, cursor: _Cursor) -> Iterator[Iterator[Any]]:
    """The chunks of :func:`iterate_sequence`: the one read at ``iter()``, then the next ones
    while :meth:`_Cursor.read_more` says so and a read finds items."""
    yield cursor.current
    while cursor.read_more() and cursor.take(
            *obj._run(list_chunk(obj, cursor.index), True, "__iter__")):
        yield cursor.current


async def aiterate_sequence(obj: Any, fixed: bool) -> AsyncIterator[Any]:
    """``async for`` over the asyncio List or Deque ``obj``: :func:`iterate_sequence`'s rules,
    the first chunk read at the first step."""
    cursor = _Cursor(fixed)
    more = True
    while more and cursor.take(*(await obj._run(list_chunk(obj, cursor.index), True,
                                                "__aiter__"))):
        for item in cursor.current:
            yield item
        more = cursor.read_more()


def scan_call(key: str, kind: str, cursor: Any) -> Call:
    """The call reading one chunk of a set (``kind='set'``) or hash (``'hash'``): SSCAN / HSCAN
    with COUNT 10,000, which returns a collection of up to ~10,000 members in one reply."""
    cmd = "SSCAN" if kind == "set" else "HSCAN"
    return Call((cmd, key, cursor or 0, "COUNT", SCAN_COUNT), (key,), readonly=True)


_repr_running = threading.local()


def recursive_repr(obj: Any, render: Callable[[], str], placeholder: str) -> str:
    """``render()`` (the repr of ``obj``'s content), or ``placeholder`` when the repr of the
    object at the same key is already being computed in this thread (a container holding a
    reference to itself: ``[1, [...]]`` / ``{1: {...}}``, like Python's).  A repr nested too
    deeply raises RecursionError, as Python's does (not the DecodeError the codec would make of
    it)."""
    running = getattr(_repr_running, "keys", None)
    if running is None:
        running = _repr_running.keys = set()
    ident = (obj.type_name, obj.key, id(obj._client))
    if ident in running:
        return placeholder
    running.add(ident)
    try:
        return render()
    except DecodeError as exc:
        cause: BaseException | None = exc
        seen: set[int] = set()
        while cause is not None and id(cause) not in seen:  # a chain could loop: stop there
            seen.add(id(cause))
            if isinstance(cause, RecursionError):
                raise RecursionError("maximum recursion depth exceeded while getting the repr "
                                     "of an object") from exc
            cause = cause.__cause__ or cause.__context__
        raise
    finally:
        running.discard(ident)


class SnapshotComparisons:
    """``== != < <= > >=`` of a sync face, by comparing plain snapshots.

    ``_cmp(other)`` returns ``(snapshot of self, plain other)``, reading what it needs (one round
    trip per vermilion operand), or ``None`` when ``other`` is not comparable (NotImplemented).
    Two objects on the same key and client are equal without a read.
    """

    key: str
    _client: Any

    def _cmp(self, other: Any) -> tuple[Any, Any] | None:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if (type(other) is type(self) and getattr(other, "key", None) == self.key
                and getattr(other, "_client", None) is self._client):
            return True
        pair = self._cmp(other)
        return NotImplemented if pair is None else bool(pair[0] == pair[1])

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __lt__(self, other: Any) -> bool:
        pair = self._cmp(other)
        return NotImplemented if pair is None else bool(pair[0] < pair[1])

    def __le__(self, other: Any) -> bool:
        pair = self._cmp(other)
        return NotImplemented if pair is None else bool(pair[0] <= pair[1])

    def __gt__(self, other: Any) -> bool:
        pair = self._cmp(other)
        return NotImplemented if pair is None else bool(pair[0] > pair[1])

    def __ge__(self, other: Any) -> bool:
        pair = self._cmp(other)
        return NotImplemented if pair is None else bool(pair[0] >= pair[1])

    __hash__: ClassVar[None] = None  # type: ignore[assignment]


# -- atomic ``c[k] += n`` --------------------------------------------------------------------------
SAFE_INT = 2**53
"""Integers strictly inside ±2**53 are exact in Lua's doubles: increments of them run in Redis."""


class TrackedInt(int):
    """An ``int`` read from one slot of a container (a Dict key, a List or Deque index, a
    MultiSet element) that remembers the slot.  ``+`` and ``-`` with integers give another
    TrackedInt of the same slot carrying the accumulated difference, so that storing it back in
    the same slot (``d[k] += 1``, ``d[k] = d[k] - 2``) sends that difference as one atomic
    increment instead of the value computed from the old read: concurrent increments are never
    lost.  In every other respect (comparisons, hashing, arithmetic, encoding, pickling) it is
    the plain ``int`` it equals; any other operation gives a plain ``int``.
    """

    _vm_obj: Any
    _vm_slot: Any
    _vm_delta: int
    _vm_seq: int  # op_sequence() of the read: stale once another operation ran in between

    def _moved(self, delta: int) -> Any:
        value = int(self) + delta
        total = self._vm_delta + delta
        if not (-SAFE_INT < value < SAFE_INT and -SAFE_INT < total < SAFE_INT):
            return value
        out = TrackedInt(value)
        out._vm_obj, out._vm_slot, out._vm_delta = self._vm_obj, self._vm_slot, total
        out._vm_seq = self._vm_seq
        return out

    def __add__(self, other: Any) -> Any:
        if isinstance(other, int):
            return self._moved(int(other))
        return int.__add__(self, other)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        if isinstance(other, int):
            return self._moved(-int(other))
        return int.__sub__(self, other)

    def __reduce__(self) -> tuple[Any, ...]:
        return (int, (int(self),))

    def __copy__(self) -> int:
        return int(self)

    def __deepcopy__(self, memo: Any) -> int:
        return int(self)


def tracked(obj: Any, slot: Any, value: Any) -> Any:
    """``value`` as a :class:`TrackedInt` of ``obj``'s ``slot`` if it is an ``int`` (not a
    ``bool``) strictly inside ±2**53; otherwise ``value`` itself."""
    if type(value) is not int or not -SAFE_INT < value < SAFE_INT:
        return value
    out = TrackedInt(value)
    out._vm_obj, out._vm_slot, out._vm_delta = obj, slot, 0
    out._vm_seq = op_sequence()
    return out


def increment_of(obj: Any, slot: Any, value: Any) -> int | None:
    """The difference to add when ``value``, about to be stored in ``obj``'s ``slot``, is a
    :class:`TrackedInt` read from that very slot (of ``obj`` or another handle on the same key,
    client and codec), with no other vermilion operation started in this thread or asyncio task
    between the read and this write, and a non-zero difference; ``None`` when ``value`` must be
    stored as it is (so ``old = d[k]; d[k] = 5; d[k] = old`` restores ``old``, as in Python)."""
    if type(value) is not TrackedInt or value._vm_delta == 0:
        return None
    if value._vm_seq != op_sequence() - 1:  # this write's own operation is the one after
        return None
    src = value._vm_obj
    if value._vm_slot != slot or not (src is obj or (src.key == obj.key and obj._same_store(src))):
        return None
    return value._vm_delta


def cas_exhausted(obj: Any, what: str) -> TransactionConflict:
    """The error of an optimistic update that met a concurrent change on every attempt."""
    return TransactionConflict(
        f"{obj.type_name}.{what} at key {obj.key!r}: the value changed on each of "
        f"{CAS_ATTEMPTS} compare-and-set attempts (constant concurrent writes); nothing was "
        "written", key=obj.key)
