"""``Set``: Python's ``set`` backed by a Redis set.

Members go through the object's codec (canonical JSON by default), so ``1``, ``"1"``, ``(1, 2)``
and ``frozenset({1})`` are distinct members that come back with their Python types.  Unlike
Python, ``1``, ``1.0`` and ``True`` are *different* members (their encodings differ: folding
them would change the type that comes back).  As in Python, a set argument of ``in``, ``remove``
and ``discard`` is looked up as a frozenset (``{1} in s``).  ``repr`` is ``set``'s: ``{1, 2}``.

Every method is one round trip unless its docstring says otherwise, and every mutation is atomic
(a single command or one Lua script).  Set algebra between two ``Set`` objects on the same server
runs server-side (SINTERSTORE / SUNIONSTORE / SDIFFSTORE inside one script).  On Redis Cluster
that needs both keys in one slot (use hash tags: ``{team}:a`` and ``{team}:b``); when the keys
live in different slots the other set is read first (one extra round trip) and the operation is
then applied to this set atomically, against that snapshot of the other set.
"""

from __future__ import annotations

import collections.abc
from collections.abc import Generator, Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Generic, cast

from typing_extensions import TypeVar

from ..core.base import AsyncFace, RedisObject, SyncFace, op
from ..core.calls import Call, Op, Operation, run_script
from ..core.errors import DecodeError
from ..core.scripts import load_script
from ._container import check_hashable, in_transaction, put_back, scan_call

T = TypeVar("T", default=Any)
_INIT = load_script("set_init")
_REPLACE = load_script("set_replace")
_STORE = load_script("set_store")
_RELATION = load_script("set_relation")
_POP = load_script("set_pop")


Operands = tuple[list[str], list[list[bytes]]]


def _flush_pending(other: Any) -> Operation:
    """Write the pending ``initial`` of an asyncio Set operand first (one round trip, if any)."""
    if isinstance(other, SetBase) and other._init_pending is not None:
        pending, other._init_pending = other._init_pending, None
        yield from pending


class SetBase(RedisObject, Generic[T]):
    """Operations of :class:`Set`, shared by the sync and asyncio faces."""

    type_name = "Set"

    def _init_op(self, initial: Any) -> Operation:
        members = self._encode_all(initial)
        if members:
            yield run_script(_INIT, [self.key], members)

    # -- helpers -----------------------------------------------------------------------------
    def _lookup(self, member: Any) -> Generator[Any, Any, bytes]:
        """The encoded member Python looks up for ``x in s`` / ``remove`` / ``discard``: a set
        argument (``set``, a subclass, or a vermilion Set) is looked up as a frozenset, as
        ``set`` does; a vermilion Set argument is read first (one more round trip)."""
        if isinstance(member, SetBase):
            if self._same_store(member):
                yield from _flush_pending(member)
                raw = yield Call(("SMEMBERS", member.key), (member.key,), readonly=True)
                return self._enc(frozenset(member._decoded_set(raw)))
            if member._face != "sync":
                raise TypeError("look up `frozenset(await other.copy())` for a Set of another "
                                "client or codec")
            return self._enc(frozenset(member.copy()))  # type: ignore[attr-defined]
        if isinstance(member, set):
            return self._enc(frozenset(member))
        check_hashable(member)
        return self._enc(member)

    def _encode_all(self, iterable: Iterable[Any]) -> list[bytes]:
        """Encode the members of a plain iterable (TypeError for unhashable ones, before I/O)."""
        out = []
        enc = self._enc
        for m in iterable:
            check_hashable(m)
            out.append(enc(m))
        return out

    def _operands(self, others: tuple[Any, ...]) -> Generator[Any, Any, Operands]:
        """Split operands into keys usable server-side and groups of encoded members.

        Plain iterables are encoded first (errors before any I/O); Sets of this client that live
        in another Cluster slot are read with SMEMBERS (one round trip each); an asyncio Set
        operand whose ``initial`` is still pending gets it written first (one round trip).
        """
        keys: list[str] = []
        groups: list[list[bytes]] = []
        remote: list[str] = []
        for o in others:
            if self._same_store(o):
                (keys if self._colocated(o.key) else remote).append(o.key)
            else:
                groups.append(self._encode_all(o))
        for o in others:  # an asyncio operand whose ``initial`` is not written yet
            yield from _flush_pending(o)
        for k in remote:
            groups.append(list((yield Call(("SMEMBERS", k), (k,), readonly=True))))
        return keys, groups

    def _decoded_set(self, raw: Iterable[bytes]) -> set[Any]:
        values = self._dec_all(list(raw))
        try:
            return set(values)
        except TypeError:
            raise self._unhashable_error(values, "set member") from None

    # -- reading -----------------------------------------------------------------------------
    @op
    def len(self) -> Op[int]:
        """Number of members (SCARD); one round trip."""
        return (yield Call(("SCARD", self.key), (self.key,), readonly=True))

    @op
    def contains(self, member: Any) -> Op[bool]:
        """``member in set`` (SISMEMBER); one round trip.  TypeError for unhashable members; a
        set argument is looked up as a frozenset, as ``set`` does (a vermilion Set argument is
        read first: one more round trip)."""
        enc = yield from self._lookup(member)
        return bool((yield Call(("SISMEMBER", self.key, enc), (self.key,), readonly=True)))

    @op
    def copy(self) -> Op[set[T]]:
        """A plain ``set`` snapshot of the members (SMEMBERS); one round trip."""
        raw = yield Call(("SMEMBERS", self.key), (self.key,), readonly=True)
        return self._decoded_set(raw)

    def _chunk(self, state: tuple[bytes, set[bytes]] | None) -> Operation:
        cursor, seen = state if state is not None else (b"0", set())
        nxt, raw = yield scan_call(self.key, "set", cursor)
        done = nxt in (b"0", 0, "0")
        if done and not seen:  # the whole set in one reply: no SSCAN repeats to drop
            return self._dec_all(raw), None
        fresh = [m for m in raw if m not in seen]
        seen.update(fresh)
        return self._dec_all(fresh), None if done else (nxt, seen)

    @op
    def union(self, *others: Iterable[Any]) -> Op[set[Any]]:
        """``set.union``: a plain ``set``; one round trip (SUNION), plus one per Set in another
        Cluster slot."""
        keys, groups = yield from self._operands(others)
        raw = yield Call(("SUNION", self.key, *keys), (self.key, *keys), readonly=True)
        out = set(raw)
        for g in groups:
            out.update(g)
        return self._decoded_set(out)

    @op
    def intersection(self, *others: Iterable[Any]) -> Op[set[T]]:
        """``set.intersection``: a plain ``set``; one round trip (SINTER, or SMISMEMBER of the
        candidates when only plain iterables are given), plus one per Set in another slot."""
        keys, groups = yield from self._operands(others)
        if keys or not groups:
            raw = yield Call(("SINTER", self.key, *keys), (self.key, *keys), readonly=True)
            out = set(raw)
            for g in groups:
                out.intersection_update(g)
            return self._decoded_set(out)
        candidates = set(groups[0])
        for g in groups[1:]:
            candidates.intersection_update(g)
        if not candidates:
            return set()
        cand = list(candidates)
        flags = yield Call(("SMISMEMBER", self.key, *cand), (self.key,), readonly=True)
        return self._decoded_set(m for m, f in zip(cand, flags) if f)

    @op
    def difference(self, *others: Iterable[Any]) -> Op[set[T]]:
        """``set.difference``: a plain ``set``; one round trip (SDIFF), plus one per Set in
        another slot."""
        keys, groups = yield from self._operands(others)
        raw = yield Call(("SDIFF", self.key, *keys), (self.key, *keys), readonly=True)
        out = set(raw)
        for g in groups:
            out.difference_update(g)
        return self._decoded_set(out)

    @op
    def symmetric_difference(self, other: Iterable[Any]) -> Op[set[Any]]:
        """``set.symmetric_difference``: a plain ``set``; one round trip (two SMEMBERS
        pipelined), plus one if ``other`` is a Set in another slot."""
        keys, groups = yield from self._operands((other,))
        if keys:
            mine, theirs = yield [Call(("SMEMBERS", self.key), (self.key,), readonly=True),
                                  Call(("SMEMBERS", keys[0]), (keys[0],), readonly=True)]
        else:
            mine = yield Call(("SMEMBERS", self.key), (self.key,), readonly=True)
            theirs = groups[0]
        return self._decoded_set(set(mine).symmetric_difference(theirs))

    def _rel(self, other: Iterable[Any]) -> Operation:
        """``(len(self), len(set(other)), len(self & set(other)))``; one round trip (a script for
        a co-located Set, else SCARD + SMISMEMBER pipelined), plus one for a Set in another slot."""
        keys, groups = yield from self._operands((other,))
        if keys:
            reply = yield run_script(_RELATION, [self.key, keys[0]], readonly=True)
            return tuple(reply)
        members = list(set(groups[0]))
        if not members:
            card = yield Call(("SCARD", self.key), (self.key,), readonly=True)
            return card, 0, 0
        card, flags = yield [Call(("SCARD", self.key), (self.key,), readonly=True),
                             Call(("SMISMEMBER", self.key, *members), (self.key,), readonly=True)]
        return card, len(members), sum(flags)

    @op
    def _relation(self, other: Iterable[Any]) -> Operation:
        return (yield from self._rel(other))

    @op
    def isdisjoint(self, other: Iterable[Any]) -> Op[bool]:
        """``set.isdisjoint``; one round trip (plus one for a Set in another slot)."""
        _, _, common = yield from self._rel(other)
        return common == 0

    @op
    def issubset(self, other: Iterable[Any]) -> Op[bool]:
        """``set.issubset`` (``<=``); one round trip (plus one for a Set in another slot)."""
        mine, _, common = yield from self._rel(other)
        return common == mine

    @op
    def issuperset(self, other: Iterable[Any]) -> Op[bool]:
        """``set.issuperset`` (``>=``); one round trip (plus one for a Set in another slot)."""
        _, theirs, common = yield from self._rel(other)
        return common == theirs

    @op
    def equals(self, other: Iterable[Any]) -> Op[bool]:
        """``set == set(other)``; one round trip (plus one for a Set in another slot)."""
        mine, theirs, common = yield from self._rel(other)
        return mine == theirs == common

    # -- writing -----------------------------------------------------------------------------
    @op
    def add(self, member: T) -> Op[None]:
        """Add ``member`` (SADD); one round trip, atomic.  TypeError for unhashable members."""
        check_hashable(member)
        yield Call(("SADD", self.key, self._enc(member)), (self.key,))

    @op
    def discard(self, member: Any) -> Op[None]:
        """Remove ``member`` if present (SREM); one round trip, atomic.  A set argument is
        looked up as a frozenset (a vermilion Set is read first: one more round trip)."""
        enc = yield from self._lookup(member)
        yield Call(("SREM", self.key, enc), (self.key,))

    @op
    def remove(self, member: Any) -> Op[None]:
        """Remove ``member`` (SREM); ``KeyError(member)`` if absent; one round trip, atomic.  A
        set argument is looked up as a frozenset (a vermilion Set is read first: one more round
        trip)."""
        enc = yield from self._lookup(member)
        removed = yield Call(("SREM", self.key, enc), (self.key,))
        if not removed:
            raise KeyError(member)

    @op
    def pop(self) -> Op[T]:
        """Remove and return an arbitrary member (SPOP); KeyError if empty; one round trip.

        A member that cannot be decoded is added back (SADD, one more round trip, atomic) and
        :class:`~vermilion.DecodeError` is raised: a decode failure never loses a member.
        Inside a transaction an arbitrary member is read and decoded first (SRANDMEMBER, a
        WATCHed read) and the commit removes that member (one script).
        """
        tx = in_transaction(self)
        member = None
        if tx:
            member = yield Call(("SRANDMEMBER", self.key), (self.key,), readonly=True)
            if member is not None:
                self._dec(member)
        if member is None:
            reply = yield Call(("SPOP", self.key), (self.key,))
        else:
            reply = yield run_script(_POP, [self.key], [member])
        if reply is None:
            raise KeyError("pop from an empty set")
        try:
            return self._dec(reply)
        except DecodeError as exc:
            return (yield from put_back(
                exc, reply, Call(("SADD", self.key, reply), (self.key,)), self.key, tx))

    @op
    def clear(self) -> Op[None]:
        """Remove every member (DEL); one round trip."""
        yield Call(("DEL", self.key), (self.key,))

    def _store(self, how: str, others: tuple[Any, ...]) -> Operation:
        keys, groups = yield from self._operands(others)
        members: set[bytes]
        if how in ("or", "sub"):
            members = {m for g in groups for m in g}
        else:  # 'and' / 'xor': the intersection of the plain groups / the single other group
            members = set(groups[0]) if groups else set()
            for g in groups[1:]:
                members.intersection_update(g)
        if how in ("or", "sub") and not keys and not members:
            return None
        if how == "and" and not keys and not groups:
            return None
        yield run_script(_STORE, [self.key, *keys], [how, "1" if groups else "0", *members])
        return None

    @op
    def update(self, *others: Iterable[Any]) -> Op[None]:
        """Add the members of every iterable (``|=``); one script (SADD + SUNIONSTORE for Sets in
        the same slot), atomic; one more round trip per Set in another slot."""
        return (yield from self._store("or", others))

    @op
    def intersection_update(self, *others: Iterable[Any]) -> Op[None]:
        """Keep only members found in every iterable (``&=``); one script (SINTERSTORE for Sets
        in the same slot), atomic; one more round trip per Set in another slot."""
        return (yield from self._store("and", others))

    @op
    def difference_update(self, *others: Iterable[Any]) -> Op[None]:
        """Remove the members of every iterable (``-=``); one script (SREM + SDIFFSTORE), atomic;
        one more round trip per Set in another slot."""
        return (yield from self._store("sub", others))

    @op
    def symmetric_difference_update(self, other: Iterable[Any]) -> Op[None]:
        """Toggle the members of ``other`` (``^=``); one script, atomic; one more round trip if
        ``other`` is a Set in another slot."""
        return (yield from self._store("xor", (other,)))

    @op
    def set_value(self, members: Iterable[Any]) -> Op[None]:
        """Replace every member atomically (one script)."""
        yield run_script(_REPLACE, [self.key], self._encode_all(members))


def _setlike(other: Any) -> bool:
    return isinstance(other, (set, frozenset, SetBase))


class Set(SetBase[T], SyncFace):
    """Python's ``set`` stored in the Redis set at ``key``.

    ``Set({"a", "b"}, key="tags")`` is the Redis set ``tags`` (``SMEMBERS tags`` shows it).
    ``initial`` is written only if the key does not exist yet.  Operators ``| & - ^`` return
    plain sets; ``|= &= -= ^=`` mutate atomically; comparisons work with ``set``, ``frozenset``
    and other Sets (one round trip).  Iteration reads SSCAN pages of ~10,000 members (one round trip
    for up to ~10,000); members present for the whole iteration are yielded exactly once,
    others may or may not be (SSCAN's guarantee).
    """

    __hash__: ClassVar[None] = None  # type: ignore[assignment]

    if TYPE_CHECKING:
        def __len__(self) -> int: ...
        def __contains__(self, member: object) -> bool: ...
    else:
        __len__ = SetBase.len
        __contains__ = SetBase.contains

    def __iter__(self) -> Iterator[Any]:
        return self._iterate(self._chunk)

    def __bool__(self) -> bool:
        """Non-empty (SCARD); one round trip."""
        return bool(self.len())

    @property
    def value(self) -> set[Any]:
        """The members as a plain set (one round trip); assigning replaces them atomically."""
        return self.copy()  # type: ignore[no-any-return]

    @value.setter
    def value(self, members: Iterable[Any]) -> None:
        self.set_value(members)

    def __copy__(self) -> set[Any]:
        return self.copy()  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        """``set``'s repr of the members, ``{1, 2}`` or ``set()`` (one round trip).  The key is
        not shown (Python's set tests pin this form): it is ``s.key``."""
        return repr(self.copy())

    # -- operators returning plain sets ----------------------------------------------------------
    def __or__(self, other: Any) -> Any:
        return self.union(other) if _setlike(other) else NotImplemented

    def __and__(self, other: Any) -> Any:
        return self.intersection(other) if _setlike(other) else NotImplemented

    def __sub__(self, other: Any) -> Any:
        return self.difference(other) if _setlike(other) else NotImplemented

    def __xor__(self, other: Any) -> Any:
        return self.symmetric_difference(other) if _setlike(other) else NotImplemented

    # reflected: ``frozenset | Set`` keeps the left operand's type, like Python
    def __ror__(self, other: Any) -> Any:
        return other | self.copy() if _setlike(other) else NotImplemented

    def __rand__(self, other: Any) -> Any:
        return other & self.copy() if _setlike(other) else NotImplemented

    def __rsub__(self, other: Any) -> Any:
        return other - self.copy() if _setlike(other) else NotImplemented

    def __rxor__(self, other: Any) -> Any:
        return other ^ self.copy() if _setlike(other) else NotImplemented

    # -- in place, atomic ------------------------------------------------------------------------
    def __ior__(self, other: Any) -> Any:
        if not _setlike(other):
            return NotImplemented
        self.update(other)
        return self

    def __iand__(self, other: Any) -> Any:
        if not _setlike(other):
            return NotImplemented
        self.intersection_update(other)
        return self

    def __isub__(self, other: Any) -> Any:
        if not _setlike(other):
            return NotImplemented
        self.difference_update(other)
        return self

    def __ixor__(self, other: Any) -> Any:
        if not _setlike(other):
            return NotImplemented
        self.symmetric_difference_update(other)
        return self

    # -- comparisons (one round trip each) ------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not _setlike(other):
            return NotImplemented
        return bool(self.equals(cast(Iterable[Any], other)))

    def __ne__(self, other: object) -> bool:
        if not _setlike(other):
            return NotImplemented
        return not self.equals(cast(Iterable[Any], other))

    def __le__(self, other: Any) -> bool:
        if not _setlike(other):
            return NotImplemented
        return bool(self.issubset(other))

    def __lt__(self, other: Any) -> bool:
        if not _setlike(other):
            return NotImplemented
        mine, theirs, common = self._relation(other)
        return bool(common == mine and mine < theirs)

    def __ge__(self, other: Any) -> bool:
        if not _setlike(other):
            return NotImplemented
        return bool(self.issuperset(other))

    def __gt__(self, other: Any) -> bool:
        if not _setlike(other):
            return NotImplemented
        mine, theirs, common = self._relation(other)
        return bool(common == theirs and mine > theirs)


collections.abc.MutableSet.register(Set)


class AsyncSet(SetBase[T], AsyncFace):
    """The asyncio face of :class:`Set`: ``await s.add(x)``, ``await s.contains(x)``,
    ``await s.len()``, ``await s.union(other)``, ``async for x in s``."""

    def __aiter__(self) -> Any:
        return self._aiterate(self._chunk)
