"""Specifications: what a query asks for, compiled into one server-side script.

``specs.filter(age__gte=18, name__startswith="L")`` — lookups ``field`` (equality),
``field__ne`` / ``__not``, ``__gt``, ``__gte``, ``__lt``, ``__lte``, ``__in``, ``__not_in``,
``__startswith``, ``__like`` (SQL ``%`` / ``_``), ``__is``; nested fields
``address__city="Paris"``.  Filters combine with ``&``, ``|`` and ``~``.
``specs.order("-age", "name")``, ``specs.paginate(limit=10, offset=0)``, ``specs.only("name")``
(fetch just these fields), ``specs.join("best_friend")`` (load references in the same round
trip).

What each filter costs (N objects in the model, M matching):

* an ``Index`` field: equality, ranges, ``startswith`` and ``in`` read one sorted-set range:
  O(log N + M); ``ne`` / ``not_in`` / ``~`` of them: O(N);
* a ``Unique`` field's equality: O(1);
* ``id`` equality / ``in``: O(1) per id;
* any other field (or a nested one): evaluated in the script on the candidates the indexed
  filters of the same ``&`` leave, one field read each: O(candidates), O(N) alone;
* ``order`` on an ``Index`` field with no filter, or with one index filter on that same field,
  reads the page straight off the index: O(log N + offset + limit); otherwise the matches are
  sorted in the script: O(M log M).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import functools
import json
import re
import types
import typing
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import TypeAdapter

from ..core import ordered
from ..core.codec import Codec
from .schema import MISSING, RAW, FieldSpec, Schema, index_prefix, order_value, store, unique_value

LOOKUPS = {
    "eq": "eq", "ne": "ne", "not": "ne", "gt": "gt", "gte": "ge", "lt": "lt", "lte": "le",
    "in": "in", "not_in": "nin", "startswith": "sw", "like": "like", "is": "eq",
}


class SpecificationError(ValueError):
    """A specification names an unknown field or asks for what cannot be evaluated."""


class Specification:
    """Base of every specification."""


@dataclasses.dataclass(frozen=True)
class Leaf:
    path: tuple[str, ...]
    op: str
    value: Any


@dataclasses.dataclass(frozen=True)
class Node:
    kind: str  # "&", "|", "!"
    children: tuple[Any, ...]


class FilterSpec(Specification):
    """A filter; ``&``, ``|`` and ``~`` build new filters."""

    def __init__(self, node: Any):
        self.node = node

    def __and__(self, other: FilterSpec) -> FilterSpec:
        return FilterSpec(Node("&", (self.node, _node(other))))

    def __or__(self, other: FilterSpec) -> FilterSpec:
        return FilterSpec(Node("|", (self.node, _node(other))))

    def __invert__(self) -> FilterSpec:
        return FilterSpec(Node("!", (self.node,)))

    def __repr__(self) -> str:
        return f"filter({self.node!r})"


def _node(spec: Any) -> Any:
    if not isinstance(spec, FilterSpec):
        raise TypeError(f"filters combine with filters, not {type(spec).__name__}")
    return spec.node


@dataclasses.dataclass(frozen=True)
class OrderSpec(Specification):
    fields: tuple[tuple[str, bool], ...]  # (name, descending)


@dataclasses.dataclass(frozen=True)
class PaginateSpec(Specification):
    limit: int | None
    offset: int


@dataclasses.dataclass(frozen=True)
class OnlySpec(Specification):
    fields: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class JoinSpec(Specification):
    fields: tuple[str, ...]


class SpecificationList:
    """The ``repository.specs`` namespace: ``filter``, ``order``, ``paginate``, ``only``,
    ``join``."""

    @staticmethod
    def filter(*filters: FilterSpec, **lookups: Any) -> FilterSpec:
        """Every given filter and lookup must hold (AND)."""
        parts = [_node(f) for f in filters]
        for name, value in lookups.items():
            bits = name.split("__")
            op = "eq"
            if len(bits) > 1 and bits[-1] in LOOKUPS:
                op = LOOKUPS[bits.pop()]
            if op in ("in", "nin"):
                if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
                    raise TypeError(f"{name}: 'in' takes a collection of values, not {value!r}")
                value = tuple(value)
            parts.append(Leaf(tuple(bits), op, value))
        if len(parts) == 1:
            return FilterSpec(parts[0])
        return FilterSpec(Node("&", tuple(parts)))

    @staticmethod
    def order(*fields: str) -> OrderSpec:
        """Order by these fields (``"-age"``: descending); ties by id."""
        out = []
        for f in fields:
            if not isinstance(f, str) or not f.lstrip("-+"):
                raise TypeError(f"order takes field names, not {f!r}")
            out.append((f.lstrip("-+"), f.startswith("-")))
        return OrderSpec(tuple(out))

    @staticmethod
    def paginate(limit: int | None = None, offset: int | None = None) -> PaginateSpec:
        """At most ``limit`` results after skipping ``offset``."""
        for name, v in (("limit", limit), ("offset", offset)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
                raise TypeError(f"paginate: {name} must be an int, not {type(v).__name__}")
            if v is not None and v < 0:
                raise ValueError(f"paginate: {name} cannot be negative ({v})")
        return PaginateSpec(limit, offset or 0)

    @staticmethod
    def only(*fields: str) -> OnlySpec:
        """Fetch just these fields (the others keep their defaults)."""
        return OnlySpec(tuple(fields))

    @staticmethod
    def join(*fields: str) -> JoinSpec:
        """Load the objects these ``Ref`` fields point to in the same round trip."""
        return JoinSpec(tuple(fields))


specs: SpecificationList = SpecificationList()


@dataclasses.dataclass
class Query:
    """Specifications gathered for one call."""

    node: Any = None
    order: tuple[tuple[str, bool], ...] = ()
    limit: int | None = None
    offset: int = 0
    only: tuple[str, ...] | None = None
    join: tuple[str, ...] = ()


def gather(items: Iterable[Any]) -> Query:
    q = Query()
    nodes = []
    for s in items:
        if isinstance(s, FilterSpec):
            nodes.append(s.node)
        elif isinstance(s, OrderSpec):
            q.order = q.order + s.fields
        elif isinstance(s, PaginateSpec):
            q.limit, q.offset = s.limit, s.offset
        elif isinstance(s, OnlySpec):
            q.only = s.fields
        elif isinstance(s, JoinSpec):
            q.join = q.join + s.fields
        else:
            raise TypeError(f"not a specification: {s!r}")
    if nodes:
        q.node = nodes[0] if len(nodes) == 1 else Node("&", tuple(nodes))
    return q


# -- compiling for model_query.lua ---------------------------------------------------------
_LUA_MAGIC = re.compile(r"([\^\$\(\)%\.\[\]\*\+\-\?])")


def like_pattern(like: str) -> str:
    """SQL ``LIKE`` (``%`` any run, ``_`` one character) as an anchored Lua pattern (bytes)."""
    out = []
    for ch in like:
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".[\x80-\xbf]*")  # one UTF-8 character
        else:
            out.append(_LUA_MAGIC.sub(r"%\1", ch))
    return "^" + "".join(out) + "$"


@functools.lru_cache(maxsize=256)
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def _strip_optional(tp: Any) -> Any:
    """``X | None`` → ``X`` (and ``Annotated[X, ...]`` → ``X``)."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    args = typing.get_args(tp)
    if args and type(None) in args and typing.get_origin(tp) in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return _strip_optional(rest[0])
    return tp


def _json_scalar(v: Any) -> bool:
    if v is None or isinstance(v, (bool, str)):
        return True
    if isinstance(v, int):
        return -(2**53) <= v <= 2**53
    return isinstance(v, float) and v == v and v not in (float("inf"), float("-inf"))


class Compiler:
    """Turns a :class:`Query` into the arguments of ``model_query.lua`` (one instance per query:
    it collects the indexes the query reads)."""

    def __init__(self, schema: Schema, codec: Codec):
        self.schema = schema
        self.codec = codec
        self.used: set[str] = set()  # the indexes the last compiled query reads

    def compile(self, q: Query) -> tuple[list[Any], list[Any], list[str]]:
        """The filter and order tokens of ``q`` and the indexes they read."""
        self.used = set()
        plan = self.tokens(q.node)
        order = self.order_tokens(q.order)
        return plan, order, sorted(self.used)

    def field(self, name: str) -> FieldSpec:
        f = self.schema.fields.get(name)
        if f is None:
            what = "children" if name in self.schema.children else "an unknown field"
            raise SpecificationError(
                f"{self.schema.model.__name__}: {name!r} is {what}; queries take the stored "
                f"fields {sorted(['id', *self.schema.fields])}")
        return f

    def coerce(self, field: FieldSpec, leaf: Leaf) -> Any:
        """The operand(s) as the field's type (``age="3"`` compares as 3 where pydantic would
        accept it)."""
        if len(leaf.path) > 1 or leaf.op in ("sw", "like"):
            return leaf.value
        conv: Callable[[Any], Any]
        if field.ref is not None:
            from .schema import ref_key

            conv = ref_key
        else:
            adapter = _adapter(field.annotation)
            model = self.schema.model.__name__

            def conv(v: Any) -> Any:
                try:
                    return adapter.validate_python(v)
                except Exception as exc:  # noqa: BLE001 - re-raised as a clear error
                    raise SpecificationError(
                        f"{model}.{field.name}: {v!r} cannot be compared with this field "
                        f"({exc.__class__.__name__})") from None
        if leaf.op in ("in", "nin"):
            return tuple(conv(v) for v in leaf.value)
        return conv(leaf.value)

    def tokens(self, node: Any) -> list[Any]:
        if node is None:
            return ["A"]
        if isinstance(node, Node):
            kids = list(node.children)
            if node.kind == "!":
                return ["!", *self.tokens(kids[0])]
            if node.kind == "&":
                kids.sort(key=self._cost)
            out: list[Any] = [node.kind, len(kids)]
            for k in kids:
                out += self.tokens(k)
            return out
        return self.leaf(node)

    def _cost(self, node: Any) -> int:
        """Evaluate cheap, narrowing filters first inside an AND."""
        if isinstance(node, Leaf):
            if node.path[0] == "id" and node.op in ("eq", "in"):
                return 0
            f = self.schema.fields.get(node.path[0])
            if f is not None and len(node.path) == 1:
                if f.unique and node.op in ("eq", "in"):
                    return 0
                if f.indexed and node.op in ("eq", "in", "sw", "lt", "le", "gt", "ge"):
                    return 1
            return 3
        return 2

    def leaf(self, leaf: Leaf) -> list[Any]:
        name, path = leaf.path[0], leaf.path[1:]
        op = leaf.op
        if name == "id" and not path:
            if op in ("eq", "in", "ne", "nin"):
                ids = leaf.value if op in ("in", "nin") else (leaf.value,)
                toks = ["I", len(ids), *(str(i) for i in ids)]
                return ["!", *toks] if op in ("ne", "nin") else toks
            raise SpecificationError(f"{self.schema.model.__name__}: the id filters by "
                                     "equality, ne, in and not_in")
        f = self.field(name)
        if path:
            self.check_path(f, path, op)
        value = self.coerce(f, leaf)
        if not path and op in ("ne", "nin") and (f.indexed or f.unique):
            return ["!", *self.leaf(Leaf(leaf.path, "eq" if op == "ne" else "in", leaf.value))]
        if not path and op == "in" and (f.indexed or f.unique):
            parts: list[Any] = ["|", len(value)]
            for v in value:
                parts += self.leaf(Leaf(leaf.path, "eq", v))
            return parts
        if not path and f.unique and op == "eq" and value is not None:  # None is never claimed
            self.used.add("u:" + f.name)
            return ["U", f.name, unique_value(value, self.codec)]
        if not path and f.indexed and op in ("eq", "lt", "le", "gt", "ge", "sw"):
            self.used.add("i:" + f.name)
            return ["L", f.name, *self.lex_range(op, value)]
        return self.predicate(f, path, op, value)

    def check_path(self, f: FieldSpec, path: tuple[str, ...], op: str) -> None:
        """``field__a__b``: each step must name a field of a nested model (or any key of a dict
        or an untyped value); anything else is an unknown lookup."""
        tp: Any = f.annotation
        for step in path:
            tp = _strip_optional(tp)
            fields = getattr(tp, "model_fields", None)
            if isinstance(tp, type) and fields is not None:
                if step not in fields:
                    raise SpecificationError(
                        f"{self.schema.model.__name__}.{f.name}: {tp.__name__} has no field "
                        f"{step!r} (lookups: {', '.join(sorted(LOOKUPS))})")
                tp = fields[step].annotation
            elif tp is Any or typing.get_origin(tp) is dict or tp is dict:
                tp = Any
            else:
                raise SpecificationError(
                    f"{self.schema.model.__name__}: unknown lookup {'__'.join((f.name, *path))!r}"
                    f" (lookups: {', '.join(sorted(LOOKUPS))})")

    def lex_range(self, op: str, value: Any) -> tuple[bytes, bytes]:
        if op == "sw":
            if not isinstance(value, str):
                raise SpecificationError(f"startswith takes a str, not {type(value).__name__}")
            enc = bytes((ordered.STR,)) + value.encode("utf-8", "surrogatepass").replace(
                b"\x00", b"\x00\xff")
            return b"[" + enc, b"(" + enc + b"\xff"
        try:
            enc = index_prefix(value, self.codec)
        except ValueError as exc:
            raise SpecificationError(str(exc)) from None
        if op != "eq" and (value is None or enc[0] == ordered.OPAQUE):
            return b"[" + enc, b"(" + enc  # None orders against nothing (as in Python): empty
        family_lo, family_hi = b"[" + enc[:1], b"(" + bytes((enc[0] + 1,))
        if op == "eq":
            return b"[" + enc, b"(" + enc + b"\xff"
        if op == "gt":
            return b"[" + enc + b"\xff", family_hi
        if op == "ge":
            return b"[" + enc, family_hi
        if op == "lt":
            return family_lo, b"(" + enc
        return family_lo, b"(" + enc + b"\xff"  # le

    def predicate(self, f: FieldSpec, path: tuple[str, ...], op: str, value: Any) -> list[Any]:
        values = value if op in ("in", "nin") else (value,)
        if op == "like":
            if not isinstance(value, str):
                raise SpecificationError(f"like takes a str pattern, not {value!r}")
            values = (like_pattern(value),)
        if op == "sw" and not isinstance(value, str):  # as on an index (was a Lua error)
            raise SpecificationError(f"startswith takes a str, not {type(value).__name__}")
        if f.kind == RAW and not path:
            if not all(isinstance(v, str) for v in values):
                raise SpecificationError(f"{f.name} is a str field: compare it with str values")
            mode, args = "r", [v.encode("utf-8", "surrogatepass") for v in values]
        elif all(_json_scalar(v) for v in values) or op == "like":
            mode, args = "j", [json.dumps(v) for v in values]
        elif op in ("eq", "ne", "in", "nin") and not path:
            # exact stored text; 0.0 and -0.0 are equal but stored apart: both are sent
            mode, args = "t", [store(f, x, self.codec) for v in values
                               for x in ((v, -v) if isinstance(v, float) and v == 0 else (v,))]
        else:
            raise SpecificationError(
                f"{self.schema.model.__name__}.{'__'.join((f.name, *path))}: '{op}' on a "
                f"{type(value).__name__} value needs an Index on the field")
        default = self.default_text(f)
        return ["P", f.name, len(path), *path, mode, op, default, len(args), *args]

    def default_text(self, f: FieldSpec) -> bytes:
        if f.default is MISSING:
            return b"null"
        default = f.default() if callable(f.default) else f.default
        try:
            return store(f, default, self.codec)
        except Exception:  # noqa: BLE001 - an unstorable default never matches
            return b"null"

    def order_tokens(self, order: tuple[tuple[str, bool], ...]) -> list[Any]:
        out: list[Any] = [len(order)]
        for name, desc in order:
            direction = "d" if desc else "a"
            if name == "id":
                out += ["id", "k", direction, b""]
                continue
            f = self.field(name)
            kind = "i" if f.indexed else "r" if f.kind == RAW else "j"
            if f.indexed:
                self.used.add("i:" + f.name)
            out += [f.name, kind, direction, self.default_text(f)]
        return out


# -- evaluating in Python (a Unit of Work's pending objects) ---------------------------------
def _get(obj: Any, path: tuple[str, ...]) -> Any:
    value = obj
    for step in path:
        if isinstance(value, dict):
            value = value.get(step)
        else:
            value = getattr(value, step, None)
    if path and path[0] != "id":
        key = getattr(value, "__vermilion_key__", None)
        if key is not None and not isinstance(value, type):
            return key()
    return value


def _cmp_value(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.time, dt.timedelta, decimal.Decimal, uuid.UUID, enum.Enum)):
        return order_value(v)
    return v


def matches(node: Any, obj: Any) -> bool:
    """Whether ``obj`` satisfies the filter ``node`` (the same semantics as the script)."""
    if node is None:
        return True
    if isinstance(node, Node):
        if node.kind == "&":
            return all(matches(k, obj) for k in node.children)
        if node.kind == "|":
            return any(matches(k, obj) for k in node.children)
        return not matches(node.children[0], obj)
    v = _get(obj, node.path)
    op, arg = node.op, node.value
    if op in ("in", "nin"):
        return (v in arg) == (op == "in")
    if op == "eq":
        return bool(v == arg)
    if op == "ne":
        return bool(v != arg)
    if op == "sw":
        return isinstance(v, str) and v.startswith(arg)
    if op == "like":
        return isinstance(v, str) and re.fullmatch(
            "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in arg),
            v, re.S) is not None
    a, b = _cmp_value(v), _cmp_value(arg)
    try:
        return bool({"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[op])
    except TypeError:
        return False


def sort_key(order: tuple[tuple[str, bool], ...]) -> Any:
    """Sort objects as the script does (``None`` first, then by value; ties by id)."""

    def apply(objs: list[Any]) -> list[Any]:
        out = sorted(objs, key=lambda o: str(o.id), reverse=bool(order and order[-1][1]))
        for name, desc in reversed(order):
            out.sort(key=functools.partial(_field_rank, name), reverse=desc)
        return out

    return apply


def _field_rank(name: str, obj: Any) -> tuple[int, Any]:
    return _rank(_get(obj, (name,)))


def _rank(v: Any) -> tuple[int, Any]:
    v = _cmp_value(v)
    if v is None:
        return (0, 0)
    if isinstance(v, bool):
        return (1, v)
    if isinstance(v, (int, float)):
        return (2, v)
    if isinstance(v, str):
        return (3, v)
    return (4, 0)  # other values do not order: ties, broken by id as in the script
