"""Values in and out, as :mod:`sqlite3` does it: adapters, converters, ``text_factory``, ``Row``.

Parameters are adapted with sqlite3's own registry (``sqlite3.adapters``: what
``register_adapter`` fills, on either module), then ``__conform__``; rows are converted with
``sqlite3.converters`` (``register_converter``) when the connection's ``detect_types`` asks for
it (``PARSE_DECLTYPES``: the column's declared type; ``PARSE_COLNAMES``: ``"name [type]"`` in the
column's name).  Plain values (int, float, str, bytes, None) take a fast path with no lookups.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

from .errors import NEW_MESSAGES, ProgrammingError

if TYPE_CHECKING:
    from .cursor import Cursor

PARSE_DECLTYPES = sqlite3.PARSE_DECLTYPES
PARSE_COLNAMES = sqlite3.PARSE_COLNAMES
PrepareProtocol = sqlite3.PrepareProtocol
adapters: dict[Any, Any] = sqlite3.adapters
converters: dict[str, Callable[[bytes], Any]] = sqlite3.converters
register_adapter: Callable[[type[Any], Callable[[Any], Any]], None] = sqlite3.register_adapter
"""sqlite3's own ``register_adapter``: the registry is shared with stdlib sqlite3."""
register_converter: Callable[[str, Callable[[bytes], Any]], None] = sqlite3.register_converter
"""sqlite3's own ``register_converter``: the registry is shared with stdlib sqlite3."""
adapt: Callable[..., Any] = sqlite3.adapt
"""sqlite3's own ``adapt(obj, proto=PrepareProtocol, alt=...)``."""

_PLAIN = frozenset((int, float, str, bytes, type(None)))
_BASE = (int, float, str, bytearray)
_base_state: list[int | bool] = [-1, False]  # (len(adapters) when checked, base type adapted)


def _base_adapted() -> bool:
    """True once an adapter is registered for int, float, str or bytearray (then every value
    goes through the registry, as in sqlite3)."""
    n = len(adapters)
    if _base_state[0] != n:
        _base_state[0] = n
        _base_state[1] = any((t, PrepareProtocol) in adapters for t in _BASE)
    return bool(_base_state[1])


def adapt_value(value: Any, index: int | str = 0) -> Any:
    """One parameter as sqlite3 binds it: the registered adapter, else ``__conform__``, else
    the value itself (an adapter's exception becomes sqlite3's ProgrammingError)."""
    try:
        return _adapt(value)
    except Exception as e:
        where = f":{index}" if isinstance(index, str) else str(index)
        raise ProgrammingError(f"Error binding parameter {where}: {e!r}") from e


def _adapt(value: Any) -> Any:
    adapter = adapters.get((type(value), PrepareProtocol))
    if adapter is not None:
        return adapter(value)
    conform = getattr(value, "__conform__", None)
    if conform is not None:
        out = conform(PrepareProtocol)
        if out is not None:
            return out
    return value


class NamedParameters(Mapping[str, Any]):
    """A mapping of named parameters as apsw reads it, adapting each value when looked up (a
    dict subclass's ``__missing__`` is honoured, as sqlite3 does with ``PyObject_GetItem``)."""

    __slots__ = ("_params", "_adapt")

    def __init__(self, params: Mapping[str, Any], adapt_all: bool):
        self._params = params
        self._adapt = adapt_all

    def __getitem__(self, key: str) -> Any:
        params = self._params
        try:
            value = params[key]
        except KeyError:
            raise ProgrammingError(
                f"You did not supply a value for binding parameter :{key}.") from None
        if self._adapt or type(value) not in _PLAIN:
            return adapt_value(value, key)
        return value

    def __contains__(self, key: object) -> bool:
        return True  # every name is looked up (a missing one raises the sqlite3 error)

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)


def bindings(params: Any) -> Any:
    """Parameters as apsw binds them: a tuple of adapted values for a sequence (read with
    ``len`` and ``[i]``, never past its length), a lazily adapting mapping for a dict."""
    adapt_all = _base_adapted()
    if type(params) is tuple or type(params) is list:
        if not adapt_all:
            for v in params:
                if type(v) not in _PLAIN:
                    break
            else:
                return params
        return _adapted(params, adapt_all)
    if isinstance(params, dict):
        return NamedParameters(params, adapt_all)
    if isinstance(params, Sequence) or (
            hasattr(params, "__len__") and hasattr(params, "__getitem__")
            and not isinstance(params, Mapping)):
        try:
            n = len(params)
            values = [params[i] for i in range(n)]
        except TypeError:
            values = None
        if values is not None:
            return _adapted(values, adapt_all)
    if not NEW_MESSAGES:
        raise ValueError("parameters are of unsupported type")
    raise ProgrammingError("parameters are of unsupported type")


def _adapted(params: Sequence[Any], adapt_all: bool) -> tuple[Any, ...]:
    """The values adapted, read by index up to the length seen first (an adapter that
    shrinks the list gets IndexError, as in sqlite3)."""
    out = []
    for i in range(len(params)):
        v = params[i]
        out.append(adapt_value(v, i + 1) if adapt_all or type(v) not in _PLAIN else v)
    return tuple(out)


# -- rows out -----------------------------------------------------------------------------------
def _as_bytes(value: Any) -> bytes:
    """The bytes sqlite3 hands a converter: the value as SQLite renders it as text / blob."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, float):
        return _sqlite_float(value).encode()
    return str(value).encode()


def _sqlite_float(value: float) -> str:
    """A REAL as SQLite prints it (``%!.15g``)."""
    text = f"{value:.15g}"
    if value != value or text in ("inf", "-inf"):
        return {"inf": "Inf", "-inf": "-Inf"}.get(text, "")
    if "e" not in text and "." not in text:
        text += ".0"
    elif "e" in text:
        mant, exp = text.split("e")
        if "." not in mant:
            mant += ".0"
        sign, digits = exp[0], exp[1:].lstrip("0") or "0"
        text = f"{mant}e{sign}{digits.zfill(2)}"
    return text


def column_converter(name: str, decltype: str | None, detect_types: int) -> Any:
    """The converter for one column (None if none applies): ``[type]`` in the column name first
    (``PARSE_COLNAMES``), then the declared type's first word (``PARSE_DECLTYPES``)."""
    if detect_types & PARSE_COLNAMES:
        start = name.find("[")
        if start >= 0:
            end = name.find("]", start + 1)
            if end >= 0:
                conv = converters.get(name[start + 1:end].upper())
                if conv is not None:
                    return conv
    if detect_types & PARSE_DECLTYPES and decltype:
        word = decltype.split("(", 1)[0].strip().split(" ", 1)[0]
        return converters.get(word.upper())
    return None


def column_name(name: str, detect_types: int) -> str:
    """The column's name in ``description``: with ``PARSE_COLNAMES`` cut before ``" ["``."""
    if detect_types & PARSE_COLNAMES:
        cut = name.find("[")
        if cut >= 0:
            return name[:cut].rstrip()
    return name


def row_maker(convs: Sequence[Any] | None,
              text_factory: Any) -> Callable[[tuple[Any, ...]], tuple[Any, ...]] | None:
    """A function turning apsw's row into sqlite3's (converters, ``text_factory``), or None when
    rows are returned as they are."""
    if not convs and text_factory is str:
        return None
    plain_text = text_factory is str
    conv_list = list(convs) if convs else []

    def make(row: tuple[Any, ...]) -> tuple[Any, ...]:
        out = list(row)
        for i, value in enumerate(out):
            conv = conv_list[i] if i < len(conv_list) else None
            if value is None:
                continue
            if conv is not None:
                # sqlite3: a zero-length BLOB has no bytes to convert: None
                out[i] = None if value == b"" else conv(_as_bytes(value))
            elif not plain_text and type(value) is str:
                out[i] = text_factory(value.encode())
        return tuple(out)

    return make


class Row:
    """A row that is a tuple and a mapping of column names (case-insensitive), as
    :class:`sqlite3.Row`: ``row[0]``, ``row["name"]``, ``row.keys()``, slices, ``len``,
    iteration, equality and hashing by columns and values."""

    __slots__ = ("_description", "_data")

    def __init__(self, cursor: Cursor, data: tuple[Any, ...], /) -> None:
        from .cursor import Cursor as _Cursor

        if not issubclass(type(cursor), _Cursor):
            raise TypeError(f"argument 1 must be vermilion.sql.dbapi.Cursor, not "
                            f"{type(cursor).__name__}")
        if not isinstance(data, tuple):
            raise TypeError(f"argument 2 must be tuple, not {type(data).__name__}")
        self._description = cursor.description or ()
        self._data = data

    def keys(self) -> list[str]:
        """The column names, in order."""
        return [d[0] for d in self._description]

    @overload
    def __getitem__(self, key: int | str) -> Any: ...
    @overload
    def __getitem__(self, key: slice) -> tuple[Any, ...]: ...

    def __getitem__(self, key: int | str | slice) -> Any:
        if isinstance(key, str):
            folded = key.upper() if key.isascii() else None
            for i, d in enumerate(self._description):
                name = d[0]
                if name == key or (folded is not None and name.isascii()
                                   and name.upper() == folded):
                    return self._data[i]
            raise IndexError("No item with that key")
        if isinstance(key, (int, slice)):
            return self._data[key]
        try:
            index = key.__index__()  # type: ignore[union-attr]
        except AttributeError:
            raise IndexError("Index must be int or string") from None
        return self._data[index]

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._data)

    def __contains__(self, value: object) -> bool:
        return value in self._data

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Row):
            return NotImplemented
        return self._description == other._description and self._data == other._data

    def __ne__(self, other: object) -> bool:
        if not isinstance(other, Row):
            return NotImplemented
        return not self == other

    def __hash__(self) -> int:
        return hash(self._description) ^ hash(self._data)

    def __repr__(self) -> str:
        return f"<vermilion.sql.dbapi.Row object at {id(self):#x}>"


Sequence.register(Row)

__all__ = [
    "PARSE_COLNAMES", "PARSE_DECLTYPES", "PrepareProtocol", "Row", "adapt", "adapt_value",
    "adapters", "bindings", "column_converter", "column_name", "converters", "register_adapter",
    "register_converter", "row_maker",
]
