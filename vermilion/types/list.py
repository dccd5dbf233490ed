"""``List``: Python's ``list`` backed by a Redis list.

Every method is one round trip unless its docstring says otherwise, and every mutation is atomic
(a single command or one Lua script).  Values go through the object's codec, so they come back
with their Python types.  ``lst[i] += n`` on an ``int`` item is an atomic increment (the item
read is a ``TrackedInt``; see :meth:`ListBase.setitem`); other read-then-write forms are a read
and a plain write.  ``repr`` is ``list``'s: ``[1, 2]`` (the key is ``lst.key``).
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator, MutableSequence
from typing import TYPE_CHECKING, Any, Generic, overload

from typing_extensions import TypeVar

from ..core.base import AsyncFace, RedisObject, SyncFace, op
from ..core.calls import Call, Op, Operation, run_script
from ..core.codec import Codec, JsonCodec
from ..core.errors import DecodeError
from ..core.scripts import load_script
from ._container import (
    SnapshotComparisons,
    aiterate_sequence,
    as_index,
    check_first,
    in_transaction,
    increment_of,
    iterate_sequence,
    put_back,
    recursive_repr,
    slice_args,
    tombstone,
    tracked,
)

_INIT = load_script("list_init")
_REPLACE = load_script("list_replace")
_GETSLICE = load_script("list_getslice")
_SETSLICE = load_script("list_setslice")
_DELITEM = load_script("list_delitem")
_INSERT = load_script("list_insert")
_POP = load_script("list_pop")
_INDEX = load_script("list_index")
_REVERSE = load_script("list_reverse")
_IMUL = load_script("list_imul")
_CAS_REPLACE = load_script("list_cas_replace")
_SORT = load_script("list_sort")
_INCR = load_script("list_incr")

T = TypeVar("T", default=Any)

SORT_ATTEMPTS = 5
"""Attempts of a sort without ``key`` whose write-back meets a concurrent change."""


def content_hash(items: list[bytes]) -> str:
    return hashlib.sha1(b"".join(b"%d:%s" % (len(x), x) for x in items)).hexdigest()


class ListBase(RedisObject, Generic[T]):
    """Operations of :class:`List`, shared by the sync and asyncio faces; generic in the item
    type (``vm.List[int]``, ``vm.aio.List[str]``)."""

    if TYPE_CHECKING:
        def __init__(self, initial: Iterable[T] | None = None, *, key: str | bytes | None = None,
                     client: Any = None, codec: Codec | None = None) -> None: ...

    type_name = "List"

    def _init_op(self, initial: Any) -> Operation:
        values = self._enc_all(initial)
        if values:
            yield run_script(_INIT, [self.key], values)

    def _range(self) -> Call:
        return Call(("LRANGE", self.key, 0, -1), (self.key,), readonly=True)

    # -- reading -----------------------------------------------------------------------------
    @op
    def getitem(self, index: int | slice) -> Op[Any]:
        """``list[index]`` (LINDEX) or ``list[start:stop:step]`` (one script); one round trip.

        Raises IndexError / TypeError like ``list``; a slice returns a plain ``list``.  An
        ``int`` item comes back tracked, so ``list[i] += n`` stores an atomic increment (see
        :meth:`setitem`).
        """
        if isinstance(index, slice):
            items = yield run_script(_GETSLICE, [self.key], slice_args(index), readonly=True)
            return self._dec_all(items)
        i = as_index(index)
        reply = yield Call(("LINDEX", self.key, i), (self.key,), readonly=True)
        if reply is None:
            raise IndexError("list index out of range")
        return tracked(self, i, self._dec(reply))

    @op
    def len(self) -> Op[int]:
        """Number of items (LLEN); one round trip."""
        return (yield Call(("LLEN", self.key), (self.key,), readonly=True))

    @op
    def contains(self, value: Any) -> Op[bool]:
        """``value in list`` (LPOS); one round trip."""
        reply = yield Call(("LPOS", self.key, self._enc(value)), (self.key,), readonly=True)
        return reply is not None

    @op
    def index(self, value: Any, start: int = 0, stop: int = sys.maxsize) -> Op[int]:
        """First position of ``value`` in ``[start:stop]``; ValueError if absent; one round trip."""
        if start == 0 and stop == sys.maxsize:
            reply = yield Call(("LPOS", self.key, self._enc(value)), (self.key,), readonly=True)
        else:
            reply = yield run_script(
                _INDEX, [self.key],
                [self._enc(value), as_index(start), "" if stop == sys.maxsize else as_index(stop)],
                readonly=True,
            )
            reply = None if reply < 0 else reply
        if reply is None:
            raise ValueError(f"{value!r} is not in list")
        return reply

    @op
    def count(self, value: Any) -> Op[int]:
        """Occurrences of ``value`` (LPOS ... COUNT 0); one round trip."""
        reply = yield Call(("LPOS", self.key, self._enc(value), "COUNT", 0), (self.key,),
                           readonly=True)
        return len(reply)

    @op
    def copy(self) -> Op[list[T]]:
        """A plain ``list`` snapshot of the items (LRANGE 0 -1); one round trip."""
        return self._dec_all((yield self._range()))

    # -- writing -----------------------------------------------------------------------------
    @op
    def append(self, value: T) -> Op[None]:
        """Add ``value`` at the end (RPUSH); one round trip, atomic."""
        yield Call(("RPUSH", self.key, self._enc(value)), (self.key,))

    @op
    def extend(self, values: Iterable[T]) -> Op[None]:
        """Add every value at the end with one RPUSH; one round trip (plus reading ``values`` if
        it is itself a vermilion object), atomic."""
        encoded = self._enc_all(values)
        if encoded:
            yield Call(("RPUSH", self.key, *encoded), (self.key,))

    @op
    def insert(self, index: int, value: T) -> Op[None]:
        """Insert before ``index`` (clamped like ``list.insert``); one script, atomic."""
        yield run_script(_INSERT, [self.key], [as_index(index), self._enc(value), tombstone()])

    @op
    def pop(self, index: int = -1) -> Op[T]:
        """Remove and return the item at ``index`` (IndexError like ``list.pop``); one round trip,
        atomic (RPOP / LPOP, or one script).

        An item that cannot be decoded is put back at the same position (one more round trip,
        atomic: RPUSH, LPUSH or an insert script) and :class:`~vermilion.DecodeError` is raised,
        so a decode failure never loses an item.  Inside a transaction the item is read and
        decoded first (a WATCHed read, one more round trip before the commit).
        """
        index = as_index(index)
        tx = in_transaction(self)
        if tx:
            yield from check_first(self, Call(("LINDEX", self.key, index), (self.key,),
                                              readonly=True))
        if index == -1:
            reply = yield Call(("RPOP", self.key), (self.key,))
            if reply is None:
                raise IndexError("pop from empty list")
        else:
            reply = yield run_script(_POP, [self.key], [index, tombstone()])
        try:
            return self._dec(reply)
        except DecodeError as exc:
            return (yield from put_back(exc, reply, self._reinsert(index, reply), self.key, tx))

    def _reinsert(self, index: int, raw: bytes) -> Call:
        """The call putting ``raw``, just popped from ``index``, back at that position."""
        if index == -1:
            return Call(("RPUSH", self.key, raw), (self.key,))
        if index == 0:
            return Call(("LPUSH", self.key, raw), (self.key,))
        # pop(i) for i < 0 counted from the end of the longer list: insert(i + 1) restores it
        return run_script(_INSERT, [self.key], [index if index > 0 else index + 1, raw,
                                                tombstone()])

    @op
    def remove(self, value: Any) -> Op[None]:
        """Remove the first occurrence (LREM 1); ValueError if absent; one round trip, atomic."""
        removed = yield Call(("LREM", self.key, 1, self._enc(value)), (self.key,))
        if not removed:
            raise ValueError("list.remove(x): x not in list")

    @op
    def clear(self) -> Op[None]:
        """Remove every item (DEL); one round trip."""
        yield Call(("DEL", self.key), (self.key,))

    @op
    def reverse(self) -> Op[None]:
        """Reverse in place; one script, atomic."""
        yield run_script(_REVERSE, [self.key])

    @op(tx=False)
    def sort(self, *, key: Any = None, reverse: bool = False) -> Op[None]:
        """Sort in place with Python's ordering (``key`` and ``reverse`` as ``list.sort``), atomic.

        Without ``key``, a list of only numbers (|n| <= 2**53) or only strings sorts inside Redis
        in one round trip.  Otherwise (a ``key`` function, mixed or other types) it takes two:
        the items are read and sorted in Python (so Python's comparison rules apply, TypeError
        included), then written back by a script that checks nothing changed in between.  If the
        list changed meanwhile, ``list.sort``'s ``ValueError("list modified during sort")`` is
        raised and the list is left as it is: at once with a ``key`` function (it may be what
        changed the list, as in Python), after :data:`SORT_ATTEMPTS` reads without one.
        """
        if key is None and isinstance(self._codec, JsonCodec):
            if (yield run_script(_SORT, [self.key], ["1" if reverse else "0"])):
                return None
        for _ in range(1 if key is not None else SORT_ATTEMPTS):
            raw = yield self._range()
            items = self._dec_all(raw)
            items.sort(key=key, reverse=reverse)
            done = yield run_script(
                _CAS_REPLACE, [self.key], [content_hash(raw), *(self._enc(v) for v in items)]
            )
            if done:
                return None
        raise ValueError("list modified during sort")

    @op
    def setitem(self, index: int | slice, value: Any) -> Op[None]:
        """``list[index] = value`` (LSET) or slice assignment (one script); atomic.

        Raises IndexError, TypeError and ValueError (extended slice size mismatch) like ``list``.
        When ``value`` is an int read from this very index (``list[i]``) plus or minus integers,
        it is stored as one atomic increment (one script): ``list[i] += n`` adds ``n`` to the item
        at index ``i`` *now*, so concurrent increments are never lost (if that item is no longer
        an integer within ±2**53, the value computed from the read is written, as a plain
        read-then-write would).
        """
        if isinstance(index, slice):
            start, stop, step = slice_args(index)
            values = [self._enc(v) for v in value]
            yield run_script(_SETSLICE, [self.key], [start, stop, step, len(values), *values])
            return None
        i = as_index(index)
        delta = increment_of(self, i, value)
        if delta is not None:
            yield run_script(_INCR, [self.key], [i, delta, self._enc(int(value)),
                                                 "list assignment index out of range"])
            return None
        try:
            yield Call(("LSET", self.key, i, self._enc(value)), (self.key,))
        except Exception as exc:
            if "index out of range" in str(exc) or "no such key" in str(exc):
                raise IndexError("list assignment index out of range") from None
            raise

    @op
    def delitem(self, index: int | slice) -> Op[None]:
        """``del list[index]`` or ``del list[start:stop:step]``; one script, atomic."""
        if isinstance(index, slice):
            args: list[Any] = [tombstone(), "s", *slice_args(index)]
        else:
            args = [tombstone(), "i", as_index(index)]
        yield run_script(_DELITEM, [self.key], args)

    @op
    def imul(self, n: int) -> Op[None]:
        """``list *= n``; one script, atomic."""
        yield run_script(_IMUL, [self.key], [as_index(n)])

    @op
    def set_value(self, values: Iterable[T]) -> Op[None]:
        """Replace the whole content atomically (one script)."""
        encoded = self._enc_all(values)
        yield run_script(_REPLACE, [self.key], encoded)


def _plain(other: Any) -> Any:
    """A comparable plain value for ``other`` (vermilion Lists are read once)."""
    if isinstance(other, List):
        return other.copy()
    return other


class List(SnapshotComparisons, ListBase[T], SyncFace, MutableSequence[T]):
    """Python's ``list`` stored in the Redis list at ``key``.

    ``List(["a", "b"], key="tasks")`` is the Redis list ``tasks`` (``LRANGE tasks 0 -1`` shows
    it).  ``initial`` is written only if the key does not exist yet.  Comparisons with lists and
    other Lists read the items once; ``+`` and ``*`` return plain lists; ``+=`` and ``*=`` mutate
    atomically.  Iteration follows ``list``'s iterator: it reads chunks of 10,000 items (one
    round trip each, the next one at the index after the last item yielded), so it sees items
    appended before it reaches the end, and then stays exhausted; a pass over up to 10,000 items
    is one round trip (two when the loop itself runs vermilion operations: the end is read
    again).  It is not a snapshot if others write concurrently.
    """

    if TYPE_CHECKING:
        @overload
        def __getitem__(self, index: int) -> T: ...
        @overload
        def __getitem__(self, index: slice) -> list[T]: ...
        def __getitem__(self, index: int | slice) -> T | list[T]: ...
        @overload
        def __setitem__(self, index: int, value: T) -> None: ...
        @overload
        def __setitem__(self, index: slice, value: Iterable[T]) -> None: ...
        def __setitem__(self, index: int | slice, value: Any) -> None: ...
        def __delitem__(self, index: int | slice) -> None: ...
        def __len__(self) -> int: ...
        def __contains__(self, value: object) -> bool: ...
    else:
        __getitem__ = ListBase.getitem
        __setitem__ = ListBase.setitem
        __delitem__ = ListBase.delitem
        __len__ = ListBase.len
        __contains__ = ListBase.contains

    def __iter__(self) -> Iterator[T]:
        """An iterator like ``list``'s: index-based, it sees items appended before it reaches
        the end and stays exhausted once it has.  One round trip per 10,000 items (the first
        chunk is read here), and one more at the end if a vermilion operation has run in this
        thread or task since the last read (see
        :func:`~vermilion.types._container.iterate_sequence`)."""
        return iterate_sequence(self, False)

    def __reversed__(self) -> Iterator[T]:
        return reversed(self.copy())

    def __bool__(self) -> bool:
        return bool(self.exists())

    @property
    def value(self) -> list[T]:
        """The items as a plain list (one round trip); assigning replaces them atomically."""
        return self.copy()

    @value.setter
    def value(self, values: Iterable[T]) -> None:
        self.set_value(values)

    def __iadd__(self, values: Iterable[T]) -> List[T]:  # type: ignore[misc]
        self.extend(values)
        return self

    def __imul__(self, n: int) -> List[T]:
        self.imul(n)
        return self

    def __add__(self, other: Any) -> list[Any]:
        if not isinstance(other, (list, List)):
            return NotImplemented
        return self.copy() + _plain(other)

    def __radd__(self, other: Any) -> list[Any]:
        if not isinstance(other, list):
            return NotImplemented
        return other + self.copy()

    def __mul__(self, n: int) -> list[T]:
        return self.copy() * n

    __rmul__ = __mul__

    def _cmp(self, other: Any) -> Any:
        if isinstance(other, (list, List)):
            return self.copy(), _plain(other)
        return None

    def __copy__(self) -> list[T]:
        return self.copy()

    def __repr__(self) -> str:
        """``list``'s repr of the items, ``[1, 2]`` (one round trip); a List holding a
        reference to itself shows ``[...]`` there, as ``list`` does.  The key is not shown
        (Python's list tests pin this form): it is ``lst.key``."""
        return recursive_repr(self, lambda: repr(self.copy()), "[...]")


class AsyncList(ListBase[T], AsyncFace):
    """The asyncio face of :class:`List`: ``await l.append(x)``, ``await l[0]``,
    ``await l.len()``, ``async for x in l``."""

    if TYPE_CHECKING:
        @overload
        def __getitem__(self, index: int) -> Awaitable[T]: ...
        @overload
        def __getitem__(self, index: slice) -> Awaitable[list[T]]: ...
        def __getitem__(self, index: int | slice) -> Awaitable[Any]: ...
    else:
        __getitem__ = ListBase.getitem

    def __aiter__(self) -> AsyncIterator[T]:
        """``async for``: :meth:`List.__iter__`'s rules, the first chunk read at the first
        step."""
        return aiterate_sequence(self, False)

