"""``String`` and ``ImmutableString``: Python's ``str`` stored as a raw UTF-8 Redis string.

The value is stored verbatim (not through the codec), so ``GET``, ``APPEND`` and other languages
see ordinary text.  Positions and lengths count code points, like ``str``: ``len()`` of
``"héllo"`` is 5 although ``STRLEN`` says 6.  A missing key reads as ``""``.

``String`` is mutable (as in hot-redis): the ``str`` methods that build a transformed copy of
the string (``upper``, ``replace``, ``strip``, ``center``...) instead **replace the stored value**
and return ``None``; ``+=`` appends, ``*=`` repeats, ``s[i] = x``, ``s[a:b] = x`` and
``del s[i]`` edit it.  Methods that answer questions (``find``, ``split``, ``startswith``...) and
the builders ``join``, ``format`` and ``format_map`` return plain values and change nothing.

``ImmutableString`` behaves like ``str``: every method returns a plain result and nothing changes
the stored value except assigning ``.value``; ``s += "x"`` rebinds ``s`` to a plain ``str``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, overload

from ..core.base import AsyncFace, RedisObject, SyncFace, op
from ..core.calls import Call, Op, Operation, run_script
from ..core.errors import DecodeError
from ..core.scripts import load_script
from ._container import CAS_ATTEMPTS, SnapshotComparisons, as_index, cas_exhausted, slice_args

_T = TypeVar("_T")

_SET = load_script("string_set")
_CAS = load_script("string_cas")
_LEN = load_script("string_len")
_CONTAINS = load_script("string_contains")
_GETITEM = load_script("string_getitem")
_SETITEM = load_script("string_setitem")
_IMUL = load_script("string_imul")

TRANSFORMS = (
    "capitalize", "casefold", "center", "expandtabs", "ljust", "lower", "lstrip",
    "removeprefix", "removesuffix", "replace", "rjust", "rstrip", "strip", "swapcase", "title",
    "translate", "upper", "zfill",
)
"""``str`` methods that return a transformed copy: on :class:`String` they mutate instead."""

QUERIES = (
    "count", "encode", "endswith", "find", "format", "format_map", "index", "isalnum",
    "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric",
    "isprintable", "isspace", "istitle", "isupper", "join", "partition", "rfind", "rindex",
    "rpartition", "rsplit", "split", "splitlines", "startswith",
)
"""``str`` methods that return plain values on both types."""


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"a String stores str values, not {type(value).__name__}")
    return value


class StringBase(RedisObject):
    """Operations shared by :class:`String`, :class:`ImmutableString` and their async faces."""

    type_name = "String"
    if TYPE_CHECKING:
        @staticmethod
        @overload
        def maketrans(x: dict[int, _T] | dict[str, _T] | dict[str | int, _T], /) -> dict[int, _T]: ...
        @staticmethod
        @overload
        def maketrans(x: str, y: str, /) -> dict[int, int]: ...
        @staticmethod
        @overload
        def maketrans(x: str, y: str, z: str, /) -> dict[int, int | None]: ...
        @staticmethod
        def maketrans(x: Any, y: str = ..., z: str = ..., /) -> dict[int, Any]: ...
    else:
        maketrans = staticmethod(str.maketrans)

    def _init_op(self, initial: Any) -> Operation:
        yield run_script(_SET, [self.key], [_text(initial).encode(), "nx"])

    def _decode(self, raw: Any) -> str:
        if raw is None:
            return ""
        try:
            return bytes(raw).decode()
        except UnicodeDecodeError as exc:
            raise self._not_utf8(raw) from exc

    def _not_utf8(self, raw: Any = None) -> DecodeError:
        """The DecodeError for a value that is not UTF-8 (``raw``: its bytes, if read).  Scripts
        working by code point (``len``, indexing, item assignment) check the whole value and
        answer with a sentinel instead of counting the bytes of something that is not text."""
        shown = "" if raw is None else f": {bytes(raw)[:40]!r}"
        return DecodeError(f"key {self.key!r} holds bytes that are not UTF-8{shown}", key=self.key)

    def _get(self) -> Call:
        return Call(("GET", self.key), (self.key,), readonly=True)

    # -- reading -----------------------------------------------------------------------------
    @op
    def get(self) -> Op[str]:
        """The value as a plain ``str`` (GET; ``""`` if the key is missing); one round trip."""
        return self._decode((yield self._get()))

    @op
    def len(self) -> Op[int]:
        """Number of code points (one script: STRLEN would count UTF-8 bytes); one round trip.
        DecodeError if the value is not UTF-8."""
        n = yield run_script(_LEN, [self.key], readonly=True)
        if n < 0:
            raise self._not_utf8()
        return n

    @op
    def contains(self, sub: Any) -> Op[bool]:
        """``sub in s`` (one script, searched in Redis); TypeError like ``str``; one round trip."""
        if not isinstance(sub, str):
            raise TypeError(
                f"'in <string>' requires string as left operand, not {type(sub).__name__}")
        return bool((yield run_script(_CONTAINS, [self.key], [sub.encode()], readonly=True)))

    @op
    def getitem(self, index: int | slice) -> Op[str]:
        """``s[i]`` or ``s[start:stop:step]`` by code point (one script); IndexError / TypeError
        like ``str``; returns a plain ``str``; one round trip.  DecodeError if the value is not
        UTF-8 (the script checks the whole value, not only the part returned)."""
        if isinstance(index, slice):
            start, stop, step = slice_args(index)
            sub = yield run_script(_GETITEM, [self.key], ["s", start, stop, step], readonly=True)
            if isinstance(sub, list):
                raise self._not_utf8()
            text = self._decode(sub)
            return text if step == 1 else text[::step]
        try:
            i = as_index(index)
        except TypeError:
            raise TypeError(f"string indices must be integers, not '{type(index).__name__}'") from None
        reply = yield run_script(_GETITEM, [self.key], ["i", i], readonly=True)
        if reply is None:
            raise IndexError("string index out of range")
        if isinstance(reply, list):
            raise self._not_utf8()
        return self._decode(reply)

    @op
    def query(self, name: str, *args: Any, **kwargs: Any) -> Op[Any]:
        """Run the ``str`` method ``name`` on the value read once (GET); one round trip."""
        value = self._decode((yield self._get()))
        return getattr(value, name)(*args, **kwargs)

    def _chunk(self, cursor: Any) -> Operation:
        return list(self._decode((yield self._get()))), None

    # -- writing -----------------------------------------------------------------------------
    @op
    def set(self, value: str) -> Op[None]:
        """Replace the value (one script: SET, refusing a key of another Redis type); atomic."""
        yield run_script(_SET, [self.key], [_text(value).encode(), ""])


class MutableStringBase(StringBase):
    """Mutations of :class:`String` (written once for both faces)."""

    @op
    def append(self, value: str) -> Op[None]:
        """``s += value`` (APPEND); one round trip, atomic."""
        if not isinstance(value, str):
            raise TypeError(f'can only concatenate str (not "{type(value).__name__}") to str')
        if value:
            yield Call(("APPEND", self.key, value.encode()), (self.key,))

    @op
    def imul(self, n: int) -> Op[None]:
        """``s *= n`` (one script); one round trip, atomic."""
        try:
            count = as_index(n)
        except TypeError:
            raise TypeError(f"can't multiply sequence by non-int of type '{type(n).__name__}'") \
                from None
        yield run_script(_IMUL, [self.key], [count])

    @op
    def setitem(self, index: int | slice, value: str) -> Op[None]:
        """``s[i] = x`` / ``s[a:b:c] = x``: edit by code point as if ``s`` were a list of
        characters (extended slices need as many characters as positions: ValueError); one
        script, atomic.  DecodeError (nothing written) if the stored value is not UTF-8."""
        value = _text(value)
        if isinstance(index, slice):
            args: list[Any] = ["s", *slice_args(index), value.encode()]
        else:
            args = ["i", as_index(index, "string"), value.encode()]
        if (yield run_script(_SETITEM, [self.key], args)) == -1:
            raise self._not_utf8()

    @op
    def delitem(self, index: int | slice) -> Op[None]:
        """``del s[i]`` / ``del s[a:b:c]`` by code point; one script, atomic.  DecodeError
        (nothing written) if the stored value is not UTF-8."""
        if isinstance(index, slice):
            args: list[Any] = ["ds", *slice_args(index)]
        else:
            args = ["di", as_index(index, "string")]
        if (yield run_script(_SETITEM, [self.key], args)) == -1:
            raise self._not_utf8()

    @op
    def transform(self, name: str, *args: Any, **kwargs: Any) -> Op[Any]:
        """Replace the value by ``value.<name>(*args, **kwargs)`` (``upper``, ``replace``...).

        Atomic, optimistic: the value is read (GET), transformed with Python's own ``str``
        method (so Unicode rules are exactly Python's) and written back by a compare-and-set
        script that only writes if the value is unchanged; on a concurrent change it retries
        from the value the script returned, at most ``CAS_ATTEMPTS`` (100) times, then raises
        :class:`~vermilion.TransactionConflict` (nothing written).  Two round trips (one if
        nothing changes).
        """
        raw = yield self._get()
        for _ in range(CAS_ATTEMPTS):
            current = self._decode(raw)
            new = getattr(current, name)(*args, **kwargs)
            if new == current:
                return None
            reply = yield run_script(
                _CAS, [self.key],
                ["0" if raw is None else "1", b"" if raw is None else raw, new.encode()],
            )
            if reply[0] == 1:
                return None
            raw = reply[1]
        raise cas_exhausted(self, name)


def _make_query(name: str) -> Any:
    def method(self: StringBase, *args: Any, **kwargs: Any) -> Any:
        return self.query(name, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"``str.{name}`` on the value read once; returns a plain result; "
                      "one round trip.\n\n" + (getattr(str, name).__doc__ or ""))
    return method


def _make_transform(name: str) -> Any:
    def method(self: MutableStringBase, *args: Any, **kwargs: Any) -> Any:
        return self.transform(name, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (
        f"Mutates and returns ``None``: replaces the stored value by ``value.{name}(...)`` (the "
        f"mutating counterpart of ``str.{name}``, which returns a new string instead; use "
        f"``s.value.{name}(...)`` or an ImmutableString for that).  Atomic compare-and-set: two "
        f"round trips (one if nothing changes).\n\n``str.{name}``: "
        + (getattr(str, name).__doc__ or "")
    )
    return method


def _make_copying(name: str) -> Any:
    def method(self: StringBase, *args: Any, **kwargs: Any) -> Any:
        return self.query(name, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"``str.{name}``: a plain ``str`` built from the value read once; the "
                      "stored value is unchanged; one round trip.")
    return method


for _name in QUERIES:
    setattr(StringBase, _name, _make_query(_name))
for _name in TRANSFORMS:
    setattr(MutableStringBase, _name, _make_transform(_name))
    setattr(StringBase, _name, _make_copying(_name))


def _plain(other: Any) -> Any:
    return other.get() if isinstance(other, StringBase) else other


class _SyncStringFace(SnapshotComparisons, SyncFace):
    """Dunders shared by the sync ``String`` and ``ImmutableString``."""

    __hash__: ClassVar[None] = None  # type: ignore[assignment]

    get: Any
    len: Any
    contains: Any
    getitem: Any
    query: Any
    set: Any
    _chunk: Any

    def __str__(self) -> str:
        return self.get()  # type: ignore[no-any-return]

    def __len__(self) -> int:
        return self.len()  # type: ignore[no-any-return]

    def __bool__(self) -> bool:
        return bool(self.len())

    def __contains__(self, sub: Any) -> bool:
        return self.contains(_plain(sub))  # type: ignore[no-any-return]

    def __getitem__(self, index: int | slice) -> str:
        return self.getitem(index)  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[str]:
        """Iterates the characters of the value read once (one round trip)."""
        return iter(self.get())

    def __reversed__(self) -> Iterator[str]:
        return reversed(self.get())

    @property
    def value(self) -> str:
        """The value as a plain ``str`` (one round trip); assigning replaces it atomically."""
        return self.get()  # type: ignore[no-any-return]

    @value.setter
    def value(self, value: str) -> None:
        self.set(_plain(value))

    def __add__(self, other: Any) -> Any:
        if not isinstance(other, (str, StringBase)):
            return NotImplemented
        return self.get() + _plain(other)  # type: ignore[no-any-return]

    def __radd__(self, other: Any) -> str:
        if not isinstance(other, str):
            return NotImplemented
        return other + self.get()  # type: ignore[no-any-return]

    def __mul__(self, n: Any) -> Any:
        return self.get() * n  # type: ignore[no-any-return]

    __rmul__ = __mul__

    def __mod__(self, args: Any) -> str:
        return self.get() % args  # type: ignore[no-any-return]

    def __format__(self, spec: str) -> str:
        return format(self.get(), spec)

    def _cmp(self, other: Any) -> Any:
        if isinstance(other, (str, StringBase)):
            return self.get(), _plain(other)
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get()!r}, key={self.key!r})"  # type: ignore[attr-defined]


class String(MutableStringBase, _SyncStringFace):
    """A mutable ``str`` stored as the raw UTF-8 Redis string at ``key``.

    ``String("hi", key="greeting")`` is ``GET greeting`` -> ``hi`` (``initial`` is written only if
    the key does not exist).  Transforming ``str`` methods mutate and return ``None``:
    ``s.upper()`` upper-cases the stored value.  ``s += "x"`` is one APPEND; ``s *= 3``,
    ``s[i] = "x"``, ``del s[a:b]`` are one script each.  ``len``, ``in`` and indexing run in
    Redis by code point (one round trip, no transfer of the whole value); ``str(s)``,
    comparisons, ``+`` and query methods read the value once.  Unhashable (it is mutable).
    """

    def __iadd__(self, other: Any) -> String:
        self.append(_plain(other))
        return self

    def __imul__(self, n: Any) -> String:
        self.imul(n)
        return self

    def __setitem__(self, index: int | slice, value: Any) -> None:
        self.setitem(index, _plain(value))

    def __delitem__(self, index: int | slice) -> None:
        self.delitem(index)


class ImmutableString(StringBase, _SyncStringFace):
    """A ``str`` stored as the raw UTF-8 Redis string at ``key``, behaving like ``str``.

    Every ``str`` method returns a plain result computed from the value read once (one round
    trip); nothing mutates the stored value except assigning ``.value`` (or :meth:`set`).  Like
    with ``str``, ``s += "x"`` rebinds the name ``s`` to a plain ``str`` and Redis is unchanged.
    Unhashable, because ``.value`` can be reassigned.
    """

    type_name = "ImmutableString"


class AsyncString(MutableStringBase, AsyncFace):
    """The asyncio face of :class:`String`: ``await s.get()``, ``await s.set(v)``,
    ``await s.append(x)``, ``await s.upper()`` (mutates), ``await s.find("x")``,
    ``await s.len()``, ``await s[0]``, ``async for ch in s``."""

    if TYPE_CHECKING:
        def __getitem__(self, index: int | slice) -> Awaitable[str]: ...
    else:
        __getitem__ = StringBase.getitem

    def __aiter__(self) -> Any:
        return self._aiterate(self._chunk)


class AsyncImmutableString(StringBase, AsyncFace):
    """The asyncio face of :class:`ImmutableString`: ``await s.get()``, ``await s.upper()``
    (plain ``str``), ``await s.len()``, ``await s[0]``, ``async for ch in s``."""

    type_name = "ImmutableString"
    if TYPE_CHECKING:
        def __getitem__(self, index: int | slice) -> Awaitable[str]: ...
    else:
        __getitem__ = StringBase.getitem

    def __aiter__(self) -> Any:
        return self._aiterate(self._chunk)
