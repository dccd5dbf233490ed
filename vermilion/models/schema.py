"""What a model class declares, read once per class: fields, indexes, references, children.

Markers used in annotations:

* ``Annotated[T, Index]`` — an ordered index: equality, ranges, prefix (``str``) and ordering,
  server-side, exact for ``int`` of any size, ``float``, ``str``, ``bytes``, ``bool``, dates and
  times, ``UUID``, enums and tuples of these (``Decimal`` orders by its ``float`` value).
* ``Annotated[T, Unique]`` — a uniqueness constraint with O(1) lookup by equality.
* ``Ref[Model]`` — a reference to a saved object of ``Model`` (stored as its key).
* ``Children[list[T]]`` / ``Children[set[T]]`` / ``Children[dict[str, T]]`` — a live vermilion
  container beside the object (same Cluster slot), deleted and expired with it; ``T`` may be a
  model (items stored as references) or any value the codec stores.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import functools
import sys
import types
import typing
import uuid
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Union

from pydantic import AfterValidator, Field

from ..core import ordered
from ..core.codec import Codec

if TYPE_CHECKING:
    from .model import Model


class Index:
    """Marker: ``Annotated[int, Index]`` keeps an ordered index of the field."""


class Unique:
    """Marker: ``Annotated[str, Unique]`` makes the field's values unique across the model."""


@dataclasses.dataclass(frozen=True)
class RefSpec:
    """The target of a ``Ref[...]`` field (a model class or its name, resolved on first use)."""

    target: Any

    def check(self, value: Any) -> Any:
        """A reference field holds ``None``, an object of the target model or a Reference."""
        if value is None:
            return value
        if getattr(value, "__vermilion_key__", None) is None:
            raise ValueError(f"a reference holds a model object, not {type(value).__name__}")
        from .model import Model

        target = getattr(self.target, "__forward_arg__", self.target)
        name = target if isinstance(target, str) else target.__name__
        if isinstance(value, Model) and name not in {
                c.__name__ for c in type(value).__mro__} | {type(value).__qualname__}:
            raise ValueError(f"this reference holds a {name}, not a {type(value).__name__}")
        return value


@dataclasses.dataclass(frozen=True)
class ChildrenSpec:
    """The container type of a ``Children[...]`` field (``list[T]``, ``set[T]``, ``dict[K, T]``)."""

    container: Any


if TYPE_CHECKING:
    _T = typing.TypeVar("_T")
    Ref = Annotated[_T, RefSpec]
    """For a type checker ``Ref[User]`` is ``User``."""
    Children = Annotated[_T, ChildrenSpec]
    """For a type checker ``Children[list[User]]`` is ``list[User]`` (a live ``vermilion.List``)."""
else:

    class Ref:
        """``Ref[User]``: a reference to a saved ``User``; loaded on access or by ``join``."""

        def __class_getitem__(cls, target: Any) -> Any:
            spec = RefSpec(target)
            return Annotated[Any, spec, AfterValidator(spec.check)]

    class Children:
        """``Children[list[User]]``: a live container stored beside the object."""

        def __class_getitem__(cls, container: Any) -> Any:
            return Annotated[Any, ChildrenSpec(container), Field(default=None, exclude=True)]


# -- field kinds -------------------------------------------------------------------------------
RAW, VALUE, REF = "raw", "value", "ref"


@dataclasses.dataclass
class FieldSpec:
    """How one model field is stored and indexed."""

    name: str
    annotation: Any
    kind: str  # RAW: an exact ``str`` stored as its UTF-8 text; VALUE: the codec; REF: a key
    indexed: bool
    unique: bool
    ref: RefSpec | None
    default: Any  # the value of a field missing from a stored hash (``MISSING``: required)
    exact: tuple[type, ...] | None = None  # the value types a plain field accepts as they are


_PLAIN = (str, int, float, bool, bytes)


def _exact_types(annotation: Any, metadata: list[Any]) -> tuple[type, ...] | None:
    """For a field annotated ``str``, ``int``, ``float``, ``bool`` or ``bytes`` (or ``X | None``)
    with no constraints or validators in its metadata: the types a value already valid has."""
    if any(not _is_marker(m, Index) and not _is_marker(m, Unique) for m in metadata):
        return None
    bare, meta = _strip_annotated(annotation)
    if meta:
        return None
    args = _union_args(bare)
    options = args if args is not None else (bare,)
    out: list[type] = []
    for t in options:
        if t is type(None) or t in _PLAIN:
            out.append(t)
        else:
            return None
    return tuple(out)


MISSING: Any = object()


@dataclasses.dataclass
class ChildSpec:
    name: str
    container: type  # list, set or dict
    item: Any  # item (value) annotation, possibly a model class or its name


@dataclasses.dataclass
class Schema:
    """Everything the engine needs to know about a model class."""

    model: type[Model]
    prefix: str
    ttl_ms: int | None
    autogenerate_id: bool
    fields: dict[str, FieldSpec]  # stored fields (``id`` and children excluded)
    children: dict[str, ChildSpec]
    registry: ClassVar[dict[str, type[Model]]] = {}

    @property
    def base(self) -> str:
        """``{Prefix}``: the hash tag every key of the model starts with."""
        return "{" + self.prefix + "}"

    def resolve(self, target: Any) -> type[Model]:
        """The model class a ``Ref`` / ``Children`` of this model names (see
        :func:`~vermilion.models.model.resolve_model`)."""
        from .model import resolve_model

        return resolve_model(target, self.model)

    def key(self, id: str) -> str:
        return f"{self.base}:{id}"

    def id_of(self, key: str) -> str:
        head = self.base + ":"
        if not key.startswith(head):
            raise ValueError(f"{key!r} is not the key of a {self.model.__name__}")
        return key[len(head):]

    @property
    def indexed(self) -> list[FieldSpec]:
        return [f for f in self.fields.values() if f.indexed]

    @property
    def unique(self) -> list[FieldSpec]:
        return [f for f in self.fields.values() if f.unique]

    @property
    def children_arg(self) -> str:
        return ",".join(self.children)

    def model_keys(self) -> list[str]:
        """The model-level keys every write script declares (Cluster routes by the first)."""
        return list(self._model_keys)

    @functools.cached_property
    def _model_keys(self) -> tuple[str, ...]:
        b = self.base
        keys = [f"{b}#ids", f"{b}#exp", f"{b}#ix", f"{b}#seq", f"{b}#built"]
        keys += [f"{b}#i:{f.name}" for f in self.indexed]
        keys += [f"{b}#u:{f.name}" for f in self.unique]
        return tuple(keys)

    @functools.cached_property
    def index_names(self) -> list[str]:
        """``i:<field>`` for each index, ``u:<field>`` for each unique constraint."""
        return [f"i:{f.name}" for f in self.indexed] + [f"u:{f.name}" for f in self.unique]

    @functools.cached_property
    def index_arg(self) -> str:
        """:attr:`index_names` as the scripts take them."""
        return ",".join(self.index_names)

    def object_keys(self, id: str) -> list[str]:
        key = self.key(id)
        return [key, *(f"{key}:{name}" for name in self.children)]


def _strip_annotated(tp: Any) -> tuple[Any, list[Any]]:
    meta: list[Any] = []
    while typing.get_origin(tp) is Annotated:
        meta.extend(tp.__metadata__)
        tp = tp.__origin__
    return tp, meta


def _union_args(tp: Any) -> tuple[Any, ...] | None:
    origin = typing.get_origin(tp)
    if origin is Union or (sys.version_info >= (3, 10) and origin is types.UnionType):
        return typing.get_args(tp)
    return None


def _find(tp: Any, kind: type) -> Any:
    """The ``RefSpec``/``ChildrenSpec`` in ``tp``'s annotations (through ``X | None``)."""
    tp, meta = _strip_annotated(tp)
    for m in meta:
        if isinstance(m, kind):
            return m
    for arg in _union_args(tp) or ():
        found = _find(arg, kind)
        if found is not None:
            return found
    return None


def _is_marker(m: Any, marker: type) -> bool:
    return m is marker or isinstance(m, marker)


def build_schema(model: type[Model]) -> Schema:
    """Read the fields of ``model`` (pydantic has resolved its annotations)."""
    meta = getattr(model, "Meta", None)
    assim = getattr(model, "AssimilatorConfig", None)
    prefix = getattr(meta, "prefix", None) or model.__name__
    if "{" in prefix or "}" in prefix:
        raise ValueError(f"{model.__name__}: a key prefix cannot contain braces: {prefix!r}")
    ttl = getattr(meta, "ttl", None)
    ttl_ms = None
    if ttl is not None:
        from ..core.base import to_ms

        ttl_ms = to_ms(ttl)
    autogen = bool(getattr(meta, "autogenerate_id", getattr(assim, "autogenerate_id", True)))
    fields: dict[str, FieldSpec] = {}
    children: dict[str, ChildSpec] = {}
    for name, info in model.model_fields.items():
        metadata = list(info.metadata)
        child = next((m for m in metadata if isinstance(m, ChildrenSpec)), None)
        if child is not None:
            container = child.container
            origin = typing.get_origin(container) or container
            args = typing.get_args(container)
            if origin not in (list, set, dict):
                raise TypeError(f"{model.__name__}.{name}: Children[...] takes list[T], set[T] "
                                f"or dict[str, T], not {container!r}")
            item = args[-1] if args else Any
            children[name] = ChildSpec(name, origin, item)
            continue
        if name == "id" or name in model.__vermilion_control_fields__:
            continue
        ref = next((m for m in metadata if isinstance(m, RefSpec)), None) or _find(
            info.annotation, RefSpec)
        indexed = any(_is_marker(m, Index) for m in metadata)
        unique = any(_is_marker(m, Unique) for m in metadata)
        annotation = info.annotation
        bare, _ = _strip_annotated(annotation)
        kind = REF if ref is not None else RAW if bare is str else VALUE
        if info.is_required():
            default = MISSING
        elif info.default_factory is not None:
            default = info.default_factory  # called when a missing field is read
        else:
            default = info.default
        exact = None if ref is not None else _exact_types(annotation, metadata)
        fields[name] = FieldSpec(name, annotation, kind, indexed, unique, ref, default, exact)
    return Schema(model, prefix, ttl_ms, autogen, fields, children)


# -- stored values -------------------------------------------------------------------------
def store(field: FieldSpec, value: Any, codec: Codec) -> bytes:
    """The bytes a field's value is stored as in the object's hash (read back by
    ``RepositoryBase._decode``: raw fields as UTF-8 text, the others through the codec)."""
    if field.kind == RAW and isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if field.kind == REF:
        return codec.encode(ref_key(value))
    return codec.encode(value)


def ref_key(value: Any) -> str | None:
    """The key a reference field stores: a model's key, a Reference's key, or ``None``."""
    if value is None:
        return None
    key = getattr(value, "__vermilion_key__", None)
    if key is None:
        raise TypeError(f"a reference must be a saved model object, not {type(value).__name__}")
    return key() if callable(key) else key  # type: ignore[no-any-return]


def order_value(value: Any) -> Any:
    """A value Python orders the same way, made of what :mod:`vermilion.core.ordered` encodes."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, enum.Enum):
        return order_value(value.value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        delta = value - dt.datetime(1970, 1, 1)
        return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    if isinstance(value, dt.date):
        return value.toordinal()
    if isinstance(value, dt.time):
        return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
    if isinstance(value, dt.timedelta):
        return (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return value.bytes
    if isinstance(value, (tuple, list)):
        return tuple(order_value(v) for v in value)
    key = getattr(value, "__vermilion_key__", None)
    if key is not None:
        return key() if callable(key) else key
    return value  # opaque: stored by its codec bytes, equal to itself only


NONE = b"\x10"
"""The index encoding of ``None``: below every family of :mod:`vermilion.core.ordered`, so
``None`` sorts first, as it does for fields without an index and in Python-side ordering."""


_STR = bytes((ordered.STR,))


def index_prefix(value: Any, codec: Codec) -> bytes:
    """The ordered encoding of an indexed value (the part of an index entry before the id)."""
    t = type(value)
    if t is str:  # the common cases, as ordered.encode would write them
        return _STR + value.encode("utf-8", "surrogatepass").replace(b"\x00", b"\x00\xff") + \
            b"\x00\x00"
    if t is int or t is float:
        return ordered.number(value)
    if value is None:
        return NONE
    return ordered.encode(order_value(value), codec.encode)[0]


def index_member(value: Any, id: str, codec: Codec) -> bytes:
    raw = id.encode()
    return b"%s%s%s" % (index_prefix(value, codec), raw, len(raw).to_bytes(2, "big"))


def unique_value(value: Any, codec: Codec) -> bytes:
    """The canonical bytes a unique value is claimed by."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return codec.encode(order_value(value) if isinstance(value, enum.Enum) else value)
