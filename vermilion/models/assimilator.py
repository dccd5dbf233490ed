"""PyAssimilator's Redis patterns on vermilion's models engine.

Code written for PyAssimilator keeps working after its imports change to this module::

    from vermilion.models.assimilator import RedisModel, RedisRepository, RedisUnitOfWork
    from vermilion.models.assimilator import Repository, UnitOfWork  # the annotations

    class User(RedisModel):
        username: str
        balance: float

    repository = RedisRepository(session=redis.Redis(), model=User)
    with RedisUnitOfWork(repository=repository) as uow:
        uow.repository.save(username="Andrey", balance=1000)
        uow.commit()
    repository.get(repository.specs.filter(username="Andrey"))

What maps to what:

* ``RedisModel`` is a vermilion :class:`~vermilion.models.Model` (Pydantic v2) with PyAssimilator's
  per-object control fields ``expire_in`` (EX, seconds), ``expire_in_px`` (PX, ms),
  ``only_create`` (NX), ``only_update`` (XX) and ``keep_ttl`` (KEEPTTL): settable on the object,
  never stored, left out of ``model_dump()`` / ``json()``.  ``save`` gives them Redis ``SET``'s
  meaning: a save with neither ``expire_in`` nor ``keep_ttl`` leaves the object without a TTL.
  ``AssimilatorConfig.autogenerate_id`` (default ``True``: a ``uuid4`` string, from the
  overridable ``generate_id()``; ``False``: the id is required) and ``AssimilatorConfig.exclude``
  (fields neither stored nor dumped) are inherited as in PyAssimilator.  ``BaseModel`` is the
  same without the control fields; it also accepts PyAssimilator's ``class User(BaseModel,
  extra=True)`` (Pydantic 2 refuses ``extra=True``: it means ``extra="allow"``).
* A plain ``pydantic.BaseModel`` with an ``id`` field works too: the repository stores it through
  a vermilion model generated from its fields and hands back objects of the user's class
  (control values are read from its attributes or extra values, as PyAssimilator did).
* ``RedisRepository(session=..., model=...)`` runs on :class:`vermilion.models.Repository` with
  ``session`` as its client (a ``redis.Redis`` or ``RedisCluster``).  ``get`` / ``filter`` /
  ``count`` take ``lazy=True`` (a :class:`LazyCommand`).  ``repository.specs`` builds
  specifications: ``filter`` (``field``, ``__eq``, ``__gt``, ``__gte``, ``__lt``, ``__lte``,
  ``__not``, ``__is``, ``__like``, nested ``address__city``; plus vermilion's ``__in``,
  ``__not_in``, ``__startswith``; ``&``, ``|``, ``~``), ``order``, ``paginate``, ``join``,
  ``only``.  They run in Redis, in one script, instead of PyAssimilator's ``KEYS`` + ``MGET`` of
  every object and filtering in Python.
* ``RedisUnitOfWork(repository=...)``: ``begin()`` puts the repository object itself into a
  vermilion unit of work (as PyAssimilator swapped its pipeline in), ``commit()`` writes every
  pending change in one script, ``rollback()`` / ``close()`` drop them.
* Errors: ``DataLayerError``, ``NotFoundError``, ``MultipleResultsError`` are vermilion's;
  ``InvalidQueryError`` is new here.  As PyAssimilator's error wrapper did, every exception a
  repository or unit-of-work method raises is a ``DataLayerError``: one that is not already is
  raised as a class deriving from both ``DataLayerError`` and its own class where Python allows
  it (``except TransactionConflict`` still works), else as a plain ``DataLayerError`` (Pydantic's
  ``ValidationError``); the original is its ``__cause__``.  ``MultipleResultsError`` and bad
  specifications are also ``InvalidQueryError``.

Where this differs from PyAssimilator (its own behaviour is a bug, or cannot be kept in Redis):

* Objects are hashes at ``{User}:<id>`` (with index keys beside them), not JSON strings at the bare
  id: data written by PyAssimilator is not read.  ``count()`` counts the model's objects, not the
  database (``DBSIZE``).
* ``only_create`` / ``only_update`` refused by Redis raise ``AlreadyExists`` / ``NotFoundError``
  (both ``DataLayerError``) instead of being ignored; in a unit of work the commit then writes
  nothing.  ``update(obj, **values)`` sets the values (PyAssimilator ignored them), keeps the TTL
  unless the object asks for another, and leaves ``obj.only_update`` alone.
* ``is_modified(obj)`` is ``True`` when ``obj`` differs from Redis (PyAssimilator answered the
  opposite); ``__not`` means "not equal" as documented (PyAssimilator's raised ``TypeError``);
  ``paginate(limit=10, offset=20)`` gives items 20-29 (PyAssimilator sliced ``[20:10]``);
  ``__like`` is SQL's (``%`` any run, ``_`` one character, nothing else special).
* Not supported, with an ``InvalidQueryError``: ``__regex``, ``initial_query``, specifications
  that are Python callables (Redis cannot run them).  ``join`` of a field that is not a
  ``Ref[...]`` is ignored (PyAssimilator's Redis ``join`` did nothing); ``only`` fetches just the
  named fields.  Extra values of a model with ``extra="allow"`` are not stored.
* A unit of work checks, at commit, that nothing it read changed since
  (``TransactionConflict``, a ``DataLayerError`` here); reads inside it see its pending writes.

Sync only, as PyAssimilator.
"""

from __future__ import annotations

import abc
import builtins
import copy
import datetime as dt
import functools
import json as _json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import pydantic
from pydantic import Field

from .errors import DataLayerError, MultipleResultsError, NotFoundError
from .model import Model, Reference
from .repository import LazyCommand as _LazyCommand
from .repository import Repository as _Repository
from .schema import REF
from .specs import (
    FilterSpec,
    JoinSpec,
    OnlySpec,
    OrderSpec,
    PaginateSpec,
    Specification,
    SpecificationError,
)
from .specs import SpecificationList as _SpecificationList
from .specs import specs as _specs
from .uow import UnitOfWork as _UnitOfWork

if TYPE_CHECKING:
    from pydantic._internal._model_construction import ModelMetaclass as _ModelMetaclass
else:
    _ModelMetaclass = type(Model)

__all__ = [
    "AdaptiveFilter", "BaseModel", "DataLayerError", "FilterSpecification",
    "InternalSpecificationList", "InvalidQueryError", "LazyCommand", "MultipleResultsError",
    "NotFoundError", "ParsingError", "RedisModel", "RedisRepository", "RedisUnitOfWork",
    "Repository", "Specification", "SpecificationList", "SpecificationType", "UnitOfWork",
    "filter_", "join", "only", "order", "paginate", "specs",
]

CONTROL_FIELDS = ("expire_in", "expire_in_px", "only_update", "only_create", "keep_ttl")
"""``RedisModel``'s per-object save instructions: never stored."""

R = TypeVar("R")
_B = TypeVar("_B", bound="BaseModel")


# -- errors ------------------------------------------------------------------------------------
class InvalidQueryError(DataLayerError):
    """The query cannot be run: bad specifications, ``update(spec)`` without values, or more than
    one result for ``get`` (``MultipleResultsError`` raised here is also one)."""


class ParsingError(DataLayerError, ValueError):
    """``BaseModel.loads()`` got data that is not the model's JSON."""


_wrapped: dict[tuple[type, type], type | None] = {}


def _wrapping_class(target: type[DataLayerError], cls: type[BaseException]) -> type | None:
    """A class deriving from ``target`` and ``cls`` (named as ``cls``), or ``None`` when Python
    cannot combine them (a final class, an instance layout conflict)."""
    key = (target, cls)
    if key not in _wrapped:
        try:
            _wrapped[key] = type(cls.__name__, (target, cls), {
                "__module__": cls.__module__, "__qualname__": cls.__qualname__,
                "_vm_wrapping": key, "__reduce__": _reduce_wrapped})
        except TypeError:
            _wrapped[key] = None
    return _wrapped[key]


def _reduce_wrapped(self: Any) -> Any:
    return _rebuild_wrapped, (*self._vm_wrapping, self.args, self.__dict__)


def _rebuild_wrapped(target: type[DataLayerError], cls: type[BaseException], args: tuple[Any, ...],
                     state: dict[str, Any]) -> BaseException:
    combined = _wrapping_class(target, cls)
    assert combined is not None
    exc: BaseException = combined.__new__(combined, *args)
    exc.__dict__.update(state)
    return exc


def _data_layer(exc: Exception) -> Exception:
    """``exc`` as PyAssimilator's error wrapper would raise it: a ``DataLayerError`` (and an
    ``InvalidQueryError`` for bad queries and multiple results)."""
    target = InvalidQueryError if isinstance(exc, (MultipleResultsError, SpecificationError)) \
        else DataLayerError
    if isinstance(exc, target):
        return exc
    if _wrapping_class(target, type(exc)) is not None:
        try:
            wrapped = _rebuild_wrapped(target, type(exc), exc.args, exc.__dict__)
        except Exception:  # noqa: BLE001 - a class that cannot be rebuilt from its args
            pass
        else:
            assert isinstance(wrapped, Exception)
            return wrapped
    return target(f"{type(exc).__name__}: {exc}")


def _translated(method: Callable[..., R]) -> Callable[..., R]:
    """Raise every error of ``method`` as a ``DataLayerError`` (see :func:`_data_layer`)."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> R:
        try:
            return method(*args, **kwargs)
        except Exception as exc:
            mapped = _data_layer(exc)
            if mapped is exc:
                raise
            raise mapped from exc

    return wrapper


# -- LazyCommand -------------------------------------------------------------------------------
class LazyCommand(_LazyCommand[R]):
    """PyAssimilator's ``LazyCommand(command, *args, **kwargs)``: runs ``command(*args,
    **kwargs)`` on first use (iterating, ``bool``, ``==``, ``>``, attribute access or calling it)
    and keeps the result.  ``get`` / ``filter`` / ``count`` return one with ``lazy=True``."""

    def __init__(self, command: Callable[..., R], *args: Any, **kwargs: Any):
        self.command = command
        self.args = args
        self.kwargs = kwargs
        super().__init__(functools.partial(command, *args, **kwargs))

    def __gt__(self, other: Any) -> bool:
        return bool(self() > other)  # type: ignore[operator]

    def __str__(self) -> str:
        return f"Lazy<{self.command}(*{self.args}, **{self.kwargs})>"

    @staticmethod
    def decorate(func: Callable[..., R]) -> Callable[..., Any]:
        """``func`` taking ``lazy=True`` to return a :class:`LazyCommand` instead of running."""

        @functools.wraps(func)
        def lazy_wrapper(*args: Any, lazy: bool = False, **kwargs: Any) -> Any:
            if lazy:
                return LazyCommand(func, *args, **kwargs)
            return func(*args, **kwargs)

        return lazy_wrapper


# -- specifications ----------------------------------------------------------------------------
class SpecificationList(_SpecificationList):
    """``repository.specs``: ``filter``, ``order``, ``paginate``, ``join``, ``only``, compiled
    into one server-side script (see :mod:`vermilion.models.specs`)."""

    @staticmethod
    def filter(*filters: Any, **lookups: Any) -> FilterSpec:
        """Every filter and lookup must hold.  A positional ``str`` / ``int`` is an id (as
        PyAssimilator's text filter, which was the object's key)."""
        parts: list[FilterSpec] = []
        for f in filters:
            if isinstance(f, FilterSpec):
                parts.append(f)
            elif isinstance(f, (str, int)) and not isinstance(f, bool):
                parts.append(_specs.filter(id=f))
            else:
                raise InvalidQueryError(
                    f"filter({f!r}): vermilion runs filters in Redis; give lookups "
                    "(field=value, field__gt=...) or filters, not Python callables")
        for name in lookups:
            if name.rsplit("__", 1)[-1] == "regex":
                raise InvalidQueryError(f"{name}: regular expressions do not run in Redis; use "
                                        "__like (SQL % and _) or __startswith")
        return _specs.filter(*parts, **lookups)

    @staticmethod
    def join(*targets: Any, join_args: Any = None) -> JoinSpec:
        """Load these ``Ref`` fields in the same round trip (other names are ignored, as
        PyAssimilator's Redis ``join`` ignored every name)."""
        return JoinSpec(tuple(t if isinstance(t, str) else str(getattr(t, "name", t))
                              for t in targets))


specs: SpecificationList = SpecificationList()
InternalSpecificationList = SpecificationList
FilterSpecification = FilterSpec
SpecificationType = Specification


class AdaptiveFilter(FilterSpec):
    """``filter_(...)``: a filter written once for any repository (here, the same as
    ``repository.specs.filter(...)``)."""

    def __init__(self, *fields: Any, **kwargs_fields: Any):
        super().__init__(SpecificationList.filter(*fields, **kwargs_fields).node)


filter_ = AdaptiveFilter
order: Callable[..., OrderSpec] = SpecificationList.order
paginate: Callable[..., PaginateSpec] = SpecificationList.paginate
join: Callable[..., JoinSpec] = SpecificationList.join
only: Callable[..., OnlySpec] = SpecificationList.only


# -- models ------------------------------------------------------------------------------------
class _AssimilatorMeta(_ModelMetaclass):
    """Reads PyAssimilator's (Pydantic 1) ``class User(BaseModel, extra=True)``: ``True`` allows
    extra values, ``False`` forbids them."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any],
                **kwargs: Any) -> Any:
        if isinstance(kwargs.get("extra"), bool):
            kwargs["extra"] = "allow" if kwargs["extra"] else "forbid"
        return super().__new__(mcs, name, bases, namespace, **kwargs)


class BaseModel(Model, metaclass=_AssimilatorMeta):
    """PyAssimilator's ``BaseModel``: a vermilion model with a generated ``id`` (``uuid4``) unless
    ``AssimilatorConfig.autogenerate_id`` is ``False``; ``loads()``, ``dict()``, ``json()``."""

    class AssimilatorConfig:
        autogenerate_id: ClassVar[bool] = True
        exclude: ClassVar[Any] = None  # fields neither stored nor dumped

    def __init__(self, **data: Any) -> None:
        if data.get("id") is None and type(self).__schema__().autogenerate_id:
            data["id"] = self.generate_id(**data)
        super().__init__(**data)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        # AssimilatorConfig inherits what a subclass's own does not set, as in PyAssimilator
        merged: dict[str, Any] = {}
        for base in reversed(cls.__mro__):
            config = base.__dict__.get("AssimilatorConfig")
            if config is not None:
                merged.update({k: getattr(config, k) for k in dir(config) if not k.startswith("_")})
        own = cls.__dict__.get("AssimilatorConfig")
        if own is not None:
            missing = {k: v for k, v in merged.items() if not hasattr(own, k)}
            if missing:
                inherited: Any = type("AssimilatorConfig", (own,), missing)
                cls.AssimilatorConfig = inherited  # type: ignore[misc]
        exclude = [str(name) for name in merged.get("exclude") or ()]
        control = [name for name in CONTROL_FIELDS if name in cls.model_fields]
        setattr(cls, "__vermilion_control_fields__",  # noqa: B010 - a plain assignment reads as
                tuple(dict.fromkeys(control + exclude)))  # an override to type checkers

    def generate_id(self, **kwargs: Any) -> str:
        """The id of a new object (override to choose another)."""
        return str(uuid.uuid4())

    def __hash__(self) -> int:
        return hash(str(self.id))

    @classmethod
    def loads(cls: type[_B], data: str | bytes) -> _B:
        """The object in the JSON text ``data``; :class:`ParsingError` if it is not one."""
        try:
            return cls(**_json.loads(data))
        except (ValueError, TypeError) as exc:
            raise ParsingError(f"{cls.__name__}.loads: {exc}") from exc

    def _dump_options(self, exclude: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        excluded = {*(exclude or ()), *type(self).__vermilion_control_fields__}
        names = ("include", "by_alias", "exclude_unset", "exclude_defaults", "exclude_none")
        options: dict[str, Any] = {k: kwargs[k] for k in names if k in kwargs}
        return {**options, "exclude": excluded}

    def dict(self, *, exclude: Any = None, **kwargs: Any) -> builtins.dict[str, Any]:  # type: ignore[override]
        """PyAssimilator's ``dict()``: ``model_dump()`` without the excluded fields."""
        return self.model_dump(**self._dump_options(exclude, kwargs))

    def json(self, *, exclude: Any = None, **kwargs: Any) -> str:  # type: ignore[override]
        """PyAssimilator's ``json()``: ``model_dump_json()`` without the excluded fields."""
        return self.model_dump_json(**self._dump_options(exclude, kwargs))


class RedisModel(BaseModel):
    """PyAssimilator's ``RedisModel``: a :class:`BaseModel` whose objects carry their save
    instructions (``expire_in``, ``expire_in_px``, ``only_update``, ``only_create``,
    ``keep_ttl``)."""

    expire_in: int | None = Field(default=None, exclude=True, repr=False)
    expire_in_px: int | None = Field(default=None, exclude=True, repr=False)
    only_update: bool | None = Field(default=False, exclude=True, repr=False)
    only_create: bool | None = Field(default=False, exclude=True, repr=False)
    keep_ttl: bool | None = Field(default=False, exclude=True, repr=False)

    class AssimilatorConfig:
        exclude: ClassVar[Any] = {name: True for name in CONTROL_FIELDS}


def _save_args(obj: Any) -> dict[str, Any]:
    """The keyword arguments of vermilion's ``save`` from ``obj``'s control values."""
    expire_in = getattr(obj, "expire_in", None)
    if expire_in is not None:
        seconds = expire_in.total_seconds() if isinstance(expire_in, dt.timedelta) else expire_in
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and seconds <= 0:
            raise ValueError(f"expire_in must be positive, not {expire_in!r}")
    return {"expire_in": expire_in, "expire_in_px": getattr(obj, "expire_in_px", None),
            "keep_ttl": bool(getattr(obj, "keep_ttl", False)),
            "only_create": bool(getattr(obj, "only_create", False)),
            "only_update": bool(getattr(obj, "only_update", False))}


_stored_models: dict[type, type[Model]] = {}


def _stored_model(model: type[pydantic.BaseModel]) -> type[Model]:
    """The vermilion model that stores the objects of the plain Pydantic model ``model`` (the same
    fields, key prefix ``{<model name>}``, the id required)."""
    found = _stored_models.get(model)
    if found is None:
        if "id" not in model.model_fields:
            raise TypeError(f"{model.__name__} has no 'id' field: a plain Pydantic model needs one "
                            "(or derive it from vermilion.models.assimilator.RedisModel)")
        fields = {name: copy.copy(info) for name, info in model.model_fields.items()}
        for info in fields.values():  # stored by field name
            info.alias = info.validation_alias = info.serialization_alias = None
        qualname = f"{model.__qualname__}[stored]"
        meta = type("Meta", (), {"prefix": model.__name__, "autogenerate_id": False,
                                 "__module__": model.__module__, "__qualname__": f"{qualname}.Meta"})
        namespace: dict[str, Any] = {
            "__module__": model.__module__, "__qualname__": qualname,
            "__annotations__": {name: info.annotation for name, info in fields.items()},
            **fields, "Meta": meta}
        metaclass: Any = type(Model)
        found = _stored_models[model] = metaclass(model.__name__, (Model,), namespace)
    return found


def _input_name(model: type[pydantic.BaseModel], name: str) -> str:
    """The name validation always accepts for the field ``name`` (its alias, if it has one)."""
    info = model.model_fields[name]
    alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias
    return alias or name


class _Models:
    """The user's model class and the vermilion model its objects are stored as (the same class
    unless it is a plain Pydantic model)."""

    def __init__(self, model: Any):
        if isinstance(model, type) and issubclass(model, Model):
            self.stored: type[Model] = model
        elif isinstance(model, type) and issubclass(model, pydantic.BaseModel):
            self.stored = _stored_model(model)
        else:
            raise TypeError(f"a RedisRepository takes a Pydantic model class, not {model!r}")
        self.user = model
        self.plain = self.stored is not model
        self.fields = tuple(self.stored.__schema__().fields)

    def to_stored(self, obj: Any) -> Model:
        if not isinstance(obj, self.user):
            raise TypeError(f"expected a {self.user.__name__}, not {type(obj).__name__}")
        if not self.plain:
            return obj  # type: ignore[no-any-return]
        return self.stored.model_validate(
            {"id": obj.id, **{name: getattr(obj, name) for name in self.fields}})

    def to_user(self, obj: Model, partial: bool = False) -> Any:
        if not self.plain:
            return obj
        values = {"id": obj.id, **{n: obj.__dict__[n] for n in self.fields if n in obj.__dict__}}
        if partial:  # ``only``: the fields fetched, the others' defaults; the id as stored (str)
            id_type: Any = self.user.model_fields["id"].annotation
            values["id"] = pydantic.TypeAdapter(id_type).validate_python(obj.id)
            return self.user.model_construct(**values)
        return self.user.model_validate({_input_name(self.user, n): v for n, v in values.items()})

    def target(self, obj: Any) -> Any:
        """What vermilion's ``get`` / ``delete`` take for ``obj``: an id for a plain object."""
        return obj.id if self.plain and isinstance(obj, self.user) else obj


# -- repositories ------------------------------------------------------------------------------
class Repository(abc.ABC):
    """PyAssimilator's abstract ``Repository``: annotate with it, implement it, or use
    :class:`RedisRepository`."""

    def __init__(self, session: Any, model: Any, specifications: Any = SpecificationList,
                 initial_query: Any = None, error_wrapper: Any = None):
        if error_wrapper is not None:
            raise TypeError("vermilion's repositories map errors themselves (see "
                            "vermilion.models.assimilator): error_wrapper is not supported")
        self.session = session
        self.model = model
        self.specifications = specifications
        self._initial_query = initial_query

    @property
    def specs(self) -> Any:
        """The specifications (``filter``, ``order``, ``paginate``, ``join``, ``only``)."""
        return self.specifications

    def _check_obj_is_specification(self, obj: Any, specifications: tuple[Any, ...]
                                    ) -> tuple[Any, tuple[Any, ...]]:
        """``(obj, specifications)`` with ``obj`` moved to the specifications if it is one."""
        if isinstance(obj, Specification) or callable(obj) and not isinstance(obj, pydantic.BaseModel):
            return None, (obj, *specifications)
        return obj, specifications

    @abc.abstractmethod
    def get(self, *specifications: Any, lazy: bool = False, initial_query: Any = None) -> Any: ...

    @abc.abstractmethod
    def filter(self, *specifications: Any, lazy: bool = False, initial_query: Any = None) -> Any: ...

    @abc.abstractmethod
    def save(self, obj: Any = None, **obj_data: Any) -> Any: ...

    @abc.abstractmethod
    def delete(self, obj: Any = None, *specifications: Any) -> Any: ...

    @abc.abstractmethod
    def update(self, obj: Any = None, *specifications: Any, **update_values: Any) -> Any: ...

    @abc.abstractmethod
    def is_modified(self, obj: Any) -> bool: ...

    @abc.abstractmethod
    def refresh(self, obj: Any) -> Any: ...

    @abc.abstractmethod
    def count(self, *specifications: Any, lazy: bool = False, initial_query: Any = None) -> Any: ...

    def __str__(self) -> str:
        return f"{type(self).__name__}({self.model})"

    __repr__ = __str__


def _no_initial_query(initial_query: Any) -> None:
    if initial_query not in (None, ""):
        raise InvalidQueryError(f"initial_query={initial_query!r}: vermilion queries with "
                                "specifications, not key patterns")


class RedisRepository(Repository):
    """PyAssimilator's ``RedisRepository(session=redis.Redis(), model=User)`` on
    :class:`vermilion.models.Repository` (``session`` is its client)."""

    def __init__(self, session: Any = None, model: Any = None, initial_query: Any = "",
                 specifications: Any = SpecificationList, error_wrapper: Any = None,
                 use_double_filter: bool = True):
        if model is None:
            raise TypeError("RedisRepository() needs model=")
        _no_initial_query(initial_query)
        super().__init__(session=session, model=model, specifications=specifications,
                         initial_query=initial_query, error_wrapper=error_wrapper)
        self._models = _Models(model)
        self._base: _Repository[Any] = _Repository(self._models.stored, client=session)
        self._vm: _Repository[Any] = self._base  # the unit of work's repository during one

    def _specs(self, specifications: tuple[Any, ...]) -> list[Specification]:
        out: list[Specification] = []
        for spec in specifications:
            if isinstance(spec, JoinSpec):
                fields = self._models.stored.__schema__().fields
                refs = tuple(f for f in spec.fields if f in fields and fields[f].kind == REF)
                if refs:
                    out.append(JoinSpec(refs))
            elif isinstance(spec, Specification):
                out.append(spec)
            else:
                raise InvalidQueryError(
                    f"{spec!r} is not a specification of vermilion.models.assimilator: vermilion "
                    "runs queries in Redis; build them with repository.specs (filter, order, "
                    "paginate, join, only)")
        return out

    def _query(self, specifications: tuple[Any, ...]) -> tuple[list[Specification], bool]:
        found = self._specs(specifications)
        return found, any(isinstance(s, OnlySpec) for s in found)

    @_translated
    def get(self, *specifications: Any, lazy: bool = False, initial_query: Any = None) -> Any:
        """The one object matching the specifications (or with this id); ``NotFoundError`` /
        ``MultipleResultsError`` otherwise."""
        if lazy:
            return LazyCommand(self.get, *specifications, initial_query=initial_query)
        _no_initial_query(initial_query)
        if len(specifications) == 1 and isinstance(specifications[0], (str, int, Reference,
                                                                       pydantic.BaseModel)):
            return self._models.to_user(self._vm.get(self._models.target(specifications[0])))
        query, partial = self._query(specifications)
        return self._models.to_user(self._vm.get(*query), partial)

    @_translated
    def filter(self, *specifications: Any, lazy: bool = False, initial_query: Any = None) -> Any:
        """The objects matching the specifications (all without any)."""
        if lazy:
            return LazyCommand(self.filter, *specifications, initial_query=initial_query)
        _no_initial_query(initial_query)
        query, partial = self._query(specifications)
        return [self._models.to_user(o, partial) for o in self._vm.filter(*query)]

    @_translated
    def save(self, obj: Any = None, **obj_data: Any) -> Any:
        """Store ``obj`` (or a new object made of ``obj_data``) as its control values say;
        returns it."""
        if obj is None:
            obj = self.model(**obj_data)
        elif obj_data:
            raise TypeError("save() takes an object or field values, not both")
        self._vm.save(self._models.to_stored(obj), **_save_args(obj))
        return obj

    @_translated
    def delete(self, obj: Any = None, *specifications: Any) -> Any:
        """Delete ``obj`` (an object or an id) or every object matching the specifications;
        nothing without either.  Returns how many were deleted."""
        obj, specifications = self._check_obj_is_specification(obj, specifications)
        if specifications:
            return self._vm.delete(*self._specs(specifications))
        if obj is None:
            return 0
        return self._vm.delete(self._models.target(obj))

    @_translated
    def update(self, obj: Any = None, *specifications: Any, **update_values: Any) -> Any:
        """``update(spec..., **values)``: set the values on every matching object (returns how
        many); ``update(obj, **values)``: set them on ``obj`` and save it if it exists, keeping
        its TTL unless its ``expire_in`` / ``expire_in_px`` say otherwise."""
        obj, specifications = self._check_obj_is_specification(obj, specifications)
        if specifications:
            if not update_values:
                raise InvalidQueryError("update() got specifications but no values to set")
            return self._vm.update(*self._specs(specifications), **update_values)
        if obj is None:
            return None
        if not isinstance(obj, self.model):
            raise TypeError(f"update() takes a {self.model.__name__} or specifications, not {obj!r}")
        for name in update_values:
            if name not in self._models.fields:
                raise InvalidQueryError(f"{self._models.user.__name__} has no stored field {name!r}")
        for name, value in update_values.items():
            setattr(obj, name, value)
        args = {**_save_args(obj), "only_create": False, "only_update": True}
        if args["expire_in"] is None and args["expire_in_px"] is None:
            args["keep_ttl"] = True
        self._vm.save(self._models.to_stored(obj), **args)
        return obj

    @_translated
    def is_modified(self, obj: Any) -> bool:
        """Whether ``obj`` differs from what Redis holds for its id (``True`` if nothing)."""
        return self._vm.is_modified(self._models.to_stored(obj))

    @_translated
    def refresh(self, obj: Any) -> Any:
        """Reload ``obj``'s fields from Redis in place; returns it."""
        if not self._models.plain:
            return self._vm.refresh(obj)
        fresh = self._models.to_user(self._vm.get(self._models.target(obj)))
        obj.__dict__.update({name: fresh.__dict__[name] for name in self._models.fields})
        return obj

    @_translated
    def count(self, *specifications: Any, lazy: bool = False, initial_query: Any = None) -> Any:
        """How many objects match (all the model's objects without specifications)."""
        if lazy:
            return LazyCommand(self.count, *specifications, initial_query=initial_query)
        _no_initial_query(initial_query)
        return self._vm.count(*self._specs(specifications))


# -- units of work -----------------------------------------------------------------------------
class UnitOfWork(abc.ABC):
    """PyAssimilator's abstract ``UnitOfWork``: ``with uow: ...; uow.commit()`` (an exception
    rolls back; ``autocommit=True`` commits on a clean exit)."""

    def __init__(self, repository: Repository, error_wrapper: Any = None, autocommit: bool = False):
        if error_wrapper is not None:
            raise TypeError("vermilion's units of work map errors themselves (see "
                            "vermilion.models.assimilator): error_wrapper is not supported")
        self.repository = repository
        self.autocommit = autocommit

    @abc.abstractmethod
    def begin(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Any:
        self.begin()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is not None:
                self.rollback()
            elif self.autocommit:
                self.commit()
        finally:
            self.close()

    def __str__(self) -> str:
        return f"{type(self).__name__}({self.repository.model})"

    __repr__ = __str__


class RedisUnitOfWork(UnitOfWork):
    """PyAssimilator's ``RedisUnitOfWork(repository=...)`` on :class:`vermilion.models.UnitOfWork`:
    between ``begin()`` and ``close()`` the repository's writes wait for ``commit()``, which
    applies them in one script, all or nothing."""

    repository: RedisRepository

    def __init__(self, repository: RedisRepository, error_wrapper: Any = None,
                 autocommit: bool = False):
        if not isinstance(repository, RedisRepository):
            raise TypeError(f"a RedisUnitOfWork takes a RedisRepository, not "
                            f"{type(repository).__name__}")
        super().__init__(repository, error_wrapper=error_wrapper, autocommit=autocommit)
        self._unit: _UnitOfWork[Any] | None = None

    @_translated
    def begin(self) -> None:
        """Start a unit: the repository's writes wait for :meth:`commit`."""
        self._unit = _UnitOfWork(self.repository._base)
        self.repository._vm = self._unit.repository

    @_translated
    def rollback(self) -> None:
        """Drop the pending writes."""
        if self._unit is not None:
            self._unit.rollback()

    @_translated
    def commit(self) -> None:
        """Apply the pending writes in one script if nothing the unit read changed since."""
        if self._unit is not None:
            self._unit.commit()

    @_translated
    def close(self) -> None:
        """End the unit (pending writes are dropped); the repository writes directly again."""
        if self._unit is not None:
            self._unit.close()
            self._unit = None
        self.repository._vm = self.repository._base
