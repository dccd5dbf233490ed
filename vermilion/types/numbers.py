"""``Int`` and ``Float``: a Python number stored as a raw Redis string.

Values are stored as plain decimal text (not through the codec) so ``INCRBY``, ``GET`` and other
languages work on them; a missing key reads as ``0`` / ``0.0``, like a fresh ``int()``.

* ``Int`` holds any Python ``int``.  ``+=`` / ``-=`` are one ``INCRBY``; ``*=``, ``//=``, ``%=``,
  ``**=``, ``<<=``, ``>>=``, ``&=``, ``|=``, ``^=`` are one Lua script computing exactly while
  every value fits in 53 bits.  Beyond that (Lua numbers are doubles, ``INCRBY`` stops at 64
  bits) the operation finishes in Python with a compare-and-set script: one more round trip,
  still atomic, and exact for integers of any size.  ``/=`` raises TypeError (an ``Int`` cannot
  hold a float), as does ``**=`` with a negative exponent.
* ``Float`` holds a Python ``float`` exactly: the stored text parses back to the same double
  (``inf``, ``-inf`` and ``nan`` are stored as those words; Redis' own ``INCRBYFLOAT`` rejects
  them).  ``+=``, ``-=``, ``*=``, ``/=``, ``//=``, ``%=`` are one Lua script doing IEEE double
  arithmetic exactly as CPython does (``INCRBYFLOAT`` is not used: it computes in long double
  from the decimal text, so ``0.1 + 0.2`` would give ``0.3`` instead of Python's
  ``0.30000000000000004``).  ``**=`` reads, computes with Python's ``pow`` (its errors and
  special cases included) and writes with a compare-and-set: two round trips, atomic.

Arithmetic with plain operators (``i + 1``, ``f < 2``, ``int(i)``) reads the value once and
returns plain Python numbers.  Both types are unhashable (their value changes).
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable
from typing import Any, ClassVar

from redis.exceptions import ResponseError

from ..core.base import AsyncFace, RedisObject, SyncFace, op
from ..core.calls import Call, Op, Operation, run_script
from ..core.errors import DecodeError
from ..core.scripts import load_script
from ._container import CAS_ATTEMPTS, cas_exhausted

_SET = load_script("string_set")
_CAS = load_script("string_cas")
_INT_OP = load_script("number_int_op")
_FLOAT_OP = load_script("number_float_op")

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "truediv": operator.truediv, "floordiv": operator.floordiv, "mod": operator.mod,
    "pow": operator.pow, "lshift": operator.lshift, "rshift": operator.rshift,
    "and": operator.and_, "or": operator.or_, "xor": operator.xor,
}
_SYMBOLS = {
    "add": "+", "sub": "-", "mul": "*", "truediv": "/", "floordiv": "//", "mod": "%",
    "pow": "**", "lshift": "<<", "rshift": ">>", "and": "&", "or": "|", "xor": "^",
}


class NumberBase(RedisObject):
    """What :class:`Int` and :class:`Float` share (written once for both faces)."""

    _kind: ClassVar[str] = "number"
    _script: ClassVar[Any] = None
    _lua_ops: ClassVar[frozenset[str]] = frozenset()

    # -- conversions (overridden) ------------------------------------------------------------
    def _parse(self, raw: Any) -> Any:
        raise NotImplementedError

    def _format(self, value: Any) -> bytes:
        raise NotImplementedError

    def _coerce(self, value: Any) -> Any:
        """The value to store for ``value`` (TypeError for what this type cannot hold)."""
        raise NotImplementedError

    def _operand(self, name: str, other: Any) -> Any:
        raise NotImplementedError

    def _result(self, name: str, value: Any) -> Any:
        return self._coerce(value)

    def _bad_raw(self, raw: Any) -> DecodeError:
        return DecodeError(f"key {self.key!r} holds {bytes(raw)[:40]!r}, not a {self._kind}",
                           key=self.key)

    def _init_op(self, initial: Any) -> Operation:
        yield run_script(_SET, [self.key], [self._format(self._coerce(initial)), "nx"])

    # -- operations --------------------------------------------------------------------------
    @op
    def get(self) -> Op[Any]:
        """The value (GET; ``0`` / ``0.0`` if the key is missing); one round trip."""
        return self._parse((yield Call(("GET", self.key), (self.key,), readonly=True)))

    @op
    def set(self, value: Any) -> Op[None]:
        """Replace the value (one script: SET, refusing a key of another Redis type); atomic."""
        yield run_script(_SET, [self.key], [self._format(self._coerce(value)), ""])

    def _cas_loop(self, raw: Any, fn: Callable[[Any], Any], name: str) -> Operation:
        """Compute ``fn(value)`` in Python and write it if the value is still ``raw``; on a
        concurrent change, again from the value the script returned, at most ``CAS_ATTEMPTS``
        (100) times, then :class:`~vermilion.TransactionConflict` (nothing written)."""
        for _ in range(CAS_ATTEMPTS):
            new = self._result(name, fn(self._parse(raw)))
            reply = yield run_script(
                _CAS, [self.key],
                ["0" if raw is None else "1", b"" if raw is None else raw, self._format(new)],
            )
            if reply[0] == 1:
                return new
            raw = reply[1]
        raise cas_exhausted(self, name)

    @op
    def apply(self, name: str, other: Any) -> Op[Any]:
        """In-place ``value <name>= other`` (``name`` as in :mod:`operator`: ``"mul"``,
        ``"floordiv"``...); returns the new value.  One script when it can compute exactly in
        Redis, else one more round trip (compare-and-set); atomic either way."""
        if name not in _OPS:
            raise ValueError(f"unknown operation {name!r}")
        b = self._operand(name, other)
        if name in self._lua_ops:
            reply = yield run_script(self._script, [self.key], [name, self._format(b)])
            if reply[0] == 1:
                return self._parse(reply[1])
            raw = reply[1]
        else:
            raw = yield Call(("GET", self.key), (self.key,), readonly=True)
        return (yield from self._cas_loop(raw, lambda v: _OPS[name](v, b), name))


def _zero_check(name: str, b: Any, zero: Any) -> None:
    if name in ("truediv", "floordiv", "mod") and b == 0:
        _OPS[name](zero, b)  # raises the ZeroDivisionError Python raises


class IntBase(NumberBase):
    """Operations of :class:`Int`."""

    type_name = "Int"
    _kind = "integer"
    _script = _INT_OP
    _lua_ops = frozenset({"mul", "floordiv", "mod", "pow", "lshift", "rshift", "and", "or", "xor"})

    def _parse(self, raw: Any) -> int:
        if raw is None:
            return 0
        try:
            return int(raw)
        except ValueError:
            raise self._bad_raw(raw) from None

    def _format(self, value: Any) -> bytes:
        return str(value).encode()

    def _coerce(self, value: Any) -> int:
        if isinstance(value, float) or not hasattr(type(value), "__index__"):
            raise TypeError(f"an Int stores integers, not {type(value).__name__}")
        return operator.index(value)

    def _operand(self, name: str, other: Any) -> int:
        sym = _SYMBOLS[name]
        if isinstance(other, (float, complex)) or name == "truediv":
            raise TypeError(f"an Int stores integers: Int {sym}= {type(other).__name__} would not "
                            "give an int (use Float)")
        if not hasattr(type(other), "__index__"):
            raise TypeError(f"unsupported operand type(s) for {sym}=: 'Int' and "
                            f"'{type(other).__name__}'")
        b = operator.index(other)
        _zero_check(name, b, 0)
        if name == "pow" and b < 0:
            raise TypeError("an Int stores integers: Int **= a negative exponent would give a "
                            "float (use Float)")
        if name in ("lshift", "rshift") and b < 0:
            raise ValueError("negative shift count")
        return b

    @op
    def incr(self, amount: Any = 1) -> Op[int]:
        """Add ``amount`` and return the new value: one INCRBY, atomic.  Outside Redis' 64-bit
        range it reads and compare-and-sets (two or three round trips, still atomic, exact)."""
        n = self._operand("add", amount)
        try:
            return (yield Call(("INCRBY", self.key, n), (self.key,)))
        except ResponseError as exc:
            if "out of range" not in str(exc) and "overflow" not in str(exc):
                raise
        raw = yield Call(("GET", self.key), (self.key,), readonly=True)
        return (yield from self._cas_loop(raw, lambda v: v + n, "add"))

    def decr(self, amount: Any = 1) -> Any:
        """Subtract ``amount`` and return the new value (see :meth:`incr`)."""
        return self.incr(-self._operand("sub", amount))


class FloatBase(NumberBase):
    """Operations of :class:`Float`."""

    type_name = "Float"
    _kind = "float"
    _script = _FLOAT_OP
    _lua_ops = frozenset({"add", "sub", "mul", "truediv", "floordiv", "mod"})

    def _parse(self, raw: Any) -> float:
        if raw is None:
            return 0.0
        try:
            return float(raw)
        except ValueError:
            raise self._bad_raw(raw) from None

    def _format(self, value: Any) -> bytes:
        return repr(float(value)).encode()

    def _coerce(self, value: Any) -> float:
        if isinstance(value, (str, bytes, complex)) or not isinstance(value, numbers.Real):
            raise TypeError(f"a Float stores real numbers, not {type(value).__name__}")
        return float(value)

    def _result(self, name: str, value: Any) -> float:
        if isinstance(value, complex):
            raise TypeError(f"Float {_SYMBOLS[name]}= would give a complex number")
        return float(value)

    def _operand(self, name: str, other: Any) -> float:
        if name in ("lshift", "rshift", "and", "or", "xor") or isinstance(other, complex) or \
                not isinstance(other, numbers.Real):
            raise TypeError(f"unsupported operand type(s) for {_SYMBOLS[name]}=: 'Float' and "
                            f"'{type(other).__name__}'")
        b = float(other)  # OverflowError for huge ints, as float + int raises
        _zero_check(name, b, 0.0)
        return b

    def incr(self, amount: Any = 1.0) -> Any:
        """Add ``amount`` (IEEE double addition, exactly as Python) and return the new value;
        one script, atomic."""
        return self.apply("add", amount)

    def decr(self, amount: Any = 1.0) -> Any:
        """Subtract ``amount`` and return the new value; one script, atomic."""
        return self.apply("sub", amount)


def _inplace(name: str) -> Any:
    def method(self: NumberBase, other: Any) -> Any:
        return self.apply(name, other)

    method.__name__ = method.__qualname__ = f"i{name}"
    method.__doc__ = (f"``value {_SYMBOLS[name]}= other`` atomically; returns the new value "
                      "(see :meth:`apply` for round trips).")
    return method


for _n in ("mul", "floordiv", "mod", "pow", "lshift", "rshift", "and", "or", "xor"):
    setattr(IntBase, f"i{_n}", _inplace(_n))
for _n in ("mul", "truediv", "floordiv", "mod", "pow"):
    setattr(FloatBase, f"i{_n}", _inplace(_n))


# -- sync faces ---------------------------------------------------------------------------------
def _plain(other: Any) -> Any:
    return other.get() if isinstance(other, NumberBase) and isinstance(other, SyncFace) else other


def _is_number(other: Any) -> bool:
    return isinstance(other, numbers.Number) or (
        isinstance(other, NumberBase) and isinstance(other, SyncFace))


def _binary(fn: Callable[[Any, Any], Any], reflected: bool) -> Any:
    def method(self: Any, other: Any) -> Any:
        if not _is_number(other):
            return NotImplemented
        if reflected:
            return fn(_plain(other), self.get())
        return fn(self.get(), _plain(other))

    return method


def _inplace_dunder(name: str) -> Any:
    def method(self: Any, other: Any) -> Any:
        self.apply(name, _plain(other))
        return self

    return method


class _SyncNumberFace(SyncFace):
    """Numeric protocol shared by :class:`Int` and :class:`Float` (each reads the value once)."""

    __hash__: ClassVar[None] = None  # type: ignore[assignment]

    get: Any
    set: Any
    apply: Any
    incr: Any
    decr: Any
    type_name: ClassVar[str]

    @property
    def value(self) -> Any:
        """The value (one round trip); assigning replaces it atomically."""
        return self.get()

    @value.setter
    def value(self, value: Any) -> None:
        self.set(_plain(value))

    def __iadd__(self, other: Any) -> Any:
        self.incr(_plain(other))
        return self

    def __isub__(self, other: Any) -> Any:
        self.decr(_plain(other))
        return self

    def __int__(self) -> int:
        return int(self.get())

    def __float__(self) -> float:
        return float(self.get())

    def __complex__(self) -> complex:
        return complex(self.get())

    def __bool__(self) -> bool:
        return bool(self.get())

    def __neg__(self) -> Any:
        return -self.get()

    def __pos__(self) -> Any:
        return +self.get()

    def __abs__(self) -> Any:
        return abs(self.get())

    def __round__(self, ndigits: int | None = None) -> Any:
        return round(self.get(), ndigits)

    def __trunc__(self) -> int:
        return math.trunc(self.get())

    def __floor__(self) -> int:
        return math.floor(self.get())

    def __ceil__(self) -> int:
        return math.ceil(self.get())

    def __pow__(self, other: Any, mod: Any = None) -> Any:
        if not _is_number(other):
            return NotImplemented
        return pow(self.get(), _plain(other), mod)

    def __rpow__(self, other: Any, mod: Any = None) -> Any:
        if not _is_number(other):
            return NotImplemented
        return pow(_plain(other), self.get(), mod)

    def __str__(self) -> str:
        return str(self.get())

    def __format__(self, spec: str) -> str:
        return format(self.get(), spec)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get()!r}, key={self.key!r})"


for _n, _fn in (("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
                ("truediv", operator.truediv), ("floordiv", operator.floordiv),
                ("mod", operator.mod), ("divmod", divmod), ("lt", operator.lt),
                ("le", operator.le), ("gt", operator.gt), ("ge", operator.ge),
                ("eq", operator.eq), ("ne", operator.ne)):
    setattr(_SyncNumberFace, f"__{_n}__", _binary(_fn, False))
    if _n not in ("lt", "le", "gt", "ge", "eq", "ne"):
        setattr(_SyncNumberFace, f"__r{_n}__", _binary(_fn, True))


class Int(IntBase, _SyncNumberFace):
    """A Python ``int`` stored as the raw Redis integer string at ``key``.

    ``Int(5, key="hits")`` writes ``5`` only if ``hits`` does not exist; ``i += 1`` is one
    ``INCRBY``; ``i *= 3``, ``i //= 2``, ``i **= 2``, ``i <<= 1``, ``i &= m``... are one atomic
    script (exact for any size: see the module docstring).  ``i + 1``, ``i < 5``, ``int(i)``,
    ``hex(i)``, ``lst[i]`` read the value once and give plain ints.  ``await``-able twin:
    :class:`AsyncInt`.
    """

    def __index__(self) -> int:
        return self.get()  # type: ignore[no-any-return]

    def __invert__(self) -> int:
        return ~self.get()  # type: ignore[no-any-return]


for _n, _fn in (("lshift", operator.lshift), ("rshift", operator.rshift),
                ("and", operator.and_), ("or", operator.or_), ("xor", operator.xor)):
    setattr(Int, f"__{_n}__", _binary(_fn, False))
    setattr(Int, f"__r{_n}__", _binary(_fn, True))
for _n in ("mul", "floordiv", "mod", "pow", "lshift", "rshift", "and", "or", "xor", "truediv"):
    setattr(Int, f"__i{_n}__", _inplace_dunder(_n))


class Float(FloatBase, _SyncNumberFace):
    """A Python ``float`` stored as raw Redis text at ``key`` (exact round trip, ``inf`` and
    ``nan`` included).

    ``f += 0.5``, ``f *= 2``, ``f /= 3``, ``f //= 1``, ``f %= 1`` are one atomic script with
    CPython's exact float semantics; ``f **= 2`` is two round trips (compare-and-set).  Plain
    operators read the value once and give plain floats.  ``await``-able twin:
    :class:`AsyncFloat`.
    """

    def is_integer(self) -> bool:
        return self.get().is_integer()  # type: ignore[no-any-return]


for _n in ("mul", "truediv", "floordiv", "mod", "pow"):
    setattr(Float, f"__i{_n}__", _inplace_dunder(_n))


class AsyncInt(IntBase, AsyncFace):
    """The asyncio face of :class:`Int`: ``await i.get()``, ``await i.set(5)``,
    ``await i.incr(5)``, ``await i.decr()``, ``await i.imul(3)``, ``await i.ifloordiv(2)``,
    ``await i.ipow(2)``... (each returns the new value)."""


class AsyncFloat(FloatBase, AsyncFace):
    """The asyncio face of :class:`Float`: ``await f.get()``, ``await f.set(1.5)``,
    ``await f.incr(0.5)``, ``await f.imul(2)``, ``await f.itruediv(3)``... (each returns the new
    value)."""
