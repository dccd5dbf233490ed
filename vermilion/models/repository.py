"""``Repository``: save, get, query, update and delete the objects of one model.

Written once (:class:`RepositoryBase`, operation generators) and run by two faces:
:class:`Repository` (methods return values) and :class:`AsyncRepository` (``vermilion.aio.models``,
methods return awaitables).  Round trips:

* ``save`` — one (one script writes the hash, every index entry and unique claim, the id set and
  the expiry, after checking uniqueness and ``only_create`` / ``only_update``: all or nothing);
* ``get(id)`` — one (``HGETALL``); ``get(spec)`` — one (the query script);
* ``filter`` / ``count`` — one, whatever the model's size: filters, order, pagination,
  projection and ``join`` run in one script (see :mod:`vermilion.models.specs` for each filter's
  cost); a ``join`` across models on Redis Cluster adds one;
* ``update(obj, ...)`` — one; ``update(spec, ...)`` / ``delete(spec)`` — two (read the matches,
  then write them all in one script, checking nothing changed in between; retried, at most
  :data:`ATTEMPTS` times, only when the write was refused because something did).

Every query script first reclaims the index entries of objects whose TTL has passed, so an
expired object is never returned, counted, or found holding a unique value.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Iterator
from typing import Any, ClassVar, Generic, Literal, TypeVar, overload

from pydantic import ValidationError
from redis.exceptions import ResponseError

from ..core.base import AsyncFace, RedisObject, SyncFace, op, to_ms
from ..core.calls import Call, Op, run_script
from ..core.codec import Codec
from ..core.errors import DecodeError, TransactionConflict, WrongTypeError
from ..core.scripts import load_script
from .errors import (
    AlreadyExists,
    IndexNotReady,
    MultipleResultsError,
    NotFoundError,
    StoredDataError,
    UniqueViolation,
)
from .model import Binding, Model, Reference, binding, version_of
from .schema import MISSING, RAW, REF, Schema, index_member, store, unique_value
from .specs import (
    Compiler,
    Leaf,
    Query,
    Specification,
    SpecificationList,
    gather,
    matches,
    sort_key,
    specs,
)

_WRITE = load_script("model_write", "vermilion.models")
_QUERY = load_script("model_query", "vermilion.models")
_EXPIRE = load_script("model_expire", "vermilion.models")
_REINDEX = load_script("model_reindex", "vermilion.models")
_BUILT = load_script("model_built", "vermilion.models")

M = TypeVar("M", bound=Model)
R = TypeVar("R")

_OWN_VALIDATORS = {"_vm_fill_id", "_vm_check_id"}  # Model's own (id checks)

ATTEMPTS = 5
"""How many times a bulk ``update``/``delete`` re-reads its matches after a concurrent change
refused its write."""


class _Unit:
    """The state of a Unit of Work: versions read, writes pending."""

    def __init__(self) -> None:
        self.reads: dict[str, str] = {}  # id -> version read ("" = did not exist)
        self.writes: dict[str, tuple[list[Any], Model | None]] = {}  # id -> (op args, object)

    def read(self, id: str, version: str | None) -> None:
        self.reads.setdefault(id, version or "")


class RepositoryBase(RedisObject, Generic[M]):
    """Every operation of a repository, written once for both faces."""

    type_name: ClassVar[str] = "ModelRepository"

    def __init__(self, model: type[M], *, client: Any = None, codec: Codec | None = None):
        if not (isinstance(model, type) and issubclass(model, Model)):
            raise TypeError(f"a Repository takes a vermilion.models.Model subclass, not {model!r}")
        self.model: type[M] = model
        self.schema: Schema = model.__schema__()
        super().__init__(key=self.schema.base, client=client, codec=codec)
        self.specs: SpecificationList = specs
        self._compiler = Compiler(self.schema, self._codec)
        self._unit: _Unit | None = None
        # per stored field: (spec, name, stored as raw text, index entry head, unique entry head)
        self._refs = [f for f in self.schema.fields.values() if f.kind == REF]
        self._layout = [
            (f, f.name, f.kind == RAW, _head("i", f.name) if f.indexed else None,
             _head("u", f.name) if f.unique else None) for f in self.schema.fields.values()]
        # every field plain (see _validated), and the model validates nothing of its own
        decorators = model.__pydantic_decorators__
        self._plain = all(f.exact is not None for f in self.schema.fields.values()) and not (
            (decorators.field_validators.keys() | decorators.model_validators.keys()
             | decorators.root_validators.keys()) - _OWN_VALIDATORS)
        self._repos: dict[type[Model], RepositoryBase[Any]] = {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.model.__name__} at {self.schema.base}>"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickling (e.g. to another process) sends the model class: the receiver opens the
        repository on its own default client and codec, as vermilion objects do."""
        return (type(self), (self.model,))

    @property
    def keys_owned(self) -> tuple[str, ...]:
        return tuple(self.schema.model_keys())

    # -- helpers -----------------------------------------------------------------------------
    def _other(self, model: type[Model]) -> RepositoryBase[Any]:
        """A repository of ``model`` on the same face, client and codec (references)."""
        if model is self.model:
            return self
        found = self._repos.get(model)
        if found is None:
            found = self._repos[model] = type(self)(model, client=self._client,  # type: ignore[arg-type]
                                                    codec=self._codec)
        return found

    def _id(self, target: Any) -> str:
        if isinstance(target, Model):
            if not isinstance(target, self.model):
                raise TypeError(f"a {type(target).__name__} is not a {self.model.__name__}")
            return str(target.id)
        if isinstance(target, Reference):
            return self.schema.id_of(target.key)
        if isinstance(target, (str, int)) and not isinstance(target, bool):
            return str(target)
        raise TypeError(f"an id (str), a {self.model.__name__} or a specification, not "
                        f"{type(target).__name__}")

    def _bind(self, obj: Model, version: Any, stored: dict[str, bytes] | None) -> None:
        obj.__pydantic_private__["_vm"] = Binding(  # type: ignore[index]
            self, self._face, _text(version), stored)

    def _decode(self, id: str, flat: list[bytes], only: tuple[str, ...] | None = None) -> M:
        """The object stored as the hash ``flat`` (fields and values), validated (a projection
        ``only`` is built without validation); :class:`StoredDataError` names the key when the
        hash is not what the model stores."""
        stored = {k.decode(): v for k, v in zip(flat[::2], flat[1::2])}
        version = stored.pop("_v", None)
        data: dict[str, Any] = {"id": id}
        loads = self._codec.decode
        for f, name, raw, _, _ in self._layout:
            value = stored.get(name)
            if value is None:
                if f.default is MISSING and only is None:
                    raise self._unreadable(id, f"the required field {name!r} is missing")
                continue
            try:
                data[name] = value.decode("utf-8", "surrogatepass") if raw else loads(value)
            except (DecodeError, UnicodeDecodeError) as exc:
                raise self._unreadable(id, f"field {name!r} cannot be decoded: {exc}") from None
        for f in self._refs:
            value = data.get(f.name)
            if value is not None:
                if not isinstance(value, str):
                    raise self._unreadable(id, f"reference {f.name!r} holds {value!r}, not a key")
                target = self.schema.resolve(f.ref.target)  # type: ignore[union-attr]
                data[f.name] = Reference(value, target, self._other(target))
        if only is not None:
            obj = self.model.model_construct(**data)
        else:
            try:
                obj = self.model.model_validate(data)
            except ValidationError as exc:
                raise self._unreadable(id, f"does not validate as the model: {exc}") from exc
        obj.__pydantic_private__["_vm"] = Binding(  # type: ignore[index]
            self, self._face, _text(version), stored if only is None else None)
        return obj

    def _unreadable(self, id: str, what: str) -> StoredDataError:
        key = self.schema.key(id)
        return StoredDataError(f"{self.model.__name__} at key {key!r}: {what} (written by "
                               "something else?)", key=key)

    def _validated(self, obj: M) -> M:
        """Run the model's validation on what ``obj`` holds now (in-place changes of lists,
        dicts, sets and nested models included), unless every field is a plain ``str`` /
        ``int`` / ``float`` / ``bool`` / ``bytes`` (or ``None``) field holding a value of its
        type: construction and ``validate_assignment`` have checked those already."""
        values = obj.__dict__
        if self._plain and all(type(values.get(f.name)) in f.exact  # type: ignore[operator]
                               for f in self.schema.fields.values()):
            return obj
        data = {n: values.get(n) for n in type(obj).model_fields
                if n not in self.schema.children}
        checked = type(obj).model_validate(data)
        for name in self.schema.fields:
            obj.__dict__[name] = checked.__dict__[name]
        return obj

    def _entry(self, obj: M, mode: str, ttlmode: str, ttlms: int) -> tuple[list[Any], dict[str, bytes]]:
        """The ``S`` operation of ``model_write.lua`` for ``obj`` and the stored field bytes."""
        codec = self._codec
        id = str(obj.id)
        values = obj.__dict__
        fields: list[Any] = []
        entries: list[bytes] = []
        stored: dict[str, bytes] = {}
        for f, name, raw, head_i, head_u in self._layout:
            value = values.get(name)
            data = stored[name] = (value.encode("utf-8", "surrogatepass") if raw and type(value) is str
                                   else store(f, value, codec))
            fields.append(name)
            fields.append(data)
            if head_i is not None:
                try:
                    member = index_member(value, id, codec)
                except ValueError as exc:
                    raise ValueError(f"{self.model.__name__}.{name}: {exc}") from None
                entries.append(b"%s%d:%s" % (head_i, len(member), member))
            if head_u is not None and value is not None:
                claim = unique_value(value, codec)
                entries.append(b"%s%d:%s" % (head_u, len(claim), claim))
        return ["S", id, mode, ttlmode, ttlms, b"".join(entries), len(stored), *fields], stored

    def _ttl_args(self, expire_in: Any, expire_in_px: Any, keep_ttl: bool) -> tuple[str, int]:
        given = [x is not None for x in (expire_in, expire_in_px)].count(True) + bool(keep_ttl)
        if given > 1:
            raise ValueError("give at most one of expire_in, expire_in_px and keep_ttl")
        if expire_in is not None:
            seconds = expire_in.total_seconds() if hasattr(expire_in, "total_seconds") else expire_in
            if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and seconds <= 0:
                raise ValueError(f"expire_in must be positive, not {expire_in!r}")
            return "px", to_ms(expire_in)
        if expire_in_px is not None:
            if isinstance(expire_in_px, bool) or not isinstance(expire_in_px, int):
                raise TypeError(f"expire_in_px must be an int (milliseconds), not {expire_in_px!r}")
            if expire_in_px <= 0:
                raise ValueError(f"expire_in_px must be positive, not {expire_in_px}")
            return "px", expire_in_px
        if keep_ttl:
            return "keep", 0
        if self.schema.ttl_ms is not None:
            return "px", self.schema.ttl_ms
        return "none", 0

    def _write(self, checks: dict[str, str], ops: list[list[Any]]) -> Generator[Any, Any, list[Any]]:
        """Run ``model_write.lua``: the checks and the operations, all or nothing."""
        schema = self.schema
        keys = schema.model_keys()
        for o in ops:
            keys += schema.object_keys(o[1])
        args: list[Any] = [schema.base, schema.children_arg, schema.index_arg, len(checks)]
        for id, version in checks.items():
            args += [id, version]
        args.append(len(ops))
        for o in ops:
            args += o
        reply = yield run_script(_WRITE, keys, args)
        status = _text(reply[0])
        if status == "ok":
            return list(reply[1:])
        raise self._refusal(status, reply)

    def _refusal(self, status: str | None, reply: list[Any]) -> Exception:
        name = self.model.__name__
        if status == "conflict":
            id = _text(reply[1]) or ""
            return TransactionConflict(
                f"{name} {id!r} changed after it was read; nothing was written",
                key=self.schema.key(id))
        if status == "exists":
            id = _text(reply[1]) or ""
            return AlreadyExists(f"{name} {id!r} exists (only_create); nothing was written",
                                 key=self.schema.key(id))
        if status == "missing":
            id = _text(reply[1]) or ""
            return NotFoundError(f"{name} {id!r} does not exist (only_update); nothing was "
                                 "written", key=self.schema.key(id))
        if status == "wrongtype":
            key = _text(reply[1])
            return WrongTypeError(f"key {key!r} holds a Redis {_text(reply[2])}, not the hash of "
                                  f"a {name}; nothing was written", key=key)
        if status == "unique":
            field, raw, owner = _text(reply[1]) or "", reply[2], _text(reply[3]) or ""
            f = self.schema.fields[field]
            value: Any = raw.decode("utf-8", "surrogatepass") if f.kind != "value" else raw
            if f.kind == "value":
                try:
                    value = self._codec.decode(raw)
                except DecodeError:
                    pass
            return UniqueViolation(
                f"{name}.{field} = {value!r} is already taken by {name} {owner!r}; nothing "
                "was written", field=field, value=value, owner=owner, key=self.schema.key(owner))
        return RuntimeError(f"unexpected reply from model_write: {reply!r}")

    def _query(self, q: Query, fetch: str = "F") -> Generator[Any, Any, Any]:
        """Run ``model_query.lua``; returns rows ``[id, flat hash, joined...]``, ids or a count."""
        schema = self.schema
        compiler = Compiler(schema, self._codec)  # one per query: it collects the indexes used
        plan, order, used = compiler.compile(q)
        args: list[Any] = [schema.base, schema.children_arg, ",".join(used), *plan, *order,
                           q.offset, -1 if q.limit is None else q.limit]
        only = q.only
        if fetch == "F" and only is not None:
            for name in only:
                if name != "id":
                    compiler.field(name)
            only = tuple(n for n in only if n != "id")
            args += ["O", len(only), *only]
        else:
            args.append(fetch)
        joins = self._joins(q) if fetch == "F" else []
        inline = [f for f in joins if self._inline_join(f)]
        args.append(len(inline))
        for f in inline:
            args += [f, ""]
        keys = schema.model_keys()
        try:
            reply = yield run_script(_QUERY, keys, args, readonly=True)
        except ResponseError as exc:
            if str(exc).startswith("VMINDEX "):
                name = str(exc).split(" ", 1)[1].split(":", 1)[-1].split(" ")[0]
                raise IndexNotReady(
                    f"{self.model.__name__}.{name}: the index was added after objects were "
                    f"stored and is not complete yet; run repository.reindex() (or `vermilion "
                    f"models reindex {self.model.__module__}:{self.model.__qualname__}`)",
                    key=f"{schema.base}#built") from None
            raise
        if fetch == "I" and not q.order and not q.offset and q.limit is None:
            reply.sort()  # the script leaves a whole unordered result to the client to sort
        if fetch != "F":
            return reply
        if not q.order and not q.offset and q.limit is None:
            reply.sort(key=_row_id)
        later = [f for f in joins if f not in inline]
        if later and reply:
            # references to another model on Redis Cluster: its keys live in another slot
            calls = []
            for row in reply:
                for f in later:
                    target = _ref_of(self, row, f)
                    calls.append(Call(("HGETALL", target), (target,), readonly=True)
                                 if target else Call(("ECHO", b""), (), readonly=True))
            fetched = [_flat(x) for x in (yield calls)]
            it = iter(fetched)
            for row in reply:
                for f in later:
                    target = _ref_of(self, row, f)
                    flat = next(it)
                    row.append([target.encode(), flat] if target else None)
        return reply

    def _joins(self, q: Query) -> list[str]:
        for name in q.join:
            f = self._compiler.field(name)
            if f.kind != REF:
                raise ValueError(f"{self.model.__name__}.{name} is not a reference: join takes "
                                 "Ref fields")
        return list(q.join)

    def _inline_join(self, field: str) -> bool:
        f = self.schema.fields[field]
        assert f.ref is not None
        target = self.schema.resolve(f.ref.target)
        return target.__schema__().prefix == self.schema.prefix or not getattr(
            self._executor, "is_cluster", False)

    def _rows(self, q: Query, reply: list[Any]) -> list[M]:
        out = []
        only = None if q.only is None else tuple(n for n in q.only if n != "id")
        inline = [f for f in q.join if self._inline_join(f)]
        joins = inline + [f for f in q.join if f not in inline]
        for row in reply:
            id = row[0].decode()
            if only is not None:
                flat: list[Any] = []
                values = row[1]
                version = values[0]
                for name, v in zip(only, values[1:]):
                    if v is not None:
                        flat += [name.encode(), v]
                flat += [b"_v", version] if version is not None else []
                obj = self._decode(id, flat, only)
            else:
                obj = self._decode(id, row[1])
            for name, joined in zip(joins, row[2:]):
                if joined:
                    target_key, target_flat = joined[0], joined[1]
                    target_key = target_key.decode() if isinstance(target_key, bytes) else target_key
                    if target_flat:
                        f = self.schema.fields[name]
                        assert f.ref is not None
                        other = self._other(self.schema.resolve(f.ref.target))
                        obj.__dict__[name] = other._decode(other.schema.id_of(target_key),
                                                           target_flat)
            out.append(obj)
        return out

    # -- reads -------------------------------------------------------------------------------
    def _get_by_id(self, id: str) -> Generator[Any, Any, M]:
        unit = self._unit
        if unit is not None and id in unit.writes:
            args, pending = unit.writes[id]
            if pending is None:
                raise NotFoundError(f"{self.model.__name__} {id!r} was deleted in this unit of "
                                    "work", key=self.schema.key(id))
            return pending  # type: ignore[return-value]
        key = self.schema.key(id)
        flat = _flat((yield Call(("HGETALL", key), (key,), readonly=True)))
        if not flat:
            if unit is not None:
                unit.read(id, None)
            raise NotFoundError(f"no {self.model.__name__} with id {id!r}", key=key)
        obj = self._decode(id, flat)
        if unit is not None:
            unit.read(id, version_of(obj))
        return obj

    def _find(self, q: Query) -> Generator[Any, Any, list[M]]:
        unit = self._unit
        if unit is None or not unit.writes:
            reply = yield from self._query(q)
            objs = self._rows(q, reply)
        else:
            # read-your-writes: the unit's pending objects replace / hide what Redis holds
            whole = Query(q.node, q.order, None, 0, None, q.join)
            reply = yield from self._query(whole)
            stored = [o for o in self._rows(whole, reply) if str(o.id) not in unit.writes]
            pending = [o for _, o in unit.writes.values()
                       if o is not None and matches(q.node, o)]
            objs = sort_key(q.order)(stored + pending)  # type: ignore[arg-type]
            objs = objs[q.offset:None if q.limit is None else q.offset + q.limit]
        if unit is not None:
            for o in objs:
                if str(o.id) not in unit.writes:
                    unit.read(str(o.id), version_of(o))
        return objs

    @op
    def get(self, *specs: Any) -> Op[M]:
        """The object with this id (``get("luke")``, one ``HGETALL``) or the one object matching
        the specifications (one script).  Raises :class:`NotFoundError` /
        :class:`MultipleResultsError`."""
        if len(specs) == 1 and not isinstance(specs[0], Specification):
            return (yield from self._get_by_id(self._id(specs[0])))
        q = gather(specs)
        q.limit, q.offset = 2, q.offset
        objs = yield from self._find(q)
        if not objs:
            raise NotFoundError(f"no {self.model.__name__} matches {specs!r}")
        if len(objs) > 1:
            raise MultipleResultsError(f"more than one {self.model.__name__} matches {specs!r}")
        return objs[0]

    @op
    def filter(self, *specs: Specification) -> Op[list[M]]:
        """The objects matching the specifications, in one round trip (see
        :mod:`vermilion.models.specs` for what each filter costs)."""
        return (yield from self._find(gather(specs)))

    @op
    def count(self, *specs: Specification) -> Op[int]:
        """How many objects match (``ZCARD`` of the id set when there is no filter); one round
        trip."""
        q = gather(specs)
        unit = self._unit
        if unit is not None and unit.writes:
            return len((yield from self._find(Query(q.node))))
        n = yield from self._query(Query(q.node), "C")
        return int(n)

    @op
    def exists(self, target: Any) -> Op[bool]:  # type: ignore[override]
        """Whether an object with this id exists; one round trip."""
        key = self.schema.key(self._id(target))
        return bool((yield Call(("EXISTS", key), (key,), readonly=True)))

    @op
    def refresh(self, obj: M) -> Op[M]:
        """Reload ``obj``'s fields from Redis in place (one round trip); returns it."""
        fresh = yield from self._get_by_id(self._id(obj))
        for name in self.schema.fields:
            obj.__dict__[name] = fresh.__dict__[name]
        self._bind(obj, version_of(fresh), binding(fresh).stored)
        return obj

    @op
    def is_modified(self, obj: M) -> Op[bool]:
        """Whether ``obj`` differs from what Redis holds for its id (one round trip);
        ``True`` if Redis holds nothing."""
        key = self.schema.key(self._id(obj))
        flat = _flat((yield Call(("HGETALL", key), (key,), readonly=True)))
        if not flat:
            return True
        stored = {k.decode(): v for k, v in zip(flat[::2], flat[1::2])}
        for f in self.schema.fields.values():
            if stored.get(f.name) != store(f, obj.__dict__.get(f.name), self._codec):
                return True
        return False

    # -- writes ------------------------------------------------------------------------------
    @op
    def save(self, obj: M | None = None, /, *, expire_in: Any = None, expire_in_px: int | None = None,
             keep_ttl: bool = False, only_create: bool = False, only_update: bool = False,
             **fields: Any) -> Op[M]:
        """Store ``obj`` (or a new object built from ``fields``): its hash, every index entry and
        unique claim, in one round trip, all or nothing.

        ``expire_in`` (seconds or timedelta) / ``expire_in_px`` (ms) give it a TTL (children
        too), ``keep_ttl`` keeps the one it has; otherwise the model's ``Meta.ttl``, else none.
        ``only_create`` (NX) raises :class:`AlreadyExists`, ``only_update`` (XX)
        :class:`NotFoundError` instead of writing.  A ``Unique`` value held by another object
        raises :class:`UniqueViolation`.  Inside a unit of work the write waits for ``commit``.
        """
        if obj is None:
            obj = self.model(**fields)
        elif fields:
            raise TypeError("save() takes an object or field values, not both")
        elif not isinstance(obj, self.model):
            raise TypeError(f"save() takes a {self.model.__name__}, not {type(obj).__name__}")
        else:
            self._validated(obj)
        if only_create and only_update:
            raise ValueError("only_create and only_update exclude each other")
        mode = "nx" if only_create else "xx" if only_update else ""
        ttlmode, ttlms = self._ttl_args(expire_in, expire_in_px, keep_ttl)
        entry, stored = self._entry(obj, mode, ttlmode, ttlms)
        if self._unit is not None:
            self._pend(entry, obj)
            return obj
        reply = yield from self._write({}, [entry])
        self._bind(obj, reply[0], stored)
        return obj

    @op
    def save_all(self, objs: list[M], /, *, expire_in: Any = None, expire_in_px: int | None = None,
                 keep_ttl: bool = False) -> Op[list[M]]:
        """Store several objects in one round trip, all or nothing (unique values checked across
        the batch too)."""
        objs = list(objs)
        ttlmode, ttlms = self._ttl_args(expire_in, expire_in_px, keep_ttl)
        entries = []
        for obj in objs:
            if not isinstance(obj, self.model):
                raise TypeError(f"save_all() takes {self.model.__name__} objects, not "
                                f"{type(obj).__name__}")
            entries.append(self._entry(self._validated(obj), "", ttlmode, ttlms))
        ids = [str(o.id) for o in objs]
        if len(set(ids)) != len(ids):
            raise ValueError("save_all() got the same id twice")
        if self._unit is not None:
            for obj, (entry, _) in zip(objs, entries):
                self._unit.writes[str(obj.id)] = (entry, obj)
            return objs
        if not objs:
            return objs
        reply = yield from self._write({}, [e for e, _ in entries])
        for obj, version, (_, stored) in zip(objs, reply, entries):
            self._bind(obj, version, stored)
        return objs

    @op(tx=False)
    def update(self, target: Any = None, /, *specs: Specification, **values: Any) -> Op[Any]:
        """``update(obj, **values)``: set the values on ``obj`` (validated) and save it if it
        exists (one round trip; :class:`NotFoundError` otherwise); returns ``obj``.

        ``update(spec..., **values)``: set the values on every matching object: the matches are
        read, validated with the new values, and written in one script that checks none changed
        since (two round trips); returns how many were updated."""
        if isinstance(target, Model):
            if specs:
                raise TypeError("update(obj, ...) takes values, not specifications")
            for name, value in values.items():
                if name not in self.schema.fields:
                    raise TypeError(f"{self.model.__name__} has no stored field {name!r}")
                setattr(target, name, value)
            return (yield from self.save.__vermilion_op__(  # type: ignore[attr-defined]
                self, target, keep_ttl=True, only_update=True))
        all_specs = (target, *specs) if target is not None else specs
        for name in values:
            if name not in self.schema.fields:
                raise TypeError(f"{self.model.__name__} has no stored field {name!r}")
        q = gather(all_specs)
        for _ in range(ATTEMPTS):
            objs = yield from self._find(q)
            changed = []
            for obj in objs:
                data = {n: obj.__dict__.get(n) for n in type(obj).model_fields
                        if n not in self.schema.children}
                data.update(values)
                fresh = self.model.model_validate(data)
                self._bind(fresh, version_of(obj), None)
                changed.append(fresh)
            if self._unit is not None:
                for obj in changed:
                    entry, _ = self._entry(obj, "xx", "keep", 0)
                    self._pend(entry, obj)
                return len(changed)
            if not changed:
                return 0
            checks = {str(o.id): version_of(o) or "" for o in changed}
            try:
                yield from self._write(checks, [self._entry(o, "xx", "keep", 0)[0] for o in changed])
            except TransactionConflict:
                continue
            return len(changed)
        raise TransactionConflict(f"update of {self.model.__name__}: the matching objects kept "
                                  f"changing ({ATTEMPTS} attempts); nothing was written")

    @op(tx=False)
    def delete(self, target: Any = None, /, *specs: Specification) -> Op[int]:  # type: ignore[override]
        """Delete one object (by object, reference or id: one round trip) or every object
        matching the specifications (two round trips, checked as :meth:`update`), with their
        index entries and children.  Returns how many were deleted."""
        if target is not None and not isinstance(target, Specification):
            if specs:
                raise TypeError("delete(obj) takes no specifications")
            id = self._id(target)
            if self._unit is not None:
                self._unit.writes[id] = (["D", id], None)
                return 1
            reply = yield from self._write({}, [["D", id]])
            return int(reply[0])
        q = gather((target, *specs) if target is not None else specs)
        for _ in range(ATTEMPTS):
            objs = yield from self._find(q)
            if self._unit is not None:
                for o in objs:
                    self._unit.writes[str(o.id)] = (["D", str(o.id)], None)
                return len(objs)
            if not objs:
                return 0
            checks = {str(o.id): version_of(o) or "" for o in objs}
            try:
                reply = yield from self._write(checks, [["D", str(o.id)] for o in objs])
            except TransactionConflict:
                continue
            return sum(int(x) for x in reply)
        raise TransactionConflict(f"delete of {self.model.__name__}: the matching objects kept "
                                  f"changing ({ATTEMPTS} attempts); nothing was deleted")

    @op
    def expire(self, target: Any, seconds: Any = None) -> Op[bool]:  # type: ignore[override]
        """Give one object (and its children) a TTL of ``seconds`` (``None``: remove it), keeping
        its index entries in step; one round trip.  ``False`` if it does not exist."""
        ms = -1 if seconds is None else to_ms(seconds)
        id = self._id(target)
        reply = yield run_script(_EXPIRE, [*self.schema.model_keys(), *self.schema.object_keys(id)],
                                 [self.schema.base, self.schema.children_arg, id, ms])
        return bool(reply)

    @op
    def ttl_of(self, target: Any) -> Op[float | None]:
        """Seconds until the object expires, or ``None`` (no TTL, or no object); one round trip."""
        key = self.schema.key(self._id(target))
        reply = yield Call(("PTTL", key), (key,), readonly=True)
        return None if reply < 0 else reply / 1000.0

    @op(tx=False)
    def reindex(self, *, chunk: int = 500,
                progress: Callable[[int, int], None] | None = None) -> Op[int]:
        """Rebuild every object's index entries and unique claims (after an ``Index`` or
        ``Unique`` was added to a model that has objects; until then queries on it raise
        :class:`IndexNotReady`), and drop the index keys of fields no longer indexed.

        Reads and rewrites ``chunk`` objects per two round trips, while other clients keep
        working: an object saved meanwhile (by code that knows the new index) is left as it is.
        ``progress(done, total)`` is called after each chunk (ids visited).  Duplicate values of
        a ``Unique`` field raise :class:`UniqueViolation` at the end (the constraint stays not
        ready).  Returns how many objects were reindexed (those saved, deleted or expired
        meanwhile are not counted).  Every writer must run the new model first: a save by code
        that does not know the index leaves its entry out."""
        schema = self.schema
        if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
            raise ValueError(f"chunk must be a positive int, not {chunk!r}")
        ids_key, built_key = f"{schema.base}#ids", f"{schema.base}#built"
        keys = schema.model_keys()
        total = int((yield Call(("ZCARD", ids_key), (ids_key,), readonly=True)))
        after, done, reindexed = b"-", 0, 0
        collisions: list[tuple[str, bytes, str, str]] = []
        while True:
            ids = yield Call(("ZRANGEBYLEX", ids_key, after, "+", "LIMIT", 0, chunk), (ids_key,),
                             readonly=True)
            if not ids:
                break
            after = b"(" + ids[-1]
            q = Query(Leaf(("id",), "in", tuple(i.decode() for i in ids)))
            objs = self._rows(q, (yield from self._query(q)))
            args: list[Any] = [schema.base, schema.children_arg]
            for obj in objs:
                entry, _ = self._entry(obj, "", "keep", 0)
                args += [str(obj.id), version_of(obj) or "", entry[5]]
            reply = yield run_script(_REINDEX, keys, args)
            reindexed += int(reply[0])
            for i in range(1, len(reply), 4):
                collisions.append((_text(reply[i]) or "", reply[i + 1], _text(reply[i + 2]) or "",
                                   _text(reply[i + 3]) or ""))
            done += len(ids)
            if progress is not None:
                progress(min(done, max(total, done)), max(total, done))
        if collisions:
            field, raw, id, owner = collisions[0]
            raise UniqueViolation(
                f"{self.model.__name__}.{field}: {len(collisions)} object(s) hold a value another "
                f"object holds (first: {id!r} and {owner!r}); fix them and run reindex again",
                field=field, value=raw, owner=owner, key=schema.key(id))
        had = {_text(x) or "" for x in (yield Call(("SMEMBERS", built_key), (built_key,),
                                                    readonly=True))}
        stale = sorted(had - set(schema.index_names))
        yield run_script(_BUILT, keys, [schema.base, schema.children_arg,
                                        ",".join(schema.index_names), ",".join(stale)])
        return reindexed

    # -- unit of work ------------------------------------------------------------------------
    def _pend(self, entry: list[Any], obj: M) -> None:
        """Queue a save in the unit.  For an id the unit already writes, only_create /
        only_update is decided now by that pending write (which this one replaces: Redis at
        commit would answer for the state before the unit)."""
        unit = self._unit
        assert unit is not None
        id = entry[1]
        before = unit.writes.get(id)
        if before is not None and entry[2]:
            exists = before[1] is not None
            if entry[2] == "nx" and exists:
                raise AlreadyExists(f"{self.model.__name__} {id!r} is saved in this unit of work "
                                    "(only_create)", key=self.schema.key(id))
            if entry[2] == "xx" and not exists:
                raise NotFoundError(f"{self.model.__name__} {id!r} was deleted in this unit of "
                                    "work", key=self.schema.key(id))
            entry = [*entry[:2], "", *entry[3:]]
        unit.writes[id] = (entry, obj)

    def _for_unit(self) -> RepositoryBase[M]:
        twin = type(self)(self.model, client=self._client, codec=self._codec)
        twin._unit = _Unit()
        return twin

    def _commit(self) -> Generator[Any, Any, None]:
        unit = self._unit
        assert unit is not None
        if unit.writes:
            ops = [entry for entry, _ in unit.writes.values()]
            reply = yield from self._write(dict(unit.reads), ops)
            for (_, obj), version in zip(unit.writes.values(), reply):
                if obj is not None:
                    self._bind(obj, version, None)
        unit.reads.clear()
        unit.writes.clear()


def _head(kind: str, name: str) -> bytes:
    """The start of an entry of an object's index record, as ``model_common.lua`` reads it:
    ``<kind><len(name)>:<name><len(member)>:<member>`` (kind ``i``: index, ``u``: unique)."""
    n = name.encode()
    return b"%s%d:%s" % (kind.encode(), len(n), n)


def _row_id(row: list[Any]) -> bytes:
    return row[0]  # type: ignore[no-any-return]


def _flat(reply: Any) -> list[Any]:
    """A hash's fields and values as one list (RESP3 replies a map)."""
    if isinstance(reply, dict):
        return [x for pair in reply.items() for x in pair]
    return reply or []


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode()
    return str(value)


def _ref_of(repo: RepositoryBase[Any], row: list[Any], field: str) -> str | None:
    flat = row[1]
    stored = dict(zip(flat[::2], flat[1::2]))
    raw = stored.get(field.encode())
    if raw is None:
        return None
    try:
        value = repo._codec.decode(raw)
    except DecodeError:
        return None
    return value if isinstance(value, str) else None


class LazyCommand(Generic[R]):
    """A query that runs on first use (``filter(..., lazy=True)``): iterating, ``len``,
    indexing, ``bool``, ``==`` or calling it runs it once and keeps the result.  On the asyncio
    face, ``await lazy``."""

    def __init__(self, thunk: Callable[[], Any]):
        self._thunk: Callable[[], Any] = thunk
        self._done: bool = False
        self._result: Any = None

    def __call__(self) -> R:
        if not self._done:
            self._result = self._thunk()
            self._done = True
        return self._result  # type: ignore[no-any-return]

    def __await__(self) -> Generator[Any, None, R]:
        async def run() -> R:
            if not self._done:
                self._result = await self._thunk()
                self._done = True
            return self._result  # type: ignore[no-any-return]

        return run().__await__()

    def __iter__(self) -> Iterator[Any]:
        return iter(self())  # type: ignore[call-overload]

    def __len__(self) -> int:
        return len(self())  # type: ignore[arg-type]

    def __getitem__(self, item: Any) -> Any:
        return self()[item]  # type: ignore[index]

    def __bool__(self) -> bool:
        return bool(self())

    def __eq__(self, other: object) -> bool:
        return bool(self() == other)

    __hash__: ClassVar[None] = None  # type: ignore[assignment]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self(), name)

    def __repr__(self) -> str:
        return f"LazyCommand({'done' if self._done else 'pending'})"


class Repository(RepositoryBase[M], SyncFace):
    """The sync face: ``users = Repository(User); users.save(User(...))``."""

    @overload
    def filter(self, *specs: Specification, lazy: Literal[False] = ...) -> list[M]: ...
    @overload
    def filter(self, *specs: Specification, lazy: Literal[True]) -> LazyCommand[list[M]]: ...
    def filter(self, *specs: Specification, lazy: bool = False) -> Any:  # type: ignore[override]
        """See :meth:`RepositoryBase.filter`; ``lazy=True`` returns a :class:`LazyCommand`."""
        run = super().filter
        return LazyCommand(lambda: run(*specs)) if lazy else run(*specs)

    @overload
    def get(self, *specs: Any, lazy: Literal[False] = ...) -> M: ...
    @overload
    def get(self, *specs: Any, lazy: Literal[True]) -> LazyCommand[M]: ...
    def get(self, *specs: Any, lazy: bool = False) -> Any:  # type: ignore[override]
        """See :meth:`RepositoryBase.get`; ``lazy=True`` returns a :class:`LazyCommand`."""
        run = super().get
        return LazyCommand(lambda: run(*specs)) if lazy else run(*specs)

    def all(self) -> list[M]:
        """Every object, ordered by id (one round trip)."""
        return self.filter()


class AsyncRepository(RepositoryBase[M], AsyncFace):
    """The asyncio face: the same methods, awaited (``vermilion.aio.models.Repository``)."""

    @overload
    def filter(self, *specs: Specification, lazy: Literal[False] = ...) -> Awaitable[list[M]]: ...
    @overload
    def filter(self, *specs: Specification, lazy: Literal[True]) -> LazyCommand[list[M]]: ...
    def filter(self, *specs: Specification, lazy: bool = False) -> Any:  # type: ignore[override]
        """See :meth:`RepositoryBase.filter`; ``lazy=True`` returns a :class:`LazyCommand`."""
        run = super().filter
        return LazyCommand(lambda: run(*specs)) if lazy else run(*specs)

    @overload
    def get(self, *specs: Any, lazy: Literal[False] = ...) -> Awaitable[M]: ...
    @overload
    def get(self, *specs: Any, lazy: Literal[True]) -> LazyCommand[M]: ...
    def get(self, *specs: Any, lazy: bool = False) -> Any:  # type: ignore[override]
        """See :meth:`RepositoryBase.get`; ``lazy=True`` returns a :class:`LazyCommand`."""
        run = super().get
        return LazyCommand(lambda: run(*specs)) if lazy else run(*specs)

    def all(self) -> Awaitable[list[M]]:
        """Every object, ordered by id (one round trip)."""
        return self.filter()
