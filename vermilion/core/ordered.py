"""An order-preserving byte encoding of Python values (after FoundationDB's tuple layer).

``encode(x) < encode(y)`` (bytewise, as Redis' ``ZRANGEBYLEX`` and the members of a sorted set
whose scores are equal compare) exactly when ``x < y`` in Python, for:

* numbers: ``int`` of any size, ``float`` (±inf included) and ``bool``, compared by value across
  types, exactly (``2**53 + 1 > 2.0**53``; ``1``, ``1.0`` and ``True`` encode alike);
* ``str`` (by code point) and ``bytes``;
* ``tuple`` and ``list`` of these, element-wise, a shorter prefix first.

Every other value (``None``, ``dict``, ``Decimal``...) is *opaque*: stored by its codec bytes,
equal to itself only.  Two values Python cannot order (``1 < "a"``, ``None < 2``, ``{} < {}``)
differ first at elements of different *families* (number, bytes, str, tuple, list, opaque), or at
two different opaque values inside sequences, or are both opaque (``None < None`` raises, while
``(1, None) < (1, None)`` is ``False``).  :func:`encode` also gives the lexicographic ranges where
such a value would sit, so one ``ZRANGEBYLEX`` per range tells, atomically, whether the value can
be ordered against everything stored (values that can all be compared with each other sort into
contiguous blocks: a conflicting value exists in a range iff one exists at all).

The encoding is prefix-free (no encoding is a prefix of another), so bytes appended after it (a
sequence number, the codec's payload) never change the order.  NaN cannot be ordered: ValueError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

END = 0x00
NUMBER, BYTES, STR, TUPLE, LIST, OPAQUE = 0x20, 0x30, 0x40, 0x50, 0x60, 0x70
_NEG_INF, _NEG, _ZERO, _POS, _POS_INF = 0x01, 0x02, 0x03, 0x04, 0x05
_TERM = b"\x00\x00"  # ends a byte string; a 0x00 inside one is escaped as 0x00 0xFF


def _escaped(data: bytes) -> bytes:
    return data.replace(b"\x00", b"\x00\xff") + _TERM


def _length(n: int) -> bytes:
    """An order-preserving length prefix: one byte up to 250, else 0xFB + 8 bytes."""
    return bytes((n,)) if n <= 250 else b"\xfb" + n.to_bytes(8, "big")


def _magnitude(num: int, den: int) -> bytes:
    """``num / den`` (positive; ``den`` a power of two) as integer part then binary fraction."""
    whole, rest = divmod(num, den)
    ib = whole.to_bytes((whole.bit_length() + 7) // 8, "big") if whole else b""
    frac = b""
    if rest:
        bits = den.bit_length() - 1  # den == 2**bits
        nbytes = (bits + 7) // 8
        frac = (rest << (nbytes * 8 - bits)).to_bytes(nbytes, "big").rstrip(b"\x00")
    return _length(len(ib)) + ib + _escaped(frac)


def number(x: int | float) -> bytes:
    """The encoding of a number (what :func:`encode` writes for it)."""
    return _number(x)


def _number(x: int | float) -> bytes:
    if isinstance(x, float):
        if x != x:
            raise ValueError("NaN cannot be ordered (it is neither below nor above any number)")
        if x in (float("inf"), float("-inf")):
            return bytes((NUMBER, _POS_INF if x > 0 else _NEG_INF))
        num, den = x.as_integer_ratio()
    else:
        num, den = int(x), 1
    if num == 0:
        return bytes((NUMBER, _ZERO))
    if num > 0:
        return bytes((NUMBER, _POS)) + _magnitude(num, den)
    # negative: the complement of the magnitude's encoding reverses its (prefix-free) order
    return bytes((NUMBER, _NEG)) + bytes(255 - b for b in _magnitude(-num, den))


def _element(value: Any, opaque: Callable[[Any], bytes], pre: bytes,
             marks: list[tuple[bytes, int, bytes]]) -> bytes:
    """Encode ``value`` found after the bytes ``pre``; record ``(pre, code, encoding)`` of
    every element in ``marks`` (for :func:`conflict_ranges`)."""
    if isinstance(value, (bool, int, float)):
        out = _number(value)
    elif isinstance(value, str):
        out = bytes((STR,)) + _escaped(value.encode("utf-8", "surrogatepass"))
    elif isinstance(value, (bytes, bytearray)):
        out = bytes((BYTES,)) + _escaped(bytes(value))
    elif isinstance(value, (tuple, list)):
        out = bytes((TUPLE if isinstance(value, tuple) else LIST,))
        for item in value:
            out += _element(item, opaque, pre + out, marks)
        out += bytes((END,))
    else:
        out = bytes((OPAQUE,)) + _escaped(opaque(value))
    marks.append((pre, out[0], out))
    return out


def encode(value: Any, opaque: Callable[[Any], bytes]) -> tuple[bytes, list[bytes]]:
    """``(encoding, ranges)``: the order-preserving encoding of ``value`` (``opaque`` encodes
    values that have no order) and the flat list ``[lo1, hi1, lo2, hi2...]`` of the
    lexicographic ranges ``[lo, hi)`` where a stored value that cannot be compared with
    ``value`` would sit."""
    marks: list[tuple[bytes, int, bytes]] = []
    out = _element(value, opaque, b"", marks)
    ranges: list[bytes] = []
    for pre, code, enc in marks:
        # another family at the same place: codes 0x01 .. code-1 and code+1 .. 0xFE
        ranges += [pre + b"\x01", pre + bytes((code,)), pre + bytes((code + 1,)), pre + b"\xff"]
        if code == OPAQUE and not pre:  # two unorderable items: even equal ones (None < None)
            ranges += [bytes((OPAQUE,)), bytes((OPAQUE + 1,))]
        elif code == OPAQUE:  # another opaque value in the same place of a sequence
            ranges += [pre + bytes((OPAQUE,)), pre + enc, pre + enc[:-1] + b"\x01",
                       pre + bytes((OPAQUE + 1,))]
    return out, ranges
