"""Codecs: how Python values become Redis strings and back.

The default :class:`JsonCodec` round-trips exactly: ``None``, ``bool``, ``int`` (any size),
``float`` (``inf``/``nan`` too), ``str``, ``bytes``, ``list``, ``tuple``, ``dict`` (non-``str`` keys
too), ``set``, ``frozenset``, ``datetime`` (naive and aware, ``zoneinfo`` zones kept), ``date``,
``time``, ``timedelta``, ``Decimal``, ``UUID``, ``Enum`` members, Pydantic models, dataclasses and
vermilion objects (stored as references to their keys and re-opened live on read).

JSON-native values are stored as plain JSON text (``"abc"``, ``5``, ``[1, 2]``) so ``redis-cli``
and other languages read them; other values are JSON objects tagged with ``"$t"``.  Encoding is
canonical: equal values of one type encode to the same bytes (set and frozenset members are
sorted by their encoding), which set membership and dict keys rely on.  Decoding never runs
code: classes (Enum, models, dataclasses) are looked up in a registry filled by
:func:`register` and by encoding, or among already-imported modules; nothing is imported.
Decoding bytes it did not write (another codec, corruption, a hostile client) raises
:class:`~vermilion.DecodeError` and nothing else; containers add the key to it.  Values nested
deeper than :data:`MAX_DEPTH` (254) JSON levels, or circular, cannot be encoded: ValueError.
:class:`PickleCodec` exists for trusted data only and must be chosen explicitly.
"""

from __future__ import annotations

import base64
import contextvars
import dataclasses
import datetime as dt
import enum
import pickle
import sys
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple, Protocol, runtime_checkable

import orjson

from .errors import DecodeError

RefOpener = Callable[[str, str], Any]
"""Re-opens a stored reference: ``opener(type_name, key) -> live object``."""


class Ref(NamedTuple):
    """A reference to a vermilion object, returned when no opener is available."""

    type_name: str
    key: str


@runtime_checkable
class Codec(Protocol):
    """Turns values into bytes for Redis and back.  ``decode(encode(v)) == v`` for supported values."""

    name: str

    def encode(self, value: Any) -> bytes: ...

    def decode(self, data: bytes, opener: RefOpener | None = None) -> Any: ...


_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
MAX_DEPTH = 254
"""Deepest nesting :class:`JsonCodec` stores (orjson's limit): JSON arrays/objects inside each
other, where a tagged value (tuple, set, non-``str``-keyed dict...) counts two or three levels."""
_classes: dict[str, type] = {}


def register(cls: type, name: str | None = None) -> type:
    """Allow ``cls`` (an Enum, Pydantic model or dataclass) to be decoded; usable as a decorator."""
    _classes[name or _class_name(cls)] = cls
    return cls


def _class_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _remember(cls: type) -> str:
    name = _class_name(cls)
    _classes.setdefault(name, cls)
    return name


def _lookup_class(name: str) -> type:
    cls = _classes.get(name)
    if cls is not None:
        return cls
    module_name, _, qualname = name.partition(":")
    obj: Any = sys.modules.get(module_name)  # only modules already imported: nothing runs
    for part in qualname.split("."):
        obj = getattr(obj, part, None) if obj is not None else None
    if isinstance(obj, type) and _is_decodable_class(obj):
        _classes[name] = obj
        return obj
    raise DecodeError(
        f"stored value names class {name!r}, which is not registered; "
        "import it or call vermilion.register(cls)"
    )


def _is_decodable_class(cls: type) -> bool:
    if issubclass(cls, enum.Enum) or dataclasses.is_dataclass(cls):
        return True
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and issubclass(cls, pydantic.BaseModel)


def _dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)


def _too_deep(exc: BaseException) -> ValueError | None:
    """The ValueError for a value nested beyond :data:`MAX_DEPTH` (or circular), if ``exc`` is
    the error orjson or Python raised for it; ``None`` for any other error."""
    if isinstance(exc, RecursionError) or (
        isinstance(exc, TypeError) and "Recursion limit" in str(exc)
    ):
        return ValueError(
            f"value nested too deeply for the JSON codec (at most {MAX_DEPTH} levels of JSON "
            "arrays/objects; tuples, sets and other tagged values count two or more), or circular"
        )
    return None


def _sorted_members(items: Any) -> list[Any]:
    encoded = [_to_json(x) for x in items]
    return sorted(encoded, key=_dumps)


def _to_json(v: Any) -> Any:
    t = type(v)
    if t is str or t is bool or v is None:
        return v
    if t is int:
        return v if _INT64_MIN <= v <= _INT64_MAX else {"$t": "int", "v": str(v)}
    if t is float:
        if v != v or v in (float("inf"), float("-inf")):
            return {"$t": "float", "v": repr(v)}
        return v
    if t is list:
        return [_to_json(x) for x in v]
    if t is dict:
        if "$t" not in v and all(type(k) is str for k in v):
            return {k: _to_json(x) for k, x in v.items()}
        return {"$t": "dict", "v": [[_to_json(k), _to_json(x)] for k, x in v.items()]}
    if t is tuple:
        return {"$t": "tuple", "v": [_to_json(x) for x in v]}
    if t is set or t is frozenset:
        return {"$t": t.__name__, "v": _sorted_members(v)}
    if t is bytes or t is bytearray:
        return {"$t": t.__name__, "v": base64.b64encode(v).decode()}
    if isinstance(v, enum.Enum):
        return {"$t": "enum", "c": _remember(type(v)), "v": v.name}
    ref = getattr(v, "__vermilion_ref__", None)
    if ref is not None:
        type_name, key = ref()
        return {"$t": "ref", "c": type_name, "k": key}
    if t is dt.datetime:
        out: dict[str, Any] = {"$t": "datetime", "v": v.isoformat()}
        zone = getattr(v.tzinfo, "key", None)
        if zone is not None:
            out["z"] = zone
        return out
    if t is dt.date:
        return {"$t": "date", "v": v.isoformat()}
    if t is dt.time:
        return {"$t": "time", "v": v.isoformat()}
    if t is dt.timedelta:
        return {"$t": "timedelta", "v": [v.days, v.seconds, v.microseconds]}
    if t is Decimal:
        return {"$t": "decimal", "v": str(v)}
    if t is uuid.UUID:
        return {"$t": "uuid", "v": str(v)}
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        fields = {f.name: _to_json(getattr(v, f.name)) for f in dataclasses.fields(v)}
        return {"$t": "dataclass", "c": _remember(t), "v": fields}
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(v, pydantic.BaseModel):
        return {"$t": "model", "c": _remember(t), "v": v.model_dump(mode="json")}
    for base in (str, int, float, list, dict, tuple, set, frozenset, bytes):
        if isinstance(v, base):  # subclasses of builtins are stored as the builtin
            return _to_json(base(v))  # type: ignore[arg-type]
    raise TypeError(
        f"vermilion's JSON codec cannot store {t.__name__!r} values; "
        "use a dataclass, a Pydantic model, or an explicit codec (e.g. PickleCodec for trusted data)"
    )


# JSON levels decoding accepts: what encoding can produce (MAX_DEPTH Python levels, each up to
# two JSON levels with tags), refused beyond on every Python version (a RecursionError would
# depend on the interpreter's stack use: 3.12 inlines comprehensions).
DECODE_DEPTH = 2 * MAX_DEPTH + 8
_tag_depth: contextvars.ContextVar[int] = contextvars.ContextVar("vermilion_tag_depth", default=0)


def _from_json(x: Any, opener: RefOpener | None, depth: int | None = None) -> Any:
    t = type(x)
    if t is not list and t is not dict:
        return x
    if depth is None:  # called by a tag's decoder: continue its count
        depth = _tag_depth.get()
    depth += 1
    if depth > DECODE_DEPTH:
        raise RecursionError("nested deeper than vermilion ever encodes")
    if t is list:
        return [_from_json(i, opener, depth) for i in x]
    tag = x.get("$t")
    if tag is None:
        return {k: _from_json(i, opener, depth) for k, i in x.items()}
    decode = _TAGS.get(tag)
    if decode is None:
        raise DecodeError(f"unknown tag {tag!r} in stored value")
    token = _tag_depth.set(depth)
    try:
        return decode(x, opener)
    finally:
        _tag_depth.reset(token)


def _dec_datetime(x: dict[str, Any], _: RefOpener | None) -> dt.datetime:
    value = dt.datetime.fromisoformat(x["v"])
    zone = x.get("z")
    if zone is not None:
        import zoneinfo

        value = value.astimezone(zoneinfo.ZoneInfo(zone))
    return value


def _dec_dataclass(x: dict[str, Any], opener: RefOpener | None) -> Any:
    cls = _lookup_class(x["c"])
    values = {k: _from_json(v, opener) for k, v in x["v"].items()}
    fields = {f.name: f for f in dataclasses.fields(cls)}
    obj = cls(**{k: v for k, v in values.items() if k in fields and fields[k].init})
    for k, v in values.items():
        if k in fields and not fields[k].init:
            object.__setattr__(obj, k, v)
    return obj


def _dec_ref(x: dict[str, Any], opener: RefOpener | None) -> Any:
    if opener is None:
        return Ref(x["c"], x["k"])
    return opener(x["c"], x["k"])


def _dec_float(x: dict[str, Any], _: RefOpener | None) -> float:
    return float(x["v"])


_TAGS: dict[str, Callable[[dict[str, Any], RefOpener | None], Any]] = {
    "int": lambda x, _: int(x["v"]),
    "float": _dec_float,
    "dict": lambda x, o: {_from_json(k, o): _from_json(v, o) for k, v in x["v"]},
    "tuple": lambda x, o: tuple(_from_json(i, o) for i in x["v"]),
    "set": lambda x, o: {_from_json(i, o) for i in x["v"]},
    "frozenset": lambda x, o: frozenset(_from_json(i, o) for i in x["v"]),
    "bytes": lambda x, _: base64.b64decode(x["v"], validate=True),
    "bytearray": lambda x, _: bytearray(base64.b64decode(x["v"], validate=True)),
    "enum": lambda x, _: _lookup_class(x["c"])[x["v"]],  # type: ignore[index]
    "ref": _dec_ref,
    "datetime": _dec_datetime,
    "date": lambda x, _: dt.date.fromisoformat(x["v"]),
    "time": lambda x, _: dt.time.fromisoformat(x["v"]),
    "timedelta": lambda x, _: dt.timedelta(*x["v"]),
    "decimal": lambda x, _: Decimal(x["v"]),
    "uuid": lambda x, _: uuid.UUID(x["v"]),
    "dataclass": _dec_dataclass,
    "model": lambda x, _: _lookup_class(x["c"]).model_validate(x["v"]),  # type: ignore[attr-defined]
}

_SCALARS = (str, int, float, bool, type(None))


class JsonCodec:
    """The default codec: canonical JSON text, exact Python type round trips, no code execution."""

    name = "json"

    def encode(self, value: Any) -> bytes:
        """``value`` as canonical JSON bytes.

        TypeError for values of types it cannot store; ValueError for values nested deeper
        than :data:`MAX_DEPTH` levels, or circular.
        """
        t = type(value)
        if t is str or t is bool or value is None or (
            t is int and _INT64_MIN <= value <= _INT64_MAX
        ):
            return orjson.dumps(value)
        try:
            return orjson.dumps(_to_json(value))
        except (TypeError, RecursionError) as exc:
            deep = _too_deep(exc)
            if deep is None:
                raise
            raise deep from None

    def encode_many(self, values: Any) -> list[bytes]:
        """``[encode(v) for v in values]``, with the common scalar cases inlined."""
        dumps, lo, hi = orjson.dumps, _INT64_MIN, _INT64_MAX
        try:
            return [
                dumps(v) if (t := type(v)) is str or (t is int and lo <= v <= hi)
                else dumps(_to_json(v))
                for v in values
            ]
        except (TypeError, RecursionError) as exc:
            deep = _too_deep(exc)
            if deep is None:
                raise
            raise deep from None

    def decode(self, data: bytes, opener: RefOpener | None = None) -> Any:
        """The value stored as ``data``; :class:`DecodeError` for anything else (bytes that are
        not JSON or not UTF-8, malformed or unknown tagged values, unregistered classes, values
        nested too deeply...): decoding never lets another exception escape."""
        try:
            x = orjson.loads(data)
        except (orjson.JSONDecodeError, TypeError) as exc:
            raise DecodeError(
                f"stored value {bytes(data)[:40]!r} is not vermilion JSON "
                "(written by another codec, or corrupted)"
            ) from exc
        if type(x) in _SCALARS:
            return x
        try:
            return _from_json(x, opener)
        except DecodeError:
            raise
        except RecursionError:
            raise DecodeError(
                f"stored value {bytes(data)[:40]!r} is nested too deeply to decode"
            ) from None
        except Exception as exc:  # any failure of a malformed value is a decode failure
            raise DecodeError(
                f"malformed tagged value {bytes(data)[:60]!r}: {type(exc).__name__}: {exc}"
            ) from exc

    def decode_many(self, items: list[bytes], opener: RefOpener | None = None) -> list[Any]:
        """Decode a batch with one JSON parse (iteration, snapshots); same results as
        ``[decode(x) for x in items]``, errors included.

        Items are joined with ``",\\n"``: a raw newline cannot sit inside a JSON string, so an
        unterminated string item makes the whole parse fail; the count must match; and every
        array/object value must re-serialise to exactly its own item, so no item can swallow
        its neighbour.  Any doubt falls back to decoding items one by one (naming the bad one).
        """
        if not items:
            return []
        joined = b"[" + b",\n".join(items) + b"]"
        try:
            values = orjson.loads(joined)
        except (orjson.JSONDecodeError, TypeError):
            values = None
        if values is None or len(values) != len(items):
            return [self.decode(x, opener) for x in items]
        if b"{" not in joined and b"[" not in joined[1:]:
            return values  # type: ignore[no-any-return]  # scalars only
        try:
            for i, x in enumerate(values):
                if type(x) in _STRUCTURED:
                    if _dumps(x) != items[i]:
                        return [self.decode(item, opener) for item in items]
                    values[i] = _from_json(x, opener)
        except Exception:  # noqa: BLE001 - decode one by one: raises the DecodeError naming it
            return [self.decode(item, opener) for item in items]
        return values  # type: ignore[no-any-return]


_STRUCTURED = (dict, list)


class StrCodec:
    """Values are ``str`` stored as raw UTF-8: what other languages and ``redis-cli`` write."""

    name = "str"

    def encode(self, value: Any) -> bytes:
        if not isinstance(value, str):
            raise TypeError(f"StrCodec stores str values, not {type(value).__name__}")
        return value.encode()

    def decode(self, data: bytes, opener: RefOpener | None = None) -> Any:
        try:
            return bytes(data).decode()
        except UnicodeDecodeError as exc:
            raise DecodeError(f"stored value {bytes(data)[:40]!r} is not UTF-8") from exc


class BytesCodec:
    """Values are ``bytes`` stored verbatim."""

    name = "bytes"

    def encode(self, value: Any) -> bytes:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"BytesCodec stores bytes values, not {type(value).__name__}")
        return bytes(value)

    def decode(self, data: bytes, opener: RefOpener | None = None) -> Any:
        return bytes(data)


class PickleCodec:
    """Pickle: any picklable value.  Decoding runs code; use only for data you trust (opt-in)."""

    name = "pickle"

    def __init__(self, protocol: int = pickle.HIGHEST_PROTOCOL):
        self.protocol = protocol

    def encode(self, value: Any) -> bytes:
        return pickle.dumps(value, protocol=self.protocol)

    def decode(self, data: bytes, opener: RefOpener | None = None) -> Any:
        try:
            return pickle.loads(data)  # noqa: S301 - explicit opt-in codec
        except Exception as exc:
            raise DecodeError(f"stored value {bytes(data)[:40]!r} is not a pickle") from exc


DEFAULT_CODEC: Codec = JsonCodec()
