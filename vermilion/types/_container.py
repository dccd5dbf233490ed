"""Shared helpers for container types: index checks, slice arguments, tombstones."""

from __future__ import annotations

import operator
import secrets
from typing import Any

from ..core import runner
from ..core.calls import Call, Operation
from ..core.errors import DecodeError

BIG_CHUNK = 10_000  # items per LRANGE while iterating
SCAN_COUNT = 10_000  # SSCAN / HSCAN COUNT: up to ~10,000 members come back in one reply

TOMBSTONE_PREFIX = b"\x00vermilion-tombstone:"


def tombstone() -> bytes:
    """A value no codec produces, used to delete list items by position in one script."""
    return TOMBSTONE_PREFIX + secrets.token_bytes(12)


def in_transaction(obj: Any) -> bool:
    """``obj``'s operations are being queued in a :func:`vermilion.transaction` of its face."""
    var = runner._sync_tx if obj._face == "sync" else runner._async_tx
    return var.get() is not None


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
             ) -> Operation:
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
    """Raise the TypeError Python raises for an unhashable set member or dict key."""
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"unhashable type: '{type(value).__name__}'") from None


def list_chunk(key: str, start: int | None) -> Operation:
    """Raw items of one iteration chunk of the list at ``key`` and the next start (or ``None``).

    Each LRANGE asks for one item more than it yields, so a list of up to 10,000 items is read in
    one round trip and a longer one in one more per 10,000 items.
    """
    start = start or 0
    items = yield Call(("LRANGE", key, start, start + BIG_CHUNK), (key,), readonly=True)
    if len(items) > BIG_CHUNK:
        return items[:BIG_CHUNK], start + BIG_CHUNK
    return items, None


def scan_call(key: str, kind: str, cursor: Any) -> Call:
    """The call reading one chunk of a set (``kind='set'``) or hash (``'hash'``): SSCAN / HSCAN
    with COUNT 10,000, which returns a collection of up to ~10,000 members in one reply."""
    cmd = "SSCAN" if kind == "set" else "HSCAN"
    return Call((cmd, key, cursor or 0, "COUNT", SCAN_COUNT), (key,), readonly=True)


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

    __hash__ = None  # type: ignore[assignment]
