"""``Model``: a Pydantic v2 model whose objects live in Redis as hashes.

``class User(Model): name: Annotated[str, Index]`` — an object is the hash ``{User}:<id>`` with
one field per model field (``str`` fields as plain text, every other value through the codec, so
datetimes, Decimals, enums, sets and nested models come back exactly) plus ``_v``, its version.
The id is given (``User(id="luke@rebels.org", ...)``) or generated (``{User}:k3J9x2Qm1f0a``).

Per-model settings, in an inner ``class Meta``: ``prefix`` (default: the class name),
``ttl`` (a default expiry in seconds or a timedelta for every save that names none),
``autogenerate_id`` (default ``True``; ``False`` makes ``id`` required).

Item access mirrors attributes: ``user["name"]``.  ``Ref[...]`` fields load the referenced
object on first access (sync face; on the asyncio face they hold a :class:`Reference` to ``await
ref.load()``, or use ``specs.join``); ``Children[...]`` fields are live vermilion containers.
``Children`` fields need no default at run time; for a type checker (which reads them as plain
fields) write ``friends: Children[list[User]] = []`` so that ``User(...)`` type-checks without
them.
"""

from __future__ import annotations

import secrets
import sys
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, PrivateAttr, field_validator, model_validator

from .schema import REF, ChildSpec, Schema, build_schema


def new_id() -> str:
    """A readable random id (12 URL-safe characters)."""
    return secrets.token_urlsafe(9)


class Reference:
    """A reference to a saved object not loaded yet: ``ref.key``, ``ref.id``, ``ref.load()``.

    On the sync face, reading any other attribute (``ref.name``) or item loads the object once
    (one round trip) and answers from it; on the asyncio face ``await ref.load()`` first.
    Two references (or a reference and a model object) are equal when they name the same key.
    """

    __slots__ = ("key", "_target", "_loader", "_loaded")
    key: str

    def __init__(self, key: str, target: Any, loader: Any = None):
        self.key = key
        self._target = target
        self._loader = loader
        self._loaded: Any = None

    def __vermilion_key__(self) -> str:
        return self.key

    @property
    def id(self) -> str:
        return self.model.__schema__().id_of(self.key)

    @property
    def model(self) -> type[Model]:
        return resolve_model(self._target)

    def load(self) -> Any:
        """The referenced object (sync face: the object; asyncio face: an awaitable of it).
        Raises :class:`~vermilion.models.NotFoundError` if it no longer exists."""
        if self._loaded is not None:
            return self._loaded
        if self._loader is None:
            from .repository import Repository

            self._loader = Repository(self.model)
        result = self._loader.get(self.id)
        if hasattr(result, "__await__"):
            return self._await(result)
        self._loaded = result
        return result

    async def _await(self, pending: Any) -> Any:
        self._loaded = await pending
        return self._loaded

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        obj = self.load()
        if hasattr(obj, "__await__"):
            obj.close()  # type: ignore[union-attr]
            raise AttributeError(f"{name!r}: on the asyncio face, 'await ref.load()' first")
        return getattr(obj, name)

    def __getitem__(self, name: str) -> Any:
        return self.__getattr__(name)

    def __eq__(self, other: object) -> bool:
        key = getattr(other, "__vermilion_key__", None)
        return key is not None and key() == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"Reference({self.key!r})"


class Binding:
    """What an object knows of its storage: the repository (client, codec, face) that saved or
    loaded it, the version it had then, the stored bytes of its fields, its open children."""

    __slots__ = ("children", "face", "repo", "stored", "version")
    repo: Any
    face: str
    version: str | None
    stored: dict[str, bytes] | None
    children: dict[str, Any]

    def __init__(self, repo: Any, face: str, version: str | None,
                 stored: dict[str, bytes] | None):
        self.repo = repo
        self.face = face
        self.version = version
        self.stored = stored
        self.children: dict[str, Any] = {}


def binding(obj: Model) -> Binding:
    """``obj``'s :class:`Binding` (a fresh, unbound one for an object never saved or loaded)."""
    private = obj.__pydantic_private__
    assert private is not None
    found = private.get("_vm")
    if found is None:
        found = private["_vm"] = Binding(None, "sync", None, None)
    return found  # type: ignore[no-any-return]


def version_of(obj: Model) -> str | None:
    """The version ``obj`` had when it was last saved or loaded (``None``: never)."""
    private = obj.__pydantic_private__
    found = private.get("_vm") if private is not None else None
    return found.version if found is not None else None


_models: dict[str, type[Model]] = {}


def resolve_model(target: Any, owner: type | None = None) -> type[Model]:
    """A model class from a class, a forward-reference string or ``ForwardRef``.

    A name is looked up as Python would resolve the annotation of ``owner`` (the model declaring
    it): ``owner`` itself, then the globals of ``owner``'s module; then among the model classes
    defined so far (a class defined inside a function), by qualified name, then by name.
    """
    if isinstance(target, type) and issubclass(target, Model):
        return target
    name = getattr(target, "__forward_arg__", target)
    if isinstance(name, str):
        if owner is not None:
            if name in (owner.__name__, owner.__qualname__):
                return owner  # type: ignore[return-value]
            found = getattr(sys.modules.get(owner.__module__), name, None)
            if isinstance(found, type) and issubclass(found, Model):
                return found
        found = _models.get(name) or _models.get(name.rsplit(".", 1)[-1])
        if found is not None:
            return found
    raise TypeError(f"{target!r} is not a vermilion model class (or not defined yet)")


class _RefField:
    """The class attribute of a ``Ref[...]`` field: loads a :class:`Reference` on first read
    (sync face) and keeps the loaded object."""

    def __init__(self, name: str):
        self.name = name

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        value = obj.__dict__.get(self.name)
        if isinstance(value, Reference) and binding(obj).face != "async":
            value = value.load()
            obj.__dict__[self.name] = value
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = value


class _ChildField:
    """The class attribute of a ``Children[...]`` field: the live container."""

    def __init__(self, spec: ChildSpec):
        self.spec = spec

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        cache = binding(obj).children
        found = cache.get(self.spec.name)
        if found is None:
            from .children import open_child

            found = cache[self.spec.name] = open_child(obj, self.spec)
        return found

    def __set__(self, obj: Any, value: Any) -> None:
        if value is None and self.spec.name not in obj.__dict__:
            obj.__dict__[self.spec.name] = None  # pydantic's initialisation
            return
        raise AttributeError(
            f"{type(obj).__name__}.{self.spec.name} is a live container stored in Redis: change "
            f"it with its methods (append, add, update, clear...)")


class Model(BaseModel):
    """Base class of the models stored by :class:`~vermilion.models.Repository`."""

    model_config: ClassVar[ConfigDict] = ConfigDict(validate_assignment=True,
                                                    arbitrary_types_allowed=True)

    id: str = None  # type: ignore[assignment]  # generated when not given (see Meta)

    __vermilion_control_fields__: ClassVar[tuple[str, ...]] = ()
    _vm: Binding | None = PrivateAttr(default=None)  # set when saved or loaded
    __vm_schema: ClassVar[Schema | None] = None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        _models[cls.__qualname__] = cls
        _models.setdefault(cls.__name__, cls)
        cls.__vm_schema = None

    @model_validator(mode="before")
    @classmethod
    def _vm_fill_id(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in cls.__schema__().children:
                if data.get(name):
                    raise ValueError(
                        f"{name} is a live container stored in Redis: add its items after the "
                        f"object is saved ({cls.__name__}.{name}.append / add / update)")
        if isinstance(data, dict) and data.get("id") is None:
            if not cls.__schema__().autogenerate_id:
                raise ValueError(f"{cls.__name__} has autogenerate_id = False: give an id")
            data = {**data, "id": new_id()}
        return data

    @field_validator("id", mode="after")
    @classmethod
    def _vm_check_id(cls, value: Any) -> Any:
        id = str(value)
        if not id:
            raise ValueError("an id cannot be empty")
        if len(id.encode("utf-8", "surrogatepass")) > 65535:
            raise ValueError("an id is at most 65,535 bytes")
        for name in cls.__schema__().children:
            if id.endswith(":" + name):
                raise ValueError(f"the id {id!r} ends with ':{name}', the suffix of the key of "
                                 f"its '{name}' children")
        return value

    @classmethod
    def __schema__(cls) -> Schema:
        """The storage schema of this model class (built on first use)."""
        schema = cls.__dict__.get("_Model__vm_schema")
        if schema is None:
            if not cls.__pydantic_complete__:
                cls.model_rebuild(raise_errors=True)
            schema = build_schema(cls)
            for field in schema.fields.values():
                if field.kind == REF:
                    setattr(cls, field.name, _RefField(field.name))
            for child in schema.children.values():
                setattr(cls, child.name, _ChildField(child))
            cls.__vm_schema = schema
        return schema

    # -- identity --------------------------------------------------------------------------
    def __vermilion_key__(self) -> str:
        """The Redis key of this object: ``{Prefix}:<id>``."""
        return type(self).__schema__().key(str(self.id))

    @property
    def key(self) -> str:
        """The Redis key of the object's hash (``{User}:luke@rebels.org``)."""
        return self.__vermilion_key__()

    def __getitem__(self, name: str) -> Any:
        if not isinstance(name, str):
            raise TypeError(f"model fields are named by str, not {type(name).__name__}")
        if name not in type(self).model_fields:
            raise KeyError(name)
        return getattr(self, name)

    def __setitem__(self, name: str, value: Any) -> None:
        if not isinstance(name, str):
            raise TypeError(f"model fields are named by str, not {type(name).__name__}")
        if name not in type(self).model_fields:
            raise KeyError(name)
        setattr(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        attr = getattr(type(self), name, None) if not name.startswith("_") else None
        if isinstance(attr, _ChildField):
            attr.__set__(self, value)
            return
        super().__setattr__(name, value)

    # -- storage ---------------------------------------------------------------------------
    def _vm_field_values(self) -> dict[str, Any]:
        """The stored fields' values as held (references not loaded)."""
        return {name: self.__dict__.get(name) for name in type(self).__schema__().fields}

    def __eq__(self, other: object) -> bool:
        """Equal when of the same class with the same id and field values (control fields aside),
        whichever repository loaded them (pydantic's own ``==`` also compares private state)."""
        if not isinstance(other, BaseModel):
            return NotImplemented
        if type(other) is not type(self):
            return False
        skip = type(self).__vermilion_control_fields__
        return all(self.__dict__.get(n) == other.__dict__.get(n)
                   for n in type(self).model_fields if n not in skip) and \
            self.__pydantic_extra__ == other.__pydantic_extra__

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            if name not in type(self).__schema__().children:
                yield name, value
